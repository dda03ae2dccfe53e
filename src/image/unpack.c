/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unpack an image's layers into a directory, safely.
 *
 * Layers are applied in order (a walk with one thread) into a private
 * temporary directory beside the target, which is renamed into place only
 * when everything succeeded. Every file-system call is made relative to a
 * parent directory fd that was resolved inside the temporary root
 * (RESOLVE_IN_ROOT), with the entry's single last component: symlinks in the
 * image can redirect a path only to another place inside the root, and a
 * symlink at the last component is removed, never followed.
 *
 * Whiteouts and opaque markers hide what lower layers put there, never what
 * the current layer created itself: the current layer's paths are kept in a
 * set (with their ancestors) that is reset at each layer boundary.
 *
 * Directory modes and times are applied at the end, deepest first, so that a
 * read-only directory does not stop later writes into it and those writes do
 * not change its mtime.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/image.h"
#include "banned.h"

#define COPY_BUF	 (64 * 1024)
#define MAX_LINK_HOPS	 40
#define MAX_RESOLVE_PATH (64 * 1024)
#define MAX_XATTR_WARN	 10

/* Flags and indexes live in bh_map values as integers. */
static size_t map_val(const struct bh_map *m, const char *key, size_t len)
{
	return (size_t)(uintptr_t)bh_map_get(m, key, len);
}

static void map_set(struct bh_map *m, const char *key, size_t len, size_t v)
{
	bh_map_put(m, key, len, (void *)(uintptr_t)v);
}

static void map_reset(struct bh_map **m)
{
	bh_map_free(*m, NULL);
	*m = bh_map_new();
}

/* ---- unpack state ------------------------------------------------------ */

/* Flags in the `created` map. */
#define CREATED	 1u /* the current layer created (or rewrote) this path */
#define ANCESTOR 2u /* ... or something below it */

/* Metadata applied to a directory at the end. */
struct dirmeta {
	char *path;
	uint32_t mode;
	int64_t mtime;
	bool has_mtime;
	bool dead; /* removed since */
};

struct unpack {
	struct bh_unpack_stats *stats;
	int rootfd; /* O_PATH fd of the temporary root */
	bool chown;
	bool devices;

	unsigned layer; /* current layer (0-based) */
	bool started;
	struct bh_map *created; /* paths the current layer created: CREATED | ANCESTOR */

	struct dirmeta *dirs;
	size_t ndirs;
	struct bh_map *dir_index; /* path -> index in dirs + 1 */

	/* The last parent directory resolved: its path (NULL: stale) and fd. */
	char *parent_path;
	int parent_fd;

	char *buf; /* COPY_BUF bytes */
	unsigned xattr_warnings;
};

static void cache_invalidate(struct unpack *u)
{
	/* The fd stays open: a caller may still be using it for the current
	 * entry. It is replaced at the next lookup. */
	free(u->parent_path);
	u->parent_path = NULL;
}

static bool path_is_clean(const char *p)
{
	const char *c = p;

	if (!*p)
		return true;
	for (;;) {
		const char *end = strchr(c, '/');
		size_t n = end ? (size_t)(end - c) : strlen(c);

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!end)
			return true;
		c = end + 1;
	}
}

static size_t path_depth(const char *p)
{
	size_t d = *p ? 1 : 0;

	for (; *p; p++)
		d += *p == '/';
	return d;
}

/* Record that the current layer created `path`, and that its ancestors have
 * something the current layer created below them. */
static void mark_created(struct unpack *u, const char *path)
{
	const char *slash;
	size_t len = strlen(path);

	map_set(u->created, path, len, map_val(u->created, path, len) | CREATED);
	while ((slash = memrchr(path, '/', len))) {
		size_t v;

		len = (size_t)(slash - path);
		v = map_val(u->created, path, len);
		if (v & ANCESTOR)
			break;
		map_set(u->created, path, len, v | ANCESTOR);
	}
}

/* A directory at `path` (and everything below it) is gone: its recorded
 * metadata must not be applied to whatever takes its place later. */
static void forget_dirs(struct unpack *u, const char *path)
{
	size_t len = strlen(path), i;

	for (i = 0; i < u->ndirs; i++) {
		const char *p = u->dirs[i].path;

		if (!len || (!strncmp(p, path, len) && (p[len] == 0 || p[len] == '/')))
			u->dirs[i].dead = true;
	}
}

