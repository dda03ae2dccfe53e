/* SPDX-License-Identifier: Apache-2.0 */
/*
 * npm versions and ranges against node-semver's own test fixtures
 * (test/fixtures/range-include.js, range-exclude.js, comparisons.js,
 * invalid-versions.js of github.com/npm/node-semver), vendored here as data.
 * Each expectation is node-semver 7.8.5's answer with its default options:
 * satisfies(version, range) for the range pairs, compare() for the
 * comparisons. A fixture's own options (loose, includePrerelease) are not
 * bulkhead's, so those pairs carry node-semver's default answer; the one
 * fixture whose version is not a string (false) is left out. Where
 * node-semver cannot read the range or the version, satisfies() is false and
 * bulkhead says the operand is odd (-2 below). Then the cases of issue 11:
 * ranges that are not semver (words, git and file specs), tabs and Unicode
 * white space, which JavaScript's \s and trim() take as blanks.
 */
#include "unit.h"
#include "bulkhead/vuln.h"

#define SCHEME BH_VS_SEMVER
#define VALID  "1.2.3"

#include "version_check.h"

static const struct sat fixtures[] = {
	/* range-include.js */
	{ "1.0.0 - 2.0.0", "1.2.3", 1 },
	{ "^1.2.3+build", "1.2.3", 1 },
	{ "^1.2.3+build", "1.3.0", 1 },
	{ "1.2.3-pre+asdf - 2.4.3-pre+asdf", "1.2.3", 1 },
	{ "1.2.3pre+asdf - 2.4.3-pre+asdf", "1.2.3", -2 }, /* true */
	{ "1.2.3-pre+asdf - 2.4.3pre+asdf", "1.2.3", -2 }, /* true */
	{ "1.2.3pre+asdf - 2.4.3pre+asdf", "1.2.3", -2 },  /* true */
	{ "1.2.3-pre+asdf - 2.4.3-pre+asdf", "1.2.3-pre.2", 1 },
	{ "1.2.3-pre+asdf - 2.4.3-pre+asdf", "2.4.3-alpha", 1 },
	{ "1.2.3+asdf - 2.4.3+asdf", "1.2.3", 1 },
	{ "1.0.0", "1.0.0", 1 },
	{ ">=*", "0.2.4", 1 },
	{ "", "1.0.0", 1 },
	{ "*", "1.2.3", 1 },	   /* {} */
	{ "*", "v1.2.3", 1 },	   /* {"loose":123} */
	{ ">=1.0.0", "1.0.0", 1 }, /* /asdf/ */
	{ ">=1.0.0", "1.0.1", 1 }, /* {"loose":null} */
	{ ">=1.0.0", "1.1.0", 1 }, /* {"loose":0} */
	{ ">1.0.0", "1.0.1", 1 },  /* {} */
	{ ">1.0.0", "1.1.0", 1 },
	{ "<=2.0.0", "2.0.0", 1 },
	{ "<=2.0.0", "1.9999.9999", 1 },
	{ "<=2.0.0", "0.2.9", 1 },
	{ "<2.0.0", "1.9999.9999", 1 },
	{ "<2.0.0", "0.2.9", 1 },
	{ ">= 1.0.0", "1.0.0", 1 },
	{ ">=  1.0.0", "1.0.1", 1 },
	{ ">=   1.0.0", "1.1.0", 1 },
	{ "> 1.0.0", "1.0.1", 1 },
	{ ">  1.0.0", "1.1.0", 1 },
	{ "<=   2.0.0", "2.0.0", 1 },
	{ "<= 2.0.0", "1.9999.9999", 1 },
	{ "<=  2.0.0", "0.2.9", 1 },
	{ "<    2.0.0", "1.9999.9999", 1 },
	{ "<\t2.0.0", "0.2.9", 1 },
	{ ">=0.1.97", "v0.1.97", 1 }, /* true */
	{ ">=0.1.97", "0.1.97", 1 },
	{ "0.1.20 || 1.2.4", "1.2.4", 1 },
	{ ">=0.2.3 || <0.0.1", "0.0.0", 1 },
	{ ">=0.2.3 || <0.0.1", "0.2.3", 1 },
	{ ">=0.2.3 || <0.0.1", "0.2.4", 1 },
	{ "||", "1.3.4", 1 },
	{ "2.x.x", "2.1.3", 1 },
	{ "1.2.x", "1.2.3", 1 },
	{ "1.2.x || 2.x", "2.1.3", 1 },
	{ "1.2.x || 2.x", "1.2.3", 1 },
	{ "x", "1.2.3", 1 },
	{ "2.*.*", "2.1.3", 1 },
	{ "1.2.*", "1.2.3", 1 },
	{ "1.2.* || 2.*", "2.1.3", 1 },
	{ "1.2.* || 2.*", "1.2.3", 1 },
	{ "2", "2.1.2", 1 },
	{ "2.3", "2.3.1", 1 },
	{ "~0.0.1", "0.0.1", 1 },
	{ "~0.0.1", "0.0.2", 1 },
	{ "~x", "0.0.9", 1 },
	{ "~2", "2.0.9", 1 },
	{ "~2.4", "2.4.0", 1 },
	{ "~2.4", "2.4.5", 1 },
	{ "~>3.2.1", "3.2.2", 1 },
	{ "~1", "1.2.3", 1 },
	{ "~>1", "1.2.3", 1 },
	{ "~> 1", "1.2.3", 1 },
	{ "~1.0", "1.0.2", 1 },
	{ "~ 1.0", "1.0.2", 1 },
	{ "~ 1.0.3", "1.0.12", 1 },
	{ "~ 1.0.3alpha", "1.0.12", -2 }, /* {"loose":true} */
	{ ">=1", "1.0.0", 1 },
	{ ">= 1", "1.0.0", 1 },
	{ "<1.2", "1.1.1", 1 },
	{ "< 1.2", "1.1.1", 1 },
	{ "~v0.5.4-pre", "0.5.5", 1 },
	{ "~v0.5.4-pre", "0.5.4", 1 },
	{ "=0.7.x", "0.7.2", 1 },
	{ "<=0.7.x", "0.7.2", 1 },
	{ ">=0.7.x", "0.7.2", 1 },
	{ "<=0.7.x", "0.6.2", 1 },
	{ "~1.2.1 >=1.2.3", "1.2.3", 1 },
	{ "~1.2.1 =1.2.3", "1.2.3", 1 },
	{ "~1.2.1 1.2.3", "1.2.3", 1 },
	{ "~1.2.1 >=1.2.3 1.2.3", "1.2.3", 1 },
	{ "~1.2.1 1.2.3 >=1.2.3", "1.2.3", 1 },
	{ ">=1.2.1 1.2.3", "1.2.3", 1 },
	{ "1.2.3 >=1.2.1", "1.2.3", 1 },
	{ ">=1.2.3 >=1.2.1", "1.2.3", 1 },
	{ ">=1.2.1 >=1.2.3", "1.2.3", 1 },
	{ ">=1.2", "1.2.8", 1 },
	{ "^1.2.3", "1.8.1", 1 },
	{ "^0.1.2", "0.1.2", 1 },
	{ "^0.1", "0.1.2", 1 },
	{ "^0.0.1", "0.0.1", 1 },
	{ "^1.2", "1.4.2", 1 },
	{ "^1.2 ^1", "1.4.2", 1 },
	{ "^1.2.3-alpha", "1.2.3-pre", 1 },
	{ "^1.2.0-alpha", "1.2.0-pre", 1 },
	{ "^0.0.1-alpha", "0.0.1-beta", 1 },
	{ "^0.0.1-alpha", "0.0.1", 1 },
	{ "^0.1.1-alpha", "0.1.1-beta", 1 },
	{ "^x", "1.2.3", 1 },
	{ "x - 1.0.0", "0.9.7", 1 },
	{ "x - 1.x", "0.9.7", 1 },
	{ "1.0.0 - x", "1.9.7", 1 },
	{ "1.x - x", "1.9.7", 1 },
	{ "<=7.x", "7.9.9", 1 },
	{ "2.x", "2.0.0-pre.0", 0 },	       /* {"includePrerelease":true} */
	{ "2.x", "2.1.0-pre.0", 0 },	       /* {"includePrerelease":true} */
	{ "1.1.x", "1.1.0-a", 0 },	       /* {"includePrerelease":true} */
	{ "1.1.x", "1.1.1-a", 0 },	       /* {"includePrerelease":true} */
	{ "*", "1.0.0-rc1", 0 },	       /* {"includePrerelease":true} */
	{ "^1.0.0-0", "1.0.1-rc1", 0 },	       /* {"includePrerelease":true} */
	{ "^1.0.0-rc2", "1.0.1-rc1", 0 },      /* {"includePrerelease":true} */
	{ "^1.0.0", "1.0.1-rc1", 0 },	       /* {"includePrerelease":true} */
	{ "^1.0.0", "1.1.0-rc1", 0 },	       /* {"includePrerelease":true} */
	{ "1 - 2", "2.0.0-pre", 0 },	       /* {"includePrerelease":true} */
	{ "1 - 2", "1.0.0-pre", 0 },	       /* {"includePrerelease":true} */
	{ "1.0 - 2", "1.0.0-pre", 0 },	       /* {"includePrerelease":true} */
	{ "=0.7.x", "0.7.0-asdf", 0 },	       /* {"includePrerelease":true} */
	{ ">=0.7.x", "0.7.0-asdf", 0 },	       /* {"includePrerelease":true} */
	{ "<=0.7.x", "0.7.0-asdf", 0 },	       /* {"includePrerelease":true} */
	{ ">=1.0.0 <=1.1.0", "1.1.0-pre", 0 }, /* {"includePrerelease":true} */
	/* range-exclude.js */
	{ "1.0.0 - 2.0.0", "2.2.3", 0 },
	{ "1.2.3+asdf - 2.4.3+asdf", "1.2.3-pre.2", 0 },
	{ "1.2.3+asdf - 2.4.3+asdf", "2.4.3-alpha", 0 },
	{ "^1.2.3+build", "2.0.0", 0 },
	{ "^1.2.3+build", "1.2.0", 0 },
	{ "^1.2.3", "1.2.3-pre", 0 },
	{ "^1.2", "1.2.0-pre", 0 },
	{ ">1.2", "1.3.0-beta", 0 },
	{ "<=1.2.3", "1.2.3-beta", 0 },
	{ "^1.2.3", "1.2.3-beta", 0 },
	{ "1", "1.0.0beta", -2 },   /* {"loose":420} */
	{ "<1", "1.0.0beta", -2 },  /* true */
	{ "< 1", "1.0.0beta", -2 }, /* true */
	{ "1.0.0", "1.0.1", 0 },
	{ ">=1.0.0", "0.0.0", 0 },
	{ ">=1.0.0", "0.0.1", 0 },
	{ ">=1.0.0", "0.1.0", 0 },
	{ ">1.0.0", "0.0.1", 0 },
	{ ">1.0.0", "0.1.0", 0 },
	{ "<=2.0.0", "3.0.0", 0 },
	{ "<=2.0.0", "2.9999.9999", 0 },
	{ "<=2.0.0", "2.2.9", 0 },
	{ "<2.0.0", "2.9999.9999", 0 },
	{ "<2.0.0", "2.2.9", 0 },
	{ ">=0.1.97", "v0.1.93", 0 }, /* true */
	{ ">=0.1.97", "0.1.93", 0 },
	{ "0.1.20 || 1.2.4", "1.2.3", 0 },
	{ ">=0.2.3 || <0.0.1", "0.0.3", 0 },
	{ ">=0.2.3 || <0.0.1", "0.2.2", 0 },
	{ "2.x.x", "1.1.3", 0 }, /* {"loose":null} */
	{ "2.x.x", "3.1.3", 0 },
	{ "1.2.x", "1.3.3", 0 },
	{ "1.2.x || 2.x", "3.1.3", 0 },
	{ "1.2.x || 2.x", "1.1.3", 0 },
	{ "2.*.*", "1.1.3", 0 },
	{ "2.*.*", "3.1.3", 0 },
	{ "1.2.*", "1.3.3", 0 },
	{ "1.2.* || 2.*", "3.1.3", 0 },
	{ "1.2.* || 2.*", "1.1.3", 0 },
	{ "2", "1.1.2", 0 },
	{ "2.3", "2.4.1", 0 },
	{ "~0.0.1", "0.1.0-alpha", 0 },
	{ "~0.0.1", "0.1.0", 0 },
	{ "~2.4", "2.5.0", 0 },
	{ "~2.4", "2.3.9", 0 },
	{ "~>3.2.1", "3.3.2", 0 },
	{ "~>3.2.1", "3.2.0", 0 },
	{ "~1", "0.2.3", 0 },
	{ "~>1", "2.2.3", 0 },
	{ "~1.0", "1.1.0", 0 },
	{ "<1", "1.0.0", 0 },
	{ ">=1.2", "1.1.1", 0 },
	{ "1", "2.0.0beta", -2 }, /* true */
	{ "~v0.5.4-beta", "0.5.4-alpha", 0 },
	{ "=0.7.x", "0.8.2", 0 },
	{ ">=0.7.x", "0.6.2", 0 },
	{ "<0.7.x", "0.7.2", 0 },
	{ "<1.2.3", "1.2.3-beta", 0 },
	{ "=1.2.3", "1.2.3-beta", 0 },
	{ ">1.2", "1.2.8", 0 },
	{ "^0.0.1", "0.0.2-alpha", 0 },
	{ "^0.0.1", "0.0.2", 0 },
	{ "^1.2.3", "2.0.0-alpha", 0 },
	{ "^1.2.3", "1.2.2", 0 },
	{ "^1.2", "1.1.9", 0 },
	{ "*", "v1.2.3-foo", 0 }, /* true */
	{ "*", "not a version", -2 },
	{ ">=2", "glorp", -2 },
	{ "2.x", "3.0.0-pre.0", 0 },  /* {"includePrerelease":true} */
	{ "^1.0.0", "1.0.0-rc1", 0 }, /* {"includePrerelease":true} */
	{ "^1.0.0", "2.0.0-rc1", 0 }, /* {"includePrerelease":true} */
	{ "^1.2.3-rc2", "2.0.0", 0 }, /* {"includePrerelease":true} */
	{ "1 - 2", "3.0.0-pre", 0 },  /* {"includePrerelease":true} */
	{ "1.1.x", "1.0.0-a", 0 },
	{ "1.1.x", "1.2.0-a", 0 },
	{ "1.x", "1.0.0-a", 0 },
	{ "1.x", "1.1.0-a", 0 },
	{ "1.x", "1.2.0-a", 0 },
	{ "1.x", "0.0.0-a", 0 }, /* {"includePrerelease":true} */
	{ "1.x", "2.0.0-a", 0 }, /* {"includePrerelease":true} */
	{ ">=1.0.0 <1.1.0", "1.1.0", 0 },
	{ ">=1.0.0 <1.1.0", "1.1.0-pre", 0 },
	{ ">=1.0.0 <1.1.0-pre", "1.1.0-pre", 0 },
	{ "== 1.0.0 || foo", "2.0.0", -2 }, /* {"loose":true} */
};

