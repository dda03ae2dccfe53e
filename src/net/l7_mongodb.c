/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MongoDB wire protocol, client messages: a 16-byte little-endian header
 * (messageLength, requestID, responseTo, opCode) and the op's body.
 *
 * Records, one COMMAND per client message:
 *  - OP_MSG: name the first key of the body section's document (the
 *    command: "find", "insert", "hello", ...), arg its value when that is a
 *    string (the collection: {find: "users", ...});
 *  - OP_QUERY: on "db.$cmd", as OP_MSG for the query document (inside
 *    "$query" when wrapped); otherwise name "query", arg the collection;
 *  - OP_COMPRESSED: name "OP_COMPRESSED", arg the compressed op's name (the
 *    payload is not decompressed);
 *  - the legacy OP_INSERT, OP_UPDATE, OP_DELETE, OP_GET_MORE: name the op,
 *    arg the collection; OP_KILL_CURSORS: the op alone.
 * A message is at most MONGO_MAX bytes (the server's maxMessageSizeBytes),
 * else the flow is malformed; the first MONGO_KEEP bytes are read, BSON with
 * every length checked against them. Server replies are not parsed.
 */
#include <string.h>

#include "net/dissect.h"
#include "net/l7_line.h"
#include "banned.h"

#define MONGO_MAX  48000000u
#define MONGO_KEEP 1024

#define OP_REPLY	1
#define OP_UPDATE	2001
#define OP_INSERT	2002
#define OP_QUERY	2004
#define OP_GET_MORE	2005
#define OP_DELETE	2006
#define OP_KILL_CURSORS 2007
#define OP_COMPRESSED	2012
#define OP_MSG		2013

struct mongo_state {
	uint8_t hdr[4];
	uint8_t hdr_have;
	uint32_t left, keep;
	uint8_t buf[MONGO_KEEP]; /* the message from its requestID on */
};

static const uint16_t mongo_ports[] = { 27017, 27018, 27019, 0 };

static const char *op_name(uint32_t op)
{
	switch (op) {
	case OP_UPDATE: return "OP_UPDATE";
	case OP_INSERT: return "OP_INSERT";
	case OP_QUERY: return "OP_QUERY";
	case OP_GET_MORE: return "OP_GET_MORE";
	case OP_DELETE: return "OP_DELETE";
	case OP_KILL_CURSORS: return "OP_KILL_CURSORS";
	case OP_COMPRESSED: return "OP_COMPRESSED";
	case OP_MSG: return "OP_MSG";
	}
	return NULL;
}

static enum bh_net_probe mongo_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				     const uint8_t *buf, size_t len)
{
	(void)flow;
	if (len < 16)
		return len >= 4 && buf[3] ? BH_NET_PROBE_NO : BH_NET_PROBE_NEED_MORE;
	uint32_t ml = bh_net_le32(buf), to = bh_net_le32(buf + 8), op = bh_net_le32(buf + 12);
	if (ml < 21 || ml > MONGO_MAX)
		return BH_NET_PROBE_NO;
	if (dir == BH_NET_TO_CLIENT)
		return to && (op == OP_REPLY || op == OP_MSG || op == OP_COMPRESSED)
			       ? BH_NET_PROBE_MAYBE
			       : BH_NET_PROBE_NO;
	if (to || !op_name(op))
		return BH_NET_PROBE_NO;
	if (op == OP_MSG) {
		if (len < 21)
			return BH_NET_PROBE_NEED_MORE;
		uint32_t fl = bh_net_le32(buf + 16);
		if ((fl & 0xfffcu) || (fl >> 17) || buf[20] > 1)
			return BH_NET_PROBE_NO;
		if (buf[20] == 0) {
			if (len < 25)
				return BH_NET_PROBE_NEED_MORE;
			uint32_t ds = bh_net_le32(buf + 21);
			if (ds < 5 || ds > ml - 21)
				return BH_NET_PROBE_NO;
		}
		return BH_NET_PROBE_YES;
	}
	if (op == OP_QUERY) {
		/* flags, then "db.collection" NUL */
		for (size_t i = 20; i < len && i < ml; i++) {
			if (buf[i] == 0)
				return i > 20 && memchr(buf + 20, '.', i - 20) ? BH_NET_PROBE_YES
									       : BH_NET_PROBE_NO;
			if (buf[i] < 0x20 || buf[i] > 0x7e || i > 20 + 255)
				return BH_NET_PROBE_NO;
		}
		return BH_NET_PROBE_NEED_MORE;
	}
	return BH_NET_PROBE_MAYBE;
}

static size_t cstr(const uint8_t *p, size_t n)
{
	const uint8_t *z = memchr(p, 0, n);

	return z ? (size_t)(z - p) : n;
}

/* The first element of the BSON document at p[0..n): its key, and its value
 * when a string. False when the document is empty or does not fit. */
static bool bson_first(const uint8_t *p, size_t n, const uint8_t **key, size_t *klen,
		       const uint8_t **val, size_t *vlen, uint8_t *type)
{
	*val = NULL;
	*vlen = 0;
	if (n < 5)
		return false;
	uint32_t ds = bh_net_le32(p);
	if (ds < 5)
		return false;
	if (ds < n)
		n = ds; /* the document ends before what is kept */
	*type = p[4];
	if (!*type)
		return false;
	*key = p + 5;
	*klen = cstr(p + 5, n - 5);
	size_t o = 5 + *klen + 1;
	if (o > n)
		return false;
	if (*type == 0x02 && o + 4 <= n) {
		uint32_t sl = bh_net_le32(p + o);
		if (sl >= 1 && sl - 1 <= n - o - 4) {
			*val = p + o + 4;
			*vlen = sl - 1;
		}
	} else if (*type == 0x03) {
		*val = p + o; /* the embedded document */
		*vlen = n - o;
	}
	return true;
}

