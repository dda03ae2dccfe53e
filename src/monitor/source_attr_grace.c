// SPDX-License-Identifier: Apache-2.0
/*
 * The kernel source's attribution (source_attr.c), its grace list: a
 * container in one list and not in the next (its runtime deleted its state)
 * is kept, by its pids and cgroup2 ids, for MON_GRACE_NS, at most MON_GRACE
 * of them (the oldest goes first), so the records of its last milliseconds
 * read after are still its. A quick read's container (or a mkdir path's) is
 * kept there too, provisional, never in place of a full list's still in its
 * grace.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/base.h"
#include "bulkhead/containers.h"
#include "source_internal.h"
#include "attr_internal.h"
#include "banned.h"

const struct grace_entry *mon_attr_find_gone(const struct mon_attr *a, uint64_t cg2, uint64_t pids)
{
	const struct grace_entry *hit = NULL;
	uint64_t now = mon_attr_now_ns(CLOCK_MONOTONIC);

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

/* The grace list's slot for a container of ids pids and cg2 (lock held): the
 * one that holds them (read again; a quick read's only when over (over_full:
 * also a full list's)), else the ring's next; NULL: keep the one there. A
 * quick read's (!over_full) takes the next slot that is free, past its
 * grace or a quick read's too, never a full list's gone container still in
 * its grace (a burst of quick reads would otherwise push those out, and
 * their late records would be the host's); NULL when there is none. */
static struct grace_entry *grace_slot(struct mon_attr *a, uint64_t pids, uint64_t cg2,
				      bool over_full, uint64_t now)
{
	struct grace_entry *g;

	for (size_t k = 0; k < MON_GRACE; k++) {
		g = &a->grace[k];
		if (g->gone_ns && g->pids == pids && g->cg2 == cg2)
			return g->provisional || over_full ? g : NULL;
	}
	for (size_t k = 0; k < MON_GRACE; k++) {
		g = &a->grace[a->grace_next];
		a->grace_next = (a->grace_next + 1) % MON_GRACE;
		if (over_full || !g->gone_ns || g->provisional || now - g->gone_ns > MON_GRACE_NS)
			return g;
	}
	return NULL;
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
	mon_attr_ctr_ids(a, &ap, &ac);
	mon_attr_ctr_ids(b, &bp, &bc);
	return ap == bp && ac == bc;
}

/* The containers of old that l does not hold (by ID, runtime and cgroup ids)
 * into the grace list (l's IDs hashed: linear in both lists). */
void mon_attr_keep_gone(struct mon_attr *a, const struct bh_ctr_list *old,
			const struct bh_ctr_list *l)
{
	uint64_t now = mon_attr_now_ns(CLOCK_MONOTONIC);
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
		mon_attr_ctr_ids(c, &pids, &cg2);
		if (kept || (pids <= 1 && cg2 <= 1))
			continue;
		g = grace_slot(a, pids, cg2, true, 0);
		memset(g, 0, sizeof(*g));
		g->pids = pids;
		g->cg2 = cg2;
		g->gone_ns = now ? now : 1;
		mon_container_fill(&g->c, c);
	}
	free(slot);
}

/* c, a quick read's container (or a mkdir path's) of ids pids and cg2, kept
 * in the grace list as if gone at now, provisional (lock held): false when
 * there is no slot for it (grace_slot). */
bool mon_attr_keep_quick(struct mon_attr *a, uint64_t pids, uint64_t cg2,
			 const struct bh_mon_container *c, uint64_t now)
{
	struct grace_entry *g = grace_slot(a, pids, cg2, false, now);

	if (!g)
		return false;
	memset(g, 0, sizeof(*g));
	g->pids = pids;
	g->cg2 = cg2;
	g->gone_ns = now ? now : 1;
	g->provisional = true;
	g->c = *c;
	return true;
}
