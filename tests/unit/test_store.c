/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The advisory store: where it lives, opening (WAL, schema migration, refusal
 * of a newer schema or of a file that is not a database), import (files,
 * directories, zip archives, idempotence, newer `modified` wins, withdrawn,
 * malformed and strict, atomicity when an import fails or is interrupted),
 * queries (exact ecosystem, PEP 503 names, aliases, references, severity),
 * info, and recorded scans. Fixtures: tests/data/vulndb (run from the
 * repository root, as the harness does).
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <sqlite3.h>

#include "unit.h"
#include "bulkhead/vuln.h"
#include "vuln/store_internal.h"

#define FIX "tests/data/vulndb"

struct fixture {
	char *dir;
	char *db;
	struct bh_store *s;
};

static int setup(void **state)
{
	struct fixture *f = bh_calloc(1, sizeof(*f));
	struct bh_error *err = NULL;

	f->dir = unit_mktmp();
	f->db = bh_asprintf("%s/sub/dir/db.sqlite", f->dir);
	if (bh_vuln_store_open(f->db, true, &f->s, &err) < 0)
		fail_msg("open: %s", bh_error_message(err));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	bh_vuln_store_close(f->s);
	unit_rmtmp(f->dir);
	free(f->db);
	free(f);
	return 0;
}

static void import_ok(struct bh_store *s, const char *const *paths, size_t n,
		      struct bh_import_stats *st)
{
	struct bh_error *err = NULL;

	if (bh_vuln_store_import(s, paths, n, NULL, st, &err) < 0)
		fail_msg("import: %s", bh_error_message(err));
}

