/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP/2 with prior knowledge (cleartext "h2c"; h2 inside TLS is not
 * visible) and gRPC over it: see dissect.h. Per direction: the client's
 * preface, then frames; HEADERS, CONTINUATION and PUSH_PROMISE payloads are
 * gathered into one header block (H2_BLOCK_MAX, in the state: a longer block
 * is malformed, given up from its first frame like any broken block, whose
 * payload bytes held from earlier chunks are handed back) and decoded with
 * HPACK (RFC 7541): the static table, a dynamic table per direction bounded
 * at H2_DYN_MAX bytes (the protocol's default;
 * when an encoder announces a larger table the decoder keeps the newest
 * H2_DYN_MAX bytes of it and fields it can no longer see are skipped; the
 * peer's SETTINGS_HEADER_TABLE_SIZE is followed too), and
 * Huffman strings. A request's :method, :authority (or Host), :path and
 * content-type make a BH_NET_REC_HTTP_REQUEST record (version 20), a
 * response's :status a BH_NET_REC_HTTP_RESPONSE; DATA frames stream as
 * BH_NET_REC_HTTP_BODY pieces (padding removed), the last one flagged at
 * END_STREAM. Records carry app "grpc" once the flow carried a request with
 * content-type application/grpc*, else "http2". An HTTP/1.1 request asking
 * for "Upgrade: h2c" is the http dissector's, which stops at the 101.
 *
 * Threats:
 *  BH-NET-HTTP2-HPACK-BOMB: a header block that decodes to a header list
 *   over H2_LIST_MAX (64 KiB, counted as RFC 7540 6.5.2 does: name, value
 *   and 32 per field); reported once per flow.
 *  BH-NET-HTTP2-RAPID-RESET: H2_RESET_N (100) RST_STREAM frames from the
 *   client within H2_RESET_SECS (10 s) (CVE-2023-44487); once per flow.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bulkhead/base.h"
#include "net/dissect.h"

#include "banned.h"

#define H2_BLOCK_MAX   16384 /* one header block, all its fragments */
#define H2_DYN_MAX     4096  /* dynamic table bytes kept per direction */
#define H2_DYN_ENTRIES (H2_DYN_MAX / 32)
#define H2_LIST_MAX    65536 /* decoded header list: the HPACK bomb bound */
#define H2_KEEP	       4096  /* values kept for a record, per block */
#define H2_RESET_N     100
#define H2_RESET_SECS  10.0

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define H2_PREFACE_LEN 24

/* RFC 7541 Appendix B, the Huffman code. */
/* Canonical decoding of that code: symbols sorted by (length, code); per
 * length the first code, the count and the offset into hp_sorted. */
static const uint8_t hp_sorted[256] = {
	48,  49,  50,  97,  99,	 101, 105, 111, 115, 116, 32,  37,  45,	 46,  47,  51,	52,  53,
	54,  55,  56,  57,  61,	 65,  95,  98,	100, 102, 103, 104, 108, 109, 110, 112, 114, 117,
	58,  66,  67,  68,  69,	 70,  71,  72,	73,  74,  75,  76,  77,	 78,  79,  80,	81,  82,
	83,  84,  85,  86,  87,	 89,  106, 107, 113, 118, 119, 120, 121, 122, 38,  42,	44,  59,
	88,  90,  33,  34,  40,	 41,  63,  39,	43,  124, 35,  62,  0,	 36,  64,  91,	93,  126,
	94,  125, 60,  96,  123, 92,  195, 208, 128, 130, 131, 162, 184, 194, 224, 226, 153, 161,
	167, 172, 176, 177, 179, 209, 216, 217, 227, 229, 230, 129, 132, 133, 134, 136, 146, 154,
	156, 160, 163, 164, 169, 170, 173, 178, 181, 185, 186, 187, 189, 190, 196, 198, 228, 232,
	233, 1,	  135, 137, 138, 139, 140, 141, 143, 147, 149, 150, 151, 152, 155, 157, 158, 165,
	166, 168, 174, 175, 180, 182, 183, 188, 191, 197, 231, 239, 9,	 142, 144, 145, 148, 159,
	171, 206, 215, 225, 236, 237, 199, 207, 234, 235, 192, 193, 200, 201, 202, 205, 210, 213,
	218, 219, 238, 240, 242, 243, 255, 203, 204, 211, 212, 214, 221, 222, 223, 241, 244, 245,
	246, 247, 248, 250, 251, 252, 253, 254, 2,   3,	  4,   5,   6,	 7,   8,   11,	12,  14,
	15,  16,  17,  18,  19,	 20,  21,  23,	24,  25,  26,  27,  28,	 29,  30,  31,	127, 220,
	249, 10,  13,  22,
};
static const uint32_t hp_first[31] = {
	0x0,	  0x0,	     0x0,	0x0,	   0x0,	      0x0,	0x14,	    0x5c,
	0xf8,	  0x0,	     0x3f8,	0x7fa,	   0xffa,     0x1ff8,	0x3ffc,	    0x7ffc,
	0x0,	  0x0,	     0x0,	0x7fff0,   0xfffe6,   0x1fffdc, 0x3fffd2,   0x7fffd8,
	0xffffea, 0x1ffffec, 0x3ffffe0, 0x7ffffde, 0xfffffe2, 0x0,	0x3ffffffc,
};
static const uint16_t hp_count[31] = {
	0, 0, 0, 0, 0, 10, 26, 32, 6,  0, 5,  3,  2,  6, 2, 3,
	0, 0, 0, 3, 8, 13, 26, 29, 12, 4, 15, 19, 29, 0, 3,
};
static const uint16_t hp_offset[31] = {
	0, 0, 0, 0,  0,	 0,   10,  36,	68,  0,	  74,  79,  82,	 84, 90,  92,
	0, 0, 0, 95, 98, 106, 119, 145, 174, 186, 190, 205, 224, 0,  253,
};
/* RFC 7541 Appendix A: the static table, index 1..61. */
static const struct hp_static {
	const char *name, *value;
} hp_static[61] = {
	{ ":authority", "" },
	{ ":method", "GET" },
	{ ":method", "POST" },
	{ ":path", "/" },
	{ ":path", "/index.html" },
	{ ":scheme", "http" },
	{ ":scheme", "https" },
	{ ":status", "200" },
	{ ":status", "204" },
	{ ":status", "206" },
	{ ":status", "304" },
	{ ":status", "400" },
	{ ":status", "404" },
	{ ":status", "500" },
	{ "accept-charset", "" },
	{ "accept-encoding", "gzip, deflate" },
	{ "accept-language", "" },
	{ "accept-ranges", "" },
	{ "accept", "" },
	{ "access-control-allow-origin", "" },
	{ "age", "" },
	{ "allow", "" },
	{ "authorization", "" },
	{ "cache-control", "" },
	{ "content-disposition", "" },
	{ "content-encoding", "" },
	{ "content-language", "" },
	{ "content-length", "" },
	{ "content-location", "" },
	{ "content-range", "" },
	{ "content-type", "" },
	{ "cookie", "" },
	{ "date", "" },
	{ "etag", "" },
	{ "expect", "" },
	{ "expires", "" },
	{ "from", "" },
	{ "host", "" },
	{ "if-match", "" },
	{ "if-modified-since", "" },
	{ "if-none-match", "" },
	{ "if-range", "" },
	{ "if-unmodified-since", "" },
	{ "last-modified", "" },
	{ "link", "" },
	{ "location", "" },
	{ "max-forwards", "" },
	{ "proxy-authenticate", "" },
	{ "proxy-authorization", "" },
	{ "range", "" },
	{ "referer", "" },
	{ "refresh", "" },
	{ "retry-after", "" },
	{ "server", "" },
	{ "set-cookie", "" },
	{ "strict-transport-security", "" },
	{ "transfer-encoding", "" },
	{ "user-agent", "" },
	{ "vary", "" },
	{ "via", "" },
	{ "www-authenticate", "" },
};

enum { F_DATA = 0, F_HEADERS = 1, F_RST = 3, F_SETTINGS = 4, F_PUSH = 5, F_CONT = 9 };
enum { FL_END_STREAM = 0x1, FL_END_HEADERS = 0x4, FL_PADDED = 0x8, FL_PRIORITY = 0x20 };

struct h2_dyn {
	uint32_t n;    /* entries, oldest first in e[] and in arena */
	uint32_t size; /* RFC 7541 size: sum of name + value + 32 */
	uint32_t max;  /* the encoder's current maximum, as announced */
	uint32_t used; /* arena bytes */
	bool lossy;    /* the encoder's table is larger than ours */
	struct {
		uint16_t off, nlen, vlen;
	} e[H2_DYN_ENTRIES];
	char arena[H2_DYN_MAX];
};

struct h2_dir {
	unsigned preface; /* preface bytes seen (client) */
	uint8_t fh[9];
	unsigned fhlen;
	uint32_t flen, fgot, fsid;
	uint8_t ftype, fflags;
	/* SETTINGS: the parameter being read */
	uint8_t set[6];
	unsigned setlen;
	/* DATA */
	uint8_t pad;
	uint32_t data_left;
	bool last_sent;
	/* header block */
	bool in_block;
	uint8_t block_type;
	uint32_t block_sid;
	size_t blen, fstart; /* block bytes; where this frame's payload starts */
	/* for a give-up inside the block (dissect.h): whether it began in the
	 * chunk being fed and where; else its bytes held from earlier chunks */
	bool bhere;
	size_t bstart, held0;
	struct h2_dyn dyn;
	char block[H2_BLOCK_MAX];
};

struct h2_state {
	struct h2_dir d[2];
	bool init, grpc, bomb_reported, reset_reported, done;
	unsigned resets;
	double reset_start;
	size_t keep_len;
	char keep[H2_KEEP];
	char name[H2_DYN_MAX]; /* a name being inserted into a dynamic table */
};

static const uint16_t h2_ports[] = { 80, 8080, 50051, 9090, 0 };

static enum bh_net_probe h2_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				  const uint8_t *buf, size_t len)
{
	if (dir == BH_NET_TO_SERVER) {
		size_t n = len < H2_PREFACE_LEN ? len : H2_PREFACE_LEN;

		if (memcmp(buf, h2_preface, n))
			return BH_NET_PROBE_NO;
		return n < H2_PREFACE_LEN ? BH_NET_PROBE_NEED_MORE : BH_NET_PROBE_YES;
	}
	/* A server opens with SETTINGS on stream 0, no flags, length 6k. */
	if (len < 9)
		return BH_NET_PROBE_NEED_MORE;
	uint32_t fl = (uint32_t)buf[0] << 16 | (uint32_t)buf[1] << 8 | buf[2];

