/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead findings and reports. One finding type serves every scanner
 * (vulnerabilities, configuration defects, secrets, malware, policy); every
 * report format (table, JSON, SARIF, CycloneDX, SPDX) is a view of one list.
 *
 * Ownership follows include/bulkhead/base.h.
 */
#ifndef BULKHEAD_REPORT_H
#define BULKHEAD_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bulkhead/base.h"
#include "bulkhead/image.h"
#include "bulkhead/inventory.h"
#include "bulkhead/vuln.h"

enum bh_finding_kind {
	BH_FIND_VULN = 1,
	BH_FIND_CONFIG,
	BH_FIND_SECRET,
	BH_FIND_MALWARE,
	BH_FIND_POLICY,
	BH_FIND_STALE, /* stale images: age, tag drift, an old base (4.2.2) */
};

enum bh_fix_state {
	BH_FIX_UNKNOWN = 0,
	BH_FIX_FIXED,	  /* a fixed version exists */
	BH_FIX_NOT_FIXED, /* no fix yet */
	BH_FIX_WONT_FIX,  /* the distribution will not fix it */
};

struct bh_finding {
	char *id; /* "CVE-2024-1234", "BH-CFG-003", "BH-SECRET-AWS" */
	enum bh_finding_kind kind;
	enum bh_severity severity;
	double score; /* CVSS base score, or -1 */
	char *cvss_vector;
	char **aliases; /* NULL-terminated, or NULL */
	char *title;	/* one line */
	char *description;
	char *countermeasure; /* NIST SP 800-190 section served: "4.1.1" */
	char **references;    /* URLs, NULL-terminated, or NULL */

	/* where */
	int layer;	   /* 0-based layer, -1 for the image config / unknown */
	int removed_layer; /* secrets: 0-based layer that deleted it, or -1 */
	char *path;	   /* in the image, with a leading "/", or NULL */
	long line;	   /* 1-based line in `path`, or 0 */
	size_t pkg;	   /* index into the inventory, or SIZE_MAX */

	/* what to do */
	char **fixed_versions; /* NULL-terminated, or NULL */
	enum bh_fix_state fix_state;
	char *remediation;

	/* suppression */
	bool suppressed;
	char *suppressed_by;   /* "ignorefile", "vex", "skip-checks" */
	char *suppress_reason; /* the VEX justification or ignore-file comment */
};

struct bh_findings {
	struct bh_finding *v;
	size_t n, cap;
};

struct bh_finding *bh_findings_add(struct bh_findings *l); /* zeroed, layer = -1, pkg = SIZE_MAX */
void bh_findings_release(struct bh_findings *l);
void bh_finding_release(struct bh_finding *f);
const char *bh_finding_kind_name(enum bh_finding_kind k); /* "vulnerability", "config", ... */
const char *
bh_fix_state_name(enum bh_fix_state s); /* "fixed", "not-fixed", "wont-fix", "unknown" */

/* What a report describes: the image, its inventory, the findings (either may be NULL). */
struct bh_report {
	const struct bh_image *img;
	const struct bh_inventory *inv;
	const struct bh_findings *findings;
	const char *tool_version; /* BH_VERSION */
	const char *created;	  /* RFC 3339 UTC timestamp; NULL = now */
	const char *db_version;	  /* advisory store version/last update, or NULL */
};

/* bulkhead's own JSON report (schemaVersion 1): image, os, db, summary, findings. */
int bh_report_json(const struct bh_report *r, json_t **out, struct bh_error **err);
/* SARIF 2.1.0, as GitHub code scanning accepts it. */
int bh_report_sarif(const struct bh_report *r, json_t **out, struct bh_error **err);
/* CycloneDX 1.5 JSON: the SBOM, plus vulnerabilities[] when findings are given. */
int bh_report_cyclonedx(const struct bh_report *r, json_t **out, struct bh_error **err);
/* SPDX 2.3 JSON. */
int bh_report_spdx(const struct bh_report *r, json_t **out, struct bh_error **err);

#endif /* BULKHEAD_REPORT_H */
