/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the measured-launch event log parser (JSON lines). */
#include <stdint.h>
#include <stdlib.h>

#include "bulkhead/tpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	json_t *entries = NULL;

	if (bh_tpm_log_parse((const char *)data, size, &entries, &err) == 0) {
		if (!json_is_array(entries))
			abort();
		json_decref(entries);
	}
	bh_error_free(err);
	return 0;
}
