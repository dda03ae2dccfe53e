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
 *    upper dentry.
 *  - tp_btf/sched_process_exit: one record when the last thread of a
 *    process ends (the tracepoint's group_dead), res the exit code.
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
 *    cannot be used (it runs on every call). 32-bit (compat) calls are not
 *    seen.
 *
 * Every record carries the task's cgroup2 id and its v1 `pids` cgroup's
 * kernfs id (on a hybrid host engines tell containers apart only in the v1
 * hierarchies). A record the ring buffer has no room for is counted in the
 * per-CPU `counters` (MON_C_LOST), never dropped silently.
 *
 * No vmlinux.h: the kernel fields read are relocated with CO-RE.
 */
#include <linux/bpf.h>
#include <linux/types.h>

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "monitor/bpf/events.h"
#include "banned.h"

/* enum bh_mon_type values used here (include/bulkhead/monitor.h) */
#define T_EXECVE       1
#define T_PROCEXIT     3
#define T_OPEN	       4
#define T_OPENAT       5
#define T_OPENAT2      6
#define T_CONNECT      7
#define T_ACCEPT       8
#define T_ACCEPT4      9
#define T_LISTEN       10
#define T_SETUID       11
#define T_SETREUID     12
#define T_SETRESUID    13
#define T_SETGID       14
#define T_SETRESGID    15
#define T_CAPSET       16
#define T_UNSHARE      17
#define T_SETNS	       18
#define T_PTRACE       19
#define T_MOUNT	       20
#define T_UMOUNT2      21
#define T_INIT_MODULE  22
#define T_FINIT_MODULE 23
#define T_BPF	       24
#define T_MEMFD_CREATE 25

#define FMODE_WRITE_ 0x2
#define O_CREAT_     0100
#define O_TRUNC_     01000
#define O_APPEND_    02000

#define TS_COMPAT	 0x0002
#define S_IFMT_		 00170000
#define S_IFSOCK_	 0140000
#define AF_UNIX_	 1
#define AF_INET_	 2
#define AF_INET6_	 10
#define EINPROGRESS_	 115
#define MNT_NS_INTERNAL_ ((unsigned long)-22) /* ERR_PTR(-EINVAL): kern_mount()'s */
#define MAX_FD_STDIO	 3

typedef struct {
	int val;
} atomic_t___mon;

struct qstr {
	unsigned int len;
	const unsigned char *name;
} __attribute__((preserve_access_index));

struct super_block {
	unsigned long s_magic;
} __attribute__((preserve_access_index));

typedef struct {
	unsigned int val;
} kuid_t___mon;

struct inode {
	unsigned short i_mode;
	kuid_t___mon i_uid;
	kuid_t___mon i_gid;
	unsigned int i_rdev;
	struct super_block *i_sb;
} __attribute__((preserve_access_index));

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
} __attribute__((preserve_access_index));

struct vfsmount {
	struct dentry *mnt_root;
} __attribute__((preserve_access_index));

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
	void *mnt_ns;
} __attribute__((preserve_access_index));

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
} __attribute__((preserve_access_index));

struct file {
	struct path f_path;
	struct inode *f_inode;
	unsigned int f_flags;
	unsigned int f_mode;
	void *private_data;
} __attribute__((preserve_access_index));

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
} __attribute__((preserve_access_index));

struct files_struct {
	struct fdtable *fdt;
} __attribute__((preserve_access_index));

struct fs_struct {
	struct path root;
	struct path pwd;
} __attribute__((preserve_access_index));

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
	struct file *exe_file;
} __attribute__((preserve_access_index));

struct in6_addr {
	union {
		unsigned char u6_addr8[16];
	} in6_u;
} __attribute__((preserve_access_index));

struct sock_common {
	unsigned int skc_daddr;
	unsigned int skc_rcv_saddr;
	unsigned short skc_dport;
	unsigned short skc_num;
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
	unsigned short sk_protocol;
} __attribute__((preserve_access_index));

struct socket {
	struct sock *sk;
} __attribute__((preserve_access_index));

typedef struct {
	unsigned long long val;
} kernel_cap_t___mon;

