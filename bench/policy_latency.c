/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-process latency of the policy on one pod (bench/policy.sh builds and
 * runs this): a pod with 20 containers, evaluated N times after a warm-up,
 * printing the median, p99 and fastest in microseconds of
 *   json_parse   jansson parsing the pod's JSON (the anchor)
 *   pss          bh_pss_eval at restricted:latest
 *   policy       bh_policy_eval of the policy file (a parsed pod)
 *   parse+policy both, as a webhook pays per request
 *
 *   policy_latency POLICY.yaml POD.json N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/policy.h"

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
	printf("%s %.1f %.1f %.1f\n", what, t[n / 2], t[(int)((double)n * 0.99)], t[0]);
}

int main(int argc, char **argv)
{
	struct bh_buf pod = BH_BUF_INIT(16 << 20);
	struct bh_policy_diags d = { 0 };
	struct bh_error *err = NULL;
	struct bh_policy *p = bh_policy_new();
	struct bh_pss_lv lv = { BH_PSS_RESTRICTED, BH_PSS_LATEST };
	json_t *labels, *obj = NULL;
	double *t;
	int n;

	if (argc != 4 || (n = (int)strtol(argv[3], NULL, 10)) < 10) {
		fprintf(stderr, "usage: policy_latency POLICY.yaml POD.json N\n");
		return 2;
	}
	if (bh_policy_add_file(p, argv[1], &d, &err) < 0 || bh_policy_compile(p, &d, &err) < 0 ||
	    bh_read_file(argv[2], &pod, &err) < 0 ||
	    bh_json_parse(pod.data, pod.len, pod.max, argv[2], &obj, &err) < 0) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s:%zu: %s\n", d.v[i].file, d.v[i].line, d.v[i].message);
		fprintf(stderr, "policy_latency: %s\n", bh_error_message(err));
		return 3;
	}
	labels = json_pack("{s:s}", "pod-security.kubernetes.io/enforce", "restricted");
	t = calloc((size_t)n, sizeof(*t));
	for (int pass = 0; pass < 4; pass++) {
		for (int i = -n / 10; i < n; i++) {
			struct bh_policy_input in = { 0 };
			struct bh_policy_result r;
			struct bh_pss_result pr;
			json_t *o = obj;
			double t0 = now_us();

			if (pass == 0 || pass == 3) {
				if (bh_json_parse(pod.data, pod.len, pod.max, "pod", &o, NULL) < 0)
					return 3;
				if (pass == 0)
					json_decref(o);
			}
			if (pass == 1) {
				if (bh_pss_eval(obj, lv, &pr, &err) < 0)
					return 3;
				bh_pss_result_release(&pr);
			}
			if (pass >= 2) {
				in.kind = BH_POLICY_K8S;
				in.object = o;
				in.namespace_labels = labels;
				if (bh_policy_eval(p, &in, &r, &err) < 0) {
					fprintf(stderr, "policy_latency: %s\n",
						bh_error_message(err));
					return 3;
				}
				if (i == 0 && pass == 2)
					fprintf(stderr, "hits per evaluation: %zu\n", r.n);
				bh_policy_result_release(&r);
				if (pass == 3)
					json_decref(o);
			}
			if (i >= 0)
				t[i] = now_us() - t0;
		}
		report(pass == 0   ? "json_parse"
		       : pass == 1 ? "pss"
		       : pass == 2 ? "policy"
				   : "parse+policy",
		       t, n);
	}
	free(t);
	json_decref(obj);
	json_decref(labels);
	bh_policy_free(p);
	bh_policy_diags_release(&d);
	bh_buf_release(&pod);
	return 0;
}
