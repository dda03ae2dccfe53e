/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The process workload of bench/monitor.sh and bench/monitor-source.sh:
 *
 *   forkexec_loop N [PROGRAM]
 *
 * fork + execve(PROGRAM, default /bin/true) + wait, N times; prints the
 * microseconds per iteration and the CPU time per iteration, its own and
 * the children's ("forkexec 412.5 fecpu 380.2"). A failed child stops it.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop_time.h"

int main(int argc, char **argv)
{
	const char *prog = argc > 2 ? argv[2] : "/bin/true";
	char *const args[] = { (char *)prog, NULL };
	char *const env[] = { NULL };
	double t0, c0;
	long n;

	if (argc < 2 || !(n = loop_count(argv[1]))) {
		fprintf(stderr, "usage: forkexec_loop N [PROGRAM]\n");
		return 2;
	}
	t0 = loop_now_ns();
	c0 = loop_cpu_ns(1);
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
	printf("forkexec %.2f fecpu %.2f\n", loop_per_ns(t0, loop_now_ns(), n) / 1e3,
	       loop_per_ns(c0, loop_cpu_ns(1), n) / 1e3);
	return 0;
}
