/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead controller (`bulkhead serve`): the store, users, roles, API
 * tokens, the audit log and the REST API served on the HTTP layer
 * (include/bulkhead/http.h).
 *
 * The store is one interface over two back-ends: SQLite (a file path, the
 * default) and PostgreSQL (a "postgresql://" or "postgres://" URL, libpq).
 * Both get the same numbered migrations (one row in table schema_version;
 * each step in a transaction with the version) and the same SQL: queries are
 * written once with `?` placeholders, which the PostgreSQL back-end numbers
 * ($1, $2, ...) when it runs them; values are always bound, never spliced
 * into SQL text.
 *
 * A store is safe to share between threads. SQLite: one connection, taken
 * by one query or one transaction (bh_ctl_store_tx) at a time; PostgreSQL: a
 * pool of connections (at most 8), one per thread that needs one at once.
 * Each connection keeps its statements prepared, by their SQL text.
 *
 * Ownership and errors as include/bulkhead/base.h. The library never prints.
 */
#ifndef BULKHEAD_CTL_H
#define BULKHEAD_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/base.h"
#include "bulkhead/http.h"

/* ---- the store --------------------------------------------------------------------------- */

struct bh_ctl_store;

/*
 * Open (creating for SQLite) the database db: "postgresql://..." or
 * "postgres://..." is PostgreSQL, anything else a SQLite file path; then
 * migrate it to the schema this build knows. A database at a newer schema is
 * BH_ERR_UNSUPPORTED.
 */
BH_MUST_CHECK int bh_ctl_store_open(const char *db, struct bh_ctl_store **out,
				    struct bh_error **err);
void bh_ctl_store_free(struct bh_ctl_store *s);
/* "sqlite" or "postgresql" */
const char *bh_ctl_store_backend(const struct bh_ctl_store *s);
/* The schema version (the number of migrations applied). */
int bh_ctl_store_version(struct bh_ctl_store *s, int64_t *out, struct bh_error **err);
/* The number of migrations this build has. */
int64_t bh_ctl_store_schema_latest(void);

/* A bound value or a column read. A NULL keeps its type (PostgreSQL wants it). */
enum bh_ctl_type { BH_CTL_INT = 1, BH_CTL_TEXT };
struct bh_ctl_val {
	enum bh_ctl_type type;
	bool null;
	int64_t i;
	const char *s; /* borrowed */
};
static inline struct bh_ctl_val bh_ctl_val_int(int64_t v, bool null)
{
	return (struct bh_ctl_val){ .type = BH_CTL_INT, .i = v, .null = null };
}
static inline struct bh_ctl_val bh_ctl_val_text(const char *s)
{
	return (struct bh_ctl_val){ .type = BH_CTL_TEXT, .s = s, .null = !s };
}
#define BH_CTL_I(v)	     bh_ctl_val_int((v), false)
#define BH_CTL_IN(v, isnull) bh_ctl_val_int((v), (isnull))
#define BH_CTL_S(v)	     bh_ctl_val_text(v)

/* Called for each row; cols (ncols of them) are valid during the call only.
 * A negative return stops the query and is its result. */
typedef int (*bh_ctl_row_fn)(void *ctx, const struct bh_ctl_val *cols, size_t ncols,
			     struct bh_error **err);

/*
 * Run one statement sql with `?` placeholders bound to params (n of them);
 * row (may be NULL) sees each row; *changes (may be NULL) gets the number of
 * rows an INSERT, UPDATE or DELETE changed. Integer columns come back as
 * BH_CTL_INT, the rest as BH_CTL_TEXT. Inside bh_ctl_store_tx's fn, on the
 * same thread, it runs in that transaction.
 */
int bh_ctl_store_query(struct bh_ctl_store *s, const char *sql, const struct bh_ctl_val *params,
		       size_t n, bh_ctl_row_fn row, void *ctx, int64_t *changes,
		       struct bh_error **err);

/* Run fn in one transaction: committed when fn returns >= 0, rolled back
 * otherwise (and when the commit fails). Returns fn's result. Not nested. */
int bh_ctl_store_tx(struct bh_ctl_store *s, int (*fn)(void *ctx, struct bh_error **err), void *ctx,
		    struct bh_error **err);
/* bh_ctl_store_tx, but SQLite may commit it with those of other threads
 * waiting meanwhile (group commit: one COMMIT for many; fn runs on the thread
 * committing, in a savepoint of its own: rolled back alone when it fails).
 * Returns once its commit ended: >= 0 only when it is committed. */
int bh_ctl_store_tx_group(struct bh_ctl_store *s, int (*fn)(void *ctx, struct bh_error **err),
			  void *ctx, struct bh_error **err);

/*
 * Claim job (a name of 1 to BH_CTL_CLAIM_JOB_MAX bytes) for this process
 * among the controllers sharing the store, so one replica does it: *got is
 * true when it is ours until bh_ctl_claim_release (PostgreSQL: a session
 * advisory lock, gone with this process; SQLite: a row leased for lease_s
 * seconds). *done_at is when another controller last released it done (0:
 * never, or this one did), so a replica coming second can see the job was
 * done meanwhile.
 */
#define BH_CTL_CLAIM_JOB_MAX 200
int bh_ctl_claim(struct bh_ctl_store *s, const char *job, int64_t lease_s, bool *got,
		 int64_t *done_at, struct bh_error **err);
/* Let go of a claim that bh_ctl_claim gave; done: record it done now. */
int bh_ctl_claim_release(struct bh_ctl_store *s, const char *job, bool done, struct bh_error **err);

/*
 * Append one audit row (who, what, which object, before and after as JSON,
 * either may be NULL) at the current time. Call it inside the transaction of
 * the change it records.
 */
int bh_ctl_audit_add(struct bh_ctl_store *s, const char *actor, const char *action,
		     const char *object, const json_t *before, const json_t *after,
		     struct bh_error **err);

/* ---- users, roles, tokens -------------------------------------------------------------- */

/* Ordered: a role may do what the roles below it may. */
enum bh_ctl_role { BH_CTL_READER = 1, BH_CTL_OPERATOR = 2, BH_CTL_ADMIN = 3 };
/* "admin", "operator", "reader"; -1 for anything else. */
int bh_ctl_role_parse(const char *s);
const char *bh_ctl_role_name(enum bh_ctl_role r);

