/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the node agent: `struct agent`, which the run and the shipper
 * (src/agent/agent.c) and the controller's orders (src/agent/orders.c:
 * workloads, the node policy, actions, profiles) share. */
#ifndef BULKHEAD_AGENT_AGENT_INT_H
#define BULKHEAD_AGENT_AGENT_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "agent/admission.h"
#include "agent/deliver.h"
#include "agent/flows.h"
#include "agent/http.h"
#include "agent/net.h"
#include "agent/profiles.h"
#include "bulkhead/agent.h"
#include "agent/policy_int.h"

struct agent {
	const struct bh_agent_opts *o;
	struct bh_agent_spool *sp;
	pthread_mutex_t mu; /* the spool and the stats */
	pthread_cond_t cv;
	bool done; /* the main thread says: stop shipping */
	struct bh_agent_stats st;
	struct agent_http http;
	bool registered;
	bool refused_said;
	struct agf *flows;	 /* under mu */
	uint64_t flows_at;	 /* CLOCK_MONOTONIC ms of the last drain */
	struct agent_policy pol; /* dist17: the node policy */
	/* lease17 */
	long code;		    /* the last answer's HTTP status (0: none came) */
	bool ctl_error;		    /* ... with the controller's own {"error": ...} */
	unsigned rejected_run;	    /* records set aside in a row (none acked between) */
	uint64_t single_until;	    /* after a batch refused: one record a batch to here */
	struct agent_pending pend;  /* actions' results to post again */
	struct agent_profiles prof; /* profiles17: behaviour profiles */
	struct agent_net net;	    /* net17: the firewall (src/agent/net.c) */
	struct agent_net_hooks hooks;
	struct agent_adm adm;	      /* admit17: the runtime's decisions (shipper thread) */
	struct agent_bencher bencher; /* admit17: the bench's thread */
};

/* e said through the caller's warn callback, and freed. */
static inline void agent_warn(struct agent *ag, struct bh_error *e)
{
	if (ag->o->warn && e)
		ag->o->warn(ag->o->data, e);
	bh_error_free(e);
}

/* GET (body NULL) or POST to the controller: src/agent/http.h */
static inline int agent_request(struct agent *ag, const char *path, const char *body, size_t len,
				json_t **out, struct bh_error **err)
{
	return agent_http_request(&ag->http, path, body, len, out, err);
}

/* agent_request for the callbacks of attest.c and profiles.c (ag: the agent). */
int agent_post_cb(void *ag, const char *path, const char *body, size_t len, json_t **out,
		  struct bh_error **err);

/* src/agent/orders.c: each <0 (err) when the controller could not be asked */
int agent_report_workloads(struct agent *ag, struct bh_error **err);
/* the node policy pulled: a new version applied, or refused and reported */
int agent_pull_policy(struct agent *ag, struct bh_error **err);
/* the controller's actions done, their results posted (kept when not) */
int agent_take_actions(struct agent *ag, struct bh_error **err);
/* what the monitor learned, and the modes running */
int agent_report_profiles(struct agent *ag, struct bh_error **err);

#endif
