/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rule kinds about images (NIST SP 800-190 4.1): where an image may come
 * from (imageProvenance), who must have signed it and attested what
 * (imageSignature), the vulnerability gate on its scan (vulnerabilities),
 * and what its content and config may hold (imageContent). Each evaluates
 * every image of the input that is in the rule's image scope. A fact the
 * rule needs and cannot have (no scan, no verifier, an unknown creation
 * time) fires the rule, saying so, unless the rule says whenUnknown: pass:
 * a policy fails closed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/scan.h"
#include "bulkhead/trust.h"
#include "policy/internal.h"
#include "banned.h"

/* ---- shared -------------------------------------------------------------------- */

static void globs_from(const json_t *list, struct pol_globs *out)
{
	size_t i;
	json_t *e;

	out->n = 0;
	out->v = bh_calloc(json_array_size(list) + 1, sizeof(*out->v));
	json_array_foreach (list, i, e) {
		char *why = NULL;

		if (pol_glob_compile(json_string_value(e), &out->v[out->n], &why) == 0)
			out->n++;
		free(why);
	}
}

static void globs_release(struct pol_globs *g)
{
	for (size_t i = 0; i < g->n; i++)
		pol_glob_free(g->v[i]);
	free(g->v);
}

static void globs_text(struct bh_buf *b, const struct pol_globs *g)
{
	for (size_t i = 0; i < g->n; i++)
		bh_buf_addf(b, NULL, "%s%s", i ? ", " : "", pol_glob_text(g->v[i]));
}

static char **strv_from(const json_t *list)
{
	struct bh_strvec v = BH_STRVEC_INIT;
	size_t i;
	json_t *e;

	json_array_foreach (list, i, e)
		bh_strvec_push(&v, json_string_value(e));
	return bh_strvec_detach(&v);
}

/* "image \"nginx:1\"" with the container, for messages */
static const char *who(const struct pol_image *img, char *buf, size_t n)
{
	if (img->container)
		snprintf(buf, n, "image \"%s\" (container \"%s\")", img->ref, img->container);
	else
		snprintf(buf, n, "image \"%s\"", img->ref);
	return buf;
}

static bool when_unknown_fires(const json_t *def)
{
	const char *w = bh_json_str(def, "whenUnknown");

	return !w || strcmp(w, "pass");
}

static const char *human_duration(int64_t s, char *buf, size_t n)
{
	if (s >= 86400 * 2)
		snprintf(buf, n, "%lld days", (long long)(s / 86400));
	else if (s >= 7200)
		snprintf(buf, n, "%lld hours", (long long)(s / 3600));
	else
		snprintf(buf, n, "%lld seconds", (long long)s);
	return buf;
}

/* ---- imageProvenance (4.1.5) ---------------------------------------------------- */

struct provenance {
	struct pol_globs registries, repositories, forbid_tags;
	char **digests;
	bool require_digest;
};

static const struct pol_field provenance_fields[] = {
	F("registries", PF_GLOBS),   F("repositories", PF_GLOBS), F("digests", PF_DIGESTS),
	F("requireDigest", PF_BOOL), F("forbidTags", PF_GLOBS),	  { .name = NULL },
};

static int provenance_compile(struct pol_rule *r, const json_t *def, struct pol_compile *pc)
{
	struct provenance *p = bh_calloc(1, sizeof(*p));

	globs_from(json_object_get(def, "registries"), &p->registries);
	globs_from(json_object_get(def, "repositories"), &p->repositories);
	globs_from(json_object_get(def, "forbidTags"), &p->forbid_tags);
	p->digests = strv_from(json_object_get(def, "digests"));
	p->require_digest = json_is_true(json_object_get(def, "requireDigest"));
	r->params = p;
	if (!p->registries.n && !p->repositories.n && !p->digests && !p->require_digest &&
	    !p->forbid_tags.n)
		pc->problem(pc, NULL,
			    "an imageProvenance rule needs registries, repositories, digests, "
			    "requireDigest or forbidTags");
	return 0;
}

