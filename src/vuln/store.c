/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The advisory store: one SQLite file in WAL mode (readers never wait for an
 * import, and an import that dies leaves the last committed state), its
 * schema versioned by PRAGMA user_version and migrated step by step on open.
 *
 *   advisories  one row per record: key (the OSV id; id/ecosystem/package for
 *               synthesised secdb records), id, times, texts, aliases and
 *               reference URLs (JSON arrays), computed severity, source
 *   affected    one row per affected package of a record: ecosystem, lookup
 *               name (PEP 503 for PyPI), the normalised OSV affected object;
 *               indexed by (ecosystem, package)
 *   sources     where records came from: last import, HTTP validators
 *   scans       scan summaries by image digest
 *   meta        key/value: last update time, generation
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lazy/sqlite3.h"

#include "bulkhead/base.h"
#include "bulkhead/vuln.h"
#include "base/sqlite.h"
#include "store_internal.h"
#include "banned.h"

/* Each step takes the schema from version i to i + 1, in one transaction. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE advisories ("
	"  key TEXT PRIMARY KEY NOT NULL,"
	"  id TEXT NOT NULL,"
	"  modified TEXT,"
	"  modified_us INTEGER,"
	"  published TEXT,"
	"  withdrawn TEXT,"
	"  summary TEXT,"
	"  details TEXT,"
	"  aliases TEXT NOT NULL DEFAULT '[]',"
	"  refs TEXT NOT NULL DEFAULT '[]',"
	"  severity INTEGER NOT NULL DEFAULT 0,"
	"  score REAL,"
	"  cvss_vector TEXT,"
	"  source TEXT NOT NULL,"
	"  hash TEXT"
	") WITHOUT ROWID;"
	"CREATE INDEX advisories_by_id ON advisories(id);"
	"CREATE TABLE affected ("
	"  akey TEXT NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  ecosystem TEXT NOT NULL,"
	"  package TEXT NOT NULL,"
	"  severity INTEGER,"
	"  score REAL,"
	"  cvss_vector TEXT,"
	"  data TEXT NOT NULL,"
	"  PRIMARY KEY (akey, seq)"
	") WITHOUT ROWID;"
	"CREATE INDEX affected_by_package ON affected(ecosystem, package);"
	"CREATE TABLE sources ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  url TEXT,"
	"  etag TEXT,"
	"  last_modified TEXT,"
	"  imported_at TEXT,"
	"  checked_at TEXT,"
	"  records INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE scans ("
	"  id INTEGER PRIMARY KEY,"
	"  digest TEXT NOT NULL,"
	"  scanned_at TEXT NOT NULL,"
	"  db_version TEXT,"
	"  summary TEXT NOT NULL"
	");"
	"CREATE INDEX scans_by_digest ON scans(digest, id);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);",
};

#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

char *bh_vuln_store_default_path(const char *override)
{
	const char *env = getenv("BULKHEAD_DB"), *xdg, *home;

	if (override && *override)
		return bh_strdup(override);
	if (env && *env)
		return bh_strdup(env);
	if (geteuid() == 0)
		return bh_strdup("/var/lib/bulkhead/db.sqlite");
	xdg = getenv("XDG_CACHE_HOME");
	/* The XDG spec: a relative value is invalid and is ignored. */
	if (xdg && xdg[0] == '/')
		return bh_asprintf("%s/bulkhead/db.sqlite", xdg);
	home = getenv("HOME");
	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(geteuid());

		home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : "/tmp";
	}
	return bh_asprintf("%s/.cache/bulkhead/db.sqlite", home);
}

/* mkdir -p of path's parent directory. */
static int make_parent(const char *path, struct bh_error **err)
{
	char *dir = bh_strdup(path), *slash = strrchr(dir, '/');
	int r = 0;

	if (slash && slash != dir) {
		*slash = 0;
		r = bh_mkdirs(dir, 0755, 0755, err);
	}
	free(dir);
	return r;
}

static const struct bh_sqlite_schema schema = {
	.steps = migrations,
	.nsteps = NMIGRATIONS,
	.name = "the database",
	.newer = "upgrade bulkhead, or import into a new database",
};

