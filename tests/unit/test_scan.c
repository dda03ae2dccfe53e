/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bh_scan_image, the library call without the CLI, on alpine-3.19.4 (one
 * layer; 15 apk packages; 20 (package, CVE) pairs against secdb v3.19, all
 * fixed and of unknown severity; BH-CFG-001 HIGH and BH-CFG-013 LOW): the
 * inventory alone, the gate as data, suppression by a parsed list, a file and
 * VEX (and never by ./.bulkheadignore unless named), the filter, the record,
 * cancellation, a borrowed image; and matching keeps a package whose version
 * its scheme cannot read.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/scan.h"

#define NPAIRS 20

static char *tmp;
static char *db;
static char *image;

static char *data_path(const char *rel)
{
	const char *td = getenv("TESTDATA");

	return td ? bh_asprintf("%s/%s", td, rel) : NULL;
}

static int setup(void **state)
{
	char *secdb = data_path("vulndb/alpine-secdb/v3.19/main.yaml");
	const char *paths[1] = { secdb };
	struct bh_import_stats st = { 0 };
	struct bh_store *s = NULL;
	struct bh_error *err = NULL;

	image = data_path("images/alpine-3.19.4.docker.tar");
	if (!image || access(image, R_OK) || access(secdb, R_OK)) {
		free(secdb);
		return 0; /* the tests skip */
	}
	tmp = unit_mktmp();
	db = bh_asprintf("%s/db.sqlite", tmp);
	if (bh_vuln_store_open(db, true, &s, &err) < 0 ||
	    bh_vuln_store_import(s, paths, 1, NULL, &st, &err) < 0) {
		fprintf(stderr, "setup: %s\n", bh_error_message(err));
		return -1;
	}
	bh_import_stats_release(&st);
	bh_vuln_store_close(s);
	free(secdb);
	return 0;
}

static int teardown(void **state)
{
	if (tmp)
		unit_rmtmp(tmp);
	free(db);
	free(image);
	return 0;
}

static struct bh_content_opts content = { .builtin_rules_dir = "rules" };

/* The options every test starts from: vulnerabilities and configuration. */
static struct bh_scan_opts base_opts(void)
{
	return (struct bh_scan_opts){ .scanners = BH_SCAN_VULN | BH_SCAN_CONFIG,
				      .threads = 2,
				      .store_path = db,
				      .content = &content };
}

static struct bh_scan_result *scan(const struct bh_scan_opts *o)
{
	struct bh_scan_result *r = NULL;
	struct bh_error *err = NULL;

	if (bh_scan_image(NULL, image, o, &r, &err) < 0)
		fail_msg("bh_scan_image: %s", bh_error_message(err));
	return r;
}

static const struct bh_finding *find(const struct bh_scan_result *r, const char *id,
				     const char *pkg)
{
	for (size_t i = 0; i < r->findings.n; i++) {
		const struct bh_finding *f = &r->findings.v[i];

		if (!strcmp(f->id, id) &&
		    (!pkg || (f->pkg < r->inv->npkgs && !strcmp(r->inv->pkgs[f->pkg].name, pkg))))
			return f;
	}
	return NULL;
}

static size_t count_kind(const struct bh_scan_result *r, enum bh_finding_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < r->findings.n; i++)
		n += r->findings.v[i].kind == k;
	return n;
}

static void the_inventory_alone_needs_no_store(void **state)
{
	struct bh_scan_opts o = { .threads = 1 };
	struct bh_scan_result *r;

	if (!tmp)
		skip();
	r = scan(&o);
	assert_int_equal(r->inv->npkgs, 15);
	assert_string_equal(r->inv->os.ecosystem, "Alpine:v3.19");
	assert_int_equal(r->findings.n, 0);
	assert_false(r->gate_failed);
	assert_true(r->owns_img);
	assert_int_equal(r->img->nlayers, 1);
	/* one layer: the merged view still decides, every package is in layer 0 */
	for (size_t i = 0; i < r->inv->npkgs; i++)
		assert_int_equal(r->inv->pkgs[i].layer, 0);
	bh_scan_result_free(r);
}

