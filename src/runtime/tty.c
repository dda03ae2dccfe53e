/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The terminal of a foreground `run` without --console-socket, as runc and
 * crun do it: the container's init makes a pty inside the container and
 * sends the master on a socket pair (rt_console_setup); the runtime sizes it
 * like its own terminal, puts that terminal in raw mode and copies bytes
 * both ways until the container's init exits; SIGWINCH resizes the pty; the
 * terminal is restored at the end.
 *
 *   our stdin ──▶ master ──▶ (pty) ──▶ container's stdio
 *   our stdout ◀── master ◀──┘
 *
 * Nothing here runs unless process.terminal is true.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "internal.h"
#include "banned.h"

/* After the init exits: output still arriving is copied for at most this long. */
#define DRAIN_IDLE_MS  100
#define DRAIN_TOTAL_MS 2000

int rt_tty_recv_master(int sock, struct bh_error **err)
{
	char name[64];
	size_t one = 1;
	int fd = -1;

	if (rt_recv_fds(sock, name, sizeof(name), &fd, &one) < 0)
		return bh_error_sys(err, errno, "terminal: receiving the container's pty");
	if (!one)
		return bh_error_set(err, BH_ERR_IO, "terminal: the container sent no pty");
	return fd;
}

/* Give the pty the size of our terminal, if we have one. */
static void tty_resize(const struct rt_tty *t)
{
	struct winsize ws;

	if (t->winfd < 0 || ioctl(t->winfd, TIOCGWINSZ, &ws) < 0 || (!ws.ws_row && !ws.ws_col))
		return;
	if (ioctl(t->master, TIOCSWINSZ, &ws) < 0)
		bh_debug("terminal: resizing the pty: %s", strerror(errno));
}

int rt_tty_begin(struct rt_tty *t, int master, int in, int out, struct bh_error **err)
{
	int fl;

	memset(t, 0, sizeof(*t));
	t->master = master;
	t->in = in;
	t->out = out;
	t->winfd = isatty(in) ? in : isatty(out) ? out : isatty(STDERR_FILENO) ? STDERR_FILENO : -1;
	fl = fcntl(master, F_GETFL);
	if (fl < 0 || fcntl(master, F_SETFL, fl | O_NONBLOCK) < 0)
		return bh_error_sys(err, errno, "terminal: the pty master");
	tty_resize(t);
	if (isatty(in)) {
		struct termios raw;

		if (tcgetattr(in, &t->saved) < 0)
			return bh_error_sys(err, errno, "terminal: reading our terminal's mode");
		raw = t->saved;
		cfmakeraw(&raw);
		if (tcsetattr(in, TCSANOW, &raw) < 0)
			return bh_error_sys(err, errno, "terminal: raw mode");
		t->raw = true;
	}
	return 0;
}

void rt_tty_end(struct rt_tty *t)
{
	if (t->raw && tcsetattr(t->in, TCSANOW, &t->saved) < 0)
		bh_debug("terminal: restoring our terminal: %s", strerror(errno));
	t->raw = false;
	if (t->master >= 0)
		close(t->master);
	t->master = -1;
}

/* The pty's EOF character (^D unless changed) in buf: returns 1, or 0 without one. */
static size_t eof_char(const struct rt_tty *t, char *buf)
{
	struct termios tio;

	if (tcgetattr(t->master, &tio) < 0 || tio.c_cc[VEOF] == _POSIX_VDISABLE)
		return 0;
	buf[0] = (char)tio.c_cc[VEOF];
	return 1;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rt_tty_proxy(struct rt_tty *t, pid_t pid, struct bh_error **err)
{
	char ibuf[4096], obuf[16384];
	size_t ilen = 0, ioff = 0;
	bool in_open = true, out_open = true, master_open = true, exited = false;
	struct sigaction ign = { .sa_handler = SIG_IGN }, oldpipe;
	sigset_t winch, oldmask;
	long deadline = 0;
	int pidfd, sfd, r = -1;

	pidfd = rt_pidfd_open(pid);
	if (pidfd < 0)
		return bh_error_sys(err, errno, "terminal: watching the container's process");
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, &oldmask);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &oldpipe); /* a closed stdout is an error, not our death */
	sfd = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		bh_error_sys(err, errno, "terminal: signalfd");
		goto out;
	}
	for (;;) {
		struct pollfd p[4] = {
			{ .fd = master_open ? t->master : -1,
			  .events = (short)(POLLIN | (ilen ? POLLOUT : 0)) },
			{ .fd = in_open && !ilen ? t->in : -1, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = exited ? -1 : pidfd, .events = POLLIN },
		};
		int n, timeout = -1;

		if (exited) {
			long left = deadline - now_ms();

			if (!master_open || left <= 0)
				break;
			timeout = left < DRAIN_IDLE_MS ? (int)left : DRAIN_IDLE_MS;
		}
		n = poll(p, 4, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			bh_error_sys(err, errno, "terminal: poll");
			goto out;
		}
		if (n == 0)
			break; /* exited and quiet: what holds the pty now is not ours to wait for
				*/
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				;
			tty_resize(t);
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t k = read(t->in, ibuf, sizeof(ibuf));

			if (k > 0) {
				ilen = (size_t)k;
				ioff = 0;
			} else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
				in_open = false;
				/* the end of input that is not a terminal: the pty's EOF
				 * character, so that a reader in canonical mode sees it
				 * (as util-linux script does) */
				if (!isatty(t->in))
					ilen = eof_char(t, ibuf);
				ioff = 0;
			}
		}
		if (ilen && (p[0].revents & POLLOUT)) {
			ssize_t k = write(t->master, ibuf + ioff, ilen - ioff);

			if (k > 0) {
				ioff += (size_t)k;
				if (ioff == ilen)
					ilen = ioff = 0;
			} else if (k < 0 && errno != EINTR && errno != EAGAIN) {
				ilen = ioff = 0;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t k = read(t->master, obuf, sizeof(obuf));

			if (k > 0) {
				if (out_open && bh_write_all(t->out, obuf, (size_t)k, NULL) < 0)
					out_open = false; /* keep draining so the container never
							     blocks */
			} else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
				master_open = false; /* EIO: every slave is closed */
				ilen = ioff = 0;
			}
		}
		if (p[3].revents & POLLIN) {
			exited = true;
			deadline = now_ms() + DRAIN_TOTAL_MS;
		}
		if (!master_open && !exited) {
			/* the container closed its terminal but runs on: wait for it */
			struct pollfd w = { .fd = pidfd, .events = POLLIN };

			while (poll(&w, 1, -1) < 0 && errno == EINTR)
				;
			break;
		}
	}
	r = 0;
out:
	if (sfd >= 0)
		close(sfd);
	close(pidfd);
	sigaction(SIGPIPE, &oldpipe, NULL);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return r;
}
