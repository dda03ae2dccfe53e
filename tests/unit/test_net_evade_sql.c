/* SPDX-License-Identifier: Apache-2.0 */
/*
 * "Done" on the server's word only, PostgreSQL and MySQL: cleartext sent
 * after an SSLRequest/GSSENCRequest or a MySQL SSL request the server
 * refuses is inspected; compression makes the flow unparsable (net_evade.h).
 */
#include "net_evade.h"
#include "banned.h"

/* ---- PostgreSQL --------------------------------------------------------- */

static const char pg_ssl[] = "\0\0\0\x08\x04\xd2\x16\x2f";
static const char pg_gss[] = "\0\0\0\x08\x04\xd2\x16\x30";
static const char pg_startup[] = "\0\0\0\x12\0\x03\0\0user\0bob\0\0";

/* A simple query message of q (its NUL counted). */
static size_t pg_query(uint8_t *b, const char *q)
{
	size_t l = strlen(q) + 1;

	b[0] = 'Q';
	b[1] = b[2] = 0;
	b[3] = (uint8_t)((l + 4) >> 8);
	b[4] = (uint8_t)(l + 4);
	memcpy(b + 5, q, l);
	return 5 + l;
}

/*
 * SSLRequest, then at once (same segment, or the next before the answer)
 * a StartupMessage and an injected query; the server says 'N' and reads
 * them in clear. The old dissector returned DONE on the bytes after the
 * request ("did not wait for the answer"): no SQL record, no finding.
 */
static void test_pg_request_then_cleartext(void **state)
{
	static const char inj[] = "SELECT * FROM users WHERE name = '' OR 1=1 -- '";
	uint8_t b[512], q[256];
	size_t n = 0, ql = pg_query(q, inj);

	(void)state;
	memcpy(b, pg_ssl, 8);
	memcpy(b + 8, pg_startup, sizeof(pg_startup) - 1);
	n = 8 + sizeof(pg_startup) - 1;
	memcpy(b + n, q, ql);
	n += ql;
	/* one segment */
	{
		struct pkt c[] = { { 'c', b, n }, { 's', "N", 1 } };

		run(5432, c, 2);
		assert_string_equal(res.app, "postgresql");
		assert_string_equal(res.threats, "BH-NET-SQLI");
	}
	/* the request, then the rest before the answer; GSSENCRequest too */
	for (int gss = 0; gss < 2; gss++) {
		struct pkt c[] = { { 'c', gss ? pg_gss : pg_ssl, 8 },
				   { 'c', b + 8, n - 8 },
				   { 's', "N", 1 } };

		run(5432, c, 3);
		assert_string_equal(res.threats, "BH-NET-SQLI");
	}
	/* the answer 'N' then R (auth ok) in one segment, the query after */
	{
		struct pkt c[] = { { 'c', b, 8 + sizeof(pg_startup) - 1 },
				   { 's', "NR\0\0\0\x08\0\0\0\0", 10 },
				   { 'c', q, ql } };

		run(5432, c, 3);
		assert_string_equal(res.threats, "BH-NET-SQLI");
	}
	/* bytes that are no startup message after the request: given up on
	 * from their first byte, scanned as unknown bytes */
	memcpy(b + 8, card, sizeof(card) - 1);
	{
		struct pkt c[] = { { 'c', b, 8 + sizeof(card) - 1 }, { 's', "N", 1 } };

		run(5432, c, 2);
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
		assert_int_equal(res.gave_up, 1);
	}
}

