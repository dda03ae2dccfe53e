/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syscall recorder: every syscall entered by a recorded task of one
 * container sets one bit of a per-CPU bitmap, by architecture. Built with
 * clang -target bpf at build time; bpftool turns it into the skeleton
 * recorder.c loads (src/profile/recorder.c).
 *
 * Which tasks: those of the container's cgroup (the cgroup2 hierarchy, the
 * one BPF's cgroup helpers see: on a hybrid host /sys/fs/cgroup/unified),
 * by the ancestor of the task's cgroup at the container's level, so a
 * process that moves to a sub-cgroup stays recorded, and one that unshares a
 * namespace too (namespaces play no part). Of those, only tasks running a
 * program exec'd in the container, and their children and threads: the
 * container is armed when its init execs the workload (sched_process_exec
 * from the init's tgid: a startContainer hook the init runs first is not
 * it); a task is armed at its own exec once the container is (an exec
 * session: `bulkhead exec`'s setns, capset, seccomp… before it are the
 * runtime's, not the workload's) and passes it on at fork and clone. So the
 * runtime's own setup calls are never recorded; the execve of an arming
 * exec is set by the exec program (it entered before the task was armed).
 *
 * Where a task is armed: task-local storage with tp_btf (no lookup cost
 * to speak of), a hash of tids with the raw_tp fallback (a task that finds
 * it full is counted as lost).
 *
 * In monitor mode (the learned allow-list installed with SCMP_ACT_LOG, so a
 * call outside it still reaches sys_enter), calls outside the list are also
 * counted per syscall, for the report.
 *
 * Neither attachment needs vmlinux.h: the kernel fields read
 * (thread_info.status for TS_COMPAT, task_struct.pid) are relocated with
 * CO-RE.
 */
#include <linux/bpf.h>
#include <linux/types.h>

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "profile/bpf/recorder.h"
#include "banned.h"

/* x86: a compat (32-bit) syscall in progress; arch/x86/include/asm/thread_info.h */
#define TS_COMPAT	 0x0002
#define X32_SYSCALL_BIT	 0x40000000
#define NR_EXECVE_NATIVE 59
#define MAX_TASKS	 65536

struct thread_info {
	__u32 status;
} __attribute__((preserve_access_index));

struct task_struct {
	struct thread_info thread_info;
	int pid;
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

/* tp_btf: the armed tasks */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u8);
} armed_task SEC(".maps");

/* raw_tp: the armed tasks, by tid */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MAX_TASKS);
	__type(key, __u32);
	__type(value, __u8);
} armed_tid SEC(".maps");

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

static __always_inline int task_armed(int btf)
{
	__u8 *v;

	if (btf) {
		v = bpf_task_storage_get(&armed_task, bpf_get_current_task_btf(), 0, 0);
	} else {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();

		v = bpf_map_lookup_elem(&armed_tid, &tid);
	}
	return v && *v;
}

/* Arm task t (the current task when cur); 0, or -1 when it cannot be (lost). */
static __always_inline int arm_task(int btf, struct task_struct *t, int cur)
{
	__u8 one = 1;

	if (btf) {
		__u8 *v = bpf_task_storage_get(&armed_task, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

		if (!v)
			return -1;
		*v = 1;
		return 0;
	} else {
		__u32 tid = cur ? (__u32)bpf_get_current_pid_tgid() : (__u32)BPF_CORE_READ(t, pid);

		return bpf_map_update_elem(&armed_tid, &tid, &one, BPF_ANY) ? -1 : 0;
	}
}

static __always_inline int record(long id, int btf)
{
	struct task_struct *t;
	struct prof_seen *s;
	__u32 k = 0, arch = PROF_ARCH_NATIVE;
	__u32 status = 0;

	if (!in_container() || !task_armed(btf))
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

static __always_inline int on_exec(int btf)
{
	struct prof_seen *s;
	struct prof_ctl *c;
	__u32 k = 0;

	if (!in_container())
		return 0;
	c = bpf_map_lookup_elem(&ctl, &k);
	s = bpf_map_lookup_elem(&seen, &k);
	if (!c || !s)
		return 0;
	if (!c->armed) {
		if ((__u32)(bpf_get_current_pid_tgid() >> 32) != c->init_tgid)
			return 0; /* a startContainer hook the init ran: not the workload */
		c->armed_ns = bpf_ktime_get_ns();
		c->armed = 1;
	} else if (task_armed(btf)) {
		__sync_fetch_and_add(&c->execs, 1);
		return 0; /* its execve was recorded on entry */
	} else {
		__sync_fetch_and_add(&c->joined, 1); /* an exec session */
	}
	if (arm_task(btf,
		     btf ? bpf_get_current_task_btf()
			 : (struct task_struct *)bpf_get_current_task(),
		     1) < 0) {
		s->untracked++;
		return 0;
	}
	/* the execve that got here entered before the task was armed */
	set_bit(s, PROF_ARCH_NATIVE, NR_EXECVE_NATIVE);
	return 0;
}

/* fork, clone and new threads of an armed task are armed */
static __always_inline int on_fork(struct task_struct *child, int btf)
{
	struct prof_seen *s;
	__u32 k = 0;

	if (!in_container() || !task_armed(btf))
		return 0;
	if (arm_task(btf, child, 0) < 0) {
		s = bpf_map_lookup_elem(&seen, &k);
		if (s)
			s->untracked++;
	}
	return 0;
}

SEC("tp_btf/sys_enter")
int rec_sys_enter_btf(__u64 *ctx)
{
	return record((long)ctx[1], 1);
}

SEC("tp_btf/sched_process_exec")
int rec_exec_btf(__u64 *ctx)
{
	return on_exec(1);
}

SEC("tp_btf/sched_process_fork")
int rec_fork_btf(__u64 *ctx)
{
	return on_fork((struct task_struct *)ctx[1], 1);
}

SEC("raw_tp/sys_enter")
int rec_sys_enter_raw(__u64 *ctx)
{
	return record((long)ctx[1], 0);
}

SEC("raw_tp/sched_process_exec")
int rec_exec_raw(__u64 *ctx)
{
	return on_exec(0);
}

SEC("raw_tp/sched_process_fork")
int rec_fork_raw(__u64 *ctx)
{
	return on_fork((struct task_struct *)ctx[1], 0);
}

SEC("raw_tp/sched_process_exit")
int rec_exit_raw(__u64 *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&armed_tid, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