#define BH_CTL_NAME_MAX	     64	  /* user and node names: [A-Za-z0-9._@-]{1,64} */
#define BH_CTL_PASSWORD_MIN  8	  /* bytes */
#define BH_CTL_PASSWORD_MAX  1024 /* bytes */
#define BH_CTL_TOKEN_TTL_MAX (366 * 86400)
/* A token as shown once: "bht_" + 16 hex (its id) + "_" + 64 hex (the secret). */
#define BH_CTL_TOKEN_LEN    (4 + 16 + 1 + 64)
#define BH_CTL_TOKEN_ID_LEN 16

/* Whether name is a valid user or node name. */
bool bh_ctl_name_valid(const char *name, size_t len);

/* Who made a request: a user with a role, or a node (role 0), and the token used. */
struct bh_ctl_principal {
	char name[BH_CTL_NAME_MAX + 1];
	bool node;
	enum bh_ctl_role role; /* the user's role; 0 for a node */
	char token_id[BH_CTL_TOKEN_ID_LEN + 1];
};

/*
 * Add user name with role and password (hashed with argon2id). actor names
 * who did it in the audit row ("cli" from the command line). An existing
 * name is BH_ERR_USAGE ("exists").
 */
int bh_ctl_user_add(struct bh_ctl_store *s, const char *actor, const char *name,
		    enum bh_ctl_role role, const char *password, struct bh_error **err);
/* Delete user name and revoke its tokens; BH_ERR_NOTFOUND if there is none. */
int bh_ctl_user_delete(struct bh_ctl_store *s, const char *actor, const char *name,
		       struct bh_error **err);
/* [{"name","role","created"}...] sorted by name. */
int bh_ctl_user_list(struct bh_ctl_store *s, json_t **out, struct bh_error **err);

/*
 * Check user's password; on success a new token for the user (ttl seconds)
 * in token (NUL-terminated), audited as "login". A wrong user or password is
 * BH_ERR_UNSAFE with the same message for both, and takes the same time.
 */
int bh_ctl_login(struct bh_ctl_store *s, const char *user, const char *password, int64_t ttl,
		 char token[BH_CTL_TOKEN_LEN + 1], struct bh_error **err);
/*
 * A new token for user or (when node is true) for node name, valid ttl
 * seconds, created by actor; *id_out (may be NULL) its id.
 */
int bh_ctl_token_create(struct bh_ctl_store *s, const char *actor, const char *name, bool node,
			int64_t ttl, char token[BH_CTL_TOKEN_LEN + 1],
			char id_out[BH_CTL_TOKEN_ID_LEN + 1], struct bh_error **err);
/*
 * Revoke token id. only_owner (may be NULL): refuse (BH_ERR_NOTFOUND, as if it
 * did not exist) a token of another user.
 */
int bh_ctl_token_revoke(struct bh_ctl_store *s, const char *actor, const char *id,
			const char *only_owner, struct bh_error **err);
/*
 * Who presents token (the whole "bht_..." string, len bytes): compared in
 * constant time against the stored hash; an unknown, malformed, expired or
 * revoked token, or one whose user is gone, is BH_ERR_UNSAFE.
 */
int bh_ctl_authenticate(struct bh_ctl_store *s, const char *token, size_t len,
			struct bh_ctl_principal *out, struct bh_error **err);

/* ---- the audit log --------------------------------------------------------------------- */

struct bh_ctl_audit_filter {
	const char *actor; /* NULL: any */
	int64_t since;	   /* unix seconds, inclusive; 0: any */
	int64_t until;	   /* unix seconds, inclusive; 0: any */
	int64_t after_id;  /* paging: rows with a larger id; 0: from the first */
	unsigned limit;	   /* 1..BH_CTL_AUDIT_PAGE_MAX; 0: BH_CTL_AUDIT_PAGE_DEFAULT */
};
#define BH_CTL_AUDIT_PAGE_DEFAULT 100
#define BH_CTL_AUDIT_PAGE_MAX	  1000

/* {"items":[{"id","time","actor","action","object","before","after"}...],
 *  "next": id to pass as after_id, or null at the end}, oldest first. */
int bh_ctl_audit_list(struct bh_ctl_store *s, const struct bh_ctl_audit_filter *f, json_t **out,
		      struct bh_error **err);

/* ---- request bodies and queries (untrusted; fuzz/fuzz_ctl_body.c) ---------------------- */

#define BH_CTL_BODY_MAX (64u << 10)

enum bh_ctl_body_kind { BH_CTL_BODY_LOGIN = 1, BH_CTL_BODY_USER, BH_CTL_BODY_TOKEN };
struct bh_ctl_body {
	char name[BH_CTL_NAME_MAX + 1]; /* login: user; user: name; token: user or node */
	bool node;			/* token: "node" given rather than "user" */
	char password[BH_CTL_PASSWORD_MAX + 1];
	int role;    /* user: the role */
	int64_t ttl; /* token: seconds; 0: not given */
};
/*
 * Parse a request body of kind (a JSON object; unknown members, wrong types,
 * and values over their limits are BH_ERR_INVALID naming the member; more
 * than BH_CTL_BODY_MAX bytes BH_ERR_LIMIT). login: {"user","password"};
 * user: {"name","role","password"}; token: {"user"|"node"?, "ttl"?}.
 * Wipe out->password after use.
 */
int bh_ctl_body_parse(const char *buf, size_t len, enum bh_ctl_body_kind kind,
		      struct bh_ctl_body *out, struct bh_error **err);

/*
 * What every body parser starts with: buf (at most BH_CTL_BODY_MAX bytes)
 * parsed into *root, which must be a JSON object; errors name what ("request
 * body", "policy"). On error *root is NULL.
 */
int bh_ctl_json_object(const char *buf, size_t len, const char *what, json_t **root,
		       struct bh_error **err);

/*
 * A string member key into out (max bytes and its NUL): not a string, longer
 * than max, or holding a control byte is BH_ERR_INVALID naming key.
 */
int bh_ctl_json_str(json_t *v, const char *key, size_t max, char *out, struct bh_error **err);

