/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The packet decoder: link layer (Ethernet with VLAN/QinQ tags, Linux cooked
 * v1/v2, raw IP, BSD/OpenBSD loopback), IPv4 (options skipped, checksum not
 * checked), IPv6 (a bounded chain of extension headers), TCP, UDP, ICMP and
 * ICMPv6. Every length is checked against the captured bytes; nothing is
 * copied.
 */
#include <string.h>

#include "net/net_int.h"
#include "banned.h"

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int by_ethertype(uint16_t et, const uint8_t *p, size_t len, const uint8_t **ip,
			size_t *ip_len)
{
	*ip = p;
	*ip_len = len;
	if (et == 0x0800)
		return 4;
	if (et == 0x86dd)
		return 6;
	return 0;
}

static int by_version(const uint8_t *p, size_t len, const uint8_t **ip, size_t *ip_len)
{
	if (len < 1)
		return -1;
	*ip = p;
	*ip_len = len;
	if (p[0] >> 4 == 4)
		return 4;
	if (p[0] >> 4 == 6)
		return 6;
	return -1;
}

int net_link_ip(int linktype, const uint8_t *p, size_t len, const uint8_t **ip, size_t *ip_len)
{
	uint32_t fam;

	switch (linktype) {
	case BH_NET_LINK_ETHERNET: {
		uint16_t et;
		size_t off = 12;

		if (len < 14)
			return -1;
		et = be16(p + 12);
		for (int i = 0; et == 0x8100 || et == 0x88a8 || et == 0x9100; i++) {
			if (i >= NET_VLAN_MAX || len < off + 6)
				return -1;
			off += 4;
			et = be16(p + off);
		}
		return by_ethertype(et, p + off + 2, len - off - 2, ip, ip_len);
	}
	case BH_NET_LINK_SLL:
		if (len < 16)
			return -1;
		return by_ethertype(be16(p + 14), p + 16, len - 16, ip, ip_len);
	case BH_NET_LINK_SLL2:
		if (len < 20)
			return -1;
		return by_ethertype(be16(p), p + 20, len - 20, ip, ip_len);
	case BH_NET_LINK_RAW:
	case 12:
	case 14: return by_version(p, len, ip, ip_len);
	case BH_NET_LINK_IPV4: return by_version(p, len, ip, ip_len) == 4 ? 4 : -1;
	case BH_NET_LINK_IPV6: return by_version(p, len, ip, ip_len) == 6 ? 6 : -1;
	case BH_NET_LINK_NULL:
	case BH_NET_LINK_LOOP:
		if (len < 4)
			return -1;
		if (linktype == BH_NET_LINK_LOOP)
			fam = be32(p);
		else
			memcpy(&fam, p, 4);
		/* the family is in the capturing host's order: take either */
		if (fam > 0xffff)
			fam = __builtin_bswap32(fam);
		if (fam == 2)
			return by_version(p + 4, len - 4, ip, ip_len) == 4 ? 4 : -1;
		if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
			return by_version(p + 4, len - 4, ip, ip_len) == 6 ? 6 : -1;
		return 0;
	default: return 0;
	}
}

enum net_decode_rc net_decode_l4(struct net_pkt *pk, const uint8_t *p, size_t len)
{
	switch (pk->proto) {
	case 6: {
		size_t doff;

		if (len < 20)
			return NET_DEC_MALFORMED;
		doff = (size_t)(p[12] >> 4) * 4;
		if (doff < 20 || doff > len)
			return NET_DEC_MALFORMED;
		pk->sport = be16(p);
		pk->dport = be16(p + 2);
		pk->seq = be32(p + 4);
		pk->ack = be32(p + 8);
		pk->tcp_flags = p[13];
		pk->payload = p + doff;
		pk->payload_len = len - doff;
		return NET_DEC_OK;
	}
	case 17: {
		uint16_t ulen;

		if (len < 8)
			return NET_DEC_MALFORMED;
		ulen = be16(p + 4);
		if (ulen < 8 || ulen > len)
			return NET_DEC_MALFORMED;
		pk->sport = be16(p);
		pk->dport = be16(p + 2);
		pk->payload = p + 8;
		pk->payload_len = ulen - 8u;
		return NET_DEC_OK;
	}
	case 1:
	case 58: {
		bool req, rep;

		if (len < 8)
			return NET_DEC_MALFORMED;
		pk->icmp_type = p[0];
		pk->icmp_code = p[1];
		req = pk->proto == 1 ? p[0] == 8 : p[0] == 128;
		rep = pk->proto == 1 ? p[0] == 0 : p[0] == 129;
		pk->sport = pk->dport = 0;
		if (req)
			pk->sport = be16(p + 4);
		else if (rep)
			pk->dport = be16(p + 4);
		pk->payload = p + 8;
		pk->payload_len = len - 8;
		return NET_DEC_OK;
	}
	default: return NET_DEC_UNSUPPORTED;
	}
}

