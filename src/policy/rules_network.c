/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Network policy (NIST SP 800-190 4.3.3, 4.4.2): two rule kinds that
 * compile into the container firewall's policy object
 * (include/bulkhead/netpolicy.h) through bh_policy_net():
 *
 *   - name: web                  # a group of endpoints
 *     kind: networkGroup
 *     labels: {app: web}         # selectors: all given must match
 *     images: ["*nginx*"]
 *     containers: [3f2a9c]
 *     cidrs: [10.99.0.1/32]
 *     sensitivity: pci           # auto-segmentation
 *     mode: protect              # discover | monitor | protect; absent: from
 *                                # action (enforce: protect, audit/warn: monitor)
 *   - name: web-to-api           # a rule
 *     kind: network
 *     verdict: allow             # or deny (deny wins over allow); quarantine: a
 *                                # deny that also quarantines the client container (net run)
 *     from: [web]                # groups; fromCidrs
 *     to: [api]                  # groups; toCidrs; toNames (FQDN, *.wildcard)
 *     protocol: tcp
 *     ports: [80, "8000-8080"]
 *     apps: [http]               # regardless of port
 *     httpMethods: [GET]         # layer 7: one family a rule
 *     httpPaths: [/api/]
 *     # or: apps: [grpc], grpcMethods: [/pkg.Svc/Call, /pkg.Other/]
 *
 * The members are checked where they are written (CIDRs, ports and names
 * element by element, validate.c); a rule's group names are checked once
 * the whole policy is composed (pol_network_link). Neither kind is evaluated
 * by bh_policy_eval: the packet engine decides with what they compile into.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/netpolicy.h"
#include "policy/internal.h"
#include "banned.h"

/* Both kinds keep their merged definition; bh_policy_net() reads it. */
struct netdef {
	json_t *def;
};

static const struct pol_field group_fields[] = {
	F("labels", PF_STRMAP),	  F("images", PF_STRS),
	F("containers", PF_STRS), F("cidrs", PF_CIDRS),
	F("sensitivity", PF_STR), FE("mode", PF_ENUM, "discover monitor protect"),
	{ .name = NULL },
};

static const struct pol_field rule_fields[] = {
	FE("verdict", PF_ENUM, "allow deny quarantine"),
	F("from", PF_STRS),
	F("fromCidrs", PF_CIDRS),
	F("to", PF_STRS),
	F("toCidrs", PF_CIDRS),
	F("toNames", PF_DNSNAMES),
	FE("protocol", PF_ENUM, "tcp udp icmp"),
	F("ports", PF_PORTS),
	FE("apps", PF_ENUMS,
	   "http http2 grpc tls dns ftp ftp-data kafka mongodb mysql postgresql redis smtp ssh "
	   "unknown"),
	F("httpMethods", PF_STRS),
	F("httpHosts", PF_DNSNAMES),
	F("httpPaths", PF_STRS),
	F("tlsSni", PF_DNSNAMES),
	F("dnsNames", PF_DNSNAMES),
	F("sqlStatements", PF_STRS),
	F("grpcMethods", PF_STRS),
	{ .name = NULL },
};

/* A list member as borrowed strings (ports: integers printed into `keep`). */
struct strs {
	const char **v;
	size_t n, cap;
	char **keep;
};

static struct bh_netpol_strs strs_of(const json_t *def, const char *member, struct strs *s)
{
	const json_t *a = json_object_get(def, member);
	size_t i, n = json_array_size(a);
	json_t *e;

	s->v = bh_calloc(n + 1, sizeof(char *));
	s->keep = bh_calloc(n + 1, sizeof(char *));
	s->n = 0;
	s->cap = n;
	json_array_foreach ((json_t *)a, i, e) {
		if (json_is_string(e)) {
			s->v[s->n++] = json_string_value(e);
		} else if (json_is_integer(e)) {
			s->keep[i] = bh_asprintf("%lld", (long long)json_integer_value(e));
			s->v[s->n++] = s->keep[i];
		}
	}
	return (struct bh_netpol_strs){ s->v, s->n };
}

static void strs_release(struct strs *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < s[i].cap; j++)
			free(s[i].keep[j]);
		free(s[i].keep);
		free((void *)s[i].v);
	}
}

static void netdef_free(void *params)
{
	struct netdef *d = params;

	if (!d)
		return;
	json_decref(d->def);
	free(d);
}

static int never_eval(const struct pol_rule *r, struct pol_ctx *c, struct bh_error **err)
{
	(void)r;
	(void)c;
	(void)err;
	return 0;
}

