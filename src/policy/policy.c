/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy files: reading, composing and compiling (validate.c checks each
 * rule definition, with every problem's file, line and column).
 *
 * A file is one or more YAML (or JSON) documents
 *   apiVersion: bulkhead.dev/v1alpha1
 *   kind: Policy
 *   metadata: {name, description}
 *   spec: {rules: [...]}
 * Each rule definition is checked where it is written (its members' types,
 * globs, durations, digests, keys and files it names); then the definitions
 * compose in the order they were added: a new name appends a rule, a name
 * seen before refines that rule as a JSON merge patch (RFC 7386: objects
 * merge member by member, other values replace, null removes a member) in
 * its place; its kind cannot change. After composing, each rule must be
 * complete and is compiled by its kind (the table in kinds[] below: a new
 * kind is one file and one row).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulkhead/trust.h"
#include "policy/internal.h"
#include "banned.h"

#define API_VERSION "bulkhead.dev/v1alpha1"

static const struct pol_rule_kind *const kinds[] = {
	&pol_kind_image_provenance, &pol_kind_image_signature, &pol_kind_vulnerabilities,
	&pol_kind_image_content,    &pol_kind_pod_security,    &pol_kind_workload,
	&pol_kind_placement,	    &pol_kind_network_group,   &pol_kind_network,
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

const struct pol_rule_kind *pol_kind_by_name(const char *name)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (!strcmp(kinds[i]->name, name))
			return kinds[i];
	return NULL;
}

/* One rule definition as written. */
struct pol_def {
	const json_t *rule; /* borrowed from its source's docs */
	struct pol_srcfile *src;
	char *pointer; /* "/0/spec/rules/3" */
	const char *name;
};

static int add_doc(struct bh_policy *p, struct pol_vctx *v, const json_t *doc, size_t di)
{
	char ptr[32];
	const json_t *spec, *rules, *meta;
	const char *k;
	json_t *m, *rule;
	size_t i;

	snprintf(ptr, sizeof(ptr), "/%zu", di);
	if (json_is_null(doc))
		return 0; /* an empty document */
	if (!json_is_object(doc)) {
		pol_vproblem(v, ptr, false, "a policy document must be a mapping, got %s",
			     pol_jtype(doc));
		return 0;
	}
	if (!bh_json_str(doc, "apiVersion"))
		pol_vproblem(v, ptr, false, "apiVersion: missing (expected %s)", API_VERSION);
	else if (strcmp(bh_json_str(doc, "apiVersion"), API_VERSION)) {
		char *pp = pol_ptr_join(ptr, "apiVersion");

		pol_vproblem(v, pp, false, "apiVersion: '%s' is not supported (expected %s)",
			     bh_json_str(doc, "apiVersion"), API_VERSION);
		free(pp);
	}
	if (!bh_json_str(doc, "kind") || strcmp(bh_json_str(doc, "kind"), "Policy")) {
		char *pp = pol_ptr_join(ptr, "kind");

		pol_vproblem(v, bh_json_str(doc, "kind") ? pp : ptr, false,
			     "kind: expected Policy, got %s",
			     bh_json_str(doc, "kind") ? bh_json_str(doc, "kind") : "nothing");
		free(pp);
	}
	json_object_foreach ((json_t *)doc, k, m) {
		if (!strcmp(k, "apiVersion") || !strcmp(k, "kind") || !strcmp(k, "metadata") ||
		    !strcmp(k, "spec"))
			continue;
		{
			char *pp = pol_ptr_join(ptr, k);

			pol_vproblem(
				v, pp, true,
				"unknown member '%s' (known: apiVersion, kind, metadata, spec)", k);
			free(pp);
		}
	}
	meta = json_object_get(doc, "metadata");
	if (meta) {
		static const struct pol_field meta_fields[] = {
			F("name", PF_STR),	F("description", PF_STR),
			F("labels", PF_STRMAP), F("annotations", PF_STRMAP),
			{ .name = NULL },
		};
		char *pp = pol_ptr_join(ptr, "metadata");

		if (!json_is_object(meta))
			pol_vproblem(v, pp, false, "metadata: expected an object, got %s",
				     pol_jtype(meta));
		else
			pol_check_members(v, meta, pp, "metadata", meta_fields, NULL);
		free(pp);
	}
	spec = json_object_get(doc, "spec");
	rules = bh_json_arr(spec, "rules");
	if (!json_is_object(spec) || !rules) {
		pol_vproblem(v, ptr, false, "spec.rules: missing (a list of rules)");
		return 0;
	}
	json_object_foreach ((json_t *)spec, k, m) {
		if (strcmp(k, "rules")) {
			char *pp = bh_asprintf("%s/spec", ptr), *mp = pol_ptr_join(pp, k);

			pol_vproblem(v, mp, true, "spec: unknown member '%s' (known: rules)", k);
			free(pp);
			free(mp);
		}
	}
	if (json_array_size(rules) > BH_POLICY_RULES_MAX) {
		pol_vproblem(v, ptr, false, "spec.rules: more than %d rules", BH_POLICY_RULES_MAX);
		return 0;
	}
	json_array_foreach (rules, i, rule) {
		char *rp = bh_asprintf("%s/spec/rules/%zu", ptr, i);
		size_t before = v->nproblems;

		if (!json_is_object(rule)) {
			pol_vproblem(v, rp, false,
				     "spec.rules[%zu]: expected a rule (a mapping), got %s", i,
				     pol_jtype(rule));
			free(rp);
			continue;
		}
		pol_check_rule(v, rule, rp);
		/* the same name twice in one list is a mistake, not a refinement */
		for (size_t j = 0; j < i && bh_json_str(rule, "name"); j++) {
			const char *other = bh_json_str(json_array_get(rules, j), "name");

			if (other && !strcmp(other, bh_json_str(rule, "name"))) {
				char *np = pol_ptr_join(rp, "name");

				v->rule = other;
				pol_vproblem(v, np, false,
					     "defined twice in one list (first at rule %zu)",
					     j + 1);
				v->rule = NULL;
				free(np);
				break;
			}
		}
		if (v->nproblems == before) {
			struct pol_def *d;

			p->defs = bh_reallocarray(p->defs, p->ndefs + 1, sizeof(*p->defs));
			d = &p->defs[p->ndefs++];
			d->rule = rule;
			d->src = v->src;
			d->pointer = rp;
			d->name = bh_json_str(rule, "name");
		} else {
			free(rp);
		}
	}
	return 0;
}

/* Hand a local error to the caller's err (kept if one is already there). */
static void pass_error(struct bh_error **err, struct bh_error *e)
{
	if (err && !*err)
		*err = e;
	else
		bh_error_free(e);
}

struct bh_policy *bh_policy_new(void)
{
	return bh_calloc(1, sizeof(struct bh_policy));
}

int bh_policy_add(struct bh_policy *p, const char *buf, size_t len, const char *name,
		  const char *base_dir, struct bh_policy_diags *diags, struct bh_error **err)
{
	const struct bh_yaml_limits lim = { BH_POLICY_FILE_MAX, 200000, 64 };
	struct pol_srcfile *src;
	struct pol_vctx v = { diags, NULL, 0, NULL, false };
	struct bh_error *lerr = NULL;
	json_t *doc;
	size_t i;

	if (p->compiled)
		return bh_error_set(err, BH_ERR_USAGE, "the policy is already compiled");
	v.defer_keys = p->flags & BH_POLICY_DEFER_KEYS;
	src = bh_calloc(1, sizeof(*src));
	src->name = bh_strdup(name);
	src->base_dir = base_dir ? bh_strdup(base_dir) : NULL;
	if (bh_yaml_parse_stream(buf, len, &lim, name, 64, &src->docs, &src->marks, &lerr) < 0) {
		char *m = bh_error_message(lerr);
		size_t line = 0, col = 0;
		const char *at = strstr(m, " at line ");

		/* the YAML error already names the place: split it out for the diagnostic */
		if (at && sscanf(at, " at line %zu column %zu", &line, &col) >= 1)
			pol_diag_add(diags, name, line, col, m);
		else
			pol_diag_add(diags, name, 0, 0, m);
		free(src->name);
		free(src->base_dir);
		free(src);
		pass_error(err, lerr);
		return -1;
	}
	p->srcs = bh_reallocarray(p->srcs, p->nsrcs + 1, sizeof(*p->srcs));
	p->srcs[p->nsrcs++] = src;
	v.src = src;
	if (!json_array_size(src->docs))
		pol_vproblem(&v, "", false, "no policy document");
	json_array_foreach (src->docs, i, doc)
		add_doc(p, &v, doc, i);
	if (v.nproblems)
		return bh_error_set(err, BH_ERR_INVALID, "%s: %zu problem%s", name, v.nproblems,
				    v.nproblems == 1 ? "" : "s");
	return 0;
}

int bh_policy_add_file(struct bh_policy *p, const char *path, struct bh_policy_diags *diags,
		       struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(BH_POLICY_FILE_MAX);
	const char *slash = strrchr(path, '/');
	char *dir = slash ? bh_strndup(path, (size_t)(slash - path)) : bh_strdup(".");
	struct bh_error *lerr = NULL;
	int r;

	if (slash && slash == path) {
		free(dir);
		dir = bh_strdup("/");
	}
	if (bh_read_file(path, &b, &lerr) < 0) {
		pol_diag_add(diags, path, 0, 0, bh_error_message(lerr));
		pass_error(err, lerr);
		free(dir);
		bh_buf_release(&b);
		return -1;
	}
	r = bh_policy_add(p, b.data ? b.data : "", b.len, path, dir, diags, err);
	free(dir);
	bh_buf_release(&b);
	return r;
}

int bh_policy_add_pss(struct bh_policy *p, struct bh_pss_lv lv, struct bh_error **err)
{
	char ver[32], doc[512];

	if (lv.minor == BH_PSS_LATEST)
		snprintf(ver, sizeof(ver), "latest");
	else
		snprintf(ver, sizeof(ver), "v1.%lld", (long long)lv.minor);
	snprintf(
		doc, sizeof(doc),
		"{\"apiVersion\":\"" API_VERSION "\",\"kind\":\"Policy\",\"spec\":{\"rules\":[{"
		"\"name\":\"pss\",\"kind\":\"podSecurity\",\"action\":\"enforce\",\"level\":\"%s\","
		"\"version\":\"%s\"}]}}",
		bh_pss_level_name(lv.level), ver);
	return bh_policy_add(p, doc, strlen(doc), "--pss", NULL, NULL, err);
}

/* ---- composing and compiling ------------------------------------------------------- */

/* RFC 7386 merge patch of `patch` onto a copy of `target`. */
static json_t *merge_patch(const json_t *target, const json_t *patch)
{
	json_t *out;
	const char *k;
	json_t *v;

	if (!json_is_object(patch))
		return json_deep_copy(patch);
	out = json_is_object(target) ? json_deep_copy(target) : json_object();
	json_object_foreach ((json_t *)patch, k, v) {
		if (json_is_null(v))
			json_object_del(out, k);
		else
			json_object_set_new(out, k, merge_patch(json_object_get(out, k), v));
	}
	return out;
}

/* A rule as composed: the merged definition and, for each member, the
 * definition that wrote it last (for positions). */
struct composed {
	json_t *def;
	struct bh_map *origin; /* member -> struct pol_def * */
	const struct pol_def *last;
};

struct cctx {
	struct pol_compile pc;
	struct bh_policy_diags *d;
	const struct composed *c;
	const char *rule;
	size_t nproblems;
};

static void compile_problem(struct pol_compile *pc, const char *member, const char *fmt, ...)
{
	struct cctx *cc = pc->data;
	const struct pol_def *def = cc->c->last;
	struct bh_yaml_mark mk = { 0, 0 };
	struct bh_buf b = BH_BUF_INIT(1 << 20);
	char *ptr;
	va_list ap;

	if (member) {
		const struct pol_def *o = bh_map_get(cc->c->origin, member, strlen(member));

		if (o)
			def = o;
		ptr = pol_ptr_join(def->pointer, member);
	} else {
		ptr = bh_strdup(def->pointer);
	}
	bh_yaml_mark_get(def->src->marks, ptr, false, &mk);
	free(ptr);
	bh_buf_addf(&b, NULL, "rule \"%s\": ", cc->rule);
	va_start(ap, fmt);
	bh_buf_vaddf(&b, NULL, fmt, ap);
	va_end(ap);
	pol_diag_add(cc->d, def->src->name, mk.line, mk.column, bh_buf_detach(&b, NULL));
	cc->nproblems++;
}

static void globs_free(struct pol_globs *g)
{
	for (size_t i = 0; i < g->n; i++)
		pol_glob_free(g->v[i]);
	free(g->v);
	memset(g, 0, sizeof(*g));
}

static void globs_compile(const json_t *list, struct pol_globs *out)
{
	size_t i;
	json_t *e;

	out->n = 0;
	out->v = bh_calloc(json_array_size(list) + 1, sizeof(*out->v));
	json_array_foreach (list, i, e) {
		char *why = NULL;

		/* validated where it was written: cannot fail */
		if (pol_glob_compile(json_string_value(e), &out->v[out->n], &why) == 0)
			out->n++;
		free(why);
	}
}

static void selector_compile(const json_t *s, struct pol_selector *out)
{
	out->match_labels = json_incref(json_object_get(s, "matchLabels"));
	out->exprs = json_incref(json_object_get(s, "matchExpressions"));
}

bool pol_selector_match(const struct pol_selector *s, const json_t *labels)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach (s->match_labels, k, v) {
		const char *have = bh_json_str(labels, k);

		if (!have || strcmp(have, json_string_value(v)))
			return false;
	}
	json_array_foreach (s->exprs, i, v) {
		const char *key = bh_json_str(v, "key"), *op = bh_json_str(v, "operator");
		const char *have = bh_json_str(labels, key);
		bool in = false;
		size_t j;
		json_t *val;

		json_array_foreach (json_object_get(v, "values"), j, val)
			in |= have && !strcmp(have, json_string_value(val));
		if ((!strcmp(op, "In") && !in) || (!strcmp(op, "NotIn") && in) ||
		    (!strcmp(op, "Exists") && !have) || (!strcmp(op, "DoesNotExist") && have))
			return false;
	}
	return true;
}

