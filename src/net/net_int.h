/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the packet engine (prefix net_): the decoded packet, the decoder
 * (decode.c) and IP fragment reassembly (frag.c). Exposed to the unit tests
 * and fuzz targets.
 */
#ifndef BULKHEAD_NET_INT_H
#define BULKHEAD_NET_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/net.h"

#define NET_IP6_EXT_MAX 8 /* IPv6 extension headers followed */
#define NET_VLAN_MAX	3 /* 802.1Q/802.1ad tags stacked */

enum { NET_TCP_FIN = 0x01, NET_TCP_SYN = 0x02, NET_TCP_RST = 0x04, NET_TCP_ACK = 0x10 };

enum net_decode_rc {
	NET_DEC_OK = 0,		 /* an IP packet with its layer 4 */
	NET_DEC_FRAGMENT = 1,	 /* an IP fragment: frag_* set, layer 4 not decoded */
	NET_DEC_UNSUPPORTED = 2, /* not IP, or a layer 4 we do not follow */
	NET_DEC_MALFORMED = -1,
};

struct net_pkt {
	uint8_t ipver;		  /* 4 or 6 */
	uint8_t proto;		  /* 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6 */
	uint8_t src[16], dst[16]; /* IPv4 mapped */
	uint16_t sport, dport;
	uint32_t ip_len; /* the IP datagram's length (header + payload) */
	/* TCP */
	uint8_t tcp_flags;
	uint32_t seq, ack;
	/* ICMP */
	uint8_t icmp_type, icmp_code;
	/* the layer 4 payload (TCP/UDP data, ICMP after its 8-byte header) */
	const uint8_t *payload;
	size_t payload_len;
	/* NET_DEC_FRAGMENT */
	uint32_t frag_id;
	uint32_t frag_off; /* bytes */
	bool frag_more;
	uint8_t frag_proto;	  /* the upper-layer protocol */
	const uint8_t *frag_data; /* the fragment's payload */
	size_t frag_len;
	size_t frag_hdr_len; /* IPv4: the header length (for the tiny-fragment check) */
};

/* Find the IP packet inside a link-layer frame: 4 or 6, or <0 (malformed) /
 * 0 (not IP). */
int net_link_ip(int linktype, const uint8_t *p, size_t len, const uint8_t **ip, size_t *ip_len);
/* Decode an IP packet (p, len: the captured bytes from the IP header on). */
enum net_decode_rc net_decode_ip(const uint8_t *p, size_t len, struct net_pkt *out);
/* Decode the layer 4 of an IP packet whose addresses and proto are set. */
enum net_decode_rc net_decode_l4(struct net_pkt *pk, const uint8_t *p, size_t len);

/* An address (IPv4 as v4-mapped IPv6) and port as "1.2.3.4:80" or "[::1]:80"
 * (flow_json.c); n >= INET6_ADDRSTRLEN + 8. */
void net_endpoint_str(char *out, size_t n, const uint8_t a[16], uint16_t port);

/* ---- IP fragment reassembly (frag.c) ---- */

struct net_frag_table;

struct net_frag_limits {
	size_t max_datagrams, max_bytes, max_frags;
	double timeout;
};

/* What net_frag_add found (threat flags, several may be set). */
enum {
	NET_FRAG_T_OVERLAP = 1 << 0, /* overlapping fragments with different data */
	NET_FRAG_T_POD = 1 << 1,     /* the datagram would pass 65535 bytes */
	NET_FRAG_T_TINY = 1 << 2,    /* first TCP fragment without the whole TCP header */
};

struct net_frag_table *net_frag_new(const struct net_frag_limits *lim);
void net_frag_free(struct net_frag_table *t);
/*
 * Add a fragment (pk as net_decode_ip left it). Returns 1 with the whole
 * datagram's payload in (*data, *len) (valid until the next call) when it is
 * complete, 0 when more is needed, -1 when the fragment or its datagram was
 * dropped (a bound, or the datagram is bad). *threats gets the NET_FRAG_T_*
 * of the datagram when it completes or is given up (0 while it is pending:
 * the threats of a datagram that times out are not reported).
 * `dropped` counts datagrams given up (timed out, evicted, bad).
 */
int net_frag_add(struct net_frag_table *t, const struct net_pkt *pk, double now,
		 const uint8_t **data, size_t *len, unsigned *threats, uint64_t *dropped);
size_t net_frag_bytes(const struct net_frag_table *t);
size_t net_frag_count(const struct net_frag_table *t);

#endif
