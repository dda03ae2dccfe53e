/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Pod Security Standards against Kubernetes' own tests:
 *  - tests/data/pss/fixtures.yaml, upstream's fixture generators as data,
 *    expanded as upstream's test/run.go does, at every version v1.0..v1.38
 *    and latest, for both levels, each pod also as a Deployment;
 *  - tests/data/pss/messages.yaml, upstream's check unit tests' exact
 *    reasons and details, and whole PSA messages;
 *  - the check table's shape, version and label parsing, Go's quoting,
 *    and objects of the wrong shape.
 * Run from the repository root (tests/data is relative).
 */
#include "unit.h"

#include "bulkhead/policy.h"
#include "policy/internal.h"

#define FIXTURES "tests/data/pss/fixtures.yaml"
#define MESSAGES "tests/data/pss/messages.yaml"
#define NEWEST	 38 /* as upstream's run.go newestMinorVersionToTest */

static json_t *load_yaml(const char *path)
{
	struct bh_buf b = BH_BUF_INIT(16 << 20);
	struct bh_error *err = NULL;
	json_t *v = NULL;

	if (bh_read_file(path, &b, &err) < 0 ||
	    bh_yaml_parse(b.data, b.len, NULL, path, &v, &err) < 0)
		fail_msg("%s: %s", path, bh_error_message(err));
	bh_buf_release(&b);
	return v;
}

/* ---- JSON Pointer edits (the fixtures' set/unset) ---------------------------------- */

static void unescape(char *tok)
{
	char *w = tok;

	for (char *r = tok; *r; r++) {
		if (r[0] == '~' && r[1] == '1')
			*w++ = '/', r++;
		else if (r[0] == '~' && r[1] == '0')
			*w++ = '~', r++;
		else
			*w++ = *r;
	}
	*w = 0;
}

/* The parent of the pointer's target (created as objects on the way) and
 * the last token. */
static json_t *walk(json_t *root, const char *ptr, bool create, char *last, size_t lastsz)
{
	char *copy = bh_strdup(ptr), *save = NULL, *tok, *next;
	json_t *cur = root;

	tok = strtok_r(copy + 1, "/", &save);
	while (tok) {
		next = strtok_r(NULL, "/", &save);
		unescape(tok);
		if (!next) {
			snprintf(last, lastsz, "%s", tok);
			free(copy);
			return cur;
		}
		if (json_is_array(cur)) {
			cur = json_array_get(cur, strtoul(tok, NULL, 10));
		} else {
			json_t *child = json_object_get(cur, tok);

			if (!child || json_is_null(child)) {
				if (!create) {
					free(copy);
					return NULL;
				}
				child = json_object();
				json_object_set_new(cur, tok, child);
			}
			cur = child;
		}
		if (!cur) {
			free(copy);
			return NULL;
		}
		tok = next;
	}
	free(copy);
	return NULL;
}

static void apply_ops(json_t *pod, const json_t *ops)
{
	size_t i;
	json_t *op;

	json_array_foreach (ops, i, op) {
		const char *set = bh_json_str(op, "set"), *unset = bh_json_str(op, "unset");
		char last[256];
		json_t *parent = walk(pod, set ? set : unset, set != NULL, last, sizeof(last));

		if (!parent) {
			assert_null(set); /* unset of something absent: nothing to do */
			continue;
		}
		if (set)
			json_object_set(parent, last, json_object_get(op, "value"));
		else
			json_object_del(parent, last);
	}
}

/* ---- upstream's helpers ----------------------------------------------------------- */

static json_t *ensure_obj(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_object(v)) {
		v = json_object();
		json_object_set_new(o, key, v);
	}
	return v;
}

static void ensure(json_t *pod, const char *what)
{
	json_t *spec = ensure_obj(pod, "spec");
	const char *lists[] = { "containers", "initContainers" };

	if (!strcmp(what, "annotations")) {
		ensure_obj(ensure_obj(pod, "metadata"), "annotations");
		return;
	}
	ensure_obj(spec, "securityContext");
	if (!strcmp(what, "podSecurityContext"))
		return;
	if (!strcmp(what, "seLinuxOptions"))
		ensure_obj(json_object_get(spec, "securityContext"), "seLinuxOptions");
	for (int l = 0; l < 2; l++) {
		size_t i;
		json_t *c;

		json_array_foreach (json_object_get(spec, lists[l]), i, c) {
			json_t *sc = ensure_obj(c, "securityContext");

			if (!strcmp(what, "capabilities"))
				ensure_obj(sc, "capabilities");
			if (!strcmp(what, "seLinuxOptions"))
				ensure_obj(sc, "seLinuxOptions");
		}
	}
}

