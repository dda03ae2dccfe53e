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

void content_hits_to_findings(const struct bh_content *c, struct hit *const *v, size_t n,
			      const int *removed, struct bh_findings *out)
{
	for (size_t i = 0; i < n; i++) {
		const struct hit *h = v[i];
		struct bh_finding *f;
		struct bh_buf d = BH_BUF_INIT(TEXT_MAX);

		if (content_skipped(c, h->id))
			continue;
		f = bh_findings_add(out);
		f->id = bh_strdup(h->id);
		f->kind = h->kind;
		f->severity = h->severity;
		f->layer = (int)h->layer;
		f->removed_layer = removed[i];
		f->path = bh_asprintf("/%s", h->path);
		f->line = h->line;
		f->pkg = h->pkg;
		f->countermeasure = bh_strdup(h->countermeasure ? h->countermeasure : "4.1.4");
		f->remediation = h->remediation ? bh_strdup(h->remediation) : NULL;
		if (removed[i] >= 0)
			f->title = bh_asprintf("%s [deleted in layer %d, still in layer %u]",
					       h->title, removed[i] + 1, h->layer + 1);
		else
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
		if (removed[i] >= 0)
			bh_buf_addf(&d, NULL,
				    "; layer %d deletes or replaces the file, but it is still "
				    "recoverable from the image (layer %u is part of it)",
				    removed[i] + 1, h->layer + 1);
		bh_buf_adds(&d, ".", NULL);
		f->description = bh_buf_detach(&d, NULL);
	}
}
static bool skipped_cb(const void *ctx, const char *id)
{
	return content_skipped(ctx, id);
}

int bh_content_finish(struct bh_content *c, const struct bh_fileset *merged,
		      const struct bh_inventory *inv, struct bh_findings *out,
		      struct bh_error **err)
{
	struct capturelist caps = { 0 };
	struct hashedlist hashes = { 0 };
	struct hitlist extra = { 0 };
	struct hit **all = NULL;
	struct outref *refs = NULL;
	size_t nall = 0, nrefs = 0;
	int rc = -1;

	if (c->finished)
		return bh_error_set(err, BH_ERR_USAGE, "bh_content_finish called twice");
	c->finished = true;
	/* Every layer's captures and hashes, borrowed into one list each. */
	for (size_t i = 0; i < c->nlayers; i++) {
		struct lstate *l = c->layers[i];

		if (!l)
			continue;
		for (size_t k = 0; k < l->caps.n; k++) {
			if (caps.n == caps.cap) {
				caps.cap = caps.cap ? caps.cap * 2 : 64;
				caps.v = bh_reallocarray(caps.v, caps.cap, sizeof(*caps.v));
			}
			caps.v[caps.n++] = l->caps.v[k];
		}
		for (size_t k = 0; k < l->hashes.n; k++) {
			if (hashes.n == hashes.cap) {
				hashes.cap = hashes.cap ? hashes.cap * 2 : 64;
				hashes.v = bh_reallocarray(hashes.v, hashes.cap, sizeof(*hashes.v));
			}
			hashes.v[hashes.n++] = l->hashes.v[k];
		}
	}
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
	refs = bh_calloc(nall + 1, sizeof(*refs));
	for (size_t i = 0; i < nall;) {
		size_t j = i + 1;
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
				j++;
			} else {
				break;
			}
		}
		refs[nrefs].h = all[i];
		refs[nrefs].removed = rem;
		nrefs++;
		i = j;
	}
	if (nrefs > 1)
		qsort(refs, nrefs, sizeof(*refs), cmp_out);
	{
		struct hit **v = bh_calloc(nrefs + 1, sizeof(*v));
		int *rem = bh_calloc(nrefs + 1, sizeof(*rem));

		for (size_t i = 0; i < nrefs; i++) {
			v[i] = refs[i].h;
			rem[i] = refs[i].removed;
		}
		content_hits_to_findings(c, v, nrefs, rem, out);
		free(v);
		free(rem);
	}
	rc = 0;
out:
	free(all);
	free(refs);
	free(caps.v);
	free(hashes.v);
	content_hitlist_release(&extra);
	return rc;
}
