/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SSH, Kafka and MongoDB dissectors: a real OpenSSH exchange
 * (tests/data/l7/record.sh), Kafka request headers and MongoDB messages
 * built byte by byte from the protocol documentation, every one split at
 * every byte, and hostile lengths.
 */
#include "unit.h"
#include "l7_record.h"
#include "banned.h"

#define KEX_C                                                                                      \
	"sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,"             \
	"curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"   \
	"diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"                      \
	"diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,"

static void test_ssh_recorded(void **state)
{
	struct bh_net_flow_info fl = l7_flow(12222);
	const struct bh_net_dissector *d = l7_find("ssh");
	struct l7_msg m[32];
	size_t n = l7_conv_load("ssh", 0, m, 32);

	(void)state;
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, m[0].p, m[0].n), BH_NET_PROBE_YES);
	assert_int_equal(l7_probe(d, BH_NET_TO_CLIENT, m[1].p, m[1].n), BH_NET_PROBE_YES);
	l7_check(d, &fl, m, n,
		 "C cmd 2.0|OpenSSH_9.2p1 Debian-2+deb12u10\n"
		 "S cmd 2.0|OpenSSH_9.2p1 Debian-2+deb12u10\n"
		 "C cmd kexinit|" KEX_C "ext-info-c,kex-strict-c-v00@openssh.com\n"
		 "S cmd kexinit|" KEX_C "kex-strict-s-v00@openssh.com\n"
		 "DONE\n");
	l7_conv_free(m, n);
}

static void test_ssh_v1_and_hostile(void **state)
{
	struct bh_net_flow_info fl = l7_flow(22);
	const struct bh_net_dissector *d = l7_find("ssh");
	static struct l7_log log;

	(void)state;
	/* a server's lines before its identification; protocol 1.5 offered */
	static const struct l7_msg v1[] = {
		L7_MSG(BH_NET_TO_CLIENT, "hello there\r\nSSH-1.5-OldServer_1.2\r\n"),
		L7_MSG(BH_NET_TO_SERVER, "SSH-1.5-client\n"),
	};
	l7_check(d, &fl, v1, 2,
		 "S cmd 1.5|OldServer_1.2\n"
		 "S threat BH-NET-SSH-V1 SSH-1.5\n"
		 "C cmd 1.5|client\n"
		 "C threat BH-NET-SSH-V1 SSH-1.5\n");
	/* 1.99 (both protocols) is the near-miss */
	static const struct l7_msg v199[] = {
		L7_MSG(BH_NET_TO_CLIENT, "SSH-1.99-Cisco-1.25\r\n"),
	};
	l7_check(d, &fl, v199, 1, "S cmd 1.99|Cisco-1.25\n");
	static const char *const bad[] = {
		"hello\r\n",  /* a client must start with its identification */
		"SSH--x\r\n", /* no version */
		"SSH-2.0-x\r\n\x00\x01\x00\x00\x05", /* a packet over 35000 bytes */
		"SSH-2.0-x\r\n\x00\x00\x00\x08\x09", /* padding longer than the packet */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct l7_msg b[] = { { BH_NET_TO_SERVER, bad[i],
					strlen(bad[i]) + (i >= 2 ? 5 : 0) } };
		if (i >= 2)
			b[0].n = strlen("SSH-2.0-x\r\n") + 5;
		l7_run(d, &fl, b, 1, 0, false, &log);
		if (!strstr(log.buf, "MALFORMED"))
			fail_msg("bad[%zu] accepted: %s", i, log.buf);
	}
	/* an identification line over 255 bytes */
	char longl[400];
	memset(longl, 'a', sizeof(longl));
	memcpy(longl, "SSH-2.0-", 8);
	struct l7_msg l[] = { { BH_NET_TO_SERVER, longl, sizeof(longl) } };
	l7_run(d, &fl, l, 1, 0, false, &log);
	assert_string_equal(log.buf, "MALFORMED\n");
	/* endless lines from a server before its identification */
	static char pre[17 * 4];
	for (int i = 0; i < 17; i++)
		memcpy(pre + 4 * i, "hi\r\n", 4);
	struct l7_msg p[] = { { BH_NET_TO_CLIENT, pre, sizeof(pre) } };
	l7_run(d, &fl, p, 1, 0, false, &log);
	assert_string_equal(log.buf, "MALFORMED\n");
	assert_int_equal(l7_probe(d, BH_NET_TO_CLIENT, "SSH-2", 5), BH_NET_PROBE_NEED_MORE);
	assert_int_equal(l7_probe(d, BH_NET_TO_CLIENT, "SSH-x.0-", 8), BH_NET_PROBE_NO);
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, "GET / HTTP/1.1\r\n", 16), BH_NET_PROBE_NO);
}

