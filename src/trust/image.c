/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signing, attesting and verifying an image by its manifest digest, in the
 * trust store beside it (an OCI layout, store_oci.c; a registry repository,
 * store_registry.c):
 *
 *   sign    simple-signing payload -> layer of sha256-<hex>.sig (+ a bundle referrer)
 *   attest  in-toto statement in DSSE -> layer of sha256-<hex>.att (+ a bundle referrer)
 *   verify  every .sig/.att layer and every Sigstore bundle attached, per key
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/trust.h"
#include "trust/internal.h"
#include "banned.h"

#define EMPTY_CONFIG_DIGEST                                                                        \
	"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

void bh_sign_result_release(struct bh_sign_result *r)
{
	free(r->tag);
	free(r->bundle);
	memset(r, 0, sizeof(*r));
}

static const char *identity_of(const struct bh_sign_opts *o, const struct trust_target *t)
{
	if (o && o->identity)
		return o->identity;
	return t->identity ? t->identity : "";
}

/*
 * Add `layer` (its blob `blob`) to the manifest at `tag`, keeping every layer
 * already there. `dupe(existing layer)` says whether an existing layer makes
 * this one redundant.
 */
static int add_layer(struct trust_store *st, const char *tag, struct trust_desc *layer,
		     const void *blob, size_t n,
		     bool (*dupe)(const struct trust_desc *, const void *), const void *ctx,
		     struct bh_sign_result *res, struct bh_error **err)
{
	struct bh_buf cur = BH_BUF_INIT(BH_TRUST_MANIFEST_MAX),
		      man = BH_BUF_INIT(BH_TRUST_MANIFEST_MAX),
		      cfg = BH_BUF_INIT(BH_TRUST_MANIFEST_MAX);
	struct trust_sigman sm = { 0 };
	struct bh_digest d;
	char *mt = NULL;
	int found, r = -1;

	found = st->ops->get_manifest(st, tag, BH_TRUST_MANIFEST_MAX, &cur, &mt, &d, err);
	if (found < 0)
		goto out;
	if (found && trust_sigman_parse(cur.data, cur.len, &sm, err) < 0) {
		bh_error_prefix(err, "%s: the existing %s", st->name, tag);
		goto out;
	}
	res->tag = bh_strdup(tag);
	for (size_t i = 0; i < sm.nlayers; i++) {
		if (dupe && dupe(&sm.layers[i], ctx)) {
			res->already = true;
			res->manifest = d;
			res->nlayers = sm.nlayers;
			r = 0;
			goto out;
		}
	}
	if (sm.nlayers >= BH_TRUST_LAYERS_MAX) {
		bh_error_set(err, BH_ERR_LIMIT, "%s already holds %d signatures", tag,
			     BH_TRUST_LAYERS_MAX);
		goto out;
	}
	if (st->ops->put_blob(st, blob, n, &layer->digest, err) < 0)
		goto out;
	trust_sigman_add(&sm, layer);
	if (trust_sigman_build(&sm, &man, &cfg, err) < 0 ||
	    st->ops->put_blob(st, cfg.data, cfg.len, &d, err) < 0 ||
	    st->ops->put_manifest(st, tag, TRUST_MT_OCI_MANIFEST, NULL, man.data, man.len,
				  &res->manifest, err) < 0)
		goto out;
	res->nlayers = sm.nlayers;
	r = 0;
out:
	free(mt);
	trust_sigman_release(&sm);
	bh_buf_release(&cur);
	bh_buf_release(&man);
	bh_buf_release(&cfg);
	return r;
}

/* An existing .sig layer with the same payload that this key already signed. */
struct sig_dupe {
	const struct bh_key *k;
	const struct bh_digest *payload;
	const struct bh_buf *bytes;
};

