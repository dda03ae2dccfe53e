/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the policy parser: bytes -> YAML stream with the policy limits ->
 * every document validated (members, globs, durations, digests, keys) ->
 * composed after a fixed base policy (refinements by name) -> compiled, and
 * when it compiles, evaluated on a fixed pod, OCI config and image.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base[] = "apiVersion: bulkhead.dev/v1alpha1\n"
			   "kind: Policy\n"
			   "spec:\n"
			   "  rules:\n"
			   "  - {name: a, kind: workload, denyPrivileged: true}\n"
			   "  - {name: b, kind: podSecurity, level: restricted}\n"
			   "  - {name: c, kind: imageProvenance, registries: [\"*.example\"]}\n";

static const char pod[] = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"labels\":"
			  "{\"bulkhead.dev/sensitivity\":\"a\"}},\"spec\":{\"hostPID\":true,"
			  "\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/etc\"}}],"
			  "\"containers\":[{\"name\":\"c\",\"image\":\"nginx\",\"securityContext\":"
			  "{\"privileged\":true}}]}}";

static const char oci[] = "{\"ociVersion\":\"1.1.0\",\"process\":{\"user\":{\"uid\":0}},"
			  "\"root\":{\"path\":\"rootfs\"},\"linux\":{\"namespaces\":[]}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_policy *p = bh_policy_new();
	struct bh_policy_diags d = { 0 };
	struct bh_error *err = NULL;
	struct bh_policy_image img = {
		.ref = "registry.example/a:1", .config_known = true, .created = 1, .user = ""
	};
	struct bh_policy_env env = { NULL, NULL, NULL, 1000000 };

	if (bh_policy_add(p, base, sizeof(base) - 1, "base", NULL, &d, &err) == 0 &&
	    bh_policy_add(p, (const char *)data, size, "fuzz", NULL, &d, &err) == 0 &&
	    bh_policy_compile(p, &d, &err) == 0) {
		const char *docs[] = { pod, oci };

		for (int i = 0; i < 3; i++) {
			struct bh_policy_input in = { 0 };
			struct bh_policy_result r;
			json_t *o = NULL;

			if (i < 2 &&
			    bh_json_parse(docs[i], strlen(docs[i]), 1 << 20, "t", &o, NULL) < 0)
				continue;
			in.kind = i == 0 ? BH_POLICY_K8S : i == 1 ? BH_POLICY_OCI : BH_POLICY_IMAGE;
			in.object = o;
			in.oci_config = o;
			in.images = &img;
			in.nimages = 1;
			in.env = &env;
			if (bh_policy_eval(p, &in, &r, &err) == 0)
				bh_policy_result_release(&r);
			bh_error_clear(&err);
			json_decref(o);
		}
	}
	bh_error_free(err);
	bh_policy_diags_release(&d);
	bh_policy_free(p);
	return 0;
}
