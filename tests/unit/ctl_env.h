/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller store tests' two back-ends (test_ctl_store.c, test_ctl_ingest.c,
 * test_ctl_images.c: every part's store tests run on both): SQLite in a
 * temporary file, and PostgreSQL 15 started by the
 * test (initdb + pg_ctl, a unix socket only, as nobody; a keeper process stops
 * it however the test ends). Without PostgreSQL's
 * server binaries its cases SKIP naming them. Include once per test. Also the
 * helpers every part's test had a copy of: count, reg.
 */
#ifndef BULKHEAD_TEST_CTL_ENV_H
#define BULKHEAD_TEST_CTL_ENV_H

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/ctl.h"

#define PG_BIN "/usr/lib/postgresql/15/bin"

struct env {
	const char *backend; /* "sqlite" or "postgresql" */
	char *dir;	     /* temporary directory */
	char *url;	     /* NULL: this back-end cannot run here (skip) */
	int seq;
};

static struct env lite = { .backend = "sqlite" }, pg = { .backend = "postgresql" };

/* The PostgreSQL server's keeper: a child in a session of its own, forked
 * before initdb, that stops the server and removes its directory when the
 * test's end of a pipe closes, whichever way the test ends (returns, aborts
 * under a sanitizer, killed by the harness's timeout), so no cluster outlives
 * its test. The test writes one byte once pg_ctl start has returned; an end
 * before that byte means a start may still be under way: the keeper waits
 * (bounded) for its postmaster.pid before stopping it. */
static int pg_keeper_fd = -1;
static pid_t pg_keeper_pid = -1;

static int run(const char *cmd)
{
	int rc = system(cmd);

	return rc == 0 ? 0 : -1;
}

static void pg_keeper(int rfd)
{
	char cmd[1536], pidfile[512], c;
	int started = 0;
	ssize_t n;

	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	while ((n = read(rfd, &c, 1)) != 0)
		if (n == 1)
			started = 1;
		else if (errno != EINTR)
			break;
	snprintf(pidfile, sizeof(pidfile), "%s/data/postmaster.pid", pg.dir);
	for (int i = 0; !started && i < 300 && access(pidfile, F_OK); i++)
		usleep(200 * 1000);
	snprintf(cmd, sizeof(cmd),
		 "cd / && runuser -u nobody -- " PG_BIN "/pg_ctl -D %s/data -m immediate"
		 " -w stop >/dev/null 2>&1; rm -rf %s %s",
		 pg.dir, pg.dir, lite.dir ? lite.dir : "");
	run(cmd);
	_exit(0);
}

static int pg_keeper_start(void)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pg_keeper_pid = fork();
	if (pg_keeper_pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pg_keeper_pid == 0) {
		close(p[1]);
		pg_keeper(p[0]);
	}
	close(p[0]);
	pg_keeper_fd = p[1];
	return 0;
}

static int pg_start(void)
{
	struct passwd *nobody = getpwnam("nobody");
	char cmd[2048];
	int rc;

	if (access(PG_BIN "/initdb", X_OK) || access(PG_BIN "/pg_ctl", X_OK) ||
	    access(PG_BIN "/psql", X_OK) || !nobody || access("/usr/sbin/runuser", X_OK))
		return 0; /* pg.url stays NULL: skipped */
	pg.dir = unit_mktmp();
	if (chown(pg.dir, nobody->pw_uid, nobody->pw_gid) < 0 || pg_keeper_start() < 0)
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "cd %s && runuser -u nobody -- " PG_BIN "/initdb -D %s/data -A trust -U postgres"
		 " --no-sync >%s/initdb.log 2>&1 && runuser -u nobody -- " PG_BIN
		 "/pg_ctl -D %s/data -l %s/pg.log -w -t 60 -o \"-k %s -c listen_addresses='' -F\""
		 " start >/dev/null 2>&1",
		 pg.dir, pg.dir, pg.dir, pg.dir, pg.dir, pg.dir);
	rc = run(cmd);
	if (write(pg_keeper_fd, "S", 1) != 1)
		rc = -1;
	if (rc < 0) {
		snprintf(cmd, sizeof(cmd), "cat %s/initdb.log %s/pg.log >&2", pg.dir, pg.dir);
		run(cmd);
		return -1;
	}
	pg.url = bh_asprintf("postgresql:///postgres?host=%s&user=postgres", pg.dir);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	lite.dir = unit_mktmp();
	lite.url = bh_strdup("sqlite");
	return pg_start();
}

