/* SPDX-License-Identifier: Apache-2.0 */
/*
 * npm ranges, first half: node-semver's desugaring of one "||" part of a
 * range, text to text, step by step as node-semver's parseRange() does it
 * (the reading of the result into comparators, and satisfies(), are in
 * version_npm_range.c, whose header says what the steps mean):
 *   build metadata stripped, the hyphen range ("A - B") over the whole part,
 *   white space after comparators and after "~" / "^" trimmed, then each
 *   word through replaceCarets, replaceTildes, replaceXRanges and
 *   replaceStars, the results joined by spaces.
 * Each step is a small static function that the next one relies on; the
 * one entry point is vuln_npm_desugar (version_internal.h).
 */
#include <stdio.h>
#include <string.h>

#include "bulkhead/vuln.h"
#include "version_internal.h"
#include "banned.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

#define MAX_IDENT_RUN 250 /* node-semver's MAX_SAFE_BUILD_LENGTH */

/* A text slice. */
struct sl {
	const char *p;
	size_t n;
};

/* node-semver's XRANGEPLAIN, matched against a whole slice:
 * [v=\s]*XID(.XID(.XID(-PRE)?(+BUILD)?)?)? */
struct xrange {
	struct sl M, m, p, pr; /* n == 0 && p == NULL: absent */
};

static bool sl_present(struct sl s)
{
	return s.p != NULL;
}

static bool is_x(struct sl s)
{
	return !s.p || !s.n || (s.n == 1 && (*s.p == 'x' || *s.p == 'X' || *s.p == '*'));
}

static bool sl_eq(struct sl s, const char *lit)
{
	return s.p && s.n == strlen(lit) && !memcmp(s.p, lit, s.n);
}

static size_t xid(const char *s, const char *end)
{
	if (s < end && (*s == 'x' || *s == 'X' || *s == '*'))
		return 1;
	return vuln_semver_numeric_ident(s, end);
}

static bool match_xrange(const char *s, size_t n, struct xrange *x)
{
	const char *p = s, *end = s + n, *why;
	struct sl *parts[3] = { &x->M, &x->m, &x->p };
	size_t k;

	memset(x, 0, sizeof(*x));
	while (p < end && (*p == 'v' || *p == '=' || is_space(*p)))
		p++;
	for (int i = 0; i < 3; i++) {
		if (i > 0) {
			if (p >= end || *p != '.')
				return p == end;
			p++;
		}
		k = xid(p, end);
		if (!k)
			return false;
		if (k == 1 && *p == '0' && p + 1 < end && is_digit(p[1]))
			return false;
		parts[i]->p = p;
		parts[i]->n = k;
		p += k;
	}
	if (p < end && *p == '-') {
		k = vuln_semver_idents(p + 1, end, true, &why);
		if (!k)
			return false;
		x->pr.p = p + 1;
		x->pr.n = k;
		p += 1 + k;
	}
	if (p < end && *p == '+') {
		k = vuln_semver_idents(p + 1, end, false, &why);
		if (!k)
			return false;
		p += 1 + k;
	}
	return p == end;
}

/* Decimal increment of a digit string (node: `+M + 1`) into buf. */
static void incr(struct sl s, char *buf, size_t bufsz)
{
	size_t n = s.n < bufsz - 2 ? s.n : bufsz - 2;
	int carry = 1;

	if (!s.p || !n) {
		buf[0] = '1';
		buf[1] = 0;
		return;
	}
	buf[0] = '0';
	memcpy(buf + 1, s.p, n);
	buf[n + 1] = 0;
	for (size_t i = n + 1; i-- > 0 && carry;) {
		if (buf[i] == '9') {
			buf[i] = '0';
		} else {
			buf[i]++;
			carry = 0;
		}
	}
	if (buf[0] == '0')
		memmove(buf, buf + 1, n + 1);
}

#define NUMBUF 272

static int addsl(struct bh_buf *b, struct sl s, struct bh_error **err)
{
	return s.n ? bh_buf_add(b, s.p, s.n, err) : 0;
}

