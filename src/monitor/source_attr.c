// SPDX-License-Identifier: Apache-2.0
/*
 * The kernel source's attribution (source_internal.h, mon_attr_*): a record's
 * cgroup ids to its container. One state (struct mon_attr, attr_internal.h:
 * what each of its three locks covers) shared by two threads and the reader;
 * the locks' order: watch_lock, lock, pend_lock. Its parts: the grace list
 * (source_attr_grace.c), the cgroups' mkdir paths (source_attr_cg.c), the
 * naming (source_attr_name.c).
 *
 *  - by the record's v1 pids cgroup id, then its cgroup2 id, exact matches
 *    against a cached bh_ctr_list first, then through bh_ctr_lookup_cgroup_id
 *    (sub-cgroups), then in the grace list. An id no container has
 *    makes a new list (an id seen for the first MON_YOUNG_MISSES times: at
 *    once, one list per MON_RELIST_FLOOR_NS at most; for its first
 *    MON_YOUNG_NS, every MON_YOUNG_CHECK_NS, one list per MON_YOUNG_FLOOR_NS
 *    at most (runc's state is written after its init ran in the cgroup, and
 *    later still on a loaded host); then: a token bucket, MON_RELIST_BURST at
 *    once, one per MON_RELIST_NS on average; a list made for one id answers
 *    the others too); an id still unknown is the host, checked again after
 *    MON_NEGATIVE_MIN_NS doubling with each miss up to ~5 s. An exec newer
 *    than the last list lists again past those limits (a runtime writes the
 *    state before the first exec; a few times per id, and at most one per
 *    10 ms on average across ids). A container's id is cached once found
 *    (kernfs ids are not reused). Stopped containers are listed too
 *    (include_stopped).
 *  - containers are learned at their start, not only when their events are
 *    read (a container that runs for milliseconds may be deleted, its state
 *    with it, before its records are read on a loaded host):
 *      the rendezvous (bh_guard_rdv_*, when opts ask for it): the source
 *        serves a directory of its own under BH_GUARD_RDV_DIR as the guard
 *        does, and bulkhead's start waits for its answer, given once a list
 *        made after the request holds the container;
 *      the runtimes' state directories (bh_ctr_watch_*): a state written
 *        (runc, crun, the engines over them: at create) lists again, at most
 *        one list per MON_WATCH_FLOOR_NS or MON_WATCH_COST times the
 *        last list's duration (capped at that duration +
 *        MON_WATCH_SLACK_NS), whichever is longer (a change within it
 *        lists once after); the container directories the change names
 *        are read at once, alone (bh_ctr_list_dirs: one small read, not a
 *        full list), and their containers kept in the grace list by their
 *        cgroup ids, provisional (below): runc run deletes a short-lived
 *        container's state at its exit, before a full list held back by
 *        the floor (nine containers at once: a few hundred ms) sees it.
 *    Both are served by a thread of the attribution's own (it lists the
 *    containers and answers; mon_attr_get and it share the list and the
 *    grace list under a lock), so a start never waits on the consumer of
 *    the events (a pager, a stuck sink, a stopped monitor). A request is
 *    answered only once a list succeeded; one not answered is read again.
 *    The state watch has a thread of its own (watch_main), MON_WATCH_NICE
 *    less nice when it may be: what a change names is read as soon as it is
 *    made, never behind a full list (tens of ms with a dozen containers,
 *    seconds when an engine's socket is slow) or the lists' floors; the
 *    lists' thread is woken for the full list (wake). A runc run of one
 *    action deletes its state tens of ms after it wrote it: when the lists'
 *    thread also read the watch, on a loaded host (load 10-15, 2 cores) a
 *    few such states were gone before it did, and their events (read later
 *    still) were the host's (1 alert of 48 in 3 runs of 4). The thread
 *    never waits on the lock: what it reads it hands over (pend, under
 *    pend_lock, held for a few stores), and mon_attr_get keeps it under the
 *    lock at its next call (keep_pending). Before, it took the lock to keep
 *    each read, watch_lock held, and mon_attr_get holds the lock record
 *    after record while it looks ids up (a sub-cgroup's lookup reads the
 *    mounts and opens a handle per hierarchy): with --debug, each missed
 *    container (5 alerts of 288 in 6 runs at load 1-3) had its state
 *    written and its directory deleted while the thread waited there 14 to
 *    78 ms, all its events read in one batch after (IN_MOVED_TO of
 *    state.json, then IN_IGNORED), its directory gone.
 *  - mon_attr_get reads the state watch itself before it calls an id the
 *    host (a new id, or one backed off, young or not): a runtime writes the state
 *    at create, before its container's first process runs, so the change
 *    is queued when that process's records are read, even when the thread
 *    has not run yet (a dozen runc run at once on a loaded host: the record
 *    was decided first, the id the host's, 4 to 13 alerts of 48). The
 *    watch is read under watch_lock (taken before the lock), by the thread
 *    or mon_attr_get, and what a read names is read and handed over before
 *    watch_lock is let go (kept by mon_attr_get before it decides), so a
 *    change is never half seen by either; a change read by either wakes
 *    the lists' thread for its full list (wake_pending: one wake at a time). A
 *    record whose event happened before a complete read of the watch
 *    started needs no read of its own (drained_boot_ns: one read per
 *    batch of records, not a syscall each).
 *    Neither holds the lock while it lists (tens of ms with a dozen
 *    containers), so the other reads the watch meanwhile.
 *  - provisional: a container found through a quick read has its ID, runtime
 *    and cgroups but not the engines' names and images (podman's, dockerd's
 *    names, the image); its cache entry is looked up again in each full list
 *    installed after, and the full list's entry (or its grace entry, gone)
 *    replaces it, so the later events carry them; a quick read never
 *    replaces a full list's grace entry. One no full list ever holds stays
 *    provisional for MON_GRACE_NS.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/containers.h"
#include "bulkhead/guard.h"
#include "source_internal.h"
#include "attr_internal.h"
#include "banned.h"

#define MON_ATTR	    1024	  /* the attribution cache (direct-mapped by ids) */
#define MON_RELIST_NS	    50000000ULL	  /* container lists: one per 50 ms on average, */
#define MON_RELIST_BURST    5		  /* and at most 5 at once; */
#define MON_RELIST_FLOOR_NS 1000000ULL	  /* a young id: one list per ms at most */
#define MON_YOUNG_MISSES    3		  /* misses before an id is backed off */
#define MON_YOUNG_NS	    2000000000ULL /* an id this young is checked every */
#define MON_YOUNG_CHECK_NS  25000000ULL	  /* 25 ms (no doubling), a list per 5 ms at most */
#define MON_YOUNG_FLOOR_NS  5000000ULL
#define MON_EXEC_RELISTS    8		/* lists an id's execs may ask for past the floors, */
#define MON_EXEC_LIST_NS    10000000ULL /* and all ids' together: one per 10 ms on average, */
#define MON_EXEC_LIST_BURST 10		/* 10 at once (ids that share a cache slot reset theirs) */
#define MON_NEGATIVE_MIN_NS                                                                        \
	10000000ULL /* an id of no container: the host for 10 ms, doubling to 5 s */
