/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS (and SSLv3) up to the end of the cleartext handshake (see dissect.h).
 * Per direction: the 5-byte record header, then the record's bytes as they
 * come; handshake messages are reassembled across records and segments, but
 * only ClientHello and ServerHello are kept (TLS_HELLO_MAX bytes, a longer
 * hello is malformed; on the heap only while one comes, so a flow's state is
 * a few hundred bytes); the others (certificates, ...) are skipped. A
 * ClientHello gives the offered maximum version (legacy_version and
 * supported_versions, GREASE ignored), the SNI and the first ALPN protocol; a
 * ServerHello the selected version and cipher suite and the ALPN chosen.
 * Inspection is DONE only on the server's answer: once its ServerHello
 * selected TLS 1.3 (everything after it is encrypted), or after a
 * ServerHello both sides sent ChangeCipherSpec (or the server application
 * data). Before the ServerHello the client may send its ClientHello and
 * nothing else but one heartbeat, except, when that hello offered 0-RTT
 * (early_data with a pre_shared_key and TLS 1.3 in supported_versions),
 * ChangeCipherSpec and 16 KiB of application data, which are skipped but
 * handed to the data-leak matcher as HTTP_BODY records of app "tls" (a fake
 * handshake to a cleartext server must not hide cleartext). Any other
 * record, or application data without early_data, is given up on from that
 * record's first byte: the engine identifies it anew.
 * A ClientHello spread over several records that then breaks is given up
 * from the first byte of its first record: the bytes held from earlier
 * chunks (TLS_RAW_MAX at most, beyond which the hello is malformed) go back
 * to the engine through ctx->held.
 * A HelloRetryRequest (a ServerHello with RFC 8446's fixed random) is not
 * the answer: the client's second ClientHello is read as the first (its SNI
 * recorded and judged again by policy), each side may send one one-byte
 * ChangeCipherSpec before its next hello (middlebox compatibility), no 0-RTT
 * after it, and a second retry is malformed.
 *
 * Threats:
 *  BH-NET-TLS-DOWNGRADE: a ServerHello selecting SSLv3, TLS 1.0 or TLS 1.1.
 *  BH-NET-TLS-HEARTBLEED: a heartbeat request whose payload_length does not
 *   fit in its record (CVE-2014-0160), or a heartbeat response larger than
 *   every request record the peer sent (the leak itself).
 *  BH-NET-TLS-SNI-CHANGE: the ClientHello after a HelloRetryRequest names
 *   another server than the first (or drops or adds the SNI), which RFC 8446
 *   forbids: a policy judged on the first name is being walked around.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/base.h"
#include "net/dissect.h"

#include "banned.h"

#define TLS_HELLO_MAX  16384	      /* one ClientHello / ServerHello message */
#define TLS_RECORD_MAX (16384 + 2048) /* TLSCiphertext bound (RFC 8446 5.2) */
#define TLS_RAW_MAX    (24 * 1024)    /* client bytes held since its hello's first record */
#define TLS_EARLY_MAX  (16 * 1024)    /* 0-RTT application data read before the answer */

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23, CT_HEARTBEAT = 24 };

struct tls_dir {
	uint8_t rh[5];
	unsigned rhlen;
	uint8_t rtype;
	uint32_t rlen, rgot; /* current record */
	uint8_t hb[3];	     /* heartbeat: type and payload_length */
	uint8_t hh[4];	     /* handshake message header */
	unsigned hhlen;
	uint32_t hlen, hgot; /* current handshake message */
	bool ccs;
	bool compat; /* this record is the one middlebox-compatibility CCS after a HelloRetryRequest
		      */
	bool compat_used;
	uint32_t hb_req_max; /* largest heartbeat request record sent this way */
	uint8_t *hello;	     /* a hello in progress: hlen bytes, allocated only while it comes */
};

