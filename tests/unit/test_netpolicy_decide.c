/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network policy (include/bulkhead/netpolicy.h): the decision table
 * (each group selector, each peer and layer-7 condition, gRPC apps and
 * methods, wildcards, deny over allow, sensitivity, the three modes), and
 * policy files with networkGroup and network rules refused with
 * file:line:col when hostile or wrong. Helpers in netpol_decide.h.
 */
#include <arpa/inet.h>

#include "unit.h"
#include "net_pkt.h"
#include "netpol_decide.h"
#include "bulkhead/net.h"
#include "bulkhead/netpolicy.h"
#include "bulkhead/policy.h"
#include "net/dissect.h"
#include "net/net_int.h"
#include "banned.h"

static void decision_table(void **state)
{
	struct bh_netpol *p;
	struct bh_net_rec r;
	char y[4096];

	(void)state;
	snprintf(y, sizeof(y), "%s%s", groups,
		 "  - {name: web-api, kind: network, verdict: allow, from: [web], to: [api], "
		 "ports: [80, \"8000-8080\"]}\n"
		 "  - {name: no-delete, kind: network, verdict: deny, to: [api], httpMethods: "
		 "[DELETE]}\n"
		 "  - {name: api-db, kind: network, verdict: allow, from: [api], to: [db], apps: "
		 "[postgresql], sqlStatements: [select, insert]}\n"
		 "  - {name: api-docs, kind: network, verdict: allow, from: [api], toNames: "
		 "[\"*.example.com\"], apps: [tls], tlsSni: [\"*.example.com\"]}\n"
		 "  - {name: any-dns, kind: network, verdict: allow, from: [web, api], toCidrs: "
		 "[192.0.2.53/32], protocol: udp, ports: [53], dnsNames: [\"*.corp\", "
		 "mirror.example.org]}\n"
		 "  - {name: no-meta, kind: network, verdict: deny, toCidrs: "
		 "[169.254.169.254/32]}\n"
		 "  - {name: web-db, kind: network, verdict: allow, from: [web], to: [db], ports: "
		 "[5432]}\n"
		 "  - {name: web-db-no, kind: network, verdict: deny, action: audit, from: [web], "
		 "to: [db], ports: [5433]}\n");
	p = compile(y);
	assert_int_equal(bh_netpol_ngroups(p), 5);
	/* groups by CIDR; outside: -1 */
	assert_int_equal(grp(p, a4(2, "10.0.1.7"), NULL, NULL, NULL), 0);
	assert_int_equal(grp(p, a4(2, "10.0.3.1"), NULL, NULL, NULL), 2);
	assert_int_equal(grp(p, a4(2, "8.8.8.8"), NULL, NULL, NULL), -1);
	/* a port in a range, at L4: allowed, final unless a layer-7 deny may match */
	assert_dec(dec(p, "10.0.1.5", "10.0.2.5", 8080, "tcp", NULL, NULL, false), BH_NETPOL_ALLOW,
		   "web-api");
	assert_false(dec(p, "10.0.1.5", "10.0.2.5", 8080, "tcp", NULL, NULL, false).final);
	/* another port: default deny in protect */
	assert_dec(dec(p, "10.0.1.5", "10.0.2.5", 22, "tcp", NULL, NULL, false), BH_NETPOL_DENY,
		   BH_NETPOL_RULE_DEFAULT);
	/* the records of an allowed flow: a DELETE is denied (deny wins), a GET passes */
	r = http_req("DELETE", "api", "/x");
	assert_dec(dec(p, "10.0.1.5", "10.0.2.5", 80, "tcp", "http", &r, true), BH_NETPOL_DENY,
		   "no-delete");
	r = http_req("delete", "api", "/x"); /* methods without case */
	assert_int_equal(dec(p, "10.0.1.5", "10.0.2.5", 80, "tcp", "http", &r, true).verdict,
			 BH_NETPOL_DENY);
	r = http_req("GET", "api", "/x");
	assert_dec(dec(p, "10.0.1.5", "10.0.2.5", 80, "tcp", "http", &r, true), BH_NETPOL_ALLOW,
		   NULL);
	/* app rules wait for the app; SQL statement types decide each statement */
	assert_int_equal(dec(p, "10.0.2.5", "10.0.3.5", 5432, "tcp", NULL, NULL, false).verdict,
			 BH_NETPOL_NONE);
	assert_int_equal(
		dec(p, "10.0.2.5", "10.0.3.5", 5432, "tcp", "postgresql", NULL, false).verdict,
		BH_NETPOL_NONE);
	r = (struct bh_net_rec){ .kind = BH_NET_REC_SQL, .app = "postgresql" };
	r.u.sql.statement = "select";
	assert_dec(dec(p, "10.0.2.5", "10.0.3.5", 5432, "tcp", "postgresql", &r, false),
		   BH_NETPOL_ALLOW, "api-db");
	r.u.sql.statement = "drop";
	assert_dec(dec(p, "10.0.2.5", "10.0.3.5", 5432, "tcp", "postgresql", &r, false),
		   BH_NETPOL_DENY, BH_NETPOL_RULE_SEGMENT);
	/* another app on that port: api and db differ in sensitivity */
	assert_dec(dec(p, "10.0.2.5", "10.0.3.5", 5432, "tcp", "redis", NULL, false),
		   BH_NETPOL_DENY, BH_NETPOL_RULE_SEGMENT);
	/* ... unless a rule says so: web -> db:5432 */
	assert_dec(dec(p, "10.0.1.5", "10.0.3.5", 5432, "tcp", NULL, NULL, false), BH_NETPOL_ALLOW,
		   "web-db");
	/* a deny with action audit only alerts, even in protect */
	assert_dec(dec(p, "10.0.1.5", "10.0.3.5", 5433, "tcp", NULL, NULL, false), BH_NETPOL_ALERT,
		   "web-db-no");
	/* DNS names: wildcard and exact; a name outside: default */
	r = (struct bh_net_rec){ .kind = BH_NET_REC_DNS, .app = "dns" };
	r.u.dns.qname = S("git.corp");
	assert_dec(dec(p, "10.0.1.5", "192.0.2.53", 53, "udp", "dns", &r, false), BH_NETPOL_ALLOW,
		   "any-dns");
	r.u.dns.qname = S("corp"); /* "*.corp" needs a label before */
	assert_dec(dec(p, "10.0.1.5", "192.0.2.53", 53, "udp", "dns", &r, false), BH_NETPOL_DENY,
		   BH_NETPOL_RULE_DEFAULT);
	r.u.dns.qname = S("MIRROR.example.org");
	assert_int_equal(dec(p, "10.0.1.5", "192.0.2.53", 53, "udp", "dns", &r, false).verdict,
			 BH_NETPOL_ALLOW);
	r.u.dns.qname = S("evilmirror.example.org");
	assert_int_equal(dec(p, "10.0.1.5", "192.0.2.53", 53, "udp", "dns", &r, false).verdict,
			 BH_NETPOL_DENY);
	/* TCP to the DNS server: protocol udp only */
	assert_int_equal(dec(p, "10.0.1.5", "192.0.2.53", 53, "tcp", NULL, NULL, false).verdict,
			 BH_NETPOL_DENY);
	/* a deny to a CIDR applies with no group at either end */
	assert_dec(dec(p, "172.16.0.1", "169.254.169.254", 80, "tcp", NULL, NULL, false),
		   BH_NETPOL_DENY, "no-meta");
	/* no group, no rule: allowed, no rule */
	assert_dec(dec(p, "172.16.0.1", "172.16.0.2", 80, "tcp", NULL, NULL, false),
		   BH_NETPOL_ALLOW, NULL);
	/* discover: allowed, to learn; monitor (action audit): alert */
	assert_dec(dec(p, "10.0.9.1", "8.8.8.8", 443, "tcp", NULL, NULL, false), BH_NETPOL_ALLOW,
		   BH_NETPOL_RULE_DISCOVER);
	assert_dec(dec(p, "10.0.8.1", "8.8.8.8", 443, "tcp", NULL, NULL, false), BH_NETPOL_ALERT,
		   BH_NETPOL_RULE_DEFAULT);
	/* the strictest end decides: discover lab -> protect api */
	assert_dec(dec(p, "10.0.9.1", "10.0.2.1", 443, "tcp", NULL, NULL, false), BH_NETPOL_DENY,
		   BH_NETPOL_RULE_DEFAULT);
	bh_netpol_free(p);
}

