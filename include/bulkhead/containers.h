/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead containers: the inventory of the containers on this host,
 * whichever runtime (bulkhead, runc, crun) and engine (podman, dockerd,
 * containerd, CRI-O) started them, and the attribution of a process or a
 * cgroup to one of them. Read from the runtimes' state directories, the
 * bundles' config.json, podman's store and the Docker Engine API; never by
 * running an engine's command. Every byte read is untrusted: bounded,
 * strict JSON, a hostile file skips its container with a warning.
 *
 * Ownership, for the whole library:
 *  - `const T *` arguments are borrowed for the duration of the call;
 *  - `T **out` arguments hand a new object to the caller, who releases it with
 *    the matching `_free()` (or `json_decref()` for jansson values);
 *  - a function that takes ownership of an argument says so in its comment;
 *  - every `_free(NULL)` is a no-op.
 *
 * Errors: a function returns 0 (or a non-negative count) on success and a
 * negative value on failure, after storing a `struct bh_error` in `*err` when
 * `err` is not NULL. Callers add context with bh_error_prefix() while the error
 * travels up, so the final message reads outermost first.
 */
#ifndef BULKHEAD_CONTAINERS_H
#define BULKHEAD_CONTAINERS_H

#include "base.h"

struct bh_rt_spec; /* include/bulkhead/runtime.h */

/* Who started the container: the engine when one did, else the runtime. */
enum bh_ctr_engine {
	BH_CTR_UNKNOWN = 0,
	BH_CTR_BULKHEAD,
	BH_CTR_RUNC,
	BH_CTR_CRUN,
	BH_CTR_PODMAN,
	BH_CTR_DOCKER,
	BH_CTR_CONTAINERD,
	BH_CTR_CRIO,
};
/* "bulkhead", "runc", … "cri-o"; "unknown" */
const char *bh_ctr_engine_name(enum bh_ctr_engine e);
/* The engine of a name (as above); BH_CTR_UNKNOWN if none. */
enum bh_ctr_engine bh_ctr_engine_parse(const char *name);

/*
 * One hierarchy the container has a cgroup in. `controller` is "" for the
 * cgroup2 (unified) hierarchy, else the v1 hierarchy's controllers as
 * /proc/PID/cgroup names them ("memory", "cpu,cpuacct", "name=systemd").
 * `path` is the cgroup's path inside that hierarchy ("/libpod_parent/x").
 * `id` is the kernfs node id of its directory: on cgroup2 what
 * bpf_get_current_cgroup_id() returns for a task in it; on v1 what a CO-RE
 * read of task->cgroups->subsys[ssid]->cgroup->kn->id gives; 0 when the
 * directory could not be reached (another root, gone).
 */
struct bh_ctr_cgroup {
	char *controller;
	char *path;
	uint64_t id;
};

struct bh_ctr {
	char *id;
	char *name; /* the engine's name, else the ID */
	enum bh_ctr_engine engine;
	char *runtime;		 /* "runc", "crun", "bulkhead" */
	char *state_dir;	 /* the runtime's state directory of the container */
	char *image;		 /* the reference the engine recorded, or NULL */
	char *image_id;		 /* the image (config) ID, "sha256:…", or NULL */
	char *image_digest;	 /* the manifest digest, "sha256:…", or NULL */
	char *pod_name;		 /* io.kubernetes.pod.name, or NULL */
	char *pod_namespace;	 /* io.kubernetes.pod.namespace */
	char *pod_uid;		 /* io.kubernetes.pod.uid */
	json_t *labels;		 /* object of strings (the engine's labels), never NULL */
	json_t *annotations;	 /* object of strings (config.json's), never NULL */
	pid_t pid;		 /* the init, host view; 0 when none */
	uint64_t pid_start;	 /* its start time (clock ticks after boot), 0 unknown */
	char *status;		 /* "created", "running", "paused", "stopped" */
	char *created;		 /* RFC 3339, as the runtime recorded it, or NULL */
	char *bundle;		 /* the bundle directory, or NULL */
	json_t *config;		 /* the bundle's config.json as read, or NULL */
	struct bh_rt_spec *spec; /* config parsed by the runtime's parser, or NULL */
	char *config_error;	 /* why config or spec is NULL, or NULL */
	struct bh_ctr_cgroup *cgroups;
	size_t ncgroups;
};

