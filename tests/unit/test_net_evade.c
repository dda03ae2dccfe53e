/* SPDX-License-Identifier: Apache-2.0 */
/*
 * "Done" on the server's word only (issue 16's evasion): a dissector that
 * ended inspection when the CLIENT announced encryption or a tunnel let an
 * attacker send the announcement and cleartext in the same breath to a
 * server that refuses (PostgreSQL 'N', SMTP 454, FTP 504, MySQL without
 * SSL, a cleartext server behind a fake TLS handshake, a 101 to a request
 * that asked for no upgrade): that cleartext went uninspected. Each case
 * here runs the whole engine with the built-in dissectors over a TCP
 * conversation: the evasion is detected (an SQL injection or a card
 * number), and the honest conversation (the server accepts, real TLS bytes
 * follow) still ends inspection: no give-up, the last packet's direction
 * settled (offloadable), nothing found.
 */
#include <arpa/inet.h>

#include "unit.h"
#include "bulkhead/net.h"
#include "net/dissect.h"
#include "net/net_int.h"
#include "banned.h"

/* ---- a conversation through the engine ---------------------------------- */

struct out {
	char app[16], threats[256], dlp[256];
	bool settled; /* after the last packet */
	uint64_t gave_up;
	size_t nrecs;
};

static struct out res;

static void keep_flow(const struct bh_net_flow_record *r, void *arg)
{
	(void)arg;
	res.nrecs++;
	snprintf(res.app, sizeof(res.app), "%s", r->app);
	for (size_t i = 0; i < r->n_threats; i++) {
		size_t l = strlen(res.threats);

		snprintf(res.threats + l, sizeof(res.threats) - l, "%s%s", l ? "," : "",
			 r->threats[i].id);
	}
	for (size_t i = 0; i < r->n_dlp; i++) {
		size_t l = strlen(res.dlp);

		snprintf(res.dlp + l, sizeof(res.dlp) - l, "%s%s", l ? "," : "", r->dlp[i].type);
	}
}

/* One segment: 'c' from the client, 's' from the server. */
struct pkt {
	char from;
	const void *p;
	size_t n;
};

static uint8_t P[70000];

static void tcp(struct bh_net_engine *e, double ts, bool cl, uint16_t port, uint32_t seq,
		uint8_t flags, const void *data, size_t n)
{
	uint8_t *t = P + 20;
	size_t tot = 40 + n;

	memset(P, 0, 40);
	P[0] = 0x45;
	P[2] = (uint8_t)(tot >> 8);
	P[3] = (uint8_t)tot;
	P[8] = 64;
	P[9] = 6;
	inet_pton(AF_INET, cl ? "10.0.0.1" : "10.0.0.2", P + 12);
	inet_pton(AF_INET, cl ? "10.0.0.2" : "10.0.0.1", P + 16);
	uint16_t sp = cl ? 40000 : port, dp = cl ? port : 40000;
	t[0] = (uint8_t)(sp >> 8);
	t[1] = (uint8_t)sp;
	t[2] = (uint8_t)(dp >> 8);
	t[3] = (uint8_t)dp;
	t[4] = (uint8_t)(seq >> 24);
	t[5] = (uint8_t)(seq >> 16);
	t[6] = (uint8_t)(seq >> 8);
	t[7] = (uint8_t)seq;
	t[12] = 5 << 4;
	t[13] = flags;
	if (n)
		memcpy(t + 20, data, n);
	bh_net_engine_packet(e, P, tot, BH_NET_LINK_RAW, ts, NULL);
}

