/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SMTP (RFC 5321, ESMTP, LMTP's LHLO). The server speaks first (220).
 *
 * Records: COMMAND "greeting" (dir TO_CLIENT, arg the text of the first
 * 220 line); each client command: COMMAND with name the verb upper-cased
 * and arg the rest of the line ("MAIL", "FROM:<a@b> SIZE=12"), at most
 * BH_NET_LINE_MAX bytes. AUTH's arg is its mechanism only, and the lines a
 * client sends in answer to the server's 334 challenges (credentials) are
 * never recorded.
 *
 * The message body (after DATA and the server's 354, until the line ".";
 * or BDAT's counted chunks) goes out as HTTP_BODY records with app "smtp"
 * (stream_id 0, last on the final piece), in pieces of at most SMTP_PIECE
 * bytes, dot-stuffing removed: the data-leak matcher reads them as it reads
 * an HTTP body. Their total is not bounded here (the engine bounds what it
 * matches).
 *
 * STARTTLS answered 220 ends inspection (DONE), as does a gap: on the
 * server's answer only. The client's lines sent after STARTTLS before the
 * answer are read as commands; a TLS record from a client that did not wait
 * for the answer is given up on from its first byte (identified anew: the
 * TLS dissector ends inspection only on a ServerHello, so a server that
 * refuses with 454 and reads on in clear is still inspected).
 *
 * Threat: user enumeration, at least SMTP_ENUM_MAX VRFY or EXPN commands
 * in one session (BH-NET-SMTP-USER-ENUM), once per flow.
 */
#include <stdio.h>
#include <string.h>

#include "net/dissect.h"
#include "net/l7_line.h"
#include "banned.h"

#define SMTP_PIECE    4096
#define SMTP_ENUM_MAX 10

struct smtp_state {
	struct bh_net_line cl, sl;
	bool greeted, body, bdat_last, enum_reported;
	/* replies answer commands in order (PIPELINING): the numbers of the
	 * commands sent and answered, and of the pending ones that matter */
	uint32_t sent, answered, tls_at, data_at, auth_at;
	uint8_t dot; /* in a DATA body: 0 in a line, 1 at a line's start, 2 after ".", 3 ".\r" */
	uint64_t bdat_left;
	uint32_t vrfy;
	uint16_t piece_len;
	char piece[SMTP_PIECE];
};

static const uint16_t smtp_ports[] = { 25, 587, 24, 2525, 0 };

/* Search the probe bytes' first line for needle, case-insensitively. */
static bool line_has(const uint8_t *buf, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len && buf[i] != '\n'; i++)
		if (bh_net_prefix_ci((const char *)buf + i, len - i, needle))
			return true;
	return false;
}

static enum bh_net_probe smtp_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				    const uint8_t *buf, size_t len)
{
	const char *s = (const char *)buf;

	(void)flow;
	if (len < 5)
		return BH_NET_PROBE_NEED_MORE;
	if (dir == BH_NET_TO_CLIENT) {
		if ((memcmp(s, "220", 3) && memcmp(s, "554", 3)) || (s[3] != ' ' && s[3] != '-'))
			return BH_NET_PROBE_NO;
		if (line_has(buf, len, "SMTP") || line_has(buf, len, "LMTP"))
			return BH_NET_PROBE_YES;
		if (line_has(buf, len, "FTP"))
			return BH_NET_PROBE_NO;
		return memchr(buf, '\n', len) ? BH_NET_PROBE_MAYBE : BH_NET_PROBE_NEED_MORE;
	}
	if (bh_net_word_is(s, len, "EHLO") || bh_net_word_is(s, len, "HELO") ||
	    bh_net_word_is(s, len, "LHLO") || bh_net_prefix_ci(s, len, "MAIL FROM:"))
		return BH_NET_PROBE_YES;
	return BH_NET_PROBE_NO;
}

static void emit_cmd(const struct bh_net_dissect_ctx *ctx, enum bh_net_dir dir, const char *name,
		     size_t nlen, const char *arg, size_t alen)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_COMMAND, .dir = dir, .app = "smtp" };

	r.u.command.name.p = name;
	r.u.command.name.len = nlen;
	r.u.command.arg.p = arg;
	r.u.command.arg.len = alen;
	ctx->emit(ctx->opaque, &r);
}

static void emit_body(const struct bh_net_dissect_ctx *ctx, const char *p, size_t n, bool last)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_HTTP_BODY,
				.dir = BH_NET_TO_SERVER,
				.app = "smtp" };

	r.u.body.data.p = p;
	r.u.body.data.len = n;
	r.u.body.last = last;
	ctx->emit(ctx->opaque, &r);
}