/* A store column as JSON (src/ctl/json.c: bh_ctl_col_*): a time (seconds) as an RFC 3339
 * string, text, an integer; NULL or another type is null. */
json_t *bh_ctl_json_time(int64_t t);
json_t *bh_ctl_col_time(const struct bh_ctl_val *v);
json_t *bh_ctl_col_str(const struct bh_ctl_val *v);
json_t *bh_ctl_col_int(const struct bh_ctl_val *v);

/* A row callback of bh_ctl_store_query: the first column, an integer, into
 * *(int64_t *)ctx (left as it was when NULL or no row). */
int bh_ctl_row_int(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err);

#define BH_CTL_QUERY_MAX 2048
/*
 * The value of key in a URL query string (q, len bytes: "a=1&b=x%20y"),
 * percent-decoded into out (size bytes, NUL-terminated). 1 when found, 0 when
 * absent, <0 (BH_ERR_INVALID) for a malformed or repeated key, a value with
 * a NUL or one longer than size - 1.
 */
int bh_ctl_query_get(const char *q, size_t len, const char *key, char *out, size_t size,
		     struct bh_error **err);

/* ---- images, scans and registry automation (auto17) ------------------------------------ */

/*
 * What the controller knows of an image: tables images (one row per
 * repository and digest: first seen, scanned at, advisory db version, counts
 * by severity), image_vulns (per digest) and image_sboms (CycloneDX JSON per
 * digest). Digests are canonical "sha256:<hex>".
 */
#define BH_CTL_REPO_MAX	      255 /* a repository name, as the distribution spec bounds it */
#define BH_CTL_IMAGE_PAGE_MAX 1000
#define BH_CTL_IMAGE_PAGE_DEF 100

struct bh_ctl_image_vuln {
	const char *id;	     /* "CVE-2024-1234" */
	const char *package; /* name */
	const char *version;
	const char *fixed; /* a fixed version, or NULL */
	int severity;	   /* enum bh_severity */
};

/* One scan of digest (pushed to repository) to record. */
struct bh_ctl_image_scan {
	const char *repository;
	const char *digest;
	const char *db_version; /* or NULL */
	const struct bh_ctl_image_vuln *vulns;
	size_t nvulns;
	const char *sbom; /* CycloneDX JSON text, or NULL: keep the stored one */
};

/*
 * Record a scan in one transaction: the image row (kept first_seen, new
 * scanned_at and counts; every repository row of the digest gets the
 * counts), the digest's vulnerabilities replaced, its SBOM, an audit row
 * "image.scan" by actor. *fresh (may be NULL) gets the vulnerabilities that
 * were not recorded for the digest before (the caller owns the array of
 * *nfresh, freed with bh_ctl_image_vulns_free; NULL when none): a rematch's
 * new findings.
 */
int bh_ctl_image_record(struct bh_ctl_store *s, const char *actor,
			const struct bh_ctl_image_scan *scan, struct bh_ctl_image_vuln **fresh,
			size_t *nfresh, struct bh_error **err);
void bh_ctl_image_vulns_free(struct bh_ctl_image_vuln *v, size_t n);

struct bh_ctl_image_filter {
	const char *repository; /* NULL: any */
	int min_severity;	/* -1: any; else images with a finding at or above it */
	int64_t after_id;	/* paging */
	unsigned limit;		/* 0: BH_CTL_IMAGE_PAGE_DEF */
};
/* {"items":[{"id","repository","digest","first_seen","scanned_at","db_version",
 *  "counts":{"UNKNOWN":n,...}}...], "next": id or null}. */
int bh_ctl_image_list(struct bh_ctl_store *s, const struct bh_ctl_image_filter *f, json_t **out,
		      struct bh_error **err);
/* {"digest","repositories":[...],"scanned_at","db_version","counts",
 *  "vulnerabilities":[{"id","package","version","fixed","severity"}...],
 *  "sbom": the CycloneDX document or null (with_sbom)}; BH_ERR_NOTFOUND. */
int bh_ctl_image_get(struct bh_ctl_store *s, const char *digest, bool with_sbom, json_t **out,
		     struct bh_error **err);
/* Call fn for every recorded digest with its stored SBOM text (NULL when
 * none) and one of its repositories: a rematch's walk. */
int bh_ctl_image_each_sbom(struct bh_ctl_store *s,
			   int (*fn)(void *ctx, const char *digest, const char *repository,
				     const char *sbom, struct bh_error **err),
			   void *ctx, struct bh_error **err);

/*
 * The inventory a stored CycloneDX SBOM (bh_report_cyclonedx's, with its
 * bulkhead: properties) describes: packages and the OS, enough to match.
 * Components without bulkhead:package:type are left out.
 */
struct bh_inventory;
int bh_ctl_sbom_inventory(const char *buf, size_t len, struct bh_inventory **out,
			  struct bh_error **err);
/*
 * Re-match every recorded image from its stored SBOM against the advisory
 * store adv (no pull), record the result (actor, db_version), and call
 * on_vuln (may be NULL) for each finding not recorded before: the seam of
 * the "vuln" events. An image that cannot be matched is counted and
 * skipped; a store failure stops.
 */
struct bh_store;
struct bh_ctl_rematch_stats {
	size_t images;	/* re-matched and recorded */
	size_t fresh;	/* new findings */
	size_t skipped; /* no SBOM stored */
	size_t failed;	/* SBOM unreadable or the match failed */
};
int bh_ctl_image_rematch(struct bh_ctl_store *s, struct bh_store *adv, const char *actor,
			 const char *db_version,
			 void (*on_vuln)(void *ctx, const char *digest, const char *repository,
					 const struct bh_ctl_image_vuln *v),
			 void *ctx, struct bh_ctl_rematch_stats *st, struct bh_error **err);

/*
 * docker-registry's notification envelope
 * (application/vnd.docker.distribution.events.v1+json; untrusted,
 * fuzz/fuzz_ctl_hook.c): the "push" events of image manifests (OCI and
 * Docker schema 2; indexes, lists, blobs, pulls and deletes are skipped).
 */
