/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead policy: one policy decides, in one place, what may run (NIST SP
 * 800-190 4.1.5, 4.3.3-4.3.5, 4.4.3, 4.4.5). A policy is a set of rules read
 * from YAML files (share/policy/policy.schema.json, docs/man/bulkhead-policy.1),
 * compiled once into an immutable object, and evaluated against an input:
 *
 *   - a Kubernetes object (a Pod or any workload with a pod template) with
 *     its namespace's labels: what `bulkhead policy check` reads from
 *     manifests and what the admission webhook gets in an AdmissionReview;
 *   - an OCI runtime config (config.json) and the image its annotations name:
 *     what the runtime has at container create;
 *   - an image: its reference, digest and config.
 *
 * Every caller makes the same one call:
 *
 *   bh_policy_eval(policy, &input, &result, &err)
 *
 * and the result lists every rule that fired with its action (enforce,
 * audit, warn: the words Pod Security Admission uses), its message and the SP
 * 800-190 section it serves. How the callers that are coming will build
 * their input:
 *
 *   - the admission webhook (`bulkhead admission serve`): input.kind =
 *     BH_POLICY_K8S, input.object = request.object, input.namespace =
 *     request.namespace, input.namespace_labels = the namespace's labels (from
 *     its watch or its configured map; NULL when unknown), input.username =
 *     request.userInfo.username, input.workload_warn_only = true (PSA's rule:
 *     the Pod Security Standards only warn and audit on workload resources);
 *     the `enforce` hits deny (403 with their messages), `warn` hits become
 *     `warnings`, `audit` hits `auditAnnotations`. One compiled policy serves
 *     every request and thread; verification and scan results are cached by
 *     digest in the webhook's env (below), not in the policy.
 *   - the runtime at create: input.kind = BH_POLICY_OCI, input.oci_config =
 *     the bundle's config.json, and one bh_policy_image filled from the
 *     engine's annotations (bh_policy_image_from_annotations reads the ones
 *     we know); a hit with action enforce refuses the container. The policy is
 *     compiled once per policy.d and can be cached by the files' mtimes.
 *   - `bulkhead policy check`: all three kinds, from manifests, bundles and
 *     images named on the command line.
 *
 * Facts the rules need that the input does not carry (is this digest signed
 * by these keys? what did the scan of this digest find?) are asked of an env
 * (struct bh_policy_env) only when a rule in scope needs them: the default
 * env verifies through bh_verify_image (include/bulkhead/trust.h); tests
 * stub it.
 *
 * Ownership, for the whole library (as include/bulkhead/base.h):
 *  - `const T *` arguments are borrowed for the duration of the call;
 *  - `T **out` arguments hand a new object to the caller, who releases it
 *    with the matching `_free()`; a struct filled by a function is released
 *    with the matching `_release()`;
 *  - every `_free(NULL)` and `_release()` of a zeroed struct is a no-op.
 *
 * Errors: a function returns 0 (or a non-negative count) on success and a
 * negative value on failure, after storing a `struct bh_error` in `*err`. A
 * policy file that does not validate is BH_ERR_INVALID, with every problem
 * (file, line, column, message) in the diagnostics list the caller passed.
 * An input that is not what it claims (a field of the wrong type, an object
 * of an unknown kind) is BH_ERR_INVALID / BH_ERR_UNSUPPORTED naming the
 * field; it is never evaluated as if the field were absent.
 */
#ifndef BULKHEAD_POLICY_H
#define BULKHEAD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bulkhead/base.h"
#include "bulkhead/vuln.h" /* enum bh_severity; not report.h, which brings the image reader */

struct bh_findings;  /* include/bulkhead/report.h */
struct bh_inventory; /* include/bulkhead/inventory.h */

/* ---- the Pod Security Standards ------------------------------------------- */

/*
 * The Pod Security Standards exactly as Kubernetes' Pod Security Admission
 * (k8s.io/pod-security-admission, release-1.36): the same checks, the same
 * version gates (a check applies from the policy version that introduced
 * it; `latest` and any version above the newest check's are the newest),
 * the same order and byte for byte the same messages. See
 * src/policy/pss_checks.c for the table and tests/data/pss/ for the
 * upstream fixtures every version is tested against.
 */
