/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The packet engine of the container firewall (issue 16): capture files in,
 * packets decoded (link layer, IPv4/IPv6 with fragment reassembly, TCP, UDP,
 * ICMP), flows tracked in a bounded table, each TCP direction reassembled,
 * the application protocol identified and its dissector fed
 * (src/net/dissect.h), threats and rates recorded, one record per flow out
 * through a callback when the flow ends.
 *
 * The live path (NFQUEUE) and `bulkhead net inspect --pcap` call the same
 * per-packet function, bh_net_engine_packet(), and get a verdict from it.
 *
 * Ownership follows include/bulkhead/base.h: `const T *` arguments are
 * borrowed for the call; an engine is released with bh_net_engine_free();
 * a record handed to the flow callback is borrowed for the callback only.
 *
 * Bounds: every table and buffer has a maximum (struct bh_net_opts); input
 * that would pass one is dropped and counted (struct bh_net_stats), never
 * grown into. The engine is not thread-safe: one thread per engine.
 */
#ifndef BULKHEAD_NET_H
#define BULKHEAD_NET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/base.h"

struct bh_ctr_opts;	 /* include/bulkhead/containers.h */
struct bh_net_flow_info; /* a flow's ends (src/net/dissect.h) */

/* Link types (tcpdump.org's LINKTYPE_ numbers) the decoder reads. */
enum bh_net_linktype {
	BH_NET_LINK_NULL = 0,	  /* BSD loopback: 4-byte host-order address family */
	BH_NET_LINK_ETHERNET = 1, /* with 802.1Q / 802.1ad tags (QinQ) */
	BH_NET_LINK_RAW = 101,	  /* raw IPv4 or IPv6 (also DLT 12 and 14) */
	BH_NET_LINK_LOOP = 108,	  /* OpenBSD loopback: network-order family */
	BH_NET_LINK_SLL = 113,	  /* Linux cooked capture v1 */
	BH_NET_LINK_IPV4 = 228,
	BH_NET_LINK_IPV6 = 229,
	BH_NET_LINK_SLL2 = 276, /* Linux cooked capture v2 */
};

enum bh_net_verdict {
	BH_NET_ACCEPT = 0,
	BH_NET_DROP = 1,
};

/* One threat seen on a flow: the catalogue's row (src/net/threats.h). */
struct bh_net_threat_hit {
	const char *id, *name; /* static strings */
	unsigned count;	       /* times it was reported on the flow */
};

#define BH_NET_FLOW_THREATS_MAX 16 /* distinct threats kept per flow */

/* One data-leak match on a flow (src/net/dlp.h): never the matched bytes. */
struct bh_net_dlp_hit {
	const char *type; /* "card-visa", ..., "ssn", or a sensor name (static) */
	char masked[32];  /* e.g. "************1111" */
	int dir;	  /* BH_NET_TO_SERVER (0) or BH_NET_TO_CLIENT (1) */
	uint64_t offset;  /* of the match in the direction's inspected stream */
};

#define BH_NET_FLOW_DLP_MAX 16 /* data-leak matches kept per flow (the rest only counted) */

/* The end of a flow, for its record. */
enum bh_net_flow_end {
	BH_NET_END_CLOSED = 0, /* TCP FIN both ways or RST (then its short idle time, or a flush) */
	BH_NET_END_IDLE,       /* its protocol's idle timeout */
	BH_NET_END_EVICTED,    /* the table was full; the oldest flow made room */
	BH_NET_END_FLUSH,      /* still open when the engine was flushed (end of a file) */
};

/*
 * What the engine reports when a flow ends. Addresses in network byte order,
 * IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d). The client is the TCP SYN
 * sender, else the first sender seen. For ICMP echo, client_port is the echo
 * identifier and server_port 0; other ICMP messages have ports 0.
 */
