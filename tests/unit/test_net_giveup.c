/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dissectors that give up (dissect.h): for each protocol a message whose
 * header or length is valid and whose body is broken, carrying a card
 * number: where the dissector says it gave up (the broken message's first
 * byte in its chunk; 0, with the bytes it held handed back, when that
 * message began in an earlier chunk), and the engine still finding the card
 * (a near-miss, a card failing Luhn, is not). Held bytes go through the SQL
 * injection checks of their protocol too (HTTP's request target,
 * PostgreSQL's query).
 */
#include <arpa/inet.h>

#include "unit.h"
#include "net_pkt.h"

#include "bulkhead/net.h"
#include "net/dissect.h"

#include "banned.h"

#define S(x) x, sizeof(x) - 1

/* a card number that passes Luhn; its near-miss ends in 2 */
#define CARD "4111 1111 1111 1111"

struct gcase {
	const char *app;
	uint16_t port;
	const char *banner; /* from the server first, or NULL */
	size_t banlen;
	const char *v; /* a valid message */
	size_t vlen;
	const char *b; /* a message with a valid header and a broken body */
	size_t blen;
	size_t split; /* where b is cut across two segments */
	size_t held;  /* bytes of b's first part handed back when cut there */
};

static const char mysql_greeting[] = "\x49\0\0\0"
				     "\x0a"
				     "5.7.0\0"
				     "\1\0\0\0"
				     "abcdefgh\0"
				     "\xff\xf7"
				     "\x21"
				     "\x02\0"
				     "\xff\x81"
				     "\x15"
				     "\0\0\0\0\0\0\0\0\0\0"
				     "ijklmnopqrst\0"
				     "mysql_native_password\0";

static const struct gcase cases[] = {
	/* a header line with control bytes */
	{ "http", 80, NULL, 0, S("GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
	  S("GET /p HTTP/1.1\r\nX-Card: " CARD "\r\n\x01\x02junk\r\n\r\n"), 46, 46 },
	/* a HEADERS frame (a literal x-card field) whose CONTINUATION names
	 * another stream: given up from the HEADERS frame */
	{ "http2", 80, NULL, 0, S("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0"),
	  S("\0\0\x1c\x01\0\0\0\0\x01"
	    "\0\x06x-card\x13" CARD "\0\0\x01\x09\x04\0\0\0\x03\x80"),
	  37, 28 },
	/* a control byte in the method: not HTTP, given up at the message's
	 * first byte (cut after "GE": those handed back), the bytes identified
	 * anew (unknown) and scanned */
	{ "http", 80, NULL, 0, S("GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
	  S("GE\x01T /p?c=" CARD " HTTP/1.1\r\nHost: a\r\n\r\n"), 2, 2 },
	/* an array of 3 whose third bulk header is not a number */
	{ "redis", 6379, NULL, 0, S("*1\r\n$4\r\nPING\r\n"),
	  S("*3\r\n$3\r\nSET\r\n$19\r\n" CARD "\r\n$zz\r\n"), 39, 39 },
	/* a Query of 40 bytes without its NUL */
	{ "postgresql", 5432, NULL, 0, S("\0\0\0\x12\0\x03\0\0user\0bob\0\0"),
	  S("Q\0\0\0\x2cselect '" CARD "' from txxxxx"), 35, 30 },
	/* a length under 4, the header cut after 3 bytes: those handed back */
	{ "postgresql", 5432, NULL, 0, S("\0\0\0\x12\0\x03\0\0user\0bob\0\0"),
	  S("Q\0\0\0\x02select '" CARD "'"), 3, 3 },
	/* a handshake response (protocol 41) shorter than its 32 bytes */
	{ "mysql", 3306, S(mysql_greeting), "", 0,
	  S("\x14\0\0\x01\0\x02\0\0"
	    "4111111111111111"),
	  22, 18 },
	/* a client id longer than the request */
	{ "kafka", 9092, NULL, 0, S("\0\0\0\x0a\0\x03\0\x01\0\0\0\x07\xff\xff"),
	  S("\0\0\0\x1c\0\x01\0\x04\0\0\0\x08\x01\0"
	    "4111111111111111 b"),
	  30, 26 },
	/* an OP_MSG whose body document says it is 3 bytes long */
	{ "mongodb", 27017, NULL, 0,
	  S("\x24\0\0\0\x01\0\0\0\0\0\0\0\xdd\x07\0\0\0\0\0\0\0"
	    "\x0f\0\0\0\x10ping\0\x01\0\0\0\0"),
	  S("\x2d\0\0\0\x02\0\0\0\0\0\0\0\xdd\x07\0\0\0\0\0\0\0"
	    "\x03\0\0\0\x02"
	    "4111111111111111\0\0\0"),
	  42, 38 },
	/* a query whose name runs past the message */
	{ "dns", 53, NULL, 0,
	  S("\0\x13\x12\x34\x01\0\0\x01\0\0\0\0\0\0\x01"
	    "a\0\0\x01\0\x01"),
	  S("\0\x1e\x12\x35\x01\0\0\x01\0\0\0\0\0\0\x10"
	    "4111111111111111\x3f"),
	  31, 29 },
	/* a command line with a control byte, after its verb: the verb held
	 * from the first chunk handed back */
	{ "smtp", 25, S("220 mx ESMTP\r\n"), S("EHLO a\r\n"), S("MAIL\x01 FROM:<" CARD "@x>\r\n"),
	  4, 4 },
	/* a BDAT whose size is not a number, the card in the first chunk */
	{ "smtp", 25, S("220 mx ESMTP\r\n"), S("EHLO a\r\n"), S("BDAT - " CARD "\r\n"), 26, 26 },
	{ "ftp", 21, S("220 ftp\r\n"), S("USER a\r\n"), S("CWD\x01 " CARD "\r\n"), 3, 3 },
	/* a verb of 17 bytes (a space-led line), the card in the first chunk */
	{ "ftp", 21, S("220 ftp\r\n"), S("USER a\r\n"), S(" 4111111111111111\x01\r\n"), 17, 17 },
	/* a packet whose padding is as long as the packet: its header's first
	 * three bytes handed back */
	{ "ssh", 22, NULL, 0, S("SSH-2.0-x\r\n"), S("\0\0\0\x20\x40" CARD "............."), 3, 3 },
};

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

/* a copy of b, its card made a near-miss unless bad (the last digit 2: Luhn fails) */
static char *card_copy(const char *b, size_t n, bool bad)
{
	char *c = bh_malloc(n);

	memcpy(c, b, n);
	for (size_t i = 0; i + 16 <= n; i++) {
		if (!memcmp(c + i, "4111111111111111", 16)) {
			c[i + 15] = bad ? '1' : '2';
			return c;
		}
		if (i + 19 <= n && !memcmp(c + i, CARD, 19)) {
			c[i + 18] = bad ? '1' : '2';
			return c;
		}
	}
	fail_msg("no card");
	return c;
}

struct feeder {
	const struct bh_net_dissector *d;
	void *st;
	size_t used;
	struct bh_net_held held;
	struct bh_net_flow_info fl;
};

static enum bh_net_feed feed(struct feeder *f, enum bh_net_dir dir, const void *p, size_t n)
{
	struct bh_net_dissect_ctx ctx = { &f->fl, 1, nop_emit, NULL, &f->used, &f->held, NULL };
	uint8_t *copy = bh_malloc(n ? n : 1);
	enum bh_net_feed r;

	memcpy(copy, p, n);
	f->used = SIZE_MAX;
	f->held.p = NULL;
	f->held.len = 0;
	f->held.type = 0;
	r = f->d->feed(f->st, dir, copy, n, &ctx);
	free(copy);
	return r;
}

static void feeder_start(struct feeder *f, const struct gcase *c)
{
	f->d = dissector(c->app);
	f->st = bh_calloc(1, f->d->state_size);
	f->fl = (struct bh_net_flow_info){ .l4 = BH_NET_L4_TCP,
					   .client_port = 40000,
					   .server_port = c->port };
	if (c->banner && feed(f, BH_NET_TO_CLIENT, c->banner, c->banlen) != BH_NET_FEED_MORE)
		fail_msg("%s: the server's first message refused", c->app);
}

static void feeder_end(struct feeder *f)
{
	if (f->d->fini)
		f->d->fini(f->st);
	free(f->st);
}

/*
 * Where each dissector says it gave up: in one chunk, at the broken
 * message's first byte; cut over two chunks, at 0, with the part of it from
 * the first handed back (for the dissectors that hold it).
 */
static void test_giveup_offsets(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct gcase *c = &cases[i];
		struct feeder f;
		uint8_t *buf = bh_malloc(c->vlen + c->blen);
		enum bh_net_feed r;

		memcpy(buf, c->v, c->vlen);
		memcpy(buf + c->vlen, c->b, c->blen);
		/* one chunk */
		feeder_start(&f, c);
		r = feed(&f, BH_NET_TO_SERVER, buf, c->vlen + c->blen);
		if (r != BH_NET_FEED_MALFORMED || f.used != c->vlen || f.held.len)
			fail_msg("%s: one chunk: %d, used %zu (want %zu), held %zu", c->app, r,
				 f.used, c->vlen, f.held.len);
		feeder_end(&f);
		/* cut at split */
		feeder_start(&f, c);
		r = feed(&f, BH_NET_TO_SERVER, buf, c->vlen + c->split);
		if (r != BH_NET_FEED_MORE)
			fail_msg("%s: the first part refused: %d", c->app, r);
		r = feed(&f, BH_NET_TO_SERVER, c->b + c->split, c->blen - c->split);
		if (r != BH_NET_FEED_MALFORMED || f.used != 0 || f.held.len != c->held)
			fail_msg("%s: cut: %d, used %zu, held %zu (want %zu)", c->app, r, f.used,
				 f.held.len, c->held);
		/* what is handed back is the tail of the first part, as sent */
		if (c->held && memcmp(f.held.p, c->b + c->split - c->held, c->held))
			fail_msg("%s: held bytes differ", c->app);
		/* fix17: PostgreSQL's type byte (not held) comes with its body (a header cut short
		 * is held whole, its type in it) */
		if (f.held.type != (!strcmp(c->app, "postgresql") && c->split >= 5 ? 'Q' : 0))
			fail_msg("%s: held type %d", c->app, f.held.type);
		feeder_end(&f);
		free(buf);
	}
}

/* ---- through the engine ---------------------------------------------------- */

static uint8_t P[40 + 20000];
static char threats[512], details[2048], app[32];
static size_t nflows;

static void keep_flow(const struct bh_net_flow_record *r, void *arg)
{
	(void)arg;
	nflows++;
	snprintf(app, sizeof(app), "%s", r->app);
	threats[0] = 0;
	for (size_t i = 0; i < r->n_threats; i++) {
		size_t l = strlen(threats);

		snprintf(threats + l, sizeof(threats) - l, "%s%s", l ? "," : "", r->threats[i].id);
	}
}

static void keep_record(const struct bh_net_flow_record *f, const struct bh_net_rec *r, void *arg)
{
	size_t l = strlen(details);

	(void)f;
	(void)arg;
	if (r->kind == BH_NET_REC_THREAT)
		snprintf(details + l, sizeof(details) - l, "[%s %.*s]", r->u.threat.id,
			 (int)r->u.threat.detail.len, r->u.threat.detail.p);
	else
		snprintf(details + l, sizeof(details) - l, "[%s %d]", r->app, (int)r->kind);
}

static void packet(struct bh_net_engine *e, double ts, bool from_client, uint16_t sport,
		   uint32_t seq, uint8_t flags, const void *data, size_t n)
{
	size_t tot;

	assert_true(40 + n <= sizeof(P));
	tot = tpkt_tcp4(P, from_client ? "10.0.0.1" : "10.0.0.2", from_client ? 40000 : sport,
			from_client ? "10.0.0.2" : "10.0.0.1", from_client ? sport : 40000, seq,
			flags, data, n);
	bh_net_engine_packet(e, P, tot, BH_NET_LINK_RAW, ts, NULL);
}

struct piece {
	bool server;
	const void *p;
	size_t n;
};

/* One connection to port through every dissector, its pieces each a segment. */
static void run(uint16_t port, const struct piece *pc, size_t n)
{
	struct bh_net_opts o = { .dissectors = bh_net_dissectors,
				 .on_flow = keep_flow,
				 .on_record = keep_record };
	struct bh_net_engine *e = NULL;
	uint32_t seq[2] = { 100, 500 };
	double ts = 1.1;

	assert_int_equal(bh_net_engine_new(&o, &e, NULL), 0);
	nflows = 0;
	threats[0] = details[0] = app[0] = 0;
	packet(e, 1.0, true, port, 99, 0x02, NULL, 0);
	packet(e, 1.0, false, port, 499, 0x12, NULL, 0);
	packet(e, 1.0, true, port, 100, 0x10, NULL, 0);
	for (size_t i = 0; i < n; i++) {
		if (!pc[i].n)
			continue;
		packet(e, ts, !pc[i].server, port, seq[pc[i].server], 0x10, pc[i].p, pc[i].n);
		seq[pc[i].server] += (uint32_t)pc[i].n;
		ts += 0.01;
	}
	bh_net_engine_flush(e);
	bh_net_engine_free(e);
	assert_int_equal(nflows, 1);
}

static bool has(const char *id)
{
	return strstr(threats, id) != NULL;
}

/*
 * Each protocol's broken message, whole in one segment and cut over two,
 * carrying a card: found (the bytes the dissector gave up on are scanned,
 * those it held from the first segment too); its near-miss: not.
 */
static void test_giveup_engine_dlp(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct gcase *c = &cases[i];

		for (int bad = 1; bad >= 0; bad--) {
			char *b = card_copy(c->b, c->blen, bad);
			struct piece whole[] = { { true, c->banner, c->banlen },
						 { false, c->v, c->vlen },
						 { false, b, c->blen } };
			struct piece cut[] = { { true, c->banner, c->banlen },
					       { false, c->v, c->vlen },
					       { false, b, c->split },
					       { false, b + c->split, c->blen - c->split } };

			run(c->port, whole, 3);
			if (strcmp(app, c->app) || has("BH-NET-DLP-CARD") != (bad == 1))
				fail_msg("%s whole, card %d: app %s, threats %s %s", c->app, bad,
					 app, threats, details);
			run(c->port, cut, 4);
			if (strcmp(app, c->app) || has("BH-NET-DLP-CARD") != (bad == 1))
				fail_msg("%s cut at %zu, card %d: app %s, threats %s", c->app,
					 c->split, bad, app, threats);
			free(b);
		}
	}
}

/*
 * An injection begun in the first segment of a message that the second
 * makes malformed: the held part is judged by its protocol's SQL injection
 * check (HTTP's query string, PostgreSQL's statement); near-misses are not.
 */
static void test_giveup_held_sqli(void **state)
{
	static const char get[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char junk[] = "\x01\x02junk\r\n\r\n";
	static const char *const http[4] = {
		"GET /p?id=1%27%20OR%20%271%27%3D%271 HTTP/1.1\r\nHost: a\r\n",
		"GET /p?id=O%27Reilly%20and%20sons HTTP/1.1\r\nHost: a\r\n",
		/* raw spaces in the target: read to the line's last space */
		"GET /a b?id=1' OR 1=1-- HTTP/1.1\r\nHost: a\r\n",
		"GET /a b?id=O'Reilly and sons HTTP/1.1\r\nHost: a\r\n",
	};
	static const char startup[] = "\0\0\0\x12\0\x03\0\0user\0bob\0\0";
	static const char *const pg[2] = {
		"select a from t where id = '1' or '1'='1' ",
		"select a from t where name = 'or 1=1'    ",
	};

	(void)state;
	for (int k = 0; k < 4; k++) {
		const char *h = http[k];
		bool bad = !(k & 1);
		struct piece p[] = { { false, S(get) },
				     { false, h, strlen(h) },
				     { false, S(junk) } };

		run(80, p, 3);
		assert_string_equal(app, "http");
		if (has("BH-NET-SQLI") != bad)
			fail_msg("http %d, injection %d: %s %s", k, bad, threats, details);
		if (bad)
			assert_non_null(strstr(details, "held query string parameter \"id\""));
	}
	for (int bad = 1; bad >= 0; bad--) {
		/* Q of 4 + 60 bytes: the text in the first segment, the rest
		 * (no NUL) in the second */
		char q[5 + 60];
		const char *t = pg[bad ? 0 : 1];
		size_t tl = strlen(t);
		struct piece p[] = { { false, S(startup) },
				     { false, q, 5 + tl },
				     { false, q + 5 + tl, 60 - tl } };

		assert_true(tl < 60);
		memcpy(q, "Q\0\0\0\x40", 5);
		memcpy(q + 5, t, tl);
		memset(q + 5 + tl, 'x', 60 - tl);
		run(5432, p, 3);
		assert_string_equal(app, "postgresql");
		if (has("BH-NET-SQLI") != (bad == 1))
			fail_msg("postgresql, injection %d: %s %s", bad, threats, details);
		if (bad)
			assert_non_null(strstr(details, "held statement"));
	}
}

/*
 * A control byte in an HTTP method as a flow's first message: no dissector
 * takes it (HTTP's probe says no), so its bytes are unknown and scanned for
 * data leaks, whole or cut in the method; the near-miss card is not found.
 */
static void test_giveup_http_method_ctl(void **state)
{
	static const char m[] = "GE\x01T /p?c=" CARD " HTTP/1.1\r\nHost: a\r\n\r\n";

	(void)state;
	for (int bad = 1; bad >= 0; bad--) {
		char *b = card_copy(m, sizeof(m) - 1, bad);
		struct piece whole[] = { { false, b, sizeof(m) - 1 } };
		struct piece cut[] = { { false, b, 2 }, { false, b + 2, sizeof(m) - 3 } };

		run(80, whole, 1);
		if (strcmp(app, "unknown") || has("BH-NET-DLP-CARD") != (bad == 1))
			fail_msg("whole, card %d: app %s, threats %s", bad, app, threats);
		run(80, cut, 2);
		if (strcmp(app, "unknown") || has("BH-NET-DLP-CARD") != (bad == 1))
			fail_msg("cut, card %d: app %s, threats %s", bad, app, threats);
		free(b);
	}
}

/* ---- HTTP/2: a header block over several frames and chunks ------------------ */

static const char h2_start[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";

/* A frame header: payload length n, type, flags, stream sid. */
static size_t h2_fh(uint8_t *o, size_t n, uint8_t type, uint8_t flags, uint32_t sid)
{
	o[0] = (uint8_t)(n >> 16);
	o[1] = (uint8_t)(n >> 8);
	o[2] = (uint8_t)n;
	o[3] = type;
	o[4] = flags;
	o[5] = (uint8_t)(sid >> 24);
	o[6] = (uint8_t)(sid >> 16);
	o[7] = (uint8_t)(sid >> 8);
	o[8] = (uint8_t)sid;
	return 9;
}

struct h2msg {
	uint8_t b[40000];
	size_t len;
	size_t cut[3]; /* where each frame begins */
	size_t ncut;
};

/*
 * After the preface: a header block of one literal field x-card whose value
 * (vlen bytes, the card at its start) is spread over HEADERS and two
 * CONTINUATIONs of f0, f1, f2 payload bytes (no END_HEADERS), the third on
 * stream 3 (RFC 9113 6.10: malformed) unless over says it is on stream 1
 * and the block then runs past the dissector's 16 KiB.
 */
static void h2_block_msg(struct h2msg *m, size_t f0, size_t f1, size_t f2, bool over)
{
	uint8_t blk[40000];
	size_t n = 0, vlen = f0 + f1 + f2 - 11, off = 0;

	/* the length: 127 + a varint of 2 bytes */
	assert_true(f0 + f1 + f2 <= sizeof(blk) && vlen >= 255 && vlen - 127 < 16384);
	blk[n++] = 0; /* literal, not indexed, new name */
	blk[n++] = 6;
	memcpy(blk + n, "x-card", 6), n += 6;
	blk[n++] = 0x7f;
	blk[n++] = (uint8_t)(((vlen - 127) & 0x7f) | 0x80);
	blk[n++] = (uint8_t)((vlen - 127) >> 7);
	memset(blk + n, 'a', vlen);
	memcpy(blk + n, CARD " ", 20);
	m->len = 0;
	m->ncut = 0;
	for (int k = 0; k < 3; k++) {
		size_t fl = k == 0 ? f0 : k == 1 ? f1 : f2;

		m->cut[m->ncut++] = m->len;
		m->len += h2_fh(m->b + m->len, fl, k ? 9 : 1, 0, k == 2 && !over ? 3 : 1);
		memcpy(m->b + m->len, blk + off, fl);
		m->len += fl;
		off += fl;
	}
}

/*
 * A block of HEADERS, CONTINUATION and a breaking CONTINUATION (another
 * stream; or one running the block past 16 KiB, no longer a DONE that
 * ended the inspection): given up from the HEADERS frame's first byte in
 * one chunk; its frames each a chunk, at 0 of the last with the payloads
 * of the first two handed back; through the engine, the card in the
 * HEADERS frame found (its near-miss not).
 */
static void test_giveup_h2_continuation(void **state)
{
	static struct h2msg m;
	static uint8_t buf[sizeof(m.b) + sizeof(h2_start)];
	const size_t pre = sizeof(h2_start) - 1;

	(void)state;
	for (int over = 0; over <= 1; over++) {
		const struct gcase c = { .app = "http2", .port = 80 };
		struct feeder f;
		enum bh_net_feed r;
		size_t f0 = 9000, f1 = 7000, f2 = over ? 500 : 100;

		h2_block_msg(&m, f0, f1, f2, over);
		memcpy(buf, h2_start, pre);
		memcpy(buf + pre, m.b, m.len);
		/* one chunk */
		feeder_start(&f, &c);
		r = feed(&f, BH_NET_TO_SERVER, buf, pre + m.len);
		if (r != BH_NET_FEED_MALFORMED || f.used != pre || f.held.len)
			fail_msg("over %d: one chunk: %d, used %zu (want %zu), held %zu", over, r,
				 f.used, pre, f.held.len);
		feeder_end(&f);
		/* each frame a chunk */
		feeder_start(&f, &c);
		assert_int_equal(feed(&f, BH_NET_TO_SERVER, buf, pre + m.cut[1]), BH_NET_FEED_MORE);
		assert_int_equal(feed(&f, BH_NET_TO_SERVER, m.b + m.cut[1], m.cut[2] - m.cut[1]),
				 BH_NET_FEED_MORE);
		r = feed(&f, BH_NET_TO_SERVER, m.b + m.cut[2], m.len - m.cut[2]);
		if (r != BH_NET_FEED_MALFORMED || f.used != 0 || f.held.len != f0 + f1)
			fail_msg("over %d: by frame: %d, used %zu, held %zu (want %zu)", over, r,
				 f.used, f.held.len, f0 + f1);
		/* the payloads as sent: the field's header, then the value */
		if (memcmp(f.held.p, m.b + 9, f0) || memcmp((const char *)f.held.p + 11, CARD, 19))
			fail_msg("over %d: held bytes differ", over);
		feeder_end(&f);
		/* the HEADERS frame cut in two, then the rest in one chunk */
		feeder_start(&f, &c);
		assert_int_equal(feed(&f, BH_NET_TO_SERVER, buf, pre + 100), BH_NET_FEED_MORE);
		r = feed(&f, BH_NET_TO_SERVER, m.b + 100, m.len - 100);
		if (r != BH_NET_FEED_MALFORMED || f.used != 0 || f.held.len != 91)
			fail_msg("over %d: cut in HEADERS: %d, used %zu, held %zu", over, r, f.used,
				 f.held.len);
		feeder_end(&f);
		for (int bad = 1; bad >= 0; bad--) {
			char *b = card_copy((const char *)m.b, m.len, bad);
			struct piece whole[] = { { false, h2_start, pre }, { false, b, m.len } };
			struct piece cut[] = { { false, h2_start, pre },
					       { false, b, m.cut[1] },
					       { false, b + m.cut[1], m.cut[2] - m.cut[1] },
					       { false, b + m.cut[2], m.len - m.cut[2] } };

			run(80, whole, 2);
			if (strcmp(app, "http2") || has("BH-NET-DLP-CARD") != (bad == 1))
				fail_msg("over %d whole, card %d: app %s, threats %s %s", over, bad,
					 app, threats, details);
			run(80, cut, 4);
			if (strcmp(app, "http2") || has("BH-NET-DLP-CARD") != (bad == 1))
				fail_msg("over %d by frame, card %d: app %s, threats %s %s", over,
					 bad, app, threats, details);
			free(b);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_giveup_offsets),
		cmocka_unit_test(test_giveup_engine_dlp),
		cmocka_unit_test(test_giveup_held_sqli),
		cmocka_unit_test(test_giveup_h2_continuation),
		cmocka_unit_test(test_giveup_http_method_ctl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
