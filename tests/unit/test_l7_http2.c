/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP/2 and gRPC dissector (src/net/l7_http2.c), with frames built here
 * (no HTTP/2 client on the machine): the request and response examples of
 * RFC 7541 Appendix C.4 and C.6 (Huffman strings, the dynamic table), a gRPC
 * call with padded DATA, a PRIORITY flag and a CONTINUATION, the HPACK bomb
 * and rapid reset threats with their near-misses, hostile frames and header
 * blocks. Every conversation is also fed split at each byte.
 */
#include "l7.h"

extern const struct bh_net_dissector bh_net_l7_http2;
#define D (&bh_net_l7_http2)

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

/* Append a frame to b. */
static void frame(struct bh_buf *b, uint8_t type, uint8_t flags, uint32_t sid, const void *p,
		  size_t n)
{
	uint8_t h[9] = {
		(uint8_t)(n >> 16),   (uint8_t)(n >> 8),    (uint8_t)n,		 type,	      flags,
		(uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid
	};

	assert_int_equal(bh_buf_add(b, h, 9, NULL), 0);
	assert_int_equal(bh_buf_add(b, p, n, NULL), 0);
}

/* RFC 7541 C.4.1-C.4.3: three requests, Huffman-coded. */
static const uint8_t c41[] = { 0x82, 0x86, 0x84, 0x41, 0x8c, 0xf1, 0xe3, 0xc2, 0xe5,
			       0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff };
static const uint8_t c42[] = { 0x82, 0x86, 0x84, 0xbe, 0x58, 0x86,
			       0xa8, 0xeb, 0x10, 0x64, 0x9c, 0xbf };
static const uint8_t c43[] = { 0x82, 0x87, 0x85, 0xbf, 0x40, 0x88, 0x25, 0xa8,
			       0x49, 0xe9, 0x5b, 0xa9, 0x7d, 0x7f, 0x89, 0x25,
			       0xa8, 0x49, 0xe9, 0x5b, 0xb8, 0xe8, 0xb4, 0xbf };
/* RFC 7541 C.6.1: a 302 response, Huffman-coded. */
static const uint8_t c61[] = { 0x48, 0x82, 0x64, 0x02, 0x58, 0x85, 0xae, 0xc3, 0x77, 0x1a, 0x4b,
			       0x61, 0x96, 0xd0, 0x7a, 0xbe, 0x94, 0x10, 0x54, 0xd4, 0x44, 0xa8,
			       0x20, 0x05, 0x95, 0x04, 0x0b, 0x81, 0x66, 0xe0, 0x82, 0xa6, 0x2d,
			       0x1b, 0xff, 0x6e, 0x91, 0x9d, 0x29, 0xad, 0x17, 0x18, 0x63, 0xc7,
			       0x8f, 0x0b, 0x97, 0xc8, 0xe9, 0xae, 0x82, 0xae, 0x43, 0xd3 };
static const uint8_t settings[] = { 0, 3, 0, 0, 0, 100 };

static void test_rfc7541_examples(void **state)
{
	struct bh_buf c = BH_BUF_INIT(1 << 20), s = BH_BUF_INIT(1 << 20);
	enum bh_net_feed rc;

	bh_buf_adds(&c, PREFACE, NULL);
	frame(&c, 4, 0, 0, settings, sizeof(settings));
	frame(&c, 1, 0x5, 1, c41, sizeof(c41));
	frame(&c, 1, 0x5, 3, c42, sizeof(c42));
	frame(&c, 1, 0x5, 5, c43, sizeof(c43));
	frame(&s, 4, 0, 0, settings, sizeof(settings));
	frame(&s, 4, 1, 0, "", 0); /* SETTINGS ack */
	frame(&s, 1, 0x4, 1, c61, sizeof(c61));
	frame(&s, 0, 0x1, 1, "moved", 5);
	const struct l7_seg segs[] = { { C, c.data, c.len, 0 }, { S, s.data, s.len, 0 } };

	assert_int_equal(D->probe(&l7_tcp, C, (const uint8_t *)c.data, c.len), BH_NET_PROBE_YES);
	assert_int_equal(D->probe(&l7_tcp, C, (const uint8_t *)c.data, 10), BH_NET_PROBE_NEED_MORE);
	assert_int_equal(D->probe(&l7_tcp, S, (const uint8_t *)s.data, s.len), BH_NET_PROBE_MAYBE);
	char *t = l7_run_all(D, &l7_tcp, segs, 2, &rc);

	expect(t, "REQ 0 http2 v=20 sid=1 method=GET host=www.example.com path=/ query= ct=\n"
		  "REQ 0 http2 v=20 sid=3 method=GET host=www.example.com path=/ query= ct=\n"
		  "REQ 0 http2 v=20 sid=5 method=GET host=www.example.com path=/index.html query= "
		  "ct=\n"
		  "RESP 1 http2 status=302 sid=1\n"
		  "BODY 1 http2 sid=1 [moved] last\n");
	expect_no(t, "THREAT");
	assert_int_equal(rc, BH_NET_FEED_MORE);
	free(t);
	bh_buf_release(&c);
	bh_buf_release(&s);
}

/* A literal field without indexing, new name. */
static void lit(struct bh_buf *b, const char *name, const char *value)
{
	bh_buf_addc(b, 0x00, NULL);
	bh_buf_addc(b, (char)strlen(name), NULL);
	bh_buf_adds(b, name, NULL);
	bh_buf_addc(b, (char)strlen(value), NULL);
	bh_buf_adds(b, value, NULL);
}

static void test_grpc(void **state)
{
	struct bh_buf c = BH_BUF_INIT(1 << 20), s = BH_BUF_INIT(1 << 20), h = BH_BUF_INIT(4096);
	uint8_t hp[64];
	static const char msg1[] = "\x00\x00\x00\x00\x05hello";

	bh_buf_adds(&c, PREFACE, NULL);
	frame(&c, 4, 0, 0, "", 0);
	/* HEADERS (PADDED | PRIORITY) then a CONTINUATION with the rest. */
	hp[0] = 3; /* pad length */
	memcpy(hp + 1, "\x00\x00\x00\x00\x10", 5);
	bh_buf_adds(&h, "\x83\x86", NULL); /* :method POST, :scheme http */
	bh_buf_addc(&h, 0x44, NULL);	   /* :path, incremental indexing */
	bh_buf_addc(&h, 28, NULL);
	bh_buf_adds(&h, "/helloworld.Greeter/SayHello", NULL);
	bh_buf_addc(&h, 0x41, NULL); /* :authority */
	bh_buf_addc(&h, 14, NULL);
	bh_buf_adds(&h, "localhost:5005", NULL);
	size_t first = h.len;

	bh_buf_addc(&h, 0x5f, NULL); /* content-type */
	bh_buf_addc(&h, 16, NULL);
	bh_buf_adds(&h, "application/grpc", NULL);
	lit(&h, "te", "trailers");
	struct bh_buf f = BH_BUF_INIT(4096);

	bh_buf_add(&f, hp, 6, NULL);
	bh_buf_add(&f, h.data, first, NULL);
	bh_buf_add(&f, "\0\0\0", 3, NULL); /* padding */
	frame(&c, 1, 0x08 | 0x20, 1, f.data, f.len);
	frame(&c, 9, 0x4, 1, h.data + first, h.len - first);
	/* DATA, padded, END_STREAM. */
	uint8_t d[64] = { 4 };

	memcpy(d + 1, msg1, 10);
	frame(&c, 0, 0x08 | 0x01, 1, d, 1 + 10 + 4);
	frame(&s, 4, 0, 0, "", 0);
	frame(&s, 1, 0x4, 1, "\x88", 1); /* :status 200 */
	frame(&s, 0, 0, 1, "\x00\x00\x00\x00\x03", 5);
	frame(&s, 0, 0, 1, "hey", 3);
	bh_buf_reset(&h);
	lit(&h, "grpc-status", "0");
	frame(&s, 1, 0x5, 1, h.data, h.len); /* trailers */
	const struct l7_seg segs[] = { { C, c.data, c.len, 0 }, { S, s.data, s.len, 0 } };
	char *t = l7_run_all(D, &l7_tcp, segs, 2, NULL);

	expect(t, "REQ 0 grpc v=20 sid=1 method=POST host=localhost:5005 "
		  "path=/helloworld.Greeter/SayHello query= ct=application/grpc\n");
	expect(t, "BODY 0 grpc sid=1 [");
	expect(t, "[\\x00\\x00\\x00\\x00\\x05hello] last\n");
	expect(t, "RESP 1 grpc status=200 sid=1\nBODY 1 grpc sid=1 [");
	expect(t, "[\\x00\\x00\\x00\\x00\\x03hey]\n");
	expect_no(t, "THREAT");
	free(t);
	bh_buf_release(&c);
	bh_buf_release(&s);
	bh_buf_release(&h);
	bh_buf_release(&f);
}

/* A request whose block inserts a 4000-byte field and refers to it refs times. */
static char *bomb(int refs)
{
	struct bh_buf c = BH_BUF_INIT(1 << 20), h = BH_BUF_INIT(1 << 16);
	char val[4000];
	char *t;

	memset(val, 'a', sizeof(val));
	bh_buf_adds(&h, "\x82\x86\x84", NULL);
	bh_buf_addc(&h, 0x40, NULL); /* incremental indexing, new name */
	bh_buf_addc(&h, 1, NULL);
	bh_buf_addc(&h, 'x', NULL);
	bh_buf_add(&h, "\x7f\xa1\x1e", 3, NULL); /* length 127 + 3873 = 4000 */
	bh_buf_add(&h, val, sizeof(val), NULL);
	for (int i = 0; i < refs; i++)
		bh_buf_addc(&h, (char)0xbe, NULL); /* index 62: that field */
	bh_buf_adds(&c, PREFACE, NULL);
	frame(&c, 1, 0x5, 1, h.data, h.len);
	const struct l7_seg segs[] = { { C, c.data, c.len, 0 } };

	t = l7_run_all(D, &l7_tcp, segs, 1, NULL);
	bh_buf_release(&c);
	bh_buf_release(&h);
	return t;
}

static void test_hpack_bomb(void **state)
{
	char *t = bomb(20); /* 21 x 4033 bytes: 84 KiB from 4 KiB */

	expect(t, "THREAT 0 http2 BH-NET-HTTP2-HPACK-BOMB\n");
	expect(t, "REQ 0 http2 v=20 sid=1 method=GET");
	free(t);
	t = bomb(10); /* near-miss: 44 KiB */
	expect_no(t, "THREAT");
	expect(t, "REQ 0 http2 v=20 sid=1 method=GET");
	free(t);
}

static char *resets(int n, double step)
{
	struct bh_buf c = BH_BUF_INIT(1 << 20);
	struct l7_seg *segs = bh_calloc((size_t)n + 1, sizeof(*segs));
	char *t;

	bh_buf_adds(&c, PREFACE, NULL);
	for (int i = 0; i < n; i++) {
		uint32_t sid = 1 + 2 * (uint32_t)i;

		frame(&c, 1, 0x5, sid, "\x82\x86\x84\x41\x01h", 6);
		frame(&c, 3, 0, sid, "\x00\x00\x00\x08", 4); /* CANCEL */
	}
	/* One segment per stream, at its time. */
	size_t per = (c.len - 24) / (size_t)n;

	segs[0] = (struct l7_seg){ C, c.data, 24, 0 };
	for (int i = 0; i < n; i++)
		segs[i + 1] = (struct l7_seg){ C, c.data + 24 + (size_t)i * per, per, step * i };
	t = l7_run_flow(D, &l7_tcp, segs, (size_t)n + 1, 0, NULL);
	free(segs);
	bh_buf_release(&c);
	return t;
}

static void test_rapid_reset(void **state)
{
	char *t = resets(100, 0.001);

	expect(t, "THREAT 0 http2 BH-NET-HTTP2-RAPID-RESET\n");
	free(t);
	/* Near-misses: 99 quickly; 300 at a browser's pace (one a second). */
	t = resets(99, 0.001);
	expect_no(t, "THREAT");
	free(t);
	t = resets(300, 1.0);
	expect_no(t, "THREAT");
	free(t);
}

/* The result of feeding the preface and one frame to a fresh state. */
static enum bh_net_feed one(uint8_t type, uint8_t flags, uint32_t sid, const void *p, size_t n)
{
	struct bh_buf c = BH_BUF_INIT(1 << 20);
	enum bh_net_feed rc;

	bh_buf_adds(&c, PREFACE, NULL);
	frame(&c, type, flags, sid, p, n);
	const struct l7_seg segs[] = { { C, c.data, c.len, 0 } };

	free(l7_run_all(D, &l7_tcp, segs, 1, &rc));
	bh_buf_release(&c);
	return rc;
}

static void test_hostile(void **state)
{
	enum bh_net_feed rc;
	const struct l7_seg bad[] = { { C, "PRI * HTTP/1.1\r\n", 16, 0 } };

	free(l7_run_all(D, &l7_tcp, bad, 1, &rc));
	assert_int_equal(rc, BH_NET_FEED_MALFORMED);
	assert_int_equal(one(9, 4, 1, "\x82", 1), BH_NET_FEED_MALFORMED); /* lone CONTINUATION */
	assert_int_equal(one(1, 4, 1, "\x80", 1), BH_NET_FEED_MALFORMED); /* index 0 */
	assert_int_equal(one(1, 4, 1, "\xbe", 1), BH_NET_FEED_MALFORMED); /* empty dynamic table */
	assert_int_equal(one(1, 4, 1, "\x82\xff\xff\xff\xff\xff\xff", 7), BH_NET_FEED_MALFORMED);
	/* Huffman: EOS inside a string; padding that is not ones; too long a pad. */
	assert_int_equal(one(1, 4, 1, "\x41\x84\xff\xff\xff\xff", 6), BH_NET_FEED_MALFORMED);
	assert_int_equal(one(1, 4, 1, "\x41\x81\x00", 3), BH_NET_FEED_MALFORMED);
	assert_int_equal(one(1, 4, 1, "\x41\x82\x1f\xff", 4), BH_NET_FEED_MALFORMED);
	/* A string longer than its block; padding longer than its frame. */
	assert_int_equal(one(1, 4, 1,
			     "\x41\x05"
			     "ab",
			     4),
			 BH_NET_FEED_MALFORMED);
	assert_int_equal(one(1, 0x0c, 1, "\x09\x82", 2), BH_NET_FEED_MALFORMED);
	assert_int_equal(one(0, 0x08, 1, "\x05\x00", 2), BH_NET_FEED_MALFORMED);
	/* HEADERS then DATA before its CONTINUATION. */
	struct bh_buf c = BH_BUF_INIT(1 << 20);

	bh_buf_adds(&c, PREFACE, NULL);
	frame(&c, 1, 0, 1, "\x82", 1);
	frame(&c, 0, 0, 1, "x", 1);
	const struct l7_seg s1[] = { { C, c.data, c.len, 0 } };

	free(l7_run_all(D, &l7_tcp, s1, 1, &rc));
	assert_int_equal(rc, BH_NET_FEED_MALFORMED);
	/* A header block over the bound (16 KiB) is malformed: given up on,
	 * never a DONE that ended the inspection (the bytes after it unseen). */
	bh_buf_reset(&c);
	bh_buf_adds(&c, PREFACE, NULL);
	char *big = bh_calloc(1, 20000);

	frame(&c, 1, 0, 1, big, 10000);
	frame(&c, 9, 4, 1, big, 10000);
	const struct l7_seg s2[] = { { C, c.data, c.len, 0 } };

	free(l7_run_flow(D, &l7_tcp, s2, 1, 0, &rc));
	assert_int_equal(rc, BH_NET_FEED_MALFORMED);
	free(big);
	/* A table larger than ours: fields we lost are skipped, not errors. */
	bh_buf_reset(&c);
	bh_buf_adds(&c, PREFACE, NULL);
	frame(&c, 1, 5, 1, "\x3f\xe1\x3f\x82\xff\x20", 6); /* size update 8192, idx 62+32 */
	const struct l7_seg s3[] = { { C, c.data, c.len, 0 } };
	char *t = l7_run_all(D, &l7_tcp, s3, 1, &rc);

	assert_int_equal(rc, BH_NET_FEED_MORE);
	free(t);
	bh_buf_release(&c);
	/* Probes. */
	assert_int_equal(D->probe(&l7_tcp, C, (const uint8_t *)"GET / HTTP/1.1\r\n", 16),
			 BH_NET_PROBE_NO);
	assert_int_equal(D->probe(&l7_tcp, S, (const uint8_t *)"HTTP/1.1 200 OK\r\n", 17),
			 BH_NET_PROBE_NO);
}

/* The server allows a 64 KiB table: the client's encoder uses 6 KiB of it,
 * more than the decoder keeps; the field it lost is skipped, the request
 * still recorded. With the default 4 KiB, the same reference is malformed. */
static void test_large_table(void **state)
{
	struct bh_buf c = BH_BUF_INIT(1 << 20), s = BH_BUF_INIT(4096), h = BH_BUF_INIT(1 << 16);
	char val[3000];
	enum bh_net_feed rc;

	memset(val, 'v', sizeof(val));
	frame(&s, 4, 0, 0, "\x00\x01\x00\x01\x00\x00", 6); /* HEADER_TABLE_SIZE 65536 */
	for (int i = 0; i < 2; i++) {
		bh_buf_add(&h, "\x40\x01x\x7f\xb9\x16", 6, NULL); /* x: 3000 bytes, indexed */
		bh_buf_add(&h, val, sizeof(val), NULL);
	}
	bh_buf_add(&h, "\x82\x86\x84\x41\x01h\xc0", 7, NULL); /* index 64: the first x */
	bh_buf_adds(&c, PREFACE, NULL);
	frame(&c, 1, 5, 1, h.data, h.len);
	const struct l7_seg segs[] = { { S, s.data, s.len, 0 }, { C, c.data, c.len, 0 } };
	char *t = l7_run_all(D, &l7_tcp, segs, 2, &rc);

	assert_int_equal(rc, BH_NET_FEED_MORE);
	expect(t, "REQ 0 http2 v=20 sid=1 method=GET host=h path=/ query= ct=\n");
	free(t);
	t = l7_run_all(D, &l7_tcp, segs + 1, 1, &rc);
	assert_int_equal(rc, BH_NET_FEED_MALFORMED);
	free(t);
	bh_buf_release(&c);
	bh_buf_release(&s);
	bh_buf_release(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7541_examples), cmocka_unit_test(test_grpc),
		cmocka_unit_test(test_hpack_bomb),	 cmocka_unit_test(test_rapid_reset),
		cmocka_unit_test(test_hostile),		 cmocka_unit_test(test_large_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