enum bh_pss_level { BH_PSS_PRIVILEGED = 0, BH_PSS_BASELINE, BH_PSS_RESTRICTED };

#define BH_PSS_LATEST (-1) /* the version "latest" */

struct bh_pss_lv {
	enum bh_pss_level level;
	int64_t minor; /* v1.<minor>, or BH_PSS_LATEST */
};

/* Room for the longest "restricted:v1.<int64>", NUL included. */
#define BH_PSS_LV_MAX 48

const char *bh_pss_level_name(enum bh_pss_level l); /* "privileged", ... */
/* "privileged", "baseline" or "restricted" (exactly, as PSA); -1 otherwise. */
int bh_pss_parse_level(const char *s, enum bh_pss_level *out);
/* "latest" or "v1.N" (N without leading zeros, as PSA's regexp); -1 otherwise. */
int bh_pss_parse_version(const char *s, int64_t *minor);
/* "LEVEL", "LEVEL:latest" or "LEVEL:v1.N"; an error names what is wrong. */
int bh_pss_parse(const char *s, struct bh_pss_lv *out, struct bh_error **err);
/* "restricted:latest", "baseline:v1.30": PSA's LevelVersion.String(). */
const char *bh_pss_lv_string(struct bh_pss_lv lv, char buf[BH_PSS_LV_MAX]);

struct bh_pss_check_result {
	const char *id; /* the check ("allowPrivilegeEscalation"); static */
	char *reason;	/* "allowPrivilegeEscalation != false" */
	char *detail;	/* "container \"app\" must set ...", or "" */
};

struct bh_pss_result {
	bool allowed;
	bool has_pod;			    /* false: the object holds no pod (nothing checked) */
	struct bh_pss_check_result *failed; /* in PSA's order */
	size_t nfailed;
	char *detail; /* PSA's aggregate: "reason (detail), reason, ..."; NULL when allowed */
};
void bh_pss_result_release(struct bh_pss_result *r);

/*
 * Evaluate a Pod, or the pod template of a workload (Deployment, ReplicaSet,
 * StatefulSet, DaemonSet, Job, CronJob, ReplicationController, PodTemplate),
 * at (level, version). A workload without a template is allowed, as PSA
 * allows it; any other kind is BH_ERR_UNSUPPORTED. Fields the checks read
 * must have their API types (BH_ERR_INVALID naming the path otherwise).
 */
int bh_pss_eval(const json_t *object, struct bh_pss_lv lv, struct bh_pss_result *res,
		struct bh_error **err);
/*
 * PSA's message for a result that is not allowed: `violates PodSecurity
 * "restricted:latest": <detail>` (what enforce says of a pod), or with
 * `would` `would violate PodSecurity ...` (audit, warn, workloads). Caller
 * frees.
 */
char *bh_pss_message(struct bh_pss_lv lv, const struct bh_pss_result *r, bool would);

/* PSA's three modes, the namespace labels that set them and their order. */
enum bh_pss_mode { BH_PSS_ENFORCE = 0, BH_PSS_AUDIT, BH_PSS_WARN };
#define BH_PSS_NMODES 3

struct bh_pss_policy {
	struct bh_pss_lv mode[BH_PSS_NMODES];
};

/*
 * PSA's PolicyToEvaluate: the namespace labels
 * pod-security.kubernetes.io/{enforce,audit,warn}[-version] (labels: an
 * object of strings, or NULL) over `defaults`. A label that does not parse
 * is what PSA makes of it (enforce: restricted / latest; audit and warn:
 * privileged / latest) and a message in `problems` (may be NULL).
 */
void bh_pss_policy_from_labels(const json_t *labels, const struct bh_pss_policy *defaults,
			       struct bh_pss_policy *out, struct bh_strvec *problems);

/* ---- policies -------------------------------------------------------------- */

