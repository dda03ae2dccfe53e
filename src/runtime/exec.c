/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec: a new process in a running container. The runtime forks a helper
 * that makes itself non-dumpable, joins every namespace of the container's
 * init at once (setns on a pidfd), is put into the container's cgroups, and
 * forks the process (CLONE_PARENT, so the runtime can wait for it), which
 * then goes through the same last steps as the init: cwd resolved in the
 * root, rlimits, user, capabilities, no_new_privs, Landlock, the container's
 * seccomp filter with the deny-list, execve.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/runtime.h"
#include "internal.h"
#include "banned.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static char **strv_add(char **v, const char *s)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	v = bh_reallocarray(v, n + 2, sizeof(char *));
	v[n] = bh_strdup(s);
	v[n + 1] = NULL;
	return v;
}

/* The process of an exec: from --process, or the container's with overrides. */
static int exec_process(const struct bh_rt_spec *spec, const struct bh_rt_exec_opts *o,
			struct bh_rt_spec **holder, struct bh_rt_process *p, struct bh_error **err)
{
	memset(p, 0, sizeof(*p));
	*holder = NULL;
	if (o->process_json) {
		struct bh_buf b = BH_BUF_INIT(BH_RT_MAX_CONFIG);
		json_t *proc = NULL, *doc;
		char *text;
		int r;

		if (bh_read_file(o->process_json, &b, err) < 0 ||
		    bh_json_parse(b.data ? b.data : "", b.len, BH_RT_MAX_CONFIG, o->process_json,
				  &proc, err) < 0) {
			bh_buf_release(&b);
			return -1;
		}
		bh_buf_release(&b);
		doc = json_pack("{s:s, s:{s:s}, s:o}", "ociVersion", "1.0.0", "root", "path", "/",
				"process", proc);
		text = json_dumps(doc, JSON_COMPACT);
		json_decref(doc);
		r = bh_rt_spec_parse(text, strlen(text), holder, err);
		free(text);
		if (r < 0)
			return bh_error_prefix(err, "--process %s", o->process_json);
		*p = (*holder)->process;
		return 0;
	}
	*p = spec->process;
	p->args = bh_strv_dup(o->args);
	p->env = bh_strv_dup(spec->process.env);
	for (char *const *e = o->env; e && *e; e++) {
		if (!strchr(*e, '='))
			return bh_error_set(err, BH_ERR_USAGE, "--env %s is not KEY=VALUE", *e);
		p->env = strv_add(p->env, *e);
	}
	p->cwd = bh_strdup(o->cwd ? o->cwd : spec->process.cwd);
	if (p->cwd[0] != '/')
		return bh_error_set(err, BH_ERR_USAGE, "--cwd must be absolute");
	p->terminal = o->tty;
	p->gids = NULL;
	p->ngids = 0;
	if (spec->process.ngids) {
		p->gids = bh_calloc(spec->process.ngids, sizeof(uint32_t));
		memcpy(p->gids, spec->process.gids, spec->process.ngids * sizeof(uint32_t));
		p->ngids = spec->process.ngids;
	}
	if (o->user) {
		char *copy = bh_strdup(o->user), *colon = strchr(copy, ':');
		uint64_t u, g = 0;

		if (colon)
			*colon++ = 0;
		if (bh_parse_u64(copy, &u, NULL) < 0 || u >= UINT32_MAX ||
		    (colon && (bh_parse_u64(colon, &g, NULL) < 0 || g >= UINT32_MAX))) {
			free(copy);
			return bh_error_set(err, BH_ERR_USAGE, "--user %s is not UID[:GID]",
					    o->user);
		}
		free(copy);
		p->uid = (uint32_t)u;
		p->gid = colon ? (uint32_t)g : p->gid;
	}
	for (char *const *c = o->caps; c && *c; c++) {
		int cap = bh_cap_from_name(*c);

		if (cap < 0)
			return bh_error_set(err, BH_ERR_USAGE, "--cap %s is not a capability", *c);
		for (int k = 0; k < BH_CAP_NSETS; k++)
			if (k != BH_CAP_AMBIENT)
				p->caps[k] |= 1ULL << cap;
		p->has_caps = true;
	}
	if (o->no_new_privs)
		p->no_new_privileges = true;
	if (p->rlimits) {
		struct bh_rt_rlimit *rl = bh_calloc(p->nrlimits + 1, sizeof(*rl));

		memcpy(rl, spec->process.rlimits, p->nrlimits * sizeof(*rl));
		p->rlimits = rl;
	}
	if (!p->args || !p->args[0])
		return bh_error_set(err, BH_ERR_USAGE, "exec: no command given");
	return 0;
}

static void release_process(struct bh_rt_spec *holder, struct bh_rt_process *p)
{
	if (holder) {
		bh_rt_spec_free(holder);
		return;
	}
	bh_strv_free(p->args);
	bh_strv_free(p->env);
	free(p->cwd);
	free(p->gids);
	free(p->rlimits);
}

