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
 * what they match; a rule is an address prefix, a port and a protocol.
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

static __always_inline int rule_match(const struct grd_net_rule *r, __u32 fam, const __u32 *a,
				      __u16 port, __u32 proto)
{
	if (r->family != fam)
		return 0;
	if (r->port && r->port != port)
		return 0;
	if (r->proto && r->proto != proto)
		return 0;
	if ((a[0] & r->mask[0]) != r->addr[0])
		return 0;
	if (fam == 4)
		return 1;
	return (a[1] & r->mask[1]) == r->addr[1] && (a[2] & r->mask[2]) == r->addr[2] &&
	       (a[3] & r->mask[3]) == r->addr[3];
}

static __always_inline int verdict(struct bpf_sock_addr *ctx, int v6)
{
	__u64 cookie = bpf_get_netns_cookie(ctx);
	struct grd_net_policy *p = bpf_map_lookup_elem(&policy, &cookie);
	struct grd_net_counts *c, zero = {};
	__u32 a[4] = {}, fam = 4, proto = ctx->protocol;
	__u16 port = (__u16)ctx->user_port;
	int match = 0, deny;

	if (!p)
		return 1;
	if (v6) {
		a[0] = ctx->user_ip6[0];
		a[1] = ctx->user_ip6[1];
		a[2] = ctx->user_ip6[2];
		a[3] = ctx->user_ip6[3];
		fam = 6;
		if (a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff)) {
			a[0] = a[3];
			a[1] = a[2] = a[3] = 0;
			fam = 4;
		}
	} else {
		a[0] = ctx->user_ip4;
	}
	if (p->action != GRD_NET_DENY_ALL) {
		for (__u32 i = 0; i < GRD_NET_MAX_RULES; i++) {
			if (i >= p->nrules)
				break;
			if (rule_match(&p->rules[i], fam, a, port, proto)) {
				match = 1;
				break;
			}
		}
	}
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
