/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OSV reader and OSV range semantics: bh_osv_affects against the schema's
 * evaluation rules (introduced / fixed / last_affected / limit, several
 * ranges, unsorted events, versions lists, GIT ranges), record normalisation
 * (YAML integers, aliases, severity, the schema's range rules), time parsing,
 * PEP 503 names, and the Alpine secdb reader.
 */
#include "unit.h"
#include "bulkhead/vuln.h"
#include "vuln/store_internal.h"

/* ---- bh_osv_affects ------------------------------------------------------ */

static json_t *js(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);

	if (!v)
		fail_msg("bad test JSON: %s: %s", je.text, text);
	return v;
}

/* Does `aff` (JSON text) cover v under scheme s, and with which fix? */
static void check(const char *aff, enum bh_vscheme s, const char *v, bool want,
		  const char *want_fixed)
{
	struct bh_error *err = NULL;
	json_t *a = js(aff);
	char *fixed = NULL;
	bool hit = !want;

	if (bh_osv_affects(a, s, v, &hit, &fixed, &err) < 0) {
		char *m = bh_error_message(err);

		fail_msg("%s on %s: %s", v, aff, m);
	}
	if (hit != want)
		fail_msg("%s: expected %s by %s", v, want ? "affected" : "not affected", aff);
	if (want_fixed && (!fixed || strcmp(fixed, want_fixed)))
		fail_msg("%s: expected fixed %s, got %s (%s)", v, want_fixed,
			 fixed ? fixed : "none", aff);
	if (!want_fixed && fixed)
		fail_msg("%s: expected no fixed version, got %s (%s)", v, fixed, aff);
	free(fixed);
	json_decref(a);
}

static void check_error(const char *aff, enum bh_vscheme s, const char *v, const char *needle)
{
	struct bh_error *err = NULL;
	json_t *a = js(aff);
	char *fixed = NULL;
	bool hit = true;

	assert_true(bh_osv_affects(a, s, v, &hit, &fixed, &err) < 0);
	assert_false(hit);
	assert_null(fixed);
	assert_error(err, BH_ERR_INVALID, needle);
	bh_error_free(err);
	json_decref(a);
}

#define R(events)   "{\"type\":\"ECOSYSTEM\",\"events\":[" events "]}"
#define SR(events)  "{\"type\":\"SEMVER\",\"events\":[" events "]}"
#define AFF(ranges) "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"p\"},\"ranges\":[" ranges "]}"

static void test_introduced_fixed(void **state)
{
	const char *a = AFF(R("{\"introduced\":\"0\"},{\"fixed\":\"1.2.0\"}"));

	check(a, BH_VS_SEMVER, "0.0.1", true, "1.2.0");
	check(a, BH_VS_SEMVER, "1.1.9", true, "1.2.0");
	check(a, BH_VS_SEMVER, "1.2.0-rc.1", true, "1.2.0");
	check(a, BH_VS_SEMVER, "1.2.0", false, NULL);
	check(a, BH_VS_SEMVER, "1.10.0", false, NULL);
	a = AFF(R("{\"introduced\":\"1.0.0\"},{\"fixed\":\"1.2.0\"}"));
	check(a, BH_VS_SEMVER, "0.9.9", false, NULL);
	check(a, BH_VS_SEMVER, "1.0.0", true, "1.2.0");
	check(a, BH_VS_SEMVER, "1.2.0", false, NULL);
}

static void test_introduced_only(void **state)
{
	const char *a = AFF(R("{\"introduced\":\"0\"}"));

	check(a, BH_VS_SEMVER, "0.0.0", true, NULL);
	check(a, BH_VS_SEMVER, "99.0.0", true, NULL);
	a = AFF(R("{\"introduced\":\"2.0.0\"}"));
	check(a, BH_VS_SEMVER, "1.9.9", false, NULL);
	check(a, BH_VS_SEMVER, "2.0.0", true, NULL);
}

static void test_last_affected(void **state)
{
	const char *a = AFF(R("{\"introduced\":\"1.0.0\"},{\"last_affected\":\"1.4.0\"}"));

	check(a, BH_VS_SEMVER, "0.5.0", false, NULL);
	check(a, BH_VS_SEMVER, "1.0.0", true, NULL);
	check(a, BH_VS_SEMVER, "1.4.0", true, NULL); /* last_affected is inclusive */
	check(a, BH_VS_SEMVER, "1.4.1", false, NULL);
}

