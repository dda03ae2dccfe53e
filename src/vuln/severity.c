/* SPDX-License-Identifier: Apache-2.0 */
/* Severity levels: names, parsing, and the CVSS qualitative rating scale. */
#include <math.h>
#include <strings.h>

#include "bulkhead/vuln.h"
#include "banned.h"

const char *bh_severity_name(enum bh_severity s)
{
	switch (s) {
	case BH_SEV_UNKNOWN: return "UNKNOWN";
	case BH_SEV_LOW: return "LOW";
	case BH_SEV_MEDIUM: return "MEDIUM";
	case BH_SEV_HIGH: return "HIGH";
	case BH_SEV_CRITICAL: return "CRITICAL";
	}
	return "UNKNOWN";
}

int bh_severity_parse(const char *s, enum bh_severity *out)
{
	static const struct {
		const char *name;
		enum bh_severity sev;
	} names[] = {
		{ "unknown", BH_SEV_UNKNOWN },	 { "low", BH_SEV_LOW },
		{ "medium", BH_SEV_MEDIUM },	 { "moderate", BH_SEV_MEDIUM },
		{ "high", BH_SEV_HIGH },	 { "important", BH_SEV_HIGH },
		{ "critical", BH_SEV_CRITICAL },
	};

	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(s, names[i].name)) {
			*out = names[i].sev;
			return 0;
		}
	}
	return -1;
}

/* CVSS v3/v4 qualitative scale; 0.0 ("None") and anything not a score is
 * UNKNOWN. Scores are compared at one decimal, as they are published. */
enum bh_severity bh_severity_from_score(double score)
{
	if (isnan(score) || score < 0.1 || score > 10.0)
		return BH_SEV_UNKNOWN;
	if (score >= 9.0)
		return BH_SEV_CRITICAL;
	if (score >= 7.0)
		return BH_SEV_HIGH;
	if (score >= 4.0)
		return BH_SEV_MEDIUM;
	return BH_SEV_LOW;
}
