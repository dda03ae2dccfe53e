/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TLS dissector (src/net/l7_tls.c): handshakes recorded between openssl
 * s_client and s_server (fuzz/corpus/l7_tls: TLS 1.3, TLS 1.2, and TLS 1.0
 * at SECLEVEL=0), a ClientHello fragmented over many records, the downgrade
 * and Heartbleed threats with their near-misses, hostile input. Every
 * conversation is also fed split at each byte and one byte at a time.
 */
#include "l7.h"

extern const struct bh_net_dissector bh_net_l7_tls;
#define D (&bh_net_l7_tls)

static char *capture(const char *name, enum bh_net_feed *rc, size_t *nseg)
{
	char path[128];
	uint8_t *blob;
	size_t n;
	struct l7_seg *segs;
	char *t;

	snprintf(path, sizeof(path), "fuzz/corpus/l7_tls/%s", name);
	segs = l7_load(path, &n, &blob);
	assert_int_equal(D->probe(&l7_tcp, C, segs[0].p, segs[0].len), BH_NET_PROBE_YES);
	assert_int_equal(D->probe(&l7_tcp, S, segs[1].p, segs[1].len), BH_NET_PROBE_YES);
	t = l7_run_all(D, &l7_tcp, segs, n, rc);
	if (nseg)
		*nseg = n;
	free(segs);
	free(blob);
	return t;
}

static void test_openssl_tls13(void **state)
{
	enum bh_net_feed rc;
	char *t = capture("openssl-tls13", &rc, NULL);

	expect(t, "TLS 0 client version=0304 cipher=0000 sni=example.test alpn=h2\n");
	expect(t, "TLS 1 server version=0304 cipher=1302 sni= alpn=\n");
	expect_no(t, "THREAT");
	assert_int_equal(rc, BH_NET_FEED_DONE);
	free(t);
}

static void test_openssl_tls12(void **state)
{
	enum bh_net_feed rc;
	char *t = capture("openssl-tls12", &rc, NULL);

	expect(t, "TLS 0 client version=0303 cipher=0000 sni=api.example.test alpn=http/1.1\n");
	expect(t, "TLS 1 server version=0303 cipher=c030 sni= alpn=http/1.1\n");
	expect_no(t, "THREAT"); /* near-miss of the downgrade */
	assert_int_equal(rc, BH_NET_FEED_DONE);
	free(t);
}

static void test_downgrade_tls10(void **state)
{
	enum bh_net_feed rc;
	char *t = capture("openssl-tls10", &rc, NULL);

	expect(t, "TLS 0 client version=0301 cipher=0000 sni=old.example.test alpn=\n");
	expect(t, "TLS 1 server version=0301 cipher=c014 sni= alpn=\n"
		  "THREAT 1 tls BH-NET-TLS-DOWNGRADE\n");
	free(t);
}

/* A record of type t around p[0..n). */
static size_t record(uint8_t *out, uint8_t type, uint16_t ver, const uint8_t *p, size_t n)
{
	out[0] = type;
	out[1] = (uint8_t)(ver >> 8);
	out[2] = (uint8_t)ver;
	out[3] = (uint8_t)(n >> 8);
	out[4] = (uint8_t)n;
	memcpy(out + 5, p, n);
	return n + 5;
}

/* The client's and server's first segments of the TLS 1.2 capture. */
static struct l7_seg *hellos(uint8_t **blob, size_t *n)
{
	struct l7_seg *segs = l7_load("fuzz/corpus/l7_tls/openssl-tls12", n, blob);

	assert_true(*n >= 2 && segs[0].dir == C && segs[1].dir == S);
	return segs;
}

static char *heartbeat(uint16_t req_plen, size_t req_len, size_t resp_len, enum bh_net_feed *rc)
{
	uint8_t *blob, hb[40000], req[20000], resp[20000];
	size_t n, rl, sl;
	struct l7_seg *h = hellos(&blob, &n);
	char *t;

	memset(hb, 0x41, sizeof(hb));
	hb[0] = 1;
	hb[1] = (uint8_t)(req_plen >> 8);
	hb[2] = (uint8_t)req_plen;
	rl = record(req, 24, 0x0303, hb, req_len);
	hb[0] = 2;
	sl = record(resp, 24, 0x0303, hb, resp_len);
	const struct l7_seg segs[] = { h[0], { C, req, rl, 1 }, h[1], { S, resp, sl, 2 } };

	t = l7_run_all(D, &l7_tcp, segs, 4, rc);
	free(h);
	free(blob);
	return t;
}