struct bh_ctr_list {
	struct bh_ctr *v;
	size_t n;
	/* Problems met on the way (an unreadable state file, a dockerd that does
	 * not answer): one line each; the list still holds what could be read. */
	char **warnings;
	size_t nwarnings;
};

struct bh_ctr_opts {
	const char *root;	   /* the host's root directory; NULL = "/" */
	enum bh_ctr_engine engine; /* only this engine; BH_CTR_UNKNOWN = all */
	bool include_stopped;	   /* also containers whose init is gone */
	/*
	 * More runtime state roots, each "RUNTIME:DIR" (RUNTIME runc, crun or
	 * bulkhead; DIR inside root), e.g. a private dockerd's
	 * "runc:/tmp/x/exec/runtime-runc/moby". NULL-terminated, may be NULL.
	 */
	const char *const *state_roots;
	/* The Docker engine's socket path (unix), NULL = /var/run/docker.sock;
	 * "" = do not ask the Docker engine. Read on the host, not inside root. */
	const char *docker_socket;
	/* dockerd's data root (inside root), read when its socket does not
	 * answer; NULL = /var/lib/docker. */
	const char *docker_root;
	/* podman's store, NULL = /var/lib/containers/storage (inside root). */
	const char *podman_store;
	/* podman's API socket (its Docker-compatible service, `podman system
	 * service`), asked by bench containers for what a config.json does not
	 * say; NULL = /run/podman/podman.sock, "" = do not ask. On the host. */
	const char *podman_socket;
};

/*
 * Every container on the host (running, created or paused; stopped ones too
 * with include_stopped), sorted by engine then ID. Fails only when nothing
 * can be read at all (root unusable); a container whose files are hostile
 * or missing is left out with a warning in the list.
 */
int bh_ctr_list(const struct bh_ctr_opts *opts, struct bh_ctr_list **out, struct bh_error **err);
void bh_ctr_list_free(struct bh_ctr_list *l);

/*
 * The directories where runtimes write their state (every runtime's default
 * roots and opts->state_roots), as paths on this host (opts->root prefixed),
 * pushed to out: a root of one directory per namespace (containerd's
 * <root>/<ns>/<id>) as the root with "/" and "*" appended, followed by each
 * namespace directory found.
 * What a caller watches to notice a container at its create, before its
 * start (the guard: issue 15). Directories that do not exist are named too.
 * Fails (BH_ERR_USAGE) on a state root that is not RUNTIME:/DIR, as bh_ctr_list.
 */
int bh_ctr_state_dirs(const struct bh_ctr_opts *opts, struct bh_strvec *out, struct bh_error **err);

/*
 * A watch on the runtimes' state directories (bh_ctr_state_dirs) and each
 * new container directory made in them (inotify; for a starred root,
 * containerd's ROOT/NS/ID, a new namespace and then its containers): a
 * runtime writes a container's state at its create, before its start, so a
 * change here is the moment to list the containers again. Used by the
 * monitor's guard and by net run. At most BH_CTR_WATCH_MAX directories.
 *
 *   bh_ctr_watch_new    the inotify fd made (non-blocking) and the roots
 *                       watched; fails only when inotify cannot be had
 *   bh_ctr_watch_fd     the fd to poll for POLLIN
 *   bh_ctr_watch_roots  watch the roots again: those made since (a root that
 *                       is not there is tried at each call); cheap when all
 *                       are watched
 *   bh_ctr_watch_changed  the events read (non-blocking), new container
 *                       directories watched; whether anything changed
 */
#define BH_CTR_WATCH_MAX 1024
struct bh_ctr_watch;
int bh_ctr_watch_new(const struct bh_ctr_opts *opts, struct bh_ctr_watch **out,
		     struct bh_error **err);
