/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Alpine (apk-tools) versions:
 *
 *   digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r#}
 *
 * written from the rules of current apk-tools (src/version.c): a version is a
 * sequence of tokens, each allowed only after certain others:
 *   - an initial number, then any number of ".number";
 *   - at most one lowercase letter, right after a number;
 *   - suffixes "_alpha", "_beta", "_pre", "_rc" (before the release) and
 *     "_cvs", "_svn", "_git", "_hg", "_p" (after it), each optionally followed
 *     by a number, any number of them;
 *   - "~" and a lowercase hexadecimal commit hash;
 *   - "-r" and the package revision number, last.
 *
 * Comparison walks both token lists while the token kinds agree: numbers
 * compare numerically, except that a dotted number with a leading zero in
 * either version compares as a string ("1.02" < "1.1", "8.2.0" < "8.2.001");
 * letters and hashes compare as strings; suffixes by their rank. Where the
 * kinds differ, a pre-release suffix on either side makes that side older;
 * otherwise the side whose next token kind comes later in the list above (the
 * end of the string being last of all) is older: "1.0" < "1.0.1" < "1.0a",
 * "1.0_rc1" < "1.0" < "1.0_p1" < "1.0-r1".
 *
 * Numbers are compared exactly however long they are (apk-tools reads them
 * into 64 bits).
 */
#include <string.h>

#include "bulkhead/vuln.h"
#include "version_internal.h"
#include "banned.h"

enum tok {
	T_INITIAL_DIGIT,
	T_DIGIT,
	T_LETTER,
	T_SUFFIX,
	T_SUFFIX_NO,
	T_COMMIT_HASH,
	T_REVISION_NO,
	T_END,
	T_INVALID,
};

/* Suffix ranks: the pre-release ones below NONE, the others above. */
enum { S_INVALID, S_ALPHA, S_BETA, S_PRE, S_RC, S_NONE, S_CVS, S_SVN, S_GIT, S_HG, S_P };

struct token {
	enum tok tok;
	int suffix;
	const char *val; /* the token's characters (digits, letter, suffix or hash) */
	size_t len;
};