static void test_several_intervals_one_range(void **state)
{
	const char *a = AFF(R("{\"introduced\":\"0\"},{\"fixed\":\"1.0.0\"},"
			      "{\"introduced\":\"2.0.0\"},{\"fixed\":\"2.5.0\"}"));

	check(a, BH_VS_SEMVER, "0.5.0", true, "1.0.0");
	check(a, BH_VS_SEMVER, "1.0.0", false, NULL);
	check(a, BH_VS_SEMVER, "1.5.0", false, NULL);
	check(a, BH_VS_SEMVER, "2.0.0", true, "2.5.0");
	check(a, BH_VS_SEMVER, "2.4.9", true, "2.5.0");
	check(a, BH_VS_SEMVER, "2.5.0", false, NULL);
	check(a, BH_VS_SEMVER, "3.0.0", false, NULL);
}

static void test_unsorted_events(void **state)
{
	/* The same intervals written in any order: the schema sorts them. */
	const char *a = AFF(R("{\"fixed\":\"2.5.0\"},{\"introduced\":\"2.0.0\"},"
			      "{\"fixed\":\"1.0.0\"},{\"introduced\":\"0\"}"));
	const char *b = AFF(R("{\"introduced\":\"2.0.0\"},{\"fixed\":\"1.0.0\"},"
			      "{\"fixed\":\"2.5.0\"},{\"introduced\":\"0\"}"));
	const char *c = AFF(R("{\"last_affected\":\"1.4.0\"},{\"introduced\":\"1.0.0\"}"));

	for (int i = 0; i < 2; i++) {
		const char *x = i ? b : a;

		check(x, BH_VS_SEMVER, "0.5.0", true, "1.0.0");
		check(x, BH_VS_SEMVER, "1.5.0", false, NULL);
		check(x, BH_VS_SEMVER, "2.1.0", true, "2.5.0");
		check(x, BH_VS_SEMVER, "2.5.0", false, NULL);
	}
	check(c, BH_VS_SEMVER, "1.2.0", true, NULL);
	check(c, BH_VS_SEMVER, "1.5.0", false, NULL);
	check(c, BH_VS_SEMVER, "0.9.0", false, NULL);
}

static void test_version_order_not_string_order(void **state)
{
	/* "1.10.0" > "1.9.0" as versions, < as strings. */
	const char *a = AFF(R("{\"introduced\":\"1.9.0\"},{\"fixed\":\"1.10.0\"}"));

	check(a, BH_VS_SEMVER, "1.9.5", true, "1.10.0");
	check(a, BH_VS_SEMVER, "1.10.0", false, NULL);
	check(a, BH_VS_SEMVER, "1.2.0", false, NULL);
}

static void test_several_ranges(void **state)
{
	const char *a = AFF(R("{\"introduced\":\"0\"},{\"fixed\":\"1.0.0\"}") "," R(
		"{\"introduced\":\"2.0.0\"},{\"fixed\":\"2.5.0\"}"));
	/* Overlapping ranges: the fix that ends them all is the highest. */
	const char *b = AFF(R("{\"introduced\":\"0\"},{\"fixed\":\"1.5.0\"}") "," R(
		"{\"introduced\":\"0\"},{\"fixed\":\"1.8.0\"}"));
	/* One covering range has no fix: no fixed version can be promised. */
	const char *c = AFF(R("{\"introduced\":\"0\"},{\"fixed\":\"1.5.0\"}") "," R(
		"{\"introduced\":\"1.0.0\"}"));
	/* A range that does not cover v does not lend its fix. */
	const char *d = AFF(R("{\"introduced\":\"0\"},{\"fixed\":\"1.5.0\"}") "," R(
		"{\"introduced\":\"3.0.0\"},{\"fixed\":\"3.1.0\"}"));

	check(a, BH_VS_SEMVER, "0.1.0", true, "1.0.0");
	check(a, BH_VS_SEMVER, "2.2.0", true, "2.5.0");
	check(a, BH_VS_SEMVER, "1.5.0", false, NULL);
	check(b, BH_VS_SEMVER, "1.0.0", true, "1.8.0");
	check(b, BH_VS_SEMVER, "1.6.0", true, "1.8.0");
	check(b, BH_VS_SEMVER, "1.8.0", false, NULL);
	check(c, BH_VS_SEMVER, "0.5.0", true, "1.5.0");
	check(c, BH_VS_SEMVER, "1.2.0", true, NULL);
	check(c, BH_VS_SEMVER, "7.0.0", true, NULL);
	check(d, BH_VS_SEMVER, "1.0.0", true, "1.5.0");
}

