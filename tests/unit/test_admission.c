/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admission library without a server: the AdmissionReview parser (every
 * member it reads type-checked, the uid kept for an answer when a later member
 * is bad), the pin patch builder for every pod-holding kind, and
 * bh_admission_review's answers (deny with 403, warnings, audit annotations,
 * PSA's skips, exemptions, failure policy, dry run, pins from a stub).
 */
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "unit.h"

#include "bulkhead/admission.h"
#include "bulkhead/trust.h"

#define REVIEW(req)                                                                                \
	"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{" req   \
	"}}"
#define POD_REQ(op, extra, obj)                                                                    \
	"\"uid\":\"u-1\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"           \
	"\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"                  \
	"\"namespace\":\"ns\",\"operation\":\"" op "\",\"userInfo\":{\"username\":\"alice\","      \
	"\"groups\":[\"g\"]}" extra ",\"object\":" obj
#define BAD_POD                                                                                    \
	"{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\"},\"spec\":{"         \
	"\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1\",\"securityContext\":{"              \
	"\"privileged\":true}}]}}"

static int parse(const char *s, struct bh_adm_request *r, struct bh_error **err)
{
	return bh_adm_request_parse(s, strlen(s), r, err);
}

static void parser_reads_a_review(void **state)
{
	struct bh_adm_request r;
	struct bh_error *err = NULL;

	assert_int_equal(
		parse(REVIEW(POD_REQ("CREATE",
				     ",\"dryRun\":true,\"subResource\":\"ephemeralcontainers\"",
				     BAD_POD)),
		      &r, &err),
		0);
	assert_string_equal(r.uid, "u-1");
	assert_string_equal(r.kind, "Pod");
	assert_string_equal(r.resource, "pods");
	assert_string_equal(r.sub_resource, "ephemeralcontainers");
	assert_string_equal(r.namespace, "ns");
	assert_string_equal(r.username, "alice");
	assert_int_equal(r.operation, BH_ADM_CREATE);
	assert_true(r.dry_run);
	assert_non_null(r.object);
	assert_null(r.old_object);
	bh_adm_request_release(&r);
}

