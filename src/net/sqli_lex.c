/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQL tokenizer (see sqli.h): MySQL, PostgreSQL and ANSI lexing at once,
 * since a detector does not know which server is behind an application.
 * Where the dialects disagree the reading that an attack could use wins:
 * a backslash escapes inside quotes (MySQL) as well as a doubled quote
 * (ANSI); "x" is a string (MySQL) token of class 's'; -- starts a comment
 * (ANSI) even without the space MySQL wants; # is a comment (MySQL);
 * slash-star-bang is MySQL's versioned comment whose body MySQL runs, so it
 * is read as SQL. And the statement type of a client's statement.
 */
#include <string.h>
#include <strings.h>

#include "net/sqli.h"
#include "banned.h"

/* Keywords, sorted (a unit test checks), lower case, with their class. */
struct kw {
	const char *w;
	char type;
};

static const struct kw kws[] = {
	{ "abs", 'f' },
	{ "all", 'k' },
	{ "alter", 'E' },
	{ "analyse", 'f' },
	{ "and", '&' },
	{ "array_agg", 'f' },
	{ "as", 'k' },
	{ "asc", 'k' },
	{ "ascii", 'f' },
	{ "atan", 'f' },
	{ "avg", 'f' },
	{ "begin", 'k' },
	{ "benchmark", 'f' },
	{ "between", 'o' },
	{ "bin", 'f' },
	{ "binary", 'k' },
	{ "boolean", 'k' },
	{ "by", 'k' },
	{ "call", 'E' },
	{ "case", 'k' },
	{ "cast", 'f' },
	{ "char", 'f' },
	{ "char_length", 'f' },
	{ "chr", 'f' },
	{ "coalesce", 'f' },
	{ "collate", 'k' },
	{ "concat", 'f' },
	{ "concat_ws", 'f' },
	{ "convert", 'f' },
	{ "copy", 'E' },
	{ "count", 'f' },
	{ "create", 'E' },
	{ "crypt_key", 'f' },
	{ "ctxsys", 'n' },
	{ "current_database", 'f' },
	{ "current_setting", 'f' },
	{ "current_user", 'f' },
	{ "data", 'k' },
	{ "database", 'f' },
	{ "db_name", 'f' },
	{ "dbms_lock", 'n' },
	{ "dbms_pipe", 'n' },
	{ "dbms_utility", 'n' },
	{ "declare", 'E' },
	{ "decode", 'f' },
	{ "delay", 'k' },
	{ "delete", 'E' },
	{ "desc", 'k' },
	{ "distinct", 'k' },
	{ "div", 'o' },
	{ "domain", 'n' },
	{ "drithsx", 'n' },
	{ "drop", 'E' },
	{ "dual", 'n' },
	{ "dumpfile", 'k' },
	{ "else", 'k' },
	{ "elt", 'f' },
	{ "end", 'k' },
	{ "escape", 'k' },
	{ "except", 'U' },
	{ "exec", 'E' },
	{ "execute", 'E' },
	{ "exists", 'f' },
	{ "exp", 'f' },
	{ "extractvalue", 'f' },
	{ "false", '1' },
	{ "floor", 'f' },
	{ "from", 'k' },
	{ "generate_series", 'f' },
	{ "geometrycollection", 'f' },
	{ "glob", 'o' },
	{ "grant", 'E' },
	{ "group", 'B' },
	{ "group_concat", 'f' },
	{ "gtid_subset", 'f' },
	{ "handler", 'E' },
	{ "having", 'B' },
	{ "hex", 'f' },
	{ "host_name", 'f' },
	{ "if", 'f' },
	{ "ifnull", 'f' },
	{ "iif", 'f' },
	{ "ilike", 'o' },
	{ "in", 'o' },
	{ "infile", 'k' },
	{ "information_schema", 'n' },
	{ "insert", 'E' },
	{ "instr", 'f' },
	{ "int", 'k' },
	{ "integer", 'k' },
	{ "intersect", 'U' },
	{ "into", 'B' },
	{ "is", 'o' },
	{ "isnull", 'f' },
	{ "join", 'k' },
	{ "json_arrayagg", 'f' },
	{ "json_keys", 'f' },
	{ "left", 'f' },
	{ "len", 'f' },
	{ "length", 'f' },
	{ "like", 'o' },
	{ "limit", 'B' },
	{ "linestring", 'f' },
	{ "ln", 'f' },
	{ "lo_import", 'f' },
	{ "load", 'E' },
	{ "load_file", 'f' },
	{ "locate", 'f' },
	{ "log", 'f' },
	{ "lower", 'f' },
	{ "make_set", 'f' },
	{ "max", 'f' },
	{ "md5", 'f' },
	{ "mid", 'f' },
	{ "min", 'f' },
	{ "mod", 'o' },
	{ "mode", 'k' },
	{ "multipoint", 'f' },
	{ "nchar", 'f' },
	{ "not", '!' },
	{ "null", '1' },
	{ "nullif", 'f' },
	{ "numeric", 'k' },
	{ "nvarchar", 'k' },
	{ "nvl", 'f' },
	{ "offset", 'B' },
	{ "on", 'k' },
	{ "openrowset", 'f' },
	{ "or", '&' },
	{ "ord", 'f' },
	{ "order", 'B' },
	{ "outfile", 'k' },
	{ "pg_catalog", 'n' },
	{ "pg_read_file", 'f' },
	{ "pg_sleep", 'f' },
	{ "polygon", 'f' },
	{ "position", 'f' },
	{ "power", 'f' },
	{ "procedure", 'B' },
	{ "program", 'k' },
	{ "rand", 'f' },
	{ "randomblob", 'f' },
	{ "rawtohex", 'f' },
	{ "receive_message", 'f' },
	{ "regexp", 'o' },
	{ "regexp_like", 'f' },
	{ "regexp_substring", 'f' },
	{ "repeat", 'f' },
	{ "replace", 'f' },
	{ "revoke", 'E' },
	{ "right", 'f' },
	{ "rlike", 'o' },
	{ "row", 'f' },
	{ "schema", 'f' },
	{ "select", 'E' },
	{ "session_user", 'f' },
	{ "set", 'k' },
	{ "shutdown", 'E' },
	{ "sign", 'f' },
	{ "sin", 'f' },
	{ "sleep", 'f' },
	{ "sounds", 'o' },
	{ "sqlite_version", 'f' },
	{ "sqrt", 'f' },
	{ "strcmp", 'f' },
	{ "string_agg", 'f' },
	{ "substr", 'f' },
	{ "substring", 'f' },
	{ "sum", 'f' },
	{ "suser_name", 'f' },
	{ "sys_context", 'f' },
	{ "sysdate", 'f' },
	{ "sysibm", 'n' },
	{ "sysmaster", 'n' },
	{ "system_user", 'f' },
	{ "table", 'k' },
	{ "text", 'k' },
	{ "then", 'k' },
	{ "time", 'k' },
	{ "to_char", 'f' },
	{ "top", 'k' },
	{ "true", '1' },
	{ "truncate", 'E' },
	{ "unhex", 'f' },
	{ "unicode", 'f' },
	{ "union", 'U' },
	{ "update", 'E' },
	{ "updatexml", 'f' },
	{ "upper", 'f' },
	{ "user", 'f' },
	{ "user_name", 'f' },
	{ "utl_http", 'n' },
	{ "utl_inaddr", 'n' },
	{ "utl_raw", 'n' },
	{ "values", 'k' },
	{ "varchar", 'k' },
	{ "version", 'f' },
	{ "waitfor", 'E' },
	{ "when", 'k' },
	{ "where", 'k' },
	{ "with", 'k' },
	{ "xmltype", 'f' },
	{ "xor", '&' },
	{ "xp_cmdshell", 'f' },
};

