/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SP 800-190 countermeasure view (views17): for each countermeasure of
 * NIST SP 800-190 section 4, what enforces it here and what violates it now,
 * counted from the store at the time asked. A countermeasure's state follows
 * from the counts: "violated" when a violation count is above zero,
 * "enforced" when some evidence is, "no-data" when nothing the controller
 * stores speaks for it (what bulkhead does about it is then done on the
 * hosts, unreported: enforced_by says which command). A suppressed finding
 * (src/ctl/suppress.c) leaves the vulnerability counts until its expiry.
 */
#include <string.h>
#include <time.h>

#include "bulkhead/ctl.h"
#include "banned.h"

/* A count: SELECT COUNT(*) ..., every `?` bound to the time now. */
struct count {
	const char *what;
	const char *sql;
	const char *link; /* the dashboard's view of the rows counted, or NULL */
};

#define CM_COUNTS 4
struct countermeasure {
	const char *id, *title, *enforced_by;
	struct count evidence[CM_COUNTS];
	struct count violations[CM_COUNTS];
};

#define DAY	   "86400"
#define RUNNING	   "FROM workloads w WHERE w.gone IS NULL"
#define CONNECTED  "SELECT COUNT(*) FROM nodes WHERE last_seen >= ? - 120"
#define STALE_NODE "SELECT COUNT(*) FROM nodes WHERE last_seen < ? - 120"
#define UNSCANNED                                                                                  \
	"SELECT COUNT(*) " RUNNING " AND (w.digest IS NULL OR NOT EXISTS (SELECT 1 FROM images i"  \
	" WHERE i.digest = w.digest AND i.scanned_at IS NOT NULL))"
/* a HIGH or CRITICAL finding of digest d not suppressed now (src/ctl/suppress.c) */
#define HIGH_OF(d)                                                                                 \
	"SELECT 1 FROM image_vulns v WHERE v.digest = " d " AND v.severity >= 3 AND NOT EXISTS"    \
	" (SELECT 1 FROM suppressions s WHERE s.vuln_id = v.vuln_id AND (s.digest = ''"            \
	" OR s.digest = v.digest) AND s.expires > ?)"
#define VULNERABLE "SELECT COUNT(*) " RUNNING " AND EXISTS (" HIGH_OF("w.digest") ")"
/* events of the last 24 h: the minute first (the index events_minute, schema.c) */
#define EVENTS_DAY "ts / 60 >= (? - " DAY ") / 60 AND ts >= ? - " DAY
#define ALERTS_DAY(sev)                                                                            \
	"SELECT COUNT(*) FROM events WHERE kind = 'alert' AND " EVENTS_DAY                         \
	" AND UPPER(severity) IN (" sev ")"