static int ns_differs(pid_t pid, const char *name)
{
	char a[64], b[64];
	struct stat sa, sb;

	snprintf(a, sizeof(a), "/proc/self/ns/%s", name);
	snprintf(b, sizeof(b), "/proc/%d/ns/%s", (int)pid, name);
	if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
		return 0;
	return sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev;
}

static int connect_console(const char *path, struct bh_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return bh_error_set(err, BH_ERR_USAGE, "--console-socket path is too long");
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return bh_error_sys(err, e, "connecting to %s", path);
	}
	return fd;
}

struct exec_child {
	const struct bh_rt_spec *spec;
	const struct bh_rt_process *p;
	const struct rt_filter *filter;
	int pidfd, sync, console;
	int nsflags;
	unsigned preserve_fds;
};

static void exec_stage2(struct exec_child *c) __attribute__((noreturn));
static void exec_stage2(struct exec_child *c)
{
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	struct bh_error *err = NULL;
	struct rt_proc_ctx pc = { 0 };
	char *exe = NULL;
	int cwd;

	cwd = (int)syscall(SYS_openat2, AT_FDCWD, c->p->cwd[1] ? c->p->cwd + 1 : ".", &how,
			   sizeof(how));
	if (cwd < 0 || fchdir(cwd) < 0)
		rt_child_fail(c->sync, errno, "exec: cwd %s", c->p->cwd);
	close(cwd);
	if (rt_find_exec(c->p, &exe, &err) < 0)
		goto fail;
	if (c->p->terminal) {
		if (c->console < 0)
			rt_child_fail(c->sync, 0, "exec --tty needs --console-socket");
		if (rt_console_setup(c->console, c->p, &err) < 0)
			goto fail;
		close(c->console);
	} else if (setsid() < 0 && errno != EPERM) {
		/* no terminal: never the caller's controlling terminal (see init.c) */
		rt_child_fail(c->sync, errno, "exec: setsid");
	}
	pc.p = c->p;
	pc.spec = c->spec;
	pc.filter = c->filter;
	pc.notify_sock = -1;
	pc.preserve_fds = c->preserve_fds;
	rt_process_exec(&pc, exe, &err);
fail : {
	char *m = bh_error_message(err);

	rt_sync_send(c->sync, SYNC_ERROR, bh_error_errno(err), m);
	_exit(127);
}
}

