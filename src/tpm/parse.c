/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TPM's structures as untrusted bytes, parsed without tpm2-tss (verify
 * runs where there is no TPM): TPMS_ATTEST (a quote), TPMT_SIGNATURE (ECDSA),
 * TPM2B_PUBLIC (an ECC P-256 key) and tpm2-tools' serialized PCR file. All
 * TPM structures are big-endian; the PCR file is tpm2-tools' in-memory
 * layout of TPML_PCR_SELECTION and TPML_DIGEST (little-endian).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/tpm.h"
#include "banned.h"

#define ATTEST_MAGIC	0xff544347u /* TPM_GENERATED_VALUE */
#define ST_ATTEST_QUOTE 0x8018u
#define ALG_SHA256	0x000bu
#define ALG_ECDSA	0x0018u
#define ALG_ECC		0x0023u
#define ALG_NULL	0x0010u
#define ECC_NIST_P256	0x0003u
/* TPMA_OBJECT: fixedTPM, fixedParent, restricted, sign */
#define AK_ATTRS ((1u << 1) | (1u << 4) | (1u << 16) | (1u << 18))

int bh_tpm_pcr_check(long pcr, bool extend, struct bh_error **err)
{
	if (pcr < 0 || pcr >= BH_TPM_PCRS)
		return bh_error_set(err, BH_ERR_USAGE, "PCR %ld is out of range (0-%d)", pcr,
				    BH_TPM_PCRS - 1);
	if (extend && pcr == BH_TPM_IMA_PCR)
		return bh_error_set(err, BH_ERR_USAGE, "PCR %d is IMA's: bulkhead never extends it",
				    BH_TPM_IMA_PCR);
	return 0;
}

int bh_tpm_pcr_list(const char *s, uint32_t *mask, struct bh_error **err)
{
	const char *p = s;

	*mask = 0;
	if (!s || !*s)
		return bh_error_set(err, BH_ERR_USAGE, "an empty PCR list");
	while (*p) {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || (*end && *end != ','))
			return bh_error_set(err, BH_ERR_USAGE,
					    "PCR list '%.64s': not numbers "
					    "separated by commas",
					    s);
		if (bh_tpm_pcr_check(v, false, err) < 0)
			return -1;
		*mask |= 1u << v;
		p = *end ? end + 1 : end;
	}
	return 0;
}

struct rd {
	const uint8_t *p;
	size_t n, off;
	bool bad;
};

static const uint8_t *take(struct rd *r, size_t k)
{
	const uint8_t *q;

	if (r->bad || r->n - r->off < k) {
		r->bad = true;
		return NULL;
	}
	q = r->p + r->off;
	r->off += k;
	return q;
}

static uint64_t be(struct rd *r, size_t k)
{
	const uint8_t *q = take(r, k);
	uint64_t v = 0;

	for (size_t i = 0; q && i < k; i++)
		v = v << 8 | q[i];
	return v;
}

/* A TPM2B of at most max bytes: its bytes and size. */
static const uint8_t *tpm2b(struct rd *r, size_t max, size_t *len)
{
	size_t k = be(r, 2);

	if (k > max)
		r->bad = true;
	*len = k;
	return take(r, k);
}

