/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the Pod Security Standards evaluator: bytes -> YAML stream (the
 * manifest limits) -> each document, as any kind, decoded and evaluated at
 * baseline and restricted, at v1.0, v1.24 and latest, with its message; and
 * namespace labels read from the document's metadata.labels.
 */
#include <stdint.h>
#include <stdlib.h>

#include "bulkhead/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct bh_pss_lv lvs[] = {
		{ BH_PSS_BASELINE, 0 },
		{ BH_PSS_RESTRICTED, 0 },
		{ BH_PSS_RESTRICTED, 24 },
		{ BH_PSS_BASELINE, BH_PSS_LATEST },
		{ BH_PSS_RESTRICTED, BH_PSS_LATEST },
	};
	const struct bh_yaml_limits lim = { 1 << 20, 100000, 128 };
	struct bh_error *err = NULL;
	json_t *docs = NULL, *doc;
	size_t i;

	if (bh_yaml_parse_stream((const char *)data, size, &lim, "fuzz", 0, &docs, NULL, &err) <
	    0) {
		bh_error_free(err);
		return 0;
	}
	json_array_foreach (docs, i, doc) {
		struct bh_pss_policy def = { { { BH_PSS_PRIVILEGED, BH_PSS_LATEST },
					       { BH_PSS_PRIVILEGED, BH_PSS_LATEST },
					       { BH_PSS_PRIVILEGED, BH_PSS_LATEST } } },
				     ns;
		struct bh_strvec problems = BH_STRVEC_INIT;

		bh_pss_policy_from_labels(bh_json_obj(bh_json_obj(doc, "metadata"), "labels"), &def,
					  &ns, &problems);
		bh_strvec_release(&problems);
		for (size_t k = 0; k < sizeof(lvs) / sizeof(lvs[0]); k++) {
			struct bh_pss_result r;

			if (bh_pss_eval(doc, lvs[k], &r, &err) == 0) {
				free(bh_pss_message(lvs[k], &r, k & 1));
				bh_pss_result_release(&r);
			}
			bh_error_clear(&err);
		}
	}
	json_decref(docs);
	return 0;
}
