/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP/1.0 and 1.1, both directions (see dissect.h). Each direction keeps
 * its header block in a fixed buffer of the state (HTTP_HDR_MAX: a longer
 * block is malformed), parses it once whole, then counts or decodes the body:
 * Content-Length, chunked (decoded into BH_NET_REC_HTTP_BODY pieces that
 * point into the caller's bytes), or to the end of the flow for a response
 * without either. Pipelined requests are remembered (HEAD and CONNECT, up to
 * HTTP_PIPE_MAX; those past it only counted, in order, never taken for a
 * tunnel) so their responses are read without a body or hand the flow over.
 * HTTP ends only on the server's answer: a 101 Switching Protocols to the
 * request that asked to Upgrade, or a 2xx to CONNECT; the client's bytes
 * before that answer are parsed as HTTP. Even then it is no end of
 * inspection: the bytes after that response's head (an HTTP/2 preface, a
 * TLS hello, HTTP again, anything) are handed over, identified anew
 * (bh_net_feed_handoff); when the client is mid-message then, given up on.
 *
 * Threats:
 *  BH-NET-HTTP-SMUGGLE: a request (or response) whose length is ambiguous:
 *   Content-Length with Transfer-Encoding; two Content-Lengths that differ;
 *   a Content-Length that is not digits; a Transfer-Encoding that is not a
 *   list of known codings ending in chunked (request); a header line folded
 *   onto the previous one (obs-fold); whitespace before a header's colon; a
 *   malformed request line a lenient server still reads: a control byte or
 *   raw whitespace in the target (the target is what lies between the
 *   method and the last token, "HTTP/1.x", and its query is checked).
 *  BH-NET-HTTP-SLOWLORIS: a request's header block still incomplete
 *   HTTP_SLOW_SECS (10 s) after its first byte, having arrived in at least
 *   HTTP_SLOW_PIECES (3) pieces: a client holding the server's slot with a
 *   few bytes at a time. Reported once per flow; the bytes keep being parsed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bulkhead/base.h"
#include "net/dissect.h"

#include "banned.h"

#define HTTP_HDR_MAX	    8192 /* one header block, start line included */
#define HTTP_PIPE_MAX	    32	 /* requests awaiting their response */
#define HTTP_SLOW_SECS	    10.0 /* slowloris: header block incomplete this long ... */
#define HTTP_SLOW_PIECES    3	 /* ... after arriving in at least this many pieces */
#define HTTP_CHUNK_LINE_MAX 128

enum http_phase {
	PH_HEAD = 0,   /* reading a header block */
	PH_LEN,	       /* body of known length */
	PH_CHUNK_SIZE, /* chunk-size line */
	PH_CHUNK_DATA,
	PH_CHUNK_CRLF, /* CRLF after a chunk's data */
	PH_TRAILER,    /* trailer lines after the last chunk */
	PH_CLOSE,      /* body until the flow ends */
};

struct http_dir {
	enum http_phase phase;
	size_t hlen;
	bool line1; /* the header block's start line was whole and well-formed */
	uint64_t remain;
	double head_start;
	unsigned head_pieces;
	size_t llen; /* chunk-size or trailer line */
	char line[HTTP_CHUNK_LINE_MAX];
	char hdr[HTTP_HDR_MAX];
};

struct http_state {
	struct http_dir d[2];
	uint8_t pipe[HTTP_PIPE_MAX]; /* per pending request: PIPE_* */
	unsigned pipe_head, pipe_n;
	/* requests past a full queue (or after one was), answered after the
	 * queued ones: counted, their kind unknown (never a tunnel) */
	uint32_t unrec;
	bool slow_reported;
	bool done;
	bool handoff; /* head_done's DONE: the server switched protocols */
};

enum { PIPE_HEAD = 1, PIPE_CONNECT = 2, PIPE_UPGRADE = 4 };

