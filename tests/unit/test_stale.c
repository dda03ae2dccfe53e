/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bh_scan_stale without the network: BH-STALE-AGE against a fixed `now`
 * (the limit, the epoch of a reproducible build, a missing or unreadable
 * date, a date in the future); BH-STALE-BASE against bases made of the
 * image's own diff_ids (a prefix, a shorter match, none, a base longer than
 * the image), opened from OCI layouts written here; no drift check without
 * a known source; and the finding's fields (kind, severity, 4.2.2,
 * remediation).
 */
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/scan.h"

#define DAY 86400
#define NOW ((time_t)1767225600) /* 2026-01-01T00:00:00Z */

static void set_created(struct bh_image *img, const char *created)
{
	free(img->config.created);
	img->config.created = created ? bh_strdup(created) : NULL;
}

static size_t count(const struct bh_findings *f, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += !strcmp(f->v[i].id, id);
	return n;
}

static void test_age(void **state)
{
	struct bh_image img = { 0 };
	struct bh_findings f = { 0 };
	struct bh_stale_opts o = { .now = NOW };
	const struct bh_finding *x;

	(void)state;
	/* 91 days old, the default limit of 90 */
	set_created(&img, "2025-10-02T00:00:00Z");
	assert_int_equal(bh_scan_stale(&img, &o, &f, NULL), 0);
	assert_int_equal(f.n, 1);
	x = &f.v[0];
	assert_string_equal(x->id, "BH-STALE-AGE");
	assert_int_equal(x->kind, BH_FIND_STALE);
	assert_string_equal(bh_finding_kind_name(x->kind), "stale");
	assert_int_equal(x->severity, BH_SEV_MEDIUM);
	assert_string_equal(x->countermeasure, "4.2.2");
	assert_int_equal(x->layer, -1);
	assert_non_null(strstr(x->title, "91 days old"));
	assert_non_null(strstr(x->title, "90-day limit"));
	assert_non_null(strstr(x->remediation, "Rebuild"));
	bh_findings_release(&f);
	/* exactly 90 days: not over the limit */
	set_created(&img, "2025-10-03T00:00:00Z");
	assert_int_equal(bh_scan_stale(&img, &o, &f, NULL), 0);
	assert_int_equal(f.n, 0);
	/* a limit of our own */
	o.max_age_days = 30;
	assert_int_equal(bh_scan_stale(&img, &o, &f, NULL), 0);
	assert_int_equal(count(&f, "BH-STALE-AGE"), 1);
	assert_non_null(strstr(f.v[0].title, "30-day limit"));
	bh_findings_release(&f);
	o.max_age_days = 0;
	/* the epoch, a missing date, nonsense, the future: an unknown age */
	set_created(&img, "1970-01-01T00:00:00Z");
	assert_int_equal(bh_scan_stale(&img, &o, &f, NULL), 0);
	set_created(&img, NULL);
	assert_int_equal(bh_scan_stale(&img, &o, &f, NULL), 0);
	set_created(&img, "yesterday");
	assert_int_equal(bh_scan_stale(&img, &o, &f, NULL), 0);
	set_created(&img, "2027-01-01T00:00:00Z");
	assert_int_equal(bh_scan_stale(&img, &o, &f, NULL), 0);
	assert_int_equal(f.n, 0);
	/* a source without a digest: no drift check, nothing asked of a registry */
	img.source_ref = bh_strdup("127.0.0.1:1/team/app:1");
	assert_int_equal(bh_scan_stale(&img, &o, &f, NULL), 0);
	assert_int_equal(f.n, 0);
	free(img.source_ref);
	free(img.config.created);
}

