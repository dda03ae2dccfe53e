/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The nodes' host benchmark results (bench17): each agent run with --bench
 * reports a run of `bulkhead bench host` as events of kind "bench" (one per
 * check, all with the run's ts; src/agent/net.c), stored once per (node,
 * seq) as every event is. The view is each node's last run, read through
 * the indexes events_bench (node, kind, ts) and events_bench_id (node, kind,
 * id): a node's last run is the one that came last (the highest id), whatever
 * the agent's clock said.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/ctl.h"
#include "banned.h"

/* the results read in one view; more: "truncated" says so */
#define BENCH_ROWS_MAX 100000

struct bench_rows {
	json_t *nodes; /* [{node, time, pass, fail, warn, info, results}] */
	json_t *cur;   /* the node being filled */
	size_t rows;
	bool truncated;
};

static void bump(json_t *node, const char *status)
{
	static const char *const keys[] = { "pass", "fail", "warn", "info" };

	for (size_t i = 0; i < 4; i++)
		if (!strcasecmp(status, keys[i])) {
			json_t *v = json_object_get(node, keys[i]);

			json_object_set_new(node, keys[i], json_integer(json_integer_value(v) + 1));
			return;
		}
}

/* node, ts, rule, severity, event_json */
static int bench_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct bench_rows *r = ctx;
	json_t *ev, *data, *res;
	const char *status;

	if (n != 5)
		return bh_error_set(err, BH_ERR_INTERNAL, "bench: %zu columns", n);
	if (c[0].null || c[2].null)
		return 0;
	if (++r->rows > BENCH_ROWS_MAX) {
		r->truncated = true;
		return 0;
	}
	if (!r->cur || strcmp(json_string_value(json_object_get(r->cur, "node")), c[0].s)) {
		r->cur = json_pack("{sssosIsisisisis[]}", "node", c[0].s, "time",
				   bh_ctl_col_time(&c[1]), "ts", (json_int_t)c[1].i, "pass", 0,
				   "fail", 0, "warn", 0, "info", 0, "results");
		if (!r->cur)
			return bh_error_set(err, BH_ERR_NOMEM, "bench");
		json_array_append_new(r->nodes, r->cur);
	}
	status = c[3].null ? "INFO" : c[3].s;
	ev = json_loads(c[4].null ? "" : c[4].s, 0, NULL);
	data = json_object_get(ev, "data");
	res = json_pack("{ssss}", "id", c[2].s, "status", status);
	if (json_is_object(data)) {
		static const char *const keep[] = { "title",  "nist",	  "cis",     "level",
						    "actual", "expected", "section", "target" };

		for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
			json_t *v = json_object_get(data, keep[i]);

			if (v && !json_is_null(v))
				json_object_set(res, keep[i], v);
		}
	}
	json_decref(ev);
	json_array_append_new(json_object_get(r->cur, "results"), res);
	bump(r->cur, status);
	return 0;
}

int bh_ctl_bench_list(struct bh_ctl_store *s, const char *node, json_t **out, struct bh_error **err)
{
	struct bench_rows r = { json_array(), NULL, 0, false };
	struct bh_ctl_val p[] = { BH_CTL_S(node), BH_CTL_S(node) };

	*out = NULL;
	if (bh_ctl_store_query(
		    s,
		    "SELECT e.node, e.ts, e.rule, e.severity, e.event_json FROM events e"
		    " WHERE e.kind = 'bench' AND (? IS NULL OR e.node = ?)"
		    /* the node's last run: the one that came last (by id),
		     * not the agent clock's latest */
		    " AND e.ts = (SELECT b.ts FROM events b"
		    " WHERE b.node = e.node AND b.kind = 'bench' ORDER BY b.id DESC LIMIT 1)"
		    " ORDER BY e.node, e.rule, e.id LIMIT 100001",
		    p, 2, bench_row, &r, NULL, err) < 0) {
		json_decref(r.nodes);
		return -1;
	}
	*out = json_pack("{sosb}", "nodes", r.nodes, "truncated", r.truncated);
	return *out ? 0 : bh_error_set(err, BH_ERR_NOMEM, "bench");
}
