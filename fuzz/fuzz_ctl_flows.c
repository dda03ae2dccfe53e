/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agents' flow records body (src/ctl/flows.c, POST /api/v1/agent/flows).
 * What is accepted must hold its invariants: a valid node name, seqs and
 * counts within their bounds, every edge with its names, a known l4 and
 * app, at most 8 threat IDs; a failure says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/flows.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	struct bh_ctl_flows f;
	int rc = bh_ctl_flows_parse((const char *)data, size, &f, &err);

	if (rc == 0) {
		if (!bh_ctl_name_valid(f.node, strlen(f.node)) || f.n > BH_CTL_FLOW_RECORDS_MAX ||
		    f.first_seq < 1 || f.first_seq + (int64_t)f.n - 1 > BH_CTL_SEQ_MAX)
			abort();
		for (size_t i = 0; i < f.n; i++) {
			const struct bh_ctl_flow_record *r = &f.rec[i];

			if (r->ts < 0 || r->n > BH_CTL_FLOW_EDGES_MAX || r->dropped < 0)
				abort();
			for (size_t j = 0; j < r->n; j++) {
				const struct bh_ctl_flow_edge *e = &r->edges[j];

				if (!e->src || !*e->src || strlen(e->src) > BH_CTL_FLOW_NAME_MAX ||
				    !e->dst || !*e->dst || strlen(e->dst) > BH_CTL_FLOW_NAME_MAX ||
				    e->port < 0 || e->port > 65535 || !e->app ||
				    strlen(e->app) > BH_CTL_FLOW_APP_MAX ||
				    e->nthreats > BH_CTL_FLOW_THREATS_MAX || e->bytes < 0 ||
				    e->denied < 0 || e->conns > BH_CTL_FLOW_COUNT_MAX ||
				    (strcmp(e->l4, "tcp") && strcmp(e->l4, "udp") &&
				     strcmp(e->l4, "icmp")))
					abort();
				for (size_t k = 0; k < e->nthreats; k++)
					if (!e->threats[k] || !*e->threats[k])
						abort();
			}
		}
	}
	bh_ctl_flows_release(&f);
	if ((rc < 0) != (err != NULL))
		abort();
	bh_error_free(err);
	return 0;
}
