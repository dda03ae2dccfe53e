/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container lifecycle: create (clone into new namespaces, cgroups,
 * mounts, wait on the exec fifo), start, state, kill, delete, run, list, ps,
 * pause and resume. State lives in <root>/<id>/state.json, written atomically.
 *
 *   runtime ──clone(new namespaces)──▶ init: [GO] setns paths, cgroupns,
 *      │  uid/gid maps, cgroup.procs        mounts, pivot_root, console
 *      │◀──────────── SYNC_HOOKS / SYNC_READY ───┘
 *   state.json (created)           init blocks opening exec.fifo for writing
 *   start: opens the fifo ───────▶ init: rlimits, user, caps, Landlock,
 *                                  seccomp, execve (the fifo closes on exec)
 *
 * When a namespace must be joined by path before a new user namespace is
 * made, or a pid/time namespace is joined or made that way, an intermediate
 * process does the joins and unshares and forks the init (CLONE_PARENT).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/close_range.h>
#include <linux/keyctl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>

#include "bulkhead/base.h"
#include "bulkhead/runtime.h"
#include "devices_bpf.h"
#include "internal.h"
#include "banned.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* ---- the container's init ----------------------------------------------- */

struct init_args {
	const struct bh_rt_spec *spec;
	const char *rootfs;
	const char *id;
	const struct rt_cgroup *cg;
	const struct rt_filter *filter;
	int sync, sync_parent;
	int procfd;    /* host /proc (O_PATH), to reopen the fifo */
	int fifo_path; /* O_PATH fd on exec.fifo */
	int console;   /* connected console socket, or -1 */
	int notify;    /* supervisor socket, or -1 */
	int *nsfds;    /* per spec namespace: an fd to join, or -1 */
	int lockfd;    /* the runtime's lock on the state dir: closed in the child */
	unsigned preserve_fds;
	bool no_pivot, no_new_keyring;
	bool userns; /* new user namespace */
	bool intermediate;
	bool joined_mntns; /* the mount namespace is joined by path */
	dev_t root_dev;	   /* the rootfs as the runtime saw it */
	ino_t root_ino;
	const char *state_json; /* for startContainer hooks */
};

static void init_stage(struct init_args *a) __attribute__((noreturn));

static void join_paths(struct init_args *a, bool user_only, bool skip_user)
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

static void init_stage(struct init_args *a)
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
	if (s->hooks[BH_HOOK_START_CONTAINER].n &&
	    rt_hooks_run(s, BH_HOOK_START_CONTAINER, a->state_json, 0, &err) < 0)
		goto fail;
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

static pid_t raw_clone(unsigned long flags)
{
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

/*
 * The offsets of a new time namespace: written by the process that unshared
 * it, before any process is in it (the init is forked next).
 */
static void write_time_offsets(struct init_args *a)
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
static void intermediate_stage(struct init_args *a) __attribute__((noreturn));
static void intermediate_stage(struct init_args *a)
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

/* ---- create ----------------------------------------------------------------- */

struct created {
	pid_t pid;
	char *dir;
	struct rt_cgroup cg;
	struct bh_rt_spec *spec;
	json_t *state;
	pid_t supervisor;
	int tty; /* a foreground run's end of the console socket pair, or -1 */
};

static void created_release(struct created *c)
{
	if (c->tty >= 0)
		close(c->tty);
	free(c->dir);
	rt_cgroup_release(&c->cg);
	bh_rt_spec_free(c->spec);
	json_decref(c->state);
	memset(c, 0, sizeof(*c));
}

static int write_maps(pid_t pid, const struct bh_rt_spec *s, struct bh_error **err)
{
	const struct {
		const char *file;
		const struct bh_rt_idmap *m;
		size_t n;
	} maps[2] = { { "uid_map", s->uid_mappings, s->nuid_mappings },
		      { "gid_map", s->gid_mappings, s->ngid_mappings } };

	for (int k = 0; k < 2; k++) {
		struct bh_buf b = BH_BUF_INIT(64 * 1024);
		char path[64];
		int fd;

		for (size_t i = 0; i < maps[k].n; i++)
			bh_buf_addf(&b, NULL, "%u %u %u\n", maps[k].m[i].container_id,
				    maps[k].m[i].host_id, maps[k].m[i].size);
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, maps[k].file);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, b.data, b.len) != (ssize_t)b.len) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			bh_buf_release(&b);
			return bh_error_sys(err, e, "writing %s (check linux.%s)", path,
					    k ? "gidMappings" : "uidMappings");
		}
		close(fd);
		bh_buf_release(&b);
	}
	return 0;
}

static uint32_t host_root_uid(const struct bh_rt_spec *s)
{
	for (size_t i = 0; i < s->nuid_mappings; i++)
		if (s->uid_mappings[i].container_id == 0)
			return s->uid_mappings[i].host_id;
	return 0;
}

