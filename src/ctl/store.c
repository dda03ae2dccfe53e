/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's store (include/bulkhead/ctl.h): one interface, two
 * back-ends (SQLite, PostgreSQL through libpq), the same migrations and the
 * same `?`-placeholder SQL for both.
 *
 * Connections: SQLite has one (its writers are serialised by the file's
 * lock anyway; WAL lets readers of other processes go on); PostgreSQL a pool
 * of up to POOL_MAX, each made when a thread finds none free, so every
 * worker thread of the API gets its own. A transaction holds its connection
 * until it ends; a query outside one takes any free connection for itself.
 * Each connection keeps its prepared statements by SQL text (and the
 * parameters' types), so a statement run again is neither parsed nor planned
 * again. The back-ends themselves (SQLite, PostgreSQL, the statement cache)
 * are src/ctl/store_be.c; here the pool, transactions, group commit,
 * advisory locks and migrations.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/ctl.h"
#include "ctl/store_be_int.h"
#include "ctl/store_int.h"
#include "lazy/pq.h"
#include "sqlite.h"
#include "banned.h"

#define POOL_MAX 8 /* PostgreSQL connections of one store */
#define READERS	 4 /* SQLite: read-only connections beside the writer */
/* ingest17: SQLite checkpoints its WAL into the file after the commit that
 * takes it over CKPT_PAGES (its default is 1000: 4 MiB). Each checkpoint is
 * on the committing thread's path (a copy and two fsyncs); a larger window
 * copies a page changed by many commits (an index's leaf) once, not once per
 * 4 MiB. The WAL file is cut back to WAL_LIMIT bytes after one. */
#define CKPT_PAGES "8192"
#define WAL_LIMIT  "67108864"

struct bh_ctl_store {
	const struct backend *be;
	char *url; /* PostgreSQL: to make more connections */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a connection was given back */
	struct conn conns[POOL_MAX];
	size_t max; /* connections allowed: 1 for SQLite */
	/* ingest17: SQLite's readers, for a SELECT outside a transaction (WAL:
	 * they read the last commit while the writer holds its transaction, so
	 * an API request's token check does not wait for a group commit) */
	struct conn readers[READERS];
	size_t nreaders;
	pthread_cond_t rcv;  /* a reader was given back */
	uint64_t reconnects; /* PostgreSQL: broken connections made anew */
	char holder[96];     /* this process among the replicas: host/pid/random */
	/* PostgreSQL: the connection of this process's advisory locks (its own:
	 * a pooled one would hand them to whichever thread took it next) */
	pthread_mutex_t lock_mu;
	struct conn lock;
	/* SQLite's group commit (bh_ctl_store_tx_group): the transactions
	 * waiting, and whether a thread is committing a group */
	pthread_mutex_t group_mu;
	pthread_cond_t group_cv;
	struct group_req *queued, **queued_tail;
	size_t nqueued;
	bool leader;
	/* ingest17: where the time goes (bh_ctl_store_timing) */
	atomic_uint_fast64_t t_groups, t_grouped, t_queue, t_run, t_commit, t_conn_wait, t_reads;
};

#define GROUP_MAX 64 /* transactions in one commit, and waiting for one */

struct group_req {
	int (*fn)(void *ctx, struct bh_error **err);
	void *ctx;
	struct bh_error *err;
	int rc;
	bool done;
	uint64_t queued; /* CLOCK_MONOTONIC ns */
	struct group_req *next;
};

/* ---- the pool ---------------------------------------------------------------------------- */

/* The connection of this thread's transaction, or NULL. */
static struct conn *tx_conn(struct bh_ctl_store *s)
{
	pthread_t self = pthread_self();
	struct conn *c = NULL;

	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->max && !c; i++)
		if (s->conns[i].in_tx && pthread_equal(s->conns[i].owner, self))
			c = &s->conns[i];
	pthread_mutex_unlock(&s->mu);
	return c;
}

/* A free connection taken for this thread: an open one, or a new one while
 * the pool has room, or the first given back. */
