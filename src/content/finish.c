/* SPDX-License-Identifier: Apache-2.0 */
/*
 * After the walk: the configuration checks over the merged view, ClamAV,
 * and every layer's hits followed across the layers. Hits with the same
 * (ID, fingerprint, path) in successive layers are one finding, added in
 * the first, removed where a later layer deletes or replaces the path
 * (worked out from every layer's entries, kept as 64-bit path hashes) — or
 * still there.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/content.h"
#include "internal.h"
#include "banned.h"

/* Does layer L delete or replace path p (a whiteout of it or a parent, an
 * opaque parent, an entry at it, a non-directory at a parent)? */
static bool removed_in(const struct bh_content *c, const struct lstate *l, const char *p)
{
	size_t n = strlen(p);
	uint64_t h = content_path_hash(c->seed, p, n);

	if (content_u64v_has(&l->nondirs, h) || content_u64v_has(&l->dirs, h) ||
	    content_u64v_has(&l->whs, h))
		return true;
	for (size_t i = n; i-- > 0;) {
		if (p[i] != '/')
			continue;
		h = content_path_hash(c->seed, p, i);
		if (content_u64v_has(&l->whs, h) || content_u64v_has(&l->opqs, h) ||
		    content_u64v_has(&l->nondirs, h))
			return true;
	}
	return false;
}

static int removal_layer(const struct bh_content *c, unsigned from, const char *p)
{
	for (size_t l = (size_t)from + 1; l < c->nlayers; l++)
		if (c->layers[l] && removed_in(c, c->layers[l], p))
			return (int)l;
	return -1;
}

