/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQL injection detector (see sqli.h): folding and the rule set.
 *
 * Why rules and not a fingerprint list: libinjection judges the first five
 * folded tokens against ~9000 fingerprints learnt from attack corpora; we
 * have no such list of our own and do not copy one. Instead each rule below
 * is a production of the attack grammar an injected value must follow to
 * work at all:
 *
 *   value   := CLOSE PIVOT REST END
 *   CLOSE   := the application's literal, ended: in the quote contexts the
 *              string the first quote closes (then any ')' that close the
 *              application's parentheses); in the bare context a leading
 *              value (a number, a name), or nothing when the value replaces
 *              the whole operand
 *   PIVOT   := "&" VALUE          boolean: OR 1=1, AND 'a'='a, OR SLEEP(5)
 *            | "U" "E"            UNION [ALL] SELECT
 *            | ";" "E"            a stacked statement
 *            | "B" ...            ORDER BY n, GROUP BY, LIMIT, PROCEDURE, INTO
 *            | "c"                a comment that cuts the rest (after CLOSE)
 *            | "(E" / "E"         a subquery (or a SELECT replacing the operand)
 *            | f                  a timing/error function (SLEEP, BENCHMARK,
 *                                 PG_SLEEP, EXTRACTVALUE, UPDATEXML, ...)
 *   END     := in a quote context, an unterminated string of the same quote
 *              (the application's closing quote ends it), a comment or ';';
 *              in the bare context any value, ')' or a comment
 *
 * English that looks like SQL fails the grammar: "O'Reilly and sons" in the
 * quote context is s n & n s (no value beside the '&'), "1-2 days" folds to
 * 1 n, "select your plan" is E n n (a SELECT of two bare words). The rules
 * were checked against the corpus bench/sqli.sh builds (sqlmap's payloads
 * times its boundaries) and the look-alike set it builds; their figures are
 * in the report, not tuned here to individual strings.
 */
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "net/sqli.h"
#include "banned.h"

struct ft;
static bool word_is(const struct ft *t, const char *w);

/* A folded token. */
struct ft {
	char type;
	uint8_t flags;
	char quote;
	char op;       /* an operator's first byte */
	uint8_t oplen; /* an operator's length */
	int16_t word;  /* keyword index, -1 */
	bool danger;   /* a timing/error function, or a call that held one */
	bool cmp;      /* a value that absorbed a comparison (1=1) */
	bool call;     /* a value that absorbed parentheses or a call */
};

static bool is_cmp_op(const struct ft *o)
{
	return (o->oplen > 0 &&
		(o->op == '=' || o->op == '<' || o->op == '>' || (o->op == '!' && o->oplen > 1))) ||
	       word_is(o, "like") || word_is(o, "rlike") || word_is(o, "regexp") ||
	       word_is(o, "ilike") || word_is(o, "glob");
}

static bool is_value(char t)
{
	return t == '1' || t == 's' || t == 'n' || t == 'v' || t == 'f';
}

static bool word_is(const struct ft *t, const char *w)
{
	const char *x = t->word >= 0 ? bh_sql_word(t->word) : NULL;
	return x && x[0] == w[0] && strcmp(x, w) == 0;
}

static const char *const danger_funcs[] = {
	"benchmark",  "extractvalue", "gtid_subset", "json_keys",   "load_file", "pg_sleep",
	"randomblob", "sleep",	      "updatexml",   "xp_cmdshell", NULL,
};

static bool is_danger_word(int word)
{
	const char *w = bh_sql_word(word);

	if (!w)
		return false;
	for (size_t i = 0; danger_funcs[i]; i++)
		if (strcmp(w, danger_funcs[i]) == 0)
			return true;
	return false;
}

/* Names that say "a system catalogue" or a sqlmap/ Oracle timing package. */
static bool is_system_name(const char *s, size_t n)
{
	static const char *const names[] = {
		"information_schema", "mysql.",	       "pg_catalog", "pg_shadow",   "pg_user",
		"pg_database",	      "sysobjects",    "syscolumns", "sys.",	    "all_tables",
		"user_tables",	      "sqlite_master", "master..",   "msysobjects", "dbms_pipe",
		"utl_inaddr",	      "rdb$",	       NULL,
	};
	int c = n ? bh_tolower((unsigned char)s[0]) : 0;

	if (n < 4 || !strchr("imspuadr", c) || c == 0)
		return false;
	for (size_t i = 0; names[i]; i++) {
		if (names[i][0] != c)
			continue;
		size_t k = strlen(names[i]);
		if (n >= k && strncasecmp(s, names[i], k) == 0)
			return true;
	}
	return false;
}

/* Fold tokens tk[0..n) into f; returns the folded count. */
static size_t fold(const char *s, const struct bh_sql_token *tk, size_t n, struct ft *f)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		const struct bh_sql_token *t = &tk[i];
		struct ft x = { .type = t->type,
				.flags = t->flags,
				.quote = t->quote,
				.word = t->word,
				.danger = false };

		if (t->type == 'c' && i + 1 < n)
			continue; /* a comment inside: whitespace (UNION/ ** /SELECT) */
		if (t->type == '!')
			continue; /* NOT 1=1 is as much a boolean as 1=1 */
		if (t->type == 'o') {
			x.op = s[t->pos];
			x.oplen = (uint8_t)(t->len > 255 ? 255 : t->len);
			/* a unary + - ~ where no value stands before it */
			if (x.oplen == 1 && (x.op == '-' || x.op == '+' || x.op == '~') &&
			    (m == 0 || !(is_value(f[m - 1].type) || f[m - 1].type == ')')))
				continue;
		}
		if (t->type == 'k' && m > 0 && f[m - 1].type == 'U' &&
		    (word_is(&x, "all") ||
		     (t->len == 8 && strncasecmp(s + t->pos, "distinct", 8) == 0)))
			continue;
		if (t->type == 'f')
			x.danger = is_danger_word(t->word);
		if (t->type == 'n')
			x.danger = is_system_name(s + t->pos, t->len);
		/* a.b, a.b.c: one name */
		if ((t->type == 'n' || t->type == 'f') && m >= 2 && f[m - 1].type == '.' &&
		    (f[m - 2].type == 'n' || f[m - 2].type == 'v')) {
			m -= 2;
			x.danger = x.danger || f[m].danger;
		}
		f[m++] = x;
		/* Reduce the tail while a rule applies. */
		for (;;) {
			/* V o V -> V */
			/* (a name called, 'f', waits for its parentheses) */
			bool ready = f[m - 1].type != 'f' || f[m - 1].call;
			if (ready && m >= 3 && is_value(f[m - 1].type) && f[m - 2].type == 'o' &&
			    is_value(f[m - 3].type)) {
				struct ft r = f[m - 3];
				r.flags = f[m - 1].flags;
				r.quote = f[m - 1].quote;
				r.danger = r.danger || f[m - 1].danger;
				r.cmp = r.cmp || f[m - 1].cmp || is_cmp_op(&f[m - 2]);
				r.call = r.call || f[m - 1].call;
				m -= 3;
				f[m++] = r;
				continue;
			}
			/* V , V -> V */
			if (ready && m >= 3 && is_value(f[m - 1].type) && f[m - 2].type == ',' &&
			    is_value(f[m - 3].type)) {
				f[m - 3].danger = f[m - 3].danger || f[m - 1].danger;
				f[m - 3].cmp = f[m - 3].cmp || f[m - 1].cmp;
				f[m - 3].call = f[m - 3].call || f[m - 1].call;
				f[m - 3].flags = f[m - 1].flags;
				m -= 2;
				continue;
			}
			/* f ( ) -> f ; f ( V ) -> f ; ( V ) -> V */
			if (m >= 3 && f[m - 1].type == ')' && is_value(f[m - 2].type) &&
			    f[m - 3].type == '(') {
				bool d = f[m - 2].danger, c = f[m - 2].cmp;
				if (m >= 4 && f[m - 4].type == 'f') {
					f[m - 4].danger = f[m - 4].danger || d;
					f[m - 4].cmp = f[m - 4].cmp || c;
					f[m - 4].call = true;
					m -= 3;
				} else {
					struct ft v = f[m - 2];
					v.call = true;
					m -= 3;
					f[m++] = v;
				}
				continue;
			}
			if (m >= 3 && f[m - 1].type == ')' && f[m - 2].type == '(' &&
			    f[m - 3].type == 'f') {
				f[m - 3].call = true;
				m -= 2;
				continue;
			}
			/* CASE [v] WHEN v THEN v [ELSE v] END -> a value */
			if (m >= 2 && f[m - 1].type == 'k' && word_is(&f[m - 1], "end")) {
				size_t j = m - 1;
				bool ok = false, when = false;
				while (j-- > 0) {
					if (f[j].type == 'k' && word_is(&f[j], "case")) {
						ok = true;
						break;
					}
					if (f[j].type == 'k' &&
					    (word_is(&f[j], "when") || word_is(&f[j], "then") ||
					     word_is(&f[j], "else"))) {
						when = true;
						continue;
					}
					if (!is_value(f[j].type))
						break;
				}
				if (ok && when) {
					bool d = false;
					for (size_t q = j; q < m; q++)
						d = d || f[q].danger;
					f[j] = (struct ft){ .type = '1',
							    .word = -1,
							    .danger = d,
							    .cmp = true,
							    .call = true };
					m = j + 1;
					continue;
				}
			}
			break;
		}
	}
	return m;
}

