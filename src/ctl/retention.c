/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's maintenance (lease17, src/ctl/flows.h): the flows
 * retention, pruning the flows, their threats and the seqs held below a
 * per-node floor, on a thread of its own while the controller runs.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/flows.h"
#include "banned.h"

struct prune_tx {
	struct bh_ctl_store *s;
	int64_t cutoff;
	struct bh_ctl_prune_result *res;
};

static int prune_fn(void *ctx, struct bh_error **err)
{
	struct prune_tx *t = ctx;
	/* a bucket holds [bucket, bucket + BH_CTL_FLOW_BUCKET): wholly old */
	struct bh_ctl_val b[] = { BH_CTL_I(t->cutoff - BH_CTL_FLOW_BUCKET) };
	struct bh_ctl_val c[] = { BH_CTL_I(t->cutoff) };

	/* the floor: per node, the newest seq of the records older than the
	 * cutoff, below the node's newest seq (kept: the acked) */
	if (bh_ctl_store_query(
		    t->s,
		    "INSERT INTO flow_floor (node, seq) SELECT f.node, MAX(f.seq) FROM flow_seqs f"
		    " WHERE f.ts < ? AND f.seq < (SELECT MAX(g.seq) FROM flow_seqs g"
		    " WHERE g.node = f.node) GROUP BY f.node"
		    " ON CONFLICT (node) DO UPDATE SET seq = excluded.seq"
		    " WHERE excluded.seq > flow_floor.seq",
		    c, 1, NULL, NULL, NULL, err) < 0)
		return -1;
	if (bh_ctl_store_query(
		    t->s,
		    "DELETE FROM flow_seqs WHERE seq <= (SELECT fl.seq FROM flow_floor fl"
		    " WHERE fl.node = flow_seqs.node)",
		    NULL, 0, NULL, NULL, &t->res->seqs, err) < 0 ||
	    bh_ctl_store_query(t->s, "DELETE FROM flows WHERE bucket < ?", b, 1, NULL, NULL,
			       &t->res->flows, err) < 0 ||
	    bh_ctl_store_query(t->s, "DELETE FROM flow_threats WHERE bucket < ?", b, 1, NULL, NULL,
			       &t->res->threats, err) < 0)
		return -1;
	return 0;
}

int bh_ctl_flows_prune(struct bh_ctl_store *s, int64_t retention_s, int64_t now,
		       struct bh_ctl_prune_result *res, struct bh_error **err)
{
	struct prune_tx t = { s, now - retention_s, res };

	memset(res, 0, sizeof(*res));
	if (retention_s < BH_CTL_FLOW_BUCKET)
		return bh_error_set(err, BH_ERR_USAGE, "flows retention: at least %d s",
				    BH_CTL_FLOW_BUCKET);
	return bh_ctl_store_tx(s, prune_fn, &t, err);
}

/* ---- the thread -------------------------------------------------------------------------- */

struct bh_ctl_maint {
	struct bh_ctl_maint_opts o;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
};

static void *worker(void *arg)
{
	struct bh_ctl_maint *m = arg;

	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		struct bh_ctl_prune_result r;
		struct bh_error *err = NULL;
		struct timespec ts;

		pthread_mutex_unlock(&m->mu);
		if (bh_ctl_flows_prune(m->o.store, m->o.flows_retention, (int64_t)time(NULL), &r,
				       &err) < 0)
			bh_error_warn(&err, "controller: pruning the flows");
		else if (r.flows || r.seqs || r.threats)
			bh_info("controller: flows retention: %lld flows, %lld threats, %lld seqs "
				"pruned",
				(long long)r.flows, (long long)r.threats, (long long)r.seqs);
		/* ingest17: the images' counts of suppressions expired since */
		if (bh_ctl_suppress_sweep(m->o.store, (int64_t)time(NULL), NULL, &err) < 0)
			bh_error_warn(&err, "controller: the suppressions' image counts");
		pthread_mutex_lock(&m->mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += m->o.interval_s;
		while (!m->stop && pthread_cond_timedwait(&m->cv, &m->mu, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

int bh_ctl_maint_new(const struct bh_ctl_maint_opts *o, struct bh_ctl_maint **out,
		     struct bh_error **err)
{
	struct bh_ctl_maint *m;

	*out = NULL;
	if (o->flows_retention < 0)
		return 0; /* off: nothing to run */
	m = bh_calloc(1, sizeof(*m));
	m->o = *o;
	if (!m->o.flows_retention)
		m->o.flows_retention = BH_CTL_FLOWS_RETENTION;
	if (m->o.flows_retention < BH_CTL_FLOW_BUCKET) {
		free(m);
		return bh_error_set(err, BH_ERR_USAGE, "flows retention: at least %d s",
				    BH_CTL_FLOW_BUCKET);
	}
	if (!m->o.interval_s) {
		int64_t i = m->o.flows_retention / 10;

		m->o.interval_s = (unsigned)(i > 3600 ? 3600 : i < 1 ? 1 : i);
	}
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	if (pthread_create(&m->thread, NULL, worker, m)) {
		pthread_mutex_destroy(&m->mu);
		pthread_cond_destroy(&m->cv);
		free(m);
		return bh_error_set(err, BH_ERR_INTERNAL, "controller: starting the maintenance");
	}
	*out = m;
	return 0;
}

void bh_ctl_maint_free(struct bh_ctl_maint *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	m->stop = true;
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
	pthread_join(m->thread, NULL);
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->cv);
	free(m);
}
