/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A container's first milliseconds (include/bulkhead/guard.h,
 * bh_guard_watch_early): a runtime that cannot ask the rendezvous (runc, crun,
 * the engines over them) starts its container's workload microseconds after it
 * wrote its state; a watch made by the rescan that write causes comes 50-200 ms
 * later on a loaded host. So the guard marks the file systems themselves:
 *
 *  - every mount of the guard's mount namespace (the host's) gets an ignore
 *    mark for FAN_OPEN_EXEC_PERM first: the host's own execs are not asked
 *    (the kernel drops them: no cost in user space);
 *  - then each of their file systems a filesystem mark for it: an exec
 *    through any other mount of them asks (a bind-mounted rootfs made by a
 *    runtime in a new mount namespace, a service's private namespace).
 *
 * An event of such a mount that no watch has (grd_early, from the decision):
 * the process's mount namespace is compared with the guard's first (one stat:
 * a mount made later in the host's namespace is not ignored), then the
 * caller's opts.unknown tells its container and may watch it then and there;
 * the event is decided by that watch as if it had been there before. Its
 * failures (the bound of its lookup) are answered per fail_closed and counted.
 * A file system mounted after this call (an engine's overlay: a superblock of
 * its own) is not covered: such a container is watched at the rescan its
 * state's write causes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/guard.h"
#include "monitor/guard_struct.h"
#include "banned.h"

#define EARLY_MAX_FS 512 /* file systems marked */

struct early_walk {
	struct bh_guard *g;
	bool fs; /* second pass: filesystem marks */
	dev_t dev[EARLY_MAX_FS];
	size_t ndev;	  /* file systems marked */
	unsigned ignored; /* mounts whose execs are the host's (ignore marks) */
};

static int early_mount(const struct bh_guard_mount *mi, void *arg)
{
	struct early_walk *e = arg;
	char path[PATH_MAX];
	struct stat st;
	uint64_t id;
	int fd;

	if (grd_skip_fstype(mi->fstype))
		return 0;
	snprintf(path, sizeof(path), "%s%s", e->g->root, mi->point);
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* over-mounted, or gone since the read: its execs ask, and are the host's */
	if (grd_mount_id_of(fd, &id) < 0 || id != mi->id || fstat(fd, &st) < 0)
		goto out;
	if (!e->fs) {
		if (grd_mark_fd(e->g,
				FAN_MARK_ADD | FAN_MARK_MOUNT | FAN_MARK_IGNORED_MASK |
					FAN_MARK_IGNORED_SURV_MODIFY,
				FAN_OPEN_EXEC_PERM, fd) == 0)
			e->ignored++;
		goto out;
	}
	for (size_t i = 0; i < e->ndev; i++)
		if (e->dev[i] == st.st_dev)
			goto out;
	if (e->ndev == EARLY_MAX_FS)
		goto out;
	if (grd_mark_fd(e->g, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC_PERM, fd) < 0) {
		bh_log(BH_LOG_DEBUG, "guard: the file system of %s (%s) not marked: %s", mi->point,
		       mi->fstype, strerror(errno));
		goto out;
	}
	e->dev[e->ndev++] = st.st_dev;
out:
	close(fd);
	return 0;
}

int bh_guard_watch_early(struct bh_guard *g, struct bh_error **err)
{
	struct early_walk *e = bh_calloc(1, sizeof(*e));
	struct bh_buf b = BH_BUF_INIT(64u << 20);
	char path[PATH_MAX];
	struct stat st;
	int r = -1;

	snprintf(path, sizeof(path), "%s/proc/self/ns/mnt", g->root);
	if (stat(path, &st) < 0) {
		bh_error_sys(err, errno, "%s", path);
		goto out;
	}
	g->host_mntns = st.st_ino;
	snprintf(path, sizeof(path), "%s/proc/self/mountinfo", g->root);
	if (bh_read_file(path, &b, err) < 0)
		goto out;
	e->g = g;
	/* the ignore marks first: the host's execs never wait on the guard */
	if (bh_guard_parse_mountinfo(b.data, b.len, early_mount, e, err) < 0)
		goto out;
	e->fs = true;
	if (bh_guard_parse_mountinfo(b.data, b.len, early_mount, e, err) < 0)
		goto out;
	if (!e->ndev) {
		bh_error_set(err, BH_ERR_UNSUPPORTED,
			     "no file system of %s could be marked (FAN_MARK_FILESYSTEM)", path);
		goto out;
	}
	bh_log(BH_LOG_DEBUG, "guard: %zu file systems marked, %u mounts of the host ignored",
	       e->ndev, e->ignored);
	g->early = true;
	r = (int)e->ndev;
out:
	bh_buf_release(&b);
	free(e);
	return r;
}

int grd_early(struct bh_guard *g, pid_t pid, uint64_t mnt_id, struct grd_mount **m)
{
	char path[PATH_MAX];
	struct stat st;
	int r;

	if (!g->early || !g->o.unknown)
		return 1;
	snprintf(path, sizeof(path), "%s/proc/%d/ns/mnt", g->root, (int)pid);
	if (stat(path, &st) == 0 && st.st_ino == g->host_mntns)
		return 1; /* a mount the host made later */
	g->st.early++;
	r = g->o.unknown(pid, g->o.unknown_arg);
	if (r < 0) {
		g->st.early_failed++;
		return -1;
	}
	if (r == 0)
		return 1;
	*m = bh_map_get(g->by_mnt, (const char *)&mnt_id, 8);
	if (!*m)
		return 1; /* its container is watched, this mount is not its (a host's) */
	g->st.early_watched++;
	return 0;
}
