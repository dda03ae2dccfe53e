/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TPM side of measured launch: a TPM opened by TCTI string through
 * tpm2-tss's ESAPI (loaded on first use), PCR extend and read, the
 * attestation key persisted at BH_TPM_AK_HANDLE, and quotes written in
 * tpm2-tools' file formats. There is no resource manager between us and a
 * TCTI such as swtpm's: every transient object made here is flushed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/tpm.h"
#include "internal.h"
#include "lazy/tss2.h"
#include "banned.h"

#define BH_TPM_TIMEOUT_MS 15000

struct bh_tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	char *name;
};

const char *bh_tpm_tcti(const char *given)
{
	const char *e;

	if (given && *given)
		return given;
	e = getenv("BULKHEAD_TPM_TCTI");
	return e && *e ? e : BH_TPM_DEFAULT_TCTI;
}

static int tss_fail(struct bh_tpm *t, TSS2_RC rc, const char *what, struct bh_error **err)
{
	return bh_error_set(err, BH_ERR_IO, "TPM (%s): %s failed: 0x%x (%s)", t->name, what,
			    (unsigned)rc, Tss2_RC_Decode(rc));
}

int bh_tpm_open(const char *tcti, struct bh_tpm **out, struct bh_error **err)
{
	struct bh_tpm *t;
	TSS2_RC rc;

	*out = NULL;
	if (bh_lazy_require(&bh_lazy_rc, err) < 0 || bh_lazy_require(&bh_lazy_mu, err) < 0 ||
	    bh_lazy_require(&bh_lazy_tctildr, err) < 0 || bh_lazy_require(&bh_lazy_esys, err) < 0)
		return bh_error_prefix(err, "the TPM library");
	t = calloc(1, sizeof(*t));
	if (!t)
		return bh_error_set(err, BH_ERR_NOMEM, "out of memory");
	t->name = bh_strdup(tcti);
	rc = Tss2_TctiLdr_Initialize(tcti, &t->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		bh_error_set(err, BH_ERR_IO, "TPM (%s): cannot open the TCTI: 0x%x (%s)", tcti,
			     (unsigned)rc, Tss2_RC_Decode(rc));
		goto fail;
	}
	rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		tss_fail(t, rc, "Esys_Initialize", err);
		goto fail;
	}
	/* a TPM that stops answering is an error, not a hang */
	Esys_SetTimeout(t->esys, BH_TPM_TIMEOUT_MS);
	*out = t;
	return 0;
fail:
	bh_tpm_close(t);
	return -1;
}

ESYS_CONTEXT *tpm_esys(struct bh_tpm *t)
{
	return t->esys;
}

void bh_tpm_close(struct bh_tpm *t)
{
	if (!t)
		return;
	if (t->esys)
		Esys_Finalize(&t->esys);
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
	free(t->name);
	free(t);
}

int bh_tpm_extend(struct bh_tpm *t, int pcr, const uint8_t digest[32], struct bh_error **err)
{
	TPML_DIGEST_VALUES v = { .count = 1 };
	TSS2_RC rc;

	if (bh_tpm_pcr_check(pcr, true, err) < 0)
		return -1;
	v.digests[0].hashAlg = TPM2_ALG_SHA256;
	memcpy(v.digests[0].digest.sha256, digest, 32);
	rc = Esys_PCR_Extend(t->esys, ESYS_TR_PCR0 + (ESYS_TR)pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			     ESYS_TR_NONE, &v);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(t, rc, "PCR_Extend", err);
	return 0;
}

static void selection(uint32_t mask, TPML_PCR_SELECTION *s)
{
	memset(s, 0, sizeof(*s));
	s->count = 1;
	s->pcrSelections[0].hash = TPM2_ALG_SHA256;
	s->pcrSelections[0].sizeofSelect = 3;
	for (int i = 0; i < 3; i++)
		s->pcrSelections[0].pcrSelect[i] = (uint8_t)(mask >> (8 * i));
}

