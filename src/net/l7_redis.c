/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Redis (RESP2 and RESP3 requests, inline commands). The client sends arrays
 * of bulk strings ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") or one line of words.
 * Each command is a COMMAND record: name upper-cased (Redis commands are
 * case-insensitive), arg the first argument as sent; both cut to
 * REDIS_ARG_MAX bytes. The server's replies are not parsed.
 *
 * A command that breaks in a later chunk than the one it began in hands back
 * its first REDIS_HOLD bytes as sent (dissect.h's ctx->held), so its earlier
 * segments are still scanned.
 *
 * Bounds are Redis's own: an array of at most INT_MAX elements, a bulk
 * string of at most 512 MiB (proto-max-bulk-len); a header line over
 * BH_NET_LINE_MAX or with anything but digits is malformed.
 *
 * Threats: a client making the server write its database where it says
 * (CONFIG SET dir|dbfilename: cron jobs, SSH keys, web shells), replicate
 * from a master it names (SLAVEOF/REPLICAOF host port: the rogue-master
 * module attack) or load a module (MODULE LOAD).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "net/dissect.h"
#include "net/l7_line.h"
#include "banned.h"

#define REDIS_ARG_MAX  256
#define REDIS_BULK_MAX (512u * 1024 * 1024)
#define REDIS_KEEP     4    /* name, first and second argument, any later one being read */
#define REDIS_HOLD     4096 /* first bytes of a command in progress, handed back on a give-up */

enum redis_st { RS_START, RS_BULKHDR, RS_BULK, RS_BULKEND };

struct redis_state {
	struct bh_net_line line;
	enum redis_st st;
	uint32_t nargs, argi;
	uint32_t bulk_left;
	uint8_t crlf;
	uint16_t len[REDIS_KEEP];
	bool cut[REDIS_KEEP];
	char arg[REDIS_KEEP][REDIS_ARG_MAX];
	/* what the command's arguments so far say */
	bool config_set, cfg_dir, replicaof, module_load;
	uint8_t replica_no; /* "NO" then "ONE" */
	uint32_t hold_len;  /* bytes of the command in progress from earlier chunks */
	uint8_t hold[REDIS_HOLD];
};

static const uint16_t redis_ports[] = { 6379, 6380, 26379, 0 };

static bool is_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* "*12" or "$-1": the sign and at most 10 digits; -1 for anything else. */
static long long parse_count(const char *s, size_t n)
{
	long long v = 0;

	if (n == 2 && s[0] == '-' && s[1] == '1')
		return 0; /* null array / bulk: nothing */
	if (!is_digits(s, n) || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static bool is_cmd_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '|';
}

static enum bh_net_probe redis_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				     const uint8_t *buf, size_t len)
{
	size_t i = 1;

	(void)flow;
	if (!len)
		return BH_NET_PROBE_NEED_MORE;
	if (dir == BH_NET_TO_CLIENT) {
		/* replies: "+OK", "-ERR", ":1", "$3", "*2", RESP3 "%7" ... */
		if (strchr("+-:$*%_,#", buf[0]) == NULL)
			return BH_NET_PROBE_NO;
		for (; i < len && buf[i] != '\r'; i++)
			if (buf[i] < 0x20 || buf[i] > 0x7e)
				return BH_NET_PROBE_NO;
		return i == len ? BH_NET_PROBE_NEED_MORE : BH_NET_PROBE_MAYBE;
	}
	if (buf[0] != '*') {
		/* an inline command: a word of letters then a space or CRLF */
		for (i = 0; i < len && is_cmd_char(buf[i]); i++)
			;
		if (i == len)
			return i < 32 ? BH_NET_PROBE_NEED_MORE : BH_NET_PROBE_NO;
		if (!i || i > 32 || (buf[i] != ' ' && buf[i] != '\r' && buf[i] != '\n'))
			return BH_NET_PROBE_NO;
		return BH_NET_PROBE_MAYBE;
	}
	/* "*N\r\n$L\r\n" then L command letters */
	size_t d = 1;
	for (; d < len && buf[d] >= '0' && buf[d] <= '9'; d++)
		if (d > 10)
			return BH_NET_PROBE_NO;
	if (d == len)
		return BH_NET_PROBE_NEED_MORE;
	if (d == 1 || buf[d] != '\r')
		return BH_NET_PROBE_NO;
	if (d + 1 >= len)
		return BH_NET_PROBE_NEED_MORE;
	if (buf[d + 1] != '\n')
		return BH_NET_PROBE_NO;
	i = d + 2;
	if (i >= len)
		return BH_NET_PROBE_NEED_MORE;
	if (buf[i] != '$')
		return BH_NET_PROBE_NO;
	long long l = 0;
	for (i++; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		l = l * 10 + (buf[i] - '0');
		if (l > 64)
			return BH_NET_PROBE_NO;
	}
	if (i + 2 > len)
		return BH_NET_PROBE_NEED_MORE;
	if (!l || buf[i] != '\r' || buf[i + 1] != '\n')
		return BH_NET_PROBE_NO;
	i += 2;
	for (long long k = 0; k < l; k++, i++) {
		if (i == len)
			return BH_NET_PROBE_NEED_MORE;
		if (!is_cmd_char(buf[i]))
			return BH_NET_PROBE_NO;
	}
	return BH_NET_PROBE_YES;
}

static void emit_threat(const struct bh_net_dissect_ctx *ctx, const char *id, const char *detail)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_THREAT,
				.dir = BH_NET_TO_SERVER,
				.app = "redis" };

	r.u.threat.id = id;
	r.u.threat.detail.p = detail;
	r.u.threat.detail.len = strlen(detail);
	ctx->emit(ctx->opaque, &r);
}