struct cred {
	kuid_t___mon euid;
	kuid_t___mon egid;
	kernel_cap_t___mon cap_inheritable;
	kernel_cap_t___mon cap_permitted;
	kernel_cap_t___mon cap_effective;
} __attribute__((preserve_access_index));

struct tty_driver {
	int major;
	int minor_start;
} __attribute__((preserve_access_index));

struct tty_struct {
	int index;
	struct tty_driver *driver;
} __attribute__((preserve_access_index));

struct upid {
	int nr;
} __attribute__((preserve_access_index));

struct pid {
	struct upid numbers[1];
} __attribute__((preserve_access_index));

struct signal_struct {
	struct pid *pids[4];
	struct tty_struct *tty;
} __attribute__((preserve_access_index));

struct kernfs_node {
	unsigned long long id;
} __attribute__((preserve_access_index));

struct cgroup {
	struct kernfs_node *kn;
} __attribute__((preserve_access_index));

struct cgroup_subsys_state {
	struct cgroup *cgroup;
} __attribute__((preserve_access_index));

struct css_set {
	struct cgroup_subsys_state *subsys[16];
} __attribute__((preserve_access_index));

struct task_struct {
	int pid;
	int tgid;
	char comm[16];
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	const struct cred *cred;
	struct mm_struct *mm;
	struct fs_struct *fs;
	struct files_struct *files;
	struct signal_struct *signal;
	struct css_set *cgroups;
	kuid_t___mon loginuid;
	int exit_code;
	struct {
		unsigned int status;
	} thread_info;
} __attribute__((preserve_access_index));

struct linux_binprm {
	struct file *file;
	struct file *executable;
} __attribute__((preserve_access_index));

struct ovl_inode {
	struct inode vfs_inode;
	struct dentry *__upperdentry;
} __attribute__((preserve_access_index));

struct pt_regs {
	unsigned long di, si, dx, r10, r8, r9;
	unsigned long orig_ax;
} __attribute__((preserve_access_index));

enum cgroup_subsys_id {
	pids_cgrp_id = 11,
};

enum pid_type {
	PIDTYPE_SID = 3,
};

#define OVERLAYFS_SUPER_MAGIC_ 0x794c7630

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* set by the loader */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MON_C_N);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* syscall number -> enum bh_mon_type, 0 = not wanted (the loader's) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MON_NR_MAX);
	__type(key, __u32);
	__type(value, __u8);
} want SEC(".maps");

/*
 * User space is woken when a batch is waiting (wake_bytes, the loader's),
 * else reads the ring every MON_POLL_MS: a wakeup per record (the default)
 * is an irq_work self-IPI and a task wakeup inside the traced call, tens of
 * microseconds per exec on a VM.
 */
const volatile __u64 wake_bytes = 1;

static __always_inline void submit(void *rec, __u32 size)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	/* once, as the waiting data crosses wake_bytes (a lagging reader is not
	 * woken again per record) */
	bpf_ringbuf_submit(rec, avail >= wake_bytes && avail < wake_bytes + size + 8
					? BPF_RB_FORCE_WAKEUP
					: BPF_RB_NO_WAKEUP);
}

static __always_inline void count(__u32 which)
{
	__u64 *n = bpf_map_lookup_elem(&counters, &which);

	if (n)
		*n += 1;
}

static __always_inline __u64 pids_cgroup_id(struct task_struct *t)
{
	int i;

	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, pids_cgrp_id))
		return 0;
	i = bpf_core_enum_value(enum cgroup_subsys_id, pids_cgrp_id);
	if (i < 0 || i >= 16)
		return 0;
	return BPF_CORE_READ(t, cgroups, subsys[i], cgroup, kn, id);
}

