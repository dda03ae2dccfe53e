/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pcap writer (bh_net_pcap_writer_*): the classic format with the
 * nanosecond magic (0xa1b23c4d) in our byte order, snaplen
 * BH_NET_PCAP_MAX_PACKET, one link type; records buffered WBUF bytes at a
 * time. Read back by our reader (src/net/pcap.c), tcpdump and tshark.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulkhead/net.h"
#include "banned.h"

#define WBUF (64 * 1024)

struct bh_net_pcap_writer {
	int fd;
	char *what;
	uint8_t *buf;
	size_t len;
	uint64_t size;
	int errnum; /* the first write error, 0 none */
};

static int wflush(struct bh_net_pcap_writer *w, struct bh_error **err)
{
	size_t off = 0;

	if (w->errnum)
		return bh_error_sys(err, w->errnum, "%s: write", w->what);
	while (off < w->len) {
		ssize_t k = write(w->fd, w->buf + off, w->len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			w->errnum = k < 0 ? errno : EIO;
			return bh_error_sys(err, w->errnum, "%s: write", w->what);
		}
		off += (size_t)k;
	}
	w->len = 0;
	return 0;
}

static int wadd(struct bh_net_pcap_writer *w, const void *p, size_t n, struct bh_error **err)
{
	while (n) {
		size_t take = WBUF - w->len < n ? WBUF - w->len : n;

		memcpy(w->buf + w->len, p, take);
		w->len += take;
		p = (const uint8_t *)p + take;
		n -= take;
		w->size += take;
		if (w->len == WBUF && wflush(w, err) < 0)
			return -1;
	}
	return 0;
}

int bh_net_pcap_writer_new(int fd, int linktype, const char *what, struct bh_net_pcap_writer **out,
			   struct bh_error **err)
{
	struct bh_net_pcap_writer *w;
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, linktype;
	} h = { 0xa1b23c4d, 2, 4, 0, 0, BH_NET_PCAP_MAX_PACKET, (uint32_t)linktype };

	*out = NULL;
	if (linktype < 0 || linktype > 0xffff) {
		close(fd);
		return bh_error_set(err, BH_ERR_USAGE, "%s: link type %d out of range",
				    what ? what : "pcap", linktype);
	}
	w = bh_calloc(1, sizeof(*w));
	w->fd = fd;
	w->what = bh_strdup(what ? what : "pcap");
	w->buf = bh_malloc(WBUF);
	if (wadd(w, &h, sizeof(h), err) < 0) {
		bh_net_pcap_writer_close(w, NULL);
		return -1;
	}
	*out = w;
	return 0;
}

int bh_net_pcap_write(struct bh_net_pcap_writer *w, const uint8_t *data, size_t caplen,
		      size_t origlen, double ts, struct bh_error **err)
{
	uint32_t rec[4];
	double sec;

	if (caplen > BH_NET_PCAP_MAX_PACKET)
		return bh_error_set(err, BH_ERR_USAGE, "%s: a packet of %zu bytes (max %d)",
				    w->what, caplen, BH_NET_PCAP_MAX_PACKET);
	if (origlen < caplen)
		origlen = caplen;
	if (origlen > UINT32_MAX)
		origlen = UINT32_MAX;
	if (!(ts >= 0) || ts > 4294967295.0)
		ts = 0;
	sec = floor(ts);
	rec[0] = (uint32_t)sec;
	rec[1] = (uint32_t)((ts - sec) * 1e9);
	if (rec[1] > 999999999)
		rec[1] = 999999999;
	rec[2] = (uint32_t)caplen;
	rec[3] = (uint32_t)origlen;
	if (wadd(w, rec, sizeof(rec), err) < 0 || wadd(w, data, caplen, err) < 0)
		return -1;
	return 0;
}

uint64_t bh_net_pcap_writer_size(const struct bh_net_pcap_writer *w)
{
	return w->size;
}

int bh_net_pcap_writer_close(struct bh_net_pcap_writer *w, struct bh_error **err)
{
	int rc = 0;

	if (!w)
		return 0;
	if (wflush(w, err) < 0)
		rc = -1;
	if (close(w->fd) < 0 && !rc && errno != EINTR)
		rc = bh_error_sys(err, errno, "%s: close", w->what);
	free(w->buf);
	free(w->what);
	free(w);
	return rc;
}
