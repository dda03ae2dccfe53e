// SPDX-License-Identifier: Apache-2.0
/*
 * The kernel source's attribution (source_internal.h, mon_attr_*): a record's
 * cgroup ids to its container.
 *
 *  - by the record's v1 pids cgroup id, then its cgroup2 id, exact matches
 *    against a cached bh_ctr_list first, then through bh_ctr_lookup_cgroup_id
 *    (sub-cgroups), then in the grace list (below). An id no container has
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
 *        last list's duration, whichever is longer (a change within it
 *        lists once after).
 *    Both are served by a thread of the attribution's own (it lists the
 *    containers and answers; mon_attr_get and it share the list and the
 *    grace list under a lock), so a start never waits on the consumer of
 *    the events (a pager, a stuck sink, a stopped monitor). A request is
 *    answered only once a list succeeded; one not answered is read again.
 *  - the grace list: a container in one list and not in the next (its
 *    runtime deleted its state) is kept, by its pids and cgroup2 ids, for
 *    MON_GRACE_NS, at most MON_GRACE of them (the oldest goes first), so
 *    the records of its last milliseconds read after are still its.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/containers.h"
#include "bulkhead/guard.h"
#include "source_internal.h"
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
#define MON_WATCH_FLOOR_NS 20000000ULL	  /* a state written: one list per 20 ms at most, */
#define MON_WATCH_COST	   10		  /* and per 10 times the last list's duration */
#define MON_RDV_RETRY_MS   100		  /* a list failed: the requests read again after */
#define MON_GRACE	   256		  /* containers gone kept, */
#define MON_GRACE_NS	   10000000000ULL /* for 10 s */

struct attr_entry {
	uint64_t cg2, pids;
	uint64_t at_ns;	   /* a host answer: when to check again */
	uint64_t first_ns; /* when the id was first seen */
	uint64_t gen;	   /* the list it was looked up in */
	uint8_t misses;
	uint8_t exec_lists; /* lists made for its execs past the floors */
	bool used, found;
	struct bh_mon_container c;
};

struct grace_entry {
	uint64_t cg2, pids; /* 0: not known */
	uint64_t gone_ns;   /* 0: an empty slot */
	struct bh_mon_container c;
};

struct mon_attr {
	const struct bh_ctr_opts *copts;
	struct bh_ctr_list *ctrs;
	uint64_t gen; /* lists made */
	double tokens, exec_tokens;
	uint64_t token_ns, relist_ns;
	uint64_t relist_boot_ns; /* CLOCK_BOOTTIME of the last list */
	struct attr_entry *cache;
	struct grace_entry *grace;
	size_t grace_next;	  /* the ring's next slot */
	uint64_t list_cost_ns;	  /* how long the last list took */
	pthread_mutex_t lock;	  /* ctrs, gen, relist_*, list_cost_ns, grace */
	struct bh_guard_rdv *rdv; /* rdv, watch, stop: the thread's */
	struct bh_ctr_watch *watch;
	int stop[2]; /* the thread's end: its read end readable */
	pthread_t thr;
	bool thr_up;
};

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

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
static void ctr_ids(const struct bh_ctr *c, uint64_t *pids, uint64_t *cg2)
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

static const struct grace_entry *find_gone(const struct mon_attr *a, uint64_t cg2, uint64_t pids)
{
	const struct grace_entry *hit = NULL;
	uint64_t now = now_ns(CLOCK_MONOTONIC);

	for (size_t i = 0; i < MON_GRACE; i++) {
		const struct grace_entry *g = &a->grace[i];

		if (!g->gone_ns || now - g->gone_ns > MON_GRACE_NS)
			continue;
		if (pids > 1 && g->pids == pids)
			return g;
		if (cg2 > 1 && g->cg2 == cg2)
			hit = g;
	}
	return hit;
}

/* The container of the ids into *out: a listed one, else one gone within the grace. */
static bool find(struct mon_attr *a, uint64_t cg2, uint64_t pids, struct bh_mon_container *out)
{
	const struct bh_ctr *c = find_listed(a, cg2, pids);
	const struct grace_entry *g;

	if (c) {
		mon_container_fill(out, c);
		return true;
	}
	if ((g = find_gone(a, cg2, pids))) {
		*out = g->c;
		return true;
	}
	return false;
}

static uint64_t id_hash(const struct bh_ctr *c)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (const char *p = c->id; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const char *p = c->runtime ? c->runtime : ""; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	return h;
}

/* The same container: its ID and runtime, and its cgroup ids (a container
 * deleted and made again under its name is another). */
static bool same_ctr(const struct bh_ctr *a, const struct bh_ctr *b)
{
	uint64_t ap, ac, bp, bc;

	if (strcmp(a->id, b->id) ||
	    strcmp(a->runtime ? a->runtime : "", b->runtime ? b->runtime : ""))
		return false;
	ctr_ids(a, &ap, &ac);
	ctr_ids(b, &bp, &bc);
	return ap == bp && ac == bc;
}

