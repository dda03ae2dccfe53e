/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead node agent (`bulkhead agent`, issue 17): what an agent must
 * report to the controller goes through a bounded on-disk spool first.
 *
 * The spool is a directory of append-only segment files, each named by the
 * sequence number of its first record (%020llu.seg). A record is one event's
 * JSON with a header (magic, length, seq, CRC-32 of seq and payload); seqs
 * are consecutive from 1 per spool and are the seqs the controller keys
 * events by (node, seq). Records are shipped in seq order and dropped only
 * when acknowledged (bh_agent_spool_ack: whole segments at or below the ack
 * are deleted; the ack itself is kept in the file "acked").
 *
 *  - durability: bh_agent_spool_sync (fdatasync) after each batch of
 *    appends; a crash loses at most the appends since the last sync;
 *  - recovery: at open a torn or corrupt record ends its segment there (the
 *    last segment is truncated to its last whole record, so appends go on);
 *    records lost in the middle are counted (corrupt) and reported by a gap
 *    record;
 *  - bound: when an append would take the spool past max_bytes the oldest
 *    segments go, acknowledged or not; the unacknowledged records dropped are
 *    counted (dropped) and a gap record {"ts","kind":"gap","data":{"dropped",
 *    "first_seq","last_seq","reason"}} is appended in their place, so the
 *    controller sees the hole;
 *  - a crash between a send and its ack sends those records again: the
 *    controller stores (node, seq) once.
 *
 * A spool is used by one thread at a time (the caller serialises) and by one
 * process (an flock on the directory). Ownership and errors as
 * include/bulkhead/base.h; the library never prints.
 */
#ifndef BULKHEAD_AGENT_H
#define BULKHEAD_AGENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/base.h"

#define BH_AGENT_RECORD_MAX	 (16u << 10) /* one record's payload */
#define BH_AGENT_SPOOL_DEFAULT	 (64ull << 20)
#define BH_AGENT_SEGMENT_DEFAULT (1ull << 20)
#define BH_AGENT_SPOOL_MIN	 (64ull << 10)
#define BH_AGENT_ADM_ROOTS_MAX	 8 /* agent --admission-root, repeated */

struct bh_agent_spool;

struct bh_agent_spool_opts {
	const char *dir;	/* made (0700) if missing */
	uint64_t max_bytes;	/* the bound; 0: BH_AGENT_SPOOL_DEFAULT; >= BH_AGENT_SPOOL_MIN */
	uint64_t segment_bytes; /* a segment is closed past this; 0: BH_AGENT_SEGMENT_DEFAULT */
};

struct bh_agent_spool_stats {
	uint64_t next_seq; /* the seq the next append gets */
	uint64_t acked;	   /* the highest seq acknowledged */
	uint64_t pending;  /* records after acked */
	uint64_t bytes;	   /* on disk, in segments */
	uint64_t segments;
	uint64_t dropped; /* unacknowledged records dropped by the bound (this open) */
	uint64_t corrupt; /* records found torn or corrupt at open (best count) */
};

/* Open (recover) the spool in o->dir; another process holding it is
 * BH_ERR_USAGE. */
BH_MUST_CHECK int bh_agent_spool_open(const struct bh_agent_spool_opts *o,
				      struct bh_agent_spool **out, struct bh_error **err);
void bh_agent_spool_free(struct bh_agent_spool *sp);

/* Append one record (p, len: 1..BH_AGENT_RECORD_MAX bytes); *seq (may be
 * NULL) gets its seq. Durable after bh_agent_spool_sync. */
int bh_agent_spool_append(struct bh_agent_spool *sp, const void *p, size_t len, uint64_t *seq,
			  struct bh_error **err);
int bh_agent_spool_sync(struct bh_agent_spool *sp, struct bh_error **err);

struct bh_agent_record {
	uint64_t seq;
	char *data; /* NUL-terminated after len bytes */
	size_t len;
};
/*
 * The oldest unacknowledged records in seq order: at most max of them and
 * (but at least one) max_bytes of payload in all; *n = 0 when none. Free
 * with bh_agent_records_free.
 */
int bh_agent_spool_peek(struct bh_agent_spool *sp, size_t max, size_t max_bytes,
			struct bh_agent_record **out, size_t *n, struct bh_error **err);
