/* SPDX-License-Identifier: Apache-2.0 */
/*
 * npm ranges (the "satisfies" of the semver scheme).
 *
 * Ranges follow node-semver (the npm implementation, without its "loose" and
 * "includePrerelease" options), step by step, because its desugaring is the
 * definition npm users rely on:
 *   - "||" separates comparator sets (any may match), spaces separate
 *     comparators (all must match); build metadata is dropped;
 *   - "A - B" (hyphen), "~A", "~>A", "^A", "1.x", "1.2.*", "*", "" and
 *     partial versions are rewritten into >=, <, <= comparators exactly as
 *     node-semver does ("^1.2.3" is ">=1.2.3 <2.0.0-0", "~1.2" is
 *     ">=1.2.0 <1.3.0-0", ">1.2" is ">=1.3.0", "<=1.2" is "<1.3.0-0", ...);
 *   - a version with a pre-release tag satisfies a set only when some
 *     comparator of that set has a pre-release on the same MAJOR.MINOR.PATCH.
 * A range node-semver cannot read (it throws "Invalid comparator") is read
 * as odd (BH_VERSION_ODD, with the reason): as node-semver's satisfies(),
 * nothing satisfies it. White space is JavaScript's \s (ASCII and Unicode
 * spaces), as node-semver collapses it with `replace(/\s+/g, ' ')`.
 *
 * Why one file of about 1,050 lines: it is node-semver's pipeline (build
 * strip, hyphen, comparator trim, tilde/caret trim, caret, tilde, x-range,
 * stars, comparators, sets) step for step, each step a small static function
 * that the next one relies on; cut in two, the halves would share a dozen
 * scanner helpers through a header for no reader's benefit.
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

/* A comparator of a parsed set. */
enum op { OP_ANY, OP_EQ, OP_LT, OP_LE, OP_GT, OP_GE };

struct comparator {
	enum op op;
	struct vuln_semver v;
	bool null_set; /* "<0.0.0-0" */
};

struct cset {
	struct comparator *c;
	size_t n;
	bool any_only; /* exactly one comparator, ANY */
};

