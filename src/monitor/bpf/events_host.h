/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor's BPF programs (events.bpf.c): whether a process's
 * executable is the host's (MON_R_EXE_HOST in events.h), an identity a
 * container cannot claim: a name (comm) is prctl(PR_SET_NAME), a path is
 * whatever the container put at it in its own root, but the mount a file
 * was opened on belongs to one mount namespace, and a container's mounts
 * are in its own.
 *
 * Whatever the file, only an exec made from the host (task_exec_host: the
 * exec'ing task's nsproxy->mnt_ns in host_ns, or host_mntns with the
 * task's root directory the host's, task_root_host; in both, its own PID
 * namespace the host's, task_pidns_host) gives the host's executable. The
 * root too, since a process in the host's mount namespace may run the
 * container's files: a runc container without a mount namespace of its
 * own (runc chroots then) is in the host's, its files on host mounts, and
 * so is a host process that chroot(2)s into a container's root and exec's
 * a script there (review of S1's fix, E1). The PID namespace too, since
 * that container's process with CAP_SYS_CHROOT leaves runc's chroot
 * (mkdir x; chroot x; chdir .. up past the old root; chroot .: a chroot
 * does not nest) and is then at the host's root in the host's mount
 * namespace, where its exec of a host program (python3 named runc) was the
 * host's (the last review); its PID namespace it cannot leave. The host's is the loader's
 * (/proc/1/ns/pid's inode, of the process host_mntns is read from:
 * host_pidns; 0 = unknown, no exec is made from the host). Not covered: a
 * runc container with neither a mount nor a PID namespace of its own is,
 * after that escape, in every namespace and at the root the host's: its
 * exec of a host program is the host's (its cgroup alone is the
 * container's; bulkhead-monitor(1) Limits).
 * The host's root is the loader's (the root of the process host_mntns is
 * read from: its mount's id, the directory's inode number, its
 * superblock's device; the directory must be its mount's root, so a btrfs
 * subvolume's root with the same inode number on the same mount is not
 * it); unknown: nothing in host_mntns is the host's. An engine's
 * namespace (host_ns) is taken at any root: a snap's or a unit's engine
 * may have a root of its own. The kernel runs a script's interpreter from
 * the script's `#!` line, so a runtime's init joined to a container's
 * namespace that exec's the container's script `#!/proc/self/exe` gets
 * its own executable (runc's memfd or bind, crun's file on a host mount)
 * as the process's exe_file, while that program's loader (PT_INTERP) and
 * libraries come from the container's root: the container's code in a
 * process whose file is the host's (review S1). So each exec is judged
 * once, before its point of no return (tp_btf/sched_prepare_exec, kernel
 * 6.10: `exec_prepare`; else at sched_process_exec, mon_exec's
 * exe_host_after_exec: an exec changes no namespace of the task but the
 * time one, nor its root, so the mount and PID namespaces and root are
 * still those the exec was made from: a thread's exec takes its leader's
 * pid, in the same PID namespace), and a host executable is remembered in the LRU
 * map `exe_host` keyed by the struct file (a fork shares it), checked
 * against its inode and its mount (a file at a freed host file's address,
 * of the same inode through another mount, a container's bind or a
 * detached clone of it, is not the host's). The file must be one an exec
 * opened (__FMODE_EXEC in f_flags): prctl(PR_SET_MM_EXE_FILE or
 * PR_SET_MM_MAP's exe_fd, CAP_SYS_ADMIN in the process's own user
 * namespace) makes a file the process open(2)ed its executable without an
 * exec, and such a file can sit at a freed host executable's address with
 * the same inode (a detached bind of a host binary the container can
 * reach: review of S1's fix). A process exec'd before the monitor started, or whose entry the
 * LRU evicted, is not the host's: more alerts, never fewer. The file must
 * then be:
 *
 *  - on a mount of the host's mount namespace (host_mntns: the inode of
 *    /proc/1/ns/mnt, written by the loader; 0 = unknown, nothing is the
 *    host's), or of an engine daemon's own (host_ns: dockerd in a
 *    namespace of its own, found by the loader through the socket the
 *    admin configured, never a process name). runc, crun, conmon,
 *    containerd-shim and bulkhead are exec'd there from there, at the
 *    host's root; a process keeps its exe_file when it unshares its mount
 *    namespace and pivots or chroots.
 *  - or on a mount of no namespace: a memfd (the internal shm mount,
 *    MNT_NS_INTERNAL) or a detached mount (runc 1.1's read-only bind of
 *    itself, umount2(MNT_DETACH)ed before its fexecve: mnt_ns NULL). Any
 *    process can make one, so the file alone says nothing: it is the
 *    host's only when the process that exec'd it was also running the
 *    host's executable then (the old mm's exe_file) and exec'd it from
 *    the host (root included), AND the file is the host's too: a detached
 *    mount's file is that same executable (its inode: a bind of itself),
 *    a memfd was made by a process running the host's executable
 *    (memfd_create's exit: the map `memfd_host` of such inodes). runc
 *    1.1's init (exec'd as /proc/self/exe from the host's runc, then its
 *    clone fexecve'd in nsexec's constructor before any setns or
 *    unshare), bulkhead's runtime re-executed from its sealed memfd at
 *    start are the host's; a container's process exec'ing a memfd is not,
 *    nor is a container's memfd that a runtime's init exec's for it
 *    (`docker exec C /proc/1/fd/3`). runc 1.1's fexecve of its clone runs
 *    at `runc init`'s start, before pivot_root or chroot: at the host's
 *    root. A kernel without sched_prepare_exec (before 6.10: Debian 12's
 *    6.1) has the old executable from execve's and execveat's entry
 *    (exec_enter, the loader's choice): the process's executable then, if
 *    the host's, kept by task (exec_old). Not its parent's executable: a
 *    container's process whose parent is the host's runc (`runc exec`)
 *    could then exec runc's own memfd as the host's.
 *  - anything else (the container's root, another namespace's mount, an
 *    exec at a root not the host's in the host's namespace or from a PID
 *    namespace not the host's, a kernel with
 *    neither sched_prepare_exec nor syscall tracepoints for the second
 *    case): not.
 *
 * Included once, by events.bpf.c, after events_lib.h.
 */
#ifndef BULKHEAD_MONITOR_BPF_EVENTS_HOST_H
#define BULKHEAD_MONITOR_BPF_EVENTS_HOST_H

/* The syscall tracepoint's exit record (events_sys.h's sys_exit_args). */
struct sys_exit_args___host {
	unsigned long long common;
	long id;
	long ret;
};

/* the host's mount namespace's inode number (the loader's; 0: unknown) */
const volatile __u32 host_mntns = 0;
/* the host's PID namespace's inode number (the loader's, of the process
 * host_mntns is read from; 0: unknown, no task's exec is made from the host) */
const volatile __u32 host_pidns = 0;
/* the host's root directory (the loader's, of the process host_mntns is
 * read from): its mount's id, its inode number and its superblock's device
 * (the kernel's MAJOR << 20 | MINOR); host_root_ino 0: unknown, no task in
 * host_mntns is at the host's root */
const volatile __u64 host_root_ino = 0;
const volatile __u32 host_root_dev = 0;
const volatile __s32 host_root_mnt = 0;
/* the loader's: 1 when the old executable comes from execve's entry
 * (mon_exec_enter*), not from sched_prepare_exec */
const volatile __u8 exec_enter = 0;
/* the loader's: 1 when mon_prepare_exec is attached (it decides every exec's
 * executable; else mon_exec does, exe_host_after_exec) */
const volatile __u8 exec_prepare = 0;

#define EXE_OTHER    0
#define EXE_HOST     1
#define EXE_DETACHED 2 /* a mount in no namespace: detached (umount2 MNT_DETACH) */
#define EXE_INTERNAL 3 /* a kernel-internal mount (MNT_NS_INTERNAL): a memfd */

struct exe_host_val {
	__u64 inode; /* the file's inode (address) */
	__u64 ino;   /* its number */
	__u64 mnt;   /* the mount it was opened on (its vfsmount's address) */
};

/* the executables exec'd from a host mount namespace (every class: above) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* the struct file's address */
	__type(value, struct exe_host_val);
} exe_host SEC(".maps");

/* the memfds (their inodes) made by a process running the host's executable */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);   /* the inode's address */
	__type(value, __u64); /* its number */
} memfd_host SEC(".maps");

/* execve's entry: a task's executable then, when the host's (exec_enter) */
struct exec_old_val {
	__u64 inode; /* the old executable's inode (address) */
	__u32 tid;   /* the task's id then (sched_process_exec's old_pid) */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* the task_struct's address */
	__type(value, struct exec_old_val);
} exec_old SEC(".maps");

/* More mount namespaces that are the host's (their inode numbers): the
 * engine daemons' the loader found as the peers of their API sockets
 * (source_kernel.c's engine_ns_probe; a listener proven alive when its
 * namespace was opened: source_engine.c), pinned by it while listed */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MON_HOSTNS_MAX);
	__type(key, __u32);
	__type(value, __u8);
} host_ns SEC(".maps");

