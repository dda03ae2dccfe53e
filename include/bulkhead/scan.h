/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead scanning: match an inventory against the advisory store and
 * suppress what the user says to (ignore file, OpenVEX). The CLI's
 * `bulkhead scan` is this, in order: bh_image_open -> bh_inventory_collect ->
 * bh_vuln_match -> bh_suppress_* -> a report writer (include/bulkhead/report.h).
 *
 * Ownership follows include/bulkhead/base.h.
 */
#ifndef BULKHEAD_SCAN_H
#define BULKHEAD_SCAN_H

#include <stdbool.h>
#include <time.h>

#include "bulkhead/base.h"
#include "bulkhead/inventory.h"
#include "bulkhead/report.h"
#include "bulkhead/vuln.h"

/* ---- matching ------------------------------------------------------------ */

struct bh_match_stats {
	size_t packages;     /* packages looked up */
	size_t unsupported;  /* packages whose ecosystem has no version scheme */
	size_t bad_versions; /* packages whose version does not parse (reported as warnings) */
	size_t advisories;   /* advisory entries evaluated */
};

/*
 * Append one finding per (package, vulnerability) to `out`. OS packages are
 * looked up in their distribution release's ecosystem by source package name
 * and compared by source version, so a backported fix in the distribution is
 * never reported; language packages by name in their ecosystem. Advisories
 * that share an id or alias for the same package are merged into one finding
 * (aliases united, the most specific severity kept, fixed versions united).
 */
int bh_vuln_match(struct bh_store *store, const struct bh_inventory *inv, struct bh_findings *out,
		  struct bh_match_stats *stats, struct bh_error **err);

/* ---- suppression --------------------------------------------------------- */

struct bh_ignore_entry {
	char *id;
	time_t expires; /* 0 = never */
	char *reason;	/* the comment after '#', or NULL */
	long line;
};

struct bh_ignorelist {
	struct bh_ignore_entry *v;
	size_t n;
};

/*
 * An ignore file: one finding ID (or alias) per line, optionally followed by
 * `exp:YYYY-MM-DD` (the entry stops applying after that day, UTC) and a `#`
 * comment that becomes the reason; blank lines and `#` lines are skipped.
 */
int bh_ignore_parse(const char *buf, size_t len, const char *what, struct bh_ignorelist *out,
		    struct bh_error **err);
void bh_ignore_release(struct bh_ignorelist *l);
/* Mark matching findings suppressed (by "ignorefile"); expired entries are
 * reported through bh_warn and do not apply. Returns how many were suppressed. */
size_t bh_ignore_apply(const struct bh_ignorelist *l, time_t now, struct bh_findings *f);

struct bh_vex_statement {
	char *vulnerability;  /* name (an ID) */
	char **aliases;	      /* the vulnerability's other names, NULL-terminated or NULL */
	char **products;      /* product @ids (purls or image references), NULL = any */
	char **subcomponents; /* purls, NULL = any */
	char *status;	      /* not_affected, affected, fixed, under_investigation */
	char *justification;
	char *impact_statement;
};

struct bh_vex {
	struct bh_vex_statement *v;
	size_t n;
};

/* OpenVEX JSON (v0.2.0 and the earlier v0.0.1 layout). */
int bh_vex_parse(const char *buf, size_t len, const char *what, struct bh_vex *out,
		 struct bh_error **err);
void bh_vex_release(struct bh_vex *v);
/*
 * `not_affected` and `fixed` statements suppress (by "vex") the findings they
 * name, with the justification (or impact statement) as the reason. A
 * statement applies to a finding when its vulnerability is the finding's id
 * or an alias, and its products (or subcomponents) name the package's purl
 * (compared without version qualifiers when the statement has none) or the
 * image (by digest). Returns how many were suppressed.
 */
size_t bh_vex_apply(const struct bh_vex *v, const struct bh_image *img,
		    const struct bh_inventory *inv, struct bh_findings *f);

#endif /* BULKHEAD_SCAN_H */
