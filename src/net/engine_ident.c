/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A flow's application protocol (src/net/dissect.h): identification by the
 * dissectors' probes over a bounded window per direction, then feeding the
 * winner every in-order byte; a dissector that gives up hands the bytes it
 * did not accept back to identification (the rest of the engine, flows and
 * packets, is engine.c's; reassembly engine_tcp.c's).
 */
#include <stdlib.h>
#include <string.h>

#include "net/dissect.h"
#include "net/engine_int.h"
#include "banned.h"

void net_flow_stop_inspection(struct flow *f)
{
	if (f->d && f->state) {
		if (f->d->fini)
			f->d->fini(f->state);
		free(f->state);
		f->state = NULL;
	}
	net_tcp_free(f);
	bh_buf_release(&f->probe[0]);
	bh_buf_release(&f->probe[1]);
	f->nlog = 0;
	f->ident = ID_DONE;
}

/*
 * f's dissector gave up: malformed bytes, or a gap it could not cross. The
 * flow is not "done" (an attacker would send one valid command, then
 * garbage, then anything else unseen): it is never settled again, the policy
 * judges it unparsable (net_pol_unparsable: dropped in protect where layer-7
 * rules govern it), and it is identified anew from its next bytes, by the
 * dissectors that have not given up on it (an unknown protocol then has its
 * bytes scanned for data leaks). Its record keeps the app first identified.
 */
static void give_up(struct flow *f)
{
	for (size_t i = 0; i < f->e->n_dissectors; i++)
		if (f->e->dis[i] == f->d)
			f->gave_mask |= 1ull << i;
	if (f->state) {
		if (f->d->fini)
			f->d->fini(f->state);
		free(f->state);
		f->state = NULL;
	}
	f->e->st.gave_up++;
	f->gaveup = true;
	if (!f->app)
		f->app = f->d->app;
	net_pol_unparsable(f);
	f->d = NULL;
	f->ident = ID_PROBING;
	f->no_mask = f->gave_mask;
	f->maybe_mask = f->more_mask = 0;
	f->nlog = 0;
	bh_buf_release(&f->probe[0]);
	bh_buf_release(&f->probe[1]);
}

/*
 * f's dissector handed it over (bh_net_feed_handoff): another protocol
 * follows on the server's word. Identified anew from the next bytes by every
 * dissector, as a new flow would be, without the give-up's marks (policy,
 * settling); its record keeps the app first identified.
 */
static void hand_off(struct flow *f)
{
	if (f->state) {
		if (f->d->fini)
			f->d->fini(f->state);
		free(f->state);
		f->state = NULL;
	}
	f->handoffs++;
	if (!f->app)
		f->app = f->d->app;
	f->d = NULL;
	f->ident = ID_PROBING;
	f->no_mask = f->gave_mask;
	f->maybe_mask = f->more_mask = 0;
	f->nlog = 0;
	bh_buf_release(&f->probe[0]);
	bh_buf_release(&f->probe[1]);
}

/* NOT_GIVEN_UP, or where in p the dissector gave up: the bytes of p it
 * accepted as its protocol (the rest is to be identified anew). */
#define NOT_GIVEN_UP SIZE_MAX

static size_t feed(struct flow *f, int dir, const uint8_t *p, size_t n)
{
	size_t used = SIZE_MAX; /* not said: the whole chunk */
	struct bh_net_held held = { NULL, 0, 0 };
	bool handoff = false;
	struct bh_net_dissect_ctx ctx = { &f->info, f->e->now, net_flow_emit, f,
					  &used,    &held,     &handoff };
	enum bh_net_feed r;

	if (f->ident != ID_FEEDING)
		return NOT_GIVEN_UP;
	r = f->d->feed(f->state, (enum bh_net_dir)dir, p, n, &ctx);
	if (r == BH_NET_FEED_MORE)
		return NOT_GIVEN_UP;
	/* the part of a message it held from earlier chunks and gave up on is
	 * in no chunk probed anew: scanned as unknown bytes and by the SQL
	 * injection checks of its protocol (before give_up() frees the state
	 * it lies in) */
	if (r == BH_NET_FEED_MALFORMED && held.p && held.len)
		net_match_held(f, dir, f->d->app, held.type, held.p, held.len);
	/* DONE on bytes is the dissector's word that nothing more is to be
	 * seen (TLS encrypted from here, a tunnel); MALFORMED, or DONE at a
	 * gap, is giving up: from the first byte it did not accept */
	if (r == BH_NET_FEED_MALFORMED && handoff && p && used <= n &&
	    f->handoffs < NET_HANDOFF_MAX) {
		hand_off(f);
		return used;
	}
	if (r == BH_NET_FEED_MALFORMED || !p) {
		give_up(f);
		return p && used <= n ? used : 0;
	}
	net_flow_stop_inspection(f);
	return NOT_GIVEN_UP;
}

