/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the packet path: the decoder, IP fragment reassembly, the flow table
 * and TCP reassembly, with a small dissector (YES on "GET ", feeds and
 * emits; "E" and three bytes at the end of a piece announce a related flow,
 * as FTP's PORT and 227 do; a "!" gives up just past it, "!!" on the whole
 * piece, a "!" first in a piece hands back the previous piece's last
 * bytes as held, which the engine scans and SQL-checks; a second one, YES on
 * "PUT ", takes what is probed anew, and two more named "http" and
 * "postgresql" (YES on "HTP " and "SQL ") so the held bytes reach those
 * protocols' SQL injection checks) so identification, feeding, give-ups
 * inside a piece, gaps, expectations and fini run too. Input: a
 * sequence of packets, each [link type selector][time step][len hi][len lo]
 * and len bytes; bounds are small so eviction and give-ups happen.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/net.h"
#include "net/dissect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HOLD 256

struct st {
	size_t bytes;
	int fini;
	size_t hold_len;
	uint8_t hold[HOLD]; /* the previous piece's last bytes */
};

static enum bh_net_probe probe(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
			       const uint8_t *buf, size_t len)
{
	if (len < 4)
		return len && buf[0] != 'G' ? BH_NET_PROBE_NO : BH_NET_PROBE_NEED_MORE;
	if (!memcmp(buf, "GET ", 4))
		return BH_NET_PROBE_YES;
	if (!memcmp(buf, "PUT ", 4))
		return BH_NET_PROBE_NO;
	return buf[0] == 'M' ? BH_NET_PROBE_MAYBE : BH_NET_PROBE_NO;
}

static enum bh_net_feed feed(void *state, enum bh_net_dir dir, const uint8_t *data, size_t len,
			     const struct bh_net_dissect_ctx *ctx)
{
	struct st *s = state;
	struct bh_net_rec r = { .kind = BH_NET_REC_HTTP_REQUEST, .dir = dir, .app = "fz" };

	if (s->fini)
		abort(); /* fed after fini */
	if (data) {
		volatile uint8_t x = 0;

		for (size_t i = 0; i < len; i++)
			x ^= data[i];
		(void)x;
		r.u.http.host.p = (const char *)data;
		r.u.http.host.len = len;
		ctx->emit(ctx->opaque, &r);
		/* "E" c p p at the end: an announced related flow (the FTP
		 * dissector's EXPECT), of the flow's server (c even: a 227) or
		 * client (c odd: a PORT), or of a third host (c & 2) */
		if (len >= 4 && data[len - 4] == 'E' && ctx->flow) {
			struct bh_net_rec ex = { .kind = BH_NET_REC_EXPECT, .app = "fz" };
			uint8_t c = data[len - 3];

			ex.dir = c & 1 ? BH_NET_TO_SERVER : BH_NET_TO_CLIENT;
			memcpy(ex.u.expect.addr,
			       c & 1 ? ctx->flow->client_addr : ctx->flow->server_addr, 16);
			if (c & 2)
				ex.u.expect.addr[15] ^= 1;
			ex.u.expect.port = (uint16_t)(data[len - 2] << 8 | data[len - 1]);
			ex.u.expect.app = "fz-data";
			ctx->emit(ctx->opaque, &ex);
		}
		if (len && data[0] == 'T') {
			r.kind = BH_NET_REC_THREAT;
			r.u.threat.id = len > 1 ? "BH-NET-SYN-FLOOD" : "BH-NET-NO-SUCH";
			ctx->emit(ctx->opaque, &r);
		}
	}
	s->bytes += len;
	if (data) {
		const uint8_t *bang = memchr(data, '!', len);

		if (bang == data && s->hold_len)
			return bh_net_feed_gave_up_held(ctx, s->hold, s->hold_len);
		s->hold_len = len < HOLD ? len : HOLD;
		memcpy(s->hold, data + len - s->hold_len, s->hold_len);
		if (bang) {
			size_t k = (size_t)(bang - data);

			if (k + 1 < len && bang[1] == '!')
				return BH_NET_FEED_MALFORMED; /* not said: the whole piece */
			return bh_net_feed_gave_up(ctx, k + 1);
		}
	}
	return s->bytes > 100000 ? BH_NET_FEED_DONE : BH_NET_FEED_MORE;
}

static enum bh_net_probe probe_put(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				   const uint8_t *buf, size_t len)
{
	if (len < 4)
		return len && buf[0] != 'P' ? BH_NET_PROBE_NO : BH_NET_PROBE_NEED_MORE;
	return !memcmp(buf, "PUT ", 4) ? BH_NET_PROBE_YES : BH_NET_PROBE_NO;
}

static enum bh_net_probe probe_word(const char *w, const uint8_t *buf, size_t len)
{
	size_t n = len < 4 ? len : 4;

	if (memcmp(buf, w, n))
		return BH_NET_PROBE_NO;
	return len < 4 ? BH_NET_PROBE_NEED_MORE : BH_NET_PROBE_YES;
}

static enum bh_net_probe probe_htp(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				   const uint8_t *buf, size_t len)
{
	return probe_word("HTP ", buf, len);
}

static enum bh_net_probe probe_sql(const struct bh_net_flow_info *flow, enum bh_net_dir dir,
				   const uint8_t *buf, size_t len)
{
	return probe_word("SQL ", buf, len);
}

static void fini(void *state)
{
	struct st *s = state;

	if (s->fini++)
		abort(); /* twice */
}

static const uint16_t ports[] = { 80, 53, 0 };
static const struct bh_net_dissector fz = {
	"fz", BH_NET_L4_TCP | BH_NET_L4_UDP, ports, sizeof(struct st), probe, feed,
	fini, net_l7_requests_only,
};
static const struct bh_net_dissector fz_put = {
	"fz-put", BH_NET_L4_TCP, NULL, sizeof(struct st), probe_put, feed, fini, NULL,
};
static const struct bh_net_dissector fz_http = {
	"http", BH_NET_L4_TCP, NULL, sizeof(struct st), probe_htp, feed, fini, NULL,
};
static const struct bh_net_dissector fz_sql = {
	"postgresql", BH_NET_L4_TCP, NULL, sizeof(struct st), probe_sql, feed, fini, NULL,
};
static const struct bh_net_dissector *const table[] = { &fz, &fz_put, &fz_http, &fz_sql, NULL };

static const int links[] = { BH_NET_LINK_RAW,  BH_NET_LINK_ETHERNET, BH_NET_LINK_SLL,
			     BH_NET_LINK_SLL2, BH_NET_LINK_NULL,     BH_NET_LINK_LOOP,
			     BH_NET_LINK_IPV4, BH_NET_LINK_IPV6 };

static void on_flow(const struct bh_net_flow_record *r, void *arg)
{
	json_t *j = bh_net_flow_to_json(r);

	*(size_t *)arg += json_object_size(j);
	json_decref(j);
}

/* issue 16: the alerts as they happen, their JSON too */
static void on_alert(const struct bh_net_flow_record *r, const struct bh_net_alert *a, void *arg)
{
	json_t *j = bh_net_alert_to_json(r, a);

	*(size_t *)arg += json_object_size(j);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_net_opts o = {
		.max_flows = 8,
		.max_ooo_bytes = 2048,
		.max_ooo_segments = 8,
		.max_frag_datagrams = 4,
		.max_frag_bytes = 8192,
		.max_frags_per_datagram = 8,
		.gap_timeout = 2,
		.syn_rate = 3,
		.udp_rate = 3,
		.icmp_rate = 3,
		.conn_rate = 3,
		.dissectors = table,
	};
	struct bh_net_engine *e = NULL;
	size_t n = 0;
	double ts = 1;

	o.on_flow = on_flow;
	o.on_alert = on_alert;
	o.arg = &n;
	if (bh_net_engine_new(&o, &e, NULL) < 0)
		return 0;
	while (size >= 4) {
		int link = links[data[0] % 8];
		size_t len = (size_t)data[2] << 8 | data[3];
		uint8_t *p;

		ts += data[1] / 16.0;
		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		p = malloc(len ? len : 1);
		memcpy(p, data, len);
		bh_net_engine_packet(e, p, len, link, ts, NULL);
		free(p);
		data += len;
		size -= len;
	}
	bh_net_engine_flush(e);
	bh_net_engine_free(e);
	return 0;
}