static long long count(struct bh_store *s, const char *sql)
{
	sqlite3_stmt *st;
	long long n = -1;

	assert_int_equal(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* What a query hands the callback, flattened for assertions. */
struct seen {
	json_t *list; /* [{id, fixed?, aliases, refs, severity, score, vector, package, source}] */
};

static int on_adv(const struct bh_advisory *a, void *data, struct bh_error **err)
{
	struct seen *s = data;
	json_t *al = json_array(), *rf = json_array();

	for (const char *const *p = a->aliases; p && *p; p++)
		json_array_append_new(al, json_string(*p));
	for (const char *const *p = a->references; p && *p; p++)
		json_array_append_new(rf, json_string(*p));
	json_array_append_new(
		s->list, json_pack("{s:s, s:o, s:o, s:i, s:f, s:s?, s:s, s:s, s:s?, s:O, s:s?}",
				   "id", a->id, "aliases", al, "refs", rf, "severity",
				   (int)a->severity, "score", a->score, "vector", a->cvss_vector,
				   "package", a->package, "ecosystem", a->ecosystem, "modified",
				   a->modified, "affected", a->affected, "summary", a->summary));
	return 0;
}

static json_t *query(struct bh_store *s, const char *eco, const char *pkg)
{
	struct seen seen = { json_array() };
	struct bh_error *err = NULL;

	if (bh_vuln_store_query(s, eco, pkg, on_adv, &seen, &err) < 0)
		fail_msg("query: %s", bh_error_message(err));
	return seen.list;
}

static const char *id_at(json_t *l, size_t i)
{
	return bh_json_str(json_array_get(l, i), "id");
}

/* ---- where and how the store opens -------------------------------------- */

static void test_default_path(void **state)
{
	char *p;

	p = bh_vuln_store_default_path("/x/y.db");
	assert_string_equal(p, "/x/y.db");
	free(p);
	setenv("BULKHEAD_DB", "/env/db.sqlite", 1);
	p = bh_vuln_store_default_path(NULL);
	assert_string_equal(p, "/env/db.sqlite");
	free(p);
	p = bh_vuln_store_default_path("/over.db"); /* --db beats the environment */
	assert_string_equal(p, "/over.db");
	free(p);
	setenv("BULKHEAD_DB", "", 1);
	setenv("XDG_CACHE_HOME", "/cache", 1);
	setenv("HOME", "/home/u", 1);
	p = bh_vuln_store_default_path(NULL);
	if (geteuid() == 0) {
		assert_string_equal(p, "/var/lib/bulkhead/db.sqlite");
	} else {
		assert_string_equal(p, "/cache/bulkhead/db.sqlite");
		free(p);
		setenv("XDG_CACHE_HOME", "relative", 1); /* invalid per XDG: ignored */
		p = bh_vuln_store_default_path(NULL);
		assert_string_equal(p, "/home/u/.cache/bulkhead/db.sqlite");
	}
	free(p);
	unsetenv("BULKHEAD_DB");
	unsetenv("XDG_CACHE_HOME");
}

static void test_open(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	struct bh_store *s = NULL;
	char *p = bh_asprintf("%s/missing.sqlite", f->dir);
	sqlite3_stmt *st;

	/* WAL, schema 1, and the parent directories were made */
	assert_int_equal(sqlite3_prepare_v2(f->s->db, "PRAGMA journal_mode", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(count(f->s, "PRAGMA user_version"), BH_STORE_SCHEMA_VERSION);

	assert_int_equal(bh_vuln_store_open(p, false, &s, &err), -1);
	assert_error(err, BH_ERR_NOTFOUND, "db import");
	bh_error_clear(&err);
	assert_int_equal(access(p, F_OK), -1); /* not created */
	free(p);

	/* not a database */
	p = bh_asprintf("%s/junk.sqlite", f->dir);
	assert_int_equal(bh_write_file_atomic(p, "this is not sqlite at all, not at all......", 44,
					      0644, NULL),
			 0);
	assert_int_equal(bh_vuln_store_open(p, true, &s, &err), -1);
	assert_non_null(err);
	bh_error_clear(&err);
	free(p);

	/* a directory */
	assert_int_equal(bh_vuln_store_open(f->dir, true, &s, &err), -1);
	assert_error(err, BH_ERR_INVALID, "not a regular file");
	bh_error_clear(&err);
}

static void test_migrate(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	struct bh_store *s = NULL;
	char *p = bh_asprintf("%s/old.sqlite", f->dir);
	sqlite3 *db;

	/* an empty database (schema 0) is migrated on open */
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE x(y)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(bh_vuln_store_open(p, false, &s, &err), 0);
	assert_int_equal(count(s, "PRAGMA user_version"), BH_STORE_SCHEMA_VERSION);
	assert_int_equal(count(s, "SELECT count(*) FROM advisories"), 0);
	bh_vuln_store_close(s);
	/* reopening does nothing more */
	assert_int_equal(bh_vuln_store_open(p, false, &s, &err), 0);
	bh_vuln_store_close(s);

	/* a newer schema than this code knows is refused, and left alone */
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(bh_vuln_store_open(p, false, &s, &err), -1);
	assert_error(err, BH_ERR_UNSUPPORTED, "schema version 99");
	bh_error_clear(&err);
	free(p);
}

/* ---- import --------------------------------------------------------------- */

static void test_import_and_query(void **state)
{
	struct fixture *f = *state;
	const char *paths[] = { FIX "/npm", FIX "/pypi", FIX "/debian/DEBIAN-CVE-2099-0002.json",
				FIX "/alpine" };
	struct bh_import_stats st;
	json_t *l, *a;

	import_ok(f->s, paths, 4, &st);
	assert_int_equal(st.files, 6);
	assert_int_equal(st.records, 9);
	assert_int_equal(st.inserted, 9);
	assert_int_equal(st.withdrawn, 1);
	assert_int_equal(st.malformed, 0);
	assert_null(st.problems);
	bh_import_stats_release(&st);

	/* the withdrawn advisory for left-pad is not returned */
	l = query(f->s, "npm", "left-pad");
	assert_int_equal(json_array_size(l), 1);
	a = json_array_get(l, 0);
	assert_string_equal(id_at(l, 0), "GHSA-test-aaaa-0001");
	assert_string_equal(json_string_value(json_array_get(bh_json_arr(a, "aliases"), 0)),
			    "CVE-2099-0001");
	assert_int_equal(json_array_size(bh_json_arr(a, "refs")), 2);
	assert_int_equal(json_integer_value(json_object_get(a, "severity")), BH_SEV_CRITICAL);
	assert_string_equal(bh_json_str(a, "vector"),
			    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
	assert_string_equal(bh_json_str(a, "package"), "left-pad");
	assert_string_equal(bh_json_str(a, "summary"), "left-pad pads too much");
	assert_string_equal(bh_json_str(a, "modified"), "2024-03-01T10:00:00Z");
	json_decref(l);

	/* label severity when there is no vector */
	l = query(f->s, "npm", "@scope/pkg");
	assert_int_equal(json_array_size(l), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 0), "severity")),
			 BH_SEV_MEDIUM);
	assert_true(json_real_value(json_object_get(json_array_get(l, 0), "score")) < 0);
	json_decref(l);

	/* PyPI: PEP 503 on both sides */
	for (const char *n = "Foo_Bar\0foo-bar\0FOO.BAR\0foo__bar\0"; *n; n += strlen(n) + 1) {
		l = query(f->s, "PyPI", n);
		assert_int_equal(json_array_size(l), 1);
		assert_string_equal(id_at(l, 0), "PYSEC-2099-1");
		assert_string_equal(bh_json_str(json_array_get(l, 0), "package"), "Foo_Bar");
		json_decref(l);
	}
	l = query(f->s, "PyPI", "foobar");
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
	/* npm names are exact */
	l = query(f->s, "npm", "Left-Pad");
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);

	/* ecosystems are exact: Debian:12 is not Debian:11 nor Debian */
	l = query(f->s, "Debian:12", "zlib");
	assert_int_equal(json_array_size(l), 1);
	a = json_array_get(l, 0);
	assert_string_equal(bh_json_str(a, "ecosystem"), "Debian:12");
	/* upstream ids are aliases */
	assert_string_equal(json_string_value(json_array_get(bh_json_arr(a, "aliases"), 0)),
			    "CVE-2099-0002");
	json_decref(l);
	l = query(f->s, "Debian:11", "zlib");
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(bh_json_str(json_array_get(l, 0), "ecosystem"), "Debian:11");
	json_decref(l);
	l = query(f->s, "Debian", "zlib");
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);

	/* Alpine secdb: the branch is the ecosystem */
	l = query(f->s, "Alpine:v3.19", "zlib");
	assert_int_equal(json_array_size(l), 2);
	assert_string_equal(id_at(l, 0), "ALPINE-CVE-2099-1001");
	assert_string_equal(id_at(l, 1), "ALPINE-CVE-2099-1002");
	json_decref(l);
	l = query(f->s, "Alpine:v3.18", "zlib");
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
	l = query(f->s, "Alpine:v3.19", "xen");
	assert_int_equal(json_array_size(l), 2);
	json_decref(l);
}

