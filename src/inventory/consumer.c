/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The inventory as a consumer of the shared walk (see collect.h for the
 * stages): every regular file is offered to the cataloger table; the file a
 * cataloger recognises becomes a doc of its layer, parsed from memory
 * (`parse`, bounded by max_manifest or max_archive_size) or as it streams
 * (`read`). Nothing else is read. A layer's buffers are released when the
 * layer ends, so memory follows the layers in flight, not the image.
 */
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "banned.h"

#define DEF_MAX_MANIFEST (64u << 20)
#define DEF_MAX_DEPTH	 4
#define DEF_MAX_ARCHIVE	 (256ull << 20)
#define KEEP_BUF	 (1u << 20) /* buffers larger than this are freed after each file */

void inv_doc_warn(struct inv_doc *d, struct bh_error *e)
{
	char *m = bh_error_message(e);

	if (!d->warning)
		d->warning = m;
	else
		free(m);
	bh_error_free(e);
}

static struct inv_doc *new_doc(struct inv_layer *ls, const struct bh_entry *e,
			       const struct inv_cataloger *cat)
{
	struct inv_doc *d;

	if (ls->ndocs == ls->cap) {
		ls->cap = ls->cap ? ls->cap * 2 : 32;
		ls->docs = bh_reallocarray(ls->docs, ls->cap, sizeof(*ls->docs));
	}
	d = &ls->docs[ls->ndocs];
	memset(d, 0, sizeof(*d));
	d->path = bh_strdup(e->path);
	d->layer = e->layer;
	d->seq = ls->ndocs++;
	d->cat = cat;
	return d;
}

void inv_doc_release(struct inv_doc *d)
{
	free(d->path);
	bh_os_release(&d->os);
	bh_pkglist_release(&d->pkgs);
	free(d->warning);
	bh_map_free(d->keys, NULL);
	memset(d, 0, sizeof(*d));
}

/* A read error that is about this file (too large) rather than the layer. */
static bool file_problem(const struct bh_error *e)
{
	return bh_error_code(e) == BH_ERR_LIMIT;
}

static void shrink(struct bh_buf *b)
{
	if (b->cap > KEEP_BUF)
		bh_buf_release(b);
	else
		bh_buf_reset(b);
}

static int on_entry(const struct bh_entry *e, struct bh_entry_reader *r, void *data,
		    struct bh_error **err)
{
	struct bh_inventory_collector *c = data;
	struct inv_layer *ls = &c->layers[e->layer];
	const struct inv_cataloger *cat;
	struct bh_error *pe = NULL;
	struct inv_input in = { .e = e, .o = &c->o };
	struct bh_buf *b;
	struct inv_doc *d;
	char *shown;
	int rc = 0;

	if (e->type != BH_FT_REG || !(cat = inv_cataloger_for(e)))
		return 0;
	d = new_doc(ls, e, cat);
	b = cat->flags & INV_CAT_ARCHIVE || cat->read ? &ls->big : &ls->small;
	shown = bh_asprintf("/%s", e->path); /* as users see it, in messages too */
	in.path = shown;
	in.scratch = b;
	if (cat->read) {
		rc = cat->read(&in, r, d, err);
		if (rc == 0) { /* not this cataloger's after all */
			inv_doc_release(d);
			ls->ndocs--;
		}
		rc = rc < 0 ? -1 : 0;
		goto out;
	}
	if ((cat->flags & INV_CAT_ARCHIVE) && e->size > c->o.max_archive_size) {
		bh_error_set(&pe, BH_ERR_LIMIT,
			     "%s: a %llu-byte archive exceeds the limit of %llu bytes: not read",
			     shown, (unsigned long long)e->size,
			     (unsigned long long)c->o.max_archive_size);
		inv_doc_warn(d, pe);
		goto out;
	}
	bh_buf_reset(b);
	if (bh_entry_read_all(r, b, &pe) < 0) {
		if (!file_problem(pe)) {
			*err = pe;
			rc = -1;
			goto out;
		}
		bh_error_prefix(&pe, "%s", shown);
		inv_doc_warn(d, pe);
		goto out;
	}
	if (cat->parse(&in, b->data ? b->data : "", b->len, d, &pe) < 0)
		inv_doc_warn(d, pe);
out:
	shrink(b);
	free(shown);
	return rc;
}

