/* SPDX-License-Identifier: Apache-2.0 */
/* The growable list of owned strings, and NULL-terminated string arrays. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/base.h"
#include "banned.h"

void bh_strvec_push_take(struct bh_strvec *sv, char *s)
{
	if (sv->n + 2 > sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = bh_reallocarray(sv->v, sv->cap, sizeof(*sv->v));
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void bh_strvec_push(struct bh_strvec *sv, const char *s)
{
	bh_strvec_push_take(sv, bh_strdup(s));
}

void bh_strvec_pushf(struct bh_strvec *sv, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	bh_strvec_push_take(sv, s);
}

void bh_strvec_release(struct bh_strvec *sv)
{
	bh_strv_free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

char **bh_strvec_detach(struct bh_strvec *sv)
{
	char **v = sv->v;

	sv->v = NULL;
	sv->n = sv->cap = 0;
	return v;
}

size_t bh_strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

bool bh_strv_contains(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}

char **bh_strv_dup(char *const *v)
{
	size_t n = bh_strv_len(v);
	char **r;

	if (!v)
		return NULL;
	r = bh_calloc(n + 1, sizeof(*r));
	for (size_t i = 0; i < n; i++)
		r[i] = bh_strdup(v[i]);
	return r;
}

void bh_strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}
