/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration checks of the merged filesystem (setuid and setgid
 * files against the packages that ship them, world-writable paths, package
 * manager caches, .git directories), and which files the walk keeps for the
 * checks and for the package check of secrets (content_capture_kind_of).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/content.h"
#include "checks.h"
#include "banned.h"

/* ---- what to keep from the walk ------------------------------------------------ */

enum capture_kind content_capture_kind_of(const char *path)
{
	static const char *const cred_names[] = { ".npmrc",	      ".pypirc",     ".netrc",
						  ".git-credentials", ".yarnrc.yml", "npmrc" };
	static const char *const cred_suffixes[] = {
		".docker/config.json",
		".kube/config",
		"pip/pip.conf",
		"etc/pip.conf",
		".gem/credentials",
		".cargo/credentials",
		".cargo/credentials.toml",
		".composer/auth.json",
		".m2/settings.xml",
		".config/gh/hosts.yml",
	};
	const char *b = content_basename(path);

	if (!strcmp(path, "etc/passwd"))
		return CAP_PASSWD;
	if (!strcmp(path, "lib/apk/db/installed"))
		return CAP_APK_DB;
	if (bh_str_has_prefix(path, "var/lib/dpkg/info/") && bh_str_has_suffix(path, ".list") &&
	    !strchr(path + 18, '/'))
		return CAP_DPKG_LIST;
	if (((bh_str_has_prefix(path, "var/lib/dpkg/info/") && !strchr(path + 18, '/')) ||
	     (bh_str_has_prefix(path, "var/lib/dpkg/status.d/") && !strchr(path + 22, '/'))) &&
	    bh_str_has_suffix(path, ".md5sums"))
		return CAP_DPKG_MD5SUMS;
	for (size_t i = 0; i < sizeof(cred_names) / sizeof(cred_names[0]); i++)
		if (!strcmp(b, cred_names[i]) && (i != 5 || bh_str_has_prefix(path, "etc/") ||
						  bh_str_has_prefix(path, "usr/etc/")))
			return CAP_CRED;
	for (size_t i = 0; i < sizeof(cred_suffixes) / sizeof(cred_suffixes[0]); i++) {
		size_t n = strlen(path), m = strlen(cred_suffixes[i]);

		if (n >= m && !strcmp(path + n - m, cred_suffixes[i]) &&
		    (n == m || path[n - m - 1] == '/'))
			return CAP_CRED;
	}
	return 0;
}

size_t content_capture_max(enum capture_kind k)
{
	switch (k) {
	case CAP_PASSWD: return BH_CONTENT_MAX_PASSWD;
	case CAP_DPKG_LIST: return 4u << 20;
	case CAP_APK_DB: return 64u << 20;
	case CAP_CRED: return 1u << 20;
	case CAP_DPKG_MD5SUMS: return 16u << 20;
	}
	return 0;
}

bool content_capture_wanted(enum capture_kind k, const struct bh_content_opts *o)
{
	switch (k) {
	case CAP_PASSWD:
	case CAP_DPKG_LIST:
	case CAP_CRED: return o->config;
	case CAP_APK_DB: return o->config || o->secrets;
	case CAP_DPKG_MD5SUMS: return o->secrets;
	}
	return false;
}

static const char *const shell_names[] = {
	"sh",	"bash", "dash",	   "zsh",   "ash",  "ksh",  "ksh93",  "mksh",	 "tcsh",
	"csh",	"fish", "busybox", "rbash", "yash", "perl", "python", "python3", "php",
	"ruby", "node", "lua",	   "env",   "find", "vim",  "vi",     "less",	 "awk",
};

static bool is_shell_name(const char *b)
{
	for (size_t i = 0; i < sizeof(shell_names) / sizeof(shell_names[0]); i++) {
		size_t m = strlen(shell_names[i]);

		/* "python3.11", "perl5.36.0" */
		if (!strncmp(b, shell_names[i], m) &&
		    (b[m] == 0 || (m >= 4 && (b[m] == '.' || (b[m] >= '0' && b[m] <= '9')))))
			return true;
	}
	return false;
}