static int cmp_hit(const void *pa, const void *pb)
{
	const struct hit *a = *(struct hit *const *)pa, *b = *(struct hit *const *)pb;
	int r;

	if ((r = strcmp(a->id, b->id)) || (r = strcmp(a->fp, b->fp)) ||
	    (r = strcmp(a->path, b->path)))
		return r;
	if (a->layer != b->layer)
		return a->layer < b->layer ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

struct outref {
	struct hit *h;
	int removed;
	size_t pkg; /* the package that installed the file unchanged, or SIZE_MAX */
};

static int cmp_out(const void *pa, const void *pb)
{
	const struct outref *a = pa, *b = pb;
	int r;

	if (a->h->layer != b->h->layer)
		return a->h->layer < b->h->layer ? -1 : 1;
	if ((r = strcmp(a->h->path, b->h->path)))
		return r;
	if (a->h->line != b->h->line)
		return a->h->line < b->h->line ? -1 : 1;
	return strcmp(a->h->id, b->h->id);
}

/* The title and description words of a secret in a package's own file. */
static void describe_packaged(const struct bh_package *p, char **title, struct bh_buf *d)
{
	char *t = bh_asprintf("%s [package %s, unchanged]", *title, p->name);

	free(*title);
	*title = t;
	bh_buf_addf(d, NULL,
		    "; package %s %s (%s) installed the file with this content (%s), so it is "
		    "the distribution's example or test data rather than a secret the image's "
		    "author added",
		    p->name, p->version ? p->version : "", bh_pkg_type_name(p->type),
		    p->type == BH_PKG_APK ? "its checksum in the apk database matches"
					  : "its md5sums entry matches");
}

void content_hits_to_findings(const struct bh_content *c, struct hit *const *v, size_t n,
			      const int *removed, const size_t *pkgs,
			      const struct bh_inventory *inv, struct bh_findings *out)
{
	for (size_t i = 0; i < n; i++) {
		const struct hit *h = v[i];
		const struct bh_package *p = NULL;
		struct bh_finding *f;
		struct bh_buf d = BH_BUF_INIT(TEXT_MAX);

		if (content_skipped(c, h->id))
			continue;
		if (pkgs && inv && pkgs[i] < inv->npkgs)
			p = &inv->pkgs[pkgs[i]];
		f = bh_findings_add(out);
		f->id = bh_strdup(h->id);
		f->kind = h->kind;
		f->severity = p ? BH_SEV_LOW : h->severity;
		f->layer = (int)h->layer;
		f->removed_layer = removed[i];
		f->path = bh_asprintf("/%s", h->path);
		f->line = h->line;
		f->pkg = p ? pkgs[i] : h->pkg;
		f->countermeasure = bh_strdup(h->countermeasure ? h->countermeasure : "4.1.4");
		f->remediation = h->remediation ? bh_strdup(h->remediation) : NULL;
		f->title = bh_strdup(h->title);
		{
			const char *t = h->description ? h->description : h->title;
			size_t tl = strlen(t);

			while (tl && t[tl - 1] == '.')
				tl--;
			bh_buf_addf(&d, NULL, "%.*s. In /%s", (int)tl, t, h->path);
		}
		if (h->line > 0)
			bh_buf_addf(&d, NULL, " line %ld", h->line);
		bh_buf_addf(&d, NULL, ", added in layer %u", h->layer + 1);
		if (p)
			describe_packaged(p, &f->title, &d);
		if (removed[i] >= 0) {
			char *t = bh_asprintf("%s [deleted in layer %d, still in layer %u]",
					      f->title, removed[i] + 1, h->layer + 1);

			free(f->title);
			f->title = t;
			bh_buf_addf(&d, NULL,
				    "; layer %d deletes or replaces the file, but it is still "
				    "recoverable from the image (layer %u is part of it)",
				    removed[i] + 1, h->layer + 1);
		}
		bh_buf_adds(&d, ".", NULL);
		f->description = bh_buf_detach(&d, NULL);
	}
}

static bool skipped_cb(const void *ctx, const char *id)
{
	return content_skipped(ctx, id);
}

/* Every layer's captures and hashes, borrowed into one list each. */
static void gather(const struct bh_content *c, struct capturelist *caps, struct hashedlist *hashes)
{
	for (size_t i = 0; i < c->nlayers; i++) {
		const struct lstate *l = c->layers[i];

		if (!l)
			continue;
		for (size_t k = 0; k < l->caps.n; k++) {
			if (caps->n == caps->cap) {
				caps->cap = caps->cap ? caps->cap * 2 : 64;
				caps->v = bh_reallocarray(caps->v, caps->cap, sizeof(*caps->v));
			}
			caps->v[caps->n++] = l->caps.v[k];
		}
		for (size_t k = 0; k < l->hashes.n; k++) {
			if (hashes->n == hashes->cap) {
				hashes->cap = hashes->cap ? hashes->cap * 2 : 64;
				hashes->v =
					bh_reallocarray(hashes->v, hashes->cap, sizeof(*hashes->v));
			}
			hashes->v[hashes->n++] = l->hashes.v[k];
		}
	}
}

/*
 * Group all[] (sorted by cmp_hit) by (id, fingerprint, path) into refs:
 * the first hit of each group, where it was removed, and the package that
 * installed every file of the group unchanged (SIZE_MAX when one was not).
 * Returns the number of groups.
 */
static size_t group(const struct bh_content *c, struct hit *const *all, size_t nall,
		    const struct content_pkgfiles *pf, struct outref *refs)
{
	size_t nrefs = 0;

	for (size_t i = 0; i < nall;) {
		size_t j = i + 1, pkg = content_pkgfiles_owner(pf, all[i]);
		unsigned cur = all[i]->layer;
		int rem = removal_layer(c, cur, all[i]->path);

		/* The same secret again at the same path: in the same layer (another
		 * line), or written again by the layer that replaced the file. */
		while (j < nall && !strcmp(all[j]->id, all[i]->id) &&
		       !strcmp(all[j]->fp, all[i]->fp) && !strcmp(all[j]->path, all[i]->path)) {
			if (all[j]->layer == cur) {
				j++;
			} else if (rem >= 0 && all[j]->layer == (unsigned)rem) {
				cur = (unsigned)rem;
				rem = removal_layer(c, cur, all[j]->path);
				if (pkg != content_pkgfiles_owner(pf, all[j]))
					pkg = SIZE_MAX;
				j++;
			} else {
				break;
			}
		}
		refs[nrefs].h = all[i];
		refs[nrefs].removed = rem;
		refs[nrefs].pkg = all[i]->kind == BH_FIND_SECRET ? pkg : SIZE_MAX;
		nrefs++;
		i = j;
	}
	return nrefs;
}

int bh_content_finish(struct bh_content *c, const struct bh_fileset *merged,
		      const struct bh_inventory *inv, struct bh_findings *out,
		      struct bh_error **err)
{
	struct capturelist caps = { 0 };
	struct hashedlist hashes = { 0 };
	struct hitlist extra = { 0 };
	struct hit **all = NULL, **v = NULL;
	struct outref *refs = NULL;
	struct content_pkgfiles *pf = NULL;
	size_t nall = 0, nrefs = 0, n = 0, *pkgs = NULL;
	int rc = -1, *rem = NULL;

	if (c->finished)
		return bh_error_set(err, BH_ERR_USAGE, "bh_content_finish called twice");
	c->finished = true;
	gather(c, &caps, &hashes);
	if (c->o.config) {
		struct checks_in in = { 0 };

		in.img = c->img;
		in.o = &c->o;
		in.merged = merged;
		in.inv = inv;
		in.caps = &caps;
		in.hashes = &hashes;
		in.value_secret = content_value_secret;
		in.vctx = c;
		if (content_checks_run(&in, skipped_cb, c, out, err) < 0)
			goto out;
		for (size_t i = 0; i < caps.n; i++)
			if (caps.v[i].kind == CAP_CRED)
				content_checks_cred_file(&caps.v[i], &extra);
	}
	if (c->clam && content_clam_run(c->clam, &extra, err) < 0)
		goto out;
	/* Group the hits of every layer by (id, fingerprint, path), in layer order. */
	for (size_t i = 0; i < c->nlayers; i++)
		if (c->layers[i])
			nall += c->layers[i]->hits.n;
	nall += extra.n;
	all = bh_calloc(nall + 1, sizeof(*all));
	nall = 0;
	for (size_t i = 0; i < c->nlayers; i++)
		for (size_t k = 0; c->layers[i] && k < c->layers[i]->hits.n; k++)
			all[nall++] = &c->layers[i]->hits.v[k];
	for (size_t k = 0; k < extra.n; k++)
		all[nall++] = &extra.v[k];
	if (nall > 1)
		qsort(all, nall, sizeof(*all), cmp_hit);
	pf = content_pkgfiles_new(&caps, merged, inv, all, nall);
	refs = bh_calloc(nall + 1, sizeof(*refs));
	nrefs = group(c, all, nall, pf, refs);
	if (nrefs > 1)
		qsort(refs, nrefs, sizeof(*refs), cmp_out);
	v = bh_calloc(nrefs + 1, sizeof(*v));
	rem = bh_calloc(nrefs + 1, sizeof(*rem));
	pkgs = bh_calloc(nrefs + 1, sizeof(*pkgs));
	for (size_t i = 0; i < nrefs; i++) {
		/* A package's own file: its secret is left out unless asked for. */
		if (refs[i].pkg != SIZE_MAX && !content_skipped(c, refs[i].h->id)) {
			c->stats.packaged++;
			if (!c->o.secret_include_packaged)
				continue;
		}
		v[n] = refs[i].h;
		rem[n] = refs[i].removed;
		pkgs[n] = refs[i].pkg;
		n++;
	}
	if (c->stats.packaged)
		bh_info("secrets: %llu found in files that packages installed unchanged: %s",
			(unsigned long long)c->stats.packaged,
			c->o.secret_include_packaged ? "reported as LOW"
						     : "left out (--secret-include-packaged "
						       "reports them)");
	content_hits_to_findings(c, v, n, rem, pkgs, inv, out);
	rc = 0;
out:
	content_pkgfiles_free(pf);
	free(all);
	free(refs);
	free(v);
	free(rem);
	free(pkgs);
	free(caps.v);
	free(hashes.v);
	content_hitlist_release(&extra);
	return rc;
}