/* replaceCaret() */
static int caret(struct sl w, struct bh_buf *o, struct bh_error **err)
{
	struct xrange x;
	char M1[NUMBUF], m1[NUMBUF], p1[NUMBUF];

	if (w.n < 1 || w.p[0] != '^' || !match_xrange(w.p + 1, w.n - 1, &x))
		return addsl(o, w, err);
	if (is_x(x.M))
		return 0;
	incr(x.M, M1, sizeof(M1));
	incr(x.m, m1, sizeof(m1));
	incr(x.p, p1, sizeof(p1));
#define S(s) (int)(s).n, (s).p
	if (is_x(x.m))
		return bh_buf_addf(o, err, ">=%.*s.0.0 <%s.0.0-0", S(x.M), M1);
	if (is_x(x.p)) {
		if (sl_eq(x.M, "0"))
			return bh_buf_addf(o, err, ">=%.*s.%.*s.0 <%.*s.%s.0-0", S(x.M), S(x.m),
					   S(x.M), m1);
		return bh_buf_addf(o, err, ">=%.*s.%.*s.0 <%s.0.0-0", S(x.M), S(x.m), M1);
	}
	if (sl_present(x.pr)) {
		if (sl_eq(x.M, "0")) {
			if (sl_eq(x.m, "0"))
				return bh_buf_addf(o, err, ">=%.*s.%.*s.%.*s-%.*s <%.*s.%.*s.%s-0",
						   S(x.M), S(x.m), S(x.p), S(x.pr), S(x.M), S(x.m),
						   p1);
			return bh_buf_addf(o, err, ">=%.*s.%.*s.%.*s-%.*s <%.*s.%s.0-0", S(x.M),
					   S(x.m), S(x.p), S(x.pr), S(x.M), m1);
		}
		return bh_buf_addf(o, err, ">=%.*s.%.*s.%.*s-%.*s <%s.0.0-0", S(x.M), S(x.m),
				   S(x.p), S(x.pr), M1);
	}
	if (sl_eq(x.M, "0")) {
		if (sl_eq(x.m, "0"))
			return bh_buf_addf(o, err, ">=%.*s.%.*s.%.*s <%.*s.%.*s.%s-0", S(x.M),
					   S(x.m), S(x.p), S(x.M), S(x.m), p1);
		return bh_buf_addf(o, err, ">=%.*s.%.*s.%.*s <%.*s.%s.0-0", S(x.M), S(x.m), S(x.p),
				   S(x.M), m1);
	}
	return bh_buf_addf(o, err, ">=%.*s.%.*s.%.*s <%s.0.0-0", S(x.M), S(x.m), S(x.p), M1);
}

/* replaceTilde() */
static int tilde(struct sl w, struct bh_buf *o, struct bh_error **err)
{
	struct xrange x;
	char M1[NUMBUF], m1[NUMBUF];
	size_t skip = 1;

	if (w.n < 1 || w.p[0] != '~')
		return addsl(o, w, err);
	if (w.n > 1 && w.p[1] == '>')
		skip = 2;
	if (!match_xrange(w.p + skip, w.n - skip, &x))
		return addsl(o, w, err);
	if (is_x(x.M))
		return 0;
	incr(x.M, M1, sizeof(M1));
	incr(x.m, m1, sizeof(m1));
	if (is_x(x.m))
		return bh_buf_addf(o, err, ">=%.*s.0.0 <%s.0.0-0", S(x.M), M1);
	if (is_x(x.p))
		return bh_buf_addf(o, err, ">=%.*s.%.*s.0 <%.*s.%s.0-0", S(x.M), S(x.m), S(x.M),
				   m1);
	if (sl_present(x.pr))
		return bh_buf_addf(o, err, ">=%.*s.%.*s.%.*s-%.*s <%.*s.%s.0-0", S(x.M), S(x.m),
				   S(x.p), S(x.pr), S(x.M), m1);
	return bh_buf_addf(o, err, ">=%.*s.%.*s.%.*s <%.*s.%s.0-0", S(x.M), S(x.m), S(x.p), S(x.M),
			   m1);
}

