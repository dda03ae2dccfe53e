/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network policy's decision (include/bulkhead/netpolicy.h; the object
 * built in policy.c, shared through policy_obj.h): a flow's groups from its
 * endpoints, then a linear walk where each rule matches, does not, or waits
 * (app or record unknown); deny over allow, then segmentation, then the
 * mode's default.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bulkhead/netpolicy.h"
#include "net/dissect.h"
#include "net/http_path.h"
#include "net/policy_obj.h"
#include "banned.h"

/* ---- deciding ----------------------------------------------------------------- */

static bool group_match(const struct group *g, const struct bh_netpol_endpoint *ep)
{
	const char *k;
	json_t *v;

	if (json_object_size(g->labels)) {
		if (!ep->labels)
			return false;
		json_object_foreach (g->labels, k, v) {
			const char *have = bh_json_str(ep->labels, k);

			if (!have || strcmp(have, json_string_value(v)))
				return false;
		}
	}
	if (g->images.n) {
		bool any = false;

		for (size_t i = 0; ep->image && i < g->images.n && !any; i++)
			any = !fnmatch(g->images.v[i], ep->image, 0);
		if (!any)
			return false;
	}
	if (g->containers.n) {
		bool any = false;

		for (size_t i = 0; ep->container_id && i < g->containers.n && !any; i++)
			any = !strncmp(ep->container_id, g->containers.v[i],
				       strlen(g->containers.v[i]));
		if (!any)
			return false;
	}
	if (g->ncidrs) {
		bool any = false;

		for (size_t i = 0; ep->addr && i < g->ncidrs && !any; i++)
			any = net_pol_cidr_match(&g->cidrs[i], ep->addr);
		if (!any)
			return false;
	}
	return true;
}

int bh_netpol_group_of(const struct bh_netpol *p, const struct bh_netpol_endpoint *ep)
{
	for (size_t i = 0; p && i < p->ng; i++)
		if (group_match(&p->g[i], ep))
			return (int)i;
	return -1;
}

enum { M_NO, M_YES, M_PEND };

static bool in_groups(const int *v, size_t n, int g)
{
	for (size_t i = 0; g >= 0 && i < n; i++)
		if (v[i] == g)
			return true;
	return false;
}

static bool in_cidrs(const struct cidr *c, size_t n, const uint8_t *a)
{
	for (size_t i = 0; a && i < n; i++)
		if (net_pol_cidr_match(&c[i], a))
			return true;
	return false;
}

static bool app_fam_ok(enum fam f, const char *app)
{
	switch (f) {
	case FAM_HTTP: return !strcmp(app, "http") || !strcmp(app, "http2");
	case FAM_TLS: return !strcmp(app, "tls");
	case FAM_DNS: return !strcmp(app, "dns");
	case FAM_SQL: return !strcmp(app, "mysql") || !strcmp(app, "postgresql");
	case FAM_GRPC: return !strcmp(app, "http2") || !strcmp(app, "grpc");
	default: return true;
	}
}

/* Whether a record is a gRPC request (an HTTP/2 request with content-type
 * application/grpc*: the dissector names its app "grpc"). */
static bool rec_is_grpc(const struct bh_net_rec *rec)
{
	return rec && rec->kind == BH_NET_REC_HTTP_REQUEST && rec->app && !strcmp(rec->app, "grpc");
}

/* The rule's apps against the query's: M_YES, M_NO, or M_PEND when only
 * "grpc" can match an HTTP/2 flow and no request has told yet. The policy
 * sees an HTTP/2 flow's app as "http2" (the dissector's); its gRPC requests
 * are records whose app is "grpc". */
static int match_apps(const struct rule *r, const struct bh_netpol_query *q)
{
	bool grpc = false;

	for (size_t i = 0; i < r->apps.n; i++) {
		if (!strcmp(r->apps.v[i], q->app))
			return M_YES;
		if (!strcmp(r->apps.v[i], "grpc"))
			grpc = true;
	}
	if (!grpc || strcmp(q->app, "http2"))
		return M_NO;
	if (!q->rec)
		return M_PEND;
	return rec_is_grpc(q->rec) ? M_YES : M_NO;
}

