/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netpol19: a new network policy swapped into a running engine between two
 * packets (bh_net_engine_set_policy): the packets of one flow judged by the
 * old policy up to the swap and by the new one from the next packet on, a
 * deny kept across swaps (its rule name outliving the policy that decided
 * it: the old policy is freed at once, ASan would see a use after free), an
 * offloaded flow denied now handed to the cut; the live path's mailbox
 * (bh_net_live_swap: taken by the verdict thread, refused when no run takes
 * it); the agent's offer (src/agent/policy.c): a version whose firewall part
 * does not compile or is not taken is refused, the old version and its file
 * kept, and the version reported only once the firewall runs it.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <unistd.h>

#include "unit.h"
#include "net_pkt.h"
#include "netpol_unit.h"
#include "agent/net.h"
#include "agent/policy_int.h"
#include "bulkhead/net.h"
#include "bulkhead/netpolicy.h"
#include "bulkhead/policy.h"
#include "net/dissect.h"
#include "net/live_int.h"
#include "net/net_int.h"
#include "banned.h"

#define HDR NETPOL_HDR
#define GROUPS                                                                                     \
	HDR "  - {name: web, kind: networkGroup, cidrs: [10.0.1.0/24], mode: protect}\n"           \
	    "  - {name: api, kind: networkGroup, cidrs: [10.0.2.0/24], mode: protect}\n"
static const char allow_y[] =
	GROUPS "  - {name: web-api, kind: network, verdict: allow, from: [web], to: [api], "
	       "ports: [80]}\n";
static const char deny_y[] = GROUPS "  - {name: cut-api, kind: network, verdict: deny, from: "
				    "[web], to: [api]}\n";

/* An error's message (kept until the next call). */
static char msgbuf[1024];
static const char *msg(const struct bh_error *e)
{
	char *m = bh_error_message(e);

	snprintf(msgbuf, sizeof(msgbuf), "%s", m ? m : "");
	free(m);
	return msgbuf;
}

static uint8_t P[4096];

static enum bh_net_verdict tcpn(struct bh_net_engine *e, const char *src, uint16_t sp,
				const char *dst, uint16_t dp, uint32_t seq, uint8_t flags,
				const void *data, size_t n)
{
	size_t tot = tpkt_tcp4(P, src, sp, dst, dp, seq, flags, data, n);
	enum bh_net_verdict v;

	bh_net_engine_packet(e, P, tot, BH_NET_LINK_RAW, 1.0, &v);
	return v;
}

static enum bh_net_verdict tcp(struct bh_net_engine *e, const char *src, uint16_t sp,
			       const char *dst, uint16_t dp, uint32_t seq, uint8_t flags,
			       const char *data)
{
	return tcpn(e, src, sp, dst, dp, seq, flags, data, data ? strlen(data) : 0);
}

/* A TLS ClientHello record naming sni; its length. */
static size_t client_hello(uint8_t *b, const char *sni)
{
	return tpkt_hello(b, 0, sni);
}

struct seen {
	char line[8][160];
	size_t n;
};

static void on_flow(const struct bh_net_flow_record *r, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8)
		snprintf(s->line[s->n++], sizeof(s->line[0]), "%u %s %s %s %s", r->client_port,
			 r->verdict ? r->verdict : "-", r->rule ? r->rule : "-",
			 r->client_group ? r->client_group : "-",
			 r->server_group ? r->server_group : "-");
}

static struct bh_net_engine *eng(const struct bh_netpol *p, struct seen *s)
{
	struct bh_net_opts o = { .on_flow = on_flow, .arg = s, .policy = p };
	struct bh_net_engine *e = NULL;

	assert_int_equal(bh_net_engine_new(&o, &e, NULL), 0);
	return e;
}