int bh_tpm_pcr_read(struct bh_tpm *t, uint32_t mask, uint8_t vals[BH_TPM_PCRS][32],
		    struct bh_error **err)
{
	/* a PCR_Read answers at most 8 digests: ask until every PCR is had */
	while (mask) {
		TPML_PCR_SELECTION in, *outsel = NULL;
		TPML_DIGEST *dig = NULL;
		UINT32 counter;
		uint32_t got = 0;
		TSS2_RC rc;
		size_t k = 0;

		selection(mask, &in);
		rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &in, &counter,
				   &outsel, &dig);
		if (rc != TSS2_RC_SUCCESS)
			return tss_fail(t, rc, "PCR_Read", err);
		for (UINT32 s = 0; s < outsel->count; s++) {
			const TPMS_PCR_SELECTION *ps = &outsel->pcrSelections[s];

			if (ps->hash != TPM2_ALG_SHA256)
				continue;
			for (int p = 0; p < BH_TPM_PCRS && p / 8 < ps->sizeofSelect; p++) {
				if (!(ps->pcrSelect[p / 8] & (1u << (p % 8))) || k >= dig->count)
					continue;
				if (dig->digests[k].size == 32)
					memcpy(vals[p], dig->digests[k].buffer, 32);
				got |= 1u << p;
				k++;
			}
		}
		Esys_Free(outsel);
		Esys_Free(dig);
		if (!(got & mask))
			return bh_error_set(err, BH_ERR_UNSUPPORTED,
					    "TPM (%s): no sha256 PCR bank answered", t->name);
		mask &= ~got;
	}
	return 0;
}

void tpm_ak_template(TPM2B_PUBLIC *p)
{
	memset(p, 0, sizeof(*p));
	p->publicArea.type = TPM2_ALG_ECC;
	p->publicArea.nameAlg = TPM2_ALG_SHA256;
	p->publicArea.objectAttributes =
		TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
		TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
	p->publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p->publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	p->publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
}

/*
 * The persisted AK's ESYS handle and public area (*pub, Esys_Free'd by the
 * caller), made and persisted when there is none. A key found there that is
 * not of our template is refused, or (flags BH_TPM_AK_RECREATE) evicted and
 * replaced: a quote must never be signed by a key that can sign any bytes.
 */
static int ak_handle(struct bh_tpm *t, unsigned flags, ESYS_TR *out, TPM2B_PUBLIC **pub,
		     struct bh_error **err)
{
	TPM2B_PUBLIC tmpl;
	struct tpm_fail f;
	ESYS_TR gone;
	TSS2_RC rc;

	tpm_ak_template(&tmpl);
	if (tpm_primary(t->esys, ESYS_TR_RH_OWNER, BH_TPM_AK_HANDLE, &tmpl, out, pub, &f) == 0)
		return 0;
	if (f.call)
		return bh_error_set(err, BH_ERR_IO,
				    "TPM (%s): %s (the attestation key at 0x%x) failed: 0x%x (%s)",
				    t->name, f.call, BH_TPM_AK_HANDLE, (unsigned)f.rc,
				    Tss2_RC_Decode(f.rc));
	if (!(flags & BH_TPM_AK_RECREATE))
		return bh_error_set(err, BH_ERR_INVALID,
				    "TPM (%s): the key persisted at 0x%x is not bulkhead's "
				    "attestation key (%s): refusing to quote with it (evict it, or "
				    "have it replaced: attest quote --ak-recreate)",
				    t->name, BH_TPM_AK_HANDLE, f.why);
	rc = Esys_EvictControl(t->esys, ESYS_TR_RH_OWNER, *out, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			       ESYS_TR_NONE, BH_TPM_AK_HANDLE, &gone);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(t, rc, "EvictControl (evicting the key at 0x81010018)", err);
	return ak_handle(t, 0, out, pub, err);
}

/*
 * DIR/NAME written whole: a temporary file beside it renamed over it, so a
 * reader never sees part of one. Not fsync'ed: a quote answers one nonce and
 * is asked again after a crash, and five fsyncs were most of a quote's time.
 */
static int write_in(const char *dir, const char *name, const void *p, size_t n, mode_t mode,
		    struct bh_error **err)
{
	char *path = bh_asprintf("%s/%s", dir, name);
	int r = bh_write_file_replace(path, p, n, mode, err);

	free(path);
	return r;
}

/* DIR/ak.pub (TPM2B_PUBLIC) and DIR/ak.pem of the AK whose public is pub. */
static int ak_files(struct bh_tpm *t, const TPM2B_PUBLIC *pub, const char *dir,
		    struct bh_error **err)
{
	struct bh_buf pem = BH_BUF_INIT(4096);
	uint8_t raw[sizeof(TPM2B_PUBLIC)];
	size_t off = 0;
	TSS2_RC rc;
	int r = -1;

