/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One distinctive syscall per container (tests/e2e/profile-parallel.test):
 * `sig I [N]` makes syscall I of the table N times (arguments -1, 0...: each
 * fails harmlessly), then prints "ok NAME MS", MS the milliseconds it ran
 * (from main to the end: a static binary's start is a few calls). `sig --list` prints
 * the names. `sig -u m|n I [N]` first unshares a mount (m) or network (n)
 * namespace (exit 3 when it cannot). Built static: its own calls are execve, brk, arch_prctl,
 * set_tid_address, set_robust_list, rseq, prlimit64, readlink, getrandom,
 * mprotect, newfstatat, ioctl, write, exit_group.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define S(n)                                                                                       \
	{                                                                                          \
#n, SYS_##n                                                                        \
	}
static const struct {
	const char *name;
	long nr;
} sigs[] = {
	S(getppid),
	S(getpgrp),
	S(getsid),
	S(getpgid),
	S(getuid),
	S(geteuid),
	S(getgid),
	S(getegid),
	S(getresuid),
	S(getresgid),
	S(times),
	S(sysinfo),
	S(sched_yield),
	S(sched_getscheduler),
	S(sched_getparam),
	S(sched_get_priority_max),
	S(sched_get_priority_min),
	S(getpriority),
	S(umask),
	S(getitimer),
	S(getrusage),
	S(capget),
	S(syncfs),
	S(fsync),
	S(fdatasync),
	S(dup),
	S(fchdir),
	S(fchmod),
	S(fchown),
	S(flock),
	S(ftruncate),
	S(lseek),
	S(getdents),
	S(fstatfs),
	S(statfs),
	S(access),
	S(chdir),
	S(readahead),
	S(fadvise64),
	S(timerfd_gettime),
	S(timer_getoverrun),
	S(timer_delete),
	S(inotify_rm_watch),
	S(epoll_ctl),
	S(setitimer),
	S(getgroups),
	S(mincore),
	S(msync),
	S(ioprio_get),
	S(truncate),
	/* 50: the host's */
	S(sched_rr_get_interval),
};

static long ms(const struct timespec *a, const struct timespec *b)
{
	return (long)((b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000);
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	long i, n = 1;

	clock_gettime(CLOCK_MONOTONIC, &t0); /* vDSO: no syscall */

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < (long)(sizeof(sigs) / sizeof(sigs[0])); i++)
			printf("%s\n", sigs[i].name);
		return 0;
	}
	if (argc > 3 && !strcmp(argv[1], "-u")) {
		if (unshare(argv[2][0] == 'm' ? CLONE_NEWNS : CLONE_NEWNET) < 0) {
			perror("unshare");
			return 3;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		return 2;
	i = strtol(argv[1], NULL, 10);
	if (argc > 2)
		n = strtol(argv[2], NULL, 10);
	if (i < 0 || i >= (long)(sizeof(sigs) / sizeof(sigs[0])))
		return 2;
	while (n-- > 0)
		syscall(sigs[i].nr, -1L, 0L, 0L, 0L, 0L, 0L);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("ok %s %ld\n", sigs[i].name, ms(&t0, &t1));
	return 0;
}
