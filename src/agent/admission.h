/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the agent (admit17): the runtime's (and webhook19: the admission
 * webhook's) admission decisions. A container
 * the policy refused at create leaves nothing on the node but its line in
 * the runtime's decision log (<root>/.admission@log, include/bulkhead/runtime.h);
 * the shipper tails it (agent_adm_poll) and spools each decision as an event
 * of kind "admission":
 *   rule      the first enforce rule that fired (deny), else the first warn
 *             or audit rule, else "policy-error" (the policy could not be
 *             read: refused) or "admitted";
 *   severity  DENY (refused: deny or error), WARN (allowed with a warn rule
 *             fired), INFO (allowed);
 *   workload  the container's name when the engine gave one, else its ID;
 *   data      {"source":"runtime","decision","container":{"id","name"},
 *             "image","digest","reason","rules":[{"rule","action","section",
 *             "message"}]}: only these members, strings cut, re-encoded (the
 *             log's text is never copied into the event as it is).
 * The admission webhook's decisions ("source":"webhook" in the log: `bulkhead
 * admission serve --decision-log DIR`, webhook19) are the same kind with
 *   workload  namespace/name of the object (else the request's uid);
 *   severity  as above, but INFO for a dry run (nothing was refused);
 *   data      {"source":"webhook","decision","request":{"uid","kind",
 *             "namespace","name","operation","dry_run"},"message","reason",
 *             "rules"}.
 * Where it read to is kept in state_dir/admission.cursor (written after the
 * events are synced in the spool: a crash between sends those again, never
 * loses them), so a restart goes on where it was; a rotation under the
 * cursor reads the rest of the rotated log first.
 */
#ifndef BULKHEAD_AGENT_ADMISSION_H
#define BULKHEAD_AGENT_ADMISSION_H

#include <stdint.h>

#include "agent/net.h"
#include "bulkhead/runtime.h"

struct agent_adm {
	char *root;   /* the runtime's state root (NULL: not tailed) */
	char *cursor; /* state_dir/admission.cursor */
	struct bh_rt_admit_cursor cur;
	uint64_t events, bad; /* spooled; lines skipped */
};

/* root NULL: agent_adm_poll does nothing. A cursor file that cannot be read
 * starts at the log's beginning. */
int agent_adm_open(struct agent_adm *a, const char *root, const char *state_dir,
		   struct bh_error **err);
void agent_adm_close(struct agent_adm *a);
/* The new decisions spooled through h (event, then sync once), the cursor
 * kept; *n of them. */
int agent_adm_poll(struct agent_adm *a, const struct agent_net_hooks *h, size_t *n,
		   struct bh_error **err);
/* One log entry as the event's JSON (caller frees), NULL when it is not a
 * decision. Exposed for the tests. */
char *agent_adm_event(const json_t *entry);

#endif /* BULKHEAD_AGENT_ADMISSION_H */
