/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller store's two back-ends (src/ctl/store_be_int.h): SQLite and
 * PostgreSQL (libpq, loaded lazily) behind `struct backend`, with each
 * connection's prepared statements kept by SQL text and parameter types, and
 * `?` placeholders numbered `$1..` for PostgreSQL. store.c's pool,
 * transactions and migrations run on them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/store_be_int.h"
#include "banned.h"

/* FNV-1a over the types and the text */
static uint64_t key_hash(const char *types, size_t n, const char *sql)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)types[i]) * 1099511628211ull;
	for (const char *c = sql; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	return h;
}

/* The kept statement of sql with parameters p, or NULL; *slot is where to
 * keep it when it is not (NULL when the connection keeps no more). */
static struct stmt *stmt_find(struct conn *c, const char *sql, const struct bh_ctl_val *p, size_t n,
			      struct stmt **slot, char *types, uint64_t *hash)
{
	size_t len = strlen(sql);

	for (size_t i = 0; i < n; i++)
		types[i] = p[i].type == BH_CTL_INT ? 'i' : 't';
	types[n] = 0;
	*hash = key_hash(types, n, sql);
	for (size_t i = 0; i < c->nstmts; i++) {
		struct stmt *s = &c->stmts[i];

		if (s->hash == *hash && s->keylen == n + 1 + len && !memcmp(s->key, types, n + 1) &&
		    !memcmp(s->key + n + 1, sql, len))
			return s;
	}
	*slot = c->nstmts < STMTS_MAX ? &c->stmts[c->nstmts] : NULL;
	return NULL;
}

static void stmt_keep(struct conn *c, struct stmt *slot, const char *types, size_t n,
		      const char *sql, uint64_t hash)
{
	size_t len = strlen(sql);

	slot->hash = hash;
	slot->keylen = n + 1 + len;
	slot->key = bh_malloc(slot->keylen + 1);
	memcpy(slot->key, types, n + 1);
	memcpy(slot->key + n + 1, sql, len + 1);
	snprintf(slot->name, sizeof(slot->name), "bh%zu", c->nstmts);
	c->nstmts++;
}

static void stmts_drop(struct conn *c)
{
	for (size_t i = 0; i < c->nstmts; i++) {
		if (c->stmts[i].lite)
			sqlite3_finalize(c->stmts[i].lite);
		free(c->stmts[i].key);
	}
	memset(c->stmts, 0, sizeof(c->stmts));
	c->nstmts = 0;
}

/* ---- SQLite ------------------------------------------------------------------------------ */

static int lite_query(struct conn *cn, const char *sql, const struct bh_ctl_val *p, size_t n,
		      bh_ctl_row_fn row, void *ctx, int64_t *changes, struct bh_error **err)
{
	struct bh_ctl_val cols[MAX_COLS];
	char types[MAX_PARAMS + 1];
	struct stmt *kept, *slot = NULL;
	sqlite3_stmt *st = NULL;
	uint64_t hash;
	int rc, ret = -1, ncols;

	kept = stmt_find(cn, sql, p, n, &slot, types, &hash);
	if (kept && kept->running) {
		kept = NULL; /* the same query in a row function of its own */
		slot = NULL;
	}
	if (kept) {
		st = kept->lite;
	} else {
		rc = sqlite3_prepare_v3(cn->lite, sql, -1, slot ? SQLITE_PREPARE_PERSISTENT : 0,
					&st, NULL);
		if (rc != SQLITE_OK)
			return bh_sqlite_error(cn->lite, rc, "preparing a query", err);
		if (slot) {
			/* kept before it runs: a row function's queries see it taken */
			stmt_keep(cn, slot, types, n, sql, hash);
			slot->lite = st;
			kept = slot;
		}
	}
	if (kept)
		kept->running = true;
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
			rc = sqlite3_bind_text(st, k, p[i].s, -1, SQLITE_STATIC);
		if (rc != SQLITE_OK) {
			bh_sqlite_error(cn->lite, rc, "binding a value", err);
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
		bh_sqlite_error(cn->lite, rc, "running a query", err);
		goto out;
	}
	if (changes)
		*changes = sqlite3_changes(cn->lite);
	ret = 0;
out:
	if (kept) {
		/* kept for the next run: its values (bound SQLITE_STATIC) let go */
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		kept->running = false;
	} else {
		sqlite3_finalize(st);
	}
	return ret;
}

static int lite_exec(struct conn *c, const char *sql, struct bh_error **err)
{
	return bh_sqlite_exec(c->lite, sql, "the controller store", err);
}

