/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The connect guard: cgroup/connect4, connect6, sendmsg4 and sendmsg6
 * programs attached at the cgroup2 root (src/monitor/guard_net.c), so every
 * process of the host passes them, whichever cgroup its runtime left it in.
 * A container is told apart by its network namespace cookie
 * (bpf_get_netns_cookie): a process of the host, or of a container without
 * a policy, costs the cookie and one hash lookup that finds nothing.
 *
 * A policy denies everything, allows only what its rules match, or denies
 * what they match; a rule is an address prefix, a port and a protocol, a
 * key of the LPM trie `rules` (guard_net.h): thousands per container, each
 * verdict at most four trie lookups whatever their number (one per kind of
 * rule the policy has: protocol and port, protocol, port, neither).
 * IPv4-mapped IPv6 destinations are matched as IPv4. A denied connect or
 * UDP send fails with EPERM (the program returns 0). In monitor mode the
 * would-be denials are counted and everything passes. Verdicts are counted
 * per container, per CPU.
 */
#include <linux/bpf.h>
#include <linux/types.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "monitor/bpf/guard_net.h"
#include "banned.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GRD_NET_MAX_CTRS);
	__type(key, __u64);
	__type(value, struct grd_net_policy);
} policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, GRD_NET_MAX_CTRS);
	__type(key, __u64);
	__type(value, struct grd_net_counts);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, GRD_NET_TRIE_SIZE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct grd_net_key);
	__type(value, __u32);
} rules SEC(".maps");

/* user space's: each policy's keys (struct grd_net_slot), and the rules in force */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GRD_NET_TRIE_SIZE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct grd_net_slot);
	__type(value, struct grd_net_key);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} used SEC(".maps");

/* Whether a rule of the policy (cookie, gen) matches the destination in k; only the
 * kinds of rule the policy has (flags) are looked up. */
static __always_inline int rules_match(struct grd_net_key *k, __u32 flags, __u16 port, __u32 proto)
{
	k->proto = (__u8)proto;
	k->port = port;
	if ((flags & GRD_NET_HAS_PROTO_PORT) && bpf_map_lookup_elem(&rules, k))
		return 1;
	k->port = 0;
	if ((flags & GRD_NET_HAS_PROTO) && bpf_map_lookup_elem(&rules, k))
		return 1;
	k->proto = 0;
	k->port = port;
	if ((flags & GRD_NET_HAS_PORT) && bpf_map_lookup_elem(&rules, k))
		return 1;
	k->port = 0;
	return (flags & GRD_NET_HAS_ANY) && bpf_map_lookup_elem(&rules, k);
}

static __always_inline int verdict(struct bpf_sock_addr *ctx, int v6)
{
	__u64 cookie = bpf_get_netns_cookie(ctx);
	struct grd_net_policy *p = bpf_map_lookup_elem(&policy, &cookie);
	struct grd_net_counts *c, zero = {};
	struct grd_net_key k = {};
	__u32 proto = ctx->protocol;
	__u16 port = (__u16)ctx->user_port;
	int match = 0, deny;

	if (!p)
		return 1;
	k.prefixlen = GRD_NET_KEY_FIXED + 128;
	k.cookie[0] = (__u32)cookie;
	k.cookie[1] = (__u32)(cookie >> 32);
	k.gen = p->gen;
	k.family = 4;
	if (v6) {
		k.addr[0] = ctx->user_ip6[0];
		k.addr[1] = ctx->user_ip6[1];
		k.addr[2] = ctx->user_ip6[2];
		k.addr[3] = ctx->user_ip6[3];
		k.family = 6;
		if (k.addr[0] == 0 && k.addr[1] == 0 && k.addr[2] == bpf_htonl(0xffff)) {
			k.addr[0] = k.addr[3];
			k.addr[2] = k.addr[3] = 0;
			k.family = 4;
		}
	} else {
		k.addr[0] = ctx->user_ip4;
	}
	if (p->action != GRD_NET_DENY_ALL && p->nrules)
		match = rules_match(&k, p->flags, port, proto);
	deny = p->action == GRD_NET_DENY_ALL || (p->action == GRD_NET_ALLOW_LIST && !match) ||
	       (p->action == GRD_NET_DENY_LIST && match);
	c = bpf_map_lookup_elem(&counts, &cookie);
	if (!c) {
		bpf_map_update_elem(&counts, &cookie, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&counts, &cookie);
	}
	if (deny && (p->flags & GRD_NET_MONITOR)) {
		if (c)
			c->would_deny++;
		return 1;
	}
	if (c) {
		if (deny)
			c->denied++;
		else
			c->allowed++;
	}
	return deny ? 0 : 1;
}

SEC("cgroup/connect4")
int grd_connect4(struct bpf_sock_addr *ctx)
{
	return verdict(ctx, 0);
}

SEC("cgroup/connect6")
int grd_connect6(struct bpf_sock_addr *ctx)
{
	return verdict(ctx, 1);
}

SEC("cgroup/sendmsg4")
int grd_sendmsg4(struct bpf_sock_addr *ctx)
{
	return verdict(ctx, 0);
}

SEC("cgroup/sendmsg6")
int grd_sendmsg6(struct bpf_sock_addr *ctx)
{
	return verdict(ctx, 1);
}
