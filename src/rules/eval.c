/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Evaluation: bh_rules_match walks only the rules indexed under the event's
 * type (most severe first) and evaluates each compiled expression; a field
 * the event does not have makes its comparison false (as in Falco, `!=`
 * included). Output templates: %field replaced by its value, escaped,
 * bounded.
 */
#include <arpa/inet.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"
#include "banned.h"

static bool str_eq(const struct rules_fv *v, const struct rules_val *w)
{
	return v->len == w->len && !memcmp(v->s, w->s, w->len);
}

static bool icontains(const struct rules_fv *v, const struct rules_val *w)
{
	if (w->len > v->len)
		return false;
	for (size_t i = 0; i + w->len <= v->len; i++) {
		size_t k = 0;

		while (k < w->len && bh_tolower(v->s[i + k]) == w->s[k])
			k++;
		if (k == w->len)
			return true;
	}
	return false;
}

static bool pmatch(const struct rules_fv *v, const struct rules_val *w)
{
	if (w->len == 1 && w->s[0] == '/')
		return v->len && v->s[0] == '/';
	return v->len >= w->len && !memcmp(v->s, w->s, w->len) &&
	       (v->len == w->len || v->s[w->len] == '/');
}

static bool glob(const struct rules_fv *v, const struct rules_val *w)
{
	char buf[RULES_SCRATCH + 1];
	size_t n = v->len < RULES_SCRATCH ? v->len : RULES_SCRATCH;

	memcpy(buf, v->s, n);
	buf[n] = 0;
	return fnmatch(w->s, buf, 0) == 0;
}

static bool ip_in(const struct rules_fv *v, const struct rules_val *w)
{
	size_t bytes = w->prefix / 8, bits = w->prefix % 8;

	if (v->family != w->family)
		return false;
	if (memcmp(v->ip, w->ip, bytes))
		return false;
	if (bits) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits));

		return (v->ip[bytes] & mask) == (w->ip[bytes] & mask);
	}
	return true;
}

/* Does one value of the field satisfy the comparison (NE: as EQ, negated by the caller)? */
static bool cmp_one(const struct rules_expr *e, const struct rules_fv *v)
{
	const struct rules_val *w = e->vals;
	enum rules_ftype t = e->field->type;

	if (t == RULES_T_STRING) {
		switch (e->op) {
		case RULES_OP_EQ:
		case RULES_OP_NE: return e->nvals && str_eq(v, w);
		case RULES_OP_CONTAINS:
		case RULES_OP_BCONTAINS:
			return e->nvals && (w->len == 0 || memmem(v->s, v->len, w->s, w->len));
		case RULES_OP_ICONTAINS: return e->nvals && icontains(v, w);
		case RULES_OP_STARTSWITH:
			return e->nvals && v->len >= w->len && !memcmp(v->s, w->s, w->len);
		case RULES_OP_ENDSWITH:
			return e->nvals && v->len >= w->len &&
			       !memcmp(v->s + v->len - w->len, w->s, w->len);
		case RULES_OP_GLOB: return e->nvals && glob(v, w);
		case RULES_OP_IN:
		case RULES_OP_INTERSECTS:
			for (size_t i = 0; i < e->nvals; i++)
				if (str_eq(v, &w[i]))
					return true;
			return false;
		case RULES_OP_PMATCH:
			for (size_t i = 0; i < e->nvals; i++)
				if (pmatch(v, &w[i]))
					return true;
			return false;
		default: return false;
		}
	}
	if (t == RULES_T_IP || t == RULES_T_IPNET) {
		for (size_t i = 0; i < e->nvals; i++)
			if (ip_in(v, &w[i]))
				return true;
		return false;
	}
	switch (e->op) {
	case RULES_OP_EQ:
	case RULES_OP_NE: return e->nvals && v->n == w->n;
	case RULES_OP_LT: return e->nvals && v->n < w->n;
	case RULES_OP_LE: return e->nvals && v->n <= w->n;
	case RULES_OP_GT: return e->nvals && v->n > w->n;
	case RULES_OP_GE: return e->nvals && v->n >= w->n;
	case RULES_OP_IN:
	case RULES_OP_INTERSECTS:
		for (size_t i = 0; i < e->nvals; i++)
			if (v->n == w[i].n)
				return true;
		return false;
	default: return false;
	}
}

