/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers of the dissector unit tests (test_l7_*.c): feed a dissector a
 * conversation (segments, each a direction, bytes and a time), split at a
 * given byte of every segment or one byte at a time, each piece copied to an
 * exact-size allocation (ASan sees an over-read), and record what it emits
 * as text, one line per record; body pieces of one stream are joined, so the
 * text does not depend on where the bytes were split.
 */
#ifndef BULKHEAD_TEST_L7_H
#define BULKHEAD_TEST_L7_H

#include "unit.h"
#include "net/dissect.h"
#include "net/threats.h"

struct l7_seg {
	enum bh_net_dir dir;
	const void *p;
	size_t len;
	double now;
};

struct l7_log {
	struct bh_buf text;
	bool body_open;
	enum bh_net_dir body_dir;
	uint32_t body_sid;
};

static inline void l7_str(struct bh_buf *b, const char *tag, struct bh_net_str s)
{
	bh_buf_addf(b, NULL, " %s=%.*s", tag, (int)s.len, s.p ? s.p : "");
}

static inline void l7_close_body(struct l7_log *l)
{
	if (l->body_open)
		bh_buf_adds(&l->text, "]\n", NULL);
	l->body_open = false;
}

static void l7_emit(void *opaque, const struct bh_net_rec *r)
{
	struct l7_log *l = opaque;
	struct bh_buf *b = &l->text;

	assert_non_null(r->app);
	if (r->kind == BH_NET_REC_HTTP_BODY) {
		if (!l->body_open || l->body_dir != r->dir || l->body_sid != r->u.body.stream_id) {
			l7_close_body(l);
			bh_buf_addf(b, NULL, "BODY %d %s sid=%u [", r->dir, r->app,
				    r->u.body.stream_id);
			l->body_open = true;
			l->body_dir = r->dir;
			l->body_sid = r->u.body.stream_id;
		}
		for (size_t i = 0; i < r->u.body.data.len; i++) {
			unsigned char c = (unsigned char)r->u.body.data.p[i];

			if (bh_isprint(c) || c == '\n')
				bh_buf_addc(b, (char)c, NULL);
			else
				bh_buf_addf(b, NULL, "\\x%02x", c);
		}
		if (r->u.body.last) {
			bh_buf_adds(b, "] last\n", NULL);
			l->body_open = false;
		}
		return;
	}
	l7_close_body(l);
	switch (r->kind) {
	case BH_NET_REC_HTTP_REQUEST:
		bh_buf_addf(b, NULL, "REQ %d %s v=%d sid=%u", r->dir, r->app, r->u.http.version,
			    r->u.http.stream_id);
		l7_str(b, "method", r->u.http.method);
		l7_str(b, "host", r->u.http.host);
		l7_str(b, "path", r->u.http.path);
		l7_str(b, "query", r->u.http.query);
		l7_str(b, "ct", r->u.http.content_type);
		break;
	case BH_NET_REC_HTTP_RESPONSE:
		bh_buf_addf(b, NULL, "RESP %d %s status=%d sid=%u", r->dir, r->app,
			    r->u.response.status, r->u.response.stream_id);
		break;
	case BH_NET_REC_TLS_HELLO:
		bh_buf_addf(b, NULL, "TLS %d %s version=%04x cipher=%04x", r->dir,
			    r->u.tls.client ? "client" : "server", r->u.tls.version,
			    r->u.tls.cipher);
		l7_str(b, "sni", r->u.tls.sni);
		l7_str(b, "alpn", r->u.tls.alpn);
		break;
	case BH_NET_REC_DNS:
		bh_buf_addf(b, NULL, "DNS %d %s id=%u qtype=%u rcode=%u an=%u len=%zu", r->dir,
			    r->u.dns.response ? "response" : "query", r->u.dns.id, r->u.dns.qtype,
			    r->u.dns.rcode, r->u.dns.ancount, r->u.dns.msg_len);
		l7_str(b, "qname", r->u.dns.qname);
		break;
	case BH_NET_REC_THREAT:
		assert_non_null(bh_net_threat_find(r->u.threat.id));
		bh_buf_addf(b, NULL, "THREAT %d %s %s", r->dir, r->app, r->u.threat.id);
		break;
	default: bh_buf_addf(b, NULL, "OTHER %d", r->kind); break;
	}
	bh_buf_adds(b, "\n", NULL);
}

/* Feed segs to a fresh state of dis, each segment split at byte `split` (0:
 * whole; SIZE_MAX: one byte at a time). Returns the text (caller frees) and
 * the last feed's result in *rc; feeding stops at the first result that is
 * not MORE, as the engine does. */
