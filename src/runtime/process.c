/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The last steps of a container process, in the order that keeps each one
 * possible: rlimits and oom_score_adj (need privilege), no_new_privs, the
 * bounding set, user and groups (capabilities kept across the switch),
 * Landlock, then the final capability sets and seccomp — the filter goes on
 * as late as possible: right before execve, or right before the final capset
 * when neither no_new_privs nor CAP_SYS_ADMIN would allow loading it after.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "internal.h"
#include "banned.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- executable lookup ---------------------------------------------------- */

static bool is_exec_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int rt_find_exec(const struct bh_rt_process *p, char **out, struct bh_error **err)
{
	const char *name = p->args[0], *path = NULL;
	char *copy, *save = NULL, *dir;

	*out = NULL;
	if (strchr(name, '/')) {
		if (!is_exec_file(name))
			return bh_error_sys(err, errno ? errno : EACCES,
					    "process.args[0] '%.200s' is not an executable file",
					    name);
		*out = bh_strdup(name);
		return 0;
	}
	for (char **e = p->env; e && *e; e++)
		if (bh_str_has_prefix(*e, "PATH="))
			path = *e + 5;
	copy = bh_strdup(path ? path : DEFAULT_PATH);
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *cand = bh_asprintf("%s/%s", *dir ? dir : ".", name);

		if (is_exec_file(cand)) {
			*out = cand;
			free(copy);
			return 0;
		}
		free(cand);
	}
	free(copy);
	return bh_error_set(err, BH_ERR_NOTFOUND,
			    "executable file '%.200s' not found in $PATH of the container", name);
}

/* ---- rlimits --------------------------------------------------------------- */

int rt_set_rlimits(const struct bh_rt_process *p, struct bh_error **err)
{
	for (size_t i = 0; i < p->nrlimits; i++) {
		struct rlimit rl = { .rlim_cur = p->rlimits[i].soft,
				     .rlim_max = p->rlimits[i].hard };

		if (setrlimit((__rlimit_resource_t)p->rlimits[i].resource, &rl) < 0) {
			int e = errno;

			return bh_error_sys(
				err, e, "setting rlimit %d to %llu:%llu%s", p->rlimits[i].resource,
				(unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
				e == EPERM ? " (raising a hard limit needs "
					     "CAP_SYS_RESOURCE, which this runtime lacks)"
					   : "");
		}
	}
	return 0;
}

/* ---- capabilities ------------------------------------------------------------ */

static int capset_sets(uint64_t eff, uint64_t perm, uint64_t inh)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];

	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)perm;
	d[1].permitted = (uint32_t)(perm >> 32);
	d[0].inheritable = (uint32_t)inh;
	d[1].inheritable = (uint32_t)(inh >> 32);
	return (int)syscall(SYS_capset, &h, d);
}

static int capget_perm(uint64_t *perm)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	*perm = d[0].permitted | ((uint64_t)d[1].permitted << 32);
	return 0;
}

static int drop_bounding(uint64_t keep, struct bh_error **err)
{
	uint64_t known = rt_caps_known_mask();

	for (int c = 0; c < 64; c++) {
		if (!(known & (1ULL << c)) || (keep & (1ULL << c)))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return bh_error_sys(err, errno, "dropping %s from the bounding set",
					    bh_cap_name(c) ? bh_cap_name(c) : "a capability");
	}
	return 0;
}

