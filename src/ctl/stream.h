/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's live updates (http17): a hub that the API's producers
 * (ingestion, flows, actions) publish events to, and the streams of GET
 * /api/v1/stream (Server-Sent Events) take them from. Bounded everywhere: at
 * most max_streams streams (the next is refused), each with a queue of at
 * most queue events (a full queue drops its oldest and counts them; the
 * stream then gets a `dropped` event with the count): a publisher never
 * waits for a reader. Stream tickets: single use, kept ttl seconds, at most
 * BH_CTL_TICKETS_MAX at a time and BH_CTL_TICKETS_PER_OWNER for one token (its
 * own oldest goes): one reader cannot push out the tickets of others.
 */
#ifndef BULKHEAD_CTL_STREAM_H
#define BULKHEAD_CTL_STREAM_H

#include <stdint.h>

#include "bulkhead/ctl.h"

#define BH_CTL_STREAMS_DEFAULT	 64
#define BH_CTL_STREAM_QUEUE	 256
#define BH_CTL_TICKET_TTL	 30
#define BH_CTL_TICKETS_MAX	 1024
#define BH_CTL_TICKETS_PER_OWNER 8
#define BH_CTL_TICKET_LEN	 64 /* hex characters */
#define BH_CTL_STREAM_TOKEN_MAX	 256
/* an event's text at most: well under what one pull takes (the http
 * server's BH_HTTP_STREAM_BACKLOG), so an event always fits an empty pull and
 * no stream stalls behind one; a bigger one is counted dropped */
#define BH_CTL_STREAM_EVENT_MAX (64u << 10)

struct bh_ctl_stream_hub;
struct bh_ctl_stream_sub;

/* max_streams 0: BH_CTL_STREAMS_DEFAULT; queue 0: BH_CTL_STREAM_QUEUE. */
struct bh_ctl_stream_hub *bh_ctl_stream_hub_new(unsigned max_streams, unsigned queue);
void bh_ctl_stream_hub_free(struct bh_ctl_stream_hub *h);
/* Streams open now. */
unsigned bh_ctl_stream_count(struct bh_ctl_stream_hub *h);
/* Events dropped for slow readers, all streams, since the start. */
uint64_t bh_ctl_stream_dropped(struct bh_ctl_stream_hub *h);

/* Queue event NAME with data (stolen; an object) to every stream; any thread. */
void bh_ctl_stream_publish(struct bh_ctl_stream_hub *h, const char *name, json_t *data);

/* A ticket (BH_CTL_TICKET_LEN hex + NUL into out) standing for token
 * (len bytes) for BH_CTL_TICKET_TTL seconds after now. owner names the token
 * (its id, not the secret): an owner holding BH_CTL_TICKETS_PER_OWNER live
 * tickets loses its oldest; when every slot holds another's live ticket the
 * answer is BH_ERR_LIMIT with *retry (seconds until one expires) set. */
int bh_ctl_stream_ticket(struct bh_ctl_stream_hub *h, const char *owner, const char *token,
			 size_t len, int64_t now, char out[BH_CTL_TICKET_LEN + 1], unsigned *retry,
			 struct bh_error **err);
/* Redeem a ticket (once): its token into tok (NUL-terminated); -1: unknown,
 * used or expired. */
int bh_ctl_stream_redeem(struct bh_ctl_stream_hub *h, const char *ticket, int64_t now,
			 char tok[BH_CTL_STREAM_TOKEN_MAX + 1]);

/* A new stream; NULL when max_streams are open. */
struct bh_ctl_stream_sub *bh_ctl_stream_sub_new(struct bh_ctl_stream_hub *h);
/* Append the queued events to out as SSE text (a `dropped` event first
 * when some were dropped); the number of events appended. */
size_t bh_ctl_stream_take(struct bh_ctl_stream_sub *s, struct bh_buf *out);
void bh_ctl_stream_sub_free(struct bh_ctl_stream_sub *s);

#endif