/* 1 when the mount namespace numbered inum is the host's (host_mntns or host_ns). */
static __always_inline int mntns_is_host(__u32 inum)
{
	if (!inum || !host_mntns)
		return 0;
	return inum == host_mntns || bpf_map_lookup_elem(&host_ns, &inum) != NULL;
}

/*
 * 1 when task t's root directory (t->fs->root: chroot(2)'s) is the host's:
 * the root of the host root's mount (its id), the same inode number and
 * superblock device. A chroot into a directory of a host mount (a runc
 * container without a mount namespace of its own, a btrfs subvolume's root
 * with the host root's inode number too) is not that mount's root.
 */
static __always_inline int task_root_host(struct task_struct *t)
{
	struct vfsmount *vm = BPF_CORE_READ(t, fs, root.mnt);
	struct dentry *d = BPF_CORE_READ(t, fs, root.dentry);
	struct mount *m;

	if (!host_root_ino || !vm || !d || BPF_CORE_READ(vm, mnt_root) != d)
		return 0;
	m = container_of(vm, struct mount, mnt);
	return BPF_CORE_READ(m, mnt_id) == host_root_mnt &&
	       BPF_CORE_READ(d, d_inode, i_ino) == host_root_ino &&
	       BPF_CORE_READ(d, d_sb, s_dev) == host_root_dev;
}

