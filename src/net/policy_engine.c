/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network policy's hooks in the packet engine (policy_int.h): each flow
 * is decided at its start (layers 3 and 4), again when its app is known, and
 * on each layer-7 record, until a decision is final; the first alert or deny
 * is the one the flow keeps (its record's `rule` and `verdict`), and a denied
 * flow's packets are dropped from the one that decided on.
 *
 * DNS answers the engine sees (A and AAAA of a response) are kept in a
 * table of DNS_SLOTS (address, name) pairs in DNS_WAYS-way buckets keyed by
 * a keyed hash of the address (the oldest way is replaced), so that a rule's
 * `toNames` follow the names to the addresses a client then connects to.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "net/engine_int.h"
#include "net/policy_int.h"
#include "banned.h"

#define DNS_SLOTS 4096
#define DNS_WAYS  4
#define NAMES_MAX DNS_WAYS

struct dns_slot {
	uint8_t addr[16];
	bool used;
	double at;
	char name[BH_NETPOL_NAME_MAX + 1];
};

struct netpol_eng {
	const struct bh_netpol *p;
	struct dns_slot *dns;
	uint64_t seed;
};

void net_pol_new(struct bh_net_engine *e)
{
	struct netpol_eng *s;

	if (!e->o.policy)
		return;
	s = bh_calloc(1, sizeof(*s));
	s->p = e->o.policy;
	s->dns = bh_calloc(DNS_SLOTS, sizeof(*s->dns));
	if (getrandom(&s->seed, sizeof(s->seed), 0) != sizeof(s->seed))
		s->seed = 0x6a09e667f3bcc909ull ^ (uint64_t)(uintptr_t)s;
	e->pol = s;
}

void net_pol_free(struct bh_net_engine *e)
{
	if (!e->pol)
		return;
	free(e->pol->dns);
	free(e->pol);
	e->pol = NULL;
}

static struct dns_slot *bucket(struct netpol_eng *s, const uint8_t addr[16])
{
	uint64_t h = bh_siphash13(addr, 16, s->seed, 0x646e73);

	return &s->dns[(h & (DNS_SLOTS / DNS_WAYS - 1)) * DNS_WAYS];
}

static void dns_add(struct netpol_eng *s, const uint8_t addr[16], struct bh_net_str name,
		    double now)
{
	struct dns_slot *b = bucket(s, addr), *w = &b[0];
	size_t n = name.len;

	if (n && name.p[n - 1] == '.')
		n--;
	if (!n || n > BH_NETPOL_NAME_MAX)
		return;
	for (int i = 0; i < DNS_WAYS; i++) {
		if (b[i].used && !memcmp(b[i].addr, addr, 16) && strlen(b[i].name) == n &&
		    !memcmp(b[i].name, name.p, n)) {
			b[i].at = now;
			return;
		}
		if (!b[i].used) {
			w = &b[i];
			break;
		}
		if (b[i].at < w->at)
			w = &b[i];
	}
	w->used = true;
	w->at = now;
	memcpy(w->addr, addr, 16);
	for (size_t i = 0; i < n; i++)
		w->name[i] = bh_isprint(name.p[i]) ? (char)bh_tolower(name.p[i]) : '?';
	w->name[n] = 0;
}

/* The names addr was resolved from (borrowed from the table). */
static size_t dns_names(struct netpol_eng *s, const uint8_t addr[16], const char **out)
{
	struct dns_slot *b = bucket(s, addr);
	size_t n = 0;

	for (int i = 0; i < DNS_WAYS; i++)
		if (b[i].used && !memcmp(b[i].addr, addr, 16))
			out[n++] = b[i].name;
	return n;
}

static void query_of(struct flow *f, const char *app, const struct bh_net_rec *rec,
		     const char **names, struct bh_netpol_query *q)
{
	memset(q, 0, sizeof(*q));
	q->client_group = f->pol.cgroup;
	q->server_group = f->pol.sgroup;
	q->client_addr = f->info.client_addr;
	q->server_addr = f->info.server_addr;
	q->server_port = f->info.server_port;
	q->l4 = f->proto == 6 ? "tcp" : f->proto == 17 ? "udp" : "icmp";
	q->app = app;
	q->rec = rec;
	q->server_names.v = names;
	q->server_names.n = dns_names(f->e->pol, f->info.server_addr, names);
}

static void apply(struct flow *f, const struct bh_netpol_decision *d)
{
	struct netpol_flow *s = &f->pol;

	if (d->verdict == BH_NETPOL_NONE)
		return;
	s->verdict = d->verdict;
	s->rule = d->rule;
	s->final = d->final;
	s->l4_allowed = d->verdict == BH_NETPOL_ALLOW;
}

static int group_of(struct bh_net_engine *e, const uint8_t addr[16])
{
	struct bh_netpol_endpoint ep = { .addr = addr };

	if (e->o.endpoint)
		e->o.endpoint(addr, &ep, e->o.arg);
	ep.addr = addr;
	return bh_netpol_group_of(e->pol->p, &ep);
}

void net_pol_flow_start(struct flow *f)
{
	struct netpol_eng *s = f->e->pol;
	const char *names[NAMES_MAX];
	struct bh_netpol_query q;
	struct bh_netpol_decision d;

	f->pol.cgroup = f->pol.sgroup = -1;
	if (!s)
		return;
	f->pol.cgroup = group_of(f->e, f->info.client_addr);
	f->pol.sgroup = group_of(f->e, f->info.server_addr);
	/* a flow no dissector will see is decided on its layer 4 alone (and a
	 * related flow on the app its control flow announced) */
	query_of(f, f->ident == ID_DONE ? (f->app ? f->app : "unknown") : NULL, NULL, names, &q);
	if (q.server_names.n)
		f->pol.name = bh_strdup(names[0]);
	bh_netpol_decide(s->p, &q, false, &d);
	apply(f, &d);
}

void net_pol_app(struct flow *f, const char *app)
{
	const char *names[NAMES_MAX];
	struct bh_netpol_query q;
	struct bh_netpol_decision d;

	if (!f->e->pol || f->pol.final)
		return;
	query_of(f, app ? app : "unknown", NULL, names, &q);
	bh_netpol_decide(f->e->pol->p, &q, false, &d);
	apply(f, &d);
}

static bool builtin_rule(const char *rule)
{
	return !rule || !strcmp(rule, BH_NETPOL_RULE_DEFAULT) ||
	       !strcmp(rule, BH_NETPOL_RULE_SEGMENT) || !strcmp(rule, BH_NETPOL_RULE_DISCOVER);
}

void net_pol_related(struct flow *f, enum bh_netpol_verdict verdict, const char *rule)
{
	if (!f->e->pol || verdict == BH_NETPOL_NONE)
		return; /* the control flow was not decided: the flow's own decision */
	/* a rule of the policy's own that decided the flow itself (apps:
	 * [ftp-data], its port or its peers) wins; else it follows its control
	 * flow, allowed, alerted or denied with it */
	if (f->pol.final && !builtin_rule(f->pol.rule))
		return;
	/* its own copy of the name: the control flow's rule may have been that
	 * flow's copy (a deny kept across a swap), gone when it ends */
	free(f->pol.rule_own);
	f->pol.rule_own = rule ? bh_strdup(rule) : NULL;
	f->pol.verdict = verdict;
	f->pol.rule = f->pol.rule_own;
	f->pol.final = true;
	f->pol.l4_allowed = verdict == BH_NETPOL_ALLOW;
}

void net_pol_record(struct flow *f, const struct bh_net_rec *rec)
{
	struct netpol_eng *s = f->e->pol;
	const char *names[NAMES_MAX];
	struct bh_netpol_query q;
	struct bh_netpol_decision d;

	if (!s)
		return;
	if (rec->kind == BH_NET_REC_DNS && rec->u.dns.response && rec->u.dns.qname.p)
		for (size_t i = 0; i < rec->u.dns.n_addrs; i++)
			dns_add(s, rec->u.dns.addrs[i], rec->u.dns.qname, f->e->now);
	if (f->pol.final || !f->d)
		return;
	query_of(f, f->d->app, rec, names, &q);
	bh_netpol_decide(s->p, &q, f->pol.l4_allowed, &d);
	if (d.verdict == BH_NETPOL_ALLOW) {
		/* a record an allow rule let through: the flow's rule until one is refused */
		if (d.rule && f->pol.verdict == BH_NETPOL_NONE) {
			f->pol.verdict = BH_NETPOL_ALLOW;
			f->pol.rule = d.rule;
		}
		return;
	}
	f->pol.verdict = d.verdict;
	f->pol.rule = d.rule;
	f->pol.final = true;
}

void net_pol_unparsable(struct flow *f)
{
	const char *names[NAMES_MAX];
	struct bh_netpol_query q;
	struct bh_netpol_decision d;

	if (!f->e->pol || f->pol.verdict == BH_NETPOL_DENY)
		return;
	query_of(f, NULL, NULL, names, &q);
	bh_netpol_unparsable(f->e->pol->p, &q, &d);
	if (d.verdict == BH_NETPOL_NONE ||
	    (d.verdict == BH_NETPOL_ALERT && f->pol.final && f->pol.verdict == BH_NETPOL_ALERT))
		return;
	f->pol.verdict = d.verdict;
	f->pol.rule = d.rule;
	f->pol.final = true;
	f->pol.l4_allowed = false;
}

void net_pol_end(struct flow *f)
{
	if (!f->e->pol || f->pol.final)
		return;
	/* never identified: decided as unknown */
	if (f->pol.verdict == BH_NETPOL_NONE && !f->d)
		net_pol_app(f, f->app ? f->app : "unknown");
	/* identified, no record a rule needed came: nothing was refused */
	if (f->pol.verdict == BH_NETPOL_NONE) {
		f->pol.verdict = BH_NETPOL_ALLOW;
		f->pol.rule = NULL;
	}
}

void net_pol_flow_free(struct flow *f)
{
	free(f->pol.name);
	f->pol.name = NULL;
	free(f->pol.rule_own);
	f->pol.rule_own = NULL;
}

/* f judged again under the engine's (new) policy, as if it started now with
 * what is known of it; a deny is kept, its rule name copied. */
static void rejudge(struct flow *f)
{
	struct netpol_flow *s = &f->pol;
	const char *app = f->d			? f->d->app
			  : f->ident == ID_DONE ? (f->app ? f->app : "unknown")
						: NULL;
	const char *names[NAMES_MAX];
	struct bh_netpol_query q;
	struct bh_netpol_decision d;

	if (!f->e->pol) { /* no policy any more: nothing is decided */
		free(s->rule_own);
		s->rule_own = NULL;
		s->verdict = BH_NETPOL_NONE;
		s->rule = NULL;
		s->final = s->l4_allowed = false;
		s->cgroup = s->sgroup = -1;
		return;
	}
	if (s->verdict == BH_NETPOL_DENY) {
		if (s->rule != s->rule_own) {
			char *c = s->rule ? bh_strdup(s->rule) : NULL;

			free(s->rule_own);
			s->rule_own = c;
			s->rule = c;
		}
		s->final = true;
		s->cgroup = group_of(f->e, f->info.client_addr);
		s->sgroup = group_of(f->e, f->info.server_addr);
		return;
	}
	s->verdict = BH_NETPOL_NONE;
	s->rule = NULL;
	s->final = false;
	s->l4_allowed = false;
	s->cgroup = group_of(f->e, f->info.client_addr);
	s->sgroup = group_of(f->e, f->info.server_addr);
	query_of(f, app, NULL, names, &q);
	bh_netpol_decide(f->e->pol->p, &q, false, &d);
	apply(f, &d);
	if (f->gaveup)
		net_pol_unparsable(f);
	/* fixnet19: what its records told, re-decided from a record made of it:
	 * a TLS flow's hello (its SNI kept as f->host) comes once, never again */
	if (!s->final && f->d && f->host && f->d->app && !strcmp(f->d->app, "tls")) {
		struct bh_net_rec r = { .kind = BH_NET_REC_TLS_HELLO,
					.dir = BH_NET_TO_SERVER,
					.app = "tls" };

		r.u.tls.client = true;
		r.u.tls.sni = (struct bh_net_str){ f->host, strlen(f->host) };
		net_pol_record(f, &r);
	}
	/* still undecided and offloaded: no record will come to decide it, so
	 * decided as a flow whose layer 7 is not proven (deny in protect) */
	if (!s->final && s->verdict == BH_NETPOL_NONE && f->offl)
		net_pol_unparsable(f);
}

void net_pol_swap(struct bh_net_engine *e, const struct bh_netpol *p,
		  void (*cut)(const struct bh_net_flow_info *fi, uint8_t proto, void *arg),
		  void *arg, size_t *rejudged, size_t *denied)
{
	*rejudged = *denied = 0;
	e->o.policy = p;
	if (!p)
		net_pol_free(e);
	else if (!e->pol)
		net_pol_new(e); /* the DNS table starts empty */
	else
		e->pol->p = p; /* the DNS table is the engine's, not the policy's: kept */
	for (int l = 0; l < L_N; l++)
		for (struct flow *f = e->head[l]; f; f = f->next) {
			bool was = f->pol.verdict == BH_NETPOL_DENY;

			rejudge(f);
			(*rejudged)++;
			if (f->pol.verdict == BH_NETPOL_DENY && !was) {
				(*denied)++;
				if (f->offl && cut)
					cut(&f->info, f->proto, arg);
			}
		}
	net_expect_forget(e);
}

void net_pol_fill(const struct flow *f, struct bh_net_flow_record *r)
{
	const struct bh_netpol *p = f->e->pol ? f->e->pol->p : NULL;

	r->rule = f->pol.rule;
	r->verdict = p ? bh_netpol_verdict_name(f->pol.verdict) : NULL;
	r->client_group = bh_netpol_group_name(p, f->pol.cgroup);
	r->server_group = bh_netpol_group_name(p, f->pol.sgroup);
	r->server_name = f->pol.name;
}

enum bh_net_verdict net_pol_verdict(const struct flow *f)
{
	return f->pol.verdict == BH_NETPOL_DENY ? BH_NET_DROP : BH_NET_ACCEPT;
}

bool net_pol_settled(const struct flow *f)
{
	return !f->e->pol || f->pol.final;
}
