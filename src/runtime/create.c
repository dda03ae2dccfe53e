/* SPDX-License-Identifier: Apache-2.0 */
/*
 * create, the runtime's side, in named phases:
 *
 *   load_bundle      config.json read, parsed and checked; the rootfs resolved
 *   rt_policy_admit  the policy (policy.c): refused here, nothing was made
 *   rt_measure       org.bulkhead.measure=true: the launch extended into a TPM
 *                    PCR and its event log (measure.c), before it exists
 *   open_namespaces  linux.namespaces[].path opened and checked (nsfs, type)
 *   make_state       <root>/<id> made and locked, the config copied, state.json
 *                    (status "creating"), the cgroups made and written
 *   rt_vtpm_start    org.bulkhead.vtpm=true: its swtpm, EK certificate, /run/vtpm
 *                    (vtpm.c)
 *   prepare_init     the exec fifo, the console, the mount supervisor
 *   spawn_init       clone(2) into the new namespaces (init.c runs there)
 *   drive_init       the sync loop: uid/gid maps, the pid recorded, cgroup.procs,
 *                    idmapped mounts, the create hooks, until READY
 *   finish_create    status "created", the pid file
 *
 *   runtime ──clone(new namespaces)──▶ init: [GO] setns paths, cgroupns,
 *      │  uid/gid maps, cgroup.procs        mounts, pivot_root, console
 *      │◀──────────── SYNC_HOOKS / SYNC_READY ───┘
 *   state.json (created)           init blocks opening exec.fifo for writing
 *
 * Every check that can refuse a bundle runs before any state exists; after
 * that a failure kills what was started and removes what was made.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/magic.h>
#include <linux/nsfs.h>

#include "bulkhead/base.h"
#include "bulkhead/runtime.h"
#include "devices_bpf.h"
#include "internal.h"
#include "banned.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

void rt_created_release(struct rt_created *c)
{
	if (c->tty >= 0)
		close(c->tty);
	free(c->dir);
	rt_cgroup_release(&c->cg);
	bh_rt_spec_free(c->spec);
	json_decref(c->state);
	memset(c, 0, sizeof(*c));
	c->tty = -1;
}

static pid_t raw_clone(unsigned long flags)
{
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
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

/* The hardening report (state.json "hardening"); "devices" is added once the cgroups exist. */
static json_t *hardening_report(const struct bh_rt_ctx *ctx, const struct bh_rt_spec *s,
				const struct rt_cgroup *cg)
{
	json_t *deny = json_array(), *allowed = json_array(), *masked = json_array(),
	       *ro = json_array(), *h;
	char ll[128];
	int abi = rt_landlock_abi();

	for (size_t i = 0; bh_rt_deny_list[i]; i++) {
		bool ok = false;

		for (char *const *p = ctx->allow_dangerous; p && *p; p++)
			if (!strcmp(*p, bh_rt_deny_list[i]))
				ok = true;
		json_array_append_new(ok ? allowed : deny, json_string(bh_rt_deny_list[i]));
	}
	for (size_t i = 0; rt_mandatory_masked[i]; i++)
		json_array_append_new(masked, json_string(rt_mandatory_masked[i]));
	for (size_t i = 0; rt_mandatory_readonly[i]; i++)
		json_array_append_new(ro, json_string(rt_mandatory_readonly[i]));
	if (s->nlandlock_ro || s->nlandlock_rw)
		snprintf(ll, sizeof(ll), "abi %d, %zu read-only and %zu read-write paths", abi,
			 s->nlandlock_ro, s->nlandlock_rw);
	else
		snprintf(ll, sizeof(ll), "off (kernel ABI %d available)", abi);
	h = json_pack("{s:s, s:o, s:o, s:s, s:s, s:s, s:o, s:o, s:s, s:s}", "seccomp",
		      s->seccomp ? "bundle profile + deny-list"
				 : "bulkhead default profile + deny-list",
		      "denylist", deny, "allowedDangerous", allowed, "mounts",
		      s->mounts_mode == BH_MOUNTS_SUPERVISED ? "supervised" : "denied", "landlock",
		      ll, "reexec", bh_rt_is_sealed() ? "sealed memfd" : "off", "maskedPaths",
		      masked, "readonlyPaths", ro, "mountNamespace",
		      "its own (required: a config without one is refused)", "cgroup",
		      cg->layout == RT_CG_V2	   ? "v2"
		      : cg->layout == RT_CG_HYBRID ? "hybrid (v1 + unified)"
						   : "v1");
	return h;
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

/* Everything a create holds while it runs; released by create_job_release. */
struct create_job {
	const struct bh_rt_ctx *ctx;
	const char *id;
	const struct bh_rt_create_opts *o;
	bool own_tty;
	struct rt_created *c;
	struct bh_buf raw; /* config.json as read, copied into the state directory */
	json_t *policy;	   /* the policy's decision, kept in the state's hardening report */
	char *bundle, *rootfs;
	struct rt_filter filter;
	struct rt_init_args a;
	int sv[2], procfd, fifofd, console, notify, lockfd;
	int *nsfds;
	bool dir_made, cg_made, userns, intermediate;
	pid_t child, init;
};

/* config.json read, parsed and checked; the rootfs resolved to a directory. */
static int load_bundle(struct create_job *j, struct bh_error **err)
{
	struct rt_created *c = j->c;
	const char *b = j->o->bundle ? j->o->bundle : ".";
	char *cfgpath, *p;
	struct stat st;
	int r = -1;

	j->bundle = realpath(b, NULL);
	if (!j->bundle)
		return bh_error_sys(err, errno, "bundle %s", b);
	cfgpath = bh_asprintf("%s/config.json", j->bundle);
	if (bh_read_file(cfgpath, &j->raw, err) < 0 ||
	    bh_rt_spec_parse(j->raw.data ? j->raw.data : "", j->raw.len, &c->spec, err) < 0) {
		free(cfgpath);
		return bh_error_prefix(err, "bundle %s", j->bundle);
	}
	free(cfgpath);
	if (check_spec(c->spec, err) < 0)
		return -1;
	p = c->spec->root_path[0] == '/' ? bh_strdup(c->spec->root_path)
					 : bh_asprintf("%s/%s", j->bundle, c->spec->root_path);
	j->rootfs = realpath(p, NULL);
	if (!j->rootfs) {
		bh_error_sys(err, errno, "root.path %s", p);
		goto out;
	}
	if (stat(j->rootfs, &st) < 0 || !S_ISDIR(st.st_mode)) {
		bh_error_set(err, BH_ERR_INVALID, "root.path %s is not a directory", j->rootfs);
		goto out;
	}
	j->a.root_dev = st.st_dev;
	j->a.root_ino = st.st_ino;
	for (size_t i = 0; i < c->spec->nnamespaces; i++)
		if (c->spec->namespaces[i].type == CLONE_NEWUSER && !c->spec->namespaces[i].path)
			j->userns = true;
	r = 0;
out:
	free(p);
	return r;
}

/* The namespaces to join, opened and checked before any state exists. */
static int open_namespaces(struct create_job *j, struct bh_error **err)
{
	const struct bh_rt_spec *s = j->c->spec;

	j->nsfds = bh_calloc(s->nnamespaces + 1, sizeof(int));
	for (size_t i = 0; i < s->nnamespaces; i++)
		j->nsfds[i] = -1;
	for (size_t i = 0; i < s->nnamespaces; i++) {
		const struct bh_rt_ns *ns = &s->namespaces[i];

		if (!ns->path)
			continue;
		j->nsfds[i] = open_ns(ns, err);
		if (j->nsfds[i] < 0)
			return -1;
		if (ns->type == CLONE_NEWUSER || ns->type == CLONE_NEWPID || j->userns)
			j->intermediate = true;
		if (ns->type == CLONE_NEWNS)
			j->a.joined_mntns = true;
	}
	/* the time offsets are written by the process that unshares the namespace */
	if (bh_rt_spec_has_ns(s, CLONE_NEWTIME))
		j->intermediate = true;
	return 0;
}

/*
 * <root>/<id> made and locked (an existing one: the container exists), the
 * config copied beside the state, state.json written with status "creating",
 * the cgroups made and their resources written.
 */
static int make_state(struct create_job *j, struct bh_error **err)
{
	struct rt_created *c = j->c;
	char created_at[BH_TIME_MAX], *copy;
	int r;

	c->dir = rt_state_dir(j->ctx, j->id);
	if (mkdir(c->dir, 0700) < 0) {
		if (errno == EEXIST)
			return bh_error_set(err, BH_ERR_USAGE, "container %s already exists",
					    j->id);
		return bh_error_sys(err, errno, "creating %s", c->dir);
	}
	j->dir_made = true;
	j->lockfd = rt_state_lock(c->dir, err);
	if (j->lockfd < 0)
		return -1;
	bh_time_rfc3339(NULL, 9, created_at);
	c->state = json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:o, s:o}",
			     "ociVersion", BH_RT_OCI_VERSION, "id", j->id, "status", "creating",
			     "pid", 0, "pid_start", 0, "bundle", j->bundle, "rootfs", j->rootfs,
			     "created", created_at, "owner", "", "hardening",
			     hardening_report(j->ctx, c->spec, &c->cg), "cgroup",
			     rt_cgroup_to_json(&c->cg));
	if (!c->state)
		return bh_error_set(err, BH_ERR_INTERNAL, "building the state");
	/* runtime-spec: the state's annotations are the config's, unchanged */
	if (c->spec->annotations)
		json_object_set(c->state, "annotations", c->spec->annotations);
	if (j->policy)
		json_object_set(json_object_get(c->state, "hardening"), "policy", j->policy);
	copy = bh_asprintf("%s/config.json", c->dir);
	r = bh_write_file_atomic(copy, j->raw.data, j->raw.len, 0600, err);
	free(copy);
	if (r < 0 || rt_state_write(c->dir, c->state, err) < 0)
		return -1;
	j->cg_made = true;
	if (rt_cgroup_create(&c->cg, c->spec, err) < 0)
		return -1;
	{
		char *dev = rt_devices_status(&c->cg);

		json_object_set_new(json_object_get(c->state, "hardening"), "devices",
				    json_string(dev));
		free(dev);
	}
	return 0;
}