/* The conversation pk[0..n) on a connection to port; the result in res. */
static void run(uint16_t port, const struct pkt *pk, size_t n)
{
	struct bh_net_opts o = { .dissectors = bh_net_dissectors, .on_flow = keep_flow };
	struct bh_net_engine *e = NULL;
	struct bh_net_stats st;
	uint32_t seq[2] = { 100, 500 };
	double ts = 1.0;

	memset(&res, 0, sizeof(res));
	assert_int_equal(bh_net_engine_new(&o, &e, NULL), 0);
	tcp(e, ts, true, port, 99, NET_TCP_SYN, NULL, 0);
	tcp(e, ts, false, port, 499, NET_TCP_SYN | NET_TCP_ACK, NULL, 0);
	tcp(e, ts, true, port, 100, NET_TCP_ACK, NULL, 0);
	for (size_t i = 0; i < n; i++) {
		int d = pk[i].from == 's';

		ts += 0.01;
		tcp(e, ts, !d, port, seq[d], NET_TCP_ACK, pk[i].p, pk[i].n);
		seq[d] += (uint32_t)pk[i].n;
		res.settled = bh_net_engine_settled(e);
	}
	bh_net_engine_stats(e, &st);
	res.gave_up = st.gave_up;
	bh_net_engine_flush(e);
	bh_net_engine_free(e);
	assert_int_equal(res.nrecs, 1);
}

#define S(x) (x), sizeof(x) - 1

/* The honest end: the server accepted, encrypted bytes follow, nothing
 * found, nothing given up, the last packet's direction settled. */
static void assert_ended(const char *app)
{
	assert_string_equal(res.app, app);
	assert_string_equal(res.threats, "");
	assert_int_equal(res.gave_up, 0);
	assert_true(res.settled);
}

/* ---- TLS bytes ---------------------------------------------------------- */

/* ClientHello extensions of hello_ext(). */
enum { EX_EARLY = 1, EX_V13 = 2, EX_PSK = 4, EX_0RTT = 7 };

/* A ClientHello record with the extensions ex (EX_*), or with junk (a card
 * number) in its SNI; returns its length. */
static size_t hello_ext(uint8_t *b, unsigned ex, const char *sni)
{
	size_t n = 0, h, ext;

	b[n++] = 22;
	b[n++] = 3;
	b[n++] = 1;
	n += 2; /* record length */
	h = n;
	b[n++] = 1;
	n += 3; /* handshake length */
	b[n++] = 3;
	b[n++] = 3;
	memset(b + n, 0x5a, 32);
	n += 32;
	b[n++] = 0; /* session id */
	b[n++] = 0;
	b[n++] = 2;
	b[n++] = 0x13;
	b[n++] = 0x01;
	b[n++] = 1;
	b[n++] = 0;
	ext = n;
	n += 2;
	if (sni) {
		size_t l = strlen(sni);

		b[n++] = 0;
		b[n++] = 0;
		b[n++] = (uint8_t)((l + 5) >> 8);
		b[n++] = (uint8_t)(l + 5);
		b[n++] = (uint8_t)((l + 3) >> 8);
		b[n++] = (uint8_t)(l + 3);
		b[n++] = 0;
		b[n++] = (uint8_t)(l >> 8);
		b[n++] = (uint8_t)l;
		memcpy(b + n, sni, l);
		n += l;
	}
	if (ex & EX_V13) { /* supported_versions: 1.3, 1.2 */
		static const uint8_t sv[] = { 0, 43, 0, 5, 4, 3, 4, 3, 3 };

		memcpy(b + n, sv, sizeof(sv));
		n += sizeof(sv);
	}
	if (ex & EX_EARLY) {
		b[n++] = 0;
		b[n++] = 42;
		b[n++] = 0;
		b[n++] = 0;
	}
	if (ex & EX_PSK) { /* pre_shared_key (last): one identity, one binder */
		static const uint8_t psk[] = { 0, 41, 0, 17, 0, 8, 0, 2, 't', 'k', 0,
					       0, 0,  1, 0,  5, 4, 1, 2, 3,   4 };

		memcpy(b + n, psk, sizeof(psk));
		n += sizeof(psk);
	}
	b[ext] = (uint8_t)((n - ext - 2) >> 8);
	b[ext + 1] = (uint8_t)(n - ext - 2);
	b[3] = (uint8_t)((n - 5) >> 8);
	b[4] = (uint8_t)(n - 5);
	b[h + 1] = 0;
	b[h + 2] = (uint8_t)((n - h - 4) >> 8);
	b[h + 3] = (uint8_t)(n - h - 4);
	return n;
}

