/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syscall recorder: every syscall entered by a task of one container's
 * cgroup (the cgroup2 hierarchy, the one BPF's cgroup helpers see: on a
 * hybrid host /sys/fs/cgroup/unified) sets one bit of a per-CPU bitmap,
 * by architecture. Built with clang -target bpf at build time; bpftool
 * turns it into the skeleton recorder.c loads (src/profile/recorder.c).
 *
 * Filtering is by the ancestor of the task's cgroup at the container's
 * level, so processes that move to a sub-cgroup stay recorded, and by
 * nothing else: unsharing a namespace changes nothing here. Recording starts
 * when the container's init execs the workload (sched_process_exec from the
 * init's tgid), so the runtime's own setup calls are never recorded; the
 * execve itself is then recorded by the exec program.
 *
 * In monitor mode (the learned allow-list installed with SCMP_ACT_LOG, so a
 * call outside it still reaches sys_enter), calls outside the list are also
 * counted per syscall, for the report.
 *
 * Two attachments of the same code: tp_btf (BTF-typed, preferred) and
 * raw_tp (the fallback where tp_btf does not load). Neither needs
 * vmlinux.h: the one kernel field read (thread_info.status, for TS_COMPAT)
 * is relocated with CO-RE.
 */
#include <linux/bpf.h>
#include <linux/types.h>

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "profile/bpf/recorder.h"

/* x86: a compat (32-bit) syscall in progress; arch/x86/include/asm/thread_info.h */
#define TS_COMPAT	 0x0002
#define X32_SYSCALL_BIT	 0x40000000
#define NR_EXECVE_NATIVE 59

struct thread_info {
	__u32 status;
} __attribute__((preserve_access_index));

struct task_struct {
	struct thread_info thread_info;
} __attribute__((preserve_access_index));

/* Set by the loader before load (rodata). */
const volatile __u64 target_cgid = 0;
const volatile __u32 target_level = 0;
const volatile __u32 monitor = 0; /* count calls outside `allowed` */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct prof_seen);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct prof_ctl);
} ctl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct prof_allowed);
} allowed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct prof_outside);
} outside SEC(".maps");

static __always_inline int in_container(void)
{
	return bpf_get_current_ancestor_cgroup_id((int)target_level) == target_cgid;
}

static __always_inline void set_bit(struct prof_seen *s, __u32 arch, long nr)
{
	if (nr < 0 || nr >= PROF_MAX_NR) {
		s->out_of_range++;
		return;
	}
	if (arch >= PROF_NARCH)
		arch = PROF_ARCH_NATIVE;
	s->bits[arch][(nr >> 6) & (PROF_WORDS - 1)] |= 1ULL << (nr & 63);
}

static __always_inline int record(long id)
{
	struct task_struct *t;
	struct prof_seen *s;
	struct prof_ctl *c;
	__u32 k = 0, arch = PROF_ARCH_NATIVE;
	__u32 status = 0;

	if (!in_container())
		return 0;
	c = bpf_map_lookup_elem(&ctl, &k);
	if (!c || !c->armed)
		return 0;
	s = bpf_map_lookup_elem(&seen, &k);
	if (!s)
		return 0;
	t = (struct task_struct *)bpf_get_current_task();
	if (bpf_core_read(&status, sizeof(status), &t->thread_info.status) == 0 &&
	    (status & TS_COMPAT))
		arch = PROF_ARCH_COMPAT;
	else if (id & X32_SYSCALL_BIT) {
		arch = PROF_ARCH_X32;
		id &= ~(long)X32_SYSCALL_BIT;
	}
	s->events++;
	set_bit(s, arch, id);
	if (monitor && id >= 0 && id < PROF_MAX_NR && arch < PROF_NARCH) {
		struct prof_allowed *al = bpf_map_lookup_elem(&allowed, &k);
		struct prof_outside *o = bpf_map_lookup_elem(&outside, &k);
		__u32 nr = (__u32)id & (PROF_MAX_NR - 1);

		if (al && o && !(al->bits[arch][nr >> 6] & (1ULL << (nr & 63))))
			o->count[arch][nr]++;
	}
	return 0;
}

static __always_inline int on_exec(void)
{
	struct prof_seen *s;
	struct prof_ctl *c;
	__u32 k = 0;

	if (!in_container())
		return 0;
	c = bpf_map_lookup_elem(&ctl, &k);
	if (!c)
		return 0;
	if (c->armed) {
		__sync_fetch_and_add(&c->execs, 1);
		return 0;
	}
	if ((__u32)(bpf_get_current_pid_tgid() >> 32) != c->init_tgid)
		return 0; /* a startContainer hook the init ran: not the workload */
	/* the init's own execve of the workload, entered before it was armed */
	s = bpf_map_lookup_elem(&seen, &k);
	if (s)
		set_bit(s, PROF_ARCH_NATIVE, NR_EXECVE_NATIVE);
	c->armed_ns = bpf_ktime_get_ns();
	c->armed = 1;
	return 0;
}

SEC("tp_btf/sys_enter")
int rec_sys_enter_btf(__u64 *ctx)
{
	return record((long)ctx[1]);
}

SEC("raw_tp/sys_enter")
int rec_sys_enter_raw(__u64 *ctx)
{
	return record((long)ctx[1]);
}

SEC("tp_btf/sched_process_exec")
int rec_exec_btf(__u64 *ctx)
{
	return on_exec();
}

SEC("raw_tp/sched_process_exec")
int rec_exec_raw(__u64 *ctx)
{
	return on_exec();
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
