/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A quote verified in software against an event log: the signature is the
 * attestation key's, the nonce is the one asked for, every entry's content
 * hashes to its digest, the entries are in order with none missing, and
 * replaying them (PCR = SHA-256(PCR || digest), from zeros) yields the values
 * whose digest the TPM signed. PCRs the quote covers but the log does not
 * take their values from tpm2-tools' PCR file when one is given.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/tpm.h"
#include "bulkhead/trust.h"
#include "bulkhead/vtpm.h"
#include "internal.h"
#include "banned.h"

static int read_small(const char *path, const char *what, struct bh_buf *b, struct bh_error **err)
{
	if (bh_read_file(path, b, err) < 0)
		return bh_error_prefix(err, "%s", what);
	return 0;
}

static void sha256_raw(const void *p, size_t n, uint8_t out[32])
{
	struct bh_digest d;

	bh_sha256(p, n, &d);
	bh_hex_decode(bh_digest_hex(&d), 64, 0, out, 32);
}

static json_t *hexstr(const uint8_t *p, size_t n)
{
	char h[2 * 64 + 1];

	bh_hex_encode(p, n, h);
	return json_string(h);
}

/* The AK: PEM as is, else a TPM2B_PUBLIC made PEM. */
static int load_ak(const char *path, struct bh_key **k, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(BH_TPM_FILE_MAX), pem = BH_BUF_INIT(4096);
	int r = -1;

	if (read_small(path, "the attestation key", &b, err) < 0)
		goto out;
	if (b.len >= 10 && !memcmp(b.data, "-----BEGIN", 10)) {
		r = bh_key_parse_public(b.data, b.len, k, err);
	} else if (bh_tpm_public_pem(b.data, b.len, &pem, err) == 0) {
		r = bh_key_parse_public(pem.data, pem.len, k, err);
	}
	if (r < 0)
		bh_error_prefix(err, "the attestation key %s", path);
out:
	bh_buf_release(&b);
	bh_buf_release(&pem);
	return r;
}

static void fail(json_t *rep, const char *fmt, ...) BH_PRINTF(2, 3);
static void fail(json_t *rep, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	if (json_is_false(json_object_get(rep, "verified")))
		return; /* the first reason stays */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_set_new(rep, "verified", json_false());
	json_object_set_new(rep, "reason", json_string(msg));
}

/* Replay the log into vals (from zeros); entries listed in rep.launched. */
static void replay(json_t *entries, uint8_t vals[BH_TPM_PCRS][32], uint32_t *inlog, json_t *rep)
{
	json_t *launched = json_array(), *e;
	size_t i;

	memset(vals, 0, BH_TPM_PCRS * 32);
	*inlog = 0;
	json_array_foreach (entries, i, e) {
		json_int_t pcr = 0, rec = -1;
		uint8_t d[32], cat[64];
		json_t *l;

		bh_json_int(e, "pcr", &pcr);
		bh_json_int(e, "recnum", &rec);
		if (rec != (json_int_t)i)
			fail(rep,
			     "entry %zu has recnum %lld: entries were removed, added or reordered",
			     i, (long long)rec);
		if (!tpm_entry_content_ok(e))
			fail(rep,
			     "entry %zu (recnum %lld): its content does not hash to its digest "
			     "(edited)",
			     i, (long long)rec);
		tpm_entry_digest(e, d);
		memcpy(cat, vals[pcr], 32);
		memcpy(cat + 32, d, 32);
		sha256_raw(cat, 64, vals[pcr]);
		*inlog |= 1u << pcr;
		l = json_deep_copy(json_object_get(e, "content"));
		json_object_set_new(l, "recnum", json_integer(rec));
		json_object_set_new(l, "pcr", json_integer(pcr));
		json_array_append_new(launched, l);
	}
	json_object_set_new(rep, "launched", launched);
}

