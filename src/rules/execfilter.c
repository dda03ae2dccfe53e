// SPDX-License-Identifier: Apache-2.0
/*
 * bh_rules_exec_files: the executables the chosen rules on execs can refuse,
 * by whole path (proc.exe, proc.exepath = / in), by program name
 * (proc.name = / in) or by a prefix of their path (proc.exe, proc.exepath
 * startswith / glob / pmatch: the literal part before the first wildcard),
 * for the guard, which knows those files by their identity (device, inode)
 * so another name of one is decided as the name found, and looks for a
 * name under a prefix of a file with several links (rules.h). Per rule, a
 * necessary condition of its expression on an exec event: the set of paths,
 * names and prefixes one of which the event must have, or "any" when the
 * condition does not constrain them.
 */
#include <string.h>

#include "internal.h"
#include "banned.h"

#define EXEC_TYPES (BH_MON_TYPE_BIT(BH_MON_EXECVE) | BH_MON_TYPE_BIT(BH_MON_EXECVEAT))
#define XC_MAX	   1024 /* more names: taken as any */

struct xc {
	bool any; /* no constraint; else the event's file is one of these (none: FALSE) */
	struct bh_strvec paths, names, prefixes;
};

static size_t xc_n(const struct xc *c)
{
	return c->paths.n + c->names.n + c->prefixes.n;
}

static void xc_release(struct xc *c)
{
	bh_strvec_release(&c->paths);
	bh_strvec_release(&c->names);
	bh_strvec_release(&c->prefixes);
}

static void xc_any(struct xc *c)
{
	xc_release(c);
	c->any = true;
}

static void push_unique(struct bh_strvec *to, const char *s, size_t len)
{
	for (size_t i = 0; i < to->n; i++)
		if (strlen(to->v[i]) == len && !memcmp(to->v[i], s, len))
			return;
	bh_strvec_push_take(to, bh_strndup(s, len));
}

/* The literal prefix of a path pattern (its part before the first wildcard of
 * fnmatch's: * ? [ and the escape \), or 0 when it names no directory below
 * the root (too wide to look under): the length kept. */
static size_t path_prefix(const char *s, size_t len, bool pattern)
{
	size_t n = 0;

	while (n < len && !(pattern && strchr("*?[\\", s[n])))
		n++;
	if (n < 2 || s[0] != '/')
		return 0;
	return n;
}

static void cmp_xc(const struct rules_expr *e, struct xc *c)
{
	const char *f = e->field->name;
	bool path = !strcmp(f, "proc.exe") || !strcmp(f, "proc.exepath");
	bool name = !strcmp(f, "proc.name");
	bool pre = path && (e->op == RULES_OP_STARTSWITH || e->op == RULES_OP_GLOB ||
			    e->op == RULES_OP_PMATCH);

	c->any = true;
	if (!strcmp(f, "evt.type")) {
		if (e->op != RULES_OP_EQ && e->op != RULES_OP_IN)
			return;
		if (!(rules_expr_types(e) & EXEC_TYPES))
			c->any = false; /* no exec */
		return;
	}
	if ((!path && !name) || (!pre && e->op != RULES_OP_EQ && e->op != RULES_OP_IN))
		return;
	c->any = false;
	for (size_t i = 0; i < e->nvals; i++) {
		const char *s = e->vals[i].s;
		size_t len = e->vals[i].len;

		if (!s || !len || memchr(s, '\0', len) || xc_n(c) >= XC_MAX) {
			xc_any(c);
			return;
		}
		if (pre) {
			/* a string prefix of every path the operator matches */
			len = path_prefix(s, len, e->op == RULES_OP_GLOB);
			if (!len) {
				xc_any(c);
				return;
			}
			push_unique(&c->prefixes, s, len);
			continue;
		}
		if (path ? s[0] != '/' : memchr(s, '/', len) != NULL) {
			xc_any(c);
			return;
		}
		push_unique(path ? &c->paths : &c->names, s, len);
	}
}

static void expr_xc(const struct rules_expr *e, struct xc *c)
{
	struct xc a = { 0 }, b = { 0 };

	memset(c, 0, sizeof(*c));
	switch (e->kind) {
	case RULES_E_CONST: c->any = e->value; return;
	case RULES_E_NOT: c->any = true; return;
	case RULES_E_CMP: cmp_xc(e, c); return;
	case RULES_E_AND:
	case RULES_E_OR: break;
	}
	expr_xc(e->a, &a);
	expr_xc(e->b, &b);
	if (e->kind == RULES_E_AND) {
		bool fa = !a.any && !xc_n(&a), fb = !b.any && !xc_n(&b);

		/* FALSE wins; else either side's constraint holds: the narrower */
		if (fa || fb || b.any || (!a.any && xc_n(&a) <= xc_n(&b))) {
			*c = fb ? b : a;
			xc_release(fb ? &a : &b);
		} else {
			*c = b;
			xc_release(&a);
		}
		return;
	}
	if (a.any || b.any || xc_n(&a) + xc_n(&b) > XC_MAX) {
		xc_release(&a);
		xc_release(&b);
		c->any = true;
		return;
	}
	*c = a;
	for (size_t i = 0; i < b.paths.n; i++)
		push_unique(&c->paths, b.paths.v[i], strlen(b.paths.v[i]));
	for (size_t i = 0; i < b.names.n; i++)
		push_unique(&c->names, b.names.v[i], strlen(b.names.v[i]));
	for (size_t i = 0; i < b.prefixes.n; i++)
		push_unique(&c->prefixes, b.prefixes.v[i], strlen(b.prefixes.v[i]));
	xc_release(&b);
}

int bh_rules_exec_files(const struct bh_rules *rs,
			bool (*want)(const struct bh_rules_rule *r, void *arg), void *arg,
			struct bh_strvec *paths, struct bh_strvec *names,
			struct bh_strvec *prefixes, const char **inexact)
{
	int exact = 1;

	memset(paths, 0, sizeof(*paths));
	memset(names, 0, sizeof(*names));
	if (prefixes)
		memset(prefixes, 0, sizeof(*prefixes));
	if (inexact)
		*inexact = NULL;
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct rules_compiled *r = rs->rules[i];
		struct xc c = { 0 };

		if (!(r->types & EXEC_TYPES) || !want(&r->pub, arg))
			continue;
		expr_xc(r->expr, &c);
		/* bounded: a rule past the cap is one not reduced (nor one naming
		 * prefixes, for a caller that takes none) */
		if (c.any || (c.prefixes.n && !prefixes) ||
		    paths->n + c.paths.n > BH_RULES_EXEC_FILES_MAX ||
		    names->n + c.names.n > BH_RULES_EXEC_FILES_MAX ||
		    (prefixes && prefixes->n + c.prefixes.n > BH_RULES_EXEC_FILES_MAX)) {
			if (exact && inexact)
				*inexact = r->pub.name;
			exact = 0;
			if (!c.any) {
				xc_release(&c);
				continue;
			}
		}
		for (size_t k = 0; k < c.paths.n; k++)
			push_unique(paths, c.paths.v[k], strlen(c.paths.v[k]));
		for (size_t k = 0; k < c.names.n; k++)
			push_unique(names, c.names.v[k], strlen(c.names.v[k]));
		for (size_t k = 0; prefixes && k < c.prefixes.n; k++)
			push_unique(prefixes, c.prefixes.v[k], strlen(c.prefixes.v[k]));
		xc_release(&c);
	}
	return exact;
}
