/* SPDX-License-Identifier: Apache-2.0 */
/*
 * apk cataloger. Recognises lib/apk/db/installed: records of "X:value"
 * lines separated by empty lines (apk-tools' installed database). Kept:
 * P (name), V (version), A (arch), o (origin: the source package), L
 * (licence, an SPDX expression kept whole), D (depends: names, "so:" and
 * "cmd:" names, version constraints and "!" conflicts dropped) and p
 * (provides, for resolving D). A record needs P and V.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

struct rec {
	struct inv_str name, version, arch, origin, license, depends, provides;
	bool any;
};

/* "so:libc.musl-x86_64.so.1 /bin/sh busybox>=1.36 !foo" -> names */
static void add_names(char ***v, struct inv_str f)
{
	const char *p = f.p, *end = f.p + f.n;

	while (p < end) {
		const char *s, *e;

		while (p < end && bh_isspace((unsigned char)*p))
			p++;
		s = p;
		while (p < end && !bh_isspace((unsigned char)*p))
			p++;
		if (s == p || *s == '!')
			continue;
		e = s;
		while (e < p && !strchr("<>=~", *e))
			e++;
		if (e > s && inv_value_ok(s, (size_t)(e - s)) &&
		    !inv_strv_addn(v, s, (size_t)(e - s)))
			return;
	}
}

static char *value(struct inv_str s)
{
	return s.p ? inv_value_dup(s.p, s.n) : NULL;
}

static int emit(struct rec *r, const char *path, struct bh_pkglist *out, struct bh_error **err)
{
	struct bh_package *pkg;
	char *name = value(r->name), *version = value(r->version);

	if (!name || !version || strchr(name, ' ') || strchr(version, ' ')) {
		bh_error_set(err, BH_ERR_INVALID, "%s: a record without a valid P: and V:", path);
		free(name);
		free(version);
		return -1;
	}
	if (out->n >= INV_MAX_PKGS) {
		free(name);
		free(version);
		return bh_error_set(err, BH_ERR_LIMIT, "%s: more than %d packages", path,
				    INV_MAX_PKGS);
	}
	pkg = bh_pkglist_add(out);
	pkg->type = BH_PKG_APK;
	pkg->name = name;
	pkg->version = version;
	pkg->source_name = value(r->origin);
	if (!pkg->source_name)
		pkg->source_name = bh_strdup(name);
	pkg->source_version = bh_strdup(version);
	pkg->arch = value(r->arch);
	{
		char *lic = value(r->license);

		if (lic) {
			inv_strv_add(&pkg->licenses, lic);
			free(lic);
		}
	}
	if (r->depends.p)
		add_names(&pkg->depends, r->depends);
	if (r->provides.p)
		add_names(&pkg->provides, r->provides);
	pkg->path = bh_asprintf("/%s", path[0] == '/' ? path + 1 : path);
	pkg->purl = inv_os_purl(pkg, NULL);
	return 0;
}

int bh_inventory_parse_apk_installed(const char *buf, size_t len, const char *path,
				     struct bh_pkglist *out, struct bh_error **err)
{
	const char *p = buf, *end = buf + len;
	struct rec r = { 0 };
	struct bh_error *first = NULL;

	for (;;) {
		const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - p);

		if (n && le[-1] == '\r')
			n--;
		if (n == 0) {
			if (r.any && emit(&r, path, out, first ? NULL : &first) < 0 && first &&
			    bh_error_code(first) == BH_ERR_LIMIT)
				break;
			memset(&r, 0, sizeof(r));
		} else if (n >= 2 && p[1] == ':') {
			struct inv_str *f = NULL;

			switch (p[0]) {
			case 'P': f = &r.name; break;
			case 'V': f = &r.version; break;
			case 'A': f = &r.arch; break;
			case 'o': f = &r.origin; break;
			case 'L': f = &r.license; break;
			case 'D': f = &r.depends; break;
			case 'p': f = &r.provides; break;
			default: break;
			}
			if (f) {
				f->p = p + 2;
				f->n = n - 2;
			}
			r.any = true;
		} else if (!first) {
			bh_error_set(&first, BH_ERR_INVALID, "%s: a line that is not 'X:value'",
				     path);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (r.any && !(first && bh_error_code(first) == BH_ERR_LIMIT))
		emit(&r, path, out, first ? NULL : &first);
	if (first) {
		if (err && !*err)
			*err = first;
		else
			bh_error_free(first);
		return -1;
	}
	return 0;
}

/* ---- the cataloger ---------------------------------------------------------- */

static bool apk_match(const struct inv_path *p)
{
	return !strcmp(p->path, "lib/apk/db/installed");
}

static int apk_parse(const struct inv_input *in, const char *buf, size_t len, struct inv_doc *d,
		     struct bh_error **err)
{
	return bh_inventory_parse_apk_installed(buf, len, in->path, &d->pkgs, err);
}

const struct inv_cataloger inv_cat_apk = {
	.name = "apk",
	.flags = INV_CAT_OS_PKGS,
	.match = apk_match,
	.parse = apk_parse,
	.fallback_ecosystem = "Alpine",
};
