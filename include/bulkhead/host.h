/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead host benchmark: `bulkhead bench host` (NIST SP 800-190 4.5,
 * CIS Docker Benchmark sections 1-3).
 *
 * Ownership, for the whole library (as include/bulkhead/base.h):
 *  - `const T *` arguments are borrowed for the duration of the call;
 *  - `T **out` arguments hand a new object to the caller, who releases it with
 *    the matching `_free()`;
 *  - every `_free(NULL)` is a no-op.
 *
 * Every file of the host is read inside a root directory (`opts.root`, "/" by
 * default) with bh_root_openat: "..", absolute paths and symlinks resolve as
 * if the root were "/", so a prepared or hostile root is never left; only
 * regular files are read (FIFOs and devices refused), each bounded.
 *
 * A check is one row of a table (src/host/checks.c): its ID (BH-HOST-...,
 * BH-ENGINE-...), the CIS Docker Benchmark 1.6.0 item it corresponds to
 * where there is one, the SP 800-190 section, its level (1 or 2), what it
 * wants, and the function that evaluates it; sysctls, audit rules and file
 * owner/mode checks are rows of their own tables with one evaluator each.
 */
#ifndef BULKHEAD_HOST_H
#define BULKHEAD_HOST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/base.h"

enum bh_host_status {
	BH_HOST_PASS = 0,
	BH_HOST_FAIL, /* the host does not meet the check */
	BH_HOST_WARN, /* could not tell, or met only in part: look at it */
	BH_HOST_INFO, /* not applicable here (the engine is not installed, ...) */
};
const char *bh_host_status_name(enum bh_host_status s); /* "PASS", "FAIL", ... */

struct bh_host_result {
	/* The check's row (static strings): */
	const char *id;		 /* "BH-HOST-001" */
	const char *section;	 /* "host", "engine" */
	const char *cis;	 /* CIS Docker Benchmark item ("1.1.1"), or NULL */
	const char *nist;	 /* SP 800-190 section ("4.5.1") */
	const char *title;	 /* what is checked */
	const char *expected;	 /* what passes, in words */
	const char *remediation; /* what to do */
	int level;		 /* 1 or 2 */
	/* What was found: */
	enum bh_host_status status;
	char *actual; /* the value found, or why there is none (owned) */
	char *target; /* bench containers: "ENGINE NAME (ID)"; NULL for the host (owned) */
};

struct bh_host_report {
	struct bh_host_result *v;
	size_t n;
	char *root;	    /* the root read */
	int64_t start, end; /* seconds since the epoch */
};
void bh_host_report_free(struct bh_host_report *r);

struct bh_host_opts {
	const char *root; /* NULL = "/" */
	int level;	  /* checks of level <= this are run; 0 = 2 (all) */
	/* The advisory store for pending security updates (BH-HOST-016): a path;
	 * NULL = no store, the check is INFO. A store that cannot be opened is a WARN. */
	const char *db;
	/* Set (another thread, a signal handler may): bh_host_bench ends
	 * between two checks, failing (BH_ERR_USAGE, "stopped") with no
	 * report. NULL: runs to the end. */
	const atomic_int *stop;
};

/*
 * Run the host and engine checks. A file that cannot be read is a check's
 * result (WARN naming why), never the call's failure; the call fails only
 * when the root cannot be opened.
 */
int bh_host_bench(const struct bh_host_opts *opts, struct bh_host_report **out,
		  struct bh_error **err);

struct bh_ctr_opts;
/*
 * Run the container checks (BH-CTR-*) on every container that is running
 * (bh_ctr_list with copts, whose root is opts->root): each container's OCI
 * config.json, as its runtime has it, judged per check. A container whose
 * config could not be read is one WARN row naming why. No container: an
 * empty report.
 */
int bh_host_bench_containers(const struct bh_host_opts *opts, const struct bh_ctr_opts *copts,
			     struct bh_host_report **out, struct bh_error **err);
/*
 * The container checks on one OCI config.json (cfg, borrowed), appended to r
 * with target (copied). For tests and for callers holding a config.
 */
void bh_host_check_config(const json_t *cfg, const char *target, int level,
			  struct bh_host_report *r);

/*
 * What an engine knows of a container that its OCI config.json does not say,
 * from the engine's inspect data (the Docker Engine API's and podman's
 * compatible GET /containers/ID/json): the host ports published, the restart
 * policy, --privileged. Strings owned; release with bh_host_inspect_release.
 */
