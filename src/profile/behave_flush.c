/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Behaviour profiles (include/bulkhead/behave.h): what behave.c holds in
 * memory, written to the profile store in one transaction per flush (only
 * the changed items, or a profile whole after a collapse), the promotion
 * rule applied there, and the modes read back; and the verdict as JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lazy/sqlite3.h"

#include "bulkhead/base.h"
#include "base/sqlite.h"
#include "behave_internal.h"
#include "banned.h"

/* Read key's mode and rule into p (no row: discover, no rule). */
int beh_load_mode(struct bh_behave *b, struct beh_profile *p, struct bh_error **err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(b->store->db,
				    "SELECT m.mode, m.after, m.runs, m.target, m.quiet, "
				    "(SELECT zero_drift FROM behave_profiles WHERE key = ?1) "
				    "FROM modes m WHERE m.kind = '" BEH_MODES_KIND
				    "' AND m.name = ?1",
				    -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, p->key, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		p->stored = true;
		if (bh_prof_mode_parse((const char *)sqlite3_column_text(st, 0), &p->mode, NULL) <
		    0)
			p->mode = BH_PROF_DISCOVER;
		p->has_rule = sqlite3_column_type(st, 2) != SQLITE_NULL &&
			      bh_prof_mode_parse((const char *)sqlite3_column_text(st, 3),
						 &p->rule.to, NULL) == 0;
		if (p->has_rule) {
			p->rule.seconds = sqlite3_column_double(st, 1);
			p->rule.runs = (uint32_t)sqlite3_column_int64(st, 2);
		}
		p->quiet = sqlite3_column_int64(st, 4);
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			p->zero_drift = sqlite3_column_int(st, 5) != 0;
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return bh_sqlite_error(b->store->db, rc, "reading the mode", err);
	return 0;
}

/* ---- flush ----------------------------------------------------------------- */

static int write_item(sqlite3_stmt *st, const char *key, const struct beh_item *it)
{
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, bh_behave_kind_name((enum bh_behave_kind)it->kind), -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 3, it->value, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, it->extra, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)it->count);
	sqlite3_bind_int64(st, 6, (int64_t)it->first_ns);
	sqlite3_bind_int64(st, 7, (int64_t)it->last_ns);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