/* replaceXRange() */
static int xrange(struct sl w, struct bh_buf *o, struct bh_error **err)
{
	struct xrange x;
	char gtlt[3] = { 0 }, M1[NUMBUF], m1[NUMBUF];
	size_t g = 0;
	bool xM, xm, xp;
	const char *pr = "";

	if (w.n && (w.p[0] == '<' || w.p[0] == '>'))
		gtlt[g++] = w.p[0];
	if (w.n > g && w.p[g] == '=')
		gtlt[g++] = '=';
	if (!match_xrange(w.p + g, w.n - g, &x))
		return addsl(o, w, err);
	/* invalidXRangeOrder(): "x.1", "1.x.2" stay as they are (and fail later) */
	if ((is_x(x.M) && !is_x(x.m)) || (is_x(x.m) && x.p.p && x.p.n && !is_x(x.p)))
		return addsl(o, w, err);
	xM = is_x(x.M);
	xm = xM || is_x(x.m);
	xp = xm || is_x(x.p);
	if (!strcmp(gtlt, "=") && xp)
		gtlt[0] = 0;
	if (xM) {
		if (!strcmp(gtlt, ">") || !strcmp(gtlt, "<"))
			return bh_buf_adds(o, "<0.0.0-0", err);
		return bh_buf_adds(o, "*", err);
	}
	incr(x.M, M1, sizeof(M1));
	incr(x.m, m1, sizeof(m1));
	if (gtlt[0] && xp) {
		const char *M = NULL, *m = "0";
		char Mb[NUMBUF], mb[NUMBUF];

		snprintf(Mb, sizeof(Mb), "%.*s", S(x.M));
		snprintf(mb, sizeof(mb), "%.*s", S(x.m));
		M = Mb;
		if (!xm)
			m = mb;
		if (!strcmp(gtlt, ">")) {
			memcpy(gtlt, ">=", 3);
			if (xm) {
				M = M1;
				m = "0";
			} else {
				m = m1;
			}
		} else if (!strcmp(gtlt, "<=")) {
			memcpy(gtlt, "<", 2);
			if (xm)
				M = M1;
			else
				m = m1;
		}
		if (!strcmp(gtlt, "<"))
			pr = "-0";
		return bh_buf_addf(o, err, "%s%s.%s.0%s", gtlt, M, m, pr);
	}
	if (xm)
		return bh_buf_addf(o, err, ">=%.*s.0.0 <%s.0.0-0", S(x.M), M1);
	if (xp)
		return bh_buf_addf(o, err, ">=%.*s.%.*s.0 <%.*s.%s.0-0", S(x.M), S(x.m), S(x.M),
				   m1);
	return addsl(o, w, err);
}

/* replaceStars(): drop the first match of (<|>)?=?\s?\* */
static int stars(struct sl w, struct bh_buf *o, struct bh_error **err)
{
	for (size_t i = 0; i < w.n; i++) {
		size_t j = i;

		if (j < w.n && (w.p[j] == '<' || w.p[j] == '>'))
			j++;
		if (j < w.n && w.p[j] == '=')
			j++;
		if (j < w.n && is_space(w.p[j]))
			j++;
		if (j < w.n && w.p[j] == '*') {
			if (bh_buf_add(o, w.p, i, err) < 0)
				return -1;
			return bh_buf_add(o, w.p + j + 1, w.n - j - 1, err);
		}
	}
	return addsl(o, w, err);
}

typedef int (*stage_fn)(struct sl w, struct bh_buf *o, struct bh_error **err);

/* Apply fn to each space-separated word of in (trimmed), joining with ' '. */
static int each_word(const char *in, size_t n, stage_fn fn, struct bh_buf *o, struct bh_error **err)
{
	const char *p = in, *end = in + n;
	bool first = true;

	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	if (p == end)
		return fn((struct sl){ p, 0 }, o, err);
	while (p < end) {
		const char *w = p;

		while (p < end && !is_space(*p))
			p++;
		if (!first && bh_buf_addc(o, ' ', err) < 0)
			return -1;
		first = false;
		if (fn((struct sl){ w, (size_t)(p - w) }, o, err) < 0)
			return -1;
		while (p < end && is_space(*p))
			p++;
	}
	return 0;
}

/* Drop build metadata everywhere: \+ID(\.ID)* with ID = [0-9A-Za-z-]{1,250} */
static size_t ident_run(const char *s, size_t n, size_t i)
{
	size_t j = i;

	while (j < n && j - i < MAX_IDENT_RUN && is_ident(s[j]))
		j++;
	return j;
}

