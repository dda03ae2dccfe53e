/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secrets in files that a package installed unchanged: the example and test
 * keys that packages ship (under /usr/share/doc/<pkg>/examples and the
 * like) are the distribution's, not secrets the image's author added.
 *
 * A hit's file counts as packaged by package P when, in the final
 * filesystem (a later layer can change the file or the database):
 *   - the inventory lists P as installed (dpkg status, apk installed);
 *   - P's live checksum list names the file's path (directly, or through a
 *     symlinked directory such as lib -> usr/lib) with the checksum of the
 *     hit's content: dpkg's info/<P>[:arch].md5sums or status.d/<P>.md5sums
 *     (MD5), apk's Z: line (SHA-1);
 *   - dpkg: that md5sums file was written no later than the layer where P's
 *     installed version appeared. dpkg writes the list when it installs the
 *     package; a later rewrite of it (a line added for a planted file) does
 *     not make the file P's. A reinstall of the same version in a later
 *     layer is then not believed either: its secrets stay reported.
 * A database the image's author forged (a package added to status with its
 * own md5sums, in one layer) is believed: whoever can write the image can
 * write its package database too. rpm headers carry file digests as well
 * but are not read here.
 *
 * Only the hits' paths are looked up: the checksum lists are parsed once,
 * after the walk, and only when some secret was found.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lazy/crypto.h"
#include "bulkhead/content.h"
#include "internal.h"
#include "banned.h"

void content_file_sums(const void *p, size_t n, unsigned char md5[16], unsigned char sha1[20])
{
	unsigned int k = 0;

	if (EVP_Digest(p, n, md5, &k, EVP_md5(), NULL) != 1 || k != 16)
		memset(md5, 0, 16);
	if (EVP_Digest(p, n, sha1, &k, EVP_sha1(), NULL) != 1 || k != 20)
		memset(sha1, 0, 20);
}

/* A package's claim on a path: its checksum of the file. */
struct claim {
	bool md5; /* dpkg's MD5, else apk's SHA-1 */
	unsigned char sum[20];
	size_t pkg; /* index into the inventory */
};

struct claims {
	struct claim *v;
	size_t n, cap;
};

struct content_pkgfiles {
	const struct bh_fileset *merged;
	const struct bh_inventory *inv;
	struct bh_map *want;  /* hit path -> struct claims */
	struct bh_map *bases; /* the basenames of the hit paths (values unused) */
	struct bh_map *pkgs;  /* "dpkg:<name>[:<arch>]", "dpkg.d:<file>", "apk:<name>" -> index+1 */
	size_t cur;	      /* while reading a dpkg list: its package */
};

static void free_claims(void *v)
{
	struct claims *c = v;

	if (c)
		free(c->v);
	free(c);
}

/* "<32 hex>" (dpkg) or "Q1<base64 of 20 bytes>" (apk) into c. */
static bool parse_sum(const char *s, struct claim *c)
{
	size_t n = strlen(s), k = 0;

	if (n == 32) {
		c->md5 = true;
		return bh_hex_decode(s, 32, 0, c->sum, 16) == 16;
	}
	if (n == 30 && s[0] == 'Q' && s[1] == '1') {
		c->md5 = false;
		return bh_base64_decode_mem(s + 2, 28, 0, "Q1", c->sum, 20, &k, NULL) == 0 &&
		       k == 20;
	}
	return false;
}

static size_t pkg_lookup(const struct content_pkgfiles *pf, const char *key, size_t n)
{
	uintptr_t v = (uintptr_t)bh_map_get(pf->pkgs, key, n);

	return v ? (size_t)v - 1 : SIZE_MAX;
}

static void on_file(const char *path, size_t n, const char *pkg, const char *sum, void *data)
{
	struct content_pkgfiles *pf = data;
	const char *slash = memrchr(path, '/', n), *base = slash ? slash + 1 : path;
	struct claims *cl;
	struct claim c = { 0 };

	if (!sum)
		return;
	if (pkg) {
		char key[300];
		int k = snprintf(key, sizeof(key), "apk:%s", pkg);

		if (k <= 0 || (size_t)k >= sizeof(key))
			return;
		c.pkg = pkg_lookup(pf, key, (size_t)k);
	} else {
		c.pkg = pf->cur;
	}
	if (c.pkg == SIZE_MAX || !parse_sum(sum, &c))
		return;
	cl = bh_map_get(pf->want, path, n);
	if (!cl) {
		char *p, *res;

		/* "lib/x" of a package is "usr/lib/x" when lib -> usr/lib. */
		if (!bh_map_get(pf->bases, base, (size_t)(path + n - base)))
			return;
		p = bh_strndup(path, n);
		res = content_resolve_dirs(pf->merged, p);
		cl = bh_map_get(pf->want, res, strlen(res));
		free(res);
		free(p);
		if (!cl)
			return;
	}
	if (cl->n == cl->cap) {
		cl->cap = cl->cap ? cl->cap * 2 : 2;
		cl->v = bh_reallocarray(cl->v, cl->cap, sizeof(*cl->v));
	}
	cl->v[cl->n++] = c;
}

