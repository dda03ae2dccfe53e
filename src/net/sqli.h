/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SQL injection detection (issue 16): an SQL tokenizer (MySQL, PostgreSQL
 * and ANSI lexing) and a detector in libinjection's spirit, written here.
 *
 * A value (an HTTP parameter) is tokenized three times, as if it started in
 * each context an application may splice it into: after no quote (a number
 * or bare expression), inside a single-quoted string, inside a
 * double-quoted string. Each token stream is folded (runs of literals and
 * operators collapse to one value, unary operators vanish, calls and
 * parenthesised values become one value, UNION ALL becomes UNION) and the
 * folded token classes (the fingerprint, e.g. "s&s" for  1' OR 'a'='a ) are
 * judged by a rule set derived from the grammar of an attack: an injection
 * must close the application's literal, then add SQL that changes the
 * query (a boolean clause, a UNION, a stacked statement, a clause, a
 * subquery, a timing or error function, a comment that cuts the rest) and
 * leave the query valid (end on an open literal of the same quote, a
 * comment, or a value). See sqli.c for the rules and why each exists.
 *
 * A statement sent by an SQL client (MySQL, PostgreSQL) is judged whole by
 * different rules (bh_sqli_check_statement): the application wrote most of
 * it, so only the shapes an injection leaves are looked for.
 *
 * All functions are pure and thread-safe; inputs are (pointer, length),
 * may hold any byte (NUL, invalid UTF-8) and are never read past len.
 * Ownership: nothing is allocated that the caller must free; results are
 * written into caller-provided structures.
 */
#ifndef BULKHEAD_NET_SQLI_H
#define BULKHEAD_NET_SQLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/base.h"

/* ---- tokenizer ----------------------------------------------------------- */

/* Token classes (one character each, so a fingerprint reads as a string). */
enum bh_sql_tok_type {
	BH_SQL_T_STRING = 's',	/* 'x', "x" (a string in MySQL), $$x$$, E'x', N'x', X'ab' */
	BH_SQL_T_NUMBER = '1',	/* 12, 1.5e3, 0x1f, 0b101, NULL, TRUE, FALSE */
	BH_SQL_T_NAME = 'n',	/* identifier, `quoted`, [quoted] */
	BH_SQL_T_VAR = 'v',	/* @x, @@x, ?, $1, :name */
	BH_SQL_T_FUNC = 'f',	/* a known function, or a name followed by '(' */
	BH_SQL_T_KEYWORD = 'k', /* FROM, WHERE, AS, CASE, ... */
	BH_SQL_T_STMT = 'E',	/* a word that starts a statement: SELECT, DROP, ... */
	BH_SQL_T_UNION = 'U',	/* UNION, INTERSECT */
	BH_SQL_T_CLAUSE = 'B',	/* ORDER, GROUP, HAVING, LIMIT, PROCEDURE, INTO */
	BH_SQL_T_LOGIC = '&',	/* AND, OR, XOR, && */
	BH_SQL_T_UNARY = '!',	/* NOT, ! (a logical negation) */
	BH_SQL_T_OP = 'o',	/* = < <> + - * / || LIKE IN IS BETWEEN ... */
	BH_SQL_T_COMMENT = 'c', /* slash-star, --, # (a MySQL versioned one is SQL, not this) */
	BH_SQL_T_SEMI = ';',	/* statement separator */
	BH_SQL_T_LPAREN = '(',	/* ( */
	BH_SQL_T_RPAREN = ')',	/* ) */
	BH_SQL_T_COMMA = ',',	/* , */
	BH_SQL_T_DOT = '.',	/* . */
	BH_SQL_T_OTHER = 'X',	/* a byte SQL has no use for */
};

/* Token flags. */
#define BH_SQL_TF_UNTERMINATED 0x01 /* a string or comment the input ended inside */
#define BH_SQL_TF_LINE_COMMENT 0x02 /* -- or # (runs to the end of the line) */

struct bh_sql_token {
	char type;     /* enum bh_sql_tok_type */
	uint8_t flags; /* BH_SQL_TF_* */
	char quote;    /* the quote of a string: '\'', '"', '$'; 0 otherwise */
	uint32_t pos;  /* offset of the token in the input */
	uint32_t len;  /* its length in the input */
	int16_t word;  /* index into the keyword table, -1 when none */
};

/* Where the input starts: the context it is tokenized in. */
enum bh_sql_ctx {
	BH_SQL_CTX_NONE = 0,   /* as SQL (a number or expression) */
	BH_SQL_CTX_SQUOTE = 1, /* inside a '...' string: the first ' closes it */
	BH_SQL_CTX_DQUOTE = 2, /* inside a "..." string */
	BH_SQL_CTX_BTICK = 3,  /* inside a `...` name (an identifier the application quotes) */
};

