/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parser of the kernel's nfnetlink_queue messages (src/net/nfq.c): a
 * packet message as the kernel writes it (header, mark, payload, cap len,
 * skb info), an ack and an error, and hostile buffers: lengths past the
 * buffer, under the header, attributes that overrun the message or have the
 * wrong size, a packet with no header, a payload over the ceiling. Each
 * buffer is a heap copy of its exact length, so an over-read is caught by
 * ASan in the sanitizer build. Then the engine's verdict hook: protect drops
 * the packet an SQL injection is in, monitor does not.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>

#include "unit.h"
#include "net_pkt.h"
#include "bulkhead/net.h"
#include "net/nfq.h"
#include "banned.h"

struct msg {
	uint8_t b[NET_NFQ_MAX_MSG + 256];
	size_t len;
};

static void put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->len + n <= sizeof(m->b));
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void attr(struct msg *m, uint16_t type, const void *p, size_t n)
{
	struct nlattr a = { (uint16_t)(sizeof(a) + n), type };
	static const uint8_t pad[4];

	put(m, &a, sizeof(a));
	put(m, p, n);
	put(m, pad, ((n + 3) & ~(size_t)3) - n);
}

static void begin(struct msg *m, uint16_t type)
{
	struct nlmsghdr h = { 0, type, 0, 1, 0 };
	struct nfgenmsg g = { AF_UNSPEC, NFNETLINK_V0, htons(0) };

	m->len = 0;
	put(m, &h, sizeof(h));
	put(m, &g, sizeof(g));
}

static void end(struct msg *m)
{
	uint32_t len = (uint32_t)m->len;

	memcpy(m->b, &len, sizeof(len));
}

static void be32(struct msg *m, uint16_t type, uint32_t v)
{
	v = htonl(v);
	attr(m, type, &v, 4);
}

/* A packet message: id, the IPv4 ethertype, a mark, a payload. */
static void packet(struct msg *m, uint32_t id, const void *payload, size_t n)
{
	struct nfqnl_msg_packet_hdr ph = { htonl(id), htons(0x0800), 1 };

	begin(m, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET);
	attr(m, NFQA_PACKET_HDR, &ph, sizeof(ph));
	be32(m, NFQA_MARK, 0x42);
	be32(m, NFQA_SKB_INFO, NFQA_SKB_GSO);
	attr(m, NFQA_PAYLOAD, payload, n);
	end(m);
}

/* Parse (p, n) from an exact heap copy. */
static enum net_nfq_msg parse(const void *p, size_t n, struct net_nfq_pkt *pk, int *code,
			      size_t *used)
{
	uint8_t *c = malloc(n ? n : 1);
	enum net_nfq_msg r;

	memcpy(c, p, n);
	r = net_nfq_parse(c, n, pk, code, used);
	if (r == NET_NFQ_PACKET && pk->payload) /* point into the caller's copy */
		pk->payload = (const uint8_t *)p + (pk->payload - c);
	free(c);
	return r;
}

static void test_packet(void **state)
{
	struct msg m;
	struct net_nfq_pkt pk;
	size_t used;
	int code = 7;

	packet(&m, 1234, "\x45hello", 6);
	assert_int_equal(parse(m.b, m.len, &pk, &code, &used), NET_NFQ_PACKET);
	assert_int_equal(used, m.len);
	assert_int_equal(pk.id, 1234);
	assert_int_equal(pk.hw_proto, 0x0800);
	assert_int_equal(pk.hook, 1);
	assert_true(pk.has_mark);
	assert_int_equal(pk.mark, 0x42);
	assert_int_equal(pk.skbinfo, NFQA_SKB_GSO);
	assert_int_equal(pk.payload_len, 6);
	assert_memory_equal(pk.payload, "\x45hello", 6);
	assert_int_equal(pk.cap_len, 0);

	/* two messages in one buffer, the first with an unpadded payload */
	{
		struct msg two;
		size_t u2;

		packet(&m, 1, "abc", 3);
		two.len = 0;
		put(&two, m.b, m.len);
		packet(&m, 2, "defg", 4);
		put(&two, m.b, m.len);
		assert_int_equal(parse(two.b, two.len, &pk, &code, &used), NET_NFQ_PACKET);
		assert_int_equal(pk.id, 1);
		assert_int_equal(parse(two.b + used, two.len - used, &pk, &code, &u2),
				 NET_NFQ_PACKET);
		assert_int_equal(pk.id, 2);
		assert_int_equal(used + u2, two.len);
	}
}

