// SPDX-License-Identifier: Apache-2.0
/*
 * The monitor's pipeline (include/bulkhead/monitord.h): the producer (the
 * caller's thread) reads the source and fans out; detection runs the rules,
 * the consumer hooks and the actions, one batch at a time under detect_mu.
 * When detection is light (detect_inline_ok: rules whose actions are alert
 * or block, no consumer, no behaviour profiles), a batch that ends where the
 * source ran dry is detected on the producer itself (a trickle: no hand-off,
 * no wakeup of another thread); everything else goes to the detection
 * thread, so the thread that drains the kernel's ring never runs slow work
 * (a kill, a quarantine's freeze, a consumer's fdatasync). One thread per
 * output writes. Counters are updated with relaxed atomics so that a SIGUSR1
 * report can read them while the threads run. The naming stage, which
 * holds the alerts of a provisional container for its names, is
 * pipeline_naming.c; the stop order (detection, the naming stage, the
 * outputs) is bh_mon_run's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pipeline_internal.h"
#include "banned.h"

#define DETECT_BATCH 64
#define OUTPUT_BATCH 256
#define MATCH_MAX    32
#define QUAR_SEEN    256 /* containers quarantined in a run, remembered */

#define ADD(x, n) __atomic_fetch_add(&(x), (n), __ATOMIC_RELAXED)
#define GET(x)	  __atomic_load_n(&(x), __ATOMIC_RELAXED)

struct mon_out {
	struct mon_pipe *p;
	const struct mon_output_ops *ops;
	const struct bh_mon_output_opts *o;
	void *impl;
	struct mon_queue q;
	pthread_t th;
	bool started;
	bool failing;	      /* the last write failed (warn once per failing stretch) */
	atomic_bool finished; /* output_main returned: all it took is written or counted */
	int reopen_seen;
	struct bh_mon_output_stats *st;
};

struct mon_pipe {
	const struct bh_mon_run_opts *o;
	struct bh_mon_run_stats st;
	struct mon_queue detect;
	bool detecting; /* rules or consumers: the detect thread runs */
	/* detection is light (no consumer, no profiles, no kill or quarantine):
	 * the producer may detect a drained batch itself (detect_push) */
	bool detect_inline_ok;
	bool detect_joined; /* the detection thread is over (the stop) */
	/* held by whoever detects (the detection thread, or the producer
	 * inline): one batch at a time, in order; the detection thread pops
	 * only under it, so a queue seen empty under it stays empty */
	pthread_mutex_t detect_mu;
	bool detect_dirty; /* a batch since the consumers' last flush */
	pthread_t detect_th;
	struct mon_out out[BH_MON_OUTPUTS_MAX];
	size_t nout;
	/* the naming stage (pipeline_naming.c): alerts of a provisional
	 * container wait there for its names, then go to the outputs */
	struct mon_naming name;
	atomic_bool drain_over; /* the outputs' drain deadline passed */
	pthread_mutex_t warn_mu;
	char quarantined[QUAR_SEEN][BH_MON_CID_MAX];
	size_t nquar;
	/* behaviour profiles: the rules of their alerts; the source's lost
	 * counter (set by the producer, read by detection) and what detection
	 * told bh_behave_lost so far; the next flush (detection's clock) */
	struct mon_behave_rules brules;
	uint64_t src_lost, lost_told, behave_flush_at, behave_reload_at;
	atomic_uint modes_gen; /* bumped by the guard (mon_guard_modes_changed) */
	unsigned modes_seen;   /* detection's */
	struct mon_guard *guard;
	struct mon_ev_pool evs;	  /* the events' spares (outlives every event) */
	struct mon_health health; /* losses told (pipeline_health.c): the producer's */
};

void mon_warn(struct mon_pipe *p, struct bh_error **e)
{
	if (*e && p->o->warn) {
		pthread_mutex_lock(&p->warn_mu);
		p->o->warn(p->o->data, *e);
		pthread_mutex_unlock(&p->warn_mu);
	}
	bh_error_clear(e);
}

/* ---- actions (the rest: pipeline_action.c) -------------------------------------- */

static int act_quarantine(struct mon_pipe *p, const struct bh_mon_event *ev, struct bh_error **err)
{
	const char *id = ev->container.id;

	if (!*id)
		return bh_error_set(err, BH_ERR_INVALID,
				    "pid %u runs on the host: nothing to quarantine", ev->proc.pid);
	for (size_t i = 0; i < p->nquar; i++)
		if (!strcmp(p->quarantined[i], id))
			return 0; /* done already in this run */
	if (!p->o->quarantine)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "container %.12s: quarantine is not available", id);
	if (p->o->quarantine(p->o->quarantine_data, id, ev, err) < 0)
		return bh_error_prefix(err, "container %.12s: quarantine", id);
	if (p->nquar < QUAR_SEEN)
		snprintf(p->quarantined[p->nquar++], BH_MON_CID_MAX, "%s", id);
	return 0;
}

/* ---- alerts as JSON and text -------------------------------------------------- */

