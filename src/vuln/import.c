/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bh_vuln_store_import: files, directories (recursively: *.json, *.yaml, *.yml,
 * *.zip) and zip archives (OSV's per-ecosystem all.zip) of OSV records or
 * Alpine secdb files, all in one SQLite transaction: a failure, an interrupt
 * or a kill part-way leaves the store as it was.
 *
 * What is fatal and what is counted:
 *  - a PATH that cannot be read, a named file that is not JSON/YAML, is over
 *    the size limit, is a YAML bomb or is neither OSV nor secdb, a zip that
 *    is truncated or corrupt: the whole import fails (nothing changes);
 *  - one bad record (in a file, a directory or an archive, or a file found
 *    in a directory or archive that cannot be read as a record): skipped and
 *    counted as malformed, its message kept; with opts->strict, fatal.
 *
 * Records are keyed by OSV id (secdb records by id/ecosystem/package): a new
 * key is inserted, a record with a later `modified` replaces the stored one,
 * anything else is left as it is, so importing the same data twice changes
 * nothing. Synthesised records (no `modified`) are replaced when their
 * content changes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lazy/archive.h"
#include "lazy/sqlite3.h"

#include "bulkhead/base.h"
#include "bulkhead/vuln.h"
#include "base/sqlite.h"
#include "store_internal.h"
#include "banned.h"

#define MAX_DIR_DEPTH 32

struct importer {
	struct bh_store *s;
	const struct bh_import_opts *opts;
	struct bh_import_stats *st;
	const char *source;	 /* the source the current records come from */
	uint64_t source_records; /* records read for it */
	uint64_t changed;	 /* inserted + updated */
	sqlite3_stmt *sel, *ins_adv, *del_aff, *ins_aff, *src;
	struct bh_buf buf;  /* one record file */
	struct bh_buf text; /* JSON text of what is stored */
	size_t nproblems;
};

/* Hand e to the caller (or drop it when the caller does not want errors). */
static int give(struct bh_error **err, struct bh_error *e)
{
	if (err && !*err)
		*err = e;
	else
		bh_error_free(e);
	return -1;
}

static bool cancelled(const struct importer *im)
{
	return im->opts->cancel && *im->opts->cancel;
}

static int sql_fail(struct importer *im, int rc, const char *what, struct bh_error **err)
{
	return bh_sqlite_error(im->s->db, rc, what, err);
}

/* One bad record: counted and kept (the first few), or fatal with --strict. */
static int malformed(struct importer *im, const char *msg, struct bh_error **err)
{
	im->st->malformed++;
	if (im->opts->strict)
		return bh_error_set(err, BH_ERR_INVALID, "%s (malformed record; strict import)",
				    msg);
	bh_debug("import: malformed: %s", msg);
	if (im->nproblems < BH_IMPORT_PROBLEMS) {
		im->st->problems = bh_reallocarray(im->st->problems, im->nproblems + 2,
						   sizeof(*im->st->problems));
		im->st->problems[im->nproblems++] = bh_strdup(msg);
		im->st->problems[im->nproblems] = NULL;
	}
	return 0;
}

static int malformed_err(struct importer *im, const char *what, struct bh_error *e,
			 struct bh_error **err)
{
	char *m = bh_error_message(e);
	char *msg = bh_asprintf("%s: %s", what, m);
	int r;

	free(m);
	bh_error_free(e);
	r = malformed(im, msg, err);
	free(msg);
	return r;
}

/* ---- storing one record ------------------------------------------------- */

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

static const char *dump(struct importer *im, const json_t *v, struct bh_error **err)
{
	bh_buf_reset(&im->text);
	if (bh_json_dump_buf(v, JSON_COMPACT, &im->text, err) < 0)
		return NULL;
	if (bh_buf_addc(&im->text, 0, err) < 0) /* an empty array still needs a string */
		return NULL;
	return im->text.data;
}

static int step_done(struct importer *im, sqlite3_stmt *st, const char *what, struct bh_error **err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return sql_fail(im, rc, what, err);
	return 0;
}

static int store_record(struct importer *im, const struct bh_osv_record *r, const char *hash,
			bool replace, struct bh_error **err)
{
	sqlite3_stmt *st = im->ins_adv;
	const char *t;
	int rc = SQLITE_OK;

	if (replace) {
		sqlite3_bind_text(im->del_aff, 1, r->key, -1, SQLITE_STATIC);
		if (step_done(im, im->del_aff, "replacing a record", err) < 0)
			return -1;
	}
	rc |= sqlite3_bind_text(st, 1, r->key, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_text(st, 2, r->id, -1, SQLITE_STATIC);
	rc |= bind_text(st, 3, r->modified);
	rc |= r->modified ? sqlite3_bind_int64(st, 4, r->modified_us) : sqlite3_bind_null(st, 4);
	rc |= bind_text(st, 5, r->published);
	rc |= bind_text(st, 6, r->withdrawn);
	rc |= bind_text(st, 7, r->summary);
	rc |= bind_text(st, 8, r->details);
	if (!(t = dump(im, r->aliases, err)))
		return -1;
	rc |= sqlite3_bind_text(st, 9, t, -1, SQLITE_TRANSIENT);
	if (!(t = dump(im, r->references, err)))
		return -1;
	rc |= sqlite3_bind_text(st, 10, t, -1, SQLITE_TRANSIENT);
	rc |= sqlite3_bind_int(st, 11, (int)r->severity);
	rc |= r->score >= 0 ? sqlite3_bind_double(st, 12, r->score) : sqlite3_bind_null(st, 12);
	rc |= bind_text(st, 13, r->cvss_vector);
	rc |= sqlite3_bind_text(st, 14, im->source, -1, SQLITE_STATIC);
	rc |= bind_text(st, 15, hash);
	if (rc != SQLITE_OK)
		return sql_fail(im, rc, "storing a record", err);
	if (step_done(im, st, "storing a record", err) < 0)
		return -1;
	for (size_t i = 0; i < r->naffected; i++) {
		const struct bh_osv_affected *a = &r->affected[i];

		st = im->ins_aff;
		rc = sqlite3_bind_text(st, 1, r->key, -1, SQLITE_STATIC);
		rc |= sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		rc |= sqlite3_bind_text(st, 3, a->ecosystem, -1, SQLITE_STATIC);
		rc |= sqlite3_bind_text(st, 4, a->key, -1, SQLITE_STATIC);
		if (a->own_severity) {
			rc |= sqlite3_bind_int(st, 5, (int)a->severity);
			rc |= a->score >= 0 ? sqlite3_bind_double(st, 6, a->score)
					    : sqlite3_bind_null(st, 6);
			rc |= bind_text(st, 7, a->cvss_vector);
		}
		if (!(t = dump(im, a->data, err)))
			return -1;
		rc |= sqlite3_bind_text(st, 8, t, -1, SQLITE_STATIC);
		if (rc != SQLITE_OK)
			return sql_fail(im, rc, "storing a record", err);
		if (step_done(im, st, "storing a record", err) < 0)
			return -1;
	}
	return 0;
}

static int upsert(struct importer *im, const struct bh_osv_record *r, struct bh_error **err)
{
	bool exists = false, replace = false;
	struct bh_digest hash;
	char *canon = NULL;
	int rc, ret = -1;

	if (r->synthetic) {
		canon = json_dumps(r->doc, JSON_COMPACT | JSON_SORT_KEYS);
		if (!canon)
			return bh_error_set(err, BH_ERR_NOMEM, "%s: cannot encode it", r->id);
		bh_sha256(canon, strlen(canon), &hash);
	}
	sqlite3_bind_text(im->sel, 1, r->key, -1, SQLITE_STATIC);
	rc = sqlite3_step(im->sel);
	if (rc == SQLITE_ROW) {
		exists = true;
		if (r->synthetic) {
			const char *old = (const char *)sqlite3_column_text(im->sel, 1);

			replace = !old || strcmp(old, hash.str);
		} else {
			replace = sqlite3_column_type(im->sel, 0) == SQLITE_NULL ||
				  r->modified_us > sqlite3_column_int64(im->sel, 0);
		}
		rc = SQLITE_DONE;
	}
	sqlite3_reset(im->sel);
	sqlite3_clear_bindings(im->sel);
	if (rc != SQLITE_DONE) {
		sql_fail(im, rc, "looking up a record", err);
		goto out;
	}
	if (exists && !replace) {
		im->st->unchanged++;
		ret = 0;
		goto out;
	}
	if (store_record(im, r, r->synthetic ? hash.str : NULL, exists, err) < 0) {
		bh_error_prefix(err, "%s", r->id);
		goto out;
	}
	if (exists)
		im->st->updated++;
	else
		im->st->inserted++;
	im->changed++;
	ret = 0;
out:
	free(canon);
	return ret;
}

/* One OSV object (doc borrowed). */
static int add_record(struct importer *im, json_t *doc, const char *key, const char *what,
		      struct bh_error **err)
{
	struct bh_osv_record r;
	struct bh_error *e = NULL;
	int ret;

	if (bh_osv_record_from_json(doc, key, &r, &e) < 0)
		return malformed_err(im, what, e, err);
	im->st->records++;
	im->source_records++;
	if (r.withdrawn)
		im->st->withdrawn++;
	ret = upsert(im, &r, err);
	bh_osv_record_release(&r);
	return ret;
}

struct secdb_ctx {
	struct importer *im;
	const char *what;
};

static int secdb_record(json_t *doc, const char *key, const char *problem, void *data,
			struct bh_error **err)
{
	struct secdb_ctx *c = data;

	if (!doc)
		return malformed(c->im, problem, err);
	return add_record(c->im, doc, key, c->what, err);
}

/*
 * The bytes of one file. `named`: the user named this file, so a file that
 * cannot be read as records at all fails the import; otherwise (found in a
 * directory or an archive) it counts as one malformed record.
 */
static int import_bytes(struct importer *im, const char *buf, size_t len, const char *what,
			bool named, struct bh_error **err)
{
	struct bh_error *e = NULL;
	json_t *doc = NULL, *item;
	int r = -1;
	size_t i;

	im->st->files++;
	bh_debug("import: reading %s", what);
	if (bh_osv_parse_doc(buf, len, what, &doc, &e) < 0)
		goto bad_file;
	switch (bh_osv_doc_kind(doc)) {
	case BH_DOC_OSV: r = add_record(im, doc, NULL, what, err); break;
	case BH_DOC_OSV_LIST:
		r = 0;
		json_array_foreach (doc, i, item) {
			char *w = bh_asprintf("%s[%zu]", what, i);

			r = add_record(im, item, NULL, w, err);
			free(w);
			if (r < 0)
				break;
		}
		break;
	case BH_DOC_SECDB:
	case BH_DOC_SECDB_PKG: {
		struct secdb_ctx c = { im, what };

		r = bh_secdb_records(doc, what, secdb_record, &c, &e);
		if (r < 0 && e)
			goto bad_file;
		break;
	}
	default:
		bh_error_set(&e, BH_ERR_INVALID,
			     "%s: neither an OSV record nor an Alpine secdb file", what);
		goto bad_file;
	}
	json_decref(doc);
	return r;
bad_file:
	json_decref(doc);
	if (named)
		return give(err, e);
	/* e's message already names the file */
	{
		char *m = bh_error_message(e);

		bh_error_free(e);
		r = malformed(im, m, err);
		free(m);
	}
	return r;
}

/* ---- files, archives, directories --------------------------------------- */

static bool has_ext(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);

	return n > e && name[n - e - 1] == '.' && !strcasecmp(name + n - e, ext);
}

static bool record_name(const char *name)
{
	return has_ext(name, "json") || has_ext(name, "yaml") || has_ext(name, "yml");
}

static int import_zip(struct importer *im, int fd, const char *what, struct bh_error **err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	uint64_t entries = 0, total = 0;
	int rc, r = -1;

	archive_read_support_format_zip(a);
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
		bh_error_set(err, BH_ERR_INVALID, "%s: not a readable zip archive: %s", what,
			     archive_error_string(a));
		goto out;
	}
	for (;;) {
		const char *name;
		char *w;
		la_int64_t size;
		bool too_big = false;

		if (cancelled(im)) {
			bh_error_set(err, BH_ERR_IO, "interrupted");
			goto out;
		}
		rc = archive_read_next_header(a, &ae);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc < ARCHIVE_WARN) {
			bh_error_set(err, BH_ERR_INVALID, "%s: zip archive: %s", what,
				     archive_error_string(a) ? archive_error_string(a)
							     : "unreadable entry");
			goto out;
		}
		if (++entries > BH_ZIP_MAX_ENTRIES) {
			bh_error_set(err, BH_ERR_LIMIT, "%s: more than %u entries", what,
				     BH_ZIP_MAX_ENTRIES);
			goto out;
		}
		name = archive_entry_pathname(ae);
		if (archive_entry_filetype(ae) != AE_IFREG || !name || !record_name(name))
			continue;
		w = bh_asprintf("%s[%.256s]", what, name);
		size = archive_entry_size_is_set(ae) ? archive_entry_size(ae) : -1;
		bh_buf_reset(&im->buf);
		if (size > (la_int64_t)BH_OSV_MAX_FILE) {
			too_big = true;
		} else {
			char chunk[1 << 16];
			la_ssize_t n;

			while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
				total += (uint64_t)n; /* what was inflated, kept or not */
				if (bh_buf_add(&im->buf, chunk, (size_t)n, NULL) < 0) {
					too_big = true;
					break;
				}
			}
			if (n < 0) {
				bh_error_set(err, BH_ERR_INVALID, "%s: zip archive: %s", w,
					     archive_error_string(a) ? archive_error_string(a)
								     : "unreadable data");
				free(w);
				goto out;
			}
		}
		if (total > BH_ZIP_MAX_TOTAL) {
			bh_error_set(err, BH_ERR_LIMIT, "%s: more than %llu bytes uncompressed",
				     what, (unsigned long long)BH_ZIP_MAX_TOTAL);
			free(w);
			goto out;
		}
		if (too_big) {
			char *msg = bh_asprintf("%s: more than the limit of %u bytes for one "
						"record file",
						w, BH_OSV_MAX_FILE);

			im->st->files++;
			rc = malformed(im, msg, err);
			free(msg);
			free(w);
			if (rc < 0)
				goto out;
			continue;
		}
		rc = import_bytes(im, im->buf.data ? im->buf.data : "", im->buf.len, w, false, err);
		free(w);
		if (rc < 0)
			goto out;
	}
	r = 0;