static void the_gate_is_data(void **state)
{
	struct bh_scan_opts o = base_opts();
	struct bh_scan_result *r;

	if (!tmp)
		skip();
	o.fail_on_set = true;
	o.fail_on = BH_SEV_HIGH;
	r = scan(&o);
	assert_int_equal(count_kind(r, BH_FIND_VULN), NPAIRS);
	assert_non_null(find(r, "BH-CFG-001", NULL));
	assert_true(r->gate_failed); /* BH-CFG-001 is HIGH */
	assert_int_equal(r->stats.reported, r->findings.n);
	assert_int_equal(r->stats.by_severity[BH_SEV_HIGH], 1);
	assert_int_equal(r->stats.by_severity[BH_SEV_UNKNOWN], NPAIRS);
	assert_int_equal(r->stats.match.packages, 15);
	assert_int_equal(r->stats.match.bad_versions, 0);
	bh_scan_result_free(r);

	/* nothing reaches CRITICAL; UNKNOWN never fails a gate */
	o.fail_on = BH_SEV_CRITICAL;
	r = scan(&o);
	assert_false(r->gate_failed);
	bh_scan_result_free(r);
	o.fail_on = BH_SEV_LOW;
	o.scanners = BH_SCAN_VULN;
	r = scan(&o);
	assert_int_equal(r->findings.n, NPAIRS);
	assert_false(r->gate_failed);
	bh_scan_result_free(r);
}

static void suppression_by_list_file_and_vex(void **state)
{
	static const char list[] = "BH-CFG-001 # accepted\nCVE-2025-9230 exp:2001-01-01\n";
	static const char vex[] =
		"{\"@context\": \"https://openvex.dev/ns/v0.2.0\", \"@id\": \"x\", \"author\": "
		"\"t\","
		" \"timestamp\": \"2026-01-01T00:00:00Z\", \"version\": 1, \"statements\": ["
		"{\"vulnerability\": {\"name\": \"CVE-2024-58251\"}, \"products\": [{\"@id\": "
		"\"pkg:apk/alpine/busybox\"}], \"status\": \"not_affected\", \"justification\": "
		"\"vulnerable_code_not_present\"}]}";
	struct bh_scan_opts o = base_opts();
	struct bh_ignorelist parsed;
	struct bh_vex v;
	const struct bh_vex *vexes[2] = { &v, NULL };
	const struct bh_finding *f;
	struct bh_scan_result *r;
	char *ignorefile, *cwd = getcwd(NULL, 0);

	if (!tmp)
		skip();
	/* a .bulkheadignore in the current directory is not read unless named */
	ignorefile = bh_asprintf("%s/.bulkheadignore", tmp);
	assert_int_equal(bh_write_file_atomic(ignorefile, "CVE-2024-9143\n", 14, 0644, NULL), 0);
	assert_int_equal(chdir(tmp), 0);
	r = scan(&o);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(r->stats.suppressed, 0);
	bh_scan_result_free(r);

	/* a parsed list: the expired entry does not apply */
	assert_int_equal(bh_ignore_parse(list, strlen(list), "list", &parsed, NULL), 0);
	o.ignore = &parsed;
	o.fail_on_set = true;
	o.fail_on = BH_SEV_HIGH;
	r = scan(&o);
	f = find(r, "BH-CFG-001", NULL);
	assert_true(f->suppressed);
	assert_string_equal(f->suppressed_by, "ignorefile");
	assert_string_equal(f->suppress_reason, "accepted");
	assert_false(find(r, "CVE-2025-9230", "libssl3")->suppressed);
	assert_false(r->gate_failed); /* the only HIGH finding is suppressed */
	assert_int_equal(r->stats.suppressed_ignore, 1);
	bh_scan_result_free(r);

	/* plus a file (by path) and a parsed VEX document */
	assert_int_equal(bh_vex_parse(vex, strlen(vex), "vex", &v, NULL), 0);
	o.ignore_file = ignorefile;
	o.vex = vexes;
	r = scan(&o);
	assert_true(find(r, "CVE-2024-9143", "libssl3")->suppressed);
	assert_true(find(r, "CVE-2024-9143", "libcrypto3")->suppressed);
	f = find(r, "CVE-2024-58251", "busybox");
	assert_true(f->suppressed);
	assert_string_equal(f->suppressed_by, "vex");
	assert_false(find(r, "CVE-2024-58251", "ssl_client")->suppressed);
	assert_int_equal(r->stats.suppressed_ignore, 3);
	assert_int_equal(r->stats.suppressed_vex, 1);
	assert_int_equal(r->stats.suppressed, 4);
	assert_int_equal(r->stats.reported, NPAIRS + 2 - 4);
	bh_scan_result_free(r);

	/* a missing file named is an error */
	o.ignore_file = "/nonexistent/ignore";
	{
		struct bh_error *err = NULL;

		assert_int_equal(bh_scan_image(NULL, image, &o, &r, &err), -1);
		assert_null(r);
		assert_non_null(err);
		bh_error_free(err);
	}
	bh_vex_release(&v);
	bh_ignore_release(&parsed);
	free(ignorefile);
	free(cwd);
}

