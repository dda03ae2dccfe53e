/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP/1.x dissector (src/net/l7_http.c): a conversation recorded from
 * curl and python3 -m http.server (fuzz/corpus/l7_http), pipelining, chunked
 * bodies, 100-continue, HEAD/304/204, CONNECT and Upgrade; each threat
 * triggered and a near-miss that must not; hostile input. Every conversation
 * is also fed split at each byte and one byte at a time (tests/unit/l7.h).
 */
#include "l7.h"

extern const struct bh_net_dissector bh_net_l7_http;
#define D (&bh_net_l7_http)

static char *run(const struct l7_seg *segs, size_t n, enum bh_net_feed *rc)
{
	return l7_run_all(D, &l7_tcp, segs, n, rc);
}

static void test_curl_capture(void **state)
{
	uint8_t *blob;
	size_t n;
	struct l7_seg *segs = l7_load("fuzz/corpus/l7_http/curl-http1", &n, &blob);
	enum bh_net_feed rc;
	char *t;

	assert_int_equal(D->probe(&l7_tcp, C, segs[0].p, segs[0].len), BH_NET_PROBE_YES);
	assert_int_equal(D->probe(&l7_tcp, S, segs[1].p, segs[1].len), BH_NET_PROBE_YES);
	t = run(segs, n, &rc);
	expect(t, "REQ 0 http v=11 sid=0 method=GET host=example.test path=/index.html query=x=1 "
		  "ct=\n");
	expect(t, "RESP 1 http status=200 sid=0\n");
	expect(t, "BODY 1 http sid=0 [hello from the test server\n] last\n");
	expect_no(t, "THREAT");
	assert_int_equal(rc, BH_NET_FEED_MORE);
	free(t);
	free(segs);
	free(blob);

	segs = l7_load("fuzz/corpus/l7_http/curl-post", &n, &blob);
	t = run(segs, n, &rc);
	expect(t, "method=POST host=127.0.0.1:18085 path=/form query= "
		  "ct=application/x-www-form-urlencoded\n");
	expect(t, "BODY 0 http sid=0 [a=1&b=2] last\n");
	expect(t, "RESP 1 http status=501");
	free(t);
	free(segs);
	free(blob);
}

static void test_pipelining_head_chunked(void **state)
{
	static const char req[] = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
				  "HEAD /b HTTP/1.1\r\nHost: h\r\n\r\n"
				  "POST /c?d=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz"
				  "GET /e HTTP/1.1\r\nHost: h\r\n\r\n";
	static const char resp[] =
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nAA"
		"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" /* HEAD: no body */
		"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
		"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\n"
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n"
		"HTTP/1.1 204 No Content\r\n\r\n";
	const struct l7_seg segs[] = { L7_SEG(C, req), L7_SEG(S, resp) };
	char *t = run(segs, 2, NULL);

	expect(t, "method=GET host=h path=/a query= ct=\n"
		  "REQ 0 http v=11 sid=0 method=HEAD host=h path=/b query= ct=\n"
		  "REQ 0 http v=11 sid=0 method=POST host=h path=/c query=d=1 ct=\n"
		  "BODY 0 http sid=0 [xyz] last\n"
		  "REQ 0 http v=11 sid=0 method=GET host=h path=/e query= ct=\n"
		  "RESP 1 http status=200 sid=0\n"
		  "BODY 1 http sid=0 [AA] last\n"
		  "RESP 1 http status=200 sid=0\n"
		  "RESP 1 http status=201 sid=0\n"
		  "BODY 1 http sid=0 [Wikipedia] last\n"
		  "RESP 1 http status=304 sid=0\n"
		  "RESP 1 http status=204 sid=0\n");
	expect_no(t, "THREAT");
	free(t);
}

