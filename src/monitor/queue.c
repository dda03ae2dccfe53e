// SPDX-License-Identifier: Apache-2.0
/*
 * The pipeline's bounded queue and its reference-counted items: an event
 * read once is shared by the detect queue and every output queue it goes
 * to, so a queue holds pointers and the memory in flight is bounded by the
 * queues' capacities.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline_internal.h"
#include "banned.h"

void mon_ev_pool_init(struct mon_ev_pool *pool)
{
	pthread_mutex_init(&pool->mu, NULL);
	pool->n = 0;
}

void mon_ev_pool_release(struct mon_ev_pool *pool)
{
	while (pool->n)
		free(pool->free[--pool->n]);
	pthread_mutex_destroy(&pool->mu);
}

struct mon_ev *mon_ev_new(struct mon_ev_pool *pool)
{
	struct mon_ev *e = NULL;

	if (pool) {
		pthread_mutex_lock(&pool->mu);
		if (pool->n)
			e = pool->free[--pool->n];
		pthread_mutex_unlock(&pool->mu);
	}
	if (!e)
		e = bh_malloc(sizeof(*e));
	atomic_init(&e->refs, 1);
	atomic_init(&e->json, NULL);
	e->pool = pool;
	return e;
}

static void ev_unref(struct mon_ev *e)
{
	struct mon_ev_pool *pool;

	if (!e || atomic_fetch_sub(&e->refs, 1) != 1)
		return;
	free(atomic_load(&e->json));
	pool = e->pool;
	if (pool) {
		pthread_mutex_lock(&pool->mu);
		if (pool->n < MON_EV_POOL) {
			pool->free[pool->n++] = e;
			e = NULL;
		}
		pthread_mutex_unlock(&pool->mu);
	}
	free(e);
}

const struct mon_json *mon_msg_json(const struct mon_msg *m, struct bh_error **err)
{
	_Atomic(struct mon_json *) *slot = m->al ? &m->al->json : &m->ev->json;
	struct mon_json *j = atomic_load(slot), *none = NULL;
	json_t *o;
	char *s;
	size_t n;

	if (j)
		return j;
	if ((m->al ? bh_mon_alert_to_json(&m->al->a, &o, err)
		   : bh_mon_event_to_json(&m->ev->ev, &o, err)) < 0)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s) {
		bh_error_set(err, BH_ERR_NOMEM, "out of memory");
		return NULL;
	}
	n = strlen(s);
	j = bh_malloc(sizeof(*j) + n + 1);
	j->len = n;
	memcpy(j->s, s, n + 1);
	free(s);
	/* another output may have made it meanwhile: keep the first */
	if (!atomic_compare_exchange_strong(slot, &none, j)) {
		free(j);
		j = none;
	}
	return j;
}

void mon_msg_ref(const struct mon_msg *m)
{
	if (m->al)
		atomic_fetch_add(&m->al->refs, 1);
	else
		atomic_fetch_add(&m->ev->refs, 1);
}

void mon_msg_unref(const struct mon_msg *m)
{
	if (m->al) {
		if (atomic_fetch_sub(&m->al->refs, 1) == 1) {
			ev_unref(m->al->ev);
			free(atomic_load(&m->al->json));
			free(m->al->output);
			free(m->al->verdict);
			free(m->al->loss);
			free(m->al);
		}
	} else
		ev_unref(m->ev);
}

void mon_queue_init(struct mon_queue *q, size_t cap)
{
	pthread_condattr_t ca;

	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->nonempty, &ca);
	pthread_cond_init(&q->nonfull, &ca);
	pthread_condattr_destroy(&ca);
	q->cap = cap ? cap : 1;
	q->v = bh_calloc(q->cap, sizeof(*q->v));
}

void mon_queue_destroy(struct mon_queue *q)
{
	/* items never popped (a consumer that failed to start) */
	for (size_t i = 0; i < q->n; i++)
		mon_msg_unref(&q->v[(q->head + i) % q->cap]);
	free(q->v);
	pthread_cond_destroy(&q->nonempty);
	pthread_cond_destroy(&q->nonfull);
	pthread_mutex_destroy(&q->mu);
}

static void deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

size_t mon_queue_push_n(struct mon_queue *q, const struct mon_msg *m, size_t n, int wait_ms,
			bool *waited)
{
	struct timespec ts;
	bool was_empty, timed = false;
	size_t k = 0;
	int rc = 0;

	if (waited)
		*waited = false;
	pthread_mutex_lock(&q->mu);
	was_empty = q->n == 0;
	for (; k < n; k++) {
		if (q->n == q->cap && wait_ms != 0 && !q->closed && rc != ETIMEDOUT) {
			if (waited)
				*waited = true;
			if (wait_ms > 0 && !timed) {
				deadline(&ts, wait_ms);
				timed = true;
			}
			/* the consumer sees what is queued before this waits for room */
			pthread_cond_signal(&q->nonempty);
			was_empty = false;
			while (q->n == q->cap && !q->closed && rc != ETIMEDOUT)
				rc = wait_ms > 0 ? pthread_cond_timedwait(&q->nonfull, &q->mu, &ts)
						 : pthread_cond_wait(&q->nonfull, &q->mu);
		}
		if (q->n == q->cap || q->closed)
			break;
		q->v[(q->head + q->n) % q->cap] = m[k];
		q->n++;
	}
	pthread_mutex_unlock(&q->mu);
	/* the one consumer waits only on an empty queue: one wakeup per batch,
	 * given after the unlock (under it, the consumer woke only to block on
	 * the mutex still held here: two more switches per batch, issue 15) */
	if (k && was_empty)
		pthread_cond_signal(&q->nonempty);
	return k;
}

int mon_queue_push(struct mon_queue *q, const struct mon_msg *m, int wait_ms, bool *waited)
{
	return mon_queue_push_n(q, m, 1, wait_ms, waited) == 1 ? 0 : -1;
}

size_t mon_queue_pop(struct mon_queue *q, struct mon_msg *out, size_t max, int wait_ms, bool *done)
{
	struct timespec ts;
	size_t k = 0;
	int rc = 0;

	*done = false;
	pthread_mutex_lock(&q->mu);
	if (!q->n && !q->closed && wait_ms != 0) {
		if (wait_ms > 0)
			deadline(&ts, wait_ms);
		while (!q->n && !q->closed && rc != ETIMEDOUT)
			rc = wait_ms > 0 ? pthread_cond_timedwait(&q->nonempty, &q->mu, &ts)
					 : pthread_cond_wait(&q->nonempty, &q->mu);
	}
	while (k < max && q->n) {
		out[k++] = q->v[q->head];
		q->head = (q->head + 1) % q->cap;
		q->n--;
	}
	if (k)
		pthread_cond_broadcast(&q->nonfull);
	if (!q->n && q->closed)
		*done = true;
	pthread_mutex_unlock(&q->mu);
	return k;
}

bool mon_queue_empty(struct mon_queue *q)
{
	bool empty;

	pthread_mutex_lock(&q->mu);
	empty = q->n == 0;
	pthread_mutex_unlock(&q->mu);
	return empty;
}

void mon_queue_close(struct mon_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = true;
	pthread_cond_broadcast(&q->nonempty);
	pthread_cond_broadcast(&q->nonfull);
	pthread_mutex_unlock(&q->mu);
}
