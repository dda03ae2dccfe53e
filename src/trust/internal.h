/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside src/trust: where signatures are kept (struct trust_store, one
 * backend per kind of place), cosign's signature manifests, and helpers.
 * Internal symbols start with trust_.
 */
#ifndef BULKHEAD_TRUST_INTERNAL_H
#define BULKHEAD_TRUST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "bulkhead/registry.h"
#include "bulkhead/trust.h"

/* Media types and annotations as cosign writes them. */
#define TRUST_MT_OCI_MANIFEST	   "application/vnd.oci.image.manifest.v1+json"
#define TRUST_MT_OCI_INDEX	   "application/vnd.oci.image.index.v1+json"
#define TRUST_MT_OCI_CONFIG	   "application/vnd.oci.image.config.v1+json"
#define TRUST_MT_OCI_EMPTY	   "application/vnd.oci.empty.v1+json"
#define TRUST_MT_SIMPLESIGN	   "application/vnd.dev.cosign.simplesigning.v1+json"
#define TRUST_MT_DSSE		   "application/vnd.dsse.envelope.v1+json"
#define TRUST_ANN_SIGNATURE	   "dev.cosignproject.cosign/signature"
#define TRUST_ANN_PREDICATE	   "predicateType"
#define TRUST_ANN_REF_NAME	   "org.opencontainers.image.ref.name"
#define TRUST_ANN_BUNDLE_CONTENT   "dev.sigstore.bundle.content"
#define TRUST_ANN_BUNDLE_PREDICATE "dev.sigstore.bundle.predicateType"

/* A descriptor: what a manifest lists and a referrers query returns. */
struct trust_desc {
	char *media_type;
	struct bh_digest digest;
	int64_t size;
	char *artifact_type; /* may be NULL */
	json_t *annotations; /* an object, or NULL */
};
void trust_desc_release(struct trust_desc *d);
void trust_descs_free(struct trust_desc *v, size_t n);
/* Parse a descriptor object (mediaType, digest, size; artifactType and
 * annotations when present); `what` names it in errors. */
int trust_desc_parse(const json_t *o, const char *what, struct trust_desc *d,
		     struct bh_error **err);
/* A descriptor as JSON, in the OCI field order. */
json_t *trust_desc_json(const struct trust_desc *d);

/*
 * Where signatures, attestations and bundles of an image are kept, beside the
 * image: an OCI image layout directory (store_oci.c) or the image's
 * repository in a registry (store_registry.c). Every read is checked
 * against the digest it was asked for and bounded by `max`.
 */
struct trust_store;
struct trust_store_ops {
	/*
	 * The manifest (or index) at `ref`, a tag ("sha256-<hex>.sig") or a
	 * digest string: its bytes appended to body, its media type in
	 * *media_type (caller frees), its digest in *d. Returns 1 when found, 0
	 * when there is none, negative on error.
	 */
	int (*get_manifest)(struct trust_store *s, const char *ref, size_t max, struct bh_buf *body,
			    char **media_type, struct bh_digest *d, struct bh_error **err);
	/* Store a manifest (its bytes as given) and point `tag` at it (tag NULL:
	 * untagged, as a referrer is). */
	int (*put_manifest)(struct trust_store *s, const char *tag, const char *media_type,
			    const char *artifact_type, const void *p, size_t n, struct bh_digest *d,
			    struct bh_error **err);
	/* A blob by digest, verified, appended to out (size -1 = unknown). */
	int (*get_blob)(struct trust_store *s, const struct bh_digest *d, int64_t size, size_t max,
			struct bh_buf *out, struct bh_error **err);
	int (*put_blob)(struct trust_store *s, const void *p, size_t n, struct bh_digest *d,
			struct bh_error **err);
	/* The manifests whose subject is `subject` (OCI 1.1 referrers), with
	 * their artifactType. */
	int (*referrers)(struct trust_store *s, const struct bh_digest *subject,
			 struct trust_desc **out, size_t *n, struct bh_error **err);
	void (*free)(struct trust_store *s);
};
struct trust_store {
	const struct trust_store_ops *ops;
	char *name; /* for messages: "oci:DIR" */
	/* referrers() lists the referrers tag schema's index too (a registry's
	 * referrers API falls back to it), so it need not be read again */
	bool referrers_cover_tag_schema;
};

/* The OCI image layout at dir (it must exist and be a layout). */
int trust_store_oci(const char *dir, struct trust_store **out, struct bh_error **err);
/*
 * The repository `repo` (domain and path; tag and digest ignored) of a
 * registry, through the client `client` (borrowed: it must outlive the
 * store). Manifests by tag or digest, blobs verified, the referrers API with
 * the tag-schema fallback; a referrer put where the registry has no
 * referrers API is also listed in the `sha256-<hex>` index, as the
 * distribution spec asks of clients.
 */
int trust_store_registry(struct bh_registry *client, const struct bh_registry_ref *repo,
			 struct trust_store **out, struct bh_error **err);
void trust_store_free(struct trust_store *s);