struct tls_state {
	struct tls_dir d[2];
	bool done;
	bool client_hello;  /* the ClientHello was parsed */
	bool server_hello;  /* the server answered with a ServerHello */
	bool early_data;    /* the ClientHello offered 0-RTT: early_data, a PSK, TLS 1.3 */
	bool heartbeat;	    /* the client sent its one heartbeat before the answer */
	bool hrr;	    /* the server asked for a second ClientHello (HelloRetryRequest) */
	uint64_t sni_hash;  /* FNV-1a of the first ClientHello's SNI (0: none) */
	uint32_t early_len; /* application data bytes the client sent before the answer */
	/* the client's bytes since the first record of the message in
	 * progress began, while no ServerHello was seen: raw_len of them,
	 * those of the chunk being fed included; raw_held of them, from
	 * earlier chunks, in raw (allocated only while such a message spans
	 * chunks, exactly raw_held bytes, freed once it is whole) */
	bool raw_here;	 /* that record began in the chunk being fed, at raw_mark */
	size_t raw_mark; /* (valid during a feed only) */
	uint32_t raw_len, raw_held;
	uint8_t *raw;
};

static const uint16_t tls_ports[] = { 443, 8443, 993, 995, 465, 636, 853, 6443, 0 };

static enum bh_net_probe tls_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				   const uint8_t *buf, size_t len)
{
	uint8_t want = dir == BH_NET_TO_SERVER ? 1 : 2;

	if (len >= 1 && buf[0] != CT_HANDSHAKE)
		return BH_NET_PROBE_NO;
	if (len >= 2 && buf[1] != 3)
		return BH_NET_PROBE_NO;
	if (len >= 3 && buf[2] > 4)
		return BH_NET_PROBE_NO;
	if (len >= 5) {
		unsigned rl = (unsigned)buf[3] << 8 | buf[4];

		if (rl < 4 || rl > TLS_RECORD_MAX)
			return BH_NET_PROBE_NO;
	}
	if (len < 6)
		return BH_NET_PROBE_NEED_MORE;
	if (buf[5] != want)
		return BH_NET_PROBE_NO;
	if (len < 9)
		return BH_NET_PROBE_NEED_MORE;
	/* The hello's length fits a handshake; its version is 3.x. */
	if (buf[6] != 0 || (len >= 10 && buf[9] != 3))
		return BH_NET_PROBE_NO;
	return BH_NET_PROBE_YES;
}

static void emit_threat(const struct bh_net_dissect_ctx *ctx, enum bh_net_dir dir, const char *id,
			const char *detail)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_THREAT, .dir = dir, .app = "tls" };

	r.u.threat.id = id;
	r.u.threat.detail = (struct bh_net_str){ detail, strlen(detail) };
	ctx->emit(ctx->opaque, &r);
}

/* A bounded reader over the hello. */
struct rd {
	const uint8_t *p;
	size_t n;
	bool bad;
};

static const uint8_t *take(struct rd *r, size_t k)
{
	const uint8_t *p = r->p;

	if (r->bad || k > r->n) {
		r->bad = true;
		return NULL;
	}
	r->p += k;
	r->n -= k;
	return p;
}

static unsigned u8(struct rd *r)
{
	const uint8_t *p = take(r, 1);

	return p ? p[0] : 0;
}

static unsigned u16(struct rd *r)
{
	const uint8_t *p = take(r, 2);

	return p ? (unsigned)p[0] << 8 | p[1] : 0;
}

/* A sub-reader of the next k bytes. */
static struct rd sub(struct rd *r, size_t k)
{
	const uint8_t *p = take(r, k);

	return p ? (struct rd){ p, k, false } : (struct rd){ NULL, 0, true };
}