static json_t *hardening_annotations(const struct bh_rt_ctx *ctx, const struct bh_rt_spec *s,
				     const struct rt_cgroup *cg)
{
	struct bh_buf deny = BH_BUF_INIT(4096), allowed = BH_BUF_INIT(4096);
	json_t *a = json_deep_copy(s->annotations ? s->annotations : json_object());
	char ll[128];
	int abi = rt_landlock_abi();

	for (size_t i = 0; bh_rt_deny_list[i]; i++) {
		bool ok = false;

		for (char *const *p = ctx->allow_dangerous; p && *p; p++)
			if (!strcmp(*p, bh_rt_deny_list[i]))
				ok = true;
		bh_buf_addf(ok ? &allowed : &deny, NULL, "%s%s",
			    (ok ? allowed.len : deny.len) ? "," : "", bh_rt_deny_list[i]);
	}
	json_object_set_new(a, "org.bulkhead.seccomp",
			    json_string(s->seccomp ? "bundle profile + deny-list"
						   : "bulkhead default profile + deny-list"));
	json_object_set_new(a, "org.bulkhead.denylist", json_string(deny.data ? deny.data : ""));
	if (allowed.len)
		json_object_set_new(a, "org.bulkhead.allowed-dangerous", json_string(allowed.data));
	json_object_set_new(
		a, "org.bulkhead.mounts.mode",
		json_string(s->mounts_mode == BH_MOUNTS_SUPERVISED ? "supervised" : "denied"));
	if (s->nlandlock_ro || s->nlandlock_rw)
		snprintf(ll, sizeof(ll), "abi %d, %zu read-only and %zu read-write paths", abi,
			 s->nlandlock_ro, s->nlandlock_rw);
	else
		snprintf(ll, sizeof(ll), "off (kernel ABI %d available)", abi);
	json_object_set_new(a, "org.bulkhead.landlock.status", json_string(ll));
	json_object_set_new(a, "org.bulkhead.reexec",
			    json_string(bh_rt_is_sealed() ? "sealed memfd" : "off"));
	json_object_set_new(a, "org.bulkhead.paths",
			    json_string("mandatory masked and read-only /proc and /sys paths"));
	json_object_set_new(a, "org.bulkhead.cgroup",
			    json_string(cg->layout == RT_CG_V2	     ? "v2"
					: cg->layout == RT_CG_HYBRID ? "hybrid (v1 + unified)"
								     : "v1"));
	bh_buf_release(&deny);
	bh_buf_release(&allowed);
	return a;
}

static int check_spec(const struct bh_rt_spec *s, struct bh_error **err)
{
	if (!bh_rt_spec_has_ns(s, CLONE_NEWNS))
		return bh_error_set(
			err, BH_ERR_UNSUPPORTED,
			"config.json: bulkhead needs a mount namespace (linux.namespaces "
			"has no \"mount\")");
	for (size_t i = 0; i < s->nmounts; i++)
		if (s->mounts[i].tmpcopyup && strcmp(s->mounts[i].type, "tmpfs"))
			return bh_error_set(
				err, BH_ERR_INVALID,
				"config.json: mount %s: tmpcopyup needs type tmpfs, not %s",
				s->mounts[i].destination, s->mounts[i].type);
	return 0;
}

/* Is fd the same namespace as the one behind the magic link `path`? */
static bool same_ns(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/*
 * Open the namespace file of linux.namespaces[].path: it must be a namespace
 * (nsfs) of the type asked for. A mount namespace gets the container's root
 * pivoted in it: the runtime's own and the host's are refused.
 */
static int open_ns(const struct bh_rt_ns *ns, struct bh_error **err)
{
	const char *name = rt_ns_name(ns->type);
	struct statfs sfs;
	int fd, type;

	fd = open(ns->path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return bh_error_sys(err, errno, "linux.namespaces: the %s namespace %s", name,
				    ns->path);
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != NSFS_MAGIC) {
		bh_error_set(err, BH_ERR_INVALID,
			     "linux.namespaces: %s is not a namespace file, so it cannot be joined "
			     "as the %s namespace",
			     ns->path, name);
		goto fail;
	}
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0) {
		bh_error_sys(err, errno, "linux.namespaces: the type of the namespace %s",
			     ns->path);
		goto fail;
	}
	if (type != ns->type) {
		bh_error_set(err, BH_ERR_INVALID,
			     "linux.namespaces: %s is a %s namespace, not a %s namespace", ns->path,
			     rt_ns_name(type), name);
		goto fail;
	}
	if (type == CLONE_NEWNS &&
	    (same_ns(fd, "/proc/self/ns/mnt") || same_ns(fd, "/proc/1/ns/mnt"))) {
		bh_error_set(
			err, BH_ERR_UNSAFE,
			"linux.namespaces: %s is the runtime's (or the host's) mount namespace: "
			"the container's root would be pivoted in it; refused",
			ns->path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

static int connect_unix(const char *path, struct bh_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return bh_error_set(err, BH_ERR_USAGE, "socket path %s is too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return bh_error_sys(err, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return bh_error_sys(err, errno, "connecting to %s", path);
	}
	return fd;
}

static char *state_for_hooks(const char *id, pid_t pid, const char *bundle, const char *status,
			     json_t *annotations)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s, s:O}", "ociVersion", BH_RT_OCI_VERSION,
			      "id", id, "status", status, "pid", (int)pid, "bundle", bundle,
			      "annotations", annotations);
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	return s;
}

