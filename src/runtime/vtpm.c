/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-container vTPM (issue 18, NISTIR 8176): a bundle annotated
 * org.bulkhead.vtpm=true gets its own swtpm, started at create, stopped at
 * delete. This host has no /dev/vtpmx (and no CUSE), so the vTPM is not a
 * device: it is swtpm's unix socket in <state>/<id>/vtpm/run, bind-mounted
 * read-only at /run/vtpm in the container, with TPM2TOOLS_TCTI and
 * TPM2OPENSSL_TCTI set so tpm2-tools and the tpm2 OpenSSL provider find it.
 * tpm2-tss's swtpm TCTI also needs the control socket (tpm.sock.ctrl): the one
 * mounted is a filter (vtpm_proxy.c) forwarding only CMD_SET_LOCALITY 0 to
 * swtpm's real one, <state>/<id>/vtpm/ctrl/ctrl.sock (0700 directory, never
 * mounted: it reads and replaces the vTPM's state). Its state is in
 * <state>/<id>/vtpm/state (0700, never in the container). Its EK is made and
 * certified by the host TPM's key (src/tpm/vtpm.c), and so is its attestation
 * key (persisted at 0x81010018 before the container runs; ak.crt names the
 * EK): ek.crt, ek.pem, ak.crt, ak.pem, host-ca.crt and host-key.pem beside
 * the socket.
 *
 *   create: checks ─ rt_vtpm_check (annotation, swtpm installed) ─ ... make_state
 *           ─ rt_vtpm_start: swtpm (double fork, its own session; a random
 *             migration key) ─ state.json "vtpm" {pid, pid_start} written ─ the
 *             control filter, state.json {proxy_pid, proxy_start} written ─
 *             wait for the socket (it dies: its log in the error) ─ EK, AK +
 *             certificates ─ the mount and env added
 *   delete / failed create: rt_vtpm_stop (SIGTERM, then SIGKILL), the state
 *           directory (and the vTPM's state with it) removed; with
 *           org.bulkhead.vtpm.keep=true its state is first moved to
 *           <state root>/vtpm-kept/<id>, which the next create of <id> reuses
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/runtime.h"
#include "bulkhead/tpm.h"
#include "bulkhead/vtpm.h"
#include "internal.h"
#include "banned.h"

#define ANN_VTPM	 "org.bulkhead.vtpm"
#define ANN_KEEP	 "org.bulkhead.vtpm.keep"
#define VTPM_MOUNT	 "/run/vtpm"
#define VTPM_WAIT_MS	 5000
#define VTPM_STOP_MS	 2000
#define VTPM_LOG_MAX	 2048
#define VTPM_NPASS	 4 /* server, ctrl, state dir, migration key: fds 3..6 */
#define VTPM_MAXCG	 4
#define VTPM_STATE_DEPTH 4	 /* directories in a kept state, at most */
#define VTPM_CG_SUFFIX	 ":vtpm" /* no container ID has a colon */

#ifndef MOUNT_ATTR_NOSUID
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV  0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif

/* swtpm on $PATH, or NULL. Caller frees. */
static char *find_swtpm(void)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL, *found = NULL;

	copy = bh_strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *p = bh_asprintf("%s/swtpm", *d ? d : ".");

		if (access(p, X_OK) == 0)
			found = p;
		else
			free(p);
	}
	free(copy);
	return found;
}

int rt_vtpm_check(const struct bh_rt_spec *spec, struct bh_error **err)
{
	const char *v = spec->annotations ? bh_json_str(spec->annotations, ANN_VTPM) : NULL;
	char *sw;

	if (!v || !strcmp(v, "false"))
		return 0;
	if (strcmp(v, "true"))
		return bh_error_set(err, BH_ERR_INVALID,
				    "annotation %s: '%.64s' is not true or false", ANN_VTPM, v);
	sw = find_swtpm();
	if (!sw)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "annotation %s=true: the vTPM needs swtpm, which is not "
				    "installed (not on $PATH; Debian package swtpm)",
				    ANN_VTPM);
	free(sw);
	return 1;
}