static void record_dir(struct unpack *u, const char *path, uint32_t mode, const int64_t *mtime)
{
	size_t idx = map_val(u->dir_index, path, strlen(path));
	struct dirmeta *d;

	if (!idx) {
		u->dirs = bh_reallocarray(u->dirs, u->ndirs + 1, sizeof(*u->dirs));
		d = &u->dirs[u->ndirs++];
		d->path = bh_strdup(path);
		idx = u->ndirs;
		map_set(u->dir_index, path, strlen(path), idx);
	}
	d = &u->dirs[idx - 1];
	d->mode = mode & 07777;
	d->has_mtime = mtime != NULL;
	d->mtime = mtime ? *mtime : 0;
	d->dead = false;
}

/*
 * Remove whatever is at (pfd, name), which is `path` inside the root,
 * without following a symlink. A directory is kept when keep_dir is set
 * (*kept tells). ENOENT is success.
 */
static int clear_name(struct unpack *u, int pfd, const char *name, const char *path, bool keep_dir,
		      bool *kept, struct bh_error **err)
{
	struct stat st;

	if (kept)
		*kept = false;
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return bh_error_sys(err, errno, "stat");
	}
	if (S_ISDIR(st.st_mode)) {
		if (keep_dir) {
			if (kept)
				*kept = true;
			return 0;
		}
		if (bh_remove_tree(pfd, name, err) < 0)
			return bh_error_prefix(err, "removing the directory in the way");
		forget_dirs(u, path);
		cache_invalidate(u);
		return 0;
	}
	if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT)
		return bh_error_sys(err, errno, "removing the file in the way");
	if (S_ISLNK(st.st_mode))
		cache_invalidate(u);
	return 0;
}

/* ---- resolving parent directories ---------------------------------------- */

/*
 * Make sure `path` (relative to the root; may hold ".." and components that
 * are symlinks, all resolved inside the root) is a directory, creating what
 * is missing, and return an O_PATH fd of it. Unlike bh_root_mkdirs, a
 * dangling symlink along the way is followed and its target created (inside
 * the root, as tar and container runtimes do), and created directories get
 * mode 0755 whatever the umask.
 */
static int mkparents(struct unpack *u, const char *path, unsigned *hops, struct bh_error **err)
{
	const char *slash, *base;
	char *dir = NULL, *next = NULL;
	int fd, pfd = -1, result = -1;
	struct stat st;

	fd = bh_root_openat(u->rootfd, path, O_PATH | O_DIRECTORY, 0, NULL);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return bh_error_sys(err, errno, "resolving directory '%s'", path);
	if (strlen(path) > MAX_RESOLVE_PATH)
		return bh_error_set(err, BH_ERR_LIMIT, "path '%.200s…' too long", path);

	slash = strrchr(path, '/');
	dir = slash ? bh_strndup(path, (size_t)(slash - path)) : bh_strdup("");
	base = slash ? slash + 1 : path;
	pfd = *dir ? mkparents(u, dir, hops, err) : fcntl(u->rootfd, F_DUPFD_CLOEXEC, 3);
	if (pfd < 0) {
		if (!*dir)
			bh_error_sys(err, errno, "dup");
		goto out;
	}
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		/* Nothing to create: the directory above exists now. */
	} else if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		int dfd;

		if (errno != ENOENT) {
			bh_error_sys(err, errno, "stat '%s'", path);
			goto out;
		}
		if (mkdirat(pfd, base, 0755) < 0 && errno != EEXIST) {
			bh_error_sys(err, errno, "creating directory '%s'", path);
			goto out;
		}
		dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd >= 0) {
			(void)!fchmod(dfd, 0755);
			close(dfd);
		}
	} else if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n;

		if (++*hops > MAX_LINK_HOPS) {
			bh_error_sys(err, ELOOP, "resolving directory '%s'", path);
			goto out;
		}
		n = readlinkat(pfd, base, target, sizeof(target));
		if (n < 0 || (size_t)n >= sizeof(target)) {
			bh_error_sys(err, n < 0 ? errno : ENAMETOOLONG, "reading symlink '%s'",
				     path);
			goto out;
		}
		target[n] = 0;
		if (target[0] == '/' || !*dir)
			next = bh_strdup(target);
		else
			next = bh_asprintf("%s/%s", dir, target);
		fd = mkparents(u, next, hops, err);
		if (fd < 0)
			goto out;
		close(fd);
	}
	result = bh_root_openat(u->rootfd, path, O_PATH | O_DIRECTORY, 0, err);
