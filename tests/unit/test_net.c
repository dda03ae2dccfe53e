/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The packet engine: the decoder (link types, IPv4/IPv6, extension headers,
 * malformed packets), IP fragment reassembly and its threats, TCP
 * reassembly (split, out of order, overlaps, retransmissions, gaps), the
 * dissector contract through a test-only dissector (probing across
 * segments, the port hint, feeding in order, gaps as NULL, fini once), flow
 * table bounds and timeouts, flood meters, and the pcap/pcapng reader on
 * good and hostile files.
 */
#include <arpa/inet.h>

#include "unit.h"
#include "bulkhead/net.h"
#include "net/dissect.h"
#include "net/net_int.h"
#include "banned.h"

/* ---- a test-only dissector ---------------------------------------------- */

static struct bh_buf fed[2];
static int fini_calls, probe_calls;

struct tstate {
	int calls;
};

static enum bh_net_probe t_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				 const uint8_t *buf, size_t len)
{
	probe_calls++;
	if (dir == BH_NET_TO_CLIENT) /* the client speaks first */
		return BH_NET_PROBE_NEED_MORE;
	if (len >= 4)
		return memcmp(buf, "TEST", 4) ? BH_NET_PROBE_NO : BH_NET_PROBE_YES;
	return memcmp(buf, "TEST", len) ? BH_NET_PROBE_NO : BH_NET_PROBE_NEED_MORE;
}

static enum bh_net_feed t_feed(void *state, enum bh_net_dir dir, const uint8_t *data, size_t len,
			       const struct bh_net_dissect_ctx *ctx)
{
	struct tstate *s = state;

	if (s->calls++ == 0) {
		struct bh_net_rec r = { .kind = BH_NET_REC_HTTP_REQUEST,
					.dir = dir,
					.app = "test" };

		r.u.http.host.p = "example.test";
		r.u.http.host.len = 12;
		ctx->emit(ctx->opaque, &r);
	}
	if (!data)
		bh_buf_addf(&fed[dir], NULL, "<gap %zu>", len);
	else
		bh_buf_add(&fed[dir], data, len, NULL);
	return BH_NET_FEED_MORE;
}

static void t_fini(void *state)
{
	fini_calls++;
}

static const uint16_t t_ports[] = { 7777, 0 };
static const struct bh_net_dissector t_dissector = {
	"test",	 BH_NET_L4_TCP | BH_NET_L4_UDP,
	t_ports, sizeof(struct tstate),
	t_probe, t_feed,
	t_fini,	 NULL,
};

/* says MAYBE to anything: its port decides */
static enum bh_net_probe m_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				 const uint8_t *buf, size_t len)
{
	return BH_NET_PROBE_MAYBE;
}

static const uint16_t m_ports[] = { 9999, 0 };
static const struct bh_net_dissector m_dissector = {
	"maybe", BH_NET_L4_UDP, m_ports, sizeof(struct tstate), m_probe, t_feed, t_fini, NULL,
};

static const struct bh_net_dissector *const test_table[] = { &t_dissector, &m_dissector, NULL };

/* ---- flow records kept ---------------------------------------------------- */

struct rec {
	char l4[8], app[16], host[64], threats[256], src[64], dlp[256];
	uint64_t packets[2], bytes[2];
	int end;
};

static struct rec recs[64];
static size_t nrecs;
static size_t n_syn_flood; /* every flow flagged, past the 64 kept */

static void keep_flow(const struct bh_net_flow_record *r, void *arg)
{
	struct rec *k;
	json_t *j;

	for (size_t i = 0; i < r->n_threats; i++)
		n_syn_flood += !strcmp(r->threats[i].id, "BH-NET-SYN-FLOOD");
	if (nrecs == 64)
		return;
	k = &recs[nrecs++];
	memset(k, 0, sizeof(*k));
	snprintf(k->l4, sizeof(k->l4), "%s", r->l4);
	snprintf(k->app, sizeof(k->app), "%s", r->app);
	snprintf(k->host, sizeof(k->host), "%s", r->host ? r->host : "");
	for (size_t i = 0; i < r->n_threats; i++) {
		size_t l = strlen(k->threats);

		snprintf(k->threats + l, sizeof(k->threats) - l, "%s%s", l ? "," : "",
			 r->threats[i].id);
	}
	for (size_t i = 0; i < r->n_dlp; i++) {
		size_t l = strlen(k->dlp);

		snprintf(k->dlp + l, sizeof(k->dlp) - l, "%s%s %s %d %llu", l ? "," : "",
			 r->dlp[i].type, r->dlp[i].masked, r->dlp[i].dir,
			 (unsigned long long)r->dlp[i].offset);
	}
	memcpy(k->packets, r->packets, sizeof(k->packets));
	memcpy(k->bytes, r->bytes, sizeof(k->bytes));
	k->end = r->end;
	j = bh_net_flow_to_json(r);
	snprintf(k->src, sizeof(k->src), "%s", json_string_value(json_object_get(j, "src")));
	json_decref(j);
}

static int setup(void **state)
{
	nrecs = n_syn_flood = 0;
	fini_calls = probe_calls = 0;
	for (int d = 0; d < 2; d++) {
		bh_buf_release(&fed[d]);
		bh_buf_init(&fed[d], 1 << 20);
	}
	return 0;
}

static struct bh_net_engine *engine(struct bh_net_opts *o)
{
	struct bh_net_engine *e = NULL;
	struct bh_net_opts def = { 0 };

	if (!o)
		o = &def;
	o->on_flow = keep_flow;
	if (!o->dissectors)
		o->dissectors = test_table;
	assert_int_equal(bh_net_engine_new(o, &e, NULL), 0);
	return e;
}

/* ---- packet building ---------------------------------------------------- */

static uint8_t P[70000];

static size_t ip4(uint8_t *p, const char *src, const char *dst, uint8_t proto, uint16_t id,
		  uint16_t frag, size_t l4len)
{
	size_t tot = 20 + l4len;

	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[4] = (uint8_t)(id >> 8);
	p[5] = (uint8_t)id;
	p[6] = (uint8_t)(frag >> 8);
	p[7] = (uint8_t)frag;
	p[8] = 64;
	p[9] = proto;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	return tot;
}

static size_t tcp_hdr(uint8_t *p, uint16_t sp, uint16_t dp, uint32_t seq, uint8_t flags,
		      const void *data, size_t n)
{
	memset(p, 0, 20);
	p[0] = (uint8_t)(sp >> 8);
	p[1] = (uint8_t)sp;
	p[2] = (uint8_t)(dp >> 8);
	p[3] = (uint8_t)dp;
	p[4] = (uint8_t)(seq >> 24);
	p[5] = (uint8_t)(seq >> 16);
	p[6] = (uint8_t)(seq >> 8);
	p[7] = (uint8_t)seq;
	p[12] = 5 << 4;
	p[13] = flags;
	if (n)
		memcpy(p + 20, data, n);
	return 20 + n;
}

static size_t udp_hdr(uint8_t *p, uint16_t sp, uint16_t dp, const void *data, size_t n)
{
	size_t l = 8 + n;

	p[0] = (uint8_t)(sp >> 8);
	p[1] = (uint8_t)sp;
	p[2] = (uint8_t)(dp >> 8);
	p[3] = (uint8_t)dp;
	p[4] = (uint8_t)(l >> 8);
	p[5] = (uint8_t)l;
	p[6] = p[7] = 0;
	if (n)
		memcpy(p + 8, data, n);
	return l;
}

