/* SPDX-License-Identifier: Apache-2.0 */
/* The network threat catalogue: see threats.h. Rows sorted by ID. */
#include <string.h>

#include "net/threats.h"

const struct bh_net_threat_def bh_net_threats[] = {
	/* the matchers (src/net/dlp.c, sqli_detect.c) */
	{ "BH-NET-DLP-CARD", "payment card number in cleartext", BH_NET_SEV_HIGH, "4.4.2" },
	{ "BH-NET-DLP-SENSOR", "user data-leak sensor matched", BH_NET_SEV_MEDIUM, "4.4.2" },
	{ "BH-NET-DLP-SSN", "US social security number in cleartext", BH_NET_SEV_HIGH, "4.4.2" },
	{ "BH-NET-SQLI", "SQL injection", BH_NET_SEV_HIGH, "4.4.4" },
	/* the packet engine (src/net/engine.c, frag.c) */
	{ "BH-NET-CONN-FLOOD", "connection flood from one source", BH_NET_SEV_HIGH, "4.4.2" },
	{ "BH-NET-FRAG-OVERLAP", "overlapping IP fragments with different data", BH_NET_SEV_HIGH,
	  "4.4.2" },
	{ "BH-NET-FRAG-PING-OF-DEATH", "ping of death (a datagram over 65535 bytes)",
	  BH_NET_SEV_HIGH, "4.4.2" },
	{ "BH-NET-FRAG-TINY", "tiny first fragment (TCP header split)", BH_NET_SEV_MEDIUM,
	  "4.4.2" },
	{ "BH-NET-ICMP-FLOOD", "ICMP flood", BH_NET_SEV_HIGH, "4.4.2" },
	{ "BH-NET-SYN-FLOOD", "SYN flood", BH_NET_SEV_HIGH, "4.4.2" },
	{ "BH-NET-TCP-OVERLAP", "overlapping TCP segments with different data", BH_NET_SEV_HIGH,
	  "4.4.2" },
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
