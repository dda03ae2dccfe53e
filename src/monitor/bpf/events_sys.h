/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor's BPF programs (events.bpf.c): the system calls' records
 * (emit_sys) and one program per call type on its own exit tracepoint.
 * The programs on tp_btf/sys_exit (the generic fallback, the 32-bit calls)
 * are in events_compat.h. Included once, by events.bpf.c.
 */
#ifndef BULKHEAD_MONITOR_BPF_EVENTS_SYS_H
#define BULKHEAD_MONITOR_BPF_EVENTS_SYS_H

/* emit_sys's `how`: a 32-bit call (i386 registers), an i386 socketcall(2)
 * (its arguments an array in the caller's memory) */
#define MON_E_COMPAT   1u
#define MON_E_SOCKCALL 2u
#define MON_E_PASSED   4u /* an extra call (events_extra.h) whose filter its program ran */

/* A syscall record's members past its arguments, empty (each call's case fills its own). */
static __always_inline void sys_rec_clear(struct mon_rec_sys *s)
{
	s->oflags = s->fmode = 0;
	s->family = 0;
	s->proto = s->from_user = 0;
	s->lport = s->rport = 0;
	__builtin_memset(s->laddr, 0, sizeof(s->laddr));
	__builtin_memset(s->raddr, 0, sizeof(s->raddr));
	s->cap_eff = s->cap_prm = s->cap_inh = 0;
	s->str1[0] = 0;
	s->str2[0] = 0;
	s->path.flags = MON_PATH_NONE;
	s->path.len = 0;
	s->path.ncomp = 0;
	s->path.mode = s->path.uid = s->path.gid = s->path.magic = 0;
	s->path.rdev_major = s->path.rdev_minor = 0;
}

/*
 * One call's record at its exit: type, result, the six arguments (from the
 * registers saved at entry: unchanged by these calls), and what matters read
 * from kernel objects. Called by each per-syscall tracepoint program (regs
 * NULL: the task's saved registers, looked up only once an open has passed
 * its filter), by the generic tp_btf/sys_exit fallback and by the 32-bit
 * calls' program (events_compat.h; their regs). w is the type with the
 * MON_W_* bits of the dispatch table, how MON_E_* bits.
 */
