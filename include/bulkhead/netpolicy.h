/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network policy of the container firewall (issue 16): groups of
 * endpoints, allow/deny rules between them, a mode per group, and the one
 * decision function the packet engine (include/bulkhead/net.h) calls for a
 * flow at its start (layers 3 and 4), again when its application protocol is
 * identified, and on each layer-7 record (an HTTP request, a TLS
 * ClientHello, a DNS query, an SQL statement). The offline path (`net
 * inspect --pcap F --policy P`) and the live one (NFQUEUE) make the same call.
 *
 * Written in policy files as two rule kinds (src/policy/rules_network.c,
 * docs/man/bulkhead-policy.1): `networkGroup` and `network`;
 * bh_policy_net() (include/bulkhead/policy.h) builds the object from a
 * compiled policy. Tests and callers without a policy file use the builder
 * below.
 *
 * Semantics (bulkhead-policy(1), "Network policy"):
 *  - an endpoint is in the first group (in policy order) whose selectors all
 *    match it: labels (every one given), images (any glob), containers (any
 *    ID prefix), cidrs (any); no group: the outside world;
 *  - a flow's mode is the strictest of its two ends' groups' (protect >
 *    monitor > discover); a flow with neither end in a group has no default
 *    (only explicit rules apply);
 *  - a matching deny rule wins over any allow rule; then an allow rule; then
 *    auto-segmentation (ends whose sensitivities differ: rule
 *    BH_NETPOL_RULE_SEGMENT); then the default: discover allows (rule
 *    BH_NETPOL_RULE_DISCOVER, what `--learn` writes out), monitor and
 *    protect deny (rule BH_NETPOL_RULE_DEFAULT);
 *  - a deny is `deny` (dropped) only when the flow's mode is protect and the
 *    deciding rule's action is enforce; else it is `alert` (reported).
 *
 * Ownership as include/bulkhead/base.h: specs are copied by the builder; a
 * compiled object is immutable and may be shared by threads; a decision's
 * rule name is borrowed from the policy (or static).
 */
#ifndef BULKHEAD_NETPOLICY_H
#define BULKHEAD_NETPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bulkhead/base.h"

struct bh_net_rec; /* src/net/dissect.h */

/* Built-in rule names: ':' cannot be in a policy rule's name. */
#define BH_NETPOL_RULE_DEFAULT	"bulkhead:default-deny"
#define BH_NETPOL_RULE_SEGMENT	"bulkhead:segmentation"
#define BH_NETPOL_RULE_DISCOVER "bulkhead:discover"
/* a flow whose dissector gave up where layer-7 rules govern it */
#define BH_NETPOL_RULE_UNPARSABLE "bulkhead:l7-unparsable"

/* Bounds of one policy (a spec over them is BH_ERR_LIMIT). */
#define BH_NETPOL_GROUPS_MAX 1024
#define BH_NETPOL_RULES_MAX  4096
#define BH_NETPOL_LIST_MAX   256 /* entries of one selector / condition list */
#define BH_NETPOL_NAME_MAX   253 /* a DNS name */
#define BH_NETPOL_GRPC_MAX   256 /* a gRPC method's path */

enum bh_netpol_mode { BH_NETPOL_DISCOVER = 0, BH_NETPOL_MONITOR, BH_NETPOL_PROTECT };

enum bh_netpol_verdict {
	BH_NETPOL_NONE = 0, /* no decision yet (a rule needs the app or a record) */
	BH_NETPOL_ALLOW,
	BH_NETPOL_ALERT, /* outside the policy, reported, not dropped */
	BH_NETPOL_DENY,	 /* dropped */
};
const char *bh_netpol_mode_name(enum bh_netpol_mode m);	      /* "discover", ... */
const char *bh_netpol_verdict_name(enum bh_netpol_verdict v); /* "allow", ..., NULL for NONE */

/* A list of strings (borrowed). */
struct bh_netpol_strs {
	const char *const *v;
	size_t n;
};

