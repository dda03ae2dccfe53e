/* SPDX-License-Identifier: Apache-2.0 */
/* The table of application-layer dissectors: see dissect.h. One row per
 * protocol, specific signatures before loose ones. */
#include <stddef.h>

#include "net/dissect.h"

const struct bh_net_dissector *const bh_net_dissectors[] = {
	NULL,
};
