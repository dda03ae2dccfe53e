/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runtime monitor's event model: one plain, fixed-size struct for every
 * kind of event the monitor reports (issue 15). The producer (the eBPF
 * programs and the user-space side that attributes each event to its
 * container) fills it; the consumers (the rule engine, include/bulkhead/
 * rules.h; profiles; the store; outputs) only read it.
 *
 * Ownership, for the whole library:
 *  - `const T *` arguments are borrowed for the duration of the call;
 *  - `T **out` arguments hand a new object to the caller, who releases it with
 *    the matching `_free()` (or `json_decref()` for jansson values);
 *  - a function that takes ownership of an argument says so in its comment;
 *  - every `_free(NULL)` is a no-op.
 *
 * Errors: a function returns 0 (or a non-negative count) on success and a
 * negative value on failure, after storing a `struct bh_error` in `*err` when
 * `err` is not NULL (see include/bulkhead/base.h).
 *
 * Every size is bounded: strings are NUL-terminated arrays of the sizes
 * below, cut at the bound by the producer (which then sets the matching
 * `_truncated` flag where one exists), so an event can be copied, queued and
 * compared without allocation. A field that does not apply to an event's
 * kind is zero / empty.
 */
#ifndef BULKHEAD_MONITOR_H
#define BULKHEAD_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "base.h"

struct bh_ctr_opts; /* include/bulkhead/containers.h */

#define BH_MON_COMM_MAX	     16	  /* the kernel's TASK_COMM_LEN */
#define BH_MON_PATH_MAX	     512  /* exe, cwd, file and mount paths */
#define BH_MON_ARGS_MAX	     1024 /* argv[1..], NUL-separated */
#define BH_MON_PARGS_MAX     256  /* the parent's argv[1..], NUL-separated */
#define BH_MON_ARGC_MAX	     64	  /* arguments kept of argv[1..] */
#define BH_MON_ANCESTORS_MAX 8	  /* parent chain kept: [0] the parent */
#define BH_MON_USER_MAX	     32
#define BH_MON_CID_MAX	     72	 /* a container ID: 64 hex and room */
#define BH_MON_CNAME_MAX     128 /* container, pod and namespace names */
#define BH_MON_IMAGE_MAX     256 /* an image reference */
#define BH_MON_DIGEST_MAX    80	 /* "sha256:" + 64 hex */
#define BH_MON_RUNTIME_MAX   16	 /* "bulkhead", "runc", "crun", "docker", ... */
#define BH_MON_FSTYPE_MAX    32
#define BH_MON_MODULE_MAX    64
#define BH_MON_CALL_MAX	     20 /* "process_vm_writev" and its NUL */

/*
 * What happened: one value per system call (or kernel event) the monitor
 * reports. The name of each (as the rule language's evt.type spells it) is
 * bh_mon_type_name(); the kind groups them.
 */
enum bh_mon_type {
	BH_MON_NONE = 0,
	BH_MON_EXECVE,	 /* a process image replaced (kind EXEC) */
	BH_MON_EXECVEAT, /* (kind EXEC) */
	BH_MON_PROCEXIT, /* a process ended (kind EXIT) */
	BH_MON_OPEN,	 /* open(2) (kind OPEN) */
	BH_MON_OPENAT,
	BH_MON_OPENAT2,
	BH_MON_CONNECT, /* kind NET */
	BH_MON_ACCEPT,
	BH_MON_ACCEPT4,
	BH_MON_LISTEN,
	BH_MON_SETUID, /* kind PRIV: identity */
	BH_MON_SETREUID,
	BH_MON_SETRESUID,
	BH_MON_SETGID,
	BH_MON_SETRESGID,
	BH_MON_CAPSET,
	BH_MON_UNSHARE, /* kind PRIV: namespaces */
	BH_MON_SETNS,
	BH_MON_PTRACE, /* kind PRIV: other processes */
	BH_MON_MOUNT,  /* kind PRIV: file systems */
	BH_MON_UMOUNT2,
	BH_MON_INIT_MODULE, /* kind PRIV: the kernel */
	BH_MON_FINIT_MODULE,
	BH_MON_BPF,
	BH_MON_MEMFD_CREATE, /* an anonymous file (fileless execution's first step) */
	BH_MON_TYPE_COUNT
};

enum bh_mon_kind {
	BH_MON_KIND_NONE = 0,
	BH_MON_KIND_EXEC,
	BH_MON_KIND_EXIT,
	BH_MON_KIND_OPEN,
	BH_MON_KIND_NET,
	BH_MON_KIND_PRIV,
};