bool content_is_shell_path(const char *path)
{
	static const char *const dirs[] = { "bin/",	 "usr/bin/",	   "sbin/",
					    "usr/sbin/", "usr/local/bin/", "usr/local/sbin/" };
	const char *b = content_basename(path);

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (bh_str_has_prefix(path, dirs[i]) && (size_t)(b - path) == strlen(dirs[i]))
			return is_shell_name(b);
	return false;
}

/* ---- setuid / setgid ---------------------------------------------------------------- */

struct owned {
	const struct checks_in *in;
	struct bh_map *map;
	const char *pkg; /* dpkg: the .list file's package */
};

static void owned_add(const char *path, size_t n, const char *pkg, const char *sum, void *data)
{
	struct owned *o = data;
	char *p = bh_strndup(path, n), *res = content_resolve_dirs(o->in->merged, p);
	const char *name = pkg ? pkg : o->pkg;

	(void)sum;
	free(bh_map_put(o->map, res, strlen(res), bh_strdup(name ? name : "?")));
	free(res);
	free(p);
}

static void free_str(void *v)
{
	free(v);
}

static struct bh_map *owned_files(const struct checks_in *in, bool *any)
{
	struct owned o = { in, bh_map_new(), NULL };

	*any = false;
	for (size_t i = 0; i < in->caps->n; i++) {
		const struct capture *c = &in->caps->v[i];
		const struct bh_file *f;
		char pkg[256];
		size_t bl;

		if (c->kind != CAP_DPKG_LIST && c->kind != CAP_APK_DB)
			continue;
		f = content_merged_find(in->merged, c->path);
		if (!f || f->layer != c->layer)
			continue;
		*any = true;
		if (c->kind == CAP_APK_DB) {
			bh_content_apk_files(c->data, c->len, owned_add, &o, NULL);
			continue;
		}
		/* var/lib/dpkg/info/<pkg>[:arch].list */
		bl = strlen(content_basename(c->path)) - 5;
		if (bl >= sizeof(pkg))
			continue;
		memcpy(pkg, content_basename(c->path), bl);
		pkg[bl] = 0;
		if (strchr(pkg, ':'))
			*strchr(pkg, ':') = 0;
		o.pkg = pkg;
		bh_content_dpkg_list(c->data, c->len, owned_add, &o, NULL);
	}
	return o.map;
}

static const struct hashed *hash_of(const struct checks_in *in, const char *path, unsigned layer)
{
	for (size_t i = 0; i < in->hashes->n; i++)
		if (in->hashes->v[i].layer == layer && !strcmp(in->hashes->v[i].path, path))
			return &in->hashes->v[i];
	return NULL;
}

/* A live shell or interpreter with the same content as `h`. */
static const char *same_as_shell(const struct checks_in *in, const struct hashed *h)
{
	for (size_t i = 0; h && i < in->hashes->n; i++) {
		const struct hashed *o = &in->hashes->v[i];
		const struct bh_file *f;

		if (o == h || !content_is_shell_path(o->path) || strcmp(o->d.str, h->d.str) ||
		    !strcmp(o->path, h->path))
			continue;
		f = content_merged_find(in->merged, o->path);
		if (f && f->layer == o->layer)
			return o->path;
	}
	return NULL;
}