static const char *const http_methods[] = {
	"GET",	 "HEAD",   "POST",     "PUT",	     "DELETE", "CONNECT", "OPTIONS",
	"TRACE", "PATCH",  "PROPFIND", "PROPPATCH",  "MKCOL",  "COPY",	  "MOVE",
	"LOCK",	 "UNLOCK", "REPORT",   "MKCALENDAR", "SEARCH", "PURGE",	  NULL,
};

static const uint16_t http_ports[] = { 80, 8080, 8000, 8008, 8888, 3128, 0 };

static void emit_threat(const struct bh_net_dissect_ctx *ctx, enum bh_net_dir dir, const char *id,
			const char *detail)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_THREAT, .dir = dir, .app = "http" };

	r.u.threat.id = id;
	r.u.threat.detail.p = detail;
	r.u.threat.detail.len = strlen(detail);
	ctx->emit(ctx->opaque, &r);
}

static bool ieq(const char *a, size_t alen, const char *lit)
{
	size_t n = strlen(lit);

	if (alen != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (bh_tolower((unsigned char)a[i]) != lit[i])
			return false;
	return true;
}

static bool is_tchar(unsigned char c)
{
	return bh_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static enum bh_net_probe http_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				    const uint8_t *buf, size_t len)
{
	if (dir == BH_NET_TO_CLIENT) {
		static const char v[] = "HTTP/1.";

		if (len < sizeof(v) - 1)
			return memcmp(buf, v, len) == 0 ? BH_NET_PROBE_NEED_MORE : BH_NET_PROBE_NO;
		return memcmp(buf, v, sizeof(v) - 1) == 0 ? BH_NET_PROBE_YES : BH_NET_PROBE_NO;
	}
	for (const char *const *m = http_methods; *m; m++) {
		size_t n = strlen(*m);

		if (len <= n) {
			if (memcmp(buf, *m, len) == 0)
				return BH_NET_PROBE_NEED_MORE;
			continue;
		}
		if (memcmp(buf, *m, n) == 0 && buf[n] == ' ')
			return BH_NET_PROBE_YES;
	}
	return BH_NET_PROBE_NO;
}

/* The end of the header block in h[0..len) (the index just past it), or 0. */
static size_t head_end(const char *h, size_t len)
{
	if (len >= 2 && h[len - 1] == '\n' && h[len - 2] == '\n')
		return len;
	if (len >= 4 && memcmp(h + len - 4, "\r\n\r\n", 4) == 0)
		return len;
	return 0;
}

/* Trim spaces and tabs. */
static void trim(const char **p, size_t *n)
{
	while (*n && (**p == ' ' || **p == '\t'))
		(*p)++, (*n)--;
	while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\r'))
		(*n)--;
}

struct http_head {
	bool request;
	struct bh_net_str method, target, host, ctype;
	int version, status;
	bool has_cl, chunked, has_te, te_bad, cl_bad, cl_conflict, folded, name_ws;
	bool upgrade, expect_continue;
	bool target_ws; /* raw whitespace in the target, or more than one around it */
	uint64_t cl;
};

/* Parse a Content-Length value ("42" or "42, 42"): false when not digits. */
static bool parse_cl(const char *v, size_t n, uint64_t *out)
{
	bool have = false;
	uint64_t val = 0;

	while (n) {
		uint64_t x = 0;
		size_t i = 0;

		while (i < n && bh_isdigit((unsigned char)v[i])) {
			if (x > (UINT64_MAX - 9) / 10)
				return false;
			x = x * 10 + (uint64_t)(v[i] - '0');
			i++;
		}
		if (i == 0 || (have && x != val))
			return false;
		val = x;
		have = true;
		v += i, n -= i;
		while (n && (*v == ' ' || *v == '\t'))
			v++, n--;
		if (n && *v == ',') {
			v++, n--;
			while (n && (*v == ' ' || *v == '\t'))
				v++, n--;
			if (!n)
				return false;
		} else if (n) {
			return false;
		}
	}
	*out = val;
	return have;
}

/* Transfer-Encoding: a comma list of known codings; *chunked when the last is
 * chunked. False when a coding is unknown or oddly written. */
static bool parse_te(const char *v, size_t n, bool *chunked)
{
	static const char *const known[] = { "chunked",	 "gzip", "x-gzip", "deflate", "compress",
					     "identity", "br",	 "zstd",   NULL };
	bool any = false;

	*chunked = false;
	while (n) {
		size_t i = 0;
		bool ok = false;

		while (i < n && v[i] != ',')
			i++;
		const char *t = v;
		size_t tn = i;

		trim(&t, &tn);
		for (const char *const *k = known; *k && tn; k++)
			if (ieq(t, tn, *k))
				ok = true;
		if (!ok)
			return false;
		*chunked = ieq(t, tn, "chunked");
		any = true;
		v += i, n -= i;
		if (n)
			v++, n--;
	}
	return any;
}

/* Parse the header block h[0..len). False when malformed. */
static bool parse_head(const char *h, size_t len, bool request, struct http_head *out)
{
	const char *p = h, *end = h + len, *eol;
	const char *sp1, *sp2;

	memset(out, 0, sizeof(*out));
	out->request = request;
	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		return false;
	size_t ll = (size_t)(eol - p);

	if (ll && p[ll - 1] == '\r')
		ll--;
	sp1 = memchr(p, ' ', ll);
	if (!sp1)
		return false;
	if (request) {
		/* The target is what lies between the method and the version,
		 * raw spaces included, as a lenient server reads it (nginx before
		 * 1.21.1): its query is still checked, the line flagged. Runs of
		 * spaces or tabs after the method and before the version are
		 * skipped, as nginx and python's http.server do ("GET  /a"
		 * serves /a): the target never starts or ends with one. */
		const char *t, *te;

		for (sp2 = p + ll - 1; sp2 > sp1 && *sp2 != ' '; sp2--)
			;
		if (sp2 == sp1 || (size_t)(p + ll - (sp2 + 1)) != 8 ||
		    memcmp(sp2 + 1, "HTTP/1.", 7) || !bh_isdigit((unsigned char)sp2[8]))
			return false;
		for (const char *c = p; c < sp1; c++)
			if (!is_tchar((unsigned char)*c))
				return false;
		for (t = sp1 + 1; t < sp2 && (*t == ' ' || *t == '\t'); t++)
			;
		for (te = sp2; te > t && (te[-1] == ' ' || te[-1] == '\t'); te--)
			;
		out->method = (struct bh_net_str){ p, (size_t)(sp1 - p) };
		out->target = (struct bh_net_str){ t, (size_t)(te - t) };
		if (!out->method.len || !out->target.len)
			return false;
		out->target_ws = t != sp1 + 1 || te != sp2 ||
				 memchr(out->target.p, ' ', out->target.len) ||
				 memchr(out->target.p, '\t', out->target.len);
		out->version = sp2[8] == '0' ? 10 : 11;
	} else {
		if ((size_t)(sp1 - p) != 8 || memcmp(p, "HTTP/1.", 7) ||
		    !bh_isdigit((unsigned char)p[7]))
			return false;
		out->version = p[7] == '0' ? 10 : 11;
		if (p + ll - sp1 < 4 || !bh_isdigit((unsigned char)sp1[1]) ||
		    !bh_isdigit((unsigned char)sp1[2]) || !bh_isdigit((unsigned char)sp1[3]) ||
		    (p + ll - sp1 > 4 && sp1[4] != ' '))
			return false;
		out->status = (sp1[1] - '0') * 100 + (sp1[2] - '0') * 10 + (sp1[3] - '0');
	}
	for (p = eol + 1; p < end; p = eol + 1) {
		const char *colon, *name, *val;
		size_t n, nn, vn;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			return false;
		n = (size_t)(eol - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n == 0)
			break; /* the empty line */
		if (*p == ' ' || *p == '\t') {
			out->folded = true; /* obs-fold */
			continue;
		}
		colon = memchr(p, ':', n);
		if (!colon || colon == p)
			return false;
		name = p;
		nn = (size_t)(colon - p);
		if (name[nn - 1] == ' ' || name[nn - 1] == '\t') {
			out->name_ws = true;
			while (nn && (name[nn - 1] == ' ' || name[nn - 1] == '\t'))
				nn--;
		}
		for (size_t i = 0; i < nn; i++)
			if (!is_tchar((unsigned char)name[i]))
				return false;
		val = colon + 1;
		vn = (size_t)(p + n - val);
		trim(&val, &vn);
		if (ieq(name, nn, "host")) {
			out->host = (struct bh_net_str){ val, vn };
		} else if (ieq(name, nn, "content-type")) {
			out->ctype = (struct bh_net_str){ val, vn };
		} else if (ieq(name, nn, "content-length")) {
			uint64_t cl;

			if (!parse_cl(val, vn, &cl))
				out->cl_bad = true;
			else if (out->has_cl && cl != out->cl)
				out->cl_conflict = true;
			else
				out->cl = cl;
			out->has_cl = true;
		} else if (ieq(name, nn, "transfer-encoding")) {
			bool ch;

			if (!parse_te(val, vn, &ch) || (out->has_te && out->chunked))
				out->te_bad = true;
			out->chunked = ch;
			out->has_te = true;
		} else if (ieq(name, nn, "upgrade")) {
			out->upgrade = true;
		} else if (ieq(name, nn, "expect")) {
			out->expect_continue = ieq(val, vn, "100-continue");
		}
	}
	if (request && out->has_te && !out->chunked)
		out->te_bad = true;
	return true;
}

static void emit_body(const struct bh_net_dissect_ctx *ctx, enum bh_net_dir dir, const uint8_t *p,
		      size_t n, bool last)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_HTTP_BODY, .dir = dir, .app = "http" };

	r.u.body.data = (struct bh_net_str){ (const char *)p, n };
	r.u.body.last = last;
	ctx->emit(ctx->opaque, &r);
}

