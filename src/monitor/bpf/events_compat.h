/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor's BPF programs (events.bpf.c) on tp_btf/sys_exit, the raw
 * tracepoint every system call's exit runs (the per-call tracepoints of
 * events_sys.h never fire for a 32-bit call on x86_64: the kernel's
 * ftrace syscall code ignores compat tasks):
 *
 *  - mon_sys_exit32: the 32-bit (compat) calls: `int $0x80` from any
 *    program, a 32-bit program's sysenter/syscall. Its first test is the
 *    task's TS_COMPAT: a 64-bit call returns at once. The i386 number
 *    (and socketcall(2)'s sub-call) goes through the compat part of the
 *    dispatch table `want` (events.h), filled by the loader only for the
 *    types the rules ask for; the record is emit_sys's, marked MON_R_COMPAT.
 *  - mon_sys_exit: the generic fallback where the per-call tracepoints
 *    cannot be used: every call, 64-bit or 32-bit, through `want`.
 *
 * Included once, by events.bpf.c, after events_sys.h.
 */
#ifndef BULKHEAD_MONITOR_BPF_EVENTS_COMPAT_H
#define BULKHEAD_MONITOR_BPF_EVENTS_COMPAT_H

/* A 32-bit call's record, if its type is wanted: regs the tracepoint's. */
static __always_inline int compat_exit(struct task_struct *t, struct pt_regs *regs, long ret)
{
	unsigned long nr = regs->orig_ax; /* a direct load: the tracepoint's typed argument */
	long slot = mon_compat_slot(nr, regs->bx); /* socketcall: (u32)bx, the kernel's */
	__u32 how = MON_E_COMPAT, k;
	__u8 *w;

	if (slot < 0)
		return 0;
	k = (__u32)slot;
	if (nr == MON_NR32_SOCKETCALL)
		how |= MON_E_SOCKCALL;
	w = bpf_map_lookup_elem(&want, &k);
	if (!w || !*w)
		return 0;
	return emit_sys(t, regs, *w, ret, how);
}

SEC("tp_btf/sys_exit")
int mon_sys_exit32(__u64 *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *regs;

	if (!(t->thread_info.status & TS_COMPAT))
		return 0; /* a 64-bit call: the per-call tracepoints' */
	regs = (struct pt_regs *)ctx[0];
	if (!regs)
		return 0;
	return compat_exit(t, regs, (long)ctx[1]);
}

/*
 * The fallback where a type's tracepoint cannot be attached (no tracefs, a
 * kernel without syscall tracepoints): every call on the host runs this,
 * `want` (number -> type) is the dispatch, the fast path one array lookup.
 * 32-bit calls go through the compat table (events_compat.h; empty unless
 * the loader watches them).
 */
SEC("tp_btf/sys_exit")
int mon_sys_exit(__u64 *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx[0];
	struct task_struct *t = bpf_get_current_task_btf();
	unsigned long nr;
	__u32 k;
	__u8 *w;

	if (!regs)
		return 0;
	if (t->thread_info.status & TS_COMPAT)
		return compat_exit(t, regs, (long)ctx[1]);
	nr = regs->orig_ax; /* a direct load: regs is the tracepoint's typed argument */
	if (nr >= MON_NR_MAX)
		return 0;
	k = (__u32)nr;
	w = bpf_map_lookup_elem(&want, &k);
	if (!w || !*w)
		return 0;
	return emit_sys(t, regs, *w, (long)ctx[1], 0);
}

#endif
