/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store's counts in the controller's /metrics (bh_ctl_api_metrics): one
 * table row per metric family, one query each, the text kept metrics_ttl
 * seconds so a scrape (or ten scrapers) costs the database nothing between.
 * A part of the controller with a table to count adds its row here. A family
 * whose query fails (a table another build has not made yet) is left out of
 * that scrape and counted in bulkhead_metrics_query_errors_total.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl/api_int.h"
#include "banned.h"

struct family {
	const char *name, *help;
	const char *label; /* the label the first column gives; NULL: none */
	/* SELECT label (or NULL), COUNT(*): with `?` (at most one) the time now */
	const char *sql;
};

/* A family named *_total is a counter (Prometheus' convention), the rest gauges. */
static const char *family_type(const char *name)
{
	size_t n = strlen(name);

	return n > 6 && !strcmp(name + n - 6, "_total") ? "counter" : "gauge";
}

static const struct family families[] = {
	{ "bulkhead_users", "Users of the controller, by role.", "role",
	  "SELECT role, COUNT(*) FROM users GROUP BY role ORDER BY role" },
	{ "bulkhead_api_tokens", "API tokens valid now (not revoked, not expired), by kind.",
	  "kind",
	  "SELECT CASE WHEN node IS NULL THEN 'user' ELSE 'node' END, COUNT(*) FROM tokens"
	  " WHERE revoked IS NULL AND expires > ? GROUP BY 1 ORDER BY 1" },
	{ "bulkhead_audit_log_rows", "Rows in the audit log.", NULL,
	  "SELECT NULL, COUNT(*) FROM audit" },
	/* flows17: what the agents' flow records add up to (src/ctl/flows.c) */
	{ "bulkhead_flows_total", "Connections the agents reported in flows, by verdict.",
	  "verdict",
	  "SELECT 'allowed', COALESCE(CAST(SUM(allowed) AS BIGINT), 0) FROM flows"
	  " UNION ALL SELECT 'denied', COALESCE(CAST(SUM(denied) AS BIGINT), 0) FROM flows" },
	{ "bulkhead_flow_bytes_total", "Bytes the agents reported in flows.", NULL,
	  "SELECT NULL, COALESCE(CAST(SUM(bytes) AS BIGINT), 0) FROM flows" },
	{ "bulkhead_threats_total", "Network threats the agents reported on flows, by threat ID.",
	  "threat",
	  "SELECT threat, CAST(SUM(hits) AS BIGINT) FROM flow_threats GROUP BY threat"
	  " ORDER BY threat" },
	/* views17: the nodes, workloads, images and events the agents and scans report */
	{ "bulkhead_nodes", "Nodes registered, by whether their agent reported in the last 120 s.",
	  "state",
	  "SELECT CASE WHEN last_seen >= ? - 120 THEN 'connected' ELSE 'stale' END, COUNT(*)"
	  " FROM nodes GROUP BY 1 ORDER BY 1" },
	{ "bulkhead_workloads", "Workloads (containers) reported by the agents, by state.", "state",
	  "SELECT CASE WHEN gone IS NULL THEN 'running' ELSE 'gone' END, COUNT(*) FROM workloads"
	  " GROUP BY 1 ORDER BY 1" },
	{ "bulkhead_images", "Image digests recorded (scanned at least once).", NULL,
	  "SELECT NULL, COUNT(DISTINCT digest) FROM images" },
	{ "bulkhead_image_vulnerabilities",
	  "Vulnerabilities found in the recorded images and not suppressed now, by severity.",
	  "severity",
	  "SELECT CASE severity WHEN 0 THEN 'unknown' WHEN 1 THEN 'low' WHEN 2 THEN 'medium'"
	  " WHEN 3 THEN 'high' WHEN 4 THEN 'critical' ELSE 'other' END, COUNT(*)"
	  " FROM image_vulns v WHERE NOT EXISTS (SELECT 1 FROM suppressions s WHERE"
	  " s.vuln_id = v.vuln_id AND (s.digest = '' OR s.digest = v.digest) AND s.expires > ?)"
	  " GROUP BY 1 ORDER BY 1" },
	{ "bulkhead_suppressions", "Findings suppressed now (with a reason, until an expiry).",
	  NULL, "SELECT NULL, COUNT(*) FROM suppressions WHERE expires > ?" },
	{ "bulkhead_event_rows", "Events stored from the agents, by severity.", "severity",
	  "SELECT COALESCE(LOWER(severity), 'none'), COUNT(*) FROM events GROUP BY 1 ORDER BY 1" },
	{ "bulkhead_event_rule_rows",
	  "Events stored from the agents, by the rule that raised them.", "rule",
	  "SELECT COALESCE(rule, ''), COUNT(*) FROM events GROUP BY 1 ORDER BY 1" },
};
#define NFAMILIES (sizeof(families) / sizeof(families[0]))