static int strip_build(const char *s, size_t n, struct bh_buf *o, struct bh_error **err)
{
	size_t i = 0;

	while (i < n) {
		size_t j;

		if (s[i] != '+' || (j = ident_run(s, n, i + 1)) == i + 1) {
			if (bh_buf_addc(o, s[i], err) < 0)
				return -1;
			i++;
			continue;
		}
		while (j + 1 < n && s[j] == '.' && is_ident(s[j + 1]))
			j = ident_run(s, n, j + 1);
		i = j;
	}
	return 0;
}

/* The hyphen range "A - B", when the whole part is one. */
static int hyphen(const char *s, size_t n, struct bh_buf *o, bool *done, struct bh_error **err)
{
	*done = false;
	/* ^\s?(XRANGEPLAIN) - (XRANGEPLAIN)\s?$ */
	if (n && is_space(s[0]))
		s++, n--;
	if (n && is_space(s[n - 1]))
		n--;
	for (size_t i = 0; i + 3 <= n; i++) {
		struct xrange f, t;
		struct sl from = { s, i }, to = { s + i + 3, n - i - 3 };
		char b[NUMBUF];
		int r = 0;
		size_t mark;

		if (memcmp(s + i, " - ", 3) || !match_xrange(from.p, from.n, &f) ||
		    !match_xrange(to.p, to.n, &t))
			continue;
		*done = true;
		mark = o->len;
		if (is_x(f.M))
			;
		else if (is_x(f.m))
			r = bh_buf_addf(o, err, ">=%.*s.0.0", S(f.M));
		else if (is_x(f.p))
			r = bh_buf_addf(o, err, ">=%.*s.%.*s.0", S(f.M), S(f.m));
		else
			r = bh_buf_addf(o, err, ">=%.*s", S(from));
		if (r < 0)
			return -1;
		if (o->len > mark && !is_x(t.M) && bh_buf_addc(o, ' ', err) < 0)
			return -1;
		if (is_x(t.M)) {
			r = 0;
		} else if (is_x(t.m)) {
			incr(t.M, b, sizeof(b));
			r = bh_buf_addf(o, err, "<%s.0.0-0", b);
		} else if (is_x(t.p)) {
			incr(t.m, b, sizeof(b));
			r = bh_buf_addf(o, err, "<%.*s.%s.0-0", S(t.M), b);
		} else if (sl_present(t.pr)) {
			r = bh_buf_addf(o, err, "<=%.*s.%.*s.%.*s-%.*s", S(t.M), S(t.m), S(t.p),
					S(t.pr));
		} else {
			r = bh_buf_addf(o, err, "<=%.*s", S(to));
		}
		return r;
	}
	return 0;
}

/* trimComparatorWhitespace(): "> 1.2.3" -> ">1.2.3" (node-semver's scanner). */
static bool is_vprefix(char c)
{
	return c == 'v' || c == '=' || is_space(c);
}

static bool is_vstart(char c)
{
	return is_digit(c) || c == 'x' || c == 'X' || c == '*';
}

static size_t digits_end(const char *s, size_t n, size_t i, size_t limit)
{
	size_t e = i;

	while (e < n && is_digit(s[e]))
		e++;
	return e - i > limit ? i + limit : e;
}

static size_t vnum_end(const char *s, size_t n, size_t i, bool loose)
{
	if (i >= n || !is_digit(s[i]))
		return i;
	if (!loose && s[i] == '0')
		return i + 1;
	return digits_end(s, n, i, loose ? 256 : 257);
}

static size_t pre_ident_end(const char *s, size_t n, size_t i, bool loose)
{
	size_t d = digits_end(s, n, i, 256);

	if (d < n && (is_ident(s[d]) && !is_digit(s[d]))) {
		size_t e = d + 1, lim = e + MAX_IDENT_RUN;

		while (e < lim && e < n && is_ident(s[e]))
			e++;
		return e;
	}
	return vnum_end(s, n, i, loose);
}

