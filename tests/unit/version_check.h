/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The checks every version scheme's tests share. Include after defining
 * SCHEME (the enum bh_vscheme under test) and VALID (one valid version).
 */
#ifndef BULKHEAD_VERSION_CHECK_H
#define BULKHEAD_VERSION_CHECK_H

#include "unit.h"
#include "bulkhead/vuln.h"

/* Every pair (i, j) of a strictly increasing list: sign(i - j), both ways. */
static inline void check_ordered(const char *const *v, size_t n)
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

static inline void check_pairs(const struct pair *p, size_t n)
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

static inline void check_invalid(const char *const *v, size_t n)
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

static inline void check_valid(const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct bh_error *err = NULL;
		char *why = NULL;
		int cmp = 99;

		if (bh_version_validate(SCHEME, v[i], &err) != 0) {
			char *m = err ? bh_error_message(err) : NULL;

			fail_msg("'%s' should be well formed: %s", v[i], m ? m : "odd");
		}
		assert_int_equal(bh_version_check(SCHEME, v[i], &why, NULL), 0);
		assert_null(why);
		assert_int_equal(bh_version_compare(SCHEME, v[i], v[i], &cmp, NULL), 0);
		assert_int_equal(cmp, 0);
	}
}

/*
 * Odd versions: the native tool reads them (with a warning, or none) and so
 * do we: BH_VERSION_ODD from validate and from every comparison with them,
 * a message that names the version's reason, and an answer.
 */
struct odd {
	const char *v, *why; /* why: a part of the message */
};

static inline void check_odd(const struct odd *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct bh_error *err = NULL;
		char *why = NULL;
		int cmp = 99, rev = 99;
		int r = bh_version_check(SCHEME, o[i].v, &why, &err);

		if (r != BH_VERSION_ODD) {
			char *m = err ? bh_error_message(err) : NULL;

			fail_msg("'%s' should be odd, got %d %s", o[i].v, r, m ? m : "");
		}
		assert_null(err);
		assert_non_null(why);
		if (!strstr(why, o[i].why) || !strstr(why, bh_vscheme_name(SCHEME)))
			fail_msg("'%s': message '%s' lacks '%s'", o[i].v, why, o[i].why);
		free(why);
		assert_int_equal(bh_version_validate(SCHEME, o[i].v, NULL), BH_VERSION_ODD);
		assert_int_equal(bh_version_compare(SCHEME, o[i].v, VALID, &cmp, NULL),
				 BH_VERSION_ODD);
		assert_int_equal(bh_version_compare(SCHEME, VALID, o[i].v, &rev, NULL),
				 BH_VERSION_ODD);
		assert_true(cmp >= -1 && cmp <= 1);
		assert_int_equal(rev, -cmp);
		assert_int_equal(bh_version_compare(SCHEME, o[i].v, o[i].v, &cmp, NULL),
				 BH_VERSION_ODD);
		assert_int_equal(cmp, 0);
	}
}

/*
 * Hostile input: very long, control bytes, non-ASCII. A scheme with a length
 * limit (`limited`) refuses the long one; each odd string is refused with an
 * error naming the scheme or read as odd, never taken as well formed.
 */
static inline void check_hostile(const char *const *odd, size_t nodd, bool limited)
{
	char *big = bh_malloc(100001);
	struct bh_error *err = NULL;
	int cmp, r;

	memset(big, '1', 100000);
	big[100000] = 0;
	r = bh_version_validate(SCHEME, big, &err);
	if (limited) {
		assert_int_equal(r, -1);
		assert_error(err, BH_ERR_INVALID, "longer than");
		bh_error_clear(&err);
	} else {
		assert_int_equal(r, 0);
		assert_int_equal(bh_version_compare(SCHEME, big, VALID, &cmp, NULL), 0);
		assert_int_equal(cmp, 1);
	}
	for (size_t i = 0; i < 100000; i += 2)
		big[i] = '.';
	r = bh_version_compare(SCHEME, big, VALID, &cmp, &err);
	assert_true(limited ? r == -1 : r >= 0);
	bh_error_clear(&err);
	big[256] = 0;
	bh_version_compare(SCHEME, big, big, &cmp, NULL);
	free(big);
	for (size_t i = 0; i < nodd; i++) {
		r = bh_version_validate(SCHEME, odd[i], &err);
		if (r == 0)
			fail_msg("'%s' should not be well formed", odd[i]);
		if (r < 0) {
			assert_error(err, BH_ERR_INVALID, bh_vscheme_name(SCHEME));
			bh_error_clear(&err);
		} else {
			assert_int_equal(r, BH_VERSION_ODD);
			assert_null(err);
		}
	}
	assert_int_equal(bh_version_validate(SCHEME, NULL, &err), -1);
	bh_error_clear(&err);
}

struct sat {
	const char *spec, *version;
	int want; /* 1 true, 0 false, -1 refused (an error), -2 odd: false, BH_VERSION_ODD */
};

/* For the schemes with a range syntax (npm ranges, PEP 440 specifiers). */
static inline void check_sat(const struct sat *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct bh_error *err = NULL;
		bool out = true;
		int r = bh_version_satisfies(SCHEME, s[i].spec, s[i].version, &out, &err);

		if (s[i].want == -1) {
			if (r >= 0)
				fail_msg("'%s' with '%s' should be an error", s[i].spec,
					 s[i].version);
			assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
			bh_error_clear(&err);
			continue;
		}
		if (r < 0) {
			char *m = bh_error_message(err);

			fail_msg("satisfies('%s', '%s') failed: %s", s[i].spec, s[i].version, m);
		}
		if (s[i].want == -2 && (r != BH_VERSION_ODD || out))
			fail_msg("satisfies('%s', '%s') = %d (%d), want false and odd", s[i].spec,
				 s[i].version, out, r);
		if (s[i].want >= 0 && r != 0)
			fail_msg("satisfies('%s', '%s') is odd (%d), want %d", s[i].spec,
				 s[i].version, r, s[i].want);
		if (s[i].want >= 0 && out != (s[i].want == 1))
			fail_msg("satisfies('%s', '%s') = %d, want %d", s[i].spec, s[i].version,
				 out, s[i].want);
	}
}

#endif