static char *containers_json(const struct beh_profile *p)
{
	json_t *a = json_array();
	char *s;

	for (size_t i = 0; i < p->ncontainers; i++)
		json_array_append_new(a, json_string(p->containers[i]));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

/* The promotion rule at a flush of a profile in discover that had events. */
static int promote(struct bh_behave *b, struct beh_profile *p, const char *now,
		   struct bh_error **err)
{
	sqlite3_stmt *st = NULL;
	double seconds;
	char *why = NULL;
	bool met;
	int rc;

	if (!p->has_rule || p->mode != BH_PROF_DISCOVER || !p->active)
		return 0;
	p->quiet = p->learned ? 0 : p->quiet + 1;
	seconds = p->disc_last_ns > p->disc_first_ns
			  ? (double)(p->disc_last_ns - p->disc_first_ns) / 1e9
			  : 0;
	met = bh_prof_rule_met(&p->rule, (uint64_t)p->quiet, seconds,
			       p->lost || p->overflowed ? 1 : 0, &why);
	rc = sqlite3_prepare_v2(
		b->store->db,
		"UPDATE modes SET quiet = ?2, mode = CASE WHEN ?3 THEN ?4 ELSE mode "
		"END, changed = CASE WHEN ?3 THEN ?5 ELSE changed END, reason = CASE "
		"WHEN ?3 THEN ?6 ELSE reason END, automatic = CASE WHEN ?3 THEN 1 "
		"ELSE automatic END, last_new = CASE WHEN ?7 THEN ?5 ELSE last_new "
		"END WHERE kind = '" BEH_MODES_KIND "' AND name = ?1",
		-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, p->key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, p->quiet);
		sqlite3_bind_int(st, 3, met);
		sqlite3_bind_text(st, 4, bh_prof_mode_name(p->rule.to), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, why, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 7, p->learned);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	free(why);
	if (rc != SQLITE_DONE)
		return bh_sqlite_error(b->store->db, rc, "promoting", err);
	if (met)
		p->mode = p->rule.to;
	return 0;
}

int bh_behave_flush(struct bh_behave *b, struct bh_error **err)
{
	sqlite3 *db = b->store->db;
	sqlite3_stmt *prof = NULL, *item = NULL, *del = NULL;
	char now[BH_TIME_MAX];
	bool any = false;
	int rc = SQLITE_OK;

	b->since_flush = 0;
	b->last_flush_ms = (uint64_t)beh_now_ms();
	if (b->o.check)
		return 0;
	for (size_t i = 0; i < BEH_NBUCKETS && !any; i++)
		for (struct beh_profile *p = b->buckets[i]; p && !any; p = p->next)
			any = p->dirty;
	if (any) {
		bh_time_rfc3339(NULL, 0, now);
		if (bh_sqlite_exec(db, "BEGIN IMMEDIATE", "locking the store", err) < 0)
			goto fail;
		rc = sqlite3_prepare_v2(
			db,
			"INSERT INTO behave_profiles (key, overflowed, lost, events, first, last, "
			"disc_first, disc_last, containers, created, updated) VALUES (?1, ?2, ?3, "
			"?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10) ON CONFLICT (key) DO UPDATE SET "
			"overflowed = ?2, lost = ?3, events = ?4, first = ?5, last = ?6, "
			"disc_first = ?7, disc_last = ?8, containers = ?9, updated = ?10",
			-1, &prof, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_prepare_v2(
				db,
				"INSERT OR REPLACE INTO behave_items VALUES (?, ?, ?, ?, ?, ?, ?)",
				-1, &item, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_prepare_v2(db, "DELETE FROM behave_items WHERE key = ?", -1,
						&del, NULL);
		for (size_t i = 0; i < BEH_NBUCKETS && rc == SQLITE_OK; i++) {
			for (struct beh_profile *p = b->buckets[i]; p && rc == SQLITE_OK;
			     p = p->next) {
				char *cj;

				if (!p->dirty)
					continue;
				cj = containers_json(p);
				sqlite3_reset(prof);
				sqlite3_bind_text(prof, 1, p->key, -1, SQLITE_STATIC);
				sqlite3_bind_int(prof, 2, p->overflowed);
				sqlite3_bind_int(prof, 3, p->lost);
				sqlite3_bind_int64(prof, 4, (int64_t)p->events);
				sqlite3_bind_int64(prof, 5, (int64_t)p->first_ns);
				sqlite3_bind_int64(prof, 6, (int64_t)p->last_ns);
				sqlite3_bind_int64(prof, 7, (int64_t)p->disc_first_ns);
				sqlite3_bind_int64(prof, 8, (int64_t)p->disc_last_ns);
				sqlite3_bind_text(prof, 9, cj, -1, SQLITE_TRANSIENT);
				sqlite3_bind_text(prof, 10, now, -1, SQLITE_STATIC);
				rc = sqlite3_step(prof) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
				free(cj);
				if (rc == SQLITE_OK && p->rewrite) {
					sqlite3_reset(del);
					sqlite3_bind_text(del, 1, p->key, -1, SQLITE_STATIC);
					if (sqlite3_step(del) != SQLITE_DONE)
						rc = SQLITE_ERROR;
				}
				for (size_t k = 0; k < p->cap && rc == SQLITE_OK; k++)
					if (p->tab[k] && (p->tab[k]->dirty || p->rewrite) &&
					    write_item(item, p->key, p->tab[k]) < 0)
						rc = SQLITE_ERROR;
			}
		}
		if (rc != SQLITE_OK) {
			bh_sqlite_error(db, sqlite3_errcode(db), "writing", err);
			goto fail;
		}
		for (size_t i = 0; i < BEH_NBUCKETS; i++)
			for (struct beh_profile *p = b->buckets[i]; p; p = p->next)
				if (p->dirty && promote(b, p, now, err) < 0)
					goto fail;
		if (bh_sqlite_exec(db, "COMMIT", "committing", err) < 0)
			goto fail;
		for (size_t i = 0; i < BEH_NBUCKETS; i++)
			for (struct beh_profile *p = b->buckets[i]; p; p = p->next) {
				if (!p->dirty)
					continue;
				for (size_t k = 0; k < p->cap; k++)
					if (p->tab[k])
						p->tab[k]->dirty = false;
				p->dirty = p->rewrite = p->learned = p->active = false;
				p->stored = true;
			}
	}
	sqlite3_finalize(prof);
	sqlite3_finalize(item);
	sqlite3_finalize(del);
	prof = item = del = NULL;
	/* what the command line changed since */
	for (size_t i = 0; i < BEH_NBUCKETS; i++)
		for (struct beh_profile *p = b->buckets[i]; p; p = p->next)
			if (beh_load_mode(b, p, err) < 0)
				goto fail_read;
	return 0;
fail:
	sqlite3_finalize(prof);
	sqlite3_finalize(item);
	sqlite3_finalize(del);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	prof_full_hint(b->store->path, err);
fail_read:
	return bh_error_prefix(err, "behaviour profiles: profile store %s", b->store->path);
}

static int data_version(struct bh_behave *b, int64_t *out, struct bh_error **err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(b->store->db, "PRAGMA data_version", -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return bh_sqlite_error(b->store->db, rc, "reading the store's version", err);
	return 0;
}

int bh_behave_reload(struct bh_behave *b, struct bh_error **err)
{
	int64_t v = 0;

	if (data_version(b, &v, err) < 0)
		return bh_error_prefix(err, "behaviour profiles: profile store %s", b->store->path);
	if (v == b->data_version)
		return 0;
	b->data_version = v;
	for (size_t i = 0; i < BEH_NBUCKETS; i++)
		for (struct beh_profile *p = b->buckets[i]; p; p = p->next)
			if (beh_load_mode(b, p, err) < 0)
				return bh_error_prefix(err, "behaviour profiles: profile store %s",
						       b->store->path);
	return 1;
}

/* A JSON string of s; bytes that are not UTF-8 (a path from the kernel may
 * have them) become '?'. */
json_t *beh_str_json(const char *s)
{
	json_t *j = json_string(s);
	char *c;

	if (j)
		return j;
	c = bh_strdup(s);
	for (char *p = c; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(c);
	free(c);
	return j;
}

json_t *bh_behave_verdict_json(const struct bh_behave_verdict *v, const struct bh_mon_event *ev)
{
	json_t *o = json_object();

	json_object_set_new(o, "key", beh_str_json(v->key));
	json_object_set_new(o, "mode", json_string(bh_prof_mode_name(v->mode)));
	json_object_set_new(o, "result", json_string(bh_behave_result_name(v->result)));
	json_object_set_new(o, "kind", json_string(bh_behave_kind_name(v->kind)));
	json_object_set_new(o, "value", beh_str_json(v->value));
	json_object_set_new(o, "block", json_boolean(v->block));
	json_object_set_new(o, "overflowed", json_boolean(v->overflowed));
	if (ev) {
		const char *t = bh_mon_type_name(ev->type);

		json_object_set_new(o, "time", json_integer((json_int_t)ev->ts_ns));
		json_object_set_new(o, "type", json_string(t ? t : "?"));
		json_object_set_new(o, "container", beh_str_json(ev->container.id));
		json_object_set_new(o, "pid", json_integer(ev->proc.pid));
		json_object_set_new(o, "exe", beh_str_json(ev->proc.exe));
	}
	return o;
}
