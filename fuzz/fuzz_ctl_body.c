/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller API's untrusted input (src/ctl/body.c): the first byte
 * chooses the body kind (login, user, token) or the query parser, the rest
 * is the body or query string. What is accepted must hold its invariants:
 * a valid name, a password within bounds, a role that exists, a ttl in range;
 * a query value NUL-terminated within its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	struct bh_ctl_body b;
	char v[32];
	unsigned sel;
	int rc;

	if (size < 1)
		return 0;
	sel = data[0] % 4;
	data++;
	size--;
	if (sel == 3) {
		static const char *const keys[] = { "name", "id", "actor", "since", "limit", "a" };

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			rc = bh_ctl_query_get((const char *)data, size, keys[i], v, sizeof(v),
					      &err);
			if (rc > 0 && strlen(v) >= sizeof(v))
				abort();
			if ((rc < 0) != (err != NULL))
				abort();
			bh_error_free(err);
			err = NULL;
		}
		return 0;
	}
	rc = bh_ctl_body_parse((const char *)data, size, (enum bh_ctl_body_kind)(sel + 1), &b,
			       &err);
	if (rc == 0) {
		if (b.name[0] && !bh_ctl_name_valid(b.name, strlen(b.name)))
			abort();
		if (strlen(b.password) > BH_CTL_PASSWORD_MAX)
			abort();
		if (sel + 1 == BH_CTL_BODY_USER && bh_ctl_role_parse(bh_ctl_role_name(b.role)) < 0)
			abort();
		if (b.ttl < 0 || b.ttl > BH_CTL_TOKEN_TTL_MAX)
			abort();
		if (sel + 1 != BH_CTL_BODY_TOKEN && !b.name[0])
			abort();
	} else if (!err || b.password[0]) {
		abort(); /* a failure says why, and leaves no password behind */
	}
	bh_error_free(err);
	return 0;
}