enum bh_policy_action { BH_ACT_ENFORCE = 1, BH_ACT_AUDIT, BH_ACT_WARN };
const char *bh_policy_action_name(enum bh_policy_action a); /* "enforce", ... */

/* One problem in a policy file. */
struct bh_policy_diag {
	char *file;
	size_t line, column; /* 1-based; 0 when unknown */
	char *message;
};

struct bh_policy_diags {
	struct bh_policy_diag *v;
	size_t n, cap;
};
void bh_policy_diags_release(struct bh_policy_diags *d);

struct bh_policy; /* compiled: immutable, shared by every thread */

/* Limits of policy files. */
#define BH_POLICY_FILE_MAX  (4 * 1024 * 1024)
#define BH_POLICY_RULES_MAX 4096

struct bh_policy *bh_policy_new(void);
/*
 * Add one policy file (YAML or JSON, one or several documents of kind
 * Policy) from memory; `name` names it in diagnostics, `base_dir` is where
 * relative key and VEX paths in it are read from (NULL = cwd). Files
 * compose in the order they are added: a rule whose name was seen before
 * refines the earlier rule (docs/man/bulkhead-policy.1, "Composition"). Every
 * problem goes to diags (may be NULL); any problem makes it fail with
 * BH_ERR_INVALID.
 */
int bh_policy_add(struct bh_policy *p, const char *buf, size_t len, const char *name,
		  const char *base_dir, struct bh_policy_diags *diags, struct bh_error **err);
/* The same from a file (at most BH_POLICY_FILE_MAX bytes). */
int bh_policy_add_file(struct bh_policy *p, const char *path, struct bh_policy_diags *diags,
		       struct bh_error **err);
/* Add a podSecurity rule "pss" at (level, version), action enforce, reading
 * namespace labels: what `policy check --pss` means. */
int bh_policy_add_pss(struct bh_policy *p, struct bh_pss_lv lv, struct bh_error **err);
/*
 * Compose what was added into the rules evaluated: merge the refinements,
 * validate the results, read key and VEX files, compile globs. After this
 * the policy is read-only. Problems as bh_policy_add.
 */
int bh_policy_compile(struct bh_policy *p, struct bh_policy_diags *diags, struct bh_error **err);
/*
 * Options, set before the first add: BH_POLICY_DEFER_KEYS reads the key
 * files of signature rules (they must exist and hold a PEM public key's
 * armour) but parses them only when a verification needs them, so that a
 * policy whose verifications are answered from a cache never loads the
 * crypto library (the runtime at create): the env's verify gets keys NULL
 * and calls req->load_keys when it must verify. A key that does not parse then
 * makes that verification fail: the rule fires, saying why. `bulkhead
 * policy validate` parses every key.
 */
#define BH_POLICY_DEFER_KEYS 0x1
void bh_policy_set_flags(struct bh_policy *p, unsigned flags);
size_t bh_policy_nrules(const struct bh_policy *p);
/* What a compiled policy will ask of the env: BH_POLICY_NEEDS_* bits. */
#define BH_POLICY_NEEDS_VERIFY 0x1 /* signatures or attestations */
#define BH_POLICY_NEEDS_SCAN   0x2 /* a scan result */
#define BH_POLICY_NEEDS_CONFIG 0x4 /* the image config (created, user) */
unsigned bh_policy_needs(const struct bh_policy *p);
void bh_policy_free(struct bh_policy *p);

struct bh_netpol; /* include/bulkhead/netpolicy.h */
/*
 * The network policy the compiled policy's `networkGroup` and `network`
 * rules make (docs/man/bulkhead-policy.1, "Network policy"), for the packet
 * engine: *out (caller frees with bh_netpol_free) even when there are none.
 * Returns the number of groups and rules; an error names the rule's file,
 * line and column.
 */
int bh_policy_net(const struct bh_policy *p, struct bh_netpol **out, struct bh_error **err);

/* ---- what the rules evaluate ------------------------------------------------ */

