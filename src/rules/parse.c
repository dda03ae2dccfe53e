/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Falco conditions: a tokenizer and a recursive-descent parser to a syntax
 * tree. The grammar, loosest binding first:
 *
 *   expr    := and ("or" and)*
 *   and     := not ("and" not)*
 *   not     := "not" not | primary
 *   primary := "(" expr ")" | check | macro-name
 *   check   := field OP value | field LISTOP list | field "exists"
 *   field   := name ["[" arg "]"]           (proc.aname[2], fd.name)
 *   list    := "(" [value ("," value)*] ")" | list-name
 *   value   := bare-word | 'quoted' | "quoted"
 *
 * A bare word runs to the next space, parenthesis, comma, quote or one of
 * = < > !. Operators are looked up later (compile.c), against the field's
 * type; here any word after a field that reads as an operator is taken as
 * one, so an operator we do not serve is reported by name, not as a syntax
 * error. Nesting is bounded (BH_RULES_DEPTH_MAX).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

enum tok { T_EOF, T_LP, T_RP, T_COMMA, T_SYM, T_WORD, T_STR };

struct parser {
	const struct rules_text *t;
	size_t p; /* next byte */
	/* the current token */
	enum tok tok;
	size_t start;
	char *text; /* WORD, STR (unquoted), SYM */
	int depth;
	char *msg;
	size_t msgsz;
	struct rules_pos *where;
	bool failed;
};

/* Operators written as words; the ones after "in" take a list. */
static const char *const op_words[] = {
	"contains", "icontains", "bcontains", "startswith", "bstartswith", "endswith", "glob",
	"iglob",    "regex",	 "exists",    "in",	    "intersects",  "pmatch",
};

static bool is_op_word(const char *w)
{
	for (size_t i = 0; i < sizeof(op_words) / sizeof(op_words[0]); i++)
		if (!strcmp(w, op_words[i]))
			return true;
	return false;
}

static bool takes_list(const char *op)
{
	return !strcmp(op, "in") || !strcmp(op, "intersects") || !strcmp(op, "pmatch");
}

static struct rules_pos pos_at(const struct parser *ps, size_t off)
{
	if (off > ps->t->len)
		off = ps->t->len;
	return ps->t->pos[off];
}

static int fail(struct parser *ps, size_t off, const char *fmt, ...) BH_PRINTF(3, 4);
static int fail(struct parser *ps, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (ps->failed)
		return -1;
	ps->failed = true;
	va_start(ap, fmt);
	vsnprintf(ps->msg, ps->msgsz, fmt, ap);
	va_end(ap);
	*ps->where = pos_at(ps, off);
	return -1;
}

static bool word_char(char c)
{
	return !bh_isspace(c) && c != '(' && c != ')' && c != ',' && c != '=' && c != '<' &&
	       c != '>' && c != '!' && c != '"' && c != '\'' && c != 0;
}

/* Read the next token into ps. */
static int next(struct parser *ps)
{
	const char *s = ps->t->s;
	size_t n = ps->t->len, p = ps->p;

	free(ps->text);
	ps->text = NULL;
	while (p < n && bh_isspace(s[p]))
		p++;
	ps->start = p;
	if (p >= n) {
		ps->tok = T_EOF;
		ps->p = p;
		return 0;
	}
	switch (s[p]) {
	case '(':
		ps->tok = T_LP;
		p++;
		break;
	case ')':
		ps->tok = T_RP;
		p++;
		break;
	case ',':
		ps->tok = T_COMMA;
		p++;
		break;
	case '=':
	case '<':
	case '>':
	case '!': {
		size_t b = p++;

		if (p < n && s[p] == '=')
			p++;
		ps->tok = T_SYM;
		ps->text = bh_strndup(s + b, p - b);
		if (!strcmp(ps->text, "!")) {
			ps->p = p;
			return fail(ps, b, "'!' is not an operator (use != or not)");
		}
		break;
	}
	case '"':
	case '\'': {
		char q = s[p++];
		struct bh_buf b = BH_BUF_INIT(BH_RULES_COND_MAX);

		for (;;) {
			if (p >= n) {
				bh_buf_release(&b);
				ps->p = p;
				return fail(ps, ps->start, "unterminated string");
			}
			if (s[p] == q)
				break;
			if (s[p] == '\\' && p + 1 < n && (s[p + 1] == q || s[p + 1] == '\\'))
				p++;
			if (bh_buf_addc(&b, s[p], NULL) < 0) {
				bh_buf_release(&b);
				return fail(ps, ps->start, "string too long");
			}
			p++;
		}
		p++;
		ps->tok = T_STR;
		ps->text = bh_buf_detach(&b, NULL);
		break;
	}
	default: {
		size_t b = p;

		while (p < n && word_char(s[p]))
			p++;
		if (p == b) {
			ps->p = p + 1;
			return fail(ps, b, "unexpected character '%c'", s[b]);
		}
		ps->tok = T_WORD;
		ps->text = bh_strndup(s + b, p - b);
		break;
	}
	}
	ps->p = p;
	return 0;
}

