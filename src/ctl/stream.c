/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The live updates' hub (src/ctl/stream.h): one mutex over the streams'
 * rings and the tickets. A publish formats the event once and copies it
 * into each ring (a full ring frees its oldest): bounded work, no waiting on
 * a reader. With no stream open a publish is a load and a return.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ctl/stream.h"
#include "banned.h"

struct bh_ctl_stream_sub {
	struct bh_ctl_stream_hub *h;
	struct bh_ctl_stream_sub *prev, *next;
	char **ring;
	unsigned head, n;
	uint64_t dropped; /* since the last take */
};

struct ticket {
	char id[BH_CTL_TICKET_LEN + 1]; /* "" : free */
	char owner[BH_CTL_TOKEN_ID_LEN + 1];
	char tok[BH_CTL_STREAM_TOKEN_MAX + 1];
	int64_t expires;
};

struct bh_ctl_stream_hub {
	pthread_mutex_t mu;
	unsigned max, queue;
	atomic_uint nsubs;
	atomic_uint_fast64_t dropped;
	uint64_t seq;
	struct bh_ctl_stream_sub *subs;
	struct ticket *tickets; /* BH_CTL_TICKETS_MAX */
};

struct bh_ctl_stream_hub *bh_ctl_stream_hub_new(unsigned max_streams, unsigned queue)
{
	struct bh_ctl_stream_hub *h = bh_calloc(1, sizeof(*h));

	pthread_mutex_init(&h->mu, NULL);
	h->max = max_streams ? max_streams : BH_CTL_STREAMS_DEFAULT;
	h->queue = queue ? queue : BH_CTL_STREAM_QUEUE;
	h->tickets = bh_calloc(BH_CTL_TICKETS_MAX, sizeof(*h->tickets));
	return h;
}

void bh_ctl_stream_hub_free(struct bh_ctl_stream_hub *h)
{
	if (!h)
		return;
	/* the streams belong to the server's connections: they are gone by now */
	pthread_mutex_destroy(&h->mu);
	free(h->tickets);
	free(h);
}

unsigned bh_ctl_stream_count(struct bh_ctl_stream_hub *h)
{
	return atomic_load(&h->nsubs);
}

uint64_t bh_ctl_stream_dropped(struct bh_ctl_stream_hub *h)
{
	return atomic_load(&h->dropped);
}

void bh_ctl_stream_publish(struct bh_ctl_stream_hub *h, const char *name, json_t *data)
{
	struct bh_buf b;
	char *text;

	if (!h || !atomic_load(&h->nsubs)) {
		json_decref(data);
		return;
	}
	bh_buf_init(&b, BH_CTL_STREAM_EVENT_MAX);
	pthread_mutex_lock(&h->mu);
	h->seq++;
	if (bh_buf_addf(&b, NULL, "event: %s\nid: %llu\ndata: ", name, (unsigned long long)h->seq) <
		    0 ||
	    bh_json_dump_buf(data, JSON_COMPACT, &b, NULL) < 0 ||
	    bh_buf_adds(&b, "\n\n", NULL) < 0 || bh_buf_addc(&b, 0, NULL) < 0) {
		/* too big for a stream: every reader learns it missed one */
		for (struct bh_ctl_stream_sub *s = h->subs; s; s = s->next) {
			s->dropped++;
			atomic_fetch_add(&h->dropped, 1);
		}
		pthread_mutex_unlock(&h->mu);
		bh_buf_release(&b);
		json_decref(data);
		return;
	}
	text = (char *)b.data;
	for (struct bh_ctl_stream_sub *s = h->subs; s; s = s->next) {
		unsigned tail;

		if (s->n == h->queue) { /* full: the oldest goes */
			free(s->ring[s->head]);
			s->ring[s->head] = NULL;
			s->head = (s->head + 1) % h->queue;
			s->n--;
			s->dropped++;
			atomic_fetch_add(&h->dropped, 1);
		}
		tail = (s->head + s->n) % h->queue;
		s->ring[tail] = bh_strdup(text);
		s->n++;
	}
	pthread_mutex_unlock(&h->mu);
	bh_buf_release(&b);
	json_decref(data);
}

/* The slot a new ticket of owner takes (under mu): the owner's oldest when it
 * holds its share, else a free or expired one; NULL when every slot holds
 * another owner's live ticket (*retry: seconds until the first expires). */
static struct ticket *ticket_slot(struct bh_ctl_stream_hub *h, const char *owner, int64_t now,
				  unsigned *retry)
{
	struct ticket *oldest = NULL, *spare = NULL;
	int64_t first = INT64_MAX;
	unsigned mine = 0;

	for (unsigned i = 0; i < BH_CTL_TICKETS_MAX; i++) {
		struct ticket *t = &h->tickets[i];

		if (!t->id[0] || t->expires < now) {
			if (!spare)
				spare = t;
			continue;
		}
		if (t->expires < first)
			first = t->expires;
		if (strcmp(t->owner, owner) != 0)
			continue;
		mine++;
		if (!oldest || t->expires < oldest->expires)
			oldest = t;
	}
	if (mine >= BH_CTL_TICKETS_PER_OWNER)
		return oldest;
	if (!spare)
		*retry = (unsigned)(first - now + 1);
	return spare;
}