static void idmap_root(const struct bh_rt_spec *s, uid_t *uid, gid_t *gid)
{
	*uid = 0;
	*gid = 0;
	for (size_t i = 0; i < s->nuid_mappings; i++)
		if (s->uid_mappings[i].container_id == 0)
			*uid = s->uid_mappings[i].host_id;
	for (size_t i = 0; i < s->ngid_mappings; i++)
		if (s->gid_mappings[i].container_id == 0)
			*gid = s->gid_mappings[i].host_id;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* In a forked child (async-signal-safe): into the cgroups of cgfd (their cgroup.procs), 0 or an
 * errno. */
int rt_vtpm_cg_join(const int *cgfd, size_t ncg)
{
	for (size_t i = 0; i < ncg; i++)
		if (write(cgfd[i], "0", 1) != 1)
			return errno ? errno : EIO;
	return 0;
}

/*
 * In that child: its pid and how its setup went (e: 0, else an errno, at
 * step what) told the runtime on fd report; _exit 126 when it failed.
 */
void rt_vtpm_report(int report, int e, int what)
{
	struct rt_vtpm_started m = { getpid(), e, what };

	(void)!write(report, &m, sizeof(m));
	if (e)
		_exit(126);
}

/* What rt_vtpm_report told on fd: the pid, else -1 and err naming what (who) failed. */
pid_t rt_vtpm_started(int fd, const char *who, struct bh_error **err)
{
	struct rt_vtpm_started m;

	if (read(fd, &m, sizeof(m)) != (ssize_t)sizeof(m) || m.pid <= 0)
		return bh_error_set(err, BH_ERR_IO, "vTPM: starting %s failed", who);
	if (m.err)
		return bh_error_sys(err, m.err, "vTPM: %s could not %s", who,
				    m.what == RT_VTPM_STEP_CGROUP ? "join its cgroup"
								  : "drop root (its user)");
	return m.pid;
}

/*
 * swtpm started in its own session, not our child (a double fork), in the
 * cgroups of cgfd (their cgroup.procs), with pass[] as its fds 3..: its pid.
 */
static pid_t spawn_swtpm(const char *sw, char *const argv[], const char *log, const int *pass,
			 const int *cgfd, size_t ncg, struct bh_error **err)
{
	int p[2];
	pid_t child, pid = -1;

	if (pipe2(p, O_CLOEXEC) < 0)
		return bh_error_sys(err, errno, "pipe");
	child = fork();
	if (child < 0) {
		close(p[0]);
		close(p[1]);
		return bh_error_sys(err, errno, "fork");
	}
	if (child == 0) {
		int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
		int hi[VTPM_NPASS];
		sigset_t all;
		pid_t g;

		if (in < 0 || out < 0 || setsid() < 0)
			_exit(127);
		g = fork();
		if (g != 0)
			_exit(g < 0);
		/* before swtpm allocates: its memory charged there */
		rt_vtpm_report(p[1], rt_vtpm_cg_join(cgfd, ncg), RT_VTPM_STEP_CGROUP);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL); /* SIGTERM must reach it */
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(127);
		for (int i = 0; i < VTPM_NPASS; i++) /* out of the way of 3..6 first */
			if ((hi[i] = fcntl(pass[i], F_DUPFD_CLOEXEC, 64)) < 0)
				_exit(127);
		for (int i = 0; i < VTPM_NPASS; i++)
			if (dup2(hi[i], 3 + i) < 0)
				_exit(127);
		syscall(SYS_close_range, 3 + VTPM_NPASS, ~0U, 0);
		execv(sw, argv);
		dprintf(2, "exec %s: %s\n", sw, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	pid = rt_vtpm_started(p[0], "swtpm", err);
	close(p[0]);
	waitpid(child, NULL, 0);
	return pid;
}

/* A listening unix socket at path, owner uid:gid, mode; -1 and err. */
static int listen_at(const char *path, uid_t uid, gid_t gid, mode_t mode, struct bh_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return bh_error_set(err, BH_ERR_INVALID, "vTPM: socket path %s too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return bh_error_sys(err, errno, "vTPM: socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 || chmod(path, mode) < 0 ||
	    listen(fd, 16) < 0) {
		bh_error_sys(err, errno, "vTPM: the socket %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * swtpm's user: tss (Debian's tpm2-tss and swtpm-tools use it), else nobody.
 * Never root: a flaw in swtpm's command parser (reached from the container)
 * then runs as a user that owns nothing but this vTPM's state.
 */
static int vtpm_user(uid_t *uid, gid_t *gid, const char **name, struct bh_error **err)
{
	static const char *const users[] = { "tss", "nobody" };

	for (size_t i = 0; i < 2; i++) {
		struct passwd *pw = getpwnam(users[i]);

		if (pw && pw->pw_uid != 0) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			*name = users[i];
			return 0;
		}
	}
	return bh_error_set(err, BH_ERR_UNSUPPORTED,
			    "vTPM: swtpm runs as user tss or nobody, and neither exists");
}

/*
 * The state directory and what is in it made uid's (a kept state may be an
 * older root-owned one). A kept state was writable by the last swtpm (uid):
 * a name in it may be a symbolic link, or a hard link to a file elsewhere on
 * the same file system (say /etc/shadow, where protected_hardlinks is off),
 * which a chown would give away. So each entry is opened O_NOFOLLOW (never
 * blocking, never becoming our tty) and chowned by its fd, only a regular
 * file with one link or a directory (entered by its fd, never by a path,
 * VTPM_STATE_DEPTH deep at most); anything else refuses the kept state,
 * naming the entry.
 */
static int own_tree(int dfd, const char *shown, uid_t uid, gid_t gid, int depth,
		    struct bh_error **err)
{
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0), r = 0;
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return bh_error_sys(err, errno, "vTPM: its state directory %s", shown);
	}
	while (!r && (e = readdir(d))) {
		struct stat st;
		char *p;
		int efd;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		p = bh_asprintf("%s/%s", shown, e->d_name);
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = bh_error_sys(err, errno, "vTPM: its state: %s", p);
		} else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			r = bh_error_set(
				err, BH_ERR_INVALID,
				"vTPM: its kept state holds %s, which is neither a file nor "
				"a directory: refused (remove it)",
				p);
		} else if ((efd = openat(dfd, e->d_name,
					 O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
						 O_CLOEXEC)) < 0) {
			r = bh_error_sys(err, errno, "vTPM: its state: %s", p);
		} else {
			if (fstat(efd, &st) < 0)
				r = bh_error_sys(err, errno, "vTPM: its state: %s", p);
			else if (S_ISREG(st.st_mode) && st.st_nlink != 1)
				r = bh_error_set(
					err, BH_ERR_INVALID,
					"vTPM: its kept state holds %s, a file with %ju "
					"links (a hard link to a file elsewhere?): refused "
					"(remove it)",
					p, (uintmax_t)st.st_nlink);
			else if (S_ISDIR(st.st_mode) && depth >= VTPM_STATE_DEPTH)
				r = bh_error_set(err, BH_ERR_INVALID,
						 "vTPM: its kept state holds %s, deeper than %d "
						 "directories: refused",
						 p, VTPM_STATE_DEPTH);
			else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
				r = bh_error_set(err, BH_ERR_INVALID,
						 "vTPM: its kept state holds %s, which changed "
						 "under us: refused",
						 p);
			else if (S_ISDIR(st.st_mode))
				r = own_tree(efd, p, uid, gid, depth + 1, err);
			else if (fchown(efd, uid, gid) < 0)
				r = bh_error_sys(err, errno, "vTPM: its state: %s", p);
			close(efd);
		}
		free(p);
	}
	closedir(d);
	if (r < 0)
		return -1;
	if (fchown(dfd, uid, gid) < 0 || fchmod(dfd, 0700) < 0)
		return bh_error_sys(err, errno, "vTPM: its state directory %s", shown);
	return 0;
}