static void provenance_free(void *params)
{
	struct provenance *p = params;

	if (!p)
		return;
	globs_release(&p->registries);
	globs_release(&p->repositories);
	globs_release(&p->forbid_tags);
	bh_strv_free(p->digests);
	free(p);
}

static int provenance_eval(const struct pol_rule *r, struct pol_ctx *c, struct bh_error **err)
{
	const struct provenance *p = r->params;

	for (size_t i = 0; i < c->nimages; i++) {
		const struct pol_image *img = &c->images[i];
		struct bh_buf allowed = BH_BUF_INIT(1 << 16);
		char w[1024];

		if (!pol_image_in_scope(r, img))
			continue;
		who(img, w, sizeof(w));
		if (img->parse_error && (p->registries.n || p->repositories.n ||
					 p->require_digest || p->forbid_tags.n)) {
			pol_hit(c, r, "reference", NULL, img->container, img->ref,
				"%s is not a valid image reference: %s", w, img->parse_error);
			continue;
		}
		/* an invalid reference (an image on disk) leaves only its digest to check */
		if (!img->parse_error && p->registries.n &&
		    !pol_globs_match(p->registries.v, p->registries.n, img->parsed.domain)) {
			globs_text(&allowed, &p->registries);
			pol_hit(c, r, "registry", NULL, img->container, img->ref,
				"%s: registry \"%s\" is not allowed (allowed: %s)", w,
				img->parsed.domain, allowed.data);
		}
		if (!img->parse_error && p->repositories.n &&
		    !pol_globs_match(p->repositories.v, p->repositories.n, img->parsed.name)) {
			bh_buf_reset(&allowed);
			globs_text(&allowed, &p->repositories);
			pol_hit(c, r, "repository", NULL, img->container, img->ref,
				"%s: repository \"%s\" is not allowed (allowed: %s)", w,
				img->parsed.name, allowed.data);
		}
		if (p->require_digest && !img->parsed.digest)
			pol_hit(c, r, "digest", NULL, img->container, img->ref,
				"%s is not pinned to a digest (name@sha256:...)", w);
		if (p->digests && (!img->digest || !bh_strv_contains(p->digests, img->digest)))
			pol_hit(c, r, "digest", NULL, img->container, img->ref,
				img->digest ? "%s: digest %s is not one of the allowed digests"
					    : "%s: its digest is not known, and only listed "
					      "digests are "
					      "allowed%s",
				w, img->digest ? img->digest : "");
		if (p->forbid_tags.n && img->parsed.tag &&
		    pol_globs_match(p->forbid_tags.v, p->forbid_tags.n, img->parsed.tag))
			pol_hit(c, r, "tag", NULL, img->container, img->ref,
				"%s: the tag \"%s\" is not allowed", w, img->parsed.tag);
		else if (p->forbid_tags.n && !img->parsed.tag && !img->parsed.digest &&
			 pol_globs_match(p->forbid_tags.v, p->forbid_tags.n, "latest"))
			pol_hit(c, r, "tag", NULL, img->container, img->ref,
				"%s: no tag means \"latest\", which is not allowed", w);
		bh_buf_release(&allowed);
	}
	(void)err;
	return 0;
}

const struct pol_rule_kind pol_kind_image_provenance = {
	"imageProvenance",
	"4.1.5",
	POL_IN_K8S | POL_IN_OCI | POL_IN_IMAGE,
	0,
	provenance_fields,
	NULL,
	provenance_compile,
	provenance_free,
	provenance_eval,
};

/* ---- imageSignature (4.1.5) ---------------------------------------------------------- */

struct signature {
	struct bh_key **keys; /* parsed: at compile, or (BH_POLICY_DEFER_KEYS) at first use */
	char **pems;	      /* each key's PEM text */
	size_t nkeys;
	pthread_mutex_t lock; /* guards keys and loaded: one compiled policy serves every thread */
	bool loaded;
	bool deferred; /* BH_POLICY_DEFER_KEYS: the env gets keys NULL and load_keys */
	unsigned threshold;
	bool signatures;
	char **attestations; /* predicate types */
	bool fire_unknown;
};