static void flush(struct smtp_state *s, const struct bh_net_dissect_ctx *ctx, bool last)
{
	if (s->piece_len || last)
		emit_body(ctx, s->piece, s->piece_len, last);
	s->piece_len = 0;
}

static void put(struct smtp_state *s, const struct bh_net_dissect_ctx *ctx, char c)
{
	if (s->piece_len == SMTP_PIECE)
		flush(s, ctx, false);
	s->piece[s->piece_len++] = c;
}

/* DATA's body up to the "." line; returns bytes used. */
static size_t body(struct smtp_state *s, const uint8_t *p, size_t n,
		   const struct bh_net_dissect_ctx *ctx)
{
	for (size_t i = 0; i < n; i++) {
		char c = (char)p[i];
		switch (s->dot) {
		case 1:
			if (c == '.') {
				s->dot = 2;
				continue;
			}
			break;
		case 2:
			if (c == '\r') {
				s->dot = 3;
				continue;
			}
			if (c == '\n') {
				flush(s, ctx, true);
				s->body = false;
				return i + 1;
			}
			break; /* a stuffed dot: dropped */
		case 3:
			if (c == '\n') {
				flush(s, ctx, true);
				s->body = false;
				return i + 1;
			}
			put(s, ctx, '\r');
			break;
		}
		put(s, ctx, c);
		s->dot = c == '\n';
	}
	flush(s, ctx, false);
	return n;
}

static bool parse_u64(const char *p, size_t n, uint64_t *v)
{
	if (!n || n > 18)
		return false;
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (uint64_t)(p[i] - '0');
	}
	return true;
}

static enum bh_net_feed client_line(struct smtp_state *s, const struct bh_net_dissect_ctx *ctx)
{
	char *l = s->cl.buf, verb[16];
	size_t n = s->cl.len, v = 0;

	if (s->auth_at)
		return BH_NET_FEED_MORE; /* an answer to a 334 challenge: credentials */
	/* servers skip the spaces before a verb (Postfix); a blank line is
	 * answered too (500): every line counts, or the replies shift (a 500
	 * taken for DATA's 354, the body read as commands) */
	while (n && (*l == ' ' || *l == '\t'))
		l++, n--;
	while (v < n && l[v] != ' ') {
		if (v == sizeof(verb) || l[v] < 0x21 || l[v] > 0x7e)
			return BH_NET_FEED_MALFORMED;
		verb[v] = l[v] >= 'a' && l[v] <= 'z' ? (char)(l[v] - 32) : l[v];
		v++;
	}
	if (!v) {
		s->sent++;
		return BH_NET_FEED_MORE;
	}
	const char *arg = v < n ? l + v + 1 : NULL;
	size_t alen = v < n ? n - v - 1 : 0;
	if (v == 4 && !memcmp(verb, "AUTH", 4)) {
		const char *sp = arg ? memchr(arg, ' ', alen) : NULL;
		if (sp)
			alen = (size_t)(sp - arg);
		s->auth_at = s->sent + 1;
	} else if (v == 8 && !memcmp(verb, "STARTTLS", 8)) {
		s->tls_at = s->sent + 1;
	} else if (v == 4 && !memcmp(verb, "DATA", 4)) {
		s->data_at = s->sent + 1;
	} else if (v == 4 && !memcmp(verb, "BDAT", 4)) {
		const char *sp = arg ? memchr(arg, ' ', alen) : NULL;
		size_t dl = sp ? (size_t)(sp - arg) : alen;
		if (!arg || !parse_u64(arg, dl, &s->bdat_left))
			return BH_NET_FEED_MALFORMED;
		s->bdat_last = sp && bh_net_word_is(sp + 1, alen - dl - 1, "LAST");
		if (!s->bdat_left && s->bdat_last)
			emit_body(ctx, NULL, 0, true);
	} else if ((v == 4 && (!memcmp(verb, "VRFY", 4) || !memcmp(verb, "EXPN", 4))) &&
		   ++s->vrfy >= SMTP_ENUM_MAX && !s->enum_reported) {
		struct bh_net_rec r = { .kind = BH_NET_REC_THREAT,
					.dir = BH_NET_TO_SERVER,
					.app = "smtp" };
		char detail[64];
		snprintf(detail, sizeof(detail), "%u VRFY/EXPN commands", s->vrfy);
		s->enum_reported = true;
		s->sent++;
		emit_cmd(ctx, BH_NET_TO_SERVER, verb, v, arg, alen);
		r.u.threat.id = "BH-NET-SMTP-USER-ENUM";
		r.u.threat.detail.p = detail;
		r.u.threat.detail.len = strlen(detail);
		ctx->emit(ctx->opaque, &r);
		return BH_NET_FEED_MORE;
	}
	s->sent++;
	emit_cmd(ctx, BH_NET_TO_SERVER, verb, v, arg, alen);
	return BH_NET_FEED_MORE;
}

