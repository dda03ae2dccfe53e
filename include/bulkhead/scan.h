/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead scanning. One call, bh_scan_image, is the whole pipeline that
 * `bulkhead scan` and `bulkhead sbom` run, and that the admission webhook,
 * the node agent and the controller will run:
 *
 *   open      bh_image_open(ref), unless the caller hands in an open image
 *   walk      one pass over the layers, each verified and decompressed once,
 *             feeding the merged view, the inventory and the content
 *             scanners that are on (bh_image_walk_consumers); a layer
 *             analysed before with the same scanners and options comes from
 *             the layer cache instead (see below), unread
 *   finish    the merged view; the inventory, in which the merged view
 *             decides what is installed for one layer as for many; the
 *             configuration, secret and malware findings
 *   stale     the image's age, its tag's drift, its base (BH_SCAN_STALE)
 *   match     the inventory against the advisory store (BH_SCAN_VULN): one
 *             finding per (package, vulnerability); a package whose version
 *             its scheme cannot read is still looked up, logged at debug
 *             and counted (stats.match.bad_versions), never dropped
 *   suppress  the ignore list and the OpenVEX documents given in the options,
 *             parsed or as paths; the library reads no file it is not named
 *             (the CLI decides that ./.bulkheadignore is the default)
 *   filter    severities and ignore_unfixed: findings dropped from the result
 *   gate      fail_on: whether a finding at or above it is left, as data
 *             (gate_failed); what it means (an exit code, a denied
 *             admission) is the caller's
 *   record    the summary (bh_scan_summary) in the store under the image
 *             digest, when asked: best effort, a failure is a warning
 *
 * Cancellation: opts->cancel is polled by the walk and between the stages;
 * once set, bh_scan_image fails with "cancelled" (BH_ERR_USAGE) and leaves
 * nothing behind.
 *
 * Ownership follows include/bulkhead/base.h: the options and everything
 * they point to are borrowed for the call; the result owns its inventory
 * and findings, and its image when bh_scan_image opened it (from `ref`); an
 * image the caller hands in stays the caller's and must outlive the result.
 * A caller may take a member (setting it to NULL, or zeroing `findings`)
 * before bh_scan_result_free.
 */
#ifndef BULKHEAD_SCAN_H
#define BULKHEAD_SCAN_H

#include <stdbool.h>
#include <time.h>

#include "bulkhead/base.h"
#include "bulkhead/content.h"
#include "bulkhead/image.h"
#include "bulkhead/inventory.h"
#include "bulkhead/report.h"
#include "bulkhead/vuln.h"

/* ---- matching ------------------------------------------------------------ */