/* Layers 3 and 4 and the app: M_YES, M_NO, or M_PEND (needs the app or a
 * record). q->rec only tells "grpc" from the rest of "http2". */
static int match_flow(const struct rule *r, const struct bh_netpol_query *q)
{
	int l4 = !q->l4 ? 0 : !strcmp(q->l4, "tcp") ? 6 : !strcmp(q->l4, "udp") ? 17 : 1;

	if (r->l4 && r->l4 != l4)
		return M_NO;
	if (r->nports) {
		bool any = false;

		for (size_t i = 0; i < r->nports && !any; i++)
			any = q->server_port >= r->ports[i].lo && q->server_port <= r->ports[i].hi;
		if (!any)
			return M_NO;
	}
	if ((r->nfrom || r->nfrom_cidrs) && !in_groups(r->from, r->nfrom, q->client_group) &&
	    !in_cidrs(r->from_cidrs, r->nfrom_cidrs, q->client_addr))
		return M_NO;
	if (r->nto || r->nto_cidrs || r->to_names.n) {
		bool any = in_groups(r->to, r->nto, q->server_group) ||
			   in_cidrs(r->to_cidrs, r->nto_cidrs, q->server_addr);

		for (size_t i = 0; !any && i < q->server_names.n; i++)
			any = net_pol_names_match(&r->to_names, q->server_names.v[i],
						  strlen(q->server_names.v[i]));
		if (!any)
			return M_NO;
	}
	if (r->apps.n || r->fam) {
		if (!q->app)
			return M_PEND;
		if (r->apps.n) {
			int a = match_apps(r, q);

			if (a != M_YES)
				return a;
		}
		if (r->fam)
			return app_fam_ok(r->fam, q->app) ? M_PEND : M_NO;
	}
	return M_YES;
}

static enum fam rec_fam(const struct bh_net_rec *rec)
{
	switch (rec->kind) {
	case BH_NET_REC_HTTP_REQUEST: return FAM_HTTP;
	case BH_NET_REC_TLS_HELLO: return rec->u.tls.client ? FAM_TLS : FAM_NONE;
	case BH_NET_REC_DNS: return rec->u.dns.response ? FAM_NONE : FAM_DNS;
	case BH_NET_REC_SQL: return FAM_SQL;
	default: return FAM_NONE;
	}
}

static bool str_in(const struct strl *l, struct bh_net_str s, bool icase)
{
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == s.len &&
		    (icase ? !strncasecmp(l->v[i], s.p, s.len) : !strncmp(l->v[i], s.p, s.len)))
			return true;
	return false;
}

/* The HTTP host without its port ("a.b:8080", "[::1]:80"). */
static struct bh_net_str host_only(struct bh_net_str h)
{
	if (h.len && h.p[0] == '[') {
		const char *e = memchr(h.p, ']', h.len);

		if (e)
			return (struct bh_net_str){ h.p + 1, (size_t)(e - h.p - 1) };
		return h;
	}
	for (size_t i = 0; i < h.len; i++)
		if (h.p[i] == ':')
			return (struct bh_net_str){ h.p, i };
	return h;
}

/* A record's HTTP path as the server reads it (http_path.h), made on first
 * use and kept for the other rules of the same decision. */
struct npath {
	bool made, ok;
	size_t len;
	char p[BH_NET_PATH_MAX + 1];
};

/* Does a rule's path list match? A prefix of the normalised path (a gRPC
 * method: a prefix when it ends with '/', else the whole); a path nginx
 * would refuse matches no allow rule, a deny one on its best-effort form. */