/* What is signed or verified: the manifest (or index) an IMAGE names. */
struct trust_target {
	struct bh_digest digest; /* what the reference resolves to (an index's, for an index) */
	char *media_type;
	int64_t size;
	char *name;	/* the reference name: a registry's "domain/path", a layout's ref.name */
	char *identity; /* the default docker-reference / subject name ("" when none) */
	/* a registry image: */
	bool remote;
	struct bh_registry_ref ref; /* as parsed (normalised) */
	struct bh_registry *client; /* owned */
	char *manifest;		    /* the bytes resolved (hashed to digest) */
	size_t manifest_len;
};
void trust_target_release(struct trust_target *t);

/* Is IMAGE a registry reference (no local prefix, nothing on disk by that name)? */
bool trust_is_registry_ref(const char *image);
/*
 * The store that keeps IMAGE's signatures and what IMAGE names: an OCI layout
 * directory ("oci:DIR[:REF]" or a plain directory), or a registry reference
 * ("registry.example:5000/team/app:1.2", "...@sha256:...", "docker://...").
 * A registry reference by tag is resolved by a GET of its manifest (hashed
 * here); by digest, that manifest is fetched and checked against it.
 * Another kind of image (an archive, a rootfs, an engine's store) is
 * BH_ERR_UNSUPPORTED: it keeps no signatures beside it.
 */
int trust_open(const char *image, const struct bh_image_open_opts *oo, struct trust_target *t,
	       struct trust_store **store, struct bh_error **err);
/*
 * The same, for a registry reference already parsed, through a client the
 * caller keeps (registry audit: one client for every tag). `client` is
 * borrowed: t->client stays NULL.
 */
int trust_open_remote(struct bh_registry *client, const struct bh_registry_ref *ref,
		      struct trust_target *t, struct trust_store **store, struct bh_error **err);

/*
 * Verify the target in store `st` (see bh_verify_image); res is filled, the
 * caller releases it.
 */
int trust_verify(struct trust_store *st, const struct trust_target *t,
		 const struct bh_verify_opts *o, struct bh_verify_result *res,
		 struct bh_error **err);

/* ---- the cache of verified results (vcache.c) ---------------------------- */

/*
 * The key of a verification: the repository, the digest, the keys' ids
 * (sorted), the options that change the answer and bulkhead's version,
 * hashed: 64 hex characters into key. false when the options are not
 * cacheable (bundle files given).
 */
bool trust_vcache_key(const char *repository, const struct bh_digest *d,
		      const struct bh_verify_opts *o, char key[65]);
/* A cached verified result for key, still fresh at `now`: 1 and res filled,
 * 0 when there is none (or it is stale, damaged or not ours). */
int trust_vcache_get(const char *dir, const char *key, int64_t now, struct bh_verify_result *res);
/* Keep a verified result (only verified ones are kept) until now + ttl;
 * best effort: a failure is logged at debug and forgotten. */
void trust_vcache_put(const char *dir, const char *key, const char *repository, int64_t now,
		      unsigned ttl, const struct bh_verify_result *res);

/* cosign's tag for digest d with a suffix: "sha256-<hex>" + suffix (".sig"). */
char *trust_tag(const struct bh_digest *d, const char *suffix);

/*
 * A cosign signature or attestation manifest: the layers (each with its
 * annotations) of the image at a ".sig" / ".att" tag.
 */
struct trust_sigman {
	struct trust_desc *layers;
	size_t nlayers;
};
void trust_sigman_release(struct trust_sigman *m);
/* Parse a signature manifest (bounded by BH_TRUST_MANIFEST_MAX, at most
 * BH_TRUST_LAYERS_MAX layers). */
int trust_sigman_parse(const char *p, size_t n, struct trust_sigman *out, struct bh_error **err);
/*
 * The manifest and config bytes cosign writes for these layers (config as
 * go-containerregistry's empty image with one diff_id and one history entry
 * per layer; an OCI manifest).
 */
int trust_sigman_build(const struct trust_sigman *m, struct bh_buf *manifest, struct bh_buf *config,
		       struct bh_error **err);
/* Append a layer (the descriptor is copied). A layer with the same digest is
 * replaced (signing again with the same key and payload is idempotent). */
void trust_sigman_add(struct trust_sigman *m, const struct trust_desc *layer);

/*
 * Does DSSE envelope e hold an in-toto statement signed by k, with a subject
 * d and (when predicate_type is not NULL) that predicate type? 1 yes, 0 no
 * with the reason in *why; its predicate type in *pt_out (when not NULL).
 */
int trust_statement_check(const struct bh_dsse *e, const struct bh_key *k,
			  const struct bh_digest *d, const char *predicate_type, char **pt_out,
			  char **why);
/* The raw 32 bytes of a SHA-256 digest. */
void trust_digest_raw(const struct bh_digest *d, unsigned char raw[32]);

/* libcrypto loaded, or an error naming its package. */
int trust_require_crypto(struct bh_error **err);
/* Fill p with n random bytes from the kernel. */
int trust_random(void *p, size_t n, struct bh_error **err);

#endif
