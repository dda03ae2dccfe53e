/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network policy through the engine's hooks: a denied flow's packets
 * dropped from the deciding one, alerts and group labels, FTP data following
 * its control connection, DNS answers followed to addresses (bounded),
 * discover's learned rules allowing exactly what was seen (gRPC methods
 * too), flows that cannot be parsed.
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

/* ---- through the engine -------------------------------------------------------- */

static uint8_t P[4096];
static double NOW = 1.0; /* the time of the packets tcp() makes */

static size_t ip4(uint8_t *p, const char *src, const char *dst, uint8_t proto, size_t l4len)
{
	size_t tot = 20 + l4len;

	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[8] = 64;
	p[9] = proto;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	return tot;
}

static enum bh_net_verdict tcp(struct bh_net_engine *e, const char *src, uint16_t sp,
			       const char *dst, uint16_t dp, uint32_t seq, uint8_t flags,
			       const char *data)
{
	size_t tot = tpkt_tcp4(P, src, sp, dst, dp, seq, flags, data, data ? strlen(data) : 0);
	enum bh_net_verdict v;

	bh_net_engine_packet(e, P, tot, BH_NET_LINK_RAW, NOW, &v);
	return v;
}

static enum bh_net_verdict udp(struct bh_net_engine *e, const char *src, uint16_t sp,
			       const char *dst, uint16_t dp, const uint8_t *data, size_t n)
{
	uint8_t *u = P + 20;
	enum bh_net_verdict v;

	u[0] = (uint8_t)(sp >> 8);
	u[1] = (uint8_t)sp;
	u[2] = (uint8_t)(dp >> 8);
	u[3] = (uint8_t)dp;
	u[4] = (uint8_t)((8 + n) >> 8);
	u[5] = (uint8_t)(8 + n);
	u[6] = u[7] = 0;
	memcpy(u + 8, data, n);
	ip4(P, src, dst, 17, 8 + n);
	bh_net_engine_packet(e, P, 28 + n, BH_NET_LINK_RAW, 1.0, &v);
	return v;
}

/* One HTTP request on a new connection; the verdict of the request's packet. */
static enum bh_net_verdict http(struct bh_net_engine *e, const char *c, uint16_t cport,
				const char *s, const char *req)
{
	assert_int_equal(tcp(e, c, cport, s, 80, 99, NET_TCP_SYN, NULL), BH_NET_ACCEPT);
	tcp(e, s, 80, c, cport, 499, NET_TCP_SYN | NET_TCP_ACK, NULL);
	tcp(e, c, cport, s, 80, 100, NET_TCP_ACK, NULL);
	return tcp(e, c, cport, s, 80, 100, NET_TCP_ACK, req);
}

/* A DNS query or response for name with one A answer. */
static size_t dns_msg(uint8_t *m, bool response, const char *name, const char *addr)
{
	size_t o = 12;
	const char *p = name;

	memset(m, 0, 12);
	m[0] = 0x12;
	m[1] = 0x34;
	m[2] = response ? 0x81 : 0x01;
	m[3] = response ? 0x80 : 0x00;
	m[5] = 1;
	m[7] = response ? 1 : 0;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		m[o++] = (uint8_t)l;
		memcpy(m + o, p, l);
		o += l;
		p += l + (dot ? 1 : 0);
	}
	m[o++] = 0;
	m[o++] = 0, m[o++] = 1, m[o++] = 0, m[o++] = 1;
	if (response) {
		static const uint8_t rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4 };

		memcpy(m + o, rr, sizeof(rr));
		o += sizeof(rr);
		inet_pton(AF_INET, addr, m + o);
		o += 4;
	}
	return o;
}

struct seen {
	char line[16][160];
	size_t n;
	struct bh_netpol_learn *learn;
};

static void on_flow(const struct bh_net_flow_record *r, void *arg)
{
	struct seen *s = arg;

	if (s->learn)
		bh_netpol_learn_flow(s->learn, r);
	if (s->n < 16)
		snprintf(s->line[s->n++], sizeof(s->line[0]), "%s:%u %s %s %s %s", r->app,
			 r->server_port, r->verdict ? r->verdict : "-", r->rule ? r->rule : "-",
			 r->client_group ? r->client_group : "-",
			 r->server_group ? r->server_group : "-");
}