/* own_tty: a foreground run, which makes the terminal itself when there is no console socket. */
static int do_create(const struct bh_rt_ctx *ctx, const char *id, const struct bh_rt_create_opts *o,
		     bool own_tty, struct created *c, struct bh_error **err)
{
	struct bh_buf raw = BH_BUF_INIT(BH_RT_MAX_CONFIG);
	struct rt_filter filter = { 0 };
	char *bundle = NULL, *rootfs = NULL, *cfgpath = NULL, *fifo = NULL, *p = NULL;
	char *hook_state = NULL, created_at[BH_TIME_MAX];
	int sv[2] = { -1, -1 }, procfd = -1, fifofd = -1, console = -1, notify = -1, lockfd = -1;
	int *nsfds = NULL;
	bool dir_made = false, cg_made = false, intermediate = false, userns = false;
	struct init_args a = { 0 };
	pid_t child = -1, init = -1;
	int r = -1;

	memset(c, 0, sizeof(*c));
	c->supervisor = -1;
	c->tty = -1;
	if (bh_rt_id_check(id, err) < 0)
		return -1;
	/* engines may pass a root that does not exist yet (dockerd's
	 * <exec-root>/runtime-runc/moby): made with its parents, 0711 as runc
	 * makes them, the root itself 0700 (only root reads container state) */
	if (bh_mkdirs(rt_state_root(ctx), 0711, 0700, err) < 0)
		return bh_error_prefix(err, "the state directory");
	bundle = realpath(o->bundle ? o->bundle : ".", NULL);
	if (!bundle)
		return bh_error_sys(err, errno, "bundle %s", o->bundle ? o->bundle : ".");
	cfgpath = bh_asprintf("%s/config.json", bundle);
	if (bh_read_file(cfgpath, &raw, err) < 0 ||
	    bh_rt_spec_parse(raw.data ? raw.data : "", raw.len, &c->spec, err) < 0) {
		bh_error_prefix(err, "bundle %s", bundle);
		goto out;
	}
	if (check_spec(c->spec, err) < 0)
		goto out;
	p = c->spec->root_path[0] == '/' ? bh_strdup(c->spec->root_path)
					 : bh_asprintf("%s/%s", bundle, c->spec->root_path);
	rootfs = realpath(p, NULL);
	if (!rootfs) {
		bh_error_sys(err, errno, "root.path %s", p);
		goto out;
	}
	{
		struct stat st;

		if (stat(rootfs, &st) < 0 || !S_ISDIR(st.st_mode)) {
			bh_error_set(err, BH_ERR_INVALID, "root.path %s is not a directory",
				     rootfs);
			goto out;
		}
		a.root_dev = st.st_dev;
		a.root_ino = st.st_ino;
	}
	for (size_t i = 0; i < c->spec->nnamespaces; i++)
		if (c->spec->namespaces[i].type == CLONE_NEWUSER && !c->spec->namespaces[i].path)
			userns = true;
	/* namespaces to join: checked before any state exists */
	nsfds = bh_calloc(c->spec->nnamespaces + 1, sizeof(int));
	for (size_t i = 0; i < c->spec->nnamespaces; i++)
		nsfds[i] = -1;
	for (size_t i = 0; i < c->spec->nnamespaces; i++) {
		const struct bh_rt_ns *ns = &c->spec->namespaces[i];

		if (!ns->path)
			continue;
		nsfds[i] = open_ns(ns, err);
		if (nsfds[i] < 0)
			goto out;
		if (ns->type == CLONE_NEWUSER || ns->type == CLONE_NEWPID)
			intermediate = true;
		if (ns->type == CLONE_NEWNS)
			a.joined_mntns = true;
		if (userns)
			intermediate = true;
	}
	if (rt_filter_build(c->spec, ctx->allow_dangerous, rt_state_root(ctx), &filter, err) < 0)
		goto out;
	if (rt_cgroup_init(&c->cg, c->spec->cgroups_path, id, ctx->systemd_cgroup, err) < 0)
		goto out;

	c->dir = rt_state_dir(ctx, id);
	if (mkdir(c->dir, 0700) < 0) {
		if (errno == EEXIST)
			bh_error_set(err, BH_ERR_USAGE, "container %s already exists", id);
		else
			bh_error_sys(err, errno, "creating %s", c->dir);
		goto out;
	}
	dir_made = true;
	lockfd = rt_state_lock(c->dir, err);
	if (lockfd < 0)
		goto out;
	bh_time_rfc3339(NULL, 9, created_at);
	c->state =
		json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:o, s:o}", "ociVersion",
			  BH_RT_OCI_VERSION, "id", id, "status", "creating", "pid", 0, "pid_start",
			  0, "bundle", bundle, "rootfs", rootfs, "created", created_at, "owner", "",
			  "annotations", hardening_annotations(ctx, c->spec, &c->cg), "cgroup",
			  rt_cgroup_to_json(&c->cg));
	if (!c->state) {
		bh_error_set(err, BH_ERR_INTERNAL, "building the state");
		goto out;
	}
	{
		char *copy = bh_asprintf("%s/config.json", c->dir);

		r = bh_write_file_atomic(copy, raw.data, raw.len, 0600, err);
		free(copy);
		if (r < 0 || rt_state_write(c->dir, c->state, err) < 0) {
			r = -1;
			goto out;
		}
		r = -1;
	}
	cg_made = true;
	if (rt_cgroup_create(&c->cg, c->spec, err) < 0)
		goto out;
	{
		char *dev = rt_devices_status(&c->cg, c->spec);

		json_object_set_new(json_object_get(c->state, "annotations"),
				    "org.bulkhead.devices", json_string(dev));
		free(dev);
	}

	fifo = bh_asprintf("%s/exec.fifo", c->dir);
	if (mkfifo(fifo, 0622) < 0) {
		bh_error_sys(err, errno, "creating %s", fifo);
		goto out;
	}
	if (userns && chown(fifo, host_root_uid(c->spec), (gid_t)-1) < 0) {
		bh_error_sys(err, errno, "chown %s", fifo);
		goto out;
	}
	fifofd = open(fifo, O_PATH | O_CLOEXEC);
	procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fifofd < 0 || procfd < 0) {
		bh_error_sys(err, errno, "opening %s", fifo);
		goto out;
	}
	if (c->spec->process.terminal) {
		if (o->console_socket) {
			console = connect_unix(o->console_socket, err);
			if (console < 0)
				goto out;
		} else if (own_tty) {
			int tsv[2];

			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tsv) < 0) {
				bh_error_sys(err, errno, "socketpair for the terminal");
				goto out;
			}
			c->tty = tsv[0];
			console = tsv[1];
		} else {
			bh_error_set(err, BH_ERR_USAGE,
				     "process.terminal is true: --console-socket is required (only "
				     "a 'run' in the foreground makes the terminal itself)");
			goto out;
		}
	}
	if (filter.listener) {
		notify = rt_notify_supervisor_start(rootfs, &c->supervisor, err);
		if (notify < 0)
			goto out;
		json_object_set_new(c->state, "supervisor_pid", json_integer(c->supervisor));
	}
	if (bh_rt_spec_has_ns(c->spec, CLONE_NEWTIME))
		intermediate = true;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		bh_error_sys(err, errno, "socketpair");
		goto out;
	}
	hook_state = state_for_hooks(id, 0, bundle, "creating",
				     json_object_get(c->state, "annotations"));
	a.spec = c->spec;
	a.rootfs = rootfs;
	a.id = id;
	a.cg = &c->cg;
	a.filter = &filter;
	a.sync = sv[1];
	a.sync_parent = sv[0];
	a.procfd = procfd;
	a.fifo_path = fifofd;
	a.console = console;
	a.notify = notify;
	a.nsfds = nsfds;
	a.lockfd = lockfd;
	a.preserve_fds = o->preserve_fds;
	a.no_pivot = o->no_pivot;
	a.no_new_keyring = o->no_new_keyring;
	a.userns = userns;
	a.intermediate = intermediate;
	a.state_json = hook_state;

	if (intermediate) {
		child = raw_clone(0);
	} else {
		unsigned long flags = 0;

		for (size_t i = 0; i < c->spec->nnamespaces; i++)
			if (!c->spec->namespaces[i].path &&
			    c->spec->namespaces[i].type != CLONE_NEWCGROUP)
				flags |= (unsigned long)c->spec->namespaces[i].type;
		child = raw_clone(flags);
	}
	if (child < 0) {
		bh_error_sys(err, errno, "clone");
		goto out;
	}
	if (child == 0) {
		close(sv[0]);
		close(a.lockfd);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		/* nothing inherited from our caller reaches the container */
		syscall(SYS_close_range, 3 + a.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
		for (unsigned i = 0; i < a.preserve_fds; i++)
			fcntl(3 + (int)i, F_SETFD, 0);
		if (intermediate)
			intermediate_stage(&a);
		init_stage(&a);
	}
	close(sv[1]);
	sv[1] = -1;
	init = intermediate ? -1 : child;
	if (!intermediate && userns && write_maps(child, c->spec, err) < 0)
		goto fail_child;
	for (;;) {
		struct rt_sync_msg m;

		if (init > 0 && c->pid == 0) {
			/* the init exists: record it, put it in its cgroups, idmapped
			 * mounts, then let it go */
			c->pid = init;
			json_object_set_new(c->state, "pid", json_integer(init));
			json_object_set_new(
				c->state, "pid_start",
				json_integer((json_int_t)rt_proc_starttime(init, NULL)));
			/* without the pid on record, nothing could stop the container later */
			if (rt_state_write(c->dir, c->state, err) < 0)
				goto fail_child;
			if (rt_cgroup_enter(&c->cg, init, err) < 0)
				goto fail_child;
			{
				int idfds[64];
				size_t nid = 0;

				for (size_t i = 0; i < c->spec->nmounts && nid < 64; i++)
					if (c->spec->mounts[i].idmap) {
						idfds[nid] = rt_mount_idmapped(&c->spec->mounts[i],
									       init, err);
						if (idfds[nid] < 0)
							goto fail_child;
						nid++;
					}
				if (nid) {
					int x = rt_sync_send_fds(sv[0], SYNC_MOUNTFDS, idfds, nid);

					for (size_t i = 0; i < nid; i++)
						close(idfds[i]);
					if (x < 0) {
						bh_error_sys(err, errno, "sending idmapped mounts");
						goto fail_child;
					}
				}
			}
			if (rt_sync_send(sv[0], SYNC_GO, 0, NULL) < 0) {
				bh_error_sys(err, errno, "the container's init went away");
				goto fail_child;
			}
		}
		if (rt_sync_recv(sv[0], &m, NULL, NULL) < 0) {
			bh_error_set(err, BH_ERR_IO, "the container's init exited during create");
			goto fail_child;
		}
		if (m.type == SYNC_ERROR) {
			bh_error_set(err,
				     m.value == EPERM || m.value == EACCES ? BH_ERR_IO
									   : BH_ERR_INVALID,
				     "%s", m.text);
			goto fail_child;
		}
		if (m.type == SYNC_USERMAP) {
			if (write_maps(child, c->spec, err) < 0)
				goto fail_child;
			rt_sync_send(sv[0], SYNC_GO, 0, NULL);
			continue;
		}
		if (m.type == SYNC_PID) {
			init = m.value;
			waitpid(child, NULL, 0);
			continue;
		}
		if (m.type == SYNC_HOOKS) {
			char *st = state_for_hooks(id, c->pid, bundle, "creating",
						   json_object_get(c->state, "annotations"));
			int x = rt_hooks_run(c->spec, BH_HOOK_PRESTART, st, 0, err);

			if (x == 0)
				x = rt_hooks_run(c->spec, BH_HOOK_CREATE_RUNTIME, st, 0, err);
			if (x == 0)
				x = rt_hooks_run(c->spec, BH_HOOK_CREATE_CONTAINER, st, c->pid,
						 err);
			free(st);
			if (x < 0)
				goto fail_child;
			rt_sync_send(sv[0], SYNC_GO, 0, NULL);
			continue;
		}
		if (m.type == SYNC_READY)
			break;
	}
	json_object_set_new(c->state, "status", json_string("created"));
	if (rt_state_write(c->dir, c->state, err) < 0)
		goto fail_child;
	if (o->pid_file) {
		char pid[24];

		snprintf(pid, sizeof(pid), "%d", (int)c->pid);
		if (bh_write_file_atomic(o->pid_file, pid, strlen(pid), 0644, err) < 0)
			goto fail_child;
	}
	r = 0;
	goto out;
fail_child:
	if (init > 0)
		kill(init, SIGKILL);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	if (init > 0 && init != child)
		waitpid(init, NULL, 0);
out:
	if (r < 0) {
		if (c->supervisor > 0)
			kill(c->supervisor, SIGKILL);
		if (cg_made)
			rt_cgroup_destroy(&c->cg, NULL);
		if (dir_made)
			bh_remove_tree(AT_FDCWD, c->dir, NULL);
	}
	if (lockfd >= 0)
		close(lockfd);
	for (size_t i = 0; nsfds && i < c->spec->nnamespaces; i++)
		if (nsfds[i] >= 0)
			close(nsfds[i]);
	free(nsfds);
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	if (procfd >= 0)
		close(procfd);
	if (fifofd >= 0)
		close(fifofd);
	if (console >= 0)
		close(console);
	if (notify >= 0)
		close(notify);
	rt_filter_release(&filter);
	bh_buf_release(&raw);
	free(hook_state);
	free(bundle);
	free(rootfs);
	free(cfgpath);
	free(fifo);
	free(p);
	return r;
}

