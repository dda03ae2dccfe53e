// SPDX-License-Identifier: Apache-2.0
/*
 * The Docker engine's mount namespace for the kernel source's host_ns
 * (source_kernel.c's engine_ns_probe): the process listening on the
 * engine's socket, as the socket's peer tells it (SO_PEERCRED: the creds of
 * the process that called listen(), something the admin configured, never a
 * process name), and its /proc/PID/ns/mnt.
 *
 * A pid is only a number: a listener that exited while another process
 * keeps its socket (a daemon that forks and whose parent exits after
 * listen(), a killed engine whose socket an inheritor holds) leaves a number
 * any new process may get, a container's or one an unprivileged user made in
 * a namespace of its own, whose mount namespace would then be the host's.
 * Where the kernel has SO_PEERPIDFD (6.5) the peer's process itself is held
 * (a pidfd) and, after every file was opened by its number, proven alive
 * (pidfd_send_signal with signal 0): a process alive then was alive all
 * along, so the number was still its own when the files were opened.
 * Without SO_PEERPIDFD (ENOPROTOOPT) the number alone is trusted, as before.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "source_internal.h"
#include "banned.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* Whether process pid is in the monitor's own user namespace. */
static bool same_userns(pid_t pid)
{
	struct stat a, b;
	char p[64];

	snprintf(p, sizeof(p), "/proc/%d/ns/user", (int)pid);
	return stat(p, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

/* The listener's creds and its pidfd (-1 when the kernel has no SO_PEERPIDFD)
 * through a connection to sock; *pid its pid once known (else 0). 0, or -1
 * with *why set. */
static int peer_of(const char *sock, struct ucred *cr, int *pidfd, pid_t *pid, const char **why)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(*cr);
	int s, r = -1;

	*pidfd = -1;
	if (strlen(sock) >= sizeof(a.sun_path)) {
		*why = "the path is too long for a unix socket";
		return -1;
	}
	memcpy(a.sun_path, sock, strlen(sock));
	/* never blocks the reader: a full backlog (a hung engine) is EAGAIN */
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0) {
		*why = "no socket";
		return -1;
	}
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		*why = "no connection";
		goto out;
	}
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, cr, &len) < 0 || cr->pid <= 0) {
		*why = "no peer credentials";
		goto out;
	}
	*pid = cr->pid;
	len = sizeof(*pidfd);
	if (getsockopt(s, SOL_SOCKET, SO_PEERPIDFD, pidfd, &len) < 0) {
		*pidfd = -1;
		/* an older kernel: the pid alone, as before */
		if (errno != ENOPROTOOPT) {
			/* ESRCH or EINVAL: the listener is gone (newer kernels, as
			 * 6.18, hand out a pidfd of the exited process instead: the
			 * signal below refuses it) */
			*why = errno == ESRCH || errno == EINVAL ? "the listener has exited"
								 : "no pidfd of the listener";
			goto out;
		}
	}
	r = 0;
out:
	close(s);
	return r;
}

int mon_engine_mntns_open(const char *sock, pid_t *pid, const char **why)
{
	struct ucred cr;
	char p[64];
	int pidfd, fd = -1;

	*pid = 0;
	if (peer_of(sock, &cr, &pidfd, pid, why) < 0)
		return -1;
	/* a listener that is not root (rootless Docker's socket in DOCKER_HOST:
	 * its user could setns into a container of its own and make all of it
	 * the host's) is not the admin's engine */
	if (cr.uid != 0) {
		*why = "the listener is not root";
		goto out;
	}
	/* nor one in another user namespace (an engine run in a container) */
	if (!same_userns(cr.pid)) {
		*why = "the listener is in another user namespace";
		goto out;
	}
	snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)cr.pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*why = "its mount namespace cannot be opened";
		goto out;
	}
out:
	/* alive now, so alive since SO_PEERPIDFD: the number was its own when
	 * the files above were looked at (and a refusal above names the right
	 * cause: a gone listener's /proc entries are another's or none) */
	if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0 &&
	    errno != EPERM /* not ours to signal, but there: ESRCH when gone */) {
		*why = "the listener has exited (its pid may be another process's)";
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (pidfd >= 0)
		close(pidfd);
	return fd;
}
