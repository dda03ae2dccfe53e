/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The layer cache inside a shared walk (see "the layer cache" in
 * include/bulkhead/image.h for what is kept, the keys and why a hit is as
 * trustworthy as a read). This file:
 *
 *   keys      one per (layer, part): SHA-256 of the format, BH_VERSION, the
 *             build id of the sources, the cache's salt, the read limits,
 *             the part's name and config, the diff_id
 *   blobs     where the manifest names the layer's blob, one more (empty)
 *             part keyed by the blob digest and the diff_id, stored when a
 *             read found that blob to decompress to that diff_id: a hit
 *             needs it, so a config that claims a diff_id read before for
 *             a blob never read misses and its read fails
 *   parts     "BHLC", format, flags, the key, SHA-256(key, payload), payload:
 *             what a row holds; anything else is a miss
 *   entries   the "walk" part: a layer's entries as the walk made them
 *             (paths front-coded), replayed to the consumers on a hit
 *   serve     every part there and readable -> load each consumer's state,
 *             replay the entries, layer_end; else the layer is read
 *   record    a layer read in full leaves its entries and, after layer_end,
 *             each consumer's saved state; handed to `put` after the walk
 *
 * The decoder is a parser of bytes from a file: every count, length and
 * value is bounded, and each entry must be one the walk could have made.
 */
#include <langinfo.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/version.h"
#include "buildid.h"
#include "internal.h"
#include "banned.h"

#define FORMAT	    1
#define MAGIC	    "BHLC"
#define HEAD	    (4 + 1 + 1 + 32 + 32) /* magic, format, flags, key, SHA-256 */
#define ARENA_MAX   (512u << 20)	  /* decoded strings of one layer's entries */
#define MAX_XATTRS  1024u		  /* per entry */
#define MAX_XATTR_V (1u << 20)		  /* bytes of one xattr value */

/* ---- parts ------------------------------------------------------------------ */

/* 64 lowercase hex digits -> 32 bytes. */
static bool key_bin(const char *hex, unsigned char out[32])
{
	return bh_hex_decode(hex, strnlen(hex, 65), 0, out, 32) == 32;
}

/* SHA-256 of the key and the payload (given in two pieces). */
static bool part_sum(const unsigned char key[32], const void *a, size_t alen, const void *b,
		     size_t blen, unsigned char out[32])
{
	struct bh_hasher *h = NULL;
	struct bh_digest d;

	if (bh_hasher_new(BH_HASH_SHA256, &h, NULL) < 0)
		return false;
	bh_hasher_update(h, key, 32);
	if (alen)
		bh_hasher_update(h, a, alen);
	if (blen)
		bh_hasher_update(h, b, blen);
	bh_hasher_final(h, &d);
	bh_hasher_free(h);
	return key_bin(bh_digest_hex(&d), out);
}

/* The stored bytes of a part: the head, then a (the header) and b (the body). */
static void *seal(const char *key, const void *a, size_t alen, const void *b, size_t blen,
		  size_t *len)
{
	unsigned char kb[32], sum[32], *p;

	if (!key_bin(key, kb) || !part_sum(kb, a, alen, b, blen, sum))
		return NULL;
	*len = HEAD + alen + blen;
	p = bh_malloc(*len);
	memcpy(p, MAGIC, 4);
	p[4] = FORMAT;
	p[5] = 0;
	memcpy(p + 6, kb, 32);
	memcpy(p + 38, sum, 32);
	if (alen)
		memcpy(p + HEAD, a, alen);
	if (blen)
		memcpy(p + HEAD + alen, b, blen);
	return p;
}

int img_cache_open_part(const void *p, size_t n, const char *key, const void **payload, size_t *len,
			struct bh_error **err)
{
	const unsigned char *b = p;
	unsigned char kb[32], sum[32];

	*payload = NULL;
	*len = 0;
	if (!b || n < HEAD || memcmp(b, MAGIC, 4))
		return bh_error_set(err, BH_ERR_INVALID, "not a layer cache part");
	if (b[4] != FORMAT || b[5] != 0)
		return bh_error_set(err, BH_ERR_UNSUPPORTED, "layer cache part of format %u.%u",
				    b[4], b[5]);
	if (!key_bin(key, kb))
		return bh_error_set(err, BH_ERR_USAGE, "a layer cache key is 64 hex digits");
	if (memcmp(b + 6, kb, 32))
		return bh_error_set(err, BH_ERR_DIGEST, "the part was stored for another key");
	if (!part_sum(kb, b + HEAD, n - HEAD, NULL, 0, sum) || memcmp(b + 38, sum, 32))
		return bh_error_set(err, BH_ERR_DIGEST, "the part does not match its checksum");
	*payload = b + HEAD;
	*len = n - HEAD;
	return 0;
}

