/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Measured launch with a TPM (issue 18): PCR extend and read, an attestation
 * key persisted in the TPM, quotes in tpm2-tools' file formats, and their
 * verification in software against a JSON-lines event log.
 *
 * The TPM side (bh_tpm_open ... bh_tpm_quote) uses tpm2-tss (libtss2-esys,
 * -tctildr, -mu, -rc), loaded on first use. The verify side needs no TPM and
 * no tpm2-tss: it parses TPMS_ATTEST, TPMT_SIGNATURE, TPM2B_PUBLIC and the
 * log itself (each parser has a fuzz target) and checks with OpenSSL.
 * The library never touches the environment: tpm2-tss logs its own errors to
 * stderr unless TSS2_LOG says otherwise (the CLI sets "all+none" at start,
 * before any thread; ours carry the decoded rc and the TCTI).
 */
#ifndef BULKHEAD_TPM_H
#define BULKHEAD_TPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bulkhead/base.h"

#define BH_TPM_PCRS	    24
#define BH_TPM_DEFAULT_PCR  16
#define BH_TPM_IMA_PCR	    10 /* never extended by us: IMA's */
#define BH_TPM_DEFAULT_TCTI "device:/dev/tpmrm0"
#define BH_TPM_AK_HANDLE    0x81010018u /* where the attestation key is persisted */
#define BH_TPM_NONCE_MAX    64		/* TPM2B_DATA's buffer */
#define BH_TPM_LOG_MAX	    (64u << 20) /* an event log read whole, at most */
#define BH_TPM_LOG_LINE_MAX (64u << 10)
#define BH_TPM_FILE_MAX	    (64u << 10) /* quote.msg, quote.sig, pcrs.out, ak.pub */

/* The TCTI to use: `given`, else $BULKHEAD_TPM_TCTI, else the device's. */
const char *bh_tpm_tcti(const char *given);
/* 0 when pcr is 0..23 (and, for an extend, not IMA's PCR 10), else an error. */
int bh_tpm_pcr_check(long pcr, bool extend, struct bh_error **err);
/* "16,23" -> a mask of PCRs (each checked as for a read). */
int bh_tpm_pcr_list(const char *s, uint32_t *mask, struct bh_error **err);

struct bh_tpm;
/* Open the TPM behind a TCTI string ("device:/dev/tpmrm0",
 * "swtpm:host=127.0.0.1,port=2321"); errors name the TCTI and the decoded rc. */
int bh_tpm_open(const char *tcti, struct bh_tpm **out, struct bh_error **err);
void bh_tpm_close(struct bh_tpm *t);
/* Extend sha256 bank PCR pcr with digest. */
int bh_tpm_extend(struct bh_tpm *t, int pcr, const uint8_t digest[32], struct bh_error **err);
/* Read the sha256 bank's PCRs in mask into vals[pcr]. */
int bh_tpm_pcr_read(struct bh_tpm *t, uint32_t mask, uint8_t vals[BH_TPM_PCRS][32],
		    struct bh_error **err);
/*
 * The attestation key: an ECC P-256 restricted signing key (ECDSA SHA-256)
 * persisted at BH_TPM_AK_HANDLE, made on first use and reused after. A key
 * found there that is not of that template is refused (BH_ERR_INVALID),
 * unless BH_TPM_AK_RECREATE is given to bh_tpm_quote_ex: then it is evicted
 * and ours made in its place. Writes DIR/ak.pem (PEM SubjectPublicKeyInfo)
 * and DIR/ak.pub (TPM2B_PUBLIC).
 */
int bh_tpm_ak(struct bh_tpm *t, const char *dir, struct bh_error **err);
/*
 * Quote the sha256 PCRs in mask with the AK, over nonce: writes DIR/quote.msg
 * (TPMS_ATTEST), DIR/quote.sig (TPMT_SIGNATURE), DIR/pcrs.out (tpm2-tools'
 * serialized PCR values), DIR/ak.pem and DIR/ak.pub, each atomically. The
 * PCRs are read after the quote and checked against its PCR digest: when an
 * extend came in between, the quote is made again (BH_TPM_QUOTE_TRIES at
 * most), so pcrs.out always holds the values quoted.
 */
int bh_tpm_quote(struct bh_tpm *t, const uint8_t *nonce, size_t nlen, uint32_t mask,
		 const char *dir, struct bh_error **err);