static const struct pol_field signature_fields[] = {
	F("keys", PF_KEYS),
	FN("threshold", PF_INT, 1, 64),
	F("signatures", PF_BOOL),
	F("attestations", PF_STRS),
	FE("whenUnknown", PF_ENUM, "fire pass"),
	{ .name = NULL },
};

static int signature_compile(struct pol_rule *r, const json_t *def, struct pol_compile *pc)
{
	struct signature *s = bh_calloc(1, sizeof(*s));
	const json_t *keys = json_object_get(def, "keys");
	struct bh_strvec att = BH_STRVEC_INIT;
	json_int_t th = 1;
	size_t i;
	json_t *e;

	r->params = s;
	pthread_mutex_init(&s->lock, NULL);
	s->keys = bh_calloc(json_array_size(keys) + 1, sizeof(*s->keys));
	s->pems = bh_calloc(json_array_size(keys) + 1, sizeof(*s->pems));
	s->loaded = !pc->defer_keys;
	s->deferred = pc->defer_keys;
	json_array_foreach (keys, i, e) {
		struct bh_error *err = NULL;

		if (pol_key_read(json_string_value(e), pc->base_dir, &s->pems[s->nkeys], &err) <
			    0 ||
		    (!pc->defer_keys && pol_key_load(json_string_value(e), pc->base_dir,
						     &s->keys[s->nkeys], &err) < 0)) {
			char *m = bh_error_message(err);

			pc->problem(pc, "keys", "%s", m);
			free(m);
			bh_error_free(err);
			return -1;
		}
		s->nkeys++;
	}
	bh_json_int(def, "threshold", &th);
	s->threshold = (unsigned)th;
	if (s->threshold > s->nkeys)
		pc->problem(pc, "threshold", "threshold %u needs as many keys (%zu given)",
			    s->threshold, s->nkeys);
	s->signatures = !json_is_false(json_object_get(def, "signatures"));
	json_array_foreach (json_object_get(def, "attestations"), i, e) {
		const char *t = json_string_value(e);

		if (!strcmp(t, "sbom") || !strcmp(t, "cyclonedx"))
			bh_strvec_push(&att, BH_PREDICATE_CYCLONEDX);
		else if (!strcmp(t, "vuln"))
			bh_strvec_push(&att, BH_PREDICATE_VULN);
		else if (bh_str_has_prefix(t, "https://") || bh_str_has_prefix(t, "http://"))
			bh_strvec_push(&att, t);
		else
			pc->problem(pc, "attestations",
				    "'%s' is not sbom, vuln or a predicate type URI", t);
	}
	s->attestations = bh_strvec_detach(&att);
	if (!s->signatures && !s->attestations)
		pc->problem(pc, "signatures", "with signatures: false, name attestations to check");
	s->fire_unknown = when_unknown_fires(def);
	return 0;
}

static void signature_free(void *params)
{
	struct signature *s = params;

	if (!s)
		return;
	for (size_t i = 0; s->keys && s->keys[i]; i++)
		bh_key_free(s->keys[i]);
	free(s->keys);
	bh_strv_free(s->pems);
	bh_strv_free(s->attestations);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* The keys parsed, once (deferred keys are parsed at their first use). */
static int signature_keys(struct signature *s, const struct bh_key *const **out,
			  struct bh_error **err)
{
	int r = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; !s->loaded && i < s->nkeys; i++) {
		if (bh_key_parse_public(s->pems[i], strlen(s->pems[i]), &s->keys[i], err) < 0) {
			bh_error_prefix(err, "key %zu of the rule", i + 1);
			while (i)
				bh_key_free(s->keys[--i]);
			s->keys[0] = NULL;
			r = -1;
			break;
		}
	}
	if (r == 0)
		s->loaded = true;
	pthread_mutex_unlock(&s->lock);
	*out = r == 0 ? (const struct bh_key *const *)s->keys : NULL;
	return r;
}

