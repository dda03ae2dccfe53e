/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The packet engine's decoder (link types, IPv4/IPv6, extension headers,
 * malformed packets) and IP fragment reassembly with its threats (out of
 * order, overlaps, ping of death, tiny fragments, bounds). Shared parts in
 * net_unit.h.
 */
#include <arpa/inet.h>

#include "unit.h"
#include "bulkhead/net.h"
#include "net/dissect.h"
#include "net/net_int.h"
#include "net_unit.h"
#include "banned.h"

/* ---- the decoder -------------------------------------------------------- */

static void test_decode_links(void **state)
{
	uint8_t f[256];
	const uint8_t *ip;
	size_t ipl, l4 = udp_hdr(P + 20, 53, 5353, "abcd", 4),
		    n = ip4(P, "1.2.3.4", "5.6.7.8", 17, 7, 0, l4);
	struct net_pkt pk;

	/* Ethernet with 802.1ad + 802.1Q (QinQ) */
	memset(f, 0, 12);
	f[12] = 0x88;
	f[13] = 0xa8;
	f[16] = 0x81;
	f[17] = 0x00;
	f[20] = 0x08;
	f[21] = 0x00;
	memcpy(f + 22, P, n);
	assert_int_equal(net_link_ip(BH_NET_LINK_ETHERNET, f, 22 + n, &ip, &ipl), 4);
	assert_int_equal(ipl, n);
	assert_int_equal(net_decode_ip(ip, ipl, &pk), NET_DEC_OK);
	assert_int_equal(pk.proto, 17);
	assert_int_equal(pk.sport, 53);
	assert_int_equal(pk.dport, 5353);
	assert_int_equal(pk.payload_len, 4);
	assert_memory_equal(pk.payload, "abcd", 4);
	/* four tags are too many; a frame cut inside the tags is malformed */
	for (int i = 0; i < 4; i++) {
		f[12 + 4 * i] = 0x81;
		f[13 + 4 * i] = 0x00;
	}
	assert_int_equal(net_link_ip(BH_NET_LINK_ETHERNET, f, 40, &ip, &ipl), -1);
	assert_int_equal(net_link_ip(BH_NET_LINK_ETHERNET, f, 15, &ip, &ipl), -1);
	/* ARP is not IP */
	f[12] = 0x08;
	f[13] = 0x06;
	assert_int_equal(net_link_ip(BH_NET_LINK_ETHERNET, f, 60, &ip, &ipl), 0);
	/* Linux cooked v1 and v2 */
	memset(f, 0, 20);
	f[14] = 0x08;
	memcpy(f + 16, P, n);
	assert_int_equal(net_link_ip(BH_NET_LINK_SLL, f, 16 + n, &ip, &ipl), 4);
	assert_ptr_equal(ip, f + 16);
	memset(f, 0, 20);
	f[0] = 0x08;
	memcpy(f + 20, P, n);
	assert_int_equal(net_link_ip(BH_NET_LINK_SLL2, f, 20 + n, &ip, &ipl), 4);
	assert_int_equal(net_link_ip(BH_NET_LINK_SLL2, f, 19, &ip, &ipl), -1);
	/* BSD loopback in either byte order, OpenBSD loop */
	f[0] = 2;
	f[1] = f[2] = f[3] = 0;
	memcpy(f + 4, P, n);
	assert_int_equal(net_link_ip(BH_NET_LINK_NULL, f, 4 + n, &ip, &ipl), 4);
	f[0] = 0;
	f[3] = 2;
	assert_int_equal(net_link_ip(BH_NET_LINK_NULL, f, 4 + n, &ip, &ipl), 4);
	assert_int_equal(net_link_ip(BH_NET_LINK_LOOP, f, 4 + n, &ip, &ipl), 4);
	assert_int_equal(net_link_ip(BH_NET_LINK_RAW, P, n, &ip, &ipl), 4);
	assert_int_equal(net_link_ip(BH_NET_LINK_IPV6, P, n, &ip, &ipl), -1);
	assert_int_equal(net_link_ip(9999, P, n, &ip, &ipl), 0);
}