	if (buf[3] != 4 || buf[4] != 0 || fl % 6 || fl > 16384 || buf[5] || buf[6] || buf[7] ||
	    buf[8])
		return BH_NET_PROBE_NO;
	return BH_NET_PROBE_MAYBE;
}

/* Huffman-decode in[0..n) into out (up to cap bytes; *outlen gets the full
 * length). -1 when malformed (EOS, a code over 30 bits, bad padding). */
static int hp_huff(const uint8_t *in, size_t n, char *out, size_t cap, size_t *outlen)
{
	uint32_t code = 0;
	unsigned len = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++)
		for (int b = 7; b >= 0; b--) {
			code = code << 1 | ((in[i] >> b) & 1);
			if (++len > 30)
				return -1;
			if (code - hp_first[len] < hp_count[len]) {
				if (o < cap)
					out[o] = (char)
						hp_sorted[hp_offset[len] + code - hp_first[len]];
				o++;
				code = 0;
				len = 0;
			}
		}
	if (len > 7 || code != (1u << len) - 1)
		return -1;
	*outlen = o;
	return 0;
}

/* An HPACK integer with an N-bit prefix at b[*pos]. -1 when malformed. */
static int hp_int(const uint8_t *b, size_t n, size_t *pos, unsigned prefix, uint32_t *out)
{
	uint32_t mask = (1u << prefix) - 1, v;
	unsigned m = 0;

	if (*pos >= n)
		return -1;
	v = b[(*pos)++] & mask;
	if (v < mask) {
		*out = v;
		return 0;
	}
	for (;;) {
		if (*pos >= n || m > 21)
			return -1;
		uint8_t c = b[(*pos)++];

		v += (uint32_t)(c & 0x7f) << m;
		m += 7;
		if (!(c & 0x80))
			break;
	}
	*out = v;
	return 0;
}

