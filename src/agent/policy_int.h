/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the agent (src/agent/agent.c): the node policy it pulls from the
 * controller (src/agent/policy.c, include/bulkhead/ctl_policy.h). A version
 * is validated whole, written to the state directory (state_dir/policy.json,
 * atomically), then handed to the detection thread, which swaps it in at its
 * next event: the rules and the modes of a version take effect together, and
 * the old version keeps running until then (or when the new one is refused).
 */
#ifndef BULKHEAD_AGENT_POLICY_INT_H
#define BULKHEAD_AGENT_POLICY_INT_H

#include <pthread.h>
#include <stdint.h>

#include "bulkhead/ctl_policy.h"
#include "bulkhead/rules.h"

struct agent_policy {
	pthread_mutex_t mu;
	char *path;		   /* state_dir/policy.json */
	struct bh_ctl_policy next; /* validated, waiting for the detection thread (mu) */
	int64_t next_version;	   /* 0: nothing waiting (mu) */
	int64_t version;	   /* the version written and handed over (mu) */
	int64_t refused;	   /* the last version refused (mu) */
	int64_t unwritten;	   /* the last version not written, said once (mu) */
	char *file;		   /* what path holds now (NULL: none), put back when the
				    * firewall does not take a version written (mu) */
	/* the detection thread's own */
	struct bh_ctl_policy cur;
	int64_t cur_version;
};

/* Set up; the version last applied is read back from state_dir (a bad or
 * missing file: none, warned through *warn_err). */
int agent_policy_init(struct agent_policy *p, const char *state_dir, struct bh_error **warn_err);
void agent_policy_release(struct agent_policy *p);
/* The version handed over (0: none). */
int64_t agent_policy_version(struct agent_policy *p);
/*
 * netpol19: what else runs a version (the firewall, src/agent/net.c):
 * prepare (after the version is validated, before it is written: compile;
 * <0 refuses the version), then commit once it is written (swap it in and
 * wait until it runs; <0: the version is refused, the file put back) or
 * abort (not written). ctx is prepare's, for commit/abort. h may be NULL.
 */
struct agent_policy_hooks {
	int (*prepare)(void *arg, const json_t *doc, void **ctx, struct bh_error **err);
	int (*commit)(void *arg, void *ctx, struct bh_error **err);
	void (*abort)(void *arg, void *ctx);
	void *arg;
};
/*
 * A version from the controller (its answer's "version" and "policy"):
 * validated (its firewall part compiled: h->prepare), persisted, run by the
 * firewall (h->commit) and handed over to the detection thread; only then is
 * it the version reported; 0 taken, 1 already have it or
 * refused before, <0 refused now (BH_ERR_INVALID naming why; the old version
 * keeps running). A version that cannot be written to the state directory is
 * tried again at each offer, but <0 only the first time (1 after: said once
 * per version).
 */
int agent_policy_offer(struct agent_policy *p, const json_t *answer,
		       const struct agent_policy_hooks *h, int64_t *version, struct bh_error **err);
/* On the detection thread: swap in a version handed over (*swapped: its
 * version, else 0; its modes and profiles are the caller's to apply before
 * the event is checked); the rules of the version running matched on ev, up
 * to max into m; *n of them. */
void agent_policy_match(struct agent_policy *p, const struct bh_mon_event *ev,
			const struct bh_rules_rule **m, size_t max, size_t *n, int64_t *swapped);

#endif /* BULKHEAD_AGENT_POLICY_INT_H */
