/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the line and length-prefixed dissectors (l7_ssh.c, l7_smtp.c,
 * l7_ftp.c, l7_redis.c, l7_mysql.c, ...) share: a bounded line accumulator
 * and big/little-endian readers. Internal to src/net.
 */
#ifndef BULKHEAD_NET_L7_LINE_H
#define BULKHEAD_NET_L7_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/dissect.h"

#define BH_NET_LINE_MAX 1024 /* bytes of a line kept; the rest is counted, not kept */

/* One direction's line in progress. A line longer than BH_NET_LINE_MAX keeps
 * its first bytes and says cut. After a gap, the partial line is dropped and
 * the next line starts after the next '\n' (resync). */
struct bh_net_line {
	uint16_t len;
	bool cut;
	bool resync;
	char buf[BH_NET_LINE_MAX];
};

/* Take bytes from (p, n) into the line up to and including a '\n'. Sets
 * *used to the bytes taken. Returns true when a line is complete: l->buf
 * holds its first l->len bytes without the trailing "\r\n" or "\n"; the
 * caller handles it and calls bh_net_line_reset. */
bool bh_net_line_take(struct bh_net_line *l, const uint8_t *p, size_t n, size_t *used);

/* Give up on the line in progress: from mark, where it began in this chunk;
 * or, when it began in an earlier one (mark 0 and held0, the line's length
 * when this feed began, not 0), at this chunk's start with those held0 bytes
 * of it handed back (bh_net_feed_gave_up_held; a line cut at BH_NET_LINE_MAX
 * hands back its first bytes). */
static inline enum bh_net_feed bh_net_line_gave_up(const struct bh_net_dissect_ctx *ctx,
						   const struct bh_net_line *l, size_t mark,
						   size_t held0)
{
	if (!mark && held0)
		return bh_net_feed_gave_up_held(ctx, l->buf, held0);
	return bh_net_feed_gave_up(ctx, mark);
}
void bh_net_line_reset(struct bh_net_line *l);
/* A gap of lost bytes: drop the partial line, skip to the next '\n'. */
void bh_net_line_gap(struct bh_net_line *l);

/* Whether the line in progress (not yet ended) cannot start with a command
 * verb: at most 16 printable ASCII bytes before a space (a '\r' last is the
 * line's end to come). The line protocols' clients send such lines, so the
 * garbage after a command is told at its first bytes, not at a '\n' that may
 * never come. */
bool bh_net_line_verb_bad(const struct bh_net_line *l);

/* Does s (len bytes) start with the ASCII word w, case-insensitively,
 * followed by the end, a space or a tab? */
bool bh_net_word_is(const char *s, size_t len, const char *w);
/* Does s start with prefix p, case-insensitively? */
bool bh_net_prefix_ci(const char *s, size_t len, const char *p);

static inline uint16_t bh_net_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t bh_net_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t bh_net_le24(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

static inline uint32_t bh_net_le32(const uint8_t *p)
{
	return bh_net_le24(p) | (uint32_t)p[3] << 24;
}

#endif
