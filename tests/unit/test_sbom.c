/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SBOM writers on a hand-made inventory: CycloneDX 1.5 (components,
 * licences as SPDX ids, expressions or names, properties, dependencies, and
 * vulnerabilities[] from findings: ratings, affects, fixed versions,
 * suppression analysis) and SPDX 2.3 (SPDXIDs, purls, licenseDeclared,
 * DESCRIBES / CONTAINS / DEPENDS_ON); both validated against the official
 * schemas in $TESTDATA/schemas when python3-jsonschema is there; the finding
 * list helpers; bulkhead's own inventory JSON; the SPDX id table (generated
 * by scripts/spdx-ids) against the enum of the CycloneDX schema, and SPDX
 * licence expressions.
 */
#include <unistd.h>

#include <strings.h>

#include "unit.h"
#include "bulkhead/inventory.h"
#include "bulkhead/report.h"
#include "report/internal.h"

static char **strv(const char *a, const char *b)
{
	char **v = bh_calloc(3, sizeof(*v));

	v[0] = a ? bh_strdup(a) : NULL;
	v[1] = b ? bh_strdup(b) : NULL;
	return v;
}

static void add_pkg(struct bh_inventory *inv, enum bh_pkg_type t, const char *eco, const char *name,
		    const char *version, const char *purl, char **lic, const char *id,
		    const char *dep)
{
	struct bh_package *p;

	inv->pkgs = bh_reallocarray(inv->pkgs, inv->npkgs + 1, sizeof(*inv->pkgs));
	p = &inv->pkgs[inv->npkgs++];
	memset(p, 0, sizeof(*p));
	p->type = t;
	p->ecosystem = bh_strdup(eco);
	p->name = bh_strdup(name);
	p->version = bh_strdup(version);
	p->purl = bh_strdup(purl);
	p->licenses = lic;
	p->path = bh_strdup("/var/lib/dpkg/status");
	p->layer = 1;
	p->id = bh_strdup(id);
	p->depends = dep ? strv(dep, NULL) : NULL;
	if (t == BH_PKG_DPKG) {
		p->source_name = bh_strdup("util-linux");
		p->source_version = bh_strdup("2.38.1-5");
		p->arch = bh_strdup("amd64");
	}
}

static struct bh_inventory *make_inventory(void)
{
	struct bh_inventory *inv = bh_calloc(1, sizeof(*inv));

	inv->os.id = bh_strdup("debian");
	inv->os.version_id = bh_strdup("12");
	inv->os.pretty_name = bh_strdup("Debian GNU/Linux 12 (bookworm)");
	inv->os.ecosystem = bh_strdup("Debian:12");
	inv->os.source = bh_strdup("/etc/os-release");
	add_pkg(inv, BH_PKG_DPKG, "Debian:12", "bsdutils", "1:2.38.1-5",
		"pkg:deb/debian/bsdutils@2.38.1-5?arch=amd64&epoch=1",
		strv("GPL-2.0-or-later", NULL), "dpkg-bsdutils-1-2.38.1-5-aaaa",
		"dpkg-libc6-2.36-bbbb");
	add_pkg(inv, BH_PKG_DPKG, "Debian:12", "libc6", "2.36", "pkg:deb/debian/libc6@2.36", NULL,
		"dpkg-libc6-2.36-bbbb", NULL);
	add_pkg(inv, BH_PKG_APK, "Alpine:v3.19", "musl", "1.2.4-r4", "pkg:apk/alpine/musl@1.2.4-r4",
		strv("MIT AND BSD-2-Clause", NULL), "apk-musl-cccc", NULL);
	add_pkg(inv, BH_PKG_PYTHON, "PyPI", "six", "1.16.0", "pkg:pypi/six@1.16.0",
		strv("MIT License", "mit"), "python-six-dddd", NULL);
	add_pkg(inv, BH_PKG_JAVA, "Maven", "org.apache.commons:commons-io", "2.11.0",
		"pkg:maven/org.apache.commons/commons-io@2.11.0", strv("Apache-2.0", NULL),
		"java-commons-io-eeee", NULL);
	return inv;
}

