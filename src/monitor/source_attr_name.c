// SPDX-License-Identifier: Apache-2.0
/*
 * The kernel source's attribution (source_attr.c), its naming (mon_attr_name:
 * bh_mon_source_refine through the kernel source's refine op, any thread): a
 * provisional container (an engine's, found by a quick read or a mkdir path:
 * its names and image come with a full list only) named from a full list
 * started after its event, or a full list's gone container in the grace list.
 * It asks the lists' thread for a list past the state watch's floor
 * (name_req, with a wake: one such list per MON_NAME_FLOOR_NS) and waits on
 * the installs (the lock let go while it waits), until twice the last list's
 * duration + MON_NAME_WAIT_NS after its wait began, at most MON_NAME_WAIT_MAX;
 * with no thread (tests) it lists itself, at the same rate.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/containers.h"
#include "source_internal.h"
#include "attr_internal.h"
#include "banned.h"

#define MON_NAME_WAIT_NS  1000000000ULL /* waited for twice the last list's duration + 1 s, */
#define MON_NAME_WAIT_MAX 3000000000ULL /* at most 3 s */

/* The container of ID id in the current full list, else a full list's
 * gone one in the grace list, into *out (lock held). */
static bool find_named(struct mon_attr *a, const char *id, struct bh_mon_container *out)
{
	uint64_t now = mon_attr_now_ns(CLOCK_MONOTONIC);

	for (size_t i = 0; a->ctrs && i < a->ctrs->n; i++)
		if (!strcmp(a->ctrs->v[i].id, id)) {
			mon_container_fill(out, &a->ctrs->v[i]);
			return true;
		}
	for (size_t i = 0; i < MON_GRACE; i++) {
		const struct grace_entry *g = &a->grace[i];

		if (g->gone_ns && !g->provisional && now - g->gone_ns <= MON_GRACE_NS &&
		    !strcmp(g->c.id, id)) {
			*out = g->c;
			return true;
		}
	}
	return false;
}

/* The lists' thread asked for a full list for a naming (lock held; pend_lock
 * taken inside): woken as a state change wakes it. */
static void name_wake(struct mon_attr *a)
{
	bool wake;

	a->name_req = true;
	pthread_mutex_lock(&a->pend_lock);
	wake = a->thr_up && !a->wake_pending;
	if (wake)
		a->wake_pending = true;
	pthread_mutex_unlock(&a->pend_lock);
	if (wake && write(a->wake[1], "w", 1) < 0) {
		/* full: a wake is pending already */
	}
}

int mon_attr_name(struct mon_attr *a, struct bh_mon_container *c, uint64_t ev_boot,
		  uint64_t since_mono)
{
	struct bh_mon_container x;
	uint64_t deadline, wait, now;
	int rc = 0;

	pthread_mutex_lock(&a->lock);
	/* a list in flight at the event's time does not count: it, then the
	 * one asked for */
	wait = 2 * a->list_cost_ns + MON_NAME_WAIT_NS;
	deadline = since_mono + (wait < MON_NAME_WAIT_MAX ? wait : MON_NAME_WAIT_MAX);
	for (;;) {
		struct timespec ts;
		uint64_t until;

		/* a full list started after the event (a quick read found the
		 * container before, so its state was there for the list) */
		if (a->ctrs && a->relist_boot_ns > ev_boot && find_named(a, c->id, &x)) {
			*c = x;
			rc = 1;
			break;
		}
		now = mon_attr_now_ns(CLOCK_MONOTONIC);
		if (now >= deadline)
			break;
		until = now + MON_NAME_FLOOR_NS < deadline ? now + MON_NAME_FLOOR_NS : deadline;
		if (!a->thr_up) {
			/* no thread (tests): listed here, within the same rate */
			if (now - a->name_list_ns >= MON_NAME_FLOOR_NS) {
				a->name_list_ns = now;
				mon_attr_relist_quiet(a); /* the lock let go while it lists */
				continue;
			}
			until = a->name_list_ns + MON_NAME_FLOOR_NS < deadline
					? a->name_list_ns + MON_NAME_FLOOR_NS
					: deadline;
		} else {
			name_wake(a);
		}
		ts.tv_sec = (time_t)(until / 1000000000ULL);
		ts.tv_nsec = (long)(until % 1000000000ULL);
		/* the lock let go while it waits: the installs signal */
		pthread_cond_timedwait(&a->installed, &a->lock, &ts);
	}
	pthread_mutex_unlock(&a->lock);
	bh_debug("monitor: container %s: %s %llu ms after the naming's wait began (last full list "
		 "%llu us)",
		 c->id, rc ? "named" : "not named",
		 (unsigned long long)(mon_attr_now_ns(CLOCK_MONOTONIC) - since_mono) / 1000000,
		 (unsigned long long)a->list_cost_ns / 1000);
	return rc;
}
