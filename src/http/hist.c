/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prometheus histograms of the HTTP layer (bh_http_hist, include/bulkhead/http.h):
 * fixed bucket bounds in seconds, counted lock-free; used by the layer's own
 * request latency and by the servers' metrics hooks.
 */
#include <stdint.h>

#include "bulkhead/http.h"
#include "banned.h"

static const double hist_bounds[BH_HTTP_HIST_BUCKETS] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
							  0.005,  0.01,	   0.025,  0.05,  0.1,
							  0.25,	  0.5,	   1,	   2.5 };

void bh_http_hist_observe(struct bh_http_hist *h, uint64_t ns)
{
	double sec = (double)ns / 1e9;
	size_t i;

	for (i = 0; i < BH_HTTP_HIST_BUCKETS && sec > hist_bounds[i]; i++)
		;
	__atomic_fetch_add(&h->bucket[i], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&h->count, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&h->sum_ns, ns, __ATOMIC_RELAXED);
}

int bh_http_hist_write(const struct bh_http_hist *h, const char *name, const char *labels,
		       struct bh_buf *out, struct bh_error **err)
{
	const char *sep = labels && *labels ? "," : "";
	uint64_t cum = 0;

	if (!labels)
		labels = "";
	for (size_t i = 0; i <= BH_HTTP_HIST_BUCKETS; i++) {
		cum += __atomic_load_n(&h->bucket[i], __ATOMIC_RELAXED);
		if (i < BH_HTTP_HIST_BUCKETS) {
			if (bh_buf_addf(out, err, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels,
					sep, hist_bounds[i], (unsigned long long)cum) < 0)
				return -1;
		} else if (bh_buf_addf(out, err, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels,
				       sep, (unsigned long long)cum) < 0)
			return -1;
	}
	if (bh_buf_addf(out, err, "%s_sum%s%s%s %.9f\n%s_count%s%s%s %llu\n", name,
			*labels ? "{" : "", labels, *labels ? "}" : "",
			(double)__atomic_load_n(&h->sum_ns, __ATOMIC_RELAXED) / 1e9, name,
			*labels ? "{" : "", labels, *labels ? "}" : "",
			(unsigned long long)__atomic_load_n(&h->count, __ATOMIC_RELAXED)) < 0)
		return -1;
	return 0;
}