#define MON_WATCH_FLOOR_NS 20000000ULL	/* a state written: one list per 20 ms at most, */
#define MON_WATCH_COST	   10		/* and per 10 times the last list's duration, */
#define MON_WATCH_SLACK_NS 500000000ULL /* but at most that duration + 500 ms */
#define MON_RDV_RETRY_MS   100		/* a list failed: the requests read again after */
#define MON_WATCH_NICE	   10		/* the watch's thread: this much less nice */

static void debug_err(const char *what, struct bh_error *err)
{
	char *m = bh_error_message(err);

	bh_debug("monitor: %s: %s", what, m);
	free(m);
	bh_error_free(err);
}

static bool has_controller(const char *list, const char *name)
{
	size_t l = strlen(name);

	for (const char *p = list; p && *p;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);

		if (n == l && !strncmp(p, name, l))
			return true;
		p = c ? c + 1 : p + n;
	}
	return false;
}

/* The pids (v1) and cgroup2 ids of c (0 when it has none). */
void mon_attr_ctr_ids(const struct bh_ctr *c, uint64_t *pids, uint64_t *cg2)
{
	*pids = *cg2 = 0;
	for (size_t j = 0; j < c->ncgroups; j++) {
		const struct bh_ctr_cgroup *g = &c->cgroups[j];

		if (!g->id || !strcmp(g->path, "/"))
			continue;
		if (has_controller(g->controller, "pids"))
			*pids = g->id;
		else if (!*g->controller)
			*cg2 = g->id;
	}
}

static const struct bh_ctr *find_listed(struct mon_attr *a, uint64_t cg2, uint64_t pids)
{
	const struct bh_ctr_list *l = a->ctrs;
	const struct bh_ctr *c = NULL;

	if (!l)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		for (size_t j = 0; j < l->v[i].ncgroups; j++) {
			const struct bh_ctr_cgroup *g = &l->v[i].cgroups[j];

			if (!g->id || !strcmp(g->path, "/"))
				continue;
			if (pids > 1 && g->id == pids && has_controller(g->controller, "pids"))
				return &l->v[i];
			if (cg2 > 1 && g->id == cg2 && !*g->controller)
				c = &l->v[i];
		}
	if (c)
		return c;
	if (pids > 1 && (c = bh_ctr_lookup_cgroup_id(l, a->copts, pids)))
		return c;
	if (cg2 > 1)
		c = bh_ctr_lookup_cgroup_id(l, a->copts, cg2);
	return c;
}

