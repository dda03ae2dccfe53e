/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the container inventory's parsers of untrusted runtime files: the
 * first byte picks runc's state.json, crun's status, bulkhead's state.json
 * or a /proc/PID/cgroup file; then the container's annotations are applied
 * (CRI-O's labels are JSON inside a string).
 */
#include <stdint.h>
#include <stdlib.h>

#include "bulkhead/containers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_ctr c = { 0 };
	struct bh_error *err = NULL;
	const char *p = (const char *)data + 1;
	size_t n = size ? size - 1 : 0;

	if (!size)
		return 0;
	c.labels = json_object();
	c.annotations = json_object();
	switch (data[0] % 4) {
	case 0: bh_ctr_parse_runc_state(p, n, &c, &err); break;
	case 1: bh_ctr_parse_crun_status(p, n, &c, &err); break;
	case 2: bh_ctr_parse_bulkhead_state(p, n, &c, &err); break;
	default: bh_ctr_parse_proc_cgroup(p, n, &c, &err); break;
	}
	bh_ctr_apply_annotations(&c);
	json_decref(bh_ctr_to_json(&(struct bh_ctr){ .id = c.id ? c.id : (char *)"x",
						     .labels = c.labels,
						     .annotations = c.annotations,
						     .cgroups = c.cgroups,
						     .ncgroups = c.ncgroups }));
	bh_error_free(err);
	bh_ctr_release(&c);
	return 0;
}
