/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQLite helpers of src/base/sqlite.c: versioned schemas, errors that
 * name what was being done, and one new file opened by several processes at
 * once (the controller and `serve user add`, two scans, the agent and a
 * command on one store), every one of which must get it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "base/sqlite.h"

static const char *const sq_steps[] = {
	"CREATE TABLE a (x INTEGER);",
	"CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (7);",
};

static void sqlite_migrates_once_and_refuses_unknown_versions(void **state)
{
	const struct bh_sqlite_schema s = { sq_steps, 2, "the test file", "start again" };
	struct bh_error *err = NULL;
	char *dir = unit_mktmp(), *path = bh_asprintf("%s/t.sqlite", dir);
	char *junk = bh_asprintf("%s/junk.sqlite", dir);
	char bytes[512];
	sqlite3 *db = NULL;
	int64_t v = -1;

	assert_int_equal(bh_lazy_require(&bh_lazy_sqlite3, NULL), 0);
	assert_int_equal(bh_sqlite_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 1000,
					"PRAGMA journal_mode = WAL;", "opening", &db, &err),
			 0);
	assert_int_equal(bh_sqlite_migrate(db, &s, &err), 0);
	assert_int_equal(bh_sqlite_migrate(db, &s, &err), 0); /* at version 2: nothing to do */
	assert_int_equal(bh_sqlite_int(db, "PRAGMA user_version", "v", &v, &err), 0);
	assert_int_equal(v, 2);
	assert_int_equal(bh_sqlite_int(db, "SELECT count(*) FROM a", "v", &v, &err), 0);
	assert_int_equal(v, 1);
	assert_int_equal(bh_sqlite_int(db, "SELECT x FROM a WHERE x = 8", "v", &v, &err), 0);
	assert_int_equal(v, 0); /* no row */

	/* a failing statement names what was being done */
	assert_int_equal(bh_sqlite_exec(db, "SELECT * FROM missing", "reading missing", &err), -1);
	assert_error(err, BH_ERR_IO, "reading missing: no such table: missing");
	bh_error_clear(&err);
	assert_int_equal(bh_sqlite_int(db, "SELEC 1", "parsing", &v, &err), -1);
	assert_error(err, BH_ERR_IO, "parsing: ");
	bh_error_clear(&err);

	/* a newer file, and a hostile negative version: refused, nothing changed */
	assert_int_equal(bh_sqlite_exec(db, "PRAGMA user_version = 3", "v", &err), 0);
	assert_int_equal(bh_sqlite_migrate(db, &s, &err), -1);
	assert_error(
		err, BH_ERR_UNSUPPORTED,
		"the test file has schema version 3; this bulkhead knows up to 2 (start again)");
	bh_error_clear(&err);
	assert_int_equal(bh_sqlite_exec(db, "PRAGMA user_version = -1", "v", &err), 0);
	assert_int_equal(bh_sqlite_migrate(db, &s, &err), -1);
	assert_error(err, BH_ERR_UNSUPPORTED, "schema version -1;");
	bh_error_clear(&err);
	assert_int_equal(bh_sqlite_int(db, "PRAGMA user_version", "v", &v, &err), 0);
	assert_int_equal(v, -1);
	sqlite3_close(db);

	/* a file that is not SQLite: an error on the first read, nothing left open */
	memset(bytes, 'x', sizeof(bytes));
	assert_int_equal(bh_write_file_atomic(junk, bytes, sizeof(bytes), 0600, NULL), 0);
	db = (sqlite3 *)1;
	assert_int_equal(bh_sqlite_open(junk, SQLITE_OPEN_READWRITE, 1000, "PRAGMA user_version;",
					"opening", &db, &err),
			 -1);
	assert_null(db);
	assert_error(err, BH_ERR_IO, "opening: file is not a database");
	bh_error_clear(&err);
	free(junk);
	free(path);
	unit_rmtmp(dir);
}

/*
 * Eight processes open one missing file at the same moment with the WAL
 * pragmas every store runs, then migrate it: all of them succeed, and the
 * schema is made once. SQLite calls no busy handler when the switch to WAL
 * must turn a read lock into a write lock, so before bh_sqlite_open retried
 * its pragmas the losers failed at once with "database is locked" (the
 * controller's start in CI, beside `serve user add`).
 */
enum { OPENERS = 8, ROUNDS = 25 };

static int open_and_migrate(const char *path, int go)
{
	static const char *const steps[] = { "CREATE TABLE t (x INTEGER);" };
	const struct bh_sqlite_schema s = { steps, 1, "the test store", "start again" };
	struct bh_error *err = NULL;
	sqlite3 *db = NULL;
	char c;

	if (read(go, &c, 1) != 0) /* the barrier: every opener wakes at the close */
		return 2;
	if (bh_sqlite_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 5000,
			   "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "opening", &db,
			   &err) < 0 ||
	    bh_sqlite_migrate(db, &s, &err) < 0) {
		char *m = bh_error_message(err);

		fprintf(stderr, "# opener %ld: %s\n", (long)getpid(), m);
		free(m);
		bh_error_free(err);
		sqlite3_close(db);
		return 1;
	}
	sqlite3_close(db);
	return 0;
}

static void sqlite_new_file_opened_at_once_by_many(void **state)
{
	char *dir = unit_mktmp();
	int failed = 0;

	(void)state;
	assert_int_equal(bh_lazy_require(&bh_lazy_sqlite3, NULL), 0);
	for (int r = 0; r < ROUNDS; r++) {
		char *path = bh_asprintf("%s/s%d.sqlite", dir, r);
		pid_t pids[OPENERS];
		int go[2], st;
		int64_t v = -1;
		sqlite3 *db = NULL;

		assert_int_equal(pipe2(go, O_CLOEXEC), 0);
		for (int i = 0; i < OPENERS; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0) {
				close(go[1]);
				_exit(open_and_migrate(path, go[0]));
			}
		}
		close(go[0]);
		close(go[1]);
		for (int i = 0; i < OPENERS; i++) {
			assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				failed++;
		}
		assert_int_equal(bh_sqlite_open(path, SQLITE_OPEN_READONLY, 1000, NULL, "reading",
						&db, NULL),
				 0);
		assert_int_equal(bh_sqlite_int(db, "PRAGMA user_version", "v", &v, NULL), 0);
		assert_int_equal(v, 1);
		assert_int_equal(bh_sqlite_int(db, "PRAGMA journal_mode = WAL", "v", &v, NULL), 0);
		sqlite3_close(db);
		free(path);
	}
	assert_int_equal(failed, 0);
	unit_rmtmp(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sqlite_migrates_once_and_refuses_unknown_versions),
		cmocka_unit_test(sqlite_new_file_opened_at_once_by_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