static bool grease(unsigned v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static const char *version_name(unsigned v)
{
	switch (v) {
	case 0x0300: return "negotiated SSLv3";
	case 0x0301: return "negotiated TLS 1.0";
	case 0x0302: return "negotiated TLS 1.1";
	default: return "negotiated a version before TLS 1.2";
	}
}

/* Parse a hello; false when malformed. Returns the selected version in *sel. */
/* The ServerHello random that makes it a HelloRetryRequest (RFC 8446 4.1.3:
 * SHA-256 of "HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* What one hello told, besides its record. */
struct hello {
	unsigned sel;	       /* the version (offered maximum, or selected) */
	bool early;	       /* a ClientHello that offered 0-RTT */
	bool hrr;	       /* a ServerHello that is a HelloRetryRequest */
	struct bh_net_str sni; /* a ClientHello's (in the hello buffer) */
};

static bool parse_hello(const uint8_t *m, size_t n, bool client, enum bh_net_dir dir,
			const struct bh_net_dissect_ctx *ctx, struct hello *out)
{
	struct rd r = { m, n, false };
	struct bh_net_rec rec = { .kind = BH_NET_REC_TLS_HELLO, .dir = dir, .app = "tls" };
	unsigned ver = u16(&r);
	bool ed = false, psk = false, v13 = false; /* 0-RTT needs all three */
	const uint8_t *random = take(&r, 32);

	out->hrr = !client && random && !memcmp(random, hrr_random, sizeof(hrr_random));
	sub(&r, u8(&r)); /* session id */
	if (client) {
		sub(&r, u16(&r)); /* cipher suites */
		sub(&r, u8(&r));  /* compression methods */
	} else {
		rec.u.tls.cipher = (uint16_t)u16(&r);
		u8(&r); /* compression method */
	}
	if (r.bad || (ver >> 8) != 3)
		return false;
	rec.u.tls.client = client;
	if (r.n) {
		struct rd ext = sub(&r, u16(&r));

		while (!ext.bad && ext.n) {
			unsigned type = u16(&ext);
			struct rd e = sub(&ext, u16(&ext));

			if (ext.bad)
				break;
			if (type == 42 && client) /* early_data */
				ed = true;
			if (type == 41 && client) /* pre_shared_key */
				psk = true;
			if (type == 0 && client) { /* server_name */
				struct rd list = sub(&e, u16(&e));

				while (!list.bad && list.n) {
					unsigned nt = u8(&list);
					unsigned nl = u16(&list);
					const uint8_t *name = take(&list, nl);

					if (name && nt == 0 && !rec.u.tls.sni.p)
						rec.u.tls.sni =
							(struct bh_net_str){ (const char *)name,
									     nl };
				}
				if (list.bad)
					return false;
			} else if (type == 16) { /* ALPN */
				struct rd list = sub(&e, u16(&e));
				unsigned pl = u8(&list);
				const uint8_t *proto = take(&list, pl);

				if (!proto || !pl)
					return false;
				rec.u.tls.alpn = (struct bh_net_str){ (const char *)proto, pl };
			} else if (type == 43) { /* supported_versions */
				if (client) {
					struct rd list = sub(&e, u8(&e));

					while (!list.bad && list.n) {
						unsigned v = u16(&list);

						if (!grease(v) && (v >> 8) == 3 && v > ver)
							ver = v;
						if (v == 0x0304)
							v13 = true;
					}
					if (list.bad)
						return false;
				} else {
					ver = u16(&e);
					if (e.bad)
						return false;
				}
			}
		}
		if (ext.bad || r.n)
			return false;
	}
	rec.u.tls.version = (uint16_t)ver;
	out->early = client && ed && psk && v13;
	out->sni = rec.u.tls.sni;
	out->sel = ver;
	if (out->hrr) /* not the answer: the request for another ClientHello */
		return ver == 0x0304;
	ctx->emit(ctx->opaque, &rec);
	if (!client && ver < 0x0303)
		emit_threat(ctx, dir, "BH-NET-TLS-DOWNGRADE", version_name(ver));
	return true;
}

static uint64_t fnv1a(struct bh_net_str v)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < v.len; i++)
		h = (h ^ (uint8_t)v.p[i]) * 0x100000001b3ull;
	return h | 1; /* never 0, which is "no SNI" */
}

/* A ClientHello parsed: the first, or the second after a HelloRetryRequest,
 * which must name the same server (RFC 8446 4.1.2) and offers no 0-RTT. */