static void scope_compile(const json_t *s, struct pol_scope *sc)
{
	const json_t *v;
	size_t i;
	json_t *e;

	memset(sc, 0, sizeof(*sc));
	globs_compile(json_object_get(s, "namespaces"), &sc->namespaces);
	globs_compile(json_object_get(s, "excludeNamespaces"), &sc->exclude_namespaces);
	globs_compile(json_object_get(s, "images"), &sc->images);
	globs_compile(json_object_get(s, "excludeImages"), &sc->exclude_images);
	if ((v = json_object_get(s, "kinds"))) {
		struct bh_strvec k = BH_STRVEC_INIT;

		json_array_foreach (v, i, e)
			bh_strvec_push(&k, json_string_value(e));
		sc->kinds = bh_strvec_detach(&k);
		if (!sc->kinds)
			sc->kinds = bh_calloc(1, sizeof(char *));
	}
	sc->labels = json_incref(json_object_get(s, "labels"));
	if ((v = json_object_get(s, "labelSelector"))) {
		sc->has_selector = true;
		selector_compile(v, &sc->selector);
	}
	if ((v = json_object_get(s, "namespaceSelector"))) {
		sc->has_ns_selector = true;
		selector_compile(v, &sc->ns_selector);
	}
	json_array_foreach (json_object_get(s, "inputs"), i, e) {
		const char *in = json_string_value(e);

		sc->inputs |= !strcmp(in, "kubernetes") ? POL_IN_K8S
			      : !strcmp(in, "runtime")	? POL_IN_OCI
							: POL_IN_IMAGE;
	}
}

