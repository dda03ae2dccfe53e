/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compact binary records (see include/bulkhead/base.h): LEB128 varints,
 * length-prefixed strings and bytes. The reader is a parser of bytes that
 * may have been tampered with (a cache file): every length is checked
 * against what is left and against the caller's limit before it is used.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/base.h"
#include "banned.h"

#define VARINT_MAX 10 /* bytes of a 64-bit LEB128 value */

static void put(struct bh_pack *w, const void *p, size_t n)
{
	if (w->failed)
		return;
	if (bh_buf_add(w->b, p, n, NULL) < 0)
		w->failed = true;
}

void bh_pack_u64(struct bh_pack *w, uint64_t v)
{
	unsigned char tmp[VARINT_MAX];
	size_t n = 0;

	do {
		unsigned char c = v & 0x7f;

		v >>= 7;
		tmp[n++] = c | (v ? 0x80 : 0);
	} while (v);
	put(w, tmp, n);
}

void bh_pack_i64(struct bh_pack *w, int64_t v)
{
	bh_pack_u64(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void bh_pack_strn(struct bh_pack *w, const char *s, size_t n)
{
	if (!s) {
		bh_pack_u64(w, 0);
		return;
	}
	bh_pack_u64(w, (uint64_t)n + 1);
	put(w, s, n);
}

void bh_pack_str(struct bh_pack *w, const char *s)
{
	bh_pack_strn(w, s, s ? strlen(s) : 0);
}

void bh_pack_bytes(struct bh_pack *w, const void *p, size_t n)
{
	bh_pack_u64(w, n);
	if (n)
		put(w, p, n);
}

void bh_pack_fixed(struct bh_pack *w, const void *p, size_t n)
{
	put(w, p, n);
}

/* ---- reading -------------------------------------------------------------- */

void bh_unpack_init(struct bh_unpack *r, const void *p, size_t n)
{
	r->p = p;
	r->end = r->p + (p ? n : 0);
	r->failed = !p && n;
}

static void fail(struct bh_unpack *r)
{
	r->failed = true;
	r->p = r->end;
}

static uint64_t varint(struct bh_unpack *r)
{
	uint64_t v = 0;

	for (unsigned shift = 0; !r->failed; shift += 7) {
		unsigned char c;

		if (r->p == r->end || shift > 63) {
			fail(r);
			break;
		}
		c = *r->p++;
		/* the tenth byte may hold only the top bit */
		if (shift == 63 && c > 1) {
			fail(r);
			break;
		}
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	return 0;
}

uint64_t bh_unpack_u64(struct bh_unpack *r, uint64_t max)
{
	uint64_t v = varint(r);

	if (r->failed || v > max) {
		fail(r);
		return 0;
	}
	return v;
}

int64_t bh_unpack_i64(struct bh_unpack *r)
{
	uint64_t v = varint(r);

	if (r->failed)
		return 0;
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

size_t bh_unpack_count(struct bh_unpack *r, size_t max)
{
	size_t left = (size_t)(r->end - r->p);

	return (size_t)bh_unpack_u64(r, max < left ? max : left);
}

/* Take n bytes; NULL (and a failure) when fewer are left. */
static const unsigned char *take(struct bh_unpack *r, size_t n)
{
	const unsigned char *p = r->p;

	if (r->failed || (size_t)(r->end - r->p) < n) {
		fail(r);
		return NULL;
	}
	r->p += n;
	return p;
}

char *bh_unpack_str(struct bh_unpack *r, size_t max)
{
	uint64_t n = bh_unpack_u64(r, max < SIZE_MAX ? (uint64_t)max + 1 : SIZE_MAX);
	const unsigned char *p;

	if (r->failed || n == 0)
		return NULL;
	p = take(r, (size_t)(n - 1));
	if (!p)
		return NULL;
	if (memchr(p, 0, (size_t)(n - 1))) {
		fail(r);
		return NULL;
	}
	return bh_strndup((const char *)p, (size_t)(n - 1));
}

char *bh_unpack_str_nn(struct bh_unpack *r, size_t max)
{
	char *s = bh_unpack_str(r, max);

	if (!s)
		fail(r);
	return s;
}

const void *bh_unpack_bytes(struct bh_unpack *r, size_t *n, size_t max)
{
	uint64_t len = bh_unpack_u64(r, max);
	const unsigned char *p;

	*n = 0;
	if (r->failed || len == 0)
		return NULL;
	p = take(r, (size_t)len);
	if (p)
		*n = (size_t)len;
	return p;
}

void bh_unpack_fixed(struct bh_unpack *r, void *out, size_t n)
{
	const unsigned char *p = take(r, n);

	if (p)
		memcpy(out, p, n);
	else
		memset(out, 0, n);
}

bool bh_unpack_done(const struct bh_unpack *r)
{
	return !r->failed && r->p == r->end;
}
