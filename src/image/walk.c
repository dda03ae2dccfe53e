/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Walking the files of an image's layers. Each layer is one pipeline:
 *
 *   blob bytes -> verify (digest, size) -> decompress -> layer stream
 *   (diff_id, sizes, limits, cancel) -> libarchive tar reader -> visitor
 *
 * Layers are independent, so a pool of workers takes them in turn; the
 * visitor is called on the worker's thread. Memory per layer is the
 * pipeline's buffers, whatever the layer's size.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lazy/archive.h"

#include "engine.h"
#include "banned.h"

#define LAYER_BUF (256 * 1024)

struct walk {
	struct bh_image *img;
	const struct bh_walk_opts *opts;
	bh_entry_fn fn;
	void *data;
	img_layer_served_fn served;
	atomic_uint next;
	atomic_int failed;
	_Atomic uint64_t total_size;
	_Atomic uint64_t total_entries;
	pthread_mutex_t lock;
	struct bh_error *err; /* the first failure */
};

/* The uncompressed stream of one layer: hashes for diff_id, enforces limits. */
struct layer_stream {
	struct bh_stream s;
	struct bh_stream *inner; /* decompressor */
	struct bh_stream *blob;	 /* the verifying blob stream (for its byte count) */
	struct bh_hasher *h;
	struct bh_digest want;
	bool has_want;
	bool compressed;
	uint64_t count;
	bool done;
	struct walk *w;
};

static bool cancelled(const struct walk *w)
{
	return atomic_load(&w->failed) || (w->opts->cancel && *w->opts->cancel);
}

static ssize_t layer_read(struct bh_stream *s, void *buf, size_t n, struct bh_error **err)
{
	struct layer_stream *l = (struct layer_stream *)s;
	const struct bh_image_limits *lim = &l->w->img->limits;
	struct bh_digest got;
	ssize_t r;

	if (l->done)
		return 0;
	if (cancelled(l->w))
		return bh_error_set(err, BH_ERR_USAGE, "cancelled");
	r = bh_stream_read(l->inner, buf, n, err);
	if (r < 0)
		return -1;
	if (r > 0) {
		uint64_t total;

		bh_hasher_update(l->h, buf, (size_t)r);
		l->count += (uint64_t)r;
		total = atomic_fetch_add(&l->w->total_size, (uint64_t)r) + (uint64_t)r;
		if (total > lim->max_total_size)
			return bh_error_set(err, BH_ERR_LIMIT,
					    "the image's uncompressed size exceeds the limit of "
					    "%llu bytes",
					    (unsigned long long)lim->max_total_size);
		if (l->compressed && l->count > lim->ratio_floor) {
			uint64_t in = bh_stream_verify_count(l->blob);

			if (in == 0 || l->count / in >= lim->max_ratio)
				return bh_error_set(err, BH_ERR_LIMIT,
						    "compression ratio exceeds %llu:1 after %llu "
						    "bytes (a decompression bomb?)",
						    (unsigned long long)lim->max_ratio,
						    (unsigned long long)l->count);
		}
		return r;
	}
	l->done = true;
	if (l->has_want) {
		bh_hasher_final(l->h, &got);
		if (strcmp(got.str, l->want.str))
			return bh_error_set(err, BH_ERR_DIGEST,
					    "diff_id mismatch: the uncompressed layer is %s, the "
					    "config says %s",
					    got.str, l->want.str);
	}
	return 0;
}

static void layer_close(struct bh_stream *s)
{
	struct layer_stream *l = (struct layer_stream *)s;

	bh_stream_close(l->inner);
	bh_hasher_free(l->h);
	free(l);
}

struct layer_ctx {
	struct walk *w;
	unsigned index;
	struct bh_stream *top;
	unsigned char *buf;
	struct bh_error *err; /* a pipeline failure seen through libarchive */
};

static la_ssize_t la_read(struct archive *a, void *data, const void **buf)
{
	struct layer_ctx *lc = data;
	ssize_t r = bh_stream_read(lc->top, lc->buf, LAYER_BUF, &lc->err);

	if (r < 0) {
		archive_set_error(a, EIO, "layer stream failed");
		return -1;
	}
	*buf = lc->buf;
	return r;
}