/* What an fd of the process refers to (stdin/out/err at exec; the file of an open). */
enum bh_mon_fdtype {
	BH_MON_FD_NONE = 0, /* closed or unknown */
	BH_MON_FD_FILE,
	BH_MON_FD_DIR,
	BH_MON_FD_PIPE,
	BH_MON_FD_TTY, /* a terminal (a tty or a pty) */
	BH_MON_FD_IPV4,
	BH_MON_FD_IPV6,
	BH_MON_FD_UNIX,
	BH_MON_FD_MEMFD,
	BH_MON_FD_OTHER, /* eventfd, signalfd, ... */
};

/* One process of the parent chain (for proc.pname, proc.aname[N]). */
struct bh_mon_ancestor {
	uint32_t pid;
	char comm[BH_MON_COMM_MAX];
	char exe[BH_MON_PATH_MAX];
};

/* The process that made the event. */
struct bh_mon_proc {
	uint32_t pid, tid, ppid, sid;
	uint32_t vpid;		     /* pid in its own PID namespace; 0 = unknown */
	uint32_t uid, gid;	     /* effective, after the event (setuid: the new one) */
	uint32_t loginuid;	     /* (uint32_t)-1 when unset, as the kernel keeps it */
	uint32_t tty;		     /* controlling terminal's device number; 0 = none */
	char user[BH_MON_USER_MAX];  /* the name of uid when known, else "" */
	char group[BH_MON_USER_MAX]; /* the name of gid when known, else "" */
	char comm[BH_MON_COMM_MAX];
	char exe[BH_MON_PATH_MAX]; /* the executable's path (memfd:NAME for a memfd) */
	char cwd[BH_MON_PATH_MAX];
	/* argv[1..]: argc strings, each NUL-terminated, args_len bytes in all */
	char args[BH_MON_ARGS_MAX];
	uint16_t args_len;
	uint16_t argc;
	bool args_truncated;
	/* Where the executable came from: written in the container's upper
	 * layer after it started (not from the image), an anonymous memory file,
	 * or writable by the process's user. */
	bool exe_upper_layer;
	bool exe_from_memfd;
	bool exe_writable;
	/* The executable is the host's (read in the kernel, not claimed):
	 * exec'd from the host (its mount namespace at its root, or an
	 * engine's, and its PID namespace) with its file on a mount of the
	 * host's mount namespace, or a memfd/detached file so exec'd by a
	 * process running the host's executable (a runtime's copy of
	 * itself). Read for exec, mount, umount2, unshare and setns
	 * events only (and their other calls); false on the others, and when
	 * missing from a replayed event. */
	bool exe_from_host;
	/* The event's call was a 32-bit (compat) one: `int $0x80`, a 32-bit
	 * program (its arguments were 32-bit values, its numbers i386's) */
	bool compat;
	enum bh_mon_fdtype stdio[3]; /* fds 0, 1, 2 at the event */
	/* The parent chain, nearest first; pargs is the parent's argv[1..]. */
	struct bh_mon_ancestor ancestors[BH_MON_ANCESTORS_MAX];
	uint8_t nancestors;
	char pargs[BH_MON_PARGS_MAX];
	uint16_t pargs_len;
	uint16_t pargc;
};

/* The container the process runs in; id "" when it runs on the host. */
struct bh_mon_container {
	char id[BH_MON_CID_MAX];
	char name[BH_MON_CNAME_MAX];
	char image[BH_MON_IMAGE_MAX]; /* as the engine names it: "nginx:1.25" */
	char image_digest[BH_MON_DIGEST_MAX];
	char pod[BH_MON_CNAME_MAX]; /* Kubernetes pod and namespace, when known */
	char pod_namespace[BH_MON_CNAME_MAX];
	char runtime[BH_MON_RUNTIME_MAX];
	/* found by a quick read of its runtime's state at its start, before a
	 * full list gave the engine's names: an engine's (podman, dockerd,
	 * containerd, CRI-O) container named by its ID, no image, no pod
	 * (bh_mon_source_refine names it later) */
	bool provisional;
};

/* The file of an open (also: the target directory of a mount, a socket's path). */
struct bh_mon_file {
	char path[BH_MON_PATH_MAX];
	uint32_t flags; /* open(2) flags: O_RDONLY, O_WRONLY|O_CREAT, ... */
	uint32_t mode;
	int32_t fd; /* the fd number the call returned or used; -1 when none */
	enum bh_mon_fdtype type;
	/* an open whose fd another thread closed before its exit: path is the
	 * string the caller passed, read at exit (forgeable), not the file's */
	bool name_unverified;
};

