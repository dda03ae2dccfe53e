/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compiling a rule set: each macro parsed and checked once on its own (its
 * problems reported at its definition), then each rule's condition parsed,
 * macros expanded (a cycle is an error naming the path), list names in
 * value lists expanded (bounded, cycles refused), every field looked up in
 * the field table, every operator checked against the field's type, every
 * value typed; exceptions become "and not (...)"; the output template's
 * fields looked up. Then the event types each condition may hold for are
 * worked out (an evt.type comparison narrows them, `not` and `or` are
 * followed exactly), a rule that can hold for none is an error, and the
 * per-type index that bh_rules_match walks is built.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"
#include "banned.h"

#define ALL_TYPES (((uint64_t)1 << BH_MON_TYPE_COUNT) - 2) /* bits 1..COUNT-1 */

struct cctx {
	struct bh_rules *rs;
	struct bh_rules_diags *d;
	struct rules_item *item; /* whose problems these are */
	enum bh_rules_severity sev;
	int quiet;    /* inside a macro already checked: report nothing */
	bool failed;  /* an error (not a warning) */
	bool unknown; /* an unknown field or operator */
	int depth;
	size_t nodes; /* terms compiled for this rule or macro */
	int tree_depth;
	bool tree_reported;
};

static void cdiag(struct cctx *cx, bool is_unknown, const struct rules_pos *pos, const char *fmt,
		  ...) BH_PRINTF(4, 5);
static void cdiag(struct cctx *cx, bool is_unknown, const struct rules_pos *pos, const char *fmt,
		  ...)
{
	enum bh_rules_severity sev = cx->sev;
	va_list ap;
	char *m;

	if (is_unknown) {
		cx->unknown = true;
		if (cx->item && cx->item->skip_unknown)
			sev = BH_RULES_DIAG_WARNING;
	}
	if (sev == BH_RULES_DIAG_ERROR)
		cx->failed = true;
	if (cx->quiet)
		return;
	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (is_unknown && sev == BH_RULES_DIAG_WARNING && cx->item && cx->item->skip_unknown)
		rules_diag(cx->rs, cx->d, sev, pos, cx->item,
			   "%s (skip-if-unknown-filter: the rule is skipped)", m);
	else
		rules_diag(cx->rs, cx->d, sev, pos, cx->item, "%s", m);
	free(m);
}

static void cwarn(struct cctx *cx, const struct rules_pos *pos, const char *fmt, ...)
	BH_PRINTF(3, 4);
static void cwarn(struct cctx *cx, const struct rules_pos *pos, const char *fmt, ...)
{
	va_list ap;
	char *m;

	if (cx->quiet)
		return;
	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		abort();
	va_end(ap);
	rules_diag(cx->rs, cx->d, BH_RULES_DIAG_WARNING, pos, cx->item, "%s", m);
	free(m);
}

/* ---- expressions ------------------------------------------------------------------- */

void rules_expr_free(struct rules_expr *e)
{
	if (!e)
		return;
	rules_expr_free(e->a);
	rules_expr_free(e->b);
	for (size_t i = 0; i < e->nvals; i++)
		free(e->vals[i].s);
	free(e->vals);
	free(e);
}

static struct rules_expr *expr_new(enum rules_expr_kind k)
{
	struct rules_expr *e = bh_calloc(1, sizeof(*e));

	e->kind = k;
	return e;
}

static struct rules_expr *expr_bin(enum rules_expr_kind k, struct rules_expr *a,
				   struct rules_expr *b)
{
	struct rules_expr *e;

	if (!a || !b) {
		rules_expr_free(a);
		rules_expr_free(b);
		return NULL;
	}
	e = expr_new(k);
	e->a = a;
	e->b = b;
	return e;
}