static int load_keys(const struct bh_policy_verify_req *req, const struct bh_key *const **keys,
		     struct bh_error **err)
{
	return signature_keys((struct signature *)req->load_ctx, keys, err);
}

static void verify_one(const struct pol_rule *r, struct pol_ctx *c, const struct pol_image *img,
		       const char *predicate, const char *w)
{
	const struct signature *s = r->params;
	struct bh_policy_verify_req req = {
		NULL, s->nkeys, s->threshold, predicate, (const char *const *)s->pems, load_keys, s
	};
	struct bh_error *err = NULL;
	bool ok = false;
	char *why = NULL, check[256];
	int x;

	snprintf(check, sizeof(check), "%s%s", predicate ? "attestation " : "signature",
		 predicate ? predicate : "");
	if (!c->env->verify) {
		if (s->fire_unknown)
			pol_hit(c, r, check, NULL, img->container, img->ref,
				"%s: nothing can verify %s here", w,
				predicate ? "attestations" : "signatures");
		return;
	}
	/* deferred keys: the env loads them if it must; else they are given */
	x = s->deferred ? 0 : signature_keys((struct signature *)s, &req.keys, &err);
	if (x < 0 || c->env->verify(c->env->ctx, &img->view, &req, &ok, &why, &err) < 0) {
		char *m = bh_error_message(err);

		/* could not check: the rule fires, a policy fails closed */
		if (s->fire_unknown)
			pol_hit(c, r, check, NULL, img->container, img->ref,
				"%s: %s could not be verified: %s", w,
				predicate ? "its attestation" : "its signature", m);
		free(m);
		bh_error_free(err);
	} else if (!ok) {
		if (predicate)
			pol_hit(c, r, check, NULL, img->container, img->ref,
				"%s has no %s attestation verified by %u of the %zu key%s%s%s", w,
				predicate, s->threshold, s->nkeys, s->nkeys == 1 ? "" : "s",
				why ? ": " : "", why ? why : "");
		else
			pol_hit(c, r, check, NULL, img->container, img->ref,
				"%s is not signed by %u of the %zu key%s%s%s", w, s->threshold,
				s->nkeys, s->nkeys == 1 ? "" : "s", why ? ": " : "",
				why ? why : "");
	}
	free(why);
}

static int signature_eval(const struct pol_rule *r, struct pol_ctx *c, struct bh_error **err)
{
	const struct signature *s = r->params;

	for (size_t i = 0; i < c->nimages; i++) {
		const struct pol_image *img = &c->images[i];
		char w[1024];

		if (!pol_image_in_scope(r, img))
			continue;
		who(img, w, sizeof(w));
		if (s->signatures)
			verify_one(r, c, img, NULL, w);
		for (size_t k = 0; s->attestations && s->attestations[k]; k++)
			verify_one(r, c, img, s->attestations[k], w);
	}
	(void)err;
	return 0;
}

const struct pol_rule_kind pol_kind_image_signature = {
	"imageSignature",	"4.1.5",	  POL_IN_K8S | POL_IN_OCI | POL_IN_IMAGE,
	BH_POLICY_NEEDS_VERIFY, signature_fields, "keys",
	signature_compile,	signature_free,	  signature_eval,
};

/* ---- vulnerabilities (4.1.1) ------------------------------------------------------------ */

struct ignore {
	char *id;
	int64_t expires; /* 0: never */
};

struct vulns {
	enum bh_severity severity; /* BH_SEV_UNKNOWN with has_severity false: not a criterion */
	bool has_severity;
	double cvss; /* < 0: not a criterion */
	bool fixable;
	int64_t older_than;
	json_int_t max_findings;
	struct ignore *ignores;
	size_t nignores;
	struct bh_vex *vex;
	size_t nvex;
	int64_t max_scan_age;
	bool fire_unknown;
};