static bool ctl_byte(unsigned char c);

/* A complete header block in d->hdr: records, threats, and the body phase. */
static enum bh_net_feed head_done(struct http_state *s, enum bh_net_dir dir,
				  const struct bh_net_dissect_ctx *ctx)
{
	struct http_dir *d = &s->d[dir];
	struct http_head h;
	struct bh_net_rec r = { .dir = dir, .app = "http" };
	uint8_t pend = 0;
	bool body_none = false;

	if (!parse_head(d->hdr, d->hlen, dir == BH_NET_TO_SERVER, &h))
		return BH_NET_FEED_MALFORMED;
	if (h.folded)
		emit_threat(ctx, dir, "BH-NET-HTTP-SMUGGLE", "header line folding (obs-fold)");
	if (h.name_ws)
		emit_threat(ctx, dir, "BH-NET-HTTP-SMUGGLE", "whitespace before a header's colon");
	for (size_t i = 0; i < h.target.len; i++)
		if (ctl_byte((unsigned char)h.target.p[i])) {
			emit_threat(ctx, dir, "BH-NET-HTTP-SMUGGLE",
				    "control byte in the request target");
			break;
		}
	if (h.target_ws)
		emit_threat(ctx, dir, "BH-NET-HTTP-SMUGGLE",
			    "malformed request line: whitespace in the request target or "
			    "around it");
	if (h.has_cl && h.has_te)
		emit_threat(ctx, dir, "BH-NET-HTTP-SMUGGLE",
			    "Content-Length with Transfer-Encoding");
	if (h.cl_conflict)
		emit_threat(ctx, dir, "BH-NET-HTTP-SMUGGLE", "Content-Length headers that differ");
	if (h.cl_bad)
		emit_threat(ctx, dir, "BH-NET-HTTP-SMUGGLE", "malformed Content-Length");
	if (h.te_bad)
		emit_threat(ctx, dir, "BH-NET-HTTP-SMUGGLE", "malformed Transfer-Encoding");

	if (h.request) {
		const char *q;

		r.kind = BH_NET_REC_HTTP_REQUEST;
		r.u.http.method = h.method;
		r.u.http.host = h.host;
		r.u.http.path = h.target;
		q = memchr(h.target.p, '?', h.target.len);
		if (q) {
			r.u.http.path.len = (size_t)(q - h.target.p);
			r.u.http.query =
				(struct bh_net_str){ q + 1, h.target.len - r.u.http.path.len - 1 };
		}
		r.u.http.content_type = h.ctype;
		r.u.http.version = h.version;
		ctx->emit(ctx->opaque, &r);
		if (ieq(h.method.p, h.method.len, "head"))
			pend |= PIPE_HEAD;
		if (ieq(h.method.p, h.method.len, "connect"))
			pend |= PIPE_CONNECT;
		if (h.upgrade)
			pend |= PIPE_UPGRADE;
		/* in order: once one is not queued, none after it is */
		if (s->pipe_n < HTTP_PIPE_MAX && !s->unrec) {
			s->pipe[(s->pipe_head + s->pipe_n) % HTTP_PIPE_MAX] = pend;
			s->pipe_n++;
		} else if (s->unrec < UINT32_MAX) {
			s->unrec++;
		}
		/* A request has a body only when framed (RFC 9112 6.3). */
		body_none = !h.chunked && !(h.has_cl && !h.cl_bad);
	} else {
		r.kind = BH_NET_REC_HTTP_RESPONSE;
		r.u.response.status = h.status;
		ctx->emit(ctx->opaque, &r);
		/* another protocol follows, on the server's word, to a request
		 * that asked for it (not a pipelined one that did not) */
		if (h.status == 101 && s->pipe_n && (s->pipe[s->pipe_head] & PIPE_UPGRADE)) {
			s->handoff = true;
			return BH_NET_FEED_DONE;
		}
		if (h.status >= 100 && h.status < 200) {
			d->phase = PH_HEAD; /* interim: the final response follows */
			return BH_NET_FEED_MORE;
		}
		if (s->pipe_n) {
			pend = s->pipe[s->pipe_head];
			s->pipe_head = (s->pipe_head + 1) % HTTP_PIPE_MAX;
			s->pipe_n--;
		} else if (s->unrec) {
			s->unrec--;
		}
		if ((pend & PIPE_CONNECT) && h.status >= 200 && h.status < 300) {
			s->handoff = true;
			return BH_NET_FEED_DONE; /* a tunnel */
		}
		body_none = (pend & PIPE_HEAD) || h.status == 204 || h.status == 304;
	}
	if (body_none) {
		d->phase = PH_HEAD;
	} else if (h.chunked) {
		d->phase = PH_CHUNK_SIZE;
		d->llen = 0;
	} else if (h.has_cl && !h.cl_bad) {
		d->remain = h.cl;
		d->phase = PH_LEN;
		if (h.cl == 0) {
			emit_body(ctx, dir, (const uint8_t *)"", 0, true);
			d->phase = PH_HEAD;
		}
	} else {
		d->phase = PH_CLOSE;
	}
	return BH_NET_FEED_MORE;
}