static bool port_hint(const struct bh_net_dissector *d, uint16_t port)
{
	for (const uint16_t *p = d->ports; p && *p; p++)
		if (*p == port)
			return true;
	return false;
}

static unsigned l4_bit(const struct flow *f)
{
	return f->proto == 6 ? BH_NET_L4_TCP : BH_NET_L4_UDP;
}

/*
 * Start feeding d (NULL: unknown) with what the probe window holds. The
 * window is taken off the flow first: when d gives up while it is replayed,
 * the entry it gave up on and those after it are delivered anew (probed
 * without d, then fed or scanned), never dropped.
 */
static void start(struct flow *f, const struct bh_net_dissector *d)
{
	struct bh_buf win[2] = { f->probe[0], f->probe[1] };
	struct {
		uint8_t dir;
		uint16_t len;
	} log[PROBE_LOG_MAX];
	size_t nlog = f->nlog, off[2] = { 0, 0 }, i = 0;

	f->d = d;
	net_pol_app(f, d ? d->app : NULL);
	for (size_t j = 0; j < nlog; j++) {
		log[j].dir = f->log[j].dir;
		log[j].len = f->log[j].len;
	}
	f->nlog = 0;
	bh_buf_init(&f->probe[0], BH_NET_PROBE_MAX);
	bh_buf_init(&f->probe[1], BH_NET_PROBE_MAX);
	if (!d) {
		/* unknown: its cleartext is still scanned for data leaks */
		for (i = 0; i < nlog; i++) {
			int dir = log[i].dir;

			net_match_raw(f, dir, (const uint8_t *)win[dir].data + off[dir],
				      log[i].len);
			off[dir] += log[i].len;
		}
		/* after a dissector gave up, unknown is not the end: the next
		 * bytes are probed anew */
		if (f->gaveup) {
			f->no_mask = f->gave_mask;
			f->maybe_mask = f->more_mask = 0;
		} else {
			net_flow_stop_inspection(f);
		}
	} else {
		f->state = bh_calloc(1, d->state_size ? d->state_size : 1);
		f->ident = ID_FEEDING;
		size_t used = NOT_GIVEN_UP;

		for (; i < nlog; i++) {
			int dir = log[i].dir;

			used = feed(f, dir, (const uint8_t *)win[dir].data + off[dir], log[i].len);
			if (used != NOT_GIVEN_UP)
				break;
			off[dir] += log[i].len;
		}
		/* d gave up in entry i: from the first byte it did not accept,
		 * it and the rest go on, in order (each give-up leaves one
		 * dissector fewer: the recursion is bounded) */
		for (; i < nlog; i++) {
			int dir = log[i].dir;
			size_t skip = used != NOT_GIVEN_UP ? used : 0;

			used = NOT_GIVEN_UP;
			net_flow_deliver(f, dir, (const uint8_t *)win[dir].data + off[dir] + skip,
					 log[i].len - skip);
			off[dir] += log[i].len;
		}
	}
	bh_buf_release(&win[0]);
	bh_buf_release(&win[1]);
}

/* The dissector a port hint picks among those that said MAYBE, or NULL. */
static const struct bh_net_dissector *by_hint(struct flow *f)
{
	for (size_t i = 0; i < f->e->n_dissectors; i++) {
		const struct bh_net_dissector *d = f->e->dis[i];

		if ((f->maybe_mask >> i & 1) && !(f->no_mask >> i & 1) &&
		    port_hint(d, f->info.server_port))
			return d;
	}
	return NULL;
}

