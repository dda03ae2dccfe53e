/* SPDX-License-Identifier: Apache-2.0 */
/* harness: serial postgres (ctl_env.h's own PostgreSQL, unix socket in its temp dir) */
/*
 * The controller's images (src/ctl/images.c) on SQLite and PostgreSQL:
 * recording a scan (counts, duplicates, new findings, first seen kept, the
 * SBOM, the audit row; a bad record leaves nothing), listing with filters and
 * pages, one image by digest, the SBOM walk of a rematch. docker-registry's
 * notification parser (src/ctl/hook.c) with hostile input, the repository
 * grammar, and the scan queue's bound and dedupe (src/ctl/auto.c).
 */
#include "ctl_env.h"
#include "bulkhead/inventory.h"
#include "bulkhead/vuln.h"
#include "banned.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static int int_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	(void)n;
	(void)err;
	*(int64_t *)ctx = c[0].i;
	return 0;
}

static int64_t count_q(struct bh_ctl_store *s, const char *sql)
{
	int64_t n = -1;
	struct bh_error *err = NULL;

	assert_int_equal(bh_ctl_store_query(s, sql, NULL, 0, int_row, &n, NULL, &err), 0);
	return n;
}

static const struct bh_ctl_image_vuln V1[] = {
	{ "CVE-2024-0001", "openssl", "3.1.4-r5", "3.1.4-r6", BH_SEV_CRITICAL },
	{ "CVE-2024-0002", "musl", "1.2.4-r2", NULL, BH_SEV_LOW },
	{ "CVE-2024-0002", "musl", "1.2.4-r2", NULL, BH_SEV_LOW }, /* the same twice */
};

static void record(struct bh_ctl_store *s, const char *repo, const char *digest,
		   const struct bh_ctl_image_vuln *v, size_t n, const char *sbom, size_t want_fresh)
{
	struct bh_ctl_image_scan sc = { repo, digest, "1/2026-11-22T00:00:00Z", v, n, sbom };
	struct bh_ctl_image_vuln *fresh = NULL;
	size_t nfresh = 99;
	struct bh_error *err = NULL;

	if (bh_ctl_image_record(s, "registry", &sc, &fresh, &nfresh, &err) < 0)
		fail_msg("record: %s", bh_error_message(err));
	assert_int_equal(nfresh, want_fresh);
	bh_ctl_image_vulns_free(fresh, nfresh);
}

