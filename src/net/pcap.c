/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pcap and pcapng readers (bh_net_pcap_*), streamed: one record or block in
 * memory at a time, its length checked against BH_NET_PCAP_MAX_PACKET /
 * BH_NET_PCAP_MAX_BLOCK before it is read. pcap: both byte orders, micro-
 * and nanosecond magics. pcapng: SHB (either byte order, several sections),
 * IDB (link type, snaplen, if_tsresol), EPB, SPB; other blocks skipped.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulkhead/net.h"
#include "banned.h"

enum { FMT_PCAP = 1, FMT_PCAPNG };

#define READ_CHUNK (256 * 1024)

struct iface {
	int linktype;
	uint32_t snaplen;
	double tsdiv; /* units per second */
};

struct bh_net_pcap {
	int fd; /* -1 for memory */
	const uint8_t *mem;
	size_t mem_len, mem_pos;
	char *what;
	int fmt;
	bool swap;    /* file byte order differs from ours */
	uint64_t off; /* offset of the next unread byte */
	/* pcap */
	int linktype;
	uint32_t snaplen;
	double tsdiv;
	/* pcapng */
	struct iface *ifaces;
	size_t n_ifaces;
	uint8_t *buf; /* one record or block */
	size_t cap;
	uint8_t first[4];
	size_t first_len; /* the magic, already read */
	uint8_t *rbuf;	  /* reads from fd, READ_CHUNK at a time */
	size_t rpos, rlen;
	bool eof;
};

/* Read up to n bytes; returns the count (short only at the end), <0 on error. */
static ssize_t rd(struct bh_net_pcap *r, void *p, size_t n, struct bh_error **err)
{
	size_t got = 0;

	if (r->fd < 0) {
		size_t left = r->mem_len - r->mem_pos;

		got = n < left ? n : left;
		memcpy(p, r->mem + r->mem_pos, got);
		r->mem_pos += got;
		r->off += got;
		return (ssize_t)got;
	}
	while (got < n) {
		ssize_t k;

		if (r->rpos < r->rlen) {
			size_t take = r->rlen - r->rpos < n - got ? r->rlen - r->rpos : n - got;

			memcpy((uint8_t *)p + got, r->rbuf + r->rpos, take);
			r->rpos += take;
			got += take;
			continue;
		}
		if (r->eof)
			break;
		k = read(r->fd, r->rbuf, READ_CHUNK);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return bh_error_sys(err, errno, "%s: read at offset %llu", r->what,
					    (unsigned long long)(r->off + got));
		if (k == 0)
			r->eof = true;
		r->rpos = 0;
		r->rlen = (size_t)k;
	}
	r->off += got;
	return (ssize_t)got;
}

static int need(struct bh_net_pcap *r, size_t n, struct bh_error **err)
{
	if (n > r->cap) {
		size_t c = r->cap ? r->cap : 4096;

		while (c < n)
			c *= 2;
		r->buf = bh_realloc(r->buf, c);
		r->cap = c;
	}
	return 0;
}

static uint32_t u32(const struct bh_net_pcap *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->swap ? __builtin_bswap32(v) : v;
}

static uint16_t u16(const struct bh_net_pcap *r, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return r->swap ? __builtin_bswap16(v) : v;
}

