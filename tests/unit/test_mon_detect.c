// SPDX-License-Identifier: Apache-2.0
/*
 * Where the pipeline detects (issue 15, review rv1): when detection is light
 * (rules that alert, no consumer), a batch read up to where the source ran
 * dry, while the detection thread is idle and its queue empty, is detected
 * on the producer itself (no hand-off); bursts go to the detection thread;
 * with a consumer everything goes to the detection thread (the reader never
 * runs its hooks). Either way every event is detected once and in the order
 * read, and the consumers flush after a drained batch. The events' pool:
 * spent events are reused, at most MON_EV_POOL kept.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/monitord.h"
#include "bulkhead/rules.h"
#include "monitor/pipeline_internal.h"
#include "monitor/source_internal.h"
#include "mon_fixture.h"

#define ROUNDS	40
#define BURST	150 /* more than the producer's batch: full batches go to the thread */
#define TRICKLE 4   /* single events, the source dry between them */
#define EVENTS	(ROUNDS / 2 * (BURST + TRICKLE))

/* A scripted source: even rounds a burst (never dry inside it), odd rounds
 * a trickle (dry, a pause, one event, dry ...). proc.pid numbers the events. */
struct script {
	unsigned round, left, pid;
	bool dry; /* the next call reports nothing (once) */
};

static int script_next(void *impl, struct bh_mon_event *ev, int timeout_ms, bool *ended,
		       struct bh_error **err)
{
	struct script *s = impl;

	(void)err;
	if (s->round >= ROUNDS) {
		*ended = true;
		return 0;
	}
	if (s->dry) {
		s->dry = false;
		if (timeout_ms > 0)
			usleep(1000);
		return 0;
	}
	if (!s->left)
		s->left = s->round % 2 ? TRICKLE : BURST;
	if (s->round % 2) {
		/* a trickle: the detection thread has long finished the burst */
		usleep(s->left == TRICKLE ? 50000 : 2000);
		s->dry = true;
	}
	memset(ev, 0, sizeof(*ev));
	ev->type = BH_MON_EXECVE;
	ev->proc.pid = ++s->pid;
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "/bin/ev%u", s->pid);
	if (!--s->left) {
		s->round++;
		s->dry = true;
	}
	return 1;
}

static void script_stats(const void *impl, struct bh_mon_stats *st)
{
	(void)impl;
	(void)st;
}

static void script_free(void *impl)
{
	free(impl);
}

static const struct mon_source_ops script_ops = { "script", script_next, script_stats, script_free,
						  NULL };

/* The consumer: runs on the detection thread. */
struct seen {
	unsigned next, disorder, events;
	pthread_t producer;
	unsigned on_producer;
	atomic_uint flushes;
};

static int seen_event(void *data, const struct bh_mon_event *ev, struct bh_error **err)
{
	struct seen *s = data;

	(void)err;
	if (ev->proc.pid != s->next + 1)
		s->disorder++;
	s->next = ev->proc.pid;
	s->events++;
	if (pthread_equal(pthread_self(), s->producer))
		s->on_producer++;
	/* a slow detector: the producer reads ahead of it in a burst */
	usleep(20);
	return 0;
}

static void seen_flush(void *data)
{
	atomic_fetch_add(&((struct seen *)data)->flushes, 1);
}

static void consumers_detected_on_the_thread_in_order(void **state)
{
	struct bh_mon_source *src = NULL;
	struct seen seen = { .producer = pthread_self() };
	struct bh_mon_consumer con = { "seen", &seen, seen_event, NULL, seen_flush };
	struct bh_mon_run_opts o = { 0 };
	struct bh_mon_run_stats st;
	struct bh_error *err = NULL;

	(void)state;
	assert_int_equal(mon_source_new(&script_ops, calloc(1, sizeof(struct script)), &src, &err),
			 0);
	o.source = src;
	o.consumers = &con;
	o.nconsumers = 1;
	o.drain_ms = 200;
	assert_int_equal(bh_mon_run(&o, &st, &err), 0);
	assert_int_equal(st.events, EVENTS);
	assert_int_equal(st.detected, EVENTS);
	assert_int_equal(st.detect_dropped, 0);
	assert_int_equal(seen.events, EVENTS);
	/* one detector at a time, batches in the order read */
	assert_int_equal(seen.disorder, 0);
	assert_int_equal(seen.next, EVENTS);
	/* a consumer's hooks never run on the reader (review rv1: a slow hook
	 * there leaves the kernel's ring undrained) */
	assert_int_equal(st.detect_inline, 0);
	assert_int_equal(seen.on_producer, 0);
	/* a drained batch flushes the consumers */
	assert_true(atomic_load(&seen.flushes) >= ROUNDS / 2);
	bh_mon_source_free(src);
}