/* A ClientHello (early: a real 0-RTT one, early_data with a PSK in TLS 1.3). */
static size_t client_hello(uint8_t *b, bool early, const char *sni)
{
	return hello_ext(b, early ? EX_0RTT : 0, sni);
}

/* A ServerHello record selecting TLS 1.3 (else 1.2). */
static size_t server_hello(uint8_t *b, bool tls13)
{
	size_t n = 0;

	b[n++] = 22;
	b[n++] = 3;
	b[n++] = 3;
	n += 2;
	b[n++] = 2;
	b[n++] = 0;
	n += 2;
	b[n++] = 3;
	b[n++] = 3;
	memset(b + n, 0x33, 32);
	n += 32;
	b[n++] = 0;
	b[n++] = 0x13;
	b[n++] = 0x01;
	b[n++] = 0;
	if (tls13) {
		static const uint8_t sv[] = { 0, 6, 0, 43, 0, 2, 3, 4 };

		memcpy(b + n, sv, sizeof(sv));
		n += sizeof(sv);
	}
	b[3] = (uint8_t)((n - 5) >> 8);
	b[4] = (uint8_t)(n - 5);
	b[7] = (uint8_t)((n - 9) >> 8);
	b[8] = (uint8_t)(n - 9);
	return n;
}

/* A record of type t around the text s. */
static size_t record(uint8_t *b, uint8_t t, const char *s)
{
	size_t l = strlen(s);

	b[0] = t;
	b[1] = 3;
	b[2] = 3;
	b[3] = (uint8_t)(l >> 8);
	b[4] = (uint8_t)l;
	memcpy(b + 5, s, l);
	return 5 + l;
}

static const char card[] = "card 4111 1111 1111 1111 exp 12/29";
static const char ccs[] = "\x14\x03\x03\x00\x01\x01";

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

/* ---- SMTP and FTP ------------------------------------------------------- */

/*
 * STARTTLS / AUTH TLS, then a ClientHello without waiting for the answer;
 * the server refuses (454 / 504) and reads on in clear. The old dissectors
 * returned DONE on the ClientHello's first byte.
 */
static void test_smtp_ftp_hello_before_answer(void **state)
{
	uint8_t ch[256], b[512];
	size_t chl = client_hello(ch, false, "mx.example"), n;

	(void)state;
	memcpy(b, "STARTTLS\r\n", 10);
	memcpy(b + 10, ch, chl);
	n = 10 + chl;
	{
		struct pkt c[] = { { 's', S("220 mx.example ESMTP\r\n") },
				   { 'c', S("EHLO a\r\n") },
				   { 's', S("250-mx\r\n250 STARTTLS\r\n") },
				   { 'c', b, n },
				   { 's', S("454 4.7.0 TLS not available\r\n") },
				   { 'c', S("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n") },
				   { 's', S("250 ok\r\n250 ok\r\n354 go\r\n") },
				   { 'c',
				     S("Subject: x\r\n\r\ncard 4111 1111 1111 1111\r\n.\r\n") } };

		run(25, c, 8);
		assert_string_equal(res.app, "smtp");
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
	}
	memcpy(b, "AUTH TLS\r\n", 10);
	{
		struct pkt c[] = { { 's', S("220 ftp.example FTP server ready\r\n") },
				   { 'c', b, n },
				   { 's', S("504 AUTH TLS not supported\r\n") },
				   { 'c', S("SITE EXEC 4111 1111 1111 1111\r\n") } };

		run(21, c, 4);
		assert_string_equal(res.app, "ftp");
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
	}
}

