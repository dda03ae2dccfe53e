/* SPDX-License-Identifier: Apache-2.0 */
/* The table of application-layer dissectors: see dissect.h. One row per
 * protocol, specific signatures before loose ones. */
#include <stddef.h>

#include "net/dissect.h"
#include "banned.h"

extern const struct bh_net_dissector bh_net_l7_http2, bh_net_l7_tls, bh_net_l7_ssh, bh_net_l7_mysql,
	bh_net_l7_postgresql, bh_net_l7_mongodb, bh_net_l7_kafka, bh_net_l7_redis, bh_net_l7_http,
	bh_net_l7_dns, bh_net_l7_smtp, bh_net_l7_ftp;

const struct bh_net_dissector *const bh_net_dissectors[] = {
	&bh_net_l7_http2,
	&bh_net_l7_tls,
	&bh_net_l7_ssh,
	&bh_net_l7_mysql,
	&bh_net_l7_postgresql,
	&bh_net_l7_mongodb,
	&bh_net_l7_kafka,
	&bh_net_l7_redis,
	&bh_net_l7_http,
	&bh_net_l7_dns,
	&bh_net_l7_smtp,
	&bh_net_l7_ftp,
	NULL,
};

bool net_l7_requests_only(const void *state, enum bh_net_dir dir)
{
	(void)state;
	return dir == BH_NET_TO_SERVER;
}