static bool skip_pass(const json_t *pod, const char *cond)
{
	if (!cond)
		return false;
	if (!strcmp(cond, "dropAll")) {
		json_t *drop = json_object_get(
			json_object_get(
				json_object_get(
					json_array_get(json_object_get(json_object_get(pod, "spec"),
								       "containers"),
						       0),
					"securityContext"),
				"capabilities"),
			"drop");
		size_t i;
		json_t *v;

		json_array_foreach (drop, i, v)
			if (!strcmp(json_string_value(v), "ALL"))
				return true;
		return false;
	}
	if (!strcmp(cond, "seccompFieldRuntimeDefault"))
		return !strcmp(bh_json_str(bh_json_obj(bh_json_obj(bh_json_obj(pod, "spec"),
								   "securityContext"),
						       "seccompProfile"),
					   "type")
				       ?: "",
			       "RuntimeDefault");
	if (!strcmp(cond, "seccompAnnotationRuntimeDefault"))
		return !strcmp(bh_json_str(bh_json_obj(bh_json_obj(pod, "metadata"), "annotations"),
					   "seccomp.security.alpha.kubernetes.io/pod")
				       ?: "",
			       "runtime/default");
	fail_msg("unknown skipPassIf %s", cond);
	return false;
}

/* The entry registered at the newest version at or below `minor` (minor -1: latest). */
static const json_t *newest_at(const json_t *byversion, int64_t minor)
{
	const json_t *best = NULL;
	long bestv = -1;
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)byversion, k, v) {
		long kv = strtol(k, NULL, 10);

		if ((minor < 0 || kv <= minor) && kv > bestv) {
			bestv = kv;
			best = v;
		}
	}
	return best;
}

static json_t *minimal_pod(const json_t *fx, enum bh_pss_level level, int64_t minor)
{
	const json_t *byv =
		json_object_get(json_object_get(fx, "minimal"), bh_pss_level_name(level));
	json_t *pod = json_deep_copy(newest_at(byv, minor));

	json_object_set_new(pod, "apiVersion", json_string("v1"));
	json_object_set_new(pod, "kind", json_string("Pod"));
	return pod;
}

/* ---- evaluation, as a pod and as a Deployment ------------------------------------- */

struct tally {
	size_t evaluations, pass, fail, mismatches;
};

static json_t *as_deployment(const json_t *pod)
{
	json_t *t = json_object(), *d;

	if (json_object_get(pod, "metadata"))
		json_object_set(t, "metadata", json_object_get(pod, "metadata"));
	else
		json_object_set_new(t, "metadata", json_object());
	json_object_set(t, "spec", json_object_get(pod, "spec"));
	d = json_pack("{s:s, s:s, s:{s:s}, s:{s:o}}", "apiVersion", "apps/v1", "kind", "Deployment",
		      "metadata", "name", "test", "spec", "template", t);
	return d;
}

static void expect(struct tally *t, const json_t *pod, struct bh_pss_lv lv, bool allowed,
		   const char *substring, const char *what)
{
	for (int form = 0; form < 2; form++) {
		json_t *obj = form ? as_deployment(pod) : json_incref((json_t *)pod);
		struct bh_pss_result r;
		struct bh_error *err = NULL;
		char lvs[BH_PSS_LV_MAX];

		t->evaluations++;
		if (bh_pss_eval(obj, lv, &r, &err) < 0)
			fail_msg("%s: %s", what, bh_error_message(err));
		if (r.allowed != allowed) {
			char *s = json_dumps(pod, JSON_COMPACT);

			print_message("# %s at %s (%s): expected %s, got %s: %s\n#   %s\n", what,
				      bh_pss_lv_string(lv, lvs), form ? "Deployment" : "Pod",
				      allowed ? "allowed" : "denied",
				      r.allowed ? "allowed" : "denied", r.detail ? r.detail : "",
				      s);
			free(s);
			t->mismatches++;
		} else if (!allowed) {
			char *m = bh_pss_message(lv, &r, form == 1);

			if (!strstr(m, substring)) {
				print_message("# %s at %s: message lacks '%s': %s\n", what,
					      bh_pss_lv_string(lv, lvs), substring, m);
				t->mismatches++;
			}
			if (strstr(m, "unknown forbidden reason"))
				t->mismatches++;
			free(m);
		}
		bh_pss_result_release(&r);
		json_decref(obj);
	}
}

