/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the image-archive header index (docker-archive / OCI tar). */
#include <stdint.h>
#include <stdlib.h>

#include "image/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_tar_index *ix = NULL;
	struct bh_error *err = NULL;

	if (bh_tar_index_parse(data, size, 10000, 4096, &ix, &err) == 0) {
		for (size_t i = 0; i < ix->n; i++) {
			const struct bh_tar_member *m = bh_tar_index_find(ix, ix->members[i].name);

			if (m && (uint64_t)m->offset + m->size > size)
				abort(); /* a member's content must lie inside the input */
		}
		bh_tar_index_find(ix, "manifest.json");
		bh_tar_index_free(ix);
	}
	bh_error_free(err);
	return 0;
}