static int raise_ambient(uint64_t amb, struct bh_error **err)
{
	for (int c = 0; c < 64; c++)
		if ((amb & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			return bh_error_sys(err, errno, "raising ambient %s",
					    bh_cap_name(c) ? bh_cap_name(c) : "capability");
	return 0;
}

/* ---- Landlock ----------------------------------------------------------------- */

/* Our own copies: the system header may predate the newer ABIs. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

#define LL_CREATE_VERSION (1U << 0)
#define LL_RULE_PATH	  1
#define LL_FS_EXECUTE	  (1ULL << 0)
#define LL_FS_WRITE_FILE  (1ULL << 1)
#define LL_FS_READ_FILE	  (1ULL << 2)
#define LL_FS_READ_DIR	  (1ULL << 3)
#define LL_FS_REFER	  (1ULL << 13)
#define LL_FS_TRUNCATE	  (1ULL << 14)
#define LL_FS_IOCTL_DEV	  (1ULL << 15)
#define LL_SCOPE_ABSTRACT (1ULL << 0)
#define LL_SCOPE_SIGNAL	  (1ULL << 1)
#define LL_FILE_RIGHTS                                                                             \
	(LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

int rt_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

static uint64_t ll_handled(int abi)
{
	uint64_t h = (1ULL << 13) - 1; /* ABI 1: EXECUTE .. MAKE_SYM */

	if (abi >= 2)
		h |= LL_FS_REFER;
	if (abi >= 3)
		h |= LL_FS_TRUNCATE;
	if (abi >= 5)
		h |= LL_FS_IOCTL_DEV;
	return h;
}

static int ll_add(int rfd, const char *path, uint64_t access, struct bh_error **err)
{
	struct ll_path_beneath pb;
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT) {
			bh_debug("landlock: %s does not exist in the container, skipped", path);
			return 0;
		}
		return bh_error_sys(err, errno, "landlock: %s", path);
	}
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		access &= LL_FILE_RIGHTS;
	pb.allowed_access = access;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, rfd, LL_RULE_PATH, &pb, 0) < 0) {
		int e = errno;

		close(fd);
		return bh_error_sys(err, e, "landlock: adding %s", path);
	}
	close(fd);
	return 0;
}

int rt_landlock_apply(const struct bh_rt_spec *spec, struct bh_error **err)
{
	struct ll_ruleset_attr attr = { 0 };
	size_t size;
	int abi, rfd, r = -1;
	uint64_t ro;

	if (!spec->nlandlock_ro && !spec->nlandlock_rw)
		return 0;
	abi = rt_landlock_abi();
	if (abi <= 0)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "landlock annotations given but the kernel has no Landlock");
	attr.handled_access_fs = ll_handled(abi);
	size = 8;
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT | LL_SCOPE_SIGNAL;
		size = sizeof(attr);
	}
	rfd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (rfd < 0)
		return bh_error_sys(err, errno, "landlock: creating the ruleset (ABI %d)", abi);
	ro = (LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR) & attr.handled_access_fs;
	for (size_t i = 0; i < spec->nlandlock_ro; i++)
		if (ll_add(rfd, spec->landlock_ro[i], ro, err) < 0)
			goto out;
	for (size_t i = 0; i < spec->nlandlock_rw; i++)
		if (ll_add(rfd, spec->landlock_rw[i], attr.handled_access_fs, err) < 0)
			goto out;
	if (syscall(SYS_landlock_restrict_self, rfd, 0) < 0) {
		bh_error_sys(err, errno, "landlock: restricting the container");
		goto out;
	}
	r = 0;
out:
	close(rfd);
	return r;
}

/* ---- console -------------------------------------------------------------------- */

/* An fd with a short name (the peer logs it), on the console or notify socket. */
static int send_fd(int sock, int fd, const char *name)
{
	return rt_send_fds(sock, name, strlen(name), &fd, 1);
}

int rt_console_setup(int sock, const struct bh_rt_process *p, struct bh_error **err)
{
	int master, slave = -1, r = -1;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return bh_error_sys(err, errno, "console: opening /dev/ptmx in the container");
	if (unlockpt(master) < 0) {
		bh_error_sys(err, errno, "console: unlockpt");
		goto out;
	}
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		bh_error_sys(err, errno, "console: opening the pty peer");
		goto out;
	}
	if (p->console_height || p->console_width) {
		struct winsize ws = { .ws_row = (unsigned short)p->console_height,
				      .ws_col = (unsigned short)p->console_width };

		ioctl(slave, TIOCSWINSZ, &ws);
	}
	if (fchown(slave, p->uid, (gid_t)-1) < 0)
		bh_debug("console: fchown: %s", strerror(errno));
	if (send_fd(sock, master, "/dev/ptmx") < 0) {
		bh_error_sys(err, errno, "console: sending the pty to the console socket");
		goto out;
	}
	if (setsid() < 0 && errno != EPERM) {
		bh_error_sys(err, errno, "console: setsid");
		goto out;
	}
	if (ioctl(slave, TIOCSCTTY, 0) < 0) {
		bh_error_sys(err, errno, "console: making it the controlling terminal");
		goto out;
	}
	if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0) {
		bh_error_sys(err, errno, "console: stdio");
		goto out;
	}
	r = 0;
