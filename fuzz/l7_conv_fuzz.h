/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the fuzz targets of the server-first and database dissectors share
 * (fuzz_l7_{mysql,postgresql,redis,kafka,mongodb,ssh,smtp,ftp}.c; the HTTP,
 * TLS and DNS targets use l7_fuzz.h, whose input has no gaps):
 * the input is a conversation, records of [ctl][len, 2 bytes little-endian]
 * [len bytes]: ctl bit 0 the direction (1: to the client), bit 1 a gap of
 * len lost bytes (no data follows). Each direction's first bytes go to
 * probe() as the engine would, every piece is fed from a heap copy of exactly
 * its bytes, and every record emitted is read whole; a threat must be in the
 * catalogue.
 */
#ifndef BULKHEAD_FUZZ_L7_CONV_H
#define BULKHEAD_FUZZ_L7_CONV_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/dissect.h"
#include "net/threats.h"

static volatile uint8_t l7_fuzz_sink;

static void l7_fuzz_str(const struct bh_net_str *s)
{
	for (size_t i = 0; i < s->len; i++)
		l7_fuzz_sink ^= (uint8_t)s->p[i];
}

static void l7_fuzz_emit(void *opaque, const struct bh_net_rec *r)
{
	(void)opaque;
	if (!r->app)
		abort();
	switch (r->kind) {
	case BH_NET_REC_COMMAND:
		l7_fuzz_str(&r->u.command.name);
		l7_fuzz_str(&r->u.command.arg);
		break;
	case BH_NET_REC_SQL: l7_fuzz_str(&r->u.sql.text); break;
	case BH_NET_REC_HTTP_BODY: l7_fuzz_str(&r->u.body.data); break;
	case BH_NET_REC_EXPECT:
		if (!r->u.expect.app)
			abort();
		break;
	case BH_NET_REC_THREAT:
		if (!bh_net_threat_find(r->u.threat.id))
			abort();
		l7_fuzz_str(&r->u.threat.detail);
		break;
	default: break;
	}
}

static int l7_fuzz(const char *app, const uint8_t *data, size_t size)
{
	const struct bh_net_dissector *d = NULL;
	struct bh_net_flow_info fl = { .l4 = BH_NET_L4_TCP,
				       .client_port = 40000,
				       .server_port = 1 };
	size_t used;
	struct bh_net_held held;
	struct bh_net_dissect_ctx ctx = {
		.flow = &fl, .now = 1, .emit = l7_fuzz_emit, .used = &used, .held = &held
	};
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
		used = SIZE_MAX;
		held.p = NULL;
		held.len = 0;
		f = d->feed(st, (enum bh_net_dir)dir, c, n, &ctx);
		free(c);
		/* where it gave up is inside the chunk; what it held of an
		 * earlier chunk's message lies in its state (dissect.h; these
		 * dissectors hold nothing elsewhere) and is read whole */
		if (used != SIZE_MAX && (f != BH_NET_FEED_MALFORMED || used > n))
			abort();
		if (held.len &&
		    (used || !held.p || f != BH_NET_FEED_MALFORMED ||
		     (const uint8_t *)held.p < (const uint8_t *)st ||
		     (const uint8_t *)held.p + held.len > (const uint8_t *)st + d->state_size))
			abort();
		for (size_t h = 0; h < held.len; h++)
			l7_fuzz_sink ^= ((const uint8_t *)held.p)[h];
		off += n;
	}
	if (d->fini)
		d->fini(st);
	free(st);
	free(probe[0]);
	free(probe[1]);
	return 0;
}

#endif