/* An error from libarchive, or the pipeline's own when it caused it. */
static int archive_fail(struct layer_ctx *lc, struct archive *a, const char *doing,
			struct bh_error **err)
{
	if (lc->err) {
		*err = lc->err;
		lc->err = NULL;
		return -1;
	}
	return bh_error_set(err, BH_ERR_INVALID, "tar: %s: %s", doing,
			    archive_error_string(a) ? archive_error_string(a) : "unknown error");
}

ssize_t bh_entry_read(struct bh_entry_reader *r, void *buf, size_t n, struct bh_error **err)
{
	la_ssize_t got;

	if (r->a) {
		got = archive_read_data(r->a, buf, n);
		if (got < 0)
			return archive_fail(r->lc, r->a, "reading file content", err);
		r->done += (uint64_t)got;
		if (got > 0 && r->tee && r->tee(buf, (size_t)got, r->tee_data, err) < 0)
			return -1;
		return got;
	}
	if (r->fd < 0) {
		r->fd = openat(r->dirfd, r->name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		if (r->fd < 0)
			return bh_error_sys(err, errno, "opening %s", r->name);
	}
	do
		got = read(r->fd, buf, n);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return bh_error_sys(err, errno, "reading %s", r->name);
	r->done += (uint64_t)got;
	if (got > 0 && r->tee && r->tee(buf, (size_t)got, r->tee_data, err) < 0)
		return -1;
	return got;
}

int bh_entry_read_all(struct bh_entry_reader *r, struct bh_buf *b, struct bh_error **err)
{
	size_t max = b->max < r->max_file_read ? b->max : r->max_file_read;
	char tmp[65536];

	if (r->size > max)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "a %llu-byte file exceeds the read limit of %zu bytes",
				    (unsigned long long)r->size, max);
	for (;;) {
		ssize_t n = bh_entry_read(r, tmp, sizeof(tmp), err);

		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (b->len + (size_t)n > max)
			return bh_error_set(err, BH_ERR_LIMIT,
					    "file content exceeds the read limit of %zu bytes",
					    max);
		if (bh_buf_add(b, tmp, (size_t)n, err) < 0)
			return -1;
	}
}

/* Fill e from a libarchive entry; name and link land in the given buffers. */
static int convert(struct archive_entry *ae, unsigned layer, const struct bh_image_limits *lim,
		   struct bh_buf *path, struct bh_buf *link, struct bh_xattr **xattrs, size_t *xcap,
		   struct bh_entry *e, bool *skip, struct bh_error **err)
{
	const char *name = archive_entry_pathname(ae), *base, *hl, *sl;
	const char *xname;
	const void *xval;
	size_t xsize;

	*skip = false;
	memset(e, 0, sizeof(*e));
	if (!name)
		return bh_error_set(err, BH_ERR_INVALID, "a member has no name");
	if (name[0] == '/')
		return bh_error_set(err, BH_ERR_UNSAFE, "member '%.200s' is an absolute path",
				    name);
	if (bh_path_clean(name, false, lim->max_path, path, err) < 0)
		return bh_error_prefix(err, "member '%.200s'", name);
	e->layer = layer;
	e->mode = archive_entry_perm(ae) & 07777;
	e->uid = (uint32_t)archive_entry_uid(ae);
	e->gid = (uint32_t)archive_entry_gid(ae);
	e->mtime = archive_entry_mtime(ae);
	e->size = archive_entry_size_is_set(ae) ? (uint64_t)archive_entry_size(ae) : 0;

