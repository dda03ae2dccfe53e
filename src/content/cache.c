/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A layer's content state in the layer cache (see include/bulkhead/image.h):
 * what bh_content_finish needs of the layer, exactly as the walk left it:
 * its hits (secrets, YARA, the blocklist, with the file sums the package
 * check compares), the files captured for the checks, the files hashed for
 * the setuid check, and its counts. The path hashes are not kept: the walk
 * replays the layer's entries, and they are hashed again with this scan's
 * seed. The loader is a parser of bytes from a file: every count, length and
 * enum bounded.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

#define MAX_STR	   (64u << 10)
#define MAX_TEXT   TEXT_MAX
#define MAX_ITEMS  10000000u
#define MAX_SHOWN  31 /* a hit's fingerprint: char fp[32] */
#define MAX_DIGEST (BH_DIGEST_MAX - 1)

static void pack_hit(struct bh_pack *w, const struct hit *h)
{
	bh_pack_str(w, h->id);
	bh_pack_u64(w, (uint64_t)h->kind);
	bh_pack_u64(w, (uint64_t)h->severity);
	bh_pack_str(w, h->title);
	bh_pack_str(w, h->description);
	bh_pack_str(w, h->remediation);
	bh_pack_str(w, h->countermeasure);
	bh_pack_str(w, h->path);
	bh_pack_i64(w, h->line);
	bh_pack_str(w, h->fp);
	bh_pack_u64(w, h->pkg == SIZE_MAX ? 0 : (uint64_t)h->pkg + 1);
	bh_pack_u64(w, h->sums);
	if (h->sums) {
		bh_pack_fixed(w, h->md5, sizeof(h->md5));
		bh_pack_fixed(w, h->sha1, sizeof(h->sha1));
	}
}

static void unpack_hit(struct bh_unpack *r, unsigned layer, struct hit *h)
{
	uint64_t kind, pkg;
	char *fp;

	h->id = bh_unpack_str_nn(r, MAX_STR);
	kind = bh_unpack_u64(r, BH_FIND_POLICY);
	if (kind < BH_FIND_VULN)
		r->failed = true;
	h->kind = (enum bh_finding_kind)kind;
	h->severity = (enum bh_severity)bh_unpack_u64(r, BH_SEV_CRITICAL);
	h->title = bh_unpack_str_nn(r, MAX_TEXT);
	h->description = bh_unpack_str(r, MAX_TEXT);
	h->own_remediation = bh_unpack_str(r, MAX_TEXT);
	h->own_countermeasure = bh_unpack_str(r, MAX_STR);
	h->remediation = h->own_remediation;
	h->countermeasure = h->own_countermeasure;
	h->path = bh_unpack_str_nn(r, MAX_STR);
	h->line = (long)bh_unpack_i64(r);
	fp = bh_unpack_str_nn(r, MAX_SHOWN);
	if (fp)
		memcpy(h->fp, fp, strlen(fp) + 1);
	free(fp);
	pkg = bh_unpack_u64(r, SIZE_MAX);
	h->pkg = pkg ? (size_t)(pkg - 1) : SIZE_MAX;
	h->sums = bh_unpack_u64(r, 1) != 0;
	if (h->sums) {
		bh_unpack_fixed(r, h->md5, sizeof(h->md5));
		bh_unpack_fixed(r, h->sha1, sizeof(h->sha1));
	}
	h->layer = layer;
}

static void pack_stats(struct bh_pack *w, const struct bh_content_stats *s)
{
	bh_pack_u64(w, s->files_scanned);
	bh_pack_u64(w, s->bytes_scanned);
	bh_pack_u64(w, s->skipped_large);
	bh_pack_u64(w, s->skipped_binary);
	bh_pack_u64(w, s->yara_scanned);
	bh_pack_u64(w, s->hashed);
	bh_pack_u64(w, s->packaged);
}

