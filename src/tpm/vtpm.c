/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vTPM's TPM side: its endorsement key made (the TCG EK Credential
 * Profile's default ECC P-256 template, so tpm2_createek -G ecc in the
 * container makes the same key) and persisted at BH_VTPM_EK_HANDLE, and the
 * host TPM's certifying key (ECC P-256, unrestricted, ECDSA SHA-256: it signs
 * certificate digests, which a restricted key refuses) persisted at
 * BH_VTPM_HOST_KEY_HANDLE, signing the EK's X.509 certificate and its own CA
 * certificate, and the vTPM's attestation key (tpm.c's template) persisted at
 * BH_TPM_AK_HANDLE, whose certificate names the EK. No resource manager in front of swtpm:
 * transients are flushed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/tpm.h"
#include "bulkhead/trust.h"
#include "bulkhead/vtpm.h"
#include "internal.h"
#include "lazy/crypto.h"
#include "lazy/tss2.h"
#include "banned.h"

#define VTPM_TIMEOUT_MS 15000

struct vt {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	const char *name;
};

static int vt_fail(const struct vt *t, TSS2_RC rc, const char *what, struct bh_error **err)
{
	return bh_error_set(err, BH_ERR_IO, "TPM (%s): %s failed: 0x%x (%s)", t->name, what,
			    (unsigned)rc, Tss2_RC_Decode(rc));
}

static void vt_close(struct vt *t)
{
	if (t->esys)
		Esys_Finalize(&t->esys);
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
}

static int vt_open(const char *tcti, struct vt *t, struct bh_error **err)
{
	TSS2_RC rc;

	memset(t, 0, sizeof(*t));
	t->name = tcti;
	if (bh_lazy_require(&bh_lazy_rc, err) < 0 || bh_lazy_require(&bh_lazy_mu, err) < 0 ||
	    bh_lazy_require(&bh_lazy_tctildr, err) < 0 || bh_lazy_require(&bh_lazy_esys, err) < 0)
		return bh_error_prefix(err, "the TPM library");
	rc = Tss2_TctiLdr_Initialize(tcti, &t->tcti);
	if (rc != TSS2_RC_SUCCESS)
		return bh_error_set(err, BH_ERR_IO, "TPM (%s): cannot open the TCTI: 0x%x (%s)",
				    tcti, (unsigned)rc, Tss2_RC_Decode(rc));
	rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		vt_fail(t, rc, "Esys_Initialize", err);
		vt_close(t);
		return -1;
	}
	Esys_SetTimeout(t->esys, VTPM_TIMEOUT_MS);
	return 0;
}

static void ek_template(TPM2B_PUBLIC *p)
{
	static const uint8_t policy[32] = { 0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8,
					    0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
					    0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64,
					    0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa };
	TPMT_PUBLIC *a = &p->publicArea;

	memset(p, 0, sizeof(*p));
	a->type = TPM2_ALG_ECC;
	a->nameAlg = TPM2_ALG_SHA256;
	a->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	a->authPolicy.size = 32;
	memcpy(a->authPolicy.buffer, policy, 32);
	a->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
	a->parameters.eccDetail.symmetric.keyBits.aes = 128;
	a->parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	a->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	a->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	a->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	a->unique.ecc.x.size = 32;
	a->unique.ecc.y.size = 32;
}

static void host_template(TPM2B_PUBLIC *p)
{
	TPMT_PUBLIC *a = &p->publicArea;

	memset(p, 0, sizeof(*p));
	a->type = TPM2_ALG_ECC;
	a->nameAlg = TPM2_ALG_SHA256;
	a->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
			      TPMA_OBJECT_SIGN_ENCRYPT;
	a->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	a->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	a->parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	a->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	a->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
}

/*
 * The persisted key at handle, made from tmpl under hierarchy when there is
 * none; *pub its public area (Esys_Free'd by the caller). A key found there
 * must be tmpl's (a kept vTPM's container may have put another there): this
 * is its one check, before anything is certified.
 */
static int persisted(struct vt *t, ESYS_TR hierarchy, TPM2_HANDLE handle, const TPM2B_PUBLIC *tmpl,
		     const char *what, ESYS_TR *out, TPM2B_PUBLIC **pub, struct bh_error **err)
{
	struct tpm_fail f;

	if (tpm_primary(t->esys, hierarchy, handle, tmpl, out, pub, &f) == 0)
		return 0;
	if (!f.call)
		return bh_error_set(
			err, BH_ERR_INVALID,
			"TPM (%s): %s is not the key bulkhead makes there: %s (refused; "
			"evict it with tpm2_evictcontrol if it is not needed)",
			t->name, what, f.why);
	vt_fail(t, f.rc, f.call, err);
	return bh_error_prefix(err, "%s", what);
}

