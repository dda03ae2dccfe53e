/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syscall recorder: one program set for every container that learns
 * (or is monitored, or protected), loaded by the first to arm and pinned
 * under /sys/fs/bpf/bulkhead/prof-v<PROF_LAYOUT> (src/profile/recorder.c).
 * Built with clang -target bpf at build time; bpftool turns it into the
 * skeleton recorder.c loads.
 *
 * Which tasks: an armed task carries its container's slot and the slot's
 * generation (task-local storage with tp_btf, a hash of tids with the
 * raw_tp fallback), so sys_enter for any other task (every host process)
 * is one lookup that finds nothing. A container is armed when its init
 * execs the workload (sched_process_exec from the init's tgid: a
 * startContainer hook the init runs first is not it); the exec program,
 * the rare path, finds the container by the task's ancestor cgroups
 * (cgroup2: the hierarchy BPF's cgroup helpers see) against `conts`, so a
 * task that joined the container (an exec session: `bulkhead exec`'s
 * setns, capset, seccomp… before it are the runtime's) is armed at its own
 * exec and counted as joined. Children and threads of an armed task are
 * armed at fork and clone, and stay so whatever sub-cgroup they move to or
 * namespace they unshare. The runtime's own setup calls are never
 * recorded; the execve of an arming exec is set by the exec program (it
 * entered before the task was armed).
 *
 * A slot's generation changes when its container is removed: a task still
 * holding the old one (it outlived its container) records nothing into the
 * slot's next owner.
 *
 * monitor (the learned allow-list installed with SCMP_ACT_LOG, so a call
 * outside it still reaches sys_enter): calls outside it are counted per
 * syscall in `hits`. protect: a call the filter refuses never reaches
 * sys_enter. A refusal with EPERM is a seccomp user notification the
 * runtime's supervisor answers and counts (src/runtime/notify.c): the
 * recorder is not armed for it. A kill (SCMP_ACT_KILL_PROCESS) is seen by
 * fexit on __seccomp_filter (only tasks with a filter pay for it) or, where
 * that does not load, by signal_generate (SIGSYS, si_code SYS_SECCOMP,
 * si_syscall the number): cheap, it runs for signals only. Those are
 * attached only while a protected container is armed, and sys_enter only
 * while one learns or is monitored: protect records nothing else. No
 * sys_exit program: it would put every syscall of every task on the
 * tracepoint slow path.
 *
 * No vmlinux.h: the kernel fields read are relocated with CO-RE.
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
#define SIGSYS_		 31
#define SYS_SECCOMP_	 1
#define AUDIT_ARCH_I386_ 0x40000003u

struct thread_info {
	__u32 status;
} __attribute__((preserve_access_index));

struct task_struct {
	struct thread_info thread_info;
	int pid;
} __attribute__((preserve_access_index));

struct pt_regs {
	unsigned long ax;
	unsigned long orig_ax;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PROF_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct prof_slot);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROF_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct prof_seen);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PROF_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct prof_allowed);
} allowed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, PROF_MAX_HITS);
	__type(key, struct prof_hit_key);
	__type(value, __u64);
} hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROF_MAX_SLOTS);
	__type(key, __u64);
	__type(value, struct prof_cont);
} conts SEC(".maps");

/* the loader's: container id → cgroup id (the reference count of the set) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROF_MAX_SLOTS);
	__type(key, struct prof_id_key);
	__type(value, __u64);
} ids SEC(".maps");

/* tp_btf: the armed tasks */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct prof_task);
} armed_task SEC(".maps");

/* raw_tp: the armed tasks, by tid */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MAX_TASKS);
	__type(key, __u32);
	__type(value, struct prof_task);
} armed_tid SEC(".maps");

static __always_inline struct prof_task *task_of(int btf)
{
	if (btf)
		return bpf_task_storage_get(&armed_task, bpf_get_current_task_btf(), 0, 0);
	{
		__u32 tid = (__u32)bpf_get_current_pid_tgid();

		return bpf_map_lookup_elem(&armed_tid, &tid);
	}
}

/* The slot of an armed task whose generation is current, else NULL. */
static __always_inline struct prof_slot *slot_of(struct prof_task *pt)
{
	struct prof_slot *sl;
	__u32 k;

	if (!pt)
		return NULL;
	k = pt->slot;
	sl = bpf_map_lookup_elem(&slots, &k);
	if (!sl || sl->gen != pt->gen || !(sl->flags & PROF_F_USED))
		return NULL;
	return sl;
}