void bh_agent_records_free(struct bh_agent_record *r, size_t n);

/* Everything up to seq is acknowledged: kept in "acked", and the segments
 * wholly at or below it deleted. An ack below the last is ignored. */
int bh_agent_spool_ack(struct bh_agent_spool *sp, uint64_t seq, struct bh_error **err);

/* The next append's seq becomes at least seq (the controller already holds
 * the seqs below it: a state directory lost and made anew). */
void bh_agent_spool_next_at_least(struct bh_agent_spool *sp, uint64_t seq);

void bh_agent_spool_stats(const struct bh_agent_spool *sp, struct bh_agent_spool_stats *st);

/* ---- the agent --------------------------------------------------------------------------- */

struct bh_mon_source;	 /* include/bulkhead/monitor.h */
struct bh_rules;	 /* include/bulkhead/rules.h */
struct bh_ctr_opts;	 /* include/bulkhead/containers.h */
struct bh_net_live_opts; /* include/bulkhead/net.h */
struct bh_host_opts;	 /* include/bulkhead/host.h */

struct bh_agent_opts {
	const char *controller; /* "https://HOST:PORT" */
	const char *token;	/* the node token (borrowed; the Bearer of every request) */
	const char *ca_file;	/* the controller's CA (PEM); NULL: the system's */
	const char *node;	/* the node's name, as its token's */
	const char *version;	/* the agent's version, reported at register */
	const char *state_dir;	/* the spool is state_dir/spool */
	uint64_t spool_max;	/* 0: BH_AGENT_SPOOL_DEFAULT */
	/* the monitor run in-process (include/bulkhead/monitord.h): its own
	 * rules and actions as `bulkhead monitor` has them; every alert goes to
	 * the spool */
	struct bh_mon_source *source; /* borrowed */
	const struct bh_rules *rules; /* borrowed */
	/* the containers reported (bh_ctr_list), every workloads_ms (0 = 10000);
	 * NULL: the defaults */
	const struct bh_ctr_opts *containers;
	unsigned workloads_ms;
	/* flows (src/agent/flows.h): the containers' connections seen by the
	 * monitor aggregated into edges and spooled as "flows" records every
	 * flows_ms (0 = 10000), at most flows_max edges an interval (0 = 4096) */
	unsigned flows_ms;
	size_t flows_max;
	/* the node policy (include/bulkhead/ctl_policy.h) pulled every policy_ms
	 * (0 = 3000; GET /api/v1/agent/policy), kept in state_dir/policy.json:
	 * its rules matched besides `rules`, a version refused reported as an
	 * event of kind "policy" */
	unsigned policy_ms;
	/* the controller's actions (quarantine, release) taken at each policy
	 * poll and executed with bh_quar_apply / bh_quar_release; their records
	 * in quarantine_dir (NULL: BH_QUAR_STATE_DIR) */
	const char *quarantine_dir;
	/* launch18: attest to the controller every attest_ms (0 = 60000) when
	 * tpm_log is set: a quote by the TPM at tpm_tcti (NULL: bh_tpm_tcti's
	 * default) over the controller's nonce, with the measured launches'
	 * event log (src/agent/attest.c, include/bulkhead/ctl_attest.h) */
	const char *tpm_log;
	const char *tpm_tcti;
	unsigned attest_ms;
	/* behaviour profiles (profiles17, src/agent/profiles.h): the monitor
	 * learns and checks them in profiles (NULL: state_dir/profiles.sqlite);
	 * a node policy version's accepted profiles and modes are applied to
	 * that store; what was learned is reported every profiles_ms (0 =
	 * 10000; POST /api/v1/agent/profiles); a process outside a profile in
	 * protect gets behave_action (as `bulkhead monitor --behaviour-action`;
	 * a replayed source: alert only, its pids are not this host's) */
	const char *profiles;
	unsigned profiles_ms;
	int behave_action; /* enum bh_mon_action */
	/* net17: the firewall run in-process (src/agent/net.h) when net is set:
	 * the targets and engine options of `bulkhead net run` (borrowed; its
	 * engine callbacks, stop and quarantine are the agent's): each flow
	 * into the flows records (app, bytes, packets, verdict, threats), a
	 * flow with a threat, a data-leak match or a deny spooled as an event
	 * of kind "net", a quarantine (quarantine_severity) applied with
	 * bh_quar_apply into quarantine_dir and spooled as one too. Without
	 * engine.policy the node policy's "net" document in force at start is
	 * used. */
	const struct bh_net_live_opts *net;
	/* bench17: bh_host_bench run at start and every bench_ms (0 =
	 * 3600000) when bench is set, each check's result spooled as an event
	 * of kind "bench" (rule the check's ID, severity PASS/FAIL/WARN/INFO);
	 * on a thread of its own, one run at a time: shipping goes on while it
	 * runs (a run under way at stop ends between two checks, unshipped) */
	const struct bh_host_opts *bench;
	unsigned bench_ms;
	/* admit17: the admission decision log (<DIR>/.admission@log,
	 * include/bulkhead/runtime.h) of each of the n_admission_roots
	 * directories (fixctl19: the runtime's state root, the webhook's
	 * --decision-log DIR, kept apart) tailed every second, each decision
	 * spooled as an event of kind "admission" (src/agent/admission.h);
	 * where it read to kept in state_dir, a cursor per directory. 0: not
	 * tailed. */
	const char *admission_roots[BH_AGENT_ADM_ROOTS_MAX];
	size_t n_admission_roots;
	size_t batch;	     /* events in one POST; 0 = 200, at most 500 */
	unsigned timeout_ms; /* one request; 0 = 5000 */
	atomic_int *stop;    /* set (a signal handler may): drain, ship what can be, return */
	/* what the agent survives (the controller down, a refused token, a
	 * failed report): err is borrowed */
	void (*warn)(void *data, const struct bh_error *err);
	void *data;
};

