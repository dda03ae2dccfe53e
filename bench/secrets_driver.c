/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Benchmark driver for bench/secrets.sh until `bulkhead scan` exists: one
 * shared walk of IMAGE with the merge consumer (what every scan does), and
 * with --content also the content consumer (secrets and malware), as
 * `bulkhead scan --scanners secret,malware` will run it. Prints one line:
 *   seconds files bytes yara_files findings
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/content.h"
#include "bulkhead/image.h"
#include "bulkhead/report.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct bh_error *err = NULL;
	struct bh_image *img = NULL;
	struct bh_content *c = NULL;
	struct bh_merge *m = NULL;
	struct bh_fileset *fs = NULL;
	struct bh_findings f = { 0 };
	struct bh_content_opts o = { 0 };
	struct bh_content_stats st = { 0 };
	struct bh_consumer *cons[2];
	struct bh_walk_opts wo = { 0 };
	const char *image = NULL;
	bool content = false;
	size_t n = 1;
	double t0;
	int rc = 3;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--content"))
			content = true;
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			wo.threads = (unsigned)strtoul(argv[++i], NULL, 10);
		else
			image = argv[i];
	}
	if (!image) {
		fprintf(stderr, "usage: secrets_driver [--content] [--threads N] IMAGE\n");
		return 2;
	}
	o.secrets = o.malware = true;
	o.builtin_rules_dir = getenv("BULKHEAD_RULES");
	t0 = now();
	if (bh_image_open(image, NULL, &img, &err) < 0)
		goto out;
	m = bh_merge_new(img);
	cons[0] = bh_merge_consumer(m);
	if (content) {
		if (bh_content_new(img, &o, &c, &err) < 0)
			goto out;
		cons[n++] = bh_content_consumer(c);
	}
	if (bh_image_walk_consumers(img, &wo, cons, n, &err) < 0 ||
	    bh_merge_finish(m, &fs, &err) < 0)
		goto out;
	if (c) {
		if (bh_content_finish(c, fs, NULL, &f, &err) < 0)
			goto out;
		bh_content_stats(c, &st);
	}
	printf("%.3f %llu %llu %llu %zu\n", now() - t0, (unsigned long long)st.files_scanned,
	       (unsigned long long)st.bytes_scanned, (unsigned long long)st.yara_scanned, f.n);
	rc = 0;
out:
	if (err) {
		char *msg = bh_error_message(err);

		fprintf(stderr, "secrets_driver: %s\n", msg);
		free(msg);
		bh_error_free(err);
	}
	bh_findings_release(&f);
	bh_content_free(c);
	bh_fileset_free(fs);
	bh_merge_free(m);
	bh_image_free(img);
	return rc;
}
