/* SPDX-License-Identifier: Apache-2.0 */
/*
 * "Done" on the server's word only (issue 16's evasion): a dissector that
 * ended inspection when the CLIENT announced encryption or a tunnel let an
 * attacker send the announcement and cleartext in the same breath to a
 * server that refuses (PostgreSQL 'N', SMTP 454, FTP 504, MySQL without
 * SSL, a cleartext server behind a fake TLS handshake, a 101 to a request
 * that asked for no upgrade): that cleartext went uninspected. Each case
 * here runs the whole engine with the built-in dissectors over a TCP
 * conversation: the evasion is detected (an SQL injection or a card
 * number), and the honest conversation (the server accepts, real TLS bytes
 * follow) still ends inspection: no give-up, the last packet's direction
 * settled (offloadable), nothing found.
 *
 * The cases are split by protocol (test_net_evade_sql.c, _mail.c, _tls.c,
 * _http.c); this header holds what they share: the conversation through
 * the engine and the TLS bytes most of them send.
 */
#ifndef BULKHEAD_TEST_NET_EVADE_H
#define BULKHEAD_TEST_NET_EVADE_H

#include <arpa/inet.h>

#include "unit.h"
#include "net_pkt.h"
#include "bulkhead/net.h"
#include "net/dissect.h"
#include "net/net_int.h"

/* ---- a conversation through the engine ---------------------------------- */

struct out {
	char app[16], threats[256], dlp[256];
	bool settled; /* after the last packet */
	uint64_t gave_up;
	size_t nrecs;
};

static struct out res;

static inline void keep_flow(const struct bh_net_flow_record *r, void *arg)
{
	(void)arg;
	res.nrecs++;
	snprintf(res.app, sizeof(res.app), "%s", r->app);
	for (size_t i = 0; i < r->n_threats; i++) {
		size_t l = strlen(res.threats);

		snprintf(res.threats + l, sizeof(res.threats) - l, "%s%s", l ? "," : "",
			 r->threats[i].id);
	}
	for (size_t i = 0; i < r->n_dlp; i++) {
		size_t l = strlen(res.dlp);

		snprintf(res.dlp + l, sizeof(res.dlp) - l, "%s%s", l ? "," : "", r->dlp[i].type);
	}
}

/* One segment: 'c' from the client, 's' from the server. */
struct pkt {
	char from;
	const void *p;
	size_t n;
};

static uint8_t P[70000];

static inline void tcp(struct bh_net_engine *e, double ts, bool cl, uint16_t port, uint32_t seq,
		       uint8_t flags, const void *data, size_t n)
{
	size_t tot =
		tpkt_tcp4(P, cl ? "10.0.0.1" : "10.0.0.2", cl ? 40000 : port,
			  cl ? "10.0.0.2" : "10.0.0.1", cl ? port : 40000, seq, flags, data, n);

	bh_net_engine_packet(e, P, tot, BH_NET_LINK_RAW, ts, NULL);
}

/* The conversation pk[0..n) on a connection to port; the result in res. */
static inline void run(uint16_t port, const struct pkt *pk, size_t n)
{
	struct bh_net_opts o = { .dissectors = bh_net_dissectors, .on_flow = keep_flow };
	struct bh_net_engine *e = NULL;
	struct bh_net_stats st;
	uint32_t seq[2] = { 100, 500 };
	double ts = 1.0;

	memset(&res, 0, sizeof(res));
	assert_int_equal(bh_net_engine_new(&o, &e, NULL), 0);
	tcp(e, ts, true, port, 99, NET_TCP_SYN, NULL, 0);
	tcp(e, ts, false, port, 499, NET_TCP_SYN | NET_TCP_ACK, NULL, 0);
	tcp(e, ts, true, port, 100, NET_TCP_ACK, NULL, 0);
	for (size_t i = 0; i < n; i++) {
		int d = pk[i].from == 's';

		ts += 0.01;
		tcp(e, ts, !d, port, seq[d], NET_TCP_ACK, pk[i].p, pk[i].n);
		seq[d] += (uint32_t)pk[i].n;
		res.settled = bh_net_engine_settled(e);
	}
	bh_net_engine_stats(e, &st);
	res.gave_up = st.gave_up;
	bh_net_engine_flush(e);
	bh_net_engine_free(e);
	assert_int_equal(res.nrecs, 1);
}

#define S(x) (x), sizeof(x) - 1

/* The honest end: the server accepted, encrypted bytes follow, nothing
 * found, nothing given up, the last packet's direction settled. */
static inline void assert_ended(const char *app)
{
	assert_string_equal(res.app, app);
	assert_string_equal(res.threats, "");
	assert_int_equal(res.gave_up, 0);
	assert_true(res.settled);
}

/* ---- TLS bytes ---------------------------------------------------------- */

/* A ClientHello (early: a real 0-RTT one, early_data with a PSK in TLS 1.3). */
static inline size_t client_hello(uint8_t *b, bool early, const char *sni)
{
	return tpkt_hello(b, early ? EX_0RTT : 0, sni);
}

/* A ServerHello record selecting TLS 1.3 (else 1.2). */
static inline size_t server_hello(uint8_t *b, bool tls13)
{
	size_t n = 0;

	b[n++] = 22;
	b[n++] = 3;
	b[n++] = 3;
	n += 2;
	b[n++] = 2;
	b[n++] = 0;
	n += 2;
	b[n++] = 3;
	b[n++] = 3;
	memset(b + n, 0x33, 32);
	n += 32;
	b[n++] = 0;
	b[n++] = 0x13;
	b[n++] = 0x01;
	b[n++] = 0;
	if (tls13) {
		static const uint8_t sv[] = { 0, 6, 0, 43, 0, 2, 3, 4 };

		memcpy(b + n, sv, sizeof(sv));
		n += sizeof(sv);
	}
	b[3] = (uint8_t)((n - 5) >> 8);
	b[4] = (uint8_t)(n - 5);
	b[7] = (uint8_t)((n - 9) >> 8);
	b[8] = (uint8_t)(n - 9);
	return n;
}

/* A record of type t around the text s. */
static inline size_t record(uint8_t *b, uint8_t t, const char *s)
{
	size_t l = strlen(s);

	b[0] = t;
	b[1] = 3;
	b[2] = 3;
	b[3] = (uint8_t)(l >> 8);
	b[4] = (uint8_t)l;
	memcpy(b + 5, s, l);
	return 5 + l;
}

static const char card[] = "card 4111 1111 1111 1111 exp 12/29";

#endif