/*
 * Tokenize s[0..len) as starting in ctx, writing at most max tokens to out.
 * In a quote context the first token is the string the input closes (its
 * flag UNTERMINATED when the quote never comes). Whitespace is skipped;
 * MySQL's versioned comments (slash-star-bang) are read as the SQL inside
 * them. Returns the number of tokens written; tokenizing stops at max.
 */
size_t bh_sql_tokenize(const char *s, size_t len, enum bh_sql_ctx ctx, struct bh_sql_token *out,
		       size_t max);

/* The lower-case word of a keyword table index (tests, fingerprints). */
const char *bh_sql_word(int word);

/*
 * The statement type of an SQL statement as sent by a client: "select",
 * "insert", "update", "delete", "replace", "create", "drop", "alter",
 * "truncate", "grant", "revoke", "begin", "commit", "rollback", "set",
 * "show", "use", "call", "execute", "prepare", "explain", "copy", "merge",
 * "lock", "declare", "values", "other". Leading comments, whitespace and
 * parentheses are skipped; WITH ... (SELECT|INSERT|UPDATE|DELETE) gives
 * the statement after the common table expressions. A static string.
 */
const char *bh_sql_statement_type(const char *text, size_t len);

/* ---- detection ---------------------------------------------------------- */

#define BH_SQLI_FP_MAX	   15	       /* fingerprint characters kept in a result */
#define BH_SQLI_MAX_TOKENS 512	       /* tokens judged per context; the rest is not read */
#define BH_SQLI_MAX_VALUE  (64 * 1024) /* bytes of one decoded value that are judged */
#define BH_SQLI_MAX_PARAMS 1024	       /* parameters judged per query string or body */
#define BH_SQLI_NAME_MAX   63	       /* parameter name bytes kept in a result */

struct bh_sqli_result {
	bool injection;
	enum bh_sql_ctx ctx;		      /* the context the injection was seen in */
	const char *rule;		      /* "union-select", "boolean", ... (static) */
	char fingerprint[BH_SQLI_FP_MAX + 1]; /* folded token classes, truncated */
	char param[BH_SQLI_NAME_MAX + 1];     /* the parameter (urlencoded/JSON), printable */
	size_t params;			      /* parameters judged (urlencoded/JSON) */
};

/*
 * Judge one value (an HTTP parameter value, already decoded). Returns true
 * and fills *res (when not NULL) if it is an injection. A value longer than
 * BH_SQLI_MAX_VALUE is judged on its first and its last BH_SQLI_MAX_VALUE
 * bytes (padding in the middle hides nothing at either end).
 */
bool bh_sqli_check_value(const char *s, size_t len, struct bh_sqli_result *res);

/*
 * Judge a statement sent by an SQL client as a whole: a tautology in a
 * condition (OR 1=1, OR 'a'='a'), a dangerous statement stacked after
 * another, UNION SELECT from system catalogues, timing functions in a
 * condition, a line comment that cuts a quoted remainder.
 */
bool bh_sqli_check_statement(const char *s, size_t len, struct bh_sqli_result *res);

/*
 * Decode an application/x-www-form-urlencoded string (a URL's query or a
 * form body: '&' between pairs, '+' a space, %XX decoded, a bad escape kept
 * as is) and judge every value (and every name) with
 * bh_sqli_check_value. At most BH_SQLI_MAX_PARAMS pairs are judged. Returns
 * true on the first injection, with res->param naming the parameter.
 * A ';' is part of a value, as browsers and WHATWG's URLSearchParams read
 * it: split there, "id=1;DROP TABLE users--" hid its stacked statement in a
 * "parameter" of its own.
 */
bool bh_sqli_check_urlencoded(const char *s, size_t len, struct bh_sqli_result *res);

/*
 * Parse a JSON body (at most 1 MiB, nesting at most 64 deep) and judge
 * every string value and every number's text with bh_sqli_check_value.
 * Returns 1 on an injection (res->param is the member's name), 0 when
 * none, <0 when the body is not JSON within the limits (err says why).
 */
int bh_sqli_check_json(const char *s, size_t len, struct bh_sqli_result *res,
		       struct bh_error **err);

/*
 * Percent-decode s[0..len) into out (capacity cap) for a form value: '+'
 * becomes a space when plus is true, %XX its byte, a malformed escape is
 * copied as is. Returns the decoded length (at most cap; the rest dropped).
 */
size_t bh_sqli_urldecode(const char *s, size_t len, bool plus, char *out, size_t cap);

#endif
