/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The packet engine unit tests' shared parts (test_net_decode, test_net_tcp,
 * test_net_pcap, test_net_match): a test-only dissector recording what it is
 * fed (t_dissector on port 7777, m_dissector on 9999), the flow records kept
 * by on_flow, the per-test `setup`, an engine over them, and packet builders
 * (IPv4, TCP, UDP headers; a TCP segment or UDP datagram fed at a time).
 * Each test binary releases fed[] at its end. Included after unit.h.
 */
#ifndef BULKHEAD_TESTS_NET_UNIT_H
#define BULKHEAD_TESTS_NET_UNIT_H

#include <arpa/inet.h>
#include <stdbool.h>

#include "bulkhead/net.h"
#include "net/dissect.h"
#include "net/net_int.h"
/* ---- a test-only dissector ---------------------------------------------- */

static struct bh_buf fed[2];
static int fini_calls, probe_calls;

struct tstate {
	int calls;
};

static inline enum bh_net_probe t_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
					const uint8_t *buf, size_t len)
{
	probe_calls++;
	if (dir == BH_NET_TO_CLIENT) /* the client speaks first */
		return BH_NET_PROBE_NEED_MORE;
	if (len >= 4)
		return memcmp(buf, "TEST", 4) ? BH_NET_PROBE_NO : BH_NET_PROBE_YES;
	return memcmp(buf, "TEST", len) ? BH_NET_PROBE_NO : BH_NET_PROBE_NEED_MORE;
}

static inline enum bh_net_feed t_feed(void *state, enum bh_net_dir dir, const uint8_t *data,
				      size_t len, const struct bh_net_dissect_ctx *ctx)
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

static inline void t_fini(void *state)
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
static inline enum bh_net_probe m_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
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

static inline void keep_flow(const struct bh_net_flow_record *r, void *arg)
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

static inline int setup(void **state)
{
	nrecs = n_syn_flood = 0;
	fini_calls = probe_calls = 0;
	for (int d = 0; d < 2; d++) {
		bh_buf_release(&fed[d]);
		bh_buf_init(&fed[d], 1 << 20);
	}
	return 0;
}

static inline struct bh_net_engine *engine(struct bh_net_opts *o)
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

static inline size_t ip4(uint8_t *p, const char *src, const char *dst, uint8_t proto, uint16_t id,
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

static inline size_t tcp_hdr(uint8_t *p, uint16_t sp, uint16_t dp, uint32_t seq, uint8_t flags,
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

static inline size_t udp_hdr(uint8_t *p, uint16_t sp, uint16_t dp, const void *data, size_t n)
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
static inline void seg(struct bh_net_engine *e, double ts, bool from_client, uint32_t seq,
		       uint8_t flags, const char *data)
{
	size_t n = data ? strlen(data) : 0, l4;

	l4 = tcp_hdr(P + 20, from_client ? 1234 : 7777, from_client ? 7777 : 1234, seq, flags, data,
		     n);
	ip4(P, from_client ? "10.0.0.1" : "10.0.0.2", from_client ? "10.0.0.2" : "10.0.0.1", 6, 1,
	    0, l4);
	bh_net_engine_packet(e, P, 20 + l4, BH_NET_LINK_RAW, ts, NULL);
}

static inline void udp4(struct bh_net_engine *e, double ts, const char *src, uint16_t sp,
			const char *dst, uint16_t dp, const char *data)
{
	size_t l4 = udp_hdr(P + 20, sp, dp, data, strlen(data));

	ip4(P, src, dst, 17, 1, 0, l4);
	bh_net_engine_packet(e, P, 20 + l4, BH_NET_LINK_RAW, ts, NULL);
}

static inline void handshake(struct bh_net_engine *e)
{
	seg(e, 1.0, true, 99, NET_TCP_SYN, NULL);
	seg(e, 1.0, false, 499, NET_TCP_SYN | NET_TCP_ACK, NULL);
	seg(e, 1.0, true, 100, NET_TCP_ACK, NULL);
}

#endif
