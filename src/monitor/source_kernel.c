// SPDX-License-Identifier: Apache-2.0
/*
 * The kernel event source (bh_mon_source_kernel): loads bpf/events.bpf.c
 * through its skeleton (libbpf loaded on first use), attaches
 * sched_process_exec and sched_process_exit always and, per syscall type
 * asked, that call's own syscalls/sys_exit_NAME tracepoint (no BPF on any
 * other call; the generic tp_btf/sys_exit with the dispatch table `want`
 * only where those cannot be used), fills the open filter (maps `openf` and
 * `names`: which opens make a record, decided in the kernel before a path
 * walk), and hands out the ring buffer's records one at
 * a time, decoded (source_record.c), completed and attributed:
 *
 *  - time: the kernel's CLOCK_BOOTTIME stamp moved to CLOCK_REALTIME by the
 *    offset between the two clocks read at the batch;
 *  - the process's exe and argv for non-exec events, the parent's argv and
 *    the ancestors' exe (the parent's from the record: the kernel's at the
 *    exec, a parent that forked and never exec'd is in no cache and may be
 *    gone): from the exec cache (source_procs.c: pid -> exe, argv,
 *    bounded; /proc for a process that exec'd before the source started);
 *  - a clone(2)/clone3(2) that made a task in new namespaces: the unshare
 *    type's, from tp_btf/task_newtask (the kernel's flags; the calls' exit
 *    programs report only the failed ones);
 *  - 32-bit (compat) calls (o->compat): the i386 numbers of the asked
 *    types in the compat part of `want` (source_compat.c), served by
 *    mon_sys_exit32 (or the generic program where that one is attached);
 *  - the container: by the record's cgroup ids, through the attribution
 *    (source_attr.c: a cached container list, the containers learned at their
 *    start, a grace list of those gone).
 * The loader's probes of the host (tracefs and its tracepoints, the host's
 * namespaces and root, the pids hierarchy) are source_probe.c's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lazy/bpf.h" /* before the skeleton: its calls go through the lazy pointers */
#include "monitor/events.skel.h"

#include "bulkhead/base.h"
#include "bulkhead/containers.h"
#include "monitor/bpf/events.h"
#include "source_internal.h"
#include "monitor/users.h"
#include "banned.h"

#define MON_QUEUE	 64 /* decoded events held between two consumes */
#define MON_DEFAULT_RING (8u << 20)
/* user space is woken once this much is waiting in the ring (or a quarter of a
 * smaller ring), else reads it every MON_POLL_MS: an event is seen at most
 * that late */
#define MON_WAKE_BYTES (64u << 10)
#define MON_POLL_MS    10
/* after this many empty reads in a row (100 ms idle) the reader sleeps until
 * the next record wakes it (reader_asleep in the BPF object) */
#define MON_IDLE_POLLS 10

struct mon_kernel {
	struct mon_events *sk;
	/* exit, exec, prepare_exec, memfd_host, 2 exec_enter, generic, 32-bit,
	 * newtask, one per type */
	struct bpf_link *links[9 + 32];
	struct bpf_link *mkdir_link; /* tp_btf/cgroup_mkdir (optional) */
	struct ring_buffer *rb;
	int epfd;
	unsigned idle_polls; /* empty reads in a row */
	bool asleep;	     /* reader_asleep set: the next record wakes the reader */
	const struct bh_ctr_opts *copts;
	/* the engine's API socket's peer's mount namespace, the host's too
	 * (host_ns): its inode number, an fd pinning it (-1: none), when last probed */
	uint32_t engine_ns;
	int engine_nsfd;
	uint64_t engine_probe_ns;
	/* the last refusal debug-logged: its reason (static) and listener */
	const char *engine_why;
	pid_t engine_why_pid;
	bool containers_only;
	int ncpu;
	/* decoded, completed events waiting */
	struct bh_mon_event *q;
	size_t qhead, qlen;
	int64_t boot_to_real;
	uint64_t truncated, unattributed, malformed;
	uint64_t cgroups_made;	     /* notes of tp_btf/cgroup_mkdir handed to the attribution */
	uint64_t unwatched, generic; /* type masks */
	uint8_t compat;		     /* enum bh_mon_compat_state */
	struct mon_attr *at;
	struct mon_procs *procs; /* the exec cache (source_procs.c) */
};

/* The syscall numbers (x86_64) of each type sys_enter/sys_exit serve. */
#define PROG(name) offsetof(struct mon_events, progs.mon_x_##name), 0
/* another call's way to a type: its program and its record type (events.h) */
#define PROG_EXTRA(name, rec) offsetof(struct mon_events, progs.mon_x_##name), rec

