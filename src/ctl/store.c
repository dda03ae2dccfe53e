/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's store (include/bulkhead/ctl.h): one interface, two
 * back-ends (SQLite, PostgreSQL through libpq), the same migrations and the
 * same `?`-placeholder SQL for both.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/ctl.h"
#include "lazy/pq.h"
#include "sqlite.h"
#include "banned.h"

#define MAX_PARAMS 256 /* a multi-row INSERT of a batch: 32 rows of 8 */
#define MAX_COLS   32
#define SQL_MAX	   (16u << 10)

struct backend {
	const char *name;
	int (*query)(struct bh_ctl_store *s, const char *sql, const struct bh_ctl_val *p, size_t n,
		     bh_ctl_row_fn row, void *ctx, int64_t *changes, struct bh_error **err);
	/* one or more statements, no parameters, no rows */
	int (*exec)(struct bh_ctl_store *s, const char *sql, struct bh_error **err);
	void (*close)(struct bh_ctl_store *s);
	const char *begin; /* the statement that opens a write transaction */
};

struct bh_ctl_store {
	const struct backend *be;
	sqlite3 *lite;
	PGconn *pg;
	pthread_mutex_t mu;
	bool in_tx;
	pthread_t owner;     /* the thread of the transaction, while in_tx */
	uint64_t reconnects; /* PostgreSQL: broken connections made anew */
};

/* ---- SQLite ------------------------------------------------------------------------------ */

