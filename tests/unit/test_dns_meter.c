/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DNS volume per name (src/net/dns_meter.c, BH-NET-DNS-VOLUME): the
 * registered domain of a name, the count of distinct names against its
 * limit and its near-miss, repeated names counted once, the window, one
 * client's count kept apart from another's and from another domain's, a
 * flood of one-off domains not restarting a tunnel's count, and the threat
 * through the engine on real DNS datagrams (one flow per query, as dig
 * makes them).
 */
#include <arpa/inet.h>

#include "unit.h"

#include "bulkhead/net.h"
#include "net/dns_meter.h"

static const char *dom(const char *name)
{
	int off = bh_dns_meter_domain(name, strlen(name));

	return off < 0 ? "-" : name + off;
}

static void test_domain(void **state)
{
	(void)state;
	assert_string_equal(dom("a.b.example.com"), "example.com");
	assert_string_equal(dom("example.com"), "example.com");
	assert_string_equal(dom("example.com."), "example.com.");
	assert_string_equal(dom("x.y.example.co.uk"), "example.co.uk");
	assert_string_equal(dom("www.example.de"), "example.de");
	assert_string_equal(dom("t1.tunnel.example.museum"), "example.museum");
	assert_string_equal(dom("localhost"), "-");
	assert_string_equal(dom("4.3.2.1.in-addr.arpa"), "-");
	assert_string_equal(dom(""), "-");
	assert_string_equal(dom("."), "-");
	assert_string_equal(dom("co.uk"), "co.uk");
}

static const uint8_t c1[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 };
static const uint8_t c2[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 2 };

/* n distinct names q<base+i>.<domain> from client at t; how many hit. */
static unsigned ask(struct bh_dns_meter *m, const uint8_t *client, const char *domain,
		    unsigned base, unsigned n, double t)
{
	unsigned hits = 0;

	for (unsigned i = 0; i < n; i++) {
		char name[128];

		snprintf(name, sizeof(name), "q%u.%s", base + i, domain);
		hits += bh_dns_meter_query(m, client, name, strlen(name), t + i * 0.001, NULL,
					   NULL);
	}
	return hits;
}

static void test_limit_and_near_miss(void **state)
{
	struct bh_dns_meter *m = bh_dns_meter_new(100, 60, 42);
	unsigned names;
	char d[DNSM_DOMAIN + 1];

	(void)state;
	/* 90 distinct names: a near-miss */
	assert_int_equal(ask(m, c1, "tunnel.test", 0, 90, 0), 0);
	/* the same 90 again: nothing new */
	assert_int_equal(ask(m, c1, "tunnel.test", 0, 90, 1), 0);
	/* another client and another domain count apart */
	assert_int_equal(ask(m, c2, "tunnel.test", 1000, 90, 2), 0);
	assert_int_equal(ask(m, c1, "other.test", 1000, 90, 2), 0);
	/* 60 more new names from c1 under tunnel.test: past 100 on the way */
	assert_true(ask(m, c1, "tunnel.test", 5000, 60, 3) >= 45);
	assert_true(bh_dns_meter_query(m, c1, "zz.tunnel.test", 14, 4, &names, d));
	assert_true(names >= 140 && names <= 160);
	assert_string_equal(d, "tunnel.test");
	/* the window ends: counting starts over */
	assert_false(bh_dns_meter_query(m, c1, "zz2.tunnel.test", 15, 70, &names, NULL));
	assert_int_equal(names, 1);
	bh_dns_meter_free(m);
}

static void test_estimate_is_close(void **state)
{
	struct bh_dns_meter *m = bh_dns_meter_new(100000, 60, 7);
	unsigned names;

	(void)state;
	ask(m, c1, "example.org", 0, 500, 0);
	bh_dns_meter_query(m, c1, "q0.example.org", 14, 1, &names, NULL);
	assert_true(names >= 450 && names <= 550);
	/* beyond the bitmap's capacity the estimate only grows */
	ask(m, c1, "example.org", 1000, 20000, 1);
	bh_dns_meter_query(m, c1, "q0.example.org", 14, 2, &names, NULL);
	assert_true(names >= 5000);
	bh_dns_meter_free(m);
}

