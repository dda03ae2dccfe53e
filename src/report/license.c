/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Licences in SBOMs: the SPDX licence list identifiers (and exception
 * identifiers) that CycloneDX's spdx.schema.json enumerates, so that an "id"
 * we write always validates; and SPDX licence expressions made only of them.
 * The table is generated at build time (scripts/spdx-ids) from
 * src/report/spdx_ids.txt, which names its source and version.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "report/spdx_ids.h"
#include "banned.h"

const size_t report_spdx_nids = REPORT_SPDX_NIDS;
const char *const report_spdx_list_version = REPORT_SPDX_LIST_VERSION;

static int cmp_ci(const void *key, const void *elem)
{
	return strcasecmp(key, *(const char *const *)elem);
}

const char *report_spdx_id(const char *s)
{
	const char *const *hit;

	if (!s || !*s)
		return NULL;
	/* the list is sorted case-insensitively */
	hit = bsearch(s, report_spdx_ids, REPORT_SPDX_NIDS, sizeof(report_spdx_ids[0]), cmp_ci);
	return hit ? *hit : NULL;
}

/* One token of an expression: an identifier (optionally with "+") or LicenseRef-. */
static bool known_token(const char *t, size_t n)
{
	char buf[128];

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, t, n);
	buf[n] = 0;
	if (!strncmp(buf, "LicenseRef-", 11) || !strncmp(buf, "DocumentRef-", 12)) {
		for (size_t i = 0; i < n; i++)
			if (!(buf[i] == '-' || buf[i] == '.' || buf[i] == ':' ||
			      (buf[i] >= '0' && buf[i] <= '9') ||
			      (buf[i] >= 'a' && buf[i] <= 'z') || (buf[i] >= 'A' && buf[i] <= 'Z')))
				return false;
		return true;
	}
	if (buf[n - 1] == '+')
		buf[n - 1] = 0;
	return report_spdx_id(buf) != NULL;
}

bool report_spdx_expression(const char *s)
{
	const char *p = s;
	int depth = 0;
	bool want_id = true; /* an identifier (or "(") is expected next */
	bool any = false;

	if (!s || strlen(s) > 4096)
		return false;
	while (*p) {
		const char *t;
		size_t n;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (*p == '(' || *p == ')') {
			if (*p == '(') {
				if (!want_id)
					return false;
				depth++;
			} else {
				if (want_id || --depth < 0)
					return false;
			}
			p++;
			continue;
		}
		t = p;
		while (*p && *p != ' ' && *p != '(' && *p != ')')
			p++;
		n = (size_t)(p - t);
		if ((n == 3 && (!strncmp(t, "AND", 3))) || (n == 2 && !strncmp(t, "OR", 2)) ||
		    (n == 4 && !strncmp(t, "WITH", 4))) {
			if (want_id)
				return false;
			want_id = true;
			continue;
		}
		if (!want_id || !known_token(t, n))
			return false;
		want_id = false;
		any = true;
	}
	return any && !want_id && depth == 0;
}