static bool sig_is_dupe(const struct trust_desc *l, const void *ctx)
{
	const struct sig_dupe *s = ctx;
	const char *b64 = bh_json_str(l->annotations, TRUST_ANN_SIGNATURE);
	struct bh_buf sig = BH_BUF_INIT(BH_TRUST_SIG_MAX);
	bool yes;

	if (strcmp(l->digest.str, s->payload->str) || !b64 ||
	    bh_base64_decode(b64, strlen(b64), "signature", &sig, NULL) < 0) {
		bh_buf_release(&sig);
		return false;
	}
	yes = bh_key_verify(s->k, s->bytes->data, s->bytes->len, sig.data, sig.len) == 1;
	bh_buf_release(&sig);
	return yes;
}

/* A Sigstore bundle (DSSE) as an OCI 1.1 referrer of the image, as cosign
 * --new-bundle-format attaches it. */
static int attach_bundle(struct trust_store *st, const struct trust_target *img,
			 const struct bh_key *k, const char *statement_type, const char *statement,
			 size_t n, struct bh_sign_result *res, struct bh_error **err)
{
	struct bh_buf bundle = BH_BUF_INIT(BH_TRUST_ENVELOPE_MAX),
		      man = BH_BUF_INIT(BH_TRUST_MANIFEST_MAX);
	struct trust_desc layer = { .media_type = (char *)BH_BUNDLE_V03 };
	struct trust_desc cfg = { .media_type = (char *)TRUST_MT_OCI_EMPTY, .size = 2 };
	struct trust_desc subj = { .media_type = img->media_type,
				   .digest = img->digest,
				   .size = img->size };
	struct bh_digest d;
	char now[BH_TIME_MAX];
	json_t *doc = NULL;
	int r = -1;

	if (bh_sigbundle_sign_dsse(k, BH_INTOTO_PAYLOAD_TYPE, statement, n, &bundle, err) < 0 ||
	    st->ops->put_blob(st, "{}", 2, &d, err) < 0 ||
	    st->ops->put_blob(st, bundle.data, bundle.len, &layer.digest, err) < 0)
		goto out;
	bh_digest_parse(EMPTY_CONFIG_DIGEST, &cfg.digest, NULL);
	layer.size = (int64_t)bundle.len;
	bh_time_rfc3339(NULL, 0, now);
	doc = json_pack("{s:i, s:s, s:s, s:o, s:[o], s:o, s:{s:s, s:s, s:s}}", "schemaVersion", 2,
			"mediaType", TRUST_MT_OCI_MANIFEST, "artifactType", BH_BUNDLE_V03, "config",
			trust_desc_json(&cfg), "layers", trust_desc_json(&layer), "subject",
			trust_desc_json(&subj), "annotations", TRUST_ANN_BUNDLE_CONTENT,
			"dsse-envelope", TRUST_ANN_BUNDLE_PREDICATE, statement_type,
			"org.opencontainers.image.created", now);
	if (!doc || bh_json_dump_buf(doc, JSON_COMPACT | JSON_PRESERVE_ORDER, &man, err) < 0 ||
	    st->ops->put_manifest(st, NULL, TRUST_MT_OCI_MANIFEST, BH_BUNDLE_V03, man.data, man.len,
				  &res->referrer, err) < 0)
		goto out;
	res->bundle = bh_buf_detach(&bundle, &res->bundle_len);
	r = 0;
out:
	json_decref(doc);
	bh_buf_release(&bundle);
	bh_buf_release(&man);
	return r;
}

