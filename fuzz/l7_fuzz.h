/* SPDX-License-Identifier: Apache-2.0 */
/*
<<<<<<< HEAD
 * The body of the dissector fuzz targets (fuzz/fuzz_l7_*.c). Input: byte 0
 * the split seed, byte 1 flags (bit 0: a UDP flow), then chunks: direction
 * (bit 0), 2-byte big-endian length, bytes (the last chunk may be short).
 * Seeds are recorded conversations (fuzz/l7_record.py, fuzz/l7_conv.py).
 * Each direction's first chunk is probed; the chunks are fed in order to a
 * fresh state, each split at the seed's byte, then fed again with the
 * directions swapped; every piece is an exact-size copy (ASan sees an
 * over-read). A record must be well formed: strings inside their bounds
 * (they are read whole), threats known to the catalogue.
=======
 * What the fuzz targets of the layer-7 dissectors (fuzz/fuzz_l7_*.c) share:
 * the input is a conversation, records of [ctl][len, 2 bytes little-endian]
 * [len bytes]: ctl bit 0 the direction (1: to the client), bit 1 a gap of
 * len lost bytes (no data follows). Each direction's first bytes go to
 * probe() as the engine would, every piece is fed from a heap copy of exactly
 * its bytes, and every record emitted is read whole; a threat must be in the
 * catalogue.
>>>>>>> ad9a6f8 (fuzz: a target per layer-7 dissector (MySQL, PostgreSQL, Redis, Kafka, MongoDB, SSH, SMTP, FTP) over conversations with gaps, seeds from the recorded sessions)
 */
#ifndef BULKHEAD_FUZZ_L7_H
#define BULKHEAD_FUZZ_L7_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/dissect.h"
#include "net/threats.h"

<<<<<<< HEAD
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned l7_sink;

static void l7_touch(struct bh_net_str s)
{
	for (size_t i = 0; i < s.len; i++)
		l7_sink += (unsigned char)s.p[i];
=======
static volatile uint8_t l7_fuzz_sink;

static void l7_fuzz_str(const struct bh_net_str *s)
{
	for (size_t i = 0; i < s->len; i++)
		l7_fuzz_sink ^= (uint8_t)s->p[i];
>>>>>>> ad9a6f8 (fuzz: a target per layer-7 dissector (MySQL, PostgreSQL, Redis, Kafka, MongoDB, SSH, SMTP, FTP) over conversations with gaps, seeds from the recorded sessions)
}

static void l7_fuzz_emit(void *opaque, const struct bh_net_rec *r)
{
	(void)opaque;
	if (!r->app)
		abort();
	switch (r->kind) {
<<<<<<< HEAD
	case BH_NET_REC_HTTP_REQUEST:
		l7_touch(r->u.http.method), l7_touch(r->u.http.host), l7_touch(r->u.http.path);
		l7_touch(r->u.http.query), l7_touch(r->u.http.content_type);
		break;
	case BH_NET_REC_HTTP_BODY: l7_touch(r->u.body.data); break;
	case BH_NET_REC_TLS_HELLO: l7_touch(r->u.tls.sni), l7_touch(r->u.tls.alpn); break;
	case BH_NET_REC_DNS:
		l7_touch(r->u.dns.qname);
		if (r->u.dns.qname.len > 253)
=======
	case BH_NET_REC_COMMAND:
		l7_fuzz_str(&r->u.command.name);
		l7_fuzz_str(&r->u.command.arg);
		break;
	case BH_NET_REC_SQL: l7_fuzz_str(&r->u.sql.text); break;
	case BH_NET_REC_HTTP_BODY: l7_fuzz_str(&r->u.body.data); break;
	case BH_NET_REC_EXPECT:
		if (!r->u.expect.app)
>>>>>>> ad9a6f8 (fuzz: a target per layer-7 dissector (MySQL, PostgreSQL, Redis, Kafka, MongoDB, SSH, SMTP, FTP) over conversations with gaps, seeds from the recorded sessions)
			abort();
		break;
	case BH_NET_REC_THREAT:
		if (!bh_net_threat_find(r->u.threat.id))
			abort();
<<<<<<< HEAD
		l7_touch(r->u.threat.detail);
=======
		l7_fuzz_str(&r->u.threat.detail);
>>>>>>> ad9a6f8 (fuzz: a target per layer-7 dissector (MySQL, PostgreSQL, Redis, Kafka, MongoDB, SSH, SMTP, FTP) over conversations with gaps, seeds from the recorded sessions)
		break;
	default: break;
	}
}

<<<<<<< HEAD
static void l7_fuzz_pass(const struct bh_net_dissector *dis, const uint8_t *data, size_t size,
			 bool swap)
{
	struct bh_net_flow_info flow = { .l4 = (data[1] & 1) ? BH_NET_L4_UDP : BH_NET_L4_TCP };
	struct bh_net_dissect_ctx ctx = { &flow, 0, l7_fuzz_emit, NULL };
	void *state = calloc(1, dis->state_size);
	enum bh_net_feed rc = BH_NET_FEED_MORE;
	bool probed[2] = { false, false };
	size_t off = 2;

	if (!state)
		abort();
	while (off + 3 <= size && rc == BH_NET_FEED_MORE) {
		enum bh_net_dir dir = (enum bh_net_dir)((data[off] & 1) ^ swap);
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];

		off += 3;
		if (len > size - off)
			len = size - off;
		if (!probed[dir]) {
			uint8_t *copy = malloc(len ? len : 1);
			enum bh_net_probe p;

			memcpy(copy, data + off, len);
			p = dis->probe(&flow, dir, copy,
				       len < BH_NET_PROBE_MAX ? len : BH_NET_PROBE_MAX);
			if (p > BH_NET_PROBE_NEED_MORE)
				abort();
			free(copy);
			probed[dir] = true;
		}
		size_t split = len ? data[0] % len : 0, at = 0;

		if (flow.l4 == BH_NET_L4_UDP)
			split = 0;
		for (int part = 0; part < 2 && rc == BH_NET_FEED_MORE; part++) {
			size_t k = part == 0 ? (split ? split : len) : len - at;

			if (part == 1 && k == 0)
				break;
			uint8_t *copy = malloc(k ? k : 1);

			memcpy(copy, data + off + at, k);
			ctx.now += 0.5;
			rc = dis->feed(state, dir, copy, k, &ctx);
			free(copy);
			at += k;
		}
		/* A gap now and then (a lost segment). */
		if (rc == BH_NET_FEED_MORE && (data[0] & 0x80) && data[0] % 7 == (uint8_t)off % 7)
			rc = dis->feed(state, dir, NULL, 10, &ctx);
		off += len;
	}
	if (dis->fini)
		dis->fini(state);
	free(state);
}