out:
	archive_read_free(a);
	return r;
}

static bool zip_magic(int fd)
{
	unsigned char m[4];

	if (pread(fd, m, 4, 0) != 4)
		return false;
	return m[0] == 'P' && m[1] == 'K' && ((m[2] == 3 && m[3] == 4) || (m[2] == 5 && m[3] == 6));
}

/* A file opened as fd (taken). */
static int import_fd(struct importer *im, int fd, const char *what, bool named,
		     struct bh_error **err)
{
	struct stat st;
	struct bh_error *e = NULL;
	int r = -1;

	if (fstat(fd, &st) < 0) {
		bh_error_sys(err, errno, "%s", what);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = named ? bh_error_set(err, BH_ERR_INVALID, "%s: not a regular file", what) : 0;
		goto out;
	}
	if (zip_magic(fd) || (has_ext(what, "zip") && st.st_size == 0)) {
		r = import_zip(im, fd, what, err);
		goto out;
	}
	if ((uint64_t)st.st_size > BH_OSV_MAX_FILE) {
		bh_error_set(&e, BH_ERR_LIMIT,
			     "%s: %llu bytes exceeds the limit of %u bytes for one record file",
			     what, (unsigned long long)st.st_size, BH_OSV_MAX_FILE);
	} else {
		bh_buf_reset(&im->buf);
		if (bh_buf_read_fd(&im->buf, fd, what, &e) == 0) {
			r = import_bytes(im, im->buf.data ? im->buf.data : "", im->buf.len, what,
					 named, err);
			goto out;
		}
	}
	/* too big, or unreadable */
	if (named || bh_error_code(e) == BH_ERR_IO) {
		give(err, e);
		goto out;
	}
	im->st->files++;
	r = malformed_err(im, what, e, err);
out:
	close(fd);
	return r;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int import_dir(struct importer *im, int dfd, const char *path, int depth,
		      struct bh_error **err)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int r = -1;

