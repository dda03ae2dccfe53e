/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The merged view: what the final filesystem of an image holds, with each
 * layer's whiteouts and opaque directories applied to the layers below it.
 * Layers are read in parallel into per-layer lists, then merged in layer
 * order through a path tree.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

struct list {
	struct bh_file *v;
	size_t n, cap;
};

struct collect {
	struct list *layers;
};

static void file_release(struct bh_file *f)
{
	free(f->path);
	free(f->link);
}

void bh_fileset_free(struct bh_fileset *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->nfiles; i++)
		file_release(&fs->files[i]);
	free(fs->files);
	free(fs);
}

static void to_file(const struct bh_entry *e, struct bh_file *f)
{
	memset(f, 0, sizeof(*f));
	f->path = bh_strdup(e->path);
	f->type = e->type;
	f->mode = e->mode;
	f->uid = e->uid;
	f->gid = e->gid;
	f->size = e->size;
	f->mtime = e->mtime;
	f->link = e->link ? bh_strdup(e->link) : NULL;
	f->devmajor = e->devmajor;
	f->devminor = e->devminor;
	f->layer = e->layer;
}

/* Called on the layer's worker thread; each layer has its own list. */
static int collect_entry(const struct bh_entry *e, struct bh_entry_reader *r, void *data,
			 struct bh_error **err)
{
	struct collect *c = data;
	struct list *l = &c->layers[e->layer];

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = bh_reallocarray(l->v, l->cap, sizeof(*l->v));
	}
	to_file(e, &l->v[l->n++]);
	return 0;
}

/* ---- the path tree ------------------------------------------------------ */

struct node {
	struct bh_file f;
	struct node *parent;
	struct node *child; /* first child */
	struct node *next;  /* next sibling */
	bool live;
};

struct tree {
	struct bh_map *map; /* path -> live node */
	struct node root;
	struct node **all; /* every node made, for freeing */
	size_t nall, capall;
};

static struct node *node_new(struct tree *t, struct node *parent, struct bh_file *f)
{
	struct node *n = bh_calloc(1, sizeof(*n));

	n->f = *f; /* takes the strings */
	n->parent = parent;
	n->live = true;
	n->next = parent->child;
	parent->child = n;
	if (t->nall == t->capall) {
		t->capall = t->capall ? t->capall * 2 : 1024;
		t->all = bh_reallocarray(t->all, t->capall, sizeof(*t->all));
	}
	t->all[t->nall++] = n;
	bh_map_put(t->map, n->f.path, strlen(n->f.path), n);
	return n;
}

/* Remove n's live descendants (and n itself unless keep_self). */
static void remove_tree(struct tree *t, struct node *n, bool keep_self)
{
	struct node **stack = NULL;
	size_t depth = 0, cap = 0;

	if (!keep_self) {
		n->live = false;
		bh_map_del(t->map, n->f.path, strlen(n->f.path));
	}
	for (struct node *c = n->child; c; c = c->next) {
		if (!c->live)
			continue;
		if (depth == cap) {
			cap = cap ? cap * 2 : 64;
			stack = bh_reallocarray(stack, cap, sizeof(*stack));
		}
		stack[depth++] = c;
	}
	while (depth) {
		struct node *x = stack[--depth];

		x->live = false;
		bh_map_del(t->map, x->f.path, strlen(x->f.path));
		for (struct node *c = x->child; c; c = c->next) {
			if (!c->live)
				continue;
			if (depth == cap) {
				cap = cap * 2;
				stack = bh_reallocarray(stack, cap, sizeof(*stack));
			}
			stack[depth++] = c;
		}
	}
	n->child = keep_self ? NULL : n->child;
	free(stack);
}

static struct node *lookup(struct tree *t, const char *path, size_t len)
{
	if (len == 0)
		return &t->root;
	return bh_map_get(t->map, path, len);
}