static void took_client_hello(struct tls_state *s, const struct hello *h,
			      const struct bh_net_dissect_ctx *ctx)
{
	uint64_t sni = h->sni.len ? fnv1a(h->sni) : 0;

	s->client_hello = true;
	if (!s->hrr) {
		s->sni_hash = sni;
		s->early_data = h->early;
		return;
	}
	s->early_data = false;
	if (sni != s->sni_hash)
		emit_threat(ctx, BH_NET_TO_SERVER, "BH-NET-TLS-SNI-CHANGE",
			    "the ClientHello after a HelloRetryRequest names another server");
}

/* Handshake bytes of one record. */
static enum bh_net_feed handshake_bytes(struct tls_state *s, enum bh_net_dir dir, const uint8_t *p,
					size_t n, const struct bh_net_dissect_ctx *ctx)
{
	struct tls_dir *d = &s->d[dir];

	while (n) {
		if (d->hhlen < 4) {
			d->hh[d->hhlen++] = *p++;
			n--;
			if (d->hhlen == 4) {
				d->hlen = (uint32_t)d->hh[1] << 16 | (uint32_t)d->hh[2] << 8 |
					  d->hh[3];
				d->hgot = 0;
				if ((d->hh[0] == 1 || d->hh[0] == 2) && d->hlen > TLS_HELLO_MAX)
					return BH_NET_FEED_MALFORMED;
				if (d->hh[0] == 1 || d->hh[0] == 2) {
					free(d->hello);
					d->hello = bh_malloc(d->hlen ? d->hlen : 1);
				}
				/* before the server answered, one ClientHello only */
				if (dir == BH_NET_TO_SERVER && !s->server_hello &&
				    (d->hh[0] != 1 || s->client_hello))
					return BH_NET_FEED_MALFORMED;
			} else {
				continue;
			}
		} else {
			size_t k = d->hlen - d->hgot;

			if (k > n)
				k = n;
			if (d->hh[0] == 1 || d->hh[0] == 2)
				memcpy(d->hello + d->hgot, p, k);
			d->hgot += (uint32_t)k;
			p += k;
			n -= k;
		}
		if (d->hgot == d->hlen) {
			bool client = d->hh[0] == 1;
			struct hello h = { 0 };
			bool ok;

			d->hhlen = 0;
			if (d->hh[0] != 1 && d->hh[0] != 2)
				continue;
			ok = client == (dir == BH_NET_TO_SERVER) &&
			     parse_hello(d->hello, d->hlen, client, dir, ctx, &h);
			if (ok && client)
				took_client_hello(s, &h, ctx); /* h.sni is in d->hello */
			free(d->hello);
			d->hello = NULL;
			if (!ok)
				return BH_NET_FEED_MALFORMED;
			if (client)
				continue;
			if (h.hrr) {
				/* one retry, asked after a ClientHello: its second
				 * ClientHello is read as the first was */
				if (s->hrr || !s->client_hello)
					return BH_NET_FEED_MALFORMED;
				s->hrr = true;
				s->client_hello = false;
				continue;
			}
			s->server_hello = true;
			if (h.sel >= 0x0304)
				return BH_NET_FEED_DONE;
		}
	}
	return BH_NET_FEED_MORE;
}

/* Early data (TLS 1.3 0-RTT) or a heartbeat the client sent before the
 * server answered: not parsed, but handed to the data-leak matcher. */
static void emit_early(const struct bh_net_dissect_ctx *ctx, const uint8_t *p, size_t n)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_HTTP_BODY,
				.dir = BH_NET_TO_SERVER,
				.app = "tls" };

	r.u.body.data = (struct bh_net_str){ (const char *)p, n };
	ctx->emit(ctx->opaque, &r);
}

/* Whether a record of this header may come before the server's ServerHello
 * (counting the client's heartbeat and early data, both bounded). */
