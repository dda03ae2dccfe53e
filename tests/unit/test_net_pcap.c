/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The packet engine's pcap and pcapng reader on good and hostile files
 * (both byte orders, micro and nanosecond stamps, link types, truncation).
 */
#include <arpa/inet.h>

#include "unit.h"
#include "bulkhead/net.h"
#include "net/dissect.h"
#include "net/net_int.h"
#include "net_unit.h"
#include "banned.h"

/* ---- pcap and pcapng ---------------------------------------------------- */

static size_t put32(uint8_t *p, uint32_t v, bool swap)
{
	if (swap)
		v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
	return 4;
}

static size_t put16(uint8_t *p, uint16_t v, bool swap)
{
	if (swap)
		v = __builtin_bswap16(v);
	memcpy(p, &v, 2);
	return 2;
}

/* a pcap of n copies of (pkt, len) */
static size_t mk_pcap(uint8_t *f, bool swap, bool nano, uint32_t linktype, const uint8_t *pkt,
		      size_t len, int n)
{
	size_t o = 0;

	o += put32(f + o, nano ? 0xa1b23c4d : 0xa1b2c3d4, swap);
	o += put16(f + o, 2, swap);
	o += put16(f + o, 4, swap);
	o += put32(f + o, 0, swap);
	o += put32(f + o, 0, swap);
	o += put32(f + o, 65535, swap);
	o += put32(f + o, linktype, swap);
	for (int i = 0; i < n; i++) {
		o += put32(f + o, 100 + (uint32_t)i, swap);
		o += put32(f + o, nano ? 500000000 : 500000, swap);
		o += put32(f + o, (uint32_t)len, swap);
		o += put32(f + o, (uint32_t)len, swap);
		memcpy(f + o, pkt, len);
		o += len;
	}
	return o;
}

static int count_pkts(const uint8_t *f, size_t n, double *ts, int *lt, struct bh_error **err)
{
	struct bh_net_pcap *r = NULL;
	struct bh_net_pcap_pkt pkt;
	int k, c = 0;

	if (bh_net_pcap_open_mem(f, n, "t", &r, err) < 0)
		return -1;
	while ((k = bh_net_pcap_next(r, &pkt, err)) > 0) {
		if (ts)
			*ts = pkt.ts;
		if (lt)
			lt[c] = pkt.linktype;
		c++;
	}
	bh_net_pcap_free(r);
	return k < 0 ? -1 : c;
}

static void test_pcap(void **state)
{
	static uint8_t f[4096];
	struct bh_error *err = NULL;
	size_t l4 = udp_hdr(P + 20, 1, 2, "abc", 3), n = ip4(P, "1.1.1.1", "2.2.2.2", 17, 1, 0, l4);
	size_t fl;
	double ts = 0;

	for (int sw = 0; sw < 2; sw++)
		for (int nano = 0; nano < 2; nano++) {
			fl = mk_pcap(f, sw, nano, 101, P, n, 3);
			assert_int_equal(count_pkts(f, fl, &ts, NULL, NULL), 3);
			assert_true(ts > 102.49 && ts < 102.51);
		}
	/* hostile: wrong magic, short header, truncated record, huge length */
	fl = mk_pcap(f, false, false, 101, P, n, 2);
	assert_int_equal(count_pkts((const uint8_t *)"GIF89a...", 9, NULL, NULL, &err), -1);
	assert_error(err, BH_ERR_INVALID, "not a pcap or pcapng file");
	bh_error_clear(&err);
	assert_int_equal(count_pkts(f, 10, NULL, NULL, &err), -1);
	assert_error(err, BH_ERR_INVALID, "file header truncated");
	bh_error_clear(&err);
	assert_int_equal(count_pkts(f, fl - 5, NULL, NULL, &err), -1);
	assert_error(err, BH_ERR_INVALID, "truncated");
	bh_error_clear(&err);
	assert_int_equal(count_pkts(f, 24 + 16 + n + 7, NULL, NULL, &err), -1);
	assert_error(err, BH_ERR_INVALID, "record header at offset");
	bh_error_clear(&err);
	put32(f + 24 + 16 + n + 8, 0x7fffffff, false);
	assert_int_equal(count_pkts(f, fl, NULL, NULL, &err), -1);
	{
		char want[64];

		snprintf(want, sizeof(want), "record at offset %zu", 24 + 16 + n);
		assert_error(err, BH_ERR_LIMIT, want);
	}
	bh_error_clear(&err);
}

static size_t ng_block(uint8_t *f, bool sw, uint32_t type, const uint8_t *body, size_t blen)
{
	size_t pad = (blen + 3) & ~(size_t)3, o = 0;
	uint32_t len = (uint32_t)(12 + pad);

	o += put32(f + o, type, sw);
	o += put32(f + o, len, sw);
	memset(f + o, 0, pad);
	memcpy(f + o, body, blen);
	o += pad;
	o += put32(f + o, len, sw);
	return o;
}

