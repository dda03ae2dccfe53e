/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the vTPM's X.509 certificate parser (`attest vtpm-verify`), PEM and DER. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/vtpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	struct bh_vtpm_cert c;

	if (bh_vtpm_cert_parse(data, size, &c, &err) == 0) {
		if (!c.tbs.len || c.tbs.len > size || !c.sig.len || c.sig.len > size ||
		    !c.spki.len || c.spki.len > c.tbs.len || memchr(c.subject, 0, 128) == NULL ||
		    memchr(c.issuer, 0, 128) == NULL)
			abort();
		bh_vtpm_cert_release(&c);
	}
	bh_error_free(err);
	return 0;
}
