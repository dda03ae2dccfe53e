/* SPDX-License-Identifier: Apache-2.0 */
/*
 * "Done" on the server's word only, TLS: a fake handshake followed by
 * cleartext is inspected, what is allowed before the ServerHello is
 * bounded (heartbeats, early data), the state stays small (net_evade.h).
 */
#include "net_evade.h"
#include "banned.h"

static const char ccs[] = "\x14\x03\x03\x00\x01\x01";

/* ---- TLS ---------------------------------------------------------------- */

/*
 * A fake handshake to a cleartext server: a ClientHello, then application
 * data (or a ChangeCipherSpec and records) before any ServerHello. The old
 * dissector returned DONE at the client's first application data record;
 * after the client's CCS it skipped every record unread.
 */
static void test_tls_client_says_done(void **state)
{
	uint8_t ch[256], ad[128], b[512];
	size_t chl = client_hello(ch, false, "www.example"), adl = record(ad, 23, card);

	(void)state;
	memcpy(b, ch, chl);
	memcpy(b + chl, ad, adl);
	{
		struct pkt c[] = { { 'c', b, chl + adl }, { 's', S("HTTP/1.1 400 Bad\r\n\r\n") } };

		run(443, c, 2);
		assert_string_equal(res.app, "tls");
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
	}
	/* ClientHello, CCS, then records: the CCS is given up on */
	memcpy(b + chl, ccs, 6);
	memcpy(b + chl + 6, ad, adl);
	{
		struct pkt c[] = { { 'c', b, chl + 6 + adl } };

		run(443, c, 1);
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
	}
	/* both CCS without a ServerHello (a cleartext server echoing): not done */
	{
		struct pkt c[] = {
			{ 'c', ch, chl }, { 's', ccs, 6 }, { 'c', ccs, 6 }, { 'c', S(card) }
		};

		run(443, c, 4);
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
	}
	/* 0-RTT offered: early data is read for leaks, not given up on */
	{
		uint8_t e[256];
		size_t el = client_hello(e, true, "www.example");

		memcpy(b, e, el);
		memcpy(b + el, ad, adl);
		struct pkt c[] = { { 'c', b, el + adl } };

		run(443, c, 1);
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
		assert_int_equal(res.gave_up, 0);
	}
}

/*
 * A ClientHello spread over two records in two segments, the first with a
 * card number in it, then a broken record: given up from the hello's first
 * byte, the held bytes scanned (the old dissector gave up at the broken
 * record: the first record passed unread).
 */
static void test_tls_spread_hello_breaks(void **state)
{
	uint8_t ch[512], r1[512], r2[64];
	size_t chl = client_hello(ch, false, "4111 1111 1111 1111.example");
	size_t half = chl - 5 - 8; /* the card in the first record, ".example" not */

	(void)state;
	/* record 1: the header with most of the hello */
	memcpy(r1, ch, 5 + half);
	r1[3] = (uint8_t)(half >> 8);
	r1[4] = (uint8_t)half;
	/* record 2: a header that is no TLS */
	memcpy(r2, "\x01\x02junk and more junk\r\n", 23);
	for (int held = 0; held < 2; held++) {
		struct pkt one[] = { { 'c', r1, 5 + half }, { 'c', r2, 23 } };
		uint8_t b[600];

		memcpy(b, r1, 5 + half);
		memcpy(b + 5 + half, r2, 23);
		struct pkt two[] = { { 'c', b, 5 + half + 23 } };

		if (held)
			run(443, one, 2);
		else
			run(443, two, 1);
		assert_string_equal(res.app, "tls");
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
		assert_int_equal(res.gave_up, 1);
	}
}

static void test_tls_honest(void **state)
{
	uint8_t ch[256], sh[128], e[256], ad[128], b[512];
	size_t chl = client_hello(ch, false, "www.example"), shl;

	(void)state;
	/* TLS 1.3: the ServerHello ends it */
	shl = server_hello(sh, true);
	{
		struct pkt c[] = { { 'c', ch, chl }, { 's', sh, shl }, { 'c', ccs, 6 } };

		run(443, c, 3);
		assert_ended("tls");
	}
	/* TLS 1.2: both CCS after the ServerHello */
	shl = server_hello(sh, false);
	{
		struct pkt c[] = { { 'c', ch, chl },
				   { 's', sh, shl },
				   { 'c', ccs, 6 },
				   { 's', ccs, 6 },
				   { 'c', S("\x17\x03\x03\x00\x02zz") } };

		run(443, c, 5);
		assert_ended("tls");
	}
	/* 0-RTT: ClientHello with early_data, CCS, early data, then 1.3 */
	{
		size_t el = client_hello(e, true, "www.example"), adl = record(ad, 23, "\x8f\x01");

		memcpy(b, e, el);
		memcpy(b + el, ccs, 6);
		memcpy(b + el + 6, ad, adl);
		shl = server_hello(sh, true);
		struct pkt c[] = { { 'c', b, el + 6 + adl }, { 's', sh, shl }, { 'c', ad, adl } };

		run(443, c, 3);
		assert_ended("tls");
	}
}

