/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admission pipeline (include/bulkhead/admission.h): a review's bytes ->
 * parse -> what PSA skips -> exemptions -> bh_policy_eval with the
 * namespace's labels and an env whose verification is cached by digest and
 * remembers the digests that verified -> the answer (allowed or 403 with the
 * enforce messages, warnings, auditAnnotations, for the mutating webhook the
 * pinning patch) -> metrics.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/admission.h"
#include "bulkhead/http.h" /* bh_http_hist */
#include "bulkhead/image.h"
#include "bulkhead/runtime.h"
#include "bulkhead/trust.h"
#include "internal.h"
#include "banned.h"

#define ANSWER_MAX (8u << 20)

/* ---- the verification cache --------------------------------------------------- */

struct cache_entry {
	int64_t expires;
	bool verified;
	char *why;
	char *digest; /* the manifest digest that was checked */
};

static void entry_free(void *p)
{
	struct cache_entry *e = p;

	if (e) {
		free(e->why);
		free(e->digest);
		free(e);
	}
}

struct bh_admission {
	struct bh_admission_opts o;
	pthread_mutex_t lock;
	struct bh_map *cache;
	/* metrics: [webhook][result: allowed, denied, error][dry run] */
	atomic_uint_fast64_t decisions[2][3][2];
	atomic_uint_fast64_t hits[3]; /* enforce, audit, warn */
	atomic_uint_fast64_t exempt, skipped, patched, bad_reviews, cache_hits, cache_misses;
	struct adm_declog *log; /* the decision log's queue and writer (declog19) */
	struct bh_http_hist latency[2];
};

int bh_admission_new(const struct bh_admission_opts *o, struct bh_admission **out,
		     struct bh_error **err)
{
	struct bh_admission *a;

	*out = NULL;
	if (!o->policy)
		return bh_error_set(err, BH_ERR_USAGE, "admission: no policy");
	if (o->decision_log) {
		struct stat st;

		if (stat(o->decision_log, &st) < 0)
			return bh_error_sys(err, errno, "decision log: %s", o->decision_log);
		if (!S_ISDIR(st.st_mode))
			return bh_error_set(err, BH_ERR_INVALID,
					    "decision log: %s: not a directory", o->decision_log);
		if (access(o->decision_log, W_OK | X_OK) < 0)
			return bh_error_sys(err, errno, "decision log: %s", o->decision_log);
	}
	a = bh_calloc(1, sizeof(*a));
	a->o = *o;
	if (!a->o.cache_max)
		a->o.cache_max = 4096;
	if (!a->o.cache_ttl)
		a->o.cache_ttl = 300;
	if (o->decision_log && adm_declog_new(o->decision_log, o->decision_log_cap,
					      o->decision_log_queue, &a->log, err) < 0) {
		free(a);
		return -1;
	}
	pthread_mutex_init(&a->lock, NULL);
	a->cache = bh_map_new();
	*out = a;
	return 0;
}

