/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the monitor's pipeline (src/monitor/pipeline*.c, queue.c,
 * output*.c), prefix mon_: the bounded queue between its threads, the
 * reference-counted items in it, the table every output fills, and the
 * stages split from pipeline.c (the naming stage, the losses told, the
 * guard's thread, the actions, the behaviour rules).
 */
#ifndef BULKHEAD_MONITOR_PIPELINE_INTERNAL_H
#define BULKHEAD_MONITOR_PIPELINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "bulkhead/behave.h"
#include "bulkhead/monitord.h"

/* An item's compact JSON, made once by the first output that needs it. */
struct mon_json {
	size_t len;
	char s[]; /* NUL-terminated */
};

/*
 * Spent events kept for reuse, at most MON_EV_POOL (about 2 MiB): an event is
 * ~9 KiB, and a batch of them malloc'd and freed made glibc trim its heap
 * and fault the pages back at the next batch, one or two page faults per
 * event: 21 us of the pipeline's 23 us per event on a replay of 200000
 * execs (issue 15). Any thread; lives as long as any event made from it.
 */
#define MON_EV_POOL 256
struct mon_ev_pool {
	pthread_mutex_t mu;
	size_t n;
	struct mon_ev *free[MON_EV_POOL];
};

void mon_ev_pool_init(struct mon_ev_pool *pool);
/* Frees the events kept; every event made from pool must be gone. */
void mon_ev_pool_release(struct mon_ev_pool *pool);

/* An event shared by the queues it is in (back to its pool, or freed, by
 * the last unref). */
struct mon_ev {
	atomic_uint refs;
	_Atomic(struct mon_json *) json;
	struct mon_ev_pool *pool; /* NULL: freed */
	struct bh_mon_event ev;
};

/* An alert (holds a reference to its event). */
struct mon_alert {
	atomic_uint refs;
	_Atomic(struct mon_json *) json;
	struct mon_ev *ev;
	char *output;
	struct bh_behave_verdict *verdict; /* a behaviour alert's (a.behaviour), else NULL */
	struct bh_mon_loss *loss;	   /* a loss alert's (a.loss), else NULL */
	uint64_t naming_ns;		   /* CLOCK_MONOTONIC it was handed to the naming stage */
	struct bh_mon_alert a;
};

/* One queue item: an alert when al is set, else the event ev. */
struct mon_msg {
	struct mon_ev *ev;
	struct mon_alert *al;
};

/* A new event, one reference, its ev member not initialised: from pool's
 * spares (pool may be NULL: malloc'd). */
struct mon_ev *mon_ev_new(struct mon_ev_pool *pool);
/* m's JSON (bh_mon_event_to_json or bh_mon_alert_to_json, compact), made on
 * the first call from any thread and kept with the item; NULL on an error. */
const struct mon_json *mon_msg_json(const struct mon_msg *m, struct bh_error **err);
void mon_msg_ref(const struct mon_msg *m);
void mon_msg_unref(const struct mon_msg *m);

/* A bounded FIFO of mon_msg for many producers and one consumer. */
struct mon_queue {
	pthread_mutex_t mu;
	pthread_cond_t nonempty, nonfull;
	struct mon_msg *v;
	size_t cap, head, n;
	bool closed;
};

void mon_queue_init(struct mon_queue *q, size_t cap);
void mon_queue_destroy(struct mon_queue *q);
/*
 * Append m (the queue takes the caller's reference): wait up to wait_ms for
 * room (0: not at all, <0: without end). 0 when queued; -1 when still full
 * (or closed): the reference stays the caller's. *waited (may be NULL) tells
 * whether it had to wait.
 */
int mon_queue_push(struct mon_queue *q, const struct mon_msg *m, int wait_ms, bool *waited);
/* Append m[0..n) in order, as mon_queue_push each (wait_ms the whole call's),
 * waking the consumer once: how many were queued (the rest stay the caller's). */
size_t mon_queue_push_n(struct mon_queue *q, const struct mon_msg *m, size_t n, int wait_ms,
			bool *waited);
/*
 * Take up to max items (their references pass to the caller), waiting up
 * to wait_ms for the first. Returns how many; *done is set once the queue
 * is closed and empty. max 0 only waits (for an item, the close or the time).
 */
size_t mon_queue_pop(struct mon_queue *q, struct mon_msg *out, size_t max, int wait_ms, bool *done);
/* Whether nothing is queued (a snapshot: stays true while no one pushes). */
bool mon_queue_empty(struct mon_queue *q);
/* No more pushes: pop drains what is left, then reports done. */
void mon_queue_close(struct mon_queue *q);

/* ---- outputs ---------------------------------------------------------------- */

/*
 * One kind of output. open() makes the implementation (and names it for the
 * stats); write() takes a batch: msgs[i] and its JSON js[i] (mon_msg_json,
 * shared by every output); a negative return
 * means none of it was written. reopen() (SIGHUP; may be NULL) opens the
 * file again. stop (may be read by write) is set when the pipeline drains
 * past its deadline, so a retrying output gives up.
 */
struct mon_output_ops {
	int (*open)(const struct bh_mon_output_opts *o, void **impl, char *name, size_t namesz,
		    struct bh_error **err);
	int (*write)(void *impl, const struct mon_msg *msgs, const struct mon_json *const *js,
		     size_t n, const atomic_bool *stop, struct bh_error **err);
	int (*reopen)(void *impl, struct bh_error **err);
	void (*close)(void *impl);
};

extern const struct mon_output_ops mon_output_fd, mon_output_file, mon_output_syslog,
	mon_output_webhook, mon_output_db;

/* One text line for an item (the fd output's --output text). Caller frees. */
char *mon_msg_text(const struct mon_msg *m);

struct mon_pipe;
struct mon_behave_rules;

/* Tell the caller's warn of *e (cleared). Any thread. */
void mon_warn(struct mon_pipe *p, struct bh_error **e);
/*
 * The guard refused ev (its alert: rule, output and v, a behaviour verdict or
 * NULL, are taken): counted and queued to the outputs with the action block.
 * Called on the guard's thread.
 */
void mon_guard_alert(struct mon_pipe *p, const struct bh_mon_event *ev,
		     const struct bh_rules_rule *rule, char *output, struct bh_behave_verdict *v);
/* Count (atomically) into the run's stats: what = one of the guard_* counters. */
void mon_guard_count(struct mon_pipe *p, uint64_t *what, uint64_t n);
struct bh_mon_run_stats *mon_stats(struct mon_pipe *p);
/*
 * The guard saw a profile's mode change and is about to apply it: detection
 * reads the modes again before it handles its next batch (an event made after
 * the guard relaxed is never judged by the older mode). Any thread.
 */
void mon_guard_modes_changed(struct mon_pipe *p);

/* The guard's thread (pipeline_guard.c): started by bh_mon_run when o->guard. */
struct mon_guard;
int mon_guard_start(struct mon_pipe *p, const struct bh_mon_run_opts *o,
		    const struct mon_behave_rules *br, struct mon_guard **out,
		    struct bh_error **err);
/* Stop and join it (NULL: no-op); the connect policies stay pinned. */
void mon_guard_stop(struct mon_guard *g);

/* The action of a rule (see bh_mon_action_rule). */
enum bh_mon_action mon_action_of(const struct bh_mon_run_opts *o, const struct bh_rules_rule *r);
/* Whether a block action on ev (an event of the kernel stream, after the call)
 * happened: the guard runs and the call was refused (res -EPERM). Else 0 and why
 * names why not (the alert then says action alert, with why as its action_error). */
bool mon_block_done(const struct bh_mon_run_opts *o, const struct bh_mon_event *ev, char *why,
		    size_t whysz);
/* Kill ev's process through a pidfd, refusing a pid started after the event. */
int mon_action_kill(const struct bh_mon_event *ev, struct bh_error **err);

/* Queue m to every output that takes its kind (a reference each): a full
 * queue drops and counts it, or waits for room when no_drop. Any thread. */
void mon_to_outputs(struct mon_pipe *p, const struct mon_msg *m);
/* Tell the consumers a, under detection's lock (never concurrently with
 * detection's calls; flushed by detection within 200 ms, or at the stop).
 * A thread other than detection's: the naming stage's. */
void mon_tell_consumers(struct mon_pipe *p, const struct bh_mon_alert *a);

/* ---- the naming stage (pipeline_naming.c) -------------------------------------- */

#define MON_NAMING_QUEUE 256 /* alerts waiting for their container's names */

/*
 * Alerts of a provisional container waiting for its names, and the one
 * thread that asks the source for them (bh_mon_source_refine), then tells
 * the consumers and queues each alert to the outputs (counted in
 * alerts_named_late or alerts_unnamed). A later alert of a container with
 * alerts in the stage waits behind them (named already: not refined), so a
 * container's alerts reach the consumers and the outputs in order.
 */
struct mon_naming {
	struct mon_pipe *p;
	struct bh_mon_source *src; /* borrowed */
	struct mon_ev_pool *evs;   /* the named copies' events */
	bool on;		   /* the thread runs (mon_naming_start) */
	struct mon_queue q;
	pthread_t th;
	/* the containers with alerts in the stage (queued or being named) and
	 * how many each; mu: detection adds, the stage's thread takes away */
	pthread_mutex_t mu;
	atomic_uint held; /* the alerts in the stage: 0, a named alert passes by */
	struct {
		char id[BH_MON_CID_MAX];
		unsigned n; /* 0: a free slot */
	} ctr[MON_NAMING_QUEUE + 1];
};

void mon_naming_init(struct mon_naming *n, struct mon_pipe *p, struct bh_mon_source *src,
		     struct mon_ev_pool *evs);
/* Start the thread when the source can refine (before detection, which hands
 * it alerts): whether it runs. */
bool mon_naming_start(struct mon_naming *n);
/*
 * Offer it m, an alert (detection's thread; its action taken, its consumers
 * not told): taken when its container is provisional, or has alerts in the
 * stage already (their order kept). 0 when queued (the stage took the
 * reference; it tells the consumers and queues it to the outputs); -1 at
 * once, without waiting, when not taken: the stage does not run, the alert
 * need not wait, or the queue is full (the reference stays the caller's,
 * who tells the consumers and the outputs).
 */
int mon_naming_take(struct mon_naming *n, const struct mon_msg *m);
/* No more alerts (after detection has ended): those waiting are named, each
 * within its deadline, and queued to the outputs; the thread joined. */
void mon_naming_stop(struct mon_naming *n);
/* After mon_naming_stop. */
void mon_naming_release(struct mon_naming *n);

/* ---- losses told (pipeline_health.c) ------------------------------------------- */

/* The loss alerts' state: the built-in rules (WARNING, CRITICAL), what was told
 * so far, when the counters are read next and when an alert may go next. */
struct mon_health {
	const struct bh_mon_run_opts *o;
	struct bh_rules_rule rule[2];
	char *tags[3];
	uint64_t told_kernel, told_detect, told_output, told_events;
	uint64_t window_start_ms, check_at_ms, emit_at_ms;
	unsigned interval_ms;
};

void mon_health_init(struct mon_health *h, const struct bh_mon_run_opts *o);
/*
 * On the producer's thread (it reads the source's counters): between reads,
 * and with final at the stop (after detection drained, before the outputs
 * do). When a loss counter grew and the rate allows (or final), a loss alert
 * goes to the outputs (mon_health_alert).
 */
void mon_health_tick(struct mon_pipe *p, struct mon_health *h, bool final);
/* The outputs' JSON of a loss alert (bh_mon_alert_to_json when a->loss). */
int mon_health_alert_json(const struct bh_mon_alert *a, json_t **out, struct bh_error **err);
/* Queue a loss alert (rule borrowed; output and loss taken) to every output
 * that takes alerts and, with consumers, to the detect queue (their alert()
 * on the detection thread; once it has ended, here); counted in alerts and
 * loss_alerts. The producer's thread (bh_mon_run's). */
void mon_health_alert(struct mon_pipe *p, const struct bh_rules_rule *rule, char *output,
		      struct bh_mon_loss *loss);

/* ---- behaviour profiles (pipeline_behave.c) ------------------------------------ */

/* The built-in rules behaviour alerts name: one per kind, in monitor (WARNING)
 * and when blocking (ERROR). */
struct mon_behave_rules {
	struct bh_rules_rule r[BH_BEHAVE_KIND_COUNT][2];
	char tag[BH_BEHAVE_KIND_COUNT][3][32];
	char *tags[BH_BEHAVE_KIND_COUNT][4];
};

#define MON_BEHAVE_RULE "Behaviour outside the learned profile"

void mon_behave_rules_init(struct mon_behave_rules *br);
/* The rule of an OUTSIDE verdict. */
const struct bh_rules_rule *mon_behave_rule(const struct mon_behave_rules *br,
					    const struct bh_behave_verdict *v);
/* The alert's output line for v on ev. Caller frees. */
char *mon_behave_output(const struct bh_behave_verdict *v, const struct bh_mon_event *ev);
char *mon_esc_name(const char *s);

#endif
