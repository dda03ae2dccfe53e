/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IPv4 and IPv6 fragment reassembly with bounds: datagrams in reassembly at
 * once (the oldest given up for a new one), bytes held in all, fragments per
 * datagram, a timeout. Overlaps: the first fragment to arrive wins; an
 * overlap carrying different bytes is reported (the Teardrop/Ptacek-Newsham
 * evasion), as is a datagram that would pass 65535 bytes (ping of death,
 * then given up) and a first TCP fragment too short for the TCP header.
 */
#include <stdlib.h>
#include <string.h>

#include "net/net_int.h"
#include "banned.h"

#define DGRAM_MAX 65535u

struct range {
	uint32_t off, len;
};

struct dgram {
	uint8_t ver, proto;
	uint8_t src[16], dst[16];
	uint32_t id;
	double first;
	uint32_t total;	  /* known when the last fragment came; 0 before */
	bool bad;	  /* given up: fragments ignored until it times out */
	unsigned threats; /* NET_FRAG_T_* seen so far, reported when it completes or fails */
	struct range *r;
	size_t nr;
	uint8_t *data;
	size_t cap;
};

struct net_frag_table {
	struct net_frag_limits lim;
	struct dgram **d; /* lim.max_datagrams slots, oldest first */
	size_t n;
	size_t bytes;
	uint8_t *out; /* the last completed datagram */
};

struct net_frag_table *net_frag_new(const struct net_frag_limits *lim)
{
	struct net_frag_table *t = bh_calloc(1, sizeof(*t));

	t->lim = *lim;
	if (!t->lim.max_datagrams)
		t->lim.max_datagrams = 1;
	t->d = bh_calloc(t->lim.max_datagrams, sizeof(*t->d));
	return t;
}

static void dgram_free(struct net_frag_table *t, size_t i)
{
	struct dgram *g = t->d[i];

	t->bytes -= g->cap + g->nr * sizeof(struct range);
	free(g->r);
	free(g->data);
	free(g);
	memmove(&t->d[i], &t->d[i + 1], (t->n - i - 1) * sizeof(*t->d));
	t->n--;
}

void net_frag_free(struct net_frag_table *t)
{
	if (!t)
		return;
	while (t->n)
		dgram_free(t, t->n - 1);
	free(t->d);
	free(t->out);
	free(t);
}

size_t net_frag_bytes(const struct net_frag_table *t)
{
	return t->bytes;
}

size_t net_frag_count(const struct net_frag_table *t)
{
	return t->n;
}

static bool complete(const struct dgram *g)
{
	uint32_t have = 0;
	bool grew = true;

	if (!g->total)
		return false;
	/* ranges are few (bounded): sweep until nothing extends the prefix */
	while (grew && have < g->total) {
		grew = false;
		for (size_t i = 0; i < g->nr; i++)
			if (g->r[i].off <= have && g->r[i].off + g->r[i].len > have) {
				have = g->r[i].off + g->r[i].len;
				grew = true;
			}
	}
	return have >= g->total;
}

int net_frag_add(struct net_frag_table *t, const struct net_pkt *pk, double now,
		 const uint8_t **data, size_t *len, unsigned *threats, uint64_t *dropped)
{
	struct dgram *g = NULL;
	uint32_t off = pk->frag_off, flen = (uint32_t)pk->frag_len, end = off + flen;
	uint32_t limit = pk->ipver == 4 ? DGRAM_MAX - (uint32_t)pk->frag_hdr_len : DGRAM_MAX;
	size_t gi = 0;

	*threats = 0;
	/* time out the oldest first */
	while (t->n && t->d[0]->first + t->lim.timeout < now) {
		dgram_free(t, 0);
		(*dropped)++;
	}
	for (size_t i = 0; i < t->n; i++) {
		struct dgram *c = t->d[i];

		if (c->id == pk->frag_id && c->proto == pk->frag_proto && c->ver == pk->ipver &&
		    !memcmp(c->src, pk->src, 16) && !memcmp(c->dst, pk->dst, 16)) {
			g = c;
			gi = i;
			break;
		}
	}
	if (pk->frag_proto == 6 && ((off == 0 && flen < 20) || off == 8))
		*threats |= NET_FRAG_T_TINY;
	if (!g) {
		if (t->n == t->lim.max_datagrams) {
			dgram_free(t, 0);
			(*dropped)++;
		}
		g = bh_calloc(1, sizeof(*g));
		g->ver = pk->ipver;
		g->proto = pk->frag_proto;
		memcpy(g->src, pk->src, 16);
		memcpy(g->dst, pk->dst, 16);
		g->id = pk->frag_id;
		g->first = now;
		gi = t->n;
		t->d[t->n++] = g;
	}
	if (g->bad) {
		*threats = 0;
		return -1;
	}
	if (end > limit) {
		*threats |= NET_FRAG_T_POD;
		goto bad;
	}
	/* a second, different end: the datagram cannot be rebuilt */
	if (g->total && (pk->frag_more ? end > g->total : end != g->total))
		goto bad;
	for (size_t i = 0; i < g->nr && !pk->frag_more; i++)
		if (g->r[i].off + g->r[i].len > end)
			goto bad;
	if (g->nr >= t->lim.max_frags)
		goto bad;
	if (end > g->cap) {
		size_t ncap = end, add = ncap - g->cap;

		while (t->bytes + add + sizeof(struct range) > t->lim.max_bytes && gi > 0) {
			dgram_free(t, 0);
			gi--;
			(*dropped)++;
		}
		if (t->bytes + add + sizeof(struct range) > t->lim.max_bytes)
			goto bad;
		g->data = bh_realloc(g->data, ncap);
		memset(g->data + g->cap, 0, add);
		g->cap = ncap;
		t->bytes += add;
	}
	/* overlaps: the bytes already held win; different bytes are a threat */
	{
		uint8_t *held = bh_calloc(1, flen ? flen : 1);

		for (size_t i = 0; i < g->nr; i++) {
			uint32_t a = g->r[i].off > off ? g->r[i].off : off;
			uint32_t b =
				g->r[i].off + g->r[i].len < end ? g->r[i].off + g->r[i].len : end;

			if (a >= b)
				continue;
			if (memcmp(g->data + a, pk->frag_data + (a - off), b - a))
				*threats |= NET_FRAG_T_OVERLAP;
			memset(held + (a - off), 1, b - a);
		}
		for (uint32_t k = 0; k < flen; k++)
			if (!held[k])
				g->data[off + k] = pk->frag_data[k];
		free(held);
	}
	g->r = bh_reallocarray(g->r, g->nr + 1, sizeof(*g->r));
	g->r[g->nr].off = off;
	g->r[g->nr].len = flen;
	g->nr++;
	t->bytes += sizeof(struct range);
	if (!pk->frag_more)
		g->total = end;
	g->threats |= *threats;
	*threats = 0;
	if (!complete(g))
		return 0;
	*threats = g->threats;
	free(t->out);
	t->out = g->data;
	*len = g->total;
	*data = t->out;
	g->data = NULL;
	t->bytes -= g->cap;
	g->cap = 0;
	dgram_free(t, gi);
	return 1;
bad:
	*threats |= g->threats;
	g->bad = true;
	t->bytes -= g->cap;
	free(g->data);
	g->data = NULL;
	g->cap = 0;
	(*dropped)++;
	return -1;
}