/*
 * 1 when task t's PID namespace is the host's (host_pidns): its own, the
 * one its pid was made in (thread_pid's numbers[level], what
 * /proc/PID/ns/pid names; not pid_for_children, which unshare(CLONE_NEWPID)
 * changes without moving t), read at struct upid's real stride from BTF
 * (events_lib.h's pid_nr_at). A level over 32 (MAX_PID_NS_LEVEL) is not.
 */
static __always_inline int task_pidns_host(struct task_struct *t)
{
	struct pid *p = BPF_CORE_READ(t, thread_pid);
	struct pid_namespace *ns = NULL;
	unsigned int level;
	const char *at;

	if (!p || !host_pidns)
		return 0;
	level = BPF_CORE_READ(p, level);
	if (level > 32)
		return 0;
	at = (const char *)p + bpf_core_field_offset(struct pid, numbers) +
	     (unsigned long)level * bpf_core_type_size(struct upid) +
	     bpf_core_field_offset(struct upid, ns);
	if (bpf_probe_read_kernel(&ns, sizeof(ns), at) || !ns)
		return 0;
	return BPF_CORE_READ(ns, ns.inum) == host_pidns;
}

/*
 * 1 when an exec task t makes is made from the host (it may be the
 * host's): t in the host's PID namespace (task_pidns_host) and in the
 * host's mount namespace at the host's root directory (task_root_host), or
 * in an engine daemon's mount namespace (host_ns: a snap's or a unit's
 * engine may have a root of its own). The PID namespace for both: a runc
 * container without a mount namespace of its own is in its runtime's
 * (the host's or an engine's), and with CAP_SYS_CHROOT its process leaves
 * runc's chroot (mkdir x; chroot x; chdir .. up past the old root; chroot .) for that
 * namespace's root; its PID namespace it cannot leave. The engines
 * (dockerd, containerd, podman's conmon: units, snaps) run in the host's;
 * an engine in a PID namespace of its own (a Docker-in-Docker's, its
 * socket configured) gets no executable of the host's: more alerts, never
 * fewer.
 */
static __always_inline int task_exec_host(struct task_struct *t)
{
	__u32 inum = BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum);

	if (!inum || !host_mntns)
		return 0;
	if (inum == host_mntns)
		return task_pidns_host(t) && task_root_host(t);
	return bpf_map_lookup_elem(&host_ns, &inum) != NULL && task_pidns_host(t);
}