static void scope_free(struct pol_scope *sc)
{
	globs_free(&sc->namespaces);
	globs_free(&sc->exclude_namespaces);
	globs_free(&sc->images);
	globs_free(&sc->exclude_images);
	bh_strv_free(sc->kinds);
	json_decref(sc->labels);
	json_decref(sc->selector.match_labels);
	json_decref(sc->selector.exprs);
	json_decref(sc->ns_selector.match_labels);
	json_decref(sc->ns_selector.exprs);
}

static void rule_free(struct pol_rule *r)
{
	if (r->kind && r->kind->free)
		r->kind->free(r->params);
	scope_free(&r->scope);
	free(r->name);
	free(r->section);
	free(r->description);
	free(r->file);
}

int bh_policy_compile(struct bh_policy *p, struct bh_policy_diags *diags, struct bh_error **err)
{
	struct composed *cs = NULL;
	size_t ncs = 0, nproblems = 0;
	struct bh_map *byname = bh_map_new();

	if (p->compiled)
		return 0;
	/* compose: in order, by name */
	for (size_t i = 0; i < p->ndefs; i++) {
		const struct pol_def *d = &p->defs[i];
		void *at = bh_map_get(byname, d->name, strlen(d->name));
		struct composed *c;
		const char *k;
		json_t *v;

		if (!at) {
			cs = bh_reallocarray(cs, ncs + 1, sizeof(*cs));
			c = &cs[ncs++];
			c->def = json_deep_copy(d->rule);
			c->origin = bh_map_new();
			bh_map_put(byname, d->name, strlen(d->name), (void *)(uintptr_t)ncs);
		} else {
			json_t *merged;

			c = &cs[(uintptr_t)at - 1];
			if (strcmp(bh_json_str(c->def, "kind"), bh_json_str(d->rule, "kind"))) {
				struct cctx cc = {
					{ NULL, compile_problem, NULL, false }, diags, c, d->name, 0
				};

				cc.pc.data = &cc;
				c->last = d;
				bh_map_put(c->origin, "kind", 4, (void *)d);
				compile_problem(&cc.pc, "kind",
						"a refinement cannot change the kind (%s, was %s)",
						bh_json_str(d->rule, "kind"),
						bh_json_str(c->def, "kind"));
				nproblems++;
				continue;
			}
			merged = merge_patch(c->def, d->rule);
			json_decref(c->def);
			c->def = merged;
		}
		c->last = d;
		json_object_foreach ((json_t *)d->rule, k, v)
			bh_map_put(c->origin, k, strlen(k), (void *)d);
	}
	bh_map_free(byname, NULL);
	/* compile what is enabled */
	p->rules = bh_calloc(ncs + 1, sizeof(*p->rules));
	for (size_t i = 0; i < ncs; i++) {
		struct composed *c = &cs[i];
		const char *name = bh_json_str(c->def, "name");
		struct cctx cc = {
			{ c->last->src->base_dir, compile_problem, NULL, false }, diags, c, name, 0
		};
		struct pol_rule *r = &p->rules[p->nrules];
		const struct pol_rule_kind *k = pol_kind_by_name(bh_json_str(c->def, "kind"));
		const char *action = bh_json_str(c->def, "action");
		struct bh_yaml_mark mk = { 0, 0 };

		cc.pc.data = &cc;
		cc.pc.defer_keys = p->flags & BH_POLICY_DEFER_KEYS;
		if (json_is_true(json_object_get(c->def, "disabled")))
			continue;
		/* a complete rule: its kind's required members */
		for (const char *req = k->required; req && *req;) {
			size_t n = strcspn(req, " ");
			char member[64];

			snprintf(member, sizeof(member), "%.*s", (int)n, req);
			if (!json_object_get(c->def, member))
				compile_problem(&cc.pc, NULL, "a %s rule needs '%s'", k->name,
						member);
			req += n;
			while (*req == ' ')
				req++;
		}
		memset(r, 0, sizeof(*r));
		r->name = bh_strdup(name);
		r->kind = k;
		r->action = !action || !strcmp(action, "enforce") ? BH_ACT_ENFORCE
			    : !strcmp(action, "audit")		  ? BH_ACT_AUDIT
								  : BH_ACT_WARN;
		r->section = bh_json_str(c->def, "section")
				     ? bh_strdup(bh_json_str(c->def, "section"))
				     : NULL;
		r->description = bh_json_str(c->def, "description")
					 ? bh_strdup(bh_json_str(c->def, "description"))
					 : NULL;
		r->file = bh_strdup(c->last->src->name);
		bh_yaml_mark_get(c->last->src->marks, c->last->pointer, false, &mk);
		r->line = mk.line;
		r->column = mk.column;
		scope_compile(json_object_get(c->def, "scope"), &r->scope);
		if (!cc.nproblems && k->compile(r, c->def, &cc.pc) < 0 && !cc.nproblems)
			compile_problem(&cc.pc, NULL, "cannot be compiled");
		if (cc.nproblems) {
			nproblems += cc.nproblems;
			rule_free(r);
			continue;
		}
		p->needs |= k->needs;
		p->nrules++;
	}
	/* what one rule cannot check alone: the groups network rules name */
	if (!nproblems)
		nproblems += pol_network_link(p, diags);
	for (size_t i = 0; i < ncs; i++) {
		json_decref(cs[i].def);
		bh_map_free(cs[i].origin, NULL);
	}
	free(cs);
	if (nproblems)
		return bh_error_set(err, BH_ERR_INVALID, "the policy has %zu problem%s", nproblems,
				    nproblems == 1 ? "" : "s");
	p->compiled = true;
	return 0;
}

void bh_policy_set_flags(struct bh_policy *p, unsigned flags)
{
	p->flags = flags;
}

size_t bh_policy_nrules(const struct bh_policy *p)
{
	return p ? p->nrules : 0;
}

unsigned bh_policy_needs(const struct bh_policy *p)
{
	return p ? p->needs : 0;
}

void bh_policy_free(struct bh_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nrules; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	for (size_t i = 0; i < p->ndefs; i++)
		free(p->defs[i].pointer);
	free(p->defs);
	for (size_t i = 0; i < p->nsrcs; i++) {
		json_decref(p->srcs[i]->docs);
		bh_yaml_marks_free(p->srcs[i]->marks);
		free(p->srcs[i]->name);
		free(p->srcs[i]->base_dir);
		free(p->srcs[i]);
	}
	free(p->srcs);
	free(p);
}

const char *bh_policy_action_name(enum bh_policy_action a)
{
	switch (a) {
	case BH_ACT_ENFORCE: return "enforce";
	case BH_ACT_AUDIT: return "audit";
	case BH_ACT_WARN: return "warn";
	}
	return "?";
}