static __always_inline void fill_hdr(struct mon_rec_hdr *h, struct task_struct *t, __u16 type,
				     __u32 size)
{
	const struct cred *c = BPF_CORE_READ(t, cred);
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	struct pid *sid;

	h->type = type;
	h->flags = 0;
	h->size = size;
	h->ts_ns = bpf_ktime_get_boot_ns();
	h->cg2_id = bpf_get_current_cgroup_id();
	h->pids_id = pids_cgroup_id(t);
	h->res = 0;
	h->pid = BPF_CORE_READ(t, tgid);
	h->tid = BPF_CORE_READ(t, pid);
	h->ppid = BPF_CORE_READ(t, real_parent, tgid);
	sid = BPF_CORE_READ(t, signal, pids[bpf_core_enum_value(enum pid_type, PIDTYPE_SID)]);
	h->sid = sid ? BPF_CORE_READ(sid, numbers[0].nr) : 0;
	h->uid = BPF_CORE_READ(c, euid.val);
	h->gid = BPF_CORE_READ(c, egid.val);
	h->loginuid = (__u32)-1;
	if (bpf_core_field_exists(t->loginuid))
		h->loginuid = BPF_CORE_READ(t, loginuid.val);
	h->tty_major = 0;
	h->tty_minor = 0;
	if (tty) {
		h->tty_major = BPF_CORE_READ(tty, driver, major);
		h->tty_minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	}
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

static __always_inline void inode_info(struct mon_path *p, struct inode *ino)
{
	unsigned int rdev;

	p->mode = BPF_CORE_READ(ino, i_mode);
	p->uid = BPF_CORE_READ(ino, i_uid.val);
	p->gid = BPF_CORE_READ(ino, i_gid.val);
	p->magic = (unsigned int)BPF_CORE_READ(ino, i_sb, s_magic);
	rdev = BPF_CORE_READ(ino, i_rdev);
	p->rdev_major = rdev >> 20; /* the kernel's dev_t: MINORBITS 20 */
	p->rdev_minor = rdev & ((1u << 20) - 1);
}

/* One path walk in progress: bpf_loop's context (the callback is verified once). */
struct walk_ctx {
	struct dentry *d, *rd;
	struct vfsmount *vm, *rm;
	struct mount *m;
	__u32 off;
	__u8 flags, ncomp, stopped;
};

/* The walk's buffer: one per CPU (a program runs to its end on one CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mon_path);
} scratch SEC(".maps");

static long walk_step(__u32 i, void *ctx)
{
	struct walk_ctx *c = ctx;
	struct vfsmount *vm = c->vm;
	struct dentry *d = c->d;
	struct mount *m = c->m;
	struct dentry *root = BPF_CORE_READ(vm, mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	const unsigned char *name;
	struct mon_path *p;
	__u32 k = 0, off = c->off;
	long n;

	c->stopped = 1;
	if (d == c->rd && vm == c->rm)
		return 1;
	if (d == root) {
		struct mount *pm = BPF_CORE_READ(m, mnt_parent);

		if (pm == m || !pm) {
			unsigned long ns = (unsigned long)BPF_CORE_READ(m, mnt_ns);

			if (!ns || ns == MNT_NS_INTERNAL_)
				c->flags |= MON_PATH_DETACHED;
			return 1;
		}
		c->d = BPF_CORE_READ(m, mnt_mountpoint);
		c->m = pm;
		c->vm = &pm->mnt;
		c->stopped = 0;
		return 0;
	}
	if (d == parent)
		c->flags |=
			MON_PATH_DETACHED; /* a pseudo file (memfd, pipe): its name, then stop */
	if (off >= MON_PATH_BYTES - MON_NAME_MAX) {
		c->flags |= MON_PATH_TRUNC;
		return 1;
	}
	p = bpf_map_lookup_elem(&scratch, &k);
	if (!p)
		return 1;
	name = BPF_CORE_READ(d, d_name.name);
	n = bpf_probe_read_kernel_str(p->buf + (off & (MON_PATH_BYTES - MON_NAME_MAX - 1)),
				      MON_NAME_MAX, name);
	if (n <= 0) {
		c->flags |= MON_PATH_TRUNC;
		return 1;
	}
	c->off = off + (__u32)n;
	c->ncomp++;
	c->d = parent;
	if (c->flags & MON_PATH_DETACHED)
		return 1;
	c->stopped = 0;
	return 0;
}

/*
 * The path of (d, vm) up to the task's root (rd, rm), else the global
 * root, leaf first (events.h), into p (its inode fields left as they are).
 */
static __noinline int walk(struct mon_path *p, struct dentry *d, struct vfsmount *vm,
			   struct dentry *rd, struct vfsmount *rm)
{
	struct walk_ctx c = {
		.d = d, .rd = rd, .vm = vm, .rm = rm, .m = container_of(vm, struct mount, mnt)
	};
	struct mon_path *sp;
	__u32 k = 0;