static int group_teardown(void **state)
{
	(void)state;
	if (pg_keeper_pid > 0) { /* it stops the server and removes pg.dir */
		close(pg_keeper_fd);
		while (waitpid(pg_keeper_pid, NULL, 0) < 0 && errno == EINTR)
			;
		free(pg.dir);
	} else if (pg.dir) { /* no keeper: no server was started */
		unit_rmtmp(pg.dir);
	}
	unit_rmtmp(lite.dir);
	free(pg.url);
	free(lite.url);
	return 0;
}

/* A fresh, migrated store of e's back-end (skips when it cannot run). */
static struct bh_ctl_store *fresh(struct env *e)
{
	struct bh_ctl_store *s = NULL;
	struct bh_error *err = NULL;
	char *db;

	if (!e->url) {
		print_message("SKIP: PostgreSQL 15's server (" PG_BIN "/initdb, pg_ctl: "
			      "postgresql-15) or runuser not installed\n");
		skip();
	}
	if (!strcmp(e->backend, "sqlite")) {
		db = bh_asprintf("%s/store-%d.sqlite", e->dir, ++e->seq);
	} else {
		/* a clean schema: drop what the last test left (with psql: the store
		 * refuses a database a test left at a newer schema) */
		char cmd[1024];

		snprintf(cmd, sizeof(cmd),
			 "cd %s && runuser -u nobody -- " PG_BIN "/psql -q -h %s -U postgres"
			 " -d postgres -c 'DROP SCHEMA public CASCADE' -c 'CREATE SCHEMA public'"
			 " >/dev/null 2>&1",
			 pg.dir, pg.dir);
		assert_int_equal(run(cmd), 0);
		db = bh_strdup(e->url);
	}
	if (bh_ctl_store_open(db, &s, &err) < 0)
		fail_msg("opening %s: %s", db, bh_error_message(err));
	assert_string_equal(bh_ctl_store_backend(s), e->backend);
	free(db);
	return s;
}

/* ---- helpers of the part tests (static inline: not every test uses each) ---------------- */

static inline int env_count_row(void *ctx, const struct bh_ctl_val *c, size_t n,
				struct bh_error **err)
{
	(void)err;
	(void)n;
	*(int64_t *)ctx = c[0].i;
	return 0;
}

/* The one integer sql (no parameters) returns: a count; -1 if no row. */
static inline int64_t count(struct bh_ctl_store *s, const char *sql)
{
	int64_t v = -1;
	struct bh_error *err = NULL;

	assert_int_equal(bh_ctl_store_query(s, sql, NULL, 0, env_count_row, &v, NULL, &err), 0);
	return v;
}

/* node registered as an agent of version 0.17 would register it. */
static inline void reg(struct bh_ctl_store *s, const char *node)
{
	struct bh_ctl_register r;
	struct bh_error *err = NULL;
	char *body = bh_asprintf("{\"node\":\"%s\",\"agent_version\":\"0.17\"}", node);

	assert_int_equal(bh_ctl_register_parse(body, strlen(body), &r, &err), 0);
	if (bh_ctl_node_register(s, node, &r, &err) < 0)
		fail_msg("register: %s", bh_error_message(err));
	free(body);
}

#define BOTH(fn) cmocka_unit_test_prestate(fn, &lite), cmocka_unit_test_prestate(fn, &pg)

#endif /* BULKHEAD_TEST_CTL_ENV_H */
