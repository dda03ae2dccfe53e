/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A node policy document (src/ctl/policy_dist.c), as a PUT /api/v1/policy
 * body and as an agent reads it from the controller. What is accepted must
 * hold its invariants: modes with a known control and mode, each (group,
 * control) once, rules compiled when given; and the canonical document must
 * parse back to the same one (what an agent re-validates).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/ctl_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	struct bh_ctl_policy p, p2;
	json_t *modes;
	char *s;

	if (bh_ctl_policy_parse((const char *)data, size, &p, &err) < 0) {
		if (!err || p.doc || p.rules)
			abort(); /* a failure says why and keeps nothing */
		bh_error_free(err);
		return 0;
	}
	modes = json_object_get(p.doc, "modes");
	if (!json_is_array(modes) || json_array_size(modes) != p.nmodes ||
	    p.nmodes > BH_CTL_POLICY_MODES_MAX || (json_object_get(p.doc, "rules") && !p.rules))
		abort();
	for (size_t i = 0; i < p.nmodes; i++) {
		const char *c = bh_json_str(json_array_get(modes, i), "control");
		const char *m = bh_json_str(json_array_get(modes, i), "mode");

		if (!c || !m || (strcmp(c, "behaviour") && strcmp(c, "syscall")) ||
		    (strcmp(m, "discover") && strcmp(m, "monitor") && strcmp(m, "protect")))
			abort();
	}
	s = json_dumps(p.doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (!s || bh_ctl_policy_parse(s, strlen(s), &p2, &err) < 0 || !json_equal(p.doc, p2.doc) ||
	    p.nrules != p2.nrules)
		abort();
	free(s);
	bh_ctl_policy_release(&p);
	bh_ctl_policy_release(&p2);
	return 0;
}
