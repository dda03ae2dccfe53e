/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exec and open blocking with fanotify permission events (include/bulkhead/guard.h).
 *
 * Marks: every mount of a watched container's mount namespace (its init's
 * /proc/PID/mountinfo, each mount point opened through /proc/PID/root with
 * openat2 RESOLVE_IN_ROOT, checked to be that mount by statx's mount id) gets a
 * FAN_MARK_MOUNT mark for FAN_OPEN_EXEC_PERM. A mount mark, not a filesystem
 * mark: a bulkhead or runc container's root is a bind mount of a directory of
 * the host's file system, whose filesystem mark would stop every exec of the
 * host; the overlay of an engine's container is its own superblock, and its
 * mount in the container's namespace is the one that sees the execs. The
 * files of deny_open get inode marks for FAN_OPEN_PERM, and their
 * directories marks for their children's (FAN_EVENT_ON_CHILD): a file made
 * later, or renamed over the named one (a new inode), asks from its first
 * open on; the other files of those directories are allowed at once.
 * The group reports the thread that asked (FAN_REPORT_TID, where the kernel
 * has it): its own /proc/TID/syscall says the open's flags. memfd
 * execution is not seen: fanotify refuses marks on the kernel's internal shm
 * mount (EINVAL, mount and filesystem marks alike), so fileless execution
 * is for the exec tracepoint of the event pipeline, which can then kill the
 * process (bh_guard_kill).
 *
 * An event is attributed by the mount id of its fd (statx STATX_MNT_ID): the
 * mounts of a mount namespace are its own objects, so the id names the
 * container. Events of mounts nobody watches are answered allow at once.
 *
 * Zero-drift, for each exec: the file came from the image unless it lives
 * on a tmpfs (nothing there is from the image), is present in
 * the overlay's upperdir (written or copied up, in this or an earlier run),
 * or its ctime is after the container's start (CLOCK_BOOTTIME of the init's
 * start, turned to real time).
 *
 * Every permission event is answered: the decision's failures (the path not
 * readable, statx failing) answer allow, or deny with fail_closed, counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/containers.h"
#include "bulkhead/guard.h"
#include "monitor/guard_internal.h"
#include "monitor/guard_struct.h"
#include "banned.h"

/* Whether two NULL-ended string lists are the same. */
static bool strv_same(char *const *a, char *const *b)
{
	size_t i = 0;

	for (; a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return !a[i] && !b[i];
}

/* The real time of a start time in clock ticks after boot. */
static struct timespec ticks_to_real(uint64_t ticks)
{
	struct timespec rt, bt, out;
	long hz = sysconf(_SC_CLK_TCK);
	int64_t boot_ns, start_ns;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	boot_ns = ((int64_t)rt.tv_sec - bt.tv_sec) * 1000000000 + (rt.tv_nsec - bt.tv_nsec);
	start_ns = boot_ns + (int64_t)(ticks * (1000000000u / (uint64_t)(hz > 0 ? hz : 100)));
	out.tv_sec = start_ns / 1000000000;
	out.tv_nsec = start_ns % 1000000000;
	return out;
}

/* ---- the group ------------------------------------------------------------------------ */

int bh_guard_open(const struct bh_guard_opts *opts, struct bh_guard **out, struct bh_error **err)
{
	struct bh_guard *g;
	unsigned flags = FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK;
	int fd;

	/* the thread that asked (its own /proc/TID/syscall), where the kernel has it */
	fd = fanotify_init(flags | FAN_REPORT_TID | FAN_ENABLE_AUDIT,
			   O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (fd < 0 && (errno == EPERM || errno == EINVAL))
		fd = fanotify_init(flags | FAN_REPORT_TID, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	else if (fd >= 0)
		flags |= FAN_ENABLE_AUDIT;
	if (fd >= 0)
		flags |= FAN_REPORT_TID;
	if (fd < 0 && errno == EINVAL) {
		fd = fanotify_init(flags, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	}
	if (fd < 0)
		return errno == EPERM ? bh_error_set(err, BH_ERR_UNSUPPORTED,
						     "fanotify permission events need "
						     "CAP_SYS_ADMIN in the host's user namespace")
				      : bh_error_sys(err, errno, "fanotify_init");
	g = bh_calloc(1, sizeof(*g));
	g->fd = fd;
	g->audit = flags & FAN_ENABLE_AUDIT;
	g->tid = flags & FAN_REPORT_TID;
	if (opts)
		g->o = *opts;
	g->root = bh_strdup(opts && opts->root && strcmp(opts->root, "/") ? opts->root : "");
	g->o.root = g->root;
	g->by_mnt = bh_map_new();
	g->irefs = bh_map_new();
	g->buf = bh_malloc(GRD_READ_BUF);
	*out = g;
	return 0;
}

int bh_guard_fd(const struct bh_guard *g)
{
	return g->fd;
}

void bh_guard_get_stats(const struct bh_guard *g, struct bh_guard_stats *out)
{
	*out = g->st;
}

static void imark_free(void *v)
{
	struct grd_imark *im = v;

	close(im->fd);
	free(im);
}

static void ident_free(void *v)
{
	struct grd_ident *id = v;

	close(id->fd);
	free(id->path);
	free(id);
}

static void watch_free(struct grd_watch *w)
{
	if (!w)
		return;
	bh_map_free(w->imarks, imark_free);
	bh_map_free(w->ident, ident_free);
	bh_strvec_release(&w->dir_warned);
	for (size_t i = 0; i < w->nm; i++) {
		free(w->m[i].point);
		if (w->m[i].upperfd >= 0)
			close(w->m[i].upperfd);
	}
	free(w->m);
	bh_strv_free(w->allow_exec);
	bh_strv_free(w->deny_open);
	bh_strv_free(w->deny_exec_prefixes);
	if (w->rootfd >= 0)
		close(w->rootfd);
	grd_names_free(w->names);
	free(w->id);
	free(w);
}

void bh_guard_free(struct bh_guard *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nw; i++)
		watch_free(g->w[i]);
	free(g->w);
	bh_map_free(g->by_mnt, NULL);
	bh_map_free(g->irefs, NULL);
	if (g->fd >= 0)
		close(g->fd);
	free(g->buf);
	free(g->root);
	free(g);
}

static int mount_id_of(int fd, uint64_t *id)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0)
		return -1;
	if (!(sx.stx_mask & STATX_MNT_ID)) {
		errno = ENOSYS;
		return -1;
	}
	*id = sx.stx_mnt_id;
	return 0;
}

static int mark_fd(struct bh_guard *g, unsigned flags, uint64_t mask, int fd)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	return fanotify_mark(g->fd, flags, mask, AT_FDCWD, p);
}