struct bh_match_stats {
	size_t packages;    /* packages looked up */
	size_t unsupported; /* packages whose ecosystem has no version scheme */
	/* packages whose version their scheme cannot read: still looked up (an
	 * advisory's versions[] list can name them), logged at debug */
	size_t bad_versions;
	size_t advisories; /* advisory entries evaluated */
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

/* ---- stale images (NIST SP 800-190 4.2.2) ---------------------------------- */

#define BH_STALE_MAX_AGE_DAYS 90

struct bh_stale_opts {
	unsigned max_age_days;		       /* BH-STALE-AGE past this; 0 = 90 */
	const char *base;		       /* BH-STALE-BASE: the base IMAGE, or NULL */
	const struct bh_image_open_opts *open; /* the registry options (drift, base) */
	time_t now;			       /* 0 = now */
};

/*
 * Append the stale-image findings of `img` (kind BH_FIND_STALE, MEDIUM,
 * countermeasure 4.2.2) to `out`:
 *   BH-STALE-AGE    config `created` older than max_age_days (the Unix epoch,
 *                   a reproducible build's fixed date, is an unknown age);
 *   BH-STALE-DRIFT  the tag of img->source_ref names another digest than
 *                   img->source_digest in the registry now, or is gone (one
 *                   HEAD; an unreachable registry is a warning, logged);
 *   BH-STALE-BASE   given `base`, the base's diff_ids are not a prefix of
 *                   the image's (a base that cannot be opened is an error).
 */
int bh_scan_stale(const struct bh_image *img, const struct bh_stale_opts *o,
		  struct bh_findings *out, struct bh_error **err);
/* ---- the layer cache ------------------------------------------------------- */

/*
 * The walk's layer cache (include/bulkhead/image.h says what is kept and
 * why a hit is as good as a read) in a SQLite file of its own beside the
 * advisory database: what the merged view, the inventory and the content
 * scanners made of each layer, by the layer's diff_id, the scanners' options
 * and bulkhead's version. Matching against advisories is never cached: it
 * runs on every scan, against the store as it is then. Bounded: after each
 * scan the least recently used parts are evicted down to a maximum (kept in
 * the file; BH_LAYER_CACHE_MAX_DEFAULT until set). Scans may run at once.
 */
#define BH_LAYER_CACHE_MAX_DEFAULT (2ull << 30)

struct bh_layer_cache;

/* The cache file of the advisory database at db_path: "X.sqlite" ->
 * "X.layers.sqlite", else "<db_path>.layers". New string (NULL for NULL). */
char *bh_layer_cache_path(const char *db_path);
/* Open the file (creating it, 0600, and its directory when `create`). */
int bh_layer_cache_open(const char *path, bool create, struct bh_layer_cache **out,
			struct bh_error **err);
void bh_layer_cache_close(struct bh_layer_cache *c);
/* What a walk uses (bh_walk_opts.cache); valid while c is open. */
const struct bh_walk_cache *bh_layer_cache_walk(struct bh_layer_cache *c);
/* Mix `salt` into every key (tests: a different one never hits). */
void bh_layer_cache_set_salt(struct bh_layer_cache *c, const char *salt);
/* {"path", "layers" (distinct diff_ids), "parts", "bytes" (of the parts),
 * "file_bytes", "max_bytes", "other_versions" (parts no longer readable),
 * "oldest_use", "newest_use"}. */
int bh_layer_cache_info(struct bh_layer_cache *c, json_t **out, struct bh_error **err);

struct bh_layer_cache_prune_opts {
	bool all;	    /* remove everything */
	bool set_max;	    /* keep max_bytes as the cache's maximum from now on */
	uint64_t max_bytes; /* with set_max */
};

struct bh_layer_cache_prune_stats {
	uint64_t removed, removed_bytes; /* parts removed */
	uint64_t parts, bytes;		 /* left */
	uint64_t max_bytes;		 /* the maximum now */
};

/* Remove what another bulkhead version stored, then the least recently used
 * parts down to the maximum (or everything); the file shrinks. opts may be NULL. */
int bh_layer_cache_prune(struct bh_layer_cache *c, const struct bh_layer_cache_prune_opts *opts,
			 struct bh_layer_cache_prune_stats *st, struct bh_error **err);

/* ---- the pipeline ---------------------------------------------------------- */

/* The scanners, as bits of bh_scan_opts.scanners. */
enum {
	BH_SCAN_VULN = 1 << 0,	  /* known vulnerabilities of the packages (4.1.1) */
	BH_SCAN_CONFIG = 1 << 1,  /* configuration defects (4.1.2) */
	BH_SCAN_SECRET = 1 << 2,  /* clear-text secrets (4.1.4) */
	BH_SCAN_MALWARE = 1 << 3, /* malware (4.1.3) */
	/*
	 * Stale images (4.2.2): bh_scan_stale. Not in BH_SCAN_ALL: it asks the
	 * registry (drift) and the clock (age), so a scan of the same image
	 * would change from day to day and reach for the network unasked.
	 */
	BH_SCAN_STALE = 1 << 4,
};
#define BH_SCAN_ALL (BH_SCAN_VULN | BH_SCAN_CONFIG | BH_SCAN_SECRET | BH_SCAN_MALWARE)

struct bh_scan_opts {
	/* Which scanners run; 0 = none: the inventory alone (an SBOM). */
	unsigned scanners;
	unsigned threads;     /* layers read in parallel; 0 = one per online CPU */
	volatile int *cancel; /* optional: set non-zero to stop */