static void test_limit(void **state)
{
	const char *a = AFF(R("{\"introduced\":\"0\"},{\"limit\":\"2.0.0\"}"));
	const char *b = AFF(R("{\"introduced\":\"1.0.0\"},{\"limit\":\"*\"}"));
	const char *c = AFF(R("{\"introduced\":\"0\"},{\"fixed\":\"1.0.0\"},"
			      "{\"limit\":\"1.5.0\"},{\"limit\":\"3.0.0\"}"));
	const char *d = AFF(R("{\"introduced\":\"1.0.0\"},{\"limit\":\"0.5.0\"}"));

	check(a, BH_VS_SEMVER, "1.0.0", true, NULL);
	check(a, BH_VS_SEMVER, "2.0.0", false, NULL);
	check(a, BH_VS_SEMVER, "2.1.0", false, NULL);
	check(b, BH_VS_SEMVER, "99.0.0", true, NULL);
	check(b, BH_VS_SEMVER, "0.9.0", false, NULL);
	check(c, BH_VS_SEMVER, "0.5.0", true, "1.0.0");
	check(c, BH_VS_SEMVER, "2.0.0", false, NULL); /* before a limit, but fixed */
	/* limit below introduced: nothing is before the limit and affected */
	check(d, BH_VS_SEMVER, "0.4.0", false, NULL);
	check(d, BH_VS_SEMVER, "1.2.0", false, NULL);
}

static void test_versions_list(void **state)
{
	const char *a = "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"p\"},"
			"\"versions\":[\"1.0.0\",\"1.1.0\",\"2.0.0-beta.1\"]}";
	/* A range and a list that disagree: either one is enough. */
	const char *b = "{\"ranges\":[" R(
		"{\"introduced\":\"0\"},{\"fixed\":\"1.0.0\"}") "],"
								"\"versions\":[\"0.5.0\",\"3.0.0\"]"
								"}";

	check(a, BH_VS_SEMVER, "1.1.0", true, NULL);
	check(a, BH_VS_SEMVER, "2.0.0-beta.1", true, NULL);
	check(a, BH_VS_SEMVER, "1.2.0", false, NULL);
	check(a, BH_VS_SEMVER, "2.0.0", false, NULL);
	check(b, BH_VS_SEMVER, "0.5.0", true, "1.0.0");
	check(b, BH_VS_SEMVER, "3.0.0", true, NULL);
	check(b, BH_VS_SEMVER, "2.0.0", false, NULL);
	check("{\"package\":{\"ecosystem\":\"npm\",\"name\":\"p\"}}", BH_VS_SEMVER, "1.0.0", false,
	      NULL);
}

static void test_git_ranges_ignored(void **state)
{
	const char *a = "{\"ranges\":[{\"type\":\"GIT\",\"repo\":\"https://example.invalid/r\","
			"\"events\":[{\"introduced\":\"0\"},{\"fixed\":"
			"\"0123456789abcdef0123456789abcdef01234567\"}]}]}";
	const char *b = "{\"ranges\":[{\"type\":\"GIT\",\"repo\":\"https://example.invalid/r\","
			"\"events\":[{\"introduced\":\"0\"}]}],\"versions\":[\"1.0.0\"]}";

	check(a, BH_VS_SEMVER, "1.0.0", false, NULL);
	check(b, BH_VS_SEMVER, "1.0.0", true, NULL);
	check(b, BH_VS_SEMVER, "1.0.1", false, NULL);
}

static void test_equal_versions_keep_record_order(void **state)
{
	/* [1.0.0, 1.0.0) is empty ... */
	check(AFF(R("{\"introduced\":\"1.0.0\"},{\"fixed\":\"1.0.0\"}")), BH_VS_SEMVER, "1.0.0",
	      false, NULL);
	check(AFF(R("{\"introduced\":\"1.0.0\"},{\"fixed\":\"1.0.0\"}")), BH_VS_SEMVER, "1.5.0",
	      false, NULL);
	/* ... and [0, 2) then [2, 3) written as one range covers 2.0.0. */
	check(AFF(R("{\"introduced\":\"0\"},{\"fixed\":\"2.0.0\"},{\"introduced\":\"2.0.0\"},"
		    "{\"fixed\":\"3.0.0\"}")),
	      BH_VS_SEMVER, "2.0.0", true, "3.0.0");
}

static void test_dpkg_ecosystem(void **state)
{
	const char *a =
		"{\"package\":{\"ecosystem\":\"Debian:12\",\"name\":\"python3.11\"},"
		"\"ranges\":[" R("{\"introduced\":\"0\"},{\"fixed\":\"3.11.2-6+deb12u9\"}") "]}";

	check(a, BH_VS_DPKG, "3.11.2-6", true, "3.11.2-6+deb12u9");
	check(a, BH_VS_DPKG, "3.11.2-6+deb12u8", true, "3.11.2-6+deb12u9");
	check(a, BH_VS_DPKG, "3.11.2-6+deb12u9", false, NULL);
	check(a, BH_VS_DPKG, "3.11.2-6+deb12u10", false, NULL);
	check(a, BH_VS_DPKG, "3.11.2-6~bpo1", true, "3.11.2-6+deb12u9");
}

