/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The packet engine (include/bulkhead/net.h): flows (their TCP reassembly in
 * engine_tcp.c, the identification and feeding of their dissectors in
 * engine_ident.c), rate meters, flow records.
 *
 * Flows live in a map keyed by the canonical 5-tuple (SipHash, so chosen
 * addresses cannot degrade it) and in one of four lists ordered by last
 * packet (TCP open, TCP closed, UDP, ICMP), each with its own idle time: the
 * heads are the only flows that can have expired, and the oldest head is the
 * flow evicted when the table is full.
 *
 * TCP reassembly is engine_tcp.c's: it hands the in-order bytes and the
 * gaps to engine_ident.c (net_flow_deliver, net_flow_deliver_gap).
 *
 * The matchers (SQL injection and data leaks, engine_match.c) see each
 * record after the caller did, and an unknown flow's bytes; the flow and the
 * engine object are shared with them through engine_int.h.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "net/dissect.h"
#include "net/engine_int.h"
#include "net/sqli.h"
#include "net/threats.h"
#include "banned.h"

/* ---- lists ---------------------------------------------------------------- */

static void list_del(struct bh_net_engine *e, struct flow *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		e->head[f->list] = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		e->tail[f->list] = f->prev;
	f->prev = f->next = NULL;
}

static void list_add_tail(struct bh_net_engine *e, struct flow *f, int list)
{
	f->list = list;
	f->prev = e->tail[list];
	f->next = NULL;
	if (e->tail[list])
		e->tail[list]->next = f;
	else
		e->head[list] = f;
	e->tail[list] = f;
}

/* ---- threats -------------------------------------------------------------- */

void net_flow_threat(struct flow *f, const char *id)
{
	const struct bh_net_threat_def *t = bh_net_threat_find(id);

	if (!t) {
		bh_debug("net: a threat not in the catalogue: %s", id);
		return;
	}
	f->e->st.threats++;
	if ((uint8_t)t->severity > f->max_sev)
		f->max_sev = (uint8_t)t->severity;
	for (size_t i = 0; i < f->n_threats; i++)
		if (f->threats[i].id == t->id) {
			f->threats[i].count++;
			return;
		}
	if (f->n_threats == BH_NET_FLOW_THREATS_MAX)
		return;
	f->threats[f->n_threats++] = (struct bh_net_threat_hit){ t->id, t->name, 1 };
}

/* ---- records ------------------------------------------------------------ */

static void fill_record(const struct flow *f, struct bh_net_flow_record *r)
{
	memset(r, 0, sizeof(*r));
	r->l4 = f->proto == 6 ? "tcp" : f->proto == 17 ? "udp" : "icmp";
	memcpy(r->client_addr, f->info.client_addr, 16);
	memcpy(r->server_addr, f->info.server_addr, 16);
	r->client_port = f->info.client_port;
	r->server_port = f->info.server_port;
	r->app = f->app ? f->app : f->d ? f->d->app : "unknown";
	r->host = f->host;
	memcpy(r->packets, f->packets, sizeof(r->packets));
	memcpy(r->bytes, f->bytes, sizeof(r->bytes));
	r->first = f->first;
	r->last = f->last;
	r->end = f->end;
	r->threats = f->threats;
	r->n_threats = f->n_threats;
	r->dlp = f->m ? f->m->hits : NULL;
	r->n_dlp = f->m ? f->m->n_hits : 0;
	r->capture = net_cap_path(f);
	net_pol_fill(f, r);
}

/* ---- alerts as they happen ---------------------------------------------- */

const char *bh_net_alert_kind_name(enum bh_net_alert_kind k)
{
	static const char *const names[] = { "threat", "dlp", "policy" };

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "unknown";
}

static void tell(struct flow *f, struct bh_net_alert *a)
{
	struct bh_net_flow_record r;

	fill_record(f, &r);
	a->ts = f->last;
	f->e->o.on_alert(&r, a, f->e->o.arg);
}

/* The BH-NET-DLP-* threat a dlp type raises (as engine_match.c raises it). */
static const char *dlp_id(const char *type)
{
	return !strncmp(type, "card-", 5) ? "BH-NET-DLP-CARD"
	       : !strcmp(type, "ssn")	  ? "BH-NET-DLP-SSN"
					  : "BH-NET-DLP-SENSOR";
}

