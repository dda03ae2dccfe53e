/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every content file shares, and nothing here calls into the others
 * (a leaf): the hit list (what a scanner found, before it is a finding), the
 * lists of captured files and hashes, 64-bit path hashes, the text helpers
 * of the secret rules and checks (entropy, redaction, fingerprints,
 * placeholders), and lookups in the merged view.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bulkhead/content.h"
#include "internal.h"
#include "banned.h"

/* ---- hits and captures ------------------------------------------------------- */

struct hit *content_hitlist_add(struct hitlist *l)
{
	struct hit *h;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = bh_reallocarray(l->v, l->cap, sizeof(*l->v));
	}
	h = &l->v[l->n++];
	memset(h, 0, sizeof(*h));
	h->pkg = SIZE_MAX;
	return h;
}

static void hit_release(struct hit *h)
{
	free(h->id);
	free(h->title);
	free(h->description);
	free(h->path);
	free(h->own_remediation);
	free(h->own_countermeasure);
}

void content_hitlist_release(struct hitlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		hit_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

struct capture *content_caplist_add(struct capturelist *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = bh_reallocarray(l->v, l->cap, sizeof(*l->v));
	}
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	return &l->v[l->n++];
}

void content_caplist_release(struct capturelist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].data);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

struct hashed *content_hashedlist_add(struct hashedlist *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = bh_reallocarray(l->v, l->cap, sizeof(*l->v));
	}
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	return &l->v[l->n++];
}

void content_hashedlist_release(struct hashedlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* ---- path hashes -------------------------------------------------------------- */

void content_u64v_push(struct content_u64v *a, uint64_t x)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 256;
		a->v = bh_reallocarray(a->v, a->cap, sizeof(*a->v));
	}
	a->v[a->n++] = x;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void content_u64v_sort(struct content_u64v *a)
{
	if (a->n > 1)
		qsort(a->v, a->n, sizeof(*a->v), cmp_u64);
}

bool content_u64v_has(const struct content_u64v *a, uint64_t x)
{
	return a->n && bsearch(&x, a->v, a->n, sizeof(*a->v), cmp_u64);
}

void content_u64v_release(struct content_u64v *a)
{
	free(a->v);
	memset(a, 0, sizeof(*a));
}

uint64_t content_path_hash(uint64_t seed, const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

/* ---- text ---------------------------------------------------------------------- */

/* log2 without libm: exponent from the bits, the mantissa's logarithm from
 * the atanh series (error below 1e-6, plenty for an entropy threshold). */
static double lg2(double x)
{
	uint64_t u;
	double m, t, t2, ln;
	int e;

	memcpy(&u, &x, sizeof(u));
	e = (int)((u >> 52) & 0x7ff) - 1023;
	u = (u & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
	memcpy(&m, &u, sizeof(m));
	t = (m - 1) / (m + 1);
	t2 = t * t;
	ln = 2 * t *
	     (1 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 * (1.0 / 9 + t2 / 11)))));
	return e + ln * 1.4426950408889634;
}

double content_entropy(const unsigned char *p, size_t n)
{
	size_t count[256] = { 0 };
	double h = 0;

	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		count[p[i]]++;
	for (int c = 0; c < 256; c++) {
		if (count[c]) {
			double f = (double)count[c] / (double)n;

			h -= f * lg2(f);
		}
	}
	return h;
}

void content_redact(const unsigned char *p, size_t n, char *out, size_t outsz)
{
	size_t show = n / 4 < 4 ? n / 4 : 4, k = 0;

	for (size_t i = 0; i < show && k + 2 < outsz; i++)
		out[k++] = bh_isprint(p[i]) && p[i] != '"' && p[i] != '\\' ? (char)p[i] : '?';
	if (k + 4 <= outsz) {
		/* U+2026 HORIZONTAL ELLIPSIS */
		out[k++] = (char)0xe2;
		out[k++] = (char)0x80;
		out[k++] = (char)0xa6;
	}
	out[k] = 0;
}

void content_fingerprint(const void *p, size_t n, char out[13])
{
	struct bh_digest d;

	bh_sha256(p, n, &d);
	memcpy(out, bh_digest_hex(&d), 12);
	out[12] = 0;
}

bool content_ieq(const unsigned char *p, size_t n, const char *w)
{
	return strlen(w) == n && !strncasecmp((const char *)p, w, n);
}

