/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network policy object and its decision (include/bulkhead/netpolicy.h):
 * groups with their selectors, rules with their conditions, compiled from
 * specs into flat arrays (CIDRs parsed, ports as ranges, names lower case)
 * and decided by a linear walk: policies hold tens to hundreds of rules, and
 * the engine asks once per flow, once more when the app is known, and once
 * per layer-7 record (bench/net-policy.sh measures it).
 */
#include <arpa/inet.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bulkhead/netpolicy.h"
#include "net/dissect.h"
#include "net/http_path.h"
#include "net/policy_obj.h"
#include "banned.h"

const char *bh_netpol_mode_name(enum bh_netpol_mode m)
{
	return m == BH_NETPOL_PROTECT ? "protect" : m == BH_NETPOL_MONITOR ? "monitor" : "discover";
}

const char *bh_netpol_verdict_name(enum bh_netpol_verdict v)
{
	switch (v) {
	case BH_NETPOL_ALLOW: return "allow";
	case BH_NETPOL_ALERT: return "alert";
	case BH_NETPOL_DENY: return "deny";
	default: return NULL;
	}
}

/* ---- syntax ----------------------------------------------------------------- */

static int parse_cidr(const char *s, struct cidr *out, const char **why)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max, bits;
	bool v6;

	if (n == 0 || n >= sizeof(buf)) {
		*why = "not an address or CIDR";
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = 0;
	memset(out, 0, sizeof(*out));
	v6 = strchr(buf, ':') != NULL;
	if (v6 ? inet_pton(AF_INET6, buf, out->addr) != 1
	       : inet_pton(AF_INET, buf, out->addr + 12) != 1) {
		*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	if (!v6)
		out->addr[10] = out->addr[11] = 0xff;
	max = v6 ? 128 : 32;
	bits = max;
	if (slash) {
		const char *p = slash + 1;

		if (!*p || strlen(p) > 3) {
			*why = "the prefix length is not a number";
			return -1;
		}
		bits = 0;
		for (; *p; p++) {
			if (*p < '0' || *p > '9') {
				*why = "the prefix length is not a number";
				return -1;
			}
			bits = bits * 10 + (unsigned)(*p - '0');
		}
		if (bits > max) {
			*why = v6 ? "the prefix length is over 128"
				  : "the prefix length is over 32";
			return -1;
		}
	}
	out->bits = v6 ? bits : 96 + bits;
	/* host bits must be zero: 10.1.2.3/8 is a typo more often than not */
	for (unsigned i = out->bits; i < 128; i++)
		if (out->addr[i / 8] & (0x80 >> (i % 8))) {
			*why = "bits set after the prefix length";
			return -1;
		}
	return 0;
}

int bh_netpol_check_cidr(const char *s, const char **why)
{
	struct cidr c;

	return parse_cidr(s, &c, why);
}

bool net_pol_cidr_match(const struct cidr *c, const uint8_t a[16])
{
	unsigned full = c->bits / 8, rest = c->bits % 8;

	if (memcmp(c->addr, a, full))
		return false;
	return !rest || !((c->addr[full] ^ a[full]) & (uint8_t)(0xff << (8 - rest)));
}

static int parse_port(const char *s, size_t n, uint16_t *out)
{
	unsigned v = 0;

	if (!n || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int parse_ports(const char *s, struct prange *out, const char **why)
{
	const char *dash = strchr(s, '-');

	if (!dash) {
		if (parse_port(s, strlen(s), &out->lo) < 0) {
			*why = "not a port (0-65535) or a range (\"8000-8080\")";
			return -1;
		}
		out->hi = out->lo;
		return 0;
	}
	if (parse_port(s, (size_t)(dash - s), &out->lo) < 0 ||
	    parse_port(dash + 1, strlen(dash + 1), &out->hi) < 0) {
		*why = "not a port (0-65535) or a range (\"8000-8080\")";
		return -1;
	}
	if (out->lo > out->hi) {
		*why = "a range whose first port is above its last";
		return -1;
	}
	return 0;
}

int bh_netpol_check_ports(const char *s, const char **why)
{
	struct prange r;

	return parse_ports(s, &r, why);
}

int bh_netpol_check_grpc_method(const char *s, const char **why)
{
	const char *slash;
	size_t n = strlen(s);

	if (n < 3 || n > BH_NETPOL_GRPC_MAX || s[0] != '/') {
		*why = "a gRPC method is /package.Service/Method or /package.Service/ (1 to 256 "
		       "characters)";
		return -1;
	}
	slash = strchr(s + 1, '/');
	if (!slash || slash == s + 1 || strchr(slash + 1, '/')) {
		*why = "not /package.Service/Method or /package.Service/ (one service, then "
		       "one method or none)";
		return -1;
	}
	for (const char *p = s + 1; *p; p++)
		if (p != slash && !bh_isalnum(*p) && *p != '_' && (*p != '.' || p > slash)) {
			*why = "a service holds letters, digits, '_' and dots; a method letters, "
			       "digits and '_'";
			return -1;
		}
	return 0;
}

int bh_netpol_check_http_path(const char *s, const char **why)
{
	char out[BH_NET_PATH_MAX + 1], in[BH_NET_PATH_MAX + 1];
	size_t n = strlen(s), len;

	if (s[0] != '/') {
		*why = "does not start with '/'";
		return -1;
	}
	if (n > BH_NET_PATH_MAX) {
		*why = "is longer than 4096 bytes";
		return -1;
	}
	/* written decoded: a space (a request's %20) is as good as any byte */
	for (size_t i = 0; i <= n; i++)
		in[i] = i < n && ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f) ? 'x' : s[i];
	if (!bh_net_http_path_norm(in, n, out, &len) || len != n || memcmp(out, in, n)) {
		*why = "is not a path as the server reads it, which is what is matched (write it "
		       "decoded, without '//', '.' or '..' segments, '?' or '#')";
		return -1;
	}
	return 0;
}

int bh_netpol_check_name(const char *s, const char **why)
{
	size_t n = strlen(s), label = 0;

	if (!strncmp(s, "*.", 2)) {
		s += 2;
		n -= 2;
	}
	if (!n || n > BH_NETPOL_NAME_MAX) {
		*why = "a DNS name must be 1 to 253 characters";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (!label) {
				*why = "an empty label";
				return -1;
			}
			label = 0;
			continue;
		}
		if (!bh_isalnum(c) && c != '-' && c != '_') {
			*why = "a DNS name holds letters, digits, '-', '_' and dots ('*.' may "
			       "start it)";
			return -1;
		}
		if (++label > 63) {
			*why = "a label over 63 characters";
			return -1;
		}
	}
	if (!label) {
		*why = "an empty label";
		return -1;
	}
	return 0;
}

/* A name (p, n) against a pattern: equal, or for "*.a.b" ending in ".a.b". */
static bool name_match(const char *pat, const char *p, size_t n)
{
	size_t pl;

	if (n && p[n - 1] == '.')
		n--;
	if (!strncmp(pat, "*.", 2)) {
		pat++; /* ".a.b" */
		pl = strlen(pat);
		return n > pl && !strncasecmp(p + n - pl, pat, pl);
	}
	pl = strlen(pat);
	return pl == n && !strncasecmp(p, pat, n);
}

bool net_pol_names_match(const struct strl *l, const char *p, size_t n)
{
	for (size_t i = 0; i < l->n; i++)
		if (name_match(l->v[i], p, n))
			return true;
	return false;
}

/* ---- building ------------------------------------------------------------------- */

static int strl_copy(struct strl *out, const struct bh_netpol_strs *in, bool lower,
		     const char *what, const char *member, struct bh_error **err)
{
	if (in->n > BH_NETPOL_LIST_MAX)
		return bh_error_set(err, BH_ERR_LIMIT, "%s: %s: more than %d entries", what, member,
				    BH_NETPOL_LIST_MAX);
	out->v = bh_calloc(in->n + 1, sizeof(char *));
	out->n = in->n;
	for (size_t i = 0; i < in->n; i++) {
		out->v[i] = bh_strdup(in->v[i] ? in->v[i] : "");
		for (char *c = out->v[i]; lower && *c; c++)
			*c = (char)bh_tolower(*c);
	}
	return 0;
}

static void strl_free(struct strl *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int cidrs_copy(struct cidr **out, size_t *nout, const struct bh_netpol_strs *in,
		      const char *what, const char *member, struct bh_error **err)
{
	if (in->n > BH_NETPOL_LIST_MAX)
		return bh_error_set(err, BH_ERR_LIMIT, "%s: %s: more than %d entries", what, member,
				    BH_NETPOL_LIST_MAX);
	*out = bh_calloc(in->n + 1, sizeof(**out));
	*nout = 0;
	for (size_t i = 0; i < in->n; i++) {
		const char *why = "";

		if (parse_cidr(in->v[i], &(*out)[i], &why) < 0)
			return bh_error_set(err, BH_ERR_INVALID, "%s: %s: '%s': %s", what, member,
					    in->v[i], why);
		(*nout)++;
	}
	return 0;
}

static int names_copy(struct strl *out, const struct bh_netpol_strs *in, const char *what,
		      const char *member, struct bh_error **err)
{
	for (size_t i = 0; i < in->n; i++) {
		const char *why = "";

		if (bh_netpol_check_name(in->v[i], &why) < 0)
			return bh_error_set(err, BH_ERR_INVALID, "%s: %s: '%s': %s", what, member,
					    in->v[i], why);
	}
	return strl_copy(out, in, true, what, member, err);
}

struct bh_netpol *bh_netpol_new(void)
{
	return bh_calloc(1, sizeof(struct bh_netpol));
}

static int group_index(const struct bh_netpol *p, const char *name)
{
	for (size_t i = 0; i < p->ng; i++)
		if (!strcmp(p->g[i].name, name))
			return (int)i;
	return -1;
}

static void group_release(struct group *g)
{
	free(g->name);
	json_decref(g->labels);
	strl_free(&g->images);
	strl_free(&g->containers);
	free(g->cidrs);
	free(g->sens);
}

int bh_netpol_add_group(struct bh_netpol *p, const struct bh_netpol_group_spec *s,
			struct bh_error **err)
{
	struct group g = { 0 };
	char what[300];
	const char *k;
	json_t *v;

	if (!s->name || !*s->name)
		return bh_error_set(err, BH_ERR_INVALID, "network group: a name is required");
	snprintf(what, sizeof(what), "network group \"%s\"", s->name);
	if (group_index(p, s->name) >= 0)
		return bh_error_set(err, BH_ERR_INVALID, "%s: defined twice", what);
	if (p->ng >= BH_NETPOL_GROUPS_MAX)
		return bh_error_set(err, BH_ERR_LIMIT, "more than %d network groups",
				    BH_NETPOL_GROUPS_MAX);
	if (s->labels && !json_is_object(s->labels))
		return bh_error_set(err, BH_ERR_INVALID, "%s: labels: not an object", what);
	json_object_foreach ((json_t *)s->labels, k, v)
		if (!json_is_string(v))
			return bh_error_set(err, BH_ERR_INVALID, "%s: labels: '%s' is not a string",
					    what, k);
	if (!json_object_size(s->labels) && !s->images.n && !s->containers.n && !s->cidrs.n)
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s: selects nothing (give labels, images, containers or "
				    "cidrs)",
				    what);
	for (size_t i = 0; i < s->containers.n; i++) {
		const char *c = s->containers.v[i];
		size_t n = strlen(c);

		if (n < 4 || n > 64 || strspn(c, "0123456789abcdef") != n)
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: containers: '%s' is not a container ID prefix (4 "
					    "to 64 lower-case hex digits)",
					    what, c);
	}
	g.name = bh_strdup(s->name);
	g.labels = s->labels ? json_deep_copy(s->labels) : NULL;
	g.sens = s->sensitivity && *s->sensitivity ? bh_strdup(s->sensitivity) : NULL;
	g.mode = s->mode;
	if (strl_copy(&g.images, &s->images, false, what, "images", err) < 0 ||
	    strl_copy(&g.containers, &s->containers, false, what, "containers", err) < 0 ||
	    cidrs_copy(&g.cidrs, &g.ncidrs, &s->cidrs, what, "cidrs", err) < 0) {
		group_release(&g);
		return -1;
	}
	p->ctrs |= json_object_size(g.labels) || g.images.n || g.containers.n;
	p->g = bh_reallocarray(p->g, p->ng + 1, sizeof(*p->g));
	p->g[p->ng++] = g;
	return 0;
}

static void rule_release(struct rule *r)
{
	free(r->name);
	free(r->from);
	free(r->to);
	free(r->from_cidrs);
	free(r->to_cidrs);
	strl_free(&r->to_names);
	free(r->ports);
	strl_free(&r->apps);
	strl_free(&r->methods);
	strl_free(&r->hosts);
	strl_free(&r->paths);
	strl_free(&r->sni);
	strl_free(&r->dns);
	strl_free(&r->sql);
	strl_free(&r->grpc);
}

static int groups_of(const struct bh_netpol *p, const struct bh_netpol_strs *in, int **out,
		     size_t *n, const char *what, const char *member, struct bh_error **err)
{
	if (in->n > BH_NETPOL_LIST_MAX)
		return bh_error_set(err, BH_ERR_LIMIT, "%s: %s: more than %d entries", what, member,
				    BH_NETPOL_LIST_MAX);
	*out = bh_calloc(in->n + 1, sizeof(int));
	for (*n = 0; *n < in->n; (*n)++) {
		int g = group_index(p, in->v[*n]);

		if (g < 0)
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: %s: no networkGroup named '%s'", what, member,
					    in->v[*n]);
		(*out)[*n] = g;
	}
	return 0;
}

int bh_netpol_add_rule(struct bh_netpol *p, const struct bh_netpol_rule_spec *s,
		       struct bh_error **err)
{
	struct rule r = { 0 };
	char what[300];
	int fams = 0;

	if (!s->name || !*s->name)
		return bh_error_set(err, BH_ERR_INVALID, "network rule: a name is required");
	snprintf(what, sizeof(what), "network rule \"%s\"", s->name);
	if (p->nr >= BH_NETPOL_RULES_MAX)
		return bh_error_set(err, BH_ERR_LIMIT, "more than %d network rules",
				    BH_NETPOL_RULES_MAX);
	r.name = bh_strdup(s->name);
	r.action = s->action;
	r.quarantine = s->quarantine && s->action == BH_NETPOL_DENY_RULE;
	r.enforce = s->enforce;
	fams = !!(s->http_methods.n || s->http_hosts.n || s->http_paths.n) + !!s->tls_sni.n +
	       !!s->dns_names.n + !!s->sql_statements.n + !!s->grpc_methods.n;
	if (fams > 1) {
		bh_error_set(err, BH_ERR_INVALID,
			     "%s: layer-7 conditions of more than one protocol (HTTP, TLS, DNS, "
			     "SQL, gRPC): write one rule each",
			     what);
		goto fail;
	}
	r.fam = s->http_methods.n || s->http_hosts.n || s->http_paths.n ? FAM_HTTP
		: s->tls_sni.n						? FAM_TLS
		: s->dns_names.n					? FAM_DNS
		: s->sql_statements.n					? FAM_SQL
		: s->grpc_methods.n					? FAM_GRPC
									: FAM_NONE;
	if (s->l4) {
		r.l4 = !strcmp(s->l4, "tcp")	? 6
		       : !strcmp(s->l4, "udp")	? 17
		       : !strcmp(s->l4, "icmp") ? 1
						: -1;
		if (r.l4 < 0) {
			bh_error_set(err, BH_ERR_INVALID,
				     "%s: protocol: '%s' is not tcp, udp or icmp", what, s->l4);
			goto fail;
		}
	}
	if (s->ports.n > BH_NETPOL_LIST_MAX) {
		bh_error_set(err, BH_ERR_LIMIT, "%s: ports: more than %d entries", what,
			     BH_NETPOL_LIST_MAX);
		goto fail;
	}
	r.ports = bh_calloc(s->ports.n + 1, sizeof(*r.ports));
	for (; r.nports < s->ports.n; r.nports++) {
		const char *why = "";

		if (parse_ports(s->ports.v[r.nports], &r.ports[r.nports], &why) < 0) {
			bh_error_set(err, BH_ERR_INVALID, "%s: ports: '%s': %s", what,
				     s->ports.v[r.nports], why);
			goto fail;
		}
	}
	for (size_t i = 0; i < s->http_paths.n; i++) {
		const char *why = "";

		if (bh_netpol_check_http_path(s->http_paths.v[i], &why) < 0) {
			bh_error_set(err, BH_ERR_INVALID, "%s: httpPaths: '%s' %s", what,
				     s->http_paths.v[i], why);
			goto fail;
		}
	}
	for (size_t i = 0; i < s->grpc_methods.n; i++) {
		const char *why = "";

		if (bh_netpol_check_grpc_method(s->grpc_methods.v[i], &why) < 0) {
			bh_error_set(err, BH_ERR_INVALID, "%s: grpcMethods: '%s': %s", what,
				     s->grpc_methods.v[i], why);
			goto fail;
		}
	}
	if (groups_of(p, &s->from, &r.from, &r.nfrom, what, "from", err) < 0 ||
	    groups_of(p, &s->to, &r.to, &r.nto, what, "to", err) < 0 ||
	    cidrs_copy(&r.from_cidrs, &r.nfrom_cidrs, &s->from_cidrs, what, "fromCidrs", err) < 0 ||
	    cidrs_copy(&r.to_cidrs, &r.nto_cidrs, &s->to_cidrs, what, "toCidrs", err) < 0 ||
	    names_copy(&r.to_names, &s->to_names, what, "toNames", err) < 0 ||
	    strl_copy(&r.apps, &s->apps, true, what, "apps", err) < 0 ||
	    strl_copy(&r.methods, &s->http_methods, false, what, "httpMethods", err) < 0 ||
	    names_copy(&r.hosts, &s->http_hosts, what, "httpHosts", err) < 0 ||
	    strl_copy(&r.paths, &s->http_paths, false, what, "httpPaths", err) < 0 ||
	    names_copy(&r.sni, &s->tls_sni, what, "tlsSni", err) < 0 ||
	    names_copy(&r.dns, &s->dns_names, what, "dnsNames", err) < 0 ||
	    strl_copy(&r.sql, &s->sql_statements, true, what, "sqlStatements", err) < 0 ||
	    strl_copy(&r.grpc, &s->grpc_methods, false, what, "grpcMethods", err) < 0)
		goto fail;
	if (r.to_names.n)
		p->names = true;
	p->r = bh_reallocarray(p->r, p->nr + 1, sizeof(*p->r));
	p->r[p->nr++] = r;
	return 0;
fail:
	rule_release(&r);
	return -1;
}

size_t bh_netpol_ngroups(const struct bh_netpol *p)
{
	return p ? p->ng : 0;
}

const char *bh_netpol_group_name(const struct bh_netpol *p, int group)
{
	return p && group >= 0 && (size_t)group < p->ng ? p->g[group].name : NULL;
}

bool bh_netpol_uses_names(const struct bh_netpol *p)
{
	return p && p->names;
}

bool bh_netpol_uses_containers(const struct bh_netpol *p)
{
	return p && p->ctrs;
}

bool bh_netpol_has_quarantine(const struct bh_netpol *p)
{
	for (size_t i = 0; p && i < p->nr; i++)
		if (p->r[i].quarantine)
			return true;
	return false;
}

bool bh_netpol_rule_quarantines(const struct bh_netpol *p, const char *rule)
{
	if (!p || !rule)
		return false;
	for (size_t i = 0; i < p->nr; i++)
		if (p->r[i].name == rule || !strcmp(p->r[i].name, rule))
			return p->r[i].quarantine;
	return false;
}

void bh_netpol_free(struct bh_netpol *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->ng; i++)
		group_release(&p->g[i]);
	for (size_t i = 0; i < p->nr; i++)
		rule_release(&p->r[i]);
	free(p->g);
	free(p->r);
	free(p);
}