/* The syscall numbers (x86_64) of each type and the name of its tracepoint
 * (syscalls/sys_exit_NAME, the program mon_x_NAME). */
static const struct {
	enum bh_mon_type t;
	int nr;
	const char *tp;
	size_t prog; /* offsetof the skeleton's program pointer */
	/* 0: the record is of type t; else another way to t (events.h
	 * MON_T_CLONE...): its record type, and a kernel without the call
	 * leaves t watched */
	uint8_t rec;
} sys_types[] = {
	{ BH_MON_OPEN, SYS_open, "open", PROG(open) },
	{ BH_MON_OPENAT, SYS_openat, "openat", PROG(openat) },
	{ BH_MON_OPENAT2, SYS_openat2, "openat2", PROG(openat2) },
	{ BH_MON_CONNECT, SYS_connect, "connect", PROG(connect) },
	{ BH_MON_ACCEPT, SYS_accept, "accept", PROG(accept) },
	{ BH_MON_ACCEPT4, SYS_accept4, "accept4", PROG(accept4) },
	{ BH_MON_LISTEN, SYS_listen, "listen", PROG(listen) },
	{ BH_MON_SETUID, SYS_setuid, "setuid", PROG(setuid) },
	{ BH_MON_SETREUID, SYS_setreuid, "setreuid", PROG(setreuid) },
	{ BH_MON_SETRESUID, SYS_setresuid, "setresuid", PROG(setresuid) },
	{ BH_MON_SETGID, SYS_setgid, "setgid", PROG(setgid) },
	{ BH_MON_SETRESGID, SYS_setresgid, "setresgid", PROG(setresgid) },
	{ BH_MON_CAPSET, SYS_capset, "capset", PROG(capset) },
	{ BH_MON_UNSHARE, SYS_unshare, "unshare", PROG(unshare) },
	{ BH_MON_SETNS, SYS_setns, "setns", PROG(setns) },
	{ BH_MON_PTRACE, SYS_ptrace, "ptrace", PROG(ptrace) },
	{ BH_MON_MOUNT, SYS_mount, "mount", PROG(mount) },
	{ BH_MON_UMOUNT2, SYS_umount2, "umount", PROG(umount) },
	{ BH_MON_INIT_MODULE, SYS_init_module, "init_module", PROG(init_module) },
	{ BH_MON_FINIT_MODULE, SYS_finit_module, "finit_module", PROG(finit_module) },
	{ BH_MON_BPF, SYS_bpf, "bpf", PROG(bpf) },
	{ BH_MON_MEMFD_CREATE, SYS_memfd_create, "memfd_create", PROG(memfd_create) },
	{ BH_MON_UNSHARE, SYS_clone, "clone", PROG_EXTRA(clone, MON_T_CLONE) },
	{ BH_MON_UNSHARE, SYS_clone3, "clone3", PROG_EXTRA(clone3, MON_T_CLONE3) },
	{ BH_MON_MOUNT, SYS_move_mount, "move_mount", PROG_EXTRA(move_mount, MON_T_MOVE_MOUNT) },
	{ BH_MON_MOUNT, SYS_fsmount, "fsmount", PROG_EXTRA(fsmount, MON_T_FSMOUNT) },
	{ BH_MON_MOUNT, SYS_open_tree, "open_tree", PROG_EXTRA(open_tree, MON_T_OPEN_TREE) },
	{ BH_MON_MOUNT, SYS_mount_setattr, "mount_setattr",
	  PROG_EXTRA(mount_setattr, MON_T_MOUNT_SETATTR) },
	{ BH_MON_MOUNT, SYS_fspick, "fspick", PROG_EXTRA(fspick, MON_T_FSPICK) },
	{ BH_MON_PTRACE, SYS_process_vm_readv, "process_vm_readv",
	  PROG_EXTRA(process_vm_readv, MON_T_PROCESS_VM_READV) },
	{ BH_MON_PTRACE, SYS_process_vm_writev, "process_vm_writev",
	  PROG_EXTRA(process_vm_writev, MON_T_PROCESS_VM_WRITEV) },
};
#define NSYS_TYPES (sizeof(sys_types) / sizeof(sys_types[0]))
_Static_assert(NSYS_TYPES <= 32, "a link per type: mon_kernel.links has room for 32");

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- records --------------------------------------------------------------------- */

/* ring_buffer__consume's callback: one record decoded into the queue; < 0 stops
 * the consume when the queue is full (this record is kept: libbpf counts it read). */