static int open_common(struct bh_net_pcap *r, struct bh_error **err)
{
	uint8_t m[4];
	ssize_t k = rd(r, m, 4, err);
	uint32_t v;

	if (k < 0)
		return -1;
	if (k < 4)
		return bh_error_set(err, BH_ERR_INVALID, "%s: not a capture file (%zd bytes)",
				    r->what, k);
	memcpy(&v, m, 4);
	r->tsdiv = 1e6;
	if (v == 0xa1b2c3d4 || v == 0xa1b23c4d || __builtin_bswap32(v) == 0xa1b2c3d4 ||
	    __builtin_bswap32(v) == 0xa1b23c4d) {
		uint8_t h[20];

		r->fmt = FMT_PCAP;
		r->swap = !(v == 0xa1b2c3d4 || v == 0xa1b23c4d);
		if ((r->swap ? __builtin_bswap32(v) : v) == 0xa1b23c4d)
			r->tsdiv = 1e9;
		k = rd(r, h, 20, err);
		if (k < 0)
			return -1;
		if (k < 20)
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: pcap: file header truncated at offset %llu",
					    r->what, (unsigned long long)r->off);
		if (u16(r, h) != 2)
			return bh_error_set(err, BH_ERR_UNSUPPORTED,
					    "%s: pcap: version %u.%u (2.4 expected)", r->what,
					    u16(r, h), u16(r, h + 2));
		r->snaplen = u32(r, h + 12);
		r->linktype = (int)(u32(r, h + 16) & 0x0fffffff);
		return 0;
	}
	if (v == 0x0a0d0d0a) {
		r->fmt = FMT_PCAPNG;
		memcpy(r->first, m, 4);
		r->first_len = 4;
		return 0;
	}
	return bh_error_set(err, BH_ERR_INVALID,
			    "%s: not a pcap or pcapng file (magic %02x%02x%02x%02x at offset 0)",
			    r->what, m[0], m[1], m[2], m[3]);
}

static int open_reader(struct bh_net_pcap *r, struct bh_net_pcap **out, struct bh_error **err)
{
	if (open_common(r, err) < 0) {
		bh_net_pcap_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

int bh_net_pcap_open_fd(int fd, const char *what, struct bh_net_pcap **out, struct bh_error **err)
{
	struct bh_net_pcap *r = bh_calloc(1, sizeof(*r));

	r->fd = fd;
	r->rbuf = bh_malloc(READ_CHUNK);
	r->what = bh_strdup(what ? what : "capture");
	return open_reader(r, out, err);
}

int bh_net_pcap_open_mem(const void *p, size_t n, const char *what, struct bh_net_pcap **out,
			 struct bh_error **err)
{
	struct bh_net_pcap *r = bh_calloc(1, sizeof(*r));

	r->fd = -1;
	r->mem = p;
	r->mem_len = n;
	r->what = bh_strdup(what ? what : "capture");
	return open_reader(r, out, err);
}

const char *bh_net_pcap_format(const struct bh_net_pcap *r)
{
	return r->fmt == FMT_PCAPNG ? "pcapng" : "pcap";
}

void bh_net_pcap_free(struct bh_net_pcap *r)
{
	if (!r)
		return;
	free(r->ifaces);
	free(r->buf);
	free(r->rbuf);
	free(r->what);
	free(r);
}

static int pcap_next(struct bh_net_pcap *r, struct bh_net_pcap_pkt *pkt, struct bh_error **err)
{
	uint8_t h[16];
	uint64_t at = r->off;
	ssize_t k = rd(r, h, 16, err);
	uint32_t incl, orig;

	if (k < 0)
		return -1;
	if (k == 0)
		return 0;
	if (k < 16)
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s: pcap: record header at offset %llu truncated", r->what,
				    (unsigned long long)at);
	incl = u32(r, h + 8);
	orig = u32(r, h + 12);
	if (incl > BH_NET_PCAP_MAX_PACKET || (r->snaplen && incl > r->snaplen && incl > 65535))
		return bh_error_set(err, BH_ERR_LIMIT,
				    "%s: pcap: record at offset %llu: captured length %u over the "
				    "limit %u (snaplen %u)",
				    r->what, (unsigned long long)at, incl,
				    incl > BH_NET_PCAP_MAX_PACKET ? BH_NET_PCAP_MAX_PACKET
								  : r->snaplen,
				    r->snaplen);
	need(r, incl ? incl : 1, err);
	k = rd(r, r->buf, incl, err);
	if (k < 0)
		return -1;
	if ((size_t)k < incl)
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s: pcap: record at offset %llu truncated (%zd of %u bytes)",
				    r->what, (unsigned long long)at, k, incl);
	pkt->data = r->buf;
	pkt->caplen = incl;
	pkt->origlen = orig < incl ? incl : orig;
	pkt->linktype = r->linktype;
	pkt->ts = u32(r, h) + u32(r, h + 4) / r->tsdiv;
	return 1;
}