/* The socket of connect, accept, listen. Addresses in network byte order;
 * an IPv4 address occupies the first 4 bytes. */
struct bh_mon_net {
	uint16_t family; /* AF_INET, AF_INET6, AF_UNIX */
	uint8_t proto;	 /* IPPROTO_TCP, IPPROTO_UDP, 0 */
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport; /* host byte order */
};

/* The arguments of the privilege-changing calls. */
struct bh_mon_args {
	uint32_t uid, gid; /* setuid family: the requested id */
	uint64_t cap_effective, cap_permitted, cap_inheritable; /* capset */
	/* unshare/setns: CLONE_NEW*; mount: MS_* (mount_setattr: its propagation,
	 * MS_SHARED...); memfd_create: MFD_* */
	uint64_t flags;
	/* mount_setattr: the MOUNT_ATTR_* bits set and cleared (flags_unverified:
	 * the caller's struct at exit; unreadable: it could not be read) */
	uint64_t attr_set, attr_clr;
	int64_t request;		/* ptrace request */
	int32_t target_pid;		/* ptrace and setns: the other process */
	uint32_t bpf_cmd;		/* bpf: BPF_PROG_LOAD, ... */
	char source[BH_MON_PATH_MAX];	/* mount source; memfd_create name */
	char fstype[BH_MON_FSTYPE_MAX]; /* mount */
	char module[BH_MON_MODULE_MAX]; /* init_module/finit_module: the name */
	/* The system call when it is not the type's own ("" when it is):
	 * unshare: clone, clone3 (flags: their CLONE_NEW* bits); mount:
	 * move_mount, fsmount, open_tree (OPEN_TREE_CLONE), mount_setattr
	 * (attr_set, attr_clr), fspick (file.path the mount picked, fstype
	 * and source its superblock's type and device); ptrace:
	 * process_vm_readv, process_vm_writev (target_pid; request 0) */
	char call[BH_MON_CALL_MAX];
	/* i386 socketcall(2): the call's argument array could not be read at
	 * exit: fd, address (connect) unknown; the call's type still right;
	 * clone3(2): its struct clone_args could not be read at exit;
	 * mount_setattr(2): its struct mount_attr (attr_set, attr_clr 0) */
	bool unreadable;
	/* a failed clone/clone3 (an attempt): flags are what the caller's
	 * registers or memory held at the call's exit (it or another task may
	 * have changed them), not the kernel's; a clone that made a task has
	 * the kernel's flags and this false; mount_setattr: always (its
	 * attributes are the caller's memory at exit) */
	bool flags_unverified;
};

struct bh_mon_event {
	enum bh_mon_type type;
	uint64_t ts_ns; /* CLOCK_REALTIME, nanoseconds */
	int64_t res;	/* the call's result: >= 0, or -errno */
	struct bh_mon_proc proc;
	struct bh_mon_container container;
	struct bh_mon_file file;
	struct bh_mon_net net;
	struct bh_mon_args args;
};

/* The kind of a type; BH_MON_KIND_NONE for an out-of-range value. */
enum bh_mon_kind bh_mon_type_kind(enum bh_mon_type t);
/* "execve", "openat", ...; NULL for an out-of-range value. */
const char *bh_mon_type_name(enum bh_mon_type t);
/* The type of a name; BH_MON_NONE when unknown. */
enum bh_mon_type bh_mon_type_parse(const char *name);

/* ---- sources: where events come from ------------------------------------ */

/*
 * A source hands out events one at a time, in the order it got them, to one
 * reader (the pipeline's producer thread). Two kinds:
 *  - the kernel (bh_mon_source_kernel): eBPF programs on the scheduler's
 *    process tracepoints and, only for the types asked for, on sys_enter/
 *    sys_exit with the dispatch done in BPF; events reach user space through
 *    a ring buffer, are completed there (paths, the parent chain, the user's
 *    name) and attributed to their container (include/bulkhead/containers.h,
 *    by cgroup id, re-reading the inventory when an id is new);
 *  - a replay (bh_mon_source_replay): JSON lines as bh_mon_event_to_json
 *    writes them, for tests, for rules tried on recorded events, and for
 *    events moved between hosts.
 */
struct bh_mon_source;

