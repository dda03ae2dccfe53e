/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the capture file reader (pcap, pcapng: both byte orders, every block)
 * and the engine behind it: every packet the reader yields goes through the
 * decoder, fragments, flows and reassembly with small bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_flow(const struct bh_net_flow_record *r, void *arg)
{
	json_t *j = bh_net_flow_to_json(r);

	*(size_t *)arg += json_object_size(j);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_net_opts o = { .max_flows = 16, .max_ooo_bytes = 4096, .max_frag_datagrams = 8 };
	struct bh_net_engine *e = NULL;
	struct bh_net_pcap *r = NULL;
	struct bh_net_pcap_pkt pkt;
	struct bh_error *err = NULL;
	uint8_t *copy = malloc(size ? size : 1); /* exactly the bytes: an over-read is caught */
	size_t n = 0;

	memcpy(copy, data, size);
	o.on_flow = on_flow;
	o.arg = &n;
	if (bh_net_pcap_open_mem(copy, size, "fuzz", &r, &err) == 0 &&
	    bh_net_engine_new(&o, &e, &err) == 0) {
		while (bh_net_pcap_next(r, &pkt, &err) > 0) {
			/* the packet is borrowed: a copy of its length catches an over-read */
			uint8_t *p = malloc(pkt.caplen ? pkt.caplen : 1);

			memcpy(p, pkt.data, pkt.caplen);
			bh_net_engine_packet(e, p, pkt.caplen, pkt.linktype, pkt.ts, NULL);
			free(p);
		}
		bh_net_engine_flush(e);
	}
	bh_error_free(err);
	bh_net_engine_free(e);
	bh_net_pcap_free(r);
	free(copy);
	return 0;
}