static void test_idempotent_and_newer_wins(void **state)
{
	struct fixture *f = *state;
	const char *all[] = { FIX "/npm", FIX "/pypi", FIX "/debian", FIX "/alpine" };
	const char *older[] = { FIX "/older" }, *newer[] = { FIX "/newer" };
	struct bh_import_stats st;
	long long n1, n2;
	json_t *l;

	import_ok(f->s, all, 4, &st);
	bh_import_stats_release(&st);
	n1 = count(f->s, "SELECT count(*) FROM affected");
	import_ok(f->s, all, 4, &st);
	assert_int_equal(st.inserted, 0);
	assert_int_equal(st.updated, 0);
	assert_int_equal(st.unchanged, 9);
	bh_import_stats_release(&st);
	n2 = count(f->s, "SELECT count(*) FROM affected");
	assert_int_equal(n1, n2);

	/* an older copy never replaces */
	import_ok(f->s, older, 1, &st);
	assert_int_equal(st.unchanged, 1);
	bh_import_stats_release(&st);
	l = query(f->s, "npm", "left-pad");
	{
		char *t = json_dumps(json_object_get(json_array_get(l, 0), "affected"), 0);

		assert_non_null(strstr(t, "\"1.3.0\""));
		free(t);
	}
	json_decref(l);

	/* a newer one does, and then the original is the older one */
	import_ok(f->s, newer, 1, &st);
	assert_int_equal(st.updated, 1);
	bh_import_stats_release(&st);
	import_ok(f->s, all, 4, &st);
	assert_int_equal(st.updated, 0);
	bh_import_stats_release(&st);
	l = query(f->s, "npm", "left-pad");
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(bh_json_str(json_array_get(l, 0), "summary"),
			    "left-pad pads too much (revised)");
	json_decref(l);
	assert_int_equal(count(f->s, "SELECT count(*) FROM affected"), n1);
}