/* Two bare words in a row, or a bare word at the end: English, not SQL. */
static bool englishy(const struct ft *f, size_t m, size_t i)
{
	if (i >= m)
		return true;
	if (f[i].type == 'n' && (i + 1 >= m || f[i + 1].type == 'n'))
		return true;
	if (f[i].type == 'k' && i + 1 >= m)
		return true;
	return false;
}

/* The query stays valid after the injected text: see END above. */
static bool end_ok(const struct ft *f, size_t m, enum bh_sql_ctx ctx)
{
	const struct ft *l = &f[m - 1];
	char q = ctx == BH_SQL_CTX_SQUOTE ? '\'' : ctx == BH_SQL_CTX_DQUOTE ? '"' : '`';

	if (l->type == 'c' || l->type == ';')
		return true;
	if (ctx != BH_SQL_CTX_NONE)
		return l->type == 's' && (l->flags & BH_SQL_TF_UNTERMINATED) && l->quote == q &&
		       m > 1;
	if (l->flags & BH_SQL_TF_UNTERMINATED)
		return false;
	return is_value(l->type) || l->type == ')';
}

/* Is there a subquery or a dangerous call from index i on? */
static const char *deep(const struct ft *f, size_t m, size_t i)
{
	for (; i < m; i++) {
		if (f[i].type == 'E' && word_is(&f[i], "select") && i > 0 && f[i - 1].type == '(' &&
		    !englishy(f, m, i + 1))
			return "subquery";
		if (f[i].danger)
			return "function";
		if (f[i].type == 'E' && word_is(&f[i], "waitfor"))
			return "timing";
	}
	return NULL;
}