static void l7_fields(void **state)
{
	struct bh_netpol *p;
	struct bh_net_rec r;
	struct bh_netpol_query q = { 0 };
	struct bh_netpol_decision d;
	const char *names[] = { "cdn.docs.example.com" };

	(void)state;
	p = compile(HDR
		    "  - {name: web, kind: networkGroup, cidrs: [10.0.1.0/24], mode: protect}\n"
		    "  - {name: get-api, kind: network, verdict: allow, from: [web], apps: [http, "
		    "http2], httpMethods: [GET, HEAD], httpHosts: [\"*.example.com\"], httpPaths: "
		    "[/api/, /health]}\n"
		    "  - {name: sni, kind: network, verdict: allow, from: [web], tlsSni: "
		    "[pay.example.net]}\n"
		    "  - {name: docs, kind: network, verdict: allow, from: [web], toNames: "
		    "[\"*.docs.example.com\"]}\n");
	r = http_req("GET", "a.example.com:8080", "/api/v1/users");
	assert_dec(dec(p, "10.0.1.1", "10.9.9.9", 80, "tcp", "http", &r, false), BH_NETPOL_ALLOW,
		   "get-api");
	r = http_req("GET", "example.com", "/api/v1/users"); /* the wildcard needs a label */
	assert_int_equal(dec(p, "10.0.1.1", "10.9.9.9", 80, "tcp", "http", &r, false).verdict,
			 BH_NETPOL_DENY);
	r = http_req("GET", "a.example.com", "/admin");
	assert_dec(dec(p, "10.0.1.1", "10.9.9.9", 80, "tcp", "http", &r, false), BH_NETPOL_DENY,
		   BH_NETPOL_RULE_DEFAULT);
	r = http_req("POST", "a.example.com", "/api/x");
	assert_int_equal(dec(p, "10.0.1.1", "10.9.9.9", 80, "tcp", "http", &r, false).verdict,
			 BH_NETPOL_DENY);
	r = http_req("HEAD", "a.example.com", "/healthz"); /* a prefix */
	assert_int_equal(dec(p, "10.0.1.1", "10.9.9.9", 80, "tcp", "http2", &r, false).verdict,
			 BH_NETPOL_ALLOW);
	r = http_req("GET", NULL, "/api/");
	assert_int_equal(dec(p, "10.0.1.1", "10.9.9.9", 80, "tcp", "http", &r, false).verdict,
			 BH_NETPOL_DENY);
	/* the http rule does not apply to a TLS flow: its SNI does */
	assert_int_equal(dec(p, "10.0.1.1", "10.9.9.9", 443, "tcp", "tls", NULL, false).verdict,
			 BH_NETPOL_NONE);
	r = (struct bh_net_rec){ .kind = BH_NET_REC_TLS_HELLO, .app = "tls" };
	r.u.tls.client = true;
	r.u.tls.sni = S("pay.example.net");
	assert_dec(dec(p, "10.0.1.1", "10.9.9.9", 443, "tcp", "tls", &r, false), BH_NETPOL_ALLOW,
		   "sni");
	r.u.tls.sni = S("pay.example.net.evil.io");
	assert_int_equal(dec(p, "10.0.1.1", "10.9.9.9", 443, "tcp", "tls", &r, false).verdict,
			 BH_NETPOL_DENY);
	/* a name the server address was resolved from */
	q.client_addr = a4(0, "10.0.1.1");
	q.server_addr = a4(1, "203.0.113.7");
	q.client_group = 0;
	q.server_group = -1;
	q.server_port = 443;
	q.l4 = "tcp";
	q.server_names = (struct bh_netpol_strs){ names, 1 };
	bh_netpol_decide(p, &q, false, &d);
	assert_dec(d, BH_NETPOL_ALLOW, "docs");
	q.server_names.n = 0;
	bh_netpol_decide(p, &q, false, &d);
	assert_int_equal(d.verdict, BH_NETPOL_NONE); /* the http and tls rules wait for the app */
	q.app = "ssh";
	bh_netpol_decide(p, &q, false, &d);
	assert_dec(d, BH_NETPOL_DENY, BH_NETPOL_RULE_DEFAULT);
	bh_netpol_free(p);
}

