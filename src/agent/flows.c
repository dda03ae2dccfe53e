/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's flow records (src/agent/flows.h): a fixed open-addressing
 * table of edges, fed by the monitor's connect/accept events and the net
 * engine's flow records, drained as "flows" records for the spool.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/flows.h"
#include "bulkhead/monitor.h"
#include "bulkhead/net.h"
#include "banned.h"

#define ADDRS 4096 /* addresses of this node's containers remembered: a power of two */
#define PROBE 8	   /* slots an address may take from its hash on */

struct edge {
	bool used;
	bool src_peer, dst_peer, inbound;
	uint16_t port;
	uint8_t nthreats;
	char src[AGF_NAME_MAX + 1], dst[AGF_NAME_MAX + 1];
	char l4[8], app[AGF_APP_MAX + 1];
	char threats[AGF_THREATS_MAX][AGF_THREAT_MAX + 1];
	uint64_t bytes, packets, conns, allowed, denied;
};

struct addr {
	bool used;
	char ip[INET6_ADDRSTRLEN];
	char group[AGF_NAME_MAX + 1];
};

struct agf {
	struct edge *v;
	size_t cap, max, n; /* cap: a power of two, at least 2 * max */
	uint64_t dropped, records;
	struct addr addrs[ADDRS];
	size_t next_addr; /* the slot a new address takes when none is free (round robin) */
};

struct agf *agent_flows_new(size_t max_edges)
{
	struct agf *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	if (!max_edges)
		max_edges = AGF_EDGES_DEFAULT;
	if (max_edges > AGF_EDGES_MAX)
		max_edges = AGF_EDGES_MAX;
	f->max = max_edges;
	for (f->cap = 16; f->cap < 2 * max_edges; f->cap *= 2)
		;
	f->v = calloc(f->cap, sizeof(*f->v));
	if (!f->v) {
		free(f);
		return NULL;
	}
	return f;
}

void agent_flows_free(struct agf *f)
{
	if (!f)
		return;
	free(f->v);
	free(f);
}

static void cpy(char *dst, size_t size, const char *s)
{
	size_t n = s ? strnlen(s, size - 1) : 0;

	if (n)
		memcpy(dst, s, n);
	dst[n] = 0;
}

static uint64_t key_hash(const char *src, const char *dst, uint16_t port, const char *l4,
			 const char *app)
{
	char k[2 * (AGF_NAME_MAX + 1) + 8 + AGF_APP_MAX + 16];
	int n = snprintf(k, sizeof(k), "%s|%s|%u|%s|%s", src, dst, port, l4, app);

	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(k))
		n = (int)sizeof(k) - 1;
	return bh_siphash13(k, (size_t)n, 0x666c6f7773ull, 0x6167656e74ull);
}

void agent_flows_add(struct agf *f, const struct agf_edge_in *e)
{
	char src[AGF_NAME_MAX + 1], dst[AGF_NAME_MAX + 1], l4[8], app[AGF_APP_MAX + 1];
	size_t i;
	struct edge *d;

	if (!e->src || !*e->src || !e->dst || !*e->dst || !e->l4)
		return;
	cpy(src, sizeof(src), e->src);
	cpy(dst, sizeof(dst), e->dst);
	cpy(l4, sizeof(l4), e->l4);
	cpy(app, sizeof(app), e->app && *e->app ? e->app : "unknown");
	i = key_hash(src, dst, e->port, l4, app) & (f->cap - 1);
	for (;; i = (i + 1) & (f->cap - 1)) {
		d = &f->v[i];
		if (!d->used)
			break;
		if (d->port == e->port && !strcmp(d->src, src) && !strcmp(d->dst, dst) &&
		    !strcmp(d->l4, l4) && !strcmp(d->app, app))
			goto found;
	}
	if (f->n >= f->max) {
		f->dropped++;
		return;
	}
	d->used = true;
	memcpy(d->src, src, sizeof(src));
	memcpy(d->dst, dst, sizeof(dst));
	memcpy(d->l4, l4, sizeof(l4));
	memcpy(d->app, app, sizeof(app));
	d->port = e->port;
	d->src_peer = e->src_peer;
	d->dst_peer = e->dst_peer;
	d->inbound = e->inbound;
	f->n++;
found:
	d->bytes += e->bytes;
	d->packets += e->packets;
	d->conns += e->conns;
	d->allowed += e->allowed;
	d->denied += e->denied;
	for (size_t t = 0; t < e->nthreats; t++) {
		size_t k;

		if (!e->threats[t] || !*e->threats[t])
			continue;
		for (k = 0;
		     k < d->nthreats && strncmp(d->threats[k], e->threats[t], AGF_THREAT_MAX); k++)
			;
		if (k == d->nthreats && d->nthreats < AGF_THREATS_MAX)
			cpy(d->threats[d->nthreats++], AGF_THREAT_MAX + 1, e->threats[t]);
	}
}