out:
	close(master);
	if (slave > 2)
		close(slave);
	return r;
}

/* ---- the end: exec ------------------------------------------------------------- */

int rt_process_exec(const struct rt_proc_ctx *c, const char *exe, struct bh_error **err)
{
	const struct bh_rt_process *p = c->p;
	uint64_t bnd = 0, eff = 0, perm = 0, inh = 0, amb = 0, cur = 0;
	bool late_seccomp;
	int listener;

	if (p->has_caps) {
		uint64_t known = rt_caps_known_mask();

		bnd = p->caps[BH_CAP_BOUNDING] & known;
		eff = p->caps[BH_CAP_EFFECTIVE] & known;
		perm = p->caps[BH_CAP_PERMITTED] & known;
		inh = p->caps[BH_CAP_INHERITABLE] & known;
		amb = p->caps[BH_CAP_AMBIENT] & known & perm;
		inh |= amb; /* the kernel raises only what is inheritable and permitted */
	}
	if (rt_set_rlimits(p, err) < 0)
		return -1;
	umask(p->has_umask ? (mode_t)p->umask : 022);
	if (p->has_oom_score_adj) {
		char v[16];
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

		snprintf(v, sizeof(v), "%d", p->oom_score_adj);
		if (fd < 0 || write(fd, v, strlen(v)) < 0) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			return bh_error_sys(err, e, "setting oomScoreAdj %d", p->oom_score_adj);
		}
		close(fd);
	}
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return bh_error_sys(err, errno, "setting no_new_privs");
	if (drop_bounding(bnd, err) < 0)
		return -1;
	if (setgroups(p->ngids, p->ngids ? (const gid_t *)p->gids : NULL) < 0 && errno != EPERM)
		return bh_error_sys(err, errno, "setgroups");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return bh_error_sys(err, errno, "setting gid %u", p->gid);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return bh_error_sys(err, errno, "PR_SET_KEEPCAPS");
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return bh_error_sys(err, errno, "setting uid %u", p->uid);
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	/* the uid switch cleared the effective set: take back what is permitted
	 * for the steps below */
	if (capget_perm(&cur) < 0 || capset_sets(cur, cur, 0) < 0)
		return bh_error_sys(err, errno, "capset");
	if (rt_landlock_apply(c->spec, err) < 0)
		return -1;

	late_seccomp = p->no_new_privileges || (eff & (1ULL << 21 /* CAP_SYS_ADMIN */));
	if (!late_seccomp && c->filter) {
		listener = rt_filter_load(c->filter);
		if (listener < 0)
			return bh_error_sys(err, -listener, "loading the seccomp filter");
		if (listener > 0 && c->notify_sock >= 0) {
			send_fd(c->notify_sock, listener, "seccomp");
			close(listener);
		}
	}
	if (capset_sets(eff, perm, inh) < 0)
		return bh_error_sys(err, errno, "setting the capabilities");
	if (raise_ambient(amb, err) < 0)
		return -1;
	if (late_seccomp && c->filter) {
		listener = rt_filter_load(c->filter);
		if (listener < 0)
			return bh_error_sys(err, -listener, "loading the seccomp filter");
		if (listener > 0 && c->notify_sock >= 0) {
			send_fd(c->notify_sock, listener, "seccomp");
			close(listener);
		}
	}
	execve(exe, p->args, p->env);
	return bh_error_sys(err, errno, "executing %s", exe);
}