int bh_sign_image(const char *image, const struct bh_image_open_opts *oo, const struct bh_key *k,
		  const struct bh_sign_opts *o, struct bh_sign_result *res, struct bh_error **err)
{
	struct trust_target img = { 0 };
	struct trust_store *st = NULL;
	struct bh_buf payload = BH_BUF_INIT(BH_TRUST_PAYLOAD_MAX),
		      sig = BH_BUF_INIT(BH_TRUST_SIG_MAX), b64 = BH_BUF_INIT(1024),
		      stmt = BH_BUF_INIT(BH_TRUST_PAYLOAD_MAX);
	struct trust_desc layer = { .media_type = (char *)TRUST_MT_SIMPLESIGN };
	struct sig_dupe dupe;
	char *tag = NULL;
	int r = -1;

	memset(res, 0, sizeof(*res));
	if (!bh_key_is_private(k))
		return bh_error_set(err, BH_ERR_USAGE, "signing needs a private key");
	if (trust_open(image, oo, &img, &st, err) < 0)
		return bh_error_prefix(err, "signing %s", image);
	res->digest = img.digest;
	if (bh_simplesign_build(identity_of(o, &img), &img.digest, o ? o->annotations : NULL,
				&payload, err) < 0 ||
	    bh_key_sign(k, payload.data, payload.len, &sig, err) < 0 ||
	    bh_base64_encode(sig.data, sig.len, &b64, err) < 0)
		goto out;
	bh_sha256(payload.data, payload.len, &layer.digest);
	layer.size = (int64_t)payload.len;
	layer.annotations = json_pack("{s:s}", TRUST_ANN_SIGNATURE, b64.data);
	dupe = (struct sig_dupe){ k, &layer.digest, &payload };
	tag = trust_tag(&img.digest, ".sig");
	if (add_layer(st, tag, &layer, payload.data, payload.len, sig_is_dupe, &dupe, res, err) < 0)
		goto out;
	if (o && o->bundle) {
		if (bh_intoto_build(true, identity_of(o, &img), &img.digest,
				    BH_PREDICATE_COSIGN_SIGN, NULL, &stmt, err) < 0 ||
		    attach_bundle(st, &img, k, BH_PREDICATE_COSIGN_SIGN, stmt.data, stmt.len, res,
				  err) < 0)
			goto out;
	}
	r = 0;
out:
	if (r < 0)
		bh_error_prefix(err, "signing %s", image);
	json_decref(layer.annotations);
	free(tag);
	bh_buf_release(&payload);
	bh_buf_release(&sig);
	bh_buf_release(&b64);
	bh_buf_release(&stmt);
	trust_store_free(st);
	trust_target_release(&img);
	return r;
}

int bh_attest_image(const char *image, const struct bh_image_open_opts *oo, const struct bh_key *k,
		    const struct bh_sign_opts *o, const char *predicate_type,
		    const json_t *predicate, struct bh_sign_result *res, struct bh_error **err)
{
	struct trust_target img = { 0 };
	struct trust_store *st = NULL;
	struct bh_buf stmt = BH_BUF_INIT(BH_TRUST_ENVELOPE_MAX),
		      env = BH_BUF_INIT(BH_TRUST_ENVELOPE_MAX);
	struct trust_desc layer = { .media_type = (char *)TRUST_MT_DSSE };
	char *tag = NULL;
	int r = -1;

	memset(res, 0, sizeof(*res));
	if (!bh_key_is_private(k))
		return bh_error_set(err, BH_ERR_USAGE, "attesting needs a private key");
	if (trust_open(image, oo, &img, &st, err) < 0)
		return bh_error_prefix(err, "attesting %s", image);
	res->digest = img.digest;
	/* cosign attest writes in-toto v0.1 statements */
	if (bh_intoto_build(false, identity_of(o, &img), &img.digest, predicate_type, predicate,
			    &stmt, err) < 0 ||
	    bh_dsse_sign(k, BH_INTOTO_PAYLOAD_TYPE, stmt.data, stmt.len, &env, err) < 0)
		goto out;
	bh_sha256(env.data, env.len, &layer.digest);
	layer.size = (int64_t)env.len;
	/* cosign's attestation layer annotations: an empty signature (it is in
	 * the envelope) and the predicate type */
	layer.annotations = json_pack("{s:s, s:s}", TRUST_ANN_SIGNATURE, "", TRUST_ANN_PREDICATE,
				      predicate_type);
	tag = trust_tag(&img.digest, ".att");
	if (add_layer(st, tag, &layer, env.data, env.len, NULL, NULL, res, err) < 0)
		goto out;
	if (o && o->bundle) {
		bh_buf_reset(&stmt);
		if (bh_intoto_build(true, identity_of(o, &img), &img.digest, predicate_type,
				    predicate, &stmt, err) < 0 ||
		    attach_bundle(st, &img, k, predicate_type, stmt.data, stmt.len, res, err) < 0)
			goto out;
	}
	r = 0;
out:
	if (r < 0)
		bh_error_prefix(err, "attesting %s", image);
	json_decref(layer.annotations);
	free(tag);
	bh_buf_release(&stmt);
	bh_buf_release(&env);
	trust_store_free(st);
	trust_target_release(&img);
	return r;
}

