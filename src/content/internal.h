/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/content. The files and who calls whom:
 *
 *   content.c       the walk consumer: per-layer state, the one vectorscan
 *                   pass over each file (secret candidates and YARA literals
 *                   at once), secret confirmation, YARA, hashes, captures
 *   finish.c        bh_content_finish: the layers' hits followed across the
 *                   layers and turned into findings; runs the checks
 *   packaged.c      which secrets are in files a package installed unchanged
 *   secret_rules.c  the secret rules and their patterns, as tables (data)
 *   secrets.c       confirming a secret candidate
 *   malware.c       YARA rule sets and the hash blocklist
 *   clamav.c        staging files for clamscan, and running it
 *   checks.c        the configuration checks' table, image config, history,
 *                   packages (checks.h is private to the checks' files)
 *   checks_files.c  checks of the merged filesystem; what the walk captures
 *   credfiles.c     credentials in tools' configuration files
 *   parse.c         parsers of untrusted bytes behind the checks (fuzzed)
 *   shared.c        the leaf: hit and capture lists, path hashes, text
 *                   helpers, merged-view lookups
 *
 * Every symbol exported by these files starts with content_ (or bh_).
 */
#ifndef BULKHEAD_CONTENT_INTERNAL_H
#define BULKHEAD_CONTENT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lazy/hs.h"
#include "lazy/pcre2.h"
#include "bulkhead/content.h"
#include "bulkhead/vuln.h"

/* Bound of the texts we build (titles, descriptions, pattern lists). */
#define TEXT_MAX (16u << 20)
/* YARA rule sets: ours and the user's. */
#define CONTENT_MAX_SETS 2
/* Secret patterns at most (per-pattern state is kept in arrays this long). */
#define CONTENT_MAX_PATTERNS 64

/* ---- hits: what the scanners found, before it becomes a finding (shared.c) -- */

/*
 * One thing found in one file of one layer. bh_content_finish groups hits
 * with the same (id, fingerprint, path) over the layers, works out where
 * each was removed, and turns each group into one finding.
 */
struct hit {
	char *id;
	enum bh_finding_kind kind;
	enum bh_severity severity;
	char *title;
	char *description;
	const char *remediation; /* static text */
	const char *countermeasure;
	char *path; /* without a leading "/" */
	long line;
	unsigned layer;
	char fp[32]; /* fingerprint: same secret / same match */
	size_t pkg;
	/* Secrets: digests of the whole file, for the package check (packaged.c). */
	bool sums;
	unsigned char md5[16], sha1[20];
	/* A hit loaded from the layer cache owns its remediation and
	 * countermeasure texts (the pointers above point to these). */
	char *own_remediation, *own_countermeasure;
};

struct hitlist {
	struct hit *v;
	size_t n, cap;
};

struct hit *content_hitlist_add(struct hitlist *l); /* zeroed, pkg = SIZE_MAX */
void content_hitlist_release(struct hitlist *l);

/* A small file kept for the configuration checks, or for the package check of
 * secrets (the package databases' lists of file checksums). */
enum capture_kind {
	CAP_PASSWD = 1,
	CAP_DPKG_LIST,
	CAP_APK_DB,
	CAP_CRED,	  /* a tool's credentials file (.npmrc, .docker/config.json...) */
	CAP_DPKG_MD5SUMS, /* dpkg info/<pkg>.md5sums, status.d/<pkg>.md5sums (secrets) */
};

struct capture {
	char *path;
	unsigned layer;
	enum capture_kind kind;
	char *data; /* NUL-terminated after len bytes */
	size_t len;
};

struct capturelist {
	struct capture *v;
	size_t n, cap;
};

struct capture *content_caplist_add(struct capturelist *l); /* zeroed */
void content_caplist_release(struct capturelist *l);

/* A file hashed for the setuid-shell check. */
struct hashed {
	char *path;
	unsigned layer;
	struct bh_digest d;
};

struct hashedlist {
	struct hashed *v;
	size_t n, cap;
};

struct hashed *content_hashedlist_add(struct hashedlist *l); /* zeroed */
void content_hashedlist_release(struct hashedlist *l);

/* Sets of 64-bit path hashes: push, sort once, then look up. */
struct content_u64v {
	uint64_t *v;
	size_t n, cap;
};

void content_u64v_push(struct content_u64v *a, uint64_t x);
void content_u64v_sort(struct content_u64v *a);
bool content_u64v_has(const struct content_u64v *a, uint64_t x);
void content_u64v_release(struct content_u64v *a);
/* A keyed 64-bit hash of (p, n): `seed` random per scan, so that hostile
 * names cannot be made to collide. */
uint64_t content_path_hash(uint64_t seed, const char *p, size_t n);

/* ---- text helpers (shared.c) ---------------------------------------------- */

/* Shannon entropy in bits per byte. */
double content_entropy(const unsigned char *p, size_t n);
/* At most 4 characters (never more than a quarter of n) and an ellipsis. */
void content_redact(const unsigned char *p, size_t n, char *out, size_t outsz);
/* The first 12 hex digits of SHA-256(p, n). */
void content_fingerprint(const void *p, size_t n, char out[13]);
/* Placeholder values: "changeme", "${VAR}", "<password>", "xxxx"... */
bool content_looks_placeholder(const unsigned char *p, size_t n);
/* (p, n) is w, or contains w, ignoring ASCII case. */
bool content_ieq(const unsigned char *p, size_t n, const char *w);
bool content_icontains(const unsigned char *p, size_t n, const char *w);
/* What follows the last '/' of p. */
const char *content_basename(const char *p);

/* ---- the merged view (shared.c) ------------------------------------------- */

/* Binary search of the merged view (fs may be NULL). */
const struct bh_file *content_merged_find(const struct bh_fileset *fs, const char *path);
/* Symlinked directories of `path` resolved through the merged view
 * ("bin/su" -> "usr/bin/su" when bin -> usr/bin); the last component is
 * left alone. Caller frees. */
char *content_resolve_dirs(const struct bh_fileset *fs, const char *path);
/* The capture of `path` whose layer is the one the merged view holds. */
const struct capture *content_live_capture(const struct capturelist *caps,
					   const struct bh_fileset *merged, const char *path);

/* ---- secret rules (secret_rules.c: the tables; secrets.c: confirmations) -- */

enum content_secret_rule {
	SR_PRIVATE_KEY,
	SR_PRIVATE_KEY_ENC,
	SR_AWS_ID,
	SR_AWS_SECRET,
	SR_GITHUB,
	SR_GITLAB,
	SR_SLACK,
	SR_SLACK_WEBHOOK,
	SR_STRIPE,
	SR_GOOGLE,
	SR_NPM,
	SR_PYPI,
	SR_JWT,
	SR_GENERIC,
	SR_URL,
	SR_COUNT,
};

/* How secrets.c confirms a candidate. */
enum content_confirm {
	CONFIRM_PEM,	    /* a PEM or OpenSSH private key block with a real body */
	CONFIRM_AWS_ID,	    /* an access key ID; CRITICAL with its secret key nearby */
	CONFIRM_AWS_SECRET, /* secret_access_key = <40 base64 characters> */
	CONFIRM_TOKEN,	    /* fixed-size token: boundaries + entropy of the random part */
	CONFIRM_PCRE,	    /* the pattern's PCRE2 expression, anchored at the candidate */
	CONFIRM_JWT,	    /* three base64url parts, a header with "alg" or "typ" */
	CONFIRM_GENERIC,    /* password = value: not code, not a placeholder, random enough */
	CONFIRM_URL,	    /* scheme://user:password@host, not a placeholder */
};

/* One vectorscan pattern of a secret rule; the candidate is where it ends. */
struct content_secret_pattern {
	enum content_secret_rule rule;
	const char *re;	 /* vectorscan expression */
	unsigned flags;	 /* HS_FLAG_* */
	int prefix;	 /* bytes the pattern matched when fixed-length, else -1 */
	unsigned budget; /* confirmations tried per file at most */
	enum content_confirm confirm;
	int skip;	      /* CONFIRM_TOKEN: bytes of fixed prefix not counted for entropy */
	const char *pcre;     /* CONFIRM_PCRE: the whole secret, anchored at the start */
	enum bh_severity sev; /* the rule's severity unless 0 */
	const char *kind;     /* a word for the title ("live", "test"), or NULL */
};

size_t content_secret_npatterns(void);
/* compiled.c: compile (n == 0: *out = NULL), or take the database from
 * cache_dir (NULL: none) where it was compiled before, and keep it there. */
int content_compile_db(const char *cache_dir, const char *const *res, const unsigned *flags,
		       const unsigned *ids, size_t n, unsigned mode, hs_database_t **out,
		       struct bh_error **err);
const struct content_secret_pattern *content_secret_pattern(size_t i);
/* The row of a rule (static): id, severity, title, remediation. */
const struct bh_content_check *content_secret_rule(int rule);
/* Rules that guess (assignments, JWTs) rather than recognise a format. */
bool content_secret_rule_low_confidence(int rule);
/* Trees of third-party packages (node_modules, site-packages, /usr/share/doc,
 * ...): the low-confidence rules do not look there. */
bool content_third_party_path(const char *path);

/* A confirmed secret. Nothing of the secret itself is kept but `shown`. */
struct secret_found {
	size_t start, end; /* where it is in the buffer */
	int rule;
	enum bh_severity severity;
	char shown[16];	  /* at most 4 characters and an ellipsis */
	char fp[13];	  /* 12 hex digits of its SHA-256 */
	char detail[160]; /* more words for the description */
	char kind[64];	  /* "RSA", "live", the variable name, the URL's scheme and host */
};

struct secrets; /* the compiled PCRE2 confirmations */
int content_secrets_new(struct secrets **out, struct bh_error **err);
void content_secrets_free(struct secrets *s);
pcre2_match_data *content_secrets_match_data(void); /* one per thread; pcre2_match_data_free */
/*
 * Confirm a candidate of pattern `pat` that ends at `end` in (buf, len).
 * Fills *f and returns true when it is a secret.
 */
bool content_secret_confirm(const struct secrets *s, int pat, const unsigned char *buf, size_t len,
			    size_t end, pcre2_match_data *md, struct secret_found *f);

/* ---- YARA, blocklist (malware.c), ClamAV (clamav.c) --------------------- */

struct malware;
struct malware_thread; /* per-thread scanning state */

/* Compile the rule sets and read the blocklist (per opts). */
int content_malware_new(const struct bh_content_opts *o, struct malware **out,
			struct bh_error **err);
void content_malware_free(struct malware *m);
size_t content_malware_nsets(const struct malware *m);
bool content_malware_set_prefiltered(const struct malware *m, size_t set);
bool content_malware_has_yara(const struct malware *m);
bool content_malware_has_blocklist(const struct malware *m);
/* "sha256:..." of what the hits depend on: the sets' directories, the rule
 * files' names and bytes, the blocklist ("" without malware scanning). */
const char *content_malware_fingerprint(const struct malware *m);
/* The literals of prefiltered sets, for the vectorscan databases. */
struct literal {
	char *re; /* escaped for vectorscan */
	unsigned flags;
	size_t set;
};
void content_malware_literals(const struct malware *m, const struct literal **v, size_t *n);

int content_malware_thread_new(struct malware *m, struct malware_thread **out,
			       struct bh_error **err);
void content_malware_thread_free(struct malware_thread *t);
/*
 * Scan one file with the YARA sets that need it (`set_hit[i]` says a
 * literal of prefiltered set i occurred). Hits are appended to `out`.
 * Returns the number of sets run.
 */
size_t content_malware_scan(struct malware_thread *t, const bool *set_hit, const char *path,
			    unsigned layer, const void *buf, size_t len, struct hitlist *out);
/* Blocklist lookup of a file's digest; appends a hit when listed. */
void content_malware_hash_check(const struct malware *m, const struct bh_digest *d,
				const char *path, unsigned layer, struct hitlist *out);

/* ClamAV: files are staged in a private directory during the walk. */
struct clam;
int content_clam_new(const struct bh_content_opts *o, struct clam **out, struct bh_error **err);
void content_clam_free(struct clam *c);
/* Open a staging file for (path, layer); returns an fd or -1 (staging full: skip). */
int content_clam_stage(struct clam *c, const char *path, unsigned layer, uint64_t size,
		       struct bh_error **err);
/* Run clamscan over everything staged; hits appended. */
int content_clam_run(struct clam *c, struct hitlist *out, struct bh_error **err);

/* ---- configuration checks (checks.c, checks_files.c, credfiles.c) -------- */

/* What a path means to the configuration checks (0 = nothing). */
enum capture_kind content_capture_kind_of(const char *path);
size_t content_capture_max(enum capture_kind k);
/* Whether the scanners that run need files of kind k. */
bool content_capture_wanted(enum capture_kind k, const struct bh_content_opts *o);
/* A shell or interpreter binary whose hash the setuid check compares with. */
bool content_is_shell_path(const char *path);

struct checks_in {
	const struct bh_image *img;
	const struct bh_content_opts *o;
	const struct bh_fileset *merged;
	const struct bh_inventory *inv;
	const struct capturelist *caps; /* every layer's, concatenated */
	const struct hashedlist *hashes;
	/* The most severe secret in a config value (Env, label), if any. */
	bool (*value_secret)(void *ctx, const char *s, size_t n, struct secret_found *best);
	void *vctx;
};

/* Image config, history and merged filesystem checks, as findings. */
int content_checks_run(const struct checks_in *in, bool (*skip)(const void *ctx, const char *id),
		       const void *ctx, struct bh_findings *out, struct bh_error **err);
/* Credential files: hits (removal is worked out with the other hits). */
void content_checks_cred_file(const struct capture *cap, struct hitlist *out);

/* ---- packages' own files (packaged.c) -------------------------------------- */

/* MD5 and SHA-1 of (p, n): what dpkg's md5sums and apk's Z: lines record. */
void content_file_sums(const void *p, size_t n, unsigned char md5[16], unsigned char sha1[20]);

/*
 * The checksums that installed packages record for the paths of `hits`
 * (those with sums), from the live captures (dpkg md5sums, apk installed)
 * and the inventory. NULL when there is nothing to look up (no inventory,
 * no merged view, no such hit).
 */
struct content_pkgfiles;
struct content_pkgfiles *content_pkgfiles_new(const struct capturelist *caps,
					      const struct bh_fileset *merged,
					      const struct bh_inventory *inv,
					      struct hit *const *hits, size_t nhits);
/* The index in the inventory of a package that installed the file of h with
 * exactly its content, or SIZE_MAX. pf may be NULL. */
size_t content_pkgfiles_owner(const struct content_pkgfiles *pf, const struct hit *h);
void content_pkgfiles_free(struct content_pkgfiles *pf);

/* ---- the consumer's state (content.c), read by finish.c ------------------- */

struct cand {
	uint32_t pat;
	uint64_t end;
};

/* One layer's state. Touched only by the thread walking that layer. */
struct lstate {
	struct bh_content *c;
	unsigned layer;
	/* results, kept to the end */
	struct hitlist hits;
	struct capturelist caps;
	struct hashedlist hashes;
	struct content_u64v dirs, nondirs, whs, opqs; /* path hashes of this layer's entries */
	struct bh_content_stats stats;
	/* scanning resources, freed at the end of the layer */
	hs_scratch_t *scratch;
	hs_stream_t *st_text, *st_bin;
	pcre2_match_data *md;
	struct malware_thread *mt;
	struct bh_hasher *hasher;
	struct bh_buf buf;
	struct cand *cands;
	size_t ncands, capcands;
	bool overflow;
	/* the file being read */
	struct {
		char *path;
		uint64_t size;
		uint32_t mode;
		bool first, secrets, yara, blocklist, shellhash, buffered, scanned;
		enum capture_kind cap;
		hs_stream_t *st;
		int clam_fd;
		bool set_hit[CONTENT_MAX_SETS];
		bool summed; /* md5, sha1 are the file's (computed on its first secret) */
		unsigned char md5[16], sha1[20];
	} f;
};

struct bh_content {
	struct bh_image *img;
	struct bh_content_opts o;
	char *cache_config; /* what changes a layer's state besides the layer */
	char *reference;
	char **skip;
	size_t nskip;
	uint64_t max_file;
	struct secrets *sec;
	struct malware *mal;
	struct clam *clam;
	hs_database_t *db_text, *db_bin, *db_values;
	char *hs_dir; /* o.compiled_dir, owned */
	hs_scratch_t *proto;
	size_t *lit_set; /* literal i -> its YARA set */
	size_t nlits;
	bool streams_built; /* db_text, db_bin (need_streams) */
	bool prefilter;	    /* some set is prefiltered */
	bool yara_all;	    /* some set runs on every file */
	uint64_t seed;
	struct lstate **layers;
	size_t nlayers;
	struct bh_consumer cons;
	pthread_mutex_t lock;
	struct bh_content_stats stats;
	bool walked, finished;
};

/* A layer's state with nothing to scan with (a layer from the layer cache). */
struct lstate *content_lstate_bare(struct bh_content *c, unsigned layer);
void content_lstate_free(struct lstate *l);

/* ---- cache.c: a layer's state in the layer cache ------------------------------ */

/* Append what bh_content_finish needs of layer l: its hits, captures, hashed
 * files and counts (not the path hashes: the walk replays the entries). */
int content_cache_save(const struct lstate *l, struct bh_buf *out, struct bh_error **err);
/* A new layer state from (p, n), as content_cache_save wrote it. */
int content_cache_load(struct bh_content *c, unsigned layer, const void *p, size_t n,
		       struct lstate **out, struct bh_error **err);

/* Does the user skip finding `id` (--skip-checks)? */
bool content_skipped(const struct bh_content *c, const char *id);
/* The most severe secret in a value of the image config (Env, label). */
bool content_value_secret(void *ctx, const char *s, size_t n, struct secret_found *best);
void content_stats_add(struct bh_content_stats *a, const struct bh_content_stats *b);
/*
 * Hits as findings appended to out: v[i] removed in layer removed[i] (or
 * -1), installed unchanged by package pkgs[i] of inv (or SIZE_MAX; pkgs
 * may be NULL).
 */
void content_hits_to_findings(const struct bh_content *c, struct hit *const *v, size_t n,
			      const int *removed, const size_t *pkgs,
			      const struct bh_inventory *inv, struct bh_findings *out);

#endif /* BULKHEAD_CONTENT_INTERNAL_H */
