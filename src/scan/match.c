/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Matching an inventory against the advisory store: one finding per
 * (package, vulnerability).
 *
 * OS packages are looked up by source package name in their distribution
 * release's ecosystem ("Debian:12", "Alpine:v3.19") and compared by source
 * version: distributions publish advisories per source package and backport
 * fixes, so an upstream version number says nothing about a distro package.
 * Language packages are looked up by name in their ecosystem.
 *
 * A package is never dropped for an odd version string. When its scheme
 * cannot read the version, the package is still looked up: the debug log
 * and stats->bad_versions say so, and an advisory that lists the version
 * verbatim (OSV `versions[]`) still matches it; ranges cannot, and are
 * skipped quietly for it. Schemes that answer rather than fail (as
 * dpkg, rpm and node-semver do with odd input) simply evaluate the ranges.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/scan.h"
#include "banned.h"

struct pkg_ctx {
	struct bh_findings *out;
	const struct bh_package *pkg;
	size_t pkg_index;
	size_t first; /* this package's findings start here in out */
	enum bh_vscheme scheme;
	const char *version;
	bool bad_version; /* the scheme cannot read it */
	struct bh_match_stats *stats;
};

static bool strv_has(char *const *v, const char *s)
{
	return bh_strv_contains(v, s);
}

/* Append a copy of s unless it is there. */
static void strv_add(char ***v, const char *s)
{
	size_t n = bh_strv_len(*v);

	if (strv_has(*v, s))
		return;
	*v = bh_reallocarray(*v, n + 2, sizeof(**v));
	(*v)[n] = bh_strdup(s);
	(*v)[n + 1] = NULL;
}

/* The name a finding is known by: the CVE when the advisory has exactly one. */
static const char *primary_id(const struct bh_advisory *a)
{
	const char *cve = NULL;
	int ncve = 0;

	if (bh_str_has_prefix(a->id, "CVE-"))
		return a->id;
	for (const char *const *p = a->aliases; p && *p; p++)
		if (bh_str_has_prefix(*p, "CVE-")) {
			cve = *p;
			ncve++;
		}
	return ncve == 1 ? cve : a->id;
}

/* Does finding f name any of the advisory's ids? */
static bool same_vuln(const struct bh_finding *f, const struct bh_advisory *a)
{
	if (!strcmp(f->id, a->id) || strv_has(f->aliases, a->id))
		return true;
	for (const char *const *p = a->aliases; p && *p; p++)
		if (!strcmp(f->id, *p) || strv_has(f->aliases, *p))
			return true;
	return false;
}

/* Is the advisory's severity more specific than what f has? A CVSS score beats
 * a database label, which beats nothing; between equals, the higher wins. */
static bool better_severity(const struct bh_finding *f, const struct bh_advisory *a)
{
	bool fa = f->score >= 0, aa = a->score >= 0;

	if (aa != fa)
		return aa;
	if (f->severity == BH_SEV_UNKNOWN)
		return a->severity != BH_SEV_UNKNOWN;
	return a->severity > f->severity;
}

static char *first_line(const char *s)
{
	size_t n;

	if (!s)
		return NULL;
	n = strcspn(s, "\n");
	if (n > 200)
		n = 200;
	return bh_strndup(s, n);
}

static void add_ids(struct bh_finding *f, const struct bh_advisory *a)
{
	if (strcmp(f->id, a->id))
		strv_add(&f->aliases, a->id);
	for (const char *const *p = a->aliases; p && *p; p++)
		if (strcmp(f->id, *p))
			strv_add(&f->aliases, *p);
}

static void set_remediation(struct bh_finding *f, const struct bh_package *p)
{
	const char *name = p->source_name && (p->type == BH_PKG_DPKG || p->type == BH_PKG_APK ||
					      p->type == BH_PKG_RPM)
				   ? p->source_name
				   : p->name;
	struct bh_buf b = BH_BUF_INIT(4096);

	free(f->remediation);
	if (!f->fixed_versions) {
		f->remediation = bh_asprintf("No fixed version of %s is known yet.", name);
		return;
	}
	bh_buf_addf(&b, NULL, "Upgrade %s%s to ", name,
		    name == p->source_name && strcmp(name, p->name) ? " (source package)" : "");
	for (size_t i = 0; f->fixed_versions[i]; i++)
		bh_buf_addf(&b, NULL, "%s%s", i ? " or " : "", f->fixed_versions[i]);
	bh_buf_adds(&b, " or later.", NULL);
	f->remediation = bh_buf_detach(&b, NULL);
}

/* Does the affected entry list `version` verbatim in its versions[]? */
static bool listed(const json_t *affected, const char *version)
{
	const json_t *versions =
		json_is_object(affected) ? json_object_get(affected, "versions") : NULL;
	size_t i;
	json_t *v;

	json_array_foreach (versions, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), version))
			return true;
	return false;
}