struct bh_net_flow_record {
	const char *l4; /* "tcp", "udp", "icmp" (ICMPv6 too) */
	uint8_t client_addr[16], server_addr[16];
	uint16_t client_port, server_port;
	const char *app;	       /* the dissector's app, or "unknown" */
	const char *host;	       /* HTTP host / TLS SNI / DNS query name, or NULL */
	uint64_t packets[2], bytes[2]; /* [BH_NET_TO_SERVER], [BH_NET_TO_CLIENT]; IP bytes */
	double first, last;	       /* timestamps of the first and last packet */
	enum bh_net_flow_end end;
	const struct bh_net_threat_hit *threats;
	size_t n_threats;
	const struct bh_net_dlp_hit *dlp;
	size_t n_dlp;
	/* The path of the flow's capture file (capture_dir/bh-….pcap) when an
	 * alert on it started one, else NULL. The file may have been removed
	 * since under the directory's byte bound. */
	const char *capture;
	/* With a policy (bh_net_opts.policy, include/bulkhead/netpolicy.h): */
	const char *rule;	  /* the deciding rule, or NULL (none applies / no policy) */
	const char *verdict;	  /* "allow", "alert", "deny"; NULL without a policy */
	const char *client_group; /* the ends' network groups, or NULL */
	const char *server_group;
	const char *server_name; /* a DNS name the server address was seen to resolve from */
	/* The live path (bh_net_live_run) with an inventory: the running
	 * containers the ends' addresses belong to (ID and name), else NULL;
	 * valid during the callback only. */
	const char *client_ctr_id, *client_ctr_name;
	const char *server_ctr_id, *server_ctr_name;
};

struct bh_net_stats {
	uint64_t packets, bytes; /* every packet given, its captured length */
	uint64_t malformed;	 /* packets the decoder refused */
	uint64_t unsupported;	 /* valid but not inspected (ARP, other link or L4) */
	uint64_t fragments, reassembled, frag_dropped; /* IP fragments, datagrams made, given up */
	uint64_t flows, flows_evicted, flows_active;
	uint64_t tcp_retransmits, tcp_gaps, tcp_ooo_dropped; /* bytes for gaps */
	uint64_t gave_up; /* times a dissector gave up on a flow (it was identified anew) */
	uint64_t threats; /* threat reports */
	/* per-alert captures (capture_dir set) */
	uint64_t captures;	   /* capture files written */
	uint64_t captures_removed; /* the oldest removed under capture_dir_bytes */
	uint64_t captures_cut;	   /* closed early: open-file or directory bound */
	uint64_t capture_errors;   /* files that could not be made or written */
	uint64_t ring_dropped;	   /* packets pushed out of a ring by the global bound */
	/* related flows (FTP data channels) announced by a control flow */
	uint64_t expects;	  /* announcements taken */
	uint64_t expects_refused; /* naming a third host (a bounce) or a port under 1024 */
	uint64_t expects_evicted; /* pushed out of the full table unused */
	uint64_t related_flows;	  /* new flows that were announced ones (app "ftp-data") */
};

/*
 * An alert as it happens (bh_net_opts.on_alert), on the packet that raised
 * it: a threat, once per (flow, threat ID); a data-leak match, once per
 * (flow, dlp type), which stands for its BH-NET-DLP-* threat (that threat
 * is never told again as a threat); the policy's verdict alert or deny,
 * once per flow and verdict (an alert that becomes a deny is told twice).
 * Alerts raised as the flow ends (a body it ended inside) are told just
 * before its on_flow. At most BH_NET_FLOW_THREATS_MAX threat IDs a flow, as
 * its record keeps them. A dlp type is told by a kept match (the record keeps
 * BH_NET_FLOW_DLP_MAX, at most that many types told so); a BH-NET-DLP-* threat
 * none of whose types could be told so (its matches came after the kept ones)
 * is told once as that threat (kind THREAT, no dlp).
 */
enum bh_net_alert_kind {
	BH_NET_ALERT_THREAT = 0,
	BH_NET_ALERT_DLP,
	BH_NET_ALERT_POLICY,
};

struct bh_net_alert {
	enum bh_net_alert_kind kind;
	double ts;			  /* the packet's time (the flow's last) */
	const char *id;			  /* THREAT and DLP: the threat ID (static); POLICY: NULL */
	const char *name;		  /* THREAT and DLP: the threat's name (static) */
	unsigned severity;		  /* THREAT and DLP: 1 low .. 4 critical; POLICY: 0 */
	const struct bh_net_dlp_hit *dlp; /* DLP: the type's first match, else NULL */
	const char *verdict;		  /* POLICY: "alert" or "deny"; else NULL */
	const char *rule;		  /* POLICY: the deciding rule (borrowed), or NULL */
};

const char *bh_net_alert_kind_name(enum bh_net_alert_kind k); /* "threat", "dlp", "policy" */