/* ---- entries ---------------------------------------------------------------- */

static void pack_entry(struct bh_pack *w, const struct bh_entry *e, size_t shared)
{
	size_t plen = strlen(e->path);

	bh_pack_u64(w, shared);
	bh_pack_strn(w, e->path + shared, plen - shared);
	bh_pack_u64(w, (uint64_t)e->type);
	bh_pack_u64(w, e->mode);
	bh_pack_u64(w, e->uid);
	bh_pack_u64(w, e->gid);
	bh_pack_u64(w, e->size);
	bh_pack_i64(w, e->mtime);
	bh_pack_str(w, e->link);
	bh_pack_u64(w, e->devmajor);
	bh_pack_u64(w, e->devminor);
	bh_pack_u64(w, e->nxattrs);
	for (size_t i = 0; i < e->nxattrs; i++) {
		bh_pack_str(w, e->xattrs[i].name);
		bh_pack_bytes(w, e->xattrs[i].value, e->xattrs[i].size);
	}
}

/* Where an entry's strings are in the arena while it grows. */
struct dent {
	size_t path, link; /* offsets; link SIZE_MAX: none */
	size_t x0, nx;	   /* its xattrs in the xattr offset list */
};

struct xoff {
	size_t name, value, size;
};

void img_entries_release(struct img_entries *es)
{
	free(es->v);
	free(es->arena);
	free(es->xattrs);
	memset(es, 0, sizeof(*es));
}

static size_t arena_put(struct bh_buf *a, const void *p, size_t n, bool *bad)
{
	size_t off = a->len;

	if (bh_buf_add(a, p, n, NULL) < 0 || bh_buf_addc(a, 0, NULL) < 0)
		*bad = true;
	return off;
}

/* Is `s` (n bytes) a path as bh_path_clean leaves it? */
static bool clean(const char *s, size_t n, size_t max, struct bh_buf *tmp)
{
	if (n > max)
		return false;
	if (bh_path_clean(s, false, max, tmp, NULL) < 0)
		return false;
	return tmp->len == n && !memcmp(tmp->data ? tmp->data : "", s, n);
}

/* One entry, checked as the walk would have made it. */
static bool decode_one(struct bh_unpack *r, const struct bh_image_limits *lim, struct bh_buf *prev,
		       struct bh_buf *arena, struct xoff **xs, size_t *nxs, size_t *capxs,
		       struct bh_buf *tmp, struct bh_entry *e, struct dent *d)
{
	size_t shared = (size_t)bh_unpack_u64(r, prev->len), sn = 0, plen;
	const void *suffix;
	char *link;
	bool bad = false;
	uint64_t type;

