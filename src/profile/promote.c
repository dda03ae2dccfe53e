/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Modes and automatic promotion of stored profiles (see bh_prof_store_mode in
 * include/bulkhead/profile.h): the table `modes` of the profile store
 * (schema 2), the rule, and the count of quiet runs that store.c updates in
 * the transaction of each collected run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lazy/sqlite3.h"

#include "bulkhead/base.h"
#include "base/sqlite.h"
#include "bulkhead/profile.h"
#include "internal.h"
#include "banned.h"

/*
 * Schema 2: modes (kind, name) → the mode, the promotion rule (after: seconds
 * learned, runs: quiet runs in a row, target: the mode), quiet (the count of
 * runs in a row that added no syscall), last_new and last_lost (which run
 * reset it, and why), changed and reason (the last change of mode), automatic.
 * kind is "syscalls" here (behaviour profiles will share the table).
 */
#define MODES_KIND "syscalls"

int prof_migrate_modes(sqlite3 *db, struct bh_error **err)
{
	sqlite3_stmt *st = NULL;
	int v = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	/* a store another step of schema 2 made (branches merged in another order) may
	 * lack the table: it is made when missing, whatever the version says */
	if (v >= 2) {
		bool have = false;

		if (sqlite3_prepare_v2(db,
				       "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
				       "name = 'modes'",
				       -1, &st, NULL) == SQLITE_OK)
			have = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (have)
			return 0;
	}
	if (bh_sqlite_exec(db, "BEGIN IMMEDIATE", "locking the store", err) < 0)
		return -1;
	if (bh_sqlite_exec(db,
			   "CREATE TABLE IF NOT EXISTS modes ("
			   "  kind TEXT NOT NULL, name TEXT NOT NULL, mode TEXT NOT NULL,"
			   "  after REAL, runs INTEGER, target TEXT,"
			   "  quiet INTEGER NOT NULL DEFAULT 0, last_new TEXT, last_lost TEXT,"
			   "  changed TEXT, reason TEXT, automatic INTEGER NOT NULL DEFAULT 0,"
			   "  PRIMARY KEY (kind, name)) WITHOUT ROWID;",
			   "upgrading the schema to 2 (modes)", err) < 0 ||
	    (v < 2 && bh_sqlite_exec(db, "PRAGMA user_version = 2",
				     "upgrading the schema to 2 (modes)", err) < 0) ||
	    bh_sqlite_exec(db, "COMMIT", "upgrading the schema to 2 (modes)", err) < 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static const char *const mode_names[] = { "discover", "monitor", "protect" };

const char *bh_prof_mode_name(enum bh_prof_mode m)
{
	return (unsigned)m < 3 ? mode_names[m] : "?";
}

int bh_prof_mode_parse(const char *s, enum bh_prof_mode *out, struct bh_error **err)
{
	for (int i = 0; i < 3; i++)
		if (s && !strcmp(s, mode_names[i])) {
			*out = (enum bh_prof_mode)i;
			return 0;
		}
	return bh_error_set(err, BH_ERR_INVALID, "'%.64s' is not discover, monitor or protect",
			    s ? s : "");
}

bool bh_prof_rule_met(const struct bh_prof_rule *rule, uint64_t quiet, double seconds,
		      uint64_t lost, char **why)
{
	struct bh_buf b = BH_BUF_INIT(1024);
	bool met = lost == 0 && quiet >= rule->runs && seconds >= rule->seconds;

	if (why) {
		if (met) {
			bh_buf_addf(&b, NULL,
				    "%llu run(s) in a row added no syscall (rule: %u), %.3f s "
				    "learned (rule: %.3f s), no event lost",
				    (unsigned long long)quiet, rule->runs, seconds, rule->seconds);
		} else {
			if (lost)
				bh_buf_addf(&b, NULL,
					    "%llu event(s) were lost: a profile that lost events "
					    "is never promoted (delete it and learn again, or "
					    "set its mode by hand)",
					    (unsigned long long)lost);
			if (quiet < rule->runs)
				bh_buf_addf(&b, NULL,
					    "%s%llu of %u run(s) in a row without a new syscall",
					    b.len ? "; " : "", (unsigned long long)quiet,
					    rule->runs);
			if (seconds < rule->seconds)
				bh_buf_addf(&b, NULL, "%slearned %.3f s of %.3f s",
					    b.len ? "; " : "", seconds, rule->seconds);
		}
		*why = bh_strndup(b.data ? b.data : "", b.len);
	}
	bh_buf_release(&b);
	return met;
}

/* The mode row of name, or the defaults; the learned totals of every row of name. */
struct mode_row {
	bool stored;
	enum bh_prof_mode mode;
	bool has_rule;
	struct bh_prof_rule rule;
	int64_t quiet;
	char *last_new, *last_lost, *changed, *reason;
	bool automatic;
	bool exists; /* name has profile rows */
	double seconds;
	int64_t lost;
};

static void mode_row_release(struct mode_row *m)
{
	free(m->last_new);
	free(m->last_lost);
	free(m->changed);
	free(m->reason);
	memset(m, 0, sizeof(*m));
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	return t ? bh_strdup(t) : NULL;
}

static int mode_read(struct bh_prof_store *s, const char *name, struct mode_row *m,
		     struct bh_error **err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = sqlite3_prepare_v2(s->db,
				"SELECT mode, after, runs, target, quiet, last_new, last_lost, "
				"changed, reason, automatic FROM modes WHERE kind = '" MODES_KIND
				"' AND name = ?",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		m->stored = true;
		if (bh_prof_mode_parse((const char *)sqlite3_column_text(st, 0), &m->mode, NULL) <
		    0)
			m->mode = BH_PROF_DISCOVER;
		if (sqlite3_column_type(st, 2) != SQLITE_NULL &&
		    bh_prof_mode_parse((const char *)sqlite3_column_text(st, 3), &m->rule.to,
				       NULL) == 0) {
			m->has_rule = true;
			m->rule.seconds = sqlite3_column_double(st, 1);
			m->rule.runs = (uint32_t)sqlite3_column_int64(st, 2);
		}
		m->quiet = sqlite3_column_int64(st, 4);
		m->last_new = col_dup(st, 5);
		m->last_lost = col_dup(st, 6);
		m->changed = col_dup(st, 7);
		m->reason = col_dup(st, 8);
		m->automatic = sqlite3_column_int(st, 9) != 0;
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	rc = sqlite3_prepare_v2(s->db,
				"SELECT count(*), total(seconds), total(lost) FROM profiles WHERE "
				"name = ?",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		m->exists = sqlite3_column_int64(st, 0) > 0;
		m->seconds = sqlite3_column_double(st, 1);
		m->lost = (int64_t)sqlite3_column_double(st, 2);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
fail:
	mode_row_release(m);
	return bh_sqlite_error(s->db, sqlite3_errcode(s->db), "reading the mode", err);
}

static int mode_write(struct bh_prof_store *s, const char *name, const struct mode_row *m,
		      struct bh_error **err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db,
				    "INSERT OR REPLACE INTO modes VALUES ('" MODES_KIND
				    "', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				    -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, bh_prof_mode_name(m->mode), -1, SQLITE_STATIC);
		if (m->has_rule) {
			sqlite3_bind_double(st, 3, m->rule.seconds);
			sqlite3_bind_int64(st, 4, m->rule.runs);
			sqlite3_bind_text(st, 5, bh_prof_mode_name(m->rule.to), -1, SQLITE_STATIC);
		}
		sqlite3_bind_int64(st, 6, m->quiet);
		sqlite3_bind_text(st, 7, m->last_new, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, m->last_lost, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, m->changed, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, m->reason, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 11, m->automatic);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return bh_sqlite_error(s->db, sqlite3_errcode(s->db), "writing the mode", err);
	return 0;
}

/* In discover with a rule that is met: promote (the time and reason recorded). */
static void mode_maybe_promote(struct mode_row *m, const char *now)
{
	char *why = NULL;

	if (m->mode != BH_PROF_DISCOVER || !m->has_rule ||
	    !bh_prof_rule_met(&m->rule, (uint64_t)(m->quiet < 0 ? 0 : m->quiet), m->seconds,
			      (uint64_t)(m->lost < 0 ? 0 : m->lost), &why)) {
		free(why);
		return;
	}
	m->mode = m->rule.to;
	m->automatic = true;
	free(m->changed);
	m->changed = bh_strdup(now);
	free(m->reason);
	m->reason = bh_asprintf("promoted from discover to %s by the rule: %s",
				bh_prof_mode_name(m->rule.to), why);
	free(why);
}

/*
 * After a run was merged into a row of name (inside merge_row's transaction):
 * the count of quiet runs, then the rule. added: the run added a syscall to
 * its row; lost: the events it lost.
 */
int prof_mode_after_run(struct bh_prof_store *s, const char *name, const char *container,
			size_t added, uint64_t lost, const char *now, struct bh_error **err)
{
	struct mode_row m;
	int r;

	if (mode_read(s, name, &m, err) < 0)
		return -1;
	if (lost) {
		m.quiet = 0;
		free(m.last_lost);
		m.last_lost = bh_asprintf("%s: container %s lost %llu event(s)", now,
					  container ? container : "?", (unsigned long long)lost);
	} else if (added) {
		m.quiet = 0;
		free(m.last_new);
		m.last_new = bh_asprintf("%s: container %s added %zu syscall(s)", now,
					 container ? container : "?", added);
	} else if (m.mode == BH_PROF_DISCOVER) {
		m.quiet++;
	}
	mode_maybe_promote(&m, now);
	r = mode_write(s, name, &m, err);
	mode_row_release(&m);
	return r;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The JSON of bh_prof_store_mode. */
static json_t *mode_json(const struct mode_row *m)
{
	json_t *o =
		json_pack("{s:s, s:o, s:I, s:f, s:I, s:o, s:o, s:o, s:o, s:b}", "mode",
			  bh_prof_mode_name(m->mode), "rule",
			  m->has_rule ? json_pack("{s:f, s:I, s:s}", "after", m->rule.seconds,
						  "runs", (json_int_t)m->rule.runs, "to",
						  bh_prof_mode_name(m->rule.to))
				      : json_null(),
			  "quiet_runs", (json_int_t)m->quiet, "seconds", m->seconds, "lost",
			  (json_int_t)m->lost, "last_new", str_or_null(m->last_new), "last_lost",
			  str_or_null(m->last_lost), "changed", str_or_null(m->changed), "reason",
			  str_or_null(m->reason), "automatic", m->automatic);
	char *why = NULL;

	if (m->mode == BH_PROF_DISCOVER && m->has_rule &&
	    !bh_prof_rule_met(&m->rule, (uint64_t)(m->quiet < 0 ? 0 : m->quiet), m->seconds,
			      (uint64_t)(m->lost < 0 ? 0 : m->lost), &why))
		json_object_set_new(o, "waiting", json_string(why));
	else if (m->mode == BH_PROF_DISCOVER && !m->has_rule)
		json_object_set_new(o, "waiting",
				    json_string("no promotion rule (bulkhead profile promote)"));
	else
		json_object_set_new(o, "waiting", json_null());
	free(why);
	return o;
}

int bh_prof_store_mode(struct bh_prof_store *s, const char *name, json_t **out,
		       struct bh_error **err)
{
	struct mode_row m;

	*out = NULL;
	if (mode_read(s, name, &m, err) < 0)
		return bh_error_prefix(err, "profile store %s", s->path);
	*out = mode_json(&m);
	mode_row_release(&m);
	return 0;
}

/* Read name's mode row, change it with fn, write it back: one transaction. */
static int mode_change(struct bh_prof_store *s, const char *name,
		       int (*fn)(struct mode_row *m, const void *arg, const char *now,
				 struct bh_error **err),
		       const void *arg, struct bh_error **err)
{
	struct mode_row m = { 0 };
	char now[BH_TIME_MAX];
	int r = -1;

	if (bh_prof_name_check(name, err) < 0)
		return -1;
	if (bh_sqlite_exec(s->db, "BEGIN IMMEDIATE", "locking the store", err) < 0)
		return bh_error_prefix(err, "profile store %s", s->path);
	bh_time_rfc3339(NULL, 0, now);
	if (mode_read(s, name, &m, err) < 0 || fn(&m, arg, now, err) < 0 ||
	    mode_write(s, name, &m, err) < 0 ||
	    bh_sqlite_exec(s->db, "COMMIT", "committing", err) < 0)
		goto out;
	r = 0;
out:
	if (r < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		prof_full_hint(s->path, err);
	}
	mode_row_release(&m);
	return r < 0 ? bh_error_prefix(err, "profile %s", name) : 0;
}

static int set_rule(struct mode_row *m, const void *arg, const char *now, struct bh_error **err)
{
	const struct bh_prof_rule *rule = arg;

	(void)err;
	m->has_rule = rule != NULL;
	if (rule)
		m->rule = *rule;
	mode_maybe_promote(m, now);
	return 0;
}

int bh_prof_store_set_rule(struct bh_prof_store *s, const char *name,
			   const struct bh_prof_rule *rule, struct bh_error **err)
{
	if (rule && rule->to != BH_PROF_MONITOR && rule->to != BH_PROF_PROTECT)
		return bh_error_set(err, BH_ERR_INVALID,
				    "a profile is promoted to monitor or protect, not %s",
				    bh_prof_mode_name(rule->to));
	if (rule && (rule->runs < 1 || !(rule->seconds >= 0) || rule->seconds > 1e9))
		return bh_error_set(err, BH_ERR_INVALID,
				    "a promotion rule needs at least 1 run and a time of 0 to "
				    "1e9 seconds");
	return mode_change(s, name, set_rule, rule, err);
}

static int set_mode(struct mode_row *m, const void *arg, const char *now, struct bh_error **err)
{
	enum bh_prof_mode to = *(const enum bh_prof_mode *)arg;

	if (!m->exists)
		return bh_error_set(err, BH_ERR_NOTFOUND, "no profile (nothing learned yet)");
	free(m->reason);
	m->reason = bh_asprintf("set by hand from %s to %s", bh_prof_mode_name(m->mode),
				bh_prof_mode_name(to));
	free(m->changed);
	m->changed = bh_strdup(now);
	m->automatic = false;
	if (to == BH_PROF_DISCOVER)
		m->quiet = 0; /* learning again: the rule counts from here */
	m->mode = to;
	return 0;
}

int bh_prof_store_set_mode(struct bh_prof_store *s, const char *name, enum bh_prof_mode mode,
			   struct bh_error **err)
{
	if ((unsigned)mode > BH_PROF_PROTECT)
		return bh_error_set(err, BH_ERR_INVALID, "unknown mode %d", (int)mode);
	return mode_change(s, name, set_mode, &mode, err);
}

/* Add "mode" and "promotion" to each profile of arr (rows of list, or get's merge). */
int prof_add_modes(struct bh_prof_store *s, json_t *arr, struct bh_error **err)
{
	json_t *p;
	size_t i;

	json_array_foreach (arr, i, p) {
		json_t *m;

		if (bh_prof_store_mode(s, bh_json_str(p, "name"), &m, err) < 0)
			return -1;
		json_object_set(p, "mode", json_object_get(m, "mode"));
		json_object_set_new(p, "promotion", m);
	}
	return 0;
}

/* After a delete: the mode of a name with no row left goes too. */
int prof_drop_orphan_mode(struct bh_prof_store *s, const char *name, struct bh_error **err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db,
				    "DELETE FROM modes WHERE kind = '" MODES_KIND "' AND name = ?1 "
				    "AND NOT EXISTS (SELECT 1 FROM profiles WHERE name = ?1)",
				    -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return bh_sqlite_error(s->db, sqlite3_errcode(s->db), "deleting the mode", err);
	return 0;
}