/* UNION [ALL] SELECT anywhere from i on. */
static bool union_select(const struct ft *f, size_t m, size_t i)
{
	for (; i + 1 < m; i++)
		if (f[i].type == 'U' &&
		    (f[i + 1].type == 'E' ||
		     (f[i + 1].type == '(' && i + 2 < m && f[i + 2].type == 'E')))
			return true;
	return false;
}

/* The right side of a boolean at f[i]: a value, then what may follow one. */
static bool boolean_rhs(const struct ft *f, size_t m, size_t i, const struct ft *l,
			enum bh_sql_ctx ctx)
{
	if (i >= m)
		return false;
	const struct ft *r = &f[i];
	if (r->type == '(' || r->type == 'E')
		return true;
	if (!is_value(r->type))
		return false;
	if ((!l || l->type == 'n' || l->type == ')' || l->type == 'k') && r->type == 'n')
		return false;
	if (i + 1 < m) {
		char nx = f[i + 1].type;
		if (!strchr("c;UB)&(ko", nx))
			return false;
	} else if (!l && ctx == BH_SQL_CTX_NONE && r->type == 'n') {
		return false;
	}
	return true;
}

static const char *judge(const struct ft *f, size_t m, enum bh_sql_ctx ctx, bool closed)
{
	size_t i = 0, closers = 0;
	const char *why;

	if (m == 0)
		return NULL;
	if (ctx != BH_SQL_CTX_NONE) {
		if (!closed)
			return NULL;
		i = 1;
	} else if (is_value(f[0].type)) {
		i = 1;
	}
	/* MATCH (...) AGAINST ('x' IN BOOLEAN MODE): the application's, closed */
	if (i > 0 && i + 2 < m && word_is(&f[i], "in") && word_is(&f[i + 1], "boolean") &&
	    word_is(&f[i + 2], "mode"))
		i += 3;
	while (i < m && f[i].type == ')') {
		i++;
		closers++;
	}
	if (ctx == BH_SQL_CTX_NONE && m == 1 && f[0].cmp && f[0].call)
		return "expression";
	if (i >= m)
		return NULL;
	/* The strong signals, wherever they stand after the close. */
	if (union_select(f, m, i))
		return "union-select";
	if ((why = deep(f, m, ctx == BH_SQL_CTX_NONE ? 0 : i)))
		return why;
	const struct ft *p = &f[i];
	const struct ft *l = i > 0 ? &f[i - 1] : NULL;
	/* AS alias WHERE, WHERE: the application's table or pre-WHERE clause. */
	if (p->type == 'k' && word_is(p, "as") && i + 2 < m && f[i + 1].type == 'n' &&
	    word_is(&f[i + 2], "where"))
		p = &f[i += 2];
	switch (p->type) {
	case '&':
		if (!end_ok(f, m, ctx) && ctx == BH_SQL_CTX_NONE)
			return NULL;
		return boolean_rhs(f, m, i + 1, l, ctx) ? "boolean" : NULL;
	case 'k':
		if ((word_is(p, "where") && (l || ctx != BH_SQL_CTX_NONE)) &&
		    boolean_rhs(f, m, i + 1, l ? l : p, ctx))
			return "boolean";
		return NULL;
	case ';':
		if (i + 1 < m && f[i + 1].type == 'f' && f[i + 1].call)
			return "stacked-query";
		if (i + 1 < m && strchr("Ek", f[i + 1].type) && !englishy(f, m, i + 2))
			return "stacked-query";
		return NULL;
	case 'B':
		if (!l && ctx == BH_SQL_CTX_NONE)
			return NULL;
		if (l && l->type == 'n' && closers == 0 && ctx == BH_SQL_CTX_NONE)
			return NULL;
		if (i + 1 >= m || englishy(f, m, i + 1))
			return NULL;
		if (word_is(p, "order") || word_is(p, "group"))
			return i + 2 < m && word_is(&f[i + 1], "by") && f[i + 2].type != 'n'
				       ? "clause"
				       : NULL;
		return "clause";
	case 'c':
		if (i > 0 && (ctx != BH_SQL_CTX_NONE || closers > 0))
			return "comment-truncation";
		return NULL;
	case 'f':
		if (p->danger && i + 1 == m)
			return "function";
		return NULL;
	default: return NULL;
	}
}

