/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PostgreSQL frontend/backend protocol 3.0. The client's first message has
 * no type byte (length, then a code: StartupMessage, SSLRequest,
 * GSSENCRequest, CancelRequest), every later message is a type byte and a
 * length that counts itself. This dissector keeps the first PG_KEEP bytes of
 * each client message and counts the rest; a startup packet is at most
 * 10000 bytes and any other message at most 1 GiB (the server's limits),
 * else the flow is malformed. The server's messages are not parsed, but its
 * one-byte answer to SSLRequest/GSSENCRequest is: 'S' (to SSLRequest) or
 * 'G' (to GSSENCRequest) ends inspection (DONE), anything else ('N', an
 * error) goes on. Inspection ends on that answer only, never on the
 * client's request: the client's bytes after its request are parsed as the
 * protocol (a StartupMessage, then typed messages) whether or not the
 * answer came first, so a client that sends the request and cleartext
 * without waiting has that cleartext read (and, when it is not protocol 3,
 * given up on from its first byte, to be identified anew).
 *
 * Records: COMMAND "login" (arg the user) and "database" from the
 * StartupMessage; COMMAND "cancel" (then DONE); SQL for a simple Query 'Q'
 * and for the query of an extended-protocol Parse 'P', text at most
 * PG_KEEP - 6 bytes, truncated when longer. Terminate 'X' and a gap end
 * inspection.
 */
#include <string.h>

#include "net/dissect.h"
#include "net/l7_line.h"
#include "banned.h"

#define PG_KEEP	       (16 * 1024)
#define PG_STARTUP_MAX 10000
#define PG_MSG_MAX     0x3fffffffu

#define PG_CODE_CANCEL 80877102u
#define PG_CODE_SSL    80877103u
#define PG_CODE_GSS    80877104u
#define PG_PROTO_3     0x00030000u

enum pg_phase { PG_STARTUP, PG_NORMAL };

struct pg_state {
	enum pg_phase phase;
	uint8_t awaiting; /* 'S' or 'G': the answer to an SSL/GSSENCRequest that accepts */
	uint8_t hdr[5];
	uint8_t hdr_have;
	bool cut;
	uint32_t left, keep;
	uint8_t buf[PG_KEEP];
};

static const uint16_t pg_ports[] = { 5432, 5433, 0 };

static bool is_key_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9') || c == '.' ||
	       (c >= 'A' && c <= 'Z');
}

static enum bh_net_probe pg_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				  const uint8_t *buf, size_t len)
{
	(void)flow;
	if (!len)
		return BH_NET_PROBE_NEED_MORE;
	if (dir == BH_NET_TO_CLIENT) {
		if (len == 1 && (buf[0] == 'N' || buf[0] == 'S' || buf[0] == 'G'))
			return BH_NET_PROBE_MAYBE;
		if (buf[0] != 'R' && buf[0] != 'E')
			return BH_NET_PROBE_NO;
		if (len < 5)
			return BH_NET_PROBE_NEED_MORE;
		uint32_t l = bh_net_be32(buf + 1);
		if (l < 8 || l > 8192)
			return BH_NET_PROBE_NO;
		if (buf[0] == 'E')
			return BH_NET_PROBE_MAYBE;
		if (len < 9)
			return BH_NET_PROBE_NEED_MORE;
		return bh_net_be32(buf + 5) <= 12 ? BH_NET_PROBE_MAYBE : BH_NET_PROBE_NO;
	}
	if (len >= 2 && (buf[0] || buf[1]))
		return BH_NET_PROBE_NO; /* longer than 65535 */
	if (len < 8)
		return BH_NET_PROBE_NEED_MORE;
	uint32_t l = bh_net_be32(buf), code = bh_net_be32(buf + 4);
	if (code == PG_CODE_SSL || code == PG_CODE_GSS)
		return l == 8 ? BH_NET_PROBE_YES : BH_NET_PROBE_NO;
	if (code == PG_CODE_CANCEL)
		return l == 16 ? BH_NET_PROBE_YES : BH_NET_PROBE_NO;
	if (code != PG_PROTO_3 || l <= 9 || l > PG_STARTUP_MAX)
		return BH_NET_PROBE_NO;
	/* the first parameter's name: letters up to its NUL */
	for (size_t i = 8; i < len && i < l; i++) {
		if (buf[i] == 0)
			return i > 8 ? BH_NET_PROBE_YES : BH_NET_PROBE_NO;
		if (!is_key_char(buf[i]) || i > 8 + 64)
			return BH_NET_PROBE_NO;
	}
	return BH_NET_PROBE_NEED_MORE;
}