/* Its bit in flow_match.said_ids. */
static uint8_t dlp_bit(const char *id)
{
	return !strcmp(id, "BH-NET-DLP-CARD") ? 1 : !strcmp(id, "BH-NET-DLP-SSN") ? 2 : 4;
}

/*
 * What is new on f since the last call, to on_alert: the threats added to
 * its list (a BH-NET-DLP-* one is told with its dlp type below), the dlp
 * types not told yet, the policy's alert or deny not told yet. O(1) when
 * nothing is new: the lists only grow, each looked at once. A BH-NET-DLP-*
 * threat none of whose matches is kept (the flow's 16 kept already, or 16
 * types told) is told as the threat, so no leak goes untold.
 */
static void net_flow_alerts(struct flow *f)
{
	struct bh_net_alert a;
	uint8_t from = f->said_threats;

	if (!f->e->o.on_alert)
		return;
	while (f->said_threats < f->n_threats) {
		const struct bh_net_threat_hit *t = &f->threats[f->said_threats++];
		const struct bh_net_threat_def *d = bh_net_threat_find(t->id);

		if (!strncmp(t->id, "BH-NET-DLP-", 11))
			continue;
		a = (struct bh_net_alert){ .kind = BH_NET_ALERT_THREAT,
					   .id = t->id,
					   .name = t->name,
					   .severity = d ? (unsigned)d->severity : 0 };
		tell(f, &a);
	}
	while (f->m && f->m->said_hits < f->m->n_hits) {
		struct flow_match *m = f->m;
		const struct bh_net_dlp_hit *h = &m->hits[m->said_hits++];
		const char *id = dlp_id(h->type);
		const struct bh_net_threat_def *d = bh_net_threat_find(id);
		bool said = false;

		for (size_t i = 0; i < m->n_said_types && !said; i++)
			said = !strcmp(m->said_types[i], h->type);
		if (said || m->n_said_types == BH_NET_FLOW_DLP_MAX)
			continue;
		m->said_types[m->n_said_types++] = h->type;
		m->said_ids |= dlp_bit(id);
		a = (struct bh_net_alert){ .kind = BH_NET_ALERT_DLP,
					   .id = d ? d->id : id,
					   .name = d ? d->name : "data leak",
					   .severity = d ? (unsigned)d->severity : 0,
					   .dlp = h };
		tell(f, &a);
	}
	/* the leak threats new in this call whose dlp type was not told */
	for (uint8_t i = from; i < f->said_threats; i++) {
		const struct bh_net_threat_hit *t = &f->threats[i];
		const struct bh_net_threat_def *d = bh_net_threat_find(t->id);

		if (strncmp(t->id, "BH-NET-DLP-", 11))
			continue;
		if (f->m && (f->m->said_ids & dlp_bit(t->id)))
			continue;
		if (f->m)
			f->m->said_ids |= dlp_bit(t->id);
		a = (struct bh_net_alert){ .kind = BH_NET_ALERT_THREAT,
					   .id = t->id,
					   .name = t->name,
					   .severity = d ? (unsigned)d->severity : 0 };
		tell(f, &a);
	}
	if ((f->pol.verdict == BH_NETPOL_ALERT || f->pol.verdict == BH_NETPOL_DENY) &&
	    !(f->said_pol & (1u << f->pol.verdict))) {
		f->said_pol |= (uint8_t)(1u << f->pol.verdict);
		a = (struct bh_net_alert){ .kind = BH_NET_ALERT_POLICY,
					   .verdict = bh_netpol_verdict_name(f->pol.verdict),
					   .rule = f->pol.rule };
		tell(f, &a);
	}
}

static void set_host(struct flow *f, struct bh_net_str s)
{
	size_t n = s.len < 255 ? s.len : 255;

	if (f->host || !s.p || !n)
		return;
	f->host = bh_malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		f->host[i] = bh_isprint(s.p[i]) ? s.p[i] : '?';
	f->host[n] = 0;
}