static const struct countermeasure cms[] = {
	{ "4.1.1",
	  "Image vulnerabilities",
	  "scans on push (serve --registry) and re-matches on advisory updates",
	  { { "images scanned",
	      "SELECT COUNT(DISTINCT digest) FROM images WHERE scanned_at IS NOT NULL", "images" },
	    { "images scanned in the last 24 h",
	      "SELECT COUNT(DISTINCT digest) FROM images WHERE scanned_at >= ? - " DAY, "images" },
	    { "findings suppressed now (a reason, until an expiry)",
	      "SELECT COUNT(*) FROM suppressions WHERE expires > ?", "images" } },
	  { { "images with a HIGH or CRITICAL vulnerability (not suppressed)",
	      "SELECT COUNT(DISTINCT i.digest) FROM images i WHERE EXISTS (" HIGH_OF(
		      "i.digest") ")",
	      "images?severity=HIGH" },
	    { "running workloads of such an image", VULNERABLE, "workloads?vulnerable=1" } } },
	{ "4.1.2",
	  "Image configuration defects",
	  "bulkhead scan --scanners config, on the host (not reported to the controller)",
	  { { 0 } },
	  { { 0 } } },
	{ "4.1.3",
	  "Embedded malware",
	  "bulkhead scan, on the host (not reported to the controller)",
	  { { 0 } },
	  { { 0 } } },
	{ "4.1.4",
	  "Embedded clear text secrets",
	  "bulkhead scan --scanners secret, on the host (not reported to the controller)",
	  { { 0 } },
	  { { 0 } } },
	{ "4.1.5",
	  "Use of untrusted images",
	  "the images recorded by the controller; admission (bulkhead admission) on the cluster",
	  { { "running workloads of a scanned image",
	      "SELECT COUNT(*) " RUNNING " AND EXISTS (SELECT 1 FROM images i"
	      " WHERE i.digest = w.digest AND i.scanned_at IS NOT NULL)",
	      "workloads" } },
	  { { "running workloads of an image never scanned here", UNSCANNED,
	      "workloads?unscanned=1" } } },
	{ "4.2.1",
	  "Insecure connections to registries",
	  "registry automation pulls over TLS from the one registry configured",
	  { { "scans recorded from the registry",
	      "SELECT COUNT(*) FROM audit WHERE action = 'image.scan'", NULL } },
	  { { 0 } } },
	{ "4.2.2",
	  "Stale images in registries",
	  "scan age: every image in use re-matched when the advisory database updates",
	  { { "images scanned in the last 7 days",
	      "SELECT COUNT(DISTINCT digest) FROM images WHERE scanned_at >= ? - 7 * " DAY,
	      "images" } },
	  { { "images whose last scan is older than 7 days",
	      "SELECT COUNT(DISTINCT digest) FROM images WHERE scanned_at < ? - 7 * " DAY,
	      "images?stale=1" } } },
	{ "4.2.3",
	  "Insufficient authentication and authorization restrictions",
	  "users with roles, expiring API tokens, the audit log",
	  { { "valid API tokens",
	      "SELECT COUNT(*) FROM tokens WHERE revoked IS NULL AND expires > ?", "tokens" },
	    { "audited changes", "SELECT COUNT(*) FROM audit", NULL } },
	  { { 0 } } },
	{ "4.3",
	  "Orchestrator: admission and unbounded administrative access",
	  "the runtime's policy at create (bulkhead create/run) and the admission webhook "
	  "(bulkhead admission serve --decision-log), their decisions reported by the agents "
	  "(agent --admission-root), and the controller's roles",
	  { { "admission events reported", "SELECT COUNT(*) FROM events WHERE kind = 'admission'",
	      "events?kind=admission" },
	    { "admins", "SELECT COUNT(*) FROM users WHERE role = 'admin'", NULL } },
	  { { "admissions denied in the last 24 h",
	      "SELECT COUNT(*) FROM events WHERE kind = 'admission' AND " EVENTS_DAY
	      " AND UPPER(severity) IN ('HIGH', 'CRITICAL', 'ERROR', 'DENY')",
	      "events?kind=admission&severity=DENY" },
	    { "admitted with a warning in the last 24 h",
	      "SELECT COUNT(*) FROM events WHERE kind = 'admission' AND " EVENTS_DAY
	      " AND UPPER(severity) = 'WARN'",
	      "events?kind=admission&severity=WARN" } } },
	{ "4.4.1",
	  "Runtime: syscall profiles and monitoring",
	  "the agents' monitor (bulkhead agent) on each node",
	  { { "nodes with a connected agent", CONNECTED, "nodes" },
	    { "running workloads watched",
	      "SELECT COUNT(*) " RUNNING " AND EXISTS (SELECT 1 FROM nodes n WHERE n.name = w.node"
	      " AND n.last_seen >= ? - 120)",
	      "workloads" } },
	  { { "nodes whose agent has not reported for 120 s", STALE_NODE, "nodes" },
	    { "critical runtime alerts in the last 24 h",
	      ALERTS_DAY("'CRITICAL', 'EMERGENCY', 'ALERT'"), "events?severity=CRITICAL" },
	    { "error and warning runtime alerts in the last 24 h",
	      ALERTS_DAY("'ERROR', 'WARNING', 'HIGH'"), "events" } } },
	{ "4.4.2",
	  "Network segmentation (inter-container traffic)",
	  "the agents' firewall (bulkhead net) on each node",
	  { { "nodes with a connected agent", CONNECTED, "nodes" } },
	  { { "network alerts in the last 24 h",
	      "SELECT COUNT(*) FROM events WHERE " EVENTS_DAY
	      " AND (kind LIKE 'net%' OR rule LIKE 'net%')",
	      "events" } } },
	{ "4.4.3",
	  "Rogue containers",
	  "workloads reported by the agents, joined with the images recorded",
	  { { "running workloads reported", "SELECT COUNT(*) " RUNNING, "workloads" } },
	  { { "running workloads of an image never scanned here", UNSCANNED,
	      "workloads?unscanned=1" } } },
	{ "4.5",
	  "Host OS",
	  "bulkhead bench (CIS checks of the host), run by the agents (bulkhead agent --bench) "
	  "and reported as bench events",
	  { { "nodes with a bench run reported",
	      "SELECT COUNT(DISTINCT node) FROM events WHERE kind = 'bench'", "bench" } },
	  { { "bench checks failing in the nodes' last runs",
	      "SELECT COUNT(*) FROM events e WHERE e.kind = 'bench' AND UPPER(e.severity) IN"
	      " ('FAIL', 'HIGH', 'CRITICAL') AND e.ts = (SELECT b.ts FROM events b"
	      " WHERE b.node = e.node AND b.kind = 'bench' ORDER BY b.id DESC LIMIT 1)",
	      "bench" } } },
	{ "4.6",
	  "Hardware: trusted computing",
	  "measured launches (the runtime's TPM PCR and event log) verified by the controller "
	  "from each agent's quote (bulkhead agent --tpm-log): verified nodes",
	  { { "nodes whose last TPM attestation verified",
	      "SELECT COUNT(*) FROM attest_nodes WHERE verified = 1", "nodes" },
	    { "running workloads whose launch is verified",
	      "SELECT COUNT(*) " RUNNING " AND EXISTS (SELECT 1 FROM attest_launches l"
	      " WHERE l.node = w.node AND l.container_id = w.container_id AND l.node IN"
	      " (SELECT node FROM attest_nodes WHERE verified = 1))",
	      "workloads" } },
	  { { "nodes whose last TPM attestation failed",
	      "SELECT COUNT(*) FROM attest_nodes WHERE verified = 0", "nodes" } } },
};
#define NCMS (sizeof(cms) / sizeof(cms[0]))

