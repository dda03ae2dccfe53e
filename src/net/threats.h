/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The catalogue of network threats bulkhead detects (issue 16): each one an
 * ID, a name, a severity and the NIST SP 800-190 section it serves. A
 * detector (a dissector, the packet decoder, a rate meter, the SQL injection
 * or data-leak matcher) reports by ID; the engine looks the rest up here.
 * A new threat is one row in bh_net_threats[] (src/net/threats.c) and a test
 * that triggers it beside one that must not.
 */
#ifndef BULKHEAD_NET_THREATS_H
#define BULKHEAD_NET_THREATS_H

enum bh_net_severity {
	BH_NET_SEV_LOW = 1,
	BH_NET_SEV_MEDIUM,
	BH_NET_SEV_HIGH,
	BH_NET_SEV_CRITICAL,
};

struct bh_net_threat_def {
	const char *id;	  /* "BH-NET-SQLI" */
	const char *name; /* "SQL injection" */
	enum bh_net_severity severity;
	const char *sp800190; /* "4.4.4" */
};

/* NULL-id-terminated. */
extern const struct bh_net_threat_def bh_net_threats[];

/* The row for id, or NULL. */
const struct bh_net_threat_def *bh_net_threat_find(const char *id);

#endif
