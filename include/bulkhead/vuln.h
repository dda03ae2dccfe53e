/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead vulnerabilities: version schemes, the advisory store (SQLite),
 * advisory import (OSV JSON/YAML, Alpine secdb), CVSS, and matching an
 * inventory against the store.
 *
 * Ownership follows include/bulkhead/base.h.
 */
#ifndef BULKHEAD_VULN_H
#define BULKHEAD_VULN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/base.h"

/* ---- version schemes --------------------------------------------------- */

enum bh_vscheme {
	BH_VS_DPKG = 1, /* Debian Policy 5.6.12, as dpkg --compare-versions */
	BH_VS_APK,	/* apk-tools */
	BH_VS_RPM,	/* rpmvercmp, [epoch:]version[-release]; any string */
	BH_VS_SEMVER,	/* SemVer 2.0; ranges in npm syntax, as node-semver */
	BH_VS_PEP440,	/* Python; specifiers "~=", "==", "!=", "<=", ">=", "<", ">", "===" */
	BH_VS_GO,	/* semver with a "v", pseudo-versions, +incompatible */
	BH_VS_MAVEN,	/* Maven ComparableVersion */
};

/* "dpkg"/"deb"/"debian", "apk"/"alpine", "rpm", "semver"/"npm", "pep440"/"pypi"/"python",
 * "go"/"golang", "maven". */
int bh_vscheme_parse(const char *name, enum bh_vscheme *out, struct bh_error **err);
const char *bh_vscheme_name(enum bh_vscheme s);
/* The scheme of an OSV ecosystem: "Debian:12" -> dpkg, "Ubuntu:22.04" -> dpkg,
 * "Alpine:v3.19" -> apk, "Red Hat:9"/"Rocky Linux"/"AlmaLinux" -> rpm, "npm" ->
 * semver, "crates.io" -> semver, "PyPI" -> pep440, "Go" -> go, "Maven" -> maven.
 * BH_ERR_UNSUPPORTED for others. */
int bh_vscheme_for_ecosystem(const char *ecosystem, enum bh_vscheme *out, struct bh_error **err);

/*
 * Reading versions and ranges. The native tools read more than their formats
 * allow: `dpkg --compare-versions` warns about a revision with '_' and still
 * compares it; rpmvercmp compares any two strings; node-semver's satisfies()
 * answers false for a range or a version it cannot read. bulkhead answers
 * wherever the scheme's native tool answers, with the tool's answer, and says
 * when it did so for an operand that is not well formed. The functions below
 * return:
 *   0               every operand is well formed;
 *   BH_VERSION_ODD  an operand is not well formed, but the native tool reads
 *                   it (often with a warning) and so do we: the answer is the
 *                   tool's; bh_version_check() and bh_version_check_range()
 *                   say what is odd about an operand;
 *   -1              the native tool refuses it too: *err is BH_ERR_INVALID
 *                   naming the text and the scheme, and nothing is answered
 *                   (never a string comparison instead).
 * A caller that matches packages never drops one for an odd version: it logs
 * it (at debug level) and goes on with the tool's answers.
 */
#define BH_VERSION_ODD 1

/* Is v a version of the scheme? 0, BH_VERSION_ODD (logged at debug level) or -1. */
int bh_version_validate(enum bh_vscheme s, const char *v, struct bh_error **err);
/* As bh_version_validate, silent; on BH_VERSION_ODD *why (when not NULL) gets
 * a new message naming v, the reason and the native tool, for the caller to
 * log and free ("dpkg version '1.0-a_b' is not well formed (invalid character
 * in revision number); read as dpkg --compare-versions reads it"), else NULL. */
int bh_version_check(enum bh_vscheme s, const char *v, char **why, struct bh_error **err);
/* *cmp = -1, 0 or 1 as a sorts before, equal to or after b. 0, BH_VERSION_ODD or -1. */
int bh_version_compare(enum bh_vscheme s, const char *a, const char *b, int *cmp,
		       struct bh_error **err);
