/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the strict OCI seccomp profile reader (`bulkhead profile import`), and
 * the writer and diff over what it accepts. */
#include <stdint.h>
#include <stdlib.h>

#include "bulkhead/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const deny[] = { "bpf", "kexec_load", NULL };
	struct bh_error *err = NULL;
	json_t *p = NULL;

	if (bh_prof_from_oci((const char *)data, size, deny, &p, &err) == 0) {
		json_t *oci = bh_prof_to_oci(p), *d = bh_prof_diff(p, p);
		struct bh_prof_record *rec = calloc(1, sizeof(*rec));

		if (rec)
			bh_prof_bits_of(p, rec);
		free(rec);
		json_decref(oci);
		json_decref(d);
	}
	bh_error_free(err);
	json_decref(p);
	return 0;
}
