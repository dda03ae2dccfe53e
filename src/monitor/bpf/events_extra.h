/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor's BPF programs (events.bpf.c): the calls that are another
 * call's event (events.h MON_T_CLONE...: clone and clone3 as unshare, the
 * new mount API as mount, process_vm_readv/writev as ptrace). Their filter
 * (mon_extra_skip: the cheap test each exit makes first) and what their
 * records read (mon_extra_fill), used by emit_sys (events_sys.h), which also
 * holds their programs. Included once, by events.bpf.c, before events_sys.h.
 */
#ifndef BULKHEAD_MONITOR_BPF_EVENTS_EXTRA_H
#define BULKHEAD_MONITOR_BPF_EVENTS_EXTRA_H

struct file_system_type {
	const char *name;
} __attribute__((preserve_access_index));

struct fs_context {
	struct file_system_type *fs_type;
} __attribute__((preserve_access_index));

/* struct clone_args's first member (include/uapi/linux/sched.h) */
struct mon_clone_args {
	__u64 flags;
};

static __always_inline int mon_is_extra(__u32 type)
{
	return type >= MON_T_EXTRA_FIRST && type <= MON_T_EXTRA_LAST;
}

/*
 * 1 when the exit of an extra call (type) is no event: a clone's child (ret
 * 0: its parent's exit tells), a clone without CLONE_NEW*, an open_tree
 * without OPEN_TREE_CLONE, a process_vm_* call on the caller itself. regs:
 * the task's saved registers (x86_64 calls only: no extra call is in the
 * 32-bit table). clone runs on every fork: this is all it costs then.
 */
static __always_inline int mon_extra_skip(struct task_struct *t, struct pt_regs *regs, __u32 type,
					  long ret)
{
	struct mon_clone_args ca;

	switch (type) {
	case MON_T_CLONE: return ret == 0 || !(BPF_CORE_READ(regs, di) & MON_CLONE_NEW);
	case MON_T_CLONE3:
		if (ret == 0)
			return 1;
		/* unreadable (unmapped by another thread since): an event,
		 * marked, rather than an attempt unsaid */
		if (bpf_probe_read_user(&ca, sizeof(ca), (const void *)BPF_CORE_READ(regs, di)))
			return 0;
		return !(ca.flags & (MON_CLONE_NEW | MON_CLONE_NEWTIME));
	case MON_T_OPEN_TREE: return !(BPF_CORE_READ(regs, dx) & MON_OPEN_TREE_CLONE);
	case MON_T_PROCESS_VM_READV:
	case MON_T_PROCESS_VM_WRITEV: return (__u32)BPF_CORE_READ(regs, di) == vpid_of(t);
	default: return 0;
	}
}

/* The record of an extra call: s->a[] holds its arguments; h its header. */
static __always_inline void mon_extra_fill(struct mon_rec_hdr *h, struct mon_rec_sys *s,
					   struct task_struct *t, __u32 type, long ret)
{
	struct mon_clone_args ca;
	struct fs_context *fc;
	struct file *f;

	switch (type) {
	case MON_T_CLONE: s->a[0] &= MON_CLONE_NEW; break;
	case MON_T_CLONE3:
		/* the flags, read again (the filter's copy is gone): the
		 * struct's address is no use to user space */
		if (bpf_probe_read_user(&ca, sizeof(ca), (const void *)s->a[0])) {
			h->flags |= MON_R_ARGS_UNREAD;
			ca.flags = 0;
		}
		s->a[0] = ca.flags & (MON_CLONE_NEW | MON_CLONE_NEWTIME);
		break;
	case MON_T_MOVE_MOUNT:
		/* move_mount(from_dfd, from_path, to_dfd, to_path, flags) */
		if (s->a[1])
			bpf_probe_read_user_str(s->str1, sizeof(s->str1), (const void *)s->a[1]);
		user_path(&s->path, (const void *)s->a[3]);
		break;
	case MON_T_FSMOUNT:
		/* fsmount(fs_fd, flags, attr_flags): the context's type; the
		 * fd is a context only when the call took it */
		if (ret < 0)
			break;
		f = fd_file(t, s->a[0]);
		if (!f)
			break;
		fc = BPF_CORE_READ(f, private_data);
		if (fc)
			bpf_probe_read_kernel_str(s->str2, sizeof(s->str2),
						  BPF_CORE_READ(fc, fs_type, name));
		break;
	case MON_T_OPEN_TREE:
		/* open_tree(dfd, filename, flags) */
		user_path(&s->path, (const void *)s->a[1]);
		break;
	default: break;
	}
}

#endif