static int lite_query(struct bh_ctl_store *s, const char *sql, const struct bh_ctl_val *p, size_t n,
		      bh_ctl_row_fn row, void *ctx, int64_t *changes, struct bh_error **err)
{
	struct bh_ctl_val cols[MAX_COLS];
	sqlite3_stmt *st = NULL;
	int rc, ret = -1, ncols;

	rc = sqlite3_prepare_v2(s->lite, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return bh_sqlite_error(s->lite, rc, "preparing a query", err);
	if ((size_t)sqlite3_bind_parameter_count(st) != n) {
		bh_error_set(err, BH_ERR_INTERNAL, "a query of %d placeholders given %zu values",
			     sqlite3_bind_parameter_count(st), n);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int k = (int)i + 1;

		if (p[i].null)
			rc = sqlite3_bind_null(st, k);
		else if (p[i].type == BH_CTL_INT)
			rc = sqlite3_bind_int64(st, k, p[i].i);
		else
			rc = sqlite3_bind_text(st, k, p[i].s, -1, SQLITE_TRANSIENT);
		if (rc != SQLITE_OK) {
			bh_sqlite_error(s->lite, rc, "binding a value", err);
			goto out;
		}
	}
	ncols = sqlite3_column_count(st);
	if (ncols > MAX_COLS) {
		bh_error_set(err, BH_ERR_INTERNAL, "a query of %d columns", ncols);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int c = 0; c < ncols; c++) {
			int t = sqlite3_column_type(st, c);

			cols[c] = (struct bh_ctl_val){ .type = BH_CTL_TEXT };
			if (t == SQLITE_NULL) {
				cols[c].null = true;
			} else if (t == SQLITE_INTEGER) {
				cols[c].type = BH_CTL_INT;
				cols[c].i = sqlite3_column_int64(st, c);
			} else {
				cols[c].s = (const char *)sqlite3_column_text(st, c);
				cols[c].null = !cols[c].s;
			}
		}
		if (row && row(ctx, cols, (size_t)ncols, err) < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		bh_sqlite_error(s->lite, rc, "running a query", err);
		goto out;
	}
	if (changes)
		*changes = sqlite3_changes(s->lite);
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

static int lite_exec(struct bh_ctl_store *s, const char *sql, struct bh_error **err)
{
	return bh_sqlite_exec(s->lite, sql, "the controller store", err);
}

static void lite_close(struct bh_ctl_store *s)
{
	sqlite3_close(s->lite);
}

static const struct backend sqlite_backend = {
	"sqlite", lite_query, lite_exec, lite_close, "BEGIN IMMEDIATE",
};

/* ---- PostgreSQL -------------------------------------------------------------------------- */

/*
 * sql with each `?` outside a quoted literal or identifier numbered $1, $2,
 * ... into out: the one place the two dialects' placeholders differ.
 * Returns the number of placeholders, or -1.
 */
static int pg_number(const char *sql, struct bh_buf *out, struct bh_error **err)
{
	char quote = 0;
	int n = 0;

	for (const char *c = sql; *c; c++) {
		if (quote) {
			if (*c == quote)
				quote = 0;
		} else if (*c == '\'' || *c == '"') {
			quote = *c;
		} else if (*c == '?') {
			if (bh_buf_addf(out, err, "$%d", ++n) < 0)
				return -1;
			continue;
		}
		if (bh_buf_addc(out, *c, err) < 0)
			return -1;
	}
	return n;
}

static int pg_error(PGconn *c, PGresult *r, const char *what, struct bh_error **err)
{
	const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	char buf[512];

	if (!m) {
		snprintf(buf, sizeof(buf), "%s", PQerrorMessage(c));
		buf[strcspn(buf, "\n")] = 0;
		m = buf;
	}
	/* 23505: unique_violation */
	return bh_error_set(err, state && !strcmp(state, "23505") ? BH_ERR_USAGE : BH_ERR_IO,
			    "%s: postgresql: %s", what, m);
}

/* INT2, INT4, INT8 */
static bool pg_int_type(Oid t)
{
	return t == 20 || t == 21 || t == 23;
}

static int pg_query(struct bh_ctl_store *s, const char *sql, const struct bh_ctl_val *p, size_t n,
		    bh_ctl_row_fn row, void *ctx, int64_t *changes, struct bh_error **err)
{
	struct bh_buf q = BH_BUF_INIT(SQL_MAX);
	char ints[MAX_PARAMS][24];
	const char *vals[MAX_PARAMS];
	Oid types[MAX_PARAMS];
	struct bh_ctl_val cols[MAX_COLS];
	PGresult *r = NULL;
	int np, ret = -1, nrows, ncols;
	ExecStatusType st;

	np = pg_number(sql, &q, err);
	if (np < 0)
		goto out;
	if ((size_t)np != n || n > MAX_PARAMS) {
		bh_error_set(err, BH_ERR_INTERNAL, "a query of %d placeholders given %zu values",
			     np, n);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		types[i] = p[i].type == BH_CTL_INT ? 20 : 25; /* INT8, TEXT */
		if (p[i].null) {
			vals[i] = NULL;
		} else if (p[i].type == BH_CTL_INT) {
			snprintf(ints[i], sizeof(ints[i]), "%" PRId64, p[i].i);
			vals[i] = ints[i];
		} else {
			vals[i] = p[i].s;
		}
	}
	r = PQexecParams(s->pg, q.data, (int)n, types, vals, NULL, NULL, 0);
	st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		pg_error(s->pg, r, "running a query", err);
		goto out;
	}
	nrows = PQntuples(r);
	ncols = PQnfields(r);
	if (ncols > MAX_COLS) {
		bh_error_set(err, BH_ERR_INTERNAL, "a query of %d columns", ncols);
		goto out;
	}
	for (int i = 0; i < nrows; i++) {
		for (int c = 0; c < ncols; c++) {
			cols[c] = (struct bh_ctl_val){ .type = BH_CTL_TEXT };
			if (PQgetisnull(r, i, c)) {
				cols[c].null = true;
			} else if (pg_int_type(PQftype(r, c))) {
				cols[c].type = BH_CTL_INT;
				cols[c].i = strtoll(PQgetvalue(r, i, c), NULL, 10);
			} else {
				cols[c].s = PQgetvalue(r, i, c);
			}
		}
		if (row && row(ctx, cols, (size_t)ncols, err) < 0)
			goto out;
	}
	if (changes) {
		const char *t = PQcmdTuples(r);

		*changes = t && *t ? strtoll(t, NULL, 10) : 0;
	}
	ret = 0;
out:
	if (r)
		PQclear(r);
	bh_buf_release(&q);
	return ret;
}

static int pg_exec(struct bh_ctl_store *s, const char *sql, struct bh_error **err)
{
	PGresult *r = PQexec(s->pg, sql);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	int ret = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		ret = pg_error(s->pg, r, "the controller store", err);
	if (r)
		PQclear(r);
	return ret;
}

static void pg_close(struct bh_ctl_store *s)
{
	PQfinish(s->pg);
}

static const struct backend pg_backend = {
	"postgresql", pg_query, pg_exec, pg_close, "BEGIN",
};

/* libpq writes notices ("relation exists, skipping") to stderr by default:
 * the library never prints. */
static void pg_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* ---- the interface ----------------------------------------------------------------------- */

static bool own_tx(struct bh_ctl_store *s)
{
	return s->in_tx && pthread_equal(s->owner, pthread_self());
}

/*
 * After a failure outside a transaction, with s->mu held: a PostgreSQL
 * connection that broke (the server restarted, a proxy cut it) is made anew
 * once. True when it was, so the statement may run again: it was not in a
 * transaction, so nothing else of the caller's is lost with the old session.
 */
static void pass_error(struct bh_error **err, struct bh_error *e)
{
	if (err && !*err)
		*err = e;
	else
		bh_error_free(e);
}

static bool reconnect(struct bh_ctl_store *s)
{
	if (!s->pg || PQstatus(s->pg) != CONNECTION_BAD)
		return false;
	PQreset(s->pg);
	if (PQstatus(s->pg) != CONNECTION_OK)
		return false;
	PQsetNoticeProcessor(s->pg, pg_quiet, NULL);
	s->reconnects++;
	bh_info("controller store: the PostgreSQL connection broke and was made anew");
	return true;
}

int bh_ctl_store_query(struct bh_ctl_store *s, const char *sql, const struct bh_ctl_val *params,
		       size_t n, bh_ctl_row_fn row, void *ctx, int64_t *changes,
		       struct bh_error **err)
{
	struct bh_error *first = NULL;
	int rc;

	if (n > MAX_PARAMS)
		return bh_error_set(err, BH_ERR_INTERNAL, "a query of %zu values", n);
	if (own_tx(s))
		return s->be->query(s, sql, params, n, row, ctx, changes, err);
	pthread_mutex_lock(&s->mu);
	rc = s->be->query(s, sql, params, n, row, ctx, changes, &first);
	/* libpq has the whole result before row sees any: a broken connection
	 * fails before a row is handed on, so none is handed twice */
	if (rc < 0 && reconnect(s)) {
		bh_error_free(first);
		first = NULL;
		rc = s->be->query(s, sql, params, n, row, ctx, changes, &first);
	}
	pthread_mutex_unlock(&s->mu);
	if (rc < 0)
		pass_error(err, first);
	return rc;
}

int bh_ctl_store_tx(struct bh_ctl_store *s, int (*fn)(void *ctx, struct bh_error **err), void *ctx,
		    struct bh_error **err)
{
	struct bh_error *e2 = NULL;
	int rc;

	if (own_tx(s))
		return bh_error_set(err, BH_ERR_INTERNAL, "a nested store transaction");
	pthread_mutex_lock(&s->mu);
	if (s->be->exec(s, s->be->begin, &e2) < 0) {
		/* nothing of the transaction ran yet: a new connection may begin it */
		if (!reconnect(s) || (bh_error_clear(&e2), s->be->exec(s, s->be->begin, &e2)) < 0) {
			pthread_mutex_unlock(&s->mu);
			pass_error(err, e2);
			return -1;
		}
	}
	s->in_tx = true;
	s->owner = pthread_self();
	rc = fn(ctx, err);
	s->in_tx = false;
	if (rc >= 0 && s->be->exec(s, "COMMIT", err) < 0)
		rc = -1;
	if (rc < 0) {
		/* after a failed COMMIT PostgreSQL has already ended it: harmless */
		if (s->be->exec(s, "ROLLBACK", &e2) < 0)
			bh_error_free(e2);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

uint64_t bh_ctl_store_reconnects(struct bh_ctl_store *s)
{
	uint64_t n;

	pthread_mutex_lock(&s->mu);
	n = s->reconnects;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* ---- migrations -------------------------------------------------------------------------- */

/* Step i takes the schema from version i to i + 1. Only DDL differs between
 * the dialects (an identity column): pg NULL means the same text. */
struct step {
	const char *sqlite;
	const char *pg;
};

#define USERS_TOKENS                                                                               \
	"CREATE TABLE users ("                                                                     \
	" name TEXT PRIMARY KEY,"                                                                  \
	" role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'reader')),"                     \
	" pwhash TEXT NOT NULL,"                                                                   \
	" created BIGINT NOT NULL);"                                                               \
	"CREATE TABLE tokens ("                                                                    \
	" id TEXT PRIMARY KEY,"                                                                    \
	" hash TEXT NOT NULL,"                                                                     \
	" user_name TEXT,"                                                                         \
	" node TEXT,"                                                                              \
	" created BIGINT NOT NULL,"                                                                \
	" expires BIGINT NOT NULL,"                                                                \
	" revoked BIGINT,"                                                                         \
	" CHECK ((user_name IS NULL) <> (node IS NULL)));"                                         \
	"CREATE INDEX tokens_user ON tokens (user_name);"
#define AUDIT(id)                                                                                  \
	"CREATE TABLE audit (" id ","                                                              \
	" ts BIGINT NOT NULL,"                                                                     \
	" actor TEXT NOT NULL,"                                                                    \
	" action TEXT NOT NULL,"                                                                   \
	" object TEXT NOT NULL,"                                                                   \
	" before_json TEXT,"                                                                       \
	" after_json TEXT);"                                                                       \
	"CREATE INDEX audit_actor ON audit (actor, id);"                                           \
	"CREATE INDEX audit_ts ON audit (ts);"

/* auto17: images, their vulnerabilities and SBOMs (src/ctl/images.c) */
#define IMAGES(id)                                                                                 \
	"CREATE TABLE images (" id ","                                                             \
	" repository TEXT NOT NULL,"                                                               \
	" digest TEXT NOT NULL,"                                                                   \
	" first_seen BIGINT NOT NULL,"                                                             \
	" scanned_at BIGINT,"                                                                      \
	" db_version TEXT,"                                                                        \
	" n_unknown BIGINT NOT NULL DEFAULT 0,"                                                    \
	" n_low BIGINT NOT NULL DEFAULT 0,"                                                        \
	" n_medium BIGINT NOT NULL DEFAULT 0,"                                                     \
	" n_high BIGINT NOT NULL DEFAULT 0,"                                                       \
	" n_critical BIGINT NOT NULL DEFAULT 0,"                                                   \
	" max_severity BIGINT NOT NULL DEFAULT -1,"                                                \
	" UNIQUE (repository, digest));"                                                           \
	"CREATE INDEX images_digest ON images (digest);"                                           \
	"CREATE INDEX images_sev ON images (max_severity, id);"                                    \
	"CREATE TABLE image_vulns ("                                                               \
	" digest TEXT NOT NULL,"                                                                   \
	" vuln_id TEXT NOT NULL,"                                                                  \
	" package TEXT NOT NULL,"                                                                  \
	" version TEXT NOT NULL,"                                                                  \
	" fixed_version TEXT,"                                                                     \
	" severity BIGINT NOT NULL,"                                                               \
	" PRIMARY KEY (digest, vuln_id, package, version));"                                       \
	"CREATE TABLE image_sboms ("                                                               \
	" digest TEXT PRIMARY KEY,"                                                                \
	" cyclonedx TEXT NOT NULL,"                                                                \
	" stored_at BIGINT NOT NULL);"
/* agents and ingestion (agent17): nodes, their workloads and events; (node,
 * seq) unique makes a replayed batch store nothing twice */
#define NODES_EVENTS(id)                                                                           \
	"CREATE TABLE nodes ("                                                                     \
	" name TEXT PRIMARY KEY,"                                                                  \
	" registered BIGINT NOT NULL,"                                                             \
	" last_seen BIGINT NOT NULL,"                                                              \
	" agent_version TEXT,"                                                                     \
	" policy_version TEXT);"                                                                   \
	"CREATE TABLE workloads ("                                                                 \
	" node TEXT NOT NULL,"                                                                     \
	" container_id TEXT NOT NULL,"                                                             \
	" name TEXT,"                                                                              \
	" image TEXT,"                                                                             \
	" digest TEXT,"                                                                            \
	" pod TEXT,"                                                                               \
	" namespace TEXT,"                                                                         \
	" started BIGINT,"                                                                         \
	" gone BIGINT,"                                                                            \
	" report BIGINT NOT NULL,"                                                                 \
	" PRIMARY KEY (node, container_id));"                                                      \
	"CREATE TABLE events (" id ","                                                             \
	" node TEXT NOT NULL,"                                                                     \
	" seq BIGINT NOT NULL,"                                                                    \
	" ts BIGINT NOT NULL,"                                                                     \
	" kind TEXT NOT NULL,"                                                                     \
	" rule TEXT,"                                                                              \
	" severity TEXT,"                                                                          \
	" workload TEXT,"                                                                          \
	" event_json TEXT NOT NULL,"                                                               \
	" UNIQUE (node, seq));"                                                                    \
	"CREATE INDEX events_ts ON events (ts);"                                                   \
	"CREATE INDEX events_severity ON events (severity, id);"                                   \
	"CREATE INDEX events_rule ON events (rule, id);"                                           \
	"CREATE INDEX events_workload ON events (workload, id);"

/* views17: a vulnerability set aside (digest '': of every image) until expires */
#define SUPPRESSIONS(id)                                                                           \
	"CREATE TABLE suppressions (" id ","                                                       \
	" vuln_id TEXT NOT NULL,"                                                                  \
	" digest TEXT NOT NULL,"                                                                   \
	" reason TEXT NOT NULL,"                                                                   \
	" actor TEXT NOT NULL,"                                                                    \
	" created BIGINT NOT NULL,"                                                                \
	" expires BIGINT NOT NULL);"                                                               \
	"CREATE INDEX suppressions_vuln ON suppressions (vuln_id, expires);"

static const struct step steps[] = {
	{ USERS_TOKENS AUDIT("id INTEGER PRIMARY KEY AUTOINCREMENT"),
	  USERS_TOKENS AUDIT("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY") },
	/* ops17: alert rules (src/ctl/alert_rule.c) */
	{ "CREATE TABLE alert_rules ("
	  " name TEXT PRIMARY KEY,"
	  " min_severity BIGINT NOT NULL,"
	  " kind TEXT NOT NULL,"
	  " rule TEXT NOT NULL,"
	  " workload TEXT NOT NULL,"
	  " destination BIGINT NOT NULL,"
	  " url TEXT NOT NULL,"
	  " to_addr TEXT NOT NULL,"
	  " from_addr TEXT NOT NULL,"
	  " window_s BIGINT NOT NULL,"
	  " created BIGINT NOT NULL);",
	  NULL },
	{ IMAGES("id INTEGER PRIMARY KEY AUTOINCREMENT"),
	  IMAGES("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY") },
	{ NODES_EVENTS("id INTEGER PRIMARY KEY AUTOINCREMENT"),
	  NODES_EVENTS("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY") },
	/* views17: suppressed findings (src/ctl/suppress.c) */
	{ SUPPRESSIONS("id INTEGER PRIMARY KEY AUTOINCREMENT"),
	  SUPPRESSIONS("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY") },
};
#define NSTEPS ((int64_t)(sizeof(steps) / sizeof(steps[0])))

int64_t bh_ctl_store_schema_latest(void)
{
	return NSTEPS;
}

static int int_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	int64_t *v = ctx;

	(void)err;
	if (n >= 1 && c[0].type == BH_CTL_INT && !c[0].null)
		*v = c[0].i;
	return 0;
}

struct migrate {
	struct bh_ctl_store *s;
	int64_t step; /* the step to run; -1: only make the version table */
	bool done;    /* another process had already run it */
};

static int migrate_step(void *arg, struct bh_error **err)
{
	struct migrate *m = arg;
	struct bh_ctl_store *s = m->s;
	int64_t v = -1;
	struct bh_ctl_val p[1];

	/* two controllers starting on one new database migrate it once: under
	 * SQLite BEGIN IMMEDIATE serialises, PostgreSQL takes a lock */
	if (s->pg && s->be->exec(s, "SELECT pg_advisory_xact_lock(1717171717)", err) < 0)
		return -1;
	if (s->be->exec(s, "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)",
			err) < 0)
		return -1;
	if (bh_ctl_store_query(s, "SELECT version FROM schema_version", NULL, 0, int_row, &v, NULL,
			       err) < 0)
		return -1;
	if (v < 0) {
		v = 0;
		p[0] = BH_CTL_I(0);
		if (bh_ctl_store_query(s, "INSERT INTO schema_version (version) VALUES (?)", p, 1,
				       NULL, NULL, NULL, err) < 0)
			return -1;
	}
	if (v > NSTEPS)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "the controller store is at schema version %" PRId64
				    ", newer than this bulkhead's %" PRId64 ": upgrade bulkhead",
				    v, NSTEPS);
	if (m->step < 0 || v != m->step) {
		m->done = v > m->step;
		return 0;
	}
	if (s->be->exec(s, s->pg && steps[v].pg ? steps[v].pg : steps[v].sqlite, err) < 0)
		return bh_error_prefix(err, "migration %" PRId64, v + 1);
	p[0] = BH_CTL_I(v + 1);
	return bh_ctl_store_query(s, "UPDATE schema_version SET version = ?", p, 1, NULL, NULL,
				  NULL, err);
}

static int migrate(struct bh_ctl_store *s, struct bh_error **err)
{
	struct migrate m = { s, -1, false };

	if (bh_ctl_store_tx(s, migrate_step, &m, err) < 0)
		return -1;
	for (int64_t i = 0; i < NSTEPS; i++) {
		m.step = i;
		if (bh_ctl_store_tx(s, migrate_step, &m, err) < 0)
			return -1;
	}
	return 0;
}

int bh_ctl_store_version(struct bh_ctl_store *s, int64_t *out, struct bh_error **err)
{
	*out = 0;
	return bh_ctl_store_query(s, "SELECT version FROM schema_version", NULL, 0, int_row, out,
				  NULL, err);
}

const char *bh_ctl_store_backend(const struct bh_ctl_store *s)
{
	return s->be->name;
}

static bool is_pg_url(const char *db)
{
	return bh_str_has_prefix(db, "postgresql://") || bh_str_has_prefix(db, "postgres://");
}

int bh_ctl_store_open(const char *db, struct bh_ctl_store **out, struct bh_error **err)
{
	struct bh_ctl_store *s;
	int fd;

	*out = NULL;
	if (!db || !*db)
		return bh_error_set(err, BH_ERR_USAGE, "no controller database given");
	s = bh_calloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	if (is_pg_url(db)) {
		if (bh_lazy_require(&bh_lazy_pq, err) < 0)
			goto fail_free;
		s->be = &pg_backend;
		s->pg = PQconnectdb(db);
		if (!s->pg || PQstatus(s->pg) != CONNECTION_OK) {
			pg_error(s->pg, NULL, "connecting to the controller database", err);
			goto fail;
		}
		PQsetNoticeProcessor(s->pg, pg_quiet, NULL);
	} else {
		if (bh_lazy_require(&bh_lazy_sqlite3, err) < 0)
			goto fail_free;
		s->be = &sqlite_backend;
		/* password and token hashes: a new file is the owner's only (SQLite
		 * gives its -wal and -shm the same mode) */
		fd = open(db, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			bh_error_sys(err, errno, "%s", db);
			goto fail_free;
		}
		close(fd);
		if (bh_sqlite_open(db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 5000,
				   "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
				   " PRAGMA foreign_keys=ON;",
				   db, &s->lite, err) < 0)
			goto fail_free;
	}
	if (migrate(s, err) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	s->be->close(s);
fail_free:
	pthread_mutex_destroy(&s->mu);
	free(s);
	return bh_error_prefix(err, "controller store");
}

void bh_ctl_store_free(struct bh_ctl_store *s)
{
	if (!s)
		return;
	s->be->close(s);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* ---- the audit log ----------------------------------------------------------------------- */

int bh_ctl_audit_add(struct bh_ctl_store *s, const char *actor, const char *action,
		     const char *object, const json_t *before, const json_t *after,
		     struct bh_error **err)
{
	char *b = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	struct bh_ctl_val p[] = {
		BH_CTL_I((int64_t)time(NULL)),
		BH_CTL_S(actor),
		BH_CTL_S(action),
		BH_CTL_S(object),
		BH_CTL_S(b),
		BH_CTL_S(a),
	};
	int rc;

	if ((before && !b) || (after && !a))
		rc = bh_error_set(err, BH_ERR_NOMEM, "audit: encoding JSON");
	else
		rc = bh_ctl_store_query(s,
					"INSERT INTO audit (ts, actor, action, object, before_json,"
					" after_json) VALUES (?, ?, ?, ?, ?, ?)",
					p, 6, NULL, NULL, NULL, err);
	free(b);
	free(a);
	return rc;
}

struct audit_rows {
	json_t *items;
	int64_t last;
};

static json_t *json_text(const struct bh_ctl_val *v)
{
	json_t *j;

	if (v->null || v->type != BH_CTL_TEXT)
		return json_null();
	j = json_loads(v->s, 0, NULL);
	return j ? j : json_string(v->s);
}

static int audit_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct audit_rows *r = ctx;
	char t[BH_TIME_MAX];
	struct timespec ts;

	if (n != 7)
		return bh_error_set(err, BH_ERR_INTERNAL, "audit: %zu columns", n);
	ts.tv_sec = (time_t)c[1].i;
	ts.tv_nsec = 0;
	json_array_append_new(r->items,
			      json_pack("{sIsssssssssoso}", "id", (json_int_t)c[0].i, "time",
					bh_time_rfc3339(&ts, 0, t), "actor", c[2].s, "action",
					c[3].s, "object", c[4].s, "before", json_text(&c[5]),
					"after", json_text(&c[6])));
	r->last = c[0].i;
	return 0;
}

int bh_ctl_audit_list(struct bh_ctl_store *s, const struct bh_ctl_audit_filter *f, json_t **out,
		      struct bh_error **err)
{
	unsigned limit = f->limit ? f->limit : BH_CTL_AUDIT_PAGE_DEFAULT;
	struct audit_rows r = { json_array(), 0 };
	/* each filter is "? IS NULL OR ...": one text for every combination */
	struct bh_ctl_val p[] = {
		BH_CTL_S(f->actor),
		BH_CTL_S(f->actor),
		BH_CTL_IN(f->since, !f->since),
		BH_CTL_IN(f->since, !f->since),
		BH_CTL_IN(f->until, !f->until),
		BH_CTL_IN(f->until, !f->until),
		BH_CTL_I(f->after_id),
		BH_CTL_I((int64_t)limit + 1),
	};
	size_t count;

	*out = NULL;
	if (limit > BH_CTL_AUDIT_PAGE_MAX) {
		json_decref(r.items);
		return bh_error_set(err, BH_ERR_INVALID, "audit: limit %u is over %u", limit,
				    BH_CTL_AUDIT_PAGE_MAX);
	}
	if (bh_ctl_store_query(s,
			       "SELECT id, ts, actor, action, object, before_json, after_json"
			       " FROM audit WHERE (? IS NULL OR actor = ?)"
			       " AND (? IS NULL OR ts >= ?) AND (? IS NULL OR ts <= ?)"
			       " AND id > ? ORDER BY id LIMIT ?",
			       p, 8, audit_row, &r, NULL, err) < 0) {
		json_decref(r.items);
		return -1;
	}
	count = json_array_size(r.items);
	if (count > limit) {
		/* the extra row only says there is a next page */
		json_array_remove(r.items, limit);
		r.last = json_integer_value(
			json_object_get(json_array_get(r.items, limit - 1), "id"));
		*out = json_pack("{soso}", "items", r.items, "next", json_integer(r.last));
	} else {
		*out = json_pack("{soso}", "items", r.items, "next", json_null());
	}
	return 0;
}
