/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vTPM's control-channel filter (issue 18). tpm2-tss's swtpm TCTI needs
 * swtpm's control socket (<path>.ctrl beside the TPM socket), but that
 * channel also carries CMD_GET_STATEBLOB (the EK seed: the certified vTPM
 * cloned anywhere), CMD_SET_STATEBLOB, CMD_INIT, CMD_STOP, CMD_SHUTDOWN...
 * So swtpm's real control socket stays in the container's state directory
 * (0700, never mounted) and the one mounted at /run/vtpm is this process's.
 *
 * tpm2-tss 3.2's TCTI sends one control command per connection, and only
 * CMD_SET_LOCALITY (tcti_swtpm_set_locality; CMD_INIT only from
 * Tss2_Tcti_Swtpm_Reset, which no tool calls): 4 bytes of command code, 1
 * byte of locality; swtpm answers a 4-byte ptm_res. The proxy takes exactly
 * that frame with locality 0 (the TCTI's, and an application's: the higher
 * localities reset the DRTM PCRs), forwards it in one write to the real
 * socket, returns the 4-byte answer and closes. Anything else, a short frame
 * or a client whose request is not whole VTPM_PROXY_MS after its connect: the
 * connection is closed unanswered. Up to VTPM_PROXY_CLIENTS connections are
 * served at once (poll), each with its own deadline; the process is forked from
 * the runtime (no exec: async-signal-safe calls only), in its own session,
 * stdio on /dev/null, every other descriptor closed, and not root: swtpm's
 * user (tss or nobody), no supplementary groups, no_new_privs. The real
 * socket is that user's but in a 0700 directory of root's: the filter reaches
 * it through an O_PATH descriptor opened as root, every connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/runtime.h"
#include "internal.h"
#include "banned.h"

#define VTPM_PROXY_MS	      2000
#define VTPM_PROXY_CLIENTS    8
#define VTPM_CMD_SET_LOCALITY 0x05

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n >= sizeof(sa->sun_path))
		return -1;
	memcpy(sa->sun_path, path, n + 1);
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Exactly n bytes from fd within VTPM_PROXY_MS, or -1. */
static int read_full(int fd, uint8_t *buf, size_t n)
{
	long end = now_ms() + VTPM_PROXY_MS;
	size_t got = 0;

	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left = end - now_ms();
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		r = read(fd, buf + got, n - got);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* A complete request: CMD_SET_LOCALITY 0 forwarded and answered, anything else dropped. */
static void relay(int c, const uint8_t req[5], const struct sockaddr_un *real)
{
	static const uint8_t want[5] = { 0, 0, 0, VTPM_CMD_SET_LOCALITY, 0 };
	uint8_t resp[4];
	int s;

	if (memcmp(req, want, sizeof(want)))
		return;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	/* swtpm (not the container) is waited for here, VTPM_PROXY_MS at most */
	if (connect(s, (const struct sockaddr *)real, sizeof(*real)) == 0 &&
	    send(s, req, 5, MSG_NOSIGNAL) == 5 && read_full(s, resp, sizeof(resp)) == 0)
		(void)!send(c, resp, sizeof(resp), MSG_NOSIGNAL);
	close(s);
}

struct client {
	int fd;
	long deadline;
	size_t got;
	uint8_t req[5];
};

static void drop(struct client *cl, size_t *n, size_t i)
{
	close(cl[i].fd);
	cl[i] = cl[--*n];
}

/*
 * Up to VTPM_PROXY_CLIENTS connections at once, each with its own deadline
 * (VTPM_PROXY_MS from its accept to its whole request): a container holding
 * connections open idle delays no other one while a slot is free, and all
 * slots full, the next connection waits in the backlog VTPM_PROXY_MS at most.
 */
static void __attribute__((noreturn)) serve(int lfd, const struct sockaddr_un *real)
{
	struct client cl[VTPM_PROXY_CLIENTS];
	struct pollfd pf[VTPM_PROXY_CLIENTS + 1];
	size_t n = 0;

	for (;;) {
		long now = now_ms(), wait = -1;
		size_t np = 0;
		int r;

		for (size_t i = 0; i < n;) {
			if (cl[i].deadline <= now) {
				drop(cl, &n, i);
				continue;
			}
			if (wait < 0 || cl[i].deadline - now < wait)
				wait = cl[i].deadline - now;
			pf[np++] = (struct pollfd){ .fd = cl[i].fd, .events = POLLIN };
			i++;
		}
		if (n < VTPM_PROXY_CLIENTS)
			pf[np++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		r = poll(pf, np, (int)wait);
		if (r < 0) {
			if (errno != EINTR && errno != EAGAIN)
				_exit(1);
			continue;
		}
		/* the clients first (pf[0..n-1] are cl[0..n-1]), from the last: drop moves the last
		 */
		for (size_t i = n; i-- > 0;) {
			ssize_t got;

			if (!pf[i].revents)
				continue;
			got = read(cl[i].fd, cl[i].req + cl[i].got, sizeof(cl[i].req) - cl[i].got);
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				drop(cl, &n, i);
				continue;
			}
			cl[i].got += (size_t)got;
			if (cl[i].got == sizeof(cl[i].req)) {
				relay(cl[i].fd, cl[i].req, real);
				drop(cl, &n, i);
			}
		}
		if (np > 0 && pf[np - 1].fd == lfd && pf[np - 1].revents) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

			if (c >= 0) {
				cl[n++] = (struct client){ .fd = c,
							   .deadline = now_ms() + VTPM_PROXY_MS };
			} else if (errno == EBADF || errno == EINVAL || errno == ENOTSOCK) {
				_exit(1);
			} else if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN) {
				struct timespec pause = { 0,
							  10000000L }; /* EMFILE...: no busy loop */

				nanosleep(&pause, NULL);
			}
		}
	}
}

