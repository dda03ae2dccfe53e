/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openrace FILE SECONDS: one thread opens FILE read-only in a loop while
 * another closes the fds it would get (3..15) in a loop, so some opens'
 * fds are closed between the call's return and its sys_exit tracepoint (the
 * monitor's record then has no file: counted, MON_C_NOFILE). Prints the opens
 * made, "opens=N".
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static atomic_int stop;
static const char *file;

static void *closer(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		for (int fd = 3; fd < 16; fd++)
			close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long long opens = 0;
	struct timespec t0, t;
	pthread_t th;
	double secs;

	if (argc != 3 || (secs = strtod(argv[2], NULL)) <= 0) {
		fprintf(stderr, "usage: openrace FILE SECONDS\n");
		return 2;
	}
	file = argv[1];
	if (pthread_create(&th, NULL, closer, NULL)) {
		fprintf(stderr, "openrace: pthread_create failed\n");
		return 3;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 1000; i++)
			if (open(file, O_RDONLY | O_CLOEXEC) >= 0)
				opens++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	printf("opens=%llu\n", opens);
	return 0;
}
