/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The MySQL and PostgreSQL dissectors: real sessions (MariaDB 10.11,
 * PostgreSQL 15, tests/data/l7/record.sh) split at every byte, the TLS
 * switches, prepared statements, a 16 MiB multi-packet statement recorded
 * cut, and hostile lengths.
 */
#include "unit.h"
#include "l7_record.h"
#include "banned.h"

/* A MySQL packet: header then payload, into b; returns its size. */
static size_t pkt(uint8_t *b, uint8_t seq, const void *payload, size_t n)
{
	b[0] = (uint8_t)n;
	b[1] = (uint8_t)(n >> 8);
	b[2] = (uint8_t)(n >> 16);
	b[3] = seq;
	memcpy(b + 4, payload, n);
	return n + 4;
}

static char *big_want(const char *head, const char *prefix, size_t total, char fill)
{
	size_t hl = strlen(head), pl = strlen(prefix);
	char *w = malloc(hl + total + 8);

	memcpy(w, head, hl);
	memcpy(w + hl, prefix, pl);
	memset(w + hl + pl, fill, total - pl);
	memcpy(w + hl + total, "\n", 2);
	return w;
}

static void test_mysql_recorded(void **state)
{
	struct bh_net_flow_info fl = l7_flow(13306);
	const struct bh_net_dissector *d = l7_find("mysql");
	struct l7_msg m[32];
	size_t n = l7_conv_load("mysql", 0, m, 32);
	char *cut = big_want("C sql(cut) ", "SELECT LENGTH('", 16383, 'a');
	char want[20000];

	(void)state;
	assert_int_equal(l7_probe(d, BH_NET_TO_CLIENT, m[0].p, m[0].n), BH_NET_PROBE_YES);
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, m[1].p, m[1].n), BH_NET_PROBE_YES);
	snprintf(want, sizeof(want), "%s%sDONE\n",
		 "S cmd greeting|5.5.5-10.11.19-MariaDB-0+deb12u1\n"
		 "C cmd login|app\n"
		 "C cmd database|mysql\n"
		 "C sql SELECT user, host FROM user WHERE user = 'x'\n"
		 "C sql SELECT DATABASE()\n"
		 "C cmd database|test\n",
		 cut);
	l7_check(d, &fl, m, n, want);
	free(cut);

	/* the same greeting, then an SSL request: TLS follows, and ends
	 * inspection once its first record is seen (not on the request) */
	uint8_t ssl[64], p[32] = { 0 };
	uint32_t caps = 0x00000200 | 0x00000800 | 0x00008000;
	memcpy(p, &caps, 4);
	struct l7_msg t[] = { m[0],
			      { BH_NET_TO_SERVER, ssl, pkt(ssl, 1, p, 32) },
			      L7_MSG(BH_NET_TO_SERVER, "\x16\x03\x01\x02\x00\x01") };
	l7_check(d, &fl, t, 2, "S cmd greeting|5.5.5-10.11.19-MariaDB-0+deb12u1\n");
	/* this server offered no SSL: the TLS bytes are not the end */
	l7_check(d, &fl, t, 3, "S cmd greeting|5.5.5-10.11.19-MariaDB-0+deb12u1\nMALFORMED\n");
	/* the same greeting offering SSL (CLIENT_SSL in its capabilities) */
	uint8_t g[1024];
	const uint8_t *z = memchr((const uint8_t *)m[0].p + 5, 0, m[0].n - 5);
	assert_true(z && m[0].n <= sizeof(g));
	memcpy(g, m[0].p, m[0].n);
	g[(size_t)(z - (const uint8_t *)m[0].p) + 1 + 14] |= 0x08;
	t[0] = (struct l7_msg){ BH_NET_TO_CLIENT, g, m[0].n };
	l7_check(d, &fl, t, 3, "S cmd greeting|5.5.5-10.11.19-MariaDB-0+deb12u1\nDONE\n");
	/* cleartext after the request: given up on (test_net_evade_sql.c) */
	struct l7_msg u[] = { m[0], t[1], L7_MSG(BH_NET_TO_SERVER, "\x09\0\0\0\x03SELECT 1") };
	l7_check(d, &fl, u, 3, "S cmd greeting|5.5.5-10.11.19-MariaDB-0+deb12u1\nMALFORMED\n");
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, t[1].p, t[1].n), BH_NET_PROBE_YES);

	/* prepared statements, a 16 MiB multi-packet query cut, then more */
	static uint8_t big[(1 << 24) + 4096];
	static uint8_t q[(1 << 24) + 4096];
	size_t o = 0;
	o += pkt(big + o, 0, "\x16SELECT ? FROM t", 16);
	o += pkt(big + o, 0, "\x02other", 6);
	q[0] = 3;
	memcpy(q + 1, "SELECT '", 8);
	memset(q + 9, 'b', 0xffffff - 9);
	o += pkt(big + o, 0, q, 0xffffff);
	memset(q, 'b', 100);
	memcpy(q + 98, "'", 1);
	o += pkt(big + o, 1, q, 99);
	o += pkt(big + o, 0, "\x03SELECT 2", 9);
	o += pkt(big + o, 0, "\x03", 1);
	o += pkt(big + o, 0, "\x0e", 1); /* COM_PING */
	struct l7_msg b[] = { m[0], m[1], { BH_NET_TO_SERVER, big, o } };
	static struct l7_log log;
	cut = big_want("C sql(cut) ", "SELECT '", 16383, 'b');
	snprintf(want, sizeof(want), "%s%s%s",
		 "S cmd greeting|5.5.5-10.11.19-MariaDB-0+deb12u1\n"
		 "C cmd login|app\n"
		 "C cmd database|mysql\n"
		 "C sql SELECT ? FROM t\n"
		 "C cmd database|other\n",
		 cut, "C sql SELECT 2\nC sql \n");
	free(cut);
	size_t splits[] = { 0, 1, 3, 17, 4000, 0xffffff, 0x1000005, SIZE_MAX };
	for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
		if (splits[i] == SIZE_MAX)
			continue; /* byte by byte over 16 MiB: too slow for a unit test */
		l7_run(d, &fl, b, 3, splits[i], false, &log);
		if (strcmp(log.buf, want))
			fail_msg("split %zu: %.300s", splits[i], log.buf);
	}
	l7_conv_free(m, n);
}

