/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP/1.1 over a local engine's unix socket (the Docker Engine API): one GET
 * per connection ("Connection: close"), the response head parsed with a
 * bound, the body read as it arrives (Content-Length, chunked, or until the
 * peer closes), never held whole. Every read waits at most the exchange's
 * idle timeout. The engine is local but its bytes are still input: the head
 * parser and the chunked decoder are bounded and fuzzed
 * (fuzz/fuzz_engine_http.c, through img_http_from_memory).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bulkhead/version.h"
#include "engine.h"
#include "banned.h"

#define IN_CAP	       (256u * 1024)
#define MAX_HEAD       (64u * 1024)
#define MAX_CHUNK_LINE 1024
#define MAX_TRAILERS   (64u * 1024)

enum chunk_state { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER, CH_DONE };

struct img_http {
	int fd; /* -1: the body is what the memory buffer holds */
	char *what;
	int timeout_ms;
	struct img_http_head head;
	unsigned char *in;
	size_t in_len, in_off;
	enum chunk_state st;
	uint64_t left; /* of the current chunk, or of Content-Length */
	uint64_t got;  /* body bytes handed out */
	uint64_t trailers;
	char line[MAX_CHUNK_LINE + 1];
	size_t line_len;
	bool eof;
	bool done;
};

/* ---- the response head ------------------------------------------------------ */

void img_http_head_release(struct img_http_head *h)
{
	free(h->content_type);
	memset(h, 0, sizeof(*h));
}