/* A TCP segment from c(lient) or s(erver) of 10.0.0.1:1234 <-> 10.0.0.2:7777. */
static void seg(struct bh_net_engine *e, double ts, bool from_client, uint32_t seq, uint8_t flags,
		const char *data)
{
	size_t n = data ? strlen(data) : 0, l4;

	l4 = tcp_hdr(P + 20, from_client ? 1234 : 7777, from_client ? 7777 : 1234, seq, flags, data,
		     n);
	ip4(P, from_client ? "10.0.0.1" : "10.0.0.2", from_client ? "10.0.0.2" : "10.0.0.1", 6, 1,
	    0, l4);
	bh_net_engine_packet(e, P, 20 + l4, BH_NET_LINK_RAW, ts, NULL);
}

static void udp4(struct bh_net_engine *e, double ts, const char *src, uint16_t sp, const char *dst,
		 uint16_t dp, const char *data)
{
	size_t l4 = udp_hdr(P + 20, sp, dp, data, strlen(data));

	ip4(P, src, dst, 17, 1, 0, l4);
	bh_net_engine_packet(e, P, 20 + l4, BH_NET_LINK_RAW, ts, NULL);
}

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

/* ---- TCP and the dissector contract --------------------------------------- */

static void handshake(struct bh_net_engine *e)
{
	seg(e, 1.0, true, 99, NET_TCP_SYN, NULL);
	seg(e, 1.0, false, 499, NET_TCP_SYN | NET_TCP_ACK, NULL);
	seg(e, 1.0, true, 100, NET_TCP_ACK, NULL);
}

static void test_tcp_split_probe(void **state)
{
	struct bh_net_engine *e = engine(NULL);

	handshake(e);
	/* "TE" is not enough to say: the probe needs more, then says yes */
	seg(e, 1.1, true, 100, NET_TCP_ACK, "TE");
	seg(e, 1.2, false, 500, NET_TCP_ACK, "srv1 ");
	seg(e, 1.3, true, 102, NET_TCP_ACK, "ST one");
	seg(e, 1.4, false, 505, NET_TCP_ACK, "srv2");
	seg(e, 1.5, true, 108, NET_TCP_FIN | NET_TCP_ACK, NULL);
	seg(e, 1.5, false, 509, NET_TCP_FIN | NET_TCP_ACK, NULL);
	assert_int_equal(nrecs, 0);
	/* closed flows end after tcp_closed */
	bh_net_engine_tick(e, 100);
	assert_int_equal(nrecs, 1);
	assert_int_equal(recs[0].end, BH_NET_END_CLOSED);
	assert_string_equal(recs[0].app, "test");
	assert_string_equal(recs[0].host, "example.test");
	assert_string_equal(recs[0].src, "10.0.0.1:1234");
	assert_int_equal(recs[0].packets[0], 5);
	assert_int_equal(recs[0].packets[1], 4);
	assert_int_equal(recs[0].bytes[0], 5 * 40 + 8);
	assert_string_equal(fed[0].data, "TEST one");
	assert_string_equal(fed[1].data, "srv1 srv2");
	assert_int_equal(fini_calls, 1);
	bh_net_engine_free(e);
}

static void test_tcp_ooo_overlap_retransmit(void **state)
{
	struct bh_net_engine *e = engine(NULL);

	handshake(e);
	seg(e, 1.1, true, 110, NET_TCP_ACK, "klmnopqrst"); /* 110..119, ahead */
	seg(e, 1.2, true, 105, NET_TCP_ACK, "fghijKLMNO"); /* 105..114: overlap, differs */
	seg(e, 1.3, true, 100, NET_TCP_ACK, "TESTe");	   /* the start */
	seg(e, 1.4, true, 100, NET_TCP_ACK, "TESTe");	   /* a retransmission */
	seg(e, 1.5, true, 120, NET_TCP_ACK, "u");
	bh_net_engine_flush(e);
	assert_int_equal(nrecs, 1);
	assert_string_equal(fed[0].data, "TESTefghijklmnopqrstu");
	assert_string_equal(recs[0].threats, "BH-NET-TCP-OVERLAP");
	assert_int_equal(fini_calls, 1);
	bh_net_engine_free(e);

	/* the same overlap with the same bytes is no threat */
	setup(NULL);
	e = engine(NULL);
	handshake(e);
	seg(e, 1.1, true, 110, NET_TCP_ACK, "klmno");
	seg(e, 1.2, true, 104, NET_TCP_ACK, "efghijklm");
	seg(e, 1.3, true, 100, NET_TCP_ACK, "TEST");
	bh_net_engine_flush(e);
	assert_string_equal(fed[0].data, "TESTefghijklmno");
	assert_string_equal(recs[0].threats, "");
	bh_net_engine_free(e);
}

static void test_tcp_gaps(void **state)
{
	struct bh_net_opts o = { .gap_timeout = 1, .max_ooo_bytes = 64 };
	struct bh_net_engine *e = engine(&o);
	struct bh_net_stats st;
	char big[41];

	handshake(e);
	seg(e, 1.1, true, 100, NET_TCP_ACK, "TEST");
	seg(e, 1.2, true, 110, NET_TCP_ACK, "after"); /* 104..109 lost */
	assert_string_equal(fed[0].data, "TEST");
	/* the hole outlives gap_timeout: the next segment makes it a gap */
	seg(e, 3.0, true, 115, NET_TCP_ACK, "more");
	assert_string_equal(fed[0].data, "TEST<gap 6>aftermore");
	/* held bytes over the bound: the hole is given up at once */
	memset(big, 'x', 40);
	big[40] = 0;
	seg(e, 3.1, true, 129, NET_TCP_ACK, big); /* 119..128 lost */
	seg(e, 3.1, true, 169, NET_TCP_ACK, big);
	assert_memory_equal(fed[0].data + 20, "<gap 10>xxx", 11);
	bh_net_engine_flush(e);
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.tcp_gaps, 16);
	assert_int_equal(fed[0].len, 20 + 8 + 80);
	assert_int_equal(fini_calls, 1);
	bh_net_engine_free(e);

	/* the bytes held by all flows together are bounded too */
	setup(NULL);
	o = (struct bh_net_opts){ .max_held_bytes = 16 };
	e = engine(&o);
	handshake(e);
	seg(e, 1.1, true, 100, NET_TCP_ACK, "TEST");
	seg(e, 1.2, true, 110, NET_TCP_ACK, "0123456789"); /* held: 10 */
	seg(e, 1.3, true, 130, NET_TCP_ACK, "abcdefghij"); /* 20 > 16: the first hole goes */
	assert_string_equal(fed[0].data, "TEST<gap 6>0123456789");
	bh_net_engine_flush(e);
	assert_string_equal(fed[0].data, "TEST<gap 6>0123456789<gap 10>abcdefghij");
	bh_net_engine_free(e);

	/* a gap before the protocol is known: decided with what came (unknown) */
	setup(NULL);
	o = (struct bh_net_opts){ .gap_timeout = 1, .max_ooo_bytes = 64 };
	e = engine(&o);
	handshake(e);
	seg(e, 1.1, true, 100, NET_TCP_ACK, "TE");
	seg(e, 1.1, true, 110, NET_TCP_ACK, "xx");
	bh_net_engine_flush(e);
	assert_string_equal(recs[0].app, "unknown");
	assert_int_equal(fini_calls, 0);
	bh_net_engine_free(e);
}

