/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the monitor's event sources (src/monitor/source*.c), prefix
 * mon_. A source is an implementation behind a table of functions;
 * source.c dispatches and keeps what every source shares (ended, counters).
 */
#ifndef BULKHEAD_MONITOR_SOURCE_INTERNAL_H
#define BULKHEAD_MONITOR_SOURCE_INTERNAL_H

#include <stddef.h>

#include "bulkhead/monitor.h"

struct mon_source_ops {
	const char *name; /* "kernel", "replay" */
	/* As bh_mon_source_next; set *ended when nothing more will come. */
	int (*next)(void *impl, struct bh_mon_event *ev, int timeout_ms, bool *ended,
		    struct bh_error **err);
	/* Add the implementation's own counters (lost, truncated, ...) to st. */
	void (*stats)(const void *impl, struct bh_mon_stats *st);
	void (*free)(void *impl);
	/* As bh_mon_source_refine (any thread); NULL: the source cannot. */
	int (*refine)(void *impl, struct bh_mon_container *c, uint64_t ts_ns,
		      uint64_t since_mono_ns);
};

/* Wrap impl (owned from here on, freed with ops->free even on failure). */
struct bh_ctr; /* bulkhead/containers.h */
/* What an event says of the container c of the inventory. The image digest,
 * else the image ID, keys behaviour profiles: the kernel source and the
 * daemon's guard must agree on it, so both fill through here. */
void mon_container_fill(struct bh_mon_container *o, const struct bh_ctr *c);

int mon_source_new(const struct mon_source_ops *ops, void *impl, struct bh_mon_source **out,
		   struct bh_error **err);

/* The longest line of a replay (an event's JSON is far shorter). */
#define MON_REPLAY_LINE_MAX (64u * 1024)

/* A replay from fd (owned from here on); name names it in errors. */
int mon_source_replay_fd(int fd, const char *name, struct bh_mon_source **out,
			 struct bh_error **err);
/* ---- the kernel source's 32-bit calls (source_compat.c) ---- */

/* One entry of the dispatch table `want` (bpf/events.h): slot, type | MON_W_*. */
struct mon_want {
	uint32_t slot;
	uint8_t val;
};
/* The compat part of `want` for the types (BH_MON_TYPE_BIT()s): at most max
 * entries into out, their number returned. */
size_t mon_compat_want(uint64_t types, struct mon_want *out, size_t max);
/* Whether this kernel runs 32-bit calls: 1 yes, 0 no (no IA32 emulation, or
 * it is off: the `int $0x80` gate is missing), -1 unknown (the probe, a
 * child's `int $0x80`, ended otherwise). */
int mon_compat_probe(void);
/* The most entries mon_compat_want gives. */
#define MON_COMPAT_WANT_MAX 40

/* ---- the kernel source's records (source_record.c) ---- */

struct mon_path; /* bpf/events.h */

/* What a record carries besides the event: completed in source_kernel.c. */
struct mon_rec_raw {
	uint64_t ts_boot_ns;	  /* CLOCK_BOOTTIME */
	uint64_t cg2_id, pids_id; /* the task's cgroup2 and v1 pids cgroup ids */
	uint32_t exe_mode;	  /* exec: the exe's inode mode */
	bool truncated;		  /* a field was cut at its bound */
};

/*
 * One ring buffer record (buf, len: bpf/events.h, untrusted) into *ev (the
 * fields the record has; the container and the parent chain's exe are
 * user space's) and *raw. 0, or -1 when the record is malformed.
 */
int mon_record_decode(const void *buf, size_t len, struct bh_mon_event *ev,
		      struct mon_rec_raw *raw);
