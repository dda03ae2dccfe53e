/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the packet engine (src/net/engine.c, engine_tcp.c,
 * engine_ident.c, engine_match.c): the flow,
 * its TCP halves and the engine object; the matchers' glue in engine_match.c
 * (SQL injection and data leaks on the records the dissectors emit and on an
 * unknown flow's bytes) reads and writes the flow through these.
 */
#ifndef BULKHEAD_NET_ENGINE_INT_H
#define BULKHEAD_NET_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "bulkhead/base.h"
#include "bulkhead/net.h"
#include "net/dissect.h"
#include "net/dlp.h"
#include "net/dns_meter.h"
#include "net/net_int.h"
#include "net/policy_int.h"

enum { L_TCP, L_CLOSED, L_UDP, L_ICMP, L_N };
enum { ID_PROBING, ID_FEEDING, ID_DONE };

#define KEY_LEN		37
#define PROBE_LOG_MAX	64
#define NET_HANDOFF_MAX 4 /* hand-overs per flow (bh_net_feed_handoff), then a give-up */
#define DISSECTORS_MAX	64
#define METER_SLOTS	4096
#define SCAN_SLOTS	512  /* port-scan meters, 4-way buckets */
#define SCAN_BITS	2048 /* port hash bits per meter */
#define SCAN_WINDOW	10.0 /* seconds */
#define METER_WAYS	4    /* ways per meter bucket */

/* The matchers' state of one flow, allocated on first use, freed at its end. */
struct flow_match {
	struct bh_dlp_stream *dlp[2];
	uint64_t raw[2];      /* bytes of an unknown flow given to dlp */
	struct bh_buf body;   /* the request body being held for the SQLi check */
	uint32_t body_stream; /* its HTTP/2 stream */
	int body_kind;	      /* BODY_*: NONE when no body is awaited */
	struct bh_net_dlp_hit hits[BH_NET_FLOW_DLP_MAX];
	size_t n_hits;
	size_t said_hits; /* hits looked at for on_alert (engine.c: net_flow_alerts) */
	const char *said_types[BH_NET_FLOW_DLP_MAX]; /* the dlp types told */
	size_t n_said_types;
	uint8_t said_ids; /* the BH-NET-DLP-* told (engine.c: dlp_id's bits) */
};

struct net_cap;
struct net_cap_flow;

struct seg {
	struct seg *next;
	uint32_t seq, len;
	double at;
	uint8_t data[];
};

struct half {
	bool started, fin;
	uint32_t next;
	struct seg *ooo;
	size_t ooo_bytes, ooo_n;
};

struct flow {
	struct flow *prev, *next;
	struct bh_net_engine *e;
	int list;
	uint8_t key[KEY_LEN];
	uint8_t proto;
	struct bh_net_flow_info info;
	double first, last;
	uint64_t packets[2], bytes[2];
	struct half h[2];
	bool rst;
	bool opened; /* its first packet came from its client (a TCP SYN; any UDP/ICMP) */
	int ident;
	const struct bh_net_dissector *d;
	/* the app a request record named when it differs from d's (http2's
	 * "grpc"): the flow record's app; policy still sees d->app */
	const char *app;
	void *state;
	uint64_t no_mask, maybe_mask, more_mask;
	struct bh_buf probe[2];
	struct {
		uint8_t dir;
		uint16_t len;
	} log[PROBE_LOG_MAX];
	size_t nlog;
	char *host;
	struct bh_net_threat_hit threats[BH_NET_FLOW_THREATS_MAX];
	size_t n_threats;
	struct flow_match *m;
	struct net_cap_flow *cap; /* capture.c: its ring or capture file */
	enum bh_net_flow_end end;
	struct netpol_flow pol; /* policy_engine.c */
	uint64_t expect_id;	/* expect.c: its announcements' owner id, 0 none yet */
	uint8_t max_sev;	/* the highest severity of its threats (threats.h), 0 none */
	/* its dissector gave up (malformed bytes, a gap): never settled again,
	 * identified anew from the next bytes without the dissectors that gave
	 * up on it (gave_mask) */
	bool gaveup;
	/* the live path offloaded a direction of it (bh_net_engine_offloaded),
	 * then took that back once after a give-up (bh_net_engine_take_back) */
	bool offl, offl_taken;
	uint64_t gave_mask;
	uint8_t handoffs; /* its dissectors handed it over (bh_net_feed_handoff) */
	/* on_alert (engine.c: net_flow_alerts): threats[0, said_threats) told,
	 * the policy's verdicts told (1 << BH_NETPOL_ALERT, 1 << BH_NETPOL_DENY) */
	uint8_t said_threats, said_pol;
};

struct meter {
	uint8_t addr[16];
	uint8_t kind;
	double start;
	uint32_t count;
};

enum { M_SYN, M_UDP, M_ICMP, M_CONN };

/* A port-scan meter (engine.c): the distinct destination ports one source
 * opened flows to on one destination address in a window of SCAN_WINDOW s,
 * each port a bit of a keyed hash (a collision undercounts, never over). */
struct scan_meter {
	uint8_t src[16], dst[16];
	double start;
	uint32_t distinct;
	bool raised; /* the threat was raised in this window */
	uint64_t bits[SCAN_BITS / 64];
};

struct bh_net_engine {
	struct bh_net_opts o;
	struct bh_map *flows;
	struct flow *head[L_N], *tail[L_N];
	double timeout[L_N];
	struct net_frag_table *frags;
	struct meter *meters;
	struct scan_meter *scans;
	uint64_t seed;
	const struct bh_net_dissector *const *dis;
	size_t n_dissectors;
	size_t held; /* TCP bytes held out of order, all flows */
	struct bh_net_stats st;
	double now;
	struct bh_dlp *dlp;
	struct net_cap *cap; /* capture.c; NULL without capture_dir */
	const uint8_t *raw;  /* the packet being handled, as given */
	size_t raw_len;
	int raw_link;
	struct netpol_eng *pol;	   /* policy_engine.c; NULL without a policy */
	bool pkt_settled;	   /* the last packet's flow is settled (bh_net_engine_settled) */
	struct flow *pkt_flow;	   /* the last packet's flow, or NULL (bh_net_engine_alert) */
	int pkt_dir;		   /* the last packet's direction in it (BH_NET_TO_*) */
	struct bh_dns_meter *dnsm; /* DNS names per domain, made on the first query */
	struct net_expect *xp;	   /* expect.c: related flows announced */
};

/* engine.c: a record of flow f (the dissect ctx's opaque), as a dissector's. */
void net_flow_emit(void *opaque, const struct bh_net_rec *rec);
/* engine.c: the threat id (threats.h's catalogue) seen on flow f. */
void net_flow_threat(struct flow *f, const char *id);
/* engine_ident.c: in-order bytes (or a datagram) of direction dir to the
 * probes or the dissector; a hole of n bytes (TCP) in place of data. */
void net_flow_deliver(struct flow *f, int dir, const uint8_t *p, size_t n);
void net_flow_deliver_gap(struct flow *f, int dir, size_t n);
/* engine_ident.c: decide a flow still probing (at a gap, at its end). */
void net_flow_decide(struct flow *f);
/* engine_ident.c: the flow's inspection is over (its dissector finished,
 * its probe window and reassembly released). */
void net_flow_stop_inspection(struct flow *f);

/* engine_tcp.c: TCP reassembly, per direction (see there). */
void net_tcp_data(struct flow *f, int dir, uint32_t seq, const uint8_t *p, size_t n);
/* The flow ends: what is held is delivered, the holes as gaps. */
void net_tcp_flush(struct flow *f);
/* Frees what is held. */
void net_tcp_free(struct flow *f);

/* engine_match.c */
/* After the record went to the caller: the matchers it concerns. */
void net_match_record(struct flow *f, const struct bh_net_rec *rec);
/* The bytes of a flow no dissector took, scanned for data leaks up to a bound;
 * whether they still are; a hole in direction dir ends that scan. */
void net_match_raw(struct flow *f, int dir, const uint8_t *p, size_t n);
/* engine_match.c: the bytes of a message dissector app held and gave up
 * on: data leaks, and SQL injection where app's messages carry it */
void net_match_held(struct flow *f, int dir, const char *app, uint8_t type, const uint8_t *p,
		    size_t n);
bool net_match_raw_wanted(const struct flow *f, int dir);
void net_match_raw_stop(struct flow *f, int dir);
/* The flow ends: a body it ended inside is judged, a number it ended on found. */
/* The data-leak matcher with the user's sensors (names checked: BH_ERR_USAGE). */
int net_match_dlp_new(const struct bh_net_sensor *s, size_t n, struct bh_dlp **out,
		      struct bh_error **err);
void net_match_finish(struct flow *f);
void net_match_free(struct flow *f);

/* expect.c: related flows a control channel announced (FTP data channels). */
void net_expect_new(struct bh_net_engine *e);
void net_expect_free(struct bh_net_engine *e);
/* An EXPECT record of the control flow ctl (its decision so far carried). */
void net_expect_add(struct flow *ctl, const struct bh_net_rec *rec);
/* A new flow (info, proto and ident filled): when it is an announced one (then
 * consumed) its app is set and it is not probed; then the policy decides it
 * (net_pol_flow_start), a related flow after its control flow
 * (net_pol_related). Whether it was announced. */
bool net_expect_flow_start(struct flow *f);
/* netpol19: the policy changed: the announcements forget their control
 * flow's decision (its rule was the old policy's). */
void net_expect_forget(struct bh_net_engine *e);

/* capture.c: per-alert captures (see there); all no-ops without capture_dir. */
int net_cap_new(struct bh_net_engine *e, struct bh_error **err);
void net_cap_free(struct bh_net_engine *e);
/* After the packet e->raw went through f: into its ring, or its file. */
void net_cap_packet(struct flow *f);
/* f ends: an alert it ended on writes its ring; its file is closed. */
void net_cap_flow_end(struct flow *f);
void net_cap_flow_free(struct flow *f);
/* f's capture file, or NULL */
const char *net_cap_path(const struct flow *f);

#endif