int bh_rt_create(const struct bh_rt_ctx *ctx, const char *id, const struct bh_rt_create_opts *o,
		 struct bh_error **err)
{
	struct created c;
	int r = do_create(ctx, id, o, false, &c, err);

	created_release(&c);
	return r;
}

/* ---- start ------------------------------------------------------------------ */

/* Open the fifo: the init continues; wait until it has exec'd (the fifo
 * closes) or reports an error. */
static int release_init(const char *dir, pid_t pid, struct bh_error **err)
{
	char *fifo = bh_asprintf("%s/exec.fifo", dir);
	struct pollfd pfd[2];
	char buf[1100];
	size_t got = 0;
	int fd, pidfd, r = -1;

	fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			bh_error_set(err, BH_ERR_USAGE, "the container was already started");
		else
			bh_error_sys(err, errno, "opening %s", fifo);
		free(fifo);
		return -1;
	}
	pidfd = rt_pidfd_open(pid);
	for (;;) {
		ssize_t n;
		int pr;

		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = pidfd;
		pfd[1].events = POLLIN;
		pr = poll(pfd, pidfd >= 0 ? 2 : 1, 30000);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			bh_error_set(err, BH_ERR_IO, "the container did not start within 30 s");
			goto out;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			n = read(fd, buf + got, sizeof(buf) - 1 - got);
			if (n > 0) {
				got += (size_t)n;
				if (got < sizeof(buf) - 1)
					continue;
			}
			if (n < 0 && errno == EAGAIN)
				continue;
			break;
		}
		if (pidfd >= 0 && (pfd[1].revents & POLLIN)) {
			/* exited: drain what it wrote */
			n = read(fd, buf + got, sizeof(buf) - 1 - got);
			if (n > 0)
				got += (size_t)n;
			if (!got) {
				bh_error_set(err, BH_ERR_IO,
					     "the container's init exited before start");
				goto out;
			}
			break;
		}
	}
	buf[got] = 0;
	unlink(fifo);
	if (got && buf[0] == 'E') {
		bh_error_set(err, BH_ERR_IO, "starting the container: %s", buf + 1);
		goto out;
	}
	r = 0;