static void add_findings(struct bh_findings *fs)
{
	struct bh_finding *f = bh_findings_add(fs);

	assert_int_equal(f->layer, -1);
	assert_int_equal(f->removed_layer, -1);
	assert_true(f->pkg == SIZE_MAX);
	f->id = bh_strdup("CVE-2024-1234");
	f->kind = BH_FIND_VULN;
	f->severity = BH_SEV_HIGH;
	f->score = 7.5;
	f->cvss_vector = bh_strdup("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N");
	f->aliases = strv("DEBIAN-CVE-2024-1234", "GHSA-xxxx-yyyy-zzzz");
	f->title = bh_strdup("util-linux: a bug");
	f->references = strv("https://security-tracker.debian.org/tracker/CVE-2024-1234", NULL);
	f->pkg = 0;
	f->layer = 0;
	f->path = bh_strdup("/var/lib/dpkg/status");
	f->fixed_versions = strv("2.38.1-5+deb12u1", NULL);
	f->fix_state = BH_FIX_FIXED;
	f = bh_findings_add(fs);
	f->id = bh_strdup("CVE-2023-9");
	f->kind = BH_FIND_VULN;
	f->severity = BH_SEV_UNKNOWN;
	f->pkg = 3;
	f->suppressed = true;
	f->suppressed_by = bh_strdup("vex");
	f->suppress_reason = bh_strdup("vulnerable_code_not_present");
	f = bh_findings_add(fs);
	f->id = bh_strdup("BH-SECRET-AWS");
	f->kind = BH_FIND_SECRET;
	f->severity = BH_SEV_CRITICAL;
}

/* Validate with the official schema when the data and the validator are there. */
static void validate(const char *schema, json_t *doc)
{
	const char *td = getenv("TESTDATA");
	char *dir, *file, *cmd;
	int rc;

	if (!td || access("/usr/bin/python3", X_OK) != 0)
		return;
	dir = bh_asprintf("%s/schemas", td);
	if (access(dir, R_OK) != 0 ||
	    system("/usr/bin/python3 -c 'import jsonschema' 2>/dev/null") != 0) {
		free(dir);
		return;
	}
	file = bh_strdup("/tmp/bh-sbom-unit.XXXXXX");
	close(mkstemp(file));
	json_dump_file(doc, file, JSON_INDENT(1));
	cmd = bh_asprintf("cd '%s' && /usr/bin/python3 validate.py %s %s >&2", dir, schema, file);
	rc = system(cmd);
	unlink(file);
	free(cmd);
	free(file);
	free(dir);
	assert_int_equal(rc, 0);
}

static json_t *find_by(json_t *arr, const char *key, const char *val)
{
	size_t i;
	json_t *v;

	json_array_foreach (arr, i, v)
		if (bh_json_str(v, key) && !strcmp(bh_json_str(v, key), val))
			return v;
	return NULL;
}

static const char *prop(json_t *o, const char *name)
{
	json_t *p = find_by(json_object_get(o, "properties"), "name", name);

	return p ? bh_json_str(p, "value") : NULL;
}