#define NKW (sizeof(kws) / sizeof(kws[0]))

const char *bh_sql_word(int word)
{
	return word >= 0 && (size_t)word < NKW ? kws[word].w : NULL;
}

/* The index of the word s[0..n) (any case), or -1. */
static int kw_find(const char *s, size_t n)
{
	char low[24];
	size_t lo = 0, hi = NKW;

	if (n == 0 || n >= sizeof(low))
		return -1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)bh_tolower((unsigned char)s[i]);
	low[n] = 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(low, kws[mid].w);

		if (c == 0)
			return (int)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static bool is_ident_start(unsigned char c)
{
	return bh_isalpha(c) || c == '_' || c >= 0x80;
}

static bool is_ident(unsigned char c)
{
	return is_ident_start(c) || bh_isdigit(c) || c == '$';
}

/* Offset after a quoted run starting at s[i] (the opening quote q), with a
 * doubled quote and a backslash both escaping; *unterm when it never ends. */
static size_t skip_quoted(const char *s, size_t len, size_t i, char q, bool backslash, bool *unterm)
{
	for (i++; i < len; i++) {
		if (backslash && s[i] == '\\') {
			i++;
			continue;
		}
		if (s[i] == q) {
			if (i + 1 < len && s[i + 1] == q) {
				i++;
				continue;
			}
			*unterm = false;
			return i + 1;
		}
	}
	*unterm = true;
	return len;
}

