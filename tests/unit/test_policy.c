/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy files and bh_policy_eval: every problem of a file at its line and
 * column, composition (a later rule refines an earlier one), each rule kind
 * on Kubernetes objects, OCI configs and images with a stubbed env (what
 * verifies and what a scan found), globs and image references.
 */
#include <unistd.h>

#include "unit.h"

#include "bulkhead/policy.h"
#include "bulkhead/report.h"
#include "bulkhead/trust.h"
#include "policy/internal.h"

#define HEAD "apiVersion: bulkhead.dev/v1alpha1\nkind: Policy\nspec:\n  rules:\n"

static struct bh_policy *compile(const char *text, struct bh_policy_diags *d, int want)
{
	struct bh_policy *p = bh_policy_new();
	struct bh_error *err = NULL;
	int r = bh_policy_add(p, text, strlen(text), "p.yaml", NULL, d, &err);

	if (r == 0)
		r = bh_policy_compile(p, d, &err);
	if (r != want) {
		for (size_t i = 0; d && i < d->n; i++)
			print_message("# %zu:%zu %s\n", d->v[i].line, d->v[i].column,
				      d->v[i].message);
		fail_msg("compile returned %d, expected %d: %s", r, want,
			 err ? bh_error_message(err) : "");
	}
	bh_error_free(err);
	return p;
}

/* The diagnostic at (line, column) contains `text`. */
static void has_diag(const struct bh_policy_diags *d, size_t line, size_t col, const char *text)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].line == line && d->v[i].column == col && strstr(d->v[i].message, text))
			return;
	for (size_t i = 0; i < d->n; i++)
		print_message("# %zu:%zu %s\n", d->v[i].line, d->v[i].column, d->v[i].message);
	fail_msg("no diagnostic '%s' at %zu:%zu", text, line, col);
}

static void every_problem_has_its_position(void **state)
{
	const char *text = HEAD "  - name: a\n"					 /* 5 */
				"    kind: imageProvenence\n"			 /* 6 */
				"  - name: b\n"					 /* 7 */
				"    kind: imageProvenance\n"			 /* 8 */
				"    registries: [\"ok\", \"reg[\", 3]\n"	 /* 9 */
				"    action: block\n"				 /* 10 */
				"  - name: c\n"					 /* 11 */
				"    kind: podSecurity\n"			 /* 12 */
				"    level: restricted\n"			 /* 13 */
				"    version: v1.01\n"				 /* 14 */
				"    bogus: 1\n"				 /* 15 */
				"    scope: {namespaces: [\"a**\", \"x***\"]}\n" /* 16 */
				"  - name: Bad_Name\n"				 /* 17 */
				"    kind: workload\n"				 /* 18 */
				"    denyPrivileged: yes\n"			 /* 19 */
				"  - name: d\n"					 /* 20 */
				"    kind: vulnerabilities\n"			 /* 21 */
				"    maxScanAge: 7 days\n"			 /* 22 */
				"    cvss: 11\n"				 /* 23 */
				"    ignore: [{id: X, expires: tomorrow}]\n"	 /* 24 */
				"  - name: d\n"					 /* 25 */
				"    kind: placement\n";			 /* 26 */
	struct bh_policy_diags d = { 0 };
	struct bh_policy *p = compile(text, &d, -1);

	has_diag(&d, 6, 11, "unknown rule kind 'imageProvenence'");
	has_diag(&d, 9, 24, "'reg[' is not a valid glob: '[' at column 4 is not closed");
	has_diag(&d, 9, 32, "registries[2]: expected a string, got an integer");
	has_diag(&d, 10, 13, "action: 'block' is not one of: enforce audit warn");
	has_diag(&d, 14, 14, "version: must be \"latest\" or \"v1.x\"");
	has_diag(&d, 15, 5, "unknown member 'bogus' of a podSecurity rule");
	has_diag(&d, 16, 33, "'***' at column 2");
	has_diag(&d, 17, 11, "the name must be lower-case");
	has_diag(&d, 19, 21, "denyPrivileged: expected true or false, got a string");
	has_diag(&d, 22, 17, "maxScanAge: expected a duration");
	has_diag(&d, 23, 11, "cvss: 11 is not in 0..10");
	has_diag(&d, 24, 31, "'tomorrow' is not a date");
	has_diag(&d, 25, 11, "defined twice in one list");
	assert_int_equal(d.n, 13);
	bh_policy_diags_release(&d);
	bh_policy_free(p);
}

static void documents_and_yaml_problems(void **state)
{
	struct bh_policy_diags d = { 0 };
	struct bh_policy *p;

	p = compile("apiVersion: bulkhead.dev/v2\nkind: Pol\nextra: 1\nspec: {rules: []}\n", &d,
		    -1);
	has_diag(&d, 1, 13, "'bulkhead.dev/v2' is not supported");
	has_diag(&d, 2, 7, "kind: expected Policy, got Pol");
	has_diag(&d, 3, 1, "unknown member 'extra'");
	bh_policy_diags_release(&d);
	bh_policy_free(p);
	/* malformed YAML: the parser's line and column */
	p = compile(HEAD "  - name: a\n    kind: [\n", &d, -1);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 7);
	assert_non_null(strstr(d.v[0].message, "invalid YAML"));
	bh_policy_diags_release(&d);
	bh_policy_free(p);
	/* an alias bomb stops at the node budget */
	{
		struct bh_buf b = BH_BUF_INIT(1 << 20);

		bh_buf_adds(&b, "a: &a [x,x,x,x,x,x,x,x,x,x]\n", NULL);
		for (char c = 'b'; c <= 'h'; c++)
			bh_buf_addf(&b, NULL, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n",
				    c, c, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1,
				    c - 1, c - 1);
		p = compile(b.data, &d, -1);
		assert_non_null(strstr(d.v[0].message, "YAML nodes"));
		bh_policy_diags_release(&d);
		bh_policy_free(p);
		bh_buf_release(&b);
	}
	/* no rules list, a rule that is not a mapping */
	p = compile("apiVersion: bulkhead.dev/v1alpha1\nkind: Policy\nspec: {}\n", &d, -1);
	has_diag(&d, 1, 1, "spec.rules: missing");
	bh_policy_diags_release(&d);
	bh_policy_free(p);
	p = compile(HEAD "  - just a string\n", &d, -1);
	has_diag(&d, 5, 5, "expected a rule (a mapping), got a string");
	bh_policy_diags_release(&d);
	bh_policy_free(p);
}