/* An HPACK string at b[*pos]: decoded into out (cap bytes kept; *len gets the
 * full decoded length). -1 when malformed. */
static int hp_str(const uint8_t *b, size_t n, size_t *pos, char *out, size_t cap, size_t *len)
{
	bool huff;
	uint32_t l;

	if (*pos >= n)
		return -1;
	huff = b[*pos] & 0x80;
	if (hp_int(b, n, pos, 7, &l) < 0 || l > n - *pos)
		return -1;
	if (huff) {
		if (hp_huff(b + *pos, l, out, cap, len) < 0)
			return -1;
	} else {
		if (cap)
			memcpy(out, b + *pos, l < cap ? l : cap);
		*len = l;
	}
	*pos += l;
	return 0;
}

static void dyn_evict_one(struct h2_dyn *t)
{
	uint32_t sz = (uint32_t)t->e[0].nlen + t->e[0].vlen;

	memmove(t->arena, t->arena + sz, t->used - sz);
	t->used -= sz;
	t->size -= sz + 32;
	memmove(t->e, t->e + 1, (t->n - 1) * sizeof(t->e[0]));
	t->n--;
	for (uint32_t i = 0; i < t->n; i++)
		t->e[i].off = (uint16_t)(t->e[i].off - sz);
}

/* Our bound: the smaller of the encoder's maximum and H2_DYN_MAX. */
static uint32_t dyn_cap(const struct h2_dyn *t)
{
	return t->max < H2_DYN_MAX ? t->max : H2_DYN_MAX;
}

