/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RPM versions: [epoch:]version[-release], compared as rpm 4.18 does.
 *
 * rpm compares any two strings, and so do we. The string is split as rpm's
 * parseEVR() splits it: the epoch is the run of digits before a ':' that
 * directly follows them (an empty one reads as "0"), the release is what
 * follows the last '-' after that run, the version is the rest. Well formed,
 * as rpmbuild accepts it after macro expansion, means: a non-empty version
 * and (when there is a '-') release, made of ASCII letters, digits and
 * . _ + ~ ^, a non-empty decimal epoch when there is a ':'. Anything else
 * ("", "1-2-3-4", "1.0-a b", "a:1") is odd (BH_VERSION_ODD) and compared
 * exactly as rpm compares it; nothing is refused, whatever its length.
 *
 * Order: epochs, then versions, then releases with rpmvercmp(); as in rpm's
 * rpmverCmp() (rpm.ver in Python and Lua) and labelCompare (rpmdev-vercmp), a
 * missing release sorts before any release ("1.0" < "1.0-1"). rpmvercmp() splits both
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
	size_t elen, vlen, rlen; /* e == NULL: no epoch; r == NULL: no release */
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

/* Why a version or release part is not well formed, or NULL. */
static const char *part_oddity(const char *p, size_t n, bool release)
{
	if (!n)
		return release ? "empty release" : "empty version";
	for (size_t i = 0; i < n; i++) {
		if (p[i] == ':')
			return release ? "':' in the release" : "':' in the version";
		if (p[i] == '-')
			return "'-' in the version";
		if (!legal(p[i]))
			return release ? "illegal character in the release"
				       : "illegal character in the version";
	}
	return NULL;
}

/* parseEVR(): 0, or BH_VERSION_ODD with the reason in *why; -1 only for NULL. */
static int parse(const char *s, struct evr *out, const char **why, struct bh_error **err)
{
	const char *p, *hyphen, *end;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (!s)
		return vuln_vs_invalid(err, "rpm", "", "no version");
	end = s + strlen(s);
	for (p = s; is_digit(*p); p++)
		;
	hyphen = strrchr(p, '-');
	out->v = s;
	if (*p == ':') {
		out->e = p == s ? "0" : s;
		out->elen = p == s ? 1 : (size_t)(p - s);
		out->v = p + 1;
		if (p == s)
			*why = "empty epoch";
	}
	if (hyphen) {
		out->vlen = (size_t)(hyphen - out->v);
		out->r = hyphen + 1;
		out->rlen = (size_t)(end - out->r);
	} else {
		out->vlen = (size_t)(end - out->v);
	}
	if (!*s)
		*why = "empty";
	if (!*why)
		*why = part_oddity(out->v, out->vlen, false);
	if (!*why && out->r)
		*why = part_oddity(out->r, out->rlen, true);
	return *why ? BH_VERSION_ODD : 0;
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

static int validate(const char *v, const char **why, struct bh_error **err)
{
	struct evr e;

	return parse(v, &e, why, err);
}

static int compare(const char *a, const char *b, int *cmp, struct bh_error **err)
{
	struct evr x, y;
	const char *why;
	int ra, rb, r;

	ra = parse(a, &x, &why, err);
	if (ra < 0)
		return -1;
	rb = parse(b, &y, &why, err);
	if (rb < 0)
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
	return ra == BH_VERSION_ODD || rb == BH_VERSION_ODD ? BH_VERSION_ODD : 0;
}

static const char *const ecosystems[] = { "Red Hat", "Rocky Linux", "AlmaLinux", "openSUSE",
					  "SUSE",    "Mageia",	    "openEuler", NULL };

const struct vuln_vscheme vuln_vscheme_rpm = {
	.id = BH_VS_RPM,
	.name = "rpm",
	.native = "rpm",
	.ecosystems = ecosystems,
	.validate = validate,
	.compare = compare,
};