	memset(e, 0, sizeof(*e));
	/* the suffix is a string (length + 1), read as bytes of that length */
	{
		uint64_t n1 = bh_unpack_u64(r, (uint64_t)lim->max_path + 1);

		if (r->failed || n1 == 0)
			return false;
		sn = (size_t)(n1 - 1);
		if (sn > (size_t)(r->end - r->p))
			return false;
		suffix = r->p;
		r->p += sn;
	}
	if (memchr(suffix, 0, sn))
		return false;
	prev->len = shared;
	if (bh_buf_add(prev, suffix, sn, NULL) < 0)
		return false;
	plen = prev->len;
	type = bh_unpack_u64(r, BH_FT_OPAQUE);
	e->mode = (uint32_t)bh_unpack_u64(r, 07777);
	e->uid = (uint32_t)bh_unpack_u64(r, UINT32_MAX);
	e->gid = (uint32_t)bh_unpack_u64(r, UINT32_MAX);
	e->size = bh_unpack_u64(r, UINT64_MAX);
	e->mtime = bh_unpack_i64(r);
	link = bh_unpack_str(r, lim->max_path);
	e->devmajor = (uint32_t)bh_unpack_u64(r, UINT32_MAX);
	e->devminor = (uint32_t)bh_unpack_u64(r, UINT32_MAX);
	d->nx = bh_unpack_count(r, MAX_XATTRS);
	if (r->failed || type < BH_FT_REG) {
		free(link);
		return false;
	}
	e->type = (enum bh_ftype)type;
	/* what the walk's convert() guarantees */
	if (!clean(prev->data ? prev->data : "", plen, lim->max_path, tmp) ||
	    ((e->type == BH_FT_WHITEOUT) && plen == 0) || (e->type != BH_FT_REG && e->size != 0) ||
	    ((e->type == BH_FT_SYMLINK || e->type == BH_FT_HARDLINK) != (link != NULL)) ||
	    (e->type == BH_FT_HARDLINK && !clean(link, strlen(link), lim->max_path, tmp))) {
		free(link);
		return false;
	}
	d->path = arena_put(arena, prev->data ? prev->data : "", plen, &bad);
	d->link = link ? arena_put(arena, link, strlen(link), &bad) : SIZE_MAX;
	free(link);
	d->x0 = *nxs;
	for (size_t i = 0; i < d->nx && !bad; i++) {
		char *name = bh_unpack_str_nn(r, lim->max_path);
		size_t vn;
		const void *v = bh_unpack_bytes(r, &vn, MAX_XATTR_V);

		if (r->failed) {
			free(name);
			return false;
		}
		if (*nxs == *capxs) {
			*capxs = *capxs ? *capxs * 2 : 16;
			*xs = bh_reallocarray(*xs, *capxs, sizeof(**xs));
		}
		(*xs)[*nxs].name = arena_put(arena, name, strlen(name), &bad);
		(*xs)[*nxs].value = arena_put(arena, v, vn, &bad);
		(*xs)[*nxs].size = vn;
		(*nxs)++;
		free(name);
	}
	return !bad && !r->failed;
}

int img_entries_decode(const void *p, size_t n, const struct bh_image_limits *lim,
		       struct img_entries *out, struct bh_error **err)
{
	struct bh_image_limits dl;
	struct bh_unpack r;
	struct bh_buf prev = BH_BUF_INIT(0), arena = BH_BUF_INIT(ARENA_MAX), tmp = BH_BUF_INIT(0);
	struct dent *d = NULL;
	struct xoff *xs = NULL;
	size_t nxs = 0, capxs = 0, count;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!lim) {
		bh_image_limits_default(&dl);
		lim = &dl;
	}
	bh_buf_init(&prev, lim->max_path + 1);
	bh_buf_init(&tmp, lim->max_path + 1);
	bh_unpack_init(&r, p, n);
	out->usize = bh_unpack_u64(&r, lim->max_total_size);
	out->tar_entries = bh_unpack_u64(&r, lim->max_entries);
	count = bh_unpack_count(&r, (size_t)out->tar_entries);
	if (r.failed)
		goto out;
	out->v = bh_calloc(count + 1, sizeof(*out->v));
	d = bh_calloc(count + 1, sizeof(*d));
	for (size_t i = 0; i < count; i++) {
		if (!decode_one(&r, lim, &prev, &arena, &xs, &nxs, &capxs, &tmp, &out->v[i], &d[i]))
			goto out;
	}
	if (!bh_unpack_done(&r))
		goto out;
	/* The arena stops moving: point the entries into it. */
	out->n = count;
	out->arena = bh_buf_detach(&arena, NULL);
	out->xattrs = bh_calloc(nxs + 1, sizeof(*out->xattrs));
	for (size_t i = 0; i < nxs; i++) {
		out->xattrs[i].name = out->arena + xs[i].name;
		out->xattrs[i].value = out->arena + xs[i].value;
		out->xattrs[i].size = xs[i].size;
	}
	for (size_t i = 0; i < count; i++) {
		struct bh_entry *e = &out->v[i];

		e->path = out->arena + d[i].path;
		e->link = d[i].link == SIZE_MAX ? NULL : out->arena + d[i].link;
		e->xattrs = d[i].nx ? out->xattrs + d[i].x0 : NULL;
		e->nxattrs = d[i].nx;
	}
	rc = 0;