static const struct pol_field vulns_fields[] = {
	FE("severity", PF_ENUM, "UNKNOWN LOW MEDIUM HIGH CRITICAL"),
	FN("cvss", PF_NUM, 0, 10),
	F("fixable", PF_BOOL),
	F("olderThan", PF_DURATION),
	FN("maxFindings", PF_INT, 0, 1e9),
	F("ignore", PF_IGNORES),
	F("vex", PF_FILES),
	F("maxScanAge", PF_DURATION),
	FE("whenUnknown", PF_ENUM, "fire pass"),
	{ .name = NULL },
};

static const enum bh_severity sev_order[] = { BH_SEV_UNKNOWN, BH_SEV_LOW, BH_SEV_MEDIUM,
					      BH_SEV_HIGH, BH_SEV_CRITICAL };

static int sev_rank(enum bh_severity s)
{
	for (int i = 0; i < 5; i++)
		if (sev_order[i] == s)
			return i;
	return 0;
}

static int vulns_compile(struct pol_rule *r, const json_t *def, struct pol_compile *pc)
{
	struct vulns *v = bh_calloc(1, sizeof(*v));
	const char *sev = bh_json_str(def, "severity"), *d;
	const json_t *cv = json_object_get(def, "cvss");
	size_t i;
	json_t *e;

	r->params = v;
	if (sev) {
		v->has_severity = true;
		v->severity = !strcmp(sev, "UNKNOWN")  ? BH_SEV_UNKNOWN
			      : !strcmp(sev, "LOW")    ? BH_SEV_LOW
			      : !strcmp(sev, "MEDIUM") ? BH_SEV_MEDIUM
			      : !strcmp(sev, "HIGH")   ? BH_SEV_HIGH
						       : BH_SEV_CRITICAL;
	}
	v->cvss = json_is_number(cv)   ? json_number_value(cv)
		  : json_is_string(cv) ? strtod(json_string_value(cv), NULL)
				       : -1;
	if (!sev && v->cvss < 0)
		pc->problem(pc, NULL, "a vulnerabilities rule needs severity or cvss");
	v->fixable = json_is_true(json_object_get(def, "fixable"));
	v->older_than = (d = bh_json_str(def, "olderThan")) ? pol_duration_parse(d) : -1;
	v->max_scan_age = (d = bh_json_str(def, "maxScanAge")) ? pol_duration_parse(d) : -1;
	bh_json_int(def, "maxFindings", &v->max_findings);
	v->fire_unknown = when_unknown_fires(def);
	json_array_foreach (json_object_get(def, "ignore"), i, e) {
		const char *exp = bh_json_str(e, "expires");

		v->ignores = bh_reallocarray(v->ignores, v->nignores + 1, sizeof(*v->ignores));
		v->ignores[v->nignores].id = bh_strdup(bh_json_str(e, "id"));
		v->ignores[v->nignores].expires = 0;
		if (exp)
			bh_time_parse(exp, true, &v->ignores[v->nignores].expires, NULL);
		v->nignores++;
	}
	json_array_foreach (json_object_get(def, "vex"), i, e) {
		struct bh_buf b = BH_BUF_INIT(64u << 20);
		struct bh_error *err = NULL;
		char *path = pol_path_join(pc->base_dir, json_string_value(e));

		v->vex = bh_reallocarray(v->vex, v->nvex + 1, sizeof(*v->vex));
		memset(&v->vex[v->nvex], 0, sizeof(*v->vex));
		if (bh_read_file(path, &b, &err) < 0 ||
		    bh_vex_parse(b.data, b.len, path, &v->vex[v->nvex], &err) < 0) {
			char *m = bh_error_message(err);

			pc->problem(pc, "vex", "%s", m);
			free(m);
			bh_error_free(err);
		} else {
			v->nvex++;
		}
		free(path);
		bh_buf_release(&b);
	}
	return 0;
}

static void vulns_free(void *params)
{
	struct vulns *v = params;

	if (!v)
		return;
	for (size_t i = 0; i < v->nignores; i++)
		free(v->ignores[i].id);
	free(v->ignores);
	for (size_t i = 0; i < v->nvex; i++)
		bh_vex_release(&v->vex[i]);
	free(v->vex);
	free(v);
}

