/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A suppression as a request body (src/ctl/suppress.c). What is accepted
 * must hold its invariants: an id of [A-Za-z0-9._:-], a reason without
 * control bytes, a ttl in range, a digest empty or canonical.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	struct bh_ctl_suppress s;
	struct bh_digest d;

	if (bh_ctl_suppress_parse((const char *)data, size, &s, &err) < 0) {
		if (!err)
			abort(); /* a failure says why */
		bh_error_free(err);
		return 0;
	}
	if (!s.vuln_id[0] ||
	    strspn(s.vuln_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			      "0123456789._:-") != strlen(s.vuln_id))
		abort();
	if (!s.reason[0] || s.ttl < 1 || s.ttl > BH_CTL_TOKEN_TTL_MAX)
		abort();
	for (const char *p = s.reason; *p; p++)
		if ((unsigned char)*p < 0x20)
			abort();
	if (s.digest[0] && (bh_digest_parse(s.digest, &d, NULL) < 0 || strcmp(d.str, s.digest)))
		abort();
	return 0;
}
