/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From live docs to the inventory's package list: the packages of every
 * live doc (with its warning); lockfile entries dropped where a package is
 * installed at their place (which takes their dev flag); each package's
 * layer (attribution.c); OS packages given the OS's ecosystem and purl;
 * sorted, exact duplicates merged (keeping the earliest layer); ids and the
 * dependency graph (graph.c).
 */
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "banned.h"

struct cand {
	struct bh_package p;
	struct inv_doc *doc;
	size_t group;
};

struct clist {
	struct cand *v;
	size_t n, cap;
};

static struct cand *cand_add(struct clist *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = bh_reallocarray(l->v, l->cap, sizeof(*l->v));
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

static int cmp_pkg(const void *a, const void *b)
{
	const struct bh_package *x = a, *y = b;
	int c;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if ((c = strcmp(x->ecosystem ? x->ecosystem : "", y->ecosystem ? y->ecosystem : "")))
		return c;
	if ((c = strcmp(x->name, y->name)))
		return c;
	if ((c = strcmp(x->version, y->version)))
		return c;
	if ((c = strcmp(x->path, y->path)))
		return c;
	return strcmp(x->arch ? x->arch : "", y->arch ? y->arch : "");
}

static void warn(struct bh_inventory *inv, const char *msg)
{
	if (!bh_strv_contains(inv->warnings, msg))
		inv_strv_add(&inv->warnings, msg);
}

static char *dir_key(const struct cand *c)
{
	char *dir = c->doc->cat->install_dir(&c->p), *k;

	k = bh_asprintf("%d|%s", (int)c->p.type, dir);
	free(dir);
	return k;
}

/* Lockfile entries where a package is installed at their place go; the
 * installed one takes their dev flag. */
static void drop_locked(struct clist *cl)
{
	struct bh_map *installed = bh_map_new(); /* "type|dir" -> cand index + 1 */

	for (size_t i = 0; i < cl->n; i++) {
		const struct inv_cataloger *cat = cl->v[i].doc->cat;
		char *k;

		if (!cat->install_dir || (cat->flags & INV_CAT_LOCKFILE))
			continue;
		k = dir_key(&cl->v[i]);
		bh_map_put(installed, k, strlen(k), (void *)(uintptr_t)(i + 1));
		free(k);
	}
	for (size_t i = 0; i < cl->n; i++) {
		struct cand *c = &cl->v[i];
		uintptr_t at;
		char *k;

		if (!(c->doc->cat->flags & INV_CAT_LOCKFILE) || !c->doc->cat->install_dir)
			continue;
		k = dir_key(c);
		at = (uintptr_t)bh_map_get(installed, k, strlen(k));
		free(k);
		if (at) {
			if (c->p.dev)
				cl->v[at - 1].p.dev = true;
			bh_package_release(&c->p);
		}
	}
	bh_map_free(installed, NULL);
}

void inv_resolve(struct bh_inventory_collector *c, struct bh_inventory *inv,
		 const struct inv_doc *os_doc)
{
	struct inv_groups groups = { 0 };
	struct clist cl = { 0 };
	size_t k = 0;
	bool os_pkgs = false;

	/* attribution groups, in layer then archive order, before packages move */
	for (size_t i = 0; i < c->img->nlayers; i++)
		for (size_t j = 0; j < c->layers[i].ndocs; j++) {
			struct inv_doc *d = &c->layers[i].docs[j];
			size_t g = inv_groups_add(&groups, d);

			if (!d->live)
				continue;
			if (d->warning)
				warn(inv, d->warning);
			for (size_t n = 0; n < d->pkgs.n; n++) {
				struct cand *x = cand_add(&cl);

				x->p = d->pkgs.v[n];
				x->doc = d;
				x->group = g;
			}
		}
	/* the packages now belong to the candidates (the docs keep their keys) */
	for (size_t i = 0; i < cl.n; i++)
		cl.v[i].doc->pkgs.n = 0;
	drop_locked(&cl);
	for (size_t i = 0; i < cl.n; i++) {
		struct cand *x = &cl.v[i];

		if (!x->p.name)
			continue;
		x->p.layer = inv_first_layer(&groups.v[x->group], x->doc, &x->p);
		if (x->doc->cat->flags & INV_CAT_OS_PKGS) {
			const char *eco = inv->os.ecosystem;

			free(x->p.ecosystem);
			x->p.ecosystem =
				eco || x->doc->cat->fallback_ecosystem
					? bh_strdup(eco ? eco : x->doc->cat->fallback_ecosystem)
					: NULL;
			free(x->p.purl);
			x->p.purl = inv_os_purl(&x->p, os_doc ? &inv->os : NULL);
			os_pkgs = true;
		}
		free(x->p.install_path);
		x->p.install_path = NULL;
	}
	/* the final list, sorted, without exact duplicates */
	inv->pkgs = bh_calloc(cl.n + 1, sizeof(*inv->pkgs));
	for (size_t i = 0; i < cl.n; i++)
		if (cl.v[i].p.name)
			inv->pkgs[k++] = cl.v[i].p;
	qsort(inv->pkgs, k, sizeof(*inv->pkgs), cmp_pkg);
	inv->npkgs = 0;
	for (size_t i = 0; i < k; i++) {
		if (inv->npkgs && !cmp_pkg(&inv->pkgs[inv->npkgs - 1], &inv->pkgs[i])) {
			struct bh_package *prev = &inv->pkgs[inv->npkgs - 1];

			if (inv->pkgs[i].layer < prev->layer)
				prev->layer = inv->pkgs[i].layer;
			bh_package_release(&inv->pkgs[i]);
			continue;
		}
		inv->pkgs[inv->npkgs++] = inv->pkgs[i];
	}
	inv_assign_ids(inv);
	inv_resolve_depends(inv);
	if (os_pkgs && !inv->os.ecosystem)
		warn(inv, "the operating system was not identified (no usable /etc/os-release): OS "
			  "packages carry a generic ecosystem");
	inv_groups_release(&groups);
	free(cl.v);
}