static void emit_cmd(const struct bh_net_dissect_ctx *ctx, const char *name, const uint8_t *arg,
		     size_t n)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_COMMAND,
				.dir = BH_NET_TO_SERVER,
				.app = "postgresql" };

	r.u.command.name.p = name;
	r.u.command.name.len = strlen(name);
	r.u.command.arg.p = (const char *)arg;
	r.u.command.arg.len = n;
	ctx->emit(ctx->opaque, &r);
}

static size_t cstr(const uint8_t *p, size_t n)
{
	const uint8_t *z = memchr(p, 0, n);

	return z ? (size_t)(z - p) : n;
}

static enum bh_net_feed startup(struct pg_state *s, const struct bh_net_dissect_ctx *ctx)
{
	const uint8_t *p = s->buf;
	size_t n = s->keep, o = 4;
	uint32_t code;

	if (n < 4)
		return BH_NET_FEED_MALFORMED;
	code = bh_net_be32(p);
	switch (code) {
	case PG_CODE_SSL: s->awaiting = 'S'; return BH_NET_FEED_MORE;
	case PG_CODE_GSS: s->awaiting = 'G'; return BH_NET_FEED_MORE;
	case PG_CODE_CANCEL: emit_cmd(ctx, "cancel", NULL, 0); return BH_NET_FEED_DONE;
	}
	if (code >> 16 != 3)
		return BH_NET_FEED_MALFORMED;
	const uint8_t *user = NULL, *db = NULL;
	size_t ulen = 0, dlen = 0;
	while (o < n && p[o]) {
		size_t k = cstr(p + o, n - o);
		if (o + k + 1 >= n)
			return BH_NET_FEED_MALFORMED;
		const uint8_t *v = p + o + k + 1;
		size_t vl = cstr(v, n - (o + k + 1));
		if (k == 4 && !memcmp(p + o, "user", 4)) {
			user = v;
			ulen = vl;
		} else if (k == 8 && !memcmp(p + o, "database", 8)) {
			db = v;
			dlen = vl;
		}
		o += k + 1 + vl + 1;
	}
	if (user)
		emit_cmd(ctx, "login", user, ulen);
	if (db)
		emit_cmd(ctx, "database", db, dlen);
	s->phase = PG_NORMAL;
	return BH_NET_FEED_MORE;
}

static enum bh_net_feed typed(struct pg_state *s, const struct bh_net_dissect_ctx *ctx)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_SQL,
				.dir = BH_NET_TO_SERVER,
				.app = "postgresql" };
	const uint8_t *p = s->buf;
	size_t n = s->keep, o = 0, t;

	switch (s->hdr[0]) {
	case 'X': return BH_NET_FEED_DONE;
	case 'P': /* Parse: statement name, query, parameter types */
		o = cstr(p, n) + 1;
		if (o > n)
			return BH_NET_FEED_MALFORMED;
		/* fall through */
	case 'Q':
		t = cstr(p + o, n - o);
		if (o + t == n && !s->cut)
			return BH_NET_FEED_MALFORMED; /* no terminating NUL */
		r.u.sql.text.p = (const char *)p + o;
		r.u.sql.text.len = t;
		r.u.sql.truncated = o + t == n;
		ctx->emit(ctx->opaque, &r);
		break;
	}
	return BH_NET_FEED_MORE;
}