/* The container of e's ids into e (lock held): a listed one, else one in the
 * grace list (gone, or a quick read's: then provisional). */
static bool find(struct mon_attr *a, struct attr_entry *e)
{
	const struct bh_ctr *c = find_listed(a, e->cg2, e->pids);
	const struct grace_entry *g;

	e->lists = a->lists;
	if (c) {
		mon_container_fill(&e->c, c);
		e->provisional = false;
		return true;
	}
	if ((g = mon_attr_find_gone(a, e->cg2, e->pids))) {
		e->c = g->c;
		e->provisional = g->provisional;
		return true;
	}
	return false;
}

/* A found provisional entry looked up again once a full list was installed
 * since (lock held): the full list's (or its gone container's, with the
 * engines' names and images) replaces it; one no full list holds stays
 * provisional, and is given up MON_GRACE_NS after it was first seen. */
static void refine(struct mon_attr *a, struct attr_entry *e, uint64_t now)
{
	struct attr_entry x = *e;

	if (e->lists == a->lists)
		return;
	if (find(a, &x) && !x.provisional) {
		*e = x;
		return;
	}
	e->lists = a->lists;
	if (now - e->first_ns > MON_GRACE_NS) {
		/* given up: its events no longer say provisional (each alert
		 * would wait out the naming's deadline and force lists) */
		e->provisional = false;
		e->c.provisional = false;
	}
}

/* Whether a container of engine e has names only a full list gives (the
 * engine's, through its socket or store). */
static bool engine_names(enum bh_ctr_engine e)
{
	return e == BH_CTR_PODMAN || e == BH_CTR_DOCKER || e == BH_CTR_CONTAINERD ||
	       e == BH_CTR_CRIO;
}

/* The containers of a quick read (bh_ctr_list_dirs: the directories a state
 * watch named) kept by their ids in the grace list as if gone now, marked
 * provisional (lock held): one deleted before the next full list (runc run's
 * short-lived container, its state gone at its exit) is still attributed for
 * MON_GRACE_NS; a listed container is found in the list first, and a full
 * list's entry of the same ids is not replaced. */
static void keep_early(struct mon_attr *a, const struct bh_ctr_list *l)
{
	uint64_t now = mon_attr_now_ns(CLOCK_MONOTONIC);
	bool kept = false;

	for (size_t i = 0; i < l->n; i++) {
		struct bh_mon_container c;
		uint64_t pids, cg2;

		mon_attr_ctr_ids(&l->v[i], &pids, &cg2);
		if (pids <= 1 && cg2 <= 1)
			bh_debug("monitor: container %s read at once: no cgroup ids (%s)",
				 l->v[i].id, l->v[i].status ? l->v[i].status : "");
		/* one the full list holds is found there: no slot for it */
		if ((pids <= 1 && cg2 <= 1) || find_listed(a, cg2, pids))
			continue;
		mon_container_fill(&c, &l->v[i]);
		/* an engine's: its names come with a full list (a runtime's
		 * own container has none to wait for) */
		c.provisional = engine_names(l->v[i].engine);
		if (!mon_attr_keep_quick(a, pids, cg2, &c, now))
			continue;
		kept = true;
		bh_debug("monitor: container %s read at once: cgroup ids %llu (cgroup2), %llu "
			 "(pids)",
			 l->v[i].id, (unsigned long long)cg2, (unsigned long long)pids);
	}
	if (kept)
		a->gen++; /* the ids missed before are looked up again */
}

/* Whether l holds the container of the container directory dir (its last
 * component is the container's ID). */
static bool dir_found(const struct bh_ctr_list *l, const char *dir)
{
	const char *id = strrchr(dir, '/');

	for (size_t i = 0; id && i < l->n; i++)
		if (!strcmp(l->v[i].id, id + 1))
			return true;
	return false;
}

/* The quick reads handed over by watch_drain kept (lock held; pend_lock
 * taken inside): their containers into the grace list (keep_early), and
 * drained_boot_ns moved to the start of the last read they came from. */
static void keep_pending(struct mon_attr *a)
{
	struct bh_ctr_list *p[MON_PEND];
	uint64_t boot;
	size_t n;

	pthread_mutex_lock(&a->pend_lock);
	n = a->npend;
	memcpy(p, a->pend, n * sizeof(*p));
	a->npend = 0;
	boot = a->pend_boot_ns;
	pthread_mutex_unlock(&a->pend_lock);
	for (size_t i = 0; i < n; i++) {
		keep_early(a, p[i]);
		bh_ctr_list_free(p[i]);
	}
	if (boot > a->drained_boot_ns)
		a->drained_boot_ns = boot;
}

