/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DSSE envelopes (github.com/secure-systems-lab/dsse, protocol v1) and the
 * in-toto statements inside them, as cosign attest writes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/trust.h"
#include "trust/internal.h"
#include "banned.h"

#define MAX_SIGS     64
#define MAX_SUBJECTS 1024

int bh_dsse_pae(const char *type, const void *body, size_t n, struct bh_buf *out,
		struct bh_error **err)
{
	if (bh_buf_addf(out, err, "DSSEv1 %zu %s %zu ", strlen(type), type, n) < 0)
		return -1;
	return bh_buf_add(out, body, n, err);
}

void bh_dsse_release(struct bh_dsse *e)
{
	free(e->payload_type);
	free(e->payload);
	for (size_t i = 0; i < e->nsigs; i++) {
		free(e->sigs[i].keyid);
		free(e->sigs[i].sig);
	}
	free(e->sigs);
	memset(e, 0, sizeof(*e));
}

int bh_dsse_from_json(const json_t *o, struct bh_dsse *out, struct bh_error **err)
{
	struct bh_buf payload = BH_BUF_INIT(BH_TRUST_ENVELOPE_MAX);
	const char *type, *p;
	json_t *sigs, *s;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(o))
		return bh_error_set(err, BH_ERR_INVALID, "DSSE envelope: not a JSON object");
	type = bh_json_str(o, "payloadType");
	p = bh_json_str(o, "payload");
	sigs = bh_json_arr(o, "signatures");
	if (!type || !p || !sigs)
		return bh_error_set(err, BH_ERR_INVALID,
				    "DSSE envelope: payloadType, payload (strings) and signatures "
				    "(an array) are required");
	if (json_array_size(sigs) > MAX_SIGS)
		return bh_error_set(err, BH_ERR_LIMIT, "DSSE envelope: %zu signatures (limit %d)",
				    json_array_size(sigs), MAX_SIGS);
	if (bh_base64_decode(p, strlen(p), "DSSE payload", &payload, err) < 0) {
		bh_buf_release(&payload);
		return -1;
	}
	out->payload_type = bh_strdup(type);
	out->payload = bh_buf_detach(&payload, &out->payload_len);
	out->sigs = bh_calloc(json_array_size(sigs) + 1, sizeof(*out->sigs));
	json_array_foreach (sigs, i, s) {
		struct bh_buf sig = BH_BUF_INIT(BH_TRUST_SIG_MAX);
		const char *b64 = json_is_object(s) ? bh_json_str(s, "sig") : NULL;
		const char *keyid = json_is_object(s) ? bh_json_str(s, "keyid") : NULL;

		if (!b64) {
			bh_dsse_release(out);
			return bh_error_set(err, BH_ERR_INVALID,
					    "DSSE envelope: signatures[%zu] has no sig string", i);
		}
		if (bh_base64_decode(b64, strlen(b64), "DSSE signature", &sig, err) < 0) {
			bh_buf_release(&sig);
			bh_dsse_release(out);
			return bh_error_prefix(err, "signatures[%zu]", i);
		}
		out->sigs[out->nsigs].keyid = bh_strdup(keyid ? keyid : "");
		out->sigs[out->nsigs].sig =
			(unsigned char *)bh_buf_detach(&sig, &out->sigs[out->nsigs].len);
		out->nsigs++;
	}
	return 0;
}

int bh_dsse_parse(const char *p, size_t n, struct bh_dsse *out, struct bh_error **err)
{
	json_t *doc;
	int r;

	memset(out, 0, sizeof(*out));
	if (bh_json_parse(p, n, BH_TRUST_ENVELOPE_MAX, "DSSE envelope", &doc, err) < 0)
		return -1;
	r = bh_dsse_from_json(doc, out, err);
	json_decref(doc);
	return r;
}

int bh_dsse_sign(const struct bh_key *k, const char *payload_type, const void *payload, size_t n,
		 struct bh_buf *out, struct bh_error **err)
{
	struct bh_buf pae = BH_BUF_INIT(BH_TRUST_ENVELOPE_MAX), sig = BH_BUF_INIT(BH_TRUST_SIG_MAX);
	int r = -1;

	if (bh_dsse_pae(payload_type, payload, n, &pae, err) < 0 ||
	    bh_key_sign(k, pae.data, pae.len, &sig, err) < 0)
		goto out;
	/* go-securesystemslib's dsse.Envelope field order */
	if (bh_buf_adds(out, "{\"payloadType\":", err) < 0)
		goto out;
	{
		json_t *t = json_string(payload_type);
		int rr = t ? bh_json_dump_buf(t, JSON_ENCODE_ANY, out, err) : -1;

		json_decref(t);
		if (rr < 0) {
			bh_error_set(err, BH_ERR_INVALID, "payload type is not UTF-8");
			goto out;
		}
	}
	if (bh_buf_adds(out, ",\"payload\":\"", err) < 0 ||
	    bh_base64_encode(payload, n, out, err) < 0 ||
	    bh_buf_adds(out, "\",\"signatures\":[{\"keyid\":\"\",\"sig\":\"", err) < 0 ||
	    bh_base64_encode(sig.data, sig.len, out, err) < 0 || bh_buf_adds(out, "\"}]}", err) < 0)
		goto out;
	r = 0;
out:
	bh_buf_release(&pae);
	bh_buf_release(&sig);
	return r;
}

