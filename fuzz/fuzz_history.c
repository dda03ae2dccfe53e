/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the build-history analysis (ADD of URLs, download piped into a
 * shell, credentials in NAME=value): any created_by string, with its output
 * strings always NUL-terminated within their fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/content.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_history_issues is;
	unsigned flags = bh_content_history_check((const char *)data, size, &is);

	if ((flags & BH_HIST_ADD_URL) && strnlen(is.url, sizeof(is.url)) == sizeof(is.url))
		abort();
	if ((flags & BH_HIST_PIPE_SHELL) &&
	    strnlen(is.fetcher, sizeof(is.fetcher)) == sizeof(is.fetcher))
		abort();
	if ((flags & BH_HIST_SECRET) && (strnlen(is.name, sizeof(is.name)) == sizeof(is.name) ||
					 strnlen(is.value, sizeof(is.value)) == sizeof(is.value)))
		abort();
	return 0;
}