static bool arg_is(const struct redis_state *s, int k, const char *w)
{
	return !s->cut[k] && s->len[k] == strlen(w) && bh_net_prefix_ci(s->arg[k], s->len[k], w);
}

static int slot(uint32_t i)
{
	return i < 3 ? (int)i : 3;
}

/* Argument i (kept in slot(i)) is complete: what does it say? */
static void arg_done(struct redis_state *s, uint32_t i)
{
	if (i == 0) {
		for (uint16_t k = 0; k < s->len[0]; k++)
			if (s->arg[0][k] >= 'a' && s->arg[0][k] <= 'z')
				s->arg[0][k] = (char)(s->arg[0][k] - 32);
		s->replicaof = arg_is(s, 0, "SLAVEOF") || arg_is(s, 0, "REPLICAOF");
		return;
	}
	if (i == 1) {
		s->config_set = arg_is(s, 0, "CONFIG") && arg_is(s, 1, "SET");
		s->module_load = arg_is(s, 0, "MODULE") && arg_is(s, 1, "LOAD");
		s->replica_no = s->replicaof && arg_is(s, 1, "NO");
		return;
	}
	/* CONFIG SET name value [name value ...]: the names at even positions */
	if (s->config_set && i % 2 == 0 &&
	    (arg_is(s, slot(i), "dir") || arg_is(s, slot(i), "dbfilename")))
		s->cfg_dir = true;
	if (i == 2 && s->replica_no && arg_is(s, 2, "ONE"))
		s->replica_no = 2;
}

static void cmd_done(struct redis_state *s, uint32_t nargs, const struct bh_net_dissect_ctx *ctx)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_COMMAND,
				.dir = BH_NET_TO_SERVER,
				.app = "redis" };
	char detail[96];

	r.u.command.name.p = s->arg[0];
	r.u.command.name.len = s->len[0];
	if (nargs > 1) {
		r.u.command.arg.p = s->arg[1];
		r.u.command.arg.len = s->len[1];
	}
	ctx->emit(ctx->opaque, &r);
	if (s->cfg_dir)
		emit_threat(ctx, "BH-NET-REDIS-CONFIG-DIR", "CONFIG SET dir/dbfilename");
	if (s->module_load && nargs > 2) {
		snprintf(detail, sizeof(detail), "MODULE LOAD %.*s",
			 (int)(s->len[2] > 64 ? 64 : s->len[2]), s->arg[2]);
		emit_threat(ctx, "BH-NET-REDIS-MODULE-LOAD", detail);
	}
	if (s->replicaof && nargs == 3 && s->replica_no != 2) {
		snprintf(detail, sizeof(detail), "%.*s %.*s", (int)s->len[0], s->arg[0],
			 (int)(s->len[1] > 64 ? 64 : s->len[1]), s->arg[1]);
		emit_threat(ctx, "BH-NET-REDIS-REPLICAOF", detail);
	}
	memset(s->len, 0, sizeof(s->len));
	memset(s->cut, 0, sizeof(s->cut));
	s->config_set = s->cfg_dir = s->replicaof = s->module_load = false;
	s->replica_no = 0;
}

static void keep_bytes(struct redis_state *s, int k, const char *p, size_t n)
{
	size_t room = REDIS_ARG_MAX - s->len[k];

	if (n > room) {
		n = room;
		s->cut[k] = true;
	}
	memcpy(s->arg[k] + s->len[k], p, n);
	s->len[k] += (uint16_t)n;
}