static int on_record(void *ctx, void *data, size_t len)
{
	struct mon_kernel *k = ctx;
	struct bh_mon_event *ev;
	struct mon_rec_raw raw;

	struct mon_cgroup_note cn;
	int r;

	if (k->qlen >= MON_QUEUE)
		return -ENOSPC; /* cannot happen: consume stops at the full queue */
	/* a cgroup made: a note for the attribution, no event */
	if ((r = mon_record_cgroup(data, len, &cn)) <= 0) {
		if (r < 0)
			k->malformed++;
		else if (cn.foreign) {
			/* made from a container: its name is the container's
			 * choice, and may be another container's ID */
			k->cgroups_made++;
			bh_debug("monitor: cgroup %llu (%s) %s made from outside the host's PID "
				 "namespace: not used for the attribution",
				 (unsigned long long)cn.id, cn.pids ? "pids" : "cgroup2", cn.path);
		} else {
			k->cgroups_made++;
			mon_attr_note_cgroup(k->at, cn.id, cn.pids, cn.path);
		}
		return 0;
	}
	ev = &k->q[(k->qhead + k->qlen) % MON_QUEUE];
	if (mon_record_decode(data, len, ev, &raw) < 0) {
		k->malformed++;
		return 0;
	}
	ev->ts_ns = (uint64_t)((int64_t)raw.ts_boot_ns + k->boot_to_real);
	mon_procs_complete(k->procs, ev);
	mon_attr_get(k->at, raw.cg2_id, raw.pids_id, bh_mon_type_kind(ev->type) == BH_MON_KIND_EXEC,
		     raw.ts_boot_ns, &ev->container);
	if (!ev->container.id[0]) {
		k->unattributed++;
		if (k->containers_only)
			return 0;
	}
	if (raw.truncated)
		k->truncated++;
	k->qlen++;
	return k->qlen >= MON_QUEUE ? -ENOSPC : 0;
}

/* how often the engine's socket is asked again who serves it (a restarted engine) */
#define MON_ENGINE_PROBE_NS (2ULL * 1000000000ULL)

/*
 * The mount namespace of the Docker engine the containers' options name
 * (docker_socket; NULL = /var/run/docker.sock, "" = none): the process
 * listening on its socket (source_engine.c: root in the monitor's own user
 * namespace, alive when its namespace was opened) -> /proc/PID/ns/mnt.
 * When it is not the host's own, it is listed in host_ns so a runtime that
 * engine runs from its namespace's mounts is the host's (a private dockerd,
 * snap's, a unit with PrivateTmp=). Its fd is kept open: the namespace, so
 * its inode number, cannot be freed and reused by a container's while
 * listed. One at a time: a new one replaces the last. Errors leave things
 * as they were (more alerts, never fewer); a refusal is debug-logged once
 * per listener and reason.
 */
static void engine_ns_probe(struct mon_kernel *k)
{
	const char *sock = k->copts && k->copts->docker_socket ? k->copts->docker_socket
							       : "/var/run/docker.sock";
	const char *why = NULL;
	uint32_t ino;
	uint8_t one = 1;
	struct stat st;
	pid_t pid;
	int fd, map;

	k->engine_probe_ns = now_ns(CLOCK_MONOTONIC);
	if (!*sock || !k->sk->rodata->host_mntns)
		return;
	fd = mon_engine_mntns_open(sock, &pid, &why);
	if (fd < 0) {
		if (why != k->engine_why || pid != k->engine_why_pid) {
			if (pid)
				bh_debug("monitor: %s's listener (pid %d) is not taken as the "
					 "engine: %s",
					 sock, (int)pid, why);
			else
				bh_debug("monitor: %s: no engine's listener: %s", sock, why);
		}
		k->engine_why = why;
		k->engine_why_pid = pid;
		return;
	}
	k->engine_why = NULL;
	ino = fstat(fd, &st) == 0 ? (uint32_t)st.st_ino : 0;
	map = bpf_map__fd(k->sk->maps.host_ns);
	if (!ino || ino == k->engine_ns || ino == k->sk->rodata->host_mntns ||
	    bpf_map_update_elem(map, &ino, &one, BPF_ANY) < 0) {
		close(fd);
		return;
	}
	if (k->engine_nsfd >= 0) {
		bpf_map_delete_elem(map, &k->engine_ns);
		close(k->engine_nsfd);
	}
	bh_debug("monitor: the mount namespace %u of %s's engine (pid %d) is the host's too", ino,
		 sock, (int)pid);
	k->engine_ns = ino;
	k->engine_nsfd = fd;
}

