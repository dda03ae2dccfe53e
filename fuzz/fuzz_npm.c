/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the npm package.json and lockfile parsers. */
#include <stdint.h>
#include <stdlib.h>

#include "bulkhead/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;

	bh_inventory_parse_npm_package_json((const char *)data, size, "node_modules/x/package.json",
					    &l, &err);
	bh_error_clear(&err);
	bh_inventory_parse_npm_lockfile((const char *)data, size, "package-lock.json", &l, &err);
	bh_error_free(err);
	bh_pkglist_release(&l);
	return 0;
}