/* One chunk-size line ("1a;ext=x"): false when not hex. */
static bool chunk_size(const char *l, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (n && l[n - 1] == '\r')
		n--;
	while (i < n && bh_isxdigit((unsigned char)l[i])) {
		unsigned c = (unsigned char)l[i];

		if (v >> 60)
			return false;
		v = v * 16 +
		    (bh_isdigit((int)c) ? c - '0' : (unsigned)(bh_tolower((int)c) - 'a' + 10));
		i++;
	}
	if (i == 0)
		return false;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (i < n && l[i] != ';')
		return false;
	*out = v;
	return true;
}

/* A byte no method or status-line version holds: the garbage after a
 * message is told at once, not after HTTP_HDR_MAX bytes. Only the start
 * line's first token is judged so: a control byte in a request's target
 * (which lenient servers accept) is parsed, its query checked, and flagged;
 * one in the method is not HTTP, by design (no server takes it): given up
 * on from the message's first byte, which the engine identifies anew (no
 * other dissector claims it: unknown bytes, scanned for data leaks). */
static bool ctl_byte(unsigned char c)
{
	return (c < 0x20 && c != '\r' && c != '\t') || c == 0x7f;
}

/* The start line just ended (d->hdr ends with its '\n'): is it HTTP's? */
static bool line1_ok(struct http_dir *d, enum bh_net_dir dir)
{
	struct http_head h;

	d->line1 = true;
	return parse_head(d->hdr, d->hlen, dir == BH_NET_TO_SERVER, &h);
}

