/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cgroup side of the inventory: the cgroup mounts of a host root (its
 * /proc/self/mountinfo: which hierarchy is mounted where, and which of its
 * directories), controller lists compared as sets, an absolute directory
 * turned into a path inside its hierarchy, and the kernfs id of a cgroup
 * directory (its file handle: what BPF reads as the cgroup id).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "containers_internal.h"

#include "banned.h"

/* ---- cgroup mounts ---------------------------------------------------------------- */

void ctr_mounts_release(struct ctr_mounts *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].dir);
		free(m->v[i].root);
		free(m->v[i].controllers);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

/* A mountinfo field, unescaped (bh_mount_unescape), allocated. */
static char *unescape(const char *s, size_t n)
{
	char *o = bh_malloc(n + 1);

	bh_mount_unescape(s, n, o);
	return o;
}

static bool v1_option_is_controller(const char *o, size_t n)
{
	static const char *const not_ctl[] = { "rw",	       "ro",
					       "noprefix",     "clone_children",
					       "xattr",	       "cpuset_v2_mode",
					       "favordynmods", NULL };
	size_t i;

	if (n > 5 && !strncmp(o, "name=", 5))
		return true;
	if (memchr(o, '=', n))
		return false;
	for (i = 0; not_ctl[i]; i++)
		if (strlen(not_ctl[i]) == n && !strncmp(o, not_ctl[i], n))
			return false;
	return n > 0;
}

/* The cgroup mounts of one mountinfo (fields: id parent maj:min root point opts [tags] - fstype src
 * superopts). */
void ctr_mounts_parse(const char *buf, size_t len, struct ctr_mounts *m)
{
	const char *line = buf, *end = buf + len;

	while (line < end && m->n < CTR_MAX_CGROUPS) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end, *f[12], *p = line, *dash = NULL;
		size_t flen[12], nf = 0;

		while (p < le && nf < 12) {
			const char *q = memchr(p, ' ', (size_t)(le - p));
			const char *fe = q ? q : le;
			f[nf] = p;
			flen[nf] = (size_t)(fe - p);
			if (flen[nf] == 1 && *p == '-' && !dash)
				dash = p;
			nf++;
			p = q ? q + 1 : le;
		}
		if (dash) {
			size_t di;
			for (di = 6; di < nf && f[di] != dash; di++)
				;
			if (di + 3 < nf) {
				const char *fs = f[di + 1];
				size_t fsl = flen[di + 1];
				bool v2 = fsl == 7 && !strncmp(fs, "cgroup2", 7);
				bool v1 = fsl == 6 && !strncmp(fs, "cgroup", 6);
				if (v1 || v2) {
					struct ctr_mnt *x;
					struct bh_buf ctl = BH_BUF_INIT(4096);
					if (v1) {
						const char *o = f[di + 3], *oe = o + flen[di + 3];
						while (o < oe) {
							const char *c =
								memchr(o, ',', (size_t)(oe - o));
							size_t cl = (size_t)((c ? c : oe) - o);
							if (v1_option_is_controller(o, cl)) {
								if (ctl.len)
									bh_buf_addc(&ctl, ',',
										    NULL);
								bh_buf_add(&ctl, o, cl, NULL);
							}
							o = c ? c + 1 : oe;
						}
					}
					m->v = bh_reallocarray(m->v, m->n + 1, sizeof(*m->v));
					x = &m->v[m->n++];
					x->root = unescape(f[3], flen[3]);
					x->dir = unescape(f[4], flen[4]);
					x->controllers =
						v2 ? bh_strdup("") : bh_buf_detach(&ctl, NULL);
					bh_buf_release(&ctl);
				}
			}
		}
		line = nl ? nl + 1 : end;
	}
}

void ctr_mounts_load(int rootfd, struct ctr_mounts *m)
{
	struct bh_buf b = BH_BUF_INIT(1u << 20);

	if (ctr_read_path(rootfd, "/proc/self/mountinfo", false, &b, NULL) == 0)
		ctr_mounts_parse(b.data ? b.data : "", b.len, m);
	bh_buf_release(&b);
}

