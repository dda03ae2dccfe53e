/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The packet engine's TCP reassembly (split, out of order, overlaps,
 * retransmissions, gaps) and the dissector contract through a test-only
 * dissector (probing across segments, the port hint, UDP datagrams, gaps as
 * NULL, fini once); flow table bounds and timeouts, flood meters.
 */
#include <arpa/inet.h>

#include "unit.h"
#include "bulkhead/net.h"
#include "net/dissect.h"
#include "net/net_int.h"
#include "net_unit.h"
#include "banned.h"

/* ---- TCP and the dissector contract --------------------------------------- */

static void test_tcp_split_probe(void **state)
{
	struct bh_net_engine *e = engine(NULL);

	handshake(e);
	/* "TE" is not enough to say: the probe needs more, then says yes */
	seg(e, 1.1, true, 100, NET_TCP_ACK, "TE");
	seg(e, 1.2, false, 500, NET_TCP_ACK, "srv1 ");
	seg(e, 1.3, true, 102, NET_TCP_ACK, "ST one");
	seg(e, 1.4, false, 505, NET_TCP_ACK, "srv2");
	seg(e, 1.5, true, 108, NET_TCP_FIN | NET_TCP_ACK, NULL);
	seg(e, 1.5, false, 509, NET_TCP_FIN | NET_TCP_ACK, NULL);
	assert_int_equal(nrecs, 0);
	/* closed flows end after tcp_closed */
	bh_net_engine_tick(e, 100);
	assert_int_equal(nrecs, 1);
	assert_int_equal(recs[0].end, BH_NET_END_CLOSED);
	assert_string_equal(recs[0].app, "test");
	assert_string_equal(recs[0].host, "example.test");
	assert_string_equal(recs[0].src, "10.0.0.1:1234");
	assert_int_equal(recs[0].packets[0], 5);
	assert_int_equal(recs[0].packets[1], 4);
	assert_int_equal(recs[0].bytes[0], 5 * 40 + 8);
	assert_string_equal(fed[0].data, "TEST one");
	assert_string_equal(fed[1].data, "srv1 srv2");
	assert_int_equal(fini_calls, 1);
	bh_net_engine_free(e);
}

static void test_tcp_ooo_overlap_retransmit(void **state)
{
	struct bh_net_engine *e = engine(NULL);

	handshake(e);
	seg(e, 1.1, true, 110, NET_TCP_ACK, "klmnopqrst"); /* 110..119, ahead */
	seg(e, 1.2, true, 105, NET_TCP_ACK, "fghijKLMNO"); /* 105..114: overlap, differs */
	seg(e, 1.3, true, 100, NET_TCP_ACK, "TESTe");	   /* the start */
	seg(e, 1.4, true, 100, NET_TCP_ACK, "TESTe");	   /* a retransmission */
	seg(e, 1.5, true, 120, NET_TCP_ACK, "u");
	bh_net_engine_flush(e);
	assert_int_equal(nrecs, 1);
	assert_string_equal(fed[0].data, "TESTefghijklmnopqrstu");
	assert_string_equal(recs[0].threats, "BH-NET-TCP-OVERLAP");
	assert_int_equal(fini_calls, 1);
	bh_net_engine_free(e);

	/* the same overlap with the same bytes is no threat */
	setup(NULL);
	e = engine(NULL);
	handshake(e);
	seg(e, 1.1, true, 110, NET_TCP_ACK, "klmno");
	seg(e, 1.2, true, 104, NET_TCP_ACK, "efghijklm");
	seg(e, 1.3, true, 100, NET_TCP_ACK, "TEST");
	bh_net_engine_flush(e);
	assert_string_equal(fed[0].data, "TESTefghijklmno");
	assert_string_equal(recs[0].threats, "");
	bh_net_engine_free(e);
}

