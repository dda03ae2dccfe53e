/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sigstore bundles (protobuf-specs dev.sigstore.bundle.v1.Bundle, JSON form)
 * v0.1 to v0.3, keyed: verification by a public key the caller trusts.
 * Fulcio certificates, Rekor entries and RFC 3161 timestamps are parsed and
 * kept in `json` but not verified: that needs the transparency log's and
 * the authorities' keys (a trusted root), which is not an offline check.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/trust.h"
#include "trust/internal.h"
#include "banned.h"

void bh_sigbundle_release(struct bh_sigbundle *b)
{
	free(b->media_type);
	free(b->key_hint);
	bh_dsse_release(&b->dsse);
	free(b->digest_algorithm);
	free(b->sig);
	json_decref(b->json);
	memset(b, 0, sizeof(*b));
}

static bool known_media_type(const char *mt)
{
	return !strcmp(mt, BH_BUNDLE_V03) ||
	       !strcmp(mt, "application/vnd.dev.sigstore.bundle+json;version=0.3") ||
	       !strcmp(mt, "application/vnd.dev.sigstore.bundle+json;version=0.2") ||
	       !strcmp(mt, "application/vnd.dev.sigstore.bundle+json;version=0.1");
}

int bh_sigbundle_parse(const char *p, size_t n, struct bh_sigbundle *out, struct bh_error **err)
{
	json_t *doc = NULL, *vm, *ms, *de, *tl;
	const char *mt;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (bh_json_parse(p, n, BH_TRUST_ENVELOPE_MAX, "Sigstore bundle", &doc, err) < 0)
		return -1;
	mt = bh_json_str(doc, "mediaType");
	if (!mt) {
		bh_error_set(err, BH_ERR_INVALID, "Sigstore bundle: no mediaType");
		goto out;
	}
	if (!known_media_type(mt)) {
		bh_error_set(err, BH_ERR_UNSUPPORTED, "Sigstore bundle: media type '%.100s'", mt);
		goto out;
	}
	vm = bh_json_obj(doc, "verificationMaterial");
	if (!vm) {
		bh_error_set(err, BH_ERR_INVALID, "Sigstore bundle: no verificationMaterial");
		goto out;
	}
	if (bh_json_obj(vm, "publicKey")) {
		const char *hint = bh_json_str(bh_json_obj(vm, "publicKey"), "hint");

		out->key_hint = hint ? bh_strdup(hint) : NULL;
	} else if (bh_json_obj(vm, "certificate") || bh_json_obj(vm, "x509CertificateChain")) {
		out->has_certificate = true;
	} else {
		bh_error_set(err, BH_ERR_INVALID,
			     "Sigstore bundle: verificationMaterial has no publicKey, certificate "
			     "or x509CertificateChain");
		goto out;
	}
	tl = json_object_get(vm, "tlogEntries");
	if (tl && !json_is_array(tl)) {
		bh_error_set(err, BH_ERR_INVALID, "Sigstore bundle: tlogEntries is not an array");
		goto out;
	}
	out->ntlog_entries = tl ? json_array_size(tl) : 0;
	ms = bh_json_obj(doc, "messageSignature");
	de = bh_json_obj(doc, "dsseEnvelope");
	if (!!ms == !!de) {
		bh_error_set(err, BH_ERR_INVALID,
			     "Sigstore bundle: exactly one of messageSignature and dsseEnvelope is "
			     "required");
		goto out;
	}
	if (de) {
		out->is_dsse = true;
		if (bh_dsse_from_json(de, &out->dsse, err) < 0) {
			bh_error_prefix(err, "Sigstore bundle");
			goto out;
		}
	} else {
		json_t *md = bh_json_obj(ms, "messageDigest");
		const char *alg = md ? bh_json_str(md, "algorithm") : NULL;
		const char *dig = md ? bh_json_str(md, "digest") : NULL;
		const char *sig = bh_json_str(ms, "signature");
		struct bh_buf b = BH_BUF_INIT(sizeof(out->digest)),
			      s = BH_BUF_INIT(BH_TRUST_SIG_MAX);

		if (!alg || !dig || !sig) {
			bh_error_set(
				err, BH_ERR_INVALID,
				"Sigstore bundle: messageSignature needs messageDigest.algorithm, "
				"messageDigest.digest and signature");
			goto out;
		}
		if (bh_base64_decode(dig, strlen(dig), "Sigstore bundle: message digest", &b, err) <
			    0 ||
		    bh_base64_decode(sig, strlen(sig), "Sigstore bundle: signature", &s, err) < 0) {
			bh_buf_release(&b);
			bh_buf_release(&s);
			goto out;
		}
		out->digest_algorithm = bh_strdup(alg);
		memcpy(out->digest, b.data, b.len);
		out->digest_len = b.len;
		out->sig = (unsigned char *)bh_buf_detach(&s, &out->siglen);
		bh_buf_release(&b);
	}
	out->media_type = bh_strdup(mt);
	out->json = json_incref(doc);
	r = 0;
out:
	json_decref(doc);
	if (r < 0)
		bh_sigbundle_release(out);
	return r;
}

/* {"mediaType":..,"verificationMaterial":{"publicKey":{"hint":..},"tlogEntries":[]}} */
static json_t *bundle_head(const struct bh_key *k)
{
	return json_pack("{s:s, s:{s:{s:s}, s:[]}}", "mediaType", BH_BUNDLE_V03,
			 "verificationMaterial", "publicKey", "hint", bh_key_id(k), "tlogEntries");
}

