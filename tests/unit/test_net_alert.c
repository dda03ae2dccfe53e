/* SPDX-License-Identifier: Apache-2.0 */
/*
 * issue 16: alerts when they happen (bh_net_opts.on_alert), not when the flow
 * ends. The callback is called during the very packet that raised the alert
 * (an SQL injection in the second request of a kept-alive HTTP connection, a
 * card number in a response, the policy's deny on the SYN), with that flow's
 * record so far (ends, app, host, threats, rule, verdict); once per (flow,
 * threat ID), once per (flow, dlp type) and once per flow for the policy's
 * verdict, however many times the flow repeats it; a leak is told as a dlp
 * alert, not again as its BH-NET-DLP-* threat; nothing is told again when the
 * flow ends, and its record still lists everything.
 */
#include <arpa/inet.h>

#include "unit.h"
#include "net_pkt.h"
#include "netpol_unit.h"
#include "bulkhead/net.h"
#include "bulkhead/netpolicy.h"
#include "bulkhead/policy.h"
#include "net/net_int.h"
#include "banned.h"

#define MAXA 16

struct seen {
	unsigned pkt; /* the packet being fed (1-based) */
	size_t n;
	struct {
		unsigned pkt;
		enum bh_net_alert_kind kind;
		char id[40], dlp[40], verdict[16], rule[40];
		char src[64], dst[64], app[16], host[64];
		size_t n_threats;
		size_t flows; /* records told before it */
		enum bh_net_flow_end end;
		double ts;
	} a[MAXA];
	size_t flows;
	char flow_threats[160];
	size_t flow_dlp;
};

static void on_alert(const struct bh_net_flow_record *r, const struct bh_net_alert *a, void *arg)
{
	struct seen *s = arg;
	json_t *j = bh_net_alert_to_json(r, a);
	json_t *f = json_object_get(j, "flow");

	assert_non_null(f);
	assert_string_equal(bh_json_str(j, "type"), "alert");
	assert_string_equal(bh_json_str(j, "kind"), bh_net_alert_kind_name(a->kind));
	/* the line names what the alert is; its flow is the record so far */
	if (a->id)
		assert_string_equal(bh_json_str(j, "id"), a->id);
	else
		assert_null(json_object_get(j, "id"));
	assert_string_equal(bh_json_str(f, "app"), r->app);
	if (s->n < MAXA) {
		s->a[s->n].pkt = s->pkt;
		s->a[s->n].kind = a->kind;
		snprintf(s->a[s->n].id, sizeof(s->a[0].id), "%s", a->id ? a->id : "-");
		snprintf(s->a[s->n].dlp, sizeof(s->a[0].dlp), "%s", a->dlp ? a->dlp->type : "-");
		snprintf(s->a[s->n].verdict, sizeof(s->a[0].verdict), "%s",
			 a->verdict ? a->verdict : "-");
		snprintf(s->a[s->n].rule, sizeof(s->a[0].rule), "%s", a->rule ? a->rule : "-");
		snprintf(s->a[s->n].src, sizeof(s->a[0].src), "%s", bh_json_str(f, "src"));
		snprintf(s->a[s->n].dst, sizeof(s->a[0].dst), "%s", bh_json_str(f, "dst"));
		snprintf(s->a[s->n].app, sizeof(s->a[0].app), "%s", r->app);
		snprintf(s->a[s->n].host, sizeof(s->a[0].host), "%s", r->host ? r->host : "-");
		s->a[s->n].n_threats = r->n_threats;
		s->a[s->n].flows = s->flows;
		s->a[s->n].end = r->end;
		s->a[s->n].ts = a->ts;
	}
	s->n++;
	json_decref(j);
}

static void on_flow(const struct bh_net_flow_record *r, void *arg)
{
	struct seen *s = arg;
	size_t k = 0;

	s->flows++;
	s->flow_threats[0] = '\0';
	for (size_t i = 0; i < r->n_threats; i++)
		k += (size_t)snprintf(s->flow_threats + k, sizeof(s->flow_threats) - k, "%s%s x%u",
				      i ? "," : "", r->threats[i].id, r->threats[i].count);
	s->flow_dlp = r->n_dlp;
}

static uint8_t P[4096];

static void tcp(struct bh_net_engine *e, struct seen *s, const char *src, uint16_t sp,
		const char *dst, uint16_t dp, uint32_t seq, uint8_t flags, const char *data,
		enum bh_net_verdict *v)
{
	size_t n = data ? strlen(data) : 0;
	size_t tot = tpkt_tcp4(P, src, sp, dst, dp, seq, flags, data, n);

