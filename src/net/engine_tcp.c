/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TCP reassembly of the packet engine (engine.c), per direction: bytes at
 * the expected sequence number go straight to the dissector
 * (net_flow_deliver); bytes ahead of it are held (bounded in bytes and
 * segments) in a sorted list of non-overlapping pieces: a new segment only
 * fills what is not held yet (the first to arrive wins), and an overlap
 * carrying other bytes is a threat. Bytes already passed are retransmissions
 * and ignored. A hole that outlives gap_timeout, or held data over the bound,
 * becomes a gap: the dissector gets data == NULL and the hole's length.
 */
#include <stdlib.h>
#include <string.h>

#include "net/engine_int.h"
#include "banned.h"

static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static void seg_insert(struct flow *f, struct half *h, struct seg **at, uint32_t seq,
		       const uint8_t *p, uint32_t n)
{
	struct seg *s = bh_malloc(sizeof(*s) + n);

	s->seq = seq;
	s->len = n;
	s->at = f->e->now;
	memcpy(s->data, p, n);
	s->next = *at;
	*at = s;
	h->ooo_bytes += n;
	h->ooo_n++;
	f->e->held += n;
}

/* Hold (seq, p, n), ahead of h->next, filling only what is not held yet. */
static void ooo_add(struct flow *f, struct half *h, uint32_t seq, const uint8_t *p, uint32_t n)
{
	struct seg **at = &h->ooo;
	uint32_t cur = seq, end = seq + n;
	bool differ = false;

	while (*at && seq_lt(cur, end)) {
		struct seg *s = *at;
		uint32_t send = s->seq + s->len;

		if (!seq_lt(cur, send)) { /* s wholly before cur */
			at = &s->next;
			continue;
		}
		if (!seq_lt(s->seq, end)) /* s wholly after */
			break;
		if (seq_lt(cur, s->seq)) {
			seg_insert(f, h, at, cur, p + (cur - seq), s->seq - cur);
			at = &(*at)->next;
			cur = s->seq;
		}
		{
			uint32_t b = seq_lt(send, end) ? send : end;

			if (memcmp(s->data + (cur - s->seq), p + (cur - seq), b - cur))
				differ = true;
			cur = b;
		}
		at = &s->next;
	}
	if (seq_lt(cur, end))
		seg_insert(f, h, at, cur, p + (cur - seq), end - cur);
	if (differ)
		net_flow_threat(f, "BH-NET-TCP-OVERLAP");
}

/* Deliver what is held from h->next on; with `force`, skip the first hole. */
static void drain(struct flow *f, int dir, bool force)
{
	struct half *h = &f->h[dir];

	while (h->ooo && f->ident != ID_DONE) {
		struct seg *s = h->ooo;

		if (seq_lt(h->next, s->seq)) {
			uint32_t at = s->seq;

			if (!force)
				return;
			/* the gap may end the inspection, and free s with the rest */
			net_flow_deliver_gap(f, dir, at - h->next);
			h->next = at;
			force = false;
			if (f->ident == ID_DONE)
				return;
			continue;
		}
		h->ooo = s->next;
		h->ooo_bytes -= s->len;
		h->ooo_n--;
		f->e->held -= s->len;
		if (seq_lt(h->next, s->seq + s->len)) {
			uint32_t skip = h->next - s->seq;

			h->next = s->seq + s->len;
			net_flow_deliver(f, dir, s->data + skip, s->len - skip);
		}
		free(s);
	}
}

void net_tcp_data(struct flow *f, int dir, uint32_t seq, const uint8_t *p, size_t n)
{
	struct bh_net_engine *e = f->e;
	struct half *h = &f->h[dir];
	int32_t rel;

	if (!h->started) {
		h->started = true;
		h->next = seq;
	}
	rel = (int32_t)(seq - h->next);
	if (rel < 0) {
		if ((size_t) - (int64_t)rel >= n) {
			e->st.tcp_retransmits++;
			return;
		}
		p += -(int64_t)rel;
		n -= (size_t) - (int64_t)rel;
		seq = h->next;
		rel = 0;
	}
	if (rel == 0 && !h->ooo) {
		h->next += (uint32_t)n;
		net_flow_deliver(f, dir, p, n);
		return;
	}
	if (f->ident == ID_DONE) {
		/* an unknown flow is scanned in order only: a hole ends its scan */
		net_match_raw_stop(f, dir);
		return;
	}
	if (n > UINT32_MAX / 2 || (uint32_t)rel > (1u << 30)) {
		e->st.tcp_ooo_dropped += n;
		return;
	}
	if (h->ooo_n >= e->o.max_ooo_segments || h->ooo_bytes + n > e->o.max_ooo_bytes ||
	    e->held + n > e->o.max_held_bytes) {
		/* over a bound: the first hole is lost */
		drain(f, dir, true);
		if (f->ident == ID_DONE)
			return;
		if (h->ooo_n >= e->o.max_ooo_segments || h->ooo_bytes + n > e->o.max_ooo_bytes ||
		    e->held + n > e->o.max_held_bytes) {
			e->st.tcp_ooo_dropped += n;
			return;
		}
	}
	ooo_add(f, h, seq, p, (uint32_t)n);
	drain(f, dir, false);
	if (h->ooo && h->ooo->at + e->o.gap_timeout < e->now)
		drain(f, dir, true);
}

/* What is held goes to the dissector, the holes as gaps (the flow ends). */
void net_tcp_flush(struct flow *f)
{
	for (int d = 0; d < 2; d++)
		while (f->ident != ID_DONE && f->h[d].ooo)
			drain(f, d, true);
}

void net_tcp_free(struct flow *f)
{
	for (int d = 0; d < 2; d++) {
		struct seg *s = f->h[d].ooo;

		while (s) {
			struct seg *n = s->next;

			free(s);
			s = n;
		}
		f->e->held -= f->h[d].ooo_bytes;
		f->h[d].ooo = NULL;
		f->h[d].ooo_bytes = f->h[d].ooo_n = 0;
	}
}