void net_flow_emit(void *opaque, const struct bh_net_rec *in)
{
	struct flow *f = opaque;
	struct bh_net_rec cp;
	const struct bh_net_rec *rec = in;

	switch (rec->kind) {
	case BH_NET_REC_SQL:
		cp = *in;
		if (!cp.u.sql.statement)
			cp.u.sql.statement = bh_sql_statement_type(
				cp.u.sql.text.p ? cp.u.sql.text.p : "", cp.u.sql.text.len);
		rec = &cp;
		break;
	case BH_NET_REC_HTTP_REQUEST:
		set_host(f, rec->u.http.host);
		/* the one sub-protocol a dissector tells apart: gRPC over HTTP/2 */
		if (f->d && rec->app && !strcmp(f->d->app, "http2") && !strcmp(rec->app, "grpc"))
			f->app = "grpc";
		break;
	case BH_NET_REC_TLS_HELLO:
		if (rec->u.tls.client)
			set_host(f, rec->u.tls.sni);
		break;
	case BH_NET_REC_DNS:
		if (!rec->u.dns.response)
			set_host(f, rec->u.dns.qname);
		break;
	case BH_NET_REC_THREAT:
		if (rec->u.threat.id)
			net_flow_threat(f, rec->u.threat.id);
		break;
	case BH_NET_REC_EXPECT: net_expect_add(f, rec); break;
	default: break;
	}
	net_pol_record(f, rec);
	if (f->e->o.on_record) {
		struct bh_net_flow_record r;

		fill_record(f, &r);
		f->e->o.on_record(&r, rec, f->e->o.arg);
	}
	/* the matchers' threats are reported after the record they are about */
	net_match_record(f, rec);
}

/* ---- rate meters -------------------------------------------------------- */

/*
 * A meter is a one-second window counting packets (or new flows) per address
 * and kind, in a table of METER_WAYS-way buckets. An address not in its bucket
 * takes a way whose window has ended, else the way with the lowest count: a
 * flood's meter (a high count) is not pushed out by the many one-off addresses
 * a flood of sources brings (a direct-mapped table let any colliding address
 * restart it).
 */
static bool meter_hit(struct bh_net_engine *e, int kind, const uint8_t addr[16], unsigned limit)
{
	uint64_t h = bh_siphash13(addr, 16, e->seed, (uint64_t)kind);
	struct meter *b, *m = NULL;

	b = &e->meters[(h & (METER_SLOTS / METER_WAYS - 1)) * METER_WAYS];
	for (int i = 0; i < METER_WAYS && !m; i++)
		if (b[i].count && b[i].kind == kind && !memcmp(b[i].addr, addr, 16))
			m = &b[i];
	if (!m) {
		m = &b[0];
		for (int i = 0; i < METER_WAYS; i++) {
			if (!b[i].count || e->now - b[i].start >= 1.0 || e->now < b[i].start) {
				m = &b[i];
				break;
			}
			if (b[i].count < m->count)
				m = &b[i];
		}
		memcpy(m->addr, addr, 16);
		m->kind = (uint8_t)kind;
		m->count = 0;
		m->start = e->now;
	} else if (e->now - m->start >= 1.0 || e->now < m->start) {
		m->start = e->now;
		m->count = 0;
	}
	if (m->count < UINT32_MAX)
		m->count++;
	return m->count > limit;
}

/*
 * A port scan: more than scan_ports distinct destination ports of one
 * address that one source opened flows to (a TCP SYN, a UDP datagram) in a
 * window of SCAN_WINDOW s; true once a window, at the flow past the limit.
 * The meters are SCAN_SLOTS in 4-way buckets keyed by (source, destination);
 * a pair not in its bucket takes a way whose window ended, else the way
 * with the fewest ports, so a scan is not pushed out by one-off pairs.
 */