/* Kafka: a request of header v1/v2 (size, key, version, correlation id, client id) */
static size_t kreq(uint8_t *b, uint16_t key, uint16_t ver, const char *client, const void *body,
		   size_t bl)
{
	size_t cl = client ? strlen(client) : 0, n = 8 + 2 + cl + bl;

	b[0] = (uint8_t)(n >> 24);
	b[1] = (uint8_t)(n >> 16);
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
	b[4] = (uint8_t)(key >> 8);
	b[5] = (uint8_t)key;
	b[6] = (uint8_t)(ver >> 8);
	b[7] = (uint8_t)ver;
	memcpy(b + 8, "\x00\x00\x00\x07", 4);
	b[12] = client ? (uint8_t)(cl >> 8) : 0xff;
	b[13] = client ? (uint8_t)cl : 0xff;
	memcpy(b + 14, client ? client : "", cl);
	memcpy(b + 14 + cl, body, bl);
	return n + 4;
}

static void test_kafka(void **state)
{
	struct bh_net_flow_info fl = l7_flow(9092);
	const struct bh_net_dissector *d = l7_find("kafka");
	uint8_t a[128], b[128], c[128], r[64];
	static struct l7_log log;

	(void)state;
	/* ApiVersions v3 (header v2: a tag buffer, then compact strings) */
	struct l7_msg m[] = {
		{ BH_NET_TO_SERVER, a,
		  kreq(a, 18, 3, "rdkafka",
		       "\x00\x0blibrdkafka\x06"
		       "2.0.2\x00",
		       19) },
		L7_MSG(BH_NET_TO_CLIENT, "\x00\x00\x00\x08\x00\x00\x00\x07\x00\x00\x00\x00"),
		{ BH_NET_TO_SERVER, b,
		  kreq(b, 3, 1, "console-producer", "\x00\x00\x00\x01\x00\x06orders", 12) },
		{ BH_NET_TO_SERVER, c, kreq(c, 0, 9, NULL, "\x00", 1) },
		{ BH_NET_TO_SERVER, r, kreq(r, 200, 0, "x", "", 0) },
	};
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, m[0].p, m[0].n), BH_NET_PROBE_YES);
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, m[0].p, 10), BH_NET_PROBE_NEED_MORE);
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, m[3].p, m[3].n), BH_NET_PROBE_MAYBE);
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, m[4].p, m[4].n), BH_NET_PROBE_NO);
	assert_int_equal(l7_probe(d, BH_NET_TO_CLIENT, m[1].p, m[1].n), BH_NET_PROBE_NO);
	l7_check(d, &fl, m, 5,
		 "C cmd ApiVersions|rdkafka\n"
		 "C cmd Metadata|console-producer\n"
		 "C cmd Produce|\n"
		 "C cmd api-200|x\n");
	static const struct {
		const char *p;
		size_t n;
	} bad[] = {
		{ "\x00\x00\x00\x03\x00\x12\x00", 7 }, /* smaller than a header */
		{ "\x06\x40\x00\x01\x00\x12\x00", 7 }, /* over 100 MiB */
		{ "\x00\x00\x00\x0a\x00\x12\x00\x03\x00\x00\x00\x01\x00\x09", 14 }, /* client id */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct l7_msg x[] = { { BH_NET_TO_SERVER, bad[i].p, bad[i].n } };
		l7_run(d, &fl, x, 1, 0, false, &log);
		if (!strstr(log.buf, "MALFORMED"))
			fail_msg("bad[%zu] accepted: %s", i, log.buf);
	}
	/* a 1 MiB Produce: only its header is kept, the next request is read right */
	static uint8_t big[(1 << 20) + 64], body[1 << 20];
	size_t o = kreq(big, 0, 9, "p", body, sizeof(body));
	o += kreq(big + o, 12, 4, "p", "", 0);
	struct l7_msg y[] = { { BH_NET_TO_SERVER, big, o } };
	l7_run(d, &fl, y, 1, 0, false, &log);
	assert_string_equal(log.buf, "C cmd Produce|p\nC cmd Heartbeat|p\n");
	l7_run(d, &fl, y, 1, 70000, false, &log);
	assert_string_equal(log.buf, "C cmd Produce|p\nC cmd Heartbeat|p\n");
}

