/* SPDX-License-Identifier: Apache-2.0 */
/* The SQLite helpers the library's database files share (see sqlite.h). */
#include <stdio.h>
#include <unistd.h>

#include "sqlite.h"
#include "banned.h"

int bh_sqlite_error(sqlite3 *db, int rc, const char *what, struct bh_error **err)
{
	const char *m = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

	if (rc == SQLITE_NOMEM)
		return bh_error_set(err, BH_ERR_NOMEM, "%s: %s", what, m);
	if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
		return bh_error_set(err, BH_ERR_INVALID, "%s: %s", what, m);
	return bh_error_set(err, BH_ERR_IO, "%s: %s", what, m);
}

/* sqlite3_exec's failure rc (its message msg, freed) as "what: message". */
static int exec_error(int rc, char *msg, const char *what, struct bh_error **err)
{
	bh_error_set(err, rc == SQLITE_NOMEM ? BH_ERR_NOMEM : BH_ERR_IO, "%s: %s", what,
		     msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return -1;
}

int bh_sqlite_exec(sqlite3 *db, const char *sql, const char *what, struct bh_error **err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	return rc == SQLITE_OK ? 0 : exec_error(rc, msg, what, err);
}

int bh_sqlite_int(sqlite3 *db, const char *sql, const char *what, int64_t *out,
		  struct bh_error **err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	*out = 0;
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return bh_sqlite_error(db, rc, what, err);
	return 0;
}

int bh_sqlite_pragmas(sqlite3 *db, const char *pragmas, int busy_ms, const char *what,
		      struct bh_error **err)
{
	uint64_t end = bh_mono_ms() + (uint64_t)(busy_ms > 0 ? busy_ms : 0);
	unsigned wait_us = 1000;

	for (;;) {
		char *msg = NULL;
		int rc = sqlite3_exec(db, pragmas, NULL, NULL, &msg);

		if (rc == SQLITE_OK)
			return 0;
		if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) ||
		    bh_mono_ms() >= end)
			return exec_error(rc, msg, what, err);
		sqlite3_free(msg);
		usleep(wait_us);
		if (wait_us < 50000)
			wait_us *= 2;
	}
}

int bh_sqlite_open(const char *path, int flags, int busy_ms, const char *pragmas, const char *what,
		   sqlite3 **out, struct bh_error **err)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, flags, NULL);

	*out = NULL;
	if (rc != SQLITE_OK) {
		bh_sqlite_error(db, rc, what, err);
		goto fail;
	}
	sqlite3_extended_result_codes(db, 0);
	sqlite3_busy_timeout(db, busy_ms);
	if (pragmas && bh_sqlite_pragmas(db, pragmas, busy_ms, what, err) < 0)
		goto fail;
	*out = db;
	return 0;
fail:
	sqlite3_close(db);
	return -1;
}

int bh_sqlite_migrate(sqlite3 *db, const struct bh_sqlite_schema *s, struct bh_error **err)
{
	int64_t v = 0;
	char sql[64], what[128];

	snprintf(what, sizeof(what), "locking %s", s->name);
	if (bh_sqlite_exec(db, "BEGIN IMMEDIATE", what, err) < 0)
		return -1;
	if (bh_sqlite_int(db, "PRAGMA user_version", "reading the schema version", &v, err) < 0)
		goto fail;
	if (v < 0 || v > (int64_t)s->nsteps) {
		bh_error_set(err, BH_ERR_UNSUPPORTED,
			     "%s has schema version %lld; this bulkhead knows up to %zu (%s)",
			     s->name, (long long)v, s->nsteps, s->newer);
		goto fail;
	}
	for (; v < (int64_t)s->nsteps; v++) {
		if (bh_sqlite_exec(db, s->steps[v], "migrating the schema", err) < 0) {
			bh_error_prefix(err, "schema version %lld to %lld", (long long)v,
					(long long)v + 1);
			goto fail;
		}
		bh_debug("%s: schema migrated to version %lld", s->name, (long long)v + 1);
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld", (long long)v);
	if (bh_sqlite_exec(db, sql, "setting the schema version", err) < 0 ||
	    bh_sqlite_exec(db, "COMMIT", "committing the schema", err) < 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}
