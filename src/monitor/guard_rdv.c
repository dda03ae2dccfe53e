// SPDX-License-Identifier: Apache-2.0
/*
 * The guard's rendezvous with a runtime's start (include/bulkhead/guard.h).
 * Every guard serves, in a directory of its own:
 *
 *   DIR/G/lock         write-locked (an OFD lock) by the guard G for its life (G:
 *                      "PID-N", its pid and a random part with a count: a name no
 *                      live guard shares, even in another pid namespace);
 *                      a runtime tests the lock (F_OFD_GETLK) without taking it
 *   DIR/G/req/PID-START  made by a runtime about to start that container's init
 *   DIR/G/ack/PID-START  made by G once a rescan after the request is done
 *   DIR/G/pid          "PID START NSDEV NSINO": G's process as its pid namespace
 *                      (device, inode of /proc/self/ns/pid) sees it, its start time
 *   DIR/G/missed       made by a runtime whose wait for G ran out; G removes it
 *                      when it reads its requests again (it is alive and serving)
 *
 * G is built as DIR/.G and renamed to DIR/G with its lock held, so a runtime or
 * another guard never sees a G whose lock is free but for a guard that is gone
 * (whose directory the next guard to open removes). A runtime asks every guard
 * that serves and waits for all (two monitors on a host: each watches the
 * container before its first exec), at most RDV_GUARDS (16) of them.
 * The guard's side is one inotify fd on its req/ (polled beside its fanotify
 * group); the runtime's side polls for the acks every 5 ms and stops waiting for
 * a guard as soon as its lock is free (it is gone).
 *
 * A guard that cannot answer is not waited for its whole time (a stopped
 * monitor would stall every start 5 s):
 *  - stopped: its process (the pid file, when the runtime shares its pid
 *    namespace and the start time matches) is in state T or t (SIGSTOP, a
 *    debugger's stop) or its cgroup2 is frozen (cgroup.events "frozen 1"):
 *    skipped at once, at every look (it may be stopped while waited for);
 *  - it missed its last rendezvous (its missed file): waited for at most
 *    RDV_MISSED_MS, until it reads its requests again. This covers what the
 *    first rule cannot see (a guard of another pid namespace, a cgroup v1
 *    freezer, a debugger stopping its serving thread only).
 * A live guard that is merely slow is still waited for its whole time (its
 * state is R, S or D, not frozen): a container that starts before a live
 * monitor watches it would escape attribution; only after it let one start
 * wait the whole time does it get the short wait, and it gets the whole
 * time again as soon as it serves. Each guard not waited for is named in the
 * error (its directory and pid, and why). Names are checked
 * ("digits-digits", bounded) before anything is made of them; the directories
 * are root's, 0700.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/guard.h"
#include "base/dir.h"
#include "banned.h"

#define RDV_NAME_MAX 48 /* "PID-START": 10 + 1 + 20 digits, and room */

struct bh_guard_rdv {
	char *dir; /* DIR/G */
	int lockfd, inofd, reqfd, ackfd, gfd;
};

#define RDV_GUARDS    16  /* guards a runtime asks at most */
#define RDV_MISSED_MS 100 /* the wait for a guard that missed its last rendezvous */

/* Lock (or, with test, only look at) the whole of fd: 1 held by another, 0 free/taken. */
static int ofd_lock(int fd, bool test)
{
	struct flock fl = { .l_type = test ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, test ? F_OFD_GETLK : F_OFD_SETLK, &fl) < 0)
		return errno == EAGAIN || errno == EACCES ? 1 : -1;
	return test && fl.l_type != F_UNLCK ? 1 : 0;
}

/* A request's name: 1-10 digits, '-', 1-20 digits. */
static bool name_ok(const char *s)
{
	size_t a = 0, b = 0;

	while (bh_isdigit(s[a]))
		a++;
	if (!a || a > 10 || s[a] != '-')
		return false;
	while (bh_isdigit(s[a + 1 + b]))
		b++;
	return b && b <= 20 && !s[a + 1 + b];
}

/* The rendezvous directory is its owner's alone (ours, not writable by
 * others): else anyone could plant guards that make every start wait. */
static bool dir_trusted(int dfd)
{
	struct stat st;

	return fstat(dfd, &st) == 0 && st.st_uid == geteuid() && !(st.st_mode & 022);
}

