/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network policy object as its two files share it: policy.c (the
 * syntax of CIDRs, ports and names; building groups and rules from specs)
 * and policy_decide.c (a flow's, or a record's, decision).
 */
#ifndef BULKHEAD_NET_POLICY_OBJ_H
#define BULKHEAD_NET_POLICY_OBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/netpolicy.h"

struct cidr {
	uint8_t addr[16];
	unsigned bits; /* of the 128 (IPv4: 96 + its prefix) */
};

struct strl {
	char **v;
	size_t n;
};

struct group {
	char *name;
	json_t *labels;
	struct strl images, containers;
	struct cidr *cidrs;
	size_t ncidrs;
	char *sens;
	enum bh_netpol_mode mode;
};

enum fam { FAM_NONE = 0, FAM_HTTP, FAM_TLS, FAM_DNS, FAM_SQL, FAM_GRPC };

struct prange {
	uint16_t lo, hi;
};

struct rule {
	char *name;
	enum bh_netpol_action action;
	bool enforce;
	bool quarantine;
	int *from, *to; /* group indexes */
	size_t nfrom, nto;
	struct cidr *from_cidrs, *to_cidrs;
	size_t nfrom_cidrs, nto_cidrs;
	struct strl to_names;
	int l4; /* 0 any, 6, 17, 1 */
	struct prange *ports;
	size_t nports;
	struct strl apps;
	enum fam fam;
	struct strl methods, hosts, paths, sni, dns, sql, grpc;
};

struct bh_netpol {
	struct group *g;
	size_t ng;
	struct rule *r;
	size_t nr;
	bool names;
	bool ctrs; /* a group selects containers (labels, images or IDs) */
};

/* Whether address a (IPv4 as ::ffff:a.b.c.d) is in c. */
bool net_pol_cidr_match(const struct cidr *c, const uint8_t a[16]);
/* Whether the name (p, n) matches one of l's patterns (exact or "*.parent"). */
bool net_pol_names_match(const struct strl *l, const char *p, size_t n);

#endif
