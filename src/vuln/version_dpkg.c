/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Debian versions, Debian Policy 5.6.12: [epoch:]upstream_version[-debian_revision],
 * read and compared exactly as `dpkg --compare-versions` (dpkg 1.21, amd64) does.
 *
 * Reading follows dpkg's parseversion() and its callers:
 *   - "" and "<unknown>" are no version: they are equal to each other and
 *     sort before every version (odd: nothing to read);
 *   - blanks (space, tab) around the version are ignored; a blank inside it
 *     is an error;
 *   - the epoch is what strtol(3) reads before the first ':' (so a leading
 *     "+" or other white space is allowed, "-0" is 0): nothing there, anything
 *     else before the ':', a negative epoch or one above INT_MAX are errors,
 *     and so is nothing after the ':';
 *   - the revision is what follows the last '-'; an empty revision or an
 *     empty upstream version is an error;
 *   - dpkg only warns, and still compares, when the upstream version does not
 *     start with a digit or has a character other than alphanumerics and
 *     . + - ~ :, or the revision has one other than alphanumerics and . + ~
 *     ("1.0-a_b", "1_0", "a1"): those are odd (BH_VERSION_ODD) with dpkg's
 *     words as the reason, and compared the same way.
 *
 * Comparison is dpkg's verrevcmp() on epoch (numerically), upstream and
 * revision in turn: alternating non-digit parts, compared character by
 * character with letters before non-letters and '~' before everything (even
 * the end), and digit parts, compared numerically. An absent revision equals
 * "0" ("1.0" == "1.0-0"). Bytes above 0x7f order as dpkg on amd64 orders
 * them, where char is signed: after the letters, before the other ASCII
 * punctuation. Any length is compared (dpkg has no limit; nothing is copied).
 */
#include <limits.h>
#include <string.h>

#include "bulkhead/vuln.h"
#include "version_internal.h"
#include "banned.h"