out:
	if (pidfd >= 0)
		close(pidfd);
	close(fd);
	free(fifo);
	return r;
}

static int spec_from_state_dir(const char *dir, struct bh_rt_spec **spec, struct bh_error **err)
{
	return bh_rt_spec_load(dir, spec, err);
}

static int start_locked(const struct bh_rt_ctx *ctx, const char *id, json_t *st,
			struct bh_rt_spec *spec, const char *dir, struct bh_error **err)
{
	const char *status = rt_state_status(ctx, id, st);
	json_int_t pid = 0;

	if (strcmp(status, "created"))
		return bh_error_set(err, BH_ERR_USAGE, "container %s is %s, not created", id,
				    status);
	bh_json_int(st, "pid", &pid);
	if (release_init(dir, (pid_t)pid, err) < 0)
		return -1;
	json_object_set_new(st, "status", json_string("running"));
	/* the process runs whatever the file says: the status is derived from it, not read */
	{
		struct bh_error *e = NULL;

		if (rt_state_write(dir, st, &e) < 0)
			bh_error_warn(
				&e, "container %s started, but its state file was not updated", id);
	}
	if (spec && spec->hooks[BH_HOOK_POSTSTART].n) {
		char *s = json_dumps(st, JSON_COMPACT);
		struct bh_error *e = NULL;

		if (rt_hooks_run(spec, BH_HOOK_POSTSTART, s, 0, &e) < 0)
			bh_error_warn(&e, "poststart hook");
		free(s);
	}
	return 0;
}