/* The if_tsresol option of an IDB body (after the 8 fixed bytes). */
static double idb_tsdiv(struct bh_net_pcap *r, const uint8_t *p, size_t n)
{
	while (n >= 4) {
		uint16_t code = u16(r, p), len = u16(r, p + 2);
		size_t padded = ((size_t)len + 3) & ~(size_t)3;

		if (code == 0 || padded > n - 4)
			break;
		if (code == 9 && len == 1) {
			uint8_t v = p[4];
			unsigned e = v & 0x7f;

			if (e > 30)
				return 0;
			return (v & 0x80) ? ldexp(1.0, (int)e) : pow(10.0, e);
		}
		p += 4 + padded;
		n -= 4 + padded;
	}
	return 1e6;
}

static int ng_next(struct bh_net_pcap *r, struct bh_net_pcap_pkt *pkt, struct bh_error **err)
{
	for (;;) {
		uint8_t h[8];
		uint64_t at = r->off - r->first_len;
		ssize_t k;
		uint32_t type, len, body, tail;

		memcpy(h, r->first, r->first_len);
		k = rd(r, h + r->first_len, 8 - r->first_len, err);
		if (k < 0)
			return -1;
		if (k == 0 && r->first_len == 0)
			return 0;
		k += (ssize_t)r->first_len;
		r->first_len = 0;
		if (k < 8)
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: pcapng: block header at offset %llu truncated",
					    r->what, (unsigned long long)at);
		memcpy(&type, h, 4);
		if (type == 0x0a0d0d0a) {
			/* a section: its byte-order magic decides how to read the rest */
			uint8_t bom[4];
			uint32_t b;

			if (rd(r, bom, 4, err) != 4)
				return bh_error_set(err, BH_ERR_INVALID,
						    "%s: pcapng: section header at offset %llu "
						    "truncated",
						    r->what, (unsigned long long)at);
			memcpy(&b, bom, 4);
			if (b == 0x1a2b3c4d)
				r->swap = false;
			else if (b == 0x4d3c2b1a)
				r->swap = true;
			else
				return bh_error_set(
					err, BH_ERR_INVALID,
					"%s: pcapng: section header at offset %llu: bad "
					"byte-order magic",
					r->what, (unsigned long long)at);
			len = u32(r, h + 4);
			if (len < 28 || len % 4 || len > BH_NET_PCAP_MAX_BLOCK)
				return bh_error_set(
					err, BH_ERR_INVALID,
					"%s: pcapng: section header at offset %llu: block "
					"length %u",
					r->what, (unsigned long long)at, len);
			body = len - 12 - 4; /* the byte-order magic is read */
			need(r, body, err);
			if (rd(r, r->buf, body, err) != (ssize_t)body)
				return bh_error_set(err, BH_ERR_INVALID,
						    "%s: pcapng: section header at offset %llu "
						    "truncated",
						    r->what, (unsigned long long)at);
			if (rd(r, &tail, 4, err) != 4 || u32(r, (uint8_t *)&tail) != len)
				return bh_error_set(err, BH_ERR_INVALID,
						    "%s: pcapng: section header at offset %llu: "
						    "trailing length does not match %u",
						    r->what, (unsigned long long)at, len);
			if (u16(r, r->buf) != 1)
				return bh_error_set(
					err, BH_ERR_UNSUPPORTED,
					"%s: pcapng: section at offset %llu: version %u", r->what,
					(unsigned long long)at, u16(r, r->buf));
			free(r->ifaces);
			r->ifaces = NULL;
			r->n_ifaces = 0;
			continue;
		}
		type = u32(r, h);
		len = u32(r, h + 4);
		if (len < 12 || len % 4 || len > BH_NET_PCAP_MAX_BLOCK)
			return bh_error_set(
				err, BH_ERR_INVALID,
				"%s: pcapng: block at offset %llu (type 0x%x): length %u "
				"(a multiple of 4 from 12 to %u)",
				r->what, (unsigned long long)at, type, len, BH_NET_PCAP_MAX_BLOCK);
		body = len - 12;
		need(r, body + 4, err);
		k = rd(r, r->buf, body + 4, err);
		if (k < 0)
			return -1;
		if ((size_t)k < body + 4)
			return bh_error_set(
				err, BH_ERR_INVALID,
				"%s: pcapng: block at offset %llu (type 0x%x) truncated "
				"(%zd of %u bytes)",
				r->what, (unsigned long long)at, type, k + 8, len);
		if (u32(r, r->buf + body) != len)
			return bh_error_set(
				err, BH_ERR_INVALID,
				"%s: pcapng: block at offset %llu (type 0x%x): trailing "
				"length %u does not match %u",
				r->what, (unsigned long long)at, type, u32(r, r->buf + body), len);
		if (type == 1) { /* IDB */
			struct iface *f;

			if (body < 8)
				return bh_error_set(
					err, BH_ERR_INVALID,
					"%s: pcapng: interface block at offset %llu too "
					"short",
					r->what, (unsigned long long)at);
			if (r->n_ifaces >= BH_NET_PCAP_MAX_IFACES)
				return bh_error_set(
					err, BH_ERR_LIMIT,
					"%s: pcapng: interface block at offset %llu: more "
					"than %u interfaces",
					r->what, (unsigned long long)at, BH_NET_PCAP_MAX_IFACES);
			r->ifaces = bh_reallocarray(r->ifaces, r->n_ifaces + 1, sizeof(*f));
			f = &r->ifaces[r->n_ifaces++];
			f->linktype = u16(r, r->buf);
			f->snaplen = u32(r, r->buf + 4);
			f->tsdiv = idb_tsdiv(r, r->buf + 8, body - 8);
			if (f->tsdiv <= 0)
				return bh_error_set(
					err, BH_ERR_INVALID,
					"%s: pcapng: interface block at offset %llu: bad "
					"if_tsresol",
					r->what, (unsigned long long)at);
			continue;
		}
		if (type == 6 || type == 3) { /* EPB, SPB */
			uint32_t ifid = 0, cap, orig;
			size_t hdr = type == 6 ? 20 : 4;
			struct iface *f;
			uint64_t tsv = 0;

			if (body < hdr)
				return bh_error_set(
					err, BH_ERR_INVALID,
					"%s: pcapng: packet block at offset %llu too short",
					r->what, (unsigned long long)at);
			if (type == 6) {
				ifid = u32(r, r->buf);
				tsv = ((uint64_t)u32(r, r->buf + 4) << 32) | u32(r, r->buf + 8);
				cap = u32(r, r->buf + 12);
				orig = u32(r, r->buf + 16);
			} else {
				orig = u32(r, r->buf);
				cap = orig;
			}
			if (ifid >= r->n_ifaces)
				return bh_error_set(
					err, BH_ERR_INVALID,
					"%s: pcapng: packet block at offset %llu: interface "
					"%u not described",
					r->what, (unsigned long long)at, ifid);
			f = &r->ifaces[ifid];
			if (type == 3) {
				if (f->snaplen && cap > f->snaplen)
					cap = f->snaplen;
				if (cap > body - hdr)
					cap = body - hdr;
			}
			if (cap > body - hdr || cap > BH_NET_PCAP_MAX_PACKET)
				return bh_error_set(
					err, BH_ERR_INVALID,
					"%s: pcapng: packet block at offset %llu: captured "
					"length %u over the block's %zu bytes",
					r->what, (unsigned long long)at, cap, body - hdr);
			pkt->data = r->buf + hdr;
			pkt->caplen = cap;
			pkt->origlen = orig < cap ? cap : orig;
			pkt->linktype = f->linktype;
			pkt->ts = type == 6 ? (double)tsv / f->tsdiv : 0;
			return 1;
		}
		/* NRB, ISB, DSB, custom: nothing a flow needs */
	}
}

int bh_net_pcap_next(struct bh_net_pcap *r, struct bh_net_pcap_pkt *pkt, struct bh_error **err)
{
	return r->fmt == FMT_PCAP ? pcap_next(r, pkt, err) : ng_next(r, pkt, err);
}