static void emit(const struct bh_net_dissect_ctx *ctx, const void *name, size_t nlen,
		 const void *arg, size_t alen)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_COMMAND,
				.dir = BH_NET_TO_SERVER,
				.app = "mongodb" };

	r.u.command.name.p = name;
	r.u.command.name.len = nlen;
	r.u.command.arg.p = arg;
	r.u.command.arg.len = alen;
	ctx->emit(ctx->opaque, &r);
}

/* A command document: emit its first key and string value. */
static bool command_doc(const struct bh_net_dissect_ctx *ctx, const uint8_t *p, size_t n,
			bool unwrap)
{
	const uint8_t *k, *v;
	size_t kl, vl;
	uint8_t t;

	if (!bson_first(p, n, &k, &kl, &v, &vl, &t))
		return false;
	if (unwrap && t == 0x03 && kl == 6 && !memcmp(k, "$query", 6))
		return command_doc(ctx, v, vl, false);
	emit(ctx, k, kl, t == 0x02 ? v : NULL, t == 0x02 ? vl : 0);
	return true;
}

static enum bh_net_feed message(struct mongo_state *s, const struct bh_net_dissect_ctx *ctx)
{
	const uint8_t *p = s->buf;
	size_t n = s->keep, o = 12;

	if (n < 12)
		return BH_NET_FEED_MALFORMED;
	uint32_t op = bh_net_le32(p + 8);
	const char *name = op_name(op);
	if (!name)
		return BH_NET_FEED_MORE; /* a server's op from a client: not ours to judge */
	switch (op) {
	case OP_MSG:
		o += 4; /* flagBits */
		while (o < n) {
			uint8_t kind = p[o++];
			if (kind == 0)
				return command_doc(ctx, p + o, n - o, false)
					       ? BH_NET_FEED_MORE
					       : BH_NET_FEED_MALFORMED;
			if (kind != 1 || n - o < 4)
				break;
			uint32_t sz = bh_net_le32(p + o);
			if (sz < 4)
				return BH_NET_FEED_MALFORMED;
			o += sz;
		}
		return s->keep == MONGO_KEEP ? BH_NET_FEED_MORE : BH_NET_FEED_MALFORMED;
	case OP_QUERY: {
		o += 4;
		if (o >= n)
			return BH_NET_FEED_MALFORMED;
		size_t cl = cstr(p + o, n - o);
		const uint8_t *coll = p + o;
		o += cl + 1 + 8;
		if (cl >= 5 && !memcmp(coll + cl - 5, ".$cmd", 5) && o < n &&
		    command_doc(ctx, p + o, n - o, true))
			return BH_NET_FEED_MORE;
		emit(ctx, "query", 5, coll, cl);
		return BH_NET_FEED_MORE;
	}
	case OP_COMPRESSED: {
		const char *orig = n >= 16 ? op_name(bh_net_le32(p + 12)) : NULL;
		emit(ctx, name, strlen(name), orig, orig ? strlen(orig) : 0);
		return BH_NET_FEED_MORE;
	}
	case OP_KILL_CURSORS: emit(ctx, name, strlen(name), NULL, 0); return BH_NET_FEED_MORE;
	default: /* OP_UPDATE, OP_INSERT, OP_GET_MORE, OP_DELETE: int32, then the collection */
		o += 4;
		if (o >= n)
			return BH_NET_FEED_MALFORMED;
		emit(ctx, name, strlen(name), p + o, cstr(p + o, n - o));
		return BH_NET_FEED_MORE;
	}
}

static enum bh_net_feed mongo_feed(void *state, enum bh_net_dir dir, const uint8_t *data,
				   size_t len, const struct bh_net_dissect_ctx *ctx)
{
	struct mongo_state *s = state;
	size_t off = 0, mark = 0, carry; /* mark: where the message in progress began */

	if (dir != BH_NET_TO_SERVER)
		return BH_NET_FEED_MORE;
	if (!data) {
		if (s->hdr_have == 4 && s->keep == MONGO_KEEP && len < s->left) {
			s->left -= (uint32_t)len;
			return BH_NET_FEED_MORE;
		}
		return BH_NET_FEED_DONE;
	}
	/* the bytes held from earlier chunks of a message begun there */
	carry = s->hdr_have == 4 ? s->keep : 0;
	while (off < len) {
		if (!s->hdr_have)
			mark = off;
		if (s->hdr_have < 4) {
			s->hdr[s->hdr_have++] = data[off++];
			if (s->hdr_have < 4)
				continue;
			s->left = bh_net_le32(s->hdr);
			if (s->left < 16 || s->left > MONGO_MAX)
				return bh_net_feed_gave_up(ctx, mark);
			s->left -= 4;
			s->keep = 0;
			continue;
		}
		size_t n = len - off < s->left ? len - off : s->left, k = n;
		if (k > MONGO_KEEP - s->keep)
			k = MONGO_KEEP - s->keep;
		memcpy(s->buf + s->keep, data + off, k);
		s->keep += (uint32_t)k;
		s->left -= (uint32_t)n;
		off += n;
		if (!s->left) {
			s->hdr_have = 0;
			enum bh_net_feed f = message(s, ctx);
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

const struct bh_net_dissector bh_net_l7_mongodb = {
	.app = "mongodb",
	.l4 = BH_NET_L4_TCP,
	.ports = mongo_ports,
	.state_size = sizeof(struct mongo_state),
	.probe = mongo_probe,
	.feed = mongo_feed,
	.wants = net_l7_requests_only,
};