/* The containers of old that l does not hold (by ID, runtime and cgroup ids)
 * into the grace list (l's IDs hashed: linear in both lists). */
static void keep_gone(struct mon_attr *a, const struct bh_ctr_list *old,
		      const struct bh_ctr_list *l)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);
	size_t cap = 16, *slot; /* l's index + 1; 0: empty */

	if (!old || !old->n)
		return;
	while (cap < 2 * l->n)
		cap <<= 1;
	slot = bh_calloc(cap, sizeof(*slot));
	for (size_t j = 0; j < l->n; j++) {
		size_t h = id_hash(&l->v[j]) & (cap - 1);

		while (slot[h])
			h = (h + 1) & (cap - 1);
		slot[h] = j + 1;
	}
	for (size_t i = 0; i < old->n; i++) {
		const struct bh_ctr *c = &old->v[i];
		struct grace_entry *g;
		uint64_t pids, cg2;
		bool kept = false;

		for (size_t h = id_hash(c) & (cap - 1); slot[h] && !kept; h = (h + 1) & (cap - 1))
			kept = same_ctr(&l->v[slot[h] - 1], c);
		ctr_ids(c, &pids, &cg2);
		if (kept || (pids <= 1 && cg2 <= 1))
			continue;
		g = &a->grace[a->grace_next];
		a->grace_next = (a->grace_next + 1) % MON_GRACE;
		memset(g, 0, sizeof(*g));
		g->pids = pids;
		g->cg2 = cg2;
		g->gone_ns = now ? now : 1;
		mon_container_fill(&g->c, c);
	}
	free(slot);
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
	keep_gone(a, a->ctrs, l);
	bh_ctr_list_free(a->ctrs);
	a->ctrs = l;
	a->relist_ns = mono;
	a->relist_boot_ns = boot;
	a->list_cost_ns = cost;
	a->gen++;
}

/* A list of the containers (no lock needed: copts is read only). */
static int list_now(struct mon_attr *a, struct bh_ctr_list **l, uint64_t *boot, uint64_t *mono,
		    uint64_t *cost, struct bh_error **err)
{
	struct bh_ctr_opts o = { 0 };

	if (a->copts)
		o = *a->copts;
	o.include_stopped = true;
	*boot = now_ns(CLOCK_BOOTTIME); /* before: what the list can see */
	*mono = now_ns(CLOCK_MONOTONIC);
	if (bh_ctr_list(&o, l, err) < 0)
		return -1;
	*cost = now_ns(CLOCK_MONOTONIC) - *mono;
	return 0;
}

/* A list made the current one (lock held). */
static int relist(struct mon_attr *a, struct bh_error **err)
{
	struct bh_ctr_list *l = NULL;
	uint64_t boot, mono, cost;

	if (list_now(a, &l, &boot, &mono, &cost, err) < 0) {
		a->relist_ns = now_ns(CLOCK_MONOTONIC); /* the floors hold for failures too */
		return -1;
	}
	install(a, l, boot, mono, cost);
	return 0;
}

static void relist_quiet(struct mon_attr *a)
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
	now = now_ns(CLOCK_MONOTONIC);
	if (e->used && e->cg2 == cg2 && e->pids == pids) {
		if (e->found) {
			*out = e->c;
			goto out;
		}
		if (e->gen != a->gen) {
			/* a list made since (for another id): look again in it */
			e->gen = a->gen;
			if (find(a, cg2, pids, &e->c))
				goto found;
		}
		forced = exec && ts_boot > a->relist_boot_ns && e->exec_lists < MON_EXEC_RELISTS;
		if (!forced && now < e->at_ns && e->misses >= MON_YOUNG_MISSES)
			goto out; /* the host, until its next check */
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
		if (find(a, cg2, pids, &e->c))
			goto found;
		fresh = true;
		forced = exec && ts_boot > a->relist_boot_ns;
	}
	/* an id no listed container has: list again. A young id always may (at
	 * most one list per MON_RELIST_FLOOR_NS), an older one when the budget
	 * allows */
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
		relist_quiet(a);
		e->gen = a->gen;
		if (find(a, cg2, pids, &e->c))
			goto found;
	}
	bh_debug("monitor: cgroup ids %llu (cgroup2), %llu (pids): no container (%zu listed)",
		 (unsigned long long)cg2, (unsigned long long)pids, a->ctrs ? a->ctrs->n : 0);
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

/* The floor between lists for the state watch: MON_WATCH_COST times the
 * last list's duration, at least MON_WATCH_FLOOR_NS (lock held). */
static uint64_t watch_floor(const struct mon_attr *a)
{
	uint64_t f = a->list_cost_ns * MON_WATCH_COST;

	return f > MON_WATCH_FLOOR_NS ? f : MON_WATCH_FLOOR_NS;
}