static void test_cyclonedx(void **state)
{
	struct bh_inventory *inv = make_inventory();
	struct bh_findings fs = { 0 };
	struct bh_report r = { .inv = inv,
			       .tool_version = "0.1.0",
			       .created = "2026-01-02T03:04:05Z" };
	struct bh_error *err = NULL;
	json_t *bom, *comps, *c, *v, *vulns;

	assert_int_equal(bh_report_cyclonedx(&r, &bom, &err), 0);
	assert_string_equal(bh_json_str(bom, "bomFormat"), "CycloneDX");
	assert_string_equal(bh_json_str(bom, "specVersion"), "1.5");
	assert_true(bh_str_has_prefix(bh_json_str(bom, "serialNumber"), "urn:uuid:"));
	assert_null(json_object_get(bom, "vulnerabilities")); /* no findings given */
	comps = json_object_get(bom, "components");
	assert_int_equal(json_array_size(comps), 6); /* OS + 5 */
	c = find_by(comps, "bom-ref", "dpkg-bsdutils-1-2.38.1-5-aaaa");
	assert_non_null(c);
	assert_string_equal(
		bh_json_str(json_object_get(json_array_get(json_object_get(c, "licenses"), 0),
					    "license"),
			    "id"),
		"GPL-2.0-or-later");
	assert_string_equal(prop(c, "bulkhead:location:layer"), "2");
	assert_string_equal(prop(c, "bulkhead:package:sourceName"), "util-linux");
	c = find_by(comps, "bom-ref", "apk-musl-cccc");
	assert_string_equal(
		bh_json_str(json_array_get(json_object_get(c, "licenses"), 0), "expression"),
		"MIT AND BSD-2-Clause");
	c = find_by(comps, "bom-ref", "python-six-dddd");
	assert_string_equal(
		bh_json_str(json_object_get(json_array_get(json_object_get(c, "licenses"), 0),
					    "license"),
			    "name"),
		"MIT License");
	assert_string_equal(
		bh_json_str(json_object_get(json_array_get(json_object_get(c, "licenses"), 1),
					    "license"),
			    "id"),
		"MIT");
	c = find_by(comps, "bom-ref", "java-commons-io-eeee");
	assert_string_equal(bh_json_str(c, "group"), "org.apache.commons");
	assert_string_equal(bh_json_str(c, "name"), "commons-io");
	assert_non_null(find_by(comps, "type", "operating-system"));
	{
		json_t *d = find_by(json_object_get(bom, "dependencies"), "ref",
				    "dpkg-bsdutils-1-2.38.1-5-aaaa");

		assert_non_null(d);
		assert_string_equal(
			json_string_value(json_array_get(json_object_get(d, "dependsOn"), 0)),
			"dpkg-libc6-2.36-bbbb");
	}
	validate("cyclonedx/bom-1.5.schema.json", bom);
	json_decref(bom);

	/* with findings: vulnerabilities[] (vulnerabilities only) */
	add_findings(&fs);
	r.findings = &fs;
	assert_int_equal(bh_report_cyclonedx(&r, &bom, &err), 0);
	vulns = json_object_get(bom, "vulnerabilities");
	assert_int_equal(json_array_size(vulns), 2);
	v = find_by(vulns, "id", "CVE-2024-1234");
	assert_non_null(v);
	c = json_array_get(json_object_get(v, "ratings"), 0);
	assert_string_equal(bh_json_str(c, "severity"), "high");
	assert_string_equal(bh_json_str(c, "method"), "CVSSv31");
	assert_true(json_real_value(json_object_get(c, "score")) == 7.5);
	assert_string_equal(bh_json_str(json_array_get(json_object_get(v, "affects"), 0), "ref"),
			    "dpkg-bsdutils-1-2.38.1-5-aaaa");
	assert_string_equal(bh_json_str(v, "recommendation"), "Upgrade to 2.38.1-5+deb12u1");
	assert_string_equal(prop(v, "bulkhead:finding:fixedVersion"), "2.38.1-5+deb12u1");
	assert_int_equal(json_array_size(json_object_get(v, "references")), 2);
	v = find_by(vulns, "id", "CVE-2023-9");
	assert_string_equal(bh_json_str(json_object_get(v, "analysis"), "state"), "not_affected");
	assert_string_equal(
		bh_json_str(json_array_get(json_object_get(v, "ratings"), 0), "severity"),
		"unknown");
	validate("cyclonedx/bom-1.5.schema.json", bom);
	json_decref(bom);
	bh_findings_release(&fs);
	assert_null(fs.v);
	bh_inventory_free(inv);
}

