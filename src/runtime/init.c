/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container's side of create: the process clone(2) made, in the new
 * namespaces. It waits for the runtime (uid/gid maps written, cgroups joined,
 * idmapped mounts passed), joins namespaces given by path, sets up the
 * mounts and the root (mount.c), reports READY, then blocks opening the exec
 * fifo until start; then the process (process.c) is applied and exec'd.
 *
 * When a namespace must be joined by path before a new user namespace is
 * made, or a pid/time namespace is joined or made that way, an intermediate
 * process does the joins and unshares and forks the init (CLONE_PARENT).
 * Every failure is reported on the sync socket (before READY) or through the
 * fifo (after start) and ends the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/close_range.h>
#include <linux/keyctl.h>
#include <linux/openat2.h>

#include "bulkhead/base.h"
#include "bulkhead/runtime.h"
#include "internal.h"
#include "banned.h"

static void init_stage(struct rt_init_args *a) __attribute__((noreturn));

/*
 * A network namespace the runtime made has its loopback down: bring it up, as
 * runc and crun do (servers on 127.0.0.1 under `podman --network none`, a
 * bundle's own network namespace). One that is joined by path is the engine's.
 */
static void loopback_up(const struct bh_rt_spec *s)
{
	struct ifreq ifr = { 0 };
	bool fresh = false;
	int fd;

	for (size_t i = 0; i < s->nnamespaces; i++)
		if (s->namespaces[i].type == CLONE_NEWNET && !s->namespaces[i].path)
			fresh = true;
	if (!fresh)
		return;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		bh_debug("loopback: socket: %s", strerror(errno));
		return;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		bh_debug("loopback: SIOCGIFFLAGS: %s", strerror(errno));
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			bh_debug("loopback: SIOCSIFFLAGS: %s", strerror(errno));
	}
	close(fd);
}

static void join_paths(struct rt_init_args *a, bool user_only, bool skip_user)
{
	const struct bh_rt_spec *s = a->spec;

	for (size_t i = 0; i < s->nnamespaces; i++) {
		bool user = s->namespaces[i].type == CLONE_NEWUSER;

		if (a->nsfds[i] < 0 || (user_only && !user) || (skip_user && user))
			continue;
		if (setns(a->nsfds[i], s->namespaces[i].type) < 0)
			rt_child_fail(a->sync, errno, "joining the %s namespace %s",
				      rt_ns_name(s->namespaces[i].type), s->namespaces[i].path);
		close(a->nsfds[i]);
		a->nsfds[i] = -1;
	}
}

static void init_stage(struct rt_init_args *a)
{
	const struct bh_rt_spec *s = a->spec;
	struct bh_error *err = NULL;
	struct rt_sync_msg m;
	struct rt_mount_ctx mc = { 0 };
	int idfds[RT_MAX_MOUNTS > 64 ? 64 : RT_MAX_MOUNTS];
	size_t nid = 64;
	int *idmap = NULL;
	char *exe = NULL;
	struct rt_proc_ctx pc;
	char path[64];
	int fifo, cwdfd;

	/* wait for the runtime: maps written, cgroups joined, idmapped mounts */
	for (;;) {
		nid = 64;
		if (rt_sync_recv(a->sync, &m, idfds, &nid) < 0)
			_exit(1);
		if (m.type == SYNC_MOUNTFDS) {
			size_t k = 0;

			idmap = bh_calloc(s->nmounts + 1, sizeof(int));
			for (size_t i = 0; i < s->nmounts; i++)
				idmap[i] = s->mounts[i].idmap && k < nid ? idfds[k++] : -1;
			continue;
		}
		if (m.type == SYNC_GO)
			break;
		_exit(1);
	}
	if (!a->intermediate)
		join_paths(a, false, false);
	if (a->userns) {
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			bh_debug("container root is not mapped");
	}
	if (bh_rt_spec_has_ns(s, CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
		rt_child_fail(a->sync, errno, "creating the cgroup namespace");
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		rt_child_fail(a->sync, errno, "setting the hostname");
	loopback_up(s);
	if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
		rt_child_fail(a->sync, errno, "setting the domain name");
	if (!a->no_new_keyring) {
		char kname[128];

		snprintf(kname, sizeof(kname), "_ses.%.100s", a->id);
		if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, kname) < 0)
			bh_debug("session keyring: %s", strerror(errno));
	}
	umask(0);
	mc.spec = s;
	mc.rootfs = a->rootfs;
	mc.cg = a->cg;
	mc.userns = a->userns;
	mc.no_pivot = a->no_pivot;
	mc.idmap_fds = idmap;
	mc.sync = a->sync;
	mc.have_hooks = s->hooks[BH_HOOK_PRESTART].n || s->hooks[BH_HOOK_CREATE_RUNTIME].n ||
			s->hooks[BH_HOOK_CREATE_CONTAINER].n;
	mc.joined_mntns = a->joined_mntns;
	mc.root_dev = a->root_dev;
	mc.root_ino = a->root_ino;
	if (rt_mount_setup(&mc, &err) < 0)
		rt_child_fail_err(a->sync, err);
	free(idmap);
	if (rt_find_exec(&s->process, &exe, &err) < 0)
		rt_child_fail_err(a->sync, err);
	/* CVE-2024-21626: the working directory is resolved inside the new root,
	 * never through a magic link to an inherited fd */
	{
		struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
					.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
		const char *c = s->process.cwd + 1;

		cwdfd = (int)syscall(SYS_openat2, AT_FDCWD, *c ? c : ".", &how, sizeof(how));
		if (cwdfd < 0 && errno == ENOENT) {
			int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

			cwdfd = bh_root_mkdirs(rootfd, s->process.cwd, 0755, NULL);
			close(rootfd);
		}
		if (cwdfd < 0 || fchdir(cwdfd) < 0)
			rt_child_fail(a->sync, errno, "process.cwd %s", s->process.cwd);
		close(cwdfd);
	}
	if (s->process.terminal && a->console >= 0) {
		if (rt_console_setup(a->console, &s->process, &err) < 0)
			rt_child_fail_err(a->sync, err);
		close(a->console);
		a->console = -1;
	} else if (setsid() < 0 && errno != EPERM) {
		/* no terminal: a session of its own, as runc does, so that the process never
		 * keeps the caller's controlling terminal (TIOCSTI into it, and a monitor's
		 * "Terminal shell in container" for an entrypoint run from a terminal) */
		rt_child_fail(a->sync, errno, "setsid");
	}
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (rt_sync_send(a->sync, SYNC_READY, 0, NULL) < 0)
		_exit(1);
	close(a->sync);
	/* wait for start */
	snprintf(path, sizeof(path), "self/fd/%d", a->fifo_path);
	fifo = openat(a->procfd, path, O_WRONLY | O_CLOEXEC);
	if (fifo < 0)
		_exit(1);
	close(a->fifo_path);
	close(a->procfd);
	if (s->hooks[BH_HOOK_START_CONTAINER].n) {
		/* in the container's namespaces: its pid as the container sees it (runtime-spec) */
		char *st =
			rt_state_for_hooks(a->id, getpid(), a->bundle, "created", s->annotations);
		int x = rt_hooks_run(s, BH_HOOK_START_CONTAINER, st, 0, &err);

		free(st);
		if (x < 0)
			goto fail;
	}
	pc.p = &s->process;
	pc.spec = s;
	pc.filter = a->filter;
	pc.notify_sock = a->notify;
	pc.preserve_fds = a->preserve_fds;
	pc.in_userns = a->userns;
	rt_process_exec(&pc, exe, &err);
fail : {
	char *msg = bh_error_message(err);
	char line[1100];

	snprintf(line, sizeof(line), "E%s", msg ? msg : "unknown error");
	if (write(fifo, line, strlen(line)) < 0)
		_exit(127);
	_exit(127);
}
}