/*
 * The state watch's changes read, and the container directories they name
 * read at once, alone, and handed over (pend, kept by keep_pending under the
 * lock): by the watch's thread when its fd is readable, by mon_attr_get
 * before it calls an id the host (a runtime writes the state before its
 * container's first process runs, so the change is queued by the time that
 * process's records are read). Called without the lock, and never waits on
 * it (but with MON_PEND reads not kept: the consumer has not called since):
 * mon_attr_get holds it while it looks ids up (a sub-cgroup's lookup reads
 * the mounts and opens a handle per hierarchy), record after record, and a
 * thread that waited on it (it took it to keep what it read) waited 14 to
 * 78 ms while a dozen runc run at once, the watch unread: a one-action
 * container's state was written and deleted meanwhile, never read, and its
 * alert was the host's (1 or 2 alerts of 48 a run). watch_lock held
 * throughout, so a change read by one is handed over before the other reads
 * on. wake: a change wakes the lists' thread for its full list. True when
 * something changed (a full list is due).
 */
static bool watch_drain(struct mon_attr *a, bool wake)
{
	struct bh_strvec dirs = BH_STRVEC_INIT;
	struct bh_ctr_opts o = { 0 };
	struct bh_ctr_list *l = NULL;
	struct bh_error *err = NULL;
	uint64_t boot;
	bool changed;

	pthread_mutex_lock(&a->watch_lock);
	boot = mon_attr_now_ns(CLOCK_BOOTTIME); /* every change queued before is read now */
	changed = bh_ctr_watch_changed_dirs(a->watch, &dirs);
	if (a->copts)
		o = *a->copts;
	o.include_stopped = true;
	if (dirs.n && bh_ctr_list_dirs(&o, &dirs, &l, &err) < 0)
		debug_err("reading a new container's state", err);
	for (size_t i = 0; l && i < l->nwarnings; i++)
		bh_debug("monitor: reading a new container's state: %s", l->warnings[i]);
	if (l)
		bh_debug("monitor: %zu state director%s read at once: %zu container%s (at %llu, "
			 "%llu us)",
			 dirs.n, dirs.n == 1 ? "y" : "ies", l->n, l->n == 1 ? "" : "s",
			 (unsigned long long)boot,
			 (unsigned long long)(mon_attr_now_ns(CLOCK_BOOTTIME) - boot) / 1000);
	for (size_t i = 0; l && i < dirs.n; i++)
		bh_debug("monitor: read at once (at %llu): %s: %s", (unsigned long long)boot,
			 dirs.v[i], dir_found(l, dirs.v[i]) ? "its container" : "no container");
	pthread_mutex_lock(&a->pend_lock);
	mon_attr_seen_note(a, &dirs, &o);
	while (l && l->n && a->npend == MON_PEND) {
		/* the consumer has not kept the last MON_PEND: kept here */
		pthread_mutex_unlock(&a->pend_lock);
		pthread_mutex_lock(&a->lock);
		keep_pending(a);
		pthread_mutex_unlock(&a->lock);
		pthread_mutex_lock(&a->pend_lock);
	}
	if (l && l->n) {
		a->pend[a->npend++] = l;
		l = NULL;
	}
	if (boot > a->pend_boot_ns)
		a->pend_boot_ns = boot;
	wake = wake && changed && a->thr_up && !a->wake_pending;
	if (wake)
		a->wake_pending = true;
	pthread_mutex_unlock(&a->pend_lock);
	if (wake && write(a->wake[1], "w", 1) < 0) {
		/* full: a wake is pending already */
	}
	bh_ctr_list_free(l);
	pthread_mutex_unlock(&a->watch_lock);
	bh_strvec_release(&dirs);
	return changed;
}

/* The watch drained by mon_attr_get for a record of ts_boot (CLOCK_BOOTTIME;
 * 0: not known) (lock held on entry and on return, dropped between:
 * watch_lock comes first): a change wakes the thread for its full list. Not
 * read again when a complete read started after the record's event (what a
 * runtime wrote before that is kept already: one read per batch of records,
 * not one syscall each). True when a quick read kept a container (gen moved). */
static bool get_drain(struct mon_attr *a, uint64_t ts_boot)
{
	uint64_t gen = a->gen;

	keep_pending(a);
	if (!a->watch || (ts_boot && ts_boot < a->drained_boot_ns))
		return a->gen != gen;
	pthread_mutex_unlock(&a->lock);
	watch_drain(a, true);
	pthread_mutex_lock(&a->lock);
	keep_pending(a);
	return a->gen != gen;
}

/* e (not found) looked up again after the watch drained (lock held; dropped
 * between: mon_attr_get has one caller at a time, e stays its). */
static bool drain_find(struct mon_attr *a, struct attr_entry *e, uint64_t ts_boot)
{
	if (!get_drain(a, ts_boot))
		return false;
	e->gen = a->gen;
	return find(a, e);
}

