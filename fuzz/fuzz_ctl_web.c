/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dashboard's If-None-Match reader (src/ctl/web.c): any bytes, read only
 * within their length; a value that holds the tag alone (after optional W/)
 * as one list member matches, and "*" alone does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *h = (const char *)data;
	bool m = bh_ctl_web_etag_match(h, size, "\"abc\"");

	/* the exact tag, or "*", always matches */
	if ((size == 5 && !memcmp(h, "\"abc\"", 5)) || (size == 1 && h[0] == '*'))
		if (!m)
			abort();
	/* a value without the tag's bytes and without '*' never matches */
	if (m && !memmem(h, size, "\"abc\"", 5) && !memchr(h, '*', size))
		abort();
	(void)bh_ctl_web_etag_match(h, size, "\"\"");
	return 0;
}
