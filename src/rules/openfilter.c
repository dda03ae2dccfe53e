// SPDX-License-Identifier: Apache-2.0
/*
 * bh_rules_open_filter: which opens the compiled rules can match, as a
 * filter the kernel source applies before it walks a path (rules.h). Per
 * rule on open types, a necessary condition of its expression on an open
 * event, as a disjunction of atoms; an atom requires a write open (w), a
 * call that succeeded (ok) and, when `names`, a file whose name is a leaf
 * or which lies below a directory of the dirs. The disjunction of every
 * rule's atoms is then the filter.
 */
#include <string.h>

#include "internal.h"
#include "banned.h"

#define OPEN_TYPES                                                                                 \
	(BH_MON_TYPE_BIT(BH_MON_OPEN) | BH_MON_TYPE_BIT(BH_MON_OPENAT) |                           \
	 BH_MON_TYPE_BIT(BH_MON_OPENAT2))
#define ATOMS_MAX 64 /* more atoms: the condition is taken as "any open" */

struct atom {
	bool w, ok, names;
	struct bh_strvec leaves, dirs;
	/* exact: the names are these whole absolute paths (fd.name = / in) */
	bool exact;
	struct bh_strvec paths;
};

struct cond {
	struct atom *v;
	size_t n; /* 0: no open satisfies it */
};

static void atom_release(struct atom *a)
{
	bh_strvec_release(&a->leaves);
	bh_strvec_release(&a->dirs);
	bh_strvec_release(&a->paths);
}

static void cond_release(struct cond *c)
{
	for (size_t i = 0; i < c->n; i++)
		atom_release(&c->v[i]);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

static struct atom *cond_add(struct cond *c)
{
	c->v = bh_reallocarray(c->v, c->n + 1, sizeof(*c->v));
	memset(&c->v[c->n], 0, sizeof(c->v[0]));
	return &c->v[c->n++];
}

static void cond_true(struct cond *c)
{
	cond_release(c);
	cond_add(c);
}

static void strv_copy(struct bh_strvec *to, const struct bh_strvec *from)
{
	for (size_t i = 0; i < from->n; i++)
		bh_strvec_push(to, from->v[i]);
}

static void atom_copy(struct atom *to, const struct atom *from)
{
	to->w = from->w;
	to->ok = from->ok;
	to->names = from->names;
	strv_copy(&to->leaves, &from->leaves);
	strv_copy(&to->dirs, &from->dirs);
	to->exact = from->exact;
	strv_copy(&to->paths, &from->paths);
}

/* The last component of a path value ("" when it ends in '/' only). */
static void push_last(struct bh_strvec *to, const char *s, size_t len)
{
	while (len > 1 && s[len - 1] == '/')
		len--;
	size_t b = len;

	while (b > 0 && s[b - 1] != '/')
		b--;
	bh_strvec_push_take(to, bh_strndup(s + b, len - b));
}

/* a glob's tail that is not one literal name: a wildcard in it, or a bracket
 * or escape anywhere (a bracket may hold the '/') */
static bool has_wild(const char *s, size_t len, size_t tail)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '[' || s[i] == '\\' || (i >= tail && (s[i] == '*' || s[i] == '?')))
			return true;
	return false;
}