static void parser_refuses_what_is_not_a_review(void **state)
{
	static const struct {
		const char *in, *msg;
		bool uid_kept;
	} cases[] = {
		{ "", "AdmissionReview", false },
		{ "[]", "not a JSON object", false },
		{ "{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\"}",
		  "only admission.k8s.io/v1", false },
		{ "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"Pod\"}",
		  "not an AdmissionReview", false },
		{ REVIEW("\"uid\":\"\""), "request.uid: empty", false },
		{ REVIEW("\"uid\":7"), "request.uid: not a string", false },
		{ "{\"apiVersion\":\"admission.k8s.io/"
		  "v1\",\"kind\":\"AdmissionReview\",\"kind\":\"x\"}",
		  "duplicate", false },
		{ REVIEW("\"uid\":\"u\""), "request.kind: missing", true },
		{ REVIEW(POD_REQ("PATCH", "", "{}")), "not CREATE, UPDATE", true },
		{ REVIEW(POD_REQ("CREATE", ",\"dryRun\":\"yes\"", "{}")),
		  "request.dryRun: not a boolean", true },
		{ REVIEW(POD_REQ("CREATE", "", "[]")), "request.object: not an object", true },
		{ REVIEW(POD_REQ("CREATE", "", "null")), "request.object: missing for CREATE",
		  true },
		{ REVIEW(POD_REQ("CREATE", ",\"userInfo\":{}", "{}")), "duplicate", false },
		{ REVIEW("\"uid\":\"u\",\"kind\":{\"version\":\"v1\",\"kind\":\"Pod\"},"
			 "\"resource\":{\"resource\":\"pods\"},\"operation\":\"CREATE\","
			 "\"userInfo\":{\"groups\":[1]},\"object\":{}"),
		  "request.userInfo.groups[0]: not a string", true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bh_adm_request r;
		struct bh_error *err = NULL;

		assert_int_equal(parse(cases[i].in, &r, &err), -1);
		{
			char *m = bh_error_message(err);

			if (!strstr(m, cases[i].msg))
				fail_msg("case %zu: '%s' does not say '%s'", i, m, cases[i].msg);
			free(m);
		}
		if ((r.uid != NULL) != cases[i].uid_kept)
			fail_msg("case %zu: uid kept: %d", i, r.uid != NULL);
		bh_error_free(err);
		bh_adm_request_release(&r);
	}
}

static char *patch_of(const char *obj)
{
	struct bh_adm_pin pins[] = { { "nginx:1", "sha256:aa" }, { "busybox", "sha256:bb" } };
	json_t *o = json_loads(obj, 0, NULL), *patch = NULL;
	char *s;

	assert_non_null(o);
	assert_int_equal(bh_adm_pin_patch(o, pins, 2, &patch, NULL), 0);
	s = json_dumps(patch, JSON_COMPACT);
	json_decref(patch);
	json_decref(o);
	return s;
}

static void patch_pins_every_container_of_every_kind(void **state)
{
	char *s;

	s = patch_of("{\"kind\":\"Pod\",\"spec\":{\"initContainers\":[{\"image\":\"busybox\"}],"
		     "\"containers\":[{\"image\":\"nginx:1\"},{\"image\":\"nginx:2\"},"
		     "{\"image\":\"nginx:1@sha256:cc\"}],\"ephemeralContainers\":[{\"image\":"
		     "\"nginx:1\"}]}}");
	assert_string_equal(
		s, "[{\"op\":\"test\",\"path\":\"/spec/initContainers/0/"
		   "image\",\"value\":\"busybox\"},"
		   "{\"op\":\"replace\",\"path\":\"/spec/initContainers/0/"
		   "image\",\"value\":\"busybox@sha256:bb\"},"
		   "{\"op\":\"test\",\"path\":\"/spec/containers/0/image\",\"value\":\"nginx:1\"},"
		   "{\"op\":\"replace\",\"path\":\"/spec/containers/0/"
		   "image\",\"value\":\"nginx:1@sha256:aa\"},"
		   "{\"op\":\"test\",\"path\":\"/spec/ephemeralContainers/0/"
		   "image\",\"value\":\"nginx:1\"},"
		   "{\"op\":\"replace\",\"path\":\"/spec/ephemeralContainers/0/"
		   "image\",\"value\":\"nginx:1@sha256:aa\"}]");
	free(s);
	static const struct {
		const char *kind, *wrap_open, *wrap_close, *path;
	} kinds[] = {
		{ "Deployment", "\"spec\":{\"template\":{\"spec\":", "}}",
		  "/spec/template/spec/containers/0/image" },
		{ "StatefulSet", "\"spec\":{\"template\":{\"spec\":", "}}",
		  "/spec/template/spec/containers/0/image" },
		{ "DaemonSet", "\"spec\":{\"template\":{\"spec\":", "}}",
		  "/spec/template/spec/containers/0/image" },
		{ "ReplicaSet", "\"spec\":{\"template\":{\"spec\":", "}}",
		  "/spec/template/spec/containers/0/image" },
		{ "ReplicationController", "\"spec\":{\"template\":{\"spec\":", "}}",
		  "/spec/template/spec/containers/0/image" },
		{ "Job", "\"spec\":{\"template\":{\"spec\":", "}}",
		  "/spec/template/spec/containers/0/image" },
		{ "CronJob", "\"spec\":{\"jobTemplate\":{\"spec\":{\"template\":{\"spec\":", "}}}}",
		  "/spec/jobTemplate/spec/template/spec/containers/0/image" },
		{ "PodTemplate", "\"template\":{\"spec\":", "}",
		  "/template/spec/containers/0/image" },
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		char *obj = bh_asprintf(
			"{\"kind\":\"%s\",%s{\"containers\":[{\"image\":\"nginx:1\"}]}%s}",
			kinds[i].kind, kinds[i].wrap_open, kinds[i].wrap_close);
		char *want = bh_asprintf(
			"{\"op\":\"replace\",\"path\":\"%s\",\"value\":\"nginx:1@sha256:aa\"}",
			kinds[i].path);

		s = patch_of(obj);
		if (!strstr(s, want))
			fail_msg("%s: %s", kinds[i].kind, s);
		free(s);
		free(obj);
		free(want);
	}
	s = patch_of("{\"kind\":\"ConfigMap\",\"data\":{}}");
	assert_string_equal(s, "[]");
	free(s);
}

/* ---- bh_admission_review -------------------------------------------------------- */

static int verify_yes(void *ctx, const struct bh_policy_image *img,
		      const struct bh_policy_verify_req *req, bool *verified, char **why,
		      struct bh_error **err)
{
	*verified = true;
	return 0;
}

static json_t *answer(enum bh_adm_failure fp, char *const *exempt_ns, enum bh_adm_webhook hook,
		      const char *review)
{
	struct bh_policy *p = bh_policy_new();
	struct bh_pss_lv lv = { BH_PSS_BASELINE, BH_PSS_LATEST };
	static const struct bh_policy_env env = { NULL, verify_yes, NULL, 0 };
	struct bh_admission_opts o = { .failure = fp, .exempt_namespaces = exempt_ns, .env = &env };
	const char *warn =
		"apiVersion: bulkhead.dev/v1alpha1\nkind: Policy\nspec:\n  rules:\n"
		"  - {name: w, kind: workload, action: warn, denyPrivileged: true}\n"
		"  - {name: a, kind: workload, action: audit, requireLimits: [memory]}\n";
	struct bh_admission *a = NULL;
	char *out = NULL;
	json_t *doc;

	assert_int_equal(bh_policy_add_pss(p, lv, NULL), 0);
	assert_int_equal(bh_policy_add(p, warn, strlen(warn), "w.yaml", NULL, NULL, NULL), 0);
	assert_int_equal(bh_policy_compile(p, NULL, NULL), 0);
	o.policy = p;
	assert_int_equal(bh_admission_new(&o, &a, NULL), 0);
	assert_int_equal(bh_admission_review(a, hook, review, strlen(review), &out, NULL, NULL), 0);
	doc = json_loads(out, 0, NULL);
	assert_non_null(doc);
	free(out);
	bh_admission_free(a);
	bh_policy_free(p);
	return doc;
}

static void review_answers(void **state)
{
	json_t *d, *r;
	char *ns[] = { "ns", NULL };

	d = answer(BH_ADM_FAIL, NULL, BH_ADM_VALIDATE, REVIEW(POD_REQ("CREATE", "", BAD_POD)));
	r = json_object_get(d, "response");
	assert_string_equal(bh_json_str(d, "apiVersion"), "admission.k8s.io/v1");
	assert_string_equal(bh_json_str(r, "uid"), "u-1");
	assert_true(json_is_false(json_object_get(r, "allowed")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "status"), "code")),
			 403);
	assert_string_equal(bh_json_str(json_object_get(r, "status"), "message"),
			    "violates PodSecurity \"baseline:latest\": privileged (container \"c\" "
			    "must not set securityContext.privileged=true)");
	assert_int_equal(json_array_size(json_object_get(r, "warnings")), 1);
	assert_non_null(bh_json_str(json_object_get(r, "auditAnnotations"), "a"));
	json_decref(d);

	/* PSA's skips: DELETE, a subresource */
	d = answer(BH_ADM_FAIL, NULL, BH_ADM_VALIDATE,
		   REVIEW(POD_REQ("CREATE", ",\"subResource\":\"status\"", BAD_POD)));
	assert_true(json_is_true(json_object_get(json_object_get(d, "response"), "allowed")));
	json_decref(d);
	/* exempt namespace */
	d = answer(BH_ADM_FAIL, ns, BH_ADM_VALIDATE, REVIEW(POD_REQ("CREATE", "", BAD_POD)));
	r = json_object_get(d, "response");
	assert_true(json_is_true(json_object_get(r, "allowed")));
	assert_string_equal(bh_json_str(json_object_get(r, "auditAnnotations"), "exempt"),
			    "namespace");
	json_decref(d);
	/* failure policy: an unknown kind */
	d = answer(BH_ADM_IGNORE, NULL, BH_ADM_VALIDATE,
		   REVIEW(POD_REQ("CREATE", "", "{\"kind\":\"Widget\",\"apiVersion\":\"x/v1\"}")));
	r = json_object_get(d, "response");
	assert_true(json_is_true(json_object_get(r, "allowed")));
	assert_non_null(strstr(json_string_value(json_array_get(json_object_get(r, "warnings"), 0)),
			       "failure policy: ignore"));
	json_decref(d);
	d = answer(BH_ADM_FAIL, NULL, BH_ADM_VALIDATE,
		   REVIEW(POD_REQ("CREATE", "", "{\"kind\":\"Widget\",\"apiVersion\":\"x/v1\"}")));
	assert_true(json_is_false(json_object_get(json_object_get(d, "response"), "allowed")));
	json_decref(d);
	/* the mutating webhook never denies a policy hit, and has nothing to pin here
	 * (the stub env verifies but learns no digest) */
	d = answer(BH_ADM_FAIL, NULL, BH_ADM_MUTATE, REVIEW(POD_REQ("CREATE", "", BAD_POD)));
	r = json_object_get(d, "response");
	assert_true(json_is_true(json_object_get(r, "allowed")));
	assert_null(json_object_get(r, "patch"));
	assert_null(json_object_get(r, "warnings"));
	json_decref(d);
}

