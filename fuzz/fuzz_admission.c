/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the AdmissionReview parser and the webhook's answer: bytes ->
 * bh_adm_request_parse (strict, bounded) -> the pin patch of its object ->
 * bh_admission_review for both webhooks with the Pod Security Standards
 * (restricted) and a rule that pins (a stub verifies every image), failure
 * policy fail; every answer must be JSON with the request's uid.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/admission.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int yes(void *ctx, const struct bh_policy_image *img, const struct bh_policy_verify_req *req,
	       bool *verified, char **why, struct bh_error **err)
{
	*verified = true;
	return 0;
}

static const struct bh_policy_env stub = { NULL, yes, NULL, 0 };
static struct bh_policy *policy;
static struct bh_admission *adm;

static void setup(void)
{
	struct bh_pss_lv lv = { BH_PSS_RESTRICTED, BH_PSS_LATEST };
	struct bh_admission_opts o = { 0 };

	bh_adm_arena_install(); /* as the serving process */
	policy = bh_policy_new();
	if (bh_policy_add_pss(policy, lv, NULL) < 0 || bh_policy_compile(policy, NULL, NULL) < 0)
		abort();
	o.policy = policy;
	o.env = &stub;
	if (bh_admission_new(&o, &adm, NULL) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_adm_request rq;
	struct bh_adm_pin pin = {
		"nginx:1", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	};
	struct bh_error *err = NULL;
	json_t *patch = NULL;

	if (!adm)
		setup();
	if (bh_adm_request_parse(data, size, &rq, &err) == 0) {
		if (rq.object && bh_adm_pin_patch(rq.object, &pin, 1, &patch, &err) == 0)
			json_decref(patch);
	}
	bh_error_clear(&err);
	bh_adm_request_release(&rq);
	for (int hook = BH_ADM_VALIDATE; hook <= BH_ADM_MUTATE; hook++) {
		char *answer = NULL;
		size_t len = 0;

		if (bh_admission_review(adm, (enum bh_adm_webhook)hook, data, size, &answer, &len,
					&err) == 0) {
			json_t *doc = json_loadb(answer, len, 0, NULL);

			if (!doc || !json_is_string(json_object_get(
					    json_object_get(doc, "response"), "uid")))
				abort();
			json_decref(doc);
		}
		free(answer);
		bh_error_clear(&err);
	}
	return 0;
}