/* Does the comma list `set` hold every member of the comma list `want`? */
bool ctr_ctl_covers(const char *set, const char *want)
{
	const char *w = want;

	if (!*want || !*set)
		return !*want && !*set;
	while (*w) {
		const char *we = strchr(w, ',');
		size_t wl = we ? (size_t)(we - w) : strlen(w);
		const char *s = set;
		bool found = false;
		while (*s && !found) {
			const char *se = strchr(s, ',');
			size_t sl = se ? (size_t)(se - s) : strlen(s);
			found = sl == wl && !strncmp(s, w, wl);
			s = se ? se + 1 : s + sl;
		}
		if (!found)
			return false;
		w = we ? we + 1 : w + wl;
	}
	return true;
}

/* Two controller lists name the same hierarchy (they share a member, or both are cgroup2). */
bool ctr_ctl_same(const char *a, const char *b)
{
	const char *w = a;

	if (!*a || !*b)
		return !*a && !*b;
	while (*w) {
		const char *we = strchr(w, ',');
		size_t wl = we ? (size_t)(we - w) : strlen(w);
		char *one = bh_asprintf("%.*s", (int)wl, w);
		bool hit = ctr_ctl_covers(b, one);
		free(one);
		if (hit)
			return true;
		w = we ? we + 1 : w + wl;
	}
	return false;
}

const struct ctr_mnt *ctr_mount_of(const struct ctr_mounts *m, const char *controllers)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (ctr_ctl_same(m->v[i].controllers, controllers))
			return &m->v[i];
	return NULL;
}

/* The path inside its hierarchy of an absolute cgroup directory (host view). */
char *ctr_dir_to_path(const struct ctr_mounts *m, const char *dir, const char **controllers)
{
	size_t i, best = 0, bl = 0;

	for (i = 0; i < m->n; i++) {
		size_t l = strlen(m->v[i].dir);
		if (l > bl && !strncmp(dir, m->v[i].dir, l) && (dir[l] == '/' || dir[l] == 0)) {
			best = i;
			bl = l;
		}
	}
	if (bl) {
		const char *rest = dir + bl, *r = m->v[best].root;
		*controllers = m->v[best].controllers;
		if (!strcmp(r, "/"))
			r = "";
		return bh_asprintf("%s%s", *r || *rest ? r : "/", rest);
	}
	/* no mount table: /sys/fs/cgroup/<hierarchy>/<path> */
	if (bh_str_has_prefix(dir, "/sys/fs/cgroup/")) {
		const char *p = strchr(dir + 15, '/');
		return bh_strdup(p ? p : "/");
	}
	return NULL;
}

/* The kernfs id of a cgroup directory: the file handle of kernfs is its 64-bit id. */
uint64_t ctr_cgroup_id(int rootfd, const struct ctr_mounts *m, const char *controllers,
		       const char *path)
{
	const struct ctr_mnt *x = ctr_mount_of(m, controllers);
	struct {
		struct file_handle fh;
		unsigned char bytes[64];
	} h;
	uint64_t id = 0;
	struct stat st;
	char *dir;
	size_t rl;
	int fd, mid;

	if (!x)
		return 0;
	rl = strcmp(x->root, "/") ? strlen(x->root) : 0;
	if (rl && (strncmp(path, x->root, rl) || (path[rl] != '/' && path[rl] != 0)))
		return 0; /* outside what this mount shows */
	dir = bh_asprintf("%s%s", x->dir, path + rl);
	fd = bh_root_openat(rootfd, dir, O_PATH | O_DIRECTORY, 0, NULL);
	free(dir);
	if (fd < 0)
		return 0;
	h.fh.handle_bytes = sizeof(h.bytes);
	if (name_to_handle_at(fd, "", &h.fh, &mid, AT_EMPTY_PATH) == 0 && h.fh.handle_bytes == 8)
		memcpy(&id, h.fh.f_handle, 8);
	else if (fstat(fd, &st) == 0)
		id = st.st_ino;
	close(fd);
	return id;
}
