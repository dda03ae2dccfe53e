/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the DSSE envelope reader and the in-toto statement inside it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	struct bh_dsse e;
	struct bh_intoto st;

	if (bh_dsse_parse((const char *)data, size, &e, &err) == 0) {
		struct bh_buf pae = BH_BUF_INIT(BH_TRUST_ENVELOPE_MAX * 2);

		if (bh_dsse_pae(e.payload_type, e.payload, e.payload_len, &pae, NULL) < 0)
			abort();
		bh_buf_release(&pae);
		if (bh_intoto_parse(e.payload, e.payload_len, &st, &err) == 0) {
			struct bh_digest d;

			bh_sha256(data, size, &d);
			(void)bh_intoto_has_subject(&st, &d);
			bh_intoto_release(&st);
		}
		bh_dsse_release(&e);
	}
	bh_error_clear(&err);
	/* the statement parser on its own */
	if (bh_intoto_parse((const char *)data, size, &st, &err) == 0)
		bh_intoto_release(&st);
	bh_error_free(err);
	return 0;
}
