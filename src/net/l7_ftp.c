/* SPDX-License-Identifier: Apache-2.0 */
/*
 * FTP control connection (RFC 959, 2428 for EPRT/EPSV, 4217 for AUTH TLS).
 * The server speaks first (220).
 *
 * Records: COMMAND "greeting" (dir TO_CLIENT, arg the first 220 line's
 * text); each client command: COMMAND with name the verb upper-cased and
 * arg the rest of the line (PASS and ACCT: no arg, never the secret);
 * EXPECT for each data channel announced, app "ftp-data": PORT and EPRT
 * (dir TO_SERVER: the server will connect to that address and port), the
 * 227 reply to PASV (the address and port in the reply) and the 229 reply
 * to EPSV (the flow's server address, the port in the reply).
 *
 * AUTH TLS/SSL answered 234 ends inspection (DONE), as does a gap: on the
 * server's answer only, that command's own: replies answer the client's
 * lines in order (every line, a blank one too), 1xx being preliminary, and a
 * multi-line reply ends only on its own code ("234 " inside it is text). A TLS record from a client
 * that did not wait for the answer is given up on from its first byte (identified anew: the TLS
 * dissector ends inspection only on a ServerHello).
 *
 * Threat: FTP bounce (BH-NET-FTP-BOUNCE): PORT or EPRT naming an address
 * other than the client's own, so that the server connects to a third host.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "net/dissect.h"
#include "net/l7_line.h"
#include "banned.h"

struct ftp_state {
	struct bh_net_line cl, sl;
	bool greeted;
	/* replies answer commands in order: the numbers of the commands sent
	 * and answered (final replies, not 1xx), and of a pending AUTH TLS */
	uint32_t sent, answered, auth_at;
	int ml_code; /* in a multi-line reply of this code ("code-"), else 0 */
};

static const uint16_t ftp_ports[] = { 21, 2121, 0 };

static bool line_has(const uint8_t *buf, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len && buf[i] != '\n'; i++)
		if (bh_net_prefix_ci((const char *)buf + i, len - i, needle))
			return true;
	return false;
}

static enum bh_net_probe ftp_probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				   const uint8_t *buf, size_t len)
{
	const char *s = (const char *)buf;

	(void)flow;
	if (len < 5)
		return BH_NET_PROBE_NEED_MORE;
	if (dir == BH_NET_TO_CLIENT) {
		if ((memcmp(s, "220", 3) && memcmp(s, "120", 3) && memcmp(s, "421", 3)) ||
		    (s[3] != ' ' && s[3] != '-'))
			return BH_NET_PROBE_NO;
		if (line_has(buf, len, "SMTP"))
			return BH_NET_PROBE_NO;
		if (line_has(buf, len, "FTP"))
			return BH_NET_PROBE_YES;
		return memchr(buf, '\n', len) ? BH_NET_PROBE_MAYBE : BH_NET_PROBE_NEED_MORE;
	}
	if (bh_net_word_is(s, len, "USER") || bh_net_prefix_ci(s, len, "AUTH TLS") ||
	    bh_net_prefix_ci(s, len, "AUTH SSL"))
		return BH_NET_PROBE_YES;
	if (bh_net_word_is(s, len, "FEAT") || bh_net_word_is(s, len, "SYST") ||
	    bh_net_word_is(s, len, "OPTS"))
		return BH_NET_PROBE_MAYBE;
	return BH_NET_PROBE_NO;
}

static void emit_cmd(const struct bh_net_dissect_ctx *ctx, enum bh_net_dir dir, const char *name,
		     size_t nlen, const char *arg, size_t alen)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_COMMAND, .dir = dir, .app = "ftp" };

	r.u.command.name.p = name;
	r.u.command.name.len = nlen;
	r.u.command.arg.p = arg;
	r.u.command.arg.len = alen;
	ctx->emit(ctx->opaque, &r);
}

static void emit_expect(const struct bh_net_dissect_ctx *ctx, enum bh_net_dir dir,
			const uint8_t addr[16], unsigned port)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_EXPECT, .dir = dir, .app = "ftp" };

	memcpy(r.u.expect.addr, addr, 16);
	r.u.expect.port = (uint16_t)port;
	r.u.expect.app = "ftp-data";
	ctx->emit(ctx->opaque, &r);
}

/* A decimal number at *p of at most max; advances *p. */
static bool num(const char **p, const char *end, unsigned max, unsigned *v)
{
	const char *s = *p;

	*v = 0;
	while (*p < end && **p >= '0' && **p <= '9' && *p - s < 6)
		*v = *v * 10 + (unsigned)(*(*p)++ - '0');
	return *p > s && *v <= max;
}

