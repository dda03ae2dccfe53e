/* SPDX-License-Identifier: Apache-2.0 */
/* harness: serial postgres (ctl_env.h's own PostgreSQL, unix socket in its temp dir) */
/*
 * What the dashboard's views read (src/ctl/views.c, src/ctl/counter.c), on
 * both back-ends as test_ctl_store.c does (SQLite in a temporary file,
 * PostgreSQL 15 started by the test; without its binaries those cases SKIP):
 * the token list (own or all, never a secret), where an image runs, and the
 * SP 800-190 countermeasures counted from what the store holds: an empty
 * store violates nothing; a vulnerable image running, a workload of an image
 * never scanned, a stale agent and a critical alert each show up as the
 * countermeasure they violate, with the right counts.
 */
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/ctl.h"
#include "bulkhead/vuln.h"
#include "ctl_env.h"
#include "banned.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static void exec(struct bh_ctl_store *s, const char *sql, int64_t v)
{
	struct bh_error *err = NULL;
	struct bh_ctl_val p = BH_CTL_I(v);

	if (bh_ctl_store_query(s, sql, &p, 1, NULL, NULL, NULL, &err) < 0)
		fail_msg("%s: %s", sql, bh_error_message(err));
}

static void report(struct bh_ctl_store *s, const char *json)
{
	struct bh_ctl_workloads w;
	struct bh_error *err = NULL;

	if (bh_ctl_workloads_parse(json, strlen(json), &w, &err) < 0)
		fail_msg("parse: %s", bh_error_message(err));
	if (bh_ctl_workloads_report(s, w.node, w.node, &w, NULL, NULL, &err) < 0)
		fail_msg("report: %s", bh_error_message(err));
	bh_ctl_workloads_release(&w);
}

static void alert_now(struct bh_ctl_store *s, const char *node, const char *severity)
{
	struct bh_ctl_batch b;
	struct bh_ctl_ingest_result res;
	struct bh_error *err = NULL;
	char *body = bh_asprintf("{\"node\":\"%s\",\"first_seq\":1,\"events\":[{\"ts\":%lld,"
				 "\"kind\":\"alert\",\"rule\":\"shell in container\","
				 "\"severity\":\"%s\",\"workload\":\"c1\"}]}",
				 node, (long long)time(NULL), severity);

	if (bh_ctl_batch_parse(body, strlen(body), &b, &err) < 0)
		fail_msg("batch: %s", bh_error_message(err));
	if (bh_ctl_ingest_events(s, node, &b, NULL, &res, &err) < 0)
		fail_msg("ingest: %s", bh_error_message(err));
	assert_int_equal(res.stored, 1);
	bh_ctl_batch_release(&b);
	free(body);
}

/* bench17: one bench run of node at ts, its checks' statuses in order
 * (BH-HOST-001, 002, ...), stored from seq first. */
