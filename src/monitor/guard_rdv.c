// SPDX-License-Identifier: Apache-2.0
/*
 * The guard's rendezvous with a runtime's start (include/bulkhead/guard.h):
 *
 *   DIR/lock           write-locked (an OFD lock) by the guard that serves, for its
 *                      life; a runtime tests the lock (F_OFD_GETLK) without taking it
 *   DIR/req/PID-START  made by a runtime about to start that container's init
 *   DIR/ack/PID-START  made by the guard once a rescan after the request is done
 *
 * The guard's side is one inotify fd on req/ (polled beside its fanotify group);
 * the runtime's side polls for its ack every 5 ms and stops waiting as soon as
 * the lock is free (the guard is gone). Names are checked ("digits-digits",
 * bounded) before anything is made of them; the directory is root's, 0700.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/guard.h"
#include "banned.h"

#define RDV_NAME_MAX 48 /* "PID-START": 10 + 1 + 20 digits, and room */

struct bh_guard_rdv {
	char *dir;
	int lockfd, inofd, reqfd, ackfd;
};

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
	free(r->dir);
	free(r);
}

int bh_guard_rdv_open(const char *dir, struct bh_guard_rdv **out, struct bh_error **err)
{
	struct bh_guard_rdv *r = bh_calloc(1, sizeof(*r));
	char *p = NULL;

	*out = NULL;
	r->lockfd = r->inofd = r->reqfd = r->ackfd = -1;
	r->dir = bh_strdup(dir ? dir : BH_GUARD_RDV_DIR);
	p = bh_asprintf("%s/req", r->dir);
	if (bh_mkdirs(p, 0755, 0700, err) < 0)
		goto fail;
	free(p);
	p = bh_asprintf("%s/ack", r->dir);
	if (bh_mkdirs(p, 0755, 0700, err) < 0)
		goto fail;
	free(p);
	p = bh_asprintf("%s/lock", r->dir);
	r->lockfd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (r->lockfd < 0) {
		bh_error_sys(err, errno, "%s", p);
		goto fail;
	}
	switch (ofd_lock(r->lockfd, false)) {
	case 0: break;
	case 1: /* another guard serves */
		free(p);
		bh_guard_rdv_free(r);
		return 0;
	default: bh_error_sys(err, errno, "locking %s", p); goto fail;
	}
	free(p);
	p = bh_asprintf("%s/req", r->dir);
	r->reqfd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (r->reqfd < 0 || r->inofd < 0 ||
	    inotify_add_watch(r->inofd, p, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR) < 0) {
		bh_error_sys(err, errno, "watching %s", p);
		goto fail;
	}
	free(p);
	p = bh_asprintf("%s/ack", r->dir);
	r->ackfd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->ackfd < 0) {
		bh_error_sys(err, errno, "%s", p);
		goto fail;
	}
	free(p);
	/* what an earlier guard left: its answers, and requests it never saw (their
	 * runtimes stopped waiting long ago, or will be answered at the first rescan) */
	empty_dir(r->ackfd);
	*out = r;
	return 0;
fail:
	free(p);
	bh_guard_rdv_free(r);
	return bh_error_prefix(err, "guard: the rendezvous with runtimes");
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

int bh_guard_rdv_await(const char *dir, pid_t pid, uint64_t start, unsigned timeout_ms,
		       struct bh_error **err)
{
	char name[RDV_NAME_MAX], *lock = NULL, *req = NULL, *ack = NULL;
	struct stat st;
	uint64_t t0, end;
	int lk, fd, r = 0;

	if (!dir)
		dir = BH_GUARD_RDV_DIR;
	lock = bh_asprintf("%s/lock", dir);
	lk = open(lock, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (lk < 0)
		goto out; /* no guard ever served here, or not ours to see */
	if (ofd_lock(lk, true) != 1) {
		bh_log(BH_LOG_DEBUG, "guard: no guard serves %s now", dir);
		goto out; /* none serves now */
	}
	snprintf(name, sizeof(name), "%d-%llu", (int)pid, (unsigned long long)start);
	req = bh_asprintf("%s/req/%s", dir, name);
	ack = bh_asprintf("%s/ack/%s", dir, name);
	unlink(ack);
	fd = open(req, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out; /* the directory is not ours: nobody would answer */
	close(fd);
	for (t0 = mono_ms(), end = t0 + timeout_ms;;) {
		struct timespec ts = { 0, 5000000 };

		if (stat(ack, &st) == 0) {
			bh_log(BH_LOG_DEBUG, "guard: %s answered in %llu ms", name,
			       (unsigned long long)(mono_ms() - t0));
			break;
		}
		if (ofd_lock(lk, true) != 1)
			break; /* the guard is gone */
		if (mono_ms() >= end) {
			r = bh_error_set(err, BH_ERR_LIMIT,
					 "the guard did not answer in %u ms (%s): the container "
					 "starts before it is watched",
					 timeout_ms, req);
			break;
		}
		nanosleep(&ts, NULL);
	}
	unlink(req);
	unlink(ack);
out:
	if (lk >= 0)
		close(lk);
	free(lock);
	free(req);
	free(ack);
	return r;
}