static void fill(struct bh_sqli_result *res, enum bh_sql_ctx ctx, const char *rule,
		 const struct ft *f, size_t m)
{
	if (!res)
		return;
	res->injection = true;
	res->ctx = ctx;
	res->rule = rule;
	size_t k = 0;
	for (; k < m && k < BH_SQLI_FP_MAX; k++)
		res->fingerprint[k] = f[k].type;
	res->fingerprint[k] = 0;
}

/* Bytes that no injection can do without: a value of none of them is plain. */
static bool plain(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(bh_isalnum(c) || c == '_' || c == '.' || c >= 0x80))
			return false;
	}
	return true;
}

bool bh_sqli_check_value(const char *s, size_t len, struct bh_sqli_result *res)
{
	struct bh_sql_token tk[BH_SQLI_MAX_TOKENS];
	struct ft f[BH_SQLI_MAX_TOKENS];
	static const enum bh_sql_ctx ctxs[] = { BH_SQL_CTX_NONE, BH_SQL_CTX_SQUOTE,
						BH_SQL_CTX_DQUOTE, BH_SQL_CTX_BTICK };

	if (res)
		res->injection = false;
	if (len > BH_SQLI_MAX_VALUE) {
		/* Padding must not hide an injection: the head and the tail. */
		return bh_sqli_check_value(s, BH_SQLI_MAX_VALUE, res) ||
		       bh_sqli_check_value(s + len - BH_SQLI_MAX_VALUE, BH_SQLI_MAX_VALUE, res);
	}
	if (plain(s, len))
		return false;
	for (size_t c = 0; c < 4; c++) {
		enum bh_sql_ctx ctx = ctxs[c];
		if (ctx == BH_SQL_CTX_SQUOTE && !memchr(s, '\'', len))
			continue;
		if (ctx == BH_SQL_CTX_DQUOTE && !memchr(s, '"', len))
			continue;
		if (ctx == BH_SQL_CTX_BTICK && !memchr(s, '`', len))
			continue;
		size_t n = bh_sql_tokenize(s, len, ctx, tk, BH_SQLI_MAX_TOKENS);
		size_t m = fold(s, tk, n, f);
		bool closed = n > 0 && !(tk[0].flags & BH_SQL_TF_UNTERMINATED);
		const char *rule = judge(f, m, ctx, closed);
		if (rule) {
			fill(res, ctx, rule, f, m);
			return true;
		}
	}
	return false;
}