/*
 * Is v in the range spec? Range syntax: npm ranges for BH_VS_SEMVER, PEP 440
 * specifier sets for BH_VS_PEP440; BH_ERR_UNSUPPORTED for the other schemes.
 * For semver, as node-semver's satisfies(): a range or a version it cannot
 * read is satisfied by nothing (*out = false, BH_VERSION_ODD).
 */
int bh_version_satisfies(enum bh_vscheme s, const char *spec, const char *v, bool *out,
			 struct bh_error **err);
/* Is spec a range of the scheme? 0, BH_VERSION_ODD (semver: node-semver cannot
 * read it, and nothing satisfies it) with a new message in *why as
 * bh_version_check() gives, or -1. */
int bh_version_check_range(enum bh_vscheme s, const char *spec, char **why, struct bh_error **err);

/* ---- severity and CVSS ------------------------------------------------- */

enum bh_severity {
	BH_SEV_UNKNOWN = 0,
	BH_SEV_LOW,
	BH_SEV_MEDIUM,
	BH_SEV_HIGH,
	BH_SEV_CRITICAL,
};

const char *bh_severity_name(enum bh_severity s); /* "UNKNOWN", "LOW", ... */
/* Case-insensitive; "moderate" and "important" are accepted as MEDIUM and HIGH. */
int bh_severity_parse(const char *s, enum bh_severity *out);
/* From a CVSS base score (0.1-3.9 LOW, 4.0-6.9 MEDIUM, 7.0-8.9 HIGH, 9.0+ CRITICAL). */
enum bh_severity bh_severity_from_score(double score);

/* The CVSS v3.0/v3.1 base score of a vector "CVSS:3.1/AV:N/AC:L/...", computed
 * per the specification (with its Roundup). BH_ERR_INVALID on a bad vector. */
int bh_cvss3_score(const char *vector, double *score, struct bh_error **err);
/* The CVSS v4.0 base score of a vector "CVSS:4.0/AV:N/...". */
int bh_cvss4_score(const char *vector, double *score, struct bh_error **err);

/* ---- the advisory store ------------------------------------------------- */

struct bh_store;

/* $BULKHEAD_DB, else $XDG_CACHE_HOME/bulkhead/db.sqlite (~/.cache when unset)
 * for a user, /var/lib/bulkhead/db.sqlite for root. `override` (--db) wins. */
char *bh_vuln_store_default_path(const char *override);
/* Open (creating and migrating when `create`), WAL mode. */
int bh_vuln_store_open(const char *path, bool create, struct bh_store **out, struct bh_error **err);
void bh_vuln_store_close(struct bh_store *s);

struct bh_import_opts {
	bool strict;	    /* a malformed record fails the import */
	const char *source; /* a name for the source (default: the path) */
	volatile int *cancel;
};

struct bh_import_stats {
	uint64_t files;
	uint64_t records; /* advisories read */
	uint64_t inserted;
	uint64_t updated;   /* a newer `modified` replaced an older record */
	uint64_t unchanged; /* same or older `modified`: kept as it was */
	uint64_t malformed; /* skipped (or fatal with strict) */
	uint64_t withdrawn;
	char **problems; /* the first malformed records' messages, NULL-terminated */
};

/*
 * Import OSV JSON files, directories of them, .zip archives of them (the OSV
 * per-ecosystem all.zip layout), OSV YAML (PyPA advisory database layout) and
 * Alpine secdb YAML (detected from content). Atomic: one transaction; on any
 * failure (or a kill) the store keeps its previous contents.
 */
int bh_vuln_store_import(struct bh_store *s, const char *const *paths, size_t npaths,
			 const struct bh_import_opts *opts, struct bh_import_stats *stats,
			 struct bh_error **err);
void bh_import_stats_release(struct bh_import_stats *st);

/* Sources, record counts per ecosystem, last update, schema version. */
int bh_vuln_store_info(struct bh_store *s, json_t **out, struct bh_error **err);

/* One affected entry of one advisory, as matching needs it. Borrowed by the
 * callback for the duration of the call. */
