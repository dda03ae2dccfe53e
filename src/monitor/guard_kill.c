/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A process's start time (/proc/PID/stat) and the guard's kill that cannot hit
 * a reused pid (include/bulkhead/guard.h). Split from guard.c.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/guard.h"
#include "monitor/guard_internal.h"
#include "banned.h"

/* ---- kill and start times ------------------------------------------------------------- */

int grd_read_start(const char *root, pid_t pid, uint64_t *out, struct bh_error **err)
{
	char path[PATH_MAX];
	struct bh_buf b = BH_BUF_INIT(8192);
	const char *p;
	uint64_t v = 0;
	int r = -1, fld = 2;

	snprintf(path, sizeof(path), "%s/proc/%d/stat", root ? root : "", (int)pid);
	if (bh_read_file(path, &b, NULL) < 0) {
		r = bh_error_set(err, BH_ERR_NOTFOUND, "process %d: gone", (int)pid);
		goto out;
	}
	p = b.len ? memrchr(b.data, ')', b.len) : NULL;
	if (!p)
		goto bad;
	for (p++; p < b.data + b.len && fld < 22; p++)
		if (*p == ' ')
			fld++;
	if (fld != 22)
		goto bad;
	for (; p < b.data + b.len && bh_isdigit(*p); p++)
		v = v * 10 + (uint64_t)(*p - '0');
	*out = v;
	r = 0;
	goto out;
bad:
	r = bh_error_set(err, BH_ERR_INVALID, "%s: no start time", path);
out:
	bh_buf_release(&b);
	return r;
}

int bh_guard_pid_start(pid_t pid, uint64_t *out, struct bh_error **err)
{
	return grd_read_start(NULL, pid, out, err);
}

int bh_guard_kill(pid_t pid, uint64_t start_time, struct bh_error **err)
{
	uint64_t st = 0;
	int pfd, r = -1;

	if (pid <= 0)
		return bh_error_set(err, BH_ERR_USAGE, "kill: bad pid %d", (int)pid);
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return errno == ESRCH
			       ? bh_error_set(err, BH_ERR_NOTFOUND, "process %d: gone", (int)pid)
			       : bh_error_sys(err, errno, "pidfd_open %d", (int)pid);
	/* the pidfd pins the process: a start time read now is the one it signals */
	if (start_time) {
		if (grd_read_start(NULL, pid, &st, err) < 0)
			goto out;
		if (st != start_time) {
			r = bh_error_set(err, BH_ERR_NOTFOUND,
					 "process %d: started at %llu, not %llu (pid reused)",
					 (int)pid, (unsigned long long)st,
					 (unsigned long long)start_time);
			goto out;
		}
	}
	if (syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0) < 0) {
		r = errno == ESRCH
			    ? bh_error_set(err, BH_ERR_NOTFOUND, "process %d: gone", (int)pid)
			    : bh_error_sys(err, errno, "killing %d", (int)pid);
		goto out;
	}
	r = 0;
out:
	close(pfd);
	return r;
}
