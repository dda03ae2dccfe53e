/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the simple-signing payload parser, and rebuild what it accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_simplesign ss;
	struct bh_error *err = NULL;

	if (bh_simplesign_parse((const char *)data, size, &ss, &err) == 0) {
		struct bh_buf b = BH_BUF_INIT(BH_TRUST_PAYLOAD_MAX * 2);
		struct bh_simplesign again;

		/* what we accept, we can write, and read back the same */
		if (bh_simplesign_build(ss.docker_reference, &ss.digest, ss.optional, &b, NULL) ==
			    0 &&
		    bh_simplesign_parse(b.data, b.len, &again, NULL) == 0) {
			if (strcmp(again.digest.str, ss.digest.str) ||
			    strcmp(again.docker_reference, ss.docker_reference))
				abort();
			bh_simplesign_release(&again);
		}
		bh_buf_release(&b);
		bh_simplesign_release(&ss);
	}
	bh_error_free(err);
	return 0;
}