static int kernel_next(void *impl, struct bh_mon_event *ev, int timeout_ms, bool *ended,
		       struct bh_error **err)
{
	struct mon_kernel *k = impl;
	uint64_t deadline =
		timeout_ms >= 0 ? now_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 1000000ULL : 0;

	if (now_ns(CLOCK_MONOTONIC) - k->engine_probe_ns >= MON_ENGINE_PROBE_NS)
		engine_ns_probe(k);
	for (;;) {
		struct epoll_event pe;
		int r, wait;

		if (k->qlen) {
			*ev = k->q[k->qhead];
			k->qhead = (k->qhead + 1) % MON_QUEUE;
			k->qlen--;
			return 1;
		}
		k->boot_to_real = (int64_t)(now_ns(CLOCK_REALTIME) - now_ns(CLOCK_BOOTTIME));
		r = ring_buffer__consume(k->rb);
		if (r < 0 && r != -ENOSPC)
			return bh_error_sys(err, -r, "reading the monitor's ring buffer");
		if (r > 0 || k->qlen) {
			/* records read (kept or filtered out): not idle; the record
			 * that woke a sleeping reader cleared its flag */
			k->idle_polls = 0;
			k->asleep = false;
		}
		if (k->qlen)
			continue;
		wait = MON_POLL_MS;
		if (k->idle_polls >= MON_IDLE_POLLS && k->sk->bss) {
			if (!k->asleep) {
				__atomic_store_n(&k->sk->bss->reader_asleep, 1, __ATOMIC_SEQ_CST);
				k->asleep = true;
				continue; /* a record made before the flag was seen woke no one */
			}
			wait = -1;
		}
		if (timeout_ms >= 0) {
			uint64_t now = now_ns(CLOCK_MONOTONIC), left;

			if (now >= deadline)
				return 0;
			left = (deadline - now + 999999) / 1000000;
			if (wait < 0 || left < (uint64_t)wait)
				wait = (int)left;
		}
		r = epoll_wait(k->epfd, &pe, 1, wait);
		if (r < 0 && errno == EINTR && timeout_ms >= 0)
			return 0; /* a signal: the caller looks at its flags */
		if (r < 0 && errno != EINTR)
			return bh_error_sys(err, errno, "waiting for the monitor's ring buffer");
		if (r == 0 && wait == MON_POLL_MS && !k->asleep)
			k->idle_polls++;
	}
}

static void kernel_stats(const void *impl, struct bh_mon_stats *st)
{
	const struct mon_kernel *k = impl;
	uint64_t *per;
	uint32_t key = MON_C_LOST;

	st->truncated += k->truncated;
	st->unattributed += k->unattributed;
	st->cgroups_made += k->cgroups_made;
	if (k->at)
		st->by_mkdir += mon_attr_by_mkdir(k->at);
	st->invalid += k->malformed;
	st->unwatched_types |= k->unwatched;
	st->generic_types |= k->generic;
	if (k->compat)
		st->compat = k->compat;
	if (k->at)
		mon_attr_stats(k->at, st);
	if (!k->sk || k->ncpu <= 0)
		return;
	per = calloc((size_t)k->ncpu, sizeof(*per));
	if (!per)
		return;
	for (key = 0; key < MON_C_N; key++) {
		if (bpf_map_lookup_elem(bpf_map__fd(k->sk->maps.counters), &key, per) < 0)
			continue;
		for (int c = 0; c < k->ncpu; c++) {
			if (key == MON_C_NOFILE)
				st->open_nofile += per[c]; /* sent, with the caller's name */
			else
				st->lost += per[c]; /* a full ring, or no room to stash a call */
		}
	}
	free(per);
}

static void kernel_free(void *impl)
{
	struct mon_kernel *k = impl;

	if (!k)
		return;
	if (k->rb)
		ring_buffer__free(k->rb);
	for (size_t i = 0; i < sizeof(k->links) / sizeof(k->links[0]); i++)
		if (k->links[i])
			bpf_link__destroy(k->links[i]);
	if (k->mkdir_link)
		bpf_link__destroy(k->mkdir_link);
	if (k->sk)
		mon_events__destroy(k->sk);
	mon_attr_free(k->at);
	if (k->engine_nsfd >= 0)
		close(k->engine_nsfd);
	free(k->q);
	mon_procs_free(k->procs);
	free(k);
}

/* The event's time (CLOCK_REALTIME) as CLOCK_BOOTTIME, for the attribution's
 * lists (a clock step between them moves it; the wait stays bounded). */