/*
 * An alert line as `net run` prints it (schema in bulkhead-net(1)): type
 * "alert", time, kind; id, name, severity (a threat or a leak), dlp {type,
 * masked, dir, offset} (a leak), verdict and rule (the policy); flow: the
 * flow so far as bh_net_flow_to_json() has it without its counters, dlp,
 * capture, last and end (l4, src, dst, app, host, threats, rule, verdict,
 * groups, containers, first).
 */
json_t *bh_net_alert_to_json(const struct bh_net_flow_record *flow, const struct bh_net_alert *a);

struct bh_net_rec; /* an application record: src/net/dissect.h */
struct bh_netpol;  /* a network policy: include/bulkhead/netpolicy.h */
struct bh_netpol_endpoint;
struct bh_quar_opts; /* include/bulkhead/quarantine.h */
struct bh_quar_record;
struct bh_net_dissector; /* a protocol parser: src/net/dissect.h */

/* A user data-leak sensor (src/net/dlp.h): a match raises BH-NET-DLP-SENSOR
 * and is listed in the flow's dlp with the sensor's name as its type. */
struct bh_net_sensor {
	const char *name;    /* 1 to 32 of [a-z0-9_-]; not "ssn", nor "card-..." */
	const char *pattern; /* a vectorscan (PCRE-like) expression */
};
#define BH_NET_SENSOR_NAME_MAX 32

struct bh_net_opts {
	/* Bounds; 0 takes the default given. */
	size_t max_flows;	       /* 65536 */
	size_t max_ooo_bytes;	       /* held out of order per TCP direction: 256 KiB */
	size_t max_ooo_segments;       /* per TCP direction: 128 */
	size_t max_held_bytes;	       /* held out of order, all flows together: 64 MiB */
	size_t max_frag_datagrams;     /* in reassembly at once: 1024 */
	size_t max_frag_bytes;	       /* held in fragments in all: 8 MiB */
	size_t max_frags_per_datagram; /* 64 */
	/* Times in seconds; 0 takes the default. */
	double tcp_idle;     /* 600 */
	double tcp_closed;   /* after FIN both ways or RST: 10 */
	double udp_idle;     /* 60 */
	double icmp_idle;    /* 30 */
	double frag_timeout; /* 30 */
	double gap_timeout;  /* a TCP hole waited for before it is a gap: 5 */
	/* Flood thresholds: events per second; 0 takes the default. */
	unsigned syn_rate;  /* SYNs to one destination address: 2000 */
	unsigned udp_rate;  /* UDP datagrams to one destination address: 20000 */
	unsigned icmp_rate; /* ICMP messages to one destination address: 1000 */
	unsigned conn_rate; /* new flows from one source address: 1000 */
	/* Port scan: distinct destination ports of one address that one source
	 * opens flows to (TCP SYN, UDP) in 10 s; past it BH-NET-PORT-SCAN, once
	 * a window: 100. */
	unsigned scan_ports;
	/* The verdict: the packets of a flow with a threat of this severity or
	 * higher (src/net/threats.h: 1 low .. 4 critical) are BH_NET_DROP from
	 * the packet it is seen in; 0 never drops (monitor). The group/rule
	 * policy decides here too. */
	unsigned drop_severity;
	/* Distinct DNS query names under one registered domain from one client
	 * in 60 s (src/net/dns_meter.h): 100. */
	unsigned dns_names;
	/* User data-leak sensors (at most 256; borrowed for the call to
	 * bh_net_engine_new only): compiled once, each flow direction's cleartext
	 * scanned as the built-in card and SSN matchers scan it. */
	const struct bh_net_sensor *sensors;
	size_t n_sensors;
	/* The dissectors to identify and feed, NULL-terminated; NULL: the
	 * built-in table (bh_net_dissectors, src/net/dissectors.c). */
	const struct bh_net_dissector *const *dissectors;
	/* Called for each flow when it ends (closed, idle, evicted, flushed). */
	void (*on_flow)(const struct bh_net_flow_record *rec, void *arg);
	/* Called for each application record a dissector emits (may be NULL). */
	void (*on_record)(const struct bh_net_flow_record *flow, const struct bh_net_rec *rec,
			  void *arg);
	/* Called for each alert on the packet that raised it (may be NULL; see
	 * struct bh_net_alert): flow is the record so far, borrowed for the
	 * call, as a is; its end is meaningful only for the alerts raised as
	 * the flow ends (told just before on_flow, end set as there), else 0. */
	void (*on_alert)(const struct bh_net_flow_record *flow, const struct bh_net_alert *a,
			 void *arg);
	void *arg;
	/*
	 * Per-alert captures (src/net/capture.c). With capture_dir set, each flow
	 * keeps a ring of its last packets; its first threat or data-leak match
	 * writes them and the packets after it, up to the capture_* bounds, to a
	 * new pcap file in capture_dir (the flow record's `capture`). Only files
	 * named bh-*.pcap in that directory are ever removed. 0 takes the default.
	 */
	const char *capture_dir;    /* borrowed for the engine's life; NULL: no rings */
	size_t ring_packets;	    /* per flow: 32 */
	size_t ring_bytes;	    /* per flow: 256 KiB */
	size_t ring_total_bytes;    /* all flows together: 64 MiB */
	size_t capture_packets;	    /* written after the alert: 10000 */
	size_t capture_bytes;	    /* one file: 16 MiB */
	double capture_seconds;	    /* after the alert: 60 */
	size_t capture_open;	    /* files open at once (the oldest closed): 64 */
	uint64_t capture_dir_bytes; /* bh-*.pcap files in the directory (the oldest removed): 1 GiB
				     */
	/* The network policy each flow is decided by (borrowed; it must outlive
	 * the engine), or NULL: no decision, every packet accepted. */
	const struct bh_netpol *policy;
	/* What is known of an address beyond it (container labels, image, ID;
	 * the live path's inventory fills it), or NULL: groups by CIDR only. */
	void (*endpoint)(const uint8_t addr[16], struct bh_netpol_endpoint *ep, void *arg);
};

