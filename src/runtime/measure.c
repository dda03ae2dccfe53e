/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Measured launch (issue 18): a bundle annotated org.bulkhead.measure=true is
 * measured into a TPM PCR before anything of the container exists: the
 * image's manifest and config digests (when the annotations say them) and the
 * normalised security-relevant config.json, one event-log entry per launch
 * (src/tpm). The TPM is $BULKHEAD_TPM_TCTI's (else /dev/tpmrm0), the log
 * $BULKHEAD_MEASURE_LOG (else <state root>/measure.log: the state root is on
 * a tmpfs, reset with the PCRs at boot). No TPM is an error for that bundle:
 * a measurement asked for is never skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/policy.h"
#include "bulkhead/runtime.h"
#include "bulkhead/tpm.h"
#include "internal.h"
#include "banned.h"

#define ANN_MEASURE	 "org.bulkhead.measure"
#define ANN_MEASURE_PCR	 "org.bulkhead.measure.pcr"
#define ANN_MANIFEST	 "org.bulkhead.image.manifest-digest"
#define ANN_IMAGE_CONFIG "org.bulkhead.image.config-digest"

static const char *ann(const struct bh_rt_spec *s, const char *k)
{
	return s->annotations ? bh_json_str(s->annotations, k) : NULL;
}

int rt_measure(const struct bh_rt_ctx *ctx, const char *id, const char *bundle,
	       const struct bh_buf *raw, const struct bh_rt_spec *spec,
	       const struct bh_policy_image *image, struct bh_error **err)
{
	const char *m = ann(spec, ANN_MEASURE), *p = ann(spec, ANN_MEASURE_PCR), *log;
	struct bh_tpm_launch l = { .container = id, .bundle = bundle };
	struct bh_policy_image img = { 0 };
	json_t *config = NULL;
	char *deflog = NULL, *end;
	long pcr = BH_TPM_DEFAULT_PCR;
	int r = -1;

	if (!m || !strcmp(m, "false"))
		return 0;
	if (strcmp(m, "true"))
		return bh_error_set(err, BH_ERR_INVALID,
				    "annotation %s: '%.64s' is not true or false", ANN_MEASURE, m);
	if (p) {
		errno = 0;
		pcr = strtol(p, &end, 10);
		if (!*p || *end || errno)
			return bh_error_set(err, BH_ERR_INVALID,
					    "annotation %s: '%.64s' is not a PCR number",
					    ANN_MEASURE_PCR, p);
	}
	if (bh_tpm_pcr_check(pcr, true, err) < 0)
		return bh_error_prefix(err, "annotation %s", ANN_MEASURE_PCR);
	/* a bundle's annotation (a pod's, through the engine) must not reach the
	 * host's own PCRs: 0-15 are the firmware's and the boot's (sealed disk
	 * keys), 17-22 the dynamic launch's (reset to ones, not zeros) */
	if (pcr != 16 && pcr != 23)
		return bh_error_set(err, BH_ERR_INVALID,
				    "annotation %s: a container is measured into PCR 16 or 23, "
				    "not %ld (the host's firmware, boot and dynamic launch PCRs)",
				    ANN_MEASURE_PCR, pcr);
	if (bh_json_parse(raw->data ? raw->data : "", raw->len, BH_RT_MAX_CONFIG, "config.json",
			  &config, err) < 0)
		return -1;
	if (image) {
		l.image = image->ref;
		l.manifest_digest = image->digest;
	} else if (bh_policy_image_from_annotations(config, &img) > 0) {
		l.image = img.ref;
		l.manifest_digest = img.digest;
	}
	if (ann(spec, ANN_MANIFEST))
		l.manifest_digest = ann(spec, ANN_MANIFEST);
	l.config_digest = ann(spec, ANN_IMAGE_CONFIG);
	for (const char *d = l.manifest_digest; d; d = NULL) {
		struct bh_digest dg;

		if (bh_digest_parse(d, &dg, err) < 0)
			goto out;
	}
	if (l.config_digest) {
		struct bh_digest dg;

		if (bh_digest_parse(l.config_digest, &dg, err) < 0) {
			bh_error_prefix(err, "annotation %s", ANN_IMAGE_CONFIG);
			goto out;
		}
	}
	l.config = config;
	log = getenv("BULKHEAD_MEASURE_LOG");
	if (!log || !*log)
		log = deflog = bh_asprintf("%s/measure.log", rt_state_root(ctx));
	if (bh_tpm_measure_launch(bh_tpm_tcti(NULL), (int)pcr, log, &l, NULL, err) < 0) {
		bh_error_prefix(err, "measuring the launch (annotation %s=true)", ANN_MEASURE);
		goto out;
	}
	r = 0;
out:
	free(deflog);
	json_decref(config);
	return r;
}
