/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The webhook's decisions in the admission decision log (webhook19): each
 * validating review the policy evaluated (allowed, denied, or an error) is
 * one line of <dir>/.admission@log, the log the runtime writes at create
 * (src/runtime/admit_log.c, same format and API), with "source":"webhook"
 * and the request (uid as id, kind, namespace, name, operation, dry_run).
 * `bulkhead agent --admission-root DIR` tails it and reports each as an
 * event of kind "admission" (src/agent/admission.c): one delivery path.
 * The append is off the answer's path (declog19, below): a bounded queue
 * and one writer thread; a log that cannot be written or a queue that is
 * full never changes or delays the answer: counted (metrics), warned about
 * once.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/admission.h"
#include "bulkhead/runtime.h"
#include "internal.h"
#include "banned.h"

/* Strings are cut and rules listed as the runtime's entries are
 * (bh_rt_admit_log_set, bh_rt_admit_log_rules). */
static const char *op_name(enum bh_adm_operation op)
{
	switch (op) {
	case BH_ADM_CREATE: return "CREATE";
	case BH_ADM_UPDATE: return "UPDATE";
	case BH_ADM_DELETE: return "DELETE";
	case BH_ADM_CONNECT: return "CONNECT";
	}
	return NULL;
}

/* the object's name: request.name, else metadata.name, else generateName */
static const char *name_of(const struct bh_adm_request *rq)
{
	const json_t *meta = bh_json_obj(rq->object, "metadata");
	const char *s = rq->name;

	if (!s || !*s)
		s = bh_json_str(meta, "name");
	if (!s || !*s)
		s = bh_json_str(meta, "generateName");
	return s;
}

json_t *adm_log_entry(const struct bh_adm_request *rq, const char *decision,
		      const struct bh_policy_result *res, const char *message, const char *reason)
{
	json_t *e = bh_rt_admit_log_entry_new(decision, "webhook", rq->uid, BH_ADM_UID_MAX, res);

	if (!e)
		return NULL;
	bh_rt_admit_log_set(e, "kind", rq->kind, 64);
	bh_rt_admit_log_set(e, "namespace", rq->namespace, 253);
	bh_rt_admit_log_set(e, "name", name_of(rq), 253);
	if (rq->kind && op_name(rq->operation))
		json_object_set_new(e, "operation", json_string(op_name(rq->operation)));
	json_object_set_new(e, "dry_run", json_boolean(rq->dry_run));
	bh_rt_admit_log_set(e, "message", message, 1024);
	bh_rt_admit_log_set(e, "reason", reason, 1024);
	return e;
}

/* ---- the writer (declog19) ------------------------------------------------------------ */

/*
 * The append off the answer's path: request threads put their entry in a
 * bounded ring without waiting (full: dropped, counted, warned once); ONE
 * writer thread takes what is there (up to BATCH_MAX) and appends it with
 * bh_rt_admit_log_append_batch: one lock and one write for the batch. At
 * the end what is queued is written until the drain's deadline, the rest
 * dropped and counted: bounded by the deadline plus one batch's append.
 */
#define BATCH_MAX 512

struct adm_declog {
	char *dir;
	uint64_t cap;
	size_t max;
	pthread_mutex_t mu;
	pthread_cond_t more;
	json_t **ring;
	size_t head, count;
	bool stop;
	uint64_t deadline; /* CLOCK_MONOTONIC ns, once stop */
	pthread_t writer;
	atomic_uint_fast64_t logged, errors, dropped;
};

static void write_batch(struct adm_declog *q, json_t **v, size_t n)
{
	struct bh_error *err = NULL;
	size_t done = 0;

	if (bh_rt_admit_log_append_batch(q->dir, (const json_t *const *)v, n, q->cap, &done, &err) <
	    0) {
		if (atomic_fetch_add(&q->errors, n - done) == 0) {
			char *m = bh_error_message(err);

			bh_warn("admission: decision log: %s (decisions are answered, not logged; "
				"counted in bulkhead_admission_decision_log_total)",
				m ? m : "error");
			free(m);
		}
		bh_error_free(err);
	}
	atomic_fetch_add(&q->logged, done);
	for (size_t i = 0; i < n; i++)
		json_decref(v[i]);
}

static void *writer_main(void *p)
{
	struct adm_declog *q = p;
	json_t *batch[BATCH_MAX];

	pthread_mutex_lock(&q->mu);
	for (;;) {
		size_t n = 0;

		while (!q->count && !q->stop)
			pthread_cond_wait(&q->more, &q->mu);
		if (!q->count)
			break;
		if (q->stop && bh_mono_ns() >= q->deadline) {
			/* out of time: what is left is dropped, counted */
			atomic_fetch_add(&q->dropped, q->count);
			while (q->count) {
				json_decref(q->ring[q->head]);
				q->head = (q->head + 1) % q->max;
				q->count--;
			}
			break;
		}
		while (q->count && n < BATCH_MAX) {
			batch[n++] = q->ring[q->head];
			q->head = (q->head + 1) % q->max;
			q->count--;
		}
		pthread_mutex_unlock(&q->mu);
		write_batch(q, batch, n);
		pthread_mutex_lock(&q->mu);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

int adm_declog_new(const char *dir, uint64_t cap, size_t max, struct adm_declog **out,
		   struct bh_error **err)
{
	struct adm_declog *q = bh_calloc(1, sizeof(*q));
	int rc;

	*out = NULL;
	q->dir = bh_strdup(dir);
	q->cap = cap;
	q->max = max ? max : ADM_DECLOG_QUEUE;
	q->ring = bh_calloc(q->max, sizeof(*q->ring));
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->more, NULL);
	rc = pthread_create(&q->writer, NULL, writer_main, q);
	if (rc) {
		pthread_cond_destroy(&q->more);
		pthread_mutex_destroy(&q->mu);
		free(q->ring);
		free(q->dir);
		free(q);
		return bh_error_sys(err, rc, "decision log: its writer thread");
	}
	*out = q;
	return 0;
}

void adm_declog_push(struct adm_declog *q, json_t *e)
{
	bool full;

	if (!e)
		return;
	pthread_mutex_lock(&q->mu);
	full = q->count == q->max || q->stop;
	if (!full) {
		q->ring[(q->head + q->count) % q->max] = e;
		if (q->count++ == 0)
			pthread_cond_signal(&q->more);
	}
	pthread_mutex_unlock(&q->mu);
	if (!full)
		return;
	json_decref(e);
	if (atomic_fetch_add(&q->dropped, 1) == 0)
		bh_warn("admission: decision log: the queue is full (%zu decisions), decisions "
			"are answered and dropped from the log; counted in "
			"bulkhead_admission_decision_log_total{result=\"dropped\"}",
			q->max);
}

void adm_declog_counts(struct adm_declog *q, uint64_t *logged, uint64_t *errors, uint64_t *dropped)
{
	*logged = q ? atomic_load(&q->logged) : 0;
	*errors = q ? atomic_load(&q->errors) : 0;
	*dropped = q ? atomic_load(&q->dropped) : 0;
}

void adm_declog_free(struct adm_declog *q, unsigned drain_ms)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	q->deadline = bh_mono_ns() + (uint64_t)drain_ms * 1000000u;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->writer, NULL);
	pthread_cond_destroy(&q->more);
	pthread_mutex_destroy(&q->mu);
	free(q->ring);
	free(q->dir);
	free(q);
}