/* A MySQL 8 server and client that both speak query attributes. */
static void test_mysql_attributes(void **state)
{
	struct bh_net_flow_info fl = l7_flow(3306);
	const struct bh_net_dissector *d = l7_find("mysql");
	uint32_t caps = 0x200 | 0x8000 | 0x80000 | 0x8 | 0x08000000 | 0x200000;
	uint8_t g[128], h[128], c[256], p[128];
	size_t n = 0;

	(void)state;
	p[n++] = 10;
	memcpy(p + n, "8.0.36", 7);
	n += 7;
	memset(p + n, 1, 4 + 8);
	n += 12;
	p[n++] = 0;
	p[n++] = (uint8_t)caps;
	p[n++] = (uint8_t)(caps >> 8);
	p[n++] = 255;
	p[n++] = 2;
	p[n++] = 0;
	p[n++] = (uint8_t)(caps >> 16);
	p[n++] = (uint8_t)(caps >> 24);
	p[n++] = 21;
	memset(p + n, 0, 10);
	n += 10;
	memset(p + n, 2, 13);
	n += 13;
	memcpy(p + n, "caching_sha2_password", 22);
	n += 22;
	struct l7_msg m[4] = { { BH_NET_TO_CLIENT, g, pkt(g, 0, p, n) } };
	n = 0;
	memcpy(p, &caps, 4);
	memset(p + 4, 0, 28);
	p[8] = 255;
	n = 32;
	memcpy(p + n, "root", 5);
	n += 5;
	p[n++] = 20;
	memset(p + n, 7, 20);
	n += 20;
	memcpy(p + n, "db1", 4);
	n += 4;
	memcpy(p + n, "caching_sha2_password", 22);
	n += 22;
	m[1] = (struct l7_msg){ BH_NET_TO_SERVER, h, pkt(h, 1, p, n) };
	size_t o = pkt(c, 0, "\x03\x00\x01SELECT 1", 11);
	/* one attribute: NULL bitmap, bind flag, type STRING, name "a", value "hi" */
	o += pkt(c + o, 0,
		 "\x03\x01\x01\x00\x01\xfe\x00\x01"
		 "a\x02hiSELECT 2",
		 20);
	/* one attribute, NULL */
	o += pkt(c + o, 0,
		 "\x03\x01\x01\x01\x01\x03\x00\x01"
		 "aSELECT 3",
		 17);
	/* an attribute whose value does not fit: the text is unknown */
	o += pkt(c + o, 0,
		 "\x03\x01\x01\x00\x01\xfe\x00\x01"
		 "a\x09hi",
		 12);
	m[2] = (struct l7_msg){ BH_NET_TO_SERVER, c, o };
	l7_check(d, &fl, m, 3,
		 "S cmd greeting|8.0.36\n"
		 "C cmd login|root\n"
		 "C cmd database|db1\n"
		 "C sql SELECT 1\n"
		 "C sql SELECT 2\n"
		 "C sql SELECT 3\n"
		 "C sql(cut) \n");
}