static int take(struct bh_ctl_store *s, struct conn **out, struct bh_error **err)
{
	struct conn *c;
	uint64_t waited = 0;

	*out = NULL;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct conn *empty = NULL;

		for (size_t i = 0; i < s->max; i++) {
			c = &s->conns[i];
			if (c->busy)
				continue;
			if (c->lite || c->pg)
				goto got;
			if (!empty)
				empty = c;
		}
		if (empty) {
			/* connect without the lock: the slot is ours meanwhile */
			empty->busy = true;
			pthread_mutex_unlock(&s->mu);
			if (bh_ctl_pg_connect(s->url, &empty->pg, err) < 0) {
				pthread_mutex_lock(&s->mu);
				empty->busy = false;
				pthread_cond_signal(&s->cv);
				pthread_mutex_unlock(&s->mu);
				return -1;
			}
			pthread_mutex_lock(&s->mu);
			c = empty;
			goto got;
		}
		if (!waited)
			waited = bh_mono_ns();
		pthread_cond_wait(&s->cv, &s->mu);
	}
got:
	if (waited)
		atomic_fetch_add(&s->t_conn_wait, bh_mono_ns() - waited);
	c->busy = true;
	c->in_tx = false;
	c->owner = pthread_self();
	pthread_mutex_unlock(&s->mu);
	*out = c;
	return 0;
}

static void give_back(struct bh_ctl_store *s, struct conn *c)
{
	pthread_mutex_lock(&s->mu);
	c->busy = false;
	c->in_tx = false;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* SQLite: the reader this thread holds already (*own: a SELECT from a row
 * function of its own, which never waits for a second one: with every reader
 * held that way it would wait forever; the back-end runs nested statements),
 * else a free reader (there is one unless all are busy: then the first given
 * back). */
static struct conn *take_reader(struct bh_ctl_store *s, bool *own)
{
	pthread_t self = pthread_self();
	uint64_t waited = 0;

	*own = false;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->nreaders; i++)
		if (s->readers[i].busy && pthread_equal(s->readers[i].owner, self)) {
			*own = true;
			pthread_mutex_unlock(&s->mu);
			return &s->readers[i];
		}
	for (;;) {
		for (size_t i = 0; i < s->nreaders; i++) {
			struct conn *c = &s->readers[i];

			if (c->busy)
				continue;
			c->busy = true;
			c->owner = pthread_self();
			pthread_mutex_unlock(&s->mu);
			if (waited)
				atomic_fetch_add(&s->t_conn_wait, bh_mono_ns() - waited);
			return c;
		}
		if (!waited)
			waited = bh_mono_ns();
		pthread_cond_wait(&s->rcv, &s->mu);
	}
}

static void give_back_reader(struct bh_ctl_store *s, struct conn *c)
{
	pthread_mutex_lock(&s->mu);
	c->busy = false;
	pthread_cond_signal(&s->rcv);
	pthread_mutex_unlock(&s->mu);
}

/* A statement that only reads: "SELECT ..." (SQLite's readers are opened
 * read-only besides: anything else there would fail, not write). */
static bool is_select(const char *sql)
{
	while (*sql == ' ' || *sql == '\t' || *sql == '\n')
		sql++;
	return !strncasecmp(sql, "SELECT", 6) &&
	       (sql[6] == ' ' || sql[6] == '\t' || sql[6] == '\n');
}

static void pass_error(struct bh_error **err, struct bh_error *e)
{
	if (err && !*err)
		*err = e;
	else
		bh_error_free(e);
}

/*
 * After a failure outside a transaction, with c taken: a PostgreSQL
 * connection that broke (the server restarted, a proxy cut it) is made anew
 * once. True when it was, so the statement may run again: it was not in a
 * transaction, so nothing else of the caller's is lost with the old session.
 * Its prepared statements went with the old session.
 */
static bool reconnect(struct bh_ctl_store *s, struct conn *c)
{
	if (!c->pg || PQstatus(c->pg) != CONNECTION_BAD)
		return false;
	if (!bh_ctl_pg_reset(c))
		return false;
	pthread_mutex_lock(&s->mu);
	s->reconnects++;
	pthread_mutex_unlock(&s->mu);
	bh_info("controller store: the PostgreSQL connection broke and was made anew");
	return true;
}

