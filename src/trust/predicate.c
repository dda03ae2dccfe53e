/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The predicates `bulkhead attest` signs, made by the scan pipeline
 * (bh_scan_image) and the report writers: the CycloneDX SBOM of an image and
 * a vulnerability scan in cosign's vuln/v1 shape. trust sits above scan and
 * report, so an attestation is the same scan a CI job, the webhook or the
 * controller runs.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/report.h"
#include "bulkhead/scan.h"
#include "bulkhead/trust.h"
#include "bulkhead/version.h"
#include "banned.h"

/* cosign's CosignVulnPredicate, in its field order, around our JSON report. */
static json_t *vuln_predicate(json_t *result, const char *db_uri, const char *started,
			      const char *finished)
{
	return json_pack("{s:{s:n, s:s, s:s, s:s}, s:{s:s, s:s, s:{s:s, s:s}, s:o}, s:{s:s, s:s}}",
			 "invocation", "parameters", "uri", "", "event_id", "", "builder.id", "",
			 "scanner", "uri", "bulkhead", "version", BH_VERSION, "db", "uri",
			 db_uri ? db_uri : "", "version", "", "result", result, "metadata",
			 "scanStartedOn", started, "scanFinishedOn", finished);
}

int bh_attest_predicate(const char *predicate_type, struct bh_image *img,
			const struct bh_scan_opts *so, json_t **out, struct bh_error **err)
{
	struct bh_scan_opts o = *so;
	struct bh_scan_result *res = NULL;
	struct bh_report rep = { 0 };
	char started[BH_TIME_MAX], finished[BH_TIME_MAX];
	bool vuln;
	int r = -1;

	*out = NULL;
	if (!strcmp(predicate_type, BH_PREDICATE_CYCLONEDX))
		vuln = false;
	else if (!strcmp(predicate_type, BH_PREDICATE_VULN))
		vuln = true;
	else
		return bh_error_set(err, BH_ERR_USAGE,
				    "no predicate of type %s is made here (give one)",
				    predicate_type);
	/* the SBOM is the inventory alone; the vuln scan is the vulnerabilities */
	o.scanners = vuln ? BH_SCAN_VULN : 0;
	o.record = false;
	bh_time_rfc3339(NULL, 0, started);
	if (bh_scan_image(img, NULL, &o, &res, err) < 0)
		return bh_error_prefix(err, "the %s predicate", vuln ? "vuln" : "sbom");
	bh_time_rfc3339(NULL, 0, finished);
	rep.img = res->img;
	rep.inv = res->inv;
	rep.findings = vuln ? &res->findings : NULL;
	rep.tool_version = BH_VERSION;
	if (!vuln) {
		r = bh_report_cyclonedx(&rep, out, err);
		goto out;
	}
	r = bh_attest_vuln_predicate(res, so->store_path, started, finished, out, err);
out:
	bh_scan_result_free(res);
	return r;
}

int bh_attest_vuln_predicate(const struct bh_scan_result *res, const char *db_uri,
			     const char *started, const char *finished, json_t **out,
			     struct bh_error **err)
{
	struct bh_report rep = { 0 };
	json_t *report = NULL;

	*out = NULL;
	rep.img = res->img;
	rep.inv = res->inv;
	rep.findings = &res->findings;
	rep.tool_version = BH_VERSION;
	if (bh_report_json(&rep, &report, err) < 0)
		return -1;
	*out = vuln_predicate(report, db_uri, started, finished);
	return *out ? 0 : bh_error_set(err, BH_ERR_INTERNAL, "cannot build the vuln predicate");
}
