// SPDX-License-Identifier: Apache-2.0
/*
 * The monitor's reader (src/monitor/pipeline.c, review rv1): the thread that
 * drains the kernel's ring never runs slow work (a consumer's hook or flush,
 * a quarantine), so it is never away from the source for long; an output
 * batch with an item whose JSON cannot be made releases each item once; a
 * loss alert an output drops is no new loss; the consumers get the loss
 * alerts (the agent ships them).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/monitord.h"
#include "bulkhead/rules.h"
#include "monitor/source_internal.h"
#include "mon_fixture.h"

/* A trickle: one event, the source dry, then one event a ms up to n; lost
 * is the kernel's (a loss alert); the longest gap between two reads is kept. */
struct trickle {
	unsigned n, max;
	bool dry_once;
	bool bad_odd; /* odd events have res -5000: their JSON is refused */
	uint64_t last_us, max_gap_us;
	uint64_t lost;
};

static int trickle_next(void *impl, struct bh_mon_event *ev, int timeout_ms, bool *ended,
			struct bh_error **err)
{
	struct trickle *s = impl;
	uint64_t t = bh_mono_ns() / 1000;

	(void)err;
	(void)timeout_ms;
	if (s->last_us && t - s->last_us > s->max_gap_us)
		s->max_gap_us = t - s->last_us;
	s->last_us = t;
	if (s->n >= s->max) {
		*ended = true;
		return 0;
	}
	if (s->n == 1 && !s->dry_once) {
		s->dry_once = true;
		return 0; /* dry after the first event: it is a drained batch */
	}
	if (s->n > 1 && !s->bad_odd)
		usleep(1000);
	memset(ev, 0, sizeof(*ev));
	ev->type = BH_MON_EXECVE;
	ev->proc.pid = ++s->n;
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "xmrig");
	snprintf(ev->container.id, sizeof(ev->container.id), "c%u", s->n);
	ev->ts_ns = 1;
	if (s->bad_odd && s->n % 2)
		ev->res = -5000; /* bh_mon_event_to_json refuses it (out of range) */
	return 1;
}

static void trickle_stats(const void *impl, struct bh_mon_stats *st)
{
	st->lost += ((const struct trickle *)impl)->lost;
}

static void trickle_free(void *impl)
{
	(void)impl;
}

static const struct mon_source_ops trickle_ops = { "trickle", trickle_next, trickle_stats,
						   trickle_free, NULL };

static void warn_quiet(void *data, const struct bh_error *e)
{
	(void)data;
	(void)e;
}

/* A consumer whose work for the first event takes 500 ms (a quarantine's
 * freeze, an fdatasync of the agent's spool on a busy disk). */
struct slow {
	pthread_t producer;
	atomic_uint on_producer, events, loss_alerts, loss_untyped;
};

static int slow_event(void *data, const struct bh_mon_event *ev, struct bh_error **err)
{
	struct slow *s = data;

	(void)err;
	if (pthread_equal(pthread_self(), s->producer))
		atomic_fetch_add(&s->on_producer, 1);
	atomic_fetch_add(&s->events, 1);
	if (ev->proc.pid == 1)
		usleep(500000);
	return 0;
}

static int slow_alert(void *data, const struct bh_mon_alert *a, struct bh_error **err)
{
	struct slow *s = data;

	(void)err;
	if (pthread_equal(pthread_self(), s->producer))
		atomic_fetch_add(&s->on_producer, 1);
	if (a->loss) {
		atomic_fetch_add(&s->loss_alerts, 1);
		if (a->ev && a->ev->type == BH_MON_NONE)
			atomic_fetch_add(&s->loss_untyped, 1);
	}
	return 0;
}