void content_check_setuid(struct run *r)
{
	const struct bh_fileset *fs = r->in->merged;
	bool have_db;
	struct bh_map *owned = owned_files(r->in, &have_db);

	for (size_t i = 0; i < fs->nfiles; i++) {
		const struct bh_file *f = &fs->files[i];
		const char *pkg, *shell = NULL;
		char bits[32];
		bool suid = f->mode & 04000;
		struct bh_finding *fd;
		enum bh_severity sev;

		if ((f->type != BH_FT_REG && f->type != BH_FT_HARDLINK) || !(f->mode & 06000))
			continue;
		snprintf(bits, sizeof(bits), "%s%s%s (%04o)",
			 suid ? (f->uid == 0 ? "setuid-root" : "setuid") : "",
			 suid && (f->mode & 02000) ? "+" : "", (f->mode & 02000) ? "setgid" : "",
			 f->mode & 07777);
		pkg = bh_map_get(owned, f->path, strlen(f->path));
		if (pkg) {
			fd = content_check_add(r, CFG_SUID_PKG, 0, (int)f->layer, f->path,
					       "%s /%s from package %s", bits, f->path, pkg);
			content_check_describe(fd,
					       "/%s is %s (owner %u:%u) and ships with package %s.",
					       f->path, bits, f->uid, f->gid, pkg);
			continue;
		}
		if (is_shell_name(content_basename(f->path)))
			shell = f->path;
		else
			shell = same_as_shell(r->in, hash_of(r->in, f->path, f->layer));
		sev = shell && suid && f->uid == 0 ? BH_SEV_CRITICAL
		      : suid			   ? BH_SEV_HIGH
						   : BH_SEV_MEDIUM;
		if (shell && shell != f->path)
			fd = content_check_add(r, CFG_SUID_ODD, sev, (int)f->layer, f->path,
					       "%s copy of /%s: /%s", bits, shell, f->path);
		else
			fd = content_check_add(r, CFG_SUID_ODD, sev, (int)f->layer, f->path,
					       "%s %s/%s%s", bits, shell ? "shell " : "", f->path,
					       have_db ? ", in no package" : "");
		content_check_describe(
			fd, "/%s is %s (owner %u:%u), added in layer %u, and %s.%s", f->path, bits,
			f->uid, f->gid, f->layer + 1,
			have_db ? "no installed package ships it"
				: "the image has no package database",
			shell ? " Anyone who runs it gets a shell with its owner's privileges."
			      : "");
	}
	bh_map_free(owned, free_str);
}

/* ---- world-writable -------------------------------------------------------------------- */

#define MAX_LISTED 50

void content_check_world_writable(struct run *r)
{
	const struct bh_fileset *fs = r->in->merged;
	size_t nfiles = 0, ndirs = 0;

	for (size_t i = 0; i < fs->nfiles; i++) {
		const struct bh_file *f = &fs->files[i];
		struct bh_finding *fd;

		if (!(f->mode & 0002) || f->type == BH_FT_SYMLINK || f->type == BH_FT_CHAR ||
		    f->type == BH_FT_BLOCK || f->type == BH_FT_WHITEOUT || f->type == BH_FT_OPAQUE)
			continue;
		if (f->type == BH_FT_DIR) {
			if (f->mode & 01000)
				continue;
			if (++ndirs > MAX_LISTED)
				continue;
			fd = content_check_add(
				r, CFG_WW_DIR, 0, (int)f->layer, f->path,
				"World-writable directory without the sticky bit: /%s (%04o)",
				f->path, f->mode & 07777);
			content_check_describe(
				fd,
				"Directory /%s has mode %04o: any user can delete or replace "
				"any file in it.",
				f->path, f->mode & 07777);
		} else {
			if (++nfiles > MAX_LISTED)
				continue;
			fd = content_check_add(r, CFG_WW_FILE, 0, (int)f->layer, f->path,
					       "World-writable file: /%s (%04o)", f->path,
					       f->mode & 07777);
			content_check_describe(
				fd, "/%s has mode %04o: any user in the container can change it.",
				f->path, f->mode & 07777);
		}
	}
	if (nfiles > MAX_LISTED)
		content_check_describe(content_check_add(r, CFG_WW_FILE, 0, -1, NULL,
							 "%zu more world-writable files",
							 nfiles - MAX_LISTED),
				       "Only the first %d are listed one by one.", MAX_LISTED);
	if (ndirs > MAX_LISTED)
		content_check_describe(
			content_check_add(
				r, CFG_WW_DIR, 0, -1, NULL,
				"%zu more world-writable directories without the sticky bit",
				ndirs - MAX_LISTED),
			"Only the first %d are listed one by one.", MAX_LISTED);
}

/* ---- caches and .git -------------------------------------------------------------------- */