static void bench_run(struct bh_ctl_store *s, const char *node, int64_t first, int64_t ts,
		      const char *const *status, size_t n)
{
	struct bh_ctl_batch b;
	struct bh_ctl_ingest_result res;
	struct bh_error *err = NULL;
	struct bh_buf body = BH_BUF_INIT(1 << 20);

	assert_int_equal(bh_buf_addf(&body, &err,
				     "{\"node\":\"%s\",\"first_seq\":%lld,\"events\":[", node,
				     (long long)first),
			 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(
			bh_buf_addf(&body, &err,
				    "%s{\"ts\":%lld,\"kind\":\"bench\",\"rule\":"
				    "\"BH-HOST-%03zu\",\"severity\":\"%s\",\"data\":{"
				    "\"title\":\"check %zu\",\"nist\":\"4.5.2\",\"cis\":null,"
				    "\"level\":1,\"actual\":\"a\",\"expected\":\"e\","
				    "\"target\":\"docker web (c%zu)\"}}",
				    i ? "," : "", (long long)ts, i + 1, status[i], i + 1, i + 1),
			0);
	assert_int_equal(bh_buf_adds(&body, "]}", &err), 0);
	if (bh_ctl_batch_parse(body.data, body.len, &b, &err) < 0)
		fail_msg("batch: %s", bh_error_message(err));
	if (bh_ctl_ingest_events(s, node, &b, NULL, &res, &err) < 0)
		fail_msg("ingest: %s", bh_error_message(err));
	assert_int_equal(res.stored, n);
	bh_ctl_batch_release(&b);
	bh_buf_release(&body);
}

/* The countermeasure id of cms (the API's document). */
static json_t *cm(json_t *cms, const char *id)
{
	json_t *c;
	size_t i;

	json_array_foreach (json_object_get(cms, "countermeasures"), i, c)
		if (!strcmp(bh_json_str(c, "id"), id))
			return c;
	fail_msg("no countermeasure %s", id);
	return NULL;
}

static const char *state_of(json_t *cms, const char *id)
{
	return bh_json_str(cm(cms, id), "state");
}

/* The count of what (a violation or evidence of countermeasure id). */
static int64_t count_of(json_t *cms, const char *id, const char *list, const char *what)
{
	json_t *c;
	size_t i;

	json_array_foreach (json_object_get(cm(cms, id), list), i, c)
		if (!strcmp(bh_json_str(c, "what"), what))
			return json_integer_value(json_object_get(c, "count"));
	fail_msg("countermeasure %s: no %s \"%s\"", id, list, what);
	return -1;
}

static void countermeasures_follow_the_store(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_error *err = NULL;
	static const struct bh_ctl_image_vuln high[] = {
		{ "CVE-2024-0001", "openssl", "3.1.4-r5", "3.1.4-r6", BH_SEV_HIGH },
	};
	struct bh_ctl_image_scan sc = { "app", D1, "1", high, 1, NULL };
	json_t *v, *c;
	size_t i;

	/* empty: nothing violated, the image countermeasures have no data */
	if (bh_ctl_countermeasures(s, &v, &err) < 0)
		fail_msg("countermeasures: %s", bh_error_message(err));
	assert_true(json_array_size(json_object_get(v, "countermeasures")) >= 12);
	json_array_foreach (json_object_get(v, "countermeasures"), i, c)
		assert_string_not_equal(bh_json_str(c, "state"), "violated");
	assert_string_equal(state_of(v, "4.1.1"), "no-data");
	assert_string_equal(state_of(v, "4.1.2"), "no-data");
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(v, "summary"), "violated")), 0);
	json_decref(v);

	/* a scanned clean image running on a connected node: enforced */
	reg(s, "n1");
	report(s,
	       "{\"node\":\"n1\",\"workloads\":[{\"id\":\"c1\",\"image\":\"app\",\"digest\":\"" D1
	       "\"}]}");
	sc.nvulns = 0;
	assert_int_equal(bh_ctl_image_record(s, "registry", &sc, NULL, NULL, &err), 0);
	assert_int_equal(bh_ctl_countermeasures(s, &v, &err), 0);
	assert_string_equal(state_of(v, "4.1.1"), "enforced");
	assert_string_equal(state_of(v, "4.1.5"), "enforced");
	assert_string_equal(state_of(v, "4.4.1"), "enforced");
	assert_int_equal(count_of(v, "4.4.1", "evidence", "nodes with a connected agent"), 1);
	assert_int_equal(count_of(v, "4.4.1", "evidence", "running workloads watched"), 1);
	json_decref(v);

	/* now vulnerable, an unscanned and a digest-less workload, a stale
	 * node, a critical alert: each violates its countermeasure */
	sc.nvulns = 1;
	assert_int_equal(bh_ctl_image_record(s, "registry", &sc, NULL, NULL, &err), 0);
	report(s, "{\"node\":\"n1\",\"workloads\":[{\"id\":\"c1\",\"digest\":\"" D1 "\"},"
		  "{\"id\":\"c2\",\"digest\":\"" D2 "\"},{\"id\":\"c3\"}]}");
	reg(s, "n2");
	exec(s, "UPDATE nodes SET last_seen = ? WHERE name = 'n2'", (int64_t)time(NULL) - 600);
	alert_now(s, "n1", "CRITICAL");
	assert_int_equal(bh_ctl_countermeasures(s, &v, &err), 0);
	assert_string_equal(state_of(v, "4.1.1"), "violated");
	assert_int_equal(count_of(v, "4.1.1", "violations",
				  "images with a HIGH or CRITICAL vulnerability (not suppressed)"),
			 1);
	assert_int_equal(count_of(v, "4.1.1", "violations", "running workloads of such an image"),
			 1);
	assert_string_equal(state_of(v, "4.1.5"), "violated");
	assert_int_equal(count_of(v, "4.1.5", "violations",
				  "running workloads of an image never scanned here"),
			 2);
	assert_string_equal(state_of(v, "4.4.1"), "violated");
	assert_int_equal(
		count_of(v, "4.4.1", "violations", "nodes whose agent has not reported for 120 s"),
		1);
	assert_int_equal(
		count_of(v, "4.4.1", "violations", "critical runtime alerts in the last 24 h"), 1);
	assert_string_equal(state_of(v, "4.2.2"), "enforced");
	assert_string_equal(state_of(v, "4.6"), "no-data");
	json_decref(v);

	/* a suppression of the finding (of that digest) takes it out of the counts
	 * until its expiry, audited; expired, it counts again */
	{
		struct bh_ctl_suppress in;
		const char *body = "{\"vulnerability\":\"CVE-2024-0001\",\"digest\":\"" D1
				   "\",\"reason\":\"not reachable\",\"ttl\":3600}";
		int64_t id = 0;
		json_t *l;

		assert_int_equal(bh_ctl_suppress_parse(body, strlen(body), &in, &err), 0);
		assert_int_equal(bh_ctl_suppress_add(s, "alice", &in, &id, &err), 0);
		assert_true(id > 0);
		assert_int_equal(bh_ctl_countermeasures(s, &v, &err), 0);
		assert_string_equal(state_of(v, "4.1.1"), "enforced");
		assert_int_equal(count_of(v, "4.1.1", "violations",
					  "images with a HIGH or CRITICAL vulnerability (not "
					  "suppressed)"),
				 0);
		assert_int_equal(count_of(v, "4.1.1", "evidence",
					  "findings suppressed now (a reason, until an expiry)"),
				 1);
		json_decref(v);
		assert_int_equal(bh_ctl_suppress_list(s, false, &l, &err), 0);
		assert_int_equal(json_array_size(l), 1);
		assert_string_equal(bh_json_str(json_array_get(l, 0), "reason"), "not reachable");
		assert_string_equal(bh_json_str(json_array_get(l, 0), "actor"), "alice");
		json_decref(l);
		exec(s, "UPDATE suppressions SET expires = ?", (int64_t)time(NULL) - 1);
		assert_int_equal(bh_ctl_suppress_list(s, false, &l, &err), 0);
		assert_int_equal(json_array_size(l), 0);
		json_decref(l);
		assert_int_equal(bh_ctl_countermeasures(s, &v, &err), 0);
		assert_string_equal(state_of(v, "4.1.1"), "violated");
		json_decref(v);
		assert_int_equal(bh_ctl_suppress_delete(s, "alice", id, &err), 0);
		assert_int_equal(bh_ctl_suppress_delete(s, "alice", id, &err), -1);
		assert_int_equal(bh_error_code(err), BH_ERR_NOTFOUND);
		bh_error_free(err);
		err = NULL;
	}

	/* the scan ages: 8 days old is stale */
	exec(s, "UPDATE images SET scanned_at = ?", (int64_t)time(NULL) - 8 * 86400);
	assert_int_equal(bh_ctl_countermeasures(s, &v, &err), 0);
	assert_string_equal(state_of(v, "4.2.2"), "violated");
	assert_int_equal(
		count_of(v, "4.2.2", "violations", "images whose last scan is older than 7 days"),
		1);
	json_decref(v);
	bh_ctl_store_free(s);
}