/* MongoDB: BSON and messages built by hand */
struct mb {
	uint8_t b[512];
	size_t n;
};

static void put32(struct mb *m, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		m->b[m->n++] = (uint8_t)(v >> (8 * i));
}

static void puts_(struct mb *m, const char *s)
{
	memcpy(m->b + m->n, s, strlen(s) + 1);
	m->n += strlen(s) + 1;
}

/* {key: "val"} or, val NULL, {key: 1} (int32); wrap: {$query: {...}} */
static void doc(struct mb *m, const char *key, const char *val, const char *key2, const char *val2)
{
	size_t at = m->n;

	put32(m, 0);
	m->b[m->n++] = val ? 0x02 : 0x10;
	puts_(m, key);
	if (val) {
		put32(m, (uint32_t)strlen(val) + 1);
		puts_(m, val);
	} else {
		put32(m, 1);
	}
	if (key2) {
		m->b[m->n++] = 0x02;
		puts_(m, key2);
		put32(m, (uint32_t)strlen(val2) + 1);
		puts_(m, val2);
	}
	m->b[m->n++] = 0;
	uint32_t sz = (uint32_t)(m->n - at);
	for (int i = 0; i < 4; i++)
		m->b[at + i] = (uint8_t)(sz >> (8 * i));
}

static void hdr(struct mb *m, uint32_t op)
{
	m->n = 0;
	put32(m, 0);
	put32(m, 42);
	put32(m, 0);
	put32(m, op);
}

static void done(struct mb *m)
{
	uint32_t sz = (uint32_t)m->n;
	for (int i = 0; i < 4; i++)
		m->b[i] = (uint8_t)(sz >> (8 * i));
}