static void review_without_uid_is_an_error(void **state)
{
	struct bh_policy *p = bh_policy_new();
	struct bh_pss_lv lv = { BH_PSS_BASELINE, BH_PSS_LATEST };
	struct bh_admission_opts o = { 0 };
	struct bh_admission *a = NULL;
	struct bh_error *err = NULL;
	char *out = NULL;

	assert_int_equal(bh_policy_add_pss(p, lv, NULL), 0);
	assert_int_equal(bh_policy_compile(p, NULL, NULL), 0);
	o.policy = p;
	assert_int_equal(bh_admission_new(&o, &a, NULL), 0);
	assert_int_equal(bh_admission_review(a, BH_ADM_VALIDATE, "{", 1, &out, NULL, &err), -1);
	assert_null(out);
	assert_error(err, BH_ERR_INVALID, "AdmissionReview");
	bh_error_free(err);
	bh_admission_free(a);
	bh_policy_free(p);
}

/* webhook19: --decision-log: a line per validating review evaluated (deny,
 * allow, error: a review with a uid but a bad member), none for PSA's skips,
 * the exempt or the mutating webhook; a directory that is not one refused */
static void decisions_are_logged(void **state)
{
	struct bh_policy *p = bh_policy_new();
	struct bh_pss_lv lv = { BH_PSS_BASELINE, BH_PSS_LATEST };
	static const struct bh_policy_env env = { NULL, verify_yes, NULL, 0 };
	char *ns[] = { "kube-system", NULL };
	char dir[] = "/tmp/bh-declog-XXXXXX";
	struct bh_admission_opts o = { .env = &env, .exempt_namespaces = ns };
	struct bh_admission *a = NULL;
	struct bh_error *err = NULL;
	const char *reviews[] = {
		REVIEW(POD_REQ("CREATE", ",\"dryRun\":true", BAD_POD)),
		REVIEW(POD_REQ("CREATE", ",\"subResource\":\"status\"", BAD_POD)),
		REVIEW(POD_REQ("CREATE", "",
			       "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":"
			       "\"ok\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":"
			       "\"nginx:1\"}]}}")),
		REVIEW("\"uid\":\"u-bad\",\"kind\":7"),
	};
	struct bh_buf b = BH_BUF_INIT(1u << 20);
	char *path, *out = NULL, *line, *save = NULL;
	json_t *l[4];
	size_t n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(bh_policy_add_pss(p, lv, NULL), 0);
	assert_int_equal(bh_policy_compile(p, NULL, NULL), 0);
	o.policy = p;
	o.decision_log = "/etc/passwd";
	assert_int_equal(bh_admission_new(&o, &a, &err), -1);
	assert_error(err, BH_ERR_INVALID, "not a directory");
	bh_error_free(err);
	err = NULL;
	o.decision_log = dir;
	assert_int_equal(bh_admission_new(&o, &a, NULL), 0);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(bh_admission_review(a, BH_ADM_VALIDATE, reviews[i],
						     strlen(reviews[i]), &out, NULL, NULL),
				 0);
		free(out);
	}
	/* exempt and mutating: no line */
	{
		const char *ex = REVIEW(
			"\"uid\":\"u-ex\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":"
			"\"Pod\"},\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":"
			"\"pods\"},\"namespace\":\"kube-system\",\"operation\":\"CREATE\","
			"\"object\":" BAD_POD);
		const char *mu = reviews[0];

		assert_int_equal(
			bh_admission_review(a, BH_ADM_VALIDATE, ex, strlen(ex), &out, NULL, NULL),
			0);
		free(out);
		assert_int_equal(
			bh_admission_review(a, BH_ADM_MUTATE, mu, strlen(mu), &out, NULL, NULL), 0);
		free(out);
	}
	bh_admission_free(a); /* declog19: the writer's queue drained */
	a = NULL;
	path = bh_asprintf("%s/.admission@log", dir);
	assert_int_equal(bh_read_file(path, &b, NULL), 0);
	assert_int_equal(bh_buf_addc(&b, 0, NULL), 0);
	for (line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_true(n < 3);
		l[n] = json_loads(line, 0, NULL);
		assert_non_null(l[n]);
		assert_string_equal(bh_json_str(l[n], "source"), "webhook");
		n++;
	}
	assert_int_equal(n, 3);
	assert_string_equal(bh_json_str(l[0], "decision"), "deny");
	assert_string_equal(bh_json_str(l[0], "id"), "u-1");
	assert_string_equal(bh_json_str(l[0], "kind"), "Pod");
	assert_string_equal(bh_json_str(l[0], "namespace"), "ns");
	assert_string_equal(bh_json_str(l[0], "name"), "p");
	assert_string_equal(bh_json_str(l[0], "operation"), "CREATE");
	assert_true(json_is_true(json_object_get(l[0], "dry_run")));
	assert_non_null(strstr(bh_json_str(l[0], "message"), "privileged"));
	assert_non_null(bh_json_str(json_array_get(json_object_get(l[0], "rules"), 0), "rule"));
	assert_string_equal(bh_json_str(l[1], "decision"), "allow");
	assert_string_equal(bh_json_str(l[1], "name"), "ok");
	assert_string_equal(bh_json_str(l[2], "decision"), "error");
	assert_string_equal(bh_json_str(l[2], "id"), "u-bad");
	assert_non_null(strstr(bh_json_str(l[2], "reason"), "request.kind"));
	/* the answer is logged too: the dry run's deny refused, the error
	 * refused (failure policy fail) */
	assert_true(json_is_false(json_object_get(l[0], "allowed")));
	assert_true(json_is_true(json_object_get(l[1], "allowed")));
	assert_true(json_is_false(json_object_get(l[2], "allowed")));
	for (size_t i = 0; i < n; i++)
		json_decref(l[i]);
	bh_buf_release(&b);
	bh_admission_free(a);
	/* failure policy ignore: the error is logged allowed */
	unlink(path);
	o.failure = BH_ADM_IGNORE;
	assert_int_equal(bh_admission_new(&o, &a, NULL), 0);
	assert_int_equal(bh_admission_review(a, BH_ADM_VALIDATE, reviews[3], strlen(reviews[3]),
					     &out, NULL, NULL),
			 0);
	assert_non_null(strstr(out, "\"allowed\":true"));
	free(out);
	bh_admission_free(a); /* declog19: written by the writer thread, drained here */
	a = NULL;
	b = (struct bh_buf)BH_BUF_INIT(1u << 20);
	assert_int_equal(bh_read_file(path, &b, NULL), 0);
	assert_int_equal(bh_buf_addc(&b, 0, NULL), 0);
	l[0] = json_loads(b.data, JSON_DISABLE_EOF_CHECK, NULL);
	assert_non_null(l[0]);
	assert_string_equal(bh_json_str(l[0], "decision"), "error");
	assert_true(json_is_true(json_object_get(l[0], "allowed")));
	json_decref(l[0]);
	bh_buf_release(&b);
	bh_admission_free(a);
	bh_policy_free(p);
	unlink(path);
	free(path);
	path = bh_asprintf("%s/.admission@lock", dir);
	unlink(path);
	free(path);
	assert_int_equal(rmdir(dir), 0);
}

