/* SPDX-License-Identifier: Apache-2.0 */
/* Suppression: the ignore file (expiry, reasons, aliases) and OpenVEX. */
#include <time.h>

#include "unit.h"
#include "bulkhead/scan.h"

static void add(struct bh_findings *l, const char *id, const char *alias, size_t pkg)
{
	struct bh_finding *f;

	l->v = bh_reallocarray(l->v, l->n + 1, sizeof(*l->v));
	f = &l->v[l->n++];
	memset(f, 0, sizeof(*f));
	f->id = bh_strdup(id);
	f->pkg = pkg;
	f->layer = -1;
	f->removed_layer = -1;
	if (alias) {
		f->aliases = bh_calloc(2, sizeof(char *));
		f->aliases[0] = bh_strdup(alias);
	}
}

static void release(struct bh_findings *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].id);
		if (l->v[i].aliases)
			free(l->v[i].aliases[0]);
		free(l->v[i].aliases);
		free(l->v[i].suppressed_by);
		free(l->v[i].suppress_reason);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void ignore_file_parses_ids_expiry_and_reasons(void **state)
{
	const char *text = "# accepted risks\n"
			   "CVE-2024-0001\n"
			   "  GHSA-aaaa-bbbb-cccc   exp:2030-01-31  # waiting for upstream\n"
			   "\n"
			   "BH-CFG-003 # root is needed here\r\n";
	struct bh_ignorelist l;

	assert_int_equal(bh_ignore_parse(text, strlen(text), "ignore", &l, NULL), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].id, "CVE-2024-0001");
	assert_null(l.v[0].reason);
	assert_int_equal(l.v[0].expires, 0);
	assert_string_equal(l.v[1].id, "GHSA-aaaa-bbbb-cccc");
	assert_string_equal(l.v[1].reason, "waiting for upstream");
	assert_int_equal(l.v[1].line, 3);
	/* the end of 2030-01-31, UTC */
	assert_true(l.v[1].expires == 1896134399);
	assert_string_equal(l.v[2].reason, "root is needed here");
	bh_ignore_release(&l);
}

static void ignore_file_refuses_bad_lines(void **state)
{
	static const char *const bad[] = { "CVE-1 exp:2030-13-01\n", "CVE-1 exp:tomorrow\n",
					   "CVE-1 extra\n", "CVE-1\nCVE-2 exp:\n" };
	struct bh_ignorelist l;
	struct bh_error *err = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bh_ignore_parse(bad[i], strlen(bad[i]), "f", &l, &err), -1);
		assert_error(err, BH_ERR_INVALID, "f line");
		bh_error_clear(&err);
	}
	assert_int_equal(bh_ignore_parse("a\0b\n", 4, "nul", &l, &err), -1);
	bh_error_free(err);
}

static void ignore_applies_by_alias_and_not_after_expiry(void **state)
{
	const char *text = "GHSA-x # reason\nCVE-2 exp:2000-01-01\n";
	struct bh_findings f = { 0 };
	struct bh_ignorelist l;

	add(&f, "CVE-1", "GHSA-x", 0);
	add(&f, "CVE-2", NULL, 0);
	add(&f, "CVE-3", NULL, 0);
	assert_int_equal(bh_ignore_parse(text, strlen(text), "i", &l, NULL), 0);
	assert_int_equal(bh_ignore_apply(&l, time(NULL), &f), 1);
	assert_true(f.v[0].suppressed);
	assert_string_equal(f.v[0].suppressed_by, "ignorefile");
	assert_string_equal(f.v[0].suppress_reason, "reason");
	assert_false(f.v[1].suppressed); /* expired */
	assert_false(f.v[2].suppressed);
	/* before the expiry date it applies */
	assert_int_equal(bh_ignore_apply(&l, 900000000, &f), 1);
	assert_true(f.v[1].suppressed);
	bh_ignore_release(&l);
	release(&f);
}

