/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An swtpm a unit test starts for itself: `swtpm socket --tpm2` on unix
 * sockets in a private temporary directory (no port to race for), its state
 * there too, waited for until it answers (bounded: 5 s, or its exit), and
 * stopped and its directory removed by swtpm_env_stop or, if the test ends
 * first, at exit (a test killed takes swtpm with it: PR_SET_PDEATHSIG; its
 * directory in /tmp stays). Without swtpm on $PATH swtpm_env_start gives NULL and the
 * test cases SKIP saying so (SWTPM_ENV_NEED). Never a real TPM. Include once
 * per test.
 */
#ifndef BULKHEAD_TEST_SWTPM_ENV_H
#define BULKHEAD_TEST_SWTPM_ENV_H

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"

#define SWTPM_ENV_WAIT_MS 5000

struct swtpm_env {
	pid_t pid;
	char *dir;	/* private: the sockets and the TPM's state */
	char tcti[160]; /* for bh_tpm_open */
};

static struct swtpm_env *swtpm_env_live;

static bool swtpm_env_in_path(const char *name)
{
	const char *p = getenv("PATH");
	char buf[4096];

	while (p && *p) {
		size_t n = strcspn(p, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, name);
		if (access(buf, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

static bool swtpm_env_answers(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (s >= 0)
		close(s);
	return ok;
}

static void swtpm_env_stop(struct swtpm_env *s)
{
	if (!s)
		return;
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	unit_rmtmp(s->dir);
	if (swtpm_env_live == s)
		swtpm_env_live = NULL;
	free(s);
}

static void swtpm_env_atexit(void)
{
	swtpm_env_stop(swtpm_env_live);
}

/* A running swtpm (fails the test when it does not start), or NULL without swtpm. */
static struct swtpm_env *swtpm_env_start(void)
{
	struct swtpm_env *s;
	char sock[100], ctrl[128], st[128];
	static bool registered;
	pid_t parent;
	int status;

	if (!swtpm_env_in_path("swtpm"))
		return NULL;
	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->dir = unit_mktmp();
	assert_true(strlen(s->dir) < 64); /* a unix socket path is short */
	snprintf(sock, sizeof(sock), "%.64s/tpm.sock", s->dir);
	snprintf(s->tcti, sizeof(s->tcti), "swtpm:path=%s", sock);
	if (!registered) {
		atexit(swtpm_env_atexit);
		registered = true;
	}
	swtpm_env_live = s;
	parent = getpid();
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		char server[128];

		/* a test killed (not exiting) takes its swtpm with it */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);

		/* tpm2-tss's swtpm TCTI finds the control socket at PATH.ctrl */
		snprintf(server, sizeof(server), "type=unixio,path=%s", sock);
		snprintf(ctrl, sizeof(ctrl), "type=unixio,path=%s.ctrl", sock);
		snprintf(st, sizeof(st), "dir=%.64s", s->dir);
		execlp("swtpm", "swtpm", "socket", "--tpm2", "--server", server, "--ctrl", ctrl,
		       "--tpmstate", st, "--flags", "not-need-init,startup-clear", (char *)NULL);
		_exit(127);
	}
	for (int ms = 0; ms < SWTPM_ENV_WAIT_MS && !swtpm_env_answers(sock); ms += 20) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			fail_msg("swtpm exited (status 0x%x) before answering on %s", status, sock);
		}
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
	if (!swtpm_env_answers(sock))
		fail_msg("swtpm does not answer on %s after %d ms", sock, SWTPM_ENV_WAIT_MS);
	return s;
}

/* In a test case: SKIP it, saying why, when there is no swtpm. */
#define SWTPM_ENV_NEED(s)                                                                          \
	do {                                                                                       \
		if (!(s)) {                                                                        \
			print_message("SKIP: swtpm is not installed\n");                           \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

#endif