struct dpkg_version {
	bool blank; /* "" or "<unknown>": no version */
	long epoch;
	const char *up; /* upstream */
	size_t uplen;
	const char *rev; /* revision ("" when absent) */
	size_t revlen;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* isspace(3) in the C locale, which strtol skips */
static bool is_cspace(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* strtol(s, &end, 10) on [s, lim) for the epoch before colon; 0 or a dpkg error. */
static int parse_epoch(const char *v, const char *s, const char *colon, long *out,
		       struct bh_error **err)
{
	const char *p = s, *digits;
	unsigned long e = 0;
	bool neg = false, big = false;

	while (p < colon && is_cspace(*p))
		p++;
	if (p < colon && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	digits = p;
	while (is_digit(*p)) {
		if (!big) {
			e = e * 10 + (unsigned long)(*p - '0');
			big = e > (unsigned long)INT_MAX + 1;
		}
		p++;
	}
	if (p == digits)
		return vuln_vs_invalid(err, "dpkg", v, "epoch in version is empty");
	if (p != colon)
		return vuln_vs_invalid(err, "dpkg", v, "epoch in version is not number");
	if (neg && (e || big))
		return vuln_vs_invalid(err, "dpkg", v, "epoch in version is negative");
	if (big || e > INT_MAX)
		return vuln_vs_invalid(err, "dpkg", v, "epoch in version is too big");
	*out = (long)e;
	return 0;
}

/* parseversion(): 0, BH_VERSION_ODD with dpkg's warning in *why, or -1 with dpkg's error. */
static int parse(const char *v, struct dpkg_version *out, const char **why, struct bh_error **err)
{
	const char *s, *end, *p, *colon, *hyphen = NULL;

	memset(out, 0, sizeof(*out));
	out->rev = "";
	if (!v)
		return vuln_vs_invalid(err, "dpkg", "", "no version");
	if (!*v || !strcmp(v, "<unknown>")) {
		out->blank = true;
		*why = "no version, which sorts before every version";
		return BH_VERSION_ODD;
	}
	s = v;
	while (is_blank(*s))
		s++;
	if (!*s)
		return vuln_vs_invalid(err, "dpkg", v, "version string is empty");
	end = s;
	while (*end && !is_blank(*end))
		end++;
	for (p = end; *p; p++)
		if (!is_blank(*p))
			return vuln_vs_invalid(err, "dpkg", v,
					       "version string has embedded spaces");

	colon = memchr(s, ':', (size_t)(end - s));
	if (colon) {
		if (parse_epoch(v, s, colon, &out->epoch, err) < 0)
			return -1;
		if (colon + 1 == end)
			return vuln_vs_invalid(err, "dpkg", v,
					       "nothing after colon in version number");
		s = colon + 1;
	}
	for (p = s; p < end; p++)
		if (*p == '-')
			hyphen = p;
	out->up = s;
	if (hyphen) {
		if (hyphen + 1 == end)
			return vuln_vs_invalid(err, "dpkg", v, "revision number is empty");
		out->uplen = (size_t)(hyphen - s);
		out->rev = hyphen + 1;
		out->revlen = (size_t)(end - hyphen - 1);
	} else {
		out->uplen = (size_t)(end - s);
	}
	if (out->uplen == 0)
		return vuln_vs_invalid(err, "dpkg", v, "version number is empty");

	/* dpkg's warnings: the first one found, as dpkg reports it */
	if (!is_digit(out->up[0])) {
		*why = "version number does not start with digit";
		return BH_VERSION_ODD;
	}
	for (size_t i = 1; i < out->uplen; i++) {
		char c = out->up[i];

		if (!is_digit(c) && !is_alpha(c) && !strchr(".-+~:", c)) {
			*why = "invalid character in version number";
			return BH_VERSION_ODD;
		}
	}
	for (size_t i = 0; i < out->revlen; i++) {
		char c = out->rev[i];

		if (!is_digit(c) && !is_alpha(c) && !strchr(".+~", c)) {
			*why = "invalid character in revision number";
			return BH_VERSION_ODD;
		}
	}
	return 0;
}

/*
 * dpkg's order(): '~' first, then the end and digits, letters, everything
 * else. A byte above 0x7f is a negative char on amd64, where dpkg returns
 * c + 256 for it: 128..255, between the letters and ASCII punctuation.
 */
static int order(const char *p, const char *end)
{
	int c;

	if (p >= end || is_digit(*p))
		return 0;
	c = (signed char)*p;
	if (is_alpha(*p))
		return c;
	if (c == '~')
		return -1;
	return c + 256;
}

static int verrevcmp(const char *a, size_t alen, const char *b, size_t blen)
{
	const char *ae = a + alen, *be = b + blen;

	while (a < ae || b < be) {
		int first_diff = 0;

		while ((a < ae && !is_digit(*a)) || (b < be && !is_digit(*b))) {
			int ac = order(a, ae), bc = order(b, be);

			if (ac != bc)
				return ac < bc ? -1 : 1;
			a++;
			b++;
		}
		while (a < ae && *a == '0')
			a++;
		while (b < be && *b == '0')
			b++;
		while (a < ae && b < be && is_digit(*a) && is_digit(*b)) {
			if (!first_diff)
				first_diff = *a - *b;
			a++;
			b++;
		}
		if (a < ae && is_digit(*a))
			return 1;
		if (b < be && is_digit(*b))
			return -1;
		if (first_diff)
			return first_diff < 0 ? -1 : 1;
	}
	return 0;
}

static int validate(const char *v, const char **why, struct bh_error **err)
{
	struct dpkg_version d;

	return parse(v, &d, why, err);
}

static int compare(const char *a, const char *b, int *cmp, struct bh_error **err)
{
	struct dpkg_version x, y;
	const char *why;
	int ra, rb, r;

	ra = parse(a, &x, &why, err);
	if (ra < 0)
		return -1;
	rb = parse(b, &y, &why, err);
	if (rb < 0)
		return -1;
	if (x.blank || y.blank)
		r = x.blank == y.blank ? 0 : x.blank ? -1 : 1;
	else if (x.epoch != y.epoch)
		r = x.epoch < y.epoch ? -1 : 1;
	else if (!(r = verrevcmp(x.up, x.uplen, y.up, y.uplen)))
		r = verrevcmp(x.rev, x.revlen, y.rev, y.revlen);
	*cmp = r;
	return ra == BH_VERSION_ODD || rb == BH_VERSION_ODD ? BH_VERSION_ODD : 0;
}

static const char *const aliases[] = { "deb", "debian", NULL };
static const char *const ecosystems[] = { "Debian", "Ubuntu", NULL };

const struct vuln_vscheme vuln_vscheme_dpkg = {
	.id = BH_VS_DPKG,
	.name = "dpkg",
	.native = "dpkg --compare-versions",
	.aliases = aliases,
	.ecosystems = ecosystems,
	.validate = validate,
	.compare = compare,
};