#define BH_CTL_HOOK_MAX	       (1u << 20) /* body bytes */
#define BH_CTL_HOOK_EVENTS_MAX 256
struct bh_ctl_push {
	char repository[BH_CTL_REPO_MAX + 1];
	struct bh_digest digest;
	char tag[129]; /* or "" */
};
/* *out (n of them; free()) the pushes, in order, duplicates of a digest and
 * repository dropped; *skipped (may be NULL) the events left aside. */
int bh_ctl_hook_parse(const char *buf, size_t len, struct bh_ctl_push **out, size_t *n,
		      size_t *skipped, struct bh_error **err);
/* Whether name is a valid repository name (the distribution spec's grammar). */
bool bh_ctl_repo_valid(const char *name, size_t len);

/*
 * Registry automation: a worker thread that pulls each pushed manifest from
 * the one registry it is given (never a host a notification names), scans
 * it with bh_scan_image (vulnerabilities, the advisory store at advisory_db)
 * and records it (bh_ctl_image_record, actor: who posted the notification). The queue is
 * bounded and deduplicated by digest (queued or being scanned).
 */
struct bh_ctl_auto;
struct bh_registry_opts;
struct bh_update_sources;
struct bh_ctl_auto_opts {
	struct bh_ctl_store *store;		 /* borrowed; outlives the automation */
	const char *registry;			 /* HOST[:PORT] to pull from */
	const struct bh_registry_opts *reg_opts; /* TLS, credentials; NULL: defaults */
	const char *advisory_db;		 /* the advisory store's path */
	unsigned queue_max;			 /* 0: 64 */
	/*
	 * The one seam for new findings (a scan's, a rematch's): called on the
	 * worker thread for each vulnerability not recorded for the digest
	 * before, as an event of kind "vuln". NULL: none.
	 */
	void (*on_vuln)(void *ctx, const char *digest, const char *repository,
			const struct bh_ctl_image_vuln *v);
	void *on_vuln_ctx;
	/*
	 * Every db_update_interval seconds (0: never) the worker updates the
	 * advisory store from sources (bh_vuln_store_update; NULL: the default OSV
	 * exports; db_cacert: a CA bundle for them, or NULL) and, when a source
	 * changed, re-matches every recorded image (bh_ctl_image_rematch).
	 */
	unsigned db_update_interval;
	const struct bh_update_sources *sources;
	const char *db_cacert;
	/*
	 * When set (borrowed; outlives the automation), each scan of a push is
	 * also attached to the image in the registry as an in-toto vuln
	 * attestation signed with it, as `bulkhead attest --type vuln` does.
	 */
	const struct bh_key *attest_key;
};
int bh_ctl_auto_new(const struct bh_ctl_auto_opts *o, struct bh_ctl_auto **out,
		    struct bh_error **err);
/* Stop the worker (a scan in progress is cancelled) and free. */
void bh_ctl_auto_free(struct bh_ctl_auto *a);
/*
 * Queue the pushes (n of them); *queued those that were not already queued
 * or being scanned. A queue without room for all of them is BH_ERR_LIMIT and
 * queues none.
 */
int bh_ctl_auto_enqueue(struct bh_ctl_auto *a, const char *actor, const struct bh_ctl_push *p,
			size_t n, size_t *queued, struct bh_error **err);
/* Counters since start: scans done and failed, the queue's length. */
struct bh_ctl_auto_stats {
	uint64_t scanned, failed;
	uint64_t updates, rematched; /* db updates that changed something; images re-matched */
	size_t queued;
};
void bh_ctl_auto_stats(struct bh_ctl_auto *a, struct bh_ctl_auto_stats *out);
/* ---- agents and ingestion (agent17): nodes, workloads, events ------------------------------
 *
 * An agent (`bulkhead agent`, a node token) registers its node, reports the
 * node's containers now, and ships events in batches numbered by a per-node
 * sequence (1, 2, ...). The store keeps (node, seq) unique: a batch sent
 * again (the agent did not see the answer) stores nothing twice, and every
 * answer acknowledges the highest seq stored for the node, which is what the
 * agent may drop from its spool. Each batch is one transaction.
 */

#define BH_CTL_BATCH_MAX     500  /* events in one batch */
#define BH_CTL_WORKLOADS_MAX 1000 /* containers in one report */
#define BH_CTL_KIND_MAX	     32	  /* an event's kind: "alert", "gap", ... */
#define BH_CTL_RULE_MAX	     256  /* a rule's name */
#define BH_CTL_SEVERITY_MAX  16	  /* "CRITICAL", "WARNING", ... */
#define BH_CTL_FIELD_MAX     512  /* a workload's id, name, image, digest, pod, namespace */
#define BH_CTL_VERSION_MAX   128  /* agent and policy versions */
#define BH_CTL_SEQ_MAX	     ((int64_t)1 << 53) /* exact in JSON everywhere */

/* One event of a batch (strings borrowed from the parsed body). */
struct bh_ctl_event_in {
	int64_t ts;	      /* unix seconds */
	const char *kind;     /* [a-z0-9_.-]{1,32} */
	const char *rule;     /* may be NULL */
	const char *severity; /* may be NULL */
	const char *workload; /* a container id; may be NULL */
	/* the whole event as parsed; NULL when the batch's one-pass scan read it
	 * (src/ctl/ingest_scan.c): then json holds it */
	const json_t *item;
	/* its JSON text as sent (the bytes of the body, NUL-terminated), stored
	 * as is; NULL: item is encoded instead */
	const char *json;
	/* with item NULL: data.output when a string (for the alerts), else NULL */
	const char *output;
};

/* POST /api/v1/agent/events: {"node", "first_seq", "events": [{"ts", "kind",
 * "rule"?, "severity"?, "workload"?, "data"?}, ...]}; event i has seq
 * first_seq + i. */
struct bh_ctl_batch {
	char node[BH_CTL_NAME_MAX + 1];
	int64_t first_seq; /* 1..BH_CTL_SEQ_MAX */
	size_t n;	   /* 0..BH_CTL_BATCH_MAX */
	struct bh_ctl_event_in *ev;
	json_t *root; /* owns what ev borrows */
	char *text;   /* owns the events' json */
};
/* One container of a workloads report (strings borrowed; NULL: not given). */
struct bh_ctl_workload_in {
	const char *id, *name, *image, *digest, *pod, *namespace;
	int64_t started; /* unix seconds; 0: not given */
};
/* POST /api/v1/agent/workloads: {"node", "workloads": [{"id", "name"?, "image"?,
 * "digest"?, "pod"?, "namespace"?, "started"?}, ...]}: all the node's
 * containers now; those it no longer lists are marked gone. */
