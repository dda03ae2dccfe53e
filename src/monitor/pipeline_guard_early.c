// SPDX-License-Identifier: Apache-2.0
/*
 * A container's first exec under the monitor's guard (pipeline_guard.c):
 * the answer to an exec through a mount no watch has (bh_guard_watch_early's
 * opts.unknown), made while the process waits.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "bulkhead/base.h"
#include "bulkhead/containers.h"
#include "pipeline_internal.h"
#include "pipeline_guard.h"
#include "banned.h"

#define EARLY_KNOWN	 4096 /* cgroups told, forgotten all at once past it */
#define EARLY_LISTS	 10   /* lists at once, */
#define EARLY_LIST_MS	 100  /* then one per 100 ms on average */
#define EARLY_CGROUP_MAX 4096 /* /proc/PID/cgroup */

/*
 * The guard's opts.unknown (bh_guard_watch_early): process pid executes a file
 * through a mount of its own mount namespace that no watch has. Its cgroups
 * (/proc/PID/cgroup, whole: the key) told before, and no state written since:
 * not one to watch (the host's: the cost of a host process in a namespace of
 * its own is one read). Else the containers are listed (as a rescan, now: a
 * runtime writes its state before it starts the workload) and pid's container,
 * watched through one() if its profile or the rules ask: 1, decided by that
 * watch. Bounded: EARLY_LISTS lists at once, then one per EARLY_LIST_MS; past
 * it, or a list that fails: -1, answered per --fail-closed (warned of once).
 */
int mon_guard_early(pid_t pid, void *arg)
{
	struct mon_guard *mg = arg;
	struct bh_buf b = BH_BUF_INIT(EARLY_CGROUP_MAX);
	struct bh_ctr_list *l = NULL;
	struct bh_error *err = NULL;
	const struct bh_ctr *c;
	struct pollfd pf = { .fd = bh_ctr_watch_fd(mg->watch), .events = POLLIN };
	uint64_t now = mon_guard_mono_ms();
	char path[64];
	int r = 0;

	/* a state written since: a cgroup told "not a container" may be one now
	 * (its state comes after its cgroup), and the loop owes a rescan */
	if (pf.fd >= 0 && poll(&pf, 1, 0) > 0 && (pf.revents & POLLIN) &&
	    bh_ctr_watch_changed(mg->watch)) {
		mg->early_created = true;
		bh_map_free(mg->early_known, NULL);
		mg->early_known = bh_map_new();
	}
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (bh_read_file(path, &b, &err) < 0)
		goto fail;
	if (bh_map_get(mg->early_known, b.data, b.len))
		goto out;
	if (mg->early_tokens_ms < now - EARLY_LISTS * EARLY_LIST_MS)
		mg->early_tokens_ms = now - EARLY_LISTS * EARLY_LIST_MS;
	if (mg->early_tokens_ms + EARLY_LIST_MS > now) {
		bh_error_set(&err, BH_ERR_LIMIT,
			     "more than %d container lists at once, or one per %d ms", EARLY_LISTS,
			     EARLY_LIST_MS);
		goto fail;
	}
	mg->early_tokens_ms += EARLY_LIST_MS;
	if (bh_ctr_list(mg->go->containers, &l, &err) < 0)
		goto fail;
	c = bh_ctr_lookup_pid(l, mg->go->containers, pid, &err);
	if (!c && err)
		goto fail;
	if (c && c->pid > 0 && c->status && strcmp(c->status, "stopped")) {
		struct gctr *gc = mon_guard_find(mg, c->id);

		/* watched already, but not this mount (marks set before its init
		 * made its mounts): watched again */
		if (gc)
			gc->exec_sig = 0;
		mon_guard_one(mg, c, false);
		gc = mon_guard_find(mg, c->id);
		r = gc && gc->watched;
		bh_log(BH_LOG_DEBUG, "guard: process %d: container %s %s at its exec", (int)pid,
		       c->id, r ? "watched" : "not to watch");
	}
	/* told: its next execs (of a mount its watch does not have) ask no list */
	if (bh_map_size(mg->early_known) >= EARLY_KNOWN) {
		bh_map_free(mg->early_known, NULL);
		mg->early_known = bh_map_new();
	}
	bh_map_put(mg->early_known, b.data, b.len, (void *)1);
	goto out;
fail:
	r = -1;
	mon_guard_count(mg->p, &mon_stats(mg->p)->guard_errors, 1);
	if (!mg->early_warned) {
		bh_error_prefix(&err,
				"guard: the container of process %d (an exec through a mount no "
				"watch has) could not be told, its exec %s (said once)",
				(int)pid,
				mg->go->fail_closed ? "refused (fail-closed)"
						    : "allowed (fail-open)");
		mon_warn(mg->p, &err);
		mg->early_warned = true;
	}
	bh_error_clear(&err);
out:
	bh_ctr_list_free(l);
	bh_buf_release(&b);
	return r;
}
