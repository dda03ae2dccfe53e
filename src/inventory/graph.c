/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The inventory's ids and dependency graph. Ids are stable across runs:
 * "<type>-<name>-<version>-" and 12 hex digits of a digest of what makes the
 * package unique (type, name, version, arch, path), with "-2", "-3"... on a
 * collision. Dependencies are resolved as each ecosystem does: dpkg, apk and
 * rpm by package name or what a package provides; npm by node's search for
 * node_modules/<dep> upwards from the package's directory; Python within one
 * site directory; Go within one binary.
 */
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "banned.h"

/* "Name 1.2+x" -> "Name-1.2-x": the characters an SPDXID allows. */
static void sanitize(struct bh_buf *b, const char *s)
{
	for (; *s && b->len < 120; s++) {
		char c = *s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '-';

		bh_buf_addc(b, ok ? c : '-', NULL);
	}
}

void inv_assign_ids(struct bh_inventory *inv)
{
	struct bh_map *seen = bh_map_new();

	for (size_t i = 0; i < inv->npkgs; i++) {
		struct bh_package *p = &inv->pkgs[i];
		struct bh_buf b = BH_BUF_INIT(1024);
		struct bh_digest d;
		char *what = bh_asprintf("%d|%s|%s|%s|%s", (int)p->type, p->name, p->version,
					 p->arch ? p->arch : "", p->path);

		bh_sha256(what, strlen(what), &d);
		free(what);
		bh_buf_addf(&b, NULL, "%s-", bh_pkg_type_name(p->type));
		sanitize(&b, p->name);
		bh_buf_addc(&b, '-', NULL);
		sanitize(&b, p->version);
		bh_buf_addf(&b, NULL, "-%.12s", bh_digest_hex(&d));
		for (int n = 2; bh_map_get(seen, b.data, b.len); n++)
			bh_buf_addf(&b, NULL, "-%d", n);
		bh_map_put(seen, b.data, b.len, (void *)1);
		p->id = bh_buf_detach(&b, NULL);
	}
	bh_map_free(seen, NULL);
}

static void put_id(struct bh_map *m, const char *key, const char *id)
{
	if (!bh_map_get(m, key, strlen(key)))
		bh_map_put(m, key, strlen(key), (void *)id);
}

/* The length of the scope of a Python package's name: the site directory
 * holding its .dist-info (or .egg-info) metadata. */
static int python_scope(const char *path)
{
	const char *meta = strrchr(path, '/');
	const char *dist = meta ? inv_prev_component(path, meta) : path;

	if (bh_str_has_suffix(path, ".egg-info"))
		return meta ? (int)(meta - path) : 0;
	return (int)(dist > path ? dist - path - 1 : 0);
}

void inv_resolve_depends(struct bh_inventory *inv)
{
	struct bh_map *names = bh_map_new(); /* "type|scope|name" -> id */

	for (size_t i = 0; i < inv->npkgs; i++) {
		struct bh_package *p = &inv->pkgs[i];
		char *k;

		switch (p->type) {
		case BH_PKG_DPKG:
		case BH_PKG_APK:
		case BH_PKG_RPM:
			k = bh_asprintf("%d||%s", (int)p->type, p->name);
			put_id(names, k, p->id);
			free(k);
			for (size_t j = 0; p->provides && p->provides[j]; j++) {
				k = bh_asprintf("%d||%s", (int)p->type, p->provides[j]);
				put_id(names, k, p->id);
				free(k);
			}
			break;
		case BH_PKG_NPM: {
			char *dir = inv_npm_dir(p);

			k = bh_asprintf("%d|%s", (int)p->type, dir);
			put_id(names, k, p->id);
			free(k);
			free(dir);
			break;
		}
		case BH_PKG_PYTHON: {
			int scope = python_scope(p->path);

			k = bh_asprintf("%d|%.*s|%s", (int)p->type, scope, p->path, p->name);
			put_id(names, k, p->id);
			free(k);
			break;
		}
		case BH_PKG_GO:
		case BH_PKG_GO_STDLIB:
			k = bh_asprintf("%d|%s|%s", (int)BH_PKG_GO, p->path, p->name);
			put_id(names, k, p->id);
			free(k);
			break;
		default: break;
		}
	}
	for (size_t i = 0; i < inv->npkgs; i++) {
		struct bh_package *p = &inv->pkgs[i];
		char **ids = NULL;

		for (size_t j = 0; p->depends && p->depends[j]; j++) {
			const char *dep = p->depends[j], *id = NULL;
			char *k = NULL;

			switch (p->type) {
			case BH_PKG_DPKG:
			case BH_PKG_APK:
			case BH_PKG_RPM:
				k = bh_asprintf("%d||%s", (int)p->type, dep);
				id = bh_map_get(names, k, strlen(k));
				break;
			case BH_PKG_NPM: {
				/* node's resolution: the nearest node_modules/<dep> upwards */
				char *dir = inv_npm_dir(p);
				size_t len = strlen(dir);

				for (;;) {
					free(k);
					k = bh_asprintf("%d|%.*s%snode_modules/%s", (int)p->type,
							(int)len, dir, len ? "/" : "", dep);
					id = bh_map_get(names, k, strlen(k));
					if (id || len == 0)
						break;
					/* up one package: drop "<name>" (and "@scope") and
					 * "node_modules" */
					while (len && dir[len - 1] != '/')
						len--;
					len = len ? len - 1 : 0;
					if (len >= 12 &&
					    !memcmp(dir + len - 12, "node_modules", 12) &&
					    (len == 12 || dir[len - 13] == '/')) {
						len -= 12;
						len = len ? len - 1 : 0;
					} else if (len) {
						/* "@scope/name": one more component */
						size_t s = len;

						while (s && dir[s - 1] != '/')
							s--;
						if (dir[s] == '@') {
							len = s ? s - 1 : 0;
							if (len >= 12 &&
							    !memcmp(dir + len - 12, "node_modules",
								    12)) {
								len -= 12;
								len = len ? len - 1 : 0;
							}
						}
					}
				}
				free(dir);
				break;
			}
			case BH_PKG_PYTHON: {
				int scope = python_scope(p->path);

				k = bh_asprintf("%d|%.*s|%s", (int)p->type, scope, p->path, dep);
				id = bh_map_get(names, k, strlen(k));
				break;
			}
			case BH_PKG_GO:
				k = bh_asprintf("%d|%s|%s", (int)BH_PKG_GO, p->path, dep);
				id = bh_map_get(names, k, strlen(k));
				break;
			default: break;
			}
			free(k);
			if (id && strcmp(id, p->id) && !bh_strv_contains(ids, id))
				inv_strv_add(&ids, id);
		}
		bh_strv_free(p->depends);
		p->depends = ids;
	}
	bh_map_free(names, NULL);
}