static void test_udp_probe_and_hint(void **state)
{
	struct bh_net_engine *e = engine(NULL);

	/* "TEST" says yes: fed one datagram per call */
	udp4(e, 1, "10.0.0.1", 5000, "10.0.0.2", 53, "TEST a");
	udp4(e, 1, "10.0.0.2", 53, "10.0.0.1", 5000, "reply");
	/* nothing says yes: the MAYBE dissector wins on its port */
	udp4(e, 1, "10.0.0.1", 5001, "10.0.0.2", 9999, "xyz");
	/* ... and not on another port */
	udp4(e, 1, "10.0.0.1", 5002, "10.0.0.2", 9998, "xyz");
	bh_net_engine_flush(e);
	assert_int_equal(nrecs, 3);
	assert_string_equal(recs[0].app, "test");
	assert_string_equal(recs[0].l4, "udp");
	assert_int_equal(recs[0].packets[1], 1);
	assert_string_equal(recs[1].app, "maybe");
	assert_string_equal(recs[2].app, "unknown");
	assert_memory_equal(fed[0].data, "TEST axyz", 9);
	assert_string_equal(fed[1].data, "reply");
	assert_int_equal(fini_calls, 2);
	bh_net_engine_free(e);
}

/* ---- flows, bounds, meters -------------------------------------------------- */

static void test_flow_bounds(void **state)
{
	struct bh_net_opts o = { .max_flows = 4, .udp_idle = 5 };
	struct bh_net_engine *e = engine(&o);
	struct bh_net_stats st;
	char src[32];

	for (int i = 0; i < 10; i++) {
		snprintf(src, sizeof(src), "10.9.0.%d", i + 1);
		udp4(e, 1 + i * 0.1, src, 1000, "10.9.9.9", 2000, "x");
	}
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.flows, 10);
	assert_int_equal(st.flows_evicted, 6);
	assert_int_equal(st.flows_active, 4);
	assert_int_equal(nrecs, 6);
	assert_int_equal(recs[0].end, BH_NET_END_EVICTED);
	assert_string_equal(recs[0].src, "10.9.0.1:1000"); /* the oldest went first */
	/* idle: a packet much later ends the others */
	udp4(e, 100, "10.9.0.99", 1, "10.9.9.9", 2, "x");
	assert_int_equal(nrecs, 10);
	assert_int_equal(recs[9].end, BH_NET_END_IDLE);
	bh_net_engine_free(e); /* the open flow is freed without a record */
	assert_int_equal(nrecs, 10);
}

/* UDP: 8 datagrams in a second to one address are a flood past 5, on the
 * flow that carries them; 5 spread over two seconds to another are not. */
static void test_udp_flood(void **state)
{
	struct bh_net_opts o = { .udp_rate = 5, .conn_rate = 1000000 };
	struct bh_net_engine *e = engine(&o);

	(void)state;
	for (int i = 0; i < 8; i++)
		udp4(e, 1 + i * 0.01, "10.8.0.1", 5000, "10.8.8.8", 9, "x");
	for (int i = 0; i < 5; i++)
		udp4(e, 3 + i * 0.4, "10.8.0.2", 5000, "10.8.8.9", 9, "x");
	bh_net_engine_flush(e);
	assert_int_equal(nrecs, 2);
	for (size_t i = 0; i < nrecs; i++)
		assert_string_equal(recs[i].threats,
				    recs[i].packets[0] == 8 ? "BH-NET-UDP-FLOOD" : "");
	bh_net_engine_free(e);
}

static void test_floods(void **state)
{
	struct bh_net_opts o = { .syn_rate = 10, .conn_rate = 1000000, .icmp_rate = 5 };
	struct bh_net_engine *e = engine(&o);
	char src[32];
	size_t flagged = 0;

	/* 20 SYNs to one address within a second: the 11th on are a flood */
	for (int i = 0; i < 20; i++) {
		size_t l4 = tcp_hdr(P + 20, (uint16_t)(1000 + i), 80, 1, NET_TCP_SYN, NULL, 0);

		snprintf(src, sizeof(src), "10.8.0.%d", i + 1);
		ip4(P, src, "10.8.8.8", 6, 1, 0, l4);
		bh_net_engine_packet(e, P, 20 + l4, BH_NET_LINK_RAW, 1 + i * 0.01, NULL);
	}
	/* a slow trickle to another address is no flood */
	for (int i = 0; i < 20; i++) {
		size_t l4 = tcp_hdr(P + 20, (uint16_t)(3000 + i), 80, 1, NET_TCP_SYN, NULL, 0);

		ip4(P, "10.8.0.200", "10.8.8.9", 6, 1, 0, l4);
		bh_net_engine_packet(e, P, 20 + l4, BH_NET_LINK_RAW, 2 + i * 0.5, NULL);
	}
	/* ICMP: 8 echoes in a second */
	for (int i = 0; i < 8; i++) {
		uint8_t ic[8] = { 8, 0, 0, 0, 0, 1, 0, (uint8_t)i };

		ip4(P, "10.8.0.50", "10.8.8.10", 1, 1, 0, 8);
		memcpy(P + 20, ic, 8);
		bh_net_engine_packet(e, P, 28, BH_NET_LINK_RAW, 20 + i * 0.01, NULL);
	}
	bh_net_engine_flush(e);
	for (size_t i = 0; i < nrecs; i++) {
		if (strstr(recs[i].threats, "BH-NET-SYN-FLOOD")) {
			flagged++;
			assert_string_equal(recs[i].l4, "tcp");
		}
	}
	assert_int_equal(flagged, 10);
	assert_string_equal(recs[nrecs - 1].l4, "icmp");
	assert_string_equal(recs[nrecs - 1].threats, "BH-NET-ICMP-FLOOD");
	bh_net_engine_free(e);

	/* a flood from 5000 sources: each new source's flow meter lands in some
	 * bucket, many in the target's; none may restart the target's SYN meter */
	setup(NULL);
	o = (struct bh_net_opts){ .syn_rate = 100, .conn_rate = 1000000, .max_flows = 8192 };
	e = engine(&o);
	for (int i = 0; i < 5000; i++) {
		size_t l4 = tcp_hdr(P + 20, 40000, 443, 1, NET_TCP_SYN, NULL, 0);

		snprintf(src, sizeof(src), "10.%d.%d.%d", 100 + i / 65536, (i / 256) % 256,
			 i % 256);
		ip4(P, src, "10.9.9.9", 6, 1, 0, l4);
		bh_net_engine_packet(e, P, 20 + l4, BH_NET_LINK_RAW, 5 + i * 0.0001, NULL);
	}
	bh_net_engine_flush(e);
	assert_int_equal(n_syn_flood, 4900);
	bh_net_engine_free(e);

	/* connections from one source */
	setup(NULL);
	o = (struct bh_net_opts){ .conn_rate = 5 };
	e = engine(&o);
	for (int i = 0; i < 8; i++)
		udp4(e, 1 + i * 0.01, "10.7.0.1", (uint16_t)(1000 + i), "10.7.0.2", 9, "x");
	bh_net_engine_flush(e);
	flagged = 0;
	for (size_t i = 0; i < nrecs; i++)
		flagged += strstr(recs[i].threats, "BH-NET-CONN-FLOOD") != NULL;
	assert_int_equal(flagged, 3);
	bh_net_engine_free(e);
}

/* ---- pcap and pcapng ---------------------------------------------------- */

static size_t put32(uint8_t *p, uint32_t v, bool swap)
{
	if (swap)
		v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
	return 4;
}

static size_t put16(uint8_t *p, uint16_t v, bool swap)
{
	if (swap)
		v = __builtin_bswap16(v);
	memcpy(p, &v, 2);
	return 2;
}

/* a pcap of n copies of (pkt, len) */
static size_t mk_pcap(uint8_t *f, bool swap, bool nano, uint32_t linktype, const uint8_t *pkt,
		      size_t len, int n)
{
	size_t o = 0;

	o += put32(f + o, nano ? 0xa1b23c4d : 0xa1b2c3d4, swap);
	o += put16(f + o, 2, swap);
	o += put16(f + o, 4, swap);
	o += put32(f + o, 0, swap);
	o += put32(f + o, 0, swap);
	o += put32(f + o, 65535, swap);
	o += put32(f + o, linktype, swap);
	for (int i = 0; i < n; i++) {
		o += put32(f + o, 100 + (uint32_t)i, swap);
		o += put32(f + o, nano ? 500000000 : 500000, swap);
		o += put32(f + o, (uint32_t)len, swap);
		o += put32(f + o, (uint32_t)len, swap);
		memcpy(f + o, pkt, len);
		o += len;
	}
	return o;
}

