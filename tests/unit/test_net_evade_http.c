/* SPDX-License-Identifier: Apache-2.0 */
/*
 * "Done" on the server's word only, HTTP: a 101 to a request without
 * Upgrade or a refused CONNECT does not end inspection, the pipeline is
 * bounded (net_evade.h).
 */
#include "net_evade.h"
#include "banned.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_upgrade_connect),
		cmocka_unit_test(test_http_tunnel_cleartext),
		cmocka_unit_test(test_http_pipe_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