out:
	if (pfd >= 0)
		close(pfd);
	free(dir);
	free(next);
	return result;
}

/* The O_PATH fd of the directory `parent` (len bytes of a cleaned entry
 * path), created if missing. Borrowed: owned by the cache. */
static int get_parent(struct unpack *u, const char *parent, size_t len, struct bh_error **err)
{
	unsigned hops = 0;
	char *p;
	int fd;

	if (!len)
		return u->rootfd;
	if (u->parent_path && strlen(u->parent_path) == len && !memcmp(u->parent_path, parent, len))
		return u->parent_fd;
	p = bh_strndup(parent, len);
	fd = mkparents(u, p, &hops, err);
	if (fd < 0) {
		free(p);
		return -1;
	}
	if (u->parent_fd >= 0)
		close(u->parent_fd);
	free(u->parent_path);
	u->parent_path = p;
	u->parent_fd = fd;
	return fd;
}

/* The fd of an existing parent directory, or -1 with errno set (not
 * created, not cached; the caller closes it unless it is the root fd). */
static int find_parent(struct unpack *u, const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!slash) {
		*base = path;
		return u->rootfd;
	}
	*base = slash + 1;
	dir = bh_strndup(path, (size_t)(slash - path));
	fd = bh_root_openat(u->rootfd, dir, O_PATH | O_DIRECTORY, 0, NULL);
	free(dir);
	return fd;
}

static void put_parent(struct unpack *u, int fd)
{
	if (fd >= 0 && fd != u->rootfd)
		close(fd);
}

/* ---- metadata ------------------------------------------------------------ */

static int set_xattrs(struct unpack *u, int fd, const struct bh_entry *e, struct bh_error **err)
{
	size_t i;

	for (i = 0; i < e->nxattrs; i++) {
		const struct bh_xattr *x = &e->xattrs[i];

		if (bh_str_has_prefix(x->name, "trusted.overlay.")) {
			/* Would be read by overlayfs if this tree became a layer. */
			bh_warn("layer %u: '%s': xattr %s not set: refused", e->layer + 1, e->path,
				x->name);
			continue;
		}
		if (fsetxattr(fd, x->name, x->value, x->size, 0) == 0)
			continue;
		if (errno == EOPNOTSUPP || errno == EPERM || errno == EACCES) {
			if (u->xattr_warnings++ < MAX_XATTR_WARN)
				bh_warn("layer %u: '%s': xattr %s not set: %s", e->layer + 1,
					e->path, x->name, strerror(errno));
			continue;
		}
		return bh_error_sys(err, errno, "setting xattr %s", x->name);
	}
	return 0;
}