	s->pkt++;
	bh_net_engine_packet(e, P, tot, BH_NET_LINK_RAW, 100.0 + s->pkt, v);
}

static struct bh_net_engine *eng(struct seen *s, const struct bh_netpol *p)
{
	struct bh_net_opts o = { .on_flow = on_flow, .on_alert = on_alert, .arg = s, .policy = p };
	struct bh_net_engine *e = NULL;

	assert_int_equal(bh_net_engine_new(&o, &e, NULL), 0);
	return e;
}

#define C    "10.0.1.1"
#define S    "10.0.2.1"
#define SQLI "GET /item?id=1%27%20OR%20%271%27%3D%271 HTTP/1.1\r\nHost: shop\r\n\r\n"

static void an_injection_is_told_on_its_packet_once(void **state)
{
	struct seen s = { 0 };
	struct bh_net_engine *e = eng(&s, NULL);
	uint32_t c = 100, sv = 500;
	const char *ok = "GET /a HTTP/1.1\r\nHost: shop\r\n\r\n";
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";

	(void)state;
	tcp(e, &s, C, 4000, S, 80, c - 1, NET_TCP_SYN, NULL, NULL);
	tcp(e, &s, S, 80, C, 4000, sv - 1, NET_TCP_SYN | NET_TCP_ACK, NULL, NULL);
	tcp(e, &s, C, 4000, S, 80, c, NET_TCP_ACK, NULL, NULL);
	/* a benign request and its answer on the kept-alive connection: nothing */
	tcp(e, &s, C, 4000, S, 80, c, NET_TCP_ACK, ok, NULL);
	c += (uint32_t)strlen(ok);
	tcp(e, &s, S, 80, C, 4000, sv, NET_TCP_ACK, resp, NULL);
	sv += (uint32_t)strlen(resp);
	assert_int_equal(s.n, 0);
	/* the injection: told during packet 6, the flow still open */
	tcp(e, &s, C, 4000, S, 80, c, NET_TCP_ACK, SQLI, NULL);
	c += (uint32_t)strlen(SQLI);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].pkt, 6);
	assert_int_equal(s.a[0].kind, BH_NET_ALERT_THREAT);
	assert_string_equal(s.a[0].id, "BH-NET-SQLI");
	assert_string_equal(s.a[0].src, C ":4000");
	assert_string_equal(s.a[0].dst, S ":80");
	assert_string_equal(s.a[0].app, "http");
	assert_string_equal(s.a[0].host, "shop");
	assert_int_equal(s.a[0].n_threats, 1);
	assert_true(s.a[0].ts == 106.0);
	assert_int_equal(s.flows, 0);
	/* the same injection again, many times: no second alert */
	for (int i = 0; i < 20; i++) {
		tcp(e, &s, S, 80, C, 4000, sv, NET_TCP_ACK, resp, NULL);
		sv += (uint32_t)strlen(resp);
		tcp(e, &s, C, 4000, S, 80, c, NET_TCP_ACK, SQLI, NULL);
		c += (uint32_t)strlen(SQLI);
	}
	assert_int_equal(s.n, 1);
	/* its end tells nothing more; the record has every report */
	bh_net_engine_flush(e);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.flows, 1);
	assert_string_equal(s.flow_threats, "BH-NET-SQLI x21");
	/* another flow with the same injection is told on its own */
	tcp(e, &s, C, 4001, S, 80, 9, NET_TCP_SYN, NULL, NULL);
	tcp(e, &s, S, 80, C, 4001, 9, NET_TCP_SYN | NET_TCP_ACK, NULL, NULL);
	tcp(e, &s, C, 4001, S, 80, 10, NET_TCP_ACK, SQLI, NULL);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.a[1].src, C ":4001");
	bh_net_engine_free(e);
}