/*
 * With a memory limit, swtpm and the filter go into a cgroup of their own
 * beside the container's (<its dir>:vtpm, in each hierarchy that has the
 * memory controller; no container ID has a colon, and one there already is
 * refused, never shared) with the same limit: their memory is bounded and not
 * the runtime's, and the container's freezer, kill and delete see only the
 * container's processes. The directories go into the state's "vtpm"
 * "cgroups"; cgfd gets their cgroup.procs, opened.
 */
static int vtpm_cgroups(const struct rt_cgroup *cg, int64_t limit, json_t *v, int *cgfd,
			size_t *ncg, struct bh_error **err)
{
	json_t *dirs = json_array();

	*ncg = 0;
	json_object_set_new(v, "cgroups", dirs);
	for (size_t i = 0; limit > 0 && i < cg->ndirs && *ncg < VTPM_MAXCG; i++) {
		bool v2 = !strcmp(cg->names[i], "unified"), v1 = strstr(cg->names[i], "memory");
		char *d, *f, *val;
		int fd;

		if ((!v1 && !(v2 && cg->layout == RT_CG_V2)))
			continue;
		d = bh_asprintf("%s" VTPM_CG_SUFFIX, cg->dirs[i]);
		if (mkdir(d, 0755) < 0) {
			if (errno == EEXIST)
				bh_error_set(err, BH_ERR_IO,
					     "vTPM: its cgroup %s exists already (not made by "
					     "this create: a stale one, or another's): refused",
					     d);
			else
				bh_error_sys(err, errno, "vTPM: its cgroup %s", d);
			free(d);
			return -1;
		}
		json_array_append_new(dirs, json_string(d));
		f = bh_asprintf("%s/%s", d, v1 ? "memory.limit_in_bytes" : "memory.max");
		val = bh_asprintf("%lld", (long long)limit);
		fd = open(f, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val)) {
			bh_error_sys(err, errno, "vTPM: writing %s", f);
			if (fd >= 0)
				close(fd);
			free(f);
			free(val);
			free(d);
			return -1;
		}
		close(fd);
		free(f);
		free(val);
		f = bh_asprintf("%s/cgroup.procs", d);
		cgfd[*ncg] = open(f, O_WRONLY | O_CLOEXEC);
		if (cgfd[*ncg] < 0) {
			bh_error_sys(err, errno, "vTPM: opening %s", f);
			free(f);
			free(d);
			return -1;
		}
		(*ncg)++;
		free(f);
		free(d);
	}
	return 0;
}

