/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Byte streams for blobs: a file range, a verifying stream (digest and size
 * checked as the bytes pass), and decompression (gzip with isa-l, zstd).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lazy/isal.h"
#include "lazy/zstd.h"

#include "internal.h"
#include "banned.h"

#define IN_BUF (256 * 1024)

/* ---- file range -------------------------------------------------------- */

struct range_stream {
	struct bh_stream s;
	int fd;
	off_t off;
	uint64_t left;
};

static ssize_t range_read(struct bh_stream *s, void *buf, size_t n, struct bh_error **err)
{
	struct range_stream *r = (struct range_stream *)s;
	ssize_t got;

	if (r->left == 0)
		return 0;
	if (n > r->left)
		n = (size_t)r->left;
	do
		got = pread(r->fd, buf, n, r->off);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return bh_error_sys(err, errno, "read");
	if (got == 0)
		return bh_error_set(err, BH_ERR_INVALID,
				    "unexpected end of file: %llu bytes missing (truncated?)",
				    (unsigned long long)r->left);
	r->off += got;
	r->left -= (uint64_t)got;
	return got;
}

static void range_close(struct bh_stream *s)
{
	struct range_stream *r = (struct range_stream *)s;

	close(r->fd);
	free(r);
}

int bh_stream_file_range(int fd, off_t offset, uint64_t length, struct bh_stream **out,
			 struct bh_error **err)
{
	struct range_stream *r;
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	if (dfd < 0)
		return bh_error_sys(err, errno, "dup");
	r = bh_calloc(1, sizeof(*r));
	r->s.read = range_read;
	r->s.close = range_close;
	r->fd = dfd;
	r->off = offset;
	r->left = length;
	*out = &r->s;
	return 0;
}

/* ---- bytes in memory ------------------------------------------------------ */

struct bytes_stream {
	struct bh_stream s;
	const char *p;
	size_t n, off;
	bool owned; /* p is freed on close */
};

static ssize_t bytes_read(struct bh_stream *s, void *buf, size_t n, struct bh_error **err)
{
	struct bytes_stream *b = (struct bytes_stream *)s;

	if (n > b->n - b->off)
		n = b->n - b->off;
	memcpy(buf, b->p + b->off, n);
	b->off += n;
	return (ssize_t)n;
}

static void bytes_close(struct bh_stream *s)
{
	struct bytes_stream *b = (struct bytes_stream *)s;

	if (b->owned)
		free((char *)b->p);
	free(b);
}

struct bh_stream *img_stream_bytes_borrowed(const char *p, size_t n)
{
	struct bytes_stream *b = bh_calloc(1, sizeof(*b));

	b->s.read = bytes_read;
	b->s.close = bytes_close;
	b->p = p;
	b->n = n;
	return &b->s;
}

struct bh_stream *img_stream_bytes(char *p, size_t n)
{
	struct bh_stream *s = img_stream_bytes_borrowed(p, n);

	((struct bytes_stream *)s)->owned = true;
	return s;
}

/* ---- a borrowed stream -------------------------------------------------------- */

struct borrowed_stream {
	struct bh_stream s;
	struct bh_stream *inner;
};

static ssize_t borrowed_read(struct bh_stream *s, void *buf, size_t n, struct bh_error **err)
{
	return bh_stream_read(((struct borrowed_stream *)s)->inner, buf, n, err);
}

static void borrowed_close(struct bh_stream *s)
{
	free(s);
}

struct bh_stream *img_stream_borrow(struct bh_stream *inner)
{
	struct borrowed_stream *b = bh_calloc(1, sizeof(*b));

	b->s.read = borrowed_read;
	b->s.close = borrowed_close;
	b->inner = inner;
	return &b->s;
}

/* ---- verification ------------------------------------------------------ */

struct verify_stream {
	struct bh_stream s;
	struct bh_stream *inner;
	struct bh_hasher *h;
	struct bh_digest want;
	bool has_digest;
	int64_t size;
	uint64_t count;
	char *what;
	bool done;
};

static ssize_t verify_read(struct bh_stream *s, void *buf, size_t n, struct bh_error **err)
{
	struct verify_stream *v = (struct verify_stream *)s;
	struct bh_digest got;
	ssize_t r;

	if (v->done)
		return 0;
	r = bh_stream_read(v->inner, buf, n, err);
	if (r < 0)
		return bh_error_prefix(err, "%s", v->what);
	if (r > 0) {
		bh_hasher_update(v->h, buf, (size_t)r);
		v->count += (uint64_t)r;
		if (v->size >= 0 && v->count > (uint64_t)v->size)
			return bh_error_set(err, BH_ERR_DIGEST,
					    "%s: size mismatch: more than the %lld bytes its "
					    "descriptor declares",
					    v->what, (long long)v->size);
		return r;
	}
	v->done = true;
	if (v->size >= 0 && v->count != (uint64_t)v->size)
		return bh_error_set(err, BH_ERR_DIGEST,
				    "%s: size mismatch: %llu bytes, its descriptor declares %lld",
				    v->what, (unsigned long long)v->count, (long long)v->size);
	if (v->has_digest) {
		bh_hasher_final(v->h, &got);
		if (strcmp(got.str, v->want.str) != 0)
			return bh_error_set(err, BH_ERR_DIGEST,
					    "%s: digest mismatch: content is %s", v->what, got.str);
	}
	return 0;
}

