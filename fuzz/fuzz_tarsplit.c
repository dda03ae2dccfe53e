/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz podman's store records: a tar-split record (JSON lines) replayed with
 * no layer directory (every file read fails cleanly), and storage.conf. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_stream *s = NULL;
	struct bh_error *err = NULL;
	char *copy = malloc(size + 1), *root = NULL, *driver = NULL, buf[512];

	memcpy(copy, data, size);
	if (img_tarsplit_stream(img_stream_bytes(copy, size), -1, 4096, &s, &err) == 0) {
		while (bh_stream_read(s, buf, sizeof(buf), &err) > 0)
			;
		bh_stream_close(s);
	}
	bh_error_clear(&err);
	img_storage_conf_parse((const char *)data, size, &root, &driver, &err);
	free(root);
	free(driver);
	bh_error_free(err);
	return 0;
}