static enum bh_netpol_mode mode_of(const struct pol_rule *r, const json_t *def)
{
	const char *m = bh_json_str(def, "mode");

	if (m)
		return !strcmp(m, "discover")  ? BH_NETPOL_DISCOVER
		       : !strcmp(m, "monitor") ? BH_NETPOL_MONITOR
					       : BH_NETPOL_PROTECT;
	return r->action == BH_ACT_ENFORCE ? BH_NETPOL_PROTECT : BH_NETPOL_MONITOR;
}

enum { GS_IMAGES, GS_CONTAINERS, GS_CIDRS, GS_N };

static void group_spec(const struct pol_rule *r, const json_t *def, struct bh_netpol_group_spec *g,
		       struct strs *s)
{
	memset(g, 0, sizeof(*g));
	g->name = r->name;
	g->labels = json_object_get(def, "labels");
	g->images = strs_of(def, "images", &s[GS_IMAGES]);
	g->containers = strs_of(def, "containers", &s[GS_CONTAINERS]);
	g->cidrs = strs_of(def, "cidrs", &s[GS_CIDRS]);
	g->sensitivity = bh_json_str(def, "sensitivity");
	g->mode = mode_of(r, def);
}

/*
 * The end of a compile: the builder's refusal (err, taken) reported as the
 * rule's problem, at `field` when the message names it; else the definition
 * kept as the rule's params.
 */
static int compile_done(struct pol_rule *r, const json_t *def, struct pol_compile *pc, int rc,
			struct bh_error *err, const char *field)
{
	struct netdef *d;

	if (rc < 0) {
		char *m = bh_error_message(err);
		const char *at = strstr(m, "\": ");
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "%s:", field ? field : "");
		pc->problem(pc, field && strstr(m, prefix) ? field : NULL, "%s", at ? at + 3 : m);
		free(m);
		bh_error_free(err);
		return -1;
	}
	d = bh_calloc(1, sizeof(*d));
	d->def = json_incref((json_t *)def);
	r->params = d;
	return 0;
}

static int group_compile(struct pol_rule *r, const json_t *def, struct pol_compile *pc)
{
	struct bh_netpol *np = bh_netpol_new();
	struct bh_netpol_group_spec g;
	struct strs s[GS_N];
	struct bh_error *err = NULL;
	int rc;

	/* the group alone, to check what the member types did not */
	group_spec(r, def, &g, s);
	rc = bh_netpol_add_group(np, &g, &err);
	strs_release(s, GS_N);
	bh_netpol_free(np);
	return compile_done(r, def, pc, rc, err, "containers");
}

enum {
	RS_FROM,
	RS_FROM_CIDRS,
	RS_TO,
	RS_TO_CIDRS,
	RS_TO_NAMES,
	RS_PORTS,
	RS_APPS,
	RS_METHODS,
	RS_HOSTS,
	RS_PATHS,
	RS_SNI,
	RS_DNS,
	RS_SQL,
	RS_GRPC,
	RS_N
};

static void rule_spec(const struct pol_rule *r, const json_t *def, struct bh_netpol_rule_spec *x,
		      struct strs *s)
{
	const char *v = bh_json_str(def, "verdict");

	memset(x, 0, sizeof(*x));
	x->name = r->name;
	x->quarantine = v && !strcmp(v, "quarantine");
	x->action = v && (!strcmp(v, "deny") || x->quarantine) ? BH_NETPOL_DENY_RULE
							       : BH_NETPOL_ALLOW_RULE;
	x->enforce = r->action == BH_ACT_ENFORCE;
	x->from = strs_of(def, "from", &s[RS_FROM]);
	x->from_cidrs = strs_of(def, "fromCidrs", &s[RS_FROM_CIDRS]);
	x->to = strs_of(def, "to", &s[RS_TO]);
	x->to_cidrs = strs_of(def, "toCidrs", &s[RS_TO_CIDRS]);
	x->to_names = strs_of(def, "toNames", &s[RS_TO_NAMES]);
	x->l4 = bh_json_str(def, "protocol");
	x->ports = strs_of(def, "ports", &s[RS_PORTS]);
	x->apps = strs_of(def, "apps", &s[RS_APPS]);
	x->http_methods = strs_of(def, "httpMethods", &s[RS_METHODS]);
	x->http_hosts = strs_of(def, "httpHosts", &s[RS_HOSTS]);
	x->http_paths = strs_of(def, "httpPaths", &s[RS_PATHS]);
	x->tls_sni = strs_of(def, "tlsSni", &s[RS_SNI]);
	x->dns_names = strs_of(def, "dnsNames", &s[RS_DNS]);
	x->sql_statements = strs_of(def, "sqlStatements", &s[RS_SQL]);
	x->grpc_methods = strs_of(def, "grpcMethods", &s[RS_GRPC]);
}

