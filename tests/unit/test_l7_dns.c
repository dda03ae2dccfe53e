/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DNS dissector (src/net/l7_dns.c): queries recorded from nslookup
 * against dnsmasq over UDP and TCP (fuzz/corpus/l7_dns), messages built
 * here for the threats (zone transfer, tunnelling, amplification) and their
 * near-misses, and hostile names (compression loops, forward pointers, over
 * long). TCP conversations are also fed split at each byte.
 */
#include "l7.h"

extern const struct bh_net_dissector bh_net_l7_dns;
#define D (&bh_net_l7_dns)

/* A message with one question (name dotted, as given: case kept), flags,
 * ancount and `extra` bytes of answer data (0x00) after the question. With
 * tcp the 2-byte length first. Returns the length. */
static size_t msg(uint8_t *out, bool tcp, uint16_t id, uint16_t flags, const char *name,
		  uint16_t qtype, uint16_t an, size_t extra)
{
	size_t o = tcp ? 2 : 0, start = o;
	const char *p = name;

	out[o++] = (uint8_t)(id >> 8), out[o++] = (uint8_t)id;
	out[o++] = (uint8_t)(flags >> 8), out[o++] = (uint8_t)flags;
	out[o++] = 0, out[o++] = 1, out[o++] = (uint8_t)(an >> 8), out[o++] = (uint8_t)an;
	memset(out + o, 0, 4), o += 4;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		out[o++] = (uint8_t)l;
		memcpy(out + o, p, l), o += l;
		p += l + (dot ? 1 : 0);
	}
	out[o++] = 0;
	out[o++] = (uint8_t)(qtype >> 8), out[o++] = (uint8_t)qtype, out[o++] = 0, out[o++] = 1;
	memset(out + o, 0, extra), o += extra;
	if (tcp)
		out[0] = (uint8_t)((o - start) >> 8), out[1] = (uint8_t)(o - start);
	return o;
}

static char *query(const char *name, uint16_t qtype, bool tcp)
{
	uint8_t b[1024];
	size_t n = msg(b, tcp, 7, 0x0100, name, qtype, 0, 0);
	const struct l7_seg s[] = { { C, b, n, 0 } };

	return l7_run_all(D, tcp ? &l7_tcp : &l7_udp, s, 1, NULL);
}

static void test_nslookup_udp(void **state)
{
	uint8_t *blob;
	size_t n;
	struct l7_seg *segs = l7_load("fuzz/corpus/l7_dns/nslookup-dnsmasq-udp", &n, &blob);
	char *t;

	assert_true(n >= 8);
	assert_int_equal(D->probe(&l7_udp, C, segs[0].p, segs[0].len), BH_NET_PROBE_YES);
	assert_int_equal(D->probe(&l7_udp, S, segs[1].p, segs[1].len), BH_NET_PROBE_YES);
	t = l7_run_all(D, &l7_udp, segs, n, NULL);
	expect(t, "query id=");
	expect(t, "qtype=1 rcode=0 an=0 len=34 qname=www.example.test\n");
	expect(t, "qtype=1 rcode=0 an=1 len=50 qname=www.example.test\n");
	expect(t, "DNS 1 response");
	expect(t, "qtype=16 rcode=0 an=0 len=34 qname=txt.example.test\n");
	expect(t, "qtype=1 rcode=0 an=1 len=66 qname=alias.example.test\n"); /* the CNAME */
	/* dnsmasq without upstream servers refuses what it does not know. */
	expect(t,
	       "DNS 1 response id=24518 qtype=1 rcode=5 an=0 len=37 qname=nosuch.example.test\n");
	expect_no(t, "THREAT");
	free(t);
	free(segs);
	free(blob);
}

static void test_nslookup_tcp(void **state)
{
	uint8_t *blob;
	size_t n;
	struct l7_seg *segs = l7_load("fuzz/corpus/l7_dns/nslookup-dnsmasq-tcp", &n, &blob);
	char *t;

	assert_int_equal(D->probe(&l7_tcp, C, segs[0].p, segs[0].len), BH_NET_PROBE_YES);
	t = l7_run_all(D, &l7_tcp, segs, n, NULL);
	expect(t, "DNS 0 query id=25983 qtype=1 rcode=0 an=0 len=36 qname=mixed.example.test\n"
		  "DNS 1 response id=25983 qtype=1 rcode=0 an=1 len=52 qname=mixed.example.test\n");
	free(t);
	free(segs);
	free(blob);
	/* Names are lower-cased. */
	t = query("MiXeD.Example.TEST", 28, true);
	expect(t, "qname=mixed.example.test\n");
	free(t);
}

static void test_zone_transfer(void **state)
{
	char *t = query("example.test", 252, true);

	expect(t, "THREAT 0 dns BH-NET-DNS-ZONE-XFER\n");
	free(t);
	t = query("example.test", 251, false);
	expect(t, "THREAT 0 dns BH-NET-DNS-ZONE-XFER\n");
	free(t);
	/* Near-miss: the zone's SOA. */
	t = query("example.test", 6, true);
	expect_no(t, "THREAT");
	free(t);
}