static void run_cases(struct tally *t, const json_t *pod0, const json_t *cases, struct bh_pss_lv lv,
		      bool pass, const char *substring, const char *check)
{
	size_t i;
	json_t *c;

	json_array_foreach (cases, i, c) {
		const json_t *ops = json_is_array(c) ? c : json_object_get(c, "ops");
		const json_t *levels = json_object_get(c, "levels");
		json_t *pod;
		char what[160];

		if (levels) {
			bool in = false;
			size_t j;
			json_t *l;

			json_array_foreach (levels, j, l)
				in |= !strcmp(json_string_value(l), bh_pss_level_name(lv.level));
			if (!in)
				continue;
		}
		pod = json_deep_copy(pod0);
		apply_ops(pod, ops);
		snprintf(what, sizeof(what), "%s %s %zu", check, pass ? "pass" : "fail", i);
		expect(t, pod, lv, pass, substring, what);
		if (pass)
			t->pass++;
		else
			t->fail++;
		json_decref(pod);
	}
}

/* The generator for a check at (level, minor): baseline generators serve restricted too. */
static const json_t *generator(const json_t *fx, const char *check, enum bh_pss_level level,
			       int64_t minor)
{
	const json_t *best = NULL;
	long bestv = -1;
	size_t i;
	json_t *g;

	json_array_foreach (json_object_get(fx, "checks"), i, g) {
		const char *gl = bh_json_str(g, "level");
		json_int_t since = 0;

		bh_json_int(g, "since", &since);
		if (strcmp(bh_json_str(g, "check"), check))
			continue;
		if (strcmp(gl, bh_pss_level_name(level)) && strcmp(gl, "baseline"))
			continue;
		if ((minor < 0 || since <= minor) && since > bestv) {
			bestv = since;
			best = g;
		}
	}
	return best;
}

static void fixtures_agree_at_every_version(void **state)
{
	json_t *fx = load_yaml(FIXTURES);
	struct tally t = { 0 };
	size_t versions = 0, generators_used = 0;

	for (int level = BH_PSS_BASELINE; level <= BH_PSS_RESTRICTED; level++) {
		for (int64_t minor = 0; minor <= NEWEST + 1; minor++) {
			struct bh_pss_lv lv = { (enum bh_pss_level)level,
						minor > NEWEST ? BH_PSS_LATEST : minor };
			json_t *base = minimal_pod(fx, lv.level, lv.minor);

			versions++;
			expect(&t, base, lv, true, "", "base");
			if (level == BH_PSS_RESTRICTED && (minor >= 25 || lv.minor < 0)) {
				/* the Linux and the Windows minimal pods */
				json_t *lin = json_deep_copy(base), *win;

				json_object_set_new(json_object_get(lin, "spec"), "os",
						    json_pack("{s:s}", "name", "linux"));
				expect(&t, lin, lv, true, "", "base linux");
				win = minimal_pod(fx, lv.level, 0);
				json_object_set_new(json_object_get(win, "spec"), "os",
						    json_pack("{s:s}", "name", "windows"));
				expect(&t, win, lv, true, "", "base windows");
				json_decref(lin);
				json_decref(win);
			}
			for (size_t i = 0; i < pol_pss_nchecks; i++) {
				const struct pol_pss_check *c = &pol_pss_checks[i];
				const json_t *g, *ens;
				const char *substring;
				json_t *pod0;
				size_t j;
				json_t *e;

				/* checksForLevelAndVersion: overridden baseline checks included */
				if ((int64_t)c->versions[0].min_minor >
				    (lv.minor < 0 ? INT64_MAX : minor))
					continue;
				if (c->level != lv.level && lv.level != BH_PSS_RESTRICTED)
					continue;
				g = generator(fx, c->id, lv.level, lv.minor);
				if (!g)
					fail_msg("no fixture generator for %s at %s v1.%lld", c->id,
						 bh_pss_level_name(lv.level), (long long)minor);
				generators_used++;
				substring = bh_json_str(g, "expect") ?: c->id;
				pod0 = json_deep_copy(base);
				ens = json_object_get(g, "ensure");
				json_array_foreach (ens, j, e)
					ensure(pod0, json_string_value(e));
				if (!skip_pass(pod0, bh_json_str(g, "skipPassIf")))
					run_cases(&t, pod0, json_object_get(g, "pass"), lv, true,
						  "", c->id);
				run_cases(&t, pod0, json_object_get(g, "fail"), lv, false,
					  substring, c->id);
				json_decref(pod0);
			}
			json_decref(base);
		}
	}
	print_message("# PSS fixtures: %zu level-versions (v1.0..v1.%d and latest, baseline and "
		      "restricted), %zu check generators applied, %zu pass and %zu fail pods, %zu "
		      "evaluations (each pod and as a Deployment), %zu disagreements\n",
		      versions, NEWEST, generators_used, t.pass, t.fail, t.evaluations,
		      t.mismatches);
	assert_int_equal(t.mismatches, 0);
	json_decref(fx);
}