/* The class of file f's mount (EXE_*). */
static __always_inline int exe_class(struct file *f)
{
	struct vfsmount *vm;
	struct mount *m;
	unsigned long ns;
	__u32 inum;

	if (!f || !host_mntns)
		return EXE_OTHER;
	vm = BPF_CORE_READ(f, f_path.mnt);
	if (!vm)
		return EXE_OTHER;
	m = container_of(vm, struct mount, mnt);
	ns = (unsigned long)BPF_CORE_READ(m, mnt_ns);
	if (!ns)
		return EXE_DETACHED;
	if (ns == MNT_NS_INTERNAL_)
		return EXE_INTERNAL;
	inum = BPF_CORE_READ((struct mnt_namespace *)ns, ns.inum);
	return mntns_is_host(inum) ? EXE_HOST : EXE_OTHER;
}

/* 1 when f, a process's executable, is the host's (above). */
static __always_inline int exe_is_host(struct file *f)
{
	struct exe_host_val *v;
	struct inode *ino;
	__u64 key = (__u64)(unsigned long)f;

	/* opened by an exec: prctl(PR_SET_MM_EXE_FILE / PR_SET_MM_MAP) sets a
	 * file the process open(2)ed, maybe at a freed host file's address */
	if (!(BPF_CORE_READ(f, f_flags) & FMODE_EXEC_FLAG_) || exe_class(f) == EXE_OTHER)
		return 0;
	v = bpf_map_lookup_elem(&exe_host, &key);
	if (!v)
		return 0;
	ino = BPF_CORE_READ(f, f_inode);
	return v->inode == (__u64)(unsigned long)ino && v->ino == BPF_CORE_READ(ino, i_ino) &&
	       v->mnt == (__u64)(unsigned long)BPF_CORE_READ(f, f_path.mnt);
}

/* The record types that carry MON_R_EXE_HOST (the rules' runtime identity). */
static __always_inline int mon_exe_host_wanted(__u32 type)
{
	switch (type) {
	case T_EXECVE:
	case T_UNSHARE:
	case T_SETNS:
	case T_MOUNT:
	case T_UMOUNT2:
	case MON_T_CLONE:
	case MON_T_CLONE3:
	case MON_T_MOVE_MOUNT:
	case MON_T_FSMOUNT:
	case MON_T_OPEN_TREE:
	case MON_T_MOUNT_SETATTR:
	case MON_T_FSPICK: return 1;
	default: return 0;
	}
}

/* h's MON_R_EXE_HOST from t's executable now. */
static __always_inline void exe_host_mark(struct mon_rec_hdr *h, struct task_struct *t)
{
	if (exe_is_host(BPF_CORE_READ(t, mm, exe_file)))
		h->flags |= MON_R_EXE_HOST;
}

/*
 * f, the new executable of an exec made from the host (task_exec_host) when
 * from_host (else from a container's: nothing it runs is the host's), by a
 * process whose own executable's inode was old_ino (NULL: not the host's):
 * remembered as the host's when from_host and it is on a host mount, or on
 * a mount of no namespace and that same executable (a detached bind of
 * itself) or a memfd a host process made. Otherwise any entry of f is
 * dropped (a stale one of a freed file). c is exe_class(f).
 */
static __always_inline void exe_host_decide(struct file *f, int c, struct inode *old_ino,
					    int from_host)
{
	struct exe_host_val v;
	struct inode *ino;
	__u64 key = (__u64)(unsigned long)f, *made;
	int ok = 0;

	if (c == EXE_OTHER)
		return;
	ino = BPF_CORE_READ(f, f_inode);
	v.inode = (__u64)(unsigned long)ino;
	v.ino = BPF_CORE_READ(ino, i_ino);
	v.mnt = (__u64)(unsigned long)BPF_CORE_READ(f, f_path.mnt);
	if (!from_host) {
		ok = 0;
	} else if (c == EXE_HOST) {
		ok = 1;
	} else if (old_ino) {
		if (c == EXE_DETACHED) {
			ok = old_ino == ino;
		} else {
			made = bpf_map_lookup_elem(&memfd_host, &v.inode);
			ok = made && *made == v.ino;
		}
	}
	if (ok)
		bpf_map_update_elem(&exe_host, &key, &v, BPF_ANY);
	else
		bpf_map_delete_elem(&exe_host, &key);
}