/* comparisons.js: the first is greater than the second. */
static const struct pair comparisons[] = {
	{ "0.0.0", 1, "0.0.0-foo" },
	{ "0.0.1", 1, "0.0.0" },
	{ "1.0.0", 1, "0.9.9" },
	{ "0.10.0", 1, "0.9.0" },
	{ "0.99.0", 1, "0.10.0" },
	{ "2.0.0", 1, "1.2.3" },
	{ "v0.0.0", 1, "0.0.0-foo" },
	{ "v0.0.1", 1, "0.0.0" },
	{ "v1.0.0", 1, "0.9.9" },
	{ "v0.10.0", 1, "0.9.0" },
	{ "v0.99.0", 1, "0.10.0" },
	{ "v2.0.0", 1, "1.2.3" },
	{ "0.0.0", 1, "v0.0.0-foo" },
	{ "0.0.1", 1, "v0.0.0" },
	{ "1.0.0", 1, "v0.9.9" },
	{ "0.10.0", 1, "v0.9.0" },
	{ "0.99.0", 1, "v0.10.0" },
	{ "2.0.0", 1, "v1.2.3" },
	{ "1.2.3", 1, "1.2.3-asdf" },
	{ "1.2.3", 1, "1.2.3-4" },
	{ "1.2.3", 1, "1.2.3-4-foo" },
	{ "1.2.3-5-foo", 1, "1.2.3-5" },
	{ "1.2.3-5", 1, "1.2.3-4" },
	{ "1.2.3-5-foo", 1, "1.2.3-5-Foo" },
	{ "3.0.0", 1, "2.7.2+asdf" },
	{ "1.2.3-a.10", 1, "1.2.3-a.5" },
	{ "1.2.3-a.b", 1, "1.2.3-a.5" },
	{ "1.2.3-a.b", 1, "1.2.3-a" },
	{ "1.2.3-a.b.c.10.d.5", 1, "1.2.3-a.b.c.5.d.100" },
	{ "1.2.3-r2", 1, "1.2.3-r100" },
	{ "1.2.3-r100", 1, "1.2.3-R2" },
};