static void test_mysql_hostile(void **state)
{
	struct bh_net_flow_info fl = l7_flow(3306);
	const struct bh_net_dissector *d = l7_find("mysql");
	static struct l7_log log;
	uint8_t b[256];

	(void)state;
	/* protocol 9 */
	struct l7_msg m[] = { { BH_NET_TO_CLIENT, b,
				pkt(b, 0,
				    "\x09"
				    "4.0\0xxxxxxxx",
				    13) } };
	l7_run(d, &fl, m, 1, 0, false, &log);
	assert_string_equal(log.buf, "MALFORMED\n");
	/* a 4.1 handshake response shorter than its fixed part */
	m[0] = (struct l7_msg){ BH_NET_TO_SERVER, b, pkt(b, 1, "\x00\x02\x00\x00\x00", 5) };
	l7_run(d, &fl, m, 1, 0, false, &log);
	assert_string_equal(log.buf, "MALFORMED\n");
	/* an empty command packet */
	m[0] = (struct l7_msg){ BH_NET_TO_SERVER, b, pkt(b, 0, "", 0) };
	l7_run(d, &fl, m, 1, 0, false, &log);
	assert_string_equal(log.buf, "MALFORMED\n");
	/* a user with no NUL, auth lengths past the end */
	uint8_t p[64] = { 0 };
	uint32_t caps = 0x200 | 0x8 | 0x200000;
	memcpy(p, &caps, 4);
	memcpy(p + 32, "rootrootroot", 12);
	m[0] = (struct l7_msg){ BH_NET_TO_SERVER, b, pkt(b, 1, p, 44) };
	l7_run(d, &fl, m, 1, 0, false, &log);
	assert_string_equal(log.buf, "C cmd login|rootrootroot\n");
	p[36] = 0;
	p[37] = 0xfe; /* an 8-byte length that is not there */
	m[0] = (struct l7_msg){ BH_NET_TO_SERVER, b, pkt(b, 1, p, 44) };
	l7_run(d, &fl, m, 1, 0, false, &log);
	assert_string_equal(log.buf, "C cmd login|root\n");
	/* identification: an HTTP request, a TLS hello, an error greeting */
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, "GET / HTTP/1.1\r\n", 16), BH_NET_PROBE_NO);
	assert_int_equal(l7_probe(d, BH_NET_TO_CLIENT, "\x16\x03\x01\x00\x50\x02", 6),
			 BH_NET_PROBE_NO);
	assert_int_equal(l7_probe(d, BH_NET_TO_CLIENT, "\x17\x00\x00\x00\xff\x6a\x04Host", 11),
			 BH_NET_PROBE_MAYBE); /* the whole error packet: a server error code and a
						 printable message fill it */
	{
		static const char e1130[] = "\x2d\x00\x00\x00\xff\x6a\x04"
					    "Host '10.78.0.2' is not allowed to connect";
		char bad[sizeof(e1130)];

		assert_int_equal(l7_probe(d, BH_NET_TO_CLIENT, e1130, sizeof(e1130) - 1),
				 BH_NET_PROBE_YES);
		memcpy(bad, e1130, sizeof(e1130));
		bad[20] = 0x01; /* not text */
		assert_int_equal(l7_probe(d, BH_NET_TO_CLIENT, bad, sizeof(e1130) - 1),
				 BH_NET_PROBE_MAYBE);
		memcpy(bad, e1130, sizeof(e1130));
		bad[6] = 0x00; /* code 106: not a server error */
		assert_int_equal(l7_probe(d, BH_NET_TO_CLIENT, bad, sizeof(e1130) - 1),
				 BH_NET_PROBE_MAYBE);
	}
}