int bh_ctl_stream_ticket(struct bh_ctl_stream_hub *h, const char *owner, const char *token,
			 size_t len, int64_t now, char out[BH_CTL_TICKET_LEN + 1], unsigned *retry,
			 struct bh_error **err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[BH_CTL_TICKET_LEN / 2];
	struct ticket *t;

	*retry = 0;
	if (len > BH_CTL_STREAM_TOKEN_MAX)
		return bh_error_set(err, BH_ERR_INVALID, "token too long for a stream ticket");
	if (strlen(owner) > BH_CTL_TOKEN_ID_LEN)
		return bh_error_set(err, BH_ERR_INVALID, "token id too long for a stream ticket");
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return bh_error_set(err, BH_ERR_INTERNAL, "no random bytes for a ticket");
	for (size_t i = 0; i < sizeof(r); i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[BH_CTL_TICKET_LEN] = 0;
	pthread_mutex_lock(&h->mu);
	t = ticket_slot(h, owner, now, retry);
	if (!t) {
		pthread_mutex_unlock(&h->mu);
		explicit_bzero(out, BH_CTL_TICKET_LEN + 1);
		return bh_error_set(err, BH_ERR_LIMIT,
				    "%u stream tickets are outstanding: try again in %u s",
				    BH_CTL_TICKETS_MAX, *retry);
	}
	explicit_bzero(t, sizeof(*t));
	memcpy(t->id, out, sizeof(t->id));
	snprintf(t->owner, sizeof(t->owner), "%s", owner);
	memcpy(t->tok, token, len);
	t->tok[len] = 0;
	t->expires = now + BH_CTL_TICKET_TTL;
	pthread_mutex_unlock(&h->mu);
	return 0;
}

/* Both BH_CTL_TICKET_LEN characters compared whatever differs first: the
 * time does not tell how much of a guess was right. */
static bool same_ticket(const char *a, const char *b)
{
	unsigned char d = 0;

	for (size_t i = 0; i < BH_CTL_TICKET_LEN; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int bh_ctl_stream_redeem(struct bh_ctl_stream_hub *h, const char *ticket, int64_t now,
			 char tok[BH_CTL_STREAM_TOKEN_MAX + 1])
{
	int rc = -1;

	if (strlen(ticket) != BH_CTL_TICKET_LEN)
		return -1;
	pthread_mutex_lock(&h->mu);
	for (unsigned i = 0; i < BH_CTL_TICKETS_MAX; i++) {
		struct ticket *t = &h->tickets[i];

		if (!t->id[0] || !same_ticket(t->id, ticket))
			continue;
		if (now <= t->expires) {
			memcpy(tok, t->tok, sizeof(t->tok));
			rc = 0;
		}
		explicit_bzero(t, sizeof(*t)); /* single use, expired or not */
		break;
	}
	pthread_mutex_unlock(&h->mu);
	return rc;
}

struct bh_ctl_stream_sub *bh_ctl_stream_sub_new(struct bh_ctl_stream_hub *h)
{
	struct bh_ctl_stream_sub *s;

	pthread_mutex_lock(&h->mu);
	if (atomic_load(&h->nsubs) >= h->max) {
		pthread_mutex_unlock(&h->mu);
		return NULL;
	}
	s = bh_calloc(1, sizeof(*s));
	s->h = h;
	s->ring = bh_calloc(h->queue, sizeof(*s->ring));
	s->next = h->subs;
	if (h->subs)
		h->subs->prev = s;
	h->subs = s;
	atomic_fetch_add(&h->nsubs, 1);
	pthread_mutex_unlock(&h->mu);
	return s;
}

size_t bh_ctl_stream_take(struct bh_ctl_stream_sub *s, struct bh_buf *out)
{
	struct bh_ctl_stream_hub *h = s->h;
	size_t n = 0;

	pthread_mutex_lock(&h->mu);
	if (s->dropped) {
		bh_buf_addf(out, NULL, "event: dropped\ndata: {\"count\":%llu}\n\n",
			    (unsigned long long)s->dropped);
		s->dropped = 0;
		n++;
	}
	while (s->n) {
		char *e = s->ring[s->head];

		if (bh_buf_adds(out, e, NULL) < 0)
			break; /* the rest at the next take */
		free(e);
		s->ring[s->head] = NULL;
		s->head = (s->head + 1) % h->queue;
		s->n--;
		n++;
	}
	pthread_mutex_unlock(&h->mu);
	return n;
}

void bh_ctl_stream_sub_free(struct bh_ctl_stream_sub *s)
{
	struct bh_ctl_stream_hub *h;

	if (!s)
		return;
	h = s->h;
	pthread_mutex_lock(&h->mu);
	if (s->prev)
		s->prev->next = s->next;
	else
		h->subs = s->next;
	if (s->next)
		s->next->prev = s->prev;
	atomic_fetch_sub(&h->nsubs, 1);
	pthread_mutex_unlock(&h->mu);
	for (unsigned i = 0; i < h->queue; i++)
		free(s->ring[i]);
	free(s->ring);
	free(s);
}