static void test_spdx(void **state)
{
	struct bh_inventory *inv = make_inventory();
	struct bh_report r = { .inv = inv, .tool_version = "0.1.0" };
	struct bh_error *err = NULL;
	json_t *doc, *pkgs, *rels, *p;
	size_t i;

	assert_int_equal(bh_report_spdx(&r, &doc, &err), 0);
	assert_string_equal(bh_json_str(doc, "spdxVersion"), "SPDX-2.3");
	assert_string_equal(bh_json_str(doc, "dataLicense"), "CC0-1.0");
	assert_string_equal(bh_json_str(doc, "SPDXID"), "SPDXRef-DOCUMENT");
	assert_non_null(bh_json_str(doc, "documentNamespace"));
	assert_null(json_object_get(doc, "$schema"));
	pkgs = json_object_get(doc, "packages");
	assert_int_equal(json_array_size(pkgs), 7); /* image + OS + 5 */
	p = find_by(pkgs, "SPDXID", "SPDXRef-Package-dpkg-bsdutils-1-2.38.1-5-aaaa");
	assert_non_null(p);
	assert_string_equal(bh_json_str(p, "downloadLocation"), "NOASSERTION");
	assert_string_equal(bh_json_str(p, "licenseDeclared"), "GPL-2.0-or-later");
	assert_string_equal(bh_json_str(json_array_get(json_object_get(p, "externalRefs"), 0),
					"referenceLocator"),
			    "pkg:deb/debian/bsdutils@2.38.1-5?arch=amd64&epoch=1");
	p = find_by(pkgs, "name", "six");
	assert_string_equal(bh_json_str(p, "licenseDeclared"), "NOASSERTION");
	p = find_by(pkgs, "name", "musl");
	assert_string_equal(bh_json_str(p, "licenseDeclared"), "MIT AND BSD-2-Clause");
	rels = json_object_get(doc, "relationships");
	{
		size_t describes = 0, contains = 0, depends = 0;
		json_t *rel;

		json_array_foreach (rels, i, rel) {
			const char *t = bh_json_str(rel, "relationshipType");

			describes += !strcmp(t, "DESCRIBES");
			contains += !strcmp(t, "CONTAINS");
			depends += !strcmp(t, "DEPENDS_ON");
		}
		assert_int_equal(describes, 1);
		assert_int_equal(contains, 6);
		assert_int_equal(depends, 1);
	}
	validate("spdx-2.3/spdx-schema.json", doc);
	validate("spdx-2.3.1-draft/spdx-schema.json", doc);
	json_decref(doc);
	bh_inventory_free(inv);
}

static void test_names_and_json(void **state)
{
	struct bh_inventory *inv = make_inventory();
	json_t *o = bh_inventory_json(inv, NULL), *p;

	assert_string_equal(bh_finding_kind_name(BH_FIND_VULN), "vulnerability");
	assert_string_equal(bh_finding_kind_name(BH_FIND_SECRET), "secret");
	assert_string_equal(bh_fix_state_name(BH_FIX_NOT_FIXED), "not-fixed");
	assert_string_equal(bh_fix_state_name(BH_FIX_WONT_FIX), "wont-fix");
	assert_string_equal(bh_fix_state_name(BH_FIX_UNKNOWN), "unknown");
	assert_string_equal(bh_pkg_type_name(BH_PKG_GO_STDLIB), "go-stdlib");
	assert_string_equal(bh_pkg_purl_type(BH_PKG_PYTHON), "pypi");
	assert_null(json_object_get(o, "image"));
	assert_string_equal(bh_json_str(json_object_get(o, "os"), "ecosystem"), "Debian:12");
	p = json_array_get(json_object_get(o, "packages"), 0);
	assert_string_equal(bh_json_str(p, "type"), "dpkg");
	assert_string_equal(bh_json_str(p, "sourceName"), "util-linux");
	assert_int_equal(json_integer_value(json_object_get(p, "layer")), 2);
	assert_true(json_is_false(json_object_get(p, "dev")));
	json_decref(o);
	bh_inventory_free(inv);
	bh_findings_release(NULL);
	bh_finding_release(NULL);
}

