/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the agent (src/agent/agent.c): the firewall run in-process
 * (net17, src/agent/net.c) and the host benchmark's results (bench17).
 *
 * The firewall is the net engine's live path (bh_net_live_run,
 * include/bulkhead/net.h) on a thread of its own, with the targets and
 * engine options `bulkhead net run` takes; each flow record goes to the
 * agent's flows table (app, bytes, packets, verdict, threats), and each
 * alert the engine raises (a threat, a data-leak match, the policy's alert
 * or deny) becomes an event of kind "net" when it happens, on its packet,
 * never again at the flow's end (rule: the threat's ID, BH-NET-POLICY-DENY
 * or BH-NET-POLICY-ALERT; severity LOW..CRITICAL; data: the flow so far as
 * `net inspect` prints it, and alert). A
 * quarantine the live path applies (quarantine_severity) goes through the
 * library's bh_quar_apply, as the controller's do, recorded in the agent's
 * quarantine directory, and is an event of kind "net" (BH-NET-QUARANTINE).
 *
 * The bench: bh_host_bench run, each check's result an event of kind
 * "bench" (rule: the check's ID; severity: PASS, FAIL, WARN or INFO; data:
 * the row and what was found), which the controller's countermeasure view
 * (4.5) and per-node bench view read.
 */
#ifndef BULKHEAD_AGENT_NET_H
#define BULKHEAD_AGENT_NET_H

#include <pthread.h>
#include <stdbool.h>

#include "bulkhead/base.h"
#include "bulkhead/host.h"
#include "bulkhead/net.h"
#include "bulkhead/quarantine.h"

struct agent_net_hooks {
	/* one flow record into the flows table (the caller locks) */
	void (*flow)(void *data, const struct bh_net_flow_record *r);
	/* one event's JSON appended to the spool (not synced) */
	int (*event)(void *data, const char *json, size_t len, struct bh_error **err);
	void (*warn)(void *data, struct bh_error *e); /* takes e */
	void *data;
	/* the spool synced: once per flush of the queue below, once per bench */
	int (*sync)(void *data, struct bh_error **err);
};

/* The firewall's events wait here for agent_net_flush (the shipper): the
 * verdict thread never writes or syncs the spool. Bounded: when full an event
 * is dropped and counted; repeated denies of one (client, server group, rule)
 * within AGENT_NET_COLLAPSE_S are one event whose data.count says how many. */
#define AGENT_NET_QUEUE	     1024
#define AGENT_NET_COLLAPSE_S 1
struct agent_net_ev {
	json_t *env;   /* the event; NULL: a free slot */
	json_t *data;  /* its data (borrowed), where count goes */
	uint64_t key;  /* a hash of (client, server group, rule); 0: never collapsed */
	int64_t since; /* when the first of it came (seconds) */
	uint64_t count;
};

struct agent_net {
	struct bh_net_live_opts o; /* the caller's, with our callbacks */
	struct bh_quar_opts qo;
	struct bh_netpol *pol; /* the node policy's, compiled (ours): the one running */
	/* netpol19: the node policy's versions swapped in live (when the
	 * caller gave no policy of its own: then the node's is ours to run) */
	struct bh_net_live_swap sw;
	bool managed;
	pthread_mutex_t swmu; /* pol, sw and managed between a commit (the
			       * shipper) and the stop (agent_net_init..release) */
	struct agent_net_hooks h;
	volatile int stop;
	pthread_mutex_t mu; /* state */
	pthread_cond_t cv;
	int state; /* 0 starting, 1 up, -1 failed before it was up */
	pthread_t th;
	bool started;
	int rc;
	struct bh_error *err;
	struct bh_net_live_stats st;
	uint64_t alerts, quarantined; /* read after the stop */
	pthread_mutex_t qmu;	      /* the queue and the counts below */
	bool qinit;
	struct agent_net_ev q[AGENT_NET_QUEUE];
	size_t qn;
	uint64_t dropped, collapsed; /* events dropped (queue full), denies folded */
	uint64_t dropped_said;
};