static void test_ack_error_other(void **state)
{
	struct {
		struct nlmsghdr h;
		int32_t error;
	} e = { { sizeof(e), NLMSG_ERROR, 0, 9, 0 }, -EBUSY };
	struct nlmsghdr done = { sizeof(done), NLMSG_DONE, 0, 1, 0 };
	struct net_nfq_pkt pk;
	size_t used;
	int code = 0;

	assert_int_equal(parse(&e, sizeof(e), &pk, &code, &used), NET_NFQ_ERROR);
	assert_int_equal(code, -EBUSY);
	e.error = 0;
	assert_int_equal(parse(&e, sizeof(e), &pk, &code, &used), NET_NFQ_ERROR);
	assert_int_equal(code, 0);
	e.error = 5; /* not a negative errno */
	assert_int_equal(parse(&e, sizeof(e), &pk, &code, &used), NET_NFQ_MALFORMED);
	e.h.nlmsg_len = sizeof(struct nlmsghdr) + 2; /* no room for the error */
	assert_int_equal(parse(&e, sizeof(e.h) + 2, &pk, &code, &used), NET_NFQ_MALFORMED);
	assert_int_equal(parse(&done, sizeof(done), &pk, &code, &used), NET_NFQ_OTHER);
	assert_int_equal(used, sizeof(done));
}

static void test_hostile(void **state)
{
	struct msg m;
	struct net_nfq_pkt pk;
	size_t used;
	int code;
	uint32_t len;

	/* shorter than a header */
	assert_int_equal(parse("\x10\0\0", 3, &pk, &code, &used), NET_NFQ_MALFORMED);
	assert_int_equal(parse("", 0, &pk, &code, &used), NET_NFQ_MALFORMED);
	/* a length past the buffer, and one under the header */
	packet(&m, 1, "x", 1);
	assert_int_equal(parse(m.b, m.len - 1, &pk, &code, &used), NET_NFQ_MALFORMED);
	len = 8;
	memcpy(m.b, &len, 4);
	assert_int_equal(parse(m.b, m.len, &pk, &code, &used), NET_NFQ_MALFORMED);
	/* no room for the nfgenmsg */
	len = sizeof(struct nlmsghdr) + 2;
	memcpy(m.b, &len, 4);
	assert_int_equal(parse(m.b, len, &pk, &code, &used), NET_NFQ_MALFORMED);
	/* an attribute that overruns the message */
	packet(&m, 1, "payload!", 8);
	{
		struct nlattr a = { 200, NFQA_PAYLOAD };
		size_t at = m.len - 12; /* the payload attribute: 4 + 8 */

		memcpy(m.b + at, &a, sizeof(a));
		assert_int_equal(parse(m.b, m.len, &pk, &code, &used), NET_NFQ_MALFORMED);
		a.nla_len = 2; /* under its own header */
		memcpy(m.b + at, &a, sizeof(a));
		assert_int_equal(parse(m.b, m.len, &pk, &code, &used), NET_NFQ_MALFORMED);
	}
	/* a packet with no packet header */
	begin(&m, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET);
	attr(&m, NFQA_PAYLOAD, "abcd", 4);
	end(&m);
	assert_int_equal(parse(m.b, m.len, &pk, &code, &used), NET_NFQ_MALFORMED);
	/* a header too short, a mark of 3 bytes */
	begin(&m, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET);
	attr(&m, NFQA_PACKET_HDR, "\0\0\0\1\x08", 5);
	end(&m);
	assert_int_equal(parse(m.b, m.len, &pk, &code, &used), NET_NFQ_MALFORMED);
	packet(&m, 3, "abcd", 4);
	begin(&m, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET);
	{
		struct nfqnl_msg_packet_hdr ph = { htonl(3), htons(0x0800), 1 };

		attr(&m, NFQA_PACKET_HDR, &ph, sizeof(ph));
	}
	attr(&m, NFQA_MARK, "\0\0\1", 3);
	end(&m);
	assert_int_equal(parse(m.b, m.len, &pk, &code, &used), NET_NFQ_MALFORMED);
	/* a payload at the ceiling (an attribute's u16 length cannot say more) */
	{
		static uint8_t big[NET_NFQ_MAX_PAYLOAD];

		packet(&m, 4, big, sizeof(big));
		assert_int_equal(parse(m.b, m.len, &pk, &code, &used), NET_NFQ_PACKET);
		assert_int_equal(pk.payload_len, NET_NFQ_MAX_PAYLOAD);
	}
	/* a message of more than the ceiling is refused before it is read */
	len = NET_NFQ_MAX_MSG + 4;
	memset(m.b, 0, sizeof(m.b));
	memcpy(m.b, &len, 4);
	assert_int_equal(parse(m.b, sizeof(m.b), &pk, &code, &used), NET_NFQ_MALFORMED);
}