/* ---- bounded TLS before the answer ------------------------------------ */

extern const struct bh_net_dissector bh_net_l7_tls;

/* A heartbeat request record of payload q (payload_length its length). */
static size_t heartbeat(uint8_t *b, const char *q, size_t claim)
{
	size_t l = strlen(q);

	b[0] = 24;
	b[1] = 3;
	b[2] = 3;
	b[3] = (uint8_t)((l + 3) >> 8);
	b[4] = (uint8_t)(l + 3);
	b[5] = 1;
	b[6] = (uint8_t)(claim >> 8);
	b[7] = (uint8_t)claim;
	memcpy(b + 8, q, l);
	return 8 + l;
}

/*
 * Heartbeat records before the ServerHello were all allowed, their payload
 * only scanned for leaks: unbounded unparsed cleartext. One is allowed (a
 * Heartbleed probe is still seen), the second is given up on.
 */
static void test_tls_heartbeats_before_answer(void **state)
{
	uint8_t ch[256], b[2048], sh[128];
	size_t chl = client_hello(ch, false, "www.example"), n = chl;

	(void)state;
	memcpy(b, ch, chl);
	n += heartbeat(b + n, "ping", 4);
	{
		struct pkt c[] = { { 'c', b, n }, { 's', sh, server_hello(sh, true) } };

		run(443, c, 2);
		assert_ended("tls");
	}
	{
		size_t m = n + heartbeat(b + n, "GET /?id=1' OR 1=1-- HTTP/1.1", 29);
		struct pkt c[] = { { 'c', b, m } };

		run(443, c, 1);
		assert_string_equal(res.app, "tls");
		assert_int_equal(res.gave_up, 1);
	}
	/* the one heartbeat, overrunning its record: Heartbleed */
	{
		size_t m = chl + heartbeat(b + chl, "x", 16384);
		struct pkt c[] = { { 'c', b, m } };

		run(443, c, 1);
		assert_string_equal(res.threats, "BH-NET-TLS-HEARTBLEED");
		assert_int_equal(res.gave_up, 0);
	}
}

/*
 * Early data is the client's word: accepted only after a ClientHello that
 * offers early_data with a PSK in TLS 1.3, and 16 KiB of it at most.
 */
static void test_tls_early_data_bounded(void **state)
{
	static uint8_t b[40000];
	static char big[9001];
	static const unsigned partial[] = { EX_EARLY, EX_EARLY | EX_V13, EX_EARLY | EX_PSK };
	uint8_t ad[128];
	size_t adl = record(ad, 23, card), n;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		n = tpkt_hello(b, partial[i], "www.example");
		memcpy(b + n, ad, adl);
		struct pkt c[] = { { 'c', b, n + adl } };

		run(443, c, 1);
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
		assert_int_equal(res.gave_up, 1);
	}
	/* a real 0-RTT hello: two records of 9000 bytes pass 16 KiB */
	memset(big, 'z', 9000);
	n = tpkt_hello(b, EX_0RTT, "www.example");
	n += record(b + n, 23, big);
	{
		struct pkt c[] = { { 'c', b, n } };

		run(443, c, 1);
		assert_int_equal(res.gave_up, 0);
	}
	n += record(b + n, 23, big);
	{
		struct pkt c[] = { { 'c', b, n } };

		run(443, c, 1);
		assert_int_equal(res.gave_up, 1);
	}
}

/*
 * The TLS state holds no 24 KiB hold buffer any more (57,472 bytes per flow
 * with it): the client's bytes of a hello spanning chunks are held on the
 * heap, exactly as many, and only while it spans them. A hello in three
 * segments that breaks is still given up on from its first byte.
 */
static void test_tls_state_small_hold_lazy(void **state)
{
	uint8_t ch[512], r1[512];
	size_t chl = client_hello(ch, false, "4111 1111 1111 1111.example");
	size_t half = chl - 5 - 8;

	(void)state;
	assert_true(bh_net_l7_tls.state_size < 40 * 1024);
	memcpy(r1, ch, 5 + half);
	r1[3] = (uint8_t)(half >> 8);
	r1[4] = (uint8_t)half;
	struct pkt c[] = { { 'c', r1, 7 },
			   { 'c', r1 + 7, 5 + half - 7 },
			   { 'c', S("\x01\x02junk and more junk\r\n") } };

	run(443, c, 3);
	assert_string_equal(res.app, "tls");
	assert_string_equal(res.threats, "BH-NET-DLP-CARD");
	assert_int_equal(res.gave_up, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_client_says_done),
		cmocka_unit_test(test_tls_spread_hello_breaks),
		cmocka_unit_test(test_tls_honest),
		cmocka_unit_test(test_tls_heartbeats_before_answer),
		cmocka_unit_test(test_tls_early_data_bounded),
		cmocka_unit_test(test_tls_state_small_hold_lazy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