#define BH_TPM_AK_RECREATE 1u /* a foreign key at BH_TPM_AK_HANDLE is replaced */
#define BH_TPM_QUOTE_TRIES 8
/* bh_tpm_quote with flags (BH_TPM_AK_RECREATE). */
int bh_tpm_quote_ex(struct bh_tpm *t, const uint8_t *nonce, size_t nlen, uint32_t mask,
		    unsigned flags, const char *dir, struct bh_error **err);
/* The same, the TPM opened by TCTI string for it and closed after. */
int bh_tpm_attest_quote(const char *tcti, const uint8_t *nonce, size_t nlen, uint32_t mask,
			const char *dir, struct bh_error **err);
int bh_tpm_attest_quote_ex(const char *tcti, const uint8_t *nonce, size_t nlen, uint32_t mask,
			   unsigned flags, const char *dir, struct bh_error **err);

/* ---- parsing, no TPM needed ---- */
struct bh_tpm_attest {
	uint8_t nonce[BH_TPM_NONCE_MAX];
	size_t nonce_len;
	uint64_t clock, firmware;
	uint32_t reset_count, restart_count;
	uint32_t pcr_mask; /* the sha256 PCRs quoted */
	uint8_t pcr_digest[64];
	size_t pcr_digest_len;
};
/* A TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE (magic checked) that quotes only
 * the sha256 bank. */
int bh_tpm_attest_parse(const void *p, size_t n, struct bh_tpm_attest *out, struct bh_error **err);
/* A TPMT_SIGNATURE (ECDSA, SHA-256) as a DER ECDSA-Sig-Value appended to der. */
int bh_tpm_sig_parse(const void *p, size_t n, struct bh_buf *der, struct bh_error **err);
/* An ECC P-256 TPM2B_PUBLIC's key as PEM SubjectPublicKeyInfo appended to pem. */
int bh_tpm_public_pem(const void *p, size_t n, struct bh_buf *pem, struct bh_error **err);
/* tpm2-tools' serialized PCR file (tpm2_quote -o): the sha256 PCRs it holds. */
int bh_tpm_pcrs_parse(const void *p, size_t n, uint32_t *mask, uint8_t vals[BH_TPM_PCRS][32],
		      struct bh_error **err);

/* ---- the event log (JSON lines, TCG canonical event log style) ---- */
/* One entry's content, measured as the sha256 of its canonical JSON. */
struct bh_tpm_launch {
	const char *container;
	const char *bundle;
	const char *image;	     /* the image's name when known, else NULL */
	const char *manifest_digest; /* "sha256:..." when known, else NULL */
	const char *config_digest;   /* the image config's, when known, else NULL */
	const json_t *config;	     /* the bundle's config.json (normalised here) */
};
/*
 * Measure a launch: the digest of the entry's content extended into pcr of
 * the TPM behind tcti, then the entry appended to log (created 0600) and
 * fsync'ed, under an exclusive lock so entries are in extend order. A TPM
 * error leaves the log unchanged. *entry (optional) gets the entry.
 */
int bh_tpm_measure_launch(const char *tcti, int pcr, const char *log, const struct bh_tpm_launch *l,
			  json_t **entry, struct bh_error **err);
/* Parse a log: an array of its entries, each checked (pcr, digests, content
 * whose digest is the recorded one). */
int bh_tpm_log_parse(const char *buf, size_t n, json_t **entries, struct bh_error **err);

struct bh_tpm_verify_in {
	const char *log, *quote, *sig, *ak; /* paths; ak is PEM or TPM2B_PUBLIC */
	/* instead of ak: a vTPM's AK certificate checked against the host key
	 * (bh_vtpm_ak_check; ek_cert optional), its key the AK */
	const char *ak_cert, *host_key, *ek_cert;
	const char *pcrs; /* optional: values of quoted PCRs not in the log */
	const uint8_t *nonce;
	size_t nonce_len;
	uint32_t required; /* PCRs the quote must cover (the measured ones);
			    * 0 = the default measurement PCR */
};
/*
 * Verify a quote against a log. -1 for unreadable or malformed input; else 0,
 * with *report {"verified": bool, "reason": ..., "pcrs": {...}, "launched":
 * [entries]}: verified when the signature is the AK's, the nonce is the
 * given one, the quote covers every required PCR (else an empty log would
 * hide the launches), and the log replays to the quoted PCR digest; with
 * ak_cert, also when that certificate verifies (the report's "ak_cert").
 */
int bh_tpm_verify(const struct bh_tpm_verify_in *in, json_t **report, struct bh_error **err);

#endif
