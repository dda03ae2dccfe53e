/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BH-NET-PORT-SCAN through the engine: one source opening flows (TCP SYNs,
 * UDP datagrams) to more than scan_ports distinct ports of one address in
 * 10 s is flagged once, on one flow past the limit, with the scanner as the
 * flow's client; the same ports again, another destination, another source
 * with fewer ports, answers (a SYN-ACK seen first) are not a scan; a new
 * window flags a scan again.
 */
#include <arpa/inet.h>

#include "unit.h"
#include "net_pkt.h"
#include "bulkhead/net.h"
#include "net/dissect.h"
#include "net/net_int.h"
#include "banned.h"

static size_t n_scan, n_flows;
static char scan_src[64];
static unsigned scan_port; /* the flagged flow's destination port */

static void keep_flow(const struct bh_net_flow_record *r, void *arg)
{
	(void)arg;
	n_flows++;
	for (size_t i = 0; i < r->n_threats; i++)
		if (!strcmp(r->threats[i].id, "BH-NET-PORT-SCAN")) {
			json_t *j = bh_net_flow_to_json(r);

			n_scan++;
			snprintf(scan_src, sizeof(scan_src), "%s",
				 json_string_value(json_object_get(j, "src")));
			scan_port = r->server_port;
			json_decref(j);
		}
}

static uint8_t P[64];

/* A TCP segment with flags (or a UDP datagram when flags is 0). */
static void pkt(struct bh_net_engine *e, double ts, const char *src, uint16_t sp, const char *dst,
		uint16_t dp, uint8_t flags)
{
	size_t l4 = flags ? 20 : 8;

	memset(P, 0, sizeof(P));
	P[0] = 0x45;
	P[3] = (uint8_t)(20 + l4);
	P[8] = 64;
	P[9] = flags ? 6 : 17;
	inet_pton(AF_INET, src, P + 12);
	inet_pton(AF_INET, dst, P + 16);
	P[20] = (uint8_t)(sp >> 8);
	P[21] = (uint8_t)sp;
	P[22] = (uint8_t)(dp >> 8);
	P[23] = (uint8_t)dp;
	if (flags) {
		P[32] = 5 << 4;
		P[33] = flags;
	} else {
		P[25] = 8;
	}
	bh_net_engine_packet(e, P, 20 + l4, BH_NET_LINK_RAW, ts, NULL);
}

static struct bh_net_engine *engine(unsigned limit)
{
	struct bh_net_opts o = { .on_flow = keep_flow, .scan_ports = limit, .conn_rate = 1000000 };
	struct bh_net_engine *e = NULL;

	n_scan = n_flows = 0;
	scan_src[0] = '\0';
	scan_port = 0;
	assert_int_equal(bh_net_engine_new(&o, &e, NULL), 0);
	return e;
}

static void test_scan_tcp(void **state)
{
	struct bh_net_engine *e = engine(0); /* the default: 100 */
	struct bh_net_stats st;

	(void)state;
	/* 100 ports, each twice (a retransmission, a second source port): no scan */
	for (int i = 0; i < 100; i++) {
		pkt(e, 1 + i * 0.001, "10.5.0.1", 40000, "10.5.0.2", (uint16_t)(1 + i),
		    NET_TCP_SYN);
		pkt(e, 1.2 + i * 0.001, "10.5.0.1", 40000, "10.5.0.2", (uint16_t)(1 + i),
		    NET_TCP_SYN);
		pkt(e, 1.5 + i * 0.001, "10.5.0.1", 40001, "10.5.0.2", (uint16_t)(1 + i),
		    NET_TCP_SYN);
	}
	/* another source, 90 ports; the same source, 90 ports of another address;
	 * the server's answers to 300 ports (SYN-ACKs seen first) */
	for (int i = 0; i < 90; i++) {
		pkt(e, 2 + i * 0.001, "10.5.0.3", 40000, "10.5.0.2", (uint16_t)(1000 + i),
		    NET_TCP_SYN);
		pkt(e, 2 + i * 0.001, "10.5.0.1", 40000, "10.5.0.4", (uint16_t)(1000 + i),
		    NET_TCP_SYN);
	}
	for (int i = 0; i < 300; i++)
		pkt(e, 2.5 + i * 0.001, "10.5.0.9", (uint16_t)(2000 + i), "10.5.0.8", 41000,
		    NET_TCP_SYN | NET_TCP_ACK);
	bh_net_engine_stats(e, &st);
	assert_int_equal(st.flows, 100 * 2 + 180 + 300);
	bh_net_engine_flush(e);
	assert_int_equal(n_scan, 0);
	bh_net_engine_free(e);

	/* 300 ports in 3 s: one flow flagged, past the 100th port (a hash
	 * collision may count two ports as one: never more ports than seen) */
	e = engine(0);
	for (int i = 0; i < 300; i++)
		pkt(e, 1 + i * 0.01, "10.5.0.1", 40000, "10.5.0.2", (uint16_t)(5000 + i),
		    NET_TCP_SYN);
	bh_net_engine_flush(e);
	assert_int_equal(n_flows, 300);
	assert_int_equal(n_scan, 1);
	assert_string_equal(scan_src, "10.5.0.1:40000");
	assert_true(scan_port >= 5100 && scan_port < 5150); /* the 101st port: 5100 */
	bh_net_engine_free(e);
}

