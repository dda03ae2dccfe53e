/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Supervised mounts (annotation org.bulkhead.mounts=supervised): mount(2)
 * in the container raises a seccomp user notification; this supervisor
 * reads the arguments from the container's memory, checks the request is
 * still live, and decides. What it allows it performs itself, through fds
 * in the container's mount namespace (never by letting the kernel re-read
 * the caller's memory, which the caller could change in between):
 *   - a new tmpfs on a directory inside the container;
 *   - a non-recursive bind mount whose source and target are inside the
 *     container's root and whose source is not procfs, sysfs or cgroupfs.
 * Everything else fails with EPERM: procfs, sysfs, cgroup, any remount,
 * any other file system type, umount. Seccomp alone cannot see a file
 * system type; this closes that gap.
 *
 * The same listener carries protect's refusals (org.bulkhead.seccomp.mode=
 * protect, action errno: src/runtime/learn.c): the learned filter's default
 * action is a notification, so a call outside the allow-list comes here, is
 * counted by (architecture, number) in the container's counter file
 * (RT_DENIALS_FILE in its state directory, mapped shared) BEFORE it is
 * answered EPERM, as the filter itself would have; delete reads the counts
 * (rt_learn_collect). Allowed calls never leave the kernel's filter. Should
 * the supervisor be gone, the kernel answers such a call ENOSYS.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/profile.h"
#include "internal.h"
#include "banned.h"

#define ARG_MAX_LEN 4096

static int read_str(int memfd, uint64_t addr, char *buf, size_t n)
{
	ssize_t r;

	if (!addr) {
		buf[0] = 0;
		return 0;
	}
	r = pread(memfd, buf, n - 1, (off_t)addr);
	if (r <= 0)
		return -1;
	buf[r] = 0;
	if (!memchr(buf, 0, (size_t)r) && (size_t)r == n - 1)
		return -1; /* too long */
	return 0;
}

static bool has_sys_admin(pid_t pid)
{
	struct bh_buf b = BH_BUF_INIT(64 * 1024);
	char path[64], *p;
	bool r = false;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (bh_read_file(path, &b, NULL) == 0 && (p = strstr(b.data, "\nCapEff:\t"))) {
		unsigned long long v = strtoull(p + 9, NULL, 16);

		r = (v >> 21) & 1;
	}
	bh_buf_release(&b);
	return r;
}

static int open_in(int rootfd, const char *path, int flags)
{
	struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };

	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* In a child: enter the caller's mount namespace and do the mount. Returns errno. */