/*
 * Decide a flow still probing (at a gap, at its end): start() again while a
 * dissector giving up left bytes in a new window (each time one dissector
 * fewer).
 */
void net_flow_decide(struct flow *f)
{
	do
		start(f, f->nlog ? by_hint(f) : NULL);
	while (f->ident == ID_PROBING && f->nlog);
}

/*
 * Probe with the window of dir (TCP) or the datagram (UDP). Returns true
 * when the flow's protocol is decided (start() called).
 */
static bool run_probes(struct flow *f, int dir, const uint8_t *buf, size_t len, bool full)
{
	bool eligible = false;

	f->maybe_mask = f->more_mask = 0;
	for (size_t i = 0; i < f->e->n_dissectors; i++) {
		const struct bh_net_dissector *d = f->e->dis[i];
		enum bh_net_probe r;

		if (!(d->l4 & l4_bit(f)) || (f->no_mask >> i & 1))
			continue;
		r = d->probe(&f->info, (enum bh_net_dir)dir, buf, len);
		if (r == BH_NET_PROBE_YES) {
			start(f, d);
			return true;
		}
		if (r == BH_NET_PROBE_NO) {
			f->no_mask |= 1ull << i;
			continue;
		}
		eligible = true;
		if (r == BH_NET_PROBE_MAYBE)
			f->maybe_mask |= 1ull << i;
		else
			f->more_mask |= 1ull << i;
	}
	if (!eligible) {
		start(f, NULL);
		return true;
	}
	if (full || !f->more_mask) {
		const struct bh_net_dissector *d = by_hint(f);

		if (d || full) {
			start(f, d);
			return true;
		}
	}
	return false;
}

/*
 * Add what the probe window of dir takes of p and probe. Returns how many
 * bytes it took: the rest (a decision was made) goes to whoever is then on
 * the flow, a new window after a give-up.
 */
static size_t probe_some(struct flow *f, int dir, const uint8_t *p, size_t n)
{
	struct bh_buf *b = &f->probe[dir];
	size_t room = BH_NET_PROBE_MAX - b->len, take = n < room ? n : room;
	bool full = take < n || f->nlog + 1 == PROBE_LOG_MAX ||
		    (f->proto == 6 && b->len + take == BH_NET_PROBE_MAX);

	if (!b->max)
		bh_buf_init(b, BH_NET_PROBE_MAX);
	if (take && bh_buf_add(b, p, take, NULL) < 0) {
		start(f, NULL);
		return n;
	}
	f->log[f->nlog].dir = (uint8_t)dir;
	f->log[f->nlog].len = (uint16_t)take;
	f->nlog++;
	if (f->proto == 6)
		run_probes(f, dir, (const uint8_t *)b->data, b->len, full);
	else
		run_probes(f, dir, p, take, full);
	return take;
}

/* In-order bytes (or a datagram) of direction dir. */
void net_flow_deliver(struct flow *f, int dir, const uint8_t *p, size_t n)
{
	if (f->ident == ID_PROBING) {
		if (!n)
			return;
		/* a window that took nothing was full: it was decided, and
		 * the next one is empty (this loop ends) */
		while (n && f->ident == ID_PROBING) {
			size_t take = probe_some(f, dir, p, n);

			p += take;
			n -= take;
		}
		if (!n)
			return;
	}
	if (f->ident == ID_FEEDING) {
		/* the bytes a dissector did not accept are probed anew (each
		 * time without one more dissector: the recursion is bounded) */
		size_t used = feed(f, dir, p, n);

		if (used != NOT_GIVEN_UP && used < n)
			net_flow_deliver(f, dir, p + used, n - used);
		return;
	}
	if (f->ident == ID_DONE && !f->d)
		net_match_raw(f, dir, p, n);
}

void net_flow_deliver_gap(struct flow *f, int dir, size_t n)
{
	f->e->st.tcp_gaps += n;
	if (f->ident == ID_PROBING) {
		/* identification needs the first bytes: decide with what came */
		net_flow_decide(f);
	}
	feed(f, dir, NULL, n);
}
