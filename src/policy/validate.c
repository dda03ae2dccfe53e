/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy files, member by member: every problem of a rule definition where
 * it is written (file, line, column), against the common members, the scope
 * and the rule kind's field table (types, enums, globs, durations, digests,
 * dates, selectors, keys and files it names). policy.c reads the documents
 * and composes what passes; the helpers the rule kinds share live here too.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulkhead/netpolicy.h"
#include "bulkhead/trust.h"
#include "policy/internal.h"
#include "banned.h"

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

void pol_diag_add(struct bh_policy_diags *d, const char *file, size_t line, size_t column,
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

void pol_vproblem(struct pol_vctx *v, const char *pointer, bool key, const char *fmt, ...)
	BH_PRINTF(4, 5);
void pol_vproblem(struct pol_vctx *v, const char *pointer, bool key, const char *fmt, ...)
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
	pol_diag_add(v->d, v->src->name, mk.line, mk.column, bh_buf_detach(&b, NULL));
	v->nproblems++;
}

/* "/a/b" + member -> "/a/b/member" (escaped); caller frees */
char *pol_ptr_join(const char *base, const char *member)
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

char *pol_ptr_index(const char *base, size_t i)
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

int pol_key_read(const char *v, const char *base_dir, char **pem, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(64 * 1024);
	char *path;

	*pem = NULL;
	if (bh_str_has_prefix(v, "-----BEGIN")) {
		*pem = bh_strdup(v);
		return 0;
	}
	path = pol_path_join(base_dir, v);
	if (bh_read_file(path, &b, err) < 0) {
		free(path);
		bh_buf_release(&b);
		return -1;
	}
	if (!b.data || !strstr(b.data, "-----BEGIN ")) {
		bh_error_set(err, BH_ERR_INVALID, "%s: not a PEM public key", path);
		free(path);
		bh_buf_release(&b);
		return -1;
	}
	free(path);
	*pem = bh_buf_detach(&b, NULL);
	return 0;
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

const char *pol_jtype(const json_t *v)
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

static void check_value(struct pol_vctx *v, const struct pol_field *f, const json_t *val,
			const char *ptr, const char *what);

/* A list whose every element is a string; each handed to `each`. */
static bool check_strs(struct pol_vctx *v, const json_t *val, const char *ptr, const char *what,
		       void (*each)(struct pol_vctx *, const char *, const char *, const char *,
				    const void *),
		       const void *arg)
{
	size_t i;
	json_t *e;

	if (!json_is_array(val)) {
		pol_vproblem(v, ptr, false, "%s: expected a list, got %s", what, pol_jtype(val));
		return false;
	}
	if (json_array_size(val) > POL_MAX_LIST) {
		pol_vproblem(v, ptr, false, "%s: more than %d entries", what, POL_MAX_LIST);
		return false;
	}
	json_array_foreach (val, i, e) {
		char *ep = pol_ptr_index(ptr, i), *ew = bh_asprintf("%s[%zu]", what, i);

		if (!json_is_string(e))
			pol_vproblem(v, ep, false, "%s: expected a string, got %s", ew,
				     pol_jtype(e));
		else if (each)
			each(v, json_string_value(e), ep, ew, arg);
		free(ep);
		free(ew);
	}
	return true;
}

static void each_net(struct pol_vctx *v, const char *s, const char *ptr, const char *what,
		     const void *arg)
{
	enum pol_ftype t = (enum pol_ftype)(uintptr_t)arg;
	const char *why = "";
	int r = t == PF_CIDRS	? bh_netpol_check_cidr(s, &why)
		: t == PF_PORTS ? bh_netpol_check_ports(s, &why)
				: bh_netpol_check_name(s, &why);

	if (r < 0)
		pol_vproblem(v, ptr, false, "%s: '%s': %s", what, s, why);
}

/* Ports: integers 0..65535, or strings ("443", "8000-8080"). */
static void check_ports(struct pol_vctx *v, const json_t *val, const char *ptr, const char *what)
{
	size_t i;
	json_t *e;

	if (!json_is_array(val)) {
		pol_vproblem(v, ptr, false, "%s: expected a list, got %s", what, pol_jtype(val));
		return;
	}
	if (json_array_size(val) > BH_NETPOL_LIST_MAX) {
		pol_vproblem(v, ptr, false, "%s: more than %d entries", what, BH_NETPOL_LIST_MAX);
		return;
	}
	json_array_foreach (val, i, e) {
		char *ep = pol_ptr_index(ptr, i), *ew = bh_asprintf("%s[%zu]", what, i);

		if (json_is_integer(e)) {
			if (json_integer_value(e) < 0 || json_integer_value(e) > 65535)
				pol_vproblem(v, ep, false, "%s: %lld is not a port (0-65535)", ew,
					     (long long)json_integer_value(e));
		} else if (json_is_string(e)) {
			each_net(v, json_string_value(e), ep, ew,
				 (const void *)(uintptr_t)PF_PORTS);
		} else {
			pol_vproblem(v, ep, false, "%s: expected a port, got %s", ew, pol_jtype(e));
		}
		free(ep);
		free(ew);
	}
}

static void each_glob(struct pol_vctx *v, const char *s, const char *ptr, const char *what,
		      const void *arg)
{
	struct pol_glob *g;
	char *why;

	if (pol_glob_compile(s, &g, &why) < 0) {
		pol_vproblem(v, ptr, false, "%s: '%s' is not a valid glob: %s", what, s, why);
		free(why);
		return;
	}
	pol_glob_free(g);
}

static void each_choice(struct pol_vctx *v, const char *s, const char *ptr, const char *what,
			const void *arg)
{
	if (!in_choices(s, arg))
		pol_vproblem(v, ptr, false, "%s: '%s' is not one of: %s", what, s,
			     (const char *)arg);
}

static void each_digest(struct pol_vctx *v, const char *s, const char *ptr, const char *what,
			const void *arg)
{
	if (bh_digest_parse(s, &(struct bh_digest){ 0 }, NULL) < 0)
		pol_vproblem(v, ptr, false, "%s: '%s' is not a digest (sha256:<64 hex>)", what, s);
}

static void each_key(struct pol_vctx *v, const char *s, const char *ptr, const char *what,
		     const void *arg)
{
	struct bh_error *err = NULL;
	struct bh_key *k = NULL;
	char *pem = NULL;

	if (v->defer_keys ? pol_key_read(s, v->src->base_dir, &pem, &err) < 0
			  : pol_key_load(s, v->src->base_dir, &k, &err) < 0) {
		char *m = bh_error_message(err);

		pol_vproblem(v, ptr, false, "%s: %s", what, m);
		free(m);
		bh_error_free(err);
	}
	free(pem);
	bh_key_free(k);
}

static void each_file(struct pol_vctx *v, const char *s, const char *ptr, const char *what,
		      const void *arg)
{
	char *path = pol_path_join(v->src->base_dir, s);

	if (access(path, R_OK) < 0)
		pol_vproblem(v, ptr, false, "%s: cannot read %s: %s", what, path, strerror(errno));
	free(path);
}

static const struct pol_field selector_fields[] = {
	F("matchLabels", PF_STRMAP),
	F("matchExpressions", PF_STR),
	{ .name = NULL },
};

static void check_selector(struct pol_vctx *v, const json_t *val, const char *ptr, const char *what)
{
	const char *k;
	json_t *m;

	if (!json_is_object(val)) {
		pol_vproblem(v, ptr, false, "%s: expected an object, got %s", what, pol_jtype(val));
		return;
	}
	json_object_foreach ((json_t *)val, k, m) {
		char *mp = pol_ptr_join(ptr, k), *mw = bh_asprintf("%s.%s", what, k);

		if (!strcmp(k, "matchLabels")) {
			check_value(v, &selector_fields[0], m, mp, mw);
		} else if (!strcmp(k, "matchExpressions")) {
			size_t i;
			json_t *e;

			if (!json_is_array(m))
				pol_vproblem(v, mp, false, "%s: expected a list, got %s", mw,
					     pol_jtype(m));
			json_array_foreach (json_is_array(m) ? m : NULL, i, e) {
				char *ep = pol_ptr_index(mp, i),
				     *ew = bh_asprintf("%s[%zu]", mw, i);
				const char *op = bh_json_str(e, "operator");
				json_t *vals = json_object_get(e, "values");

				if (!json_is_object(e) || !bh_json_str(e, "key")) {
					pol_vproblem(v, ep, false,
						     "%s: expected {key, operator, values}", ew);
				} else if (!op || !in_choices(op, "In NotIn Exists DoesNotExist")) {
					pol_vproblem(v, ep, false,
						     "%s: operator must be In, NotIn, Exists or "
						     "DoesNotExist",
						     ew);
				} else if ((!strcmp(op, "In") || !strcmp(op, "NotIn")) &&
					   (!json_is_array(vals) || !json_array_size(vals))) {
					pol_vproblem(v, ep, false, "%s: %s needs a list of values",
						     ew, op);
				} else if ((!strcmp(op, "Exists") || !strcmp(op, "DoesNotExist")) &&
					   vals && json_array_size(vals)) {
					pol_vproblem(v, ep, false, "%s: %s takes no values", ew,
						     op);
				} else if (vals) {
					char *vp = pol_ptr_join(ep, "values");
					char *vw = bh_asprintf("%s.values", ew);

					check_strs(v, vals, vp, vw, NULL, NULL);
					free(vp);
					free(vw);
				}
				free(ep);
				free(ew);
			}
		} else {
			pol_vproblem(v, mp, true,
				     "%s: unknown member '%s' (known: matchLabels, "
				     "matchExpressions)",
				     what, k);
		}
		free(mp);
		free(mw);
	}
}

void pol_check_members(struct pol_vctx *v, const json_t *obj, const char *ptr, const char *what,
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

static void check_value(struct pol_vctx *v, const struct pol_field *f, const json_t *val,
			const char *ptr, const char *what)
{
	switch (f->type) {
	case PF_STR:
		if (!json_is_string(val))
			pol_vproblem(v, ptr, false, "%s: expected a string, got %s", what,
				     pol_jtype(val));
		break;
	case PF_BOOL:
		if (!json_is_boolean(val))
			pol_vproblem(v, ptr, false, "%s: expected true or false, got %s", what,
				     pol_jtype(val));
		break;
	case PF_INT:
		if (!json_is_integer(val))
			pol_vproblem(v, ptr, false, "%s: expected an integer, got %s", what,
				     pol_jtype(val));
		else if ((double)json_integer_value(val) < f->min ||
			 (double)json_integer_value(val) > f->max)
			pol_vproblem(v, ptr, false, "%s: %lld is not in %.0f..%.0f", what,
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
			pol_vproblem(v, ptr, false, "%s: expected a number, got %s", what,
				     pol_jtype(val));
		else if (d < f->min || d > f->max)
			pol_vproblem(v, ptr, false, "%s: %g is not in %g..%g", what, d, f->min,
				     f->max);
		break;
	}
	case PF_ENUM:
		if (!json_is_string(val))
			pol_vproblem(v, ptr, false, "%s: expected one of %s, got %s", what,
				     f->choices, pol_jtype(val));
		else if (!in_choices(json_string_value(val), f->choices))
			pol_vproblem(v, ptr, false, "%s: '%s' is not one of: %s", what,
				     json_string_value(val), f->choices);
		break;
	case PF_ENUMS: check_strs(v, val, ptr, what, each_choice, f->choices); break;
	case PF_STRS: check_strs(v, val, ptr, what, NULL, NULL); break;
	case PF_CIDRS:
	case PF_DNSNAMES:
		check_strs(v, val, ptr, what, each_net, (const void *)(uintptr_t)f->type);
		break;
	case PF_PORTS: check_ports(v, val, ptr, what); break;
	case PF_GLOBS: check_strs(v, val, ptr, what, each_glob, NULL); break;
	case PF_DIGESTS: check_strs(v, val, ptr, what, each_digest, NULL); break;
	case PF_KEYS:
		if (check_strs(v, val, ptr, what, each_key, NULL) && !json_array_size(val))
			pol_vproblem(v, ptr, false, "%s: at least one key is needed", what);
		break;
	case PF_FILES: check_strs(v, val, ptr, what, each_file, NULL); break;
	case PF_DURATION:
		if (!json_is_string(val) || pol_duration_parse(json_string_value(val)) < 0)
			pol_vproblem(
				v, ptr, false,
				"%s: expected a duration (a number and s, m, h, d or w: \"90d\")",
				what);
		break;
	case PF_VERSION:
		if (!json_is_string(val) ||
		    bh_pss_parse_version(json_string_value(val), &(int64_t){ 0 }) < 0)
			pol_vproblem(v, ptr, false, "%s: must be \"latest\" or \"v1.x\"", what);
		break;
	case PF_STRMAP:
		if (!json_is_object(val)) {
			pol_vproblem(v, ptr, false, "%s: expected an object, got %s", what,
				     pol_jtype(val));
		} else {
			const char *k;
			json_t *m;

			json_object_foreach ((json_t *)val, k, m) {
				if (!json_is_string(m)) {
					char *mp = pol_ptr_join(ptr, k);

					pol_vproblem(v, mp, false,
						     "%s[\"%s\"]: expected a string, got %s", what,
						     k, pol_jtype(m));
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
			pol_vproblem(v, ptr, false, "%s: expected a list, got %s", what,
				     pol_jtype(val));
			break;
		}
		json_array_foreach (val, i, e) {
			char *ep = pol_ptr_index(ptr, i), *ew = bh_asprintf("%s[%zu]", what, i);
			const char *exp = bh_json_str(e, "expires");

			if (!json_is_object(e) || !bh_json_str(e, "id")) {
				pol_vproblem(v, ep, false, "%s: expected {id, expires, reason}",
					     ew);
			} else {
				pol_check_members(v, e, ep, ew, ignore_fields, NULL);
				if (exp && bh_time_parse(exp, true, &(int64_t){ 0 }, NULL) < 0) {
					char *xp = pol_ptr_join(ep, "expires");

					pol_vproblem(v, xp, false,
						     "%s.expires: '%s' is not a date (YYYY-MM-DD)",
						     ew, exp);
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
			pol_vproblem(v, ptr, false, "%s: expected an object, got %s", what,
				     pol_jtype(val));
		else
			pol_check_members(v, val, ptr, what, exempt_fields, NULL);
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
void pol_check_members(struct pol_vctx *v, const json_t *obj, const char *ptr, const char *what,
		       const struct pol_field *fields, const char *extra_known)
{
	const char *k;
	json_t *m;

	json_object_foreach ((json_t *)obj, k, m) {
		const struct pol_field *f = find_field(fields, k);
		char *mp = pol_ptr_join(ptr, k);
		char *mw = what ? bh_asprintf("%s.%s", what, k) : bh_strdup(k);

		if (f) {
			check_value(v, f, m, mp, mw);
		} else if (!extra_known || !strstr(extra_known, k)) {
			struct bh_buf known = BH_BUF_INIT(4096);

			known_list(&known, fields, extra_known);
			pol_vproblem(v, mp, true, "%s: unknown member (known: %s)", mw,
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

void pol_check_rule(struct pol_vctx *v, const json_t *rule, const char *ptr)
{
	const char *name = bh_json_str(rule, "name"), *kind = bh_json_str(rule, "kind");
	const struct pol_rule_kind *k = NULL;
	const json_t *scope = json_object_get(rule, "scope"),
		     *sec = json_object_get(rule, "section");
	struct bh_buf known = BH_BUF_INIT(4096);
	char *p;

	v->rule = name;
	if (!name) {
		p = pol_ptr_join(ptr, "name");
		pol_vproblem(v, json_object_get(rule, "name") ? p : ptr, false,
			     "a rule needs a name (a string)");
		free(p);
	} else if (!name_ok(name)) {
		p = pol_ptr_join(ptr, "name");
		pol_vproblem(
			v, p, false,
			"the name must be lower-case letters, digits, '-', '_' and '.' (at most "
			"128, starting and ending with a letter or digit)");
		free(p);
	}
	if (!kind) {
		pol_vproblem(v, ptr, false, "a rule needs a kind (one of: %s)",
			     "imageProvenance, imageSignature, vulnerabilities, imageContent, "
			     "podSecurity, workload, placement, networkGroup, network");
	} else if (!(k = pol_kind_by_name(kind))) {
		p = pol_ptr_join(ptr, "kind");
		pol_vproblem(v, p, false, "unknown rule kind '%s' (known: %s)", kind,
			     "imageProvenance, imageSignature, vulnerabilities, imageContent, "
			     "podSecurity, workload, placement, networkGroup, network");
		free(p);
	}
	if (json_is_string(sec) && !section_ok(json_string_value(sec))) {
		p = pol_ptr_join(ptr, "section");
		pol_vproblem(v, p, false,
			     "section: '%s' is not a NIST SP 800-190 section (\"4.1.5\")",
			     json_string_value(sec));
		free(p);
	}
	/* the members: common ones, scope, and the kind's own */
	{
		const char *mk;
		json_t *m;

		json_object_foreach ((json_t *)rule, mk, m) {
			const struct pol_field *f = find_field(rule_fields, mk);
			char *mp = pol_ptr_join(ptr, mk);

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
					pol_vproblem(v, mp, false,
						     "scope: expected an object, got %s",
						     pol_jtype(m));
				else
					pol_check_members(v, scope, mp, "scope", scope_fields,
							  NULL);
			} else if (k && (f = find_field(k->fields, mk))) {
				check_value(v, f, m, mp, mk);
			} else if (k) {
				bh_buf_reset(&known);
				known_list(&known, rule_fields, "scope");
				known_list(&known, k->fields, NULL);
				pol_vproblem(v, mp, true,
					     "unknown member '%s' of a %s rule (known: %s)", mk,
					     k->name, known.data);
			}
			free(mp);
		}
	}
	bh_buf_release(&known);
	v->rule = NULL;
}