/*
 * Before an exec's point of no return (the old mm still the task's): the
 * rule above (exe_host_decide) with the task's mount namespace and root
 * and its executable now. For an executable on a container's mount it is
 * three loads and a test; on a host mount from the host (its namespace,
 * and in the host's its PID namespace and root: four and seven more
 * loads) one hash update (every exec of the host's: the cost of the rule).
 */
SEC("tp_btf/sched_prepare_exec")
int mon_prepare_exec(__u64 *ctx)
{
	struct task_struct *t = (struct task_struct *)ctx[0];
	struct linux_binprm *bprm = (struct linux_binprm *)ctx[1];
	struct file *f = BPF_CORE_READ(bprm, file), *old;
	int c = exe_class(f), from_host;

	if (c == EXE_OTHER)
		return 0;
	from_host = task_exec_host(t);
	if (c == EXE_HOST || !from_host) {
		exe_host_decide(f, c, NULL, from_host);
		return 0;
	}
	old = BPF_CORE_READ(t, mm, exe_file);
	exe_host_decide(f, c, exe_is_host(old) ? BPF_CORE_READ(old, f_inode) : NULL, from_host);
	return 0;
}

/*
 * Without sched_prepare_exec: at execve's and execveat's entry (the caller's
 * mm still its own) the caller's executable when it is the host's, by task;
 * else no entry (one of an earlier failed exec dropped: prctl(PR_SET_MM_EXE_FILE)
 * may have changed it since).
 */
static __always_inline int exec_enter_note(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct file *old = BPF_CORE_READ(t, mm, exe_file);
	__u64 key = (__u64)(unsigned long)t;
	struct exec_old_val v = { 0 };

	if (!exe_is_host(old)) {
		bpf_map_delete_elem(&exec_old, &key);
		return 0;
	}
	v.inode = (__u64)(unsigned long)BPF_CORE_READ(old, f_inode);
	v.tid = (__u32)BPF_CORE_READ(t, pid);
	bpf_map_update_elem(&exec_old, &key, &v, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int mon_exec_enter(void *ctx)
{
	return exec_enter_note();
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int mon_exec_enter_at(void *ctx)
{
	return exec_enter_note();
}

/*
 * At sched_process_exec (mon_exec, before its record's MON_R_EXE_HOST),
 * without sched_prepare_exec (!exec_prepare): the rule above for task t,
 * whose id before the exec was old_pid. Its mount and PID namespaces are
 * read now (task_exec_host, as mon_prepare_exec): an exec changes none of
 * a task's namespaces but the time one, so they are the ones the exec was
 * made from (and a 32-bit exec, which execve's entry
 * tracepoint never sees, is judged too). With exec_enter the old executable
 * is what execve's entry kept (another task's entry at a reused address
 * proves nothing), consumed here; without, a file of no namespace is not
 * the host's.
 */
static __always_inline void exe_host_after_exec(struct task_struct *t, __u32 old_pid)
{
	__u64 key = (__u64)(unsigned long)t;
	struct exec_old_val *v = NULL;
	struct inode *old_ino = NULL;
	struct file *f;
	int c;

	if (exec_prepare)
		return;
	if (exec_enter)
		v = bpf_map_lookup_elem(&exec_old, &key);
	f = BPF_CORE_READ(t, mm, exe_file);
	c = exe_class(f);
	if (c != EXE_OTHER) {
		if (v && v->tid == old_pid)
			old_ino = (struct inode *)(unsigned long)v->inode;
		exe_host_decide(f, c, old_ino, task_exec_host(t));
	}
	if (v)
		bpf_map_delete_elem(&exec_old, &key);
}

/*
 * A memfd made by a process running the host's executable (its inode), for
 * exe_host_decide. On memfd_create's own exit tracepoint: no other call
 * runs it. Attached with mon_prepare_exec or mon_exec_enter*.
 */
SEC("tracepoint/syscalls/sys_exit_memfd_create")
int mon_memfd_host(struct sys_exit_args___host *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct inode *ino;
	struct file *f;
	__u64 key, v;

	if (ctx->ret < 0 || !exe_is_host(BPF_CORE_READ(t, mm, exe_file)))
		return 0;
	f = fd_file(t, (unsigned long)ctx->ret);
	if (!f)
		return 0;
	ino = BPF_CORE_READ(f, f_inode);
	key = (__u64)(unsigned long)ino;
	v = BPF_CORE_READ(ino, i_ino);
	bpf_map_update_elem(&memfd_host, &key, &v, BPF_ANY);
	return 0;
}

#endif
