/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vTPM's certificates without a TPM: X.509 v3 DER built by hand (the few
 * fields an EK and a host CA certificate need), parsed back (untrusted bytes:
 * bounded, every length checked) and verified with the host key (OpenSSL,
 * through src/trust's keys).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "bulkhead/trust.h"
#include "bulkhead/vtpm.h"
#include "banned.h"

static const uint8_t OID_ECDSA_SHA256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48,
					    0xce, 0x3d, 0x04, 0x03, 0x02 };
static const uint8_t OID_CN[] = { 0x06, 0x03, 0x55, 0x04, 0x03 };
static const uint8_t OID_EKU[] = { 0x06, 0x03, 0x55, 0x1d, 0x25 };
static const uint8_t OID_TCG_EK[] = { 0x06, 0x05, 0x67, 0x81, 0x05, 0x08, 0x01 };
static const uint8_t OID_TCG_AK[] = { 0x06, 0x05, 0x67, 0x81, 0x05, 0x08, 0x03 };
static const uint8_t OID_SERIAL[] = { 0x06, 0x03, 0x55, 0x04, 0x05 }; /* serialNumber */

/* ---- writing ---------------------------------------------------------------------- */

static int der_len(struct bh_buf *b, size_t n, struct bh_error **err)
{
	uint8_t l[5];
	size_t k = 0;

	if (n < 0x80) {
		l[k++] = (uint8_t)n;
	} else if (n < 0x100) {
		l[k++] = 0x81;
		l[k++] = (uint8_t)n;
	} else if (n < 0x10000) {
		l[k++] = 0x82;
		l[k++] = (uint8_t)(n >> 8);
		l[k++] = (uint8_t)n;
	} else {
		return bh_error_set(err, BH_ERR_INTERNAL, "DER: element too long");
	}
	return bh_buf_add(b, l, k, err);
}

/* tag, length, content */
static int der_tlv(struct bh_buf *b, uint8_t tag, const void *p, size_t n, struct bh_error **err)
{
	if (bh_buf_add(b, &tag, 1, err) < 0 || der_len(b, n, err) < 0 ||
	    bh_buf_add(b, p, n, err) < 0)
		return -1;
	return 0;
}

/* wrap what was written to b since `from` in tag */
static int der_wrap(struct bh_buf *b, size_t from, uint8_t tag, struct bh_error **err)
{
	struct bh_buf t = BH_BUF_INIT(BH_VTPM_CERT_MAX);
	int r;

	r = der_tlv(&t, tag, b->data + from, b->len - from, err);
	if (r == 0) {
		b->len = from;
		r = bh_buf_add(b, t.data, t.len, err);
	}
	bh_buf_release(&t);
	return r;
}

/* One RelativeDistinguishedName: SET { SEQUENCE { oid, UTF8String v } } */
static int der_rdn(struct bh_buf *b, const uint8_t *oid, size_t olen, const char *v,
		   struct bh_error **err)
{
	size_t set = b->len, atv = b->len;

	if (bh_buf_add(b, oid, olen, err) < 0 || der_tlv(b, 0x0c, v, strlen(v), err) < 0 ||
	    der_wrap(b, atv, 0x30, err) < 0 || der_wrap(b, set, 0x31, err) < 0)
		return -1;
	return 0;
}

/* A Name: CN cn and, when given, serialNumber sn (an AK's: its vTPM's EK id). */
static int der_name(struct bh_buf *b, const char *cn, const char *sn, struct bh_error **err)
{
	size_t name = b->len;

	if (der_rdn(b, OID_CN, sizeof(OID_CN), cn, err) < 0 ||
	    (sn && der_rdn(b, OID_SERIAL, sizeof(OID_SERIAL), sn, err) < 0) ||
	    der_wrap(b, name, 0x30, err) < 0)
		return -1;
	return 0;
}

