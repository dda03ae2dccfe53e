// SPDX-License-Identifier: Apache-2.0
/*
 * The kernel source's attribution (source_attr.c), by the cgroups' mkdir paths:
 * the kernel source notes each cgroup made in the cgroup2 and the v1 pids
 * hierarchies (mon_attr_note_cgroup, from tp_btf/cgroup_mkdir: the runtime
 * makes them before the container's first process runs, so the note is read
 * before that process's records), the last MON_CGROUPS of them; the state
 * watch's reads keep the container directories they named (MON_SEEN, their IDs
 * and runtimes by bh_ctr_dir_runtime), the state read or already gone ("no
 * container"). An id still no container's after the watch's read (a runc run of
 * one action whose state was written and deleted before any read: a dozen at
 * once on a loaded host, about 1 alert in 670 the host's) is looked up there
 * before it is listed for or called the host: a path noted for its pids or
 * cgroup2 id with a component that names a directory seen within MON_GRACE_NS
 * (the ID, as runc names its cgroups without a cgroupsPath, or an engine's
 * PREFIX-ID.scope; a sub-cgroup's path holds its container's) gives that
 * container, its ID and runtime, provisional and in the grace list as a quick
 * read's. A path alone never names one (a systemd service's scope is no
 * container); conmon's libpod-conmon-ID.scope names none. A cgroup made from
 * outside the host's PID namespace (a container's: it may name one after
 * another container's ID) is never noted (the kernel source drops it:
 * MON_CG_FOREIGN).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bulkhead/base.h"
#include "bulkhead/containers.h"
#include "source_internal.h"
#include "attr_internal.h"
#include "banned.h"

static size_t cg_home(uint64_t id, bool pids)
{
	return (size_t)(((id ^ (pids ? 0x9E3779B97F4A7C15ULL : 0)) * 0x9E3779B97F4A7C15ULL) >> 32) &
	       (MON_CG_HASH - 1);
}

/* The hash slot of (id, pids), or of the empty slot it would take (lock held). */
static size_t cg_slot(const struct mon_attr *a, uint64_t id, bool pids)
{
	size_t h = cg_home(id, pids);

	while (a->cg_hash[h]) {
		const struct cg_note *n = &a->cgs[a->cg_hash[h] - 1];

		if (n->id == id && n->pids == pids)
			break;
		h = (h + 1) & (MON_CG_HASH - 1);
	}
	return h;
}

/* Hash slot i emptied, the entries after it moved back (linear probing's
 * deletion: no tombstones, so a lookup stays bounded by the load). */
static void cg_unhash(struct mon_attr *a, size_t i)
{
	for (size_t j = (i + 1) & (MON_CG_HASH - 1); a->cg_hash[j];
	     j = (j + 1) & (MON_CG_HASH - 1)) {
		const struct cg_note *n = &a->cgs[a->cg_hash[j] - 1];
		size_t k = cg_home(n->id, n->pids);

		/* j's entry stays when its home is cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		a->cg_hash[i] = a->cg_hash[j];
		i = j;
	}
	a->cg_hash[i] = 0;
}

void mon_attr_note_cgroup(struct mon_attr *a, uint64_t id, bool pids, const char *path)
{
	struct cg_note *n;
	size_t h;

	if (id <= 1 || !path)
		return;
	pthread_mutex_lock(&a->lock);
	h = cg_slot(a, id, pids);
	if (a->cg_hash[h]) {
		n = &a->cgs[a->cg_hash[h] - 1]; /* made again (kernfs ids are not reused) */
	} else {
		n = &a->cgs[a->cg_next];
		if (n->id)
			cg_unhash(a, cg_slot(a, n->id, n->pids)); /* the oldest evicted */
		h = cg_slot(a, id, pids);
		a->cg_hash[h] = (uint32_t)a->cg_next + 1;
		a->cg_next = (a->cg_next + 1) % MON_CGROUPS;
	}
	n->id = id;
	n->pids = pids;
	snprintf(n->path, sizeof(n->path), "%s", path);
	pthread_mutex_unlock(&a->lock);
}

uint64_t mon_attr_by_mkdir(struct mon_attr *a)
{
	uint64_t n;

	pthread_mutex_lock(&a->lock);
	n = a->by_mkdir;
	pthread_mutex_unlock(&a->lock);
	return n;
}

/* The container directories of a watch read kept in the ring of those seen
 * (pend_lock held): their IDs and runtimes, the state read or not. */
void mon_attr_seen_note(struct mon_attr *a, const struct bh_strvec *dirs,
			const struct bh_ctr_opts *o)
{
	uint64_t now = mon_attr_now_ns(CLOCK_MONOTONIC);

	for (size_t i = 0; i < dirs->n; i++) {
		const char *rt = bh_ctr_dir_runtime(o, dirs->v[i]);
		const char *id = strrchr(dirs->v[i], '/');
		struct seen_dir *d;

		if (!rt || !id || !id[1] || strlen(id + 1) >= sizeof(d->id))
			continue;
		d = &a->seen[a->seen_next];
		a->seen_next = (a->seen_next + 1) % MON_SEEN;
		a->nseen++;
		d->at_ns = now ? now : 1;
		snprintf(d->id, sizeof(d->id), "%s", id + 1);
		snprintf(d->runtime, sizeof(d->runtime), "%s", rt);
		/* dockerd's runtimes' root is <exec-root>/runtime-NAME/moby (the
		 * engines' claim: containers_engines.c), containerd's has its name */
		d->engine = (id - dirs->v[i] >= 5 && !strncmp(id - 5, "/moby", 5)) ||
			    strstr(dirs->v[i], "/containerd/");
	}
}