/* The directory node for `path` (len bytes), made (implicitly) if missing. */
static struct node *ensure_dir(struct tree *t, const char *path, size_t len, unsigned layer)
{
	struct node *n = lookup(t, path, len), *parent;
	const char *slash;
	struct bh_file f;

	if (n && n->f.type == BH_FT_DIR)
		return n;
	if (n)
		remove_tree(t, n, false); /* a non-directory in the way */
	slash = memrchr(path, '/', len);
	parent = ensure_dir(t, path, slash ? (size_t)(slash - path) : 0, layer);
	memset(&f, 0, sizeof(f));
	f.path = bh_strndup(path, len);
	f.type = BH_FT_DIR;
	f.mode = 0755;
	f.layer = layer;
	return node_new(t, parent, &f);
}

static int add(struct tree *t, struct bh_file *f, struct bh_error **err)
{
	size_t len = strlen(f->path);
	const char *slash;
	struct node *parent, *old;

	if (len == 0) {
		/* the root itself: metadata only */
		free(t->root.f.path);
		free(t->root.f.link);
		t->root.f = *f;
		t->root.f.type = BH_FT_DIR;
		return 0;
	}
	if (f->type == BH_FT_HARDLINK) {
		/* The target must already be in the filesystem, and not a directory. */
		struct node *target = lookup(t, f->link, strlen(f->link));

		if (!target || target->f.type == BH_FT_DIR)
			return bh_error_set(err, BH_ERR_INVALID,
					    "layer %u: hard link '%.200s' to '%.200s': %s",
					    f->layer + 1, f->path, f->link,
					    target ? "a directory" : "no such file in the image");
	}
	old = lookup(t, f->path, len);
	if (old && old->f.type == BH_FT_DIR && f->type == BH_FT_DIR) {
		file_release(&old->f);
		old->f = *f;
		return 0;
	}
	if (old)
		remove_tree(t, old, false);
	slash = memrchr(f->path, '/', len);
	parent = ensure_dir(t, f->path, slash ? (size_t)(slash - f->path) : 0, f->layer);
	node_new(t, parent, f);
	return 0;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct bh_file *)a)->path, ((const struct bh_file *)b)->path);
}

static int collect_layers(struct bh_image *img, unsigned threads, const bool *mask,
			  struct collect *c, struct bh_error **err)
{
	struct bh_walk_opts o = { .threads = threads, .layer_mask = mask };

	c->layers = bh_calloc(img->nlayers + 1, sizeof(*c->layers));
	return bh_image_walk(img, &o, collect_entry, c, err);
}

static void free_collect(struct bh_image *img, struct collect *c)
{
	for (size_t i = 0; i < img->nlayers; i++) {
		for (size_t j = 0; j < c->layers[i].n; j++)
			file_release(&c->layers[i].v[j]);
		free(c->layers[i].v);
	}
	free(c->layers);
}

/* Merge per-layer lists (taking their strings) into the final filesystem. */
static int merge_lists(struct list *layers, size_t nlayers, struct bh_fileset **out,
		       struct bh_error **err)
{
	struct tree t = { 0 };
	struct bh_fileset *fs = NULL;
	size_t k = 0;
	int r = -1;

