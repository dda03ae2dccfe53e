/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz every version scheme. Input: one byte choosing the scheme, then up to
 * three strings separated by '\n' (a, b, c). Whatever the bytes:
 *   - validate and check agree: 0 (well formed), BH_VERSION_ODD (read as the
 *     native tool reads it, with a message) or -1 (BH_ERR_INVALID);
 *   - compare(a, b) answers exactly when both are read, and says
 *     BH_VERSION_ODD exactly when either is odd;
 *   - it is antisymmetric (compare(b, a) == -compare(a, b)), reflexive, and
 *     transitive over (a, b, c) where the scheme's order is a total order;
 *   - satisfies(a as a range, b) neither crashes nor leaks; for semver it
 *     always answers (false and BH_VERSION_ODD when node-semver cannot read
 *     the range or the version), for pep440 it fails exactly when b or the
 *     specifier is invalid, and the other schemes have no ranges.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp(enum bh_vscheme s, const char *a, const char *b, int *ret)
{
	struct bh_error *err = NULL;
	int c = 99;

	*ret = bh_version_compare(s, a, b, &c, &err);
	if (*ret >= 0 && (err || (c != -1 && c != 0 && c != 1)))
		abort();
	if (*ret < 0 && (!err || bh_error_code(err) != BH_ERR_INVALID))
		abort();
	bh_error_free(err);
	return c;
}

/* validate and check agree; an odd string comes with a message */
static int readv(enum bh_vscheme s, const char *v)
{
	struct bh_error *err = NULL;
	char *why = NULL;
	int r = bh_version_validate(s, v, &err), r2;

	if (r < 0 ? bh_error_code(err) != BH_ERR_INVALID : (r != 0 && r != BH_VERSION_ODD) || err)
		abort();
	bh_error_free(err);
	err = NULL;
	r2 = bh_version_check(s, v, &why, &err);
	if (r2 != r || (r == BH_VERSION_ODD) != (why != NULL))
		abort();
	free(why);
	bh_error_free(err);
	return r;
}

static void check_satisfies(enum bh_vscheme s, const char *spec, const char *v, int rv)
{
	struct bh_error *err = NULL;
	char *why = NULL;
	bool out = true;
	int r = bh_version_satisfies(s, spec, v, &out, &err);
	int rr = bh_version_check_range(s, spec, &why, NULL);

	if (r < 0 && !err)
		abort();
	if (s == BH_VS_SEMVER) {
		if (r < 0 || (rr != 0 && rr != BH_VERSION_ODD))
			abort();
		if ((r == BH_VERSION_ODD) != (rr == BH_VERSION_ODD || rv < 0))
			abort();
		if (r == BH_VERSION_ODD && out)
			abort();
	} else if (s == BH_VS_PEP440) {
		if ((r == 0) != (rr == 0 && rv == 0) || r == BH_VERSION_ODD)
			abort();
	} else if (r >= 0 || bh_error_code(err) != BH_ERR_UNSUPPORTED) {
		abort();
	}
	free(why);
	bh_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum bh_vscheme s;
	char *part[3] = { NULL, NULL, NULL };
	const char *p, *end;
	int rv[3], ret, ret2;
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
	for (int i = 0; i < 3; i++)
		rv[i] = readv(s, part[i]);

	ab = cmp(s, part[0], part[1], &ret);
	if ((ret >= 0) != (rv[0] >= 0 && rv[1] >= 0))
		abort();
	if (ret >= 0 &&
	    (ret == BH_VERSION_ODD) != (rv[0] == BH_VERSION_ODD || rv[1] == BH_VERSION_ODD))
		abort();
	ba = cmp(s, part[1], part[0], &ret2);
	if (ret2 != ret || (ret >= 0 && ab != -ba))
		abort();
	for (int i = 0; i < 3; i++)
		if (rv[i] >= 0 && cmp(s, part[i], part[i], &ret) != 0)
			abort();
	/* transitivity (rpmvercmp and ComparableVersion are not total orders
	 * upstream either, so they are held to antisymmetry only) */
	if (rv[0] >= 0 && rv[1] >= 0 && rv[2] >= 0 && s != BH_VS_RPM && s != BH_VS_MAVEN) {
		int bc = cmp(s, part[1], part[2], &ret), ac = cmp(s, part[0], part[2], &ret);

		if (ab <= 0 && bc <= 0 && ac > 0)
			abort();
		if (ab >= 0 && bc >= 0 && ac < 0)
			abort();
	}
	check_satisfies(s, part[0], part[1], rv[1]);
	for (int i = 0; i < 3; i++)
		free(part[i]);
	return 0;
}