/* ---- the engine's verdict hook ------------------------------------------ */

static size_t tcp_pkt(uint8_t *b, const char *src, const char *dst, uint16_t sp, uint16_t dp,
		      uint32_t seq, uint8_t flags, const char *data)
{
	return tpkt_tcp4(b, src, sp, dst, dp, seq, flags, data, data ? strlen(data) : 0);
}

static int verdict_of_sqli(unsigned drop_severity, enum bh_net_verdict *first)
{
	struct bh_net_opts o = { .drop_severity = drop_severity };
	struct bh_net_engine *e;
	enum bh_net_verdict v;
	uint8_t b[2048];
	size_t n;

	assert_int_equal(bh_net_engine_new(&o, &e, NULL), 0);
	n = tcp_pkt(b, "10.0.0.1", "10.0.0.2", 40000, 80, 100, 0x02, NULL);
	bh_net_engine_packet(e, b, n, BH_NET_LINK_RAW, 1.0, first);
	n = tcp_pkt(b, "10.0.0.2", "10.0.0.1", 80, 40000, 500, 0x12, NULL);
	bh_net_engine_packet(e, b, n, BH_NET_LINK_RAW, 1.0, &v);
	n = tcp_pkt(b, "10.0.0.1", "10.0.0.2", 40000, 80, 101, 0x18,
		    "GET /x?id=1%27%20OR%20%271%27=%271 HTTP/1.1\r\nHost: a\r\n\r\n");
	bh_net_engine_packet(e, b, n, BH_NET_LINK_RAW, 1.0, &v);
	assert_false(bh_net_engine_settled(e)); /* an HTTP flow is never settled */
	bh_net_engine_free(e);
	return v;
}

/* A packet of a flow through e (len bytes of data, which may hold NULs):
 * whether its direction is settled after it. */
static bool settled_n(struct bh_net_engine *e, const char *src, const char *dst, uint16_t sp,
		      uint16_t dp, uint32_t seq, uint8_t flags, const char *data, size_t len)
{
	uint8_t b[2048];
	size_t n = tcp_pkt(b, src, dst, sp, dp, seq, flags, NULL);
	enum bh_net_verdict v;

	memcpy(b + n, data, len);
	n += len;
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
	bh_net_engine_packet(e, b, n, BH_NET_LINK_RAW, 1.0, &v);
	return bh_net_engine_settled(e);
}

static bool settled_after(struct bh_net_engine *e, const char *src, const char *dst, uint16_t sp,
			  uint16_t dp, uint32_t seq, uint8_t flags, const char *data)
{
	return settled_n(e, src, dst, sp, dp, seq, flags, data ? data : "",
			 data ? strlen(data) : 0);
}

/* Redis: the replies are never parsed, so once identified the reply
 * direction alone is settled (offloaded live); the requests never are, and
 * a later request still makes its threat, after which nothing is settled. */