static size_t mk_pcapng(uint8_t *f, bool sw, const uint8_t *pkt, size_t len)
{
	uint8_t b[512];
	size_t o = 0, k;

	/* SHB */
	k = 0;
	k += put32(b + k, 0x1a2b3c4d, sw);
	k += put16(b + k, 1, sw);
	k += put16(b + k, 0, sw);
	k += put32(b + k, 0xffffffff, sw);
	k += put32(b + k, 0xffffffff, sw);
	o += ng_block(f + o, sw, 0x0a0d0d0a, b, k);
	/* IDB 0: Ethernet, nanoseconds (if_tsresol 9); IDB 1: raw */
	k = 0;
	k += put16(b + k, 1, sw);
	k += put16(b + k, 0, sw);
	k += put32(b + k, 65535, sw);
	k += put16(b + k, 9, sw);
	k += put16(b + k, 1, sw);
	b[k] = 9;
	k += 4;
	k += put16(b + k, 0, sw);
	k += put16(b + k, 0, sw);
	o += ng_block(f + o, sw, 1, b, k);
	k = 0;
	k += put16(b + k, 101, sw);
	k += put16(b + k, 0, sw);
	k += put32(b + k, 65535, sw);
	o += ng_block(f + o, sw, 1, b, k);
	/* an NRB to skip */
	o += ng_block(f + o, sw, 4, (const uint8_t *)"\0\0\0\0", 4);
	/* EPB on interface 1 at 3.000000001 s */
	k = 0;
	k += put32(b + k, 1, sw);
	k += put32(b + k, 0, sw);
	k += put32(b + k, 3000001, sw);
	k += put32(b + k, (uint32_t)len, sw);
	k += put32(b + k, (uint32_t)len, sw);
	memcpy(b + k, pkt, len);
	k += len;
	o += ng_block(f + o, sw, 6, b, k);
	/* SPB (interface 0) */
	k = 0;
	k += put32(b + k, (uint32_t)len, sw);
	memcpy(b + k, pkt, len);
	k += len;
	o += ng_block(f + o, sw, 3, b, k);
	return o;
}

static void test_pcapng(void **state)
{
	static uint8_t f[4096];
	struct bh_error *err = NULL;
	size_t l4 = udp_hdr(P + 20, 1, 2, "abc", 3), n = ip4(P, "1.1.1.1", "2.2.2.2", 17, 1, 0, l4);
	size_t fl;
	int lt[4];
	double ts;

	for (int sw = 0; sw < 2; sw++) {
		fl = mk_pcapng(f, sw, P, n);
		assert_int_equal(count_pkts(f, fl, &ts, lt, NULL), 2);
		assert_int_equal(lt[0], 101);
		assert_int_equal(lt[1], 1);
	}
	fl = mk_pcapng(f, false, P, n);
	/* truncated anywhere after the section header: an error, never a crash */
	for (size_t k = 29; k < fl; k += 3) {
		int c = count_pkts(f, k, NULL, NULL, &err);

		assert_true(c >= 0 ? err == NULL : err != NULL);
		bh_error_clear(&err);
	}
	/* a block length not a multiple of 4, a huge one, a wrong trailer */
	{
		static uint8_t g[4096];
		size_t epb = 28 + 32 + 20 + 16; /* SHB + IDB0 (with an option) + IDB1 + NRB */

		memcpy(g, f, fl);
		put32(g + epb + 4, 0x7ffffff0, false);
		assert_int_equal(count_pkts(g, fl, NULL, NULL, &err), -1);
		assert_error(err, BH_ERR_INVALID, "block at offset 96");
		bh_error_clear(&err);
		memcpy(g, f, fl);
		put32(g + epb + 4, 61, false);
		assert_int_equal(count_pkts(g, fl, NULL, NULL, &err), -1);
		assert_error(err, BH_ERR_INVALID, "length 61");
		bh_error_clear(&err);
		memcpy(g, f, fl);
		g[fl - 1] ^= 0x40;
		assert_int_equal(count_pkts(g, fl, NULL, NULL, &err), -1);
		assert_error(err, BH_ERR_INVALID, "trailing length");
		bh_error_clear(&err);
		/* a packet on an interface never described */
		memcpy(g, f, fl);
		put32(g + epb + 8, 7, false);
		assert_int_equal(count_pkts(g, fl, NULL, NULL, &err), -1);
		assert_error(err, BH_ERR_INVALID, "interface 7 not described");
		bh_error_clear(&err);
		/* a captured length over the block */
		memcpy(g, f, fl);
		put32(g + epb + 8 + 12, 5000, false);
		assert_int_equal(count_pkts(g, fl, NULL, NULL, &err), -1);
		assert_error(err, BH_ERR_INVALID, "captured length 5000");
		bh_error_clear(&err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_pcap, setup),
		cmocka_unit_test_setup(test_pcapng, setup),
	};
	int rc = cmocka_run_group_tests_name("net pcap", tests, NULL, NULL);

	bh_buf_release(&fed[0]);
	bh_buf_release(&fed[1]);
	return rc;
}