static int count_pkts(const uint8_t *f, size_t n, double *ts, int *lt, struct bh_error **err)
{
	struct bh_net_pcap *r = NULL;
	struct bh_net_pcap_pkt pkt;
	int k, c = 0;

	if (bh_net_pcap_open_mem(f, n, "t", &r, err) < 0)
		return -1;
	while ((k = bh_net_pcap_next(r, &pkt, err)) > 0) {
		if (ts)
			*ts = pkt.ts;
		if (lt)
			lt[c] = pkt.linktype;
		c++;
	}
	bh_net_pcap_free(r);
	return k < 0 ? -1 : c;
}

static void test_pcap(void **state)
{
	static uint8_t f[4096];
	struct bh_error *err = NULL;
	size_t l4 = udp_hdr(P + 20, 1, 2, "abc", 3), n = ip4(P, "1.1.1.1", "2.2.2.2", 17, 1, 0, l4);
	size_t fl;
	double ts = 0;

	for (int sw = 0; sw < 2; sw++)
		for (int nano = 0; nano < 2; nano++) {
			fl = mk_pcap(f, sw, nano, 101, P, n, 3);
			assert_int_equal(count_pkts(f, fl, &ts, NULL, NULL), 3);
			assert_true(ts > 102.49 && ts < 102.51);
		}
	/* hostile: wrong magic, short header, truncated record, huge length */
	fl = mk_pcap(f, false, false, 101, P, n, 2);
	assert_int_equal(count_pkts((const uint8_t *)"GIF89a...", 9, NULL, NULL, &err), -1);
	assert_error(err, BH_ERR_INVALID, "not a pcap or pcapng file");
	bh_error_clear(&err);
	assert_int_equal(count_pkts(f, 10, NULL, NULL, &err), -1);
	assert_error(err, BH_ERR_INVALID, "file header truncated");
	bh_error_clear(&err);
	assert_int_equal(count_pkts(f, fl - 5, NULL, NULL, &err), -1);
	assert_error(err, BH_ERR_INVALID, "truncated");
	bh_error_clear(&err);
	assert_int_equal(count_pkts(f, 24 + 16 + n + 7, NULL, NULL, &err), -1);
	assert_error(err, BH_ERR_INVALID, "record header at offset");
	bh_error_clear(&err);
	put32(f + 24 + 16 + n + 8, 0x7fffffff, false);
	assert_int_equal(count_pkts(f, fl, NULL, NULL, &err), -1);
	{
		char want[64];

		snprintf(want, sizeof(want), "record at offset %zu", 24 + 16 + n);
		assert_error(err, BH_ERR_LIMIT, want);
	}
	bh_error_clear(&err);
}

static size_t ng_block(uint8_t *f, bool sw, uint32_t type, const uint8_t *body, size_t blen)
{
	size_t pad = (blen + 3) & ~(size_t)3, o = 0;
	uint32_t len = (uint32_t)(12 + pad);

	o += put32(f + o, type, sw);
	o += put32(f + o, len, sw);
	memset(f + o, 0, pad);
	memcpy(f + o, body, blen);
	o += pad;
	o += put32(f + o, len, sw);
	return o;
}

static size_t mk_pcapng(uint8_t *f, bool sw, const uint8_t *pkt, size_t len)
{
	uint8_t b[512];
	size_t o = 0, k;

	/* SHB */
	k = 0;
	k += put32(b + k, 0x1a2b3c4d, sw);
	k += put16(b + k, 1, sw);
	k += put16(b + k, 0, sw);
	k += put32(b + k, 0xffffffff, sw);
	k += put32(b + k, 0xffffffff, sw);
	o += ng_block(f + o, sw, 0x0a0d0d0a, b, k);
	/* IDB 0: Ethernet, nanoseconds (if_tsresol 9); IDB 1: raw */
	k = 0;
	k += put16(b + k, 1, sw);
	k += put16(b + k, 0, sw);
	k += put32(b + k, 65535, sw);
	k += put16(b + k, 9, sw);
	k += put16(b + k, 1, sw);
	b[k] = 9;
	k += 4;
	k += put16(b + k, 0, sw);
	k += put16(b + k, 0, sw);
	o += ng_block(f + o, sw, 1, b, k);
	k = 0;
	k += put16(b + k, 101, sw);
	k += put16(b + k, 0, sw);
	k += put32(b + k, 65535, sw);
	o += ng_block(f + o, sw, 1, b, k);
	/* an NRB to skip */
	o += ng_block(f + o, sw, 4, (const uint8_t *)"\0\0\0\0", 4);
	/* EPB on interface 1 at 3.000000001 s */
	k = 0;
	k += put32(b + k, 1, sw);
	k += put32(b + k, 0, sw);
	k += put32(b + k, 3000001, sw);
	k += put32(b + k, (uint32_t)len, sw);
	k += put32(b + k, (uint32_t)len, sw);
	memcpy(b + k, pkt, len);
	k += len;
	o += ng_block(f + o, sw, 6, b, k);
	/* SPB (interface 0) */
	k = 0;
	k += put32(b + k, (uint32_t)len, sw);
	memcpy(b + k, pkt, len);
	k += len;
	o += ng_block(f + o, sw, 3, b, k);
	return o;
}

static void test_pcapng(void **state)
{
	static uint8_t f[4096];
	struct bh_error *err = NULL;
	size_t l4 = udp_hdr(P + 20, 1, 2, "abc", 3), n = ip4(P, "1.1.1.1", "2.2.2.2", 17, 1, 0, l4);
	size_t fl;
	int lt[4];
	double ts;

	for (int sw = 0; sw < 2; sw++) {
		fl = mk_pcapng(f, sw, P, n);
		assert_int_equal(count_pkts(f, fl, &ts, lt, NULL), 2);
		assert_int_equal(lt[0], 101);
		assert_int_equal(lt[1], 1);
	}
	fl = mk_pcapng(f, false, P, n);
	/* truncated anywhere after the section header: an error, never a crash */
	for (size_t k = 29; k < fl; k += 3) {
		int c = count_pkts(f, k, NULL, NULL, &err);

		assert_true(c >= 0 ? err == NULL : err != NULL);
		bh_error_clear(&err);
	}
	/* a block length not a multiple of 4, a huge one, a wrong trailer */
	{
		static uint8_t g[4096];
		size_t epb = 28 + 32 + 20 + 16; /* SHB + IDB0 (with an option) + IDB1 + NRB */

		memcpy(g, f, fl);
		put32(g + epb + 4, 0x7ffffff0, false);
		assert_int_equal(count_pkts(g, fl, NULL, NULL, &err), -1);
		assert_error(err, BH_ERR_INVALID, "block at offset 96");
		bh_error_clear(&err);
		memcpy(g, f, fl);
		put32(g + epb + 4, 61, false);
		assert_int_equal(count_pkts(g, fl, NULL, NULL, &err), -1);
		assert_error(err, BH_ERR_INVALID, "length 61");
		bh_error_clear(&err);
		memcpy(g, f, fl);
		g[fl - 1] ^= 0x40;
		assert_int_equal(count_pkts(g, fl, NULL, NULL, &err), -1);
		assert_error(err, BH_ERR_INVALID, "trailing length");
		bh_error_clear(&err);
		/* a packet on an interface never described */
		memcpy(g, f, fl);
		put32(g + epb + 8, 7, false);
		assert_int_equal(count_pkts(g, fl, NULL, NULL, &err), -1);
		assert_error(err, BH_ERR_INVALID, "interface 7 not described");
		bh_error_clear(&err);
		/* a captured length over the block */
		memcpy(g, f, fl);
		put32(g + epb + 8 + 12, 5000, false);
		assert_int_equal(count_pkts(g, fl, NULL, NULL, &err), -1);
		assert_error(err, BH_ERR_INVALID, "captured length 5000");
		bh_error_clear(&err);
	}
}