struct bh_netpol_group_spec {
	const char *name;
	const json_t *labels;		  /* an object of strings, or NULL */
	struct bh_netpol_strs images;	  /* fnmatch(3) globs on the image name */
	struct bh_netpol_strs containers; /* container ID prefixes (hex, >= 4) */
	struct bh_netpol_strs cidrs;	  /* "10.0.0.0/8", "fd00::/8", "192.0.2.1" */
	const char *sensitivity;	  /* "pci", or NULL */
	enum bh_netpol_mode mode;
};

enum bh_netpol_action { BH_NETPOL_ALLOW_RULE = 0, BH_NETPOL_DENY_RULE };

struct bh_netpol_rule_spec {
	const char *name;
	enum bh_netpol_action action;
	bool enforce; /* the policy action: enforce (else audit/warn: a deny alerts) */
	/* a deny rule whose deny also quarantines the flow's client container
	 * (policy verdict `quarantine`; the live path acts on it) */
	bool quarantine;
	/* peers: each side matches when any of its lists does; all empty: any */
	struct bh_netpol_strs from, from_cidrs;	      /* group names, CIDRs */
	struct bh_netpol_strs to, to_cidrs, to_names; /* ..., DNS names ("*.a.com") */
	const char *l4;				      /* "tcp", "udp", "icmp" or NULL */
	struct bh_netpol_strs ports;		      /* "80", "8000-8080" (server port) */
	/* "http", "dns", ... (any port); "grpc" matches an HTTP/2 flow's gRPC
	 * requests (a record tells), "http2" every HTTP/2 flow, gRPC or not */
	struct bh_netpol_strs apps;
	/* layer 7: at most one family per rule (HTTP, TLS, DNS, SQL or gRPC) */
	struct bh_netpol_strs http_methods, http_hosts, http_paths; /* paths: prefixes */
	struct bh_netpol_strs tls_sni;
	struct bh_netpol_strs dns_names;
	struct bh_netpol_strs sql_statements; /* "select", "insert", ... */
	/* gRPC calls: "/pkg.Service/Method" exactly, or "/pkg.Service/" any
	 * method of the service (the request's :path) */
	struct bh_netpol_strs grpc_methods;
};

struct bh_netpol;

/* Syntax checks the policy validator shares: 0, or -1 with *why (static). */
int bh_netpol_check_cidr(const char *s, const char **why);
int bh_netpol_check_ports(const char *s, const char **why);
int bh_netpol_check_name(const char *s, const char **why); /* FQDN or "*." wildcard */
/* "/pkg.Service/Method" or "/pkg.Service/" (every method of the service) */
int bh_netpol_check_grpc_method(const char *s, const char **why);
/* An httpPaths entry: starts with '/', and in the normal form paths are
 * judged in (src/net/http_path.h: no %XX, "//", dot segments, '?', '#'),
 * else it could never match. */
int bh_netpol_check_http_path(const char *s, const char **why);

struct bh_netpol *bh_netpol_new(void);
/* Add a group / a rule (after the groups it names). Errors name the spec
 * and the member. */
int bh_netpol_add_group(struct bh_netpol *p, const struct bh_netpol_group_spec *g,
			struct bh_error **err);
int bh_netpol_add_rule(struct bh_netpol *p, const struct bh_netpol_rule_spec *r,
		       struct bh_error **err);
size_t bh_netpol_ngroups(const struct bh_netpol *p);
const char *bh_netpol_group_name(const struct bh_netpol *p, int group);
/* Whether a rule lists DNS names (the engine then keeps the answers it sees). */
bool bh_netpol_uses_names(const struct bh_netpol *p);
/* Whether a group selects containers by labels, image or ID (the live path
 * then keeps an inventory of the containers' addresses); CIDR groups do not. */
bool bh_netpol_uses_containers(const struct bh_netpol *p);
/* Whether `rule` (a decision's rule name) is a rule with verdict quarantine. */
bool bh_netpol_rule_quarantines(const struct bh_netpol *p, const char *rule);
/* Whether any rule has verdict quarantine. */
bool bh_netpol_has_quarantine(const struct bh_netpol *p);
void bh_netpol_free(struct bh_netpol *p);

