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
 * Where it read to is kept in state_dir/admission-<hash of DIR>.cursor, one
 * per directory (written after the events are synced in the spool: a crash
 * between sends those again, never loses them), so a restart goes on where
 * it was; a rotation under the cursor reads the rest of the rotated log
 * first. The single-root agent's state_dir/admission.cursor is taken over by
 * the directory whose log (or .1) it points at. Up to BH_AGENT_ADM_ROOTS_MAX
 * directories (fixctl19): the runtime's state root and, separately, the
 * webhook's --decision-log DIR, so a flood of reviews can rotate only the
 * webhook's log. A log rotated twice under a cursor lost what the agent had
 * not read: counted (lost, at least .1's lines) and warned about, naming DIR.
 * A cursor is its file's device and inode and a fingerprint of the file's
 * first bytes: a rotated log made on a gone file's inode number is not
 * taken for it.
 */
#ifndef BULKHEAD_AGENT_ADMISSION_H
#define BULKHEAD_AGENT_ADMISSION_H

#include <stdint.h>

#include "agent/net.h"
#include "bulkhead/agent.h"
#include "bulkhead/runtime.h"

struct agent_adm_root {
	char *root;   /* a directory holding .admission@log */
	char *cursor; /* state_dir/admission-<hash>.cursor */
	struct bh_rt_admit_cursor cur;
	uint64_t fp;	/* the hash of the log's first fplen bytes: the same */
	uint32_t fplen; /* inode number reused is another file (0: unknown) */
	uint64_t lost;	/* decisions lost to rotation (at least) */
};

struct agent_adm {
	struct agent_adm_root r[BH_AGENT_ADM_ROOTS_MAX];
	size_t n;		    /* 0: not tailed */
	uint64_t events, bad, lost; /* spooled; lines skipped; lost to rotation */
};

/* n roots (0: agent_adm_poll does nothing; at most BH_AGENT_ADM_ROOTS_MAX,
 * none twice). A cursor file that cannot be read starts at the log's
 * beginning. */
int agent_adm_open(struct agent_adm *a, const char *const *roots, size_t n, const char *state_dir,
		   struct bh_error **err);
void agent_adm_close(struct agent_adm *a);
/* The new decisions of every root spooled through h (event, then sync
 * once a root), the cursors kept; *n of them. A loss to rotation is said
 * through h->warn ("N decisions lost to rotation in DIR"). */
int agent_adm_poll(struct agent_adm *a, const struct agent_net_hooks *h, size_t *n,
		   struct bh_error **err);
/* One log entry as the event's JSON (caller frees), NULL when it is not a
 * decision. Exposed for the tests. */
char *agent_adm_event(const json_t *entry);

#endif /* BULKHEAD_AGENT_ADMISSION_H */