int bh_vuln_store_open(const char *path, bool create, struct bh_store **out, struct bh_error **err)
{
	struct bh_store *s = NULL;
	struct stat st;
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	int64_t v = 0;

	*out = NULL;
	if (!path || !*path)
		return bh_error_set(err, BH_ERR_USAGE, "no database path");
	if (bh_lazy_require(&bh_lazy_sqlite3, err) < 0)
		return -1;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT || !create)
			return errno == ENOENT
				       ? bh_error_set(err, BH_ERR_NOTFOUND,
						      "no advisory database at %s (run 'bulkhead "
						      "db update' or 'bulkhead db import')",
						      path)
				       : bh_error_sys(err, errno, "%s", path);
		if (make_parent(path, err) < 0)
			return -1;
		flags |= SQLITE_OPEN_CREATE;
	} else if (!S_ISREG(st.st_mode)) {
		return bh_error_set(err, BH_ERR_INVALID, "%s is not a regular file", path);
	}
	/* A file that is not SQLite fails here, on the first read. */
	if (bh_sqlite_open(path, flags, 30000,
			   "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
			   " PRAGMA foreign_keys = OFF; PRAGMA trusted_schema = OFF;"
			   " PRAGMA journal_size_limit = 67108864; PRAGMA cache_size = -32768;",
			   path, &db, err) < 0)
		return bh_error_prefix(err, "advisory database %s", path);
	if (bh_sqlite_int(db, "PRAGMA user_version", "reading the schema version", &v, err) < 0)
		goto fail;
	if (v != (int64_t)NMIGRATIONS && bh_sqlite_migrate(db, &schema, err) < 0)
		goto fail;
	s = bh_calloc(1, sizeof(*s));
	s->db = db;
	s->path = bh_strdup(path);
	*out = s;
	return 0;
fail:
	sqlite3_close(db);
	return bh_error_prefix(err, "advisory database %s", path);
}

