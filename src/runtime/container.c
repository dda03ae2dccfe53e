/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container lifecycle after create (create.c): start, kill, delete,
 * ps, pause, resume, and run (create + start + wait + delete in one
 * process). Each command reads the state (state.c), holds the state
 * directory's lock while it changes it, and trusts no pid it has not
 * checked against the start time on record.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/guard.h"
#include "bulkhead/runtime.h"
#include "internal.h"
#include "banned.h"

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
		/* the init exits right after its message: wait for that, so that a failed
		 * start leaves a stopped container (which an engine deletes without --force) */
		if (pidfd >= 0) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };

			while (poll(&p, 1, 10000) < 0 && errno == EINTR)
				;
		}
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
	if (rt_vtpm_alive(st, id, err) < 0)
		return -1;
	bh_json_int(st, "pid", &pid);
	{
		/* a monitor's guard serving the rendezvous watches the container
		 * before its workload's first exec (include/bulkhead/guard.h) */
		json_int_t start = 0;
		struct bh_error *e = NULL;

		bh_json_int(st, "pid_start", &start);
		if (bh_guard_rdv_await(NULL, (pid_t)pid, (uint64_t)start, BH_GUARD_RDV_WAIT_MS,
				       &e) < 0)
			bh_error_warn(&e, "container %s", id);
	}
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
		const char *bundle = bh_json_str(st, "bundle");
		char *s = rt_state_for_hooks(id, (pid_t)pid, bundle ? bundle : "", "running",
					     spec->annotations);
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
			/* a runtime died mid-create: no state to trust, remove what is there
			 * (a syscall recorder it may have pinned too: nothing to learn from) */
			bh_error_clear(err);
			rt_learn_undo(id, NULL);
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
	/*
	 * runtime-spec: deleting a container that is not stopped MUST fail and change
	 * nothing; --force kills it first. The engines agree: podman (conmon) always passes
	 * --force; containerd's shim (dockerd) deletes without it only once the init has
	 * exited (after its exit event, or a start that failed: see release_init), and
	 * with --force to clean up after itself.
	 */
	if (strcmp(status, "stopped") && !force) {
		bh_error_set(err, BH_ERR_USAGE,
			     "container %s is %s: only a stopped container is deleted; kill it "
			     "first or use delete --force",
			     id, status);
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
	rt_vtpm_stop(st);
	if (spec_from_state_dir(dir, &spec, NULL) == 0 && spec->hooks[BH_HOOK_POSTSTOP].n) {
		const char *bundle = bh_json_str(st, "bundle");
		char *s = rt_state_for_hooks(id, 0, bundle ? bundle : "", "stopped",
					     spec->annotations);
		struct bh_error *e = NULL;

		if (rt_hooks_run(spec, BH_HOOK_POSTSTOP, s, 0, &e) < 0)
			bh_error_warn(&e, "poststop hook");
		free(s);
	}
	{
		struct bh_error *e = NULL;

		if (rt_learn_collect(id, dir, st, &e) < 0)
			bh_error_warn(&e, "syscall learning");
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
	struct rt_created c;
	int ws = 0, px = 0, r = -1;
	pid_t w;

	*status = 0;
	if (rt_create(ctx, id, o, !detach, &c, err) < 0)
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
	rt_created_release(&c);
	return r;
}