static void upstream_messages_byte_for_byte(void **state)
{
	json_t *m = load_yaml(MESSAGES);
	size_t i, bad = 0;
	json_t *c;

	json_array_foreach (json_object_get(m, "cases"), i, c) {
		const char *name = bh_json_str(c, "name"), *check = bh_json_str(c, "check");
		json_t *pod = json_deep_copy(json_object_get(c, "pod"));
		struct bh_pss_result r;
		struct bh_pss_lv lv;
		const struct bh_pss_check_result *f = NULL;

		json_object_set_new(pod, "apiVersion", json_string("v1"));
		json_object_set_new(pod, "kind", json_string("Pod"));
		assert_int_equal(bh_pss_parse(bh_json_str(c, "at"), &lv, NULL), 0);
		assert_int_equal(bh_pss_eval(pod, lv, &r, NULL), 0);
		for (size_t k = 0; k < r.nfailed; k++)
			if (!strcmp(r.failed[k].id, check))
				f = &r.failed[k];
		if (json_is_true(json_object_get(c, "allowed"))) {
			if (f) {
				print_message("# %s: expected %s to allow, got %s (%s)\n", name,
					      check, f->reason, f->detail);
				bad++;
			}
		} else if (!f) {
			print_message("# %s: %s did not fire\n", name, check);
			bad++;
		} else if (strcmp(f->reason, bh_json_str(c, "reason")) ||
			   strcmp(f->detail, bh_json_str(c, "detail"))) {
			print_message("# %s:\n#  want %s (%s)\n#  got  %s (%s)\n", name,
				      bh_json_str(c, "reason"), bh_json_str(c, "detail"), f->reason,
				      f->detail);
			bad++;
		}
		bh_pss_result_release(&r);
		json_decref(pod);
	}
	json_array_foreach (json_object_get(m, "messages"), i, c) {
		struct bh_pss_result r;
		struct bh_pss_lv lv;
		char *msg;

		assert_int_equal(bh_pss_parse(bh_json_str(c, "at"), &lv, NULL), 0);
		assert_int_equal(bh_pss_eval(json_object_get(c, "pod"), lv, &r, NULL), 0);
		assert_false(r.allowed);
		msg = bh_pss_message(lv, &r, json_is_true(json_object_get(c, "would")));
		if (strcmp(msg, bh_json_str(c, "message"))) {
			print_message("# %s:\n#  want %s\n#  got  %s\n", bh_json_str(c, "name"),
				      bh_json_str(c, "message"), msg);
			bad++;
		}
		free(msg);
		bh_pss_result_release(&r);
	}
	assert_int_equal(bad, 0);
	json_decref(m);
}

/* ---- the table and the parsers ----------------------------------------------------- */

