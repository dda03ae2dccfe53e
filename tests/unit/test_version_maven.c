/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Maven versions, ordered as Maven 3.9's ComparableVersion. The ordered
 * lists, equalities and pairs are the vectors of Maven's own
 * ComparableVersionTest (maven-3.9.x: VERSIONS_QUALIFIER, VERSIONS_NUMBER,
 * testVersionsEqual, testVersionComparing, MNG-5568, MNG-6572, MNG-6964,
 * MNG-7644), plus real artifact versions and the int/long item quirk.
 */
#include "unit.h"
#include "bulkhead/vuln.h"

#define SCHEME BH_VS_MAVEN
#define VALID  "1.0"

#include "version_check.h"

static const char *const qualifier_order[] = {
	"1-alpha2snapshot",
	"1-alpha2",
	"1-alpha-123",
	"1-beta-2",
	"1-beta123",
	"1-m2",
	"1-m11",
	"1-rc",
	"1-cr2",
	"1-rc123",
	"1-SNAPSHOT",
	"1",
	"1-sp",
	"1-sp2",
	"1-sp123",
	"1-abc",
	"1-def",
	"1-pom-1",
	"1-1-snapshot",
	"1-1",
	"1-2",
	"1-123",
};

static const char *const number_order[] = {
	"2.0",	  "2.0.a", "2-1",     "2.0.2", "2.0.123", "2.1.0", "2.1-a",  "2.1b",
	"2.1-c",  "2.1-1", "2.1.0.1", "2.2",   "2.123",	  "11.a2", "11.a11", "11.b2",
	"11.b11", "11.m2", "11.m11",  "11",    "11.a",	  "11b",   "11c",    "11m",
};

static const struct pair equal_pairs[] = {
	{ "1", 0, "1" },
	{ "1", 0, "1.0" },
	{ "1", 0, "1.0.0" },
	{ "1.0", 0, "1.0.0" },
	{ "1", 0, "1-0" },
	{ "1", 0, "1.0-0" },
	{ "1.0", 0, "1.0-0" },
	{ "1a", 0, "1-a" },
	{ "1a", 0, "1.0-a" },
	{ "1a", 0, "1.0.0-a" },
	{ "1.0a", 0, "1-a" },
	{ "1.0.0a", 0, "1-a" },
	{ "1x", 0, "1-x" },
	{ "1x", 0, "1.0-x" },
	{ "1x", 0, "1.0.0-x" },
	{ "1.0x", 0, "1-x" },
	{ "1.0.0x", 0, "1-x" },
	{ "1ga", 0, "1" },
	{ "1release", 0, "1" },
	{ "1final", 0, "1" },
	{ "1cr", 0, "1rc" },
	{ "1a1", 0, "1-alpha-1" },
	{ "1b2", 0, "1-beta-2" },
	{ "1m3", 0, "1-milestone-3" },
	{ "1X", 0, "1x" },
	{ "1A", 0, "1a" },
	{ "1B", 0, "1b" },
	{ "1M", 0, "1m" },
	{ "1Ga", 0, "1" },
	{ "1GA", 0, "1" },
	{ "1RELEASE", 0, "1" },
	{ "1RELeaSE", 0, "1" },
	{ "1Final", 0, "1" },
	{ "1FinaL", 0, "1" },
	{ "1FINAL", 0, "1" },
	{ "1Cr", 0, "1Rc" },
	{ "1cR", 0, "1rC" },
	{ "1m3", 0, "1Milestone3" },
	{ "1m3", 0, "1MileStone3" },
	{ "1m3", 0, "1MILESTONE3" },
	{ "1-abcdefghijklmnopqrstuvwxyz", 0, "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ" },
	{ "2.0.0.RELEASE", 0, "2" },
	{ "1.0.0.Final", 0, "1" },
	{ "0000000000000000001", 0, "1" },
	{ "000000001", 0, "1" },
	{ "0000000000000000000", 0, "0" },
	{ "00", 0, "0" },
	{ "2-abc", 0, "2.0.abc" },
	{ "2-abc", 0, "2.0.0.abc" },
	{ "2.0.abc", 0, "2.0.0.abc" },
	{ "2-alpha", 0, "2.0.alpha" },
	{ "2-alpha", 0, "2.0.0.alpha" },
	{ "2.0.alpha", 0, "2.0.0.alpha" },
	{ "2-a", 0, "2.0.a" },
	{ "2-a", 0, "2.0.0.a" },
	{ "2.0.a", 0, "2.0.0.a" },
	{ "2-beta", 0, "2.0.beta" },
	{ "2-beta", 0, "2.0.0.beta" },
	{ "2.0.beta", 0, "2.0.0.beta" },
	{ "2-b", 0, "2.0.b" },
	{ "2-b", 0, "2.0.0.b" },
	{ "2.0.b", 0, "2.0.0.b" },
	{ "2-def", 0, "2.0.def" },
	{ "2-def", 0, "2.0.0.def" },
	{ "2.0.def", 0, "2.0.0.def" },
	{ "2-milestone", 0, "2.0.milestone" },
	{ "2-milestone", 0, "2.0.0.milestone" },
	{ "2.0.milestone", 0, "2.0.0.milestone" },
	{ "2-m", 0, "2.0.m" },
	{ "2-m", 0, "2.0.0.m" },
	{ "2.0.m", 0, "2.0.0.m" },
	{ "2-RC", 0, "2.0.RC" },
	{ "2-RC", 0, "2.0.0.RC" },
	{ "2.0.RC", 0, "2.0.0.RC" },
};

