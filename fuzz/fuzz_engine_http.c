/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz a local engine's HTTP/1.1 response: the head, then the body (chunked,
 * sized or until the close), read in small pieces. */
#include <stdint.h>
#include <stdlib.h>

#include "image/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct img_http *x = NULL;
	struct bh_error *err = NULL;
	char buf[7];
	uint64_t total = 0;

	if (img_http_from_memory(data, size, &x, &err) == 0) {
		for (;;) {
			ssize_t n = img_http_read(x, buf, sizeof(buf), &err);

			if (n <= 0)
				break;
			total += (uint64_t)n;
		}
		if (total != img_http_body_count(x) || total > size)
			abort(); /* a body is never longer than what came */
		img_http_close(x);
	}
	bh_error_free(err);
	return 0;
}
