/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the quarantine record parser (a file under the state directory that
 * list and release read back), and the JSON of what it parsed.
 */
#include <stdint.h>
#include <stdlib.h>

#include "bulkhead/quarantine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_quar_record r = { 0 };
	struct bh_error *err = NULL;

	if (bh_quar_record_parse((const char *)data, size, &r, &err) == 0)
		json_decref(bh_quar_record_to_json(&r));
	bh_error_free(err);
	bh_quar_record_release(&r);
	return 0;
}