/* Start the live path on its thread (base: the targets and engine options;
 * quarantine_dir and ctr as the agent's) and wait until its rules are in:
 * a run that fails before is this call's error. Without base->engine.policy the
 * node policy's (node_policy: its document, may be NULL) "net" is compiled
 * and used; one that does not compile fails the start. */
int agent_net_start(struct agent_net *n, const struct bh_net_live_opts *base,
		    const char *quarantine_dir, const struct bh_ctr_opts *ctr,
		    const json_t *node_policy, const struct agent_net_hooks *h,
		    struct bh_error **err);
/*
 * netpol19: a new node policy version's firewall part. prepare compiles its
 * "net" (none: no policy, every flow accepted) off the packet thread: <0 a
 * part that does not compile (the version is refused). *out NULL when the
 * firewall is not ours to change (not started, or the caller's policy).
 * commit hands it to the verdict thread and waits until it runs (the old
 * one is freed then); <0 it was not taken in time (p freed, the old runs on).
 * A firewall that stopped takes nothing: p freed, 0 (there is nothing to
 * run it). These are the agent_policy_hooks of the agent's policy.
 */
int agent_net_prepare(struct agent_net *n, const json_t *node_policy, struct bh_netpol **out,
		      struct bh_error **err);
int agent_net_commit(struct agent_net *n, struct bh_netpol *p, struct bh_error **err);
#define AGENT_NET_SWAP_MS 5000 /* a verdict thread that does not take it by then */
/* Stop and join it (its rules removed, the open flows flushed to the hooks,
 * the queue's events appended and synced).
 * A failure of the run is warned when it happens (the agent goes on without
 * the firewall). No-op when not started. */
void agent_net_stop(struct agent_net *n);

/* Append the queued events to the spool and sync it once (all: every one,
 * else those whose collapse window has passed). Called by the shipper; a
 * no-op when the firewall never started. Dropped events are warned. */
void agent_net_flush(struct agent_net *n, bool all);
/* The hooks and the queue alone (agent_net_start's first step; the tests'). */
void agent_net_init(struct agent_net *n, const struct agent_net_hooks *h);
/* One flow as the live path gives it at its end (its on_flow): the flows
 * table only. */
void agent_net_flow(struct agent_net *n, const struct bh_net_flow_record *r);
/* One alert as the live path gives it when it happens (its on_alert): the
 * queue. */
void agent_net_alert(struct agent_net *n, const struct bh_net_flow_record *r,
		     const struct bh_net_alert *a);
/* After agent_net_stop and the shipper's end: the queue flushed, its lock freed. */
void agent_net_release(struct agent_net *n);

/* Run the bench and emit its results as events (*n of them). */
int agent_bench_run(const struct bh_host_opts *o, const struct agent_net_hooks *h, size_t *n,
		    struct bh_error **err);

/*
 * The bench on a thread of its own (admit17; it ran on the shipper's, which
 * stopped shipping while it ran): run() (agent_bench_run) at start and then
 * every every_ms, one run at a time, its results into the spool through h
 * (h->event and h->sync take the spool's lock per record, never for the
 * run). A failed run is said through h->warn.
 */
typedef int (*agent_bench_fn)(const struct bh_host_opts *o, const struct agent_net_hooks *h,
			      size_t *n, struct bh_error **err);
struct agent_bencher {
	struct bh_host_opts o; /* the caller's, with stop: this bencher's */
	atomic_int halt;       /* set at stop: the run under way ends between checks */
	unsigned every_ms;
	const struct agent_net_hooks *h;
	agent_bench_fn run;
	pthread_t th;
	pthread_mutex_t mu; /* what follows */
	pthread_cond_t cv;
	bool started, stop;
	uint64_t runs, results;
};
int agent_bencher_start(struct agent_bencher *b, const struct bh_host_opts *o, unsigned every_ms,
			const struct agent_net_hooks *h, agent_bench_fn run, struct bh_error **err);
/* Stop and join (a run under way is cut short between two checks, nothing of
 * it shipped); no-op when not started. */
void agent_bencher_stop(struct agent_bencher *b);
void agent_bencher_stats(struct agent_bencher *b, uint64_t *runs, uint64_t *results);

#endif /* BULKHEAD_AGENT_NET_H */