static void test_smtp_ftp_tls_accepted(void **state)
{
	uint8_t ch[256], sh[128];
	size_t chl = client_hello(ch, false, "mx.example"), shl = server_hello(sh, true);

	(void)state;
	{
		struct pkt c[] = { { 's', S("220 mx.example ESMTP\r\n") },
				   { 'c', S("EHLO a\r\n") },
				   { 's', S("250-mx\r\n250 STARTTLS\r\n") },
				   { 'c', S("STARTTLS\r\n") },
				   { 's', S("220 2.0.0 Ready to start TLS\r\n") },
				   { 'c', ch, chl },
				   { 's', sh, shl } };

		run(25, c, 7);
		assert_ended("smtp");
	}
	{
		struct pkt c[] = { { 's', S("220 ftp.example FTP server ready\r\n") },
				   { 'c', S("AUTH TLS\r\n") },
				   { 's', S("234 AUTH TLS OK.\r\n") },
				   { 'c', ch, chl } };

		run(21, c, 4);
		assert_ended("ftp");
	}
	/* a ClientHello before the 220, then the 220 and a ServerHello: a
	 * client that did not wait; the TLS dissector ends it on the server's
	 * ServerHello (the flow was given up on once, never passed unseen) */
	{
		uint8_t b[512];

		memcpy(b, "STARTTLS\r\n", 10);
		memcpy(b + 10, ch, chl);
		struct pkt c[] = { { 's', S("220 mx.example ESMTP\r\n") },
				   { 'c', S("EHLO a\r\n") },
				   { 's', S("250 STARTTLS\r\n") },
				   { 'c', b, 10 + chl },
				   { 's', S("220 go ahead\r\n") } };

		run(25, c, 5);
		assert_string_equal(res.threats, "");
		assert_int_equal(res.gave_up, 2); /* smtp at the hello, tls at the 220 */
	}
}

/* ---- TLS ---------------------------------------------------------------- */

/*
 * A fake handshake to a cleartext server: a ClientHello, then application
 * data (or a ChangeCipherSpec and records) before any ServerHello. The old
 * dissector returned DONE at the client's first application data record;
 * after the client's CCS it skipped every record unread.
 */
static void test_tls_client_says_done(void **state)
{
	uint8_t ch[256], ad[128], b[512];
	size_t chl = client_hello(ch, false, "www.example"), adl = record(ad, 23, card);

	(void)state;
	memcpy(b, ch, chl);
	memcpy(b + chl, ad, adl);
	{
		struct pkt c[] = { { 'c', b, chl + adl }, { 's', S("HTTP/1.1 400 Bad\r\n\r\n") } };

		run(443, c, 2);
		assert_string_equal(res.app, "tls");
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
	}
	/* ClientHello, CCS, then records: the CCS is given up on */
	memcpy(b + chl, ccs, 6);
	memcpy(b + chl + 6, ad, adl);
	{
		struct pkt c[] = { { 'c', b, chl + 6 + adl } };

		run(443, c, 1);
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
	}
	/* both CCS without a ServerHello (a cleartext server echoing): not done */
	{
		struct pkt c[] = {
			{ 'c', ch, chl }, { 's', ccs, 6 }, { 'c', ccs, 6 }, { 'c', S(card) }
		};

		run(443, c, 4);
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
	}
	/* 0-RTT offered: early data is read for leaks, not given up on */
	{
		uint8_t e[256];
		size_t el = client_hello(e, true, "www.example");

		memcpy(b, e, el);
		memcpy(b + el, ad, adl);
		struct pkt c[] = { { 'c', b, el + adl } };

		run(443, c, 1);
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
		assert_int_equal(res.gave_up, 0);
	}
}

/*
 * A ClientHello spread over two records in two segments, the first with a
 * card number in it, then a broken record: given up from the hello's first
 * byte, the held bytes scanned (the old dissector gave up at the broken
 * record: the first record passed unread).
 */
static void test_tls_spread_hello_breaks(void **state)
{
	uint8_t ch[512], r1[512], r2[64];
	size_t chl = client_hello(ch, false, "4111 1111 1111 1111.example");
	size_t half = chl - 5 - 8; /* the card in the first record, ".example" not */

	(void)state;
	/* record 1: the header with most of the hello */
	memcpy(r1, ch, 5 + half);
	r1[3] = (uint8_t)(half >> 8);
	r1[4] = (uint8_t)half;
	/* record 2: a header that is no TLS */
	memcpy(r2, "\x01\x02junk and more junk\r\n", 23);
	for (int held = 0; held < 2; held++) {
		struct pkt one[] = { { 'c', r1, 5 + half }, { 'c', r2, 23 } };
		uint8_t b[600];

		memcpy(b, r1, 5 + half);
		memcpy(b + 5 + half, r2, 23);
		struct pkt two[] = { { 'c', b, 5 + half + 23 } };

		if (held)
			run(443, one, 2);
		else
			run(443, two, 1);
		assert_string_equal(res.app, "tls");
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
		assert_int_equal(res.gave_up, 1);
	}
}