	base = strrchr(path->data, '/');
	base = base ? base + 1 : path->data;
	if (bh_str_has_prefix(base, ".wh.")) {
		size_t dirlen = (size_t)(base - path->data);

		if (!strcmp(base, ".wh..wh..opq")) {
			e->type = BH_FT_OPAQUE;
			path->len = dirlen ? dirlen - 1 : 0;
		} else if (bh_str_has_prefix(base, ".wh..wh.")) {
			*skip = true; /* aufs metadata (.wh..wh.plnk etc.) */
			return 0;
		} else {
			e->type = BH_FT_WHITEOUT;
			memmove(path->data + dirlen, base + 4, strlen(base + 4) + 1);
			path->len = strlen(path->data);
			if (!path->data[dirlen])
				return bh_error_set(err, BH_ERR_INVALID,
						    "whiteout '%.200s' names nothing", name);
		}
		path->data[path->len] = 0;
		e->path = path->data;
		e->size = 0;
		return 0;
	}
	e->path = path->data;
	hl = archive_entry_hardlink(ae);
	if (hl) {
		if (hl[0] == '/')
			return bh_error_set(err, BH_ERR_UNSAFE,
					    "member '%.200s' is a hard link to the absolute path "
					    "'%.200s'",
					    name, hl);
		if (bh_path_clean(hl, false, lim->max_path, link, err) < 0)
			return bh_error_prefix(err, "hard link '%.200s'", name);
		e->type = BH_FT_HARDLINK;
		e->link = link->data;
		e->size = 0;
		return 0;
	}
	switch (archive_entry_filetype(ae)) {
	case AE_IFREG: e->type = BH_FT_REG; break;
	case AE_IFDIR: e->type = BH_FT_DIR; break;
	case AE_IFLNK:
		e->type = BH_FT_SYMLINK;
		sl = archive_entry_symlink(ae);
		if (!sl)
			return bh_error_set(err, BH_ERR_INVALID, "symlink '%.200s' has no target",
					    name);
		if (strlen(sl) > lim->max_path)
			return bh_error_set(err, BH_ERR_LIMIT,
					    "symlink '%.200s': target exceeds %zu bytes", name,
					    lim->max_path);
		bh_buf_reset(link);
		if (bh_buf_adds(link, sl, err) < 0)
			return -1;
		e->link = link->data;
		e->size = 0;
		break;
	case AE_IFCHR: e->type = BH_FT_CHAR; break;
	case AE_IFBLK: e->type = BH_FT_BLOCK; break;
	case AE_IFIFO: e->type = BH_FT_FIFO; break;
	default: *skip = true; return 0; /* sockets and the like */
	}
	if (e->type == BH_FT_CHAR || e->type == BH_FT_BLOCK) {
		e->devmajor = (uint32_t)archive_entry_rdevmajor(ae);
		e->devminor = (uint32_t)archive_entry_rdevminor(ae);
	}
	if (e->type != BH_FT_REG)
		e->size = 0;
	if (archive_entry_xattr_reset(ae) > 0) {
		size_t n = 0;

		while (archive_entry_xattr_next(ae, &xname, &xval, &xsize) == ARCHIVE_OK) {
			if (n == *xcap) {
				*xcap = *xcap ? *xcap * 2 : 4;
				*xattrs = bh_reallocarray(*xattrs, *xcap, sizeof(**xattrs));
			}
			(*xattrs)[n].name = xname;
			(*xattrs)[n].value = xval;
			(*xattrs)[n].size = xsize;
			n++;
		}
		e->xattrs = *xattrs;
		e->nxattrs = n;
	}
	return 0;
}

/* A layer's bytes handed to the walk by a sequential source (seq.c). */
struct given {
	struct bh_stream *raw; /* not owned: the source closes it */
	int64_t size;
	enum bh_compression c;
};

static int open_layer_stream(struct walk *w, unsigned i, const struct given *g,
			     struct layer_ctx *lc, struct bh_error **err)
{
	struct bh_image *img = w->img;
	struct bh_layer *L = &img->layers[i];
	struct bh_stream *raw = NULL, *ver = NULL, *dec = NULL;
	struct layer_stream *ls;
	enum bh_compression comp = L->compression;
	int64_t size = -1;
	char what[BH_DIGEST_MAX + 16];

