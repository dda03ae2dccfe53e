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
 * The desugaring of each "||" part (build strip, hyphen, comparator trim,
 * tilde/caret trim, caret, tilde, x-range, stars: text to text) is
 * version_npm_desugar.c; this file reads its result into comparator sets
 * (the Comparator constructor, ">=0.0.0" as "*", null sets) and answers
 * satisfies() and validation. The two halves meet at one function,
 * vuln_npm_desugar.
 */
#include <stdio.h>
#include <string.h>

#include "bulkhead/vuln.h"
#include "version_internal.h"
#include "banned.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* A version number that is exactly "0". */
static bool is_zero(const char *num, size_t len)
{
	return num && len == 1 && num[0] == '0';
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
	c->null_set = c->op == OP_LT && is_zero(c->v.num[0], c->v.numlen[0]) &&
		      is_zero(c->v.num[1], c->v.numlen[1]) &&
		      is_zero(c->v.num[2], c->v.numlen[2]) && c->v.pre && c->v.prelen == 1 &&
		      c->v.pre[0] == '0';
	return 0;
}

/* replaceGTE0(): ">=0.0.0" is "*" */
static bool is_gte0(const char *s, size_t n)
{
	return n == 7 && !memcmp(s, ">=0.0.0", 7);
}

#define MAX_COMPARATORS 1024

/*
 * parseRange() of one "||" part into set: desugared (vuln_npm_desugar) into
 * keep, then read word by word. Comparator versions point into keep, which
 * must outlive the set.
 */
static int parse_part(const char *part, size_t n, struct cset *set, struct bh_buf *keep,
		      const char **why, struct bh_error **err)
{
	bool null_set = false;
	const char *p, *end;

	memset(set, 0, sizeof(*set));
	if (vuln_npm_desugar(part, n, keep, err) < 0)
		return -1;

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
			return -1;
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
			return -1;
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
	return 0;
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