struct bh_net_engine;

/* A new engine; opts is copied (NULL: all defaults, no callbacks). */
int bh_net_engine_new(const struct bh_net_opts *opts, struct bh_net_engine **out,
		      struct bh_error **err);
/*
 * One packet of link type `linktype` (captured bytes pkt, len), seen at ts
 * (seconds). Decodes it, runs it through fragments, flows, reassembly and
 * dissectors, reports the flows that ended by then, and sets *verdict. A
 * packet the decoder refuses is counted and accepted: it never fails.
 */
void bh_net_engine_packet(struct bh_net_engine *e, const uint8_t *pkt, size_t len, int linktype,
			  double ts, enum bh_net_verdict *verdict);
/*
 * After bh_net_engine_packet(): whether that packet's direction of its flow
 * is settled - the protocol identified (or given up on), no dissector or
 * matcher wants more of that direction's bytes, no threat seen on the flow,
 * the policy's decision final - so the live path may stop queueing that
 * direction (offload). A flow whose dissector still reads one direction
 * can have the other settled: Redis, Kafka and MongoDB replies, PostgreSQL's
 * server messages once past the startup (their dissectors never parse
 * them), while every request stays queued and inspected. False for a
 * packet that had no flow (refused, a fragment).
 */
bool bh_net_engine_settled(const struct bh_net_engine *e);
/* After bh_net_engine_packet(): the live path offloaded that packet's
 * direction of its flow (gave it back marked for offload). */
void bh_net_engine_offloaded(struct bh_net_engine *e);
/* After bh_net_engine_packet(): true once per flow, when a dissector gave up
 * on that packet's flow (never settled again) after the live path offloaded
 * a direction of it (bh_net_engine_offloaded): it takes that offload back
 * (a reply direction settled, then the requests turned to garbage). */
bool bh_net_engine_take_back(struct bh_net_engine *e);
/* What the engine knows of the last packet's flow after
 * bh_net_engine_packet(), for the live path's actions (quarantine). */
struct bh_net_pkt_alert {
	uint8_t client_addr[16], server_addr[16]; /* IPv4 as ::ffff:a.b.c.d */
	uint16_t client_port, server_port;
	unsigned severity;  /* the flow's highest threat severity (1 low .. 4 critical), 0 none */
	const char *threat; /* a threat ID of that severity, or NULL (static) */
	int verdict;	    /* the policy's (enum bh_netpol_verdict), 0 without a decision */
	const char *rule;   /* the deciding rule (borrowed from the policy), or NULL */
	/* Who is who, as far as the packets tell: the last packet was sent by
	 * the client; the flow's first packet was the client's (a TCP SYN, any
	 * UDP/ICMP datagram), not a SYN-ACK or a stream picked up midway, whose
	 * "client" is only the receiver of a packet anyone could send. */
	bool from_client, client_opened;
};
/* Fill *out for the last packet's flow: false when it had none (refused, a
 * fragment) or the flow ended since (tick, flush). */