struct bh_ctl_workloads {
	char node[BH_CTL_NAME_MAX + 1];
	size_t n;
	struct bh_ctl_workload_in *w;
	json_t *root;
};
/* POST /api/v1/agent/register: {"node", "agent_version", "policy_version"?}. */
struct bh_ctl_register {
	char node[BH_CTL_NAME_MAX + 1];
	char agent_version[BH_CTL_VERSION_MAX + 1];
	char policy_version[BH_CTL_VERSION_MAX + 1]; /* "": none */
};

/*
 * The agent bodies' parsers (untrusted, (ptr, len); fuzz/fuzz_ctl_ingest.c):
 * unknown members, wrong types and values over their limits are
 * BH_ERR_INVALID naming the member ("events[3].kind: ..."); more than
 * BH_CTL_BODY_MAX bytes BH_ERR_LIMIT. A parsed batch or workloads is released
 * with the matching _release (also after a failure; a zeroed one is fine).
 */
int bh_ctl_batch_parse(const char *buf, size_t len, struct bh_ctl_batch *out,
		       struct bh_error **err);
void bh_ctl_batch_release(struct bh_ctl_batch *b);
int bh_ctl_workloads_parse(const char *buf, size_t len, struct bh_ctl_workloads *out,
			   struct bh_error **err);
void bh_ctl_workloads_release(struct bh_ctl_workloads *w);
int bh_ctl_register_parse(const char *buf, size_t len, struct bh_ctl_register *out,
			  struct bh_error **err);

/*
 * The seam for alerts: called once per stored batch, after its transaction
 * committed, on the request's thread, with the node and only the events this
 * batch newly stored (a replay's duplicates are not passed again; seqs[i] is
 * events[i]'s seq). It must not block for long (queue the work) and cannot
 * fail the batch: the events are stored either way.
 */
struct bh_ctl_ingest_hook {
	void (*stored)(void *data, const char *node, const struct bh_ctl_event_in *events,
		       const int64_t *seqs, size_t n);
	void *data;
};

struct bh_ctl_ingest_result {
	int64_t stored; /* rows this call inserted */
	int64_t acked;	/* the highest seq stored for the node (0: none) */
};

/* Register node (an upsert of its row: versions, last_seen), audited as
 * "node.register" by actor. */
int bh_ctl_node_register(struct bh_ctl_store *s, const char *actor, const struct bh_ctl_register *r,
			 struct bh_error **err);
/* Store batch b of node in one transaction (see above); hook may be NULL. */
int bh_ctl_ingest_events(struct bh_ctl_store *s, const char *node, const struct bh_ctl_batch *b,
			 const struct bh_ctl_ingest_hook *hook, struct bh_ctl_ingest_result *res,
			 struct bh_error **err);
/* The highest seq stored for node (0: none). */
int bh_ctl_ingest_acked(struct bh_ctl_store *s, const char *node, int64_t *out,
			struct bh_error **err);
/* Replace node's workloads by w (one transaction): new ones added, listed ones
 * updated (and back from gone), the rest marked gone now; an addition or a
 * removal is audited as "workloads.report" by actor. *added, *gone (may be
 * NULL) count them. */
int bh_ctl_workloads_report(struct bh_ctl_store *s, const char *actor, const char *node,
			    const struct bh_ctl_workloads *w, int64_t *added, int64_t *gone,
			    struct bh_error **err);

/* [{"name","registered","last_seen","agent_version","policy_version",
 *   "events","acked"}...] by name. */
int bh_ctl_node_list(struct bh_ctl_store *s, json_t **out, struct bh_error **err);

struct bh_ctl_workload_filter {
	const char *node; /* NULL: any */
	bool all;	  /* also the gone ones */
};
/* [{"node","id","name","image","digest","pod","namespace","started","gone",
 * "launch"}...] by node and id: the first BH_CTL_WORKLOAD_PAGE_MAX (the first
 * page of bh_ctl_workload_page at its largest). */
int bh_ctl_workload_list(struct bh_ctl_store *s, const struct bh_ctl_workload_filter *f,
			 json_t **out, struct bh_error **err);
/* lease17: one page of them, by node and id after cursor ("NODE/ID" as a
 * page's next gives it; NULL or "": from the start), at most limit
 * (0: BH_CTL_WORKLOAD_PAGE_DEFAULT; over BH_CTL_WORKLOAD_PAGE_MAX:
 * BH_ERR_INVALID): {"workloads":[...], "next": cursor or null}
 * (src/ctl/views.c). */
#define BH_CTL_WORKLOAD_PAGE_DEFAULT 500
#define BH_CTL_WORKLOAD_PAGE_MAX     5000
int bh_ctl_workload_page(struct bh_ctl_store *s, const struct bh_ctl_workload_filter *f,
			 const char *cursor, unsigned limit, json_t **out, struct bh_error **err);

struct bh_ctl_event_filter {
	const char *node, *severity, *rule, *workload; /* NULL: any */
	const char *kind;			       /* webhook19; NULL: any */
	int64_t since, until;			       /* unix seconds, inclusive; 0: any */
	int64_t after_id;			       /* paging, as the audit log's */
	unsigned limit; /* 1..BH_CTL_AUDIT_PAGE_MAX; 0: BH_CTL_AUDIT_PAGE_DEFAULT */
};
/* {"items":[{"id","node","seq","time","kind","rule","severity","workload",
 *  "event"}...], "next": id or null}, in the order stored. */
int bh_ctl_event_list(struct bh_ctl_store *s, const struct bh_ctl_event_filter *f, json_t **out,
		      struct bh_error **err);
/* bench17: each node's (node NULL: every node's) last bench run, from its
 * events of kind "bench" (src/ctl/bench.c): {"nodes":[{"node","time","ts",
 * "pass","fail","warn","info","results":[{"id","status","title","nist",
 * "cis","level","actual","expected","section"}...]}...]} by node. */
