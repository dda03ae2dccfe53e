/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tmpcopyup: a tmpfs with "tmpcopyup" starts with a copy of the directory
 * it covers. mount.c makes the detached tmpfs; this file copies into it.
 * The source is read through fds opened under the rootfs (O_NOFOLLOW at
 * every step, the type checked on the opened fd), the copy written through
 * the detached tmpfs's fd, which nothing else can reach, before it is
 * attached. Symlinks are copied as symlinks, never followed; other file
 * systems mounted below the directory are not entered; depth and entry
 * count are bounded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "internal.h"
#include "banned.h"

#define COPYUP_MAX_DEPTH   64
#define COPYUP_MAX_ENTRIES 100000

struct copyup {
	dev_t dev;	/* the covered directory's file system */
	size_t entries; /* copied so far */
	char path[RT_MAX_PATH + 64];
	size_t plen;			/* the entry being copied, for messages */
	char names[XATTR_LIST_MAX];	/* flistxattr */
	char value[XATTR_SIZE_MAX + 1]; /* fgetxattr */
};

static void copyup_push(struct copyup *cu, const char *name)
{
	int n = snprintf(cu->path + cu->plen, sizeof(cu->path) - cu->plen, "/%s", name);

	if (n > 0)
		cu->plen += (size_t)n < sizeof(cu->path) - cu->plen
				    ? (size_t)n
				    : sizeof(cu->path) - cu->plen - 1;
}

static void copyup_pop(struct copyup *cu, size_t plen)
{
	cu->plen = plen;
	cu->path[plen] = 0;
}

/* Extended attributes, where the tmpfs takes them (security.*, trusted.*, user.*). */
static void copy_xattrs(int s, int d, struct copyup *cu)
{
	ssize_t n = flistxattr(s, cu->names, sizeof(cu->names));

	for (ssize_t off = 0; off < n;) {
		const char *k = cu->names + off;
		ssize_t v = fgetxattr(s, k, cu->value, sizeof(cu->value) - 1);

		if (v >= 0 && fsetxattr(d, k, cu->value, (size_t)v, 0) < 0)
			bh_debug("tmpcopyup %s: xattr %s: %s", cu->path, k, strerror(errno));
		off += (ssize_t)strnlen(k, (size_t)(n - off)) + 1;
	}
}

/* Owner (when this namespace can map it), mode, xattrs and times of st onto d. */
static int copy_meta(int s, int d, const struct stat *st, struct copyup *cu, struct bh_error **err)
{
	const struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (fchown(d, st->st_uid, st->st_gid) < 0) {
		if (errno != EPERM && errno != EINVAL)
			return bh_error_sys(err, errno, "tmpcopyup %s: owner", cu->path);
		bh_debug("tmpcopyup %s: owner %u:%u not kept: %s", cu->path, st->st_uid, st->st_gid,
			 strerror(errno));
	}
	if (fchmod(d, st->st_mode & 07777) < 0)
		return bh_error_sys(err, errno, "tmpcopyup %s: mode", cu->path);
	copy_xattrs(s, d, cu);
	if (futimens(d, ts) < 0)
		bh_debug("tmpcopyup %s: times: %s", cu->path, strerror(errno));
	return 0;
}

static int copy_file(int sdir, int ddir, const char *name, struct copyup *cu, struct bh_error **err)
{
	struct stat st;
	int s, d = -1, r = -1;
	off_t left;

	s = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		return bh_error_sys(err, errno, "tmpcopyup: opening %s", cu->path);
	if (fstat(s, &st) < 0 || !S_ISREG(st.st_mode) || st.st_dev != cu->dev) {
		bh_error_set(err, BH_ERR_UNSAFE, "tmpcopyup: %s changed while it was copied",
			     cu->path);
		goto out;
	}
	d = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (d < 0) {
		bh_error_sys(err, errno, "tmpcopyup: creating %s", cu->path);
		goto out;
	}
	/* at most the size it had when opened: a file that keeps growing ends here */
	for (left = st.st_size; left > 0;) {
		ssize_t n = sendfile(d, s, NULL, left > (1 << 30) ? (size_t)1 << 30 : (size_t)left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			bh_error_sys(err, errno, "tmpcopyup: copying %s", cu->path);
			goto out;
		}
		if (n == 0)
			break;
		left -= n;
	}
	r = copy_meta(s, d, &st, cu, err);
out:
	if (d >= 0)
		close(d);
	close(s);
	return r;
}

static int copy_symlink(int sdir, int ddir, const char *name, const struct stat *st,
			struct copyup *cu, struct bh_error **err)
{
	const struct timespec ts[2] = { st->st_atim, st->st_mtim };
	char target[RT_MAX_PATH + 1];
	ssize_t n = readlinkat(sdir, name, target, sizeof(target));