static const struct {
	const char *name;
	int op; /* -1: not served */
} ops[] = {
	{ "=", RULES_OP_EQ },
	{ "==", RULES_OP_EQ },
	{ "!=", RULES_OP_NE },
	{ "<", RULES_OP_LT },
	{ "<=", RULES_OP_LE },
	{ ">", RULES_OP_GT },
	{ ">=", RULES_OP_GE },
	{ "contains", RULES_OP_CONTAINS },
	{ "icontains", RULES_OP_ICONTAINS },
	{ "bcontains", RULES_OP_BCONTAINS },
	{ "startswith", RULES_OP_STARTSWITH },
	{ "endswith", RULES_OP_ENDSWITH },
	{ "glob", RULES_OP_GLOB },
	{ "in", RULES_OP_IN },
	{ "intersects", RULES_OP_INTERSECTS },
	{ "pmatch", RULES_OP_PMATCH },
	{ "exists", RULES_OP_EXISTS },
	{ "bstartswith", -1 },
	{ "iglob", -1 },
	{ "regex", -1 },
};

static bool op_takes_list(enum rules_op op)
{
	return op == RULES_OP_IN || op == RULES_OP_INTERSECTS || op == RULES_OP_PMATCH;
}

/* Which operators apply to which field types. */
static bool op_applies(enum rules_op op, enum rules_ftype t)
{
	switch (op) {
	case RULES_OP_EQ:
	case RULES_OP_NE:
	case RULES_OP_IN:
	case RULES_OP_INTERSECTS:
	case RULES_OP_EXISTS: return true;
	case RULES_OP_LT:
	case RULES_OP_LE:
	case RULES_OP_GT:
	case RULES_OP_GE: return t == RULES_T_NUMBER || t == RULES_T_PORT;
	case RULES_OP_CONTAINS:
	case RULES_OP_ICONTAINS:
	case RULES_OP_BCONTAINS:
	case RULES_OP_STARTSWITH:
	case RULES_OP_ENDSWITH:
	case RULES_OP_GLOB:
	case RULES_OP_PMATCH: return t == RULES_T_STRING;
	}
	return false;
}

/* An address or a CIDR network. */
static bool parse_ip(const char *s, struct rules_val *v, bool net)
{
	char buf[64];
	const char *sl = strchr(s, '/');
	size_t n = sl ? (size_t)(sl - s) : strlen(s);
	unsigned long bits;
	char *end;

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	memset(v->ip, 0, sizeof(v->ip));
	if (inet_pton(AF_INET, buf, v->ip) == 1)
		v->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, v->ip) == 1)
		v->family = AF_INET6;
	else
		return false;
	v->prefix = v->family == AF_INET ? 32 : 128;
	if (sl) {
		if (!bh_isdigit(sl[1]))
			return false;
		errno = 0;
		bits = strtoul(sl + 1, &end, 10);
		if (errno || *end || bits > v->prefix)
			return false;
		v->prefix = (uint8_t)bits;
	}
	(void)net;
	return true;
}

/* Type one value for the field and operator. */
static bool type_value(struct cctx *cx, const struct rules_field *f, enum rules_op op,
		       const char *s, const struct rules_pos *pos, struct rules_val *v)
{
	char *end;

	memset(v, 0, sizeof(*v));
	switch (f->type) {
	case RULES_T_STRING:
		if (op == RULES_OP_BCONTAINS) {
			size_t n = strlen(s);

			if (n == 0 || n % 2) {
				cdiag(cx, false, pos,
				      "bcontains: '%s' is not an even number of hex digits", s);
				return false;
			}
			v->s = bh_malloc(n / 2 + 1);
			if (bh_hex_decode(s, n, BH_HEX_ANY_CASE, v->s, n / 2) != (ssize_t)(n / 2)) {
				cdiag(cx, false, pos, "bcontains: '%s' is not hex", s);
				free(v->s);
				v->s = NULL;
				return false;
			}
			v->len = n / 2;
			v->s[v->len] = 0;
			return true;
		}
		v->s = bh_strdup(s);
		v->len = strlen(s);
		if (op == RULES_OP_ICONTAINS)
			for (size_t i = 0; i < v->len; i++)
				v->s[i] = (char)bh_tolower(v->s[i]);
		if (op == RULES_OP_PMATCH)
			while (v->len > 1 && v->s[v->len - 1] == '/')
				v->s[--v->len] = 0;
		return true;
	case RULES_T_NUMBER:
	case RULES_T_PORT: {
		long long n;

		errno = 0;
		n = strtoll(s, &end, 0);
		if (!*s || errno || *end || (f->type == RULES_T_PORT && (n < 0 || n > 65535))) {
			cdiag(cx, false, pos, "%s: expected a %s, got '%s'", f->name,
			      f->type == RULES_T_PORT ? "port (0-65535)" : "number", s);
			return false;
		}
		v->n = n;
		return true;
	}
	case RULES_T_BOOL:
		if (!strcmp(s, "true"))
			v->n = 1;
		else if (!strcmp(s, "false"))
			v->n = 0;
		else {
			cdiag(cx, false, pos, "%s: expected true or false, got '%s'", f->name, s);
			return false;
		}
		return true;
	case RULES_T_IP:
	case RULES_T_IPNET:
		if (!parse_ip(s, v, f->type == RULES_T_IPNET)) {
			cdiag(cx, false, pos, "%s: expected an IP address%s, got '%s'", f->name,
			      " or a network (CIDR)", s);
			return false;
		}
		return true;
	}
	return false;
}