/* ---- the monitor's connect/accept -------------------------------------------------------- */

static bool addr_zero(const uint8_t *ip)
{
	for (int i = 0; i < 16; i++)
		if (ip[i])
			return false;
	return true;
}

static bool addr_zero4(const uint8_t *ip)
{
	return !ip[0] && !ip[1] && !ip[2] && !ip[3];
}

/* A workload's group: the container's name, else its id's first 12. */
static void group_of(const struct bh_mon_container *c, char *out, size_t size)
{
	if (c->name[0])
		cpy(out, size, c->name);
	else
		snprintf(out, size, "%.12s", c->id);
}

static size_t addr_home(const char *ip)
{
	return (size_t)bh_siphash13(ip, strlen(ip), 0x61646472ull, 0x666c6f77ull) & (ADDRS - 1);
}

/* The address's slot: in PROBE slots from its hash; a newcomer takes a free
 * one, else the next in turn (a bound, not an error). */
static void learn(struct agf *f, const char *ip, const char *group)
{
	size_t h = addr_home(ip), free_slot = ADDRS;

	for (size_t k = 0; k < PROBE; k++) {
		struct addr *a = &f->addrs[(h + k) & (ADDRS - 1)];

		if (a->used && !strcmp(a->ip, ip)) {
			cpy(a->group, sizeof(a->group), group);
			return;
		}
		if (!a->used && free_slot == ADDRS)
			free_slot = (h + k) & (ADDRS - 1);
	}
	if (free_slot == ADDRS)
		free_slot = (h + f->next_addr++ % PROBE) & (ADDRS - 1);
	f->addrs[free_slot].used = true;
	cpy(f->addrs[free_slot].ip, sizeof(f->addrs[free_slot].ip), ip);
	cpy(f->addrs[free_slot].group, sizeof(f->addrs[free_slot].group), group);
}

/* The group of a container of this node with that address, else NULL. */
static const char *known(const struct agf *f, const char *ip)
{
	size_t h = addr_home(ip);

	for (size_t k = 0; k < PROBE; k++) {
		const struct addr *a = &f->addrs[(h + k) & (ADDRS - 1)];

		if (a->used && !strcmp(a->ip, ip))
			return a->group;
	}
	return NULL;
}

/* An address of a container's own (not any, not loopback: shared by all in
 * the host's namespace, and each namespace's own) as text; false otherwise. */
static bool own_addr(const struct bh_mon_net *n, const uint8_t *a, char *out, size_t size)
{
	static const uint8_t lo6[16] = { [15] = 1 };
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (n->family == AF_INET ? addr_zero4(a) || a[0] == 127
				 : addr_zero(a) || !memcmp(a, lo6, 16) ||
					   (!memcmp(a, v4mapped, 12) && a[12] == 127))
		return false;
	return inet_ntop(n->family, a, out, (socklen_t)size) != NULL;
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d, a dual-stack socket's view of
 * an IPv4 peer) as the IPv4 address it is, so both ends name it alike. */