struct lexer {
	const char *p, *end;
	struct token t;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

static int suffix_rank(const char *s, size_t n)
{
	static const struct {
		const char *name;
		int rank;
	} names[] = {
		{ "alpha", S_ALPHA }, { "beta", S_BETA }, { "pre", S_PRE },
		{ "rc", S_RC },	      { "cvs", S_CVS },	  { "svn", S_SVN },
		{ "git", S_GIT },     { "hg", S_HG },	  { "p", S_P },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == n && !memcmp(names[i].name, s, n))
			return names[i].rank;
	return S_INVALID;
}

static void take_digits(struct lexer *l)
{
	l->t.val = l->p;
	while (l->p < l->end && is_digit(*l->p))
		l->p++;
	l->t.len = (size_t)(l->p - l->t.val);
	if (!l->t.len)
		l->t.tok = T_INVALID;
}

static void lex_first(struct lexer *l, const char *s, size_t n)
{
	l->p = s;
	l->end = s + n;
	l->t.tok = T_INITIAL_DIGIT;
	l->t.suffix = S_INVALID;
	take_digits(l);
}

/* The next token after l->t, validating that it may follow the current one. */
static void lex_next(struct lexer *l)
{
	struct token *t = &l->t;

	if (l->p == l->end) {
		t->tok = T_END;
		return;
	}
	switch (*l->p) {
	case 'a' ... 'z':
		if (t->tok > T_DIGIT)
			goto invalid;
		t->val = l->p++;
		t->len = 1;
		t->tok = T_LETTER;
		return;
	case '.':
		if (t->tok > T_DIGIT)
			goto invalid;
		l->p++;
		/* fallthrough */
	case '0' ... '9':
		if (t->tok == T_INITIAL_DIGIT || t->tok == T_DIGIT)
			t->tok = T_DIGIT;
		else if (t->tok == T_SUFFIX)
			t->tok = T_SUFFIX_NO;
		else
			goto invalid;
		take_digits(l);
		return;
	case '_':
		if (t->tok > T_SUFFIX_NO)
			goto invalid;
		l->p++;
		t->val = l->p;
		while (l->p < l->end && is_lower(*l->p))
			l->p++;
		t->len = (size_t)(l->p - t->val);
		t->suffix = suffix_rank(t->val, t->len);
		if (t->suffix == S_INVALID)
			goto invalid;
		t->tok = T_SUFFIX;
		return;
	case '~':
		if (t->tok >= T_COMMIT_HASH)
			goto invalid;
		l->p++;
		t->val = l->p;
		while (l->p < l->end && is_hex(*l->p))
			l->p++;
		t->len = (size_t)(l->p - t->val);
		if (!t->len)
			goto invalid;
		t->tok = T_COMMIT_HASH;
		return;
	case '-':
		if (t->tok >= T_REVISION_NO)
			goto invalid;
		if (l->end - l->p < 2 || l->p[1] != 'r')
			goto invalid;
		l->p += 2;
		t->tok = T_REVISION_NO;
		take_digits(l);
		return;
	default: break;
	}
invalid:
	t->tok = T_INVALID;
}

static const char *invalid_reason(const char *v, size_t n)
{
	struct lexer l;

	lex_first(&l, v, n);
	while (l.t.tok < T_END)
		lex_next(&l);
	if (l.t.tok == T_END)
		return NULL;
	if (l.p == v)
		return "does not start with a digit";
	return "bad syntax (expected digit{.digit}...{letter}{_suffix{N}}...{~hash}{-rN})";
}

static int validate(const char *v, const char **why, struct bh_error **err)
{
	const char *reason;

	(void)why; /* apk-tools refuses what it cannot read: nothing is odd */
	if (vuln_vs_check_len("apk", v, err) < 0)
		return -1;
	reason = invalid_reason(v, strlen(v));
	return reason ? vuln_vs_invalid(err, "apk", v, reason) : 0;
}

static int token_cmp(const struct token *a, const struct token *b)
{
	switch (a->tok) {
	case T_DIGIT:
		/* A leading zero in either makes it a string comparison (Gentoo rule). */
		if (a->val[0] == '0' || b->val[0] == '0')
			return vuln_vs_bytecmp(a->val, a->len, b->val, b->len);
		/* fallthrough */
	case T_INITIAL_DIGIT:
	case T_SUFFIX_NO:
	case T_REVISION_NO: return vuln_vs_numcmp(a->val, a->len, b->val, b->len);
	case T_LETTER: return a->val[0] < b->val[0] ? -1 : a->val[0] > b->val[0];
	case T_SUFFIX: return a->suffix < b->suffix ? -1 : a->suffix > b->suffix;
	default: return vuln_vs_bytecmp(a->val, a->len, b->val, b->len);
	}
}

static int compare(const char *a, const char *b, int *cmp, struct bh_error **err)
{
	struct lexer la, lb;

	if (validate(a, NULL, err) < 0 || validate(b, NULL, err) < 0)
		return -1;
	lex_first(&la, a, strlen(a));
	lex_first(&lb, b, strlen(b));
	while (la.t.tok == lb.t.tok && la.t.tok < T_END) {
		int r = token_cmp(&la.t, &lb.t);

		if (r) {
			*cmp = r;
			return 0;
		}
		lex_next(&la);
		lex_next(&lb);
	}
	if (la.t.tok == lb.t.tok)
		*cmp = 0;
	else if (la.t.tok == T_SUFFIX && la.t.suffix < S_NONE)
		*cmp = -1;
	else if (lb.t.tok == T_SUFFIX && lb.t.suffix < S_NONE)
		*cmp = 1;
	else
		*cmp = la.t.tok > lb.t.tok ? -1 : 1;
	return 0;
}

static const char *const aliases[] = { "alpine", NULL };
static const char *const ecosystems[] = { "Alpine", "Wolfi", "Chainguard", NULL };

const struct vuln_vscheme vuln_vscheme_apk = {
	.id = BH_VS_APK,
	.name = "apk",
	.native = "apk-tools",
	.aliases = aliases,
	.ecosystems = ecosystems,
	.validate = validate,
	.compare = compare,
};