	rc = Tss2_MU_TPM2B_PUBLIC_Marshal(pub, raw, sizeof(raw), &off);
	if (rc != TSS2_RC_SUCCESS) {
		tss_fail(t, rc, "marshalling the attestation key", err);
		goto out;
	}
	if (bh_tpm_public_pem(raw, off, &pem, err) < 0) {
		bh_error_prefix(err, "TPM (%s): the key at 0x%x", t->name, BH_TPM_AK_HANDLE);
		goto out;
	}
	if (write_in(dir, "ak.pub", raw, off, 0644, err) < 0 ||
	    write_in(dir, "ak.pem", pem.data, pem.len, 0644, err) < 0)
		goto out;
	r = 0;
out:
	bh_buf_release(&pem);
	return r;
}

int bh_tpm_ak(struct bh_tpm *t, const char *dir, struct bh_error **err)
{
	TPM2B_PUBLIC *pub = NULL;
	ESYS_TR h;
	int r;

	if (ak_handle(t, 0, &h, &pub, err) < 0)
		return -1;
	r = ak_files(t, pub, dir, err);
	Esys_Free(pub);
	return r;
}

/* tpm2-tools' serialized PCR file: TPML_PCR_SELECTION as in memory, a uint32
 * count, then that many TPML_DIGEST as in memory (8 digests each). */
static int pcrs_file(uint32_t mask, uint8_t vals[BH_TPM_PCRS][32], struct bh_buf *out,
		     struct bh_error **err)
{
	TPML_PCR_SELECTION sel;
	TPML_DIGEST lists[3];
	uint32_t n = 0;

	selection(mask, &sel);
	memset(lists, 0, sizeof(lists));
	for (int p = 0; p < BH_TPM_PCRS; p++) {
		TPML_DIGEST *l;

		if (!(mask & (1u << p)))
			continue;
		if (n == 0 || lists[n - 1].count == 8)
			n++;
		l = &lists[n - 1];
		l->digests[l->count].size = 32;
		memcpy(l->digests[l->count].buffer, vals[p], 32);
		l->count++;
	}
	if (bh_buf_add(out, &sel, sizeof(sel), err) < 0 ||
	    bh_buf_add(out, &n, sizeof(n), err) < 0 ||
	    bh_buf_add(out, lists, n * sizeof(lists[0]), err) < 0)
		return -1;
	return 0;
}

/* 1 when the values of the PCRs in mask (the quote's one selection, in PCR
 * order) hash to the quote's PCR digest, 0 when not, -1 on a malformed quote. */
static int pcrs_match(const TPM2B_ATTEST *q, uint32_t mask, uint8_t vals[BH_TPM_PCRS][32],
		      struct bh_error **err)
{
	uint8_t cat[BH_TPM_PCRS * 32], d[32];
	struct bh_tpm_attest a;
	struct bh_digest dg;
	size_t n = 0;

	if (bh_tpm_attest_parse(q->attestationData, q->size, &a, err) < 0)
		return bh_error_prefix(err, "the TPM's quote");
	for (int p = 0; p < BH_TPM_PCRS; p++)
		if (mask & (1u << p))
			memcpy(cat + 32 * n++, vals[p], 32);
	bh_sha256(cat, 32 * n, &dg);
	if (bh_hex_decode(bh_digest_hex(&dg), 64, 0, d, 32) != 32)
		return bh_error_set(err, BH_ERR_INTERNAL, "a digest that is not hex");
	return a.pcr_mask == mask && a.pcr_digest_len == 32 && !memcmp(a.pcr_digest, d, 32);
}

void (*tpm_quote_hook)(struct bh_tpm *t, unsigned attempt);

/*
 * Quote, then read the PCRs: an extend in between (another launch, through a
 * resource manager) makes the values read not the ones quoted, and
 * tpm2_checkquote would refuse pcrs.out. The values read are checked against
 * the quote's PCR digest, and the quote made again when they differ.
 */
