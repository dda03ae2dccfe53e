/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network policy in the packet engine (src/net/policy_engine.c): a
 * flow's decision and the engine's table of DNS answers, behind the hook
 * calls engine.c makes at a flow's start, when its app is identified, on each
 * record, and at its end.
 */
#ifndef BULKHEAD_NET_POLICY_INT_H
#define BULKHEAD_NET_POLICY_INT_H

#include <stdbool.h>

#include "bulkhead/net.h"
#include "bulkhead/netpolicy.h"
#include "net/dissect.h"

/* A flow's decision (zeroed: none yet). */
struct netpol_flow {
	int cgroup, sgroup; /* -1: none */
	enum bh_netpol_verdict verdict;
	const char *rule;
	bool final;
	bool l4_allowed; /* allowed as a whole: records need no allow rule */
	char *name;	 /* a DNS name the server address was resolved from */
	/* netpol19: a deny kept across a policy swap names its rule from this
	 * copy (the policy that decided it is freed after the swap) */
	char *rule_own;
};

struct flow;
struct bh_net_engine;
struct netpol_eng;

/* engine_new / engine_free: the state, when opts.policy is set. */
void net_pol_new(struct bh_net_engine *e);
void net_pol_free(struct bh_net_engine *e);
/* A new flow (its info and ident filled); its app once identified (NULL:
 * unknown); a record the flow's dissector emitted; its end. */
void net_pol_flow_start(struct flow *f);
void net_pol_app(struct flow *f, const char *app);
void net_pol_record(struct flow *f, const struct bh_net_rec *rec);
/* After net_pol_flow_start: f is a related flow (an FTP data channel) its
 * control flow announced while decided `verdict` by `rule` (copied into
 * the flow's rule_own: the caller's may be gone soon): it follows that decision unless a rule of
 * the policy's own decided f. NONE: f keeps its own decision. */
void net_pol_related(struct flow *f, enum bh_netpol_verdict verdict, const char *rule);
/* f's dissector gave up (bh_netpol_unparsable): a deny stays a deny. */
void net_pol_unparsable(struct flow *f);
void net_pol_end(struct flow *f);
void net_pol_flow_free(struct flow *f);
/* netpol19: the engine runs p from now on (NULL: none; the caller's, it
 * outlives the engine or the next swap). Every open flow is judged again
 * under p on what is known of it (its ends' groups, layer 4, its app): a
 * flow already denied stays denied (its rule name kept), the others take
 * p's decision, later records deciding on if it is not final. A flow that
 * had a direction offloaded and is denied now is passed to cut (its
 * connection must come back to the queue). Announced related flows forget
 * the decision of their control flow. Between two packets only. */
void net_pol_swap(struct bh_net_engine *e, const struct bh_netpol *p,
		  void (*cut)(const struct bh_net_flow_info *fi, uint8_t proto, void *arg),
		  void *arg, size_t *rejudged, size_t *denied);
/* The record's rule, verdict, groups and name. */
void net_pol_fill(const struct flow *f, struct bh_net_flow_record *r);
/* The verdict of the flow's packets. */
enum bh_net_verdict net_pol_verdict(const struct flow *f);
/* Whether the flow's decision is final (true without a policy): no later
 * record can change it. */
bool net_pol_settled(const struct flow *f);

#endif