static void the_filter_drops(void **state)
{
	struct bh_scan_opts o = base_opts();
	struct bh_scan_result *r;

	if (!tmp)
		skip();
	o.severities = 1u << BH_SEV_HIGH | 1u << BH_SEV_LOW;
	r = scan(&o);
	assert_int_equal(r->findings.n, 2);
	assert_non_null(find(r, "BH-CFG-001", NULL));
	assert_non_null(find(r, "BH-CFG-013", NULL));
	assert_int_equal(r->stats.filtered, NPAIRS);
	bh_scan_result_free(r);
	/* every secdb pair has a fix: --ignore-unfixed keeps them */
	o.severities = 0;
	o.ignore_unfixed = true;
	r = scan(&o);
	assert_int_equal(count_kind(r, BH_FIND_VULN), NPAIRS);
	assert_int_equal(r->stats.filtered, 0);
	bh_scan_result_free(r);
}

static void the_summary_is_recorded(void **state)
{
	struct bh_scan_opts o = base_opts();
	struct bh_scan_result *r;
	struct bh_store *s;
	json_t *last = NULL, *by;

	if (!tmp)
		skip();
	o.record = true;
	r = scan(&o);
	assert_true(r->stats.recorded);
	assert_int_equal(bh_vuln_store_open(db, false, &s, NULL), 0);
	assert_int_equal(bh_vuln_store_last_scan(s, r->img->config_digest.str, &last, NULL), 0);
	assert_non_null(last);
	by = json_object_get(json_object_get(last, "summary"), "bySeverity");
	assert_int_equal(json_integer_value(json_object_get(by, "UNKNOWN")), NPAIRS);
	assert_int_equal(json_integer_value(json_object_get(by, "HIGH")), 1);
	json_decref(last);
	bh_vuln_store_close(s);
	bh_scan_result_free(r);
}

static void cancelled_and_misused(void **state)
{
	volatile int cancel = 1;
	struct bh_scan_opts o = base_opts();
	struct bh_scan_result *r = (void *)1;
	struct bh_error *err = NULL;
	struct bh_image *img;

	if (!tmp)
		skip();
	o.cancel = &cancel;
	assert_int_equal(bh_scan_image(NULL, image, &o, &r, &err), -1);
	assert_null(r);
	assert_error(err, BH_ERR_USAGE, "cancelled");
	bh_error_clear(&err);

	/* the vulnerability scanner without a store */
	o = base_opts();
	o.store_path = NULL;
	assert_int_equal(bh_scan_image(NULL, image, &o, &r, &err), -1);
	assert_error(err, BH_ERR_USAGE, "advisory store");
	bh_error_clear(&err);
	/* neither or both of an image and a reference */
	assert_int_equal(bh_scan_image(NULL, NULL, &o, &r, &err), -1);
	assert_error(err, BH_ERR_USAGE, "an image or a reference");
	bh_error_clear(&err);

	/* a borrowed image stays the caller's */
	assert_int_equal(bh_image_open(image, NULL, &img, NULL), 0);
	o = base_opts();
	assert_int_equal(bh_scan_image(img, NULL, &o, &r, &err), 0);
	assert_ptr_equal(r->img, img);
	assert_false(r->owns_img);
	bh_scan_result_free(r);
	assert_int_equal(img->nlayers, 1);
	bh_image_free(img);
}