static bool scan_hit(struct bh_net_engine *e, const struct flow *f)
{
	uint8_t pair[32];
	uint64_t h, ph;
	struct scan_meter *b, *m = NULL;

	memcpy(pair, f->info.client_addr, 16);
	memcpy(pair + 16, f->info.server_addr, 16);
	h = bh_siphash13(pair, sizeof(pair), e->seed, 0x5ca9);
	b = &e->scans[(h & (SCAN_SLOTS / 4 - 1)) * 4];
	for (int i = 0; i < 4 && !m; i++)
		if (b[i].distinct && !memcmp(b[i].src, pair, 32))
			m = &b[i];
	if (!m) {
		m = &b[0];
		for (int i = 0; i < 4; i++) {
			if (!b[i].distinct || e->now - b[i].start >= SCAN_WINDOW ||
			    e->now < b[i].start) {
				m = &b[i];
				break;
			}
			if (b[i].distinct < m->distinct)
				m = &b[i];
		}
		memset(m, 0, sizeof(*m));
		memcpy(m->src, pair, 16);
		memcpy(m->dst, pair + 16, 16);
		m->start = e->now;
	} else if (e->now - m->start >= SCAN_WINDOW || e->now < m->start) {
		memset(m->bits, 0, sizeof(m->bits));
		m->distinct = 0;
		m->raised = false;
		m->start = e->now;
	}
	ph = bh_siphash13(&f->info.server_port, sizeof(f->info.server_port), e->seed, 0x5ca9 + 1) %
	     SCAN_BITS;
	if (m->bits[ph / 64] & (1ull << (ph % 64)))
		return false;
	m->bits[ph / 64] |= 1ull << (ph % 64);
	m->distinct++;
	if (m->distinct <= e->o.scan_ports || m->raised)
		return false;
	m->raised = true;
	return true;
}

/* ---- flows -------------------------------------------------------------- */

static void end_flow(struct bh_net_engine *e, struct flow *f, enum bh_net_flow_end why)
{
	struct bh_net_flow_record r;

	/* what is held goes to the dissector, the holes as gaps */
	net_tcp_flush(f);
	/* still probing: the answers so far and the port decide */
	if (f->ident == ID_PROBING)
		net_flow_decide(f);
	net_flow_stop_inspection(f);
	/* a body the flow ended inside, a number it ended on */
	net_match_finish(f);
	net_cap_flow_end(f);
	f->end = why;
	net_pol_end(f);
	/* the alerts raised as it ended, before its record */
	net_flow_alerts(f);
	fill_record(f, &r);
	if (e->o.on_flow)
		e->o.on_flow(&r, e->o.arg);
	net_cap_flow_free(f);
	net_match_free(f);
	bh_map_del(e->flows, (const char *)f->key, KEY_LEN);
	list_del(e, f);
	e->st.flows_active--;
	net_pol_flow_free(f);
	free(f->host);
	free(f);
}

static void expire(struct bh_net_engine *e, double now)
{
	for (int l = 0; l < L_N; l++)
		while (e->head[l] && e->head[l]->last + e->timeout[l] < now)
			end_flow(e, e->head[l],
				 l == L_CLOSED ? BH_NET_END_CLOSED : BH_NET_END_IDLE);
}

static void evict_oldest(struct bh_net_engine *e)
{
	struct flow *old = NULL;

	for (int l = 0; l < L_N; l++)
		if (e->head[l] && (!old || e->head[l]->last < old->last))
			old = e->head[l];
	if (old) {
		e->st.flows_evicted++;
		end_flow(e, old, BH_NET_END_EVICTED);
	}
}

static void make_key(uint8_t key[KEY_LEN], uint8_t proto, const uint8_t a[16], uint16_t pa,
		     const uint8_t b[16], uint16_t pb)
{
	int c = memcmp(a, b, 16);

	if (c > 0 || (c == 0 && pa > pb)) {
		const uint8_t *t = a;
		uint16_t tp = pa;

		a = b;
		b = t;
		pa = pb;
		pb = tp;
	}
	key[0] = proto == 58 ? 1 : proto;
	memcpy(key + 1, a, 16);
	key[17] = (uint8_t)(pa >> 8);
	key[18] = (uint8_t)pa;
	memcpy(key + 19, b, 16);
	key[35] = (uint8_t)(pb >> 8);
	key[36] = (uint8_t)pb;
}

static int list_of(const struct flow *f)
{
	if (f->proto == 6)
		return (f->rst || (f->h[0].fin && f->h[1].fin)) ? L_CLOSED : L_TCP;
	return f->proto == 17 ? L_UDP : L_ICMP;
}

static struct flow *get_flow(struct bh_net_engine *e, const struct net_pkt *pk, int *dir)
{
	uint8_t key[KEY_LEN];
	struct flow *f;
	bool swap, related;

