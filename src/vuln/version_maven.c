/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Maven versions, ordered as Maven 3.9's ComparableVersion does (the "version
 * order specification" of the POM reference, https://maven.apache.org/pom.html).
 *
 * Any string is a Maven version; we refuse only what cannot be one on a
 * command line or in a POM: the empty string, blanks, control and non-ASCII
 * characters.
 *
 * The version is lowercased and cut into items at '.', at '-' and at every
 * change between digits and letters: numbers, and qualifiers. A '-', and a
 * qualifier that follows digits or a '.', opens a sub-list, so the structure
 * is a chain of lists, each the last item of its parent. "a", "b" and "m"
 * directly followed by a digit mean alpha, beta and milestone; "ga", "final"
 * and "release" mean the empty qualifier, "cr" means "rc". Each list then
 * loses its trailing "null" items (0, the empty qualifier, empty lists), also
 * those just before a trailing sub-list ("1.0-alpha" is "1-alpha").
 *
 * Comparing items: numbers numerically (9 or fewer significant digits <
 * 10-18 < more, as Java's int/long/BigInteger items compare), and above
 * qualifiers and lists; a list is above a qualifier; qualifiers by rank
 * alpha < beta < milestone < rc < snapshot < "" < sp < any other, the others
 * alphabetically. Lists compare item by item; a missing item compares like a
 * null item would ("1-rc" < "1" < "1-sp", "1.0" == "1").
 */
#include <string.h>

#include "bulkhead/vuln.h"
#include "version_internal.h"
#include "banned.h"

enum mtype { M_INT, M_LONG, M_BIG, M_STR, M_LIST };

struct mitem {
	enum mtype t;
	const char *s; /* number digits or qualifier text */
	size_t n;
	size_t list; /* M_LIST: index in mver.lists */
};

struct mlist {
	struct mitem *it;
	size_t n, cap;
};

struct mver {
	char *low; /* lowercased copy the items point into */
	struct mlist *lists;
	size_t nlists;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void add(struct mlist *l, struct mitem it)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->it = bh_reallocarray(l->it, l->cap, sizeof(*l->it));
	}
	l->it[l->n++] = it;
}

/* Open a new list as the last item of list cur; returns its index. */
static size_t open_list(struct mver *v, size_t cur)
{
	size_t idx = v->nlists++;

	memset(&v->lists[idx], 0, sizeof(v->lists[idx]));
	add(&v->lists[cur], (struct mitem){ M_LIST, NULL, 0, idx });
	return idx;
}

static struct mitem number(const char *s, size_t n)
{
	size_t i = 0, sig;

	while (i < n && s[i] == '0')
		i++;
	/* Java's stripLeadingZeroes() keeps an all-zero string as it is */
	sig = i == n ? n : n - i;
	if (sig <= 9)
		return (struct mitem){ M_INT, s, n, 0 };
	if (sig <= 18)
		return (struct mitem){ M_LONG, s, n, 0 };
	return (struct mitem){ M_BIG, s, n, 0 };
}

static struct mitem qualifier(const char *s, size_t n, bool followed_by_digit)
{
	static const struct {
		const char *from, *to;
	} aliases[] = { { "ga", "" }, { "final", "" }, { "release", "" }, { "cr", "rc" } };

	if (followed_by_digit && n == 1) {
		if (*s == 'a')
			return (struct mitem){ M_STR, "alpha", 5, 0 };
		if (*s == 'b')
			return (struct mitem){ M_STR, "beta", 4, 0 };
		if (*s == 'm')
			return (struct mitem){ M_STR, "milestone", 9, 0 };
	}
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strlen(aliases[i].from) == n && !memcmp(aliases[i].from, s, n))
			return (struct mitem){ M_STR, aliases[i].to, strlen(aliases[i].to), 0 };
	return (struct mitem){ M_STR, s, n, 0 };
}

static struct mitem item(bool digit, const char *s, size_t n)
{
	return digit ? number(s, n) : qualifier(s, n, false);
}

static const struct mitem zero = { M_INT, "0", 1, 0 };

/* The rank of a known qualifier, or -1. */
static int qual_rank(const struct mitem *q)
{
	static const char *const known[] = { "alpha",	 "beta", "milestone", "rc",
					     "snapshot", "",	 "sp" };

	for (int i = 0; i < 7; i++)
		if (strlen(known[i]) == q->n && !memcmp(known[i], q->s, q->n))
			return i;
	return -1;
}

#define RELEASE_RANK 5

static bool is_null(const struct mver *v, const struct mitem *it)
{
	switch (it->t) {
	case M_INT:
	case M_LONG:
	case M_BIG:
		for (size_t i = 0; i < it->n; i++)
			if (it->s[i] != '0')
				return false;
		return true;
	case M_STR: return qual_rank(it) == RELEASE_RANK;
	case M_LIST: return v->lists[it->list].n == 0;
	}
	return false;
}

static void normalize(struct mver *v, struct mlist *l)
{
	for (size_t i = l->n; i-- > 0;) {
		if (is_null(v, &l->it[i])) {
			memmove(&l->it[i], &l->it[i + 1], (l->n - i - 1) * sizeof(l->it[0]));
			l->n--;
		} else if (l->it[i].t != M_LIST) {
			break;
		}
	}
}

