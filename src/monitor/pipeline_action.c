// SPDX-License-Identifier: Apache-2.0
/*
 * The monitor's actions that need no pipeline state (split from pipeline.c):
 * the actions' names, which action a rule takes, whether a block was done,
 * and the kill of the event's process (checked against pid reuse). The
 * quarantine, which remembers its containers, stays in pipeline.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pipeline_internal.h"
#include "banned.h"

static const char *const action_names[] = { "alert", "kill", "quarantine", "block" };
#define NACTIONS (sizeof(action_names) / sizeof(action_names[0]))

const char *bh_mon_action_name(enum bh_mon_action a)
{
	return (unsigned)a < NACTIONS ? action_names[a] : "?";
}

int bh_mon_action_parse(const char *s)
{
	for (int i = 0; i < (int)NACTIONS; i++)
		if (!strcmp(s, action_names[i]))
			return i;
	return -1;
}

enum bh_mon_action mon_action_of(const struct bh_mon_run_opts *o, const struct bh_rules_rule *r)
{
	for (size_t i = 0; i < o->nactions; i++)
		if (!strcmp(o->actions[i].rule, r->name))
			return o->actions[i].action;
	for (char **t = r->tags; *t; t++)
		if (bh_str_has_prefix(*t, "bulkhead.action=")) {
			int a = bh_mon_action_parse(*t + strlen("bulkhead.action="));

			if (a >= 0)
				return (enum bh_mon_action)a;
		}
	return BH_MON_ACT_ALERT;
}

bool mon_block_done(const struct bh_mon_run_opts *o, const struct bh_mon_event *ev, char *why,
		    size_t whysz)
{
	if (o->guard && ev->res == -EPERM)
		return true;
	if (!o->guard)
		snprintf(why, whysz, "not blocked: the guard is off (it refuses before the call)");
	else if (ev->res >= 0)
		snprintf(why, whysz,
			 "not blocked: the call was not refused, it succeeded "
			 "(the guard's permission event did not match the rule)");
	else
		snprintf(why, whysz, "not blocked: the call failed by itself (%s), not refused",
			 strerror((int)-ev->res));
	return false;
}

/* When pid started, CLOCK_REALTIME ns (from /proc/PID/stat's starttime). */
static int proc_start_ns(pid_t pid, uint64_t *out, struct bh_error **err)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	struct timespec rt, bt;
	long hz = sysconf(_SC_CLK_TCK);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bh_error_sys(err, errno, "pid %d", (int)pid);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return bh_error_set(err, BH_ERR_IO, "pid %d: cannot read its stat", (int)pid);
	buf[n] = 0;
	/* after the comm's closing parenthesis: state is field 3, starttime 22 */
	p = strrchr(buf, ')');
	for (int f = 2; p && f < 22; f++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &start) != 1 || hz <= 0)
		return bh_error_set(err, BH_ERR_IO, "pid %d: cannot parse its stat", (int)pid);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	*out = ((uint64_t)rt.tv_sec - (uint64_t)bt.tv_sec) * 1000000000ull + (uint64_t)rt.tv_nsec -
	       (uint64_t)bt.tv_nsec + start * (1000000000ull / (uint64_t)hz);
	return 0;
}

int mon_action_kill(const struct bh_mon_event *ev, struct bh_error **err)
{
	pid_t pid = (pid_t)ev->proc.pid;
	uint64_t start;
	int fd, rc = -1;

	if (pid <= 1 || pid == getpid())
		return bh_error_set(err, BH_ERR_INVALID, "pid %d: not killed", (int)pid);
	if (!ev->ts_ns)
		return bh_error_set(err, BH_ERR_INVALID,
				    "pid %d: the event has no time (the pid cannot be checked)",
				    (int)pid);
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return bh_error_sys(err, errno, "pid %d: pidfd_open", (int)pid);
	/* the pidfd holds the process; the pid names that process only if it
	 * started before the event (else the pid was reused since) */
	if (proc_start_ns(pid, &start, err) < 0)
		goto out;
	if (start > ev->ts_ns + 20000000ull) {
		bh_error_set(err, BH_ERR_NOTFOUND,
			     "pid %d: the process is gone (the pid now names a newer one)",
			     (int)pid);
		goto out;
	}
	if (syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) < 0) {
		bh_error_sys(err, errno, "pid %d: pidfd_send_signal", (int)pid);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}