bool bh_net_engine_alert(const struct bh_net_engine *e, struct bh_net_pkt_alert *out);
/* Let time pass with no packet: ends the flows idle at `now`. */
void bh_net_engine_tick(struct bh_net_engine *e, double now);
/*
 * netpol19: from the next packet on, e decides by p (borrowed as
 * opts.policy; NULL: no policy, every flow undecided and accepted). Between
 * two packets only (the thread that feeds e): no packet is judged half by
 * one policy and half by the other. The previous policy is no longer
 * referenced once this returns (it may be freed). Every open flow is judged
 * again under p on its ends' groups, layer 4 and app: a flow already denied
 * stays denied (the old rule's name kept); any other takes p's decision, and
 * its later records decide on when that decision is not final. cut (may be
 * NULL) is called for each flow denied now that had a direction offloaded
 * (bh_net_engine_offloaded): its connection's packets no longer reach the
 * engine. *rejudged, *denied (may be NULL): the flows judged, newly denied.
 */
void bh_net_engine_set_policy(struct bh_net_engine *e, const struct bh_netpol *p,
			      void (*cut)(const struct bh_net_flow_info *fi, uint8_t proto,
					  void *arg),
			      void *arg, size_t *rejudged, size_t *denied);
/* End every flow (reported with BH_NET_END_FLUSH). */
void bh_net_engine_flush(struct bh_net_engine *e);
void bh_net_engine_stats(const struct bh_net_engine *e, struct bh_net_stats *out);
/* Free without reporting the flows still open (flush first to get them). */
void bh_net_engine_free(struct bh_net_engine *e);

/*
 * A flow record as the JSON object `net inspect` prints (schema in
 * bulkhead-net(1)): l4, src, dst ("ip:port", IPv6 in brackets), app, host,
 * packets and bytes ({"to_server", "to_client"}), threats ([{id, name,
 * count}]), dlp ([{type, masked, dir, offset}]), rule (null without a
 * policy), first, last, end; with a policy also verdict, src_group, dst_group.
 */
json_t *bh_net_flow_to_json(const struct bh_net_flow_record *rec);

/* ---- capture files ------------------------------------------------------ */

#define BH_NET_PCAP_MAX_PACKET (256 * 1024)  /* captured bytes of one packet */
#define BH_NET_PCAP_MAX_BLOCK  (1024 * 1024) /* one pcapng block */
#define BH_NET_PCAP_MAX_IFACES 256	     /* pcapng interfaces per section */

struct bh_net_pcap; /* a pcap or pcapng reader; opaque */

struct bh_net_pcap_pkt {
	const uint8_t *data; /* borrowed until the next call */
	size_t caplen, origlen;
	int linktype;
	double ts;
};

/* A reader of fd (borrowed, not closed; read sequentially, never seeked), or
 * of the memory (p, n) (borrowed until _free). `what` names it in errors. */
int bh_net_pcap_open_fd(int fd, const char *what, struct bh_net_pcap **out, struct bh_error **err);
int bh_net_pcap_open_mem(const void *p, size_t n, const char *what, struct bh_net_pcap **out,
			 struct bh_error **err);
/* The next packet: 1, 0 at the end, <0 on a broken file (the error names
 * the byte offset and the record or block). */
int bh_net_pcap_next(struct bh_net_pcap *r, struct bh_net_pcap_pkt *pkt, struct bh_error **err);
/* "pcap" or "pcapng" */
const char *bh_net_pcap_format(const struct bh_net_pcap *r);
void bh_net_pcap_free(struct bh_net_pcap *r);

/*
 * A pcap writer (nanosecond magic, our byte order, one link type) on fd,
 * which it takes: closed by bh_net_pcap_writer_close() even on failure.
 * Writes the file header; `what` names the file in errors.
 */
struct bh_net_pcap_writer;
int bh_net_pcap_writer_new(int fd, int linktype, const char *what, struct bh_net_pcap_writer **out,
			   struct bh_error **err);
/* One packet: caplen bytes of data (at most BH_NET_PCAP_MAX_PACKET), origlen
 * on the wire (>= caplen), at ts seconds. Buffered. */
int bh_net_pcap_write(struct bh_net_pcap_writer *w, const uint8_t *data, size_t caplen,
		      size_t origlen, double ts, struct bh_error **err);