static int der_validity(struct bh_buf *b, struct bh_error **err)
{
	char now[BH_TIME_MAX], utc[16];
	size_t v = b->len;

	/* 2026-12-05T20:25:24Z -> UTCTime 261205202524Z; never expires (RFC 5280 4.1.2.5) */
	bh_time_rfc3339(NULL, 0, now);
	snprintf(utc, sizeof(utc), "%.2s%.2s%.2s%.2s%.2s%.2sZ", now + 2, now + 5, now + 8, now + 11,
		 now + 14, now + 17);
	if (der_tlv(b, 0x17, utc, 13, err) < 0 ||
	    der_tlv(b, 0x18, "99991231235959Z", 15, err) < 0 || der_wrap(b, v, 0x30, err) < 0)
		return -1;
	return 0;
}

static int der_ext(struct bh_buf *b, const uint8_t *oid, size_t olen, bool critical,
		   const uint8_t *val, size_t vlen, struct bh_error **err)
{
	static const uint8_t crit[] = { 0x01, 0x01, 0xff };
	size_t e = b->len;

	if (bh_buf_add(b, oid, olen, err) < 0 ||
	    (critical && bh_buf_add(b, crit, sizeof(crit), err) < 0) ||
	    der_tlv(b, 0x04, val, vlen, err) < 0 || der_wrap(b, e, 0x30, err) < 0)
		return -1;
	return 0;
}

enum kind { K_CA, K_EK, K_AK };

static int cert_tbs(const char *issuer, const char *subject, const char *ek_id, const uint8_t *spki,
		    size_t spkilen, enum kind kind, struct bh_buf *tbs, struct bh_error **err)
{
	static const uint8_t v3[] = { 0xa0, 0x03, 0x02, 0x01, 0x02 };
	static const uint8_t oid_bc[] = { 0x06, 0x03, 0x55, 0x1d, 0x13 };
	static const uint8_t oid_ku[] = { 0x06, 0x03, 0x55, 0x1d, 0x0f };
	static const uint8_t bc_ca[] = { 0x30, 0x03, 0x01, 0x01, 0xff }, bc_ee[] = { 0x30, 0x00 };
	static const uint8_t ku_ca[] = { 0x03, 0x02, 0x01, 0x06 }; /* keyCertSign, cRLSign */
	static const uint8_t ku_ek[] = { 0x03, 0x02, 0x05, 0x20 }; /* keyEncipherment */
	static const uint8_t ku_ak[] = { 0x03, 0x02, 0x07, 0x80 }; /* digitalSignature */
	const uint8_t *ku = kind == K_CA ? ku_ca : kind == K_EK ? ku_ek : ku_ak;
	const uint8_t *usage = kind == K_EK ? OID_TCG_EK : OID_TCG_AK;
	bool ca = kind == K_CA;
	uint8_t serial[16];
	size_t start = tbs->len, ext;

	if (getrandom(serial, sizeof(serial), 0) != (ssize_t)sizeof(serial))
		return bh_error_sys(err, errno, "getrandom");
	serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40); /* positive, no leading zero */
	if (bh_buf_add(tbs, v3, sizeof(v3), err) < 0 ||
	    der_tlv(tbs, 0x02, serial, sizeof(serial), err) < 0 ||
	    der_tlv(tbs, 0x30, OID_ECDSA_SHA256, sizeof(OID_ECDSA_SHA256), err) < 0 ||
	    der_name(tbs, issuer, NULL, err) < 0 || der_validity(tbs, err) < 0 ||
	    der_name(tbs, subject, kind == K_AK ? ek_id : NULL, err) < 0 ||
	    bh_buf_add(tbs, spki, spkilen, err) < 0)
		return -1;
	ext = tbs->len;
	if (der_ext(tbs, oid_bc, sizeof(oid_bc), true, ca ? bc_ca : bc_ee,
		    ca ? sizeof(bc_ca) : sizeof(bc_ee), err) < 0 ||
	    der_ext(tbs, oid_ku, sizeof(oid_ku), true, ku, sizeof(ku_ca), err) < 0)
		return -1;
	if (!ca) {
		uint8_t eku[2 + sizeof(OID_TCG_EK)] = { 0x30, sizeof(OID_TCG_EK) };

		memcpy(eku + 2, usage, sizeof(OID_TCG_EK));
		if (der_ext(tbs, OID_EKU, sizeof(OID_EKU), false, eku, sizeof(eku), err) < 0)
			return -1;
	}
	if (der_wrap(tbs, ext, 0x30, err) < 0 || der_wrap(tbs, ext, 0xa3, err) < 0 ||
	    der_wrap(tbs, start, 0x30, err) < 0)
		return -1;
	return 0;
}