static void test_withdrawn_later(void **state)
{
	struct fixture *f = *state;
	const char *first[] = { FIX "/npm/GHSA-test-aaaa-0001.json" };
	char *p = bh_asprintf("%s/w.json", f->dir);
	const char *second[] = { p };
	const char *w = "{\"id\":\"GHSA-test-aaaa-0001\",\"modified\":\"2025-01-01T00:00:00Z\","
			"\"withdrawn\":\"2025-01-01T00:00:00Z\",\"affected\":[{\"package\":"
			"{\"ecosystem\":\"npm\",\"name\":\"left-pad\"},\"ranges\":[{\"type\":"
			"\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"}]}]}]}";
	struct bh_import_stats st;
	json_t *l;

	import_ok(f->s, first, 1, &st);
	bh_import_stats_release(&st);
	l = query(f->s, "npm", "left-pad");
	assert_int_equal(json_array_size(l), 1);
	json_decref(l);
	assert_int_equal(bh_write_file_atomic(p, w, strlen(w), 0644, NULL), 0);
	import_ok(f->s, second, 1, &st);
	assert_int_equal(st.updated, 1);
	assert_int_equal(st.withdrawn, 1);
	bh_import_stats_release(&st);
	l = query(f->s, "npm", "left-pad");
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
	free(p);
}

static void test_secdb_changes_replace(void **state)
{
	struct fixture *f = *state;
	char *p = bh_asprintf("%s/main.yaml", f->dir);
	const char *paths[] = { p };
	const char *v1 = "distroversion: v3.19\npackages:\n - pkg:\n     name: z\n     secfixes:\n"
			 "       1.0-r1: [CVE-2099-1]\n";
	const char *v2 = "distroversion: v3.19\npackages:\n - pkg:\n     name: z\n     secfixes:\n"
			 "       1.0-r1: [CVE-2099-1]\n       1.1-r0: [CVE-2099-1]\n";
	struct bh_import_stats st;

	assert_int_equal(bh_write_file_atomic(p, v1, strlen(v1), 0644, NULL), 0);
	import_ok(f->s, paths, 1, &st);
	assert_int_equal(st.inserted, 1);
	bh_import_stats_release(&st);
	import_ok(f->s, paths, 1, &st);
	assert_int_equal(st.unchanged, 1);
	bh_import_stats_release(&st);
	/* secdb has no modified time: a changed record replaces the stored one */
	assert_int_equal(bh_write_file_atomic(p, v2, strlen(v2), 0644, NULL), 0);
	import_ok(f->s, paths, 1, &st);
	assert_int_equal(st.updated, 1);
	bh_import_stats_release(&st);
	free(p);
}