static void test_tunnel(void **state)
{
	char name[300];
	char *t;

	/* A 51-character label. */
	snprintf(name, sizeof(name), "%.51s.t.example.com",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	t = query(name, 16, false);
	expect(t, "THREAT 0 dns BH-NET-DNS-TUNNEL\n");
	free(t);
	/* base32 of bytes 7..41, as iodine would carry them, in 28-character labels. */
	t = query("a4eascqlbqgq4dyqcejbgfavcylrqg.i2dmob2hq7eaqseizeeutcokbj.t.example.com", 10,
		  false);
	expect(t, "THREAT 0 dns BH-NET-DNS-TUNNEL\n");
	free(t);
	/* Near-misses: a 50-character label; a long service name with its
	 * search domain; long English words (entropy 4.3, no digits). */
	snprintf(name, sizeof(name), "%.50s.example.com",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	t = query(name, 1, false);
	expect_no(t, "THREAT");
	free(t);
	t = query("my-very-long-service-name.production-namespace.svc.cluster.local", 1, false);
	expect_no(t, "THREAT");
	free(t);
	t = query("the-quick-brown-fox-jumps-over-the-lazy-dog.again-and-again.example.com", 1,
		  false);
	expect_no(t, "THREAT");
	free(t);
}

static void test_amplification(void **state)
{
	uint8_t q[512], r[8192];
	size_t qn, rn;
	char *t;

	t = query("example.test", 255, false);
	expect(t, "THREAT 0 dns BH-NET-DNS-AMPLIFY\n");
	free(t);
	/* One small query, a response of 4000 bytes (TXT records, say). */
	qn = msg(q, false, 9, 0x0100, "example.test", 16, 0, 0);
	rn = msg(r, false, 9, 0x8180, "example.test", 16, 40, 4000 - 30);
	const struct l7_seg a[] = { { C, q, qn, 0 }, { S, r, rn, 0 } };

	t = l7_run_all(D, &l7_udp, a, 2, NULL);
	expect(t, "THREAT 1 dns BH-NET-DNS-AMPLIFY\n");
	free(t);
	/* Near-misses: an A query and its answer; the large answer to many
	 * queries (ratio under 20). */
	t = query("example.test", 1, false);
	expect_no(t, "THREAT");
	free(t);
	struct l7_seg many[41];

	for (int i = 0; i < 40; i++)
		many[i] = (struct l7_seg){ C, q, qn, 0 };
	many[40] = (struct l7_seg){ S, r, rn, 0 };
	t = l7_run_all(D, &l7_udp, many, 41, NULL);
	expect_no(t, "THREAT");
	free(t);
}

static void test_hostile(void **state)
{
	uint8_t b[600];
	size_t n;
	enum bh_net_feed rc;
	char *t;

	/* A pointer to itself; a pointer forward; a label past the end. */
	n = msg(b, false, 1, 0x0100, "a", 1, 0, 0);
	b[12] = 0xc0, b[13] = 12;
	const struct l7_seg s1[] = { { C, b, n, 0 } };

	free(l7_run_all(D, &l7_udp, s1, 1, &rc));
	assert_int_equal(rc, BH_NET_FEED_MALFORMED);
	assert_int_equal(D->probe(&l7_udp, C, b, n), BH_NET_PROBE_NO);
	b[13] = 14;
	free(l7_run_all(D, &l7_udp, s1, 1, &rc));
	assert_int_equal(rc, BH_NET_FEED_MALFORMED);
	b[12] = 60;
	free(l7_run_all(D, &l7_udp, s1, 1, &rc));
	assert_int_equal(rc, BH_NET_FEED_MALFORMED);
	/* A name over 253 characters (five labels of 60). */
	char name[400];

	memset(name, 'b', sizeof(name));
	for (int i = 0; i < 5; i++)
		name[i * 61 + 60] = '.';
	name[304] = 0;
	n = msg(b, true, 1, 0x0100, name, 1, 0, 0);
	const struct l7_seg s2[] = { { C, b, n, 0 } };

	free(l7_run_all(D, &l7_tcp, s2, 1, &rc));
	assert_int_equal(rc, BH_NET_FEED_MALFORMED);
	/* A TCP length under a header; a message of 65535 bytes is counted
	 * past what is kept. */
	const struct l7_seg s3[] = { { C, "\x00\x05hello", 7, 0 } };

	free(l7_run_all(D, &l7_tcp, s3, 1, &rc));
	assert_int_equal(rc, BH_NET_FEED_MALFORMED);
	uint8_t *big = bh_calloc(1, 65537);

	n = msg(big, true, 2, 0x8180, "big.example.test", 16, 1, 65535 - 34);
	assert_int_equal(n, 65537);
	const struct l7_seg s4[] = { { S, big, n, 0 } };

	t = l7_run_flow(D, &l7_tcp, s4, 1, 1000, &rc);
	expect(t, "len=65535 qname=big.example.test\n");
	assert_int_equal(rc, BH_NET_FEED_MORE);
	free(t);
	free(big);
	/* Probes: not DNS. */
	assert_int_equal(D->probe(&l7_udp, C, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18),
			 BH_NET_PROBE_NO);
	assert_int_equal(D->probe(&l7_tcp, C, (const uint8_t *)"\x16\x03\x01\x02\x00\x01", 6),
			 BH_NET_PROBE_NO);
	assert_int_equal(D->probe(&l7_udp, C, (const uint8_t *)"\x00\x01", 2), BH_NET_PROBE_NO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nslookup_udp),  cmocka_unit_test(test_nslookup_tcp),
		cmocka_unit_test(test_zone_transfer), cmocka_unit_test(test_tunnel),
		cmocka_unit_test(test_amplification), cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
