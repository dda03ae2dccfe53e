/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the agent (src/agent/agent.c): its TPM attestation to the
 * controller (src/agent/attest.c, include/bulkhead/ctl_attest.h).
 */
#ifndef BULKHEAD_AGENT_ATTEST_INT_H
#define BULKHEAD_AGENT_ATTEST_INT_H

#include <jansson.h>

#include "bulkhead/agent.h"

/* The agent's POST to its controller (agent.c's). */
typedef int (*agent_post_fn)(void *ag, const char *path, const char *body, size_t len, json_t **out,
			     struct bh_error **err);

/*
 * One attestation: a nonce from the controller, a quote of the PCRs the log
 * (o->tpm_log) extends (16 at least) with the TPM at o->tpm_tcti, its files
 * in state_dir/attest, and the log's entries the controller does not hold
 * yet posted with it (all of them again when it answers that it holds
 * another count). 1 verified, 0 failed (*why: the controller's reason), <0
 * when it could not be made or sent.
 */
int agent_attest(const struct bh_agent_opts *o, agent_post_fn post, void *ag, char *why,
		 size_t whylen, struct bh_error **err);

#endif
