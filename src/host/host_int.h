/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the files of src/host share (prefix host_): the run's context, a
 * check's row, the readers inside the root and the evaluators the table
 * (table.c) names. Not a public header.
 */
#ifndef BULKHEAD_HOST_INT_H
#define BULKHEAD_HOST_INT_H

#include <stdbool.h>
#include <sys/stat.h>

#include "bulkhead/host.h"

#define MAX_MOUNTS   4096
#define MAX_DIR_ENTS 256

struct mnt {
	char *point;
	bool ro;
};

struct hctx {
	int rootfd;
	struct bh_host_report *r;
	const char *target; /* the container the results are of, or NULL */
	const char *db;	    /* the advisory store's path, or NULL */
	/* read once, on first use */
	bool mounts_read;
	char *mounts_why; /* why the mount table is unknown, or NULL */
	struct mnt *mounts;
	size_t nmounts;
	bool docker_read;
	int docker_state; /* 0 absent, 1 parsed, -1 unreadable/invalid */
	char *docker_why;
	struct bh_host_docker docker;
	bool audit_read;
	struct bh_buf audit; /* every rules file, one after the other */
	size_t audit_files;
};

struct check;
typedef void (*eval_fn)(struct hctx *c, const struct check *k);

struct check {
	const char *id, *cis, *nist;
	int level;
	const char *title, *expected, *remediation;
	eval_fn eval;
	/* the kind's data */
	const char *path[3]; /* a sysctl, a file (alternatives in order) */
	char op;	     /* sysctl: '=' or '>' (at least) */
	long long want;	     /* sysctl value; file: the most permissive mode */
	int what;	     /* the evaluator's selector */
};

/* Append a result of row k with status s and the actual value (printf). Bytes
 * that are not printable ASCII become '?'. */
void host_add(struct hctx *c, const struct check *k, enum bh_host_status s, const char *fmt, ...)
	BH_PRINTF(4, 5);
/* Read path (relative to the root) into b: 0, -ENOENT when it does not exist,
 * or another negative value with *why saying what was wrong (owned). Regular
 * files only, opened O_NONBLOCK (a FIFO never blocks), bounded by b->max. */
int host_read(struct hctx *c, const char *path, struct bh_buf *b, char **why);
/* stat path inside the root (following symlinks in-root, or not): 0, -ENOENT, -EIO. */
int host_stat(struct hctx *c, const char *path, bool follow, struct stat *st);
/* Whether path exists in the root (a symlink counts, not followed). */
bool host_exists(struct hctx *c, const char *path);
/* The names of the entries of dir (in the root) ending in suffix (NULL: any),
 * sorted, at most 256; NULL-terminated (owned), NULL when dir cannot be read. */
char **host_list_dir(struct hctx *c, const char *dir, const char *suffix);
void host_strv_free(char **v);
/* GET /containers/ID/json from the engine's API on unix socket sock (engine
 * names it in errors), parsed into out: 0, or -1 with *err (BH_ERR_NOTFOUND
 * when the socket is not there). */
int host_inspect_get(const char *sock, const char *engine, const char *id,
		     struct bh_host_inspect *out, struct bh_error **err);
/* Release what the evaluators cached in c. */
void host_ctx_release(struct hctx *c);

/* The evaluators: checks.c (the host), engines.c (the engines). */
void host_eval_sysctl(struct hctx *c, const struct check *k);
void host_eval_userns(struct hctx *c, const struct check *k);
void host_eval_lsm(struct hctx *c, const struct check *k);
void host_eval_usr_ro(struct hctx *c, const struct check *k);
void host_eval_storage_part(struct hctx *c, const struct check *k);
void host_eval_timesync(struct hctx *c, const struct check *k);
void host_eval_autoupdate(struct hctx *c, const struct check *k);
void host_eval_minimal(struct hctx *c, const struct check *k);
void host_eval_audit(struct hctx *c, const struct check *k);
void host_eval_pending(struct hctx *c, const struct check *k);
void host_eval_file(struct hctx *c, const struct check *k);
void host_eval_docker(struct hctx *c, const struct check *k);
void host_eval_toml(struct hctx *c, const struct check *k);

/* host_eval_docker's selector (check.what) */
enum {
	DK_TLS,
	DK_USERNS,
	DK_LIVE_RESTORE,
	DK_INSECURE,
	DK_ULIMITS,
	DK_LOG_DRIVER,
	DK_NNP,
	DK_ICC,
	DK_USERLAND_PROXY,
	DK_EXPERIMENTAL,
	DK_SECCOMP,
};
/* host_eval_toml's selector */
enum { TOML_CONTAINERD_TCP, TOML_CTRS_SECCOMP, TOML_CTRS_USERNS };

#endif