static void test_go_versions_without_v(void **state)
{
	/* OSV's Go records write SEMVER ranges without the "v" Go versions have. */
	const char *a = "{\"package\":{\"ecosystem\":\"Go\",\"name\":\"example.invalid/m\"},"
			"\"ranges\":[" SR("{\"introduced\":\"0\"},{\"fixed\":\"1.2.3\"}") "]}";

	check(a, BH_VS_GO, "v1.2.2", true, "v1.2.3");
	check(a, BH_VS_GO, "v1.2.3", false, NULL);
	check(a, BH_VS_GO, "1.0.0", true, "v1.2.3");
}

static void test_unreadable_range_versions(void **state)
{
	/* PyPA has such records ("fixed: 2019-09-12" is not PEP 440): the range
	 * cannot be placed against any version, the versions list still works. */
	const char *a = "{\"ranges\":[" R(
		"{\"introduced\":\"0\"},{\"fixed\":\"garbage!\"}") "],"
								   "\"versions\":[\"0.5.0\"]}";
	const char *b = AFF(R("{\"introduced\":\"0\"},{\"fixed\":\"garbage!\"}") "," R(
		"{\"introduced\":\"0\"},{\"fixed\":\"2.0.0\"}"));

	check(a, BH_VS_SEMVER, "0.5.0", true, NULL);
	check(a, BH_VS_SEMVER, "0.6.0", false, NULL);
	check(b, BH_VS_SEMVER, "1.0.0", true, "2.0.0");
}

static void test_bad_input(void **state)
{
	check_error(AFF(R("{\"introduced\":\"0\"},{\"fixed\":\"1.0.0\"}")), BH_VS_SEMVER,
		    "not a version", "");
	check_error(AFF(R("{\"introduced\":\"0\",\"fixed\":\"1.0.0\"}")), BH_VS_SEMVER, "1.0.0",
		    "event 0");
	check_error(AFF(R("{\"introduced\":\"0\"},{\"fixed\":7}")), BH_VS_SEMVER, "1.0.0",
		    "event 1");
	check_error("[]", BH_VS_SEMVER, "1.0.0", "not an object");
}

/* ---- records -------------------------------------------------------------- */

static int record(const char *text, struct bh_osv_record *r, struct bh_error **err)
{
	json_t *doc = NULL;
	int ret;

	if (bh_osv_parse_doc(text, strlen(text), "test", &doc, err) < 0)
		return -1;
	ret = bh_osv_record_from_json(doc, NULL, r, err);
	json_decref(doc);
	return ret;
}

static void bad_record(const char *text, const char *needle)
{
	struct bh_osv_record r;
	struct bh_error *err = NULL;

	assert_int_equal(record(text, &r, &err), -1);
	assert_error(err, BH_ERR_INVALID, needle);
	bh_error_free(err);
}

static void test_record_yaml(void **state)
{
	const char *y = "id: PYSEC-1\n"
			"modified: 2024-04-01T00:00:00.5Z\n"
			"aliases: [CVE-2099-1, GHSA-x, CVE-2099-1]\n"
			"upstream: [CVE-2099-1, OSV-9]\n"
			"affected:\n"
			"- package: {name: Foo_Bar.baz, ecosystem: PyPI}\n"
			"  ranges:\n"
			"  - type: ECOSYSTEM\n"
			"    events: [{introduced: '0'}, {fixed: 2}]\n"
			"  versions: [1, 1.5, 0.12.01]\n"
			"- ranges: [{type: GIT, repo: x, events: [{introduced: '0'}]}]\n";
	struct bh_osv_record r;
	struct bh_error *err = NULL;
	json_t *ev, *vers;

	assert_int_equal(record(y, &r, &err), 0);
	assert_string_equal(r.id, "PYSEC-1");
	assert_string_equal(r.key, "PYSEC-1");
	assert_false(r.synthetic);
	assert_int_equal(r.modified_us, 1711929600LL * 1000000 + 500000);
	/* aliases and upstream united, without duplicates */
	assert_int_equal(json_array_size(r.aliases), 3);
	assert_string_equal(json_string_value(json_array_get(r.aliases, 2)), "OSV-9");
	/* the GIT-only entry without a package is not kept */
	assert_int_equal(r.naffected, 1);
	assert_string_equal(r.affected[0].key, "foo-bar-baz");
	assert_string_equal(r.affected[0].name, "Foo_Bar.baz");
	ev = json_array_get(
		bh_json_arr(json_array_get(bh_json_arr(r.affected[0].data, "ranges"), 0), "events"),
		1);
	/* YAML's integer 2 is the version string "2" */
	assert_string_equal(bh_json_str(ev, "fixed"), "2");
	vers = bh_json_arr(r.affected[0].data, "versions");
	assert_string_equal(json_string_value(json_array_get(vers, 0)), "1");
	assert_string_equal(json_string_value(json_array_get(vers, 1)), "1.5");
	assert_int_equal(r.severity, BH_SEV_UNKNOWN);
	assert_true(r.score < 0);
	bh_osv_record_release(&r);
}