int bh_tpm_attest_parse(const void *p, size_t n, struct bh_tpm_attest *a, struct bh_error **err)
{
	struct rd r = { p, n, 0, false };
	const uint8_t *q;
	size_t k;
	uint32_t magic, count, nsel;
	uint16_t type;

	memset(a, 0, sizeof(*a));
	magic = (uint32_t)be(&r, 4);
	type = (uint16_t)be(&r, 2);
	if (r.bad)
		return bh_error_set(err, BH_ERR_INVALID, "the quote is truncated (%zu bytes)", n);
	if (magic != ATTEST_MAGIC)
		return bh_error_set(err, BH_ERR_INVALID,
				    "the quote's magic is 0x%08x, not TPM_GENERATED_VALUE", magic);
	if (type != ST_ATTEST_QUOTE)
		return bh_error_set(err, BH_ERR_INVALID,
				    "the attestation's type is 0x%04x, not a quote (0x8018)", type);
	tpm2b(&r, 2 + 64, &k); /* qualifiedSigner */
	q = tpm2b(&r, BH_TPM_NONCE_MAX, &a->nonce_len);
	if (q)
		memcpy(a->nonce, q, a->nonce_len);
	a->clock = be(&r, 8);
	a->reset_count = (uint32_t)be(&r, 4);
	a->restart_count = (uint32_t)be(&r, 4);
	take(&r, 1); /* safe */
	a->firmware = be(&r, 8);
	count = (uint32_t)be(&r, 4);
	nsel = 0;
	if (!r.bad && count > 16)
		return bh_error_set(err, BH_ERR_INVALID, "the quote selects %u PCR banks", count);
	for (uint32_t i = 0; i < count && !r.bad; i++) {
		uint16_t alg = (uint16_t)be(&r, 2);
		size_t sz = be(&r, 1);
		const uint8_t *sel;
		bool any = false;

		if (sz > 4)
			r.bad = true;
		sel = take(&r, sz);
		if (!sel)
			break;
		for (size_t b = 0; b < sz; b++) {
			if (!sel[b])
				continue;
			if (alg != ALG_SHA256)
				return bh_error_set(err, BH_ERR_UNSUPPORTED,
						    "the quote covers PCR bank 0x%04x, not only "
						    "sha256",
						    alg);
			if (b >= 3)
				return bh_error_set(err, BH_ERR_INVALID,
						    "the quote selects a PCR above 23");
			a->pcr_mask |= (uint32_t)sel[b] << (8 * b);
			any = true;
		}
		/* the TPM hashes the PCRs in the order of its selections; one
		 * selection is ascending order, the order the replay uses (two
		 * could make a PCR stand for another) */
		if (any && nsel++)
			return bh_error_set(
				err, BH_ERR_UNSUPPORTED,
				"the quote has more than one PCR selection: its digest's "
				"order is not the replay's (quote them in one selection)");
	}
	q = tpm2b(&r, sizeof(a->pcr_digest), &a->pcr_digest_len);
	if (q)
		memcpy(a->pcr_digest, q, a->pcr_digest_len);
	if (r.bad)
		return bh_error_set(err, BH_ERR_INVALID, "the quote is truncated or malformed");
	if (r.off != n)
		return bh_error_set(err, BH_ERR_INVALID, "%zu bytes after the quote", n - r.off);
	if (a->pcr_digest_len != 32)
		return bh_error_set(err, BH_ERR_INVALID,
				    "the quote's PCR digest is %zu bytes, not "
				    "a SHA-256",
				    a->pcr_digest_len);
	return 0;
}

/* Append a DER INTEGER of the big-endian unsigned (p, n). */
static int der_int(const uint8_t *p, size_t n, struct bh_buf *out, struct bh_error **err)
{
	uint8_t hdr[3];
	size_t h = 0;

	while (n > 1 && !p[0]) {
		p++;
		n--;
	}
	hdr[h++] = 0x02;
	hdr[h++] = (uint8_t)(n + (n && (p[0] & 0x80)));
	if (n && (p[0] & 0x80))
		hdr[h++] = 0;
	if (!n)
		return bh_error_set(err, BH_ERR_INVALID, "an empty ECDSA integer");
	if (bh_buf_add(out, hdr, h, err) < 0 || bh_buf_add(out, p, n, err) < 0)
		return -1;
	return 0;
}

