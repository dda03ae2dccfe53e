/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCI hooks: each runs with the state JSON on its stdin, its own args and
 * env, and an optional timeout. createContainer hooks run in the
 * container's mount namespace, with the hook binary opened first in the
 * runtime's namespace (the spec resolves the path there).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "internal.h"
#include "banned.h"

static int run_one(const struct bh_rt_hook *h, const char *state, pid_t mntns_pid,
		   struct bh_error **err)
{
	char *const empty[] = { NULL };
	char *defargs[] = { h->path, NULL };
	int in[2], exefd = -1, nsfd = -1, pidfd = -1, ws = 0, r = -1;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return bh_error_sys(err, errno, "hook %s: pipe", h->path);
	if (mntns_pid > 0) {
		char p[64];

		snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)mntns_pid);
		exefd = open(h->path, O_PATH | O_CLOEXEC);
		nsfd = open(p, O_RDONLY | O_CLOEXEC);
		if (exefd < 0 || nsfd < 0) {
			bh_error_sys(err, errno, "hook %s", h->path);
			goto out;
		}
	}
	pid = fork();
	if (pid < 0) {
		bh_error_sys(err, errno, "hook %s: fork", h->path);
		goto out;
	}
	if (pid == 0) {
		char *const *args = h->args && h->args[0] ? h->args : defargs;
		char *const *env = h->env ? h->env : empty;

		dup2(in[0], 0);
		if (nsfd >= 0 && setns(nsfd, CLONE_NEWNS) < 0)
			_exit(126);
		if (exefd >= 0)
			syscall(SYS_execveat, exefd, "", args, env, AT_EMPTY_PATH);
		else
			execve(h->path, args, env);
		_exit(127);
	}
	close(in[0]);
	in[0] = -1;
	if (state && bh_write_all(in[1], state, strlen(state), NULL) < 0)
		bh_debug("hook %s did not read its state", h->path);
	close(in[1]);
	in[1] = -1;
	pidfd = rt_pidfd_open(pid);
	if (h->timeout > 0 && pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int x;

		do
			x = poll(&p, 1, h->timeout * 1000);
		while (x < 0 && errno == EINTR);
		if (x == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			bh_error_set(err, BH_ERR_IO, "hook %s timed out after %d s", h->path,
				     h->timeout);
			goto out;
		}
	}
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		bh_error_set(err, BH_ERR_IO, "hook %s failed (%s %d)", h->path,
			     WIFEXITED(ws) ? "exit status" : "signal",
			     WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws));
		goto out;
	}
	r = 0;
out:
	for (int i = 0; i < 2; i++)
		if (in[i] >= 0)
			close(in[i]);
	if (exefd >= 0)
		close(exefd);
	if (nsfd >= 0)
		close(nsfd);
	if (pidfd >= 0)
		close(pidfd);
	return r;
}

int rt_hooks_run(const struct bh_rt_spec *spec, enum bh_rt_hook_kind kind, const char *state,
		 pid_t mntns_pid, struct bh_error **err)
{
	const struct bh_rt_hooks *hs = &spec->hooks[kind];

	for (size_t i = 0; i < hs->n; i++)
		if (run_one(&hs->h[i], state, mntns_pid, err) < 0)
			return -1;
	return 0;
}
