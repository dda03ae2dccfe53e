/* SPDX-License-Identifier: Apache-2.0 */
/* harness: serial postgres (ctl_env.h's own PostgreSQL, unix socket in its temp dir) */
/*
 * The flows retention (lease17, src/ctl/retention.c) on SQLite and
 * PostgreSQL (tests/unit/ctl_env.h): old flows, threats and seqs pruned, the
 * node's newest seq kept (its acked unchanged), and a replay of a pruned seq
 * never stored again (exactly once across the prune).
 */
#include "unit.h"
#include "bulkhead/ctl.h"
#include "ctl/flows.h"
#include "ctl_env.h"
#include "ctl_flows_env.h"
#include "banned.h"

#define REC(ts, src, threat)                                                                       \
	"{\"kind\":\"flows\",\"ts\":" #ts ",\"edges\":[{\"src\":\"" src "\",\"dst\":\"db\","       \
	"\"port\":5432,\"l4\":\"tcp\",\"app\":\"postgresql\",\"bytes\":100,\"conns\":1,"           \
	"\"allowed\":1" threat "}]}"
#define OLD1 REC(1700000010, "web", ",\"threats\":[\"BH-NET-SQLI\"]")
#define OLD2 REC(1700000020, "web", "")
#define NEW3 REC(1700003600, "api", "")
#define NEW4 REC(1700003650, "api", "")
#define NOW  1700003700
#define KEEP 600 /* cutoff 1700003100: OLD1, OLD2 are older */

static void old_flows_go_and_a_replay_is_not_stored_again(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_ctl_prune_result r;
	struct bh_error *err = NULL;
	int64_t acked = 0;

	reg(s, "n1");
	reg(s, "n2");
	ingest(s, "n1", 1, OLD1 "," OLD2 "," NEW3, 3, 3);
	ingest(s, "n2", 1, OLD1, 1, 1);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM flows"), 3);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM flow_threats"), 2);
	/* too short a retention: refused */
	assert_int_equal(bh_ctl_flows_prune(s, 30, NOW, &r, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_USAGE);
	bh_error_clear(&err);
	assert_int_equal(bh_ctl_flows_prune(s, KEEP, NOW, &r, &err), 0);
	/* n1: seqs 1 and 2 (old, below its newest); n2: its only (newest) kept */
	assert_int_equal(r.seqs, 2);
	assert_int_equal(r.flows, 2);
	assert_int_equal(r.threats, 2);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM flow_seqs WHERE node = 'n1'"), 1);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM flow_seqs WHERE node = 'n2'"), 1);
	assert_int_equal(count(s, "SELECT seq FROM flow_floor WHERE node = 'n1'"), 2);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM flow_floor WHERE node = 'n2'"), 0);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM flows WHERE src = 'api'"), 1);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM flows"), 1);
	/* the acked is unchanged */
	assert_int_equal(bh_ctl_ingest_acked(s, "n1", &acked, &err), 0);
	assert_int_equal(acked, 3);
	assert_int_equal(bh_ctl_ingest_acked(s, "n2", &acked, &err), 0);
	assert_int_equal(acked, 1);
	/* the agent replays the batch (its answer lost): nothing stored twice */
	ingest(s, "n1", 1, OLD1 "," OLD2 "," NEW3, 0, 3);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM flows"), 1);
	assert_int_equal(count(s, "SELECT bytes FROM flows"), 100);
	/* what comes next is stored */
	ingest(s, "n1", 4, NEW4, 1, 4);
	assert_int_equal(count(s, "SELECT CAST(SUM(bytes) AS BIGINT) FROM flows"), 200);
	/* again: nothing more is old; the floor never goes down */
	assert_int_equal(bh_ctl_flows_prune(s, KEEP, NOW, &r, &err), 0);
	assert_int_equal(r.seqs + r.flows + r.threats, 0);
	assert_int_equal(count(s, "SELECT seq FROM flow_floor WHERE node = 'n1'"), 2);
	/* much later: all but each node's newest seq go */
	assert_int_equal(bh_ctl_flows_prune(s, KEEP, NOW + 86400, &r, &err), 0);
	assert_int_equal(r.seqs, 1);
	assert_int_equal(count(s, "SELECT seq FROM flow_floor WHERE node = 'n1'"), 3);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM flows"), 0);
	ingest(s, "n1", 3, NEW3 "," NEW4, 0, 4);
	bh_ctl_store_free(s);
}

static void the_maintenance_thread_prunes_and_stops(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_ctl_maint_opts o = { .store = s, .flows_retention = 60, .interval_s = 1 };
	struct bh_ctl_maint *m = NULL;
	struct bh_error *err = NULL;

	reg(s, "n1");
	/* records of 2023: older than a minute now */
	ingest(s, "n1", 1, OLD1 "," OLD2, 2, 2);
	assert_int_equal(bh_ctl_maint_new(&o, &m, &err), 0);
	assert_non_null(m);
	for (int i = 0; i < 100 && count(s, "SELECT COUNT(*) FROM flows") > 0; i++)
		usleep(50000);
	bh_ctl_maint_free(m);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM flows"), 0);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM flow_seqs"), 1);
	/* off: no thread; too short: refused */
	o.flows_retention = -1;
	assert_int_equal(bh_ctl_maint_new(&o, &m, &err), 0);
	assert_null(m);
	o.flows_retention = 10;
	assert_int_equal(bh_ctl_maint_new(&o, &m, &err), -1);
	bh_error_clear(&err);
	bh_ctl_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(old_flows_go_and_a_replay_is_not_stored_again),
		BOTH(the_maintenance_thread_prunes_and_stops),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
