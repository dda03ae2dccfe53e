/* SPDX-License-Identifier: Apache-2.0 */
/* DNS volume per name: see dns_meter.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/base.h"
#include "net/dns_meter.h"
#include "banned.h"

struct entry {
	uint8_t client[16];
	uint64_t dom; /* SipHash of the domain */
	double start;
	uint32_t set; /* bits set in the bitmap */
	uint32_t used;
	uint64_t bits[DNSM_BITS / 64];
	char domain[DNSM_DOMAIN + 1];
};

struct bh_dns_meter {
	unsigned limit;
	double window;
	uint64_t seed;
	struct entry e[DNSM_SLOTS];
};

struct bh_dns_meter *bh_dns_meter_new(unsigned limit, double window, uint64_t seed)
{
	struct bh_dns_meter *m = bh_calloc(1, sizeof(*m));

	m->limit = limit ? limit : 100;
	m->window = window > 0 ? window : 60;
	m->seed = seed;
	return m;
}

void bh_dns_meter_free(struct bh_dns_meter *m)
{
	free(m);
}

int bh_dns_meter_domain(const char *name, size_t n)
{
	size_t dots[3] = { 0, 0, 0 }, nd = 0, last_len, prev_len;
	int keep;

	while (n && name[n - 1] == '.')
		n--;
	if (!n)
		return -1;
	/* the positions of the last three dots, right to left */
	for (size_t i = n; i-- > 0 && nd < 3;)
		if (name[i] == '.')
			dots[nd++] = i;
	if (nd == 0)
		return -1;
	last_len = n - dots[0] - 1;
	if (last_len == 4 && !memcmp(name + dots[0] + 1, "arpa", 4))
		return -1;
	prev_len = dots[0] - (nd > 1 ? dots[1] + 1 : 0);
	keep = (last_len == 2 && prev_len <= 3) ? 3 : 2;
	if ((size_t)keep > nd)
		return 0; /* the whole name is the domain */
	return (int)dots[keep - 1] + 1;
}

static double estimate(uint32_t set)
{
	if (set >= DNSM_BITS)
		return DNSM_BITS * log((double)DNSM_BITS); /* saturated: a lower bound */
	return -(double)DNSM_BITS * log(1.0 - (double)set / DNSM_BITS);
}

bool bh_dns_meter_query(struct bh_dns_meter *m, const uint8_t client[16], const char *name,
			size_t n, double now, unsigned *names, char *domain)
{
	int off;
	size_t dl;
	uint64_t dom, h, bit;
	struct entry *b, *x = NULL;
	double est;

	if (names)
		*names = 0;
	if (domain)
		domain[0] = 0;
	while (n && name[n - 1] == '.')
		n--;
	off = bh_dns_meter_domain(name, n);
	if (off < 0)
		return false;
	dl = n - (size_t)off;
	dom = bh_siphash13(name + off, dl, m->seed, 0x646f6d);
	h = bh_siphash13(client, 16, m->seed, dom);
	b = &m->e[(h & (DNSM_SLOTS / DNSM_WAYS - 1)) * DNSM_WAYS];
	for (int i = 0; i < DNSM_WAYS && !x; i++)
		if (b[i].used && b[i].dom == dom && !memcmp(b[i].client, client, 16))
			x = &b[i];
	if (!x) {
		x = &b[0];
		for (int i = 0; i < DNSM_WAYS; i++) {
			if (!b[i].used || now - b[i].start >= m->window || now < b[i].start) {
				x = &b[i];
				break;
			}
			if (b[i].set < x->set)
				x = &b[i];
		}
		memset(x, 0, sizeof(*x));
		memcpy(x->client, client, 16);
		x->dom = dom;
		x->used = 1;
		x->start = now;
		memcpy(x->domain, name + off, dl < DNSM_DOMAIN ? dl : DNSM_DOMAIN);
	} else if (now - x->start >= m->window || now < x->start) {
		memset(x->bits, 0, sizeof(x->bits));
		x->set = 0;
		x->start = now;
	}
	bit = bh_siphash13(name, n, m->seed, 0x6e616d65) % DNSM_BITS;
	if (!(x->bits[bit / 64] >> (bit % 64) & 1)) {
		x->bits[bit / 64] |= 1ull << (bit % 64);
		x->set++;
	}
	est = estimate(x->set);
	if (names)
		*names = (unsigned)(est + 0.5);
	if (domain)
		memcpy(domain, x->domain, sizeof(x->domain));
	return est + 0.5 > (double)m->limit;
}
