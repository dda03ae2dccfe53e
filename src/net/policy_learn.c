/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Discover: the flows a policy's discover mode allowed (rule
 * BH_NETPOL_RULE_DISCOVER), aggregated per (from, to, layer 4, app) into
 * allow rules (include/bulkhead/netpolicy.h): the server ports seen, and for
 * HTTP the methods, hosts and path prefixes, for TLS the SNIs, for DNS the
 * query names, for SQL the statement types, for gRPC (an HTTP/2 flow whose
 * requests had content-type application/grpc: app "grpc") the methods
 * called (a service of three or more as "/pkg.Service/") instead of HTTP's
 * fields, so the rule is of the gRPC family. An end in a group is named by
 * its group; one outside by the DNS name its address was resolved from, else
 * its address (/32 or /128). Every list is bounded: a list that would pass
 * BH_NETPOL_LIST_MAX is dropped from the rule (it then allows any value), and
 * a learner holds at most BH_NETPOL_RULES_MAX rules (later flows are counted,
 * not learned), and at most 16 MiB of strings (a list past it is dropped).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/net.h"
#include "bulkhead/netpolicy.h"
#include "net/dissect.h"
#include "net/http_path.h"
#include "banned.h"

struct sset {
	char **v;
	size_t n;
	bool over; /* more than BH_NETPOL_LIST_MAX: the condition is dropped */
};

struct lrule {
	char *key;
	char *from, *from_cidr, *to, *to_name, *to_cidr;
	const char *l4;
	char app[24];
	struct sset ports, methods, hosts, paths, sni, dns, sql, grpc;
};

#define LEARN_BYTES_MAX (16 * 1024 * 1024) /* strings held by a learner, all lists */

struct bh_netpol_learn {
	struct lrule *r;
	size_t n;
	struct bh_map *by_key;
	uint64_t dropped;
	size_t bytes; /* held in the lists' strings */
};

struct bh_netpol_learn *bh_netpol_learn_new(void)
{
	struct bh_netpol_learn *l = bh_calloc(1, sizeof(*l));

	l->by_key = bh_map_new();
	return l;
}

/* Add (p, n) to s; past a bound (its entries, or the learner's bytes when l
 * is given) the list is dropped: its condition will allow any value. */
static void sset_add(struct bh_netpol_learn *l, struct sset *s, const char *p, size_t n)
{
	if (s->over)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->v[i]) == n && !memcmp(s->v[i], p, n))
			return;
	if (s->n == BH_NETPOL_LIST_MAX || (l && l->bytes + n + 1 > LEARN_BYTES_MAX)) {
		s->over = true;
		return;
	}
	if (l)
		l->bytes += n + 1;
	s->v = bh_reallocarray(s->v, s->n + 1, sizeof(char *));
	s->v[s->n++] = bh_strndup(p, n);
}