/* A connection opened and one request sent: the request's verdict. */
static enum bh_net_verdict open_conn(struct bh_net_engine *e, uint16_t cport)
{
	tcp(e, "10.0.1.1", cport, "10.0.2.1", 80, 99, NET_TCP_SYN, NULL);
	tcp(e, "10.0.2.1", 80, "10.0.1.1", cport, 499, NET_TCP_SYN | NET_TCP_ACK, NULL);
	tcp(e, "10.0.1.1", cport, "10.0.2.1", 80, 100, NET_TCP_ACK, NULL);
	return tcp(e, "10.0.1.1", cport, "10.0.2.1", 80, 100, NET_TCP_ACK, "ping\n");
}

struct cuts {
	uint16_t port[8];
	size_t n;
};

static void on_cut(const struct bh_net_flow_info *fi, uint8_t proto, void *arg)
{
	struct cuts *c = arg;

	assert_int_equal(proto, 6);
	assert_int_equal(fi->server_port, 80);
	if (c->n < 8)
		c->port[c->n++] = fi->client_port;
}

static void a_swap_between_two_packets_of_one_flow(void **state)
{
	struct bh_netpol *allow = netpol_compile(allow_y), *deny = netpol_compile(deny_y);
	struct seen s = { 0 };
	struct bh_net_engine *e = eng(allow, &s);
	struct cuts c = { 0 };
	size_t rejudged = 0, denied = 0;

	(void)state;
	assert_int_equal(open_conn(e, 4000), BH_NET_ACCEPT);
	assert_int_equal(open_conn(e, 4001), BH_NET_ACCEPT);
	/* 4001's replies offloaded by the live path (as after a settled packet) */
	assert_int_equal(tcp(e, "10.0.2.1", 80, "10.0.1.1", 4001, 500, NET_TCP_ACK, "pong\n"),
			 BH_NET_ACCEPT);
	bh_net_engine_offloaded(e);

	bh_net_engine_set_policy(e, deny, on_cut, &c, &rejudged, &denied);
	bh_netpol_free(allow); /* the engine no longer holds it: ASan would tell */
	assert_int_equal(rejudged, 2);
	assert_int_equal(denied, 2);
	assert_int_equal(c.n, 1); /* only the offloaded one needs its conntrack entry cut */
	assert_int_equal(c.port[0], 4001);
	/* the very next packet of the open flow, and a new flow, by the new policy */
	assert_int_equal(tcp(e, "10.0.1.1", 4000, "10.0.2.1", 80, 105, NET_TCP_ACK, "again\n"),
			 BH_NET_DROP);
	assert_int_equal(tcp(e, "10.0.2.1", 80, "10.0.1.1", 4000, 500, NET_TCP_ACK, NULL),
			 BH_NET_DROP);
	assert_int_equal(tcp(e, "10.0.1.1", 4002, "10.0.2.1", 80, 1, NET_TCP_SYN, NULL),
			 BH_NET_DROP);

	/* back to an allowing policy: a flow denied stays denied (its rule's
	 * name kept though the policy that named it is gone), new ones pass */
	allow = netpol_compile(allow_y);
	bh_net_engine_set_policy(e, allow, NULL, NULL, &rejudged, &denied);
	bh_netpol_free(deny);
	assert_int_equal(denied, 0);
	assert_int_equal(tcp(e, "10.0.1.1", 4000, "10.0.2.1", 80, 111, NET_TCP_ACK, "more\n"),
			 BH_NET_DROP);
	assert_int_equal(open_conn(e, 4003), BH_NET_ACCEPT);

	/* no policy at all: nothing decided, everything accepted */
	bh_net_engine_set_policy(e, NULL, NULL, NULL, NULL, NULL);
	bh_netpol_free(allow);
	assert_int_equal(tcp(e, "10.0.1.1", 4000, "10.0.2.1", 80, 116, NET_TCP_ACK, "last\n"),
			 BH_NET_ACCEPT);
	assert_int_equal(open_conn(e, 4004), BH_NET_ACCEPT);
	/* and a policy again on an engine that ran without one */
	deny = netpol_compile(deny_y);
	bh_net_engine_set_policy(e, deny, NULL, NULL, NULL, &denied);
	assert_int_equal(denied, 5);
	assert_int_equal(open_conn(e, 4005), BH_NET_DROP);
	bh_net_engine_flush(e);
	bh_net_engine_free(e);
	bh_netpol_free(deny);
	assert_int_equal(s.n, 6);
	for (size_t i = 0; i < s.n; i++)
		assert_non_null(strstr(s.line[i], "deny cut-api web api"));
}

