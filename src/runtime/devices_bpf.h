/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/runtime: the device policy of a container as one ordered
 * rule list, and its cgroup v2 form, a BPF_PROG_TYPE_CGROUP_DEVICE program
 * emitted instruction by instruction (no clang, no libbpf) and attached with
 * BPF_F_ALLOW_MULTI to the container's cgroup2 directory.
 *
 * Semantics (runtime-spec linux.resources.devices, as runc and crun apply it):
 * the rules are evaluated in order and the LAST rule that matches decides;
 * nothing matches: denied. A rule matches a request when its type is the
 * request's, its major and minor are the request's or -1, and
 *  - allow: the requested access (one open asks for read and write together;
 *    access(2) probes ask for none) is a subset of the rule's, as runc does;
 *  - deny: the request asks for some access the rule denies, or the rule
 *    denies "rwm" (then it matches every request for the device, probes too).
 *    A subset test would let O_RDWR through "deny w".
 * Type 'a' matches every device and every access: like the v1 kernel parser
 * and runc, an 'a' rule resets the whole policy whatever its major, minor and
 * access say.
 */
#ifndef BULKHEAD_RUNTIME_DEVICES_BPF_H
#define BULKHEAD_RUNTIME_DEVICES_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/bpf.h>

#include "bulkhead/runtime.h"
#include "internal.h"

/* The rules of one policy: the config's, the defaults, linux.devices. */
#define RT_DEVBPF_MAX_RULES (2 * RT_MAX_DEVICES + 64)
/* Never emit more instructions than this (the kernel takes a million from root). */
#define RT_DEVBPF_MAX_INSNS 131072
/* Largest major or minor (the spec parser's bound; the kernel's are 12 and 20 bits). */
#define RT_DEVBPF_MAX_NUM 0xfffff

struct rt_devbpf_rule {
	bool allow;
	char type;	      /* 'a', 'c' or 'b' */
	int64_t major, minor; /* -1 = any */
	uint8_t access;	      /* BPF_DEVCG_ACC_READ | _WRITE | _MKNOD */
};

struct rt_devbpf_prog {
	struct bpf_insn *insns; /* owned */
	size_t ninsns;
	size_t nrules;	    /* rules of the policy */
	size_t nchecked;    /* rules left after shadowed and redundant ones were dropped */
	bool default_allow; /* the verdict when no emitted rule matches */
};

/*
 * The policy of `spec`, in order, exactly what the v1 devices controller is
 * given: deny all, the config's linux.resources.devices, the runtime's default
 * devices (null, zero, full, random, urandom, tty, console, ptmx, pts), then
 * every linux.devices node ('u' as 'c'; fifos need no rule). *out is the
 * caller's (free()). Fails on an invalid rule or more than RT_DEVBPF_MAX_RULES.
 */
int rt_devbpf_rules(const struct bh_rt_spec *spec, struct rt_devbpf_rule **out, size_t *n,
		    struct bh_error **err);
/* The v1 devices.allow / devices.deny line of a rule ("a", "c 1:3 rwm", "c 136:* rwm"). */
void rt_devbpf_rule_format(const struct rt_devbpf_rule *r, char *buf, size_t size);
/* Reference semantics: would the rules allow `access` (BPF_DEVCG_ACC_*) on the device? */
bool rt_devbpf_eval(const struct rt_devbpf_rule *rules, size_t n, char type, uint32_t major,
		    uint32_t minor, unsigned access);

/*
 * Compile the rules: the last rule first, one block of combined checks per
 * rule, rules shadowed by a later one and trailing rules that agree with the
 * default dropped, the default deny last. *p is released with
 * rt_devbpf_prog_release.
 */
int rt_devbpf_compile(const struct rt_devbpf_rule *rules, size_t n, struct rt_devbpf_prog *p,
		      struct bh_error **err);
void rt_devbpf_prog_release(struct rt_devbpf_prog *p);

/*
 * BPF_PROG_LOAD: the program's fd (close-on-exec) or -1. On a verifier
 * rejection the error quotes the end of the verifier log; a kernel without
 * BPF_PROG_TYPE_CGROUP_DEVICE (or without bpf(2)) fails with
 * BH_ERR_UNSUPPORTED naming what is missing.
 */
int rt_devbpf_load(const struct rt_devbpf_prog *p, struct bh_error **err);
/*
 * Attach prog_fd to the cgroup2 directory `dir` (BPF_CGROUP_DEVICE,
 * BPF_F_ALLOW_MULTI), then detach the device programs attached there before
 * (a reused cgroup), so the new policy replaces the old one.
 */
int rt_devbpf_attach(int prog_fd, const char *dir, struct bh_error **err);
/* IDs of the device programs attached to `dir` itself (not inherited): at most max. */
int rt_devbpf_query(const char *dir, uint32_t *ids, size_t max, size_t *n, struct bh_error **err);
/* Compile, load and attach the rules to `dir`; *stats (may be NULL) gets the program's size. */
int rt_devbpf_apply(const struct rt_devbpf_rule *rules, size_t n, const char *dir,
		    struct rt_devbpf_stats *stats, struct bh_error **err);

/*
 * For the hardening report ("devices"): how device access of the container in
 * `cg` is enforced, checked against the kernel (the programs attached to its
 * cgroup2 directory), with the size rt_cgroup_create kept in cg->devbpf.
 * Caller frees.
 */
char *rt_devices_status(const struct rt_cgroup *cg);

#endif