int bh_vtpm_cert_tbs(const char *issuer, const char *subject, const uint8_t *spki, size_t spkilen,
		     bool ca, struct bh_buf *tbs, struct bh_error **err)
{
	return cert_tbs(issuer, subject, NULL, spki, spkilen, ca ? K_CA : K_EK, tbs, err);
}

int bh_vtpm_cert_tbs_ak(const char *issuer, const char *subject, const char *ek_id,
			const uint8_t *spki, size_t spkilen, struct bh_buf *tbs,
			struct bh_error **err)
{
	if (!ek_id || !*ek_id)
		return bh_error_set(err, BH_ERR_INVALID, "an AK certificate without its EK's id");
	return cert_tbs(issuer, subject, ek_id, spki, spkilen, K_AK, tbs, err);
}

int bh_vtpm_cert_pem(const struct bh_buf *tbs, const void *sig, size_t siglen, struct bh_buf *pem,
		     struct bh_error **err)
{
	struct bh_buf c = BH_BUF_INIT(BH_VTPM_CERT_MAX), b64 = BH_BUF_INIT(2 * BH_VTPM_CERT_MAX);
	int r = -1;
	size_t bs;

	if (bh_buf_add(&c, tbs->data, tbs->len, err) < 0 ||
	    der_tlv(&c, 0x30, OID_ECDSA_SHA256, sizeof(OID_ECDSA_SHA256), err) < 0)
		goto out;
	bs = c.len;
	if (bh_buf_addc(&c, 0, err) < 0 || bh_buf_add(&c, sig, siglen, err) < 0 ||
	    der_wrap(&c, bs, 0x03, err) < 0 || der_wrap(&c, 0, 0x30, err) < 0 ||
	    bh_base64_encode(c.data, c.len, &b64, err) < 0 ||
	    bh_buf_adds(pem, "-----BEGIN CERTIFICATE-----\n", err) < 0)
		goto out;
	for (size_t i = 0; i < b64.len; i += 64)
		if (bh_buf_add(pem, b64.data + i, b64.len - i < 64 ? b64.len - i : 64, err) < 0 ||
		    bh_buf_addc(pem, '\n', err) < 0)
			goto out;
	if (bh_buf_adds(pem, "-----END CERTIFICATE-----\n", err) < 0)
		goto out;
	r = 0;
out:
	bh_buf_release(&c);
	bh_buf_release(&b64);
	return r;
}

/* ---- reading ---------------------------------------------------------------------- */

struct der {
	const uint8_t *p;
	size_t n;
};

/* The next element of d: its tag, content, and whole encoding. */
static int der_next(struct der *d, uint8_t *tag, struct der *content, struct der *whole,
		    struct bh_error **err)
{
	size_t len = 0, hl = 2;