/* ---- the matchers: SQL injection and data leaks ---------------------------- */

extern const struct bh_net_dissector bh_net_l7_http;
extern const struct bh_net_dissector bh_net_l7_http2;

/* records as on_record saw them: threat details, SQL statement types */
static char seen[2048];

static void keep_record(const struct bh_net_flow_record *f, const struct bh_net_rec *r, void *arg)
{
	size_t l = strlen(seen);

	if (r->kind == BH_NET_REC_THREAT)
		snprintf(seen + l, sizeof(seen) - l, "[%s %.*s]", r->u.threat.id,
			 (int)r->u.threat.detail.len, r->u.threat.detail.p);
	else if (r->kind == BH_NET_REC_SQL)
		snprintf(seen + l, sizeof(seen) - l, "[sql %s]",
			 r->u.sql.statement ? r->u.sql.statement : "NULL");
}

static const struct bh_net_dissector *const http_table[] = { &bh_net_l7_http, NULL };

/* One TCP connection carrying the client's pieces (each a segment), then
 * flushed, through an engine with these options (dissectors: table). */
static struct rec *conn_o(struct bh_net_opts *o, const struct bh_net_dissector *const *table,
			  const char *const *pieces)
{
	struct bh_net_engine *e;
	uint32_t seq = 100;

	o->dissectors = table;
	o->on_record = keep_record;
	e = engine(o);
	nrecs = 0;
	seen[0] = 0;
	handshake(e);
	for (size_t i = 0; pieces[i]; i++) {
		seg(e, 1.1 + i * 0.01, true, seq, NET_TCP_ACK, pieces[i]);
		seq += (uint32_t)strlen(pieces[i]);
	}
	bh_net_engine_flush(e);
	bh_net_engine_free(e);
	assert_int_equal(nrecs, 1);
	return &recs[0];
}

static struct rec *conn(const struct bh_net_dissector *const *table, const char *const *pieces)
{
	struct bh_net_opts o = { 0 };

	return conn_o(&o, table, pieces);
}

/*
 * A dissector that gives up while the probe window is replayed to it: "+"
 * lines, MALFORMED at a "!"; "slow" holds the decision (NEED_MORE) until the
 * window has 40 bytes, so three segments are in it. It says where it gave
 * up: the line holding the "!" (what follows in that segment is probed anew).
 */
static enum bh_net_probe g_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				 const uint8_t *buf, size_t len)
{
	return len && buf[0] == '+' ? BH_NET_PROBE_MAYBE : BH_NET_PROBE_NO;
}

static enum bh_net_feed g_feed(void *state, enum bh_net_dir dir, const uint8_t *data, size_t len,
			       const struct bh_net_dissect_ctx *ctx)
{
	const uint8_t *bang = data ? memchr(data, '!', len) : NULL;
	size_t line = 0;

	if (!bang)
		return BH_NET_FEED_MORE;
	for (size_t i = 0; data + i < bang; i++)
		if (data[i] == '\n')
			line = i + 1;
	return bh_net_feed_gave_up(ctx, line);
}

static enum bh_net_probe slow_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				    const uint8_t *buf, size_t len)
{
	return len && buf[0] == '+' && len < 40 ? BH_NET_PROBE_NEED_MORE : BH_NET_PROBE_NO;
}

static const struct bh_net_dissector g_dissector = {
	"gives-up", BH_NET_L4_TCP, t_ports, sizeof(struct tstate), g_probe, g_feed, NULL, NULL,
};
static const struct bh_net_dissector slow_dissector = {
	"slow", BH_NET_L4_TCP, NULL, sizeof(struct tstate), slow_probe, g_feed, NULL, NULL,
};
static const struct bh_net_dissector *const giveup_table[] = { &g_dissector, &slow_dissector,
							       &bh_net_l7_http, NULL };

static void test_giveup_in_probe_window(void **state)
{
	static const char sqli[] =
		"GET /item?id=1%27%20OR%20%271%27%3D%271 HTTP/1.1\r\nHost: a\r\n\r\n";
	struct rec *r;

	/* a valid line, garbage, then the injection: all in the window */
	r = conn(giveup_table, (const char *const[]){ "+OK\n", "!bad\n", sqli, NULL });
	assert_string_equal(r->app, "gives-up");
	assert_string_equal(r->threats, "BH-NET-SQLI");
	/* the same in one segment: probed anew from the "!" line's start, the
	 * request in the next segment identified */
	r = conn(giveup_table, (const char *const[]){ "+OK\n!bad\n", sqli, NULL });
	assert_string_equal(r->app, "gives-up");
	assert_string_equal(r->threats, "BH-NET-SQLI");
	/* the near-miss: no garbage, no give-up, nothing probed anew */
	r = conn(giveup_table, (const char *const[]){ "+OK\n", "+OK\n", sqli, NULL });
	assert_string_equal(r->threats, "");
}

/* ---- a give-up inside one chunk: from the byte the dissector did not accept -- */

/* A dissector by its app name, from the real table. */
static const struct bh_net_dissector *dissector(const char *app)
{
	for (size_t i = 0; bh_net_dissectors[i]; i++)
		if (!strcmp(bh_net_dissectors[i]->app, app))
			return bh_net_dissectors[i];
	fail_msg("no dissector %s", app);
	return NULL;
}

static void nop_emit(void *opaque, const struct bh_net_rec *rec)
{
	(void)opaque;
	(void)rec;
}

/*
 * Every dissector, fed one chunk holding a whole valid message of its
 * protocol then bytes it rejects, gives up saying it accepted exactly the
 * valid message (dissect.h); the same valid message alone is accepted.
 */
