/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Version scheme dispatch: scheme names, OSV ecosystems, which schemes have
 * a range syntax, and that every scheme refuses rather than guesses.
 */
#include "unit.h"
#include "bulkhead/vuln.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_scheme_names(void **state)
{
	static const struct {
		const char *name;
		enum bh_vscheme s;
	} names[] = {
		{ "dpkg", BH_VS_DPKG },	    { "deb", BH_VS_DPKG },	{ "debian", BH_VS_DPKG },
		{ "DPKG", BH_VS_DPKG },	    { "apk", BH_VS_APK },	{ "alpine", BH_VS_APK },
		{ "rpm", BH_VS_RPM },	    { "semver", BH_VS_SEMVER }, { "npm", BH_VS_SEMVER },
		{ "pep440", BH_VS_PEP440 }, { "pypi", BH_VS_PEP440 },	{ "python", BH_VS_PEP440 },
		{ "go", BH_VS_GO },	    { "golang", BH_VS_GO },	{ "maven", BH_VS_MAVEN },
		{ "Maven", BH_VS_MAVEN },
	};
	static const char *const bad[] = { "", "deb ", "cargo", "gem", "nuget", "dpkg\n", "d" };
	struct bh_error *err = NULL;
	enum bh_vscheme s;

	for (size_t i = 0; i < N(names); i++) {
		assert_int_equal(bh_vscheme_parse(names[i].name, &s, NULL), 0);
		assert_int_equal(s, names[i].s);
	}
	for (size_t i = 0; i < N(bad); i++) {
		assert_int_equal(bh_vscheme_parse(bad[i], &s, &err), -1);
		assert_error(err, BH_ERR_INVALID, "unknown version scheme");
		bh_error_clear(&err);
	}
	assert_int_equal(bh_vscheme_parse(NULL, &s, &err), -1);
	bh_error_clear(&err);
	assert_string_equal(bh_vscheme_name(BH_VS_DPKG), "dpkg");
	assert_string_equal(bh_vscheme_name(BH_VS_APK), "apk");
	assert_string_equal(bh_vscheme_name(BH_VS_RPM), "rpm");
	assert_string_equal(bh_vscheme_name(BH_VS_SEMVER), "semver");
	assert_string_equal(bh_vscheme_name(BH_VS_PEP440), "pep440");
	assert_string_equal(bh_vscheme_name(BH_VS_GO), "go");
	assert_string_equal(bh_vscheme_name(BH_VS_MAVEN), "maven");
	assert_string_equal(bh_vscheme_name((enum bh_vscheme)99), "unknown");
	/* every name round-trips */
	for (int i = BH_VS_DPKG; i <= BH_VS_MAVEN; i++) {
		assert_int_equal(bh_vscheme_parse(bh_vscheme_name((enum bh_vscheme)i), &s, NULL),
				 0);
		assert_int_equal(s, i);
	}
}

static void test_ecosystems(void **state)
{
	static const struct {
		const char *eco;
		enum bh_vscheme s;
	} ecos[] = {
		{ "Debian", BH_VS_DPKG },
		{ "Debian:12", BH_VS_DPKG },
		{ "Debian:11", BH_VS_DPKG },
		{ "Ubuntu:22.04", BH_VS_DPKG },
		{ "Ubuntu:Pro:18.04:LTS", BH_VS_DPKG },
		{ "Alpine:v3.19", BH_VS_APK },
		{ "Alpine", BH_VS_APK },
		{ "Wolfi", BH_VS_APK },
		{ "Chainguard", BH_VS_APK },
		{ "Red Hat:9", BH_VS_RPM },
		{ "Red Hat:enterprise_linux:9::appstream", BH_VS_RPM },
		{ "Rocky Linux:9", BH_VS_RPM },
		{ "AlmaLinux:9", BH_VS_RPM },
		{ "AlmaLinux", BH_VS_RPM },
		{ "openSUSE:Leap 15.5", BH_VS_RPM },
		{ "SUSE:Linux Enterprise Server 15 SP5", BH_VS_RPM },
		{ "Mageia:9", BH_VS_RPM },
		{ "openEuler:22.03-LTS", BH_VS_RPM },
		{ "npm", BH_VS_SEMVER },
		{ "crates.io", BH_VS_SEMVER },
		{ "PyPI", BH_VS_PEP440 },
		{ "Go", BH_VS_GO },
		{ "Maven", BH_VS_MAVEN },
		{ "Maven:https://repo.maven.apache.org/maven2/", BH_VS_MAVEN },
	};
	static const char *const unsupported[] = {
		"",	     "debian",
		"pypi",	     "NPM",
		"RubyGems",  "NuGet",
		"Packagist", "Hex",
		"Pub",	     "GitHub Actions",
		"Linux",     "OSS-Fuzz",
		"Bitnami",   "Go ",
		" Go",	     "Alpine Linux",
		"Debian12",  "CRAN",
		"SwiftURL",
	};
	struct bh_error *err = NULL;
	enum bh_vscheme s;

	for (size_t i = 0; i < N(ecos); i++) {
		if (bh_vscheme_for_ecosystem(ecos[i].eco, &s, NULL) < 0)
			fail_msg("ecosystem '%s' not mapped", ecos[i].eco);
		assert_int_equal(s, ecos[i].s);
	}
	for (size_t i = 0; i < N(unsupported); i++) {
		if (bh_vscheme_for_ecosystem(unsupported[i], &s, &err) == 0)
			fail_msg("ecosystem '%s' should be unsupported", unsupported[i]);
		assert_error(err, BH_ERR_UNSUPPORTED, "no version scheme for ecosystem");
		bh_error_clear(&err);
	}
	assert_int_equal(bh_vscheme_for_ecosystem(NULL, &s, &err), -1);
	bh_error_clear(&err);
}