static int coord(struct bh_buf *b, const TPM2B_ECC_PARAMETER *c, struct bh_error **err)
{
	static const uint8_t zeros[32];

	if (c->size > 32)
		return bh_error_set(err, BH_ERR_INVALID, "an ECC coordinate of %u bytes", c->size);
	if (bh_buf_add(b, zeros, 32u - c->size, err) < 0 ||
	    bh_buf_add(b, c->buffer, c->size, err) < 0)
		return -1;
	return 0;
}

/* The SubjectPublicKeyInfo DER of pub, a P-256 key (persisted() checked it). */
static int key_spki(const TPM2B_PUBLIC *pub, struct bh_buf *spki, struct bh_error **err)
{
	static const uint8_t prefix[] = { 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
					  0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
					  0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04 };

	if (bh_buf_add(spki, prefix, sizeof(prefix), err) < 0 ||
	    coord(spki, &pub->publicArea.unique.ecc.x, err) < 0 ||
	    coord(spki, &pub->publicArea.unique.ecc.y, err) < 0)
		return -1;
	return 0;
}

static int spki_pem(const struct bh_buf *spki, struct bh_buf *pem, struct bh_error **err)
{
	struct bh_buf b64 = BH_BUF_INIT(4096);
	int r = -1;

	if (bh_base64_encode(spki->data, spki->len, &b64, err) < 0 ||
	    bh_buf_adds(pem, "-----BEGIN PUBLIC KEY-----\n", err) < 0)
		goto out;
	for (size_t i = 0; i < b64.len; i += 64)
		if (bh_buf_add(pem, b64.data + i, b64.len - i < 64 ? b64.len - i : 64, err) < 0 ||
		    bh_buf_addc(pem, '\n', err) < 0)
			goto out;
	r = bh_buf_adds(pem, "-----END PUBLIC KEY-----\n", err);
out:
	bh_buf_release(&b64);
	return r;
}

/* A certificate for spki, signed by the host key at host: a CA's, an EK's, or
 * with ek_id an AK's naming that EK. */
static int sign_cert(struct vt *t, ESYS_TR host, const char *subject, const char *ek_id,
		     const struct bh_buf *spki, bool ca, struct bh_buf *pem, struct bh_error **err)
{
	struct bh_buf tbs = BH_BUF_INIT(BH_VTPM_CERT_MAX), der = BH_BUF_INIT(256);
	TPM2B_DIGEST dg = { .size = 32 };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_ECDSA };
	TPMT_TK_HASHCHECK ticket = { .tag = TPM2_ST_HASHCHECK, .hierarchy = TPM2_RH_NULL };
	TPMT_SIGNATURE *sig = NULL;
	uint8_t sraw[sizeof(TPMT_SIGNATURE)];
	size_t soff = 0;
	TSS2_RC rc;
	int r = -1;

	scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	if (ek_id ? bh_vtpm_cert_tbs_ak(BH_VTPM_CA_NAME, subject, ek_id,
					(const uint8_t *)spki->data, spki->len, &tbs, err) < 0
		  : bh_vtpm_cert_tbs(BH_VTPM_CA_NAME, subject, (const uint8_t *)spki->data,
				     spki->len, ca, &tbs, err) < 0)
		goto out;
	if (bh_lazy_require(&bh_lazy_crypto, err) < 0 ||
	    !EVP_Digest(tbs.data, tbs.len, dg.buffer, NULL, EVP_sha256(), NULL)) {
		bh_error_set(err, BH_ERR_INTERNAL, "SHA-256 of the certificate");
		goto out;
	}
	rc = Esys_Sign(t->esys, host, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &dg, &scheme,
		       &ticket, &sig);
	if (rc != TSS2_RC_SUCCESS) {
		vt_fail(t, rc, "Sign (the host key, a certificate)", err);
		goto out;
	}
	rc = Tss2_MU_TPMT_SIGNATURE_Marshal(sig, sraw, sizeof(sraw), &soff);
	if (rc != TSS2_RC_SUCCESS) {
		vt_fail(t, rc, "marshalling the signature", err);
		goto out;
	}
	if (bh_tpm_sig_parse(sraw, soff, &der, err) < 0 ||
	    bh_vtpm_cert_pem(&tbs, der.data, der.len, pem, err) < 0)
		goto out;
	r = 0;
out:
	Esys_Free(sig);
	bh_buf_release(&tbs);
	bh_buf_release(&der);
	return r;
}

