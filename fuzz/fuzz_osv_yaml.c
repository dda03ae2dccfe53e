/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the OSV YAML reader (the PyPA layout): bytes -> YAML with the record
 * limits (size, nodes after alias expansion, depth) -> a normalised record
 * (YAML integers as version strings) -> bh_osv_affects on each entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/vuln.h"
#include "vuln/store_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const versions[] = { "0",	 "1",	   "1.0.0",	      "2.0.1.post1",
						"1.0a1", "v1.2.3", "3.11.2-6+deb12u9" };
	const struct bh_yaml_limits lim = { BH_OSV_MAX_FILE, 100000, BH_OSV_MAX_DEPTH };
	struct bh_osv_record r;
	struct bh_error *err = NULL;
	json_t *doc = NULL;

	if (bh_yaml_parse((const char *)data, size, &lim, "fuzz", &doc, &err) < 0) {
		bh_error_free(err);
		return 0;
	}
	bh_osv_doc_kind(doc);
	if (bh_osv_record_from_json(doc, NULL, &r, &err) == 0) {
		for (size_t i = 0; i < r.naffected; i++) {
			enum bh_vscheme s = BH_VS_PEP440;

			bh_vscheme_for_ecosystem(r.affected[i].ecosystem, &s, NULL);
			for (size_t j = 0; j < sizeof(versions) / sizeof(versions[0]); j++) {
				struct bh_error *e = NULL;
				char *fixed = NULL;
				bool hit;

				bh_osv_affects(r.affected[i].data, s, versions[j], &hit, &fixed,
					       &e);
				free(fixed);
				bh_error_free(e);
			}
		}
		bh_osv_record_release(&r);
	}
	bh_error_free(err);
	json_decref(doc);
	return 0;
}
