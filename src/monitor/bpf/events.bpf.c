/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor's kernel programs (issue 15), loaded by src/monitor/
 * source_kernel.c through the skeleton bpftool makes at build time.
 *
 *  - tp_btf/sched_process_exec: one record per exec, read from kernel
 *    objects after the exec: the file (bprm->executable, the script for a
 *    script; else bprm->file) walked to a path, the new mm's arg area, the
 *    cwd, credentials, loginuid, session, controlling tty, what fds 0-2 are,
 *    the parent chain (real_parent), whether the exe's overlay inode has an
 *    upper dentry, whether the process's executable is the host's
 *    (events_host.h, with tp_btf/sched_prepare_exec, or before 6.10 execve's
 *    and execveat's entry tracepoints).
 *  - tp_btf/sched_process_exit: one record when the last thread of a
 *    process ends (the tracepoint's group_dead), res the exit code.
 *  - tp_btf/cgroup_mkdir (optional: the loader's, where the kernel has
 *    the tracepoint): a note, no event, of a cgroup made in the cgroup2 or
 *    the v1 pids hierarchy (its id and path), for the attribution.
 *  - per syscall type, one program on that call's own exit tracepoint
 *    (tracepoint/syscalls/sys_exit_NAME), attached only when the type is
 *    asked: no other call runs BPF. The arguments are the registers saved
 *    at entry (bpf_task_pt_regs; these calls leave them as they were),
 *    what matters is read from kernel objects at exit (the opened file's
 *    path from the new fd's struct file, connect's peer from the socket)
 *    rather than from the caller's memory (time of check / time of use).
 *    Opens first pass the loader's filter (open_wanted: names and
 *    directories the rules can match, writes, failures), so an open no
 *    rule can match makes no path walk and no record. tp_btf/sys_exit with
 *    the dispatch table `want` is the fallback where those tracepoints
 *    cannot be used (it runs on every call).
 *  - 32-bit (compat) calls, whose per-call tracepoints never fire: one
 *    program on tp_btf/sys_exit that returns at once for a 64-bit call
 *    (events_compat.h), the i386 numbers dispatched through `want` to the
 *    same records, marked MON_R_COMPAT.
 *
 * Every record carries the task's cgroup2 id and its v1 `pids` cgroup's
 * kernfs id (on a hybrid host engines tell containers apart only in the v1
 * hierarchies). A record the ring buffer has no room for is counted in the
 * per-CPU `counters` (MON_C_LOST), never dropped silently.
 *
 * No vmlinux.h: the kernel fields read are relocated with CO-RE.
 *
 * One object (one skeleton), in parts: events_kern.h (record types, the
 * kernel's types), events_lib.h (ring, header, path walk, fd/socket
 * helpers), events_open.h (the open filter), events_sys.h (the system
 * calls' records and programs), events_compat.h (the programs on
 * tp_btf/sys_exit: 32-bit calls, the fallback), this file (exec and exit).
 */
#include <linux/bpf.h>
#include <linux/types.h>

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "monitor/bpf/events.h"
#include "monitor/bpf/events_kern.h"
#include "monitor/bpf/events_lib.h"
#include "monitor/bpf/events_host.h"
#include "monitor/bpf/events_open.h"
#include "monitor/bpf/events_extra.h"
#include "monitor/bpf/events_sys.h"
#include "monitor/bpf/events_compat.h"
#include "banned.h"

/* ---- exec and exit ------------------------------------------------------------------ */

SEC("tp_btf/sched_process_exec")
int mon_exec(__u64 *ctx)
{
	struct task_struct *t = (struct task_struct *)ctx[0];
	struct linux_binprm *bprm = (struct linux_binprm *)ctx[2];
	const __u32 size = sizeof(struct mon_rec_hdr) + sizeof(struct mon_rec_exec);
	struct mon_rec_hdr *h;
	struct mon_rec_exec *e;
	struct task_struct *a;
	struct fs_struct *fs;
	struct file *exe = NULL;
	struct inode *ino;
	unsigned long as, ae, len;

	/* before the reserve: a lost record must not leave the task's entry of
	 * execve's entry behind for a later exec (a 32-bit one has no entry of
	 * its own to replace it) */
	exe_host_after_exec(t, (__u32)ctx[1]);
	h = bpf_ringbuf_reserve(&events, size, 0);
	if (!h) {
		count(MON_C_LOST);
		return 0;
	}
	e = (struct mon_rec_exec *)(h + 1);
	fill_hdr(h, t, T_EXECVE, size);
	if (bpf_core_field_exists(bprm->executable))
		exe = BPF_CORE_READ(bprm, executable);
	if (!exe)
		exe = BPF_CORE_READ(bprm, file);
	file_path(&e->exe, t, exe);
	exe_host_mark(h, t);
	ino = BPF_CORE_READ(exe, f_inode);
	if (ino && e->exe.magic == OVERLAYFS_SUPER_MAGIC_ &&
	    bpf_core_type_exists(struct ovl_inode)) {
		struct ovl_inode *oi = container_of(ino, struct ovl_inode, vfs_inode);

		if (BPF_CORE_READ(oi, __upperdentry))
			h->flags |= MON_R_UPPER;
	}
	fs = BPF_CORE_READ(t, fs);
	e->cwd.mode = e->cwd.uid = e->cwd.gid = e->cwd.magic = 0;
	e->cwd.rdev_major = e->cwd.rdev_minor = 0;
	walk(&e->cwd, BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt),
	     BPF_CORE_READ(fs, root.dentry), BPF_CORE_READ(fs, root.mnt));

	as = BPF_CORE_READ(t, mm, arg_start);
	ae = BPF_CORE_READ(t, mm, arg_end);
	len = ae > as ? ae - as : 0;
	e->args_total = (unsigned int)len;
	if (len > MON_ARGS_BYTES) {
		len = MON_ARGS_BYTES;
		h->flags |= MON_R_ARGS_TRUNC;
	}
	e->args_len = 0;
	asm volatile("" : "+r"(len));
	if (len > 0 && len <= MON_ARGS_BYTES &&
	    bpf_probe_read_user(e->args, (__u32)len, (const void *)as) == 0)
		e->args_len = (unsigned int)len;

	for (unsigned int i = 0; i < MAX_FD_STDIO; i++)
		stdio_fd(&e->stdio[i], t, i);

	e->nanc = 0;
	a = t;
	for (int i = 0; i < MON_ANC_MAX; i++) {
		struct task_struct *p = BPF_CORE_READ(a, real_parent);
		int pid;

		if (!p || p == a)
			break;
		pid = BPF_CORE_READ(p, tgid);
		if (pid <= 0)
			break;
		e->anc[i].pid = (unsigned int)pid;
		BPF_CORE_READ_STR_INTO(&e->anc[i].comm, p, comm);
		e->nanc = (unsigned int)(i + 1);
		a = p;
	}
	/* the parent's exe now, not when user space reads it (a forked shell that ran
	 * `$(grep ...)` is gone by then, or has exec'd something else) */
	file_path(&e->pexe, t,
		  e->nanc ? BPF_CORE_READ(t, real_parent, mm, exe_file) : (struct file *)NULL);
	if (e->nanc == MON_ANC_MAX) {
		struct task_struct *p = BPF_CORE_READ(a, real_parent);

		if (p && p != a && BPF_CORE_READ(p, tgid) > 0)
			h->flags |= MON_R_NO_ANC;
	}
	if (cg_new(h))
		bpf_ringbuf_submit(h, BPF_RB_FORCE_WAKEUP);
	else
		submit(h, size);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int mon_exit(__u64 *ctx)
{
	struct task_struct *t = (struct task_struct *)ctx[0];
	struct mon_rec_hdr *h;

	if (!(__u8)ctx[1])
		return 0; /* not the last thread of its process */
	h = bpf_ringbuf_reserve(&events, sizeof(*h), 0);
	if (!h) {
		count(MON_C_LOST);
		return 0;
	}
	fill_hdr(h, t, T_PROCEXIT, sizeof(*h));
	h->res = BPF_CORE_READ(t, exit_code); /* the wait status */
	submit(h, sizeof(*h));
	return 0;
}

/* ---- cgroups made ------------------------------------------------------------------ */

/* The v1 hierarchy that holds pids (/proc/cgroups; 0: none, pids is cgroup2's): the loader's */
const volatile __u32 pids_hier = 0;

/*
 * A cgroup made in the cgroup2 hierarchy or the v1 pids one: its kernfs id
 * and path as a note for the attribution (events.h MON_T_CGROUP_MKDIR). A
 * runtime makes a container's cgroups before it moves the container's
 * first process in, so the note is in the ring before any of its records,
 * even when the runtime deletes its state before user space reads it.
 */
SEC("tp_btf/cgroup_mkdir")
int mon_cgroup_mkdir(__u64 *ctx)
{
	struct cgroup *cg = (struct cgroup *)ctx[0];
	const char *path = (const char *)ctx[1];
	const __u32 size = sizeof(struct mon_rec_hdr) + sizeof(struct mon_rec_cgroup);
	struct mon_rec_hdr *h;
	struct mon_rec_cgroup *c;
	int hid = BPF_CORE_READ(cg, root, hierarchy_id);
	__u32 hier;
	char last = 0;
	long n;

	if (hid == 0)
		hier = MON_CG_V2;
	else if (pids_hier && (__u32)hid == pids_hier)
		hier = MON_CG_PIDS;
	else
		return 0;
	h = bpf_ringbuf_reserve(&events, size, 0);
	if (!h) {
		count(MON_C_LOST);
		return 0;
	}
	fill_hdr(h, bpf_get_current_task_btf(), MON_T_CGROUP_MKDIR, size);
	c = (struct mon_rec_cgroup *)(h + 1);
	c->id = BPF_CORE_READ(cg, kn, id);
	c->hier = hier;
	c->flags = 0;
	n = bpf_probe_read_kernel_str(c->path, sizeof(c->path), path);
	if (n < 0)
		c->path[0] = 0;
	/* a full buffer: cut when the byte it ends on was not the path's NUL */
	if (n == sizeof(c->path) &&
	    (bpf_probe_read_kernel(&last, 1, path + sizeof(c->path) - 1) || last))
		c->flags |= MON_CG_TRUNC;
	/* made by a task outside the host's PID namespace (a container's: with
	 * a writable cgroupfs it may name a cgroup after another container's
	 * ID, anywhere it can write): no note the attribution uses */
	if (!task_pidns_host(bpf_get_current_task_btf()))
		c->flags |= MON_CG_FOREIGN;
	submit(h, size);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
