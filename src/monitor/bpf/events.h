/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The records the monitor's kernel programs (events.bpf.c, built with clang
 * -target bpf) put in the ring buffer, and the maps user space fills
 * (source_kernel.c decodes them: mon_record_decode, fuzzed by
 * fuzz/fuzz_mon_record.c). Plain C types only: both compilers include it.
 *
 * A record is a struct mon_rec_hdr followed by one body: struct
 * mon_rec_exec for the exec types, struct mon_rec_sys for the others,
 * nothing for an exit. Strings are what the kernel gave, never trusted:
 * user space bounds every length and offset against the record's size.
 *
 * Paths are walked in BPF from a dentry up to the task's root (or the
 * global root, crossing mounts), at most MON_PATH_DEPTH components; they
 * are stored leaf first, each component NUL-terminated, at most
 * MON_NAME_MAX bytes each, in MON_PATH_BYTES: user space puts them in
 * order. flags say when the walk stopped at its bound (truncated) or at
 * the root of a mount it could not leave (a memfd, a pipe, a detached
 * tree: not a path of the file system).
 */
#ifndef BULKHEAD_MONITOR_BPF_EVENTS_H
#define BULKHEAD_MONITOR_BPF_EVENTS_H

#define MON_PATH_DEPTH 32
#define MON_NAME_MAX   256  /* NAME_MAX and its NUL */
#define MON_PATH_BYTES 768  /* 512 (the offset's mask) + MON_NAME_MAX */
#define MON_ARGS_BYTES 1536 /* the arg area read at exec: argv[0] and BH_MON_ARGS_MAX more */
#define MON_STR_BYTES  256  /* user strings of the syscalls: mount source, memfd name */
#define MON_ANC_MAX    8    /* BH_MON_ANCESTORS_MAX */
#define MON_HOSTNS_MAX 16   /* events_host.h host_ns: engine daemons' mount namespaces */
#define MON_COMM       16
#define MON_NR_MAX     512 /* syscall numbers the dispatch table covers (x86_64) */
/*
 * The dispatch table `want` (number -> type): x86_64's numbers at [0,
 * MON_NR_MAX), the i386 (compat) numbers at MON_W_COMPAT + nr, i386
 * socketcall(2)'s sub-calls (SYS_CONNECT...) at MON_W_SOCKCALL + call.
 */
#define MON_W_COMPAT	    MON_NR_MAX
#define MON_NR32_MAX	    512
#define MON_W_SOCKCALL	    (MON_W_COMPAT + MON_NR32_MAX)
#define MON_SOCKCALL_MAX    32
#define MON_NR32_SOCKETCALL 102 /* i386 socketcall(2): the call in bx, its arguments at cx */
#define MON_W_SIZE	    (MON_W_SOCKCALL + MON_SOCKCALL_MAX)
/* a `want` value: the type in the low 6 bits, and how to read the arguments */
#define MON_W_TYPE  0x3fu
#define MON_W_UID16 0x80u /* i386 setuid...: 16-bit ids (0xffff is -1) */
#define MON_W_ARG1  0x40u /* i386 umount(2): one argument (no flags) */

/*
 * The `want` slot of an i386 call: nr its number, bx its first register
 * (socketcall's sub-call: the kernel takes its low 32 bits, (unsigned
 * int)bx, so the upper ones must not hide a call); -1: not in the table.
 * Shared with user space (tests).
 */
static inline long mon_compat_slot(unsigned long nr, unsigned long bx)
{
	if (nr >= MON_NR32_MAX)
		return -1;
	if (nr != MON_NR32_SOCKETCALL)
		return (long)(MON_W_COMPAT + nr);
	if ((unsigned int)bx >= MON_SOCKCALL_MAX)
		return -1;
	return (long)(MON_W_SOCKCALL + (unsigned int)bx);
}

/*
 * i386 socketcall(2): the bytes of sub-call `call`'s arguments (u32 each)
 * that the kernel copies from the caller (net/compat.c's nas[]); 0 for a
 * call it refuses (EINVAL) before copying. Shared with user space (tests).
 */
static inline unsigned int mon_sockcall_nbytes(unsigned long call)
{
	switch (call) {
	case 4: /* SYS_LISTEN */
	case 13: /* SYS_SHUTDOWN */ return 8;
	case 1:
	case 2:
	case 3:
	case 5:
	case 6:
	case 7:
	case 16:
	case 17: return 12; /* socket bind connect accept getsockname getpeername sendmsg recvmsg */
	case 8:
	case 9:
	case 10:
	case 18:
	case 20: return 16; /* socketpair send recv accept4 sendmmsg */
	case 14:
	case 15:
	case 19: return 20; /* setsockopt getsockopt recvmmsg */
	case 11:
	case 12: return 24; /* sendto recvfrom */
	default: return 0;
	}
}

