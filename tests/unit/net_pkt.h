/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The IPv4 TCP segment the network engine's unit tests feed it: one builder
 * they share. The fields the engine reads, no checksums (it checks none).
 */
#ifndef BULKHEAD_TEST_NET_PKT_H
#define BULKHEAD_TEST_NET_PKT_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* src:sp to dst:dp, sequence seq, TCP flags, n bytes of data (NULL when n is
 * 0), written to out, which has room for 40 + n bytes; the packet's length. */
static inline size_t tpkt_tcp4(uint8_t *out, const char *src, uint16_t sp, const char *dst,
			       uint16_t dp, uint32_t seq, uint8_t flags, const void *data, size_t n)
{
	uint8_t *t = out + 20;
	size_t tot = 40 + n;

	memset(out, 0, 40);
	out[0] = 0x45;
	out[2] = (uint8_t)(tot >> 8);
	out[3] = (uint8_t)tot;
	out[8] = 64;
	out[9] = 6;
	inet_pton(AF_INET, src, out + 12);
	inet_pton(AF_INET, dst, out + 16);
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
	return tot;
}

#endif
