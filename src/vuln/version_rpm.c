/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RPM versions: [epoch:]version[-release], compared as rpm does.
 *
 * Syntax (what rpmbuild accepts after macro expansion): the epoch is a
 * non-empty decimal number; version and release are non-empty and made of
 * ASCII letters, digits and . _ + ~ ^; the release follows the last '-'.
 *
 * Order: epochs numerically (absent = 0), then versions, then releases with
 * rpmvercmp(); as in rpm's labelCompare (and rpmdev-vercmp), a missing
 * release sorts before any release ("1.0" < "1.0-1"). rpmvercmp() splits both
 * strings into runs of digits and runs of letters, skipping every other
 * character as a separator: numeric runs compare numerically and beat
 * alphabetic ones, alphabetic runs compare as strings; '~' sorts before
 * everything, even the end ("1.0~rc1" < "1.0"), '^' after the end but before
 * anything else ("1.0" < "1.0^git1" < "1.0.1"); when one string runs out, the
 * one with a run left is newer. Separators themselves carry no weight, so
 * "1.0" and "1_0" are equal.
 */
#include <string.h>

#include "bulkhead/vuln.h"
#include "version_internal.h"
#include "banned.h"

struct evr {
	const char *e, *v, *r;
	size_t elen, vlen, rlen; /* r == NULL: no release */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_digit(c) || is_alpha(c);
}

static bool legal(char c)
{
	return is_alnum(c) || c == '.' || c == '_' || c == '+' || c == '~' || c == '^';
}

static int parse(const char *s, struct evr *out, struct bh_error **err)
{
	const char *p, *colon, *hyphen;
	size_t n;

	if (vuln_vs_check_len("rpm", s, err) < 0)
		return -1;
	n = strlen(s);
	if (!n)
		return vuln_vs_invalid(err, "rpm", s, "empty");
	memset(out, 0, sizeof(*out));
	out->v = s;
	colon = strchr(s, ':');
	if (colon) {
		if (colon == s)
			return vuln_vs_invalid(err, "rpm", s, "empty epoch");
		for (p = s; p < colon; p++)
			if (!is_digit(*p))
				return vuln_vs_invalid(err, "rpm", s, "the epoch is not a number");
		out->e = s;
		out->elen = (size_t)(colon - s);
		out->v = colon + 1;
	}
	hyphen = strrchr(out->v, '-');
	if (hyphen) {
		out->vlen = (size_t)(hyphen - out->v);
		out->r = hyphen + 1;
		out->rlen = strlen(out->r);
		if (!out->rlen)
			return vuln_vs_invalid(err, "rpm", s, "empty release");
	} else {
		out->vlen = strlen(out->v);
	}
	if (!out->vlen)
		return vuln_vs_invalid(err, "rpm", s, "empty version");
	for (size_t i = 0; i < out->vlen; i++) {
		if (out->v[i] == ':')
			return vuln_vs_invalid(err, "rpm", s, "more than one ':'");
		if (out->v[i] == '-')
			return vuln_vs_invalid(err, "rpm", s, "'-' in the version");
		if (!legal(out->v[i]))
			return vuln_vs_invalid(err, "rpm", s, "illegal character in the version");
	}
	for (size_t i = 0; i < out->rlen; i++) {
		if (out->r[i] == ':')
			return vuln_vs_invalid(err, "rpm", s, "':' in the release");
		if (!legal(out->r[i]))
			return vuln_vs_invalid(err, "rpm", s, "illegal character in the release");
	}
	return 0;
}

/* rpm's rpmvercmp() on (a, alen) and (b, blen). */
static int rpmvercmp(const char *a, size_t alen, const char *b, size_t blen)
{
	const char *one = a, *two = b, *ae = a + alen, *be = b + blen;

	if (alen == blen && !memcmp(a, b, alen))
		return 0;
	while (one < ae || two < be) {
		const char *s1, *s2;
		bool isnum;
		int rc;

		while (one < ae && !is_alnum(*one) && *one != '~' && *one != '^')
			one++;
		while (two < be && !is_alnum(*two) && *two != '~' && *two != '^')
			two++;

		/* '~' sorts before everything else, the end included */
		if ((one < ae && *one == '~') || (two < be && *two == '~')) {
			if (one >= ae || *one != '~')
				return 1;
			if (two >= be || *two != '~')
				return -1;
			one++;
			two++;
			continue;
		}
		/* '^' sorts after the end, before everything else */
		if ((one < ae && *one == '^') || (two < be && *two == '^')) {
			if (one >= ae)
				return -1;
			if (two >= be)
				return 1;
			if (*one != '^')
				return 1;
			if (*two != '^')
				return -1;
			one++;
			two++;
			continue;
		}
		if (one >= ae || two >= be)
			break;

		s1 = one;
		s2 = two;
		if (is_digit(*s1)) {
			while (s1 < ae && is_digit(*s1))
				s1++;
			while (s2 < be && is_digit(*s2))
				s2++;
			isnum = true;
		} else {
			while (s1 < ae && is_alpha(*s1))
				s1++;
			while (s2 < be && is_alpha(*s2))
				s2++;
			isnum = false;
		}
		/* one's segment is never empty; an empty one for two means the
		 * types differ, and numbers are newer than letters */
		if (two == s2)
			return isnum ? 1 : -1;
		if (isnum)
			rc = vuln_vs_numcmp(one, (size_t)(s1 - one), two, (size_t)(s2 - two));
		else
			rc = vuln_vs_bytecmp(one, (size_t)(s1 - one), two, (size_t)(s2 - two));
		if (rc)
			return rc;
		one = s1;
		two = s2;
	}
	if (one >= ae && two >= be)
		return 0;
	return one < ae ? 1 : -1;
}

static int validate(const char *v, struct bh_error **err)
{
	struct evr e;

	return parse(v, &e, err);
}

static int compare(const char *a, const char *b, int *cmp, struct bh_error **err)
{
	struct evr x, y;
	int r;

	if (parse(a, &x, err) < 0 || parse(b, &y, err) < 0)
		return -1;
	r = rpmvercmp(x.e ? x.e : "0", x.e ? x.elen : 1, y.e ? y.e : "0", y.e ? y.elen : 1);
	if (!r)
		r = rpmvercmp(x.v, x.vlen, y.v, y.vlen);
	if (!r) {
		if (x.r && y.r)
			r = rpmvercmp(x.r, x.rlen, y.r, y.rlen);
		else if (x.r || y.r)
			r = x.r ? 1 : -1;
	}
	*cmp = r;
	return 0;
}

static const char *const ecosystems[] = { "Red Hat", "Rocky Linux", "AlmaLinux", "openSUSE",
					  "SUSE",    "Mageia",	    "openEuler", NULL };

const struct vuln_vscheme vuln_vscheme_rpm = {
	.id = BH_VS_RPM,
	.name = "rpm",
	.ecosystems = ecosystems,
	.validate = validate,
	.compare = compare,
};