static void scans_recorded_listed_and_got(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_ctl_image_filter f = { .min_severity = -1 };
	struct bh_error *err = NULL;
	json_t *v, *it;
	struct bh_ctl_image_vuln more[4];

	record(s, "team/app", D1, V1, 3, "{\"bomFormat\":\"CycloneDX\"}", 2);
	assert_int_equal(bh_ctl_image_list(s, &f, &v, &err), 0);
	assert_int_equal(json_array_size(bh_json_arr(v, "items")), 1);
	it = json_array_get(bh_json_arr(v, "items"), 0);
	assert_string_equal(bh_json_str(it, "digest"), D1);
	assert_string_equal(bh_json_str(it, "repository"), "team/app");
	assert_int_equal(json_integer_value(json_object_get(bh_json_obj(it, "counts"), "CRITICAL")),
			 1);
	assert_int_equal(json_integer_value(json_object_get(bh_json_obj(it, "counts"), "LOW")), 1);
	assert_int_equal(json_integer_value(json_object_get(bh_json_obj(it, "counts"), "HIGH")), 0);
	assert_string_equal(bh_json_str(it, "db_version"), "1/2026-11-22T00:00:00Z");
	assert_true(json_is_null(json_object_get(v, "next")));
	json_decref(v);

	/* a rescan with one finding more: only it is new; the first seen stays */
	memcpy(more, V1, sizeof(V1));
	more[3] = (struct bh_ctl_image_vuln){ "CVE-2025-0003", "busybox", "1.36.1-r15", NULL,
					      BH_SEV_HIGH };
	record(s, "team/app", D1, more, 4, NULL, 1);
	/* the same digest in another repository: its row gets the counts too */
	record(s, "other/app", D1, more, 4, NULL, 0);
	record(s, "team/base", D2, V1 + 1, 1, NULL, 1);
	assert_int_equal(count_q(s, "SELECT count(*) FROM image_vulns"), 4);
	assert_int_equal(count_q(s, "SELECT count(*) FROM images WHERE n_high = 1"), 2);
	assert_int_equal(count_q(s, "SELECT count(*) FROM audit WHERE action = 'image.scan'"), 4);
	/* the rescans kept the SBOM */
	assert_int_equal(count_q(s, "SELECT count(*) FROM image_sboms"), 1);

	f.min_severity = BH_SEV_HIGH;
	assert_int_equal(bh_ctl_image_list(s, &f, &v, &err), 0);
	assert_int_equal(json_array_size(bh_json_arr(v, "items")), 2);
	json_decref(v);
	f.min_severity = -1;
	f.repository = "team/base";
	assert_int_equal(bh_ctl_image_list(s, &f, &v, &err), 0);
	assert_int_equal(json_array_size(bh_json_arr(v, "items")), 1);
	json_decref(v);
	/* pages of one */
	f.repository = NULL;
	f.limit = 1;
	assert_int_equal(bh_ctl_image_list(s, &f, &v, &err), 0);
	assert_int_equal(json_array_size(bh_json_arr(v, "items")), 1);
	assert_true(json_is_integer(json_object_get(v, "next")));
	f.after_id = json_integer_value(json_object_get(v, "next"));
	json_decref(v);
	f.limit = 2;
	assert_int_equal(bh_ctl_image_list(s, &f, &v, &err), 0);
	assert_int_equal(json_array_size(bh_json_arr(v, "items")), 2);
	assert_true(json_is_null(json_object_get(v, "next")));
	json_decref(v);
	f.limit = BH_CTL_IMAGE_PAGE_MAX + 1;
	assert_int_equal(bh_ctl_image_list(s, &f, &v, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
	bh_error_free(err);
	err = NULL;

	assert_int_equal(bh_ctl_image_get(s, D1, true, &v, &err), 0);
	assert_int_equal(json_array_size(bh_json_arr(v, "repositories")), 2);
	assert_int_equal(json_array_size(bh_json_arr(v, "vulnerabilities")), 3);
	/* worst first */
	assert_string_equal(
		bh_json_str(json_array_get(bh_json_arr(v, "vulnerabilities"), 0), "severity"),
		"CRITICAL");
	assert_string_equal(
		bh_json_str(json_array_get(bh_json_arr(v, "vulnerabilities"), 0), "fixed"),
		"3.1.4-r6");
	assert_string_equal(bh_json_str(bh_json_obj(v, "sbom"), "bomFormat"), "CycloneDX");
	json_decref(v);
	assert_int_equal(bh_ctl_image_get(s, D2, false, &v, &err), 0);
	assert_null(json_object_get(v, "sbom"));
	json_decref(v);
	assert_int_equal(
		bh_ctl_image_get(s,
				 "sha256:"
				 "3333333333333333333333333333333333333333333333333333333333333333",
				 false, &v, &err),
		-1);
	assert_int_equal(bh_error_code(err), BH_ERR_NOTFOUND);
	bh_error_free(err);
	bh_ctl_store_free(s);
}

static void a_bad_record_leaves_nothing(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	char longid[2000];
	struct bh_ctl_image_vuln bad[2] = { V1[0], V1[1] };
	struct bh_ctl_image_scan sc = { "team/app", D1, NULL, bad, 2, "{}" };
	struct bh_error *err = NULL;
	static const char *const repos[] = { "", "Team/app", "a//b", "-a", "a/", "a b", NULL };

	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = 0;
	bad[1].id = longid;
	assert_int_equal(bh_ctl_image_record(s, "t", &sc, NULL, NULL, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
	bh_error_free(err);
	err = NULL;
	assert_int_equal(count_q(s, "SELECT count(*) FROM images"), 0);
	assert_int_equal(count_q(s, "SELECT count(*) FROM image_vulns"), 0);
	assert_int_equal(count_q(s, "SELECT count(*) FROM image_sboms"), 0);
	assert_int_equal(count_q(s, "SELECT count(*) FROM audit"), 0);
	bad[1] = V1[1];
	for (size_t i = 0; repos[i]; i++) {
		sc.repository = repos[i];
		assert_int_equal(bh_ctl_image_record(s, "t", &sc, NULL, NULL, &err), -1);
		bh_error_free(err);
		err = NULL;
	}
	sc.repository = "team/app";
	sc.digest = "sha256:12";
	assert_int_equal(bh_ctl_image_record(s, "t", &sc, NULL, NULL, &err), -1);
	bh_error_free(err);
	assert_int_equal(count_q(s, "SELECT count(*) FROM images"), 0);
	bh_ctl_store_free(s);
}

static int sbom_seen(void *ctx, const char *digest, const char *repo, const char *sbom,
		     struct bh_error **err)
{
	json_t *seen = ctx;

	(void)err;
	json_array_append_new(seen, json_pack("[sss]", digest, repo, sbom ? sbom : "-"));
	return 0;
}

static void each_sbom_walks_every_digest(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_error *err = NULL;
	json_t *seen = json_array();

	record(s, "b/app", D1, V1, 1, "{\"x\":1}", 1);
	record(s, "a/app", D1, V1, 1, NULL, 0);
	record(s, "c/app", D2, V1, 1, NULL, 1);
	assert_int_equal(bh_ctl_image_each_sbom(s, sbom_seen, seen, &err), 0);
	assert_int_equal(json_array_size(seen), 2);
	assert_string_equal(json_string_value(json_array_get(json_array_get(seen, 0), 1)), "a/app");
	assert_string_equal(json_string_value(json_array_get(json_array_get(seen, 0), 2)),
			    "{\"x\":1}");
	assert_string_equal(json_string_value(json_array_get(json_array_get(seen, 1), 2)), "-");
	json_decref(seen);
	bh_ctl_store_free(s);
}

/* ---- the notification envelope ---------------------------------------------------------- */

#define MT_OCI "application/vnd.oci.image.manifest.v1+json"
#define EV(action, mt, repo, digest, tag)                                                          \
	"{\"action\":\"" action "\",\"target\":{\"mediaType\":\"" mt "\",\"repository\":\"" repo   \
	"\",\"digest\":\"" digest "\"" tag "}}"

static int parse(const char *s, struct bh_ctl_push **p, size_t *n, size_t *skipped)
{
	struct bh_error *err = NULL;
	int rc = bh_ctl_hook_parse(s, strlen(s), p, n, skipped, &err);

	if (rc < 0) {
		assert_non_null(err);
		assert_null(*p);
		bh_error_free(err);
	}
	return rc;
}

static void hook_parser_refuses_hostile_input(void **state)
{
	struct bh_ctl_push *p = NULL;
	size_t n, sk;
	static const char *const bad[] = {
		"",
		"[]",
		"{\"events\":{}}",
		"{\"events\":[1]}",
		"{\"events\":[{\"action\":\"push\"}]}",
		"{\"events\":[" EV("push", MT_OCI, "Team/app", D1, "") "]}",
		"{\"events\":[" EV("push", MT_OCI, "a//b", D1, "") "]}",
		"{\"events\":[" EV("push", MT_OCI, "a\\u0000b", D1, "") "]}",
		"{\"events\":[" EV("push", MT_OCI, "../etc", D1, "") "]}",
		"{\"events\":[" EV("push", MT_OCI, "a", "sha256:1", "") "]}",
		"{\"events\":[" EV(
			"push", MT_OCI, "a",
			"SHA256:1111111111111111111111111111111111111111111111111111111111111111",
			"") "]}",
		"{\"events\":[" EV("push", MT_OCI, "a", D1, ",\"tag\":\"-x\"") "]}",
		"{\"events\":[" EV("push", MT_OCI, "a", D1, ",\"tag\":\"a/b\"") "]}",
		"{\"events\":[" EV("push", MT_OCI, "a", D1, ",\"tag\":\"a\\u0000\"") "]}",
		"{\"events\":[" EV("push", MT_OCI, "a", D1, ",\"tag\":1") "]}",
		"{\"events\":[],}",
		NULL,
	};
	struct bh_buf big = BH_BUF_INIT(1u << 22);

	(void)state;
	for (size_t i = 0; bad[i]; i++)
		if (parse(bad[i], &p, &n, &sk) != -1)
			fail_msg("accepted: %s", bad[i]);
	/* pushes of manifests only, duplicates dropped, in order */
	assert_int_equal(
		parse("{\"events\":[" EV("push", MT_OCI, "team/app", D1, ",\"tag\":\"1.0\"") "," EV(
			      "pull", MT_OCI, "team/app", D1,
			      "") "," EV("push", "application/vnd.oci.image.index.v1+json",
					 "team/app", D2,
					 "") "," EV("push", "application/octet-stream", "team/app",
						    D2,
						    "") "," EV("push",
							       "application/"
							       "vnd.docker.distribution."
							       "manifest.v2+json",
							       "team/app", D2,
							       "") "," EV("push", MT_OCI,
									  "team/app", D1,
									  ",\"tag\":\"1."
									  "0\"") "," EV("pu"
											"s"
											"h",
											MT_OCI,
											"b/"
											"a_"
											"b_"
											"_c"
											"-d"
											"--"
											"e."
											"f",
											D1,
											"") "],"
											    "\"x\":"
											    "1}",
		      &p, &n, &sk),
		0);
	assert_int_equal(n, 3);
	assert_int_equal(sk, 4);
	assert_string_equal(p[0].repository, "team/app");
	assert_string_equal(p[0].digest.str, D1);
	assert_string_equal(p[0].tag, "1.0");
	assert_string_equal(p[1].digest.str, D2);
	assert_string_equal(p[1].tag, "");
	assert_string_equal(p[2].repository, "b/a_b__c-d--e.f");
	free(p);
	/* too many events, too many bytes */
	bh_buf_adds(&big, "{\"events\":[", NULL);
	for (int i = 0; i <= BH_CTL_HOOK_EVENTS_MAX; i++)
		bh_buf_adds(&big, i ? ",{}" : "{}", NULL);
	bh_buf_adds(&big, "]}", NULL);
	assert_int_equal(parse(big.data, &p, &n, &sk), -1);
	bh_buf_reset(&big);
	bh_buf_adds(&big, "{\"events\":[],\"pad\":\"", NULL);
	for (size_t i = 0; i < BH_CTL_HOOK_MAX; i++)
		bh_buf_addc(&big, 'a', NULL);
	bh_buf_adds(&big, "\"}", NULL);
	assert_int_equal(parse(big.data, &p, &n, &sk), -1);
	bh_buf_release(&big);
}

static void repository_grammar(void **state)
{
	static const char *const good[] = { "a",     "team/app",       "a.b",
					    "a_b",   "a__b",	       "a---b",
					    "0/1/2", "library/alpine", NULL };
	static const char *const bad[] = { "",	 "A",  "a/", "/a",  "a//b", "a..b", "a___b",
					   "_a", "a-", "a.", "a:b", "a@b",  "a b",  NULL };
	char longname[BH_CTL_REPO_MAX + 2];

	(void)state;
	for (size_t i = 0; good[i]; i++)
		if (!bh_ctl_repo_valid(good[i], strlen(good[i])))
			fail_msg("refused: %s", good[i]);
	for (size_t i = 0; bad[i]; i++)
		if (bh_ctl_repo_valid(bad[i], strlen(bad[i])))
			fail_msg("accepted: %s", bad[i]);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	assert_false(bh_ctl_repo_valid(longname, strlen(longname)));
	assert_true(bh_ctl_repo_valid(longname, BH_CTL_REPO_MAX));
}

static void scan_queue_bounded_and_deduplicated(void **state)
{
	struct bh_ctl_store *s = fresh(&lite);
	struct bh_ctl_auto_opts o = { .store = s,
				      .registry = "127.0.0.1:1",
				      .advisory_db = "/nonexistent/adv.sqlite",
				      .queue_max = 1 };
	struct bh_ctl_auto *a = NULL;
	struct bh_error *err = NULL;
	struct bh_ctl_push p[2] = { 0 };
	size_t q = 9;

	(void)state;
	assert_int_equal(bh_digest_parse(D1, &p[0].digest, &err), 0);
	assert_int_equal(bh_digest_parse(D2, &p[1].digest, &err), 0);
	snprintf(p[0].repository, sizeof(p[0].repository), "a");
	snprintf(p[1].repository, sizeof(p[1].repository), "a");
	o.registry = "host/path";
	assert_int_equal(bh_ctl_auto_new(&o, &a, &err), -1);
	bh_error_free(err);
	err = NULL;
	o.registry = "127.0.0.1:1";
	assert_int_equal(bh_ctl_auto_new(&o, &a, &err), 0);
	/* two digests do not fit a queue of one: none is queued */
	assert_int_equal(bh_ctl_auto_enqueue(a, "t", p, 2, &q, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_LIMIT);
	assert_int_equal(q, 0);
	bh_error_free(err);
	err = NULL;
	/* one digest twice is one job */
	p[1] = p[0];
	assert_int_equal(bh_ctl_auto_enqueue(a, "t", p, 2, &q, &err), 0);
	assert_int_equal(q, 1);
	bh_ctl_auto_free(a); /* joins the worker, whatever it is doing */
	bh_ctl_store_free(s);
}

static void sbom_read_back_for_a_rematch(void **state)
{
	struct bh_inventory *inv = NULL;
	struct bh_error *err = NULL;
	static const char *const bad[] = { "", "[]", "{}", "{\"components\":{}}", "nul\x01", NULL };
	static const char ok[] =
		"{\"components\":[{\"type\":\"operating-system\",\"name\":\"alpine\","
		"\"version\":\"3.19.4\",\"properties\":[{\"name\":\"bulkhead:os:ecosystem\","
		"\"value\":\"Alpine:v3.19\"}]},"
		"{\"type\":\"library\",\"name\":\"zlib\",\"version\":\"1.3.1-r0\","
		"\"properties\":[{\"name\":\"bulkhead:package:type\",\"value\":\"apk\"},"
		"{\"name\":\"bulkhead:package:ecosystem\",\"value\":\"Alpine:v3.19\"},"
		"{\"name\":\"bulkhead:package:sourceName\",\"value\":\"zlib\"}]},"
		"{\"type\":\"library\",\"group\":\"org.x\",\"name\":\"y\",\"version\":\"1\","
		"\"properties\":[{\"name\":\"bulkhead:package:type\",\"value\":\"java\"}]},"
		"{\"type\":\"library\",\"name\":\"untyped\",\"version\":\"1\"},"
		"{\"type\":\"library\",\"name\":7,\"version\":[],\"properties\":1},"
		"3, null]}";

	(void)state;
	for (size_t i = 0; bad[i]; i++) {
		assert_int_equal(bh_ctl_sbom_inventory(bad[i], strlen(bad[i]), &inv, &err), -1);
		assert_null(inv);
		bh_error_free(err);
		err = NULL;
	}
	assert_int_equal(bh_ctl_sbom_inventory(ok, strlen(ok), &inv, &err), 0);
	assert_string_equal(inv->os.ecosystem, "Alpine:v3.19");
	assert_int_equal(inv->npkgs, 2);
	assert_string_equal(inv->pkgs[0].name, "zlib");
	assert_string_equal(inv->pkgs[0].source_name, "zlib");
	assert_string_equal(inv->pkgs[1].name, "org.x:y");
	bh_inventory_free(inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(scans_recorded_listed_and_got),
		BOTH(a_bad_record_leaves_nothing),
		BOTH(each_sbom_walks_every_digest),
		cmocka_unit_test(hook_parser_refuses_hostile_input),
		cmocka_unit_test(repository_grammar),
		cmocka_unit_test(sbom_read_back_for_a_rematch),
		cmocka_unit_test(scan_queue_bounded_and_deduplicated),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
