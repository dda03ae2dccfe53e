/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network policy judges an HTTP path as the server reads it
 * (src/net/http_path.c, nginx's location matching): percent-decoded, dot
 * segments removed, slashes merged, the query and fragment cut; a path nginx
 * answers 400 to (%00, a bad %XX, ".." above the root) matches no allow rule
 * and is judged by deny rules on its best-effort form. HTTP/1 and HTTP/2
 * records and gRPC methods alike; through the engine, a request line with
 * extra spaces ("GET  /admin") is still denied.
 */
#include <arpa/inet.h>

#include "unit.h"
#include "net_pkt.h"
#include "netpol_unit.h"
#include "bulkhead/net.h"
#include "bulkhead/netpolicy.h"
#include "bulkhead/policy.h"
#include "net/dissect.h"
#include "net/http_path.h"
#include "net/net_int.h"
#include "banned.h"

#define HDR NETPOL_HDR

static void normalised_as_nginx_does(void **state)
{
	static const struct {
		const char *in, *out;
		bool ok;
	} t[] = {
		{ "/admin", "/admin", true },
		{ "/", "/", true },
		{ "//admin", "/admin", true },
		{ "/a//b///", "/a/b/", true },
		{ "/./admin", "/admin", true },
		{ "/a/.", "/a/", true },
		{ "/a/..", "/", true },
		{ "/a/b/../c", "/a/c", true },
		{ "/public/../admin", "/admin", true },
		{ "/public/a /../../admin", "/admin", false }, /* raw space: nginx 400 */
		{ "/a\x01"
		  "b",
		  "/a\x01"
		  "b",
		  false },
		{ "/a\x7f", "/a\x7f", false },
		{ "/a%01b",
		  "/a\x01"
		  "b",
		  true }, /* decoded: nginx serves it */
		{ "/%61dmin", "/admin", true },
		{ "/public%2F..%2Fadmin", "/admin", true },
		{ "/public/%2e%2E/admin", "/admin", true },
		{ "/a%20b", "/a b", true },
		{ "/ADMIN", "/ADMIN", true }, /* case kept */
		{ "/a/...", "/a/...", true },
		{ "/a/..b/", "/a/..b/", true },
		{ "/a?x=/../b", "/a", true },
		{ "/a#/../b", "/a", true },
		{ "/a%3Fb", "/a?b", true },
		{ "http://h/admin", "/admin", true },
		{ "HTTPS://h:8443//x/../admin", "/admin", true },
		{ "http://h", "/", true },
		/* what nginx refuses: a best-effort form */
		{ "/admin%00", "/admin%00", false },
		{ "/a%zz", "/a%zz", false },
		{ "/a%4", "/a%4", false },
		{ "/a%", "/a%", false },
		{ "/..", "/", false },
		{ "/a/../../admin", "/admin", false },
		{ "/a/%2e%2e/%2e%2e/admin", "/admin", false },
		{ "admin", "/admin", false },
		{ "*", "/*", false },
		{ "", "/", false },
	};
	char out[BH_NET_PATH_MAX + 1];
	static char big[BH_NET_PATH_MAX + 8];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool ok = bh_net_http_path_norm(t[i].in, strlen(t[i].in), out, &len);

		if (ok != t[i].ok || strcmp(out, t[i].out) || len != strlen(t[i].out))
			fail_msg("'%s': '%s' (%zu) %d, want '%s' %d", t[i].in, out, len, ok,
				 t[i].out, t[i].ok);
	}
	/* longer than the bound: cut there, not normalisable */
	memset(big, 'a', sizeof(big));
	big[0] = '/';
	assert_false(bh_net_http_path_norm(big, sizeof(big), out, &len));
	assert_int_equal(len, BH_NET_PATH_MAX);
	assert_int_equal(out[len], '\0');
	big[sizeof(big) - 1] = '%'; /* and percent signs past it: nothing read beyond */
	assert_false(bh_net_http_path_norm(big, sizeof(big), out, &len));
}

static uint8_t A[2][16];
static const uint8_t *a4(int slot, const char *s)
{
	memset(A[slot], 0, 16);
	A[slot][10] = A[slot][11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, s, A[slot] + 12), 1);
	return A[slot];
}

/* The decision on an HTTP request record from web (10.0.1.1) to api, the
 * flow decided first without it as the engine does. */