int bh_mon_alert_to_json(const struct bh_mon_alert *a, json_t **out, struct bh_error **err)
{
	json_t *o, *ev, *tags;

	*out = NULL;
	if (a->loss)
		return mon_health_alert_json(a, out, err);
	if (bh_mon_event_to_json(a->ev, &ev, err) < 0)
		return -1;
	tags = json_array();
	for (char **t = a->rule->tags; tags && *t; t++)
		json_array_append_new(tags, json_string(*t));
	o = json_pack("{s:I, s:s, s:s, s:s, s:o, s:s, s:o}", "time", (json_int_t)a->ev->ts_ns,
		      "rule", a->rule->name, "priority", bh_rules_priority_name(a->rule->priority),
		      "output", a->output, "tags", tags, "action", bh_mon_action_name(a->action),
		      "event", ev);
	if (!o)
		return bh_error_set(err, BH_ERR_NOMEM, "alert %s: cannot make its JSON",
				    a->rule->name);
	if (a->action_error[0])
		json_object_set_new(o, "action_error", json_string(a->action_error));
	if (a->behaviour) {
		json_t *b = bh_behave_verdict_json(a->behaviour, NULL);

		if (!b) {
			json_decref(o);
			return bh_error_set(err, BH_ERR_NOMEM, "alert %s: cannot make its JSON",
					    a->rule->name);
		}
		json_object_set_new(o, "behaviour", b);
	}
	*out = o;
	return 0;
}

static void time_str(uint64_t ns, char buf[BH_TIME_MAX])
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

	bh_time_rfc3339(&ts, 6, buf);
}

char *mon_msg_text(const struct mon_msg *m)
{
	char t[BH_TIME_MAX];

	if (m->al) {
		const struct bh_mon_alert *a = &m->al->a;

		time_str(a->ev->ts_ns, t);
		if (!a->action && a->action_error[0]) /* a block not done: why */
			return bh_asprintf("%s %s %s: %s [%s]\n", t,
					   bh_rules_priority_name(a->rule->priority), a->rule->name,
					   a->output, a->action_error);
		if (a->action && a->action_error[0])
			return bh_asprintf("%s %s %s: %s [%s failed: %s]\n", t,
					   bh_rules_priority_name(a->rule->priority), a->rule->name,
					   a->output, bh_mon_action_name(a->action),
					   a->action_error);
		return bh_asprintf(
			"%s %s %s: %s%s%s%s\n", t, bh_rules_priority_name(a->rule->priority),
			a->rule->name, a->output, a->action ? " [" : "",
			a->action ? bh_mon_action_name(a->action) : "", a->action ? "]" : "");
	}
	const struct bh_mon_event *ev = &m->ev->ev;

	time_str(ev->ts_ns, t);
	return bh_asprintf("%s %s pid=%u proc=%s exe=%s container=%s%s%s\n", t,
			   bh_mon_type_name(ev->type), ev->proc.pid,
			   ev->proc.comm[0] ? ev->proc.comm : "-",
			   ev->proc.exe[0] ? ev->proc.exe : "-",
			   ev->container.id[0] ? ev->container.id : "host",
			   ev->file.path[0] ? " file=" : "", ev->file.path);
}

/* ---- output threads -------------------------------------------------------------- */

/* Count msgs[0..n) dropped by w: a loss alert's drop apart (loss_dropped), it is
 * no new loss (else a dead output makes one loss alert per interval forever). */
static void count_dropped(struct mon_out *w, const struct mon_msg *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (msgs[i].al && msgs[i].al->loss)
			ADD(w->st->loss_dropped, 1);
		else
			ADD(w->st->dropped, 1);
}

/*
 * Write msgs[0..n) (their references are taken: each is released here, the
 * items whose JSON cannot be made as soon as they are left out of the batch).
 */
static void output_batch(struct mon_out *w, struct mon_msg *msgs, size_t n)
{
	struct mon_pipe *p = w->p;
	const struct mon_json *js[OUTPUT_BATCH];
	struct bh_error *e = NULL;
	size_t k = 0;

	if (atomic_load(&p->drain_over)) {
		count_dropped(w, msgs, n);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		js[k] = mon_msg_json(&msgs[i], &e);
		if (!js[k]) {
			ADD(w->st->errors, 1);
			count_dropped(w, &msgs[i], 1);
			bh_error_prefix(&e, "%s", w->st->name);
			mon_warn(p, &e);
			mon_msg_unref(&msgs[i]);
			continue;
		}
		msgs[k++] = msgs[i];
	}
	n = k; /* the items left, packed: msgs[0..k) */
	if (k && w->ops->write(w->impl, msgs, js, k, &p->drain_over, &e) < 0) {
		ADD(w->st->errors, 1);
		count_dropped(w, msgs, k);
		if (!w->failing) {
			bh_error_prefix(&e, "%s (items are dropped and counted while it fails)",
					w->st->name);
			mon_warn(p, &e);
		}
		bh_error_clear(&e);
		w->failing = true;
	} else if (k) {
		ADD(w->st->written, k);
		w->failing = false;
	}
out:
	for (size_t i = 0; i < n; i++)
		mon_msg_unref(&msgs[i]);
}