/* fixnet19: an FTP control flow allowed by v1, denied by v2, kept denied
 * across v3 (its rule's name its own copy, v2 freed), then announces a data
 * channel (PORT) and ends (RST) before the channel opens: the announcement
 * and the data flow hold their own copies of the name (ASan: no use after
 * the control flow's copy is freed). */
static const char ftp_allow_y[] =
	GROUPS "  - {name: ftp, kind: network, verdict: allow, from: [web], to: [api], "
	       "ports: [21], apps: [ftp]}\n";
static const char ftp_deny_y[] =
	GROUPS "  - {name: cut-ftp, kind: network, verdict: deny, from: [web], to: [api]}\n";

static void a_data_channel_announced_after_a_swap(void **state)
{
	struct bh_netpol *v1 = netpol_compile(ftp_allow_y), *v2 = netpol_compile(ftp_deny_y), *v3;
	struct seen s = { 0 };
	struct bh_net_engine *e = eng(v1, &s);
	size_t rejudged = 0, denied = 0;
	uint32_t cs = 100, ss = 500;

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
	tcp(e, "10.0.1.1", 40000, "10.0.2.1", 21, 99, NET_TCP_SYN, NULL);
	tcp(e, "10.0.2.1", 21, "10.0.1.1", 40000, 499, NET_TCP_SYN | NET_TCP_ACK, NULL);
	tcp(e, "10.0.1.1", 40000, "10.0.2.1", 21, 100, NET_TCP_ACK, NULL);
	CTL_S("220 FTP server ready\r\n");
	CTL_C("USER anonymous\r\n");
	CTL_S("331 send your password\r\n");
	bh_net_engine_set_policy(e, v2, NULL, NULL, &rejudged, &denied);
	bh_netpol_free(v1);
	assert_int_equal(denied, 1);
	v3 = netpol_compile(ftp_allow_y);
	bh_net_engine_set_policy(e, v3, NULL, NULL, &rejudged, &denied);
	bh_netpol_free(v2); /* the control flow's rule name: its own copy now */
	assert_int_equal(denied, 0);
	CTL_C("PORT 10,0,1,1,200,0\r\n"); /* 51200 */
	tcp(e, "10.0.1.1", 40000, "10.0.2.1", 21, cs, NET_TCP_RST, NULL);
	bh_net_engine_flush(e); /* the control flow ends: its copy freed */
	/* the server opens the announced channel: denied with its control flow */
	assert_int_equal(tcp(e, "10.0.2.1", 20, "10.0.1.1", 51200, 99, NET_TCP_SYN, NULL),
			 BH_NET_DROP);
	bh_net_engine_flush(e);
	bh_net_engine_free(e);
	bh_netpol_free(v3);
#undef CTL_C
#undef CTL_S
	assert_int_equal(s.n, 2);
	assert_string_equal(s.line[0], "40000 deny cut-ftp web api");
	assert_string_equal(s.line[1], "20 deny cut-ftp api web");
}

/* fixnet19: v1 allows port 443, v2 only the SNI pay.example.net: TLS flows
 * past their hello (no record will come again) are judged at the swap on the
 * SNI they sent, the one to evil.io denied (and cut: it was offloaded), the
 * one to pay.example.net kept. */
static const char tls_port_y[] =
	GROUPS "  - {name: tls-any, kind: network, verdict: allow, from: [web], to: [api], "
	       "ports: [443]}\n";