static void on_record(const struct bh_net_flow_record *f, const struct bh_net_rec *rec, void *arg)
{
	struct seen *s = arg;

	if (s->learn)
		bh_netpol_learn_record(s->learn, f, rec);
}

static struct bh_net_engine *eng(const struct bh_netpol *p, struct seen *s)
{
	struct bh_net_opts o = { .on_flow = on_flow, .on_record = on_record, .arg = s };
	struct bh_net_engine *e = NULL;

	o.policy = p;
	assert_int_equal(bh_net_engine_new(&o, &e, NULL), 0);
	return e;
}

static const char tiers[] =
	HDR "  - {name: web, kind: networkGroup, cidrs: [10.0.1.0/24], mode: MODE}\n"
	    "  - {name: api, kind: networkGroup, cidrs: [10.0.2.0/24], mode: MODE}\n";

static struct bh_netpol *tiers_in(const char *mode, const char *more)
{
	char y[4096], *at;
	struct bh_buf b = BH_BUF_INIT(8192);
	const char *s = tiers;

	while ((at = strstr(s, "MODE"))) {
		bh_buf_add(&b, s, (size_t)(at - s), NULL);
		bh_buf_addf(&b, NULL, "%s", mode);
		s = at + 4;
	}
	bh_buf_addf(&b, NULL, "%s%s", s, more ? more : "");
	snprintf(y, sizeof(y), "%s", b.data);
	bh_buf_release(&b);
	return compile(y);
}

static void engine_drops_denied_flows(void **state)
{
	struct bh_netpol *p =
		tiers_in("protect", "  - {name: get, kind: network, verdict: allow, from: [web], "
				    "to: [api], httpMethods: [GET]}\n"
				    "  - {name: docs, kind: network, verdict: allow, from: [web], "
				    "toNames: [docs.example.com], ports: [80]}\n"
				    "  - {name: dns, kind: network, verdict: allow, from: [web], "
				    "ports: [53], protocol: udp}\n");
	struct seen s = { 0 };
	struct bh_net_engine *e = eng(p, &s);
	uint8_t m[512];
	size_t n;

	(void)state;
	/* GET allowed, POST dropped from its own packet on */
	assert_int_equal(http(e, "10.0.1.1", 4000, "10.0.2.1", "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
			 BH_NET_ACCEPT);
	assert_int_equal(http(e, "10.0.1.1", 4001, "10.0.2.1",
			      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"),
			 BH_NET_DROP);
	assert_int_equal(tcp(e, "10.0.2.1", 80, "10.0.1.1", 4001, 500, NET_TCP_ACK, NULL),
			 BH_NET_DROP);
	/* any port may carry HTTP: the SYN passes, the first bytes of another app do not */
	assert_int_equal(tcp(e, "10.0.1.1", 4002, "10.0.2.1", 22, 1, NET_TCP_SYN, NULL),
			 BH_NET_ACCEPT);
	assert_int_equal(tcp(e, "10.0.1.1", 4002, "10.0.2.1", 22, 2, NET_TCP_ACK,
			     "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"),
			 BH_NET_DROP);
	/* a DNS answer makes docs.example.com's address an allowed peer */
	assert_int_equal(tcp(e, "10.0.1.1", 4003, "203.0.113.9", 80, 1, NET_TCP_SYN, NULL),
			 BH_NET_DROP);
	n = dns_msg(m, false, "docs.example.com", NULL);
	assert_int_equal(udp(e, "10.0.1.1", 5353, "10.0.2.53", 53, m, n), BH_NET_ACCEPT);
	n = dns_msg(m, true, "docs.example.com", "203.0.113.9");
	udp(e, "10.0.2.53", 53, "10.0.1.1", 5353, m, n);
	assert_int_equal(tcp(e, "10.0.1.1", 4004, "203.0.113.9", 80, 1, NET_TCP_SYN, NULL),
			 BH_NET_ACCEPT);
	bh_net_engine_flush(e);
	bh_net_engine_free(e);
	assert_int_equal(s.n, 6);
	assert_string_equal(s.line[0], "http:80 allow get web api");
	assert_string_equal(s.line[1], "http:80 deny bulkhead:default-deny web api");
	assert_string_equal(s.line[2], "ssh:22 deny bulkhead:default-deny web api");
	assert_string_equal(s.line[3], "unknown:80 deny bulkhead:default-deny web -");
	assert_string_equal(s.line[4], "unknown:80 allow docs web -");
	assert_string_equal(s.line[5], "dns:53 allow dns web api");
	bh_netpol_free(p);
}

/* The live path's inventory as an endpoint callback: 10.0.1.1 is app=good,
 * 10.0.1.2 app=bad, anything else unknown. */
static void label_endpoint(const uint8_t addr[16], struct bh_netpol_endpoint *ep, void *arg)
{
	json_t *const *labels = arg;

	if (addr[10] == 0xff && addr[12] == 10 && addr[13] == 0 && addr[14] == 1 &&
	    (addr[15] == 1 || addr[15] == 2)) {
		ep->labels = labels[addr[15] - 1];
		ep->container_id = addr[15] == 1 ? "aaaa1111" : "bbbb2222";
	}
}

static bool seen_line(const struct seen *s, const char *want)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->line[i], want))
			return true;
	for (size_t i = 0; i < s->n; i++)
		fprintf(stderr, "flow: %s\n", s->line[i]);
	fprintf(stderr, "no flow: %s\n", want);
	return false;
}

