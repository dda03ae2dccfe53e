/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bh_scan_image: the scan pipeline (see include/bulkhead/scan.h for the
 * stages and the ownership). One walk feeds every consumer; each stage
 * hands the next a plain struct; the options decide everything, nothing is
 * read from the environment or the current directory.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/scan.h"
#include "bulkhead/version.h"
#include "banned.h"

#define MAX_IGNORE_FILE (16u << 20)
#define MAX_VEX_FILE	(64u << 20)

static bool cancelled(const struct bh_scan_opts *o, struct bh_error **err)
{
	if (o->cancel && *o->cancel) {
		bh_error_set(err, BH_ERR_USAGE, "cancelled");
		return true;
	}
	return false;
}

/*
 * The walk: the merged view, the inventory and the content scanners that
 * are on, in one pass; then each finishes (content last: it reads the
 * merged view and the inventory).
 */
static int walk(struct bh_scan_result *r, const char *ref, const struct bh_scan_opts *o,
		struct bh_layer_cache *cache, struct bh_findings *content_found,
		struct bh_error **err)
{
	struct bh_walk_opts wo = { .threads = o->threads,
				   .cancel = o->cancel,
				   .cache = bh_layer_cache_walk(cache) };
	struct bh_merge *m = bh_merge_new(r->img);
	struct bh_inventory_collector *ic = bh_inventory_collector_new(r->img, o->inventory);
	struct bh_consumer *cs[3] = { bh_inventory_consumer(ic), bh_merge_consumer(m) };
	struct bh_content *content = NULL;
	struct bh_fileset *merged = NULL;
	char *hsdir = NULL;
	size_t n = 2;
	int rc = -1;

	if (o->scanners & (BH_SCAN_CONFIG | BH_SCAN_SECRET | BH_SCAN_MALWARE)) {
		struct bh_content_opts co = { 0 };

		if (o->content)
			co = *o->content;
		co.config = o->scanners & BH_SCAN_CONFIG;
		co.secrets = o->scanners & BH_SCAN_SECRET;
		co.malware = o->scanners & BH_SCAN_MALWARE;
		if (!co.reference)
			co.reference = ref;
		/* compiled patterns are kept beside the layer cache */
		if (o->cache_path && !co.compiled_dir) {
			const char *slash = strrchr(o->cache_path, '/');

			hsdir = slash ? bh_asprintf("%.*s/vectorscan", (int)(slash - o->cache_path),
						    o->cache_path)
				      : bh_strdup("vectorscan");
			co.compiled_dir = hsdir;
		}
		rc = bh_content_new(r->img, &co, &content, err);
		free(hsdir);
		hsdir = NULL;
		if (rc < 0)
			goto out;
		rc = -1;
		cs[n++] = bh_content_consumer(content);
	}
	if (bh_image_walk_consumers(r->img, &wo, cs, n, err) < 0)
		goto out;
	for (size_t i = 0; i < r->img->nlayers; i++)
		r->stats.layers_cached += r->img->layers[i].cached;
	if (cancelled(o, err))
		goto out;
	if (bh_merge_finish(m, &merged, err) < 0) {
		bh_error_prefix(err, "the merged view");
		goto out;
	}
	/* the path lists of the layers are no longer needed */
	bh_merge_free(m);
	m = NULL;
	if (bh_inventory_finish(ic, merged, &r->inv, err) < 0)
		goto out;
	bh_inventory_collector_free(ic);
	ic = NULL;
	if (content) {
		if (cancelled(o, err) ||
		    bh_content_finish(content, merged, r->inv, content_found, err) < 0)
			goto out;
		bh_content_stats(content, &r->stats.content);
	}
	rc = 0;
out:
	bh_content_free(content);
	bh_fileset_free(merged);
	bh_inventory_collector_free(ic);
	bh_merge_free(m);
	return rc;
}

static int read_bounded(const char *path, size_t max, struct bh_buf *b, struct bh_error **err)
{
	bh_buf_init(b, max);
	return bh_read_file(path, b, err);
}

static int suppress(struct bh_scan_result *r, const struct bh_scan_opts *o, struct bh_error **err)
{
	time_t now = o->now ? o->now : time(NULL);
	struct bh_buf b;

	if (o->ignore)
		r->stats.suppressed_ignore += bh_ignore_apply(o->ignore, now, &r->findings);
	if (o->ignore_file) {
		struct bh_ignorelist l;

		if (read_bounded(o->ignore_file, MAX_IGNORE_FILE, &b, err) < 0 ||
		    bh_ignore_parse(b.data ? b.data : "", b.len, o->ignore_file, &l, err) < 0) {
			bh_buf_release(&b);
			return -1;
		}
		bh_buf_release(&b);
		r->stats.suppressed_ignore += bh_ignore_apply(&l, now, &r->findings);
		bh_ignore_release(&l);
	}
	for (size_t i = 0; o->vex && o->vex[i]; i++)
		r->stats.suppressed_vex += bh_vex_apply(o->vex[i], r->img, r->inv, &r->findings);
	for (size_t i = 0; o->vex_files && o->vex_files[i]; i++) {
		const char *path = o->vex_files[i];
		struct bh_vex v;

		if (read_bounded(path, MAX_VEX_FILE, &b, err) < 0 ||
		    bh_vex_parse(b.data ? b.data : "", b.len, path, &v, err) < 0) {
			bh_buf_release(&b);
			return -1;
		}
		bh_buf_release(&b);
		r->stats.suppressed_vex += bh_vex_apply(&v, r->img, r->inv, &r->findings);
		bh_vex_release(&v);
	}
	return 0;
}