static bool before_answer_ok(struct tls_state *s, enum bh_net_dir dir, struct tls_dir *d)
{
	/* after a HelloRetryRequest each side may send one one-byte
	 * ChangeCipherSpec before its next hello (RFC 8446 D.4): it starts
	 * nothing, so the hello after it is still read */
	if (d->rtype == CT_CCS && s->hrr && !d->compat_used && !d->ccs && d->rlen == 1 &&
	    (dir != BH_NET_TO_SERVER || !s->client_hello)) {
		d->compat = d->compat_used = true;
		return true;
	}
	if (dir != BH_NET_TO_SERVER)
		return d->rtype != CT_APPDATA && d->rtype != CT_CCS;
	switch (d->rtype) {
	case CT_HANDSHAKE: return !d->ccs; /* its ClientHello, checked as it is parsed */
	case CT_HEARTBEAT:		   /* one (a Heartbleed probe is seen) */
		if (d->ccs || s->heartbeat)
			return false;
		s->heartbeat = true;
		return true;
	case CT_ALERT: return !d->ccs && d->rlen == 2;
	case CT_CCS: return s->early_data && s->client_hello && !d->ccs;
	case CT_APPDATA:
		if (!s->early_data || !s->client_hello || d->rlen > TLS_EARLY_MAX - s->early_len)
			return false;
		s->early_len += d->rlen;
		return true;
	}
	return false;
}

/* Count the client's bytes of the message in progress (see raw). */
static bool hold(struct tls_state *s, size_t n)
{
	if (n > TLS_RAW_MAX - s->raw_len)
		return false;
	s->raw_len += (uint32_t)n;
	return true;
}

static void raw_free(struct tls_state *s)
{
	free(s->raw);
	s->raw = NULL;
	s->raw_held = 0;
}

/* At the end of a feed of the client's bytes before the answer: keep the
 * ones of a message still in progress (d) for the next chunk, else none. */
static void raw_keep(struct tls_state *s, const struct tls_dir *d, const uint8_t *data, size_t len)
{
	size_t from = s->raw_here ? 0 : s->raw_held;

	if (!d->rhlen && !d->hhlen) {
		raw_free(s);
		s->raw_len = 0;
		return;
	}
	s->raw = bh_realloc(s->raw, s->raw_len);
	if (s->raw_here)
		memcpy(s->raw, data + s->raw_mark, len - s->raw_mark);
	else
		memcpy(s->raw + from, data, len);
	s->raw_held = s->raw_len;
}

static void tls_fini(void *state)
{
	struct tls_state *s = state;

	raw_free(s);
	for (int i = 0; i < 2; i++) {
		free(s->d[i].hello);
		s->d[i].hello = NULL;
	}
}

/* Give up from the record at mark, or for the client before the server
 * answered, from the first record of its message in progress (raw0 bytes of
 * it held from earlier chunks). */
static enum bh_net_feed give_up(struct tls_state *s, enum bh_net_dir dir, size_t mark,
				uint32_t raw0, const struct bh_net_dissect_ctx *ctx)
{
	s->done = true;
	if (dir != BH_NET_TO_SERVER || s->server_hello)
		return bh_net_feed_gave_up(ctx, mark);
	if (s->raw_here)
		return bh_net_feed_gave_up(ctx, s->raw_mark);
	return bh_net_feed_gave_up_held(ctx, s->raw, raw0);
}

