/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker-registry's notification envelope (src/ctl/hook.c): what is accepted
 * must hold its invariants: at most BH_CTL_HOOK_EVENTS_MAX pushes, each of a
 * valid repository, a canonical digest and a NUL-terminated tag, no
 * (repository, digest) twice; a failure says why and hands back nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	struct bh_ctl_push *p = NULL;
	size_t n = 0, skipped = 0;
	int rc = bh_ctl_hook_parse((const char *)data, size, &p, &n, &skipped, &err);

	if (rc < 0) {
		if (!err || p || n)
			abort();
		bh_error_free(err);
		return 0;
	}
	if (err || n > BH_CTL_HOOK_EVENTS_MAX || (n && !p))
		abort();
	for (size_t i = 0; i < n; i++) {
		struct bh_digest d;

		if (!bh_ctl_repo_valid(p[i].repository,
				       strnlen(p[i].repository, sizeof(p[i].repository))) ||
		    memchr(p[i].tag, 0, sizeof(p[i].tag)) == NULL ||
		    bh_digest_parse(p[i].digest.str, &d, &err) < 0 ||
		    strcmp(d.str, p[i].digest.str))
			abort();
		for (size_t k = 0; k < i; k++)
			if (!strcmp(p[k].repository, p[i].repository) &&
			    !strcmp(p[k].digest.str, p[i].digest.str))
				abort();
	}
	free(p);
	return 0;
}