	if (L->digest.str[0])
		snprintf(what, sizeof(what), "blob %s", L->digest.str);
	else if (L->file)
		snprintf(what, sizeof(what), "%s", L->file);
	else
		snprintf(what, sizeof(what), "the tar of %s", L->diff_id.str);
	if (g) {
		/* borrowed: closing the pipeline leaves it to the source */
		raw = img_stream_borrow(g->raw);
		size = g->size;
		comp = g->c;
	} else if (img->src->open(img->src,
				  L->file	     ? NULL
				  : L->digest.str[0] ? &L->digest
						     : &L->diff_id,
				  L->file, &raw, &size, err) < 0) {
		return -1;
	}
	if (L->size >= 0 && size >= 0 && size != L->size) {
		bh_stream_close(raw);
		return bh_error_set(err, BH_ERR_DIGEST,
				    "%s: size mismatch: the blob has %lld bytes, its descriptor "
				    "declares %lld",
				    what, (long long)size, (long long)L->size);
	}
	if (bh_stream_verify(raw, &L->digest, L->size, what, &ver, err) < 0)
		return -1;
	if (bh_stream_decompress(ver, comp, &dec, err) < 0)
		return -1;
	ls = bh_calloc(1, sizeof(*ls));
	ls->s.read = layer_read;
	ls->s.close = layer_close;
	ls->inner = dec;
	ls->blob = ver;
	ls->w = w;
	ls->compressed = comp != BH_COMP_NONE;
	if (L->diff_id.str[0]) {
		ls->want = L->diff_id;
		ls->has_want = true;
	}
	if (bh_hasher_new(ls->has_want ? L->diff_id.algo : BH_HASH_SHA256, &ls->h, err) < 0) {
		layer_close(&ls->s);
		return -1;
	}
	lc->top = &ls->s;
	return 0;
}

/*
 * A layer that failed to decompress or to parse may simply not be the blob
 * its digest names (a tampered registry, a corrupt download): the digest is
 * checked only at the end of the blob, so read the rest of it, and if it
 * does not match, say that, which is the cause, rather than what the
 * decompressor or the tar reader made of the wrong bytes. The rest is
 * bounded by the blob's declared size.
 */
static void blame_the_blob(struct layer_ctx *lc, struct bh_error **err)
{
	struct layer_stream *ls = (struct layer_stream *)lc->top;
	struct bh_error *e = NULL;
	enum bh_errcode code = bh_error_code(err ? *err : NULL);
	unsigned char *buf;

	if (!err || !*err || code == BH_ERR_DIGEST || code == BH_ERR_USAGE || !ls->blob ||
	    cancelled(lc->w))
		return;
	buf = bh_malloc(LAYER_BUF);
	for (;;) {
		ssize_t n = bh_stream_read(ls->blob, buf, LAYER_BUF, &e);

		if (n <= 0)
			break;
	}
	free(buf);
	if (bh_error_code(e) == BH_ERR_DIGEST) {
		char *was = bh_error_message(*err), *why = bh_error_message(e);

		bh_error_clear(err);
		bh_error_set(err, BH_ERR_DIGEST, "%s (read as it came, it failed: %.300s)", why,
			     was);
		free(was);
		free(why);
	}
	bh_error_free(e);
}

static int walk_layer(struct walk *w, unsigned i, const struct given *g, struct bh_error **err)
{
	struct bh_image *img = w->img;
	struct layer_ctx lc = { .w = w, .index = i };
	struct bh_buf path = BH_BUF_INIT(img->limits.max_path + 1);
	struct bh_buf link = BH_BUF_INIT(img->limits.max_path + 1);
	struct bh_xattr *xattrs = NULL;
	size_t xcap = 0;
	struct archive *a = NULL;
	struct archive_entry *ae;
	uint64_t entries = 0;
	int r = -1, rc;

	if (open_layer_stream(w, i, g, &lc, err) < 0)
		goto out;
	lc.buf = bh_malloc(LAYER_BUF);
	a = archive_read_new();
	archive_read_support_format_tar(a);
	archive_read_support_format_empty(a);
	if (archive_read_open(a, &lc, NULL, la_read, NULL) != ARCHIVE_OK) {
		archive_fail(&lc, a, "opening", err);
		goto out;
	}
	while ((rc = archive_read_next_header(a, &ae)) != ARCHIVE_EOF) {
		struct bh_entry e;
		struct bh_entry_reader rd = { .a = a, .lc = &lc, .fd = -1 };
		bool skip;

		if (rc < ARCHIVE_WARN) {
			archive_fail(&lc, a, "reading a header", err);
			goto out;
		}
		if (atomic_fetch_add(&w->total_entries, 1) + 1 > img->limits.max_entries) {
			bh_error_set(err, BH_ERR_LIMIT, "the image has more than %llu entries",
				     (unsigned long long)img->limits.max_entries);
			goto out;
		}
		entries++;
		if (convert(ae, i, &img->limits, &path, &link, &xattrs, &xcap, &e, &skip, err) < 0)
			goto out;
		if (skip)
			continue;
		rd.size = e.size;
		rd.max_file_read = img->limits.max_file_read;
		if (w->fn(&e, &rd, w->data, err) < 0) {
			bh_error_prefix(err, "'%.200s'", e.path);
			goto out;
		}
	}
	/* Hash the rest of the stream (end-of-archive padding) for diff_id. */
	for (;;) {
		ssize_t n = bh_stream_read(lc.top, lc.buf, LAYER_BUF, err);

		if (n < 0)
			goto out;
		if (n == 0)
			break;
	}
	img->layers[i].usize = ((struct layer_stream *)lc.top)->count;
	img->layers[i].entries = entries;
	img->layers[i].read = true;
	r = 0;
out:
	if (r < 0 && lc.top)
		blame_the_blob(&lc, err);
	if (a)
		archive_read_free(a);
	bh_stream_close(lc.top);
	bh_error_free(lc.err);
	free(lc.buf);
	free(xattrs);
	bh_buf_release(&path);
	bh_buf_release(&link);
	return r;
}