/* A list started at boot (CLOCK_BOOTTIME) and mono, taking cost, made the
 * current one (lock held); an older list than the current is dropped. */
static void install(struct mon_attr *a, struct bh_ctr_list *l, uint64_t boot, uint64_t mono,
		    uint64_t cost)
{
	if (a->ctrs && boot < a->relist_boot_ns) {
		bh_ctr_list_free(l);
		return;
	}
	mon_attr_keep_gone(a, a->ctrs, l);
	bh_ctr_list_free(a->ctrs);
	a->ctrs = l;
	a->relist_ns = mono;
	a->relist_boot_ns = boot;
	a->list_cost_ns = cost;
	a->gen++;
	a->lists++;
	a->nlists++;
	a->lists_ns += cost;
	if (cost > a->lists_max_ns)
		a->lists_max_ns = cost;
	pthread_cond_broadcast(&a->installed); /* the namings waiting (mon_attr_name) */
}

/* A list of the containers (no lock needed: copts is read only). */
static int list_now(struct mon_attr *a, struct bh_ctr_list **l, uint64_t *boot, uint64_t *mono,
		    uint64_t *cost, struct bh_error **err)
{
	struct bh_ctr_opts o = { 0 };

	if (a->copts)
		o = *a->copts;
	o.include_stopped = true;
	*boot = mon_attr_now_ns(CLOCK_BOOTTIME); /* before: what the list can see */
	*mono = mon_attr_now_ns(CLOCK_MONOTONIC);
	if (bh_ctr_list(&o, l, err) < 0)
		return -1;
	*cost = mon_attr_now_ns(CLOCK_MONOTONIC) - *mono;
	bh_debug("monitor: full list: %zu containers (at %llu, %llu us)", (*l)->n,
		 (unsigned long long)*boot, (unsigned long long)*cost / 1000);
	return 0;
}

/* A list made the current one (lock held on entry and on return, dropped
 * while the list is made: tens of ms with a dozen containers, in which the
 * thread reads the state watch and keeps what it names). */
static int relist(struct mon_attr *a, struct bh_error **err)
{
	struct bh_ctr_list *l = NULL;
	uint64_t boot, mono, cost;
	int rc;

	pthread_mutex_unlock(&a->lock);
	rc = list_now(a, &l, &boot, &mono, &cost, err);
	pthread_mutex_lock(&a->lock);
	if (rc < 0) {
		a->relist_ns =
			mon_attr_now_ns(CLOCK_MONOTONIC); /* the floors hold for failures too */
		return -1;
	}
	install(a, l, boot, mono, cost);
	return 0;
}

void mon_attr_relist_quiet(struct mon_attr *a)
{
	struct bh_error *err = NULL;

	if (relist(a, &err) < 0)
		debug_err("listing the containers", err);
}

void mon_attr_get(struct mon_attr *a, uint64_t cg2, uint64_t pids, bool exec, uint64_t ts_boot,
		  struct bh_mon_container *out)
{
	struct attr_entry *e = &a->cache[(cg2 * 31 + pids) % MON_ATTR];
	uint64_t now;
	bool fresh, forced;

