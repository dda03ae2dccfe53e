/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syscall workload of bench/profile.sh, monitor.sh (built static and run
 * inside the container) and monitor-source.sh:
 *
 *   syscall_loop N M [FILE]
 *
 * getppid() N times, then open/read/close of FILE (default /etc/hostname)
 * M times; prints the nanoseconds per call of each, and the CPU time per
 * open/read/close ("getppid 41.2 io 812.5 iocpu 790.1").
 * A call that fails stops it (exit 1): a filter refusing one would
 * otherwise be measured as a fast call.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "loop_time.h"

int main(int argc, char **argv)
{
	const char *file = argc > 3 ? argv[3] : "/etc/hostname";
	long n, m;
	double t0, t1, t2, c1, c2;
	char buf[256];

	if (argc < 3 || !(n = loop_count(argv[1])) || !(m = loop_count(argv[2]))) {
		fprintf(stderr, "usage: syscall_loop N M [FILE]\n");
		return 2;
	}
	t0 = loop_now_ns();
	for (long i = 0; i < n; i++)
		if (getppid() < 0)
			return 1;
	t1 = loop_now_ns();
	c1 = loop_cpu_ns(0);
	for (long i = 0; i < m; i++) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || read(fd, buf, sizeof(buf)) < 0 || close(fd) < 0) {
			perror(file);
			return 1;
		}
	}
	t2 = loop_now_ns();
	c2 = loop_cpu_ns(0);
	printf("getppid %.2f io %.2f iocpu %.2f\n", loop_per_ns(t0, t1, n), loop_per_ns(t1, t2, m),
	       loop_per_ns(c1, c2, m));
	return 0;
}