static size_t pre_end(const char *s, size_t n, size_t i, bool loose)
{
	bool h = i < n && s[i] == '-';
	size_t st, e;

	if (!loose && !h)
		return i;
	st = i + (h ? 1 : 0);
	e = pre_ident_end(s, n, st, loose);
	if (e == st) {
		if (!loose || !h)
			return i;
		e = pre_ident_end(s, n, i, loose);
	}
	while (e < n && s[e] == '.') {
		size_t nx = pre_ident_end(s, n, e + 1, loose);

		if (nx == e + 1)
			break;
		e = nx;
	}
	return e;
}

static size_t build_ident_end(const char *s, size_t n, size_t i)
{
	size_t e = i;

	while (e - i < MAX_IDENT_RUN && e < n && is_ident(s[e]))
		e++;
	return e;
}

static size_t build_end(const char *s, size_t n, size_t i)
{
	size_t e;

	if (i >= n || s[i] != '+')
		return i;
	e = build_ident_end(s, n, i + 1);
	if (e == i + 1)
		return i;
	while (e < n && s[e] == '.') {
		size_t nx = build_ident_end(s, n, e + 1);

		if (nx == e + 1)
			break;
		e = nx;
	}
	return e;
}

static size_t version_end(const char *s, size_t n, size_t start)
{
	size_t e = start;
	bool full = true;

	for (int c = 0; c < 3 && full; c++) {
		size_t nx = vnum_end(s, n, e, true);

		if (nx == e) {
			full = false;
			break;
		}
		e = nx;
		if (c < 2) {
			if (e >= n || s[e] != '.') {
				full = false;
				break;
			}
			e++;
		}
	}
	if (full)
		return build_end(s, n, pre_end(s, n, e, true));
	/* partial / wildcard version */
	e = start;
	if (e < n && is_digit(s[e]))
		e = vnum_end(s, n, e, false);
	else if (e < n && is_vstart(s[e]))
		e++;
	for (int c = 0; c < 2; c++) {
		size_t nx;

		if (e >= n || s[e] != '.')
			return e;
		if (e + 1 < n && is_digit(s[e + 1]))
			nx = vnum_end(s, n, e + 1, false);
		else
			nx = e + 1 < n && is_vstart(s[e + 1]) ? e + 2 : e + 1;
		if (nx == e + 1)
			return e;
		e = nx;
	}
	return build_end(s, n, pre_end(s, n, e, false));
}

static int trim_comparator_ws(const char *s, size_t n, struct bh_buf *o, struct bh_error **err)
{
	size_t copy = 0, cur = 0;

	while (cur < n) {
		size_t ms = cur, pos;

		if (s[cur] == '<' || s[cur] == '>') {
			cur++;
		} else if (!is_vprefix(s[cur]) && !is_vstart(s[cur])) {
			cur++;
			continue;
		}
		while (cur < n && is_vprefix(s[cur]))
			cur++;
		if (cur >= n || !is_vstart(s[cur]))
			continue;
		pos = ms;
		if (pos < n && is_space(s[pos]))
			pos++;
		if (pos < n && (s[pos] == '<' || s[pos] == '>'))
			pos++;
		if (pos < n && s[pos] == '=')
			pos++;
		if (pos < n && is_space(s[pos])) {
			if (bh_buf_add(o, s + copy, pos - copy, err) < 0)
				return -1;
			copy = pos + 1;
		}
		cur = version_end(s, n, cur);
	}
	return bh_buf_add(o, s + copy, n - copy, err);
}

/* TILDETRIM "(\s?)~>?\s" -> "$1~" and CARETTRIM "(\s?)\^\s" -> "$1^" */
static int trim_tilde_caret(const char *s, size_t n, struct bh_buf *o, struct bh_error **err)
{
	struct bh_buf t = BH_BUF_INIT(VULN_VSPEC_MAX_LEN * 8);
	int r = -1;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '~') {
			size_t j = i + 1;

			if (j < n && s[j] == '>')
				j++;
			if (j < n && is_space(s[j])) {
				if (bh_buf_addc(&t, '~', err) < 0)
					goto out;
				i = j;
				continue;
			}
		}
		if (bh_buf_addc(&t, s[i], err) < 0)
			goto out;
	}
	for (size_t i = 0; i < t.len; i++) {
		if (t.data[i] == '^' && i + 1 < t.len && is_space(t.data[i + 1])) {
			if (bh_buf_addc(o, '^', err) < 0)
				goto out;
			i++;
			continue;
		}
		if (bh_buf_addc(o, t.data[i], err) < 0)
			goto out;
	}
	r = 0;