/* gRPC: app grpc (an HTTP/2 flow's requests with content-type application/grpc,
 * named "grpc" by the dissector) and grpcMethods, exact or a service prefix. */
static void grpc_app_and_methods(void **state)
{
	struct bh_netpol *p;
	struct bh_net_rec r;

	(void)state;
	p = compile(HDR
		    "  - {name: web, kind: networkGroup, cidrs: [10.0.1.0/24], mode: protect}\n"
		    "  - {name: api, kind: networkGroup, cidrs: [10.0.2.0/24], mode: protect}\n"
		    "  - {name: db, kind: networkGroup, cidrs: [10.0.3.0/24], mode: protect}\n"
		    "  - {name: any-grpc, kind: network, verdict: allow, from: [web], to: [api], "
		    "apps: [grpc]}\n"
		    "  - {name: calls, kind: network, verdict: allow, from: [web], to: [db], "
		    "grpcMethods: [/bh.Echo/Say, /bh.Admin/]}\n"
		    "  - {name: no-drop, kind: network, verdict: deny, from: [web], to: [db], "
		    "grpcMethods: [/bh.Admin/Drop]}\n"
		    "  - {name: h2, kind: network, verdict: allow, from: [api], apps: [http2]}\n");
	/* an HTTP/2 flow: a grpc rule waits for a request to tell */
	assert_dec(dec(p, "10.0.1.1", "10.0.2.1", 50051, "tcp", "http2", NULL, false),
		   BH_NETPOL_NONE, NULL);
	r = http_req("POST", "api", "/bh.Echo/Say");
	r.app = "grpc";
	assert_dec(dec(p, "10.0.1.1", "10.0.2.1", 50051, "tcp", "http2", &r, false),
		   BH_NETPOL_ALLOW, "any-grpc");
	/* the same flow's plain HTTP/2 request is not gRPC: the default */
	r = http_req("GET", "api", "/index.html");
	r.app = "http2";
	assert_dec(dec(p, "10.0.1.1", "10.0.2.1", 50051, "tcp", "http2", &r, false), BH_NETPOL_DENY,
		   BH_NETPOL_RULE_DEFAULT);
	/* app grpc is no other app */
	assert_dec(dec(p, "10.0.1.1", "10.0.2.1", 80, "tcp", "http", NULL, false), BH_NETPOL_DENY,
		   BH_NETPOL_RULE_DEFAULT);
	/* http2 is every HTTP/2 flow, gRPC or not: final at the app */
	assert_dec(dec(p, "10.0.2.1", "10.0.3.1", 80, "tcp", "http2", NULL, false), BH_NETPOL_ALLOW,
		   "h2");
	/* grpcMethods: the exact call, a service's every method, the deny first */
	assert_dec(dec(p, "10.0.1.1", "10.0.3.1", 9000, "tcp", "http2", NULL, false),
		   BH_NETPOL_NONE, NULL);
	r = http_req("POST", "db", "/bh.Echo/Say");
	r.app = "grpc";
	assert_dec(dec(p, "10.0.1.1", "10.0.3.1", 9000, "tcp", "http2", &r, false), BH_NETPOL_ALLOW,
		   "calls");
	r = http_req("POST", "db", "/bh.Echo/SayMore"); /* a method is exact */
	r.app = "grpc";
	assert_dec(dec(p, "10.0.1.1", "10.0.3.1", 9000, "tcp", "http2", &r, false), BH_NETPOL_DENY,
		   BH_NETPOL_RULE_DEFAULT);
	r = http_req("POST", "db", "/bh.Admin/List");
	r.app = "grpc";
	assert_dec(dec(p, "10.0.1.1", "10.0.3.1", 9000, "tcp", "http2", &r, false), BH_NETPOL_ALLOW,
		   "calls");
	r = http_req("POST", "db", "/bh.Admin/Drop");
	r.app = "grpc";
	assert_dec(dec(p, "10.0.1.1", "10.0.3.1", 9000, "tcp", "http2", &r, false), BH_NETPOL_DENY,
		   "no-drop");
	r = http_req("POST", "db", "/bh.AdminX/List"); /* a service prefix ends at its '/' */
	r.app = "grpc";
	assert_dec(dec(p, "10.0.1.1", "10.0.3.1", 9000, "tcp", "http2", &r, false), BH_NETPOL_DENY,
		   BH_NETPOL_RULE_DEFAULT);
	/* the same path over HTTP/2 without gRPC's content-type: not a gRPC call */
	r = http_req("POST", "db", "/bh.Echo/Say");
	r.app = "http2";
	assert_dec(dec(p, "10.0.1.1", "10.0.3.1", 9000, "tcp", "http2", &r, false), BH_NETPOL_DENY,
		   BH_NETPOL_RULE_DEFAULT);
	/* a gRPC rule never applies to plain HTTP/1 */
	assert_dec(dec(p, "10.0.1.1", "10.0.3.1", 80, "tcp", "http", NULL, false), BH_NETPOL_DENY,
		   BH_NETPOL_RULE_DEFAULT);
	bh_netpol_free(p);
	/* hostile and wrong method lists */
	assert_non_null(strstr(first_problem(HDR "  - {name: r, kind: network, verdict: allow, "
						 "grpcMethods: [bh.Echo/Say]}\n"),
			       "/package.Service/Method"));
	assert_non_null(strstr(first_problem(HDR "  - {name: r, kind: network, verdict: allow, "
						 "grpcMethods: [//Say]}\n"),
			       "one service"));
	assert_non_null(strstr(first_problem(HDR "  - {name: r, kind: network, verdict: allow, "
						 "grpcMethods: [/a/b/c]}\n"),
			       "one service"));
	assert_non_null(strstr(first_problem(HDR "  - {name: r, kind: network, verdict: allow, "
						 "grpcMethods: [\"/a b/c\"]}\n"),
			       "a service holds"));
	assert_non_null(strstr(first_problem(HDR "  - {name: r, kind: network, verdict: allow, "
						 "grpcMethods: [/a/b.c]}\n"),
			       "a method letters"));
	assert_non_null(strstr(first_problem(HDR "  - {name: r, kind: network, verdict: allow, "
						 "grpcMethods: [/a/b], sqlStatements: [select]}\n"),
			       "more than one protocol"));
	{
		char big[400], doc[600];

		memset(big, 'a', sizeof(big) - 1);
		big[0] = '/';
		big[sizeof(big) - 3] = '/';
		big[sizeof(big) - 1] = 0;
		snprintf(doc, sizeof(doc),
			 HDR "  - {name: r, kind: network, verdict: allow, grpcMethods: [%s]}\n",
			 big);
		assert_non_null(strstr(first_problem(doc), "1 to 256"));
	}
}