static bool token_char(char c)
{
	return bh_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* ASCII case-insensitive: (p, n) is `want` (lower case). */
static bool value_eq(const char *p, size_t n, const char *want)
{
	if (n != strlen(want))
		return false;
	for (size_t i = 0; i < n; i++)
		if (bh_tolower(p[i]) != want[i])
			return false;
	return true;
}

/* One header line (no CRLF): "Name: value". */
static int head_field(struct img_http_head *h, const char *p, size_t n, struct bh_error **err)
{
	const char *colon = memchr(p, ':', n), *v, *e = p + n;
	size_t klen;

	if (!colon || colon == p)
		return bh_error_set(err, BH_ERR_INVALID, "malformed header line");
	for (const char *c = p; c < colon; c++)
		if (!token_char(*c))
			return bh_error_set(err, BH_ERR_INVALID, "malformed header name");
	klen = (size_t)(colon - p);
	v = colon + 1;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	for (const char *c = v; c < e; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return bh_error_set(err, BH_ERR_INVALID,
					    "a control byte in a header value");
	if (value_eq(p, klen, "content-length")) {
		uint64_t len = 0;

		if (v == e || e - v > 19)
			return bh_error_set(err, BH_ERR_INVALID, "bad Content-Length");
		for (const char *c = v; c < e; c++) {
			if (!bh_isdigit(*c))
				return bh_error_set(err, BH_ERR_INVALID, "bad Content-Length");
			len = len * 10 + (uint64_t)(*c - '0');
		}
		if (h->length >= 0 && (uint64_t)h->length != len)
			return bh_error_set(err, BH_ERR_INVALID, "two different Content-Lengths");
		h->length = (int64_t)len;
	} else if (value_eq(p, klen, "transfer-encoding")) {
		if (!value_eq(v, (size_t)(e - v), "chunked"))
			return bh_error_set(err, BH_ERR_UNSUPPORTED,
					    "Transfer-Encoding '%.*s' is not supported",
					    (int)((e - v) > 64 ? 64 : (e - v)), v);
		h->chunked = true;
	} else if (value_eq(p, klen, "content-type")) {
		free(h->content_type);
		h->content_type = bh_strndup(v, (size_t)(e - v));
	}
	return 0;
}

int img_http_head_parse(const char *buf, size_t len, struct img_http_head *h, struct bh_error **err)
{
	const char *end = NULL, *p, *nl;
	size_t hlen;

	memset(h, 0, sizeof(*h));
	h->length = -1;
	for (size_t i = 0; i + 3 < len && i + 4 <= MAX_HEAD; i++)
		if (buf[i] == '\r' && !memcmp(buf + i, "\r\n\r\n", 4)) {
			end = buf + i;
			break;
		}
	if (!end) {
		if (len >= MAX_HEAD)
			return bh_error_set(err, BH_ERR_LIMIT, "the response head exceeds %u bytes",
					    MAX_HEAD);
		return 0;
	}
	hlen = (size_t)(end - buf) + 4;
	/* "HTTP/1.x SSS reason" */
	if (end - buf < 12 || memcmp(buf, "HTTP/1.", 7) || (buf[7] != '0' && buf[7] != '1') ||
	    buf[8] != ' ' || !bh_isdigit(buf[9]) || !bh_isdigit(buf[10]) || !bh_isdigit(buf[11]) ||
	    (end - buf > 12 && buf[12] != ' ' && buf[12] != '\r'))
		return bh_error_set(err, BH_ERR_INVALID, "not an HTTP/1.x response");
	h->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (h->status < 100)
		return bh_error_set(err, BH_ERR_INVALID, "bad HTTP status %d", h->status);
	p = memchr(buf, '\n', (size_t)(end - buf) + 2);
	if (!p || p[-1] != '\r')
		return bh_error_set(err, BH_ERR_INVALID, "malformed status line");
	while (p < end) {
		p++;
		nl = memchr(p, '\n', (size_t)(end + 2 - p));
		if (!nl || nl == p || nl[-1] != '\r') {
			img_http_head_release(h);
			return bh_error_set(err, BH_ERR_INVALID, "malformed header line");
		}
		if (nl - 1 > p && head_field(h, p, (size_t)(nl - 1 - p), err) < 0) {
			img_http_head_release(h);
			return -1;
		}
		p = nl;
		if (p >= end)
			break;
	}
	if (h->chunked)
		h->length = -1; /* RFC 9112: Transfer-Encoding wins */
	return (int)hlen;
}

/* ---- input ------------------------------------------------------------------- */

/* More bytes into the buffer; 0 at the end of input. */
static int fill(struct img_http *x, struct bh_error **err)
{
	ssize_t n;

	if (x->in_off == x->in_len)
		x->in_off = x->in_len = 0;
	if (x->eof || x->fd < 0) {
		x->eof = true;
		return 0;
	}
	if (x->in_len == IN_CAP) {
		memmove(x->in, x->in + x->in_off, x->in_len - x->in_off);
		x->in_len -= x->in_off;
		x->in_off = 0;
	}
	for (;;) {
		struct pollfd pf = { .fd = x->fd, .events = POLLIN };
		int pr = poll(&pf, 1, x->timeout_ms);

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return bh_error_sys(err, errno, "%s: poll", x->what);
		if (pr == 0)
			return bh_error_set(err, BH_ERR_IO, "%s: no answer in %d s", x->what,
					    x->timeout_ms / 1000);
		n = read(x->fd, x->in + x->in_len, IN_CAP - x->in_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bh_error_sys(err, errno, "%s: reading", x->what);
		break;
	}
	if (n == 0) {
		x->eof = true;
		return 0;
	}
	x->in_len += (size_t)n;
	return (int)n;
}

static size_t avail(const struct img_http *x)
{
	return x->in_len - x->in_off;
}

static int cut_short(struct img_http *x, struct bh_error **err)
{
	return bh_error_set(err, BH_ERR_INVALID,
			    "%s: the response ended early, after %llu bytes of its body (the "
			    "connection was closed: cut short?)",
			    x->what, (unsigned long long)x->got);
}

/* A CRLF-terminated line of the chunked framing into x->line (without CRLF):
 * 1 when complete, 0 at the end of input, -1 on error. */
static int read_line(struct img_http *x, size_t max, struct bh_error **err)
{
	for (;;) {
		while (avail(x)) {
			char c = (char)x->in[x->in_off++];

			if (c == '\n') {
				if (!x->line_len || x->line[x->line_len - 1] != '\r')
					return bh_error_set(err, BH_ERR_INVALID,
							    "%s: malformed chunked encoding",
							    x->what);
				x->line[--x->line_len] = 0;
				return 1;
			}
			if (x->line_len >= max || x->line_len >= MAX_CHUNK_LINE)
				return bh_error_set(err, BH_ERR_LIMIT,
						    "%s: a chunked-encoding line exceeds %zu bytes",
						    x->what, max);
			x->line[x->line_len++] = c;
		}
		int r = fill(x, err);

		if (r <= 0)
			return r;
	}
}

static int chunk_size(struct img_http *x, struct bh_error **err)
{
	uint64_t v = 0;
	size_t i = 0;

	for (; i < x->line_len && bh_isxdigit(x->line[i]); i++) {
		int d = bh_isdigit(x->line[i]) ? x->line[i] - '0'
					       : (bh_tolower(x->line[i]) - 'a' + 10);

		if (i >= 15)
			return bh_error_set(err, BH_ERR_LIMIT, "%s: a chunk size is too large",
					    x->what);
		v = (v << 4) | (uint64_t)d;
	}
	if (i == 0 ||
	    (i < x->line_len && x->line[i] != ';' && x->line[i] != ' ' && x->line[i] != '\t'))
		return bh_error_set(err, BH_ERR_INVALID, "%s: malformed chunk size", x->what);
	x->left = v;
	return 0;
}

ssize_t img_http_read(struct img_http *x, void *buf, size_t n, struct bh_error **err)
{
	int r;

	if (x->done || n == 0)
		return 0;
	if (!x->head.chunked) {
		size_t k;

		if (x->head.length >= 0 && x->left == 0) {
			x->done = true;
			return 0;
		}
		if (!avail(x)) {
			r = fill(x, err);
			if (r < 0)
				return -1;
			if (r == 0) {
				if (x->head.length >= 0)
					return cut_short(x, err);
				x->done = true; /* delimited by the close */
				return 0;
			}
		}
		k = avail(x) < n ? avail(x) : n;
		if (x->head.length >= 0 && k > x->left)
			k = (size_t)x->left;
		memcpy(buf, x->in + x->in_off, k);
		x->in_off += k;
		x->got += k;
		if (x->head.length >= 0)
			x->left -= k;
		return (ssize_t)k;
	}
	for (;;) {
		switch (x->st) {
		case CH_SIZE:
		case CH_DATA_END:
		case CH_TRAILER:
			x->line_len = 0;
			r = read_line(x, MAX_CHUNK_LINE, err);
			if (r < 0)
				return -1;
			if (r == 0)
				return cut_short(x, err);
			if (x->st == CH_DATA_END) {
				if (x->line_len)
					return bh_error_set(err, BH_ERR_INVALID,
							    "%s: malformed chunked encoding (no "
							    "CRLF after a chunk)",
							    x->what);
				x->st = CH_SIZE;
			} else if (x->st == CH_TRAILER) {
				x->trailers += x->line_len + 2;
				if (x->trailers > MAX_TRAILERS)
					return bh_error_set(err, BH_ERR_LIMIT,
							    "%s: trailers exceed %u bytes", x->what,
							    MAX_TRAILERS);
				if (!x->line_len) {
					x->st = CH_DONE;
					x->done = true;
					return 0;
				}
			} else {
				if (chunk_size(x, err) < 0)
					return -1;
				x->st = x->left ? CH_DATA : CH_TRAILER;
			}
			break;
		case CH_DATA: {
			size_t k;

			if (!avail(x)) {
				r = fill(x, err);
				if (r < 0)
					return -1;
				if (r == 0)
					return cut_short(x, err);
			}
			k = avail(x) < n ? avail(x) : n;
			if (k > x->left)
				k = (size_t)x->left;
			memcpy(buf, x->in + x->in_off, k);
			x->in_off += k;
			x->left -= k;
			x->got += k;
			if (!x->left)
				x->st = CH_DATA_END;
			return (ssize_t)k;
		}
		case CH_DONE: return 0;
		}
	}
}

int img_http_read_all(struct img_http *x, struct bh_buf *b, struct bh_error **err)
{
	char tmp[16384];

	for (;;) {
		ssize_t n = img_http_read(x, tmp, sizeof(tmp), err);

		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (bh_buf_add(b, tmp, (size_t)n, NULL) < 0)
			return bh_error_set(err, BH_ERR_LIMIT, "%s: the response exceeds %zu bytes",
					    x->what, b->max);
	}
}

const struct img_http_head *img_http_response(const struct img_http *x)
{
	return &x->head;
}

uint64_t img_http_body_count(const struct img_http *x)
{
	return x->got;
}

void img_http_close(struct img_http *x)
{
	if (!x)
		return;
	if (x->fd >= 0)
		close(x->fd);
	img_http_head_release(&x->head);
	free(x->in);
	free(x->what);
	free(x);
}

/* Read and parse the head; the rest of the buffer is the body's start. */
static int read_head(struct img_http *x, struct bh_error **err)
{
	for (;;) {
		int r = img_http_head_parse((const char *)x->in, x->in_len, &x->head, err);

		if (r < 0)
			return bh_error_prefix(err, "%s", x->what);
		if (r > 0) {
			x->in_off = (size_t)r;
			x->left = x->head.length >= 0 ? (uint64_t)x->head.length : 0;
			if (x->head.status == 204 || x->head.status == 304) {
				x->done = true;
			}
			return 0;
		}
		r = fill(x, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: the connection closed before a complete response "
					    "head",
					    x->what);
	}
}

int img_http_from_memory(const void *p, size_t n, struct img_http **out, struct bh_error **err)
{
	struct img_http *x = bh_calloc(1, sizeof(*x));

	x->fd = -1;
	x->what = bh_strdup("response");
	x->in = bh_malloc(n + 1);
	memcpy(x->in, p, n);
	x->in_len = n;
	if (read_head(x, err) < 0) {
		img_http_close(x);
		return -1;
	}
	*out = x;
	return 0;
}

int img_unix_connect(const char *path, struct bh_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return bh_error_set(err, BH_ERR_USAGE, "socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return bh_error_sys(err, errno, "socket");
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			return bh_error_set(err, BH_ERR_NOTFOUND, "not running (%s: %s)", path,
					    strerror(e));
		return bh_error_sys(err, e, "connecting to %s", path);
	}
	return fd;
}

int img_http_get(const char *sock, const char *target, const char *what, int timeout_ms,
		 struct img_http **out, struct bh_error **err)
{
	struct img_http *x;
	char *req;
	int fd;

	*out = NULL;
	for (const char *c = target; *c; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return bh_error_set(err, BH_ERR_USAGE, "%s: a bad character in '%s'", what,
					    target);
	fd = img_unix_connect(sock, err);
	if (fd < 0)
		return bh_error_prefix(err, "%s", what);
	x = bh_calloc(1, sizeof(*x));
	x->fd = fd;
	x->what = bh_strdup(what);
	x->timeout_ms = timeout_ms > 0 ? timeout_ms : IMG_ENGINE_TIMEOUT_MS;
	x->in = bh_malloc(IN_CAP);
	req = bh_asprintf("GET %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bulkhead/%s\r\n"
			  "Accept: */*\r\nConnection: close\r\n\r\n",
			  target, BH_VERSION);
	if (bh_write_all(fd, req, strlen(req), err) < 0) {
		free(req);
		bh_error_prefix(err, "%s: sending the request", what);
		img_http_close(x);
		return -1;
	}
	free(req);
	if (read_head(x, err) < 0) {
		img_http_close(x);
		return -1;
	}
	*out = x;
	return 0;
}
