/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's behaviour profiles (issue 17, profiles17): the monitor run by
 * the agent learns and checks behaviour profiles (include/bulkhead/behave.h)
 * in the profile store state_dir/profiles.sqlite (or the one given).
 *
 *  - a node policy version (include/bulkhead/ctl_policy.h) is applied on the
 *    detection thread when it swaps the version in, before that event is
 *    checked: its accepted profiles imported (bh_behave_import, as `bulkhead
 *    monitor profile import`), then its modes set (bh_behave_set_mode, as
 *    `bulkhead monitor profile set-mode`; syscall modes with
 *    bh_prof_store_set_mode), and a group the version before set and this one
 *    no longer names goes back to discover; the modes that took are "running";
 *  - the shipper thread reports, every interval, what was learned: each
 *    profile whose digest (bh_ctl_profile_digest) changed since it was last
 *    acknowledged, one a request (POST /api/v1/agent/profiles), read through a
 *    connection of its own (check mode: it writes nothing), with the modes
 *    running; at most AGP_REPORT_MAX profiles an interval, AGP_KEYS_MAX keys
 *    remembered.
 */
#ifndef BULKHEAD_AGENT_PROFILES_H
#define BULKHEAD_AGENT_PROFILES_H

#include <pthread.h>
#include <stdint.h>

#include "bulkhead/behave.h"
#include "bulkhead/ctl_policy.h"
#include "bulkhead/ctl_profiles.h"

#define AGP_REPORT_MAX 64   /* profiles posted in one interval */
#define AGP_KEYS_MAX   1024 /* digests remembered */

struct agp_sent {
	char key[BH_BEHAVE_KEY_MAX];
	char digest[BH_CTL_PROFILE_DIGEST_MAX];
};

struct agent_profiles {
	char *store;		   /* the profile store's path */
	struct bh_behave *det;	   /* the detection thread's (the monitor's) */
	struct bh_prof_store *sys; /* syscall modes (the detection thread's) */
	pthread_mutex_t mu;
	json_t *running;	 /* [{"group","control","mode"}] applied (mu) */
	int64_t running_version; /* the version they are from (mu) */
	uint64_t applied, apply_errors;
	/* the shipper's own */
	struct agp_sent *sent;
	size_t nsent;
	int64_t modes_reported; /* the running version last reported (-1: never) */
	uint64_t reported;	/* profiles acknowledged */
};

/* The store opened (made when missing). */
int agent_profiles_open(struct agent_profiles *p, const char *store, struct bh_error **err);
void agent_profiles_close(struct agent_profiles *p);

/* On the detection thread: apply pol (version); errors are returned after
 * the rest was applied (the first one). */
int agent_profiles_apply(struct agent_profiles *p, const struct bh_ctl_policy *pol, int64_t version,
			 struct bh_error **err);

/* A POST of body (len bytes) to path; *ans the answer (the caller frees). */
typedef int (*agp_post_fn)(void *ctx, const char *path, const char *body, size_t len, json_t **ans,
			   struct bh_error **err);
/* On the shipper: report what changed (node's), posted with post. */
int agent_profiles_report(struct agent_profiles *p, const char *node, agp_post_fn post, void *ctx,
			  struct bh_error **err);

#endif /* BULKHEAD_AGENT_PROFILES_H */
