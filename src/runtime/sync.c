/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every runtime file shares: the sync channel between the runtime and
 * the processes it forks (fixed-size messages on a SOCK_SEQPACKET pair, fds
 * passed with SCM_RIGHTS, a child's error sent as text before it exits), and
 * the process helpers (pidfds, the start time that tells a pid from its
 * reuse).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "internal.h"
#include "banned.h"

/* ---- processes ----------------------------------------------------------- */

int rt_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int rt_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

uint64_t rt_proc_starttime(pid_t pid, char *state)
{
	char path[64], buf[1024], *p;
	uint64_t v = 0;
	int fd, i;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	p += 2;
	if (state)
		*state = *p;
	/* field 3 is the state; the start time is field 22 */
	for (i = 3; i < 22 && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p)
		v = strtoull(p, NULL, 10);
	return v;
}

/* ---- the sync channel ------------------------------------------------------ */

int rt_sync_send(int fd, int type, int value, const char *text)
{
	struct rt_sync_msg m = { .type = type, .value = value };

	if (text)
		snprintf(m.text, sizeof(m.text), "%s", text);
	return send(fd, &m, sizeof(m), MSG_NOSIGNAL) == (ssize_t)sizeof(m) ? 0 : -1;
}

int rt_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 64)];
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (nfds > 64)
		return -1;
	if (nfds) {
		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int rt_sync_send_fds(int fd, int type, const int *fds, size_t nfds)
{
	struct rt_sync_msg m = { .type = type, .value = (int)nfds };

	return rt_send_fds(fd, &m, sizeof(m), fds, nfds);
}

ssize_t rt_recv_fds(int sock, void *buf, size_t len, int *fds, size_t *nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 64)];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n;
	size_t got = 0;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (c = n >= 0 ? CMSG_FIRSTHDR(&msg) : NULL; c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *in = (int *)CMSG_DATA(c);

		for (size_t i = 0; i < k; i++) {
			if (fds && nfds && got < *nfds)
				fds[got++] = in[i];
			else
				close(in[i]);
		}
	}
	if (nfds)
		*nfds = got;
	return n;
}

int rt_sync_recv(int fd, struct rt_sync_msg *m, int *fds, size_t *nfds)
{
	size_t max = nfds ? *nfds : 0;

	if (rt_recv_fds(fd, m, sizeof(*m), fds, &max) != (ssize_t)sizeof(*m)) {
		while (max)
			close(fds[--max]);
		if (nfds)
			*nfds = 0;
		return -1;
	}
	m->text[sizeof(m->text) - 1] = 0;
	if (nfds)
		*nfds = max;
	return 0;
}

void rt_child_fail(int sync, int errnum, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, ": %s", strerror(errnum));
	rt_sync_send(sync, SYNC_ERROR, errnum, buf);
	_exit(1);
}

void rt_child_fail_err(int sync, struct bh_error *err)
{
	char *m = bh_error_message(err);

	rt_sync_send(sync, SYNC_ERROR, bh_error_errno(err), m);
	_exit(1);
}
