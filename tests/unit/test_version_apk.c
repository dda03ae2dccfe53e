/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Alpine versions (apk-tools rules: digits, one letter, suffixes _alpha.._p,
 * ~hash, -rN). apk-tools is not packaged for Debian, so there is no tool to
 * ask here: the pairs are facts stated by apk-tools' own test vectors
 * (test/unit/version.data: ordering, the leading-zero string rule, ~hash,
 * and the validity list) and the boundary cases of the Alpine secdb
 * expectations in shared/data (busybox 1.36.1-r19 vs -r2, musl _git vs
 * _pre, openssl -r0/-r1); the ordered list follows from the rules in
 * src/vuln/version_apk.c and is checked on every pair.
 */
#include "unit.h"
#include "bulkhead/vuln.h"

#define SCHEME BH_VS_APK
#define VALID  "1.0-r0"

#include "version_check.h"

/* Strictly increasing: pre-release suffixes, release, -r, ~hash, post
 * suffixes, letter, more numbers; leading zeros compared as strings. */
static const char *const ordered[] = {
	"0",
	"0.1_alpha",
	"0.1_beta",
	"0.1",
	"0.1-r1",
	"0.9",
	"0.10",
	"1_alpha",
	"1",
	"1.0_alpha_pre1",
	"1.0_alpha",
	"1.0_alpha1",
	"1.0_alpha2",
	"1.0_alpha10",
	"1.0_alpha10_p1",
	"1.0_beta",
	"1.0_beta1",
	"1.0_pre1",
	"1.0_pre1-r1",
	"1.0_rc1",
	"1.0_rc2",
	"1.0",
	"1.0-r0",
	"1.0-r1",
	"1.0-r2",
	"1.0-r10",
	"1.0~0123abc",
	"1.0~0123abc-r1",
	"1.0~2345",
	"1.0_cvs",
	"1.0_svn",
	"1.0_git20230101",
	"1.0_git20240101",
	"1.0_hg",
	"1.0_p1",
	"1.0_p1-r1",
	"1.0_p2",
	"1.0_p10",
	"1.0a_rc1",
	"1.0a",
	"1.0b",
	"1.0z",
	"1.0.0",
	"1.0.00",
	"1.0.001",
	"1.0.01",
	"1.0.1_rc1",
	"1.0.1",
	"1.02",
	"1.1",
	"1.2",
	"1.9",
	"1.10",
	"1.10.0",
	"2",
	"2.0.0",
	"3.0.20060720",
	"10",
	"20060720",
	"99999999999999999999",
};

static const struct pair apk_pairs[] = {
	{ "2.34", 1, "0.1.0_alpha" },
	{ "0.1.0_alpha2", 1, "0.1.0_alpha" },
	{ "1.1", 1, "1.1_alpha1" },
	{ "2.3.0b-r1", -1, "2.3.0b-r2" },
	{ "1.06-r6", -1, "006" },
	{ "006", 1, "1.0.0" },
	{ "1.0.0", -1, "1.2.2-r1" },
	{ "3.9.8-r5", 1, "2.01.01_alpha10" },
	{ "1.0", 1, "0.99.3.20040818" },
	{ "20050718-r1", -1, "20050718-r2" },
	{ "2.1.9.200602141850", 1, "1.6" },
	{ "2.5.1-r8", -1, "2.5.1a-r1" },
	{ "1.3.5-r10", 1, "1.3.5-r8" },
	{ "0.3.1_rc8", -1, "22.2" },
	{ "1.7", -1, "1.7b" },
	{ "1.8.5", -1, "1.8.5_p2" },
	{ "3.0.0-r2", -1, "021109-r3" },
	{ "021109-r3", -1, "20060512" },
	{ "0.10.0-r1", 1, "0.10.0" },
	{ "0.10.0", -1, "0.10.1_rc1" },
	{ "2.12r-r4", -1, "2.12r-r5" },
	{ "1.3_pre1-r1", -1, "1.3.2" },
	{ "1.0_p10-r0", 1, "1.0_p9-r0" },
	{ "0.1.0_alpha_pre2", -1, "0.1.0_alpha" },
	{ "1.0.0_pre20191002222144-r0", -1, "1.0.0_pre20210530193627-r0" },
	{ "6.0_pre1", -1, "6.0" },
	{ "6.0_p1", 1, "6.0" },
	{ "8.2.0", -1, "8.2.001" },
	{ "8.2.0015", -1, "8.2.002" },
	{ "1.0~1234", -1, "1.0~2345" },
	{ "1.0~1234-r1", -1, "1.0~2345-r0" },
	{ "1.0~1234-r1", 1, "1.0~1234-r0" },
	{ "0.59s-r11", -1, "0.65" },
	{ "1.02.07", -1, "1.02.10-r1" },
	{ "4.2.52_p2-r1", -1, "4.2.52_p4-r2" },
	{ "2.9.11_pre20051101-r3", 1, "2.9.11_pre20051101" },
	{ "1.6.8_p12-r1", 1, "1.6.8_p9-r2" },
	{ "087-r1", -1, "103" },
	{ "0.9.28.1", -1, "087-r1" },
	{ "1.2.12.04", -1, "1.2.12.05" },
	{ "1.2.07.8", -1, "1.2.12.04" },
	{ "1.2.3", -1, "1.2.3-r0" },
	{ "1.36.1-r19", 1, "1.36.1-r2" },
	{ "1.36.1-r19", -1, "1.36.1-r21" },
	{ "1.2.4_git20230717-r4", 1, "1.2.2_pre2-r0" },
	{ "1.2.4_git20230717-r4", -1, "1.2.4_git20230717-r5" },
	{ "3.1.7-r0", -1, "3.1.7-r1" },
	{ "3.1.7-r1", -1, "3.1.8-r0" },
	{ "3.1.8-r0", -1, "3.1.8-r1" },
	{ "1.1.1d-r0", 0, "1.1.1d-r0" },
	{ "1.1.1d-r0", 1, "1.1.1c-r0" },
	{ "1.1.1d-r0", -1, "1.1.1g-r0" },
	{ "1.30.1-r2", 0, "1.30.1-r2" },
	{ "1.1.22-r3", -1, "1.1.22-r4" },
	{ "2.14.4-r0", 1, "2.14.0-r3" },
	{ "1.3.1-r0", 1, "1.3.1" },
	{ "1.0", 0, "1.0" },
	{ "006", 0, "6" },
	{ "01.0", 0, "1.0" },
	{ "1.2.3-r01", 0, "1.2.3-r1" },
	{ "1.0_p01", 0, "1.0_p1" },
	{ "1.0_alpha", -1, "1.0_alpha0" },
};

