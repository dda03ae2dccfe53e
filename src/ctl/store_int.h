/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the controller's store: what src/ctl/claim.c needs of store.c. */
#ifndef BULKHEAD_CTL_STORE_INT_H
#define BULKHEAD_CTL_STORE_INT_H

#include "bulkhead/ctl.h"

/* This process among the replicas sharing the store: "host/pid/random". */
const char *bh_ctl_store_holder(const struct bh_ctl_store *s);

/* PostgreSQL only: try to take (lock) or let go of the session advisory lock
 * key on a connection of the store's own, *got whether it did. */
int bh_ctl_store_advisory(struct bh_ctl_store *s, int64_t key, bool lock, bool *got,
			  struct bh_error **err);

#endif