struct lexer {
	const char *s;
	size_t len, i;
	struct bh_sql_token *out;
	size_t n, max;
	bool versioned; /* inside a MySQL slash-star-bang comment */
};

static void push(struct lexer *lx, char type, size_t pos, size_t end, uint8_t flags, char quote,
		 int word)
{
	struct bh_sql_token *t;

	if (lx->n >= lx->max)
		return;
	t = &lx->out[lx->n++];
	t->type = type;
	t->flags = flags;
	t->quote = quote;
	t->pos = (uint32_t)pos;
	t->len = (uint32_t)(end - pos);
	t->word = (int16_t)word;
}

/* A dollar-quote tag at s[i] ('$' [tag] '$'): its length, or 0. */
static size_t dollar_tag(const char *s, size_t len, size_t i)
{
	size_t j = i + 1;

	if (j < len && is_ident_start((unsigned char)s[j]))
		for (j++; j < len && is_ident((unsigned char)s[j]) && s[j] != '$'; j++)
			;
	if (j < len && s[j] == '$')
		return j + 1 - i;
	return 0;
}

static void lex_string(struct lexer *lx, size_t start, size_t q_at, char q)
{
	bool unterm;
	size_t end = skip_quoted(lx->s, lx->len, q_at, q, true, &unterm);

	push(lx, q == '`' ? 'n' : 's', start, end, unterm ? BH_SQL_TF_UNTERMINATED : 0, q, -1);
	lx->i = end;
}

static void lex_number(struct lexer *lx)
{
	const char *s = lx->s;
	size_t len = lx->len, i = lx->i, start = i;

	if (s[i] == '0' && i + 2 < len + 0 && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
	    bh_isxdigit((unsigned char)s[i + 2])) {
		for (i += 2; i < len && bh_isxdigit((unsigned char)s[i]); i++)
			;
	} else if (s[i] == '0' && i + 2 < len && (s[i + 1] == 'b' || s[i + 1] == 'B') &&
		   (s[i + 2] == '0' || s[i + 2] == '1')) {
		for (i += 2; i < len && (s[i] == '0' || s[i] == '1'); i++)
			;
	} else {
		while (i < len && bh_isdigit((unsigned char)s[i]))
			i++;
		if (i < len && s[i] == '.')
			for (i++; i < len && bh_isdigit((unsigned char)s[i]); i++)
				;
		if (i < len && (s[i] == 'e' || s[i] == 'E')) {
			size_t j = i + 1;

			if (j < len && (s[j] == '+' || s[j] == '-'))
				j++;
			if (j < len && bh_isdigit((unsigned char)s[j])) {
				for (i = j; i < len && bh_isdigit((unsigned char)s[i]); i++)
					;
			}
		}
	}
	/* MySQL reads 1abc as an identifier (digits then letters). */
	if (i < len && is_ident((unsigned char)s[i]) && s[i] != '$') {
		while (i < len && is_ident((unsigned char)s[i]))
			i++;
		push(lx, 'n', start, i, 0, 0, -1);
	} else {
		push(lx, '1', start, i, 0, 0, -1);
	}
	lx->i = i;
}

static void lex_word(struct lexer *lx)
{
	const char *s = lx->s;
	size_t len = lx->len, i = lx->i, start = i;
	int w;
	char type = 'n';

	while (i < len && is_ident((unsigned char)s[i]))
		i++;
	/* A string prefix: N'..' E'..' X'..' B'..' U&'..', _charset'..' */
	if (i < len && s[i] == '\'' && (i - start == 1 || s[start] == '_')) {
		lex_string(lx, start, i, '\'');
		return;
	}
	w = kw_find(s + start, i - start);
	if (w >= 0)
		type = kws[w].type;
	/* A name called is a function (whitespace allowed before the paren). */
	size_t j = i;
	while (j < len && bh_isspace((unsigned char)s[j]))
		j++;
	if (j < len && s[j] == '(' && (type == 'n'))
		type = 'f';
	else if (type == 'f' && (j >= len || s[j] != '('))
		type = 'n'; /* a function's name not called: a word ("left", "count") */
	push(lx, type, start, i, 0, 0, w);
	lx->i = i;
}