static void refinements_merge_in_place(void **state)
{
	const char *base = HEAD "  - name: first\n    kind: workload\n    denyPrivileged: true\n"
				"    requireLimits: [cpu]\n"
				"  - name: second\n    kind: podSecurity\n    level: baseline\n";
	const char *refine = HEAD "  - name: first\n    kind: workload\n    action: warn\n"
				  "    requireLimits: null\n"
				  "  - name: third\n    kind: placement\n"
				  "  - name: second\n    kind: podSecurity\n    disabled: true\n";
	struct bh_policy_diags d = { 0 };
	struct bh_policy *p = bh_policy_new();

	assert_int_equal(bh_policy_add(p, base, strlen(base), "a.yaml", NULL, &d, NULL), 0);
	assert_int_equal(bh_policy_add(p, refine, strlen(refine), "b.yaml", NULL, &d, NULL), 0);
	assert_int_equal(bh_policy_compile(p, &d, NULL), 0);
	assert_int_equal(bh_policy_nrules(p), 2);
	/* "first" keeps its place, takes the refined action, loses requireLimits */
	assert_string_equal(p->rules[0].name, "first");
	assert_int_equal(p->rules[0].action, BH_ACT_WARN);
	assert_false(((const bool *)p->rules[0].params)[0] == false); /* denyPrivileged kept */
	assert_string_equal(p->rules[0].file, "b.yaml");
	assert_string_equal(p->rules[1].name, "third");
	bh_policy_free(p);
	/* a refinement cannot change the kind; the problem is where it is written */
	p = bh_policy_new();
	assert_int_equal(bh_policy_add(p, base, strlen(base), "a.yaml", NULL, &d, NULL), 0);
	refine = HEAD "  - name: first\n    kind: placement\n";
	assert_int_equal(bh_policy_add(p, refine, strlen(refine), "b.yaml", NULL, &d, NULL), 0);
	assert_int_equal(bh_policy_compile(p, &d, NULL), -1);
	assert_string_equal(d.v[0].file, "b.yaml");
	assert_int_equal(d.v[0].line, 6);
	assert_non_null(strstr(d.v[0].message, "cannot change the kind"));
	bh_policy_diags_release(&d);
	bh_policy_free(p);
	/* a rule incomplete after composing */
	p = compile(HEAD "  - name: s\n    kind: imageSignature\n", &d, -1);
	has_diag(&d, 5, 5, "needs 'keys'");
	bh_policy_diags_release(&d);
	bh_policy_free(p);
}

/* ---- evaluation ---------------------------------------------------------------------- */

struct stub {
	bool verified;
	int verify_calls, scan_calls;
	const char *why;
	struct bh_policy_scan scan;
	bool have_scan;
	bool verify_fails;
};

static int stub_verify(void *ctx, const struct bh_policy_image *img,
		       const struct bh_policy_verify_req *req, bool *verified, char **why,
		       struct bh_error **err)
{
	struct stub *s = ctx;

	s->verify_calls++;
	if (s->verify_fails)
		return bh_error_set(err, BH_ERR_UNSUPPORTED, "no registry backend for %s",
				    img->ref);
	*verified =
		s->verified && (!req->predicate_type || strstr(req->predicate_type, "cyclonedx"));
	if (!*verified)
		*why = bh_strdup(s->why ? s->why : "no signatures found");
	return 0;
}

static int stub_scan(void *ctx, const struct bh_policy_image *img,
		     const struct bh_policy_scan **out, struct bh_error **err)
{
	struct stub *s = ctx;

	s->scan_calls++;
	*out = s->have_scan ? &s->scan : NULL;
	return 0;
}

static json_t *obj(const char *json)
{
	json_t *o;

	if (bh_json_parse(json, strlen(json), 1 << 20, "t", &o, NULL) < 0)
		fail_msg("bad test JSON: %s", json);
	return o;
}

/* Evaluate and return the hits as "rule/check" joined with ";". */
static char *hits(struct bh_policy *p, struct bh_policy_input *in, struct bh_policy_result *keep)
{
	struct bh_policy_result r;
	struct bh_buf b = BH_BUF_INIT(1 << 20);
	struct bh_error *err = NULL;

	if (bh_policy_eval(p, in, &r, &err) < 0)
		fail_msg("eval: %s", bh_error_message(err));
	for (size_t i = 0; i < r.n; i++)
		bh_buf_addf(&b, NULL, "%s%s/%s", i ? ";" : "", r.v[i].rule,
			    r.v[i].check ? r.v[i].check : "");
	if (keep)
		*keep = r;
	else
		bh_policy_result_release(&r);
	return bh_buf_detach(&b, NULL);
}

