/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-process throughput of the application-layer dissectors (bench/l7.sh
 * builds and runs this): each is fed a conversation built here, in pieces of
 * 1448 bytes (a TCP segment's payload) or one datagram per call, best of R
 * rounds, printing MB/s of each and of the anchor, a memcpy of the same
 * pieces into a 64 KiB ring (the least any consumer of the bytes does).
 *   http   pipelined GETs and chunked 4 KiB responses
 *   http2  HEADERS (HPACK, Huffman) and 8 KiB DATA frames
 *   dns    UDP queries and responses
 *
 *   l7_rate MB R
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/base.h"
#include "net/dissect.h"

extern const struct bh_net_dissector bh_net_l7_http, bh_net_l7_http2, bh_net_l7_tls, bh_net_l7_dns;

static unsigned long records;

static void count(void *opaque, const struct bh_net_rec *r)
{
	(void)opaque;
	(void)r;
	records++;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct conv {
	struct bh_buf dir[2];
	size_t unit; /* one piece per call: 0 = 1448 bytes, else this many (a datagram) */
};

static void frame(struct bh_buf *b, uint8_t type, uint8_t flags, uint32_t sid, const void *p,
		  size_t n)
{
	uint8_t h[9] = {
		(uint8_t)(n >> 16),   (uint8_t)(n >> 8),    (uint8_t)n,		 type,	      flags,
		(uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid
	};

	bh_buf_add(b, h, 9, NULL);
	bh_buf_add(b, p, n, NULL);
}

/* Feed both directions alternately in pieces; returns the bytes fed. */
static size_t run(const struct bh_net_dissector *d, const struct conv *c, bool copy_only)
{
	static char ring[65536];
	struct bh_net_flow_info flow = { .l4 = c->unit ? BH_NET_L4_UDP : BH_NET_L4_TCP };
	struct bh_net_dissect_ctx ctx = { &flow, 0, count, NULL, NULL, NULL, NULL };
	void *st = calloc(1, d->state_size);
	size_t off[2] = { 0, 0 }, total = 0, piece = c->unit ? c->unit : 1448, r = 0;

	while (off[0] < c->dir[0].len || off[1] < c->dir[1].len) {
		for (int dir = 0; dir < 2; dir++) {
			size_t k = c->dir[dir].len - off[dir];

			if (k > piece)
				k = piece;
			if (!k)
				continue;
			const uint8_t *p = (const uint8_t *)c->dir[dir].data + off[dir];

			if (copy_only) {
				memcpy(ring + (r & 0xffff) / 2, p, k);
				r += k;
			} else if (d->feed(st, (enum bh_net_dir)dir, p, k, &ctx) !=
				   BH_NET_FEED_MORE) {
				memset(st, 0, d->state_size);
			}
			off[dir] += k;
			total += k;
		}
	}
	free(st);
	return total;
}

static void bench(const char *name, const struct bh_net_dissector *d, const struct conv *c,
		  int rounds)
{
	double best = 0, best_copy = 0;

	for (int i = 0; i < rounds; i++) {
		double t0 = now();
		size_t n = run(d, c, false);
		double t1 = now();
		size_t m = run(d, c, true);
		double t2 = now();

		if (n / (t1 - t0) > best)
			best = (double)n / (t1 - t0);
		if (m / (t2 - t1) > best_copy)
			best_copy = (double)m / (t2 - t1);
	}
	printf("%s %.0f %.0f %lu\n", name, best / 1e6, best_copy / 1e6, records);
}

int main(int argc, char **argv)
{
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	int rounds = argc > 2 ? atoi(argv[2]) : 3;
	size_t target = mb << 20;
	struct conv c;
	char body[8192];

	memset(body, 'x', sizeof(body));
	/* HTTP/1.1 */
	memset(&c, 0, sizeof(c));
	bh_buf_init(&c.dir[0], target * 2);
	bh_buf_init(&c.dir[1], target * 2);
	while (c.dir[0].len + c.dir[1].len < target) {
		bh_buf_adds(&c.dir[0],
			    "GET /api/v1/items?id=42&sort=asc HTTP/1.1\r\nHost: shop.example"
			    "\r\nUser-Agent: bench/1\r\nAccept: */*\r\n\r\n",
			    NULL);
		bh_buf_adds(&c.dir[1],
			    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			    "Transfer-Encoding: chunked\r\n\r\n1000\r\n",
			    NULL);
		bh_buf_add(&c.dir[1], body, 4096, NULL);
		bh_buf_adds(&c.dir[1], "\r\n0\r\n\r\n", NULL);
	}
	bench("http", &bh_net_l7_http, &c, rounds);
	bh_buf_release(&c.dir[0]);
	bh_buf_release(&c.dir[1]);
	/* HTTP/2: RFC 7541 C.4.1's request block, a :status 200 and DATA. */
	static const uint8_t req[] = { 0x82, 0x86, 0x84, 0x41, 0x8c, 0xf1, 0xe3, 0xc2, 0xe5,
				       0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff };
	uint32_t sid = 1;

	bh_buf_init(&c.dir[0], target * 2);
	bh_buf_init(&c.dir[1], target * 2);
	bh_buf_adds(&c.dir[0], "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", NULL);
	while (c.dir[0].len + c.dir[1].len < target) {
		frame(&c.dir[0], 1, 5, sid, req, sizeof(req));
		frame(&c.dir[1], 1, 4, sid, "\x88", 1);
		frame(&c.dir[1], 0, 1, sid, body, sizeof(body));
		sid += 2;
	}
	bench("http2", &bh_net_l7_http2, &c, rounds);
	bh_buf_release(&c.dir[0]);
	bh_buf_release(&c.dir[1]);
	/* DNS over UDP: a query and its response, 64-byte datagrams. */
	static const uint8_t q[64] = { 0,   7,	 1,   0,   0,	1,   0,	  0,   0,   0,	 0,
				       0,   3,	 'w', 'w', 'w', 7,   'e', 'x', 'a', 'm', 'p',
				       'l', 'e', 3,   'c', 'o', 'm', 0,	  0,   1,   0,	 1 };
	uint8_t a[64];

	memcpy(a, q, sizeof(a));
	a[2] = 0x81, a[3] = 0x80, a[7] = 1;
	bh_buf_init(&c.dir[0], target * 2);
	bh_buf_init(&c.dir[1], target * 2);
	c.unit = 64;
	while (c.dir[0].len + c.dir[1].len < target) {
		bh_buf_add(&c.dir[0], q, sizeof(q), NULL);
		bh_buf_add(&c.dir[1], a, sizeof(a), NULL);
	}
	bench("dns", &bh_net_l7_dns, &c, rounds);
	bh_buf_release(&c.dir[0]);
	bh_buf_release(&c.dir[1]);
	return 0;
}
