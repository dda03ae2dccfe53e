/* SPDX-License-Identifier: Apache-2.0 */
/* harness: serial postgres (ctl_env.h's own PostgreSQL, unix socket in its temp dir) */
/*
 * The controller's agents and ingestion (include/bulkhead/ctl.h: nodes,
 * workloads, events), every store test run on both back-ends as
 * test_ctl_store.c does: SQLite in a temporary file, and PostgreSQL 15 that
 * this test starts itself (initdb + pg_ctl, a unix socket only, as nobody).
 * Without PostgreSQL's server binaries its cases SKIP naming them. Also the
 * agents' body parsers with hostile input.
 */
#include <pthread.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/ctl.h"
#include "ctl_env.h"
#include "ctl/ingest_scan.h"
#include "banned.h"

/* A batch of node from first: n events, event i with the rule "r<i%3>",
 * severity CRITICAL for even i else WARNING, workload "c<i%2>", ts 1000+i. */
static void batch(struct bh_ctl_batch *b, const char *node, int64_t first, size_t n)
{
	struct bh_buf j = BH_BUF_INIT(BH_CTL_BODY_MAX);
	struct bh_error *err = NULL;

	assert_int_equal(bh_buf_addf(&j, &err, "{\"node\":\"%s\",\"first_seq\":%lld,\"events\":[",
				     node, (long long)first),
			 0);
	for (size_t i = 0; i < n; i++) {
		int64_t seq = first + (int64_t)i;

		assert_int_equal(bh_buf_addf(&j, &err,
					     "%s{\"ts\":%lld,\"kind\":\"alert\",\"rule\":\"r%lld\","
					     "\"severity\":\"%s\",\"workload\":\"c%lld\","
					     "\"data\":{\"seq\":%lld}}",
					     i ? "," : "", (long long)(1000 + seq),
					     (long long)(seq % 3), seq % 2 ? "WARNING" : "CRITICAL",
					     (long long)(seq % 2), (long long)seq),
				 0);
	}
	assert_int_equal(bh_buf_adds(&j, "]}", &err), 0);
	if (bh_ctl_batch_parse(j.data, j.len, b, &err) < 0)
		fail_msg("batch: %s", bh_error_message(err));
	bh_buf_release(&j);
}

struct hook_seen {
	int calls;
	int64_t seqs[64];
	size_t n;
};

static void hook_stored(void *data, const char *node, const struct bh_ctl_event_in *ev,
			const int64_t *seqs, size_t n)
{
	struct hook_seen *h = data;

	assert_string_equal(node, "n1");
	h->calls++;
	for (size_t i = 0; i < n && h->n < 64; i++) {
		assert_string_equal(ev[i].kind, "alert");
		h->seqs[h->n++] = seqs[i];
	}
}

static void ingest(struct bh_ctl_store *s, const char *node, int64_t first, size_t n,
		   const struct bh_ctl_ingest_hook *hook, int64_t want_stored, int64_t want_acked)
{
	struct bh_ctl_batch b;
	struct bh_ctl_ingest_result res;
	struct bh_error *err = NULL;

	batch(&b, node, first, n);
	if (bh_ctl_ingest_events(s, node, &b, hook, &res, &err) < 0)
		fail_msg("ingest: %s", bh_error_message(err));
	assert_int_equal(res.stored, want_stored);
	assert_int_equal(res.acked, want_acked);
	bh_ctl_batch_release(&b);
}

/* ---- events ------------------------------------------------------------------------------ */

