/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Globs over image names, namespaces and paths: `*` any run of characters
 * but `/`, `**` any run including `/`, `?` one character but `/`,
 * `[abc]`, `[a-z]`, `[!a-z]` one character of (not of) a set, `\c` the
 * character c. A glob is checked when the policy is compiled (an unclosed
 * `[`, an empty set, a reversed range, `***`, a trailing `\` are errors
 * naming the column) and matched by simulating its token automaton over
 * the subject (time linear in both lengths: no backtracking a hostile
 * pattern could blow up).
 */
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"
#include "banned.h"

enum tok_kind { T_LIT, T_ANY, T_STAR, T_STARSTAR, T_SET };

struct tok {
	enum tok_kind kind;
	unsigned char c;       /* T_LIT */
	bool negate;	       /* T_SET */
	unsigned char set[32]; /* T_SET: a bitmap of the bytes in the set */
};

struct pol_glob {
	char *text;
	struct tok *t;
	size_t n;
};

static void set_bit(unsigned char *set, unsigned c)
{
	set[c >> 3] |= (unsigned char)(1u << (c & 7));
}

static bool has_bit(const unsigned char *set, unsigned c)
{
	return set[c >> 3] & (1u << (c & 7));
}

int pol_glob_compile(const char *s, struct pol_glob **out, char **why)
{
	struct pol_glob *g;
	size_t len = strlen(s);

	*out = NULL;
	*why = NULL;
	if (len > POL_GLOB_MAX) {
		*why = bh_asprintf("longer than %d characters", POL_GLOB_MAX);
		return -1;
	}
	g = bh_calloc(1, sizeof(*g));
	g->text = bh_strdup(s);
	g->t = bh_calloc(len + 1, sizeof(*g->t));
	for (size_t i = 0; i < len;) {
		struct tok *t = &g->t[g->n];

		switch (s[i]) {
		case '*':
			if (s[i + 1] == '*') {
				if (s[i + 2] == '*') {
					*why = bh_asprintf("'***' at column %zu: use '*' or '**'",
							   i + 1);
					goto bad;
				}
				t->kind = T_STARSTAR;
				i += 2;
			} else {
				t->kind = T_STAR;
				i++;
			}
			break;
		case '?':
			t->kind = T_ANY;
			i++;
			break;
		case '\\':
			if (!s[i + 1]) {
				*why = bh_asprintf("a trailing '\\' at column %zu", i + 1);
				goto bad;
			}
			t->kind = T_LIT;
			t->c = (unsigned char)s[i + 1];
			i += 2;
			break;
		case '[': {
			size_t j = i + 1, members = 0;

			t->kind = T_SET;
			if (s[j] == '!' || s[j] == '^') {
				t->negate = true;
				j++;
			}
			for (; s[j] && (s[j] != ']' || members == 0); j++) {
				unsigned lo = (unsigned char)s[j], hi = lo;

				if (s[j] == ']' && members == 0) {
					*why = bh_asprintf("an empty set '[]' at column %zu",
							   i + 1);
					goto bad;
				}
				if (s[j] == '\\' && s[j + 1])
					lo = hi = (unsigned char)s[++j];
				if (s[j + 1] == '-' && s[j + 2] && s[j + 2] != ']') {
					hi = (unsigned char)s[j + 2];
					if (hi < lo) {
						*why = bh_asprintf(
							"a reversed range '%c-%c' at column %zu",
							lo, hi, j + 1);
						goto bad;
					}
					j += 2;
				}
				for (unsigned c = lo; c <= hi; c++)
					set_bit(t->set, c);
				members++;
			}
			if (s[j] != ']') {
				*why = bh_asprintf("'[' at column %zu is not closed", i + 1);
				goto bad;
			}
			i = j + 1;
			break;
		}
		default:
			t->kind = T_LIT;
			t->c = (unsigned char)s[i];
			i++;
		}
		g->n++;
	}
	*out = g;
	return 0;
bad:
	pol_glob_free(g);
	return -1;
}

void pol_glob_free(struct pol_glob *g)
{
	if (!g)
		return;
	free(g->text);
	free(g->t);
	free(g);
}

const char *pol_glob_text(const struct pol_glob *g)
{
	return g->text;
}

/* Close a state set over the star tokens (which may match nothing). */
static void closure(const struct pol_glob *g, unsigned char *st)
{
	for (size_t i = 0; i < g->n; i++)
		if (st[i] && (g->t[i].kind == T_STAR || g->t[i].kind == T_STARSTAR))
			st[i + 1] = 1;
}

bool pol_glob_match(const struct pol_glob *g, const char *s)
{
	unsigned char stack_a[256], stack_b[256];
	unsigned char *cur = g->n < sizeof(stack_a) ? stack_a : bh_calloc(g->n + 1, 1);
	unsigned char *next = g->n < sizeof(stack_b) ? stack_b : bh_calloc(g->n + 1, 1);
	bool ok, any = true;

	memset(cur, 0, g->n + 1);
	cur[0] = 1;
	closure(g, cur);
	for (const unsigned char *p = (const unsigned char *)s; *p && any; p++) {
		memset(next, 0, g->n + 1);
		any = false;
		for (size_t i = 0; i < g->n; i++) {
			const struct tok *t = &g->t[i];

			if (!cur[i])
				continue;
			switch (t->kind) {
			case T_LIT:
				if (*p == t->c)
					next[i + 1] = 1, any = true;
				break;
			case T_ANY:
				if (*p != '/')
					next[i + 1] = 1, any = true;
				break;
			case T_SET:
				if (*p != '/' && has_bit(t->set, *p) != t->negate)
					next[i + 1] = 1, any = true;
				break;
			case T_STAR:
				if (*p != '/')
					next[i] = 1, any = true;
				break;
			case T_STARSTAR: next[i] = 1, any = true; break;
			}
		}
		closure(g, next);
		memcpy(cur, next, g->n + 1);
	}
	ok = any && cur[g->n];
	if (cur != stack_a)
		free(cur);
	if (next != stack_b)
		free(next);
	return ok;
}

bool pol_globs_match(struct pol_glob *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (pol_glob_match(v[i], s))
			return true;
	return false;
}