static void test_scan_window_udp(void **state)
{
	struct bh_net_engine *e = engine(20);

	(void)state;
	/* UDP: 60 ports in 1 s, then 60 more 12 s later (a new window): two */
	for (int i = 0; i < 60; i++)
		pkt(e, 1 + i * 0.01, "10.6.0.1", 50000, "10.6.0.2", (uint16_t)(100 + i), 0);
	assert_int_equal(n_scan, 0); /* flows not ended yet: reported at their end */
	for (int i = 0; i < 60; i++)
		pkt(e, 13 + i * 0.01, "10.6.0.1", 50000, "10.6.0.2", (uint16_t)(200 + i), 0);
	/* 20 distinct ports only, each many times: no scan */
	for (int i = 0; i < 200; i++)
		pkt(e, 14 + i * 0.01, "10.6.0.5", (uint16_t)(30000 + i), "10.6.0.2",
		    (uint16_t)(100 + i % 20), 0);
	bh_net_engine_flush(e);
	assert_int_equal(n_scan, 2);
	assert_string_equal(scan_src, "10.6.0.1:50000");
	bh_net_engine_free(e);
}

/* One segment of the FTP control flow 10.7.0.1:40000 - 10.7.0.2:21. */
static void ftp(struct bh_net_engine *e, double ts, bool from_client, uint32_t *seq, uint8_t flags,
		const char *line)
{
	static uint8_t b[256];
	size_t n = line ? strlen(line) : 0,
	       tot = from_client
			     ? tpkt_tcp4(b, "10.7.0.1", 40000, "10.7.0.2", 21, *seq, flags, line, n)
			     : tpkt_tcp4(b, "10.7.0.2", 21, "10.7.0.1", 40000, *seq, flags, line,
					 n);

	*seq += (uint32_t)n + ((flags & NET_TCP_SYN) ? 1 : 0);
	bh_net_engine_packet(e, b, tot, BH_NET_LINK_RAW, ts, NULL);
}

/* FTP's passive data channels, each announced by its control flow (227), are
 * no probes: 30 of them to 30 ports under a limit of 20 are not a scan; the
 * same 30 connections unannounced are. */
static void test_scan_not_ftp_data(void **state)
{
	for (int announced = 1; announced >= 0; announced--) {
		struct bh_net_opts o = { .on_flow = keep_flow,
					 .scan_ports = 20,
					 .conn_rate = 1000000,
					 .dissectors = bh_net_dissectors };
		struct bh_net_engine *e = NULL;
		uint32_t cs = 100, ss = 500;
		double ts = 1;

		(void)state;
		n_scan = n_flows = 0;
		assert_int_equal(bh_net_engine_new(&o, &e, NULL), 0);
		ftp(e, ts, true, &cs, NET_TCP_SYN, NULL);
		ftp(e, ts, false, &ss, NET_TCP_SYN | NET_TCP_ACK, NULL);
		ftp(e, ts, true, &cs, NET_TCP_ACK, NULL);
		ftp(e, ts, false, &ss, NET_TCP_ACK, "220 ftp\r\n");
		for (int i = 0; i < 30; i++) {
			uint16_t port = (uint16_t)(30000 + i * 7);
			char reply[96];

			ts += 0.05;
			if (announced) {
				snprintf(reply, sizeof(reply),
					 "227 Entering Passive Mode (10,7,0,2,%u,%u)\r\n",
					 port >> 8, port & 0xff);
				ftp(e, ts, true, &cs, NET_TCP_ACK, "PASV\r\n");
				ftp(e, ts, false, &ss, NET_TCP_ACK, reply);
			}
			pkt(e, ts, "10.7.0.1", (uint16_t)(41000 + i), "10.7.0.2", port,
			    NET_TCP_SYN);
		}
		bh_net_engine_flush(e);
		assert_int_equal(n_flows, 31);
		assert_int_equal(n_scan, announced ? 0 : 1);
		bh_net_engine_free(e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_tcp),
		cmocka_unit_test(test_scan_window_udp),
		cmocka_unit_test(test_scan_not_ftp_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
