/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the configuration checks (checks.c, checks_files.c,
 * credfiles.c): the check IDs, the run they add findings to, and the checks
 * of the merged filesystem that checks.c calls in turn.
 */
#ifndef BULKHEAD_CONTENT_CHECKS_H
#define BULKHEAD_CONTENT_CHECKS_H

#include "internal.h"

/* One per row of the table in checks.c, in ID order (BH-CFG-001 first). */
enum cfg {
	CFG_ROOT,
	CFG_CONFIG_SECRET,
	CFG_HISTORY_SECRET,
	CFG_SSHD,
	CFG_PORT22,
	CFG_SUDO,
	CFG_SUID_PKG,
	CFG_SUID_ODD,
	CFG_WW_FILE,
	CFG_WW_DIR,
	CFG_ADD_URL,
	CFG_PIPE_SHELL,
	CFG_HEALTHCHECK,
	CFG_LATEST,
	CFG_CACHE,
	CFG_CRED_FILE,
	CFG_GIT,
	CFG_COUNT,
};

/* The row of check k (static). */
const struct bh_content_check *content_check_def(enum cfg k);

/* One run of the checks: what they read and where findings go. */
struct run {
	const struct checks_in *in;
	bool (*skip)(const void *ctx, const char *id);
	const void *ctx;
	struct bh_findings *out;
};

/*
 * Add a finding of check k titled by fmt (NULL when the user skips k);
 * sev 0 = the check's severity, layer -1 and path NULL for the image
 * config. describe() sets its description (f may be NULL).
 */
struct bh_finding *content_check_add(struct run *r, enum cfg k, enum bh_severity sev, int layer,
				     const char *path, const char *fmt, ...) BH_PRINTF(6, 7);
void content_check_describe(struct bh_finding *f, const char *fmt, ...) BH_PRINTF(2, 3);

/* The checks of the merged filesystem (checks_files.c). */
void content_check_setuid(struct run *r);
void content_check_world_writable(struct run *r);
void content_check_caches(struct run *r);
void content_check_git(struct run *r);

#endif /* BULKHEAD_CONTENT_CHECKS_H */
