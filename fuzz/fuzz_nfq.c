/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the parser of the kernel's nfnetlink_queue messages (src/net/nfq.c):
 * the input is a receive buffer, walked message by message as the live path
 * does; each packet's payload then goes through the packet engine as raw IP.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/net.h"
#include "net/nfq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_net_opts o = { .max_flows = 16 };
	struct bh_net_engine *e = NULL;
	uint8_t *buf;
	size_t off = 0;

	if (size > 2 * NET_NFQ_MAX_MSG)
		return 0;
	/* a copy of exactly size bytes: an over-read is ASan's */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (bh_net_engine_new(&o, &e, NULL) < 0) {
		free(buf);
		return 0;
	}
	while (off < size) {
		struct net_nfq_pkt pk;
		size_t used = 0;
		int code = 0;
		enum net_nfq_msg m = net_nfq_parse(buf + off, size - off, &pk, &code, &used);
		enum bh_net_verdict v;

		if (m == NET_NFQ_MALFORMED)
			break;
		if (used == 0 || used > size - off)
			abort(); /* the walk must move on, inside the buffer */
		off += used;
		if (m == NET_NFQ_ERROR && code > 0)
			abort();
		if (m == NET_NFQ_PACKET) {
			if (pk.payload_len > NET_NFQ_MAX_PAYLOAD ||
			    (pk.payload &&
			     (pk.payload < buf || pk.payload + pk.payload_len > buf + size)))
				abort();
			bh_net_engine_packet(e, pk.payload ? pk.payload : buf, pk.payload_len,
					     BH_NET_LINK_RAW, 1.0, &v);
			(void)bh_net_engine_settled(e);
		}
	}
	bh_net_engine_flush(e);
	bh_net_engine_free(e);
	free(buf);
	return 0;
}