/* Counters of a source, from its start. */
struct bh_mon_stats {
	uint64_t events;       /* events handed out */
	uint64_t lost;	       /* events the kernel could not queue (ring full), all CPUs */
	uint64_t open_nofile;  /* kernel: opens whose fd another thread closed before
				* the record was made: sent with the caller's name */
	uint64_t truncated;    /* events with a field cut at its bound */
	uint64_t unattributed; /* events of a cgroup that matched no container (host) */
	uint64_t invalid;      /* replay: lines refused (each also fails its next call) */
	/* kernel: BH_MON_TYPE_BIT()s of the asked types this kernel does not
	 * implement (no tracepoint: the call is ENOSYS, nothing to watch), and
	 * of those served by the generic tp_btf/sys_exit program */
	uint64_t unwatched_types, generic_types;
	/* kernel: the full lists of the containers made (the engines' sockets
	 * asked), their total and longest duration in ns */
	uint64_t full_lists, full_list_ns, full_list_max_ns;
	/* kernel: what becomes of 32-bit (compat) calls (enum bh_mon_compat_state) */
	uint8_t compat;
	/* kernel: cgroups made that were noted (tp_btf/cgroup_mkdir; none where
	 * the kernel lacks it), and cgroup ids attributed through such a path */
	uint64_t cgroups_made, by_mkdir;
};

/* What the kernel source does with 32-bit (compat) system calls. */
enum bh_mon_compat_state {
	BH_MON_COMPAT_NA = 0,	 /* no source of system calls (a replay, exec types only) */
	BH_MON_COMPAT_WATCHED,	 /* watched, as the 64-bit calls of the same types */
	BH_MON_COMPAT_UNWATCHED, /* this kernel runs them and they are not watched */
	BH_MON_COMPAT_NONE,	 /* this kernel runs none (no IA32 emulation, or it is off) */
};
/* "watched", "unwatched", "none", "n/a" */
const char *bh_mon_compat_state_name(enum bh_mon_compat_state s);

/* bh_mon_kernel_opts.compat */
enum bh_mon_compat {
	BH_MON_COMPAT_AUTO = 0, /* watched where the kernel runs 32-bit calls */
	BH_MON_COMPAT_ON,	/* watched (the program attached even where none can run) */
	BH_MON_COMPAT_OFF,	/* not watched */
};

/* The bit of a type in a type mask. */
#define BH_MON_TYPE_BIT(t) (UINT64_C(1) << (t))

/*
 * The opens that make an event (the kernel decides before it reads a path):
 * every open (`all`); failed opens (`failed`); opens for writing (O_WRONLY,
 * O_RDWR, O_CREAT, O_TRUNC: `writes`); a file whose name is one of `leaves`;
 * a file below a directory named one of `dirs` (at any depth below the
 * task's root, crossing mounts, up to 32 levels). Names are single components (no '/'), at most
 * 63 bytes, at most 256 in all: more, or a longer one, means `all`.
 */
struct bh_mon_open_filter {
	bool all, failed, writes;
	struct bh_strvec leaves, dirs;
};

void bh_mon_open_filter_release(struct bh_mon_open_filter *f);
/* Whether f lets the open ev through: the kernel's decision (events.bpf.c's
 * open_wanted) made on the event's path and flags, for tests and fuzzing.
 * An event of another kind: true. */
bool bh_mon_open_filter_admits(const struct bh_mon_open_filter *f, const struct bh_mon_event *ev);