/*
 * In the filter's child: not root any more (fuid:fgid, no supplementary
 * groups, no_new_privs), 0 or an errno. It reaches the real control socket
 * (fuid's, 0600, in a 0700 directory of root's) through rfd, an O_PATH
 * descriptor opened before: "/proc/self/fd/N" (its own descriptors, which
 * setuid leaves it, undumpable, reading).
 */
static int drop_root(uid_t fuid, gid_t fgid)
{
	if (setgroups(0, NULL) < 0 || setresgid(fgid, fgid, fgid) < 0 ||
	    setresuid(fuid, fuid, fuid) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return errno ? errno : EPERM;
	if (fuid && setuid(0) == 0)
		return EPERM; /* root is gone for good */
	return 0;
}

pid_t rt_vtpm_proxy_start(const char *path, const char *real, uid_t uid, gid_t gid, uid_t fuid,
			  gid_t fgid, const int *cgfd, size_t ncg, struct bh_error **err)
{
	struct sockaddr_un sa, ra;
	int lfd, p[2];
	pid_t child, pid = -1;

	if (unix_addr(path, &sa) < 0 || unix_addr(real, &ra) < 0)
		return bh_error_set(err, BH_ERR_INVALID, "vTPM: socket path %s too long", path);
	(void)unix_addr("/proc/self/fd/4", &ra); /* the O_PATH descriptor of real */
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return bh_error_sys(err, errno, "vTPM: socket");
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 || chmod(path, 0660) < 0 ||
	    listen(lfd, 16) < 0) {
		bh_error_sys(err, errno, "vTPM: the control socket %s", path);
		close(lfd);
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		close(lfd);
		return bh_error_sys(err, errno, "pipe");
	}
	child = fork();
	if (child < 0) {
		int e = errno;

		close(lfd);
		close(p[0]);
		close(p[1]);
		return bh_error_sys(err, e, "fork");
	}
	if (child == 0) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		int rfd = open(real, O_PATH | O_NOFOLLOW | O_CLOEXEC), e;
		sigset_t none;
		pid_t g;

		if (rfd >= 0) /* out of the way of 3 and 4 */
			rfd = fcntl(rfd, F_DUPFD_CLOEXEC, 64);
		if (nul < 0 || rfd < 0 || setsid() < 0)
			_exit(127);
		g = fork();
		if (g != 0)
			_exit(g < 0);
		e = rt_vtpm_cg_join(cgfd, ncg);
		if (e)
			rt_vtpm_report(p[1], e, RT_VTPM_STEP_CGROUP);
		rt_vtpm_report(p[1], drop_root(fuid, fgid), RT_VTPM_STEP_USER);
		for (int s = 1; s < NSIG; s++)
			if (s != SIGKILL && s != SIGSTOP)
				signal(s, SIG_DFL);
		signal(SIGPIPE, SIG_IGN);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL); /* SIGTERM must reach it */
		if (dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0 || dup2(lfd, 3) < 0 ||
		    dup2(rfd, 4) < 0)
			_exit(127);
		syscall(SYS_close_range, 5, ~0U, 0);
		serve(3, &ra);
	}
	close(lfd);
	close(p[1]);
	pid = rt_vtpm_started(p[0], "its control-socket filter", err);
	close(p[0]);
	waitpid(child, NULL, 0);
	return pid;
}