static int kernel_refine(void *impl, struct bh_mon_container *c, uint64_t ts_ns,
			 uint64_t since_mono_ns)
{
	struct mon_kernel *k = impl;
	struct timespec rt, bt;
	uint64_t rt_ns, bt_ns;

	if (!k->at)
		return 0;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	rt_ns = (uint64_t)rt.tv_sec * 1000000000ULL + (uint64_t)rt.tv_nsec;
	bt_ns = (uint64_t)bt.tv_sec * 1000000000ULL + (uint64_t)bt.tv_nsec;
	/* an event from the future (a clock step): now */
	if (ts_ns > rt_ns)
		ts_ns = rt_ns;
	return mon_attr_name(k->at, c, rt_ns - ts_ns < bt_ns ? bt_ns - (rt_ns - ts_ns) : 0,
			     since_mono_ns);
}

static const struct mon_source_ops kernel_ops = {
	.name = "kernel",
	.next = kernel_next,
	.stats = kernel_stats,
	.free = kernel_free,
	.refine = kernel_refine,
};

static int unsupported(int e, const char *what, struct bh_error **err)
{
	if (e == EPERM || e == EACCES)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "BPF is not allowed here (the monitor's kernel programs need "
				    "CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN, in the host's user "
				    "namespace)%s%s",
				    *bh_bpf_message() ? ": " : "", bh_bpf_message());
	return bh_error_set(err, BH_ERR_UNSUPPORTED,
			    "the kernel did not %s the monitor's programs (%s%s)%s%s", what,
			    strerror(e),
			    access("/sys/kernel/btf/vmlinux", R_OK) < 0
				    ? "; no kernel BTF at /sys/kernel/btf/vmlinux"
				    : "",
			    *bh_bpf_message() ? ": " : "", bh_bpf_message());
}

static struct bpf_program *sys_prog(struct mon_kernel *k, size_t i)
{
	return *(struct bpf_program **)((char *)k->sk + sys_types[i].prog);
}

/* The open filter's maps from o->open_filter (NULL: every open). */
static int fill_open_filter(struct mon_kernel *k, const struct bh_mon_open_filter *f,
			    struct bh_error **err)
{
	struct mon_open_filter mf = { .all = 1 };
	int nfd = bpf_map__fd(k->sk->maps.names);
	uint32_t z = 0;

	if (f && !f->all && f->leaves.n + f->dirs.n <= MON_FNAMES_MAX) {
		mf.all = 0;
		mf.failed = f->failed;
		mf.writes = f->writes;
		for (int pass = 0; pass < 2 && !mf.all; pass++) {
			const struct bh_strvec *v = pass ? &f->dirs : &f->leaves;
			uint8_t bit = pass ? MON_N_DIR : MON_N_LEAF;

			for (size_t i = 0; i < v->n; i++) {
				char key[MON_FNAME_KEY] = { 0 };
				size_t l = strlen(v->v[i]);
				uint8_t val = 0;
				unsigned long long w;

				if (l == 0 || l >= MON_FNAME_KEY || strchr(v->v[i], '/')) {
					mf.all = 1; /* a name the kernel cannot hold: every open */
					break;
				}
				memcpy(key, v->v[i], l);
				bpf_map_lookup_elem(nfd, key, &val);
				val |= bit;
				if (bpf_map_update_elem(nfd, key, &val, BPF_ANY) < 0)
					return bh_error_sys(err, errno,
							    "the monitor's open filter");
				memcpy(&w, key, sizeof(w));
				if (pass) {
					mf.dir_lens |= 1ULL << l;
					mon_bloom_add(mf.dir_bloom, mon_name_hash((unsigned)l, w));
				} else {
					mf.leaf_lens |= 1ULL << l;
					mon_bloom_add(mf.leaf_bloom, mon_name_hash((unsigned)l, w));
				}
			}
		}
	}
	if (bpf_map_update_elem(bpf_map__fd(k->sk->maps.openf), &z, &mf, BPF_ANY) < 0)
		return bh_error_sys(err, errno, "the monitor's open filter");
	return 0;
}

/* The syscall types asked that this kernel implements. */
static uint64_t sys_types_watched(const struct mon_kernel *k, const struct bh_mon_kernel_opts *o)
{
	uint64_t m = 0;

	for (size_t i = 0; i < NSYS_TYPES; i++)
		m |= BH_MON_TYPE_BIT(sys_types[i].t);
	return o->types & m & ~k->unwatched;
}

/* Whether 32-bit calls are watched (o->compat, a probe of the kernel for
 * AUTO), k->compat set to what becomes of them. */
