/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Driving one dissector (src/net/dissect.h) the way the engine does, without
 * the engine: a conversation of messages each way, fed whole, split at
 * every byte position (of messages up to 8 KiB; see l7_check for longer
 * ones), byte by byte, and with consecutive messages of one direction
 * joined; every record written to a text log the tests compare.
 * Consecutive HTTP_BODY records are joined in the log (their split depends
 * on the feed's). Every piece fed is a heap copy of exactly its bytes, so
 * an over-read is caught under the sanitizers.
 */
#ifndef BULKHEAD_UNIT_L7_RECORD_H
#define BULKHEAD_UNIT_L7_RECORD_H

#include <arpa/inet.h>

#include "net/dissect.h"

struct l7_log {
	char buf[1 << 16];
	size_t len;
	bool body_open;
};

struct l7_msg {
	enum bh_net_dir dir;
	const void *p;
	size_t n;
};

static inline void l7_put(struct l7_log *l, const char *s, size_t n)
{
	if (n > sizeof(l->buf) - 1 - l->len)
		fail_msg("l7 log full");
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->buf[l->len] = 0;
}

static inline void l7_puts(struct l7_log *l, const char *s)
{
	l7_put(l, s, strlen(s));
}

static inline void l7_str(struct l7_log *l, const struct bh_net_str *s)
{
	char e[8];

	for (size_t i = 0; i < s->len; i++) {
		unsigned char c = (unsigned char)s->p[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			l7_put(l, (const char *)&c, 1);
		} else {
			snprintf(e, sizeof(e), "\\x%02x", c);
			l7_puts(l, e);
		}
	}
}

static inline void l7_emit(void *opaque, const struct bh_net_rec *r)
{
	struct l7_log *l = opaque;
	char t[96];

	assert_non_null(r->app);
	if (r->kind == BH_NET_REC_HTTP_BODY) {
		if (l->body_open)
			l->len--; /* join with the previous piece */
		else
			l7_puts(l, r->dir == BH_NET_TO_SERVER ? "C body " : "S body ");
		l7_str(l, &r->u.body.data);
		l7_puts(l, r->u.body.last ? " [last]\n" : "\n");
		l->body_open = !r->u.body.last;
		return;
	}
	l->body_open = false;
	l7_puts(l, r->dir == BH_NET_TO_SERVER ? "C " : "S ");
	switch (r->kind) {
	case BH_NET_REC_COMMAND:
		l7_puts(l, "cmd ");
		l7_str(l, &r->u.command.name);
		l7_puts(l, "|");
		l7_str(l, &r->u.command.arg);
		break;
	case BH_NET_REC_SQL:
		l7_puts(l, r->u.sql.truncated ? "sql(cut) " : "sql ");
		l7_str(l, &r->u.sql.text);
		assert_null(r->u.sql.statement);
		break;
	case BH_NET_REC_EXPECT: {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, r->u.expect.addr, a, sizeof(a));
		snprintf(t, sizeof(t), "expect %s %u %s", a, r->u.expect.port, r->u.expect.app);
		l7_puts(l, t);
		break;
	}
	case BH_NET_REC_THREAT:
		l7_puts(l, "threat ");
		l7_puts(l, r->u.threat.id);
		l7_puts(l, " ");
		l7_str(l, &r->u.threat.detail);
		break;
	default: snprintf(t, sizeof(t), "kind %d", (int)r->kind); l7_puts(l, t);
	}
	l7_puts(l, "\n");
}

/* A flow 10.0.0.1:40000 -> 10.0.0.2:port. */
static inline struct bh_net_flow_info l7_flow(uint16_t port)
{
	struct bh_net_flow_info f = { .l4 = BH_NET_L4_TCP, .client_port = 40000 };

	f.server_port = port;
	f.client_addr[10] = f.client_addr[11] = f.server_addr[10] = f.server_addr[11] = 0xff;
	f.client_addr[12] = f.server_addr[12] = 10;
	f.client_addr[15] = 1;
	f.server_addr[15] = 2;
	return f;
}

static inline enum bh_net_feed l7_feed1(const struct bh_net_dissector *d, void *st,
					enum bh_net_dir dir, const uint8_t *p, size_t n,
					const struct bh_net_dissect_ctx *ctx)
{
	uint8_t *copy = malloc(n ? n : 1);
	enum bh_net_feed f;

	memcpy(copy, p, n);
	f = d->feed(st, dir, copy, n, ctx);
	free(copy);
	return f;
}

/* Feed the conversation: each message split at `split` (0: whole, SIZE_MAX:
 * byte by byte), or with `join` consecutive messages of one direction in one
 * call. The feed's end (DONE, MALFORMED) is logged. */
static inline void l7_run(const struct bh_net_dissector *d, const struct bh_net_flow_info *fl,
			  const struct l7_msg *m, size_t nm, size_t split, bool join,
			  struct l7_log *log)
{
	struct bh_net_dissect_ctx ctx = { .flow = fl, .now = 1, .emit = l7_emit, .opaque = log };
	void *st;
	enum bh_net_feed f = BH_NET_FEED_MORE;