	if (d->n < 2)
		return bh_error_set(err, BH_ERR_INVALID, "certificate: truncated element");
	*tag = d->p[0];
	if (d->p[1] < 0x80) {
		len = d->p[1];
	} else {
		size_t k = d->p[1] & 0x7f;

		if (k == 0 || k > 3 || d->n < 2 + k)
			return bh_error_set(err, BH_ERR_INVALID, "certificate: bad length");
		for (size_t i = 0; i < k; i++)
			len = len << 8 | d->p[2 + i];
		hl += k;
	}
	if (len > d->n - hl)
		return bh_error_set(err, BH_ERR_INVALID,
				    "certificate: an element is longer than what holds it");
	if (content)
		*content = (struct der){ d->p + hl, len };
	if (whole)
		*whole = (struct der){ d->p, hl + len };
	d->p += hl + len;
	d->n -= hl + len;
	return 0;
}

static int der_expect(struct der *d, uint8_t want, struct der *content, struct der *whole,
		      const char *what, struct bh_error **err)
{
	uint8_t tag;

	if (der_next(d, &tag, content, whole, err) < 0)
		return bh_error_prefix(err, "%s", what);
	if (tag != want)
		return bh_error_set(err, BH_ERR_INVALID, "certificate: %s: tag 0x%02x, not 0x%02x",
				    what, tag, want);
	return 0;
}

static bool der_eq(struct der d, const uint8_t *p, size_t n)
{
	return d.n == n && !memcmp(d.p, p, n);
}

/* The attribute oid (CN, serialNumber) of a Name, printable ASCII only ('?' for the rest). */
static int der_attr(struct der name, const uint8_t *want, size_t wlen, char *out, size_t outsz,
		    struct bh_error **err)
{
	out[0] = 0;
	while (name.n) {
		struct der set, atv, oid;

		if (der_expect(&name, 0x31, &set, NULL, "name", err) < 0)
			return -1;
		while (set.n) {
			uint8_t tag;
			struct der val, oidw;

			if (der_expect(&set, 0x30, &atv, NULL, "name attribute", err) < 0 ||
			    der_expect(&atv, 0x06, &oid, &oidw, "name attribute type", err) < 0 ||
			    der_next(&atv, &tag, &val, NULL, err) < 0)
				return -1;
			if (!der_eq(oidw, want, wlen))
				continue;
			size_t k = 0;

			for (size_t i = 0; i < val.n && k + 1 < outsz; i++)
				out[k++] =
					val.p[i] >= 0x20 && val.p[i] < 0x7f ? (char)val.p[i] : '?';
			out[k] = 0;
		}
	}
	return 0;
}

/* Whether the extended key usage extension of exts names usage (an OID's DER). */
static bool has_usage(struct der exts, const uint8_t *usage, size_t ulen)
{
	while (exts.n) {
		struct der ext, oid, val;
		uint8_t tag;

		if (der_next(&exts, &tag, &ext, NULL, NULL) < 0 || tag != 0x30 ||
		    der_next(&ext, &tag, NULL, &oid, NULL) < 0 || tag != 0x06)
			return false;
		if (!der_eq(oid, OID_EKU, sizeof(OID_EKU)))
			continue;
		while (ext.n) {
			if (der_next(&ext, &tag, &val, NULL, NULL) < 0)
				return false;
			if (tag != 0x04)
				continue;
			struct der seq, o;

			if (der_next(&val, &tag, &seq, NULL, NULL) < 0 || tag != 0x30)
				return false;
			while (seq.n) {
				if (der_next(&seq, &tag, NULL, &o, NULL) < 0)
					return false;
				if (tag == 0x06 && der_eq(o, usage, ulen))
					return true;
			}
		}
	}
	return false;
}