/* The engines' forms of a container's cgroup (systemd's scopes); the first
 * MON_SCOPE_ENGINES are the engines' (podman's, dockerd's, CRI-O's,
 * containerd's: their names come with a full list) */
#define MON_SCOPE_ENGINES 4
static const char *const scope_prefixes[] = {
	"docker-", "libpod-", "crio-", "cri-containerd-", "runc-", "crun-", NULL,
};

/* Whether the path component comp (n bytes) names container ID id: 1 the
 * ID itself or a runtime's RUNTIME-ID.scope, 2 an engine's ENGINE-ID.scope,
 * 0 not. */
static int comp_names(const char *comp, size_t n, const char *id)
{
	size_t l = strlen(id);

	if (n == l && !memcmp(comp, id, l))
		return 1;
	if (n <= l + 6 || memcmp(comp + n - 6, ".scope", 6))
		return 0;
	for (size_t i = 0; scope_prefixes[i]; i++) {
		size_t pl = strlen(scope_prefixes[i]);

		if (pl + l + 6 == n && !memcmp(comp, scope_prefixes[i], pl) &&
		    !memcmp(comp + pl, id, l))
			return i < MON_SCOPE_ENGINES ? 2 : 1;
	}
	return 0;
}

/* The latest container directory the watch named within MON_GRACE_NS that a
 * component of path names, into *out (pend_lock taken); out->engine also
 * set when the component is an engine's scope (podman's containers are
 * runc's under /run/runc: only their cgroup says podman). */
static bool seen_match(struct mon_attr *a, const char *path, struct seen_dir *out)
{
	uint64_t now = mon_attr_now_ns(CLOCK_MONOTONIC), best = 0;
	int how;

	pthread_mutex_lock(&a->pend_lock);
	for (const char *p = path; *p;) {
		const char *e;
		size_t n;

		while (*p == '/')
			p++;
		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		for (size_t i = 0; n && i < MON_SEEN; i++) {
			const struct seen_dir *d = &a->seen[i];

			if (!d->at_ns || now - d->at_ns > MON_GRACE_NS || d->at_ns <= best ||
			    !(how = comp_names(p, n, d->id)))
				continue;
			best = d->at_ns;
			*out = *d;
			out->engine = d->engine || how == 2;
		}
		p += n;
	}
	pthread_mutex_unlock(&a->pend_lock);
	return best != 0;
}

/*
 * e's container by its cgroups' mkdir paths (lock held): a path noted for
 * its pids or cgroup2 id (or a parent's: a sub-cgroup's path is under its
 * container's) whose component names a container directory the state watch
 * named: that container, kept in the grace list as a quick read's
 * (provisional: its ID and runtime). A path alone never attributes (a
 * systemd service's scope is no container).
 */
bool mon_attr_find_mkdir(struct mon_attr *a, struct attr_entry *e)
{
	const uint64_t ids[2] = { e->pids, e->cg2 };
	struct seen_dir d;
	uint64_t nseen;

	/* no directory named since its last lookup: the same answer (a host
	 * service's cgroup made since the start is not scanned record after
	 * record) */
	pthread_mutex_lock(&a->pend_lock);
	nseen = a->nseen;
	pthread_mutex_unlock(&a->pend_lock);
	if (nseen == e->seen_at)
		return false;
	e->seen_at = nseen;
	for (int k = 0; k < 2; k++) {
		size_t h;
		const struct cg_note *n;

		if (ids[k] <= 1)
			continue;
		h = cg_slot(a, ids[k], k == 0);
		if (!a->cg_hash[h])
			continue;
		n = &a->cgs[a->cg_hash[h] - 1];
		if (!seen_match(a, n->path, &d))
			continue;
		memset(&e->c, 0, sizeof(e->c));
		snprintf(e->c.id, sizeof(e->c.id), "%s", d.id);
		snprintf(e->c.name, sizeof(e->c.name), "%s", d.id);
		snprintf(e->c.runtime, sizeof(e->c.runtime), "%s", d.runtime);
		/* an engine's: its alerts wait for its names (the naming stage) */
		e->c.provisional = d.engine;
		mon_attr_keep_quick(a, e->pids, e->cg2, &e->c, mon_attr_now_ns(CLOCK_MONOTONIC));
		e->provisional = true;
		e->lists = a->lists;
		a->by_mkdir++;
		bh_debug("monitor: cgroup ids %llu (cgroup2), %llu (pids): container %s (%s) by "
			 "its cgroup's mkdir path %s (%s)",
			 (unsigned long long)e->cg2, (unsigned long long)e->pids, d.id, d.runtime,
			 n->path, k == 0 ? "pids" : "cgroup2");
		return true;
	}
	return false;
}