static bool eval_cmp(const struct rules_expr *e, const struct bh_mon_event *ev)
{
	char scratch[RULES_SCRATCH];
	struct rules_fv v;
	bool any = false;

	for (size_t i = 0; i < (e->field->list ? BH_MON_ANCESTORS_MAX + 2 : 1); i++) {
		memset(&v, 0, sizeof(v));
		if (!e->field->get(ev, e->arg, i, &v, scratch))
			break;
		if (e->op == RULES_OP_EXISTS)
			return true;
		if (cmp_one(e, &v)) {
			any = true;
			break;
		}
		if (!e->field->list)
			break;
	}
	/* absent is false; present: != holds when no value is equal */
	if (e->op == RULES_OP_NE) {
		memset(&v, 0, sizeof(v));
		if (!e->field->get(ev, e->arg, 0, &v, scratch))
			return false;
		return !any;
	}
	return any;
}

bool rules_expr_eval(const struct rules_expr *e, const struct bh_mon_event *ev)
{
	switch (e->kind) {
	case RULES_E_AND: return rules_expr_eval(e->a, ev) && rules_expr_eval(e->b, ev);
	case RULES_E_OR: return rules_expr_eval(e->a, ev) || rules_expr_eval(e->b, ev);
	case RULES_E_NOT: return !rules_expr_eval(e->a, ev);
	case RULES_E_CONST: return e->value;
	case RULES_E_CMP: return eval_cmp(e, ev);
	}
	return false;
}

size_t bh_rules_match(const struct bh_rules *rs, const struct bh_mon_event *ev,
		      const struct bh_rules_rule **out, size_t max)
{
	size_t n = 0;

	if (!rs->compiled || ev->type <= BH_MON_NONE || ev->type >= BH_MON_TYPE_COUNT)
		return 0;
	for (size_t i = 0; i < rs->nindex[ev->type]; i++) {
		const struct rules_compiled *c = rs->index[ev->type][i];

		if (!rules_expr_eval(c->expr, ev))
			continue;
		if (n < max)
			out[n] = &c->pub;
		n++;
	}
	return n;
}

/* ---- output ------------------------------------------------------------------------ */

enum { SH_NONE, SH_CONTAINER, SH_PROC, SH_USER };

static const struct {
	const char *name;
	int sh;
} shorthands[] = {
	{ "container.info", SH_CONTAINER },
	{ "proc.info", SH_PROC },
	{ "user.info", SH_USER },
};

void rules_output_free(struct rules_opart *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].lit);
	free(p);
}

static void opart_add(struct rules_opart **p, size_t *n, struct rules_opart part)
{
	*p = bh_reallocarray(*p, *n + 1, sizeof(**p));
	(*p)[(*n)++] = part;
}

static bool name_char(char c)
{
	return bh_isalnum(c) || c == '_' || c == '.';
}

int rules_output_parse(const char *tmpl, struct rules_opart **out, size_t *n, char *msg,
		       size_t msgsz)
{
	struct rules_opart *p = NULL;
	size_t np = 0;
	const char *s = tmpl, *lit = tmpl;

	while (*s) {
		if (*s != '%' || !bh_isalpha(s[1])) {
			s++;
			continue;
		}
		const char *b = s + 1, *e = b;

		while (name_char(*e))
			e++;
		while (e > b && e[-1] == '.') /* "... by %proc.name." */
			e--;
		char *name = bh_strndup(b, (size_t)(e - b)), *arg = NULL;

		if (*e == '[') {
			const char *rb = strchr(e, ']');

			if (rb) {
				arg = bh_strndup(e + 1, (size_t)(rb - e - 1));
				e = rb + 1;
			}
		}
		struct rules_opart part = { 0 };

		part.arg = -1;
		for (size_t i = 0; i < sizeof(shorthands) / sizeof(shorthands[0]); i++)
			if (!arg && !strcmp(name, shorthands[i].name))
				part.shorthand = shorthands[i].sh;
		if (!part.shorthand) {
			part.field = rules_field_find(name);
			if (!part.field) {
				snprintf(msg, msgsz, "unknown field '%s'", name);
				goto bad;
			}
			if (arg) {
				char *end;
				long v = strtol(arg, &end, 10);

				if (part.field->arg == RULES_ARG_NONE || !bh_isdigit(*arg) ||
				    *end || v < 0 || v > BH_MON_ANCESTORS_MAX) {
					snprintf(msg, msgsz, "bad argument in '%s[%s]'", name, arg);
					goto bad;
				}
				part.arg = (int)v;
			}
		}
		if (s > lit) {
			struct rules_opart l = { 0 };

			l.lit = bh_strndup(lit, (size_t)(s - lit));
			opart_add(&p, &np, l);
		}
		opart_add(&p, &np, part);
		free(name);
		free(arg);
		s = lit = e;
		continue;
	bad:
		free(name);
		free(arg);
		rules_output_free(p, np);
		return -1;
	}
	if (s > lit) {
		struct rules_opart l = { 0 };

		l.lit = bh_strndup(lit, (size_t)(s - lit));
		opart_add(&p, &np, l);
	}
	*out = p;
	*n = np;
	return 0;
}