void bh_vuln_store_close(struct bh_store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

/* ---- sources ------------------------------------------------------------ */

int bh_vuln_store_source_validators(struct bh_store *s, const char *name, char **etag,
				    char **last_modified, struct bh_error **err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*etag = *last_modified = NULL;
	rc = sqlite3_prepare_v2(s->db, "SELECT etag, last_modified FROM sources WHERE name = ?", -1,
				&st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *e = (const char *)sqlite3_column_text(st, 0);
		const char *l = (const char *)sqlite3_column_text(st, 1);

		*etag = e ? bh_strdup(e) : NULL;
		*last_modified = l ? bh_strdup(l) : NULL;
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return bh_sqlite_error(s->db, rc, "reading the sources", err);
	return 0;
}

int bh_vuln_store_source_checked(struct bh_store *s, const char *name, const char *url,
				 struct bh_error **err)
{
	sqlite3_stmt *st = NULL;
	char now[BH_TIME_MAX];
	int rc;

	bh_time_rfc3339(NULL, 0, now);
	rc = sqlite3_prepare_v2(s->db,
				"INSERT INTO sources(name, kind, url, checked_at) VALUES (?, "
				"'update', ?, ?) ON CONFLICT(name) DO UPDATE SET url = "
				"excluded.url, checked_at = excluded.checked_at",
				-1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, url, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return bh_sqlite_error(s->db, rc, "recording the source", err);
	rc = sqlite3_prepare_v2(s->db,
				"INSERT INTO meta VALUES ('updated_at', ?) ON CONFLICT(key) DO"
				" UPDATE SET value = excluded.value",
				-1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return bh_sqlite_error(s->db, rc, "recording the update", err);
	return 0;
}

/* ---- info ---------------------------------------------------------------- */

static json_t *column_json(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER: return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT: return json_real(sqlite3_column_double(st, i));
	case SQLITE_NULL: return json_null();
	default: return json_string((const char *)sqlite3_column_text(st, i));
	}
}

/* Run sql; each row becomes an object of its named columns, appended to arr. */
static int rows_json(sqlite3 *db, const char *sql, json_t *arr, struct bh_error **err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = json_object();

		for (int i = 0; i < sqlite3_column_count(st); i++)
			json_object_set_new(o, sqlite3_column_name(st, i), column_json(st, i));
		json_array_append_new(arr, o);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return bh_sqlite_error(db, rc, "reading the database", err);
	return 0;
}

static int meta_get(sqlite3 *db, const char *key, char **out, struct bh_error **err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL);

	*out = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = bh_strdup((const char *)sqlite3_column_text(st, 0));
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return bh_sqlite_error(db, rc, "reading the database", err);
	return 0;
}

int bh_vuln_store_info(struct bh_store *s, json_t **out, struct bh_error **err)
{
	json_t *o = json_object(), *eco = json_array(), *src = json_array(), *tot = json_array();
	char *updated = NULL, *gen = NULL;
	int64_t v = 0;
	int r = -1;
	uint64_t g = 0;

	*out = NULL;
	/* One read transaction, so the figures agree with each other. */
	if (bh_sqlite_exec(s->db, "BEGIN", "reading the database", err) < 0)
		goto out;
	if (bh_sqlite_int(s->db, "PRAGMA user_version", "reading the schema version", &v, err) <
		    0 ||
	    rows_json(s->db,
		      "SELECT count(*) AS advisories,"
		      " coalesce(sum(withdrawn IS NOT NULL), 0) AS withdrawn FROM advisories",
		      tot, err) < 0 ||
	    rows_json(s->db,
		      "SELECT f.ecosystem AS ecosystem, count(DISTINCT f.akey) AS advisories,"
		      " count(DISTINCT f.package) AS packages"
		      " FROM affected f JOIN advisories a ON a.key = f.akey"
		      " WHERE a.withdrawn IS NULL GROUP BY f.ecosystem ORDER BY f.ecosystem",
		      eco, err) < 0 ||
	    rows_json(s->db,
		      "SELECT name, kind, url, records, imported_at, checked_at, etag,"
		      " last_modified FROM sources ORDER BY name",
		      src, err) < 0 ||
	    meta_get(s->db, "updated_at", &updated, err) < 0 ||
	    meta_get(s->db, "generation", &gen, err) < 0)
		goto out;
	if (gen)
		bh_parse_u64(gen, &g, NULL);
	json_object_set_new(o, "path", json_string(s->path));
	json_object_set_new(o, "schema_version", json_integer(v));
	json_object_set_new(o, "last_update", updated ? json_string(updated) : json_null());
	json_object_set_new(o, "generation", json_integer((json_int_t)g));
	json_object_set(o, "advisories", json_object_get(json_array_get(tot, 0), "advisories"));
	json_object_set(o, "withdrawn", json_object_get(json_array_get(tot, 0), "withdrawn"));
	json_object_set(o, "ecosystems", eco);
	json_object_set(o, "sources", src);
	*out = json_incref(o);
	r = 0;
out:
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	free(updated);
	free(gen);
	json_decref(o);
	json_decref(eco);
	json_decref(src);
	json_decref(tot);
	return r;
}

/* ---- query --------------------------------------------------------------- */

/* A JSON array of strings (as stored) -> NULL-terminated vector of borrowed
 * strings into the parsed array, which the caller keeps alive. */
static const char **strv_from(json_t *arr)
{
	size_t n = json_array_size(arr), i, j = 0;
	const char **v = bh_calloc(n + 1, sizeof(*v));
	json_t *e;

	json_array_foreach (arr, i, e) {
		if (json_is_string(e))
			v[j++] = json_string_value(e);
	}
	return v;
}

static json_t *load_json(sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	int n = sqlite3_column_bytes(st, col);

	return t ? json_loadb(t, (size_t)n, 0, NULL) : NULL;
}

static const char *col_text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

int bh_vuln_store_query(struct bh_store *s, const char *ecosystem, const char *package,
			bh_advisory_fn fn, void *data, struct bh_error **err)
{
	static const char sql[] =
		"SELECT a.id, a.aliases, a.summary, a.details, a.modified, a.published,"
		" coalesce(f.severity, a.severity), CASE WHEN f.severity IS NULL THEN a.score"
		" ELSE f.score END, CASE WHEN f.severity IS NULL THEN a.cvss_vector ELSE"
		" f.cvss_vector END, a.refs, f.ecosystem, f.data, a.source"
		" FROM affected f JOIN advisories a ON a.key = f.akey"
		" WHERE f.ecosystem = ?1 AND f.package = ?2 AND a.withdrawn IS NULL"
		" ORDER BY a.id, a.key, f.seq";
	sqlite3_stmt *st = NULL;
	char *key = bh_osv_package_key(ecosystem, package);
	int rc, r = -1;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, ecosystem, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *aliases = load_json(st, 1), *refs = load_json(st, 9);
		json_t *aff = load_json(st, 11);
		const char **av = strv_from(aliases), **rv = strv_from(refs);
		struct bh_advisory a = {
			.id = col_text(st, 0),
			.aliases = av,
			.summary = col_text(st, 2),
			.details = col_text(st, 3),
			.modified = col_text(st, 4),
			.published = col_text(st, 5),
			.severity = (enum bh_severity)sqlite3_column_int(st, 6),
			.score = sqlite3_column_type(st, 7) == SQLITE_NULL
					 ? -1
					 : sqlite3_column_double(st, 7),
			.cvss_vector = col_text(st, 8),
			.references = rv,
			.ecosystem = col_text(st, 10),
			.package = bh_json_str(bh_json_obj(aff, "package"), "name"),
			.affected = aff,
			.source = col_text(st, 12),
		};
		int fr = 0;

		if (!aff || !a.package)
			bh_warn("advisory %s: stored affected entry unreadable, skipped", a.id);
		else
			fr = fn(&a, data, err);
		free(av);
		free(rv);
		json_decref(aliases);
		json_decref(refs);
		json_decref(aff);
		if (fr < 0)
			goto out;
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE) {
		bh_sqlite_error(s->db, rc, "querying advisories", err);
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	free(key);
	return r;
}

/* ---- scans --------------------------------------------------------------- */

int bh_vuln_store_record_scan(struct bh_store *s, const char *digest, const json_t *summary,
			      struct bh_error **err)
{
	struct bh_digest d;
	sqlite3_stmt *st = NULL;
	char *text = NULL, *updated = NULL, *gen = NULL, *dbv = NULL;
	char now[BH_TIME_MAX];
	int rc, r = -1;

	if (bh_digest_parse(digest, &d, err) < 0)
		return bh_error_prefix(err, "recording a scan");
	if (!summary)
		return bh_error_set(err, BH_ERR_USAGE, "recording a scan: no summary");
	text = json_dumps(summary, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!text)
		return bh_error_set(err, BH_ERR_NOMEM, "recording a scan: cannot encode it");
	if (meta_get(s->db, "changed_at", &updated, err) < 0 ||
	    meta_get(s->db, "generation", &gen, err) < 0)
		goto out;
	if (updated)
		dbv = bh_asprintf("%s/%s", gen ? gen : "0", updated);
	bh_time_rfc3339(NULL, 0, now);
	rc = sqlite3_prepare_v2(s->db,
				"INSERT INTO scans(digest, scanned_at, db_version, summary)"
				" VALUES (?, ?, ?, ?)",
				-1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, d.str, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = dbv ? sqlite3_bind_text(st, 3, dbv, -1, SQLITE_STATIC)
			 : sqlite3_bind_null(st, 3);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		bh_sqlite_error(s->db, rc, "recording a scan", err);
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	free(text);
	free(updated);
	free(gen);
	free(dbv);
	return r;
}

int bh_vuln_store_last_scan(struct bh_store *s, const char *digest, json_t **out,
			    struct bh_error **err)
{
	struct bh_digest d;
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if (bh_digest_parse(digest, &d, err) < 0)
		return bh_error_prefix(err, "looking up a scan");
	rc = sqlite3_prepare_v2(s->db,
				"SELECT scanned_at, db_version, summary FROM scans WHERE digest = ?"
				" ORDER BY id DESC LIMIT 1",
				-1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, d.str, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		json_t *summary = load_json(st, 2);
		const char *dbv = col_text(st, 1);

		*out = json_pack("{s:s, s:s, s:o, s:o}", "digest", d.str, "scanned_at",
				 col_text(st, 0), "db_version",
				 dbv ? json_string(dbv) : json_null(), "summary",
				 summary ? summary : json_null());
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return bh_sqlite_error(s->db, rc, "looking up a scan", err);
	return 0;
}