int bh_rt_start(const struct bh_rt_ctx *ctx, const char *id, struct bh_error **err)
{
	struct bh_rt_spec *spec = NULL;
	json_t *st = NULL;
	char *dir = NULL;
	int lockfd = -1, r = -1;

	if (rt_state_read(ctx, id, &st, err) < 0)
		return -1;
	dir = rt_state_dir(ctx, id);
	lockfd = rt_state_lock(dir, err);
	if (lockfd < 0)
		goto out;
	spec_from_state_dir(dir, &spec, NULL);
	r = start_locked(ctx, id, st, spec, dir, err);
out:
	if (lockfd >= 0)
		close(lockfd);
	bh_rt_spec_free(spec);
	json_decref(st);
	free(dir);
	return r;
}

/* ---- kill, delete --------------------------------------------------------------- */

static int load_cgroup(json_t *st, struct rt_cgroup *cg, struct bh_error **err)
{
	json_t *j = json_object_get(st, "cgroup");

	memset(cg, 0, sizeof(*cg));
	if (!j)
		return 0;
	return rt_cgroup_from_json(j, cg, err);
}

/* Signal the init through a pidfd, after checking it is still our process. */
static int signal_init(json_t *st, int sig, struct bh_error **err)
{
	json_int_t pid = 0, start = 0;
	int fd, r;

	bh_json_int(st, "pid", &pid);
	bh_json_int(st, "pid_start", &start);
	if (pid <= 0)
		return bh_error_set(err, BH_ERR_USAGE, "the container has no process");
	fd = rt_pidfd_open((pid_t)pid);
	if (fd < 0)
		return bh_error_sys(err, errno, "the container's process %lld", (long long)pid);
	if (rt_proc_starttime((pid_t)pid, NULL) != (uint64_t)start) {
		close(fd);
		return bh_error_set(err, BH_ERR_USAGE, "the container's process is gone");
	}
	r = rt_pidfd_send_signal(fd, sig);
	if (r < 0)
		r = bh_error_sys(err, errno, "signalling the container");
	close(fd);
	return r;
}

