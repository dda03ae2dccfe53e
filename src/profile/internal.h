/* SPDX-License-Identifier: Apache-2.0 */
/* What the profile files share (internal prefix `prof_`). */
#ifndef BULKHEAD_PROFILE_INTERNAL_H
#define BULKHEAD_PROFILE_INTERNAL_H

#include "bulkhead/profile.h"

/* The profile store (store.c). */
struct sqlite3;
struct bh_prof_store {
	struct sqlite3 *db;
	char *path;
};

/* An error writing the store at path: say when its file system is full or it
 * reached RLIMIT_FSIZE (SQLite only says "disk I/O error" for some of those). */
void prof_full_hint(const char *path, struct bh_error **err);

/* promote.c: modes and automatic promotion (schema 2) */
/* Make the table of modes (at open; idempotent). */
int prof_migrate_modes(struct sqlite3 *db, struct bh_error **err);
/* In the transaction of a run merged into a row of name: count it (added: the
 * syscalls it added to its row; lost: the events it lost), promote by the rule. */
int prof_mode_after_run(struct bh_prof_store *s, const char *name, const char *container,
			size_t added, uint64_t lost, const char *now, struct bh_error **err);
/* Add "mode" and "promotion" (bh_prof_store_mode) to each profile of arr. */
int prof_add_modes(struct bh_prof_store *s, json_t *arr, struct bh_error **err);
/* After a delete (in its transaction): the mode of name goes when no row is left. */
int prof_drop_orphan_mode(struct bh_prof_store *s, const char *name, struct bh_error **err);

/* Sort each architecture's names (architecture → array), so that a profile
 * reads and diffs stably. */
void prof_sort_names(json_t *syscalls);

#endif
