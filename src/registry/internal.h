/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/registry: the client's state, one HTTP exchange (reg_xfer),
 * hosts with their TLS settings and authentication, and the helpers the
 * client's files share. Internal symbols are prefixed reg_.
 */
#ifndef BULKHEAD_REGISTRY_INTERNAL_H
#define BULKHEAD_REGISTRY_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "lazy/curl.h"
#include "bulkhead/registry.h"

#define REG_DEFAULT_TIMEOUT	   30
#define REG_DEFAULT_MAX_MANIFEST   (4u << 20)
#define REG_DEFAULT_CHUNK	   (64ull << 20)
#define REG_DEFAULT_MONOLITHIC_MAX (1ull << 20)
#define REG_MAX_ERROR_BODY	   (64u << 10)
#define REG_MAX_HEADERS		   (64u << 10)
#define REG_MAX_TOKEN		   (1u << 20)
#define REG_MAX_REDIRECTS	   8
#define REG_MAX_IDLE		   8

/* A cached bearer token for one set of scopes. */
struct reg_token {
	char *scope; /* the scopes, space-separated, as asked */
	char *token;
	int64_t expires; /* seconds since the epoch */
	struct reg_token *next;
};

enum reg_scheme { REG_SCHEME_UNKNOWN = 0, REG_SCHEME_HTTPS, REG_SCHEME_HTTP };
enum reg_auth { REG_AUTH_UNKNOWN = 0, REG_AUTH_NONE, REG_AUTH_BASIC, REG_AUTH_BEARER };

/*
 * An endpoint: "host[:port]" as a URL names it, with its TLS settings. A
 * registry is one (with its authentication state); so is a token service or
 * the storage a registry redirects blob downloads to.
 */
struct reg_host {
	char *hostport;			/* "127.0.0.1:5000", "registry-1.docker.io" */
	bool insecure;			/* named by --insecure-registry */
	_Atomic enum reg_scheme scheme; /* read and set by several threads */
	bool warned;			/* the plain-HTTP warning was logged */
	bool tls_loaded;
	char *ca_blob; /* --cacert + certs.d (+ the system bundle), or NULL: the defaults */
	char *capath;  /* the system's hashed CA directory, if it has one */
	size_t ca_len;
	char *client_cert, *client_key; /* certs.d client pair */
	/* registries only */
	char *domain; /* as in references ("docker.io"), NULL for other endpoints */
	_Atomic enum reg_auth auth;
	char *realm, *service; /* of the last bearer challenge */
	bool cred_loaded;
	struct bh_registry_cred cred;
	struct reg_token *tokens;
	pthread_mutex_t auth_lock; /* one token request at a time */
	struct reg_host *next;
};

/* An idle curl multi handle with its easy handle: a connection cache. */
struct reg_conn {
	CURLM *m;
	CURL *e;
	struct reg_conn *next;
};

struct bh_registry {
	/* the options, strings copied */
	char *cacert;
	char **cert_dirs;
	char **insecure;
	char *authfile;
	unsigned timeout;
	size_t max_manifest;
	uint64_t chunk_size, monolithic_max;
	unsigned page_size;
	char *user_agent;

	CURLSH *share; /* DNS and TLS sessions */
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t lock; /* hosts, tokens, idle connections */
	struct reg_host *hosts;
	struct reg_conn *idle;
	unsigned nidle;
	char *system_ca;     /* the system's CA bundle, read once ... */
	char *system_capath; /* ... or its hashed directory */
	size_t system_ca_len;
	bool system_ca_loaded;
};

/* ---- one HTTP exchange ------------------------------------------------- */

struct reg_req {
	const char *method;	   /* GET, HEAD, PUT, POST, PATCH, DELETE */
	const char *url;	   /* absolute */
	struct reg_host *host;	   /* the endpoint of url (TLS), NULL = look it up */
	struct reg_host *registry; /* authenticate against it (NULL: send no credentials) */
	const char *scope;	   /* bearer scopes, space-separated */
	char *const *headers;	   /* extra "Name: value" lines, NULL-terminated */
	const void *body;	   /* a body in memory ... */
	size_t body_len;
	bool has_body;
	const struct bh_registry_source *src; /* ... or streamed from src */
	uint64_t src_len;
	bool follow;			  /* follow redirects (blob downloads) */
	const char *what;		  /* for errors: "manifest team/app:1.2" */
	bh_registry_progress_fn progress; /* upload progress */
	void *progress_data;
	const char *progress_digest;
	uint64_t progress_base;
	int64_t progress_total;
};

/* Response headers the client uses. */
struct reg_resp {
	long status;
	char *content_type, *location, *digest, *link, *range, *upload_uuid;
	int64_t content_length; /* -1 if none */
	struct bh_strvec auth;	/* every WWW-Authenticate */
};