#define BH_HOST_INSPECT_PORTS 64 /* ports kept (nports counts them all) */
struct bh_host_inspect {
	bool privileged;     /* HostConfig.Privileged */
	char *restart;	     /* HostConfig.RestartPolicy.Name; "no" when unset or "" */
	long long max_retry; /* HostConfig.RestartPolicy.MaximumRetryCount */
	size_t nports;	     /* host ports published (NetworkSettings.Ports, else PortBindings) */
	char *ports[BH_HOST_INSPECT_PORTS];   /* "HOSTIP:HOSTPORT->PORT/PROTO" */
	int host_port[BH_HOST_INSPECT_PORTS]; /* HOSTPORT of ports[i] */
	int low_port; /* the lowest host port published, 0 when none (random ports are none) */
};
/* Parse one container's inspect JSON (buf, len), at most BH_HOST_MAX_FILE:
 * BH_ERR_INVALID naming the member of the wrong type; *out filled. */
int bh_host_inspect_parse(const char *buf, size_t len, struct bh_host_inspect *out,
			  struct bh_error **err);
void bh_host_inspect_release(struct bh_host_inspect *in);
/*
 * The container checks on one OCI config.json (cfg, borrowed) and, when the
 * engine gave them (ins, borrowed, or NULL), its inspect data: the checks
 * only an engine can answer (ports, restart policy) are rows only then, or
 * an INFO row naming why_not when why_not is given.
 */
void bh_host_check_container(const json_t *cfg, const struct bh_host_inspect *ins,
			     const char *why_not, const char *target, int level,
			     struct bh_host_report *r);

/* True when a result of the report fails (FAIL). */
bool bh_host_report_failed(const struct bh_host_report *r);

enum bh_host_format {
	BH_HOST_FMT_TABLE,
	BH_HOST_FMT_JSON,	  /* our own: {"root":..., "checks":[...]} */
	BH_HOST_FMT_DOCKER_BENCH, /* docker-bench-security's log.json */
	BH_HOST_FMT_KUBE_BENCH,	  /* kube-bench's --json */
	BH_HOST_FMT_JUNIT,
	BH_HOST_FMT_SARIF, /* SARIF 2.1.0: a rule per check, a result per FAIL/WARN */
};
/* "table", "json", "docker-bench", "kube-bench", "junit", "sarif"; -1 if unknown. */
int bh_host_format_parse(const char *s);
/* Append the report in format f to out. */
int bh_host_report_write(const struct bh_host_report *r, enum bh_host_format f, struct bh_buf *out,
			 struct bh_error **err);

/* ---- parsers of untrusted bytes (exposed for tests and fuzzing) ---------- */

#define BH_HOST_MAX_FILE (1u << 20) /* any one file read */

/*
 * A sysctl file's value (buf, len): leading and trailing white space
 * dropped; an integer into *out. BH_ERR_INVALID when it is not one
 * decimal integer (an optional '-'), BH_ERR_LIMIT over 64 bytes.
 */
int bh_host_sysctl_int(const char *buf, size_t len, long long *out, struct bh_error **err);

/* What the checks need of /etc/docker/daemon.json. Strings owned. */
struct bh_host_docker {
	bool tcp_host;	  /* a "hosts" entry is tcp:// (or a bare host:port) */
	bool tlsverify;	  /* "tlsverify": true */
	bool userns;	  /* "userns-remap" set, not "" */
	int live_restore; /* -1 unset, 0, 1 */
	size_t insecure_registries;
	bool ulimits; /* "default-ulimits" a non-empty object */
	char *log_driver;
	int no_new_privileges; /* -1 unset, 0, 1 */
	int icc;	       /* -1 unset, 0, 1 */
	int userland_proxy;    /* -1 unset, 0, 1 */
	int experimental;      /* -1 unset, 0, 1 */
	char *seccomp_profile;
};
/* Parse daemon.json (buf, len), at most BH_HOST_MAX_FILE: BH_ERR_INVALID naming the
 * member of the wrong type. *out is filled (release with bh_host_docker_release). */
int bh_host_docker_parse(const char *buf, size_t len, struct bh_host_docker *out,
			 struct bh_error **err);
void bh_host_docker_release(struct bh_host_docker *d);

/*
 * The value of `key` in `[table]` of a TOML-ish text (containerd's config.toml,
 * containers.conf): table NULL or "" = before any table header; a table name
 * is compared as written between the brackets (`plugins."io.containerd.grpc.v1.cri"`).
 * A basic or literal string is unquoted; anything else (true, 42) is the
 * bare word. 1 and *out (owned) when found, 0 when not, BH_ERR_INVALID naming
 * the line when the text is malformed where it is read, BH_ERR_LIMIT over
 * BH_HOST_MAX_FILE. Multi-line strings and arrays are skipped as values.
 */
int bh_host_toml_get(const char *buf, size_t len, const char *table, const char *key, char **out,
		     struct bh_error **err);

/*
 * Whether an audit rules text (buf, len) watches `path`: a line `-w PATH`
 * (PATH followed by white space or the end), or `-a ... -F path=PATH` /
 * `-F dir=PATH`. Comments ignored.
 */
bool bh_host_audit_watches(const char *buf, size_t len, const char *path);

#endif