static const char alert_yaml[] = "- rule: Exec\n"
				 "  desc: d\n"
				 "  output: exec %proc.exe\n"
				 "  priority: NOTICE\n"
				 "  condition: evt.type = execve\n";

static void light_trickle_detected_inline_bursts_handed_off_in_order(void **state)
{
	struct bh_rules *rs = mon_rules(alert_yaml, "r");
	struct bh_mon_source *src = NULL;
	struct mon_file_out out;
	struct bh_strvec lines = BH_STRVEC_INIT;
	struct bh_mon_run_opts o = { 0 };
	struct bh_mon_run_stats st;
	struct bh_error *err = NULL;
	unsigned disorder = 0;

	(void)state;
	mon_file_out_init(&out);
	assert_int_equal(mon_source_new(&script_ops, calloc(1, sizeof(struct script)), &src, &err),
			 0);
	out.out.queue = 2 * EVENTS;
	o.source = src;
	o.rules = rs;
	o.outputs = &out.out;
	o.noutputs = 1;
	o.drain_ms = 2000;
	assert_int_equal(bh_mon_run(&o, &st, &err), 0);
	assert_int_equal(st.events, EVENTS);
	assert_int_equal(st.detected, EVENTS);
	assert_int_equal(st.alerts, EVENTS);
	assert_int_equal(st.outputs[0].written, EVENTS);
	/* the alerts in the order read, whoever detected */
	mon_file_out_lines(&out, &lines);
	for (size_t i = 0; i < lines.n; i++) {
		char want[32];

		snprintf(want, sizeof(want), "\"pid\":%zu,", i + 1);
		if (!strstr(lines.v[i], want))
			disorder++;
	}
	assert_int_equal(lines.n, EVENTS);
	assert_int_equal(disorder, 0);
	bh_strvec_release(&lines);
	/* the trickle's events on the producer, the bursts' full batches not */
	print_message("%llu of %d detected on the producer\n", (unsigned long long)st.detect_inline,
		      EVENTS);
	/* (one a round at least: on a loaded machine the thread may still
	 * hold the lock or the queue) */
	assert_true(st.detect_inline >= ROUNDS / 2);
	assert_true(st.detect_inline <= EVENTS - ROUNDS / 2 * (BURST / 64) * 64);
	bh_mon_source_free(src);
	bh_rules_free(rs);
}

static void event_pool_reuses_spares_bounded(void **state)
{
	struct mon_ev_pool pool;
	struct mon_msg m[MON_EV_POOL + 8];
	struct mon_ev *first;

	(void)state;
	mon_ev_pool_init(&pool);
	m[0] = (struct mon_msg){ .ev = mon_ev_new(&pool) };
	first = m[0].ev;
	mon_msg_ref(&m[0]);
	mon_msg_unref(&m[0]);
	assert_int_equal(pool.n, 0); /* still referenced */
	mon_msg_unref(&m[0]);
	assert_int_equal(pool.n, 1);
	/* the spare comes back, its count and JSON reset */
	m[0] = (struct mon_msg){ .ev = mon_ev_new(&pool) };
	assert_ptr_equal(m[0].ev, first);
	assert_int_equal(pool.n, 0);
	assert_int_equal(atomic_load(&m[0].ev->refs), 1);
	assert_null(atomic_load(&m[0].ev->json));
	for (size_t i = 1; i < MON_EV_POOL + 8; i++)
		m[i] = (struct mon_msg){ .ev = mon_ev_new(&pool) };
	for (size_t i = 0; i < MON_EV_POOL + 8; i++)
		mon_msg_unref(&m[i]);
	/* bounded: the rest were freed */
	assert_int_equal(pool.n, MON_EV_POOL);
	mon_ev_pool_release(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(consumers_detected_on_the_thread_in_order),
		cmocka_unit_test(light_trickle_detected_inline_bursts_handed_off_in_order),
		cmocka_unit_test(event_pool_reuses_spares_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