	const struct bh_image_open_opts *open;	   /* opening `ref`; NULL = defaults */
	const struct bh_inventory_opts *inventory; /* NULL = defaults */
	/* The content scanners' options (rules, limits, skip list); NULL =
	 * defaults. Its config/secrets/malware flags are ignored: `scanners`
	 * decides. Its `reference` defaults to `ref`. */
	const struct bh_content_opts *content;

	/* The advisory store, for BH_SCAN_VULN and `record`: a handle, or a
	 * path the call opens and closes. */
	struct bh_store *store;
	const char *store_path;

	/* The layer cache: a handle, or a path the call opens (creating it)
	 * and closes; neither: every layer is read. A cache that cannot be
	 * opened is a warning, never the scan's failure. */
	struct bh_layer_cache *cache;
	const char *cache_path;

	/* Suppression: any of these may be given, all apply. */
	const struct bh_ignorelist *ignore; /* a parsed ignore list */
	const char *ignore_file;	    /* an ignore file to read (at most 16 MiB) */
	const struct bh_vex *const *vex;    /* parsed OpenVEX documents, NULL-terminated */
	const char *const *vex_files; /* OpenVEX files to read (64 MiB each), NULL-terminated */
	time_t now;		      /* ignore-file expiry is checked at; 0 = now */

	/* The filter: findings left out of the result. */
	unsigned severities; /* bits (1u << BH_SEV_*) to keep; 0 = every severity */
	bool ignore_unfixed; /* drop vulnerabilities without a fixed version */

	/* The gate: gate_failed when a finding not suppressed has a known
	 * severity of at least fail_on. */
	bool fail_on_set;
	enum bh_severity fail_on;

	bool record; /* record the summary in the store (needs a store) */

	/* BH_SCAN_STALE: see bh_stale_opts (its `open` is `open`, its `now` is `now`) */
	unsigned max_age_days; /* 0 = BH_STALE_MAX_AGE_DAYS */
	const char *base;      /* the base image, or NULL */
};

struct bh_scan_stats {
	struct bh_match_stats match;		 /* BH_SCAN_VULN */
	struct bh_content_stats content;	 /* the content scanners */
	size_t suppressed_ignore;		 /* findings suppressed by the ignore list */
	size_t suppressed_vex;			 /* ... by VEX statements */
	size_t filtered;			 /* findings dropped by the filter */
	size_t reported;			 /* findings in the result, not suppressed */
	size_t suppressed;			 /* findings in the result, suppressed */
	size_t by_severity[BH_SEV_CRITICAL + 1]; /* of the reported */
	bool recorded;				 /* the summary is in the store */
	bool cache_used;			 /* the layer cache was open for the walk */
	size_t layers_cached;			 /* layers taken from it */
};

struct bh_scan_result {
	struct bh_image *img;	  /* the image scanned */
	struct bh_inventory *inv; /* its packages and OS */
	/* Vulnerabilities (in package order), then configuration, secret and
	 * malware findings; suppressed ones are kept, marked. */
	struct bh_findings findings;
	struct bh_scan_stats stats;
	bool gate_failed;
	bool owns_img; /* img was opened by bh_scan_image */
};

/*
 * Scan the image `img` (borrowed) or, when img is NULL, the image at `ref`
 * (anything bh_image_open reads; opened with opts->open). On success *out
 * is a new result; a failure of any stage fails the call (warnings about
 * single files, advisories or the store record do not).
 */
int bh_scan_image(struct bh_image *img, const char *ref, const struct bh_scan_opts *opts,
		  struct bh_scan_result **out, struct bh_error **err);
void bh_scan_result_free(struct bh_scan_result *r);

/* What the store records of a scan: {"tool", "packages", "suppressed",
 * "bySeverity": {"UNKNOWN": n, ... "CRITICAL": n}}. */
json_t *bh_scan_summary(const struct bh_scan_result *r);

#endif /* BULKHEAD_SCAN_H */