static void test_tcp_gaps(void **state)
{
	struct bh_net_opts o = { .gap_timeout = 1, .max_ooo_bytes = 64 };
	struct bh_net_engine *e = engine(&o);
	struct bh_net_stats st;
	char big[41];

	handshake(e);
	seg(e, 1.1, true, 100, NET_TCP_ACK, "TEST");
	seg(e, 1.2, true, 110, NET_TCP_ACK, "after"); /* 104..109 lost */
	assert_string_equal(fed[0].data, "TEST");
	/* the hole outlives gap_timeout: the next segment makes it a gap */
	seg(e, 3.0, true, 115, NET_TCP_ACK, "more");
	assert_string_equal(fed[0].data, "TEST<gap 6>aftermore");
	/* held bytes over the bound: the hole is given up at once */
	memset(big, 'x', 40);
	big[40] = 0;
	seg(e, 3.1, true, 129, NET_TCP_ACK, big); /* 119..128 lost */
	seg(e, 3.1, true, 169, NET_TCP_ACK, big);
	assert_memory_equal(fed[0].data + 20, "<gap 10>xxx", 11);
	bh_net_engine_flush(e);
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.tcp_gaps, 16);
	assert_int_equal(fed[0].len, 20 + 8 + 80);
	assert_int_equal(fini_calls, 1);
	bh_net_engine_free(e);

	/* the bytes held by all flows together are bounded too */
	setup(NULL);
	o = (struct bh_net_opts){ .max_held_bytes = 16 };
	e = engine(&o);
	handshake(e);
	seg(e, 1.1, true, 100, NET_TCP_ACK, "TEST");
	seg(e, 1.2, true, 110, NET_TCP_ACK, "0123456789"); /* held: 10 */
	seg(e, 1.3, true, 130, NET_TCP_ACK, "abcdefghij"); /* 20 > 16: the first hole goes */
	assert_string_equal(fed[0].data, "TEST<gap 6>0123456789");
	bh_net_engine_flush(e);
	assert_string_equal(fed[0].data, "TEST<gap 6>0123456789<gap 10>abcdefghij");
	bh_net_engine_free(e);

	/* a gap before the protocol is known: decided with what came (unknown) */
	setup(NULL);
	o = (struct bh_net_opts){ .gap_timeout = 1, .max_ooo_bytes = 64 };
	e = engine(&o);
	handshake(e);
	seg(e, 1.1, true, 100, NET_TCP_ACK, "TE");
	seg(e, 1.1, true, 110, NET_TCP_ACK, "xx");
	bh_net_engine_flush(e);
	assert_string_equal(recs[0].app, "unknown");
	assert_int_equal(fini_calls, 0);
	bh_net_engine_free(e);
}

static void test_udp_probe_and_hint(void **state)
{
	struct bh_net_engine *e = engine(NULL);

	/* "TEST" says yes: fed one datagram per call */
	udp4(e, 1, "10.0.0.1", 5000, "10.0.0.2", 53, "TEST a");
	udp4(e, 1, "10.0.0.2", 53, "10.0.0.1", 5000, "reply");
	/* nothing says yes: the MAYBE dissector wins on its port */
	udp4(e, 1, "10.0.0.1", 5001, "10.0.0.2", 9999, "xyz");
	/* ... and not on another port */
	udp4(e, 1, "10.0.0.1", 5002, "10.0.0.2", 9998, "xyz");
	bh_net_engine_flush(e);
	assert_int_equal(nrecs, 3);
	assert_string_equal(recs[0].app, "test");
	assert_string_equal(recs[0].l4, "udp");
	assert_int_equal(recs[0].packets[1], 1);
	assert_string_equal(recs[1].app, "maybe");
	assert_string_equal(recs[2].app, "unknown");
	assert_memory_equal(fed[0].data, "TEST axyz", 9);
	assert_string_equal(fed[1].data, "reply");
	assert_int_equal(fini_calls, 2);
	bh_net_engine_free(e);
}

/* ---- flows, bounds, meters -------------------------------------------------- */

static void test_flow_bounds(void **state)
{
	struct bh_net_opts o = { .max_flows = 4, .udp_idle = 5 };
	struct bh_net_engine *e = engine(&o);
	struct bh_net_stats st;
	char src[32];

	for (int i = 0; i < 10; i++) {
		snprintf(src, sizeof(src), "10.9.0.%d", i + 1);
		udp4(e, 1 + i * 0.1, src, 1000, "10.9.9.9", 2000, "x");
	}
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.flows, 10);
	assert_int_equal(st.flows_evicted, 6);
	assert_int_equal(st.flows_active, 4);
	assert_int_equal(nrecs, 6);
	assert_int_equal(recs[0].end, BH_NET_END_EVICTED);
	assert_string_equal(recs[0].src, "10.9.0.1:1000"); /* the oldest went first */
	/* idle: a packet much later ends the others */
	udp4(e, 100, "10.9.0.99", 1, "10.9.9.9", 2, "x");
	assert_int_equal(nrecs, 10);
	assert_int_equal(recs[9].end, BH_NET_END_IDLE);
	bh_net_engine_free(e); /* the open flow is freed without a record */
	assert_int_equal(nrecs, 10);
}

/* UDP: 8 datagrams in a second to one address are a flood past 5, on the
 * flow that carries them; 5 spread over two seconds to another are not. */
static void test_udp_flood(void **state)
{
	struct bh_net_opts o = { .udp_rate = 5, .conn_rate = 1000000 };
	struct bh_net_engine *e = engine(&o);

	(void)state;
	for (int i = 0; i < 8; i++)
		udp4(e, 1 + i * 0.01, "10.8.0.1", 5000, "10.8.8.8", 9, "x");
	for (int i = 0; i < 5; i++)
		udp4(e, 3 + i * 0.4, "10.8.0.2", 5000, "10.8.8.9", 9, "x");
	bh_net_engine_flush(e);
	assert_int_equal(nrecs, 2);
	for (size_t i = 0; i < nrecs; i++)
		assert_string_equal(recs[i].threats,
				    recs[i].packets[0] == 8 ? "BH-NET-UDP-FLOOD" : "");
	bh_net_engine_free(e);
}