static int l7_fuzz_one(const struct bh_net_dissector *dis, const uint8_t *data, size_t size)
{
	if (size < 2 || size > 1 << 20)
		return 0;
	l7_fuzz_pass(dis, data, size, false);
	l7_fuzz_pass(dis, data, size, true);
=======
static int l7_fuzz(const char *app, const uint8_t *data, size_t size)
{
	const struct bh_net_dissector *d = NULL;
	struct bh_net_flow_info fl = { .l4 = BH_NET_L4_TCP,
				       .client_port = 40000,
				       .server_port = 1 };
	struct bh_net_dissect_ctx ctx = { .flow = &fl, .now = 1, .emit = l7_fuzz_emit };
	uint8_t *probe[2] = { malloc(BH_NET_PROBE_MAX), malloc(BH_NET_PROBE_MAX) };
	size_t plen[2] = { 0, 0 }, off = 0;
	enum bh_net_feed f = BH_NET_FEED_MORE;

	for (size_t i = 0; bh_net_dissectors[i]; i++)
		if (!strcmp(bh_net_dissectors[i]->app, app))
			d = bh_net_dissectors[i];
	if (!d || d->state_size > BH_NET_STATE_MAX)
		abort();
	fl.client_addr[10] = fl.client_addr[11] = 0xff;
	fl.client_addr[15] = 1;
	void *st = calloc(1, d->state_size);
	while (off + 3 <= size && f == BH_NET_FEED_MORE) {
		unsigned dir = data[off] & 1, gap = data[off] & 2;
		size_t n = (size_t)data[off + 1] | (size_t)data[off + 2] << 8;
		off += 3;
		if (gap) {
			f = d->feed(st, (enum bh_net_dir)dir, NULL, n, &ctx);
			continue;
		}
		if (n > size - off)
			n = size - off;
		if (plen[dir] < BH_NET_PROBE_MAX) {
			size_t k =
				n < BH_NET_PROBE_MAX - plen[dir] ? n : BH_NET_PROBE_MAX - plen[dir];
			memcpy(probe[dir] + plen[dir], data + off, k);
			plen[dir] += k;
			uint8_t *c = malloc(plen[dir] ? plen[dir] : 1);
			memcpy(c, probe[dir], plen[dir]);
			if (d->probe(&fl, (enum bh_net_dir)dir, c, plen[dir]) >
			    BH_NET_PROBE_NEED_MORE)
				abort();
			free(c);
		}
		uint8_t *c = malloc(n ? n : 1);
		memcpy(c, data + off, n);
		f = d->feed(st, (enum bh_net_dir)dir, c, n, &ctx);
		free(c);
		off += n;
	}
	if (d->fini)
		d->fini(st);
	free(st);
	free(probe[0]);
	free(probe[1]);
>>>>>>> ad9a6f8 (fuzz: a target per layer-7 dissector (MySQL, PostgreSQL, Redis, Kafka, MongoDB, SSH, SMTP, FTP) over conversations with gaps, seeds from the recorded sessions)
	return 0;
}

#endif