static void dyn_shrink(struct h2_dyn *t, uint32_t to)
{
	while (t->n && t->size > to)
		dyn_evict_one(t);
}

/* Entry idx (1-based, static then dynamic): name and value, or false. */
static bool hp_lookup(const struct h2_dyn *t, uint32_t idx, const char **name, size_t *nlen,
		      const char **val, size_t *vlen)
{
	if (idx >= 1 && idx <= 61) {
		*name = hp_static[idx - 1].name;
		*nlen = strlen(*name);
		*val = hp_static[idx - 1].value;
		*vlen = strlen(*val);
		return true;
	}
	idx -= 62;
	if (idx >= t->n)
		return false;
	idx = t->n - 1 - idx;
	*name = t->arena + t->e[idx].off;
	*nlen = t->e[idx].nlen;
	*val = *name + *nlen;
	*vlen = t->e[idx].vlen;
	return true;
}

struct h2_fields {
	struct bh_net_str method, authority, host, path, status, ctype;
	size_t list;
};

/* Keep a field a record needs (copied: the dynamic table may move). */
static void keep_field(struct h2_state *s, struct h2_fields *f, const char *name, size_t nlen,
		       const char *val, size_t vlen)
{
	struct bh_net_str *to = NULL;

	f->list += nlen + vlen + 32;
	if (nlen == 7 && !memcmp(name, ":method", 7))
		to = &f->method;
	else if (nlen == 10 && !memcmp(name, ":authority", 10))
		to = &f->authority;
	else if (nlen == 4 && !memcmp(name, "host", 4))
		to = &f->host;
	else if (nlen == 5 && !memcmp(name, ":path", 5))
		to = &f->path;
	else if (nlen == 7 && !memcmp(name, ":status", 7))
		to = &f->status;
	else if (nlen == 12 && !memcmp(name, "content-type", 12))
		to = &f->ctype;
	if (!to || to->p || vlen > H2_KEEP - s->keep_len)
		return;
	memmove(s->keep + s->keep_len, val, vlen);
	*to = (struct bh_net_str){ s->keep + s->keep_len, vlen };
	s->keep_len += vlen;
}

/* Decode one header block; -1 when malformed. */
static int hp_block(struct h2_state *s, struct h2_dyn *t, const uint8_t *b, size_t n,
		    struct h2_fields *f)
{
	size_t pos = 0;