static __noinline int emit_sys(struct task_struct *t, struct pt_regs *regs, __u32 w, long ret,
			       __u32 how)
{
	const __u32 size = sizeof(struct mon_rec_hdr) + sizeof(struct mon_rec_sys);
	__u32 type = w & MON_W_TYPE;
	struct mon_rec_hdr *h;
	struct mon_rec_sys *s;
	struct file *f = NULL;
	struct sock *sk;
	unsigned long long a[6];
	__u16 rflags = 0;

	if (!t)
		return 0;
	if (!(how & MON_E_COMPAT) && (t->thread_info.status & TS_COMPAT))
		return 0; /* a 32-bit call seen as a 64-bit one: its numbers differ */
	if (type == T_OPEN || type == T_OPENAT || type == T_OPENAT2) {
		if (ret >= 0)
			f = fd_file(t, (unsigned long)ret);
		/* an open that succeeded whose fd is already closed (by another
		 * thread, before this exit): the filter cannot tell whether a
		 * rule wants it, so it is sent with the name and flags the
		 * caller passed (as a failed open is) and counted, never
		 * dropped unsaid */
		if (ret >= 0 && !f) {
			count(MON_C_NOFILE);
			rflags |= MON_R_NAME_UNVERIFIED;
		} else if (!open_wanted(t, ret, (unsigned long)f))
			return 0;
	}
	if (!regs)
		regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (!regs)
		return 0;
	if (how & MON_E_COMPAT) {
		/* i386: bx, cx, dx, si, di, bp, 32 bits each (pointers zero-extended) */
		a[0] = (__u32)BPF_CORE_READ(regs, bx);
		a[1] = (__u32)BPF_CORE_READ(regs, cx);
		a[2] = (__u32)BPF_CORE_READ(regs, dx);
		a[3] = (__u32)BPF_CORE_READ(regs, si);
		a[4] = (__u32)BPF_CORE_READ(regs, di);
		a[5] = (__u32)BPF_CORE_READ(regs, bp);
		if (how & MON_E_SOCKCALL) {
			/* socketcall(call, args): the call's arguments, u32
			 * each, exactly as many bytes as the kernel copied (more
			 * could cross into an unmapped page); the first four
			 * kept. A failed read (another thread unmapped them
			 * since) marks the record rather than passing zeroes. */
			__u32 v[4] = { 0, 0, 0, 0 };
			const void *p = (const void *)a[1];
			unsigned int nb = mon_sockcall_nbytes(a[0]);
			long e = -1;

			if (nb >= 16)
				e = bpf_probe_read_user(v, 16, p);
			else if (nb == 12)
				e = bpf_probe_read_user(v, 12, p);
			else if (nb == 8)
				e = bpf_probe_read_user(v, 8, p);
			if (e) {
				rflags |= MON_R_ARGS_UNREAD;
				v[0] = v[1] = v[2] = v[3] = 0;
			}
			for (int i = 0; i < 4; i++)
				a[i] = v[i];
			a[4] = a[5] = 0;
		}
		if (w & MON_W_UID16)
			for (int i = 0; i < 3; i++)
				a[i] = mon_uid16(a[i]); /* low 16 bits; 0xffff: -1 */
		if (w & MON_W_ARG1)
			a[1] = 0;
	} else {
		a[0] = BPF_CORE_READ(regs, di);
		a[1] = BPF_CORE_READ(regs, si);
		a[2] = BPF_CORE_READ(regs, dx);
		a[3] = BPF_CORE_READ(regs, r10);
		a[4] = BPF_CORE_READ(regs, r8);
		a[5] = BPF_CORE_READ(regs, r9);
	}
	/* the generic and 32-bit programs': no program of its own ran the filter */
	if (mon_is_extra(type) && !(how & MON_E_PASSED) && mon_extra_skip(t, a[0], a[2], type, ret))
		return 0;
	h = bpf_ringbuf_reserve(&events, size, 0);
	if (!h) {
		count(MON_C_LOST);
		return 0;
	}
	s = (struct mon_rec_sys *)(h + 1);
	fill_hdr(h, t, (__u16)type, size);
	if (how & MON_E_COMPAT)
		h->flags |= MON_R_COMPAT;
	h->flags |= rflags;
	if (mon_exe_host_wanted(type))
		exe_host_mark(h, t);
	h->res = ret;
	for (int i = 0; i < 6; i++)
		s->a[i] = a[i];
	sys_rec_clear(s);

	switch (type) {
	case T_OPEN:
	case T_OPENAT:
	case T_OPENAT2:
		if (ret >= 0 && f) {
			file_path(&s->path, t, f);
			s->oflags = BPF_CORE_READ(f, f_flags);
			s->fmode = BPF_CORE_READ(f, f_mode);
		} else {
			/* failed, or its fd closed meanwhile: the name and flags
			 * the caller passed */
			user_path(&s->path, (const void *)(type == T_OPEN ? s->a[0] : s->a[1]));
			if (type == T_OPEN)
				s->oflags = (unsigned int)s->a[1];
			else if (type == T_OPENAT)
				s->oflags = (unsigned int)s->a[2];
			else {
				__u64 fl = 0;

				bpf_probe_read_user(&fl, sizeof(fl), (const void *)s->a[2]);
				s->oflags = (unsigned int)fl;
			}
		}
		break;
	case T_CONNECT:
		if (rflags & MON_R_ARGS_UNREAD)
			break; /* fd unknown: not fd 0's socket */
		sk = file_sock(fd_file(t, s->a[0]));
		if (sk)
			sock_addrs(s, sk);
		if (!sk || (s->family != AF_INET_ && s->family != AF_INET6_) ||
		    (s->rport == 0 && ret < 0 && ret != -EINPROGRESS_)) {
			unsigned char proto = s->proto;

			user_sockaddr(s, (const void *)s->a[1], s->a[2]);
			s->proto = proto;
		}
		break;
	case T_ACCEPT:
	case T_ACCEPT4:
		if (ret >= 0) {
			sk = file_sock(fd_file(t, (unsigned long)ret));
			if (sk)
				sock_addrs(s, sk);
		}
		break;
	case T_LISTEN:
		if (rflags & MON_R_ARGS_UNREAD)
			break;
		sk = file_sock(fd_file(t, s->a[0]));
		if (sk)
			sock_addrs(s, sk);
		break;
	case T_CAPSET: {
		const struct cred *c = BPF_CORE_READ(t, cred);

		s->cap_eff = BPF_CORE_READ(c, cap_effective.val);
		s->cap_prm = BPF_CORE_READ(c, cap_permitted.val);
		s->cap_inh = BPF_CORE_READ(c, cap_inheritable.val);
		break;
	}
	case T_SETNS: file_path(&s->path, t, fd_file(t, s->a[0])); break;
	case T_MOUNT:
		if (s->a[0])
			bpf_probe_read_user_str(s->str1, sizeof(s->str1), (const void *)s->a[0]);
		user_path(&s->path, (const void *)s->a[1]);
		if (s->a[2])
			bpf_probe_read_user_str(s->str2, sizeof(s->str2), (const void *)s->a[2]);
		break;
	case T_UMOUNT2: user_path(&s->path, (const void *)s->a[0]); break;
	case T_FINIT_MODULE: file_path(&s->path, t, fd_file(t, s->a[0])); break;
	case T_MEMFD_CREATE:
		if (s->a[0])
			bpf_probe_read_user_str(s->str1, sizeof(s->str1), (const void *)s->a[0]);
		break;
	default:
		if (mon_is_extra(type))
			mon_extra_fill(h, s, t, type, ret);
		break;
	}
	submit(h, size);
	return 0;
}