static int b64_string(const void *p, size_t n, json_t **out, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(BH_TRUST_ENVELOPE_MAX);

	if (bh_base64_encode(p, n, &b, err) < 0) {
		bh_buf_release(&b);
		return -1;
	}
	*out = json_stringn(b.data ? b.data : "", b.len);
	bh_buf_release(&b);
	return 0;
}

int bh_sigbundle_sign_message(const struct bh_key *k, const void *artifact, size_t n,
			      struct bh_buf *out, struct bh_error **err)
{
	struct bh_buf sig = BH_BUF_INIT(BH_TRUST_SIG_MAX);
	struct bh_digest d;
	unsigned char raw[32];
	json_t *doc = NULL, *jd = NULL, *js = NULL;
	int r = -1;

	bh_sha256(artifact, n, &d);
	trust_digest_raw(&d, raw);
	if (bh_key_sign(k, artifact, n, &sig, err) < 0 || b64_string(raw, 32, &jd, err) < 0 ||
	    b64_string(sig.data, sig.len, &js, err) < 0)
		goto out;
	doc = bundle_head(k);
	json_object_set_new(doc, "messageSignature",
			    json_pack("{s:{s:s, s:o}, s:o}", "messageDigest", "algorithm",
				      "SHA2_256", "digest", jd, "signature", js));
	jd = js = NULL;
	r = bh_json_dump_buf(doc, JSON_COMPACT | JSON_PRESERVE_ORDER, out, err);
out:
	json_decref(doc);
	json_decref(jd);
	json_decref(js);
	bh_buf_release(&sig);
	return r;
}

int bh_sigbundle_sign_dsse(const struct bh_key *k, const char *payload_type, const void *payload,
			   size_t n, struct bh_buf *out, struct bh_error **err)
{
	struct bh_buf env = BH_BUF_INIT(BH_TRUST_ENVELOPE_MAX);
	json_t *doc = NULL, *je = NULL;
	int r = -1;

	if (bh_dsse_sign(k, payload_type, payload, n, &env, err) < 0 ||
	    bh_json_parse(env.data, env.len, BH_TRUST_ENVELOPE_MAX, "DSSE envelope", &je, err) < 0)
		goto out;
	doc = bundle_head(k);
	json_object_set_new(doc, "dsseEnvelope", je);
	r = bh_json_dump_buf(doc, JSON_COMPACT | JSON_PRESERVE_ORDER, out, err);
out:
	json_decref(doc);
	bh_buf_release(&env);
	return r;
}

void trust_digest_raw(const struct bh_digest *d, unsigned char raw[32])
{
	bh_hex_decode(bh_digest_hex(d), 64, 0, raw, 32);
}

static int no(char **why, const char *fmt, ...) BH_PRINTF(2, 3);
static int no(char **why, const char *fmt, ...)
{
	va_list ap;

	if (why) {
		struct bh_buf b = BH_BUF_INIT(4096);

		va_start(ap, fmt);
		bh_buf_vaddf(&b, NULL, fmt, ap);
		va_end(ap);
		*why = bh_buf_detach(&b, NULL);
	}
	return 0;
}

int trust_statement_check(const struct bh_dsse *e, const struct bh_key *k,
			  const struct bh_digest *d, const char *predicate_type, char **pt_out,
			  char **why)
{
	struct bh_intoto st;
	struct bh_error *e2 = NULL;
	int ok;

	if (pt_out)
		*pt_out = NULL;
	if (strcmp(e->payload_type, BH_INTOTO_PAYLOAD_TYPE))
		return no(why, "DSSE payload type '%.100s' is not an in-toto statement",
			  e->payload_type);
	if (bh_intoto_parse(e->payload, e->payload_len, &st, &e2) < 0) {
		char *m = bh_error_message(e2);

		no(why, "%s", m);
		free(m);
		bh_error_free(e2);
		return 0;
	}
	if (pt_out)
		*pt_out = bh_strdup(st.predicate_type);
	if (!bh_dsse_verify(e, k))
		ok = no(why, "the DSSE signature is not by this key");
	else if (!bh_intoto_has_subject(&st, d))
		ok = no(why, "the statement is about another artifact (no subject %s)", d->str);
	else if (predicate_type && strcmp(st.predicate_type, predicate_type))
		ok = no(why, "predicate type %.200s, not %s", st.predicate_type, predicate_type);
	else
		ok = 1;
	bh_intoto_release(&st);
	return ok;
}

int bh_sigbundle_verify(const struct bh_sigbundle *b, const struct bh_key *k,
			const struct bh_digest *d, const char *predicate_type, char **why)
{
	unsigned char raw[32];

	if (why)
		*why = NULL;
	if (b->is_dsse)
		return trust_statement_check(&b->dsse, k, d, predicate_type, NULL, why);
	if (predicate_type)
		return no(why, "a message signature carries no %s statement", predicate_type);
	if (strcmp(b->digest_algorithm, "SHA2_256") || b->digest_len != 32)
		return no(why, "message digest algorithm %.40s (only SHA2_256)",
			  b->digest_algorithm);
	if (d->algo != BH_HASH_SHA256)
		return no(why, "digest %s is not SHA-256", d->str);
	trust_digest_raw(d, raw);
	if (memcmp(raw, b->digest, 32))
		return no(why, "the bundle signs another digest, not %s", d->str);
	if (!bh_key_verify_hash(k, b->digest, b->sig, b->siglen))
		return no(why, "the signature is not by this key");
	return 1;
}
