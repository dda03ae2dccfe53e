/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The body of the dissector fuzz targets (fuzz/fuzz_l7_*.c). Input: byte 0
 * the split seed, byte 1 flags (bit 0: a UDP flow), then chunks: direction
 * (bit 0), 2-byte big-endian length, bytes (the last chunk may be short).
 * Seeds are recorded conversations (fuzz/l7_record.py, fuzz/l7_conv.py).
 * Each direction's first chunk is probed; the chunks are fed in order to a
 * fresh state, each split at the seed's byte, then fed again with the
 * directions swapped; every piece is an exact-size copy (ASan sees an
 * over-read). A record must be well formed: strings inside their bounds
 * (they are read whole), threats known to the catalogue.
 */
#ifndef BULKHEAD_FUZZ_L7_H
#define BULKHEAD_FUZZ_L7_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/dissect.h"
#include "net/threats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned l7_sink;

static void l7_touch(struct bh_net_str s)
{
	for (size_t i = 0; i < s.len; i++)
		l7_sink += (unsigned char)s.p[i];
}

static void l7_fuzz_emit(void *opaque, const struct bh_net_rec *r)
{
	(void)opaque;
	if (!r->app)
		abort();
	switch (r->kind) {
	case BH_NET_REC_HTTP_REQUEST:
		l7_touch(r->u.http.method), l7_touch(r->u.http.host), l7_touch(r->u.http.path);
		l7_touch(r->u.http.query), l7_touch(r->u.http.content_type);
		break;
	case BH_NET_REC_HTTP_BODY: l7_touch(r->u.body.data); break;
	case BH_NET_REC_TLS_HELLO: l7_touch(r->u.tls.sni), l7_touch(r->u.tls.alpn); break;
	case BH_NET_REC_DNS:
		l7_touch(r->u.dns.qname);
		if (r->u.dns.qname.len > 253)
			abort();
		break;
	case BH_NET_REC_THREAT:
		if (!bh_net_threat_find(r->u.threat.id))
			abort();
		l7_touch(r->u.threat.detail);
		break;
	default: break;
	}
}

static void l7_fuzz_pass(const struct bh_net_dissector *dis, const uint8_t *data, size_t size,
			 bool swap)
{
	struct bh_net_flow_info flow = { .l4 = (data[1] & 1) ? BH_NET_L4_UDP : BH_NET_L4_TCP };
	size_t used;
	struct bh_net_held held;
	struct bh_net_dissect_ctx ctx = { &flow, 0, l7_fuzz_emit, NULL, &used, &held, NULL };
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
			used = SIZE_MAX;
			held.p = NULL;
			held.len = 0;
			held.type = 0;
			rc = dis->feed(state, dir, copy, k, &ctx);
			/* where it gave up is inside the chunk; what it held of
			 * an earlier chunk's message is in its state or memory
			 * it owns (dissect.h): every byte is read (the sanitizer
			 * build catches a pointer outside it) */
			if (used != SIZE_MAX && (rc != BH_NET_FEED_MALFORMED || used > k))
				abort();
			if (held.len && (used || !held.p || rc != BH_NET_FEED_MALFORMED))
				abort();
			for (size_t h = 0; h < held.len; h++)
				l7_sink += ((const uint8_t *)held.p)[h];
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
	return 0;
}

#endif
