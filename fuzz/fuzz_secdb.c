/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the Alpine secdb reader: bytes -> YAML or JSON -> the synthesised OSV
 * records of every (package, id), each normalised and evaluated against a
 * few apk versions.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/vuln.h"
#include "vuln/store_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_record(json_t *doc, const char *key, const char *problem, void *data,
		     struct bh_error **err)
{
	static const char *const versions[] = { "0", "1.2.3-r0", "1.2.3_rc1-r1", "1.2.3a-r10",
						"1.2.3_git20230717-r4" };
	struct bh_osv_record r;
	struct bh_error *e = NULL;

	(void)data;
	(void)err;
	if (!doc) {
		if (!problem)
			abort(); /* a problem always has a message */
		return 0;
	}
	if (bh_osv_record_from_json(doc, key, &r, &e) < 0) {
		/* every record the reader makes must be a valid OSV record */
		abort();
	}
	for (size_t i = 0; i < r.naffected; i++)
		for (size_t j = 0; j < sizeof(versions) / sizeof(versions[0]); j++) {
			char *fixed = NULL;
			bool hit;

			bh_osv_affects(r.affected[i].data, BH_VS_APK, versions[j], &hit, &fixed,
				       &e);
			bh_error_clear(&e);
			free(fixed);
		}
	bh_osv_record_release(&r);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	json_t *doc = NULL;

	if (bh_osv_parse_doc((const char *)data, size, "fuzz", &doc, &err) < 0) {
		bh_error_free(err);
		return 0;
	}
	if (bh_osv_doc_kind(doc) == BH_DOC_SECDB || bh_osv_doc_kind(doc) == BH_DOC_SECDB_PKG ||
	    json_is_object(doc))
		bh_secdb_records(doc, "fuzz", on_record, NULL, &err);
	bh_error_free(err);
	json_decref(doc);
	return 0;
}