static void unmap(struct bh_mon_net *n)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	bool l = !memcmp(n->laddr, v4mapped, 12) || addr_zero(n->laddr);
	bool r = !memcmp(n->raddr, v4mapped, 12) || addr_zero(n->raddr);

	if (n->family != AF_INET6 || !l || !r || (addr_zero(n->laddr) && addr_zero(n->raddr)))
		return;
	n->family = AF_INET;
	memmove(n->laddr, n->laddr + 12, 4);
	memset(n->laddr + 4, 0, 12);
	memmove(n->raddr, n->raddr + 12, 4);
	memset(n->raddr + 4, 0, 12);
}

void agent_flows_mon(struct agf *f, const struct bh_mon_event *ev)
{
	struct bh_mon_net net = ev->net;
	const struct bh_mon_net *n = &net;
	char me[AGF_NAME_MAX + 1], peer[INET6_ADDRSTRLEN], mine[INET6_ADDRSTRLEN];
	struct agf_edge_in e = { 0 };
	bool accept = ev->type == BH_MON_ACCEPT || ev->type == BH_MON_ACCEPT4;

	if ((ev->type != BH_MON_CONNECT && ev->type != BH_MON_LISTEN && !accept) ||
	    !ev->container.id[0])
		return;
	if (n->family != AF_INET && n->family != AF_INET6)
		return;
	if (n->proto != IPPROTO_TCP && n->proto != IPPROTO_UDP)
		return;
	unmap(&net);
	group_of(&ev->container, me, sizeof(me));
	if ((ev->res >= 0 || ev->res == -EINPROGRESS) && own_addr(n, n->laddr, mine, sizeof(mine)))
		learn(f, mine, me);
	if (ev->type == BH_MON_LISTEN)
		return;
	if (n->family == AF_INET ? addr_zero4(n->raddr) : addr_zero(n->raddr))
		return;
	if (!inet_ntop(n->family, n->raddr, peer, sizeof(peer)))
		return;
	e.l4 = n->proto == IPPROTO_TCP ? "tcp" : "udp";
	e.conns = 1;
	if (ev->res >= 0 || ev->res == -EINPROGRESS)
		e.allowed = 1;
	else if (ev->res == -EPERM || ev->res == -EACCES)
		e.denied = 1;
	else
		return; /* refused, unreachable: no flow */
	if (accept) {
		e.src = peer;
		e.src_peer = true;
		e.inbound = true;
		e.dst = me;
		e.port = n->lport;
	} else {
		e.src = me;
		e.dst = peer;
		e.dst_peer = true;
		e.port = n->rport;
	}
	agent_flows_add(f, &e);
}

/* ---- the net engine's flow records ------------------------------------------------------- */

void agent_flows_net(struct agf *f, const struct bh_net_flow_record *r)
{
	char cli[INET6_ADDRSTRLEN + 1], srv[INET6_ADDRSTRLEN + 1];
	const char *ids[AGF_THREATS_MAX];
	struct agf_edge_in e = { 0 };
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	/* the engine's IPv4 is IPv4-mapped (::ffff:a.b.c.d): named as the
	 * monitor's connect names it, a.b.c.d */
	bool v4 = !memcmp(r->client_addr, v4mapped, 12) && !memcmp(r->server_addr, v4mapped, 12);

	if (!inet_ntop(v4 ? AF_INET : AF_INET6, r->client_addr + (v4 ? 12 : 0), cli, sizeof(cli)) ||
	    !inet_ntop(v4 ? AF_INET : AF_INET6, r->server_addr + (v4 ? 12 : 0), srv, sizeof(srv)))
		return;
	e.src = r->client_group ? r->client_group : cli;
	e.src_peer = !r->client_group;
	e.dst = r->server_group ? r->server_group : r->server_name ? r->server_name : srv;
	e.dst_peer = !r->server_group;
	e.port = r->server_port;
	e.l4 = r->l4;
	e.app = r->app;
	e.bytes = r->bytes[0] + r->bytes[1];
	e.packets = r->packets[0] + r->packets[1];
	e.conns = 1;
	if (r->verdict && !strcmp(r->verdict, "deny"))
		e.denied = 1;
	else
		e.allowed = 1;
	for (size_t i = 0; i < r->n_threats && e.nthreats < AGF_THREATS_MAX; i++)
		ids[e.nthreats++] = r->threats[i].id;
	e.threats = ids;
	agent_flows_add(f, &e);
}

