/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz every version scheme. Input: one byte choosing the scheme, then up to
 * three strings separated by '\n' (a, b, c). Whatever the bytes:
 *   - compare(a, b) succeeds exactly when both validate;
 *   - it is antisymmetric (compare(b, a) == -compare(a, b)), reflexive, and
 *     transitive over (a, b, c) where the scheme's order is a total order;
 *   - satisfies(a as a range, b) neither crashes nor leaks, and fails exactly
 *     when b is invalid, the range is invalid, or the scheme has no ranges.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp(enum bh_vscheme s, const char *a, const char *b, bool *ok)
{
	struct bh_error *err = NULL;
	int c = 99;

	*ok = bh_version_compare(s, a, b, &c, &err) == 0;
	if (*ok && err)
		abort();
	if (!*ok && (!err || bh_error_code(err) != BH_ERR_INVALID))
		abort();
	bh_error_free(err);
	if (*ok && c != -1 && c != 0 && c != 1)
		abort();
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum bh_vscheme s;
	char *part[3] = { NULL, NULL, NULL };
	const char *p, *end;
	bool valid[3], ok, ok2;
	int ab, ba;

	if (size < 1 || size > 8192)
		return 0;
	s = (enum bh_vscheme)(data[0] % 7 + 1);
	p = (const char *)data + 1;
	end = (const char *)data + size;
	for (int i = 0; i < 3; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = (nl && i < 2) ? nl : end;

		part[i] = bh_strndup(p, (size_t)(e - p));
		p = e < end ? e + 1 : end;
	}
	for (int i = 0; i < 3; i++) {
		struct bh_error *err = NULL;

		valid[i] = bh_version_validate(s, part[i], &err) == 0;
		if (!valid[i] && bh_error_code(err) != BH_ERR_INVALID)
			abort();
		bh_error_free(err);
	}

	ab = cmp(s, part[0], part[1], &ok);
	if (ok != (valid[0] && valid[1]))
		abort();
	ba = cmp(s, part[1], part[0], &ok2);
	if (ok2 != ok || (ok && ab != -ba))
		abort();
	for (int i = 0; i < 3; i++)
		if (valid[i] && cmp(s, part[i], part[i], &ok) != 0)
			abort();
	/* transitivity (rpmvercmp and ComparableVersion are not total orders
	 * upstream either, so they are held to antisymmetry only) */
	if (valid[0] && valid[1] && valid[2] && s != BH_VS_RPM && s != BH_VS_MAVEN) {
		int bc = cmp(s, part[1], part[2], &ok), ac = cmp(s, part[0], part[2], &ok);

		if (ab <= 0 && bc <= 0 && ac > 0)
			abort();
		if (ab >= 0 && bc >= 0 && ac < 0)
			abort();
	}

	{
		struct bh_error *err = NULL;
		bool out = false;
		int r = bh_version_satisfies(s, part[0], part[1], &out, &err);

		if (r == 0 && (!valid[1] || (s != BH_VS_SEMVER && s != BH_VS_PEP440)))
			abort();
		if (r < 0 && !err)
			abort();
		bh_error_free(err);
	}
	for (int i = 0; i < 3; i++)
		free(part[i]);
	return 0;
}