static void a_leak_is_told_once_per_type(void **state)
{
	struct seen s = { 0 };
	struct bh_net_engine *e = eng(&s, NULL);
	uint32_t c = 100, sv = 500;
	const char *req = "GET /a HTTP/1.1\r\nHost: bank\r\n\r\n";
	const char *hdr = "HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n";
	const char *visa = "card 4111 1111 1111 1111 ...................................\n";
	const char *visa2 = "card 4012 8888 8888 1881 ...................................\n";
	const char *ssn = "the ssn 536-22-8726 ...................................\n";

	(void)state;
	tcp(e, &s, C, 4000, S, 80, c - 1, NET_TCP_SYN, NULL, NULL);
	tcp(e, &s, S, 80, C, 4000, sv - 1, NET_TCP_SYN | NET_TCP_ACK, NULL, NULL);
	tcp(e, &s, C, 4000, S, 80, c, NET_TCP_ACK, req, NULL);
	c += (uint32_t)strlen(req);
	tcp(e, &s, S, 80, C, 4000, sv, NET_TCP_ACK, hdr, NULL);
	sv += (uint32_t)strlen(hdr);
	assert_int_equal(s.n, 0);
	tcp(e, &s, S, 80, C, 4000, sv, NET_TCP_ACK, visa, NULL); /* packet 5 */
	sv += (uint32_t)strlen(visa);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].pkt, 5);
	assert_int_equal(s.a[0].kind, BH_NET_ALERT_DLP);
	assert_string_equal(s.a[0].id, "BH-NET-DLP-CARD");
	assert_string_equal(s.a[0].dlp, "card-visa");
	assert_string_equal(s.a[0].host, "bank");
	/* another visa number: the same type, not told (nor its threat) */
	tcp(e, &s, S, 80, C, 4000, sv, NET_TCP_ACK, visa2, NULL);
	sv += (uint32_t)strlen(visa2);
	assert_int_equal(s.n, 1);
	/* an SSN: a new type, told on its packet (7) */
	tcp(e, &s, S, 80, C, 4000, sv, NET_TCP_ACK, ssn, NULL);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.a[1].pkt, 7);
	assert_string_equal(s.a[1].id, "BH-NET-DLP-SSN");
	assert_string_equal(s.a[1].dlp, "ssn");
	bh_net_engine_flush(e);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.flow_dlp, 3);
	assert_string_equal(s.flow_threats, "BH-NET-DLP-CARD x2,BH-NET-DLP-SSN x1");
	bh_net_engine_free(e);
}

#define HDR NETPOL_HDR
static const char deny_y[] =
	HDR "  - {name: web, kind: networkGroup, cidrs: [10.0.1.0/24], mode: protect}\n"
	    "  - {name: api, kind: networkGroup, cidrs: [10.0.2.0/24], mode: protect}\n"
	    "  - {name: cut-api, kind: network, verdict: deny, from: [web], to: [api]}\n";

static void a_deny_is_told_on_the_syn_once_per_flow(void **state)
{
	struct bh_netpol *p = netpol_compile(deny_y);
	struct seen s = { 0 };
	struct bh_net_engine *e = eng(&s, p);
	enum bh_net_verdict v = BH_NET_ACCEPT;

	(void)state;
	tcp(e, &s, C, 4000, S, 80, 99, NET_TCP_SYN, NULL, &v);
	assert_int_equal(v, BH_NET_DROP);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].pkt, 1);
	assert_int_equal(s.a[0].kind, BH_NET_ALERT_POLICY);
	assert_string_equal(s.a[0].verdict, "deny");
	assert_string_equal(s.a[0].rule, "cut-api");
	assert_string_equal(s.a[0].id, "-");
	/* the retransmitted SYNs, dropped too: no second alert */
	for (int i = 0; i < 5; i++)
		tcp(e, &s, C, 4000, S, 80, 99, NET_TCP_SYN, NULL, &v);
	assert_int_equal(v, BH_NET_DROP);
	assert_int_equal(s.n, 1);
	bh_net_engine_flush(e);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.flows, 1);
	bh_net_engine_free(e);
	bh_netpol_free(p);
}

/* without on_alert the engine runs as before: the record alone */
static void no_callback_no_alerts(void **state)
{
	struct seen s = { 0 };
	struct bh_net_opts o = { .on_flow = on_flow, .arg = &s };
	struct bh_net_engine *e = NULL;

	(void)state;
	assert_int_equal(bh_net_engine_new(&o, &e, NULL), 0);
	tcp(e, &s, C, 4000, S, 80, 99, NET_TCP_SYN, NULL, NULL);
	tcp(e, &s, S, 80, C, 4000, 499, NET_TCP_SYN | NET_TCP_ACK, NULL, NULL);
	tcp(e, &s, C, 4000, S, 80, 100, NET_TCP_ACK, SQLI, NULL);
	bh_net_engine_flush(e);
	assert_int_equal(s.n, 0);
	assert_string_equal(s.flow_threats, "BH-NET-SQLI x1");
	bh_net_engine_free(e);
}

