/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An OCI layout built by tests/tools/mkimage.py from a spec, for the content
 * tests that build their images (test_content_built, test_content_packaged).
 * Apart from content_unit.h so that the tests which only read
 * $TESTDATA/images do not name mkimage.py, and tests/uses-tools does not
 * count them as users of the tools it runs. Included after content_unit.h.
 */
#ifndef BULKHEAD_TESTS_CONTENT_BUILD_H
#define BULKHEAD_TESTS_CONTENT_BUILD_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "content_unit.h"

/* Write `json` (a mkimage.py spec) and build an OCI layout; skip without python3. */
static inline char *build_image(const char *dir, const char *json)
{
	char *spec = bh_asprintf("%s/spec.json", dir), *out = bh_asprintf("%s/img", dir), *cmd;
	int rc;

	if (access("/usr/bin/python3", X_OK) != 0) {
		free(spec);
		free(out);
		return NULL;
	}
	must(bh_write_file_atomic(spec, json, strlen(json), 0644, NULL), NULL, spec);
	cmd = bh_asprintf("python3 tests/tools/mkimage.py --spec %s %s >/dev/null", spec, out);
	rc = system(cmd);
	free(cmd);
	free(spec);
	if (rc != 0)
		fail_msg("mkimage.py failed (%d)", rc);
	return out;
}

#endif
