/* SPDX-License-Identifier: Apache-2.0 */
/* What the profile files share (internal prefix `prof_`). */
#ifndef BULKHEAD_PROFILE_INTERNAL_H
#define BULKHEAD_PROFILE_INTERNAL_H

#include "bulkhead/profile.h"

/* Sort each architecture's names (architecture → array), so that a profile
 * reads and diffs stably. */
void prof_sort_names(json_t *syscalls);

#endif
