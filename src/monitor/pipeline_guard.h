/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor's guard thread's state (pipeline_guard.c), shared with
 * pipeline_guard_early.c (a container's first exec, before a rescan watched it).
 */
#ifndef BULKHEAD_MONITOR_PIPELINE_GUARD_H
#define BULKHEAD_MONITOR_PIPELINE_GUARD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "bulkhead/base.h"
#include "bulkhead/behave.h"
#include "bulkhead/containers.h"
#include "bulkhead/guard.h"
#include "bulkhead/monitord.h"

struct mon_pipe;
struct mon_behave_rules;

struct gctr {
	char *id;
	struct bh_mon_container ct; /* for the alerts' events */
	char key[BH_BEHAVE_KEY_MAX];
	bool seen;	      /* listed by this rescan */
	bool watched;	      /* exec marks set */
	bool protect;	      /* its profile is in protect */
	bool looked;	      /* its profile was read once (protect is known) */
	bool watched_created; /* the marks were set while it was created */
	bool net_set;	      /* a connect policy set */
	bool net_warned;      /* a connect policy that cannot be set was warned of */
	bool net_looked;      /* a policy left pinned by an earlier run was cleared if needed */
	bool net_rules;	      /* the policy set is the rules' deny list (cleared at the stop) */
	uint64_t exec_sig, net_sig;
	uint64_t net_denied; /* the kernel's count at the last rescan */
	pid_t pid;	     /* its init, for the last count at the stop */
	uint64_t pid_start;
};

struct mon_guard {
	struct mon_pipe *p;
	const struct bh_mon_run_opts *o;
	const struct bh_mon_guard_opts *go;
	const struct mon_behave_rules *br;
	struct bh_guard *g;
	struct bh_behave *b;
	struct bh_guard_rdv *rdv; /* NULL: it could not be served (warned) */
	bool rules_block;	  /* a rule's action is block */
	/* the files block rules on opens name (bh_rules_open_paths): inode marks */
	struct bh_strvec open_paths;
	/* the executables block rules on execs name (bh_rules_exec_files): known
	 * by identity in each container, so another name of one is decided as it */
	struct bh_strvec exec_paths, exec_names;
	/* the prefixes of paths they name (startswith, glob, pmatch): where the
	 * guard looks for another name of an executed file with several links */
	struct bh_strvec exec_prefixes;
	/* the peers block rules on connects name (bh_rules_connect_peers): the
	 * connect policy (a deny list) of a container not in protect */
	struct bh_guard_net_rule *conn;
	size_t nconn;
	uint64_t conn_sig;
	/* the guard's name-walk counts already added to the run's stats */
	struct bh_guard_stats names_seen;
	/* the event the last decision was made on: its report (after the answer,
	 * when the process may have moved on and /proc says something else) says
	 * what was decided */
	struct bh_mon_event *decided;
	bool decided_ok;
	pthread_t th;
	atomic_bool stop;
	struct gctr *v;
	size_t n;
	/* the runtimes' state directories (inotify): a container of any runtime
	 * is rescanned at its create, not at the next rescan; NULL without */
	struct bh_ctr_watch *watch;
	/* a container's first exec, before a rescan watched it (early()): the
	 * cgroups already told (not a container to watch: the host's, one not in
	 * protect), forgotten when a state is written; the lists' token bucket */
	struct bh_map *early_known;
	uint64_t early_tokens_ms;
	bool early_created; /* the state directories changed: a rescan owed */
	bool early_warned;
};

/* CLOCK_MONOTONIC in ms. */
uint64_t mon_guard_mono_ms(void);
/* The guarded container id, or NULL. */
struct gctr *mon_guard_find(struct mon_guard *mg, const char *id);
/* Container c listed: its profile read, watched (or unwatched) as it asks. */
void mon_guard_one(struct mon_guard *mg, const struct bh_ctr *c, bool rdv);
/* The guard's opts.unknown (bh_guard_watch_early): pipeline_guard_early.c. */
int mon_guard_early(pid_t pid, void *arg);

#endif
