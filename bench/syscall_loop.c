/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/profile.sh's workload, built static and run inside the container:
 *
 *   syscall_loop N M [FILE]
 *
 * getppid() N times, then open/read/close of FILE (default /etc/hostname)
 * M times; prints the nanoseconds per call of each ("getppid 41.2 io 812.5").
 * A call that fails stops it (exit 1): a filter refusing one would
 * otherwise be measured as a fast call.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *file = argc > 3 ? argv[3] : "/etc/hostname";
	long n, m;
	double t0, t1, t2;
	char buf[256];

	if (argc < 3 || (n = strtol(argv[1], NULL, 10)) <= 0 ||
	    (m = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: syscall_loop N M [FILE]\n");
		return 2;
	}
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (getppid() < 0)
			return 1;
	t1 = now_ns();
	for (long i = 0; i < m; i++) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || read(fd, buf, sizeof(buf)) < 0 || close(fd) < 0) {
			perror(file);
			return 1;
		}
	}
	t2 = now_ns();
	printf("getppid %.2f io %.2f\n", (t1 - t0) / (double)n, (t2 - t1) / (double)m);
	return 0;
}
