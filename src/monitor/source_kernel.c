// SPDX-License-Identifier: Apache-2.0
/*
 * TEMPORARY (branch wt-monitord only): the kernel event source is written
 * on another branch and replaces this file at merge. Until then the
 * monitor links against this and reports that the source is not built.
 */
#include "bulkhead/monitor.h"
#include "banned.h"

int bh_mon_source_kernel(const struct bh_mon_kernel_opts *o, struct bh_mon_source **out,
			 struct bh_error **err)
{
	*out = NULL;
	return bh_error_set(err, BH_ERR_UNSUPPORTED, "the kernel event source is not built");
}