static void index_packages(struct content_pkgfiles *pf)
{
	const struct bh_inventory *inv = pf->inv;

	for (size_t i = 0; i < inv->npkgs; i++) {
		const struct bh_package *p = &inv->pkgs[i];
		char *k1 = NULL, *k2 = NULL;

		if (p->type == BH_PKG_DPKG && p->path && !strcmp(p->path, "/var/lib/dpkg/status")) {
			k1 = bh_asprintf("dpkg:%s", p->name);
			if (p->arch)
				k2 = bh_asprintf("dpkg:%s:%s", p->name, p->arch);
		} else if (p->type == BH_PKG_DPKG && p->path &&
			   bh_str_has_prefix(p->path, "/var/lib/dpkg/status.d/")) {
			k1 = bh_asprintf("dpkg.d:%s", p->path + 23);
		} else if (p->type == BH_PKG_APK && p->path &&
			   !strcmp(p->path, "/lib/apk/db/installed")) {
			k1 = bh_asprintf("apk:%s", p->name);
		}
		/* The first package of a name stands. */
		if (k1 && !bh_map_get(pf->pkgs, k1, strlen(k1)))
			bh_map_put(pf->pkgs, k1, strlen(k1), (void *)(uintptr_t)(i + 1));
		if (k2 && !bh_map_get(pf->pkgs, k2, strlen(k2)))
			bh_map_put(pf->pkgs, k2, strlen(k2), (void *)(uintptr_t)(i + 1));
		free(k1);
		free(k2);
	}
}

/* The package of a live dpkg md5sums capture, when it may vouch for files. */
static size_t md5sums_package(const struct content_pkgfiles *pf, const struct capture *cap)
{
	const char *base = content_basename(cap->path);
	size_t bl = strlen(base) - 8; /* ".md5sums" */
	char *key;
	size_t idx;

	if (bh_str_has_prefix(cap->path, "var/lib/dpkg/status.d/"))
		key = bh_asprintf("dpkg.d:%.*s", (int)bl, base);
	else
		key = bh_asprintf("dpkg:%.*s", (int)bl, base);
	idx = pkg_lookup(pf, key, strlen(key));
	free(key);
	/* Written after the installed version appeared: not dpkg's own list. */
	if (idx != SIZE_MAX && cap->layer > pf->inv->pkgs[idx].layer) {
		bh_debug("/%s: written in layer %u, after %s %s appeared (layer %u): its files "
			 "are not taken as the package's",
			 cap->path, cap->layer + 1, pf->inv->pkgs[idx].name,
			 pf->inv->pkgs[idx].version ? pf->inv->pkgs[idx].version : "",
			 pf->inv->pkgs[idx].layer + 1);
		return SIZE_MAX;
	}
	return idx;
}

struct content_pkgfiles *content_pkgfiles_new(const struct capturelist *caps,
					      const struct bh_fileset *merged,
					      const struct bh_inventory *inv,
					      struct hit *const *hits, size_t nhits)
{
	struct content_pkgfiles *pf;

	if (!inv || !merged)
		return NULL;
	pf = bh_calloc(1, sizeof(*pf));
	pf->merged = merged;
	pf->inv = inv;
	pf->want = bh_map_new();
	pf->bases = bh_map_new();
	pf->pkgs = bh_map_new();
	for (size_t i = 0; i < nhits; i++) {
		const char *p = hits[i]->path, *b = content_basename(p);

		if (!hits[i]->sums || bh_map_get(pf->want, p, strlen(p)))
			continue;
		bh_map_put(pf->want, p, strlen(p), bh_calloc(1, sizeof(struct claims)));
		bh_map_put(pf->bases, b, strlen(b), pf);
	}
	if (!bh_map_size(pf->want)) {
		content_pkgfiles_free(pf);
		return NULL;
	}
	index_packages(pf);
	for (size_t i = 0; i < caps->n; i++) {
		const struct capture *cap = &caps->v[i];
		const struct bh_file *f;

		if (cap->kind != CAP_DPKG_MD5SUMS && cap->kind != CAP_APK_DB)
			continue;
		f = content_merged_find(merged, cap->path);
		if (!f || f->type != BH_FT_REG || f->layer != cap->layer)
			continue;
		if (cap->kind == CAP_APK_DB) {
			pf->cur = SIZE_MAX;
			bh_content_apk_files(cap->data, cap->len, on_file, pf, NULL);
		} else if ((pf->cur = md5sums_package(pf, cap)) != SIZE_MAX) {
			bh_content_dpkg_md5sums(cap->data, cap->len, on_file, pf, NULL);
		}
	}
	return pf;
}

size_t content_pkgfiles_owner(const struct content_pkgfiles *pf, const struct hit *h)
{
	const struct claims *cl;

	if (!pf || !h->sums || !(cl = bh_map_get(pf->want, h->path, strlen(h->path))))
		return SIZE_MAX;
	for (size_t i = 0; i < cl->n; i++) {
		const struct claim *c = &cl->v[i];

		if (c->md5 ? !memcmp(c->sum, h->md5, 16) : !memcmp(c->sum, h->sha1, 20))
			return c->pkg;
	}
	return SIZE_MAX;
}

void content_pkgfiles_free(struct content_pkgfiles *pf)
{
	if (!pf)
		return;
	bh_map_free(pf->want, free_claims);
	bh_map_free(pf->bases, NULL);
	bh_map_free(pf->pkgs, NULL);
	free(pf);
}