struct obuf {
	char *b;
	size_t n, max;
	bool cut;
};

static void o_add(struct obuf *o, const char *s, size_t n)
{
	if (o->cut)
		return;
	if (n > o->max - o->n) {
		n = o->max - o->n;
		o->cut = true;
	}
	memcpy(o->b + o->n, s, n);
	o->n += n;
}

/* A value: printable ASCII as is, the rest escaped. */
static void o_esc(struct obuf *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && !o->cut; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[8];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			o_add(o, (const char *)&c, 1);
			continue;
		}
		if (c == '\\')
			o_add(o, "\\\\", 2);
		else if (c == '\n')
			o_add(o, "\\n", 2);
		else if (c == '\t')
			o_add(o, "\\t", 2);
		else {
			snprintf(e, sizeof(e), "\\x%02x", c);
			o_add(o, e, 4);
		}
	}
}

static void o_field(struct obuf *o, const struct rules_field *f, int arg,
		    const struct bh_mon_event *ev)
{
	char scratch[RULES_SCRATCH], num[64];
	size_t max = f->list && arg < 0 ? BH_MON_ANCESTORS_MAX + 2 : 1, i;

	for (i = 0; i < max; i++) {
		struct rules_fv v = { 0 };

		if (!f->get(ev, arg, i, &v, scratch))
			break;
		if (i)
			o_add(o, ",", 1);
		switch (f->type) {
		case RULES_T_STRING: o_esc(o, v.s, v.len); break;
		case RULES_T_BOOL: o_add(o, v.n ? "true" : "false", v.n ? 4 : 5); break;
		case RULES_T_IP:
		case RULES_T_IPNET:
			if (inet_ntop(v.family == AF_INET6 ? AF_INET6 : AF_INET, v.ip, num,
				      sizeof(num)))
				o_add(o, num, strlen(num));
			break;
		default:
			snprintf(num, sizeof(num), "%lld", (long long)v.n);
			o_add(o, num, strlen(num));
		}
	}
	if (i == 0)
		o_add(o, "<NA>", 4);
}

static void o_named(struct obuf *o, const char *label, const char *field,
		    const struct bh_mon_event *ev)
{
	o_add(o, label, strlen(label));
	o_field(o, rules_field_find(field), -1, ev);
}

char *rules_output_render(const struct rules_compiled *c, const struct bh_mon_event *ev)
{
	struct obuf o = { bh_malloc(BH_RULES_OUTPUT_MAX + 1), 0, BH_RULES_OUTPUT_MAX - 3, false };

	for (size_t i = 0; i < c->nout; i++) {
		const struct rules_opart *p = &c->out[i];

		if (p->lit) {
			o_add(&o, p->lit, strlen(p->lit));
		} else if (p->shorthand == SH_CONTAINER) {
			if (!ev->container.id[0]) {
				o_add(&o, "host", 4);
				continue;
			}
			o_named(&o, "container=", "container.name", ev);
			o_named(&o, " id=", "container.id", ev);
			o_named(&o, " image=", "container.image", ev);
		} else if (p->shorthand == SH_PROC) {
			o_named(&o, "proc=", "proc.name", ev);
			o_named(&o, " pid=", "proc.pid", ev);
			o_named(&o, " cmdline=", "proc.cmdline", ev);
		} else if (p->shorthand == SH_USER) {
			o_named(&o, "user=", "user.name", ev);
			o_named(&o, " uid=", "user.uid", ev);
		} else {
			o_field(&o, p->field, p->arg, ev);
		}
	}
	if (o.cut) {
		o.max += 3;
		o.cut = false;
		o_add(&o, "...", 3);
	}
	o.b[o.n] = 0;
	return o.b;
}

char *bh_rules_format(const struct bh_rules_rule *rule, const struct bh_mon_event *ev)
{
	/* pub is the first member of struct rules_compiled */
	return rules_output_render((const struct rules_compiled *)(const void *)rule, ev);
}