static void group_selectors(void **state)
{
	struct bh_netpol *p;
	json_t *l1 = json_pack("{s:s,s:s}", "app", "web", "tier", "front");
	json_t *l2 = json_pack("{s:s}", "app", "web");
	const uint8_t *x = a4(3, "10.5.0.1");

	(void)state;
	p = compile(HDR "  - {name: front, kind: networkGroup, labels: {app: web, tier: front}}\n"
			"  - {name: nginx, kind: networkGroup, images: [\"*/nginx:*\"]}\n"
			"  - {name: one, kind: networkGroup, containers: [3f2a9c]}\n"
			"  - {name: both, kind: networkGroup, labels: {app: web}, cidrs: "
			"[10.6.0.0/16]}\n");
	assert_int_equal(grp(p, x, l1, NULL, NULL), 0);
	assert_int_equal(grp(p, x, l2, NULL, NULL), -1); /* every label must match */
	assert_int_equal(grp(p, x, NULL, "docker.io/library/nginx:1.25", NULL), 1);
	assert_int_equal(grp(p, x, NULL, "docker.io/library/redis:7", NULL), -1);
	assert_int_equal(grp(p, x, NULL, NULL, "3f2a9c0011223344"), 2);
	assert_int_equal(grp(p, x, NULL, NULL, "3f2a9d"), -1);
	assert_int_equal(grp(p, a4(4, "10.6.1.1"), l2, NULL, NULL), 3); /* labels AND cidr */
	assert_int_equal(grp(p, a4(4, "10.6.1.1"), NULL, NULL, NULL), -1);
	/* first group in policy order */
	assert_int_equal(grp(p, a4(4, "10.6.1.1"), l1, NULL, NULL), 0);
	assert_string_equal(bh_netpol_group_name(p, 2), "one");
	bh_netpol_free(p);
	json_decref(l1);
	json_decref(l2);
}