static void reader_never_waits_on_a_slow_consumer(void **state)
{
	struct trickle s = { .max = 1000, .lost = 5 }; /* and the kernel lost 5 */
	struct bh_mon_source *src = NULL;
	struct slow sl = { .producer = pthread_self() };
	struct bh_mon_consumer con = { "slow", &sl, slow_event, slow_alert, NULL };
	struct bh_mon_run_opts o = { 0 };
	struct bh_mon_run_stats st;
	struct bh_error *err = NULL;

	(void)state;
	assert_int_equal(mon_source_new(&trickle_ops, &s, &src, &err), 0);
	o.source = src;
	o.consumers = &con;
	o.nconsumers = 1;
	o.drain_ms = 2000;
	assert_int_equal(bh_mon_run(&o, &st, &err), 0);
	print_message("reader's longest gap %llu ms, %llu detected inline, %u consumer calls on "
		      "the reader\n",
		      (unsigned long long)(s.max_gap_us / 1000),
		      (unsigned long long)st.detect_inline, atomic_load(&sl.on_producer));
	assert_int_equal(st.events, 1000);
	assert_int_equal(st.detected, 1000);
	assert_int_equal(atomic_load(&sl.events), 1000);
	/* the consumer's 500 ms ran on the detection thread: the reader read on
	 * (well under the 500 ms; block_ms, 200, is the most it may wait) */
	assert_int_equal(st.detect_inline, 0);
	assert_int_equal(atomic_load(&sl.on_producer), 0);
	assert_true(s.max_gap_us < 200000);
	/* the loss alert reached the consumer, an alert without an event */
	assert_int_equal(st.loss_alerts, 1);
	assert_int_equal(atomic_load(&sl.loss_alerts), 1);
	assert_int_equal(atomic_load(&sl.loss_untyped), 1);
	assert_int_equal(st.loss_alerts_dropped, 0);
	bh_mon_source_free(src);
}

/* A quarantine that takes 500 ms (the freezer's wait). */
struct quar {
	pthread_t producer;
	atomic_uint calls, on_producer;
};

static int slow_quarantine(void *data, const char *id, const struct bh_mon_event *ev,
			   struct bh_error **err)
{
	struct quar *q = data;

	(void)id;
	(void)ev;
	(void)err;
	if (pthread_equal(pthread_self(), q->producer))
		atomic_fetch_add(&q->on_producer, 1);
	if (atomic_fetch_add(&q->calls, 1) == 0)
		usleep(500000);
	return 0;
}

static void reader_never_waits_on_a_quarantine(void **state)
{
	struct trickle s = { .max = 300 };
	struct bh_rules *rs = mon_rules(MON_QUAR_YAML, "q");
	struct bh_mon_source *src = NULL;
	struct quar q = { .producer = pthread_self() };
	struct bh_mon_run_opts o = { 0 };
	struct bh_mon_run_stats st;
	struct bh_error *err = NULL;

	(void)state;
	assert_int_equal(mon_source_new(&trickle_ops, &s, &src, &err), 0);
	o.source = src;
	o.rules = rs;
	o.quarantine = slow_quarantine;
	o.quarantine_data = &q;
	o.drain_ms = 2000;
	assert_int_equal(bh_mon_run(&o, &st, &err), 0);
	print_message("reader's longest gap %llu ms, %llu detected inline\n",
		      (unsigned long long)(s.max_gap_us / 1000),
		      (unsigned long long)st.detect_inline);
	assert_int_equal(st.alerts, 300);
	assert_int_equal(atomic_load(&q.calls), 300); /* one container per event */
	assert_int_equal(st.detect_inline, 0);
	assert_int_equal(atomic_load(&q.on_producer), 0);
	assert_true(s.max_gap_us < 200000);
	bh_mon_source_free(src);
	/* an --action entry making it an alert: detection is light again */
	struct bh_mon_action_rule ar = { "Miner", BH_MON_ACT_ALERT };

	memset(&s, 0, sizeof(s));
	s.max = 300;
	memset(&q, 0, sizeof(q));
	assert_int_equal(mon_source_new(&trickle_ops, &s, &src, &err), 0);
	o.source = src;
	o.actions = &ar;
	o.nactions = 1;
	assert_int_equal(bh_mon_run(&o, &st, &err), 0);
	assert_int_equal(st.alerts, 300);
	assert_int_equal(atomic_load(&q.calls), 0);
	assert_true(st.detect_inline > 0);
	bh_mon_source_free(src);
	bh_rules_free(rs);
}