/* Bytes written (and buffered) so far, the header included. */
uint64_t bh_net_pcap_writer_size(const struct bh_net_pcap_writer *w);
/* Flush, close the fd and free; <0 when a write failed. NULL is a no-op. */
int bh_net_pcap_writer_close(struct bh_net_pcap_writer *w, struct bh_error **err);

/*
 * Read the capture file at path through a new engine made with opts (its
 * on_flow gets every flow, the last ones flushed at the end of the file), and
 * fill *stats. A broken file fails after reporting the flows read up to it.
 */
int bh_net_inspect_pcap(const char *path, const struct bh_net_opts *opts,
			struct bh_net_stats *stats, struct bh_error **err);

/* ---- on-demand capture (src/net/capture_live.c) ------------------------- */

struct bh_ctr_opts; /* include/bulkhead/containers.h */
struct bh_net_capture_result;

struct bh_net_capture_opts {
	/* One of: a container (ID, ID prefix or name, of any engine) or a
	 * network namespace path (/run/netns/X, /proc/PID/ns/net). */
	const char *container;
	const char *netns;
	const struct bh_ctr_opts *ctr; /* how containers are found; NULL: defaults */
	/* Bounds: stop after duration seconds, count packets, the file at
	 * max_bytes; 0 none (max_bytes: 1 GiB), or when *stop turns nonzero. */
	double duration;
	uint64_t count, max_bytes;
	const volatile int *stop;
	int out_fd;	      /* the pcap written; taken (closed) */
	const char *out_name; /* names it in errors */
	/* Called once the socket captures (may be NULL). */
	void (*on_ready)(const struct bh_net_capture_result *res, void *arg);
	void *arg;
};

struct bh_net_capture_result {
	char *container_id; /* the container's full ID, or NULL (a path) */
	uint64_t netns_ino;
	bool host_netns; /* the namespace is the host's (pid 1's) */
	uint64_t packets, bytes, file_bytes;
	const char *stopped_by; /* "duration", "count", "bytes", "signal" */
};

/*
 * Record every interface of a container's (or a path's) network namespace,
 * both directions, as a pcap (Linux cooked capture v1) on o->out_fd, until a
 * bound or *o->stop. An AF_PACKET socket is opened inside the namespace by a
 * thread that joins it (setns); needs CAP_NET_RAW and CAP_SYS_ADMIN.
 * Release *res with bh_net_capture_result_release() whatever the result.
 */
int bh_net_capture_live(const struct bh_net_capture_opts *o, struct bh_net_capture_result *res,
			struct bh_error **err);
void bh_net_capture_result_release(struct bh_net_capture_result *r);

/* ---- the connection graph (src/net/graph.c) ------------------------------ */

struct bh_net_graph_opts {
	size_t max_edges; /* edges kept (the flows of more counted): 100000 */
	/* The group of an address (network order, IPv4-mapped): a name written
	 * to out (n bytes), 0; <0 or "" for the default, the address itself. */
	int (*group_of)(const uint8_t addr[16], char *out, size_t n, void *arg);
	void *arg;
};

struct bh_net_graph; /* opaque */

/* A new, empty graph; o is copied (NULL: defaults). */
int bh_net_graph_new(const struct bh_net_graph_opts *o, struct bh_net_graph **out,
		     struct bh_error **err);
/* One flow into its edge (l4, source group, destination group, server port, app). */
void bh_net_graph_add(struct bh_net_graph *g, const struct bh_net_flow_record *r);
/*
 * {"nodes": [{id, sessions_out, sessions_in}], "edges": [{src, dst, l4, port,
 * app, sessions, bytes, packets ({to_server, to_client}), first, last_seen,
 * verdicts ({rule or "default": sessions}), threats ({id: {name, count,
 * sessions}})}], "flows", "flows_not_kept"}; edges sorted by src, dst, port.
 */
json_t *bh_net_graph_to_json(const struct bh_net_graph *g);
/* The same as a Graphviz digraph (an edge with threats red), appended to out. */
int bh_net_graph_to_dot(const struct bh_net_graph *g, struct bh_buf *out, struct bh_error **err);
void bh_net_graph_free(struct bh_net_graph *g);
/*
 * The graph of a capture file's flows: bh_net_inspect_pcap with opts (its
 * on_flow, if any, still gets each flow) into a new graph made with gopts.
 */
int bh_net_graph_pcap(const char *path, const struct bh_net_opts *opts,
		      const struct bh_net_graph_opts *gopts, struct bh_net_graph **out,
		      struct bh_net_stats *stats, struct bh_error **err);