/* An i386 16-bit id call's argument (setuid16...): the kernel takes the low
 * 16 bits, and 0xffff of those is -1 (unchanged). Shared with user space. */
static inline unsigned long long mon_uid16(unsigned long long v)
{
	v &= 0xffffu;
	return v == 0xffffu ? 0xffffffffu : v;
}

/*
 * Record types of the calls that are another call's event (a type's
 * second way in): above the public types (enum bh_mon_type), below 64
 * (MON_W_TYPE). User space decodes each as its public type with the
 * call's name (mon_rec_call):
 *  - clone(2), clone3(2) with a CLONE_NEW* flag: unshare (a[0] the flags).
 *    A call that made a task: from tp_btf/task_newtask, the kernel's own
 *    flags, in the caller (res: the child's pid in the caller's PID
 *    namespace), whichever way the call came (64-bit, 32-bit, the fallback).
 *    A failed call (an attempt): at its exit, the flags as the caller's
 *    registers (clone) or memory (clone3) held them then, MON_R_ARGS_USER
 *    (MON_R_ARGS_UNREAD when clone3's struct could not be read); neither
 *    the child's return (0) nor a success's exit is an event;
 *  - move_mount(2) (path: its target as given, str1: its source path),
 *    fsmount(2) (str2: the context's file system type), open_tree(2) with
 *    OPEN_TREE_CLONE (path: the tree as given): mount;
 *  - mount_setattr(2) (path: the target as given, the dfd's file when the
 *    string is empty; a[2] its AT_* flags; a[3], a[4], a[5] replaced by
 *    struct mount_attr's attr_set, attr_clr, propagation read from the
 *    caller's memory at exit: MON_R_ARGS_USER, MON_R_ARGS_UNREAD when it
 *    could not be read or the size is below MOUNT_ATTR_SIZE_VER0), fspick(2)
 *    (path: the mount picked as given, or the dfd's file; str2: the picked
 *    superblock's file system type, str1: its device (s_id), both when the
 *    call made a context): mount;
 *  - process_vm_readv(2), process_vm_writev(2) on another process (a[0]
 *    its pid, neither the caller's own process ID nor its thread ID): ptrace.
 */
#define MON_T_CLONE		40
#define MON_T_CLONE3		41
#define MON_T_MOVE_MOUNT	42
#define MON_T_FSMOUNT		43
#define MON_T_OPEN_TREE		44
#define MON_T_PROCESS_VM_READV	45
#define MON_T_PROCESS_VM_WRITEV 46
#define MON_T_MOUNT_SETATTR	47
#define MON_T_FSPICK		48
#define MON_T_EXTRA_FIRST	MON_T_CLONE
#define MON_T_EXTRA_LAST	MON_T_FSPICK

/*
 * A record that is no event: a cgroup made (tp_btf/cgroup_mkdir) in the
 * cgroup2 hierarchy or in the v1 hierarchy that holds pids (the loader's
 * pids_hier), from the task that made it (a runtime: runc, crun, systemd),
 * before any process of a container runs in it, so before their records in
 * the ring. A struct mon_rec_hdr then a struct mon_rec_cgroup; user space
 * hands it to the attribution (mon_record_cgroup, mon_attr_note_cgroup),
 * never out as an event. Above the extra types, below 64.
 */
#define MON_T_CGROUP_MKDIR 60
#define MON_CG_PATH	   256 /* the path in its hierarchy, NUL included */
#define MON_CG_V2	   0   /* mon_rec_cgroup.hier: the cgroup2 hierarchy */
#define MON_CG_PIDS	   1   /* the v1 hierarchy that holds pids */
#define MON_CG_TRUNC	   1u  /* mon_rec_cgroup.flags: the path was cut */
/* made by a task outside the host's PID namespace (host_pidns; all when it
 * is not known): a container's, whose cgroup names are its own choice. A
 * runtime (runc, crun, bulkhead, their engines, systemd) makes a container's
 * cgroups from the host's PID namespace. */
#define MON_CG_FOREIGN 2u

struct mon_rec_cgroup {
	unsigned long long id; /* the cgroup's kernfs id (what records carry) */
	unsigned int hier;     /* MON_CG_V2, MON_CG_PIDS */
	unsigned int flags;    /* MON_CG_TRUNC */
	char path[MON_CG_PATH];
};