static void *output_main(void *arg)
{
	struct mon_out *w = arg;
	struct mon_pipe *p = w->p;
	size_t max =
		w->o->kind == BH_MON_OUT_WEBHOOK ? (w->o->batch ? w->o->batch : 100) : OUTPUT_BATCH;
	struct mon_msg msgs[OUTPUT_BATCH];
	bool done = false;

	if (max > OUTPUT_BATCH)
		max = OUTPUT_BATCH;
	while (!done) {
		size_t n = mon_queue_pop(&w->q, msgs, max, 200, &done);

		if (p->o->reopen && w->ops->reopen && atomic_load(p->o->reopen) != w->reopen_seen) {
			struct bh_error *e = NULL;

			w->reopen_seen = atomic_load(p->o->reopen);
			if (w->ops->reopen(w->impl, &e) < 0) {
				bh_error_prefix(&e, "%s: reopen", w->st->name);
				mon_warn(p, &e);
			}
		}
		if (n)
			output_batch(w, msgs, n);
	}
	atomic_store(&w->finished, true);
	return NULL;
}

/* Queue m to every output that takes its kind, waiting at most wait_ms for
 * room in each (--no-drop: as long as it takes); a full queue drops and counts. */
static void to_outputs_wait(struct mon_pipe *p, const struct mon_msg *m, int wait_ms)
{
	unsigned want = m->al ? BH_MON_SEL_ALERTS : BH_MON_SEL_EVENTS;

	for (size_t i = 0; i < p->nout; i++) {
		unsigned sel = p->out[i].o->select ? p->out[i].o->select : BH_MON_SEL_ALERTS;

		if (!(sel & want))
			continue;
		mon_msg_ref(m);
		if (mon_queue_push(&p->out[i].q, m, p->o->no_drop ? -1 : wait_ms, NULL) < 0) {
			count_dropped(&p->out[i], m, 1);
			mon_msg_unref(m);
		}
	}
}

void mon_to_outputs(struct mon_pipe *p, const struct mon_msg *m)
{
	to_outputs_wait(p, m, 0);
}

/* ---- detection -------------------------------------------------------------------- */

/* Tell the consumers a (detection's side: the detection thread, or the
 * caller's once it is over). */
static void alert_consumers(struct mon_pipe *p, const struct bh_mon_alert *a)
{
	const struct bh_mon_run_opts *o = p->o;
	struct bh_error *err = NULL;

	for (size_t c = 0; c < o->nconsumers; c++)
		if (o->consumers[c].alert &&
		    o->consumers[c].alert(o->consumers[c].data, a, &err) < 0) {
			ADD(p->st.consumer_errors, 1);
			bh_error_prefix(&err, "%s", o->consumers[c].name);
			mon_warn(p, &err);
		}
}

void mon_tell_consumers(struct mon_pipe *p, const struct bh_mon_alert *a)
{
	if (!p->o->nconsumers)
		return;
	pthread_mutex_lock(&p->detect_mu);
	alert_consumers(p, a);
	p->detect_dirty = true; /* detection flushes them when idle (200 ms) */
	pthread_mutex_unlock(&p->detect_mu);
}

/* The consumers' flush (detection's side; or the caller's once it is over). */
static void flush_consumers(struct mon_pipe *p)
{
	for (size_t c = 0; c < p->o->nconsumers; c++)
		if (p->o->consumers[c].flush)
			p->o->consumers[c].flush(p->o->consumers[c].data);
	p->detect_dirty = false;
}

/* A new alert of rule with output (taken) on e, whose reference it takes; one reference. */
static struct mon_alert *alert_new(struct mon_ev *e, const struct bh_rules_rule *rule, char *output)
{
	struct mon_alert *al = bh_calloc(1, sizeof(*al));

	atomic_init(&al->refs, 1);
	al->ev = e;
	al->output = output;
	al->a.rule = rule;
	al->a.output = al->output;
	al->a.ev = &e->ev;
	return al;
}

/*
 * An alert of rule on e: take its action, count it, tell the consumers,
 * queue it to the outputs; or, when its container is provisional (or has
 * alerts waiting there), hand it to the naming stage, which tells and
 * queues it later. Takes output (and v, a behaviour verdict, or NULL).
 */