int bh_ctl_store_query(struct bh_ctl_store *s, const char *sql, const struct bh_ctl_val *params,
		       size_t n, bh_ctl_row_fn row, void *ctx, int64_t *changes,
		       struct bh_error **err)
{
	struct bh_error *first = NULL;
	struct conn *c;
	int rc;

	if (n > MAX_PARAMS)
		return bh_error_set(err, BH_ERR_INTERNAL, "a query of %zu values", n);
	c = tx_conn(s);
	if (c)
		return s->be->query(c, sql, params, n, row, ctx, changes, err);
	if (s->nreaders && is_select(sql)) {
		bool own;

		c = take_reader(s, &own);
		rc = s->be->query(c, sql, params, n, row, ctx, changes, err);
		if (!own)
			give_back_reader(s, c);
		atomic_fetch_add(&s->t_reads, 1);
		return rc;
	}
	if (take(s, &c, err) < 0)
		return -1;
	rc = s->be->query(c, sql, params, n, row, ctx, changes, &first);
	/* libpq has the whole result before row sees any: a broken connection
	 * fails before a row is handed on, so none is handed twice */
	if (rc < 0 && reconnect(s, c)) {
		bh_error_free(first);
		first = NULL;
		rc = s->be->query(c, sql, params, n, row, ctx, changes, &first);
	}
	give_back(s, c);
	if (rc < 0)
		pass_error(err, first);
	return rc;
}

int bh_ctl_store_tx(struct bh_ctl_store *s, int (*fn)(void *ctx, struct bh_error **err), void *ctx,
		    struct bh_error **err)
{
	struct bh_error *e2 = NULL;
	struct conn *c;
	int rc;

	if (tx_conn(s))
		return bh_error_set(err, BH_ERR_INTERNAL, "a nested store transaction");
	if (take(s, &c, err) < 0)
		return -1;
	if (s->be->exec(c, s->be->begin, &e2) < 0) {
		/* nothing of the transaction ran yet: a new connection may begin it */
		if (!reconnect(s, c) ||
		    (bh_error_clear(&e2), s->be->exec(c, s->be->begin, &e2)) < 0) {
			give_back(s, c);
			pass_error(err, e2);
			return -1;
		}
	}
	pthread_mutex_lock(&s->mu);
	c->in_tx = true;
	pthread_mutex_unlock(&s->mu);
	rc = fn(ctx, err);
	pthread_mutex_lock(&s->mu);
	c->in_tx = false;
	pthread_mutex_unlock(&s->mu);
	if (rc >= 0 && s->be->exec(c, "COMMIT", err) < 0)
		rc = -1;
	if (rc < 0) {
		/* after a failed COMMIT PostgreSQL has already ended it: harmless */
		if (s->be->exec(c, "ROLLBACK", &e2) < 0)
			bh_error_free(e2);
	}
	give_back(s, c);
	return rc;
}

/* ---- group commit ------------------------------------------------------------------------ */

/* r failed with e's error (a copy: each caller frees its own). */
static void group_fail(struct group_req *r, const struct bh_error *e)
{
	char *m = bh_error_message(e);

	r->rc = -1;
	if (!r->err)
		bh_error_set(&r->err, bh_error_code(e), "%s", m ? m : "the store failed");
	free(m);
}

/* The transactions of list in one: each fn in a savepoint of its own (one
 * that fails is rolled back alone), then one COMMIT for all. */
