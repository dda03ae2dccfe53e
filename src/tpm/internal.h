/* SPDX-License-Identifier: Apache-2.0 */
/* src/tpm's internal interfaces. */
#ifndef BULKHEAD_TPM_INTERNAL_H
#define BULKHEAD_TPM_INTERNAL_H

#include <stdint.h>

#include <jansson.h>

/* An entry's sha256 digest (as checked by bh_tpm_log_parse): 0, or -1. */
int tpm_entry_digest(const json_t *e, uint8_t d[32]);
/* 1 when the entry's content hashes to its recorded digest, else 0. */
int tpm_entry_content_ok(const json_t *e);

/* Our attestation key's template (a restricted ECC P-256 ECDSA-SHA256
 * signing key, no policy): the host's AK (tpm.c) and a vTPM's (vtpm.c). */
struct TPM2B_PUBLIC;
void tpm_ak_template(struct TPM2B_PUBLIC *p);
/* Why pub is not of that template, or NULL when it is. */
const char *tpm_ak_mismatch(const struct TPM2B_PUBLIC *pub);

/* Tests only: called between each quote and the PCR read that follows it
 * (attempt 0, 1, ...), to extend there as a concurrent launch would. */
struct bh_tpm;
extern void (*tpm_quote_hook)(struct bh_tpm *t, unsigned attempt);

#endif