/* A TCP connection c:cp -> s:sp opened (SYN, SYN-ACK, ACK); the SYN's verdict. */
static enum bh_net_verdict opened(struct bh_net_engine *e, const char *c, uint16_t cp,
				  const char *sv, uint16_t sp)
{
	enum bh_net_verdict v = tcp(e, c, cp, sv, sp, 99, NET_TCP_SYN, NULL);

	tcp(e, sv, sp, c, cp, 499, NET_TCP_SYN | NET_TCP_ACK, NULL);
	tcp(e, c, cp, sv, sp, 100, NET_TCP_ACK, NULL);
	return v;
}

/* FTP data channels: announced by the control flow (PASV's 227, PORT), the
 * new flow is app ftp-data and follows the control flow's decision; a PORT to
 * a third host (the bounce), a low port, another opener, an expired or
 * pushed-out announcement: no related flow, decided on its own. */
static void ftp_data_follows_control(void **state)
{
	struct bh_netpol *p =
		tiers_in("protect", "  - {name: ftp, kind: network, verdict: allow, from: [web], "
				    "to: [api], ports: [21], apps: [ftp]}\n");
	struct seen s = { 0 };
	struct bh_net_engine *e = eng(p, &s);
	struct bh_net_stats st;
	uint32_t cs = 100, ss = 500;
	char line[128];

#define CTL_C(text)                                                                                \
	do {                                                                                       \
		tcp(e, "10.0.1.1", 40000, "10.0.2.1", 21, cs, NET_TCP_ACK, text);                  \
		cs += (uint32_t)strlen(text);                                                      \
	} while (0)
#define CTL_S(text)                                                                                \
	do {                                                                                       \
		tcp(e, "10.0.2.1", 21, "10.0.1.1", 40000, ss, NET_TCP_ACK, text);                  \
		ss += (uint32_t)strlen(text);                                                      \
	} while (0)

	(void)state;
	NOW = 1.0;
	assert_int_equal(opened(e, "10.0.1.1", 40000, "10.0.2.1", 21), BH_NET_ACCEPT);
	CTL_S("220 FTP server ready\r\n");
	CTL_C("USER anonymous\r\n");
	CTL_S("331 send your password\r\n");
	CTL_C("PASV\r\n");
	CTL_S("227 Entering Passive Mode (10,0,2,1,195,80).\r\n"); /* 50000 */
	/* passive: the client opens the announced port, allowed with the control flow */
	assert_int_equal(opened(e, "10.0.1.1", 40001, "10.0.2.1", 50000), BH_NET_ACCEPT);
	assert_int_equal(tcp(e, "10.0.2.1", 50000, "10.0.1.1", 40001, 500, NET_TCP_ACK,
			     "-rw-r--r-- 1 ftp ftp 6 file\r\n"),
			 BH_NET_ACCEPT);
	/* active: the server opens from port 20 to the client's announced port */
	CTL_C("PORT 10,0,1,1,200,0\r\n"); /* 51200 */
	assert_int_equal(opened(e, "10.0.2.1", 20, "10.0.1.1", 51200), BH_NET_ACCEPT);
	/* hostile: a PORT to a third host (the bounce) and one to a low port */
	CTL_C("PORT 10,0,3,9,200,1\r\n");
	CTL_C("PORT 10,0,1,1,0,22\r\n");
	assert_int_equal(opened(e, "10.0.2.1", 20, "10.0.3.9", 51201), BH_NET_DROP);
	assert_int_equal(opened(e, "10.0.2.1", 20, "10.0.1.1", 22), BH_NET_DROP);
	/* announced, but opened by another host of the same group */
	CTL_S("227 Entering Passive Mode (10,0,2,1,195,81).\r\n"); /* 50001 */
	assert_int_equal(opened(e, "10.0.1.7", 40002, "10.0.2.1", 50001), BH_NET_DROP);
	/* bounded: of 20 announcements only the last 8 of this flow stay */
	for (int i = 0; i < 20; i++) {
		char r[80];

		snprintf(r, sizeof(r), "227 Entering Passive Mode (10,0,2,1,196,%d).\r\n", i);
		CTL_S(r);
	}
	assert_int_equal(opened(e, "10.0.1.1", 40003, "10.0.2.1", 196 * 256 + 0), BH_NET_DROP);
	assert_int_equal(opened(e, "10.0.1.1", 40004, "10.0.2.1", 196 * 256 + 19), BH_NET_ACCEPT);
	/* an announcement expires after 60 s */
	CTL_S("227 Entering Passive Mode (10,0,2,1,197,0).\r\n");
	NOW = 62.0;
	assert_int_equal(opened(e, "10.0.1.1", 40005, "10.0.2.1", 197 * 256), BH_NET_DROP);
	bh_net_engine_stats(e, &st);
	bh_net_engine_flush(e);
	bh_net_engine_free(e);
	NOW = 1.0;
#undef CTL_C
#undef CTL_S
	assert_true(seen_line(&s, "ftp:21 allow ftp web api"));
	assert_true(seen_line(&s, "ftp-data:50000 allow ftp web api"));
	assert_true(seen_line(&s, "ftp-data:51200 allow ftp api web"));
	assert_true(seen_line(&s, "unknown:51201 deny bulkhead:default-deny api -"));
	assert_true(seen_line(&s, "unknown:22 deny bulkhead:default-deny api web"));
	assert_true(seen_line(&s, "unknown:50001 deny bulkhead:default-deny web api"));
	snprintf(line, sizeof(line), "unknown:%d deny bulkhead:default-deny web api", 196 * 256);
	assert_true(seen_line(&s, line));
	snprintf(line, sizeof(line), "ftp-data:%d allow ftp web api", 196 * 256 + 19);
	assert_true(seen_line(&s, line));
	snprintf(line, sizeof(line), "unknown:%d deny bulkhead:default-deny web api", 197 * 256);
	assert_true(seen_line(&s, line));
	assert_int_equal(st.related_flows, 3);
	assert_int_equal(st.expects_refused, 2);
	assert_int_equal(st.expects, 3 + 20 + 1);
	bh_netpol_free(p);
}