static void group_run(struct bh_ctl_store *s, struct group_req *list)
{
	struct bh_error *e = NULL;
	struct conn *c;
	bool broken = false;
	uint64_t t0 = bh_mono_ns(), t1, n = 0;

	for (struct group_req *r = list; r; r = r->next, n++)
		atomic_fetch_add(&s->t_queue, t0 - r->queued);
	atomic_fetch_add(&s->t_groups, 1);
	atomic_fetch_add(&s->t_grouped, n);
	if (take(s, &c, &e) < 0) {
		for (struct group_req *r = list; r; r = r->next)
			group_fail(r, e);
		bh_error_free(e);
		return;
	}
	if (s->be->exec(c, s->be->begin, &e) < 0) {
		for (struct group_req *r = list; r; r = r->next)
			group_fail(r, e);
		bh_error_free(e);
		give_back(s, c);
		return;
	}
	pthread_mutex_lock(&s->mu);
	c->in_tx = true;
	pthread_mutex_unlock(&s->mu);
	for (struct group_req *r = list; r && !broken; r = r->next) {
		if (s->be->exec(c, "SAVEPOINT bh_group", &r->err) < 0) {
			r->rc = -1;
			broken = true;
			break;
		}
		r->rc = r->fn(r->ctx, &r->err);
		if (r->rc < 0 && (s->be->exec(c, "ROLLBACK TO bh_group", &e) < 0))
			broken = true;
		if (!broken && s->be->exec(c, "RELEASE bh_group", &e) < 0)
			broken = true;
	}
	pthread_mutex_lock(&s->mu);
	c->in_tx = false;
	pthread_mutex_unlock(&s->mu);
	t1 = bh_mono_ns();
	atomic_fetch_add(&s->t_run, t1 - t0);
	if (!broken && s->be->exec(c, "COMMIT", &e) < 0)
		broken = true;
	atomic_fetch_add(&s->t_commit, bh_mono_ns() - t1);
	if (broken) {
		/* nothing of the group is kept: every one fails */
		struct bh_error *e2 = NULL;

		if (!e)
			bh_error_set(&e, BH_ERR_INTERNAL, "a group of transactions failed");
		for (struct group_req *r = list; r; r = r->next)
			if (r->rc >= 0 || !r->err)
				group_fail(r, e);
		if (s->be->exec(c, "ROLLBACK", &e2) < 0)
			bh_error_free(e2);
	}
	bh_error_free(e);
	give_back(s, c);
}

int bh_ctl_store_tx_group(struct bh_ctl_store *s, int (*fn)(void *ctx, struct bh_error **err),
			  void *ctx, struct bh_error **err)
{
	struct group_req me = { fn, ctx, NULL, 0, false, bh_mono_ns(), NULL };

	/* PostgreSQL: a connection each, and its own group commit */
	if (s->max > 1)
		return bh_ctl_store_tx(s, fn, ctx, err);
	if (tx_conn(s))
		return bh_error_set(err, BH_ERR_INTERNAL, "a nested store transaction");
	pthread_mutex_lock(&s->group_mu);
	while (s->nqueued >= GROUP_MAX)
		pthread_cond_wait(&s->group_cv, &s->group_mu);
	*s->queued_tail = &me;
	s->queued_tail = &me.next;
	s->nqueued++;
	while (!me.done) {
		struct group_req *list;

		if (s->leader) {
			pthread_cond_wait(&s->group_cv, &s->group_mu);
			continue;
		}
		/* this thread commits every transaction waiting (its own among them) */
		s->leader = true;
		list = s->queued;
		s->queued = NULL;
		s->queued_tail = &s->queued;
		s->nqueued = 0;
		pthread_cond_broadcast(&s->group_cv);
		pthread_mutex_unlock(&s->group_mu);
		group_run(s, list);
		pthread_mutex_lock(&s->group_mu);
		for (struct group_req *r = list, *next; r; r = next) {
			next = r->next;
			r->done = true; /* r (another thread's) may be gone after this */
		}
		s->leader = false;
		pthread_cond_broadcast(&s->group_cv);
	}
	pthread_mutex_unlock(&s->group_mu);
	if (me.rc < 0 && !me.err)
		bh_error_set(&me.err, BH_ERR_INTERNAL, "a grouped store transaction failed");
	if (me.rc < 0 && err && !*err)
		*err = me.err;
	else
		bh_error_free(me.err);
	return me.rc;
}

void bh_ctl_store_timing(struct bh_ctl_store *s, struct bh_ctl_store_timing *out)
{
	out->groups = atomic_load(&s->t_groups);
	out->grouped = atomic_load(&s->t_grouped);
	out->queue_ns = atomic_load(&s->t_queue);
	out->run_ns = atomic_load(&s->t_run);
	out->commit_ns = atomic_load(&s->t_commit);
	out->conn_wait_ns = atomic_load(&s->t_conn_wait);
	out->reads = atomic_load(&s->t_reads);
}