int grd_ikey_of(int fd, struct grd_ikey *k)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	k->dev = (uint64_t)st.st_dev;
	k->ino = (uint64_t)st.st_ino;
	return 0;
}

/*
 * Mark the inode of fd for w (mask): a mark is the group's, one per inode,
 * so the watches marking an inode are counted (two containers sharing a
 * directory of the host, or a watch replaced by the next) and it is removed
 * with the last (inode_unmark_all).
 */
static int inode_mark(struct bh_guard *g, struct grd_watch *w, int fd, uint64_t mask)
{
	struct grd_ikey k;
	struct grd_imark *im;
	uintptr_t refs;
	char p[64];

	if (grd_ikey_of(fd, &k) < 0)
		return -1;
	if (mark_fd(g, FAN_MARK_ADD, mask, fd) < 0)
		return -1;
	if (w->imarks && (im = bh_map_get(w->imarks, (const char *)&k, sizeof(k)))) {
		im->mask |= mask;
		return 0;
	}
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	im = bh_calloc(1, sizeof(*im));
	im->fd = open(p, O_PATH | O_CLOEXEC);
	if (im->fd < 0) {
		int e = errno;

		/* untracked, it could not be removed: not left behind (EMFILE) */
		if (!bh_map_get(g->irefs, (const char *)&k, sizeof(k)))
			mark_fd(g, FAN_MARK_REMOVE, mask, fd);
		free(im);
		errno = e;
		return -1;
	}
	im->mask = mask;
	if (!w->imarks)
		w->imarks = bh_map_new();
	bh_map_put(w->imarks, (const char *)&k, sizeof(k), im);
	refs = (uintptr_t)bh_map_get(g->irefs, (const char *)&k, sizeof(k));
	bh_map_put(g->irefs, (const char *)&k, sizeof(k), (void *)(refs + 1));
	return 0;
}

