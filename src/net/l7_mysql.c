/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MySQL and MariaDB client/server protocol (protocol 10). Packets are a
 * 3-byte little-endian length, a sequence number and the payload; a payload
 * of 0xffffff bytes continues in the next packet (up to 16 MiB each, any
 * number of them). This dissector keeps the first MYSQL_KEEP bytes of each
 * client message (MYSQL_SKEEP of a server's) and counts the rest.
 *
 * Records:
 *  - the server greeting: COMMAND "greeting", arg the server version;
 *  - the client's handshake response: COMMAND "login", arg the user, then
 *    COMMAND "database", arg the database when it names one;
 *  - COM_QUERY and COM_STMT_PREPARE: SQL, text the statement (query
 *    attributes skipped), at most MYSQL_KEEP - 1 bytes, truncated when the
 *    statement was longer;
 *  - COM_INIT_DB: COMMAND "database"; COM_CHANGE_USER: COMMAND "login".
 * An SSL request (the client switching to TLS) ends inspection (DONE) only
 * when the server's greeting offered SSL and the client's next bytes are a
 * TLS handshake record (the ClientHello the server will read): else those
 * bytes are given up on from their first byte, to be identified anew (a
 * client announcing TLS to a server without it, then cleartext, is read).
 * Compression negotiated (zlib or zstd, offered by both) is given up on right
 * after the client's handshake response (its packets are not read: the flow
 * is unparsable, for policy to judge); COM_QUIT and a gap in the stream
 * outside a skipped payload end inspection.
 */
#include <string.h>

#include "net/dissect.h"
#include "net/l7_line.h"
#include "banned.h"

#define MYSQL_KEEP  (16 * 1024) /* a client message's bytes kept: the SQL text bound */
#define MYSQL_SKEEP 512		/* a server message's bytes kept: the greeting */

#define CLIENT_CONNECT_WITH_DB	  0x00000008u
#define CLIENT_COMPRESS		  0x00000020u
#define CLIENT_PROTOCOL_41	  0x00000200u
#define CLIENT_SSL		  0x00000800u
#define CLIENT_SECURE_CONNECTION  0x00008000u
#define CLIENT_PLUGIN_AUTH_LENENC 0x00200000u
#define CLIENT_ZSTD_COMPRESSION	  0x04000000u
#define CLIENT_QUERY_ATTRIBUTES	  0x08000000u

struct mysql_dir {
	uint8_t hdr[4];
	uint8_t hdr_have;
	uint8_t seq;   /* the sequence number of the message's first packet */
	bool more;     /* this packet is 0xffffff bytes: the message goes on */
	bool in_msg;   /* a message continues in the next packet */
	bool cut;      /* the message was longer than what is kept */
	uint32_t left; /* payload bytes left in this packet */
	uint32_t keep; /* bytes kept of the message */
};

struct mysql_state {
	struct mysql_dir d[2];
	uint32_t srv_caps, cli_caps;
	bool greeted, handshake;
	bool compressed;  /* both sides offered compression: packets unread from here */
	bool ssl_wait;	  /* an SSL request sent: its next bytes must be TLS */
	uint8_t tls_have; /* of them, the first ones seen (a record header's) */
	uint8_t tls_hdr[3];
	uint8_t cbuf[MYSQL_KEEP];
	uint8_t sbuf[MYSQL_SKEEP];
};

static const uint16_t mysql_ports[] = { 3306, 3307, 33060, 0 };

/*
 * A server's error packet in place of its greeting (1130 host not allowed,
 * 1040 too many connections): MAYBE while it is partial; whole, with a
 * server error code (1000-4999) and a printable message filling it, YES,
 * so a server that refuses a client is known on any port.
 */
static enum bh_net_probe mysql_probe_error(const uint8_t *buf, size_t len, uint32_t plen)
{
	unsigned code;

