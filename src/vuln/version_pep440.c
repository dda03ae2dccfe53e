/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Python versions, PEP 440 (https://peps.python.org/pep-0440/), and version
 * specifiers, with the behaviour of the reference implementation
 * (packaging.version.Version, packaging.specifiers.SpecifierSet):
 *
 *   [v][N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]
 *
 * with every alternative spelling PEP 440 normalises: any case, "alpha",
 * "beta", "c", "pre", "preview" for a, b, rc; "rev", "r" and "-N" for post;
 * ".", "-", "_" or nothing as separators; omitted numbers read as 0; blanks
 * around the version. Ordering: epoch, release (trailing zeros ignored), then
 * dev-only < pre-releases < final < post-releases, each ordered by number,
 * dev releases before their parent; a local version sorts after the public one,
 * its segments compared numerically when all digits (above any alphanumeric
 * segment) and case-insensitively otherwise.
 *
 * Specifier sets: comma-separated "~=", "==", "!=", "<=", ">=", "<", ">",
 * "===" clauses, all of which must hold; "==V.*" and "!=V.*" match by prefix;
 * "<V" and ">V" exclude V's own pre-, post- and local releases. As PEP 440
 * asks for versions that are already installed, pre-releases are not excluded
 * (packaging's contains(v, prereleases=True)).
 */
#include <string.h>

#include "bulkhead/vuln.h"
#include "version_internal.h"
#include "banned.h"

#define MAX_PARTS (VULN_VERSION_MAX_LEN / 2 + 2)

struct sl {
	const char *p;
	size_t n;
};

enum { PRE_NONE, PRE_A, PRE_B, PRE_RC };

struct pyver {
	struct sl epoch; /* n == 0: 0 */
	struct sl rel[MAX_PARTS];
	size_t nrel;
	int pre; /* PRE_* */
	struct sl pre_n, post_n, dev_n;
	bool post, dev;
	struct sl local[MAX_PARTS];
	size_t nlocal;
	bool has_local;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' ||
	       (c >= 0x1c && c <= 0x1f);
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_lalnum(char c)
{
	c = lower(c);
	return is_digit(c) || (c >= 'a' && c <= 'z');
}

static bool is_sep(char c)
{
	return c == '-' || c == '_' || c == '.';
}

/* Case-insensitive match of word at p; returns its length or 0. */
static size_t word(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != w[i])
			return 0;
	return n;
}

static size_t digits(const char *p, const char *end)
{
	size_t n = 0;

	while (p + n < end && is_digit(p[n]))
		n++;
	return n;
}

/*
 * Parse p[0..n) as a PEP 440 version (packaging's VERSION_PATTERN, anchored,
 * blanks allowed around it). Returns 0 or -1 with a reason.
 */
static int pyparse(const char *s, size_t len, struct pyver *v, const char **why)
{
	const char *p = s, *end = s + len, *save;
	size_t k;

	memset(v, 0, sizeof(*v));
	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	if (p < end && lower(*p) == 'v')
		p++;
	/* epoch */
	k = digits(p, end);
	if (k && p + k < end && p[k] == '!') {
		v->epoch = (struct sl){ p, k };
		p += k + 1;
	}
	/* release */
	k = digits(p, end);
	if (!k) {
		*why = "expected a release number";
		return -1;
	}
	for (;;) {
		if (v->nrel >= MAX_PARTS) {
			*why = "too many release numbers";
			return -1;
		}
		v->rel[v->nrel++] = (struct sl){ p, k };
		p += k;
		if (p + 1 < end && *p == '.' && is_digit(p[1])) {
			p++;
			k = digits(p, end);
			continue;
		}
		break;
	}
	/* pre-release: [-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?N? */
	save = p;
	{
		static const struct {
			const char *w;
			int kind;
		} pres[] = { { "alpha", PRE_A }, { "a", PRE_A },	{ "beta", PRE_B },
			     { "b", PRE_B },	 { "preview", PRE_RC }, { "pre", PRE_RC },
			     { "c", PRE_RC },	 { "rc", PRE_RC } };
		const char *q = p;

		if (q < end && is_sep(*q))
			q++;
		for (size_t i = 0; i < sizeof(pres) / sizeof(pres[0]); i++) {
			k = word(q, end, pres[i].w);
			if (k) {
				v->pre = pres[i].kind;
				q += k;
				break;
			}
		}
		if (v->pre) {
			if (q < end && is_sep(*q))
				q++;
			k = digits(q, end);
			v->pre_n = (struct sl){ q, k };
			p = q + k;
		} else {
			p = save;
		}
	}
	/* post-release: -N | [-_.]?(post|rev|r)[-_.]?N? */
	if (p + 1 < end && *p == '-' && is_digit(p[1])) {
		k = digits(p + 1, end);
		v->post = true;
		v->post_n = (struct sl){ p + 1, k };
		p += 1 + k;
	} else {
		const char *q = p;

		if (q < end && is_sep(*q))
			q++;
		k = word(q, end, "post");
		if (!k)
			k = word(q, end, "rev");
		if (!k)
			k = word(q, end, "r");
		if (k) {
			q += k;
			if (q < end && is_sep(*q))
				q++;
			k = digits(q, end);
			v->post = true;
			v->post_n = (struct sl){ q, k };
			p = q + k;
		}
	}
	/* dev release: [-_.]?dev[-_.]?N? */
	{
		const char *q = p;

		if (q < end && is_sep(*q))
			q++;
		k = word(q, end, "dev");
		if (k) {
			q += k;
			if (q < end && is_sep(*q))
				q++;
			k = digits(q, end);
			v->dev = true;
			v->dev_n = (struct sl){ q, k };
			p = q + k;
		}
	}
	/* local version: +[a-z0-9]+([-_.][a-z0-9]+)* */
	if (p < end && *p == '+') {
		p++;
		v->has_local = true;
		for (;;) {
			const char *seg = p;

			while (p < end && is_lalnum(*p))
				p++;
			if (p == seg) {
				*why = "bad local version label";
				return -1;
			}
			if (v->nlocal >= MAX_PARTS) {
				*why = "too many local version segments";
				return -1;
			}
			v->local[v->nlocal++] = (struct sl){ seg, (size_t)(p - seg) };
			if (p + 1 < end && is_sep(*p) && is_lalnum(p[1])) {
				p++;
				continue;
			}
			break;
		}
	}
	if (p != end) {
		*why = "not a PEP 440 version";
		return -1;
	}
	return 0;
}

static int parse(const char *s, struct pyver *v, struct bh_error **err)
{
	const char *why = NULL;

	if (vuln_vs_check_len("pep440", s, err) < 0)
		return -1;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return vuln_vs_invalid(err, "pep440", s, "non-ASCII character");
	if (pyparse(s, strlen(s), v, &why) < 0)
		return vuln_vs_invalid(err, "pep440", s, why);
	return 0;
}

/* ---- ordering ------------------------------------------------------------- */

static bool is_zero(struct sl n)
{
	for (size_t i = 0; i < n.n; i++)
		if (n.p[i] != '0')
			return false;
	return true;
}

static int numcmp(struct sl a, struct sl b)
{
	return vuln_vs_numcmp(a.p ? a.p : "", a.n, b.p ? b.p : "", b.n);
}

static int release_cmp(const struct pyver *a, const struct pyver *b)
{
	size_t na = a->nrel, nb = b->nrel;

	while (na && is_zero(a->rel[na - 1]))
		na--;
	while (nb && is_zero(b->rel[nb - 1]))
		nb--;
	for (size_t i = 0; i < na && i < nb; i++) {
		int r = numcmp(a->rel[i], b->rel[i]);

		if (r)
			return r;
	}
	return na < nb ? -1 : na > nb;
}

/* Case-insensitive byte comparison (local labels are compared lowercased). */
static int icmp(struct sl a, struct sl b)
{
	for (size_t i = 0; i < a.n && i < b.n; i++) {
		char x = lower(a.p[i]), y = lower(b.p[i]);

		if (x != y)
			return x < y ? -1 : 1;
	}
	return a.n < b.n ? -1 : a.n > b.n;
}

static bool all_digits(struct sl s)
{
	for (size_t i = 0; i < s.n; i++)
		if (!is_digit(s.p[i]))
			return false;
	return true;
}

static int local_cmp(const struct pyver *a, const struct pyver *b)
{
	if (!a->has_local || !b->has_local)
		return a->has_local ? 1 : b->has_local ? -1 : 0;
	for (size_t i = 0; i < a->nlocal && i < b->nlocal; i++) {
		bool na = all_digits(a->local[i]), nb = all_digits(b->local[i]);
		int r;

		if (na && nb)
			r = numcmp(a->local[i], b->local[i]);
		else if (na != nb)
			r = na ? 1 : -1;
		else
			r = icmp(a->local[i], b->local[i]);
		if (r)
			return r;
	}
	return a->nlocal < b->nlocal ? -1 : a->nlocal > b->nlocal;
}

/* packaging's _cmpkey(), without or with the local segment. */
static int pycmp(const struct pyver *a, const struct pyver *b, bool with_local)
{
	int r, ka, kb;

	r = numcmp(a->epoch, b->epoch);
	if (r)
		return r;
	r = release_cmp(a, b);
	if (r)
		return r;
	/* pre: a dev-only release is below everything, no pre above every pre */
	ka = a->pre ? 1 : (!a->post && a->dev) ? 0 : 2;
	kb = b->pre ? 1 : (!b->post && b->dev) ? 0 : 2;
	if (ka != kb)
		return ka < kb ? -1 : 1;
	if (ka == 1) {
		if (a->pre != b->pre)
			return a->pre < b->pre ? -1 : 1;
		r = numcmp(a->pre_n, b->pre_n);
		if (r)
			return r;
	}
	/* post: none is below any */
	if (a->post != b->post)
		return a->post ? 1 : -1;
	if (a->post) {
		r = numcmp(a->post_n, b->post_n);
		if (r)
			return r;
	}
	/* dev: none is above any */
	if (a->dev != b->dev)
		return a->dev ? -1 : 1;
	if (a->dev) {
		r = numcmp(a->dev_n, b->dev_n);
		if (r)
			return r;
	}
	return with_local ? local_cmp(a, b) : 0;
}

static bool base_equal(const struct pyver *a, const struct pyver *b)
{
	return !numcmp(a->epoch, b->epoch) && !release_cmp(a, b);
}

static bool is_prerelease(const struct pyver *v)
{
	return v->pre || v->dev;
}

static int validate(const char *v, const char **why, struct bh_error **err)
{
	struct pyver *p = bh_malloc(sizeof(*p));
	int r = parse(v, p, err);

	(void)why; /* packaging refuses what it cannot read (InvalidVersion) */
	free(p);
	return r;
}

static int compare(const char *a, const char *b, int *cmp, struct bh_error **err)
{
	struct pyver *x = bh_malloc(sizeof(*x)), *y = bh_malloc(sizeof(*y));
	int r = -1;

	if (parse(a, x, err) < 0 || parse(b, y, err) < 0)
		goto out;
	*cmp = pycmp(x, y, true);
	r = 0;
out:
	free(x);
	free(y);
	return r;
}

/* ---- normal forms (str(Version), canonicalize_version) ------------------- */

static int add_num(struct bh_buf *b, struct sl n, struct bh_error **err)
{
	size_t i = 0;

	while (i + 1 < n.n && n.p[i] == '0')
		i++;
	if (!n.n)
		return bh_buf_addc(b, '0', err);
	return bh_buf_add(b, n.p + i, n.n - i, err);
}

/* str(Version) (public part only when !with_local); with strip, the release
 * loses its trailing ".0"s as canonicalize_version() does. */
static int normal_form(const struct pyver *v, bool with_local, bool strip, struct bh_buf *b,
		       struct bh_error **err)
{
	static const char *const pre[] = { "", "a", "b", "rc" };
	size_t nrel = v->nrel;

	if (v->epoch.n && !is_zero(v->epoch)) {
		if (add_num(b, v->epoch, err) < 0 || bh_buf_addc(b, '!', err) < 0)
			return -1;
	}
	if (strip)
		while (nrel > 1 && is_zero(v->rel[nrel - 1]))
			nrel--;
	for (size_t i = 0; i < nrel; i++) {
		if ((i && bh_buf_addc(b, '.', err) < 0) || add_num(b, v->rel[i], err) < 0)
			return -1;
	}
	if (v->pre && (bh_buf_adds(b, pre[v->pre], err) < 0 || add_num(b, v->pre_n, err) < 0))
		return -1;
	if (v->post && (bh_buf_adds(b, ".post", err) < 0 || add_num(b, v->post_n, err) < 0))
		return -1;
	if (v->dev && (bh_buf_adds(b, ".dev", err) < 0 || add_num(b, v->dev_n, err) < 0))
		return -1;
	if (with_local && v->has_local) {
		if (bh_buf_addc(b, '+', err) < 0)
			return -1;
		for (size_t i = 0; i < v->nlocal; i++) {
			struct sl s = v->local[i];

			if (i && bh_buf_addc(b, '.', err) < 0)
				return -1;
			if (all_digits(s)) {
				if (add_num(b, s, err) < 0)
					return -1;
			} else {
				for (size_t j = 0; j < s.n; j++)
					if (bh_buf_addc(b, lower(s.p[j]), err) < 0)
						return -1;
			}
		}
	}
	return 0;
}

/* canonicalize_version(text): the normal form when text parses, else text. */
static int canonicalize(const char *s, size_t n, bool strip, struct bh_buf *b,
			struct bh_error **err)
{
	struct pyver *v = bh_malloc(sizeof(*v));
	const char *why;
	int r;

	if (pyparse(s, n, v, &why) == 0)
		r = normal_form(v, true, strip, b, err);
	else
		r = bh_buf_add(b, s, n, err);
	free(v);
	return r;
}

/* ---- specifiers ------------------------------------------------------------- */

#define MAX_ITEMS 128

/* _version_split(): split on '.', and "1a2"-like items into "1", "a2". */
static size_t version_split(const char *s, size_t n, struct sl *items, size_t max)
{
	size_t count = 0;
	const char *p = s, *end = s + n;

	for (;;) {
		const char *it = p;
		size_t d;

		while (p < end && *p != '.')
			p++;
		d = digits(it, p);
		if (count + 2 > max)
			return count;
		/* ^([0-9]+)((?:a|b|c|rc)[0-9]+)$ */
		if (d && it + d < p) {
			const char *q = it + d;
			size_t l = 0;

			if (*q == 'a' || *q == 'b' || *q == 'c')
				l = 1;
			else if (p - q >= 2 && q[0] == 'r' && q[1] == 'c')
				l = 2;
			if (l && q + l < p && digits(q + l, p) == (size_t)(p - q - l)) {
				items[count++] = (struct sl){ it, d };
				items[count++] = (struct sl){ q, (size_t)(p - q) };
				goto next;
			}
		}
		items[count++] = (struct sl){ it, (size_t)(p - it) };
	next:
		if (p >= end)
			return count;
		p++;
	}
}

static bool sl_digits(struct sl s)
{
	return s.n > 0 && all_digits(s);
}

static bool sl_same(struct sl a, struct sl b)
{
	return a.n == b.n && !memcmp(a.p, b.p, a.n);
}

/* _compare_equal() with a ".*" spec: prefix match of normal forms. */
static int prefix_match(const struct pyver *prospective, const char *spec, size_t n, bool *out,
			struct bh_error **err)
{
	struct bh_buf pb = BH_BUF_INIT(4096), sb = BH_BUF_INIT(4096);
	struct sl *ps = bh_calloc(MAX_ITEMS, sizeof(*ps)), *ss = bh_calloc(MAX_ITEMS, sizeof(*ss));
	size_t np, ns, prel = 0, srel = 0, pad;
	int r = -1;

	if (normal_form(prospective, false, true, &pb, err) < 0 ||
	    canonicalize(spec, n, false, &sb, err) < 0 || bh_buf_addc(&pb, 0, err) < 0 ||
	    bh_buf_addc(&sb, 0, err) < 0)
		goto out;
	np = version_split(pb.data, pb.len - 1, ps, MAX_ITEMS);
	ns = version_split(sb.data, sb.len - 1, ss, MAX_ITEMS);
	/* _pad_version(): zeros after the prospective's release, up to the spec's */
	while (prel < np && sl_digits(ps[prel]))
		prel++;
	while (srel < ns && sl_digits(ss[srel]))
		srel++;
	pad = srel > prel ? srel - prel : 0;
	*out = true;
	for (size_t i = 0; i < ns; i++) {
		struct sl item;

		if (i < prel)
			item = ps[i];
		else if (i < prel + pad)
			item = (struct sl){ "0", 1 };
		else if (i - pad < np)
			item = ps[i - pad];
		else {
			*out = false;
			break;
		}
		if (!sl_same(item, ss[i])) {
			*out = false;
			break;
		}
	}
	r = 0;
out:
	free(ps);
	free(ss);
	bh_buf_release(&pb);
	bh_buf_release(&sb);
	return r;
}

enum spec_op { SP_COMPAT, SP_EQ, SP_NE, SP_LE, SP_GE, SP_LT, SP_GT, SP_ARB };

struct spec {
	enum spec_op op;
	const char *v; /* the version text, blanks stripped */
	size_t n;
};

static bool ends_with_star(const char *s, size_t n)
{
	return n >= 2 && s[n - 2] == '.' && s[n - 1] == '*';
}

/* Whether text is a version the specifier grammar allows after op. */
static bool spec_version_ok(enum spec_op op, const char *s, size_t n)
{
	struct pyver *v = bh_malloc(sizeof(*v));
	const char *why;
	bool ok = false;

	if (op == SP_EQ || op == SP_NE) {
		if (ends_with_star(s, n)) {
			/* v?(N!)?N(.N)* and nothing else before ".*" */
			ok = pyparse(s, n - 2, v, &why) == 0 && !v->pre && !v->post && !v->dev &&
			     !v->has_local;
		} else {
			ok = pyparse(s, n, v, &why) == 0;
		}
	} else {
		ok = pyparse(s, n, v, &why) == 0 && !v->has_local &&
		     (op != SP_COMPAT || v->nrel >= 2);
	}
	free(v);
	return ok;
}

static bool parse_spec(const char *s, size_t n, struct spec *sp)
{
	static const struct {
		const char *text;
		enum spec_op op;
	} ops[] = { { "~=", SP_COMPAT }, { "==", SP_EQ }, { "!=", SP_NE }, { "<=", SP_LE },
		    { ">=", SP_GE },	 { "<", SP_LT },  { ">", SP_GT },  { "===", SP_ARB } };
	const char *end = s + n;

	while (s < end && is_space(*s))
		s++;
	while (end > s && is_space(end[-1]))
		end--;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t ol = strlen(ops[i].text);
		const char *v = s + ol;

		if ((size_t)(end - s) < ol || memcmp(s, ops[i].text, ol))
			continue;
		while (v < end && is_space(*v))
			v++;
		if (ops[i].op == SP_ARB) {
			/* [^\s;)]* */
			for (const char *q = v; q < end; q++)
				if (is_space(*q) || *q == ';' || *q == ')')
					return false;
		} else if (!spec_version_ok(ops[i].op, v, (size_t)(end - v))) {
			continue;
		}
		sp->op = ops[i].op;
		sp->v = v;
		sp->n = (size_t)(end - v);
		return true;
	}
	return false;
}

static bool is_suffix_item(struct sl it)
{
	static const char *const pfx[] = { "dev", "a", "b", "rc", "post" };

	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
		size_t l = strlen(pfx[i]);

		if (it.n >= l && !memcmp(it.p, pfx[i], l))
			return true;
	}
	return false;
}

