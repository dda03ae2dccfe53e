/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A strict JSON reader for the webhook's hot path: the same language as
 * bh_json_parse (jansson's json_loadb with JSON_REJECT_DUPLICATES: RFC 8259,
 * an object or array at the top, nothing after it, UTF-8 checked, no NUL
 * in strings, duplicate keys refused, integers that fit json_int_t, reals
 * that do not overflow, at most 2048 levels) building the same jansson
 * values, at a third of the cost: jansson reads a byte at a time through
 * a stream, this scans the buffer. fuzz/fuzz_adm_json.c checks it against
 * json_loadb on every input (same accept/reject, json_equal trees).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/admission.h"
#include "bulkhead/base.h"
#include "banned.h"

#define DEPTH_MAX 2048

struct jp {
	const unsigned char *start, *p, *end;
	const char *msg;   /* the first error */
	struct bh_buf tmp; /* a string with escapes */
};

static bool fail(struct jp *j, const char *msg)
{
	if (!j->msg)
		j->msg = msg;
	return false;
}

static void ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
		j->p++;
}

/* One UTF-8 sequence at s (s < end, *s >= 0x80): its length, 0 when invalid
 * (overlong, surrogate, over U+10FFFF, truncated). */
static size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
	unsigned c = s[0], cp;
	size_t n;

	if (c >= 0xC2 && c <= 0xDF)
		n = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if ((size_t)(end - s) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return n;
}

static int hex4(const unsigned char *s)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int c = s[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static void put_utf8(struct bh_buf *b, unsigned cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80)
		u[0] = (unsigned char)cp, n = 1;
	else if (cp < 0x800)
		u[0] = (unsigned char)(0xC0 | (cp >> 6)),
		u[1] = (unsigned char)(0x80 | (cp & 0x3F)), n = 2;
	else if (cp < 0x10000)
		u[0] = (unsigned char)(0xE0 | (cp >> 12)),
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)),
		u[2] = (unsigned char)(0x80 | (cp & 0x3F)), n = 3;
	else
		u[0] = (unsigned char)(0xF0 | (cp >> 18)),
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F)),
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)),
		u[3] = (unsigned char)(0x80 | (cp & 0x3F)), n = 4;
	bh_buf_add(b, u, n, NULL);
}

/*
 * The string at j->p (just after its opening quote): *s and *n point into the
 * input when it has no escapes, else into j->tmp. j->p ends after the
 * closing quote.
 */
static bool string(struct jp *j, const char **s, size_t *n)
{
	const unsigned char *p = j->p, *run = p;
	bool escaped = false;

	j->tmp.len = 0;
	for (;;) {
		if (p >= j->end)
			return j->p = p, fail(j, "premature end of input in a string");
		if (*p == '"')
			break;
		if (*p < 0x20)
			return j->p = p, fail(j, "control character in a string");
		if (*p < 0x80 && *p != '\\') {
			p++;
			continue;
		}
		if (*p >= 0x80) {
			size_t l = utf8_len(p, j->end);

			if (!l)
				return j->p = p, fail(j, "invalid UTF-8 in a string");
			p += l;
			continue;
		}
		/* an escape: the string is rebuilt in j->tmp */
		escaped = true;
		bh_buf_add(&j->tmp, run, (size_t)(p - run), NULL);
		if (j->end - p < 2)
			return j->p = p, fail(j, "premature end of input in a string");
		switch (p[1]) {
		case '"': bh_buf_addc(&j->tmp, '"', NULL); break;
		case '\\': bh_buf_addc(&j->tmp, '\\', NULL); break;
		case '/': bh_buf_addc(&j->tmp, '/', NULL); break;
		case 'b': bh_buf_addc(&j->tmp, '\b', NULL); break;
		case 'f': bh_buf_addc(&j->tmp, '\f', NULL); break;
		case 'n': bh_buf_addc(&j->tmp, '\n', NULL); break;
		case 'r': bh_buf_addc(&j->tmp, '\r', NULL); break;
		case 't': bh_buf_addc(&j->tmp, '\t', NULL); break;
		case 'u': {
			int hi, lo;
			unsigned cp;

			if (j->end - p < 6 || (hi = hex4(p + 2)) < 0)
				return j->p = p, fail(j, "invalid \\u escape");
			p += 6;
			if (hi >= 0xDC00 && hi <= 0xDFFF)
				return j->p = p,
				       fail(j, "invalid Unicode escape (lone low surrogate)");
			if (hi >= 0xD800 && hi <= 0xDBFF) {
				if (j->end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
				    (lo = hex4(p + 2)) < 0 || lo < 0xDC00 || lo > 0xDFFF)
					return j->p = p,
					       fail(j,
						    "invalid Unicode escape (unpaired surrogate)");
				p += 6;
				cp = 0x10000 + (((unsigned)hi - 0xD800) << 10) +
				     ((unsigned)lo - 0xDC00);
			} else {
				cp = (unsigned)hi;
			}
			if (!cp)
				return j->p = p, fail(j, "\\u0000 is not allowed in a string");
			put_utf8(&j->tmp, cp);
			run = p;
			continue;
		}
		default: return j->p = p, fail(j, "invalid escape in a string");
		}
		p += 2;
		run = p;
	}
	j->p = p + 1;
	if (!escaped) { /* the string is the one run, in the input */
		*s = (const char *)run;
		*n = (size_t)(p - run);
		return true;
	}
	if (bh_buf_add(&j->tmp, run, (size_t)(p - run), NULL) < 0)
		return fail(j, "string too long");
	*s = j->tmp.data;
	*n = j->tmp.len;
	return true;
}