/* Expand list names among values into out (bounded; cycles refused). */
static int expand_values(struct cctx *cx, const char *s, bool quoted, struct rules_pos pos,
			 struct bh_strvec *out, struct bh_strvec *where_unused)
{
	struct rules_item *l =
		quoted ? NULL : bh_map_get(cx->rs->by_name[RULES_LIST], s, strlen(s));

	(void)where_unused;
	if (!l) {
		if (out->n >= BH_RULES_LIST_MAX) {
			cdiag(cx, false, &pos, "more than %d values in a list (lists expanded)",
			      BH_RULES_LIST_MAX);
			return -1;
		}
		bh_strvec_push(out, s);
		return 0;
	}
	if (l->visiting) {
		cdiag(cx, false, &pos, "list '%s' includes itself", s);
		return -1;
	}
	if (l->bad) {
		cdiag(cx, false, &pos, "list '%s' has errors", s);
		return -1;
	}
	l->visiting = 1;
	for (size_t i = 0; i < l->nitems; i++)
		if (expand_values(cx, l->items[i].s, false, l->items[i].pos, out, NULL) < 0) {
			l->visiting = 0;
			return -1;
		}
	l->visiting = 0;
	return 0;
}

/* The evt.type values of a comparison, for the never-match analysis. */
static void check_evt_type(struct cctx *cx, struct rules_expr *e, const struct rules_pos *pos)
{
	for (size_t i = 0; i < e->nvals; i++)
		if (bh_mon_type_parse(e->vals[i].s) == BH_MON_NONE)
			cwarn(cx, pos,
			      "bulkhead's monitor does not produce event type '%s': the comparison "
			      "never holds for it",
			      e->vals[i].s);
}

/* A comparison from its parts (the condition's tree or an exception). */
static struct rules_expr *make_cmp(struct cctx *cx, const char *name, const char *arg,
				   const char *opname, char **vals, size_t nvals,
				   const struct rules_pos *pos, const struct rules_pos *oppos)
{
	const struct rules_field *f = rules_field_find(name);
	struct rules_expr *e;
	int op = -2, argn = -1;

	if (!f) {
		cdiag(cx, true, pos, "unknown field '%s'", name);
		return NULL;
	}
	if (arg) {
		char *end;
		long n;

		if (f->arg == RULES_ARG_NONE) {
			cdiag(cx, true, pos, "field '%s' takes no argument ([%s])", name, arg);
			return NULL;
		}
		errno = 0;
		n = strtol(arg, &end, 10);
		if (!bh_isdigit(*arg) || *end || errno || n < 0 || n > BH_MON_ANCESTORS_MAX) {
			cdiag(cx, false, pos, "%s[%s]: expected an index from 0 to %d", name, arg,
			      BH_MON_ANCESTORS_MAX);
			return NULL;
		}
		argn = (int)n;
	} else if (f->arg == RULES_ARG_REQ) {
		cdiag(cx, false, pos, "field '%s' needs an argument ([N])", name);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(ops[i].name, opname))
			op = ops[i].op;
	if (op == -2 || op == -1) {
		cdiag(cx, true, oppos, "operator '%s' is not supported", opname);
		return NULL;
	}
	if (!op_applies((enum rules_op)op, f->type)) {
		cdiag(cx, false, oppos, "operator '%s' does not apply to %s field '%s'", opname,
		      rules_ftype_name(f->type), name);
		return NULL;
	}
	if (op_takes_list((enum rules_op)op) && f->type == RULES_T_BOOL) {
		cdiag(cx, false, oppos, "operator '%s' does not apply to bool field '%s'", opname,
		      name);
		return NULL;
	}
	e = expr_new(RULES_E_CMP);
	e->field = f;
	e->arg = argn;
	e->op = (enum rules_op)op;
	if (nvals)
		e->vals = bh_calloc(nvals, sizeof(*e->vals));
	for (size_t i = 0; i < nvals; i++) {
		if (!type_value(cx, f, e->op, vals[i], pos, &e->vals[e->nvals])) {
			rules_expr_free(e);
			return NULL;
		}
		e->nvals++;
	}
	if (!strcmp(f->name, "evt.type"))
		check_evt_type(cx, e, pos);
	return e;
}