/* ---- whole statements ---------------------------------------------------- */

static bool tok_is(const char *s, const struct bh_sql_token *t, const char *w)
{
	size_t k = strlen(w);
	return t->len == k && strncasecmp(s + t->pos, w, k) == 0;
}

static bool is_lit(const struct bh_sql_token *t)
{
	return t->type == '1' || (t->type == 's' && !(t->flags & BH_SQL_TF_UNTERMINATED));
}

static bool is_cmp(const char *s, const struct bh_sql_token *t)
{
	if (t->type == 'o')
		return s[t->pos] == '=' || s[t->pos] == '<' || s[t->pos] == '>' ||
		       s[t->pos] == '!' || tok_is(s, t, "like") || tok_is(s, t, "is");
	return false;
}

static const char *statement_rule(const char *s, size_t len, const struct bh_sql_token *t, size_t n)
{
	bool first_select = false, in_cond = false;
	size_t stmt = 0;

	for (size_t i = 0; i < n; i++) {
		const struct bh_sql_token *x = &t[i];
		if (i == 0 || (i > 0 && t[i - 1].type == ';')) {
			const char *ty = bh_sql_statement_type(s + x->pos, len - x->pos);
			if (stmt == 0)
				first_select = strcmp(ty, "select") == 0;
			else if (first_select &&
				 (strcmp(ty, "drop") == 0 || strcmp(ty, "delete") == 0 ||
				  strcmp(ty, "update") == 0 || strcmp(ty, "insert") == 0 ||
				  strcmp(ty, "alter") == 0 || strcmp(ty, "create") == 0 ||
				  strcmp(ty, "grant") == 0 || strcmp(ty, "truncate") == 0 ||
				  strcmp(ty, "execute") == 0 || strcmp(ty, "copy") == 0 ||
				  tok_is(s, x, "shutdown")))
				return "stacked-query";
			stmt++;
			in_cond = false;
		}
		if (x->type == 'k' &&
		    (tok_is(s, x, "where") || tok_is(s, x, "when") || tok_is(s, x, "on")))
			in_cond = true;
		if (x->type == 'B' && tok_is(s, x, "having"))
			in_cond = true;
		/* OR <lit> = <lit> ; OR <lit> (end of the condition) */
		if (x->type == '&' && !tok_is(s, x, "and") && !tok_is(s, x, "&&") && i + 1 < n) {
			size_t j = i + 1;
			while (j < n && (t[j].type == '(' || t[j].type == '!'))
				j++;
			if (j < n && is_lit(&t[j])) {
				if (j + 2 < n && is_cmp(s, &t[j + 1]) && is_lit(&t[j + 2]))
					return "tautology";
				if (j + 1 >= n || strchr(");c&B", t[j + 1].type))
					return "tautology";
			}
		}
		if (x->type == '&' || (x->type == 'o' && s[x->pos] == '='))
			in_cond = in_cond || x->type == '&';
		if (x->type == 'U' && tok_is(s, x, "union")) {
			for (size_t j = i + 1; j < n && t[j].type != ';'; j++) {
				if ((t[j].type == 'n' || t[j].type == 'f') &&
				    is_system_name(s + t[j].pos, t[j].len))
					return "union-system-table";
				if (t[j].type == 'v' && t[j].len > 2 && s[t[j].pos + 1] == '@')
					return "union-system-variable";
				if (t[j].type == 'f' &&
				    (tok_is(s, &t[j], "version") || tok_is(s, &t[j], "user") ||
				     tok_is(s, &t[j], "current_user") ||
				     tok_is(s, &t[j], "database") || tok_is(s, &t[j], "load_file")))
					return "union-system-function";
			}
		}
		if (in_cond && x->type == 'f' && is_danger_word(x->word))
			return "timing-or-error-function";
		if (x->type == 'E' && tok_is(s, x, "waitfor"))
			return "timing-or-error-function";
		if (x->type == 'c' && (x->flags & BH_SQL_TF_LINE_COMMENT) && i > 0 &&
		    (t[i - 1].type == 's' || t[i - 1].type == ')' || t[i - 1].type == '1') &&
		    (memchr(s + x->pos, '\'', x->len) || memchr(s + x->pos, '"', x->len) ||
		     memchr(s + x->pos, '=', x->len)))
			return "comment-truncation";
	}
	return NULL;
}

