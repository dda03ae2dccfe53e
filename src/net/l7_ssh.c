/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SSH (RFC 4253): each side's identification line "SSH-protoversion-
 * softwareversion SP comments CR LF" (a server may send other lines before
 * it), then binary packets, the first of which is each side's KEXINIT.
 *
 * Records, per side: COMMAND with name the protocol version ("2.0",
 * "1.99", "1.5") and arg the software version and comments
 * ("OpenSSH_9.2p1 Debian-2+deb12u3"); then COMMAND "kexinit" with arg the
 * key exchange algorithms it offers (a prefix of SSH_KEEP bytes). Once both
 * sides sent their KEXINIT (or either sent its first packet unreadable)
 * inspection is DONE: the rest is encrypted.
 *
 * Bounds: a line is at most 255 bytes (the RFC's), at most SSH_PRELINES
 * lines before the server's identification, a packet at most 35000 bytes.
 * Threat: protocol 1 (a version "1.x" other than 1.99) offered by either
 * side (BH-NET-SSH-V1).
 */
#include <stdio.h>
#include <string.h>

#include "net/dissect.h"
#include "net/l7_line.h"
#include "banned.h"

#define SSH_LINE_MAX   255
#define SSH_PRELINES   16
#define SSH_PACKET_MAX 35000
#define SSH_KEEP       1024

struct ssh_dir {
	struct bh_net_line line;
	bool ident;   /* the identification line was seen */
	bool kexinit; /* the first packet was seen */
	uint8_t lines;
	uint8_t hdr[5];
	uint8_t hdr_have;
	uint32_t left, keep;
	uint8_t buf[SSH_KEEP];
};

struct ssh_state {
	struct ssh_dir d[2];
};

static const uint16_t ssh_ports[] = { 22, 2222, 0 };

static enum bh_net_probe ssh_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				   const uint8_t *buf, size_t len)
{
	static const char sig[] = "SSH-";
	size_t i;

	(void)flow;
	(void)dir;
	for (i = 0; i < 4 && i < len; i++)
		if (buf[i] != (uint8_t)sig[i])
			return BH_NET_PROBE_NO;
	if (len < 6)
		return BH_NET_PROBE_NEED_MORE;
	/* protoversion: digits and dots, then '-' */
	for (i = 4; i < len && i < 12; i++) {
		if (buf[i] == '-')
			return i > 4 ? BH_NET_PROBE_YES : BH_NET_PROBE_NO;
		if ((buf[i] < '0' || buf[i] > '9') && buf[i] != '.')
			return BH_NET_PROBE_NO;
	}
	return i == len ? BH_NET_PROBE_NEED_MORE : BH_NET_PROBE_NO;
}

static void emit_cmd(const struct bh_net_dissect_ctx *ctx, enum bh_net_dir dir, const char *name,
		     size_t nlen, const char *arg, size_t alen)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_COMMAND, .dir = dir, .app = "ssh" };

	r.u.command.name.p = name;
	r.u.command.name.len = nlen;
	r.u.command.arg.p = arg;
	r.u.command.arg.len = alen;
	ctx->emit(ctx->opaque, &r);
}

static enum bh_net_feed ident(struct ssh_dir *d, enum bh_net_dir dir,
			      const struct bh_net_dissect_ctx *ctx)
{
	const char *l = d->line.buf;
	size_t n = d->line.len;

	if (d->line.cut || n > SSH_LINE_MAX)
		return BH_NET_FEED_MALFORMED;
	if (n < 4 || memcmp(l, "SSH-", 4)) {
		/* only a server may say something first */
		if (dir == BH_NET_TO_SERVER || ++d->lines > SSH_PRELINES)
			return BH_NET_FEED_MALFORMED;
		return BH_NET_FEED_MORE;
	}
	const char *dash = memchr(l + 4, '-', n - 4);
	if (!dash || dash == l + 4)
		return BH_NET_FEED_MALFORMED;
	size_t vl = (size_t)(dash - (l + 4));
	emit_cmd(ctx, dir, l + 4, vl, dash + 1, n - 4 - vl - 1);
	if (l[4] == '1' && !(vl == 4 && !memcmp(l + 4, "1.99", 4))) {
		struct bh_net_rec r = { .kind = BH_NET_REC_THREAT, .dir = dir, .app = "ssh" };
		r.u.threat.id = "BH-NET-SSH-V1";
		r.u.threat.detail.p = l;
		r.u.threat.detail.len = 4 + vl;
		ctx->emit(ctx->opaque, &r);
	}
	d->ident = true;
	return BH_NET_FEED_MORE;
}

