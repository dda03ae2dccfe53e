/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/vuln (and to its tests, fuzz targets and `bulkhead db`): the
 * advisory reader (OSV JSON/YAML, Alpine secdb) that turns untrusted bytes
 * into normalised records, the store's import internals, and the downloads of
 * `db update`.
 *
 * Ownership follows include/bulkhead/base.h.
 */
#ifndef BULKHEAD_VULN_STORE_INTERNAL_H
#define BULKHEAD_VULN_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lazy/sqlite3.h"

#include "bulkhead/base.h"
#include "bulkhead/vuln.h"

/* ---- limits ------------------------------------------------------------ */

#define BH_OSV_MAX_FILE	     (32u << 20) /* one record file (JSON or YAML) */
#define BH_OSV_MAX_YAML_NODE 1000000u	 /* nodes after alias expansion */
#define BH_OSV_MAX_DEPTH     64u
#define BH_OSV_MAX_ID	     256u  /* an advisory id or alias */
#define BH_OSV_MAX_NAME	     1024u /* a package name or an ecosystem */
#define BH_OSV_MAX_VERSION   1024u /* a version string in an event or versions[] */
#define BH_ZIP_MAX_ENTRIES   10000000u
#define BH_ZIP_MAX_TOTAL     (16ull << 30) /* uncompressed bytes of one archive */
#define BH_IMPORT_PROBLEMS   20u	   /* messages kept in bh_import_stats.problems */

/* ---- the store --------------------------------------------------------- */

#define BH_STORE_SCHEMA_VERSION 1

struct bh_store {
	sqlite3 *db;
	char *path;
};

/* ---- records ----------------------------------------------------------- */

/* One affected entry that names a package (entries with only GIT ranges and
 * no package are not kept: nothing can look them up). */
struct bh_osv_affected {
	const char *ecosystem; /* borrowed from the record's document */
	const char *name;      /* as written */
	char *key;	       /* the lookup name: PEP 503 for PyPI, else as written */
	bool own_severity;     /* the entry has its own "severity" array */
	enum bh_severity severity;
	double score; /* -1 when no CVSS */
	const char *cvss_vector;
	json_t *data; /* borrowed: the normalised affected object */
};

/*
 * A normalised advisory: an OSV object whose version strings are all strings
 * (YAML integers converted), checked against the schema's rules that matter
 * for matching, with severity computed. Strings are borrowed from `doc`.
 */
struct bh_osv_record {
	json_t *doc;	      /* owned */
	char *key;	      /* the store's primary key: the id, or id/ecosystem/name */
	const char *id;	      /* OSV id */
	const char *modified; /* NULL for synthesised records (Alpine secdb) */
	int64_t modified_us;
	const char *published;
	const char *withdrawn;
	const char *summary;
	const char *details;
	json_t *aliases;    /* owned array of strings: aliases + upstream, deduplicated */
	json_t *references; /* owned array of URL strings */
	enum bh_severity severity;
	double score;
	const char *cvss_vector;
	struct bh_osv_affected *affected;
	size_t naffected;
	bool synthetic; /* replaced when its content changes (it has no `modified`) */
};

/*
 * Normalise one OSV object. Takes a reference to doc (the caller keeps its
 * own). `synthetic_key` non-NULL: the record was synthesised (no `modified`
 * needed) and is stored under that key. BH_ERR_INVALID naming the field for a
 * record that breaks the rules (missing id/modified, bad range, bad version
 * for the ecosystem's scheme, ...).
 */
int bh_osv_record_from_json(json_t *doc, const char *synthetic_key, struct bh_osv_record *out,
			    struct bh_error **err);
void bh_osv_record_release(struct bh_osv_record *r);

/* The PEP 503 normal form of a PyPI name: lowercase, runs of -_. become "-". */
char *bh_osv_pypi_normalize(const char *name);
/* The lookup key of a package name in an ecosystem (PEP 503 for PyPI). */
char *bh_osv_package_key(const char *ecosystem, const char *name);

/* RFC 3339 time ("2024-01-02T03:04:05.123Z", "+01:00" offsets) to microseconds
 * since the epoch (digits past the sixth of a fraction are ignored). */
int bh_osv_parse_time(const char *s, int64_t *us);

/* What a parsed document is. */
enum bh_doc_kind {
	BH_DOC_UNKNOWN = 0,
	BH_DOC_OSV,	  /* one OSV object */
	BH_DOC_OSV_LIST,  /* a JSON array of OSV objects */
	BH_DOC_SECDB,	  /* Alpine secdb: distroversion + packages[] */
	BH_DOC_SECDB_PKG, /* one secdb package with its distroversion (vuln-list layout) */
};

/*
 * Parse (buf, len) as JSON (when the first non-blank byte is '{' or '[') or
 * YAML, with the record limits (size, YAML nodes after alias expansion,
 * depth). BH_ERR_LIMIT / BH_ERR_INVALID naming `what`.
 */
int bh_osv_parse_doc(const char *buf, size_t len, const char *what, json_t **out,
		     struct bh_error **err);
enum bh_doc_kind bh_osv_doc_kind(const json_t *doc);

/*
 * The records of an Alpine secdb document (BH_DOC_SECDB or BH_DOC_SECDB_PKG):
 * for each (package, advisory id) one synthesised OSV object with ECOSYSTEM
 * range(s) "introduced 0, fixed V" in ecosystem "Alpine:<distroversion>";
 * fixed version "0" ("not affected") entries produce nothing. fn gets either
 * a record document (problem NULL) or, for a package entry that cannot be
 * read, a message (doc NULL). fn's negative return stops the walk.
 * A document that is not secdb at all (no distroversion) fails here.
 */
typedef int (*bh_secdb_fn)(json_t *doc, const char *key, const char *problem, void *data,
			   struct bh_error **err);
int bh_secdb_records(const json_t *doc, const char *what, bh_secdb_fn fn, void *data,
		     struct bh_error **err);

/* ---- import internals -------------------------------------------------- */

/* What an update stores with the import, in the same transaction. */
struct bh_source_meta {
	const char *name;
	const char *kind; /* "import" or "update" */
	const char *url;
	const char *etag;
	const char *last_modified;
};

/* bh_vuln_store_import, recording `meta` (NULL: one "import" source per path, or
 * opts->source) as part of the same transaction. */
int bh_vuln_store_import_meta(struct bh_store *s, const char *const *paths, size_t npaths,
			      const struct bh_import_opts *opts, const struct bh_source_meta *meta,
			      struct bh_import_stats *stats, struct bh_error **err);

/* The same for one file already open as fd (taken), named `what` in messages;
 * meta is required. */
int bh_vuln_store_import_fd(struct bh_store *s, int fd, const char *what,
			    const struct bh_import_opts *opts, const struct bh_source_meta *meta,
			    struct bh_import_stats *stats, struct bh_error **err);

/* Remember that a source was checked and had not changed (HTTP 304). */
int bh_vuln_store_source_checked(struct bh_store *s, const char *name, const char *url,
				 struct bh_error **err);
/* The stored validators of a source (new strings or NULL). */
int bh_vuln_store_source_validators(struct bh_store *s, const char *name, char **etag,
				    char **last_modified, struct bh_error **err);

/* The update API (db update) is public: include/bulkhead/vuln.h. */

#endif /* BULKHEAD_VULN_STORE_INTERNAL_H */