/* The necessary condition of one comparison (TRUE when it constrains nothing we filter on). */
static void cmp_cond(const struct rules_expr *e, struct cond *c)
{
	const char *f = e->field->name;
	struct atom *a;

	cond_true(c);
	a = &c->v[0];
	if (!strcmp(f, "evt.type")) {
		if (e->op != RULES_OP_EQ && e->op != RULES_OP_IN)
			return;
		if (!(rules_expr_types(e) & OPEN_TYPES))
			cond_release(c); /* no open */
		return;
	}
	if (!strcmp(f, "evt.is_open_write")) {
		if (e->op == RULES_OP_EQ && e->nvals == 1 && e->vals[0].n)
			a->w = true;
		return;
	}
	if (!strcmp(f, "evt.failed")) {
		if (e->op == RULES_OP_EQ && e->nvals == 1 && !e->vals[0].n)
			a->ok = true;
		return;
	}
	bool name = !strcmp(f, "fd.name"), fname = !strcmp(f, "fd.filename"),
	     dir = !strcmp(f, "fd.directory");

	if (!name && !fname && !dir)
		return;
	if (e->op == RULES_OP_EQ || e->op == RULES_OP_IN) {
		a->exact = name;
		for (size_t i = 0; i < e->nvals; i++) {
			const char *s = e->vals[i].s;
			size_t len = e->vals[i].len;

			if (!s || !len)
				goto any;
			if (fname && memchr(s, '/', len))
				goto any;
			push_last(dir ? &a->dirs : &a->leaves, s, len);
			if (name && s[0] == '/' && !memchr(s, '\0', len))
				bh_strvec_push_take(&a->paths, bh_strndup(s, len));
			else
				a->exact = false;
		}
		a->names = true;
		return;
	}
	if (name && (e->op == RULES_OP_PMATCH || e->op == RULES_OP_STARTSWITH)) {
		for (size_t i = 0; i < e->nvals; i++) {
			const char *s = e->vals[i].s;
			size_t len = e->vals[i].len;

			/* startswith "/etc/" is below /etc; "/etc" alone would also
			 * take "/etcfoo": not a directory */
			if (!s || !len || s[0] != '/' ||
			    (e->op == RULES_OP_STARTSWITH && s[len - 1] != '/'))
				goto any;
			while (len > 1 && s[len - 1] == '/')
				len--;
			if (len <= 1)
				goto any; /* "/": everything */
			push_last(&a->dirs, s, len);
			/* pmatch also takes the directory itself (and a path
			 * "DIR/" is the directory named as a leaf) */
			push_last(&a->leaves, s, len);
		}
		a->names = true;
		return;
	}
	if (name && e->op == RULES_OP_GLOB && e->nvals == 1 && e->vals[0].s) {
		const char *s = e->vals[0].s;
		size_t len = e->vals[0].len, b = len;

		while (b > 0 && s[b - 1] != '/')
			b--;
		if (b == len || has_wild(s, len, b))
			goto any;
		push_last(&a->leaves, s, len);
		a->names = true;
		return;
	}
	return;
any:
	bh_strvec_release(&a->leaves);
	bh_strvec_release(&a->dirs);
	bh_strvec_release(&a->paths);
	a->names = a->exact = false;
}

/* An atom that requires only flags (any file). */
static bool flags_only(const struct cond *c)
{
	return c->n == 1 && !c->v[0].names;
}

static void expr_cond(const struct rules_expr *e, struct cond *c);

static void and_cond(const struct rules_expr *e, struct cond *c)
{
	struct cond a = { 0 }, b = { 0 };

	expr_cond(e->a, &a);
	expr_cond(e->b, &b);
	if (!a.n || !b.n) {
		cond_release(&a);
		cond_release(&b);
		return; /* FALSE */
	}
	if (flags_only(&b) || (!flags_only(&a) && a.n <= b.n)) {
		/* keep a's atoms, each with b's flags when b is one atom */
		if (b.n == 1)
			for (size_t i = 0; i < a.n; i++) {
				a.v[i].w |= b.v[0].w;
				a.v[i].ok |= b.v[0].ok;
				if (!a.v[i].names && b.v[0].names) {
					a.v[i].names = true;
					strv_copy(&a.v[i].leaves, &b.v[0].leaves);
					strv_copy(&a.v[i].dirs, &b.v[0].dirs);
					a.v[i].exact = b.v[0].exact;
					strv_copy(&a.v[i].paths, &b.v[0].paths);
				} else if (!a.v[i].exact && b.v[0].exact) {
					/* both name files: b's whole paths hold too */
					a.v[i].exact = true;
					strv_copy(&a.v[i].paths, &b.v[0].paths);
				}
			}
		*c = a;
		cond_release(&b);
		return;
	}
	if (a.n == 1)
		for (size_t i = 0; i < b.n; i++) {
			b.v[i].w |= a.v[0].w;
			b.v[i].ok |= a.v[0].ok;
			if (!b.v[i].exact && a.v[0].exact) {
				b.v[i].exact = true;
				strv_copy(&b.v[i].paths, &a.v[0].paths);
			}
		}
	*c = b;
	cond_release(&a);
}