static struct rules_expr *compile_ast(struct cctx *cx, const struct rules_ast *a);

static int macro_parse(struct cctx *cx, struct rules_item *m)
{
	char msg[256];
	struct rules_pos where;

	if (m->parsed)
		return m->parse_failed ? -1 : 0;
	m->parsed = true;
	if (!m->cond.s || rules_parse(&m->cond, &m->ast, msg, sizeof(msg), &where) < 0) {
		struct rules_item *saved = cx->item;

		m->parse_failed = true;
		if (m->cond.s) {
			cx->item = m;
			rules_diag(cx->rs, cx->d, BH_RULES_DIAG_ERROR, &where, m, "%s", msg);
			cx->item = saved;
		}
		return -1;
	}
	return 0;
}

/* Compile a macro on its own, once, its problems reported at its definition. */
static void check_macro(struct cctx *cx, struct rules_item *m)
{
	struct cctx saved = *cx;
	struct rules_expr *e = NULL;

	cx->item = m;
	cx->sev = BH_RULES_DIAG_ERROR;
	cx->failed = cx->unknown = false;
	cx->quiet = 0;
	cx->nodes = 0;
	cx->tree_depth = 0;
	cx->tree_reported = false;
	m->checked = true;
	if (macro_parse(cx, m) < 0) {
		m->check_failed = true;
	} else {
		m->visiting = 1;
		cx->depth++;
		e = compile_ast(cx, m->ast);
		m->visiting = 0;
		m->check_failed = !e || cx->failed;
		m->check_unknown = cx->unknown;
		rules_expr_free(e);
	}
	*cx = saved;
}

static struct rules_expr *expand_macro(struct cctx *cx, const struct rules_ast *a)
{
	struct rules_item *m = bh_map_get(cx->rs->by_name[RULES_MACRO], a->name, strlen(a->name));
	struct rules_expr *e;

	if (!m) {
		cdiag(cx, true, &a->pos, "undefined macro '%s' (or a field without an operator)",
		      a->name);
		return NULL;
	}
	if (m->visiting) {
		cdiag(cx, false, &a->pos, "macro '%s' refers to itself (a cycle)", a->name);
		return NULL;
	}
	if (cx->depth >= BH_RULES_DEPTH_MAX) {
		cdiag(cx, false, &a->pos, "macros nest deeper than %d", BH_RULES_DEPTH_MAX);
		return NULL;
	}
	if (!m->bad && !m->checked)
		check_macro(cx, m);
	if (m->bad || m->check_failed) {
		cdiag(cx, m->check_unknown, &a->pos, "macro '%s' has errors", a->name);
		return NULL;
	}
	m->visiting = 1;
	cx->depth++;
	cx->quiet++;
	e = compile_ast(cx, m->ast);
	cx->quiet--;
	cx->depth--;
	m->visiting = 0;
	if (!e)
		cdiag(cx, false, &a->pos, "macro '%s' has errors", a->name);
	return e;
}

/* How deep a compiled tree may be (chains of and/or included, macros expanded):
 * evaluation recurses along it, on whatever stack the monitor's threads have. */
#define TREE_DEPTH_MAX 2048

static struct rules_expr *compile_node(struct cctx *cx, const struct rules_ast *a);

static struct rules_expr *compile_ast(struct cctx *cx, const struct rules_ast *a)
{
	struct rules_expr *e;

