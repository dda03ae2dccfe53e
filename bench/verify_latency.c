/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-process latency of bh_verify_image (bench/verify.sh builds and runs
 * this): after one warm-up call, N calls, the median and the fastest in
 * microseconds.
 *
 *   verify_latency IMAGE PUBKEY PAYLOAD SIG.der N
 *       an OCI layout: "verify_image" (everything from the page cache), and
 *       the same payload's ECDSA verification alone, "ecdsa_verify" (the
 *       cryptographic floor)
 *   verify_latency --registry CACERT AUTHFILE CACHEDIR IMAGE PUBKEY N
 *       a registry image: "cold" (no cache; every call a new client: TLS
 *       handshake, authentication, the manifest, the .sig tag, the payload,
 *       the referrers), then "warm" (the cache in CACHEDIR, filled by the
 *       warm-up call)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/registry.h"
#include "bulkhead/trust.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%s %.1f %.1f\n", what, t[n / 2], t[0]);
}

/* N timed calls of bh_verify_image after one warm-up; 0, or 1 if one did
 * not verify. */
static int time_verify(const char *what, const char *image, const struct bh_image_open_opts *oo,
		       const struct bh_verify_opts *o, double *t, int n)
{
	struct bh_error *err = NULL;
	struct bh_verify_result r;

	for (int i = -1; i < n; i++) {
		double t0 = now_us();

		if (bh_verify_image(image, oo, o, &r, &err) < 0 || !r.verified) {
			char *m = err ? bh_error_message(err) : NULL;

			fprintf(stderr, "verify_latency: %s: not verified%s%s\n", what,
				m ? ": " : "", m ? m : "");
			free(m);
			return 1;
		}
		if (i >= 0)
			t[i] = now_us() - t0;
		bh_verify_result_release(&r);
	}
	report(what, t, n);
	return 0;
}

static int registry_mode(int argc, char **argv)
{
	struct bh_registry_opts ro = { 0 };
	struct bh_image_open_opts oo = { .registry = &ro };
	struct bh_verify_opts o = { 0 };
	struct bh_error *err = NULL;
	struct bh_key *k = NULL;
	const struct bh_key *keys[1];
	double *t;
	int n, rc;

	if (argc != 8 || (n = atoi(argv[7])) < 1) {
		fprintf(stderr, "usage: verify_latency --registry CACERT AUTHFILE CACHEDIR IMAGE "
				"PUBKEY N\n");
		return 2;
	}
	ro.cacert = argv[2];
	ro.authfile = argv[3];
	if (bh_key_load_public(argv[6], &k, &err) < 0) {
		fprintf(stderr, "verify_latency: %s\n", bh_error_message(err));
		return 3;
	}
	t = calloc((size_t)n, sizeof(*t));
	keys[0] = k;
	o.keys = keys;
	o.nkeys = 1;
	rc = time_verify("cold", argv[5], &oo, &o, t, n);
	o.cache_dir = argv[4];
	if (!rc)
		rc = time_verify("warm", argv[5], &oo, &o, t, n);
	bh_key_free(k);
	free(t);
	return rc;
}

int main(int argc, char **argv)
{
	struct bh_buf payload = BH_BUF_INIT(1 << 20), sig = BH_BUF_INIT(4096);
	struct bh_error *err = NULL;
	struct bh_key *k = NULL;
	struct bh_verify_opts o = { 0 };
	const struct bh_key *keys[1];
	double *t;
	int n;

	if (argc > 1 && !strcmp(argv[1], "--registry"))
		return registry_mode(argc, argv);
	if (argc != 6 || (n = atoi(argv[5])) < 1) {
		fprintf(stderr, "usage: verify_latency IMAGE PUBKEY PAYLOAD SIG.der N\n");
		return 2;
	}
	t = calloc((size_t)n, sizeof(*t));
	if (bh_key_load_public(argv[2], &k, &err) < 0 ||
	    bh_read_file(argv[3], &payload, &err) < 0 || bh_read_file(argv[4], &sig, &err) < 0) {
		fprintf(stderr, "verify_latency: %s\n", bh_error_message(err));
		return 3;
	}
	keys[0] = k;
	o.keys = keys;
	o.nkeys = 1;
	if (time_verify("verify_image", argv[1], NULL, &o, t, n))
		return 1;
	for (int i = -1; i < n; i++) {
		double t0 = now_us();

		if (bh_key_verify(k, payload.data, payload.len, sig.data, sig.len) != 1)
			return 1;
		if (i >= 0)
			t[i] = now_us() - t0;
	}
	report("ecdsa_verify", t, n);
	bh_key_free(k);
	bh_buf_release(&payload);
	bh_buf_release(&sig);
	free(t);
	return 0;
}
