// SPDX-License-Identifier: Apache-2.0
/*
 * The monitor pipeline's naming stage (bh_mon_run; split from pipeline.c):
 * an alert of a provisional container (bh_mon_container.provisional: an
 * engine's, found by a quick read, named by its ID) is handed here by
 * detection, its action taken, and waits in a queue of MON_NAMING_QUEUE
 * for one thread that asks the source for the container's names
 * (bh_mon_source_refine, bounded), then goes to the outputs, named or not.
 * Detection never waits on it: a full queue refuses the alert at once.
 */
#include <stdlib.h>
#include <string.h>

#include "pipeline_internal.h"
#include "banned.h"

#define ADD(x, n) __atomic_fetch_add(&(x), (n), __ATOMIC_RELAXED)

void mon_naming_init(struct mon_naming *n, struct mon_pipe *p, struct bh_mon_source *src,
		     struct mon_ev_pool *evs)
{
	memset(n, 0, sizeof(*n));
	n->p = p;
	n->src = src;
	n->evs = evs;
	mon_queue_init(&n->q, MON_NAMING_QUEUE);
}

/*
 * One alert of a provisional container named (its reference taken): the
 * source looks for the container in a full list made after the event,
 * waiting a bounded time (bh_mon_source_refine); a copy of the event,
 * named, replaces the alert's (the event is shared: the outputs may hold
 * it already), its output formatted again; then to the outputs, named or
 * not. Its consumers were told at detection (the names as they were then).
 */
static void name_one(struct mon_naming *n, struct mon_msg *m)
{
	struct bh_mon_run_stats *st = mon_stats(n->p);
	struct mon_alert *al = m->al;
	struct mon_ev *e = mon_ev_new(n->evs), *old = al->ev;
	struct mon_msg om = { .ev = old };

	e->ev = old->ev;
	if (bh_mon_source_refine(n->src, &e->ev.container, e->ev.ts_ns, al->naming_ns) > 0) {
		char *out = al->verdict ? mon_behave_output(al->verdict, &e->ev)
					: bh_rules_format(al->a.rule, &e->ev);

		al->ev = e;
		al->a.ev = &e->ev;
		if (out) {
			free(al->output);
			al->output = out;
			al->a.output = out;
		}
		mon_msg_unref(&om);
		ADD(st->alerts_named_late, 1);
	} else {
		struct mon_msg nm = { .ev = e };

		mon_msg_unref(&nm);
		ADD(st->alerts_unnamed, 1);
	}
	mon_to_outputs(n->p, m);
	mon_msg_unref(m);
}

static void *naming_main(void *arg)
{
	struct mon_naming *n = arg;
	bool done = false;

	while (!done) {
		struct mon_msg m;

		if (mon_queue_pop(&n->q, &m, 1, 200, &done))
			name_one(n, &m);
	}
	return NULL;
}

bool mon_naming_start(struct mon_naming *n)
{
	n->on = bh_mon_source_can_refine(n->src) && !pthread_create(&n->th, NULL, naming_main, n);
	return n->on;
}

int mon_naming_take(struct mon_naming *n, const struct mon_msg *m)
{
	if (!n->on)
		return -1;
	m->al->naming_ns = bh_mono_ns();
	return mon_queue_push(&n->q, m, 0, NULL);
}

void mon_naming_stop(struct mon_naming *n)
{
	mon_queue_close(&n->q);
	if (n->on)
		pthread_join(n->th, NULL);
	n->on = false;
}

void mon_naming_release(struct mon_naming *n)
{
	mon_queue_destroy(&n->q);
}
