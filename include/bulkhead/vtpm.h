/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-container vTPM (issue 18, NISTIR 8176's vTPM approach): an swtpm
 * the runtime starts for a container, whose endorsement key (EK) is
 * certified by a signing key of the host TPM.
 *
 * The certificates are X.509 v3, ECDSA with SHA-256, so openssl verifies
 * them: the host key (ECC P-256, unrestricted signing, persisted in the host
 * TPM at BH_VTPM_HOST_KEY_HANDLE) self-signs a CA certificate (host-ca.crt)
 * and signs each vTPM's EK certificate (ek.crt, extended key usage
 * tcg-kp-EKCertificate 2.23.133.8.1). At create the runtime also makes the
 * vTPM's attestation key (AK: tpm.c's template, a restricted ECC P-256
 * signing key, persisted in the vTPM at BH_TPM_AK_HANDLE) and the host key
 * certifies it (ak.crt, extended key usage tcg-kp-AIKCertificate
 * 2.23.133.8.3, subject CN BH_VTPM_AK_PREFIX + the container's name and
 * serialNumber the key id of the vTPM's EK): host CA -> AK certificate -> a
 * quote by the vTPM is a chain a verifier checks (`attest verify --ak-cert`).
 * Building and checking a certificate
 * needs no TPM and no tpm2-tss; signing one uses the host TPM through
 * src/tpm (tpm2-tss loaded lazily).
 */
#ifndef BULKHEAD_VTPM_H
#define BULKHEAD_VTPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bulkhead/base.h"

#define BH_VTPM_HOST_KEY_HANDLE 0x81010019u /* the host TPM's certifying key */
#define BH_VTPM_EK_HANDLE	0x81010001u /* the vTPM's EK, persisted (TCG's EK handle) */
#define BH_VTPM_EK_NV		0x01c0000au /* the ECC EK certificate's NV index (TCG) */
#define BH_VTPM_CERT_MAX	(16u << 10) /* a certificate file read, at most */
#define BH_VTPM_CA_NAME		"bulkhead vTPM host CA"
#define BH_VTPM_EK_PREFIX	"bulkhead vTPM EK "
#define BH_VTPM_NAME_MAX	80 /* a container id named in an EK certificate, at most */
#define BH_VTPM_AK_PREFIX	"bulkhead vTPM AK "

struct bh_key;

/* ---- certificates, no TPM needed -------------------------------------------- */

/* The to-be-signed part of a certificate: issuer and subject common names,
 * the subject's SubjectPublicKeyInfo DER, a CA (keyCertSign) or an EK
 * (keyEncipherment, tcg-kp-EKCertificate). Appended to tbs. */
int bh_vtpm_cert_tbs(const char *issuer, const char *subject, const uint8_t *spki, size_t spkilen,
		     bool ca, struct bh_buf *tbs, struct bh_error **err);
/* An AK certificate's TBS: extended key usage tcg-kp-AIKCertificate, key usage
 * digitalSignature, subject CN subject and serialNumber ek_id (the key id,
 * "sha256:...", of the EK of the TPM holding the AK). */
int bh_vtpm_cert_tbs_ak(const char *issuer, const char *subject, const char *ek_id,
			const uint8_t *spki, size_t spkilen, struct bh_buf *tbs,
			struct bh_error **err);
/* The certificate from its TBS and a DER ECDSA-Sig-Value, as PEM appended to pem. */
int bh_vtpm_cert_pem(const struct bh_buf *tbs, const void *sig, size_t siglen, struct bh_buf *pem,
		     struct bh_error **err);

struct bh_vtpm_cert {
	struct bh_buf tbs;		/* the signed bytes */
	struct bh_buf sig;		/* DER ECDSA-Sig-Value */
	struct bh_buf spki;		/* the subject's SubjectPublicKeyInfo DER */
	char issuer[128], subject[128]; /* the common names (printable ASCII kept) */
	char serial[128];		/* the subject's serialNumber, "" when none */
	bool ek;			/* extended key usage tcg-kp-EKCertificate */
	bool ak;			/* extended key usage tcg-kp-AIKCertificate */
};
/* Parse a certificate (PEM "CERTIFICATE" or DER) signed with ECDSA SHA-256.
 * Untrusted bytes: bounded, every length checked (fuzz/fuzz_vtpm_cert.c). */
int bh_vtpm_cert_parse(const void *p, size_t n, struct bh_vtpm_cert *out, struct bh_error **err);
void bh_vtpm_cert_release(struct bh_vtpm_cert *c);

/*
 * Verify an EK certificate against the host key (PEM public key): -1 for
 * unreadable or malformed input; else 0 with *report {"verified": bool,
 * "reason", "subject", "issuer", "ek": key id}. Verified when the signature is
 * the host key's, the certificate is an EK certificate and, when ek_pub
 * (optional, a PEM public key, e.g. tpm2_readpublic -f pem in the container)
 * is given, its key is the certified one.
 */
int bh_vtpm_verify(const char *cert, const char *host_key, const char *ek_pub, json_t **report,
		   struct bh_error **err);

/*
 * Check an AK certificate (PEM or DER) against the host key: -1 for
 * unreadable or malformed input; else 0 with *ak its certified key and
 * *report {"verified": bool, "reason", "subject", "issuer", "ak": key id,
 * "ek": the EK's key id it names}. Verified when the host key signed it, it
 * is an AK certificate naming an EK and, when ek_cert (optional) is given,
 * that EK certificate is the host key's too and certifies the EK named.
 */
int bh_vtpm_ak_check(const char *ak_cert, const char *host_key, const char *ek_cert,
		     struct bh_key **ak, json_t **report, struct bh_error **err);

/* ---- the TPM side (tpm2-tss, lazily) ------------------------------------------ */

/* The host key (made and persisted at BH_VTPM_HOST_KEY_HANDLE on first use)
 * of the TPM behind tcti: DIR/host-key.pem and DIR/host-ca.crt (self-signed). */
int bh_vtpm_host_ca(const char *tcti, const char *dir, struct bh_error **err);
/*
 * Certify a vTPM: its EK (the TCG default ECC P-256 template, so tpm2_createek
 * -G ecc makes the same key) made in the TPM behind vtpm_tcti and persisted
 * at BH_VTPM_EK_HANDLE; an X.509 certificate for it, subject
 * BH_VTPM_EK_PREFIX + name, signed by the host key of the TPM behind
 * host_tcti; then the vTPM's AK (owner hierarchy primary of tpm.c's AK
 * template, persisted at BH_TPM_AK_HANDLE) and its certificate, subject
 * BH_VTPM_AK_PREFIX + name, serialNumber the EK's key id. Writes DIR/ek.pem,
 * DIR/ek.crt, DIR/ak.pem, DIR/ak.crt, DIR/host-key.pem, DIR/host-ca.crt; the
 * EK certificate (DER) also in the vTPM's NV index BH_VTPM_EK_NV (owner
 * read/write, replaced when there), where tpm2_nvread / tpm2_getekcertificate
 * look for it.
 */
int bh_vtpm_certify(const char *host_tcti, const char *vtpm_tcti, const char *name, const char *dir,
		    struct bh_error **err);

#endif
