/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the container inventory (src/monitor/containers*.c), prefix ctr_.
 *
 *   containers.c           the list: runtime roots scanned, each container's
 *                          status, cgroups and config; lookups; JSON
 *   containers_runtimes.c  the table of runtime state readers (bulkhead, runc,
 *                          crun): one row each, their state file parsers
 *   containers_engines.c   the table of engines (podman, docker, containerd,
 *                          CRI-O): who started a container, from its
 *                          annotations and where its state lives, and what
 *                          the engine adds (names, images, labels)
 */
#ifndef BULKHEAD_MONITOR_CONTAINERS_INTERNAL_H
#define BULKHEAD_MONITOR_CONTAINERS_INTERNAL_H

#include "bulkhead/containers.h"

/* Bounds on what is read. */
#define CTR_STATE_MAX	   (4u << 20)  /* a state file, a config.json */
#define CTR_STORE_MAX	   (64u << 20) /* podman's containers.json, dockerd's answer */
#define CTR_CGROUP_MAX	   (64u << 10) /* /proc/PID/cgroup, mountinfo lines */
#define CTR_MAX_CONTAINERS 65536
#define CTR_MAX_CGROUPS	   64

struct ctr_scan {
	const struct bh_ctr_opts *opts;
	int rootfd; /* O_PATH of opts->root */
	struct bh_ctr *v;
	size_t n, cap;
	struct bh_strvec warnings;
};

void ctr_warn(struct ctr_scan *s, const char *fmt, ...) BH_PRINTF(2, 3);
/*
 * Read the regular file `path` (resolved inside the root; a symlink pointing
 * out stays in) into b (bounded by b->max). BH_ERR_NOTFOUND when absent.
 */
int ctr_read(int rootfd, const char *path, struct bh_buf *b, struct bh_error **err);
/* Read and parse a JSON file inside the root (strict, bounded by max). */
int ctr_read_json(int rootfd, const char *path, size_t max, json_t **out, struct bh_error **err);
/* An object of strings copied from j (other members dropped); never NULL. */
json_t *ctr_string_object(const json_t *j);
void ctr_set(char **field, const char *v);

/* Read path inside the root into b: final symlinks refused, regular files
 * only when `regular` (then st_size checked against b->max first). */
int ctr_read_path(int rootfd, const char *path, bool regular, struct bh_buf *b,
		  struct bh_error **err);

/* Field 22 of <root>/proc/PID/stat: the start time in clock ticks after boot. */
int ctr_proc_start_time(int rootfd, pid_t pid, uint64_t *out);

/* ---- cgroup mounts (containers_cgroup.c) -------------------------------------- */

struct ctr_mnt {
	char *dir;	   /* mount point, host view */
	char *root;	   /* the hierarchy's directory mounted there */
	char *controllers; /* "" for cgroup2, else "cpu,cpuacct" / "name=systemd" */
};

struct ctr_mounts {
	struct ctr_mnt *v;
	size_t n;
};

void ctr_mounts_release(struct ctr_mounts *m);
/* The cgroup and cgroup2 mounts of a mountinfo text (bounded to CTR_MAX_CGROUPS). */
void ctr_mounts_parse(const char *buf, size_t len, struct ctr_mounts *m);
/* ... of <root>/proc/self/mountinfo; none when it cannot be read. */
void ctr_mounts_load(int rootfd, struct ctr_mounts *m);
/* The comma list `set` holds every member of `want` ("" only covers ""). */
bool ctr_ctl_covers(const char *set, const char *want);
/* Two controller lists name the same hierarchy. */
bool ctr_ctl_same(const char *a, const char *b);
const struct ctr_mnt *ctr_mount_of(const struct ctr_mounts *m, const char *controllers);
/* The path inside its hierarchy of an absolute cgroup directory; *controllers
 * set to that hierarchy's. NULL when no mount holds it. */
char *ctr_dir_to_path(const struct ctr_mounts *m, const char *dir, const char **controllers);
/* The kernfs id of the cgroup `path` of hierarchy `controllers`, 0 if unreachable. */
uint64_t ctr_cgroup_id(int rootfd, const struct ctr_mounts *m, const char *controllers,
		       const char *path);

/* ---- runtimes ---------------------------------------------------------------- */

struct ctr_runtime {
	const char *name;	   /* "runc" */
	enum bh_ctr_engine engine; /* what a container of this runtime alone is */
	const char *const *roots;  /* default state roots; a '*' component = every dir */
	const char *state_file;	   /* in <root>/<id>/ */
	int (*parse)(const char *buf, size_t len, struct bh_ctr *c, struct bh_error **err);
};
extern const struct ctr_runtime ctr_runtimes[];
const struct ctr_runtime *ctr_runtime_find(const char *name);

/* ---- engines ------------------------------------------------------------------- */

struct ctr_engine {
	enum bh_ctr_engine engine;
	/* Does this engine own c (annotations, bundle, state dir)? */
	bool (*claims)(const struct bh_ctr *c);
	/* Add what the engine records to its containers of s (may be NULL). */
	void (*enrich)(struct ctr_scan *s);
};
extern const struct ctr_engine ctr_engines[];

#endif