static struct bh_netpol_decision req(const struct bh_netpol *p, const char *app, const char *path)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_HTTP_REQUEST, .app = app };
	struct bh_netpol_query q = { 0 };
	struct bh_netpol_endpoint c = { 0 }, s = { 0 };
	struct bh_netpol_decision d;

	r.u.http.method = (struct bh_net_str){ "GET", 3 };
	r.u.http.host = (struct bh_net_str){ "api", 3 };
	r.u.http.path = (struct bh_net_str){ path, strlen(path) };
	c.addr = q.client_addr = a4(0, "10.0.1.1");
	s.addr = q.server_addr = a4(1, "10.0.2.1");
	q.client_group = bh_netpol_group_of(p, &c);
	q.server_group = bh_netpol_group_of(p, &s);
	q.server_port = 80;
	q.l4 = "tcp";
	q.app = !strcmp(app, "grpc") ? "http2" : app;
	/* the flow first, as the engine does: its allow carries to its records */
	bh_netpol_decide(p, &q, false, &d);
	q.rec = &r;
	bh_netpol_decide(p, &q, d.verdict == BH_NETPOL_ALLOW && d.rule, &d);
	return d;
}

#define GROUPS                                                                                     \
	HDR "  - {name: web, kind: networkGroup, cidrs: [10.0.1.0/24], mode: protect}\n"           \
	    "  - {name: api, kind: networkGroup, cidrs: [10.0.2.0/24], mode: protect}\n"

static void allow_rules_see_the_normal_path(void **state)
{
	struct bh_netpol *p =
		netpol_compile(GROUPS "  - {name: pub, kind: network, verdict: allow, "
				      "from: [web], to: [api], apps: [http, http2], "
				      "httpPaths: [/public/]}\n");
	static const char *const allowed[] = {
		"/public/a",	  "/public//a",	 "//public/a",
		"/x/../public/a", "/%70ublic/a", "/public/a?b=../.."
	};
	static const char *const denied[] = {
		"/public/../admin",
		"/public/a /../../admin",
		"/public%2F..%2Fadmin",
		"/public/%2e%2e/admin",
		"/public/a%00",
		"/public/%zz",
		"/public/../../public/a",
		"/admin",
		"/PUBLIC/a",
		"public/a",
		"/public/\x01x",
		"/public/a b",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		struct bh_netpol_decision d = req(p, i % 2 ? "http2" : "http", allowed[i]);

		if (d.verdict != BH_NETPOL_ALLOW || !d.rule || strcmp(d.rule, "pub"))
			fail_msg("'%s': %d %s, want allowed by pub", allowed[i], d.verdict,
				 d.rule ? d.rule : "-");
	}
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		struct bh_netpol_decision d = req(p, i % 2 ? "http2" : "http", denied[i]);

		if (d.verdict != BH_NETPOL_DENY || !d.rule ||
		    strcmp(d.rule, BH_NETPOL_RULE_DEFAULT))
			fail_msg("'%s': %d %s, want the default deny", denied[i], d.verdict,
				 d.rule ? d.rule : "-");
	}
	bh_netpol_free(p);
}

static void deny_rules_see_the_normal_path(void **state)
{
	struct bh_netpol *p = netpol_compile(
		GROUPS "  - {name: all, kind: network, verdict: allow, from: [web], to: [api], "
		       "apps: [http, http2]}\n"
		       "  - {name: no-admin, kind: network, verdict: deny, to: [api], httpPaths: "
		       "[/admin]}\n");
	static const char *const denied[] = {
		"/admin",      "//admin",	   "/./admin",	    "/%61dmin",
		"/x/../admin", "/x/%2e%2e/admin",  "/admin%00",	    "/admin/%zz",
		"/../admin",   "http://api/admin", "/x/..%2Fadmin",
	};
	static const char *const allowed[] = { "/x", "/ADMIN", "/x/admin", "/x?/admin" };

	(void)state;
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		struct bh_netpol_decision d = req(p, i % 2 ? "http2" : "http", denied[i]);

		if (d.verdict != BH_NETPOL_DENY || !d.rule || strcmp(d.rule, "no-admin"))
			fail_msg("'%s': %d %s, want denied by no-admin", denied[i], d.verdict,
				 d.rule ? d.rule : "-");
	}
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		struct bh_netpol_decision d = req(p, i % 2 ? "http2" : "http", allowed[i]);

		/* allowed: the flow's rule (all) stands, the record adds none */
		if (d.verdict != BH_NETPOL_ALLOW || d.rule)
			fail_msg("'%s': %d %s, want allowed as the flow is", allowed[i], d.verdict,
				 d.rule ? d.rule : "-");
	}
	bh_netpol_free(p);
}