/* The server accepts ('S' / 'G'): encrypted from there, inspection ends. */
static void test_pg_request_accepted(void **state)
{
	uint8_t ch[256];
	size_t chl = client_hello(ch, false, "db.example");

	(void)state;
	{
		struct pkt c[] = { { 'c', pg_ssl, 8 }, { 's', "S", 1 }, { 'c', ch, chl } };

		run(5432, c, 3);
		assert_ended("postgresql");
	}
	{
		struct pkt c[] = { { 'c', pg_gss, 8 }, { 's', "G", 1 }, { 'c', "\x60\x82", 2 } };

		run(5432, c, 3);
		assert_ended("postgresql");
	}
	/* 'S' to a GSSENCRequest is no acceptance: the session goes on */
	{
		uint8_t q[256];
		size_t ql = pg_query(q, "SELECT 1 FROM t WHERE a = '' OR '1'='1'");
		struct pkt c[] = { { 'c', pg_gss, 8 },
				   { 's', "S", 1 },
				   { 'c', pg_startup, sizeof(pg_startup) - 1 },
				   { 'c', q, ql } };

		run(5432, c, 4);
		assert_string_equal(res.threats, "BH-NET-SQLI");
	}
}

/* ---- MySQL -------------------------------------------------------------- */

/* The server's greeting, offering SSL or not. */
static size_t my_greeting(uint8_t *b, bool ssl)
{
	static const char v[] = "8.0.36";
	size_t n = 4;
	uint32_t caps = 0x0200 | 0x8000 | (ssl ? 0x0800 : 0) | 0x00080000;

	b[n++] = 0x0a;
	memcpy(b + n, v, sizeof(v));
	n += sizeof(v);
	memset(b + n, 1, 4 + 8); /* connection id, auth data 1 */
	n += 12;
	b[n++] = 0;
	b[n++] = (uint8_t)caps;
	b[n++] = (uint8_t)(caps >> 8);
	b[n++] = 0xff; /* charset */
	b[n++] = 2;
	b[n++] = 0;
	b[n++] = (uint8_t)(caps >> 16);
	b[n++] = (uint8_t)(caps >> 24);
	b[n++] = 21;
	memset(b + n, 0, 10);
	n += 10;
	memset(b + n, 2, 12);
	n += 12;
	b[n++] = 0;
	memcpy(b + n, "mysql_native_password", 22);
	n += 22;
	b[0] = (uint8_t)(n - 4);
	b[1] = b[2] = b[3] = 0;
	return n;
}

/* The SSL request: sequence 1, 32 bytes, CLIENT_SSL set. */
static size_t my_ssl_request(uint8_t *b)
{
	uint32_t caps = 0x0200 | 0x8000 | 0x0800 | 0x00080000;

	memset(b, 0, 36);
	b[0] = 32;
	b[3] = 1;
	b[4] = (uint8_t)caps;
	b[5] = (uint8_t)(caps >> 8);
	b[6] = (uint8_t)(caps >> 16);
	b[7] = (uint8_t)(caps >> 24);
	b[8 + 2] = 1; /* max packet 16 MiB */
	b[12] = 0xff;
	return 36;
}

/* COM_QUERY of q, sequence 0. */
static size_t my_query(uint8_t *b, const char *q)
{
	size_t l = strlen(q) + 1;

	b[0] = (uint8_t)l;
	b[1] = b[2] = b[3] = 0;
	b[4] = 3;
	memcpy(b + 5, q, l - 1);
	return 4 + l;
}

/*
 * The SSL request, then cleartext: to a server that offered no SSL, and to
 * one that did but is sent no TLS record. The old dissector returned DONE
 * on the request itself.
 */
static void test_mysql_ssl_request_then_cleartext(void **state)
{
	uint8_t g[128], r[64], q[256], b[512];
	size_t rl = my_ssl_request(r),
	       ql = my_query(q, "SELECT * FROM pay WHERE card = '4111 1111 1111 1111'");

	(void)state;
	for (int ssl = 0; ssl < 2; ssl++) {
		size_t gl = my_greeting(g, ssl);
		struct pkt c[] = { { 's', g, gl }, { 'c', r, rl }, { 'c', q, ql } };

		run(3306, c, 3);
		assert_string_equal(res.app, "mysql");
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
		assert_int_equal(res.gave_up, 1);
	}
	/* the request and the query in one segment */
	{
		size_t gl = my_greeting(g, true);

		memcpy(b, r, rl);
		memcpy(b + rl, q, ql);
		struct pkt c[] = { { 's', g, gl }, { 'c', b, rl + ql } };

		run(3306, c, 2);
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
	}
	/* the TLS record's header split: 0x16, then cleartext */
	{
		size_t gl = my_greeting(g, true);

		memcpy(b, r, rl);
		b[rl] = 22;
		struct pkt c[] = { { 's', g, gl }, { 'c', b, rl + 1 }, { 'c', S(card) } };

		run(3306, c, 3);
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
	}
}

