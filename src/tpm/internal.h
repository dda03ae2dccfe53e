/* SPDX-License-Identifier: Apache-2.0 */
/* src/tpm's internal interfaces. */
#ifndef BULKHEAD_TPM_INTERNAL_H
#define BULKHEAD_TPM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "bulkhead/tpm.h"
#include "lazy/tss2.h"

/* An entry's sha256 digest (as checked by bh_tpm_log_parse): 0, or -1. */
int tpm_entry_digest(const json_t *e, uint8_t d[32]);
/* 1 when the entry's content hashes to its recorded digest, else 0. */
int tpm_entry_content_ok(const json_t *e);

/* Our attestation key's template (a restricted ECC P-256 ECDSA-SHA256
 * signing key, no policy): the host's AK (tpm.c) and a vTPM's (vtpm.c). */
void tpm_ak_template(TPM2B_PUBLIC *p);
/* Why got (an ECC key) is not of the ECC template tmpl, or NULL when it is. */
const char *tpm_template_mismatch(const TPM2B_PUBLIC *got, const TPM2B_PUBLIC *tmpl);

/* Why tpm_primary failed: the call and its code, or (call NULL) why the key
 * found at the handle is not the template's. */
struct tpm_fail {
	const char *call;
	TSS2_RC rc;
	const char *why;
};
/*
 * The key persisted at handle: the one found there, which must be of tmpl,
 * or (none there) tmpl's primary under hierarchy, made and persisted. *out
 * its handle (also when the key found is refused: for evicting it), *pub its
 * public area (Esys_Free'd by the caller). 0, or -1 with *f saying why.
 * Transients are flushed.
 */
int tpm_primary(ESYS_CONTEXT *esys, ESYS_TR hierarchy, TPM2_HANDLE handle, const TPM2B_PUBLIC *tmpl,
		ESYS_TR *out, TPM2B_PUBLIC **pub, struct tpm_fail *f);

/* PCR pcr extended with the sha256 digest through the TCTI named, opened
 * and closed here, without the ESAPI (extend.c: the create path's). */
int tpm_extend_tcti(const char *tcti, int pcr, const uint8_t digest[32], struct bh_error **err);

/* The ESAPI context of an opened TPM (tests: tpm_primary on it). */
struct bh_tpm;
ESYS_CONTEXT *tpm_esys(struct bh_tpm *t);

/* Tests only: called between each quote and the PCR read that follows it
 * (attempt 0, 1, ...), to extend there as a concurrent launch would. */
struct bh_tpm;
extern void (*tpm_quote_hook)(struct bh_tpm *t, unsigned attempt);

#endif