static int on_advisory(const struct bh_advisory *a, void *data, struct bh_error **err)
{
	struct pkg_ctx *c = data;
	struct bh_finding *f = NULL;
	char *fixed = NULL;
	bool hit = false;

	c->stats->advisories++;
	if (bh_osv_affects(a->affected, c->scheme, c->version, &hit, &fixed, err) < 0) {
		char *m = bh_error_message(*err);

		bh_error_clear(err);
		if (c->bad_version) {
			/* the ranges cannot place this version; a list can name it */
			bh_debug("advisory %s for %s %s: %s", a->id, c->pkg->name, c->version, m);
			hit = listed(a->affected, c->version);
		} else {
			/* one malformed advisory must not hide the others */
			bh_warn("advisory %s for %s %s: %s", a->id, c->pkg->name, c->version, m);
		}
		free(m);
		if (!hit)
			return 0;
	}
	if (!hit) {
		free(fixed);
		return 0;
	}
	for (size_t i = c->first; i < c->out->n; i++)
		if (same_vuln(&c->out->v[i], a)) {
			f = &c->out->v[i];
			break;
		}
	if (!f) {
		f = bh_findings_add(c->out);
		f->id = bh_strdup(primary_id(a));
		f->kind = BH_FIND_VULN;
		f->severity = a->severity;
		f->score = a->score;
		f->cvss_vector = a->cvss_vector ? bh_strdup(a->cvss_vector) : NULL;
		f->title = first_line(a->summary && *a->summary ? a->summary : a->details);
		f->description = a->details ? bh_strdup(a->details) : NULL;
		f->countermeasure = bh_strdup("4.1.1");
		f->layer = (int)c->pkg->layer;
		f->path = c->pkg->path ? bh_strdup(c->pkg->path) : NULL;
		f->pkg = c->pkg_index;
		f->fix_state = BH_FIX_NOT_FIXED;
	} else if (better_severity(f, a)) {
		f->severity = a->severity;
		f->score = a->score;
		free(f->cvss_vector);
		f->cvss_vector = a->cvss_vector ? bh_strdup(a->cvss_vector) : NULL;
	}
	add_ids(f, a);
	if (!f->title && (a->summary || a->details))
		f->title = first_line(a->summary && *a->summary ? a->summary : a->details);
	for (const char *const *r = a->references; r && *r; r++)
		strv_add(&f->references, *r);
	if (fixed) {
		strv_add(&f->fixed_versions, fixed);
		f->fix_state = BH_FIX_FIXED;
		free(fixed);
	}
	set_remediation(f, c->pkg);
	return 0;
}

/* What to look the package up by, and which version to compare. */
static void lookup_key(const struct bh_package *p, const char **name, const char **version)
{
	*name = p->name;
	*version = p->version;
	switch (p->type) {
	case BH_PKG_DPKG:
		if (p->source_name)
			*name = p->source_name;
		if (p->source_version)
			*version = p->source_version;
		break;
	case BH_PKG_APK:
	case BH_PKG_RPM:
		if (p->source_name)
			*name = p->source_name;
		break;
	default: break;
	}
}

int bh_vuln_match(struct bh_store *store, const struct bh_inventory *inv, struct bh_findings *out,
		  struct bh_match_stats *stats, struct bh_error **err)
{
	struct bh_match_stats dummy;

	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof(*stats));
	for (size_t i = 0; i < inv->npkgs; i++) {
		const struct bh_package *p = &inv->pkgs[i];
		struct pkg_ctx c = {
			.out = out, .pkg = p, .pkg_index = i, .first = out->n, .stats = stats
		};
		const char *name;
		struct bh_error *e = NULL;

		if (!p->ecosystem || !p->version)
			continue;
		if (bh_vscheme_for_ecosystem(p->ecosystem, &c.scheme, NULL) < 0) {
			stats->unsupported++;
			continue;
		}
		lookup_key(p, &name, &c.version);
		if (bh_version_validate(c.scheme, c.version, &e) < 0) {
			char *m = bh_error_message(e);

			bh_debug("%s %s (%s): a version its scheme cannot read; matched by "
				 "advisories that list it: %s",
				 p->name, p->version, p->path ? p->path : "?", m);
			free(m);
			bh_error_free(e);
			stats->bad_versions++;
			c.bad_version = true;
		}
		stats->packages++;
		if (bh_vuln_store_query(store, p->ecosystem, name, on_advisory, &c, err) < 0)
			return bh_error_prefix(err, "matching %s %s", p->name, p->version);
	}
	return 0;
}