/* The cgroups vtpm_cgroups made removed (their processes stopped first). */
static void vtpm_cgroups_remove(const json_t *v)
{
	const json_t *dirs = bh_json_arr(v, "cgroups");

	for (size_t i = 0; i < json_array_size(dirs); i++) {
		const char *d = json_string_value(json_array_get(dirs, i));

		if (!d || !bh_str_has_prefix(d, "/sys/fs/cgroup/") || strstr(d, "..") ||
		    strlen(d) < 5 || strcmp(d + strlen(d) - 5, VTPM_CG_SUFFIX))
			continue;
		for (int k = 0; k < 100 && rmdir(d) < 0 && errno == EBUSY; k++)
			sleep_ms(10);
	}
}

/* pid runs and is the process started at start (0: unknown, never a match) */
static bool alive(pid_t pid, uint64_t start)
{
	char st = 0;
	uint64_t s = rt_proc_starttime(pid, &st);

	return pid > 0 && start && s == start && st != 'Z' && st != 'X';
}

/*
 * swtpm answers on its control socket: CMD_GET_CAPABILITY (1) answered
 * within 100 ms. The sockets are the runtime's (bound before swtpm starts),
 * so a connect alone says nothing about swtpm.
 */
static bool ctrl_answers(const char *path)
{
	static const uint8_t cmd[4] = { 0, 0, 0, 1 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd p;
	uint8_t resp[8];
	bool ok = false;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    send(fd, cmd, sizeof(cmd), MSG_NOSIGNAL) == (ssize_t)sizeof(cmd) &&
	    poll(&p, 1, 100) == 1 && read(fd, resp, sizeof(resp)) >= 4)
		ok = resp[0] == 0 && resp[1] == 0 && resp[2] == 0 && resp[3] == 0;
	close(fd);
	return ok;
}