bool content_icontains(const unsigned char *p, size_t n, const char *w)
{
	size_t m = strlen(w);

	for (size_t i = 0; i + m <= n; i++)
		if (!strncasecmp((const char *)p + i, w, m))
			return true;
	return false;
}

bool content_looks_placeholder(const unsigned char *p, size_t n)
{
	static const char *const words[] = {
		"password",    "passwd",     "pass",	     "pwd",	      "secret",
		"token",       "changeme",   "change_me",    "example",	      "sample",
		"dummy",       "test",	     "testing",	     "none",	      "null",
		"nil",	       "undefined",  "empty",	     "foo",	      "bar",
		"foobar",      "redacted",   "hidden",	     "placeholder",   "default",
		"admin",       "root",	     "guest",	     "anonymous",     "user",
		"username",    "mypassword", "yourpassword", "your_password", "secret123",
		"password123", "true",	     "false",	     "required",      "optional",
		"string",      "str",	     "value",	     "key",	      "apikey",
		"api_key",     "xxx",
	};
	static const char *const parts[] = {
		"${",	       "$(",	  "{{",		 "}}",	     "%(",
		"%s",	       "<",	  ">",		 "xxxx",     "****",
		"....",	       "example", "placeholder", "changeme", "change_me",
		"your_",       "your-",	  "yourpass",	 "replace",  "insert",
		"todo",	       "fixme",	  "dummy",	 "redacted", "password_here",
		"secret_here",
	};
	unsigned char first;
	bool same = true;

	if (!n)
		return true;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (content_ieq(p, n, words[i]))
			return true;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (content_icontains(p, n, parts[i]))
			return true;
	first = p[0];
	if (first == '$' || first == '%' || first == '@' || first == '&' || first == '*' ||
	    first == '[' || first == '{' || first == '(')
		return true;
	for (size_t i = 1; i < n; i++)
		if (p[i] != first)
			same = false;
	return same;
}

const char *content_basename(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* ---- the merged view --------------------------------------------------------------- */

const struct bh_file *content_merged_find(const struct bh_fileset *fs, const char *path)
{
	size_t lo = 0, hi = fs ? fs->nfiles : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(fs->files[mid].path, path);

		if (!r)
			return &fs->files[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Resolve symlinked directories of `path` through the merged view ("bin/su"
 * -> "usr/bin/su" when bin -> usr/bin). The last component is left alone. */
char *content_resolve_dirs(const struct bh_fileset *fs, const char *path)
{
	struct bh_buf cur = BH_BUF_INIT(8192), tmp = BH_BUF_INIT(8192), clean = BH_BUF_INIT(8192);
	bool changed = true;

	bh_buf_adds(&cur, path, NULL);
	for (int hops = 0; changed && hops < 40; hops++) {
		changed = false;
		for (size_t i = 0; cur.data && i < cur.len && !changed; i++) {
			const struct bh_file *f;

			if (cur.data[i] != '/')
				continue;
			cur.data[i] = 0;
			f = content_merged_find(fs, cur.data);
			cur.data[i] = '/';
			if (!f || f->type != BH_FT_SYMLINK || !f->link)
				continue;
			bh_buf_reset(&tmp);
			if (f->link[0] != '/') {
				const char *slash = memrchr(cur.data, '/', i);

				if (slash)
					bh_buf_add(&tmp, cur.data, (size_t)(slash - cur.data) + 1,
						   NULL);
			}
			bh_buf_adds(&tmp, f->link, NULL);
			bh_buf_add(&tmp, cur.data + i, cur.len - i, NULL);
			bh_buf_reset(&clean);
			if (bh_path_clean(tmp.data, true, 4096, &clean, NULL) < 0 || !clean.data)
				break;
			bh_buf_reset(&cur);
			bh_buf_add(&cur, clean.data, clean.len, NULL);
			changed = true;
		}
	}
	bh_buf_release(&tmp);
	bh_buf_release(&clean);
	return bh_buf_detach(&cur, NULL);
}

const struct capture *content_live_capture(const struct capturelist *caps,
					   const struct bh_fileset *merged, const char *path)
{
	const struct bh_file *f = content_merged_find(merged, path);

	if (!f || f->type != BH_FT_REG)
		return NULL;
	for (size_t i = 0; i < caps->n; i++)
		if (caps->v[i].layer == f->layer && !strcmp(caps->v[i].path, path))
			return &caps->v[i];
	return NULL;
}
