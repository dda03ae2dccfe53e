/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The profile store (see include/bulkhead/profile.h): one SQLite file in WAL
 * mode, schema versioned by PRAGMA user_version.
 *
 *   profiles  (name, digest) → syscalls (JSON object: architecture → sorted
 *             names), runs, seconds, events, lost, execs, containers (JSON
 *             array), created, updated
 *   reports   monitor mode: calls made outside the profile, one row per
 *             (container, architecture, syscall) with its count
 *
 * A record is turned into names with libseccomp (already linked); a number
 * libseccomp cannot name counts as lost.
 *
 * Every container learning opens it at create and writes it at delete, so an
 * open and a commit are kept cheap: one check of the schema (made and migrated
 * only when it is not the current one), synchronous=NORMAL (a commit appends to
 * the WAL, no fsync), and, for the runtime (bh_prof_store_keep_wal), no
 * checkpoint at close (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE): the WAL and its index
 * stay beside the file from one container to the next, instead of being
 * checkpointed, synced and deleted at every close and made again (header and
 * directory synced) by the next commit. The runtime's commits checkpoint as
 * the WAL reaches KEEP_WAL_PAGES (every few containers), and a user's command
 * checkpoints at its close. A commit is atomic
 * either way; as before, the last commits may be lost (never half-applied) on
 * a power loss before the kernel writes them. A store made anew removes a WAL
 * left beside a deleted one.
 */
#include <errno.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "lazy/sqlite3.h"

#include "bulkhead/base.h"
#include "base/sqlite.h"
#include "bulkhead/profile.h"
#include "internal.h"
#include "banned.h"

int bh_prof_name_check(const char *name, struct bh_error **err)
{
	size_t n = name ? strlen(name) : 0;

	if (!n || n > 128 || name[0] == '.' || name[0] == '-')
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (!bh_isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			goto bad;
	return 0;
bad:
	return bh_error_set(err, BH_ERR_INVALID,
			    "profile name '%.64s': 1 to 128 letters, digits, '.', '_' or '-'",
			    name ? name : "");
}

char *bh_prof_store_default_path(void)
{
	const char *env = getenv("BULKHEAD_PROFILES"), *xdg, *home;

	if (env && *env)
		return bh_strdup(env);
	if (geteuid() == 0)
		return bh_strdup("/var/lib/bulkhead/profiles.sqlite");
	xdg = getenv("XDG_DATA_HOME");
	if (xdg && xdg[0] == '/')
		return bh_asprintf("%s/bulkhead/profiles.sqlite", xdg);
	home = getenv("HOME");
	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(geteuid());

		home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : "/tmp";
	}
	return bh_asprintf("%s/.local/share/bulkhead/profiles.sqlite", home);
}

/* The file system of path (or of its directory) has no block left for us. */
static bool fs_full(const char *path);

void prof_full_hint(const char *path, struct bh_error **err)
{
	struct rlimit rl;
	struct stat st;
	char *wal = bh_asprintf("%s-wal", path);
	uint64_t big = 0;

	/* SQLite says "disk I/O error" when it cannot map its -shm or grow its WAL */
	if (fs_full(path)) {
		bh_error_prefix(err, "its file system is full (no space left)");
	} else if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		if (stat(path, &st) == 0)
			big = (uint64_t)st.st_size;
		if (stat(wal, &st) == 0 && (uint64_t)st.st_size > big)
			big = (uint64_t)st.st_size;
		if (big + 65536 >= (uint64_t)rl.rlim_cur)
			bh_error_prefix(err,
					"it reached the file size limit (RLIMIT_FSIZE, %llu bytes)",
					(unsigned long long)rl.rlim_cur);
	}
	free(wal);
}

static bool fs_full(const char *path)
{
	char *dir = bh_strdup(path), *slash = strrchr(dir, '/');
	struct statvfs v;
	bool full;

	if (slash)
		*(slash == dir ? slash + 1 : slash) = 0;
	full = statvfs(slash ? dir : ".", &v) == 0 && v.f_bavail == 0;
	free(dir);
	return full;
}

