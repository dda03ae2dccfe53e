/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor's BPF programs (events.bpf.c): what every program shares:
 * the ring buffer and its wakeups, the lost-record counters, the record
 * header, the path walk, and reading fds, sockets and inodes. Included
 * once, by events.bpf.c, after events_kern.h.
 */
#ifndef BULKHEAD_MONITOR_BPF_EVENTS_LIB_H
#define BULKHEAD_MONITOR_BPF_EVENTS_LIB_H

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

/* syscall number -> enum bh_mon_type and MON_W_* bits, 0 = not wanted (the
 * loader's; the layout in events.h: x86_64, i386, i386 socketcall) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MON_W_SIZE);
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
/*
 * Set by the reader before it sleeps without a timer (idle for a while): the
 * next record wakes it at once and clears it. An idle monitor is not woken
 * every MON_POLL_MS, and the first event after a quiet spell is not late.
 */
volatile __u32 reader_asleep;

/* The cgroups whose execs were seen: the first MON_CG_WAKES execs in a
 * cgroup wake user space at once (a new container is listed while it runs:
 * one that lives a few ms may be gone at the next read; its runtime's own
 * execs come first) */
#define MON_CG_WAKES 4
struct cg_key {
	__u64 cg2, pids;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct cg_key);
	__type(value, __u8);
} seen_cg SEC(".maps");

static __always_inline int cg_new(const struct mon_rec_hdr *h)
{
	struct cg_key k = { .cg2 = h->cg2_id, .pids = h->pids_id };
	__u8 one = 1, *n = bpf_map_lookup_elem(&seen_cg, &k);

	if (!n) {
		bpf_map_update_elem(&seen_cg, &k, &one, BPF_ANY);
		return 1;
	}
	if (*n >= MON_CG_WAKES)
		return 0;
	*n += 1; /* racy: at worst a few more wakeups */
	return 1;
}

static __always_inline void submit(void *rec, __u32 size)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	/* once, as the waiting data crosses wake_bytes (a lagging reader is not
	 * woken again per record) */
	if (reader_asleep) {
		reader_asleep = 0;
		bpf_ringbuf_submit(rec, BPF_RB_FORCE_WAKEUP);
		return;
	}
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

/*
 * The number of pid p in the PID namespace of level `level` (0: none there):
 * its numbers[level] (struct upid's real size from BTF: the array's stride
 * here is not ours). A pid at its own level is the ID in its own namespace.
 */
static __always_inline unsigned int pid_nr_at(struct pid *p, unsigned int level)
{
	unsigned int nr = 0;
	const char *at;

	if (!p || level > 32 || level > BPF_CORE_READ(p, level))
		return 0;
	at = (const char *)p + bpf_core_field_offset(struct pid, numbers) +
	     (unsigned long)level * bpf_core_type_size(struct upid) +
	     bpf_core_field_offset(struct upid, nr);
	if (bpf_probe_read_kernel(&nr, sizeof(nr), at))
		return 0;
	return nr;
}

/* The level of t's process's PID namespace (-1: unknown). */
static __always_inline int pid_level(struct task_struct *t)
{
	struct pid *p =
		BPF_CORE_READ(t, signal, pids[bpf_core_enum_value(enum pid_type, PIDTYPE_TGID)]);

	return p ? (int)BPF_CORE_READ(p, level) : -1;
}

/* t's process ID in its own PID namespace (0: unknown). */
static __always_inline unsigned int vpid_of(struct task_struct *t)
{
	struct pid *p =
		BPF_CORE_READ(t, signal, pids[bpf_core_enum_value(enum pid_type, PIDTYPE_TGID)]);

	return p ? pid_nr_at(p, BPF_CORE_READ(p, level)) : 0;
}

/* t's thread ID in its own PID namespace (0: unknown). */
static __always_inline unsigned int vtid_of(struct task_struct *t)
{
	struct pid *p = BPF_CORE_READ(t, thread_pid);

	return p ? pid_nr_at(p, BPF_CORE_READ(p, level)) : 0;
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
	h->vpid = vpid_of(t);
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

/*
 * The file of t's descriptor fd. t is a BTF-typed task (the tracepoint's, or
 * bpf_get_current_task_btf), so the way to the table is direct loads (each
 * one instruction, faults caught), not a probe read per field: this runs in
 * every watched open before its filter. The array's slot is a pointer to a
 * pointer (not typed for the verifier): typed by RO_CAST as a word and
 * loaded directly too (a probe read where bpf_rdonly_cast is missing).
 */
static __always_inline struct file *fd_file(struct task_struct *t, unsigned long fd)
{
	struct files_struct *files = t->files;
	struct fdtable *fdt;
	struct file **arr;
	struct file *f = NULL;

	if (!files)
		return NULL;
	fdt = files->fdt;
	if (!fdt || fd >= fdt->max_fds)
		return NULL;
	arr = fdt->fd;
	if (bpf_rdonly_cast)
		return (struct file *)RO_CAST(&arr[fd], list_head)->next;
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

#endif