static bool at_word(const struct parser *ps, const char *w)
{
	return ps->tok == T_WORD && !strcmp(ps->text, w);
}

static const char *tok_desc(const struct parser *ps, char *buf, size_t sz)
{
	switch (ps->tok) {
	case T_EOF: return "the end of the condition";
	case T_LP: return "'('";
	case T_RP: return "')'";
	case T_COMMA: return "','";
	default: snprintf(buf, sz, "'%.60s'", ps->text); return buf;
	}
}

static struct rules_ast *node(enum rules_ast_kind k, struct rules_pos pos)
{
	struct rules_ast *a = bh_calloc(1, sizeof(*a));

	a->kind = k;
	a->pos = pos;
	return a;
}

void rules_ast_free(struct rules_ast *a)
{
	if (!a)
		return;
	rules_ast_free(a->a);
	rules_ast_free(a->b);
	free(a->name);
	free(a->arg);
	free(a->op);
	for (size_t i = 0; i < a->nvals; i++)
		free(a->vals[i].s);
	free(a->vals);
	free(a);
}

static struct rules_ast *parse_or(struct parser *ps);

static void add_val(struct rules_ast *a, struct parser *ps)
{
	a->vals = bh_reallocarray(a->vals, a->nvals + 1, sizeof(*a->vals));
	a->vals[a->nvals].s = ps->text;
	a->vals[a->nvals].quoted = ps->tok == T_STR;
	a->vals[a->nvals].pos = pos_at(ps, ps->start);
	a->nvals++;
	ps->text = NULL;
}

/* The values after an operator; the current token is the first. */
static int parse_values(struct parser *ps, struct rules_ast *a)
{
	char d[80];

	if (takes_list(a->op)) {
		a->has_list = true;
		if (ps->tok == T_WORD || ps->tok == T_STR) { /* a list name (or one value) */
			add_val(a, ps);
			return next(ps);
		}
		if (ps->tok != T_LP)
			return fail(ps, ps->start, "expected a list after '%s', got %s", a->op,
				    tok_desc(ps, d, sizeof(d)));
		if (next(ps) < 0)
			return -1;
		if (ps->tok == T_RP)
			return next(ps);
		for (;;) {
			if (ps->tok != T_WORD && ps->tok != T_STR)
				return fail(ps, ps->start, "expected a value in the list, got %s",
					    tok_desc(ps, d, sizeof(d)));
			if (a->nvals >= BH_RULES_LIST_MAX)
				return fail(ps, ps->start, "more than %d values in a list",
					    BH_RULES_LIST_MAX);
			add_val(a, ps);
			if (next(ps) < 0)
				return -1;
			if (ps->tok == T_RP)
				return next(ps);
			if (ps->tok != T_COMMA)
				return fail(ps, ps->start,
					    "expected ',' or ')' in the list, got %s",
					    tok_desc(ps, d, sizeof(d)));
			if (next(ps) < 0)
				return -1;
		}
	}
	if (ps->tok == T_LP)
		return fail(ps, ps->start, "operator '%s' takes one value, not a list", a->op);
	if (ps->tok == T_SYM && (!strcmp(ps->text, "<") || !strcmp(ps->text, ">"))) {
		ps->tok = T_WORD; /* evt.dir = < */
		add_val(a, ps);
		return next(ps);
	}
	if (ps->tok != T_WORD && ps->tok != T_STR)
		return fail(ps, ps->start, "expected a value after '%s', got %s", a->op,
			    tok_desc(ps, d, sizeof(d)));
	bool bare = ps->tok == T_WORD;
	size_t vstart = ps->start;

	add_val(a, ps);
	if (next(ps) < 0)
		return -1;
	if (bare && ps->tok == T_LP)
		return fail(ps, vstart, "comparing with a field (%s(...)) is not supported",
			    a->vals[a->nvals - 1].s);
	return 0;
}

/* Split "proc.aname[2]" into name and arg. */
static int split_field(struct parser *ps, struct rules_ast *a, const char *w, size_t off)
{
	const char *lb = strchr(w, '[');

	if (!lb) {
		a->name = bh_strdup(w);
		return 0;
	}
	size_t wl = strlen(w);

	if (wl < 2 || w[wl - 1] != ']' || lb == w || strchr(lb + 1, '[') ||
	    memchr(lb + 1, ']', (size_t)(w + wl - 1 - (lb + 1))))
		return fail(ps, off, "malformed field argument in '%.60s'", w);
	a->name = bh_strndup(w, (size_t)(lb - w));
	a->arg = bh_strndup(lb + 1, (size_t)(w + wl - 1 - (lb + 1)));
	return 0;
}

static struct rules_ast *parse_primary(struct parser *ps)
{
	char d[80];
	struct rules_ast *a = NULL;