	memset(out, 0, sizeof(*out));
	if (cg2 <= 1 && pids <= 1)
		return; /* both roots: the host */
	pthread_mutex_lock(&a->lock);
	keep_pending(a); /* what the watch's thread read since */
	now = mon_attr_now_ns(CLOCK_MONOTONIC);
	if (e->used && e->cg2 == cg2 && e->pids == pids) {
		if (e->found) {
			if (e->provisional)
				refine(a, e, now);
			*out = e->c;
			goto out;
		}
		if (e->gen != a->gen) {
			/* a list made since (for another id): look again in it */
			e->gen = a->gen;
			if (find(a, e))
				goto found;
		}
		forced = exec && ts_boot > a->relist_boot_ns && e->exec_lists < MON_EXEC_RELISTS;
		if (!forced && now < e->at_ns && e->misses >= MON_YOUNG_MISSES) {
			/* the host until its next check; its container may have
			 * written its state since (its change queued), young or
			 * not: a dozen runc run at once on a loaded host took
			 * more than MON_YOUNG_NS from runc init's first record to
			 * the state (a record a batch reads the watch, at most) */
			if (drain_find(a, e, ts_boot) || mon_attr_find_mkdir(a, e))
				goto found;
			bh_debug("monitor: cgroup ids %llu (cgroup2), %llu (pids): the host until "
				 "its next check (record at %llu, watch read from %llu)",
				 (unsigned long long)cg2, (unsigned long long)pids,
				 (unsigned long long)ts_boot,
				 (unsigned long long)a->drained_boot_ns);
			goto out;
		}
		/* a young id (a new container's runtime makes events in its cgroup
		 * before it writes its state: runc's init, and under load for a
		 * while) is checked like a new one */
		fresh = e->misses < MON_YOUNG_MISSES || (now - e->first_ns < MON_YOUNG_NS &&
							 now - a->relist_ns >= MON_YOUNG_FLOOR_NS);
	} else {
		memset(e, 0, sizeof(*e));
		e->used = true;
		e->cg2 = cg2;
		e->pids = pids;
		e->first_ns = now;
		e->gen = a->gen;
		if (find(a, e))
			goto found;
		fresh = true;
		forced = exec && ts_boot > a->relist_boot_ns;
	}
	/* an id no listed container has: the state watch's changes read first
	 * (a quick read of the containers they name, provisional), */
	if (drain_find(a, e, ts_boot))
		goto found;
	/* then the paths its cgroups were made with (a container whose state
	 * came and went before any read: runc run of one action on a loaded
	 * host), before a list: one would not hold it */
	if (mon_attr_find_mkdir(a, e))
		goto found;
	now = mon_attr_now_ns(CLOCK_MONOTONIC);
	/* then list again. A young id always may (at most one list per
	 * MON_RELIST_FLOOR_NS), an older one when the budget allows */
	a->tokens += (double)(now - a->token_ns) / MON_RELIST_NS;
	if (a->tokens > MON_RELIST_BURST)
		a->tokens = MON_RELIST_BURST;
	a->exec_tokens += (double)(now - a->token_ns) / MON_EXEC_LIST_NS;
	if (a->exec_tokens > MON_EXEC_LIST_BURST)
		a->exec_tokens = MON_EXEC_LIST_BURST;
	a->token_ns = now;
	forced = forced && a->exec_tokens >= 1;
	if (forced || (fresh && now - a->relist_ns >= MON_RELIST_FLOOR_NS) || a->tokens >= 1) {
		if (forced) {
			e->exec_lists++;
			a->exec_tokens -= 1;
		} else if (!fresh) {
			a->tokens -= 1;
		}
		mon_attr_relist_quiet(a);
		e->gen = a->gen;
		if (find(a, e))
			goto found;
	}
	bh_debug("monitor: cgroup ids %llu (cgroup2), %llu (pids): no container (%zu listed; "
		 "record at %llu, watch read from %llu, list from %llu)",
		 (unsigned long long)cg2, (unsigned long long)pids, a->ctrs ? a->ctrs->n : 0,
		 (unsigned long long)ts_boot, (unsigned long long)a->drained_boot_ns,
		 (unsigned long long)a->relist_boot_ns);
	/* the host: checked again after a delay that doubles with each miss (a new
	 * container's cgroup is seen before its runtime writes its state) */
	e->at_ns = now - e->first_ns < MON_YOUNG_NS
			   ? now + MON_YOUNG_CHECK_NS
			   : now + (MON_NEGATIVE_MIN_NS << (e->misses < 9 ? e->misses : 9));
	if (e->misses < 255)
		e->misses++;
	goto out;
found:
	e->found = true;
	*out = e->c;
out:
	pthread_mutex_unlock(&a->lock);
}

void mon_attr_stats(struct mon_attr *a, struct bh_mon_stats *st)
{
	pthread_mutex_lock(&a->lock);
	st->full_lists += a->nlists;
	st->full_list_ns += a->lists_ns;
	if (a->lists_max_ns > st->full_list_max_ns)
		st->full_list_max_ns = a->lists_max_ns;
	pthread_mutex_unlock(&a->lock);
}

/* The floor between lists for the state watch: MON_WATCH_COST times the
 * last list's duration, at most that duration + MON_WATCH_SLACK_NS, at least
 * watch_floor_ns (MON_WATCH_FLOOR_NS) (lock held). Uncapped, a container
 * found by a quick read kept its ID for a name and no image more than 3 s
 * after its start while an engine started a dozen (monitor-docker, -podman:
 * alerts 1 s and 3 s after the start so named; inferred, not measured: a
 * list through the engine's socket slow then, ten times over). */
static uint64_t watch_floor(const struct mon_attr *a)
{
	uint64_t f = a->list_cost_ns * MON_WATCH_COST;

	if (f > a->list_cost_ns + MON_WATCH_SLACK_NS)
		f = a->list_cost_ns + MON_WATCH_SLACK_NS;
	return f > a->watch_floor_ns ? f : a->watch_floor_ns;
}

/* When the full list a state change (or a naming) asks for is due: the
 * watch's floor after the last list, a naming's past it (one per
 * MON_NAME_FLOOR_NS). */
static uint64_t list_due(struct mon_attr *a)
{
	uint64_t due;

	pthread_mutex_lock(&a->lock);
	due = a->relist_ns + watch_floor(a);
	if (a->name_req && a->name_list_ns + MON_NAME_FLOOR_NS < due)
		due = a->name_list_ns + MON_NAME_FLOOR_NS;
	pthread_mutex_unlock(&a->lock);
	return due;
}

