/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The timing scaffolding the bench loops share (syscall_loop.c,
 * forkexec_loop.c): a monotonic clock and the CPU time used, in
 * nanoseconds, and a count argument that must be a positive number. Header-only: each loop is built
 * alone (static, into a container's root) by the bench scripts.
 */
#ifndef BULKHEAD_BENCH_LOOP_TIME_H
#define BULKHEAD_BENCH_LOOP_TIME_H

#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds */
static inline double loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/*
 * The CPU time used so far, in nanoseconds: this process's (user and
 * system: a BPF program run in its system calls is in it) and, with
 * children, that of its children waited for. On a shared machine the
 * loop's own CPU time is not stretched by other tasks' load as its wall
 * time is; the monitor's user-space work is not in it (the bench scripts
 * report the monitor's CPU beside).
 */
static inline double loop_cpu_ns(int children)
{
	struct timespec ts;
	double ns;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	ns = (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
	if (children) {
		struct rusage ru;

		if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
			ns += ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e9 +
			      ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e3;
	}
	return ns;
}

/* s as a count > 0, else 0 (the caller prints its usage) */
static inline long loop_count(const char *s)
{
	char *end = NULL;
	long n = s ? strtol(s, &end, 10) : 0;

	return s && *s && end && !*end && n > 0 ? n : 0;
}

/* nanoseconds per iteration of n iterations since t0 */
static inline double loop_per_ns(double t0, double t1, long n)
{
	return (t1 - t0) / (double)n;
}

#endif