static enum bh_net_feed server_line(struct smtp_state *s, const struct bh_net_dissect_ctx *ctx)
{
	const char *l = s->sl.buf;
	size_t n = s->sl.len;

	if (n < 3 || l[0] < '1' || l[0] > '5' || l[1] < '0' || l[1] > '9' || l[2] < '0' ||
	    l[2] > '9' || (n > 3 && l[3] != ' ' && l[3] != '-'))
		return BH_NET_FEED_MALFORMED;
	int code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
	if (n > 3 && l[3] == '-')
		return BH_NET_FEED_MORE; /* not the reply's last line */
	if (!s->greeted) {
		s->greeted = true;
		if (code == 220)
			emit_cmd(ctx, BH_NET_TO_CLIENT, "greeting", 8, n > 4 ? l + 4 : NULL,
				 n > 4 ? n - 4 : 0);
		return BH_NET_FEED_MORE;
	}
	if (code == 334 && s->auth_at == s->answered + 1)
		return BH_NET_FEED_MORE; /* a challenge: the AUTH goes on */
	uint32_t k = ++s->answered;
	if (k == s->auth_at)
		s->auth_at = 0;
	if (k == s->tls_at) {
		s->tls_at = 0;
		if (code == 220)
			return BH_NET_FEED_DONE;
	}
	if (k == s->data_at) {
		s->data_at = 0;
		if (code == 354) {
			s->body = true;
			s->dot = 1;
			s->sent++; /* the body's end is answered too */
		}
	}
	return BH_NET_FEED_MORE;
}

static enum bh_net_feed smtp_feed(void *state, enum bh_net_dir dir, const uint8_t *data, size_t len,
				  const struct bh_net_dissect_ctx *ctx)
{
	struct smtp_state *s = state;
	struct bh_net_line *l = dir == BH_NET_TO_SERVER ? &s->cl : &s->sl;
	size_t off = 0, used, mark = 0;	       /* mark: where the line in progress began */
	size_t held0 = l->resync ? 0 : l->len; /* its bytes from earlier chunks */

	if (!data)
		return BH_NET_FEED_DONE;
	while (off < len) {
		if (dir == BH_NET_TO_SERVER && s->bdat_left) {
			size_t n = len - off < s->bdat_left ? len - off : (size_t)s->bdat_left;
			s->bdat_left -= n;
			emit_body(ctx, (const char *)data + off, n, !s->bdat_left && s->bdat_last);
			off += n;
			continue;
		}
		if (dir == BH_NET_TO_SERVER && s->body) {
			off += body(s, data + off, len - off, ctx);
			continue;
		}
		if (dir == BH_NET_TO_SERVER && s->tls_at && !l->len && data[off] == 0x16)
			/* a ClientHello that did not wait for 220: inspection
			 * ends on the server's word only; identified anew
			 * from here (TLS, which waits for a ServerHello) */
			return bh_net_feed_gave_up(ctx, off);
		if (!l->len)
			mark = off;
		if (!bh_net_line_take(l, data + off, len - off, &used)) {
			off += used;
			/* a client's line that cannot hold a command: no need to
			 * wait for its end */
			if (dir == BH_NET_TO_SERVER && !s->auth_at && !l->resync &&
			    bh_net_line_verb_bad(l))
				return bh_net_line_gave_up(ctx, l, mark, held0);
			continue;
		}
		off += used;
		enum bh_net_feed f =
			dir == BH_NET_TO_SERVER ? client_line(s, ctx) : server_line(s, ctx);
		bh_net_line_reset(l);
		if (f == BH_NET_FEED_MALFORMED)
			return bh_net_line_gave_up(ctx, l, mark, held0); /* the line it rejected */
		if (f != BH_NET_FEED_MORE)
			return f;
	}
	return BH_NET_FEED_MORE;
}

const struct bh_net_dissector bh_net_l7_smtp = {
	.app = "smtp",
	.l4 = BH_NET_L4_TCP,
	.ports = smtp_ports,
	.state_size = sizeof(struct smtp_state),
	.probe = smtp_probe,
	.feed = smtp_feed,
};
