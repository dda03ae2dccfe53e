/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Go cataloger: executable files read as they stream, never held whole
 * (a 50 MB binary used to cost 50 MB of memory per layer in flight). What is
 * kept, in a window of CHUNK bytes that slides over the file:
 *
 *   the head      the first 16 KiB: ELF and program headers, the Go build ID
 *                 note (files without one are left at once);
 *   the blob      from the build info magic on, found 16-byte aligned in the
 *                 first writable PT_LOAD segment; Go >= 1.18 keeps its
 *                 version and module info inline there, which is all we need;
 *   for Go < 1.18 the build info holds two pointers to string headers (in the
 *                 data segment, after the magic: kept as the stream passes
 *                 them) whose bytes lie in the read-only data before it. Of
 *                 that part only candidates are kept: 48 bytes at each "go1."
 *                 (the version) and each module info, which begins and ends
 *                 with runtime/debug's 16-byte sentinels. The pointers then
 *                 resolve through these regions (inv_go_buildinfo_sparse).
 *
 * Memory is bounded by CHUNK, MAX_KEPT and the blob (MAX_BLOB), whatever the
 * size of the file. A layout the stream cannot resolve (strings after the
 * data segment) is a warning naming the file.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

#define HEAD	     (16u * 1024)
#define CHUNK	     (256u * 1024)
#define TAIL	     64 /* bytes kept from one window to the next: a straddling pattern */
#define VERSION_KEEP 48
#define MAX_CAPS     8192
#define MAX_KEPT     (8u << 20) /* bytes of every region kept, the blob aside */
#define MAX_MODINFO  (16u << 20)
#define MAX_BLOB     (MAX_MODINFO + 1024)
#define BLOB_FIRST   (32 + 10 + 256 + 10) /* the inline header and the version */

static const unsigned char magic[14] = "\xff Go buildinf:";
static const unsigned char info_start[16] = { 0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02,
					      0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6 };
static const unsigned char info_end[16] = { 0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72,
					    0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2 };

typedef ssize_t (*read_fn)(void *ctx, void *buf, size_t n, struct bh_error **err);

/* Bytes kept from file offset `off`: up to `want`, or (a module info) up to
 * its end sentinel. */
struct cap {
	uint64_t off;
	uint64_t want;
	bool modinfo;
	bool open;
	struct bh_buf b;
};

struct gs {
	const char *path;
	read_fn rd;
	void *rctx;
	unsigned char head[HEAD];
	size_t hlen;
	uint64_t doff, dsize; /* the first writable PT_LOAD segment */
	struct bh_buf *win;   /* file bytes [wpos, wpos + win->len) */
	uint64_t wpos;
	uint64_t scanned; /* candidates and the magic searched below this offset */
	bool eof;
	struct cap *caps;
	size_t ncaps;
	size_t kept;
	ssize_t blob; /* index of the blob's capture, -1 before the magic */
	ssize_t hdr[2];
	bool done;
	int result; /* what the parse returned */
};

/* Keep `want` bytes from `off` (a module info: up to its end). Candidates
 * come at increasing offsets; the blob and the string headers may fall on
 * a region already kept, so they ask for `reuse`. */
static struct cap *add_cap(struct gs *g, uint64_t off, uint64_t want, bool modinfo, bool reuse)
{
	struct cap *c;

	for (size_t i = 0; reuse && i < g->ncaps; i++)
		if (g->caps[i].off == off && !g->caps[i].modinfo && g->caps[i].want >= want)
			return &g->caps[i];
	if (g->ncaps >= MAX_CAPS || (!modinfo && want > MAX_BLOB))
		return NULL;
	g->caps = bh_reallocarray(g->caps, g->ncaps + 1, sizeof(*g->caps));
	c = &g->caps[g->ncaps++];
	memset(c, 0, sizeof(*c));
	c->off = off;
	c->want = want;
	c->modinfo = modinfo;
	c->open = true;
	bh_buf_init(&c->b, MAX_BLOB);
	return c;
}