static void test_tls_honest(void **state)
{
	uint8_t ch[256], sh[128], e[256], ad[128], b[512];
	size_t chl = client_hello(ch, false, "www.example"), shl;

	(void)state;
	/* TLS 1.3: the ServerHello ends it */
	shl = server_hello(sh, true);
	{
		struct pkt c[] = { { 'c', ch, chl }, { 's', sh, shl }, { 'c', ccs, 6 } };

		run(443, c, 3);
		assert_ended("tls");
	}
	/* TLS 1.2: both CCS after the ServerHello */
	shl = server_hello(sh, false);
	{
		struct pkt c[] = { { 'c', ch, chl },
				   { 's', sh, shl },
				   { 'c', ccs, 6 },
				   { 's', ccs, 6 },
				   { 'c', S("\x17\x03\x03\x00\x02zz") } };

		run(443, c, 5);
		assert_ended("tls");
	}
	/* 0-RTT: ClientHello with early_data, CCS, early data, then 1.3 */
	{
		size_t el = client_hello(e, true, "www.example"), adl = record(ad, 23, "\x8f\x01");

		memcpy(b, e, el);
		memcpy(b + el, ccs, 6);
		memcpy(b + el + 6, ad, adl);
		shl = server_hello(sh, true);
		struct pkt c[] = { { 'c', b, el + 6 + adl }, { 's', sh, shl }, { 'c', ad, adl } };

		run(443, c, 3);
		assert_ended("tls");
	}
}

/* ---- HTTP --------------------------------------------------------------- */

static const char http_inj[] = "GET /?id=1%27%20OR%201%3D1--%20 HTTP/1.1\r\nHost: a\r\n\r\n";

/*
 * A 101 to a request that asked for no upgrade, then an injection: the old
 * dissector ended inspection on any 101. A 2xx to CONNECT or a 101 to an
 * Upgrade hands the flow over (its next bytes identified anew, no give-up);
 * a refused CONNECT goes on.
 */
static void test_http_upgrade_connect(void **state)
{
	(void)state;
	{
		struct pkt c[] = { { 'c', S("GET / HTTP/1.1\r\nHost: a\r\n\r\n") },
				   { 's', S("HTTP/1.1 101 Switching Protocols\r\n\r\n") },
				   { 'c', S(http_inj) } };

		run(80, c, 3);
		assert_string_equal(res.app, "http");
		assert_string_equal(res.threats, "BH-NET-SQLI");
	}
	{
		struct pkt c[] = { { 'c', S("CONNECT db:5432 HTTP/1.1\r\nHost: db\r\n\r\n") },
				   { 's',
				     S("HTTP/1.1 407 Proxy Auth\r\nContent-Length: 0\r\n\r\n") },
				   { 'c', S(http_inj) } };

		run(80, c, 3);
		assert_string_equal(res.threats, "BH-NET-SQLI");
	}
	{
		struct pkt c[] = { { 'c', S("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
					    "Connection: Upgrade\r\n\r\n") },
				   { 's',
				     S("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
				       "Connection: Upgrade\r\n\r\n") },
				   { 'c', S("\x81\x85\x01\x02\x03\x04zzzzz") } };

		/* masked frames: unknown bytes, scanned, nothing given up */
		run(80, c, 3);
		assert_string_equal(res.app, "http");
		assert_string_equal(res.threats, "");
		assert_int_equal(res.gave_up, 0);
	}
	{
		/* the tunnel's TLS ends it on the ServerHello (offloadable) */
		uint8_t ch[256], sh[128];
		size_t chl = client_hello(ch, false, "db"), shl = server_hello(sh, true);
		struct pkt c[] = { { 'c', S("CONNECT db:443 HTTP/1.1\r\nHost: db\r\n\r\n") },
				   { 's', S("HTTP/1.1 200 OK\r\n\r\n") },
				   { 'c', ch, chl },
				   { 's', sh, shl } };

		run(80, c, 4);
		assert_ended("http");
	}
}

