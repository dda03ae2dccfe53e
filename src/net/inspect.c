/* SPDX-License-Identifier: Apache-2.0 */
/* bh_net_inspect_pcap: a capture file through a new engine. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "bulkhead/net.h"
#include "banned.h"

int bh_net_inspect_pcap(const char *path, const struct bh_net_opts *opts,
			struct bh_net_stats *stats, struct bh_error **err)
{
	struct bh_net_engine *e = NULL;
	struct bh_net_pcap *r = NULL;
	struct bh_net_pcap_pkt pkt;
	int fd, rc = -1, k;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bh_error_sys(err, errno, "open %s", path);
	if (bh_net_pcap_open_fd(fd, path, &r, err) < 0 || bh_net_engine_new(opts, &e, err) < 0)
		goto out;
	while ((k = bh_net_pcap_next(r, &pkt, err)) > 0)
		bh_net_engine_packet(e, pkt.data, pkt.caplen, pkt.linktype, pkt.ts, NULL);
	/* the flows read before a broken record are reported too */
	bh_net_engine_flush(e);
	if (k == 0)
		rc = 0;
out:
	if (e && stats)
		bh_net_engine_stats(e, stats);
	bh_net_engine_free(e);
	bh_net_pcap_free(r);
	close(fd);
	return rc;
}