static int perform(pid_t pid, const char *src, const char *tgt, const char *type,
		   unsigned long flags, const char *data)
{
	char p[64];
	int nsfd, rootfd, tfd, mfd, fsfd;
	unsigned attrs = 0;

	snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)pid);
	nsfd = open(p, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNS) < 0)
		return EPERM;
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	tfd = rootfd < 0 ? -1 : open_in(rootfd, tgt, O_PATH);
	if (tfd < 0)
		return errno ? errno : ENOENT;
	if (flags & MS_RDONLY)
		attrs |= MOUNT_ATTR_RDONLY;
	if (flags & MS_NOSUID)
		attrs |= MOUNT_ATTR_NOSUID;
	if (flags & MS_NODEV)
		attrs |= MOUNT_ATTR_NODEV;
	if (flags & MS_NOEXEC)
		attrs |= MOUNT_ATTR_NOEXEC;
	if (flags & MS_BIND) {
		struct statfs sf;
		int sfd = open_in(rootfd, src, O_PATH);

		if (sfd < 0)
			return errno;
		if (fstatfs(sfd, &sf) < 0 || sf.f_type == PROC_SUPER_MAGIC ||
		    sf.f_type == SYSFS_MAGIC || sf.f_type == CGROUP_SUPER_MAGIC ||
		    sf.f_type == CGROUP2_SUPER_MAGIC)
			return EPERM;
		mfd = open_tree(sfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		if (mfd < 0)
			return errno;
		if (attrs) {
			struct mount_attr a = { .attr_set = attrs };

			if (mount_setattr(mfd, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
				return errno;
		}
	} else {
		char *copy = bh_strdup(data), *save = NULL, *o;

		fsfd = fsopen(type, FSOPEN_CLOEXEC);
		if (fsfd < 0)
			return errno;
		for (o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(o, '=');

			if (eq)
				*eq++ = 0;
			if (fsconfig(fsfd, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o, eq, 0) <
			    0)
				return errno;
		}
		if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
			return errno;
		mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
		if (mfd < 0)
			return errno;
	}
	if (move_mount(mfd, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return errno;
	return 0;
}

static int decide(int listener, struct seccomp_notif *req)
{
	static char src[ARG_MAX_LEN], tgt[ARG_MAX_LEN], type[256], data[ARG_MAX_LEN];
	pid_t pid = (pid_t)req->pid, child;
	unsigned long flags;
	char p[64];
	int memfd, ws, e;

	if (req->data.nr != SYS_mount)
		return EPERM; /* umount2: refused */
	snprintf(p, sizeof(p), "/proc/%d/mem", (int)pid);
	memfd = open(p, O_RDONLY | O_CLOEXEC);
	if (memfd < 0)
		return EPERM;
	if (read_str(memfd, req->data.args[0], src, sizeof(src)) < 0 ||
	    read_str(memfd, req->data.args[1], tgt, sizeof(tgt)) < 0 ||
	    read_str(memfd, req->data.args[2], type, sizeof(type)) < 0 ||
	    read_str(memfd, req->data.args[4], data, sizeof(data)) < 0) {
		close(memfd);
		return EFAULT;
	}
	close(memfd);
	/* the process may have died and its pid been reused while we read */
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0)
		return EPERM;
	flags = (unsigned long)req->data.args[3];
	if (!has_sys_admin(pid) || tgt[0] != '/')
		return EPERM;
	if (flags & (MS_REMOUNT | MS_MOVE | MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE))
		return EPERM;
	if (flags & MS_BIND) {
		if (src[0] != '/')
			return EPERM;
	} else if (strcmp(type, "tmpfs")) {
		return EPERM; /* procfs, sysfs, cgroup, devpts, anything else */
	}
	child = fork();
	if (child < 0)
		return EAGAIN;
	if (child == 0)
		_exit(perform(pid, src, tgt, type, flags, data));
	while (waitpid(child, &ws, 0) < 0 && errno == EINTR)
		;
	e = WIFEXITED(ws) ? WEXITSTATUS(ws) : EPERM;
	bh_debug("supervised mount %s on %s (%s): %s", src, tgt, type, e ? strerror(e) : "done");
	return e;
}

_Static_assert(RT_DENIALS_COUNT == BH_PROF_NARCH * BH_PROF_MAX_NR, "the counter file's layout");

/* Count a refused call (counts: RT_DENIALS_COUNT slots, or NULL). */
static void count_denial(uint64_t *counts, const struct seccomp_data *d)
{
	unsigned arch, nr = (unsigned)d->nr;

	if (!counts)
		return;
	if (d->arch == AUDIT_ARCH_I386)
		arch = BH_PROF_X86;
	else if (d->arch == AUDIT_ARCH_X86_64 && (nr & 0x40000000u))
		arch = BH_PROF_X32, nr &= ~0x40000000u;
	else if (d->arch == AUDIT_ARCH_X86_64)
		arch = BH_PROF_X86_64;
	else
		return;
	if (nr >= BH_PROF_MAX_NR)
		return;
	__atomic_fetch_add(&counts[arch * BH_PROF_MAX_NR + nr], 1, __ATOMIC_RELAXED);
}

/* The answer (an errno, 0: done) to one notification. */
static int answer(int listener, struct seccomp_notif *req, bool mounts, uint64_t *counts)
{
	if (mounts && req->data.arch == AUDIT_ARCH_X86_64 &&
	    (req->data.nr == SYS_mount || req->data.nr == SYS_umount2))
		return decide(listener, req);
	/* anything else is a refusal of the filter's: counted, then answered */
	count_denial(counts, &req->data);
	return EPERM;
}

static void supervise(int sock, int counters_fd, bool mounts) __attribute__((noreturn));
static void supervise(int sock, int counters_fd, bool mounts)
{
	uint64_t *counts = NULL;
	struct seccomp_notif_sizes sz;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	int fds[1];
	size_t n = 1;
	char name[256];

	/* the listener arrives as one fd with a short name */
	if (rt_recv_fds(sock, name, sizeof(name), fds, &n) <= 0 || n != 1)
		_exit(0);
	close(sock);
	if (counters_fd >= 0) {
		void *m = mmap(NULL, RT_DENIALS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			       counters_fd, 0);

		counts = m == MAP_FAILED ? NULL : m;
		close(counters_fd);
	}
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
		_exit(1);
	req = bh_calloc(1, sz.seccomp_notif > sizeof(*req) ? sz.seccomp_notif : sizeof(*req));
	resp = bh_calloc(1, sz.seccomp_notif_resp > sizeof(*resp) ? sz.seccomp_notif_resp
								  : sizeof(*resp));
	for (;;) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };

		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
			break;
		memset(req, 0, sz.seccomp_notif);
		if (ioctl(fds[0], SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			break;
		}
		memset(resp, 0, sz.seccomp_notif_resp);
		resp->id = req->id;
		resp->error = -answer(fds[0], req, mounts, counts);
		resp->val = 0;
		if (ioctl(fds[0], SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
			bh_debug("seccomp notify send: %s", strerror(errno));
	}
	_exit(0);
}

int rt_notify_supervisor_start(int counters, bool mounts, pid_t *sup_pid, struct bh_error **err)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return bh_error_sys(err, errno, "mount supervisor: socketpair");
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return bh_error_sys(err, errno, "mount supervisor: fork");
	}
	if (pid == 0) {
		close(sv[1]);
		setsid();
		prctl(PR_SET_NAME, "bh-mountsup", 0, 0, 0);
		/* nothing else of the runtime stays open */
		for (int fd = 0; fd < 3; fd++) {
			int nul = open("/dev/null", O_RDWR);

			if (nul >= 0 && nul != fd) {
				dup2(nul, fd);
				close(nul);
			}
		}
		/* the socket on 3, the counter file on 4 (fds above 2 are not stdio) */
		if (counters >= 0 && counters != 4) {
			int c = fcntl(counters, F_DUPFD_CLOEXEC, 5);

			if (c < 0 || (sv[0] == 4 && (sv[0] = fcntl(4, F_DUPFD_CLOEXEC, 5)) < 0) ||
			    dup3(c, 4, O_CLOEXEC) < 0)
				_exit(1);
			counters = 4;
		}
		if (sv[0] != 3 && dup3(sv[0], 3, O_CLOEXEC) < 0)
			_exit(1);
		syscall(SYS_close_range, counters >= 0 ? 5 : 4, ~0U, 0);
		supervise(3, counters, mounts);
	}
	close(sv[0]);
	*sup_pid = pid;
	return sv[1];
}