static void test_decode_ip(void **state)
{
	uint8_t p[200];
	struct net_pkt pk;
	size_t l4 = tcp_hdr(P + 20, 80, 1000, 5, NET_TCP_SYN, NULL, 0),
	       n = ip4(P, "1.1.1.1", "2.2.2.2", 6, 1, 0, l4);

	assert_int_equal(net_decode_ip(P, n, &pk), NET_DEC_OK);
	assert_int_equal(pk.tcp_flags, NET_TCP_SYN);
	assert_int_equal(pk.ip_len, 40);
	/* truncated everywhere: never OK past the bytes there are */
	for (size_t k = 0; k < n; k++)
		assert_int_not_equal(net_decode_ip(P, k, &pk), NET_DEC_OK);
	/* IHL below 5, data offset below 5 */
	P[0] = 0x44;
	assert_int_equal(net_decode_ip(P, n, &pk), NET_DEC_MALFORMED);
	P[0] = 0x45;
	P[32] = 0x40;
	assert_int_equal(net_decode_ip(P, n, &pk), NET_DEC_MALFORMED);
	/* IPv4 options are skipped */
	n = ip4(p, "1.1.1.1", "2.2.2.2", 17, 1, 0, 4 + 8 + 3);
	p[0] = 0x46;
	memset(p + 20, 1, 4); /* NOPs */
	udp_hdr(p + 24, 1, 2, "xyz", 3);
	assert_int_equal(net_decode_ip(p, n, &pk), NET_DEC_OK);
	assert_int_equal(pk.dport, 2);
	/* IPv6: hop-by-hop, destination options, then UDP */
	memset(p, 0, 40);
	p[0] = 0x60;
	p[4] = 0;
	p[5] = 8 + 8 + 8 + 2;
	p[6] = 0; /* hop-by-hop */
	p[7] = 64;
	p[23] = 1;
	p[39] = 2;
	memset(p + 40, 0, 16);
	p[40] = 60; /* next: destination options */
	p[48] = 17;
	udp_hdr(p + 56, 9, 10, "hi", 2);
	assert_int_equal(net_decode_ip(p, 40 + 26, &pk), NET_DEC_OK);
	assert_int_equal(pk.ipver, 6);
	assert_int_equal(pk.proto, 17);
	assert_int_equal(pk.sport, 9);
	assert_int_equal(pk.payload_len, 2);
	/* a chain longer than the bound is refused */
	{
		uint8_t q[40 + 8 * 10 + 8];

		memset(q, 0, sizeof(q));
		q[0] = 0x60;
		q[5] = 8 * 10 + 8;
		q[6] = 60;
		for (int i = 0; i < 10; i++)
			q[40 + 8 * i] = 60;
		assert_int_equal(net_decode_ip(q, sizeof(q), &pk), NET_DEC_MALFORMED);
		/* an extension header running past the packet */
		q[6] = 0;
		q[41] = 200;
		assert_int_equal(net_decode_ip(q, sizeof(q), &pk), NET_DEC_MALFORMED);
	}
	/* ICMP echo: the identifier is the client's port */
	{
		uint8_t ic[8] = { 8, 0, 0, 0, 0x12, 0x34, 0, 1 };

		n = ip4(p, "1.1.1.1", "2.2.2.2", 1, 1, 0, 8);
		memcpy(p + 20, ic, 8);
		assert_int_equal(net_decode_ip(p, n, &pk), NET_DEC_OK);
		assert_int_equal(pk.sport, 0x1234);
		assert_int_equal(pk.icmp_type, 8);
	}
}

/* ---- fragments ------------------------------------------------------------ */

static void frag4(struct bh_net_engine *e, double ts, uint16_t id, uint32_t off, bool more,
		  const uint8_t *data, size_t n, uint8_t proto)
{
	ip4(P, "10.1.1.1", "10.1.1.2", proto, id, (uint16_t)((more ? 0x2000 : 0) | (off / 8)), n);
	memcpy(P + 20, data, n);
	bh_net_engine_packet(e, P, 20 + n, BH_NET_LINK_RAW, ts, NULL);
}

