/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Data-leak detection (issue 16) over the cleartext payload of one flow
 * direction, fed in order in pieces of any size (TCP segments, records):
 * a match split across pieces is found as if the bytes came at once, with
 * a bounded carry-over per stream (at most 16 digit groups of the current
 * number and BH_DLP_HISTORY bytes for the user sensors).
 *
 * Built in:
 *  - payment card numbers of seven brands: Visa, Mastercard (51-55 and
 *    2221-2720), American Express, Discover, JCB, Diners Club, UnionPay;
 *    issuer prefix, length and the Luhn checksum; as one run of digits or
 *    in the brands' groupings (4-4-4-4, 4-6-5, 4-6-4, 4-4-5, 4-4-4-4-3,
 *    6-13) with one kind of separator (space or '-'); never a part of a
 *    longer run of digits or of a word (a letter or digit beside it);
 *  - US social security numbers written AAA-GG-SSSS (or with spaces): area
 *    000, 666 and 900-999, group 00 and serial 0000 are never issued, and
 *    the numbers advertised in public (078-05-1120, 219-09-9999,
 *    457-55-5462, 123-45-6789) are ignored. Nine digits without separators
 *    are not reported: any nine-digit number would be one.
 * User sensors: vectorscan expressions (libhs, loaded on first use as
 * src/content does), each with an optional confirm step that sees the
 * matched bytes (at most BH_DLP_HISTORY of them).
 *
 * A match is never reported whole: the callback receives its kind, its
 * offset in the stream and a masked form (the last four digits of a card
 * or SSN, at most the last four bytes of a sensor's match).
 *
 * Ownership: bh_dlp_new copies what it needs from the sensors (the confirm
 * callbacks and their opaque pointers are borrowed for the life of the
 * bh_dlp). Streams of one bh_dlp share its vectorscan scratch: feed them
 * from one thread at a time (one bh_dlp per thread otherwise).
 */
#ifndef BULKHEAD_NET_DLP_H
#define BULKHEAD_NET_DLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/base.h"

#define BH_DLP_HISTORY	   4096 /* bytes kept per stream for confirming sensors */
#define BH_DLP_MAX_SENSORS 256
#define BH_DLP_MASK_MAX	   31

/* Confirm a sensor's match: m[0..n) are the matched bytes. */
typedef bool (*bh_dlp_confirm_fn)(const char *m, size_t n, void *opaque);

struct bh_dlp_sensor {
	const char *name;	   /* reported as the kind, e.g. "employee-id" */
	const char *pattern;	   /* a vectorscan (PCRE-like) expression */
	bool caseless;		   /* HS_FLAG_CASELESS */
	bh_dlp_confirm_fn confirm; /* NULL: every match counts */
	void *confirm_opaque;
};

struct bh_dlp_match {
	const char *kind; /* "card-visa", "card-mastercard", "card-amex", "card-discover",
			     "card-jcb", "card-diners", "card-unionpay", "ssn", or a sensor name */
	uint64_t offset;  /* of the first byte, from the start of the stream */
	uint32_t len;	  /* bytes the match spans (separators included) */
	char masked[BH_DLP_MASK_MAX + 1]; /* e.g. "************1111", "***-**-6789" */
};

typedef void (*bh_dlp_match_fn)(void *opaque, const struct bh_dlp_match *m);

struct bh_dlp;
struct bh_dlp_stream;

/* Compile the sensors (n may be 0: cards and SSNs only, no vectorscan). */
int bh_dlp_new(const struct bh_dlp_sensor *sensors, size_t n, struct bh_dlp **out,
	       struct bh_error **err);
void bh_dlp_free(struct bh_dlp *d);

/* A stream (one flow direction). */
int bh_dlp_stream_new(const struct bh_dlp *d, struct bh_dlp_stream **out, struct bh_error **err);
void bh_dlp_stream_free(struct bh_dlp_stream *st);

/*
 * Feed the next len bytes of the stream (data may be NULL when len bytes
 * were lost: the state is reset and offsets move on). Matches that end in
 * these bytes are reported through cb (a card or SSN once the byte after
 * it shows it is not part of something longer; at the end of the stream
 * by bh_dlp_finish). Returns 0, or <0 when vectorscan failed (the stream
 * then goes on without sensors).
 */
int bh_dlp_feed(struct bh_dlp_stream *st, const uint8_t *data, size_t len, bh_dlp_match_fn cb,
		void *opaque);
/* The end of the stream: reports a number the stream ended on. */
int bh_dlp_finish(struct bh_dlp_stream *st, bh_dlp_match_fn cb, void *opaque);

/* The brand ("visa", ...) of a card number of n digits (no separators) with
 * a valid issuer prefix, length and Luhn check; NULL otherwise. */
const char *bh_dlp_card_brand(const char *digits, size_t n);
/* Whether AAA-GG-SSSS is a number the SSA could have issued. */
bool bh_dlp_ssn_valid(unsigned area, unsigned group, unsigned serial);
/* A ready confirm step: the match's digits pass the Luhn check. */
bool bh_dlp_confirm_luhn(const char *m, size_t n, void *opaque);

#endif
