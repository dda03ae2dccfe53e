/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor's pipeline (`bulkhead monitor`, issue 15): one producer reads
 * an event source (include/bulkhead/monitor.h) and fans each event out
 * through bounded queues, as bh_consumer does for the image walk:
 *
 *   source -> producer --[detect queue]--> rules, consumers, actions
 *                     \                        | alerts
 *                      +--[one queue per output]<--+--> output thread
 *
 *  - detection (the rules, the consumer hooks that profiles and actions
 *    plug into, the actions) runs on the detection thread; only when it is
 *    light (rules whose action is alert or block, no consumer, no behaviour
 *    profiles) does the producer detect what it read before the source ran
 *    dry while that thread is idle (a trickle: no hand-off). So the reader
 *    never runs slow work (a kill, a quarantine, a consumer's hook or flush)
 *    and it waits for detection only when the detect queue is full: up to
 *    block_ms, then it counts the event as `detect_dropped`;
 *  - an output (JSON lines on a fd, a rotated file, syslog, a webhook, the
 *    database) never holds detection up: when its queue is full the event or
 *    alert is dropped and counted for that output.
 * bh_mon_run returns when the caller's stop flag is set, the duration is
 * over or the source has ended; it drains first: what the source already
 * holds is read (for at most drain_ms: events that happened before the stop
 * are detected and learned), then every queue (an output gets at most
 * drain_ms for what is left, then drops and counts it).
 *
 * Ownership, for the whole library:
 *  - `const T *` arguments are borrowed for the duration of the call;
 *  - `T **out` arguments hand a new object to the caller, who releases it with
 *    the matching `_free()` (or `json_decref()` for jansson values);
 *  - a function that takes ownership of an argument says so in its comment;
 *  - every `_free(NULL)` is a no-op.
 *
 * Errors: a function returns 0 (or a non-negative count) on success and a
 * negative value on failure, after storing a `struct bh_error` in `*err` when
 * `err` is not NULL (see include/bulkhead/base.h).
 */
#ifndef BULKHEAD_MONITORD_H
#define BULKHEAD_MONITORD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/base.h"
#include "bulkhead/behave.h"
#include "bulkhead/monitor.h"
#include "bulkhead/rules.h"

struct bh_behave;	  /* include/bulkhead/behave.h */
struct bh_ctr_opts;	  /* include/bulkhead/containers.h */
struct bh_behave_verdict; /* idem */

/* What is done when a rule matches (besides the alert every match gets). */
enum bh_mon_action {
	BH_MON_ACT_ALERT = 0,  /* only the alert */
	BH_MON_ACT_KILL,       /* SIGKILL the process (through a pidfd) */
	BH_MON_ACT_QUARANTINE, /* the container: the quarantine hook */
	/* refused before it runs, through the guard (bh_mon_run_opts.guard): an
	 * exec whose rule matches on the permission event (the executable's path
	 * and name, the container, the pid) is answered EPERM; an alert of an event
	 * already done (the kernel source reports after the call) takes no action:
	 * the alert says BH_MON_ACT_ALERT and its action_error why ("not blocked: ..."),
	 * unless the guard refused that call (res -EPERM) */
	BH_MON_ACT_BLOCK,
};
/* "alert", "kill", "quarantine", "block"; parse: -1 if unknown. */
const char *bh_mon_action_name(enum bh_mon_action a);
int bh_mon_action_parse(const char *s);

/*
 * The action of a rule: an entry of bh_mon_run_opts.actions naming it wins;
 * else a tag of the rule "bulkhead.action=kill", "=quarantine" or "=block";
 * else alert. An entry naming the behaviour rule ("Behaviour outside the
 * learned profile") overrides behave_action.
 */
struct bh_mon_action_rule {
	const char *rule; /* the rule's name, exactly */
	enum bh_mon_action action;
};

/*
 * What the monitor lost (issue 15: a monitor that loses events says so): the
 * losses of one window, since the previous "Monitor lost events" alert (or the
 * start), by kind, and the run's totals. Kinds: kernel, the events the kernel
 * could not queue (ring full: bh_mon_stats.lost); detect, the events read but
 * not detected (the detect queue stayed full: detect_dropped); output, the
 * items an output dropped (queue full, a failed write or batch), all outputs.
 */
struct bh_mon_loss {
	uint64_t kernel, detect, output; /* in the window */
	uint64_t events;		 /* events read in the window */
	uint64_t window_ms;		 /* the window's length */
	uint64_t kernel_total, detect_total, output_total;
	bool final; /* told at the stop */
};

/* The built-in rule of the pipeline's loss alerts (bh_mon_run_opts.loss_interval_ms). */
#define BH_MON_LOSS_RULE "Monitor lost events"

/* One match of a rule on an event, as consumers and outputs see it. */
struct bh_mon_alert {
	const struct bh_rules_rule *rule;
	const char *output; /* the rule's output formatted on the event */
	const struct bh_mon_event *ev;
	enum bh_mon_action action;
	/* the action's outcome: "" when none was taken or it succeeded, else why
	 * it failed ("pid 42: the process is gone") */
	char action_error[256];
	/* a behaviour alert (bh_mon_run_opts.behave): the verdict, else NULL */
	const struct bh_behave_verdict *behaviour;
	/* a loss alert (rule BH_MON_LOSS_RULE): what was lost, else NULL */
	const struct bh_mon_loss *loss;
};

/*
 * A consumer of the detection path (behaviour profiles, actions): called on
 * the detection thread (never on the reader), in event order, never
 * concurrently; a loss alert made at the stop, once that thread has ended,
 * on bh_mon_run's thread. event() sees every event, alert() every alert
 * once, after the event's event() (the loss alerts too: a->loss set, a->ev
 * an empty event of type none); the alert of a provisional container (and a
 * later alert of a container with alerts held there) after the naming stage,
 * on its thread (still never concurrently: under detection's lock), with the
 * names the outputs get, so after alerts of other containers detected
 * later. flush() once the detect queue is empty (within 200 ms of an alert
 * told by the naming stage) and at the end. A negative return is
 * counted in consumer_errors (the error is passed to warn) and the pipeline
 * goes on. Any of the functions may be NULL.
 */
struct bh_mon_consumer {
	const char *name;
	void *data;
	int (*event)(void *data, const struct bh_mon_event *ev, struct bh_error **err);
	int (*alert)(void *data, const struct bh_mon_alert *a, struct bh_error **err);
	void (*flush)(void *data);
};

/*
 * The quarantine hook (bh_quar_* at merge): isolate the container id (never
 * "": host processes are not quarantined) because of ev. Called on the
 * detection thread, once per container per run.
 */
typedef int (*bh_mon_quarantine_fn)(void *data, const char *container_id,
				    const struct bh_mon_event *ev, struct bh_error **err);

enum bh_mon_output_kind {
	BH_MON_OUT_FD,	    /* JSON lines (or text) on a fd: stdout */
	BH_MON_OUT_FILE,    /* JSON lines in a file, rotated by size */
	BH_MON_OUT_SYSLOG,  /* RFC 5424 over a unix datagram socket */
	BH_MON_OUT_WEBHOOK, /* HTTP POST of a JSON array, batched */
	BH_MON_OUT_DB,	    /* SQLite: events and alerts tables */
};

/* What goes to an output. */
#define BH_MON_SEL_ALERTS 1u
#define BH_MON_SEL_EVENTS 2u

#define BH_MON_OUTPUTS_MAX 8

struct bh_mon_output_opts {
	enum bh_mon_output_kind kind;
	unsigned select; /* BH_MON_SEL_*; 0 = alerts only */
	size_t queue;	 /* its queue's capacity in items; 0 = 1024 */
	/* FD: the fd (borrowed; written with write(2)); text: one line per
	 * alert "TIME PRIORITY RULE: OUTPUT" (events "TIME TYPE ...") instead of
	 * JSON */
	int fd;
	bool text;
	/* FILE: the path (the directory must exist); rotated when a write would
	 * take it past rotate_size bytes (0 = 64 MiB): PATH.1 .. PATH.K, each
	 * rename atomic, rotate_keep old files kept (0 = 5) */
	const char *path;
	uint64_t rotate_size;
	unsigned rotate_keep;
	/* SYSLOG: the socket (NULL = /dev/log), the APP-NAME (NULL = "bulkhead") */
	const char *socket;
	const char *app_name;
	/* WEBHOOK: the URL (http or https); a POST of up to batch items (0 = 100)
	 * as a JSON array, timeout_ms each (0 = 5000), retried up to retries
	 * times (0 = 2; a 5xx or a transport error) before the batch is dropped */
	const char *url;
	unsigned timeout_ms;
	unsigned retries;
	size_t batch;
	/* DB: the file (NULL = /var/lib/bulkhead/monitor.sqlite); rows beyond
	 * max_rows (0 = 1000000) or older than retention_s (0 = 30 days) are
	 * deleted */
	const char *db_path;
	uint64_t max_rows;
	uint64_t retention_s;
};

/* A name for messages and stats: "stdout", "file /var/log/x", "webhook URL". */
struct bh_mon_output_stats {
	char name[128];
	uint64_t written; /* items written (delivered for the webhook) */
	uint64_t dropped; /* items dropped: queue full, a batch that failed, drain over */
	/* loss alerts dropped (as dropped): counted apart, they are no new loss */
	uint64_t loss_dropped;
	uint64_t errors; /* writes that failed */
};

struct bh_mon_run_stats {
	struct bh_mon_stats source; /* the source's own counters (lost, invalid, ...) */
	uint64_t events;	    /* events read */
	uint64_t read_errors;	    /* events the source refused (bad replay lines) */
	uint64_t detected;	    /* events that went through detection */
	uint64_t detect_waits;	    /* times the producer waited for the detect queue */
	uint64_t detect_dropped;    /* events not detected: the queue stayed full */
	/* of detected: on the producer (a trickle, detection light: no hand-off) */
	uint64_t detect_inline;
	uint64_t alerts;
	uint64_t alerts_by_priority[8]; /* by enum bh_rules_priority */
	uint64_t actions_ok, actions_failed;
	uint64_t consumer_errors;
	/* behaviour profiles (bh_mon_run_opts.behave): verdicts by result, and
	 * the outside ones that asked to block (protect) */
	uint64_t behave_learned, behave_known, behave_outside, behave_blocked;
	uint64_t behave_errors; /* observes or flushes that failed (warned) */
	/* the guard (bh_mon_run_opts.guard): containers watched now, execs and
	 * connects refused (connects: counted in the kernel, read at each rescan),
	 * decisions that failed (answered per fail_closed), rescans that failed */
	uint64_t guard_watched, guard_exec_refused, guard_connect_refused;
	uint64_t guard_open_refused; /* opens block rules refused (inode marks) */
	uint64_t guard_errors;
	/* the look for other names of multi-link execs (bh_guard_stats): walks
	 * made, answers kept used, execs refused for a spent budget */
	uint64_t guard_name_walks, guard_name_hits, guard_name_over_budget;
	uint64_t loss_alerts; /* "Monitor lost events" alerts made */
	/* loss alerts the consumers did not get (the detect queue stayed full) */
	uint64_t loss_alerts_dropped;
	/* alerts of a provisional container (bh_mon_container.provisional) held
	 * for its names (bh_mon_source_refine): named, left unnamed at the
	 * deadline, left at once unnamed (the naming queue full) */
	uint64_t alerts_named_late, alerts_unnamed, alerts_naming_full;
	size_t noutputs;
	struct bh_mon_output_stats outputs[BH_MON_OUTPUTS_MAX];
};

/*
 * The guard driven by the monitor (include/bulkhead/guard.h): every rescan_ms
 * the containers are listed (the inventory the kernel source attributes events
 * with: same options) and, for each running container,
 *  - whose behaviour profile is in protect: its mounts are watched for
 *    fanotify exec permission events, an executable outside the profile's
 *    processes (and, with its zero drift, any executable not from the image)
 *    is answered EPERM before it runs; its network namespace gets a connect
 *    policy (cgroup connect4/6 and sendmsg4/6 programs, pinned) allowing only
 *    the profile's outbound peers and ports (at most BH_GUARD_NET_MAX_RULES,
 *    4096: a profile with more is not enforced, warned);
 *  - when a rule's action is block: watched too, each exec decided by the
 *    rules whose action is block, matched on the permission event;
 *  - whose profile left protect: unwatched and its connect policy cleared;
 *  - gone: unwatched (its connect policy's key, a network namespace cookie,
 *    is never reused).
 * Each refusal is an alert (the behaviour rule, or the rule that blocked),
 * action "block". A mode set by the command line reaches the guard at the next
 * rescan. The connect policies stay pinned when the monitor stops (a restart
 * keeps enforcing); the exec marks go with the process (the kernel allows).
 * Monitor and discover modes are only reported (by the pipeline, after the
 * event). An executable run from a memfd makes no fanotify event: kill
 * (behave_action) stays the answer.
 */
struct bh_mon_guard_opts {
	const struct bh_ctr_opts *containers; /* NULL: bh_ctr_list's defaults */
	const char *store;		      /* the profile store; NULL = the default */
	enum bh_behave_group group;	      /* how keys are made (as the profiles) */
	bool fail_closed;		      /* a decision that fails refuses */
	unsigned rescan_ms;		      /* 0 = 1000 */
};

struct bh_mon_run_opts {
	struct bh_mon_source *source; /* borrowed; read only by the producer */
	const struct bh_rules *rules; /* compiled; NULL: no rules */
	const struct bh_mon_action_rule *actions;
	size_t nactions;
	const struct bh_mon_consumer *consumers;
	size_t nconsumers;
	const struct bh_mon_output_opts *outputs;
	size_t noutputs;		 /* at most BH_MON_OUTPUTS_MAX */
	bh_mon_quarantine_fn quarantine; /* NULL: a quarantine action fails */
	void *quarantine_data;
	/* Set by the caller (a signal handler may): stop (drain and return);
	 * reopen changed: the file outputs reopen (SIGHUP); report changed:
	 * progress() gets the stats so far (SIGUSR1). Each may be NULL. */
	atomic_int *stop, *reopen, *report;
	void (*progress)(void *data, const struct bh_mon_run_stats *st);
	/* A problem the pipeline survives (a bad event line, an output's failed
	 * write, an action that failed): err is borrowed. NULL: not told. */
	void (*warn)(void *data, const struct bh_error *err);
	void *data;	      /* for progress and warn */
	uint64_t duration_ms; /* 0: until stopped or the source ends */
	size_t queue;	      /* the detect queue's capacity; 0 = 4096 */
	unsigned block_ms;    /* the producer's wait for a full detect queue; 0 = 200 */
	unsigned drain_ms; /* at the end, the most the source, then an output, may take; 0 = 5000 */
	/* Outputs never drop: a full output queue holds the producer and the
	 * detection thread until it has room (a replay stored whole, a
	 * benchmark); the slowest output then sets the pace. Off for a live
	 * source, where detection must not wait for an output. */
	bool no_drop;
	/*
	 * Behaviour profiles (include/bulkhead/behave.h; borrowed, NULL = off):
	 * the detection thread, and only it, observes every event with it,
	 * flushes it every behave_flush_ms (0 = 5000) and at the end, and tells
	 * it of the events the source lost (bh_behave_lost). A verdict outside
	 * the profile is an alert of a built-in rule, "Behaviour outside the
	 * learned profile" (priority WARNING, ERROR when it blocks; tags
	 * "behaviour", "NIST_800-190_4.4.4" and the kind), its JSON with a
	 * "behaviour" member (bh_behave_verdict_json). A verdict with block
	 * (protect) takes behave_action: BH_MON_ACT_ALERT (0) none, KILL the
	 * process, QUARANTINE the container (an actions entry naming the rule
	 * wins). Blocking the exec or the connect itself is the guard's (guard,
	 * below): kill acts after the event; a connect the guard refused (EPERM)
	 * is reported with the action "block".
	 */
	struct bh_behave *behave;
	enum bh_mon_action behave_action;
	unsigned behave_flush_ms;
	/* The guard (above); NULL = off. Needs CAP_SYS_ADMIN: a guard that
	 * cannot open fails the run. */
	const struct bh_mon_guard_opts *guard;
	/*
	 * Losses are told through the outputs, as Falco's "syscall event drop"
	 * alerts: when a loss counter (bh_mon_loss's kinds) grew, an alert of the
	 * built-in rule BH_MON_LOSS_RULE (tags "bulkhead.internal", "loss";
	 * priority CRITICAL when the kernel and detection lost 1% or more of
	 * the window's events, else WARNING) goes to every output that takes
	 * alerts, its JSON with a "loss" member; the counters are read every
	 * second, at most one alert per loss_interval_ms (0 = 30000; the losses
	 * between fold into the next), and a last one at the stop for losses not
	 * yet told (output drops of the final drain cannot be). The consumers get
	 * them too, on the detection thread (queued to it after the events read
	 * so far; loss_alerts_dropped when its queue stayed full). A loss alert
	 * an output drops is counted in its loss_dropped, not as a new loss. The
	 * event of the alert is an empty one (type "none") at the alert's time.
	 */
	unsigned loss_interval_ms;
};

/*
 * Run the pipeline until stopped (see above); st (may be NULL) gets the
 * final counts. An alert whose container is provisional
 * (bh_mon_container.provisional), when the source can name it
 * (bh_mon_source_can_refine), goes to the outputs through a naming stage of
 * its own thread (a queue of 256; full: it goes as is, alerts_naming_full):
 * bh_mon_source_refine, then the outputs, its event and output with the
 * engine's names when they came (alerts_named_late, else alerts_unnamed).
 * Its action was taken at detection; the consumers are told after the
 * naming, as the outputs; it may reach them after later alerts of other
 * containers (a later alert of its container waits behind it; one that
 * finds the queue full leaves at once, ahead of it). At the
 * stop the stage drains before the outputs do (each alert waits 3 s at most
 * for its names, the kernel source's bound; an output that blocks (no_drop)
 * holds it longer). Fails when an output cannot be opened (nothing is read
 * then) or the source fails for good (not for an event it refuses: that is
 * counted in read_errors and passed to warn).
 */
int bh_mon_run(const struct bh_mon_run_opts *o, struct bh_mon_run_stats *st, struct bh_error **err);

/* An alert as the outputs write it: {"time", "rule", "priority", "output",
 * "tags", "action", "action_error", "event": {...}} and, for a behaviour
 * alert, "behaviour": bh_behave_verdict_json without the event; for a loss
 * alert, "loss": {"kernel", "detect", "output", "events", "window_ms",
 * "final", "totals": {"kernel", "detect", "output"}}. */
int bh_mon_alert_to_json(const struct bh_mon_alert *a, json_t **out, struct bh_error **err);

#endif