int bh_dsse_verify(const struct bh_dsse *e, const struct bh_key *k)
{
	struct bh_buf pae = BH_BUF_INIT(BH_TRUST_ENVELOPE_MAX + 256);
	int ok = 0;

	if (bh_dsse_pae(e->payload_type, e->payload, e->payload_len, &pae, NULL) < 0)
		return 0;
	for (size_t i = 0; i < e->nsigs && !ok; i++)
		ok = bh_key_verify(k, pae.data, pae.len, e->sigs[i].sig, e->sigs[i].len);
	bh_buf_release(&pae);
	return ok;
}

/* ---- in-toto statements ------------------------------------------------ */

int bh_intoto_build(bool v1, const char *subject_name, const struct bh_digest *digest,
		    const char *predicate_type, const json_t *predicate, struct bh_buf *out,
		    struct bh_error **err)
{
	const char *algo = digest->algo == BH_HASH_SHA512 ? "sha512" : "sha256";
	json_t *st = json_object(), *subj = json_object(), *dig = json_object();
	int r;

	/* in-toto-golang's field order: _type, predicateType, subject, predicate */
	json_object_set_new(st, "_type", json_string(v1 ? BH_INTOTO_V1 : BH_INTOTO_V01));
	json_object_set_new(st, "predicateType", json_string(predicate_type));
	json_object_set_new(subj, "name", json_string(subject_name));
	json_object_set_new(dig, algo, json_string(bh_digest_hex(digest)));
	json_object_set_new(subj, "digest", dig);
	json_object_set_new(st, "subject", json_pack("[o]", subj));
	json_object_set_new(st, "predicate",
			    predicate ? json_incref((json_t *)predicate) : json_object());
	if (!json_object_get(st, "_type") || !json_object_get(st, "predicateType") ||
	    !json_object_get(subj, "name")) {
		json_decref(st);
		return bh_error_set(err, BH_ERR_INVALID,
				    "in-toto statement: subject name or predicate type not UTF-8");
	}
	r = bh_json_dump_buf(st, JSON_COMPACT | JSON_PRESERVE_ORDER, out, err);
	json_decref(st);
	return r;
}

void bh_intoto_release(struct bh_intoto *s)
{
	free(s->type);
	free(s->predicate_type);
	json_decref(s->subject);
	json_decref(s->predicate);
	memset(s, 0, sizeof(*s));
}

int bh_intoto_parse(const char *p, size_t n, struct bh_intoto *out, struct bh_error **err)
{
	json_t *doc = NULL, *subj, *s;
	const char *type, *pt;
	size_t i;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (bh_json_parse(p, n, BH_TRUST_ENVELOPE_MAX, "in-toto statement", &doc, err) < 0)
		return -1;
	type = bh_json_str(doc, "_type");
	pt = bh_json_str(doc, "predicateType");
	subj = bh_json_arr(doc, "subject");
	if (!type || !pt || !subj) {
		bh_error_set(err, BH_ERR_INVALID,
			     "in-toto statement: _type, predicateType and subject are required");
		goto out;
	}
	if (strcmp(type, BH_INTOTO_V01) && strcmp(type, BH_INTOTO_V1)) {
		bh_error_set(err, BH_ERR_UNSUPPORTED, "in-toto statement: _type '%.100s'", type);
		goto out;
	}
	if (json_array_size(subj) == 0 || json_array_size(subj) > MAX_SUBJECTS) {
		bh_error_set(err, BH_ERR_INVALID, "in-toto statement: %zu subjects (1 to %d)",
			     json_array_size(subj), MAX_SUBJECTS);
		goto out;
	}
	json_array_foreach (subj, i, s) {
		if (!bh_json_obj(s, "digest")) {
			bh_error_set(err, BH_ERR_INVALID,
				     "in-toto statement: subject[%zu] has no digest object", i);
			goto out;
		}
	}
	out->type = bh_strdup(type);
	out->predicate_type = bh_strdup(pt);
	out->subject = json_incref(subj);
	s = json_object_get(doc, "predicate");
	out->predicate = s ? json_incref(s) : NULL;
	r = 0;
out:
	json_decref(doc);
	return r;
}

bool bh_intoto_has_subject(const struct bh_intoto *s, const struct bh_digest *d)
{
	const char *algo = d->algo == BH_HASH_SHA512 ? "sha512" : "sha256";
	size_t i;
	json_t *e;

	json_array_foreach (s->subject, i, e) {
		const char *hex = bh_json_str(bh_json_obj(e, "digest"), algo);

		if (hex && !strcmp(hex, bh_digest_hex(d)))
			return true;
	}
	return false;
}