static bool compat_watch(struct mon_kernel *k, const struct bh_mon_kernel_opts *o)
{
	int can;

	if (!sys_types_watched(k, o)) {
		k->compat = BH_MON_COMPAT_NA; /* exec and exit: the scheduler's, any arch */
		return false;
	}
	if (o->compat == BH_MON_COMPAT_ON) {
		k->compat = BH_MON_COMPAT_WATCHED;
		return true;
	}
	can = mon_compat_probe(); /* unknown: as if it could */
	if (can == 0) {
		k->compat = BH_MON_COMPAT_NONE;
		return false;
	}
	k->compat =
		o->compat == BH_MON_COMPAT_OFF ? BH_MON_COMPAT_UNWATCHED : BH_MON_COMPAT_WATCHED;
	return k->compat == BH_MON_COMPAT_WATCHED;
}

/* The compat part of the dispatch table: the i386 numbers of the types. */
static int fill_compat(struct mon_kernel *k, const struct bh_mon_kernel_opts *o,
		       struct bh_error **err)
{
	struct mon_want w[MON_COMPAT_WANT_MAX];
	size_t n = mon_compat_want(sys_types_watched(k, o), w, MON_COMPAT_WANT_MAX);

	for (size_t i = 0; i < n; i++)
		if (w[i].slot >= MON_W_SIZE ||
		    bpf_map_update_elem(bpf_map__fd(k->sk->maps.want), &w[i].slot, &w[i].val,
					BPF_ANY) < 0)
			return bh_error_sys(err, w[i].slot >= MON_W_SIZE ? ERANGE : errno,
					    "the monitor's dispatch table (32-bit calls)");
	return 0;
}

/*
 * Load the programs: exec and exit always; per asked syscall type its own
 * sys_exit tracepoint's program; the types whose tracepoint cannot be had
 * (no tracefs) through the generic tp_btf/sys_exit (dispatch table `want`);
 * a type this kernel does not implement is not watched; 32-bit calls as
 * compat_watch says. Then attach.
 */
static int load_and_attach(struct mon_kernel *k, const struct bh_mon_kernel_opts *o,
			   struct bh_error **err)
{
	bool own[NSYS_TYPES] = { false };
	struct bpf_program *p;
	size_t nl = 0;
	bool watch32, newtask, prepare, enter, cgmk;