static void provenance_on_a_pod(void **state)
{
	struct bh_policy *p =
		compile(HEAD "  - name: reg\n    kind: imageProvenance\n"
			     "    registries: [registry.example.com, \"*.corp.example\"]\n"
			     "    repositories: [\"**/team/*\", \"docker.io/library/*\"]\n"
			     "    forbidTags: [latest, \"dev-*\"]\n"
			     "  - name: pin\n    kind: imageProvenance\n    requireDigest: true\n  "
			     "  action: warn\n"
			     "    scope: {images: [\"registry.example.com/**\"]}\n",
			NULL, 0);
	json_t *pod = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
			  "\"spec\":{\"initContainers\":[{\"name\":\"i\",\"image\":\"nginx\"}],"
			  "\"containers\":[{\"name\":\"a\",\"image\":\"registry.example.com/team/"
			  "app:dev-1\"},{\"name\":\"b\",\"image\":\"x.corp.example/team/b@sha256:"
			  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"},"
			  "{\"name\":\"c\",\"image\":\"Bad Ref\"}]}}");
	struct bh_policy_input in = { .kind = BH_POLICY_K8S, .object = pod };
	struct bh_policy_result r;
	char *h = hits(p, &in, &r);

	/* nginx: docker.io not allowed, untagged = latest; app: dev- tag, no digest (warn) */
	assert_string_equal(h, "reg/registry;reg/tag;reg/tag;reg/reference;pin/digest");
	assert_true(r.denied);
	assert_int_equal(r.nenforce, 4);
	assert_int_equal(r.nwarn, 1);
	assert_string_equal(r.v[0].message, "image \"nginx\" (container \"i\"): registry "
					    "\"docker.io\" is not allowed (allowed: "
					    "registry.example.com, *.corp.example)");
	assert_string_equal(r.v[0].section, "4.1.5");
	assert_string_equal(r.object, "Pod default/p");
	bh_policy_result_release(&r);
	free(h);
	json_decref(pod);
	bh_policy_free(p);
}

static void signatures_ask_the_env(void **state)
{
	struct bh_buf pem = BH_BUF_INIT(1 << 16), esc = BH_BUF_INIT(1 << 16);
	char *key;

	/* the example's public key, inline as PEM text */
	assert_int_equal(bh_read_file("share/policy/examples/keys/release.pub", &pem, NULL), 0);
	for (size_t i = 0; i < pem.len; i++)
		bh_buf_adds(&esc, pem.data[i] == '\n' ? "\\n" : (char[]){ pem.data[i], 0 }, NULL);
	key = bh_asprintf(HEAD "  - name: sig\n    kind: imageSignature\n"
			       "    keys: [\"%s\"]\n    attestations: [sbom, vuln]\n",
			  esc.data);
	bh_buf_release(&pem);
	bh_buf_release(&esc);
	struct bh_policy_diags d = { 0 };
	struct bh_policy *p = bh_policy_new();
	struct stub s = { .verified = true };
	struct bh_policy_env env = { &s, stub_verify, stub_scan, 0 };
	struct bh_policy_image img = { .ref = "registry.example.com/a:1" };
	struct bh_policy_input in = {
		.kind = BH_POLICY_IMAGE, .images = &img, .nimages = 1, .env = &env
	};
	char *h;

	if (bh_policy_add(p, key, strlen(key), "p.yaml", NULL, &d, NULL) < 0 ||
	    bh_policy_compile(p, &d, NULL) < 0) {
		for (size_t i = 0; i < d.n; i++)
			print_message("# %s\n", d.v[i].message);
		fail_msg("the inline key does not compile");
	}
	assert_true(bh_policy_needs(p) & BH_POLICY_NEEDS_VERIFY);
	h = hits(p, &in, NULL);
	/* signed and SBOM-attested; the vuln attestation does not verify */
	assert_string_equal(h, "sig/attestation https://cosign.sigstore.dev/attestation/vuln/v1");
	assert_int_equal(s.verify_calls, 3);
	free(h);
	/* a verifier that cannot check fails closed */
	s.verify_fails = true;
	h = hits(p, &in, NULL);
	assert_non_null(strstr(h, "sig/signature"));
	free(h);
	bh_policy_free(p);
	bh_policy_diags_release(&d);
	free(key);
}

/* BH_POLICY_DEFER_KEYS: the env gets the key bytes and parses only when it must */
struct lazy_stub {
	int loads;
	size_t pem_len;
	bool load_failed;
};

static int lazy_verify(void *ctx, const struct bh_policy_image *img,
		       const struct bh_policy_verify_req *req, bool *verified, char **why,
		       struct bh_error **err)
{
	struct lazy_stub *s = ctx;
	const struct bh_key *const *keys = NULL;
	struct bh_error *e = NULL;

	(void)img;
	(void)err;
	assert_null(req->keys);
	assert_int_equal(req->nkeys, 1);
	assert_non_null(req->key_pems);
	s->pem_len = strlen(req->key_pems[0]);
	if (!strcmp(img->ref, "cached/a:1")) { /* answered without the keys */
		*verified = true;
		return 0;
	}
	s->loads++;
	if (req->load_keys(req, &keys, &e) < 0) {
		s->load_failed = true;
		*why = bh_error_message(e);
		bh_error_free(e);
		return 0;
	}
	assert_non_null(keys[0]);
	*verified = false;
	*why = bh_strdup("not signed");
	return 0;
}