static void test_giveup_says_where(void **state)
{
	static const struct {
		const char *app;
		size_t vlen;
		const char *valid, *bad;
		size_t blen;
	} c[] = {
		{ "http", 27, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", "\x01\x02junk\n", 7 },
		{ "redis", 14, "*1\r\n$4\r\nPING\r\n", "\x01\x02junk\r\n", 8 },
		{ "postgresql", 18, "\0\0\0\x12\0\x03\0\0user\0bob\0\0", "\x01\0\0\0\x04", 5 },
		/* type byte 0x00 is none of protocol 3's */
		{ "postgresql", 18, "\0\0\0\x12\0\x03\0\0user\0bob\0\0", "\0\0\0\0\x04", 5 },
		/* SMTP: a line not ended, told at its first byte */
		{ "smtp", 8, "EHLO a\r\n",
		  "\x01"
		  "ba d",
		  5 },
		{ "ftp", 8, "USER a\r\n",
		  "\x01"
		  "ba d\r\n",
		  7 },
		{ "dns", 21,
		  "\0\x13\x12\x34\x01\0\0\x01\0\0\0\0\0\0\x01"
		  "a\0\0\x01\0\x01",
		  "\0\x05xxxxx", 7 },
		{ "tls", 8, "\x18\x03\x03\0\x03\x01\0\0", "\x01\x02\x03\x04\x05", 5 },
		{ "ssh", 11, "SSH-2.0-x\r\n", "\0\0\0\x01\0", 5 },
		{ "mysql", 13, "\x09\0\0\0\x03select 1", "\0\0\0\0", 4 },
		{ "kafka", 14, "\0\0\0\x0a\0\x03\0\x01\0\0\0\x07\xff\xff", "\0\0\0\x01", 4 },
		{ "mongodb", 16, "\x10\0\0\0\x01\0\0\0\0\0\0\0\xd7\x07\0\0", "\x01\0\0\0", 4 },
		{ "http2", 33, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0",
		  "\0\0\0\x09\0\0\0\0\x01", 9 },
	};
	struct bh_net_flow_info fl = { .l4 = BH_NET_L4_TCP,
				       .client_port = 40000,
				       .server_port = 1 };

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const struct bh_net_dissector *d = dissector(c[i].app);
		size_t used = SIZE_MAX, n = c[i].vlen + c[i].blen;
		struct bh_net_dissect_ctx ctx = { &fl, 1, nop_emit, NULL, &used, NULL, NULL };
		uint8_t *buf = bh_malloc(n);
		void *st = bh_calloc(1, d->state_size);
		enum bh_net_feed r;

		memcpy(buf, c[i].valid, c[i].vlen);
		memcpy(buf + c[i].vlen, c[i].bad, c[i].blen);
		/* the valid message alone: accepted */
		r = d->feed(st, BH_NET_TO_SERVER, buf, c[i].vlen, &ctx);
		if (r != BH_NET_FEED_MORE || used != SIZE_MAX)
			fail_msg("%s: the valid message: %d, used %zu", c[i].app, r, used);
		if (d->fini)
			d->fini(st);
		memset(st, 0, d->state_size);
		/* then the rejected bytes in the same chunk */
		r = d->feed(st, BH_NET_TO_SERVER, buf, n, &ctx);
		if (r != BH_NET_FEED_MALFORMED || used != c[i].vlen)
			fail_msg("%s: %d, used %zu (want %zu)", c[i].app, r, used, c[i].vlen);
		if (d->fini)
			d->fini(st);
		free(st);
		free(buf);
	}
}

/* A TCP segment of n bytes (any byte) from the client. */
static void seg_bin(struct bh_net_engine *e, double ts, uint32_t seq, const void *data, size_t n)
{
	size_t l4 = tcp_hdr(P + 20, 1234, 7777, seq, NET_TCP_ACK, data, n);

	ip4(P, "10.0.0.1", "10.0.0.2", 6, 1, 0, l4);
	bh_net_engine_packet(e, P, 20 + l4, BH_NET_LINK_RAW, ts, NULL);
}

/* One connection through the real dissectors: an HTTP request identifies
 * it, then one segment of n bytes; the flow's record. */
static struct rec *http_then(const void *data, size_t n)
{
	static const char first[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	struct bh_net_opts o = { .dissectors = bh_net_dissectors, .on_record = keep_record };
	struct bh_net_engine *e = engine(&o);

	nrecs = 0;
	seen[0] = 0;
	handshake(e);
	seg_bin(e, 1.1, 100, first, sizeof(first) - 1);
	seg_bin(e, 1.2, 100 + (uint32_t)(sizeof(first) - 1), data, n);
	bh_net_engine_flush(e);
	bh_net_engine_free(e);
	assert_int_equal(nrecs, 1);
	return &recs[0];
}

/*
 * Past the probe window, one segment holds a valid HTTP request, then bytes
 * that are not HTTP, then a payload: what follows the give-up is identified
 * from its first byte (the old engine probed the segment anew from its
 * start, where HTTP's request is: the payload passed unseen).
 */
static void test_giveup_mid_chunk(void **state)
{
	static const char req[] = "GET /b HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char q_bad[] = "SELECT * FROM users WHERE name = '' OR 1=1 -- '";
	static const char q_ok[] = "SELECT name FROM t WHERE id = 7";
	static const char card[] = "\x01\x02junk card 4111 1111 1111 1111 end";
	static const char nocard[] = "\x01\x02junk card 4111 1111 1111 1112 end";
	uint8_t b[512];
	size_t n;
	struct rec *r;

	/* a request, then PostgreSQL's startup and an injected query */
	for (int bad = 1; bad >= 0; bad--) {
		const char *q = bad ? q_bad : q_ok;
		size_t ql = strlen(q) + 1;

		memcpy(b, req, sizeof(req) - 1);
		n = sizeof(req) - 1;
		memcpy(b + n, "\0\0\0\x12\0\x03\0\0user\0bob\0\0", 18);
		n += 18;
		b[n++] = 'Q';
		b[n++] = 0;
		b[n++] = 0;
		b[n++] = (uint8_t)((ql + 4) >> 8);
		b[n++] = (uint8_t)(ql + 4);
		memcpy(b + n, q, ql);
		n += ql;
		r = http_then(b, n);
		assert_string_equal(r->app, "http"); /* the first identified */
		if (bad) {
			assert_string_equal(r->threats, "BH-NET-SQLI");
			assert_non_null(strstr(seen, "[sql select][BH-NET-SQLI select"));
		} else {
			assert_string_equal(r->threats, "");
			assert_string_equal(seen, "[sql select]");
		}
	}
	/* a request, garbage with a card number: scanned as unknown bytes */
	memcpy(b, req, sizeof(req) - 1);
	memcpy(b + sizeof(req) - 1, card, sizeof(card) - 1);
	r = http_then(b, sizeof(req) - 1 + sizeof(card) - 1);
	assert_string_equal(r->threats, "BH-NET-DLP-CARD");
	assert_string_equal(r->dlp, "card-visa ************1111 0 12");
	/* the near-miss: a bad Luhn is nothing */
	memcpy(b + sizeof(req) - 1, nocard, sizeof(nocard) - 1);
	r = http_then(b, sizeof(req) - 1 + sizeof(nocard) - 1);
	assert_string_equal(r->threats, "");
	assert_string_equal(r->dlp, "");
	/* two valid requests: no give-up, nothing probed anew */
	memcpy(b, req, sizeof(req) - 1);
	memcpy(b + sizeof(req) - 1, req, sizeof(req) - 1);
	r = http_then(b, 2 * (sizeof(req) - 1));
	assert_string_equal(r->threats, "");
	assert_string_equal(seen, "");
}

/* One connection through the real dissectors: seg[0..n) from the client,
 * each its own segment; the flow's record. */
static struct rec *segs_then(const char *const *seg, const size_t *len, size_t n)
{
	struct bh_net_opts o = { .dissectors = bh_net_dissectors, .on_record = keep_record };
	struct bh_net_engine *e = engine(&o);
	uint32_t seq = 100;