static void emit_alert(struct mon_pipe *p, struct mon_ev *e, const struct bh_rules_rule *rule,
		       char *output, enum bh_mon_action action, struct bh_behave_verdict *v)
{
	const struct bh_mon_run_opts *o = p->o;
	struct mon_alert *al;
	struct mon_msg msg;
	struct bh_error *err = NULL;
	int r = 0;

	atomic_fetch_add(&e->refs, 1);
	al = alert_new(e, rule, output);
	msg = (struct mon_msg){ .al = al };
	al->verdict = v;
	al->a.action = action;
	al->a.behaviour = v;
	if (action == BH_MON_ACT_BLOCK &&
	    !mon_block_done(o, &e->ev, al->a.action_error, sizeof(al->a.action_error))) {
		/* an event already done: the alert says what happened */
		al->a.action = BH_MON_ACT_ALERT;
		ADD(p->st.actions_failed, 1);
	} else if (action == BH_MON_ACT_KILL)
		r = mon_action_kill(&e->ev, &err);
	else if (action == BH_MON_ACT_QUARANTINE)
		r = act_quarantine(p, &e->ev, &err);
	if (r < 0) {
		char *m = bh_error_message(err);

		snprintf(al->a.action_error, sizeof(al->a.action_error), "%s", m);
		free(m);
		ADD(p->st.actions_failed, 1);
		bh_error_prefix(&err, "rule '%s': %s", rule->name, bh_mon_action_name(action));
		mon_warn(p, &err);
	} else if (al->a.action != BH_MON_ACT_ALERT)
		ADD(p->st.actions_ok, 1);
	ADD(p->st.alerts, 1);
	ADD(p->st.alerts_by_priority[(unsigned)rule->priority & 7], 1);
	/* its names come later, the consumers' and the outputs' alike: the
	 * naming stage (the action is taken) */
	if (!mon_naming_take(&p->name, &msg))
		return; /* the stage took the reference */
	if (p->name.on && e->ev.container.provisional)
		ADD(p->st.alerts_naming_full, 1);
	alert_consumers(p, &al->a);
	mon_to_outputs(p, &msg);
	mon_msg_unref(&msg);
}

/* The action of a blocking verdict: an actions entry naming the behaviour
 * rule, else behave_action; a connect the guard refused already: block. */
static enum bh_mon_action behave_action(struct mon_pipe *p, const struct bh_behave_verdict *v,
					const struct bh_mon_event *ev)
{
	const struct bh_mon_run_opts *o = p->o;

	if (o->guard && v->kind == BH_BEHAVE_OUTBOUND && ev->res == -EPERM)
		return BH_MON_ACT_BLOCK;
	for (size_t i = 0; i < o->nactions; i++)
		if (!strcmp(o->actions[i].rule, MON_BEHAVE_RULE))
			return o->actions[i].action;
	return o->behave_action;
}

/* Behaviour profiles: observe e; a verdict outside the profile is an alert. */
static void behave_one(struct mon_pipe *p, struct mon_ev *e)
{
	struct bh_behave_verdict *v = bh_calloc(1, sizeof(*v));
	struct bh_error *err = NULL;

	if (bh_behave_observe(p->o->behave, &e->ev, v, &err) < 0) {
		ADD(p->st.behave_errors, 1);
		bh_error_prefix(&err, "behaviour profiles");
		mon_warn(p, &err);
	}
	switch (v->result) {
	case BH_BEHAVE_LEARNED: ADD(p->st.behave_learned, 1); break;
	case BH_BEHAVE_KNOWN: ADD(p->st.behave_known, 1); break;
	case BH_BEHAVE_OUTSIDE:
		ADD(p->st.behave_outside, 1);
		if (v->block)
			ADD(p->st.behave_blocked, 1);
		emit_alert(p, e, mon_behave_rule(&p->brules, v), mon_behave_output(v, &e->ev),
			   v->block ? behave_action(p, v, &e->ev) : BH_MON_ACT_ALERT, v);
		return; /* the alert holds v */
	case BH_BEHAVE_IGNORED: break;
	}
	free(v);
}

/* Behaviour profiles, between batches: the events the source lost since
 * the last call, and a flush when due (or when final). */
static void behave_tick(struct mon_pipe *p, bool final)
{
	uint64_t lost = __atomic_load_n(&p->src_lost, __ATOMIC_ACQUIRE), t = bh_mono_ms();
	struct bh_error *err = NULL;

	if (lost > p->lost_told) {
		bh_behave_lost(p->o->behave, lost - p->lost_told);
		p->lost_told = lost;
	}
	if (!final && t >= p->behave_reload_at && t < p->behave_flush_at) {
		/* a mode set meanwhile (the command line): within a second */
		p->behave_reload_at = t + 1000;
		if (bh_behave_reload(p->o->behave, &err) < 0) {
			ADD(p->st.behave_errors, 1);
			mon_warn(p, &err);
		}
	}
	if (!final && t < p->behave_flush_at)
		return;
	p->behave_flush_at = t + (p->o->behave_flush_ms ? p->o->behave_flush_ms : 5000);
	if (bh_behave_flush(p->o->behave, &err) < 0) {
		ADD(p->st.behave_errors, 1);
		bh_error_prefix(&err, "behaviour profiles: flush");
		mon_warn(p, &err);
	}
}

