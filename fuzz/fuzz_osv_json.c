/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the OSV JSON reader: bytes -> JSON (the record limits) -> the records
 * it holds, normalised, and each affected entry evaluated by bh_osv_affects
 * against a few versions in its ecosystem's scheme.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/vuln.h"
#include "vuln/store_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void evaluate(const struct bh_osv_record *r)
{
	static const char *const versions[] = { "0",	      "1.0.0",
						"1.2.3-rc.1", "2.0",
						"v1.2.3",     "1:2.3-4",
						"1.2.3-r0",   "99999999999999999999" };

	for (size_t i = 0; i < r->naffected; i++) {
		enum bh_vscheme s = BH_VS_SEMVER;

		bh_vscheme_for_ecosystem(r->affected[i].ecosystem, &s, NULL);
		for (size_t j = 0; j < sizeof(versions) / sizeof(versions[0]); j++) {
			struct bh_error *err = NULL;
			char *fixed = NULL;
			bool hit;

			bh_osv_affects(r->affected[i].data, s, versions[j], &hit, &fixed, &err);
			free(fixed);
			bh_error_free(err);
		}
	}
}

static void record(json_t *doc)
{
	struct bh_osv_record r;
	struct bh_error *err = NULL;

	if (bh_osv_record_from_json(doc, NULL, &r, &err) == 0) {
		evaluate(&r);
		bh_osv_record_release(&r);
	}
	bh_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	json_t *doc = NULL, *item;
	size_t i;

	if (bh_json_parse((const char *)data, size, BH_OSV_MAX_FILE, "fuzz", &doc, &err) < 0) {
		bh_error_free(err);
		return 0;
	}
	switch (bh_osv_doc_kind(doc)) {
	case BH_DOC_OSV: record(doc); break;
	case BH_DOC_OSV_LIST: json_array_foreach (doc, i, item) { record(item);
		}
		break;
	default:
		/* whatever it is, the record reader must refuse it cleanly */
		record(doc);
		break;
	}
	json_decref(doc);
	return 0;
}
