/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The paced event source of bench/monitor-pipeline.sh's live part:
 *
 *   open_rate RATE SECONDS FILE
 *
 * open/close of FILE (read-only) RATE times a second for SECONDS, paced per
 * millisecond against CLOCK_MONOTONIC (RATE 0: as fast as it can). Prints
 * the opens made and the rate reached ("opens 30000 rate 9998.7"). A failed
 * open stops it (exit 1).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double rate, secs, t0, now;
	long done = 0;
	int fd;

	if (argc != 4 || (rate = strtod(argv[1], NULL)) < 0 ||
	    (secs = strtod(argv[2], NULL)) <= 0) {
		fprintf(stderr, "usage: open_rate RATE SECONDS FILE\n");
		return 2;
	}
	t0 = mono();
	while ((now = mono()) - t0 < secs) {
		long due = rate > 0 ? (long)((now - t0) * rate) + 1 : done + 64;

		if (done >= due) {
			struct timespec d = { 0, 200000 };

			nanosleep(&d, NULL);
			continue;
		}
		for (; done < due; done++) {
			fd = open(argv[3], O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				perror(argv[3]);
				return 1;
			}
			close(fd);
		}
	}
	printf("opens %ld rate %.1f\n", done, (double)done / (mono() - t0));
	return 0;
}