/* An image as the rules see it. */
struct bh_policy_image {
	const char *ref;    /* as written: "nginx:1.25", "reg:5000/a/b@sha256:..." */
	const char *digest; /* its manifest digest when known, else NULL */
	/* what bh_image_open / bh_verify_image may open ("oci:DIR"): set only by a
	 * caller that chose it; NULL for images named by the input itself, which
	 * the default env looks up in a registry ("docker://REF"), never on disk */
	const char *open_ref;
	bool config_known; /* created and user below are known */
	int64_t created;   /* config.created, seconds since the epoch (0: absent) */
	const char *user;  /* config.config.User ("" = root) */
};

/*
 * The image the engine names in an OCI config's annotations (CRI-O
 * io.kubernetes.cri-o.ImageName / ImageRef, containerd's
 * io.kubernetes.cri.image-name / image-ref, org.opencontainers.image.ref.name
 * and .base.digest), all borrowed from `config`. Returns 1 when a name was
 * found, 0 when not.
 */
int bh_policy_image_from_annotations(const json_t *config, struct bh_policy_image *out);

/* A vulnerability, as the vulnerability gate sees a scan's finding. */
struct bh_policy_vuln {
	char *id;
	char **aliases; /* NULL-terminated, or NULL */
	enum bh_severity severity;
	double score;	   /* CVSS base score, or -1 */
	bool fixable;	   /* a fixed version exists */
	int64_t published; /* when the advisory was published, or 0 */
	char *package;	   /* name, or NULL */
	char *purl;	   /* or NULL */
	bool suppressed;   /* already suppressed by the scan (ignore file, VEX) */
};

/* A content finding: a secret, malware, a failed configuration check. */
enum bh_policy_content_kind { BH_POLICY_SECRET = 1, BH_POLICY_MALWARE, BH_POLICY_CONFIG };

struct bh_policy_content {
	enum bh_policy_content_kind kind;
	char *id;   /* "BH-SECRET-AWS", "BH-CFG-003" */
	char *path; /* or NULL */
	bool suppressed;
};

/*
 * A scan result for one image digest, however it was obtained (a scan now,
 * the store, a verified attestation): the policy's only view of a scan.
 */
struct bh_policy_scan {
	char *digest;	    /* the image manifest digest it is for, or NULL */
	int64_t scanned_at; /* seconds since the epoch, or 0 when unknown */
	struct bh_policy_vuln *vulns;
	size_t nvulns;
	struct bh_policy_content *content;
	size_t ncontent;
};
void bh_policy_scan_release(struct bh_policy_scan *s);
/* From the one finding type (include/bulkhead/report.h); inv (may be NULL)
 * names the vulnerable packages. */
int bh_policy_scan_from_findings(const struct bh_findings *f, const struct bh_inventory *inv,
				 const char *digest, int64_t scanned_at, struct bh_policy_scan *out,
				 struct bh_error **err);
/* From bulkhead's JSON report (`bulkhead scan --format json`, schemaVersion 1). */
int bh_policy_scan_from_report(const json_t *report, struct bh_policy_scan *out,
			       struct bh_error **err);

/* What a signature rule asks the env to check. */
struct bh_key;
struct bh_policy_verify_req {
	const struct bh_key *const *keys; /* NULL under BH_POLICY_DEFER_KEYS: load_keys */
	size_t nkeys;
	unsigned threshold;	    /* valid signatures needed, by distinct keys (>= 1) */
	const char *predicate_type; /* NULL: signatures; else an attestation of this type */
	/* the keys as written (PEM text, nkeys of them): what they are, without
	 * parsing them (a cache can key on these bytes) */
	const char *const *key_pems;
	/* the keys parsed (once), for an env that must verify when the policy
	 * defers its keys (BH_POLICY_DEFER_KEYS: keys is NULL; a cache of the
	 * env's answers first); *keys valid until the policy is freed */
	int (*load_keys)(const struct bh_policy_verify_req *req, const struct bh_key *const **keys,
			 struct bh_error **err);
	const void *load_ctx;
};