/* clone's CLONE_NEW* bits; clone(2)'s low byte is the exit signal, so
 * CLONE_NEWTIME (0x80) counts only in clone3(2) */
#define MON_CLONE_NEW	    0x7e020000ull
#define MON_CLONE_NEWTIME   0x80ull
#define MON_OPEN_TREE_CLONE 1ull
#define MON_NR_CLONE3	    435 /* clone3(2): the same number on x86_64 and i386 */
#define MON_MOUNT_ATTR_SIZE0                                                                       \
	32 /* MOUNT_ATTR_SIZE_VER0: attr_set, attr_clr, propagation, userns_fd */

/* mon_path.flags */
#define MON_PATH_TRUNC	  1u /* more components than MON_PATH_DEPTH, or the buffer full */
#define MON_PATH_DETACHED 2u /* stopped at a mount root with no parent: not on the tree */
#define MON_PATH_NONE	  4u /* no file (closed fd, no mm) */
#define MON_PATH_RAW	  8u /* buf is the caller's string, as given (one component) */

struct mon_path {
	unsigned short len;    /* bytes used in buf */
	unsigned char ncomp;   /* components stored */
	unsigned char flags;   /* MON_PATH_* */
	unsigned int magic;    /* the file system's superblock magic (TMPFS, OVERLAYFS, ...) */
	unsigned int mode;     /* the inode's mode */
	unsigned int uid, gid; /* the inode's owner */
	unsigned int rdev_major, rdev_minor;
	char buf[MON_PATH_BYTES];
};

/* mon_rec_hdr.flags */
#define MON_R_ARGS_TRUNC 1u /* the arg area was longer than what was read */
#define MON_R_UPPER	 2u /* the exe's overlay inode has an upper dentry */
#define MON_R_NO_ANC	 4u /* the parent chain is longer than MON_ANC_MAX */
#define MON_R_COMPAT	 8u /* a 32-bit (compat) call: i386 numbers, 32-bit arguments */
/* socketcall(2): its argument array could not be read at exit (unmapped by
 * then): the arguments are 0, the fd and the peer unknown */
#define MON_R_ARGS_UNREAD 16u
/* an open whose fd was closed before its exit: the name is the caller's
 * string read at exit, not the opened file's (forgeable) */
#define MON_R_NAME_UNVERIFIED 32u
/* a failed clone/clone3: its flags are the caller's registers or memory at
 * the exit (which it or another task may have changed), not the kernel's */
#define MON_R_ARGS_USER 64u
/*
 * the process's executable (mm->exe_file) is the host's (events_host.h):
 * exec'd from the host (task_exec_host: the host's mount namespace at the
 * host's root, or an engine's, and the host's PID namespace), its file on
 * a mount of the host's mount namespace (host_mntns, the loader's), or on
 * a mount of none (a memfd, a detached bind) that a process whose own
 * executable was the host's exec'd. Read only for the
 * records of exec, mount, umount2, unshare, setns and their other calls
 * (mon_exe_host_wanted); 0 on the others.
 */
#define MON_R_EXE_HOST 128u

struct mon_rec_hdr {
	unsigned short type;	    /* enum bh_mon_type */
	unsigned short flags;	    /* MON_R_* */
	unsigned int size;	    /* of the whole record */
	unsigned long long ts_ns;   /* bpf_ktime_get_boot_ns() */
	unsigned long long cg2_id;  /* bpf_get_current_cgroup_id() */
	unsigned long long pids_id; /* the v1 pids hierarchy's cgroup kernfs id (0: none) */
	long long res;
	unsigned int pid, tid, ppid, sid;
	unsigned int uid, gid, loginuid;
	unsigned int tty_major, tty_minor; /* the controlling terminal; 0 0 = none */
	char comm[MON_COMM];
	unsigned int vpid; /* the process's ID in its own PID namespace (0: unknown) */
};

/* What fds 0..2 are, raw: the inode's mode, a char device's numbers, a socket's family. */
struct mon_fd {
	unsigned int mode;
	unsigned int rdev_major, rdev_minor;
	unsigned short family;
	unsigned short pad;
};

struct mon_anc {
	unsigned int pid;
	char comm[MON_COMM];
};

