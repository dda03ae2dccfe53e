/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The timing scaffolding the bench loops share (syscall_loop.c,
 * forkexec_loop.c): a monotonic clock in nanoseconds and a count argument
 * that must be a positive number. Header-only: each loop is built alone
 * (static, into a container's root) by the bench scripts.
 */
#ifndef BULKHEAD_BENCH_LOOP_TIME_H
#define BULKHEAD_BENCH_LOOP_TIME_H

#include <stdlib.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds */
static inline double loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
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
