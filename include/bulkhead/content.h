/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead content scanners: configuration defects (NIST SP 800-190
 * 4.1.2), embedded malware (4.1.3) and embedded clear-text secrets (4.1.4).
 *
 * One `struct bh_content` is a consumer of the shared image walk
 * (bh_image_walk_consumers): it sees every entry of every layer, reads the
 * content of the files it scans in chunks as they stream past, and keeps per
 * layer only what it found. bh_content_finish then turns that, the merged
 * filesystem and the package inventory into findings:
 *
 *   struct bh_content *c;
 *   bh_content_new(img, &opts, &c, &err);
 *   consumers = { bh_merge_consumer(m), <inventory>, bh_content_consumer(c) };
 *   bh_image_walk_consumers(img, &wo, consumers, 3, &err);
 *   bh_merge_finish(m, &merged, &err);
 *   bh_content_finish(c, merged, inv, &findings, &err);
 *   bh_content_free(c);
 *
 * Secrets and malware are searched in every layer, including files that a
 * later layer deletes or overwrites: a finding names the layer that added
 * the file (`layer`) and the one that removed it (`removed_layer`, -1 when it
 * is still in the final filesystem), since a deleted file stays in the image.
 * Secrets are never reported whole: a finding shows at most the first four
 * characters (never more than a quarter of the secret) and a SHA-256
 * fingerprint (12 hex digits).
 *
 * A secret in a file that an installed package put there unchanged (the
 * example and test keys of /usr/share/doc/<pkg>/examples, say) is the
 * distribution's, not one the image's author added: it is left out unless
 * secret_include_packaged asks for it (then LOW, naming the package in the
 * title, the description and `pkg`). "Installed unchanged" means: the
 * inventory (`inv`; without it nothing counts as packaged) lists the
 * package; its file checksum in the live database matches the file's
 * content (dpkg: info/<pkg>[:arch].md5sums or status.d/<pkg>.md5sums, MD5,
 * written no later than the layer where the installed version appeared;
 * apk: the Z: line of lib/apk/db/installed, SHA-1); rpm is not consulted.
 * Whoever can write the image can also forge its package database: the
 * check keeps noise out, it is not a proof of origin.
 *
 * Finding IDs are stable: BH-CFG-NNN (configuration checks, see
 * bh_content_checks), BH-SECRET-<KIND> (bh_content_secret_rules),
 * BH-MALWARE-<NAME> (a YARA rule's `id` meta, else BH-MALWARE-YARA-<rule>),
 * BH-MALWARE-HASH (the SHA-256 blocklist) and BH-MALWARE-CLAMAV.
 *
 * Layer indexes are 0-based here, 1-based for users (see image.h).
 * Ownership follows include/bulkhead/base.h.
 */
#ifndef BULKHEAD_CONTENT_H
#define BULKHEAD_CONTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/base.h"
#include "bulkhead/image.h"
#include "bulkhead/inventory.h"
#include "bulkhead/report.h"

#define BH_CONTENT_MAX_FILE_DEFAULT (16u << 20)

struct bh_content_opts {
	bool config, secrets, malware; /* which scanners run */
	/* Finding IDs not to emit, NULL-terminated; "BH-SECRET-*" (a trailing
	 * '*') matches every ID with that prefix. */
	const char *const *skip_checks;
	bool secret_binaries; /* scan binary files (NUL in the first 8 KiB) for secrets too */
	/* Report secrets in files an installed package put there unchanged
	 * (LOW, with the package); by default they are left out. */
	bool secret_include_packaged;
	/* Files larger than this are not searched for secrets or by YARA or
	 * ClamAV, and are counted in skipped_large (the hash blocklist still
	 * sees them). 0 = BH_CONTENT_MAX_FILE_DEFAULT. */
	uint64_t max_file_size;
	const char *yara_rules_dir; /* the user's own rules (*.yar, *.yara), or NULL */
	/* Our ruleset; NULL = bh_content_default_rules_dir(NULL). A missing
	 * default directory is a warning; a missing directory named here is an
	 * error. */
	const char *builtin_rules_dir;
	const char *hash_blocklist; /* a file of SHA-256 digests, one per line, or NULL */
	bool clamav;		    /* hand files to clamscan (a separate process), if installed */
	const char *clamscan;	    /* the clamscan program; NULL = "clamscan" from PATH */
	const char *clamav_db;	    /* clamscan --database (NULL = clamscan's default) */
	const char *tmpdir;	    /* where files for clamscan are staged; NULL = /var/tmp */
	const char *reference;	    /* the image reference the user typed (the `latest` check) */
	/* A directory for compiled vectorscan databases (src/content/compiled.c),
	 * made when first needed; NULL = compile every time. */
	const char *compiled_dir;
};

struct bh_content;

/*
 * Prepare the scanners for one walk of `img` (borrowed; it must outlive `c`):
 * compile the secret patterns, the YARA rules (builtin and the user's) and
 * read the hash blocklist. Fails on a rule that does not compile or a
 * blocklist line that is not a digest, naming the file and line.
 */
int bh_content_new(struct bh_image *img, const struct bh_content_opts *o, struct bh_content **out,
		   struct bh_error **err);
/* The consumer to add to bh_image_walk_consumers (owned by c). One walk per c. */
struct bh_consumer *bh_content_consumer(struct bh_content *c);
/*
 * After the walk: append the findings to `out`. `merged` is the final
 * filesystem of the same walk (required); `inv` may be NULL (package-based
 * checks then rely on files only). Runs clamscan if asked for. Call once.
 */
int bh_content_finish(struct bh_content *c, const struct bh_fileset *merged,
		      const struct bh_inventory *inv, struct bh_findings *out,
		      struct bh_error **err);

struct bh_content_stats {
	uint64_t files_scanned;	 /* files whose content was searched */
	uint64_t bytes_scanned;	 /* their bytes */
	uint64_t skipped_large;	 /* files over max_file_size */
	uint64_t skipped_binary; /* binary files not searched for secrets */
	uint64_t yara_scanned;	 /* files handed to YARA (after the literal prefilter) */
	uint64_t hashed;	 /* files hashed for the blocklist */
	uint64_t packaged;	 /* secrets in files a package installed unchanged */
};
void bh_content_stats(const struct bh_content *c, struct bh_content_stats *out);
void bh_content_free(struct bh_content *c);

/*
 * The builtin ruleset directory: `env` (the caller passes $BULKHEAD_RULES)
 * when set and non-empty, else rules/ beside the running executable, else
 * ../share/bulkhead/rules beside it (an installed bulkhead). NULL when none
 * exists. Caller frees.
 */
char *bh_content_default_rules_dir(const char *env);

/* ---- what the scanners report (for documentation and --help) ---------- */

struct bh_content_check {
	const char *id; /* "BH-CFG-001" */
	enum bh_finding_kind kind;
	enum bh_severity severity;  /* the usual severity (some findings raise or lower it) */
	const char *countermeasure; /* "4.1.2" */
	const char *title;
	const char *remediation;
};
/* Every configuration check, in ID order. */
const struct bh_content_check *bh_content_checks(size_t *n);
/* Every secret rule (kind BH_FIND_SECRET), in ID order. */
const struct bh_content_check *bh_content_secret_rules(size_t *n);

/* ---- one buffer, outside a walk (tests, fuzzing, other callers) -------- */

/*
 * Search (buf, len) for secrets (and with o->malware, YARA and the
 * blocklist) as if it were file `path` (with a leading "/" or not) of layer
 * 0, appending findings to `out`. `c` must not be walking.
 */
int bh_content_scan_buffer(struct bh_content *c, const char *path, const void *buf, size_t len,
			   struct bh_findings *out, struct bh_error **err);

/* ---- parsers of untrusted bytes (exposed for fuzzing and tests) -------- */

#define BH_CONTENT_MAX_PASSWD (4u << 20)

/*
 * The uid of user `name` in an /etc/passwd held in (buf, len): 1 and *uid
 * when found, 0 when not, negative on input over BH_CONTENT_MAX_PASSWD.
 * Malformed lines are skipped, as libc does.
 */
int bh_content_passwd_uid(const char *buf, size_t len, const char *name, uint32_t *uid,
			  struct bh_error **err);

/* What one history entry's created_by reveals. */
enum {
	BH_HIST_ADD_URL = 1 << 0,    /* ADD of a remote URL (without --checksum) */
	BH_HIST_PIPE_SHELL = 1 << 1, /* curl/wget output run by a shell */
	BH_HIST_SECRET = 1 << 2,     /* a NAME=value whose name says credential */
};
struct bh_history_issues {
	unsigned flags;
	char url[256];	   /* the ADD source (truncated) */
	char fetcher[256]; /* the downloading command of the pipe (truncated) */
	char name[128];	   /* the credential's variable name */
	char value[512];   /* its value (never printed; for fingerprinting) */
};
/* Analyse one created_by string (at most 64 KiB are read). Returns the flags. */
unsigned bh_content_history_check(const char *s, size_t len, struct bh_history_issues *out);

/* True when an environment/label name looks like it holds a credential. */
bool bh_content_credential_name(const char *name, size_t len);

/*
 * Files owned by packages, from a dpkg `info/<pkg>.list` (one absolute path
 * per line), a dpkg `info/<pkg>.md5sums` ("<32 hex digits>  <path>" per
 * line) or an apk `installed` database (P:, F:, R: and Z: lines): fn gets
 * each path without its leading "/", its length, the package (apk; NULL for
 * dpkg, whose caller knows it from the file name) and the file's checksum as
 * the database has it (md5sums: 32 lowercase hex digits; apk: "Q1" and the
 * base64 of the SHA-1), or NULL (.list, an apk file without Z:). All
 * borrowed for the call. Returns the number of paths, negative
 * (BH_ERR_LIMIT) on input over 64 MiB; malformed lines are skipped.
 */
typedef void (*bh_owned_fn)(const char *path, size_t n, const char *pkg, const char *sum,
			    void *data);
int bh_content_dpkg_list(const char *buf, size_t len, bh_owned_fn fn, void *data,
			 struct bh_error **err);
int bh_content_dpkg_md5sums(const char *buf, size_t len, bh_owned_fn fn, void *data,
			    struct bh_error **err);
int bh_content_apk_files(const char *buf, size_t len, bh_owned_fn fn, void *data,
			 struct bh_error **err);

#endif /* BULKHEAD_CONTENT_H */