	if (!d) {
		close(dfd);
		return bh_error_sys(err, errno, "%s", path);
	}
	errno = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue; /* ., .., and hidden files such as .id-allocator */
		names = bh_reallocarray(names, n + 1, sizeof(*names));
		names[n++] = bh_strdup(de->d_name);
	}
	if (errno) {
		bh_error_sys(err, errno, "reading %s", path);
		goto out;
	}
	/* A stable order, so the same tree always imports the same way. */
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		char *child = bh_asprintf("%s/%s", path, names[i]);
		struct stat st;
		int fd;

		if (cancelled(im)) {
			free(child);
			bh_error_set(err, BH_ERR_IO, "interrupted");
			goto out;
		}
		r = 0;
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = bh_error_sys(err, errno, "%s", child);
		} else if (S_ISDIR(st.st_mode)) {
			if (depth >= MAX_DIR_DEPTH) {
				bh_warn("import: %s: deeper than %d directories, skipped", child,
					MAX_DIR_DEPTH);
			} else {
				fd = openat(dirfd(d), names[i],
					    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				r = fd < 0 ? bh_error_sys(err, errno, "%s", child)
					   : import_dir(im, fd, child, depth + 1, err);
			}
		} else if ((S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) &&
			   (record_name(names[i]) || has_ext(names[i], "zip"))) {
			/* symlinks to files are followed; to directories, not */
			fd = openat(dirfd(d), names[i],
				    O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
			if (fd < 0)
				r = bh_error_sys(err, errno, "%s", child);
			else
				r = import_fd(im, fd, child, false, err);
		}
		free(child);
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return r;
}

static int import_path(struct importer *im, const char *path, struct bh_error **err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return bh_error_sys(err, errno, "%s", path);
	if (fstat(fd, &st) < 0) {
		close(fd);
		return bh_error_sys(err, errno, "%s", path);
	}
	if (S_ISDIR(st.st_mode))
		return import_dir(im, fd, path, 0, err);
	return import_fd(im, fd, path, true, err);
}

/* ---- the transaction ----------------------------------------------------- */

static int record_source(struct importer *im, const struct bh_source_meta *m, struct bh_error **err)
{
	sqlite3_stmt *st = im->src;
	char now[BH_TIME_MAX];
	int rc;

	bh_time_rfc3339(NULL, 0, now);
	rc = sqlite3_bind_text(st, 1, m->name, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_text(st, 2, m->kind ? m->kind : "import", -1, SQLITE_STATIC);
	rc |= bind_text(st, 3, m->url);
	rc |= bind_text(st, 4, m->etag);
	rc |= bind_text(st, 5, m->last_modified);
	rc |= sqlite3_bind_text(st, 6, now, -1, SQLITE_TRANSIENT);
	rc |= sqlite3_bind_int64(st, 7, (sqlite3_int64)im->source_records);
	if (rc != SQLITE_OK)
		return sql_fail(im, rc, "recording the source", err);
	return step_done(im, st, "recording the source", err);
}

static int set_meta(struct importer *im, struct bh_error **err)
{
	char now[BH_TIME_MAX], sql[256];

	bh_time_rfc3339(NULL, 0, now);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO meta VALUES ('updated_at', '%s') ON CONFLICT(key) DO UPDATE SET "
		 "value = excluded.value;",
		 now);
	if (bh_sqlite_exec(im->s->db, sql, "recording the update", err) < 0)
		return -1;
	if (!im->changed)
		return 0;
	snprintf(sql, sizeof(sql),
		 "INSERT INTO meta VALUES ('changed_at', '%s') ON CONFLICT(key) DO UPDATE "
		 "SET value = excluded.value;"
		 "INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE "
		 "SET value = CAST(value AS INTEGER) + 1;",
		 now);
	return bh_sqlite_exec(im->s->db, sql, "recording the update", err);
}

static int prepare(struct importer *im, struct bh_error **err)
{
	static const struct {
		size_t off;
		const char *sql;
	} stmts[] = {
		{ offsetof(struct importer, sel),
		  "SELECT modified_us, hash FROM advisories WHERE key = ?" },
		{ offsetof(struct importer, ins_adv),
		  "INSERT OR REPLACE INTO advisories (key, id, modified, modified_us, published,"
		  " withdrawn, summary, details, aliases, refs, severity, score, cvss_vector,"
		  " source, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		  " ?14, ?15)" },
		{ offsetof(struct importer, del_aff), "DELETE FROM affected WHERE akey = ?" },
		{ offsetof(struct importer, ins_aff),
		  "INSERT OR REPLACE INTO affected (akey, seq, ecosystem, package, severity,"
		  " score, cvss_vector, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)" },
		{ offsetof(struct importer, src),
		  "INSERT INTO sources (name, kind, url, etag, last_modified, imported_at,"
		  " checked_at, records) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)"
		  " ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, url = excluded.url,"
		  " etag = excluded.etag, last_modified = excluded.last_modified,"
		  " imported_at = excluded.imported_at, checked_at = excluded.checked_at,"
		  " records = excluded.records" },
	};

	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
		sqlite3_stmt **st = (sqlite3_stmt **)((char *)im + stmts[i].off);
		int rc = sqlite3_prepare_v3(im->s->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
					    st, NULL);

		if (rc != SQLITE_OK)
			return sql_fail(im, rc, "preparing the import", err);
	}
	return 0;
}