/* ---- verification ------------------------------------------------------ */

void bh_verify_result_release(struct bh_verify_result *r)
{
	for (size_t i = 0; i < r->nsigs; i++) {
		struct bh_verify_sig *s = &r->sigs[i];

		free(s->where);
		free(s->reason);
		free(s->key_id);
		free(s->docker_reference);
		free(s->predicate_type);
	}
	free(r->sigs);
	free(r->image_name);
	memset(r, 0, sizeof(*r));
}

struct verify_ctx {
	const struct bh_verify_opts *o;
	const struct bh_digest *d;
	struct bh_verify_result *res;
	bool *key_ok; /* per key: one of its signatures verified */
};

static struct bh_verify_sig *new_sig(struct verify_ctx *c, char *where)
{
	struct bh_verify_result *r = c->res;
	struct bh_verify_sig *s;

	r->sigs = bh_reallocarray(r->sigs, r->nsigs + 1, sizeof(*r->sigs));
	s = &r->sigs[r->nsigs++];
	memset(s, 0, sizeof(*s));
	s->where = where;
	return s;
}

static void fail_sig(struct bh_verify_sig *s, struct bh_error **err)
{
	s->reason = bh_error_message(*err);
	bh_error_clear(err);
}

static void mark_ok(struct verify_ctx *c, struct bh_verify_sig *s, size_t key)
{
	s->ok = true;
	free(s->reason);
	s->reason = NULL;
	s->key_id = bh_strdup(bh_key_id(c->o->keys[key]));
	c->key_ok[key] = true;
}

static char *no_key_reason(struct verify_ctx *c, char *last)
{
	char *m;

	if (c->o->nkeys == 1)
		return last;
	m = bh_asprintf("not verified by any of the %zu keys (last: %s)", c->o->nkeys,
			last ? last : "?");
	free(last);
	return m;
}

static void check_simplesign(struct verify_ctx *c, struct trust_store *st,
			     const struct trust_desc *l, struct bh_verify_sig *s)
{
	struct bh_buf payload = BH_BUF_INIT(BH_TRUST_PAYLOAD_MAX),
		      sig = BH_BUF_INIT(BH_TRUST_SIG_MAX);
	struct bh_simplesign ss = { 0 };
	struct bh_error *e = NULL;
	const char *b64 = bh_json_str(l->annotations, TRUST_ANN_SIGNATURE);

	if (strcmp(l->media_type, TRUST_MT_SIMPLESIGN)) {
		s->reason = bh_asprintf("layer media type %.100s is not a simple-signing payload",
					l->media_type);
		goto out;
	}
	if (!b64 || !*b64) {
		s->reason = bh_strdup("no " TRUST_ANN_SIGNATURE " annotation");
		goto out;
	}
	if (bh_base64_decode(b64, strlen(b64), "signature annotation", &sig, &e) < 0 ||
	    st->ops->get_blob(st, &l->digest, l->size, BH_TRUST_PAYLOAD_MAX, &payload, &e) < 0 ||
	    bh_simplesign_parse(payload.data, payload.len, &ss, &e) < 0) {
		fail_sig(s, &e);
		goto out;
	}
	s->docker_reference = bh_strdup(ss.docker_reference);
	if (strcmp(ss.digest.str, c->d->str)) {
		s->reason = bh_asprintf("the payload is for %s, not this image's digest",
					ss.digest.str);
		goto out;
	}
	if (c->o->identity && strcmp(ss.docker_reference, c->o->identity)) {
		s->reason = bh_asprintf("docker-reference '%.200s' is not '%.200s'",
					ss.docker_reference, c->o->identity);
		goto out;
	}
	for (size_t k = 0; k < c->o->nkeys; k++) {
		if (bh_key_verify(c->o->keys[k], payload.data, payload.len, sig.data, sig.len)) {
			mark_ok(c, s, k);
			goto out;
		}
	}
	s->reason = no_key_reason(c, bh_strdup("the signature is not by this key"));
out:
	bh_simplesign_release(&ss);
	bh_buf_release(&payload);
	bh_buf_release(&sig);
}