/* ---- drain ------------------------------------------------------------------------------- */

/* The edge as shipped: a peer address that is a container of this node
 * becomes its group; NULL: left out (an accept its client's connect counted). */
static json_t *edge_json(const struct agf *f, const struct edge *d)
{
	const char *src = d->src, *dst = d->dst, *g;
	bool src_peer = d->src_peer, dst_peer = d->dst_peer;
	json_t *t, *o;

	if (src_peer && (g = known(f, src))) {
		if (d->inbound)
			return NULL;
		src = g;
		src_peer = false;
	}
	if (dst_peer && (g = known(f, dst))) {
		dst = g;
		dst_peer = false;
	}
	t = json_array();

	for (size_t k = 0; k < d->nthreats; k++)
		json_array_append_new(t, json_string(d->threats[k]));
	o = json_pack("{sssssisssssIsIsIsIsIso}", "src", src, "dst", dst, "port", (int)d->port,
		      "l4", d->l4, "app", d->app, "bytes", (json_int_t)d->bytes, "packets",
		      (json_int_t)d->packets, "conns", (json_int_t)d->conns, "allowed",
		      (json_int_t)d->allowed, "denied", (json_int_t)d->denied, "threats", t);
	if (o && src_peer)
		json_object_set_new(o, "src_peer", json_true());
	if (o && dst_peer)
		json_object_set_new(o, "dst_peer", json_true());
	return o;
}

int agent_flows_drain(struct agf *f, int64_t ts, int64_t interval,
		      int (*emit)(void *data, const char *rec, size_t len, struct bh_error **err),
		      void *data, struct bh_error **err)
{
	size_t i = 0;

	while (f->n) {
		struct bh_buf b = BH_BUF_INIT(AGF_RECORD_MAX + 4096);
		size_t first = 0, taken[256], nt = 0;
		int rc;

		if (bh_buf_addf(
			    &b, err,
			    "{\"kind\":\"flows\",\"ts\":%lld,\"interval\":%lld,\"dropped\":%llu,"
			    "\"edges\":[",
			    (long long)ts, (long long)interval,
			    (unsigned long long)f->dropped) < 0) {
			bh_buf_release(&b);
			return -1;
		}
		for (; i < f->cap && nt < 256; i++) {
			json_t *j;
			char *s;
			size_t len;

			if (!f->v[i].used)
				continue;
			j = edge_json(f, &f->v[i]);
			if (!j) {
				taken[nt++] = i;
				continue;
			}
			s = json_dumps(j, JSON_COMPACT);
			json_decref(j);
			if (!s) {
				bh_buf_release(&b);
				return bh_error_set(err, BH_ERR_NOMEM, "agent: encoding a flow");
			}
			len = strlen(s);
			if (nt && b.len + len + 3 > AGF_RECORD_MAX) {
				free(s);
				break;
			}
			rc = (first++ ? bh_buf_addc(&b, ',', err) : 0) < 0 ||
					     bh_buf_add(&b, s, len, err) < 0
				     ? -1
				     : 0;
			free(s);
			if (rc < 0) {
				bh_buf_release(&b);
				return -1;
			}
			taken[nt++] = i;
		}
		if (bh_buf_adds(&b, "]}", err) < 0) {
			bh_buf_release(&b);
			return -1;
		}
		/* only edges left out: nothing to say */
		rc = first ? emit(data, b.data, b.len, err) : 0;
		bh_buf_release(&b);
		if (rc < 0)
			return -1;
		if (first) {
			f->records++;
			f->dropped = 0;
		}
		for (size_t k = 0; k < nt; k++)
			f->v[taken[k]].used = false;
		f->n -= nt;
	}
	/* the table is empty: clear it whole (open addressing has no tombstones) */
	memset(f->v, 0, f->cap * sizeof(*f->v));
	return 0;
}

void agent_flows_stats(const struct agf *f, struct agf_stats *st)
{
	st->edges = f->n;
	st->dropped = f->dropped;
	st->records = f->records;
}