/* ---- the live path: NFQUEUE in containers' network namespaces ---------- */

#define BH_NET_LIVE_CHAIN	"BULKHEAD-NET" /* our iptables chain in each namespace */
#define BH_NET_LIVE_TARGETS_MAX 256	       /* network namespaces put through at once */
#define BH_NET_HOLD_BUCKETS	16	       /* bh_net_live_stats.hold: 1 us .. 32 ms and over */

struct bh_net_live_opts {
	/* What to put through: containers by ID (a unique prefix) or name, by
	 * label "KEY=VALUE" (engine or pod labels), all of them, and network
	 * namespace files (/run/netns/NAME, /proc/PID/ns/net). NULL-terminated
	 * lists, may be NULL. A namespace several targets share is taken once. */
	const char *const *containers;
	const char *const *labels;
	bool all;
	const char *const *netns;
	const struct bh_ctr_opts *ctr; /* how containers are found (NULL: the host's) */
	/* The engine (on_flow gets each flow as it ends; drop_severity is the
	 * verdict: 0 monitor). tcp_closed defaults to 0.5 s here: every FIN and
	 * RST is queued (the first rule of the chain), a closed flow ends then. */
	struct bh_net_opts engine;
	bool accept_all;     /* no engine: accept every packet (the bench's anchor) */
	bool fail_closed;    /* packets are dropped, not accepted, while no one reads the queue */
	bool offload;	     /* settled flows are marked (connmark) and stop coming to the queue */
	uint16_t queue;	     /* the NFQUEUE number in each namespace (default 0) */
	uint32_t mark;	     /* offload: this packet mark bit, the next two connmark bits of each
				direction, the third the packet mark that takes them back
				(default 0x00100000) */
	uint32_t copy_range; /* bytes of each packet inspected (default and most 65531) */
	uint32_t queue_len;  /* packets the kernel holds per queue (default 4096) */
	const char *iptables, *ip6tables; /* default "iptables-nft", "ip6tables-nft" */
	/* For tests: put the rules in as if the iptables bpf match (xt_bpf)
	 * were missing (the bare-ACK offload rules left out, as on a kernel
	 * without it). */
	bool no_bare_match;
	/* Called once before on_ready with a message when the run goes on with
	 * less than asked (the bpf match missing: bare ACKs queued); arg is
	 * engine.arg (may be NULL). */
	void (*on_warning)(const char *msg, void *arg);
	/* Checked between packets and at least every 200 ms: stop when nonzero. */
	const volatile int *stop;
	/* Called once the rules are in, with the namespaces taken (may be NULL). */
	void (*on_ready)(const char *const *names, size_t n, void *arg);
	/*
	 * Quarantine (include/bulkhead/quarantine.h: frozen, network cut) the
	 * container that is a flow's client when a packet of the flow carries a
	 * threat of quarantine_severity or over (1 low .. 4 critical; 0 never).
	 * The client is found by address among every running container's
	 * network namespace (the inventory below). The offending packet is
	 * dropped; the apply runs on a worker thread (a bounded queue: when full
	 * the quarantine is not asked, and counted). Each flow asks once; a new
	 * flow of a container released meanwhile quarantines it again.
	 */
	unsigned quarantine_severity;
	const struct bh_quar_opts *quarantine; /* the library's options; NULL: never */
	/* Called after each quarantine (r NULL and why set when it failed), with
	 * the time from the offending packet read from the queue to the
	 * container frozen and cut; arg is engine.arg (may be NULL). Called on
	 * the thread that called bh_net_live_run, as the other callbacks. */
	void (*on_quarantine)(const struct bh_quar_record *r, const char *ctr, const char *why,
			      uint64_t latency_ns, void *arg);
	/* Every refresh_ms (default 2000) the containers are listed again and
	 * each one's network namespace addresses read (with a policy, or
	 * quarantine): the policy's groups by labels, images and IDs resolve
	 * through them (engine.endpoint, when set, is called first). A change
	 * in a runtime's state directories (a container created) refreshes at
	 * once, and a few times in the next second. */
	unsigned refresh_ms;
	/* admit17: keep the inventory even without a policy that needs it, so
	 * each flow record names the containers of its ends (client_ctr_id,
	 * server_ctr_id, ... above) */
	bool name_containers;
	/* netpol19: a new policy handed to the run (bh_net_live_swap), or NULL */
	struct bh_net_live_swap *swap;
};

