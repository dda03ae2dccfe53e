/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/content: the prefilter (one vectorscan pass over each
 * file's bytes finds secret candidates and YARA literals at once), the
 * secret rules that confirm candidates, the YARA rule sets, the hash
 * blocklist, ClamAV staging, and the per-layer state of a walk.
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

/* ---- hits: what the scanners found, before it becomes a finding -------- */

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
};

struct hitlist {
	struct hit *v;
	size_t n, cap;
};

struct hit *content_hitlist_add(struct hitlist *l);
void content_hitlist_release(struct hitlist *l);

/* ---- secret rules (secrets.c) ------------------------------------------ */

/* A vectorscan pattern of a secret rule; the candidate is where it ends. */
struct content_secret_pattern {
	const char *re;
	unsigned flags;
	int rule;	 /* index into the rule table (bh_content_secret_rules) */
	int prefix;	 /* bytes the pattern matched when fixed-length, else -1 */
	unsigned budget; /* confirmations tried per file at most */
};

size_t content_secret_npatterns(void);
const struct content_secret_pattern *content_secret_pattern(size_t i);

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

const char *content_secret_rule_id(int rule);
const char *content_secret_rule_title(int rule);
const char *content_secret_rule_remediation(int rule);
/* Rules that guess (assignments, JWTs) rather than recognise a format. */
bool content_secret_rule_low_confidence(int rule);
/* Trees of third-party packages (node_modules, site-packages, /usr/share/doc,
 * ...): the low-confidence rules do not look there. */
bool content_third_party_path(const char *path);

/* Shannon entropy in bits per byte. */
double content_entropy(const unsigned char *p, size_t n);
/* At most 4 characters (never more than a quarter of n) and an ellipsis. */
void content_redact(const unsigned char *p, size_t n, char *out, size_t outsz);
/* The first 12 hex digits of SHA-256(p, n). */
void content_fingerprint(const void *p, size_t n, char out[13]);
/* Placeholder values: "changeme", "${VAR}", "<password>", "xxxx"... */
bool content_looks_placeholder(const unsigned char *p, size_t n);

/* ---- YARA, blocklist, ClamAV (malware.c) -------------------------------- */

struct yara_set;
struct malware;

struct yara_hit_ctx; /* per-thread scanning state */

/* Compile the rule sets and read the blocklist (per opts). */
int content_malware_new(const struct bh_content_opts *o, struct malware **out,
			struct bh_error **err);
void content_malware_free(struct malware *m);
size_t content_malware_nsets(const struct malware *m);
bool content_malware_set_prefiltered(const struct malware *m, size_t set);
bool content_malware_has_yara(const struct malware *m);
bool content_malware_has_blocklist(const struct malware *m);
/* The literals of prefiltered sets, for the vectorscan databases. */
struct literal {
	char *re; /* escaped for vectorscan */
	unsigned flags;
	size_t set;
};
void content_malware_literals(const struct malware *m, const struct literal **v, size_t *n);

struct malware_thread;
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

/* ---- configuration checks (checks.c) ------------------------------------ */

/* A small file kept for the configuration checks. */
enum capture_kind {
	CAP_PASSWD = 1,
	CAP_DPKG_LIST,
	CAP_APK_DB,
	CAP_CRED, /* a tool's credentials file (.npmrc, .docker/config.json...) */
};

struct capture {
	char *path;
	unsigned layer;
	enum capture_kind kind;
	char *data;
	size_t len;
};

struct capturelist {
	struct capture *v;
	size_t n, cap;
};

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

/* What a path means to the configuration checks (0 = nothing). */
enum capture_kind content_capture_kind_of(const char *path);
size_t content_capture_max(enum capture_kind k);
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

/* Binary search of the merged view. */
const struct bh_file *content_merged_find(const struct bh_fileset *fs, const char *path);

#endif /* BULKHEAD_CONTENT_INTERNAL_H */