static const char tls_sni_y[] =
	GROUPS "  - {name: pay, kind: network, verdict: allow, from: [web], to: [api], "
	       "ports: [443], tlsSni: [pay.example.net]}\n";

static void tls_conn(struct bh_net_engine *e, uint16_t cport, const char *sni)
{
	uint8_t b[512];
	size_t n = client_hello(b, sni);

	tcp(e, "10.0.1.1", cport, "10.0.2.1", 443, 99, NET_TCP_SYN, NULL);
	tcp(e, "10.0.2.1", 443, "10.0.1.1", cport, 499, NET_TCP_SYN | NET_TCP_ACK, NULL);
	tcp(e, "10.0.1.1", cport, "10.0.2.1", 443, 100, NET_TCP_ACK, NULL);
	assert_int_equal(tcpn(e, "10.0.1.1", cport, "10.0.2.1", 443, 100, NET_TCP_ACK, b, n),
			 BH_NET_ACCEPT);
}

static void tls_cut(const struct bh_net_flow_info *fi, uint8_t proto, void *arg)
{
	struct cuts *c = arg;

	assert_int_equal(proto, 6);
	if (c->n < 8)
		c->port[c->n++] = fi->client_port;
}

static void a_tls_flow_past_its_hello_is_judged_on_its_sni(void **state)
{
	struct bh_netpol *v1 = netpol_compile(tls_port_y), *v2 = netpol_compile(tls_sni_y);
	struct seen s = { 0 };
	struct bh_net_engine *e = eng(v1, &s);
	struct cuts c = { 0 };
	size_t rejudged = 0, denied = 0;

	(void)state;
	tls_conn(e, 5000, "evil.io");
	tls_conn(e, 5001, "pay.example.net");
	bh_net_engine_offloaded(e); /* the last packet's flow: 5001 */
	tls_conn(e, 5002, "evil.io");
	bh_net_engine_offloaded(e);
	bh_net_engine_set_policy(e, v2, tls_cut, &c, &rejudged, &denied);
	bh_netpol_free(v1);
	assert_int_equal(rejudged, 3);
	assert_int_equal(denied, 2);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.port[0], 5002);
	assert_int_equal(tcp(e, "10.0.1.1", 5000, "10.0.2.1", 443, 300, NET_TCP_ACK, "x"),
			 BH_NET_DROP);
	assert_int_equal(tcp(e, "10.0.1.1", 5001, "10.0.2.1", 443, 300, NET_TCP_ACK, "x"),
			 BH_NET_ACCEPT);
	assert_int_equal(tcp(e, "10.0.1.1", 5002, "10.0.2.1", 443, 300, NET_TCP_ACK, "x"),
			 BH_NET_DROP);
	bh_net_engine_flush(e);
	bh_net_engine_free(e);
	bh_netpol_free(v2);
}

/* ---- the live path's mailbox ------------------------------------------------------------------
 */

struct asker {
	struct bh_net_live_swap *s;
	const struct bh_netpol *p;
	unsigned ms;
	int rc;
	struct bh_error *err;
};

static void *ask(void *arg)
{
	struct asker *a = arg;

	a->rc = bh_net_live_swap(a->s, a->p, a->ms, &a->err);
	return NULL;
}