/* The thread: the rendezvous' requests (answered once a list made after them
 * succeeded) and the state watch's changes (a list, within the floor). */
static void *attr_main(void *arg)
{
	struct mon_attr *a = arg;
	bool watch_pending = false, owed = false, retry = false;

	for (;;) {
		struct pollfd pf[4] = {
			{ .fd = a->stop[0], .events = POLLIN },
			{ .fd = a->rdv ? bh_guard_rdv_fd(a->rdv) : -1, .events = POLLIN },
			{ .fd = a->watch && !a->wthr_up ? bh_ctr_watch_fd(a->watch) : -1,
			  .events = POLLIN },
			{ .fd = a->wake[0], .events = POLLIN },
		};
		struct bh_strvec req = BH_STRVEC_INIT;
		int wait = -1;
		uint64_t due = 0, now = mon_attr_now_ns(CLOCK_MONOTONIC);

		if (watch_pending) {
			due = list_due(a);
			wait = due > now ? (int)((due - now + 999999) / 1000000) : 0;
		}
		if (retry && (wait < 0 || wait > MON_RDV_RETRY_MS))
			wait = MON_RDV_RETRY_MS;
		if (owed)
			wait = 0;
		if (poll(pf, 4, wait) < 0 && errno != EINTR)
			usleep(1000); /* not a busy loop */
		if (pf[0].revents)
			break; /* mon_attr_free */
		/* the containers named read now (no watch thread), the full list
		 * within its floor */
		if (a->watch && (pf[2].revents & POLLIN) && watch_drain(a, false))
			watch_pending = true;
		if (pf[3].revents & POLLIN) {
			char b[64];

			pthread_mutex_lock(&a->pend_lock);
			a->wake_pending = false; /* a change read after: woken again */
			pthread_mutex_unlock(&a->pend_lock);
			while (read(a->wake[0], b, sizeof(b)) > 0)
				;
			watch_pending = true;
		}
		if (a->rdv && (owed || retry || (pf[1].revents & POLLIN)))
			owed = bh_guard_rdv_pending(a->rdv, &req) >= BH_GUARD_RDV_PENDING;
		retry = false;
		now = mon_attr_now_ns(CLOCK_MONOTONIC);
		/* a change (or a naming) woke it now: its list within the floor
		 * too (due was only reckoned for one pending before the poll: a
		 * wake after an idle listed at once, the floor never held) */
		if (watch_pending)
			due = list_due(a);
		if (req.n || (watch_pending && now >= due)) {
			struct bh_ctr_list *l = NULL;
			struct bh_error *err = NULL;
			uint64_t boot, mono, cost;

			pthread_mutex_lock(&a->lock);
			if (a->name_req) {
				/* this list answers the namings waiting now */
				a->name_req = false;
				a->name_list_ns = now;
			}
			pthread_mutex_unlock(&a->lock);
			/* listed outside the lock: the consumer attributes meanwhile */
			if (list_now(a, &l, &boot, &mono, &cost, &err) < 0) {
				debug_err("listing the containers", err);
				pthread_mutex_lock(&a->lock);
				a->relist_ns = mon_attr_now_ns(CLOCK_MONOTONIC);
				pthread_mutex_unlock(&a->lock);
				retry = req.n > 0; /* unanswered: read again */
				owed = false;
			} else {
				pthread_mutex_lock(&a->lock);
				install(a, l, boot, mono, cost);
				pthread_mutex_unlock(&a->lock);
				watch_pending = false;
				if (a->watch) {
					pthread_mutex_lock(&a->watch_lock);
					bh_ctr_watch_roots(a->watch);
					pthread_mutex_unlock(&a->watch_lock);
				}
				/* a list made now holds every container whose start asked */
				if (req.n)
					bh_guard_rdv_ack(a->rdv, &req);
			}
		}
		bh_strvec_release(&req);
	}
	return NULL;
}

/* The watch's thread, less nice than the monitor by MON_WATCH_NICE when it
 * may be (root): the containers a change names are read as soon as it is
 * made, never behind a full list (tens of ms, then the floor) or a busy
 * consumer. A runc run of one action deletes its state tens of ms after it
 * wrote it; on a loaded host (load 10-15 on 2 cores) a thread of nice 0 that
 * also lists in full read some of them too late, and their events were the
 * host's. Its work is bounded by the changes: a read of the watch and at
 * most BH_CTR_WATCH_DIRS small state reads per wake. */