static void test_malformed_and_strict(void **state)
{
	struct fixture *f = *state;
	const char *dir[] = { FIX "/bad" }, *named[] = { FIX "/bad/not-osv.json" };
	const char *one[] = { FIX "/bad/PYSEC-2099-bad.json" };
	struct bh_import_opts strict = { .strict = true };
	struct bh_import_stats st;
	struct bh_error *err = NULL;

	/* in a directory, both bad files count as malformed, nothing fails */
	import_ok(f->s, dir, 1, &st);
	assert_int_equal(st.malformed, 2);
	assert_non_null(st.problems);
	assert_non_null(strstr(st.problems[0], "no introduced event"));
	assert_non_null(strstr(st.problems[0], "PYSEC-2099-bad"));
	assert_non_null(strstr(st.problems[1], "neither an OSV record"));
	assert_null(st.problems[2]);
	bh_import_stats_release(&st);
	/* a named file with one bad record: counted */
	import_ok(f->s, one, 1, &st);
	assert_int_equal(st.malformed, 1);
	bh_import_stats_release(&st);
	/* a named file that is not records at all: fatal */
	assert_int_equal(bh_vuln_store_import(f->s, named, 1, NULL, &st, &err), -1);
	assert_error(err, BH_ERR_INVALID, "neither an OSV record");
	bh_error_clear(&err);
	bh_import_stats_release(&st);
	/* strict: the first malformed record fails the import */
	assert_int_equal(bh_vuln_store_import(f->s, one, 1, &strict, &st, &err), -1);
	assert_error(err, BH_ERR_INVALID, "strict");
	bh_error_clear(&err);
	bh_import_stats_release(&st);
	assert_int_equal(count(f->s, "SELECT count(*) FROM advisories"), 0);
	/* a path that does not exist */
	named[0] = "/nonexistent/x.json";
	assert_int_equal(bh_vuln_store_import(f->s, named, 1, NULL, &st, &err), -1);
	assert_error(err, BH_ERR_IO, "/nonexistent/x.json");
	bh_error_clear(&err);
	bh_import_stats_release(&st);
}

/* Write a zip of the named fixture files (stored under their base names). */
static void make_zip(const char *zip, const char *const *files, size_t n)
{
	struct archive *a = archive_write_new();
	struct bh_buf b = BH_BUF_INIT(1 << 20);

	archive_write_set_format_zip(a);
	assert_int_equal(archive_write_open_filename(a, zip), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		const char *base = strrchr(files[i], '/');

		bh_buf_reset(&b);
		assert_int_equal(bh_read_file(files[i], &b, NULL), 0);
		archive_entry_set_pathname(e, base ? base + 1 : files[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)b.len);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, b.data, b.len), (la_ssize_t)b.len);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	bh_buf_release(&b);
}

static void test_zip_and_atomicity(void **state)
{
	struct fixture *f = *state;
	const char *files[] = { FIX "/npm/GHSA-test-aaaa-0001.json",
				FIX "/npm/GHSA-test-aaaa-0003.json",
				FIX "/pypi/foo-bar/PYSEC-2099-1.yaml",
				FIX "/debian/DEBIAN-CVE-2099-0002.json", FIX "/README.md" };
	char *zip = bh_asprintf("%s/all.zip", f->dir), *cut = bh_asprintf("%s/cut.zip", f->dir);
	const char *good[] = { zip }, *bad[] = { FIX "/alpine", cut };
	struct bh_import_stats st;
	struct bh_error *err = NULL;
	struct bh_buf b = BH_BUF_INIT(1 << 20);
	long long before;

	make_zip(zip, files, 5);
	import_ok(f->s, good, 1, &st);
	assert_int_equal(st.files, 4); /* README.md is not a record file */
	assert_int_equal(st.inserted, 4);
	bh_import_stats_release(&st);
	before = count(f->s, "SELECT count(*) FROM advisories");
	assert_int_equal(before, 4);

	/* a truncated archive fails the whole import: the directory before it
	 * in the same import is rolled back too */
	assert_int_equal(bh_read_file(zip, &b, NULL), 0);
	assert_int_equal(bh_write_file_atomic(cut, b.data, b.len / 2, 0644, NULL), 0);
	assert_int_equal(bh_vuln_store_import(f->s, bad, 2, NULL, &st, &err), -1);
	assert_error(err, BH_ERR_INVALID, "cut.zip");
	bh_error_clear(&err);
	bh_import_stats_release(&st);
	assert_int_equal(count(f->s, "SELECT count(*) FROM advisories"), before);
	assert_int_equal(count(f->s, "SELECT count(*) FROM sources"), 1);
	bh_buf_release(&b);
	free(zip);
	free(cut);
}