static void grpc_methods_see_the_normal_path(void **state)
{
	struct bh_netpol *p = netpol_compile(
		GROUPS "  - {name: calls, kind: network, verdict: allow, from: [web], to: [api], "
		       "grpcMethods: [/bh.Echo/Say, /bh.Pub/]}\n"
		       "  - {name: no-drop, kind: network, verdict: deny, from: [web], to: [api], "
		       "grpcMethods: [/bh.Admin/Drop]}\n");
	struct bh_netpol_decision d;

	(void)state;
	d = req(p, "grpc", "/bh.Echo/Say");
	assert_int_equal(d.verdict, BH_NETPOL_ALLOW);
	d = req(p, "grpc", "/bh.Pub/../bh.Admin/Other"); /* not under /bh.Pub/ */
	assert_int_equal(d.verdict, BH_NETPOL_DENY);
	assert_string_equal(d.rule, BH_NETPOL_RULE_DEFAULT);
	d = req(p, "grpc", "/bh.Echo/Say%00");
	assert_int_equal(d.verdict, BH_NETPOL_DENY);
	d = req(p, "grpc", "//bh.Admin/Drop");
	assert_int_equal(d.verdict, BH_NETPOL_DENY);
	assert_string_equal(d.rule, "no-drop");
	d = req(p, "grpc", "/bh.Admin/%44rop");
	assert_string_equal(d.rule, "no-drop");
	bh_netpol_free(p);
}

/* Through the engine: the request line with extra spaces is the path the
 * server serves ("GET  /admin" is /admin to nginx 1.22), so the deny rule
 * still drops it. */
static uint8_t P[2048];
static void pkt(struct bh_net_engine *e, const char *src, uint16_t sp, const char *dst, uint16_t dp,
		uint32_t seq, uint8_t flags, const char *data, enum bh_net_verdict *v)
{
	size_t tot = tpkt_tcp4(P, src, sp, dst, dp, seq, flags, data, data ? strlen(data) : 0);

	bh_net_engine_packet(e, P, tot, BH_NET_LINK_RAW, 100.0, v);
}

static void extra_spaces_in_the_request_line_still_denied(void **state)
{
	static const struct {
		const char *req;
		enum bh_net_verdict v;
	} t[] = {
		{ "GET /x HTTP/1.1\r\nHost: x\r\n\r\n", BH_NET_ACCEPT },
		{ "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n", BH_NET_DROP },
		{ "GET  /admin HTTP/1.1\r\nHost: x\r\n\r\n", BH_NET_DROP },
		{ "GET /admin  HTTP/1.1\r\nHost: x\r\n\r\n", BH_NET_DROP },
		{ "GET //admin HTTP/1.1\r\nHost: x\r\n\r\n", BH_NET_DROP },
	};
	struct bh_netpol *p = netpol_compile(
		GROUPS "  - {name: all, kind: network, verdict: allow, from: [web], to: [api], "
		       "apps: [http]}\n"
		       "  - {name: no-admin, kind: network, verdict: deny, to: [api], httpPaths: "
		       "[/admin]}\n");

	(void)state;
	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		struct bh_net_opts o = { .policy = p };
		struct bh_net_engine *e = NULL;
		enum bh_net_verdict v = BH_NET_ACCEPT;

		assert_int_equal(bh_net_engine_new(&o, &e, NULL), 0);
		pkt(e, "10.0.1.1", 4000, "10.0.2.1", 80, 99, NET_TCP_SYN, NULL, &v);
		pkt(e, "10.0.2.1", 80, "10.0.1.1", 4000, 499, NET_TCP_SYN | NET_TCP_ACK, NULL, &v);
		pkt(e, "10.0.1.1", 4000, "10.0.2.1", 80, 100, NET_TCP_ACK, t[k].req, &v);
		if (v != t[k].v)
			fail_msg("case %zu: verdict %d, want %d", k, v, t[k].v);
		bh_net_engine_free(e);
	}
	bh_netpol_free(p);
}

/* A rule path not in the normal form could never match: refused at its
 * line, naming what is wrong. */
