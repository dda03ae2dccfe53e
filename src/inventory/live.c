/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Live docs: which recognised files are in the final filesystem. The merged
 * view decides, whatever the number of layers: a doc is live when the merged
 * view has its path as a regular file written by the doc's layer, and it is
 * the last doc of that path in the layer (a tar may hold a path twice; the
 * later member stands, and a later non-regular member replaces it). A
 * database rewritten, whited out or hidden behind an opaque directory in a
 * later layer is not live.
 */
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "banned.h"

static int cmp_file_path(const void *key, const void *f)
{
	return strcmp(key, ((const struct bh_file *)f)->path);
}

void inv_mark_live(struct bh_inventory_collector *c, const struct bh_fileset *fs)
{
	for (size_t i = 0; i < c->img->nlayers; i++) {
		struct inv_layer *ls = &c->layers[i];
		struct bh_map *last = bh_map_new(); /* path -> its last doc in this layer */

		for (size_t j = 0; j < ls->ndocs; j++)
			bh_map_put(last, ls->docs[j].path, strlen(ls->docs[j].path), &ls->docs[j]);
		for (size_t j = 0; j < ls->ndocs; j++) {
			struct inv_doc *d = &ls->docs[j];
			const struct bh_file *f = bsearch(d->path, fs->files, fs->nfiles,
							  sizeof(*fs->files), cmp_file_path);

			d->live = f && f->layer == d->layer && f->type == BH_FT_REG &&
				  bh_map_get(last, d->path, strlen(d->path)) == d;
		}
		bh_map_free(last, NULL);
	}
}

struct inv_doc *inv_best_os(struct bh_inventory_collector *c)
{
	struct inv_doc *best = NULL;
	unsigned brank = 0;

	for (size_t i = 0; i < c->img->nlayers; i++)
		for (size_t j = 0; j < c->layers[i].ndocs; j++) {
			struct inv_doc *d = &c->layers[i].docs[j];
			unsigned rank;

			if (!(d->cat->flags & INV_CAT_RELEASE) || !d->live || !d->os.id)
				continue;
			rank = inv_os_rank(d->path);
			if (!best || rank < brank) {
				best = d;
				brank = rank;
			}
		}
	return best;
}
