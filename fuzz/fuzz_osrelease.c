/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the os-release parser (and the ecosystem derived from it). */
#include <stdint.h>
#include <stdlib.h>

#include "bulkhead/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_os os = { 0 };
	struct bh_error *err = NULL;

	bh_inventory_parse_os_release((const char *)data, size, "etc/os-release", &os, &err);
	bh_error_free(err);
	bh_os_release(&os);
	return 0;
}