static void test_floods(void **state)
{
	struct bh_net_opts o = { .syn_rate = 10, .conn_rate = 1000000, .icmp_rate = 5 };
	struct bh_net_engine *e = engine(&o);
	char src[32];
	size_t flagged = 0;

	/* 20 SYNs to one address within a second: the 11th on are a flood */
	for (int i = 0; i < 20; i++) {
		size_t l4 = tcp_hdr(P + 20, (uint16_t)(1000 + i), 80, 1, NET_TCP_SYN, NULL, 0);

		snprintf(src, sizeof(src), "10.8.0.%d", i + 1);
		ip4(P, src, "10.8.8.8", 6, 1, 0, l4);
		bh_net_engine_packet(e, P, 20 + l4, BH_NET_LINK_RAW, 1 + i * 0.01, NULL);
	}
	/* a slow trickle to another address is no flood */
	for (int i = 0; i < 20; i++) {
		size_t l4 = tcp_hdr(P + 20, (uint16_t)(3000 + i), 80, 1, NET_TCP_SYN, NULL, 0);

		ip4(P, "10.8.0.200", "10.8.8.9", 6, 1, 0, l4);
		bh_net_engine_packet(e, P, 20 + l4, BH_NET_LINK_RAW, 2 + i * 0.5, NULL);
	}
	/* ICMP: 8 echoes in a second */
	for (int i = 0; i < 8; i++) {
		uint8_t ic[8] = { 8, 0, 0, 0, 0, 1, 0, (uint8_t)i };

		ip4(P, "10.8.0.50", "10.8.8.10", 1, 1, 0, 8);
		memcpy(P + 20, ic, 8);
		bh_net_engine_packet(e, P, 28, BH_NET_LINK_RAW, 20 + i * 0.01, NULL);
	}
	bh_net_engine_flush(e);
	for (size_t i = 0; i < nrecs; i++) {
		if (strstr(recs[i].threats, "BH-NET-SYN-FLOOD")) {
			flagged++;
			assert_string_equal(recs[i].l4, "tcp");
		}
	}
	assert_int_equal(flagged, 10);
	assert_string_equal(recs[nrecs - 1].l4, "icmp");
	assert_string_equal(recs[nrecs - 1].threats, "BH-NET-ICMP-FLOOD");
	bh_net_engine_free(e);

	/* a flood from 5000 sources: each new source's flow meter lands in some
	 * bucket, many in the target's; none may restart the target's SYN meter */
	setup(NULL);
	o = (struct bh_net_opts){ .syn_rate = 100, .conn_rate = 1000000, .max_flows = 8192 };
	e = engine(&o);
	for (int i = 0; i < 5000; i++) {
		size_t l4 = tcp_hdr(P + 20, 40000, 443, 1, NET_TCP_SYN, NULL, 0);

		snprintf(src, sizeof(src), "10.%d.%d.%d", 100 + i / 65536, (i / 256) % 256,
			 i % 256);
		ip4(P, src, "10.9.9.9", 6, 1, 0, l4);
		bh_net_engine_packet(e, P, 20 + l4, BH_NET_LINK_RAW, 5 + i * 0.0001, NULL);
	}
	bh_net_engine_flush(e);
	assert_int_equal(n_syn_flood, 4900);
	bh_net_engine_free(e);

	/* connections from one source */
	setup(NULL);
	o = (struct bh_net_opts){ .conn_rate = 5 };
	e = engine(&o);
	for (int i = 0; i < 8; i++)
		udp4(e, 1 + i * 0.01, "10.7.0.1", (uint16_t)(1000 + i), "10.7.0.2", 9, "x");
	bh_net_engine_flush(e);
	flagged = 0;
	for (size_t i = 0; i < nrecs; i++)
		flagged += strstr(recs[i].threats, "BH-NET-CONN-FLOOD") != NULL;
	assert_int_equal(flagged, 3);
	bh_net_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_tcp_split_probe, setup),
		cmocka_unit_test_setup(test_tcp_ooo_overlap_retransmit, setup),
		cmocka_unit_test_setup(test_tcp_gaps, setup),
		cmocka_unit_test_setup(test_udp_probe_and_hint, setup),
		cmocka_unit_test_setup(test_flow_bounds, setup),
		cmocka_unit_test_setup(test_floods, setup),
		cmocka_unit_test_setup(test_udp_flood, setup),
	};
	int rc = cmocka_run_group_tests_name("net tcp and flows", tests, NULL, NULL);

	bh_buf_release(&fed[0]);
	bh_buf_release(&fed[1]);
	return rc;
}
