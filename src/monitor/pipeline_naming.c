// SPDX-License-Identifier: Apache-2.0
/*
 * The monitor pipeline's naming stage (bh_mon_run; split from pipeline.c):
 * an alert of a provisional container (bh_mon_container.provisional: an
 * engine's, found by a quick read, named by its ID) is handed here by
 * detection, its action taken, and waits in a queue of MON_NAMING_QUEUE
 * for one thread that asks the source for the container's names
 * (bh_mon_source_refine, bounded), then goes to the consumers and the
 * outputs, named or not. Detection never waits on it: a full queue refuses
 * the alert at once.
 *
 * The consumers (the agent's, which ships alerts to the controller) are told
 * here, not at detection: the consumers' copy is then named as the outputs'
 * is, and each alert is told once. A second call ("renamed") would have told
 * them twice, and the controller would have had to match the two. A later
 * alert of a container with alerts held here is held too (not refined when
 * named already), so that a container's alerts are told and written in the
 * order detection made them; other containers' alerts do not wait.
 */
#include <stdio.h>
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
	pthread_mutex_init(&n->mu, NULL);
	atomic_init(&n->held, 0);
}

/* The count of container id among those held (mu held); NULL when it has
 * none, unless add: then a free slot made its (NULL when none is free). */
static unsigned *held_slot(struct mon_naming *n, const char *id, bool add)
{
	size_t f = MON_NAMING_QUEUE + 1;

	for (size_t i = 0; i < MON_NAMING_QUEUE + 1; i++) {
		if (n->ctr[i].n && !strcmp(n->ctr[i].id, id))
			return &n->ctr[i].n;
		if (!n->ctr[i].n && f == MON_NAMING_QUEUE + 1)
			f = i;
	}
	if (!add || f == MON_NAMING_QUEUE + 1)
		return NULL;
	snprintf(n->ctr[f].id, sizeof(n->ctr[f].id), "%s", id);
	return &n->ctr[f].n;
}

/*
 * One alert of a provisional container named (its reference taken): the
 * source looks for the container in a full list made after the event,
 * waiting a bounded time (bh_mon_source_refine); a copy of the event,
 * named, replaces the alert's (the event is shared: the outputs may hold
 * it already), its output formatted again.
 */
static void name_alert(struct mon_naming *n, struct mon_alert *al)
{
	struct bh_mon_run_stats *st = mon_stats(n->p);
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
}

/* One alert held (its reference taken): named when its container is
 * provisional (else it waited only for its container's earlier alerts),
 * then to the consumers and the outputs; its container's count less one. */
static void name_one(struct mon_naming *n, struct mon_msg *m)
{
	char id[BH_MON_CID_MAX];
	unsigned *c;

	snprintf(id, sizeof(id), "%s", m->al->ev->ev.container.id);
	if (m->al->ev->ev.container.provisional)
		name_alert(n, m->al);
	mon_tell_consumers(n->p, &m->al->a);
	mon_to_outputs(n->p, m);
	mon_msg_unref(m);
	pthread_mutex_lock(&n->mu);
	c = held_slot(n, id, false);
	if (c)
		--*c;
	atomic_fetch_sub(&n->held, 1);
	pthread_mutex_unlock(&n->mu);
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
	const struct bh_mon_container *c = &m->al->ev->ev.container;
	unsigned *slot;
	int rc = -1;

	if (!n->on || !c->id[0] || (!c->provisional && !atomic_load(&n->held)))
		return -1; /* the fast path: a named alert, nothing held */
	pthread_mutex_lock(&n->mu);
	slot = held_slot(n, c->id, c->provisional);
	/* a slot is free while the queue has room: one per alert held, and one
	 * more than the queue holds (the one being named) */
	if (slot) {
		m->al->naming_ns = bh_mono_ns();
		rc = mon_queue_push(&n->q, m, 0, NULL);
	}
	if (!rc) {
		++*slot;
		atomic_fetch_add(&n->held, 1);
	}
	pthread_mutex_unlock(&n->mu);
	return rc;
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
	pthread_mutex_destroy(&n->mu);
}