	if (cx->tree_depth >= TREE_DEPTH_MAX) {
		int quiet = cx->quiet;

		cx->quiet = 0;
		if (!cx->tree_reported)
			cdiag(cx, false, &a->pos,
			      "the condition is nested or chained deeper than %d terms (macros "
			      "expanded)",
			      TREE_DEPTH_MAX);
		cx->tree_reported = true;
		cx->quiet = quiet;
		return NULL;
	}
	cx->tree_depth++;
	e = compile_node(cx, a);
	cx->tree_depth--;
	return e;
}

static struct rules_expr *compile_node(struct cctx *cx, const struct rules_ast *a)
{
	struct rules_expr *e = NULL;

	if (++cx->nodes > BH_RULES_NODES_MAX) {
		int quiet = cx->quiet;

		cx->quiet = 0; /* said even inside a macro: it is this item's size */
		if (cx->nodes == BH_RULES_NODES_MAX + 1)
			cdiag(cx, false, &a->pos,
			      "the condition expands to more than %d terms (macros expanded)",
			      BH_RULES_NODES_MAX);
		cx->quiet = quiet;
		return NULL;
	}
	switch (a->kind) {
	case RULES_A_AND:
	case RULES_A_OR: {
		struct rules_expr *l = compile_ast(cx, a->a), *r = compile_ast(cx, a->b);

		return expr_bin(a->kind == RULES_A_AND ? RULES_E_AND : RULES_E_OR, l, r);
	}
	case RULES_A_NOT:
		e = compile_ast(cx, a->a);
		if (!e)
			return NULL;
		{
			struct rules_expr *n = expr_new(RULES_E_NOT);

			n->a = e;
			return n;
		}
	case RULES_A_REF: return expand_macro(cx, a);
	case RULES_A_CMP: {
		struct bh_strvec vals = BH_STRVEC_INIT;

		for (size_t i = 0; i < a->nvals; i++) {
			if (a->has_list) {
				if (expand_values(cx, a->vals[i].s, a->vals[i].quoted,
						  a->vals[i].pos, &vals, NULL) < 0) {
					bh_strvec_release(&vals);
					return NULL;
				}
			} else {
				bh_strvec_push(&vals, a->vals[i].s);
			}
		}
		e = make_cmp(cx, a->name, a->arg, a->op, vals.v, vals.n, &a->pos, &a->oppos);
		bh_strvec_release(&vals);
		return e;
	}
	}
	return NULL;
}

/* ---- exceptions ------------------------------------------------------------------- */

static char *json_scalar(const json_t *v)
{
	if (json_is_string(v))
		return bh_strdup(json_string_value(v));
	if (json_is_integer(v))
		return bh_asprintf("%lld", (long long)json_integer_value(v));
	if (json_is_boolean(v))
		return bh_strdup(json_is_true(v) ? "true" : "false");
	return NULL;
}

/* One comparison of an exception: field COMP value (value a scalar, a list,
 * or a list's name). */
static struct rules_expr *exc_cmp(struct cctx *cx, const struct rules_exc *x, const char *field,
				  const char *comp, const json_t *val)
{
	struct bh_strvec vals = BH_STRVEC_INIT;
	struct rules_expr *e = NULL;
	char *name = bh_strdup(field), *arg = NULL, *lb = strchr(name, '[');
	int op = -1;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(ops[i].name, comp))
			op = ops[i].op;
	if (lb && name[strlen(name) - 1] == ']') {
		*lb = 0;
		arg = bh_strndup(lb + 1, strlen(lb + 1) - 1);
	}
	if (json_is_array(val)) {
		size_t i;
		const json_t *v;

		json_array_foreach (val, i, v) {
			char *s = json_scalar(v);

			if (!s) {
				cdiag(cx, false, &x->pos, "exception '%s': values must be scalars",
				      x->name);
				goto out;
			}
			if (expand_values(cx, s, json_is_string(v) ? false : true, x->pos, &vals,
					  NULL) < 0) {
				free(s);
				goto out;
			}
			free(s);
		}
	} else {
		char *s = json_scalar(val);

		if (!s) {
			cdiag(cx, false, &x->pos, "exception '%s': values must be scalars or lists",
			      x->name);
			goto out;
		}
		if (op >= 0 && op_takes_list((enum rules_op)op)) {
			if (expand_values(cx, s, false, x->pos, &vals, NULL) < 0) {
				free(s);
				goto out;
			}
			free(s);
		} else {
			bh_strvec_push_take(&vals, s);
		}
	}
	if (op >= 0 && !op_takes_list((enum rules_op)op) && op != RULES_OP_EXISTS && vals.n != 1) {
		cdiag(cx, false, &x->pos, "exception '%s': operator '%s' takes one value", x->name,
		      comp);
		goto out;
	}
	e = make_cmp(cx, name, arg, comp, vals.v, vals.n, &x->pos, &x->pos);