uint64_t bh_ctl_store_reconnects(struct bh_ctl_store *s)
{
	uint64_t n;

	pthread_mutex_lock(&s->mu);
	n = s->reconnects;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* ---- replicas' claims (src/ctl/claim.c) ----------------------------------------------- */

const char *bh_ctl_store_holder(const struct bh_ctl_store *s)
{
	return s->holder;
}

static int bool_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	(void)err;
	*(bool *)ctx = n == 1 && !c[0].null && c[0].type == BH_CTL_TEXT && c[0].s[0] == 't';
	return 0;
}

int bh_ctl_store_advisory(struct bh_ctl_store *s, int64_t key, bool lock, bool *got,
			  struct bh_error **err)
{
	struct bh_ctl_val p[] = { BH_CTL_I(key) };
	int rc = -1;

	*got = false;
	if (s->be != &bh_ctl_store_pg)
		return bh_error_set(err, BH_ERR_INTERNAL, "advisory locks are PostgreSQL's");
	pthread_mutex_lock(&s->lock_mu);
	if (s->lock.pg && PQstatus(s->lock.pg) == CONNECTION_BAD) {
		/* the server let go of its locks with the session */
		bh_ctl_pg_close(&s->lock);
	}
	if (!s->lock.pg && (!lock || bh_ctl_pg_connect(s->url, &s->lock.pg, err) < 0))
		goto out;
	rc = bh_ctl_pg_query(
		&s->lock, lock ? "SELECT pg_try_advisory_lock(?)" : "SELECT pg_advisory_unlock(?)",
		p, 1, bool_row, got, NULL, err);
out:
	pthread_mutex_unlock(&s->lock_mu);
	return rc;
}

struct migrate {
	struct bh_ctl_store *s;
	int64_t step; /* the step to run; -1: only make the version table */
	bool done;    /* another process had already run it */
};

static int migrate_step(void *arg, struct bh_error **err)
{
	struct migrate *m = arg;
	struct bh_ctl_store *s = m->s;
	struct conn *c = tx_conn(s);
	bool pg = s->be == &bh_ctl_store_pg;
	int64_t v = -1;
	struct bh_ctl_val p[1];
	const struct bh_ctl_step *st;

	/* two controllers starting on one new database migrate it once: under
	 * SQLite BEGIN IMMEDIATE serialises, PostgreSQL takes a lock */
	if (pg && s->be->exec(c, "SELECT pg_advisory_xact_lock(1717171717)", err) < 0)
		return -1;
	if (s->be->exec(c, "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)",
			err) < 0)
		return -1;
	if (bh_ctl_store_query(s, "SELECT version FROM schema_version", NULL, 0, bh_ctl_row_int, &v,
			       NULL, err) < 0)
		return -1;
	if (v < 0) {
		v = 0;
		p[0] = BH_CTL_I(0);
		if (bh_ctl_store_query(s, "INSERT INTO schema_version (version) VALUES (?)", p, 1,
				       NULL, NULL, NULL, err) < 0)
			return -1;
	}
	if (v > bh_ctl_store_schema_latest())
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "the controller store is at schema version %" PRId64
				    ", newer than this bulkhead's %" PRId64 ": upgrade bulkhead",
				    v, bh_ctl_store_schema_latest());
	if (m->step < 0 || v != m->step) {
		m->done = v > m->step;
		return 0;
	}
	st = bh_ctl_schema_step(v);
	if (s->be->exec(c, pg && st->pg ? st->pg : st->sqlite, err) < 0)
		return bh_error_prefix(err, "migration %" PRId64, v + 1);
	p[0] = BH_CTL_I(v + 1);
	return bh_ctl_store_query(s, "UPDATE schema_version SET version = ?", p, 1, NULL, NULL,
				  NULL, err);
}

