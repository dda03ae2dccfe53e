/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Application-layer dissectors: the contract between the packet engine
 * (src/net/engine*.c: decoding, flows, TCP reassembly) and each protocol
 * parser (src/net/l7_<proto>.c). A new protocol is one new file and one row
 * in bh_net_dissectors[] (src/net/dissectors.c), as NeuVector's dpi_parser_t
 * and git's commands[] do.
 *
 * The engine owns the flow. For each flow it
 *  1. identifies the protocol: it calls every dissector's probe() that
 *     accepts the flow's layer 4 on the first bytes of the flow it holds
 *     (up to BH_NET_PROBE_MAX per direction, both directions as they come),
 *     regardless of port; the port is a hint that breaks ties only. The first
 *     dissector to answer BH_NET_PROBE_YES wins. A dissector that answers NO
 *     is not asked again for that flow. When the others answer MAYBE (none
 *     NEED_MORE), or when probing must stop (the window of a direction is
 *     full, a gap, the flow ends), the MAYBE dissector whose ports[] holds
 *     the server port wins; with none, or when all answer NO, the flow's app
 *     is "unknown" and its inspection ends. TCP probes see the whole window
 *     of dir from the flow's first byte; UDP probes one datagram at a time;
 *  2. gives the winner a zeroed state of state_size bytes (at most
 *     BH_NET_STATE_MAX) and feeds it every byte of the flow from the first,
 *     in order: for TCP the reassembled stream of each direction (so a
 *     message may arrive split at any byte, and the two directions
 *     interleave as the packets did); for UDP one datagram per call;
 *  3. receives what the dissector finds through ctx->emit(): application
 *     records (an HTTP request, a TLS hello, a DNS query, an SQL statement,
 *     ...) that policy and the detectors (SQL injection, data-leak) consume,
 *     and threats the dissector itself recognises (request smuggling, TLS
 *     downgrade, Heartbleed, DNS zone transfer, ...);
 *  4. calls fini() once: when feed() returns DONE or MALFORMED (nothing is
 *     fed after that), else when the flow ends (closed, timed out, evicted,
 *     or the engine flushed).
 * A dissector that gives up (MALFORMED, or DONE at a gap) does not end the
 * flow's inspection: the engine identifies its following bytes anew, without
 * it. So that garbage and another protocol (or a payload) after a valid
 * message inside one chunk are not skipped, a dissector that returns
 * MALFORMED says where in this chunk it gave up: *ctx->used (when ctx->used
 * is not NULL; bh_net_feed_gave_up() does both) = the bytes of this chunk it
 * accepted as its protocol, i.e. the offset where the message it could not
 * parse began (0 when that message began in an earlier chunk). The engine
 * re-probes from exactly that byte, in the same packet. A dissector that
 * does not say (or says more than len) gave up on the whole chunk: all of
 * it is identified anew (only where the protocol cannot tell; the
 * dissectors that do so say why). The bytes of that message it held from earlier chunks
 * (ctx->held below) are in no chunk probed anew: the engine scans them for
 * data leaks and puts them through the SQL injection check their protocol
 * would have had (HTTP's request target, PostgreSQL's and MySQL's query
 * text). A message made of units (HTTP/2's HEADERS and CONTINUATION
 * frames) is given up from its first unit. DONE on bytes (encrypted or a tunnel from
 * here) is not giving up: nothing is re-probed; at a gap (data NULL) there
 * is no byte to say. A dissector says DONE on the SERVER's answer only (a
 * ServerHello, 'S', 220, 234; HTTP's 101 or 2xx to CONNECT hand the flow
 * over instead: bh_net_feed_handoff below), never on the
 * client's announcement: an attacker sends the announcement and cleartext
 * at once to a server that refuses and reads on in clear; the client's
 * bytes before the answer are parsed as the protocol, or given up on.
 * A threat's id must be a row of the catalogue (src/net/threats.c); the
 * engine drops an id it does not know. emit() may be called from feed()
 * only.
 *
 * A dissector is a parser of untrusted bytes: it never reads past len, keeps
 * every buffer it needs inside its state or a bh_buf with a maximum, never
 * allocates without a bound, and says "malformed" rather than guessing.
 * Records are borrowed by the engine for the duration of emit() only.
 */
#ifndef BULKHEAD_NET_DISSECT_H
#define BULKHEAD_NET_DISSECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BH_NET_PROBE_MAX     2048	 /* bytes per direction kept for identification */
#define BH_NET_STATE_MAX     (64 * 1024) /* per-flow dissector state, upper bound */
#define BH_NET_DNS_ADDRS_MAX 16		 /* addresses of a DNS response's record */