	assert_true(d->state_size <= BH_NET_STATE_MAX);
	st = calloc(1, d->state_size);
	log->len = 0;
	log->buf[0] = 0;
	log->body_open = false;
	for (size_t i = 0; i < nm && f == BH_NET_FEED_MORE; i++) {
		const uint8_t *p = m[i].p;
		size_t n = m[i].n;
		if (join) {
			size_t j = i + 1, tot = n;
			while (j < nm && m[j].dir == m[i].dir)
				tot += m[j++].n;
			uint8_t *b = malloc(tot ? tot : 1), *q = b;
			for (size_t k = i; k < j; k++) {
				memcpy(q, m[k].p, m[k].n);
				q += m[k].n;
			}
			f = l7_feed1(d, st, m[i].dir, b, tot, &ctx);
			free(b);
			i = j - 1;
			continue;
		}
		if (split == SIZE_MAX) {
			for (size_t k = 0; k < n && f == BH_NET_FEED_MORE; k++)
				f = l7_feed1(d, st, m[i].dir, p + k, 1, &ctx);
		} else if (split && split < n) {
			f = l7_feed1(d, st, m[i].dir, p, split, &ctx);
			if (f == BH_NET_FEED_MORE)
				f = l7_feed1(d, st, m[i].dir, p + split, n - split, &ctx);
		} else {
			f = l7_feed1(d, st, m[i].dir, p, n, &ctx);
		}
	}
	if (f == BH_NET_FEED_DONE)
		l7_puts(log, "DONE\n");
	else if (f == BH_NET_FEED_MALFORMED)
		l7_puts(log, "MALFORMED\n");
	if (d->fini)
		d->fini(st);
	free(st);
}

/* The log of the whole conversation must be `want`, and the same however
 * the messages are split or joined. */
static inline void l7_check(const struct bh_net_dissector *d, const struct bh_net_flow_info *fl,
			    const struct l7_msg *m, size_t nm, const char *want)
{
	static struct l7_log log;
	size_t max = 0;

	l7_run(d, fl, m, nm, 0, false, &log);
	if (strcmp(log.buf, want))
		fail_msg("%s: got\n%s\nwant\n%s", d->app, log.buf, want);
	for (size_t i = 0; i < nm; i++)
		max = m[i].n > max ? m[i].n : max;
	for (size_t s = 1; s < max; s++) {
		/* every position near either end of the longest message and
		 * around 16 KiB (the bound of what dissectors keep); every 61st
		 * in between (a 20 KB statement: 20000 runs would be slow) */
		if (s > 4096 && s < max - 4096 && (s < 16384 - 64 || s > 16384 + 64) && s % 61)
			continue;
		l7_run(d, fl, m, nm, s, false, &log);
		if (strcmp(log.buf, want))
			fail_msg("%s: split at %zu: got\n%s\nwant\n%s", d->app, s, log.buf, want);
	}
	l7_run(d, fl, m, nm, SIZE_MAX, false, &log);
	if (strcmp(log.buf, want))
		fail_msg("%s: byte by byte: got\n%s\nwant\n%s", d->app, log.buf, want);
	l7_run(d, fl, m, nm, 0, true, &log);
	if (strcmp(log.buf, want))
		fail_msg("%s: joined: got\n%s\nwant\n%s", d->app, log.buf, want);
}

/* The dissector named app in the table. */
static inline const struct bh_net_dissector *l7_find(const char *app)
{
	for (size_t i = 0; bh_net_dissectors[i]; i++)
		if (!strcmp(bh_net_dissectors[i]->app, app))
			return bh_net_dissectors[i];
	fail_msg("no dissector %s", app);
	return NULL;
}

/* probe() on a heap copy of exactly len bytes */
static inline enum bh_net_probe l7_probe(const struct bh_net_dissector *d, enum bh_net_dir dir,
					 const void *p, size_t len)
{
	struct bh_net_flow_info fl = l7_flow(1);
	uint8_t *c = malloc(len ? len : 1);
	enum bh_net_probe r;

	memcpy(c, p, len);
	r = d->probe(&fl, dir, c, len);
	free(c);
	return r;
}

/* A recorded conversation (tests/data/l7/<name>.conv, see record.sh there):
 * the messages of its flow-th connection, each a heap buffer; returns how
 * many. Free with l7_conv_free. */
static inline size_t l7_conv_load(const char *name, int flow, struct l7_msg *m, size_t max)
{
	char path[256], *line = NULL;
	size_t cap = 0, n = 0;
	int f = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "tests/data/l7/%s.conv", name);
	fp = fopen(path, "re");
	if (!fp)
		fail_msg("%s: cannot open", path);
	while (getline(&line, &cap, fp) > 0) {
		if (line[0] == '-') {
			f++;
			continue;
		}
		if (f != flow)
			continue;
		if (n == max)
			fail_msg("%s: more than %zu messages", path, max);
		size_t hl = strcspn(line + 2, "\n");
		uint8_t *b = malloc(hl / 2 + 1);
		for (size_t i = 0; i < hl / 2; i++) {
			unsigned v;
			if (sscanf(line + 2 + 2 * i, "%2x", &v) != 1)
				fail_msg("%s: bad hex", path);
			b[i] = (uint8_t)v;
		}
		m[n].dir = line[0] == 'C' ? BH_NET_TO_SERVER : BH_NET_TO_CLIENT;
		m[n].p = b;
		m[n].n = hl / 2;
		n++;
	}
	free(line);
	fclose(fp);
	return n;
}

static inline void l7_conv_free(struct l7_msg *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((void *)m[i].p);
}

#define L7_MSG(d, s)                                                                               \
	{                                                                                          \
		(d), (s), sizeof(s) - 1                                                            \
	}

#endif