static void test_pg_recorded(void **state)
{
	struct bh_net_flow_info fl = l7_flow(15432);
	const struct bh_net_dissector *d = l7_find("postgresql");
	struct l7_msg m[32];
	size_t n = l7_conv_load("postgresql", 0, m, 32);

	(void)state;
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, m[0].p, m[0].n), BH_NET_PROBE_YES);
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, m[2].p, m[2].n), BH_NET_PROBE_YES);
	l7_check(d, &fl, m, n,
		 "C cmd login|postgres\n"
		 "C cmd database|postgres\n"
		 "C sql SELECT datname FROM pg_database WHERE datname = 'x'\n"
		 "DONE\n");
	l7_conv_free(m, n);
	n = l7_conv_load("postgresql-extended", 1, m, 32);
	l7_check(d, &fl, m, n,
		 "C cmd login|postgres\n"
		 "C cmd database|postgres\n"
		 "C sql SELECT $1 + 1;\n"
		 "DONE\n");
	l7_conv_free(m, n);
}

static void test_pg_switches(void **state)
{
	struct bh_net_flow_info fl = l7_flow(5432);
	const struct bh_net_dissector *d = l7_find("postgresql");
	static const char startup[] = "\x00\x00\x00\x1e\x00\x03\x00\x00user\0bob\0database\0db\0\0";

	(void)state;
	struct l7_msg ssl[] = { L7_MSG(BH_NET_TO_SERVER, "\x00\x00\x00\x08\x04\xd2\x16\x2f"),
				L7_MSG(BH_NET_TO_CLIENT, "S"),
				L7_MSG(BH_NET_TO_SERVER, "\x16\x03\x01\x02\x00") };
	l7_check(d, &fl, ssl, 3, "DONE\n");
	struct l7_msg gss[] = { L7_MSG(BH_NET_TO_SERVER, "\x00\x00\x00\x08\x04\xd2\x16\x30"),
				L7_MSG(BH_NET_TO_CLIENT, "N"),
				{ BH_NET_TO_SERVER, startup, sizeof(startup) - 1 },
				L7_MSG(BH_NET_TO_SERVER, "Q\x00\x00\x00\x0dSELECT 1\0") };
	l7_check(d, &fl, gss, 4, "C cmd login|bob\nC cmd database|db\nC sql SELECT 1\n");
	struct l7_msg cancel[] = { L7_MSG(BH_NET_TO_SERVER, "\x00\x00\x00\x10\x04\xd2\x16\x2e"
							    "\x00\x00\x01\x00\x12\x34\x56\x78") };
	l7_check(d, &fl, cancel, 1, "C cmd cancel|\nDONE\n");
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, cancel[0].p, cancel[0].n), BH_NET_PROBE_YES);
	/* a client that sends its ClientHello without waiting for 'S': not
	 * the end on its word; no StartupMessage, so given up on (the engine
	 * identifies it anew: TLS, test_net_evade_sql.c) */
	struct l7_msg eager[] = { L7_MSG(BH_NET_TO_SERVER, "\x00\x00\x00\x08\x04\xd2\x16\x2f"
							   "\x16\x03\x01\x02\x00") };
	l7_check(d, &fl, eager, 1, "MALFORMED\n");
	/* the request and a StartupMessage and a query before the answer:
	 * read; 'N' goes on, 'S' would have ended it */
	struct l7_msg early[] = { L7_MSG(BH_NET_TO_SERVER, "\x00\x00\x00\x08\x04\xd2\x16\x2f"),
				  { BH_NET_TO_SERVER, startup, sizeof(startup) - 1 },
				  L7_MSG(BH_NET_TO_SERVER, "Q\x00\x00\x00\x0dSELECT 1\0"),
				  L7_MSG(BH_NET_TO_CLIENT, "N") };
	l7_check(d, &fl, early, 4, "C cmd login|bob\nC cmd database|db\nC sql SELECT 1\n");
	early[3] = (struct l7_msg)L7_MSG(BH_NET_TO_CLIENT, "S");
	l7_check(d, &fl, early, 4, "C cmd login|bob\nC cmd database|db\nC sql SELECT 1\nDONE\n");
}

