/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DNS over UDP (one message per datagram) and TCP (each message behind a
 * 2-byte length, split anywhere): see dissect.h. Of each message the header
 * and the first question are read: the name decompressed (pointers must
 * point before the label that holds them, at most DNS_MAX_JUMPS of them, the
 * dotted name at most 253 characters), lower-cased; one BH_NET_REC_DNS
 * record per message. Over TCP only the first DNS_KEEP bytes of a message
 * are kept (the question is at its start); the rest is counted.
 *
 * Threats:
 *  BH-NET-DNS-ZONE-XFER: an AXFR or IXFR query.
 *  BH-NET-DNS-TUNNEL: a query whose name has a label longer than
 *   DNS_TUNNEL_LABEL (50) characters, or whose subdomain part (the name less
 *   its last two labels, dots removed) is at least DNS_TUNNEL_LEN (48)
 *   characters with a Shannon entropy of its characters of at least
 *   DNS_TUNNEL_ENTROPY (4.0) bits per character and at least one in
 *   DNS_TUNNEL_DIGITS (20) of them a digit: base32 and base64 encodings of
 *   data (iodine, dnscat2 and the like) sit at 4.3-5.2 bits over such lengths
 *   with a digit in 5 or 6 on average; long service names (Kubernetes search domains
 *   appended) at 3.9-4.0, and English words reach 4.3 but carry no digits.
 *   Hex encodings (4 bits at most) are caught by their label length only.
 *   Volume per name across flows: BH-NET-DNS-VOLUME, src/net/dns_meter.h.
 *  BH-NET-DNS-AMPLIFY: an ANY query; or, once per flow, responses that add
 *   up to at least DNS_AMP_MIN_BYTES (3000) and DNS_AMP_RATIO (20) times the
 *   bytes of the queries of the same flow.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bulkhead/base.h"
#include "net/dissect.h"

#include "banned.h"

#define DNS_KEEP	   4096 /* bytes of a TCP message kept */
#define DNS_MAX_JUMPS	   16	/* compression pointers followed per name */
#define DNS_NAME_MAX	   253	/* dotted, without the final dot */
#define DNS_TUNNEL_LABEL   50
#define DNS_TUNNEL_LEN	   48
#define DNS_TUNNEL_ENTROPY 4.0
#define DNS_TUNNEL_DIGITS  20
#define DNS_AMP_MIN_BYTES  3000
#define DNS_AMP_RATIO	   20

enum { T_ANY = 255, T_AXFR = 252, T_IXFR = 251 };

struct dns_dir {
	uint8_t lp[2];
	unsigned lplen;
	uint32_t mlen, mgot;
	uint8_t msg[DNS_KEEP];
};

struct dns_state {
	struct dns_dir d[2];
	uint64_t query_bytes, response_bytes;
	bool amp_reported;
	char qname[DNS_NAME_MAX + 2];
};

static const uint16_t dns_ports[] = { 53, 5353, 5355, 0 };

/* Decode the name at *off in m[0..n) into out (dotted, lower case, no final
 * dot; "" for the root); *off moves past the name. Returns the length, or -1
 * when malformed. *maxlabel gets the longest label. */
static int dns_name(const uint8_t *m, size_t n, size_t *off, char *out, size_t *maxlabel)
{
	size_t p = *off, o = 0, end = 0, lowest = *off;
	unsigned jumps = 0;
	bool jumped = false;

	*maxlabel = 0;
	for (;;) {
		if (p >= n)
			return -1;
		uint8_t l = m[p];

		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= n || ++jumps > DNS_MAX_JUMPS)
				return -1;
			size_t to = (size_t)(l & 0x3f) << 8 | m[p + 1];

			if (!jumped) {
				end = p + 2;
				jumped = true;
			}
			if (to >= lowest) /* only backwards: no loops */
				return -1;
			lowest = to;
			p = to;
			continue;
		}
		if (l & 0xc0)
			return -1; /* the extended label types are obsolete */
		if (l == 0) {
			if (!jumped)
				end = p + 1;
			break;
		}
		if (p + 1 + l > n || o + (o ? 1 : 0) + l > DNS_NAME_MAX)
			return -1;
		if (o)
			out[o++] = '.';
		for (size_t i = 0; i < l; i++)
			out[o++] = (char)bh_tolower(m[p + 1 + i]);
		if (l > *maxlabel)
			*maxlabel = l;
		p += 1 + (size_t)l;
	}
	out[o] = 0;
	*off = end;
	return (int)o;
}