out:
	bh_buf_release(&t);
	return r;
}

/* Swap two buffers and empty the new output. */
static void flip(struct bh_buf **in, struct bh_buf **outb)
{
	struct bh_buf *t = *in;

	*in = *outb;
	*outb = t;
	bh_buf_reset(*outb);
}

/* NUL-terminate b without counting the NUL. */
static int cstr(struct bh_buf *b, struct bh_error **err)
{
	if (bh_buf_addc(b, 0, err) < 0)
		return -1;
	b->len--;
	return 0;
}

/* parseComparator(): one word through replaceCarets, replaceTildes,
 * replaceXRanges and replaceStars; appends the result to o. */
static int rewrite_word(struct sl word, struct bh_buf *o, struct bh_error **err)
{
	struct bh_buf w = BH_BUF_INIT(VULN_VSPEC_MAX_LEN * 8),
		      x = BH_BUF_INIT(VULN_VSPEC_MAX_LEN * 8);
	stage_fn stages[] = { caret, tilde, xrange };
	int r = -1;

	if (bh_buf_add(&w, word.p, word.n, err) < 0 || cstr(&w, err) < 0)
		goto out;
	for (size_t s = 0; s < sizeof(stages) / sizeof(stages[0]); s++) {
		bh_buf_reset(&x);
		if (each_word(w.data, w.len, stages[s], &x, err) < 0 || cstr(&x, err) < 0)
			goto out;
		bh_buf_reset(&w);
		if (bh_buf_add(&w, x.data, x.len, err) < 0 || cstr(&w, err) < 0)
			goto out;
	}
	{
		const char *p = w.data, *e = w.data + w.len;

		while (p < e && is_space(*p))
			p++;
		while (e > p && is_space(e[-1]))
			e--;
		r = stars((struct sl){ p, (size_t)(e - p) }, o, err);
	}
out:
	bh_buf_release(&w);
	bh_buf_release(&x);
	return r;
}

/* vuln_npm_desugar: parseRange()'s rewriting of one "||" part into keep. */
int vuln_npm_desugar(const char *part, size_t n, struct bh_buf *keep, struct bh_error **err)
{
	struct bh_buf a = BH_BUF_INIT(VULN_VSPEC_MAX_LEN * 8),
		      b = BH_BUF_INIT(VULN_VSPEC_MAX_LEN * 8);
	struct bh_buf *in = &a, *outb = &b;
	bool done;
	const char *p, *end;
	int r = -1;

	/* build metadata, then the hyphen range over the whole part */
	if (strip_build(part, n, in, err) < 0 || cstr(in, err) < 0)
		goto out;
	if (hyphen(in->data, in->len, outb, &done, err) < 0)
		goto out;
	if (done)
		flip(&in, &outb);
	bh_buf_reset(outb);
	if (cstr(in, err) < 0 || trim_comparator_ws(in->data, in->len, outb, err) < 0)
		goto out;
	flip(&in, &outb);
	if (cstr(in, err) < 0 || trim_tilde_caret(in->data, in->len, outb, err) < 0)
		goto out;
	flip(&in, &outb);
	if (cstr(in, err) < 0)
		goto out;

	/* every ' '-separated word rewritten; the results joined with spaces */
	bh_buf_reset(keep);
	p = in->data;
	end = p + in->len;
	for (;;) {
		const char *wd = p;
		size_t mark = keep->len;

		while (p < end && *p != ' ')
			p++;
		if (mark && bh_buf_addc(keep, ' ', err) < 0)
			goto out;
		if (rewrite_word((struct sl){ wd, (size_t)(p - wd) }, keep, err) < 0)
			goto out;
		if (p >= end)
			break;
		p++;
	}
	if (cstr(keep, err) < 0)
		goto out;
	r = 0;
out:
	bh_buf_release(&a);
	bh_buf_release(&b);
	return r;
}