static void record_failure(struct walk *w, struct bh_error *e)
{
	pthread_mutex_lock(&w->lock);
	/* Keep the first real failure, not a "cancelled" that followed it. */
	if (!w->err)
		w->err = e;
	else
		bh_error_free(e);
	pthread_mutex_unlock(&w->lock);
	atomic_store(&w->failed, 1);
}

/* A layer served without reading it (the layer cache): count it against
 * the limits the read would have checked. */
static int served_layer(struct walk *w, unsigned i, uint64_t usize, uint64_t entries,
			struct bh_error **err)
{
	const struct bh_image_limits *lim = &w->img->limits;
	struct bh_layer *L = &w->img->layers[i];

	if (atomic_fetch_add(&w->total_size, usize) + usize > lim->max_total_size)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "the image's uncompressed size exceeds the limit of %llu bytes",
				    (unsigned long long)lim->max_total_size);
	if (atomic_fetch_add(&w->total_entries, entries) + entries > lim->max_entries)
		return bh_error_set(err, BH_ERR_LIMIT, "the image has more than %llu entries",
				    (unsigned long long)lim->max_entries);
	L->usize = usize;
	L->entries = entries;
	L->read = true;
	L->cached = true;
	return 0;
}

static int run_layer(struct walk *w, unsigned i, const struct given *g)
{
	struct bh_error *e = NULL;
	struct bh_layer *L = &w->img->layers[i];
	uint64_t usize = 0, entries = 0;
	int r = 0, k = 0;

	L->cached = false;
	if (w->served) {
		k = w->served(i, w->data, &usize, &entries, &e);
		if (k > 0 && served_layer(w, i, usize, entries, &e) < 0)
			k = -1;
		if (k > 0)
			return 0;
		if (k < 0)
			r = -1;
	}
	if (r == 0 && w->opts->layer_begin && w->opts->layer_begin(i, true, w->data, &e) < 0)
		r = -1;
	if (r == 0 && walk_layer(w, i, g, &e) < 0)
		r = -1;
	if (k == 0 && w->opts->layer_end &&
	    w->opts->layer_end(i, r == 0, w->data, r == 0 ? &e : NULL) < 0)
		r = -1;
	if (r < 0) {
		if (bh_error_code(e) == BH_ERR_USAGE && atomic_load(&w->failed)) {
			bh_error_free(e); /* cancelled because another layer failed */
			return -1;
		}
		if (L->digest.str[0])
			bh_error_prefix(&e, "layer %u (%.19s…)", i + 1, L->digest.str);
		else
			bh_error_prefix(&e, "layer %u", i + 1);
		record_failure(w, e);
	}
	return r;
}

static void *worker(void *arg)
{
	struct walk *w = arg;

	for (;;) {
		unsigned i = atomic_fetch_add(&w->next, 1);

		if (i >= w->img->nlayers || cancelled(w))
			break;
		if (w->opts->layer_mask && !w->opts->layer_mask[i])
			continue;
		run_layer(w, i, NULL);
	}
	return NULL;
}

/* ---- a sequential source: layers in the order its stream has them ---------- */