out:
	if (rc < 0) {
		img_entries_release(out);
		bh_error_set(err, BH_ERR_INVALID, "the stored entries are malformed");
	}
	free(d);
	free(xs);
	bh_buf_release(&prev);
	bh_buf_release(&arena);
	bh_buf_release(&tmp);
	return rc;
}

/* ---- one walk's use of the cache ---------------------------------------------- */

/* A layer being read, recorded for the cache. */
struct rec {
	struct bh_buf body;
	struct bh_pack w;
	struct bh_buf prev; /* the last path, for front coding */
	uint64_t n;
	size_t arena; /* what decoding will need, kept under ARENA_MAX */
	bool on;
};

struct part {
	const char *name;
	struct bh_consumer *c; /* NULL: the walk's entries */
};

struct img_cache {
	struct bh_image *img;
	const struct bh_walk_cache *wc;
	struct bh_consumer *const *c;
	size_t nc;
	struct part *parts;
	size_t nparts;
	char (*keys)[65];     /* [layer * nparts + part] */
	char (*blobkeys)[65]; /* [layer]: "" when the blob digest is unknown */
	struct rec *recs;
	pthread_mutex_t lock;
	struct bh_walk_cache_item *items; /* data owned (cast) */
	size_t nitems, capitems;
	unsigned served, stored;
};

static void make_key(struct bh_hasher *h, const char *const *fields, size_t n, char out[65])
{
	struct bh_digest d;

	bh_hasher_reset(h);
	for (size_t i = 0; i < n; i++)
		bh_hasher_update(h, fields[i], strlen(fields[i]) + 1);
	bh_hasher_final(h, &d);
	memcpy(out, bh_digest_hex(&d), 64);
	out[64] = 0;
}

struct img_cache *img_cache_new(struct bh_image *img, const struct bh_walk_cache *wc,
				struct bh_consumer *const *c, size_t n)
{
	const struct bh_image_limits *lim = &img->limits;
	struct img_cache *ic;
	struct bh_hasher *h = NULL;
	char walkcfg[256];

	if (!wc || !wc->get || !wc->put || img->kind == BH_IMAGE_ROOTFS || !img->nlayers)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool reads = c[i]->pull || c[i]->want || c[i]->chunk;
		bool hooks = c[i]->cache_part && c[i]->save_layer && c[i]->load_layer;

		if (reads && !hooks) {
			bh_debug("layer cache: a consumer without cache hooks reads content: "
				 "every layer is read");
			return NULL;
		}
	}
	if (bh_hasher_new(BH_HASH_SHA256, &h, NULL) < 0)
		return NULL;
	ic = bh_calloc(1, sizeof(*ic));
	ic->img = img;
	ic->wc = wc;
	ic->c = c;
	ic->nc = n;
	ic->parts = bh_calloc(n + 1, sizeof(*ic->parts));
	ic->parts[ic->nparts++].name = "walk";
	for (size_t i = 0; i < n; i++) {
		if (!c[i]->save_layer || !c[i]->load_layer || !c[i]->cache_part)
			continue;
		ic->parts[ic->nparts].name = c[i]->cache_part;
		ic->parts[ic->nparts++].c = c[i];
	}
	/* What shapes a read besides the layer: the limits, and the character set
	 * libarchive converts member names to (the process's LC_CTYPE). */
	snprintf(walkcfg, sizeof(walkcfg), "path=%zu file=%zu ratio=%llu floor=%llu charset=%.40s",
		 lim->max_path, lim->max_file_read, (unsigned long long)lim->max_ratio,
		 (unsigned long long)lim->ratio_floor, nl_langinfo(CODESET));
	ic->keys = bh_calloc(img->nlayers * ic->nparts + 1, sizeof(*ic->keys));
	for (size_t l = 0; l < img->nlayers; l++) {
		if (!img->layers[l].diff_id.str[0])
			continue;
		for (size_t p = 0; p < ic->nparts; p++) {
			const struct part *pt = &ic->parts[p];
			const char *cfg = pt->c && pt->c->cache_config ? pt->c->cache_config : "";
			const char *fields[] = {
				"bulkhead layer cache",	   "1",	    BH_VERSION, BH_BUILD_ID,
				wc->salt ? wc->salt : "",  walkcfg, pt->name,	cfg,
				img->layers[l].diff_id.str
			};

			make_key(h, fields, sizeof(fields) / sizeof(fields[0]),
				 ic->keys[l * ic->nparts + p]);
		}
	}
	ic->blobkeys = bh_calloc(img->nlayers + 1, sizeof(*ic->blobkeys));
	for (size_t l = 0; l < img->nlayers; l++) {
		const char *fields[] = { "bulkhead layer cache",
					 "1",
					 BH_VERSION,
					 BH_BUILD_ID,
					 wc->salt ? wc->salt : "",
					 "blob",
					 img->layers[l].digest.str,
					 img->layers[l].diff_id.str };

		if (img->layers[l].diff_id.str[0] && img->layers[l].digest.str[0])
			make_key(h, fields, sizeof(fields) / sizeof(fields[0]), ic->blobkeys[l]);
	}
	bh_hasher_free(h);
	ic->recs = bh_calloc(img->nlayers + 1, sizeof(*ic->recs));
	pthread_mutex_init(&ic->lock, NULL);
	return ic;
}