bool bh_sqli_check_statement(const char *s, size_t len, struct bh_sqli_result *res)
{
	struct bh_sql_token tk[BH_SQLI_MAX_TOKENS];

	if (res)
		res->injection = false;
	if (len > BH_SQLI_MAX_VALUE)
		len = BH_SQLI_MAX_VALUE;
	size_t n = bh_sql_tokenize(s, len, BH_SQL_CTX_NONE, tk, BH_SQLI_MAX_TOKENS);
	const char *rule = statement_rule(s, len, tk, n);
	if (!rule)
		return false;
	if (res) {
		res->injection = true;
		res->ctx = BH_SQL_CTX_NONE;
		res->rule = rule;
		size_t k = 0;
		for (; k < n && k < BH_SQLI_FP_MAX; k++)
			res->fingerprint[k] = tk[k].type;
		res->fingerprint[k] = 0;
	}
	return true;
}

/* ---- HTTP parameters ------------------------------------------------------ */

size_t bh_sqli_urldecode(const char *s, size_t len, bool plus, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o < cap; i++) {
		int hi, lo;
		if (s[i] == '+' && plus) {
			out[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < len &&
			   (hi = bh_hex_digit((unsigned char)s[i + 1])) >= 0 &&
			   (lo = bh_hex_digit((unsigned char)s[i + 2])) >= 0) {
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	return o;
}

static void set_param(struct bh_sqli_result *res, const char *name, size_t n)
{
	size_t k = 0;

	if (!res)
		return;
	for (size_t i = 0; i < n && k < BH_SQLI_NAME_MAX; i++)
		res->param[k++] = bh_isprint((unsigned char)name[i]) ? name[i] : '?';
	res->param[k] = 0;
}

bool bh_sqli_check_urlencoded(const char *s, size_t len, struct bh_sqli_result *res)
{
	char *buf = NULL;
	size_t params = 0;
	bool hit = false;

	if (res) {
		res->injection = false;
		res->param[0] = 0;
	}
	for (size_t i = 0; i < len && params < BH_SQLI_MAX_PARAMS;) {
		size_t e = i;
		while (e < len && s[e] != '&')
			e++;
		const char *eq = memchr(s + i, '=', e - i);
		size_t nlen = eq ? (size_t)(eq - (s + i)) : e - i;
		const char *v = eq ? eq + 1 : s + e;
		size_t vlen = eq ? (size_t)(s + e - v) : 0;
		if (e > i) {
			params++;
			if (!buf)
				buf = bh_malloc(BH_SQLI_MAX_VALUE);
			size_t dn = bh_sqli_urldecode(v, vlen, true, buf, BH_SQLI_MAX_VALUE);
			bool h = bh_sqli_check_value(buf, dn, res);
			if (!h) {
				dn = bh_sqli_urldecode(s + i, nlen, true, buf, BH_SQLI_MAX_VALUE);
				h = bh_sqli_check_value(buf, dn, res);
			}
			if (h) {
				char name[BH_SQLI_NAME_MAX];
				size_t k = bh_sqli_urldecode(s + i, nlen, true, name, sizeof(name));
				set_param(res, name, k);
				hit = true;
				break;
			}
		}
		i = e + 1;
	}
	free(buf);
	if (res)
		res->params = params;
	return hit;
}

#define JSON_MAX   (1u << 20)
#define JSON_DEPTH 64

static int walk(json_t *j, const char *key, int depth, size_t *params, struct bh_sqli_result *res,
		struct bh_error **err)
{
	if (depth > JSON_DEPTH)
		return bh_error_set(err, BH_ERR_LIMIT, "JSON nested deeper than %d", JSON_DEPTH);
	if (*params >= BH_SQLI_MAX_PARAMS)
		return 0;
	if (json_is_string(j)) {
		(*params)++;
		if (bh_sqli_check_value(json_string_value(j), json_string_length(j), res)) {
			set_param(res, key ? key : "", key ? strlen(key) : 0);
			return 1;
		}
		return 0;
	}
	if (json_is_object(j)) {
		const char *k;
		json_t *v;
		json_object_foreach (j, k, v) {
			if (bh_sqli_check_value(k, strlen(k), res)) {
				set_param(res, k, strlen(k));
				return 1;
			}
			int r = walk(v, k, depth + 1, params, res, err);
			if (r)
				return r;
		}
		return 0;
	}
	if (json_is_array(j)) {
		size_t idx;
		json_t *v;
		json_array_foreach (j, idx, v) {
			int r = walk(v, key, depth + 1, params, res, err);
			if (r)
				return r;
		}
	}
	return 0;
}

/* The deepest nesting of s, counted without parsing (strings skipped). */
static int nesting(const char *s, size_t len)
{
	int d = 0, max = 0;
	bool str = false;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				str = false;
		} else if (c == '"') {
			str = true;
		} else if (c == '[' || c == '{') {
			if (++d > max)
				max = d;
		} else if (c == ']' || c == '}') {
			d--;
		}
	}
	return max;
}

int bh_sqli_check_json(const char *s, size_t len, struct bh_sqli_result *res, struct bh_error **err)
{
	json_error_t je;
	size_t params = 0;
	int r;

	if (res) {
		res->injection = false;
		res->param[0] = 0;
		res->params = 0;
	}
	if (len > JSON_MAX)
		return bh_error_set(err, BH_ERR_LIMIT, "JSON body of %zu bytes (at most %u)", len,
				    JSON_MAX);
	if (nesting(s, len) > JSON_DEPTH)
		return bh_error_set(err, BH_ERR_LIMIT, "JSON nested deeper than %d", JSON_DEPTH);
	json_t *j = json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!j)
		return bh_error_set(err, BH_ERR_INVALID, "JSON body: %s (line %d)", je.text,
				    je.line);
	r = walk(j, NULL, 0, &params, res, err);
	json_decref(j);
	if (res)
		res->params = params;
	return r;
}