/* sign/v1 statements are signatures; any other predicate is an attestation */
static bool wanted_predicate(struct verify_ctx *c, const char *pt)
{
	if (!c->o->attestation)
		return !strcmp(pt, BH_PREDICATE_COSIGN_SIGN);
	if (c->o->predicate_type)
		return !strcmp(pt, c->o->predicate_type);
	return strcmp(pt, BH_PREDICATE_COSIGN_SIGN) != 0;
}

static void check_dsse(struct verify_ctx *c, const struct bh_dsse *env, struct bh_verify_sig *s)
{
	char *why = NULL;

	for (size_t k = 0; k < c->o->nkeys; k++) {
		char *pt = NULL;
		int ok = trust_statement_check(env, c->o->keys[k], c->d, NULL, &pt, &why);

		if (pt && !s->predicate_type)
			s->predicate_type = bh_strdup(pt);
		if (ok && !wanted_predicate(c, pt)) {
			free(why);
			why = bh_asprintf("predicate type %.200s, not %s", pt,
					  c->o->predicate_type ? c->o->predicate_type
							       : "an attestation's");
			ok = 0;
		}
		free(pt);
		if (ok) {
			free(why);
			mark_ok(c, s, k);
			return;
		}
		if (k + 1 < c->o->nkeys) {
			free(why);
			why = NULL;
		}
	}
	s->reason = no_key_reason(c, why);
}

static void check_attestation(struct verify_ctx *c, struct trust_store *st,
			      const struct trust_desc *l, struct bh_verify_sig *s)
{
	struct bh_buf env = BH_BUF_INIT(BH_TRUST_ENVELOPE_MAX);
	struct bh_dsse e = { 0 };
	struct bh_error *err = NULL;

	if (strcmp(l->media_type, TRUST_MT_DSSE)) {
		s->reason = bh_asprintf("layer media type %.100s is not a DSSE envelope",
					l->media_type);
		goto out;
	}
	if (st->ops->get_blob(st, &l->digest, l->size, BH_TRUST_ENVELOPE_MAX, &env, &err) < 0 ||
	    bh_dsse_parse(env.data, env.len, &e, &err) < 0) {
		fail_sig(s, &err);
		goto out;
	}
	check_dsse(c, &e, s);
out:
	bh_dsse_release(&e);
	bh_buf_release(&env);
}

/* The .sig or .att manifest: one entry per layer. */
static int check_tag(struct verify_ctx *c, struct trust_store *st, struct bh_error **err)
{
	const char *suffix = c->o->attestation ? ".att" : ".sig";
	char *tag = trust_tag(c->d, suffix), *mt = NULL;
	struct bh_buf b = BH_BUF_INIT(BH_TRUST_MANIFEST_MAX);
	struct trust_sigman sm = { 0 };
	struct bh_digest md;
	int found, r = -1;

	found = st->ops->get_manifest(st, tag, BH_TRUST_MANIFEST_MAX, &b, &mt, &md, err);
	if (found <= 0) {
		r = found;
		goto out;
	}
	if (trust_sigman_parse(b.data, b.len, &sm, err) < 0) {
		/* a damaged signature manifest is a signature that does not verify */
		struct bh_verify_sig *s = new_sig(c, bh_strdup(tag));

		fail_sig(s, err);
		r = 0;
		goto out;
	}
	for (size_t i = 0; i < sm.nlayers; i++) {
		struct bh_verify_sig *s = new_sig(c, bh_asprintf("%s layer %zu", tag, i + 1));

		if (c->o->attestation) {
			const char *pt = bh_json_str(sm.layers[i].annotations, TRUST_ANN_PREDICATE);

			if (c->o->predicate_type && pt && strcmp(pt, c->o->predicate_type)) {
				/* another kind of attestation: not what was asked for */
				free(s->where);
				c->res->nsigs--;
				continue;
			}
			check_attestation(c, st, &sm.layers[i], s);
		} else {
			check_simplesign(c, st, &sm.layers[i], s);
		}
	}
	r = 0;
out:
	trust_sigman_release(&sm);
	bh_buf_release(&b);
	free(mt);
	free(tag);
	return r;
}