	memset(f, 0, sizeof(*f));
	s->keep_len = 0;
	while (pos < n) {
		uint8_t c = b[pos];
		const char *name, *val;
		size_t nlen, vlen;
		uint32_t idx;

		if (c & 0x80) { /* indexed */
			if (hp_int(b, n, &pos, 7, &idx) < 0 || idx == 0)
				return -1;
			if (!hp_lookup(t, idx, &name, &nlen, &val, &vlen)) {
				if (!t->lossy)
					return -1;
				continue;
			}
			keep_field(s, f, name, nlen, val, vlen);
			continue;
		}
		if ((c & 0xe0) == 0x20) { /* dynamic table size update */
			if (hp_int(b, n, &pos, 5, &idx) < 0)
				return -1;
			t->max = idx;
			t->lossy = t->lossy || idx > H2_DYN_MAX;
			dyn_shrink(t, dyn_cap(t));
			continue;
		}
		bool incr = (c & 0xc0) == 0x40;
		char *nbuf = s->name;

		if (hp_int(b, n, &pos, incr ? 6 : 4, &idx) < 0)
			return -1;
		if (idx) {
			const char *iv;
			size_t ivl;

			if (!hp_lookup(t, idx, &name, &nlen, &iv, &ivl)) {
				if (!t->lossy)
					return -1;
				name = "";
				nlen = 0;
			}
			/* Copied: adding this entry may evict the one named. */
			if (nlen)
				memcpy(nbuf, name, nlen < H2_DYN_MAX ? nlen : H2_DYN_MAX);
		} else if (hp_str(b, n, &pos, nbuf, H2_DYN_MAX, &nlen) < 0) {
			return -1;
		}
		size_t vstart = pos;

		/* The value's decoded length first (nothing kept), then where it goes. */
		if (hp_str(b, n, &pos, NULL, 0, &vlen) < 0)
			return -1;
		if (incr) {
			uint32_t cap = dyn_cap(t);

			if (nlen + vlen + 32 > cap) {
				dyn_shrink(t, 0); /* RFC 7541 4.4: the table empties */
				nlen = nlen < H2_DYN_MAX ? nlen : H2_DYN_MAX;
				f->list += vlen; /* counted, not kept */
				keep_field(s, f, nbuf, nlen, "", 0);
				continue;
			}
			dyn_shrink(t, cap - (uint32_t)(nlen + vlen + 32));
			if (t->n == H2_DYN_ENTRIES)
				dyn_evict_one(t);
			char *at = t->arena + t->used;
			size_t p2 = vstart, vl2;

			memcpy(at, nbuf, nlen);
			if (hp_str(b, n, &p2, at + nlen, vlen, &vl2) < 0)
				return -1;
			t->e[t->n].off = (uint16_t)t->used;
			t->e[t->n].nlen = (uint16_t)nlen;
			t->e[t->n].vlen = (uint16_t)vlen;
			t->n++;
			t->used += (uint32_t)(nlen + vlen);
			t->size += (uint32_t)(nlen + vlen + 32);
			keep_field(s, f, at, nlen, at + nlen, vlen);
		} else {
			/* Decoded straight into the free end of keep. */
			char *vb = s->keep + s->keep_len;
			size_t room = H2_KEEP - s->keep_len, p2 = vstart, vl2;

			nlen = nlen < H2_DYN_MAX ? nlen : H2_DYN_MAX;
			if (hp_str(b, n, &p2, vb, room, &vl2) < 0)
				return -1;
			if (vlen > room) {
				f->list += nlen + vlen + 32; /* counted, not kept */
				continue;
			}
			keep_field(s, f, nbuf, nlen, vb, vlen);
		}
	}
	return 0;
}

static const char *h2_app(const struct h2_state *s)
{
	return s->grpc ? "grpc" : "http2";
}

static void emit_threat(struct h2_state *s, const struct bh_net_dissect_ctx *ctx,
			enum bh_net_dir dir, const char *id, const char *detail)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_THREAT, .dir = dir, .app = h2_app(s) };

	r.u.threat.id = id;
	r.u.threat.detail = (struct bh_net_str){ detail, strlen(detail) };
	ctx->emit(ctx->opaque, &r);
}

