/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The persisted primary keys of src/tpm: the host's AK (tpm.c), a vTPM's EK
 * and AK and the host key that certifies them (vtpm.c). One way to find the
 * key at a persistent handle or make it from its template and persist it, and
 * one check that the key found there is of the template.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

const char *tpm_template_mismatch(const TPM2B_PUBLIC *got, const TPM2B_PUBLIC *tmpl)
{
	const TPMT_PUBLIC *g = &got->publicArea, *w = &tmpl->publicArea;
	const TPMS_ECC_PARMS *ge = &g->parameters.eccDetail, *we = &w->parameters.eccDetail;

	if (g->type != w->type)
		return "it is not an ECC key";
	if (ge->curveID != we->curveID)
		return "it is not on curve P-256";
	if (g->nameAlg != w->nameAlg)
		return "its name algorithm is not SHA-256";
	if (g->objectAttributes != w->objectAttributes)
		return "its attributes are not the template's (fixedTPM, fixedParent, "
		       "sensitiveDataOrigin, restricted, sign or decrypt...)";
	if (g->authPolicy.size != w->authPolicy.size ||
	    memcmp(g->authPolicy.buffer, w->authPolicy.buffer, w->authPolicy.size))
		return "its authorization policy is not the template's";
	if (ge->symmetric.algorithm != we->symmetric.algorithm ||
	    (we->symmetric.algorithm != TPM2_ALG_NULL &&
	     (ge->symmetric.keyBits.sym != we->symmetric.keyBits.sym ||
	      ge->symmetric.mode.sym != we->symmetric.mode.sym)))
		return "its symmetric algorithm is not the template's";
	if (ge->scheme.scheme != we->scheme.scheme ||
	    (we->scheme.scheme != TPM2_ALG_NULL &&
	     ge->scheme.details.anySig.hashAlg != we->scheme.details.anySig.hashAlg))
		return "its scheme is not the template's";
	if (ge->kdf.scheme != we->kdf.scheme)
		return "it has a KDF scheme";
	return NULL;
}

/*
 * The public area ESYS read for h (Esys_TR_FromTPMPublic's ReadPublic), from
 * its serialized resource (handle, TPM2B_NAME, resource type, TPM2B_PUBLIC),
 * or NULL to ask the TPM again: it saves a TPM round trip. Taken only when
 * the name it carries is the public's (nameAlg SHA-256 || SHA-256(TPMT_PUBLIC)),
 * so another serialization is never misread.
 */
static TPM2B_PUBLIC *cached_public(ESYS_CONTEXT *esys, ESYS_TR h)
{
	TPM2B_PUBLIC *pub = calloc(1, sizeof(*pub));
	uint8_t *buf = NULL, raw[sizeof(TPM2B_PUBLIC)], want[32];
	size_t n = 0, off = 4, roff = 0;
	TPM2B_NAME name;
	struct bh_digest dg;
	UINT32 type;

	if (!pub || Esys_TR_Serialize(esys, h, &buf, &n) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_NAME_Unmarshal(buf, n, &off, &name) != TSS2_RC_SUCCESS ||
	    Tss2_MU_UINT32_Unmarshal(buf, n, &off, &type) != TSS2_RC_SUCCESS ||
	    type != 1 /* IESYSC_KEY_RSRC */ ||
	    Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, n, &off, pub) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(pub, raw, sizeof(raw), &roff) != TSS2_RC_SUCCESS ||
	    roff < 2 || name.size != 34 || name.name[0] != 0 || name.name[1] != TPM2_ALG_SHA256)
		goto no;
	bh_sha256(raw + 2, roff - 2, &dg);
	if (bh_hex_decode(bh_digest_hex(&dg), 64, 0, want, 32) != 32 ||
	    memcmp(want, name.name + 2, 32))
		goto no;
	free(buf);
	return pub;
no:
	free(buf);
	free(pub);
	return NULL;
}

static int failed(struct tpm_fail *f, const char *call, TSS2_RC rc)
{
	f->call = call;
	f->rc = rc;
	return -1;
}

int tpm_primary(ESYS_CONTEXT *esys, ESYS_TR hierarchy, TPM2_HANDLE handle, const TPM2B_PUBLIC *tmpl,
		ESYS_TR *out, TPM2B_PUBLIC **pub, struct tpm_fail *f)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION none = { 0 };
	TPM2B_CREATION_DATA *cd = NULL;
	TPM2B_DIGEST *ch = NULL;
	TPMT_TK_CREATION *tk = NULL;
	TPM2B_NAME *name = NULL, *qname = NULL;
	ESYS_TR prim = ESYS_TR_NONE;
	TSS2_RC rc;

	memset(f, 0, sizeof(*f));
	*pub = NULL;
	rc = Esys_TR_FromTPMPublic(esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, out);
	if (rc == TSS2_RC_SUCCESS) {
		*pub = cached_public(esys, *out);
		if (!*pub) {
			rc = Esys_ReadPublic(esys, *out, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					     pub, &name, &qname);
			Esys_Free(name);
			Esys_Free(qname);
			if (rc != TSS2_RC_SUCCESS)
				return failed(f, "ReadPublic", rc);
		}
		f->why = tpm_template_mismatch(*pub, tmpl);
		if (!f->why)
			return 0;
		Esys_Free(*pub);
		*pub = NULL;
		return -1;
	}
	if ((rc & 0xfff) != (TPM2_RC_HANDLE | TPM2_RC_1)) /* else: none there */
		return failed(f, "reading the persistent handle", rc);
	rc = Esys_CreatePrimary(esys, hierarchy, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				&sens, tmpl, &outside, &none, &prim, pub, &cd, &ch, &tk);
	Esys_Free(cd);
	Esys_Free(ch);
	Esys_Free(tk);
	if (rc != TSS2_RC_SUCCESS)
		return failed(f, "CreatePrimary", rc);
	rc = Esys_EvictControl(esys, ESYS_TR_RH_OWNER, prim, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			       ESYS_TR_NONE, handle, out);
	Esys_FlushContext(esys, prim);
	if (rc != TSS2_RC_SUCCESS) {
		Esys_Free(*pub);
		*pub = NULL;
		return failed(f, "EvictControl (persisting the key)", rc);
	}
	return 0;
}