/* A cgroup made (bpf/events.h MON_T_CGROUP_MKDIR): a note for the attribution. */
#define MON_CG_PATH_MAX 256
struct mon_cgroup_note {
	uint64_t id;		    /* the cgroup's kernfs id */
	bool pids;		    /* in the v1 pids hierarchy (else the cgroup2 one) */
	bool truncated;		    /* path was cut at its bound */
	bool foreign;		    /* made from a container (MON_CG_FOREIGN): not used */
	uint64_t ts_boot_ns;	    /* CLOCK_BOOTTIME of the mkdir */
	char path[MON_CG_PATH_MAX]; /* in its hierarchy: "/system.slice/runc-ID.scope" */
};
/*
 * A ring buffer record (untrusted) that is a cgroup's mkdir into *out: 0;
 * 1 when it is not one (an event's record: mon_record_decode's); -1 when
 * it is one, malformed. mon_record_decode refuses these records.
 */
int mon_record_cgroup(const void *buf, size_t len, struct mon_cgroup_note *out);
/* A walked path (leaf first) into out: 0, 1 when cut, -1 malformed. *memfd (may
 * be NULL): the file is a memfd (out "memfd:NAME"). */
int mon_path_decode(const struct mon_path *p, char *out, size_t outsz, bool *memfd);
/* ---- the kernel source's attribution (source_attr*.c, attr_internal.h) ---- */

struct mon_attr;
struct bh_ctr_opts;
struct mon_attr_opts {
	const struct bh_ctr_opts *copts; /* borrowed for the attribution's life */
	/* serve bulkhead's start rendezvous under rdv_dir (NULL:
	 * BH_GUARD_RDV_DIR), from a thread of its own as the runtimes' state
	 * watch (the consumer need not call anything for them) */
	bool rendezvous;
	const char *rdv_dir;
	/* tests only: no thread, so mon_attr_get's own read of the state watch
	 * is the only one (tests/unit/test_mon_attr.c) */
	bool no_threads;
	/* the least time between a list and the full list a state change asks
	 * for (0: 20 ms; a test's window before that list, made longer) */
	uint64_t watch_floor_ns;
};
int mon_attr_new(const struct mon_attr_opts *o, struct mon_attr **out);
void mon_attr_free(struct mon_attr *a);
/* Tests only: the attribution's lock taken (hold) or let go, as mon_attr_get
 * holds it while it looks a record's ids up. */
void mon_attr_hold(struct mon_attr *a, bool hold);
/*
 * A cgroup made (a record's note): its id and path kept in a bounded table
 * (MON_CGROUPS, the oldest evicted). mon_attr_get, before it calls an id
 * the host, looks its path up there: a component that names a container
 * directory the state watch named recently (its ID, or an engine's scope
 * form: docker-ID.scope, libpod-ID.scope...) gives that container,
 * provisional. Path truncated: kept as cut. Same caller as mon_attr_get.
 * The kernel source does not note a cgroup made from outside the host's PID
 * namespace (MON_CG_FOREIGN: a container's, its name its own choice).
 */
void mon_attr_note_cgroup(struct mon_attr *a, uint64_t id, bool pids, const char *path);
/* The ids attributed through a cgroup's mkdir path so far. */
uint64_t mon_attr_by_mkdir(struct mon_attr *a);
/* The container of a record's cgroup ids into *out (zeroed: the host). exec:
 * the record is an exec that happened at ts_boot (CLOCK_BOOTTIME). One caller
 * at a time (the source's consumer); the attribution's thread runs beside it. */
void mon_attr_get(struct mon_attr *a, uint64_t cg2, uint64_t pids, bool exec, uint64_t ts_boot,
		  struct bh_mon_container *out);
/* c (provisional) of an event at ev_boot (CLOCK_BOOTTIME) named from a full
 * list started after it, as bh_mon_source_refine (since_mono: its wait's
 * start): asks the lists' thread for one (with no thread: lists itself),
 * waits on the installs (the lock let go while it waits). 1 named, 0 not
 * in time. Any thread, beside mon_attr_get's caller. */
int mon_attr_name(struct mon_attr *a, struct bh_mon_container *c, uint64_t ev_boot,
		  uint64_t since_mono);
/* The full lists' counters into st (bh_mon_stats.full_list*). */
void mon_attr_stats(struct mon_attr *a, struct bh_mon_stats *st);