int bh_ctl_bench_list(struct bh_ctl_store *s, const char *node, json_t **out,
		      struct bh_error **err);

/* ---- the REST API ---------------------------------------------------------------------- */

struct bh_ctl_api;

struct bh_ctl_api_opts {
	struct bh_ctl_store *store; /* borrowed; outlives the API */
	int64_t login_ttl;	    /* seconds; 0: 12 h */
	/* ops17: failed logins allowed per user name and per source address
	 * within login_window seconds before 429 (0: 5 and 60) */
	unsigned login_failures;
	unsigned login_window;
	/* ops17: the store's counts in /metrics are kept this many seconds (0: 5) */
	unsigned metrics_ttl;
	/* ops17: the alerts engine (borrowed, may be NULL): its stats in /metrics;
	 * ingestion hands it each stored batch (bh_ctl_alert_events) */
	struct bh_ctl_alert *alerts;
	/* auto17: registry automation (borrowed; NULL: the hook answers 503) */
	struct bh_ctl_auto *automation;
	/* agents and ingestion (agent17): called per stored batch (NULL: none) */
	const struct bh_ctl_ingest_hook *ingest_hook;
	/* http17: live streams (GET /api/v1/stream) open at once (0: 64) */
	unsigned max_streams;
	/* ctlmisc19: an action handed to an agent is leased this many seconds,
	 * handed out again when the lease ends, failed after this many hand-outs
	 * (0: 60 s and 5; serve --action-lease, --action-attempts). Per replica:
	 * the hand-out stores its lease's end in the action's row, so every
	 * replica agrees when a given lease is over; give replicas the same. */
	int64_t action_lease_s;
	int64_t action_attempts;
};
#define BH_CTL_ACTION_LEASE_MIN                                                                    \
	5 /* serve --action-lease: a lease shorter than a poll or two hands out twice */
#define BH_CTL_ACTION_LEASE_MAX	   86400
#define BH_CTL_ACTION_ATTEMPTS_MAX 100

int bh_ctl_api_new(const struct bh_ctl_api_opts *o, struct bh_ctl_api **out, struct bh_error **err);
void bh_ctl_api_free(struct bh_ctl_api *a);
/* The routes to give bh_http_options (borrowed from a; *n of them). GET
 * /healthz is the HTTP layer's own. */
const struct bh_http_route *bh_ctl_api_routes(struct bh_ctl_api *a, size_t *n);
/* The OpenAPI 3 document of exactly those routes (new reference). */
json_t *bh_ctl_api_openapi(void);

/* ---- the web dashboard (dash17) -------------------------------------------------------- */

/*
 * The dashboard's routes (src/ctl/web.c): GET of each file of web/, embedded
 * at build time (index.html also at /), with a strict Content-Security-Policy,
 * framing refused, no referrer, an ETag (If-None-Match: 304). No token: the
 * files hold no data; every datum comes from the API with the user's token.
 * Static, *n of them; thread-safe.
 */
const struct bh_http_route *bh_ctl_web_routes(size_t *n);

#define BH_CTL_WEB_INM_MAX 4096 /* a longer If-None-Match never matches */
/*
 * Whether an If-None-Match value (h, len bytes, untrusted) names etag (a
 * quoted tag) by RFC 9110's weak comparison: a list of tags, each may be
 * W/-prefixed; "*" matches. Never reads past len; false over the limit.
 */
bool bh_ctl_web_etag_match(const char *h, size_t len, const char *etag);

/* ---- ops17: hardening (login rate limits, the probes' authentication) ------------------ */

/*
 * Failure counters by key in a bounded table (at most slots keys; when a set
 * is full the entry whose window began first gives way): a key with max
 * failures within window seconds waits until that window ends. Thread-safe.
 * The API keeps one for logins, keyed "user:NAME" and "addr:ADDRESS".
 */
#define BH_CTL_LIMIT_KEY_MAX 80
struct bh_ctl_limiter;
struct bh_ctl_limiter *bh_ctl_limiter_new(unsigned slots, unsigned max, unsigned window);
void bh_ctl_limiter_free(struct bh_ctl_limiter *l);
/* Seconds until key may try again at now (unix seconds); 0: it may. */
unsigned bh_ctl_limiter_wait(struct bh_ctl_limiter *l, const char *key, int64_t now);
/* Count one failure of key at now. */
void bh_ctl_limiter_fail(struct bh_ctl_limiter *l, const char *key, int64_t now);
/* Forget key's failures (a success). */
void bh_ctl_limiter_clear(struct bh_ctl_limiter *l, const char *key);

/*
 * How many times the PostgreSQL connection broke and was made anew (a
 * statement outside a transaction that failed on a broken connection is
 * run once more on the new one; a transaction's BEGIN too); 0 for SQLite.
 */
uint64_t bh_ctl_store_reconnects(struct bh_ctl_store *s);

/*
 * ingest17: where the store's time goes (debug stats, /metrics): the group
 * commits and the transactions in them; the time transactions queued for a
 * group to start, the groups' statements (the fns in their savepoints) and
 * their COMMITs; the time threads waited for a connection (SQLite: the
 * writer's while a group holds it) and reads served by SQLite's readers.
 */
struct bh_ctl_store_timing {
	uint64_t groups, grouped;
	uint64_t queue_ns, run_ns, commit_ns, conn_wait_ns;
	uint64_t reads; /* SQLite: queries answered by a reader connection */
};
void bh_ctl_store_timing(struct bh_ctl_store *s, struct bh_ctl_store_timing *out);

/*
 * The HTTP layer's authorize hook (bh_http_options.authorize, ctx the API):
 * GET /metrics needs a user token of any role; /readyz a user's or a node's.
 */
int bh_ctl_api_authorize(void *api, const struct bh_http_request *req, const char **msg);

/*
 * The HTTP layer's metrics hook (bh_http_options.metrics, ctx the API):
 * Prometheus text of the API's requests by method, route and status, their
 * latency by route, logins failed and throttled, store reconnects, and the
 * store's counts (users by role, tokens valid by kind, audit rows, ...: one
 * query per family, the text kept metrics_ttl seconds so a scrape is cheap).
 */
int bh_ctl_api_metrics(void *api, struct bh_buf *out, struct bh_error **err);

