/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead node agent (`bulkhead agent`, issue 17): what an agent must
 * report to the controller goes through a bounded on-disk spool first.
 *
 * The spool is a directory of append-only segment files, each named by the
 * sequence number of its first record (%020llu.seg). A record is one event's
 * JSON with a header (magic, length, seq, CRC-32 of seq and payload); seqs
 * are consecutive from 1 per spool and are the seqs the controller keys
 * events by (node, seq). Records are shipped in seq order and dropped only
 * when acknowledged (bh_agent_spool_ack: whole segments at or below the ack
 * are deleted; the ack itself is kept in the file "acked").
 *
 *  - durability: bh_agent_spool_sync (fdatasync) after each batch of
 *    appends; a crash loses at most the appends since the last sync;
 *  - recovery: at open a torn or corrupt record ends its segment there (the
 *    last segment is truncated to its last whole record, so appends go on);
 *    records lost in the middle are counted (corrupt) and reported by a gap
 *    record;
 *  - bound: when an append would take the spool past max_bytes the oldest
 *    segments go, acknowledged or not; the unacknowledged records dropped are
 *    counted (dropped) and a gap record {"ts","kind":"gap","data":{"dropped",
 *    "first_seq","last_seq","reason"}} is appended in their place, so the
 *    controller sees the hole;
 *  - a crash between a send and its ack sends those records again: the
 *    controller stores (node, seq) once.
 *
 * A spool is used by one thread at a time (the caller serialises) and by one
 * process (an flock on the directory). Ownership and errors as
 * include/bulkhead/base.h; the library never prints.
 */
#ifndef BULKHEAD_AGENT_H
#define BULKHEAD_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/base.h"

#define BH_AGENT_RECORD_MAX	 (16u << 10) /* one record's payload */
#define BH_AGENT_SPOOL_DEFAULT	 (64ull << 20)
#define BH_AGENT_SEGMENT_DEFAULT (1ull << 20)
#define BH_AGENT_SPOOL_MIN	 (64ull << 10)

struct bh_agent_spool;

struct bh_agent_spool_opts {
	const char *dir;	/* made (0700) if missing */
	uint64_t max_bytes;	/* the bound; 0: BH_AGENT_SPOOL_DEFAULT; >= BH_AGENT_SPOOL_MIN */
	uint64_t segment_bytes; /* a segment is closed past this; 0: BH_AGENT_SEGMENT_DEFAULT */
};

struct bh_agent_spool_stats {
	uint64_t next_seq; /* the seq the next append gets */
	uint64_t acked;	   /* the highest seq acknowledged */
	uint64_t pending;  /* records after acked */
	uint64_t bytes;	   /* on disk, in segments */
	uint64_t segments;
	uint64_t dropped; /* unacknowledged records dropped by the bound (this open) */
	uint64_t corrupt; /* records found torn or corrupt at open (best count) */
};

/* Open (recover) the spool in o->dir; another process holding it is
 * BH_ERR_USAGE. */
BH_MUST_CHECK int bh_agent_spool_open(const struct bh_agent_spool_opts *o,
				      struct bh_agent_spool **out, struct bh_error **err);
void bh_agent_spool_free(struct bh_agent_spool *sp);

/* Append one record (p, len: 1..BH_AGENT_RECORD_MAX bytes); *seq (may be
 * NULL) gets its seq. Durable after bh_agent_spool_sync. */
int bh_agent_spool_append(struct bh_agent_spool *sp, const void *p, size_t len, uint64_t *seq,
			  struct bh_error **err);
int bh_agent_spool_sync(struct bh_agent_spool *sp, struct bh_error **err);

struct bh_agent_record {
	uint64_t seq;
	char *data; /* NUL-terminated after len bytes */
	size_t len;
};
/*
 * The oldest unacknowledged records in seq order: at most max of them and
 * (but at least one) max_bytes of payload in all; *n = 0 when none. Free
 * with bh_agent_records_free.
 */
int bh_agent_spool_peek(struct bh_agent_spool *sp, size_t max, size_t max_bytes,
			struct bh_agent_record **out, size_t *n, struct bh_error **err);
void bh_agent_records_free(struct bh_agent_record *r, size_t n);

/* Everything up to seq is acknowledged: kept in "acked", and the segments
 * wholly at or below it deleted. An ack below the last is ignored. */
int bh_agent_spool_ack(struct bh_agent_spool *sp, uint64_t seq, struct bh_error **err);

/* The next append's seq becomes at least seq (the controller already holds
 * the seqs below it: a state directory lost and made anew). */
void bh_agent_spool_next_at_least(struct bh_agent_spool *sp, uint64_t seq);

void bh_agent_spool_stats(const struct bh_agent_spool *sp, struct bh_agent_spool_stats *st);

#endif /* BULKHEAD_AGENT_H */