static enum bh_net_feed tls_feed(void *state, enum bh_net_dir dir, const uint8_t *data, size_t len,
				 const struct bh_net_dissect_ctx *ctx)
{
	struct tls_state *s = state;
	struct tls_dir *d, *peer;
	size_t i = 0, mark = 0; /* mark: where the record in progress began */
	bool cap;		/* the client before the server answered: hold */
	uint32_t raw0;

	if (s->done || (dir != BH_NET_TO_SERVER && dir != BH_NET_TO_CLIENT))
		return BH_NET_FEED_DONE;
	if (!data) {
		s->done = true; /* a gap: records cannot be found again */
		return BH_NET_FEED_DONE;
	}
	d = &s->d[dir];
	peer = &s->d[!dir];
	cap = dir == BH_NET_TO_SERVER && !s->server_hello;
	raw0 = s->raw_len;
	s->raw_here = false;
	if (!cap && s->raw)
		raw_free(s);
	while (i < len) {
		if (!d->rhlen) {
			mark = i;
			if (cap && !d->hhlen) { /* a new message: hold from here */
				s->raw_len = 0;
				s->raw_here = true;
				s->raw_mark = i;
			}
		}
		if (d->rhlen < 5) {
			if (cap && !hold(s, 1))
				return give_up(s, dir, mark, raw0, ctx);
			d->rh[d->rhlen++] = data[i++];
			if (d->rhlen < 5)
				continue;
			d->rtype = d->rh[0];
			d->rlen = (uint32_t)d->rh[3] << 8 | d->rh[4];
			d->rgot = 0;
			if (d->rtype < CT_CCS || d->rtype > CT_HEARTBEAT || d->rh[1] != 3 ||
			    d->rlen > TLS_RECORD_MAX ||
			    (!s->server_hello && !before_answer_ok(s, dir, d)))
				return give_up(s, dir, mark, raw0, ctx);
			if (d->rtype == CT_APPDATA && !d->ccs && s->server_hello) {
				s->done = true;
				return BH_NET_FEED_DONE; /* past what we can read */
			}
			if (d->rlen == 0)
				d->rhlen = 0;
			continue;
		}
		size_t k = d->rlen - d->rgot;

		if (k > len - i)
			k = len - i;
		if (cap && !hold(s, k))
			return give_up(s, dir, mark, raw0, ctx);
		if (d->rtype == CT_HANDSHAKE && !d->ccs) {
			enum bh_net_feed rc = handshake_bytes(s, dir, data + i, k, ctx);

			if (rc != BH_NET_FEED_MORE) {
				s->done = true;
				/* a hello that does not parse: from its (first) record */
				return rc == BH_NET_FEED_MALFORMED
					       ? give_up(s, dir, mark, raw0, ctx)
					       : rc;
			}
		} else if (d->rtype == CT_HEARTBEAT && !d->ccs) {
			for (size_t j = 0; j < k && d->rgot + j < 3; j++)
				d->hb[d->rgot + j] = data[i + j];
		}
		if (cap && (d->rtype == CT_APPDATA || d->rtype == CT_HEARTBEAT))
			emit_early(ctx, data + i, k);
		d->rgot += (uint32_t)k;
		i += k;
		if (d->rtype == CT_HEARTBEAT && !d->ccs && d->rgot >= 3 && d->rgot - k < 3) {
			uint32_t plen = (uint32_t)d->hb[1] << 8 | d->hb[2];

			if (d->hb[0] == 1) {
				if (d->rlen > d->hb_req_max)
					d->hb_req_max = d->rlen;
				if (3 + plen > d->rlen)
					emit_threat(ctx, dir, "BH-NET-TLS-HEARTBLEED",
						    "heartbeat request claims more payload than "
						    "its record");
			} else if (d->hb[0] == 2 && d->rlen > peer->hb_req_max) {
				emit_threat(ctx, dir, "BH-NET-TLS-HEARTBLEED",
					    "heartbeat response larger than the request");
			}
		}
		if (d->rgot == d->rlen) {
			if (d->rtype == CT_CCS && d->compat) {
				d->compat = false;
			} else if (d->rtype == CT_CCS) {
				d->ccs = true;
				if (peer->ccs && s->server_hello) {
					s->done = true;
					return BH_NET_FEED_DONE;
				}
			}
			d->rhlen = 0;
		}
	}
	if (cap)
		raw_keep(s, d, data, len);
	return BH_NET_FEED_MORE;
}

const struct bh_net_dissector bh_net_l7_tls = {
	.app = "tls",
	.l4 = BH_NET_L4_TCP,
	.ports = tls_ports,
	.state_size = sizeof(struct tls_state),
	.probe = tls_probe,
	.feed = tls_feed,
	.fini = tls_fini,
};