/* The syscall tracepoint's exit record (include/trace/events/syscalls.h). */
struct sys_exit_args {
	unsigned long long common;
	long id;
	long ret;
};

/* One program per system call type, on that call's own tracepoint: no other
 * call runs any BPF (the loader attaches those the rules ask for). */
#define SYS_EXIT(NAME, TYPE)                                                                       \
	SEC("tracepoint/syscalls/sys_exit_" #NAME)                                                 \
	int mon_x_##NAME(struct sys_exit_args *ctx)                                                \
	{                                                                                          \
		return emit_sys(bpf_get_current_task_btf(), NULL, TYPE, ctx->ret, 0);              \
	}

SYS_EXIT(open, T_OPEN)
SYS_EXIT(openat, T_OPENAT)
SYS_EXIT(openat2, T_OPENAT2)
SYS_EXIT(connect, T_CONNECT)
SYS_EXIT(accept, T_ACCEPT)
SYS_EXIT(accept4, T_ACCEPT4)
SYS_EXIT(listen, T_LISTEN)
SYS_EXIT(setuid, T_SETUID)
SYS_EXIT(setreuid, T_SETREUID)
SYS_EXIT(setresuid, T_SETRESUID)
SYS_EXIT(setgid, T_SETGID)
SYS_EXIT(setresgid, T_SETRESGID)
SYS_EXIT(capset, T_CAPSET)
SYS_EXIT(unshare, T_UNSHARE)
SYS_EXIT(setns, T_SETNS)
SYS_EXIT(ptrace, T_PTRACE)
SYS_EXIT(mount, T_MOUNT)
SYS_EXIT(umount, T_UMOUNT2) /* umount2(2)'s tracepoint is named for SYSCALL_DEFINE2(umount) */
SYS_EXIT(init_module, T_INIT_MODULE)
SYS_EXIT(finit_module, T_FINIT_MODULE)
SYS_EXIT(bpf, T_BPF)
SYS_EXIT(memfd_create, T_MEMFD_CREATE)

/* The extra calls' programs (events_extra.h): the filter first, so that a
 * fork's clone costs its test and no more. */
#define SYS_EXIT_EXTRA(NAME, TYPE)                                                                 \
	SEC("tracepoint/syscalls/sys_exit_" #NAME)                                                 \
	int mon_x_##NAME(struct sys_exit_args *ctx)                                                \
	{                                                                                          \
		struct task_struct *t;                                                             \
		struct pt_regs *regs;                                                              \
                                                                                                   \
		if ((TYPE == MON_T_CLONE || TYPE == MON_T_CLONE3) && ctx->ret >= 0)                \
			return 0; /* the child, or a success: task_newtask's */                    \
		t = bpf_get_current_task_btf();                                                    \
		regs = (struct pt_regs *)bpf_task_pt_regs(t);                                      \
		if (!regs || mon_extra_skip(t, BPF_CORE_READ(regs, di), BPF_CORE_READ(regs, dx),   \
					    TYPE, ctx->ret))                                       \
			return 0;                                                                  \
		return emit_sys(t, regs, TYPE, ctx->ret, MON_E_PASSED);                            \
	}

SYS_EXIT_EXTRA(clone, MON_T_CLONE)
SYS_EXIT_EXTRA(clone3, MON_T_CLONE3)
SYS_EXIT_EXTRA(move_mount, MON_T_MOVE_MOUNT)
SYS_EXIT_EXTRA(fsmount, MON_T_FSMOUNT)
SYS_EXIT_EXTRA(open_tree, MON_T_OPEN_TREE)
SYS_EXIT_EXTRA(mount_setattr, MON_T_MOUNT_SETATTR)
SYS_EXIT_EXTRA(fspick, MON_T_FSPICK)
SYS_EXIT_EXTRA(process_vm_readv, MON_T_PROCESS_VM_READV)
SYS_EXIT_EXTRA(process_vm_writev, MON_T_PROCESS_VM_WRITEV)

/*
 * A clone(2)/clone3(2) with a CLONE_NEW* flag that made a task: unshare,
 * from the kernel's own flags (task_newtask's clone_flags: what the child
 * got, whatever the caller's registers or memory say by the call's exit),
 * in the caller (`current` here: the parent), res the child's pid in the
 * caller's PID namespace. Every fork and thread runs this: one test of the
 * flags, nothing more, when none is CLONE_NEW*. Attached with the unshare
 * type, whichever way its calls are watched.
 */
SEC("tp_btf/task_newtask")
int mon_newtask(__u64 *ctx)
{
	const __u32 size = sizeof(struct mon_rec_hdr) + sizeof(struct mon_rec_sys);
	__u64 fl = ctx[1] & (MON_CLONE_NEW | MON_CLONE_NEWTIME);
	struct task_struct *child = (struct task_struct *)ctx[0], *t;
	struct pt_regs *regs;
	struct mon_rec_hdr *h;
	struct mon_rec_sys *s;
	__u16 type = MON_T_CLONE;
	int level;

	if (!fl)
		return 0;
	t = bpf_get_current_task_btf();
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	/* the call: clone3 has one number on both ABIs; else clone (fork and
	 * vfork take no flags; a kernel thread is made with none of these) */
	if (regs && BPF_CORE_READ(regs, orig_ax) == MON_NR_CLONE3)
		type = MON_T_CLONE3;
	h = bpf_ringbuf_reserve(&events, size, 0);
	if (!h) {
		count(MON_C_LOST);
		return 0;
	}
	s = (struct mon_rec_sys *)(h + 1);
	fill_hdr(h, t, type, size);
	if (t->thread_info.status & TS_COMPAT)
		h->flags |= MON_R_COMPAT;
	exe_host_mark(h, t);
	level = pid_level(t);
	h->res = level < 0 ? 0 : pid_nr_at(BPF_CORE_READ(child, thread_pid), (unsigned int)level);
	s->a[0] = fl;
	for (int i = 1; i < 6; i++)
		s->a[i] = 0;
	sys_rec_clear(s);
	submit(h, size);
	return 0;
}

#endif
