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

/* Every pair (i, j) of a strictly increasing list: sign(i - j), both ways. */
static void check_ordered(const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			struct bh_error *err = NULL;
			int cmp = 99, want = i < j ? -1 : i > j;

			if (bh_version_compare(SCHEME, v[i], v[j], &cmp, &err) < 0) {
				char *m = bh_error_message(err);

				fail_msg("compare('%s', '%s') failed: %s", v[i], v[j], m);
			}
			if (cmp != want)
				fail_msg("compare('%s', '%s') = %d, want %d", v[i], v[j], cmp,
					 want);
		}
	}
}

struct pair {
	const char *a;
	int want;
	const char *b;
};

static void check_pairs(const struct pair *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct bh_error *err = NULL;
		int cmp = 99, rev = 99;

		if (bh_version_compare(SCHEME, p[i].a, p[i].b, &cmp, &err) < 0 ||
		    bh_version_compare(SCHEME, p[i].b, p[i].a, &rev, &err) < 0) {
			char *m = bh_error_message(err);

			fail_msg("compare('%s', '%s') failed: %s", p[i].a, p[i].b, m);
		}
		if (cmp != p[i].want || rev != -p[i].want)
			fail_msg("compare('%s', '%s') = %d (reversed %d), want %d", p[i].a, p[i].b,
				 cmp, rev, p[i].want);
	}
}

static void check_invalid(const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct bh_error *err = NULL;
		int cmp = 99;

		if (bh_version_validate(SCHEME, v[i], &err) == 0)
			fail_msg("'%s' should be invalid", v[i]);
		assert_error(err, BH_ERR_INVALID, bh_vscheme_name(SCHEME));
		bh_error_clear(&err);
		/* never compared as a string: both argument positions fail */
		assert_int_equal(bh_version_compare(SCHEME, v[i], VALID, &cmp, &err), -1);
		assert_error(err, BH_ERR_INVALID, "invalid");
		bh_error_clear(&err);
		assert_int_equal(bh_version_compare(SCHEME, VALID, v[i], &cmp, &err), -1);
		assert_error(err, BH_ERR_INVALID, "invalid");
		bh_error_clear(&err);
		assert_int_equal(cmp, 99);
	}
}

static void check_valid(const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct bh_error *err = NULL;
		int cmp = 99;

		if (bh_version_validate(SCHEME, v[i], &err) < 0) {
			char *m = bh_error_message(err);

			fail_msg("'%s' should be valid: %s", v[i], m);
		}
		assert_int_equal(bh_version_compare(SCHEME, v[i], v[i], &cmp, NULL), 0);
		assert_int_equal(cmp, 0);
	}
}

/* Hostile input: very long, control bytes, non-ASCII; fails cleanly. */
static void check_hostile(const char *const *odd, size_t nodd)
{
	char *big = bh_malloc(100001);
	struct bh_error *err = NULL;
	int cmp;

	memset(big, '1', 100000);
	big[100000] = 0;
	assert_int_equal(bh_version_validate(SCHEME, big, &err), -1);
	assert_error(err, BH_ERR_INVALID, "longer than");
	bh_error_clear(&err);
	for (size_t i = 0; i < 100000; i += 2)
		big[i] = '.';
	assert_int_equal(bh_version_compare(SCHEME, big, VALID, &cmp, &err), -1);
	bh_error_clear(&err);
	big[256] = 0;
	bh_version_compare(SCHEME, big, big, &cmp, NULL);
	free(big);
	for (size_t i = 0; i < nodd; i++) {
		assert_int_equal(bh_version_validate(SCHEME, odd[i], &err), -1);
		assert_error(err, BH_ERR_INVALID, "invalid");
		bh_error_clear(&err);
	}
	assert_int_equal(bh_version_validate(SCHEME, NULL, &err), -1);
	bh_error_clear(&err);
}

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
	check_hostile(odd, N(odd));
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