/* A package whose version its scheme cannot read is looked up, counted,
 * and matched by an advisory that lists the version verbatim. */
static void an_odd_version_is_never_dropped(void **state)
{
	static const char osv[] =
		"{\"schema_version\": \"1.6.0\", \"id\": \"PYSEC-2099-77\", \"modified\": "
		"\"2026-01-01T00:00:00Z\", \"summary\": \"odd\", \"affected\": [{\"package\": "
		"{\"ecosystem\": \"PyPI\", \"name\": \"oddpkg\"}, \"versions\": [\"banana "
		"split\"]}]}";
	static const char osv2[] =
		"{\"schema_version\": \"1.6.0\", \"id\": \"PYSEC-2099-78\", \"modified\": "
		"\"2026-01-01T00:00:00Z\", \"summary\": \"ranged\", \"affected\": [{\"package\": "
		"{\"ecosystem\": \"PyPI\", \"name\": \"oddpkg\"}, \"ranges\": [{\"type\": "
		"\"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, {\"fixed\": \"2.0\"}]}]}]}";
	char *dir, *f1, *f2, *path;
	const char *paths[1];
	struct bh_store *s;
	struct bh_import_stats st = { 0 };
	struct bh_inventory inv = { 0 };
	struct bh_package p = { .type = BH_PKG_PYTHON };
	struct bh_findings out = { 0 };
	struct bh_match_stats ms;
	struct bh_error *err = NULL;

	dir = unit_mktmp();
	f1 = bh_asprintf("%s/a.json", dir);
	f2 = bh_asprintf("%s/b.json", dir);
	path = bh_asprintf("%s/db.sqlite", dir);
	assert_int_equal(bh_write_file_atomic(f1, osv, strlen(osv), 0644, NULL), 0);
	assert_int_equal(bh_write_file_atomic(f2, osv2, strlen(osv2), 0644, NULL), 0);
	paths[0] = dir;
	assert_int_equal(bh_vuln_store_open(path, true, &s, NULL), 0);
	if (bh_vuln_store_import(s, paths, 1, NULL, &st, &err) < 0)
		fail_msg("import: %s", bh_error_message(err));
	bh_import_stats_release(&st);
	p.ecosystem = bh_strdup("PyPI");
	p.name = bh_strdup("oddpkg");
	p.version = bh_strdup("banana split");
	p.path = bh_strdup("/usr/lib/python3/dist-packages/oddpkg-x.dist-info/METADATA");
	inv.pkgs = &p;
	inv.npkgs = 1;
	assert_int_equal(bh_vuln_match(s, &inv, &out, &ms, &err), 0);
	assert_int_equal(ms.packages, 1);
	assert_int_equal(ms.bad_versions, 1);
	assert_int_equal(ms.advisories, 2);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].id, "PYSEC-2099-77");
	assert_int_equal(out.v[0].pkg, 0);
	bh_findings_release(&out);
	bh_package_release(&p);
	bh_vuln_store_close(s);
	free(f1);
	free(f2);
	free(path);
	unit_rmtmp(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_inventory_alone_needs_no_store),
		cmocka_unit_test(the_gate_is_data),
		cmocka_unit_test(suppression_by_list_file_and_vex),
		cmocka_unit_test(the_filter_drops),
		cmocka_unit_test(the_summary_is_recorded),
		cmocka_unit_test(cancelled_and_misused),
		cmocka_unit_test(an_odd_version_is_never_dropped),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
