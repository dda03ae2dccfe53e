/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The net unit tests' one way to make a network policy from YAML text
 * (test_net_alert, test_net_swap, test_netpolicy_paths): the document
 * compiled, its `net` part returned; the test fails (the diagnostics on
 * stderr, at line:col) when it does not compile. Included after unit.h.
 */
#ifndef BULKHEAD_TESTS_NETPOL_UNIT_H
#define BULKHEAD_TESTS_NETPOL_UNIT_H

#include <stdio.h>
#include <string.h>

#include "bulkhead/netpolicy.h"
#include "bulkhead/policy.h"

/* the head of a policy document whose rules follow */
#define NETPOL_HDR "apiVersion: bulkhead.dev/v1alpha1\nkind: Policy\nspec:\n  rules:\n"

static inline struct bh_netpol *netpol_compile(const char *y)
{
	struct bh_policy *p = bh_policy_new();
	struct bh_policy_diags d = { 0 };
	struct bh_netpol *np = NULL;
	struct bh_error *err = NULL;

	if (bh_policy_add(p, y, strlen(y), "n.yaml", NULL, &d, &err) < 0 ||
	    bh_policy_compile(p, &d, &err) < 0 || bh_policy_net(p, &np, &err) < 0)
		np = NULL;
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%zu:%zu: %s\n", d.v[i].line, d.v[i].column, d.v[i].message);
	bh_error_free(err);
	bh_policy_diags_release(&d);
	bh_policy_free(p);
	assert_non_null(np);
	return np;
}

#endif
