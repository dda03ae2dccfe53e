/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Debian versions, Debian Policy 5.6.12: [epoch:]upstream_version[-debian_revision].
 *
 * Parsing follows dpkg's parseversion(): blanks around the version are
 * ignored; the epoch is the decimal number before the first ':' (at most
 * INT_MAX); the revision is what follows the last '-'. Where dpkg only warns
 * ("version number does not start with digit", "invalid character in
 * version number") we refuse: those strings are not Debian versions. The
 * upstream part may contain alphanumerics and . + - ~ : (the ':' only after an
 * epoch), the revision alphanumerics and . + ~.
 *
 * Comparison is dpkg's verrevcmp() on epoch (numerically), upstream and
 * revision in turn: alternating non-digit parts, compared character by
 * character with letters before non-letters and '~' before everything (even
 * the end), and digit parts, compared numerically. An absent revision equals
 * "0" ("1.0" == "1.0-0").
 */
#include <limits.h>
#include <string.h>

#include "bulkhead/vuln.h"
#include "version_internal.h"
#include "banned.h"

struct dpkg_version {
	unsigned long epoch;
	const char *up; /* upstream */
	size_t uplen;
	const char *rev; /* revision ("" when absent) */
	size_t revlen;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int parse(const char *v, struct dpkg_version *out, struct bh_error **err)
{
	const char *s, *end, *p, *colon, *hyphen = NULL;

	if (vuln_vs_check_len("dpkg", v, err) < 0)
		return -1;
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

	out->epoch = 0;
	colon = memchr(s, ':', (size_t)(end - s));
	if (colon) {
		unsigned long e = 0;

		if (colon == s)
			return vuln_vs_invalid(err, "dpkg", v, "epoch in version is empty");
		for (p = s; p < colon; p++) {
			if (!is_digit(*p))
				return vuln_vs_invalid(err, "dpkg", v,
						       "epoch in version is not number");
			e = e * 10 + (unsigned long)(*p - '0');
			if (e > INT_MAX)
				return vuln_vs_invalid(err, "dpkg", v,
						       "epoch in version is too big");
		}
		if (colon + 1 == end)
			return vuln_vs_invalid(err, "dpkg", v,
					       "nothing after colon in version number");
		out->epoch = e;
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
		out->rev = "";
		out->revlen = 0;
	}
	if (out->uplen == 0)
		return vuln_vs_invalid(err, "dpkg", v, "upstream version is empty");
	if (!is_digit(out->up[0]))
		return vuln_vs_invalid(err, "dpkg", v, "version number does not start with digit");
	for (size_t i = 0; i < out->uplen; i++) {
		char c = out->up[i];

		if (!is_digit(c) && !is_alpha(c) && !strchr(".-+~:", c))
			return vuln_vs_invalid(err, "dpkg", v,
					       "invalid character in version number");
	}
	for (size_t i = 0; i < out->revlen; i++) {
		char c = out->rev[i];

		if (!is_digit(c) && !is_alpha(c) && !strchr(".+~", c))
			return vuln_vs_invalid(err, "dpkg", v,
					       "invalid character in revision number");
	}
	return 0;
}

/* dpkg's order(): '~' first, then the end and digits, letters, everything else. */
static int order(const char *p, const char *end)
{
	char c;

	if (p >= end)
		return 0;
	c = *p;
	if (is_digit(c))
		return 0;
	if (is_alpha(c))
		return (unsigned char)c;
	if (c == '~')
		return -1;
	return (unsigned char)c + 256;
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

static int validate(const char *v, struct bh_error **err)
{
	struct dpkg_version d;

	return parse(v, &d, err);
}

static int compare(const char *a, const char *b, int *cmp, struct bh_error **err)
{
	struct dpkg_version x, y;
	int r;

	if (parse(a, &x, err) < 0 || parse(b, &y, err) < 0)
		return -1;
	if (x.epoch != y.epoch) {
		*cmp = x.epoch < y.epoch ? -1 : 1;
		return 0;
	}
	r = verrevcmp(x.up, x.uplen, y.up, y.uplen);
	if (!r)
		r = verrevcmp(x.rev, x.revlen, y.rev, y.revlen);
	*cmp = r;
	return 0;
}

static const char *const aliases[] = { "deb", "debian", NULL };
static const char *const ecosystems[] = { "Debian", "Ubuntu", NULL };

const struct vuln_vscheme vuln_vscheme_dpkg = {
	.id = BH_VS_DPKG,
	.name = "dpkg",
	.aliases = aliases,
	.ecosystems = ecosystems,
	.validate = validate,
	.compare = compare,
};