static void a_replayed_batch_is_stored_once(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct hook_seen seen = { 0 };
	struct bh_ctl_ingest_hook hook = { hook_stored, &seen };
	int64_t acked = -1;
	struct bh_error *err = NULL;

	reg(s, "n1");
	reg(s, "n2");
	ingest(s, "n1", 1, 3, &hook, 3, 3);
	/* the answer was lost: the same batch again stores nothing, acks 3 */
	ingest(s, "n1", 1, 3, &hook, 0, 3);
	/* overlapping: only 4 and 5 are new */
	ingest(s, "n1", 2, 4, &hook, 2, 5);
	/* another node's seqs are its own */
	ingest(s, "n2", 1, 2, NULL, 2, 2);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM events WHERE node = 'n1'"), 5);
	assert_int_equal(count(s, "SELECT COUNT(DISTINCT seq) FROM events WHERE node = 'n1'"), 5);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM events"), 7);
	/* the hook saw each stored event once, and no replayed one */
	assert_int_equal(seen.calls, 2);
	assert_int_equal(seen.n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(seen.seqs[i], (int64_t)i + 1);
	assert_int_equal(bh_ctl_ingest_acked(s, "n1", &acked, &err), 0);
	assert_int_equal(acked, 5);
	assert_int_equal(bh_ctl_ingest_acked(s, "n3", &acked, &err), 0);
	assert_int_equal(acked, 0);
	bh_ctl_store_free(s);
}

static void an_unregistered_node_stores_nothing(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_ctl_batch b;
	struct bh_ctl_ingest_result res;
	struct bh_error *err = NULL;

	batch(&b, "ghost", 1, 2);
	assert_int_equal(bh_ctl_ingest_events(s, "ghost", &b, NULL, &res, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_NOTFOUND);
	{
		char *m = bh_error_message(err);

		assert_non_null(strstr(m, "not registered"));
		free(m);
	}
	bh_error_free(err);
	bh_ctl_batch_release(&b);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM events"), 0);
	bh_ctl_store_free(s);
}

static void register_is_an_upsert_and_audited(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_ctl_register r;
	struct bh_error *err = NULL;
	json_t *nodes;
	const char *b2 = "{\"node\":\"n1\",\"agent_version\":\"0.18\",\"policy_version\":\"v2\"}";

	reg(s, "n1");
	assert_int_equal(bh_ctl_register_parse(b2, strlen(b2), &r, &err), 0);
	assert_int_equal(bh_ctl_node_register(s, "n1", &r, &err), 0);
	ingest(s, "n1", 1, 4, NULL, 4, 4);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM nodes"), 1);
	assert_int_equal(
		count(s, "SELECT COUNT(*) FROM audit WHERE action = 'node.register' AND object = "
			 "'node/n1' AND actor = 'n1'"),
		2);
	assert_int_equal(
		count(s, "SELECT COUNT(*) FROM audit WHERE action = 'node.register' AND before_json"
			 " LIKE '%0.17%' AND after_json LIKE '%0.18%'"),
		1);
	assert_int_equal(bh_ctl_node_list(s, &nodes, &err), 0);
	assert_int_equal(json_array_size(nodes), 1);
	assert_string_equal(bh_json_str(json_array_get(nodes, 0), "agent_version"), "0.18");
	assert_string_equal(bh_json_str(json_array_get(nodes, 0), "policy_version"), "v2");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(nodes, 0), "events")),
			 4);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(nodes, 0), "acked")), 4);
	json_decref(nodes);
	bh_ctl_store_free(s);
}

static size_t list_n(struct bh_ctl_store *s, const struct bh_ctl_event_filter *f, json_t **out)
{
	struct bh_error *err = NULL;

	if (bh_ctl_event_list(s, f, out, &err) < 0)
		fail_msg("list: %s", bh_error_message(err));
	return json_array_size(json_object_get(*out, "items"));
}