/* Drop w's inode marks: each inode's mark goes with the last watch marking it. */
static void inode_unmark_all(struct bh_guard *g, struct grd_watch *w)
{
	const char *key;
	size_t pos = 0, klen;
	void *v;

	while (w->imarks && bh_map_next(w->imarks, &pos, &key, &klen, &v)) {
		struct grd_imark *im = v;
		uintptr_t refs = (uintptr_t)bh_map_get(g->irefs, key, klen);

		if (refs > 1) {
			bh_map_put(g->irefs, key, klen, (void *)(refs - 1));
			continue;
		}
		bh_map_del(g->irefs, key, klen);
		mark_fd(g, FAN_MARK_REMOVE, im->mask, im->fd);
	}
	bh_map_free(w->imarks, imark_free);
	w->imarks = NULL;
}

/* Know the file of fd as `path` for w (a blocked file: its hard links, its
 * new names and those of its directories are decided as that path). 0 when
 * known (now or before), -1 when not (the table full: ENOSPC, or fd's error). */
int grd_ident_add(struct grd_watch *w, int fd, const char *path)
{
	struct grd_ikey k;
	struct grd_ident *id;
	char p[64];

	if (grd_ikey_of(fd, &k) < 0)
		return -1;
	if (w->ident && bh_map_get(w->ident, (const char *)&k, sizeof(k)))
		return 0;
	if (w->ident && bh_map_size(w->ident) >= GRD_MAX_IDENTS) {
		errno = ENOSPC;
		return -1; /* bounded: the path still decides */
	}
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	id = bh_calloc(1, sizeof(*id));
	id->fd = open(p, O_PATH | O_CLOEXEC);
	if (id->fd < 0) {
		free(id);
		return -1;
	}
	id->path = bh_strdup(path);
	if (!w->ident)
		w->ident = bh_map_new();
	bh_map_put(w->ident, (const char *)&k, sizeof(k), id);
	return 0;
}

/* The usual directories of programs, where deny_exec_names are looked for. */
static const char *const bin_dirs[] = { "/bin",	     "/sbin",	       "/usr/bin",
					"/usr/sbin", "/usr/local/bin", "/usr/local/sbin",
					NULL };

/* Know one executable at path (a regular file with one link, the last component
 * not followed) for w. 0 known or absent, -1 ENOSPC (full), 1 not known: it has
 * other links (busybox: every applet would be refused as it). */
static int exec_ident(struct grd_watch *w, int rootfd, const char *path)
{
	struct stat st;
	char link[64], real[PATH_MAX];
	int fd = bh_root_openat(rootfd, path, O_PATH | O_NOFOLLOW, 0, NULL), r = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	/* known by the name its execs are reported by (the same readlink as
	 * grd_decide's): /bin/dash on a merged-usr image is /usr/bin/dash */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, real, sizeof(real) - 1);
	if (n > 0) {
		real[n] = 0;
		path = real;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if (st.st_nlink != 1)
			r = 1;
		else if (grd_ident_add(w, fd, path) < 0 && errno == ENOSPC)
			r = -1;
	}
	close(fd);
	return r;
}

/* Know p's deny_exec and deny_exec_names for w; the count not known (the table full). */
static unsigned exec_idents(struct grd_watch *w, int rootfd, const struct bh_guard_policy *p)
{
	unsigned full = 0;

	/* the table full: the rest not looked for (each counted) */
	for (size_t i = 0; p->deny_exec && p->deny_exec[i]; i++) {
		const char *f = p->deny_exec[i];
		int r = f[0] != '/' ? 0 : full ? -1 : exec_ident(w, rootfd, f);

		if (r < 0)
			full++;
		/* said once per container (kept across its watches) */
		if (r > 0 && !bh_strv_contains(w->dir_warned.v, f)) {
			bh_warn("guard: container %s: %s has other links: not known by its "
				"identity (its other names are decided by their own)",
				w->id, f);
			bh_strvec_push(&w->dir_warned, f);
		}
	}
	for (size_t i = 0; p->deny_exec_names && p->deny_exec_names[i]; i++) {
		const char *n = p->deny_exec_names[i];

		if (!*n || strchr(n, '/') || strlen(n) > NAME_MAX)
			continue;
		if (full) {
			full++;
			continue;
		}
		for (size_t d = 0; bin_dirs[d] && !full; d++) {
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "%s/%s", bin_dirs[d], n);
			if (exec_ident(w, rootfd, path) < 0)
				full++;
		}
	}
	return full;
}

/*
 * The marks of deny_open's path: its directory for its children's opens
 * (FAN_EVENT_ON_CHILD: a file made there later, or put there by a rename over
 * the named one, a new inode, asks from its first open on; the decision keeps
 * only the named path), and the file itself while it exists (its inode: an
 * open through another of its mounts, a hard link, or after a rename of it or
 * of a directory above it asks too, and is decided as the named path by its
 * identity). 0, or -1 with errno (ENOENT: neither exists in this container).
 * A directory that cannot be marked while the file is: 0, and *dir_errno says
 * why (the file is covered, not a file renamed over it).
 */