/*
 * netpol19: a policy handed to a running bh_net_live_run (its opts.swap),
 * taken by the verdict thread between two packets (bh_net_engine_set_policy:
 * the open flows judged again, a deny kept). The connections of the flows
 * denied now that had a direction offloaded (their packets no longer
 * queued) are deleted from conntrack in each namespace, so that their next
 * packet is queued and dropped: "deny now" holds for new and open
 * connections alike. Set up before the run, released after it.
 */
struct bh_net_live_swap {
	pthread_mutex_t mu; /* what follows */
	pthread_cond_t cv;
	int fd; /* an eventfd: wakes the run's poll */
	const struct bh_netpol *next;
	bool pending, running;
	uint64_t swaps;		   /* policies taken */
	uint64_t rejudged, denied; /* open flows judged again, denied at a swap */
	uint64_t cut, cut_failed;  /* conntrack entries deleted (offloaded flows denied) */
};
int bh_net_live_swap_init(struct bh_net_live_swap *s, struct bh_error **err);
void bh_net_live_swap_release(struct bh_net_live_swap *s);
/*
 * Hand p to the run and wait (up to timeout_ms) until its verdict thread has
 * taken it: then 0, and the policy it ran before is no longer used by it (the
 * caller may free it). A run not running (not started, ended) or not taking
 * it in time: BH_ERR_TIMEOUT-like error, p not taken (the old one runs on,
 * the caller frees p).
 */
int bh_net_live_swap(struct bh_net_live_swap *s, const struct bh_netpol *p, unsigned timeout_ms,
		     struct bh_error **err);

struct bh_net_live_stats {
	uint64_t quarantined;	     /* quarantines applied (a container again after a release) */
	uint64_t quarantine_dropped; /* quarantines not asked: the worker's queue was full */
	uint64_t refreshes;	     /* inventory refreshes; addresses known at the last */
	uint64_t refresh_errors;     /* refreshes that failed (the last list kept) */
	uint64_t state_refreshes;    /* of them, made at a runtime's state change (inotify) */
	size_t addresses;
	uint64_t packets; /* verdicts given */
	uint64_t accepted, dropped;
	uint64_t offloaded;   /* packets given back marked for offload (a settled direction's
			       * first, and those queued before its connmark took) */
	uint64_t unoffloaded; /* flows given up on after an offload, one packet of each given
			       * back marked to clear their connmark bits (offload taken back) */
	uint64_t enobufs;   /* times the kernel could not deliver to us (packets lost: fail mode) */
	uint64_t malformed; /* kernel messages the parser refused */
	uint64_t batches;   /* verdict datagrams sent (one per batch read: no packet waits
			     * for a later one) */
	/* Packets by the time from their read to their verdict sent (the
	 * engine's inspection of them): bucket i counts [2^i, 2^(i+1)) us, the
	 * first below 2 us, the last 2^(N-1) us and over. */
	uint64_t hold[BH_NET_HOLD_BUCKETS];
	uint64_t truncated; /* packets longer than the copy range */
	size_t namespaces;
	bool bare_queued; /* no bpf match (xt_bpf): an offloaded flow's bare ACKs are queued */
	/* fixnet19: policy swaps taken (opts.swap), open flows judged again and
	 * denied at them, conntrack entries of denied offloaded flows deleted and
	 * not deleted (an error: warned through on_warning) */
	uint64_t swaps, swap_rejudged, swap_denied, swap_cut, swap_cut_failed;
	struct bh_net_stats engine;
};

/*
 * Run the live firewall until *stop: for each chosen namespace, remove a
 * chain a killed run left, bind the NFQUEUE, insert the BULKHEAD-NET chain
 * (jumped to from INPUT and OUTPUT, loopback excepted; --queue-bypass when
 * fail-open), put every packet through the engine and give its verdict.
 * On return (stop or error) the rules are removed and the flows still open
 * flushed to on_flow; *stats filled either way.
 */
int bh_net_live_run(const struct bh_net_live_opts *o, struct bh_net_live_stats *stats,
		    struct bh_error **err);
/* Remove the BULKHEAD-NET chain and its jumps from the network namespace at
 * path (iptables and ip6tables; NULL: the -nft defaults). */
int bh_net_live_cleanup(const char *netns, const char *iptables, const char *ip6tables,
			struct bh_error **err);

#endif