/* The exec fifo the init blocks on, the console, the supervisor of mount calls. */
static int prepare_init(struct create_job *j, struct bh_error **err)
{
	struct rt_created *c = j->c;
	char *fifo = bh_asprintf("%s/exec.fifo", c->dir);
	int r = -1;

	/* 0600 whatever the umask: only the init (the owner, the mapped root
	 * with a user namespace) writes it, and its directory may be enterable
	 * (0711 for a vTPM with a user namespace) */
	if (mkfifo(fifo, 0600) < 0 || chmod(fifo, 0600) < 0) {
		bh_error_sys(err, errno, "creating %s", fifo);
		goto out;
	}
	if (j->userns && chown(fifo, host_root_uid(c->spec), (gid_t)-1) < 0) {
		bh_error_sys(err, errno, "chown %s", fifo);
		goto out;
	}
	j->fifofd = open(fifo, O_PATH | O_CLOEXEC);
	j->procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (j->fifofd < 0 || j->procfd < 0) {
		bh_error_sys(err, errno, "opening %s", fifo);
		goto out;
	}
	if (c->spec->process.terminal) {
		if (j->o->console_socket) {
			j->console = connect_unix(j->o->console_socket, err);
			if (j->console < 0)
				goto out;
		} else if (j->own_tty) {
			int tsv[2];

			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tsv) < 0) {
				bh_error_sys(err, errno, "socketpair for the terminal");
				goto out;
			}
			c->tty = tsv[0];
			j->console = tsv[1];
		} else {
			bh_error_set(err, BH_ERR_USAGE,
				     "process.terminal is true: --console-socket is required (only "
				     "a 'run' in the foreground makes the terminal itself)");
			goto out;
		}
	}
	if (j->filter.listener) {
		/* the supervisor's counts of refused calls (protect), beside the state */
		char *cpath = bh_asprintf("%s/" RT_DENIALS_FILE, c->dir);
		int cfd = open(cpath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (cfd < 0 || ftruncate(cfd, (off_t)RT_DENIALS_SIZE) < 0) {
			bh_error_sys(err, errno, "creating %s", cpath);
			if (cfd >= 0)
				close(cfd);
			free(cpath);
			goto out;
		}
		free(cpath);
		j->notify = rt_notify_supervisor_start(
			cfd, c->spec->mounts_mode == BH_MOUNTS_SUPERVISED, &c->supervisor, err);
		close(cfd);
		if (j->notify < 0)
			goto out;
		json_object_set_new(c->state, "supervisor_pid", json_integer(c->supervisor));
	}
	r = 0;
out:
	free(fifo);
	return r;
}

