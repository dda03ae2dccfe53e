/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The action bodies (src/ctl/actions.c): POST /api/v1/quarantine and
 * /release, /api/v1/workloads/mode, and an agent's result. The first byte
 * picks the parser. What is accepted holds its invariants: a valid node
 * name, a container reference of [A-Za-z0-9._-], no control bytes, a known
 * control and mode, a positive id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/ctl_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	struct bh_ctl_action_req r;
	struct bh_ctl_action_result res;
	struct bh_ctl_mode_req m;
	const char *buf = (const char *)data + 1;
	int rc;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		rc = bh_ctl_action_req_parse(buf, size - 1, &r, &err);
		if (rc == 0) {
			if (!bh_ctl_name_valid(r.node, strlen(r.node)) || !r.container[0] ||
			    strspn(r.container,
				   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789._-") != strlen(r.container))
				abort();
			no_ctl(r.reason);
		}
		break;
	case 1:
		rc = bh_ctl_action_result_parse(buf, size - 1, &res, &err);
		if (rc == 0) {
			if (res.id < 1 || !bh_ctl_name_valid(res.node, strlen(res.node)))
				abort();
			no_ctl(res.error);
		}
		break;
	default:
		rc = bh_ctl_mode_req_parse(buf, size - 1, &m, &err);
		if (rc == 0 && ((strcmp(m.control, "behaviour") && strcmp(m.control, "syscall")) ||
				(strcmp(m.mode, "discover") && strcmp(m.mode, "monitor") &&
				 strcmp(m.mode, "protect")) ||
				strchr(m.group, ' ')))
			abort();
		break;
	}
	if (rc < 0 && !err)
		abort();
	bh_error_free(err);
	return 0;
}