static int user_version(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static bool has_column(sqlite3 *db, const char *table, const char *column)
{
	sqlite3_stmt *st = NULL;
	bool found = false;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return found;
}

/*
 * Schema 3 (after promote.c's 2, the modes): reports of calls the filter
 * refused (protect), beside those outside (monitor). Checked against the
 * table itself: an older bulkhead sharing the file may have set the version
 * back, and branches may have numbered their steps apart.
 */
static int migrate_denied(sqlite3 *db, struct bh_error **err)
{
	int v;

	if (user_version(db) >= 3 && has_column(db, "reports", "denied"))
		return 0;
	if (bh_sqlite_exec(db, "BEGIN IMMEDIATE", "locking the store", err) < 0)
		return -1;
	v = user_version(db);
	if ((!has_column(db, "reports", "denied") &&
	     bh_sqlite_exec(db, "ALTER TABLE reports ADD COLUMN denied INTEGER NOT NULL DEFAULT 0;",
			    "upgrading the schema to 3 (denied)", err) < 0) ||
	    (v < 3 && bh_sqlite_exec(db, "PRAGMA user_version = 3;",
				     "upgrading the schema to 3 (denied)", err) < 0) ||
	    bh_sqlite_exec(db, "COMMIT", "upgrading the schema to 3 (denied)", err) < 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/*
 * Schema 4: behaviour profiles (behave.c), beside the syscall ones: a row per
 * workload key and its items; their modes are rows of `modes` with kind
 * "behaviour". Checked against the tables themselves, as migrate_denied is.
 */
static int migrate_behave(sqlite3 *db, struct bh_error **err)
{
	int v;

	if (bh_sqlite_exec(db, "BEGIN IMMEDIATE", "locking the store", err) < 0)
		return -1;
	v = user_version(db);
	if (bh_sqlite_exec(
		    db,
		    "CREATE TABLE IF NOT EXISTS behave_profiles ("
		    "  key TEXT NOT NULL PRIMARY KEY, zero_drift INTEGER NOT NULL DEFAULT 0,"
		    "  overflowed INTEGER NOT NULL DEFAULT 0, lost INTEGER NOT NULL DEFAULT 0,"
		    "  events INTEGER NOT NULL DEFAULT 0, first INTEGER NOT NULL DEFAULT 0,"
		    "  last INTEGER NOT NULL DEFAULT 0, disc_first INTEGER NOT NULL DEFAULT 0,"
		    "  disc_last INTEGER NOT NULL DEFAULT 0,"
		    "  containers TEXT NOT NULL DEFAULT '[]', created TEXT NOT NULL,"
		    "  updated TEXT NOT NULL) WITHOUT ROWID;"
		    "CREATE TABLE IF NOT EXISTS behave_items ("
		    "  key TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,"
		    "  extra TEXT NOT NULL, count INTEGER NOT NULL, first INTEGER NOT NULL,"
		    "  last INTEGER NOT NULL, PRIMARY KEY (key, kind, value, extra)) WITHOUT "
		    "ROWID;",
		    "upgrading the schema to 4 (behaviour profiles)", err) < 0 ||
	    (v < 4 && bh_sqlite_exec(db, "PRAGMA user_version = 4;",
				     "upgrading the schema to 4 (behaviour profiles)", err) < 0) ||
	    bh_sqlite_exec(db, "COMMIT", "upgrading the schema to 4 (behaviour profiles)", err) <
		    0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/*
 * The schema is the current one, whole (then open makes and migrates nothing):
 * one statement instead of the schema's and each migration's own checks, which
 * every open paid. Checked against the tables themselves, as the migrations do.
 */
static bool schema_current(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	bool ok = false;

	if (sqlite3_prepare_v2(db,
			       "SELECT (SELECT user_version FROM pragma_user_version) >= 4"
			       " AND (SELECT journal_mode FROM pragma_journal_mode) = 'wal'"
			       " AND (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND"
			       "      name IN ('profiles', 'reports', 'modes', 'behave_profiles',"
			       "      'behave_items')) = 5"
			       " AND EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND"
			       "      name = 'reports_by_name')"
			       " AND EXISTS (SELECT 1 FROM pragma_table_info('reports')"
			       "      WHERE name = 'denied')",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ok = sqlite3_column_int(st, 0) == 1;
	sqlite3_finalize(st);
	return ok;
}

static void unlink_beside(const char *path, const char *suffix)
{
	char *p = bh_asprintf("%s%s", path, suffix);

	if (unlink(p) < 0 && errno != ENOENT)
		bh_debug("profile store: %s: %s", p, strerror(errno));
	free(p);
}

int bh_prof_store_open(const char *path, bool create, struct bh_prof_store **out,
		       struct bh_error **err)
{
	char *p = path ? bh_strdup(path) : bh_prof_store_default_path(), *slash;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	sqlite3 *db = NULL;
	struct stat st;

	*out = NULL;
	if (bh_lazy_require(&bh_lazy_sqlite3, err) < 0)
		goto fail;
	if (stat(p, &st) < 0) {
		if (errno != ENOENT || !create) {
			if (errno == ENOENT)
				bh_error_set(err, BH_ERR_NOTFOUND, "no profiles yet");
			else
				bh_error_sys(err, errno, "stat");
			goto fail;
		}
		slash = strrchr(p, '/');
		if (slash && slash != p) {
			*slash = 0;
			if (bh_mkdirs(p, 0755, 0700, err) < 0) {
				*slash = '/';
				goto fail;
			}
			*slash = '/';
		}
		/* a WAL left by a store deleted without it would be replayed into the new one */
		unlink_beside(p, "-wal");
		unlink_beside(p, "-shm");
		flags |= SQLITE_OPEN_CREATE;
	} else if (!S_ISREG(st.st_mode)) {
		bh_error_set(err, BH_ERR_INVALID, "not a regular file");
		goto fail;
	}
	if (sqlite3_open_v2(p, &db, flags, NULL) != SQLITE_OK) {
		bh_sqlite_error(db, sqlite3_errcode(db), "opening", err);
		goto fail;
	}
	sqlite3_busy_timeout(db, 30000);
	if (bh_sqlite_exec(db, "PRAGMA synchronous = NORMAL;", "opening", err) < 0)
		goto fail;
	if (schema_current(db))
		goto done;
	if (bh_sqlite_pragmas(db, "PRAGMA journal_mode = WAL;", 30000, "opening", err) < 0 ||
	    bh_sqlite_exec(
		    db,
		    "CREATE TABLE IF NOT EXISTS profiles ("
		    "  name TEXT NOT NULL, digest TEXT NOT NULL,"
		    "  syscalls TEXT NOT NULL, runs INTEGER NOT NULL, seconds REAL NOT NULL,"
		    "  events INTEGER NOT NULL, lost INTEGER NOT NULL, execs INTEGER NOT NULL,"
		    "  containers TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL,"
		    "  PRIMARY KEY (name, digest)) WITHOUT ROWID;"
		    "CREATE TABLE IF NOT EXISTS reports ("
		    "  name TEXT NOT NULL, digest TEXT NOT NULL, container TEXT NOT NULL,"
		    "  arch TEXT NOT NULL, syscall TEXT NOT NULL, count INTEGER NOT NULL,"
		    "  time TEXT NOT NULL);"
		    "CREATE INDEX IF NOT EXISTS reports_by_name ON reports(name);",
		    "creating the schema", err) < 0 ||
	    prof_migrate_modes(db, err) < 0 || migrate_denied(db, err) < 0 ||
	    migrate_behave(db, err) < 0)
		goto fail;
done:
	*out = bh_calloc(1, sizeof(**out));
	(*out)->db = db;
	(*out)->path = p;
	return 0;
fail:
	if (db)
		sqlite3_close(db);
	prof_full_hint(p, err);
	bh_error_prefix(err, "profile store %s", p);
	free(p);
	return -1;
}

/* The WAL's frames past which a commit of the runtime checkpoints (PASSIVE, the
 * WAL then restarts): an open reads the WAL whole to rebuild its index (the
 * -shm is reset when no other connection holds it), so it is kept short. */
#define KEEP_WAL_PAGES 128

void bh_prof_store_keep_wal(struct bh_prof_store *s)
{
	if (!s)
		return;
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_autocheckpoint(s->db, KEEP_WAL_PAGES);
}

void bh_prof_store_close(struct bh_prof_store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

static const uint32_t scmp_arch[BH_PROF_NARCH] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32 };

/* The names a record holds, merged into syscalls (architecture → array). */
static uint64_t merge_record(json_t *syscalls, const struct bh_prof_record *rec)
{
	uint64_t unnamed = 0;

	for (int a = 0; a < BH_PROF_NARCH; a++) {
		json_t *arr = json_object_get(syscalls, bh_prof_arch_name((enum bh_prof_arch)a));
		bool made = false;

		for (int nr = 0; nr < BH_PROF_MAX_NR; nr++) {
			char *name;
			size_t i;
			json_t *v;

			if (!(rec->bits[a][nr / 64] & (1ULL << (nr % 64))))
				continue;
			name = seccomp_syscall_resolve_num_arch(
				scmp_arch[a], a == BH_PROF_X32 ? nr | 0x40000000 : nr);
			if (!name) {
				unnamed++;
				continue;
			}
			if (!arr) {
				arr = json_array();
				made = true;
			}
			json_array_foreach (arr, i, v)
				if (!strcmp(json_string_value(v), name))
					break;
			if (i == json_array_size(arr))
				json_array_append_new(arr, json_string(name));
			free(name);
		}
		if (made)
			json_object_set_new(syscalls, bh_prof_arch_name((enum bh_prof_arch)a), arr);
	}
	return unnamed;
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

void prof_sort_names(json_t *syscalls)
{
	const char *k;
	json_t *arr;

	json_object_foreach (syscalls, k, arr) {
		size_t n = json_array_size(arr);
		json_t **v = bh_calloc(n + 1, sizeof(*v));
		json_t *sorted = json_array();

		for (size_t i = 0; i < n; i++)
			v[i] = json_array_get(arr, i);
		qsort(v, n, sizeof(*v), cmp_json_str);
		for (size_t i = 0; i < n; i++)
			json_array_append(sorted, v[i]);
		free(v);
		json_object_set_new(syscalls, k, sorted);
	}
}

/* The first name of syscalls on deny, or NULL. */
static const char *denied(const json_t *syscalls, const char *const *deny)
{
	const char *arch;
	json_t *arr, *v;
	size_t i;

	json_object_foreach ((json_t *)syscalls, arch, arr)
		json_array_foreach (arr, i, v)
			for (const char *const *d = deny; d && *d; d++)
				if (!strcmp(*d, json_string_value(v)))
					return *d;
	return NULL;
}

/* Union the names of add into syscalls. */
static void union_names(json_t *syscalls, const json_t *add)
{
	const char *arch;
	json_t *arr, *v;
	size_t i;

	json_object_foreach ((json_t *)add, arch, arr) {
		json_t *dst = json_object_get(syscalls, arch);

		if (!dst) {
			dst = json_array();
			json_object_set_new(syscalls, arch, dst);
		}
		json_array_foreach (arr, i, v) {
			size_t k;
			json_t *w;

			json_array_foreach (dst, k, w)
				if (json_equal(v, w))
					break;
			if (k == json_array_size(dst))
				json_array_append(dst, v);
		}
	}
}

static size_t count_names(const json_t *syscalls)
{
	const char *k;
	json_t *arr;
	size_t n = 0;

	json_object_foreach ((json_t *)syscalls, k, arr)
		n += json_array_size(arr);
	return n;
}

/*
 * Merge into the row (name, digest): the names of add (or of rec), the
 * learning window of rec (NULL: an import or a merge, no run), container.
 * One transaction; a deny-listed name refuses the whole save.
 */
static int merge_row(struct bh_prof_store *s, const char *name, const char *digest,
		     const json_t *add, const char *container, const json_t *sessions,
		     const struct bh_prof_record *rec, const json_t *counts,
		     const char *const *deny, struct bh_error **err)
{
	sqlite3_stmt *st = NULL;
	json_t *syscalls = NULL, *containers = NULL;
	char now[BH_TIME_MAX], *created = NULL, *sj = NULL, *cj = NULL;
	int64_t runs = 0, events = 0, lost = 0, execs = 0;
	uint64_t run_lost = 0;
	size_t before;
	double seconds = 0;
	const char *bad;
	int rc, r = -1;

	if (bh_prof_name_check(name, err) < 0)
		return -1;
	if (!digest)
		digest = "";
	if (bh_sqlite_exec(s->db, "BEGIN IMMEDIATE", "locking the store", err) < 0)
		return bh_error_prefix(err, "profile store %s", s->path);
	rc = sqlite3_prepare_v2(s->db,
				"SELECT syscalls, runs, seconds, events, lost, execs, containers, "
				"created FROM profiles WHERE name = ? AND digest = ?",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		const char *c = (const char *)sqlite3_column_text(st, 6);

		syscalls = t ? json_loads(t, 0, NULL) : NULL;
		containers = c ? json_loads(c, 0, NULL) : NULL;
		runs = sqlite3_column_int64(st, 1);
		seconds = sqlite3_column_double(st, 2);
		events = sqlite3_column_int64(st, 3);
		lost = sqlite3_column_int64(st, 4);
		execs = sqlite3_column_int64(st, 5);
		t = (const char *)sqlite3_column_text(st, 7);
		created = t ? bh_strdup(t) : NULL;
		rc = SQLITE_DONE;
		if (!json_is_object(syscalls) || !json_is_array(containers)) {
			bh_error_set(err, BH_ERR_INVALID, "the stored profile %s is damaged", name);
			goto out;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		bh_sqlite_error(s->db, sqlite3_errcode(s->db), "reading", err);
		goto out;
	}
	if (!syscalls)
		syscalls = json_object();
	if (!containers)
		containers = json_array();
	before = count_names(syscalls);
	if (add)
		union_names(syscalls, add);
	if (rec) {
		run_lost = rec->lost + merge_record(syscalls, rec);
		lost += (int64_t)run_lost;
		runs++;
		events += (int64_t)rec->events;
		execs += (int64_t)rec->execs;
		if (rec->armed && rec->collected_ns > rec->armed_ns)
			seconds += (double)(rec->collected_ns - rec->armed_ns) / 1e9;
	}
	if (counts) {
		json_int_t v;
		json_t *cs = json_object_get(counts, "containers"), *x;
		size_t i;

		runs += bh_json_int(counts, "runs", &v) ? v : 0;
		events += bh_json_int(counts, "events", &v) ? v : 0;
		lost += bh_json_int(counts, "lost", &v) ? v : 0;
		execs += bh_json_int(counts, "execs", &v) ? v : 0;
		seconds += json_real_value(json_object_get(counts, "seconds"));
		json_array_foreach (cs, i, x)
			json_array_append(containers, x);
	}
	if ((bad = denied(syscalls, deny))) {
		bh_error_set(err, BH_ERR_UNSAFE,
			     "%s is on the deny-list (high-risk calls no profile can allow): the "
			     "profile is not saved",
			     bad);
		goto out;
	}
	prof_sort_names(syscalls);
	if (container)
		json_array_append_new(
			containers,
			json_pack("{s:s, s:o}", "id", container, "exec_sessions",
				  sessions ? json_incref((json_t *)sessions) : json_array()));
	bh_time_rfc3339(NULL, 0, now);
	sj = json_dumps(syscalls, JSON_COMPACT);
	cj = json_dumps(containers, JSON_COMPACT);
	rc = sqlite3_prepare_v2(
		s->db, "INSERT OR REPLACE INTO profiles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, sj, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, runs);
		sqlite3_bind_double(st, 5, seconds);
		sqlite3_bind_int64(st, 6, events);
		sqlite3_bind_int64(st, 7, lost);
		sqlite3_bind_int64(st, 8, execs);
		sqlite3_bind_text(st, 9, cj, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, created ? created : now, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 11, now, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE) {
		bh_sqlite_error(s->db, sqlite3_errcode(s->db), "writing", err);
		goto out;
	}
	/* a run: the count of quiet runs, the promotion rule (the same transaction) */
	if (rec && prof_mode_after_run(s, name, container, count_names(syscalls) - before, run_lost,
				       now, err) < 0)
		goto out;
	if (bh_sqlite_exec(s->db, "COMMIT", "committing", err) < 0)
		goto out;
	r = 0;
out:
	sqlite3_finalize(st);
	if (r < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		prof_full_hint(s->path, err);
	}
	json_decref(syscalls);
	json_decref(containers);
	free(created);
	free(sj);
	free(cj);
	return r < 0 ? bh_error_prefix(err, "profile %s", name) : 0;
}

int bh_prof_store_add(struct bh_prof_store *s, const char *name, const char *digest,
		      const char *container, const json_t *exec_sessions,
		      const struct bh_prof_record *rec, const char *const *deny,
		      struct bh_error **err)
{
	return merge_row(s, name, digest, NULL, container, exec_sessions, rec, NULL, deny, err);
}

int bh_prof_store_put(struct bh_prof_store *s, const char *name, const char *digest,
		      const json_t *profile, const char *const *deny, struct bh_error **err)
{
	return merge_row(s, name, digest, json_object_get(profile, "syscalls"), NULL, NULL, NULL,
			 profile, deny, err);
}

int bh_prof_store_list(struct bh_prof_store *s, const char *name, json_t **out,
		       struct bh_error **err)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();
	int rc;

	*out = NULL;
	rc = sqlite3_prepare_v2(
		s->db,
		"SELECT name, digest, syscalls, runs, seconds, events, lost, execs, "
		"containers, created, updated FROM profiles WHERE ?1 IS NULL OR "
		"name = ?1 ORDER BY name, digest",
		-1, &st, NULL);
	if (rc == SQLITE_OK) {
		if (name)
			sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *sys = (const char *)sqlite3_column_text(st, 2);
			const char *cs = (const char *)sqlite3_column_text(st, 8);
			json_t *sj = sys ? json_loads(sys, 0, NULL) : NULL;
			json_t *cj = cs ? json_loads(cs, 0, NULL) : NULL;

			json_array_append_new(
				arr,
				json_pack("{s:s, s:s, s:o, s:I, s:f, s:I, s:I, s:I, s:o, s:s, s:s}",
					  "name", (const char *)sqlite3_column_text(st, 0),
					  "digest", (const char *)sqlite3_column_text(st, 1),
					  "syscalls", sj ? sj : json_object(), "runs",
					  (json_int_t)sqlite3_column_int64(st, 3), "seconds",
					  sqlite3_column_double(st, 4), "events",
					  (json_int_t)sqlite3_column_int64(st, 5), "lost",
					  (json_int_t)sqlite3_column_int64(st, 6), "execs",
					  (json_int_t)sqlite3_column_int64(st, 7), "containers",
					  cj ? cj : json_array(), "created",
					  (const char *)sqlite3_column_text(st, 9), "updated",
					  (const char *)sqlite3_column_text(st, 10)));
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		bh_sqlite_error(s->db, sqlite3_errcode(s->db), "reading", err);
		return bh_error_prefix(err, "profile store %s", s->path);
	}
	if (prof_add_modes(s, arr, err) < 0) {
		json_decref(arr);
		return -1;
	}
	*out = arr;
	return 0;
}

/* DELETE FROM table of name (and digest); the rows deleted, or -1. */
static int delete_rows(struct bh_prof_store *s, const char *sql, const char *name,
		       const char *digest)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (digest)
			sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? sqlite3_changes(s->db) : -1;
}

int bh_prof_store_delete(struct bh_prof_store *s, const char *name, const char *digest,
			 struct bh_error **err)
{
	int n;

	/* one transaction: the rows, their reports and the mode go together or not at all */
	if (bh_sqlite_exec(s->db, "BEGIN IMMEDIATE", "locking the store", err) < 0)
		return bh_error_prefix(err, "profile store %s", s->path);
	n = delete_rows(s, "DELETE FROM profiles WHERE name = ?1 AND (?2 IS NULL OR digest = ?2)",
			name, digest);
	if (n < 0 || delete_rows(s,
				 "DELETE FROM reports WHERE name = ?1 AND (?2 IS NULL OR "
				 "digest = ?2)",
				 name, digest) < 0) {
		bh_sqlite_error(s->db, sqlite3_errcode(s->db), "deleting", err);
		goto fail;
	}
	if (!n) {
		bh_error_set(err, BH_ERR_NOTFOUND, "no profile %s%s%s", name, digest ? " for " : "",
			     digest ? digest : "");
		goto fail;
	}
	if (prof_drop_orphan_mode(s, name, err) < 0 ||
	    bh_sqlite_exec(s->db, "COMMIT", "committing", err) < 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int bh_prof_store_get(struct bh_prof_store *s, const char *name, const char *digest, json_t **out,
		      struct bh_error **err)
{
	json_t *rows, *row, *m;
	size_t i, n = 0;

	*out = NULL;
	if (bh_prof_store_list(s, name, &rows, err) < 0)
		return -1;
	m = json_pack("{s:s, s:s, s:o, s:I, s:f, s:I, s:I, s:I, s:o, s:o}", "name", name, "digest",
		      digest ? digest : "", "syscalls", json_object(), "runs", (json_int_t)0,
		      "seconds", 0.0, "events", (json_int_t)0, "lost", (json_int_t)0, "execs",
		      (json_int_t)0, "containers", json_array(), "digests", json_array());
	json_array_foreach (rows, i, row) {
		static const char *const counters[] = { "runs", "events", "lost", "execs" };
		const char *d = bh_json_str(row, "digest");

		if (digest && strcmp(d, digest))
			continue;
		n++;
		union_names(json_object_get(m, "syscalls"), json_object_get(row, "syscalls"));
		for (size_t k = 0; k < 4; k++) {
			json_int_t a = 0, b = 0;

			bh_json_int(m, counters[k], &a);
			bh_json_int(row, counters[k], &b);
			json_object_set_new(m, counters[k], json_integer(a + b));
		}
		json_object_set_new(m, "seconds",
				    json_real(json_real_value(json_object_get(m, "seconds")) +
					      json_real_value(json_object_get(row, "seconds"))));
		json_array_extend(json_object_get(m, "containers"),
				  json_object_get(row, "containers"));
		json_array_append_new(json_object_get(m, "digests"), json_string(d));
		json_object_set(m, "created", json_object_get(row, "created"));
		json_object_set(m, "mode", json_object_get(row, "mode"));
		json_object_set(m, "promotion", json_object_get(row, "promotion"));
		json_object_set(m, "updated", json_object_get(row, "updated"));
	}
	json_decref(rows);
	if (!n) {
		json_decref(m);
		return bh_error_set(err, BH_ERR_NOTFOUND, "no profile %s%s%s", name,
				    digest ? " for " : "", digest ? digest : "");
	}
	prof_sort_names(json_object_get(m, "syscalls"));
	{
		json_t *rep;

		if (bh_prof_store_reports(s, name, &rep, err) < 0) {
			json_decref(m);
			return -1;
		}
		json_object_set_new(m, "outside", rep);
	}
	*out = m;
	return 0;
}

int bh_prof_store_merge(struct bh_prof_store *s, const char *dst, const char *src,
			const char *const *deny, struct bh_error **err)
{
	json_t *rows, *row;
	size_t i;
	int r = 0;

	if (bh_prof_name_check(dst, err) < 0 || bh_prof_store_list(s, src, &rows, err) < 0)
		return -1;
	if (!json_array_size(rows))
		r = bh_error_set(err, BH_ERR_NOTFOUND, "no profile %s", src);
	json_array_foreach (rows, i, row)
		if (!r)
			r = bh_prof_store_put(s, dst, bh_json_str(row, "digest"), row, deny, err);
	json_decref(rows);
	return r;
}

int bh_prof_import_file(struct bh_prof_store *s, const char *name, const char *digest,
			const char *path, const char *const *deny, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(BH_PROF_MAX_JSON);
	json_t *p = NULL;
	int r = -1;

	if (bh_prof_name_check(name, err) < 0)
		return -1;
	if (bh_read_file(path, &b, err) < 0 || bh_prof_from_oci(b.data, b.len, deny, &p, err) < 0)
		bh_error_prefix(err, "%s", path);
	else
		r = bh_prof_store_put(s, name, digest, p, deny, err);
	json_decref(p);
	bh_buf_release(&b);
	return r;
}

int bh_prof_store_report(struct bh_prof_store *s, const char *name, const char *digest,
			 const char *container, const struct bh_prof_record *rec,
			 struct bh_error **err)
{
	sqlite3_stmt *st = NULL;
	char now[BH_TIME_MAX];
	int rc = SQLITE_OK;

	if (!rec->outside && !rec->denied)
		return 0;
	bh_time_rfc3339(NULL, 0, now);
	if (bh_sqlite_exec(s->db, "BEGIN IMMEDIATE", "locking the store", err) < 0)
		return bh_error_prefix(err, "profile store %s", s->path);
	rc = sqlite3_prepare_v2(s->db, "INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1,
				&st, NULL);
	for (int i = 0; rc == SQLITE_OK && i < 2 * BH_PROF_NARCH * BH_PROF_MAX_NR; i++) {
		const uint64_t *counts =
			i < BH_PROF_NARCH * BH_PROF_MAX_NR ? rec->outside : rec->denied;
		int a = i / BH_PROF_MAX_NR % BH_PROF_NARCH, nr = i % BH_PROF_MAX_NR;
		{
			uint64_t n = counts ? counts[a * BH_PROF_MAX_NR + nr] : 0;
			char *sys, num[16];

			if (!n)
				continue;
			sys = seccomp_syscall_resolve_num_arch(
				scmp_arch[a], a == BH_PROF_X32 ? nr | 0x40000000 : nr);
			snprintf(num, sizeof(num), "#%d", nr);
			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, digest ? digest : "", -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, container, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, bh_prof_arch_name((enum bh_prof_arch)a), -1,
					  SQLITE_STATIC);
			sqlite3_bind_text(st, 5, sys ? sys : num, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(st, 6, (int64_t)n);
			sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 8, counts == rec->denied);
			rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
			free(sys);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK || bh_sqlite_exec(s->db, "COMMIT", "committing", err) < 0) {
		if (rc != SQLITE_OK)
			bh_sqlite_error(s->db, sqlite3_errcode(s->db), "writing the report", err);
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return bh_error_prefix(err, "profile store %s", s->path);
	}
	return 0;
}

int bh_prof_store_reports(struct bh_prof_store *s, const char *name, json_t **out,
			  struct bh_error **err)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();
	int rc = sqlite3_prepare_v2(
		s->db,
		"SELECT container, arch, syscall, count, time, digest, denied FROM reports "
		"WHERE name = ? ORDER BY time, container, syscall",
		-1, &st, NULL);

	*out = NULL;
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			json_array_append_new(
				arr, json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:b}", "container",
					       (const char *)sqlite3_column_text(st, 0), "arch",
					       (const char *)sqlite3_column_text(st, 1), "syscall",
					       (const char *)sqlite3_column_text(st, 2), "count",
					       (json_int_t)sqlite3_column_int64(st, 3), "time",
					       (const char *)sqlite3_column_text(st, 4), "digest",
					       (const char *)sqlite3_column_text(st, 5), "denied",
					       sqlite3_column_int(st, 6)));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		bh_sqlite_error(s->db, sqlite3_errcode(s->db), "reading the reports", err);
		return bh_error_prefix(err, "profile store %s", s->path);
	}
	*out = arr;
	return 0;
}
