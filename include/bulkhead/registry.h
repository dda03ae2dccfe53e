/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead registries: image references as docker writes them, and a
 * client of the OCI distribution spec v1.1 (and Docker's schema 2) on
 * libcurl: manifests and indexes, blobs streamed and verified, uploads
 * (monolithic, chunked, cross-repository mounts), tag lists and the
 * referrers API.
 *
 * Ownership, for the whole library (include/bulkhead/base.h):
 *  - `const T *` arguments are borrowed for the duration of the call;
 *  - `T **out` arguments hand a new object to the caller, who releases it with
 *    the matching `_free()` (or `_release()` for a struct the caller owns);
 *  - a function that takes ownership of an argument says so in its comment;
 *  - every `_free(NULL)` / `_release()` of a zeroed struct is a no-op.
 *
 * Errors: a function returns 0 (or a non-negative count) on success and a
 * negative value on failure, after storing a `struct bh_error` in `*err`.
 * Every error names the registry and what was asked of it
 * ("registry 127.0.0.1:5000: GET team/app manifest 1.2: 401 unauthorized").
 * A digest or size that does not match is BH_ERR_DIGEST; a document over a
 * limit BH_ERR_LIMIT; what the registry does not have BH_ERR_NOTFOUND.
 *
 * Transport security (NIST SP 800-190 4.2.1): HTTPS with certificate and
 * host name verification, TLS 1.2 or later. A redirect to plain HTTP is
 * refused. Plain HTTP is used only for a registry named in
 * `bh_registry_opts.insecure`, with a warning logged on every client that
 * uses it. CA certificates: the system's, plus `cacert`, plus the
 * registry's certs.d directory (`<dir>/<host[:port]>/` holding `.crt` files, with client
 * certificates `.cert` + `.key` as docker reads them).
 *
 * Credentials are never logged, printed or put in an error message.
 *
 * Threads: a `struct bh_registry` may be used from several threads at once
 * (its connection and token caches are locked inside); one blob reader or
 * upload belongs to one thread at a time.
 *
 * Environment: a client with no `authfile` looks for credentials where
 * podman and docker keep them (REGISTRY_AUTH_FILE, then
 * ${XDG_RUNTIME_DIR}/containers/auth.json, ~/.config/containers/auth.json,
 * then ${DOCKER_CONFIG:-~/.docker}/config.json); BULKHEAD_INSECURE_REGISTRY
 * (comma-separated HOST[:PORT]) adds to `insecure`.
 */
#ifndef BULKHEAD_REGISTRY_H
#define BULKHEAD_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "bulkhead/base.h"

/* ---- references -------------------------------------------------------- */

/* The longest name (domain + "/" + path) the grammar allows. */
#define BH_REF_NAME_MAX 255

/*
 * A reference, as in distribution/reference:
 *   [domain[:port]/]path[:tag][@digest]
 */
struct bh_registry_ref {
	char *domain; /* "docker.io", "registry.example:5000", "[::1]:5000"; NULL if none */
	char *path;   /* "library/alpine", "team/app" */
	char *tag;    /* NULL when the reference names none */
	struct bh_digest digest; /* digest.str[0] == 0 when none */
};

enum {
	/*
	 * Parse as docker does (ParseDockerRef): a name with no domain is on
	 * docker.io, a single-component docker.io name is under "library/",
	 * "index.docker.io" is docker.io, a 64-hex name is refused, and a
	 * reference with neither tag nor digest gets the tag "latest". A
	 * leading "docker://" (skopeo's transport) is accepted.
	 */
	BH_REF_NORMALIZE = 1,
};

/*
 * Parse an untrusted reference string. Without BH_REF_NORMALIZE this is
 * distribution's Parse (the domain is optional); with it, as above. Errors
 * are BH_ERR_INVALID ("invalid reference format", "repository name must be
 * lowercase", "repository name must not be longer than 255 characters",
 * "invalid checksum digest length") or BH_ERR_UNSUPPORTED (a digest
 * algorithm other than sha256 and sha512).
 */
int bh_registry_ref_parse(const char *s, unsigned flags, struct bh_registry_ref *out,
			  struct bh_error **err);
void bh_registry_ref_release(struct bh_registry_ref *r);
/* A deep copy into out. */
void bh_registry_ref_copy(const struct bh_registry_ref *r, struct bh_registry_ref *out);
/* "domain/path[:tag][@digest]" (caller frees). */
char *bh_registry_ref_string(const struct bh_registry_ref *r);
/* "domain/path" (caller frees). */
char *bh_registry_ref_name(const struct bh_registry_ref *r);
/* What a manifest request names: the digest if any, else the tag, else "latest". */
const char *bh_registry_ref_target(const struct bh_registry_ref *r);

/* ---- the client -------------------------------------------------------- */

/* Progress of one blob transfer, for a progress display. */
struct bh_registry_progress {
	const char *digest; /* the blob */
	uint64_t done;	    /* bytes so far */
	int64_t total;	    /* its size, -1 if unknown */
};
typedef void (*bh_registry_progress_fn)(const struct bh_registry_progress *p, void *data);