int bh_tpm_sig_parse(const void *p, size_t n, struct bh_buf *der, struct bh_error **err)
{
	struct rd r = { p, n, 0, false };
	struct bh_buf body = BH_BUF_INIT(256);
	const uint8_t *rr, *ss;
	size_t rl, sl;
	uint16_t alg, hash;
	uint8_t hdr[2];
	int ret = -1;

	alg = (uint16_t)be(&r, 2);
	hash = (uint16_t)be(&r, 2);
	if (!r.bad && alg != ALG_ECDSA)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "the signature's algorithm is 0x%04x, not ECDSA", alg);
	if (!r.bad && hash != ALG_SHA256)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "the signature's hash is 0x%04x, not SHA-256", hash);
	rr = tpm2b(&r, 66, &rl);
	ss = tpm2b(&r, 66, &sl);
	if (r.bad || r.off != n)
		return bh_error_set(err, BH_ERR_INVALID, "the signature is truncated or malformed");
	if (der_int(rr, rl, &body, err) < 0 || der_int(ss, sl, &body, err) < 0)
		goto out;
	hdr[0] = 0x30;
	hdr[1] = (uint8_t)body.len; /* two integers of <= 67 bytes each: < 128 */
	if (bh_buf_add(der, hdr, 2, err) < 0 || bh_buf_add(der, body.data, body.len, err) < 0)
		goto out;
	ret = 0;
out:
	bh_buf_release(&body);
	return ret;
}

int bh_tpm_public_pem(const void *p, size_t n, struct bh_buf *pem, struct bh_error **err)
{
	/* SubjectPublicKeyInfo of an uncompressed P-256 point, less the point */
	static const uint8_t spki[] = { 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
					0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
					0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04 };
	struct rd r = { p, n, 0, false };
	struct bh_buf der = BH_BUF_INIT(128), b64 = BH_BUF_INIT(256);
	const uint8_t *x, *y;
	size_t total, k, xl, yl;
	uint16_t type, a;
	int ret = -1;

	total = be(&r, 2);
	if (!r.bad && total != n - 2)
		return bh_error_set(err, BH_ERR_INVALID, "TPM2B_PUBLIC: size %zu, but %zu bytes",
				    total, n - 2);
	type = (uint16_t)be(&r, 2);
	if (!r.bad && type != ALG_ECC)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "TPM2B_PUBLIC: key type 0x%04x, not ECC", type);
	if ((uint16_t)be(&r, 2) != ALG_SHA256 && !r.bad) /* nameAlg */
		return bh_error_set(err, BH_ERR_INVALID, "TPM2B_PUBLIC: name algorithm not sha256");
	/* an attestation key: restricted signing, made in and bound to its
	 * TPM; an unrestricted key could sign any bytes that look like a quote */
	if ((be(&r, 4) & AK_ATTRS) != AK_ATTRS && !r.bad) /* objectAttributes */
		return bh_error_set(err, BH_ERR_INVALID,
				    "TPM2B_PUBLIC: not an attestation key (needs fixedTPM, "
				    "fixedParent, restricted and sign)");
	tpm2b(&r, 64, &k);	 /* authPolicy */
	a = (uint16_t)be(&r, 2); /* symmetric */
	if (a != ALG_NULL)
		be(&r, 4);	 /* keyBits, mode */
	a = (uint16_t)be(&r, 2); /* scheme */
	if (a != ALG_NULL)
		be(&r, 2);
	a = (uint16_t)be(&r, 2); /* curveID */
	if (!r.bad && a != ECC_NIST_P256)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "TPM2B_PUBLIC: curve 0x%04x, not NIST P-256", a);
	if ((uint16_t)be(&r, 2) != ALG_NULL) /* kdf */
		be(&r, 2);
	x = tpm2b(&r, 32, &xl);
	y = tpm2b(&r, 32, &yl);
	if (r.bad || r.off != n || xl != 32 || yl != 32)
		return bh_error_set(err, BH_ERR_INVALID, "TPM2B_PUBLIC: truncated or malformed");
	if (bh_buf_add(&der, spki, sizeof(spki), err) < 0 || bh_buf_add(&der, x, 32, err) < 0 ||
	    bh_buf_add(&der, y, 32, err) < 0 || bh_base64_encode(der.data, der.len, &b64, err) < 0)
		goto out;
	if (bh_buf_adds(pem, "-----BEGIN PUBLIC KEY-----\n", err) < 0)
		goto out;
	for (size_t i = 0; i < b64.len; i += 64)
		if (bh_buf_add(pem, b64.data + i, b64.len - i < 64 ? b64.len - i : 64, err) < 0 ||
		    bh_buf_addc(pem, '\n', err) < 0)
			goto out;
	if (bh_buf_adds(pem, "-----END PUBLIC KEY-----\n", err) < 0)
		goto out;
	ret = 0;
