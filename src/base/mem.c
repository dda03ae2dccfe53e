/* SPDX-License-Identifier: Apache-2.0 */
/* Allocation helpers, strict number parsing, small string utilities. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/base.h"
#include "banned.h"

static void oom(size_t n)
{
	fprintf(stderr, "bulkhead: out of memory allocating %zu bytes\n", n);
	abort();
}

void *bh_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *bh_calloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		oom(nmemb * size);
	return p;
}

void *bh_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

void *bh_reallocarray(void *p, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		oom(SIZE_MAX);
	return bh_realloc(p, nmemb * size);
}

char *bh_strdup(const char *s)
{
	return bh_strndup(s, strlen(s));
}

char *bh_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = bh_malloc(len + 1);

	memcpy(p, s, len);
	p[len] = 0;
	return p;
}

char *bh_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom(0);
	va_end(ap);
	return s;
}

int bh_parse_u64(const char *s, uint64_t *out, struct bh_error **err)
{
	uint64_t v = 0;
	const char *p;

	if (!s || !*s)
		return bh_error_set(err, BH_ERR_INVALID, "empty number");
	for (p = s; *p; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			return bh_error_set(err, BH_ERR_INVALID, "'%s' is not a number", s);
		d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return bh_error_set(err, BH_ERR_INVALID, "number '%s' is too large", s);
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int bh_parse_size(const char *s, uint64_t *out, struct bh_error **err)
{
	char digits[32];
	size_t n = s ? strlen(s) : 0;
	unsigned shift = 0;
	uint64_t v;

	if (n == 0 || n >= sizeof(digits))
		return bh_error_set(err, BH_ERR_INVALID, "'%s' is not a size", s ? s : "");
	memcpy(digits, s, n + 1);
	switch (digits[n - 1]) {
	case 'k':
	case 'K': shift = 10; break;
	case 'm':
	case 'M': shift = 20; break;
	case 'g':
	case 'G': shift = 30; break;
	case 't':
	case 'T': shift = 40; break;
	default: break;
	}
	if (shift)
		digits[n - 1] = 0;
	if (bh_parse_u64(digits, &v, NULL) < 0)
		return bh_error_set(err, BH_ERR_INVALID,
				    "'%s' is not a size (a number with an optional K, M, G or T)",
				    s);
	if (shift && v > (UINT64_MAX >> shift))
		return bh_error_set(err, BH_ERR_INVALID, "size '%s' is too large", s);
	*out = v << shift;
	return 0;
}

bool bh_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool bh_str_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

const char *bh_human_size(uint64_t n, char *buf, size_t bufsz)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	unsigned u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, bufsz, "%" PRIu64 " B", n);
	else
		snprintf(buf, bufsz, "%.1f %s", v, units[u]);
	return buf;
}