static void events_filter_and_page(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_ctl_event_filter f = { 0 };
	json_t *v, *it;
	int64_t next;
	size_t total = 0;

	reg(s, "n1");
	reg(s, "n2");
	ingest(s, "n1", 1, 6, NULL, 6, 6); /* seq 1..6, ts 1001..1006 */
	ingest(s, "n2", 1, 3, NULL, 3, 3);
	assert_int_equal(list_n(s, &f, &v), 9);
	it = json_array_get(json_object_get(v, "items"), 0);
	assert_string_equal(bh_json_str(it, "node"), "n1");
	assert_int_equal(json_integer_value(json_object_get(it, "seq")), 1);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_object_get(it, "event"), "data"), "seq")),
			 1);
	assert_true(json_is_null(json_object_get(v, "next")));
	json_decref(v);

	f.node = "n1";
	f.severity = "CRITICAL"; /* even seqs: 2, 4, 6 */
	assert_int_equal(list_n(s, &f, &v), 3);
	json_decref(v);
	f.severity = NULL;
	f.rule = "r0"; /* 3, 6 */
	assert_int_equal(list_n(s, &f, &v), 2);
	json_decref(v);
	f.rule = NULL;
	f.workload = "c1"; /* 1, 3, 5 */
	assert_int_equal(list_n(s, &f, &v), 3);
	json_decref(v);
	f.kind = "alert"; /* webhook19: every event here is an alert */
	assert_int_equal(list_n(s, &f, &v), 3);
	json_decref(v);
	f.kind = "admission";
	assert_int_equal(list_n(s, &f, &v), 0);
	json_decref(v);
	f.kind = NULL;
	f.workload = NULL;
	f.since = 1002;
	f.until = 1004;
	assert_int_equal(list_n(s, &f, &v), 3);
	json_decref(v);
	/* paging: 2 at a time over the 9 */
	memset(&f, 0, sizeof(f));
	f.limit = 2;
	do {
		total += list_n(s, &f, &v);
		it = json_object_get(v, "next");
		next = json_is_null(it) ? 0 : json_integer_value(it);
		f.after_id = next;
		json_decref(v);
	} while (next);
	assert_int_equal(total, 9);
	f.limit = BH_CTL_AUDIT_PAGE_MAX + 1;
	{
		struct bh_error *err = NULL;

		assert_int_equal(bh_ctl_event_list(s, &f, &v, &err), -1);
		bh_error_free(err);
	}
	bh_ctl_store_free(s);
}

/* The plan's detail column (EXPLAIN QUERY PLAN: id, parent, notused, detail), joined. */
static int plan_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct bh_buf *b = ctx;

	if (n == 4 && !c[3].null && c[3].type == BH_CTL_TEXT)
		return bh_buf_addf(b, err, "%s; ", c[3].s);
	return 0;
}

static void assert_plan_uses(struct bh_ctl_store *s, const char *sql, size_t np, const char *index)
{
	struct bh_ctl_val p[8];
	struct bh_buf plan = BH_BUF_INIT(1u << 16);
	struct bh_error *err = NULL;
	char *q = bh_asprintf("EXPLAIN QUERY PLAN %s", sql);

	for (size_t i = 0; i < np; i++)
		p[i] = BH_CTL_I(1700000000);
	if (bh_ctl_store_query(s, q, p, np, plan_row, &plan, NULL, &err) < 0)
		fail_msg("%s: %s", q, bh_error_message(err));
	assert_int_equal(bh_buf_addc(&plan, 0, &err), 0);
	if (!strstr(plan.data, index))
		fail_msg("%s: plan \"%s\" does not use %s", sql, plan.data, index);
	bh_buf_release(&plan);
	free(q);
}

/* ingest17: the time index is by the minute (ts / 60, schema.c); every query
 * by time says the minute and the second: exact answers at the minutes'
 * edges, and (SQLite, whose plans do not depend on statistics it has not
 * gathered) the index in the plan. Batches over 100 rows: several INSERTs. */
static void time_filters_use_the_minute_index(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_ctl_event_filter f = { .node = "n1", .limit = 1000 };
	json_t *v;

	reg(s, "n1");
	ingest(s, "n1", 1, 250, NULL, 250, 250);   /* ts 1001..1250: minutes 16..20 */
	ingest(s, "n1", 200, 250, NULL, 199, 449); /* 251..449 new: ts to 1449 */
	assert_int_equal(count(s, "SELECT COUNT(*) FROM events"), 449);
	f.since = 1080; /* a minute's first second */
	f.until = 1139; /* its last */
	assert_int_equal(list_n(s, &f, &v), 60);
	json_decref(v);
	f.since = 1079;
	f.until = 1140;
	assert_int_equal(list_n(s, &f, &v), 62);
	json_decref(v);
	f.until = 0;
	assert_int_equal(list_n(s, &f, &v), 449 - 78);
	json_decref(v);
	f.since = 0;
	f.until = 1001;
	assert_int_equal(list_n(s, &f, &v), 1);
	json_decref(v);
	if (!strcmp(bh_ctl_store_backend(s), "sqlite")) {
		/* the texts of ingest.c's bh_ctl_event_list and counter.c's
		 * EVENTS_DAY: the list is keyset-paged by id (its plan is the
		 * rowid's, with events_ts before too); the counts by time use the
		 * minute (with "ts >= ?" alone they would scan the table) */
		assert_plan_uses(
			s,
			"SELECT id FROM events WHERE id > ? AND ts / 60 >= ? / 60"
			" AND ts >= ? AND ts / 60 <= ? / 60 AND ts <= ? ORDER BY id LIMIT ?",
			6, "INTEGER PRIMARY KEY");
		assert_plan_uses(s,
				 "SELECT COUNT(*) FROM events WHERE kind = 'alert' AND"
				 " ts / 60 >= (? - 86400) / 60 AND ts >= ? - 86400"
				 " AND UPPER(severity) IN ('CRITICAL')",
				 2, "events_minute");
		assert_plan_uses(s,
				 "SELECT COUNT(*) FROM events WHERE"
				 " ts / 60 >= (? - 86400) / 60 AND ts >= ? - 86400"
				 " AND (kind LIKE 'net%' OR rule LIKE 'net%')",
				 2, "events_minute");
	}
	bh_ctl_store_free(s);
}