/* ingest17: the images' stored counts after a read (the sweep); the column
 * col of digest d */
static int64_t stored(struct bh_ctl_store *s, const char *d, const char *col)
{
	struct bh_ctl_image_filter f = { NULL, -1, 0, 0 };
	struct bh_error *err = NULL;
	json_t *v;
	char sql[256];

	if (bh_ctl_image_list(s, &f, &v, &err) < 0)
		fail_msg("images: %s", bh_error_message(err));
	json_decref(v);
	snprintf(sql, sizeof(sql), "SELECT %s FROM images WHERE digest = '%s'", col, d);
	return count(s, sql);
}

static int64_t suppress(struct bh_ctl_store *s, const char *vuln, const char *digest)
{
	struct bh_ctl_suppress in;
	struct bh_error *err = NULL;
	char *body = bh_asprintf("{\"vulnerability\":\"%s\"%s%s%s,\"reason\":\"r\",\"ttl\":3600}",
				 vuln, digest ? ",\"digest\":\"" : "", digest ? digest : "",
				 digest ? "\"" : "");
	int64_t id = 0;

	if (bh_ctl_suppress_parse(body, strlen(body), &in, &err) < 0 ||
	    bh_ctl_suppress_add(s, "alice", &in, &id, &err) < 0)
		fail_msg("suppress %s: %s", body, bh_error_message(err));
	free(body);
	return id;
}

