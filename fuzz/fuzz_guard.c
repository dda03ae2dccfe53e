/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the guard's parsers: the first byte picks a mountinfo text (whose mount
 * points a container chooses) or a network rule (a command line's, a policy
 * file's), which is then printed back and parsed again: the round trip must
 * give the same rule.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(const struct bh_guard_mount *m, void *arg)
{
	size_t *n = arg;

	/* every string is terminated and readable */
	*n += strlen(m->point) + strlen(m->fstype) + (m->upperdir ? strlen(m->upperdir) : 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	size_t n = 0;

	if (!size)
		return 0;
	if (data[0] % 2 == 0) {
		/* a heap copy of exactly the bytes: an over-read is caught */
		char *p = malloc(size - 1 ? size - 1 : 1);

		memcpy(p, data + 1, size - 1);
		bh_guard_parse_mountinfo(p, size - 1, count, &n, &err);
		free(p);
	} else {
		struct bh_guard_net_rule r, r2;
		char *s = malloc(size), buf[64];

		memcpy(s, data + 1, size - 1);
		s[size - 1] = 0;
		if (bh_guard_net_parse_rule(s, &r, &err) == 0) {
			struct bh_error *e2 = NULL;

			bh_guard_net_rule_str(&r, buf);
			if (bh_guard_net_parse_rule(buf, &r2, &e2) < 0 ||
			    memcmp(&r, &r2, sizeof(r)))
				abort();
		}
		free(s);
	}
	bh_error_free(err);
	return 0;
}