static void lex_one(struct lexer *lx)
{
	const char *s = lx->s;
	size_t len = lx->len, i = lx->i;
	unsigned char c = (unsigned char)s[i], d = i + 1 < len ? (unsigned char)s[i + 1] : 0;

	if (bh_isspace(c) || c == 0 || c == 0x0b) {
		lx->i++;
		return;
	}
	if (c == '/' && d == '*') {
		if (i + 2 < len && s[i + 2] == '!') {
			/* MySQL versioned comment: its body is SQL; skip the version. */
			size_t j = i + 3;
			while (j < len && j < i + 9 && bh_isdigit((unsigned char)s[j]))
				j++;
			lx->versioned = true;
			lx->i = j;
			return;
		}
		const char *e = NULL;
		for (size_t j = i + 2; j + 1 < len; j++)
			if (s[j] == '*' && s[j + 1] == '/') {
				e = s + j;
				break;
			}
		size_t end = e ? (size_t)(e - s) + 2 : len;
		push(lx, 'c', i, end, e ? 0 : BH_SQL_TF_UNTERMINATED, 0, -1);
		lx->i = end;
		return;
	}
	if (c == '*' && d == '/' && lx->versioned) {
		lx->versioned = false;
		lx->i += 2;
		return;
	}
	if ((c == '-' && d == '-') || c == '#') {
		size_t end = i;
		while (end < len && s[end] != '\n')
			end++;
		push(lx, 'c', i, end, BH_SQL_TF_LINE_COMMENT, 0, -1);
		lx->i = end;
		return;
	}
	if (c == '\'' || c == '"' || c == '`') {
		lex_string(lx, i, i, (char)c);
		return;
	}
	if (c == '[') {
		/* T-SQL [quoted name]: only when it closes on the same line. */
		size_t j = i + 1;
		while (j < len && s[j] != ']' && s[j] != '\n')
			j++;
		if (j < len && s[j] == ']') {
			push(lx, 'n', i, j + 1, 0, 0, -1);
			lx->i = j + 1;
			return;
		}
		push(lx, 'X', i, i + 1, 0, 0, -1);
		lx->i++;
		return;
	}
	if (c == '$') {
		size_t t = dollar_tag(s, len, i);
		if (t) {
			/* $tag$ ... $tag$ */
			size_t j = i + t, end = len;
			uint8_t fl = BH_SQL_TF_UNTERMINATED;
			for (; j + t <= len; j++)
				if (s[j] == '$' && memcmp(s + j, s + i, t) == 0) {
					end = j + t;
					fl = 0;
					break;
				}
			push(lx, 's', i, end, fl, '$', -1);
			lx->i = end;
			return;
		}
		if (bh_isdigit(d)) {
			size_t j = i + 1;
			while (j < len && bh_isdigit((unsigned char)s[j]))
				j++;
			push(lx, 'v', i, j, 0, 0, -1);
			lx->i = j;
			return;
		}
	}
	if (c == '@') {
		size_t j = i + 1;
		if (j < len && s[j] == '@')
			j++;
		if (j < len && (s[j] == '\'' || s[j] == '"' || s[j] == '`')) {
			bool unterm;
			j = skip_quoted(s, len, j, s[j], true, &unterm);
		} else {
			while (j < len && (is_ident((unsigned char)s[j]) || s[j] == '.'))
				j++;
		}
		push(lx, 'v', i, j, 0, 0, -1);
		lx->i = j;
		return;
	}
	if (c == '?' || (c == ':' && is_ident_start(d))) {
		size_t j = i + 1;
		if (c == ':')
			while (j < len && is_ident((unsigned char)s[j]))
				j++;
		push(lx, 'v', i, j, 0, 0, -1);
		lx->i = j;
		return;
	}
	if (bh_isdigit(c) || (c == '.' && bh_isdigit(d))) {
		lex_number(lx);
		return;
	}
	if (is_ident_start(c)) {
		lex_word(lx);
		return;
	}
	switch (c) {
	case '(':
	case ')':
	case ',':
	case ';':
	case '.':
		push(lx, (char)c, i, i + 1, 0, 0, -1);
		lx->i++;
		return;
	case '&':
		if (d == '&') {
			push(lx, '&', i, i + 2, 0, 0, -1);
			lx->i += 2;
			return;
		}
		break;
	case '!':
		if (d != '=' && d != '~') {
			push(lx, '!', i, i + 1, 0, 0, -1);
			lx->i++;
			return;
		}
		break;
	default: break;
	}
	if (strchr("=<>+-*/%^&|~!:", c)) {
		/* An operator: the longest run of operator bytes, at most 3. */
		size_t j = i + 1;
		while (j < len && j < i + 3 && strchr("=<>|&~!:*", s[j]) && s[j] != 0 &&
		       !(s[j] == '-' && j + 1 < len && s[j + 1] == '-'))
			j++;
		push(lx, 'o', i, j, 0, 0, -1);
		lx->i = j;
		return;
	}
	push(lx, 'X', i, i + 1, 0, 0, -1);
	lx->i++;
}

