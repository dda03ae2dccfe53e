/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead trust: keys, cosign-compatible signatures and attestations,
 * Sigstore bundles, and verification by image digest (NIST SP 800-190
 * 4.1.5, untrusted images).
 *
 * What is compatible with what:
 *  - key files are cosign's: `P.pub` a PEM "PUBLIC KEY" (SubjectPublicKeyInfo,
 *    ECDSA P-256) and `P.key` a PEM block holding go-securesystemslib's
 *    encrypted envelope (scrypt + NaCl secretbox, JSON, base64) around a
 *    PKCS#8 DER key. Read: labels "ENCRYPTED COSIGN PRIVATE KEY" and
 *    "ENCRYPTED SIGSTORE PRIVATE KEY" with the three scrypt strengths
 *    go-securesystemslib accepts (N = 2^15, 2^16, 2^17; r = 8, p = 1), and
 *    unencrypted "PRIVATE KEY" (PKCS#8, openssl genpkey) and "EC PRIVATE KEY"
 *    (SEC 1). Written: "ENCRYPTED COSIGN PRIVATE KEY" with N = 32768, which
 *    every cosign release reads. Only P-256 keys are accepted.
 *  - signatures are cosign's tag layout: an OCI manifest at tag
 *    `sha256-<hex>.sig` whose layers are simple-signing payloads, the
 *    signature in the layer annotation `dev.cosignproject.cosign/signature`;
 *  - attestations are in-toto statements in DSSE envelopes at
 *    `sha256-<hex>.att`, as `cosign attest` writes them;
 *  - Sigstore bundles v0.3 with a public key (no Fulcio certificate): their
 *    Rekor entries and timestamps are parsed and kept but not verified, since
 *    that needs the transparency log's keys and is not an offline check.
 *
 * Parsers of untrusted bytes take (pointer, length) and enforce the size
 * limits below.
 *
 * Ownership, for the whole library (as include/bulkhead/base.h):
 *  - `const T *` arguments are borrowed for the duration of the call;
 *  - `T **out` arguments hand a new object to the caller, who releases it
 *    with the matching `_free()`; a struct filled by `_parse()` is released
 *    with the matching `_release()`;
 *  - every `_free(NULL)` and `_release()` of a zeroed struct is a no-op.
 *
 * Errors: a function returns 0 (or a non-negative count) on success and a
 * negative value on failure, after storing a `struct bh_error` in `*err`.
 * Verification functions return 1 for "verified", 0 for "does not verify"
 * (with the reason in *why, a string the caller frees, when why is not
 * NULL), and negative only for an error that prevents the check (bad input,
 * I/O).
 */
#ifndef BULKHEAD_TRUST_H
#define BULKHEAD_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "bulkhead/base.h"
#include "bulkhead/image.h"

/* ---- limits ------------------------------------------------------------ */

#define BH_TRUST_KEY_MAX      (64 * 1024)	 /* a key file */
#define BH_TRUST_PAYLOAD_MAX  (1024 * 1024)	 /* a simple-signing payload */
#define BH_TRUST_ENVELOPE_MAX (64 * 1024 * 1024) /* a DSSE envelope or a bundle (SBOMs are big) */
#define BH_TRUST_MANIFEST_MAX (4 * 1024 * 1024)	 /* a signature manifest */
#define BH_TRUST_SIG_MAX      512		 /* one DER signature */
#define BH_TRUST_LAYERS_MAX   1024		 /* signatures in one signature manifest */

/* ---- PEM (strict base64 is in base.h) --------------------------------- */

/*
 * The first PEM block in (p, n): its label ("PUBLIC KEY") in *label (caller
 * frees) and its decoded body appended to der. Text before the block is
 * ignored, as Go's pem.Decode does; header lines ("Proc-Type:") are refused.
 */
int bh_pem_decode(const char *p, size_t n, char **label, struct bh_buf *der, struct bh_error **err);
/* Append a PEM block (64-column lines) to out. */
int bh_pem_encode(const char *label, const void *der, size_t n, struct bh_buf *out,
		  struct bh_error **err);

/* ---- keys -------------------------------------------------------------- */

struct bh_key; /* an ECDSA P-256 key: a private key, or a public key only */

enum bh_key_file_kind {
	BH_KEYFILE_ENCRYPTED = 1, /* cosign / sigstore encrypted private key */
	BH_KEYFILE_PRIVATE,	  /* unencrypted PKCS#8 or SEC 1 private key */
	BH_KEYFILE_PUBLIC,	  /* PEM "PUBLIC KEY" */
};

/* What a key file holds (from its PEM label), so the caller knows whether to
 * ask for a passphrase. An unknown label is an error naming it. */
int bh_key_file_kind(const char *pem, size_t n, enum bh_key_file_kind *kind, struct bh_error **err);

/* A new random P-256 key pair. */
int bh_key_generate(struct bh_key **out, struct bh_error **err);
/*
 * A private key from a key file: encrypted (pass, passlen: the passphrase;
 * an empty one is valid, as cosign's; NULL is "none given", an error for an
 * encrypted key) or plain PKCS#8 / SEC 1. A wrong passphrase is
 * BH_ERR_INVALID "wrong passphrase (or a damaged key file)".
 */
int bh_key_parse_private(const char *pem, size_t n, const char *pass, size_t passlen,
			 struct bh_key **out, struct bh_error **err);
/* A public key: a PEM "PUBLIC KEY", or the public half of a plain private key. */
int bh_key_parse_public(const char *pem, size_t n, struct bh_key **out, struct bh_error **err);
/* Read a key file (bounded by BH_TRUST_KEY_MAX) and parse it as above. */
int bh_key_load_public(const char *path, struct bh_key **out, struct bh_error **err);
bool bh_key_is_private(const struct bh_key *k);
/* The key's id: "sha256:" and the hex SHA-256 of its SubjectPublicKeyInfo DER. */
const char *bh_key_id(const struct bh_key *k);
/* The public key's SubjectPublicKeyInfo DER appended to out. */
int bh_key_spki(const struct bh_key *k, struct bh_buf *out, struct bh_error **err);
void bh_key_free(struct bh_key *k);

/* The PEM "PUBLIC KEY" block appended to out. */
int bh_key_pem_public(const struct bh_key *k, struct bh_buf *out, struct bh_error **err);
/* The encrypted private key file ("ENCRYPTED COSIGN PRIVATE KEY", scrypt
 * N = 32768, r = 8, p = 1) appended to out. */
int bh_key_pem_private(const struct bh_key *k, const char *pass, size_t passlen, struct bh_buf *out,
		       struct bh_error **err);
/*
 * Write PREFIX.key (encrypted, mode 0600) and PREFIX.pub (0644), each
 * atomically (a temporary beside it, then a rename). Existing files are an
 * error (BH_ERR_USAGE) unless `force`; on any failure neither file is left
 * new or half-written.
 */
int bh_key_save_pair(const struct bh_key *k, const char *prefix, const char *pass, size_t passlen,
		     bool force, struct bh_error **err);

/* ECDSA over SHA-256 of (msg, n): the DER signature appended to sig. */
int bh_key_sign(const struct bh_key *k, const void *msg, size_t n, struct bh_buf *sig,
		struct bh_error **err);
/* 1 if (sig, siglen) is k's signature of (msg, n), else 0. Never an error for
 * a malformed signature: that is "does not verify". */
int bh_key_verify(const struct bh_key *k, const void *msg, size_t n, const void *sig,
		  size_t siglen);
/* The same over a SHA-256 hash computed elsewhere. */
int bh_key_verify_hash(const struct bh_key *k, const uint8_t hash[32], const void *sig,
		       size_t siglen);

/*
 * go-securesystemslib's encrypted envelope: {"kdf":{"name":"scrypt",
 * "params":{"N":..,"r":..,"p":..},"salt":..},"cipher":{"name":"nacl/secretbox",
 * "nonce":..},"ciphertext":..}. Exposed for tests and fuzzing.
 */
int bh_sealed_open(const char *json, size_t n, const char *pass, size_t passlen,
		   struct bh_buf *plain, struct bh_error **err);
int bh_sealed_seal(const void *plain, size_t n, const char *pass, size_t passlen,
		   struct bh_buf *json, struct bh_error **err);

/* ---- the simple-signing payload ---------------------------------------- */

#define BH_COSIGN_SIG_TYPE "cosign container image signature"

struct bh_simplesign {
	char *docker_reference;	 /* critical.identity.docker-reference */
	struct bh_digest digest; /* critical.image.docker-manifest-digest */
	char *type;		 /* critical.type */
	json_t *optional;	 /* an object, or NULL (JSON null or absent) */
};

/*
 * The payload exactly as cosign writes it (Go's encoding/json of its
 * struct): {"critical":{"identity":{"docker-reference":REF},"image":
 * {"docker-manifest-digest":DIGEST},"type":"cosign container image
 * signature"},"optional":OPTIONAL} with OPTIONAL null when `optional` is
 * NULL or empty, else the object with its keys sorted.
 */
int bh_simplesign_build(const char *docker_reference, const struct bh_digest *digest,
			const json_t *optional, struct bh_buf *out, struct bh_error **err);
/* Parse strictly: every critical key present with the right type, no other
 * critical key, a valid digest, at most BH_TRUST_PAYLOAD_MAX bytes. */
int bh_simplesign_parse(const char *p, size_t n, struct bh_simplesign *out, struct bh_error **err);
void bh_simplesign_release(struct bh_simplesign *s);

/* ---- DSSE and in-toto -------------------------------------------------- */

#define BH_INTOTO_PAYLOAD_TYPE	 "application/vnd.in-toto+json"
#define BH_INTOTO_V01		 "https://in-toto.io/Statement/v0.1"
#define BH_INTOTO_V1		 "https://in-toto.io/Statement/v1"
#define BH_PREDICATE_CYCLONEDX	 "https://cyclonedx.org/bom"
#define BH_PREDICATE_VULN	 "https://cosign.sigstore.dev/attestation/vuln/v1"
#define BH_PREDICATE_COSIGN_SIGN "https://sigstore.dev/cosign/sign/v1"

/* The DSSE pre-authentication encoding: "DSSEv1 " LEN(type) " " type " "
 * LEN(body) " " body, lengths in ASCII decimal. */
int bh_dsse_pae(const char *type, const void *body, size_t n, struct bh_buf *out,
		struct bh_error **err);

struct bh_dsse_sig {
	char *keyid; /* may be "" */
	unsigned char *sig;
	size_t len;
};

struct bh_dsse {
	char *payload_type;
	char *payload; /* decoded; NUL-terminated */
	size_t payload_len;
	struct bh_dsse_sig *sigs;
	size_t nsigs;
};

/* Parse an envelope {"payloadType","payload","signatures":[{"keyid","sig"}]}. */
int bh_dsse_parse(const char *p, size_t n, struct bh_dsse *out, struct bh_error **err);
/* The same from a parsed JSON object (a bundle's dsseEnvelope). */
int bh_dsse_from_json(const json_t *o, struct bh_dsse *out, struct bh_error **err);
void bh_dsse_release(struct bh_dsse *e);
/* Sign (payload_type, payload) with k: a compact envelope JSON with one
 * signature (keyid "") into out. */
int bh_dsse_sign(const struct bh_key *k, const char *payload_type, const void *payload, size_t n,
		 struct bh_buf *out, struct bh_error **err);
/* 1 when one of e's signatures is k's over the PAE, else 0. */
int bh_dsse_verify(const struct bh_dsse *e, const struct bh_key *k);

struct bh_intoto {
	char *type;	      /* _type */
	char *predicate_type; /* predicateType */
	json_t *subject;      /* the array */
	json_t *predicate;    /* may be NULL */
};

/*
 * An in-toto statement (v0.1 or v1: `v1` picks _type) with one subject
 * {name, digest: {sha256: hex}} and the predicate (borrowed; NULL = {}),
 * compact JSON into out.
 */
int bh_intoto_build(bool v1, const char *subject_name, const struct bh_digest *digest,
		    const char *predicate_type, const json_t *predicate, struct bh_buf *out,
		    struct bh_error **err);
int bh_intoto_parse(const char *p, size_t n, struct bh_intoto *out, struct bh_error **err);
void bh_intoto_release(struct bh_intoto *s);
/* Whether one subject names digest d (by its algorithm and hex). */
bool bh_intoto_has_subject(const struct bh_intoto *s, const struct bh_digest *d);

/* ---- Sigstore bundles -------------------------------------------------- */

#define BH_BUNDLE_V03 "application/vnd.dev.sigstore.bundle.v0.3+json"

struct bh_sigbundle {
	char *media_type;
	char *key_hint;		/* verificationMaterial.publicKey.hint, or NULL */
	bool has_certificate;	/* a Fulcio certificate (not verified here) */
	size_t ntlog_entries;	/* Rekor entries (kept, not verified offline) */
	bool is_dsse;		/* dsseEnvelope, else messageSignature */
	struct bh_dsse dsse;	/* when is_dsse */
	char *digest_algorithm; /* messageSignature.messageDigest.algorithm */
	unsigned char digest[64];
	size_t digest_len;
	unsigned char *sig; /* messageSignature.signature */
	size_t siglen;
	json_t *json; /* the whole document, every field kept */
};

int bh_sigbundle_parse(const char *p, size_t n, struct bh_sigbundle *out, struct bh_error **err);
void bh_sigbundle_release(struct bh_sigbundle *b);
/* A v0.3 bundle with messageSignature over the SHA-256 of (artifact, n),
 * verification material the public key with hint = bh_key_id(k). */
int bh_sigbundle_sign_message(const struct bh_key *k, const void *artifact, size_t n,
			      struct bh_buf *out, struct bh_error **err);
/* A v0.3 bundle with a DSSE envelope of (payload_type, payload). */
int bh_sigbundle_sign_dsse(const struct bh_key *k, const char *payload_type, const void *payload,
			   size_t n, struct bh_buf *out, struct bh_error **err);
/*
 * Does the bundle verify, with key k, for the image (or artifact) digest d?
 * messageSignature: the message digest is d and the signature is k's over
 * it. dsseEnvelope: k signed it, the payload is an in-toto statement with a
 * subject d and, when predicate_type is not NULL, that predicate type.
 */
int bh_sigbundle_verify(const struct bh_sigbundle *b, const struct bh_key *k,
			const struct bh_digest *d, const char *predicate_type, char **why);

/* ---- signing and verifying images --------------------------------------- */

struct bh_sign_opts {
	const char *identity;	   /* docker-reference / subject name; NULL = the image's name */
	const json_t *annotations; /* the payload's "optional" object, or NULL */
	/* Also (sign) or instead (attest: in addition to .att) attach a Sigstore
	 * bundle v0.3 with a DSSE envelope as an OCI 1.1 referrer, as cosign
	 * --new-bundle-format does. */
	bool bundle;
};

struct bh_sign_result {
	struct bh_digest digest;   /* the image manifest digest signed */
	char *tag;		   /* "sha256-<hex>.sig" or ".att" */
	struct bh_digest manifest; /* the signature manifest's digest */
	size_t nlayers;		   /* signatures now in it */
	bool already;		   /* this key had signed this payload: nothing added */
	struct bh_digest referrer; /* with opts.bundle: the referrer manifest */
	char *bundle;		   /* with opts.bundle: the bundle JSON */
	size_t bundle_len;
};
void bh_sign_result_release(struct bh_sign_result *r);

/*
 * Where IMAGE's signatures live, and what is signed:
 *  - an OCI layout ("oci:DIR[:REF]" or a directory): the manifest chosen in
 *    it (by --ref and platform), its signatures in the same layout;
 *  - a registry reference ("registry.example:5000/team/app:1.2",
 *    "...@sha256:...", "docker://..."), with the registry options of `oo`:
 *    the digest the reference resolves to (the index's when it names an
 *    index, as cosign signs), hashed from the manifest received; signatures
 *    are tags and referrers of the same repository. The default identity
 *    (docker-reference) is the repository, "domain/path", as cosign's.
 * Any other image (an archive, a rootfs, an engine's store) is
 * BH_ERR_UNSUPPORTED: it keeps no signatures beside it.
 *
 * Sign IMAGE: a simple-signing payload for its manifest digest, added as a
 * layer to the signature manifest at `sha256-<hex>.sig` beside it, keeping
 * every existing layer (another signer's too). Like cosign's, adding a layer
 * to a registry's `.sig` tag is a read-modify-write: two signers at the same
 * instant can lose one layer (sign again to restore it).
 */
int bh_sign_image(const char *image, const struct bh_image_open_opts *oo, const struct bh_key *k,
		  const struct bh_sign_opts *o, struct bh_sign_result *res, struct bh_error **err);
/*
 * Attach an in-toto statement (v0.1, as cosign attest) for IMAGE's digest
 * with predicate_type and predicate (borrowed), signed in a DSSE envelope, as
 * a layer of the manifest at `sha256-<hex>.att`.
 */
struct bh_scan_opts;
/*
 * The predicate bulkhead makes for `predicate_type` of the image `img`
 * (borrowed): BH_PREDICATE_CYCLONEDX, the CycloneDX SBOM of its inventory;
 * BH_PREDICATE_VULN, a vulnerability scan against the advisory store in `so`
 * (store or store_path), bulkhead's JSON report in cosign's vuln/v1 shape.
 * Both come from bh_scan_image with `so` (its scanners and record are set
 * here). Any other type is BH_ERR_USAGE: the caller supplies that predicate.
 */
int bh_attest_predicate(const char *predicate_type, struct bh_image *img,
			const struct bh_scan_opts *so, json_t **out, struct bh_error **err);
/*
 * The BH_PREDICATE_VULN predicate of a scan already made (bh_scan_image with
 * BH_SCAN_VULN, as bh_attest_predicate makes it; the controller's registry
 * scan): db_uri the advisory store, started and finished RFC 3339 times.
 */
struct bh_scan_result;
int bh_attest_vuln_predicate(const struct bh_scan_result *res, const char *db_uri,
			     const char *started, const char *finished, json_t **out,
			     struct bh_error **err);
int bh_attest_image(const char *image, const struct bh_image_open_opts *oo, const struct bh_key *k,
		    const struct bh_sign_opts *o, const char *predicate_type,
		    const json_t *predicate, struct bh_sign_result *res, struct bh_error **err);

/*
 * IMAGE with its reference pinned to the digest it resolves to now
 * ("domain/path:tag@sha256:..."; caller frees), so that several steps on one
 * image (attest: the predicate, then the signature) name the same manifest
 * even if the tag moves meanwhile. An image on disk comes back unchanged.
 */
int bh_trust_pin(const char *image, const struct bh_image_open_opts *oo, char **pinned,
		 struct bh_error **err);

/*
 * The verification cache (registry images only: a layout is verified from
 * local files in well under a millisecond). A verified result is kept, for
 * `cache_ttl` seconds, in a file of `cache_dir` named by the hash of: the
 * repository, the manifest digest, the keys' ids, min_signatures, identity,
 * attestation and predicate type, and bulkhead's version. What the warm path
 * trusts:
 *  - the digest: content-addressed, so "digest D verified with keys K" stays
 *    true of those bytes. A reference by digest is served without the
 *    network; a tag is resolved by a HEAD on every call (a tag moves: a
 *    cached tag would be the very drift SP 800-190 4.2.2 warns of), and the
 *    digest the registry names is looked up;
 *  - the signatures: only a "verified" answer is kept, so a signature added
 *    later counts at once. A signature deleted from the registry (revoked by
 *    removal) is still honoured until its entry expires: cache_ttl bounds
 *    that window; `--no-cache` (cache_dir NULL) closes it;
 *  - the directory: the caller's own state (0700); an entry not owned by the
 *    caller, writable by others, damaged, for other options or expired is
 *    ignored. At most BH_VCACHE_MAX entries: the oldest go first.
 * Bundle files (bundle_paths) make a check uncacheable.
 */
#define BH_VCACHE_TTL 300
#define BH_VCACHE_MAX 1024

struct bh_verify_opts {
	const struct bh_key *const *keys; /* public keys; a signature verifies with any */
	size_t nkeys;
	unsigned min_signatures;    /* valid signatures needed; 0 means 1 */
	const char *identity;	    /* docker-reference to require, or NULL */
	bool attestation;	    /* check .att (and DSSE bundles) instead of .sig */
	const char *predicate_type; /* with attestation: the type required, or NULL */
	char *const *bundle_paths;  /* Sigstore bundle files to check too (NULL-terminated) */
	const char *cache_dir;	    /* registry images: the verification cache; NULL = none */
	unsigned cache_ttl;	    /* seconds a cached result is served; 0 = BH_VCACHE_TTL */
};

/* One signature or attestation found, and what came of it. */
struct bh_verify_sig {
	char *where; /* "sha256-<hex>.sig layer 1", "referrer sha256:… (bundle)" */
	bool ok;
	char *reason; /* why not (NULL when ok) */
	char *key_id; /* the key that verified it, when ok */
	char *docker_reference;
	char *predicate_type; /* attestations */
};

struct bh_verify_result {
	struct bh_digest digest; /* the image manifest digest checked */
	char *image_name;	 /* its reference name, if known */
	struct bh_verify_sig *sigs;
	size_t nsigs;
	size_t nvalid;
	bool verified;	    /* nvalid >= min_signatures */
	bool cached;	    /* served from the verification cache */
	int64_t checked_at; /* when the signatures were checked (Unix time) */
};
void bh_verify_result_release(struct bh_verify_result *r);

/*
 * Verify IMAGE (a layout or a registry reference, as for bh_sign_image) by
 * its manifest digest: every signature in `sha256-<hex>.sig`
 * (or attestation in `.att`) and every Sigstore bundle attached (as an OCI
 * 1.1 referrer, at the tag `sha256-<hex>`, or given as a file) is checked
 * against the keys; a payload for another digest, or another
 * docker-reference when o->identity is set, does not verify. The threshold
 * counts distinct keys: min_signatures = 2 needs valid signatures by two of
 * the keys. Returns 0 with res->verified set, negative on an error that
 * prevents the check.
 */
int bh_verify_image(const char *image, const struct bh_image_open_opts *oo,
		    const struct bh_verify_opts *o, struct bh_verify_result *res,
		    struct bh_error **err);

/* ---- auditing a repository ----------------------------------------------- */

struct bh_store;
struct bh_registry_opts;

struct bh_audit_opts {
	const struct bh_registry_opts *registry; /* TLS, credentials; NULL = defaults */
	const char *platform;			 /* an index's image to date; NULL = linux/amd64 */
	const struct bh_key *const *keys; /* signature status: these keys; none = not asked */
	size_t nkeys;
	struct bh_store *store; /* scan status: its recorded scans; NULL = not asked */
	unsigned max_age_days;	/* stale past this; 0 = 90 */
	time_t now;		/* 0 = now */
};

struct bh_audit_tag {
	char *tag;
	struct bh_digest digest; /* what the tag names (an index's, for an index) */
	char *media_type;
	char *created;	  /* the image config's, or NULL */
	int64_t age_days; /* -1 when unknown */
	bool stale;	  /* older than max_age_days */
	bool sig_checked; /* keys were given */
	char **signed_by; /* the ids of the keys that verify a signature of digest (NULL-terminated)
			   */
	size_t nsigned;
	json_t *scan; /* the last recorded scan (bh_vuln_store_last_scan), or NULL */
	char *error;  /* this tag could not be audited: why (the rest is unknown) */
};

struct bh_audit_result {
	char *repository; /* "domain/path" */
	struct bh_audit_tag *tags;
	size_t n;
};
void bh_audit_result_release(struct bh_audit_result *r);

/*
 * Every tag of the repository `prefix` names ("registry.example:5000/team/app",
 * optionally ":GLOB", a shell pattern on the tag: "app:1.*"), except cosign's
 * signature tags, each with its digest, age, the keys that signed it (as
 * bh_verify_image checks) and its last recorded scan (by the tag's digest,
 * else, for an index, by the platform image's). A tag that cannot be read
 * has `error` set and the others are still audited; the call fails only when
 * the tags cannot be listed.
 */
int bh_trust_audit(const char *prefix, const struct bh_audit_opts *o, struct bh_audit_result *res,
		   struct bh_error **err);

#endif /* BULKHEAD_TRUST_H */