static void test_heartbleed(void **state)
{
	char *t;

	/* The classic: payload_length 16384 in a 3-byte record; a 16 KiB answer. */
	t = heartbeat(16384, 3, 16384 + 3 + 16, NULL);
	expect(t, "THREAT 0 tls BH-NET-TLS-HEARTBLEED\n");
	expect(t, "THREAT 1 tls BH-NET-TLS-HEARTBLEED\n");
	free(t);
	/* An honest request, then a response larger than it. */
	t = heartbeat(16, 3 + 16 + 16, 3 + 16 + 16 + 100, NULL);
	expect_no(t, "THREAT 0");
	expect(t, "THREAT 1 tls BH-NET-TLS-HEARTBLEED\n");
	free(t);
	/* Near-miss: an honest heartbeat and its echo. */
	t = heartbeat(16, 3 + 16 + 16, 3 + 16 + 16, NULL);
	expect_no(t, "THREAT");
	free(t);
}

static void test_fragmented_hello(void **state)
{
	uint8_t *blob, out[8192];
	size_t n, o = 0;
	struct l7_seg *h = hellos(&blob, &n);
	const uint8_t *rec = h[0].p;
	size_t hslen = (size_t)rec[3] << 8 | rec[4];

	/* The ClientHello's handshake message again in records of 7 bytes. */
	assert_true(hslen + 5 <= h[0].len);
	for (size_t i = 0; i < hslen; i += 7)
		o += record(out + o, 22, 0x0301, rec + 5 + i, hslen - i < 7 ? hslen - i : 7);
	const struct l7_seg segs[] = { { C, out, o, 0 }, h[1] };
	char *t = l7_run_all(D, &l7_tcp, segs, 2, NULL);

	expect(t, "TLS 0 client version=0303 cipher=0000 sni=api.example.test alpn=http/1.1\n");
	expect(t, "TLS 1 server version=0303");
	free(t);
	free(h);
	free(blob);
}

static void test_hostile(void **state)
{
	uint8_t *blob;
	size_t n;
	struct l7_seg *h = hellos(&blob, &n);
	enum bh_net_feed rc;
	uint8_t bad[4096];
	char *t;

	/* Each byte of the ClientHello's body changed to 0xff in turn: never a
	 * crash, and the whole and split runs agree. */
	assert_true(h[0].len < sizeof(bad));
	for (size_t i = 0; i < h[0].len; i += 3) {
		memcpy(bad, h[0].p, h[0].len);
		bad[i] = 0xff;
		const struct l7_seg s[] = { { C, bad, h[0].len, 0 } };

		free(l7_run_all(D, &l7_tcp, s, 1, NULL));
	}
	/* A hello whose declared length is over the bound. */
	static const uint8_t huge[] = { 22, 3, 1, 0, 8, 1, 0, 0x50, 0, 3, 3, 0, 0 };
	const struct l7_seg a[] = { { C, huge, sizeof(huge), 0 } };

	t = l7_run_all(D, &l7_tcp, a, 1, &rc);
	assert_int_equal(rc, BH_NET_FEED_MALFORMED);
	free(t);
	/* A record over the bound; a record type that does not exist. */
	static const uint8_t big[] = { 22, 3, 3, 0x50, 0x00 }, type[] = { 99, 3, 3, 0, 1, 0 };
	const struct l7_seg b[] = { { C, big, sizeof(big), 0 } }, c[] = { { C, type, 6, 0 } };

	free(l7_run_all(D, &l7_tcp, b, 1, &rc));
	assert_int_equal(rc, BH_NET_FEED_MALFORMED);
	free(l7_run_all(D, &l7_tcp, c, 1, &rc));
	assert_int_equal(rc, BH_NET_FEED_MALFORMED);
	/* A ServerHello sent by the client. */
	const struct l7_seg d[] = { { C, h[1].p, h[1].len, 0 } };

	free(l7_run_all(D, &l7_tcp, d, 1, &rc));
	assert_int_equal(rc, BH_NET_FEED_MALFORMED);
	/* Truncated extensions: the hello's length cut by one. */
	memcpy(bad, h[0].p, h[0].len);
	bad[8]--;
	bad[4]--;
	const struct l7_seg e[] = { { C, bad, h[0].len - 1, 0 } };

	free(l7_run_all(D, &l7_tcp, e, 1, &rc));
	assert_int_equal(rc, BH_NET_FEED_MALFORMED);
	/* A gap ends the inspection. */
	void *st = bh_calloc(1, D->state_size);
	struct bh_net_dissect_ctx ctx = { &l7_tcp, 0, NULL, NULL, NULL, NULL, NULL };

	assert_int_equal(D->feed(st, C, NULL, 10, &ctx), BH_NET_FEED_DONE);
	free(st);
	free(h);
	free(blob);
}

