/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network policy unit tests' helpers (test_netpolicy_decide,
 * test_netpolicy_engine): policy YAML (one or two files, diagnostics with
 * their file names) compiled through bh_policy_net, a hostile policy's first
 * problem at line:col, queries and decisions between IPv4 addresses with
 * labels and layer-7 records, and the `groups` every decision test starts
 * from. (netpol_unit.h's netpol_compile is the other net tests' one-file
 * form.) Included after unit.h.
 */
#ifndef BULKHEAD_TESTS_NETPOL_DECIDE_H
#define BULKHEAD_TESTS_NETPOL_DECIDE_H

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "bulkhead/net.h"
#include "bulkhead/netpolicy.h"
#include "bulkhead/policy.h"
#include "net/dissect.h"
#define HDR "apiVersion: bulkhead.dev/v1alpha1\nkind: Policy\nspec:\n  rules:\n"

/* Compile YAML (one or two files) into a net policy; NULL with diags on failure. */
static inline struct bh_netpol *compile2(const char *a, const char *b, struct bh_policy_diags *d)
{
	struct bh_policy *p = bh_policy_new();
	struct bh_netpol *np = NULL;
	struct bh_error *err = NULL;

	if (bh_policy_add(p, a, strlen(a), "a.yaml", NULL, d, &err) < 0 ||
	    (b && bh_policy_add(p, b, strlen(b), "b.yaml", NULL, d, &err) < 0) ||
	    bh_policy_compile(p, d, &err) < 0 || bh_policy_net(p, &np, &err) < 0)
		np = NULL;
	bh_error_free(err);
	bh_policy_free(p);
	return np;
}

static inline struct bh_netpol *compile(const char *y)
{
	struct bh_policy_diags d = { 0 };
	struct bh_netpol *np = compile2(y, NULL, &d);

	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s:%zu:%zu: %s\n", d.v[i].file, d.v[i].line, d.v[i].column,
			d.v[i].message);
	bh_policy_diags_release(&d);
	assert_non_null(np);
	return np;
}

/* The first problem a policy has, as "line:col: message". */
static char problem[512];
static inline const char *first_problem(const char *y)
{
	struct bh_policy_diags d = { 0 };
	struct bh_netpol *np = compile2(y, NULL, &d);

	assert_null(np);
	assert_true(d.n > 0);
	snprintf(problem, sizeof(problem), "%zu:%zu: %s", d.v[0].line, d.v[0].column,
		 d.v[0].message);
	bh_policy_diags_release(&d);
	return problem;
}

static uint8_t A[8][16];
static inline const uint8_t *a4(int slot, const char *s)
{
	memset(A[slot], 0, 16);
	A[slot][10] = A[slot][11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, s, A[slot] + 12), 1);
	return A[slot];
}

static inline int grp(const struct bh_netpol *p, const uint8_t *addr, const json_t *labels,
		      const char *image, const char *id)
{
	struct bh_netpol_endpoint ep = { addr, labels, image, id };

	return bh_netpol_group_of(p, &ep);
}

/* The query of a flow from c to s:port, its ends' groups looked up in p. */
static inline struct bh_netpol_query query(const struct bh_netpol *p, const char *c, const char *s,
					   uint16_t port, const char *l4, const char *app,
					   const struct bh_net_rec *rec)
{
	struct bh_netpol_query q = { 0 };

	q.client_addr = a4(0, c);
	q.server_addr = a4(1, s);
	q.client_group = grp(p, q.client_addr, NULL, NULL, NULL);
	q.server_group = grp(p, q.server_addr, NULL, NULL, NULL);
	q.server_port = port;
	q.l4 = l4;
	q.app = app;
	q.rec = rec;
	return q;
}

/* Decide a flow from c to s:port (app NULL: not known yet). */
static inline struct bh_netpol_decision dec(const struct bh_netpol *p, const char *c, const char *s,
					    uint16_t port, const char *l4, const char *app,
					    const struct bh_net_rec *rec, bool allowed)
{
	struct bh_netpol_query q = query(p, c, s, port, l4, app, rec);
	struct bh_netpol_decision d;

	bh_netpol_decide(p, &q, allowed, &d);
	return d;
}

#define S(x) ((struct bh_net_str){ (x), sizeof(x) - 1 })

static inline struct bh_net_rec http_req(const char *method, const char *host, const char *path)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_HTTP_REQUEST, .app = "http" };

	r.u.http.method = (struct bh_net_str){ method, strlen(method) };
	r.u.http.host = (struct bh_net_str){ host, host ? strlen(host) : 0 };
	r.u.http.path = (struct bh_net_str){ path, strlen(path) };
	return r;
}

static inline void assert_dec(struct bh_netpol_decision d, enum bh_netpol_verdict v,
			      const char *rule)
{
	assert_int_equal(d.verdict, v);
	if (rule)
		assert_string_equal(d.rule, rule);
	else
		assert_null(d.rule);
}

static const char groups[] =
	HDR "  - {name: web, kind: networkGroup, cidrs: [10.0.1.0/24], mode: protect}\n"
	    "  - {name: api, kind: networkGroup, cidrs: [10.0.2.0/24], mode: protect}\n"
	    "  - {name: db, kind: networkGroup, cidrs: [10.0.3.0/24], sensitivity: pci, mode: "
	    "protect}\n"
	    "  - {name: lab, kind: networkGroup, cidrs: [10.0.9.0/24], mode: discover}\n"
	    "  - {name: obs, kind: networkGroup, cidrs: [10.0.8.0/24], action: audit}\n";

#endif