static int rule_compile(struct pol_rule *r, const json_t *def, struct pol_compile *pc)
{
	struct bh_netpol *np;
	struct bh_netpol_rule_spec x;
	struct strs s[RS_N];
	struct bh_error *err = NULL;
	int rc;
	size_t i;
	json_t *e;

	json_array_foreach (json_object_get(def, "httpPaths"), i, e) {
		const char *why = "";

		if (bh_netpol_check_http_path(json_string_value(e), &why) < 0) {
			pc->problem(pc, "httpPaths", "'%s' %s", json_string_value(e), why);
			return -1;
		}
	}
	json_array_foreach (json_object_get(def, "grpcMethods"), i, e) {
		const char *why = "";

		if (bh_netpol_check_grpc_method(json_string_value(e), &why) < 0) {
			pc->problem(pc, "grpcMethods", "'%s': %s", json_string_value(e), why);
			return -1;
		}
	}
	/* the rule alone (its group names are checked by pol_network_link) */
	np = bh_netpol_new();
	rule_spec(r, def, &x, s);
	x.from.n = x.to.n = 0;
	rc = bh_netpol_add_rule(np, &x, &err);
	strs_release(s, RS_N);
	bh_netpol_free(np);
	return compile_done(r, def, pc, rc, err, NULL);
}

const struct pol_rule_kind pol_kind_network_group = {
	"networkGroup", "4.3.3", 0, 0, group_fields, NULL, group_compile, netdef_free, never_eval,
};

const struct pol_rule_kind pol_kind_network = {
	"network", "4.4.2", 0, 0, rule_fields, "verdict", rule_compile, netdef_free, never_eval,
};

static bool group_defined(const struct bh_policy *p, const char *name)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].kind == &pol_kind_network_group && !strcmp(p->rules[i].name, name))
			return true;
	return false;
}

size_t pol_network_link(const struct bh_policy *p, struct bh_policy_diags *diags)
{
	static const char *const members[] = { "from", "to" };
	size_t n = 0;

	for (size_t i = 0; i < p->nrules; i++) {
		const struct pol_rule *r = &p->rules[i];
		const struct netdef *d = r->params;

		if (r->kind != &pol_kind_network)
			continue;
		for (size_t m = 0; m < 2; m++) {
			size_t j;
			json_t *e;

			json_array_foreach (json_object_get(d->def, members[m]), j, e) {
				if (group_defined(p, json_string_value(e)))
					continue;
				pol_diag_add(diags, r->file, r->line, r->column,
					     bh_asprintf("rule \"%s\": %s: no networkGroup named "
							 "'%s' (a CIDR goes in %sCidrs)",
							 r->name, members[m], json_string_value(e),
							 members[m]));
				n++;
			}
		}
	}
	return n;
}

int bh_policy_net(const struct bh_policy *p, struct bh_netpol **out, struct bh_error **err)
{
	struct bh_netpol *np;
	int n = 0;

	*out = NULL;
	if (!p || !p->compiled)
		return bh_error_set(err, BH_ERR_USAGE, "the policy is not compiled");
	np = bh_netpol_new();
	/* groups first: rules name them */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < p->nrules; i++) {
			const struct pol_rule *r = &p->rules[i];
			const struct netdef *d = r->params;
			int rc;

			if (pass == 0 && r->kind == &pol_kind_network_group) {
				struct bh_netpol_group_spec g;
				struct strs s[GS_N];

				group_spec(r, d->def, &g, s);
				rc = bh_netpol_add_group(np, &g, err);
				strs_release(s, GS_N);
			} else if (pass == 1 && r->kind == &pol_kind_network) {
				struct bh_netpol_rule_spec x;
				struct strs s[RS_N];

				rule_spec(r, d->def, &x, s);
				rc = bh_netpol_add_rule(np, &x, err);
				strs_release(s, RS_N);
			} else {
				continue;
			}
			if (rc < 0) {
				bh_error_prefix(err, "%s:%zu:%zu", r->file, r->line, r->column);
				bh_netpol_free(np);
				return -1;
			}
			n++;
		}
	*out = np;
	return n;
}