static void test_pg_bounds(void **state)
{
	struct bh_net_flow_info fl = l7_flow(5432);
	const struct bh_net_dissector *d = l7_find("postgresql");
	static const char startup[] = "\x00\x00\x00\x0e\x00\x03\x00\x00user\0\0";
	static uint8_t q[40000];
	static struct l7_log log;

	(void)state;
	/* a 30000-byte query: recorded cut */
	q[0] = 'Q';
	q[1] = 0;
	q[2] = 0;
	q[3] = (30005 >> 8) & 0xff;
	q[4] = 30005 & 0xff;
	memcpy(q + 5, "SELECT '", 8);
	memset(q + 13, 'c', 30000 - 8);
	q[5 + 30000] = 0;
	memcpy(q + 5 + 30001, "X\0\0\0\4", 5);
	struct l7_msg m[] = { { BH_NET_TO_SERVER, startup, sizeof(startup) - 1 },
			      { BH_NET_TO_SERVER, q, 5 + 30001 + 5 } };
	char *want = big_want("C cmd login|\nC sql(cut) ", "SELECT '", 16384, 'c');
	want = realloc(want, strlen(want) + 8);
	memcpy(want + strlen(want), "DONE\n", 6);
	l7_check(d, &fl, m, 2, want);
	free(want);

	static const struct {
		const char *p;
		size_t n;
	} bad[] = {
		{ "\x00\x00\x4e\x30\x00\x03\x00\x00", 8 },	    /* a 20000-byte startup */
		{ "\x00\x00\x00\x07\x00\x03\x00\x00", 8 },	    /* shorter than its code */
		{ "\x00\x00\x00\x0e\x00\x02\x00\x00user\0\0", 14 }, /* protocol 2 */
		{ "\x00\x00\x00\x0e\x00\x03\x00\x00user\0\0Q\x00\x00\x00\x03", 19 }, /* length 3 */
		{ "\x00\x00\x00\x0e\x00\x03\x00\x00user\0\0Q\x40\x00\x00\x00", 19 }, /* 1 GiB */
		{ "\x00\x00\x00\x0e\x00\x03\x00\x00user\0\0Q\x00\x00\x00\x06xy", 21 }, /* no NUL */
		{ "\x00\x00\x00\x0e\x00\x03\x00\x00user\0\0P\x00\x00\x00\x06xy", 21 },
		{ "\x00\x00\x00\x0d\x00\x03\x00\x00user\0", 13 }, /* a key without value */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct l7_msg b[] = { { BH_NET_TO_SERVER, bad[i].p, bad[i].n } };
		l7_run(d, &fl, b, 1, 0, false, &log);
		if (!strstr(log.buf, "MALFORMED"))
			fail_msg("bad[%zu] accepted: %s", i, log.buf);
	}
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, "GET / HTTP/1.1\r\n", 16), BH_NET_PROBE_NO);
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, bad[0].p, 8), BH_NET_PROBE_NO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mysql_recorded), cmocka_unit_test(test_mysql_attributes),
		cmocka_unit_test(test_mysql_hostile),  cmocka_unit_test(test_pg_recorded),
		cmocka_unit_test(test_pg_switches),    cmocka_unit_test(test_pg_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