out:
	bh_strvec_release(&vals);
	free(name);
	free(arg);
	return e;
}

static struct rules_expr *or_into(struct rules_expr *acc, struct rules_expr *e)
{
	return acc ? expr_bin(RULES_E_OR, acc, e) : e;
}

static struct rules_expr *compile_exception(struct cctx *cx, const struct rules_exc *x)
{
	struct rules_expr *acc = NULL;
	size_t i;
	json_t *v;

	if (!x->fields) {
		cdiag(cx, false, &x->pos, "exception '%s': fields is required", x->name);
		return NULL;
	}
	if (json_is_string(x->fields)) {
		const char *comp = x->comps ? json_string_value(x->comps) : "in";

		if (!comp) {
			cdiag(cx, false, &x->pos, "exception '%s': comps: expected one operator",
			      x->name);
			return NULL;
		}
		if (!json_array_size(x->values)) {
			struct rules_expr *f = expr_new(RULES_E_CONST);

			return f; /* no values: never excepts */
		}
		if (op_takes_list(!strcmp(comp, "in")		? RULES_OP_IN
				  : !strcmp(comp, "intersects") ? RULES_OP_INTERSECTS
				  : !strcmp(comp, "pmatch")	? RULES_OP_PMATCH
								: RULES_OP_EQ))
			return exc_cmp(cx, x, json_string_value(x->fields), comp, x->values);
		json_array_foreach (x->values, i, v) {
			struct rules_expr *e =
				exc_cmp(cx, x, json_string_value(x->fields), comp, v);

			if (!e) {
				rules_expr_free(acc);
				return NULL;
			}
			acc = or_into(acc, e);
		}
		return acc;
	}
	size_t nf = json_array_size(x->fields);

	if (!nf) {
		cdiag(cx, false, &x->pos, "exception '%s': fields is empty", x->name);
		return NULL;
	}
	if (x->comps && (!json_is_array(x->comps) || json_array_size(x->comps) != nf)) {
		cdiag(cx, false, &x->pos, "exception '%s': comps must list one operator per field",
		      x->name);
		return NULL;
	}
	for (size_t k = 0; k < nf; k++)
		if (!json_is_string(json_array_get(x->fields, k)) ||
		    (x->comps && !json_is_string(json_array_get(x->comps, k)))) {
			cdiag(cx, false, &x->pos,
			      "exception '%s': fields and comps must be strings", x->name);
			return NULL;
		}
	if (!json_array_size(x->values))
		return expr_new(RULES_E_CONST);
	json_array_foreach (x->values, i, v) {
		struct rules_expr *tuple = NULL;

		if (!json_is_array(v) || json_array_size(v) != nf) {
			cdiag(cx, false, &x->pos,
			      "exception '%s': values[%zu]: expected a list of %zu values (one per "
			      "field)",
			      x->name, i, nf);
			rules_expr_free(acc);
			return NULL;
		}
		for (size_t k = 0; k < nf; k++) {
			const char *comp =
				x->comps ? json_string_value(json_array_get(x->comps, k)) : "=";
			struct rules_expr *e =
				exc_cmp(cx, x, json_string_value(json_array_get(x->fields, k)),
					comp, json_array_get(v, k));

			if (!e) {
				rules_expr_free(tuple);
				rules_expr_free(acc);
				return NULL;
			}
			tuple = tuple ? expr_bin(RULES_E_AND, tuple, e) : e;
		}
		acc = or_into(acc, tuple);
	}
	return acc;
}

/* ---- the event types a condition may hold for ------------------------------------ */

/* The event types an evt.type comparison names (its values' bits; names
 * that are no type add none). */