	nrecs = 0;
	seen[0] = 0;
	handshake(e);
	for (size_t i = 0; i < n; i++) {
		seg_bin(e, 1.1 + 0.1 * (double)i, seq, seg[i], len[i]);
		seq += (uint32_t)len[i];
	}
	bh_net_engine_flush(e);
	bh_net_engine_free(e);
	assert_int_equal(nrecs, 1);
	return &recs[0];
}

/*
 * A message begun in one segment (a card number in it) and made invalid in
 * the next: the dissector gives up at the next segment's start, and the
 * part it held from the first is still scanned (it is in no chunk probed
 * anew). HTTP's header block, PostgreSQL's query.
 */
static void test_giveup_held_scanned(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char h1[] = "GET /p HTTP/1.1\r\nX-Card: 4111 1111 1111 1111\r\n";
	static const char h1ok[] = "GET /p HTTP/1.1\r\nX-Card: 4111 1111 1111 1112\r\n";
	static const char h2[] = "\x01\x02junk\r\n\r\n";
	static const char pg0[] = "\0\0\0\x12\0\x03\0\0user\0bob\0\0"
				  "Q\0\0\0\x40select 'card 4111 1111 1111 1111";
	static const char pg1[] = " and more, without a NUL....";
	struct rec *r;

	for (int bad = 1; bad >= 0; bad--) {
		const char *seg[] = { req, bad ? h1 : h1ok, h2 };
		size_t len[] = { sizeof(req) - 1, sizeof(h1) - 1, sizeof(h2) - 1 };

		r = segs_then(seg, len, 3);
		assert_string_equal(r->app, "http");
		assert_string_equal(r->threats, bad ? "BH-NET-DLP-CARD" : "");
	}
	/* the Q's length (0x40) ends in the second segment, which has no NUL */
	{
		const char *seg[] = { pg0, pg1 };
		size_t len[] = { sizeof(pg0) - 1, sizeof(pg1) - 1 };

		assert_int_equal(len[0] + len[1], 18 + 1 + 0x40);
		r = segs_then(seg, len, 2);
		assert_string_equal(r->app, "postgresql");
		assert_string_equal(r->threats, "BH-NET-DLP-CARD");
	}
}

static void test_match_http_sqli(void **state)
{
	struct rec *r;

	/* the query string: the threat names the parameter, never its value */
	r = conn(http_table, (const char *const[]){ "GET /item?x=2&id=1%27%20OR%20%271%27%3D%271 "
						    "HTTP/1.1\r\nHost: a\r\n\r\n",
						    NULL });
	assert_string_equal(r->app, "http");
	assert_string_equal(r->threats, "BH-NET-SQLI");
	assert_non_null(strstr(seen, "query string parameter \"id\""));
	assert_null(strstr(seen, "OR"));
	/* a control byte in the path (lenient servers take it): still parsed,
	 * the query checked, the byte flagged; not a give-up at its start */
	r = conn(http_table, (const char *const[]){ "GET /x\x01?id=1%27%20OR%20%271%27%3D%271 "
						    "HTTP/1.1\r\nHost: a\r\n\r\n",
						    NULL });
	assert_string_equal(r->app, "http");
	assert_non_null(strstr(r->threats, "BH-NET-SQLI"));
	assert_non_null(strstr(seen, "control byte in the request target"));
	/* raw spaces in the target (nginx before 1.21.1 takes them): the
	 * target is what lies between the method and the version, its query
	 * checked, the line flagged */
	r = conn(http_table, (const char *const[]){ "GET /a b?id=1' OR 1=1-- HTTP/1.1\r\nHost: "
						    "a\r\n\r\n",
						    NULL });
	assert_string_equal(r->app, "http");
	assert_non_null(strstr(r->threats, "BH-NET-SQLI"));
	assert_non_null(strstr(seen, "whitespace in the request target"));
	/* its near-miss: a harmless value */
	r = conn(http_table,
		 (const char *const[]){ "GET /a b?id=O'Reilly and sons HTTP/1.1\r\nHost: "
					"a\r\n\r\n",
					NULL });
	assert_string_equal(r->app, "http");
	assert_null(strstr(r->threats, "BH-NET-SQLI"));
	assert_non_null(strstr(r->threats, "SMUGGLE"));
	/* the near-miss: a control byte in the method is not HTTP */
	r = conn(http_table,
		 (const char *const[]){ "GE\x01T /x?id=1 HTTP/1.1\r\nHost: a\r\n\r\n", NULL });
	assert_null(strstr(r->threats, "SMUGGLE"));
	/* a form body split across segments, judged when whole */
	r = conn(http_table,
		 (const char *const[]){
			 "POST /f HTTP/1.1\r\nHost: a\r\nContent-Type: "
			 "application/x-www-form-urlencoded\r\nContent-Length: 48\r\n\r\n",
			 "name=ann&q=1%27 UNION SEL", "ECT password FROM users--", NULL });
	assert_string_equal(r->threats, "BH-NET-SQLI");
	assert_non_null(strstr(seen, "request body parameter \"q\""));
	/* a JSON body */
	r = conn(http_table, (const char *const[]){
				     "POST /j HTTP/1.1\r\nHost: a\r\nContent-Type: "
				     "application/json; charset=utf-8\r\nContent-Length: 29\r\n\r\n"
				     "{\"user\":\"x' OR 'a'='a\",\"n\":1}",
				     NULL });
	assert_string_equal(r->threats, "BH-NET-SQLI");
	assert_non_null(strstr(seen, "\"user\""));
	/* the same bytes as text/plain are not parameters; benign values are nothing */
	r = conn(http_table,
		 (const char *const[]){
			 "POST /t HTTP/1.1\r\nHost: a\r\nContent-Type: "
			 "text/plain\r\nContent-Length: 12\r\n\r\nq=1' OR '1'='1",
			 "GET /s?q=O%27Brien&page=2 HTTP/1.1\r\nHost: a\r\n\r\n",
			 "POST /f HTTP/1.1\r\nHost: a\r\nContent-Type: "
			 "application/x-www-form-urlencoded\r\nContent-Length: 22\r\n\r\n"
			 "name=it%27s+me&page=3",
			 NULL });
	assert_string_equal(r->threats, "");
	assert_string_equal(seen, "");
	/* a body cut at the flow's end is judged on what came */
	r = conn(http_table,
		 (const char *const[]){
			 "POST /f HTTP/1.1\r\nHost: a\r\nContent-Type: "
			 "application/x-www-form-urlencoded\r\nContent-Length: 900\r\n\r\n"
			 "id=1%27 OR %27a%27=%27a",
			 NULL });
	assert_string_equal(r->threats, "BH-NET-SQLI");
}

static void test_match_http_dlp(void **state)
{
	struct rec *r;

	/* a card split across segments and across two bodies of one flow */
	r = conn(http_table, (const char *const[]){
				     "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabc ",
				     "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 30\r\n\r\n"
				     "card=4111 11",
				     "11 1111 1111&ssn=", "a", NULL });
	assert_string_equal(r->threats, "BH-NET-DLP-CARD");
	assert_string_equal(r->dlp, "card-visa ************1111 0 9");
	assert_null(strstr(seen, "4111"));
	/* an SSN at the end of the stream; an invalid one, a bad Luhn are not */
	r = conn(http_table,
		 (const char *const[]){ "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 53\r\n\r\n"
					"a 4111 1111 1111 1112 b 000-12-3456 c ssn 536-22-8726",
					NULL });
	assert_string_equal(r->threats, "BH-NET-DLP-SSN");
	assert_string_equal(r->dlp, "ssn ***-**-8726 0 42");
	/* bounded: more matches than BH_NET_FLOW_DLP_MAX are counted, not all kept */
	{
		static char body[8192];
		char head[128];
		size_t n = 0;

		for (int i = 0; i < 40; i++)
			n += (size_t)snprintf(body + n, sizeof(body) - n, "4111111111111111 ");
		snprintf(head, sizeof(head),
			 "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: %zu\r\n\r\n", n);
		r = conn(http_table, (const char *const[]){ head, body, NULL });
		assert_string_equal(r->threats, "BH-NET-DLP-CARD");
		assert_int_equal(strlen(r->dlp) > 0, 1);
	}
}

/* a test SQL client: each segment it is fed is one statement */
static enum bh_net_probe q_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				 const uint8_t *buf, size_t len)
{
	return BH_NET_PROBE_YES;
}

static enum bh_net_feed q_feed(void *state, enum bh_net_dir dir, const uint8_t *data, size_t len,
			       const struct bh_net_dissect_ctx *ctx)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_SQL, .dir = dir, .app = "sqltest" };

	if (!data)
		return BH_NET_FEED_MORE;
	r.u.sql.text.p = (const char *)data;
	r.u.sql.text.len = len;
	ctx->emit(ctx->opaque, &r);
	return BH_NET_FEED_MORE;
}

static const struct bh_net_dissector q_dissector = {
	"sqltest", BH_NET_L4_TCP, NULL, 1, q_probe, q_feed, NULL, NULL,
};
static const struct bh_net_dissector *const sql_table[] = { &q_dissector, NULL };