static bool names_vuln(const char *name, const struct bh_policy_vuln *x)
{
	return !strcmp(name, x->id) || bh_strv_contains(x->aliases, name);
}

static bool ignored(const struct vulns *v, const struct bh_policy_vuln *x, int64_t now)
{
	for (size_t i = 0; i < v->nignores; i++)
		if (names_vuln(v->ignores[i].id, x) &&
		    (!v->ignores[i].expires || now < v->ignores[i].expires + 86400))
			return true;
	return false;
}

/* An OpenVEX not_affected / fixed statement about this vulnerability, for
 * any product or one naming this image or package. */
static bool vex_says_fine(const struct vulns *v, const struct bh_policy_vuln *x,
			  const struct pol_image *img)
{
	for (size_t f = 0; f < v->nvex; f++) {
		for (size_t i = 0; i < v->vex[f].n; i++) {
			const struct bh_vex_statement *s = &v->vex[f].v[i];
			bool named = names_vuln(s->vulnerability, x), product = !s->products;

			for (char **a = s->aliases; !named && a && *a; a++)
				named = names_vuln(*a, x);
			if (!named || !s->status ||
			    (strcmp(s->status, "not_affected") && strcmp(s->status, "fixed")))
				continue;
			for (char **p = s->products; !product && p && *p; p++)
				product = (img->digest && strstr(*p, img->digest)) ||
					  !strcmp(*p, img->ref) ||
					  (img->parsed.name && !strcmp(*p, img->parsed.name)) ||
					  (x->purl && !strcmp(*p, x->purl));
			if (product)
				return true;
		}
	}
	return false;
}

static bool gate_matches(const struct vulns *v, const struct bh_policy_vuln *x)
{
	bool sev = v->has_severity && sev_rank(x->severity) >= sev_rank(v->severity);
	bool score = v->cvss >= 0 && x->score >= 0 && x->score >= v->cvss;

	return sev || score;
}

static int vulns_eval(const struct pol_rule *r, struct pol_ctx *c, struct bh_error **err)
{
	const struct vulns *v = r->params;

	for (size_t i = 0; i < c->nimages; i++) {
		const struct pol_image *img = &c->images[i];
		const struct bh_policy_scan *s;
		struct bh_buf list = BH_BUF_INIT(1 << 20), crit = BH_BUF_INIT(256);
		size_t n = 0;
		char w[1024], age[64], lim[64];

		if (!pol_image_in_scope(r, img))
			continue;
		who(img, w, sizeof(w));
		if (pol_scan_of(c, i, &s, err) < 0)
			return -1;
		if (!s) {
			if (v->fire_unknown)
				pol_hit(c, r, "scan", NULL, img->container, img->ref,
					"%s has no scan result to check vulnerabilities on", w);
			continue;
		}
		if (v->max_scan_age >= 0) {
			if (!s->scanned_at) {
				if (v->fire_unknown)
					pol_hit(c, r, "scan-age", NULL, img->container, img->ref,
						"%s: the scan result's time is unknown (maximum "
						"age %s)",
						w,
						human_duration(v->max_scan_age, lim, sizeof(lim)));
			} else if (c->now - s->scanned_at > v->max_scan_age) {
				pol_hit(c, r, "scan-age", NULL, img->container, img->ref,
					"%s: the scan result is %s old (maximum %s)", w,
					human_duration(c->now - s->scanned_at, age, sizeof(age)),
					human_duration(v->max_scan_age, lim, sizeof(lim)));
			}
		}
		for (size_t k = 0; k < s->nvulns; k++) {
			const struct bh_policy_vuln *x = &s->vulns[k];

			if (x->suppressed || ignored(v, x, c->now) || vex_says_fine(v, x, img) ||
			    !gate_matches(v, x) || (v->fixable && !x->fixable) ||
			    (v->older_than >= 0 && x->published &&
			     c->now - x->published < v->older_than))
				continue;
			if (n < 5) {
				bh_buf_addf(&list, NULL, "%s%s (%s", n ? ", " : "", x->id,
					    bh_severity_name(x->severity));
				if (x->score >= 0)
					bh_buf_addf(&list, NULL, ", %.1f", x->score);
				bh_buf_addf(&list, NULL, "%s%s)", x->package ? " in " : "",
					    x->package ? x->package : "");
			}
			n++;
		}
		if (n > (size_t)v->max_findings) {
			if (v->has_severity)
				bh_buf_addf(&crit, NULL, "%s or above",
					    bh_severity_name(v->severity));
			if (v->cvss >= 0)
				bh_buf_addf(&crit, NULL, "%sCVSS %.1f or above",
					    crit.len ? " or " : "", v->cvss);
			if (v->fixable)
				bh_buf_adds(&crit, ", fixable", NULL);
			if (n > 5)
				bh_buf_addf(&list, NULL, " and %zu more", n - 5);
			pol_hit(c, r, "vulnerabilities", NULL, img->container, img->ref,
				"%s has %zu vulnerabilit%s (%s), %lld allowed: %s", w, n,
				n == 1 ? "y" : "ies", crit.data, (long long)v->max_findings,
				list.data);
		}
		bh_buf_release(&list);
		bh_buf_release(&crit);
	}
	return 0;
}

