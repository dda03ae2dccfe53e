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
 *
 * G is built as DIR/.G and renamed to DIR/G with its lock held, so a runtime or
 * another guard never sees a G whose lock is free but for a guard that is gone
 * (whose directory the next guard to open removes). A runtime asks every guard
 * that serves and waits for all (two monitors on a host: each watches the
 * container before its first exec), at most RDV_GUARDS (16) of them.
 * The guard's side is one inotify fd on its req/ (polled beside its fanotify
 * group); the runtime's side polls for the acks every 5 ms and stops waiting for
 * a guard as soon as its lock is free (it is gone). Names are checked
 * ("digits-digits", bounded) before anything is made of them; the directories
 * are root's, 0700.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include "banned.h"

#define RDV_NAME_MAX 48 /* "PID-START": 10 + 1 + 20 digits, and room */

struct bh_guard_rdv {
	char *dir; /* DIR/G */
	int lockfd, inofd, reqfd, ackfd;
};

#define RDV_GUARDS 16 /* guards a runtime asks at most */

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
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
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
		close(fd);
	}
	unlinkat(dfd, name, AT_REMOVEDIR);
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
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
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
	r->lockfd = r->inofd = r->reqfd = r->ackfd = -1;
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
	    (r->ackfd = openat(gfd, "ack", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
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
	free(p);
	free(top);
	close(gfd);
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
	int fd, n = 0;
	DIR *d;
	struct dirent *de;

	while (read(r->inofd, buf, sizeof(buf)) > 0)
		; /* drained: the directory itself says what is pending */
	fd = openat(r->reqfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
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

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One guard a runtime asks: its lock (held while it serves), its request, its answer. */
struct rdv_ask {
	int lk;
	bool done;
	char *req, *ack;
};

int bh_guard_rdv_await(const char *dir, pid_t pid, uint64_t start, unsigned timeout_ms,
		       struct bh_error **err)
{
	struct rdv_ask ask[RDV_GUARDS];
	char name[RDV_NAME_MAX];
	struct dirent *de;
	uint64_t t0, end;
	size_t n = 0, left;
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
		a->req = bh_asprintf("%s/%s/req/%s", dir, de->d_name, name);
		a->ack = bh_asprintf("%s/%s/ack/%s", dir, de->d_name, name);
		a->done = false;
		unlink(a->ack);
		fd = open(a->req, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) { /* not ours: nobody would answer */
			close(a->lk);
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
	for (t0 = mono_ms(), end = t0 + timeout_ms, left = n; left;) {
		struct timespec ts = { 0, 5000000 };
		struct stat st;

		for (size_t i = 0; i < n; i++) {
			if (ask[i].done)
				continue;
			if (stat(ask[i].ack, &st) == 0) {
				bh_log(BH_LOG_DEBUG, "guard: %s answered in %llu ms", ask[i].ack,
				       (unsigned long long)(mono_ms() - t0));
				ask[i].done = true;
			} else if (ofd_lock(ask[i].lk, true) != 1) {
				ask[i].done = true; /* the guard is gone */
			}
			left -= ask[i].done;
		}
		if (!left)
			break;
		if (mono_ms() >= end) {
			for (size_t i = 0; i < n; i++)
				if (!ask[i].done) {
					r = bh_error_set(
						err, BH_ERR_LIMIT,
						"the guard did not answer in %u ms (%s): "
						"the container starts before it is watched",
						timeout_ms, ask[i].req);
					break;
				}
			break;
		}
		nanosleep(&ts, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		unlink(ask[i].req);
		unlink(ask[i].ack);
		close(ask[i].lk);
		free(ask[i].req);
		free(ask[i].ack);
	}
	return r;
}