static inline char *l7_run_flow(const struct bh_net_dissector *dis,
				const struct bh_net_flow_info *flow, const struct l7_seg *segs,
				size_t n, size_t split, enum bh_net_feed *rc)
{
	struct l7_log l = { .text = BH_BUF_INIT(1 << 22) };
	void *state;
	enum bh_net_feed r = BH_NET_FEED_MORE;

	assert_true(dis->state_size <= BH_NET_STATE_MAX);
	state = bh_calloc(1, dis->state_size);
	bh_buf_adds(&l.text, "", NULL);
	for (size_t i = 0; i < n && r == BH_NET_FEED_MORE; i++) {
		size_t used;
		struct bh_net_held held;
		struct bh_net_dissect_ctx ctx = {
			flow, segs[i].now, l7_emit, &l, &used, &held, NULL
		};
		const uint8_t *p = segs[i].p;
		size_t len = segs[i].len, off = 0;

		while (off < len || (len == 0 && off == 0)) {
			size_t k = len - off;

			if (split == SIZE_MAX)
				k = k ? 1 : 0;
			else if (split && off == 0 && split < len)
				k = split;
			uint8_t *copy = bh_malloc(k ? k : 1);

			memcpy(copy, p + off, k);
			used = SIZE_MAX;
			held.p = NULL;
			held.len = 0;
			held.type = 0;
			r = dis->feed(state, segs[i].dir, copy, k, &ctx);
			free(copy);
			/* where it gave up is inside the chunk; what it held of
			 * an earlier chunk's message is in its state or memory
			 * it owns (dissect.h): read whole (the sanitizer build
			 * catches a pointer outside it) */
			if (used != SIZE_MAX)
				assert_true(r == BH_NET_FEED_MALFORMED && used <= k);
			if (held.len) {
				volatile unsigned sum = 0;

				assert_true(used == 0 && held.p && r == BH_NET_FEED_MALFORMED);
				for (size_t h = 0; h < held.len; h++)
					sum += ((const uint8_t *)held.p)[h];
			}
			off += k;
			if (r != BH_NET_FEED_MORE || len == 0)
				break;
		}
	}
	l7_close_body(&l);
	if (dis->fini)
		dis->fini(state);
	free(state);
	if (rc)
		*rc = r;
	return bh_buf_detach(&l.text, NULL);
}

static const struct bh_net_flow_info l7_tcp = { .l4 = BH_NET_L4_TCP, .server_port = 12345 };
static const struct bh_net_flow_info l7_udp = { .l4 = BH_NET_L4_UDP, .server_port = 12345 };

/* Run whole, then split at every byte of the longest segment and one byte at
 * a time (TCP only): every run must give the same text and result. */
static inline char *l7_run_all(const struct bh_net_dissector *dis,
			       const struct bh_net_flow_info *flow, const struct l7_seg *segs,
			       size_t n, enum bh_net_feed *rc)
{
	enum bh_net_feed r0, r;
	char *want = l7_run_flow(dis, flow, segs, n, 0, &r0);
	size_t longest = 0;

	if (flow->l4 == BH_NET_L4_TCP) {
		for (size_t i = 0; i < n; i++)
			if (segs[i].len > longest)
				longest = segs[i].len;
		for (size_t s = 1; s <= longest; s++) {
			char *got = l7_run_flow(dis, flow, segs, n, s, &r);

			if (strcmp(got, want) != 0)
				fail_msg("split at %zu:\n%s\nwhole:\n%s", s, got, want);
			assert_int_equal(r, r0);
			free(got);
		}
		char *got = l7_run_flow(dis, flow, segs, n, SIZE_MAX, &r);

		if (strcmp(got, want) != 0)
			fail_msg("byte at a time:\n%s\nwhole:\n%s", got, want);
		assert_int_equal(r, r0);
		free(got);
	}
	if (rc)
		*rc = r0;
	return want;
}

#define L7_SEG(d, s)                                                                               \
	{                                                                                          \
		(d), (s), sizeof(s) - 1, 0                                                         \
	}

/* Assert that text contains (or not) a line starting with needle. */
static inline bool l7_has(const char *text, const char *needle)
{
	return strstr(text, needle) != NULL;
}

/* A recorded conversation in the fuzz seed format (fuzz/l7_fuzz.h), read
 * from path (relative to the repository root); *n gets the segment count.
 * The caller frees *blob and the returned array. */
static inline struct l7_seg *l7_load(const char *path, size_t *n, uint8_t **blob)
{
	FILE *f = fopen(path, "rbe");
	struct l7_seg *segs = NULL;
	size_t len, off = 2;

	if (!f)
		fail_msg("%s: cannot open (run from the repository root)", path);
	*blob = bh_malloc(1 << 20);
	len = fread(*blob, 1, 1 << 20, f);
	fclose(f);
	*n = 0;
	while (off + 3 <= len) {
		size_t k = (size_t)(*blob)[off + 1] << 8 | (*blob)[off + 2];

		assert_true(off + 3 + k <= len);
		segs = bh_reallocarray(segs, *n + 1, sizeof(*segs));
		segs[*n] = (struct l7_seg){ (enum bh_net_dir)((*blob)[off] & 1), *blob + off + 3, k,
					    (double)*n };
		(*n)++;
		off += 3 + k;
	}
	return segs;
}

/* The directions, short, as the tests' conversations use them. */
#define C BH_NET_TO_SERVER
#define S BH_NET_TO_CLIENT

/* text (a recorded log) holds line / does not hold needle. */
static inline void expect(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("no '%s' in:\n%s", line, text);
}

static inline void expect_no(const char *text, const char *needle)
{
	if (strstr(text, needle))
		fail_msg("unexpected '%s' in:\n%s", needle, text);
}

#endif
