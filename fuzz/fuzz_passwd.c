/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the small parsers behind the configuration checks: /etc/passwd, the
 * package managers' file lists (dpkg .list and .md5sums, apk installed) and the
 * credential-name test. The first byte picks the parser; the rest is the
 * input. Each must stay inside (data, size) and never fail but on limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/content.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count_path(const char *path, size_t n, const char *pkg, const char *sum, void *data)
{
	size_t *total = data;

	/* Touch every byte so ASan sees an over-read. */
	for (size_t i = 0; i < n; i++)
		*total += (unsigned char)path[i];
	if (pkg)
		*total += strlen(pkg);
	if (sum)
		*total += strlen(sum);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1;
	struct bh_error *err = NULL;
	size_t n = size ? size - 1 : 0, total = 0;
	uint32_t uid;

	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		bh_content_passwd_uid(in, n, "root", &uid, &err);
		bh_content_passwd_uid(in, n, "app", &uid, &err);
		break;
	case 1: /* the two dpkg lists, one input */
		bh_content_dpkg_list(in, n, count_path, &total, &err);
		bh_error_free(err);
		err = NULL;
		bh_content_dpkg_md5sums(in, n, count_path, &total, &err);
		break;
	case 2: bh_content_apk_files(in, n, count_path, &total, &err); break;
	case 3: bh_content_credential_name(in, n); break;
	}
	bh_error_free(err);
	return 0;
}