static void test_mysql_ssl_accepted(void **state)
{
	uint8_t g[128], r[64], ch[256], b[512];
	size_t gl = my_greeting(g, true), rl = my_ssl_request(r),
	       chl = client_hello(ch, false, NULL);

	(void)state;
	{
		struct pkt c[] = { { 's', g, gl }, { 'c', r, rl }, { 'c', ch, chl } };

		run(3306, c, 3);
		assert_ended("mysql");
	}
	/* the request and the ClientHello in one segment, the header split */
	memcpy(b, r, rl);
	memcpy(b + rl, ch, 2);
	{
		struct pkt c[] = { { 's', g, gl }, { 'c', b, rl + 2 }, { 'c', ch + 2, chl - 2 } };

		run(3306, c, 3);
		assert_ended("mysql");
	}
}

/* A handshake response with the capabilities caps (sequence 1, user bob). */
static size_t my_login(uint8_t *b, uint32_t caps)
{
	size_t n = 4;

	memset(b, 0, 64);
	b[n++] = (uint8_t)caps;
	b[n++] = (uint8_t)(caps >> 8);
	b[n++] = (uint8_t)(caps >> 16);
	b[n++] = (uint8_t)(caps >> 24);
	b[n + 2] = 1; /* max packet 16 MiB */
	n += 4;
	b[n++] = 0xff;
	n += 23;
	memcpy(b + n, "bob", 4);
	n += 4;
	b[n++] = 0; /* no auth data */
	b[0] = (uint8_t)(n - 4);
	b[3] = 1;
	return n;
}

/*
 * Compression (zlib, or zstd: bit 26) offered by both: the packets after
 * the handshake response are not read; the old dissector ended inspection
 * (DONE) on the client's word, and knew no zstd. Now the flow is given up
 * on (unparsable, for policy), not done; without compression it is read.
 */
static void test_mysql_compression_unparsable(void **state)
{
	static const uint32_t zip[] = { 0x20, 0x04000000 };
	uint8_t g[128], l[64], q[256];
	size_t ql = my_query(q, "SELECT * FROM t WHERE id = '1' OR '1'='1' -- ");
	uint32_t base = 0x0200 | 0x8000 | 0x00080000;

	(void)state;
	for (int z = 0; z < 2; z++) {
		size_t gl = my_greeting(g, false);

		g[25] |= (uint8_t)zip[z];
		g[31] |= (uint8_t)(zip[z] >> 24);
		struct pkt c[] = { { 's', g, gl },
				   { 'c', l, my_login(l, base | zip[z]) },
				   { 's', S("\x07\0\0\x02\0\0\0\x02\0\0\0") },
				   { 'c', q, ql } };

		run(3306, c, 4);
		assert_string_equal(res.app, "mysql");
		assert_int_equal(res.gave_up, 1);
		assert_false(res.settled);
	}
	/* the client alone asks for it: read on */
	{
		size_t gl = my_greeting(g, false);
		struct pkt c[] = { { 's', g, gl },
				   { 'c', l, my_login(l, base | 0x20) },
				   { 's', S("\x07\0\0\x02\0\0\0\x02\0\0\0") },
				   { 'c', q, ql } };

		run(3306, c, 4);
		assert_string_equal(res.threats, "BH-NET-SQLI");
		assert_int_equal(res.gave_up, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pg_request_then_cleartext),
		cmocka_unit_test(test_pg_request_accepted),
		cmocka_unit_test(test_mysql_ssl_request_then_cleartext),
		cmocka_unit_test(test_mysql_ssl_accepted),
		cmocka_unit_test(test_mysql_compression_unparsable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