/* ---- workloads --------------------------------------------------------------------------- */

static void report(struct bh_ctl_store *s, const char *json, int64_t want_added, int64_t want_gone)
{
	struct bh_ctl_workloads w;
	struct bh_error *err = NULL;
	int64_t added = -1, gone = -1;

	if (bh_ctl_workloads_parse(json, strlen(json), &w, &err) < 0)
		fail_msg("parse: %s", bh_error_message(err));
	if (bh_ctl_workloads_report(s, "n1", w.node, &w, &added, &gone, &err) < 0)
		fail_msg("report: %s", bh_error_message(err));
	assert_int_equal(added, want_added);
	assert_int_equal(gone, want_gone);
	bh_ctl_workloads_release(&w);
}

static void workloads_come_and_go(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_ctl_workload_filter f = { .node = "n1" };
	struct bh_error *err = NULL;
	json_t *v;

	reg(s, "n1");
	report(s,
	       "{\"node\":\"n1\",\"workloads\":[{\"id\":\"c1\",\"name\":\"web\",\"image\":\"nginx:"
	       "1\","
	       "\"digest\":\"sha256:aa\",\"pod\":\"web-0\",\"namespace\":\"prod\",\"started\":1000}"
	       ","
	       "{\"id\":\"c2\"}]}",
	       2, 0);
	/* the same again: nothing changes, nothing audited */
	report(s,
	       "{\"node\":\"n1\",\"workloads\":[{\"id\":\"c1\",\"name\":\"web\"},{\"id\":\"c2\"}]}",
	       0, 0);
	report(s, "{\"node\":\"n1\",\"workloads\":[{\"id\":\"c2\"},{\"id\":\"c3\"}]}", 1, 1);
	assert_int_equal(bh_ctl_workload_list(s, &f, &v, &err), 0);
	assert_int_equal(json_array_size(v), 2);
	assert_string_equal(bh_json_str(json_array_get(v, 0), "id"), "c2");
	assert_string_equal(bh_json_str(json_array_get(v, 1), "id"), "c3");
	json_decref(v);
	f.all = true;
	assert_int_equal(bh_ctl_workload_list(s, &f, &v, &err), 0);
	assert_int_equal(json_array_size(v), 3);
	assert_string_equal(bh_json_str(json_array_get(v, 0), "id"), "c1");
	assert_non_null(bh_json_str(json_array_get(v, 0), "gone"));
	assert_string_equal(bh_json_str(json_array_get(v, 0), "name"), "web");
	json_decref(v);
	/* c1 is back; an empty report: all gone */
	report(s, "{\"node\":\"n1\",\"workloads\":[{\"id\":\"c1\"}]}", 1, 2);
	report(s, "{\"node\":\"n1\",\"workloads\":[]}", 0, 1);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM workloads WHERE gone IS NULL"), 0);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM audit WHERE action = 'workloads.report'"),
			 4);
	bh_ctl_store_free(s);
}

/* ---- the parsers ------------------------------------------------------------------------- */

struct bad {
	int which; /* 0 batch, 1 workloads, 2 register */
	const char *body;
	const char *says;
};

static int parse_any(int which, const char *body, size_t len, struct bh_error **err)
{
	struct bh_ctl_batch b;
	struct bh_ctl_workloads w;
	struct bh_ctl_register r;
	int rc;

	if (which == 0) {
		rc = bh_ctl_batch_parse(body, len, &b, err);
		bh_ctl_batch_release(&b);
	} else if (which == 1) {
		rc = bh_ctl_workloads_parse(body, len, &w, err);
		bh_ctl_workloads_release(&w);
	} else {
		rc = bh_ctl_register_parse(body, len, &r, err);
	}
	return rc;
}