static int parse(const char *s, struct mver *v, struct bh_error **err)
{
	size_t n, start = 0, cur = 0;
	bool digit = false;

	memset(v, 0, sizeof(*v));
	if (vuln_vs_check_len("maven", s, err) < 0)
		return -1;
	n = strlen(s);
	if (!n)
		return vuln_vs_invalid(err, "maven", s, "empty");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return vuln_vs_invalid(err, "maven", s,
					       "blank, control or non-ASCII character");
	v->low = bh_strdup(s);
	for (size_t i = 0; i < n; i++)
		if (v->low[i] >= 'A' && v->low[i] <= 'Z')
			v->low[i] = (char)(v->low[i] - 'A' + 'a');
	/* at most one list per character, plus the root */
	v->lists = bh_calloc(n + 2, sizeof(*v->lists));
	v->nlists = 1;
	s = v->low;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.' || c == '-') {
			if (i == start)
				add(&v->lists[cur], zero);
			else
				add(&v->lists[cur], item(digit, s + start, i - start));
			start = i + 1;
			if (c == '-')
				cur = open_list(v, cur);
		} else if (is_digit(c)) {
			if (!digit && i > start) {
				/* "1.0.0.X1" is read as "1.0.0-X1" */
				if (v->lists[cur].n)
					cur = open_list(v, cur);
				add(&v->lists[cur], qualifier(s + start, i - start, true));
				start = i;
				cur = open_list(v, cur);
			}
			digit = true;
		} else {
			if (digit && i > start) {
				add(&v->lists[cur], number(s + start, i - start));
				start = i;
				cur = open_list(v, cur);
			}
			digit = false;
		}
	}
	if (n > start) {
		if (!digit && v->lists[cur].n)
			cur = open_list(v, cur);
		add(&v->lists[cur], item(digit, s + start, n - start));
	}
	for (size_t i = v->nlists; i-- > 0;)
		normalize(v, &v->lists[i]);
	return 0;
}

static void release(struct mver *v)
{
	for (size_t i = 0; v->lists && i < v->nlists; i++)
		free(v->lists[i].it);
	free(v->lists);
	free(v->low);
}

struct side {
	const struct mver *v;
	const struct mitem *it; /* NULL: a missing item */
};

static int cmp_item(struct side a, struct side b);

static int num_rank(enum mtype t)
{
	return t == M_INT ? 0 : t == M_LONG ? 1 : 2;
}

static int qual_cmp(const struct mitem *a, const struct mitem *b)
{
	int ra = qual_rank(a), rb = qual_rank(b);

	if (ra >= 0 && rb >= 0)
		return ra < rb ? -1 : ra > rb;
	if (ra >= 0 || rb >= 0)
		return ra >= 0 ? -1 : 1;
	return vuln_vs_bytecmp(a->s, a->n, b->s, b->n);
}

/* Compare list la of a with list lb of b; either may be missing (NULL). */
static int cmp_lists(const struct mver *va, const struct mlist *la, const struct mver *vb,
		     const struct mlist *lb)
{
	size_t n = la->n > lb->n ? la->n : lb->n;

	for (size_t i = 0; i < n; i++) {
		struct side l = { va, i < la->n ? &la->it[i] : NULL };
		struct side r = { vb, i < lb->n ? &lb->it[i] : NULL };
		int res;

		if (!l.it)
			res = -cmp_item(r, (struct side){ va, NULL });
		else
			res = cmp_item(l, r);
		if (res)
			return res;
	}
	return 0;
}

static int cmp_item(struct side a, struct side b)
{
	const struct mitem *x = a.it, *y = b.it;

	switch (x->t) {
	case M_INT:
	case M_LONG:
	case M_BIG:
		if (!y)
			return is_null(a.v, x) ? 0 : 1;
		if (y->t == M_STR || y->t == M_LIST)
			return 1;
		if (x->t != y->t)
			return num_rank(x->t) < num_rank(y->t) ? -1 : 1;
		return vuln_vs_numcmp(x->s, x->n, y->s, y->n);
	case M_STR:
		if (!y) {
			int r = qual_rank(x);

			return r == RELEASE_RANK ? 0 : (r >= 0 && r < RELEASE_RANK) ? -1 : 1;
		}
		if (y->t == M_STR)
			return qual_cmp(x, y);
		return -1;
	case M_LIST: {
		const struct mlist *l = &a.v->lists[x->list];

		if (!y) {
			for (size_t i = 0; i < l->n; i++) {
				int r = cmp_item((struct side){ a.v, &l->it[i] }, b);

				if (r)
					return r;
			}
			return 0;
		}
		if (y->t == M_STR)
			return 1;
		if (y->t != M_LIST)
			return -1;
		return cmp_lists(a.v, l, b.v, &b.v->lists[y->list]);
	}
	}
	return 0;
}

static int validate(const char *v, const char **why, struct bh_error **err)
{
	struct mver m;
	int r = parse(v, &m, err);

	(void)why; /* what we refuse (see above) is refused, never read oddly */
	release(&m);
	return r;
}

static int compare(const char *a, const char *b, int *cmp, struct bh_error **err)
{
	struct mver x, y;
	int r = -1;

	memset(&y, 0, sizeof(y));
	if (parse(a, &x, err) < 0 || parse(b, &y, err) < 0)
		goto out;
	*cmp = cmp_lists(&x, &x.lists[0], &y, &y.lists[0]);
	r = 0;
out:
	release(&x);
	release(&y);
	return r;
}

static const char *const ecosystems[] = { "Maven", NULL };

const struct vuln_vscheme vuln_vscheme_maven = {
	.id = BH_VS_MAVEN,
	.name = "maven",
	.native = "Maven ComparableVersion",
	.ecosystems = ecosystems,
	.validate = validate,
	.compare = compare,
};