/* A complete header block of d: decode, records. */
static enum bh_net_feed block_done(struct h2_state *s, enum bh_net_dir dir,
				   const struct bh_net_dissect_ctx *ctx)
{
	struct h2_dir *d = &s->d[dir];
	struct h2_fields f;
	struct bh_net_rec r = { .dir = dir };

	/* a block that does not decode is given up on from its first frame */
	if (hp_block(s, &d->dyn, (const uint8_t *)d->block, d->blen, &f) < 0)
		return BH_NET_FEED_MALFORMED;
	d->in_block = false;
	d->blen = 0;
	if (f.list > H2_LIST_MAX && !s->bomb_reported) {
		s->bomb_reported = true;
		emit_threat(s, ctx, dir, "BH-NET-HTTP2-HPACK-BOMB",
			    "header block decodes to a header list over 64 KiB");
	}
	if (d->block_type == F_PUSH)
		return BH_NET_FEED_MORE;
	if (dir == BH_NET_TO_SERVER && f.method.p) {
		const char *q;

		if (f.ctype.len >= 16 && !memcmp(f.ctype.p, "application/grpc", 16))
			s->grpc = true;
		r.kind = BH_NET_REC_HTTP_REQUEST;
		r.app = h2_app(s);
		r.u.http.method = f.method;
		r.u.http.host = f.authority.p ? f.authority : f.host;
		r.u.http.path = f.path;
		if (f.path.p && (q = memchr(f.path.p, '?', f.path.len))) {
			r.u.http.path.len = (size_t)(q - f.path.p);
			r.u.http.query =
				(struct bh_net_str){ q + 1, f.path.len - r.u.http.path.len - 1 };
		}
		r.u.http.content_type = f.ctype;
		r.u.http.version = 20;
		r.u.http.stream_id = d->block_sid;
		ctx->emit(ctx->opaque, &r);
	} else if (dir == BH_NET_TO_CLIENT && f.status.p) {
		int st = 0;

		for (size_t i = 0; i < f.status.len && i < 3; i++)
			st = st * 10 +
			     (bh_isdigit((unsigned char)f.status.p[i]) ? f.status.p[i] - '0' : 0);
		r.kind = BH_NET_REC_HTTP_RESPONSE;
		r.app = h2_app(s);
		r.u.response.status = st;
		r.u.response.stream_id = d->block_sid;
		ctx->emit(ctx->opaque, &r);
	}
	return BH_NET_FEED_MORE;
}

static void emit_body(struct h2_state *s, const struct bh_net_dissect_ctx *ctx, enum bh_net_dir dir,
		      uint32_t sid, const uint8_t *p, size_t n, bool last)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_HTTP_BODY, .dir = dir, .app = h2_app(s) };

	r.u.body.data = (struct bh_net_str){ (const char *)p, n };
	r.u.body.stream_id = sid;
	r.u.body.last = last;
	ctx->emit(ctx->opaque, &r);
}

/* A frame header is complete. */
static enum bh_net_feed frame_start(struct h2_state *s, enum bh_net_dir dir,
				    const struct bh_net_dissect_ctx *ctx)
{
	struct h2_dir *d = &s->d[dir];

	d->flen = (uint32_t)d->fh[0] << 16 | (uint32_t)d->fh[1] << 8 | d->fh[2];
	d->ftype = d->fh[3];
	d->fflags = d->fh[4];
	d->fsid = ((uint32_t)d->fh[5] << 24 | (uint32_t)d->fh[6] << 16 | (uint32_t)d->fh[7] << 8 |
		   d->fh[8]) &
		  0x7fffffff;
	d->fgot = 0;
	if (d->in_block && (d->ftype != F_CONT || d->fsid != d->block_sid))
		return BH_NET_FEED_MALFORMED; /* RFC 9113 6.10 */
	if (!d->in_block && d->ftype == F_CONT)
		return BH_NET_FEED_MALFORMED;
	switch (d->ftype) {
	case F_DATA:
		d->last_sent = false;
		d->data_left = d->flen;
		if (d->fflags & FL_PADDED) {
			if (d->flen == 0)
				return BH_NET_FEED_MALFORMED;
			d->data_left = 0; /* known after the pad length byte */
		}
		break;
	case F_HEADERS:
	case F_PUSH:
		d->in_block = true;
		d->block_type = d->ftype;
		d->block_sid = d->fsid;
		d->blen = 0;
		/* fallthrough */
	case F_CONT:
		/* over our bound: given up from the block's first frame, never a
		 * DONE (a client's padded block would end the inspection) */
		if (d->flen > H2_BLOCK_MAX - d->blen)
			return BH_NET_FEED_MALFORMED;
		d->fstart = d->blen;
		break;
	case F_SETTINGS: d->setlen = 0; break;
	case F_RST:
		if (dir != BH_NET_TO_SERVER || s->reset_reported)
			break;
		if (!s->resets || ctx->now - s->reset_start > H2_RESET_SECS) {
			s->resets = 0;
			s->reset_start = ctx->now;
		}
		if (++s->resets >= H2_RESET_N) {
			s->reset_reported = true;
			emit_threat(s, ctx, dir, "BH-NET-HTTP2-RAPID-RESET",
				    "100 RST_STREAM from the client within 10 s");
		}
		break;
	}
	return BH_NET_FEED_MORE;
}