static void expr_cond(const struct rules_expr *e, struct cond *c)
{
	struct cond a = { 0 }, b = { 0 };

	memset(c, 0, sizeof(*c));
	switch (e->kind) {
	case RULES_E_CONST:
		if (e->value)
			cond_true(c);
		return;
	case RULES_E_NOT: cond_true(c); return;
	case RULES_E_CMP: cmp_cond(e, c); return;
	case RULES_E_AND: and_cond(e, c); return;
	case RULES_E_OR:
		expr_cond(e->a, &a);
		expr_cond(e->b, &b);
		if (a.n + b.n > ATOMS_MAX) {
			cond_release(&a);
			cond_release(&b);
			cond_true(c);
			return;
		}
		*c = a;
		for (size_t i = 0; i < b.n; i++)
			atom_copy(cond_add(c), &b.v[i]);
		cond_release(&b);
		return;
	}
}

static void push_unique(struct bh_strvec *to, const char *s)
{
	for (size_t i = 0; i < to->n; i++)
		if (!strcmp(to->v[i], s))
			return;
	bh_strvec_push(to, s);
}

void bh_rules_open_filter(const struct bh_rules *rs, struct bh_mon_open_filter *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < rs->nrules && !out->all; i++) {
		const struct rules_compiled *r = rs->rules[i];
		struct cond c = { 0 };

		if (!(r->types & OPEN_TYPES))
			continue;
		expr_cond(r->expr, &c);
		for (size_t j = 0; j < c.n; j++) {
			const struct atom *a = &c.v[j];

			if (!a->ok)
				out->failed = true;
			if (a->w) {
				out->writes = true;
				continue;
			}
			if (!a->names) {
				out->all = true;
				break;
			}
			for (size_t k = 0; k < a->leaves.n; k++)
				push_unique(&out->leaves, a->leaves.v[k]);
			for (size_t k = 0; k < a->dirs.n; k++)
				push_unique(&out->dirs, a->dirs.v[k]);
		}
		cond_release(&c);
	}
	/* what the kernel cannot hold (bpf/events.h: 64-byte keys, 256 names) */
	if (out->leaves.n + out->dirs.n > 256)
		out->all = true;
	for (size_t p = 0; p < 2 && !out->all; p++) {
		const struct bh_strvec *v = p ? &out->dirs : &out->leaves;

		for (size_t i = 0; i < v->n; i++)
			if (!*v->v[i] || strlen(v->v[i]) >= 64)
				out->all = true;
	}
	if (out->all) {
		bh_strvec_release(&out->leaves);
		bh_strvec_release(&out->dirs);
	}
}

int bh_rules_open_paths(const struct bh_rules *rs,
			bool (*want)(const struct bh_rules_rule *r, void *arg), void *arg,
			struct bh_strvec *out, const char **inexact)
{
	int exact = 1;

	memset(out, 0, sizeof(*out));
	if (inexact)
		*inexact = NULL;
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct rules_compiled *r = rs->rules[i];
		struct cond c = { 0 };

		if (!(r->types & OPEN_TYPES) || !want(&r->pub, arg))
			continue;
		expr_cond(r->expr, &c);
		for (size_t j = 0; j < c.n; j++) {
			const struct atom *a = &c.v[j];

			if (!a->names || !a->exact) {
				if (exact && inexact)
					*inexact = r->pub.name;
				exact = 0;
				continue;
			}
			for (size_t k = 0; k < a->paths.n; k++)
				push_unique(out, a->paths.v[k]);
		}
		cond_release(&c);
	}
	return exact;
}
