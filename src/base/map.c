/* SPDX-License-Identifier: Apache-2.0 */
/* A string-keyed open-addressing hash map with SipHash-1-3 and a random key. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "bulkhead/base.h"
#include "banned.h"

struct slot {
	char *key; /* NULL: empty; TOMBSTONE: deleted */
	size_t len;
	uint64_t hash;
	void *value;
};

struct bh_map {
	struct slot *slots;
	size_t cap;  /* power of two */
	size_t used; /* live + tombstones */
	size_t live;
	uint64_t k0, k1;
};

static char tombstone;
#define TOMBSTONE (&tombstone)

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = ROTL(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = ROTL(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = ROTL(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = ROTL(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = ROTL(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = ROTL(v2, 32);                                                                 \
	} while (0)

uint64_t bh_siphash13(const void *data, size_t len, uint64_t k0, uint64_t k1)
{
	const unsigned char *p = data;
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, left = len & 7, end = len - left;

	for (i = 0; i < end; i += 8) {
		memcpy(&m, p + i, 8);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; j < left; j++)
		b |= (uint64_t)p[end + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

struct bh_map *bh_map_new(void)
{
	struct bh_map *m = bh_calloc(1, sizeof(*m));
	uint64_t k[2] = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };

	if (getrandom(k, sizeof(k), GRND_NONBLOCK) != sizeof(k)) {
		/* Early boot without entropy: mix in addresses and time. */
		k[0] ^= (uint64_t)(uintptr_t)m;
		k[1] ^= (uint64_t)(uintptr_t)&k;
	}
	m->k0 = k[0];
	m->k1 = k[1];
	return m;
}

void bh_map_free(struct bh_map *m, void (*free_value)(void *))
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++) {
		struct slot *s = &m->slots[i];

		if (s->key && s->key != TOMBSTONE) {
			if (free_value)
				free_value(s->value);
			free(s->key);
		}
	}
	free(m->slots);
	free(m);
}

size_t bh_map_size(const struct bh_map *m)
{
	return m->live;
}

static struct slot *find(const struct bh_map *m, const char *key, size_t len, uint64_t h)
{
	size_t mask = m->cap - 1;

	if (!m->cap)
		return NULL;
	for (size_t i = h & mask, n = 0; n < m->cap; i = (i + 1) & mask, n++) {
		struct slot *s = &m->slots[i];

		if (!s->key)
			return NULL;
		if (s->key != TOMBSTONE && s->hash == h && s->len == len &&
		    memcmp(s->key, key, len) == 0)
			return s;
	}
	return NULL;
}

static void rehash(struct bh_map *m, size_t cap)
{
	struct slot *old = m->slots;
	size_t oldcap = m->cap;

	m->slots = bh_calloc(cap, sizeof(*m->slots));
	m->cap = cap;
	m->used = m->live;
	for (size_t i = 0; i < oldcap; i++) {
		struct slot *s = &old[i];

		if (s->key && s->key != TOMBSTONE) {
			size_t j = s->hash & (cap - 1);

			while (m->slots[j].key)
				j = (j + 1) & (cap - 1);
			m->slots[j] = *s;
		}
	}
	free(old);
}

void *bh_map_get(const struct bh_map *m, const char *key, size_t len)
{
	struct slot *s = find(m, key, len, bh_siphash13(key, len, m->k0, m->k1));

	return s ? s->value : NULL;
}

void *bh_map_put(struct bh_map *m, const char *key, size_t len, void *value)
{
	uint64_t h = bh_siphash13(key, len, m->k0, m->k1);
	struct slot *s = find(m, key, len, h);
	size_t i, mask;

	if (s) {
		void *prev = s->value;

		s->value = value;
		return prev;
	}
	if ((m->used + 1) * 4 >= m->cap * 3)
		rehash(m, m->live * 2 >= m->cap / 2 ? (m->cap ? m->cap * 2 : 16) : m->cap);
	mask = m->cap - 1;
	for (i = h & mask; m->slots[i].key && m->slots[i].key != TOMBSTONE; i = (i + 1) & mask)
		;
	if (!m->slots[i].key)
		m->used++;
	s = &m->slots[i];
	s->key = bh_malloc(len + 1);
	memcpy(s->key, key, len);
	s->key[len] = 0;
	s->len = len;
	s->hash = h;
	s->value = value;
	m->live++;
	return NULL;
}

void *bh_map_del(struct bh_map *m, const char *key, size_t len)
{
	struct slot *s = find(m, key, len, bh_siphash13(key, len, m->k0, m->k1));
	void *v;

	if (!s)
		return NULL;
	v = s->value;
	free(s->key);
	s->key = TOMBSTONE;
	s->value = NULL;
	m->live--;
	return v;
}

bool bh_map_next(const struct bh_map *m, size_t *pos, const char **key, size_t *len, void **value)
{
	for (; *pos < m->cap; (*pos)++) {
		struct slot *s = &m->slots[*pos];

		if (s->key && s->key != TOMBSTONE) {
			if (key)
				*key = s->key;
			if (len)
				*len = s->len;
			if (value)
				*value = s->value;
			(*pos)++;
			return true;
		}
	}
	return false;
}