static const char *key_of(const struct img_cache *ic, unsigned layer, size_t part)
{
	return ic->keys[layer * ic->nparts + part];
}

/* Add an item (data taken); under the lock. */
static void add_item_key(struct img_cache *ic, unsigned layer, const char *key, const char *part,
			 void *data, size_t len)
{
	struct bh_walk_cache_item *it;

	if (ic->nitems == ic->capitems) {
		ic->capitems = ic->capitems ? ic->capitems * 2 : 16;
		ic->items = bh_reallocarray(ic->items, ic->capitems, sizeof(*ic->items));
	}
	it = &ic->items[ic->nitems++];
	memcpy(it->key, key, sizeof(it->key));
	it->diff_id = ic->img->layers[layer].diff_id.str;
	it->part = part;
	it->data = data;
	it->len = len;
}

static void add_item(struct img_cache *ic, unsigned layer, size_t part, void *data, size_t len)
{
	add_item_key(ic, layer, key_of(ic, layer, part), ic->parts[part].name, data, len);
}

/* 1: the layer's blob was read and found to be its diff_id before (or no
 * blob digest is known); 0: not; <0: the row does not read back. */
static int blob_verified(struct img_cache *ic, unsigned layer, struct bh_error **err)
{
	const char *key = ic->blobkeys[layer];
	struct bh_buf b = BH_BUF_INIT(HEAD + 1);
	const void *pl;
	size_t n;
	int k;

	if (!key[0])
		return 1;
	k = ic->wc->get(ic->wc->data, key, &b, err);
	if (k > 0 && img_cache_open_part(b.data, b.len, key, &pl, &n, err) < 0)
		k = -1;
	bh_buf_release(&b);
	return k;
}

int img_cache_serve(struct img_cache *ic, unsigned layer, uint64_t *usize, uint64_t *entries,
		    struct bh_error **err)
{
	const struct bh_layer *L = &ic->img->layers[layer];
	struct bh_buf *got;
	const void **pl;
	size_t *pn;
	struct img_entries es = { 0 };
	struct bh_error *e = NULL;
	int rc = 0;