/* The thread: the rendezvous' requests (answered once a list made after them
 * succeeded) and the state watch's changes (a list, within the floor). */
static void *attr_main(void *arg)
{
	struct mon_attr *a = arg;
	bool watch_pending = false, owed = false, retry = false;

	for (;;) {
		struct pollfd pf[3] = {
			{ .fd = a->stop[0], .events = POLLIN },
			{ .fd = a->rdv ? bh_guard_rdv_fd(a->rdv) : -1, .events = POLLIN },
			{ .fd = a->watch ? bh_ctr_watch_fd(a->watch) : -1, .events = POLLIN },
		};
		struct bh_strvec req = BH_STRVEC_INIT;
		int wait = -1;
		uint64_t due = 0, now = now_ns(CLOCK_MONOTONIC);

		if (watch_pending) {
			pthread_mutex_lock(&a->lock);
			due = a->relist_ns + watch_floor(a);
			pthread_mutex_unlock(&a->lock);
			wait = due > now ? (int)((due - now + 999999) / 1000000) : 0;
		}
		if (retry && (wait < 0 || wait > MON_RDV_RETRY_MS))
			wait = MON_RDV_RETRY_MS;
		if (owed)
			wait = 0;
		if (poll(pf, 3, wait) < 0 && errno != EINTR)
			usleep(1000); /* not a busy loop */
		if (pf[0].revents)
			break; /* mon_attr_free */
		if (a->watch && (pf[2].revents & POLLIN) && bh_ctr_watch_changed(a->watch))
			watch_pending = true;
		if (a->rdv && (owed || retry || (pf[1].revents & POLLIN)))
			owed = bh_guard_rdv_pending(a->rdv, &req) >= BH_GUARD_RDV_PENDING;
		retry = false;
		now = now_ns(CLOCK_MONOTONIC);
		if (req.n || (watch_pending && now >= due)) {
			struct bh_ctr_list *l = NULL;
			struct bh_error *err = NULL;
			uint64_t boot, mono, cost;

			/* listed outside the lock: the consumer attributes meanwhile */
			if (list_now(a, &l, &boot, &mono, &cost, &err) < 0) {
				debug_err("listing the containers", err);
				pthread_mutex_lock(&a->lock);
				a->relist_ns = now_ns(CLOCK_MONOTONIC);
				pthread_mutex_unlock(&a->lock);
				retry = req.n > 0; /* unanswered: read again */
				owed = false;
			} else {
				pthread_mutex_lock(&a->lock);
				install(a, l, boot, mono, cost);
				pthread_mutex_unlock(&a->lock);
				watch_pending = false;
				if (a->watch)
					bh_ctr_watch_roots(a->watch);
				/* a list made now holds every container whose start asked */
				if (req.n)
					bh_guard_rdv_ack(a->rdv, &req);
			}
		}
		bh_strvec_release(&req);
	}
	return NULL;
}

int mon_attr_new(const struct bh_ctr_opts *copts, bool rendezvous, const char *rdv_dir,
		 struct mon_attr **out)
{
	struct mon_attr *a = bh_calloc(1, sizeof(*a));
	struct bh_error *err = NULL;

	a->copts = copts;
	a->cache = bh_calloc(MON_ATTR, sizeof(*a->cache));
	a->grace = bh_calloc(MON_GRACE, sizeof(*a->grace));
	a->tokens = MON_RELIST_BURST;
	a->exec_tokens = MON_EXEC_LIST_BURST;
	a->token_ns = now_ns(CLOCK_MONOTONIC);
	a->stop[0] = a->stop[1] = -1;
	pthread_mutex_init(&a->lock, NULL);
	if (bh_ctr_watch_new(copts, &a->watch, &err) < 0)
		debug_err("watching the runtimes' state", err);
	err = NULL;
	if (rendezvous && bh_guard_rdv_open(rdv_dir, &a->rdv, &err) < 0)
		debug_err("serving the start rendezvous", err);
	/* the containers running now (a restarted monitor attributes at once) */
	relist_quiet(a);
	if ((a->rdv || a->watch) && pipe2(a->stop, O_CLOEXEC) == 0) {
		a->thr_up = pthread_create(&a->thr, NULL, attr_main, a) == 0;
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
		close(a->stop[1]); /* its read end now readable: the thread ends */
		a->stop[1] = -1;
		pthread_join(a->thr, NULL);
	}
	if (a->stop[0] >= 0)
		close(a->stop[0]);
	if (a->stop[1] >= 0)
		close(a->stop[1]);
	pthread_mutex_destroy(&a->lock);
	bh_guard_rdv_free(a->rdv);
	bh_ctr_watch_free(a->watch);
	bh_ctr_list_free(a->ctrs);
	free(a->cache);
	free(a->grace);
	free(a);
}
