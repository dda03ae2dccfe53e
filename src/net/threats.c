/* SPDX-License-Identifier: Apache-2.0 */
/* The network threat catalogue: see threats.h. Rows sorted by ID. */
#include <string.h>

#include "net/threats.h"
#include "banned.h"

const struct bh_net_threat_def bh_net_threats[] = {
	{ "BH-NET-CONN-FLOOD", "connection flood from one source", BH_NET_SEV_HIGH, "4.4.2" },
	{ "BH-NET-DLP-CARD", "payment card number in cleartext", BH_NET_SEV_HIGH, "4.4.2" },
	{ "BH-NET-DLP-SENSOR", "user data-leak sensor matched", BH_NET_SEV_MEDIUM, "4.4.2" },
	{ "BH-NET-DLP-SSN", "US social security number in cleartext", BH_NET_SEV_HIGH, "4.4.2" },
	{ "BH-NET-DNS-AMPLIFY", "DNS amplification", BH_NET_SEV_HIGH, "4.4.2" },
	{ "BH-NET-DNS-TUNNEL", "DNS tunnelling", BH_NET_SEV_HIGH, "4.4.2" },
	{ "BH-NET-DNS-VOLUME", "many distinct DNS names under one domain from one client",
	  BH_NET_SEV_MEDIUM, "4.4.2" },
	{ "BH-NET-DNS-ZONE-XFER", "DNS zone transfer", BH_NET_SEV_MEDIUM, "4.4.2" },
	{ "BH-NET-FRAG-OVERLAP", "overlapping IP fragments with different data", BH_NET_SEV_HIGH,
	  "4.4.2" },
	{ "BH-NET-FRAG-PING-OF-DEATH", "ping of death (a datagram over 65535 bytes)",
	  BH_NET_SEV_HIGH, "4.4.2" },
	{ "BH-NET-FRAG-TINY", "tiny first fragment (TCP header split)", BH_NET_SEV_MEDIUM,
	  "4.4.2" },
	{ "BH-NET-FTP-BOUNCE", "FTP bounce: PORT/EPRT to a third host", BH_NET_SEV_HIGH, "4.4.2" },
	{ "BH-NET-HTTP-SLOWLORIS", "HTTP slowloris", BH_NET_SEV_MEDIUM, "4.4.4" },
	{ "BH-NET-HTTP-SMUGGLE", "HTTP request smuggling", BH_NET_SEV_HIGH, "4.4.4" },
	{ "BH-NET-HTTP2-HPACK-BOMB", "HTTP/2 HPACK bomb", BH_NET_SEV_HIGH, "4.4.4" },
	{ "BH-NET-HTTP2-RAPID-RESET", "HTTP/2 rapid reset", BH_NET_SEV_HIGH, "4.4.4" },
	{ "BH-NET-ICMP-FLOOD", "ICMP flood", BH_NET_SEV_HIGH, "4.4.2" },
	{ "BH-NET-PORT-SCAN", "port scan: many ports of one address from one source",
	  BH_NET_SEV_MEDIUM, "4.4.2" },
	{ "BH-NET-REDIS-CONFIG-DIR", "Redis CONFIG SET dir/dbfilename from a client",
	  BH_NET_SEV_HIGH, "4.4.4" },
	{ "BH-NET-REDIS-MODULE-LOAD", "Redis MODULE LOAD from a client", BH_NET_SEV_CRITICAL,
	  "4.4.4" },
	{ "BH-NET-REDIS-REPLICAOF", "Redis SLAVEOF/REPLICAOF a remote master", BH_NET_SEV_HIGH,
	  "4.4.4" },
	{ "BH-NET-SMTP-USER-ENUM", "SMTP user enumeration (VRFY/EXPN)", BH_NET_SEV_MEDIUM,
	  "4.4.4" },
	{ "BH-NET-SQLI", "SQL injection", BH_NET_SEV_HIGH, "4.4.4" },
	{ "BH-NET-SSH-V1", "SSH protocol 1 offered", BH_NET_SEV_MEDIUM, "4.4.4" },
	{ "BH-NET-SYN-FLOOD", "SYN flood", BH_NET_SEV_HIGH, "4.4.2" },
	{ "BH-NET-TCP-OVERLAP", "overlapping TCP segments with different data", BH_NET_SEV_HIGH,
	  "4.4.2" },
	{ "BH-NET-TLS-DOWNGRADE", "TLS downgrade", BH_NET_SEV_MEDIUM, "4.4.2" },
	{ "BH-NET-TLS-HEARTBLEED", "TLS Heartbleed", BH_NET_SEV_CRITICAL, "4.4.4" },
	{ "BH-NET-TLS-SNI-CHANGE", "TLS server name changed after a HelloRetryRequest",
	  BH_NET_SEV_MEDIUM, "4.4.2" },
	{ "BH-NET-UDP-FLOOD", "UDP flood", BH_NET_SEV_HIGH, "4.4.2" },
	{ NULL, NULL, 0, NULL },
};

const struct bh_net_threat_def *bh_net_threat_find(const char *id)
{
	for (const struct bh_net_threat_def *t = bh_net_threats; t->id; t++)
		if (strcmp(t->id, id) == 0)
			return t;
	return NULL;
}
