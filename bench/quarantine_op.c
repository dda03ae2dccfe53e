// SPDX-License-Identifier: Apache-2.0
/*
 * The violating workload of bench/quarantine-e2e.sh, run as a container's
 * init (built static: the image has no libc of ours). After DELAY_MS (the
 * monitor learns of the new container meanwhile) it reads CLOCK_REALTIME,
 * writes it (ns, decimal) to STAMP, and right after opens /etc/shadow for
 * reading: the operation the rule "Read sensitive file" matches. The stamp
 * is taken before the file holding it is written, so the figure counts that
 * write too (microseconds). Then it waits to be frozen (and is killed).
 *
 *   quarantine_op DELAY_MS STAMP
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec d, ts;
	char buf[32];
	long ms;
	int fd, n;

	if (argc != 3)
		return 2;
	ms = strtol(argv[1], NULL, 10);
	d.tv_sec = ms / 1000;
	d.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&d, NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(buf, sizeof(buf), "%llu\n",
		     (unsigned long long)ts.tv_sec * 1000000000ULL +
			     (unsigned long long)ts.tv_nsec);
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, (size_t)n) != n || close(fd) < 0)
		return 3;
	fd = open("/etc/shadow", O_RDONLY | O_CLOEXEC); /* the violating operation */
	if (fd >= 0)
		close(fd);
	for (;;)
		pause();
}
