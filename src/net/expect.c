/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Related flows a control channel announced (engine_int.h): the FTP data
 * channels that PORT/EPRT commands and 227/229 replies name (the FTP
 * dissector's EXPECT records, src/net/l7_ftp.c). A new TCP flow to an
 * announced address and port, opened by the control flow's other end, is
 * reported with the expected app ("ftp-data") instead of being probed, and
 * carries the control flow's policy decision (policy_engine.c).
 *
 * Bounds: EXPECT_SLOTS entries in EXPECT_WAYS-way buckets keyed by a keyed
 * hash of the address and port (a full bucket gives up its oldest entry),
 * each living EXPECT_TIMEOUT seconds, at most EXPECT_PER_FLOW live ones per
 * control flow (its oldest is given up for a new one), so no control flow
 * can fill the table with its announcements.
 *
 * Hostile input: an announcement is taken only when it names the control
 * flow's own end (PORT/EPRT: its client; 227/229: its server) and a port of
 * 1024 or more. A PORT to a third host is the FTP bounce (BH-NET-FTP-BOUNCE,
 * raised by the dissector); its connection is not made a related flow, so it
 * is decided on its own.
 */
#include <stdlib.h>
#include <string.h>

#include "net/engine_int.h"
#include "banned.h"

#define EXPECT_SLOTS	1024
#define EXPECT_WAYS	4
#define EXPECT_TIMEOUT	60.0
#define EXPECT_PER_FLOW 8
#define EXPECT_MIN_PORT 1024

struct net_expect_slot {
	bool used;
	uint16_t port;
	uint8_t addr[16]; /* the related flow's server */
	uint8_t peer[16]; /* its client: the control flow's other end */
	double at;
	uint64_t seq;	/* the order of announcements: the oldest is given up first */
	uint64_t owner; /* the control flow's expect_id */
	const char *app;
	enum bh_netpol_verdict verdict; /* the control flow's, when it was announced */
	/* its rule's name, copied: the control flow's may be its own copy
	 * (rule_own, after a swap), freed when that flow ends */
	char *rule;
};

struct net_expect {
	struct net_expect_slot s[EXPECT_SLOTS];
	size_t live; /* slots used (some may have expired) */
	uint64_t next_id, next_seq;
};

void net_expect_new(struct bh_net_engine *e)
{
	e->xp = bh_calloc(1, sizeof(*e->xp));
}

void net_expect_free(struct bh_net_engine *e)
{
	if (e->xp)
		for (size_t i = 0; i < EXPECT_SLOTS; i++)
			free(e->xp->s[i].rule);
	free(e->xp);
	e->xp = NULL;
}

static struct net_expect_slot *bucket(const struct bh_net_engine *e, const uint8_t addr[16],
				      uint16_t port)
{
	uint8_t k[18];
	uint64_t h;

	memcpy(k, addr, 16);
	k[16] = (uint8_t)(port >> 8);
	k[17] = (uint8_t)port;
	h = bh_siphash13(k, sizeof(k), e->seed, 0x657870656374ull);
	return &e->xp->s[(h & (EXPECT_SLOTS / EXPECT_WAYS - 1)) * EXPECT_WAYS];
}

static bool expired(const struct bh_net_engine *e, const struct net_expect_slot *s)
{
	return s->at + EXPECT_TIMEOUT < e->now;
}

static void drop(struct net_expect *x, struct net_expect_slot *s)
{
	free(s->rule);
	s->rule = NULL;
	s->used = false;
	x->live--;
}

void net_expect_add(struct flow *ctl, const struct bh_net_rec *rec)
{
	struct bh_net_engine *e = ctl->e;
	struct net_expect *x = e->xp;
	const uint8_t *own, *peer;
	struct net_expect_slot *b, *w = NULL, *mine = NULL;
	size_t n_mine = 0;

	if (!x || rec->kind != BH_NET_REC_EXPECT || !rec->u.expect.app)
		return;
	/* PORT/EPRT name the client's address, 227/229 the server's */
	own = rec->dir == BH_NET_TO_SERVER ? ctl->info.client_addr : ctl->info.server_addr;
	peer = rec->dir == BH_NET_TO_SERVER ? ctl->info.server_addr : ctl->info.client_addr;
	if (memcmp(rec->u.expect.addr, own, 16) || rec->u.expect.port < EXPECT_MIN_PORT) {
		e->st.expects_refused++;
		return;
	}
	if (!ctl->expect_id)
		ctl->expect_id = ++x->next_id;
	/* this control flow's live announcements: at most EXPECT_PER_FLOW */
	for (size_t i = 0; i < EXPECT_SLOTS; i++) {
		struct net_expect_slot *s = &x->s[i];

		if (!s->used || s->owner != ctl->expect_id)
			continue;
		if (expired(e, s)) {
			drop(x, s);
			continue;
		}
		n_mine++;
		if (!mine || s->seq < mine->seq)
			mine = s;
	}
	if (n_mine >= EXPECT_PER_FLOW)
		drop(x, mine);
	b = bucket(e, rec->u.expect.addr, rec->u.expect.port);
	for (int i = 0; i < EXPECT_WAYS; i++) {
		struct net_expect_slot *s = &b[i];

		if (s->used && (expired(e, s) || (s->port == rec->u.expect.port &&
						  !memcmp(s->addr, rec->u.expect.addr, 16)))) {
			drop(x, s); /* gone, or announced again: the new one replaces it */
		}
		if (!s->used) {
			w = s;
			break;
		}
		if (!w || s->seq < w->seq)
			w = s;
	}
	if (w->used) {
		drop(x, w);
		e->st.expects_evicted++;
	}
	memset(w, 0, sizeof(*w));
	w->used = true;
	w->port = rec->u.expect.port;
	memcpy(w->addr, rec->u.expect.addr, 16);
	memcpy(w->peer, peer, 16);
	w->at = e->now;
	w->seq = ++x->next_seq;
	w->owner = ctl->expect_id;
	w->app = rec->u.expect.app;
	w->verdict = ctl->pol.verdict;
	w->rule = ctl->pol.rule ? bh_strdup(ctl->pol.rule) : NULL;
	x->live++;
	e->st.expects++;
}

/* The announcement f is (its slot's rule name moved to *rule, the caller's). */
static bool take(struct flow *f, enum bh_netpol_verdict *verdict, char **rule)
{
	struct bh_net_engine *e = f->e;
	struct net_expect_slot *b;

	if (!e->xp || !e->xp->live || f->proto != 6)
		return false;
	b = bucket(e, f->info.server_addr, f->info.server_port);
	for (int i = 0; i < EXPECT_WAYS; i++) {
		struct net_expect_slot *s = &b[i];

		if (!s->used || s->port != f->info.server_port ||
		    memcmp(s->addr, f->info.server_addr, 16))
			continue;
		if (expired(e, s)) {
			drop(e->xp, s);
			continue;
		}
		if (memcmp(s->peer, f->info.client_addr, 16))
			continue; /* opened by someone else: not the announced channel */
		f->app = s->app;
		*verdict = s->verdict;
		*rule = s->rule;
		s->rule = NULL;
		drop(e->xp, s);
		e->st.related_flows++;
		return true;
	}
	return false;
}

bool net_expect_flow_start(struct flow *f)
{
	enum bh_netpol_verdict v = BH_NETPOL_NONE;
	char *rule = NULL;
	bool related = take(f, &v, &rule);

	if (related)
		f->ident = ID_DONE; /* its app known: not probed */
	net_pol_flow_start(f);
	if (related)
		net_pol_related(f, v, rule);
	free(rule);
	return related;
}

void net_expect_forget(struct bh_net_engine *e)
{
	if (!e->xp)
		return;
	for (size_t i = 0; i < EXPECT_SLOTS; i++) {
		e->xp->s[i].verdict = BH_NETPOL_NONE;
		free(e->xp->s[i].rule);
		e->xp->s[i].rule = NULL;
	}
}
