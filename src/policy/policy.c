/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy files: reading, validating (every problem with file, line and
 * column), composing and compiling.
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
	&pol_kind_placement,
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static const struct pol_rule_kind *kind_by_name(const char *name)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (!strcmp(kinds[i]->name, name))
			return kinds[i];
	return NULL;
}

/* One file as added. */
struct pol_srcfile {
	char *name;
	char *base_dir;
	json_t *docs;
	struct bh_yaml_marks *marks;
};

/* One rule definition as written. */
struct pol_def {
	const json_t *rule; /* borrowed from its source's docs */
	struct pol_srcfile *src;
	char *pointer; /* "/0/spec/rules/3" */
	const char *name;
};

/* ---- diagnostics ------------------------------------------------------------- */

void bh_policy_diags_release(struct bh_policy_diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].message);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

static void diag_add(struct bh_policy_diags *d, const char *file, size_t line, size_t column,
		     char *message)
{
	struct bh_policy_diag *g;

	if (!d) {
		free(message);
		return;
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->v = bh_reallocarray(d->v, d->cap, sizeof(*d->v));
	}
	g = &d->v[d->n++];
	g->file = bh_strdup(file);
	g->line = line;
	g->column = column;
	g->message = message;
}

/* What validation writes to. */
struct vctx {
	struct bh_policy_diags *d;
	struct pol_srcfile *src;
	size_t nproblems;
	const char *rule; /* the rule's name, for messages, or NULL */
};

static void vproblem(struct vctx *v, const char *pointer, bool key, const char *fmt, ...)
	BH_PRINTF(4, 5);
static void vproblem(struct vctx *v, const char *pointer, bool key, const char *fmt, ...)
{
	struct bh_yaml_mark mk = { 0, 0 };
	struct bh_buf b = BH_BUF_INIT(1 << 20);
	va_list ap;

	bh_yaml_mark_get(v->src->marks, pointer, key, &mk);
	if (v->rule)
		bh_buf_addf(&b, NULL, "rule \"%s\": ", v->rule);
	va_start(ap, fmt);
	bh_buf_vaddf(&b, NULL, fmt, ap);
	va_end(ap);
	diag_add(v->d, v->src->name, mk.line, mk.column, bh_buf_detach(&b, NULL));
	v->nproblems++;
}

/* "/a/b" + member -> "/a/b/member" (escaped); caller frees */
static char *ptr_join(const char *base, const char *member)
{
	struct bh_buf b = BH_BUF_INIT(1 << 16);

	bh_buf_adds(&b, base, NULL);
	bh_buf_addc(&b, '/', NULL);
	for (const char *p = member; *p; p++) {
		if (*p == '~')
			bh_buf_adds(&b, "~0", NULL);
		else if (*p == '/')
			bh_buf_adds(&b, "~1", NULL);
		else
			bh_buf_addc(&b, *p, NULL);
	}
	return bh_buf_detach(&b, NULL);
}

static char *ptr_index(const char *base, size_t i)
{
	return bh_asprintf("%s/%zu", base, i);
}

/* ---- helpers the kinds share ----------------------------------------------------- */

int64_t pol_duration_parse(const char *s)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 } };
	uint64_t n = 0;
	const char *p = s;

	if (!bh_isdigit(*p))
		return -1;
	for (; bh_isdigit(*p); p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > 100000000ULL)
			return -1;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (p[0] == units[i].unit && !p[1])
			return (int64_t)n * units[i].secs;
	return -1;
}

char *pol_path_join(const char *base_dir, const char *path)
{
	if (path[0] == '/' || !base_dir || !*base_dir)
		return bh_strdup(path);
	return bh_asprintf("%s/%s", base_dir, path);
}

