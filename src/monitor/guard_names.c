/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Another name of an executed file under the prefixes block rules name
 * (bh_guard_policy.deny_exec_prefixes; guard_decide.c asks for a file with
 * more than one link whose name used is under none of them): a walk of what
 * is under each prefix, inside the container's root, bounded in entries and
 * depth, symbolic links not followed, the file found by its identity
 * (device, inode).
 *
 * Each container keeps its walks' answers (struct grd_names): a name found,
 * checked again by one lookup of it before it is used; none found, kept with
 * the identity and stamps (mtime, ctime) of every directory the walk read (or
 * the absence of a prefix's directory), checked again by one lookup and fstat
 * each: any entry added, removed or renamed in one changes its directory's
 * stamps, and a new link of the file its ctime and link count, both parts of
 * the key. A walk stopped at a bound, or unsure, is not kept. The answers
 * kept hold at most GRD_NAMES_CACHE_BYTES of heap between them (the least
 * recently used go first; one larger alone is not kept). Walks are paid from
 * a budget of entries per second per container (a token bucket holding one
 * second's worth); a walk the budget cannot pay for in full is -2, which the
 * guard refuses whatever its fail mode: the container spends its own budget,
 * so an unsure answer there must not be one it can turn into an allow.
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

/* A directory a "none found" answer read: its identity and stamps then (or the
 * absence of a prefix's directory). */
struct names_dir {
	char *path; /* in the container's root */
	bool absent;
	uint64_t dev, ino;
	struct timespec mtim, ctim;
};

/* One kept answer: the file (its key) and what the answer depends on. */
struct names_ans {
	uint64_t dev, ino, nlink;
	struct timespec ctime;
	uint64_t used; /* the cache's tick at its last use (the least recent goes) */
	char *found;   /* the name found, or NULL: none */
	struct names_dir *dirs;
	size_t ndirs;
	size_t bytes; /* heap it holds (found, dirs and their paths) */
};

struct grd_names {
	struct names_ans ans[GRD_NAMES_CACHE];
	size_t n;
	size_t bytes; /* the answers' heap, at most GRD_NAMES_CACHE_BYTES */
	uint64_t tick;
	uint64_t budget;  /* entries per second */
	uint64_t tokens;  /* entries the next walks may read */
	uint64_t last_ns; /* the tokens' last refill */
	struct grd_names_stats st;
};

struct names_walk {
	uint64_t dev, ino;
	unsigned left; /* entries still to read (every one counts, matching or not) */
	bool unsure;   /* a bound was reached, or a directory changed or failed meanwhile */
	struct names_dir *dirs; /* the directories read (NULL: not recorded) */
	size_t ndirs;
	bool dirs_over; /* more than GRD_NAMES_CACHE_DIRS: the answer is not kept */
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
	if (wk->dirs && wk->ndirs == GRD_NAMES_CACHE_DIRS) {
		wk->dirs_over = true;
	} else if (wk->dirs) {
		struct names_dir *nd = &wk->dirs[wk->ndirs++];

		nd->path = bh_asprintf("%.*s", (int)plen, plen ? wk->path : "/");
		nd->absent = false;
		nd->dev = (uint64_t)before.st_dev;
		nd->ino = (uint64_t)before.st_ino;
		nd->mtim = before.st_mtim;
		nd->ctim = before.st_ctim;
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

/* The look over every prefix (wk: the file, the bound, maybe dirs to record). */
static int find(struct names_walk *wk, int rootfd, const char *const *prefixes, char *out,
		size_t outsz)
{
	for (size_t i = 0; prefixes && prefixes[i]; i++) {
		const char *pre = prefixes[i], *slash = strrchr(pre, '/');
		size_t dl;
		int dfd;

		if (!slash || pre[0] != '/')
			continue;
		dl = (size_t)(slash - pre);
		/* the directory the prefix ends in, and its last part's start */
		snprintf(wk->path, sizeof(wk->path), "%.*s", (int)dl, pre);
		dfd = bh_root_openat(rootfd, dl ? wk->path : "/",
				     O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, NULL);
		if (dfd < 0) {
			if (errno != ENOENT && errno != ENOTDIR)
				wk->unsure = true;
			else if (wk->dirs && wk->ndirs == GRD_NAMES_CACHE_DIRS)
				wk->dirs_over = true;
			else if (wk->dirs)
				wk->dirs[wk->ndirs++] =
					(struct names_dir){ .path = bh_strdup(dl ? wk->path : "/"),
							    .absent = true };
			continue; /* not in this container */
		}
		if (walk(wk, dfd, dl, slash[1] ? slash + 1 : NULL, 0)) {
			snprintf(out, outsz, "%s", wk->path);
			return 1;
		}
	}
	return wk->unsure ? -1 : 0;
}

int grd_find_name(int rootfd, const char *const *prefixes, uint64_t dev, uint64_t ino,
		  unsigned max_entries, char *out, size_t outsz)
{
	struct names_walk wk = { .dev = dev, .ino = ino, .left = max_entries };

	return find(&wk, rootfd, prefixes, out, outsz);
}

/* ---- the per-container memory and budget ---------------------------------------------- */

static void dirs_free(struct names_dir *dirs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(dirs[i].path);
	free(dirs);
}

static void ans_clear(struct grd_names *c, struct names_ans *a)
{
	c->bytes -= a->bytes;
	free(a->found);
	dirs_free(a->dirs, a->ndirs);
	memset(a, 0, sizeof(*a));
}

struct grd_names *grd_names_new(unsigned budget)
{
	struct grd_names *c = bh_calloc(1, sizeof(*c));

	c->budget = budget;
	c->tokens = budget;
	return c;
}

void grd_names_free(struct grd_names *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		ans_clear(c, &c->ans[i]);
	free(c);
}

void grd_names_get_stats(const struct grd_names *c, struct grd_names_stats *out)
{
	*out = c ? c->st : (struct grd_names_stats){ 0 };
	if (c)
		out->bytes = c->bytes;
}

/* Whether directory d is as the answer saw it: the same identity and stamps
 * (or still absent). */
static bool dir_same(int rootfd, const struct names_dir *d)
{
	struct stat st;
	int fd = bh_root_openat(rootfd, d->path, O_PATH | O_DIRECTORY, 0, NULL);
	bool same;

	if (fd < 0)
		return d->absent && (errno == ENOENT || errno == ENOTDIR);
	same = !d->absent && fstat(fd, &st) == 0 && (uint64_t)st.st_dev == d->dev &&
	       (uint64_t)st.st_ino == d->ino && ts_eq(&st.st_mtim, &d->mtim) &&
	       ts_eq(&st.st_ctim, &d->ctim);
	close(fd);
	return same;
}

/* Whether kept answer a still holds for rootfd's tree. */
static bool ans_valid(int rootfd, const struct names_ans *a)
{
	struct stat st;
	int fd;
	bool same;

	if (!a->found) {
		for (size_t i = 0; i < a->ndirs; i++)
			if (!dir_same(rootfd, &a->dirs[i]))
				return false;
		return true;
	}
	/* the name found still names the file (not a link to it) */
	fd = bh_root_openat(rootfd, a->found, O_PATH | O_NOFOLLOW, 0, NULL);
	if (fd < 0)
		return false;
	same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_dev == a->dev &&
	       (uint64_t)st.st_ino == a->ino;
	close(fd);
	return same;
}

static void refill(struct grd_names *c, uint64_t now_ns)
{
	uint64_t add;

	if (now_ns <= c->last_ns)
		return;
	/* whole seconds first: no overflow after a long idle time */
	add = (now_ns - c->last_ns) >= 1000000000ull
		      ? c->budget
		      : (now_ns - c->last_ns) * c->budget / 1000000000ull;
	if (!add)
		return; /* too soon for one entry: the time is kept for later */
	c->tokens = c->tokens + add > c->budget ? c->budget : c->tokens + add;
	c->last_ns = now_ns;
}

static void pay(struct grd_names *c, uint64_t n)
{
	c->tokens = n > c->tokens ? 0 : c->tokens - n;
}

/* Drop kept answer i (the last one takes its place). */
static void ans_drop(struct grd_names *c, size_t i)
{
	ans_clear(c, &c->ans[i]);
	c->ans[i] = c->ans[--c->n];
	memset(&c->ans[c->n], 0, sizeof(c->ans[c->n]));
}

/* Keep the answer of wk's walk for f (r: 1, out the name found; 0, none, wk's
 * directories taken): the least recently used answers go while the table is
 * full or the bytes would pass GRD_NAMES_CACHE_BYTES; an answer larger than
 * that alone is not kept. */
static void keep(struct grd_names *c, const struct grd_names_file *f, int r, const char *out,
		 struct names_walk *wk)
{
	struct names_ans *a;
	size_t bytes = 0;

	if (r > 0) {
		dirs_free(wk->dirs, wk->ndirs);
		wk->dirs = NULL;
		wk->ndirs = 0;
		bytes = strlen(out) + 1;
	} else {
		bytes = wk->ndirs * sizeof(*wk->dirs);
		for (size_t i = 0; i < wk->ndirs; i++)
			bytes += strlen(wk->dirs[i].path) + 1;
	}
	if (bytes > GRD_NAMES_CACHE_BYTES) {
		c->st.dropped++;
		dirs_free(wk->dirs, wk->ndirs);
		return;
	}
	while (c->n && (c->n == GRD_NAMES_CACHE || c->bytes + bytes > GRD_NAMES_CACHE_BYTES)) {
		size_t lru = 0;

		for (size_t i = 1; i < c->n; i++)
			if (c->ans[i].used < c->ans[lru].used)
				lru = i;
		ans_drop(c, lru);
		c->st.dropped++;
	}
	a = &c->ans[c->n++];
	a->dev = f->dev;
	a->ino = f->ino;
	a->nlink = f->nlink;
	a->ctime = f->ctime;
	a->used = c->tick;
	a->bytes = bytes;
	c->bytes += bytes;
	if (r > 0) {
		a->found = bh_strdup(out);
	} else if (wk->ndirs) {
		/* the walk's room for GRD_NAMES_CACHE_DIRS, down to what it used */
		a->dirs = bh_reallocarray(wk->dirs, wk->ndirs, sizeof(*wk->dirs));
		a->ndirs = wk->ndirs;
	} else {
		free(wk->dirs);
	}
}

int grd_names_find(struct grd_names *c, int rootfd, const char *const *prefixes,
		   const struct grd_names_file *f, uint64_t now_ns, char *out, size_t outsz)
{
	struct names_walk wk = { .dev = f->dev, .ino = f->ino };
	unsigned max;
	int r;

	refill(c, now_ns);
	c->tick++;
	for (size_t i = 0; i < c->n; i++) {
		struct names_ans *k = &c->ans[i];

		if (k->dev != f->dev || k->ino != f->ino)
			continue;
		if (k->nlink == f->nlink && ts_eq(&k->ctime, &f->ctime)) {
			pay(c, k->found ? 1 : k->ndirs);
			if (ans_valid(rootfd, k)) {
				k->used = c->tick;
				c->st.hits++;
				if (!k->found)
					return 0;
				snprintf(out, outsz, "%s", k->found);
				return 1;
			}
		}
		c->st.stale++;
		ans_drop(c, i); /* replaced by this walk's answer, or gone */
		break;
	}
	max = c->tokens < GRD_NAMES_ENTRIES ? (unsigned)c->tokens : GRD_NAMES_ENTRIES;
	if (!max) {
		c->st.over_budget++;
		return -2; /* no walk: the budget is spent */
	}
	wk.left = max;
	wk.dirs = bh_calloc(GRD_NAMES_CACHE_DIRS, sizeof(*wk.dirs));
	c->st.walks++;
	r = find(&wk, rootfd, prefixes, out, outsz);
	pay(c, max - wk.left);
	if (r < 0 || (r == 0 && wk.dirs_over)) {
		dirs_free(wk.dirs, wk.ndirs);
		if (r < 0 && max < GRD_NAMES_ENTRIES && !wk.left) {
			c->st.over_budget++; /* stopped by what the budget left */
			return -2;
		}
		return r;
	}
	keep(c, f, r, out, &wk);
	return r;
}