static void test_fragments(void **state)
{
	struct bh_net_engine *e = engine(NULL);
	struct bh_net_stats st;
	uint8_t d[64];
	size_t l = udp_hdr(d, 4000, 7777, "TEST fragmented payload!", 24); /* 32 bytes */

	/* out of order: the second half first */
	frag4(e, 1, 42, 16, false, d + 16, l - 16, 17);
	frag4(e, 1, 42, 0, true, d, 16, 17);
	bh_net_engine_flush(e);
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.fragments, 2);
	assert_int_equal(st.reassembled, 1);
	assert_int_equal(nrecs, 1);
	assert_string_equal(recs[0].app, "test");
	assert_string_equal(recs[0].threats, "");
	assert_int_equal(fed[0].len, 24);
	assert_memory_equal(fed[0].data, "TEST fragmented payload!", 24);
	bh_net_engine_free(e);

	/* an overlap with other bytes: reported, the first fragment's bytes win */
	setup(NULL);
	e = engine(NULL);
	frag4(e, 1, 43, 0, true, d, 16, 17);
	{
		uint8_t evil[16];

		memcpy(evil, d + 8, 16);
		memcpy(evil + 8 - 8, "XXXX", 4); /* differs in bytes 8..11 of the datagram */
		frag4(e, 1, 43, 8, true, evil, 16, 17);
	}
	frag4(e, 1, 43, 24, false, d + 24, l - 24, 17);
	bh_net_engine_flush(e);
	assert_int_equal(nrecs, 1);
	assert_string_equal(recs[0].threats, "BH-NET-FRAG-OVERLAP");
	assert_memory_equal(fed[0].data, "TEST fragmented payload!", 24);
	bh_net_engine_free(e);

	/* the same overlap with the same bytes is no threat */
	setup(NULL);
	e = engine(NULL);
	frag4(e, 1, 44, 0, true, d, 16, 17);
	frag4(e, 1, 44, 8, true, d + 8, 16, 17);
	frag4(e, 1, 44, 24, false, d + 24, l - 24, 17);
	bh_net_engine_flush(e);
	assert_int_equal(nrecs, 1);
	assert_string_equal(recs[0].threats, "");
	bh_net_engine_free(e);

	/* ping of death: a last fragment ending past 65535 */
	setup(NULL);
	e = engine(NULL);
	{
		uint8_t ping[1480] = { 8, 0 };

		frag4(e, 1, 45, 0, true, ping, 1480, 1);
		frag4(e, 1, 45, 65520, false, ping, 100, 1);
	}
	bh_net_engine_flush(e);
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.reassembled, 0);
	assert_int_equal(nrecs, 1);
	assert_string_equal(recs[0].l4, "icmp");
	assert_string_equal(recs[0].threats, "BH-NET-FRAG-PING-OF-DEATH");
	bh_net_engine_free(e);

	/* a tiny first TCP fragment (8 bytes: the flags are in the next one) */
	setup(NULL);
	e = engine(NULL);
	{
		uint8_t t[40];

		tcp_hdr(t, 5555, 80, 1, NET_TCP_SYN, NULL, 0);
		frag4(e, 1, 46, 0, true, t, 8, 6);
		frag4(e, 1, 46, 8, false, t + 8, 12, 6);
	}
	bh_net_engine_flush(e);
	assert_int_equal(nrecs, 1);
	assert_string_equal(recs[0].l4, "tcp");
	assert_string_equal(recs[0].threats, "BH-NET-FRAG-TINY");
	bh_net_engine_free(e);
}