static void zip_add(struct archive *a, const char *name, const void *p, size_t n)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)n);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, p, n), (la_ssize_t)n);
	archive_entry_free(e);
}

static void test_zip_entry_over_limit(void **state)
{
	struct fixture *f = *state;
	char *zip = bh_asprintf("%s/big.zip", f->dir), *big = bh_malloc(BH_OSV_MAX_FILE + 1);
	const char *paths[] = { zip };
	const char *rec = "{\"id\":\"X-1\",\"modified\":\"2024-01-01T00:00:00Z\"}";
	struct archive *a = archive_write_new();
	struct bh_import_stats st;

	/* an entry that inflates past the per-record limit is one malformed
	 * record (read no further than the limit); the others import */
	memset(big, ' ', BH_OSV_MAX_FILE + 1);
	archive_write_set_format_zip(a);
	archive_write_set_options(a, "zip:compression=deflate");
	assert_int_equal(archive_write_open_filename(a, zip), ARCHIVE_OK);
	zip_add(a, "vulns/big.json", big, BH_OSV_MAX_FILE + 1);
	zip_add(a, "vulns/X-1.json", rec, strlen(rec));
	zip_add(a, "vulns/notes.txt", "x", 1);
	archive_write_close(a);
	archive_write_free(a);
	import_ok(f->s, paths, 1, &st);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(st.inserted, 1);
	assert_non_null(strstr(st.problems[0], "big.zip[vulns/big.json]: more than the limit"));
	bh_import_stats_release(&st);
	free(big);
	free(zip);
}

static void test_cancel(void **state)
{
	struct fixture *f = *state;
	volatile int cancel = 1;
	struct bh_import_opts o = { .cancel = &cancel };
	const char *paths[] = { FIX "/npm" };
	struct bh_import_stats st;
	struct bh_error *err = NULL;

	assert_int_equal(bh_vuln_store_import(f->s, paths, 1, &o, &st, &err), -1);
	assert_error(err, BH_ERR_IO, "interrupted");
	bh_error_clear(&err);
	bh_import_stats_release(&st);
	assert_int_equal(count(f->s, "SELECT count(*) FROM advisories"), 0);
}

static void test_info(void **state)
{
	struct fixture *f = *state;
	const char *paths[] = { FIX "/npm", FIX "/alpine" };
	struct bh_import_opts o = { .source = "fixtures" };
	struct bh_import_stats st;
	struct bh_error *err = NULL;
	json_t *info, *eco, *src;

	assert_int_equal(bh_vuln_store_info(f->s, &info, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(info, "advisories")), 0);
	assert_true(json_is_null(json_object_get(info, "last_update")));
	json_decref(info);
	assert_int_equal(bh_vuln_store_import(f->s, paths, 2, &o, &st, &err), 0);
	bh_import_stats_release(&st);
	assert_int_equal(bh_vuln_store_info(f->s, &info, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(info, "schema_version")),
			 BH_STORE_SCHEMA_VERSION);
	assert_int_equal(json_integer_value(json_object_get(info, "advisories")), 7);
	assert_int_equal(json_integer_value(json_object_get(info, "withdrawn")), 1);
	assert_int_equal(json_integer_value(json_object_get(info, "generation")), 1);
	assert_true(json_is_string(json_object_get(info, "last_update")));
	eco = bh_json_arr(info, "ecosystems");
	assert_int_equal(json_array_size(eco), 2);
	assert_string_equal(bh_json_str(json_array_get(eco, 0), "ecosystem"), "Alpine:v3.19");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(eco, 0), "advisories")),
			 4);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(eco, 1), "advisories")),
			 2); /* npm: the withdrawn one is not counted */
	src = bh_json_arr(info, "sources");
	assert_int_equal(json_array_size(src), 1);
	assert_string_equal(bh_json_str(json_array_get(src, 0), "name"), "fixtures");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(src, 0), "records")), 7);
	json_decref(info);
}

