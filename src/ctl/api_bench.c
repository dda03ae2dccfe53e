/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The nodes' host benchmark results (bench17): GET /api/v1/bench, each
 * node's last `bulkhead bench host` run as its agent reported it
 * (src/ctl/bench.c).
 */
#include <string.h>

#include "ctl/api_int.h"
#include "banned.h"

static void on_bench(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	char node[BH_CTL_NAME_MAX + 1];
	json_t *v;
	int rc;

	if ((rc = bh_ctl_call_query(c, "node", node, sizeof(node))) < 0)
		return;
	if (rc && !bh_ctl_name_valid(node, strlen(node)))
		return bh_ctl_reply_error(c, 400, "node: not a node name");
	if (bh_ctl_bench_list(c->a->store, rc ? node : NULL, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, v);
}

static const struct bh_ctl_endpoint endpoints[] = {
	{ "GET", "/api/v1/bench", on_bench, BH_CTL_READER,
	  "Each node's (node: one node's) last host benchmark run (bulkhead agent --bench): "
	  "its results by check and the counts by status",
	  NULL, "node", 200 },
};

const struct bh_ctl_endpoints bh_ctl_api_bench = { endpoints,
						   sizeof(endpoints) / sizeof(endpoints[0]), NULL };