struct dns_msg {
	uint16_t id, flags, qd, an, ns, ar, qtype, qclass;
	int qlen;
	size_t maxlabel;
};

/* Header and first question; false when malformed. */
static bool dns_parse(const uint8_t *m, size_t n, char *qname, struct dns_msg *out)
{
	size_t off = 12;

	if (n < 12)
		return false;
	out->id = (uint16_t)(m[0] << 8 | m[1]);
	out->flags = (uint16_t)(m[2] << 8 | m[3]);
	out->qd = (uint16_t)(m[4] << 8 | m[5]);
	out->an = (uint16_t)(m[6] << 8 | m[7]);
	out->ns = (uint16_t)(m[8] << 8 | m[9]);
	out->ar = (uint16_t)(m[10] << 8 | m[11]);
	out->qlen = 0;
	out->maxlabel = 0;
	out->qtype = out->qclass = 0;
	qname[0] = 0;
	if (((out->flags >> 11) & 0xf) > 6)
		return false; /* no such opcode */
	if (out->qd == 0)
		return true;
	out->qlen = dns_name(m, n, &off, qname, &out->maxlabel);
	if (out->qlen < 0 || off + 4 > n)
		return false;
	out->qtype = (uint16_t)(m[off] << 8 | m[off + 1]);
	out->qclass = (uint16_t)(m[off + 2] << 8 | m[off + 3]);
	return true;
}

/*
 * The A and AAAA answers of a response (IPv4 mapped), at most
 * BH_NET_DNS_ADDRS_MAX; the walk stops at the first malformed record (what
 * came before it is kept). For a rule's DNS names followed to addresses.
 */
static size_t dns_answers(const uint8_t *m, size_t n, const struct dns_msg *h, uint8_t out[][16])
{
	char name[DNS_NAME_MAX + 2];
	size_t off = 12, got = 0, ml;

	for (unsigned i = 0; i < h->qd; i++) {
		if (dns_name(m, n, &off, name, &ml) < 0 || off + 4 > n)
			return 0;
		off += 4;
	}
	for (unsigned i = 0; i < h->an && got < BH_NET_DNS_ADDRS_MAX; i++) {
		uint16_t type, rdlen;

		if (dns_name(m, n, &off, name, &ml) < 0 || off + 10 > n)
			break;
		type = (uint16_t)(m[off] << 8 | m[off + 1]);
		rdlen = (uint16_t)(m[off + 8] << 8 | m[off + 9]);
		off += 10;
		if (rdlen > n - off)
			break;
		if (type == 1 && rdlen == 4) {
			memset(out[got], 0, 16);
			out[got][10] = out[got][11] = 0xff;
			memcpy(out[got] + 12, m + off, 4);
			got++;
		} else if (type == 28 && rdlen == 16) {
			memcpy(out[got++], m + off, 16);
		}
		off += rdlen;
	}
	return got;
}

/* Shannon entropy in bits per character of s[0..n). */
static double entropy(const char *s, size_t n)
{
	unsigned count[256] = { 0 };
	double h = 0;

	for (size_t i = 0; i < n; i++)
		count[(unsigned char)s[i]]++;
	for (unsigned i = 0; i < 256; i++)
		if (count[i]) {
			double p = (double)count[i] / (double)n;

			h -= p * log2(p);
		}
	return h;
}

static size_t digits(const char *s, size_t n)
{
	size_t d = 0;

	for (size_t i = 0; i < n; i++)
		d += bh_isdigit((unsigned char)s[i]);
	return d;
}

/* The name less its last two labels, dots removed, into buf; its length. */
static size_t subdomain(const char *name, size_t n, char *buf)
{
	size_t cut = n, dots = 0, o = 0;

	while (cut > 0) {
		if (name[cut - 1] == '.' && ++dots == 2)
			break;
		cut--;
	}
	if (dots < 2)
		return 0;
	for (size_t i = 0; i + 1 < cut; i++)
		if (name[i] != '.')
			buf[o++] = name[i];
	return o;
}