static void vex_not_affected_and_fixed_suppress_with_justification(void **state)
{
	const char *doc =
		"{\"@context\":\"https://openvex.dev/ns/v0.2.0\",\"statements\":["
		"{\"vulnerability\":{\"name\":\"CVE-1\"},\"products\":[{\"@id\":\"pkg:npm/"
		"lodash\"}],"
		"\"status\":\"not_affected\",\"justification\":\"vulnerable_code_not_present\"},"
		"{\"vulnerability\":{\"name\":\"GHSA-2\"},\"products\":[{\"@id\":\"pkg:npm/"
		"qs@6.5.1\"}],"
		"\"status\":\"fixed\"},"
		"{\"vulnerability\":{\"name\":\"CVE-3\"},\"status\":\"affected\"},"
		"{\"vulnerability\":{\"name\":\"CVE-4\"},\"products\":[{\"@id\":\"pkg:npm/"
		"other\"}],"
		"\"status\":\"not_affected\",\"justification\":\"component_not_present\"}]}";
	struct bh_package pkgs[2] = { { .name = "lodash", .purl = "pkg:npm/lodash@4.17.15" },
				      { .name = "qs", .purl = "pkg:npm/qs@6.5.1" } };
	struct bh_inventory inv = { .pkgs = pkgs, .npkgs = 2 };
	struct bh_findings f = { 0 };
	struct bh_vex v;

	add(&f, "CVE-1", NULL, 0);     /* lodash: suppressed (any version) */
	add(&f, "CVE-7", "GHSA-2", 1); /* qs 6.5.1 via alias: suppressed */
	add(&f, "CVE-3", NULL, 0);     /* affected: stays */
	add(&f, "CVE-4", NULL, 0);     /* other product: stays */
	assert_int_equal(bh_vex_parse(doc, strlen(doc), "vex", &v, NULL), 0);
	assert_int_equal(v.n, 4);
	assert_int_equal(bh_vex_apply(&v, NULL, &inv, &f), 2);
	assert_true(f.v[0].suppressed);
	assert_string_equal(f.v[0].suppressed_by, "vex");
	assert_string_equal(f.v[0].suppress_reason, "vulnerable_code_not_present");
	assert_true(f.v[1].suppressed);
	assert_false(f.v[2].suppressed);
	assert_false(f.v[3].suppressed);
	bh_vex_release(&v);
	release(&f);
}

static void vex_product_may_name_the_image(void **state)
{
	const char *doc =
		"{\"statements\":[{\"vulnerability\":{\"name\":\"CVE-1\"},\"products\":"
		"[{\"@id\":\"pkg:oci/app@sha256%3Aabababababababababababababababababababab"
		"abababababababababababab\",\"subcomponents\":[{\"@id\":\"pkg:npm/qs\"}]}],"
		"\"status\":\"not_affected\",\"impact_statement\":\"not reachable\"}]}";
	struct bh_image img = { .has_manifest = true };
	struct bh_package pkgs[2] = { { .name = "lodash", .purl = "pkg:npm/lodash@1" },
				      { .name = "qs", .purl = "pkg:npm/qs@6.5.1" } };
	struct bh_inventory inv = { .pkgs = pkgs, .npkgs = 2 };
	struct bh_findings f = { 0 };
	struct bh_vex v;

	bh_digest_parse("sha256:abababababababababababababababababababababababababababababababab",
			&img.manifest_digest, NULL);
	add(&f, "CVE-1", NULL, 0); /* lodash: not a listed subcomponent */
	add(&f, "CVE-1", NULL, 1); /* qs: suppressed */
	assert_int_equal(bh_vex_parse(doc, strlen(doc), "vex", &v, NULL), 0);
	assert_int_equal(bh_vex_apply(&v, &img, &inv, &f), 1);
	assert_false(f.v[0].suppressed);
	assert_true(f.v[1].suppressed);
	assert_string_equal(f.v[1].suppress_reason, "not reachable");
	bh_vex_release(&v);
	release(&f);
}

static void vex_refuses_malformed_documents(void **state)
{
	struct bh_error *err = NULL;
	struct bh_vex v;

	assert_int_equal(bh_vex_parse("{", 1, "v.json", &v, &err), -1);
	assert_error(err, BH_ERR_INVALID, "v.json: invalid JSON");
	bh_error_clear(&err);
	assert_int_equal(bh_vex_parse("{}", 2, "v.json", &v, &err), -1);
	assert_error(err, BH_ERR_INVALID, "not an OpenVEX document");
	bh_error_clear(&err);
	assert_int_equal(
		bh_vex_parse("{\"statements\":[{\"status\":\"fixed\"}]}", 35, "v.json", &v, &err),
		-1);
	assert_error(err, BH_ERR_INVALID, "statement 1 has no vulnerability");
	bh_error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ignore_file_parses_ids_expiry_and_reasons),
		cmocka_unit_test(ignore_file_refuses_bad_lines),
		cmocka_unit_test(ignore_applies_by_alias_and_not_after_expiry),
		cmocka_unit_test(vex_not_affected_and_fixed_suppress_with_justification),
		cmocka_unit_test(vex_product_may_name_the_image),
		cmocka_unit_test(vex_refuses_malformed_documents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