	if (plen < 3 || plen >= 1024)
		return BH_NET_PROBE_NO;
	if (len < 4 + (size_t)plen)
		return BH_NET_PROBE_MAYBE;
	code = (unsigned)buf[5] | (unsigned)buf[6] << 8;
	if (code < 1000 || code > 4999 || plen < 3 + 8)
		return BH_NET_PROBE_MAYBE;
	for (size_t i = 7; i < 4 + (size_t)plen; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return BH_NET_PROBE_MAYBE;
	return BH_NET_PROBE_YES;
}

static enum bh_net_probe mysql_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				     const uint8_t *buf, size_t len)
{
	(void)flow;
	if (len < 5)
		return BH_NET_PROBE_NEED_MORE;
	uint32_t plen = bh_net_le24(buf);
	if (dir == BH_NET_TO_CLIENT) {
		if (buf[3] != 0)
			return BH_NET_PROBE_NO;
		if (buf[4] == 0xff) /* an error instead of a greeting ("Host ... not allowed") */
			return mysql_probe_error(buf, len, plen);
		if (buf[4] != 0x0a || plen < 32 || plen > 1024)
			return BH_NET_PROBE_NO;
		/* the server version: printable, starting with a digit, NUL-terminated */
		for (size_t i = 5; i < len && i < 4 + plen; i++) {
			if (buf[i] == 0)
				return i > 5 ? BH_NET_PROBE_YES : BH_NET_PROBE_NO;
			if (buf[i] < 0x20 || buf[i] > 0x7e ||
			    (i == 5 && (buf[i] < '0' || buf[i] > '9')))
				return BH_NET_PROBE_NO;
			if (i > 5 + 80)
				return BH_NET_PROBE_NO;
		}
		return len < 4 + plen ? BH_NET_PROBE_NEED_MORE : BH_NET_PROBE_NO;
	}
	/* the handshake response (or SSL request): sequence 1, 4.1 capabilities,
	 * 19 zero bytes of filler (MariaDB uses the last 4 of the 23) */
	if (buf[3] != 1 || plen < 32 || plen > MYSQL_KEEP)
		return BH_NET_PROBE_NO;
	if (len < 8)
		return BH_NET_PROBE_NEED_MORE;
	if (!(bh_net_le32(buf + 4) & CLIENT_PROTOCOL_41))
		return BH_NET_PROBE_NO;
	for (size_t i = 4 + 9; i < 4 + 9 + 19; i++) {
		if (i >= len)
			return BH_NET_PROBE_NEED_MORE;
		if (buf[i])
			return BH_NET_PROBE_NO;
	}
	return BH_NET_PROBE_YES;
}

static void emit_cmd(const struct bh_net_dissect_ctx *ctx, enum bh_net_dir dir, const char *name,
		     const uint8_t *arg, size_t n)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_COMMAND, .dir = dir, .app = "mysql" };

	r.u.command.name.p = name;
	r.u.command.name.len = strlen(name);
	r.u.command.arg.p = (const char *)arg;
	r.u.command.arg.len = n;
	ctx->emit(ctx->opaque, &r);
}

/* The length of the NUL-terminated string at p[0..n), or n when there is no NUL. */
static size_t cstr(const uint8_t *p, size_t n)
{
	const uint8_t *z = memchr(p, 0, n);

	return z ? (size_t)(z - p) : n;
}

/* A length-encoded integer at *off; false when it does not fit in n. */
static bool lenenc(const uint8_t *p, size_t n, size_t *off, uint64_t *v)
{
	size_t o = *off, w;

	if (o >= n)
		return false;
	switch (p[o]) {
	case 0xfc: w = 2; break;
	case 0xfd: w = 3; break;
	case 0xfe: w = 8; break;
	case 0xfb: /* NULL */
	case 0xff: return false;
	default:
		*v = p[o];
		*off = o + 1;
		return true;
	}
	if (n - o - 1 < w)
		return false;
	*v = 0;
	for (size_t i = 0; i < w; i++)
		*v |= (uint64_t)p[o + 1 + i] << (8 * i);
	*off = o + 1 + w;
	return true;
}

