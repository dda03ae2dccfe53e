/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Learned behaviour profiles at the controller (issue 17, profiles17): what
 * each node's agent learned per workload (the export document of
 * include/bulkhead/behave.h) is posted by the agent (POST
 * /api/v1/agent/profiles), stored once per (node, key, digest), listed, and
 * accepted by an admin into the node policy (a new version holding the
 * profile under "profiles" and its mode under "modes"), which the agents
 * pull and enforce. The body parsers read untrusted bytes
 * (fuzz/fuzz_ctl_profiles.c).
 */
#ifndef BULKHEAD_CTL_PROFILES_H
#define BULKHEAD_CTL_PROFILES_H

#include "bulkhead/behave.h"
#include "bulkhead/ctl.h"

#define BH_CTL_PROFILES_REPORT_MAX 16		 /* profiles in one report */
#define BH_CTL_PROFILE_DIGEST_MAX  BH_DIGEST_MAX /* "sha256:" + 64 hex, NUL */

/*
 * An agent's report: {"node", "policy_version"?, "modes"?: [{"group",
 * "control", "mode"}] (the modes the agent applied and runs), "profiles"?:
 * [export documents, each with its key]}. Each profile is checked with
 * bh_behave_parse; more than BH_CTL_PROFILES_REPORT_MAX, an unknown member,
 * a bad mode: BH_ERR_INVALID naming it.
 */
struct bh_ctl_profile_report {
	char node[BH_CTL_NAME_MAX + 1];
	int64_t policy_version; /* 0: none given */
	json_t *modes;		/* [{"group","control","mode"}], never NULL */
	json_t *profiles;	/* the checked documents, never NULL */
};
int bh_ctl_profile_report_parse(const char *buf, size_t len, struct bh_ctl_profile_report *out,
				struct bh_error **err);
void bh_ctl_profile_report_release(struct bh_ctl_profile_report *r);

/* The digest of what a profile allows ("sha256:..."): the document without
 * its counters and times (events, counts, first/last seen, learned seconds,
 * containers), its keys sorted; the same profile learned on gives the same
 * digest. */
void bh_ctl_profile_digest(const json_t *doc, char out[BH_CTL_PROFILE_DIGEST_MAX]);
/* The document an accepted profile is kept as: the items without counters,
 * key and mode (and zero drift) as given. New reference. */
json_t *bh_ctl_profile_stripped(const json_t *doc, const char *key, const char *mode);

/* Store a report: each profile upserted by (node, key) only when its digest
 * changed (*stored counts those), the node's running modes replaced. */
int bh_ctl_profiles_put(struct bh_ctl_store *s, const struct bh_ctl_profile_report *r,
			size_t *stored, struct bh_error **err);
/* {"profiles": [{"node", "key", "digest", "mode", "items", "processes", "files",
 * "listen", "outbound", "inbound", "updated", "accepted" (the mode it is
 * accepted in in the latest policy, or null), "profile" (the document: only
 * when key is given)}], "nodes": [{"node", "policy_version", "modes",
 * "updated"}]} of node (NULL: all) and key (NULL: all), at most 1000 rows. */
int bh_ctl_profiles_list(struct bh_ctl_store *s, const char *node, const char *key, json_t **out,
			 struct bh_error **err);

/* POST /api/v1/profiles/accept: {"key", "mode": "monitor"|"protect",
 * "node"?: the node whose learned profile (default: the latest updated)}. */
struct bh_ctl_accept_req {
	char node[BH_CTL_NAME_MAX + 1]; /* "": any */
	char key[BH_BEHAVE_KEY_MAX];
	char mode[16];
	/* the digest of the learned profile the admin reviewed (GET
	 * /api/v1/profiles): required by the parser; "" (a library caller): the
	 * latest, whatever it is */
	char digest[BH_CTL_PROFILE_DIGEST_MAX];
};
int bh_ctl_accept_req_parse(const char *buf, size_t len, struct bh_ctl_accept_req *out,
			    struct bh_error **err);
/*
 * Accept the learned profile r names into the node policy: a new version
 * (made from the latest, set only if none came since: else BH_ERR_USAGE)
 * with the profile (stripped) under "profiles" and {"group": key, "control":
 * "behaviour", "mode"} under "modes", validated whole; audited
 * "profile.accept" with the accepted entry before and after. No learned
 * profile: BH_ERR_NOTFOUND; a policy that would pass BH_CTL_BODY_MAX:
 * BH_ERR_LIMIT. *version the new version, *digest (may be NULL) the
 * profile's digest.
 */
int bh_ctl_profile_accept(struct bh_ctl_store *s, const char *actor,
			  const struct bh_ctl_accept_req *r, int64_t *version,
			  char digest[BH_CTL_PROFILE_DIGEST_MAX], struct bh_error **err);

#endif /* BULKHEAD_CTL_PROFILES_H */
