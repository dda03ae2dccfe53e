/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/inventory: the collector's state and the stages after the
 * walk. The inventory is built in this order:
 *
 *   consumer.c      the walk (per layer, in parallel): each file a cataloger
 *                   recognises -> a doc (its path, layer and what was parsed)
 *   live.c          which doc of each path is in the final filesystem (the
 *                   merged view decides), and the OS from the best live
 *                   release file
 *   resolve.c       the packages of live docs; lockfile entries dropped where
 *                   a package is installed; ecosystems and purls of OS
 *                   packages; sorted, exact duplicates merged
 *   attribution.c   each package's layer: the earliest from which its
 *                   name+version was present without a break up to its doc
 *   graph.c         stable ids; dependency names -> ids
 *
 * Per-layer state is touched only by that layer's worker thread during the
 * walk; everything after it runs on the caller's thread.
 */
#ifndef BULKHEAD_INVENTORY_COLLECT_H
#define BULKHEAD_INVENTORY_COLLECT_H

#include "internal.h"

struct inv_layer {
	struct inv_doc *docs;
	size_t ndocs, cap;
	struct bh_buf small; /* manifests and databases (max_manifest) */
	struct bh_buf big;   /* archives (max_archive_size); Go's stream window */
};

struct bh_inventory_collector {
	struct bh_image *img;
	struct bh_inventory_opts o;
	struct inv_layer *layers;
	struct bh_consumer consumer;
	char *cache_config; /* the options that change a layer's docs */
	bool finished;
};

/* Release one doc (consumer.c). */
void inv_doc_release(struct inv_doc *d);

/* ---- cache.c: a layer's docs in the layer cache --------------------------- */

/* Append the docs of `ls` to out (bh_pack). */
int inv_cache_save(const struct inv_layer *ls, struct bh_buf *out, struct bh_error **err);
/* Replace the docs of `ls` with those in (p, n), as inv_cache_save wrote
 * them, given layer `layer`; on failure `ls` is left as it was. */
int inv_cache_load(struct inv_layer *ls, unsigned layer, const void *p, size_t n,
		   struct bh_error **err);

/* Set d->live for every doc: in the final filesystem `fs`, as a regular
 * file of the doc's layer, and the last doc of its path in that layer. */
void inv_mark_live(struct bh_inventory_collector *c, const struct bh_fileset *fs);
/* The live release file of highest preference, or NULL. */
struct inv_doc *inv_best_os(struct bh_inventory_collector *c);

/* Build inv's packages and warnings from the docs (after inv_mark_live);
 * inv->os is already set. Takes the packages out of the docs. */
void inv_resolve(struct bh_inventory_collector *c, struct bh_inventory *inv,
		 const struct inv_doc *os_doc);

/* ---- attribution.c ---------------------------------------------------------- */

/* The docs of one attribution group (one per OS package cataloger, else one
 * per cataloger and path), in layer then archive order. */
struct inv_group {
	struct inv_doc **v;
	size_t n, cap;
};

struct inv_groups {
	struct inv_group *v;
	size_t n;
	struct bh_map *index; /* group key -> index + 1 */
};

/* Add doc d (docs must be added in layer then archive order); returns the
 * index of its group. */
size_t inv_groups_add(struct inv_groups *g, struct inv_doc *d);
/* The layer from which package p of doc d was present, unbroken, in its
 * group up to d's layer. */
unsigned inv_first_layer(const struct inv_group *g, struct inv_doc *d, const struct bh_package *p);
void inv_groups_release(struct inv_groups *g);

/* ---- graph.c ------------------------------------------------------------------ */

/* Stable ids: "<type>-<name>-<version>-<12 hex of a digest>", unique. */
void inv_assign_ids(struct bh_inventory *inv);
/* Each package's depends (names) -> the ids of the packages found. */
void inv_resolve_depends(struct bh_inventory *inv);

#endif /* BULKHEAD_INVENTORY_COLLECT_H */
