/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the kernel source's attribution (src/monitor/source_attr*.c),
 * prefix mon_attr_: its state and the entries its parts share. What each
 * lock covers is said at its fields; their order in source_attr.c's header.
 *
 *   source_attr.c        the cache, the lists, the state watch's quick reads,
 *                        the threads; mon_attr_get
 *   source_attr_grace.c  the containers gone (or read at once) kept a while
 *   source_attr_cg.c     the cgroups made and the directories the watch named:
 *                        a container by its cgroup's mkdir path
 *   source_attr_name.c   a provisional container named from a full list
 */
#ifndef BULKHEAD_MONITOR_ATTR_INTERNAL_H
#define BULKHEAD_MONITOR_ATTR_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "bulkhead/base.h"
#include "bulkhead/containers.h"
#include "bulkhead/monitor.h"
#include "source_internal.h"

#define MON_GRACE	  256		    /* containers gone kept, */
#define MON_GRACE_NS	  10000000000ULL    /* for 10 s */
#define MON_PEND	  64		    /* quick reads handed over, not yet kept */
#define MON_CGROUPS	  4096		    /* cgroups made, noted (the oldest evicted) */
#define MON_CG_HASH	  (2 * MON_CGROUPS) /* their index by id (linear probing) */
#define MON_SEEN	  256		    /* container directories the watch named */
#define MON_NAME_FLOOR_NS 100000000ULL	    /* a naming's list past the floor: one per 100 ms */

struct attr_entry {
	uint64_t cg2, pids;
	uint64_t at_ns;	   /* a host answer: when to check again */
	uint64_t first_ns; /* when the id was first seen */
	uint64_t gen;	   /* the list it was looked up in */
	uint64_t lists;	   /* provisional: the full lists installed when last looked up */
	uint64_t seen_at;  /* the watch's directories named (nseen) at its last mkdir lookup */
	uint8_t misses;
	uint8_t exec_lists; /* lists made for its execs past the floors */
	bool used, found;
	bool provisional; /* found by a quick read: looked up again in each new full list */
	struct bh_mon_container c;
};

struct grace_entry {
	uint64_t cg2, pids; /* 0: not known */
	uint64_t gone_ns;   /* 0: an empty slot */
	bool provisional;   /* a quick read's (no engine's names), not a full list's */
	struct bh_mon_container c;
};

/* A cgroup made (mon_attr_note_cgroup). */
struct cg_note {
	uint64_t id; /* 0: an empty slot */
	bool pids;   /* the v1 pids hierarchy's, else cgroup2's */
	char path[MON_CG_PATH_MAX];
};

/* A container directory the state watch named (its state read or gone). */
struct seen_dir {
	uint64_t at_ns; /* CLOCK_MONOTONIC; 0: an empty slot */
	char id[BH_MON_CID_MAX];
	char runtime[BH_MON_RUNTIME_MAX];
	bool engine; /* an engine's directory (dockerd's, containerd's): names to come */
};

struct mon_attr {
	const struct bh_ctr_opts *copts;
	struct bh_ctr_list *ctrs;
	uint64_t gen;	/* lists made, quick reads that found containers */
	uint64_t lists; /* full lists installed */
	double tokens, exec_tokens;
	uint64_t token_ns, relist_ns;
	uint64_t relist_boot_ns; /* CLOCK_BOOTTIME of the last list */
	struct attr_entry *cache;
	struct grace_entry *grace;
	size_t grace_next;	 /* the ring's next slot */
	uint64_t list_cost_ns;	 /* how long the last list took */
	uint64_t watch_floor_ns; /* MON_WATCH_FLOOR_NS unless the options say */
	pthread_mutex_t lock; /* ctrs, gen, lists, relist_*, list_cost_ns, grace, drained_boot_ns */
	pthread_mutex_t watch_lock; /* watch: its reads and the quick reads of what they name */
	/* pend_lock: pend, npend, pend_boot_ns, wake_pending; the innermost lock,
	 * held for a few stores only (the watch's thread never waits on lock) */
	pthread_mutex_t pend_lock;
	struct bh_ctr_list *pend[MON_PEND]; /* quick reads not kept yet (NULL: read nothing) */
	size_t npend;
	uint64_t pend_boot_ns; /* drained_boot_ns, once pend is kept */
	bool wake_pending;     /* a wake written, the lists' thread has not read it */
	/* a naming (mon_attr_name) waits for a full list (lock): the lists'
	 * thread lists past the watch's floor, one per MON_NAME_FLOOR_NS */
	bool name_req;
	uint64_t name_list_ns;	  /* CLOCK_MONOTONIC of the last list a naming asked */
	pthread_cond_t installed; /* install() ran (lock) */
	uint64_t nlists, lists_ns, lists_max_ns; /* the full lists' count, duration (lock) */
	uint64_t drained_boot_ns; /* CLOCK_BOOTTIME the last complete watch read started */
	/* the cgroups made (the consumer's notes, lock held): a ring, the oldest
	 * evicted, indexed by (id, hierarchy) in cg_hash (cgs' index + 1; 0: empty) */
	struct cg_note *cgs;
	size_t cg_next;
	uint32_t *cg_hash;
	uint64_t by_mkdir; /* ids attributed through a mkdir's path */
	/* the container directories the watch named, a ring (pend_lock) */
	struct seen_dir *seen;
	size_t seen_next;
	uint64_t nseen;		  /* directories named so far */
	struct bh_guard_rdv *rdv; /* rdv, stop, wake: the thread's */
	struct bh_ctr_watch *watch;
	int stop[2];	     /* the thread's end: its read end readable */
	int wake[2];	     /* the lists' thread woken (wake_pending set) */
	pthread_t thr, wthr; /* the lists' and rendezvous' thread, the watch's */
	bool thr_up, wthr_up;
};

/* clock_gettime(c) in ns. */
static inline uint64_t mon_attr_now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* source_attr.c: the pids (v1) and cgroup2 ids of c (0 when it has none); a
 * list made the current one (lock held on entry and on return, dropped while
 * it lists). */
void mon_attr_ctr_ids(const struct bh_ctr *c, uint64_t *pids, uint64_t *cg2);
void mon_attr_relist_quiet(struct mon_attr *a);

/* source_attr_grace.c (lock held): the container of pids, else cg2, in its
 * grace; the containers of old that l does not hold kept; a quick read's (or
 * a mkdir path's) kept, provisional. */
const struct grace_entry *mon_attr_find_gone(const struct mon_attr *a, uint64_t cg2, uint64_t pids);
void mon_attr_keep_gone(struct mon_attr *a, const struct bh_ctr_list *old,
			const struct bh_ctr_list *l);
bool mon_attr_keep_quick(struct mon_attr *a, uint64_t pids, uint64_t cg2,
			 const struct bh_mon_container *c, uint64_t now);

/* source_attr_cg.c: a watch read's directories noted (pend_lock held), e's
 * container by its cgroups' mkdir paths (lock held). */
void mon_attr_seen_note(struct mon_attr *a, const struct bh_strvec *dirs,
			const struct bh_ctr_opts *o);
bool mon_attr_find_mkdir(struct mon_attr *a, struct attr_entry *e);

#endif