static void ingest_parsers_refuse_hostile_input(void **state)
{
	static const struct bad bad[] = {
		{ 0, "[]", "expected a JSON object" },
		{ 0, "{\"node\":\"n1\",\"first_seq\":1}", "events: expected an array" },
		{ 0, "{\"node\":\"n1\",\"events\":[]}", "first_seq: missing" },
		{ 0, "{\"node\":\"n1\",\"first_seq\":0,\"events\":[]}", "first_seq" },
		{ 0, "{\"node\":\"n1\",\"first_seq\":-5,\"events\":[]}", "first_seq" },
		{ 0, "{\"node\":\"n1\",\"first_seq\":1.5,\"events\":[]}", "first_seq" },
		{ 0,
		  "{\"node\":\"n1\",\"first_seq\":9007199254740992,\"events\":[{\"ts\":1,"
		  "\"kind\":\"a\"},{\"ts\":1,\"kind\":\"a\"}]}",
		  "goes past" },
		{ 0, "{\"node\":\"../etc\",\"first_seq\":1,\"events\":[]}", "node" },
		{ 0, "{\"node\":\"n1\",\"first_seq\":1,\"events\":[],\"x\":1}", "unknown member" },
		{ 0, "{\"node\":\"n1\",\"first_seq\":1,\"events\":[1]}", "events[0]" },
		{ 0, "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"kind\":\"a\"}]}",
		  "events[0].ts: missing" },
		{ 0, "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"ts\":-1,\"kind\":\"a\"}]}",
		  "events[0].ts" },
		{ 0, "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"ts\":1,\"kind\":\"A\"}]}",
		  "events[0].kind" },
		{ 0,
		  "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"ts\":1,\"kind\":\"a\\u0001\"}]}",
		  "events[0].kind" },
		{ 0,
		  "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"ts\":1,\"kind\":\"a\","
		  "\"severity\":\"HIGH1\"}]}",
		  "events[0].severity" },
		{ 0,
		  "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"ts\":1,\"kind\":\"a\","
		  "\"rule\":\"x\\ny\"}]}",
		  "events[0].rule" },
		{ 0,
		  "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"ts\":1,\"kind\":\"a\","
		  "\"workload\":7}]}",
		  "events[0].workload: expected a string" },
		{ 0,
		  "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"ts\":1,\"kind\":\"a\","
		  "\"id\":7}]}",
		  "unknown member" },
		{ 1, "{\"node\":\"n1\",\"workloads\":[{\"name\":\"x\"}]}",
		  "workloads[0].id: missing" },
		{ 1, "{\"node\":\"n1\",\"workloads\":[{\"id\":\"a\"},{\"id\":\"a\"}]}",
		  "repeated" },
		{ 1, "{\"node\":\"n1\",\"workloads\":[{\"id\":\"a\",\"started\":\"x\"}]}",
		  "workloads[0].started" },
		{ 1, "{\"node\":\"n1\",\"workloads\":{}}", "workloads: expected an array" },
		{ 2, "{\"node\":\"n1\"}", "agent_version: missing" },
		{ 2, "{\"node\":\"n1\",\"agent_version\":\"\"}", "agent_version" },
		{ 2, "{\"agent_version\":\"1\"}", "node" },
		{ 2, "{\"node\":\"n1\",\"agent_version\":\"1\",\"role\":\"admin\"}",
		  "unknown member" },
	};
	struct bh_error *err = NULL;
	struct bh_buf big = BH_BUF_INIT(4u << 20);
	char *msg;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_any(bad[i].which, bad[i].body, strlen(bad[i].body), &err),
				 -1);
		msg = bh_error_message(err);
		if (!strstr(msg, bad[i].says))
			fail_msg("%s: \"%s\" does not say \"%s\"", bad[i].body, msg, bad[i].says);
		free(msg);
		bh_error_free(err);
		err = NULL;
	}
	/* a NUL after a number or literal: jansson would stop there and keep a cut text */
	{
		static const char nul1[] = "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"ts\":1"
					   "\0,\"kind\":\"a\",\"data\":{\"m\":\"after\"}}]}";
		static const char nul2[] = "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"ts\":1,"
					   "\"kind\":\"a\",\"data\":[1\0,2]}]}";
		static const char nul3[] = "{\"node\":\"n1\",\"agent_version\":\"1\"}\0";

		assert_int_equal(parse_any(0, nul1, sizeof(nul1) - 1, &err), -1);
		msg = bh_error_message(err);
		assert_non_null(strstr(msg, "NUL byte"));
		free(msg);
		bh_error_free(err);
		err = NULL;
		assert_int_equal(parse_any(0, nul2, sizeof(nul2) - 1, &err), -1);
		assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
		bh_error_free(err);
		err = NULL;
		assert_int_equal(parse_any(2, nul3, sizeof(nul3) - 1, &err), -1);
		bh_error_free(err);
		err = NULL;
	}
	/* one event over the batch's bound */
	assert_int_equal(bh_buf_adds(&big, "{\"node\":\"n1\",\"first_seq\":1,\"events\":[", &err),
			 0);
	for (int i = 0; i <= BH_CTL_BATCH_MAX; i++)
		assert_int_equal(bh_buf_adds(&big, i ? ",{}" : "{}", &err), 0);
	assert_int_equal(bh_buf_adds(&big, "]}", &err), 0);
	assert_true(big.len < BH_CTL_BODY_MAX);
	assert_int_equal(parse_any(0, big.data, big.len, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_LIMIT);
	bh_error_free(err);
	err = NULL;
	/* a body over BH_CTL_BODY_MAX, and one nested deep */
	bh_buf_reset(&big);
	for (size_t i = 0; i < BH_CTL_BODY_MAX + 10; i++)
		assert_int_equal(bh_buf_addc(&big, ' ', &err), 0);
	for (int which = 0; which < 3; which++) {
		assert_int_equal(parse_any(which, big.data, big.len, &err), -1);
		assert_int_equal(bh_error_code(err), BH_ERR_LIMIT);
		bh_error_free(err);
		err = NULL;
	}
	bh_buf_reset(&big);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(bh_buf_addc(&big, '[', &err), 0);
	assert_int_equal(parse_any(0, big.data, big.len, &err), -1);
	bh_error_free(err);
	bh_buf_release(&big);
}