static int chown_at(struct unpack *u, int pfd, const char *name, const struct bh_entry *e,
		    struct bh_error **err)
{
	if (u->chown && fchownat(pfd, name, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return bh_error_sys(err, errno, "chown to %u:%u", e->uid, e->gid);
	return 0;
}

static int times_at(int pfd, const char *name, const struct bh_entry *e, struct bh_error **err)
{
	struct timespec ts[2] = { { e->mtime, 0 }, { e->mtime, 0 } };

	if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return bh_error_sys(err, errno, "setting the modification time");
	return 0;
}

/* ---- entry types ------------------------------------------------------- */

static int make_file(struct unpack *u, int pfd, const char *name, const struct bh_entry *e,
		     struct bh_entry_reader *r, struct bh_error **err)
{
	struct timespec ts[2] = { { e->mtime, 0 }, { e->mtime, 0 } };
	int fd, result = -1;

	fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return bh_error_sys(err, errno, "creating file");
	for (;;) {
		ssize_t n = bh_entry_read(r, u->buf, COPY_BUF, err);

		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (bh_write_all(fd, u->buf, (size_t)n, err) < 0)
			goto out;
		if (u->stats)
			u->stats->bytes += (uint64_t)n;
	}
	if (u->chown && fchown(fd, e->uid, e->gid) < 0) {
		bh_error_sys(err, errno, "chown to %u:%u", e->uid, e->gid);
		goto out;
	}
	/* After chown, which clears setuid and setgid. */
	if (fchmod(fd, e->mode & 07777) < 0) {
		bh_error_sys(err, errno, "chmod");
		goto out;
	}
	if (set_xattrs(u, fd, e, err) < 0)
		goto out;
	if (futimens(fd, ts) < 0) {
		bh_error_sys(err, errno, "setting the modification time");
		goto out;
	}
	result = 0;
out:
	if (close(fd) < 0 && result == 0)
		result = bh_error_sys(err, errno, "closing file");
	return result;
}

static int make_dir(struct unpack *u, int pfd, const char *name, const struct bh_entry *e,
		    struct bh_error **err)
{
	bool kept;
	int fd, r;

	if (clear_name(u, pfd, name, e->path, true, &kept, err) < 0)
		return -1;
	if (!kept && mkdirat(pfd, name, 0700) < 0)
		return bh_error_sys(err, errno, "creating directory");
	if (chown_at(u, pfd, name, e, err) < 0)
		return -1;
	if (e->nxattrs) {
		fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return bh_error_sys(err, errno, "opening directory");
		r = set_xattrs(u, fd, e, err);
		close(fd);
		if (r < 0)
			return -1;
	}
	record_dir(u, e->path, e->mode, &e->mtime);
	if (u->stats)
		u->stats->dirs++;
	return 0;
}

static int make_hardlink(struct unpack *u, int pfd, const char *name, const struct bh_entry *e,
			 struct bh_error **err)
{
	const char *tbase;
	struct stat st;
	int tfd, result = -1;

	if (!e->link || !*e->link || !path_is_clean(e->link))
		return bh_error_set(err, BH_ERR_UNSAFE, "hard link to '%s': not a clean path",
				    e->link ? e->link : "");
	if (!strcmp(e->link, e->path))
		return 0; /* a link to itself: nothing to do */
	tfd = find_parent(u, e->link, &tbase);
	if (tfd < 0 || fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			bh_error_set(err, BH_ERR_INVALID,
				     "hard link to '%s': no such file in the image", e->link);
		else
			bh_error_sys(err, errno, "hard link to '%s'", e->link);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		bh_error_set(err, BH_ERR_INVALID, "hard link to '%s': it is a directory", e->link);
		goto out;
	}
	if (clear_name(u, pfd, name, e->path, false, NULL, err) < 0)
		goto out;
	if (linkat(tfd, tbase, pfd, name, 0) < 0) {
		bh_error_sys(err, errno, "hard link to '%s'", e->link);
		goto out;
	}
	if (u->stats)
		u->stats->hardlinks++;
	result = 0;
out:
	put_parent(u, tfd);
	return result;
}

static int make_node(struct unpack *u, int pfd, const char *name, const struct bh_entry *e,
		     struct bh_error **err)
{
	int r;

	if (e->type == BH_FT_FIFO) {
		r = mkfifoat(pfd, name, 0600);
	} else {
		mode_t kind = e->type == BH_FT_CHAR ? S_IFCHR : S_IFBLK;

		r = mknodat(pfd, name, kind | 0600, makedev(e->devmajor, e->devminor));
	}
	if (r < 0)
		return bh_error_sys(err, errno, "creating %s",
				    e->type == BH_FT_FIFO ? "fifo" : "device node");
	if (chown_at(u, pfd, name, e, err) < 0)
		return -1;
	/* The node was just created by us in our private 0700 tree: no symlink
	 * can be there (fchmodat cannot refuse one). */
	if (fchmodat(pfd, name, e->mode & 07777, 0) < 0)
		return bh_error_sys(err, errno, "chmod");
	return times_at(pfd, name, e, err);
}

/* Remove `path` and everything below it that the current layer did not
 * create; keep directories holding something it created. Iterative, so a
 * deep tree costs memory for names, not file descriptors. */
static int prune(struct unpack *u, const char *top, struct bh_error **err)
{
	char **stack = NULL, **names = NULL;
	size_t nstack = 0, nnames = 0, i;
	char *dirpath = NULL;
	int fd = -1, result = -1;

	stack = bh_reallocarray(stack, 1, sizeof(*stack));
	stack[nstack++] = bh_strdup(top);
	while (nstack) {
		struct dirent *de;
		DIR *d;
		int dfd;

		free(dirpath);
		dirpath = stack[--nstack];
		fd = bh_root_openat(u->rootfd, dirpath,
				    O_RDONLY | O_DIRECTORY | (*dirpath ? O_NOFOLLOW : 0), 0, NULL);
		if (fd < 0) {
			if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
				continue;
			bh_error_sys(err, errno, "opening directory '%s'", dirpath);
			goto out;
		}
		dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (dfd < 0 || !(d = fdopendir(dfd))) {
			bh_error_sys(err, errno, "reading directory '%s'", dirpath);
			if (dfd >= 0)
				close(dfd);
			goto out;
		}
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			names = bh_reallocarray(names, nnames + 1, sizeof(*names));
			names[nnames++] = bh_strdup(de->d_name);
		}
		closedir(d);
		for (i = 0; i < nnames; i++) {
			char *child = *dirpath ? bh_asprintf("%s/%s", dirpath, names[i])
					       : bh_strdup(names[i]);
			struct stat st;
			int r = 0;

			if (fstatat(fd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
				free(child);
				continue;
			}
			if (map_val(u->created, child, strlen(child)) && S_ISDIR(st.st_mode)) {
				stack = bh_reallocarray(stack, nstack + 1, sizeof(*stack));
				stack[nstack++] = child;
				continue;
			}
			if (!(map_val(u->created, child, strlen(child)) & CREATED))
				r = clear_name(u, fd, names[i], child, false, NULL, err);
			free(child);
			if (r < 0)
				goto out;
		}
		while (nnames)
			free(names[--nnames]);
		close(fd);
		fd = -1;
	}
	result = 0;
out:
	if (fd >= 0)
		close(fd);
	while (nnames)
		free(names[--nnames]);
	free(names);
	while (nstack)
		free(stack[--nstack]);
	free(stack);
	free(dirpath);
	return result;
}

static int whiteout(struct unpack *u, const struct bh_entry *e, struct bh_error **err)
{
	size_t flags = map_val(u->created, e->path, strlen(e->path));
	const char *base;
	struct stat st;
	int pfd, r = 0;

	if (u->stats)
		u->stats->whiteouts++;
	if (!*e->path)
		return bh_error_set(err, BH_ERR_INVALID, "whiteout of the root");
	if (flags & CREATED) {
		bh_debug("layer %u: whiteout of '%s' ignored: created by the same layer",
			 e->layer + 1, e->path);
		return 0;
	}
	pfd = find_parent(u, e->path, &base);
	if (pfd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0; /* nothing there to hide */
		return bh_error_sys(err, errno, "whiteout");
	}
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			r = bh_error_sys(err, errno, "whiteout");
	} else if ((flags & ANCESTOR) && S_ISDIR(st.st_mode)) {
		r = prune(u, e->path, err);
	} else {
		r = clear_name(u, pfd, base, e->path, false, NULL, err);
	}
	put_parent(u, pfd);
	return r;
}

static int apply_entry(struct unpack *u, const struct bh_entry *e, struct bh_entry_reader *r,
		       struct bh_error **err)
{
	const char *slash, *name;
	int pfd;

