/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Semantic Versioning 2.0.0 (https://semver.org): the core Go shares, and npm
 * versions. npm ranges are in version_npm_range.c.
 *
 * Versions: MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]; numeric identifiers have
 * no leading zeros; identifiers are non-empty [0-9A-Za-z-]. As npm does, a
 * leading "v" is accepted and MAJOR, MINOR and PATCH must not exceed
 * 2^53 - 1; blanks around it are ignored. Precedence: the three numbers, then a version with a
 * pre-release is lower than the same without; pre-release identifiers compare left to right,
 * numeric ones numerically and below alphanumeric ones (ASCII order), and a shorter list is lower
 * when it is a prefix. Build metadata is ignored.
 */
#include <string.h>

#include "bulkhead/vuln.h"
#include "version_internal.h"
#include "banned.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* ---- SemVer core --------------------------------------------------------- */

/* A numeric identifier at s: "0" or [1-9][0-9]*. Returns its length or 0. */
size_t vuln_semver_numeric_ident(const char *s, const char *end)
{
	size_t n = 0;

	if (s >= end || !is_digit(*s))
		return 0;
	if (*s == '0')
		return 1;
	while (s + n < end && is_digit(s[n]))
		n++;
	return n;
}

/* Dot-separated identifiers at s (pre-release rules when `pre`); returns the
 * length consumed (0 when the first identifier is missing or bad). */
size_t vuln_semver_idents(const char *s, const char *end, bool pre, const char **why)
{
	const char *p = s;

	for (;;) {
		const char *id = p;
		bool alnum = false;

		while (p < end && is_ident(*p)) {
			if (!is_digit(*p))
				alnum = true;
			p++;
		}
		if (p == id) {
			*why = pre ? "empty pre-release identifier" : "empty build identifier";
			return 0;
		}
		if (pre && !alnum && p - id > 1 && *id == '0') {
			*why = "numeric pre-release identifier with a leading zero";
			return 0;
		}
		if (p < end && *p == '.') {
			p++;
			continue;
		}
		return (size_t)(p - s);
	}
}

int vuln_semver_parse(const char *s, size_t len, bool shorthand, struct vuln_semver *out,
		      const char **why)
{
	const char *p = s, *end = s + len;
	int parts = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 3; i++) {
		size_t n;

		if (i > 0) {
			if (p == end && shorthand && i > 0) {
				out->num[i] = "0";
				out->numlen[i] = 1;
				continue;
			}
			if (p >= end || *p != '.') {
				*why = "expected MAJOR.MINOR.PATCH";
				return -1;
			}
			p++;
		}
		n = vuln_semver_numeric_ident(p, end);
		if (!n) {
			*why = "expected MAJOR.MINOR.PATCH";
			return -1;
		}
		if (p + n < end && is_digit(p[n])) {
			*why = "leading zero in a version number";
			return -1;
		}
		out->num[i] = p;
		out->numlen[i] = n;
		p += n;
		parts++;
	}
	if (parts < 3 && p != end) {
		*why = "a shorthand version (vMAJOR or vMAJOR.MINOR) takes no suffix";
		return -1;
	}
	if (p < end && *p == '-') {
		size_t n = vuln_semver_idents(p + 1, end, true, why);

		if (!n)
			return -1;
		out->pre = p + 1;
		out->prelen = n;
		p += 1 + n;
	}
	if (p < end && *p == '+') {
		size_t n = vuln_semver_idents(p + 1, end, false, why);

		if (!n)
			return -1;
		out->build = p + 1;
		out->buildlen = n;
		p += 1 + n;
	}
	if (p != end) {
		*why = "unexpected characters after the version";
		return -1;
	}
	return 0;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

static int pre_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	const char *ae = a + alen, *be = b + blen;

	while (a < ae && b < be) {
		size_t la = 0, lb = 0;
		bool na, nb;
		int r;

		while (a + la < ae && a[la] != '.')
			la++;
		while (b + lb < be && b[lb] != '.')
			lb++;
		na = all_digits(a, la);
		nb = all_digits(b, lb);
		if (na && nb)
			r = vuln_vs_numcmp(a, la, b, lb);
		else if (na != nb)
			r = na ? -1 : 1;
		else
			r = vuln_vs_bytecmp(a, la, b, lb);
		if (r)
			return r;
		a += la;
		b += lb;
		if (a < ae)
			a++;
		if (b < be)
			b++;
	}
	if (a < ae)
		return 1;
	if (b < be)
		return -1;
	return 0;
}