/* Arm task t (the current task when cur); 0, or -1 when it cannot be (lost). */
static __always_inline int arm_task(int btf, struct task_struct *t, int cur, __u32 slot, __u32 gen)
{
	struct prof_task v = { .slot = slot, .gen = gen };

	if (btf) {
		struct prof_task *p =
			bpf_task_storage_get(&armed_task, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

		if (!p)
			return -1;
		*p = v;
		return 0;
	} else {
		__u32 tid = cur ? (__u32)bpf_get_current_pid_tgid() : (__u32)BPF_CORE_READ(t, pid);

		return bpf_map_update_elem(&armed_tid, &tid, &v, BPF_ANY) ? -1 : 0;
	}
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

static __always_inline void hit(struct prof_task *pt, __u16 kind, __u32 arch, __u32 nr)
{
	struct prof_hit_key hk = {
		.slot = pt->slot, .kind = kind, .arch = (__u16)arch, .nr = nr, .gen = pt->gen
	};
	__u64 one = 1, *n;
	__u32 k = pt->slot;

	n = bpf_map_lookup_elem(&hits, &hk);
	if (n) {
		__sync_fetch_and_add(n, 1);
		return;
	}
	if (bpf_map_update_elem(&hits, &hk, &one, BPF_NOEXIST) == 0)
		return;
	n = bpf_map_lookup_elem(&hits, &hk); /* another CPU made it meanwhile */
	if (n) {
		__sync_fetch_and_add(n, 1);
		return;
	}
	{
		struct prof_seen *s = bpf_map_lookup_elem(&seen, &k);

		if (s)
			s->hits_lost++;
	}
}

static __always_inline int allowed_bit(__u32 slot, __u32 arch, __u32 nr)
{
	struct prof_allowed *al = bpf_map_lookup_elem(&allowed, &slot);

	if (!al || arch >= PROF_NARCH)
		return 1; /* cannot tell: say allowed, count nothing */
	nr &= PROF_MAX_NR - 1;
	return (al->bits[arch][nr >> 6] & (1ULL << (nr & 63))) != 0;
}

static __always_inline int record(long id, __u32 status, struct prof_task *pt, struct prof_slot *sl)
{
	struct prof_seen *s;
	__u32 k = pt->slot, arch = PROF_ARCH_NATIVE;

	if (sl->flags & PROF_F_PROTECT)
		return 0;
	s = bpf_map_lookup_elem(&seen, &k);
	if (!s)
		return 0;
	if (status & TS_COMPAT)
		arch = PROF_ARCH_COMPAT;
	else if (id & X32_SYSCALL_BIT) {
		arch = PROF_ARCH_X32;
		id &= ~(long)X32_SYSCALL_BIT;
	}
	s->events++;
	set_bit(s, arch, id);
	if ((sl->flags & PROF_F_MONITOR) && id >= 0 && id < PROF_MAX_NR &&
	    !allowed_bit(k, arch, (__u32)id))
		hit(pt, PROF_HIT_OUTSIDE, arch, (__u32)id);
	return 0;
}

/* The container the current task is in: the deepest ancestor cgroup in conts. */
static __always_inline struct prof_cont *find_cont(void)
{
	struct prof_cont *found = NULL;

	for (int l = 1; l <= PROF_MAX_LEVEL; l++) {
		__u64 id = bpf_get_current_ancestor_cgroup_id(l);
		struct prof_cont *c;

		if (!id)
			break;
		c = bpf_map_lookup_elem(&conts, &id);
		if (c)
			found = c;
	}
	return found;
}

static __always_inline int on_exec(int btf)
{
	struct prof_task *pt = task_of(btf);
	struct prof_slot *sl;
	struct prof_seen *s;
	struct prof_cont *c;
	__u32 k;

	if (slot_of(pt)) {
		/* an armed task execs again: its execve was recorded on entry */
		c = find_cont();
		if (c && c->slot == pt->slot && c->gen == pt->gen)
			__sync_fetch_and_add(&c->execs, 1);
		return 0;
	}
	c = find_cont();
	if (!c)
		return 0;
	k = c->slot;
	sl = bpf_map_lookup_elem(&slots, &k);
	s = bpf_map_lookup_elem(&seen, &k);
	if (!sl || !s || sl->gen != c->gen)
		return 0;
	if (!c->armed) {
		if ((__u32)(bpf_get_current_pid_tgid() >> 32) != c->init_tgid)
			return 0; /* a startContainer hook the init ran: not the workload */
		c->armed_ns = bpf_ktime_get_ns();
		c->armed = 1;
	} else {
		__sync_fetch_and_add(&c->joined, 1); /* an exec session */
	}
	if (arm_task(btf,
		     btf ? bpf_get_current_task_btf()
			 : (struct task_struct *)bpf_get_current_task(),
		     1, c->slot, c->gen) < 0) {
		s->untracked++;
		return 0;
	}
	/* the execve that got here entered before the task was armed */
	if (!(sl->flags & PROF_F_PROTECT))
		set_bit(s, PROF_ARCH_NATIVE, NR_EXECVE_NATIVE);
	return 0;
}

/* fork, clone and new threads of an armed task are armed */
static __always_inline int on_fork(struct task_struct *child, int btf)
{
	struct prof_task *pt = task_of(btf);
	struct prof_seen *s;
	__u32 k;

	if (!slot_of(pt))
		return 0;
	k = pt->slot;
	if (arm_task(btf, child, 0, pt->slot, pt->gen) < 0) {
		s = bpf_map_lookup_elem(&seen, &k);
		if (s)
			s->untracked++;
	}
	return 0;
}

/* protect: call nr refused, unless the allow-list has it (then it ran and failed) */
static __always_inline int on_denied(long nr, __u32 status, int btf)
{
	struct prof_task *pt;
	struct prof_slot *sl;
	__u32 arch = PROF_ARCH_NATIVE;

	pt = task_of(btf);
	sl = slot_of(pt);
	if (!sl || !(sl->flags & PROF_F_PROTECT))
		return 0;
	if (status & TS_COMPAT)
		arch = PROF_ARCH_COMPAT;
	else if (nr & X32_SYSCALL_BIT) {
		arch = PROF_ARCH_X32;
		nr &= ~(long)X32_SYSCALL_BIT;
	}
	if (nr < 0 || nr >= PROF_MAX_NR || allowed_bit(pt->slot, arch, (__u32)nr))
		return 0;
	hit(pt, PROF_HIT_DENIED, arch, (__u32)nr);
	return 0;
}

/* protect, a kill: the SIGSYS the kernel forces on the caller (siginfo's ABI layout) */
static __always_inline int on_signal(int sig, void *info, int btf)
{
	struct prof_task *pt;
	struct prof_slot *sl;
	int code = 0, nr = 0;
	__u32 audit_arch = 0, arch = PROF_ARCH_NATIVE;

	if (sig != SIGSYS_ || (unsigned long)info < 4096)
		return 0;
	if (bpf_probe_read_kernel(&code, sizeof(code), (char *)info + 8) < 0 ||
	    code != SYS_SECCOMP_)
		return 0;
	pt = task_of(btf);
	sl = slot_of(pt);
	if (!sl || !(sl->flags & PROF_F_PROTECT))
		return 0;
	if (bpf_probe_read_kernel(&nr, sizeof(nr), (char *)info + 24) < 0 ||
	    bpf_probe_read_kernel(&audit_arch, sizeof(audit_arch), (char *)info + 28) < 0)
		return 0;
	if (audit_arch == AUDIT_ARCH_I386_)
		arch = PROF_ARCH_COMPAT;
	else if (nr & X32_SYSCALL_BIT) {
		arch = PROF_ARCH_X32;
		nr &= ~X32_SYSCALL_BIT;
	}
	if (nr < 0 || nr >= PROF_MAX_NR)
		return 0;
	hit(pt, PROF_HIT_DENIED, arch, (__u32)nr);
	return 0;
}

/*
 * protect, where the kernel lets fexit see the seccomp filter's verdict: only
 * tasks with a filter (containers) pay, host processes nothing. -1: the call
 * is skipped; refused (EPERM set) or killed (the registers rolled back), not
 * answered by a user-notification supervisor (a result of its own).
 * First in the object: where fexit is refused the load fails before the
 * others are verified, and the loader tries without it.
 */
SEC("fexit/__seccomp_filter")
int rec_deny_btf(__u64 *ctx)
{
	struct task_struct *t;
	struct pt_regs *regs;
	long ax;

	if ((int)ctx[2] != -1)
		return 0;
	t = bpf_get_current_task_btf();
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (!regs)
		return 0;
	ax = (long)regs->ax;
	if (ax >= 0 && (unsigned long)ax != regs->orig_ax)
		return 0;
	return on_denied((long)(int)ctx[0], t->thread_info.status, 1);
}

SEC("tp_btf/sys_enter")
int rec_sys_enter_btf(__u64 *ctx)
{
	struct prof_task *pt;
	struct prof_slot *sl;
	struct task_struct *t = bpf_get_current_task_btf();

	pt = bpf_task_storage_get(&armed_task, t, 0, 0);
	if (!pt)
		return 0; /* the fast path: any task not armed */
	sl = slot_of(pt);
	if (!sl)
		return 0;
	return record((long)ctx[1], t->thread_info.status, pt, sl);
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

SEC("tp_btf/signal_generate")
int rec_signal_btf(__u64 *ctx)
{
	return on_signal((int)ctx[0], (void *)ctx[1], 1);
}

SEC("raw_tp/sys_enter")
int rec_sys_enter_raw(__u64 *ctx)
{
	struct prof_task *pt = task_of(0);
	struct prof_slot *sl = slot_of(pt);
	struct task_struct *t;
	__u32 status = 0;

	if (!sl)
		return 0;
	t = (struct task_struct *)bpf_get_current_task();
	bpf_core_read(&status, sizeof(status), &t->thread_info.status);
	return record((long)ctx[1], status, pt, sl);
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

SEC("raw_tp/signal_generate")
int rec_signal_raw(__u64 *ctx)
{
	return on_signal((int)ctx[0], (void *)ctx[1], 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
