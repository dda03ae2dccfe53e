/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the controller's store: what src/ctl/claim.c needs of store.c, and
 * the schema store.c migrates to (src/ctl/schema.c). */
#ifndef BULKHEAD_CTL_STORE_INT_H
#define BULKHEAD_CTL_STORE_INT_H

#include "bulkhead/ctl.h"

/* This process among the replicas sharing the store: "host/pid/random". */
const char *bh_ctl_store_holder(const struct bh_ctl_store *s);

/* PostgreSQL only: try to take (lock) or let go of the session advisory lock
 * key on a connection of the store's own, *got whether it did. */
int bh_ctl_store_advisory(struct bh_ctl_store *s, int64_t key, bool lock, bool *got,
			  struct bh_error **err);

/* A migration (src/ctl/schema.c): SQLite's DDL, and PostgreSQL's where it
 * differs (else NULL). */
struct bh_ctl_step {
	const char *sqlite;
	const char *pg;
};

/* Step i (0-based) of the schema, NULL past the last
 * (bh_ctl_store_schema_latest steps in all). */
const struct bh_ctl_step *bh_ctl_schema_step(int64_t i);

#endif