/* ingest17: a suppression takes its findings out of the images table's
 * stored counts (one image, or every image) until its expiry or its end,
 * a scan recorded meanwhile included; a new finding of it sends no alert */
static void suppressions_leave_stored_counts_and_alerts(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_error *err = NULL;
	static const struct bh_ctl_image_vuln v1[] = {
		{ "CVE-2024-0001", "openssl", "3.1.4-r5", "3.1.4-r6", BH_SEV_HIGH },
		{ "CVE-2024-0002", "zlib", "1.3", NULL, BH_SEV_CRITICAL },
	};
	struct bh_ctl_image_scan sc1 = { "app", D1, "1", v1, 2, NULL };
	struct bh_ctl_image_scan sc2 = { "web", D2, "1", v1, 1, NULL };
	struct bh_ctl_image_filter hi = { NULL, BH_SEV_HIGH, 0, 0 };
	struct bh_ctl_alert_opts ao = { .store = s };
	struct bh_ctl_alert_stats st;
	struct bh_ctl_alert *e = NULL;
	int64_t any, one;
	json_t *v;

	assert_int_equal(bh_ctl_image_record(s, "registry", &sc1, NULL, NULL, &err), 0);
	assert_int_equal(bh_ctl_image_record(s, "registry", &sc2, NULL, NULL, &err), 0);
	assert_int_equal(stored(s, D1, "n_high"), 1);
	assert_int_equal(stored(s, D1, "n_critical"), 1);
	assert_int_equal(stored(s, D2, "max_severity"), BH_SEV_HIGH);

	any = suppress(s, "CVE-2024-0001", NULL); /* every image */
	one = suppress(s, "CVE-2024-0002", D1);
	assert_int_equal(stored(s, D1, "n_high"), 0);
	assert_int_equal(stored(s, D1, "n_critical"), 0);
	assert_int_equal(stored(s, D1, "max_severity"), -1);
	assert_int_equal(stored(s, D2, "n_high"), 0);
	assert_int_equal(bh_ctl_image_list(s, &hi, &v, &err), 0);
	assert_int_equal(json_array_size(json_object_get(v, "items")), 0);
	json_decref(v);
	/* a scan recorded again while suppressed: still out */
	assert_int_equal(bh_ctl_image_record(s, "registry", &sc1, NULL, NULL, &err), 0);
	assert_int_equal(stored(s, D1, "n_high"), 0);
	assert_int_equal(stored(s, D1, "n_critical"), 0);

	/* a new finding: suppressed, muted (counted); D2's CRITICAL is not */
	assert_int_equal(bh_ctl_alert_new(&ao, &e, &err), 0);
	bh_ctl_alert_on_vuln(e, D1, "app", &v1[1]);
	bh_ctl_alert_on_vuln(e, D2, "web", &v1[0]);
	bh_ctl_alert_on_vuln(e, D2, "web", &v1[1]);
	bh_ctl_alert_stats(e, &st);
	assert_int_equal(st.muted, 2);
	assert_int_equal(st.events, 1);
	bh_ctl_alert_free(e, 0);

	/* the any-image one expires: its findings count again at the next read */
	exec(s, "UPDATE suppressions SET expires = ? WHERE vuln_id = 'CVE-2024-0001'",
	     (int64_t)time(NULL) - 1);
	assert_int_equal(stored(s, D1, "n_high"), 1);
	assert_int_equal(stored(s, D2, "n_high"), 1);
	assert_int_equal(stored(s, D1, "n_critical"), 0);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM suppressions WHERE counted = 2"), 1);
	/* the other ended before its expiry: counted again at once */
	assert_int_equal(bh_ctl_suppress_delete(s, "alice", one, &err), 0);
	assert_int_equal(count(s, "SELECT n_critical FROM images WHERE digest = '" D1 "'"), 1);
	assert_int_equal(stored(s, D1, "max_severity"), BH_SEV_CRITICAL);
	(void)any;
	bh_ctl_store_free(s);
}

