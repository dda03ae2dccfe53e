/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dpkg cataloger. Recognises var/lib/dpkg/status and the one-package files
 * of var/lib/dpkg/status.d/ (distroless images; "*.md5sums" there are not
 * status files). Each paragraph (deb822: "Field: value", continuation lines
 * start with white space, paragraphs end at an empty line) is a package when
 * its Status says the files are on disk (unpacked, half-configured,
 * triggers-awaited, triggers-pending, installed; a paragraph without Status,
 * as some status.d files are, counts as installed). Kept: Package, Version,
 * Architecture, Source with its optional "(version)" (absent: the binary's
 * own name and version, as dpkg-query's ${source:Package}/${source:Version}
 * say), Depends, Pre-Depends and Provides (names, for the dependency graph).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

struct para {
	struct inv_str package, version, arch, source, status, depends, predepends, provides;
	const char *start;
	bool any;
};

static bool installed(struct inv_str status)
{
	static const char *const ok[] = { "installed", "unpacked", "half-configured",
					  "triggers-awaited", "triggers-pending" };
	const char *p = status.p, *end, *w = NULL;
	size_t wn = 0;

	if (!status.p)
		return true;
	end = status.p + status.n;
	/* "want flag state": the third word */
	for (int i = 0; i < 3; i++) {
		while (p < end && bh_isspace((unsigned char)*p))
			p++;
		w = p;
		while (p < end && !bh_isspace((unsigned char)*p))
			p++;
		wn = (size_t)(p - w);
	}
	for (size_t i = 0; wn && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strlen(ok[i]) == wn && !memcmp(ok[i], w, wn))
			return true;
	return false;
}

/* Names in a dependency field: "a (>= 1), b | c:any, d [amd64]". */
static void add_names(char ***v, struct inv_str f)
{
	const char *p = f.p, *end = f.p + f.n;

	while (p && p < end) {
		const char *s, *e;

		while (p < end && (bh_isspace((unsigned char)*p) || *p == ',' || *p == '|'))
			p++;
		s = p;
		while (p < end && !bh_isspace((unsigned char)*p) && !strchr(",|(:[<", *p))
			p++;
		e = p;
		if (e > s && inv_value_ok(s, (size_t)(e - s)) &&
		    !inv_strv_addn(v, s, (size_t)(e - s)))
			return;
		/* skip the rest of this alternative: version, arch qualifier, restrictions */
		while (p < end && *p != ',' && *p != '|')
			p++;
	}
}

static char *dup_value(struct inv_str s)
{
	return s.p ? inv_value_dup(s.p, s.n) : NULL;
}

/* Returns 0 if added or skipped (not installed), -1 if malformed. */
static int emit(struct para *pa, const char *path, struct bh_pkglist *out, struct bh_error **err)
{
	struct bh_package *pkg;
	char *name, *version, *sname = NULL, *sversion = NULL;

	if (!pa->package.p || !pa->version.p)
		return bh_error_set(err, BH_ERR_INVALID, "%s: a paragraph without %s", path,
				    pa->package.p ? "Version" : "Package");
	if (!installed(pa->status))
		return 0;
	name = dup_value(pa->package);
	version = dup_value(pa->version);
	if (pa->source.p && inv_value_ok(pa->source.p, pa->source.n))
		inv_split_name_version(pa->source.p, pa->source.n, &sname, &sversion);
	if (!name || !version || strchr(name, ' ') || strchr(version, ' ') ||
	    (pa->source.p && (!sname || !inv_value_ok(sname, strlen(sname)) ||
			      (sversion && !inv_value_ok(sversion, strlen(sversion)))))) {
		bh_error_set(err, BH_ERR_INVALID,
			     "%s: package '%.100s': malformed Package, "
			     "Version or Source",
			     path, name ? name : "?");
		free(name);
		free(version);
		free(sname);
		free(sversion);
		return -1;
	}
	if (out->n >= INV_MAX_PKGS) {
		free(name);
		free(version);
		free(sname);
		free(sversion);
		return bh_error_set(err, BH_ERR_LIMIT, "%s: more than %d packages", path,
				    INV_MAX_PKGS);
	}
	pkg = bh_pkglist_add(out);
	pkg->type = BH_PKG_DPKG;
	pkg->name = name;
	pkg->version = version;
	pkg->source_name = sname ? sname : bh_strdup(name);
	pkg->source_version = sversion ? sversion : bh_strdup(version);
	pkg->arch = dup_value(pa->arch);
	pkg->path = bh_asprintf("/%s", path[0] == '/' ? path + 1 : path);
	if (pa->predepends.p)
		add_names(&pkg->depends, pa->predepends);
	if (pa->depends.p)
		add_names(&pkg->depends, pa->depends);
	if (pa->provides.p)
		add_names(&pkg->provides, pa->provides);
	pkg->purl = inv_os_purl(pkg, NULL);
	return 0;
}