static int count_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	if (n != 1 || c[0].type != BH_CTL_INT)
		return bh_error_set(err, BH_ERR_INTERNAL, "countermeasures: unexpected row");
	*(int64_t *)ctx = c[0].i;
	return 0;
}

/* The counts of v (a table's row) as a JSON array; *any: one is above zero. */
static int counts(struct bh_ctl_store *s, const struct count *v, int64_t now, json_t **out,
		  bool *any, struct bh_error **err)
{
	struct bh_ctl_val p[4];
	json_t *arr = json_array();

	*any = false;
	for (size_t k = 0; k < 4; k++)
		p[k] = BH_CTL_I(now);
	for (size_t i = 0; i < CM_COUNTS && v[i].what; i++) {
		size_t np = 0;
		int64_t n = 0;

		for (const char *q = v[i].sql; *q; q++)
			np += *q == '?';
		if (np > 4 ||
		    bh_ctl_store_query(s, v[i].sql, p, np, count_row, &n, NULL, err) < 0) {
			json_decref(arr);
			if (np > 4)
				return bh_error_set(err, BH_ERR_INTERNAL, "countermeasure query");
			return bh_error_prefix(err, "countermeasure \"%s\"", v[i].what);
		}
		*any |= n > 0;
		json_array_append_new(arr, json_pack("{sssIss?}", "what", v[i].what, "count",
						     (json_int_t)n, "link", v[i].link));
	}
	*out = arr;
	return 0;
}

int bh_ctl_countermeasures(struct bh_ctl_store *s, json_t **out, struct bh_error **err)
{
	int64_t now = (int64_t)time(NULL);
	json_t *list = json_array();
	char t[BH_TIME_MAX];
	struct timespec ts = { (time_t)now, 0 };
	size_t st[3] = { 0 };

	*out = NULL;
	for (size_t i = 0; i < NCMS; i++) {
		json_t *ev = NULL, *vi = NULL;
		bool has_ev, has_vi;
		int k;

		if (counts(s, cms[i].evidence, now, &ev, &has_ev, err) < 0 ||
		    counts(s, cms[i].violations, now, &vi, &has_vi, err) < 0) {
			json_decref(ev);
			json_decref(list);
			return -1;
		}
		k = has_vi ? 0 : has_ev ? 1 : 2;
		st[k]++;
		json_array_append_new(list, json_pack("{sssssssssoso}", "id", cms[i].id, "title",
						      cms[i].title, "enforced_by",
						      cms[i].enforced_by, "state",
						      k == 0   ? "violated"
						      : k == 1 ? "enforced"
							       : "no-data",
						      "evidence", ev, "violations", vi));
	}
	*out = json_pack("{sss{sIsIsI}so}", "generated", bh_time_rfc3339(&ts, 0, t), "summary",
			 "violated", (json_int_t)st[0], "enforced", (json_int_t)st[1], "no-data",
			 (json_int_t)st[2], "countermeasures", list);
	return *out ? 0 : bh_error_set(err, BH_ERR_NOMEM, "countermeasures");
}