struct rows {
	const struct family *f;
	struct bh_buf *out;
	size_t n;
};

/* A label value as Prometheus' text format wants it: \, " and newline escaped. */
static int add_label(struct bh_buf *out, const char *v, struct bh_error **err)
{
	for (; *v; v++) {
		int rc = *v == '\\'   ? bh_buf_adds(out, "\\\\", err)
			 : *v == '"'  ? bh_buf_adds(out, "\\\"", err)
			 : *v == '\n' ? bh_buf_adds(out, "\\n", err)
				      : bh_buf_addc(out, *v, err);

		if (rc < 0)
			return -1;
	}
	return 0;
}

static int family_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct rows *r = ctx;

	if (n != 2 || c[1].type != BH_CTL_INT)
		return bh_error_set(err, BH_ERR_INTERNAL, "metric %s: unexpected row", r->f->name);
	if (bh_buf_adds(r->out, r->f->name, err) < 0)
		return -1;
	if (r->f->label) {
		if (bh_buf_addf(r->out, err, "{%s=\"", r->f->label) < 0 ||
		    add_label(r->out, c[0].null ? "" : c[0].s, err) < 0 ||
		    bh_buf_adds(r->out, "\"}", err) < 0)
			return -1;
	}
	r->n++;
	return bh_buf_addf(r->out, err, " %lld\n", (long long)c[1].i);
}

/* Count every family into a->metrics_cache (with metrics_mu held). */
static int refresh(struct bh_ctl_api *a, struct bh_error **err)
{
	struct bh_buf *out = &a->metrics_cache;
	uint64_t t0 = bh_mono_ns();
	struct bh_ctl_val now = BH_CTL_I((int64_t)time(NULL));

	bh_buf_reset(out);
	for (size_t i = 0; i < NFAMILIES; i++) {
		const struct family *f = &families[i];
		struct rows r = { f, out, 0 };
		size_t mark;
		struct bh_error *qerr = NULL;

		if (bh_buf_addf(out, err, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
				family_type(f->name)) < 0)
			return -1;
		mark = out->len;
		if (bh_ctl_store_query(a->store, f->sql, &now, strchr(f->sql, '?') ? 1 : 0,
				       family_row, &r, NULL, &qerr) < 0) {
			if (bh_error_code(qerr) == BH_ERR_LIMIT) {
				bh_error_free(qerr);
				return bh_error_set(err, BH_ERR_LIMIT, "metrics: over 1 MiB");
			}
			bh_error_warn(&qerr, "metric %s", f->name);
			atomic_fetch_add(&a->metrics_errors, 1);
			out->len = mark;
			if (out->data)
				out->data[mark] = 0;
			continue;
		}
		if (!r.n && !f->label && bh_buf_addf(out, err, "%s 0\n", f->name) < 0)
			return -1;
	}
	return bh_buf_addf(out, err,
			   "# HELP bulkhead_metrics_store_seconds Time the last count of the "
			   "store took.\n"
			   "# TYPE bulkhead_metrics_store_seconds gauge\n"
			   "bulkhead_metrics_store_seconds %.6f\n",
			   (double)(bh_mono_ns() - t0) / 1e9);
}

int bh_ctl_metrics_store(struct bh_ctl_api *a, struct bh_buf *out, struct bh_error **err)
{
	uint64_t now = bh_mono_ns();
	int rc = 0;

	pthread_mutex_lock(&a->metrics_mu);
	if (!a->metrics_at || now - a->metrics_at >= (uint64_t)a->metrics_ttl * 1000000000u) {
		rc = refresh(a, err);
		a->metrics_at = rc < 0 ? 0 : now;
	}
	if (rc >= 0)
		rc = bh_buf_add(out, a->metrics_cache.data, a->metrics_cache.len, err);
	pthread_mutex_unlock(&a->metrics_mu);
	if (rc < 0)
		return -1;
	return bh_buf_addf(out, err,
			   "# HELP bulkhead_metrics_query_errors_total Metric families left out "
			   "of a count because their query failed.\n"
			   "# TYPE bulkhead_metrics_query_errors_total counter\n"
			   "bulkhead_metrics_query_errors_total %llu\n",
			   (unsigned long long)atomic_load(&a->metrics_errors));
}