out:
	bh_buf_release(&der);
	bh_buf_release(&b64);
	return ret;
}

/* tpm2-tools' in-memory layouts (x86-64, as tss2_tpm2_types.h lays them out) */
#define SEL_SIZE    132u /* TPML_PCR_SELECTION: count, 16 x {hash, sizeofSelect, [4]} + pad */
#define SEL_ENTRY   8u
#define DIGEST_SIZE 532u /* TPML_DIGEST: count, 8 x {size, [64]} */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int bh_tpm_pcrs_parse(const void *p, size_t n, uint32_t *mask, uint8_t vals[BH_TPM_PCRS][32],
		      struct bh_error **err)
{
	const uint8_t *b = p;
	uint32_t count, nlists, order[16 * 32];
	size_t norder = 0, k = 0;

	*mask = 0;
	if (n < SEL_SIZE + 4)
		return bh_error_set(err, BH_ERR_INVALID, "the PCR file is truncated (%zu bytes)",
				    n);
	count = le32(b);
	if (count > 16)
		return bh_error_set(err, BH_ERR_INVALID, "the PCR file selects %u banks", count);
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *e = b + 4 + i * SEL_ENTRY;
		uint16_t alg = (uint16_t)(e[0] | e[1] << 8);
		uint8_t sz = e[2];

		if (sz > 4)
			return bh_error_set(err, BH_ERR_INVALID,
					    "the PCR file's selection is "
					    "malformed");
		for (unsigned pcr = 0; pcr < sz * 8u; pcr++)
			if (e[3 + pcr / 8] & (1u << (pcr % 8)))
				order[norder++] = alg == ALG_SHA256 && pcr < BH_TPM_PCRS
							  ? pcr
							  : 0x80000000u; /* not kept */
	}
	nlists = le32(b + SEL_SIZE);
	if (nlists > 16 || n != SEL_SIZE + 4 + (size_t)nlists * DIGEST_SIZE)
		return bh_error_set(err, BH_ERR_INVALID,
				    "the PCR file's size (%zu) does not fit "
				    "its %u digest lists",
				    n, nlists);
	for (uint32_t l = 0; l < nlists; l++) {
		const uint8_t *d = b + SEL_SIZE + 4 + l * DIGEST_SIZE;
		uint32_t c = le32(d);

		if (c > 8)
			return bh_error_set(err, BH_ERR_INVALID,
					    "the PCR file's digest list %u "
					    "holds %u",
					    l, c);
		for (uint32_t i = 0; i < c; i++, k++) {
			const uint8_t *dg = d + 4 + i * 66;
			uint16_t sz = (uint16_t)(dg[0] | dg[1] << 8);

			if (k >= norder)
				return bh_error_set(err, BH_ERR_INVALID,
						    "the PCR file has more digests than PCRs");
			if (order[k] & 0x80000000u)
				continue;
			if (sz != 32)
				return bh_error_set(err, BH_ERR_INVALID,
						    "the PCR file's sha256 PCR %u is %u bytes",
						    order[k], sz);
			memcpy(vals[order[k]], dg + 2, 32);
			*mask |= 1u << order[k];
		}
	}
	if (k != norder)
		return bh_error_set(err, BH_ERR_INVALID,
				    "the PCR file has %zu digests for %zu PCRs", k, norder);
	return 0;
}