/* The generated table is the enum of $TESTDATA's CycloneDX spdx.schema.json,
 * sorted for bsearch, and each id is found case-insensitively. */
static void spdx_ids_are_the_schema_enum_in_bsearch_order(void **state)
{
	const char *td = getenv("TESTDATA");
	char *path;
	json_t *schema, *v;
	json_error_t je;
	size_t i;

	(void)state;
	assert_true(report_spdx_nids > 700);
	for (i = 1; i < report_spdx_nids; i++)
		if (strcasecmp(report_spdx_ids[i - 1], report_spdx_ids[i]) >= 0)
			fail_msg("'%s' before '%s': not in strcasecmp order",
				 report_spdx_ids[i - 1], report_spdx_ids[i]);
	for (i = 0; i < report_spdx_nids; i++) {
		char lower[128];
		size_t k;

		assert_ptr_equal(report_spdx_id(report_spdx_ids[i]), report_spdx_ids[i]);
		for (k = 0; report_spdx_ids[i][k] && k + 1 < sizeof(lower); k++)
			lower[k] = (char)bh_tolower(report_spdx_ids[i][k]);
		lower[k] = 0;
		assert_ptr_equal(report_spdx_id(lower), report_spdx_ids[i]);
	}
	assert_null(report_spdx_id("MIT-but-not-quite"));
	assert_null(report_spdx_id(""));
	assert_null(report_spdx_id(NULL));

	path = bh_asprintf("%s/schemas/cyclonedx/spdx.schema.json", td ? td : "");
	schema = td ? json_load_file(path, 0, &je) : NULL;
	if (!schema) {
		free(path);
		skip(); /* no TESTDATA: the schema to compare with is not there */
	}
	assert_string_equal(bh_json_str(schema, "$comment") +
				    strlen(bh_json_str(schema, "$comment")) -
				    strlen(report_spdx_list_version),
			    report_spdx_list_version);
	assert_int_equal(json_array_size(bh_json_arr(schema, "enum")), report_spdx_nids);
	json_array_foreach (bh_json_arr(schema, "enum"), i, v) {
		const char *id = report_spdx_id(json_string_value(v));

		if (!id || strcmp(id, json_string_value(v)))
			fail_msg("the schema's '%s' is not in the table", json_string_value(v));
	}
	json_decref(schema);
	free(path);
}

static void spdx_expressions_take_known_ids_and_operators_only(void **state)
{
	static const char *const good[] = {
		"MIT",
		"mit",
		"Apache-2.0 OR MIT",
		"GPL-2.0-or-later WITH Classpath-exception-2.0",
		"(MIT OR BSD-3-Clause) AND Zlib",
		"GPL-2.0+",
		"LicenseRef-my.licence-1",
		"DocumentRef-x:LicenseRef-y",
	};
	static const char *const bad[] = {
		"",
		"MIT OR",
		"OR MIT",
		"(MIT",
		"MIT)",
		"MIT AND AND Zlib",
		"MIT Zlib",
		"Not-A-Licence",
		"MIT or Zlib",
		"LicenseRef-a b",
		"LicenseRef-a/b",
		"()",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!report_spdx_expression(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (report_spdx_expression(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
	assert_false(report_spdx_expression(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cyclonedx),
		cmocka_unit_test(test_spdx),
		cmocka_unit_test(test_names_and_json),
		cmocka_unit_test(spdx_ids_are_the_schema_enum_in_bsearch_order),
		cmocka_unit_test(spdx_expressions_take_known_ids_and_operators_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
