/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz what the registry client parses from JSON: manifests and indexes
 * (type and shape, against each Content-Type a registry may send), the
 * credential files of docker and podman, and a token service's answer.
 * The first byte chooses the Content-Type.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/registry.h"
#include "registry/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {
		NULL,
		"application/json",
		BH_REGISTRY_MT_OCI_INDEX,
		BH_REGISTRY_MT_OCI_MANIFEST,
		BH_REGISTRY_MT_DOCKER_LIST,
		BH_REGISTRY_MT_DOCKER_MANIFEST "; charset=utf-8",
		"application/vnd.docker.distribution.manifest.v1+prettyjws",
		"text/plain",
	};
	struct bh_registry_cred cred;
	const char *p = (const char *)data;
	char *mt = NULL, *tok = NULL;
	int64_t exp;

	if (size < 1 || size > (1 << 20))
		return 0;
	if (reg_manifest_check(types[data[0] % 8], p + 1, size - 1, 1 << 20, "m", &mt, NULL) == 0) {
		if (!mt || !*mt)
			abort();
		free(mt);
	}
	if (bh_registry_auth_lookup(p + 1, size - 1, "f", "127.0.0.1:5000", "team/app", &cred,
				    NULL) == 1) {
		if (!cred.secret && !cred.helper)
			abort();
		bh_registry_cred_release(&cred);
	}
	if (bh_registry_auth_lookup(p + 1, size - 1, "f", "docker.io", "library/x", &cred, NULL) ==
	    1)
		bh_registry_cred_release(&cred);
	if (reg_token_parse(p + 1, size - 1, &tok, &exp, NULL) == 0) {
		if (!tok || !*tok)
			abort();
		free(tok);
	}
	return 0;
}