static void verify_close(struct bh_stream *s)
{
	struct verify_stream *v = (struct verify_stream *)s;

	bh_stream_close(v->inner);
	bh_hasher_free(v->h);
	free(v->what);
	free(v);
}

int bh_stream_verify(struct bh_stream *inner, const struct bh_digest *digest, int64_t expected_size,
		     const char *what, struct bh_stream **out, struct bh_error **err)
{
	struct verify_stream *v = bh_calloc(1, sizeof(*v));

	v->s.read = verify_read;
	v->s.close = verify_close;
	v->inner = inner;
	v->size = expected_size;
	v->what = bh_strdup(what);
	if (digest && digest->str[0]) {
		v->want = *digest;
		v->has_digest = true;
	}
	if (bh_hasher_new(v->has_digest ? digest->algo : BH_HASH_SHA256, &v->h, err) < 0) {
		verify_close(&v->s);
		return -1;
	}
	*out = &v->s;
	return 0;
}

uint64_t bh_stream_verify_count(struct bh_stream *s)
{
	return ((struct verify_stream *)s)->count;
}

/* ---- gzip (isa-l) ------------------------------------------------------ */

struct gzip_stream {
	struct bh_stream s;
	struct bh_stream *inner;
	struct inflate_state st;
	unsigned char *in;
	bool inner_eof;
	bool member_done; /* the current gzip member ended */
	bool eof;
};

static int gz_refill(struct gzip_stream *g, struct bh_error **err)
{
	ssize_t r;

	if (g->inner_eof || g->st.avail_in > 0)
		return 0;
	r = bh_stream_read(g->inner, g->in, IN_BUF, err);
	if (r < 0)
		return -1;
	if (r == 0)
		g->inner_eof = true;
	g->st.next_in = g->in;
	g->st.avail_in = (uint32_t)r;
	return 0;
}

static const char *isal_error(int rc)
{
	switch (rc) {
	case ISAL_INVALID_BLOCK: return "invalid deflate block";
	case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
	case ISAL_INVALID_LOOKBACK: return "invalid lookback distance";
	case ISAL_INVALID_WRAPPER: return "not a gzip stream (bad header)";
	case ISAL_INCORRECT_CHECKSUM: return "CRC mismatch (corrupt data)";
	case ISAL_UNSUPPORTED_METHOD: return "unsupported compression method";
	default: return "corrupt stream";
	}
}

/* After a member: another member, zero padding, or an error. */
static int gz_next_member(struct gzip_stream *g, struct bh_error **err)
{
	for (;;) {
		if (gz_refill(g, err) < 0)
			return -1;
		if (g->st.avail_in == 0) {
			g->eof = true;
			return 0;
		}
		if (g->st.next_in[0] == 0) {
			/* Trailing zero padding is tolerated, as gzip(1) does. */
			while (g->st.avail_in && g->st.next_in[0] == 0) {
				g->st.next_in++;
				g->st.avail_in--;
			}
			continue;
		}
		if (g->st.next_in[0] == 0x1f) {
			uint8_t *next_in = g->st.next_in;
			uint32_t avail_in = g->st.avail_in;

			isal_inflate_reset(&g->st);
			g->st.crc_flag = ISAL_GZIP;
			g->st.next_in = next_in;
			g->st.avail_in = avail_in;
			g->member_done = false;
			return 0;
		}
		return bh_error_set(err, BH_ERR_INVALID, "gzip: trailing garbage after the stream");
	}
}

static ssize_t gz_read(struct bh_stream *s, void *buf, size_t n, struct bh_error **err)
{
	struct gzip_stream *g = (struct gzip_stream *)s;

	if (n > UINT32_MAX)
		n = UINT32_MAX;
	for (;;) {
		size_t produced;
		int rc;

		if (g->eof)
			return 0;
		if (g->member_done) {
			if (gz_next_member(g, err) < 0)
				return -1;
			continue;
		}
		if (gz_refill(g, err) < 0)
			return -1;
		g->st.next_out = buf;
		g->st.avail_out = (uint32_t)n;
		rc = isal_inflate(&g->st);
		if (rc < 0)
			return bh_error_set(err, BH_ERR_INVALID, "gzip: %s", isal_error(rc));
		produced = n - g->st.avail_out;
		if (g->st.block_state == ISAL_BLOCK_FINISH)
			g->member_done = true;
		if (produced)
			return (ssize_t)produced;
		if (!g->member_done && g->inner_eof && g->st.avail_in == 0)
			return bh_error_set(err, BH_ERR_INVALID,
					    "gzip: unexpected end of stream (truncated)");
	}
}