static void test_settled_replies(void **state)
{
	static const char ping[] = "*1\r\n$4\r\nPING\r\n";
	static const char cfg[] = "*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$3\r\ndir\r\n$4\r\n/tmp\r\n";
	struct bh_net_opts o = { 0 };
	struct bh_net_engine *e;
	struct bh_net_stats st;
	const char *C = "10.0.0.1", *S = "10.0.0.2";
	uint32_t cs = 101, ss = 501;

	assert_int_equal(bh_net_engine_new(&o, &e, NULL), 0);
	assert_false(settled_after(e, C, S, 40000, 6379, 100, 0x02, NULL));
	assert_false(settled_after(e, S, C, 6379, 40000, 500, 0x12, NULL));
	assert_false(settled_after(e, C, S, 40000, 6379, cs, 0x18, ping)); /* identified */
	cs += sizeof(ping) - 1;
	assert_true(settled_after(e, S, C, 6379, 40000, ss, 0x18, "+PONG\r\n"));
	ss += 7;
	assert_false(settled_after(e, C, S, 40000, 6379, cs, 0x18, ping)); /* each request */
	cs += sizeof(ping) - 1;
	assert_true(settled_after(e, S, C, 6379, 40000, ss, 0x18, "+PONG\r\n"));
	ss += 7;
	/* the same connection's later request is still inspected */
	assert_false(settled_after(e, C, S, 40000, 6379, cs, 0x18, cfg));
	assert_false(settled_after(e, S, C, 6379, 40000, ss, 0x18, "+OK\r\n"));
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.threats, 1);
	bh_net_engine_free(e);

	/* the client closes, the server's FIN is not seen (its direction
	 * offloaded live), and the client opens a new connection on the same
	 * ports: the new one is a flow of its own, its CONFIG SET inspected */
	assert_int_equal(bh_net_engine_new(&o, &e, NULL), 0);
	cs = 101;
	ss = 501;
	assert_false(settled_after(e, C, S, 40002, 6379, 100, 0x02, NULL));
	assert_false(settled_after(e, S, C, 6379, 40002, 500, 0x12, NULL));
	assert_false(settled_after(e, C, S, 40002, 6379, cs, 0x18, ping));
	cs += sizeof(ping) - 1;
	assert_true(settled_after(e, S, C, 6379, 40002, ss, 0x18, "+PONG\r\n"));
	assert_false(settled_after(e, C, S, 40002, 6379, cs, 0x11, NULL));     /* FIN */
	assert_false(settled_after(e, C, S, 40002, 6379, 900000, 0x02, NULL)); /* a new SYN */
	assert_false(settled_after(e, S, C, 6379, 40002, 700000, 0x12, NULL));
	assert_false(settled_after(e, C, S, 40002, 6379, 900001, 0x18, cfg));
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.flows, 2);
	assert_int_equal(st.threats, 1);
	bh_net_engine_free(e);

	/* PostgreSQL: the server's answer to an SSLRequest is read, so its
	 * direction waits for the StartupMessage */
	assert_int_equal(bh_net_engine_new(&o, &e, NULL), 0);
	cs = 101;
	ss = 501;
	assert_false(settled_after(e, C, S, 40001, 5432, 100, 0x02, NULL));
	assert_false(settled_after(e, S, C, 5432, 40001, 500, 0x12, NULL));
	assert_false(settled_n(e, C, S, 40001, 5432, cs, 0x18, "\x00\x00\x00\x08\x04\xd2\x16\x2f",
			       8)); /* SSLRequest */
	cs += 8;
	assert_false(settled_after(e, S, C, 5432, 40001, ss, 0x18, "N"));
	ss += 1;
	/* the StartupMessage: past it, the replies are not read */
	assert_false(settled_n(e, C, S, 40001, 5432, cs, 0x18,
			       "\x00\x00\x00\x12\x00\x03\x00\x00user\0bob\0\0", 18));
	cs += 18;
	assert_true(settled_n(e, S, C, 5432, 40001, ss, 0x18, "R\x00\x00\x00\x08\x00\x00\x00", 9));
	assert_false(settled_n(e, C, S, 40001, 5432, cs, 0x18, "Q\x00\x00\x00\x0dSELECT 1\0", 14));
	bh_net_engine_free(e);
}

static void test_verdict(void **state)
{
	enum bh_net_verdict first;

	assert_int_equal(verdict_of_sqli(3, &first), BH_NET_DROP);
	assert_int_equal(first, BH_NET_ACCEPT);
	assert_int_equal(verdict_of_sqli(0, &first), BH_NET_ACCEPT);
	assert_int_equal(verdict_of_sqli(4, &first), BH_NET_ACCEPT); /* SQLi is high */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packet),		cmocka_unit_test(test_ack_error_other),
		cmocka_unit_test(test_hostile),		cmocka_unit_test(test_verdict),
		cmocka_unit_test(test_settled_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