const struct pol_rule_kind pol_kind_vulnerabilities = {
	"vulnerabilities",    "4.1.1",	    POL_IN_K8S | POL_IN_OCI | POL_IN_IMAGE,
	BH_POLICY_NEEDS_SCAN, vulns_fields, NULL,
	vulns_compile,	      vulns_free,   vulns_eval,
};

/* ---- imageContent (4.1.2, 4.1.3, 4.1.4, 4.2.2) -------------------------------------------- */

struct content {
	bool secrets, malware, config_all, root;
	char **config_ids;
	int64_t max_age;
	bool fire_unknown;
};

static const struct pol_field content_fields[] = {
	F("denySecrets", PF_BOOL),
	F("denyMalware", PF_BOOL),
	F("denyConfigFindings", PF_BOOL_OR_STRS),
	F("maxImageAge", PF_DURATION),
	F("denyRoot", PF_BOOL),
	FE("whenUnknown", PF_ENUM, "fire pass"),
	{ .name = NULL },
};

static int content_compile(struct pol_rule *r, const json_t *def, struct pol_compile *pc)
{
	struct content *ct = bh_calloc(1, sizeof(*ct));
	const json_t *cfg = json_object_get(def, "denyConfigFindings");
	const char *d;

	r->params = ct;
	ct->secrets = json_is_true(json_object_get(def, "denySecrets"));
	ct->malware = json_is_true(json_object_get(def, "denyMalware"));
	ct->config_all = json_is_true(cfg);
	ct->config_ids = json_is_array(cfg) ? strv_from(cfg) : NULL;
	ct->root = json_is_true(json_object_get(def, "denyRoot"));
	ct->max_age = (d = bh_json_str(def, "maxImageAge")) ? pol_duration_parse(d) : -1;
	ct->fire_unknown = when_unknown_fires(def);
	if (!ct->secrets && !ct->malware && !ct->config_all && !ct->config_ids && !ct->root &&
	    ct->max_age < 0)
		pc->problem(pc, NULL,
			    "an imageContent rule needs denySecrets, denyMalware, "
			    "denyConfigFindings, maxImageAge or denyRoot");
	return 0;
}

static void content_free(void *params)
{
	struct content *ct = params;

	if (!ct)
		return;
	bh_strv_free(ct->config_ids);
	free(ct);
}

static bool user_is_root(const char *u)
{
	/* "", "root", "0", "root:group", "0:0" */
	size_t n = strcspn(u, ":");

	return !*u || (n == 4 && !strncmp(u, "root", 4)) || (n == 1 && u[0] == '0');
}

