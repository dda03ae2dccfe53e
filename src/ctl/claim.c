/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Jobs one replica does (include/bulkhead/ctl.h): controllers sharing one
 * store claim a job (the rematch after an advisory update, the scan of a
 * pushed digest) before doing it. PostgreSQL: a session advisory lock on
 * the store's own connection, let go by the server when this process dies;
 * SQLite: the job's row in table claims, leased for lease_s seconds. Either
 * way the row keeps when a holder last finished the job, so a replica that
 * comes second sees it done by another.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bulkhead/ctl.h"
#include "ctl/store_int.h"
#include "banned.h"

static bool is_pg(struct bh_ctl_store *s)
{
	return !strcmp(bh_ctl_store_backend(s), "postgresql");
}

/* the advisory lock's key: FNV-1a of the job's name, a positive bigint */
static int64_t job_key(const char *job)
{
	uint64_t h = 1469598103934665603ull;

	for (const char *c = job; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	return (int64_t)(h & INT64_MAX);
}

struct claim_tx {
	struct bh_ctl_store *s;
	const char *job;
	int64_t lease_s;
	bool pg, got;
	int64_t done_at;
};

/* done by another holder than this process: when */
static int done_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct claim_tx *t = ctx;

	(void)err;
	if (n == 2 && !c[0].null && c[0].type == BH_CTL_INT && !c[1].null &&
	    strcmp(c[1].s, bh_ctl_store_holder(t->s)))
		t->done_at = c[0].i;
	return 0;
}

static int claim_fn(void *ctx, struct bh_error **err)
{
	struct claim_tx *t = ctx;
	int64_t now = (int64_t)time(NULL), changed = 0;
	struct bh_ctl_val p[] = { BH_CTL_S(t->job), BH_CTL_S(bh_ctl_store_holder(t->s)),
				  BH_CTL_I(now + (t->lease_s > 0 ? t->lease_s : 1)),
				  BH_CTL_I(now) };

	/* read before the row is ours: who did it last */
	if (bh_ctl_store_query(t->s, "SELECT done, holder FROM claims WHERE job = ?", p, 1,
			       done_row, t, NULL, err) < 0)
		return -1;
	/* under the advisory lock the row is ours whatever another's lease said
	 * (its holder is gone); one of ours still held is this process's own
	 * (a session's advisory locks nest): not claimed twice */
	if (bh_ctl_store_query(t->s,
			       t->pg ? "INSERT INTO claims (job, holder, until) VALUES (?, ?, ?)"
				       " ON CONFLICT (job) DO UPDATE SET holder = excluded.holder,"
				       " until = excluded.until WHERE claims.until <= ?"
				       " OR claims.holder <> excluded.holder"
				     : "INSERT INTO claims (job, holder, until) VALUES (?, ?, ?)"
				       " ON CONFLICT (job) DO UPDATE SET holder = excluded.holder,"
				       " until = excluded.until WHERE claims.until <= ?",
			       p, 4, NULL, NULL, &changed, err) < 0)
		return -1;
	t->got = changed == 1;
	return 0;
}

int bh_ctl_claim(struct bh_ctl_store *s, const char *job, int64_t lease_s, bool *got,
		 int64_t *done_at, struct bh_error **err)
{
	struct claim_tx t = { s, job, lease_s, is_pg(s), false, 0 };
	bool locked = false, unlocked;

	*got = false;
	*done_at = 0;
	if (!job || !*job || strlen(job) > BH_CTL_CLAIM_JOB_MAX)
		return bh_error_set(err, BH_ERR_INVALID, "claim: a job name of 1 to %d bytes",
				    BH_CTL_CLAIM_JOB_MAX);
	if (t.pg) {
		if (bh_ctl_store_advisory(s, job_key(job), true, &locked, err) < 0)
			return -1;
		if (!locked)
			return 0;
	}
	if (bh_ctl_store_tx(s, claim_fn, &t, err) < 0) {
		if (locked)
			(void)bh_ctl_store_advisory(s, job_key(job), false, &unlocked, NULL);
		return -1;
	}
	if (locked && !t.got)
		(void)bh_ctl_store_advisory(s, job_key(job), false, &unlocked, NULL);
	*got = t.got;
	*done_at = t.done_at;
	return 0;
}

int bh_ctl_claim_release(struct bh_ctl_store *s, const char *job, bool done, struct bh_error **err)
{
	int64_t now = (int64_t)time(NULL);
	struct bh_ctl_val p[] = { BH_CTL_I(done ? 1 : 0), BH_CTL_I(now), BH_CTL_S(job),
				  BH_CTL_S(bh_ctl_store_holder(s)) };
	bool unlocked = false;
	int rc;

	rc = bh_ctl_store_query(s,
				"UPDATE claims SET until = 0,"
				" done = CASE WHEN ? = 1 THEN ? ELSE done END"
				" WHERE job = ? AND holder = ?",
				p, 4, NULL, NULL, NULL, err);
	if (is_pg(s) && bh_ctl_store_advisory(s, job_key(job), false, &unlocked, err) < 0)
		rc = -1;
	return rc;
}
