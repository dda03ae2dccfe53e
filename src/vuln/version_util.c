/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers the version scheme files share: error messages that quote
 * untrusted text safely, the length limit, and numeric and byte-wise
 * comparison of runs. A leaf: it calls nothing of the schemes or dispatch.
 */
#include <stdio.h>
#include <string.h>

#include "version_internal.h"
#include "banned.h"

void vuln_vs_quote(const char *s, char *buf, size_t bufsz)
{
	size_t o = 0, i;
	const size_t max_in = 80;

	for (i = 0; s[i] && i < max_in && o + 5 < bufsz; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'')
			o += (size_t)snprintf(buf + o, bufsz - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (s[i] && o + 4 < bufsz) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = 0;
}

int vuln_vs_invalid(struct bh_error **err, const char *scheme, const char *v, const char *why)
{
	char q[400];

	vuln_vs_quote(v ? v : "", q, sizeof(q));
	return bh_error_set(err, BH_ERR_INVALID, "invalid %s version '%s': %s", scheme, q, why);
}

int vuln_vs_invalid_spec(struct bh_error **err, const char *scheme, const char *spec,
			 const char *why)
{
	char q[400];

	vuln_vs_quote(spec ? spec : "", q, sizeof(q));
	return bh_error_set(err, BH_ERR_INVALID, "invalid %s range '%s': %s", scheme, q, why);
}

int vuln_vs_check_len(const char *scheme, const char *v, struct bh_error **err)
{
	if (!v)
		return vuln_vs_invalid(err, scheme, "", "no version");
	if (strnlen(v, VULN_VERSION_MAX_LEN + 1) > VULN_VERSION_MAX_LEN)
		return vuln_vs_invalid(err, scheme, v, "longer than 256 bytes");
	return 0;
}

int vuln_vs_numcmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int r;

	while (alen && *a == '0')
		a++, alen--;
	while (blen && *b == '0')
		b++, blen--;
	if (alen != blen)
		return alen < blen ? -1 : 1;
	r = alen ? memcmp(a, b, alen) : 0;
	return r < 0 ? -1 : r > 0;
}

int vuln_vs_bytecmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int r = n ? memcmp(a, b, n) : 0;

	if (r)
		return r < 0 ? -1 : 1;
	return alen < blen ? -1 : alen > blen;
}
