/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's flow records (issue 17, flows17): what the node knows of
 * connections, aggregated into edges per interval and shipped through the
 * spool as records of kind "flows" (so the controller keys them by (node,
 * seq) as it does events: exactly once).
 *
 * An edge is (src, dst, port, l4, app): src and dst a workload's group (the
 * container's name, else its id's first 12 characters) or a peer address;
 * counted: bytes, packets, connections, allowed and denied, threat IDs (at
 * most AGF_THREATS_MAX distinct). The table holds at most max_edges edges
 * (open addressing, fixed at creation); an edge that finds it full is
 * dropped and counted, the count shipped with the next record.
 *
 * Fed by the monitor's connect/accept/listen events (agent_flows_mon; at drain
 * a peer address becomes the peer's group when a container of this node was
 * seen with it as its local address, and an accept from such a container is
 * left out: its connect counted the connection) and by the net engine's flow records
 * (agent_flows_net: app, bytes, verdict, threats). Not thread-safe: the caller serialises.
 */
#ifndef BULKHEAD_AGENT_FLOWS_H
#define BULKHEAD_AGENT_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/base.h"

#define AGF_NAME_MAX	  127 /* a group or peer name */
#define AGF_APP_MAX	  23
#define AGF_THREAT_MAX	  31
#define AGF_THREATS_MAX	  8
#define AGF_EDGES_DEFAULT 4096
#define AGF_EDGES_MAX	  65536
#define AGF_RECORD_MAX	  (12u << 10) /* one flows record's JSON, under the spool's 16 KiB */

struct agf;
struct bh_mon_event;
struct bh_net_flow_record;

struct agf_edge_in {
	const char *src, *dst;	 /* 1..AGF_NAME_MAX bytes (longer: cut) */
	bool src_peer, dst_peer; /* an address, not a workload */
	/* seen at the destination (an accept): left out at drain when its source
	 * address is a container of this node, whose connect counted it */
	bool inbound;
	uint16_t port;
	const char *l4;	 /* "tcp", "udp", "icmp" */
	const char *app; /* NULL: "unknown" */
	uint64_t bytes, packets, conns, allowed, denied;
	const char *const *threats; /* IDs */
	size_t nthreats;
};

struct agf_stats {
	uint64_t edges;	  /* in the table now */
	uint64_t dropped; /* edges not taken (table full) since the last drain */
	uint64_t records; /* flows records emitted */
};

struct agf *agent_flows_new(size_t max_edges); /* 0: AGF_EDGES_DEFAULT; NULL: no memory */
void agent_flows_free(struct agf *f);
void agent_flows_add(struct agf *f, const struct agf_edge_in *e);
/* A connect/accept/accept4/listen event of a container (others ignored). */
void agent_flows_mon(struct agf *f, const struct bh_mon_event *ev);
/* One flow record of the net engine (include/bulkhead/net.h). */
void agent_flows_net(struct agf *f, const struct bh_net_flow_record *r);
/*
 * Emit the table as records {"kind":"flows","ts","interval","dropped",
 * "edges":[{"src","dst","src_peer"?,"dst_peer"?,"port","l4","app","bytes",
 * "packets","conns","allowed","denied","threats"}...]} of at most
 * AGF_RECORD_MAX bytes each, then empty it. emit failing stops (the edges
 * not yet emitted stay). Nothing emitted when the table is empty.
 */
int agent_flows_drain(struct agf *f, int64_t ts, int64_t interval,
		      int (*emit)(void *data, const char *rec, size_t len, struct bh_error **err),
		      void *data, struct bh_error **err);
void agent_flows_stats(const struct agf *f, struct agf_stats *st);

#endif /* BULKHEAD_AGENT_FLOWS_H */