	if (!o->generic)
		mon_mount_tracefs();
	/* an exec's old executable before its point of no return (kernel 6.10),
	 * else from execve's and execveat's entry: without either a memfd or
	 * detached executable is never the host's */
	prepare = enter = false;
	if (k->sk->rodata->host_mntns != 0 && mon_has_sys_tp("memfd_create") == 1) {
		prepare = !o->no_prepare_exec && mon_has_tp("sched", "sched_prepare_exec") == 1;
		enter = !prepare && mon_has_sys_tp("execve") == 1 &&
			mon_has_sys_tp("execveat") == 1;
	}
	k->sk->rodata->exec_enter = enter;
	k->sk->rodata->exec_prepare = prepare;
	for (size_t i = 0; i < NSYS_TYPES; i++) {
		uint64_t bit = BH_MON_TYPE_BIT(sys_types[i].t);
		int tp;

		if (!(o->types & bit))
			continue;
		tp = o->generic ? -1 : mon_has_sys_tp(sys_types[i].tp);
		if (tp == 0) {
			if (!sys_types[i].rec) /* an extra call missing: t still watched */
				k->unwatched |= bit;
		} else if (tp < 0)
			k->generic |= bit;
		else
			own[i] = true;
	}
	watch32 = compat_watch(k, o);
	/* a clone that made a task in new namespaces: task_newtask (the kernel's
	 * flags), whichever way the unshare type's calls are watched */
	newtask = (o->types & ~k->unwatched & BH_MON_TYPE_BIT(BH_MON_UNSHARE)) != 0;
	for (size_t i = 0; i < NSYS_TYPES; i++)
		bpf_program__set_autoload(sys_prog(k, i), own[i]);
	bpf_program__set_autoload(k->sk->progs.mon_newtask, newtask);
	bpf_program__set_autoload(k->sk->progs.mon_prepare_exec, prepare);
	bpf_program__set_autoload(k->sk->progs.mon_exec_enter, enter);
	bpf_program__set_autoload(k->sk->progs.mon_exec_enter_at, enter);
	bpf_program__set_autoload(k->sk->progs.mon_memfd_host, prepare || enter);
	bpf_program__set_autoload(k->sk->progs.mon_sys_exit, k->generic != 0);
	/* the cgroups made, for the attribution: optional (a kernel whose
	 * tracefs lists no cgroup_mkdir loads the rest; its BTF is taken to
	 * have the tracepoint then, as sched_prepare_exec's above) */
	cgmk = mon_has_tp("cgroup", "cgroup_mkdir") == 1;
	if (!cgmk)
		bh_debug("monitor: no cgroup_mkdir tracepoint: a short-lived container is "
			 "attributed by its state alone");
	bpf_program__set_autoload(k->sk->progs.mon_cgroup_mkdir, cgmk);
	/* the generic program serves 32-bit calls too where it is attached */
	bpf_program__set_autoload(k->sk->progs.mon_sys_exit32, watch32 && !k->generic);
	{
		sigset_t old;
		int r;

		bh_bpf_load_begin(&old);
		r = mon_events__load(k->sk);
		bh_bpf_load_end(&old);
		if (r < 0)
			return unsupported(errno ? errno : EINVAL, "load", err);
	}
	k->ncpu = libbpf_num_possible_cpus();
	if (fill_open_filter(k, o->open_filter, err) < 0)
		return -1;
	for (size_t i = 0; i < NSYS_TYPES; i++) {
		uint32_t nr = (uint32_t)sys_types[i].nr;
		uint8_t t = sys_types[i].rec ? sys_types[i].rec : (uint8_t)sys_types[i].t;

		if (!(k->generic & BH_MON_TYPE_BIT(sys_types[i].t)))
			continue;
		if (nr >= MON_NR_MAX ||
		    bpf_map_update_elem(bpf_map__fd(k->sk->maps.want), &nr, &t, BPF_ANY) < 0)
			return bh_error_sys(err, errno, "the monitor's dispatch table");
	}
	if (watch32 && fill_compat(k, o, err) < 0)
		return -1;
	/* exit before exec: no process is cached that is never dropped */
	k->links[nl] = bpf_program__attach(k->sk->progs.mon_exit);
	if (!k->links[nl++])
		return unsupported(errno ? errno : EINVAL, "attach", err);
	/* prepare_exec before exec: an exec's record sees what it remembered */
	if (prepare || enter) {
		k->links[nl] = bpf_program__attach(k->sk->progs.mon_memfd_host);
		if (!k->links[nl++])
			return unsupported(errno ? errno : EINVAL, "attach", err);
	}
	if (prepare) {
		k->links[nl] = bpf_program__attach(k->sk->progs.mon_prepare_exec);
		if (!k->links[nl++])
			return unsupported(errno ? errno : EINVAL, "attach", err);
	}
	if (enter) {
		k->links[nl] = bpf_program__attach(k->sk->progs.mon_exec_enter);
		if (!k->links[nl++])
			return unsupported(errno ? errno : EINVAL, "attach", err);
		k->links[nl] = bpf_program__attach(k->sk->progs.mon_exec_enter_at);
		if (!k->links[nl++])
			return unsupported(errno ? errno : EINVAL, "attach", err);
	}
	k->links[nl] = bpf_program__attach(k->sk->progs.mon_exec);
	if (!k->links[nl++])
		return unsupported(errno ? errno : EINVAL, "attach", err);
	for (size_t i = 0; i < NSYS_TYPES; i++) {
		if (!own[i] || !(p = sys_prog(k, i)))
			continue;
		k->links[nl] = bpf_program__attach(p);
		if (!k->links[nl++])
			return unsupported(errno ? errno : EINVAL, "attach", err);
	}
	if (newtask) {
		k->links[nl] = bpf_program__attach(k->sk->progs.mon_newtask);
		if (!k->links[nl++])
			return unsupported(errno ? errno : EINVAL, "attach", err);
	}
	if (k->generic) {
		k->links[nl] = bpf_program__attach(k->sk->progs.mon_sys_exit);
		if (!k->links[nl++])
			return unsupported(errno ? errno : EINVAL, "attach", err);
	}
	if (watch32 && !k->generic) {
		k->links[nl] = bpf_program__attach(k->sk->progs.mon_sys_exit32);
		if (!k->links[nl++])
			return unsupported(errno ? errno : EINVAL, "attach", err);
	}
	/* after exec and exit, before records are read: a cgroup made from now
	 * on is in the ring before its processes' records */
	if (cgmk) {
		k->mkdir_link = bpf_program__attach(k->sk->progs.mon_cgroup_mkdir);
		if (!k->mkdir_link)
			bh_debug("monitor: tp_btf/cgroup_mkdir not attached (%s): a short-lived "
				 "container is attributed by its state alone",
				 strerror(errno ? errno : EINVAL));
		else
			bh_debug("monitor: cgroups made (cgroup2%s) noted for the attribution",
				 k->sk->rodata->pids_hier ? ", v1 pids" : "");
	}
	if (k->unwatched)
		bh_debug("monitor: event types 0x%llx: calls this kernel does not implement, "
			 "not watched",
			 (unsigned long long)k->unwatched);
	return 0;
}