/* the review of a denied pod with the uid u */
static char *review_of(const char *u)
{
	const char *t = REVIEW(POD_REQ("CREATE", "", BAD_POD));
	const char *at = strstr(t, "u-1");

	assert_non_null(at);
	return bh_asprintf("%.*s%s%s", (int)(at - t), t, u, at + 3);
}

static uint64_t metric(struct bh_admission *a, const char *name)
{
	struct bh_buf b = BH_BUF_INIT(1u << 20);
	const char *at;
	uint64_t v;

	assert_int_equal(bh_admission_metrics(a, &b, NULL), 0);
	assert_int_equal(bh_buf_addc(&b, 0, NULL), 0);
	at = strstr(b.data, name);
	assert_non_null(at);
	v = strtoull(at + strlen(name), NULL, 10);
	bh_buf_release(&b);
	return v;
}

/* the ids of dir's decision log, in order, each followed by a space */
static char *logged_ids(const char *dir, size_t *n)
{
	char *path = bh_asprintf("%s/.admission@log", dir), *line, *save = NULL, *s;
	struct bh_buf b = BH_BUF_INIT(1u << 24), ids = BH_BUF_INIT(1u << 24);

	*n = 0;
	assert_int_equal(bh_read_file(path, &b, NULL), 0);
	assert_int_equal(bh_buf_addc(&b, 0, NULL), 0);
	for (line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *v = json_loads(line, 0, NULL);

		assert_non_null(v);
		assert_int_equal(bh_buf_addf(&ids, NULL, "%s ", bh_json_str(v, "id")), 0);
		json_decref(v);
		(*n)++;
	}
	assert_int_equal(bh_buf_addc(&ids, 0, NULL), 0);
	s = bh_buf_detach(&ids, NULL);
	bh_buf_release(&ids);
	bh_buf_release(&b);
	free(path);
	return s;
}