static int deny_marks(struct bh_guard *g, struct grd_watch *w, int rootfd, const char *path,
		      int *dir_errno)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int fd, r = 0, e = 0;

	*dir_errno = 0;
	if (slash) {
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
		fd = bh_root_openat(rootfd, dir, O_PATH | O_DIRECTORY, 0, NULL);
		if (fd < 0 || inode_mark(g, w, fd, FAN_OPEN_PERM | FAN_EVENT_ON_CHILD) < 0) {
			e = errno;
			r = -1;
		}
		if (fd >= 0)
			close(fd);
		if (r < 0 && e == ENOENT) {
			errno = ENOENT;
			return -1; /* nor the file */
		}
	}
	fd = bh_root_openat(rootfd, path, O_PATH, 0, NULL);
	if (fd < 0) {
		if (errno != ENOENT || !slash)
			return -1;
		/* no file yet: its directory's mark covers it, or its failure is
		 * the error (never ENOENT, which says "not in this container") */
		errno = e;
		return r;
	}
	if (inode_mark(g, w, fd, FAN_OPEN_PERM) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	grd_ident_add(w, fd, path);
	close(fd);
	*dir_errno = r < 0 ? e : 0;
	return 0;
}

/* File systems nothing is executed from, never marked. */
static bool skip_fstype(const char *t)
{
	static const char *const skip[] = { "proc",    "sysfs",	      "cgroup",	    "cgroup2",
					    "devpts",  "mqueue",      "securityfs", "debugfs",
					    "tracefs", "bpf",	      "fusectl",    "configfs",
					    "pstore",  "binfmt_misc", NULL };

	for (size_t i = 0; skip[i]; i++)
		if (!strcmp(t, skip[i]))
			return true;
	return false;
}

struct collect {
	struct grd_watch *w;
	struct bh_guard *g;
	int rootfd;
	unsigned skipped;
};