static json_t *number(struct jp *j)
{
	const unsigned char *s = j->p, *p = s;
	bool real = false;
	char tmp[64], *heap = NULL, *num, *endp;
	size_t n;
	json_t *v;

	if (p < j->end && *p == '-')
		p++;
	if (p < j->end && *p == '0')
		p++;
	else if (p < j->end && *p >= '1' && *p <= '9')
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	else
		return j->p = p, fail(j, "invalid number"), NULL;
	if (p < j->end && *p == '.') {
		real = true;
		p++;
		if (p >= j->end || *p < '0' || *p > '9')
			return j->p = p, fail(j, "invalid number"), NULL;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		real = true;
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= j->end || *p < '0' || *p > '9')
			return j->p = p, fail(j, "invalid number"), NULL;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	}
	n = (size_t)(p - s);
	num = n < sizeof(tmp) ? tmp : (heap = bh_malloc(n + 1));
	memcpy(num, s, n);
	num[n] = 0;
	errno = 0;
	if (!real) {
		long long i = strtoll(num, &endp, 10);

		if (errno == ERANGE) {
			free(heap);
			return j->p = s,
			       fail(j, i < 0 ? "too big negative integer" : "too big integer"),
			       NULL;
		}
		v = json_integer((json_int_t)i);
	} else {
		double d = strtod(num, &endp);

		if (errno == ERANGE && (d > 1.0 || d < -1.0)) {
			free(heap);
			return j->p = s, fail(j, "real number overflow"), NULL;
		}
		v = json_real(d);
	}
	free(heap);
	j->p = p;
	return v;
}

static bool literal(struct jp *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n))
		return fail(j, "invalid token");
	j->p += n;
	return true;
}

static json_t *value(struct jp *j, unsigned depth);

static json_t *object(struct jp *j, unsigned depth)
{
	json_t *o = json_object();

	j->p++; /* { */
	ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return o;
	}
	for (;;) {
		const char *k;
		size_t kn;
		char kbuf[256], *key;
		json_t *v;

		if (j->p >= j->end || *j->p != '"') {
			fail(j, "string or '}' expected");
			goto bad;
		}
		j->p++;
		if (!string(j, &k, &kn))
			goto bad;
		/* the key must outlive j->tmp, which the value may reuse */
		key = kn < sizeof(kbuf) ? kbuf : bh_malloc(kn + 1);
		memcpy(key, k, kn);
		key[kn] = 0;
		if (json_object_getn(o, key, kn)) {
			if (key != kbuf)
				free(key);
			fail(j, "duplicate object key");
			goto bad;
		}
		ws(j);
		if (j->p >= j->end || *j->p != ':') {
			if (key != kbuf)
				free(key);
			fail(j, "':' expected");
			goto bad;
		}
		j->p++;
		ws(j);
		v = value(j, depth + 1);
		if (!v) {
			if (key != kbuf)
				free(key);
			goto bad;
		}
		json_object_setn_new_nocheck(o, key, kn, v);
		if (key != kbuf)
			free(key);
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			ws(j);
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			return o;
		}
		fail(j, "',' or '}' expected");
		goto bad;
	}
bad:
	json_decref(o);
	return NULL;
}

static json_t *array(struct jp *j, unsigned depth)
{
	json_t *a = json_array();

	j->p++; /* [ */
	ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return a;
	}
	for (;;) {
		json_t *v = value(j, depth + 1);

		if (!v)
			goto bad;
		json_array_append_new(a, v);
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			ws(j);
			continue;
		}
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			return a;
		}
		fail(j, "',' or ']' expected");
		goto bad;
	}
bad:
	json_decref(a);
	return NULL;
}

static json_t *value(struct jp *j, unsigned depth)
{
	const char *s;
	size_t n;

	if (depth > DEPTH_MAX)
		return fail(j, "maximum parsing depth reached"), NULL;
	if (j->p >= j->end)
		return fail(j, "premature end of input"), NULL;
	switch (*j->p) {
	case '{': return object(j, depth);
	case '[': return array(j, depth);
	case '"': j->p++; return string(j, &s, &n) ? json_stringn_nocheck(s, n) : NULL;
	case 't': return literal(j, "true") ? json_true() : NULL;
	case 'f': return literal(j, "false") ? json_false() : NULL;
	case 'n': return literal(j, "null") ? json_null() : NULL;
	default: return number(j);
	}
}

int bh_adm_json_parse(const void *buf, size_t len, size_t max, const char *what, json_t **out,
		      struct bh_error **err)
{
	struct jp j = { .start = buf, .p = buf, .end = (const unsigned char *)buf + len };
	json_t *v = NULL;
	int line = 1, col = 0;

	*out = NULL;
	if (len > max)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "%s: %zu bytes of JSON exceeds the limit of %zu bytes", what,
				    len, max);
	bh_buf_init(&j.tmp, max);
	ws(&j);
	if (j.p < j.end && (*j.p == '{' || *j.p == '['))
		v = value(&j, 1);
	else
		fail(&j, j.p < j.end ? "'[' or '{' expected" : "premature end of input");
	if (v) {
		ws(&j);
		if (j.p < j.end) {
			fail(&j, "end of file expected");
			json_decref(v);
			v = NULL;
		}
	}
	bh_buf_release(&j.tmp);
	if (!v) {
		for (const unsigned char *p = j.start; p < j.p && p < j.end; p++)
			if (*p == '\n')
				line++, col = 0;
			else if ((*p & 0xC0) != 0x80)
				col++;
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s: invalid JSON at line %d column %d: %s", what, line,
				    col + 1, j.msg ? j.msg : "invalid token");
	}
	*out = v;
	return 0;
}