static void greeting(struct mysql_state *s, const uint8_t *p, size_t n,
		     const struct bh_net_dissect_ctx *ctx)
{
	size_t v = cstr(p + 1, n - 1), o = 1 + v + 1;

	s->greeted = true;
	if (o + 4 + 8 + 1 + 2 <= n)
		s->srv_caps = (uint32_t)p[o + 13] | (uint32_t)p[o + 14] << 8;
	if (o + 4 + 8 + 1 + 2 + 1 + 2 + 2 <= n)
		s->srv_caps |= (uint32_t)p[o + 18] << 16 | (uint32_t)p[o + 19] << 24;
	emit_cmd(ctx, BH_NET_TO_CLIENT, "greeting", p + 1, v);
}

/* The handshake response: user, auth data, database. */
static enum bh_net_feed handshake(struct mysql_state *s, const uint8_t *p, size_t n,
				  const struct bh_net_dissect_ctx *ctx)
{
	size_t o;
	uint32_t caps;

	s->handshake = true;
	if (n < 4)
		return BH_NET_FEED_MALFORMED;
	caps = bh_net_le32(p);
	if (caps & CLIENT_PROTOCOL_41) {
		if (n < 32)
			return BH_NET_FEED_MALFORMED;
		if (caps & CLIENT_SSL) {
			s->ssl_wait = true; /* the SSL request: TLS must follow */
			return BH_NET_FEED_MORE;
		}
		o = 32;
	} else {
		caps &= 0xffff; /* 3.20: 2 bytes of capabilities, 3 of max packet */
		if (n < 5)
			return BH_NET_FEED_MALFORMED;
		if (caps & CLIENT_SSL) {
			s->ssl_wait = true;
			return BH_NET_FEED_MORE;
		}
		o = 5;
	}
	s->cli_caps = caps;
	size_t u = cstr(p + o, n - o);
	emit_cmd(ctx, BH_NET_TO_SERVER, "login", p + o, u);
	o += u + 1;
	if (o < n && (caps & CLIENT_CONNECT_WITH_DB)) {
		uint64_t a = 0;
		if (caps & CLIENT_PLUGIN_AUTH_LENENC) {
			if (!lenenc(p, n, &o, &a))
				a = n;
		} else if (caps & CLIENT_SECURE_CONNECTION) {
			a = p[o++];
		} else {
			a = cstr(p + o, n - o) + 1;
		}
		if (a < n - o) {
			o += a;
			emit_cmd(ctx, BH_NET_TO_SERVER, "database", p + o, cstr(p + o, n - o));
		}
	}
	if (caps & s->srv_caps & (CLIENT_COMPRESS | CLIENT_ZSTD_COMPRESSION))
		s->compressed = true; /* compressed packets from here on */
	return BH_NET_FEED_MORE;
}

/* The bytes of a binary-protocol value of a query attribute, or -1 when unknown. */
static long value_size(uint8_t type, const uint8_t *p, size_t n, size_t o)
{
	uint64_t v;
	size_t o2 = o;

	switch (type) {
	case 0x06: /* NULL */ return 0;
	case 0x01: /* TINY */ return 1;
	case 0x02: /* SHORT */
	case 0x0d: /* YEAR */ return 2;
	case 0x03: /* LONG */
	case 0x09: /* INT24 */
	case 0x04: /* FLOAT */ return 4;
	case 0x05: /* DOUBLE */
	case 0x08: /* LONGLONG */ return 8;
	case 0x07: /* TIMESTAMP */
	case 0x0a: /* DATE */
	case 0x0b: /* TIME */
	case 0x0c: /* DATETIME */ return o < n ? 1 + p[o] : -1;
	default: /* strings, decimals, blobs, JSON: length-encoded */
		if (!lenenc(p, n, &o2, &v) || v > n)
			return -1;
		return (long)(o2 - o + v);
	}
}