int bh_tpm_verify(const struct bh_tpm_verify_in *in, json_t **report, struct bh_error **err)
{
	struct bh_buf log = BH_BUF_INIT(BH_TPM_LOG_MAX), msg = BH_BUF_INIT(BH_TPM_FILE_MAX),
		      sig = BH_BUF_INIT(BH_TPM_FILE_MAX), der = BH_BUF_INIT(256),
		      pf = BH_BUF_INIT(BH_TPM_FILE_MAX), cat = BH_BUF_INIT(BH_TPM_PCRS * 32);
	uint8_t vals[BH_TPM_PCRS][32], fvals[BH_TPM_PCRS][32], h[32];
	struct bh_tpm_attest a;
	struct bh_key *k = NULL;
	json_t *entries = NULL, *rep = NULL, *akrep = NULL, *pcrs;
	uint32_t inlog, fmask = 0, req;
	int r = -1;

	*report = NULL;
	if (read_small(in->log, "the event log", &log, err) < 0 ||
	    bh_tpm_log_parse(log.data ? log.data : "", log.len, &entries, err) < 0) {
		bh_error_prefix(err, "event log %s", in->log);
		goto out;
	}
	if (read_small(in->quote, "the quote", &msg, err) < 0 ||
	    bh_tpm_attest_parse(msg.data, msg.len, &a, err) < 0) {
		bh_error_prefix(err, "quote %s", in->quote);
		goto out;
	}
	if (read_small(in->sig, "the signature", &sig, err) < 0 ||
	    bh_tpm_sig_parse(sig.data, sig.len, &der, err) < 0) {
		bh_error_prefix(err, "signature %s", in->sig);
		goto out;
	}
	if (in->ak_cert) {
		if (!in->host_key) {
			bh_error_set(err, BH_ERR_INVALID, "an AK certificate without the host key");
			goto out;
		}
		if (bh_vtpm_ak_check(in->ak_cert, in->host_key, in->ek_cert, &k, &akrep, err) < 0)
			goto out;
	} else if (load_ak(in->ak, &k, err) < 0) {
		goto out;
	}
	if (in->pcrs && (read_small(in->pcrs, "the PCR file", &pf, err) < 0 ||
			 bh_tpm_pcrs_parse(pf.data, pf.len, &fmask, fvals, err) < 0)) {
		bh_error_prefix(err, "PCR file %s", in->pcrs);
		goto out;
	}
	rep = json_pack("{sb so so}", "verified", 1, "nonce", hexstr(a.nonce, a.nonce_len),
			"quote_pcr_digest", hexstr(a.pcr_digest, a.pcr_digest_len));
	json_object_set_new(rep, "clock", json_integer((json_int_t)a.clock));
	json_object_set_new(rep, "reset_count", json_integer(a.reset_count));
	json_object_set_new(rep, "ak", json_string(bh_key_id(k)));
	if (akrep) {
		if (!json_is_true(json_object_get(akrep, "verified")))
			fail(rep, "%s", bh_json_str(akrep, "reason"));
		json_object_set(rep, "ak_cert", akrep);
	}
	sha256_raw(msg.data, msg.len, h);
	if (bh_key_verify_hash(k, h, der.data, der.len) != 1)
		fail(rep, "the signature is not the attestation key's");
	if (a.nonce_len != in->nonce_len || memcmp(a.nonce, in->nonce, in->nonce_len))
		fail(rep, "the quote is for another nonce");
	req = in->required ? in->required : 1u << BH_TPM_DEFAULT_PCR;
	if ((a.pcr_mask & req) != req)
		fail(rep,
		     "the quote does not cover the measured PCRs (quoted 0x%06x, required 0x%06x)",
		     a.pcr_mask, req);
	replay(entries, vals, &inlog, rep);
	if (inlog & ~a.pcr_mask)
		fail(rep,
		     "the log has entries for PCRs the quote does not cover (quoted 0x%06x, "
		     "logged 0x%06x)",
		     a.pcr_mask, inlog);
	pcrs = json_object();
	for (int p = 0; p < BH_TPM_PCRS; p++) {
		char key[4];

		if (!(a.pcr_mask & (1u << p)))
			continue;
		if (!(inlog & (1u << p))) {
			if (!(fmask & (1u << p))) {
				/* a PCR no entry extended: its reset value */
				memset(vals[p], 0, 32);
			} else {
				memcpy(vals[p], fvals[p], 32);
			}
		}
		snprintf(key, sizeof(key), "%d", p);
		json_object_set_new(pcrs, key, hexstr(vals[p], 32));
		if (bh_buf_add(&cat, vals[p], 32, err) < 0)
			goto out;
	}
	json_object_set_new(rep, "pcrs", pcrs);
	sha256_raw(cat.data ? cat.data : "", cat.len, h);
	json_object_set_new(rep, "replayed_pcr_digest", hexstr(h, 32));
	if (a.pcr_digest_len != 32 || memcmp(h, a.pcr_digest, 32))
		fail(rep,
		     "the log does not replay to the quoted PCR digest (an entry was edited, "
		     "removed, added or reordered, or the PCRs were extended outside the log)");
	*report = rep;
	rep = NULL;
	r = 0;
out:
	json_decref(rep);
	json_decref(akrep);
	json_decref(entries);
	bh_key_free(k);
	bh_buf_release(&log);
	bh_buf_release(&msg);
	bh_buf_release(&sig);
	bh_buf_release(&der);
	bh_buf_release(&pf);
	bh_buf_release(&cat);
	return r;
}
