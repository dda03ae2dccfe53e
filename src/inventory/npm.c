/* SPDX-License-Identifier: Apache-2.0 */
/*
 * npm cataloger. Recognises
 *  - installed packages: .../node_modules/<name>/package.json and
 *    .../node_modules/@<scope>/<name>/package.json, at any depth of nesting
 *    (name, version, license / licenses, dependencies and
 *    optionalDependencies for the graph);
 *  - lockfiles outside node_modules: package-lock.json and
 *    npm-shrinkwrap.json, v1 (the nested "dependencies" tree) and v2/v3 (the
 *    "packages" map keyed by install location; "link" entries and workspace
 *    folders are not packages). "dev": true marks a dev dependency.
 * The inventory keeps a lockfile entry only when no package.json is
 * installed at its location (lockfile-only projects), so nothing is counted
 * twice; an installed package takes its dev flag from the lockfile entry.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

#define MAX_NPM_JSON (64u << 20)
#define MAX_V1_DEPTH 64

char *inv_npm_purl(const char *name, const char *version)
{
	const char *slash = name[0] == '@' ? strchr(name, '/') : NULL;
	char *ns, *purl;

	if (!slash)
		return inv_purl("npm", NULL, name, version, NULL);
	ns = bh_strndup(name, (size_t)(slash - name));
	purl = inv_purl("npm", ns, slash + 1, version, NULL);
	free(ns);
	return purl;
}

static bool good(const char *s)
{
	return s && inv_value_ok(s, strlen(s)) && !strchr(s, ' ');
}

static void add_licenses(struct bh_package *pkg, const json_t *o)
{
	json_t *l = json_object_get(o, "license"), *ls = json_object_get(o, "licenses"), *v;
	size_t i;

	if (json_is_string(l) && inv_value_ok(json_string_value(l), json_string_length(l)))
		inv_strv_add(&pkg->licenses, json_string_value(l));
	else if (json_is_object(l) && good(bh_json_str(l, "type")))
		inv_strv_add(&pkg->licenses, bh_json_str(l, "type"));
	if (pkg->licenses || !json_is_array(ls))
		return;
	json_array_foreach (ls, i, v) {
		const char *t = json_is_string(v) ? json_string_value(v) : bh_json_str(v, "type");

		if (t && inv_value_ok(t, strlen(t)) && !inv_strv_add(&pkg->licenses, t))
			break;
	}
}

static void add_deps(struct bh_package *pkg, const json_t *o, const char *key)
{
	json_t *deps = json_object_get(o, key), *v;
	const char *name;

	if (!json_is_object(deps))
		return;
	json_object_foreach (deps, name, v) {
		if (!good(name) || bh_strv_contains(pkg->depends, name))
			continue;
		if (!inv_strv_add(&pkg->depends, name))
			break;
	}
}

static struct bh_package *new_pkg(struct bh_pkglist *out, const char *name, const char *version,
				  const char *path)
{
	struct bh_package *pkg = bh_pkglist_add(out);

	pkg->type = BH_PKG_NPM;
	pkg->ecosystem = bh_strdup("npm");
	pkg->name = bh_strdup(name);
	pkg->version = bh_strdup(version);
	pkg->path = bh_asprintf("/%s", path[0] == '/' ? path + 1 : path);
	pkg->purl = inv_npm_purl(name, version);
	return pkg;
}

int bh_inventory_parse_npm_package_json(const char *buf, size_t len, const char *path,
					struct bh_pkglist *out, struct bh_error **err)
{
	const char *name, *version;
	struct bh_package *pkg;
	json_t *o = NULL;
	int r = -1;

	if (bh_json_parse(buf, len, MAX_NPM_JSON, path, &o, err) < 0)
		return -1;
	name = bh_json_str(o, "name");
	version = bh_json_str(o, "version");
	if (!good(name) || !good(version)) {
		bh_error_set(err, BH_ERR_INVALID, "%s: no valid \"name\" and \"version\"", path);
		goto out;
	}
	pkg = new_pkg(out, name, version, path);
	add_licenses(pkg, o);
	add_deps(pkg, o, "dependencies");
	add_deps(pkg, o, "optionalDependencies");
	r = 0;
out:
	json_decref(o);
	return r;
}

/* v2/v3: "packages": {"node_modules/a": {...}, "node_modules/a/node_modules/b": {...}} */
static int lock_packages(const json_t *pkgs, const char *path, struct bh_pkglist *out,
			 struct bh_error **err)
{
	const char *key;
	json_t *v;

	json_object_foreach ((json_t *)pkgs, key, v) {
		const char *nm = strstr(key, "node_modules/"), *last = nm, *name, *version;
		struct bh_package *pkg;
		json_t *dev;

		if (!nm || !json_is_object(v) || json_is_true(json_object_get(v, "link")))
			continue;
		while ((nm = strstr(last + 1, "node_modules/")))
			last = nm;
		name = bh_json_str(v, "name");
		if (!good(name))
			name = last + strlen("node_modules/");
		version = bh_json_str(v, "version");
		if (!good(name) || !good(version) || strlen(key) > INV_MAX_VALUE)
			continue;
		if (out->n >= INV_MAX_PKGS)
			return bh_error_set(err, BH_ERR_LIMIT, "%s: more than %d packages", path,
					    INV_MAX_PKGS);
		pkg = new_pkg(out, name, version, path);
		pkg->install_path = bh_strdup(key);
		dev = json_object_get(v, "dev");
		pkg->dev = json_is_true(dev);
		add_licenses(pkg, v);
		add_deps(pkg, v, "dependencies");
		add_deps(pkg, v, "optionalDependencies");
	}
	return 0;
}

