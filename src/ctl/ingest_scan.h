/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A batch of events read in one pass (src/ctl/ingest_scan.c), without a
 * jansson tree: the fast path of bh_ctl_batch_parse. It takes only the
 * plain form of a batch and declines anything else, which the tree parse
 * (bh_ctl_batch_parse_tree, src/ctl/ingest_body.c) then reads and, when it
 * is wrong, says why.
 */
#ifndef BH_CTL_INGEST_SCAN_H
#define BH_CTL_INGEST_SCAN_H

#include "bulkhead/ctl.h"

/* 0: out holds the batch (ev[i].item NULL, ev[i].json set; everything in
 * out->text); 1: declined (out zeroed): valid or not, the tree parse decides. */
int bh_ctl_batch_scan(const char *buf, size_t len, struct bh_ctl_batch *out);
/* The tree parse alone (what bh_ctl_batch_parse does when the scan declines). */
int bh_ctl_batch_parse_tree(const char *buf, size_t len, struct bh_ctl_batch *out,
			    struct bh_error **err);

#endif