static bool paths_match(const struct rule *r, const struct strl *v, bool grpc,
			const struct bh_net_rec *rec, struct npath *np)
{
	if (!rec->u.http.path.p)
		return false;
	if (!np->made) {
		np->ok = bh_net_http_path_norm(rec->u.http.path.p, rec->u.http.path.len, np->p,
					       &np->len);
		np->made = true;
	}
	if (!np->ok && r->action != BH_NETPOL_DENY_RULE)
		return false;
	for (size_t i = 0; i < v->n; i++) {
		size_t n = strlen(v->v[i]);

		if ((grpc && v->v[i][n - 1] != '/') ? np->len == n : np->len >= n)
			if (!memcmp(np->p, v->v[i], n))
				return true;
	}
	return false;
}

static bool match_l7(const struct rule *r, const struct bh_net_rec *rec, struct npath *np)
{
	switch (r->fam) {
	case FAM_HTTP: {
		struct bh_net_str h = host_only(rec->u.http.host);

		if (r->methods.n && !str_in(&r->methods, rec->u.http.method, true))
			return false;
		if (r->hosts.n && (!h.p || !net_pol_names_match(&r->hosts, h.p, h.len)))
			return false;
		if (r->paths.n && !paths_match(r, &r->paths, false, rec, np))
			return false;
		return true;
	}
	case FAM_TLS:
		return rec->u.tls.sni.p &&
		       net_pol_names_match(&r->sni, rec->u.tls.sni.p, rec->u.tls.sni.len);
	case FAM_DNS:
		return rec->u.dns.qname.p &&
		       net_pol_names_match(&r->dns, rec->u.dns.qname.p, rec->u.dns.qname.len);
	case FAM_SQL:
		return rec->u.sql.statement &&
		       str_in(&r->sql,
			      (struct bh_net_str){ rec->u.sql.statement,
						   strlen(rec->u.sql.statement) },
			      true);
	case FAM_GRPC:
		/* "/pkg.Service/": a prefix; "/pkg.Service/Method": the call */
		return rec_is_grpc(rec) && paths_match(r, &r->grpc, true, rec, np);
	default: return false;
	}
}

static enum bh_netpol_mode flow_mode(const struct bh_netpol *p, const struct bh_netpol_query *q,
				     bool *grouped)
{
	enum bh_netpol_mode m = BH_NETPOL_DISCOVER;

	*grouped = false;
	if (q->client_group >= 0 && (size_t)q->client_group < p->ng) {
		*grouped = true;
		m = p->g[q->client_group].mode;
	}
	if (q->server_group >= 0 && (size_t)q->server_group < p->ng) {
		if (!*grouped || p->g[q->server_group].mode > m)
			m = p->g[q->server_group].mode;
		*grouped = true;
	}
	return *grouped ? m : BH_NETPOL_PROTECT;
}

static const char *sens_of(const struct bh_netpol *p, int g)
{
	return g >= 0 && (size_t)g < p->ng ? p->g[g].sens : NULL;
}

static void deny_by(const struct rule *r, enum bh_netpol_mode m, struct bh_netpol_decision *out)
{
	out->verdict = m == BH_NETPOL_PROTECT && r->enforce ? BH_NETPOL_DENY : BH_NETPOL_ALERT;
	out->rule = r->name;
	out->final = true;
}

/* Nothing matched: segmentation, then the mode's default. */
static void by_default(const struct bh_netpol *p, const struct bh_netpol_query *q,
		       enum bh_netpol_mode m, bool grouped, bool deny_pending,
		       struct bh_netpol_decision *out)
{
	const char *a = sens_of(p, q->client_group), *b = sens_of(p, q->server_group);

	if (!grouped) {
		*out = (struct bh_netpol_decision){ BH_NETPOL_ALLOW, NULL, !deny_pending };
		return;
	}
	if ((a || b) && (!a || !b || strcmp(a, b))) {
		out->verdict = m == BH_NETPOL_PROTECT ? BH_NETPOL_DENY : BH_NETPOL_ALERT;
		out->rule = BH_NETPOL_RULE_SEGMENT;
		out->final = true;
		return;
	}
	switch (m) {
	case BH_NETPOL_DISCOVER:
		*out = (struct bh_netpol_decision){ BH_NETPOL_ALLOW, BH_NETPOL_RULE_DISCOVER,
						    !deny_pending };
		break;
	case BH_NETPOL_MONITOR:
		*out = (struct bh_netpol_decision){ BH_NETPOL_ALERT, BH_NETPOL_RULE_DEFAULT, true };
		break;
	case BH_NETPOL_PROTECT:
		*out = (struct bh_netpol_decision){ BH_NETPOL_DENY, BH_NETPOL_RULE_DEFAULT, true };
		break;
	}
}

