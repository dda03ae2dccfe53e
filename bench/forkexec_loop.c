/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/monitor-source.sh's process workload:
 *
 *   forkexec_loop N [PROGRAM]
 *
 * fork + execve(PROGRAM, default /bin/true) + wait, N times; prints the
 * microseconds per iteration ("forkexec 412.5"). A failed child stops it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
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
	const char *prog = argc > 2 ? argv[2] : "/bin/true";
	char *const args[] = { (char *)prog, NULL };
	char *const env[] = { NULL };
	double t0;
	long n;

	if (argc < 2 || (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: forkexec_loop N [PROGRAM]\n");
		return 2;
	}
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		int st;

		if (p < 0)
			return 1;
		if (p == 0) {
			execve(prog, args, env);
			_exit(127);
		}
		if (waitpid(p, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			return 1;
	}
	printf("forkexec %.2f\n", (now_ns() - t0) / (double)n / 1e3);
	return 0;
}