static void check_table_is_in_upstream_order(void **state)
{
	size_t nb = 0;

	for (size_t i = 0; i < pol_pss_nchecks; i++) {
		const struct pol_pss_check *c = &pol_pss_checks[i];

		if (i && c->level == pol_pss_checks[i - 1].level)
			assert_true(strcmp(pol_pss_checks[i - 1].id, c->id) < 0);
		if (i)
			assert_true(c->level >= pol_pss_checks[i - 1].level);
		nb += c->level == BH_PSS_BASELINE;
		for (size_t v = 1; v < c->nversions; v++)
			assert_true(c->versions[v].min_minor > c->versions[v - 1].min_minor);
		for (size_t v = 0; v < c->nversions; v++) {
			assert_true(c->versions[v].min_minor <= POL_PSS_MAX_MINOR);
			/* only restricted checks override, and only baseline ones */
			if (c->versions[v].overrides) {
				bool found = false;

				assert_int_equal(c->level, BH_PSS_RESTRICTED);
				for (size_t k = 0; k < pol_pss_nchecks; k++)
					found |= !strcmp(pol_pss_checks[k].id,
							 c->versions[v].overrides) &&
						 pol_pss_checks[k].level == BH_PSS_BASELINE;
				assert_true(found);
			}
		}
	}
	assert_int_equal(nb, 12);
	assert_int_equal(pol_pss_nchecks, 19);
}

/* The table is upstream's registry: ids, levels, revisions, overrides. */
static void check_table_is_upstream_registry(void **state)
{
	json_t *fx = load_yaml(FIXTURES), *reg = json_object_get(fx, "registry");

	assert_int_equal(json_object_size(reg), pol_pss_nchecks);
	for (size_t i = 0; i < pol_pss_nchecks; i++) {
		const struct pol_pss_check *c = &pol_pss_checks[i];
		json_t *want = json_object_get(reg, c->id),
		       *vers = json_object_get(want, "versions");
		const char *ov = bh_json_str(want, "overrides");

		if (!want)
			fail_msg("%s is not in upstream's registry", c->id);
		assert_string_equal(bh_json_str(want, "level"), bh_pss_level_name(c->level));
		assert_int_equal(json_array_size(vers), c->nversions);
		for (size_t v = 0; v < c->nversions; v++) {
			if ((json_int_t)c->versions[v].min_minor !=
			    json_integer_value(json_array_get(vers, v)))
				fail_msg("%s revision %zu: v1.%u, upstream v1.%lld", c->id, v,
					 c->versions[v].min_minor,
					 (long long)json_integer_value(json_array_get(vers, v)));
			if (ov || c->versions[v].overrides)
				assert_string_equal(c->versions[v].overrides ?: "", ov ?: "");
		}
	}
	json_decref(fx);
}