/* "h1,h2,h3,h4,p1,p2" somewhere in (p, n): the first run of six numbers. */
static bool six(const char *p, size_t n, uint8_t addr[16], unsigned *port)
{
	const char *end = p + n;

	for (const char *s = p; s < end; s++) {
		const char *q = s;
		unsigned v[6];
		int i;
		if (*s < '0' || *s > '9' || (s > p && s[-1] >= '0' && s[-1] <= '9'))
			continue;
		for (i = 0; i < 6; i++) {
			if (!num(&q, end, 255, &v[i]))
				break;
			if (i < 5 && (q == end || *q++ != ','))
				break;
		}
		if (i < 6)
			continue;
		memset(addr, 0, 16);
		addr[10] = addr[11] = 0xff;
		for (i = 0; i < 4; i++)
			addr[12 + i] = (uint8_t)v[i];
		*port = v[4] * 256 + v[5];
		return true;
	}
	return false;
}

/* An IPv4 dotted quad or an IPv6 address as text, into 16 bytes. */
static bool inet(const char *s, size_t n, bool v6, uint8_t addr[16])
{
	char tmp[INET6_ADDRSTRLEN];

	if (!n || n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	memset(addr, 0, 16);
	if (v6)
		return inet_pton(AF_INET6, tmp, addr) == 1;
	addr[10] = addr[11] = 0xff;
	return inet_pton(AF_INET, tmp, addr + 12) == 1;
}

/* EPRT |1|132.235.1.2|6275| (any delimiter); EPSV's 229 reply: (|||6446|). */
static bool extended(const char *p, size_t n, bool need_addr, uint8_t addr[16], unsigned *port)
{
	const char *end = p + n, *f[4];
	int k = 0;

	if (n < 5)
		return false;
	char d = p[0];
	if (d < 33 || d > 126)
		return false;
	for (const char *q = p; q < end && k < 4; q++)
		if (*q == d)
			f[k++] = q;
	if (k < 4)
		return false;
	const char *q = f[2] + 1;
	if (!num(&q, f[3], 65535, port) || q != f[3] || !*port)
		return false;
	if (!need_addr)
		return true;
	if (f[1] - f[0] != 2 || (f[0][1] != '1' && f[0][1] != '2'))
		return false;
	return inet(f[1] + 1, (size_t)(f[2] - f[1] - 1), f[0][1] == '2', addr);
}

static void bounce_check(const struct bh_net_dissect_ctx *ctx, const uint8_t addr[16],
			 const char *l, size_t n)
{
	struct bh_net_rec r = { .kind = BH_NET_REC_THREAT, .dir = BH_NET_TO_SERVER, .app = "ftp" };

	if (!ctx->flow || !memcmp(addr, ctx->flow->client_addr, 16))
		return;
	r.u.threat.id = "BH-NET-FTP-BOUNCE";
	r.u.threat.detail.p = l;
	r.u.threat.detail.len = n > 80 ? 80 : n;
	ctx->emit(ctx->opaque, &r);
}

static enum bh_net_feed client_line(struct ftp_state *s, const struct bh_net_dissect_ctx *ctx)
{
	char *l = s->cl.buf, verb[16];
	size_t n = s->cl.len, v = 0;
	uint8_t addr[16];
	unsigned port;

	/* every line is answered (a blank one with 500), so every line
	 * counts; a server may skip the spaces before the verb */
	while (n && (*l == ' ' || *l == '\t'))
		l++, n--;
	while (v < n && l[v] != ' ') {
		if (v == sizeof(verb) || l[v] < 0x21 || l[v] > 0x7e)
			return BH_NET_FEED_MALFORMED;
		verb[v] = l[v] >= 'a' && l[v] <= 'z' ? (char)(l[v] - 32) : l[v];
		v++;
	}
	s->sent++;
	if (!v)
		return BH_NET_FEED_MORE;
	const char *arg = v < n ? l + v + 1 : NULL;
	size_t alen = v < n ? n - v - 1 : 0;
	if (v == 4 && (!memcmp(verb, "PASS", 4) || !memcmp(verb, "ACCT", 4))) {
		arg = NULL;
		alen = 0;
	}
	emit_cmd(ctx, BH_NET_TO_SERVER, verb, v, arg, alen);
	if (v == 4 && !memcmp(verb, "AUTH", 4)) {
		if (arg && (bh_net_word_is(arg, alen, "TLS") || bh_net_word_is(arg, alen, "SSL") ||
			    bh_net_word_is(arg, alen, "TLS-C")))
			s->auth_at = s->sent;
	} else if (v == 4 && !memcmp(verb, "PORT", 4) && arg && six(arg, alen, addr, &port)) {
		emit_expect(ctx, BH_NET_TO_SERVER, addr, port);
		bounce_check(ctx, addr, l, n);
	} else if (v == 4 && !memcmp(verb, "EPRT", 4) && arg &&
		   extended(arg, alen, true, addr, &port)) {
		emit_expect(ctx, BH_NET_TO_SERVER, addr, port);
		bounce_check(ctx, addr, l, n);
	}
	return BH_NET_FEED_MORE;
}

static enum bh_net_feed server_line(struct ftp_state *s, const struct bh_net_dissect_ctx *ctx)
{
	const char *l = s->sl.buf;
	size_t n = s->sl.len;
	uint8_t addr[16];
	unsigned port;
	int code = -1;

	if (n >= 3 && l[0] >= '1' && l[0] <= '6' && l[1] >= '0' && l[1] <= '9' && l[2] >= '0' &&
	    l[2] <= '9' && (n == 3 || l[3] == ' ' || l[3] == '-'))
		code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
	/* a multi-line reply ends on a line of its own code and a space
	 * (RFC 959 4.2); its inner lines may hold anything ("234 ") */
	if (s->ml_code) {
		if (code != s->ml_code || (n > 3 && l[3] != ' '))
			return BH_NET_FEED_MORE;
		s->ml_code = 0;
	} else {
		if (code < 0)
			return s->greeted ? BH_NET_FEED_MORE : BH_NET_FEED_MALFORMED;
		if (!s->greeted && code == 220)
			emit_cmd(ctx, BH_NET_TO_CLIENT, "greeting", 8, n > 4 ? l + 4 : NULL,
				 n > 4 ? n - 4 : 0);
		if (n > 3 && l[3] == '-') {
			s->ml_code = code;
			return BH_NET_FEED_MORE;
		}
	}
	/* 1xx is preliminary: the same command's final reply follows */
	if (code < 200)
		return BH_NET_FEED_MORE;
	if (!s->greeted) {
		s->greeted = true;
		return BH_NET_FEED_MORE;
	}
	uint32_t k = ++s->answered;
	if (k == s->auth_at) {
		s->auth_at = 0;
		if (code == 234)
			return BH_NET_FEED_DONE;
	}
	if (code == 227 && six(l + 3, n - 3, addr, &port)) {
		emit_expect(ctx, BH_NET_TO_CLIENT, addr, port);
	} else if (code == 229 && ctx->flow) {
		const char *o = memchr(l, '(', n);
		if (o && extended(o + 1, n - (size_t)(o + 1 - l), false, addr, &port))
			emit_expect(ctx, BH_NET_TO_CLIENT, ctx->flow->server_addr, port);
	}
	return BH_NET_FEED_MORE;
}

static enum bh_net_feed ftp_feed(void *state, enum bh_net_dir dir, const uint8_t *data, size_t len,
				 const struct bh_net_dissect_ctx *ctx)
{
	struct ftp_state *s = state;
	struct bh_net_line *l = dir == BH_NET_TO_SERVER ? &s->cl : &s->sl;
	size_t off = 0, used, mark = 0;	       /* mark: where the line in progress began */
	size_t held0 = l->resync ? 0 : l->len; /* its bytes from earlier chunks */

	if (!data)
		return BH_NET_FEED_DONE;
	while (off < len) {
		if (dir == BH_NET_TO_SERVER && s->auth_at && !l->len && data[off] == 0x16)
			/* a ClientHello that did not wait for 234: inspection
			 * ends on the server's word only; identified anew
			 * from here (TLS, which waits for a ServerHello) */
			return bh_net_feed_gave_up(ctx, off);
		if (!l->len)
			mark = off;
		if (!bh_net_line_take(l, data + off, len - off, &used)) {
			off += used;
			/* a client's line that cannot hold a command: no need to
			 * wait for its end */
			if (dir == BH_NET_TO_SERVER && !l->resync && bh_net_line_verb_bad(l))
				return bh_net_line_gave_up(ctx, l, mark, held0);
			continue;
		}
		off += used;
		enum bh_net_feed f =
			dir == BH_NET_TO_SERVER ? client_line(s, ctx) : server_line(s, ctx);
		bh_net_line_reset(l);
		if (f == BH_NET_FEED_MALFORMED)
			return bh_net_line_gave_up(ctx, l, mark, held0); /* the line it rejected */
		if (f != BH_NET_FEED_MORE)
			return f;
	}
	return BH_NET_FEED_MORE;
}

const struct bh_net_dissector bh_net_l7_ftp = {
	.app = "ftp",
	.l4 = BH_NET_L4_TCP,
	.ports = ftp_ports,
	.state_size = sizeof(struct ftp_state),
	.probe = ftp_probe,
	.feed = ftp_feed,
};
