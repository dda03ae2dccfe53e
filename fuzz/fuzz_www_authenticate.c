/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the parsers of a registry's response headers: WWW-Authenticate
 * challenges (every challenge has a lower-case scheme; parameters are
 * NUL-free strings) and the Link header's "next" URL (no spaces or control
 * bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_registry_challenge *c;
	size_t n;
	char *next;

	if (bh_registry_challenges_parse((const char *)data, size, &c, &n, NULL) >= 0) {
		if (n == 0 || n > 8)
			abort();
		for (size_t i = 0; i < n; i++) {
			for (const char *p = c[i].scheme; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					abort();
			if (c[i].realm && strlen(c[i].realm) > size)
				abort();
		}
		bh_registry_challenges_free(c, n);
	}
	next = bh_registry_link_next((const char *)data, size);
	if (next) {
		for (const char *p = next; *p; p++)
			if ((unsigned char)*p <= ' ')
				abort();
		free(next);
	}
	return 0;
}
