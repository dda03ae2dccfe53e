// SPDX-License-Identifier: Apache-2.0
/*
 * The engine's mount namespace from its socket's listener
 * (src/monitor/source_engine.c, mon_engine_mntns_open), against listeners
 * this test makes (as root; else skipped): one alive in this process is
 * taken (its namespace, its pid); one whose listen()ing process exited while
 * its child keeps the socket is refused as exited (where the kernel has
 * SO_PEERPIDFD: the pid alone would name whatever process gets the number
 * next; monitor-engine-peer.test makes one get it); one that called listen()
 * as another user is refused as not root; a path with no listener names no
 * pid.
 */
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "monitor/source_internal.h"

/* A unix socket bound at dir/name (path into *path, freed by the caller),
 * not yet listening. */
static int bound(const char *dir, const char *name, char **path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s;

	*path = bh_asprintf("%s/%s", dir, name);
	assert_true(strlen(*path) < sizeof(a.sun_path));
	memcpy(a.sun_path, *path, strlen(*path));
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	return s;
}

/* Whether this kernel has SO_PEERPIDFD (77). */
static bool has_peerpidfd(void)
{
	int sv[2], fd = -1;
	socklen_t len = sizeof(fd);
	bool r;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return false;
	r = getsockopt(sv[0], SOL_SOCKET, 77, &fd, &len) == 0;
	if (fd >= 0)
		close(fd);
	close(sv[0]);
	close(sv[1]);
	return r;
}

static void engine_live_listener_is_taken(void **state)
{
	char *dir, *path;
	const char *why = NULL;
	struct stat a, b;
	pid_t pid;
	int s, fd;

	(void)state;
	if (geteuid() != 0) {
		skip();
		return;
	}
	dir = unit_mktmp();
	s = bound(dir, "live.sock", &path);
	assert_int_equal(listen(s, 8), 0);
	fd = mon_engine_mntns_open(path, &pid, &why);
	if (fd < 0)
		fail_msg("refused: %s", why);
	assert_int_equal(pid, getpid());
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(stat("/proc/self/ns/mnt", &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	close(fd);
	close(s);
	free(path);
	unit_rmtmp(dir);
}

static void engine_exited_listener_is_refused(void **state)
{
	char *dir, *path;
	const char *why = NULL;
	pid_t lis, keeper = 0, pid;
	int s, p[2], st;

	(void)state;
	if (geteuid() != 0 || !has_peerpidfd()) {
		skip();
		return;
	}
	dir = unit_mktmp();
	s = bound(dir, "exited.sock", &path);
	assert_int_equal(pipe(p), 0);
	lis = fork();
	assert_true(lis >= 0);
	if (lis == 0) {
		/* listens, leaves the socket to a child and exits */
		pid_t k;

		if (listen(s, 8) < 0)
			_exit(1);
		k = fork();
		if (k == 0) {
			pause();
			_exit(0);
		}
		_exit(write(p[1], &k, sizeof(k)) == sizeof(k) ? 0 : 1);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &keeper, sizeof(keeper)), sizeof(keeper));
	close(p[0]);
	assert_int_equal(waitpid(lis, &st, 0), lis);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(s); /* the keeper's copy alone listens */
	assert_int_equal(mon_engine_mntns_open(path, &pid, &why), -1);
	assert_int_equal(pid, lis);
	if (!why || !strstr(why, "exited"))
		fail_msg("refused for another reason: %s", why ? why : "(none)");
	kill(keeper, SIGKILL);
	free(path);
	unit_rmtmp(dir);
}

static void engine_other_users_listener_is_refused(void **state)
{
	char *dir, *path;
	const char *why = NULL;
	pid_t lis, pid;
	int s, p[2], st;
	char c;

	(void)state;
	if (geteuid() != 0) {
		skip();
		return;
	}
	dir = unit_mktmp();
	s = bound(dir, "user.sock", &path);
	assert_int_equal(pipe(p), 0);
	lis = fork();
	assert_true(lis >= 0);
	if (lis == 0) {
		/* SO_PEERCRED is the listen()ing process's creds */
		close(p[0]);
		if (setgid(65534) < 0 || setuid(65534) < 0 || listen(s, 8) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	close(s);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	assert_int_equal(mon_engine_mntns_open(path, &pid, &why), -1);
	assert_int_equal(pid, lis);
	assert_string_equal(why, "the listener is not root");
	kill(lis, SIGKILL);
	assert_int_equal(waitpid(lis, &st, 0), lis);
	free(path);
	unit_rmtmp(dir);
}

static void engine_no_listener_names_no_pid(void **state)
{
	const char *why = NULL;
	pid_t pid = 1;

	(void)state;
	assert_int_equal(mon_engine_mntns_open("/nonexistent/bh-engine.sock", &pid, &why), -1);
	assert_int_equal(pid, 0);
	assert_string_equal(why, "no connection");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(engine_live_listener_is_taken),
		cmocka_unit_test(engine_exited_listener_is_refused),
		cmocka_unit_test(engine_other_users_listener_is_refused),
		cmocka_unit_test(engine_no_listener_names_no_pid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