int bh_ctr_watch_fd(const struct bh_ctr_watch *w);
void bh_ctr_watch_roots(struct bh_ctr_watch *w);
bool bh_ctr_watch_changed(struct bh_ctr_watch *w);
/* As bh_ctr_watch_changed, and each container directory in which something
 * changed (made, its state written) pushed to dirs (host paths, each once,
 * BH_CTR_WATCH_DIRS at most: past them a caller lists in full). A new
 * directory is pushed after its watch is added: a state written before is
 * read by a read made after, one written after is another change. */
#define BH_CTR_WATCH_DIRS 64
bool bh_ctr_watch_changed_dirs(struct bh_ctr_watch *w, struct bh_strvec *dirs);
/*
 * The containers of the container directories dirs (host paths as
 * bh_ctr_watch_changed_dirs names them: a runtime root's or a state root's
 * DIR/ID, BH_CTR_WATCH_DIRS at most) read alone, as bh_ctr_list reads each
 * (the engines' enrichment left out: the names are the IDs); a directory of
 * no root, or with no state: skipped. One small read per container, for a
 * container that may be gone by the next full list.
 */
int bh_ctr_list_dirs(const struct bh_ctr_opts *opts, const struct bh_strvec *dirs,
		     struct bh_ctr_list **out, struct bh_error **err);
/* The runtime ("runc", "crun", "bulkhead": static) whose state root holds
 * the container directory dir (a host path as bh_ctr_watch_changed_dirs
 * names it; its last component is the container's ID), NULL: none. Reads
 * nothing: the directory may be gone. */
const char *bh_ctr_dir_runtime(const struct bh_ctr_opts *opts, const char *dir);
void bh_ctr_watch_free(struct bh_ctr_watch *w);

/*
 * The container whose cgroup `path` in hierarchy `controller` ("" for
 * cgroup2; a v1 line's controllers as /proc/PID/cgroup lists them) is, or
 * lies below: a process that moved to a sub-cgroup still attributes. The
 * deepest match wins. NULL when none (the host). Borrowed from l.
 */
const struct bh_ctr *bh_ctr_lookup_cgroup(const struct bh_ctr_list *l, const char *controller,
					  const char *path);
/*
 * The container of a cgroup id as BPF reads it (either hierarchy): an exact
 * match on a container's cgroup, else the id resolved to its path through
 * the cgroup filesystems under opts->root (a sub-cgroup) and looked up as
 * above. NULL when none.
 */
const struct bh_ctr *bh_ctr_lookup_cgroup_id(const struct bh_ctr_list *l,
					     const struct bh_ctr_opts *opts, uint64_t id);
/*
 * The container of process `pid`: its /proc/PID/cgroup (under opts->root)
 * matched line by line. NULL and *err unset when the process is on the
 * host; NULL and *err set when its cgroup file cannot be read.
 */
const struct bh_ctr *bh_ctr_lookup_pid(const struct bh_ctr_list *l, const struct bh_ctr_opts *opts,
				       pid_t pid, struct bh_error **err);

/* The container as JSON (everything above; config as read). */
json_t *bh_ctr_to_json(const struct bh_ctr *c);

/*
 * The parsers of untrusted state files, exposed for tests and fuzzing. Each
 * fills c's fields from (buf, len); c is zeroed by the caller and released
 * with bh_ctr_release. Returns 0, or -1 with BH_ERR_INVALID / BH_ERR_LIMIT.
 */
int bh_ctr_parse_runc_state(const char *buf, size_t len, struct bh_ctr *c, struct bh_error **err);
int bh_ctr_parse_crun_status(const char *buf, size_t len, struct bh_ctr *c, struct bh_error **err);
int bh_ctr_parse_bulkhead_state(const char *buf, size_t len, struct bh_ctr *c,
				struct bh_error **err);
/* One /proc/PID/cgroup file: appended to c->cgroups (ids 0). */
int bh_ctr_parse_proc_cgroup(const char *buf, size_t len, struct bh_ctr *c, struct bh_error **err);
/* The fields of c one container's annotations give (engine, pod, image, name). */
void bh_ctr_apply_annotations(struct bh_ctr *c);
void bh_ctr_release(struct bh_ctr *c);

#endif
