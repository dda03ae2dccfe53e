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
 * image: an OCI image layout directory today (store_oci.c); the registry
 * client adds a backend with the same operations. Every read is checked
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
};

/* The OCI image layout at dir (it must exist and be a layout). */
int trust_store_oci(const char *dir, struct trust_store **out, struct bh_error **err);
void trust_store_free(struct trust_store *s);
/*
 * The store that keeps IMAGE's signatures, and IMAGE opened. Today an OCI
 * layout directory ("oci:DIR[:REF]" or a plain directory); a registry
 * reference or an image archive is BH_ERR_UNSUPPORTED naming what is missing.
 */
int trust_open(const char *image, const struct bh_image_open_opts *oo, struct bh_image **img,
	       struct trust_store **store, struct bh_error **err);

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