static int pem_der(const void *p, size_t n, struct bh_buf *der, struct bh_error **err)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----",
			  end[] = "-----END CERTIFICATE-----";
	const char *s = p, *b, *e;
	struct bh_buf b64 = BH_BUF_INIT(2 * BH_VTPM_CERT_MAX);
	int r;

	if (n < sizeof(begin) || memcmp(s, begin, sizeof(begin) - 1))
		return bh_buf_add(der, p, n, err); /* DER */
	b = s + sizeof(begin) - 1;
	e = memmem(b, n - (size_t)(b - s), end, sizeof(end) - 1);
	if (!e)
		return bh_error_set(err, BH_ERR_INVALID, "certificate: PEM without its END line");
	for (const char *q = b; q < e; q++)
		if (*q != '\n' && *q != '\r' && *q != ' ' && bh_buf_addc(&b64, *q, err) < 0) {
			bh_buf_release(&b64);
			return -1;
		}
	r = bh_base64_decode(b64.data ? b64.data : "", b64.len, "certificate", der, err);
	bh_buf_release(&b64);
	return r;
}

int bh_vtpm_cert_parse(const void *p, size_t n, struct bh_vtpm_cert *out, struct bh_error **err)
{
	struct bh_buf der = BH_BUF_INIT(BH_VTPM_CERT_MAX);
	struct der d, cert, tbs, tbsw, alg, sig, f, w, issuer, subject;
	uint8_t tag;
	int r = -1;

	memset(out, 0, sizeof(*out));
	out->tbs = (struct bh_buf)BH_BUF_INIT(BH_VTPM_CERT_MAX);
	out->sig = (struct bh_buf)BH_BUF_INIT(BH_VTPM_CERT_MAX);
	out->spki = (struct bh_buf)BH_BUF_INIT(BH_VTPM_CERT_MAX);
	if (n > BH_VTPM_CERT_MAX)
		return bh_error_set(err, BH_ERR_INVALID, "certificate: larger than %u bytes",
				    BH_VTPM_CERT_MAX);
	if (pem_der(p, n, &der, err) < 0)
		goto out;
	d = (struct der){ (const uint8_t *)der.data, der.len };
	if (der_expect(&d, 0x30, &cert, NULL, "certificate", err) < 0)
		goto out;
	if (d.n) {
		bh_error_set(err, BH_ERR_INVALID, "certificate: bytes after its end");
		goto out;
	}
	if (der_expect(&cert, 0x30, &tbs, &tbsw, "tbsCertificate", err) < 0 ||
	    der_expect(&cert, 0x30, &alg, NULL, "signatureAlgorithm", err) < 0 ||
	    der_expect(&cert, 0x03, &sig, NULL, "signature", err) < 0)
		goto out;
	if (cert.n) {
		bh_error_set(err, BH_ERR_INVALID, "certificate: bytes after its signature");
		goto out;
	}
	if (!der_eq(alg, OID_ECDSA_SHA256, sizeof(OID_ECDSA_SHA256))) {
		bh_error_set(
			err, BH_ERR_UNSUPPORTED,
			"certificate: not signed with ECDSA SHA-256 (the only algorithm here)");
		goto out;
	}
	if (sig.n < 2 || sig.p[0] != 0) {
		bh_error_set(err, BH_ERR_INVALID, "certificate: a malformed signature bit string");
		goto out;
	}
	if (bh_buf_add(&out->tbs, tbsw.p, tbsw.n, err) < 0 ||
	    bh_buf_add(&out->sig, sig.p + 1, sig.n - 1, err) < 0)
		goto out;
	/* version [0], serial, signature, issuer, validity, subject, SPKI, [3] extensions */
	if (der_next(&tbs, &tag, &f, NULL, err) < 0)
		goto out;
	if (tag == 0xa0 && der_next(&tbs, &tag, &f, NULL, err) < 0)
		goto out;
	if (tag != 0x02) {
		bh_error_set(err, BH_ERR_INVALID,
			     "certificate: its serialNumber is not an INTEGER");
		goto out;
	}
	if (der_expect(&tbs, 0x30, &alg, NULL, "tbsCertificate signature", err) < 0 ||
	    der_expect(&tbs, 0x30, &issuer, NULL, "issuer", err) < 0 ||
	    der_expect(&tbs, 0x30, &f, NULL, "validity", err) < 0 ||
	    der_expect(&tbs, 0x30, &subject, NULL, "subject", err) < 0 ||
	    der_expect(&tbs, 0x30, &f, &w, "subjectPublicKeyInfo", err) < 0)
		goto out;
	if (!der_eq(alg, OID_ECDSA_SHA256, sizeof(OID_ECDSA_SHA256))) {
		bh_error_set(err, BH_ERR_INVALID,
			     "certificate: its two signature algorithms differ");
		goto out;
	}
	if (bh_buf_add(&out->spki, w.p, w.n, err) < 0 ||
	    der_attr(issuer, OID_CN, sizeof(OID_CN), out->issuer, sizeof(out->issuer), err) < 0 ||
	    der_attr(subject, OID_CN, sizeof(OID_CN), out->subject, sizeof(out->subject), err) <
		    0 ||
	    der_attr(subject, OID_SERIAL, sizeof(OID_SERIAL), out->serial, sizeof(out->serial),
		     err) < 0)
		goto out;
	while (tbs.n) {
		if (der_next(&tbs, &tag, &f, NULL, err) < 0)
			goto out;
		if (tag == 0xa3) {
			struct der exts;

			if (der_expect(&f, 0x30, &exts, NULL, "extensions", err) < 0)
				goto out;
			out->ek = has_usage(exts, OID_TCG_EK, sizeof(OID_TCG_EK));
			out->ak = has_usage(exts, OID_TCG_AK, sizeof(OID_TCG_AK));
		}
	}
	r = 0;
out:
	bh_buf_release(&der);
	if (r < 0)
		bh_vtpm_cert_release(out);
	return r;
}