/* An inline command: words separated by spaces (quotes are not special here). */
static void inline_cmd(struct redis_state *s, const struct bh_net_dissect_ctx *ctx)
{
	const char *p = s->line.buf, *end = p + s->line.len;
	uint32_t n = 0;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end)
			break;
		const char *w = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		int k = slot(n);
		s->len[k] = 0;
		s->cut[k] = false;
		keep_bytes(s, k, w, (size_t)(p - w));
		arg_done(s, n);
		n++;
	}
	if (n)
		cmd_done(s, n, ctx);
}

/* A command line is text: an inline command with a control byte is not
 * Redis's (garbage after a command is told at its line). */
static bool inline_text(const struct bh_net_line *l)
{
	for (size_t i = 0; i < l->len; i++) {
		unsigned char c = (unsigned char)l->buf[i];

		if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			return false;
	}
	return true;
}

static enum bh_net_feed redis_feed(void *state, enum bh_net_dir dir, const uint8_t *data,
				   size_t len, const struct bh_net_dissect_ctx *ctx)
{
	struct redis_state *s = state;
	size_t off = 0, used, mark = 0; /* mark: where the command in progress began */
	bool here = false;		/* it began in this chunk */
	enum bh_net_feed r;

	if (dir != BH_NET_TO_SERVER)
		return BH_NET_FEED_MORE;
	if (!data) {
		/* a lost piece of a bulk string is skipped; anywhere else: resync on a line */
		if (s->st == RS_BULK && len < s->bulk_left) {
			s->bulk_left -= (uint32_t)len;
			return BH_NET_FEED_MORE;
		}
		return BH_NET_FEED_DONE;
	}
	while (off < len) {
		if (s->st == RS_START && !s->line.len && !s->line.resync) {
			mark = off;
			here = true;
		}
		switch (s->st) {
		case RS_START:
		case RS_BULKHDR:
			if (!bh_net_line_take(&s->line, data + off, len - off, &used)) {
				off += used;
				break;
			}
			off += used;
			if (s->line.cut || (s->st == RS_START && !inline_text(&s->line)))
				goto gave_up;
			if (s->st == RS_START && (!s->line.len || s->line.buf[0] != '*')) {
				inline_cmd(s, ctx);
			} else if (s->st == RS_START) {
				long long n = parse_count(s->line.buf + 1, s->line.len - 1);
				if (n < 0 || n > INT_MAX)
					goto gave_up;
				s->nargs = (uint32_t)n;
				s->argi = 0;
				if (n)
					s->st = RS_BULKHDR;
			} else {
				long long n =
					s->line.len && s->line.buf[0] == '$'
						? parse_count(s->line.buf + 1, s->line.len - 1)
						: -1;
				if (n < 0 || n > REDIS_BULK_MAX)
					goto gave_up;
				s->bulk_left = (uint32_t)n;
				int k = slot(s->argi);
				s->len[k] = 0;
				s->cut[k] = false;
				s->st = RS_BULK;
				s->crlf = 0;
			}
			bh_net_line_reset(&s->line);
			break;
		case RS_BULK: {
			size_t n = len - off < s->bulk_left ? len - off : s->bulk_left;
			keep_bytes(s, slot(s->argi), (const char *)data + off, n);
			off += n;
			s->bulk_left -= (uint32_t)n;
			if (!s->bulk_left)
				s->st = RS_BULKEND;
			break;
		}
		case RS_BULKEND:
			if (data[off++] != "\r\n"[s->crlf])
				goto gave_up;
			if (++s->crlf < 2)
				break;
			arg_done(s, s->argi);
			if (++s->argi == s->nargs) {
				cmd_done(s, s->nargs, ctx);
				s->st = RS_START;
			} else {
				s->st = RS_BULKHDR;
			}
			break;
		}
	}
	/* a command in progress: keep its first bytes as sent (from mark when
	 * it began in this chunk) */
	if (s->st == RS_START && !s->line.len) {
		s->hold_len = 0;
	} else {
		size_t from = here ? mark : 0, n = len - from;

		if (here)
			s->hold_len = 0;
		if (n > REDIS_HOLD - s->hold_len)
			n = REDIS_HOLD - s->hold_len;
		memcpy(s->hold + s->hold_len, data + from, n);
		s->hold_len += (uint32_t)n;
	}
	return BH_NET_FEED_MORE;
gave_up:
	/* from the command it could not parse; its bytes from earlier chunks
	 * are handed back */
	r = !here && s->hold_len ? bh_net_feed_gave_up_held(ctx, s->hold, s->hold_len)
				 : bh_net_feed_gave_up(ctx, mark);
	return r;
}

const struct bh_net_dissector bh_net_l7_redis = {
	.app = "redis",
	.l4 = BH_NET_L4_TCP,
	.ports = redis_ports,
	.state_size = sizeof(struct redis_state),
	.probe = redis_probe,
	.feed = redis_feed,
	.wants = net_l7_requests_only,
};