/* An IPv6 fragment of fd00::1 -> fd00::2: offset in bytes, `more`, next header 17. */
static void frag6(struct bh_net_engine *e, uint32_t id, uint32_t off, bool more,
		  const uint8_t *data, size_t n)
{
	size_t plen = 8 + n;

	memset(P, 0, 48);
	P[0] = 0x60;
	P[4] = (uint8_t)(plen >> 8);
	P[5] = (uint8_t)plen;
	P[6] = 44;
	P[7] = 64;
	P[8] = 0xfd;
	P[23] = 1;
	P[24] = 0xfd;
	P[39] = 2;
	P[40] = 17;
	P[42] = (uint8_t)((off >> 8) & 0xff);
	P[43] = (uint8_t)((off & 0xf8) | (more ? 1 : 0));
	P[44] = (uint8_t)(id >> 24);
	P[47] = (uint8_t)id;
	memcpy(P + 48, data, n);
	bh_net_engine_packet(e, P, 48 + n, BH_NET_LINK_RAW, 1, NULL);
}

static void test_fragments_ipv6(void **state)
{
	struct bh_net_engine *e = engine(NULL);
	struct bh_net_stats st;
	uint8_t d[64];
	size_t l = udp_hdr(d, 4000, 7777, "TEST six, in pieces......", 25); /* 33 bytes */

	frag6(e, 9, 16, false, d + 16, l - 16);
	frag6(e, 9, 8, true, d + 8, 8);
	frag6(e, 9, 0, true, d, 8);
	bh_net_engine_flush(e);
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.reassembled, 1);
	assert_int_equal(nrecs, 1);
	assert_string_equal(recs[0].src, "[fd00::1]:4000");
	assert_string_equal(recs[0].app, "test");
	assert_int_equal(recs[0].bytes[0], 40 + l);
	assert_memory_equal(fed[0].data, "TEST six, in pieces......", 25);
	bh_net_engine_free(e);
}

static void test_fragment_bounds(void **state)
{
	struct bh_net_opts o = { .max_frag_datagrams = 4, .frag_timeout = 2 };
	struct bh_net_engine *e = engine(&o);
	struct bh_net_stats st;
	uint8_t d[16] = { 0 };

	/* 10 unfinished datagrams in a table of 4: the oldest are given up */
	for (uint16_t i = 0; i < 10; i++)
		frag4(e, 1, i, 0, true, d, 16, 17);
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.frag_dropped, 6);
	/* time passes: the rest time out at the next fragment */
	frag4(e, 10, 100, 0, true, d, 16, 17);
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.frag_dropped, 10);
	bh_net_engine_free(e);

	/* the bytes held are bounded: with room for one datagram of 16 bytes only */
	{
		struct net_frag_limits lim = { 8, 60, 4, 30 };
		struct net_frag_table *t = net_frag_new(&lim);
		struct net_pkt pk = { .ipver = 4, .frag_proto = 17, .frag_more = true };
		const uint8_t *out;
		size_t ol;
		unsigned th;
		uint64_t dropped = 0;

		pk.frag_data = d;
		pk.frag_len = 16;
		for (uint32_t i = 0; i < 5; i++) {
			pk.frag_id = i;
			net_frag_add(t, &pk, 1, &out, &ol, &th, &dropped);
			assert_true(net_frag_bytes(t) <= 60);
		}
		assert_true(net_frag_count(t) < 5);
		/* fragments per datagram are bounded */
		pk.frag_id = 99;
		for (uint32_t i = 0; i < 6; i++) {
			pk.frag_off = 16 * i;
			(void)net_frag_add(t, &pk, 1, &out, &ol, &th, &dropped);
		}
		pk.frag_off = 16 * 6;
		assert_int_equal(net_frag_add(t, &pk, 1, &out, &ol, &th, &dropped), -1);
		net_frag_free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_decode_links, setup),
		cmocka_unit_test_setup(test_decode_ip, setup),
		cmocka_unit_test_setup(test_fragments, setup),
		cmocka_unit_test_setup(test_fragments_ipv6, setup),
		cmocka_unit_test_setup(test_fragment_bounds, setup),
	};
	int rc = cmocka_run_group_tests_name("net decode", tests, NULL, NULL);

	bh_buf_release(&fed[0]);
	bh_buf_release(&fed[1]);
	return rc;
}