static const struct pair comparing[] = {
	{ "1", -1, "2" },
	{ "1.5", -1, "2" },
	{ "1", -1, "2.5" },
	{ "1.0", -1, "1.1" },
	{ "1.1", -1, "1.2" },
	{ "1.0.0", -1, "1.1" },
	{ "1.0.1", -1, "1.1" },
	{ "1.1", -1, "1.2.0" },
	{ "1.0-alpha-1", -1, "1.0" },
	{ "1.0-alpha-1", -1, "1.0-alpha-2" },
	{ "1.0-alpha-1", -1, "1.0-beta-1" },
	{ "1.0-beta-1", -1, "1.0-SNAPSHOT" },
	{ "1.0-SNAPSHOT", -1, "1.0" },
	{ "1.0-alpha-1-SNAPSHOT", -1, "1.0-alpha-1" },
	{ "1.0", -1, "1.0-1" },
	{ "1.0-1", -1, "1.0-2" },
	{ "1.0.0", -1, "1.0-1" },
	{ "2.0-1", -1, "2.0.1" },
	{ "2.0.1-klm", -1, "2.0.1-lmn" },
	{ "2.0.1", -1, "2.0.1-xyz" },
	{ "2.0.1", -1, "2.0.1-123" },
	{ "2.0.1-xyz", -1, "2.0.1-123" },
	{ "6.1.0rc3", -1, "6.1.0" },
	{ "6.1.0rc3", -1, "6.1H.5-beta" },
	{ "6.1.0", -1, "6.1H.5-beta" },
	{ "20190126.230843", -1, "1234567890.12345" },
	{ "1234567890.12345", -1, "123456789012345.1H.5-beta" },
	{ "123456789012345.1H.5-beta", -1, "12345678901234567890.1H.5-beta" },
	{ "1-0.alpha", -1, "1" },
	{ "1-0.beta", -1, "1" },
	{ "1-0.alpha", -1, "1-0.beta" },
	{ "1-alpha", -1, "1-a" },
	{ "1-sp", -1, "1-a" },
	{ "1-a1", 1, "1-alpha" },
	{ "1.0-RC1", -1, "1.0" },
	{ "1.0.RC1", -1, "1.0-RC2" },
	{ "1.0-RC2", -1, "1.0.1" },
	{ "5.3.27", -1, "5.3.28" },
	{ "2.14.0", -1, "2.14.1" },
	{ "2.13.4.2", 1, "2.13.4" },
	{ "2.13.4.2", -1, "2.13.5" },
	{ "9.4.48.v20220622", -1, "9.4.51.v20230217" },
	{ "1.2.3-jre", -1, "1.2.4-android" },
	{ "32.0.0-jre", 1, "31.1-jre" },
	{ "1.0000000000.5", 1, "1.5.5" },
	{ "1.000000001.5", -1, "1.5.5" },
	{ "1.0.0.abc1", -1, "1.0.0-abc2" },
	{ "1.0.0.alpha1", -1, "1.0.0-alpha2" },
	{ "1.0.0.a1", -1, "1.0.0-a2" },
	{ "1.0.0.beta1", -1, "1.0.0-beta2" },
	{ "1.0.0.b1", -1, "1.0.0-b2" },
	{ "1.0.0.def1", -1, "1.0.0-def2" },
	{ "1.0.0.milestone1", -1, "1.0.0-milestone2" },
	{ "1.0.0.m1", -1, "1.0.0-m2" },
	{ "1.0.0.RC1", -1, "1.0.0-RC2" },
};

static const char *const invalid[] = {
	"",
	" ",
	"1.0 ",
	" 1.0",
	"1.0\t",
	"1 0",
	"1.0\n",
	"1.0-\xe9"
	"",
	"\x7f"
	"",
};

static const char *const valid[] = {
	"a", "-", ".", "-1", "1..", "..1", "1--1", "r09", "1_0", "1+1", "@", "x.y.z",
};

static const char *const odd[] = { "1\n", "1\x01", "\xff\xfe", "1.0\x7f", "\xc3\xa9" };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_maven_versions_qualifier(void **state)
{
	check_ordered(qualifier_order, N(qualifier_order));
}

static void test_maven_versions_number(void **state)
{
	check_ordered(number_order, N(number_order));
}

static void test_maven_versions_equal(void **state)
{
	check_pairs(equal_pairs, N(equal_pairs));
}

static void test_maven_version_comparing(void **state)
{
	check_pairs(comparing, N(comparing));
}

static void test_maven_validity(void **state)
{
	check_invalid(invalid, N(invalid));
	check_valid(valid, N(valid));
}

static void test_maven_hostile(void **state)
{
	check_hostile(odd, N(odd), true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maven_versions_qualifier),
		cmocka_unit_test(test_maven_versions_number),
		cmocka_unit_test(test_maven_versions_equal),
		cmocka_unit_test(test_maven_version_comparing),
		cmocka_unit_test(test_maven_validity),
		cmocka_unit_test(test_maven_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