static void *watch_main(void *arg)
{
	struct mon_attr *a = arg;
	int nice;

	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);
	if ((nice != -1 || !errno) &&
	    setpriority(PRIO_PROCESS, (id_t)gettid(),
			nice - MON_WATCH_NICE < -20 ? -20 : nice - MON_WATCH_NICE) < 0)
		bh_debug("monitor: the state watch's thread keeps the monitor's priority");
	for (;;) {
		struct pollfd pf[2] = {
			{ .fd = a->stop[0], .events = POLLIN },
			{ .fd = bh_ctr_watch_fd(a->watch), .events = POLLIN },
		};

		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			usleep(1000); /* not a busy loop */
		if (pf[0].revents)
			break; /* mon_attr_free */
		if (pf[1].revents & POLLIN)
			watch_drain(a, true);
		else if (pf[1].revents & (POLLERR | POLLNVAL))
			break; /* not a busy loop: mon_attr_get still reads it */
	}
	return NULL;
}

void mon_attr_hold(struct mon_attr *a, bool hold)
{
	if (hold)
		pthread_mutex_lock(&a->lock);
	else
		pthread_mutex_unlock(&a->lock);
}

int mon_attr_new(const struct mon_attr_opts *o, struct mon_attr **out)
{
	struct mon_attr *a = bh_calloc(1, sizeof(*a));
	struct bh_error *err = NULL;

	a->copts = o->copts;
	a->watch_floor_ns = o->watch_floor_ns ? o->watch_floor_ns : MON_WATCH_FLOOR_NS;
	a->cache = bh_calloc(MON_ATTR, sizeof(*a->cache));
	a->grace = bh_calloc(MON_GRACE, sizeof(*a->grace));
	a->cgs = bh_calloc(MON_CGROUPS, sizeof(*a->cgs));
	a->cg_hash = bh_calloc(MON_CG_HASH, sizeof(*a->cg_hash));
	a->seen = bh_calloc(MON_SEEN, sizeof(*a->seen));
	a->tokens = MON_RELIST_BURST;
	a->exec_tokens = MON_EXEC_LIST_BURST;
	a->token_ns = mon_attr_now_ns(CLOCK_MONOTONIC);
	a->stop[0] = a->stop[1] = a->wake[0] = a->wake[1] = -1;
	pthread_mutex_init(&a->lock, NULL);
	pthread_mutex_init(&a->watch_lock, NULL);
	pthread_mutex_init(&a->pend_lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&a->installed, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (bh_ctr_watch_new(o->copts, &a->watch, &err) < 0)
		debug_err("watching the runtimes' state", err);
	err = NULL;
	if (o->rendezvous && bh_guard_rdv_open(o->rdv_dir, &a->rdv, &err) < 0)
		debug_err("serving the start rendezvous", err);
	/* the containers running now (a restarted monitor attributes at once) */
	pthread_mutex_lock(&a->lock);
	mon_attr_relist_quiet(a);
	pthread_mutex_unlock(&a->lock);
	if ((a->rdv || a->watch) && !o->no_threads && pipe2(a->stop, O_CLOEXEC) == 0 &&
	    pipe2(a->wake, O_CLOEXEC | O_NONBLOCK) == 0) {
		/* both flags final before either thread reads them: the watch's
		 * thread reads thr_up under pend_lock (watch_drain), held here
		 * until both are set; the lists' thread, made last, reads wthr_up
		 * (whether it polls the watch itself) after its creation */
		pthread_mutex_lock(&a->pend_lock);
		a->thr_up = true;
		a->wthr_up = a->watch && pthread_create(&a->wthr, NULL, watch_main, a) == 0;
		a->thr_up = pthread_create(&a->thr, NULL, attr_main, a) == 0;
		pthread_mutex_unlock(&a->pend_lock);
		if (!a->thr_up)
			bh_debug("monitor: no thread for the containers' starts");
	}
	*out = a;
	return 0;
}

void mon_attr_free(struct mon_attr *a)
{
	if (!a)
		return;
	if (a->thr_up) {
		close(a->stop[1]); /* its read end now readable: the threads end */
		a->stop[1] = -1;
		pthread_join(a->thr, NULL);
	}
	if (a->wthr_up) {
		if (a->stop[1] >= 0) {
			close(a->stop[1]);
			a->stop[1] = -1;
		}
		pthread_join(a->wthr, NULL);
	}
	if (a->stop[0] >= 0)
		close(a->stop[0]);
	if (a->stop[1] >= 0)
		close(a->stop[1]);
	for (int i = 0; i < 2; i++)
		if (a->wake[i] >= 0)
			close(a->wake[i]);
	pthread_mutex_destroy(&a->lock);
	pthread_mutex_destroy(&a->watch_lock);
	pthread_mutex_destroy(&a->pend_lock);
	pthread_cond_destroy(&a->installed);
	for (size_t i = 0; i < a->npend; i++)
		bh_ctr_list_free(a->pend[i]);
	bh_guard_rdv_free(a->rdv);
	bh_ctr_watch_free(a->watch);
	bh_ctr_list_free(a->ctrs);
	free(a->cache);
	free(a->grace);
	free(a->cgs);
	free(a->cg_hash);
	free(a->seen);
	free(a);
}