/*
 * A tunnel or an upgrade the server accepts, then cleartext: the old
 * dissector ended inspection at the 200 / 101. HTTP inside CONNECT is HTTP
 * again; after h2c's 101, HTTP/2 (its DATA scanned for leaks).
 */
static void test_http_tunnel_cleartext(void **state)
{
	(void)state;
	{
		struct pkt c[] = { { 'c', S("CONNECT db:80 HTTP/1.1\r\nHost: db\r\n\r\n") },
				   { 's', S("HTTP/1.1 200 Connection established\r\n\r\n") },
				   { 'c', S(http_inj) } };

		run(80, c, 3);
		assert_string_equal(res.app, "http");
		assert_string_equal(res.threats, "BH-NET-SQLI");
		assert_int_equal(res.gave_up, 0);
	}
	{
		struct pkt c[] = {
			{ 'c',
			  S("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\n"
			    "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n") },
			{ 's', S("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
				 "Upgrade: h2c\r\n\r\n") },
			/* the preface, SETTINGS, DATA on the upgraded stream */
			{ 'c', S("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
				 "\0\0\0\x04\0\0\0\0\0"
				 "\0\0\x22\0\x01\0\0\0\x01"
				 "card 4111 1111 1111 1111 exp 12/29") }
		};

		run(80, c, 3);
		assert_string_equal(res.app, "http");
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
	}
}

/*
 * 33 pipelined GETs (one past the queue), a response, a CONNECT, 32
 * responses: the old dissector queued the CONNECT before the 33rd GET, took
 * a 200 for its answer and ended inspection; the injection after passed.
 */