/* Remove every entry of the directory fd (regular files only are made here). */
static void empty_dir(int dfd)
{
	DIR *d = bh_opendir_at(dfd);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dfd, de->d_name, 0);
	closedir(d);
}

/* Remove a guard's directory (its entries: req/, ack/ and the lock). */
static void remove_guard(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0) {
		for (int i = 0; i < 2; i++) {
			const char *sub = i ? "ack" : "req";
			int sfd = openat(fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sfd >= 0) {
				empty_dir(sfd);
				close(sfd);
			}
			unlinkat(fd, sub, AT_REMOVEDIR);
		}
		unlinkat(fd, "lock", 0);
		unlinkat(fd, "pid", 0);
		unlinkat(fd, "missed", 0);
		close(fd);
	}
	unlinkat(dfd, name, AT_REMOVEDIR);
}

/* The device and inode of this process's pid namespace (0 when unknown). */
static void pidns_of(uint64_t *dev, uint64_t *ino)
{
	struct stat st;

	*dev = *ino = 0;
	if (stat("/proc/self/ns/pid", &st) == 0) {
		*dev = (uint64_t)st.st_dev;
		*ino = (uint64_t)st.st_ino;
	}
}

/* /proc/PID/stat's state (field 3) and start time (field 22); -1 when unread. */
static int proc_state(pid_t pid, char *state, uint64_t *start)
{
	char path[64], buf[1024], *p;
	unsigned long long st = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (bh_read_small(path, buf, sizeof(buf)) <= 0)
		return -1;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -1;
	*state = p[2];
	p += 2;
	for (int i = 0; i < 19 && p; i++) /* fields 3 to 22 */
		if ((p = strchr(p, ' ')))
			p++;
	if (!p || sscanf(p, "%llu", &st) != 1)
		return -1;
	*start = st;
	return 0;
}