/* Hand the window's bytes to every open capture that wants them. */
static void feed(struct gs *g)
{
	uint64_t wend = g->wpos + g->win->len;

	for (size_t i = 0; i < g->ncaps; i++) {
		struct cap *c = &g->caps[i];
		uint64_t next = c->off + c->b.len, end;
		size_t old = c->b.len;

		if (!c->open)
			continue;
		if (next < g->wpos) { /* passed before it was asked for */
			c->open = false;
			continue;
		}
		end = c->off + c->want < wend ? c->off + c->want : wend;
		if (end <= next)
			goto check;
		if (!(i == (size_t)g->blob) && g->kept + (end - next) > MAX_KEPT) {
			c->open = false;
			continue;
		}
		if (bh_buf_add(&c->b, g->win->data + (next - g->wpos), (size_t)(end - next), NULL) <
		    0) {
			c->open = false;
			continue;
		}
		if (i != (size_t)g->blob)
			g->kept += (size_t)(end - next);
	check:
		if (c->modinfo) {
			size_t from = old > 15 ? old - 15 : 0;
			const char *e = c->b.len >= 16 ? memmem(c->b.data + from, c->b.len - from,
								info_end, sizeof(info_end))
						       : NULL;

			if (e) {
				c->b.len = (size_t)(e - c->b.data) + 16;
				c->open = false;
			}
		}
		if (c->b.len >= c->want)
			c->open = false;
	}
}

/* Search [g->scanned, to) of the window for candidates and the magic. */
static void scan(struct gs *g, uint64_t to)
{
	const unsigned char *w = (const unsigned char *)g->win->data;
	uint64_t from = g->scanned > g->wpos ? g->scanned : g->wpos;
	uint64_t wend = g->wpos + g->win->len;
	uint64_t cend = to < g->doff ? to : g->doff; /* candidates lie before the data */

	if (to <= g->scanned)
		return;
	if (from < cend) {
		/* "go1." at [from, cend): each '1' with "go" before and "." after */
		uint64_t s = from + 2;

		while (s < cend + 2 && s + 1 < wend) {
			const unsigned char *p =
				memchr(w + (s - g->wpos), '1',
				       (size_t)((cend + 2 < wend - 1 ? cend + 2 : wend - 1) - s));

			if (!p)
				break;
			s = g->wpos + (uint64_t)(p - w);
			/* "go1.N": a digit after the dot, when it is in the window */
			if (p[-2] == 'g' && p[-1] == 'o' && p[1] == '.' &&
			    (s + 2 >= wend || bh_isdigit(p[2])))
				add_cap(g, s - 2, VERSION_KEEP, false, false);
			s++;
		}
		/* module infos starting in [from, cend) */
		for (uint64_t o = from; o < cend;) {
			size_t avail = (size_t)(wend - o);
			const unsigned char *p =
				memmem(w + (o - g->wpos), avail, info_start, sizeof(info_start));

			if (!p || g->wpos + (uint64_t)(p - w) >= cend)
				break;
			o = g->wpos + (uint64_t)(p - w);
			add_cap(g, o, MAX_MODINFO, true, false);
			o++;
		}
	}
	/* the magic, 16-byte aligned in the data segment */
	if (g->blob < 0 && g->dsize) {
		uint64_t lo = from > g->doff ? from : g->doff;
		uint64_t hi = to < g->doff + g->dsize ? to : g->doff + g->dsize;

		lo = (lo + 15) & ~15ull;
		for (uint64_t o = lo; o < hi && o + sizeof(magic) <= wend;) {
			const unsigned char *p =
				memmem(w + (o - g->wpos), (size_t)(wend - o), magic, sizeof(magic));
			uint64_t at;

			if (!p)
				break;
			at = g->wpos + (uint64_t)(p - w);
			if (at >= hi)
				break;
			if (!(at & 15)) {
				struct cap *c = add_cap(g, at, BLOB_FIRST, false, false);

				if (c)
					g->blob = c - g->caps;
				break;
			}
			o = at + 1;
		}
	}
	g->scanned = to;
}