int bh_mon_source_kernel(const struct bh_mon_kernel_opts *o, struct bh_mon_source **out,
			 struct bh_error **err)
{
	static const struct bh_mon_kernel_opts defaults = { 0 };
	struct mon_kernel *k = NULL;
	uint64_t sys_mask = 0, exec_mask, root_ino;
	uint32_t host_mntns, host_pidns, root_dev;
	int32_t root_mnt;
	size_t ring;
	int e;

	*out = NULL;
	if (!o)
		o = &defaults;
	ring = o->ring_bytes ? o->ring_bytes : MON_DEFAULT_RING;
	if (ring < 4096 || (ring & (ring - 1)) || ring > (1u << 30))
		return bh_error_set(err, BH_ERR_USAGE,
				    "the ring buffer's size %zu is not a power of 2 between 4096 "
				    "and 1 GiB",
				    ring);
	exec_mask = BH_MON_TYPE_BIT(BH_MON_EXECVE) | BH_MON_TYPE_BIT(BH_MON_EXECVEAT) |
		    BH_MON_TYPE_BIT(BH_MON_PROCEXIT);
	for (size_t i = 0; i < NSYS_TYPES; i++)
		sys_mask |= BH_MON_TYPE_BIT(sys_types[i].t);
	if (o->types & ~(exec_mask | sys_mask))
		return bh_error_set(err, BH_ERR_USAGE, "unknown event types in the mask 0x%llx",
				    (unsigned long long)(o->types & ~(exec_mask | sys_mask)));
	if (bh_lazy_require(&bh_lazy_bpf, err) < 0)
		return -1;
	bh_users_enable(true); /* live events: their users' names (users.h) */
	k = bh_calloc(1, sizeof(*k));
	k->epfd = -1;
	k->engine_nsfd = -1;
	k->copts = o->containers;
	k->containers_only = o->containers_only;
	k->q = bh_calloc(MON_QUEUE, sizeof(*k->q));
	k->procs = mon_procs_new();
	bh_bpf_messages_reset();
	k->sk = mon_events__open();
	if (!k->sk) {
		unsupported(errno ? errno : EINVAL, "open", err);
		goto fail;
	}
	if (bpf_map__set_max_entries(k->sk->maps.events, (uint32_t)ring) < 0) {
		unsupported(errno ? errno : EINVAL, "size", err);
		goto fail;
	}
	k->sk->rodata->wake_bytes = ring / 4 < MON_WAKE_BYTES ? ring / 4 : MON_WAKE_BYTES;
	if (!mon_host_root_id(mon_host_pid(&host_mntns, &host_pidns), &root_ino, &root_dev,
			      &root_mnt) &&
	    host_mntns)
		bh_debug("monitor: the host's root directory could not be read (statx's mount id, "
			 "mountinfo): no executable is the host's, the runtimes' setup alerts");
	else if (host_mntns && !host_pidns)
		bh_debug("monitor: the host's PID namespace could not be read: no executable is "
			 "the host's, the runtimes' setup alerts");
	k->sk->rodata->host_mntns = host_mntns;
	k->sk->rodata->host_pidns = host_pidns;
	k->sk->rodata->host_root_ino = root_ino;
	k->sk->rodata->host_root_dev = root_dev;
	k->sk->rodata->host_root_mnt = root_mnt;
	k->sk->rodata->pids_hier = mon_pids_hierarchy();
	if (load_and_attach(k, o, err) < 0)
		goto fail;
	k->rb = ring_buffer__new(bpf_map__fd(k->sk->maps.events), on_record, k, NULL);
	if (!k->rb) {
		bh_error_sys(err, errno, "the monitor's ring buffer");
		goto fail;
	}
	k->epfd = ring_buffer__epoll_fd(k->rb);
	engine_ns_probe(k);
	/* the containers running now (a restarted monitor attributes at once) */
	mon_attr_new(&(struct mon_attr_opts){ .copts = o->containers, .rendezvous = o->rendezvous },
		     &k->at);
	e = mon_source_new(&kernel_ops, k, out, err);
	return e < 0 ? bh_error_prefix(err, "the kernel event source") : 0;
fail:
	kernel_free(k);
	return bh_error_prefix(err, "the kernel event source");
}
