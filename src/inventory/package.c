/* SPDX-License-Identifier: Apache-2.0 */
/* Packages, package lists and inventories: growth, release, type names. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

struct bh_package *bh_pkglist_add(struct bh_pkglist *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = bh_reallocarray(l->v, l->cap, sizeof(*l->v));
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

void bh_package_release(struct bh_package *p)
{
	if (!p)
		return;
	free(p->ecosystem);
	free(p->name);
	free(p->version);
	free(p->source_name);
	free(p->source_version);
	free(p->arch);
	free(p->purl);
	bh_strv_free(p->licenses);
	free(p->path);
	free(p->id);
	bh_strv_free(p->depends);
	bh_strv_free(p->provides);
	free(p->install_path);
	memset(p, 0, sizeof(*p));
}

void bh_pkglist_release(struct bh_pkglist *l)
{
	for (size_t i = 0; i < l->n; i++)
		bh_package_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

const char *bh_pkg_type_name(enum bh_pkg_type t)
{
	switch (t) {
	case BH_PKG_DPKG: return "dpkg";
	case BH_PKG_APK: return "apk";
	case BH_PKG_RPM: return "rpm";
	case BH_PKG_NPM: return "npm";
	case BH_PKG_PYTHON: return "python";
	case BH_PKG_GO: return "go-module";
	case BH_PKG_GO_STDLIB: return "go-stdlib";
	case BH_PKG_JAVA: return "java";
	}
	return "unknown";
}

const char *bh_pkg_purl_type(enum bh_pkg_type t)
{
	switch (t) {
	case BH_PKG_DPKG: return "deb";
	case BH_PKG_APK: return "apk";
	case BH_PKG_RPM: return "rpm";
	case BH_PKG_NPM: return "npm";
	case BH_PKG_PYTHON: return "pypi";
	case BH_PKG_GO:
	case BH_PKG_GO_STDLIB: return "golang";
	case BH_PKG_JAVA: return "maven";
	}
	return "generic";
}

void bh_inventory_free(struct bh_inventory *inv)
{
	if (!inv)
		return;
	bh_os_release(&inv->os);
	for (size_t i = 0; i < inv->npkgs; i++)
		bh_package_release(&inv->pkgs[i]);
	free(inv->pkgs);
	bh_strv_free(inv->warnings);
	free(inv);
}