/* G's pid file: its process as its own pid namespace sees it. */
static int write_pid(int gfd)
{
	uint64_t start = 0, dev, ino;
	char buf[128], state;
	int fd, n;
	bool ok;

	/* no start time: no pid file (a start of 0 would turn off the check
	 * that the pid is still that process); without one it is never
	 * skipped as stopped, only waited for */
	if (proc_state(getpid(), &state, &start) < 0 || !start)
		return 0;
	pidns_of(&dev, &ino);
	n = snprintf(buf, sizeof(buf), "%d %llu %llu %llu\n", (int)getpid(),
		     (unsigned long long)start, (unsigned long long)dev, (unsigned long long)ino);
	fd = openat(gfd, "pid", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ok = write(fd, buf, (size_t)n) == n;
	close(fd);
	return ok ? 0 : -1;
}

/* Is this cgroup2 path (of /proc/PID/cgroup's "0::" line) frozen? */
static bool cgroup_frozen(pid_t pid)
{
	char path[PATH_MAX], buf[4096], *l, *e;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (bh_read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	l = !strncmp(buf, "0::", 3) ? buf : strstr(buf, "\n0::");
	if (!l)
		return false;
	l += l == buf ? 3 : 4;
	e = strchr(l, '\n');
	if (e)
		*e = 0;
	if (*l != '/' || strstr(l, "/../"))
		return false;
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cgroup.events", l);
	if (bh_read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	return !strncmp(buf, "frozen 1", 8) || strstr(buf, "\nfrozen 1");
}

/*
 * Why the guard whose directory is gfd cannot answer now (its process stopped
 * or frozen), written to why; false when it may (or this runtime cannot tell:
 * another pid namespace, its pid reused). *pid: its pid, or 0 when unknown.
 */
static bool guard_stopped(int gfd, pid_t *pid, char *why, size_t whysz)
{
	unsigned long long start = 0, dev = 0, ino = 0;
	uint64_t mydev, myino, st = 0;
	char buf[128], state = 0;
	ssize_t n;
	int fd, p = 0;

	*pid = 0;
	fd = openat(gfd, "pid", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	if (sscanf(buf, "%d %llu %llu %llu", &p, &start, &dev, &ino) != 4 || p <= 0)
		return false;
	pidns_of(&mydev, &myino);
	if (!ino || dev != mydev || ino != myino)
		return false; /* its pid means another process here */
	*pid = (pid_t)p;
	if (!start || proc_state((pid_t)p, &state, &st) < 0 || st != start)
		return false; /* not that process (its lock says it lives) */
	if (state == 'T' || state == 't') {
		snprintf(why, whysz, "its process %d is stopped (state %c: a signal or a debugger)",
			 p, state);
		return true;
	}
	if (cgroup_frozen((pid_t)p)) {
		snprintf(why, whysz, "its process %d is frozen (its cgroup)", p);
		return true;
	}
	return false;
}

void bh_guard_rdv_free(struct bh_guard_rdv *r)
{
	if (!r)
		return;
	if (r->inofd >= 0)
		close(r->inofd);
	if (r->reqfd >= 0)
		close(r->reqfd);
	if (r->ackfd >= 0)
		close(r->ackfd);
	if (r->gfd >= 0)
		close(r->gfd);
	if (r->lockfd >= 0)
		close(r->lockfd); /* the lock goes with it */
	if (r->dir) {
		/* its directory: a runtime that looks now finds no lock, and no guard */
		char *slash = strrchr(r->dir, '/');
		int dfd;

		*slash = 0;
		dfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd >= 0) {
			remove_guard(dfd, slash + 1);
			close(dfd);
		}
	}
	free(r->dir);
	free(r);
}

/* The guards' directories under dfd whose lock is free: their guards are gone. */
static void sweep(int dfd)
{
	DIR *d = bh_opendir_at(dfd);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char lock[RDV_NAME_MAX + 8];
		int lk;

		if (strlen(de->d_name) >= RDV_NAME_MAX || !name_ok(de->d_name))
			continue;
		snprintf(lock, sizeof(lock), "%.*s/lock", RDV_NAME_MAX - 1, de->d_name);
		lk = openat(dfd, lock, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (lk < 0 || ofd_lock(lk, true) == 0)
			remove_guard(dfd, de->d_name);
		if (lk >= 0)
			close(lk);
	}
	closedir(d);
}

int bh_guard_rdv_open(const char *dir, struct bh_guard_rdv **out, struct bh_error **err)
{
	static atomic_uint seq;
	struct bh_guard_rdv *r = bh_calloc(1, sizeof(*r));
	char name[RDV_NAME_MAX], tmp[RDV_NAME_MAX + 1];
	char *p = NULL, *top = NULL;
	int dfd = -1, gfd = -1;

	*out = NULL;
	r->lockfd = r->inofd = r->reqfd = r->ackfd = r->gfd = -1;
	top = bh_strdup(dir ? dir : BH_GUARD_RDV_DIR);
	if (bh_mkdirs(top, 0755, 0700, err) < 0)
		goto fail;
	dfd = open(top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		bh_error_sys(err, errno, "%s", top);
		goto fail;
	}
	if (!dir_trusted(dfd)) {
		bh_error_set(err, BH_ERR_UNSAFE,
			     "%s: not owned by this user or writable by others: no guard serves "
			     "from it",
			     top);
		close(dfd);
		dfd = -1;
		goto fail;
	}
	sweep(dfd); /* the guards gone (their lock free), whatever their name */
	/* unique across pid namespaces sharing the directory: the pid, and a
	 * random part beside this process's sequence */
	{
		uint32_t rnd = 0;

		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
			rnd = (uint32_t)time(NULL);
		snprintf(name, sizeof(name), "%d-%llu", (int)getpid(),
			 ((unsigned long long)rnd << 16) | (atomic_fetch_add(&seq, 1) & 0xffffu));
	}
	snprintf(tmp, sizeof(tmp), ".%s", name);
	remove_guard(dfd, tmp);
	if (mkdirat(dfd, tmp, 0700) < 0 ||
	    (gfd = openat(dfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		bh_error_sys(err, errno, "%s/%s", top, tmp);
		goto fail;
	}
	r->lockfd = openat(gfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (r->lockfd < 0 || ofd_lock(r->lockfd, false) != 0 || mkdirat(gfd, "req", 0700) < 0 ||
	    mkdirat(gfd, "ack", 0700) < 0 ||
	    (r->reqfd = openat(gfd, "req", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (r->ackfd = openat(gfd, "ack", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    write_pid(gfd) < 0) {
		bh_error_sys(err, errno, "%s/%s", top, tmp);
		goto fail;
	}
	r->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	p = bh_asprintf("%s/%s/req", top, tmp);
	if (r->inofd < 0 ||
	    inotify_add_watch(r->inofd, p, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR) < 0) {
		bh_error_sys(err, errno, "watching %s", p);
		goto fail;
	}
	/* published with its lock held (the inotify watch follows the rename) */
	if (renameat(dfd, tmp, dfd, name) < 0) {
		bh_error_sys(err, errno, "%s/%s", top, name);
		goto fail;
	}
	r->dir = bh_asprintf("%s/%s", top, name);
	r->gfd = gfd;
	free(p);
	free(top);
	close(dfd);
	*out = r;
	return 0;
fail:
	if (dfd >= 0)
		remove_guard(dfd, tmp);
	free(p);
	free(top);
	if (gfd >= 0)
		close(gfd);
	if (dfd >= 0)
		close(dfd);
	bh_guard_rdv_free(r);
	return bh_error_prefix(err, "guard: the rendezvous with runtimes");
}

const char *bh_guard_rdv_dir(const struct bh_guard_rdv *r)
{
	return r->dir;
}

int bh_guard_rdv_fd(const struct bh_guard_rdv *r)
{
	return r->inofd;
}

int bh_guard_rdv_pending(struct bh_guard_rdv *r, struct bh_strvec *out)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int n = 0;
	DIR *d;
	struct dirent *de;

	while (read(r->inofd, buf, sizeof(buf)) > 0)
		; /* drained: the directory itself says what is pending */
	d = bh_opendir_at(r->reqfd);
	if (!d)
		return 0;
	/* alive and serving: the runtimes wait for it again */
	if (r->gfd >= 0)
		unlinkat(r->gfd, "missed", 0);
	while ((de = readdir(d)) && n < BH_GUARD_RDV_PENDING) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (strlen(de->d_name) >= RDV_NAME_MAX || !name_ok(de->d_name)) {
			unlinkat(r->reqfd, de->d_name, 0);
			continue;
		}
		bh_strvec_push(out, de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

void bh_guard_rdv_ack(struct bh_guard_rdv *r, const struct bh_strvec *names)
{
	for (size_t i = 0; i < names->n; i++) {
		int fd;

		if (!name_ok(names->v[i]))
			continue;
		fd = openat(r->ackfd, names->v[i], O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd >= 0)
			close(fd);
		unlinkat(r->reqfd, names->v[i], 0);
	}
}

/* One guard a runtime asks: its lock (held while it serves), its directory, its
 * request, its answer, and how long it is waited for. */
struct rdv_ask {
	int lk, gfd;
	bool done;
	bool missed; /* it missed its last rendezvous: RDV_MISSED_MS */
	char *req, *ack;
	char why[160]; /* why it was not waited for (skipped), or "" */
	pid_t pid;
};

/* Append one guard not waited for to the error's text. */
static void not_waited(struct bh_buf *b, const struct rdv_ask *a, const char *why)
{
	const char *slash = strrchr(a->req, '/');
	int len = slash ? (int)(slash - a->req) - 4 : (int)strlen(a->req); /* DIR/G */

	bh_buf_addf(b, NULL, "%sthe guard %.*s", b->len ? "; " : "", len > 0 ? len : 0, a->req);
	if (a->pid > 0)
		bh_buf_addf(b, NULL, " (pid %d)", (int)a->pid);
	bh_buf_addf(b, NULL, " %s", why);
}

int bh_guard_rdv_await(const char *dir, pid_t pid, uint64_t start, unsigned timeout_ms,
		       struct bh_error **err)
{
	struct rdv_ask ask[RDV_GUARDS];
	char name[RDV_NAME_MAX];
	struct bh_buf msg = BH_BUF_INIT(4096);
	struct dirent *de;
	uint64_t t0;
	size_t n = 0, left;
	unsigned skipped = 0;
	int dfd, r = 0;
	DIR *d;

	if (!dir)
		dir = BH_GUARD_RDV_DIR;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* a directory others can write: none of its guards is trusted (as
	 * bh_guard_rdv_open refuses to serve from it) */
	d = dfd >= 0 && dir_trusted(dfd) ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return 0; /* no guard ever served here, or not ours to see */
	}
	snprintf(name, sizeof(name), "%d-%llu", (int)pid, (unsigned long long)start);
	/* every guard that serves now: a request in each */
	while ((de = readdir(d)) && n < RDV_GUARDS) {
		struct rdv_ask *a = &ask[n];
		char *lock;
		int fd;

		if (strlen(de->d_name) >= RDV_NAME_MAX || !name_ok(de->d_name))
			continue;
		lock = bh_asprintf("%s/%s/lock", dir, de->d_name);
		a->lk = open(lock, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		free(lock);
		if (a->lk < 0)
			continue;
		if (ofd_lock(a->lk, true) != 1) {
			close(a->lk); /* gone: the next guard to open removes it */
			continue;
		}
		a->gfd = openat(dirfd(d), de->d_name,
				O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		a->req = bh_asprintf("%s/%s/req/%s", dir, de->d_name, name);
		a->ack = bh_asprintf("%s/%s/ack/%s", dir, de->d_name, name);
		a->done = false;
		a->why[0] = 0;
		a->pid = 0;
		a->missed =
			a->gfd >= 0 && faccessat(a->gfd, "missed", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
		unlink(a->ack);
		fd = open(a->req, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) { /* not ours: nobody would answer */
			close(a->lk);
			if (a->gfd >= 0)
				close(a->gfd);
			free(a->req);
			free(a->ack);
			continue;
		}
		close(fd);
		n++;
	}
	closedir(d);
	if (!n)
		bh_log(BH_LOG_DEBUG, "guard: no guard serves %s now", dir);
	for (t0 = bh_mono_ms(), left = n; left;) {
		struct timespec ts = { 0, 5000000 };
		uint64_t el;
		struct stat st;

		for (size_t i = 0; i < n; i++) {
			struct rdv_ask *a = &ask[i];

			if (a->done)
				continue;
			if (stat(a->ack, &st) == 0) {
				bh_log(BH_LOG_DEBUG, "guard: %s answered in %llu ms", a->ack,
				       (unsigned long long)(bh_mono_ms() - t0));
				a->done = true;
			} else if (ofd_lock(a->lk, true) != 1) {
				a->done = true; /* the guard is gone */
			} else if (a->gfd >= 0 &&
				   guard_stopped(a->gfd, &a->pid, a->why, sizeof(a->why))) {
				a->done = true; /* it cannot answer: not waited for */
				skipped++;
			}
			left -= a->done;
		}
		if (!left)
			break;
		el = bh_mono_ms() - t0;
		for (size_t i = 0; i < n; i++) {
			struct rdv_ask *a = &ask[i];

			/* it removed its mark: it reads its requests again (its rescan
			 * may be slow), so it gets the whole time */
			if (!a->done && a->missed &&
			    faccessat(a->gfd, "missed", F_OK, AT_SYMLINK_NOFOLLOW) != 0)
				a->missed = false;
			if (a->done || (el < timeout_ms && (!a->missed || el < RDV_MISSED_MS)))
				continue;
			/* its time ran out: said, and marked (the next runtime waits
			 * RDV_MISSED_MS for it, until it serves again) */
			if (a->missed && el < timeout_ms)
				snprintf(a->why, sizeof(a->why),
					 "missed its last rendezvous and did not answer in %u ms",
					 RDV_MISSED_MS);
			else
				snprintf(a->why, sizeof(a->why), "did not answer in %u ms",
					 timeout_ms);
			/* its mark is still there when it missed again: not re-written
			 * (a guard that removes it meanwhile is serving again) */
			if (a->gfd >= 0 && !a->missed) {
				int fd = openat(a->gfd, "missed",
						O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

				if (fd >= 0)
					close(fd);
			}
			a->done = true;
			skipped++;
			left--;
		}
		if (!left)
			break;
		nanosleep(&ts, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		if (ask[i].why[0])
			not_waited(&msg, &ask[i], ask[i].why);
		unlink(ask[i].req);
		unlink(ask[i].ack);
		close(ask[i].lk);
		if (ask[i].gfd >= 0)
			close(ask[i].gfd);
		free(ask[i].req);
		free(ask[i].ack);
	}
	if (skipped)
		r = bh_error_set(
			err, BH_ERR_LIMIT,
			"%.*s: the container starts without waiting for %s (%s monitor%s may "
			"learn of it late: its first execs not attributed to it, nor refused "
			"by a guard)",
			(int)msg.len, msg.data ? msg.data : "", skipped > 1 ? "them" : "it",
			skipped > 1 ? "those" : "that", skipped > 1 ? "s" : "");
	bh_buf_release(&msg);
	return r;
}
