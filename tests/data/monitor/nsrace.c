// SPDX-License-Identifier: Apache-2.0
/*
 * nsrace: clones into new namespaces whose flags the caller's registers or
 * memory no longer hold at the call's exit (reviewer rv2's repros): the
 * monitor must still report them, from the kernel's own flags.
 *   nsrace vfork      clone3(CLONE_NEWUTS|CLONE_NEWNS|CLONE_NEWNET|CLONE_VM|CLONE_VFORK):
 *                     the child, sharing memory, zeroes clone_args.flags before the
 *                     parent's exit
 *   nsrace ptrace     clone(CLONE_NEWUTS|SIGCHLD) in a tracee whose tracer rewrites
 *                     rdi at the PTRACE_EVENT_FORK stop (x86_64 only)
 *   nsrace fail       clone3(CLONE_NEWUTS|CLONE_NEWPID|CLONE_THREAD): EINVAL, an attempt
 *   nsrace pvmtid     a second thread's process_vm_readv of its own thread ID (the
 *                     caller itself: no event), then of a child (an event)
 * Each prints what the call returned and whether the child's namespace differs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static struct clone_args ca;

static int vfork_zeroes(void)
{
	long r;

	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWNET | CLONE_VM | CLONE_VFORK;
	ca.exit_signal = SIGCHLD;
	r = syscall(SYS_clone3, &ca, sizeof(ca));
	if (r == 0) {
		ca.flags = 0;
		syscall(SYS_exit, 0);
	}
	printf("clone3=%ld flags-at-exit=%#llx\n", r, (unsigned long long)ca.flags);
	if (r > 0)
		waitpid((pid_t)r, NULL, __WALL);
	return r > 0 ? 0 : 1;
}

static int fails(void)
{
	long r;

	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_NEWUTS | CLONE_NEWPID | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
	r = syscall(SYS_clone3, &ca, sizeof(ca));
	if (r == 0)
		syscall(SYS_exit, 0);
	printf("clone3=%ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
	return r < 0 ? 0 : 1;
}

static char word[64] = "nsrace";

static long read_of(pid_t pid)
{
	char buf[sizeof(word)];
	struct iovec l = { buf, sizeof(buf) }, r = { word, sizeof(word) };

	return syscall(SYS_process_vm_readv, pid, &l, 1UL, &r, 1UL, 0UL);
}

static void *own_tid(void *arg)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);

	(void)arg;
	printf("self-tid=%d read=%ld\n", tid, read_of(tid));
	return NULL;
}

static int pvm_tid(void)
{
	pthread_t th;
	pid_t c;

	if (pthread_create(&th, NULL, own_tid, NULL) != 0)
		return 1;
	pthread_join(th, NULL);
	c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	printf("child=%d read=%ld\n", c, read_of(c));
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	return 0;
}

#if defined(__x86_64__)
static int ptrace_rewrites(void)
{
	pid_t c = fork(), g;
	int st;
	struct user_regs_struct r;

	if (c < 0)
		return 1;
	if (c == 0) {
		long x;

		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		x = syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
		if (x == 0)
			pause();
		_exit(0);
	}
	waitpid(c, &st, 0);
	ptrace(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACEFORK | PTRACE_O_TRACESYSGOOD);
	ptrace(PTRACE_CONT, c, 0, 0);
	waitpid(c, &st, 0);
	if (!(WIFSTOPPED(st) && (st >> 8) == (SIGTRAP | (PTRACE_EVENT_FORK << 8)))) {
		printf("no fork event %x\n", st);
		kill(c, SIGKILL);
		return 1;
	}
	ptrace(PTRACE_GETREGS, c, 0, &r);
	r.rdi = SIGCHLD; /* no CLONE_NEW* left in the registers */
	ptrace(PTRACE_SETREGS, c, 0, &r);
	ptrace(PTRACE_SYSCALL, c, 0, 0);
	waitpid(c, &st, 0);
	ptrace(PTRACE_GETREGS, c, 0, &r);
	g = (pid_t)r.rax;
	printf("clone=%d rdi-at-exit=%#llx\n", g, r.rdi);
	if (g > 0)
		kill(g, SIGKILL);
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	return g > 0 ? 0 : 1;
}
#else
static int ptrace_rewrites(void)
{
	printf("x86_64 only\n");
	return 2;
}
#endif

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "vfork"))
		return vfork_zeroes();
	if (argc == 2 && !strcmp(argv[1], "ptrace"))
		return ptrace_rewrites();
	if (argc == 2 && !strcmp(argv[1], "fail"))
		return fails();
	if (argc == 2 && !strcmp(argv[1], "pvmtid"))
		return pvm_tid();
	fprintf(stderr, "usage: nsrace vfork|ptrace|fail|pvmtid\n");
	return 3;
}
