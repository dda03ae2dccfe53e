/* SPDX-License-Identifier: Apache-2.0 */
/* The guard's internals shared by its files and its unit test (prefix grd_). */
#ifndef BULKHEAD_MONITOR_GUARD_INTERNAL_H
#define BULKHEAD_MONITOR_GUARD_INTERNAL_H

#include <stdbool.h>
#include <time.h>

/* What zero-drift knows of one executed file. */
struct grd_drift_in {
	bool tmpfs;		 /* on a tmpfs or ramfs */
	bool in_upper;		 /* present in the overlay's upperdir */
	struct timespec ctime;	 /* the file's ctime */
	struct timespec started; /* the container's start (real time) */
};

/* 1 when the file did not come from the image (*why says which fact), else 0. */
int grd_drift(const struct grd_drift_in *in, const char **why);

struct bh_guard_net_rule;
struct grd_net_key; /* monitor/bpf/guard_net.h */
/* The trie key of rule r for the policy (cookie, gen) of a container: the address
 * masked to its prefix, port in network order. */
void grd_net_rule_key(const struct bh_guard_net_rule *r, unsigned long long cookie, unsigned gen,
		      struct grd_net_key *k);

#endif
