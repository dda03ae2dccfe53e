/* SPDX-License-Identifier: Apache-2.0 */
/* The bench on its own thread (src/agent/net.h: agent_bencher). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "agent/net.h"
#include "banned.h"

static void *bencher(void *arg)
{
	struct agent_bencher *b = arg;

	pthread_mutex_lock(&b->mu);
	while (!b->stop) {
		struct bh_error *e = NULL;
		struct timespec ts;
		size_t n = 0;
		int rc;

		pthread_mutex_unlock(&b->mu);
		rc = b->run(&b->o, b->h, &n, &e);
		if (rc < 0 && b->h->warn)
			b->h->warn(b->h->data, e);
		else
			bh_error_free(e);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += b->every_ms / 1000;
		ts.tv_nsec += (long)(b->every_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&b->mu);
		b->runs++;
		b->results += n;
		while (!b->stop && pthread_cond_timedwait(&b->cv, &b->mu, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

int agent_bencher_start(struct agent_bencher *b, const struct bh_host_opts *o, unsigned every_ms,
			const struct agent_net_hooks *h, agent_bench_fn run, struct bh_error **err)
{
	pthread_condattr_t ca;

	memset(b, 0, sizeof(*b));
	if (o)
		b->o = *o;
	b->o.stop = &b->halt;
	b->every_ms = every_ms ? every_ms : 3600000;
	b->h = h;
	b->run = run ? run : agent_bench_run;
	pthread_mutex_init(&b->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&b->th, NULL, bencher, b)) {
		pthread_mutex_destroy(&b->mu);
		pthread_cond_destroy(&b->cv);
		return bh_error_set(err, BH_ERR_INTERNAL, "agent: starting the bench's thread");
	}
	b->started = true;
	return 0;
}

void agent_bencher_stop(struct agent_bencher *b)
{
	if (!b->started)
		return;
	pthread_mutex_lock(&b->mu);
	b->stop = true;
	atomic_store(&b->halt, 1);
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->th, NULL);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
	b->started = false;
}

void agent_bencher_stats(struct agent_bencher *b, uint64_t *runs, uint64_t *results)
{
	if (!b->started) {
		*runs = b->runs;
		*results = b->results;
		return;
	}
	pthread_mutex_lock(&b->mu);
	*runs = b->runs;
	*results = b->results;
	pthread_mutex_unlock(&b->mu);
}
