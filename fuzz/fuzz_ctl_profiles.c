/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The learned profiles' bodies (src/ctl/profiles.c): an agent's report
 * (POST /api/v1/agent/profiles) and an accept (POST /api/v1/profiles/accept).
 * The first byte picks the parser. What is accepted holds its invariants: a
 * valid node name, at most BH_CTL_PROFILES_REPORT_MAX profiles each with a
 * valid key and a digest; an accept of a valid key in monitor or protect.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/ctl_profiles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	struct bh_ctl_profile_report r;
	struct bh_ctl_accept_req a;
	const char *buf = (const char *)data + 1;
	int rc;

	if (size < 1)
		return 0;
	if (data[0] % 2 == 0) {
		rc = bh_ctl_profile_report_parse(buf, size - 1, &r, &err);
		if (rc == 0) {
			size_t i;
			json_t *d;

			if (!bh_ctl_name_valid(r.node, strlen(r.node)) || !r.modes || !r.profiles ||
			    json_array_size(r.profiles) > BH_CTL_PROFILES_REPORT_MAX)
				abort();
			json_array_foreach (r.profiles, i, d) {
				char dg[BH_CTL_PROFILE_DIGEST_MAX];

				if (bh_behave_key_check(bh_json_str(d, "key"), NULL) < 0)
					abort();
				bh_ctl_profile_digest(d, dg);
				if (strncmp(dg, "sha256:", 7))
					abort();
			}
			bh_ctl_profile_report_release(&r);
		}
	} else {
		rc = bh_ctl_accept_req_parse(buf, size - 1, &a, &err);
		if (rc == 0 && (bh_behave_key_check(a.key, NULL) < 0 ||
				(strcmp(a.mode, "monitor") && strcmp(a.mode, "protect")) ||
				(a.node[0] && !bh_ctl_name_valid(a.node, strlen(a.node)))))
			abort();
	}
	if (rc < 0 && !err)
		abort();
	bh_error_free(err);
	return 0;
}
