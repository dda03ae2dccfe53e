/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the dpkg status parser. */
#include <stdint.h>
#include <stdlib.h>

#include "bulkhead/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;

	bh_inventory_parse_dpkg_status((const char *)data, size, "var/lib/dpkg/status", &l, &err);
	bh_error_free(err);
	bh_pkglist_release(&l);
	return 0;
}