/* ---- the kernel source's exec cache (source_procs.c) ---- */

/* pid -> exe, argv of the processes seen (bounded); one caller at a time. */
struct mon_procs;
/* An empty cache (never NULL); mon_procs_free(NULL) is a no-op. */
struct mon_procs *mon_procs_new(void);
void mon_procs_free(struct mon_procs *c);
/*
 * A decoded event completed from the cache: an exec is cached (its exe and
 * its first whole arguments that fit BH_MON_PARGS_MAX), its parent's argv
 * and its ancestors' exe filled (the parent's exe from the record when it
 * has one); any other event's exe and argv filled, an exit's entry dropped.
 * A pid not cached is read from /proc/PID/exe and /proc/PID/cmdline.
 */
void mon_procs_complete(struct mon_procs *c, struct bh_mon_event *ev);

/* ---- the kernel source's host probes (source_probe.c) ---- */

/*
 * tracefs where the host has not mounted it (a fresh machine, a minimal init):
 * mounted at /sys/kernel/tracing as systemd does at boot. It holds the
 * syscall tracepoints' IDs that attaching needs; without it every watched
 * syscall goes through the generic sys_exit program (run on every call).
 * Failure (a container without the right, no such directory) is that fallback.
 */
void mon_mount_tracefs(void);
/* Whether this kernel has the tracepoint GROUP/EVENT: 1 yes, 0 no, -1 no
 * tracefs with GROUP's events to tell. */
int mon_has_tp(const char *group, const char *event);
/* Whether this kernel has the syscall tracepoint syscalls/sys_exit_NAME: 1 yes,
 * 0 no (the call is not implemented: its SYSCALL_DEFINE made none), -1 no
 * tracefs with syscall events to tell. */
int mon_has_sys_tp(const char *name);
/*
 * The process whose namespaces and root are the host's (events_host.h's
 * host_mntns, host_pidns and host_root_*): PID 1 as this process sees it (a
 * DaemonSet with hostPID sees the host's init, in its own mount namespace
 * or not); where PID 1's cannot be read (a supervisor that lets no one
 * inspect it), kthreadd (PID 2: kernel threads are in the initial
 * namespaces) when PID 2 is kthreadd; 0 when neither can be had: then no
 * executable is the host's. *ino: its mount namespace's inode number,
 * *pidns: its PID namespace's (0 when not read: no exec is the host's).
 */
int mon_host_pid(uint32_t *ino, uint32_t *pidns);
/* The v1 hierarchy that holds pids, as /proc/cgroups numbers it (0: none:
 * pids is cgroup2's, or not built). */
uint32_t mon_pids_hierarchy(void);
/*
 * Process pid's root directory (events_host.h's task_root_host): the id of
 * its mount (statx's STATX_MNT_ID), its inode number, and the mount's
 * superblock's device from pid's mountinfo, as the kernel encodes it
 * (MAJOR << 20 | MINOR; a stat's st_dev is not it on btrfs: a subvolume's).
 * The root must be its mount's root (the mount point "/" in mountinfo,
 * which lists no mount its root cannot reach). 0 when any is not had:
 * then no task is at the host's root.
 */
int mon_host_root_id(int pid, uint64_t *ino, uint32_t *dev, int32_t *mnt);

/* ---- the engine's mount namespace (source_engine.c) ---- */

#include <sys/types.h>

/*
 * The mount namespace of the process listening on the unix socket at path
 * sock, opened (O_RDONLY | O_CLOEXEC, the caller's), when that process is
 * root in the monitor's own user namespace and, where the kernel has
 * SO_PEERPIDFD, still alive after the open (its pid not another process's).
 * Else -1 with *why (static) saying why. *pid: the listener's pid (0: none
 * known).
 */
int mon_engine_mntns_open(const char *sock, pid_t *pid, const char **why);

/* An inode mode (and a char device's numbers, a socket's family) as an fd type. */
enum bh_mon_fdtype mon_fd_type(unsigned mode, unsigned major, unsigned minor, unsigned family);

#endif