static void deferred_keys_are_parsed_when_needed(void **state)
{
	char dir[] = "/tmp/bh-policy-keys.XXXXXX", *bad, *doc;
	struct bh_policy_diags d = { 0 };
	struct bh_policy *p;
	struct lazy_stub s = { 0 };
	struct bh_policy_env env = { &s, lazy_verify, NULL, 0 };
	struct bh_policy_image img = { .ref = "cached/a:1" };
	struct bh_policy_input in = {
		.kind = BH_POLICY_IMAGE, .images = &img, .nimages = 1, .env = &env
	};
	char *h;

	(void)state;
	assert_non_null(mkdtemp(dir));
	doc = bh_asprintf(HEAD "  - name: sig\n    kind: imageSignature\n"
			       "    keys: [%s/share/policy/examples/keys/release.pub]\n",
			  getenv("PWD") ? getenv("PWD") : ".");
	p = bh_policy_new();
	bh_policy_set_flags(p, BH_POLICY_DEFER_KEYS);
	assert_int_equal(bh_policy_add(p, doc, strlen(doc), "p.yaml", NULL, &d, NULL), 0);
	assert_int_equal(bh_policy_compile(p, &d, NULL), 0);
	h = hits(p, &in, NULL);
	assert_string_equal(h, ""); /* the env's cache answered: no key parsed */
	assert_int_equal(s.loads, 0);
	assert_true(s.pem_len > 100);
	free(h);
	img.ref = "registry.example.com/a:1";
	h = hits(p, &in, NULL);
	assert_string_equal(h, "sig/signature");
	assert_int_equal(s.loads, 1);
	assert_false(s.load_failed);
	free(h);
	bh_policy_free(p);
	free(doc);
	/* a key file with the armour but no key: it compiles, its verification fails */
	bad = bh_asprintf("%s/bad.pub", dir);
	assert_int_equal(bh_write_file_atomic(bad,
					      "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END "
					      "PUBLIC KEY-----\n",
					      57, 0644, NULL),
			 0);
	doc = bh_asprintf(HEAD "  - name: sig\n    kind: imageSignature\n    keys: [%s]\n", bad);
	p = bh_policy_new();
	bh_policy_set_flags(p, BH_POLICY_DEFER_KEYS);
	assert_int_equal(bh_policy_add(p, doc, strlen(doc), "p.yaml", NULL, &d, NULL), 0);
	assert_int_equal(bh_policy_compile(p, &d, NULL), 0);
	s.loads = 0;
	h = hits(p, &in, NULL);
	assert_string_equal(h, "sig/signature");
	assert_true(s.load_failed);
	free(h);
	bh_policy_free(p);
	/* without the flag the same file is a problem at its line */
	p = bh_policy_new();
	assert_int_equal(bh_policy_add(p, doc, strlen(doc), "p.yaml", NULL, &d, NULL), -1);
	assert_true(d.n > 0);
	bh_policy_free(p);
	/* with the flag, a file without the armour still is */
	bh_policy_diags_release(&d);
	assert_int_equal(bh_write_file_atomic(bad, "not a key\n", 10, 0644, NULL), 0);
	p = bh_policy_new();
	bh_policy_set_flags(p, BH_POLICY_DEFER_KEYS);
	assert_int_equal(bh_policy_add(p, doc, strlen(doc), "p.yaml", NULL, &d, NULL), -1);
	assert_non_null(strstr(d.v[0].message, "not a PEM public key"));
	bh_policy_free(p);
	bh_policy_diags_release(&d);
	unlink(bad);
	rmdir(dir);
	free(bad);
	free(doc);
}

static void the_vulnerability_gate(void **state)
{
	struct bh_policy *p = compile(
		HEAD
		"  - name: gate\n    kind: vulnerabilities\n    severity: HIGH\n"
		"    cvss: 9.0\n    fixable: true\n    olderThan: 7d\n    maxScanAge: 1d\n"
		"    ignore: [{id: CVE-IGNORED}, {id: CVE-EXPIRED, expires: \"2000-01-01\"}]\n",
		NULL, 0);
	struct stub s = { .have_scan = true };
	struct bh_policy_env env = { &s, stub_verify, stub_scan, 2000000000 };
	struct bh_policy_image img = { .ref = "a:1", .digest = NULL };
	struct bh_policy_input in = {
		.kind = BH_POLICY_IMAGE, .images = &img, .nimages = 1, .env = &env
	};
	struct bh_policy_vuln v[] = {
		{ "CVE-HIGH-FIXED", NULL, BH_SEV_HIGH, 7.5, true, 0, "openssl", NULL, false },
		{ "CVE-HIGH-NOFIX", NULL, BH_SEV_HIGH, 7.5, false, 0, NULL, NULL, false },
		{ "CVE-MEDIUM-9.8", NULL, BH_SEV_MEDIUM, 9.8, true, 0, NULL, NULL, false },
		{ "CVE-LOW", NULL, BH_SEV_LOW, 2.0, true, 0, NULL, NULL, false },
		{ "CVE-IGNORED", NULL, BH_SEV_CRITICAL, -1, true, 0, NULL, NULL, false },
		{ "CVE-EXPIRED", NULL, BH_SEV_CRITICAL, -1, true, 0, NULL, NULL, false },
		{ "CVE-NEW", NULL, BH_SEV_CRITICAL, -1, true, 2000000000 - 3600, NULL, NULL,
		  false },
		{ "CVE-SUPPRESSED", NULL, BH_SEV_CRITICAL, -1, true, 0, NULL, NULL, true },
	};
	struct bh_policy_result r;
	char *h;

	s.scan.vulns = v;
	s.scan.nvulns = sizeof(v) / sizeof(v[0]);
	s.scan.scanned_at = 2000000000 - 3 * 86400;
	h = hits(p, &in, &r);
	assert_string_equal(h, "gate/scan-age;gate/vulnerabilities");
	assert_string_equal(
		r.v[1].message,
		"image \"a:1\" has 3 vulnerabilities (HIGH or above or CVSS 9.0 or above, "
		"fixable), 0 allowed: CVE-HIGH-FIXED (HIGH, 7.5 in openssl), "
		"CVE-MEDIUM-9.8 (MEDIUM, 9.8), CVE-EXPIRED (CRITICAL)");
	assert_string_equal(r.v[0].message,
			    "image \"a:1\": the scan result is 3 days old (maximum 24 hours)");
	assert_int_equal(s.scan_calls, 1);
	bh_policy_result_release(&r);
	free(h);
	/* no scan: fails closed */
	s.have_scan = false;
	h = hits(p, &in, NULL);
	assert_string_equal(h, "gate/scan");
	free(h);
	bh_policy_free(p);
}