	if (!path_is_clean(e->path))
		return bh_error_set(err, BH_ERR_UNSAFE, "not a clean relative path");
	if (e->type == BH_FT_WHITEOUT)
		return whiteout(u, e, err);
	if (e->type == BH_FT_OPAQUE) {
		if (u->stats)
			u->stats->whiteouts++;
		return prune(u, e->path, err);
	}
	if (!*e->path) {
		/* The root itself: only its metadata. */
		if (e->type != BH_FT_DIR)
			return bh_error_set(err, BH_ERR_INVALID, "the root must be a directory");
		if (u->chown && fchownat(u->rootfd, "", e->uid, e->gid,
					 AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return bh_error_sys(err, errno, "chown to %u:%u", e->uid, e->gid);
		record_dir(u, "", e->mode, &e->mtime);
		return 0;
	}

	slash = strrchr(e->path, '/');
	name = slash ? slash + 1 : e->path;
	pfd = get_parent(u, e->path, slash ? (size_t)(slash - e->path) : 0, err);
	if (pfd < 0)
		return -1;

	switch (e->type) {
	case BH_FT_DIR:
		if (make_dir(u, pfd, name, e, err) < 0)
			return -1;
		break;
	case BH_FT_REG:
		if (clear_name(u, pfd, name, e->path, false, NULL, err) < 0 ||
		    make_file(u, pfd, name, e, r, err) < 0)
			return -1;
		if (u->stats)
			u->stats->files++;
		break;
	case BH_FT_SYMLINK:
		if (!e->link)
			return bh_error_set(err, BH_ERR_INVALID, "symlink without a target");
		if (clear_name(u, pfd, name, e->path, false, NULL, err) < 0)
			return -1;
		if (symlinkat(e->link, pfd, name) < 0)
			return bh_error_sys(err, errno, "creating symlink to '%s'", e->link);
		if (chown_at(u, pfd, name, e, err) < 0 || times_at(pfd, name, e, err) < 0)
			return -1;
		if (u->stats)
			u->stats->symlinks++;
		break;
	case BH_FT_HARDLINK:
		if (make_hardlink(u, pfd, name, e, err) < 0)
			return -1;
		break;
	case BH_FT_CHAR:
	case BH_FT_BLOCK:
		if (clear_name(u, pfd, name, e->path, false, NULL, err) < 0)
			return -1;
		if (!u->devices) {
			if (u->stats)
				u->stats->skipped_devices++;
			break;
		}
		if (make_node(u, pfd, name, e, err) < 0)
			return -1;
		break;
	case BH_FT_FIFO:
		if (clear_name(u, pfd, name, e->path, false, NULL, err) < 0 ||
		    make_node(u, pfd, name, e, err) < 0)
			return -1;
		break;
	default:
		return bh_error_set(err, BH_ERR_UNSUPPORTED, "entry of unknown type %d",
				    (int)e->type);
	}
	mark_created(u, e->path);
	return 0;
}

static int on_entry(const struct bh_entry *e, struct bh_entry_reader *r, void *data,
		    struct bh_error **err)
{
	struct unpack *u = data;

	if (!u->started || e->layer != u->layer) {
		if (u->started && e->layer < u->layer)
			return bh_error_set(err, BH_ERR_INTERNAL,
					    "layer %u after layer %u: the walk is out of order",
					    e->layer + 1, u->layer + 1);
		map_reset(&u->created);
		u->layer = e->layer;
		u->started = true;
	}
	/* No prefix here: the walk already names the layer and the entry
	 * ("layer 2 (sha256:ab12…): 'etc/x': …"). */
	return apply_entry(u, e, r, err);
}

static int cmp_depth(const void *a, const void *b)
{
	size_t da = path_depth(((const struct dirmeta *)a)->path);
	size_t db = path_depth(((const struct dirmeta *)b)->path);

	return da < db ? 1 : da > db ? -1 : 0;
}

/* Directory modes and times, deepest first; the root last. */
static int finish_dirs(struct unpack *u, struct bh_error **err)
{
	size_t i;

	qsort(u->dirs, u->ndirs, sizeof(*u->dirs), cmp_depth);
	map_reset(&u->dir_index); /* indexes are stale now */
	for (i = 0; i < u->ndirs; i++) {
		struct dirmeta *d = &u->dirs[i];
		struct timespec ts[2] = { { d->mtime, 0 }, { d->mtime, 0 } };
		int fd;

		if (d->dead)
			continue;
		fd = bh_root_openat(u->rootfd, d->path,
				    O_RDONLY | O_DIRECTORY | (*d->path ? O_NOFOLLOW : 0), 0, NULL);
		if (fd < 0) {
			if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
				continue; /* replaced by something else since */
			return bh_error_sys(err, errno, "'%s': opening directory", d->path);
		}
		if (fchmod(fd, d->mode) < 0 || (d->has_mtime && futimens(fd, ts) < 0)) {
			bh_error_sys(err, errno, "'%s': setting mode and time", d->path);
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

/* Best effort before removing a half-finished tree: make every directory
 * we know of writable again. */
static void unlock_dirs(struct unpack *u)
{
	size_t i;

	for (i = 0; i < u->ndirs; i++) {
		int fd = bh_root_openat(u->rootfd, u->dirs[i].path,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, NULL);

		if (fd >= 0) {
			(void)!fchmod(fd, 0700);
			close(fd);
		}
	}
}

/* ---- the target directory ------------------------------------------------ */

/* 1 if `dir` does not exist, 0 if it is an empty directory, else an error. */
/* "<parent of dir>/.<base>.bh-unpack-XXXXXX" */
static char *temp_template(const char *dir, struct bh_error **err)
{
	char *d = bh_strdup(dir), *slash, *t = NULL;
	size_t len = strlen(d);

	while (len > 1 && d[len - 1] == '/')
		d[--len] = 0;
	slash = strrchr(d, '/');
	if (slash) {
		const char *base = slash + 1;

		*slash = 0;
		if (*base && strcmp(base, ".") && strcmp(base, ".."))
			t = bh_asprintf("%s/.%s.bh-unpack-XXXXXX", slash == d ? "" : d, base);
	} else if (*d && strcmp(d, ".") && strcmp(d, "..")) {
		t = bh_asprintf(".%s.bh-unpack-XXXXXX", d);
	}
	if (!t)
		bh_error_set(err, BH_ERR_USAGE, "cannot unpack into '%s': name a new directory",
			     dir);
	free(d);
	return t;
}

/* rename(2) that fails with EEXIST rather than replace an (empty) directory
 * that appeared meanwhile; plain rename where the file system lacks it. */
static int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	return rename(from, to);
}

int bh_image_unpack(struct bh_image *img, const char *dir, const struct bh_unpack_opts *opts,
		    struct bh_unpack_stats *stats, struct bh_error **err)
{
	struct bh_unpack_opts none = { 0 };
	struct unpack u = { .rootfd = -1, .parent_fd = -1 };
	char *tmp = NULL;
	int exists, result = -1;
	size_t i;

	if (!opts)
		opts = &none;
	if (stats)
		memset(stats, 0, sizeof(*stats));
	exists = bh_check_new_dir(dir, err);
	if (exists < 0)
		return -1;
	exists = !exists;
	tmp = temp_template(dir, err);
	if (!tmp)
		return -1;
	if (!mkdtemp(tmp)) {
		bh_error_sys(err, errno, "creating a temporary directory beside %s", dir);
		free(tmp);
		return -1;
	}
	u.created = bh_map_new();
	u.dir_index = bh_map_new();
	u.stats = stats;
	u.chown = opts->keep_owner || geteuid() == 0;
	u.devices = opts->devices && geteuid() == 0;
	u.buf = bh_malloc(COPY_BUF);
	u.rootfd = bh_root_open(tmp, err);
	if (u.rootfd < 0)
		goto out;
	record_dir(&u, "", 0755, NULL); /* unless the image has a root entry */

	if (bh_image_walk(img, &(struct bh_walk_opts){ .threads = 1 }, on_entry, &u, err) < 0)
		goto out;
	if (finish_dirs(&u, err) < 0) {
		unlock_dirs(&u);
		goto out;
	}
	if (exists ? rename(tmp, dir) < 0 : rename_noreplace(tmp, dir) < 0) {
		bh_error_sys(err, errno, "renaming %s to %s", tmp, dir);
		unlock_dirs(&u);
		goto out;
	}
	result = 0;
out:
	if (result < 0) {
		struct bh_error *e2 = NULL;

		if (bh_remove_tree(AT_FDCWD, tmp, &e2) < 0)
			bh_error_warn(&e2, "could not remove %s", tmp);
	}
	if (u.rootfd >= 0)
		close(u.rootfd);
	if (u.parent_fd >= 0)
		close(u.parent_fd);
	free(u.parent_path);
	bh_map_free(u.created, NULL);
	bh_map_free(u.dir_index, NULL);
	for (i = 0; i < u.ndirs; i++)
		free(u.dirs[i].path);
	free(u.dirs);
	free(u.buf);
	free(tmp);
	return result;
}