static void content_of(const struct pol_rule *r, struct pol_ctx *c, const struct pol_image *img,
		       const struct bh_policy_scan *s, enum bh_policy_content_kind kind,
		       const char *what, const char *section, const char *w)
{
	const struct content *ct = r->params;
	struct bh_buf list = BH_BUF_INIT(1 << 20);
	size_t n = 0;

	for (size_t k = 0; k < s->ncontent; k++) {
		const struct bh_policy_content *x = &s->content[k];

		if (x->kind != kind || x->suppressed)
			continue;
		if (kind == BH_POLICY_CONFIG && ct->config_ids &&
		    !bh_strv_contains(ct->config_ids, x->id))
			continue;
		if (n < 5)
			bh_buf_addf(&list, NULL, "%s%s%s%s", n ? ", " : "", x->id,
				    x->path ? " at " : "", x->path ? x->path : "");
		n++;
	}
	if (!n)
		goto out;
	if (n > 5)
		bh_buf_addf(&list, NULL, " and %zu more", n - 5);
	pol_hit(c, r, what, section, img->container, img->ref, "%s: %zu %s found: %s", w, n,
		!strcmp(what, "secrets") ? (n == 1 ? "secret" : "secrets")
		: !strcmp(what, "malware")
			? "malware findings"
			: (n == 1 ? "failed configuration check" : "failed configuration checks"),
		list.data);
out:
	bh_buf_release(&list);
}

static int content_eval(const struct pol_rule *r, struct pol_ctx *c, struct bh_error **err)
{
	const struct content *ct = r->params;

	for (size_t i = 0; i < c->nimages; i++) {
		const struct pol_image *img = &c->images[i];
		const struct bh_policy_image *f = img->facts;
		char w[1024], age[64], lim[64];

		if (!pol_image_in_scope(r, img))
			continue;
		who(img, w, sizeof(w));
		if (ct->secrets || ct->malware || ct->config_all || ct->config_ids) {
			const struct bh_policy_scan *s;

			if (pol_scan_of(c, i, &s, err) < 0)
				return -1;
			if (!s) {
				if (ct->fire_unknown)
					pol_hit(c, r, "scan", NULL, img->container, img->ref,
						"%s has no scan result to check its content on", w);
			} else {
				if (ct->secrets)
					content_of(r, c, img, s, BH_POLICY_SECRET, "secrets",
						   "4.1.4", w);
				if (ct->malware)
					content_of(r, c, img, s, BH_POLICY_MALWARE, "malware",
						   "4.1.3", w);
				if (ct->config_all || ct->config_ids)
					content_of(r, c, img, s, BH_POLICY_CONFIG, "config",
						   "4.1.2", w);
			}
		}
		if (ct->max_age >= 0) {
			if (!f || !f->config_known || !f->created) {
				if (ct->fire_unknown)
					pol_hit(c, r, "age", "4.2.2", img->container, img->ref,
						"%s: its creation time is unknown (maximum age %s)",
						w, human_duration(ct->max_age, lim, sizeof(lim)));
			} else if (c->now - f->created > ct->max_age) {
				pol_hit(c, r, "age", "4.2.2", img->container, img->ref,
					"%s was built %s ago (maximum %s)", w,
					human_duration(c->now - f->created, age, sizeof(age)),
					human_duration(ct->max_age, lim, sizeof(lim)));
			}
		}
		if (ct->root) {
			if (!f || !f->config_known) {
				if (ct->fire_unknown)
					pol_hit(c, r, "root", "4.1.2", img->container, img->ref,
						"%s: its user is unknown (it may run as root)", w);
			} else if (user_is_root(f->user ? f->user : "")) {
				pol_hit(c, r, "root", "4.1.2", img->container, img->ref,
					"%s runs as root (config User %s%s%s)", w,
					f->user && *f->user ? "\"" : "",
					f->user && *f->user ? f->user : "not set",
					f->user && *f->user ? "\"" : "");
			}
		}
	}
	return 0;
}

const struct pol_rule_kind pol_kind_image_content = {
	"imageContent",
	"4.1.2",
	POL_IN_K8S | POL_IN_OCI | POL_IN_IMAGE,
	BH_POLICY_NEEDS_SCAN | BH_POLICY_NEEDS_CONFIG,
	content_fields,
	NULL,
	content_compile,
	content_free,
	content_eval,
};