/* Each event's text is the bytes the agent sent for it, whatever the layout;
 * an escaped "events" key leaves the texts to be encoded (and stored all the
 * same). */
static void an_event_is_stored_as_sent(void **state)
{
	static const struct {
		const char *body;
		bool texts;
	} cases[] = {
		{ "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"ts\":1,\"kind\":\"a\"},"
		  "{\"kind\":\"b\",\"ts\":2,\"data\":{\"s\":\"]}\\\"[{,\",\"n\":[1,[2,{}]],"
		  "\"t\":true}}]}",
		  true },
		{ " {\n \"events\" : [ {\"ts\":1,\"kind\":\"a\",\"data\":null} ,\n\t{\"ts\":2,"
		  "\"kind\":\"b\",\"data\":\"x\\\\\"} ] , \"node\":\"n1\", \"first_seq\" : 1 }\n",
		  true },
		{ "{\"first_seq\":1,\"node\":\"n1\",\"ev\\u0065nts\":[{\"ts\":1,"
		  "\"kind\":\"a\"},{\"ts\":2,\"kind\":\"b\"}]}",
		  false },
	};
	struct bh_ctl_store *s = fresh(*state);
	struct bh_error *err = NULL;

	reg(s, "n1");
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct bh_ctl_batch b, t;
		struct bh_ctl_ingest_result res;
		struct bh_ctl_event_filter f = { .node = "n1" };
		json_t *list;

		if (bh_ctl_batch_parse(cases[c].body, strlen(cases[c].body), &b, &err) < 0)
			fail_msg("case %zu: %s", c, bh_error_message(err));
		/* the tree of the same body: what the events must equal (the scan,
		 * src/ctl/ingest_scan.c, leaves item NULL) */
		if (bh_ctl_batch_parse_tree(cases[c].body, strlen(cases[c].body), &t, &err) < 0)
			fail_msg("case %zu (tree): %s", c, bh_error_message(err));
		assert_int_equal(b.n, 2);
		for (size_t i = 0; i < b.n; i++) {
			json_t *v;

			if (!cases[c].texts) {
				assert_null(b.ev[i].json);
				continue;
			}
			assert_non_null(b.ev[i].json);
			assert_non_null(strstr(cases[c].body, b.ev[i].json));
			v = json_loads(b.ev[i].json, 0, NULL);
			assert_true(json_equal(v, t.ev[i].item));
			json_decref(v);
		}
		b.first_seq = (int64_t)c * 2 + 1;
		if (bh_ctl_ingest_events(s, "n1", &b, NULL, &res, &err) < 0)
			fail_msg("ingest: %s", bh_error_message(err));
		assert_int_equal(res.stored, 2);
		f.after_id = 0;
		if (bh_ctl_event_list(s, &f, &list, &err) < 0)
			fail_msg("list: %s", bh_error_message(err));
		for (size_t i = 0; i < b.n; i++) {
			json_t *item = json_array_get(json_object_get(list, "items"), c * 2 + i);

			assert_true(json_equal(json_object_get(item, "event"), t.ev[i].item));
		}
		json_decref(list);
		bh_ctl_batch_release(&b);
		bh_ctl_batch_release(&t);
	}
	bh_ctl_store_free(s);
}