static void image_workloads_by_digest(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_error *err = NULL;
	json_t *v;

	reg(s, "n1");
	report(s,
	       "{\"node\":\"n1\",\"workloads\":[{\"id\":\"c1\",\"name\":\"web\",\"digest\":\"" D1
	       "\"},{\"id\":\"c2\",\"digest\":\"" D2 "\"},{\"id\":\"c3\",\"digest\":\"" D1 "\"}]}");
	assert_int_equal(bh_ctl_image_workloads(s, D1, false, &v, &err), 0);
	assert_int_equal(json_array_size(v), 2);
	assert_string_equal(bh_json_str(json_array_get(v, 0), "id"), "c1");
	assert_string_equal(bh_json_str(json_array_get(v, 0), "name"), "web");
	assert_string_equal(bh_json_str(json_array_get(v, 1), "id"), "c3");
	json_decref(v);
	report(s, "{\"node\":\"n1\",\"workloads\":[{\"id\":\"c1\",\"digest\":\"" D1 "\"}]}");
	assert_int_equal(bh_ctl_image_workloads(s, D1, false, &v, &err), 0);
	assert_int_equal(json_array_size(v), 1);
	json_decref(v);
	assert_int_equal(bh_ctl_image_workloads(s, D1, true, &v, &err), 0);
	assert_int_equal(json_array_size(v), 2);
	assert_false(json_is_null(json_object_get(json_array_get(v, 1), "gone")));
	json_decref(v);
	bh_ctl_store_free(s);
}

