/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the TPM structure parsers of `attest verify`: TPMS_ATTEST,
 * TPMT_SIGNATURE, TPM2B_PUBLIC and tpm2-tools' serialized PCR file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/tpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	struct bh_tpm_attest a;
	struct bh_buf b = BH_BUF_INIT(4096);
	uint8_t vals[BH_TPM_PCRS][32];
	uint32_t mask;

	if (bh_tpm_attest_parse(data, size, &a, &err) == 0 &&
	    (a.nonce_len > BH_TPM_NONCE_MAX || a.pcr_digest_len != 32 || a.pcr_mask >> 24))
		abort();
	bh_error_clear(&err);
	if (bh_tpm_sig_parse(data, size, &b, &err) == 0 &&
	    (b.len < 8 || (uint8_t)b.data[0] != 0x30))
		abort();
	bh_error_clear(&err);
	bh_buf_reset(&b);
	if (bh_tpm_public_pem(data, size, &b, &err) == 0 &&
	    strncmp(b.data, "-----BEGIN PUBLIC KEY-----\n", 27))
		abort();
	bh_error_clear(&err);
	if (bh_tpm_pcrs_parse(data, size, &mask, vals, &err) == 0 && mask >> 24)
		abort();
	bh_error_free(err);
	bh_buf_release(&b);
	return 0;
}