void bh_vtpm_cert_release(struct bh_vtpm_cert *c)
{
	bh_buf_release(&c->tbs);
	bh_buf_release(&c->sig);
	bh_buf_release(&c->spki);
}

/* ---- verifying --------------------------------------------------------------------- */

static int load_key(const char *path, const char *what, struct bh_key **k, struct bh_error **err)
{
	if (bh_key_load_public(path, k, err) < 0)
		return bh_error_prefix(err, "%s %s", what, path);
	return 0;
}

/* A certificate read from path and parsed, and its subject's key. */
static int cert_load(const char *path, const char *what, struct bh_vtpm_cert *c,
		     struct bh_key **certified, struct bh_error **err)
{
	struct bh_buf raw = BH_BUF_INIT(BH_VTPM_CERT_MAX), pem = BH_BUF_INIT(2 * BH_VTPM_CERT_MAX),
		      b64 = BH_BUF_INIT(2 * BH_VTPM_CERT_MAX);
	int r = -1;

	memset(c, 0, sizeof(*c));
	if (bh_read_file(path, &raw, err) < 0) {
		bh_error_prefix(err, "%s %s", what, path);
		goto out;
	}
	if (bh_vtpm_cert_parse(raw.data ? raw.data : "", raw.len, c, err) < 0) {
		bh_error_prefix(err, "%s %s", what, path);
		goto out;
	}
	if (bh_base64_encode(c->spki.data, c->spki.len, &b64, err) < 0 ||
	    bh_buf_adds(&pem, "-----BEGIN PUBLIC KEY-----\n", err) < 0)
		goto out;
	for (size_t i = 0; i < b64.len; i += 64)
		if (bh_buf_add(&pem, b64.data + i, b64.len - i < 64 ? b64.len - i : 64, err) < 0 ||
		    bh_buf_addc(&pem, '\n', err) < 0)
			goto out;
	if (bh_buf_adds(&pem, "-----END PUBLIC KEY-----\n", err) < 0 ||
	    bh_key_parse_public(pem.data, pem.len, certified, err) < 0) {
		bh_error_prefix(err, "%s %s: its public key", what, path);
		goto out;
	}
	r = 0;
out:
	if (r < 0)
		bh_vtpm_cert_release(c);
	bh_buf_release(&raw);
	bh_buf_release(&pem);
	bh_buf_release(&b64);
	return r;
}