struct bh_registry_opts {
	const char *cacert;	 /* a PEM file of extra CA certificates (--cacert) */
	char *const *cert_dirs;	 /* certs.d directories, NULL-terminated; NULL = the
				    defaults /etc/docker/certs.d, /etc/containers/certs.d,
				    ~/.config/containers/certs.d */
	char *const *insecure;	 /* HOST[:PORT] allowed over plain HTTP, NULL-terminated */
	const char *authfile;	 /* the one credentials file to read; NULL = the defaults */
	unsigned timeout;	 /* seconds: connect timeout, and the longest a transfer
				    may go without a byte before it fails; 0 = 30 */
	size_t max_manifest;	 /* manifest and index size limit; 0 = 4 MiB */
	uint64_t chunk_size;	 /* upload chunk (PATCH) size; 0 = 64 MiB */
	uint64_t monolithic_max; /* blobs up to this size go in one PUT; 0 = 1 MiB */
	unsigned page_size;	 /* tags and referrers asked per page (?n=); 0 = the
				    registry's choice */
	const char *user_agent;	 /* NULL = "bulkhead/<version>" */
};

struct bh_registry; /* opaque: one per command; caches connections, TLS and tokens */

int bh_registry_new(const struct bh_registry_opts *opts, struct bh_registry **out,
		    struct bh_error **err);
void bh_registry_free(struct bh_registry *r);

/* ---- manifests ---------------------------------------------------------- */

#define BH_REGISTRY_MT_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define BH_REGISTRY_MT_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define BH_REGISTRY_MT_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define BH_REGISTRY_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

/* A manifest or index exactly as the registry sent it, verified. */
struct bh_registry_manifest {
	char *media_type;	 /* checked against the document's own mediaType */
	struct bh_digest digest; /* of `data` */
	char *data;		 /* the bytes (NUL-terminated for convenience) */
	size_t len;
};
void bh_registry_manifest_release(struct bh_registry_manifest *m);

/*
 * GET the manifest or index `ref` names (its digest, else its tag), with
 * an Accept list of the OCI and Docker schema 2 types (`accept`, a
 * comma-separated list, replaces it when not NULL). The body is bounded
 * by max_manifest; by digest it must hash to it; by tag it must agree with
 * the registry's Docker-Content-Digest when one is sent. A manifest whose
 * Content-Type and mediaType disagree, or whose body is not of its type (an
 * index without "manifests", an image manifest without "config"), is refused.
 */
int bh_registry_get_manifest(struct bh_registry *r, const struct bh_registry_ref *ref,
			     const char *accept, struct bh_registry_manifest *out,
			     struct bh_error **err);
/*
 * HEAD the manifest: its digest, media type and size without the body.
 * Returns 1 if it exists, 0 if the registry has none (404), -1 on error.
 * `out` may be NULL; its `data` is left NULL.
 */
int bh_registry_head_manifest(struct bh_registry *r, const struct bh_registry_ref *ref,
			      struct bh_registry_manifest *out, int64_t *size,
			      struct bh_error **err);
/*
 * PUT a manifest (bytes sent as they are, so its digest is kept) under
 * `target`: a tag, or its own digest (NULL = the digest of `data`). The
 * digest of `data` is stored in *digest when it is not NULL.
 */
int bh_registry_put_manifest(struct bh_registry *r, const struct bh_registry_ref *repo,
			     const char *target, const char *media_type, const void *data,
			     size_t len, struct bh_digest *digest, struct bh_error **err);

/* ---- blobs -------------------------------------------------------------- */

struct bh_registry_blob; /* a blob being read */

enum {
	/*
	 * Do not hash: the caller verifies digest and size itself (the image
	 * walk does, in its own verifying stream). Without it, every blob read
	 * is verified as it streams: the read that ends it fails with
	 * BH_ERR_DIGEST when size or digest differ.
	 */
	BH_REGISTRY_NOVERIFY = 1,
	/*
	 * Read ahead: a thread of the blob's own receives and decrypts into a
	 * bounded buffer (2 MiB) while the caller works on what it has read, so
	 * that the network and the caller's work (decompressing, scanning,
	 * hashing, writing) overlap.
	 */
	BH_REGISTRY_READAHEAD = 2,
};

/*
 * Open the blob `digest` of repository `repo` for reading, following the
 * registry's redirect to its storage (HTTPS only; credentials are not sent
 * to another host). `size` is its expected size (-1 = unknown); a larger
 * Content-Length fails at once.
 */
int bh_registry_blob_open(struct bh_registry *r, const struct bh_registry_ref *repo,
			  const struct bh_digest *digest, int64_t size, unsigned flags,
			  struct bh_registry_blob **out, struct bh_error **err);
/* Read up to n bytes; 0 at the end, after size and digest were checked. */
ssize_t bh_registry_blob_read(struct bh_registry_blob *b, void *buf, size_t n,
			      struct bh_error **err);