	t.map = bh_map_new();
	t.root.f.path = bh_strdup("");
	t.root.f.type = BH_FT_DIR;
	t.root.f.mode = 0755;
	t.root.live = true;
	for (size_t i = 0; i < nlayers; i++) {
		struct list *l = &layers[i];

		/* A layer's whiteouts hide what the layers below it hold... */
		for (size_t j = 0; j < l->n; j++) {
			struct bh_file *f = &l->v[j];
			struct node *n;

			if (f->type != BH_FT_WHITEOUT && f->type != BH_FT_OPAQUE)
				continue;
			n = lookup(&t, f->path, strlen(f->path));
			if (n)
				remove_tree(&t, n, f->type == BH_FT_OPAQUE || n == &t.root);
		}
		/* ... then its own entries apply. */
		for (size_t j = 0; j < l->n; j++) {
			struct bh_file *f = &l->v[j];

			if (f->type == BH_FT_WHITEOUT || f->type == BH_FT_OPAQUE)
				continue;
			if (add(&t, f, err) < 0)
				goto out;
			memset(f, 0, sizeof(*f)); /* the tree owns the strings now */
		}
	}
	fs = bh_calloc(1, sizeof(*fs));
	fs->files = bh_calloc(bh_map_size(t.map) + 1, sizeof(*fs->files));
	for (size_t i = 0; i < t.nall; i++) {
		struct node *n = t.all[i];

		if (n->live) {
			fs->files[k++] = n->f;
			memset(&n->f, 0, sizeof(n->f));
		}
	}
	fs->nfiles = k;
	qsort(fs->files, fs->nfiles, sizeof(*fs->files), cmp_path);
	*out = fs;
	r = 0;
out:
	for (size_t i = 0; i < t.nall; i++) {
		file_release(&t.all[i]->f);
		free(t.all[i]);
	}
	free(t.all);
	file_release(&t.root.f);
	bh_map_free(t.map, NULL);
	return r;
}

int bh_image_merged(struct bh_image *img, unsigned threads, struct bh_fileset **out,
		    struct bh_error **err)
{
	struct collect c = { 0 };
	int r = -1;

	*out = NULL;
	if (collect_layers(img, threads, NULL, &c, err) == 0)
		r = merge_lists(c.layers, img->nlayers, out, err);
	free_collect(img, &c);
	return r;
}

/* ---- the merged view as a consumer of a shared walk ---------------------- */

struct bh_merge {
	struct collect c;
	size_t nlayers;
	struct bh_consumer consumer;
};

static int merge_entry(const struct bh_entry *e, void *data, struct bh_error **err)
{
	return collect_entry(e, NULL, data, err);
}

struct bh_merge *bh_merge_new(const struct bh_image *img)
{
	struct bh_merge *m = bh_calloc(1, sizeof(*m));

	m->nlayers = img->nlayers;
	m->c.layers = bh_calloc(img->nlayers + 1, sizeof(*m->c.layers));
	m->consumer.data = &m->c;
	m->consumer.entry = merge_entry;
	return m;
}

struct bh_consumer *bh_merge_consumer(struct bh_merge *m)
{
	return &m->consumer;
}

int bh_merge_finish(struct bh_merge *m, struct bh_fileset **out, struct bh_error **err)
{
	*out = NULL;
	return merge_lists(m->c.layers, m->nlayers, out, err);
}

void bh_merge_free(struct bh_merge *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nlayers; i++) {
		for (size_t j = 0; j < m->c.layers[i].n; j++)
			file_release(&m->c.layers[i].v[j]);
		free(m->c.layers[i].v);
	}
	free(m->c.layers);
	free(m);
}

int bh_image_layer_changes(struct bh_image *img, unsigned layer, struct bh_fileset **out,
			   struct bh_error **err)
{
	struct collect c = { 0 };
	struct bh_fileset *fs;
	bool *mask;
	int r;

	*out = NULL;
	if (layer >= img->nlayers)
		return bh_error_set(err, BH_ERR_USAGE,
				    "the image has %zu layers, there is no layer %u", img->nlayers,
				    layer + 1);
	mask = bh_calloc(img->nlayers, sizeof(*mask));
	mask[layer] = true;
	r = collect_layers(img, 1, mask, &c, err);
	free(mask);
	if (r < 0) {
		free_collect(img, &c);
		return -1;
	}
	fs = bh_calloc(1, sizeof(*fs));
	fs->files = c.layers[layer].v;
	fs->nfiles = c.layers[layer].n;
	c.layers[layer].v = NULL;
	c.layers[layer].n = 0;
	free_collect(img, &c);
	*out = fs;
	return 0;
}
