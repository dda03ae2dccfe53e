/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The layout shared by the connect guard (connect.bpf.c, clang -target bpf)
 * and its loader (guard_net.c). Plain C types only: both compilers include it.
 * A change here bumps GRD_NET_LAYOUT, the version in the pin directory's name
 * (/sys/fs/bpf/bulkhead/guard-v<GRD_NET_LAYOUT>).
 */
#ifndef BULKHEAD_MONITOR_GUARD_NET_H
#define BULKHEAD_MONITOR_GUARD_NET_H

#define GRD_NET_LAYOUT	  3
#define GRD_NET_MAX_RULES 4096 /* per container (bh_guard_net_set refuses more) */
#define GRD_NET_MAX_CTRS  4096
/* Rules in force of every container together: the sum of the policies' nrules, which
 * the `used` map holds. The trie (and `slots`) hold GRD_NET_MAX_RULES more: the room
 * of the one replace in flight (replaces hold an exclusive lock), whose new keys are
 * written before the old ones go. `used` is raised before a policy grows and
 * lowered after it shrinks: a writer interrupted between leaves it above what is
 * in force (the bound kept early), never below; detaching resets it. */
#define GRD_NET_MAX_KEYS  65536
#define GRD_NET_TRIE_SIZE (GRD_NET_MAX_KEYS + GRD_NET_MAX_RULES)

/* actions (bh_guard_net_action) */
#define GRD_NET_DENY_ALL   0
#define GRD_NET_ALLOW_LIST 1
#define GRD_NET_DENY_LIST  2
/* flags */
#define GRD_NET_MONITOR 1u
/* flags: which kinds of rule the policy has, so a verdict looks up only those */
#define GRD_NET_HAS_PROTO_PORT 2u  /* a protocol and a port */
#define GRD_NET_HAS_PROTO      4u  /* a protocol, any port */
#define GRD_NET_HAS_PORT       8u  /* a port, any protocol */
#define GRD_NET_HAS_ANY	       16u /* any protocol, any port */

/*
 * One rule is one key of the LPM trie `rules`: the container's cookie, the
 * policy's generation, family, protocol and port are matched exactly (the
 * first GRD_NET_KEY_FIXED bits), the address by its prefix. Addresses and
 * port in network byte order; a v4 address in addr[0]. A verdict looks up
 * (proto, port), (proto, any), (any, port) and (any, any). A policy's rules
 * are written under a new generation before the policy names it, so a
 * verdict never sees half of a policy being replaced.
 */
struct grd_net_key {
	unsigned int prefixlen; /* GRD_NET_KEY_FIXED + the address prefix */
	unsigned int cookie[2];
	unsigned int gen;
	unsigned char family; /* 4 or 6 */
	unsigned char proto;  /* 0: any, 6 TCP, 17 UDP */
	unsigned short port;  /* 0: any */
	unsigned int addr[4];
};
#define GRD_NET_KEY_FIXED 128

/*
 * A policy's keys are listed in `slots` (user space's alone; the programs never read
 * it): the key of rule i of generation gen is at (cookie, (gen & 1) * GRD_NET_MAX_RULES
 * + i). A bank is written from slot 0 up and deleted from its last slot down, so what
 * an interrupted writer left is always slots 0..n-1: a replace or a clear touches
 * that container's keys only, never the whole trie.
 */
struct grd_net_slot {
	unsigned int cookie[2];
	unsigned int slot;
};

/* The value of `policy`, keyed by the network namespace cookie (u64). */
struct grd_net_policy {
	unsigned int action;
	unsigned int flags;
	unsigned int nrules;
	unsigned int gen; /* the generation of its keys in `rules` */
};

/* The value of `counts` (per CPU), keyed by the same cookie. */
struct grd_net_counts {
	unsigned long long allowed;
	unsigned long long denied;
	unsigned long long would_deny;
};

#endif