int vuln_semver_cmp(const struct vuln_semver *a, const struct vuln_semver *b)
{
	for (int i = 0; i < 3; i++) {
		int r = vuln_vs_numcmp(a->num[i], a->numlen[i], b->num[i], b->numlen[i]);

		if (r)
			return r;
	}
	if (!a->pre || !b->pre)
		return a->pre ? -1 : b->pre ? 1 : 0;
	return pre_cmp(a->pre, a->prelen, b->pre, b->prelen);
}

/* ---- npm versions ---------------------------------------------------------- */

static const char max_safe[] = "9007199254740991"; /* Number.MAX_SAFE_INTEGER */

static bool safe_number(const char *s, size_t n)
{
	return vuln_vs_numcmp(s, n, max_safe, sizeof(max_safe) - 1) <= 0;
}

/* UTF-8 of the code points JavaScript's \s and trim() take for white space
 * beyond ASCII: U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F,
 * U+205F, U+3000, U+FEFF. */
static size_t unicode_space(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] == 0xc2 && p[1] == 0xa0)
		return 2;
	if (n < 3)
		return 0;
	if ((p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) ||
	    (p[0] == 0xe2 && p[1] == 0x80 &&
	     ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf)) ||
	    (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) ||
	    (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) ||
	    (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf))
		return 3;
	return 0;
}

size_t vuln_npm_space(const char *s, const char *end)
{
	if (s >= end)
		return 0;
	if (is_space(*s))
		return 1;
	return unicode_space((const unsigned char *)s, (size_t)(end - s));
}

/* The length of the white space that ends at end, or 0. */
static size_t space_before(const char *s, const char *end)
{
	for (size_t w = 1; w <= 3 && w <= (size_t)(end - s); w++)
		if (vuln_npm_space(end - w, end) == w)
			return w;
	return 0;
}

/* JavaScript's string length (UTF-16 code units) of UTF-8 text. */
static size_t js_length(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c & 0xc0) != 0x80)
			n += c >= 0xf0 ? 2 : 1;
	}
	return n;
}

/* node-semver's SemVer(): at most 256 characters, trimmed, then
 * v?MAJOR.MINOR.PATCH[-PRE][+BUILD] with numbers <= 2^53-1. */
int vuln_npm_parse(const char *s, size_t len, struct vuln_semver *out, const char **why)
{
	size_t w;

	if (js_length(s, len) > VULN_VERSION_MAX_LEN) {
		*why = "longer than 256 characters";
		return -1;
	}
	while ((w = vuln_npm_space(s, s + len)))
		s += w, len -= w;
	while ((w = space_before(s, s + len)))
		len -= w;
	if (len && *s == 'v')
		s++, len--;
	if (vuln_semver_parse(s, len, false, out, why) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (!safe_number(out->num[i], out->numlen[i])) {
			*why = "a version number is larger than 2^53-1";
			return -1;
		}
	}
	return 0;
}

static int read_version(const char *v, struct vuln_semver *sv, struct bh_error **err)
{
	const char *why = NULL;

	if (!v)
		return vuln_vs_invalid(err, "semver", "", "no version");
	if (vuln_npm_parse(v, strlen(v), sv, &why) < 0)
		return vuln_vs_invalid(err, "semver", v, why);
	return 0;
}

static int validate(const char *v, const char **why, struct bh_error **err)
{
	struct vuln_semver sv;

	(void)why; /* node-semver's SemVer() throws on what it cannot read */
	return read_version(v, &sv, err);
}

static int compare(const char *a, const char *b, int *cmp, struct bh_error **err)
{
	struct vuln_semver x, y;

	if (read_version(a, &x, err) < 0 || read_version(b, &y, err) < 0)
		return -1;
	*cmp = vuln_semver_cmp(&x, &y);
	return 0;
}

static const char *const aliases[] = { "npm", NULL };
static const char *const ecosystems[] = { "npm", "crates.io", NULL };

const struct vuln_vscheme vuln_vscheme_semver = {
	.id = BH_VS_SEMVER,
	.name = "semver",
	.native = "node-semver",
	.aliases = aliases,
	.ecosystems = ecosystems,
	.validate = validate,
	.compare = compare,
	.validate_range = vuln_npm_validate_range,
	.satisfies = vuln_npm_satisfies,
};