static void sset_free(struct sset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static void addr_cidr(char *out, size_t n, const uint8_t a[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char s[INET6_ADDRSTRLEN];

	if (!memcmp(a, mapped, 12)) {
		inet_ntop(AF_INET, a + 12, s, sizeof(s));
		snprintf(out, n, "%s/32", s);
	} else {
		inet_ntop(AF_INET6, a, s, sizeof(s));
		snprintf(out, n, "%s/128", s);
	}
}

/* The learned rule of a discover-mode flow, or NULL. */
static struct lrule *rule_of(struct bh_netpol_learn *l, const struct bh_net_flow_record *f)
{
	char from[64], to[300], key[700];
	struct lrule *r;
	void *at;
	const char *why;

	if (!f->rule || strcmp(f->rule, BH_NETPOL_RULE_DISCOVER))
		return NULL;
	/* a data channel follows its control flow's rule: learning its
	 * ephemeral port would only widen the policy */
	if (!strcmp(f->app, "ftp-data"))
		return NULL;
	if (f->client_group)
		snprintf(from, sizeof(from), "g:%s", f->client_group);
	else
		addr_cidr(from, sizeof(from), f->client_addr);
	if (f->server_group)
		snprintf(to, sizeof(to), "g:%s", f->server_group);
	else if (f->server_name && bh_netpol_check_name(f->server_name, &why) == 0)
		snprintf(to, sizeof(to), "n:%s", f->server_name);
	else
		addr_cidr(to, sizeof(to), f->server_addr);
	snprintf(key, sizeof(key), "%s|%s|%s|%s", from, to, f->l4, f->app);
	at = bh_map_get(l->by_key, key, strlen(key));
	if (at)
		return &l->r[(uintptr_t)at - 1];
	if (l->n >= BH_NETPOL_RULES_MAX) {
		l->dropped++;
		return NULL;
	}
	l->r = bh_reallocarray(l->r, l->n + 1, sizeof(*l->r));
	r = &l->r[l->n++];
	memset(r, 0, sizeof(*r));
	r->key = bh_strdup(key);
	if (f->client_group)
		r->from = bh_strdup(f->client_group);
	else
		r->from_cidr = bh_strdup(from);
	if (f->server_group)
		r->to = bh_strdup(f->server_group);
	else if (to[0] == 'n' && to[1] == ':')
		r->to_name = bh_strdup(to + 2);
	else
		r->to_cidr = bh_strdup(to);
	r->l4 = f->l4;
	snprintf(r->app, sizeof(r->app), "%s", f->app);
	bh_map_put(l->by_key, r->key, strlen(r->key), (void *)(uintptr_t)l->n);
	return r;
}

/* Visible ASCII only: what a policy file's strings can hold as seen. */
static bool visible(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return false;
	return n > 0;
}

/* "/api/v1/x" -> "/api/"; "/index.html" -> itself. */
static size_t path_prefix(const char *p, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (p[i] == '/')
			return i + 1;
	return n;
}

/* A request of a gRPC flow: its method (a plain HTTP/2 request there is not
 * learned: a rule of app grpc cannot allow it, nor could one rule name both). */
static void learn_grpc(struct bh_netpol_learn *l, struct lrule *r, const struct bh_net_rec *rec)
{
	struct bh_net_str pa = rec->u.http.path;
	char m[BH_NETPOL_GRPC_MAX + 1];
	const char *why;

	if (!rec->app || strcmp(rec->app, "grpc"))
		return;
	if (!pa.p || pa.len > BH_NETPOL_GRPC_MAX || !visible(pa.p, pa.len)) {
		r->grpc.over = true; /* a method no rule could name: no condition */
		return;
	}
	memcpy(m, pa.p, pa.len);
	m[pa.len] = 0;
	if (bh_netpol_check_grpc_method(m, &why) < 0)
		r->grpc.over = true;
	else
		sset_add(l, &r->grpc, m, pa.len);
}

void bh_netpol_learn_record(struct bh_netpol_learn *l, const struct bh_net_flow_record *flow,
			    const struct bh_net_rec *rec)
{
	struct lrule *r;

	if (rec->kind != BH_NET_REC_HTTP_REQUEST && rec->kind != BH_NET_REC_TLS_HELLO &&
	    rec->kind != BH_NET_REC_DNS && rec->kind != BH_NET_REC_SQL)
		return;
	if (!(r = rule_of(l, flow)))
		return;
	switch (rec->kind) {
	case BH_NET_REC_HTTP_REQUEST: {
		struct bh_net_str h = rec->u.http.host, pa = rec->u.http.path;
		char np[BH_NET_PATH_MAX + 1];
		size_t nl;

		if (!strcmp(r->app, "grpc")) {
			learn_grpc(l, r, rec);
			break;
		}

		if (rec->u.http.method.p && visible(rec->u.http.method.p, rec->u.http.method.len))
			sset_add(l, &r->methods, rec->u.http.method.p, rec->u.http.method.len);
		else
			r->methods.over = true; /* a method no rule could name: no condition */
		for (size_t i = 0; h.p && i < h.len; i++)
			if (h.p[i] == ':')
				h.len = i;
		if (h.p && h.len)
			sset_add(l, &r->hosts, h.p, h.len);
		else
			r->hosts.over = true; /* a request without a host: no host condition */
		/* the path as the server read it (http_path.h), as the policy
		 * judges it; one nginx refuses (400) is not learned: no allow
		 * rule's path matches it, nor should it widen the rule */
		if (!pa.p)
			r->paths.over = true;
		else if (!bh_net_http_path_norm(pa.p, pa.len, np, &nl))
			;
		else if (visible(np, nl))
			sset_add(l, &r->paths, np, path_prefix(np, nl));
		else
			r->paths.over = true; /* a path no rule could name: no condition */
		break;
	}
	case BH_NET_REC_TLS_HELLO:
		if (!rec->u.tls.client)
			return;
		if (rec->u.tls.sni.p && rec->u.tls.sni.len)
			sset_add(l, &r->sni, rec->u.tls.sni.p, rec->u.tls.sni.len);
		else
			r->sni.over = true;
		break;
	case BH_NET_REC_DNS:
		if (rec->u.dns.response)
			return;
		if (rec->u.dns.qname.p && rec->u.dns.qname.len)
			sset_add(l, &r->dns, rec->u.dns.qname.p, rec->u.dns.qname.len);
		else
			r->dns.over = true;
		break;
	case BH_NET_REC_SQL:
		if (rec->u.sql.statement &&
		    visible(rec->u.sql.statement, strlen(rec->u.sql.statement)))
			sset_add(l, &r->sql, rec->u.sql.statement, strlen(rec->u.sql.statement));
		break;
	default: break;
	}
}

void bh_netpol_learn_flow(struct bh_netpol_learn *l, const struct bh_net_flow_record *flow)
{
	struct lrule *r = rule_of(l, flow);
	char port[8];

	if (!r || !strcmp(flow->l4, "icmp"))
		return;
	snprintf(port, sizeof(port), "%u", flow->server_port);
	sset_add(l, &r->ports, port, strlen(port));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of one parent domain, three or more, as "*.parent". */
static void collapse_names(struct sset *s)
{
	struct sset out = { 0 };

	if (s->over)
		return;
	for (size_t i = 0; i < s->n; i++) {
		const char *dot = strchr(s->v[i], '.'), *why;
		size_t same = 0;
		char wild[BH_NETPOL_NAME_MAX + 3];

		if (!dot || !strchr(dot + 1, '.')) {
			sset_add(NULL, &out, s->v[i], strlen(s->v[i]));
			continue;
		}
		for (size_t j = 0; j < s->n; j++) {
			const char *d2 = strchr(s->v[j], '.');

			same += d2 && !strcmp(d2, dot);
		}
		if (same >= 3 && snprintf(wild, sizeof(wild), "*%s", dot) < (int)sizeof(wild) &&
		    bh_netpol_check_name(wild, &why) == 0)
			sset_add(NULL, &out, wild, strlen(wild));
		else
			sset_add(NULL, &out, s->v[i], strlen(s->v[i]));
	}
	sset_free(s);
	*s = out;
}

/* The methods of a service called by three or more as "/pkg.Service/". */
static void collapse_grpc(struct sset *s)
{
	struct sset out = { 0 };

	if (s->over)
		return;
	for (size_t i = 0; i < s->n; i++) {
		const char *slash = strrchr(s->v[i], '/');
		size_t plen = slash ? (size_t)(slash - s->v[i]) + 1 : 0, same = 0;

		for (size_t j = 0; plen && j < s->n; j++)
			same += !strncmp(s->v[j], s->v[i], plen);
		sset_add(NULL, &out, s->v[i], same >= 3 ? plen : strlen(s->v[i]));
	}
	sset_free(s);
	*s = out;
}

/* Drop the paths another one is a prefix of. */
static void collapse_paths(struct sset *s)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++) {
		bool covered = false;

		for (size_t j = 0; j < s->n && !covered; j++)
			covered = j != i && strlen(s->v[j]) < strlen(s->v[i]) &&
				  !strncmp(s->v[i], s->v[j], strlen(s->v[j]));
		if (covered)
			free(s->v[i]);
		else
			s->v[k++] = s->v[i];
	}
	s->n = k;
}

static void yq(struct bh_buf *b, const char *s)
{
	json_t *j = json_string(s);
	char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	bh_buf_addf(b, NULL, "%s", t ? t : "\"\"");
	free(t);
	json_decref(j);
}

static void ylist(struct bh_buf *b, const char *member, const struct sset *s, bool names)
{
	const char *why;

	if (s->over || !s->n)
		return;
	for (size_t i = 0; names && i < s->n; i++)
		if (bh_netpol_check_name(s->v[i], &why) < 0)
			return; /* an IPv6 literal host: no host condition */
	qsort(s->v, s->n, sizeof(char *), cmp_str);
	bh_buf_addf(b, NULL, "    %s: [", member);
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			bh_buf_addf(b, NULL, ", ");
		yq(b, s->v[i]);
	}
	bh_buf_addf(b, NULL, "]\n");
}