void bh_netpol_decide(const struct bh_netpol *p, const struct bh_netpol_query *q, bool flow_allowed,
		      struct bh_netpol_decision *out)
{
	const struct rule *deny = NULL, *allow = NULL;
	struct bh_netpol_query fq = *q; /* the flow alone: what the record may decide */
	bool deny_pend = false, allow_pend = false, grouped;
	enum bh_netpol_mode m;
	enum fam f = FAM_NONE;
	struct npath np;

	np.made = false;
	*out = (struct bh_netpol_decision){ BH_NETPOL_ALLOW, NULL, false };
	if (!p)
		return;
	m = flow_mode(p, q, &grouped);
	fq.rec = NULL;
	if (q->rec) {
		f = rec_fam(q->rec);
		if (f == FAM_NONE || !q->app)
			return;
	}
	for (size_t i = 0; i < p->nr; i++) {
		const struct rule *r = &p->r[i];
		int k = match_flow(r, &fq);
		if (q->rec) {
			/* a record: only the rules the flow left pending decide it,
			 * those of its family (gRPC calls are HTTP requests), and
			 * those that wait for a gRPC request to tell their app */
			if (k != M_PEND ||
			    (r->fam ? r->fam != f && !(r->fam == FAM_GRPC && f == FAM_HTTP)
				    : f != FAM_HTTP))
				continue;
			k = match_flow(r, q);
			if (k == M_PEND)
				k = match_l7(r, q->rec, &np) ? M_YES : M_NO;
		}
		if (k == M_YES) {
			if (r->action == BH_NETPOL_DENY_RULE) {
				deny = r;
				break; /* a deny wins: no need to look further */
			}
			if (!allow)
				allow = r;
		} else if (k == M_PEND) {
			if (r->action == BH_NETPOL_DENY_RULE)
				deny_pend = true;
			else
				allow_pend = true;
		}
	}
	if (deny) {
		deny_by(deny, m, out);
		return;
	}
	if (q->rec) {
		if (allow || flow_allowed) {
			out->rule = allow ? allow->name : NULL;
			return;
		}
		by_default(p, q, m, grouped, false, out);
		out->final = true;
		return;
	}
	if (allow) {
		*out = (struct bh_netpol_decision){ BH_NETPOL_ALLOW, allow->name, !deny_pend };
		return;
	}
	if (allow_pend) {
		*out = (struct bh_netpol_decision){ BH_NETPOL_NONE, NULL, false };
		return;
	}
	by_default(p, q, m, grouped, deny_pend, out);
}

void bh_netpol_unparsable(const struct bh_netpol *p, const struct bh_netpol_query *q,
			  struct bh_netpol_decision *out)
{
	struct bh_netpol_query fq = *q;
	bool governed = false, enforce = false, grouped;
	enum bh_netpol_mode m;

	*out = (struct bh_netpol_decision){ BH_NETPOL_NONE, NULL, false };
	if (!p)
		return;
	fq.app = NULL; /* the rules that wait on the app: those with one */
	fq.rec = NULL;
	for (size_t i = 0; i < p->nr; i++) {
		const struct rule *r = &p->r[i];

		if ((r->apps.n || r->fam) && match_flow(r, &fq) == M_PEND) {
			governed = true;
			enforce = enforce || r->enforce;
		}
	}
	m = flow_mode(p, q, &grouped);
	if (!governed || m == BH_NETPOL_DISCOVER)
		return;
	out->verdict = m == BH_NETPOL_PROTECT && enforce ? BH_NETPOL_DENY : BH_NETPOL_ALERT;
	out->rule = BH_NETPOL_RULE_UNPARSABLE;
	out->final = true;
}
