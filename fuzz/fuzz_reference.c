/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the image reference parser (distribution/reference's grammar, and
 * docker's normalisation): whatever the input, a reference that parses
 * prints back as the input (plain) and re-parses to itself (normalised).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const struct bh_registry_ref *a, const struct bh_registry_ref *b)
{
	return !strcmp(a->domain ? a->domain : "", b->domain ? b->domain : "") &&
	       !strcmp(a->path, b->path) && !strcmp(a->tag ? a->tag : "", b->tag ? b->tag : "") &&
	       !strcmp(a->digest.str, b->digest.str);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_registry_ref r, again;
	char *s, *str;

	if (size > 8192)
		return 0;
	s = bh_strndup((const char *)data, size);
	if (bh_registry_ref_parse(s, 0, &r, NULL) == 0) {
		str = bh_registry_ref_string(&r);
		if (strlen(s) == size && strcmp(str, s))
			abort();
		free(str);
		bh_registry_ref_release(&r);
	}
	if (bh_registry_ref_parse(s, BH_REF_NORMALIZE, &r, NULL) == 0) {
		if (!r.domain || !r.path || (!r.tag && !r.digest.str[0]))
			abort();
		str = bh_registry_ref_string(&r);
		if (bh_registry_ref_parse(str, BH_REF_NORMALIZE, &again, NULL) < 0 ||
		    !same(&r, &again))
			abort();
		bh_registry_ref_release(&again);
		free(str);
		bh_registry_ref_release(&r);
	}
	free(s);
	return 0;
}
