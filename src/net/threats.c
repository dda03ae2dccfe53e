/* SPDX-License-Identifier: Apache-2.0 */
/* The network threat catalogue: see threats.h. Rows sorted by ID. */
#include <string.h>

#include "net/threats.h"

const struct bh_net_threat_def bh_net_threats[] = {
	{ NULL, NULL, 0, NULL },
};

const struct bh_net_threat_def *bh_net_threat_find(const char *id)
{
	for (const struct bh_net_threat_def *t = bh_net_threats; t->id; t++)
		if (strcmp(t->id, id) == 0)
			return t;
	return NULL;
}