static bool uvarint(const unsigned char **p, const unsigned char *end, uint64_t *out)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		unsigned char ch = *(*p)++;

		v |= (uint64_t)(ch & 0x7f) << shift;
		if (!(ch & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

static uint64_t get_uint(const unsigned char *p, int n, bool be)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[be ? n - 1 - i : i] << (8 * i);
	return v;
}

/* Parse with what is held: the blob, the head, every region. */
static void finish(struct gs *g, struct bh_pkglist *out, struct bh_error **warn)
{
	struct inv_go_region *rg = bh_calloc(g->ncaps + 1, sizeof(*rg));
	struct cap *b = &g->caps[g->blob];
	size_t n = 0;

	for (size_t i = 0; i < g->ncaps; i++)
		if (g->caps[i].b.len)
			rg[n++] = (struct inv_go_region){ g->caps[i].off,
							  (const unsigned char *)g->caps[i].b.data,
							  g->caps[i].b.len };
	g->result = inv_go_buildinfo_sparse(g->head, g->hlen, rg, n,
					    (const unsigned char *)(b->b.data ? b->b.data : ""),
					    b->b.len, g->path, out, warn);
	free(rg);
	g->done = true;
}

/* After the magic: what else is needed, or parse. */
static void step(struct gs *g, struct bh_pkglist *out, struct bh_error **warn)
{
	struct cap *b = &g->caps[g->blob];
	const unsigned char *bi = (const unsigned char *)b->b.data;
	int ptrsize;
	bool be;

	if (b->b.len < 32) {
		if (!b->open)
			finish(g, out, warn);
		return;
	}
	if (bi[15] & 2) {
		/* inline: 32 bytes, then uvarint-prefixed version and module info */
		const unsigned char *p = bi + 32, *end = bi + b->b.len;
		uint64_t n1, n2, need;

		if (uvarint(&p, end, &n1) && n1 <= 256 && n1 <= (uint64_t)(end - p)) {
			p += n1;
			if (uvarint(&p, end, &n2) && n2 <= MAX_MODINFO) {
				need = (uint64_t)(p - bi) + n2;
				if (b->want != need) {
					b->want = need;
					b->open = b->b.len < need;
					feed(g); /* the rest of this window */
				}
			}
		}
		if (!b->open)
			finish(g, out, warn);
		return;
	}
	/* the pointer format */
	ptrsize = bi[14];
	be = bi[15] & 1;
	if (ptrsize != 4 && ptrsize != 8) {
		finish(g, out, warn);
		return;
	}
	for (int i = 0; i < 2; i++) {
		uint64_t addr = get_uint(bi + 16 + i * ptrsize, ptrsize, be), off;
		struct cap *c;

		if (g->hdr[i] >= 0)
			continue;
		if (!inv_go_vaddr_offset(g->head, g->hlen, addr, (uint64_t)ptrsize * 2, &off)) {
			finish(g, out, warn);
			return;
		}
		c = add_cap(g, off, (uint64_t)ptrsize * 2, false, true);
		if (!c) {
			finish(g, out, warn);
			return;
		}
		g->hdr[i] = c - g->caps;
		b = &g->caps[g->blob]; /* add_cap may move the array */
		bi = (const unsigned char *)b->b.data;
	}
	feed(g);
	if (!g->caps[g->hdr[0]].open && !g->caps[g->hdr[1]].open)
		finish(g, out, warn);
}

/*
 * Read a Go binary through rd: 1 and its packages in out (a problem with
 * the file in *warn), 0 when it is not a Go binary, -1 when reading fails.
 */
static int go_stream(read_fn rd, void *rctx, const char *path, struct bh_buf *win,
		     struct bh_pkglist *out, struct bh_error **warn, struct bh_error **err)
{
	struct gs *g = bh_calloc(1, sizeof(*g));
	int r = -1;

	g->path = path;
	g->rd = rd;
	g->rctx = rctx;
	g->win = win;
	g->blob = g->hdr[0] = g->hdr[1] = -1;
	/* the head: the ELF magic, headers and (in Go binaries) the build ID note */
	while (g->hlen < HEAD) {
		ssize_t n = rd(rctx, g->head + g->hlen, HEAD - g->hlen, err);

		if (n < 0)
			goto out;
		if (n == 0)
			break;
		g->hlen += (size_t)n;
		if (g->hlen >= 4 && memcmp(g->head,
					   "\x7f"
					   "ELF",
					   4)) {
			r = 0;
			goto out;
		}
	}
	if (g->hlen < 64 || !inv_go_sniff(g->head, g->hlen)) {
		r = 0;
		goto out;
	}
	if (!inv_go_data_range(g->head, g->hlen, &g->doff, &g->dsize))
		g->doff = g->dsize = 0;
	bh_buf_reset(win);
	if (bh_buf_add(win, g->head, g->hlen, err) < 0)
		goto out;
	g->eof = g->hlen < HEAD;
	for (;;) {
		size_t keep;
		ssize_t n;

		if (g->blob < 0)
			scan(g, g->eof || win->len < TAIL ? g->wpos + win->len
							  : g->wpos + win->len - TAIL);
		feed(g);
		if (g->blob >= 0)
			step(g, out, warn);
		if (g->done || g->eof)
			break;
		/* slide: keep the tail, read the next chunk after it */
		keep = win->len < TAIL ? win->len : TAIL;
		memmove(win->data, win->data + win->len - keep, keep);
		g->wpos += win->len - keep;
		win->len = keep;
		if (bh_buf_grow(win, CHUNK, err) < 0)
			goto out;
		n = rd(rctx, win->data + win->len, CHUNK, err);
		if (n < 0)
			goto out;
		if (n == 0)
			g->eof = true;
		win->len += (size_t)n;
	}
	if (!g->done && g->blob >= 0)
		finish(g, out, warn);
	if (!g->done)
		bh_error_set(warn, BH_ERR_NOTFOUND, "%s: no Go build info", path);
	r = 1;
out:
	for (size_t i = 0; i < g->ncaps; i++)
		bh_buf_release(&g->caps[i].b);
	free(g->caps);
	free(g);
	return r;
}

/* ---- the cataloger ------------------------------------------------------------ */

static ssize_t entry_read(void *ctx, void *buf, size_t n, struct bh_error **err)
{
	return bh_entry_read(ctx, buf, n, err);
}

static bool go_match(const struct inv_path *p)
{
	return (p->mode & 0111) && p->size >= 64;
}

static int go_read(const struct inv_input *in, struct bh_entry_reader *r, struct inv_doc *d,
		   struct bh_error **err)
{
	struct bh_buf win = BH_BUF_INIT(CHUNK + HEAD + TAIL);
	struct bh_error *pe = NULL;
	int rc = go_stream(entry_read, r, in->path, &win, &d->pkgs, &pe, err);

	bh_buf_release(&win);

	if (rc == 1 && pe) {
		if (bh_error_code(pe) == BH_ERR_NOTFOUND) {
			bh_debug("%s: a Go binary without build info", in->path);
			bh_error_free(pe);
		} else {
			inv_doc_warn(d, pe);
		}
	} else {
		bh_error_free(pe);
	}
	return rc;
}

const struct inv_cataloger inv_cat_go = {
	.name = "go",
	.match = go_match,
	.read = go_read,
};

/* ---- over a buffer (tests, fuzzing) -------------------------------------------- */

struct memreader {
	const unsigned char *p;
	size_t len, pos, chunk;
};

static ssize_t mem_read(void *ctx, void *buf, size_t n, struct bh_error **err)
{
	struct memreader *m = ctx;

	if (n > m->chunk)
		n = m->chunk;
	if (n > m->len - m->pos)
		n = m->len - m->pos;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

int bh_inventory_parse_go_stream(const unsigned char *buf, size_t len, size_t chunk,
				 const char *path, struct bh_pkglist *out, struct bh_error **err)
{
	struct memreader m = { buf, len, 0, chunk ? chunk : 1 };
	struct bh_buf win = BH_BUF_INIT(CHUNK + HEAD + TAIL);
	struct bh_error *warn = NULL;
	int r = go_stream(mem_read, &m, path, &win, out, &warn, err);

	bh_buf_release(&win);
	if (r < 0)
		return -1;
	if (r == 0)
		return bh_error_set(err, BH_ERR_NOTFOUND, "%s: not a Go binary", path);
	if (warn) {
		if (err && !*err)
			*err = warn;
		else
			bh_error_free(warn);
		return -1;
	}
	return 0;
}