/* The whole payload of a HEADERS/PUSH_PROMISE/CONTINUATION is in the block
 * at fstart: strip padding, priority and the promised stream. */
static enum bh_net_feed header_frame_done(struct h2_state *s, enum bh_net_dir dir,
					  const struct bh_net_dissect_ctx *ctx)
{
	struct h2_dir *d = &s->d[dir];
	size_t beg = 0, len = d->flen, padlen = 0;
	char *p = d->block + d->fstart;

	if (d->ftype != F_CONT && (d->fflags & FL_PADDED)) {
		if (len < 1)
			return BH_NET_FEED_MALFORMED;
		padlen = (uint8_t)p[0];
		beg = 1;
	}
	if (d->ftype == F_HEADERS && (d->fflags & FL_PRIORITY))
		beg += 5;
	if (d->ftype == F_PUSH)
		beg += 4;
	if (beg + padlen > len)
		return BH_NET_FEED_MALFORMED;
	memmove(p, p + beg, len - beg - padlen);
	d->blen = d->fstart + len - beg - padlen;
	if (d->fflags & FL_END_HEADERS)
		return block_done(s, dir, ctx);
	return BH_NET_FEED_MORE;
}

static bool hdr_frame(const struct h2_dir *d)
{
	return d->fhlen == 9 && (d->ftype == F_HEADERS || d->ftype == F_PUSH || d->ftype == F_CONT);
}

/* The bytes of d's header block in its state: the frames done, and the
 * payload so far of the one being read. */
static size_t block_extent(const struct h2_dir *d)
{
	return hdr_frame(d) ? d->fstart + d->fgot : d->blen;
}

/*
 * Giving up on direction dir's bytes: from the unit in progress (mark), or,
 * inside a header block, from the block's first frame (its HEADERS); when
 * that began in an earlier chunk, its bytes held from those are handed back.
 */
static enum bh_net_feed h2_gave_up(const struct h2_dir *d, const struct bh_net_dissect_ctx *ctx,
				   size_t mark)
{
	if (!d->in_block)
		return bh_net_feed_gave_up(ctx, mark);
	if (d->bhere)
		return bh_net_feed_gave_up(ctx, d->bstart);
	/* (a padded HEADERS completed since has its payload moved down in
	 * place: still the block's bytes, inside the state) */
	return d->held0 ? bh_net_feed_gave_up_held(ctx, d->block, d->held0)
			: bh_net_feed_gave_up(ctx, 0);
}