static void test_continue_connect_upgrade(void **state)
{
	static const char req[] = "PUT /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
				  "Content-Length: 4\r\n\r\n";
	static const char r100[] = "HTTP/1.1 100 Continue\r\n\r\n";
	static const char body[] = "data";
	static const char r200[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	const struct l7_seg a[] = { L7_SEG(C, req), L7_SEG(S, r100), L7_SEG(C, body),
				    L7_SEG(S, r200) };
	enum bh_net_feed rc;
	char *t = run(a, 4, &rc);

	expect(t, "RESP 1 http status=100 sid=0\nBODY 0 http sid=0 [data] last\n"
		  "RESP 1 http status=200 sid=0\nBODY 1 http sid=0 [ok] last\n");
	assert_int_equal(rc, BH_NET_FEED_MORE);
	free(t);

	static const char conn[] = "CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\n";
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	static const char tunnel[] = "\x16\x03\x01 anything at all";
	const struct l7_seg b[] = { L7_SEG(C, conn), L7_SEG(S, ok), L7_SEG(C, tunnel) };

	t = run(b, 3, &rc);
	assert_int_equal(rc, BH_NET_FEED_MALFORMED); /* handed over (the engine asks) */
	expect_no(t, "BODY");
	free(t);

	static const char up[] = "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
				 "Connection: Upgrade\r\n\r\n";
	static const char r101[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
	const struct l7_seg c[] = { L7_SEG(C, up), L7_SEG(S, r101), L7_SEG(C, tunnel) };

	t = run(c, 3, &rc);
	assert_int_equal(rc, BH_NET_FEED_MALFORMED);
	expect(t, "RESP 1 http status=101");
	free(t);
}

/* One request's headers (and body) -> the text. */
static char *one(const char *req)
{
	const struct l7_seg s[] = { { C, req, strlen(req), 0 } };

	return run(s, 1, NULL);
}

static void test_smuggle_cl_te(void **state)
{
	char *t = one("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n"
		      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");

	expect(t, "THREAT 0 http BH-NET-HTTP-SMUGGLE\n");
	free(t);
	/* Near-miss: chunked alone. */
	t = one("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
		"3\r\nabc\r\n0\r\n\r\n");
	expect_no(t, "THREAT");
	expect(t, "BODY 0 http sid=0 [abc] last\n");
	free(t);
}

static void test_smuggle_duplicate_cl(void **state)
{
	char *t = one("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n"
		      "abcd");

	expect(t, "THREAT 0 http BH-NET-HTTP-SMUGGLE\n");
	free(t);
	t = one("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4, 5\r\n\r\nabcd");
	expect(t, "THREAT 0 http BH-NET-HTTP-SMUGGLE\n");
	free(t);
	t = one("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +4\r\n\r\nabcd");
	expect(t, "THREAT 0 http BH-NET-HTTP-SMUGGLE\n");
	free(t);
	/* Near-miss: the same length twice, and as a list (RFC 9110 8.6). */
	t = one("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\ncontent-length: 4\r\n\r\nabcd");
	expect_no(t, "THREAT");
	expect(t, "BODY 0 http sid=0 [abcd] last\n");
	free(t);
	t = one("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4, 4\r\n\r\nabcd");
	expect_no(t, "THREAT");
	free(t);
}

static void test_smuggle_bad_te(void **state)
{
	static const char *const bad[] = {
		"Transfer-Encoding: xchunked",
		"Transfer-Encoding: chunked, identityx",
		"Transfer-Encoding: gzip",
		"Transfer-Encoding: \"chunked\"",
		"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
		"Transfer-Encoding : chunked",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char req[256];
		char *t;

		snprintf(req, sizeof(req), "POST / HTTP/1.1\r\nHost: h\r\n%s\r\n\r\n0\r\n\r\n",
			 bad[i]);
		t = one(req);
		expect(t, "THREAT 0 http BH-NET-HTTP-SMUGGLE\n");
		free(t);
	}
	/* Near-miss: a list ending in chunked, any case. */
	char *t = one("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
		      "0\r\n\r\n");

	expect_no(t, "THREAT");
	free(t);
}

static void test_smuggle_folding(void **state)
{
	char *t = one("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n Transfer-Encoding: chunked\r\n\r\n");

	expect(t, "THREAT 0 http BH-NET-HTTP-SMUGGLE\n");
	free(t);
	/* Near-miss: spaces and tabs inside a value. */
	t = one("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1 \t 2\r\nUser-Agent:  x  y\r\n\r\n");
	expect_no(t, "THREAT");
	free(t);
}

/* A target with raw spaces, as a lenient server (nginx before 1.21.1) reads
 * it: what lies between the method and the version, its query kept for the
 * SQL injection check, the line flagged. */
static void test_raw_space_target(void **state)
{
	enum bh_net_feed rc;
	char *t = one("GET /a b?id=1' OR 1=1-- HTTP/1.1\r\nHost: h\r\n\r\n");

	expect(t, "THREAT 0 http BH-NET-HTTP-SMUGGLE\n");
	expect(t, "REQ 0 http v=11 sid=0 method=GET host=h path=/a b query=id=1' OR 1=1-- ct=\n");
	free(t);
	t = one("POST /x\ty HTTP/1.0\r\nContent-Length: 2\r\n\r\nab");
	expect(t, "THREAT 0 http BH-NET-HTTP-SMUGGLE\n");
	expect(t, "method=POST host= path=/x\ty query= ct=\n");
	expect(t, "BODY 0 http sid=0 [ab] last\n");
	free(t);
	/* Near-misses: an encoded space; no version at the end (not HTTP). */
	t = one("GET /a%20b?id=1 HTTP/1.1\r\nHost: h\r\n\r\n");
	expect_no(t, "THREAT");
	free(t);
	static const char *const no_version[] = { "GET /a b c\r\n\r\n",
						  "GET /a b HTTP/1.1x\r\n\r\n",
						  "GET  HTTP/1.1\r\n\r\n",
						  "GET \t  HTTP/1.1\r\n\r\n" };
	for (size_t i = 0; i < 4; i++) {
		const struct l7_seg s[] = { { C, no_version[i], strlen(no_version[i]), 0 } };

		t = run(s, 1, &rc);
		if (rc != BH_NET_FEED_MALFORMED)
			fail_msg("case %zu: %d:\n%s", i, rc, t);
		free(t);
	}
}

/* Runs of spaces or tabs after the method and before the version are
 * skipped, as nginx 1.22 and python's http.server do ("GET  /admin" serves
 * /admin): the target has none at either end, so a policy's path prefix
 * still matches; the line is flagged as the raw-space case is. */
static void test_extra_spaces_around_target(void **state)
{
	static const char *const reqs[] = {
		"GET  /admin HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /admin  HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET \t /admin?q=1 \t HTTP/1.1\r\nHost: h\r\n\r\n",
	};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		char *t = one(reqs[i]);

		expect(t, "THREAT 0 http BH-NET-HTTP-SMUGGLE\n");
		expect(t, "REQ 0 http v=11 sid=0 method=GET host=h path=/admin query=");
		expect_no(t, "path= ");
		expect_no(t, "path=\t");
		free(t);
	}
}

static void test_slowloris(void **state)
{
	static const char p1[] = "GET / HTTP/1.1\r\n", p2[] = "Host: h\r\n", p3[] = "X-a: b\r\n",
			  p4[] = "X-c: d\r\n";
	const struct l7_seg slow[] = { { C, p1, sizeof(p1) - 1, 100 },
				       { C, p2, sizeof(p2) - 1, 104 },
				       { C, p3, sizeof(p3) - 1, 108 },
				       { C, p4, sizeof(p4) - 1, 112 } };
	char *t = run(slow, 4, NULL);

	expect(t, "THREAT 0 http BH-NET-HTTP-SLOWLORIS\n");
	free(t);

	/* Near-misses: the same pieces within 10 s; and a keep-alive connection
	 * idle for a minute between two whole requests. */
	const struct l7_seg quick[] = { { C, p1, sizeof(p1) - 1, 100 },
					{ C, p2, sizeof(p2) - 1, 103 },
					{ C, p3, sizeof(p3) - 1, 106 },
					{ C, "\r\n", 2, 109.5 } };

	t = run(quick, 4, NULL);
	expect_no(t, "THREAT");
	expect(t, "REQ 0");
	free(t);
	static const char whole[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
	const struct l7_seg idle[] = { { C, whole, sizeof(whole) - 1, 100 },
				       { C, whole, sizeof(whole) - 1, 160 },
				       { C, whole, sizeof(whole) - 1, 220 } };

	t = run(idle, 3, NULL);
	expect_no(t, "THREAT");
	free(t);
}

static void test_hostile(void **state)
{
	enum bh_net_feed rc;
	char *big = bh_malloc(20000), *t;

	/* A header block over the bound. */
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	memset(big + 19, 'a', 20000 - 19);
	const struct l7_seg a[] = { { C, big, 20000, 0 } };

	t = l7_run_flow(D, &l7_tcp, a, 1, 0, &rc);
	assert_int_equal(rc, BH_NET_FEED_MALFORMED);
	free(t);
	free(big);

	static const char *const broken[] = {
		"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
		"fffffffffffffffffff\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc",
		"GET /\r\n\r\n",
		"GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
		"GET / HTTP/1.1\r\nBad name\x01: x\r\n\r\n",
		"G(T / HTTP/1.1\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		const struct l7_seg s[] = { { C, broken[i], strlen(broken[i]), 0 } };

		t = run(s, 1, &rc);
		if (rc != BH_NET_FEED_MALFORMED)
			fail_msg("case %zu: %d:\n%s", i, rc, t);
		free(t);
	}
	static const char *const bad_status[] = { "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/2 200\r\n\r\n",
						  "HTTP/1.1 200OK\r\n\r\n" };
	for (size_t i = 0; i < 3; i++) {
		const struct l7_seg s[] = { { S, bad_status[i], strlen(bad_status[i]), 0 } };

		t = run(s, 1, &rc);
		assert_int_equal(rc, BH_NET_FEED_MALFORMED);
		free(t);
	}
	/* A gap inside a counted body is skipped; in the headers it ends. */
	struct bh_net_dissect_ctx ctx = { &l7_tcp, 0, l7_emit, NULL, NULL, NULL, NULL };
	struct l7_log l = { .text = BH_BUF_INIT(1 << 16) };
	void *st = bh_calloc(1, D->state_size);
	static const char req[] = "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nab";

	ctx.opaque = &l;
	assert_int_equal(D->feed(st, C, (const uint8_t *)req, sizeof(req) - 1, &ctx), 0);
	assert_int_equal(D->feed(st, C, NULL, 4, &ctx), BH_NET_FEED_MORE);
	assert_int_equal(D->feed(st, C, (const uint8_t *)"cdefGET / HTTP/1.1\r\n\r\n", 22, &ctx),
			 BH_NET_FEED_MORE);
	assert_non_null(strstr(l.text.data, "REQ 0 http v=11 sid=0 method=GET"));
	assert_int_equal(D->feed(st, C, (const uint8_t *)"GET", 3, &ctx), BH_NET_FEED_MORE);
	assert_int_equal(D->feed(st, C, NULL, 4, &ctx), BH_NET_FEED_DONE);
	free(st);
	bh_buf_release(&l.text);
}

static void test_probe(void **state)
{
	assert_int_equal(D->probe(&l7_tcp, C, (const uint8_t *)"GE", 2), BH_NET_PROBE_NEED_MORE);
	assert_int_equal(D->probe(&l7_tcp, C, (const uint8_t *)"GET ", 4), BH_NET_PROBE_YES);
	assert_int_equal(D->probe(&l7_tcp, C, (const uint8_t *)"PRI * HTTP/2.0", 14),
			 BH_NET_PROBE_NO);
	assert_int_equal(D->probe(&l7_tcp, C, (const uint8_t *)"\x16\x03\x01", 3), BH_NET_PROBE_NO);
	assert_int_equal(D->probe(&l7_tcp, C, (const uint8_t *)"GETX / HTTP/1.1", 15),
			 BH_NET_PROBE_NO);
	assert_int_equal(D->probe(&l7_tcp, S, (const uint8_t *)"HTTP/1.1 200", 12),
			 BH_NET_PROBE_YES);
	assert_int_equal(D->probe(&l7_tcp, S, (const uint8_t *)"SSH-2.0", 7), BH_NET_PROBE_NO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curl_capture),
		cmocka_unit_test(test_pipelining_head_chunked),
		cmocka_unit_test(test_continue_connect_upgrade),
		cmocka_unit_test(test_smuggle_cl_te),
		cmocka_unit_test(test_smuggle_duplicate_cl),
		cmocka_unit_test(test_smuggle_bad_te),
		cmocka_unit_test(test_smuggle_folding),
		cmocka_unit_test(test_raw_space_target),
		cmocka_unit_test(test_extra_spaces_around_target),
		cmocka_unit_test(test_slowloris),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_probe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