static void levels_and_versions_parse_as_psa(void **state)
{
	struct bh_error *err = NULL;
	struct bh_pss_lv lv;
	int64_t m;
	char s[BH_PSS_LV_MAX];

	assert_int_equal(bh_pss_parse_version("v1.0", &m), 0);
	assert_int_equal(m, 0);
	assert_int_equal(bh_pss_parse_version("v1.35", &m), 0);
	assert_int_equal(m, 35);
	assert_int_equal(bh_pss_parse_version("latest", &m), 0);
	assert_int_equal(m, BH_PSS_LATEST);
	assert_int_equal(bh_pss_parse_version("v1.9223372036854775807", &m), 0);
	const char *bad[] = { "v1.01", "v1",	 "v1.",
			      "v2.0",  "1.20",	 "V1.2",
			      "v1.2 ", "Latest", "v1.9223372036854775808",
			      "v1.-1", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(bh_pss_parse_version(bad[i], &m), -1);
	assert_int_equal(bh_pss_parse("restricted", &lv, NULL), 0);
	assert_string_equal(bh_pss_lv_string(lv, s), "restricted:latest");
	assert_int_equal(bh_pss_parse("baseline:v1.24", &lv, NULL), 0);
	assert_string_equal(bh_pss_lv_string(lv, s), "baseline:v1.24");
	assert_int_equal(bh_pss_parse("Baseline", &lv, &err), -1);
	assert_error(err, BH_ERR_INVALID, "privileged, baseline, restricted");
	bh_error_clear(&err);
	assert_int_equal(bh_pss_parse("baseline:1.24", &lv, &err), -1);
	assert_error(err, BH_ERR_INVALID, "\"latest\" or \"v1.x\"");
	bh_error_clear(&err);
	/* above the newest check: the newest */
	assert_int_equal(bh_pss_parse("restricted:v1.999", &lv, NULL), 0);
	assert_string_equal(bh_pss_lv_string(lv, s), "restricted:v1.999");
}

static void namespace_labels_as_policy_to_evaluate(void **state)
{
	struct bh_pss_policy def = { { { BH_PSS_PRIVILEGED, BH_PSS_LATEST },
				       { BH_PSS_PRIVILEGED, BH_PSS_LATEST },
				       { BH_PSS_PRIVILEGED, BH_PSS_LATEST } } },
			     p;
	struct bh_strvec problems = BH_STRVEC_INIT;
	json_t *l = json_pack("{s:s, s:s, s:s, s:s, s:s}", "pod-security.kubernetes.io/enforce",
			      "baseline", "pod-security.kubernetes.io/enforce-version", "v1.20",
			      "pod-security.kubernetes.io/warn", "restricted",
			      "pod-security.kubernetes.io/audit", "Restricted",
			      "pod-security.kubernetes.io/warn-version", "v1");

	bh_pss_policy_from_labels(l, &def, &p, &problems);
	assert_int_equal(p.mode[BH_PSS_ENFORCE].level, BH_PSS_BASELINE);
	assert_int_equal(p.mode[BH_PSS_ENFORCE].minor, 20);
	assert_int_equal(p.mode[BH_PSS_WARN].level, BH_PSS_RESTRICTED);
	assert_int_equal(p.mode[BH_PSS_WARN].minor, BH_PSS_LATEST);
	/* a bad audit level fails open */
	assert_int_equal(p.mode[BH_PSS_AUDIT].level, BH_PSS_PRIVILEGED);
	assert_int_equal(problems.n, 2);
	bh_strvec_release(&problems);
	json_decref(l);
	/* a bad enforce level fails closed */
	l = json_pack("{s:s}", "pod-security.kubernetes.io/enforce", "nope");
	bh_pss_policy_from_labels(l, &def, &p, NULL);
	assert_int_equal(p.mode[BH_PSS_ENFORCE].level, BH_PSS_RESTRICTED);
	json_decref(l);
	/* no labels: the defaults */
	bh_pss_policy_from_labels(NULL, &def, &p, NULL);
	assert_int_equal(p.mode[BH_PSS_ENFORCE].level, BH_PSS_PRIVILEGED);
}

static void go_quote_as_strconv(void **state)
{
	const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "\t\n\r\a\b\f\v", "\"\\t\\n\\r\\a\\b\\f\\v\"" },
		{ "\x01\x7f", "\"\\x01\\x7f\"" },
		{ "caf\xc3\xa9 \xe2\x9c\x93", "\"caf\xc3\xa9 \xe2\x9c\x93\"" },
		{ "\xff", "\"\\xff\"" },
		{ "\xc2\xa0", "\"\\u00a0\"" },
		{ "\xe2\x80\xa8", "\"\\u2028\"" },
		{ "\xf3\xa0\x80\x81", "\"\\U000e0001\"" },
		{ "\xed\xa0\x80", "\"\\xed\\xa0\\x80\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bh_buf b = BH_BUF_INIT(1024);

		pol_go_quote(&b, cases[i].in);
		assert_string_equal(b.data, cases[i].out);
		bh_buf_release(&b);
	}
}

static void every_workload_kind_holds_its_pod(void **state)
{
	const char *const docs[] = {
		"{\"apiVersion\":\"v1\",\"kind\":\"PodTemplate\",\"template\":{\"spec\":{X}}}",
		"{\"apiVersion\":\"v1\",\"kind\":\"ReplicationController\",\"spec\":{\"template\":{"
		"\"spec\":{X}}}}",
		"{\"apiVersion\":\"apps/"
		"v1\",\"kind\":\"ReplicaSet\",\"spec\":{\"template\":{\"spec\":{X}}}}",
		"{\"apiVersion\":\"apps/"
		"v1\",\"kind\":\"StatefulSet\",\"spec\":{\"template\":{\"spec\":{X}}}}",
		"{\"apiVersion\":\"apps/"
		"v1\",\"kind\":\"DaemonSet\",\"spec\":{\"template\":{\"spec\":{X}}}}",
		"{\"apiVersion\":\"batch/"
		"v1\",\"kind\":\"Job\",\"spec\":{\"template\":{\"spec\":{X}}}}",
		"{\"apiVersion\":\"batch/"
		"v1\",\"kind\":\"CronJob\",\"spec\":{\"jobTemplate\":{\"spec\":{\"template\":{"
		"\"spec\":{X}}}}}}",
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{X}}",
	};
	const char *spec = "\"hostPID\":true,\"containers\":[{\"name\":\"c\"}]";
	struct bh_pss_lv lv = { BH_PSS_BASELINE, BH_PSS_LATEST };

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct bh_buf b = BH_BUF_INIT(4096);
		const char *x = strchr(docs[i], 'X');
		struct bh_pss_result r;
		json_t *o;

		bh_buf_add(&b, docs[i], (size_t)(x - docs[i]), NULL);
		bh_buf_adds(&b, spec, NULL);
		bh_buf_adds(&b, x + 1, NULL);
		assert_int_equal(bh_json_parse(b.data, b.len, 1 << 20, "t", &o, NULL), 0);
		assert_int_equal(bh_pss_eval(o, lv, &r, NULL), 0);
		assert_false(r.allowed);
		assert_string_equal(r.detail, "host namespaces (hostPID=true)");
		bh_pss_result_release(&r);
		json_decref(o);
		bh_buf_release(&b);
	}
}