static void check_bundle_bytes(struct verify_ctx *c, const char *p, size_t n,
			       struct bh_verify_sig *s)
{
	struct bh_sigbundle b = { 0 };
	struct bh_error *err = NULL;

	if (bh_sigbundle_parse(p, n, &b, &err) < 0) {
		fail_sig(s, &err);
		return;
	}
	if (b.is_dsse) {
		check_dsse(c, &b.dsse, s);
	} else if (c->o->attestation) {
		s->reason = bh_strdup("a message-signature bundle is not an attestation");
	} else {
		char *why = NULL;

		for (size_t k = 0; k < c->o->nkeys; k++) {
			free(why);
			why = NULL;
			if (bh_sigbundle_verify(&b, c->o->keys[k], c->d, NULL, &why) == 1) {
				mark_ok(c, s, k);
				break;
			}
		}
		if (!s->ok)
			s->reason = no_key_reason(c, why);
		else
			free(why);
	}
	bh_sigbundle_release(&b);
}

/* A referrer manifest holding a bundle: its first layer. */
static void check_bundle_manifest(struct verify_ctx *c, struct trust_store *st,
				  const struct bh_digest *md, const char *label)
{
	struct bh_buf b = BH_BUF_INIT(BH_TRUST_MANIFEST_MAX),
		      blob = BH_BUF_INIT(BH_TRUST_ENVELOPE_MAX);
	struct trust_sigman sm = { 0 };
	struct bh_error *err = NULL;
	struct bh_verify_sig *s;
	struct bh_digest got;
	char *mt = NULL;
	char *where = bh_asprintf("%s %s (Sigstore bundle)", label, md->str);

	if (st->ops->get_manifest(st, md->str, BH_TRUST_MANIFEST_MAX, &b, &mt, &got, &err) <= 0 ||
	    trust_sigman_parse(b.data, b.len, &sm, &err) < 0) {
		s = new_sig(c, where);
		if (err)
			fail_sig(s, &err);
		else
			s->reason = bh_strdup("the referrer manifest is missing");
		goto out;
	}
	if (sm.nlayers < 1 ||
	    strncmp(sm.layers[0].media_type, "application/vnd.dev.sigstore.bundle",
		    strlen("application/vnd.dev.sigstore.bundle"))) {
		free(where); /* not a bundle: another kind of referrer */
		goto out;
	}
	s = new_sig(c, where);
	if (st->ops->get_blob(st, &sm.layers[0].digest, sm.layers[0].size, BH_TRUST_ENVELOPE_MAX,
			      &blob, &err) < 0) {
		fail_sig(s, &err);
		goto out;
	}
	check_bundle_bytes(c, blob.data, blob.len, s);
	/* a bundle of the other kind (an attestation when signatures were
	 * asked for, or the reverse) is not listed */
	if (s->predicate_type && !wanted_predicate(c, s->predicate_type)) {
		free(s->where);
		free(s->reason);
		free(s->predicate_type);
		free(s->docker_reference);
		c->res->nsigs--;
	}
out:
	trust_sigman_release(&sm);
	bh_buf_release(&b);
	bh_buf_release(&blob);
	free(mt);
}

/* Each referrer once: the API and the tag schema may both list one. */
static bool seen_before(struct bh_strvec *seen, const struct bh_digest *d)
{
	for (size_t i = 0; i < seen->n; i++)
		if (!strcmp(seen->v[i], d->str))
			return true;
	bh_strvec_push(seen, d->str);
	return false;
}

