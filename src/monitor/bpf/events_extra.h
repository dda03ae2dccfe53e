/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor's BPF programs (events.bpf.c): the calls that are another
 * call's event (events.h MON_T_CLONE...: clone and clone3 as unshare, the
 * new mount API (move_mount, fsmount, open_tree, mount_setattr, fspick) as
 * mount, process_vm_readv/writev as ptrace). Their filter
 * (mon_extra_skip: the cheap test each exit makes first) and what their
 * records read (mon_extra_fill), used by emit_sys (events_sys.h), which also
 * holds their programs and task_newtask's (a clone that made a task).
 * Included once, by events.bpf.c, before events_sys.h.
 */
#ifndef BULKHEAD_MONITOR_BPF_EVENTS_EXTRA_H
#define BULKHEAD_MONITOR_BPF_EVENTS_EXTRA_H

struct file_system_type {
	const char *name;
} __attribute__((preserve_access_index));

struct fs_context {
	struct file_system_type *fs_type;
	struct dentry *root;
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
 * 1 when the exit of an extra call (type) is no event: a clone that made a
 * task (ret >= 0: the child's 0, the caller's pid, whose event task_newtask
 * made from the kernel's flags) or that had no CLONE_NEW*, an open_tree
 * without OPEN_TREE_CLONE, a process_vm_* call on the caller itself (its
 * process or thread ID). a0, a2: the call's first and third arguments (the
 * saved registers: di, dx for a 64-bit call, bx, dx for a 32-bit one).
 * clone runs on every fork: this is all it costs then.
 */
static __always_inline int mon_extra_skip(struct task_struct *t, __u64 a0, __u64 a2, __u32 type,
					  long ret)
{
	struct mon_clone_args ca;
	__u32 to;

	switch (type) {
	case MON_T_CLONE: return ret >= 0 || !(a0 & MON_CLONE_NEW);
	case MON_T_CLONE3:
		if (ret >= 0)
			return 1;
		/* unreadable (unmapped by another thread since): an event,
		 * marked, rather than an attempt unsaid */
		if (bpf_probe_read_user(&ca, sizeof(ca), (const void *)a0))
			return 0;
		return !(ca.flags & (MON_CLONE_NEW | MON_CLONE_NEWTIME));
	case MON_T_OPEN_TREE: return !(a2 & MON_OPEN_TREE_CLONE);
	case MON_T_PROCESS_VM_READV:
	case MON_T_PROCESS_VM_WRITEV: to = (__u32)a0; return to == vpid_of(t) || to == vtid_of(t);
	default: return 0;
	}
}

/*
 * The path a *at call names: the caller's string (dirfd-relative, as given),
 * or, when the string is empty (AT_EMPTY_PATH), the file of dirfd walked (a
 * tree open_tree cloned is detached: MON_PATH_DETACHED).
 */
static __always_inline void mon_at_path(struct mon_rec_sys *s, struct task_struct *t, __u64 dfd,
					__u64 u)
{
	struct file *f;

	user_path(&s->path, (const void *)u);
	if (s->path.len > 1 || (int)dfd < 0)
		return;
	f = fd_file(t, (__u32)dfd);
	if (f)
		file_path(&s->path, t, f);
}

/* The record of an extra call: s->a[] holds its arguments; h its header. */
static __always_inline void mon_extra_fill(struct mon_rec_hdr *h, struct mon_rec_sys *s,
					   struct task_struct *t, __u32 type, long ret)
{
	struct mon_clone_args ca;
	struct fs_context *fc;
	struct super_block *sb;
	struct file *f;
	__u64 ma[3];

	switch (type) {
	case MON_T_CLONE:
		/* a failed call (a success is task_newtask's): the caller's word */
		h->flags |= MON_R_ARGS_USER;
		s->a[0] &= MON_CLONE_NEW;
		break;
	case MON_T_CLONE3:
		/* the flags, read again (the filter's copy is gone): the
		 * struct's address is no use to user space */
		h->flags |= MON_R_ARGS_USER;
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
	case MON_T_MOUNT_SETATTR:
		/* mount_setattr(dfd, path, flags, uattr, usize): the struct
		 * as the caller's memory holds it at exit (the kernel copied
		 * it at entry), so the caller's word */
		mon_at_path(s, t, s->a[0], s->a[1]);
		h->flags |= MON_R_ARGS_USER;
		if (s->a[4] < MON_MOUNT_ATTR_SIZE0 ||
		    bpf_probe_read_user(ma, sizeof(ma), (const void *)s->a[3])) {
			h->flags |= MON_R_ARGS_UNREAD;
			ma[0] = ma[1] = ma[2] = 0;
		}
		s->a[3] = ma[0];
		s->a[4] = ma[1];
		s->a[5] = ma[2];
		break;
	case MON_T_FSPICK:
		/* fspick(dfd, path, flags): the mount as named; its new
		 * context's type and device when the call made one */
		mon_at_path(s, t, s->a[0], s->a[1]);
		if (ret < 0)
			break;
		f = fd_file(t, (unsigned long)ret);
		if (!f)
			break;
		fc = BPF_CORE_READ(f, private_data);
		if (!fc)
			break;
		bpf_probe_read_kernel_str(s->str2, sizeof(s->str2),
					  BPF_CORE_READ(fc, fs_type, name));
		sb = BPF_CORE_READ(fc, root, d_inode, i_sb);
		if (sb)
			bpf_core_read_str(s->str1, sizeof(sb->s_id), &sb->s_id);
		break;
	default: break;
	}
}

#endif