/* paths, or (npaths 0) the file open as fd, named `what` (taken). */
static int import_core(struct bh_store *s, const char *const *paths, size_t npaths, int fd,
		       const char *what, const struct bh_import_opts *opts,
		       const struct bh_source_meta *meta, struct bh_import_stats *stats,
		       struct bh_error **err)
{
	static const struct bh_import_opts defaults = { 0 };
	struct bh_import_stats dummy;
	struct importer im = { 0 };
	bool begun = false, per_path;
	int r = -1;

	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof(*stats));
	im.s = s;
	im.opts = opts ? opts : &defaults;
	im.st = stats;
	bh_buf_init(&im.buf, BH_OSV_MAX_FILE);
	bh_buf_init(&im.text, 2 * (size_t)BH_OSV_MAX_FILE);
	if (npaths == 0 && (fd < 0 || !meta)) {
		bh_error_set(err, BH_ERR_USAGE, "nothing to import");
		goto out;
	}
	if (prepare(&im, err) < 0)
		goto out;
	if (bh_sqlite_exec(s->db, "BEGIN IMMEDIATE", "locking the database", err) < 0)
		goto out;
	begun = true;
	per_path = !meta && !im.opts->source;
	if (!per_path)
		im.source = meta ? meta->name : im.opts->source;
	for (size_t i = 0; i < npaths; i++) {
		char *real = NULL;
		int rr;

		if (per_path) {
			/* one source per path, named by where it is */
			real = realpath(paths[i], NULL);
			im.source = real ? real : paths[i];
			im.source_records = 0;
		}
		rr = import_path(&im, paths[i], err);
		if (rr == 0 && per_path) {
			struct bh_source_meta m = { .name = im.source, .kind = "import" };

			rr = record_source(&im, &m, err);
		}
		free(real);
		if (rr < 0)
			goto out;
	}
	if (fd >= 0) {
		int rr = import_fd(&im, fd, what, true, err);

		fd = -1;
		if (rr < 0)
			goto out;
	}
	if (!per_path) {
		struct bh_source_meta m = { .name = im.source, .kind = "import" };

		if (record_source(&im, meta ? meta : &m, err) < 0)
			goto out;
	}
	if (set_meta(&im, err) < 0)
		goto out;
	if (bh_sqlite_exec(s->db, "COMMIT", "committing the import", err) < 0)
		goto out;
	begun = false;
	r = 0;
