// SPDX-License-Identifier: Apache-2.0
/*
 * The database output: events and alerts in one SQLite table, `events`
 * (kind 'event' or 'alert'; time in ns; type; the rule and priority of an
 * alert; the container id, "" for the host; the item's JSON), each batch
 * in one transaction. The table is kept bounded: after every
 * PRUNE_EVERY rows, and at open, rows older than the retention and rows
 * beyond max_rows (the oldest first) are deleted. Default file
 * /var/lib/bulkhead/monitor.sqlite (its directory made 0700 when missing).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lazy/lazy.h"
#include "pipeline_internal.h"
#include "sqlite.h"
#include "banned.h"

#define DB_DEFAULT  "/var/lib/bulkhead/monitor.sqlite"
#define PRUNE_EVERY 10000

static const char *const db_steps[] = {
	"CREATE TABLE events (id INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
	" kind TEXT NOT NULL, type TEXT NOT NULL, rule TEXT, priority TEXT,"
	" container TEXT NOT NULL, json TEXT NOT NULL);"
	"CREATE INDEX events_time ON events(time);"
	"CREATE INDEX events_rule ON events(rule) WHERE rule IS NOT NULL;",
};

static const struct bh_sqlite_schema db_schema = {
	.steps = db_steps,
	.nsteps = 1,
	.name = "the monitor's database",
	.newer = "upgrade bulkhead or use another --db",
};

struct out_db {
	char *path;
	sqlite3 *db;
	sqlite3_stmt *ins;
	uint64_t max_rows, retention_ns;
	uint64_t since_prune;
};

static int prune(struct out_db *d, struct bh_error **err)
{
	struct timespec now;
	char sql[256];
	uint64_t cut;

	clock_gettime(CLOCK_REALTIME, &now);
	cut = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	cut = cut > d->retention_ns ? cut - d->retention_ns : 0;
	snprintf(sql, sizeof(sql),
		 "DELETE FROM events WHERE time < %llu;"
		 "DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - %llu;",
		 (unsigned long long)cut, (unsigned long long)d->max_rows);
	d->since_prune = 0;
	return bh_sqlite_exec(d->db, sql, d->path, err);
}

static void db_close(void *impl)
{
	struct out_db *d = impl;

	if (!d)
		return;
	if (d->ins)
		sqlite3_finalize(d->ins);
	if (d->db)
		sqlite3_close(d->db);
	free(d->path);
	free(d);
}

static int db_open(const struct bh_mon_output_opts *o, void **impl, char *name, size_t namesz,
		   struct bh_error **err)
{
	struct out_db *d;
	int rc;

	if (bh_lazy_require(&bh_lazy_sqlite3, err) < 0)
		return bh_error_prefix(err, "the database output needs SQLite");
	if (!o->db_path && mkdir("/var/lib/bulkhead", 0700) < 0 && errno != EEXIST)
		return bh_error_sys(err, errno, "/var/lib/bulkhead");
	d = bh_calloc(1, sizeof(*d));
	d->path = bh_strdup(o->db_path ? o->db_path : DB_DEFAULT);
	d->max_rows = o->max_rows ? o->max_rows : 1000000;
	d->retention_ns = (o->retention_s ? o->retention_s : 30ull * 86400) * 1000000000ull;
	snprintf(name, namesz, "database %s", d->path);
	if (bh_sqlite_open(d->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 5000,
			   "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", d->path, &d->db,
			   err) < 0 ||
	    bh_sqlite_migrate(d->db, &db_schema, err) < 0)
		goto fail;
	rc = sqlite3_prepare_v2(d->db,
				"INSERT INTO events (time, kind, type, rule, priority, container,"
				" json) VALUES (?, ?, ?, ?, ?, ?, ?)",
				-1, &d->ins, NULL);
	if (rc != SQLITE_OK) {
		bh_sqlite_error(d->db, rc, d->path, err);
		goto fail;
	}
	if (prune(d, err) < 0)
		goto fail;
	*impl = d;
	return 0;
fail:
	db_close(d);
	return -1;
}

static int db_write(void *impl, const struct mon_msg *msgs, const struct mon_json *const *js,
		    size_t n, const atomic_bool *stop, struct bh_error **err)
{
	struct out_db *d = impl;
	int rc;

	if (bh_sqlite_exec(d->db, "BEGIN IMMEDIATE", d->path, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct bh_mon_alert *a = msgs[i].al ? &msgs[i].al->a : NULL;
		const struct bh_mon_event *ev = a ? a->ev : &msgs[i].ev->ev;

		sqlite3_bind_int64(d->ins, 1, (sqlite3_int64)ev->ts_ns);
		sqlite3_bind_text(d->ins, 2, a ? "alert" : "event", -1, SQLITE_STATIC);
		/* a loss alert's event has no type (BH_MON_NONE): "none" */
		sqlite3_bind_text(d->ins, 3, ev->type ? bh_mon_type_name(ev->type) : "none", -1,
				  SQLITE_STATIC);
		if (a) {
			sqlite3_bind_text(d->ins, 4, a->rule->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(d->ins, 5, bh_rules_priority_name(a->rule->priority), -1,
					  SQLITE_STATIC);
		} else {
			sqlite3_bind_null(d->ins, 4);
			sqlite3_bind_null(d->ins, 5);
		}
		sqlite3_bind_text(d->ins, 6, ev->container.id, -1, SQLITE_STATIC);
		sqlite3_bind_text(d->ins, 7, js[i]->s, (int)js[i]->len, SQLITE_STATIC);
		rc = sqlite3_step(d->ins);
		sqlite3_reset(d->ins);
		sqlite3_clear_bindings(d->ins);
		if (rc != SQLITE_DONE) {
			bh_sqlite_error(d->db, rc, d->path, err);
			goto fail;
		}
	}
	d->since_prune += n;
	if (d->since_prune >= PRUNE_EVERY && prune(d, err) < 0)
		goto fail;
	if (bh_sqlite_exec(d->db, "COMMIT", d->path, err) < 0)
		goto fail;
	return 0;
fail:
	bh_sqlite_exec(d->db, "ROLLBACK", d->path, NULL);
	return -1;
}

const struct mon_output_ops mon_output_db = {
	.open = db_open,
	.write = db_write,
	.close = db_close,
};