/* never says yes: every flow is unknown */
static enum bh_net_probe n_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				 const uint8_t *buf, size_t len)
{
	return BH_NET_PROBE_NO;
}

static const struct bh_net_dissector n_dissector = {
	"never", BH_NET_L4_TCP, NULL, 1, n_probe, q_feed, NULL, NULL,
};
static const struct bh_net_dissector *const never_table[] = { &n_dissector, NULL };

static void test_match_sql_and_raw(void **state)
{
	struct rec *r;

	r = conn(sql_table, (const char *const[]){ "SELECT name FROM t WHERE id = 7",
						   "  /* x */ insert into t values (1)",
						   "WITH a AS (SELECT 1) DELETE FROM t", NULL });
	assert_string_equal(seen, "[sql select][sql insert][sql delete]");
	assert_string_equal(r->threats, "");
	r = conn(sql_table,
		 (const char *const[]){ "SELECT * FROM users WHERE name = '' OR 1=1 -- '", NULL });
	assert_string_equal(r->threats, "BH-NET-SQLI");
	assert_non_null(strstr(seen, "[sql select][BH-NET-SQLI select"));
	/* an unknown flow's cleartext is scanned, across segments and the probe window */
	r = conn(never_table, (const char *const[]){ "hello 5555-5555-", "5555-4444 bye", NULL });
	assert_string_equal(r->app, "unknown");
	assert_string_equal(r->threats, "BH-NET-DLP-CARD");
	assert_string_equal(r->dlp, "card-mastercard ************4444 0 6");
}

/* User sensors: a match split across segments and bodies; names checked. */
static void test_match_sensor(void **state)
{
	const struct bh_net_sensor good[] = { { "employee-id", "EMP-[0-9]{6}\\b" },
					      { "short_1", "K[0-9]{3}" } };
	struct bh_net_opts o = { .sensors = good, .n_sensors = 2 };
	struct bh_net_engine *e = NULL;
	struct bh_error *err = NULL;
	struct rec *r;
	char *msg;

	r = conn_o(
		&o, http_table,
		(const char *const[]){ "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n"
				       "staff=EMP-12",
				       "3456&x=1", NULL });
	assert_string_equal(r->threats, "BH-NET-DLP-SENSOR");
	assert_string_equal(r->dlp, "employee-id ****3456 0 6");
	/* a match of 8 bytes or fewer shows nothing of itself; near-misses nothing */
	memset(&o, 0, sizeof(o));
	o.sensors = good;
	o.n_sensors = 2;
	r = conn_o(
		&o, http_table,
		(const char *const[]){ "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 27\r\n\r\n"
				       "EMP-12x456 EMP-1234567 K1",
				       "23", NULL });
	assert_string_equal(r->threats, "BH-NET-DLP-SENSOR");
	assert_string_equal(r->dlp, "short_1 **** 0 23");
	/* names: refused before anything is compiled */
	static const char *const bad[] = {
		"", "card-x", "ssn", "Upper", "a b", "a-name-longer-than-thirty-two-chars"
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bh_net_sensor s = { bad[i], "x" };
		struct bh_net_opts b = { .sensors = &s, .n_sensors = 1 };

		assert_int_equal(bh_net_engine_new(&b, &e, &err), -1);
		assert_null(e);
		assert_int_equal(bh_error_code(err), BH_ERR_USAGE);
		bh_error_free(err);
		err = NULL;
	}
	const struct bh_net_sensor twice[] = { { "a", "x" }, { "a", "y" } };
	struct bh_net_opts b = { .sensors = twice, .n_sensors = 2 };

	assert_int_equal(bh_net_engine_new(&b, &e, &err), -1);
	msg = bh_error_message(err);
	assert_non_null(strstr(msg, "'a' given twice"));
	free(msg);
	bh_error_free(err);
	err = NULL;
	/* an expression vectorscan refuses names its sensor */
	const struct bh_net_sensor broken[] = { { "ok", "x" }, { "broken", "(a" } };

	b.sensors = broken;
	assert_int_equal(bh_net_engine_new(&b, &e, &err), -1);
	msg = bh_error_message(err);
	assert_non_null(strstr(msg, "broken"));
	free(msg);
	bh_error_free(err);
	err = NULL;
	b.n_sensors = 257;
	assert_int_equal(bh_net_engine_new(&b, &e, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_LIMIT);
	bh_error_free(err);
}

/* An HTTP/2 flow that carried a gRPC request is app "grpc"; another "http2". */
static void test_app_grpc(void **state)
{
	static const struct bh_net_dissector *const h2_table[] = { &bh_net_l7_http2, NULL };
	struct bh_net_opts o = { .dissectors = h2_table };

	for (int grpc = 0; grpc < 2; grpc++) {
		struct bh_net_engine *e = engine(&o);
		uint8_t b[256];
		size_t n = 0, h;

		nrecs = 0;
		handshake(e);
		memcpy(b, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
		n = 24;
		memcpy(b + n, "\0\0\0\x04\0\0\0\0\0", 9); /* SETTINGS */
		n += 9;
		h = n;
		n += 9;
		memcpy(b + n, "\x83\x86\x44\x06/a.B/C\x41\x01h", 13); /* POST http /a.B/C h */
		n += 13;
		if (grpc) {
			b[n++] = 0x0f; /* content-type (31), without indexing */
			b[n++] = 0x10;
			b[n++] = 16;
			memcpy(b + n, "application/grpc", 16);
			n += 16;
		}
		memset(b + h, 0, 9);
		b[h + 2] = (uint8_t)(n - h - 9);
		b[h + 3] = 1;	/* HEADERS */
		b[h + 4] = 0x4; /* END_HEADERS */
		b[h + 8] = 1;	/* stream 1 */
		size_t l4 = tcp_hdr(P + 20, 1234, 7777, 100, NET_TCP_ACK, b, n);

		ip4(P, "10.0.0.1", "10.0.0.2", 6, 1, 0, l4);
		bh_net_engine_packet(e, P, 20 + l4, BH_NET_LINK_RAW, 1.1, NULL);
		bh_net_engine_flush(e);
		bh_net_engine_free(e);
		assert_int_equal(nrecs, 1);
		assert_string_equal(recs[0].app, grpc ? "grpc" : "http2");
		assert_string_equal(recs[0].host, "h");
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
		cmocka_unit_test_setup(test_tcp_split_probe, setup),
		cmocka_unit_test_setup(test_tcp_ooo_overlap_retransmit, setup),
		cmocka_unit_test_setup(test_tcp_gaps, setup),
		cmocka_unit_test_setup(test_udp_probe_and_hint, setup),
		cmocka_unit_test_setup(test_flow_bounds, setup),
		cmocka_unit_test_setup(test_floods, setup),
		cmocka_unit_test_setup(test_udp_flood, setup),
		cmocka_unit_test_setup(test_pcap, setup),
		cmocka_unit_test_setup(test_pcapng, setup),
		cmocka_unit_test_setup(test_match_http_sqli, setup),
		cmocka_unit_test_setup(test_giveup_in_probe_window, setup),
		cmocka_unit_test_setup(test_giveup_says_where, setup),
		cmocka_unit_test_setup(test_giveup_held_scanned, setup),
		cmocka_unit_test_setup(test_giveup_mid_chunk, setup),
		cmocka_unit_test_setup(test_match_http_dlp, setup),
		cmocka_unit_test_setup(test_match_sql_and_raw, setup),
		cmocka_unit_test_setup(test_match_sensor, setup),
		cmocka_unit_test_setup(test_app_grpc, setup),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	bh_buf_release(&fed[0]);
	bh_buf_release(&fed[1]);
	return rc;
}