struct bh_agent_stats {
	struct bh_agent_spool_stats spool;
	uint64_t alerts;	    /* alerts spooled */
	uint64_t flows;		    /* flows records spooled */
	uint64_t flows_dropped;	    /* edges not taken: the table was full */
	uint64_t shipped;	    /* records acknowledged by the controller */
	uint64_t batches;	    /* POSTs of events answered 200 */
	uint64_t failures;	    /* requests that failed (retried with backoff) */
	uint64_t refused;	    /* answered 401: the token is revoked or wrong */
	int64_t policy_version;	    /* the node policy's version running (0: none) */
	uint64_t policy_applied;    /* versions applied */
	uint64_t policy_refused;    /* versions refused */
	uint64_t actions_ok;	    /* the controller's actions done */
	uint64_t actions_failed;    /* ... and failed (reported back) */
	uint64_t attested;	    /* launch18: attestations the controller verified */
	uint64_t attest_failed;	    /* ... refused, or not made or not sent */
	uint64_t rejected;	    /* records the controller refused (400), set aside */
	uint64_t results_again;	    /* actions' results posted again */
	uint64_t profiles_reported; /* learned profiles the controller took */
	uint64_t modes_applied;	    /* policy versions whose modes and profiles took */
	uint64_t modes_failed;	    /* ... of which one did not (warned) */
	uint64_t net_flows;	    /* net17: flow records of the firewall */
	uint64_t net_alerts;	    /* ... spooled as events of kind "net" */
	uint64_t net_quarantined;   /* ... quarantines it applied */
	uint64_t net_packets;	    /* ... packets given a verdict */
	uint64_t bench_runs;	    /* bench17: bench runs reported */
	uint64_t bench_results;	    /* ... results spooled */
	uint64_t admissions;	    /* admit17: admission decisions spooled */
	uint64_t admissions_bad;    /* ... log lines skipped (not a decision) */
	uint64_t admissions_lost;   /* ... lost to rotation (at least; fixctl19) */
};

/*
 * Run the agent until *stop: register the node, run the monitor pipeline
 * (its alerts appended to the spool, synced per batch), and on a thread of
 * its own ship the spool in order in batches, acknowledging what the
 * controller answers it holds, retrying with backoff (200 ms doubling to 10
 * s) while the controller is down or refuses; report the node's containers.
 * The monitor never waits for the controller. At stop what is spooled and
 * not acknowledged stays for the next run (a last attempt of up to
 * timeout_ms is made).
 */
int bh_agent_run(const struct bh_agent_opts *o, struct bh_agent_stats *st, struct bh_error **err);

#endif /* BULKHEAD_AGENT_H */