static void rule_name(struct bh_buf *b, const struct lrule *r, size_t idx)
{
	char raw[400], name[129];
	size_t n = 0;

	snprintf(raw, sizeof(raw), "learned-%s-to-%s-%s", r->from ? r->from : r->from_cidr,
		 r->to	      ? r->to
		 : r->to_name ? r->to_name
			      : r->to_cidr,
		 strcmp(r->app, "unknown") ? r->app : r->l4);
	for (size_t i = 0; raw[i] && n < 110; i++) {
		char c = (char)bh_tolower(raw[i]);

		name[n++] = bh_isalnum(c) || c == '.' || c == '_' ? c : '-';
	}
	name[n] = 0;
	/* unique even when two keys read the same once cleaned */
	bh_buf_addf(b, NULL, "  - name: %s-%zu\n", name, idx + 1);
}

int bh_netpol_learn_write(const struct bh_netpol_learn *l, struct bh_buf *out,
			  struct bh_error **err)
{
	int rc = 0;

	rc |= bh_buf_addf(out, err,
			  "# Learned by `bulkhead net inspect --learn`: allow what was seen.\n"
			  "apiVersion: bulkhead.dev/v1alpha1\n"
			  "kind: Policy\n"
			  "metadata:\n"
			  "  name: learned\n"
			  "spec:\n"
			  "  rules:\n");
	if (!l->n)
		rc |= bh_buf_addf(out, err, "  []\n");
	for (size_t i = 0; i < l->n; i++) {
		struct lrule *r = &l->r[i];
		struct sset one = { 0 };

		rule_name(out, r, i);
		bh_buf_addf(out, NULL, "    kind: network\n    verdict: allow\n");
		if (r->from)
			sset_add(NULL, &one, r->from, strlen(r->from));
		ylist(out, "from", &one, false);
		sset_free(&one);
		memset(&one, 0, sizeof(one));
		if (r->from_cidr)
			sset_add(NULL, &one, r->from_cidr, strlen(r->from_cidr));
		ylist(out, "fromCidrs", &one, false);
		sset_free(&one);
		memset(&one, 0, sizeof(one));
		if (r->to || r->to_name || r->to_cidr) {
			const char *v = r->to ? r->to : r->to_name ? r->to_name : r->to_cidr;

			sset_add(NULL, &one, v, strlen(v));
			ylist(out, r->to ? "to" : r->to_name ? "toNames" : "toCidrs", &one, false);
		}
		sset_free(&one);
		bh_buf_addf(out, NULL, "    protocol: %s\n", r->l4);
		ylist(out, "ports", &r->ports, false);
		if (strcmp(r->app, "unknown")) {
			bh_buf_addf(out, NULL, "    apps: [");
			yq(out, r->app);
			bh_buf_addf(out, NULL, "]\n");
		}
		collapse_names(&r->hosts);
		collapse_names(&r->sni);
		collapse_names(&r->dns);
		collapse_paths(&r->paths);
		ylist(out, "httpMethods", &r->methods, false);
		ylist(out, "httpHosts", &r->hosts, true);
		ylist(out, "httpPaths", &r->paths, false);
		ylist(out, "tlsSni", &r->sni, true);
		ylist(out, "dnsNames", &r->dns, true);
		ylist(out, "sqlStatements", &r->sql, false);
		collapse_grpc(&r->grpc);
		ylist(out, "grpcMethods", &r->grpc, false);
	}
	if (rc < 0 || out->len >= out->max)
		return rc < 0 ? rc
			      : bh_error_set(err, BH_ERR_LIMIT,
					     "the learned policy is over %zu bytes", out->max);
	return (int)l->n;
}

void bh_netpol_learn_free(struct bh_netpol_learn *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct lrule *r = &l->r[i];

		free(r->key);
		free(r->from);
		free(r->from_cidr);
		free(r->to);
		free(r->to_name);
		free(r->to_cidr);
		sset_free(&r->ports);
		sset_free(&r->methods);
		sset_free(&r->hosts);
		sset_free(&r->paths);
		sset_free(&r->sni);
		sset_free(&r->dns);
		sset_free(&r->sql);
		sset_free(&r->grpc);
	}
	free(l->r);
	bh_map_free(l->by_key, NULL);
	free(l);
}