struct mon_rec_exec {
	unsigned int args_len;	 /* bytes read into args */
	unsigned int args_total; /* the arg area's size */
	struct mon_fd stdio[3];
	unsigned int nanc;
	struct mon_anc anc[MON_ANC_MAX];
	struct mon_path exe;
	struct mon_path cwd;
	/* the parent's exe at this exec (real_parent's mm->exe_file): a parent that
	 * forked and never exec'd is in no exec cache, and may be gone when read */
	struct mon_path pexe;
	char args[MON_ARGS_BYTES];
};

struct mon_rec_sys {
	unsigned long long a[6]; /* the arguments at entry */
	/* open*: the file (from the new fd, else the path the caller gave);
	 * mount/umount2: the target; finit_module: the module file */
	struct mon_path path;
	unsigned int oflags; /* open: the file's f_flags (or the flags asked) */
	unsigned int fmode;  /* open: the file's f_mode */
	/* connect/accept/listen: the socket */
	unsigned short family;
	unsigned char proto;
	unsigned char from_user; /* the address came from the caller's memory */
	unsigned char laddr[16], raddr[16];
	unsigned short lport, rport;		      /* host byte order */
	unsigned long long cap_eff, cap_prm, cap_inh; /* capset: the credentials after */
	char str1[MON_STR_BYTES];		      /* mount source; memfd name */
	char str2[64];				      /* mount fstype */
};

/* A record of type BH_MON_PROCEXIT is the header alone (res: the exit code). */

/* The dispatch table (an array map of MON_NR_MAX bytes): the types by syscall number. */

/*
 * The open filter (map `openf`, one entry) and its names (hash `names`:
 * a component, NUL-padded to MON_FNAME_KEY bytes -> MON_N_* bits), filled
 * by the loader from what the rules need (bh_rules_open_filter): an open's
 * record is made when `all`; when it failed and `failed`; when it opened for
 * writing (FMODE_WRITE, O_CREAT or O_TRUNC) and `writes`; when the file's
 * name is a MON_N_LEAF name; when a directory above it (crossing mounts, up
 * to MON_PATH_DEPTH, stopping at the task's root) is a MON_N_DIR name. A name's length is checked
 * in the bitmaps first (bit L: some name of L bytes), so most opens read no name; then its
 * first 8 bytes against a one-hash bloom filter (leaf_bloom, dir_bloom: bit mon_name_hash(len,
 * word) set for each name), one 8-byte read, so most of the rest end before the whole name is
 * read and looked up in `names`. Both tests are supersets: they never refuse a name of the set.
 */
#define MON_FNAME_KEY	64
#define MON_FNAMES_MAX	256
#define MON_N_LEAF	1u
#define MON_N_DIR	2u
#define MON_BLOOM_WORDS 64 /* 4096 bits: at most 256 names, 1 hash: <= 6.3% false hits */
#define MON_BLOOM_SHIFT 52 /* 64 - log2(4096) */

struct mon_open_filter {
	unsigned char all, failed, writes, pad;
	unsigned int pad2;
	unsigned long long leaf_lens, dir_lens; /* bit L: a name of L bytes */
	unsigned long long leaf_bloom[MON_BLOOM_WORDS], dir_bloom[MON_BLOOM_WORDS];
};

/*
 * The bloom filters' bit of a name of len bytes (1..63) whose first bytes
 * are `w` (its first 8 bytes in memory order, loaded as one native word:
 * the bytes past the name are masked off here, whatever they were).
 */
static inline unsigned int mon_name_hash(unsigned int len, unsigned long long w)
{
	if (len < 8) {
		unsigned char *b = (unsigned char *)&w;

		for (unsigned int i = 0; i < 8; i++)
			if (i >= len)
				b[i] = 0;
	}
	w ^= (unsigned long long)len << 57;
	return (unsigned int)((w * 0x9E3779B97F4A7C15ull) >> MON_BLOOM_SHIFT);
}

static inline int mon_bloom_has(const unsigned long long *bloom, unsigned int h)
{
	return (bloom[(h >> 6) & (MON_BLOOM_WORDS - 1)] >> (h & 63)) & 1;
}

static inline void mon_bloom_add(unsigned long long *bloom, unsigned int h)
{
	bloom[(h >> 6) & (MON_BLOOM_WORDS - 1)] |= 1ull << (h & 63);
}

/* Per-CPU counters, indexes of the array `counters` */
enum mon_counter {
	MON_C_LOST = 0, /* ring buffer full */
	MON_C_STASH,	/* no room to stash a call's arguments */
	MON_C_NOFILE,	/* an open's new fd had no file at its exit (another thread
			 * closed it): its record has the caller's name (MON_PATH_RAW) */
	MON_C_N,
};

#endif