/* The size the registry announced (Content-Length), -1 if it sent none. */
int64_t bh_registry_blob_size(const struct bh_registry_blob *b);
void bh_registry_blob_close(struct bh_registry_blob *b);
/* Read a whole small blob into out (bounded by out->max), verified. */
int bh_registry_get_blob(struct bh_registry *r, const struct bh_registry_ref *repo,
			 const struct bh_digest *digest, int64_t size, struct bh_buf *out,
			 struct bh_error **err);
/* HEAD a blob: 1 if it exists (its size in *size when not NULL), 0 if not. */
int bh_registry_blob_exists(struct bh_registry *r, const struct bh_registry_ref *repo,
			    const struct bh_digest *digest, int64_t *size, struct bh_error **err);

/* Where an upload reads from: read returns bytes read, 0 at the end, -1 on error. */
struct bh_registry_source {
	ssize_t (*read)(void *data, void *buf, size_t n, struct bh_error **err);
	void *data;
};

enum bh_registry_put_result {
	BH_REGISTRY_PUT_EXISTS = 1, /* the registry had it: nothing was sent */
	BH_REGISTRY_PUT_MOUNTED,    /* mounted from another repository */
	BH_REGISTRY_PUT_UPLOADED,   /* sent */
};

/*
 * Upload a blob of `size` bytes read from `src` unless the repository has it
 * (HEAD first). With `mount_from` (a repository path on the same
 * registry), a cross-repository mount is asked for first. Blobs up to
 * monolithic_max go in one POST + PUT, larger ones in PATCH chunks of
 * chunk_size. The bytes read must have `digest` and `size`; the registry
 * checks that too. Returns a bh_registry_put_result, -1 on error.
 */
int bh_registry_put_blob(struct bh_registry *r, const struct bh_registry_ref *repo,
			 const struct bh_digest *digest, uint64_t size,
			 const struct bh_registry_source *src, const char *mount_from,
			 bh_registry_progress_fn progress, void *progress_data,
			 struct bh_error **err);

/*
 * Upload the `len` bytes at `data` as a blob (signatures, attestations,
 * small configs), as bh_registry_put_blob; its digest is stored in *digest
 * when not NULL.
 */
int bh_registry_put_blob_buf(struct bh_registry *r, const struct bh_registry_ref *repo,
			     const void *data, size_t len, struct bh_digest *digest,
			     struct bh_error **err);

/* ---- tags and referrers ------------------------------------------------- */

/* Every tag of `repo`, following the Link header from page to page. */
int bh_registry_tags(struct bh_registry *r, const struct bh_registry_ref *repo, char ***out,
		     size_t *n, struct bh_error **err);
/*
 * The referrers of `digest` in `repo`, as an OCI image index (the caller
 * owns the JSON): from the referrers API, or, when the registry answers
 * 404, from the tag-schema fallback `sha256-<hex>`; an empty index when
 * there is neither. `artifact_type` (may be NULL) filters. *from_api says
 * which answered (may be NULL).
 */
int bh_registry_referrers(struct bh_registry *r, const struct bh_registry_ref *repo,
			  const struct bh_digest *digest, const char *artifact_type, json_t **index,
			  bool *from_api, struct bh_error **err);

/* ---- parsers of untrusted bytes (exposed for tests and fuzzing) --------- */

/* One challenge of a WWW-Authenticate header. */
struct bh_registry_challenge {
	char *scheme; /* "basic", "bearer" (lower case) */
	char *realm, *service, *scope, *error;
};
/*
 * Parse a WWW-Authenticate header value (RFC 7235: one or more challenges,
 * auth-params with tokens or quoted strings), at most 8 challenges of 16
 * parameters, 8 KiB in all. Returns the number of challenges.
 */
int bh_registry_challenges_parse(const char *s, size_t len, struct bh_registry_challenge **out,
				 size_t *n, struct bh_error **err);
void bh_registry_challenges_free(struct bh_registry_challenge *c, size_t n);

/* The "next" URL of a Link header (`<url>; rel="next"`), or NULL. */
char *bh_registry_link_next(const char *s, size_t len);

/*
 * Credentials for `domain` from a docker config.json or podman auth.json
 * held in (buf, len): the most specific key of "auths" that matches
 * domain/path, its base64 "auth" (user:password) or "identitytoken"; the
 * name of the credential helper to run (credHelpers, else credsStore) when
 * no "auths" entry matches. Returns 1 if something was found, 0 if not.
 */
struct bh_registry_cred {
	char *username;
	char *secret;  /* password, or identity token when identity is true */
	bool identity; /* an OAuth2 refresh token ("identitytoken", "<token>") */
	char *helper;  /* "pass" for docker-credential-pass, when that is the answer */
};
void bh_registry_cred_release(struct bh_registry_cred *c);
int bh_registry_auth_lookup(const char *buf, size_t len, const char *what, const char *domain,
			    const char *path, struct bh_registry_cred *out, struct bh_error **err);

#endif /* BULKHEAD_REGISTRY_H */