static int spec_contains(const struct spec *sp, const struct pyver *item, const char *item_text,
			 bool *out, struct bh_error **err);

/* _compare_equal() */
static int spec_equal(const struct pyver *item, const char *s, size_t n, bool *out,
		      struct bh_error **err)
{
	struct pyver *v;
	const char *why;

	if (ends_with_star(s, n))
		return prefix_match(item, s, n - 2, out, err);
	v = bh_malloc(sizeof(*v));
	if (pyparse(s, n, v, &why) < 0) {
		free(v);
		return bh_error_set(err, BH_ERR_INTERNAL, "pep440: unparsed specifier version");
	}
	*out = pycmp(item, v, v->has_local) == 0;
	free(v);
	return 0;
}

static int spec_contains(const struct spec *sp, const struct pyver *item, const char *item_text,
			 bool *out, struct bh_error **err)
{
	struct pyver *v = NULL;
	const char *why;
	int r = -1;

	switch (sp->op) {
	case SP_EQ: return spec_equal(item, sp->v, sp->n, out, err);
	case SP_NE:
		if (spec_equal(item, sp->v, sp->n, out, err) < 0)
			return -1;
		*out = !*out;
		return 0;
	case SP_ARB: {
		struct bh_buf b = BH_BUF_INIT(4096);

		if (normal_form(item, true, false, &b, err) < 0) {
			bh_buf_release(&b);
			return -1;
		}
		*out = b.len == sp->n;
		for (size_t i = 0; *out && i < b.len; i++)
			*out = lower(b.data[i]) == lower(sp->v[i]);
		bh_buf_release(&b);
		return 0;
	}
	case SP_COMPAT: {
		struct sl *items = bh_calloc(MAX_ITEMS, sizeof(*items));
		struct bh_buf prefix = BH_BUF_INIT(4096);
		size_t n = version_split(sp->v, sp->n, items, MAX_ITEMS), keep = 0;
		struct spec ge = { SP_GE, sp->v, sp->n };
		bool a = false, b = false;

		while (keep < n && !is_suffix_item(items[keep]))
			keep++;
		for (size_t i = 0; i + 1 < keep; i++) {
			if ((i && bh_buf_addc(&prefix, '.', err) < 0) ||
			    bh_buf_add(&prefix, items[i].p, items[i].n, err) < 0)
				goto compat_out;
		}
		if (bh_buf_adds(&prefix, ".*", err) < 0)
			goto compat_out;
		if (spec_contains(&ge, item, item_text, &a, err) < 0 ||
		    prefix_match(item, prefix.data, prefix.len - 2, &b, err) < 0)
			goto compat_out;
		*out = a && b;
		r = 0;
	compat_out:
		free(items);
		bh_buf_release(&prefix);
		return r;
	}
	default: break;
	}
	v = bh_malloc(sizeof(*v));
	if (pyparse(sp->v, sp->n, v, &why) < 0) {
		r = bh_error_set(err, BH_ERR_INTERNAL, "pep440: unparsed specifier version");
		goto out;
	}
	switch (sp->op) {
	case SP_LE: *out = pycmp(item, v, false) <= 0; break;
	case SP_GE: *out = pycmp(item, v, false) >= 0; break;
	case SP_LT:
		*out = pycmp(item, v, true) < 0 &&
		       !(!is_prerelease(v) && is_prerelease(item) && base_equal(item, v));
		break;
	case SP_GT:
		*out = pycmp(item, v, true) > 0 &&
		       !(!v->post && item->post && base_equal(item, v)) &&
		       !(item->has_local && base_equal(item, v));
		break;
	default: break;
	}
	r = 0;
out:
	free(v);
	return r;
}