void bh_admission_free(struct bh_admission *a)
{
	if (!a)
		return;
	adm_declog_free(a->log, ADM_DECLOG_DRAIN_MS);
	bh_map_free(a->cache, entry_free);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

bool bh_admission_ready(struct bh_admission *a)
{
	return bh_adm_nslabels_ready(a->o.nslabels);
}

/* ---- one request's env -------------------------------------------------------------- */

struct req_ctx {
	struct bh_admission *a;
	bool dry_run;
	struct bh_strvec pin_refs, pin_digests; /* what verified, by tag */
};

static void remember_pin(struct req_ctx *rc, const char *ref, const char *digest)
{
	if (!digest || strchr(ref, '@') || bh_strv_contains(rc->pin_refs.v, ref))
		return;
	bh_strvec_push(&rc->pin_refs, ref);
	bh_strvec_push(&rc->pin_digests, digest);
}

/* The cache key: what was asked (keys by address: they live as long as the
 * compiled policy) and of which image. */
static char *cache_key(const struct bh_policy_image *img, const struct bh_policy_verify_req *req)
{
	struct bh_buf b = BH_BUF_INIT(1u << 16);
	char *k;

	bh_buf_addf(&b, NULL, "%s|%u|%s|", img->digest ? img->digest : img->ref, req->threshold,
		    req->predicate_type ? req->predicate_type : "");
	for (size_t i = 0; i < req->nkeys; i++)
		bh_buf_addf(&b, NULL, "%p,", (const void *)req->keys[i]);
	k = bh_buf_detach(&b, NULL);
	bh_buf_release(&b);
	return k;
}

static int env_verify(void *ctx, const struct bh_policy_image *img,
		      const struct bh_policy_verify_req *req, bool *verified, char **why,
		      struct bh_error **err)
{
	struct req_ctx *rc = ctx;
	struct bh_admission *a = rc->a;
	struct bh_image_open_opts oo = { .registry = a->o.registry };
	struct bh_verify_opts vo = { 0 };
	struct bh_verify_result r = { 0 };
	struct cache_entry *e;
	int64_t now = (int64_t)time(NULL);
	char *key = cache_key(img, req), *target;

	*verified = false;
	pthread_mutex_lock(&a->lock);
	e = bh_map_get(a->cache, key, strlen(key));
	if (e && e->expires > now) {
		*verified = e->verified;
		if (e->why)
			*why = bh_strdup(e->why);
		if (e->verified)
			remember_pin(rc, img->ref, e->digest);
		pthread_mutex_unlock(&a->lock);
		atomic_fetch_add(&a->cache_hits, 1);
		free(key);
		return 0;
	}
	pthread_mutex_unlock(&a->lock);
	atomic_fetch_add(&a->cache_misses, 1);

	vo.keys = req->keys;
	vo.nkeys = req->nkeys;
	vo.min_signatures = req->threshold;
	vo.attestation = req->predicate_type != NULL;
	vo.predicate_type = req->predicate_type;
	/* an image named by the object is only ever looked up in a registry */
	target = bh_asprintf("docker://%s", img->ref);
	{
		/* the registry client's JSON may outlive the review: not in its arena */
		bool was = bh_adm_arena_pause();
		int vrc = bh_verify_image(target, &oo, &vo, &r, err);

		bh_adm_arena_resume(was);
		if (vrc < 0) {
			free(target);
			free(key);
			return -1;
		}
	}
	free(target);
	*verified = r.verified;
	if (!r.verified) {
		struct bh_buf b = BH_BUF_INIT(1u << 14);

		if (!r.nsigs)
			bh_buf_addf(&b, NULL, "no %s found",
				    req->predicate_type ? "attestations" : "signatures");
		else
			bh_buf_addf(&b, NULL, "%zu of %u valid", r.nvalid,
				    req->threshold ? req->threshold : 1);
		*why = bh_buf_detach(&b, NULL);
		bh_buf_release(&b);
	} else {
		remember_pin(rc, img->ref, r.digest.str);
	}
	if (!rc->dry_run) {
		e = bh_calloc(1, sizeof(*e));
		e->expires = now + a->o.cache_ttl;
		e->verified = r.verified;
		e->why = *why ? bh_strdup(*why) : NULL;
		e->digest = r.digest.str[0] ? bh_strdup(r.digest.str) : NULL;
		pthread_mutex_lock(&a->lock);
		if (bh_map_size(a->cache) >= a->o.cache_max) {
			/* full: start again (entries are cheap to remake) */
			bh_map_free(a->cache, entry_free);
			a->cache = bh_map_new();
		}
		entry_free(bh_map_put(a->cache, key, strlen(key), e));
		pthread_mutex_unlock(&a->lock);
	}
	bh_verify_result_release(&r);
	free(key);
	return 0;
}

/* ---- the answer ------------------------------------------------------------------------ */

/* An audit annotation key: a qualified name's name part (<= 63, alnum ends). */
static char *annotation_key(const char *rule, json_t *annotations)
{
	char base[64];
	size_t n = 0;
	char *k;

	for (const char *p = rule; *p && n < 50; p++)
		base[n++] = bh_isalnum(*p) || *p == '-' || *p == '_' || *p == '.' ? *p : '-';
	while (n && !bh_isalnum(base[n - 1]))
		n--;
	base[n] = 0;
	if (!n || !bh_isalnum(base[0]))
		snprintf(base, sizeof(base), "policy");
	k = bh_strdup(base);
	for (int i = 2; json_object_get(annotations, k); i++) {
		free(k);
		k = bh_asprintf("%s-%d", base, i);
	}
	return k;
}

static json_t *response(const char *uid)
{
	return json_pack("{s:s,s:b}", "uid", uid, "allowed", 1);
}

static void deny(json_t *resp, const char *message)
{
	json_object_set_new(resp, "allowed", json_false());
	json_object_set_new(resp, "status",
			    json_pack("{s:{},s:s,s:s,s:s,s:i}", "metadata", "status", "Failure",
				      "message", message, "reason", "Forbidden", "code", 403));
}

static void warn(json_t *resp, const char *message)
{
	json_t *w = json_object_get(resp, "warnings");

	if (!w) {
		w = json_array();
		json_object_set_new(resp, "warnings", w);
	}
	json_array_append_new(w, json_string(message));
}

static void annotate(json_t *resp, const char *key, const char *value)
{
	json_t *an = json_object_get(resp, "auditAnnotations");

	if (!an) {
		an = json_object();
		json_object_set_new(resp, "auditAnnotations", an);
	}
	json_object_set_new(an, key, json_string(value));
}

static bool in_list(char *const *v, const char *s)
{
	return v && s && bh_strv_contains(v, s);
}

/* The pod spec and pod metadata a review's object holds (NULL: none). */
static const json_t *template_of(const json_t *obj, const json_t **meta)
{
	const char *kind = bh_json_str(obj, "kind");
	const json_t *t = NULL;

	*meta = NULL;
	if (!kind)
		return NULL;
	if (!strcmp(kind, "Pod")) {
		*meta = bh_json_obj(obj, "metadata");
		return bh_json_obj(obj, "spec");
	}
	if (!strcmp(kind, "CronJob"))
		t = bh_json_obj(
			bh_json_obj(bh_json_obj(bh_json_obj(obj, "spec"), "jobTemplate"), "spec"),
			"template");
	else if (!strcmp(kind, "PodTemplate"))
		t = bh_json_obj(obj, "template");
	else
		t = bh_json_obj(bh_json_obj(obj, "spec"), "template");
	*meta = bh_json_obj(t, "metadata");
	return bh_json_obj(t, "spec");
}

/* The string at obj.key.annotations[name] or "" */
static const char *annotation(const json_t *meta, const char *name)
{
	const char *v = bh_json_str(bh_json_obj(meta, "annotations"), name);

	return v ? v : "";
}

/*
 * PSA's rule for updates. A Pod (its spec is mostly immutable):
 * isSignificantPodUpdate, an update that adds ephemeral containers, changes a
 * container's image or a seccomp annotation. A workload: its pod template's
 * spec or metadata changed.
 */
static bool significant_update(const json_t *obj, const json_t *old)
{
	const json_t *m1, *m2, *s1 = template_of(obj, &m1), *s2 = template_of(old, &m2);
	const char *kind = bh_json_str(obj, "kind");
	static const char *const lists[] = { "initContainers", "containers" };

	if (!old || !s1 || !s2)
		return true;
	if (!kind || strcmp(kind, "Pod"))
		return !json_equal((json_t *)s1, (json_t *)s2) ||
		       !json_equal((json_t *)m1, (json_t *)m2);
	if (json_array_size(json_object_get(s1, "ephemeralContainers")) >
	    json_array_size(json_object_get(s2, "ephemeralContainers")))
		return true;
	if (strcmp(annotation(m1, "seccomp.security.alpha.kubernetes.io/pod"),
		   annotation(m2, "seccomp.security.alpha.kubernetes.io/pod")))
		return true;
	for (size_t l = 0; l < 2; l++) {
		const json_t *a = json_object_get(s1, lists[l]), *b = json_object_get(s2, lists[l]);

		if (json_array_size(a) != json_array_size(b))
			return true;
		for (size_t i = 0; i < json_array_size(a); i++) {
			const json_t *c = json_array_get(a, i), *d = json_array_get(b, i);
			const char *i1 = bh_json_str(c, "image"), *i2 = bh_json_str(d, "image");
			const char *name = bh_json_str(c, "name");
			char key[320];

			if (!i1 || !i2 || strcmp(i1, i2))
				return true;
			snprintf(key, sizeof(key),
				 "container.seccomp.security.alpha.kubernetes.io/%s",
				 name ? name : "");
			if (strcmp(annotation(m1, key), annotation(m2, key)))
				return true;
		}
	}
	return false;
}

static const char *runtime_class(const json_t *obj)
{
	const json_t *meta, *spec = template_of(obj, &meta);

	return bh_json_str(spec, "runtimeClassName");
}

enum result { R_ALLOWED = 0, R_DENIED, R_ERROR };

/* The decision log's entry, built with jansson on malloc (the arena paused:
 * it outlives the review's window); NULL when there is no log. */
static json_t *log_entry(struct bh_admission *a, const struct bh_adm_request *rq,
			 const char *decision, const struct bh_policy_result *res,
			 const char *message, const char *reason)
{
	json_t *e;
	bool was;

	if (!a->o.decision_log)
		return NULL;
	was = bh_adm_arena_pause();
	e = adm_log_entry(rq, decision, res, message, reason);
	bh_adm_arena_resume(was);
	return e;
}

/* Queue e (then the queue's) for the decision log's writer: never waits; a
 * full queue drops it, counted and warned about once. The answer is made. */
static void log_append(struct bh_admission *a, json_t *e)
{
	if (e)
		adm_declog_push(a->log, e);
}

static enum result decide(struct bh_admission *a, enum bh_adm_webhook hook,
			  const struct bh_adm_request *rq, json_t *resp, json_t **entry)
{
	struct req_ctx rc = { .a = a,
			      .dry_run = rq->dry_run,
			      .pin_refs = BH_STRVEC_INIT,
			      .pin_digests = BH_STRVEC_INIT };
	struct bh_policy_env env = { .ctx = &rc, .verify = env_verify };
	struct bh_policy_input in = { 0 };
	struct bh_policy_result res = { 0 };
	struct bh_error *err = NULL;
	struct bh_buf msg = BH_BUF_INIT(1u << 20);
	json_t *labels = NULL;
	char *emsg = NULL;
	enum result out = R_ALLOWED;
	const char *sub = rq->sub_resource;
	bool pod = !strcmp(rq->resource, "pods") && !*rq->group;

	/* what PSA does not evaluate */
	if (rq->operation == BH_ADM_DELETE || rq->operation == BH_ADM_CONNECT ||
	    (*sub && !(pod && !strcmp(sub, "ephemeralcontainers"))) ||
	    !strcmp(rq->kind, "Namespace") ||
	    (rq->operation == BH_ADM_UPDATE && strcmp(sub, "ephemeralcontainers") &&
	     !significant_update(rq->object, rq->old_object))) {
		atomic_fetch_add(&a->skipped, 1);
		return R_ALLOWED;
	}
	/* PSA's exemptions */
	if (in_list(a->o.exempt_namespaces, rq->namespace) ||
	    in_list(a->o.exempt_users, rq->username) ||
	    in_list(a->o.exempt_runtime_classes, runtime_class(rq->object))) {
		annotate(resp, "exempt",
			 in_list(a->o.exempt_namespaces, rq->namespace) ? "namespace"
			 : in_list(a->o.exempt_users, rq->username)	? "user"
									: "runtimeClass");
		atomic_fetch_add(&a->exempt, 1);
		return R_ALLOWED;
	}

	labels = bh_adm_nslabels_get(a->o.nslabels, rq->namespace);
	in.kind = BH_POLICY_K8S;
	in.object = rq->object;
	in.namespace = rq->namespace;
	in.namespace_labels = labels;
	in.username = rq->username;
	in.workload_warn_only = true;
	in.env = a->o.env ? a->o.env : &env;
	if (bh_policy_eval(a->o.policy, &in, &res, &err) < 0) {
		char *m = bh_error_message(err);

		bh_error_free(err);
		if (a->o.failure == BH_ADM_FAIL) {
			char *d = bh_asprintf("bulkhead could not evaluate the policy (failure "
					      "policy: fail): %s",
					      m);

			deny(resp, d);
			free(d);
		} else {
			char *d = bh_asprintf("bulkhead could not evaluate the policy (failure "
					      "policy: ignore, allowed): %s",
					      m);

			warn(resp, d);
			free(d);
		}
		annotate(resp, "error", m);
		emsg = m;
		out = R_ERROR;
		goto done;
	}
	for (size_t i = 0; i < res.n; i++) {
		const struct bh_policy_hit *h = &res.v[i];

		switch (h->action) {
		case BH_ACT_ENFORCE:
			atomic_fetch_add(&a->hits[0], 1);
			if (hook == BH_ADM_VALIDATE) {
				if (msg.len)
					bh_buf_adds(&msg, "; ", NULL);
				bh_buf_adds(&msg, h->message, NULL);
			}
			break;
		case BH_ACT_AUDIT:
			atomic_fetch_add(&a->hits[1], 1);
			if (hook == BH_ADM_VALIDATE) {
				json_t *an = json_object_get(resp, "auditAnnotations");
				char *k = annotation_key(h->rule, an);

				annotate(resp, k, h->message);
				free(k);
			}
			break;
		case BH_ACT_WARN:
			atomic_fetch_add(&a->hits[2], 1);
			if (hook == BH_ADM_VALIDATE)
				warn(resp, h->message);
			break;
		}
	}
	if (res.denied) {
		out = R_DENIED;
		if (hook == BH_ADM_VALIDATE) {
			bh_buf_addc(&msg, 0, NULL);
			deny(resp, msg.data);
		}
	}
	/* the mutating side pins what verified, whatever the validating side decides */
	if (hook == BH_ADM_MUTATE && rc.pin_refs.n) {
		struct bh_adm_pin *pins = bh_calloc(rc.pin_refs.n, sizeof(*pins));
		json_t *patch = NULL;

		for (size_t i = 0; i < rc.pin_refs.n; i++) {
			pins[i].ref = rc.pin_refs.v[i];
			pins[i].digest = rc.pin_digests.v[i];
		}
		if (bh_adm_pin_patch(rq->object, pins, rc.pin_refs.n, &patch, NULL) == 0 &&
		    json_array_size(patch)) {
			/* dumped to a bh_buf: json_dumps' string would be the arena's */
			struct bh_buf js = BH_BUF_INIT(ANSWER_MAX);
			struct bh_buf b64 = BH_BUF_INIT(ANSWER_MAX);

			if (bh_json_dump_buf(patch, JSON_COMPACT, &js, NULL) == 0 &&
			    bh_base64_encode(js.data, js.len, &b64, NULL) == 0) {
				bh_buf_addc(&b64, 0, NULL);
				json_object_set_new(resp, "patchType", json_string("JSONPatch"));
				json_object_set_new(resp, "patch", json_string(b64.data));
				if (!rq->dry_run)
					atomic_fetch_add(&a->patched, 1);
			}
			bh_buf_release(&js);
			bh_buf_release(&b64);
		}
		json_decref(patch);
		free(pins);
	}
done:
	if (hook == BH_ADM_MUTATE && out == R_DENIED)
		out = R_ALLOWED; /* the mutating webhook never denies a policy hit */
	if (hook == BH_ADM_VALIDATE)
		*entry = log_entry(a, rq,
				   out == R_ERROR    ? "error"
				   : out == R_DENIED ? "deny"
						     : "allow",
				   &res, out == R_DENIED ? msg.data : NULL, emsg);
	free(emsg);
	bh_policy_result_release(&res);
	json_decref(labels);
	bh_buf_release(&msg);
	bh_strvec_release(&rc.pin_refs);
	bh_strvec_release(&rc.pin_digests);
	return out;
}

int bh_admission_review(struct bh_admission *a, enum bh_adm_webhook hook, const void *body,
			size_t len, char **answer, size_t *answer_len, struct bh_error **err)
{
	struct bh_adm_request rq;
	struct bh_error *perr = NULL;
	json_t *review, *resp, *entry = NULL;
	enum result r;
	bool allowed;
	uint64_t t0 = bh_mono_ns();
	bool arena = bh_adm_arena_begin();

	*answer = NULL;
	if (answer_len)
		*answer_len = 0;
	if (bh_adm_request_parse(body, len, &rq, &perr) < 0) {
		atomic_fetch_add(&a->bad_reviews, 1);
		if (!rq.uid) {
			bh_adm_request_release(&rq);
			if (arena)
				bh_adm_arena_end();
			if (err)
				*err = perr;
			else
				bh_error_free(perr);
			return -1;
		}
		/* a review with a uid but a bad member: answered by the failure policy */
		resp = response(rq.uid);
		{
			char *m = bh_error_message(perr);
			char *d = bh_asprintf(
				"bulkhead could not read the AdmissionReview (failure "
				"policy: %s): %s",
				a->o.failure == BH_ADM_FAIL ? "fail" : "ignore, allowed", m);

			if (a->o.failure == BH_ADM_FAIL)
				deny(resp, d);
			else
				warn(resp, d);
			if (hook == BH_ADM_VALIDATE)
				entry = log_entry(a, &rq, "error", NULL, NULL, m);
			free(d);
			free(m);
		}
		bh_error_free(perr);
		r = R_ERROR;
		rq.dry_run = false;
	} else {
		resp = response(rq.uid);
		r = decide(a, hook, &rq, resp, &entry);
	}
	allowed = json_is_true(json_object_get(resp, "allowed"));
	review = json_pack("{s:s,s:s,s:o}", "apiVersion", "admission.k8s.io/v1", "kind",
			   "AdmissionReview", "response", resp);
	if (arena)
		bh_adm_arena_stop(); /* the answer's string is the caller's, freed by free() */
	*answer = json_dumps(review, JSON_COMPACT);
	json_decref(review);
	atomic_fetch_add(&a->decisions[hook][r][rq.dry_run ? 1 : 0], 1);
	bh_adm_request_release(&rq);
	if (arena)
		bh_adm_arena_end();
	if (entry) /* the answer logged too: an error allowed (ignore) is no denial */
		json_object_set_new(entry, "allowed", json_boolean(allowed));
	log_append(a, entry); /* after the answer is made: it never changes it */
	bh_http_hist_observe(&a->latency[hook], bh_mono_ns() - t0);
	if (!*answer)
		return bh_error_set(err, BH_ERR_NOMEM, "AdmissionReview answer");
	if (answer_len)
		*answer_len = strlen(*answer);
	return 0;
}

int bh_admission_metrics(struct bh_admission *a, struct bh_buf *out, struct bh_error **err)
{
	static const char *const hooks[] = { "validate", "mutate" };
	static const char *const results[] = { "allowed", "denied", "error" };
	static const char *const actions[] = { "enforce", "audit", "warn" };
	uint64_t logged, log_errors, log_dropped;

	adm_declog_counts(a->log, &logged, &log_errors, &log_dropped);

	if (bh_buf_adds(out,
			"# HELP bulkhead_admission_decisions_total Admission decisions, by "
			"webhook, result and dry run.\n"
			"# TYPE bulkhead_admission_decisions_total counter\n",
			err) < 0)
		return -1;
	for (int h = 0; h < 2; h++)
		for (int r = 0; r < 3; r++)
			for (int d = 0; d < 2; d++)
				if (bh_buf_addf(out, err,
						"bulkhead_admission_decisions_total{webhook=\"%s\","
						"result=\"%s\",dry_run=\"%s\"} %llu\n",
						hooks[h], results[r], d ? "true" : "false",
						(unsigned long long)atomic_load(
							&a->decisions[h][r][d])) < 0)
					return -1;
	if (bh_buf_adds(out,
			"# HELP bulkhead_admission_rule_hits_total Rules that fired, by action.\n"
			"# TYPE bulkhead_admission_rule_hits_total counter\n",
			err) < 0)
		return -1;
	for (int i = 0; i < 3; i++)
		if (bh_buf_addf(out, err,
				"bulkhead_admission_rule_hits_total{action=\"%s\"} %llu\n",
				actions[i], (unsigned long long)atomic_load(&a->hits[i])) < 0)
			return -1;
	if (bh_buf_addf(
		    out, err,
		    "# HELP bulkhead_admission_exempt_total Requests exempt (namespace, user, "
		    "runtime class).\n"
		    "# TYPE bulkhead_admission_exempt_total counter\n"
		    "bulkhead_admission_exempt_total %llu\n"
		    "# HELP bulkhead_admission_skipped_total Requests Pod Security Admission "
		    "would not evaluate (DELETE, subresources, unchanged updates).\n"
		    "# TYPE bulkhead_admission_skipped_total counter\n"
		    "bulkhead_admission_skipped_total %llu\n"
		    "# HELP bulkhead_admission_patches_total Objects whose images were pinned.\n"
		    "# TYPE bulkhead_admission_patches_total counter\n"
		    "bulkhead_admission_patches_total %llu\n"
		    "# HELP bulkhead_admission_bad_reviews_total Requests that were not a "
		    "readable AdmissionReview.\n"
		    "# TYPE bulkhead_admission_bad_reviews_total counter\n"
		    "bulkhead_admission_bad_reviews_total %llu\n"
		    "# HELP bulkhead_admission_verify_cache_total Verification cache lookups.\n"
		    "# TYPE bulkhead_admission_verify_cache_total counter\n"
		    "bulkhead_admission_verify_cache_total{result=\"hit\"} %llu\n"
		    "bulkhead_admission_verify_cache_total{result=\"miss\"} %llu\n"
		    "# HELP bulkhead_admission_decision_log_total Decisions appended to the "
		    "decision log (--decision-log), appends that failed, and decisions "
		    "dropped (the writer's queue full).\n"
		    "# TYPE bulkhead_admission_decision_log_total counter\n"
		    "bulkhead_admission_decision_log_total{result=\"ok\"} %llu\n"
		    "bulkhead_admission_decision_log_total{result=\"error\"} %llu\n"
		    "bulkhead_admission_decision_log_total{result=\"dropped\"} %llu\n"
		    "# HELP bulkhead_admission_namespaces Namespaces whose labels are known.\n"
		    "# TYPE bulkhead_admission_namespaces gauge\n"
		    "bulkhead_admission_namespaces %zu\n"
		    "# HELP bulkhead_admission_duration_seconds Time to answer a review.\n"
		    "# TYPE bulkhead_admission_duration_seconds histogram\n",
		    (unsigned long long)atomic_load(&a->exempt),
		    (unsigned long long)atomic_load(&a->skipped),
		    (unsigned long long)atomic_load(&a->patched),
		    (unsigned long long)atomic_load(&a->bad_reviews),
		    (unsigned long long)atomic_load(&a->cache_hits),
		    (unsigned long long)atomic_load(&a->cache_misses), (unsigned long long)logged,
		    (unsigned long long)log_errors, (unsigned long long)log_dropped,
		    bh_adm_nslabels_count(a->o.nslabels)) < 0)
		return -1;
	for (int h = 0; h < 2; h++) {
		char labels[32];

		snprintf(labels, sizeof(labels), "webhook=\"%s\"", hooks[h]);
		if (bh_http_hist_write(&a->latency[h], "bulkhead_admission_duration_seconds",
				       labels, out, err) < 0)
			return -1;
	}
	return 0;
}