static void test_http_pipe_overflow(void **state)
{
	static char burst[33 * 40], resps[32 * 64];
	static const char get[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	size_t bl = 0, rl = 0;

	(void)state;
	for (int i = 0; i < 33; i++) {
		memcpy(burst + bl, get, sizeof(get) - 1);
		bl += sizeof(get) - 1;
	}
	for (int i = 0; i < 32; i++) {
		memcpy(resps + rl, ok, sizeof(ok) - 1);
		rl += sizeof(ok) - 1;
	}
	struct pkt c[] = { { 'c', burst, bl },
			   { 's', S(ok) },
			   { 'c', S("CONNECT db:5432 HTTP/1.1\r\nHost: db\r\n\r\n") },
			   { 's', resps, rl },
			   { 'c', S(http_inj) } };

	run(80, c, 5);
	assert_string_equal(res.app, "http");
	assert_string_equal(res.threats, "BH-NET-SQLI");
	assert_int_equal(res.gave_up, 0);
}

/* ---- SMTP and FTP reply counting ---------------------------------------- */

/*
 * A blank line the server answers (500): the old dissector did not count
 * it, took the 500 for DATA's answer and the 354 for the next command's,
 * read the body as commands: the card in it unseen.
 */
static void test_smtp_blank_line(void **state)
{
	(void)state;
	for (int lead = 0; lead < 2; lead++) {
		struct pkt c[] = { { 's', S("220 mx ESMTP\r\n") },
				   { 'c', S("EHLO a\r\n") },
				   { 's', S("250 mx\r\n") },
				   { 'c', S("MAIL FROM:<a@b>\r\n") },
				   { 's', S("250 ok\r\n") },
				   { 'c', S("RCPT TO:<c@d>\r\n") },
				   { 's', S("250 ok\r\n") },
				   { 'c', lead ? " \r\n DATA\r\n" : "\r\nDATA\r\n", lead ? 10 : 8 },
				   { 's', S("500 5.5.2 Error: bad syntax\r\n354 go\r\n") },
				   { 'c', S("Subject: x\r\n\r\ncard: 4111111111111111\r\n.\r\n") },
				   { 's', S("250 queued\r\n") } };

		run(25, c, 11);
		assert_string_equal(res.app, "smtp");
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
		assert_int_equal(res.gave_up, 0);
	}
	/* a card number in a command's argument */
	{
		struct pkt c[] = { { 's', S("220 mx ESMTP\r\n") },
				   { 'c', S("EHLO a\r\n") },
				   { 's', S("250 mx\r\n") },
				   { 'c', S("VRFY 4111 1111 1111 1111\r\n") },
				   { 's', S("252 ok\r\n") } };

		run(25, c, 5);
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
		assert_int_equal(res.gave_up, 0);
	}
}

/*
 * FTP: "234 " inside another multi-line reply, and a 234 answering a
 * command other than AUTH TLS: the old dissector ended inspection on both
 * (any "234 " line while AUTH was pending). A blank line is answered too.
 */
static void test_ftp_reply_position(void **state)
{
	(void)state;
	{
		struct pkt c[] = { { 's', S("220 ftp.example FTP server ready\r\n") },
				   { 'c', S("AUTH TLS\r\n") },
				   { 's', S("500-nope\r\n234 not the end\r\n500 end\r\n") },
				   { 'c', S("SITE EXEC 4111 1111 1111 1111\r\n") },
				   { 's', S("500 no\r\n") } };

		run(21, c, 5);
		assert_string_equal(res.app, "ftp");
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
		assert_int_equal(res.gave_up, 0);
	}
	{
		/* the blank line's 500, then AUTH TLS's refusal: a 234 to
		 * the NOOP after it ends nothing */
		struct pkt c[] = { { 's', S("220 ftp.example FTP server ready\r\n") },
				   { 'c', S("\r\nAUTH TLS\r\nNOOP\r\n") },
				   { 's', S("500 blank\r\n504 no TLS\r\n234 odd\r\n") },
				   { 'c', S("SITE EXEC 4111 1111 1111 1111\r\n") } };

		run(21, c, 4);
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
		assert_int_equal(res.gave_up, 0);
	}
	{
		/* honest: a multi-line 234 to AUTH TLS ends it */
		uint8_t ch[256];
		size_t chl = client_hello(ch, false, "ftp.example");
		struct pkt c[] = { { 's', S("220-ftp.example\r\n220 ready\r\n") },
				   { 'c', S("AUTH TLS\r\n") },
				   { 's', S("234-go\r\n234 ahead\r\n") },
				   { 'c', ch, chl } };

		run(21, c, 4);
		assert_ended("ftp");
	}
}

/* ---- fix16b: bounded TLS before the answer, MySQL compression ----------- */

extern const struct bh_net_dissector bh_net_l7_tls;

/* A heartbeat request record of payload q (payload_length its length). */
static size_t heartbeat(uint8_t *b, const char *q, size_t claim)
{
	size_t l = strlen(q);

	b[0] = 24;
	b[1] = 3;
	b[2] = 3;
	b[3] = (uint8_t)((l + 3) >> 8);
	b[4] = (uint8_t)(l + 3);
	b[5] = 1;
	b[6] = (uint8_t)(claim >> 8);
	b[7] = (uint8_t)claim;
	memcpy(b + 8, q, l);
	return 8 + l;
}

/*
 * Heartbeat records before the ServerHello were all allowed, their payload
 * only scanned for leaks: unbounded unparsed cleartext. One is allowed (a
 * Heartbleed probe is still seen), the second is given up on.
 */
static void test_tls_heartbeats_before_answer(void **state)
{
	uint8_t ch[256], b[2048], sh[128];
	size_t chl = client_hello(ch, false, "www.example"), n = chl;

	(void)state;
	memcpy(b, ch, chl);
	n += heartbeat(b + n, "ping", 4);
	{
		struct pkt c[] = { { 'c', b, n }, { 's', sh, server_hello(sh, true) } };

		run(443, c, 2);
		assert_ended("tls");
	}
	{
		size_t m = n + heartbeat(b + n, "GET /?id=1' OR 1=1-- HTTP/1.1", 29);
		struct pkt c[] = { { 'c', b, m } };

		run(443, c, 1);
		assert_string_equal(res.app, "tls");
		assert_int_equal(res.gave_up, 1);
	}
	/* the one heartbeat, overrunning its record: Heartbleed */
	{
		size_t m = chl + heartbeat(b + chl, "x", 16384);
		struct pkt c[] = { { 'c', b, m } };

		run(443, c, 1);
		assert_string_equal(res.threats, "BH-NET-TLS-HEARTBLEED");
		assert_int_equal(res.gave_up, 0);
	}
}

/*
 * Early data is the client's word: accepted only after a ClientHello that
 * offers early_data with a PSK in TLS 1.3, and 16 KiB of it at most.
 */
static void test_tls_early_data_bounded(void **state)
{
	static uint8_t b[40000];
	static char big[9001];
	static const unsigned partial[] = { EX_EARLY, EX_EARLY | EX_V13, EX_EARLY | EX_PSK };
	uint8_t ad[128];
	size_t adl = record(ad, 23, card), n;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		n = hello_ext(b, partial[i], "www.example");
		memcpy(b + n, ad, adl);
		struct pkt c[] = { { 'c', b, n + adl } };

		run(443, c, 1);
		assert_string_equal(res.threats, "BH-NET-DLP-CARD");
		assert_int_equal(res.gave_up, 1);
	}
	/* a real 0-RTT hello: two records of 9000 bytes pass 16 KiB */
	memset(big, 'z', 9000);
	n = hello_ext(b, EX_0RTT, "www.example");
	n += record(b + n, 23, big);
	{
		struct pkt c[] = { { 'c', b, n } };

		run(443, c, 1);
		assert_int_equal(res.gave_up, 0);
	}
	n += record(b + n, 23, big);
	{
		struct pkt c[] = { { 'c', b, n } };

		run(443, c, 1);
		assert_int_equal(res.gave_up, 1);
	}
}