/* *mark: where the unit in progress (the preface, a frame) began in data. */
static enum bh_net_feed h2_feed_dir(struct h2_state *s, enum bh_net_dir dir, const uint8_t *data,
				    size_t len, const struct bh_net_dissect_ctx *ctx, size_t *mark)
{
	struct h2_dir *d = &s->d[dir];
	size_t i = 0;
	enum bh_net_feed rc;
	bool fhere = false; /* the frame in progress began in this chunk */

	while (i < len) {
		bool in_preface = dir == BH_NET_TO_SERVER && d->preface < H2_PREFACE_LEN;

		if (in_preface ? d->preface == 0 : d->fhlen == 0) {
			*mark = i;
			fhere = true;
		}
		if (dir == BH_NET_TO_SERVER && d->preface < H2_PREFACE_LEN) {
			if (data[i++] != (uint8_t)h2_preface[d->preface++])
				return BH_NET_FEED_MALFORMED;
			continue;
		}
		if (d->fhlen < 9) {
			d->fh[d->fhlen++] = data[i++];
			if (d->fhlen < 9)
				continue;
			/* a block's first frame: where a give-up inside it goes back
			 * to (its own frame header too, over the bound) */
			if (!d->in_block && (d->fh[3] == F_HEADERS || d->fh[3] == F_PUSH)) {
				d->bhere = fhere;
				d->bstart = *mark;
			}
			rc = frame_start(s, dir, ctx);
			if (rc != BH_NET_FEED_MORE)
				return rc;
			if (d->flen > 0)
				continue;
		}
		size_t k = d->flen - d->fgot;

		if (k > len - i)
			k = len - i;
		switch (d->ftype) {
		case F_DATA: {
			size_t j = 0;

			if ((d->fflags & FL_PADDED) && d->fgot == 0 && k) {
				d->pad = data[i];
				if ((uint32_t)d->pad + 1 > d->flen)
					return BH_NET_FEED_MALFORMED;
				d->data_left = d->flen - 1 - d->pad;
				j = 1;
			}
			size_t n = k - j < d->data_left ? k - j : d->data_left;

			if (n) {
				d->data_left -= (uint32_t)n;
				d->last_sent = (d->fflags & FL_END_STREAM) && d->data_left == 0;
				emit_body(s, ctx, dir, d->fsid, data + i + j, n, d->last_sent);
			}
			break;
		}
		case F_HEADERS:
		case F_PUSH:
		case F_CONT: memcpy(d->block + d->fstart + d->fgot, data + i, k); break;
		case F_SETTINGS:
			/* HEADER_TABLE_SIZE sent one way bounds the other way's encoder. */
			for (size_t j = 0; j < k && !(d->fflags & 1); j++) {
				d->set[d->setlen++] = data[i + j];
				if (d->setlen < 6)
					continue;
				d->setlen = 0;
				if (d->set[0] == 0 && d->set[1] == 1) {
					struct h2_dyn *t = &s->d[!dir].dyn;

					t->max = (uint32_t)d->set[2] << 24 |
						 (uint32_t)d->set[3] << 16 |
						 (uint32_t)d->set[4] << 8 | d->set[5];
					t->lossy = t->lossy || t->max > H2_DYN_MAX;
					dyn_shrink(t, dyn_cap(t));
				}
			}
			break;
		default: break;
		}
		d->fgot += (uint32_t)k;
		i += k;
		if (d->fgot < d->flen)
			continue;
		/* The frame is complete. */
		d->fhlen = 0;
		if (d->ftype == F_DATA && (d->fflags & FL_END_STREAM) && !d->last_sent)
			emit_body(s, ctx, dir, d->fsid, (const uint8_t *)"", 0, true);
		if (d->ftype == F_HEADERS || d->ftype == F_PUSH || d->ftype == F_CONT) {
			rc = header_frame_done(s, dir, ctx);
			if (rc != BH_NET_FEED_MORE)
				return rc;
		}
	}
	/* A frame of zero length completes at its header. */
	return BH_NET_FEED_MORE;
}

static enum bh_net_feed h2_feed(void *state, enum bh_net_dir dir, const uint8_t *data, size_t len,
				const struct bh_net_dissect_ctx *ctx)
{
	struct h2_state *s = state;
	enum bh_net_feed rc;
	size_t mark = 0;

	if (s->done || (dir != BH_NET_TO_SERVER && dir != BH_NET_TO_CLIENT))
		return BH_NET_FEED_DONE;
	if (!s->init) {
		s->init = true;
		s->d[0].dyn.max = H2_DYN_MAX;
		s->d[1].dyn.max = H2_DYN_MAX;
	}
	if (!data) {
		s->done = true; /* a gap: the HPACK state is lost */
		return BH_NET_FEED_DONE;
	}
	/* the header block in progress began in an earlier chunk */
	s->d[dir].bhere = false;
	s->d[dir].held0 = s->d[dir].in_block ? block_extent(&s->d[dir]) : 0;
	rc = h2_feed_dir(s, dir, data, len, ctx, &mark);
	if (rc != BH_NET_FEED_MORE)
		s->done = true;
	/* given up: from the frame (or preface, or header block) it could not
	 * parse */
	return rc == BH_NET_FEED_MALFORMED ? h2_gave_up(&s->d[dir], ctx, mark) : rc;
}

const struct bh_net_dissector bh_net_l7_http2 = {
	.app = "http2",
	.l4 = BH_NET_L4_TCP,
	.ports = h2_ports,
	.state_size = sizeof(struct h2_state),
	.probe = h2_probe,
	.feed = h2_feed,
	.fini = NULL,
};
