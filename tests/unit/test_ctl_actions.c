/* SPDX-License-Identifier: Apache-2.0 */
/* harness: serial postgres (ctl_env.h's own PostgreSQL, unix socket in its temp dir) */
/*
 * The actions' lease (include/bulkhead/ctl_policy.h, lease17), on SQLite and
 * PostgreSQL (tests/unit/ctl_env.h): polls at once from several threads never
 * get one action twice; an expired lease hands the action out again, its
 * attempts counted, then fails it; a late result after a re-hand is kept
 * once; a result for an action never handed out, or another node's, refused.
 */
#include <pthread.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/ctl.h"
#include "bulkhead/ctl_policy.h"
#include "ctl_env.h"
#include "banned.h"

#define NACT	 100
#define NTHREADS 4

static int64_t queue_one(struct bh_ctl_store *s, const char *node, const char *ctr)
{
	struct bh_ctl_action_req r;
	struct bh_error *err = NULL;
	int64_t id = 0;
	char *q = bh_asprintf("{\"node\":\"%s\",\"container\":\"%s\"}", node, ctr);

	assert_int_equal(bh_ctl_action_req_parse(q, strlen(q), &r, &err), 0);
	if (bh_ctl_action_queue(s, "admin", "quarantine", &r, &id, &err) < 0)
		fail_msg("queue: %s", bh_error_message(err));
	free(q);
	return id;
}

static int result(struct bh_ctl_store *s, const char *node, int64_t id, bool ok, const char **state,
		  enum bh_errcode *code)
{
	struct bh_ctl_action_result res;
	struct bh_error *err = NULL;
	char *b = bh_asprintf("{\"node\":\"%s\",\"id\":%lld,\"ok\":%s%s}", node, (long long)id,
			      ok ? "true" : "false", ok ? "" : ",\"error\":\"boom\"");
	int rc;

	assert_int_equal(bh_ctl_action_result_parse(b, strlen(b), &res, &err), 0);
	free(b);
	rc = bh_ctl_action_done(s, &res, state, &err);
	if (code)
		*code = rc < 0 ? bh_error_code(err) : 0;
	bh_error_free(err);
	return rc;
}

#define ROUNDS 20

struct poller {
	struct bh_ctl_store *s;
	pthread_barrier_t *go;
	int64_t *got;
	size_t n;
	int failures;
};

/* Each round: all polls at once (a barrier), once each, while the main
 * thread waits; then the main thread queues the next round's. */
static void *poll_thread(void *arg)
{
	struct poller *p = arg;

	for (int r = 0; r < ROUNDS; r++) {
		struct bh_error *err = NULL;
		json_t *l = NULL;

		pthread_barrier_wait(p->go);
		if (bh_ctl_action_take(p->s, "n1", NULL, &l, &err) < 0) {
			p->failures++;
			bh_error_free(err);
		}
		for (size_t i = 0; i < json_array_size(l) && p->n < NACT * ROUNDS; i++) {
			json_int_t id = 0;

			bh_json_int(json_array_get(l, i), "id", &id);
			p->got[p->n++] = id;
		}
		json_decref(l);
		pthread_barrier_wait(p->go);
	}
	return NULL;
}

static void concurrent_polls_never_share_an_action(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct poller p[NTHREADS];
	pthread_t th[NTHREADS];
	pthread_barrier_t go;
	unsigned char *seen = calloc(NACT * ROUNDS, 1);
	int64_t first = 0, total = 0;
	char ctr[16];

	assert_non_null(seen);
	reg(s, "n1");
	assert_int_equal(pthread_barrier_init(&go, NULL, NTHREADS + 1), 0);
	for (int i = 0; i < NTHREADS; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].s = s;
		p[i].go = &go;
		p[i].got = calloc(NACT * ROUNDS, sizeof(int64_t));
		assert_non_null(p[i].got);
		assert_int_equal(pthread_create(&th[i], NULL, poll_thread, &p[i]), 0);
	}
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < NACT; i++) {
			int64_t id;

			snprintf(ctr, sizeof(ctr), "c%d", i);
			id = queue_one(s, "n1", ctr);
			if (!first)
				first = id;
			assert_int_equal(id, first + r * NACT + i);
		}
		pthread_barrier_wait(&go); /* poll */
		pthread_barrier_wait(&go); /* polled */
	}
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(p[i].failures, 0);
		total += (int64_t)p[i].n;
		for (size_t k = 0; k < p[i].n; k++) {
			int64_t at = p[i].got[k] - first;

			assert_true(at >= 0 && at < NACT * ROUNDS);
			if (seen[at])
				fail_msg("action %lld handed out twice", (long long)p[i].got[k]);
			seen[at] = 1;
		}
		free(p[i].got);
	}
	pthread_barrier_destroy(&go);
	free(seen);
	/* every one handed out once (NACT fits in the 4 polls of a round) */
	assert_int_equal(total, NACT * ROUNDS);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM node_actions WHERE state = 'sent'"
				  " AND attempts = 1"),
			 NACT * ROUNDS);
	bh_ctl_store_free(s);
}

