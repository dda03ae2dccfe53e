/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the network engine's unit tests feed it, built in one place: an IPv4
 * TCP segment (the fields the engine reads, no checksums: it checks none) and
 * a TLS ClientHello record.
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

/* ClientHello extensions of tpkt_hello(). */
enum { EX_EARLY = 1, EX_V13 = 2, EX_PSK = 4, EX_0RTT = 7 };

/* A ClientHello record with the extensions ex (EX_*), or with junk (a card
 * number) in its SNI; returns its length. */
static inline size_t tpkt_hello(uint8_t *b, unsigned ex, const char *sni)
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

#endif