/* The first lines of swtpm's log (its error comes first, its usage after), for an error. */
static char *log_head(const char *log)
{
	char buf[400], *s, *q;
	int lines = 0, fd = open(log, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return bh_strdup("(it wrote nothing)");
	s = bh_asprintf("%.*s", (int)n, buf);
	for (q = s; *q; q++)
		if (*q == '\n' && ++lines == 2)
			break;
	*q = 0;
	while (q > s && (q[-1] == '\n' || q[-1] == '\r' || q[-1] == ' '))
		*--q = 0;
	for (q = s; *q; q++)
		if (*q == '\n' || *q == '\r')
			*q = ' ';
	return s;
}

int rt_vtpm_alive(const json_t *state, const char *id, struct bh_error **err)
{
	const json_t *v = state ? json_object_get(state, "vtpm") : NULL;
	json_int_t pid = 0, start = 0, ppid = 0, pstart = 0;

	if (!v || !bh_json_int(v, "pid", &pid) || pid <= 0)
		return 0;
	bh_json_int(v, "pid_start", &start);
	bh_json_int(v, "proxy_pid", &ppid);
	bh_json_int(v, "proxy_start", &pstart);
	if (!alive((pid_t)pid, (uint64_t)start))
		return bh_error_set(err, BH_ERR_IO,
				    "container %s: its vTPM (swtpm, pid %lld) is gone (killed, or "
				    "it died): not started; delete the container",
				    id, (long long)pid);
	if (!alive((pid_t)ppid, (uint64_t)pstart))
		return bh_error_set(err, BH_ERR_IO,
				    "container %s: its vTPM's control-socket filter (pid %lld) is "
				    "gone (killed, or it died): not started; delete the container",
				    id, (long long)ppid);
	return 0;
}

/* org.bulkhead.vtpm.keep=true: the vTPM's state moved aside at delete, for the next create */
static void keep_state(const json_t *v)
{
	const char *keep = bh_json_str(v, "keep"), *from = bh_json_str(v, "state");
	char *parent, *slash;
	struct stat sb;

	if (!keep || !from || lstat(from, &sb) < 0)
		return;
	parent = bh_strdup(keep);
	slash = strrchr(parent, '/');
	if (slash)
		*slash = 0;
	if (mkdir(parent, 0700) < 0 && errno != EEXIST)
		bh_warn("vTPM: cannot keep its state: creating %s: %s", parent, strerror(errno));
	else if (bh_remove_tree(AT_FDCWD, keep, NULL), rename(from, keep) < 0)
		bh_warn("vTPM: cannot keep its state in %s: %s", keep, strerror(errno));
	free(parent);
}

/* The process of v's pid_key started at start_key ended: SIGTERM, then SIGKILL. */
static void stop_one(const json_t *v, const char *pid_key, const char *start_key)
{
	json_int_t pid = 0, start = 0;

	if (!bh_json_int(v, pid_key, &pid) || !bh_json_int(v, start_key, &start))
		return;
	if (alive((pid_t)pid, (uint64_t)start)) {
		kill((pid_t)pid, SIGTERM);
		for (int i = 0; i < VTPM_STOP_MS / 10 && alive((pid_t)pid, (uint64_t)start); i++)
			sleep_ms(10);
	}
	if (alive((pid_t)pid, (uint64_t)start)) {
		kill((pid_t)pid, SIGKILL);
		for (int i = 0; i < 100 && alive((pid_t)pid, (uint64_t)start); i++)
			sleep_ms(10);
	}
}

void rt_vtpm_stop(const json_t *state)
{
	const json_t *v = state ? json_object_get(state, "vtpm") : NULL;

	if (!v)
		return;
	stop_one(v, "proxy_pid", "proxy_start");
	stop_one(v, "pid", "pid_start");
	vtpm_cgroups_remove(v);
	keep_state(v);
}

static const char *const tcti_vars[] = { "TPM2TOOLS_TCTI", "TPM2OPENSSL_TCTI",
					 "BULKHEAD_TPM_TCTI" };

/* e is KEY=... for the variable k */
static bool is_var(const char *e, const char *k)
{
	size_t n = strlen(k);

	return !strncmp(e, k, n) && e[n] == '=';
}

/* The last entry of own that sets k, or NULL. */
static const char *own_value(char *const *own, const char *k)
{
	const char *v = NULL;

	for (char *const *e = own; e && *e; e++)
		if (is_var(*e, k))
			v = *e;
	return v;
}

void rt_vtpm_exec_env(const json_t *state, char ***env, char *const *own)
{
	const json_t *v = state ? json_object_get(state, "vtpm") : NULL;
	const char *sock = v ? bh_json_str(v, "socket") : NULL;
	struct bh_strvec out = { 0 };

	if (!sock)
		return;
	for (char **e = *env; e && *e; e++) {
		bool ours = false;

		for (size_t k = 0; k < 3; k++)
			ours |= is_var(*e, tcti_vars[k]);
		if (!ours)
			bh_strvec_push(&out, *e);
	}
	for (size_t k = 0; k < 3; k++) {
		const char *mine = own_value(own, tcti_vars[k]);

		if (mine)
			bh_strvec_push(&out, mine);
		else
			bh_strvec_pushf(&out, "%s=swtpm:path=%s", tcti_vars[k], sock);
	}
	bh_strv_free(*env);
	*env = bh_strvec_detach(&out);
}

/* The socket directory mounted at /run/vtpm, the TCTI variables set (replacing the bundle's). */
static void add_mount_env(struct bh_rt_spec *s, const char *run)
{
	const char *const *vars = tcti_vars;
	struct bh_rt_mount *m;
	struct bh_strvec env = { 0 };

	s->mounts = bh_reallocarray(s->mounts, s->nmounts + 1, sizeof(*s->mounts));
	m = &s->mounts[s->nmounts++];
	memset(m, 0, sizeof(*m));
	m->destination = bh_strdup(VTPM_MOUNT);
	m->type = bh_strdup("bind");
	m->source = bh_strdup(run);
	m->bind = true;
	m->flags = MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	m->attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	for (char **e = s->process.env; e && *e; e++) {
		bool ours = false;

		for (size_t k = 0; k < 3; k++)
			ours |= is_var(*e, vars[k]);
		if (!ours)
			bh_strvec_push(&env, *e);
	}
	for (size_t k = 0; k < 3; k++)
		bh_strvec_pushf(&env, "%s=swtpm:path=" VTPM_MOUNT "/tpm.sock", vars[k]);
	bh_strv_free(s->process.env);
	s->process.env = bh_strvec_detach(&env);
}

/* The state's "vtpm" object (created empty if missing), key set to the integer v. */
static void record(json_t *st, const char *key, json_int_t v)
{
	json_t *o = json_object_get(st, "vtpm");

	if (!o) {
		o = json_object();
		json_object_set_new(st, "vtpm", o);
	}
	json_object_set_new(o, key, json_integer(v));
}

int rt_vtpm_start(const struct bh_rt_ctx *ctx, const char *id, struct rt_created *c,
		  struct bh_error **err)
{
	const char *k = c->spec->annotations ? bh_json_str(c->spec->annotations, ANN_KEEP) : NULL;
	char *keep = NULL;
	char *dir = NULL, *state = NULL, *run = NULL, *log = NULL, *sock = NULL, *sw = NULL;
	char *tcti = NULL;
	const char *suser = NULL;
	int pass[VTPM_NPASS] = { -1, -1, -1, -1 }, cgfd[VTPM_MAXCG];
	size_t ncg = 0;
	uid_t suid = 0;
	gid_t sgid = 0;
	char *real = NULL, *pctrl = NULL, *ctrldir = NULL;
	bool renamed = false;
	uid_t uid;
	gid_t gid;
	pid_t pid, ppid;
	uint64_t start, pstart;
	json_t *v;
	int r = -1;

	r = rt_vtpm_check(c->spec, err);
	if (r <= 0)
		return r;
	r = -1;
	sw = find_swtpm();
	idmap_root(c->spec, &uid, &gid);
	dir = bh_asprintf("%s/vtpm", c->dir);
	state = bh_asprintf("%s/state", dir);
	run = bh_asprintf("%s/run", dir);
	log = bh_asprintf("%s/swtpm.log", dir);
	sock = bh_asprintf("%s/tpm.sock", run);
	ctrldir = bh_asprintf("%s/ctrl", dir);
	real = bh_asprintf("%s/ctrl.sock", ctrldir);
	pctrl = bh_asprintf("%s.ctrl", sock);
	if (k && strcmp(k, "true") && strcmp(k, "false")) {
		bh_error_set(err, BH_ERR_INVALID, "annotation %s: '%.64s' is not true or false",
			     ANN_KEEP, k);
		goto out;
	}
	if (strlen(id) > BH_VTPM_NAME_MAX) {
		bh_error_set(err, BH_ERR_INVALID,
			     "annotation %s=true: the container id is longer than %d characters "
			     "(its vTPM's EK certificate names it whole)",
			     ANN_VTPM, BH_VTPM_NAME_MAX);
		goto out;
	}
	if (k && !strcmp(k, "true"))
		keep = bh_asprintf("%s/vtpm-kept/%s", rt_state_root(ctx), id);
	if (mkdir(dir, 0700) < 0 || mkdir(run, 0755) < 0) {
		bh_error_sys(err, errno, "vTPM: creating %s", dir);
		goto out;
	}
	/*
	 * A user namespace: the init (the container's mapped root) binds run/
	 * from inside it, so the directories above it are searchable (0711: not
	 * listable; every file in them is 0600 root's, the state 0700 tss's).
	 */
	if ((uid || gid) && (chmod(c->dir, 0711) < 0 || chmod(dir, 0711) < 0)) {
		bh_error_sys(err, errno, "vTPM: %s", dir);
		goto out;
	}
	/* a kept state (the same id's last vTPM) is reused: same EK, same NV */
	renamed = keep && rename(keep, state) == 0;
	if (!renamed && mkdir(state, 0700) < 0) {
		bh_error_sys(err, errno, "vTPM: creating %s", state);
		goto out;
	}
	if (vtpm_user(&suid, &sgid, &suser, err) < 0)
		goto out;
	pass[0] = listen_at(sock, uid, gid, 0660, err);
	/*
	 * The real control socket, never mounted, in ctrl/: root's, 0700 (vtpm/
	 * may be 0711), so the socket (the filter's user's, which connects to
	 * it through an O_PATH descriptor opened as root) is reached by no one
	 * else by its path.
	 */
	if (pass[0] >= 0 && mkdirat(AT_FDCWD, ctrldir, 0700) < 0) {
		bh_error_sys(err, errno, "vTPM: creating %s", ctrldir);
		goto out;
	}
	pass[1] = pass[0] < 0 ? -1 : listen_at(real, suid, sgid, 0600, err);
	if (pass[1] < 0)
		goto out;
	/* swtpm (not root) reaches its state through this fd: <state>/<id> stays 0700 */
	pass[2] = open(state, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pass[2] < 0) {
		bh_error_sys(err, errno, "vTPM: opening %s", state);
		goto out;
	}
	if (own_tree(pass[2], renamed ? keep : state, suid, sgid, 0, err) < 0)
		goto out;
	/*
	 * The control channel can read the vTPM's state (CMD_GET_STATEBLOB: its
	 * seeds, the AK's private key) or write it. The container reaches it
	 * only through the filter, which forwards neither; a second wall: a
	 * random migration key, which swtpm reads from a memfd (never a file)
	 * and which never reaches the container, makes a blob read encrypted and
	 * refuses a blob written that is not.
	 */
	{
		uint8_t raw[32];

		pass[3] = memfd_create("bulkhead-vtpm-key", MFD_CLOEXEC);
		if (pass[3] < 0 || getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw) ||
		    write(pass[3], raw, sizeof(raw)) != (ssize_t)sizeof(raw) ||
		    lseek(pass[3], 0, SEEK_SET) != 0) {
			explicit_bzero(raw, sizeof(raw));
			bh_error_sys(err, errno, "vTPM: its migration key");
			goto out;
		}
		explicit_bzero(raw, sizeof(raw));
	}
	v = json_object();
	json_object_set_new(c->state, "vtpm", v);
	if (vtpm_cgroups(&c->cg, c->spec->res.mem_limit, v, cgfd, &ncg, err) < 0) {
		vtpm_cgroups_remove(v);
		goto out;
	}
	{
		char *argv[] = { "swtpm",
				 "socket",
				 "--tpm2",
				 "--runas",
				 (char *)suser,
				 "--server",
				 "type=unixio,fd=3",
				 "--ctrl",
				 "type=unixio,fd=4",
				 "--tpmstate",
				 "dir=/proc/self/fd/5,mode=0600",
				 "--migration-key",
				 "fd=6,format=binary,mode=aes-256-cbc",
				 "--flags",
				 "not-need-init,startup-clear",
				 NULL };

		pid = spawn_swtpm(sw, argv, log, pass, cgfd, ncg, err);
	}
	for (int i = 0; i < VTPM_NPASS; i++)
		if (pass[i] >= 0)
			close(pass[i]);
	pass[0] = pass[1] = pass[2] = pass[3] = -1;
	if (pid < 0) {
		vtpm_cgroups_remove(v);
		goto out;
	}
	/* on record at once, on disk too: a failure (or our death) from here on stops it */
	start = rt_proc_starttime(pid, NULL);
	json_object_set_new(v, "pid", json_integer(pid));
	json_object_set_new(v, "pid_start", json_integer((json_int_t)start));
	json_object_set_new(v, "socket", json_string(VTPM_MOUNT "/tpm.sock"));
	json_object_set_new(v, "state", json_string(state));
	json_object_set_new(v, "user", json_string(suser));
	if (keep)
		json_object_set_new(v, "keep", json_string(keep));
	renamed = false; /* rt_vtpm_stop moves it back */
	if (rt_state_write(c->dir, c->state, err) < 0)
		goto out;
	if (!start) {
		sleep_ms(50); /* its last words */
		tcti = log_head(log);
		bh_error_set(err, BH_ERR_IO, "vTPM: swtpm exited (%s): %s", sw, tcti);
		goto out;
	}
	ppid = rt_vtpm_proxy_start(pctrl, real, uid, gid, suid, sgid, cgfd, ncg, err);
	if (ppid < 0)
		goto out;
	pstart = rt_proc_starttime(ppid, NULL);
	record(c->state, "proxy_pid", ppid);
	record(c->state, "proxy_start", (json_int_t)pstart);
	if (rt_state_write(c->dir, c->state, err) < 0)
		goto out;
	if (!pstart) {
		bh_error_set(err, BH_ERR_IO, "vTPM: its control-socket filter exited at once");
		goto out;
	}
	for (int i = 0; !ctrl_answers(real); i++) {
		/* 100 ms to answer, 10 ms pause: 110 ms a try */
		if (!alive(pid, start) || i >= VTPM_WAIT_MS / 110) {
			char *tail;

			sleep_ms(50); /* its last words */
			tail = log_head(log);
			bh_error_set(err, BH_ERR_IO, "vTPM: swtpm %s (%s): %s",
				     alive(pid, start) ? "did not answer within 5 s" : "exited", sw,
				     tail);
			free(tail);
			goto out;
		}
		sleep_ms(10);
	}
	tcti = bh_asprintf("swtpm:path=%s", sock);
	if (bh_vtpm_certify(bh_tpm_tcti(NULL), tcti, id, run, err) < 0) {
		bh_error_prefix(err, "vTPM: certifying its EK and AK");
		goto out;
	}
	add_mount_env(c->spec, run);
	r = 0;
out:
	/* a failure before swtpm was on record: the kept state goes back where it was */
	if (renamed && rename(state, keep) < 0)
		bh_warn("vTPM: cannot put its kept state back in %s: %s", keep, strerror(errno));
	free(dir);
	free(state);
	free(run);
	free(log);
	free(sock);
	free(sw);
	free(tcti);
	for (int i = 0; i < VTPM_NPASS; i++)
		if (pass[i] >= 0)
			close(pass[i]);
	for (size_t i = 0; i < ncg; i++)
		close(cgfd[i]);
	free(keep);
	free(real);
	free(ctrldir);
	free(pctrl);
	return r;
}