static void the_verdict_thread_takes_it_or_it_is_refused(void **state)
{
	struct bh_net_live_swap sw;
	struct bh_net_live_opts o = { 0 };
	struct bh_net_live_stats st = { 0 };
	struct live L = { .o = &o, .st = &st };
	struct bh_netpol *allow = netpol_compile(allow_y), *deny = netpol_compile(deny_y);
	struct seen s = { 0 };
	struct asker a = { .ms = 5000 };
	struct bh_error *err = NULL;
	pthread_t th;

	(void)state;
	assert_int_equal(bh_net_live_swap_init(&sw, NULL), 0);
	o.swap = &sw;
	L.e = eng(allow, &s);
	L.pol = allow;
	/* no run: refused at once, nothing pending */
	assert_int_equal(bh_net_live_swap(&sw, deny, 5000, &err), -1);
	assert_non_null(strstr(msg(err), "not running"));
	bh_error_free(err);
	err = NULL;
	assert_false(sw.pending);

	net_live_swap_running(&L, true);
	assert_int_equal(open_conn(L.e, 4000), BH_NET_ACCEPT);
	a.s = &sw;
	a.p = deny;
	assert_int_equal(pthread_create(&th, NULL, ask, &a), 0);
	while (!sw.swaps) { /* the verdict thread's loop: a packet, a look */
		tcp(L.e, "10.0.2.1", 80, "10.0.1.1", 4000, 500, NET_TCP_ACK, NULL);
		net_live_swap_take(&L);
		usleep(1000);
	}
	pthread_join(th, NULL);
	assert_int_equal(a.rc, 0);
	assert_ptr_equal(L.pol, deny);
	bh_netpol_free(allow); /* let go of */
	assert_int_equal(sw.denied, 1);
	assert_int_equal(tcp(L.e, "10.0.2.1", 80, "10.0.1.1", 4000, 501, NET_TCP_ACK, NULL),
			 BH_NET_DROP);

	/* a run that does not look within the time: taken back, refused */
	allow = netpol_compile(allow_y);
	assert_int_equal(bh_net_live_swap(&sw, allow, 50, &err), -1);
	assert_non_null(strstr(msg(err), "did not take"));
	bh_error_free(err);
	assert_false(sw.pending);
	net_live_swap_take(&L); /* nothing waits: a no-op */
	assert_ptr_equal(L.pol, deny);
	assert_int_equal(sw.swaps, 1);
	bh_netpol_free(allow);

	/* a run that ends while one waits: the waiter is told at once */
	allow = netpol_compile(allow_y);
	a = (struct asker){ .s = &sw, .p = allow, .ms = 10000 };
	assert_int_equal(pthread_create(&th, NULL, ask, &a), 0);
	usleep(20000);
	net_live_swap_running(&L, false);
	pthread_join(th, NULL);
	assert_int_equal(a.rc, -1);
	assert_non_null(strstr(msg(a.err), "stopped"));
	bh_error_free(a.err);
	bh_netpol_free(allow);

	bh_net_engine_free(L.e);
	bh_netpol_free(deny);
	bh_net_live_swap_release(&sw);
}

/* ---- the agent's offer ---------------------------------------------------------------------- */

struct fw {
	int prepared, committed, aborted;
	bool fail_commit;
	struct agent_net *n; /* the real compile, when set */
};

static int fw_prepare(void *arg, const json_t *doc, void **ctx, struct bh_error **err)
{
	struct fw *f = arg;
	struct bh_netpol *p = NULL;

	f->prepared++;
	if (f->n && agent_net_prepare(f->n, doc, &p, err) < 0)
		return -1;
	*ctx = p;
	return 0;
}

static int fw_commit(void *arg, void *ctx, struct bh_error **err)
{
	struct fw *f = arg;

	bh_netpol_free(ctx);
	if (f->fail_commit)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "net: the firewall did not take the new policy");
	f->committed++;
	return 0;
}

static void fw_abort(void *arg, void *ctx)
{
	((struct fw *)arg)->aborted++;
	bh_netpol_free(ctx);
}

static json_t *answer(int64_t v, const char *net)
{
	return json_pack("{sIs{ss}}", "version", (json_int_t)v, "policy", "net", net);
}

static char *slurp(const char *path)
{
	struct bh_buf b = BH_BUF_INIT(1 << 20);
	char *s;

	assert_int_equal(bh_read_file(path, &b, NULL), 0);
	s = bh_strndup(b.data, b.len);
	bh_buf_release(&b);
	return s;
}