/* An OCI layout whose config lists these diff_ids (layers are never read). */
static char *layout(const char *dir, const char *name, const char *const *diff_ids, size_t n)
{
	char *path = bh_asprintf("%s/%s", dir, name), *p;
	struct bh_buf cfg = BH_BUF_INIT(1 << 20), man = BH_BUF_INIT(1 << 20),
		      idx = BH_BUF_INIT(1 << 20);
	struct bh_digest cd, md;

	assert_int_equal(bh_mkdirs(path, 0755, 0755, NULL), 0);
	p = bh_asprintf("%s/blobs/sha256", path);
	assert_int_equal(bh_mkdirs(p, 0755, 0755, NULL), 0);
	free(p);
	bh_buf_adds(
		&cfg,
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2025-12-31T00:00:00Z\","
		"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[",
		NULL);
	bh_buf_adds(
		&man,
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"layers\":[",
		NULL);
	for (size_t i = 0; i < n; i++) {
		bh_buf_addf(&cfg, NULL, "%s\"%s\"", i ? "," : "", diff_ids[i]);
		bh_buf_addf(
			&man, NULL,
			"%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":"
			"\"%s\",\"size\":1}",
			i ? "," : "", diff_ids[i]);
	}
	bh_buf_adds(&cfg, "]}}", NULL);
	bh_sha256(cfg.data, cfg.len, &cd);
	bh_buf_addf(&man, NULL,
		    "],\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		    "\"digest\":\"%s\",\"size\":%zu}}",
		    cd.str, cfg.len);
	bh_sha256(man.data, man.len, &md);
	p = bh_asprintf("%s/blobs/sha256/%s", path, bh_digest_hex(&cd));
	assert_int_equal(bh_write_file_atomic(p, cfg.data, cfg.len, 0644, NULL), 0);
	free(p);
	p = bh_asprintf("%s/blobs/sha256/%s", path, bh_digest_hex(&md));
	assert_int_equal(bh_write_file_atomic(p, man.data, man.len, 0644, NULL), 0);
	free(p);
	bh_buf_addf(&idx, NULL,
		    "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/"
		    "vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu}]}",
		    md.str, man.len);
	p = bh_asprintf("%s/index.json", path);
	assert_int_equal(bh_write_file_atomic(p, idx.data, idx.len, 0644, NULL), 0);
	free(p);
	p = bh_asprintf("%s/oci-layout", path);
	assert_int_equal(
		bh_write_file_atomic(p, "{\"imageLayoutVersion\":\"1.0.0\"}", 30, 0644, NULL), 0);
	free(p);
	bh_buf_release(&cfg);
	bh_buf_release(&man);
	bh_buf_release(&idx);
	return path;
}

static void test_base(void **state)
{
	static const char *const
		a = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		*const b =
			"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		*const c =
			"sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
		*const x =
			"sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";
	const char *img_ids[] = { a, b, c }, *cur[] = { a, b }, *old[] = { a, x }, *other[] = { x },
		   *longer[] = { a, b, c, x };
	char *dir = unit_mktmp(), *pimg = layout(dir, "img", img_ids, 3),
	     *pcur = layout(dir, "cur", cur, 2), *pold = layout(dir, "old", old, 2),
	     *pother = layout(dir, "other", other, 1), *plong = layout(dir, "long", longer, 4);
	struct bh_image *img = NULL;
	struct bh_findings f = { 0 };
	struct bh_stale_opts o = { .now = NOW, .max_age_days = 36500 };
	struct bh_error *err = NULL;

	(void)state;
	assert_int_equal(bh_image_open(pimg, NULL, &img, NULL), 0);
	o.base = pcur;
	assert_int_equal(bh_scan_stale(img, &o, &f, NULL), 0);
	assert_int_equal(f.n, 0);
	o.base = pold;
	assert_int_equal(bh_scan_stale(img, &o, &f, NULL), 0);
	assert_int_equal(count(&f, "BH-STALE-BASE"), 1);
	assert_non_null(strstr(f.v[0].title, "1 of its 2 layers match"));
	assert_int_equal(f.v[0].layer, 1); /* the second layer differs */
	assert_string_equal(f.v[0].countermeasure, "4.2.2");
	bh_findings_release(&f);
	o.base = pother;
	assert_int_equal(bh_scan_stale(img, &o, &f, NULL), 0);
	assert_int_equal(count(&f, "BH-STALE-BASE"), 1);
	assert_non_null(strstr(f.v[0].title, "none of its 1 layers match"));
	bh_findings_release(&f);
	o.base = plong; /* the image's layers are a prefix of the base's: not built on it */
	assert_int_equal(bh_scan_stale(img, &o, &f, NULL), 0);
	assert_int_equal(count(&f, "BH-STALE-BASE"), 1);
	bh_findings_release(&f);
	o.base = "/nonexistent/base";
	assert_true(bh_scan_stale(img, &o, &f, &err) < 0);
	assert_error(err, bh_error_code(err), "the base image /nonexistent/base");
	bh_error_clear(&err);
	bh_findings_release(&f);
	bh_image_free(img);
	free(pimg);
	free(pcur);
	free(pold);
	free(pother);
	free(plong);
	unit_rmtmp(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_age),
		cmocka_unit_test(test_base),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