static void unpack_stats(struct bh_unpack *r, struct bh_content_stats *s)
{
	s->files_scanned = bh_unpack_u64(r, UINT64_MAX);
	s->bytes_scanned = bh_unpack_u64(r, UINT64_MAX);
	s->skipped_large = bh_unpack_u64(r, UINT64_MAX);
	s->skipped_binary = bh_unpack_u64(r, UINT64_MAX);
	s->yara_scanned = bh_unpack_u64(r, UINT64_MAX);
	s->hashed = bh_unpack_u64(r, UINT64_MAX);
	s->packaged = bh_unpack_u64(r, UINT64_MAX);
}

int content_cache_save(const struct lstate *l, struct bh_buf *out, struct bh_error **err)
{
	struct bh_pack w = { out, false };

	bh_pack_u64(&w, l->hits.n);
	for (size_t i = 0; i < l->hits.n; i++)
		pack_hit(&w, &l->hits.v[i]);
	bh_pack_u64(&w, l->caps.n);
	for (size_t i = 0; i < l->caps.n; i++) {
		const struct capture *cp = &l->caps.v[i];

		bh_pack_str(&w, cp->path);
		bh_pack_u64(&w, (uint64_t)cp->kind);
		bh_pack_bytes(&w, cp->data, cp->len);
	}
	bh_pack_u64(&w, l->hashes.n);
	for (size_t i = 0; i < l->hashes.n; i++) {
		bh_pack_str(&w, l->hashes.v[i].path);
		bh_pack_str(&w, l->hashes.v[i].d.str);
	}
	pack_stats(&w, &l->stats);
	if (w.failed)
		return bh_error_set(err, BH_ERR_LIMIT, "the layer's findings exceed %zu bytes",
				    out->max);
	return 0;
}

int content_cache_load(struct bh_content *c, unsigned layer, const void *p, size_t n,
		       struct lstate **out, struct bh_error **err)
{
	struct lstate *l = content_lstate_bare(c, layer);
	struct bh_unpack r;
	size_t k;

	*out = NULL;
	bh_unpack_init(&r, p, n);
	k = bh_unpack_count(&r, MAX_ITEMS);
	for (size_t i = 0; i < k && !r.failed; i++)
		unpack_hit(&r, layer, content_hitlist_add(&l->hits));
	k = bh_unpack_count(&r, MAX_ITEMS);
	for (size_t i = 0; i < k && !r.failed; i++) {
		struct capture *cp = content_caplist_add(&l->caps);
		uint64_t kind;
		const void *data;

		cp->path = bh_unpack_str_nn(&r, MAX_STR);
		cp->layer = layer;
		kind = bh_unpack_u64(&r, CAP_DPKG_MD5SUMS);
		if (kind < CAP_PASSWD)
			r.failed = true;
		cp->kind = (enum capture_kind)kind;
		data = bh_unpack_bytes(&r, &cp->len, r.failed ? 0 : content_capture_max(cp->kind));
		/* NUL-terminated after len bytes, as the walk keeps them */
		cp->data = bh_malloc(cp->len + 1);
		if (cp->len)
			memcpy(cp->data, data, cp->len);
		cp->data[cp->len] = 0;
	}
	k = bh_unpack_count(&r, MAX_ITEMS);
	for (size_t i = 0; i < k && !r.failed; i++) {
		struct hashed *hs = content_hashedlist_add(&l->hashes);
		char *d;

		hs->path = bh_unpack_str_nn(&r, MAX_STR);
		hs->layer = layer;
		d = bh_unpack_str_nn(&r, MAX_DIGEST);
		if (d && bh_digest_parse(d, &hs->d, NULL) < 0)
			r.failed = true;
		free(d);
	}
	unpack_stats(&r, &l->stats);
	if (!bh_unpack_done(&r)) {
		content_lstate_free(l);
		return bh_error_set(err, BH_ERR_INVALID, "the stored findings are malformed");
	}
	*out = l;
	return 0;
}