static int collect_mount(const struct bh_guard_mount *mi, void *arg)
{
	struct collect *c = arg;
	struct grd_watch *w = c->w;
	struct grd_mount *m;
	struct statfs sf;
	uint64_t id = 0;
	int fd;

	if (skip_fstype(mi->fstype))
		return 0;
	if (w->nm >= GRD_MAX_MOUNTS)
		return 0;
	fd = bh_root_openat(c->rootfd, mi->point, O_PATH, 0, NULL);
	if (fd < 0 || mount_id_of(fd, &id) < 0 || id != mi->id) {
		/* over-mounted, or gone since the read */
		c->skipped++;
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (mark_fd(c->g, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN_EXEC_PERM, fd) < 0) {
		bh_log(BH_LOG_DEBUG, "guard: %s: mount %s (%s) not marked: %s", w->id, mi->point,
		       mi->fstype, strerror(errno));
		c->skipped++;
		close(fd);
		return 0;
	}
	w->m = bh_reallocarray(w->m, w->nm + 1, sizeof(*w->m));
	m = &w->m[w->nm++];
	m->id = id;
	m->point = bh_strdup(mi->point);
	m->tmpfs = fstatfs(fd, &sf) == 0 && ((unsigned long)sf.f_type == TMPFS_MAGIC_ ||
					     (unsigned long)sf.f_type == RAMFS_MAGIC_);
	m->upperfd = -1;
	if (mi->upperdir && !strcmp(mi->fstype, "overlay")) {
		char up[PATH_MAX];

		snprintf(up, sizeof(up), "%s%s", c->g->root, mi->upperdir);
		m->upperfd = open(up, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	m->w = w;
	close(fd);
	return 0;
}

static struct grd_watch *find_watch(struct bh_guard *g, const char *id, size_t *at)
{
	for (size_t i = 0; i < g->nw; i++)
		if (!strcmp(g->w[i]->id, id)) {
			if (at)
				*at = i;
			return g->w[i];
		}
	return NULL;
}

/*
 * Drop w's marks and its index rows: a mount's (through its init's root,
 * while it lives) unless another watch took it over (the watch replacing w,
 * marked first so no exec passes unasked in between); its inodes' with the
 * last watch marking them.
 */
static void watch_remove_marks(struct bh_guard *g, struct grd_watch *w)
{
	char path[PATH_MAX];
	uint64_t st = 0;
	int rootfd = -1;

	snprintf(path, sizeof(path), "%s/proc/%d/root", g->root, (int)w->pid);
	if (grd_read_start(g->root, w->pid, &st, NULL) == 0 && st == w->pid_start)
		rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; i < w->nm; i++) {
		void *owner = bh_map_get(g->by_mnt, (const char *)&w->m[i].id, 8);
		uint64_t id = 0;
		int fd;

		if (owner && owner != &w->m[i])
			continue; /* another watch's now */
		if (owner)
			bh_map_del(g->by_mnt, (const char *)&w->m[i].id, 8);
		if (rootfd < 0)
			continue; /* the mounts go with the container, and their marks */
		fd = bh_root_openat(rootfd, w->m[i].point, O_PATH, 0, NULL);
		if (fd >= 0 && mount_id_of(fd, &id) == 0 && id == w->m[i].id)
			mark_fd(g, FAN_MARK_REMOVE | FAN_MARK_MOUNT, FAN_OPEN_EXEC_PERM, fd);
		if (fd >= 0)
			close(fd);
	}
	if (rootfd >= 0)
		close(rootfd);
	inode_unmark_all(g, w);
}

int bh_guard_watch(struct bh_guard *g, const struct bh_ctr *c, const struct bh_guard_policy *p,
		   struct bh_error **err)
{
	struct grd_watch *w = NULL, *old;
	struct collect col = { 0 };
	struct bh_buf b = BH_BUF_INIT(4u << 20);
	char path[PATH_MAX];
	uint64_t st = 0;
	size_t at = 0;
	int r = -1;

	col.rootfd = -1;
	if (!p)
		return bh_error_set(err, BH_ERR_USAGE, "watch: no policy");
	if (!c || !c->id || c->pid <= 0)
		return bh_error_set(err, BH_ERR_USAGE, "container %s: not running",
				    c && c->id ? c->id : "?");
	if (g->nw >= GRD_MAX_WATCHES && !find_watch(g, c->id, NULL))
		return bh_error_set(err, BH_ERR_LIMIT, "more than %d containers watched",
				    GRD_MAX_WATCHES);
	if (grd_read_start(g->root, c->pid, &st, err) < 0)
		return bh_error_prefix(err, "container %s", c->id);
	if (c->pid_start && st != c->pid_start)
		return bh_error_set(err, BH_ERR_NOTFOUND,
				    "container %s: its init %d is gone (pid reused)", c->id,
				    (int)c->pid);
	w = bh_calloc(1, sizeof(*w));
	w->id = bh_strdup(c->id);
	w->pid = c->pid;
	w->pid_start = st;
	w->started = ticks_to_real(st);
	w->protect = p->protect;
	w->zero_drift = p->zero_drift;
	w->allow_exec = p->allow_exec ? bh_strv_dup((char *const *)p->allow_exec) : NULL;
	w->deny_open = p->deny_open ? bh_strv_dup((char *const *)p->deny_open) : NULL;
	w->deny_exec_prefixes =
		p->deny_exec_prefixes ? bh_strv_dup((char *const *)p->deny_exec_prefixes) : NULL;
	w->rootfd = -1;
	w->decide = p->decide;
	w->decide_arg = p->decide_arg;

	snprintf(path, sizeof(path), "%s/proc/%d/root", g->root, (int)c->pid);
	col.rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (col.rootfd < 0) {
		bh_error_sys(err, errno, "container %s: %s", c->id, path);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/proc/%d/mountinfo", g->root, (int)c->pid);
	if (bh_read_file(path, &b, err) < 0) {
		bh_error_prefix(err, "container %s", c->id);
		goto out;
	}
	/* the process read is still the init: its root and mounts are the container's */
	if (grd_read_start(g->root, c->pid, &st, err) < 0 || st != w->pid_start) {
		if (!err || !*err)
			bh_error_set(err, BH_ERR_NOTFOUND, "container %s: its init exited", c->id);
		goto out;
	}
	old = find_watch(g, c->id, &at);
	/* what the watch it replaces knew and warned of stays known */
	for (size_t i = 0; old && i < old->dir_warned.n; i++)
		bh_strvec_push(&w->dir_warned, old->dir_warned.v[i]);
	col.w = w;
	col.g = g;
	if (bh_guard_parse_mountinfo(b.data, b.len, collect_mount, &col, err) < 0) {
		bh_error_prefix(err, "container %s: %s", c->id, path);
		goto undo;
	}
	if (!w->nm) {
		bh_error_set(err, BH_ERR_UNSUPPORTED, "container %s: no mount could be marked",
			     c->id);
		goto undo;
	}
	for (size_t i = 0; w->deny_open && w->deny_open[i]; i++) {
		const char *f = w->deny_open[i];
		int de = 0;

		/* a file or directory that cannot be marked (e.g. under /proc) is
		 * said once, and the watch goes on: its execs and other files are
		 * still guarded */
		if (deny_marks(g, w, col.rootfd, f, &de) < 0 && errno != ENOENT) {
			if (!bh_strv_contains(w->dir_warned.v, f))
				bh_warn("guard: container %s: opens of %s are not refused "
					"before the call: it cannot be marked (%s)",
					c->id, f, strerror(errno));
		} else if (de && !bh_strv_contains(w->dir_warned.v, f)) {
			/* the file is marked, its directory not: a file renamed
			 * over it later is not covered */
			bh_warn("guard: container %s: %s is guarded, but not its directory "
				"(%s): a file put in its place later is not",
				c->id, f, strerror(de));
		} else {
			continue;
		}
		if (!bh_strv_contains(w->dir_warned.v, f))
			bh_strvec_push(&w->dir_warned, f);
	}
	/* the refused executables' identities, before the first exec */
	{
		unsigned full = exec_idents(w, col.rootfd, p);

		w->ident_full_warned = old && old->ident_full_warned;
		if (full && !w->ident_full_warned) {
			bh_warn("guard: container %s: %u refused executables are not known by "
				"their identity (the table holds %d): another name of them is "
				"decided by that name only",
				c->id, full, GRD_MAX_IDENTS);
			w->ident_full_warned = true;
		}
	}
	/* the root the prefixes' walk resolves in (held: the init's root even
	 * once the init is gone) */
	if (w->deny_exec_prefixes)
		w->rootfd = fcntl(col.rootfd, F_DUPFD_CLOEXEC, 0);
	w->names_warned = old && old->names_warned;
	w->names_spent_warned = old && old->names_spent_warned;
	/* the answers kept and the budget spent go on under the same prefixes (a
	 * kept answer is checked against the tree whatever root it is reached by) */
	if (w->deny_exec_prefixes && old && old->names &&
	    strv_same(w->deny_exec_prefixes, old->deny_exec_prefixes)) {
		w->names = old->names;
		old->names = NULL;
	} else if (w->deny_exec_prefixes) {
		w->names = grd_names_new(GRD_NAMES_BUDGET);
	}
	for (size_t i = 0; i < w->nm; i++)
		bh_map_put(g->by_mnt, (const char *)&w->m[i].id, 8, &w->m[i]);
	if (old) {
		/* marked before the old marks go: no window without them */
		if (old->ident) {
			const char *key;
			size_t pos = 0, klen;
			unsigned dropped = 0;
			void *v;

			if (!w->ident)
				w->ident = bh_map_new();

			while (bh_map_next(old->ident, &pos, &key, &klen, &v)) {
				if (bh_map_get(w->ident, key, klen)) {
					ident_free(v);
				} else if (bh_map_size(w->ident) < GRD_MAX_IDENTS) {
					bh_map_put(w->ident, key, klen, v);
				} else {
					dropped++;
					ident_free(v);
				}
			}
			if (dropped && !w->ident_full_warned) {
				bh_warn("guard: container %s: %u files refused before are no "
					"longer known by their identity (the table holds %d)",
					c->id, dropped, GRD_MAX_IDENTS);
				w->ident_full_warned = true;
			}
			bh_map_free(old->ident, NULL);
			old->ident = NULL;
		}
		watch_remove_marks(g, old);
		watch_free(old);
		g->w[at] = w;
	} else {
		g->w = bh_reallocarray(g->w, g->nw + 1, sizeof(*g->w));
		g->w[g->nw++] = w;
	}
	r = (int)w->nm;
	w = NULL;
	goto out;
undo:
	watch_remove_marks(g, w);
out:
	watch_free(w);
	if (col.rootfd >= 0)
		close(col.rootfd);
	bh_buf_release(&b);
	return r;
}

int bh_guard_unwatch(struct bh_guard *g, const char *id, struct bh_error **err)
{
	size_t at = 0;
	struct grd_watch *w = find_watch(g, id, &at);

	if (!w)
		return bh_error_set(err, BH_ERR_NOTFOUND, "container %s: not watched", id);
	watch_remove_marks(g, w);
	watch_free(w);
	g->w[at] = g->w[--g->nw];
	return 0;
}