enum bh_net_dir {
	BH_NET_TO_SERVER = 0, /* from the flow's initiator (TCP SYN sender, first UDP sender) */
	BH_NET_TO_CLIENT = 1,
};

enum bh_net_l4 {
	BH_NET_L4_TCP = 1 << 0,
	BH_NET_L4_UDP = 1 << 1,
};

enum bh_net_probe {
	BH_NET_PROBE_NO = 0,  /* certainly not this protocol */
	BH_NET_PROBE_YES = 1, /* this protocol */
	BH_NET_PROBE_MAYBE =
		2, /* consistent so far; decided by the port hint if nothing says YES */
	BH_NET_PROBE_NEED_MORE = 3, /* too few bytes to say */
};

/* The flow as a dissector sees it. Addresses are in network byte order,
 * IPv4 as an IPv4-mapped IPv6 address. */
struct bh_net_flow_info {
	enum bh_net_l4 l4;
	uint8_t client_addr[16], server_addr[16];
	uint16_t client_port, server_port; /* host byte order */
};

enum bh_net_rec_kind {
	BH_NET_REC_HTTP_REQUEST,  /* HTTP/1.x, or an HTTP/2 stream's headers (gRPC too) */
	BH_NET_REC_HTTP_BODY,	  /* a piece of a request body, in order, after its request */
	BH_NET_REC_HTTP_RESPONSE, /* status line / :status */
	BH_NET_REC_TLS_HELLO,	  /* ClientHello or ServerHello */
	BH_NET_REC_DNS,		  /* one DNS message (query or response) */
	BH_NET_REC_SQL,		  /* one SQL statement sent by a client (MySQL, PostgreSQL) */
	BH_NET_REC_COMMAND, /* one command of a line/command protocol (Redis, SMTP, FTP, Kafka API,
			       MongoDB op) */
	BH_NET_REC_EXPECT,  /* a related flow to expect (FTP data channel) */
	BH_NET_REC_THREAT,  /* an attack the dissector recognised */
};

/* A string that may not be NUL-terminated and may hold any byte. */
struct bh_net_str {
	const char *p;
	size_t len;
};

struct bh_net_rec {
	enum bh_net_rec_kind kind;
	enum bh_net_dir dir;
	const char *app; /* the emitting dissector's app name ("http", "grpc", ...) */
	union {
		struct {
			struct bh_net_str method, host, path, query; /* path without '?query' */
			struct bh_net_str content_type;
			int version;	    /* 10, 11, 20 */
			uint32_t stream_id; /* HTTP/2; 0 for HTTP/1 */
		} http;
		struct {
			struct bh_net_str data; /* body bytes (decoded from chunked), in order */
			uint32_t stream_id;
			bool last;
		} body;
		struct {
			int status;
			uint32_t stream_id;
		} response;
		struct {
			bool client;	  /* ClientHello (else ServerHello) */
			uint16_t version; /* negotiated/offered: 0x0300 SSLv3 .. 0x0304 TLS 1.3 */
			struct bh_net_str sni, alpn; /* alpn: the first offered / the selected */
			uint16_t cipher;	     /* ServerHello's selected suite */
		} tls;
		struct {
			bool response;
			uint16_t id, qtype, rcode;
			uint16_t ancount;	 /* answer records in the message */
			struct bh_net_str qname; /* dotted, lower case */
			size_t msg_len;
			/* a response's A and AAAA answers (IPv4 mapped), at most
			 * BH_NET_DNS_ADDRS_MAX */
			const uint8_t (*addrs)[16];
			size_t n_addrs;
		} dns;
		struct {
			struct bh_net_str text; /* the statement as sent */
			const char *statement;	/* "select", "insert", ... lower case; "other" */
			bool truncated;		/* text is a prefix: the statement was longer (its
						   dissector documents the bound) */
		} sql;
		struct {
			struct bh_net_str name, arg; /* "GET", "key"; "MAIL", "FROM:<a@b>" */
		} command;
		struct {
			uint8_t addr[16];
			uint16_t port;
			const char *app; /* the app the expected flow will carry ("ftp-data") */
		} expect;
		struct {
			const char *id;		  /* "BH-NET-HTTP-SMUGGLE", see src/net/threats.c */
			struct bh_net_str detail; /* what was seen; never a matched secret */
		} threat;
	} u;
};