static void test_record_rules(void **state)
{
	bad_record("{\"modified\":\"2024-01-01T00:00:00Z\"}", "no valid id");
	bad_record("{\"id\":\"A B\",\"modified\":\"2024-01-01T00:00:00Z\"}", "no valid id");
	bad_record("{\"id\":\"X-1\",\"affected\":[]}", "no modified");
	bad_record("{\"id\":\"X-1\",\"modified\":\"yesterday\"}", "modified is not");
	bad_record("{\"id\":\"X-1\",\"modified\":\"2024-01-01T00:00:00Z\",\"withdrawn\":5}",
		   "withdrawn");
	bad_record("{\"id\":\"X-1\",\"modified\":\"2024-01-01T00:00:00Z\",\"aliases\":[1]}",
		   "aliases[0]");
	bad_record("{\"id\":\"X-1\",\"modified\":\"2024-01-01T00:00:00Z\",\"affected\":{}}",
		   "affected is not an array");
#define REC(aff) "{\"id\":\"X-1\",\"modified\":\"2024-01-01T00:00:00Z\",\"affected\":[" aff "]}"
	bad_record(REC(AFF(R("{\"fixed\":\"1.0.0\"}"))), "no introduced event");
	bad_record(REC(AFF(R("{\"introduced\":\"0\"},{\"fixed\":\"1.0.0\"},"
			     "{\"last_affected\":\"1.1.0\"}"))),
		   "fixed and last_affected");
	bad_record(REC(AFF("{\"type\":\"ECOSYSTEM\",\"events\":[]}")), "no events");
	bad_record(REC(AFF("{\"type\":\"RANGE\",\"events\":[{\"introduced\":\"0\"}]}")),
		   "unknown type");
	bad_record(REC(AFF(R("{\"introduced\":\"0\",\"fixed\":\"1.0.0\"}"))), "event 0");
	bad_record(REC(AFF(R("{\"introduced\":\"0\"},{\"fixed\":[\"1\"]}"))), "not a string");
	bad_record(REC(AFF(R("{\"introduced\":\"0\"},{\"fixed\":\"\"}"))),
		   "ranges[0]: event 1 (fixed): version '' is empty");
	bad_record(REC("{\"package\":{\"ecosystem\":\"npm\"}}"), "no valid name");
	bad_record(REC("{\"package\":{\"name\":\"x\"}}"), "no valid ecosystem");
	bad_record(REC("{\"package\":{\"ecosystem\":\"npm\",\"name\":\"x\"},\"versions\":[{}]}"),
		   "versions[0]");
	bad_record("[1]", "not an OSV object");
}

static void test_record_unreadable_version_kept(void **state)
{
	struct bh_osv_record r;
	struct bh_error *err = NULL;

	assert_int_equal(record(REC("{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"steam\"},"
				    "\"ranges\":[" R("{\"introduced\":\"0\"},{\"fixed\":"
						     "\"2019-09-12\"}") "],"
									"\"versions\":[\"1.0\"]}"),
				&r, &err),
			 0);
	assert_int_equal(r.naffected, 1);
	bh_osv_record_release(&r);
}

static void sev_case(const char *extra, enum bh_severity want, double want_score,
		     const char *want_vector)
{
	char *text = bh_asprintf("{\"id\":\"X-1\",\"modified\":\"2024-01-01T00:00:00Z\"%s}", extra);
	struct bh_osv_record r;
	struct bh_error *err = NULL;

	assert_int_equal(record(text, &r, &err), 0);
	assert_int_equal(r.severity, want);
	if (want_score < 0)
		assert_true(r.score < 0);
	else
		assert_true(r.score > want_score - 0.05 && r.score < want_score + 0.05);
	if (want_vector)
		assert_string_equal(r.cvss_vector, want_vector);
	else
		assert_null(r.cvss_vector);
	bh_osv_record_release(&r);
	free(text);
}

