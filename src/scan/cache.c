/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The layer cache on disk: the parts a walk keeps of each layer (see "the
 * layer cache" in include/bulkhead/image.h) in one SQLite file beside the
 * advisory database, `<db>.layers.sqlite`. A file of its own, not a table of
 * the advisory store: the store may be read-only or shared, an import holds
 * its write lock for minutes, and `bulkhead sbom` must not create an empty
 * advisory database that a later vulnerability scan would take for a real
 * one. Deleting the file loses nothing but time.
 *
 *   parts   one row per stored part: its key (unique), diff_id, part name,
 *           the bulkhead version that made it, size, created and last used
 *           (seconds), the bytes
 *   meta    key/value: max_bytes
 *
 * WAL mode: scans read at once without waiting; a walk's new parts and the
 * use of the ones it read are written in one short transaction after it,
 * then the least recently used layers (all their parts) are evicted down
 * to max_bytes, and the freed pages returned to the file system
 * (incremental auto-vacuum); `bulkhead db prune-cache` also removes what
 * another bulkhead version stored, which this one can never read. Two scans at once: each writes
 * its own transaction; the same part written twice is the same bytes. A new
 * file is made whole beside its place and renamed in (create_file), so scans
 * starting together on no cache never set one file up at once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lazy/sqlite3.h"
#include "base/sqlite.h"

#include "bulkhead/scan.h"
#include "bulkhead/version.h"
#include "banned.h"

#define BUSY_MS 10000 /* a writer waits this long for another scan's commit */
#define FRESH	3600  /* a part used less than this long ago is not marked again (seconds) */

static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE parts ("
	"  id INTEGER PRIMARY KEY,"
	"  key TEXT NOT NULL UNIQUE,"
	"  diff_id TEXT NOT NULL,"
	"  part TEXT NOT NULL,"
	"  tool TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  used_at INTEGER NOT NULL,"
	"  data BLOB NOT NULL"
	");"
	"CREATE INDEX parts_by_use ON parts(used_at, id);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);",
};

#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

struct bh_layer_cache {
	sqlite3 *db;
	char *path;
	pthread_mutex_t lock; /* one connection, used by the walk's threads in turn */
	sqlite3_stmt *get;
	struct bh_walk_cache walk;
	char *salt;
	struct bh_map *fresh; /* keys read that were used recently: no need to mark them */
};

/* The one integer of `sql`'s first row (0 without one). */
static int query_int(sqlite3 *db, const char *sql, int64_t *out, struct bh_error **err)
{
	return bh_sqlite_int(db, sql, "reading the layer cache", out, err);
}

static const struct bh_sqlite_schema schema = {
	.steps = migrations,
	.nsteps = NMIGRATIONS,
	.name = "the layer cache",
	.newer = "remove the file, or upgrade bulkhead",
};

char *bh_layer_cache_path(const char *db_path)
{
	size_t n;

	if (!db_path || !*db_path)
		return NULL;
	n = strlen(db_path);
	if (bh_str_has_suffix(db_path, ".sqlite"))
		return bh_asprintf("%.*s.layers.sqlite", (int)(n - 7), db_path);
	return bh_asprintf("%s.layers", db_path);
}

/* ---- the walk's interface --------------------------------------------------- */

static int walk_get(void *data, const char *key, struct bh_buf *out, struct bh_error **err)
{
	struct bh_layer_cache *c = data;
	int rc, r = 0;

	pthread_mutex_lock(&c->lock);
	sqlite3_reset(c->get);
	rc = sqlite3_bind_text(c->get, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(c->get);
	if (rc == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(c->get, 0);
		int n = sqlite3_column_bytes(c->get, 0);

		bh_buf_reset(out);
		if (n < 0 || bh_buf_add(out, p, (size_t)n, err) < 0) {
			r = bh_error_prefix(err, "layer cache part %.12s", key);
		} else {
			r = 1;
			if (sqlite3_column_int64(c->get, 1) >= (int64_t)time(NULL) - FRESH)
				bh_map_put(c->fresh, key, strlen(key), c);
		}
	} else if (rc != SQLITE_DONE) {
		r = bh_sqlite_error(c->db, rc, "reading the layer cache", err);
	}
	sqlite3_reset(c->get);
	sqlite3_clear_bindings(c->get);
	pthread_mutex_unlock(&c->lock);
	return r;
}

static int64_t max_bytes(sqlite3 *db)
{
	int64_t v = 0;

	if (query_int(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'max_bytes'", &v,
		      NULL) < 0 ||
	    v <= 0)
		return (int64_t)BH_LAYER_CACHE_MAX_DEFAULT;
	return v;
}

/*
 * Evict the least recently used layers, all parts of a layer at once (a
 * layer is read back only whole), until at most `limit` bytes are left;
 * inside the caller's transaction.
 */
static int evict(sqlite3 *db, int64_t limit, uint64_t *removed, uint64_t *removed_bytes,
		 struct bh_error **err)
{
	sqlite3_stmt *sel = NULL, *del = NULL;
	int64_t total = 0;
	int rc;

	if (query_int(db, "SELECT coalesce(sum(size), 0) FROM parts", &total, err) < 0)
		return -1;
	if (total <= limit)
		return 0;
	rc = sqlite3_prepare_v2(db,
				"SELECT diff_id, sum(size), count(*) FROM parts GROUP BY diff_id"
				" ORDER BY max(used_at), min(id)",
				-1, &sel, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "DELETE FROM parts WHERE diff_id = ?", -1, &del, NULL);
	while (rc == SQLITE_OK && total > limit && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
		int64_t size = sqlite3_column_int64(sel, 1), n = sqlite3_column_int64(sel, 2);

		sqlite3_reset(del);
		rc = sqlite3_bind_text(del, 1, (const char *)sqlite3_column_text(sel, 0), -1,
				       SQLITE_TRANSIENT);
		if (rc == SQLITE_OK && (rc = sqlite3_step(del)) == SQLITE_DONE)
			rc = SQLITE_OK;
		total -= size;
		if (removed)
			*removed += (uint64_t)n;
		if (removed_bytes)
			*removed_bytes += (uint64_t)size;
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(del);
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		return bh_sqlite_error(db, rc, "evicting from the layer cache", err);
	return 0;
}

static int walk_put(void *data, const struct bh_walk_cache_item *items, size_t n,
		    struct bh_error **err)
{
	struct bh_layer_cache *c = data;
	sqlite3_stmt *ins = NULL, *use = NULL;
	int64_t now = (int64_t)time(NULL);
	size_t todo = 0;
	int rc, r = -1;

	pthread_mutex_lock(&c->lock);
	/* A scan that read every layer from the cache, recently used, writes
	 * nothing: no lock taken, no other scan kept waiting. */
	for (size_t i = 0; i < n; i++)
		todo += items[i].data || !bh_map_get(c->fresh, items[i].key, strlen(items[i].key));
	if (!todo) {
		r = 0;
		goto out;
	}
	if (bh_sqlite_exec(c->db, "BEGIN IMMEDIATE", "locking the layer cache", err) < 0)
		goto out;
	rc = sqlite3_prepare_v2(c->db,
				"INSERT INTO parts(key, diff_id, part, tool, size, created_at,"
				" used_at, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)"
				" ON CONFLICT(key) DO UPDATE SET data = excluded.data,"
				" size = excluded.size, tool = excluded.tool,"
				" used_at = excluded.used_at",
				-1, &ins, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(c->db, "UPDATE parts SET used_at = ?1 WHERE key = ?2", -1,
					&use, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
		const struct bh_walk_cache_item *it = &items[i];
		sqlite3_stmt *st = it->data ? ins : use;

		if (!it->data && bh_map_get(c->fresh, it->key, strlen(it->key)))
			continue;
		sqlite3_reset(st);
		if (it->data) {
			rc = sqlite3_bind_text(st, 1, it->key, -1, SQLITE_STATIC);
			if (rc == SQLITE_OK)
				rc = sqlite3_bind_text(st, 2, it->diff_id, -1, SQLITE_STATIC);
			if (rc == SQLITE_OK)
				rc = sqlite3_bind_text(st, 3, it->part, -1, SQLITE_STATIC);
			if (rc == SQLITE_OK)
				rc = sqlite3_bind_text(st, 4, BH_VERSION, -1, SQLITE_STATIC);
			if (rc == SQLITE_OK)
				rc = sqlite3_bind_int64(st, 5, (int64_t)it->len);
			if (rc == SQLITE_OK)
				rc = sqlite3_bind_int64(st, 6, now);
			if (rc == SQLITE_OK)
				rc = sqlite3_bind_blob64(st, 7, it->data, it->len, SQLITE_STATIC);
		} else {
			rc = sqlite3_bind_int64(st, 1, now);
			if (rc == SQLITE_OK)
				rc = sqlite3_bind_text(st, 2, it->key, -1, SQLITE_STATIC);
		}
		if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK) {
		bh_sqlite_error(c->db, rc, "writing the layer cache", err);
		goto rollback;
	}
	if (evict(c->db, max_bytes(c->db), NULL, NULL, err) < 0 ||
	    bh_sqlite_exec(c->db, "COMMIT", "committing the layer cache", err) < 0)
		goto rollback;
	sqlite3_exec(c->db, "PRAGMA incremental_vacuum", NULL, NULL, NULL);
	r = 0;
	goto out;
rollback:
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(use);
	pthread_mutex_unlock(&c->lock);
	return r < 0 ? bh_error_prefix(err, "layer cache %s", c->path) : 0;
}

/* ---- open, info, prune ------------------------------------------------------------- */

#define PRAGMAS                                                                                    \
	"PRAGMA synchronous = NORMAL; PRAGMA trusted_schema = OFF;"                                \
	" PRAGMA journal_size_limit = 67108864; PRAGMA mmap_size = 268435456;"

/* Pages freed by eviction go back to the file system (auto_vacuum must be
 * set before the first table), WAL from then on; then the schema. */
static int init_file(sqlite3 *db, struct bh_error **err)
{
	if (bh_sqlite_exec(db, "PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL;",
			   "creating", err) < 0)
		return -1;
	return bh_sqlite_migrate(db, &schema, err);
}

/*
 * A new cache file, made complete beside its place (auto-vacuum, WAL, the
 * schema; closed, so its WAL is folded in) and renamed in without replacing:
 * the file at `path` is never one that scans starting at once each turn to
 * WAL in place. That switch takes the read lock up to a write lock, which
 * SQLite does not wait for when another connection holds it: one of two
 * scans opening a new cache together failed at once with "database is
 * locked" and read every layer without the cache, storing nothing. A scan
 * whose rename finds a file there already drops its own and opens that one.
 */
static int create_file(const char *path, struct bh_error **err)
{
	char *dir = bh_strdup(path), *slash = strrchr(dir, '/'), *tmp = NULL, *side;
	sqlite3 *db = NULL;
	int fd, rc, r = -1;

	if (slash && slash != dir) {
		*slash = 0;
		if (bh_mkdirs(dir, 0755, 0755, err) < 0)
			goto out;
	}
	/* Its rows hold what images contain (captured files, where secrets
	 * are): the owner's only (mkostemp's 0600), and SQLite's -wal and -shm
	 * follow. */
	tmp = bh_asprintf("%s.new-XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		bh_error_sys(err, errno, "creating %s", tmp);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	close(fd);
	if (bh_sqlite_open(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, BUSY_MS, PRAGMAS,
			   "creating", &db, err) < 0 ||
	    init_file(db, err) < 0)
		goto out;
	rc = sqlite3_close(db);
	db = NULL;
	if (rc != SQLITE_OK) {
		bh_sqlite_error(NULL, rc, "creating", err);
		goto out;
	}
	/* link(2) where the file system has no RENAME_NOREPLACE */
	rc = renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE);
	if (rc < 0 && (errno == EINVAL || errno == ENOSYS))
		rc = link(tmp, path);
	if (rc < 0 && errno != EEXIST) {
		bh_error_sys(err, errno, "creating");
		goto out;
	}
	r = 0;
out:
	sqlite3_close(db);
	if (tmp) {
		unlink(tmp);
		side = bh_asprintf("%s-wal", tmp);
		unlink(side);
		free(side);
		side = bh_asprintf("%s-shm", tmp);
		unlink(side);
		free(side);
	}
	free(tmp);
	free(dir);
	return r;
}

/*
 * What create_file left beside `path` when its scan was killed between the
 * temporary file and its rename (`<path>.new-XXXXXX` and its -journal, -wal,
 * -shm: rows of what images hold) removed once older than STALE_NEW_S, so a
 * create of a scan running now is never touched; at most STALE_NEW_MAX a
 * call. Best effort: a cache that works is not refused for what it cannot
 * remove.
 */
#define STALE_NEW_S   600
#define STALE_NEW_MAX 64
static void sweep_stale(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? bh_strndup(path, slash == path ? 1 : (size_t)(slash - path))
			  : bh_strdup(".");
	char *pfx = bh_asprintf("%s.new-", slash ? slash + 1 : path);
	size_t pl = strlen(pfx), n = 0;
	time_t old = time(NULL) - STALE_NEW_S;
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);

	while (d && n < STALE_NEW_MAX && (de = readdir(d))) {
		if (strncmp(de->d_name, pfx, pl) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || st.st_mtime > old)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	}
	if (d)
		closedir(d);
	if (n)
		bh_debug("layer cache %s: %zu file%s left by an interrupted create removed", path,
			 n, n == 1 ? "" : "s");
	free(pfx);
	free(dir);
}

int bh_layer_cache_open(const char *path, bool create, struct bh_layer_cache **out,
			struct bh_error **err)
{
	struct bh_layer_cache *c;
	struct stat st;
	sqlite3 *db = NULL;
	int64_t v = 0;
	int rc, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	*out = NULL;
	if (!path || !*path)
		return bh_error_set(err, BH_ERR_USAGE, "no layer cache path");
	if (bh_lazy_require(&bh_lazy_sqlite3, err) < 0)
		return -1;
	if (create)
		sweep_stale(path);
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			return bh_error_sys(err, errno, "layer cache %s", path);
		if (!create)
			return bh_error_set(err, BH_ERR_NOTFOUND, "no layer cache at %s", path);
		if (create_file(path, err) < 0)
			return bh_error_prefix(err, "layer cache %s", path);
		if (stat(path, &st) < 0)
			return bh_error_sys(err, errno, "layer cache %s", path);
	}
	if (!S_ISREG(st.st_mode))
		return bh_error_set(err, BH_ERR_INVALID, "layer cache %s: not a regular file",
				    path);
	if (bh_sqlite_open(path, flags, BUSY_MS, PRAGMAS, "opening", &db, err) < 0)
		return bh_error_prefix(err, "layer cache %s", path);
	if (query_int(db, "PRAGMA user_version", &v, err) < 0)
		goto fail;
	/* An empty file made by an older bulkhead (which created the file in
	 * place) is made a cache here, as it was then; ours are whole. */
	if (v == 0 && init_file(db, err) < 0)
		goto fail;
	if (v != 0 && v != (int64_t)NMIGRATIONS && bh_sqlite_migrate(db, &schema, err) < 0)
		goto fail;
	c = bh_calloc(1, sizeof(*c));
	c->db = db;
	c->path = bh_strdup(path);
	pthread_mutex_init(&c->lock, NULL);
	c->fresh = bh_map_new();
	rc = sqlite3_prepare_v3(db, "SELECT data, used_at FROM parts WHERE key = ?", -1,
				SQLITE_PREPARE_PERSISTENT, &c->get, NULL);
	if (rc != SQLITE_OK) {
		bh_sqlite_error(db, rc, "preparing", err);
		c->db = NULL;
		bh_layer_cache_close(c);
		goto fail;
	}
	c->walk.data = c;
	c->walk.get = walk_get;
	c->walk.put = walk_put;
	*out = c;
	return 0;
fail:
	sqlite3_close(db);
	return bh_error_prefix(err, "layer cache %s", path);
}

void bh_layer_cache_close(struct bh_layer_cache *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->get);
	sqlite3_close(c->db);
	pthread_mutex_destroy(&c->lock);
	free(c->path);
	free(c->salt);
	bh_map_free(c->fresh, NULL);
	free(c);
}

const struct bh_walk_cache *bh_layer_cache_walk(struct bh_layer_cache *c)
{
	return c ? &c->walk : NULL;
}

void bh_layer_cache_set_salt(struct bh_layer_cache *c, const char *salt)
{
	free(c->salt);
	c->salt = salt ? bh_strdup(salt) : NULL;
	c->walk.salt = c->salt;
}

int bh_layer_cache_info(struct bh_layer_cache *c, json_t **out, struct bh_error **err)
{
	int64_t layers = 0, parts = 0, bytes = 0, oldest = 0, newest = 0, pages = 0, psize = 0;
	int64_t other = 0;
	char t1[BH_TIME_MAX], t2[BH_TIME_MAX];
	struct timespec ts = { 0 };
	int r = -1;

	*out = NULL;
	pthread_mutex_lock(&c->lock);
	if (bh_sqlite_exec(c->db, "BEGIN", "reading the layer cache", err) < 0)
		goto out;
	if (query_int(c->db, "SELECT count(DISTINCT diff_id) FROM parts", &layers, err) < 0 ||
	    query_int(c->db, "SELECT count(*) FROM parts", &parts, err) < 0 ||
	    query_int(c->db, "SELECT coalesce(sum(size), 0) FROM parts", &bytes, err) < 0 ||
	    query_int(c->db, "SELECT coalesce(min(used_at), 0) FROM parts", &oldest, err) < 0 ||
	    query_int(c->db, "SELECT coalesce(max(used_at), 0) FROM parts", &newest, err) < 0 ||
	    query_int(c->db, "PRAGMA page_count", &pages, err) < 0 ||
	    query_int(c->db, "PRAGMA page_size", &psize, err) < 0)
		goto out;
	{
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(c->db, "SELECT count(*) FROM parts WHERE tool != ?", -1,
					    &st, NULL);

		if (rc == SQLITE_OK)
			rc = sqlite3_bind_text(st, 1, BH_VERSION, -1, SQLITE_STATIC);
		if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
			other = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	ts.tv_sec = (time_t)oldest;
	bh_time_rfc3339(&ts, 0, t1);
	ts.tv_sec = (time_t)newest;
	bh_time_rfc3339(&ts, 0, t2);
	*out = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "path", c->path, "layers",
			 (json_int_t)layers, "parts", (json_int_t)parts, "bytes", (json_int_t)bytes,
			 "file_bytes", (json_int_t)(pages * psize), "max_bytes",
			 (json_int_t)max_bytes(c->db), "other_versions", (json_int_t)other,
			 "oldest_use", parts ? json_string(t1) : json_null(), "newest_use",
			 parts ? json_string(t2) : json_null());
	r = 0;
out:
	sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	pthread_mutex_unlock(&c->lock);
	return r < 0 ? bh_error_prefix(err, "layer cache %s", c->path) : 0;
}

int bh_layer_cache_prune(struct bh_layer_cache *c, const struct bh_layer_cache_prune_opts *o,
			 struct bh_layer_cache_prune_stats *st, struct bh_error **err)
{
	sqlite3_stmt *set = NULL, *old = NULL;
	int64_t limit;
	int rc = SQLITE_OK, r = -1;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&c->lock);
	if (bh_sqlite_exec(c->db, "BEGIN IMMEDIATE", "locking the layer cache", err) < 0)
		goto out;
	if (o && o->set_max) {
		char v[32];

		snprintf(v, sizeof(v), "%llu", (unsigned long long)o->max_bytes);
		rc = sqlite3_prepare_v2(c->db,
					"INSERT INTO meta VALUES ('max_bytes', ?) ON CONFLICT(key)"
					" DO UPDATE SET value = excluded.value",
					-1, &set, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_text(set, 1, v, -1, SQLITE_TRANSIENT);
		if (rc == SQLITE_OK && (rc = sqlite3_step(set)) == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	/* What another bulkhead version made can never be read by this one. */
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(c->db, "DELETE FROM parts WHERE tool != ? RETURNING size",
					-1, &old, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(old, 1, BH_VERSION, -1, SQLITE_STATIC);
	while (rc == SQLITE_OK && (rc = sqlite3_step(old)) == SQLITE_ROW) {
		st->removed++;
		st->removed_bytes += (uint64_t)sqlite3_column_int64(old, 0);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_OK) {
		bh_sqlite_error(c->db, rc, "pruning the layer cache", err);
		goto rollback;
	}
	limit = o && o->all ? 0 : (o && o->set_max ? (int64_t)o->max_bytes : max_bytes(c->db));
	if (evict(c->db, limit, &st->removed, &st->removed_bytes, err) < 0 ||
	    query_int(c->db, "SELECT count(*) FROM parts", (int64_t *)&st->parts, err) < 0 ||
	    query_int(c->db, "SELECT coalesce(sum(size), 0) FROM parts", (int64_t *)&st->bytes,
		      err) < 0 ||
	    bh_sqlite_exec(c->db, "COMMIT", "committing the layer cache", err) < 0)
		goto rollback;
	st->max_bytes = (uint64_t)max_bytes(c->db);
	sqlite3_exec(c->db, "PRAGMA incremental_vacuum", NULL, NULL, NULL);
	r = 0;
	goto out;
rollback:
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
out:
	sqlite3_finalize(set);
	sqlite3_finalize(old);
	pthread_mutex_unlock(&c->lock);
	return r < 0 ? bh_error_prefix(err, "layer cache %s", c->path) : 0;
}