static int seq_deliver(void *data, size_t i, struct bh_stream *raw, uint64_t size,
		       enum bh_compression c, struct bh_error **err)
{
	struct walk *w = data;
	struct given g = { raw, (int64_t)size, c };

	if (run_layer(w, (unsigned)i, &g) < 0)
		return bh_error_set(err, BH_ERR_USAGE, "cancelled"); /* w->err says why */
	return 0;
}

/*
 * The stream is one: its layers come one after the other, on this thread,
 * in the stream's order (any order suits the consumers, which keep state
 * per layer), or in layer order when threads is 1 (seq.c keeps a layer that
 * comes early, within its budget, or reads the stream again).
 */
static int walk_seq(struct walk *w, struct bh_error **err)
{
	struct bh_image *img = w->img;
	const struct bh_digest **ds = bh_calloc(img->nlayers + 1, sizeof(*ds));
	bool *done = bh_calloc(img->nlayers + 1, sizeof(*done));
	struct img_seq_want want = { .digests = ds,
				     .n = img->nlayers,
				     .done = done,
				     .in_order = w->opts->threads == 1,
				     .deliver = seq_deliver,
				     .data = w,
				     .cancel = w->opts->cancel };
	struct bh_error *e = NULL;
	int r;

	for (size_t i = 0; i < img->nlayers; i++) {
		ds[i] = &img->layers[i].diff_id;
		done[i] = w->opts->layer_mask && !w->opts->layer_mask[i];
	}
	r = img_seq_run(img, img->src->seq, &want, &e);
	free(ds);
	free(done);
	if (w->err) {
		bh_error_free(e);
		if (err && !*err)
			*err = w->err;
		else
			bh_error_free(w->err);
		return -1;
	}
	if (r < 0) {
		if (err && !*err)
			*err = e;
		else
			bh_error_free(e);
		return -1;
	}
	return 0;
}

int bh_image_walk(struct bh_image *img, const struct bh_walk_opts *opts, bh_entry_fn fn, void *data,
		  struct bh_error **err)
{
	return img_walk(img, opts, fn, data, NULL, err);
}

int img_walk(struct bh_image *img, const struct bh_walk_opts *opts, bh_entry_fn fn, void *data,
	     img_layer_served_fn served, struct bh_error **err)
{
	static const struct bh_walk_opts noopts;
	struct walk w = {
		.img = img, .opts = opts ? opts : &noopts, .fn = fn, .data = data, .served = served
	};
	unsigned threads = w.opts->threads;
	pthread_t *tids;
	unsigned started = 0;

	if (img->kind == BH_IMAGE_ROOTFS) {
		int r;

		if (w.opts->layer_mask && !w.opts->layer_mask[0])
			return 0;
		if (w.opts->layer_begin && w.opts->layer_begin(0, true, data, err) < 0)
			return -1;
		r = bh_walk_rootfs(img, fn, data, w.opts->cancel, err);
		if (w.opts->layer_end &&
		    w.opts->layer_end(0, r == 0, data, r == 0 ? err : NULL) < 0)
			r = -1;
		return r;
	}
	if (img->src->seq) {
		int r;

		pthread_mutex_init(&w.lock, NULL);
		r = walk_seq(&w, err);
		pthread_mutex_destroy(&w.lock);
		return r;
	}
	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		threads = n > 0 ? (unsigned)n : 1;
	}
	if (threads > img->nlayers)
		threads = (unsigned)img->nlayers;
	pthread_mutex_init(&w.lock, NULL);
	if (threads <= 1) {
		worker(&w);
	} else {
		tids = bh_calloc(threads, sizeof(*tids));
		for (unsigned t = 0; t < threads; t++) {
			if (pthread_create(&tids[t], NULL, worker, &w) != 0)
				break;
			started++;
		}
		if (started == 0)
			worker(&w);
		for (unsigned t = 0; t < started; t++)
			pthread_join(tids[t], NULL);
		free(tids);
	}
	pthread_mutex_destroy(&w.lock);
	if (w.err) {
		if (err && !*err)
			*err = w.err;
		else
			bh_error_free(w.err);
		return -1;
	}
	if (atomic_load(&w.failed) || (w.opts->cancel && *w.opts->cancel))
		return bh_error_set(err, BH_ERR_USAGE, "cancelled");
	return 0;
}