/* v1: "dependencies": {"a": {"version": ..., "dev": true, "requires": {...},
 * "dependencies": {nested}}} */
static int lock_v1(const json_t *deps, const char *prefix, int depth, const char *path,
		   struct bh_pkglist *out, struct bh_error **err)
{
	const char *name;
	json_t *v;

	if (depth > MAX_V1_DEPTH)
		return bh_error_set(err, BH_ERR_LIMIT, "%s: dependencies nested deeper than %d",
				    path, MAX_V1_DEPTH);
	json_object_foreach ((json_t *)deps, name, v) {
		const char *version = bh_json_str(v, "version");
		char *where, *real = NULL;
		struct bh_package *pkg;
		json_t *nested;
		int r = 0;

		if (!json_is_object(v) || !good(name) || !good(version) ||
		    strlen(prefix) > INV_MAX_VALUE)
			continue;
		where = bh_asprintf("%s%snode_modules/%s", prefix, *prefix ? "/" : "", name);
		/* an alias: "version": "npm:real-name@1.2.3" */
		if (bh_str_has_prefix(version, "npm:")) {
			const char *at = strrchr(version + 4, '@');

			if (at && at > version + 4) {
				real = bh_strndup(version + 4, (size_t)(at - version - 4));
				version = at + 1;
			}
		}
		if (out->n >= INV_MAX_PKGS) {
			free(where);
			free(real);
			return bh_error_set(err, BH_ERR_LIMIT, "%s: more than %d packages", path,
					    INV_MAX_PKGS);
		}
		pkg = new_pkg(out, real ? real : name, version, path);
		pkg->install_path = bh_strdup(where);
		pkg->dev = json_is_true(json_object_get(v, "dev"));
		add_deps(pkg, v, "requires");
		nested = json_object_get(v, "dependencies");
		if (json_is_object(nested))
			r = lock_v1(nested, where, depth + 1, path, out, err);
		free(where);
		free(real);
		if (r < 0)
			return -1;
	}
	return 0;
}

int bh_inventory_parse_npm_lockfile(const char *buf, size_t len, const char *path,
				    struct bh_pkglist *out, struct bh_error **err)
{
	json_t *o = NULL, *pkgs, *deps;
	int r = -1;

	if (bh_json_parse(buf, len, MAX_NPM_JSON, path, &o, err) < 0)
		return -1;
	if (!json_is_object(o)) {
		bh_error_set(err, BH_ERR_INVALID, "%s: not a JSON object", path);
		goto out;
	}
	pkgs = bh_json_obj(o, "packages");
	deps = bh_json_obj(o, "dependencies");
	if (pkgs)
		r = lock_packages(pkgs, path, out, err);
	else if (deps)
		r = lock_v1(deps, "", 0, path, out, err);
	else
		r = 0; /* a project with no dependencies */
out:
	json_decref(o);
	return r;
}

/* ---- the catalogers ----------------------------------------------------------- */

char *inv_npm_dir(const struct bh_package *p)
{
	const char *path = p->path + 1;

	if (p->install_path) {
		const char *slash = strrchr(path, '/');

		return slash ? bh_asprintf("%.*s/%s", (int)(slash - path), path, p->install_path)
			     : bh_strdup(p->install_path);
	}
	return bh_strndup(path, strlen(path) - strlen("/package.json"));
}

/* .../node_modules/<name>/package.json, .../node_modules/@s/<name>/package.json */
static bool npm_match(const struct inv_path *p)
{
	const char *name, *parent;

	if (strcmp(p->base, "package.json") || !p->dirlen)
		return false;
	name = inv_prev_component(p->path, p->path + p->dirlen);
	if (name == p->path)
		return false;
	parent = inv_prev_component(p->path, name - 1);
	if ((size_t)(name - 1 - parent) == 12 && !memcmp(parent, "node_modules", 12))
		return true;
	if (*parent == '@' && parent > p->path) {
		const char *gp = inv_prev_component(p->path, parent - 1);

		return (size_t)(parent - 1 - gp) == 12 && !memcmp(gp, "node_modules", 12);
	}
	return false;
}

static int npm_parse(const struct inv_input *in, const char *buf, size_t len, struct inv_doc *d,
		     struct bh_error **err)
{
	return bh_inventory_parse_npm_package_json(buf, len, in->path, &d->pkgs, err);
}

const struct inv_cataloger inv_cat_npm = {
	.name = "npm",
	.match = npm_match,
	.parse = npm_parse,
	.install_dir = inv_npm_dir,
};

static bool npm_lock_match(const struct inv_path *p)
{
	return (!strcmp(p->base, "package-lock.json") || !strcmp(p->base, "npm-shrinkwrap.json")) &&
	       !inv_in_node_modules(p->path);
}

static int npm_lock_parse(const struct inv_input *in, const char *buf, size_t len,
			  struct inv_doc *d, struct bh_error **err)
{
	return bh_inventory_parse_npm_lockfile(buf, len, in->path, &d->pkgs, err);
}

const struct inv_cataloger inv_cat_npm_lock = {
	.name = "npm-lockfile",
	.flags = INV_CAT_LOCKFILE,
	.match = npm_lock_match,
	.parse = npm_lock_parse,
	.install_dir = inv_npm_dir,
};