out:
	if (begun)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(im.sel);
	sqlite3_finalize(im.ins_adv);
	sqlite3_finalize(im.del_aff);
	sqlite3_finalize(im.ins_aff);
	sqlite3_finalize(im.src);
	bh_buf_release(&im.buf);
	bh_buf_release(&im.text);
	if (fd >= 0)
		close(fd);
	if (r < 0)
		bh_error_prefix(err, "import");
	if (stats == &dummy)
		bh_import_stats_release(&dummy);
	return r;
}

int bh_vuln_store_import_meta(struct bh_store *s, const char *const *paths, size_t npaths,
			      const struct bh_import_opts *opts, const struct bh_source_meta *meta,
			      struct bh_import_stats *stats, struct bh_error **err)
{
	return import_core(s, paths, npaths, -1, NULL, opts, meta, stats, err);
}

int bh_vuln_store_import_fd(struct bh_store *s, int fd, const char *what,
			    const struct bh_import_opts *opts, const struct bh_source_meta *meta,
			    struct bh_import_stats *stats, struct bh_error **err)
{
	return import_core(s, NULL, 0, fd, what, opts, meta, stats, err);
}

int bh_vuln_store_import(struct bh_store *s, const char *const *paths, size_t npaths,
			 const struct bh_import_opts *opts, struct bh_import_stats *stats,
			 struct bh_error **err)
{
	return import_core(s, paths, npaths, -1, NULL, opts, NULL, stats, err);
}

void bh_import_stats_release(struct bh_import_stats *st)
{
	if (!st)
		return;
	for (char **p = st->problems; p && *p; p++)
		free(*p);
	free(st->problems);
	st->problems = NULL;
}