/* The one-pass scan (src/ctl/ingest_scan.c) takes the plain form of a batch
 * with the same members as the tree parse, and declines the rest (escapes in
 * keys, \u, exponents, errors of every kind), which the tree then reads. */
static void the_scan_agrees_with_the_tree(void **state)
{
	static const struct {
		const char *body;
		bool taken;
	} cases[] = {
		{ "{\"node\":\"n1\",\"first_seq\":7,\"events\":[{\"ts\":0,\"kind\":\"a.b-c_1\","
		  "\"rule\":\"R x\",\"severity\":\"WARNING\",\"workload\":null,\"data\":"
		  "{\"a\":[1,-2.5,true,false,null,\"q\\\"\\n\"],\"b\":{},"
		  "\"output\":\"sh \\\"x\\\"\\t\\/\\\\y\"}}]}",
		  true },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"events\":[]}", true },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"ts\":1,\"kind\":\"a\","
		  "\"data\":{\"x\":1e3}}]}",
		  false },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"ts\":1,\"kind\":\"a\","
		  "\"data\":\"\\u00e9\"}]}",
		  false },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"ts\":1,\"kind\":\"a\","
		  "\"data\":{\"k\":1,\"k\":2}}]}",
		  false },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"ts\":1,\"kind\":\"A\"}]}",
		  false },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"ts\":1.0,\"kind\":\"a\"}]}",
		  false },
		{ "{\"node\":\"n1\",\"first_seq\":0,\"events\":[]}", false },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"events\":[],\"x\":1}", false },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"kind\":\"a\"}]}", false },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"events\":[{\"ts\":1,\"kind\":\"a\"},]}",
		  false },
		{ "{\"node\":\"n1\",\"first_seq\":1,\"events\":[]} x", false },
		{ "{\"node\":\"n 1\",\"first_seq\":1,\"events\":[]}", false },
		{ "{\"node\":\"n1\",\"node\":\"n1\",\"first_seq\":1,\"events\":[]}", false },
	};
	struct bh_error *err = NULL;

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const char *body = cases[c].body;
		struct bh_ctl_batch b, t;
		int st = bh_ctl_batch_scan(body, strlen(body), &b);
		int tr = bh_ctl_batch_parse_tree(body, strlen(body), &t, &err);

		if (st != (cases[c].taken ? 0 : 1))
			fail_msg("case %zu: the scan returned %d", c, st);
		bh_error_clear(&err);
		if (st) {
			bh_ctl_batch_release(&t); /* zeroed when the tree failed too */
			continue;
		}
		/* taken: the tree takes it too, with the same members */
		assert_int_equal(tr, 0);
		assert_string_equal(b.node, t.node);
		assert_int_equal(b.first_seq, t.first_seq);
		assert_int_equal(b.n, t.n);
		for (size_t i = 0; i < b.n; i++) {
			json_t *v = json_loads(b.ev[i].json, 0, NULL);

			assert_null(b.ev[i].item);
			assert_true(json_equal(v, t.ev[i].item));
			json_decref(v);
			assert_int_equal(b.ev[i].ts, t.ev[i].ts);
			assert_string_equal(b.ev[i].kind, t.ev[i].kind);
#define SAME(f) assert_true((!b.ev[i].f && !t.ev[i].f) || !strcmp(b.ev[i].f, t.ev[i].f))
			SAME(rule);
			SAME(severity);
			SAME(workload);
#undef SAME
			{
				const char *o = bh_json_str(json_object_get(t.ev[i].item, "data"),
							    "output");

				assert_true((!o && !b.ev[i].output) ||
					    (o && b.ev[i].output && !strcmp(o, b.ev[i].output)));
			}
		}
		bh_ctl_batch_release(&b);
		bh_ctl_batch_release(&t);
	}
}