static void engine_alert_and_label_groups(void **state)
{
	struct bh_netpol *p = compile(
		HDR "  - {name: good, kind: networkGroup, labels: {app: good}, mode: protect}\n"
		    "  - {name: bad, kind: networkGroup, labels: {app: bad}, mode: protect}\n"
		    "  - {name: srv, kind: networkGroup, cidrs: [10.0.2.0/24], mode: protect}\n"
		    "  - {name: in, kind: network, verdict: allow, from: [good], to: [srv]}\n"
		    "  - {name: q, kind: network, verdict: quarantine, from: [bad], to: [srv], "
		    "ports: [9999]}\n");
	json_t *labels[2] = { json_pack("{s:s}", "app", "good"), json_pack("{s:s}", "app", "bad") };
	struct bh_net_opts o = { .policy = p, .endpoint = label_endpoint, .arg = labels };
	struct bh_net_engine *e = NULL;
	struct bh_net_pkt_alert a;

	(void)state;
	assert_int_equal(bh_net_engine_new(&o, &e, NULL), 0);
	assert_false(bh_net_engine_alert(e, &a)); /* no packet yet */
	/* the label groups: good's request allowed by rule, bad's denied by default */
	assert_int_equal(http(e, "10.0.1.1", 4000, "10.0.2.1", "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
			 BH_NET_ACCEPT);
	assert_true(bh_net_engine_alert(e, &a));
	assert_int_equal(a.severity, 0);
	assert_null(a.threat);
	assert_int_equal(a.verdict, BH_NETPOL_ALLOW);
	assert_string_equal(a.rule, "in");
	assert_int_equal(tcp(e, "10.0.1.2", 4001, "10.0.2.1", 80, 99, NET_TCP_SYN, NULL),
			 BH_NET_DROP);
	assert_true(bh_net_engine_alert(e, &a));
	assert_int_equal(a.verdict, BH_NETPOL_DENY);
	assert_string_equal(a.rule, BH_NETPOL_RULE_DEFAULT);
	assert_int_equal(a.client_addr[15], 2);
	assert_int_equal(a.client_port, 4001);
	assert_int_equal(a.server_port, 80);
	assert_false(bh_netpol_rule_quarantines(p, a.rule));
	/* a deny by a rule with verdict quarantine: the live path quarantines */
	assert_true(bh_netpol_has_quarantine(p));
	assert_int_equal(tcp(e, "10.0.1.2", 4005, "10.0.2.1", 9999, 99, NET_TCP_SYN, NULL),
			 BH_NET_DROP);
	assert_true(bh_net_engine_alert(e, &a));
	assert_int_equal(a.verdict, BH_NETPOL_DENY);
	assert_string_equal(a.rule, "q");
	assert_true(bh_netpol_rule_quarantines(p, a.rule));
	assert_false(bh_netpol_rule_quarantines(p, "in"));
	assert_true(a.from_client);
	assert_true(a.client_opened);
	/* a SYN-ACK from :9999 that no SYN asked for makes its receiver the
	 * flow's "client": the same rule denies, but the packets do not say the
	 * receiver acted - not as sent, nor with its RST in reply */
	tcp(e, "10.0.2.1", 9999, "10.0.1.2", 4010, 7, NET_TCP_SYN | NET_TCP_ACK, NULL);
	assert_true(bh_net_engine_alert(e, &a));
	assert_int_equal(a.client_addr[15], 2);
	assert_int_equal(a.client_port, 4010);
	assert_false(a.from_client);
	assert_false(a.client_opened);
	tcp(e, "10.0.1.2", 4010, "10.0.2.1", 9999, 8, NET_TCP_RST, NULL);
	assert_true(bh_net_engine_alert(e, &a));
	assert_true(a.from_client);
	assert_false(a.client_opened);
	/* good's SQL injection: the packet's flow carries a high threat, its client good */
	http(e, "10.0.1.1", 4002, "10.0.2.1",
	     "GET /item?id=1'%20OR%20'1'='1 HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_true(bh_net_engine_alert(e, &a));
	assert_int_equal(a.severity, 3);
	assert_non_null(a.threat);
	assert_string_equal(a.threat, "BH-NET-SQLI");
	assert_true(a.from_client);
	assert_true(a.client_opened);
	assert_int_equal(a.client_addr[15], 1);
	assert_int_equal(a.server_addr[15], 1);
	assert_int_equal(a.server_addr[14], 2);
	/* a packet with no flow (not IP), and after a flush: nothing */
	bh_net_engine_packet(e, (const uint8_t *)"\x60", 1, BH_NET_LINK_RAW, 1.0, NULL);
	assert_false(bh_net_engine_alert(e, &a));
	http(e, "10.0.1.1", 4003, "10.0.2.1", "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
	bh_net_engine_flush(e);
	assert_false(bh_net_engine_alert(e, &a));
	bh_net_engine_free(e);
	json_decref(labels[0]);
	json_decref(labels[1]);
	bh_netpol_free(p);
}

/* A response for name whose answers are n A records 198.51.100.1.. (cut: the
 * last one's rdlength says 40 bytes that are not there), then one AAAA. */
static size_t dns_answers(uint8_t *m, const char *name, int n, bool cut)
{
	size_t o = dns_msg(m, false, name, NULL);

	m[2] = 0x81;
	m[3] = 0x80;
	m[6] = 0;
	m[7] = (uint8_t)(n + 1);
	for (int i = 0; i < n; i++) {
		const uint8_t rr[] = { 0xc0, 12, 0, 1, 0,   1,	0,   0,
				       0,    60, 0, 4, 198, 51, 100, (uint8_t)(i + 1) };

		memcpy(m + o, rr, sizeof(rr));
		o += sizeof(rr);
	}
	{
		const uint8_t rr[] = { 0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16 };

		memcpy(m + o, rr, sizeof(rr));
		o += sizeof(rr);
		inet_pton(AF_INET6, "2001:db8::7", m + o);
		o += 16;
	}
	if (cut) {
		m[o - 17] = 40; /* the AAAA's rdlength runs past the message */
	}
	return o;
}

static void dns_answers_followed_and_bounded(void **state)
{
	struct bh_netpol *p = tiers_in("protect", "  - {name: docs, kind: network, verdict: allow, "
						  "from: [web], toNames: [docs.example.com]}\n"
						  "  - {name: dns, kind: network, verdict: allow, "
						  "from: [web], ports: [53], protocol: udp}\n");
	struct seen s = { 0 };
	struct bh_net_engine *e = eng(p, &s);
	uint8_t m[1024];
	size_t n;
	char ip[32];

	(void)state;
	/* 20 A records: the first 16 are kept, the rest not; the AAAA is past them */
	n = dns_answers(m, "docs.example.com", 20, false);
	udp(e, "10.0.2.53", 53, "10.0.1.1", 5353, m, n);
	for (int i = 1; i <= 20; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		assert_int_equal(
			tcp(e, "10.0.1.1", (uint16_t)(4000 + i), ip, 80, 1, NET_TCP_SYN, NULL),
			i <= 16 ? BH_NET_ACCEPT : BH_NET_DROP);
	}
	/* a cut message: the records before the cut are kept, the cut one is not */
	n = dns_answers(m, "docs.example.com", 0, true);
	udp(e, "10.0.2.53", 53, "10.0.1.2", 5353, m, n);
	/* the name of another's answer follows nothing */
	n = dns_answers(m, "evil.example.com", 1, false);
	m[n - 28 - 1] = 99; /* its A record: 198.51.100.99 */
	udp(e, "10.0.2.53", 53, "10.0.1.3", 5353, m, n);
	assert_int_equal(tcp(e, "10.0.1.1", 4100, "198.51.100.99", 80, 1, NET_TCP_SYN, NULL),
			 BH_NET_DROP);
	/* truncated to its header and question: nothing followed, nothing broken */
	n = dns_answers(m, "docs.example.com", 3, false);
	udp(e, "10.0.2.53", 53, "10.0.1.4", 5353, m, 12 + 18 + 4 + 6);
	bh_net_engine_flush(e);
	bh_net_engine_free(e);
	bh_netpol_free(p);
}

static void traffic(struct bh_net_engine *e, bool extra)
{
	uint8_t m[512];
	size_t n;

	http(e, "10.0.1.1", 4000, "10.0.2.1", "GET /api/users/1 HTTP/1.1\r\nHost: api\r\n\r\n");
	http(e, "10.0.1.2", 4001, "10.0.2.1", "GET /api/users/2 HTTP/1.1\r\nHost: api\r\n\r\n");
	http(e, "10.0.1.2", 4002, "10.0.2.1", "HEAD /health HTTP/1.1\r\nHost: api\r\n\r\n");
	n = dns_msg(m, false, "a.svc.corp", NULL);
	udp(e, "10.0.1.1", 5353, "192.0.2.53", 53, m, n);
	if (extra) {
		http(e, "10.0.1.1", 4005, "10.0.2.1",
		     "DELETE /api/users/1 HTTP/1.1\r\nHost: api\r\n\r\n");
		tcp(e, "10.0.1.1", 4006, "10.0.2.1", 6379, 1, NET_TCP_SYN, NULL);
	}
	bh_net_engine_flush(e);
}

static void discover_learns_what_protect_allows(void **state)
{
	struct bh_netpol *p = tiers_in("discover", NULL), *q;
	struct seen s = { 0 };
	struct bh_net_engine *e;
	struct bh_buf y = BH_BUF_INIT(1 << 20);
	struct bh_policy_diags d = { 0 };

	(void)state;
	s.learn = bh_netpol_learn_new();
	e = eng(p, &s);
	traffic(e, false);
	bh_net_engine_free(e);
	for (size_t i = 0; i < s.n; i++)
		assert_non_null(strstr(s.line[i], "allow bulkhead:discover"));
	assert_int_equal(bh_netpol_learn_write(s.learn, &y, NULL), 2);
	assert_non_null(strstr(y.data, "from: [\"web\"]"));
	assert_non_null(strstr(y.data, "httpMethods: [\"GET\", \"HEAD\"]"));
	assert_non_null(strstr(y.data, "httpPaths: [\"/api/\", \"/health\"]"));
	assert_non_null(strstr(y.data, "toCidrs: [\"192.0.2.53/32\"]"));
	assert_non_null(strstr(y.data, "dnsNames: [\"a.svc.corp\"]"));
	assert_non_null(strstr(y.data, "ports: [\"80\"]"));
	bh_netpol_learn_free(s.learn);
	/* the same groups in protect with what was learned */
	bh_netpol_free(p);
	{
		char groups_y[1024];

		snprintf(groups_y, sizeof(groups_y),
			 HDR "  - {name: web, kind: networkGroup, cidrs: [10.0.1.0/24], mode: "
			     "protect}\n"
			     "  - {name: api, kind: networkGroup, cidrs: [10.0.2.0/24], mode: "
			     "protect}\n");
		q = compile2(groups_y, y.data, &d);
	}
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%zu:%zu: %s\n", d.v[i].line, d.v[i].column, d.v[i].message);
	assert_non_null(q);
	memset(&s, 0, sizeof(s));
	e = eng(q, &s);
	traffic(e, true);
	bh_net_engine_free(e);
	assert_int_equal(s.n, 6);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(s.line[i], "http:80 allow learned-web-to-api-http-1 web api");
	/* a new method, a new port: denied */
	assert_string_equal(s.line[3], "http:80 deny bulkhead:default-deny web api");
	assert_string_equal(s.line[4], "unknown:6379 deny bulkhead:default-deny web api");
	assert_string_equal(s.line[5], "dns:53 allow learned-web-to-192.0.2.53-32-dns-2 web -");
	bh_netpol_free(q);
	bh_policy_diags_release(&d);
	bh_buf_release(&y);
}

/* Discover over a gRPC flow: the rule is app grpc with the methods called (a
 * service of three or more as its prefix), no HTTP fields; it validates and
 * protect with it allows those calls only. */
static void discover_learns_grpc_methods(void **state)
{
	static const char *const calls[] = { "/bh.Echo/Say", "/bh.Admin/List", "/bh.Admin/Get",
					     "/bh.Admin/Put", "/bh.Echo/Say" };
	struct bh_netpol_learn *l = bh_netpol_learn_new();
	struct bh_net_flow_record f = { 0 };
	struct bh_net_rec r;
	struct bh_buf y = BH_BUF_INIT(1 << 20);
	struct bh_policy_diags d = { 0 };
	struct bh_netpol *q;

	(void)state;
	f.rule = BH_NETPOL_RULE_DISCOVER;
	f.l4 = "tcp";
	f.app = "grpc";
	f.client_group = "web";
	f.server_group = "api";
	f.server_port = 50051;
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		r = http_req("POST", "api:50051", calls[i]);
		r.app = "grpc";
		bh_netpol_learn_record(l, &f, &r);
	}
	r = http_req("GET", "api", "/index.html"); /* plain HTTP/2 on it: not learned */
	r.app = "http2";
	bh_netpol_learn_record(l, &f, &r);
	bh_netpol_learn_flow(l, &f);
	assert_int_equal(bh_netpol_learn_write(l, &y, NULL), 1);
	assert_non_null(strstr(y.data, "apps: [\"grpc\"]"));
	assert_non_null(strstr(y.data, "grpcMethods: [\"/bh.Admin/\", \"/bh.Echo/Say\"]"));
	assert_null(strstr(y.data, "http"));
	bh_netpol_learn_free(l);
	q = compile2(HDR
		     "  - {name: web, kind: networkGroup, cidrs: [10.0.1.0/24], mode: protect}\n"
		     "  - {name: api, kind: networkGroup, cidrs: [10.0.2.0/24], mode: protect}\n",
		     y.data, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%zu:%zu: %s\n", d.v[i].line, d.v[i].column, d.v[i].message);
	assert_non_null(q);
	r = http_req("POST", "api", "/bh.Echo/Say");
	r.app = "grpc";
	assert_dec(dec(q, "10.0.1.1", "10.0.2.1", 50051, "tcp", "http2", &r, false),
		   BH_NETPOL_ALLOW, "learned-web-to-api-grpc-1");
	r = http_req("POST", "api", "/bh.Admin/Drop");
	r.app = "grpc";
	assert_dec(dec(q, "10.0.1.1", "10.0.2.1", 50051, "tcp", "http2", &r, false),
		   BH_NETPOL_ALLOW, "learned-web-to-api-grpc-1");
	r = http_req("POST", "api", "/bh.Echo/Shout");
	r.app = "grpc";
	assert_dec(dec(q, "10.0.1.1", "10.0.2.1", 50051, "tcp", "http2", &r, false), BH_NETPOL_DENY,
		   BH_NETPOL_RULE_DEFAULT);
	r = http_req("GET", "api", "/index.html");
	r.app = "http2";
	assert_dec(dec(q, "10.0.1.1", "10.0.2.1", 50051, "tcp", "http2", &r, false), BH_NETPOL_DENY,
		   BH_NETPOL_RULE_DEFAULT);
	bh_netpol_free(q);
	bh_policy_diags_release(&d);
	bh_buf_release(&y);
}

/* A flow whose dissector gave up: unparsable where rules with an app or
 * layer-7 condition govern its ends and port (deny in protect when one is
 * enforced, alert in monitor), nothing where only ports decide, nor in
 * discover. */
static struct bh_netpol_decision unparsable(const struct bh_netpol *p, const char *c, const char *s,
					    uint16_t port)
{
	/* the app is ignored: what the flow was is no longer proven */
	struct bh_netpol_query q = query(p, c, s, port, "tcp", "redis", NULL);
	struct bh_netpol_decision d;

	bh_netpol_unparsable(p, &q, &d);
	return d;
}

static void unparsable_flows(void **state)
{
	struct bh_netpol *p = compile(
		HDR
		"  - {name: app, kind: networkGroup, cidrs: [10.0.1.0/24], mode: protect}\n"
		"  - {name: cache, kind: networkGroup, cidrs: [10.0.2.0/24], mode: protect}\n"
		"  - {name: mon, kind: networkGroup, cidrs: [10.0.3.0/24], mode: monitor}\n"
		"  - {name: lab, kind: networkGroup, cidrs: [10.0.9.0/24], mode: discover}\n"
		"  - {name: redis, kind: network, verdict: allow, to: [cache, mon, lab], ports: "
		"[6379], apps: [redis]}\n"
		"  - {name: web, kind: network, verdict: allow, to: [cache], ports: [8080], "
		"httpMethods: [GET], action: audit}\n"
		"  - {name: raw, kind: network, verdict: allow, to: [cache], ports: [9000]}\n");

	(void)state;
	assert_dec(unparsable(p, "10.0.1.1", "10.0.2.1", 6379), BH_NETPOL_DENY,
		   BH_NETPOL_RULE_UNPARSABLE);
	assert_true(unparsable(p, "10.0.1.1", "10.0.2.1", 6379).final);
	/* the only governing rule is audit: an alert */
	assert_dec(unparsable(p, "10.0.1.1", "10.0.2.1", 8080), BH_NETPOL_ALERT,
		   BH_NETPOL_RULE_UNPARSABLE);
	/* allowed by port alone: the flow keeps its decision */
	assert_dec(unparsable(p, "10.0.1.1", "10.0.2.1", 9000), BH_NETPOL_NONE, NULL);
	/* no rule for that port at all */
	assert_dec(unparsable(p, "10.0.1.1", "10.0.2.1", 5432), BH_NETPOL_NONE, NULL);
	assert_dec(unparsable(p, "10.0.9.1", "10.0.3.1", 6379), BH_NETPOL_ALERT,
		   BH_NETPOL_RULE_UNPARSABLE);
	assert_dec(unparsable(p, "10.0.9.1", "10.0.9.2", 6379), BH_NETPOL_NONE, NULL);
	bh_netpol_unparsable(NULL, &(struct bh_netpol_query){ 0 },
			     &(struct bh_netpol_decision){ 0 });
	bh_netpol_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(engine_drops_denied_flows),
		cmocka_unit_test(engine_alert_and_label_groups),
		cmocka_unit_test(ftp_data_follows_control),
		cmocka_unit_test(dns_answers_followed_and_bounded),
		cmocka_unit_test(discover_learns_what_protect_allows),
		cmocka_unit_test(discover_learns_grpc_methods),
		cmocka_unit_test(unparsable_flows),
	};

	return cmocka_run_group_tests_name("netpolicy engine", tests, NULL, NULL);
}