static void content_and_image_config(void **state)
{
	struct bh_policy *p =
		compile(HEAD "  - name: c\n    kind: imageContent\n    denySecrets: true\n"
			     "    denyConfigFindings: [BH-CFG-003]\n    denyRoot: true\n"
			     "    maxImageAge: 30d\n",
			NULL, 0);
	struct bh_policy_content ct[] = {
		{ BH_POLICY_SECRET, "BH-SECRET-AWS", "/app/.env", false },
		{ BH_POLICY_SECRET, "BH-SECRET-GH", "/x", true },
		{ BH_POLICY_CONFIG, "BH-CFG-003", NULL, false },
		{ BH_POLICY_CONFIG, "BH-CFG-001", NULL, false },
		{ BH_POLICY_MALWARE, "EICAR", "/e", false },
	};
	struct stub s = { .have_scan = true };
	struct bh_policy_env env = { &s, NULL, stub_scan, 1000 * 86400 };
	struct bh_policy_image img = {
		.ref = "a:1", .config_known = true, .created = 900 * 86400, .user = "0:0"
	};
	struct bh_policy_input in = {
		.kind = BH_POLICY_IMAGE, .images = &img, .nimages = 1, .env = &env
	};
	struct bh_policy_result r;
	char *h;

	s.scan.content = ct;
	s.scan.ncontent = sizeof(ct) / sizeof(ct[0]);
	h = hits(p, &in, &r);
	assert_string_equal(h, "c/secrets;c/config;c/age;c/root");
	assert_string_equal(r.v[0].section, "4.1.4");
	assert_string_equal(r.v[0].message,
			    "image \"a:1\": 1 secret found: BH-SECRET-AWS at /app/.env");
	assert_string_equal(r.v[2].section, "4.2.2");
	assert_string_equal(r.v[3].message, "image \"a:1\" runs as root (config User \"0:0\")");
	bh_policy_result_release(&r);
	free(h);
	img.user = "app";
	img.created = 990 * 86400;
	s.scan.ncontent = 0;
	h = hits(p, &in, NULL);
	assert_string_equal(h, "");
	free(h);
	bh_policy_free(p);
}

static void pod_security_reads_namespace_labels(void **state)
{
	struct bh_policy *p =
		compile(HEAD "  - name: pss\n    kind: podSecurity\n    level: baseline\n"
			     "    exemptions: {namespaces: [kube-system], usernames: [admin]}\n",
			NULL, 0);
	json_t *dep =
		obj("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":"
		    "\"w\",\"namespace\":\"prod\"},\"spec\":{\"template\":{\"spec\":{"
		    "\"containers\":[{\"name\":\"app\",\"image\":\"x\"}]}}}}");
	json_t *labels = obj("{\"pod-security.kubernetes.io/enforce\":\"restricted\","
			     "\"pod-security.kubernetes.io/enforce-version\":\"v1.24\"}");
	struct bh_policy_input in = { .kind = BH_POLICY_K8S, .object = dep };
	struct bh_policy_result r;
	char *h;

	/* baseline: this pod passes */
	h = hits(p, &in, NULL);
	assert_string_equal(h, "");
	free(h);
	/* the namespace says restricted at v1.24 */
	in.namespace_labels = labels;
	h = hits(p, &in, &r);
	assert_string_equal(h, "pss/restricted:v1.24");
	assert_true(r.denied);
	assert_true(bh_str_has_prefix(r.v[0].message,
				      "would violate PodSecurity \"restricted:v1.24\": "
				      "allowPrivilegeEscalation != false"));
	bh_policy_result_release(&r);
	free(h);
	/* PSA's rule for workloads: enforce only warns */
	in.workload_warn_only = true;
	h = hits(p, &in, &r);
	assert_false(r.denied);
	assert_int_equal(r.nwarn, 1);
	bh_policy_result_release(&r);
	free(h);
	/* exemptions */
	in.username = "admin";
	h = hits(p, &in, NULL);
	assert_string_equal(h, "");
	free(h);
	json_decref(dep);
	json_decref(labels);
	bh_policy_free(p);
}