/* Concurrent agents' batches (SQLite commits them in groups, each in a
 * savepoint of its own): every one answered only once committed, each with
 * its own result, and a batch that fails (a node not registered) fails
 * alone. */
#define GROUP_THREADS 8
#define GROUP_BATCHES 12

struct group_arg {
	struct bh_ctl_store *s;
	const char *node;
	struct bh_ctl_batch b[GROUP_BATCHES];
	int ok, failed;
	int64_t stored, last_acked;
};

static void *group_thread(void *p)
{
	struct group_arg *g = p;

	for (size_t i = 0; i < GROUP_BATCHES; i++) {
		struct bh_ctl_ingest_result res;
		struct bh_error *err = NULL;

		if (bh_ctl_ingest_events(g->s, g->node, &g->b[i], NULL, &res, &err) < 0) {
			g->failed += bh_error_code(err) == BH_ERR_NOTFOUND ? 1 : 1000;
			bh_error_free(err);
			continue;
		}
		g->ok++;
		g->stored += res.stored;
		g->last_acked = res.acked;
	}
	return NULL;
}

static void concurrent_batches_commit_together(void **state)
{
	static const char *const nodes[GROUP_THREADS] = { "g0", "g1", "g2", "g3",
							  "g4", "g5", "g6", "ghost" };
	struct bh_ctl_store *s = fresh(*state);
	struct group_arg g[GROUP_THREADS];
	pthread_t th[GROUP_THREADS];

	memset(g, 0, sizeof(g));
	for (size_t k = 0; k < GROUP_THREADS; k++) {
		if (strcmp(nodes[k], "ghost"))
			reg(s, nodes[k]);
		g[k].s = s;
		g[k].node = nodes[k];
		for (size_t i = 0; i < GROUP_BATCHES; i++)
			batch(&g[k].b[i], nodes[k], (int64_t)i * 20 + 1, 20);
	}
	for (size_t k = 0; k < GROUP_THREADS; k++)
		assert_int_equal(pthread_create(&th[k], NULL, group_thread, &g[k]), 0);
	for (size_t k = 0; k < GROUP_THREADS; k++)
		pthread_join(th[k], NULL);
	for (size_t k = 0; k < GROUP_THREADS; k++) {
		if (!strcmp(nodes[k], "ghost")) {
			assert_int_equal(g[k].failed, GROUP_BATCHES);
			assert_int_equal(g[k].ok, 0);
		} else {
			assert_int_equal(g[k].failed, 0);
			assert_int_equal(g[k].ok, GROUP_BATCHES);
			assert_int_equal(g[k].stored, GROUP_BATCHES * 20);
			assert_int_equal(g[k].last_acked, GROUP_BATCHES * 20);
		}
		for (size_t i = 0; i < GROUP_BATCHES; i++)
			bh_ctl_batch_release(&g[k].b[i]);
	}
	assert_int_equal(count(s, "SELECT COUNT(*) FROM events"),
			 (GROUP_THREADS - 1) * GROUP_BATCHES * 20);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM events WHERE node = 'ghost'"), 0);
	bh_ctl_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_scan_agrees_with_the_tree),
		BOTH(a_replayed_batch_is_stored_once),
		BOTH(concurrent_batches_commit_together),
		BOTH(an_unregistered_node_stores_nothing),
		BOTH(register_is_an_upsert_and_audited),
		BOTH(events_filter_and_page),
		BOTH(time_filters_use_the_minute_index),
		BOTH(workloads_come_and_go),
		BOTH(an_event_is_stored_as_sent),
		cmocka_unit_test(ingest_parsers_refuse_hostile_input),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