static void test_range_syntax_only_semver_and_pep440(void **state)
{
	static const struct {
		enum bh_vscheme s;
		const char *v;
	} no_ranges[] = { { BH_VS_DPKG, "1.0" },
			  { BH_VS_APK, "1.0-r0" },
			  { BH_VS_RPM, "1.0-1" },
			  { BH_VS_GO, "v1.0.0" },
			  { BH_VS_MAVEN, "1.0" } };
	struct bh_error *err = NULL;
	bool out = true;

	for (size_t i = 0; i < N(no_ranges); i++) {
		assert_int_equal(
			bh_version_satisfies(no_ranges[i].s, "*", no_ranges[i].v, &out, &err), -1);
		assert_error(err, BH_ERR_UNSUPPORTED, "no range syntax");
		bh_error_clear(&err);
	}
	assert_int_equal(bh_version_satisfies(BH_VS_SEMVER, "^1", "1.2.3", &out, NULL), 0);
	assert_true(out);
	assert_int_equal(bh_version_satisfies(BH_VS_PEP440, "~=1.2", "1.9", &out, NULL), 0);
	assert_true(out);
	for (size_t i = 0; i < N(no_ranges); i++) {
		assert_int_equal(bh_version_check_range(no_ranges[i].s, "*", NULL, &err), -1);
		assert_error(err, BH_ERR_UNSUPPORTED, "no range syntax");
		bh_error_clear(&err);
	}
	assert_int_equal(bh_version_check_range(BH_VS_SEMVER, "^1 || 2.x", NULL, &err), 0);
	assert_int_equal(bh_version_check_range(BH_VS_PEP440, ">=1,!=1.3.*", NULL, &err), 0);
	assert_int_equal(bh_version_check_range(BH_VS_PEP440, "=>1", NULL, &err), -1);
	assert_error(err, BH_ERR_INVALID, "invalid pep440 range '=>1'");
	bh_error_clear(&err);
	assert_int_equal(bh_version_satisfies((enum bh_vscheme)0, "*", "1", &out, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_USAGE);
	bh_error_clear(&err);
	assert_int_equal(bh_version_validate((enum bh_vscheme)0, "1", &err), -1);
	bh_error_clear(&err);
	assert_int_equal(bh_version_compare((enum bh_vscheme)0, "1", "1", &(int){ 0 }, &err), -1);
	bh_error_clear(&err);
}

/*
 * The same garbage compared in every scheme: refused with an error naming the
 * scheme, or (where the scheme's native tool still answers: dpkg, rpm) read
 * as odd with an answer; never taken as a well-formed version.
 */
static void test_every_scheme_refuses_or_flags_garbage(void **state)
{
	static const char *const garbage[] = { "",	   "not a version", "$(reboot)",
					       "1.0\n2.0", "\x1b[2J",	    "\xff" };

	for (int s = BH_VS_DPKG; s <= BH_VS_MAVEN; s++) {
		for (size_t i = 0; i < N(garbage); i++) {
			struct bh_error *err = NULL;
			int cmp = 42, r;

			/* any printable string is a Maven version */
			if (s == BH_VS_MAVEN && garbage[i][0] == '$')
				continue;
			r = bh_version_compare((enum bh_vscheme)s, garbage[i], "1.0.0", &cmp, &err);
			if (r == BH_VERSION_ODD && (s == BH_VS_DPKG || s == BH_VS_RPM)) {
				assert_null(err);
				assert_true(cmp >= -1 && cmp <= 1);
				continue;
			}
			assert_int_equal(r, -1);
			assert_int_equal(cmp, 42);
			assert_error(err, BH_ERR_INVALID, bh_vscheme_name((enum bh_vscheme)s));
			bh_error_clear(&err);
		}
	}
}

/* One table: names, aliases and ecosystems resolve through it, both ways. */
static void test_every_scheme_is_a_table_row(void **state)
{
	for (int s = BH_VS_DPKG; s <= BH_VS_MAVEN; s++) {
		enum bh_vscheme back = 0;
		const char *name = bh_vscheme_name((enum bh_vscheme)s);

		assert_string_not_equal(name, "unknown");
		assert_int_equal(bh_vscheme_parse(name, &back, NULL), 0);
		assert_int_equal(back, s);
	}
	assert_string_equal(bh_vscheme_name((enum bh_vscheme)(BH_VS_MAVEN + 1)), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scheme_names),
		cmocka_unit_test(test_ecosystems),
		cmocka_unit_test(test_range_syntax_only_semver_and_pep440),
		cmocka_unit_test(test_every_scheme_refuses_or_flags_garbage),
		cmocka_unit_test(test_every_scheme_is_a_table_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
