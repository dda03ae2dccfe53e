/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's flows (issue 17, flows17): the agents' flow records
 * (src/agent/flows.h) stored per node and seq once, aggregated by edge
 * (src, dst, port, l4, app) and time bucket (BH_CTL_FLOW_BUCKET s), and read
 * back as the connection graph (groups as nodes, edges with their counts,
 * verdicts and threats) for web/graph.js.
 */
#ifndef BULKHEAD_CTL_FLOWS_H
#define BULKHEAD_CTL_FLOWS_H

#include "bulkhead/ctl.h"

#define BH_CTL_FLOW_BUCKET	60   /* seconds */
#define BH_CTL_FLOW_RECORDS_MAX 64   /* records in one POST */
#define BH_CTL_FLOW_EDGES_MAX	1024 /* edges in one record */
#define BH_CTL_FLOW_NAME_MAX	127  /* a group or peer */
#define BH_CTL_FLOW_APP_MAX	23
#define BH_CTL_FLOW_THREAT_MAX	31
#define BH_CTL_FLOW_THREATS_MAX 8
#define BH_CTL_FLOW_GRAPH_MAX	50000 /* edges in one answer */
#define BH_CTL_FLOW_COUNT_MAX	((int64_t)1 << 53)

struct bh_ctl_flow_edge {
	const char *src, *dst, *l4, *app; /* borrowed from the parsed body */
	bool src_peer, dst_peer;
	int64_t port;
	int64_t bytes, packets, conns, allowed, denied;
	const char *threats[BH_CTL_FLOW_THREATS_MAX];
	size_t nthreats;
};

struct bh_ctl_flow_record {
	int64_t ts, interval, dropped;
	struct bh_ctl_flow_edge *edges;
	size_t n;
};

/* POST /api/v1/agent/flows: {"node", "first_seq", "records": [{"kind":"flows",
 * "ts", "interval"?, "dropped"?, "edges": [{"src", "dst", "src_peer"?,
 * "dst_peer"?, "port", "l4", "app", "bytes"?, "packets"?, "conns"?,
 * "allowed"?, "denied"?, "threats"?}...]}...]}; record i has seq
 * first_seq + i. */
struct bh_ctl_flows {
	char node[BH_CTL_NAME_MAX + 1];
	int64_t first_seq;
	size_t n;
	struct bh_ctl_flow_record *rec;
	json_t *root; /* owns the strings */
};

/* Untrusted (ptr, len) (fuzz/fuzz_ctl_flows.c): unknown members, wrong
 * types, values over their limits BH_ERR_INVALID naming the member; over
 * BH_CTL_BODY_MAX BH_ERR_LIMIT. Release also after a failure. */
int bh_ctl_flows_parse(const char *buf, size_t len, struct bh_ctl_flows *out,
		       struct bh_error **err);
void bh_ctl_flows_release(struct bh_ctl_flows *f);

struct bh_ctl_flows_result {
	int64_t stored;	 /* records newly stored */
	int64_t edges;	 /* their edges */
	int64_t threats; /* their threat IDs */
	int64_t acked;	 /* the highest seq stored for the node, events or flows */
	uint64_t fresh;	 /* bit i: record i newly stored (BH_CTL_FLOW_RECORDS_MAX <= 64) */
};
/* Store f of node in one transaction: a record whose (node, seq) is held is
 * skipped whole; the node must be registered (BH_ERR_NOTFOUND). */
int bh_ctl_flows_ingest(struct bh_ctl_store *s, const char *node, const struct bh_ctl_flows *f,
			struct bh_ctl_flows_result *res, struct bh_error **err);

/* ctlmisc19: the edges a live stream's `flows` event carries, at most, and
 * (fixctl19) their encoded size, at most: the event's envelope (path, by,
 * node, result) fits in the rest of the stream's 64 KiB */
#define BH_CTL_FLOW_DELTA_MAX	64
#define BH_CTL_FLOW_DELTA_BYTES (60u << 10)
/* The edges of f's records newly stored (bit i of fresh: record i), summed
 * by edge in the graph's shape (bh_ctl_flows_graph's "flows" items, with
 * "from_peer" and "to_peer" for the groups' kinds; "threats" distinct, at
 * most BH_CTL_FLOW_THREATS_MAX): {"edges": [...], "truncated": the edge
 * items left out}. An edge is taken while there are fewer than max and its
 * encoded size (names as escaped, the counts and threats it may still grow
 * by) keeps the edges under BH_CTL_FLOW_DELTA_BYTES; once one is refused,
 * every edge item not already taken is counted in "truncated" (each time it
 * comes: no key set is kept past the cap), the taken ones go on summing. */
json_t *bh_ctl_flows_delta(const struct bh_ctl_flows *f, uint64_t fresh, size_t max);

struct bh_ctl_flow_filter {
	int64_t since, until; /* unix seconds, inclusive; 0: the last hour, now */
	const char *group;    /* NULL: all; else edges from or to it */
	const char *node;     /* NULL: all */
};
/* {"since","until","groups":[{"id","name","kind"}],"flows":[{"from","to",
 *  "proto","port","app","bytes","packets","conns","allowed","denied",
 *  "verdict","threats","last_seen"}], "truncated"}: edges summed over the
 * window's buckets and the nodes, the busiest first, at most
 * BH_CTL_FLOW_GRAPH_MAX. */
int bh_ctl_flows_graph(struct bh_ctl_store *s, const struct bh_ctl_flow_filter *f, json_t **out,
		       struct bh_error **err);

#endif /* BULKHEAD_CTL_FLOWS_H */