/* One exchange: fields are read by the client files; the transport owns them. */
struct reg_xfer {
	struct bh_registry *r;
	struct reg_conn *c;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
	struct reg_host *host;
	char *url; /* redacted, for messages */
	struct reg_resp resp;
	size_t header_bytes;
	bool header_overflow;
	bool got_body;
	bool done;
	CURLcode result;
	/* the reader's buffer while reg_xfer_read drives the transfer */
	char *dst;
	size_t dst_cap, dst_len;
	struct bh_buf spill;
	size_t spill_off;
	bool paused;
	/* an upload */
	const char *body;
	size_t body_len, body_off;
	const struct bh_registry_source *src;
	uint64_t src_len, sent;
	struct bh_error *src_err;
	atomic_bool abort; /* set by another thread (reg_xfer_abort) */
	/* what the exchange keeps of its request */
	char *what;
	bool head;
	bh_registry_progress_fn progress;
	void *progress_data;
	const char *progress_digest; /* borrowed from the request's caller */
	uint64_t progress_base;
	int64_t progress_total;
};

/*
 * Send a request and wait for the final response's headers: authentication
 * (401 → challenge → credentials or token → once more) and, with
 * q->follow, redirects are handled inside. Any status is returned as a
 * response; the caller decides. On success *out is the exchange, whose
 * body is read with reg_xfer_read.
 */
int reg_open(struct bh_registry *r, const struct reg_req *q, struct reg_xfer **out,
	     struct bh_error **err);
const struct reg_resp *reg_xfer_resp(const struct reg_xfer *x);
ssize_t reg_xfer_read(struct reg_xfer *x, void *buf, size_t n, struct bh_error **err);
/* Read the rest of the body into b (bounded by b->max, named `what`). */
int reg_xfer_read_all(struct reg_xfer *x, struct bh_buf *b, const char *what,
		      struct bh_error **err);
void reg_xfer_close(struct reg_xfer *x);
/* From another thread: make the exchange's pending and next reads fail at
 * once (a reader that gives up on a stalled transfer). */
void reg_xfer_abort(struct reg_xfer *x);
/* An error for an unexpected status: reads the body's registry error
 * ({"errors":[{code, message}]}) and closes x. Always -1. */
int reg_status_error(struct reg_xfer *x, struct reg_host *h, const char *what,
		     struct bh_error **err);

/* ---- hosts and URLs ------------------------------------------------------ */

/* The registry for a reference's domain (created on first use). */
struct reg_host *reg_registry(struct bh_registry *r, const char *domain);
/* The endpoint "host[:port]" (created on first use). */
struct reg_host *reg_endpoint(struct bh_registry *r, const char *hostport);
/* Load the host's TLS settings once (certs.d, --cacert, the system's CAs;
 * e: a curl handle to ask for curl's default CA file). */
int reg_host_tls(struct bh_registry *r, struct reg_host *h, CURL *e, struct bh_error **err);
/* "https://host/v2/<path><suffix>" for a registry (scheme as known). */
char *reg_url(struct reg_host *h, const char *path, const char *suffix);
/* Percent-encode s for a query string. */
char *reg_escape(const char *s);
/* The "host[:port]" of an absolute URL and whether it is https; resolves
 * `rel` against `base` into *abs when base is not NULL. */
int reg_url_parse(const char *base, const char *rel, char **abs, char **hostport, bool *https,
		  struct bh_error **err);
/* A URL for messages and logs: without its query (presigned URLs carry secrets). */
char *reg_url_redact(const char *url);

/* ---- authentication ------------------------------------------------------ */

/* Credentials for the registry h (auth files, helpers); loaded once. */
int reg_cred_load(struct bh_registry *r, struct reg_host *h, const char *path,
		  struct bh_error **err);
/* Answer the challenges of a 401 for scope: fetch a token, or settle on
 * basic. */
int reg_authenticate(struct bh_registry *r, struct reg_host *h, char *const *challenges,
		     const char *scope, struct bh_error **err);
/* A token for scope from the token service h's last challenge named. */
int reg_token_renew(struct bh_registry *r, struct reg_host *h, const char *scope,
		    struct bh_error **err);
/* The Authorization header line for a request to h with scope, or NULL. */
char *reg_auth_header(struct bh_registry *r, struct reg_host *h, const char *scope);
/* Forget the token for scope that the registry refused (`used`: the
 * Authorization line sent; a newer token is kept). */
void reg_token_drop(struct bh_registry *r, struct reg_host *h, const char *scope, const char *used);
void reg_tokens_free(struct reg_token *t);
/* Run docker-credential-<helper> get for server; 1 found, 0 not. */
int reg_cred_helper(const char *helper, const char *server, unsigned timeout,
		    struct bh_registry_cred *out, struct bh_error **err);
/* Parse a token service's answer. */
int reg_token_parse(const char *buf, size_t len, char **token, int64_t *expires,
		    struct bh_error **err);

/*
 * What a manifest is (*mt, caller frees): the Content-Type `ctype` the
 * registry sent (may be NULL) and the document's own mediaType must agree,
 * and the document in (data, len), at most max bytes, must have the shape of
 * its type (an index its "manifests", an image manifest its "config" and
 * "layers"). Docker schema 1 is refused as unsupported.
 */
int reg_manifest_check(const char *ctype, const char *data, size_t len, size_t max,
		       const char *what, char **mt, struct bh_error **err);

/* "kind path:tag" or "kind path@digest", for messages (caller frees). */
char *reg_what(const char *kind, const struct bh_registry_ref *ref, const char *target);
/* A reference with a domain and a repository, or a usage error. */
int reg_need_repo(const struct bh_registry_ref *ref, struct bh_error **err);

/* "repository:<path>:<actions>" */
char *reg_scope(const char *path, const char *actions);

#endif