static void test_scans(void **state)
{
	struct fixture *f = *state;
	const char *d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct bh_error *err = NULL;
	json_t *s1 = json_pack("{s:i}", "critical", 1), *s2 = json_pack("{s:i}", "critical", 0);
	json_t *out = NULL;

	assert_int_equal(bh_vuln_store_last_scan(f->s, d, &out, &err), 0);
	assert_null(out);
	assert_int_equal(bh_vuln_store_record_scan(f->s, d, s1, &err), 0);
	assert_int_equal(bh_vuln_store_record_scan(f->s, d, s2, &err), 0);
	assert_int_equal(bh_vuln_store_last_scan(f->s, d, &out, &err), 0);
	assert_non_null(out);
	assert_string_equal(bh_json_str(out, "digest"), d);
	assert_true(json_equal(json_object_get(out, "summary"), s2));
	assert_true(json_is_string(json_object_get(out, "scanned_at")));
	assert_true(json_is_null(json_object_get(out, "db_version"))); /* nothing imported */
	json_decref(out);
	assert_int_equal(bh_vuln_store_record_scan(f->s, "sha256:nothex", s1, &err), -1);
	assert_non_null(err);
	bh_error_clear(&err);
	assert_int_equal(bh_vuln_store_last_scan(f->s, "latest", &out, &err), -1);
	bh_error_clear(&err);
	json_decref(s1);
	json_decref(s2);
}

static void test_scan_db_version(void **state)
{
	struct fixture *f = *state;
	const char *d = "sha256:1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	const char *paths[] = { FIX "/npm" };
	struct bh_import_stats st;
	json_t *s1 = json_object(), *out = NULL;

	import_ok(f->s, paths, 1, &st);
	bh_import_stats_release(&st);
	assert_int_equal(bh_vuln_store_record_scan(f->s, d, s1, NULL), 0);
	assert_int_equal(bh_vuln_store_last_scan(f->s, d, &out, NULL), 0);
	assert_true(bh_str_has_prefix(bh_json_str(out, "db_version"), "1/"));
	json_decref(out);
	json_decref(s1);
}

static void test_sources_file(void **state)
{
	const char *text = "# comment\n\n"
			   "one https://example.invalid/a/all.zip  # trailing\n"
			   "   https://example.invalid/b.zip\r\n";
	struct bh_update_sources s;
	struct bh_error *err = NULL;

	assert_int_equal(bh_update_sources_parse(text, strlen(text), "f", &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[0].name, "one");
	assert_string_equal(s.v[0].url, "https://example.invalid/a/all.zip");
	assert_string_equal(s.v[1].name, "https://example.invalid/b.zip");
	bh_update_sources_release(&s);
	assert_int_equal(bh_update_sources_parse("x http://plain/a\n", 17, "f", &s, &err), -1);
	assert_error(err, BH_ERR_INVALID, "f:1: 'http://plain/a' is not an https:// URL");
	bh_error_clear(&err);
	assert_int_equal(
		bh_update_sources_parse("a https://x/1\na https://x/2\n", 28, "f", &s, &err), -1);
	assert_error(err, BH_ERR_INVALID, "named twice");
	bh_error_clear(&err);
	assert_int_equal(bh_update_sources_parse("a b c\n", 6, "f", &s, &err), -1);
	assert_error(err, BH_ERR_INVALID, "f:1");
	bh_error_clear(&err);
	assert_int_equal(bh_update_sources_parse("b@d https://x/1\n", 16, "f", &s, &err), -1);
	assert_error(err, BH_ERR_INVALID, "source name");
	bh_error_clear(&err);
	bh_update_default_sources(&s);
	assert_int_equal(s.n, 11);
	for (size_t i = 0; i < s.n; i++)
		assert_true(bh_str_has_prefix(s.v[i].url, "https://"));
	bh_update_sources_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_path),
		cmocka_unit_test_setup_teardown(test_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_and_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotent_and_newer_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdrawn_later, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secdb_changes_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_and_strict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zip_and_atomicity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zip_entry_over_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_db_version, setup, teardown),
		cmocka_unit_test(test_sources_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