static void lite_close(struct conn *c)
{
	stmts_drop(c);
	sqlite3_close(c->lite);
	c->lite = NULL;
}

const struct backend bh_ctl_store_sqlite = {
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

static bool pg_ok(PGresult *r)
{
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

int bh_ctl_pg_query(struct conn *cn, const char *sql, const struct bh_ctl_val *p, size_t n,
		    bh_ctl_row_fn row, void *ctx, int64_t *changes, struct bh_error **err)
{
	struct bh_buf q = BH_BUF_INIT(SQL_MAX);
	char ints[MAX_PARAMS][24];
	char types_s[MAX_PARAMS + 1];
	const char *vals[MAX_PARAMS];
	Oid types[MAX_PARAMS];
	struct bh_ctl_val cols[MAX_COLS];
	struct stmt *kept, *slot = NULL;
	PGresult *r = NULL;
	uint64_t hash;
	int np, ret = -1, nrows, ncols;

	if (n > MAX_PARAMS)
		return bh_error_set(err, BH_ERR_INTERNAL, "a query of %zu values", n);
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
	kept = stmt_find(cn, sql, p, n, &slot, types_s, &hash);
	if (!kept) {
		np = pg_number(sql, &q, err);
		if (np < 0)
			goto out;
		if ((size_t)np != n) {
			bh_error_set(err, BH_ERR_INTERNAL,
				     "a query of %d placeholders given %zu values", np, n);
			goto out;
		}
	}
	if (!kept && slot) {
		char name[16];

		snprintf(name, sizeof(name), "bh%zu", cn->nstmts);
		r = PQprepare(cn->pg, name, q.data, (int)n, types);
		if (!pg_ok(r)) {
			pg_error(cn->pg, r, "preparing a query", err);
			goto out;
		}
		PQclear(r);
		stmt_keep(cn, slot, types_s, n, sql, hash);
		kept = slot;
	}
	if (kept)
		r = PQexecPrepared(cn->pg, kept->name, (int)n, vals, NULL, NULL, 0);
	else
		r = PQexecParams(cn->pg, q.data, (int)n, types, vals, NULL, NULL, 0);
	if (!pg_ok(r)) {
		pg_error(cn->pg, r, "running a query", err);
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

static int pg_exec(struct conn *c, const char *sql, struct bh_error **err)
{
	PGresult *r = PQexec(c->pg, sql);
	int ret = 0;

	if (!pg_ok(r))
		ret = pg_error(c->pg, r, "the controller store", err);
	if (r)
		PQclear(r);
	return ret;
}

void bh_ctl_pg_close(struct conn *c)
{
	stmts_drop(c);
	PQfinish(c->pg);
	c->pg = NULL;
}

const struct backend bh_ctl_store_pg = {
	"postgresql", bh_ctl_pg_query, pg_exec, bh_ctl_pg_close, "BEGIN",
};

/* libpq writes notices ("relation exists, skipping") to stderr by default:
 * the library never prints. */
static void pg_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

int bh_ctl_pg_connect(const char *url, PGconn **out, struct bh_error **err)
{
	PGconn *pg = PQconnectdb(url);

	*out = NULL;
	if (!pg || PQstatus(pg) != CONNECTION_OK) {
		pg_error(pg, NULL, "connecting to the controller database", err);
		if (pg)
			PQfinish(pg);
		return -1;
	}
	PQsetNoticeProcessor(pg, pg_quiet, NULL);
	/* a statement kept prepared is planned for its values each time: the
	 * lists' "? IS NULL OR col = ?" filters need the values to use an index
	 * (a generic plan cannot) */
	{
		PGresult *r = PQexec(pg, "SET plan_cache_mode = force_custom_plan");
		bool ok = pg_ok(r);

		if (r)
			PQclear(r);
		if (!ok) {
			pg_error(pg, NULL, "setting up a connection to the controller database",
				 err);
			PQfinish(pg);
			return -1;
		}
	}
	*out = pg;
	return 0;
}

bool bh_ctl_pg_reset(struct conn *c)
{
	stmts_drop(c);
	PQreset(c->pg);
	if (PQstatus(c->pg) != CONNECTION_OK)
		return false;
	PQsetNoticeProcessor(c->pg, pg_quiet, NULL);
	{
		PGresult *r = PQexec(c->pg, "SET plan_cache_mode = force_custom_plan");

		if (r)
			PQclear(r);
	}
	return true;
}
