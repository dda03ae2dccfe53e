/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Another name of an executed file under the prefixes block rules name
 * (bh_guard_policy.deny_exec_prefixes; guard_decide.c asks for a file with
 * more than one link whose name used is under none of them): a walk of what
 * is under each prefix, inside the container's root, bounded in entries and
 * depth, symbolic links not followed, the file found by its identity
 * (device, inode).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "monitor/guard_internal.h"
#include "banned.h"

struct names_walk {
	uint64_t dev, ino;
	unsigned left; /* entries still to read (every one counts, matching or not) */
	bool unsure;   /* a bound was reached, or a directory changed or failed meanwhile */
	char path[PATH_MAX];
};

static bool ts_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static bool ts_ge(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

/* A directory's stamps before its read: one changed in the clock's current tick
 * could change again in it unseen (same stamps): unsure. */
static bool dir_stamps(int dfd, struct stat *st)
{
	struct timespec now;

	if (fstat(dfd, st) < 0 || clock_gettime(CLOCK_REALTIME_COARSE, &now) < 0)
		return false;
	return !ts_ge(&st->st_mtim, &now) && !ts_ge(&st->st_ctim, &now);
}

/* Walk dir (an fd taken: closed here) named wk->path[0..plen): each entry whose
 * name starts with first (NULL: every one), and everything below those. 1 when
 * the file was found (wk->path is its name), else 0 (wk->unsure: maybe missed). */
static int walk(struct names_walk *wk, int dfd, size_t plen, const char *first, unsigned depth)
{
	size_t flen = first ? strlen(first) : 0;
	struct stat before, after;
	struct dirent *de;
	DIR *d;
	int found = 0;

	if (!dir_stamps(dfd, &before)) {
		wk->unsure = true;
		close(dfd);
		return 0;
	}
	d = fdopendir(dfd);
	if (!d) {
		wk->unsure = true;
		close(dfd);
		return 0;
	}
	errno = 0;
	while (!found && (de = readdir(d))) {
		const char *n = de->d_name;
		size_t nl = strlen(n);
		struct stat st;

		if (!wk->left) {
			wk->unsure = true;
			break;
		}
		wk->left--; /* every entry read, whatever its name */
		if (!strcmp(n, ".") || !strcmp(n, "..") || (first && strncmp(n, first, flen)))
			continue;
		/* neither a file nor a directory: no stat */
		if (de->d_type != DT_UNKNOWN && de->d_type != DT_REG && de->d_type != DT_DIR)
			continue;
		if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			wk->unsure = true; /* gone or swapped meanwhile */
			continue;
		}
		/* a hard link does not cross file systems: /proc, volumes, FUSE
		 * mounted below are not walked */
		if ((uint64_t)st.st_dev != wk->dev)
			continue;
		if (plen + 1 + nl >= sizeof(wk->path)) {
			wk->unsure = true;
			continue;
		}
		wk->path[plen] = '/';
		memcpy(wk->path + plen + 1, n, nl + 1);
		if (S_ISREG(st.st_mode) && (uint64_t)st.st_ino == wk->ino) {
			found = 1;
		} else if (S_ISDIR(st.st_mode)) {
			int sub;

			if (depth >= GRD_NAMES_DEPTH) {
				wk->unsure = true;
				continue;
			}
			sub = openat(dirfd(d), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				wk->unsure = true; /* ELOOP: swapped for a link meanwhile */
			else
				found = walk(wk, sub, plen + 1 + nl, NULL, depth + 1);
		}
		errno = 0;
	}
	if (!found && !wk->unsure) {
		/* a read error, or an entry renamed or added while read: readdir
		 * may have missed one */
		if (errno || fstat(dirfd(d), &after) < 0 ||
		    !ts_eq(&before.st_mtim, &after.st_mtim) ||
		    !ts_eq(&before.st_ctim, &after.st_ctim))
			wk->unsure = true;
	}
	closedir(d);
	if (!found)
		wk->path[plen] = 0;
	return found;
}

int grd_find_name(int rootfd, const char *const *prefixes, uint64_t dev, uint64_t ino,
		  unsigned max_entries, char *out, size_t outsz)
{
	struct names_walk wk = { .dev = dev, .ino = ino, .left = max_entries };

	for (size_t i = 0; prefixes && prefixes[i]; i++) {
		const char *pre = prefixes[i], *slash = strrchr(pre, '/');
		size_t dl;
		int dfd;

		if (!slash || pre[0] != '/')
			continue;
		dl = (size_t)(slash - pre);
		/* the directory the prefix ends in, and its last part's start */
		snprintf(wk.path, sizeof(wk.path), "%.*s", (int)dl, pre);
		dfd = bh_root_openat(rootfd, dl ? wk.path : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC,
				     0, NULL);
		if (dfd < 0) {
			if (errno != ENOENT && errno != ENOTDIR)
				wk.unsure = true;
			continue; /* not in this container */
		}
		if (walk(&wk, dfd, dl, slash[1] ? slash + 1 : NULL, 0)) {
			snprintf(out, outsz, "%s", wk.path);
			return 1;
		}
	}
	return wk.unsure ? -1 : 0;
}