/*
 * The facts the rules ask for, each only when a rule in scope needs it.
 * Every hook may be NULL (then the fact is "unknown", and a rule that needs
 * it fires with a message saying so).
 */
struct bh_policy_env {
	void *ctx;
	/* *verified: true when the image's digest verifies as asked; *why (caller
	 * of the hook frees, may stay NULL) says why not. Negative: could not check. */
	int (*verify)(void *ctx, const struct bh_policy_image *img,
		      const struct bh_policy_verify_req *req, bool *verified, char **why,
		      struct bh_error **err);
	/* *scan: the scan result for the image (owned by the env, valid until the
	 * eval returns), or NULL when there is none. */
	int (*scan)(void *ctx, const struct bh_policy_image *img,
		    const struct bh_policy_scan **scan, struct bh_error **err);
	int64_t now; /* seconds since the epoch; 0 = the clock */
};

/* An env whose verify opens img->open_ref (else img->ref) with
 * bh_verify_image; no scan. */
extern const struct bh_policy_env bh_policy_env_default;

enum bh_policy_input_kind { BH_POLICY_K8S = 1, BH_POLICY_OCI, BH_POLICY_IMAGE };

struct bh_policy_input {
	enum bh_policy_input_kind kind;
	/* BH_POLICY_K8S */
	const json_t *object;		/* a Kubernetes object */
	const char *namespace;		/* when the object names none (NULL = "default") */
	const json_t *namespace_labels; /* its namespace's labels (an object), NULL = unknown */
	const char *username;		/* the requesting user (exemptions), or NULL */
	const json_t *nodes;		/* Node objects known (an array), for placement, or NULL */
	bool workload_warn_only;	/* PSS on workload resources only warn/audit, as PSA */
	/* BH_POLICY_OCI */
	const json_t *oci_config; /* config.json */
	/* BH_POLICY_OCI and BH_POLICY_IMAGE: the image(s); BH_POLICY_K8S: facts
	 * about images the object names (matched by ref), optional */
	const struct bh_policy_image *images;
	size_t nimages;
	/* where the facts come from (NULL = bh_policy_env_default) */
	const struct bh_policy_env *env;
};

/* One rule that fired. */
struct bh_policy_hit {
	char *rule;  /* the rule's name */
	char *kind;  /* the rule's kind ("imageProvenance", "podSecurity") */
	char *check; /* what within the rule ("privileged", a PSS level:version), or NULL */
	enum bh_policy_action action;
	char *section;	 /* NIST SP 800-190 section served: "4.1.5" */
	char *message;	 /* one line */
	char *container; /* the container it is about, or NULL */
	char *image;	 /* the image it is about, or NULL */
};

struct bh_policy_result {
	struct bh_policy_hit *v;
	size_t n, cap;
	char *object;		    /* what was evaluated: "Deployment prod/web", "image nginx:1" */
	bool applicable;	    /* false: the object holds nothing the rules look at */
	struct bh_strvec evaluated; /* names of the rules that were in scope */
	bool denied;		    /* an enforce rule fired */
	size_t nenforce, naudit, nwarn;
};
void bh_policy_result_release(struct bh_policy_result *r);

/*
 * Evaluate the policy on the input. Returns 0 and the result (possibly with
 * no hits), or negative when the input is malformed or a fact could not be
 * obtained (the env's error); an input kind no rule reads is not an error.
 */
int bh_policy_eval(const struct bh_policy *p, const struct bh_policy_input *in,
		   struct bh_policy_result *res, struct bh_error **err);

/* The result as JSON (bulkhead's policy report object for one input). */
json_t *bh_policy_result_json(const struct bh_policy_result *r);
/*
 * Append one finding (kind BH_FIND_POLICY) per hit: id the rule name, the
 * message as title, the section as countermeasure, severity HIGH for
 * enforce, MEDIUM for warn, LOW for audit, located at (path, line) when
 * given.
 */
void bh_policy_result_findings(const struct bh_policy_result *r, const char *path, long line,
			       struct bh_findings *out);

#endif /* BULKHEAD_POLICY_H */