/*
 * The offsets of a new time namespace: written by the process that unshared
 * it, before any process is in it (the init is forked next).
 */
static void write_time_offsets(struct rt_init_args *a)
{
	const struct bh_rt_spec *s = a->spec;
	char buf[128];
	int n, fd;

	n = snprintf(buf, sizeof(buf), "monotonic %lld %u\nboottime %lld %u\n",
		     (long long)s->time_offset_secs[0], s->time_offset_nsecs[0],
		     (long long)s->time_offset_secs[1], s->time_offset_nsecs[1]);
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, (size_t)n) != n)
		rt_child_fail(a->sync, errno, "writing /proc/self/timens_offsets");
	close(fd);
}

/* The intermediate: joins by path, unshares, then forks the init. */
static void intermediate_stage(struct rt_init_args *a) __attribute__((noreturn));
static void intermediate_stage(struct rt_init_args *a)
{
	const struct bh_rt_spec *s = a->spec;
	unsigned long flags = 0;
	struct rt_sync_msg m;
	pid_t pid;

	join_paths(a, true, false); /* a user namespace by path first */
	join_paths(a, false, true); /* then the others */
	for (size_t i = 0; i < s->nnamespaces; i++)
		if (!s->namespaces[i].path && s->namespaces[i].type != CLONE_NEWCGROUP &&
		    s->namespaces[i].type != CLONE_NEWUSER)
			flags |= (unsigned long)s->namespaces[i].type;
	if (a->userns) {
		if (unshare(CLONE_NEWUSER) < 0)
			rt_child_fail(a->sync, errno, "creating the user namespace");
		if (rt_sync_send(a->sync, SYNC_USERMAP, 0, NULL) < 0 ||
		    rt_sync_recv(a->sync, &m, NULL, NULL) < 0 || m.type != SYNC_GO)
			_exit(1);
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			bh_debug("container root is not mapped");
	}
	if (unshare((int)flags) < 0)
		rt_child_fail(a->sync, errno, "creating namespaces");
	if (s->has_time_offsets)
		write_time_offsets(a);
	pid = (pid_t)syscall(SYS_clone, CLONE_PARENT, NULL, NULL, NULL, NULL);
	if (pid < 0)
		rt_child_fail(a->sync, errno, "forking the container's init");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		init_stage(a);
	}
	rt_sync_send(a->sync, SYNC_PID, pid, NULL);
	_exit(0);
}

#define RT_INIT_FD_SCAN 4096 /* the caller's descriptors looked for below this */

/* The child of clone(2), in the container's new namespaces (or the intermediate's). */
void rt_init_main(struct rt_init_args *a)
{
	close(a->sync_parent);
	close(a->lockfd);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/*
	 * The caller's descriptors (not close-on-exec: the runtime opens all of
	 * its own so) closed now, not at the container's execve: until start, a
	 * supervisor reading a pipe it gave create to its end (conmon) would wait
	 * for the init, however long create waits for start.
	 */
	for (int fd = 3 + (int)a->preserve_fds; fd < RT_INIT_FD_SCAN; fd++) {
		int fl = fcntl(fd, F_GETFD);

		if (fl >= 0 && !(fl & FD_CLOEXEC))
			close(fd);
	}
	/* nothing inherited from our caller reaches the container */
	syscall(SYS_close_range, 3 + a->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
	for (unsigned i = 0; i < a->preserve_fds; i++)
		fcntl(3 + (int)i, F_SETFD, 0);
	if (a->intermediate)
		intermediate_stage(a);
	init_stage(a);
}
