/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Version schemes, private to src/vuln: one file per scheme, dispatched from
 * version.c. Every scheme validates both operands before comparing and
 * reports an unparseable version as BH_ERR_INVALID naming the version and the
 * scheme; nothing is ever compared as a plain string by accident.
 */
#ifndef BULKHEAD_VULN_VERSION_INTERNAL_H
#define BULKHEAD_VULN_VERSION_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "bulkhead/base.h"

/* Longest version string accepted by any scheme, and longest range/specifier. */
#define BH_VERSION_MAX_LEN 256
#define BH_VSPEC_MAX_LEN   4096

/* "invalid <scheme> version '<v>': <why>" (v quoted safely, truncated). Returns -1. */
int bh_vs_invalid(struct bh_error **err, const char *scheme, const char *v, const char *why);
/* The same for a range or specifier: "invalid <scheme> range '<spec>': <why>". */
int bh_vs_invalid_spec(struct bh_error **err, const char *scheme, const char *spec,
		       const char *why);
/* Check the length limit (and that v is not NULL). 0 or bh_vs_invalid(). */
int bh_vs_check_len(const char *scheme, const char *v, struct bh_error **err);

/* Compare two runs of ASCII digits as unbounded non-negative integers
 * (leading zeros ignored). Returns -1, 0 or 1. */
int bh_vs_numcmp(const char *a, size_t alen, const char *b, size_t blen);
/* Compare byte ranges like memcmp, the shorter first on a common prefix. -1/0/1. */
int bh_vs_bytecmp(const char *a, size_t alen, const char *b, size_t blen);

/* ---- per-scheme entry points (version_<scheme>.c) ---------------------- */

int bh_vdpkg_validate(const char *v, struct bh_error **err);
int bh_vdpkg_compare(const char *a, const char *b, int *cmp, struct bh_error **err);

int bh_vapk_validate(const char *v, struct bh_error **err);
int bh_vapk_compare(const char *a, const char *b, int *cmp, struct bh_error **err);

int bh_vrpm_validate(const char *v, struct bh_error **err);
int bh_vrpm_compare(const char *a, const char *b, int *cmp, struct bh_error **err);

int bh_vsemver_validate(const char *v, struct bh_error **err);
int bh_vsemver_compare(const char *a, const char *b, int *cmp, struct bh_error **err);
int bh_vsemver_satisfies(const char *range, const char *v, bool *out, struct bh_error **err);

int bh_vpep440_validate(const char *v, struct bh_error **err);
int bh_vpep440_compare(const char *a, const char *b, int *cmp, struct bh_error **err);
int bh_vpep440_satisfies(const char *spec, const char *v, bool *out, struct bh_error **err);

int bh_vgo_validate(const char *v, struct bh_error **err);
int bh_vgo_compare(const char *a, const char *b, int *cmp, struct bh_error **err);

int bh_vmaven_validate(const char *v, struct bh_error **err);
int bh_vmaven_compare(const char *a, const char *b, int *cmp, struct bh_error **err);

/* ---- SemVer 2.0 core shared by semver (npm) and Go --------------------- */

/* A parsed semantic version; all pointers point into the parsed string. */
struct bh_semver {
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
int bh_semver_parse(const char *s, size_t len, bool shorthand, struct bh_semver *out,
		    const char **why);
/* SemVer 2.0 precedence (build metadata ignored). -1, 0 or 1. */
int bh_semver_cmp(const struct bh_semver *a, const struct bh_semver *b);

#endif /* BULKHEAD_VULN_VERSION_INTERNAL_H */