/* Where COM_QUERY's text starts after its query attributes, or 0 when unknown. */
static size_t skip_attributes(const uint8_t *p, size_t n)
{
	size_t o = 1;
	uint64_t count, sets;
	uint8_t types[64];

	if (!lenenc(p, n, &o, &count) || !lenenc(p, n, &o, &sets))
		return 0;
	if (!count)
		return o;
	if (count > sizeof(types) || o + (count + 7) / 8 + 1 > n)
		return 0;
	size_t bitmap = o;
	o += (count + 7) / 8;
	if (p[o++] != 1)
		return 0; /* types are always sent with a query */
	for (uint64_t i = 0; i < count; i++) {
		uint64_t nl;
		if (o + 2 > n)
			return 0;
		types[i] = p[o];
		o += 2;
		if (!lenenc(p, n, &o, &nl) || nl > n - o)
			return 0;
		o += nl;
	}
	for (uint64_t i = 0; i < count; i++) {
		if (p[bitmap + i / 8] & (1u << (i % 8)))
			continue;
		long w = value_size(types[i], p, n, o);
		if (w < 0 || (size_t)w > n - o)
			return 0;
		o += (size_t)w;
	}
	return o;
}

static enum bh_net_feed command(struct mysql_state *s, const uint8_t *p, size_t n, bool cut,
				const struct bh_net_dissect_ctx *ctx)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_SQL, .dir = BH_NET_TO_SERVER, .app = "mysql" };
	size_t o = 1;

	if (!n)
		return BH_NET_FEED_MALFORMED;
	switch (p[0]) {
	case 0x01: /* COM_QUIT */ return BH_NET_FEED_DONE;
	case 0x02: /* COM_INIT_DB */
		emit_cmd(ctx, BH_NET_TO_SERVER, "database", p + 1, n - 1);
		break;
	case 0x11: /* COM_CHANGE_USER */
		emit_cmd(ctx, BH_NET_TO_SERVER, "login", p + 1, cstr(p + 1, n - 1));
		break;
	case 0x03: /* COM_QUERY */
		if (s->srv_caps & s->cli_caps & CLIENT_QUERY_ATTRIBUTES) {
			o = skip_attributes(p, n);
			if (!o) { /* attributes past what is kept, or broken */
				o = n;
				cut = true;
			}
		}
		/* fall through */
	case 0x16: /* COM_STMT_PREPARE */
		r.u.sql.text.p = (const char *)p + o;
		r.u.sql.text.len = n - o;
		r.u.sql.truncated = cut;
		ctx->emit(ctx->opaque, &r);
		break;
	}
	return BH_NET_FEED_MORE;
}

static enum bh_net_feed message(struct mysql_state *s, enum bh_net_dir dir,
				const struct bh_net_dissect_ctx *ctx)
{
	struct mysql_dir *d = &s->d[dir];
	const uint8_t *p = dir == BH_NET_TO_SERVER ? s->cbuf : s->sbuf;

	if (dir == BH_NET_TO_CLIENT) {
		if (s->greeted || !d->keep)
			return BH_NET_FEED_MORE;
		if (p[0] == 0x0a) {
			greeting(s, p, d->keep, ctx);
			return BH_NET_FEED_MORE;
		}
		return p[0] == 0xff ? BH_NET_FEED_DONE : BH_NET_FEED_MALFORMED;
	}
	if (d->seq == 1 && !s->handshake)
		return handshake(s, p, d->keep, ctx);
	if (d->seq == 0)
		return command(s, p, d->keep, d->cut, ctx);
	return BH_NET_FEED_MORE; /* authentication exchange */
}

/*
 * The client's bytes after its SSL request: DONE when they begin a TLS
 * handshake record (type 22, version 3.x) and the server offered SSL, else
 * given up from their first byte (the record header's bytes held from an
 * earlier chunk go back through ctx->held).
 */