static int write_in(const char *dir, const char *name, const struct bh_buf *b,
		    struct bh_error **err)
{
	char *path = bh_asprintf("%s/%s", dir, name);
	int r = bh_write_file_atomic(path, b->data, b->len, 0644, err);

	free(path);
	return r;
}

/* The host key's PEM and CA certificate; *host its handle (host left open). */
static int host_side(struct vt *t, const char *dir, ESYS_TR *host, struct bh_error **err)
{
	struct bh_buf spki = BH_BUF_INIT(256), pem = BH_BUF_INIT(4096), crt = BH_BUF_INIT(8192);
	TPM2B_PUBLIC tmpl, *pub = NULL;
	int r = -1;

	host_template(&tmpl);
	if (persisted(t, ESYS_TR_RH_OWNER, BH_VTPM_HOST_KEY_HANDLE, &tmpl,
		      "the host key at 0x81010019", host, &pub, err) < 0 ||
	    key_spki(pub, &spki, err) < 0 || spki_pem(&spki, &pem, err) < 0 ||
	    sign_cert(t, *host, BH_VTPM_CA_NAME, NULL, &spki, true, &crt, err) < 0 ||
	    write_in(dir, "host-key.pem", &pem, err) < 0 ||
	    write_in(dir, "host-ca.crt", &crt, err) < 0)
		goto out;
	r = 0;
out:
	Esys_Free(pub);
	bh_buf_release(&spki);
	bh_buf_release(&pem);
	bh_buf_release(&crt);
	return r;
}

int bh_vtpm_host_ca(const char *tcti, const char *dir, struct bh_error **err)
{
	struct vt t;
	ESYS_TR host;
	int r;

	if (vt_open(tcti, &t, err) < 0)
		return bh_error_prefix(err, "the host TPM");
	r = host_side(&t, dir, &host, err);
	vt_close(&t);
	return r;
}

/* The EK certificate (PEM) as DER in the vTPM's NV at BH_VTPM_EK_NV (an index
 * there, a kept vTPM's, is replaced). */
static int ek_cert_nv(struct vt *v, const struct bh_buf *pem, struct bh_error **err)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----",
			  end[] = "-----END CERTIFICATE-----";
	struct bh_buf b64 = BH_BUF_INIT(2 * BH_VTPM_CERT_MAX), der = BH_BUF_INIT(BH_VTPM_CERT_MAX);
	TPM2B_AUTH auth = { 0 };
	TPM2B_NV_PUBLIC info = { 0 };
	ESYS_TR nv = ESYS_TR_NONE;
	TSS2_RC rc;
	int r = -1;

	for (size_t i = sizeof(begin) - 1; i + sizeof(end) - 1 <= pem->len; i++) {
		if (!memcmp(pem->data + i, end, sizeof(end) - 1))
			break;
		if (pem->data[i] != '\n' && bh_buf_addc(&b64, pem->data[i], err) < 0)
			goto out;
	}
	if (bh_base64_decode(b64.data ? b64.data : "", b64.len, "the EK certificate", &der, err) <
	    0)
		goto out;
	if (der.len > 2048) {
		bh_error_set(err, BH_ERR_LIMIT, "the EK certificate: %zu bytes", der.len);
		goto out;
	}
	rc = Esys_TR_FromTPMPublic(v->esys, BH_VTPM_EK_NV, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   &nv);
	if (rc == TSS2_RC_SUCCESS) {
		rc = Esys_NV_UndefineSpace(v->esys, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD,
					   ESYS_TR_NONE, ESYS_TR_NONE);
		if (rc != TSS2_RC_SUCCESS) {
			vt_fail(v, rc, "NV_UndefineSpace (the EK certificate's old index)", err);
			goto out;
		}
	}
	info.nvPublic.nvIndex = BH_VTPM_EK_NV;
	info.nvPublic.nameAlg = TPM2_ALG_SHA256;
	info.nvPublic.attributes = TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD | TPMA_NV_AUTHREAD |
				   TPMA_NV_AUTHWRITE | TPMA_NV_NO_DA;
	info.nvPublic.dataSize = (UINT16)der.len;
	rc = Esys_NV_DefineSpace(v->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				 ESYS_TR_NONE, &auth, &info, &nv);
	if (rc != TSS2_RC_SUCCESS) {
		vt_fail(v, rc, "NV_DefineSpace (the EK certificate at 0x01c0000a)", err);
		goto out;
	}
	for (size_t off = 0; off < der.len; off += 512) {
		TPM2B_MAX_NV_BUFFER chunk = { 0 };

		chunk.size = (UINT16)(der.len - off < 512 ? der.len - off : 512);
		memcpy(chunk.buffer, der.data + off, chunk.size);
		rc = Esys_NV_Write(v->esys, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				   ESYS_TR_NONE, &chunk, (UINT16)off);
		if (rc != TSS2_RC_SUCCESS) {
			vt_fail(v, rc, "NV_Write (the EK certificate)", err);
			goto out;
		}
	}
	r = 0;