static void signal_all(const struct rt_cgroup *cg, int sig)
{
	pid_t *pids = NULL;
	size_t n = 0;

	if (rt_cgroup_pids(cg, &pids, &n, NULL) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		kill(pids[i], sig);
	free(pids);
}

int bh_rt_kill(const struct bh_rt_ctx *ctx, const char *id, int sig, bool all,
	       struct bh_error **err)
{
	json_t *st;
	const char *status;
	int r = -1;

	if (rt_state_read(ctx, id, &st, err) < 0)
		return -1;
	status = rt_state_status(ctx, id, st);
	if (!strcmp(status, "stopped") || !strcmp(status, "creating")) {
		bh_error_set(err, BH_ERR_USAGE, "container %s is not running", id);
		goto out;
	}
	if (all) {
		struct rt_cgroup cg;

		if (load_cgroup(st, &cg, err) < 0)
			goto out;
		if (!strcmp(status, "paused") && (sig == SIGKILL || sig == SIGTERM)) {
			signal_all(&cg, sig);
			rt_cgroup_freeze(&cg, false, NULL);
		}
		signal_all(&cg, sig);
		rt_cgroup_release(&cg);
		r = 0;
	} else {
		r = signal_init(st, sig, err);
	}
out:
	json_decref(st);
	return r;
}

/* Wait (up to ms) for the process to be gone. */
static bool wait_gone(pid_t pid, uint64_t start, int ms)
{
	int fd = rt_pidfd_open(pid);

	if (fd < 0)
		return true;
	if (rt_proc_starttime(pid, NULL) != start) {
		close(fd);
		return true;
	}
	{
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, ms);

		close(fd);
		return r > 0;
	}
}

int bh_rt_delete(const struct bh_rt_ctx *ctx, const char *id, bool force, struct bh_error **err)
{
	struct bh_rt_spec *spec = NULL;
	struct rt_cgroup cg = { 0 };
	json_t *st = NULL;
	char *dir;
	const char *status;
	int lockfd = -1, r = -1;

	if (bh_rt_id_check(id, err) < 0)
		return -1;
	dir = rt_state_dir(ctx, id);
	if (rt_state_read(ctx, id, &st, err) < 0) {
		struct stat sb;

		if (force && stat(dir, &sb) == 0) {
			/* a runtime died mid-create: no state to trust, remove what is there */
			bh_error_clear(err);
			r = bh_remove_tree(AT_FDCWD, dir, err);
		} else if (force && bh_error_code(err ? *err : NULL) == BH_ERR_NOTFOUND) {
			bh_error_clear(err);
			r = 0;
		}
		free(dir);
		return r;
	}
	lockfd = rt_state_lock(dir, err);
	if (lockfd < 0)
		goto out;
	status = rt_state_status(ctx, id, st);
	if ((!strcmp(status, "running") || !strcmp(status, "paused")) && !force) {
		bh_error_set(err, BH_ERR_USAGE,
			     "container %s is %s: stop it first or use delete --force", id, status);
		goto out;
	}
	if (load_cgroup(st, &cg, err) < 0)
		goto out;
	if (strcmp(status, "stopped")) {
		json_int_t pid = 0, start = 0;

		bh_json_int(st, "pid", &pid);
		bh_json_int(st, "pid_start", &start);
		signal_all(&cg, SIGKILL);
		if (!strcmp(status, "paused"))
			rt_cgroup_freeze(&cg, false, NULL);
		if (pid > 0) {
			signal_init(st, SIGKILL, NULL);
			if (!wait_gone((pid_t)pid, (uint64_t)start, 10000))
				bh_warn("container %s: the init did not exit after SIGKILL", id);
		}
	}
	/* whatever is left in the cgroups (a runtime killed during create) */
	for (int i = 0; i < 50; i++) {
		pid_t *pids = NULL;
		size_t n = 0;

		if (rt_cgroup_pids(&cg, &pids, &n, NULL) < 0 || !n) {
			free(pids);
			break;
		}
		for (size_t k = 0; k < n; k++)
			kill(pids[k], SIGKILL);
		free(pids);
		{
			struct timespec ts = { 0, 10000000 };

			nanosleep(&ts, NULL);
		}
	}
	{
		json_int_t sup = 0;

		if (bh_json_int(st, "supervisor_pid", &sup) && sup > 0)
			kill((pid_t)sup, SIGKILL);
	}
	if (spec_from_state_dir(dir, &spec, NULL) == 0 && spec->hooks[BH_HOOK_POSTSTOP].n) {
		json_t *pub = rt_state_public(ctx, id, st);
		char *s = json_dumps(pub, JSON_COMPACT);
		struct bh_error *e = NULL;

		if (rt_hooks_run(spec, BH_HOOK_POSTSTOP, s, 0, &e) < 0)
			bh_error_warn(&e, "poststop hook");
		free(s);
		json_decref(pub);
	}
	if (rt_cgroup_destroy(&cg, err) < 0)
		goto out;
	if (bh_remove_tree(AT_FDCWD, dir, err) < 0)
		goto out;
	r = 0;
out:
	if (lockfd >= 0)
		close(lockfd);
	rt_cgroup_release(&cg);
	bh_rt_spec_free(spec);
	json_decref(st);
	free(dir);
	return r;
}