static void json_failure_releases_each_item_once(void **state)
{
	struct trickle s = { .max = 1000, .bad_odd = true };
	struct bh_mon_source *src = NULL;
	struct mon_file_out out;
	struct bh_strvec lines = BH_STRVEC_INIT;
	struct bh_mon_run_opts o = { 0 };
	struct bh_mon_run_stats st;
	struct bh_error *err = NULL;
	unsigned events = 0, loss_lines = 0;

	(void)state;
	mon_file_out_init(&out);
	s.dry_once = true;
	assert_int_equal(mon_source_new(&trickle_ops, &s, &src, &err), 0);
	out.out.select = BH_MON_SEL_EVENTS | BH_MON_SEL_ALERTS;
	o.source = src;
	o.outputs = &out.out;
	o.noutputs = 1;
	o.no_drop = true;
	o.warn = warn_quiet;
	assert_int_equal(bh_mon_run(&o, &st, &err), 0);
	assert_int_equal(st.events, 1000);
	print_message("written %llu dropped %llu errors %llu, loss alerts %llu\n",
		      (unsigned long long)st.outputs[0].written,
		      (unsigned long long)st.outputs[0].dropped,
		      (unsigned long long)st.outputs[0].errors, (unsigned long long)st.loss_alerts);
	/* and the loss alerts (one at the stop, or one a second) tell the 500;
	 * (the stop's drain may drop a batch an output thread holds: counted) */
	assert_true(st.loss_alerts >= 1);
	assert_int_equal(st.outputs[0].errors, 500);
	assert_int_equal(st.outputs[0].written + st.outputs[0].dropped + st.outputs[0].loss_dropped,
			 1000 + st.loss_alerts);
	assert_true(st.outputs[0].written >= 500);
	/* every even event once, in order (an event released twice goes back to
	 * the pool while queued: another's content, or a use after free) */
	mon_file_out_lines(&out, &lines);
	for (size_t i = 0; i < lines.n; i++) {
		char want[32];

		if (strstr(lines.v[i], "\"rule\":\"" BH_MON_LOSS_RULE "\"")) {
			loss_lines++;
			continue;
		}
		events++;
		snprintf(want, sizeof(want), "\"pid\":%u,", events * 2);
		assert_non_null(strstr(lines.v[i], want));
	}
	assert_int_equal(events + loss_lines, st.outputs[0].written);
	bh_strvec_release(&lines);
	bh_mon_source_free(src);
}

static void dropped_loss_alert_is_no_new_loss(void **state)
{
	struct trickle s = { .max = 1500, .lost = 5 };
	struct bh_mon_source *src = NULL;
	struct bh_mon_output_opts out = { 0 };
	struct bh_mon_run_opts o = { 0 };
	struct bh_mon_run_stats st;
	struct bh_error *err = NULL;
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	(void)state;
	if (fd < 0)
		skip();
	assert_int_equal(mon_source_new(&trickle_ops, &s, &src, &err), 0);
	out.kind = BH_MON_OUT_FD; /* every write fails (ENOSPC): a dead output */
	out.fd = fd;
	o.source = src;
	o.outputs = &out;
	o.noutputs = 1;
	o.loss_interval_ms = 200; /* the run takes ~1.5 s: 7 intervals */
	o.warn = warn_quiet;
	assert_int_equal(bh_mon_run(&o, &st, &err), 0);
	print_message("loss alerts %llu: output dropped %llu, loss alerts dropped %llu\n",
		      (unsigned long long)st.loss_alerts, (unsigned long long)st.outputs[0].dropped,
		      (unsigned long long)st.outputs[0].loss_dropped);
	/* the kernel's 5, told once: its own drop made no other */
	assert_int_equal(st.loss_alerts, 1);
	assert_int_equal(st.outputs[0].loss_dropped, 1);
	assert_int_equal(st.outputs[0].dropped, 0);
	assert_int_equal(st.outputs[0].errors, 1);
	close(fd);
	bh_mon_source_free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reader_never_waits_on_a_slow_consumer),
		cmocka_unit_test(reader_never_waits_on_a_quarantine),
		cmocka_unit_test(json_failure_releases_each_item_once),
		cmocka_unit_test(dropped_loss_alert_is_no_new_loss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