static void rm_log(const char *dir)
{
	static const char *const names[] = { ".admission@log", ".admission@log.1",
					     ".admission@lock" };

	for (size_t i = 0; i < 3; i++) {
		char *p = bh_asprintf("%s/%s", dir, names[i]);

		unlink(p);
		free(p);
	}
}

/*
 * declog19: the log's writer is off the answer's path. With the log's lock
 * held by another writer (the test), every review is answered at once, the
 * queue (4) fills and the rest are dropped and counted; let go, what was
 * queued is written in order; at the end (bh_admission_free) a burst queued
 * is written whole, each decision exactly once.
 */
static void the_log_never_holds_up_an_answer(void **state)
{
	struct bh_policy *p = bh_policy_new();
	struct bh_pss_lv lv = { BH_PSS_BASELINE, BH_PSS_LATEST };
	static const struct bh_policy_env env = { NULL, verify_yes, NULL, 0 };
	char dir[] = "/tmp/bh-declog-XXXXXX", *lock, *ids;
	struct bh_admission_opts o = { .env = &env, .decision_log_queue = 4 };
	struct bh_admission *a = NULL;
	struct bh_buf want = BH_BUF_INIT(1u << 20);
	uint64_t dropped;
	size_t n;
	int lfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(bh_policy_add_pss(p, lv, NULL), 0);
	assert_int_equal(bh_policy_compile(p, NULL, NULL), 0);
	o.policy = p;
	o.decision_log = dir;
	lock = bh_asprintf("%s/.admission@lock", dir);
	lfd = open(lock, O_RDWR | O_CREAT, 0600);
	assert_true(lfd >= 0);
	assert_int_equal(flock(lfd, LOCK_EX), 0);
	assert_int_equal(bh_admission_new(&o, &a, NULL), 0);
	for (int i = 0; i < 20; i++) {
		char *u = bh_asprintf("q%d", i), *r = review_of(u), *out = NULL;

		assert_int_equal(
			bh_admission_review(a, BH_ADM_VALIDATE, r, strlen(r), &out, NULL, NULL), 0);
		assert_non_null(strstr(out, "\"allowed\":false")); /* the answer unchanged */
		free(out);
		free(r);
		free(u);
	}
	/* in the writer's hands (a batch, at most the queue) and queued: 8 at most */
	dropped = metric(a, "bulkhead_admission_decision_log_total{result=\"dropped\"} ");
	assert_true(dropped >= 12 && dropped <= 19);
	assert_int_equal(metric(a, "bulkhead_admission_decision_log_total{result=\"ok\"} "), 0);
	assert_int_equal(flock(lfd, LOCK_UN), 0);
	close(lfd);
	bh_admission_free(a);
	ids = logged_ids(dir, &n);
	assert_int_equal(n, 20 - dropped);
	{
		/* q0 first (the writer's batch), then in order, once each */
		const char *at = ids;
		long prev = -1;

		assert_true(!strncmp(ids, "q0 ", 3));
		for (size_t i = 0; i < n; i++) {
			char *end;
			long k;

			assert_int_equal(*at, 'q');
			k = strtol(at + 1, &end, 10);
			assert_true(k > prev);
			prev = k;
			at = end + 1;
		}
		assert_int_equal(*at, 0);
	}
	free(ids);
	rm_log(dir);

	/* a burst, then the end: all of it written, once each, in order */
	o.decision_log_queue = 0;
	assert_int_equal(bh_admission_new(&o, &a, NULL), 0);
	bh_buf_reset(&want);
	for (int i = 0; i < 300; i++) {
		char *u = bh_asprintf("s%d", i), *r = review_of(u), *out = NULL;

		assert_int_equal(
			bh_admission_review(a, BH_ADM_VALIDATE, r, strlen(r), &out, NULL, NULL), 0);
		free(out);
		free(r);
		free(u);
		assert_int_equal(bh_buf_addf(&want, NULL, "s%d ", i), 0);
	}
	assert_int_equal(metric(a, "bulkhead_admission_decision_log_total{result=\"dropped\"} "),
			 0);
	bh_admission_free(a);
	assert_int_equal(bh_buf_addc(&want, 0, NULL), 0);
	ids = logged_ids(dir, &n);
	assert_int_equal(n, 300);
	assert_string_equal(ids, want.data);
	free(ids);
	rm_log(dir);
	bh_buf_release(&want);
	free(lock);
	bh_policy_free(p);
	assert_int_equal(rmdir(dir), 0);
}