	if (n < 0)
		return bh_error_sys(err, errno, "tmpcopyup: reading the symlink %s", cu->path);
	if ((size_t)n >= sizeof(target))
		return bh_error_set(err, BH_ERR_LIMIT, "tmpcopyup: the symlink %s is too long",
				    cu->path);
	target[n] = 0;
	if (symlinkat(target, ddir, name) < 0)
		return bh_error_sys(err, errno, "tmpcopyup: creating the symlink %s", cu->path);
	if (fchownat(ddir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		bh_debug("tmpcopyup %s: owner not kept: %s", cu->path, strerror(errno));
	if (utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		bh_debug("tmpcopyup %s: times: %s", cu->path, strerror(errno));
	return 0;
}

/* Device nodes and fifos (a user namespace cannot make devices: skipped). */
static int copy_node(int ddir, const char *name, const struct stat *st, struct copyup *cu,
		     struct bh_error **err)
{
	int fd;

	if (mknodat(ddir, name, st->st_mode & (S_IFMT | 0600), st->st_rdev) < 0) {
		if (errno == EPERM && !S_ISFIFO(st->st_mode)) {
			bh_debug("tmpcopyup %s: device node not copied: %s", cu->path,
				 strerror(errno));
			return 0;
		}
		return bh_error_sys(err, errno, "tmpcopyup: creating %s", cu->path);
	}
	/* O_PATH: the node is not opened, only named (and it is ours: the tmpfs is detached) */
	fd = openat(ddir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return bh_error_sys(err, errno, "tmpcopyup: reopening %s", cu->path);
	if (fchownat(fd, "", st->st_uid, st->st_gid, AT_EMPTY_PATH) < 0)
		bh_debug("tmpcopyup %s: owner not kept: %s", cu->path, strerror(errno));
	close(fd);
	if (fchmodat(ddir, name, st->st_mode & 07777, 0) < 0)
		return bh_error_sys(err, errno, "tmpcopyup: mode of %s", cu->path);
	return 0;
}

static int copy_dir(int s, int d, const struct stat *st, unsigned depth, bool meta,
		    struct copyup *cu, struct bh_error **err);

static int copy_subdir(int sdir, int ddir, const char *name, unsigned depth, struct copyup *cu,
		       struct bh_error **err)
{
	struct stat st;
	int s, d, r;

	if (depth >= COPYUP_MAX_DEPTH)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "tmpcopyup: %s is more than %d directories deep", cu->path,
				    COPYUP_MAX_DEPTH);
	s = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0)
		return bh_error_sys(err, errno, "tmpcopyup: opening %s", cu->path);
	if (fstat(s, &st) < 0 || st.st_dev != cu->dev) {
		close(s);
		return bh_error_set(err, BH_ERR_UNSAFE, "tmpcopyup: %s changed while it was copied",
				    cu->path);
	}
	if (mkdirat(ddir, name, 0700) < 0) {
		close(s);
		return bh_error_sys(err, errno, "tmpcopyup: creating %s", cu->path);
	}
	d = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0) {
		close(s);
		return bh_error_sys(err, errno, "tmpcopyup: opening the copy of %s", cu->path);
	}
	r = copy_dir(s, d, &st, depth + 1, true, cu, err);
	close(d);
	return r;
}

static int copy_entry(int sdir, int ddir, const char *name, unsigned depth, struct copyup *cu,
		      struct bh_error **err)
{
	struct stat st;

	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0; /* gone meanwhile */
		return bh_error_sys(err, errno, "tmpcopyup: %s", cu->path);
	}
	if (st.st_dev != cu->dev) {
		bh_debug("tmpcopyup %s: another file system is mounted there, not copied",
			 cu->path);
		return 0;
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFREG: return copy_file(sdir, ddir, name, cu, err);
	case S_IFDIR: return copy_subdir(sdir, ddir, name, depth, cu, err);
	case S_IFLNK: return copy_symlink(sdir, ddir, name, &st, cu, err);
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO: return copy_node(ddir, name, &st, cu, err);
	default: bh_debug("tmpcopyup %s: a socket, not copied", cu->path); return 0;
	}
}

/* Copy the entries of directory s (owned: closed here) into d, then st's metadata if meta. */
static int copy_dir(int s, int d, const struct stat *st, unsigned depth, bool meta,
		    struct copyup *cu, struct bh_error **err)
{
	DIR *dir = fdopendir(s);
	struct dirent *de;
	int r = -1;

	if (!dir) {
		close(s);
		return bh_error_sys(err, errno, "tmpcopyup: reading %s", cu->path);
	}
	for (;;) {
		size_t plen = cu->plen;
		int x;

		errno = 0;
		de = readdir(dir);
		if (!de) {
			if (errno) {
				bh_error_sys(err, errno, "tmpcopyup: reading %s", cu->path);
				goto out;
			}
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (++cu->entries > COPYUP_MAX_ENTRIES) {
			bh_error_set(err, BH_ERR_LIMIT, "tmpcopyup: more than %d entries to copy",
				     COPYUP_MAX_ENTRIES);
			goto out;
		}
		copyup_push(cu, de->d_name);
		x = copy_entry(dirfd(dir), d, de->d_name, depth, cu, err);
		copyup_pop(cu, plen);
		if (x < 0)
			goto out;
	}
	r = meta ? copy_meta(dirfd(dir), d, st, cu, err) : 0;
out:
	closedir(dir);
	return r;
}

int rt_copyup(int s, int d, const struct stat *st, const char *what, bool meta, size_t *entries,
	      struct bh_error **err)
{
	struct copyup *cu = bh_calloc(1, sizeof(*cu));
	int r;

	cu->dev = st->st_dev;
	copyup_push(cu, what[0] == '/' ? what + 1 : what);
	r = copy_dir(s, d, st, 0, meta, cu, err);
	*entries = cu->entries;
	free(cu);
	return r;
}