/* A HelloRetryRequest is not the answer: openssl s_client offering a P-256
 * key share to an s_server that takes X25519 only (openssl-tls13-hrr:
 * ClientHello; HRR and CCS; CCS and the second ClientHello; ServerHello...). */
static void test_hello_retry(void **state)
{
	uint8_t *blob, two[2048];
	size_t n;
	struct l7_seg *h = l7_load("fuzz/corpus/l7_tls/openssl-tls13-hrr", &n, &blob);
	enum bh_net_feed rc;
	char *t, *sni;

	assert_true(n >= 4 && h[0].dir == C && h[1].dir == S && h[2].dir == C && h[3].dir == S);
	t = l7_run_all(D, &l7_tcp, h, 4, &rc);
	/* both ClientHellos read (the second judged by policy too), then the
	 * real ServerHello ends it */
	expect(t, "TLS 0 client version=0304 cipher=0000 sni=hrr.test alpn=h2\n"
		  "TLS 0 client version=0304 cipher=0000 sni=hrr.test alpn=h2\n"
		  "TLS 1 server version=0304 cipher=");
	expect_no(t, "THREAT");
	assert_int_equal(rc, BH_NET_FEED_DONE);
	free(t);

	/* The second ClientHello names another server: a threat. */
	assert_true(h[2].len <= sizeof(two));
	memcpy(two, h[2].p, h[2].len);
	sni = memmem(two, h[2].len, "hrr.test", 8);
	assert_non_null(sni);
	memcpy(sni, "evl.test", 8);
	const struct l7_seg changed[] = { h[0], h[1], { C, two, h[2].len, 2 }, h[3] };

	t = l7_run_all(D, &l7_tcp, changed, 4, &rc);
	expect(t, "TLS 0 client version=0304 cipher=0000 sni=evl.test alpn=h2\n"
		  "THREAT 0 tls BH-NET-TLS-SNI-CHANGE\n");
	assert_int_equal(rc, BH_NET_FEED_DONE);
	free(t);

	/* A second retry is not a TLS 1.3 server: malformed. */
	const struct l7_seg again[] = { h[0], h[1], h[2], h[1] };

	t = l7_run_all(D, &l7_tcp, again, 4, &rc);
	expect_no(t, "TLS 1 server");
	assert_int_equal(rc, BH_NET_FEED_MALFORMED);
	free(t);

	/* The client may not send application data after the retry, 0-RTT or
	 * not: given up on. */
	static const uint8_t appdata[] = { 23, 3, 3, 0, 4, 'd', 'a', 't', 'a' };
	const struct l7_seg data[] = { h[0], h[1], { C, appdata, sizeof(appdata), 2 } };

	t = l7_run_all(D, &l7_tcp, data, 3, &rc);
	assert_int_not_equal(rc, BH_NET_FEED_DONE);
	assert_int_not_equal(rc, BH_NET_FEED_MORE);
	free(t);
	free(h);
	free(blob);
}

static void test_probe(void **state)
{
	assert_int_equal(D->probe(&l7_tcp, C, (const uint8_t *)"\x16\x03", 2),
			 BH_NET_PROBE_NEED_MORE);
	assert_int_equal(D->probe(&l7_tcp, C, (const uint8_t *)"GET / HTTP/1.1", 14),
			 BH_NET_PROBE_NO);
	assert_int_equal(D->probe(&l7_tcp, C, (const uint8_t *)"\x16\x03\x01\x00\x50\x02", 6),
			 BH_NET_PROBE_NO); /* a ServerHello from the client */
	assert_int_equal(D->probe(&l7_tcp, C, (const uint8_t *)"\x16\x03\x09", 3), BH_NET_PROBE_NO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openssl_tls13),	 cmocka_unit_test(test_openssl_tls12),
		cmocka_unit_test(test_downgrade_tls10),	 cmocka_unit_test(test_heartbleed),
		cmocka_unit_test(test_fragmented_hello), cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_hello_retry),	 cmocka_unit_test(test_probe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
