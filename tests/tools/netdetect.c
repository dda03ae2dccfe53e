// SPDX-License-Identifier: Apache-2.0
/*
 * netdetect: the SQL injection and data-leak detectors over files, for
 * benchmarks and tests.
 *
 *   netdetect value FILE [-v]   each line a parameter value (bh_sqli_check_value)
 *   netdetect stmt FILE [-v]    each line an SQL statement (bh_sqli_check_statement)
 *   netdetect query FILE [-v]   each line a URL query string (bh_sqli_check_urlencoded)
 *   netdetect dlp FILE [SEG]    the whole file as one flow direction, fed in
 *                               SEG-byte segments (default 1460)
 *
 * sqli modes print "lines N detected D bytes B seconds S"; -v also prints
 * each detected line (value modes) or, with -V, each undetected one, with
 * rule and fingerprint. dlp prints "bytes B matches M seconds S" and with
 * -v each match (kind, offset, masked form).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/dlp.h"
#include "net/sqli.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rbe");
	struct bh_buf b;
	char tmp[65536];
	size_t n;

	if (!f) {
		perror(path);
		exit(3);
	}
	bh_buf_init(&b, (size_t)4 << 30);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		if (bh_buf_add(&b, tmp, n, NULL) < 0)
			exit(3);
	fclose(f);
	*len = b.len;
	return b.data ? b.data : bh_strdup("");
}

static int verbose;
static size_t nmatch;

static void on_match(void *opaque, const struct bh_dlp_match *m)
{
	(void)opaque;
	nmatch++;
	if (verbose)
		printf("%s\t%llu\t%s\n", m->kind, (unsigned long long)m->offset, m->masked);
}

int main(int argc, char **argv)
{
	size_t len;

	if (argc < 3) {
		fprintf(stderr, "usage: netdetect value|stmt|query|dlp FILE [-v|-V|SEG]\n");
		return 2;
	}
	char *data = slurp(argv[2], &len);
	const char *mode = argv[1];
	if (argc > 3 && strcmp(argv[3], "-v") == 0)
		verbose = 1;
	if (argc > 3 && strcmp(argv[3], "-V") == 0)
		verbose = 2;
	if (strcmp(mode, "dlp") == 0) {
		struct bh_dlp *d = NULL;
		struct bh_dlp_stream *st = NULL;
		struct bh_error *err = NULL;
		size_t seg = 1460;
		if (argc > 3 && argv[3][0] != '-')
			seg = strtoul(argv[3], NULL, 10);
		if (argc > 4 && strcmp(argv[4], "-v") == 0)
			verbose = 1;
		if (seg == 0)
			seg = 1;
		if (bh_dlp_new(NULL, 0, &d, &err) < 0 || bh_dlp_stream_new(d, &st, &err) < 0) {
			char *m = bh_error_message(err);
			fprintf(stderr, "netdetect: %s\n", m);
			return 3;
		}
		double t0 = now();
		for (size_t off = 0; off < len; off += seg) {
			size_t n = len - off < seg ? len - off : seg;
			bh_dlp_feed(st, (const uint8_t *)data + off, n, on_match, NULL);
		}
		bh_dlp_finish(st, on_match, NULL);
		double t = now() - t0;
		printf("bytes %zu matches %zu seconds %.6f\n", len, nmatch, t);
		bh_dlp_stream_free(st);
		bh_dlp_free(d);
		free(data);
		return 0;
	}
	size_t lines = 0, hits = 0;
	double t0 = now();
	for (char *p = data, *e; p < data + len; p = e + 1) {
		struct bh_sqli_result r;
		bool hit;
		e = memchr(p, '\n', (size_t)(data + len - p));
		if (!e)
			e = data + len;
		size_t n = (size_t)(e - p);
		lines++;
		if (strcmp(mode, "value") == 0)
			hit = bh_sqli_check_value(p, n, &r);
		else if (strcmp(mode, "stmt") == 0)
			hit = bh_sqli_check_statement(p, n, &r);
		else
			hit = bh_sqli_check_urlencoded(p, n, &r);
		hits += hit;
		if ((verbose == 1 && hit) || (verbose == 2 && !hit))
			printf("%s\t%s\t%d\t%.*s\n", hit ? r.rule : "-", hit ? r.fingerprint : "-",
			       hit ? (int)r.ctx : -1, (int)n, p);
	}
	double t = now() - t0;
	printf("lines %zu detected %zu bytes %zu seconds %.6f\n", lines, hits, len, t);
	free(data);
	return 0;
}
