/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go module versions: semantic versions with a "v" (or without, as OSV
 * writes them), shorthands v1 and v1.2, pseudo-versions, +incompatible. The
 * ordering and validity lists are golang.org/x/mod/semver's test vectors
 * (semver_test.go), with pseudo-versions placed by their timestamps.
 */
#include "unit.h"
#include "bulkhead/vuln.h"

#define SCHEME BH_VS_GO
#define VALID  "v1.0.0"

#include "version_check.h"

static const char *const ordered[] = {
	"v0.0.0-20191109021931-daa7c04131f5",
	"v0.0.0-20200101000000-aaaaaaaaaaaa",
	"v0.0.0",
	"v0.0.1",
	"v0.1.0",
	"v0.1.1-0.20200101000000-0123456789ab",
	"v0.1.1",
	"v0.9.0",
	"v0.10.0",
	"v1.0.0-alpha",
	"v1.0.0-alpha.1",
	"v1.0.0-alpha.beta",
	"v1.0.0-beta",
	"v1.0.0-beta.2",
	"v1.0.0-beta.11",
	"v1.0.0-rc.1",
	"v1.0.0",
	"v1.2.0",
	"v1.2.3-456",
	"v1.2.3-456.789",
	"v1.2.3-456-789",
	"v1.2.3-456a",
	"v1.2.3-pre",
	"v1.2.3-pre.0.20191109021931-daa7c04131f5",
	"v1.2.3-pre.1",
	"v1.2.3-zzz",
	"v1.2.3",
	"v1.2.4-0.20191109021931-daa7c04131f5",
	"v1.2.4",
	"v1.10.0",
	"v2.0.0",
	"v2.0.1",
	"v10.0.0",
	"v99999999999999999999999.0.0",
};

static const struct pair go_pairs[] = {
	{ "v1", 0, "v1.0.0" },
	{ "v1.0", 0, "v1.0.0" },
	{ "v1.2", 0, "v1.2.0" },
	{ "1.2.3", 0, "v1.2.3" },
	{ "v1.2.3+meta", 0, "v1.2.3" },
	{ "v1.2.3+meta-pre", 0, "v1.2.3" },
	{ "v1.2.3+meta-pre.sha.256a", 0, "v1.2.3" },
	{ "v1.2.3-pre+meta", 0, "v1.2.3-pre" },
	{ "v2.0.0+incompatible", 0, "v2.0.0" },
	{ "2.0.0+incompatible", 0, "v2.0.0" },
	{ "v1", 0, "1" },
	{ "0", 0, "v0.0.0" },
	{ "v1.2.3-pre", -1, "v1.2.3" },
	{ "v0.0.0-20191109021931-daa7c04131f5", -1, "v0.0.1" },
	{ "v1.9.9", -1, "v1.10.0-0.20200101000000-abcdefabcdef" },
	{ "v1.10.0-0.20200101000000-abcdefabcdef", -1, "v1.10.0" },
	{ "v2.1.0+incompatible", 1, "v2.0.9" },
	{ "v1.18.0", -1, "v1.18.1" },
	{ "1.20.5", 1, "v1.20.4" },
};

static const char *const invalid[] = {
	"",
	"bad",
	"v",
	"v1-alpha.beta.gamma",
	"v1-pre",
	"v1+meta",
	"v1-pre+meta",
	"v1.2-pre",
	"v1.2+meta",
	"v1.2-pre+meta",
	"v01.2.3",
	"v1.02.3",
	"v1.2.03",
	"v1.2.3-01",
	"v1.2.3-",
	"v1.2.3+",
	"V1.2.3",
	"v1.2.3.4",
	"vv1.2.3",
	"v1.2.x",
	"v1.2.3 ",
	" v1.2.3",
	"v-1.2.3",
	"latest",
	"v1.2.3-pre..1",
	"v1.2.3-\xe9"
	"",
	"v1..2",
	"v1.",
};

static const char *const odd[] = { "v1.0.0\n", "v1\x01", "\xff\xfe", "v1.0.0\x7f", "\xc3\xa9" };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_go_order(void **state)
{
	check_ordered(ordered, N(ordered));
}

static void test_go_shorthands_builds_pseudo_versions(void **state)
{
	check_pairs(go_pairs, N(go_pairs));
}

static void test_go_invalid(void **state)
{
	check_invalid(invalid, N(invalid));
	check_valid(ordered, N(ordered));
}

static void test_go_no_range_syntax(void **state)
{
	struct bh_error *err = NULL;
	bool out;

	assert_int_equal(bh_version_satisfies(SCHEME, ">=v1.0.0", "v1.0.0", &out, &err), -1);
	assert_error(err, BH_ERR_UNSUPPORTED, "no range syntax");
	bh_error_clear(&err);
}

static void test_go_hostile(void **state)
{
	check_hostile(odd, N(odd), true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_order),
		cmocka_unit_test(test_go_shorthands_builds_pseudo_versions),
		cmocka_unit_test(test_go_invalid),
		cmocka_unit_test(test_go_no_range_syntax),
		cmocka_unit_test(test_go_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