static void exec_stage1(struct exec_child *c) __attribute__((noreturn));
static void exec_stage1(struct exec_child *c)
{
	struct rt_sync_msg m;
	pid_t pid;

	/* CVE-2019-5736: nothing in the container may open /proc/<us>/exe */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	syscall(SYS_close_range, 3 + c->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
	for (unsigned i = 0; i < c->preserve_fds; i++)
		fcntl(3 + (int)i, F_SETFD, 0);
	if (rt_sync_recv(c->sync, &m, NULL, NULL) < 0 || m.type != SYNC_GO)
		_exit(1);
	if (c->nsflags && setns(c->pidfd, c->nsflags) < 0)
		rt_child_fail(c->sync, errno, "exec: joining the container's namespaces");
	close(c->pidfd);
	pid = (pid_t)syscall(SYS_clone, CLONE_PARENT, NULL, NULL, NULL, NULL);
	if (pid < 0)
		rt_child_fail(c->sync, errno, "exec: fork");
	if (pid == 0)
		exec_stage2(c);
	rt_sync_send(c->sync, SYNC_PID, pid, NULL);
	_exit(0);
}

int bh_rt_exec(const struct bh_rt_ctx *ctx, const char *id, const struct bh_rt_exec_opts *o,
	       int *status, struct bh_error **err)
{
	static const struct {
		const char *name;
		int flag;
	} nss[] = { { "user", CLONE_NEWUSER },	   { "mnt", CLONE_NEWNS },
		    { "pid", CLONE_NEWPID },	   { "ipc", CLONE_NEWIPC },
		    { "uts", CLONE_NEWUTS },	   { "net", CLONE_NEWNET },
		    { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME } };
	struct bh_rt_spec *spec = NULL, *holder = NULL;
	struct bh_rt_process p = { 0 };
	struct rt_filter filter = { 0 };
	struct rt_cgroup cg = { 0 };
	struct exec_child c = { 0 };
	json_t *st = NULL;
	json_int_t pid = 0, start = 0;
	char *dir = NULL;
	int sv[2] = { -1, -1 }, tsv[2] = { -1, -1 }, r = -1, ws = 0, px = 0;
	struct rt_tty tty = { .master = -1 };
	pid_t child = -1, proc = -1;

	*status = 0;
	c.pidfd = c.console = -1;
	if (rt_state_read(ctx, id, &st, err) < 0)
		return -1;
	{
		const char *s = rt_state_status(ctx, id, st);

		if (strcmp(s, "running") && strcmp(s, "created")) {
			bh_error_set(err, BH_ERR_USAGE, "container %s is %s", id, s);
			goto out;
		}
	}
	dir = rt_state_dir(ctx, id);
	bh_json_int(st, "pid", &pid);
	bh_json_int(st, "pid_start", &start);
	if (bh_rt_spec_load(dir, &spec, err) < 0)
		goto out;
	spec->mounts_mode = BH_MOUNTS_DENY; /* supervision is for the init's filter only */
	if (exec_process(spec, o, &holder, &p, err) < 0 || rt_learn_apply(spec, st, err) < 0 ||
	    rt_filter_build(spec, ctx->allow_dangerous, rt_state_root(ctx), &filter, err) < 0 ||
	    rt_cgroup_from_json(json_object_get(st, "cgroup"), &cg, err) < 0)
		goto out;
	if (holder) { /* --process: its own env is the one that counts */
		char **own = bh_strv_dup(p.env);

		rt_vtpm_exec_env(st, &p.env, own);
		bh_strv_free(own);
		holder->process.env = p.env;
	} else {
		rt_vtpm_exec_env(st, &p.env, o->env);
	}
	c.pidfd = rt_pidfd_open((pid_t)pid);
	if (c.pidfd < 0 || rt_proc_starttime((pid_t)pid, NULL) != (uint64_t)start) {
		bh_error_set(err, BH_ERR_USAGE, "container %s is not running", id);
		goto out;
	}
	for (size_t i = 0; i < sizeof(nss) / sizeof(nss[0]); i++)
		if (ns_differs((pid_t)pid, nss[i].name))
			c.nsflags |= nss[i].flag;
	if (p.terminal && o->console_socket) {
		c.console = connect_console(o->console_socket, err);
		if (c.console < 0)
			goto out;
	} else if (p.terminal) {
		/* no console socket: a foreground exec proxies the pty itself, as run does */
		if (o->detach) {
			bh_error_set(err, BH_ERR_USAGE,
				     "exec --tty --detach needs --console-socket (nothing would "
				     "hold the terminal)");
			goto out;
		}
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tsv) < 0) {
			bh_error_sys(err, errno, "socketpair");
			goto out;
		}
		c.console = tsv[1];
		tsv[1] = -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		bh_error_sys(err, errno, "socketpair");
		goto out;
	}
	c.spec = spec;
	c.p = &p;
	c.filter = &filter;
	c.sync = sv[1];
	c.preserve_fds = o->preserve_fds;
	rt_learn_note_exec(dir, st, p.args); /* a learning container: the session is flagged */
	child = fork();
	if (child < 0) {
		bh_error_sys(err, errno, "fork");
		goto out;
	}
	if (child == 0) {
		close(sv[0]);
		exec_stage1(&c);
	}
	close(sv[1]);
	sv[1] = -1;
	if (tsv[0] >= 0) {
		/* the child's end: ours closed, so its death is an EOF, not a hang */
		close(c.console);
		c.console = -1;
	}
	if (rt_cgroup_enter(&cg, child, err) < 0 || rt_sync_send(sv[0], SYNC_GO, 0, NULL) < 0)
		goto fail;
	for (;;) {
		struct rt_sync_msg m;

		if (rt_sync_recv(sv[0], &m, NULL, NULL) < 0)
			break; /* EOF: the process exec'd (or died) */
		if (m.type == SYNC_PID) {
			proc = m.value;
			waitpid(child, NULL, 0);
			child = -1;
			continue;
		}
		if (m.type == SYNC_ERROR) {
			bh_error_set(err, BH_ERR_IO, "%s", m.text);
			goto fail;
		}
	}
	if (proc <= 0) {
		bh_error_set(err, BH_ERR_IO, "exec: the process did not start");
		goto fail;
	}
	if (o->pid_file) {
		char s[24];

		snprintf(s, sizeof(s), "%d", (int)proc);
		if (bh_write_file_atomic(o->pid_file, s, strlen(s), 0644, err) < 0)
			goto out;
	}
	if (o->detach) {
		r = 0;
		goto out;
	}
	if (tsv[0] >= 0) {
		int master = rt_tty_recv_master(tsv[0], err);

		if (master < 0 || rt_tty_begin(&tty, master, STDIN_FILENO, STDOUT_FILENO, err) < 0)
			goto fail;
		if ((px = rt_tty_proxy(&tty, proc, err)) < 0)
			kill(proc, SIGKILL);
		rt_tty_end(&tty);
	}
	while (waitpid(proc, &ws, 0) < 0) {
		if (errno != EINTR) {
			bh_error_sys(err, errno, "waiting for the process");
			goto out;
		}
	}
	if (px < 0)
		goto out;
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	r = 0;
	goto out;
fail:
	if (proc > 0) {
		kill(proc, SIGKILL);
		waitpid(proc, NULL, 0);
	}
out:
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	rt_tty_end(&tty);
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (tsv[i] >= 0)
			close(tsv[i]);
	}
	if (c.pidfd >= 0)
		close(c.pidfd);
	if (c.console >= 0)
		close(c.console);
	release_process(holder, &p);
	rt_filter_release(&filter);
	rt_cgroup_release(&cg);
	bh_rt_spec_free(spec);
	json_decref(st);
	free(dir);
	return r;
}