/* A layer starts with no docs (a load from the layer cache that was given
 * up may have left some). */
static int on_layer_begin(unsigned layer, bool ok, void *data, struct bh_error **err)
{
	struct bh_inventory_collector *c = data;
	struct inv_layer *ls = &c->layers[layer];

	for (size_t j = 0; j < ls->ndocs; j++)
		inv_doc_release(&ls->docs[j]);
	ls->ndocs = 0;
	return 0;
}

/* A layer's buffers are of no use once it is read. */
static int on_layer_end(unsigned layer, bool ok, void *data, struct bh_error **err)
{
	struct bh_inventory_collector *c = data;

	bh_buf_release(&c->layers[layer].small);
	bh_buf_release(&c->layers[layer].big);
	return 0;
}

static int on_save(unsigned layer, struct bh_buf *out, void *data, struct bh_error **err)
{
	struct bh_inventory_collector *c = data;

	return inv_cache_save(&c->layers[layer], out, err);
}

static int on_load(unsigned layer, const void *p, size_t n, void *data, struct bh_error **err)
{
	struct bh_inventory_collector *c = data;

	if (layer >= c->img->nlayers)
		return bh_error_set(err, BH_ERR_INTERNAL, "layer %u of %zu", layer,
				    c->img->nlayers);
	return inv_cache_load(&c->layers[layer], layer, p, n, err);
}

struct bh_inventory_collector *bh_inventory_collector_new(struct bh_image *img,
							  const struct bh_inventory_opts *opts)
{
	struct bh_inventory_collector *c = bh_calloc(1, sizeof(*c));

	c->img = img;
	if (opts)
		c->o = *opts;
	if (!c->o.max_manifest)
		c->o.max_manifest = DEF_MAX_MANIFEST;
	if (!c->o.max_archive_depth)
		c->o.max_archive_depth = DEF_MAX_DEPTH;
	if (!c->o.max_archive_size)
		c->o.max_archive_size = DEF_MAX_ARCHIVE;
	c->layers = bh_calloc(img->nlayers + 1, sizeof(*c->layers));
	for (size_t i = 0; i < img->nlayers; i++) {
		bh_buf_init(&c->layers[i].small, c->o.max_manifest);
		bh_buf_init(&c->layers[i].big, (size_t)c->o.max_archive_size);
	}
	c->consumer.data = c;
	c->consumer.pull = on_entry;
	c->consumer.layer_begin = on_layer_begin;
	c->consumer.layer_end = on_layer_end;
	/* What a layer's docs depend on besides the layer: the read limits. */
	c->cache_config =
		bh_asprintf("manifest=%zu depth=%zu archive=%llu", c->o.max_manifest,
			    c->o.max_archive_depth, (unsigned long long)c->o.max_archive_size);
	c->consumer.cache_part = "inventory";
	c->consumer.cache_config = c->cache_config;
	c->consumer.save_layer = on_save;
	c->consumer.load_layer = on_load;
	return c;
}

struct bh_consumer *bh_inventory_consumer(struct bh_inventory_collector *c)
{
	return &c->consumer;
}

int bh_inventory_finish(struct bh_inventory_collector *c, const struct bh_fileset *merged,
			struct bh_inventory **out, struct bh_error **err)
{
	struct bh_inventory *inv;
	struct inv_doc *os;

	*out = NULL;
	if (c->finished)
		return bh_error_set(err, BH_ERR_USAGE, "the inventory was already finished");
	if (!merged)
		return bh_error_set(err, BH_ERR_USAGE, "the inventory needs the merged view");
	c->finished = true;
	inv = bh_calloc(1, sizeof(*inv));
	inv_mark_live(c, merged);
	os = inv_best_os(c);
	if (os) {
		inv->os = os->os;
		memset(&os->os, 0, sizeof(os->os));
	}
	inv_resolve(c, inv, os);
	*out = inv;
	return 0;
}

void bh_inventory_collector_free(struct bh_inventory_collector *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->img->nlayers; i++) {
		struct inv_layer *ls = &c->layers[i];

		for (size_t j = 0; j < ls->ndocs; j++)
			inv_doc_release(&ls->docs[j]);
		free(ls->docs);
		bh_buf_release(&ls->small);
		bh_buf_release(&ls->big);
	}
	free(c->layers);
	free(c->cache_config);
	free(c);
}