/* Refused by apk-tools (version.data "!" lines, secdb typos, our edge cases). */
static const char *const invalid[] = {
	"",
	"0.1bc",
	"0.1bc1",
	"0.1a1",
	"0.1a.1",
	"0.1_pre2~",
	"0.1_pre2~1234xbcd",
	"0.1_pre2~1234abcd_pre1",
	"0.1_pre2-r1~1234xbcd",
	"0.1_foobar",
	"0.1_foobar1",
	"0.1-pre1.1",
	"0.1-r",
	"0.1-r2_pre1",
	"0.1-r2_p3_pre1",
	"0.1-r2-r3",
	"0.1-r2.1",
	".1",
	"a",
	"_pre1",
	"-r1",
	"0.1_",
	"0.1_-r0",
	"0.1__alpha",
	"0.1_1_alpha",
	"2.7.16-33",
	"4.10-1-r1",
	"4.8.0.-r1",
	"6.6.2p1-r0",
	"1.0_RC1",
	"1.0A",
	"1.0~ABC",
	"1.0-r1a",
	"1.0 ",
	" 1.0",
	"1..0",
	"1.",
	"23_foo",
	"1.0bc",
	"1.0-R1",
	"1.0_p-r1x",
	"v1.0",
	"1.0~abc~def",
	"1.0-r1~abc",
	"1.0_pr",
	"1.0_prex",
	"1.0_alphabeta",
	"1,0",
};

static const char *const valid[] = {
	"1.2",
	"0.1_pre2",
	"0.1_pre2~1234abcd",
	"0.1_p1_pre2",
	"0.1_alpha1_pre2",
	"0.1_git20240101_pre1",
	"1_p",
	"0",
	"00",
	"1.2.3a_alpha1_beta2_pre3_rc4_cvs5_svn6_git7_hg8_p9~abcdef0123-r99",
	"1.0~0",
	"1.0-r0",
	"99999999999999999999999999.1",
};

static const char *const odd[] = { "1\n", "1\x01", "\xff\xfe", "1.0\x7f", "\xc3\xa9" };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_apk_order(void **state)
{
	check_ordered(ordered, N(ordered));
}

static void test_apk_tools_and_secdb_vectors(void **state)
{
	check_pairs(apk_pairs, N(apk_pairs));
}

static void test_apk_validity(void **state)
{
	check_invalid(invalid, N(invalid));
	check_valid(valid, N(valid));
}

static void test_apk_hostile(void **state)
{
	check_hostile(odd, N(odd), true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apk_order),
		cmocka_unit_test(test_apk_tools_and_secdb_vectors),
		cmocka_unit_test(test_apk_validity),
		cmocka_unit_test(test_apk_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