uint64_t rules_expr_types(const struct rules_expr *e)
{
	uint64_t s = 0;

	for (size_t i = 0; i < e->nvals; i++) {
		enum bh_mon_type ty = bh_mon_type_parse(e->vals[i].s);

		if (ty != BH_MON_NONE)
			s |= BH_MON_TYPE_BIT(ty);
	}
	return s;
}

static void type_sets(const struct rules_expr *e, uint64_t *t, uint64_t *f)
{
	uint64_t at, af, bt, bf;

	switch (e->kind) {
	case RULES_E_CONST:
		*t = e->value ? ALL_TYPES : 0;
		*f = e->value ? 0 : ALL_TYPES;
		return;
	case RULES_E_NOT: type_sets(e->a, f, t); return;
	case RULES_E_AND:
		type_sets(e->a, &at, &af);
		type_sets(e->b, &bt, &bf);
		*t = at & bt;
		*f = af | bf;
		return;
	case RULES_E_OR:
		type_sets(e->a, &at, &af);
		type_sets(e->b, &bt, &bf);
		*t = at | bt;
		*f = af & bf;
		return;
	case RULES_E_CMP: break;
	}
	*t = *f = ALL_TYPES;
	if (strcmp(e->field->name, "evt.type") ||
	    !(e->op == RULES_OP_EQ || e->op == RULES_OP_NE || e->op == RULES_OP_IN ||
	      e->op == RULES_OP_INTERSECTS))
		return;
	uint64_t s = rules_expr_types(e);

	*t = e->op == RULES_OP_NE ? ALL_TYPES & ~s : s;
	*f = e->op == RULES_OP_NE ? s : ALL_TYPES & ~s;
}

/* ---- rules ---------------------------------------------------------------------------- */

static int cmp_prio(const void *pa, const void *pb)
{
	const struct rules_compiled *a = *(const struct rules_compiled *const *)pa,
				    *b = *(const struct rules_compiled *const *)pb;

	if (a->pub.priority != b->pub.priority)
		return (int)a->pub.priority - (int)b->pub.priority;
	return a->order < b->order ? -1 : a->order > b->order;
}

static void compile_rule(struct cctx *cx, struct rules_item *it)
{
	struct rules_ast *ast = NULL;
	struct rules_expr *e = NULL;
	struct rules_opart *out = NULL;
	size_t nout = 0;
	char msg[256];
	struct rules_pos where;
	uint64_t t, f;

	cx->item = it;
	cx->sev = it->enabled ? BH_RULES_DIAG_ERROR : BH_RULES_DIAG_WARNING;
	cx->failed = cx->unknown = false;
	cx->depth = 0;
	cx->nodes = 0;
	cx->tree_depth = 0;
	cx->tree_reported = false;
	if (it->source && strcmp(it->source, "syscall")) {
		cwarn(cx, &it->pos,
		      "source '%s' is not served (only syscall); the rule is not loaded",
		      it->source);
		return;
	}
	if (rules_parse(&it->cond, &ast, msg, sizeof(msg), &where) < 0) {
		rules_diag(cx->rs, cx->d, cx->sev, &where, it, "%s", msg);
		return;
	}
	e = compile_ast(cx, ast);
	for (size_t i = 0; e && i < it->nexcs; i++) {
		struct rules_expr *x = compile_exception(cx, &it->excs[i]);
		struct rules_expr *n;

		if (!x) {
			rules_expr_free(e);
			e = NULL;
			break;
		}
		n = expr_new(RULES_E_NOT);
		n->a = x;
		e = expr_bin(RULES_E_AND, e, n);
	}
	if (it->output && rules_output_parse(it->output, &out, &nout, msg, sizeof(msg)) < 0) {
		cdiag(cx, true, &it->output_pos, "output: %s", msg);
		rules_expr_free(e);
		e = NULL;
	}
	if (!e || cx->failed || (cx->unknown && it->skip_unknown))
		goto out;
	type_sets(e, &t, &f);
	if (!t) {
		cdiag(cx, false, &it->cond.pos[0],
		      "the condition can never match (no event type satisfies it)");
		goto out;
	}
	if (t == ALL_TYPES)
		cwarn(cx, &it->cond.pos[0],
		      "the condition does not restrict evt.type: it is evaluated for every event");
	if (!it->enabled)
		goto out;
	struct rules_compiled *c = bh_calloc(1, sizeof(*c));

	c->pub.name = it->name;
	c->pub.desc = it->desc ? it->desc : "";
	c->pub.output = it->output ? it->output : "";
	c->pub.source = "syscall";
	c->pub.priority =
		it->priority < 0 ? BH_RULES_WARNING : (enum bh_rules_priority)it->priority;
	c->pub.tags = bh_strv_dup(it->tags.v);
	if (!c->pub.tags)
		c->pub.tags = bh_calloc(1, sizeof(char *));
	c->pub.file = cx->rs->files.v[it->pos.file];
	c->pub.line = it->pos.line;
	c->expr = e;
	c->out = out;
	c->nout = nout;
	c->types = t;
	c->order = cx->rs->nrules;
	cx->rs->rules = bh_reallocarray(cx->rs->rules, cx->rs->nrules + 1, sizeof(*cx->rs->rules));
	cx->rs->rules[cx->rs->nrules++] = c;
	e = NULL;
	out = NULL;
	nout = 0;
out:
	rules_output_free(out, nout);
	rules_expr_free(e);
	rules_ast_free(ast);
}