static void gz_close(struct bh_stream *s)
{
	struct gzip_stream *g = (struct gzip_stream *)s;

	bh_stream_close(g->inner);
	free(g->in);
	free(g);
}

/* ---- zstd -------------------------------------------------------------- */

struct zstd_stream {
	struct bh_stream s;
	struct bh_stream *inner;
	ZSTD_DCtx *dctx;
	unsigned char *in;
	ZSTD_inBuffer ib;
	bool inner_eof;
	bool frame_done;
	bool started;
};

static ssize_t zs_read(struct bh_stream *s, void *buf, size_t n, struct bh_error **err)
{
	struct zstd_stream *z = (struct zstd_stream *)s;

	for (;;) {
		ZSTD_outBuffer ob = { buf, n, 0 };
		size_t rc;

		if (z->ib.pos == z->ib.size && !z->inner_eof) {
			ssize_t r = bh_stream_read(z->inner, z->in, IN_BUF, err);

			if (r < 0)
				return -1;
			if (r == 0)
				z->inner_eof = true;
			z->ib.src = z->in;
			z->ib.size = (size_t)r;
			z->ib.pos = 0;
		}
		if (z->ib.pos == z->ib.size && z->inner_eof) {
			if (!z->started)
				return bh_error_set(err, BH_ERR_INVALID, "zstd: empty stream");
			if (!z->frame_done)
				return bh_error_set(err, BH_ERR_INVALID,
						    "zstd: unexpected end of stream (truncated)");
			return 0;
		}
		z->started = true;
		rc = ZSTD_decompressStream(z->dctx, &ob, &z->ib);
		if (ZSTD_isError(rc))
			return bh_error_set(err, BH_ERR_INVALID, "zstd: %s", ZSTD_getErrorName(rc));
		z->frame_done = rc == 0;
		if (ob.pos)
			return (ssize_t)ob.pos;
	}
}

static void zs_close(struct bh_stream *s)
{
	struct zstd_stream *z = (struct zstd_stream *)s;

	bh_stream_close(z->inner);
	ZSTD_freeDCtx(z->dctx);
	free(z->in);
	free(z);
}

int bh_stream_decompress(struct bh_stream *inner, enum bh_compression c, struct bh_stream **out,
			 struct bh_error **err)
{
	if (c == BH_COMP_NONE) {
		*out = inner;
		return 0;
	}
	if (c == BH_COMP_GZIP) {
		struct gzip_stream *g = bh_calloc(1, sizeof(*g));

		g->s.read = gz_read;
		g->s.close = gz_close;
		g->inner = inner;
		g->in = bh_malloc(IN_BUF);
		isal_inflate_init(&g->st);
		g->st.crc_flag = ISAL_GZIP;
		*out = &g->s;
		return 0;
	}
	if (c == BH_COMP_ZSTD) {
		struct zstd_stream *z = bh_calloc(1, sizeof(*z));

		z->s.read = zs_read;
		z->s.close = zs_close;
		z->inner = inner;
		z->in = bh_malloc(IN_BUF);
		z->dctx = ZSTD_createDCtx();
		if (!z->dctx) {
			zs_close(&z->s);
			return bh_error_set(err, BH_ERR_NOMEM, "zstd: cannot create a context");
		}
		/* Bound the window (and so the memory) a frame may ask for: 128 MiB. */
		ZSTD_DCtx_setParameter(z->dctx, ZSTD_d_windowLogMax, 27);
		*out = &z->s;
		return 0;
	}
	bh_stream_close(inner);
	return bh_error_set(err, BH_ERR_UNSUPPORTED, "unknown compression");
}

int bh_stream_read_all(struct bh_stream *s, struct bh_buf *b, const char *what,
		       struct bh_error **err)
{
	char tmp[65536];

	for (;;) {
		ssize_t r = bh_stream_read(s, tmp, sizeof(tmp), err);

		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		if (bh_buf_add(b, tmp, (size_t)r, NULL) < 0)
			return bh_error_set(err, BH_ERR_LIMIT,
					    "%s is larger than the limit of %zu bytes", what,
					    b->max);
	}
}

enum bh_compression bh_sniff_compression(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return BH_COMP_GZIP;
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return BH_COMP_ZSTD;
	return BH_COMP_NONE;
}
