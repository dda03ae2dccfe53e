/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the agent (src/agent/agent.c), lease17: what it does when a delivery
 * cannot go as planned (src/agent/deliver.c).
 *
 * - A record the controller refuses (HTTP 400 or 413: "this will never be
 *   accepted") is set aside in the dead-letter file state_dir/rejected.jsonl
 *   (one JSON line per record: its seq, the controller's reason, the record),
 *   bounded: past AGENT_REJECT_MAX bytes it becomes rejected.jsonl.1 (the one
 *   before is dropped), so at most twice that is kept.
 * - An action's result that could not be posted (a transport error or a
 *   5xx) is kept, at most AGENT_PENDING_MAX of them, and posted again before
 *   the next actions are taken, AGENT_PENDING_TRIES times at most: the
 *   controller's lease hands the action out again if none arrives.
 */
#ifndef BULKHEAD_AGENT_DELIVER_H
#define BULKHEAD_AGENT_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "bulkhead/base.h"

#define AGENT_REJECT_MAX    (1u << 20)
#define AGENT_PENDING_MAX   64
#define AGENT_PENDING_TRIES 10

/* Append a refused record (seq, why) to state_dir's dead-letter file,
 * synced. */
int agent_reject_write(const char *state_dir, uint64_t seq, const char *why, const char *rec,
		       size_t len, struct bh_error **err);

struct agent_pending {
	char *body[AGENT_PENDING_MAX];
	unsigned tries[AGENT_PENDING_MAX];
	size_t n;
};

/* Keep body (taken); when full the oldest is dropped: 1, else 0. */
int agent_pending_add(struct agent_pending *p, char *body);
/* Forget the i-th. */
void agent_pending_del(struct agent_pending *p, size_t i);
void agent_pending_release(struct agent_pending *p);

#endif /* BULKHEAD_AGENT_DELIVER_H */
