/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Escape attempts run inside a bulkhead container by tests/e2e/runtime-escape.test.
 * Built with `gcc -static`. Usage: attack NAME [ARG]. Exit 0 when the attempt was
 * blocked (prints "blocked: ..."), 1 when it succeeded ("ESCAPED: ..."), 2 on misuse.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static int blocked(const char *what)
{
	printf("blocked: %s: %s\n", what, strerror(errno));
	return 0;
}

static int escaped(const char *what)
{
	printf("ESCAPED: %s\n", what);
	return 1;
}

static int try_mount(const char *src, const char *type, unsigned long flags)
{
	mkdir("/tmp/m", 0755);
	if (mount(src, "/tmp/m", type, flags, NULL) == 0)
		return escaped(type);
	return blocked(type);
}

static int try_write(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return blocked(path);
	if (write(fd, data, strlen(data)) < 0) {
		close(fd);
		return blocked(path);
	}
	close(fd);
	return escaped(path);
}

int main(int argc, char **argv)
{
	const char *a = argc > 1 ? argv[1] : "";

	if (!strcmp(a, "mount-proc"))
		return try_mount("proc", "proc", 0);
	if (!strcmp(a, "mount-sysfs"))
		return try_mount("sysfs", "sysfs", 0);
	if (!strcmp(a, "mount-cgroup"))
		return try_mount("cgroup", "cgroup", 0);
	if (!strcmp(a, "mount-tmpfs"))
		return try_mount("tmpfs", "tmpfs", 0);
	if (!strcmp(a, "remount-root")) {
		if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL) == 0)
			return escaped("remount / read-write");
		return blocked("remount / read-write");
	}
	if (!strcmp(a, "sysrq"))
		return try_write("/proc/sysrq-trigger", "h");
	if (!strcmp(a, "core-pattern"))
		return try_write("/proc/sys/kernel/core_pattern", "|/tmp/x");
	if (!strcmp(a, "release-agent")) {
		int r1 = try_write("/sys/fs/cgroup/memory/release_agent", "/tmp/x");
		int r2 = try_write("/sys/fs/cgroup/memory/notify_on_release", "1");

		return r1 || r2;
	}
	if (!strcmp(a, "open-by-handle")) {
		char h[sizeof(int) * 2 + 128] = { 0 };

		/* struct file_handle with a bogus handle: the call itself must be refused */
		((unsigned *)h)[0] = 8;
		if (syscall(SYS_open_by_handle_at, AT_FDCWD, h, O_RDONLY) >= 0 || errno != EPERM)
			return errno == EPERM ? blocked("open_by_handle_at")
					      : escaped("open_by_handle_at reached the kernel");
		return blocked("open_by_handle_at");
	}
	if (!strcmp(a, "kill-host") && argc > 2) {
		pid_t p = (pid_t)atoi(argv[2]);

		if (kill(p, 0) == 0)
			return escaped("a host pid is visible");
		return blocked("kill host pid");
	}
	if (!strcmp(a, "ptrace-host") && argc > 2) {
		pid_t p = (pid_t)atoi(argv[2]);

		if (ptrace(PTRACE_ATTACH, p, NULL, NULL) == 0)
			return escaped("ptrace of a host pid");
		return blocked("ptrace host pid");
	}
	if (!strcmp(a, "proc1-root")) {
		/* pid 1 must be the container's own init: its root is ours */
		struct stat s1, s2;

		if (stat("/proc/1/root/.", &s1) < 0)
			return blocked("/proc/1/root");
		stat("/", &s2);
		if (s1.st_ino != s2.st_ino || s1.st_dev != s2.st_dev)
			return escaped("/proc/1/root is not the container's root");
		errno = 0;
		return blocked("/proc/1/root is the container's own root");
	}
	if (!strcmp(a, "unshare-user")) {
		if (unshare(CLONE_NEWUSER) == 0) {
			if (mount("proc", "/tmp", "proc", 0, NULL) == 0)
				return escaped("mounted proc from a new user namespace");
			return escaped("unshare(CLONE_NEWUSER) allowed");
		}
		return blocked("unshare user namespace");
	}
	if (!strcmp(a, "write-self-exe")) {
		int fd = open("/proc/self/exe", O_WRONLY);

		if (fd >= 0)
			return escaped("/proc/self/exe opened for writing");
		return blocked("/proc/self/exe");
	}
	if (!strcmp(a, "leaked-fd")) {
		for (int fd = 3; fd < 4096; fd++) {
			char path[64], target[256];
			ssize_t n;

			if (fcntl(fd, F_GETFD) < 0)
				continue;
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			n = readlink(path, target, sizeof(target) - 1);
			target[n > 0 ? n : 0] = 0;
			printf("ESCAPED: fd %d is open: %s\n", fd, target);
			return 1;
		}
		errno = 0;
		return blocked("no inherited fd");
	}
	if (!strcmp(a, "kexec")) {
		if (syscall(SYS_kexec_load, 0, 0, NULL, 0) < 0 && errno == EPERM)
			return blocked("kexec_load");
		return escaped("kexec_load reached the kernel");
	}
	if (!strcmp(a, "bpf")) {
		if (syscall(SYS_bpf, 0, NULL, 0) < 0 && errno == EPERM)
			return blocked("bpf");
		return escaped("bpf reached the kernel");
	}
	if (!strcmp(a, "getppid") && argc > 2) {
		long n = atol(argv[2]);
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("%.1f\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n);
		return 0;
	}
	fprintf(stderr, "attack: unknown attempt '%s'\n", a);
	return 2;
}