static void workload_rules_on_a_pod(void **state)
{
	struct bh_policy *p = compile(
		HEAD "  - name: w\n    kind: workload\n    denyPrivileged: true\n"
		     "    denyHostNamespaces: true\n    allowedCapabilities: [NET_BIND_SERVICE]\n"
		     "    requireDropAll: true\n    requireReadOnlyRoot: true\n"
		     "    requireSeccomp: true\n    requireLimits: [cpu, memory]\n"
		     "    denyHostPaths: true\n    allowHostPaths: [/etc/localtime]\n    denyRoot: "
		     "true\n",
		NULL, 0);
	json_t *pod = obj(
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"hostPID\":true,"
		"\"securityContext\":{\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},"
		"\"volumes\":[{\"name\":\"sock\",\"hostPath\":{\"path\":\"/var/run/docker.sock\"}},"
		"{\"name\":\"tz\",\"hostPath\":{\"path\":\"/etc/localtime\"}},"
		"{\"name\":\"var\",\"hostPath\":{\"path\":\"/var/\"}},"
		"{\"name\":\"data\",\"hostPath\":{\"path\":\"/srv/data\"}}],"
		"\"containers\":[{\"name\":\"bad\",\"securityContext\":{\"privileged\":true,"
		"\"runAsUser\":0,\"capabilities\":{\"add\":[\"NET_ADMIN\",\"CAP_SYS_ADMIN\","
		"\"NET_BIND_SERVICE\"]},\"seccompProfile\":{\"type\":\"Unconfined\"}}},"
		"{\"name\":\"good\",\"securityContext\":{\"runAsNonRoot\":true,"
		"\"readOnlyRootFilesystem\":true,\"capabilities\":{\"drop\":[\"ALL\"]}},"
		"\"resources\":{\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}}]}}");
	struct bh_policy_input in = { .kind = BH_POLICY_K8S, .object = pod };
	struct bh_policy_result r;
	char *h = hits(p, &in, &r);

	assert_string_equal(h, "w/hostNamespaces;w/privileged;w/capabilities;w/dropAll;"
			       "w/readOnlyRoot;w/seccomp;w/limits;w/root;w/hostPath;w/hostPath");
	assert_string_equal(r.v[2].message, "container \"bad\" adds capabilities \"NET_ADMIN\", "
					    "\"SYS_ADMIN\" beyond those allowed");
	assert_string_equal(r.v[8].message,
			    "volume \"sock\" mounts the host's /var/run/docker.sock");
	assert_string_equal(r.v[9].message, "volume \"var\" mounts the host's /var/, which exposes "
					    "/var/lib/containerd");
	bh_policy_result_release(&r);
	free(h);
	json_decref(pod);
	bh_policy_free(p);
}

static void workload_rules_on_an_oci_config(void **state)
{
	struct bh_policy *p =
		compile(HEAD "  - name: w\n    kind: workload\n    denyPrivileged: true\n"
			     "    denyHostNamespaces: true\n    requireReadOnlyRoot: true\n"
			     "    requireSeccomp: true\n    denyHostPaths: [/var/run]\n"
			     "    denyRoot: true\n"
			     "  - name: pss\n    kind: podSecurity\n    level: restricted\n",
			NULL, 0);
	json_t *cfg = obj("{\"ociVersion\":\"1.1.0\",\"process\":{\"user\":{\"uid\":1000},"
			  "\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_SYS_ADMIN\"]}},"
			  "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
			  "\"mounts\":[{\"destination\":\"/s\",\"type\":\"bind\",\"source\":"
			  "\"/var/run/x.sock\",\"options\":[\"rbind\"]},{\"destination\":\"/proc\","
			  "\"type\":\"proc\",\"source\":\"proc\"}],"
			  "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},"
			  "{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"}],"
			  "\"maskedPaths\":[\"/proc/kcore\"],\"seccomp\":{\"defaultAction\":"
			  "\"SCMP_ACT_ERRNO\"}},\"annotations\":{\"io.kubernetes.cri.image-name\":"
			  "\"docker.io/library/nginx:1\",\"io.kubernetes.cri.image-ref\":\"sha256:"
			  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}}");
	struct bh_policy_image img;
	struct bh_policy_input in = { .kind = BH_POLICY_OCI, .oci_config = cfg };
	char *h;

	assert_int_equal(bh_policy_image_from_annotations(cfg, &img), 1);
	assert_string_equal(img.ref, "docker.io/library/nginx:1");
	assert_string_equal(
		img.digest,
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	in.images = &img;
	in.nimages = 1;
	/* not privileged (paths are masked), namespaces its own, read-only, confined, not
	 * root: only the bind mount of /var/run/x.sock; podSecurity reads no OCI config */
	h = hits(p, &in, NULL);
	assert_string_equal(h, "w/hostPath");
	free(h);
	json_object_set_new(bh_json_obj(cfg, "linux"), "maskedPaths", json_array());
	json_array_remove(bh_json_arr(bh_json_obj(cfg, "linux"), "namespaces"), 1);
	json_object_set_new(bh_json_obj(bh_json_obj(cfg, "process"), "user"), "uid",
			    json_integer(0));
	h = hits(p, &in, NULL);
	assert_string_equal(h, "w/hostNamespaces;w/privileged;w/root;w/hostPath");
	free(h);
	json_decref(cfg);
	bh_policy_free(p);
}

