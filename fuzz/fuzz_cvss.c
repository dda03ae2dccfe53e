/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the CVSS vector parsers: whatever the bytes, a vector either fails
 * with BH_ERR_INVALID or scores in [0, 10] on the one-decimal grid, and
 * scoring is deterministic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int (*fn)(const char *, double *, struct bh_error **), const char *v)
{
	struct bh_error *err = NULL;
	double s = -1, again = -2;
	long tenths;

	if (fn(v, &s, &err) < 0) {
		if (!err || bh_error_code(err) != BH_ERR_INVALID)
			abort();
		bh_error_free(err);
		return;
	}
	if (err || !(s >= 0 && s <= 10))
		abort();
	tenths = (long)(s * 10 + 0.5);
	if (s * 10 - (double)tenths > 1e-9 || (double)tenths - s * 10 > 1e-9)
		abort();
	if (fn(v, &again, NULL) < 0 || again != s)
		abort();
	(void)bh_severity_from_score(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v;

	if (size > 4096)
		return 0;
	v = bh_strndup((const char *)data, size);
	check(bh_cvss3_score, v);
	check(bh_cvss4_score, v);
	(void)bh_severity_parse(v, &(enum bh_severity){ 0 });
	free(v);
	return 0;
}