/* What is known of an endpoint. */
struct bh_netpol_endpoint {
	const uint8_t *addr;	  /* 16 bytes, IPv4 as ::ffff:a.b.c.d */
	const json_t *labels;	  /* container or pod labels, or NULL */
	const char *image;	  /* or NULL */
	const char *container_id; /* or NULL */
};
/* The group of an endpoint, or -1 (the outside world). */
int bh_netpol_group_of(const struct bh_netpol *p, const struct bh_netpol_endpoint *ep);

/* What a decision is about. */
struct bh_netpol_query {
	int client_group, server_group; /* bh_netpol_group_of, -1 for none */
	const uint8_t *client_addr, *server_addr;
	uint16_t server_port;
	const char *l4;			    /* "tcp", "udp", "icmp" */
	const char *app;		    /* NULL: not identified yet */
	struct bh_netpol_strs server_names; /* names the server address was resolved from */
	const struct bh_net_rec *rec;	    /* a layer-7 record, or NULL: the flow */
};

struct bh_netpol_decision {
	enum bh_netpol_verdict verdict; /* NONE: wait for the app or a record */
	const char *rule;		/* the deciding rule, or NULL (no policy applies) */
	bool final;			/* nothing later can change it */
};

/*
 * Decide a flow (q->rec NULL) or one of its layer-7 records. For a flow: a
 * matching deny is final; an allow is final unless a deny rule with layer-7
 * conditions may still match a record; NONE while a rule needs the app (or a
 * record) to tell. For a record (an HTTP request, a client TLS hello, a DNS
 * query, an SQL statement; other kinds are ALLOW with rule NULL):
 * `flow_allowed` says whether the flow was allowed without layer-7
 * conditions; a record a deny rule matches is denied, one no allow rule
 * matches (when the flow was not allowed as a whole) falls to the default.
 */
void bh_netpol_decide(const struct bh_netpol *p, const struct bh_netpol_query *q, bool flow_allowed,
		      struct bh_netpol_decision *out);

/*
 * A flow's dissector gave up on its bytes (malformed, a gap it could not
 * cross): the app and the layer-7 fields the rules matched are no longer
 * proven for what follows. When a rule with an app or layer-7 condition
 * applies to the flow's ends and port (q->app and q->rec unused), the flow
 * is decided BH_NETPOL_RULE_UNPARSABLE, final: deny in protect (alert when
 * those rules are all audit/warn), alert in monitor; discover, or no such
 * rule: NONE (the flow keeps its decision and is inspected anew).
 */
void bh_netpol_unparsable(const struct bh_netpol *p, const struct bh_netpol_query *q,
			  struct bh_netpol_decision *out);

/* ---- discover: the rules that allow what was seen --------------------------- */

struct bh_net_flow_record;
struct bh_netpol_learn;

/* A learner of the flows a policy's discover mode allowed (bounded: at most
 * BH_NETPOL_RULES_MAX learned rules, BH_NETPOL_LIST_MAX entries a list). */
struct bh_netpol_learn *bh_netpol_learn_new(void);
/* Feed it from the engine's on_record and on_flow callbacks. */
void bh_netpol_learn_record(struct bh_netpol_learn *l, const struct bh_net_flow_record *flow,
			    const struct bh_net_rec *rec);
void bh_netpol_learn_flow(struct bh_netpol_learn *l, const struct bh_net_flow_record *flow);
/*
 * The learned rules as a policy document (kind `network`, verdict allow)
 * appended to out: ports merged, HTTP paths collapsed to their first
 * segment, DNS names and SNIs of one parent domain (3 or more) to a
 * wildcard. Returns the number of rules.
 */
int bh_netpol_learn_write(const struct bh_netpol_learn *l, struct bh_buf *out,
			  struct bh_error **err);
void bh_netpol_learn_free(struct bh_netpol_learn *l);

#endif
