/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TPM part of a measured create, each sample in a fresh process (as
 * every `run` is one: the libraries are loaded anew each time); bench/tpm.sh
 * builds and runs this against its swtpm.
 *
 *   tpm_extend TCTI N
 *       N rounds of three fresh processes, interleaved: "none" (the process
 *       alone, the anchor), "esapi" (bh_tpm_open + bh_tpm_extend +
 *       bh_tpm_close: libtss2-esys and what it loads, an ESYS context; the
 *       create path before) and "tcti" (tpm_extend_tcti: the loader and the
 *       TCTI only; the create path now). Prints "NAME MEDIAN_US" a line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/tpm.h"
#include "tpm/internal.h"

static const char *const kinds[] = { "none", "esapi", "tcti" };

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static int one(const char *kind, const char *tcti)
{
	struct bh_error *err = NULL;
	struct bh_tpm *t = NULL;
	uint8_t d[32];
	int r = 0;

	memset(d, 0x42, sizeof(d));
	if (!strcmp(kind, "esapi")) {
		r = bh_tpm_open(tcti, &t, &err) < 0 || bh_tpm_extend(t, 16, d, &err) < 0;
		bh_tpm_close(t);
	} else if (!strcmp(kind, "tcti")) {
		r = tpm_extend_tcti(tcti, 16, d, &err) < 0;
	}
	if (r) {
		char *m = bh_error_message(err);

		fprintf(stderr, "tpm_extend %s: %s\n", kind, m ? m : "?");
		free(m);
		bh_error_free(err);
	}
	return r;
}

int main(int argc, char **argv)
{
	long long *v[3];
	int n;

	if (argc == 4 && !strcmp(argv[1], "--one"))
		return one(argv[2], argv[3]);
	if (argc != 3 || (n = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: tpm_extend TCTI N\n");
		return 2;
	}
	for (int k = 0; k < 3; k++)
		v[k] = calloc((size_t)n, sizeof(long long));
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < 3; k++) {
			long long t0 = now_ns();
			pid_t p = fork();
			int st;

			if (p == 0) {
				execl("/proc/self/exe", "tpm_extend", "--one", kinds[k], argv[1],
				      (char *)NULL);
				_exit(127);
			}
			if (p < 0 || waitpid(p, &st, 0) != p || st != 0)
				return 1;
			v[k][i] = now_ns() - t0;
		}
	}
	for (int k = 0; k < 3; k++) {
		qsort(v[k], (size_t)n, sizeof(long long), cmp);
		printf("%s %lld\n", kinds[k], v[k][n / 2] / 1000);
		free(v[k]);
	}
	return 0;
}