int bh_rules_compile(struct bh_rules *rs, struct bh_rules_diags *diags, struct bh_error **err)
{
	struct bh_rules_diags local = { 0 };
	struct cctx cx = { .rs = rs, .d = diags ? diags : &local };
	size_t nerr = cx.d->nerrors;

	if (rs->compiled)
		return bh_error_set(err, BH_ERR_USAGE, "rules compiled twice");
	rs->compiled = true;
	/* each macro alone, once: its problems reported at its definition */
	for (size_t i = 0; i < rs->nitems; i++)
		if (rs->items[i]->kind == RULES_MACRO && !rs->items[i]->bad &&
		    !rs->items[i]->checked)
			check_macro(&cx, rs->items[i]);
	for (size_t i = 0; i < rs->nitems; i++)
		if (rs->items[i]->kind == RULES_RULE && !rs->items[i]->bad)
			compile_rule(&cx, rs->items[i]);
	for (size_t i = 0; i < rs->nrules; i++)
		for (int ty = 1; ty < BH_MON_TYPE_COUNT; ty++)
			if (rs->rules[i]->types & ((uint64_t)1 << ty)) {
				rs->index[ty] = bh_reallocarray(rs->index[ty], rs->nindex[ty] + 1,
								sizeof(*rs->index[ty]));
				rs->index[ty][rs->nindex[ty]++] = rs->rules[i];
			}
	for (int ty = 1; ty < BH_MON_TYPE_COUNT; ty++)
		if (rs->nindex[ty] > 1)
			qsort(rs->index[ty], rs->nindex[ty], sizeof(*rs->index[ty]), cmp_prio);
	size_t n = cx.d->nerrors - nerr;

	bh_rules_diags_release(&local);
	if (n)
		return bh_error_set(err, BH_ERR_INVALID, "%zu error%s in the rules", n,
				    n == 1 ? "" : "s");
	return 0;
}

size_t bh_rules_count(const struct bh_rules *rs)
{
	return rs->nrules;
}

uint64_t bh_rules_types(const struct bh_rules *rs)
{
	uint64_t t = 0;

	for (int ty = 1; ty < BH_MON_TYPE_COUNT; ty++)
		if (rs->nindex[ty])
			t |= BH_MON_TYPE_BIT(ty);
	return t;
}

const struct bh_rules_rule *bh_rules_get(const struct bh_rules *rs, size_t i)
{
	return i < rs->nrules ? &rs->rules[i]->pub : NULL;
}

static const char *const prio_names[] = { "EMERGENCY", "ALERT",	 "CRITICAL",	  "ERROR",
					  "WARNING",   "NOTICE", "INFORMATIONAL", "DEBUG" };

const char *bh_rules_priority_name(enum bh_rules_priority p)
{
	return (unsigned)p < 8 ? prio_names[p] : "?";
}

int bh_rules_priority_parse(const char *s)
{
	for (int i = 0; i < 8; i++)
		if (!strcasecmp(s, prio_names[i]))
			return i;
	if (!strcasecmp(s, "info"))
		return BH_RULES_INFORMATIONAL;
	return -1;
}