static void placement_by_sensitivity(void **state)
{
	struct bh_policy *p =
		compile(HEAD "  - name: sep\n    kind: placement\n    requireLabel: true\n"
			     "    levels: [public, secret]\n",
			NULL, 0);
	json_t *nodes = obj("[{\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\",\"labels\":{"
			    "\"bulkhead.dev/sensitivity\":\"public\"}}}]");
	const struct {
		const char *spec, *labels, *want;
	} cases[] = {
		{ "{}", "{}", "sep/label" },
		{ "{}", "{\"bulkhead.dev/sensitivity\":\"other\"}", "sep/label" },
		{ "{}", "{\"bulkhead.dev/sensitivity\":\"secret\"}", "sep/nodes" },
		{ "{\"nodeSelector\":{\"bulkhead.dev/sensitivity\":\"secret\"}}",
		  "{\"bulkhead.dev/sensitivity\":\"secret\"}", "" },
		{ "{\"affinity\":{\"nodeAffinity\":{"
		  "\"requiredDuringSchedulingIgnoredDuringExecution\":"
		  "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"bulkhead.dev/"
		  "sensitivity\",\"operator\":\"In\",\"values\":[\"secret\"]}]}]}}}}",
		  "{\"bulkhead.dev/sensitivity\":\"secret\"}", "" },
		{ "{\"affinity\":{\"nodeAffinity\":{"
		  "\"requiredDuringSchedulingIgnoredDuringExecution\":"
		  "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"bulkhead.dev/"
		  "sensitivity\",\"operator\":\"In\",\"values\":[\"secret\",\"public\"]}]}]}}}}",
		  "{\"bulkhead.dev/sensitivity\":\"secret\"}", "sep/nodes" },
		{ "{\"nodeSelector\":{\"bulkhead.dev/sensitivity\":\"secret\"},\"tolerations\":[{"
		  "\"key\":\"bulkhead.dev/sensitivity\",\"operator\":\"Exists\"}]}",
		  "{\"bulkhead.dev/sensitivity\":\"secret\"}", "sep/tolerations" },
		{ "{\"nodeSelector\":{\"bulkhead.dev/"
		  "sensitivity\":\"secret\"},\"nodeName\":\"n1\"}",
		  "{\"bulkhead.dev/sensitivity\":\"secret\"}", "sep/node" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = bh_asprintf("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
					 "\"labels\":%s},\"spec\":%s}",
					 cases[i].labels, cases[i].spec);
		json_t *pod = obj(text);
		struct bh_policy_input in = { .kind = BH_POLICY_K8S,
					      .object = pod,
					      .nodes = nodes };
		char *h = hits(p, &in, NULL);

		if (strcmp(h, cases[i].want))
			fail_msg("case %zu: got '%s', want '%s'", i, h, cases[i].want);
		free(h);
		free(text);
		json_decref(pod);
	}
	json_decref(nodes);
	bh_policy_free(p);
}

static void scope_selects_inputs(void **state)
{
	struct bh_policy *p = compile(
		HEAD
		"  - name: only-prod\n    kind: workload\n    denyPrivileged: true\n"
		"    scope:\n      namespaces: [\"prod-*\"]\n      excludeNamespaces: [prod-x]\n"
		"      labelSelector: {matchExpressions: [{key: tier, operator: In, values: "
		"[web]}]}\n"
		"      namespaceSelector: {matchLabels: {env: prod}}\n"
		"      kinds: [Deployment]\n"
		"      images: [\"**/app\"]\n",
		NULL, 0);
#define TMPL                                                                                       \
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"%s\",\"metadata\":{\"namespace\":\"%s\","          \
	"\"labels\":{\"tier\":\"%s\"}},\"spec\":{\"template\":{\"spec\":{\"containers\":[{"        \
	"\"name\":\"c\",\"image\":\"%s\",\"securityContext\":{\"privileged\":true}}]}}}}"
	json_t *nsl = obj("{\"env\":\"prod\"}");
	const struct {
		const char *kind, *ns, *tier, *image;
		bool hit;
	} cases[] = {
		{ "Deployment", "prod-a", "web", "reg/app", true },
		{ "Deployment", "prod-x", "web", "reg/app", false },
		{ "Deployment", "dev", "web", "reg/app", false },
		{ "Deployment", "prod-a", "db", "reg/app", false },
		{ "DaemonSet", "prod-a", "web", "reg/app", false },
		{ "Deployment", "prod-a", "web", "reg/other", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = bh_asprintf(TMPL, cases[i].kind, cases[i].ns, cases[i].tier,
					 cases[i].image);
		json_t *o = obj(text);
		struct bh_policy_input in = { .kind = BH_POLICY_K8S,
					      .object = o,
					      .namespace_labels = nsl };
		char *h = hits(p, &in, NULL);

		if ((*h != 0) != cases[i].hit)
			fail_msg("case %zu: got '%s'", i, h);
		free(h);
		free(text);
		json_decref(o);
	}
	json_decref(nsl);
	bh_policy_free(p);
}

static void inputs_that_are_not_what_they_claim(void **state)
{
	struct bh_policy *p = compile(
		HEAD "  - name: pss\n    kind: podSecurity\n    level: restricted\n", NULL, 0);
	struct bh_error *err = NULL;
	struct bh_policy_result r;
	json_t *o = obj("{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"spec\":{}}");
	struct bh_policy_input in = { .kind = BH_POLICY_K8S, .object = o };

	assert_int_equal(bh_policy_eval(p, &in, &r, &err), -1);
	assert_error(err, BH_ERR_UNSUPPORTED, "does not know the kind 'Widget'");
	bh_error_clear(&err);
	json_decref(o);
	/* a kind without a pod: evaluated, nothing applies */
	o = obj("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"data\":{}}");
	in.object = o;
	assert_int_equal(bh_policy_eval(p, &in, &r, NULL), 0);
	assert_false(r.applicable);
	bh_policy_result_release(&r);
	json_decref(o);
	o = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"containers\":[{"
		"\"securityContext\":"
		"{\"runAsUser\":\"0\"}}]}}");
	in.object = o;
	assert_int_equal(bh_policy_eval(p, &in, &r, &err), -1);
	assert_error(err, BH_ERR_INVALID,
		     "spec.containers[0].securityContext.runAsUser: expected an integer");
	bh_error_clear(&err);
	json_decref(o);
	bh_policy_free(p);
}

static void globs_and_references(void **state)
{
	const struct {
		const char *glob, *s;
		bool match;
	} g[] = {
		{ "docker.io/library/*", "docker.io/library/nginx", true },
		{ "docker.io/*", "docker.io/library/nginx", false },
		{ "docker.io/**", "docker.io/library/nginx", true },
		{ "**/nginx", "docker.io/library/nginx", true },
		{ "reg?.io", "reg1.io", true },
		{ "reg?.io", "reg/.io", false },
		{ "[a-c]x", "bx", true },
		{ "[!a-c]x", "bx", false },
		{ "a\\*", "a*", true },
		{ "a\\*", "ab", false },
		{ "", "", true },
		{ "*", "", true },
		{ "**a**a**a**a**a**a**b",
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false },
	};
	const char *bad[] = { "a[", "[]", "[z-a]", "***", "a\\" };
	const struct {
		const char *ref, *full;
	} refs[] = {
		{ "nginx", "docker.io/library/nginx:latest" },
		{ "nginx:1.25", "docker.io/library/nginx:1.25" },
		{ "index.docker.io/team/app", "docker.io/team/app:latest" },
		{ "localhost/app:1", "localhost/app:1" },
		{ "reg.example:5000/a/b/c@sha256:"
		  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		  "reg.example:5000/a/b/c@sha256:"
		  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" },
	};
	const char *bad_refs[] = { "", "x/UPPER", "a b", "x:tag with space", "x@sha256:12" };

	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		struct pol_glob *gl;
		char *why = NULL;

		assert_int_equal(pol_glob_compile(g[i].glob, &gl, &why), 0);
		if (pol_glob_match(gl, g[i].s) != g[i].match)
			fail_msg("glob '%s' on '%s'", g[i].glob, g[i].s);
		pol_glob_free(gl);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pol_glob *gl;
		char *why = NULL;

		assert_int_equal(pol_glob_compile(bad[i], &gl, &why), -1);
		assert_non_null(why);
		free(why);
	}
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		struct pol_imgref r;
		char *why = NULL;

		assert_int_equal(pol_imgref_parse(refs[i].ref, &r, &why), 0);
		assert_string_equal(r.full, refs[i].full);
		pol_imgref_release(&r);
	}
	for (size_t i = 0; i < sizeof(bad_refs) / sizeof(bad_refs[0]); i++) {
		struct pol_imgref r;
		char *why = NULL;

		if (pol_imgref_parse(bad_refs[i], &r, &why) == 0)
			fail_msg("'%s' parsed", bad_refs[i]);
		free(why);
	}
}

