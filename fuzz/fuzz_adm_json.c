/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Differential fuzzing of the webhook's JSON reader (src/admission/
 * jsonparse.c) against jansson's json_loadb with JSON_REJECT_DUPLICATES, the
 * reader it stands in for: both must accept or both refuse every input, and
 * what both accept must be equal trees (json_equal: same types, strings,
 * integers, reals, members). One known difference: a NUL byte, which is not
 * JSON, right after a number is skipped by jansson 2.14 ("[1\0]" loads) and
 * refused here; an input with a NUL byte must only not be accepted here
 * alone.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/admission.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *a = NULL, *b = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	struct bh_error *err = NULL;
	int rc = bh_adm_json_parse(data, size, 1u << 20, "fuzz", &a, &err);

	if (rc == 0 && !b)
		abort(); /* accepted here, refused by jansson */
	if (rc < 0 && b && !memchr(data, 0, size))
		abort(); /* refused here, accepted by jansson */
	if (rc == 0 && !json_equal(a, b))
		abort();
	bh_error_free(err);
	json_decref(a);
	json_decref(b);
	return 0;
}