static void test_record_severity(void **state)
{
	sev_case("", BH_SEV_UNKNOWN, -1, NULL);
	sev_case(",\"database_specific\":{\"severity\":\"MODERATE\"}", BH_SEV_MEDIUM, -1, NULL);
	sev_case(",\"database_specific\":{\"severity\":\"LOW\"}", BH_SEV_LOW, -1, NULL);
	sev_case(",\"database_specific\":{\"severity\":\"whatever\"}", BH_SEV_UNKNOWN, -1, NULL);
	/* CVSS wins over the database's label */
	sev_case(",\"severity\":[{\"type\":\"CVSS_V3\",\"score\":"
		 "\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}],"
		 "\"database_specific\":{\"severity\":\"LOW\"}",
		 BH_SEV_CRITICAL, 9.8, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
	/* v3 first, v4 when alone */
	sev_case(",\"severity\":[{\"type\":\"CVSS_V4\",\"score\":"
		 "\"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N\"},"
		 "{\"type\":\"CVSS_V3\",\"score\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/"
		 "A:H\"}]",
		 BH_SEV_CRITICAL, 9.8, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
	sev_case(",\"severity\":[{\"type\":\"CVSS_V4\",\"score\":"
		 "\"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N\"}]",
		 BH_SEV_CRITICAL, 9.3,
		 "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N");
	/* a vector that does not score falls back to the label */
	sev_case(",\"severity\":[{\"type\":\"CVSS_V3\",\"score\":\"CVSS:3.1/garbage\"}],"
		 "\"database_specific\":{\"severity\":\"HIGH\"}",
		 BH_SEV_HIGH, -1, NULL);
	sev_case(",\"severity\":[{\"type\":\"Ubuntu\",\"score\":\"negligible\"}]", BH_SEV_LOW, -1,
		 NULL);
}

static void test_affected_severity(void **state)
{
	const char *text = REC("{\"package\":{\"ecosystem\":\"npm\",\"name\":\"x\"},"
			       "\"severity\":[{\"type\":\"CVSS_V3\",\"score\":"
			       "\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}]},"
			       "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"y\"}}");
	struct bh_osv_record r;
	struct bh_error *err = NULL;

	assert_int_equal(record(text, &r, &err), 0);
	assert_int_equal(r.naffected, 2);
	assert_true(r.affected[0].own_severity);
	assert_int_equal(r.affected[0].severity, BH_SEV_CRITICAL);
	assert_false(r.affected[1].own_severity);
	bh_osv_record_release(&r);
}

static void test_times(void **state)
{
	int64_t us;

	assert_int_equal(bh_osv_parse_time("1970-01-01T00:00:00Z", &us), 0);
	assert_int_equal(us, 0);
	assert_int_equal(bh_osv_parse_time("2024-02-29T12:00:00.000001999Z", &us), 0);
	assert_int_equal(us, 1709208000LL * 1000000 + 1);
	/* a real PyPA record says it was modified in year 1 */
	assert_int_equal(bh_osv_parse_time("0001-01-01T00:00:00Z", &us), 0);
	assert_int_equal(us, -62135596800LL * 1000000);
	assert_int_equal(bh_osv_parse_time("9999-12-31T23:59:60Z", &us), 0);
	assert_int_equal(bh_osv_parse_time("2024-01-01T01:00:00+01:00", &us), 0);
	assert_int_equal(us, 1704067200LL * 1000000);
	assert_int_equal(bh_osv_parse_time("2023-12-31T19:00:00-05:00", &us), 0);
	assert_int_equal(us, 1704067200LL * 1000000);
	/* a fraction sorts after the whole second, unlike the strings */
	{
		int64_t a, b;

		assert_int_equal(bh_osv_parse_time("2024-01-01T00:00:05Z", &a), 0);
		assert_int_equal(bh_osv_parse_time("2024-01-01T00:00:05.1Z", &b), 0);
		assert_true(b > a);
	}
	assert_int_equal(bh_osv_parse_time("2024-01-01", &us), -1);
	assert_int_equal(bh_osv_parse_time("2024-13-01T00:00:00Z", &us), -1);
	assert_int_equal(bh_osv_parse_time("2023-02-30T00:00:00Z", &us), -1);
	assert_int_equal(bh_osv_parse_time("2024-01-01T00:00:00", &us), -1);
	assert_int_equal(bh_osv_parse_time("2024-01-01T00:00:00.Z", &us), -1);
	assert_int_equal(bh_osv_parse_time("2024-01-01T00:00:00Zjunk", &us), -1);
}

static void test_pep503(void **state)
{
	const char *cases[][2] = {
		{ "Foo_Bar", "foo-bar" },
		{ "foo.bar", "foo-bar" },
		{ "FOO--_.bar", "foo-bar" },
		{ "requests", "requests" },
		{ "Zope.Interface", "zope-interface" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *n = bh_osv_pypi_normalize(cases[i][0]);

		assert_string_equal(n, cases[i][1]);
		free(n);
	}
	{
		char *k = bh_osv_package_key("npm", "Foo_Bar");

		assert_string_equal(k, "Foo_Bar"); /* only PyPI is normalised */
		free(k);
	}
}

static void test_parse_doc_limits(void **state)
{
	const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
			   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
			   "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
			   "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
	struct bh_error *err = NULL;
	json_t *doc = NULL;
	char *big;

	assert_int_equal(bh_osv_parse_doc(bomb, strlen(bomb), "bomb", &doc, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "YAML nodes");
	bh_error_clear(&err);
	big = bh_calloc(1, BH_OSV_MAX_FILE + 2);
	memset(big, ' ', BH_OSV_MAX_FILE + 1);
	assert_int_equal(bh_osv_parse_doc(big, BH_OSV_MAX_FILE + 1, "big", &doc, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "exceeds the limit");
	bh_error_clear(&err);
	free(big);
	assert_int_equal(bh_osv_parse_doc("{\"a\":1,\"a\":2}", 13, "dup", &doc, &err), -1);
	assert_error(err, BH_ERR_INVALID, "dup");
	bh_error_clear(&err);
	/* a byte order mark, then JSON */
	assert_int_equal(bh_osv_parse_doc("\xef\xbb\xbf {\"id\":\"x\"}", 14, "bom", &doc, &err), 0);
	assert_int_equal(bh_osv_doc_kind(doc), BH_DOC_UNKNOWN); /* no modified/affected */
	json_decref(doc);
}

static void test_doc_kinds(void **state)
{
	struct {
		const char *text;
		enum bh_doc_kind kind;
	} cases[] = {
		{ "{\"id\":\"X\",\"modified\":\"t\"}", BH_DOC_OSV },
		{ "[{\"id\":\"X\"}]", BH_DOC_OSV_LIST },
		{ "[]", BH_DOC_OSV_LIST },
		{ "[1]", BH_DOC_UNKNOWN },
		{ "distroversion: v3.19\npackages: []\n", BH_DOC_SECDB },
		{ "{\"distroversion\":\"v3.19\",\"name\":\"z\",\"secfixes\":{}}",
		  BH_DOC_SECDB_PKG },
		{ "distroversion: v3.19\n", BH_DOC_UNKNOWN },
		{ "hello", BH_DOC_UNKNOWN },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *doc = NULL;

		assert_int_equal(
			bh_osv_parse_doc(cases[i].text, strlen(cases[i].text), "t", &doc, NULL), 0);
		if (bh_osv_doc_kind(doc) != cases[i].kind)
			fail_msg("case %zu (%s): kind %d", i, cases[i].text, bh_osv_doc_kind(doc));
		json_decref(doc);
	}
}

/* ---- secdb ---------------------------------------------------------------- */

struct collected {
	json_t *docs;  /* key -> doc */
	json_t *probs; /* messages */
};

static int collect(json_t *doc, const char *key, const char *problem, void *data,
		   struct bh_error **err)
{
	struct collected *c = data;

	if (doc)
		json_object_set(c->docs, key, doc);
	else
		json_array_append_new(c->probs, json_string(problem));
	return 0;
}

static int secdb(const char *text, struct collected *c, struct bh_error **err)
{
	json_t *doc = NULL;
	int r;

	c->docs = json_object();
	c->probs = json_array();
	if (bh_osv_parse_doc(text, strlen(text), "secdb", &doc, err) < 0)
		return -1;
	r = bh_secdb_records(doc, "secdb", collect, c, err);
	json_decref(doc);
	return r;
}

static void collected_release(struct collected *c)
{
	json_decref(c->docs);
	json_decref(c->probs);
}

static const char secdb_text[] = "distroversion: v3.19\n"
				 "reponame: main\n"
				 "packages:\n"
				 "  - pkg:\n"
				 "      name: zlib\n"
				 "      secfixes:\n"
				 "        '0':\n"
				 "          - CVE-2099-1000\n"
				 "        1.2.11-r4:\n"
				 "          - CVE-2099-1001\n"
				 "          - CVE-2099-1005\n"
				 "        1.2.12-r2:\n"
				 "          - CVE-2099-1002\n"
				 "          - CVE-2099-1005\n"
				 "  - pkg:\n"
				 "      name: xen\n"
				 "      secfixes:\n"
				 "        4.12.1-r0:\n"
				 "          - CVE-\?\?\?\?-\?\?\?\?\?  XSA-295\n"
				 "          - CVE-2099-1003 XSA-300\n"
				 "          - ALPINE-13661\n"
				 "          - '!!!'\n"
				 "  - pkg:\n"
				 "      secfixes: {}\n"
				 "  - pkg:\n"
				 "      name: nofixes\n";

static void test_secdb(void **state)
{
	struct bh_error *err = NULL;
	struct collected c;
	struct bh_osv_record r;
	json_t *d, *ranges;
	bool hit;
	char *fixed;

	assert_int_equal(secdb(secdb_text, &c, &err), 0);
	/* zlib: 1001, 1002, 1005 (1000 is "0": not affected); xen: XSA-295, 1003, 13661 */
	assert_int_equal(json_object_size(c.docs), 6);
	assert_null(json_object_get(c.docs, "ALPINE-CVE-2099-1000/Alpine:v3.19/zlib"));
	d = json_object_get(c.docs, "ALPINE-CVE-2099-1005/Alpine:v3.19/zlib");
	assert_non_null(d);
	assert_string_equal(bh_json_str(d, "id"), "ALPINE-CVE-2099-1005");
	assert_string_equal(json_string_value(json_array_get(bh_json_arr(d, "aliases"), 0)),
			    "CVE-2099-1005");
	/* fixed twice: one range per fix, so "below the last one" is affected */
	ranges = bh_json_arr(json_array_get(bh_json_arr(d, "affected"), 0), "ranges");
	assert_int_equal(json_array_size(ranges), 2);
	assert_int_equal(bh_osv_record_from_json(d, "k", &r, &err), 0);
	assert_true(r.synthetic);
	assert_null(r.modified);
	assert_string_equal(r.affected[0].ecosystem, "Alpine:v3.19");
	assert_string_equal(r.affected[0].name, "zlib");
	assert_int_equal(
		bh_osv_affects(r.affected[0].data, BH_VS_APK, "1.2.12-r0", &hit, &fixed, &err), 0);
	assert_true(hit);
	assert_string_equal(fixed, "1.2.12-r2");
	free(fixed);
	assert_int_equal(
		bh_osv_affects(r.affected[0].data, BH_VS_APK, "1.2.12-r2", &hit, &fixed, &err), 0);
	assert_false(hit);
	bh_osv_record_release(&r);
	d = json_object_get(c.docs, "ALPINE-XSA-295/Alpine:v3.19/xen");
	assert_non_null(d);
	d = json_object_get(c.docs, "ALPINE-CVE-2099-1003/Alpine:v3.19/xen");
	assert_string_equal(json_string_value(json_array_get(bh_json_arr(d, "aliases"), 1)),
			    "XSA-300");
	d = json_object_get(c.docs, "ALPINE-13661/Alpine:v3.19/xen");
	assert_int_equal(json_array_size(bh_json_arr(d, "aliases")), 0);
	/* '!!!' and the nameless package are reported, the rest goes on */
	assert_int_equal(json_array_size(c.probs), 2);
	collected_release(&c);

	assert_int_equal(secdb("distroversion: 3.19\npackages: []\n", &c, &err), -1);
	assert_error(err, BH_ERR_INVALID, "not an Alpine branch");
	bh_error_clear(&err);
	collected_release(&c);
	assert_int_equal(secdb("distroversion: v3.19\npackages: {}\n", &c, &err), -1);
	assert_error(err, BH_ERR_INVALID, "packages is not a list");
	bh_error_clear(&err);
	collected_release(&c);
	/* a version apk cannot read is kept (real secdb files have "4.8.0.-r1") */
	assert_int_equal(secdb("distroversion: v3.19\npackages:\n - pkg: {name: a, secfixes: "
			       "{4.8.0.-r1: [CVE-1]}}\n - pkg: {name: b, secfixes: [1]}\n"
			       " - pkg: {name: c, secfixes: {'': [CVE-2]}}\n",
			       &c, &err),
			 0);
	assert_int_equal(json_object_size(c.docs), 1);
	assert_int_equal(json_array_size(c.probs), 2);
	collected_release(&c);
	/* one package per file, vuln-list style */
	assert_int_equal(secdb("{\"distroversion\":\"v3.19\",\"name\":\"z\",\"secfixes\":"
			       "{\"1.0-r1\":[\"CVE-2099-1\"]}}",
			       &c, &err),
			 0);
	assert_non_null(json_object_get(c.docs, "ALPINE-CVE-2099-1/Alpine:v3.19/z"));
	collected_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_introduced_fixed),
		cmocka_unit_test(test_introduced_only),
		cmocka_unit_test(test_last_affected),
		cmocka_unit_test(test_several_intervals_one_range),
		cmocka_unit_test(test_unsorted_events),
		cmocka_unit_test(test_version_order_not_string_order),
		cmocka_unit_test(test_several_ranges),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_versions_list),
		cmocka_unit_test(test_git_ranges_ignored),
		cmocka_unit_test(test_equal_versions_keep_record_order),
		cmocka_unit_test(test_dpkg_ecosystem),
		cmocka_unit_test(test_go_versions_without_v),
		cmocka_unit_test(test_unreadable_range_versions),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_record_yaml),
		cmocka_unit_test(test_record_rules),
		cmocka_unit_test(test_record_unreadable_version_kept),
		cmocka_unit_test(test_record_severity),
		cmocka_unit_test(test_affected_severity),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_pep503),
		cmocka_unit_test(test_parse_doc_limits),
		cmocka_unit_test(test_doc_kinds),
		cmocka_unit_test(test_secdb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