/* The first binary packet: KEXINIT's kex_algorithms name-list. */
static void kexinit(struct ssh_dir *d, enum bh_net_dir dir, const struct bh_net_dissect_ctx *ctx)
{
	const uint8_t *p = d->buf;
	size_t n = d->keep;

	d->kexinit = true;
	/* payload: byte 20, cookie[16], uint32 length, names */
	if (n < 21 || p[0] != 20)
		return;
	if (n < 21 + 4) {
		emit_cmd(ctx, dir, "kexinit", 7, NULL, 0);
		return;
	}
	size_t l = bh_net_be32(p + 17);
	if (l > n - 21)
		l = n - 21; /* a prefix: the list was longer than what is kept */
	emit_cmd(ctx, dir, "kexinit", 7, (const char *)p + 21, l);
}

static enum bh_net_feed ssh_feed(void *state, enum bh_net_dir dir, const uint8_t *data, size_t len,
				 const struct bh_net_dissect_ctx *ctx)
{
	struct ssh_state *s = state;
	struct ssh_dir *d = &s->d[dir];
	size_t off = 0, used, mark = 0; /* mark: where the line or packet in progress began */
	/* the line's or packet header's bytes from earlier chunks */
	size_t held0 = d->ident ? d->hdr_have : d->line.resync ? 0 : d->line.len;

	if (!data)
		return BH_NET_FEED_DONE;
	while (off < len && !d->kexinit) {
		if ((!d->ident && !d->line.len) || (d->ident && !d->hdr_have))
			mark = off;
		if (!d->ident) {
			bool done = bh_net_line_take(&d->line, data + off, len - off, &used);
			off += used;
			if (!done) {
				if (d->line.len > SSH_LINE_MAX)
					return bh_net_line_gave_up(ctx, &d->line, mark, held0);
				continue;
			}
			enum bh_net_feed f = ident(d, dir, ctx);
			bh_net_line_reset(&d->line);
			if (f == BH_NET_FEED_MALFORMED)
				return bh_net_line_gave_up(ctx, &d->line, mark, held0);
			if (f != BH_NET_FEED_MORE)
				return f;
			continue;
		}
		if (d->hdr_have < 5) {
			d->hdr[d->hdr_have++] = data[off++];
			if (d->hdr_have < 5)
				continue;
			uint32_t pl = bh_net_be32(d->hdr);
			if (pl < 5 || pl > SSH_PACKET_MAX || d->hdr[4] >= pl)
				return !mark && held0 ? bh_net_feed_gave_up_held(ctx, d->hdr, held0)
						      : bh_net_feed_gave_up(ctx, mark);
			d->left = pl - 1; /* padding_length counted already */
			d->keep = 0;
			continue;
		}
		size_t n = len - off < d->left ? len - off : d->left, k = n;
		if (k > SSH_KEEP - d->keep)
			k = SSH_KEEP - d->keep;
		memcpy(d->buf + d->keep, data + off, k);
		d->keep += (uint32_t)k;
		d->left -= (uint32_t)n;
		off += n;
		if (!d->left)
			kexinit(d, dir, ctx);
	}
	return s->d[0].kexinit && s->d[1].kexinit ? BH_NET_FEED_DONE : BH_NET_FEED_MORE;
}

const struct bh_net_dissector bh_net_l7_ssh = {
	.app = "ssh",
	.l4 = BH_NET_L4_TCP,
	.ports = ssh_ports,
	.state_size = sizeof(struct ssh_state),
	.probe = ssh_probe,
	.feed = ssh_feed,
};
