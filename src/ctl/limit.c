/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Failure counters by key (include/bulkhead/ctl.h, bh_ctl_limiter_*): the
 * login rate limit per user and per source address. A fixed table (sets of
 * WAYS entries chosen by a keyed SipHash of the key, so a client cannot aim
 * its keys at one set), so memory is bounded whatever the keys: a newcomer
 * takes an entry whose window has ended, else the one whose window began
 * first. One mutex: a login costs an argon2 hash, this is nothing beside it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "bulkhead/ctl.h"
#include "banned.h"

#define WAYS 8

struct entry {
	char key[BH_CTL_LIMIT_KEY_MAX + 1]; /* "" = free */
	unsigned count;
	int64_t start; /* the window's first failure (unix seconds) */
};

struct bh_ctl_limiter {
	pthread_mutex_t mu;
	struct entry *e;
	size_t nsets;
	unsigned max, window;
	uint64_t k0, k1;
};

struct bh_ctl_limiter *bh_ctl_limiter_new(unsigned slots, unsigned max, unsigned window)
{
	struct bh_ctl_limiter *l = bh_calloc(1, sizeof(*l));
	uint64_t k[2] = { 0, 0 };

	if (slots < WAYS)
		slots = WAYS;
	if (slots > (1u << 20))
		slots = 1u << 20;
	l->nsets = (slots + WAYS - 1) / WAYS;
	l->e = bh_calloc(l->nsets * WAYS, sizeof(*l->e));
	l->max = max ? max : 1;
	l->window = window ? window : 1;
	/* without randomness the keys are only predictable, not wrong */
	if (getrandom(k, sizeof(k), GRND_NONBLOCK) != (ssize_t)sizeof(k))
		k[0] = (uint64_t)(uintptr_t)l;
	l->k0 = k[0];
	l->k1 = k[1];
	pthread_mutex_init(&l->mu, NULL);
	return l;
}

void bh_ctl_limiter_free(struct bh_ctl_limiter *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l->e);
	free(l);
}

static struct entry *set_of(struct bh_ctl_limiter *l, const char *key, size_t len)
{
	return &l->e[(bh_siphash13(key, len, l->k0, l->k1) % l->nsets) * WAYS];
}

/* key's entry, or NULL; a key over the maximum is cut (callers' keys fit) */
static struct entry *find(struct bh_ctl_limiter *l, const char *key, bool make, int64_t now)
{
	size_t len = strnlen(key, BH_CTL_LIMIT_KEY_MAX);
	struct entry *set = set_of(l, key, len), *victim = NULL;

	for (size_t i = 0; i < WAYS; i++)
		if (set[i].key[0] && !strncmp(set[i].key, key, len) && !set[i].key[len])
			return &set[i];
	if (!make || !len)
		return NULL;
	for (size_t i = 0; i < WAYS; i++) {
		struct entry *e = &set[i];

		if (!e->key[0] || now - e->start >= (int64_t)l->window) {
			victim = e;
			break;
		}
		if (!victim || e->start < victim->start)
			victim = e;
	}
	memcpy(victim->key, key, len);
	victim->key[len] = 0;
	victim->count = 0;
	victim->start = now;
	return victim;
}

unsigned bh_ctl_limiter_wait(struct bh_ctl_limiter *l, const char *key, int64_t now)
{
	struct entry *e;
	unsigned wait = 0;

	pthread_mutex_lock(&l->mu);
	e = find(l, key, false, now);
	if (e && e->count >= l->max && now - e->start < (int64_t)l->window)
		wait = (unsigned)(e->start + (int64_t)l->window - now);
	pthread_mutex_unlock(&l->mu);
	return wait;
}

void bh_ctl_limiter_fail(struct bh_ctl_limiter *l, const char *key, int64_t now)
{
	struct entry *e;

	pthread_mutex_lock(&l->mu);
	e = find(l, key, true, now);
	if (e) {
		if (now - e->start >= (int64_t)l->window || now < e->start) {
			e->start = now;
			e->count = 0;
		}
		e->count++;
	}
	pthread_mutex_unlock(&l->mu);
}

void bh_ctl_limiter_clear(struct bh_ctl_limiter *l, const char *key)
{
	struct entry *e;

	pthread_mutex_lock(&l->mu);
	e = find(l, key, false, 0);
	if (e)
		memset(e, 0, sizeof(*e));
	pthread_mutex_unlock(&l->mu);
}
