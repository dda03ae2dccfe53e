/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The layout shared by the connect guard (connect.bpf.c, clang -target bpf)
 * and its loader (guard_net.c). Plain C types only: both compilers include it.
 * A change here bumps GRD_NET_LAYOUT, the version in the pin directory's name
 * (/sys/fs/bpf/bulkhead/guard-v<GRD_NET_LAYOUT>).
 */
#ifndef BULKHEAD_MONITOR_GUARD_NET_H
#define BULKHEAD_MONITOR_GUARD_NET_H

#define GRD_NET_LAYOUT	  1
#define GRD_NET_MAX_RULES 16
#define GRD_NET_MAX_CTRS  4096

/* actions (bh_guard_net_action) */
#define GRD_NET_DENY_ALL   0
#define GRD_NET_ALLOW_LIST 1
#define GRD_NET_DENY_LIST  2
/* flags */
#define GRD_NET_MONITOR 1u

/* One rule; addresses and port in network byte order. A v4 rule uses addr[0]/mask[0]. */
struct grd_net_rule {
	unsigned int addr[4];
	unsigned int mask[4];
	unsigned short port;  /* 0: any */
	unsigned char family; /* 4 or 6 */
	unsigned char proto;  /* 0: any, 6 TCP, 17 UDP */
	unsigned int pad;
};

/* The value of `policy`, keyed by the network namespace cookie (u64). */
struct grd_net_policy {
	unsigned int action;
	unsigned int flags;
	unsigned int nrules;
	unsigned int pad;
	struct grd_net_rule rules[GRD_NET_MAX_RULES];
};

/* The value of `counts` (per CPU), keyed by the same cookie. */
struct grd_net_counts {
	unsigned long long allowed;
	unsigned long long denied;
	unsigned long long would_deny;
};

#endif
