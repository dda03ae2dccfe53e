/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the ignore-file and OpenVEX readers (the first byte picks which). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		struct bh_ignorelist l;

		if (bh_ignore_parse((const char *)data + 1, size - 1, "fuzz", &l, &err) == 0)
			bh_ignore_release(&l);
	} else {
		struct bh_vex v;

		if (bh_vex_parse((const char *)data + 1, size - 1, "fuzz", &v, &err) == 0)
			bh_vex_release(&v);
	}
	bh_error_free(err);
	return 0;
}
