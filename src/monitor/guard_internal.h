/* SPDX-License-Identifier: Apache-2.0 */
/* The guard's internals shared by its files and its unit test (prefix grd_). */
#ifndef BULKHEAD_MONITOR_GUARD_INTERNAL_H
#define BULKHEAD_MONITOR_GUARD_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "bulkhead/guard.h"

struct bh_error;

/* The start time of pid (clock ticks after boot, /proc/PID/stat field 22) read
 * under root ("" or NULL: the host's /proc). */
int grd_read_start(const char *root, pid_t pid, uint64_t *out, struct bh_error **err);

/* What zero-drift knows of one executed file. */
struct grd_drift_in {
	bool tmpfs;		 /* on a tmpfs or ramfs */
	bool in_upper;		 /* present in the overlay's upperdir */
	struct timespec ctime;	 /* the file's ctime */
	struct timespec started; /* the container's start (real time) */
};

/* 1 when the file did not come from the image (*why says which fact), else 0. */
int grd_drift(const struct grd_drift_in *in, const char **why);

/* Bounds of the look for another name of an executed file (guard_names.c). */
/* entries looked at per exec: the guard's thread waits for the walk (4096 files:
 * 10-13 ms, as many stat() calls 11-12 ms; 16384: 64-78 ms) */
#define GRD_NAMES_ENTRIES 4096
#define GRD_NAMES_DEPTH	  16 /* directories below a prefix's */

/*
 * A name of the file (dev, ino) under one of prefixes (absolute string
 * prefixes of paths: "/tmp/" is what is in /tmp, "/usr/bin/x" the entries of
 * /usr/bin whose name starts with x and all below them) in the tree of rootfd
 * (resolved in it; symbolic links not followed): 1 and its path in out, 0 when
 * there is none, -1 when the walk stopped at a bound (max_entries entries,
 * GRD_NAMES_DEPTH, PATH_MAX) before finding one.
 */
int grd_find_name(int rootfd, const char *const *prefixes, uint64_t dev, uint64_t ino,
		  unsigned max_entries, char *out, size_t outsz);

/* A container's memory of the look's answers and its budget (guard_names.c). */
#define GRD_NAMES_CACHE	     32	   /* answers kept per container */
#define GRD_NAMES_CACHE_DIRS 64	   /* directories a "none" answer kept may depend on */
#define GRD_NAMES_BUDGET     16384 /* entries walked per second per container (~50 ms) */
/* heap the answers kept hold per container (the names found, and the directories
 * and their paths "none" answers depend on: malloc's own overhead aside); 4096
 * containers: 256 MiB at worst, where 32 x 64 x PATH_MAX paths would be 8 MiB each */
#define GRD_NAMES_CACHE_BYTES 65536

struct grd_names;
/* The executed file: its identity, and its link count and ctime (a new link of
 * it changes both: a kept answer for other values is not used). */
struct grd_names_file {
	uint64_t dev, ino, nlink;
	struct timespec ctime;
};
struct grd_names_stats {
	uint64_t walks;	      /* walks made */
	uint64_t hits;	      /* answers taken from the memory (checked still true) */
	uint64_t stale;	      /* answers found changed (file or directories) and dropped */
	uint64_t over_budget; /* looks the budget could not pay for (-2) */
	uint64_t dropped;     /* answers not kept, or let go, for GRD_NAMES_CACHE(_BYTES) */
	size_t bytes;	      /* heap the answers kept hold now */
};
/* A new memory (owned by the caller) whose walks read budget entries a second. */
struct grd_names *grd_names_new(unsigned budget);
void grd_names_free(struct grd_names *c);
/*
 * grd_find_name for file f through memory c (now_ns: CLOCK_MONOTONIC): a kept
 * answer for f still true is used (whatever the budget has left), else a walk
 * of at most GRD_NAMES_ENTRIES entries and what the budget has left: 1 found,
 * 0 none, -1 unsure (a bound, a change), -2 the budget could not pay for the
 * walk (none left, or a walk it cut short before finding one). The container
 * spends its budget itself: the caller must not let -2 become an allow.
 */
int grd_names_find(struct grd_names *c, int rootfd, const char *const *prefixes,
		   const struct grd_names_file *f, uint64_t now_ns, char *out, size_t outsz);
void grd_names_get_stats(const struct grd_names *c, struct grd_names_stats *out);
/*
 * The verdict of a multi-link exec whose look for its other names answered r
 * (grd_names_find), v the verdict without it (guard_decide.c): r -2 (the
 * container's budget spent) refuses whatever fail_closed says, -1 (a bound, a
 * change) refuses with fail_closed, else v; *reason set when it refuses.
 */
enum bh_guard_verdict grd_names_unsure_verdict(int r, bool fail_closed, enum bh_guard_verdict v,
					       const char **reason);

struct bh_guard_net_rule;
struct grd_net_key; /* monitor/bpf/guard_net.h */
/* The trie key of rule r for the policy (cookie, gen) of a container: the address
 * masked to its prefix, port in network order. */
void grd_net_rule_key(const struct bh_guard_net_rule *r, unsigned long long cookie, unsigned gen,
		      struct grd_net_key *k);

/* The connect guard's maps (fds), as a replace or a removal uses them. */
struct grd_net_fds {
	int policy, counts, rules, slots, used;
	unsigned long calls; /* map calls made: what a replace costs (the unit test's measure) */
};

struct grd_net_policy;
/*
 * Make rules[0..n) the policy of cookie: v's action and GRD_NET_MONITOR are the
 * caller's, its gen, nrules and kinds of rule are set here. Map calls in
 * O(n + that cookie's keys), whatever the other containers hold. BH_ERR_LIMIT when
 * the rules in force of the other containers plus n pass GRD_NET_MAX_KEYS (the
 * container's old rules are not counted: they go). id names the container in errors.
 */
int grd_net_replace(struct grd_net_fds *m, unsigned long long cookie, struct grd_net_policy *v,
		    const struct bh_guard_net_rule *rules, size_t n, const char *id,
		    struct bh_error **err);
/* Remove cookie's policy, counts and keys; BH_ERR_NOTFOUND if it had none. */
int grd_net_remove(struct grd_net_fds *m, unsigned long long cookie, const char *id,
		   struct bh_error **err);

#endif