static void detect_one(struct mon_pipe *p, struct mon_ev *e)
{
	const struct bh_mon_run_opts *o = p->o;
	const struct bh_rules_rule *m[MATCH_MAX];
	struct bh_error *err = NULL;
	size_t n = 0;

	ADD(p->st.detected, 1);
	for (size_t c = 0; c < o->nconsumers; c++)
		if (o->consumers[c].event &&
		    o->consumers[c].event(o->consumers[c].data, &e->ev, &err) < 0) {
			ADD(p->st.consumer_errors, 1);
			bh_error_prefix(&err, "%s", o->consumers[c].name);
			mon_warn(p, &err);
		}
	if (o->rules)
		n = bh_rules_match(o->rules, &e->ev, m, MATCH_MAX);
	for (size_t i = 0; i < n && i < MATCH_MAX; i++)
		emit_alert(p, e, m[i], bh_rules_format(m[i], &e->ev), mon_action_of(o, m[i]), NULL);
	if (o->behave)
		behave_one(p, e);
}

/* Detection of msgs[0..n) (their references are taken), under detect_mu;
 * drained: nothing more waits (the consumers flush). */
static void detect_batch(struct mon_pipe *p, struct mon_msg *msgs, size_t n, bool drained)
{
	if (p->o->behave && atomic_load(&p->modes_gen) != p->modes_seen) {
		struct bh_error *err = NULL;

		/* the guard applies a mode set now: these events may be after it */
		p->modes_seen = atomic_load(&p->modes_gen);
		if (bh_behave_reload(p->o->behave, &err) < 0) {
			ADD(p->st.behave_errors, 1);
			mon_warn(p, &err);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (msgs[i].al) /* a loss alert (mon_health_alert): for the consumers */
			alert_consumers(p, &msgs[i].al->a);
		else
			detect_one(p, msgs[i].ev);
		mon_msg_unref(&msgs[i]);
	}
	if (n)
		p->detect_dirty = true;
	if (p->detect_dirty && drained)
		flush_consumers(p);
}

static void *detect_main(void *arg)
{
	struct mon_pipe *p = arg;
	struct mon_msg msgs[DETECT_BATCH];
	bool done = false;

	while (!done) {
		size_t n;

		/* wait outside the lock (the producer may detect meanwhile), pop
		 * under it: batches are detected in the order they were read */
		mon_queue_pop(&p->detect, msgs, 0, 200, &done);
		pthread_mutex_lock(&p->detect_mu);
		n = mon_queue_pop(&p->detect, msgs, DETECT_BATCH, 0, &done);
		detect_batch(p, msgs, n, n < DETECT_BATCH || done);
		if (p->o->behave)
			behave_tick(p, false);
		pthread_mutex_unlock(&p->detect_mu);
	}
	if (p->o->behave) {
		pthread_mutex_lock(&p->detect_mu);
		behave_tick(p, true);
		pthread_mutex_unlock(&p->detect_mu);
	}
	return NULL;
}

/* ---- the guard's side (pipeline_guard.c) ---------------------------------------- */

struct bh_mon_run_stats *mon_stats(struct mon_pipe *p)
{
	return &p->st;
}

void mon_guard_modes_changed(struct mon_pipe *p)
{
	atomic_fetch_add(&p->modes_gen, 1);
}

void mon_guard_count(struct mon_pipe *p, uint64_t *what, uint64_t n)
{
	ADD(*what, n);
}

void mon_guard_alert(struct mon_pipe *p, const struct bh_mon_event *ev,
		     const struct bh_rules_rule *rule, char *output, struct bh_behave_verdict *v)
{
	struct mon_ev *e = mon_ev_new(&p->evs);
	struct mon_alert *al;
	struct mon_msg msg;

	e->ev = *ev;
	al = alert_new(e, rule, output); /* takes mon_ev_new's reference */
	msg = (struct mon_msg){ .al = al };
	al->verdict = v;
	al->a.action = BH_MON_ACT_BLOCK;
	al->a.behaviour = v;
	ADD(p->st.actions_ok, 1);
	ADD(p->st.alerts, 1);
	ADD(p->st.alerts_by_priority[(unsigned)rule->priority & 7], 1);
	if (v) {
		ADD(p->st.behave_outside, 1);
		ADD(p->st.behave_blocked, 1);
	}
	mon_to_outputs(p, &msg);
	mon_msg_unref(&msg);
}

void mon_health_alert(struct mon_pipe *p, const struct bh_rules_rule *rule, char *output,
		      struct bh_mon_loss *loss)
{
	struct mon_ev *e = mon_ev_new(NULL);
	struct mon_alert *al;
	struct mon_msg msg;
	struct timespec ts;

	/* no event: an empty one (type none) at the alert's time (mon_ev_new does not clear;
	 * no pool: rare, and it may be made at the stop) */
	memset(&e->ev, 0, sizeof(e->ev));
	clock_gettime(CLOCK_REALTIME, &ts);
	e->ev.ts_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	al = alert_new(e, rule, output); /* takes mon_ev_new's reference */
	msg = (struct mon_msg){ .al = al };
	al->loss = loss;
	al->a.loss = loss;
	ADD(p->st.alerts, 1);
	ADD(p->st.alerts_by_priority[(unsigned)rule->priority & 7], 1);
	ADD(p->st.loss_alerts, 1);
	/* the last one, at the stop, is not dropped for a queue still full of the
	 * run's last alerts: the outputs are draining, it waits for room (1 s at most) */
	to_outputs_wait(p, &msg, p->detect_joined ? 1000 : 0);
	if (p->o->nconsumers) {
		/* the consumers (the agent ships it) on detection's side, after
		 * what the detection thread holds; once it is over, here */
		if (!p->detect_joined) {
			bool waited;

			mon_msg_ref(&msg);
			if (mon_queue_push(&p->detect, &msg,
					   (int)(p->o->block_ms ? p->o->block_ms : 200),
					   &waited) < 0) {
				ADD(p->st.loss_alerts_dropped, 1);
				mon_msg_unref(&msg);
			}
		} else {
			alert_consumers(p, &al->a);
			flush_consumers(p);
		}
	}
	mon_msg_unref(&msg);
}

/* ---- the run ----------------------------------------------------------------------- */

static void snapshot(struct mon_pipe *p, struct bh_mon_run_stats *st)
{
	const struct bh_mon_run_stats *s = &p->st;

	memset(st, 0, sizeof(*st));
	bh_mon_source_stats(p->o->source, &st->source);
	st->events = GET(s->events);
	st->read_errors = GET(s->read_errors);
	st->detected = GET(s->detected);
	st->detect_waits = GET(s->detect_waits);
	st->detect_dropped = GET(s->detect_dropped);
	st->detect_inline = GET(s->detect_inline);
	st->alerts = GET(s->alerts);
	for (int i = 0; i < 8; i++)
		st->alerts_by_priority[i] = GET(s->alerts_by_priority[i]);
	st->actions_ok = GET(s->actions_ok);
	st->actions_failed = GET(s->actions_failed);
	st->consumer_errors = GET(s->consumer_errors);
	st->behave_learned = GET(s->behave_learned);
	st->behave_known = GET(s->behave_known);
	st->behave_outside = GET(s->behave_outside);
	st->behave_blocked = GET(s->behave_blocked);
	st->behave_errors = GET(s->behave_errors);
	st->guard_watched = GET(s->guard_watched);
	st->guard_exec_refused = GET(s->guard_exec_refused);
	st->guard_open_refused = GET(s->guard_open_refused);
	st->guard_connect_refused = GET(s->guard_connect_refused);
	st->guard_errors = GET(s->guard_errors);
	st->guard_name_walks = GET(s->guard_name_walks);
	st->guard_name_hits = GET(s->guard_name_hits);
	st->guard_name_over_budget = GET(s->guard_name_over_budget);
	st->loss_alerts = GET(s->loss_alerts);
	st->loss_alerts_dropped = GET(s->loss_alerts_dropped);
	st->alerts_named_late = GET(s->alerts_named_late);
	st->alerts_unnamed = GET(s->alerts_unnamed);
	st->alerts_naming_full = GET(s->alerts_naming_full);
	st->noutputs = s->noutputs;
	for (size_t i = 0; i < s->noutputs; i++) {
		memcpy(st->outputs[i].name, s->outputs[i].name, sizeof(st->outputs[i].name));
		st->outputs[i].written = GET(s->outputs[i].written);
		st->outputs[i].dropped = GET(s->outputs[i].dropped);
		st->outputs[i].loss_dropped = GET(s->outputs[i].loss_dropped);
		st->outputs[i].errors = GET(s->outputs[i].errors);
	}
}

static const struct mon_output_ops *output_ops(enum bh_mon_output_kind k)
{
	switch (k) {
	case BH_MON_OUT_FD: return &mon_output_fd;
	case BH_MON_OUT_FILE: return &mon_output_file;
	case BH_MON_OUT_SYSLOG: return &mon_output_syslog;
	case BH_MON_OUT_WEBHOOK: return &mon_output_webhook;
	case BH_MON_OUT_DB: return &mon_output_db;
	}
	return NULL;
}

/* A source error an event is refused for (the reader goes on) vs one that ends the run. */
static bool per_event(const struct bh_error *e)
{
	enum bh_errcode c = bh_error_code(e);

	return c == BH_ERR_INVALID || c == BH_ERR_LIMIT;
}

/*
 * Whether the producer may detect itself: only work that cannot stall the
 * reading of the ring (matching, formatting, queueing to the outputs). Not
 * with a consumer (its hooks and flush: the agent's fdatasync, its policy
 * swap), behaviour profiles (their flush, reload and actions) or a rule
 * whose action is kill or quarantine (a freezer wait up to 2 s).
 */
static bool detect_is_light(const struct bh_mon_run_opts *o)
{
	if (o->nconsumers || o->behave)
		return false;
	for (size_t i = 0; o->rules && i < bh_rules_count(o->rules); i++) {
		enum bh_mon_action a = mon_action_of(o, bh_rules_get(o->rules, i));

		if (a != BH_MON_ACT_ALERT && a != BH_MON_ACT_BLOCK)
			return false;
	}
	return true;
}

/*
 * The events read since the detector's last batch: detected here when
 * detection is light (detect_inline_ok), the source ran dry (drained), the
 * detection thread is idle and nothing waits in its queue (a trickle: issue
 * 15, each hand-off was a futex wake and two context switches of another
 * thread per poll of the ring); else queued to it at once (one wakeup per
 * batch, not per event).
 */
static void detect_push(struct mon_pipe *p, struct mon_msg *b, size_t *nb, unsigned block_ms,
			bool drained)
{
	bool waited;
	size_t k;

	if (!*nb)
		return;
	if (drained && p->detect_inline_ok && !pthread_mutex_trylock(&p->detect_mu)) {
		if (mon_queue_empty(&p->detect)) {
			ADD(p->st.detect_inline, *nb);
			detect_batch(p, b, *nb, true);
			pthread_mutex_unlock(&p->detect_mu);
			*nb = 0;
			return;
		}
		pthread_mutex_unlock(&p->detect_mu);
	}
	k = mon_queue_push_n(&p->detect, b, *nb, (int)block_ms, &waited);
	if (waited)
		ADD(p->st.detect_waits, 1);
	for (size_t i = k; i < *nb; i++) {
		ADD(p->st.detect_dropped, 1);
		mon_msg_unref(&b[i]);
	}
	*nb = 0;
}

static void produce(struct mon_pipe *p, struct bh_error **err)
{
	struct mon_msg batch[DETECT_BATCH];
	size_t nb = 0;
	const struct bh_mon_run_opts *o = p->o;
	uint64_t t0 = bh_mono_ms();
	int report_seen = o->report ? atomic_load(o->report) : 0;
	uint64_t lost_at = 0;
	unsigned block_ms = o->block_ms ? o->block_ms : 200;
	bool outputs_want_events = false, draining = false;
	uint64_t drain_end = 0, stop_ns = 0;

	for (size_t i = 0; i < p->nout; i++)
		if (p->out[i].o->select & BH_MON_SEL_EVENTS)
			outputs_want_events = true;
	for (;;) {
		struct mon_ev *e;
		struct mon_msg m;
		struct bh_error *e1 = NULL;
		int rc;

		if (o->behave && bh_mono_ms() >= lost_at) {
			struct bh_mon_stats ss;

			/* detection tells the profiles (the source is the producer's) */
			bh_mon_source_stats(o->source, &ss);
			__atomic_store_n(&p->src_lost, ss.lost, __ATOMIC_RELEASE);
			lost_at = bh_mono_ms() + 1000;
		}
		/* asked to stop (or the time is up): what the source already holds
		 * happened before, so it is read, for up to drain_ms, then the run
		 * ends (a profile learning up to the stop learns its last events) */
		if (!draining && ((o->stop && atomic_load(o->stop)) ||
				  (o->duration_ms && bh_mono_ms() - t0 >= o->duration_ms))) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			stop_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
			draining = true;
			drain_end = bh_mono_ms() + (o->drain_ms ? o->drain_ms : 5000);
		}
		if (draining && bh_mono_ms() >= drain_end)
			break;
		if (o->report && atomic_load(o->report) != report_seen) {
			struct bh_mon_run_stats st;

			report_seen = atomic_load(o->report);
			snapshot(p, &st);
			if (o->progress)
				o->progress(o->data, &st);
		}
		mon_health_tick(p, &p->health, false);
		e = mon_ev_new(&p->evs);
		/* what the source holds now joins the batch; then the batch goes */
		rc = bh_mon_source_next(o->source, &e->ev, draining || nb ? 0 : 100, &e1);
		m = (struct mon_msg){ .ev = e };
		if (rc <= 0) {
			mon_msg_unref(&m);
			detect_push(p, batch, &nb, block_ms, rc == 0);
			if (rc == 0 && draining)
				break;
			if (rc < 0 && !per_event(e1)) {
				*err = e1;
				return;
			}
			if (rc < 0) {
				ADD(p->st.read_errors, 1);
				mon_warn(p, &e1);
				continue;
			}
			if (bh_mon_source_ended(o->source))
				break;
			continue;
		}
		/* a live source goes on: the first event after the stop ends the drain */
		if (draining && e->ev.ts_ns > stop_ns) {
			mon_msg_unref(&m);
			break;
		}
		ADD(p->st.events, 1);
		/* the outputs first: an event is queued to an output before any
		 * alert of it can be */
		if (outputs_want_events)
			mon_to_outputs(p, &m);
		if (p->detecting) {
			mon_msg_ref(&m);
			batch[nb++] = m;
			if (nb == DETECT_BATCH)
				detect_push(p, batch, &nb, block_ms, false);
		}
		mon_msg_unref(&m);
	}
	detect_push(p, batch, &nb, block_ms, false);
}