static int quote_consistent(struct bh_tpm *t, ESYS_TR ak, const TPM2B_DATA *q, uint32_t mask,
			    TPM2B_ATTEST **quoted, TPMT_SIGNATURE **sig,
			    uint8_t vals[BH_TPM_PCRS][32], struct bh_error **err)
{
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPML_PCR_SELECTION sel;
	TSS2_RC rc;

	selection(mask, &sel);
	for (unsigned i = 0; i < BH_TPM_QUOTE_TRIES; i++) {
		int m;

		rc = Esys_Quote(t->esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, q,
				&scheme, &sel, quoted, sig);
		if (rc != TSS2_RC_SUCCESS)
			return tss_fail(t, rc, "Quote", err);
		if (tpm_quote_hook)
			tpm_quote_hook(t, i);
		memset(vals, 0, BH_TPM_PCRS * 32);
		if (bh_tpm_pcr_read(t, mask, vals, err) < 0)
			return -1;
		m = pcrs_match(*quoted, mask, vals, err);
		if (m != 0)
			return m < 0 ? -1 : 0;
		Esys_Free(*quoted);
		Esys_Free(*sig);
		*quoted = NULL;
		*sig = NULL;
	}
	return bh_error_set(err, BH_ERR_IO,
			    "TPM (%s): the quoted PCRs changed between the quote and reading them, "
			    "%d times in a row (launches being measured): try again",
			    t->name, BH_TPM_QUOTE_TRIES);
}

int bh_tpm_quote_ex(struct bh_tpm *t, const uint8_t *nonce, size_t nlen, uint32_t mask,
		    unsigned flags, const char *dir, struct bh_error **err)
{
	TPM2B_DATA q = { 0 };
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *sig = NULL;
	TPM2B_PUBLIC *pub = NULL;
	uint8_t vals[BH_TPM_PCRS][32], sraw[sizeof(TPMT_SIGNATURE)];
	struct bh_buf pcrs = BH_BUF_INIT(BH_TPM_FILE_MAX);
	size_t soff = 0;
	ESYS_TR ak;
	TSS2_RC rc;
	int r = -1;

	if (nlen > BH_TPM_NONCE_MAX)
		return bh_error_set(err, BH_ERR_USAGE, "the nonce is longer than %d bytes",
				    BH_TPM_NONCE_MAX);
	if (!mask)
		return bh_error_set(err, BH_ERR_USAGE, "no PCR to quote");
	q.size = (UINT16)nlen;
	memcpy(q.buffer, nonce, nlen);
	if (ak_handle(t, flags, &ak, &pub, err) < 0 ||
	    quote_consistent(t, ak, &q, mask, &quoted, &sig, vals, err) < 0 ||
	    pcrs_file(mask, vals, &pcrs, err) < 0)
		goto out;
	rc = Tss2_MU_TPMT_SIGNATURE_Marshal(sig, sraw, sizeof(sraw), &soff);
	if (rc != TSS2_RC_SUCCESS) {
		tss_fail(t, rc, "marshalling the signature", err);
		goto out;
	}
	if (write_in(dir, "quote.msg", quoted->attestationData, quoted->size, 0644, err) < 0 ||
	    write_in(dir, "quote.sig", sraw, soff, 0644, err) < 0 ||
	    write_in(dir, "pcrs.out", pcrs.data, pcrs.len, 0644, err) < 0 ||
	    ak_files(t, pub, dir, err) < 0)
		goto out;
	r = 0;
out:
	bh_buf_release(&pcrs);
	Esys_Free(pub);
	Esys_Free(quoted);
	Esys_Free(sig);
	return r;
}

int bh_tpm_quote(struct bh_tpm *t, const uint8_t *nonce, size_t nlen, uint32_t mask,
		 const char *dir, struct bh_error **err)
{
	return bh_tpm_quote_ex(t, nonce, nlen, mask, 0, dir, err);
}

int bh_tpm_attest_quote_ex(const char *tcti, const uint8_t *nonce, size_t nlen, uint32_t mask,
			   unsigned flags, const char *dir, struct bh_error **err)
{
	struct bh_tpm *t = NULL;
	int r;

	if (bh_tpm_open(tcti, &t, err) < 0)
		return -1;
	r = bh_tpm_quote_ex(t, nonce, nlen, mask, flags, dir, err);
	bh_tpm_close(t);
	return r;
}

int bh_tpm_attest_quote(const char *tcti, const uint8_t *nonce, size_t nlen, uint32_t mask,
			const char *dir, struct bh_error **err)
{
	return bh_tpm_attest_quote_ex(tcti, nonce, nlen, mask, 0, dir, err);
}
