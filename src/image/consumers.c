/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Several consumers in one walk: each layer is decompressed once and each
 * wanted file's content read once, whatever the number of scanners reading
 * it. Content goes to the consumers in chunks, so nothing here holds a whole
 * file. With a layer cache (cache.c), a layer analysed before is not read at
 * all: its consumers' states are loaded and its entries replayed.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

#define CHUNK (128 * 1024)

struct fanout {
	struct bh_consumer *const *c;
	size_t n;
	const struct bh_consumer *puller; /* the one consumer that pulls, if any */
	struct img_cache *cache;	  /* the layer cache, when this walk uses it */
};

static int fan_layer_begin(unsigned layer, bool ok, void *data, struct bh_error **err)
{
	struct fanout *f = data;

	for (size_t i = 0; i < f->n; i++)
		if (f->c[i]->layer_begin && f->c[i]->layer_begin(layer, ok, f->c[i]->data, err) < 0)
			return -1;
	img_cache_layer_begin(f->cache, layer);
	return 0;
}

static int fan_layer_end(unsigned layer, bool ok, void *data, struct bh_error **err)
{
	struct fanout *f = data;
	int r = 0;

	/* Every consumer hears the end, even after another one failed. */
	for (size_t i = 0; i < f->n; i++)
		if (f->c[i]->layer_end &&
		    f->c[i]->layer_end(layer, ok, f->c[i]->data, r == 0 ? err : NULL) < 0)
			r = -1;
	/* What the consumers kept of a layer read in full, for the cache. */
	img_cache_layer_end(f->cache, layer, ok && r == 0);
	return r;
}

static int fan_served(unsigned layer, void *data, uint64_t *usize, uint64_t *entries,
		      struct bh_error **err)
{
	struct fanout *f = data;

	return img_cache_serve(f->cache, layer, usize, entries, err);
}

struct tee {
	struct fanout *f;
	const struct bh_entry *e;
	const bool *wants;
};

/* Hand a chunk the puller read to every consumer that wants the content. */
static int tee_chunk(const void *p, size_t n, void *data, struct bh_error **err)
{
	struct tee *t = data;

	for (size_t i = 0; i < t->f->n; i++)
		if (t->wants[i] && t->f->c[i]->chunk(t->e, p, n, t->f->c[i]->data, err) < 0)
			return -1;
	return 0;
}

static int fan_entry(const struct bh_entry *e, struct bh_entry_reader *r, void *data,
		     struct bh_error **err)
{
	struct fanout *f = data;
	struct tee t = { f, e, NULL };
	bool wants[64], any = false;
	unsigned char *buf = NULL;
	int rc = -1;

	img_cache_entry(f->cache, e);
	for (size_t i = 0; i < f->n; i++) {
		const struct bh_consumer *c = f->c[i];

		if (c->entry && c->entry(e, c->data, err) < 0)
			return -1;
		wants[i] = e->type == BH_FT_REG && c->want && c->chunk && c->want(e, c->data);
		any |= wants[i];
	}
	t.wants = wants;
	if (f->puller) {
		if (any) {
			r->tee = tee_chunk;
			r->tee_data = &t;
		}
		rc = f->puller->pull(e, r, f->puller->data, err);
		r->tee = NULL;
		if (rc < 0)
			return -1;
		rc = -1;
	}
	if (!any)
		return 0;
	/* What is left (all of it, without a puller) goes to the chunk consumers. */
	buf = bh_malloc(CHUNK);
	for (;;) {
		ssize_t n = bh_entry_read(r, buf, CHUNK, err);

		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (tee_chunk(buf, (size_t)n, &t, err) < 0)
			goto out;
	}
	for (size_t i = 0; i < f->n; i++)
		if (wants[i] && f->c[i]->chunk(e, buf, 0, f->c[i]->data, err) < 0)
			goto out;
	rc = 0;
out:
	free(buf);
	return rc;
}

int bh_image_walk_consumers(struct bh_image *img, const struct bh_walk_opts *opts,
			    struct bh_consumer *const *consumers, size_t n, struct bh_error **err)
{
	struct fanout f = { consumers, n, NULL, NULL };
	struct bh_walk_opts o = { 0 };
	int r;

	if (n > 64)
		return bh_error_set(err, BH_ERR_USAGE, "at most 64 consumers in one walk");
	for (size_t i = 0; i < n; i++) {
		if (!consumers[i]->pull)
			continue;
		if (f.puller)
			return bh_error_set(err, BH_ERR_USAGE,
					    "at most one pulling consumer in a walk");
		f.puller = consumers[i];
	}
	if (opts)
		o = *opts;
	o.layer_begin = fan_layer_begin;
	o.layer_end = fan_layer_end;
	f.cache = img_cache_new(img, o.cache, consumers, n);
	r = img_walk(img, &o, fan_entry, &f, f.cache ? fan_served : NULL, err);
	if (r == 0)
		img_cache_commit(f.cache);
	img_cache_free(f.cache);
	return r;
}
