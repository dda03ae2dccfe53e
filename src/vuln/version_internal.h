/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Version schemes, private to src/vuln.
 *
 * A scheme is one file, version_<scheme>.c, that defines one descriptor
 * (struct vuln_vscheme) and nothing else outside itself; version.c holds the
 * table of descriptors and dispatches through it only; version_util.c has the
 * helpers the scheme files share. A new scheme is one new file, one row in
 * version.c's table, and one member of enum bh_vscheme.
 *
 * Every scheme validates both operands before comparing and reports an
 * unparseable version as BH_ERR_INVALID naming the version and the scheme;
 * nothing is ever compared as a plain string by accident.
 */
#ifndef BULKHEAD_VULN_VERSION_INTERNAL_H
#define BULKHEAD_VULN_VERSION_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "bulkhead/vuln.h"

/* Longest version string accepted by any scheme, and longest range/specifier. */
#define VULN_VERSION_MAX_LEN 256
#define VULN_VSPEC_MAX_LEN   4096

/*
 * One version scheme. The functions return 0 (well formed), BH_VERSION_ODD
 * (not well formed, but read as the scheme's native tool reads it; validate
 * and validate_range put a static reason in *why) or -1 with *err
 * (BH_ERR_INVALID naming the text and the scheme), as the public bh_version_*
 * functions they implement (include/bulkhead/vuln.h). compare returns
 * BH_VERSION_ODD when either operand is odd.
 */
struct vuln_vscheme {
	enum bh_vscheme id;
	const char *name;	       /* "dpkg": what bh_vscheme_name() says */
	const char *native;	       /* the reference: "dpkg --compare-versions" */
	const char *const *aliases;    /* more names for bh_vscheme_parse(), NULL-terminated */
	const char *const *ecosystems; /* OSV ecosystems (the part before ':'), NULL-terminated */
	int (*validate)(const char *v, const char **why, struct bh_error **err);
	int (*compare)(const char *a, const char *b, int *cmp, struct bh_error **err);
	/* both NULL when the scheme has no range syntax */
	int (*validate_range)(const char *spec, const char **why, struct bh_error **err);
	int (*satisfies)(const char *spec, const char *v, bool *out, struct bh_error **err);
};

/* The schemes (version_<scheme>.c), in the order of enum bh_vscheme. */
extern const struct vuln_vscheme vuln_vscheme_dpkg;
extern const struct vuln_vscheme vuln_vscheme_apk;
extern const struct vuln_vscheme vuln_vscheme_rpm;
extern const struct vuln_vscheme vuln_vscheme_semver;
extern const struct vuln_vscheme vuln_vscheme_pep440;
extern const struct vuln_vscheme vuln_vscheme_go;
extern const struct vuln_vscheme vuln_vscheme_maven;

/* ---- shared helpers (version_util.c) ------------------------------------- */

/* A printable rendering of untrusted text for a message: control and non-ASCII
 * bytes, '\\' and '\'' as \xNN, at most 80 input bytes, then "...". */
void vuln_vs_quote(const char *s, char *buf, size_t bufsz);
/* "invalid <scheme> version '<v>': <why>" (v quoted safely, truncated). Returns -1. */
int vuln_vs_invalid(struct bh_error **err, const char *scheme, const char *v, const char *why);
/* The same for a range or specifier: "invalid <scheme> range '<spec>': <why>". */
int vuln_vs_invalid_spec(struct bh_error **err, const char *scheme, const char *spec,
			 const char *why);
/* Check the length limit (and that v is not NULL). 0 or vuln_vs_invalid(). */
int vuln_vs_check_len(const char *scheme, const char *v, struct bh_error **err);

/* Compare two runs of ASCII digits as unbounded non-negative integers
 * (leading zeros ignored). Returns -1, 0 or 1. */
int vuln_vs_numcmp(const char *a, size_t alen, const char *b, size_t blen);
/* Compare byte ranges like memcmp, the shorter first on a common prefix. -1/0/1. */
int vuln_vs_bytecmp(const char *a, size_t alen, const char *b, size_t blen);

/* ---- SemVer 2.0 core shared by semver (npm) and Go (version_semver.c) ---- */

/* A parsed semantic version; all pointers point into the parsed string. */
struct vuln_semver {
	const char *num[3]; /* major, minor, patch digits */
	size_t numlen[3];
	const char *pre; /* pre-release identifiers (after '-'), or NULL */
	size_t prelen;
	const char *build; /* build metadata (after '+'), or NULL */
	size_t buildlen;
};

/*
 * Parse s[0..len) as MAJOR.MINOR.PATCH[-PRE][+BUILD] (SemVer 2.0: numeric
 * identifiers without leading zeros, non-empty identifiers of [0-9A-Za-z-]).
 * With `shorthand`, "MAJOR" and "MAJOR.MINOR" are accepted too (Go), missing
 * parts read as 0, and then no pre-release or build may follow. Returns 0, or
 * -1 with a static reason in *why.
 */
int vuln_semver_parse(const char *s, size_t len, bool shorthand, struct vuln_semver *out,
		      const char **why);
/* SemVer 2.0 precedence (build metadata ignored). -1, 0 or 1. */
int vuln_semver_cmp(const struct vuln_semver *a, const struct vuln_semver *b);
/* A numeric identifier at s: "0" or [1-9][0-9]*. Returns its length or 0. */
size_t vuln_semver_numeric_ident(const char *s, const char *end);
/* Dot-separated identifiers at s (pre-release rules when `pre`): the length
 * consumed, or 0 with a static reason in *why when the first is missing or bad. */
size_t vuln_semver_idents(const char *s, const char *end, bool pre, const char **why);

/* ---- npm (version_semver.c, version_npm_range.c, version_npm_desugar.c) --- */

/* node-semver's SemVer(): v?MAJOR.MINOR.PATCH[-PRE][+BUILD] with white space
 * around, numbers <= 2^53-1, at most 256 characters. 0, or -1 with a static
 * reason in *why. */
int vuln_npm_parse(const char *s, size_t len, struct vuln_semver *out, const char **why);
/* The length of the white space character at s (JavaScript's \s: ASCII and
 * Unicode spaces, in UTF-8), or 0. */
size_t vuln_npm_space(const char *s, const char *end);
/* node-semver's parseRange() rewriting of one "||" part of a range (white
 * space already made single ' '; part need not be NUL-terminated): build
 * metadata stripped, hyphen ranges, comparator and tilde/caret white space
 * trimmed, each word through carets, tildes, x-ranges and stars; the words
 * joined by ' '. keep is emptied first and holds the result, NUL-terminated
 * (the NUL not counted). 0, or -1 with *err when keep's maximum is reached. */
int vuln_npm_desugar(const char *part, size_t n, struct bh_buf *keep, struct bh_error **err);
/* The semver scheme's ranges: npm ranges, as node-semver reads them. */
int vuln_npm_validate_range(const char *range, const char **why, struct bh_error **err);
int vuln_npm_satisfies(const char *range, const char *v, bool *out, struct bh_error **err);

#endif /* BULKHEAD_VULN_VERSION_INTERNAL_H */