	if (ps->tok == T_LP) {
		size_t open = ps->start;

		if (next(ps) < 0)
			return NULL;
		a = parse_or(ps);
		if (!a)
			return NULL;
		if (ps->tok != T_RP) {
			if (ps->tok == T_EOF)
				fail(ps, open, "unclosed '('");
			else
				fail(ps, ps->start, "expected ')', got %s",
				     tok_desc(ps, d, sizeof(d)));
			rules_ast_free(a);
			return NULL;
		}
		if (next(ps) < 0) {
			rules_ast_free(a);
			return NULL;
		}
		return a;
	}
	if (ps->tok != T_WORD) {
		fail(ps, ps->start, "expected a field, a macro or '(', got %s",
		     tok_desc(ps, d, sizeof(d)));
		return NULL;
	}
	if (at_word(ps, "and") || at_word(ps, "or") || is_op_word(ps->text)) {
		fail(ps, ps->start, "expected a field, a macro or '(', got %s",
		     tok_desc(ps, d, sizeof(d)));
		return NULL;
	}
	size_t wstart = ps->start;
	char *w = ps->text;

	ps->text = NULL;
	if (next(ps) < 0) {
		free(w);
		return NULL;
	}
	if (ps->tok == T_SYM || (ps->tok == T_WORD && is_op_word(ps->text))) {
		a = node(RULES_A_CMP, pos_at(ps, wstart));
		if (split_field(ps, a, w, wstart) < 0)
			goto bad;
		a->op = ps->text;
		ps->text = NULL;
		a->oppos = pos_at(ps, ps->start);
		if (next(ps) < 0)
			goto bad;
		if (strcmp(a->op, "exists") && parse_values(ps, a) < 0)
			goto bad;
		free(w);
		return a;
	}
	if (ps->tok == T_LP) {
		fail(ps, wstart,
		     "field transformers and functions ('%.60s(...)') are not supported", w);
		free(w);
		return NULL;
	}
	if (strchr(w, '.') || strchr(w, '[')) {
		fail(ps, ps->start, "expected an operator after field '%.60s', got %s", w,
		     tok_desc(ps, d, sizeof(d)));
		free(w);
		return NULL;
	}
	a = node(RULES_A_REF, pos_at(ps, wstart));
	a->name = w;
	return a;
bad:
	free(w);
	rules_ast_free(a);
	return NULL;
}

static struct rules_ast *parse_not(struct parser *ps)
{
	if (at_word(ps, "not")) {
		struct rules_pos p = pos_at(ps, ps->start);
		struct rules_ast *a;

		if (++ps->depth > BH_RULES_DEPTH_MAX) {
			fail(ps, ps->start, "conditions nest deeper than %d", BH_RULES_DEPTH_MAX);
			return NULL;
		}
		if (next(ps) < 0)
			return NULL;
		struct rules_ast *inner = parse_not(ps);

		ps->depth--;
		if (!inner)
			return NULL;
		a = node(RULES_A_NOT, p);
		a->a = inner;
		return a;
	}
	return parse_primary(ps);
}

static struct rules_ast *parse_and(struct parser *ps)
{
	struct rules_ast *a = parse_not(ps);

	while (a && at_word(ps, "and")) {
		struct rules_ast *o = node(RULES_A_AND, pos_at(ps, ps->start));

		o->a = a;
		a = o;
		if (next(ps) < 0 || !(o->b = parse_not(ps))) {
			rules_ast_free(a);
			return NULL;
		}
	}
	return a;
}

static struct rules_ast *parse_or(struct parser *ps)
{
	struct rules_ast *a;

	if (++ps->depth > BH_RULES_DEPTH_MAX) {
		fail(ps, ps->start, "conditions nest deeper than %d", BH_RULES_DEPTH_MAX);
		return NULL;
	}
	a = parse_and(ps);
	while (a && at_word(ps, "or")) {
		struct rules_ast *o = node(RULES_A_OR, pos_at(ps, ps->start));

		o->a = a;
		a = o;
		if (next(ps) < 0 || !(o->b = parse_and(ps))) {
			rules_ast_free(a);
			return NULL;
		}
	}
	ps->depth--;
	return a;
}

int rules_parse(const struct rules_text *t, struct rules_ast **out, char *msg, size_t msgsz,
		struct rules_pos *where)
{
	struct parser ps = { .t = t, .msg = msg, .msgsz = msgsz, .where = where };
	struct rules_ast *a = NULL;
	char d[80];

	*out = NULL;
	if (next(&ps) < 0)
		goto out;
	if (ps.tok == T_EOF) {
		fail(&ps, 0, "empty condition");
		goto out;
	}
	a = parse_or(&ps);
	if (a && ps.tok != T_EOF) {
		if (ps.tok == T_RP)
			fail(&ps, ps.start, "unbalanced ')'");
		else
			fail(&ps, ps.start, "expected 'and', 'or' or the end, got %s",
			     tok_desc(&ps, d, sizeof(d)));
		rules_ast_free(a);
		a = NULL;
	}
out:
	free(ps.text);
	if (!a)
		return -1;
	*out = a;
	return 0;
}
