/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the Go build info reader (ELF sections, segments, both formats),
 * read whole and as the walk reads it: streamed in reads whose size the
 * input decides.
 */
#include <stdint.h>
#include <stdlib.h>

#include "bulkhead/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_pkglist l = { 0 };
	struct bh_error *err = NULL;
	size_t chunk = size ? (size_t)data[size - 1] * 61 + 1 : 1;

	bh_inventory_parse_go_buildinfo(data, size, "usr/bin/x", &l, &err);
	bh_error_clear(&err);
	bh_pkglist_release(&l);
	bh_inventory_parse_go_stream(data, size, chunk, "usr/bin/x", &l, &err);
	bh_error_free(err);
	bh_pkglist_release(&l);
	return 0;
}