struct bh_net_dissect_ctx {
	const struct bh_net_flow_info *flow;
	double now; /* seconds, the time of the packet being fed */
	void (*emit)(void *opaque, const struct bh_net_rec *rec);
	void *opaque;
	/* set by a feed() returning MALFORMED: the bytes of the chunk it
	 * accepted (see above); NULL when the caller does not ask */
	size_t *used;
	/* set by a feed() returning MALFORMED where the message it gave up on
	 * began in an earlier chunk (used 0): the bytes of that message it
	 * held from earlier chunks (in its state, or memory the state owns
	 * and fini() releases), valid until feed() returns, so the caller
	 * still scans them (they are not in the chunk it probes anew). NULL
	 * when the caller does not ask; len 0 when nothing is held. type: the
	 * message's type byte where the protocol has one outside the held
	 * bytes (PostgreSQL's), else 0 (the caller zeroes it). */
	struct bh_net_held {
		const uint8_t *p;
		size_t len;
		uint8_t type;
	} * held;
	/* set (to true) by a feed() handing the flow over (bh_net_feed_handoff):
	 * NULL when the caller does not ask */
	bool *handoff;
};

enum bh_net_feed {
	BH_NET_FEED_MORE = 0,	    /* keep feeding */
	BH_NET_FEED_DONE = 1,	    /* nothing more to see in this flow (it may be offloaded) */
	BH_NET_FEED_MALFORMED = -1, /* not this protocol after all, or broken: stop feeding */
};

/* A feed() giving up after accepting used bytes of this chunk. */
static inline enum bh_net_feed bh_net_feed_gave_up(const struct bh_net_dissect_ctx *ctx,
						   size_t used)
{
	if (ctx->used)
		*ctx->used = used;
	return BH_NET_FEED_MALFORMED;
}

/* A feed() giving up at the start of this chunk on a message that began in
 * an earlier one, of which it held the len bytes at p (see held above). */
static inline enum bh_net_feed bh_net_feed_gave_up_held(const struct bh_net_dissect_ctx *ctx,
							const void *p, size_t len)
{
	if (ctx->held) {
		ctx->held->p = p;
		ctx->held->len = len;
	}
	return bh_net_feed_gave_up(ctx, 0);
}

/*
 * A feed() handing the flow over after accepting used bytes of this chunk:
 * the server answered yes to another protocol on the same connection (an
 * HTTP 101 to an Upgrade, a 2xx to CONNECT), whose bytes, often cleartext,
 * follow. Not giving up (the flow stays settleable, its policy unchanged):
 * the engine identifies the following bytes anew, every dissector eligible
 * (HTTP inside a CONNECT tunnel is HTTP again), up to NET_HANDOFF_MAX times
 * per flow (then it is a give-up). A caller that does not ask takes it as
 * giving up at used.
 */
static inline enum bh_net_feed bh_net_feed_handoff(const struct bh_net_dissect_ctx *ctx,
						   size_t used)
{
	if (ctx->handoff)
		*ctx->handoff = true;
	return bh_net_feed_gave_up(ctx, used);
}

struct bh_net_dissector {
	const char *app;       /* lower case: "http", "tls", "dns", "mysql", "postgresql", ... */
	unsigned l4;	       /* BH_NET_L4_* this dissector accepts */
	const uint16_t *ports; /* well-known server ports, 0-terminated (a hint only) */
	size_t state_size;     /* <= BH_NET_STATE_MAX, zeroed before the first feed */
	/* Look at the first len bytes the flow carried in direction dir (both
	 * directions are probed as they arrive; for UDP one datagram). Pure. */
	enum bh_net_probe (*probe)(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				   const uint8_t *buf, size_t len);
	/* Feed in-order bytes. data == NULL means len bytes were lost in that
	 * direction (a reassembly gap): resynchronise or return DONE/MALFORMED. */
	enum bh_net_feed (*feed)(void *state, enum bh_net_dir dir, const uint8_t *data, size_t len,
				 const struct bh_net_dissect_ctx *ctx);
	/* Release what the state holds (not the state itself). May be NULL. */
	void (*fini)(void *state);
	/* Whether feed() still needs direction dir's bytes, asked after each
	 * packet while feeding. NULL: both directions, until DONE. False only
	 * when no later byte that way can make a record, a threat or a change
	 * of state (a protocol whose replies are never parsed): the live path
	 * then offloads that direction alone (bh_net_engine_settled). */
	bool (*wants)(const void *state, enum bh_net_dir dir);
};

/* A wants() for the dissectors that parse requests only, once identified:
 * the server's replies are never looked at (Redis, Kafka, MongoDB). */
bool net_l7_requests_only(const void *state, enum bh_net_dir dir);

/* NULL-terminated, in probing order (specific signatures before loose ones). */
extern const struct bh_net_dissector *const bh_net_dissectors[];

#endif
