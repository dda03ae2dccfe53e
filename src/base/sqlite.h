/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the library's SQLite files share (the advisory store, the layer
 * cache, the profile store): sqlite's errors as bh_errors, a statement run
 * for its effect, one integer read, a file opened with its pragmas, and a
 * schema migrated step by step under PRAGMA user_version. Private to the
 * library (the public headers do not expose sqlite3).
 *
 * sqlite3 is loaded on first use (src/lazy): callers call
 * bh_lazy_require(&bh_lazy_sqlite3, err) before the first of these, so that a
 * missing library is an error rather than the end of the process.
 *
 * Ownership follows include/bulkhead/base.h.
 */
#ifndef BULKHEAD_BASE_SQLITE_H
#define BULKHEAD_BASE_SQLITE_H

#include <stddef.h>
#include <stdint.h>

#include "lazy/sqlite3.h"

#include "bulkhead/base.h"

/*
 * sqlite's result rc (and db's last message when db is not NULL) as an error
 * "what: message": BH_ERR_NOMEM for SQLITE_NOMEM, BH_ERR_INVALID for a file
 * that is not a database or is corrupt, BH_ERR_IO for the rest. Returns -1.
 */
int bh_sqlite_error(sqlite3 *db, int rc, const char *what, struct bh_error **err);

/* Run sql (one or more statements, no rows wanted); an error "what: message". */
int bh_sqlite_exec(sqlite3 *db, const char *sql, const char *what, struct bh_error **err);

/* The first column of sql's first row as an integer (0 when there is no row);
 * an error "what: message". */
int bh_sqlite_int(sqlite3 *db, const char *sql, const char *what, int64_t *out,
		  struct bh_error **err);

/*
 * Run `pragmas` (idempotent statements such as journal_mode=WAL), again
 * while the file is busy, for up to busy_ms. The switch to WAL of a file
 * another connection is reading or setting up must turn a read lock into a
 * write lock, and SQLite calls no busy handler there (it could deadlock): it
 * fails at once with "database is locked", whatever the busy timeout.
 */
int bh_sqlite_pragmas(sqlite3 *db, const char *pragmas, int busy_ms, const char *what,
		      struct bh_error **err);

/*
 * Open the file at path (flags as sqlite3_open_v2's) with plain result codes,
 * a busy timeout of busy_ms and `pragmas` (NULL: none) run through
 * bh_sqlite_pragmas, the first read (a file that is not SQLite fails there).
 * So processes opening one new file at once all get it. On failure *out is
 * NULL, nothing is left open and the error reads "what: message".
 */
int bh_sqlite_open(const char *path, int flags, int busy_ms, const char *pragmas, const char *what,
		   sqlite3 **out, struct bh_error **err);

/* A schema versioned by PRAGMA user_version: steps[i] takes it from i to i + 1. */
struct bh_sqlite_schema {
	const char *const *steps;
	size_t nsteps;
	const char *name;  /* in messages: "the layer cache" */
	const char *newer; /* what to do with a file newer than nsteps: "upgrade bulkhead" */
};

/*
 * Bring db's schema to version s->nsteps, each missing step run in one
 * IMMEDIATE transaction with the version (read again under the lock, so two
 * processes opening one new file migrate it once). A file at a newer version
 * is BH_ERR_UNSUPPORTED naming its version and s->newer; on any failure
 * nothing is changed.
 */
int bh_sqlite_migrate(sqlite3 *db, const struct bh_sqlite_schema *s, struct bh_error **err);

#endif /* BULKHEAD_BASE_SQLITE_H */