/* clone(2) into the new namespaces (or the intermediate, which makes them). */
static int spawn_init(struct create_job *j, struct bh_error **err)
{
	struct rt_created *c = j->c;
	struct rt_init_args *a = &j->a;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, j->sv) < 0)
		return bh_error_sys(err, errno, "socketpair");
	a->spec = c->spec;
	a->rootfs = j->rootfs;
	a->id = j->id;
	a->cg = &c->cg;
	a->filter = &j->filter;
	a->sync = j->sv[1];
	a->sync_parent = j->sv[0];
	a->procfd = j->procfd;
	a->fifo_path = j->fifofd;
	a->console = j->console;
	a->notify = j->notify;
	a->nsfds = j->nsfds;
	a->lockfd = j->lockfd;
	a->preserve_fds = j->o->preserve_fds;
	a->no_pivot = j->o->no_pivot;
	a->no_new_keyring = j->o->no_new_keyring;
	a->userns = j->userns;
	a->intermediate = j->intermediate;
	a->bundle = j->bundle;
	if (j->intermediate) {
		j->child = raw_clone(0);
	} else {
		unsigned long flags = 0;

		for (size_t i = 0; i < c->spec->nnamespaces; i++)
			if (!c->spec->namespaces[i].path &&
			    c->spec->namespaces[i].type != CLONE_NEWCGROUP)
				flags |= (unsigned long)c->spec->namespaces[i].type;
		j->child = raw_clone(flags);
	}
	if (j->child < 0)
		return bh_error_sys(err, errno, "clone");
	if (j->child == 0)
		rt_init_main(a);
	close(j->sv[1]);
	j->sv[1] = -1;
	j->init = j->intermediate ? -1 : j->child;
	if (!j->intermediate && j->userns && write_maps(j->child, c->spec, err) < 0)
		return -1;
	return 0;
}

