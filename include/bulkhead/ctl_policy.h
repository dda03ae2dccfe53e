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
 *   - "profiles": the accepted behaviour profiles (profiles17): export
 *     documents as `bulkhead monitor profile export` writes them
 *     (bh_behave_parse), each with its key; an agent imports each into its
 *     profile store, as `bulkhead monitor profile import` does, with the
 *     version's modes,
 * each optional. The controller validates a document with the same library
 * parsers the commands use before storing it as the next version; an agent
 * validates it again, whole, before applying it (rules and modes at once).
 * The parser reads untrusted bytes (fuzz/fuzz_ctl_policy.c).
 */
#ifndef BULKHEAD_CTL_POLICY_H
#define BULKHEAD_CTL_POLICY_H

#include "bulkhead/ctl.h"

struct bh_rules;

#define BH_CTL_POLICY_MODES_MAX	   1024
#define BH_CTL_POLICY_GROUP_MAX	   256
#define BH_CTL_POLICY_PROFILES_MAX 64

struct bh_ctl_policy {
	json_t *doc;		/* canonical: {"rules"?, "modes": [...], "net"?} */
	struct bh_rules *rules; /* compiled; NULL when the document has none */
	size_t nrules;		/* rules matched */
	size_t nmodes;
	size_t nprofiles;
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
/* As bh_ctl_policy_set, only if the latest version is still base (0: none
 * yet); else BH_ERR_USAGE (409: it changed since it was read). */
int bh_ctl_policy_set_on(struct bh_ctl_store *s, const char *actor, const json_t *doc, int64_t base,
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

/* ---- actions (dist17): a group's mode, quarantine and release ------------------------------
 *
 * A mode change is a new policy version (the latest with that group's
 * control set), so it reaches every agent as policies do. Quarantine and
 * release are queued per node (table node_actions), handed to the node's
 * agent at its next poll (GET /api/v1/agent/actions: state queued -> sent),
 * executed there with bh_quar_apply / bh_quar_release, and the result posted
 * back (state done or failed, with the error).
 *
 * lease17: a hand-out is a lease. One UPDATE ... RETURNING claims the rows
 * (on PostgreSQL its subquery FOR UPDATE SKIP LOCKED, and the state checked
 * again on the row it updates), so two polls at once never get one action.
 * An action sent whose lease ended without a result (its agent died, the
 * result was lost) is handed out again, its attempts counted; one that
 * reached the attempts without a result is failed with that reason. The first
 * result of an action sent is kept: a late one (after a re-hand) or a second
 * one answers the state recorded, not an error; a result for an action never
 * handed out to that node is refused.
 */
#define BH_CTL_ACTION_LEASE    60 /* s: an agent polls every few s */
#define BH_CTL_ACTION_ATTEMPTS 5
#define BH_CTL_CONTAINER_MAX   128
#define BH_CTL_REASON_MAX      256
#define BH_CTL_ACTIONS_MAX     64 /* handed to an agent at once */

struct bh_ctl_action_req {
	char node[BH_CTL_NAME_MAX + 1];
	char container[BH_CTL_CONTAINER_MAX + 1];
	char reason[BH_CTL_REASON_MAX + 1];
};
struct bh_ctl_mode_req {
	char group[BH_CTL_POLICY_GROUP_MAX + 1];
	char control[16];
	char mode[16];
};
struct bh_ctl_action_result {
	char node[BH_CTL_NAME_MAX + 1];
	int64_t id;
	bool ok;
	char error[BH_CTL_REASON_MAX + 1];
};

/* The bodies' strict parsers (untrusted; fuzz/fuzz_ctl_action.c). */
int bh_ctl_action_req_parse(const char *buf, size_t len, struct bh_ctl_action_req *out,
			    struct bh_error **err);
int bh_ctl_mode_req_parse(const char *buf, size_t len, struct bh_ctl_mode_req *out,
			  struct bh_error **err);
int bh_ctl_action_result_parse(const char *buf, size_t len, struct bh_ctl_action_result *out,
			       struct bh_error **err);

/* A new policy version with m applied; audited "workload.mode". */
int bh_ctl_policy_set_mode(struct bh_ctl_store *s, const char *actor,
			   const struct bh_ctl_mode_req *m, int64_t *version,
			   struct bh_error **err);
/* Queue kind ("quarantine" or "release") for r's node; audited; *id its id.
 * A node never registered is BH_ERR_NOTFOUND. */
int bh_ctl_action_queue(struct bh_ctl_store *s, const char *actor, const char *kind,
			const struct bh_ctl_action_req *r, int64_t *id, struct bh_error **err);
struct bh_ctl_action_lease {
	int64_t lease_s;  /* 0: BH_CTL_ACTION_LEASE */
	int64_t attempts; /* 0: BH_CTL_ACTION_ATTEMPTS */
};
/* The node's actions queued or with an expired lease, marked sent, leased l
 * (NULL: the defaults): [{"id","kind","container","reason","attempt"}] in id
 * order. Those past l's attempts are failed first. */
int bh_ctl_action_take(struct bh_ctl_store *s, const char *node,
		       const struct bh_ctl_action_lease *l, json_t **out, struct bh_error **err);
/* An agent's result for one of its node's actions: recorded when the action
 * is sent; the first result kept (*state, when not NULL: "done" or "failed",
 * the one recorded). Not the node's: BH_ERR_NOTFOUND; never handed out:
 * BH_ERR_USAGE. */
int bh_ctl_action_done(struct bh_ctl_store *s, const struct bh_ctl_action_result *r,
		       const char **state, struct bh_error **err);
/* The actions (of node when not NULL), the newest first, at most 1000. */
int bh_ctl_action_list(struct bh_ctl_store *s, const char *node, json_t **out,
		       struct bh_error **err);

#endif /* BULKHEAD_CTL_POLICY_H */