/* 16 matches of one type fill the record's kept matches; a new type after
 * them (an SSN) raises its BH-NET-DLP-SSN threat, told as that threat since
 * no match of its type is kept to tell it by. */
static void a_leak_type_past_the_kept_matches_is_told(void **state)
{
	struct seen s = { 0 };
	struct bh_net_engine *e = eng(&s, NULL);
	uint32_t c = 100, sv = 500;
	const char *req = "GET /a HTTP/1.1\r\nHost: bank\r\n\r\n";
	const char *hdr = "HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n";
	const char *visa = "card 4111 1111 1111 1111 ...................................\n";
	const char *ssn = "the ssn 536-22-8726 ...................................\n";

	(void)state;
	tcp(e, &s, C, 4000, S, 80, c - 1, NET_TCP_SYN, NULL, NULL);
	tcp(e, &s, S, 80, C, 4000, sv - 1, NET_TCP_SYN | NET_TCP_ACK, NULL, NULL);
	tcp(e, &s, C, 4000, S, 80, c, NET_TCP_ACK, req, NULL);
	tcp(e, &s, S, 80, C, 4000, sv, NET_TCP_ACK, hdr, NULL);
	sv += (uint32_t)strlen(hdr);
	for (int i = 0; i < BH_NET_FLOW_DLP_MAX; i++) {
		tcp(e, &s, S, 80, C, 4000, sv, NET_TCP_ACK, visa, NULL);
		sv += (uint32_t)strlen(visa);
	}
	assert_int_equal(s.n, 1);
	assert_string_equal(s.a[0].dlp, "card-visa");
	tcp(e, &s, S, 80, C, 4000, sv, NET_TCP_ACK, ssn, NULL); /* packet 21 */
	sv += (uint32_t)strlen(ssn);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.a[1].pkt, 21);
	assert_int_equal(s.a[1].kind, BH_NET_ALERT_THREAT);
	assert_string_equal(s.a[1].id, "BH-NET-DLP-SSN");
	assert_string_equal(s.a[1].dlp, "-");
	/* another SSN, another card: nothing new */
	tcp(e, &s, S, 80, C, 4000, sv, NET_TCP_ACK, ssn, NULL);
	sv += (uint32_t)strlen(ssn);
	tcp(e, &s, S, 80, C, 4000, sv, NET_TCP_ACK, visa, NULL);
	bh_net_engine_flush(e);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.flow_dlp, BH_NET_FLOW_DLP_MAX);
	assert_string_equal(s.flow_threats, "BH-NET-DLP-CARD x17,BH-NET-DLP-SSN x2");
	bh_net_engine_free(e);
}

/* A card number at the very end of an unknown flow is only judged as it
 * ends: told then, before its record, with the record's end set; the
 * packets' alerts before it have no end (0) and come before any record. */
static void an_alert_raised_as_the_flow_ends_comes_before_its_record(void **state)
{
	struct seen s = { 0 };
	struct bh_net_engine *e = eng(&s, NULL);

	(void)state;
	tcp(e, &s, C, 4000, S, 9999, 99, NET_TCP_SYN, NULL, NULL);
	tcp(e, &s, S, 9999, C, 4000, 499, NET_TCP_SYN | NET_TCP_ACK, NULL, NULL);
	tcp(e, &s, C, 4000, S, 9999, 100, NET_TCP_ACK, "zzzz 4111 1111 1111 1111", NULL);
	assert_int_equal(s.n, 0); /* the number may go on: not judged yet */
	bh_net_engine_flush(e);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].kind, BH_NET_ALERT_DLP);
	assert_string_equal(s.a[0].id, "BH-NET-DLP-CARD");
	assert_string_equal(s.a[0].dlp, "card-visa");
	assert_int_equal(s.a[0].flows, 0); /* before its record */
	assert_int_equal(s.a[0].end, BH_NET_END_FLUSH);
	assert_int_equal(s.flows, 1);
	assert_string_equal(s.flow_threats, "BH-NET-DLP-CARD x1");
	bh_net_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(an_injection_is_told_on_its_packet_once),
		cmocka_unit_test(a_leak_is_told_once_per_type),
		cmocka_unit_test(a_deny_is_told_on_the_syn_once_per_flow),
		cmocka_unit_test(no_callback_no_alerts),
		cmocka_unit_test(a_leak_type_past_the_kept_matches_is_told),
		cmocka_unit_test(an_alert_raised_as_the_flow_ends_comes_before_its_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