int pol_key_load(const char *v, const char *base_dir, struct bh_key **out, struct bh_error **err)
{
	char *path;
	int r;

	if (bh_str_has_prefix(v, "-----BEGIN"))
		return bh_key_parse_public(v, strlen(v), out, err);
	path = pol_path_join(base_dir, v);
	r = bh_key_load_public(path, out, err);
	free(path);
	return r;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 128 || !(bh_islower(s[0]) || bh_isdigit(s[0])) ||
	    !(bh_islower(s[n - 1]) || bh_isdigit(s[n - 1])))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(bh_islower(s[i]) || bh_isdigit(s[i]) || s[i] == '-' || s[i] == '_' ||
		      s[i] == '.'))
			return false;
	return true;
}

static bool section_ok(const char *s)
{
	/* "4", "4.1", "4.1.5" */
	if (!bh_isdigit(*s))
		return false;
	for (const char *p = s; *p; p++)
		if (!bh_isdigit(*p) && !(*p == '.' && bh_isdigit(p[1])))
			return false;
	return strlen(s) <= 16;
}

/* ---- values -------------------------------------------------------------------- */

static const char *jtype(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "a list";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

static bool in_choices(const char *s, const char *choices)
{
	size_t n = strlen(s);

	for (const char *c = choices; *c;) {
		size_t k = strcspn(c, " ");

		if (k == n && !strncmp(c, s, n))
			return true;
		c += k;
		while (*c == ' ')
			c++;
	}
	return false;
}

static void check_value(struct vctx *v, const struct pol_field *f, const json_t *val,
			const char *ptr, const char *what);

/* A list whose every element is a string; each handed to `each`. */
static bool check_strs(struct vctx *v, const json_t *val, const char *ptr, const char *what,
		       void (*each)(struct vctx *, const char *, const char *, const char *,
				    const void *),
		       const void *arg)
{
	size_t i;
	json_t *e;

	if (!json_is_array(val)) {
		vproblem(v, ptr, false, "%s: expected a list, got %s", what, jtype(val));
		return false;
	}
	if (json_array_size(val) > POL_MAX_LIST) {
		vproblem(v, ptr, false, "%s: more than %d entries", what, POL_MAX_LIST);
		return false;
	}
	json_array_foreach (val, i, e) {
		char *ep = ptr_index(ptr, i), *ew = bh_asprintf("%s[%zu]", what, i);

		if (!json_is_string(e))
			vproblem(v, ep, false, "%s: expected a string, got %s", ew, jtype(e));
		else if (each)
			each(v, json_string_value(e), ep, ew, arg);
		free(ep);
		free(ew);
	}
	return true;
}

static void each_glob(struct vctx *v, const char *s, const char *ptr, const char *what,
		      const void *arg)
{
	struct pol_glob *g;
	char *why;

	if (pol_glob_compile(s, &g, &why) < 0) {
		vproblem(v, ptr, false, "%s: '%s' is not a valid glob: %s", what, s, why);
		free(why);
		return;
	}
	pol_glob_free(g);
}

static void each_choice(struct vctx *v, const char *s, const char *ptr, const char *what,
			const void *arg)
{
	if (!in_choices(s, arg))
		vproblem(v, ptr, false, "%s: '%s' is not one of: %s", what, s, (const char *)arg);
}

static void each_digest(struct vctx *v, const char *s, const char *ptr, const char *what,
			const void *arg)
{
	if (bh_digest_parse(s, &(struct bh_digest){ 0 }, NULL) < 0)
		vproblem(v, ptr, false, "%s: '%s' is not a digest (sha256:<64 hex>)", what, s);
}

static void each_key(struct vctx *v, const char *s, const char *ptr, const char *what,
		     const void *arg)
{
	struct bh_error *err = NULL;
	struct bh_key *k = NULL;

	if (pol_key_load(s, v->src->base_dir, &k, &err) < 0) {
		char *m = bh_error_message(err);

		vproblem(v, ptr, false, "%s: %s", what, m);
		free(m);
		bh_error_free(err);
	}
	bh_key_free(k);
}

static void each_file(struct vctx *v, const char *s, const char *ptr, const char *what,
		      const void *arg)
{
	char *path = pol_path_join(v->src->base_dir, s);

	if (access(path, R_OK) < 0)
		vproblem(v, ptr, false, "%s: cannot read %s: %s", what, path, strerror(errno));
	free(path);
}

static const struct pol_field selector_fields[] = {
	F("matchLabels", PF_STRMAP),
	F("matchExpressions", PF_STR),
	{ .name = NULL },
};

static void check_selector(struct vctx *v, const json_t *val, const char *ptr, const char *what)
{
	const char *k;
	json_t *m;

	if (!json_is_object(val)) {
		vproblem(v, ptr, false, "%s: expected an object, got %s", what, jtype(val));
		return;
	}
	json_object_foreach ((json_t *)val, k, m) {
		char *mp = ptr_join(ptr, k), *mw = bh_asprintf("%s.%s", what, k);

		if (!strcmp(k, "matchLabels")) {
			check_value(v, &selector_fields[0], m, mp, mw);
		} else if (!strcmp(k, "matchExpressions")) {
			size_t i;
			json_t *e;

			if (!json_is_array(m))
				vproblem(v, mp, false, "%s: expected a list, got %s", mw, jtype(m));
			json_array_foreach (json_is_array(m) ? m : NULL, i, e) {
				char *ep = ptr_index(mp, i), *ew = bh_asprintf("%s[%zu]", mw, i);
				const char *op = bh_json_str(e, "operator");
				json_t *vals = json_object_get(e, "values");

				if (!json_is_object(e) || !bh_json_str(e, "key")) {
					vproblem(v, ep, false,
						 "%s: expected {key, operator, values}", ew);
				} else if (!op || !in_choices(op, "In NotIn Exists DoesNotExist")) {
					vproblem(v, ep, false,
						 "%s: operator must be In, NotIn, Exists or "
						 "DoesNotExist",
						 ew);
				} else if ((!strcmp(op, "In") || !strcmp(op, "NotIn")) &&
					   (!json_is_array(vals) || !json_array_size(vals))) {
					vproblem(v, ep, false, "%s: %s needs a list of values", ew,
						 op);
				} else if ((!strcmp(op, "Exists") || !strcmp(op, "DoesNotExist")) &&
					   vals && json_array_size(vals)) {
					vproblem(v, ep, false, "%s: %s takes no values", ew, op);
				} else if (vals) {
					char *vp = ptr_join(ep, "values");
					char *vw = bh_asprintf("%s.values", ew);

					check_strs(v, vals, vp, vw, NULL, NULL);
					free(vp);
					free(vw);
				}
				free(ep);
				free(ew);
			}
		} else {
			vproblem(v, mp, true,
				 "%s: unknown member '%s' (known: matchLabels, "
				 "matchExpressions)",
				 what, k);
		}
		free(mp);
		free(mw);
	}
}

static void check_members(struct vctx *v, const json_t *obj, const char *ptr, const char *what,
			  const struct pol_field *fields, const char *extra_known);

static const struct pol_field ignore_fields[] = {
	F("id", PF_STR),
	F("expires", PF_STR),
	F("reason", PF_STR),
	{ .name = NULL },
};

static const struct pol_field exempt_fields[] = {
	F("namespaces", PF_STRS),
	F("usernames", PF_STRS),
	F("runtimeClasses", PF_STRS),
	{ .name = NULL },
};

static void check_value(struct vctx *v, const struct pol_field *f, const json_t *val,
			const char *ptr, const char *what)
{
	switch (f->type) {
	case PF_STR:
		if (!json_is_string(val))
			vproblem(v, ptr, false, "%s: expected a string, got %s", what, jtype(val));
		break;
	case PF_BOOL:
		if (!json_is_boolean(val))
			vproblem(v, ptr, false, "%s: expected true or false, got %s", what,
				 jtype(val));
		break;
	case PF_INT:
		if (!json_is_integer(val))
			vproblem(v, ptr, false, "%s: expected an integer, got %s", what,
				 jtype(val));
		else if ((double)json_integer_value(val) < f->min ||
			 (double)json_integer_value(val) > f->max)
			vproblem(v, ptr, false, "%s: %lld is not in %.0f..%.0f", what,
				 (long long)json_integer_value(val), f->min, f->max);
		break;
	case PF_NUM: {
		/* YAML floats arrive as strings ("7.5"): the whole string must be the number */
		char *end = NULL;
		double d = json_is_number(val)	 ? json_number_value(val)
			   : json_is_string(val) ? strtod(json_string_value(val), &end)
						 : 0;

		if (!json_is_number(val) &&
		    !(json_is_string(val) && bh_isdigit(json_string_value(val)[0]) && end && !*end))
			vproblem(v, ptr, false, "%s: expected a number, got %s", what, jtype(val));
		else if (d < f->min || d > f->max)
			vproblem(v, ptr, false, "%s: %g is not in %g..%g", what, d, f->min, f->max);
		break;
	}
	case PF_ENUM:
		if (!json_is_string(val))
			vproblem(v, ptr, false, "%s: expected one of %s, got %s", what, f->choices,
				 jtype(val));
		else if (!in_choices(json_string_value(val), f->choices))
			vproblem(v, ptr, false, "%s: '%s' is not one of: %s", what,
				 json_string_value(val), f->choices);
		break;
	case PF_ENUMS: check_strs(v, val, ptr, what, each_choice, f->choices); break;
	case PF_STRS: check_strs(v, val, ptr, what, NULL, NULL); break;
	case PF_GLOBS: check_strs(v, val, ptr, what, each_glob, NULL); break;
	case PF_DIGESTS: check_strs(v, val, ptr, what, each_digest, NULL); break;
	case PF_KEYS:
		if (check_strs(v, val, ptr, what, each_key, NULL) && !json_array_size(val))
			vproblem(v, ptr, false, "%s: at least one key is needed", what);
		break;
	case PF_FILES: check_strs(v, val, ptr, what, each_file, NULL); break;
	case PF_DURATION:
		if (!json_is_string(val) || pol_duration_parse(json_string_value(val)) < 0)
			vproblem(v, ptr, false,
				 "%s: expected a duration (a number and s, m, h, d or w: \"90d\")",
				 what);
		break;
	case PF_VERSION:
		if (!json_is_string(val) ||
		    bh_pss_parse_version(json_string_value(val), &(int64_t){ 0 }) < 0)
			vproblem(v, ptr, false, "%s: must be \"latest\" or \"v1.x\"", what);
		break;
	case PF_STRMAP:
		if (!json_is_object(val)) {
			vproblem(v, ptr, false, "%s: expected an object, got %s", what, jtype(val));
		} else {
			const char *k;
			json_t *m;

			json_object_foreach ((json_t *)val, k, m) {
				if (!json_is_string(m)) {
					char *mp = ptr_join(ptr, k);

					vproblem(v, mp, false,
						 "%s[\"%s\"]: expected a string, got %s", what, k,
						 jtype(m));
					free(mp);
				}
			}
		}
		break;
	case PF_SELECTOR: check_selector(v, val, ptr, what); break;
	case PF_BOOL_OR_STRS:
		if (!json_is_boolean(val))
			check_strs(v, val, ptr, what, NULL, NULL);
		break;
	case PF_BOOL_OR_GLOBS:
		if (!json_is_boolean(val))
			check_strs(v, val, ptr, what, each_glob, NULL);
		break;
	case PF_IGNORES: {
		size_t i;
		json_t *e;

		if (!json_is_array(val)) {
			vproblem(v, ptr, false, "%s: expected a list, got %s", what, jtype(val));
			break;
		}
		json_array_foreach (val, i, e) {
			char *ep = ptr_index(ptr, i), *ew = bh_asprintf("%s[%zu]", what, i);
			const char *exp = bh_json_str(e, "expires");

			if (!json_is_object(e) || !bh_json_str(e, "id")) {
				vproblem(v, ep, false, "%s: expected {id, expires, reason}", ew);
			} else {
				check_members(v, e, ep, ew, ignore_fields, NULL);
				if (exp && bh_time_parse(exp, true, &(int64_t){ 0 }, NULL) < 0) {
					char *xp = ptr_join(ep, "expires");

					vproblem(v, xp, false,
						 "%s.expires: '%s' is not a date (YYYY-MM-DD)", ew,
						 exp);
					free(xp);
				}
			}
			free(ep);
			free(ew);
		}
		break;
	}
	case PF_EXEMPT:
		if (!json_is_object(val))
			vproblem(v, ptr, false, "%s: expected an object, got %s", what, jtype(val));
		else
			check_members(v, val, ptr, what, exempt_fields, NULL);
		break;
	}
}

static const struct pol_field *find_field(const struct pol_field *fields, const char *name)
{
	for (; fields && fields->name; fields++)
		if (!strcmp(fields->name, name))
			return fields;
	return NULL;
}

static void known_list(struct bh_buf *b, const struct pol_field *fields, const char *extra)
{
	for (const struct pol_field *f = fields; f && f->name; f++)
		bh_buf_addf(b, NULL, "%s%s", b->len ? ", " : "", f->name);
	if (extra)
		bh_buf_addf(b, NULL, "%s%s", b->len ? ", " : "", extra);
}

/* Every member of obj: a known field of the right type. `extra_known`
 * (comma separated) are members the caller checks itself. */
static void check_members(struct vctx *v, const json_t *obj, const char *ptr, const char *what,
			  const struct pol_field *fields, const char *extra_known)
{
	const char *k;
	json_t *m;

	json_object_foreach ((json_t *)obj, k, m) {
		const struct pol_field *f = find_field(fields, k);
		char *mp = ptr_join(ptr, k);
		char *mw = what ? bh_asprintf("%s.%s", what, k) : bh_strdup(k);

		if (f) {
			check_value(v, f, m, mp, mw);
		} else if (!extra_known || !strstr(extra_known, k)) {
			struct bh_buf known = BH_BUF_INIT(4096);

			known_list(&known, fields, extra_known);
			vproblem(v, mp, true, "%s: unknown member (known: %s)", mw,
				 known.data ? known.data : "none");
			bh_buf_release(&known);
		}
		free(mp);
		free(mw);
	}
}

/* ---- rules as written ----------------------------------------------------------- */

static const struct pol_field rule_fields[] = {
	F("name", PF_STR),	  F("kind", PF_STR),	FE("action", PF_ENUM, "enforce audit warn"),
	F("description", PF_STR), F("section", PF_STR), F("disabled", PF_BOOL),
	{ .name = NULL },
};

static const struct pol_field scope_fields[] = {
	F("namespaces", PF_GLOBS),
	F("excludeNamespaces", PF_GLOBS),
	F("kinds", PF_STRS),
	F("labels", PF_STRMAP),
	F("labelSelector", PF_SELECTOR),
	F("namespaceSelector", PF_SELECTOR),
	F("images", PF_GLOBS),
	F("excludeImages", PF_GLOBS),
	FE("inputs", PF_ENUMS, "kubernetes runtime image"),
	{ .name = NULL },
};

static void check_rule(struct vctx *v, const json_t *rule, const char *ptr)
{
	const char *name = bh_json_str(rule, "name"), *kind = bh_json_str(rule, "kind");
	const struct pol_rule_kind *k = NULL;
	const json_t *scope = json_object_get(rule, "scope"),
		     *sec = json_object_get(rule, "section");
	struct bh_buf known = BH_BUF_INIT(4096);
	char *p;

	v->rule = name;
	if (!name) {
		p = ptr_join(ptr, "name");
		vproblem(v, json_object_get(rule, "name") ? p : ptr, false,
			 "a rule needs a name (a string)");
		free(p);
	} else if (!name_ok(name)) {
		p = ptr_join(ptr, "name");
		vproblem(v, p, false,
			 "the name must be lower-case letters, digits, '-', '_' and '.' (at most "
			 "128, starting and ending with a letter or digit)");
		free(p);
	}
	if (!kind) {
		vproblem(v, ptr, false, "a rule needs a kind (one of: %s)",
			 "imageProvenance, imageSignature, vulnerabilities, imageContent, "
			 "podSecurity, workload, placement");
	} else if (!(k = kind_by_name(kind))) {
		p = ptr_join(ptr, "kind");
		vproblem(v, p, false, "unknown rule kind '%s' (known: %s)", kind,
			 "imageProvenance, imageSignature, vulnerabilities, imageContent, "
			 "podSecurity, workload, placement");
		free(p);
	}
	if (json_is_string(sec) && !section_ok(json_string_value(sec))) {
		p = ptr_join(ptr, "section");
		vproblem(v, p, false, "section: '%s' is not a NIST SP 800-190 section (\"4.1.5\")",
			 json_string_value(sec));
		free(p);
	}
	/* the members: common ones, scope, and the kind's own */
	{
		const char *mk;
		json_t *m;

		json_object_foreach ((json_t *)rule, mk, m) {
			const struct pol_field *f = find_field(rule_fields, mk);
			char *mp = ptr_join(ptr, mk);

			/* null removes a member of an earlier definition (a merge patch) */
			if (json_is_null(m) && strcmp(mk, "name") && strcmp(mk, "kind") &&
			    (f || !strcmp(mk, "scope") || (k && find_field(k->fields, mk)))) {
				free(mp);
				continue;
			}
			if (f) {
				check_value(v, f, m, mp, mk);
			} else if (!strcmp(mk, "scope")) {
				if (!json_is_object(m))
					vproblem(v, mp, false, "scope: expected an object, got %s",
						 jtype(m));
				else
					check_members(v, scope, mp, "scope", scope_fields, NULL);
			} else if (k && (f = find_field(k->fields, mk))) {
				check_value(v, f, m, mp, mk);
			} else if (k) {
				bh_buf_reset(&known);
				known_list(&known, rule_fields, "scope");
				known_list(&known, k->fields, NULL);
				vproblem(v, mp, true,
					 "unknown member '%s' of a %s rule (known: %s)", mk,
					 k->name, known.data);
			}
			free(mp);
		}
	}
	bh_buf_release(&known);
	v->rule = NULL;
}

static int add_doc(struct bh_policy *p, struct vctx *v, const json_t *doc, size_t di)
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
		vproblem(v, ptr, false, "a policy document must be a mapping, got %s", jtype(doc));
		return 0;
	}
	if (!bh_json_str(doc, "apiVersion"))
		vproblem(v, ptr, false, "apiVersion: missing (expected %s)", API_VERSION);
	else if (strcmp(bh_json_str(doc, "apiVersion"), API_VERSION)) {
		char *pp = ptr_join(ptr, "apiVersion");

		vproblem(v, pp, false, "apiVersion: '%s' is not supported (expected %s)",
			 bh_json_str(doc, "apiVersion"), API_VERSION);
		free(pp);
	}
	if (!bh_json_str(doc, "kind") || strcmp(bh_json_str(doc, "kind"), "Policy")) {
		char *pp = ptr_join(ptr, "kind");

		vproblem(v, bh_json_str(doc, "kind") ? pp : ptr, false,
			 "kind: expected Policy, got %s",
			 bh_json_str(doc, "kind") ? bh_json_str(doc, "kind") : "nothing");
		free(pp);
	}
	json_object_foreach ((json_t *)doc, k, m) {
		if (!strcmp(k, "apiVersion") || !strcmp(k, "kind") || !strcmp(k, "metadata") ||
		    !strcmp(k, "spec"))
			continue;
		{
			char *pp = ptr_join(ptr, k);

			vproblem(v, pp, true,
				 "unknown member '%s' (known: apiVersion, kind, metadata, spec)",
				 k);
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
		char *pp = ptr_join(ptr, "metadata");

		if (!json_is_object(meta))
			vproblem(v, pp, false, "metadata: expected an object, got %s", jtype(meta));
		else
			check_members(v, meta, pp, "metadata", meta_fields, NULL);
		free(pp);
	}
	spec = json_object_get(doc, "spec");
	rules = bh_json_arr(spec, "rules");
	if (!json_is_object(spec) || !rules) {
		vproblem(v, ptr, false, "spec.rules: missing (a list of rules)");
		return 0;
	}
	json_object_foreach ((json_t *)spec, k, m) {
		if (strcmp(k, "rules")) {
			char *pp = bh_asprintf("%s/spec", ptr), *mp = ptr_join(pp, k);

			vproblem(v, mp, true, "spec: unknown member '%s' (known: rules)", k);
			free(pp);
			free(mp);
		}
	}
	if (json_array_size(rules) > BH_POLICY_RULES_MAX) {
		vproblem(v, ptr, false, "spec.rules: more than %d rules", BH_POLICY_RULES_MAX);
		return 0;
	}
	json_array_foreach (rules, i, rule) {
		char *rp = bh_asprintf("%s/spec/rules/%zu", ptr, i);
		size_t before = v->nproblems;

		if (!json_is_object(rule)) {
			vproblem(v, rp, false,
				 "spec.rules[%zu]: expected a rule (a mapping), got %s", i,
				 jtype(rule));
			free(rp);
			continue;
		}
		check_rule(v, rule, rp);
		/* the same name twice in one list is a mistake, not a refinement */
		for (size_t j = 0; j < i && bh_json_str(rule, "name"); j++) {
			const char *other = bh_json_str(json_array_get(rules, j), "name");

			if (other && !strcmp(other, bh_json_str(rule, "name"))) {
				char *np = ptr_join(rp, "name");

				v->rule = other;
				vproblem(v, np, false,
					 "defined twice in one list (first at rule %zu)", j + 1);
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
	struct vctx v = { diags, NULL, 0, NULL };
	struct bh_error *lerr = NULL;
	json_t *doc;
	size_t i;

	if (p->compiled)
		return bh_error_set(err, BH_ERR_USAGE, "the policy is already compiled");
	src = bh_calloc(1, sizeof(*src));
	src->name = bh_strdup(name);
	src->base_dir = base_dir ? bh_strdup(base_dir) : NULL;
	if (bh_yaml_parse_stream(buf, len, &lim, name, 64, &src->docs, &src->marks, &lerr) < 0) {
		char *m = bh_error_message(lerr);
		size_t line = 0, col = 0;
		const char *at = strstr(m, " at line ");

		/* the YAML error already names the place: split it out for the diagnostic */
		if (at && sscanf(at, " at line %zu column %zu", &line, &col) >= 1)
			diag_add(diags, name, line, col, m);
		else
			diag_add(diags, name, 0, 0, m);
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
		vproblem(&v, "", false, "no policy document");
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
		diag_add(diags, path, 0, 0, bh_error_message(lerr));
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
		ptr = ptr_join(def->pointer, member);
	} else {
		ptr = bh_strdup(def->pointer);
	}
	bh_yaml_mark_get(def->src->marks, ptr, false, &mk);
	free(ptr);
	bh_buf_addf(&b, NULL, "rule \"%s\": ", cc->rule);
	va_start(ap, fmt);
	bh_buf_vaddf(&b, NULL, fmt, ap);
	va_end(ap);
	diag_add(cc->d, def->src->name, mk.line, mk.column, bh_buf_detach(&b, NULL));
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
					{ NULL, compile_problem, NULL }, diags, c, d->name, 0
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
			{ c->last->src->base_dir, compile_problem, NULL }, diags, c, name, 0
		};
		struct pol_rule *r = &p->rules[p->nrules];
		const struct pol_rule_kind *k = kind_by_name(bh_json_str(c->def, "kind"));
		const char *action = bh_json_str(c->def, "action");
		struct bh_yaml_mark mk = { 0, 0 };

		cc.pc.data = &cc;
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