static void tokens_listed_without_secrets(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_error *err = NULL;
	char tok[BH_CTL_TOKEN_LEN + 1], id[BH_CTL_TOKEN_ID_LEN + 1], id2[BH_CTL_TOKEN_ID_LEN + 1];
	json_t *v, *t;
	size_t i;
	char *dump;

	assert_int_equal(bh_ctl_user_add(s, "cli", "alice", BH_CTL_ADMIN, "password-1", &err), 0);
	assert_int_equal(bh_ctl_user_add(s, "cli", "bob", BH_CTL_READER, "password-2", &err), 0);
	assert_int_equal(bh_ctl_token_create(s, "alice", "alice", false, 3600, tok, id, &err), 0);
	assert_int_equal(bh_ctl_token_create(s, "bob", "bob", false, 3600, tok, id2, &err), 0);
	assert_int_equal(bh_ctl_token_create(s, "alice", "n1", true, 3600, tok, NULL, &err), 0);
	assert_int_equal(bh_ctl_token_revoke(s, "bob", id2, "bob", &err), 0);

	assert_int_equal(bh_ctl_token_list(s, "bob", &v, &err), 0);
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(bh_json_str(json_array_get(v, 0), "id"), id2);
	assert_string_equal(bh_json_str(json_array_get(v, 0), "state"), "revoked");
	json_decref(v);

	assert_int_equal(bh_ctl_token_list(s, NULL, &v, &err), 0);
	assert_int_equal(json_array_size(v), 3);
	dump = json_dumps(v, 0);
	assert_null(strstr(dump, tok + 4 + BH_CTL_TOKEN_ID_LEN + 1)); /* no secret */
	assert_null(strstr(dump, "hash"));
	free(dump);
	json_array_foreach (v, i, t) {
		if (!strcmp(bh_json_str(t, "id"), id)) {
			assert_string_equal(bh_json_str(t, "user"), "alice");
			assert_string_equal(bh_json_str(t, "state"), "valid");
		}
	}
	json_decref(v);
	bh_ctl_store_free(s);
}

static void suppress_bodies_checked(void **state)
{
	static const char *bad[] = {
		"{\"vulnerability\":\"CVE-1\",\"reason\":\"r\"}",		    /* no ttl */
		"{\"vulnerability\":\"CVE 1\",\"reason\":\"r\",\"ttl\":1}",	    /* a space */
		"{\"vulnerability\":\"CVE-1\",\"reason\":\"\",\"ttl\":1}",	    /* no reason */
		"{\"vulnerability\":\"CVE-1\",\"reason\":\"r\",\"ttl\":0}",	    /* ttl 0 */
		"{\"vulnerability\":\"CVE-1\",\"reason\":\"r\",\"ttl\":1,\"x\":1}", /* unknown */
		"{\"vulnerability\":\"CVE-1\",\"reason\":\"r\",\"ttl\":1,\"digest\":\"x\"}",
		"{\"vulnerability\":\"CVE-1\",\"reason\":\"a\\nb\",\"ttl\":1}", /* control */
		"[]",
	};
	struct bh_ctl_suppress in;
	struct bh_error *err = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bh_ctl_suppress_parse(bad[i], strlen(bad[i]), &in, &err), -1);
		assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
		bh_error_free(err);
		err = NULL;
	}
	const char *ok = "{\"vulnerability\":\"GHSA-x.1:2\",\"reason\":\"r\",\"ttl\":60}";

	assert_int_equal(bh_ctl_suppress_parse(ok, strlen(ok), &in, &err), 0);
	assert_string_equal(in.digest, "");
}