static enum bh_net_feed after_ssl_request(struct mysql_state *s, const uint8_t *data, size_t len,
					  size_t base, const struct bh_net_dissect_ctx *ctx)
{
	size_t off = base;
	uint8_t had = s->tls_have;

	if (off >= len)
		return BH_NET_FEED_MORE;
	while (off < len && s->tls_have < 3)
		s->tls_hdr[s->tls_have++] = data[off++];
	bool ok = s->tls_hdr[0] == 22 && (s->tls_have < 2 || s->tls_hdr[1] == 3) &&
		  (s->tls_have < 3 || s->tls_hdr[2] <= 4);
	if (ok && s->tls_have < 3)
		return BH_NET_FEED_MORE;
	if (ok && (s->srv_caps & CLIENT_SSL))
		return BH_NET_FEED_DONE;
	return had ? bh_net_feed_gave_up_held(ctx, s->tls_hdr, had)
		   : bh_net_feed_gave_up(ctx, base);
}

static enum bh_net_feed mysql_feed(void *state, enum bh_net_dir dir, const uint8_t *data,
				   size_t len, const struct bh_net_dissect_ctx *ctx)
{
	struct mysql_state *s = state;
	struct mysql_dir *d = &s->d[dir];
	uint8_t *buf = dir == BH_NET_TO_SERVER ? s->cbuf : s->sbuf;
	size_t cap = dir == BH_NET_TO_SERVER ? MYSQL_KEEP : MYSQL_SKEEP, off = 0;
	size_t mark = 0; /* where the message in progress began (its first packet) */
	size_t carry;	 /* the bytes held from earlier chunks of a message begun there */

	if (!data) {
		if (d->hdr_have == 4 && len < d->left && d->keep == cap) {
			d->left -= (uint32_t)len; /* lost bytes of a payload not kept anyway */
			return BH_NET_FEED_MORE;
		}
		return BH_NET_FEED_DONE;
	}
	if (dir == BH_NET_TO_SERVER && s->ssl_wait)
		return after_ssl_request(s, data, len, 0, ctx);
	carry = d->hdr_have == 4 || d->in_msg ? d->keep : 0;
	while (off < len) {
		if (!d->hdr_have && !d->in_msg)
			mark = off;
		if (d->hdr_have < 4) {
			d->hdr[d->hdr_have++] = data[off++];
			if (d->hdr_have < 4)
				continue;
			d->left = bh_net_le24(d->hdr);
			if (!d->in_msg) {
				d->seq = d->hdr[3];
				d->keep = 0;
				d->cut = false;
			}
			d->more = d->left == 0xffffff;
		} else {
			size_t n = len - off < d->left ? len - off : d->left, k = n;
			if (k > cap - d->keep) {
				k = cap - d->keep;
				d->cut = true;
			}
			memcpy(buf + d->keep, data + off, k);
			d->keep += (uint32_t)k;
			d->left -= (uint32_t)n;
			off += n;
		}
		if (d->hdr_have == 4 && !d->left) {
			d->hdr_have = 0;
			d->in_msg = d->more;
			if (d->more)
				continue;
			enum bh_net_feed f = message(s, dir, ctx);
			if (f == BH_NET_FEED_MALFORMED)
				return mark == 0 && carry
					       ? bh_net_feed_gave_up_held(ctx, buf, carry)
					       : bh_net_feed_gave_up(ctx, mark);
			carry = 0;
			if (f != BH_NET_FEED_MORE)
				return f;
			if (s->compressed) /* unparsable from here, not done */
				return bh_net_feed_gave_up(ctx, off);
			if (dir == BH_NET_TO_SERVER && s->ssl_wait)
				return after_ssl_request(s, data, len, off, ctx);
		}
	}
	return BH_NET_FEED_MORE;
}

const struct bh_net_dissector bh_net_l7_mysql = {
	.app = "mysql",
	.l4 = BH_NET_L4_TCP,
	.ports = mysql_ports,
	.state_size = sizeof(struct mysql_state),
	.probe = mysql_probe,
	.feed = mysql_feed,
};