static enum net_decode_rc decode_ip4(const uint8_t *p, size_t len, struct net_pkt *pk)
{
	size_t ihl, tot;
	uint16_t fo;

	if (len < 20)
		return NET_DEC_MALFORMED;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	tot = be16(p + 2);
	if (ihl < 20 || tot < ihl || ihl > len)
		return NET_DEC_MALFORMED;
	/* a capture cut short (snaplen) keeps what it has; padding is dropped */
	if (tot > len)
		tot = len;
	pk->ipver = 4;
	pk->proto = p[9];
	pk->ip_len = be16(p + 2);
	memset(pk->src, 0, 10);
	memset(pk->dst, 0, 10);
	pk->src[10] = pk->src[11] = pk->dst[10] = pk->dst[11] = 0xff;
	memcpy(pk->src + 12, p + 12, 4);
	memcpy(pk->dst + 12, p + 16, 4);
	fo = be16(p + 6);
	if (fo & 0x3fff) {
		pk->frag_id = be16(p + 4);
		pk->frag_off = (uint32_t)(fo & 0x1fff) * 8;
		pk->frag_more = fo & 0x2000;
		pk->frag_proto = pk->proto;
		pk->frag_data = p + ihl;
		pk->frag_len = tot - ihl;
		pk->frag_hdr_len = ihl;
		if (pk->frag_more && pk->frag_len % 8)
			return NET_DEC_MALFORMED;
		return NET_DEC_FRAGMENT;
	}
	return net_decode_l4(pk, p + ihl, tot - ihl);
}

static enum net_decode_rc decode_ip6(const uint8_t *p, size_t len, struct net_pkt *pk)
{
	size_t plen, off = 40, end;
	uint8_t nh;

	if (len < 40)
		return NET_DEC_MALFORMED;
	plen = be16(p + 4);
	end = 40 + plen;
	if (plen == 0) /* a jumbogram (or a bare header): not followed */
		return NET_DEC_UNSUPPORTED;
	if (end > len)
		end = len;
	pk->ipver = 6;
	pk->ip_len = (uint32_t)(40 + plen);
	memcpy(pk->src, p + 8, 16);
	memcpy(pk->dst, p + 24, 16);
	nh = p[6];
	for (int i = 0;; i++) {
		switch (nh) {
		case 0:	 /* hop-by-hop */
		case 43: /* routing */
		case 60: /* destination options */
		case 51: /* AH: length in 4-byte units, minus 2 */
		{
			size_t hl;

			if (i >= NET_IP6_EXT_MAX || off + 8 > end)
				return NET_DEC_MALFORMED;
			hl = nh == 51 ? ((size_t)p[off + 1] + 2) * 4 : ((size_t)p[off + 1] + 1) * 8;
			if (off + hl > end)
				return NET_DEC_MALFORMED;
			nh = p[off];
			off += hl;
			continue;
		}
		case 44: { /* fragment */
			uint16_t fo;

			if (i >= NET_IP6_EXT_MAX || off + 8 > end)
				return NET_DEC_MALFORMED;
			fo = be16(p + off + 2);
			pk->frag_proto = p[off];
			pk->frag_id = be32(p + off + 4);
			pk->frag_off = (uint32_t)(fo >> 3) * 8;
			pk->frag_more = fo & 1;
			pk->proto = pk->frag_proto;
			pk->frag_data = p + off + 8;
			pk->frag_len = end - off - 8;
			pk->frag_hdr_len = 0;
			if (pk->frag_off == 0 && !pk->frag_more) {
				/* an atomic fragment (RFC 6946): the packet itself */
				nh = pk->frag_proto;
				off += 8;
				continue;
			}
			if (pk->frag_more && pk->frag_len % 8)
				return NET_DEC_MALFORMED;
			return NET_DEC_FRAGMENT;
		}
		case 59: /* no next header */
		case 50: /* ESP: encrypted */ pk->proto = nh; return NET_DEC_UNSUPPORTED;
		default: pk->proto = nh; return net_decode_l4(pk, p + off, end - off);
		}
	}
}

enum net_decode_rc net_decode_ip(const uint8_t *p, size_t len, struct net_pkt *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 1)
		return NET_DEC_MALFORMED;
	if (p[0] >> 4 == 4)
		return decode_ip4(p, len, out);
	if (p[0] >> 4 == 6)
		return decode_ip6(p, len, out);
	return NET_DEC_MALFORMED;
}
