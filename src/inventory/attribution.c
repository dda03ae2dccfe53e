/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Layer attribution: the layer a package came in with. Docs form groups: all
 * the databases of one OS package cataloger (a package may move between
 * dpkg's status and status.d), else one cataloger and one path. A package
 * of a live doc is attributed to the earliest layer from which its
 * name+version(+arch) was present in the group without a break up to the
 * doc's layer: a database rewritten in every layer does not make every
 * package new in the last one.
 */
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "banned.h"

static char *pkg_key(const struct bh_package *p)
{
	return bh_asprintf("%s%c%s%c%s", p->name, 0, p->version, 0, p->arch ? p->arch : "");
}

static size_t key_len(const struct bh_package *p)
{
	return strlen(p->name) + 1 + strlen(p->version) + 1 + (p->arch ? strlen(p->arch) : 0);
}

/* The package keys of d, built once (before its packages are taken). */
static void index_keys(struct inv_doc *d)
{
	if (d->keys)
		return;
	d->keys = bh_map_new();
	for (size_t i = 0; i < d->pkgs.n; i++) {
		char *k = pkg_key(&d->pkgs.v[i]);

		bh_map_put(d->keys, k, key_len(&d->pkgs.v[i]), (void *)1);
		free(k);
	}
}

static char *group_key(const struct inv_doc *d)
{
	if (d->cat->flags & INV_CAT_OS_PKGS)
		return bh_asprintf("#%s", d->cat->name);
	return bh_asprintf("%s|%s", d->cat->name, d->path);
}

size_t inv_groups_add(struct inv_groups *g, struct inv_doc *d)
{
	char *key = group_key(d);
	size_t gi;
	struct inv_group *grp;

	if (!g->index)
		g->index = bh_map_new();
	gi = (size_t)(uintptr_t)bh_map_get(g->index, key, strlen(key));
	if (!gi) {
		g->v = bh_reallocarray(g->v, g->n + 1, sizeof(*g->v));
		memset(&g->v[g->n], 0, sizeof(*g->v));
		gi = ++g->n;
		bh_map_put(g->index, key, strlen(key), (void *)(uintptr_t)gi);
	}
	free(key);
	grp = &g->v[gi - 1];
	if (grp->n == grp->cap) {
		grp->cap = grp->cap ? grp->cap * 2 : 4;
		grp->v = bh_reallocarray(grp->v, grp->cap, sizeof(*grp->v));
	}
	grp->v[grp->n++] = d;
	/* a group of two docs or more is searched by key later */
	if (grp->n == 2)
		index_keys(grp->v[0]);
	if (grp->n >= 2)
		index_keys(d);
	return gi - 1;
}

/*
 * Whether the package (key) was present, as of layer `l`, in group g: in the
 * latest version (layer <= l) of some path of the group.
 */
static bool present_at(const struct inv_group *g, unsigned l, const char *key, size_t klen)
{
	for (size_t i = 0; i < g->n; i++) {
		struct inv_doc *d = g->v[i];
		bool latest = d->layer <= l;

		for (size_t j = i + 1; latest && j < g->n && g->v[j]->layer <= l; j++)
			if (!strcmp(g->v[j]->path, d->path))
				latest = false;
		if (latest && bh_map_get(d->keys, key, klen))
			return true;
	}
	return false;
}

unsigned inv_first_layer(const struct inv_group *g, struct inv_doc *d, const struct bh_package *p)
{
	unsigned layer = d->layer;
	char *key;
	size_t klen;

	if (g->n < 2)
		return layer;
	key = pkg_key(p);
	klen = key_len(p);
	while (layer > 0) {
		/* the next lower layer in which the group changed */
		bool found = false;
		unsigned prev = 0;

		for (size_t i = 0; i < g->n; i++)
			if (g->v[i]->layer < layer && (!found || g->v[i]->layer > prev)) {
				prev = g->v[i]->layer;
				found = true;
			}
		if (!found || !present_at(g, prev, key, klen))
			break;
		layer = prev;
	}
	free(key);
	return layer;
}

void inv_groups_release(struct inv_groups *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i].v);
	free(g->v);
	bh_map_free(g->index, NULL);
	memset(g, 0, sizeof(*g));
}