static void emit_threat(const struct bh_net_dissect_ctx *ctx, enum bh_net_dir dir, const char *id,
			const char *detail)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_THREAT, .dir = dir, .app = "dns" };

	r.u.threat.id = id;
	r.u.threat.detail = (struct bh_net_str){ detail, strlen(detail) };
	ctx->emit(ctx->opaque, &r);
}

/* One whole message (m[0..n) kept of msg_len bytes). */
static enum bh_net_feed dns_message(struct dns_state *s, enum bh_net_dir dir, const uint8_t *m,
				    size_t n, size_t msg_len, const struct bh_net_dissect_ctx *ctx)
{
	struct dns_msg h;
	struct bh_net_rec r = { .kind = BH_NET_REC_DNS, .dir = dir, .app = "dns" };
	uint8_t addrs[BH_NET_DNS_ADDRS_MAX][16];
	bool response;

	if (!dns_parse(m, n, s->qname, &h))
		return BH_NET_FEED_MALFORMED;
	response = h.flags & 0x8000;
	r.u.dns.response = response;
	r.u.dns.id = h.id;
	r.u.dns.qtype = h.qtype;
	r.u.dns.rcode = h.flags & 0xf;
	r.u.dns.ancount = h.an;
	r.u.dns.qname = (struct bh_net_str){ s->qname, (size_t)h.qlen };
	r.u.dns.msg_len = msg_len;
	if (response && h.an) {
		r.u.dns.n_addrs = dns_answers(m, n, &h, addrs);
		r.u.dns.addrs = (const uint8_t(*)[16])addrs;
	}
	ctx->emit(ctx->opaque, &r);
	if (response)
		s->response_bytes += msg_len;
	else
		s->query_bytes += msg_len;
	if (!response && h.qd) {
		char sub[DNS_NAME_MAX + 1];
		size_t sl = subdomain(s->qname, (size_t)h.qlen, sub);

		if (h.qtype == T_AXFR || h.qtype == T_IXFR)
			emit_threat(ctx, dir, "BH-NET-DNS-ZONE-XFER",
				    h.qtype == T_AXFR ? "AXFR query" : "IXFR query");
		if (h.qtype == T_ANY)
			emit_threat(ctx, dir, "BH-NET-DNS-AMPLIFY", "ANY query");
		if (h.maxlabel > DNS_TUNNEL_LABEL)
			emit_threat(ctx, dir, "BH-NET-DNS-TUNNEL",
				    "query name label over 50 characters");
		else if (sl >= DNS_TUNNEL_LEN && digits(sub, sl) * DNS_TUNNEL_DIGITS >= sl &&
			 entropy(sub, sl) >= DNS_TUNNEL_ENTROPY)
			emit_threat(ctx, dir, "BH-NET-DNS-TUNNEL", "long high-entropy query name");
	}
	if (response && !s->amp_reported && s->response_bytes >= DNS_AMP_MIN_BYTES &&
	    s->response_bytes >= DNS_AMP_RATIO * s->query_bytes) {
		s->amp_reported = true;
		emit_threat(ctx, dir, "BH-NET-DNS-AMPLIFY",
			    "responses over 20 times the size of the queries");
	}
	return BH_NET_FEED_MORE;
}

/* Is this a DNS message's start: a sane header and one parsable question? */
static enum bh_net_probe probe_msg(const uint8_t *m, size_t n, bool whole)
{
	char name[DNS_NAME_MAX + 2];
	struct dns_msg h;

	/* What the first bytes already rule out. */
	if (n >= 4) {
		unsigned flags = (unsigned)m[2] << 8 | m[3], op = (flags >> 11) & 0xf;

		if ((flags & 0x0040) || op == 3 || op > 5 || (!(flags & 0x8000) && (flags & 0xf)))
			return BH_NET_PROBE_NO;
	}
	if (n >= 6 && (m[4] != 0 || m[5] != 1))
		return BH_NET_PROBE_NO;
	if (n < 12)
		return whole ? BH_NET_PROBE_NO : BH_NET_PROBE_NEED_MORE;
	if (!dns_parse(m, n, name, &h))
		return whole ? BH_NET_PROBE_NO : BH_NET_PROBE_NEED_MORE;
	if (h.qd != 1 || (h.flags & 0x0040) /* Z bit */ || h.an > 512 || h.ns > 512 || h.ar > 512)
		return BH_NET_PROBE_NO;
	if (!(h.flags & 0x8000) && (h.an > 0 || (h.flags & 0xf)))
		return BH_NET_PROBE_NO; /* a query has no answers and no rcode */
	if (h.qtype == 0 || (h.qclass & 0x7fff) == 0 ||
	    ((h.qclass & 0x7fff) > 4 && (h.qclass & 0x7fff) != 254 && (h.qclass & 0x7fff) != 255))
		return BH_NET_PROBE_NO;
	return BH_NET_PROBE_YES;
}