	if (!L->diff_id.str[0])
		return 0;
	got = bh_calloc(ic->nparts, sizeof(*got));
	pl = bh_calloc(ic->nparts, sizeof(*pl));
	pn = bh_calloc(ic->nparts, sizeof(*pn));
	switch (blob_verified(ic, layer, &e)) {
	case 1: break;
	case 0:
		bh_debug("layer %u: its blob %s was never read in full: reading it", layer + 1,
			 L->digest.str);
		goto out;
	default: goto miss;
	}
	for (size_t p = 0; p < ic->nparts; p++) {
		const char *key = key_of(ic, layer, p);
		int k;

		bh_buf_init(&got[p], (size_t)BH_WALK_CACHE_MAX_PART + HEAD);
		k = ic->wc->get(ic->wc->data, key, &got[p], &e);
		if (k < 0)
			goto miss;
		if (k == 0) {
			bh_debug("layer %u: not in the layer cache (%s)", layer + 1,
				 ic->parts[p].name);
			goto out;
		}
		if (img_cache_open_part(got[p].data, got[p].len, key, &pl[p], &pn[p], &e) < 0) {
			bh_error_prefix(&e, "the %s part", ic->parts[p].name);
			goto miss;
		}
	}
	if (img_entries_decode(pl[0], pn[0], &ic->img->limits, &es, &e) < 0)
		goto miss;
	for (size_t p = 1; p < ic->nparts; p++) {
		struct bh_consumer *c = ic->parts[p].c;

		if (c->load_layer(layer, pl[p], pn[p], c->data, &e) < 0) {
			bh_error_prefix(&e, "the %s part", ic->parts[p].name);
			goto miss;
		}
	}
	/* Every part loaded: the consumers see the layer's entries, then its end. */
	rc = -1;
	for (size_t i = 0; i < es.n; i++) {
		struct bh_entry *x = &es.v[i];

		x->layer = layer;
		for (size_t k = 0; k < ic->nc; k++)
			if (ic->c[k]->entry && ic->c[k]->entry(x, ic->c[k]->data, err) < 0) {
				bh_error_prefix(err, "'%.200s' (from the layer cache)", x->path);
				goto out;
			}
	}
	for (size_t k = 0; k < ic->nc; k++)
		if (ic->c[k]->layer_end &&
		    ic->c[k]->layer_end(layer, true, ic->c[k]->data, rc == -1 ? err : NULL) < 0)
			rc = -2;
	if (rc == -2) {
		rc = -1;
		goto out;
	}
	*usize = es.usize;
	*entries = es.tar_entries;
	pthread_mutex_lock(&ic->lock);
	for (size_t p = 0; p < ic->nparts; p++)
		add_item(ic, layer, p, NULL, 0);
	if (ic->blobkeys[layer][0])
		add_item_key(ic, layer, ic->blobkeys[layer], "blob", NULL, 0);
	ic->served++;
	pthread_mutex_unlock(&ic->lock);
	bh_debug("layer %u: from the layer cache (%zu entries)", layer + 1, es.n);
	rc = 1;
	goto out;
miss:
	if (bh_log_enabled(BH_LOG_DEBUG)) {
		char *m = bh_error_message(e);

		bh_debug("layer %u: the layer cache gives no answer (%s): reading the layer",
			 layer + 1, m);
		free(m);
	}
	rc = 0;
out:
	bh_error_free(e);
	img_entries_release(&es);
	for (size_t p = 0; p < ic->nparts; p++)
		bh_buf_release(&got[p]);
	free(got);
	free(pl);
	free(pn);
	return rc;
}

static void rec_release(struct rec *r)
{
	bh_buf_release(&r->body);
	bh_buf_release(&r->prev);
	memset(r, 0, sizeof(*r));
}

void img_cache_layer_begin(struct img_cache *ic, unsigned layer)
{
	struct rec *r;

	if (!ic || layer >= ic->img->nlayers || !ic->img->layers[layer].diff_id.str[0])
		return;
	r = &ic->recs[layer];
	rec_release(r);
	bh_buf_init(&r->body, BH_WALK_CACHE_MAX_PART);
	bh_buf_init(&r->prev, ic->img->limits.max_path + 1);
	r->w.b = &r->body;
	r->on = true;
}

void img_cache_entry(struct img_cache *ic, const struct bh_entry *e)
{
	struct rec *r;
	size_t plen, shared = 0, need;

	if (!ic || e->layer >= ic->img->nlayers)
		return;
	r = &ic->recs[e->layer];
	if (!r->on || r->w.failed)
		return;
	plen = strlen(e->path);
	need = plen + 1 + (e->link ? strlen(e->link) + 1 : 0);
	for (size_t i = 0; i < e->nxattrs; i++) {
		if (e->nxattrs > MAX_XATTRS || e->xattrs[i].size > MAX_XATTR_V) {
			r->w.failed = true; /* not something the decoder takes: not kept */
			return;
		}
		need += strlen(e->xattrs[i].name) + 1 + e->xattrs[i].size + 1;
	}
	if (r->arena + need > ARENA_MAX) {
		r->w.failed = true;
		return;
	}
	r->arena += need;
	while (shared < plen && shared < r->prev.len && r->prev.data[shared] == e->path[shared])
		shared++;
	pack_entry(&r->w, e, shared);
	bh_buf_reset(&r->prev);
	if (bh_buf_add(&r->prev, e->path, plen, NULL) < 0)
		r->w.failed = true;
	r->n++;
}

