/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor's BPF programs (events.bpf.c): the record types and the
 * kernel's types they read, declared for CO-RE (no vmlinux.h: each field
 * is relocated against the running kernel's BTF). Included once, by
 * events.bpf.c.
 */
#ifndef BULKHEAD_MONITOR_BPF_EVENTS_KERN_H
#define BULKHEAD_MONITOR_BPF_EVENTS_KERN_H

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
/* f_flags of a file an exec opened (do_open_execat's open_flag; open(2) and
 * openat2(2) cannot set it: VALID_OPEN_FLAGS leaves it out) */
#define FMODE_EXEC_FLAG_ 0x20
#define MAX_FD_STDIO	 3

typedef struct {
	int val;
} atomic_t___mon;

struct qstr {
	unsigned int len;
	const unsigned char *name;
} __attribute__((preserve_access_index));

struct super_block {
	unsigned int s_dev; /* dev_t: MAJOR << 20 | MINOR */
	unsigned long s_magic;
	char s_id[32];
} __attribute__((preserve_access_index));

typedef struct {
	unsigned int val;
} kuid_t___mon;

struct inode {
	unsigned short i_mode;
	unsigned long i_ino;
	kuid_t___mon i_uid;
	kuid_t___mon i_gid;
	unsigned int i_rdev;
	struct super_block *i_sb;
} __attribute__((preserve_access_index));

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
	struct super_block *d_sb;
} __attribute__((preserve_access_index));

struct vfsmount {
	struct dentry *mnt_root;
} __attribute__((preserve_access_index));

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
	void *mnt_ns;
	int mnt_id; /* statx's stx_mnt_id (STATX_MNT_ID) */
} __attribute__((preserve_access_index));

/* a mount namespace: its nsfs inode number (/proc/PID/ns/mnt's) */
struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct mnt_namespace {
	struct ns_common ns;
} __attribute__((preserve_access_index));

/* a task's namespaces (events_host.h: the mount namespace an exec was made from) */
struct nsproxy {
	struct mnt_namespace *mnt_ns;
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

/* a PID namespace (events_host.h: the one an exec was made from) */
struct pid_namespace {
	struct ns_common ns;
} __attribute__((preserve_access_index));

struct upid {
	int nr;
	struct pid_namespace *ns;
} __attribute__((preserve_access_index));

struct pid {
	unsigned int level;
	struct upid numbers[1];
} __attribute__((preserve_access_index));

struct signal_struct {
	struct pid *pids[4];
	struct tty_struct *tty;
} __attribute__((preserve_access_index));

struct kernfs_node {
	unsigned long long id;
} __attribute__((preserve_access_index));

struct cgroup_root {
	int hierarchy_id; /* 0: the cgroup2 (default) hierarchy */
} __attribute__((preserve_access_index));

struct cgroup {
	struct kernfs_node *kn;
	struct cgroup_root *root;
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
	struct pid *thread_pid;
	struct css_set *cgroups;
	struct nsproxy *nsproxy;
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
	unsigned long bx, cx, bp; /* with di, si, dx: a 32-bit call's six arguments */
	unsigned long orig_ax;
} __attribute__((preserve_access_index));

enum cgroup_subsys_id {
	pids_cgrp_id = 11,
};

enum pid_type {
	PIDTYPE_TGID = 1,
	PIDTYPE_SID = 3,
};

#define OVERLAYFS_SUPER_MAGIC_ 0x794c7630

/*
 * Typed reads of plain addresses: bpf_rdonly_cast (kernel 6.2) gives an
 * address a BTF type, so its fields are read by direct loads (one
 * instruction each, a fault reads 0) where a bpf_probe_read_kernel call per
 * read cost a helper call. Where it is missing (NULL), callers probe-read.
 * Two stable kernel types serve as "a word at this address": rb_node's
 * first field is an unsigned long (a scalar: a name's first 8 bytes),
 * list_head's a pointer (a pointer-sized slot, such as an fd array's).
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

#define RO_CAST(p, T)                                                                              \
	((struct T *)bpf_rdonly_cast((const void *)(p), bpf_core_type_id_kernel(struct T)))

struct rb_node {
	unsigned long __rb_parent_color;
} __attribute__((preserve_access_index));

struct list_head {
	struct list_head *next;
} __attribute__((preserve_access_index));

#endif