/* ---- ops17: alerts (src/ctl/alert.c, alert_rule.c; the API in api_alert.c) ------------ */

/*
 * An alert rule (table alert_rules, admin CRUD through the API, audited): an
 * event matches when its severity is at least min_severity and each given
 * filter matches (kind and rule exactly, workload as an fnmatch(3) glob).
 * Matching events go to one destination; per rule, the first event of a
 * window is sent at once, the rest of that window as one summary ("N more
 * like this") when it ends.
 *
 * Events are JSON objects: "severity" (or "priority"): DEBUG, INFO(RMATIONAL),
 * NOTICE, LOW, WARNING, MEDIUM, ERROR, HIGH, CRITICAL, ALERT, EMERGENCY (case
 * ignored: two ladders on one scale of 1..5, LOW = NOTICE, MEDIUM = WARNING,
 * HIGH = ERROR, CRITICAL = ALERT = EMERGENCY); "kind", "rule", "workload"
 * (or "container"), "output" (or "message"), "time": strings, all optional.
 */
enum bh_ctl_alert_dest {
	BH_CTL_ALERT_WEBHOOK = 1, /* POST of the event as JSON to an http(s) URL */
	BH_CTL_ALERT_SLACK,	  /* POST {"text": ...} (Slack-compatible) */
	BH_CTL_ALERT_SYSLOG,	  /* RFC 5424 to a unix datagram socket path */
	BH_CTL_ALERT_EMAIL,	  /* SMTP: url smtp://HOST[:PORT], to, from */
};
#define BH_CTL_ALERT_URL_MAX	2048
#define BH_CTL_ALERT_FIELD_MAX	256 /* kind, rule, workload glob, email addresses */
#define BH_CTL_ALERT_WINDOW_MAX 86400
#define BH_CTL_ALERT_RULES_MAX	256 /* rules an engine holds */

struct bh_ctl_alert_rule {
	char name[BH_CTL_NAME_MAX + 1];
	int min_severity; /* 1..5 */
	char kind[BH_CTL_ALERT_FIELD_MAX + 1], rule[BH_CTL_ALERT_FIELD_MAX + 1],
		workload[BH_CTL_ALERT_FIELD_MAX + 1]; /* "": any */
	enum bh_ctl_alert_dest dest;
	char url[BH_CTL_ALERT_URL_MAX + 1]; /* webhook/slack/email URL, or the syslog socket */
	char to[BH_CTL_ALERT_FIELD_MAX + 1], from[BH_CTL_ALERT_FIELD_MAX + 1]; /* email */
	unsigned window; /* seconds, 1..BH_CTL_ALERT_WINDOW_MAX; 0 given: 60 */
};

/* A severity's rank 1..5, or -1 for a name not on either ladder. */
int bh_ctl_severity_rank(const char *s);
/* "info", "low", "medium", "high", "critical" for 1..5 */
const char *bh_ctl_severity_name(int rank);

/*
 * Parse a rule (untrusted: a request body, buf/len bytes, at most
 * BH_CTL_BODY_MAX): {"name", "min_severity", "kind"?, "rule"?, "workload"?,
 * "destination": "webhook"|"slack"|"syslog"|"email", "url", "to"?, "from"?,
 * "window"?}. Unknown members, wrong types, values over their limits, a URL
 * of the wrong scheme for its destination (http(s) for webhooks, smtp(s)
 * for email, an absolute path for syslog), an email without to and from or
 * with CR/LF in them are BH_ERR_INVALID naming the member.
 */
int bh_ctl_alert_rule_parse(const char *buf, size_t len, struct bh_ctl_alert_rule *out,
			    struct bh_error **err);
/* The rule as the API shows it (new reference). */
json_t *bh_ctl_alert_rule_json(const struct bh_ctl_alert_rule *r);

/* Store: add (BH_ERR_USAGE when the name exists), delete (BH_ERR_NOTFOUND),
 * list ([rule...] sorted by name); add and delete audited as actor. */
int bh_ctl_alert_rule_add(struct bh_ctl_store *s, const char *actor,
			  const struct bh_ctl_alert_rule *r, struct bh_error **err);
int bh_ctl_alert_rule_delete(struct bh_ctl_store *s, const char *actor, const char *name,
			     struct bh_error **err);
int bh_ctl_alert_rule_list(struct bh_ctl_store *s, json_t **out, struct bh_error **err);

struct bh_ctl_alert;
struct bh_ctl_alert_opts {
	struct bh_ctl_store *store; /* borrowed: the rules, read again every rules_ttl s */
	unsigned queue_max;	    /* messages waiting for delivery; 0: 1024 (more: dropped) */
	unsigned retries;	    /* after a failed delivery; 0: 3 (doubling pause from 200 ms) */
	unsigned timeout_ms;	    /* per delivery attempt; 0: 5000 */
	unsigned rules_ttl;	    /* seconds; 0: 5 */
};
struct bh_ctl_alert_stats {
	uint64_t events, matched, sent, summaries, suppressed, failed, dropped;
	uint64_t muted; /* ingest17: new findings of a suppressed vulnerability, not sent */
};
/* A new engine and its delivery thread. */
int bh_ctl_alert_new(const struct bh_ctl_alert_opts *o, struct bh_ctl_alert **out,
		     struct bh_error **err);
/*
 * The entry point for a stored batch of events (an array of event objects,
 * or one object; borrowed): matched against the rules and queued, never
 * blocking on delivery. Errors only for a store that cannot be read (the
 * rules), never for an event (one that is not an object is skipped).
 */
int bh_ctl_alert_events(struct bh_ctl_alert *e, json_t *events, struct bh_error **err);
/*
 * The automation's on_vuln seam (ctx: the engine): a new finding as an event
 * of kind "vuln" (rule the vulnerability's ID, its severity, workload the
 * repository) through bh_ctl_alert_events.
 */
void bh_ctl_alert_on_vuln(void *ctx, const char *digest, const char *repository,
			  const struct bh_ctl_image_vuln *v);
void bh_ctl_alert_stats(struct bh_ctl_alert *e, struct bh_ctl_alert_stats *out);
/* Prometheus text of the stats (bulkhead_alerts_*). */
int bh_ctl_alert_metrics(struct bh_ctl_alert *e, struct bh_buf *out, struct bh_error **err);
/* Send the summaries of open windows now, deliver what is queued (for at
 * most drain_ms), stop the thread and free. */