	make_key(key, pk->proto, pk->src, pk->sport, pk->dst, pk->dport);
	f = bh_map_get(e->flows, (const char *)key, KEY_LEN);
	if (f) {
		*dir = memcmp(f->info.client_addr, pk->src, 16) || f->info.client_port != pk->sport
			       ? BH_NET_TO_CLIENT
			       : BH_NET_TO_SERVER;
		if (!memcmp(pk->src, pk->dst, 16) && pk->sport == pk->dport)
			*dir = BH_NET_TO_SERVER;
		/* the client opens a new connection on the ports of one whose close
		 * was not wholly seen (the server's FIN in an offloaded reply
		 * direction): after the client's own FIN, its SYN of another
		 * sequence ends the old flow and the new one is inspected from its
		 * start, not read as the old one's bytes */
		if (f->proto == 6 && *dir == BH_NET_TO_SERVER &&
		    (pk->tcp_flags & (NET_TCP_SYN | NET_TCP_ACK)) == NET_TCP_SYN &&
		    f->h[BH_NET_TO_SERVER].fin && f->h[BH_NET_TO_SERVER].started &&
		    pk->seq + 1 != f->h[BH_NET_TO_SERVER].next)
			end_flow(e, f, BH_NET_END_CLOSED);
		else
			return f;
	}
	if (bh_map_size(e->flows) >= e->o.max_flows)
		evict_oldest(e);
	f = bh_calloc(1, sizeof(*f));
	f->e = e;
	memcpy(f->key, key, KEY_LEN);
	f->proto = pk->proto == 58 ? 1 : pk->proto;
	/* a SYN-ACK seen first: its receiver is the client */
	swap = pk->proto == 6 &&
	       (pk->tcp_flags & (NET_TCP_SYN | NET_TCP_ACK)) == (NET_TCP_SYN | NET_TCP_ACK);
	f->info.l4 = pk->proto == 6 ? BH_NET_L4_TCP : BH_NET_L4_UDP;
	memcpy(f->info.client_addr, swap ? pk->dst : pk->src, 16);
	memcpy(f->info.server_addr, swap ? pk->src : pk->dst, 16);
	f->info.client_port = swap ? pk->dport : pk->sport;
	f->info.server_port = swap ? pk->sport : pk->dport;
	f->first = f->last = e->now;
	f->opened = pk->proto != 6 || (pk->tcp_flags & (NET_TCP_SYN | NET_TCP_ACK)) == NET_TCP_SYN;
	f->ident = (pk->proto == 6 || pk->proto == 17) && e->n_dissectors ? ID_PROBING : ID_DONE;
	bh_map_put(e->flows, (const char *)f->key, KEY_LEN, f);
	list_add_tail(e, f, list_of(f));
	e->st.flows++;
	e->st.flows_active++;
	/* a related flow's app, then the policy's decision */
	related = net_expect_flow_start(f);
	if (meter_hit(e, M_CONN, f->info.client_addr, e->o.conn_rate))
		net_flow_threat(f, "BH-NET-CONN-FLOOD");
	/* a data channel its control flow announced (FTP's passive ports) is
	 * no probe of a port */
	if (!related && f->opened && (f->proto == 6 || f->proto == 17) && scan_hit(e, f))
		net_flow_threat(f, "BH-NET-PORT-SCAN");
	*dir = swap ? BH_NET_TO_CLIENT : BH_NET_TO_SERVER;
	return f;
}

