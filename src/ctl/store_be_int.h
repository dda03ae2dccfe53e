/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the controller's store: the two back-ends (src/ctl/store_be.c,
 * SQLite and PostgreSQL) that store.c's pool, transactions and migrations
 * run on. */
#ifndef BULKHEAD_CTL_STORE_BE_INT_H
#define BULKHEAD_CTL_STORE_BE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bulkhead/ctl.h"
#include "lazy/pq.h"
#include "sqlite.h"

#define MAX_PARAMS 800 /* a multi-row INSERT of a batch: 100 rows of 8 */
#define MAX_COLS   32
#define SQL_MAX	   (16u << 10)
#define STMTS_MAX  64 /* prepared statements kept per connection */

/* A prepared statement kept by its text and its parameters' types. */
struct stmt {
	uint64_t hash;
	char *key; /* types ('i', 't', one per parameter), NUL, then the SQL text */
	size_t keylen;
	sqlite3_stmt *lite;
	bool running;  /* SQLite: stepping (a row function may run a query) */
	char name[16]; /* PostgreSQL's name of it */
};

struct conn {
	sqlite3 *lite;
	PGconn *pg;
	bool busy;	 /* taken by a query or a transaction */
	bool in_tx;	 /* taken by a transaction of owner's */
	pthread_t owner; /* while busy */
	struct stmt stmts[STMTS_MAX];
	size_t nstmts;
};

struct backend {
	const char *name;
	int (*query)(struct conn *c, const char *sql, const struct bh_ctl_val *p, size_t n,
		     bh_ctl_row_fn row, void *ctx, int64_t *changes, struct bh_error **err);
	/* one or more statements, no parameters, no rows */
	int (*exec)(struct conn *c, const char *sql, struct bh_error **err);
	void (*close)(struct conn *c);
	const char *begin; /* the statement that opens a write transaction */
};

extern const struct backend bh_ctl_store_sqlite;
extern const struct backend bh_ctl_store_pg;

/* A new PostgreSQL connection to url, set up (notices quiet, custom plans). */
int bh_ctl_pg_connect(const char *url, PGconn **out, struct bh_error **err);
/* c's statements and its PostgreSQL connection let go of. */
void bh_ctl_pg_close(struct conn *c);
int bh_ctl_pg_query(struct conn *cn, const char *sql, const struct bh_ctl_val *p, size_t n,
		    bh_ctl_row_fn row, void *ctx, int64_t *changes, struct bh_error **err);
/* c's broken PostgreSQL session made anew (its prepared statements dropped):
 * true when it is connected again. */
bool bh_ctl_pg_reset(struct conn *c);

#endif