static void h_flow(void *d, const struct bh_net_flow_record *r)
{
	(void)d;
	(void)r;
}
static int h_event(void *d, const char *j, size_t l, struct bh_error **e)
{
	(void)d;
	(void)j;
	(void)l;
	(void)e;
	return 0;
}
static void h_warn(void *d, struct bh_error *e)
{
	(void)d;
	bh_error_free(e);
}

static void a_version_the_firewall_does_not_run_is_refused(void **state)
{
	char dir[] = "/tmp/bh-netswap-XXXXXX", *path, *v1;
	struct agent_policy pol;
	struct agent_net n;
	struct agent_net_hooks hk = { h_flow, h_event, h_warn, NULL, NULL };
	struct fw f = { 0 };
	struct agent_policy_hooks h = { fw_prepare, fw_commit, fw_abort, &f };
	struct bh_error *err = NULL;
	json_t *ans;
	int64_t v;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = bh_asprintf("%s/policy.json", dir);
	assert_int_equal(agent_policy_init(&pol, dir, &err), 0);
	assert_null(err);
	/* the firewall's compile for real: a started firewall the node's
	 * policy is ours to change (no run behind it: prepare only) */
	agent_net_init(&n, &hk);
	n.started = n.managed = true;
	f.n = &n;

	ans = answer(1, allow_y);
	assert_int_equal(agent_policy_offer(&pol, ans, &h, &v, &err), 0);
	json_decref(ans);
	assert_int_equal(v, 1);
	assert_int_equal(f.committed, 1);
	assert_int_equal(agent_policy_version(&pol), 1);
	v1 = slurp(path);

	/* a network part that does not compile: refused whole, 1 runs on */
	ans = answer(2, HDR "  - {name: r, kind: network, verdict: allow, from: [nosuch]}\n");
	assert_true(agent_policy_offer(&pol, ans, &h, &v, &err) < 0);
	json_decref(ans);
	assert_non_null(strstr(msg(err), "version 2 refused"));
	bh_error_free(err);
	err = NULL;
	assert_int_equal(agent_policy_version(&pol), 1);
	{
		char *now = slurp(path);

		assert_string_equal(now, v1);
		free(now);
	}

	/* compiled, written, but the firewall did not take it: refused, the
	 * file put back, 1 still the version reported */
	f.fail_commit = true;
	ans = answer(3, deny_y);
	assert_true(agent_policy_offer(&pol, ans, &h, &v, &err) < 0);
	json_decref(ans);
	assert_non_null(strstr(msg(err), "did not take"));
	assert_non_null(strstr(msg(err), "version 3 refused"));
	bh_error_free(err);
	err = NULL;
	assert_int_equal(agent_policy_version(&pol), 1);
	{
		char *now = slurp(path);

		assert_string_equal(now, v1);
		free(now);
	}
	/* offered again: said once (1) */
	ans = answer(3, deny_y);
	assert_int_equal(agent_policy_offer(&pol, ans, &h, &v, &err), 1);
	json_decref(ans);

	/* the next one taken: reported, written */
	f.fail_commit = false;
	ans = answer(4, deny_y);
	assert_int_equal(agent_policy_offer(&pol, ans, &h, &v, &err), 0);
	json_decref(ans);
	assert_int_equal(agent_policy_version(&pol), 4);
	assert_int_equal(f.committed, 2);
	assert_int_equal(f.aborted, 0);
	{
		char *now = slurp(path);

		assert_non_null(strstr(now, "\"version\":4"));
		free(now);
	}
	n.started = n.managed = false;
	agent_net_release(&n);
	agent_policy_release(&pol);
	unlink(path);
	rmdir(dir);
	free(path);
	free(v1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_swap_between_two_packets_of_one_flow),
		cmocka_unit_test(a_data_channel_announced_after_a_swap),
		cmocka_unit_test(a_tls_flow_past_its_hello_is_judged_on_its_sni),
		cmocka_unit_test(the_verdict_thread_takes_it_or_it_is_refused),
		cmocka_unit_test(a_version_the_firewall_does_not_run_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