/* Drop what the options filter out (gone from the result, not suppressed). */
static void filter(struct bh_scan_result *r, const struct bh_scan_opts *o)
{
	struct bh_findings *f = &r->findings;
	size_t k = 0;

	for (size_t i = 0; i < f->n; i++) {
		struct bh_finding *x = &f->v[i];
		bool keep = true;

		if (o->severities && !(o->severities & (1u << x->severity)))
			keep = false;
		if (o->ignore_unfixed && x->kind == BH_FIND_VULN && x->fix_state != BH_FIX_FIXED)
			keep = false;
		if (keep) {
			f->v[k++] = *x;
		} else {
			bh_finding_release(x);
			r->stats.filtered++;
		}
	}
	f->n = k;
}

static void gate(struct bh_scan_result *r, const struct bh_scan_opts *o)
{
	for (size_t i = 0; i < r->findings.n; i++) {
		const struct bh_finding *x = &r->findings.v[i];

		if (x->suppressed) {
			r->stats.suppressed++;
			continue;
		}
		r->stats.reported++;
		r->stats.by_severity[x->severity]++;
		if (o->fail_on_set && x->severity >= o->fail_on && x->severity != BH_SEV_UNKNOWN)
			r->gate_failed = true;
	}
}

json_t *bh_scan_summary(const struct bh_scan_result *r)
{
	json_t *by = json_object();

	for (int s = BH_SEV_UNKNOWN; s <= BH_SEV_CRITICAL; s++)
		json_object_set_new(by, bh_severity_name((enum bh_severity)s),
				    json_integer((json_int_t)r->stats.by_severity[s]));
	return json_pack("{s:s, s:I, s:I, s:o}", "tool", BH_VERSION, "packages",
			 (json_int_t)(r->inv ? r->inv->npkgs : 0), "suppressed",
			 (json_int_t)r->stats.suppressed, "bySeverity", by);
}

/* Best effort: a store we cannot write to is no reason to fail the scan. */
static void record(struct bh_scan_result *r, struct bh_store *store)
{
	const struct bh_image *img = r->img;
	const char *digest = img->has_manifest ? img->manifest_digest.str : img->config_digest.str;
	struct bh_error *e = NULL;
	json_t *sum;

	if (!digest[0]) {
		bh_debug("the image has no digest: the scan is not recorded");
		return;
	}
	sum = bh_scan_summary(r);
	if (bh_vuln_store_record_scan(store, digest, sum, &e) < 0)
		bh_error_warn(&e, "scan not recorded");
	else
		r->stats.recorded = true;
	json_decref(sum);
}

int bh_scan_image(struct bh_image *img, const char *ref, const struct bh_scan_opts *opts,
		  struct bh_scan_result **out, struct bh_error **err)
{
	static const struct bh_scan_opts defaults;
	const struct bh_scan_opts *o = opts ? opts : &defaults;
	struct bh_scan_result *r = bh_calloc(1, sizeof(*r));
	struct bh_findings content_found = { 0 };
	struct bh_store *store = o->store, *opened = NULL;
	struct bh_layer_cache *cache = o->cache, *cache_opened = NULL;
	bool need_store = (o->scanners & BH_SCAN_VULN) || o->record;

	*out = NULL;
	if (!img == !ref) {
		bh_error_set(err, BH_ERR_USAGE, "bh_scan_image: give an image or a reference");
		goto fail;
	}
	if (need_store && !store) {
		if (!o->store_path) {
			if (o->scanners & BH_SCAN_VULN) {
				bh_error_set(err, BH_ERR_USAGE,
					     "the vulnerability scanner needs an advisory store");
				goto fail;
			}
		} else if (bh_vuln_store_open(o->store_path, false, &opened, err) < 0) {
			goto fail;
		}
		store = opened;
	}
	if (img) {
		r->img = img;
	} else {
		if (bh_image_open(ref, o->open, &r->img, err) < 0)
			goto fail;
		r->owns_img = true;
	}
	if (!cache && o->cache_path && r->img->kind != BH_IMAGE_ROOTFS) {
		struct bh_error *e = NULL;

		if (bh_layer_cache_open(o->cache_path, true, &cache_opened, &e) < 0)
			bh_error_warn(&e, "layers are read without the cache");
		cache = cache_opened;
	}
	r->stats.cache_used = cache != NULL;
	if (walk(r, ref, o, cache, &content_found, err) < 0)
		goto fail;
	if (o->scanners & BH_SCAN_VULN) {
		if (cancelled(o, err) ||
		    bh_vuln_match(store, r->inv, &r->findings, &r->stats.match, err) < 0)
			goto fail;
	}
	for (size_t i = 0; i < content_found.n; i++)
		*bh_findings_add(&r->findings) = content_found.v[i];
	free(content_found.v);
	memset(&content_found, 0, sizeof(content_found));
	if (o->scanners & BH_SCAN_STALE) {
		struct bh_stale_opts so = { .max_age_days = o->max_age_days,
					    .base = o->base,
					    .open = o->open,
					    .now = o->now };

		if (cancelled(o, err) || bh_scan_stale(r->img, &so, &r->findings, err) < 0)
			goto fail;
	}
	if (cancelled(o, err) || suppress(r, o, err) < 0)
		goto fail;
	filter(r, o);
	gate(r, o);
	if (o->record && store)
		record(r, store);
	bh_vuln_store_close(opened);
	bh_layer_cache_close(cache_opened);
	*out = r;
	return 0;
fail:
	bh_findings_release(&content_found);
	bh_vuln_store_close(opened);
	bh_layer_cache_close(cache_opened);
	bh_scan_result_free(r);
	return -1;
}

void bh_scan_result_free(struct bh_scan_result *r)
{
	if (!r)
		return;
	bh_findings_release(&r->findings);
	bh_inventory_free(r->inv);
	if (r->owns_img)
		bh_image_free(r->img);
	free(r);
}