static int migrate(struct bh_ctl_store *s, struct bh_error **err)
{
	struct migrate m = { s, -1, false };

	if (bh_ctl_store_tx(s, migrate_step, &m, err) < 0)
		return -1;
	for (int64_t i = 0; i < bh_ctl_store_schema_latest(); i++) {
		m.step = i;
		if (bh_ctl_store_tx(s, migrate_step, &m, err) < 0)
			return -1;
	}
	return 0;
}

int bh_ctl_store_version(struct bh_ctl_store *s, int64_t *out, struct bh_error **err)
{
	*out = 0;
	return bh_ctl_store_query(s, "SELECT version FROM schema_version", NULL, 0, bh_ctl_row_int,
				  out, NULL, err);
}

const char *bh_ctl_store_backend(const struct bh_ctl_store *s)
{
	return s->be->name;
}

static bool is_pg_url(const char *db)
{
	return bh_str_has_prefix(db, "postgresql://") || bh_str_has_prefix(db, "postgres://");
}

static void store_free(struct bh_ctl_store *s)
{
	for (size_t i = 0; i < POOL_MAX; i++)
		if (s->conns[i].lite || s->conns[i].pg)
			s->be->close(&s->conns[i]);
	for (size_t i = 0; i < s->nreaders; i++)
		s->be->close(&s->readers[i]);
	pthread_cond_destroy(&s->rcv);
	if (s->lock.pg)
		bh_ctl_pg_close(&s->lock);
	pthread_mutex_destroy(&s->lock_mu);
	pthread_mutex_destroy(&s->group_mu);
	pthread_cond_destroy(&s->group_cv);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->url);
	free(s);
}

int bh_ctl_store_open(const char *db, struct bh_ctl_store **out, struct bh_error **err)
{
	struct bh_ctl_store *s;
	int fd;

	*out = NULL;
	if (!db || !*db)
		return bh_error_set(err, BH_ERR_USAGE, "no controller database given");
	s = bh_calloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_cond_init(&s->rcv, NULL);
	pthread_mutex_init(&s->lock_mu, NULL);
	pthread_mutex_init(&s->group_mu, NULL);
	pthread_cond_init(&s->group_cv, NULL);
	s->queued_tail = &s->queued;
	{
		char host[64] = "";
		uint64_t r = 0;

		gethostname(host, sizeof(host) - 1);
		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			r = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
		snprintf(s->holder, sizeof(s->holder), "%.63s/%ld/%016" PRIx64, host,
			 (long)getpid(), r);
	}
	if (is_pg_url(db)) {
		s->be = &bh_ctl_store_pg;
		s->max = POOL_MAX;
		if (bh_lazy_require(&bh_lazy_pq, err) < 0)
			goto fail;
		s->url = bh_strdup(db);
		/* the first connection now: a wrong URL fails here, not at a query */
		if (bh_ctl_pg_connect(db, &s->conns[0].pg, err) < 0)
			goto fail;
	} else {
		s->be = &bh_ctl_store_sqlite;
		s->max = 1;
		if (bh_lazy_require(&bh_lazy_sqlite3, err) < 0)
			goto fail;
		/* password and token hashes: a new file is the owner's only (SQLite
		 * gives its -wal and -shm the same mode) */
		fd = open(db, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			bh_error_sys(err, errno, "%s", db);
			goto fail;
		}
		close(fd);
		if (bh_sqlite_open(db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 5000,
				   "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
				   " PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=" CKPT_PAGES
				   "; PRAGMA journal_size_limit=" WAL_LIMIT ";",
				   db, &s->conns[0].lite, err) < 0)
			goto fail;
	}
	if (migrate(s, err) < 0)
		goto fail;
	/* SQLite's readers, on the migrated file (WAL: they see each commit) */
	for (size_t i = 0; s->be == &bh_ctl_store_sqlite && i < READERS; i++) {
		if (bh_sqlite_open(db, SQLITE_OPEN_READONLY, 5000, NULL, db, &s->readers[i].lite,
				   err) < 0)
			goto fail;
		s->nreaders++;
	}
	*out = s;
	return 0;
fail:
	store_free(s);
	return bh_error_prefix(err, "controller store");
}

void bh_ctl_store_free(struct bh_ctl_store *s)
{
	if (s)
		store_free(s);
}
