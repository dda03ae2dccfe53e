/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The packet engine's matchers (SQL injection in HTTP and SQL records,
 * raw payloads, data leaks, the sensor mode, the gRPC app) and dissectors
 * giving up: inside the probe window, where in a chunk, the bytes held
 * before it scanned.
 */
#include <arpa/inet.h>

#include "unit.h"
#include "bulkhead/net.h"
#include "net/dissect.h"
#include "net/net_int.h"
#include "net_unit.h"
#include "banned.h"

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
	int rc = cmocka_run_group_tests_name("net matchers", tests, NULL, NULL);

	bh_buf_release(&fed[0]);
	bh_buf_release(&fed[1]);
	return rc;
}
