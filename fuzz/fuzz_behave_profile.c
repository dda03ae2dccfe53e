/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the behaviour profile document reader (bh_behave_parse: JSON or YAML,
 * strict): bytes -> document -> every member checked. What it accepts must
 * read back the same once written (the export's round trip). The same bytes
 * read as a JSON event are given a workload key both ways, which must be a
 * key a user can type back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/behave.h"
#include "bulkhead/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	struct bh_mon_event ev;
	json_t *d = NULL, *d2 = NULL, *j = NULL;

	if (bh_behave_parse((const char *)data, size, 64, &d, &err) == 0) {
		char *s = json_dumps(d, JSON_COMPACT);

		if (!s || bh_behave_parse(s, strlen(s), 64, &d2, NULL) < 0 || !json_equal(d, d2))
			abort(); /* an accepted document reads back as itself */
		free(s);
		json_decref(d2);
		json_decref(d);
	} else if (d) {
		abort(); /* a refusal hands nothing out */
	}
	bh_error_clear(&err);
	if (bh_json_parse((const char *)data, size, 1 << 20, "fuzz", &j, NULL) == 0) {
		if (bh_mon_event_from_json(j, &ev, NULL) == 0) {
			char key[BH_BEHAVE_KEY_MAX];

			for (int g = BH_BEHAVE_BY_DIGEST; g <= BH_BEHAVE_BY_POD; g++)
				if (bh_behave_key(&ev, (enum bh_behave_group)g, key) == 0 &&
				    bh_behave_key_check(key, NULL) < 0)
					abort();
		}
		json_decref(j);
	}
	return 0;
}