struct bh_mon_kernel_opts {
	/* How to find the containers events are attributed to; NULL = the
	 * defaults of bh_ctr_list (this host, every engine). Borrowed for the
	 * life of the source (stopped containers are always listed). */
	const struct bh_ctr_opts *containers;
	/* The types wanted, as BH_MON_TYPE_BIT()s. EXECVE, EXECVEAT and
	 * PROCEXIT come from the scheduler's tracepoints and cost the host
	 * nothing measurable. Each other type attaches one BPF program to its
	 * own call's exit tracepoint (syscalls/sys_exit_NAME): the host's other
	 * calls run no BPF (while any syscall tracepoint is enabled every call
	 * takes the kernel's traced path: a few ns). Where a type's tracepoint
	 * cannot be attached the generic tp_btf/sys_exit program is (every call
	 * on the host runs it: +10-18% per call on a 6.18 VM); a call this
	 * kernel does not implement (no tracepoint: ENOSYS, e.g. init_module
	 * without module support) is not watched (bh_mon_stats.unwatched_types). 0 = exec and
	 * exit only. A call a seccomp filter refuses with an errno is seen
	 * (res -EPERM...). 32-bit (compat) calls of these types: see compat. */
	uint64_t types;
	/* 32-bit (compat) calls, whose per-call tracepoints never fire: one
	 * more program on tp_btf/sys_exit that every call on the host runs
	 * (a 64-bit call returns at its first test; the i386 numbers of the
	 * types asked make the same events, proc.compat set). AUTO attaches it
	 * where the kernel runs 32-bit calls (a probe: `int $0x80` in a child),
	 * ON always, OFF never (bh_mon_stats.compat says which). */
	enum bh_mon_compat compat;
	/* Which opens make an event, a necessary condition of the rules'
	 * (bh_rules_open_filter); NULL = every open. Borrowed for the call. */
	const struct bh_mon_open_filter *open_filter;
	/* Serve every syscall type through the generic tp_btf/sys_exit program
	 * (the fallback; for tests and a kernel whose syscall tracepoints
	 * cannot be used). */
	bool generic;
	/* The ring buffer's size in bytes (a power of 2 of at least a page);
	 * 0 = 8 MiB. */
	size_t ring_bytes;
	/* Only events of containers (no host processes). */
	bool containers_only;
	/* Serve the start rendezvous (bulkhead/guard.h) as a guard does:
	 * bulkhead's start waits until the source has listed the container,
	 * so its events stay attributed even when it is deleted before they
	 * are read. For the daemon; the caller must read the source steadily. */
	bool rendezvous;
	/* For tests only: leave tp_btf/sched_prepare_exec unattached as on a
	 * kernel before 6.10, so the runtime identity of a memfd or detached
	 * executable comes from execve's entry (its fallback). */
	bool no_prepare_exec;
};

/* Load and attach the programs (needs CAP_BPF/CAP_SYS_ADMIN and BTF; else
 * BH_ERR_UNSUPPORTED saying why) and list the containers running now. */
int bh_mon_source_kernel(const struct bh_mon_kernel_opts *o, struct bh_mon_source **out,
			 struct bh_error **err);
/* Events from a JSON lines file ("-" = stdin), as bh_mon_event_to_json wrote them. */
int bh_mon_source_replay(const char *path, struct bh_mon_source **out, struct bh_error **err);
/*
 * The next event into *ev: 1 when one was stored, 0 when none came within
 * timeout_ms (-1 = wait without end; with a timeout, a signal that
 * interrupts the wait ends it too) or the source has ended (see
 * bh_mon_source_ended), <0 on an error (a replay line that is not an event:
 * its line number and what was wrong; the next call goes on after it).
 */
int bh_mon_source_next(struct bh_mon_source *s, struct bh_mon_event *ev, int timeout_ms,
		       struct bh_error **err);
/* True once a source has nothing more to give (a replay's end). */
bool bh_mon_source_ended(const struct bh_mon_source *s);
void bh_mon_source_stats(const struct bh_mon_source *s, struct bh_mon_stats *st);
/* Whether s can name a provisional container (bh_mon_source_refine): the kernel's. */
bool bh_mon_source_can_refine(const struct bh_mon_source *s);
/*
 * c, provisional, of an event at ts_ns (CLOCK_REALTIME), named from a full
 * list of the containers started after the event (or the grace list's entry
 * of such a list, when it is gone since): one is asked for now (past the
 * state watch's floor, at most one such list per 100 ms), and waited for
 * until since_mono_ns (CLOCK_MONOTONIC: when the caller's wait began) +
 * twice the last list's duration + 1 s, at most + 3 s. 1 when c was replaced by the
 * full list's (provisional cleared), 0 when none came in time (c as it
 * was). Any thread, beside the reader (never holds the source's locks while
 * it waits); a source that cannot (a replay): 0 at once.
 */
int bh_mon_source_refine(struct bh_mon_source *s, struct bh_mon_container *c, uint64_t ts_ns,
			 uint64_t since_mono_ns);
void bh_mon_source_free(struct bh_mon_source *s);

/* ---- events as JSON -------------------------------------------------------- */

/*
 * One event as a JSON object, the shape of every output (JSON lines, the
 * webhook, the database): {"time", "type", "kind", "res", "proc": {...},
 * "container": {...}, and "file", "net" or "args" for the kinds that have
 * them}, empty fields left out. from_json reads that shape back strictly
 * (unknown members and over-long strings refused, naming the member).
 */
int bh_mon_event_to_json(const struct bh_mon_event *ev, json_t **out, struct bh_error **err);
int bh_mon_event_from_json(const json_t *j, struct bh_mon_event *ev, struct bh_error **err);

#endif