int bh_vtpm_verify(const char *cert, const char *host_key, const char *ek_pub, json_t **report,
		   struct bh_error **err)
{
	struct bh_buf spki = BH_BUF_INIT(BH_VTPM_CERT_MAX);
	struct bh_vtpm_cert c;
	struct bh_key *host = NULL, *ek = NULL, *certified = NULL;
	const char *reason = NULL;
	int r = -1;

	*report = NULL;
	if (cert_load(cert, "EK certificate", &c, &certified, err) < 0)
		return -1;
	if (load_key(host_key, "host key", &host, err) < 0 ||
	    (ek_pub && load_key(ek_pub, "EK public key", &ek, err) < 0))
		goto out;
	if (!bh_key_verify(host, c.tbs.data, c.tbs.len, c.sig.data, c.sig.len))
		reason = "the signature is not the host key's (another host key, or an edited "
			 "certificate)";
	else if (!c.ek)
		reason = "not an EK certificate (no extended key usage tcg-kp-EKCertificate)";
	else if (ek) {
		if (bh_key_spki(ek, &spki, err) < 0)
			goto out;
		if (spki.len != c.spki.len || memcmp(spki.data, c.spki.data, spki.len))
			reason = "the EK given is not the certified one";
	}
	*report = json_pack("{sb ss ss ss}", "verified", !reason, "subject", c.subject, "issuer",
			    c.issuer, "ek", bh_key_id(certified));
	if (reason)
		json_object_set_new(*report, "reason", json_string(reason));
	r = 0;
out:
	bh_vtpm_cert_release(&c);
	bh_key_free(host);
	bh_key_free(ek);
	bh_key_free(certified);
	bh_buf_release(&spki);
	return r;
}

int bh_vtpm_ak_check(const char *ak_cert, const char *host_key, const char *ek_cert,
		     struct bh_key **ak, json_t **report, struct bh_error **err)
{
	struct bh_vtpm_cert c, e;
	struct bh_key *host = NULL, *ek = NULL;
	const char *reason = NULL;
	int r = -1;

	*report = NULL;
	*ak = NULL;
	memset(&e, 0, sizeof(e));
	if (cert_load(ak_cert, "AK certificate", &c, ak, err) < 0)
		return -1;
	if (load_key(host_key, "host key", &host, err) < 0 ||
	    (ek_cert && cert_load(ek_cert, "EK certificate", &e, &ek, err) < 0))
		goto out;
	if (!bh_key_verify(host, c.tbs.data, c.tbs.len, c.sig.data, c.sig.len))
		reason = "the AK certificate's signature is not the host key's (another host "
			 "key, or an edited certificate)";
	else if (!c.ak || !c.serial[0])
		reason = "not an AK certificate (no extended key usage tcg-kp-AIKCertificate "
			 "or no EK named)";
	else if (ek && !bh_key_verify(host, e.tbs.data, e.tbs.len, e.sig.data, e.sig.len))
		reason = "the EK certificate's signature is not the host key's";
	else if (ek && !e.ek)
		reason = "the EK certificate is not an EK certificate";
	else if (ek && strcmp(c.serial, bh_key_id(ek)))
		reason = "the AK certificate names another EK than the EK certificate's";
	*report = json_pack("{sb ss ss ss ss}", "verified", !reason, "subject", c.subject, "issuer",
			    c.issuer, "ak", bh_key_id(*ak), "ek", c.serial);
	if (reason)
		json_object_set_new(*report, "reason", json_string(reason));
	r = 0;
out:
	if (r < 0) {
		bh_key_free(*ak);
		*ak = NULL;
	}
	bh_vtpm_cert_release(&c);
	bh_vtpm_cert_release(&e);
	bh_key_free(host);
	bh_key_free(ek);
	return r;
}
