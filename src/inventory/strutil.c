/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The small string helpers the catalogers share: trimmed copies, the values
 * a parser is willing to keep (printable, at most INV_MAX_VALUE bytes),
 * bounded string vectors, dpkg's "name (version)", path components. A leaf:
 * it calls nothing of the inventory.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

char *inv_strdup_trim(const char *p, size_t n)
{
	while (n && bh_isspace((unsigned char)*p)) {
		p++;
		n--;
	}
	while (n && bh_isspace((unsigned char)p[n - 1]))
		n--;
	return n ? bh_strndup(p, n) : NULL;
}

char *inv_value_dup(const char *p, size_t n)
{
	while (n && bh_isspace((unsigned char)*p)) {
		p++;
		n--;
	}
	while (n && bh_isspace((unsigned char)p[n - 1]))
		n--;
	if (!inv_value_ok(p, n))
		return NULL;
	return bh_strndup(p, n);
}

bool inv_str_eq(struct inv_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && !memcmp(s.p, lit, n);
}

bool inv_value_ok(const char *p, size_t n)
{
	if (n == 0 || n > INV_MAX_VALUE)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

bool inv_strv_addn(char ***v, const char *p, size_t len)
{
	size_t n = bh_strv_len(*v);

	if (n >= INV_MAX_LIST)
		return false;
	*v = bh_reallocarray(*v, n + 2, sizeof(**v));
	(*v)[n] = bh_strndup(p, len);
	(*v)[n + 1] = NULL;
	return true;
}

bool inv_strv_add(char ***v, const char *s)
{
	return inv_strv_addn(v, s, strlen(s));
}

void inv_split_name_version(const char *p, size_t n, char **name, char **version)
{
	const char *open = memchr(p, '(', n), *close;

	*name = *version = NULL;
	if (!open) {
		*name = inv_strdup_trim(p, n);
		return;
	}
	*name = inv_strdup_trim(p, (size_t)(open - p));
	close = memchr(open, ')', n - (size_t)(open - p));
	if (!close)
		return;
	open++;
	while (open < close && (*open == '=' || bh_isspace((unsigned char)*open)))
		open++;
	*version = inv_strdup_trim(open, (size_t)(close - open));
}

bool inv_in_node_modules(const char *path)
{
	return bh_str_has_prefix(path, "node_modules/") || strstr(path, "/node_modules/");
}

const char *inv_prev_component(const char *path, const char *end)
{
	const char *p = end;

	while (p > path && p[-1] != '/')
		p--;
	return p;
}