void img_cache_layer_end(struct img_cache *ic, unsigned layer, bool ok)
{
	struct bh_layer *L;
	struct rec *r;
	struct bh_buf hdr = BH_BUF_INIT(64);
	struct bh_pack hw = { &hdr, false };
	void **data = NULL;
	size_t *len = NULL, done = 0;
	struct bh_error *e = NULL;

	if (!ic || layer >= ic->img->nlayers || !ic->recs[layer].on)
		return;
	L = &ic->img->layers[layer];
	r = &ic->recs[layer];
	r->on = false;
	if (!ok) /* the read failed: the walk says so */
		goto out;
	if (r->w.failed || !L->read) {
		bh_error_set(&e, BH_ERR_LIMIT,
			     r->w.failed ? "its entries exceed what the cache keeps of a layer"
					 : "it was not read to its end");
		goto out;
	}
	data = bh_calloc(ic->nparts, sizeof(*data));
	len = bh_calloc(ic->nparts, sizeof(*len));
	bh_pack_u64(&hw, L->usize);
	bh_pack_u64(&hw, L->entries);
	bh_pack_u64(&hw, r->n);
	data[0] = seal(key_of(ic, layer, 0), hdr.data, hdr.len, r->body.data, r->body.len, &len[0]);
	if (!data[0] || hw.failed) {
		bh_error_set(&e, BH_ERR_IO, "the walk part could not be sealed");
		goto out;
	}
	done = 1;
	for (size_t p = 1; p < ic->nparts; p++, done++) {
		struct bh_consumer *c = ic->parts[p].c;
		struct bh_buf b = BH_BUF_INIT(BH_WALK_CACHE_MAX_PART);

		if (c->save_layer(layer, &b, c->data, &e) < 0) {
			bh_buf_release(&b);
			bh_error_prefix(&e, "the %s part", ic->parts[p].name);
			goto out;
		}
		data[p] = seal(key_of(ic, layer, p), NULL, 0, b.data, b.len, &len[p]);
		bh_buf_release(&b);
		if (!data[p]) {
			bh_error_set(&e, BH_ERR_IO, "the %s part could not be sealed",
				     ic->parts[p].name);
			goto out;
		}
	}
	if (ic->blobkeys[layer][0]) {
		size_t blen = 0;
		void *blob = seal(ic->blobkeys[layer], NULL, 0, NULL, 0, &blen);

		if (!blob) {
			bh_error_set(&e, BH_ERR_IO, "the blob part could not be sealed");
			goto out;
		}
		pthread_mutex_lock(&ic->lock);
		add_item_key(ic, layer, ic->blobkeys[layer], "blob", blob, blen);
		pthread_mutex_unlock(&ic->lock);
	}
	pthread_mutex_lock(&ic->lock);
	for (size_t p = 0; p < ic->nparts; p++)
		add_item(ic, layer, p, data[p], len[p]);
	ic->stored++;
	pthread_mutex_unlock(&ic->lock);
	done = 0; /* the items own them */
out:
	/* The user sees which layer a later scan reads again, and why. */
	bh_error_warn(&e, "layer %u (%s): not kept in the layer cache", layer + 1, L->diff_id.str);
	for (size_t p = 0; p < done; p++)
		free(data[p]);
	free(data);
	free(len);
	bh_buf_release(&hdr);
	rec_release(r);
}

void img_cache_commit(struct img_cache *ic)
{
	struct bh_error *e = NULL;

	if (!ic)
		return;
	bh_debug("layer cache: %u of %zu layers from the cache, %u stored", ic->served,
		 ic->img->nlayers, ic->stored);
	if (!ic->nitems)
		return;
	if (ic->wc->put(ic->wc->data, ic->items, ic->nitems, &e) >= 0)
		return;
	if (ic->stored)
		bh_error_warn(&e, "the layer cache was not updated (%u layers read are not kept)",
			      ic->stored);
	else
		bh_error_warn(&e, "the layer cache was not updated");
}

void img_cache_free(struct img_cache *ic)
{
	if (!ic)
		return;
	for (size_t i = 0; i < ic->nitems; i++)
		free((void *)ic->items[i].data);
	free(ic->items);
	for (size_t l = 0; l < ic->img->nlayers; l++)
		rec_release(&ic->recs[l]);
	free(ic->recs);
	free(ic->keys);
	free(ic->blobkeys);
	free(ic->parts);
	pthread_mutex_destroy(&ic->lock);
	free(ic);
}