static void results_as_json_and_findings(void **state)
{
	struct bh_policy *p = compile(HEAD "  - name: priv\n    kind: workload\n    action: audit\n"
					   "    section: \"4.4.4\"\n    denyPrivileged: true\n",
				      NULL, 0);
	json_t *pod = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"},"
			  "\"spec\":{\"containers\":[{\"name\":\"c\",\"securityContext\":{"
			  "\"privileged\":true}}]}}");
	struct bh_policy_input in = { .kind = BH_POLICY_K8S, .object = pod, .namespace = "ns" };
	struct bh_findings f = { 0 };
	struct bh_policy_result r;
	json_t *j;

	assert_int_equal(bh_policy_eval(p, &in, &r, NULL), 0);
	assert_false(r.denied);
	j = bh_policy_result_json(&r);
	assert_string_equal(bh_json_str(j, "object"), "Pod ns/x");
	assert_string_equal(bh_json_str(json_array_get(bh_json_arr(j, "hits"), 0), "action"),
			    "audit");
	assert_string_equal(bh_json_str(json_array_get(bh_json_arr(j, "hits"), 0), "section"),
			    "4.4.4");
	json_decref(j);
	bh_policy_result_findings(&r, "deploy.yaml", 12, &f);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.v[0].kind, BH_FIND_POLICY);
	assert_int_equal(f.v[0].severity, BH_SEV_LOW);
	assert_string_equal(f.v[0].countermeasure, "4.4.4");
	assert_int_equal(f.v[0].line, 12);
	bh_findings_release(&f);
	bh_policy_result_release(&r);
	json_decref(pod);
	bh_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_problem_has_its_position),
		cmocka_unit_test(documents_and_yaml_problems),
		cmocka_unit_test(refinements_merge_in_place),
		cmocka_unit_test(provenance_on_a_pod),
		cmocka_unit_test(signatures_ask_the_env),
		cmocka_unit_test(deferred_keys_are_parsed_when_needed),
		cmocka_unit_test(the_vulnerability_gate),
		cmocka_unit_test(content_and_image_config),
		cmocka_unit_test(pod_security_reads_namespace_labels),
		cmocka_unit_test(workload_rules_on_a_pod),
		cmocka_unit_test(workload_rules_on_an_oci_config),
		cmocka_unit_test(placement_by_sensitivity),
		cmocka_unit_test(scope_selects_inputs),
		cmocka_unit_test(inputs_that_are_not_what_they_claim),
		cmocka_unit_test(globs_and_references),
		cmocka_unit_test(results_as_json_and_findings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
