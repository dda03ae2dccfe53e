/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The create path's PCR extend, straight on the TCTI: TPM2_PCR_Extend
 * marshalled here (65 bytes, the empty password session) and sent with the
 * TCTI's transmit and receive. No ESAPI: a measured create loads
 * libtss2-tctildr and the TCTI it names, not libtss2-esys and what it pulls
 * in (libtss2-sys, libcrypto), nor initializes an ESYS context; libtss2-rc is
 * loaded only to decode an error. Quotes and keys keep the ESAPI (tpm.c).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

#define EXTEND_TIMEOUT_MS 15000
#define EXTEND_CMD_LEN	  65
#define EXTEND_RETRIES	  4

static void put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static void put16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, 2);
}

static int rc_fail(const char *tcti, TSS2_RC rc, const char *what, struct bh_error **err)
{
	struct bh_error *ignored = NULL;
	const char *why = "?";

	/* libtss2-rc only now: a failing TPM's error is decoded as before */
	if (bh_lazy_require(&bh_lazy_rc, &ignored) == 0)
		why = Tss2_RC_Decode(rc);
	bh_error_clear(&ignored);
	return bh_error_set(err, BH_ERR_IO, "TPM (%s): %s: 0x%x (%s)", tcti, what, (unsigned)rc,
			    why);
}

int tpm_extend_tcti(const char *tcti, int pcr, const uint8_t digest[32], struct bh_error **err)
{
	uint8_t cmd[EXTEND_CMD_LEN], resp[64];
	TSS2_TCTI_CONTEXT *t = NULL;
	size_t n = sizeof(resp);
	uint32_t size, code;
	TSS2_RC rc;
	int r = -1;

	if (bh_tpm_pcr_check(pcr, true, err) < 0)
		return -1;
	if (bh_lazy_require(&bh_lazy_tctildr, err) < 0)
		return bh_error_prefix(err, "the TPM library");
	rc = Tss2_TctiLdr_Initialize(tcti, &t);
	if (rc != TSS2_RC_SUCCESS)
		return rc_fail(tcti, rc, "cannot open the TCTI", err);
	put16(cmd, TPM2_ST_SESSIONS);
	put32(cmd + 2, EXTEND_CMD_LEN);
	put32(cmd + 6, TPM2_CC_PCR_Extend);
	put32(cmd + 10, (uint32_t)pcr); /* PCR handles are 0..23 */
	put32(cmd + 14, 9);		/* the authorization area: */
	put32(cmd + 18, TPM2_RS_PW);	/* the password session, */
	put16(cmd + 22, 0);		/* no nonce, */
	cmd[24] = 0;			/* no attributes, */
	put16(cmd + 25, 0);		/* the empty password */
	put32(cmd + 27, 1);		/* TPML_DIGEST_VALUES: one, */
	put16(cmd + 31, TPM2_ALG_SHA256);
	memcpy(cmd + 33, digest, 32);
	/* as ESAPI does: a TPM that asks to be asked again is, a few times */
	for (int tries = 0;; tries++) {
		n = sizeof(resp);
		rc = Tss2_Tcti_Transmit(t, sizeof(cmd), cmd);
		if (rc == TSS2_RC_SUCCESS)
			rc = Tss2_Tcti_Receive(t, &n, resp, EXTEND_TIMEOUT_MS);
		if (rc != TSS2_RC_SUCCESS) {
			rc_fail(tcti, rc, "PCR_Extend failed", err);
			goto out;
		}
		if (n < 10 || tries == EXTEND_RETRIES)
			break;
		memcpy(&code, resp + 6, 4);
		code = ntohl(code);
		if (code != TPM2_RC_RETRY && code != TPM2_RC_YIELDED && code != TPM2_RC_TESTING)
			break;
	}
	if (n < 10) {
		bh_error_set(err, BH_ERR_IO, "TPM (%s): PCR_Extend failed: a %zu-byte answer", tcti,
			     n);
		goto out;
	}
	memcpy(&size, resp + 2, 4);
	memcpy(&code, resp + 6, 4);
	size = ntohl(size);
	code = ntohl(code);
	if (size != n) {
		bh_error_set(err, BH_ERR_IO,
			     "TPM (%s): PCR_Extend failed: an answer of %zu bytes that says %u",
			     tcti, n, (unsigned)size);
		goto out;
	}
	if (code != TPM2_RC_SUCCESS) {
		rc_fail(tcti, code, "PCR_Extend failed", err);
		goto out;
	}
	r = 0;
out:
	Tss2_TctiLdr_Finalize(&t);
	return r;
}