/*
 * The TLS state holds no 24 KiB hold buffer any more (57,472 bytes per flow
 * with it): the client's bytes of a hello spanning chunks are held on the
 * heap, exactly as many, and only while it spans them. A hello in three
 * segments that breaks is still given up on from its first byte.
 */
static void test_tls_state_small_hold_lazy(void **state)
{
	uint8_t ch[512], r1[512];
	size_t chl = client_hello(ch, false, "4111 1111 1111 1111.example");
	size_t half = chl - 5 - 8;

	(void)state;
	assert_true(bh_net_l7_tls.state_size < 40 * 1024);
	memcpy(r1, ch, 5 + half);
	r1[3] = (uint8_t)(half >> 8);
	r1[4] = (uint8_t)half;
	struct pkt c[] = { { 'c', r1, 7 },
			   { 'c', r1 + 7, 5 + half - 7 },
			   { 'c', S("\x01\x02junk and more junk\r\n") } };

	run(443, c, 3);
	assert_string_equal(res.app, "tls");
	assert_string_equal(res.threats, "BH-NET-DLP-CARD");
	assert_int_equal(res.gave_up, 1);
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
		cmocka_unit_test(test_smtp_ftp_hello_before_answer),
		cmocka_unit_test(test_smtp_ftp_tls_accepted),
		cmocka_unit_test(test_tls_client_says_done),
		cmocka_unit_test(test_tls_spread_hello_breaks),
		cmocka_unit_test(test_tls_honest),
		cmocka_unit_test(test_http_upgrade_connect),
		cmocka_unit_test(test_http_tunnel_cleartext),
		cmocka_unit_test(test_http_pipe_overflow),
		cmocka_unit_test(test_smtp_blank_line),
		cmocka_unit_test(test_ftp_reply_position),
		cmocka_unit_test(test_tls_heartbeats_before_answer),
		cmocka_unit_test(test_tls_early_data_bounded),
		cmocka_unit_test(test_tls_state_small_hold_lazy),
		cmocka_unit_test(test_mysql_compression_unparsable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
