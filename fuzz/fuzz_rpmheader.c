/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the rpm header parser, and the database readers (SQLite, Berkeley DB, NDB) on the same
 * bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "bulkhead/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;

	bh_inventory_parse_rpm_header(data, size, "var/lib/rpm/Packages", &l, &err);
	bh_error_clear(&err);
	bh_inventory_parse_rpm_db(data, size, "var/lib/rpm/Packages", &l, &err);
	bh_error_free(err);
	bh_pkglist_release(&l);
	return 0;
}