	p->len = 0;
	p->ncomp = 0;
	p->flags = 0;
	if (!d || !vm) {
		p->flags = MON_PATH_NONE;
		return 0;
	}
	bpf_loop(MON_PATH_DEPTH, walk_step, &c, 0);
	if (!c.stopped)
		c.flags |= MON_PATH_TRUNC; /* MON_PATH_DEPTH steps and not at a root */
	sp = bpf_map_lookup_elem(&scratch, &k);
	if (!sp)
		return 0;
	if (bpf_probe_read_kernel(p->buf, sizeof(p->buf), sp->buf) < 0)
		return 0;
	p->len = (unsigned short)c.off;
	p->ncomp = c.ncomp;
	p->flags = c.flags;
	return 0;
}

/* A file's path and inode (the task's root from t->fs). */
static __always_inline void file_path(struct mon_path *p, struct task_struct *t, struct file *f)
{
	struct fs_struct *fs = BPF_CORE_READ(t, fs);

	p->mode = p->uid = p->gid = p->magic = p->rdev_major = p->rdev_minor = 0;
	if (!f) {
		walk(p, NULL, NULL, NULL, NULL);
		return;
	}
	inode_info(p, BPF_CORE_READ(f, f_inode));
	walk(p, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt),
	     BPF_CORE_READ(fs, root.dentry), BPF_CORE_READ(fs, root.mnt));
}

/* The caller's string as the path (MON_PATH_RAW), for a call that failed or names no fd. */
static __always_inline void user_path(struct mon_path *p, const void *u)
{
	long n;

	p->mode = p->uid = p->gid = p->magic = p->rdev_major = p->rdev_minor = 0;
	p->flags = MON_PATH_NONE;
	p->ncomp = 0;
	p->len = 0;
	if (!u)
		return;
	n = bpf_probe_read_user_str(p->buf, MON_PATH_BYTES - MON_NAME_MAX, u);
	if (n > 0) {
		p->len = (unsigned short)n;
		p->ncomp = 1;
		p->flags = MON_PATH_RAW;
	}
}

static __always_inline struct file *fd_file(struct task_struct *t, unsigned long fd)
{
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **arr;
	struct file *f = NULL;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	arr = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]) < 0)
		return NULL;
	return f;
}

static __always_inline struct sock *file_sock(struct file *f)
{
	struct socket *so;

	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT_) != S_IFSOCK_)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	return so ? BPF_CORE_READ(so, sk) : NULL;
}

static __always_inline void sock_addrs(struct mon_rec_sys *s, struct sock *sk)
{
	__u16 dport;

	s->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	s->proto = (unsigned char)BPF_CORE_READ(sk, sk_protocol);
	dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	s->rport = (__u16)((dport >> 8) | (dport << 8));
	s->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (s->family == AF_INET_) {
		__u32 a = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);

		__builtin_memcpy(s->raddr, &a, 4);
		__builtin_memcpy(s->laddr, &l, 4);
	} else if (s->family == AF_INET6_) {
		BPF_CORE_READ_INTO(&s->raddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&s->laddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
	}
}

/* connect's address from the caller's memory: when the socket has none (failed, unix) */
static __always_inline void user_sockaddr(struct mon_rec_sys *s, const void *u, unsigned long len)
{
	unsigned short fam = 0;

	if (!u || len < 2 || bpf_probe_read_user(&fam, 2, u) < 0)
		return;
	s->from_user = 1;
	s->family = fam;
	if (fam == AF_INET_ && len >= 8) {
		__u16 port = 0;

		bpf_probe_read_user(&port, 2, (const char *)u + 2);
		s->rport = (__u16)((port >> 8) | (port << 8));
		bpf_probe_read_user(s->raddr, 4, (const char *)u + 4);
	} else if (fam == AF_INET6_ && len >= 24) {
		__u16 port = 0;

		bpf_probe_read_user(&port, 2, (const char *)u + 2);
		s->rport = (__u16)((port >> 8) | (port << 8));
		bpf_probe_read_user(s->raddr, 16, (const char *)u + 8);
	} else if (fam == AF_UNIX_ && len > 2) {
		user_path(&s->path, (const char *)u + 2);
	}
}