static enum bh_net_verdict on_packet(struct bh_net_engine *e, const struct net_pkt *pk,
				     unsigned frag_threats)
{
	struct flow *f;
	enum bh_net_verdict v;
	int dir;

	f = get_flow(e, pk, &dir);
	f->last = e->now;
	f->packets[dir]++;
	f->bytes[dir] += pk->ip_len;
	if (frag_threats & NET_FRAG_T_OVERLAP)
		net_flow_threat(f, "BH-NET-FRAG-OVERLAP");
	if (frag_threats & NET_FRAG_T_POD)
		net_flow_threat(f, "BH-NET-FRAG-PING-OF-DEATH");
	if (frag_threats & NET_FRAG_T_TINY)
		net_flow_threat(f, "BH-NET-FRAG-TINY");
	if (f->proto == 6) {
		struct half *h = &f->h[dir];

		if ((pk->tcp_flags & NET_TCP_SYN) && !(pk->tcp_flags & NET_TCP_ACK) &&
		    meter_hit(e, M_SYN, pk->dst, e->o.syn_rate))
			net_flow_threat(f, "BH-NET-SYN-FLOOD");
		if ((pk->tcp_flags & NET_TCP_SYN) && !h->started) {
			h->started = true;
			h->next = pk->seq + 1;
		}
		if (pk->payload_len && (f->ident != ID_DONE || net_match_raw_wanted(f, dir)) &&
		    !(pk->tcp_flags & NET_TCP_RST)) {
			uint32_t seq = pk->seq + ((pk->tcp_flags & NET_TCP_SYN) ? 1 : 0);

			net_tcp_data(f, dir, seq, pk->payload, pk->payload_len);
		}
		if (pk->tcp_flags & NET_TCP_FIN)
			h->fin = true;
		if (pk->tcp_flags & NET_TCP_RST)
			f->rst = true;
	} else if (f->proto == 17) {
		if (meter_hit(e, M_UDP, pk->dst, e->o.udp_rate))
			net_flow_threat(f, "BH-NET-UDP-FLOOD");
		if (f->ident != ID_DONE || net_match_raw_wanted(f, dir))
			net_flow_deliver(f, dir, pk->payload, pk->payload_len);
	} else {
		if (meter_hit(e, M_ICMP, pk->dst, e->o.icmp_rate))
			net_flow_threat(f, "BH-NET-ICMP-FLOOD");
	}
	list_del(e, f);
	list_add_tail(e, f, list_of(f));
	net_cap_packet(f);
	v = net_pol_verdict(f);
	/* a flow with a threat at drop_severity or over */
	if (e->o.drop_severity && f->max_sev >= e->o.drop_severity)
		v = BH_NET_DROP;
	/* settled: nothing more to inspect or decide in this direction (the
	 * live path offloads it): the flow's inspection is over, or its
	 * dissector, still feeding, says it reads nothing more this way (a
	 * request/response protocol's replies: its requests stay queued, each
	 * one inspected and decided) */
	net_flow_alerts(f);
	e->pkt_flow = f;
	e->pkt_dir = dir;
	e->pkt_settled =
		!f->n_threats && !f->gaveup && net_pol_settled(f) &&
		(f->ident == ID_DONE ? !net_match_raw_wanted(f, dir)
				     : f->ident == ID_FEEDING && f->d->wants &&
					       !f->d->wants(f->state, (enum bh_net_dir)dir));
	return v;
}

void bh_net_engine_packet(struct bh_net_engine *e, const uint8_t *pkt, size_t len, int linktype,
			  double ts, enum bh_net_verdict *verdict)
{
	const uint8_t *ip;
	size_t ip_len;
	struct net_pkt pk;
	enum net_decode_rc rc;
	unsigned threats = 0;
	int v;

	if (verdict)
		*verdict = BH_NET_ACCEPT;
	e->pkt_settled = false;
	e->pkt_flow = NULL;
	e->st.packets++;
	e->st.bytes += len;
	e->now = ts;
	e->raw = pkt;
	e->raw_len = len;
	e->raw_link = linktype;
	expire(e, ts);
	v = net_link_ip(linktype, pkt, len, &ip, &ip_len);
	if (v < 0) {
		e->st.malformed++;
		return;
	}
	if (v == 0) {
		e->st.unsupported++;
		return;
	}
	rc = net_decode_ip(ip, ip_len, &pk);
	if (rc == NET_DEC_FRAGMENT) {
		const uint8_t *data;
		size_t dlen;
		int r;

		e->st.fragments++;
		r = net_frag_add(e->frags, &pk, ts, &data, &dlen, &threats, &e->st.frag_dropped);
		if (r == 1) {
			e->st.reassembled++;
			pk.proto = pk.frag_proto;
			pk.ip_len = (uint32_t)((pk.ipver == 4 ? pk.frag_hdr_len : 40) + dlen);
			rc = net_decode_l4(&pk, data, dlen);
		} else if (threats) {
			/* the datagram is not whole (or never will be): the threat goes to
			 * the flow of its addresses, ports as far as they came */
			pk.proto = pk.frag_proto;
			if (pk.frag_off == 0 && pk.frag_len >= 4 &&
			    (pk.proto == 6 || pk.proto == 17)) {
				pk.sport = (uint16_t)(pk.frag_data[0] << 8 | pk.frag_data[1]);
				pk.dport = (uint16_t)(pk.frag_data[2] << 8 | pk.frag_data[3]);
			}
			if (pk.proto == 6 || pk.proto == 17 || pk.proto == 1 || pk.proto == 58) {
				struct flow *f;
				int dir;

				f = get_flow(e, &pk, &dir);
				f->last = ts;
				f->packets[dir]++;
				f->bytes[dir] += pk.ip_len;
				if (threats & NET_FRAG_T_OVERLAP)
					net_flow_threat(f, "BH-NET-FRAG-OVERLAP");
				if (threats & NET_FRAG_T_POD)
					net_flow_threat(f, "BH-NET-FRAG-PING-OF-DEATH");
				if (threats & NET_FRAG_T_TINY)
					net_flow_threat(f, "BH-NET-FRAG-TINY");
				list_del(e, f);
				list_add_tail(e, f, list_of(f));
				net_cap_packet(f);
				net_flow_alerts(f);
			}
			return;
		} else {
			return;
		}
	}
	if (rc == NET_DEC_MALFORMED) {
		e->st.malformed++;
		return;
	}
	if (rc == NET_DEC_UNSUPPORTED) {
		e->st.unsupported++;
		return;
	}
	v = on_packet(e, &pk, threats);
	if (verdict)
		*verdict = (enum bh_net_verdict)v;
}