static enum bh_net_probe dns_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				   const uint8_t *buf, size_t len)
{
	if (flow && flow->l4 == BH_NET_L4_UDP)
		return probe_msg(buf, len, true);
	if (len < 2)
		return BH_NET_PROBE_NEED_MORE;
	size_t ml = (size_t)buf[0] << 8 | buf[1];

	if (ml < 17)
		return BH_NET_PROBE_NO;
	return probe_msg(buf + 2, len - 2 < ml ? len - 2 : ml, len - 2 >= ml);
}

static enum bh_net_feed dns_feed(void *state, enum bh_net_dir dir, const uint8_t *data, size_t len,
				 const struct bh_net_dissect_ctx *ctx)
{
	struct dns_state *s = state;
	struct dns_dir *d;
	size_t i = 0, mark = 0; /* mark: where the message in progress began (TCP) */
	size_t carry;		/* its bytes kept from earlier chunks (TCP) */

	if (dir != BH_NET_TO_SERVER && dir != BH_NET_TO_CLIENT)
		return BH_NET_FEED_DONE;
	if (ctx->flow && ctx->flow->l4 == BH_NET_L4_UDP) {
		if (!data)
			return BH_NET_FEED_MORE; /* a lost datagram */
		/* a datagram is one message: given up, it is the whole chunk */
		if (dns_message(s, dir, data, len, len, ctx) == BH_NET_FEED_MALFORMED)
			return bh_net_feed_gave_up(ctx, 0);
		return BH_NET_FEED_MORE;
	}
	if (!data)
		return BH_NET_FEED_DONE;
	d = &s->d[dir];
	carry = d->lplen == 2 ? (d->mgot < DNS_KEEP ? d->mgot : DNS_KEEP) : 0;
	while (i < len) {
		if (!d->lplen)
			mark = i;
		if (d->lplen < 2) {
			d->lp[d->lplen++] = data[i++];
			if (d->lplen == 2) {
				d->mlen = (uint32_t)d->lp[0] << 8 | d->lp[1];
				d->mgot = 0;
				if (d->mlen < 12)
					return bh_net_feed_gave_up(ctx, mark);
			}
			continue;
		}
		size_t k = d->mlen - d->mgot;

		if (k > len - i)
			k = len - i;
		if (d->mgot < DNS_KEEP) {
			size_t c = DNS_KEEP - d->mgot < k ? DNS_KEEP - d->mgot : k;

			memcpy(d->msg + d->mgot, data + i, c);
		}
		d->mgot += (uint32_t)k;
		i += k;
		if (d->mgot == d->mlen) {
			enum bh_net_feed rc;

			d->lplen = 0;
			rc = dns_message(s, dir, d->msg, d->mlen < DNS_KEEP ? d->mlen : DNS_KEEP,
					 d->mlen, ctx);
			/* from the message; begun in an earlier chunk, the
			 * bytes of it kept from there are handed back */
			if (rc == BH_NET_FEED_MALFORMED)
				return mark == 0 && carry
					       ? bh_net_feed_gave_up_held(ctx, d->msg, carry)
					       : bh_net_feed_gave_up(ctx, mark);
			carry = 0;
			if (rc != BH_NET_FEED_MORE)
				return rc;
		}
	}
	return BH_NET_FEED_MORE;
}

const struct bh_net_dissector bh_net_l7_dns = {
	.app = "dns",
	.l4 = BH_NET_L4_TCP | BH_NET_L4_UDP,
	.ports = dns_ports,
	.state_size = sizeof(struct dns_state),
	.probe = dns_probe,
	.feed = dns_feed,
	.fini = NULL,
};