static enum bh_net_feed pg_feed(void *state, enum bh_net_dir dir, const uint8_t *data, size_t len,
				const struct bh_net_dissect_ctx *ctx)
{
	struct pg_state *s = state;
	size_t off = 0, mark = 0, carry, hdr0; /* mark: where the message in progress began */

	if (!data)
		return BH_NET_FEED_DONE;
	if (dir == BH_NET_TO_CLIENT) {
		if (!s->awaiting || !len)
			return BH_NET_FEED_MORE;
		if (data[0] == s->awaiting)
			return BH_NET_FEED_DONE; /* accepted: encrypted from here on */
		s->awaiting = 0; /* 'N' (or an error): the session goes on in clear */
		return BH_NET_FEED_MORE;
	}
	/* the body bytes held from earlier chunks of a message begun there */
	carry = s->hdr_have == (s->phase == PG_STARTUP ? 4u : 5u) ? s->keep : 0;
	/* or the first bytes of its header */
	hdr0 = s->hdr_have < (s->phase == PG_STARTUP ? 4u : 5u) ? s->hdr_have : 0;
	while (off < len) {
		size_t need = s->phase == PG_STARTUP ? 4 : 5;
		if (!s->hdr_have)
			mark = off;
		if (s->hdr_have < need) {
			s->hdr[s->hdr_have++] = data[off++];
			/* a frontend message's type is one of protocol 3's */
			if (need == 5 && s->hdr_have == 1 &&
			    !memchr("BCcdDEfFHpPQSX", s->hdr[0], 14))
				return bh_net_feed_gave_up(ctx, mark); /* began here */
			if (s->hdr_have < need)
				continue;
			uint32_t l = bh_net_be32(s->hdr + need - 4);
			if (l < 4 || (s->phase == PG_STARTUP && (l < 8 || l > PG_STARTUP_MAX)) ||
			    l > PG_MSG_MAX)
				return mark == 0 && hdr0
					       ? bh_net_feed_gave_up_held(ctx, s->hdr, hdr0)
					       : bh_net_feed_gave_up(ctx, mark);
			s->left = l - 4;
			s->keep = 0;
			s->cut = false;
		} else {
			size_t n = len - off < s->left ? len - off : s->left, k = n;
			if (k > PG_KEEP - s->keep) {
				k = PG_KEEP - s->keep;
				s->cut = true;
			}
			memcpy(s->buf + s->keep, data + off, k);
			s->keep += (uint32_t)k;
			s->left -= (uint32_t)n;
			off += n;
		}
		if (s->hdr_have == need && !s->left) {
			enum bh_net_feed f =
				s->phase == PG_STARTUP ? startup(s, ctx) : typed(s, ctx);
			s->hdr_have = 0;
			if (f == BH_NET_FEED_MALFORMED && ctx->held)
				ctx->held->type = need == 5 ? s->hdr[0] : 0; /* 0: startup */
			if (f == BH_NET_FEED_MALFORMED)
				return mark == 0 && carry
					       ? bh_net_feed_gave_up_held(ctx, s->buf, carry)
					       : bh_net_feed_gave_up(ctx, mark);
			carry = 0;
			if (f != BH_NET_FEED_MORE)
				return f;
		}
	}
	return BH_NET_FEED_MORE;
}

/* The server's messages matter only for the one-byte answer to an
 * SSLRequest/GSSENCRequest: once the session is past the startup
 * (PG_NORMAL) with no such answer awaited, the replies are never parsed. */
static bool pg_wants(const void *state, enum bh_net_dir dir)
{
	const struct pg_state *s = state;

	return dir == BH_NET_TO_SERVER || s->phase != PG_NORMAL || s->awaiting;
}

const struct bh_net_dissector bh_net_l7_postgresql = {
	.app = "postgresql",
	.l4 = BH_NET_L4_TCP,
	.ports = pg_ports,
	.state_size = sizeof(struct pg_state),
	.probe = pg_probe,
	.feed = pg_feed,
	.wants = pg_wants,
};