bool bh_net_engine_settled(const struct bh_net_engine *e)
{
	return e->pkt_settled;
}

void bh_net_engine_offloaded(struct bh_net_engine *e)
{
	if (e->pkt_flow)
		e->pkt_flow->offl = true;
}

bool bh_net_engine_take_back(struct bh_net_engine *e)
{
	struct flow *f = e->pkt_flow;

	if (!f || !f->gaveup || !f->offl || f->offl_taken)
		return false;
	f->offl_taken = true;
	return true;
}

bool bh_net_engine_alert(const struct bh_net_engine *e, struct bh_net_pkt_alert *out)
{
	const struct flow *f = e->pkt_flow;

	memset(out, 0, sizeof(*out));
	if (!f)
		return false;
	memcpy(out->client_addr, f->info.client_addr, 16);
	memcpy(out->server_addr, f->info.server_addr, 16);
	out->client_port = f->info.client_port;
	out->server_port = f->info.server_port;
	out->severity = f->max_sev;
	for (size_t i = 0; i < f->n_threats; i++) {
		const struct bh_net_threat_def *d = bh_net_threat_find(f->threats[i].id);

		if (d && (unsigned)d->severity == f->max_sev) {
			out->threat = f->threats[i].id;
			break;
		}
	}
	out->verdict = f->pol.verdict;
	out->rule = f->pol.rule;
	out->from_client = e->pkt_dir == BH_NET_TO_SERVER;
	out->client_opened = f->opened;
	return true;
}

void bh_net_engine_set_policy(struct bh_net_engine *e, const struct bh_netpol *p,
			      void (*cut)(const struct bh_net_flow_info *fi, uint8_t proto,
					  void *arg),
			      void *arg, size_t *rejudged, size_t *denied)
{
	size_t r, d;

	e->pkt_flow = NULL; /* the last packet's alert was the old policy's */
	net_pol_swap(e, p, cut, arg, &r, &d);
	if (rejudged)
		*rejudged = r;
	if (denied)
		*denied = d;
}

void bh_net_engine_tick(struct bh_net_engine *e, double now)
{
	e->pkt_flow = NULL; /* it may end here */
	e->now = now;
	expire(e, now);
}

void bh_net_engine_flush(struct bh_net_engine *e)
{
	e->pkt_flow = NULL;
	for (;;) {
		struct flow *old = NULL;

		for (int l = 0; l < L_N; l++)
			if (e->head[l] && (!old || e->head[l]->last < old->last))
				old = e->head[l];
		if (!old)
			break;
		/* a TCP flow closed before the flush ended closed */
		end_flow(e, old, old->list == L_CLOSED ? BH_NET_END_CLOSED : BH_NET_END_FLUSH);
	}
}

void bh_net_engine_stats(const struct bh_net_engine *e, struct bh_net_stats *out)
{
	*out = e->st;
}

int bh_net_engine_new(const struct bh_net_opts *opts, struct bh_net_engine **out,
		      struct bh_error **err)
{
	struct bh_net_engine *e = bh_calloc(1, sizeof(*e));
	struct net_frag_limits fl;
	int rc;