int bh_inventory_parse_dpkg_status(const char *buf, size_t len, const char *path,
				   struct bh_pkglist *out, struct bh_error **err)
{
	const char *p = buf, *end = buf + len;
	struct para pa = { 0 };
	struct inv_str *cur = NULL;
	struct bh_error *first = NULL;
	int r = 0;

	while (p <= end) {
		const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - p);
		const char *q;

		if (n && le[-1] == '\r')
			n--;
		/* an empty (or all-blank) line, or the end, closes a paragraph */
		q = p;
		while (q < p + n && (*q == ' ' || *q == '\t'))
			q++;
		if (q == p + n) {
			if (pa.any && emit(&pa, path, out, first ? NULL : &first) < 0 &&
			    bh_error_code(first) == BH_ERR_LIMIT)
				break;
			memset(&pa, 0, sizeof(pa));
			cur = NULL;
		} else if (*p == ' ' || *p == '\t') {
			if (cur) /* a continuation line extends the current field */
				cur->n = (size_t)(p + n - cur->p);
		} else {
			const char *colon = memchr(p, ':', n);
			struct inv_str key;

			cur = NULL;
			if (colon) {
				key.p = p;
				key.n = (size_t)(colon - p);
				if (inv_str_eq(key, "Package"))
					cur = &pa.package;
				else if (inv_str_eq(key, "Version"))
					cur = &pa.version;
				else if (inv_str_eq(key, "Architecture"))
					cur = &pa.arch;
				else if (inv_str_eq(key, "Source"))
					cur = &pa.source;
				else if (inv_str_eq(key, "Status"))
					cur = &pa.status;
				else if (inv_str_eq(key, "Depends"))
					cur = &pa.depends;
				else if (inv_str_eq(key, "Pre-Depends"))
					cur = &pa.predepends;
				else if (inv_str_eq(key, "Provides"))
					cur = &pa.provides;
				if (cur) {
					cur->p = colon + 1;
					cur->n = (size_t)(p + n - colon - 1);
				}
			} else if (!first) {
				bh_error_set(&first, BH_ERR_INVALID,
					     "%s: a line that is not 'Field: value'", path);
			}
			pa.any = true;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (pa.any && !(first && bh_error_code(first) == BH_ERR_LIMIT))
		emit(&pa, path, out, first ? NULL : &first);
	if (first) {
		if (err && !*err)
			*err = first;
		else
			bh_error_free(first);
		r = -1;
	}
	return r;
}

/* ---- the cataloger ---------------------------------------------------------- */

static bool dpkg_match(const struct inv_path *p)
{
	if (!strcmp(p->path, "var/lib/dpkg/status"))
		return true;
	/* distroless: one paragraph file per package */
	return p->dirlen == 21 && !memcmp(p->path, "var/lib/dpkg/status.d", 21) &&
	       !bh_str_has_suffix(p->base, ".md5sums") && p->base[0] != '.';
}

static int dpkg_parse(const struct inv_input *in, const char *buf, size_t len, struct inv_doc *d,
		      struct bh_error **err)
{
	return bh_inventory_parse_dpkg_status(buf, len, in->path, &d->pkgs, err);
}

const struct inv_cataloger inv_cat_dpkg = {
	.name = "dpkg",
	.flags = INV_CAT_OS_PKGS,
	.match = dpkg_match,
	.parse = dpkg_parse,
	.fallback_ecosystem = "Debian",
};