/* Giving up on the header block in d->hdr that began at mark of this chunk;
 * when it began in an earlier one, its carry bytes held from those. */
static enum bh_net_feed head_gave_up(const struct http_dir *d, const struct bh_net_dissect_ctx *ctx,
				     size_t mark, size_t carry)
{
	if (mark == 0 && carry)
		return bh_net_feed_gave_up_held(ctx, d->hdr, carry);
	return bh_net_feed_gave_up(ctx, mark);
}

/*
 * Where it gives up, the bytes of the chunk it accepted (dissect.h) end where
 * the unit it could not parse began: a header block, a chunk-size or trailer
 * line, a chunk's CRLF (mark, 0 when that unit began in an earlier chunk).
 */
static enum bh_net_feed http_feed(void *state, enum bh_net_dir dir, const uint8_t *data, size_t len,
				  const struct bh_net_dissect_ctx *ctx)
{
	struct http_state *s = state;
	struct http_dir *d;
	size_t i = 0, mark = 0, carry;

	if (s->done || (dir != BH_NET_TO_SERVER && dir != BH_NET_TO_CLIENT))
		return BH_NET_FEED_DONE;
	d = &s->d[dir];
	if (!data) {
		/* A gap: skippable only inside a body we can count. */
		if (d->phase == PH_CLOSE)
			return BH_NET_FEED_MORE;
		if (d->phase == PH_LEN && len < d->remain) {
			d->remain -= len;
			return BH_NET_FEED_MORE;
		}
		s->done = true;
		return BH_NET_FEED_DONE;
	}
	if (d->phase == PH_HEAD && d->hlen > 0)
		d->head_pieces++;
	/* the header block's bytes held from earlier chunks */
	carry = d->phase == PH_HEAD ? d->hlen : 0;
	while (i < len) {
		enum bh_net_feed rc;

		if ((d->phase == PH_HEAD && !d->hlen) ||
		    ((d->phase == PH_CHUNK_SIZE || d->phase == PH_TRAILER ||
		      d->phase == PH_CHUNK_CRLF) &&
		     !d->llen))
			mark = i;
		switch (d->phase) {
		case PH_HEAD:
			if (d->hlen == 0) {
				/* Empty lines before a message are allowed (RFC 9112 2.2). */
				while (i < len && (data[i] == '\r' || data[i] == '\n'))
					i++;
				if (i == len)
					break;
				mark = i;
				d->line1 = false;
				d->head_start = ctx->now;
				d->head_pieces = 1;
			}
			while (i < len) {
				size_t e;

				if (d->hlen == HTTP_HDR_MAX) {
					s->done = true;
					return head_gave_up(d, ctx, mark, carry);
				}
				d->hdr[d->hlen++] = (char)data[i++];
				if (data[i - 1] != '\n') {
					if (!d->line1 && ctl_byte(data[i - 1]) &&
					    !memchr(d->hdr, ' ', d->hlen - 1)) {
						s->done = true;
						return head_gave_up(d, ctx, mark, carry);
					}
					continue;
				}
				if (!d->line1 && !line1_ok(d, dir)) {
					s->done = true;
					return head_gave_up(d, ctx, mark, carry);
				}
				e = head_end(d->hdr, d->hlen);
				if (!e)
					continue;
				rc = head_done(s, dir, ctx);
				d->hlen = 0;
				if (rc == BH_NET_FEED_MALFORMED) {
					s->done = true;
					return head_gave_up(d, ctx, mark, carry);
				}
				carry = 0;
				if (rc != BH_NET_FEED_MORE) {
					s->done = true;
					if (!s->handoff)
						return rc;
					/* the tunnel's bytes from here are
					 * identified anew; a client head in
					 * progress or a body: given up on */
					if (s->d[BH_NET_TO_SERVER].phase == PH_HEAD &&
					    !s->d[BH_NET_TO_SERVER].hlen)
						return bh_net_feed_handoff(ctx, i);
					return bh_net_feed_gave_up(ctx, i);
				}
				break;
			}
			break;
		case PH_LEN: {
			size_t n = len - i;

			if (n > d->remain)
				n = (size_t)d->remain;
			d->remain -= n;
			emit_body(ctx, dir, data + i, n, d->remain == 0);
			i += n;
			if (d->remain == 0)
				d->phase = PH_HEAD;
			break;
		}
		case PH_CHUNK_SIZE:
		case PH_TRAILER:
			while (i < len && data[i] != '\n') {
				if (d->llen == sizeof(d->line)) {
					s->done = true;
					return bh_net_feed_gave_up(ctx, mark);
				}
				d->line[d->llen++] = (char)data[i++];
			}
			if (i == len)
				break;
			i++; /* the '\n' */
			if (d->phase == PH_TRAILER) {
				bool empty = d->llen == 0 || (d->llen == 1 && d->line[0] == '\r');

				d->llen = 0;
				if (empty)
					d->phase = PH_HEAD;
				break;
			}
			if (!chunk_size(d->line, d->llen, &d->remain)) {
				s->done = true;
				return bh_net_feed_gave_up(ctx, mark);
			}
			d->llen = 0;
			if (d->remain == 0) {
				emit_body(ctx, dir, (const uint8_t *)"", 0, true);
				d->phase = PH_TRAILER;
			} else {
				d->phase = PH_CHUNK_DATA;
			}
			break;
		case PH_CHUNK_DATA: {
			size_t n = len - i;

			if (n > d->remain)
				n = (size_t)d->remain;
			d->remain -= n;
			emit_body(ctx, dir, data + i, n, false);
			i += n;
			if (d->remain == 0) {
				d->phase = PH_CHUNK_CRLF;
				d->llen = 0;
			}
			break;
		}
		case PH_CHUNK_CRLF:
			/* "\r\n" (or a bare "\n") after the data. */
			if (data[i] == '\r' && d->llen == 0) {
				d->llen = 1;
				i++;
				break;
			}
			if (data[i] != '\n') {
				s->done = true;
				return bh_net_feed_gave_up(ctx, mark);
			}
			i++;
			d->llen = 0;
			d->phase = PH_CHUNK_SIZE;
			break;
		case PH_CLOSE:
			emit_body(ctx, dir, data + i, len - i, false);
			i = len;
			break;
		}
	}
	if (dir == BH_NET_TO_SERVER && d->phase == PH_HEAD && d->hlen > 0 && !s->slow_reported &&
	    d->head_pieces >= HTTP_SLOW_PIECES && ctx->now - d->head_start > HTTP_SLOW_SECS) {
		s->slow_reported = true;
		emit_threat(ctx, dir, "BH-NET-HTTP-SLOWLORIS",
			    "request headers incomplete after 10 s, a few bytes at a time");
	}
	return BH_NET_FEED_MORE;
}

const struct bh_net_dissector bh_net_l7_http = {
	.app = "http",
	.l4 = BH_NET_L4_TCP,
	.ports = http_ports,
	.state_size = sizeof(struct http_state),
	.probe = http_probe,
	.feed = http_feed,
	.fini = NULL,
};