	if (opts)
		e->o = *opts;
#define DEF(f, v)                                                                                  \
	do {                                                                                       \
		if (!e->o.f)                                                                       \
			e->o.f = (v);                                                              \
	} while (0)
	DEF(max_flows, 65536);
	DEF(max_ooo_bytes, 256 * 1024);
	DEF(max_ooo_segments, 128);
	DEF(max_held_bytes, 64 * 1024 * 1024);
	DEF(max_frag_datagrams, 1024);
	DEF(max_frag_bytes, 8 * 1024 * 1024);
	DEF(max_frags_per_datagram, 64);
	DEF(tcp_idle, 600);
	DEF(tcp_closed, 10);
	DEF(udp_idle, 60);
	DEF(icmp_idle, 30);
	DEF(frag_timeout, 30);
	DEF(gap_timeout, 5);
	DEF(syn_rate, 2000);
	DEF(udp_rate, 20000);
	DEF(icmp_rate, 1000);
	DEF(conn_rate, 1000);
	DEF(dns_names, 100);
	DEF(scan_ports, 100);
#undef DEF
	if (e->o.max_flows > 16 * 1024 * 1024 || e->o.max_ooo_bytes > 64 * 1024 * 1024 ||
	    e->o.max_frag_datagrams > 1024 * 1024) {
		free(e);
		return bh_error_set(err, BH_ERR_USAGE,
				    "net engine: a bound over its ceiling (flows 16M, held bytes "
				    "64M per direction, fragmented datagrams 1M)");
	}
	e->dis = e->o.dissectors ? e->o.dissectors : bh_net_dissectors;
	for (e->n_dissectors = 0; e->dis[e->n_dissectors]; e->n_dissectors++)
		;
	if (e->n_dissectors > DISSECTORS_MAX) {
		free(e);
		return bh_error_set(err, BH_ERR_INTERNAL, "net engine: more than %d dissectors",
				    DISSECTORS_MAX);
	}
	e->timeout[L_TCP] = e->o.tcp_idle;
	e->timeout[L_CLOSED] = e->o.tcp_closed;
	e->timeout[L_UDP] = e->o.udp_idle;
	e->timeout[L_ICMP] = e->o.icmp_idle;
	fl.max_datagrams = e->o.max_frag_datagrams;
	fl.max_bytes = e->o.max_frag_bytes;
	fl.max_frags = e->o.max_frags_per_datagram;
	fl.timeout = e->o.frag_timeout;
	e->frags = net_frag_new(&fl);
	e->flows = bh_map_new();
	e->meters = bh_calloc(METER_SLOTS, sizeof(*e->meters));
	e->scans = bh_calloc(SCAN_SLOTS, sizeof(*e->scans));
	rc = net_match_dlp_new(e->o.sensors, e->o.n_sensors, &e->dlp, err);
	e->o.sensors = NULL; /* borrowed for this call only */
	e->o.n_sensors = 0;
	if (rc < 0) {
		net_frag_free(e->frags);
		bh_map_free(e->flows, NULL);
		free(e->meters);
		free(e->scans);
		free(e);
		return rc;
	}
	if (getrandom(&e->seed, sizeof(e->seed), 0) != sizeof(e->seed))
		e->seed = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)e;
	if (net_cap_new(e, err) < 0) {
		bh_net_engine_free(e);
		return -1;
	}
	net_pol_new(e);
	net_expect_new(e);
	*out = e;
	return 0;
}

void bh_net_engine_free(struct bh_net_engine *e)
{
	if (!e)
		return;
	for (int l = 0; l < L_N; l++)
		while (e->head[l]) {
			struct flow *f = e->head[l];

			net_flow_stop_inspection(f);
			net_cap_flow_free(f);
			net_match_free(f);
			list_del(e, f);
			net_pol_flow_free(f);
			free(f->host);
			free(f);
		}
	bh_map_free(e->flows, NULL);
	net_frag_free(e->frags);
	free(e->meters);
	free(e->scans);
	bh_dlp_free(e->dlp);
	net_cap_free(e);
	net_pol_free(e);
	net_expect_free(e);
	bh_dns_meter_free(e->dnsm);
	free(e);
}