/* bench17: each node's last bench run, and 4.5 judged by the last runs only */
static void bench_last_run_per_node(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_error *err = NULL;
	static const char *const first[] = { "FAIL", "PASS", "FAIL" };
	static const char *const second[] = { "PASS", "PASS", "WARN", "INFO" };
	int64_t now = (int64_t)time(NULL);
	json_t *v, *n1, *r;

	assert_int_equal(bh_ctl_bench_list(s, NULL, &v, &err), 0);
	assert_int_equal(json_array_size(json_object_get(v, "nodes")), 0);
	json_decref(v);
	assert_int_equal(bh_ctl_countermeasures(s, &v, &err), 0);
	assert_string_equal(state_of(v, "4.5"), "no-data");
	json_decref(v);

	reg(s, "n1");
	reg(s, "n2");
	bench_run(s, "n1", 1, now - 100, first, 3);
	bench_run(s, "n2", 1, now - 50, first, 1);
	assert_int_equal(bh_ctl_countermeasures(s, &v, &err), 0);
	assert_string_equal(state_of(v, "4.5"), "violated");
	assert_int_equal(
		count_of(v, "4.5", "violations", "bench checks failing in the nodes' last runs"),
		3);
	assert_int_equal(count_of(v, "4.5", "evidence", "nodes with a bench run reported"), 2);
	json_decref(v);

	/* n1 runs again, all fixed: its last run only */
	bench_run(s, "n1", 4, now - 10, second, 4);
	assert_int_equal(bh_ctl_bench_list(s, "n1", &v, &err), 0);
	assert_int_equal(json_array_size(json_object_get(v, "nodes")), 1);
	n1 = json_array_get(json_object_get(v, "nodes"), 0);
	assert_string_equal(bh_json_str(n1, "node"), "n1");
	assert_int_equal(json_integer_value(json_object_get(n1, "ts")), now - 10);
	assert_int_equal(json_integer_value(json_object_get(n1, "pass")), 2);
	assert_int_equal(json_integer_value(json_object_get(n1, "fail")), 0);
	assert_int_equal(json_integer_value(json_object_get(n1, "warn")), 1);
	assert_int_equal(json_integer_value(json_object_get(n1, "info")), 1);
	assert_int_equal(json_array_size(json_object_get(n1, "results")), 4);
	r = json_array_get(json_object_get(n1, "results"), 2);
	assert_string_equal(bh_json_str(r, "id"), "BH-HOST-003");
	assert_string_equal(bh_json_str(r, "status"), "WARN");
	assert_string_equal(bh_json_str(r, "title"), "check 3");
	assert_string_equal(bh_json_str(r, "nist"), "4.5.2");
	assert_null(json_object_get(r, "cis"));
	assert_string_equal(bh_json_str(r, "target"), "docker web (c3)");
	assert_true(json_is_false(json_object_get(v, "truncated")));
	json_decref(v);

	assert_int_equal(bh_ctl_bench_list(s, NULL, &v, &err), 0);
	assert_int_equal(json_array_size(json_object_get(v, "nodes")), 2);
	assert_string_equal(bh_json_str(json_array_get(json_object_get(v, "nodes"), 1), "node"),
			    "n2");
	json_decref(v);
	assert_int_equal(bh_ctl_bench_list(s, "n3", &v, &err), 0);
	assert_int_equal(json_array_size(json_object_get(v, "nodes")), 0);
	json_decref(v);
	/* n2's one failing check is what is left violated */
	assert_int_equal(bh_ctl_countermeasures(s, &v, &err), 0);
	assert_int_equal(
		count_of(v, "4.5", "violations", "bench checks failing in the nodes' last runs"),
		1);
	json_decref(v);
	/* n1 runs again with its clock set back: still its last run (by arrival) */
	bench_run(s, "n1", 8, now - 1000, first, 3);
	assert_int_equal(bh_ctl_bench_list(s, "n1", &v, &err), 0);
	n1 = json_array_get(json_object_get(v, "nodes"), 0);
	assert_int_equal(json_integer_value(json_object_get(n1, "ts")), now - 1000);
	assert_int_equal(json_integer_value(json_object_get(n1, "fail")), 2);
	assert_int_equal(json_array_size(json_object_get(n1, "results")), 3);
	json_decref(v);
	assert_int_equal(bh_ctl_countermeasures(s, &v, &err), 0);
	assert_int_equal(
		count_of(v, "4.5", "violations", "bench checks failing in the nodes' last runs"),
		3);
	json_decref(v);
	bh_ctl_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(countermeasures_follow_the_store),
		BOTH(image_workloads_by_digest),
		BOTH(suppressions_leave_stored_counts_and_alerts),
		BOTH(tokens_listed_without_secrets),
		BOTH(bench_last_run_per_node),
		cmocka_unit_test(suppress_bodies_checked),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