/* The Comparator constructor: ^GTLT\s?(v?MAIN(-PRE)?(+BUILD)?)$ or empty. */
static int parse_comparator(const char *s, size_t n, struct comparator *c, const char **why)
{
	size_t g = 0;
	char op[3] = { 0 };

	memset(c, 0, sizeof(*c));
	if (!n) {
		c->op = OP_ANY;
		return 0;
	}
	if (s[0] == '<' || s[0] == '>')
		op[g++] = s[0];
	if (g < n && s[g] == '=')
		op[g++] = '=';
	if (vuln_npm_parse(s + g, n - g, &c->v, why) < 0)
		return -1;
	if (!op[0] || !strcmp(op, "="))
		c->op = OP_EQ;
	else if (!strcmp(op, "<"))
		c->op = OP_LT;
	else if (!strcmp(op, "<="))
		c->op = OP_LE;
	else if (!strcmp(op, ">"))
		c->op = OP_GT;
	else
		c->op = OP_GE;
	c->null_set = c->op == OP_LT && sl_eq((struct sl){ c->v.num[0], c->v.numlen[0] }, "0") &&
		      sl_eq((struct sl){ c->v.num[1], c->v.numlen[1] }, "0") &&
		      sl_eq((struct sl){ c->v.num[2], c->v.numlen[2] }, "0") && c->v.pre &&
		      c->v.prelen == 1 && c->v.pre[0] == '0';
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

/* replaceGTE0(): ">=0.0.0" is "*" */
static bool is_gte0(const char *s, size_t n)
{
	return n == 7 && !memcmp(s, ">=0.0.0", 7);
}

#define MAX_COMPARATORS 1024

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

/*
 * parseRange() of one "||" part into set. Comparator versions point into
 * keep, which must outlive the set.
 */
static int parse_part(const char *part, size_t n, struct cset *set, struct bh_buf *keep,
		      const char **why, struct bh_error **err)
{
	struct bh_buf a = BH_BUF_INIT(VULN_VSPEC_MAX_LEN * 8),
		      b = BH_BUF_INIT(VULN_VSPEC_MAX_LEN * 8);
	struct bh_buf *in = &a, *outb = &b;
	bool done, null_set = false;
	const char *p, *end;
	int r = -1;

	memset(set, 0, sizeof(*set));
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

	/* split on whitespace; every word must be a comparator; empty words
	 * and ">=0.0.0" mean "any" and only count when nothing else is left */
	p = keep->data;
	end = p + keep->len;
	{
		size_t words = 0;

		for (const char *q = p; q < end; q++)
			if (!is_space(*q) && (q == p || is_space(q[-1])))
				words++;
		if (words > MAX_COMPARATORS) {
			*why = "too many comparators";
			goto out;
		}
		set->c = bh_calloc(words + 1, sizeof(*set->c));
	}
	while (p < end) {
		const char *wd;
		struct comparator c;

		while (p < end && is_space(*p))
			p++;
		wd = p;
		while (p < end && !is_space(*p))
			p++;
		if (p == wd || is_gte0(wd, (size_t)(p - wd)))
			continue;
		if (parse_comparator(wd, (size_t)(p - wd), &c, why) < 0)
			goto out;
		if (c.null_set)
			null_set = true;
		set->c[set->n++] = c;
	}
	if (null_set) {
		memset(&set->c[0], 0, sizeof(set->c[0]));
		set->c[0].op = OP_LT;
		set->c[0].null_set = true;
		set->n = 1;
	} else if (!set->n) {
		set->c[0].op = OP_ANY;
		set->n = 1;
		set->any_only = true;
	}
	r = 0;
out:
	bh_buf_release(&a);
	bh_buf_release(&b);
	return r;
}

static bool comparator_test(const struct comparator *c, const struct vuln_semver *v)
{
	int r;

	if (c->null_set)
		return false;
	if (c->op == OP_ANY)
		return true;
	r = vuln_semver_cmp(v, &c->v);
	switch (c->op) {
	case OP_EQ: return r == 0;
	case OP_LT: return r < 0;
	case OP_LE: return r <= 0;
	case OP_GT: return r > 0;
	case OP_GE: return r >= 0;
	case OP_ANY: break;
	}
	return true;
}

static bool set_test(const struct cset *set, const struct vuln_semver *v)
{
	for (size_t i = 0; i < set->n; i++)
		if (!comparator_test(&set->c[i], v))
			return false;
	if (!v->pre)
		return true;
	for (size_t i = 0; i < set->n; i++) {
		const struct comparator *c = &set->c[i];

		if (c->op == OP_ANY || !c->v.pre)
			continue;
		if (!vuln_vs_numcmp(c->v.num[0], c->v.numlen[0], v->num[0], v->numlen[0]) &&
		    !vuln_vs_numcmp(c->v.num[1], c->v.numlen[1], v->num[1], v->numlen[1]) &&
		    !vuln_vs_numcmp(c->v.num[2], c->v.numlen[2], v->num[2], v->numlen[2]))
			return true;
	}
	return false;
}

/* new Range(): the comparator sets of one range. */
struct npm_range {
	struct cset *sets;
	struct bh_buf *keeps; /* the text the comparators of each set point into */
	size_t nsets, cap;
	bool any_set; /* node-semver reduced the range to one "*" set */
};

static void range_release(struct npm_range *rg)
{
	for (size_t i = 0; i < rg->nsets; i++) {
		free(rg->sets[i].c);
		bh_buf_release(&rg->keeps[i]);
	}
	free(rg->sets);
	free(rg->keeps);
	memset(rg, 0, sizeof(*rg));
}

/*
 * The range trimmed, every run of white space (JavaScript's \s, Unicode
 * spaces included) made one ' ', as `range.trim().replace(/\s+/g, ' ')`.
 * NULL with a reason in *why for what no comparator can contain.
 */
static const char *normalise(const char *range, struct bh_buf *norm, const char **why,
			     struct bh_error **err)
{
	const char *p = range, *end = range + strlen(range);
	bool space = false;

	while (p < end) {
		size_t w = vuln_npm_space(p, end);
		unsigned char c = (unsigned char)*p;

		if (w) {
			space = norm->len > 0;
			p += w;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			*why = "a control character";
			return NULL;
		}
		if (c > 0x7f) {
			*why = "a non-ASCII character";
			return NULL;
		}
		if ((space && bh_buf_addc(norm, ' ', err) < 0) || bh_buf_addc(norm, *p++, err) < 0)
			return NULL;
		space = false;
	}
	if (bh_buf_addc(norm, 0, err) < 0)
		return NULL;
	norm->len--;
	return norm->data;
}

/* new Range(range): 0, or BH_VERSION_ODD with the reason in *why where
 * node-semver throws; -1 only for a NULL range. */
static int range_parse(const char *range, struct npm_range *rg, const char **why,
		       struct bh_error **err)
{
	struct bh_buf norm = BH_BUF_INIT(VULN_VSPEC_MAX_LEN + 1);
	struct bh_error *e = NULL;
	const char *p, *end;
	int r = BH_VERSION_ODD;

	memset(rg, 0, sizeof(*rg));
	*why = NULL;
	if (!range)
		return vuln_vs_invalid_spec(err, "semver", "", "no range");
	if (strnlen(range, VULN_VSPEC_MAX_LEN + 1) > VULN_VSPEC_MAX_LEN) {
		*why = "longer than 4096 bytes";
		return BH_VERSION_ODD;
	}
	if (!normalise(range, &norm, why, &e))
		goto out;

	/* the "||" alternatives */
	p = norm.data;
	end = norm.data + norm.len;
	for (;;) {
		const char *q = p, *bar, *s, *en;

		bar = NULL;
		for (; q + 1 < end; q++) {
			if (q[0] == '|' && q[1] == '|') {
				bar = q;
				break;
			}
		}
		en = bar ? bar : end;
		s = p;
		while (s < en && *s == ' ')
			s++;
		while (en > s && en[-1] == ' ')
			en--;
		if (rg->nsets == rg->cap) {
			rg->cap = rg->cap ? rg->cap * 2 : 4;
			rg->sets = bh_reallocarray(rg->sets, rg->cap, sizeof(*rg->sets));
			rg->keeps = bh_reallocarray(rg->keeps, rg->cap, sizeof(*rg->keeps));
		}
		bh_buf_init(&rg->keeps[rg->nsets], VULN_VSPEC_MAX_LEN * 16);
		rg->nsets++;
		if (parse_part(s, (size_t)(en - s), &rg->sets[rg->nsets - 1],
			       &rg->keeps[rg->nsets - 1], why, &e) < 0)
			goto out;
		if (!bar)
			break;
		p = bar + 2;
	}

	/* node-semver: drop null sets when others exist; a lone "*" set wins */
	if (rg->nsets > 1) {
		size_t live = 0;

		for (size_t i = 0; i < rg->nsets; i++)
			if (!rg->sets[i].c[0].null_set)
				live++;
		for (size_t i = 0; live > 1 && i < rg->nsets; i++)
			if (rg->sets[i].any_only)
				rg->any_set = true;
	}
	r = 0;
out:
	/* a buffer limit: the range grows too large as it is rewritten */
	if (r && !*why)
		*why = "too large once its comparators are expanded";
	bh_error_free(e);
	bh_buf_release(&norm);
	if (r)
		range_release(rg);
	return r;
}

int vuln_npm_validate_range(const char *range, const char **why, struct bh_error **err)
{
	struct npm_range rg;
	int r = range_parse(range, &rg, why, err);

	range_release(&rg);
	return r;
}

/*
 * node-semver's satisfies(version, range): false when the range or the
 * version cannot be read (BH_VERSION_ODD), never an error but for NULL.
 */
int vuln_npm_satisfies(const char *range, const char *v, bool *out, struct bh_error **err)
{
	struct npm_range rg;
	struct vuln_semver ver;
	const char *why;
	int r;

	*out = false;
	if (!v)
		return vuln_vs_invalid(err, "semver", "", "no version");
	r = range_parse(range, &rg, &why, err);
	if (r)
		return r;
	if (vuln_npm_parse(v, strlen(v), &ver, &why) < 0) {
		r = BH_VERSION_ODD;
	} else if (rg.any_set) {
		*out = !ver.pre;
	} else {
		for (size_t i = 0; i < rg.nsets && !*out; i++)
			*out = set_test(&rg.sets[i], &ver);
	}
	range_release(&rg);
	return r;
}
