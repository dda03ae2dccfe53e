/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The node policy the controller distributes to its agents (issue 17,
 * dist17): one versioned document holding
 *   - "rules": the monitor's rules (a Falco-language YAML file, as
 *     `bulkhead monitor --rules` reads),
 *   - "modes": [{"group", "control": "behaviour"|"syscall", "mode":
 *     "discover"|"monitor"|"protect"}], the profile modes per group,
 *   - "net": the network policy (a policy file of networkGroup and network
 *     rules, as `bulkhead net --policy` reads),
 * each optional. The controller validates a document with the same library
 * parsers the commands use before storing it as the next version; an agent
 * validates it again, whole, before applying it (rules and modes at once).
 * The parser reads untrusted bytes (fuzz/fuzz_ctl_policy.c).
 */
#ifndef BULKHEAD_CTL_POLICY_H
#define BULKHEAD_CTL_POLICY_H

#include "bulkhead/ctl.h"

struct bh_rules;

#define BH_CTL_POLICY_MODES_MAX 1024
#define BH_CTL_POLICY_GROUP_MAX 256

struct bh_ctl_policy {
	json_t *doc;		/* canonical: {"rules"?, "modes": [...], "net"?} */
	struct bh_rules *rules; /* compiled; NULL when the document has none */
	size_t nrules;		/* rules matched */
	size_t nmodes;
};

/*
 * Parse and validate a policy document (buf, len bytes of JSON, at most
 * BH_CTL_BODY_MAX): unknown members, a bad mode or control, a rules file or
 * a network policy that does not compile are BH_ERR_INVALID naming the
 * first problem (and its line). Release with bh_ctl_policy_release.
 */
int bh_ctl_policy_parse(const char *buf, size_t len, struct bh_ctl_policy *out,
			struct bh_error **err);
void bh_ctl_policy_release(struct bh_ctl_policy *p);

/*
 * The store (table policies): set stores doc as the next version (the
 * latest + 1) in one transaction, audited "policy.set" with the previous
 * document as before; *version the new one.
 */
int bh_ctl_policy_set(struct bh_ctl_store *s, const char *actor, const json_t *doc,
		      int64_t *version, struct bh_error **err);
/* The latest version (0: none). */
int bh_ctl_policy_latest(struct bh_ctl_store *s, int64_t *version, struct bh_error **err);
/* {"version", "author", "created", "policy"} of version (0: the latest);
 * BH_ERR_NOTFOUND when there is none. */
int bh_ctl_policy_get(struct bh_ctl_store *s, int64_t version, json_t **out, struct bh_error **err);
/* [{"version", "author", "created"}], the newest first. */
int bh_ctl_policy_history(struct bh_ctl_store *s, json_t **out, struct bh_error **err);
/* An agent's poll: the node runs running (its last_seen too). */
int bh_ctl_policy_running(struct bh_ctl_store *s, const char *node, int64_t running,
			  struct bh_error **err);

#endif /* BULKHEAD_CTL_POLICY_H */