/* ---- ps, pause, resume ---------------------------------------------------------------- */

int bh_rt_ps(const struct bh_rt_ctx *ctx, const char *id, pid_t **pids, size_t *npids,
	     struct bh_error **err)
{
	struct rt_cgroup cg;
	json_t *st;
	int r;

	*pids = NULL;
	*npids = 0;
	if (rt_state_read(ctx, id, &st, err) < 0)
		return -1;
	r = load_cgroup(st, &cg, err);
	if (r == 0)
		r = rt_cgroup_pids(&cg, pids, npids, err);
	rt_cgroup_release(&cg);
	json_decref(st);
	return r;
}

static int freeze(const struct bh_rt_ctx *ctx, const char *id, bool on, struct bh_error **err)
{
	struct rt_cgroup cg;
	json_t *st;
	const char *status;
	int r = -1;

	if (rt_state_read(ctx, id, &st, err) < 0)
		return -1;
	status = rt_state_status(ctx, id, st);
	if (on && strcmp(status, "running")) {
		bh_error_set(err, BH_ERR_USAGE, "container %s is %s, not running", id, status);
		goto out;
	}
	if (!on && strcmp(status, "paused")) {
		bh_error_set(err, BH_ERR_USAGE, "container %s is %s, not paused", id, status);
		goto out;
	}
	if (load_cgroup(st, &cg, err) < 0)
		goto out;
	r = rt_cgroup_freeze(&cg, on, err);
	rt_cgroup_release(&cg);
out:
	json_decref(st);
	return r;
}

int bh_rt_pause(const struct bh_rt_ctx *ctx, const char *id, struct bh_error **err)
{
	return freeze(ctx, id, true, err);
}

int bh_rt_resume(const struct bh_rt_ctx *ctx, const char *id, struct bh_error **err)
{
	return freeze(ctx, id, false, err);
}

/* ---- run ----------------------------------------------------------------------------- */

static volatile pid_t run_pid;

static void forward_signal(int sig)
{
	if (run_pid > 0)
		kill(run_pid, sig);
}

int bh_rt_run(const struct bh_rt_ctx *ctx, const char *id, const struct bh_rt_create_opts *o,
	      bool detach, bool keep, int *status, struct bh_error **err)
{
	static const int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
	struct sigaction sa = { .sa_handler = forward_signal };
	struct rt_tty tty = { .master = -1 };
	struct created c;
	int ws = 0, px = 0, r = -1;
	pid_t w;

	*status = 0;
	if (do_create(ctx, id, o, !detach, &c, err) < 0)
		goto out_nodel;
	if (c.tty >= 0) {
		/* process.terminal without a console socket: the pty is ours to proxy */
		int master = rt_tty_recv_master(c.tty, err);

		if (master < 0 ||
		    rt_tty_begin(&tty, master, STDIN_FILENO, STDOUT_FILENO, err) < 0) {
			rt_tty_end(&tty);
			bh_rt_delete(ctx, id, true, NULL);
			goto out_nodel;
		}
	}
	run_pid = c.pid;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		sigaction(fwd[i], &sa, NULL);
	if (start_locked(ctx, id, c.state, c.spec, c.dir, err) < 0) {
		rt_tty_end(&tty);
		bh_rt_delete(ctx, id, true, NULL);
		goto out_nodel;
	}
	if (detach) {
		r = 0;
		goto out_nodel;
	}
	if (tty.master >= 0 && (px = rt_tty_proxy(&tty, c.pid, err)) < 0)
		kill(c.pid, SIGKILL);
	rt_tty_end(&tty);
	do
		w = waitpid(c.pid, &ws, 0);
	while (w < 0 && errno == EINTR);
	run_pid = 0;
	if (w < 0) {
		bh_error_sys(err, errno, "waiting for the container");
	} else if (px == 0) {
		*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
		r = 0;
	}
	if (!keep && bh_rt_delete(ctx, id, true, r < 0 ? NULL : err) < 0)
		r = -1;
out_nodel:
	created_release(&c);
	return r;
}