void bh_ctl_alert_free(struct bh_ctl_alert *e, unsigned drain_ms);
/*
 * `bulkhead serve alert send`: the events in buf (len bytes: a JSON array of
 * event objects, or one object; at most 64 MiB) through a new engine on s,
 * delivered within drain_ms (open windows' summaries at once); *stats what
 * it did.
 */
int bh_ctl_alert_replay(struct bh_ctl_store *s, const char *buf, size_t len, unsigned drain_ms,
			struct bh_ctl_alert_stats *stats, struct bh_error **err);

/* ---- views17: the dashboard's views and the SP 800-190 countermeasures ----------------- */

/* [{"id","user","node","created","expires","revoked","state"}...], newest
 * first: user's tokens (NULL: everyone's); never a secret or its hash. */
int bh_ctl_token_list(struct bh_ctl_store *s, const char *user, json_t **out,
		      struct bh_error **err);
/* Where digest runs: [{"node","id","name","image","started","gone"}...] (all:
 * the gone ones too). */
int bh_ctl_image_workloads(struct bh_ctl_store *s, const char *digest, bool all, json_t **out,
			   struct bh_error **err);
/*
 * NIST SP 800-190 section 4, counted from the store now (src/ctl/counter.c):
 * {"generated", "summary":{"violated","enforced","no-data"},
 *  "countermeasures":[{"id","title","enforced_by","state",
 *   "evidence":[{"what","count","link"}...], "violations":[...]}...]}.
 */
int bh_ctl_countermeasures(struct bh_ctl_store *s, json_t **out, struct bh_error **err);

/*
 * Suppressed findings (src/ctl/suppress.c, table suppressions): a
 * vulnerability of one image digest (or of every image: digest "") set aside
 * with a reason for ttl seconds. While active it leaves the counts that judge
 * the images (countermeasures, /metrics' bulkhead_image_vulnerabilities).
 * POST /api/v1/suppressions: {"vulnerability", "digest"?, "reason", "ttl"}
 * (untrusted; fuzz/fuzz_ctl_suppress.c).
 */
#define BH_CTL_SUPPRESS_ID_MAX	   128
#define BH_CTL_SUPPRESS_REASON_MAX 512
struct bh_ctl_suppress {
	char vuln_id[BH_CTL_SUPPRESS_ID_MAX + 1];
	char digest[BH_DIGEST_MAX]; /* canonical, or "": any image */
	char reason[BH_CTL_SUPPRESS_REASON_MAX + 1];
	int64_t ttl; /* seconds, 1..BH_CTL_TOKEN_TTL_MAX */
};
int bh_ctl_suppress_parse(const char *buf, size_t len, struct bh_ctl_suppress *out,
			  struct bh_error **err);
/* Add one (audited "suppress.add" by actor); *id (may be NULL) its id. */
int bh_ctl_suppress_add(struct bh_ctl_store *s, const char *actor, const struct bh_ctl_suppress *in,
			int64_t *id, struct bh_error **err);
/* Remove one before its expiry (audited "suppress.delete"); BH_ERR_NOTFOUND. */
int bh_ctl_suppress_delete(struct bh_ctl_store *s, const char *actor, int64_t id,
			   struct bh_error **err);
/* [{"id","vulnerability","digest","reason","actor","created","expires","active"}...]
 * by id: the active ones (all: the expired too). */
int bh_ctl_suppress_list(struct bh_ctl_store *s, bool all, json_t **out, struct bh_error **err);
/*
 * ingest17: the images table's stored counts leave active suppressions'
 * findings. recount: the counts of digest (or, digest NULL or "", of every
 * image with vuln_id) at now. sweep: every suppression whose counts do not
 * yet reflect it at now (new, expired) applied (*changed: how many; may be
 * NULL); a read without a write when none. active: *out whether a finding
 * of vuln_id in digest is suppressed at now.
 */
int bh_ctl_suppress_recount(struct bh_ctl_store *s, const char *digest, const char *vuln_id,
			    int64_t now, struct bh_error **err);
int bh_ctl_suppress_sweep(struct bh_ctl_store *s, int64_t now, int64_t *changed,
			  struct bh_error **err);
int bh_ctl_suppress_active(struct bh_ctl_store *s, const char *vuln_id, const char *digest,
			   int64_t now, bool *out, struct bh_error **err);

/* ---- maintenance (lease17, src/ctl/retention.c) ------------------------------------------ */

/*
 * lease17: retention. Flows rows of buckets older than now - retention_s go;
 * per node, the flow_seqs rows of records older than that go too, below a
 * floor (table flow_floor) that ingestion treats as held, so a replay of a
 * pruned seq is never stored twice. The node's newest flow_seqs row always
 * stays (the node's acked is its MAX(seq)). Exactly once holds because an
 * agent ships its spool in seq order: once seq S is held, no seq below S is
 * new, and S older than the retention is past any resend the agent makes
 * (it resends only what is after the acked answered it, or a batch whose
 * answer was lost, which the floor then covers).
 */
struct bh_ctl_prune_result {
	int64_t flows, threats, seqs; /* rows deleted */
};
int bh_ctl_flows_prune(struct bh_ctl_store *s, int64_t retention_s, int64_t now,
		       struct bh_ctl_prune_result *res, struct bh_error **err);

/* The controller's maintenance: a thread pruning every interval_s (and at
 * start) while the controller runs; failures warned, tried next time. */
struct bh_ctl_maint;
struct bh_ctl_maint_opts {
	struct bh_ctl_store *store; /* borrowed */
	int64_t flows_retention;    /* seconds; 0: BH_CTL_FLOWS_RETENTION; <0: off */
	unsigned interval_s;	    /* 0: min(retention / 10, 3600), at least 1 */
};
#define BH_CTL_FLOWS_RETENTION (7 * 86400)
int bh_ctl_maint_new(const struct bh_ctl_maint_opts *o, struct bh_ctl_maint **out,
		     struct bh_error **err);
void bh_ctl_maint_free(struct bh_ctl_maint *m);

#endif /* BULKHEAD_CTL_H */