size_t bh_sql_tokenize(const char *s, size_t len, enum bh_sql_ctx ctx, struct bh_sql_token *out,
		       size_t max)
{
	struct lexer lx = { .s = s, .len = len, .out = out, .max = max };

	if (len > UINT32_MAX)
		lx.len = len = UINT32_MAX;
	if (ctx != BH_SQL_CTX_NONE) {
		char q = ctx == BH_SQL_CTX_SQUOTE ? '\'' : ctx == BH_SQL_CTX_DQUOTE ? '"' : '`';
		bool unterm;
		/* skip_quoted starts after an opening quote at i: pretend one at -1. */
		size_t end = 0;
		unterm = true;
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '\\') {
				i++;
				continue;
			}
			if (s[i] == q) {
				if (i + 1 < len && s[i + 1] == q) {
					i++;
					continue;
				}
				end = i + 1;
				unterm = false;
				break;
			}
		}
		if (unterm)
			end = len;
		push(&lx, q == '`' ? 'n' : 's', 0, end, unterm ? BH_SQL_TF_UNTERMINATED : 0, q, -1);
		lx.i = end;
	}
	while (lx.i < lx.len && lx.n < lx.max)
		lex_one(&lx);
	return lx.n;
}

/* ---- statement type ---------------------------------------------------- */

static const char *const stmt_words[] = {
	"alter",      "analyze", "begin",   "call",	"commit", "copy",   "create",
	"deallocate", "declare", "delete",  "describe", "do",	  "drop",   "execute",
	"explain",    "grant",	 "handler", "insert",	"load",	  "lock",   "merge",
	"optimize",   "prepare", "rename",  "replace",	"reset",  "revoke", "rollback",
	"savepoint",  "select",	 "set",	    "show",	"start",  "table",  "truncate",
	"unlock",     "update",	 "use",	    "vacuum",	"values", NULL,
};

static const char *stmt_name(const char *w, size_t n)
{
	char low[16];

	if (n == 0 || n >= sizeof(low))
		return NULL;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)bh_tolower((unsigned char)w[i]);
	low[n] = 0;
	if (strcmp(low, "exec") == 0)
		return "execute";
	if (strcmp(low, "desc") == 0 || strcmp(low, "describe") == 0)
		return "explain";
	if (strcmp(low, "start") == 0)
		return "begin";
	if (strcmp(low, "table") == 0)
		return "select";
	for (size_t i = 0; stmt_words[i]; i++)
		if (strcmp(low, stmt_words[i]) == 0)
			return stmt_words[i];
	return NULL;
}

const char *bh_sql_statement_type(const char *text, size_t len)
{
	struct bh_sql_token t[256];
	size_t n = bh_sql_tokenize(text, len, BH_SQL_CTX_NONE, t, 256);
	size_t i = 0;
	int depth = 0;

	while (i < n && (t[i].type == 'c' || t[i].type == '('))
		i++;
	if (i >= n || (t[i].type != 'n' && t[i].type != 'E' && t[i].type != 'k' &&
		       t[i].type != 'f' && t[i].type != 'B'))
		return "other";
	if (t[i].len == 4 && strncasecmp(text + t[i].pos, "with", 4) == 0) {
		/* WITH [RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] (...) [, ...] stmt:
		 * the first statement word at parenthesis depth 0 after an AS (...). */
		for (i++; i < n; i++) {
			if (t[i].type == '(')
				depth++;
			else if (t[i].type == ')')
				depth--;
			else if (depth == 0 && (t[i].type == 'E' || t[i].type == 'n')) {
				const char *w = stmt_name(text + t[i].pos, t[i].len);
				if (w && strcmp(w, "table") != 0 && i > 0 && t[i - 1].type == ')')
					return w;
			}
		}
		/* a tokenizer window that ended first: fall back below */
		return "other";
	}
	const char *w = stmt_name(text + t[i].pos, t[i].len);
	return w ? w : "other";
}