static void test_mongodb(void **state)
{
	struct bh_net_flow_info fl = l7_flow(27017);
	const struct bh_net_dissector *d = l7_find("mongodb");
	static struct mb msg[8];
	static struct l7_log log;

	(void)state;
	/* OP_MSG {find: "users", $db: "app"} */
	hdr(&msg[0], 2013);
	put32(&msg[0], 0);
	msg[0].b[msg[0].n++] = 0;
	doc(&msg[0], "find", "users", "$db", "app");
	done(&msg[0]);
	/* OP_MSG: a document sequence first, then {insert: "users"} */
	hdr(&msg[1], 2013);
	put32(&msg[1], 0);
	msg[1].b[msg[1].n++] = 1;
	size_t at = msg[1].n;
	put32(&msg[1], 0);
	puts_(&msg[1], "documents");
	doc(&msg[1], "_id", NULL, NULL, NULL);
	uint32_t sz = (uint32_t)(msg[1].n - at);
	memcpy(msg[1].b + at, &sz, 4);
	msg[1].b[msg[1].n++] = 0;
	doc(&msg[1], "insert", "users", "$db", "app");
	done(&msg[1]);
	/* OP_QUERY on admin.$cmd {isMaster: 1}, and wrapped in $query */
	hdr(&msg[2], 2004);
	put32(&msg[2], 0);
	puts_(&msg[2], "admin.$cmd");
	put32(&msg[2], 0);
	put32(&msg[2], 0xffffffff);
	doc(&msg[2], "isMaster", NULL, NULL, NULL);
	done(&msg[2]);
	hdr(&msg[3], 2004);
	put32(&msg[3], 0);
	puts_(&msg[3], "app.$cmd");
	put32(&msg[3], 0);
	put32(&msg[3], 1);
	at = msg[3].n;
	put32(&msg[3], 0);
	msg[3].b[msg[3].n++] = 0x03;
	puts_(&msg[3], "$query");
	doc(&msg[3], "count", "orders", NULL, NULL);
	msg[3].b[msg[3].n++] = 0;
	sz = (uint32_t)(msg[3].n - at);
	memcpy(msg[3].b + at, &sz, 4);
	done(&msg[3]);
	/* OP_QUERY on a collection; OP_COMPRESSED of an OP_MSG; OP_INSERT */
	hdr(&msg[4], 2004);
	put32(&msg[4], 0);
	puts_(&msg[4], "app.users");
	put32(&msg[4], 0);
	put32(&msg[4], 0);
	doc(&msg[4], "name", "bob", NULL, NULL);
	done(&msg[4]);
	hdr(&msg[5], 2012);
	put32(&msg[5], 2013);
	put32(&msg[5], 100);
	msg[5].b[msg[5].n++] = 1;
	memcpy(msg[5].b + msg[5].n, "\xff\xfe\xfd", 3);
	msg[5].n += 3;
	done(&msg[5]);
	hdr(&msg[6], 2002);
	put32(&msg[6], 0);
	puts_(&msg[6], "app.users");
	doc(&msg[6], "name", "bob", NULL, NULL);
	done(&msg[6]);
	struct l7_msg m[8];
	for (int i = 0; i < 7; i++)
		m[i] = (struct l7_msg){ BH_NET_TO_SERVER, msg[i].b, msg[i].n };
	m[7] = (struct l7_msg){ BH_NET_TO_CLIENT, msg[0].b, msg[0].n }; /* not read */
	for (int i = 0; i < 5; i++)
		if (l7_probe(d, BH_NET_TO_SERVER, m[i].p, m[i].n) != BH_NET_PROBE_YES)
			fail_msg("message %d not identified", i);
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, m[0].p, 12), BH_NET_PROBE_NEED_MORE);
	l7_check(d, &fl, m, 8,
		 "C cmd find|users\n"
		 "C cmd insert|users\n"
		 "C cmd isMaster|\n"
		 "C cmd count|orders\n"
		 "C cmd query|app.users\n"
		 "C cmd OP_COMPRESSED|OP_MSG\n"
		 "C cmd OP_INSERT|app.users\n");

	/* hostile: lengths of the message, of a section, of a document, of a string */
	struct mb h;
	hdr(&h, 2013);
	put32(&h, 0);
	h.b[h.n++] = 0;
	doc(&h, "find", "users", NULL, NULL);
	done(&h);
	memcpy(h.b + 21 + 4 + 1 + 5, "\xff\xff\xff\x7f", 4); /* the string's length */
	struct l7_msg x[] = { { BH_NET_TO_SERVER, h.b, h.n } };
	l7_run(d, &fl, x, 1, 0, false, &log);
	assert_string_equal(log.buf, "C cmd find|\n");
	memcpy(h.b + 21, "\x03\x00\x00\x00", 4); /* the document's length */
	l7_run(d, &fl, x, 1, 0, false, &log);
	assert_string_equal(log.buf, "MALFORMED\n");
	memcpy(h.b, "\x0a\x00\x00\x00", 4); /* the message's */
	l7_run(d, &fl, x, 1, 0, false, &log);
	assert_string_equal(log.buf, "MALFORMED\n");
	memcpy(h.b, "\x00\x00\x00\x7f", 4);
	l7_run(d, &fl, x, 1, 0, false, &log);
	assert_string_equal(log.buf, "MALFORMED\n");
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, h.b, h.n), BH_NET_PROBE_NO);
	hdr(&h, 2013);
	put32(&h, 0);
	h.b[h.n++] = 1;
	put32(&h, 2); /* a section shorter than its own length */
	done(&h);
	l7_run(d, &fl, x, 1, 0, false, &log);
	assert_string_equal(log.buf, "MALFORMED\n");
	assert_int_equal(l7_probe(d, BH_NET_TO_SERVER, "GET / HTTP/1.1\r\n", 16), BH_NET_PROBE_NO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ssh_recorded),
		cmocka_unit_test(test_ssh_v1_and_hostile),
		cmocka_unit_test(test_kafka),
		cmocka_unit_test(test_mongodb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