/* The review's JSON reader against jansson's (the reader it replaces): the
 * same verdict and the same tree on each case, the reason named on refusal. */
static void json_reader_matches_jansson(void **state)
{
	static const struct {
		const char *in;
		size_t len;	 /* 0: strlen */
		const char *why; /* NULL: accepted */
	} cases[] = {
		{ "{\"a\":[1,-0,1.5e3,-2E-2,0.1,1e-999,9223372036854775807],\"b\":{}}", 0, NULL },
		{ "  [\"\\u00e9\\ud83d\\ude00\\n\\/\\\\\\\"\\b\\f\\r\\t\", "
		  "\"\xc3\xa9\xe2\x82\xac\"]\n",
		  0, NULL },
		{ "[true,false,null,[],{\"\":\"\"}]", 0, NULL },
		{ "{\"a\":1,\"a\":2}", 0, "duplicate object key" },
		{ "{\"a\\u0062\":1,\"ab\":2}", 0, "duplicate object key" },
		{ "[1] x", 0, "end of file expected" },
		{ "\"s\"", 0, "'[' or '{' expected" },
		{ "", 0, "premature end of input" },
		{ "[9223372036854775808]", 0, "too big integer" },
		{ "[-9223372036854775809]", 0, "too big negative integer" },
		{ "[1e999]", 0, "real number overflow" },
		{ "[01]", 0, "',' or ']' expected" },
		{ "[1.]", 0, "invalid number" },
		{ "[.5]", 0, "invalid number" },
		{ "[tru]", 0, "invalid token" },
		{ "[\"a\x01\"]", 0, "control character" },
		{ "[\"\\u0000\"]", 0, "\\u0000" },
		{ "[\"\\ud800\"]", 0, "unpaired surrogate" },
		{ "[\"\\udc00\"]", 0, "lone low surrogate" },
		{ "[\"\\x\"]", 0, "invalid escape" },
		{ "[\"\xc0\xaf\"]", 0, "invalid UTF-8" },
		{ "[\"\xed\xa0\x80\"]", 0, "invalid UTF-8" },
		{ "[\"\xf4\x90\x80\x80\"]", 0, "invalid UTF-8" },
		{ "[\"abc", 0, "premature end of input in a string" },
		{ "{\"a\" 1}", 0, "':' expected" },
		{ "{\"a\":1,}", 0, "string or '}' expected" },
		{ "[1,2", 0, "',' or ']' expected" },
		{ "[1]\0", 4, "end of file expected" },
	};
	char deep[2 * 2100 + 1];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
		json_t *a = NULL, *b = json_loadb(cases[i].in, len, JSON_REJECT_DUPLICATES, NULL);
		struct bh_error *err = NULL;
		int rc = bh_adm_json_parse(cases[i].in, len, 1u << 20, "case", &a, &err);

		if (!cases[i].why) {
			assert_int_equal(rc, 0);
			assert_non_null(b);
			assert_true(json_equal(a, b));
		} else {
			assert_int_equal(rc, -1);
			assert_null(b);
			assert_error(err, BH_ERR_INVALID, cases[i].why);
			assert_error(err, BH_ERR_INVALID, "case: invalid JSON at line 1 column");
		}
		bh_error_free(err);
		json_decref(a);
		json_decref(b);
	}
	/* 2100 levels: over jansson's 2048 */
	for (size_t i = 0; i < 2100; i++)
		deep[i] = '[', deep[2100 + i] = ']';
	deep[4200] = 0;
	{
		json_t *a = NULL;
		struct bh_error *err = NULL;

		assert_null(json_loadb(deep, 4200, 0, NULL));
		assert_int_equal(bh_adm_json_parse(deep, 4200, 1u << 20, "deep", &a, &err), -1);
		assert_error(err, BH_ERR_INVALID, "maximum parsing depth");
		bh_error_free(err);
		err = NULL;
		assert_int_equal(bh_adm_json_parse("[1]", 3, 2, "small", &a, &err), -1);
		assert_error(err, BH_ERR_LIMIT, "small: 3 bytes of JSON exceeds the limit of 2");
		bh_error_free(err);
		err = NULL;
		/* the line and column of the error */
		assert_int_equal(bh_adm_json_parse("{\n  \"a\": x}", 11, 64, "pos", &a, &err), -1);
		assert_error(err, BH_ERR_INVALID, "pos: invalid JSON at line 2 column 8");
		bh_error_free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parser_reads_a_review),
		cmocka_unit_test(parser_refuses_what_is_not_a_review),
		cmocka_unit_test(patch_pins_every_container_of_every_kind),
		cmocka_unit_test(review_answers),
		cmocka_unit_test(review_without_uid_is_an_error),
		cmocka_unit_test(decisions_are_logged),
		cmocka_unit_test(the_log_never_holds_up_an_answer),
		cmocka_unit_test(json_reader_matches_jansson),
	};

	/* as the serving process: every review in the arena (ASan catches escapes) */
	bh_adm_arena_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
