/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A layer's docs in the layer cache (see include/bulkhead/image.h): each
 * recognised file of the layer with what its cataloger found, exactly as the
 * walk left it, so that bh_inventory_finish gives the same inventory from a
 * loaded layer as from a read one. The loader is a parser of bytes from a
 * file: counts and strings bounded, the cataloger named by a known row.
 */
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "banned.h"

#define MAX_STR	 (64u << 10) /* any one string kept of a package or a doc */
#define MAX_DOCS 1000000u

static void pack_strv(struct bh_pack *w, char *const *v)
{
	size_t n = bh_strv_len(v);

	bh_pack_u64(w, v ? (uint64_t)n + 1 : 0);
	for (size_t i = 0; i < n; i++)
		bh_pack_str(w, v[i]);
}

static char **unpack_strv(struct bh_unpack *r)
{
	size_t n = bh_unpack_count(r, (size_t)INV_MAX_LIST + 1);
	char **v;

	if (r->failed || n == 0)
		return NULL;
	v = bh_calloc(n, sizeof(*v));
	for (size_t i = 0; i + 1 < n && !r->failed; i++)
		v[i] = bh_unpack_str_nn(r, MAX_STR);
	return v;
}

static void pack_os(struct bh_pack *w, const struct bh_os *os)
{
	bh_pack_str(w, os->id);
	bh_pack_str(w, os->version_id);
	bh_pack_str(w, os->version_codename);
	bh_pack_str(w, os->pretty_name);
	bh_pack_str(w, os->ecosystem);
	bh_pack_str(w, os->source);
}

static void unpack_os(struct bh_unpack *r, struct bh_os *os)
{
	os->id = bh_unpack_str(r, MAX_STR);
	os->version_id = bh_unpack_str(r, MAX_STR);
	os->version_codename = bh_unpack_str(r, MAX_STR);
	os->pretty_name = bh_unpack_str(r, MAX_STR);
	os->ecosystem = bh_unpack_str(r, MAX_STR);
	os->source = bh_unpack_str(r, MAX_STR);
}

static void pack_pkg(struct bh_pack *w, const struct bh_package *p)
{
	bh_pack_u64(w, (uint64_t)p->type);
	bh_pack_str(w, p->ecosystem);
	bh_pack_str(w, p->name);
	bh_pack_str(w, p->version);
	bh_pack_str(w, p->source_name);
	bh_pack_str(w, p->source_version);
	bh_pack_str(w, p->arch);
	bh_pack_str(w, p->purl);
	pack_strv(w, p->licenses);
	bh_pack_str(w, p->path);
	bh_pack_u64(w, p->dev);
	bh_pack_str(w, p->id);
	pack_strv(w, p->depends);
	pack_strv(w, p->provides);
	bh_pack_str(w, p->install_path);
}

static void unpack_pkg(struct bh_unpack *r, unsigned layer, struct bh_package *p)
{
	uint64_t type = bh_unpack_u64(r, BH_PKG_JAVA);

	if (type < BH_PKG_DPKG)
		r->failed = true; /* not a package type */
	p->type = (enum bh_pkg_type)type;
	p->ecosystem = bh_unpack_str(r, MAX_STR);
	p->name = bh_unpack_str(r, MAX_STR);
	p->version = bh_unpack_str(r, MAX_STR);
	p->source_name = bh_unpack_str(r, MAX_STR);
	p->source_version = bh_unpack_str(r, MAX_STR);
	p->arch = bh_unpack_str(r, MAX_STR);
	p->purl = bh_unpack_str(r, MAX_STR);
	p->licenses = unpack_strv(r);
	p->path = bh_unpack_str(r, MAX_STR);
	p->layer = layer;
	p->dev = bh_unpack_u64(r, 1) != 0;
	p->id = bh_unpack_str(r, MAX_STR);
	p->depends = unpack_strv(r);
	p->provides = unpack_strv(r);
	p->install_path = bh_unpack_str(r, MAX_STR);
}

int inv_cache_save(const struct inv_layer *ls, struct bh_buf *out, struct bh_error **err)
{
	struct bh_pack w = { out, false };

	bh_pack_u64(&w, ls->ndocs);
	for (size_t i = 0; i < ls->ndocs; i++) {
		const struct inv_doc *d = &ls->docs[i];

		bh_pack_str(&w, d->path);
		bh_pack_str(&w, d->cat->name);
		pack_os(&w, &d->os);
		bh_pack_str(&w, d->warning);
		bh_pack_u64(&w, d->pkgs.n);
		for (size_t k = 0; k < d->pkgs.n; k++)
			pack_pkg(&w, &d->pkgs.v[k]);
	}
	if (w.failed)
		return bh_error_set(err, BH_ERR_LIMIT, "the layer's packages exceed %zu bytes",
				    out->max);
	return 0;
}

int inv_cache_load(struct inv_layer *ls, unsigned layer, const void *p, size_t n,
		   struct bh_error **err)
{
	struct bh_unpack r;
	struct inv_doc *docs;
	size_t ndocs, i;

	bh_unpack_init(&r, p, n);
	ndocs = bh_unpack_count(&r, MAX_DOCS);
	docs = bh_calloc(ndocs + 1, sizeof(*docs));
	for (i = 0; i < ndocs && !r.failed; i++) {
		struct inv_doc *d = &docs[i];
		char *cat;
		size_t npkgs;

		d->path = bh_unpack_str_nn(&r, MAX_STR);
		d->layer = layer;
		d->seq = i; /* archive order, as the walk numbered them */
		cat = bh_unpack_str_nn(&r, 64);
		d->cat = cat ? inv_cataloger_named(cat) : NULL;
		free(cat);
		if (!d->cat)
			r.failed = true;
		unpack_os(&r, &d->os);
		d->warning = bh_unpack_str(&r, MAX_STR);
		npkgs = bh_unpack_count(&r, INV_MAX_PKGS);
		for (size_t k = 0; k < npkgs && !r.failed; k++)
			unpack_pkg(&r, layer, bh_pkglist_add(&d->pkgs));
	}
	if (!bh_unpack_done(&r)) {
		for (size_t k = 0; k < ndocs; k++)
			inv_doc_release(&docs[k]);
		free(docs);
		return bh_error_set(err, BH_ERR_INVALID, "the stored packages are malformed");
	}
	for (size_t k = 0; k < ls->ndocs; k++)
		inv_doc_release(&ls->docs[k]);
	free(ls->docs);
	ls->docs = docs;
	ls->ndocs = ls->cap = ndocs;
	return 0;
}
