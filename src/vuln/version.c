/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Version schemes: the table of schemes and the dispatch through it (names,
 * OSV ecosystems, validate, compare, satisfies). Each scheme is one file,
 * version_<scheme>.c, that defines its descriptor; this file knows them only
 * as rows of the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bulkhead/vuln.h"
#include "version_internal.h"
#include "banned.h"

static const struct vuln_vscheme *const schemes[] = {
	&vuln_vscheme_dpkg,   &vuln_vscheme_apk, &vuln_vscheme_rpm,   &vuln_vscheme_semver,
	&vuln_vscheme_pep440, &vuln_vscheme_go,	 &vuln_vscheme_maven,
};

#define NSCHEMES (sizeof(schemes) / sizeof(schemes[0]))

static const struct vuln_vscheme *find(enum bh_vscheme s)
{
	for (size_t i = 0; i < NSCHEMES; i++)
		if (schemes[i]->id == s)
			return schemes[i];
	return NULL;
}

static const struct vuln_vscheme *get(enum bh_vscheme s, struct bh_error **err)
{
	const struct vuln_vscheme *vs = find(s);

	if (!vs)
		bh_error_set(err, BH_ERR_USAGE, "unknown version scheme %d", (int)s);
	return vs;
}

static bool in_list(const char *const *list, const char *s, size_t n)
{
	for (; list && *list; list++)
		if (strlen(*list) == n && !strncasecmp(*list, s, n))
			return true;
	return false;
}

/* The names of the schemes (only those with ranges when `ranges`), joined by sep. */
static void join_names(char *buf, size_t size, const char *sep, bool ranges)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0, k = 0; i < NSCHEMES && o < size; i++) {
		int n;

		if (ranges && !schemes[i]->satisfies)
			continue;
		n = snprintf(buf + o, size - o, "%s%s", k++ ? sep : "", schemes[i]->name);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

int bh_vscheme_parse(const char *name, enum bh_vscheme *out, struct bh_error **err)
{
	char names[256];

	for (size_t i = 0; name && i < NSCHEMES; i++) {
		if (!strcasecmp(name, schemes[i]->name) ||
		    in_list(schemes[i]->aliases, name, strlen(name))) {
			*out = schemes[i]->id;
			return 0;
		}
	}
	join_names(names, sizeof(names), ", ", false);
	return bh_error_set(err, BH_ERR_INVALID, "unknown version scheme '%.64s' (%s)",
			    name ? name : "", names);
}

const char *bh_vscheme_name(enum bh_vscheme s)
{
	const struct vuln_vscheme *vs = find(s);

	return vs ? vs->name : "unknown";
}

/*
 * OSV ecosystem names (https://ossf.github.io/osv-schema/#affectedpackage-field):
 * the part before the first ':' names the ecosystem, the rest is a release
 * ("Debian:12", "Alpine:v3.19", "Red Hat:enterprise_linux:9::appstream").
 * Each scheme lists its ecosystems; the names are case-sensitive, as OSV's are.
 */
int bh_vscheme_for_ecosystem(const char *ecosystem, enum bh_vscheme *out, struct bh_error **err)
{
	size_t n;

	if (!ecosystem)
		return bh_error_set(err, BH_ERR_INVALID, "no ecosystem");
	n = strcspn(ecosystem, ":");
	for (size_t i = 0; i < NSCHEMES; i++) {
		for (const char *const *e = schemes[i]->ecosystems; e && *e; e++) {
			if (strlen(*e) == n && !memcmp(*e, ecosystem, n)) {
				*out = schemes[i]->id;
				return 0;
			}
		}
	}
	return bh_error_set(err, BH_ERR_UNSUPPORTED, "no version scheme for ecosystem '%.64s'",
			    ecosystem);
}

/* "<scheme> version '<v>' is not well formed (<why>); read as <tool> reads it" */
static char *odd_message(const struct vuln_vscheme *vs, bool range, const char *text,
			 const char *why)
{
	char q[400];

	vuln_vs_quote(text, q, sizeof(q));
	if (range)
		return bh_asprintf("%s range '%s' is not valid (%s); nothing satisfies it, as with "
				   "%s",
				   vs->name, q, why, vs->native);
	return bh_asprintf("%s version '%s' is not well formed (%s); read as %s reads it", vs->name,
			   q, why, vs->native);
}

int bh_version_check(enum bh_vscheme s, const char *v, char **why, struct bh_error **err)
{
	const struct vuln_vscheme *vs = get(s, err);
	const char *w = NULL;
	int r;

	if (why)
		*why = NULL;
	if (!vs)
		return -1;
	r = vs->validate(v, &w, err);
	if (r == BH_VERSION_ODD && why)
		*why = odd_message(vs, false, v, w);
	return r;
}

int bh_version_validate(enum bh_vscheme s, const char *v, struct bh_error **err)
{
	char *why = NULL;
	int r = bh_version_check(s, v, bh_log_enabled(BH_LOG_DEBUG) ? &why : NULL, err);

	if (why)
		bh_debug("%s", why);
	free(why);
	return r;
}

int bh_version_compare(enum bh_vscheme s, const char *a, const char *b, int *cmp,
		       struct bh_error **err)
{
	const struct vuln_vscheme *vs = get(s, err);

	return vs ? vs->compare(a, b, cmp, err) : -1;
}

static int no_ranges(const struct vuln_vscheme *vs, struct bh_error **err)
{
	char with[128];

	join_names(with, sizeof(with), " and ", true);
	return bh_error_set(err, BH_ERR_UNSUPPORTED,
			    "the %s version scheme has no range syntax (only %s do)", vs->name,
			    with);
}

int bh_version_satisfies(enum bh_vscheme s, const char *spec, const char *v, bool *out,
			 struct bh_error **err)
{
	const struct vuln_vscheme *vs = get(s, err);

	if (!vs)
		return -1;
	return vs->satisfies ? vs->satisfies(spec, v, out, err) : no_ranges(vs, err);
}

int bh_version_check_range(enum bh_vscheme s, const char *spec, char **why, struct bh_error **err)
{
	const struct vuln_vscheme *vs = get(s, err);
	const char *w = NULL;
	int r;

	if (why)
		*why = NULL;
	if (!vs)
		return -1;
	if (!vs->validate_range)
		return no_ranges(vs, err);
	r = vs->validate_range(spec, &w, err);
	if (r == BH_VERSION_ODD && why)
		*why = odd_message(vs, true, spec, w);
	return r;
}