static bool is_bundle_type(const char *artifact_type)
{
	return artifact_type &&
	       bh_str_has_prefix(artifact_type, "application/vnd.dev.sigstore.bundle");
}

static int check_referrers(struct verify_ctx *c, struct trust_store *st, struct bh_error **err)
{
	struct trust_desc *refs = NULL;
	struct bh_strvec seen = BH_STRVEC_INIT;
	size_t n = 0;
	char *tag = trust_tag(c->d, "");
	struct bh_buf b = BH_BUF_INIT(BH_TRUST_MANIFEST_MAX);
	struct bh_digest md;
	char *mt = NULL;
	int found = 0;

	if (st->ops->referrers(st, c->d, &refs, &n, err) < 0) {
		free(tag);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (is_bundle_type(refs[i].artifact_type) && !seen_before(&seen, &refs[i].digest))
			check_bundle_manifest(c, st, &refs[i].digest, "referrer");
	trust_descs_free(refs, n);
	/* the referrers tag schema: an index at "sha256-<hex>" listing them
	 * (a registry store's referrers() has read it already) */
	if (!st->referrers_cover_tag_schema)
		found = st->ops->get_manifest(st, tag, BH_TRUST_MANIFEST_MAX, &b, &mt, &md, err);
	if (found > 0 && !strcmp(mt, TRUST_MT_OCI_INDEX)) {
		json_t *idx = NULL, *m;
		size_t i;

		if (bh_json_parse(b.data, b.len, BH_TRUST_MANIFEST_MAX, tag, &idx, NULL) == 0) {
			json_array_foreach (bh_json_arr(idx, "manifests"), i, m) {
				struct trust_desc d;

				if (i >= BH_TRUST_LAYERS_MAX ||
				    trust_desc_parse(m, "referrer", &d, NULL) < 0)
					break;
				if (is_bundle_type(d.artifact_type) &&
				    !seen_before(&seen, &d.digest))
					check_bundle_manifest(c, st, &d.digest,
							      "tag-schema referrer");
				trust_desc_release(&d);
			}
		}
		json_decref(idx);
	}
	bh_strvec_release(&seen);
	free(mt);
	free(tag);
	bh_buf_release(&b);
	return found < 0 ? -1 : 0;
}

int trust_verify(struct trust_store *st, const struct trust_target *t,
		 const struct bh_verify_opts *o, struct bh_verify_result *res,
		 struct bh_error **err)
{
	struct verify_ctx c = { .o = o, .res = res };
	unsigned need = o->min_signatures ? o->min_signatures : 1;
	int r = -1;

	memset(res, 0, sizeof(*res));
	res->digest = t->digest;
	res->image_name = t->name ? bh_strdup(t->name) : NULL;
	c.d = &res->digest;
	c.key_ok = bh_calloc(o->nkeys, sizeof(*c.key_ok));
	if (check_tag(&c, st, err) < 0 || check_referrers(&c, st, err) < 0)
		goto out;
	for (size_t i = 0; o->bundle_paths && o->bundle_paths[i]; i++) {
		struct bh_buf b = BH_BUF_INIT(BH_TRUST_ENVELOPE_MAX);
		struct bh_verify_sig *s = new_sig(&c, bh_asprintf("bundle %s", o->bundle_paths[i]));
		struct bh_error *e = NULL;

		if (bh_read_file(o->bundle_paths[i], &b, &e) < 0)
			fail_sig(s, &e);
		else
			check_bundle_bytes(&c, b.data, b.len, s);
		bh_buf_release(&b);
	}
	for (size_t k = 0; k < o->nkeys; k++)
		res->nvalid += c.key_ok[k];
	res->verified = res->nvalid >= need;
	res->checked_at = (int64_t)time(NULL);
	r = 0;
out:
	if (r < 0)
		bh_verify_result_release(res);
	free(c.key_ok);
	return r;
}