/* The init exists: its pid on record, in its cgroups, its idmapped mounts; then GO. */
static int release_new_init(struct create_job *j, struct bh_error **err)
{
	struct rt_created *c = j->c;
	int idfds[64];
	size_t nid = 0;

	c->pid = j->init;
	json_object_set_new(c->state, "pid", json_integer(j->init));
	json_object_set_new(c->state, "pid_start",
			    json_integer((json_int_t)rt_proc_starttime(j->init, NULL)));
	/* without the pid on record, nothing could stop the container later */
	if (rt_state_write(c->dir, c->state, err) < 0)
		return -1;
	if (rt_cgroup_enter(&c->cg, j->init, err) < 0 || rt_learn_arm(j->id, c, err) < 0)
		return -1;
	for (size_t i = 0; i < c->spec->nmounts && nid < 64; i++) {
		if (!c->spec->mounts[i].idmap)
			continue;
		idfds[nid] = rt_mount_idmapped(&c->spec->mounts[i], j->init, err);
		if (idfds[nid] < 0) {
			while (nid)
				close(idfds[--nid]);
			return -1;
		}
		nid++;
	}
	if (nid) {
		int x = rt_sync_send_fds(j->sv[0], SYNC_MOUNTFDS, idfds, nid);

		for (size_t i = 0; i < nid; i++)
			close(idfds[i]);
		if (x < 0)
			return bh_error_sys(err, errno, "sending idmapped mounts");
	}
	if (rt_sync_send(j->sv[0], SYNC_GO, 0, NULL) < 0)
		return bh_error_sys(err, errno, "the container's init went away");
	return 0;
}

/* prestart, createRuntime (here) and createContainer (in the container's mount namespace). */
static int run_create_hooks(struct create_job *j, struct bh_error **err)
{
	struct rt_created *c = j->c;
	char *st = rt_state_for_hooks(j->id, c->pid, j->bundle, "creating", c->spec->annotations);
	int x = rt_hooks_run(c->spec, BH_HOOK_PRESTART, st, 0, err);

	if (x == 0)
		x = rt_hooks_run(c->spec, BH_HOOK_CREATE_RUNTIME, st, 0, err);
	if (x == 0)
		x = rt_hooks_run(c->spec, BH_HOOK_CREATE_CONTAINER, st, c->pid, err);
	free(st);
	return x;
}

/* The runtime's side of the sync channel, until the init is READY. */
static int drive_init(struct create_job *j, struct bh_error **err)
{
	struct rt_created *c = j->c;

	for (;;) {
		struct rt_sync_msg m;

		if (j->init > 0 && c->pid == 0 && release_new_init(j, err) < 0)
			return -1;
		if (rt_sync_recv(j->sv[0], &m, NULL, NULL) < 0)
			return bh_error_set(err, BH_ERR_IO,
					    "the container's init exited during create");
		switch (m.type) {
		case SYNC_ERROR:
			return bh_error_set(err,
					    m.value == EPERM || m.value == EACCES ? BH_ERR_IO
										  : BH_ERR_INVALID,
					    "%s", m.text);
		case SYNC_USERMAP:
			if (write_maps(j->child, c->spec, err) < 0)
				return -1;
			rt_sync_send(j->sv[0], SYNC_GO, 0, NULL);
			break;
		case SYNC_PID:
			j->init = m.value;
			waitpid(j->child, NULL, 0);
			break;
		case SYNC_HOOKS:
			if (run_create_hooks(j, err) < 0)
				return -1;
			rt_sync_send(j->sv[0], SYNC_GO, 0, NULL);
			break;
		case SYNC_READY: return 0;
		default: break;
		}
	}
}

