/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead admission: the policy (include/bulkhead/policy.h) at the
 * cluster's door, as a Kubernetes validating and mutating admission webhook
 * speaking AdmissionReview v1. The library turns the bytes of a review into
 * the bytes of its answer; it knows nothing of HTTP (the CLI serves it through
 * include/bulkhead/http.h).
 *
 *   bh_admission_review(adm, BH_ADM_VALIDATE, body, len, &answer, &err)
 *
 * Validating: bh_policy_eval on request.object with the namespace's labels;
 * `enforce` hits deny (allowed false, status 403 Forbidden, the hits'
 * messages, PSA's wording for the Pod Security Standards), `warn` hits become
 * `warnings`, `audit` hits `auditAnnotations` (key: the rule's name). As Pod
 * Security Admission: DELETE and CONNECT, subresources other than
 * pods/ephemeralcontainers, and updates that leave the pod spec and its
 * metadata as they were are allowed unevaluated; exempt namespaces, users
 * and runtime classes are allowed with the annotation `exempt`.
 *
 * Mutating: the same evaluation; images the policy verified by tag are
 * pinned to the digest that verified (a JSONPatch, `test` then `replace`, of
 * every container, init container and ephemeral container of a Pod or of the
 * pod template of any workload kind), so the node runs what was checked.
 *
 * dryRun requests get the same answer, but leave nothing behind: nothing is
 * written to the verification cache and they are counted apart in metrics.
 * On an internal error (a fact that could not be had, an object the engine
 * cannot read) the answer follows the failure policy: fail = deny with the
 * error's message, ignore = allow with a warning naming the error.
 *
 * A review that is not one (not JSON, over the size limit, no request or no
 * uid, a field of the wrong type) has no uid to answer to: that is an error
 * (the server answers 400 with its message; the API server then applies the
 * webhook's failurePolicy).
 *
 * Decision log (opts.decision_log): each validating review the policy
 * evaluated (not the ones PSA skips, not the exempt ones; the mutating
 * webhook never) is appended to the runtime's admission decision log format
 * with "source":"webhook", "id" the request's uid, "kind", "namespace",
 * "name", "operation", "dry_run", "message" (the denial's) or "reason" (the
 * error's) and its "rules". The entry is queued after the answer is made
 * and appended by one writer thread in batches (declog19): a full queue
 * (opts.decision_log_queue) drops the decision from the log
 * (bulkhead_admission_decision_log_total{result="dropped"}), an append that
 * fails is counted ({result="error"}), each warned about once; neither
 * changes or delays the answer. bh_admission_free writes what is queued
 * (for at most 5 s, the rest dropped and counted).
 *
 * Ownership as include/bulkhead/base.h. struct bh_admission is thread-safe:
 * one serves every worker thread.
 */
#ifndef BULKHEAD_ADMISSION_H
#define BULKHEAD_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bulkhead/base.h"
#include "bulkhead/policy.h"

struct bh_registry_opts;

/* Limits of a review. */
#define BH_ADM_REVIEW_MAX (3 * 1024 * 1024) /* the API server's own request limit */
#define BH_ADM_UID_MAX	  128

enum bh_adm_operation { BH_ADM_CREATE = 1, BH_ADM_UPDATE, BH_ADM_DELETE, BH_ADM_CONNECT };

/* An AdmissionReview v1 request, parsed strictly; members borrowed from `doc`. */
struct bh_adm_request {
	json_t *doc; /* the whole review (owned) */
	const char *uid;
	const char *api_version;     /* "admission.k8s.io/v1" */
	const char *kind;	     /* request.kind.kind ("Pod") */
	const char *group, *version; /* request.kind */
	const char *resource;	     /* request.resource.resource ("pods") */
	const char *sub_resource;    /* "" when none */
	const char *name, *namespace;
	enum bh_adm_operation operation;
	const char *username; /* userInfo.username, or NULL */
	const json_t *user_groups;
	const json_t *object;	  /* NULL when null or absent (DELETE) */
	const json_t *old_object; /* NULL when null or absent */
	bool dry_run;
};
/*
 * Parse a review (at most BH_ADM_REVIEW_MAX bytes, duplicate keys refused):
 * apiVersion admission.k8s.io/v1, kind AdmissionReview, a request with a uid
 * (1..BH_ADM_UID_MAX bytes), kind, resource and operation; every member read
 * must have its API type (BH_ERR_INVALID naming the member otherwise).
 */
int bh_adm_request_parse(const void *buf, size_t len, struct bh_adm_request *out,
			 struct bh_error **err);
void bh_adm_request_release(struct bh_adm_request *r);
/*
 * JSON as bh_json_parse reads it (jansson's json_loadb with duplicate keys
 * refused: the same accepted language, the same values, errors with line and
 * column), about three times faster: the review's parser. *out owned.
 */
int bh_adm_json_parse(const void *buf, size_t len, size_t max, const char *what, json_t **out,
		      struct bh_error **err);

/* One image to pin: the container's image field as written and its digest. */
struct bh_adm_pin {
	const char *ref;    /* "nginx:1.25" */
	const char *digest; /* "sha256:..." */
};
/*
 * The JSONPatch that pins images in a Pod or the pod template of a workload:
 * for each container (containers, initContainers, ephemeralContainers) whose
 * image is one of pins' refs and names no digest yet, a `test` of the old
 * value and a `replace` with "REF@DIGEST". *out is a JSON array (possibly
 * empty); the caller frees it.
 */
int bh_adm_pin_patch(const json_t *object, const struct bh_adm_pin *pins, size_t npins,
		     json_t **out, struct bh_error **err);

/* Where namespace labels come from. */
struct bh_adm_nslabels;
/* A map {namespace: {label: value}} from a YAML or JSON file. */
int bh_adm_nslabels_file(const char *path, struct bh_adm_nslabels **out, struct bh_error **err);
/*
 * From the Kubernetes API: namespaces listed, then watched, by a thread of
 * its own (libcurl). kubeconfig NULL: in-cluster (KUBERNETES_SERVICE_HOST,
 * the service account's token and CA); else the kubeconfig's current
 * context (server, certificate-authority[-data], token or
 * client-certificate/key[-data]). Ready once the first list arrived.
 */
int bh_adm_nslabels_kube(const char *kubeconfig, struct bh_adm_nslabels **out,
			 struct bh_error **err);
/* The labels of ns (a new reference, or NULL when the namespace is unknown). */
json_t *bh_adm_nslabels_get(struct bh_adm_nslabels *l, const char *ns);
bool bh_adm_nslabels_ready(struct bh_adm_nslabels *l);
size_t bh_adm_nslabels_count(struct bh_adm_nslabels *l);
void bh_adm_nslabels_free(struct bh_adm_nslabels *l);

enum bh_adm_failure { BH_ADM_FAIL = 0, BH_ADM_IGNORE };
enum bh_adm_webhook { BH_ADM_VALIDATE = 0, BH_ADM_MUTATE };

struct bh_admission_opts {
	const struct bh_policy *policy;	  /* compiled; borrowed for the admission's life */
	struct bh_adm_nslabels *nslabels; /* borrowed; NULL: no labels known */
	enum bh_adm_failure failure;
	char *const *exempt_namespaces; /* NULL-terminated, or NULL */
	char *const *exempt_users;
	char *const *exempt_runtime_classes;
	const struct bh_registry_opts *registry; /* for verification; NULL = defaults */
	size_t cache_max;			 /* verification results kept; 0 = 4096 */
	unsigned cache_ttl;			 /* seconds; 0 = 300 */
	/* the facts (tests stub it); NULL = verification through bh_verify_image
	 * with the cache above, which also learns the digests to pin */
	const struct bh_policy_env *env;
	/* webhook19: a directory whose admission decision log
	 * (include/bulkhead/runtime.h, <dir>/.admission@log) gets one line per
	 * validating review evaluated ("source":"webhook"), for
	 * `bulkhead agent --admission-root` to report; NULL: none. Its cap in
	 * bytes (0: BH_RT_ADMIT_LOG_MAX). */
	const char *decision_log;
	uint64_t decision_log_cap;
	/* declog19: the decisions queued for the log's writer thread at most
	 * (0: 4096); past it a decision is dropped from the log, counted. */
	size_t decision_log_queue;
};

struct bh_admission;
int bh_admission_new(const struct bh_admission_opts *o, struct bh_admission **out,
		     struct bh_error **err);
void bh_admission_free(struct bh_admission *a);
/*
 * Make bh_admission_review build each review's JSON in a per-thread arena
 * (its parse tree, the evaluation's values, the answer: a few hundred small
 * allocations freed together). Process-global (jansson's
 * json_set_alloc_funcs): call it once in the process that serves, before
 * serving; jansson elsewhere in the process keeps malloc and free.
 */
void bh_adm_arena_install(void);

/*
 * Answer one review: *answer is the AdmissionReview v1 response (JSON,
 * allocated, NUL-terminated, caller frees). Negative when the body is not a
 * review (see above).
 */
int bh_admission_review(struct bh_admission *a, enum bh_adm_webhook hook, const void *body,
			size_t len, char **answer, size_t *answer_len, struct bh_error **err);
/* Prometheus text of decisions (by webhook, result, dry run), rule hits by
 * action, latency, cache and namespace figures. */
int bh_admission_metrics(struct bh_admission *a, struct bh_buf *out, struct bh_error **err);
/* Ready to answer (namespace labels loaded). */
bool bh_admission_ready(struct bh_admission *a);

#endif /* BULKHEAD_ADMISSION_H */