static __always_inline void stdio_fd(struct mon_fd *o, struct task_struct *t, unsigned int fd)
{
	struct file *f = fd_file(t, fd);
	struct inode *ino;
	struct sock *sk;
	unsigned int rdev;

	o->mode = o->rdev_major = o->rdev_minor = 0;
	o->family = 0;
	o->pad = 0;
	if (!f)
		return;
	ino = BPF_CORE_READ(f, f_inode);
	o->mode = BPF_CORE_READ(ino, i_mode);
	rdev = BPF_CORE_READ(ino, i_rdev);
	o->rdev_major = rdev >> 20;
	o->rdev_minor = rdev & ((1u << 20) - 1);
	sk = file_sock(f);
	if (sk)
		o->family = BPF_CORE_READ(sk, __sk_common.skc_family);
}

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

/* ---- the open filter --------------------------------------------------------------- */

/* One name checked against `names`: the component's bytes, NUL-padded. */
struct name_key {
	char s[MON_FNAME_KEY];
};

/* name -> MON_N_LEAF | MON_N_DIR (the loader's, from the rules) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MON_FNAMES_MAX);
	__type(key, struct name_key);
	__type(value, __u8);
} names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mon_open_filter);
} openf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct name_key);
} keybuf SEC(".maps");

/*
 * The filter runs on every open, so it reads kernel objects with direct
 * (BTF-typed) loads, not a bpf_probe_read_kernel call per field: the new
 * fd's file is typed with bpf_rdonly_cast (kernel 6.2; where it is missing
 * every open is wanted and user space filters).
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

#define RO_CAST(p, T)                                                                              \
	((struct T *)bpf_rdonly_cast((const void *)(p), bpf_core_type_id_kernel(struct T)))

/* The mount of a vfsmount (container_of on a plain address, then typed). */
static __always_inline struct mount *ro_mount(unsigned long vm)
{
	if (!vm)
		return NULL;
	return RO_CAST(vm - bpf_core_field_offset(struct mount, mnt), mount);
}

/* Whether dentry d's name is in `names` with one of the bits `want`
 * (its length checked first against the filter's bitmap: no read at all
 * for most names). */
static __always_inline int name_in(struct dentry *d, __u64 lens, __u8 want)
{
	struct name_key *key;
	unsigned int len;
	__u32 z = 0;
	__u8 *v;

	len = d->d_name.len;
	if (len == 0 || len >= MON_FNAME_KEY || !(lens & (1ULL << len)))
		return 0;
	key = bpf_map_lookup_elem(&keybuf, &z);
	if (!key)
		return 0;
	__builtin_memset(key->s, 0, sizeof(key->s));
	if (bpf_probe_read_kernel_str(key->s, sizeof(key->s), d->d_name.name) <= 0)
		return 0;
	v = bpf_map_lookup_elem(&names, key);
	return v && (*v & want);
}

/*
 * Whether an open's event is wanted (the loader's filter, a necessary
 * condition of the rules: user space matches the rest). ret: the call's
 * result; fa: the new fd's file's address (ret >= 0). A directory of the
 * rules is looked for among the file's ancestors up to the task's root
 * (crossing mounts), at most MON_PATH_DEPTH of them.
 */