static void malformed_objects_are_errors_naming_the_field(void **state)
{
	const struct {
		const char *doc;
		enum bh_errcode code;
		const char *msg;
	} cases[] = {
		{ "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"spec\":{\"hostPID\":\"yes\"}}",
		  BH_ERR_INVALID, "spec.hostPID: expected a boolean, got a string" },
		{ "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"spec\":{\"containers\":[{\"name\":"
		  "\"a\","
		  "\"securityContext\":{\"privileged\":1}}]}}",
		  BH_ERR_INVALID,
		  "spec.containers[0].securityContext.privileged: expected a boolean, got an "
		  "integer" },
		{ "{\"kind\":\"Deployment\",\"apiVersion\":\"apps/"
		  "v1\",\"spec\":{\"template\":{\"spec\":"
		  "{\"initContainers\":[{\"ports\":[{\"hostPort\":\"80\"}]}]}}}}",
		  BH_ERR_INVALID,
		  "spec.template.spec.initContainers[0].ports[0].hostPort: expected an integer" },
		{ "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"spec\":{\"containers\":{}}}",
		  BH_ERR_INVALID, "spec.containers: expected an array, got an object" },
		{ "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"annotations\":{\"a\":1}}"
		  ","
		  "\"spec\":{}}",
		  BH_ERR_INVALID, "metadata.annotations[\"a\"]: expected a string" },
		{ "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"spec\":{\"containers\":[{\"ports\":[{"
		  "\"hostPort\":99999999999}]}]}}",
		  BH_ERR_INVALID, "hostPort: 99999999999 is out of range" },
		{ "{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"spec\":{}}", BH_ERR_UNSUPPORTED,
		  "a Service holds no pod" },
		{ "{\"kind\":\"Deployment\",\"apiVersion\":\"example.com/v1\",\"spec\":{}}",
		  BH_ERR_UNSUPPORTED, "holds no pod" },
		{ "{\"apiVersion\":\"v1\"}", BH_ERR_INVALID, "no kind" },
		{ "[1]", BH_ERR_INVALID, "not an object" },
	};
	struct bh_pss_lv lv = { BH_PSS_RESTRICTED, BH_PSS_LATEST };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bh_error *err = NULL;
		struct bh_pss_result r;
		json_t *o;

		assert_int_equal(
			bh_json_parse(cases[i].doc, strlen(cases[i].doc), 1 << 20, "t", &o, NULL),
			0);
		assert_int_equal(bh_pss_eval(o, lv, &r, &err), -1);
		assert_error(err, cases[i].code, cases[i].msg);
		bh_error_free(err);
		json_decref(o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check_table_is_in_upstream_order),
		cmocka_unit_test(check_table_is_upstream_registry),
		cmocka_unit_test(levels_and_versions_parse_as_psa),
		cmocka_unit_test(namespace_labels_as_policy_to_evaluate),
		cmocka_unit_test(go_quote_as_strconv),
		cmocka_unit_test(fixtures_agree_at_every_version),
		cmocka_unit_test(upstream_messages_byte_for_byte),
		cmocka_unit_test(every_workload_kind_holds_its_pod),
		cmocka_unit_test(malformed_objects_are_errors_naming_the_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