static void hostile_policies(void **state)
{
	struct bh_policy_diags d = { 0 };
	struct bh_netpol *np;

	(void)state;
	assert_string_equal(first_problem(HDR "  - name: g\n    kind: networkGroup\n"
					      "    cidrs: [10.0.0.0/8, 10.1.2.3/8]\n"),
			    "7:25: rule \"g\": cidrs[1]: '10.1.2.3/8': bits set after the "
			    "prefix length");
	assert_non_null(strstr(first_problem(HDR "  - {name: g, kind: networkGroup, cidrs: "
						 "[\"300.1.1.1\"]}\n"),
			       "not an IPv4 or IPv6 address"));
	assert_non_null(strstr(first_problem(HDR "  - {name: g, kind: networkGroup, cidrs: "
						 "[\"::/129\"]}\n"),
			       "over 128"));
	assert_non_null(strstr(first_problem(HDR "  - {name: g, kind: networkGroup}\n"),
			       "selects nothing"));
	assert_non_null(strstr(first_problem(HDR "  - {name: g, kind: networkGroup, containers: "
						 "[\"xyz\"]}\n"),
			       "not a container ID prefix"));
	assert_non_null(strstr(first_problem(HDR "  - {name: g, kind: networkGroup, cidrs: "
						 "[10.0.0.0/8], mode: block}\n"),
			       "'block' is not one of: discover monitor protect"));
	assert_non_null(strstr(first_problem(HDR "  - {name: r, kind: network, verdict: allow, "
						 "ports: [70000]}\n"),
			       "70000 is not a port"));
	assert_non_null(strstr(first_problem(HDR "  - {name: r, kind: network, verdict: allow, "
						 "ports: [\"90-80\"]}\n"),
			       "first port is above its last"));
	assert_non_null(strstr(first_problem(HDR "  - {name: r, kind: network, verdict: allow, "
						 "ports: [true]}\n"),
			       "expected a port"));
	assert_non_null(strstr(first_problem(HDR "  - {name: r, kind: network, verdict: allow, "
						 "toNames: [\"a..b\"]}\n"),
			       "an empty label"));
	assert_non_null(strstr(first_problem(HDR "  - {name: r, kind: network, verdict: allow, "
						 "toNames: [\"*.*.b\"]}\n"),
			       "letters, digits"));
	assert_non_null(strstr(first_problem(HDR "  - {name: r, kind: network, verdict: allow, "
						 "httpMethods: [GET], dnsNames: [a.b]}\n"),
			       "more than one protocol"));
	assert_non_null(strstr(first_problem(HDR "  - {name: r, kind: network, verdict: allow, "
						 "httpPaths: [api]}\n"),
			       "does not start with '/'"));
	assert_non_null(strstr(first_problem(HDR "  - {name: r, kind: network}\n"),
			       "a network rule needs 'verdict'"));
	assert_non_null(strstr(first_problem(HDR "  - {name: r, kind: network, verdict: allow, "
						 "from: [nosuch]}\n"),
			       "from: no networkGroup named 'nosuch'"));
	assert_non_null(strstr(first_problem(HDR "  - {name: r, kind: network, verdict: allow, "
						 "apps: [gopher]}\n"),
			       "gopher"));
	assert_non_null(strstr(first_problem(HDR "  - {name: r, kind: network, verdict: allow, "
						 "fromCidrs: 10.0.0.0/8}\n"),
			       "expected a list"));
	/* a refinement in a second file changes a group's mode */
	np = compile2(HDR
		      "  - {name: g, kind: networkGroup, cidrs: [10.0.0.0/8], mode: discover}\n",
		      HDR "  - {name: g, kind: networkGroup, mode: protect}\n", &d);
	assert_non_null(np);
	assert_dec(dec(np, "10.0.0.1", "10.0.0.2", 80, "tcp", NULL, NULL, false), BH_NETPOL_DENY,
		   BH_NETPOL_RULE_DEFAULT);
	bh_netpol_free(np);
	bh_policy_diags_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decision_table),	cmocka_unit_test(l7_fields),
		cmocka_unit_test(grpc_app_and_methods), cmocka_unit_test(group_selectors),
		cmocka_unit_test(hostile_policies),
	};

	return cmocka_run_group_tests_name("netpolicy decisions", tests, NULL, NULL);
}