static __noinline int open_wanted(struct task_struct *t, long ret, unsigned long fa)
{
	struct mon_open_filter *o;
	struct dentry *d, *rd, *parent;
	struct mount *m, *rm, *pm;
	struct file *f;
	unsigned int fl, fm;
	__u64 lens;
	__u32 z = 0;

	o = bpf_map_lookup_elem(&openf, &z);
	if (!o || o->all)
		return 1;
	if (ret < 0)
		return o->failed;
	if (!fa)
		return 0;
	if (!bpf_rdonly_cast)
		return 1;
	f = RO_CAST(fa, file);
	fl = f->f_flags;
	fm = f->f_mode;
	if (o->writes && ((fm & FMODE_WRITE_) || (fl & (O_CREAT_ | O_TRUNC_ | O_APPEND_))))
		return 1;
	d = f->f_path.dentry;
	if (!d)
		return 0;
	if (o->leaf_lens && name_in(d, o->leaf_lens, MON_N_LEAF))
		return 1;
	lens = o->dir_lens;
	if (!lens)
		return 0;
	m = ro_mount((unsigned long)BPF_CORE_READ(f, f_path.mnt));
	rd = t->fs->root.dentry;
	rm = ro_mount((unsigned long)BPF_CORE_READ(t, fs, root.mnt));
	if (!m)
		return 0;
	for (int i = 0; i < MON_PATH_DEPTH; i++) {
		if (d == rd && m == rm)
			return 0; /* the task's root: what is above it is not in its paths */
		if (d == m->mnt.mnt_root) {
			pm = m->mnt_parent;
			if (!pm || pm == m)
				return 0;
			d = m->mnt_mountpoint;
			m = pm;
			continue;
		}
		parent = d->d_parent;
		if (!parent || parent == d)
			return 0;
		if (name_in(parent, lens, MON_N_DIR))
			return 1;
		d = parent;
	}
	return 0;
}

/* ---- system calls ------------------------------------------------------------------- */

/*
 * One call's record at its exit: type, result, the six arguments (from the
 * registers saved at entry: unchanged by these calls), and what matters read
 * from kernel objects. Called by each per-syscall tracepoint program and by
 * the generic tp_btf/sys_exit fallback.
 */
static __noinline int emit_sys(struct task_struct *t, struct pt_regs *regs, __u32 type, long ret)
{
	const __u32 size = sizeof(struct mon_rec_hdr) + sizeof(struct mon_rec_sys);
	struct mon_rec_hdr *h;
	struct mon_rec_sys *s;
	struct file *f = NULL;
	struct sock *sk;
	unsigned long long a[6];

	if (!t || !regs)
		return 0;
	if (t->thread_info.status & TS_COMPAT)
		return 0; /* a 32-bit call: its numbers (and registers) differ */
	if (type == T_OPEN || type == T_OPENAT || type == T_OPENAT2) {
		if (ret >= 0)
			f = fd_file(t, (unsigned long)ret);
		if (!open_wanted(t, ret, (unsigned long)f))
			return 0;
	}
	a[0] = BPF_CORE_READ(regs, di);
	a[1] = BPF_CORE_READ(regs, si);
	a[2] = BPF_CORE_READ(regs, dx);
	a[3] = BPF_CORE_READ(regs, r10);
	a[4] = BPF_CORE_READ(regs, r8);
	a[5] = BPF_CORE_READ(regs, r9);
	h = bpf_ringbuf_reserve(&events, size, 0);
	if (!h) {
		count(MON_C_LOST);
		return 0;
	}
	s = (struct mon_rec_sys *)(h + 1);
	fill_hdr(h, t, (__u16)type, size);
	h->res = ret;
	for (int i = 0; i < 6; i++)
		s->a[i] = a[i];
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

	switch (type) {
	case T_OPEN:
	case T_OPENAT:
	case T_OPENAT2:
		if (ret >= 0) {
			file_path(&s->path, t, f);
			if (f) {
				s->oflags = BPF_CORE_READ(f, f_flags);
				s->fmode = BPF_CORE_READ(f, f_mode);
			}
		} else {
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
	default: break;
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
		struct task_struct *t = bpf_get_current_task_btf();                                \
                                                                                                   \
		return emit_sys(t, (struct pt_regs *)bpf_task_pt_regs(t), TYPE, ctx->ret);         \
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

/*
 * The fallback where a type's tracepoint cannot be attached (no tracefs, a
 * kernel without syscall tracepoints): every call on the host runs this,
 * `want` (number -> type) is the dispatch, the fast path one array lookup.
 */
SEC("tp_btf/sys_exit")
int mon_sys_exit(__u64 *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx[0];
	long nr = (long)BPF_CORE_READ(regs, orig_ax);
	__u32 k;
	__u8 *w;

	if ((unsigned long)nr >= MON_NR_MAX)
		return 0;
	k = (__u32)nr;
	w = bpf_map_lookup_elem(&want, &k);
	if (!w || !*w)
		return 0;
	return emit_sys(bpf_get_current_task_btf(), regs, *w, (long)ctx[1]);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