/* The specifier set spec: *specs (to free) gets its *n clauses. */
static int parse_specs(const char *spec, struct spec **specs, size_t *n, struct bh_error **err)
{
	const char *p;

	*specs = NULL;
	*n = 0;
	if (!spec)
		return vuln_vs_invalid_spec(err, "pep440", "", "no specifier");
	if (strnlen(spec, VULN_VSPEC_MAX_LEN + 1) > VULN_VSPEC_MAX_LEN)
		return vuln_vs_invalid_spec(err, "pep440", spec, "longer than 4096 bytes");
	for (p = spec; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return vuln_vs_invalid_spec(err, "pep440", spec, "non-ASCII character");
	*specs = bh_calloc(VULN_VSPEC_MAX_LEN / 2 + 1, sizeof(**specs));
	/* comma-separated, blank items skipped */
	for (p = spec;;) {
		const char *c = strchr(p, ','), *e = c ? c : p + strlen(p), *s = p;

		while (s < e && is_space(*s))
			s++;
		if (s < e) {
			if (!parse_spec(s, (size_t)(e - s), &(*specs)[*n])) {
				free(*specs);
				*specs = NULL;
				*n = 0;
				return vuln_vs_invalid_spec(
					err, "pep440", spec,
					"expected comma-separated ~=, ==, !=, <=, "
					">=, <, >, === clauses");
			}
			(*n)++;
		}
		if (!c)
			break;
		p = c + 1;
	}
	return 0;
}

static int validate_range(const char *spec, const char **why, struct bh_error **err)
{
	struct spec *specs;
	size_t n;
	int r = parse_specs(spec, &specs, &n, err);

	(void)why; /* packaging refuses what it cannot read (InvalidSpecifier) */
	free(specs);
	return r;
}

static int satisfies(const char *spec, const char *version, bool *out, struct bh_error **err)
{
	struct pyver *item = bh_malloc(sizeof(*item));
	struct spec *specs = NULL;
	size_t nspecs = 0;
	int r = -1;

	if (parse(version, item, err) < 0 || parse_specs(spec, &specs, &nspecs, err) < 0)
		goto out;
	*out = true;
	for (size_t i = 0; i < nspecs && *out; i++)
		if (spec_contains(&specs[i], item, version, out, err) < 0)
			goto out;
	r = 0;
out:
	free(specs);
	free(item);
	return r;
}

static const char *const aliases[] = { "pypi", "python", NULL };
static const char *const ecosystems[] = { "PyPI", NULL };

const struct vuln_vscheme vuln_vscheme_pep440 = {
	.id = BH_VS_PEP440,
	.name = "pep440",
	.native = "python-packaging",
	.aliases = aliases,
	.ecosystems = ecosystems,
	.validate = validate,
	.compare = compare,
	.validate_range = validate_range,
	.satisfies = satisfies,
};
