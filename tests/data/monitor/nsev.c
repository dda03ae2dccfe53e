// SPDX-License-Identifier: Apache-2.0
/*
 * nsev: the calls of issue 15's audit that the monitor must see, made by
 * raw system calls (built -static by the e2e tests and run in a container):
 *   nsev clone        clone(CLONE_NEWUTS|SIGCHLD) (a fork into a new UTS namespace)
 *   nsev clone3       clone3 with CLONE_NEWUTS|CLONE_NEWIPC
 *   nsev fork         clone(SIGCHLD) with no CLONE_NEW*: no event
 *   nsev mountapi DIR fsopen(tmpfs) fsconfig fsmount move_mount(DIR), open_tree(DIR, CLONE)
 *   nsev pvm          process_vm_readv and process_vm_writev of a child (and of itself: no event)
 * Each prints what each call returned ("clone3=-1 EPERM") and exits 0: a refused call
 * is still an attempt the monitor reports.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#define FSCONFIG_CMD_CREATE_ 6
#define OPEN_TREE_CLONE_     1

static void said(const char *what, long r)
{
	if (r < 0)
		printf("%s=-1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s=%ld\n", what, r);
}

/* the child of a clone: gone at once */
static void reap(const char *what, long r)
{
	if (r == 0)
		_exit(0);
	said(what, r);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "clone")) {
		reap("clone", syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0));
	} else if (!strcmp(argv[1], "fork")) {
		reap("fork", syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0));
	} else if (!strcmp(argv[1], "clone3")) {
		struct clone_args ca;

		memset(&ca, 0, sizeof(ca));
		ca.flags = CLONE_NEWUTS | CLONE_NEWIPC;
		ca.exit_signal = SIGCHLD;
		reap("clone3", syscall(SYS_clone3, &ca, sizeof(ca)));
	} else if (!strcmp(argv[1], "mountapi") && argc > 2) {
		long fs = syscall(SYS_fsopen, "tmpfs", 0), m = -1, t;

		said("fsopen", fs);
		if (fs >= 0) {
			said("fsconfig", syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE_, 0, 0, 0));
			m = syscall(SYS_fsmount, fs, 0, 0);
			said("fsmount", m);
		}
		/* a failed move_mount (no mount fd) is an attempt too */
		said("move_mount", syscall(SYS_move_mount, m >= 0 ? m : 0, "", AT_FDCWD, argv[2],
					   MOVE_MOUNT_F_EMPTY_PATH));
		t = syscall(SYS_open_tree, AT_FDCWD, argv[2], OPEN_TREE_CLONE_);
		said("open_tree", t);
	} else if (!strcmp(argv[1], "pvm")) {
		static char secret[32] = "nsev-secret";
		char buf[32] = "";
		struct iovec l = { buf, sizeof(buf) }, r = { secret, sizeof(secret) };
		int p[2];
		pid_t c;

		if (pipe(p) < 0)
			return 3;
		c = fork();
		if (c == 0) {
			close(p[1]);
			read(p[0], buf, 1); /* until the parent is done */
			_exit(0);
		}
		said("process_vm_readv", syscall(SYS_process_vm_readv, c, &l, 1, &r, 1, 0));
		printf("read=%s\n", buf);
		said("process_vm_writev", syscall(SYS_process_vm_writev, c, &l, 1, &r, 1, 0));
		said("self_readv", syscall(SYS_process_vm_readv, getpid(), &l, 1, &r, 1, 0));
		close(p[1]);
		waitpid(c, NULL, 0);
	} else {
		return 2;
	}
	return 0;
}