/* Not semver (issue 11); white space as JavaScript reads it. */
static const struct sat not_semver[] = {
	{ "blerg", "1.2.3", -2 },
	{ "git+https://github.com/npm/cli.git", "1.2.3", -2 },
	{ "git+ssh://git@github.com:npm/cli.git#v1.0.27", "1.0.27", -2 },
	{ "github:npm/cli", "1.2.3", -2 },
	{ "file:../foo", "1.2.3", -2 },
	{ "latest", "1.2.3", -2 },
	{ "https://example.com/x.tgz", "1.2.3", -2 },
	{ "npm:foo@^1.2.3", "1.2.3", -2 },
	{ ">=1.2.3\t<2.0.0", "1.5.0", 1 },
	{ "\t^1.2.3\t", "1.9.9", 1 },
	{ "1.2.3\t-\t2.0.0", "2.0.0", 1 },
	{ ">=1.0.0\t||\t<0.5", "0.4.0", 1 },
	{ ">=\t1.2.3", "1.2.3", 1 },
	{ "~\t1.2", "1.2.9", 1 },
	{ "^1.2.3\xc2\xa0"
	  "",
	  "1.2.4", 1 },
	{ "\xe3\x80\x80"
	  ">=1.0.0",
	  "1.0.0", 1 },
	{ ">=1.0.0\xe2\x80\x83"
	  "<2",
	  "1.5.0", 1 },
	{ ">=1.0.0\xef\xbb\xbf"
	  "",
	  "1.0.0", 1 },
	{ "1.2.3",
	  "\xc2\xa0"
	  "1.2.3\xe2\x80\xa8"
	  "",
	  1 },
	{ "1.2.3",
	  "1.2.3\xc2\x85"
	  "",
	  -2 },
	{ ">=1.0.0\xc2\x85"
	  "",
	  "1.0.0", -2 },
	{ ">=1.0.0\xc3\xa9"
	  "",
	  "1.0.0", -2 },
	{ "\x01", "1.0.0", -2 },
	{ ">=1.0.0\x7f", "1.0.0", -2 },
	{ "*", "", -2 },
	{ "", "", -2 },
	{ "*", "1.2", -2 },
	{ "*", "v1.2.3", 1 },
	{ "*", "=1.2.3", -2 },
	{ "*", " 1.2.3 ", 1 },
	{ "*", "1.2.3\n", 1 },
	{ "^1", "1.2.3 4", -2 },
	{ ">=1.0.0 <2.0.0 || blerg", "1.5.0", -2 },
	{ "1.x || >=2.5.0 || 5.0.0 - 7.2.3", "1.2.3", 1 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_node_semver_range_fixtures(void **state)
{
	check_sat(fixtures, N(fixtures));
}

static void test_node_semver_comparisons(void **state)
{
	check_pairs(comparisons, N(comparisons));
}

/* invalid-versions.js: compare() refuses them, as SemVer() throws. */
static void test_node_semver_invalid_versions(void **state)
{
	static const char *const invalid[] = {
		"90071992547409910.0.0",
		"0.90071992547409910.0",
		"0.0.90071992547409910",
		"hello, world",
		"xyz",
	};
	char longv[272];
	const char *one[] = { longv };
	bool out = true;

	check_invalid(invalid, N(invalid));
	/* new Array(MAX_LENGTH).join('1') + '.0.0': 255 ones, 259 characters */
	memset(longv, '1', 255);
	memcpy(longv + 255, ".0.0", 5);
	check_invalid(one, 1);
	assert_int_equal(bh_version_satisfies(SCHEME, "*", longv, &out, NULL), BH_VERSION_ODD);
	assert_false(out);
	/* 256 characters is the most, and white space counts in characters
	 * (UTF-16 units), not bytes: two
	 * U+00A0 (4 bytes), "1.0.0-" and 248 letters: 256 characters */
	memcpy(longv,
	       "\xc2\xa0\xc2\xa0"
	       "1.0.0-",
	       10);
	memset(longv + 10, 'a', 248);
	longv[258] = 0;
	assert_int_equal(bh_version_validate(SCHEME, longv, NULL), 0);
	/* one more U+00A0: 257 characters */
	memmove(longv + 2, longv, 259);
	assert_int_equal(bh_version_validate(SCHEME, longv, NULL), -1);
}

static void test_not_semver_is_not_satisfied(void **state)
{
	struct bh_error *err = NULL;
	char *why = NULL;
	bool out = true;

	check_sat(not_semver, N(not_semver));
	/* the range is what is odd, and the message says so */
	assert_int_equal(bh_version_check_range(SCHEME, "blerg", &why, &err), BH_VERSION_ODD);
	assert_null(err);
	assert_non_null(strstr(why, "semver range 'blerg' is not valid"));
	free(why);
	assert_int_equal(bh_version_check_range(SCHEME, ">=1.2.3\t<2", &why, &err), 0);
	assert_null(why);
	/* NULL is a caller's mistake, not a range */
	assert_int_equal(bh_version_satisfies(SCHEME, NULL, "1.2.3", &out, &err), -1);
	bh_error_clear(&err);
	assert_int_equal(bh_version_satisfies(SCHEME, "*", NULL, &out, &err), -1);
	bh_error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_semver_range_fixtures),
		cmocka_unit_test(test_node_semver_comparisons),
		cmocka_unit_test(test_node_semver_invalid_versions),
		cmocka_unit_test(test_not_semver_is_not_satisfied),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