static void test_table_bound(void **state)
{
	struct bh_dns_meter *m = bh_dns_meter_new(100, 60, 9);

	(void)state;
	/* a tunnel's count climbs to 80 ... */
	assert_int_equal(ask(m, c1, "tunnel.test", 0, 80, 0), 0);
	/* ... 20000 one-off domains from other clients pass (the table holds 1024) ... */
	for (unsigned i = 0; i < 20000; i++) {
		uint8_t c[16] = {
			[10] = 0xff, [11] = 0xff, 172, 16, (uint8_t)(i >> 8), (uint8_t)i
		};
		char name[64];

		snprintf(name, sizeof(name), "www.site%u.test", i);
		assert_false(bh_dns_meter_query(m, c, name, strlen(name), 1, NULL, NULL));
	}
	/* ... and the tunnel's count was not restarted: 40 more cross the limit */
	assert_true(ask(m, c1, "tunnel.test", 100, 40, 2) > 0);
	bh_dns_meter_free(m);
}

/* ---- through the engine ---- */

static unsigned volume_flows, flows;

static void on_flow(const struct bh_net_flow_record *r, void *arg)
{
	(void)arg;
	flows++;
	for (size_t i = 0; i < r->n_threats; i++)
		volume_flows += !strcmp(r->threats[i].id, "BH-NET-DNS-VOLUME");
}

/* An IPv4/UDP DNS query for name from 10.9.0.1:sport to 10.9.0.53:53. */
static void dns_query(struct bh_net_engine *e, double ts, uint16_t sport, const char *name)
{
	uint8_t p[600];
	size_t o = 28, n;
	const char *s = name;

	memset(p, 0, sizeof(p));
	p[o + 0] = (uint8_t)(sport >> 8), p[o + 1] = (uint8_t)sport; /* id */
	p[o + 2] = 0x01, p[o + 5] = 1;				     /* RD, one question */
	o += 12;
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		p[o++] = (uint8_t)l;
		memcpy(p + o, s, l), o += l;
		s += l + (dot ? 1 : 0);
	}
	p[o++] = 0;
	p[o++] = 0, p[o++] = 1, p[o++] = 0, p[o++] = 1;
	n = o;
	p[0] = 0x45, p[2] = (uint8_t)(n >> 8), p[3] = (uint8_t)n, p[8] = 64, p[9] = 17;
	inet_pton(AF_INET, "10.9.0.1", p + 12);
	inet_pton(AF_INET, "10.9.0.53", p + 16);
	p[20] = (uint8_t)(sport >> 8), p[21] = (uint8_t)sport, p[22] = 0, p[23] = 53;
	p[24] = (uint8_t)((n - 20) >> 8), p[25] = (uint8_t)(n - 20);
	bh_net_engine_packet(e, p, n, BH_NET_LINK_RAW, ts, NULL);
}

/* n queries, the i-th for <pre><i % mod><post>, one flow each */
static unsigned run_engine(unsigned n, unsigned mod, const char *pre, const char *post)
{
	struct bh_net_opts o = { .on_flow = on_flow };
	struct bh_net_engine *e = NULL;

	volume_flows = flows = 0;
	assert_int_equal(bh_net_engine_new(&o, &e, NULL), 0);
	for (unsigned i = 0; i < n; i++) {
		char name[128];

		snprintf(name, sizeof(name), "%s%u%s", pre, i % mod, post);
		dns_query(e, 100 + i * 0.05, (uint16_t)(20000 + i), name);
	}
	bh_net_engine_flush(e);
	bh_net_engine_free(e);
	assert_int_equal(flows, n);
	return volume_flows;
}

static void test_engine(void **state)
{
	(void)state;
	/* 150 one-query flows for distinct names under one domain: the last ones flagged */
	assert_true(run_engine(150, 1000, "h", ".data.tunnel.test") >= 40);
	/* 80 distinct names, and 300 queries of 3 names: nothing */
	assert_int_equal(run_engine(80, 1000, "h", ".data.tunnel.test"), 0);
	assert_int_equal(run_engine(300, 3, "www", ".example.test"), 0);
	/* 300 reverse lookups: not counted */
	assert_int_equal(run_engine(300, 1000, "", ".1.168.192.in-addr.arpa"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_limit_and_near_miss),
		cmocka_unit_test(test_estimate_is_close),
		cmocka_unit_test(test_table_bound),
		cmocka_unit_test(test_engine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