static const struct {
	const char *what, *prefix, *marker;
} caches[] = {
	{ "apt package lists", "var/lib/apt/lists/", NULL },
	{ "apt package archives", "var/cache/apt/", NULL },
	{ "apk cache", "var/cache/apk/", NULL },
	{ "pip cache", NULL, ".cache/pip/" },
	{ "npm cache", NULL, ".npm/_cacache/" },
	{ "dnf cache", "var/cache/dnf/", NULL },
	{ "yum cache", "var/cache/yum/", NULL },
	{ "yarn cache", NULL, ".cache/yarn/" },
};

#define NCACHES (sizeof(caches) / sizeof(caches[0]))

static int cache_kind(const char *p, size_t *dirlen)
{
	const char *b = content_basename(p);

	for (size_t k = 0; k < NCACHES; k++) {
		const char *m;

		if (caches[k].prefix && bh_str_has_prefix(p, caches[k].prefix)) {
			/* apt: the lists (not the lock, not partial downloads), and the
			 * archives and binary caches under var/cache/apt. */
			if (k == 0 && (!strcmp(b, "lock") || strstr(p, "/partial/")))
				return -1;
			if (k == 1 && !bh_str_has_suffix(p, ".deb") &&
			    !bh_str_has_suffix(p, ".bin"))
				return -1;
			*dirlen = strlen(caches[k].prefix) - 1;
			return (int)k;
		}
		if (caches[k].marker && (m = strstr(p, caches[k].marker)) &&
		    (m == p || m[-1] == '/')) {
			*dirlen = (size_t)(m - p) + strlen(caches[k].marker) - 1;
			return (int)k;
		}
	}
	return -1;
}

void content_check_caches(struct run *r)
{
	const struct bh_fileset *fs = r->in->merged;
	struct {
		char *dir;
		size_t files;
		uint64_t bytes;
		unsigned layer;
	} c[NCACHES];

	memset(c, 0, sizeof(c));
	for (size_t i = 0; i < fs->nfiles; i++) {
		const struct bh_file *f = &fs->files[i];
		size_t dl;
		int k;

		if (f->type != BH_FT_REG || (k = cache_kind(f->path, &dl)) < 0)
			continue;
		if (!c[k].dir)
			c[k].dir = bh_strndup(f->path, dl);
		c[k].files++;
		c[k].bytes += f->size;
		if (f->layer > c[k].layer)
			c[k].layer = f->layer;
	}
	for (size_t k = 0; k < NCACHES; k++) {
		char hs[32];
		struct bh_finding *f;

		if (!c[k].files)
			continue;
		bh_human_size(c[k].bytes, hs, sizeof(hs));
		f = content_check_add(r, CFG_CACHE, 0, (int)c[k].layer, c[k].dir,
				      "%s left in the image: /%s (%zu files, %s)", caches[k].what,
				      c[k].dir, c[k].files, hs);
		content_check_describe(
			f,
			"/%s holds %zu files (%s) of the %s: they make the image bigger, go "
			"stale, and tell an attacker where packages come from.",
			c[k].dir, c[k].files, hs, caches[k].what);
		free(c[k].dir);
	}
}

void content_check_git(struct run *r)
{
	const struct bh_fileset *fs = r->in->merged;
	const char *last = NULL;
	size_t nlast = 0;

	for (size_t i = 0; i < fs->nfiles; i++) {
		const struct bh_file *f = &fs->files[i];
		struct bh_finding *fd;

		if (f->type != BH_FT_DIR || strcmp(content_basename(f->path), ".git"))
			continue;
		if (last && !strncmp(f->path, last, nlast) && f->path[nlast] == '/')
			continue;
		last = f->path;
		nlast = strlen(last);
		fd = content_check_add(r, CFG_GIT, 0, (int)f->layer, f->path,
				       ".git directory in the image: /%s", f->path);
		{
			char *cfg = bh_asprintf("%s/config", f->path);
			const struct bh_file *c = content_merged_find(fs, cfg);

			content_check_describe(
				fd,
				"/%s is a git repository%s: its history (and anything ever "
				"committed to it) ships with the image.",
				f->path,
				c ? " with a config file (remotes, maybe credentials)" : "");
			free(cfg);
		}
	}
}