/* Status "created" on record, the pid file written. */
static int finish_create(struct create_job *j, struct bh_error **err)
{
	struct rt_created *c = j->c;
	char pid[24];

	json_object_set_new(c->state, "status", json_string("created"));
	if (rt_state_write(c->dir, c->state, err) < 0)
		return -1;
	if (!j->o->pid_file)
		return 0;
	snprintf(pid, sizeof(pid), "%d", (int)c->pid);
	return bh_write_file_atomic(j->o->pid_file, pid, strlen(pid), 0644, err);
}

/* A failed create: its processes killed, its cgroups and state removed. */
static void undo_create(struct create_job *j)
{
	struct rt_created *c = j->c;

	if (j->init > 0)
		kill(j->init, SIGKILL);
	if (j->child > 0) {
		kill(j->child, SIGKILL);
		waitpid(j->child, NULL, 0);
	}
	if (j->init > 0 && j->init != j->child)
		waitpid(j->init, NULL, 0);
	if (c->supervisor > 0)
		kill(c->supervisor, SIGKILL);
	rt_learn_undo(j->id, c->state);
	rt_vtpm_stop(c->state);
	if (j->cg_made)
		rt_cgroup_destroy(&c->cg, NULL);
	if (j->dir_made)
		bh_remove_tree(AT_FDCWD, c->dir, NULL);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void create_job_release(struct create_job *j)
{
	for (size_t i = 0; j->nsfds && i < j->c->spec->nnamespaces; i++)
		close_fd(&j->nsfds[i]);
	free(j->nsfds);
	close_fd(&j->lockfd);
	close_fd(&j->sv[0]);
	close_fd(&j->sv[1]);
	close_fd(&j->procfd);
	close_fd(&j->fifofd);
	close_fd(&j->console);
	close_fd(&j->notify);
	rt_filter_release(&j->filter);
	json_decref(j->policy);
	bh_buf_release(&j->raw);
	free(j->bundle);
	free(j->rootfs);
}

int rt_create(const struct bh_rt_ctx *ctx, const char *id, const struct bh_rt_create_opts *o,
	      bool own_tty, struct rt_created *c, struct bh_error **err)
{
	struct create_job j = {
		.ctx = ctx,
		.id = id,
		.o = o,
		.own_tty = own_tty,
		.c = c,
		.raw = BH_BUF_INIT(BH_RT_MAX_CONFIG),
		.sv = { -1, -1 },
		.procfd = -1,
		.fifofd = -1,
		.console = -1,
		.notify = -1,
		.lockfd = -1,
		.child = -1,
		.init = -1,
	};
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
	if (load_bundle(&j, err) < 0 ||
	    rt_policy_admit(ctx, id, j.bundle, &j.raw, c->spec, o->image, o->policy, &j.policy,
			    err) < 0 ||
	    rt_learn_apply(c->spec, NULL, err) < 0 || open_namespaces(&j, err) < 0 ||
	    rt_filter_build(c->spec, ctx->allow_dangerous, rt_state_root(ctx), &j.filter, err) <
		    0 ||
	    rt_cgroup_init(&c->cg, c->spec->cgroups_path, id, ctx->systemd_cgroup, err) < 0 ||
	    rt_measure(ctx, id, j.bundle, &j.raw, c->spec, o->image, err) < 0 ||
	    rt_vtpm_check(c->spec, err) < 0)
		goto out;
	if (make_state(&j, err) < 0 || rt_vtpm_start(ctx, id, c, err) < 0 ||
	    prepare_init(&j, err) < 0 || spawn_init(&j, err) < 0 || drive_init(&j, err) < 0 ||
	    finish_create(&j, err) < 0)
		goto out;
	r = 0;
out:
	if (r < 0)
		undo_create(&j);
	create_job_release(&j);
	return r;
}

int bh_rt_create(const struct bh_rt_ctx *ctx, const char *id, const struct bh_rt_create_opts *o,
		 struct bh_error **err)
{
	struct rt_created c;
	int r = rt_create(ctx, id, o, false, &c, err);

	rt_created_release(&c);
	return r;
}
