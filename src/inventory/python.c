/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Python cataloger. Recognises installed distributions' core metadata:
 * <name>.dist-info/METADATA (wheels, pip), <name>.egg-info/PKG-INFO
 * (setuptools directories, as Debian's python3-* packages install them) and
 * <name>.egg-info files (the same content in one file), wherever they are.
 * The header block (RFC 822: "Field: value", continuation lines start with
 * white space, the first empty line ends it) gives Name (PEP 503
 * normalised), Version, the licence (License-Expression, else a one-line
 * License other than UNKNOWN, else the "License ::" classifiers) and
 * Requires-Dist names that no "extra" marker makes optional.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

char *bh_pep503_normalize(const char *name)
{
	size_t n = strlen(name);
	char *out = bh_malloc(n + 1), *o = out;

	for (const char *p = name; *p;) {
		if (*p == '-' || *p == '_' || *p == '.') {
			while (*p == '-' || *p == '_' || *p == '.')
				p++;
			*o++ = '-';
			continue;
		}
		*o++ = (char)bh_tolower((unsigned char)*p++);
	}
	*o = 0;
	return out;
}

/* The requirement's name: "urllib3 (<1.27,>=1.21.1)", "PySocks>=1.5; extra == 'socks'". */
static void add_requirement(struct bh_package *pkg, const char *p, size_t n)
{
	const char *semi = memchr(p, ';', n);
	size_t k = 0;
	char *name, *norm;

	if (semi) {
		const char *m = semi + 1, *end = p + n;

		/* a requirement only some extra asks for is optional: leave it out */
		for (; m + 5 <= end; m++)
			if (!memcmp(m, "extra", 5))
				return;
	}
	while (k < n && bh_isspace((unsigned char)p[k]))
		k++;
	p += k;
	n -= k;
	k = 0;
	while (k < n &&
	       (bh_isalnum((unsigned char)p[k]) || p[k] == '-' || p[k] == '_' || p[k] == '.'))
		k++;
	if (!k || k > 256)
		return;
	name = bh_strndup(p, k);
	norm = bh_pep503_normalize(name);
	if (!bh_strv_contains(pkg->depends, norm))
		inv_strv_add(&pkg->depends, norm);
	free(name);
	free(norm);
}

int bh_inventory_parse_python_metadata(const char *buf, size_t len, const char *path,
				       struct bh_pkglist *out, struct bh_error **err)
{
	const char *p = buf, *end = buf + len;
	struct inv_str name = { 0 }, version = { 0 }, license = { 0 }, expr = { 0 };
	struct inv_str *cur = NULL;
	char **classifiers = NULL, **requires = NULL;
	struct bh_package *pkg;
	char *n = NULL, *v = NULL;
	int r = -1;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t ln = (size_t)(le - p);

		if (ln && le[-1] == '\r')
			ln--;
		if (ln == 0)
			break; /* the body (description) follows */
		if (*p == ' ' || *p == '\t') {
			if (cur)
				cur->n = (size_t)(p + ln - cur->p);
		} else {
			const char *colon = memchr(p, ':', ln);
			struct inv_str key;

			cur = NULL;
			if (colon) {
				const char *val = colon + 1;
				size_t vn = (size_t)(p + ln - val);

				key.p = p;
				key.n = (size_t)(colon - p);
				if (inv_str_eq(key, "Name"))
					cur = &name;
				else if (inv_str_eq(key, "Version"))
					cur = &version;
				else if (inv_str_eq(key, "License"))
					cur = &license;
				else if (inv_str_eq(key, "License-Expression"))
					cur = &expr;
				else if (inv_str_eq(key, "Classifier") && vn < 512) {
					char *c = inv_strdup_trim(val, vn);

					if (c && bh_str_has_prefix(c, "License ::"))
						inv_strv_add(&classifiers, c);
					free(c);
				} else if (inv_str_eq(key, "Requires-Dist") && vn < 4096) {
					inv_strv_addn(&requires, val, vn);
				}
				if (cur) {
					cur->p = val;
					cur->n = vn;
				}
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	n = name.p ? inv_value_dup(name.p, name.n) : NULL;
	v = version.p ? inv_value_dup(version.p, version.n) : NULL;
	if (!n || !v || strchr(n, ' ') || strchr(v, ' ')) {
		bh_error_set(err, BH_ERR_INVALID, "%s: no valid %s", path,
			     !n || strchr(n, ' ') ? "Name" : "Version");
		goto out;
	}
	pkg = bh_pkglist_add(out);
	pkg->type = BH_PKG_PYTHON;
	pkg->ecosystem = bh_strdup("PyPI");
	pkg->name = bh_pep503_normalize(n);
	pkg->version = v;
	v = NULL;
	pkg->path = bh_asprintf("/%s", path[0] == '/' ? path + 1 : path);
	pkg->purl = inv_purl("pypi", NULL, pkg->name, pkg->version, NULL);
	{
		char *lic = expr.p ? inv_strdup_trim(expr.p, expr.n) : NULL;

		if (!lic && license.p) {
			lic = inv_strdup_trim(license.p, license.n);
			if (lic && (strchr(lic, '\n') || strlen(lic) > 100 ||
				    !strcmp(lic, "UNKNOWN") || !inv_value_ok(lic, strlen(lic)))) {
				free(lic);
				lic = NULL;
			}
		}
		if (lic && inv_value_ok(lic, strlen(lic))) {
			inv_strv_add(&pkg->licenses, lic);
		} else {
			/* "License :: OSI Approved :: MIT License" -> "MIT License" */
			for (size_t i = 0; classifiers && classifiers[i]; i++) {
				const char *last = strrchr(classifiers[i], ':');

				if (last && last[1] == ' ' && last[2] &&
				    strcmp(last + 2, "OSI Approved"))
					inv_strv_add(&pkg->licenses, last + 2);
			}
		}
		free(lic);
	}
	for (size_t i = 0; requires && requires[i]; i++)
		add_requirement(pkg, requires[i], strlen(requires[i]));
	r = 0;
out:
	free(n);
	free(v);
	bh_strv_free(classifiers);
	bh_strv_free(requires);
	return r;
}

/* ---- the cataloger ---------------------------------------------------------- */

static bool suffix_dir(const struct inv_path *p, const char *suffix)
{
	size_t n = strlen(suffix);

	return p->dirlen >= n && !memcmp(p->path + p->dirlen - n, suffix, n);
}

static bool python_match(const struct inv_path *p)
{
	return (!strcmp(p->base, "METADATA") && suffix_dir(p, ".dist-info")) ||
	       (!strcmp(p->base, "PKG-INFO") && suffix_dir(p, ".egg-info")) ||
	       bh_str_has_suffix(p->base, ".egg-info");
}

static int python_parse(const struct inv_input *in, const char *buf, size_t len, struct inv_doc *d,
			struct bh_error **err)
{
	return bh_inventory_parse_python_metadata(buf, len, in->path, &d->pkgs, err);
}

const struct inv_cataloger inv_cat_python = {
	.name = "python",
	.match = python_match,
	.parse = python_parse,
};