struct bh_advisory {
	const char *id;		    /* "CVE-2024-1234", "GHSA-...", "PYSEC-...", "DEBIAN-CVE-..." */
	const char *const *aliases; /* NULL-terminated */
	const char *summary;
	const char *details;
	const char *modified;
	const char *published;
	enum bh_severity severity;     /* most specific known: CVSS, else database severity */
	double score;		       /* CVSS base score, or -1 */
	const char *cvss_vector;       /* or NULL */
	const char *const *references; /* URLs, NULL-terminated */
	const char *ecosystem;	       /* of this affected entry */
	const char *package;	       /* of this affected entry */
	const json_t *affected;	       /* the OSV "affected" object: ranges, versions,
					  ecosystem_specific, database_specific */
	const char *source;	       /* which import it came from */
};

typedef int (*bh_advisory_fn)(const struct bh_advisory *a, void *data, struct bh_error **err);

/* Every non-withdrawn advisory with an affected entry for (ecosystem, package). */
int bh_vuln_store_query(struct bh_store *s, const char *ecosystem, const char *package,
			bh_advisory_fn fn, void *data, struct bh_error **err);

/*
 * Does the OSV affected object cover `version`? Implements the OSV schema's
 * range semantics exactly: "versions" lists; ECOSYSTEM and SEMVER ranges with
 * introduced / fixed / last_affected / limit events (GIT ranges are ignored).
 * Sets *fixed to a new string of the fixed version that applies (or NULL).
 */
int bh_osv_affects(const json_t *affected, enum bh_vscheme scheme, const char *version, bool *out,
		   char **fixed, struct bh_error **err);

/* ---- db update: conditional downloads of advisory sources ------------- */

struct bh_update_source {
	char *name;
	char *url;
};

struct bh_update_sources {
	struct bh_update_source *v;
	size_t n;
};

/* The default sources: the OSV per-ecosystem exports. */
void bh_update_default_sources(struct bh_update_sources *out);
/*
 * A sources file: one source per line, "NAME URL" (or just "URL", named after
 * its path), '#' comments and blank lines ignored. URLs must be https://.
 */
int bh_update_sources_parse(const char *buf, size_t len, const char *what,
			    struct bh_update_sources *out, struct bh_error **err);
void bh_update_sources_release(struct bh_update_sources *s);

struct bh_update_opts {
	const char *cacert;   /* CA bundle file, or NULL for the system's */
	uint64_t max_bytes;   /* largest download (0: 4 GiB) */
	long connect_timeout; /* seconds (0: 30) */
	bool strict;	      /* as bh_import_opts.strict */
	volatile int *cancel;
};

struct bh_update_result {
	char *name;
	char *url;
	long http_status; /* 0 when no answer */
	bool not_modified;
	uint64_t bytes;
	struct bh_import_stats stats;
	struct bh_error *error; /* this source failed (the others went on) */
};

/*
 * For each source: a conditional GET (If-None-Match / If-Modified-Since from
 * the validators stored for it), the body into a temporary file beside the
 * store, imported in one transaction together with the new validators. An
 * unchanged source costs one request (304) and imports nothing. results gets
 * one entry per source. Returns the number of sources that failed (0: all
 * ok), or -1 when nothing could be tried.
 */
int bh_vuln_store_update(struct bh_store *s, const struct bh_update_sources *src,
			 const struct bh_update_opts *opts, struct bh_update_result **results,
			 struct bh_error **err);
void bh_update_results_free(struct bh_update_result *r, size_t n);

/*
 * Record a scan result by image digest; ask for the latest one. The latest
 * comes back as {"digest", "scanned_at", "db_version", "summary"}; with no
 * recorded scan, *out is set to NULL and 0 is returned.
 */
int bh_vuln_store_record_scan(struct bh_store *s, const char *digest, const json_t *summary,
			      struct bh_error **err);
int bh_vuln_store_last_scan(struct bh_store *s, const char *digest, json_t **out,
			    struct bh_error **err);

#endif /* BULKHEAD_VULN_H */
