/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the parser of /etc/passwd and /etc/group that names the users of
 * monitor events (src/monitor/users.c): a container's files are its own.
 * Every id kept must be found again, every name kept printable and short.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_users_tab t;

	bh_users_parse((const char *)data, size, &t);
	for (size_t i = 0; i < t.n; i++) {
		size_t n = strlen(t.v[i].name);

		if (n == 0 || n >= BH_MON_USER_MAX || bh_users_find(&t, t.v[i].id) == NULL ||
		    (i && t.v[i - 1].id >= t.v[i].id))
			abort();
	}
	bh_users_tab_release(&t);
	return 0;
}