int bh_mon_run(const struct bh_mon_run_opts *o, struct bh_mon_run_stats *st, struct bh_error **err)
{
	struct mon_pipe *p;
	struct bh_error *e = NULL;
	int rc = -1;

	if (st)
		memset(st, 0, sizeof(*st));
	if (!o->source)
		return bh_error_set(err, BH_ERR_USAGE, "the monitor needs an event source");
	if (o->noutputs > BH_MON_OUTPUTS_MAX)
		return bh_error_set(err, BH_ERR_LIMIT, "more than %d outputs", BH_MON_OUTPUTS_MAX);
	p = bh_calloc(1, sizeof(*p));
	p->o = o;
	pthread_mutex_init(&p->warn_mu, NULL);
	pthread_mutex_init(&p->detect_mu, NULL);
	mon_ev_pool_init(&p->evs);
	atomic_init(&p->drain_over, false);
	/* the outputs first: one that cannot open fails the run before a read */
	for (size_t i = 0; i < o->noutputs; i++) {
		struct mon_out *w = &p->out[i];

		w->p = p;
		w->o = &o->outputs[i];
		w->ops = output_ops(w->o->kind);
		w->st = &p->st.outputs[i];
		if (!w->ops) {
			bh_error_set(err, BH_ERR_USAGE, "output %zu: unknown kind", i);
			goto out;
		}
		if (w->ops->open(w->o, &w->impl, w->st->name, sizeof(w->st->name), err) < 0)
			goto out;
		w->reopen_seen = o->reopen ? atomic_load(o->reopen) : 0;
		mon_queue_init(&w->q, w->o->queue ? w->o->queue : 1024);
		p->nout = p->st.noutputs = i + 1;
	}
	p->detecting = o->rules || o->nconsumers || o->behave;
	p->detect_inline_ok = detect_is_light(o);
	mon_behave_rules_init(&p->brules);
	p->behave_flush_at = bh_mono_ms() + (o->behave_flush_ms ? o->behave_flush_ms : 5000);
	mon_queue_init(&p->detect, o->queue ? o->queue : 4096);
	mon_naming_init(&p->name, p, o->source, &p->evs);
	mon_health_init(&p->health, o);
	for (size_t i = 0; i < p->nout; i++) {
		atomic_init(&p->out[i].finished, false);
		if (pthread_create(&p->out[i].th, NULL, output_main, &p->out[i])) {
			bh_error_set(err, BH_ERR_INTERNAL, "cannot start an output thread");
			goto stop;
		}
		p->out[i].started = true;
	}
	/* before detection, which hands it alerts */
	if (p->detecting)
		mon_naming_start(&p->name);
	if (p->detecting && pthread_create(&p->detect_th, NULL, detect_main, p)) {
		p->detecting = false;
		bh_error_set(err, BH_ERR_INTERNAL, "cannot start the detection thread");
		goto stop;
	}
	if (o->guard && mon_guard_start(p, o, &p->brules, &p->guard, err) < 0)
		goto stop;
	produce(p, &e);
	if (o->behave) {
		struct bh_mon_stats ss;

		bh_mon_source_stats(o->source, &ss);
		__atomic_store_n(&p->src_lost, ss.lost, __ATOMIC_RELEASE);
	}
	rc = e ? -1 : 0;
	if (e && err && !*err)
		*err = e;
	else
		bh_error_free(e);
stop:
	mon_guard_stop(p->guard);
	/* drain: detection first (it makes alerts), then the outputs, bounded */
	mon_queue_close(&p->detect);
	if (p->detecting)
		pthread_join(p->detect_th, NULL);
	p->detect_joined = true;
	/* the alerts waiting for names: each leaves within its deadline (3 s
	 * at most after it came), before the outputs drain */
	mon_naming_stop(&p->name);
	if (p->detect_dirty) /* the consumers it told after detection ended */
		flush_consumers(p);
	mon_health_tick(p, &p->health, true); /* losses not told yet */
	for (size_t i = 0; i < p->nout; i++)
		mon_queue_close(&p->out[i].q);
	{
		uint64_t end = bh_mono_ms() + (o->drain_ms ? o->drain_ms : 5000);
		bool left = true;

		/* until each output's thread has ended: an empty queue is not enough, a
		 * batch it has taken may not be written yet (dropped at drain_over) */
		while (left && bh_mono_ms() < end) {
			left = false;
			for (size_t i = 0; i < p->nout; i++)
				left |= p->out[i].started && !atomic_load(&p->out[i].finished);
			if (left)
				usleep(10000);
		}
		atomic_store(&p->drain_over, true);
	}
	for (size_t i = 0; i < p->nout; i++)
		if (p->out[i].started)
			pthread_join(p->out[i].th, NULL);
	mon_queue_destroy(&p->detect);
	mon_naming_release(&p->name);
	if (st)
		snapshot(p, st);
out:
	for (size_t i = 0; i < p->nout; i++) {
		mon_queue_destroy(&p->out[i].q);
		p->out[i].ops->close(p->out[i].impl);
	}
	pthread_mutex_destroy(&p->warn_mu);
	pthread_mutex_destroy(&p->detect_mu);
	mon_ev_pool_release(&p->evs);
	free(p);
	return rc;
}