static void rule_paths_in_normal_form_only(void **state)
{
	static const char *const bad[] = { "/a//b", "/%61dmin", "/a/../b", "/a/./b", "/a?x=1",
					   "/a#b",  "/a%zz",	"/a/.",	   "//" };
	static const char *const good[] = { "/", "/api/", "/admin", "/a b", "/a/..b" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char y[512];
		struct bh_policy *p = bh_policy_new();
		struct bh_policy_diags d = { 0 };
		struct bh_error *err = NULL;

		snprintf(y, sizeof(y),
			 GROUPS "  - {name: r, kind: network, verdict: deny, to: [api], "
				"httpPaths: [\"%s\"]}\n",
			 bad[i]);
		if (bh_policy_add(p, y, strlen(y), "n.yaml", NULL, &d, &err) == 0)
			(void)bh_policy_compile(p, &d, &err);
		if (d.n == 0 || !strstr(d.v[0].message, "as the server reads it"))
			fail_msg("'%s': %s", bad[i], d.n ? d.v[0].message : "accepted");
		assert_int_equal(d.v[0].line, 7);
		bh_error_free(err);
		bh_policy_diags_release(&d);
		bh_policy_free(p);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *why = "";

		if (bh_netpol_check_http_path(good[i], &why) < 0)
			fail_msg("'%s': %s", good[i], why);
	}
}

/* Discover learns the normal form: what the decision will judge. */
static void on_flow(const struct bh_net_flow_record *r, void *arg)
{
	bh_netpol_learn_flow(arg, r);
}

static void on_record(const struct bh_net_flow_record *f, const struct bh_net_rec *rec, void *arg)
{
	bh_netpol_learn_record(arg, f, rec);
}

static void discover_learns_the_normal_path(void **state)
{
	static const char *const reqs[] = {
		"GET //api/./v1/x HTTP/1.1\r\nHost: api\r\n\r\n",
		"GET /%61pi/y HTTP/1.1\r\nHost: api\r\n\r\n",
		"GET /health/../status HTTP/1.1\r\nHost: api\r\n\r\n",
		"GET /x/../../etc/passwd HTTP/1.1\r\nHost: api\r\n\r\n", /* nginx: 400 */
		"GET /etc%00 HTTP/1.1\r\nHost: api\r\n\r\n",		 /* nginx: 400 */
	};
	struct bh_netpol *p = netpol_compile(
		HDR "  - {name: web, kind: networkGroup, cidrs: [10.0.1.0/24], mode: discover}\n"
		    "  - {name: api, kind: networkGroup, cidrs: [10.0.2.0/24], mode: discover}\n");
	struct bh_netpol_learn *l = bh_netpol_learn_new();
	struct bh_net_opts o = {
		.on_flow = on_flow, .on_record = on_record, .arg = l, .policy = p
	};
	struct bh_net_engine *e = NULL;
	struct bh_buf y = BH_BUF_INIT(1 << 20);

	(void)state;
	assert_int_equal(bh_net_engine_new(&o, &e, NULL), 0);
	for (uint16_t k = 0; k < sizeof(reqs) / sizeof(reqs[0]); k++) {
		pkt(e, "10.0.1.1", 4000 + k, "10.0.2.1", 80, 99, NET_TCP_SYN, NULL, NULL);
		pkt(e, "10.0.2.1", 80, "10.0.1.1", 4000 + k, 499, NET_TCP_SYN | NET_TCP_ACK, NULL,
		    NULL);
		pkt(e, "10.0.1.1", 4000 + k, "10.0.2.1", 80, 100, NET_TCP_ACK, reqs[k], NULL);
	}
	bh_net_engine_flush(e);
	bh_net_engine_free(e);
	assert_int_equal(bh_netpol_learn_write(l, &y, NULL), 1);
	if (!strstr(y.data, "httpPaths: [\"/api/\", \"/status\"]"))
		fail_msg("learned:\n%s", y.data);
	assert_null(strstr(y.data, "etc"));
	bh_buf_release(&y);
	bh_netpol_learn_free(l);
	bh_netpol_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(normalised_as_nginx_does),
		cmocka_unit_test(allow_rules_see_the_normal_path),
		cmocka_unit_test(deny_rules_see_the_normal_path),
		cmocka_unit_test(grpc_methods_see_the_normal_path),
		cmocka_unit_test(extra_spaces_in_the_request_line_still_denied),
		cmocka_unit_test(discover_learns_the_normal_path),
		cmocka_unit_test(rule_paths_in_normal_form_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
