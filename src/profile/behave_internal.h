/* SPDX-License-Identifier: Apache-2.0 */
/* What the behaviour profile files share (internal prefix `beh_`). */
#ifndef BULKHEAD_PROFILE_BEHAVE_INTERNAL_H
#define BULKHEAD_PROFILE_BEHAVE_INTERNAL_H

#include <time.h>

#include "bulkhead/behave.h"
#include "internal.h"

#define BEH_MODES_KIND	    "behaviour"
#define BEH_MAX_CONTAINERS  64
#define BEH_DEF_MAX_ITEMS   4096
#define BEH_MAX_ITEMS_LIMIT 1000000

/* One learned item. value/extra by kind: process exe/parent exe; file the
 * directory ("/a/b/") or subtree ("/a/" + "**")/""; listen and inbound
 * "tcp/80"/""; outbound the address or network/"tcp/443". */
struct beh_item {
	uint8_t kind; /* enum bh_behave_kind */
	bool dirty;
	uint32_t hash;
	char *value, *extra;
	uint64_t count, first_ns, last_ns;
};

struct beh_profile {
	char key[BH_BEHAVE_KEY_MAX];
	struct beh_profile *next; /* hash chain */
	bool stored;		  /* a row exists in the store (or a mode) */
	bool dirty, rewrite;	  /* rewrite: items were removed (collapse) */
	enum bh_prof_mode mode;
	bool zero_drift, overflowed, lost;
	bool has_rule;
	struct bh_prof_rule rule;
	int64_t quiet;
	bool learned, active; /* since the last flush: learned an item, had an event */
	uint64_t events, first_ns, last_ns, disc_first_ns, disc_last_ns;
	char *containers[BEH_MAX_CONTAINERS];
	size_t ncontainers;
	struct beh_item **tab; /* open addressing, power-of-2 capacity */
	size_t cap, n;
	uint64_t used; /* the tick of its last event (least recently used goes first) */
};

#define BEH_NBUCKETS 2048

struct bh_behave {
	struct bh_prof_store *store;
	struct bh_behave_opts o;
	char *key; /* o.key, owned */
	struct beh_profile *buckets[BEH_NBUCKETS];
	size_t nprof;
	size_t items; /* items of the profiles held */
	uint64_t tick;
	unsigned since_flush;
	uint64_t last_flush_ms;
	/* the profile of the last event's container (NULL after an eviction) */
	struct beh_profile *last;
	struct bh_mon_container last_ct;
	/* PRAGMA data_version when the modes were last read (bh_behave_reload) */
	int64_t data_version;
};

/* CLOCK_MONOTONIC in milliseconds. */
static inline int64_t beh_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read key's mode, promotion rule and zero drift into p (no mode: discover). */
int beh_load_mode(struct bh_behave *b, struct beh_profile *p, struct bh_error **err);

/* Flush, then drop the least recently used profile held but keep (behave.c). */
int beh_evict(struct bh_behave *b, const struct beh_profile *keep, struct bh_error **err);

/* A JSON string of s; bytes that are not UTF-8 (a path from the kernel may
 * have them) become '?' (behave_flush.c). */
json_t *beh_str_json(const char *s);

/* The hash of an item. */
uint32_t beh_hash(unsigned kind, const char *value, const char *extra);
/* The item (kind, value, extra) of p, or NULL. */
struct beh_item *beh_find(const struct beh_profile *p, unsigned kind, const char *value,
			  const char *extra);

/* Parse "tcp"/"udp" → 6/17; 0 when neither. */
int beh_proto_parse(const char *s);
const char *beh_proto_name(int proto);
/* A path as profiles keep it: absolute, no empty, "." or ".." component, no
 * control byte, shorter than BH_MON_PATH_MAX. */
bool beh_path_ok(const char *p, size_t len);

#endif