static void an_expired_lease_hands_out_again_then_fails(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_ctl_action_lease lease = { 60, 3 };
	struct bh_error *err = NULL;
	const char *st = NULL;
	enum bh_errcode code;
	json_int_t attempt = 0;
	int64_t a, b, c;
	json_t *l;

	reg(s, "n1");
	reg(s, "n2");
	a = queue_one(s, "n1", "ca");
	b = queue_one(s, "n1", "cb");
	/* never handed out: a result is refused (409), another node's too (404) */
	assert_int_equal(result(s, "n1", a, true, &st, &code), -1);
	assert_int_equal(code, BH_ERR_USAGE);
	assert_int_equal(bh_ctl_action_take(s, "n1", &lease, &l, &err), 0);
	assert_int_equal(json_array_size(l), 2);
	json_decref(l);
	assert_int_equal(result(s, "n2", a, true, &st, &code), -1);
	assert_int_equal(code, BH_ERR_NOTFOUND);
	/* within the lease: nothing again */
	assert_int_equal(bh_ctl_action_take(s, "n1", &lease, &l, &err), 0);
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
	/* the lease over (the agent died): both handed out again, attempt 2 */
	assert_int_equal(bh_ctl_store_query(s, "UPDATE node_actions SET lease_until = 0", NULL, 0,
					    NULL, NULL, NULL, &err),
			 0);
	assert_int_equal(bh_ctl_action_take(s, "n1", &lease, &l, &err), 0);
	assert_int_equal(json_array_size(l), 2);
	assert_true(bh_json_int(json_array_get(l, 0), "attempt", &attempt));
	assert_int_equal(attempt, 2);
	json_decref(l);
	/* the first hand-out's late result is kept; the re-hand's result then
	 * answers the state recorded (ok), not an error */
	assert_int_equal(result(s, "n1", a, true, &st, NULL), 0);
	assert_string_equal(st, "done");
	assert_int_equal(result(s, "n1", a, false, &st, NULL), 0);
	assert_string_equal(st, "done");
	assert_int_equal(count(s, "SELECT COUNT(*) FROM node_actions WHERE state = 'done'"
				  " AND error IS NULL"),
			 1);
	/* b: expired again and again, then failed with the reason */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(bh_ctl_store_query(s, "UPDATE node_actions SET lease_until = 0",
						    NULL, 0, NULL, NULL, NULL, &err),
				 0);
		assert_int_equal(bh_ctl_action_take(s, "n1", &lease, &l, &err), 0);
		assert_int_equal(json_array_size(l), i == 0 ? 1 : 0);
		json_decref(l);
	}
	assert_int_equal(count(s, "SELECT COUNT(*) FROM node_actions WHERE state = 'failed'"
				  " AND error = 'no result after 3 hand-outs' AND attempts = 3"),
			 1);
	/* its agent's result, too late: the failure stands */
	assert_int_equal(result(s, "n1", b, true, &st, NULL), 0);
	assert_string_equal(st, "failed");
	/* one queued later goes out as usual, in id order with none other */
	c = queue_one(s, "n1", "cc");
	assert_int_equal(bh_ctl_action_take(s, "n1", &lease, &l, &err), 0);
	assert_int_equal(json_array_size(l), 1);
	assert_true(bh_json_int(json_array_get(l, 0), "id", &attempt));
	assert_int_equal(attempt, c);
	json_decref(l);
	bh_ctl_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(concurrent_polls_never_share_an_action),
		BOTH(an_expired_lease_hands_out_again_then_fails),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