out:
	bh_buf_release(&b64);
	bh_buf_release(&der);
	return r;
}

/* The vTPM's AK (made at BH_TPM_AK_HANDLE when there is none): its SPKI and PEM. */
static int vtpm_ak(struct vt *v, struct bh_buf *spki, struct bh_buf *pem, struct bh_error **err)
{
	TPM2B_PUBLIC tmpl, *pub = NULL;
	ESYS_TR ak;
	int r = -1;

	tpm_ak_template(&tmpl);
	if (persisted(v, ESYS_TR_RH_OWNER, BH_TPM_AK_HANDLE, &tmpl, "the vTPM's AK at 0x81010018",
		      &ak, &pub, err) == 0 &&
	    key_spki(pub, spki, err) == 0 && spki_pem(spki, pem, err) == 0)
		r = 0;
	Esys_Free(pub);
	return r;
}

int bh_vtpm_certify(const char *host_tcti, const char *vtpm_tcti, const char *name, const char *dir,
		    struct bh_error **err)
{
	struct bh_buf spki = BH_BUF_INIT(256), pem = BH_BUF_INIT(4096), crt = BH_BUF_INIT(8192);
	struct bh_buf akspki = BH_BUF_INIT(256), akpem = BH_BUF_INIT(4096),
		      akcrt = BH_BUF_INIT(8192);
	struct vt v = { 0 }, h = { 0 };
	struct bh_key *ekkey = NULL;
	TPM2B_PUBLIC tmpl, *ekpub = NULL;
	ESYS_TR ek, host;
	char *subject = bh_asprintf(BH_VTPM_EK_PREFIX "%s", name);
	char *aksubject = bh_asprintf(BH_VTPM_AK_PREFIX "%s", name);
	int r = -1;

	ek_template(&tmpl);
	if (strlen(name) > BH_VTPM_NAME_MAX) {
		bh_error_set(err, BH_ERR_INVALID,
			     "the name '%.40s...' is longer than %d characters (the EK "
			     "certificate's subject names it whole)",
			     name, BH_VTPM_NAME_MAX);
		goto out;
	}
	if (vt_open(vtpm_tcti, &v, err) < 0) {
		bh_error_prefix(err, "the vTPM");
		goto out;
	}
	if (persisted(&v, ESYS_TR_RH_ENDORSEMENT, BH_VTPM_EK_HANDLE, &tmpl,
		      "the vTPM's EK at 0x81010001", &ek, &ekpub, err) < 0 ||
	    key_spki(ekpub, &spki, err) < 0 || spki_pem(&spki, &pem, err) < 0 ||
	    vtpm_ak(&v, &akspki, &akpem, err) < 0 ||
	    bh_key_parse_public(pem.data, pem.len, &ekkey, err) < 0) {
		bh_error_prefix(err, "the vTPM");
		goto out;
	}
	if (vt_open(host_tcti, &h, err) < 0 || host_side(&h, dir, &host, err) < 0 ||
	    sign_cert(&h, host, subject, NULL, &spki, false, &crt, err) < 0 ||
	    sign_cert(&h, host, aksubject, bh_key_id(ekkey), &akspki, false, &akcrt, err) < 0) {
		bh_error_prefix(err, "the host TPM");
		goto out;
	}
	if (ek_cert_nv(&v, &crt, err) < 0) {
		bh_error_prefix(err, "the vTPM");
		goto out;
	}
	if (write_in(dir, "ek.pem", &pem, err) < 0 || write_in(dir, "ek.crt", &crt, err) < 0 ||
	    write_in(dir, "ak.pem", &akpem, err) < 0 || write_in(dir, "ak.crt", &akcrt, err) < 0)
		goto out;
	r = 0;
out:
	Esys_Free(ekpub);
	vt_close(&v);
	vt_close(&h);
	free(subject);
	free(aksubject);
	bh_key_free(ekkey);
	bh_buf_release(&spki);
	bh_buf_release(&pem);
	bh_buf_release(&crt);
	bh_buf_release(&akspki);
	bh_buf_release(&akpem);
	bh_buf_release(&akcrt);
	return r;
}
