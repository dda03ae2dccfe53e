/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead runtime: an OCI runtime (runtime-spec 1.1) with hardened
 * defaults that a bundle cannot lift.
 *
 *   spec      config.json → struct bh_rt_spec (bounded, validated, fuzzed)
 *   create    namespaces, cgroups, mounts through fds, pivot_root, then the
 *             container's init waits on <root>/<id>/exec.fifo
 *   start     opens the fifo: the init applies rlimits, user, capabilities,
 *             no_new_privs, Landlock, seccomp (last) and execs
 *   state     the state JSON; kill, delete, pause/resume, ps, list, exec
 *
 * The hardening, reported per container beside the state (state.json's
 * "hardening" object: bh_rt_hardening, `bulkhead state --hardening`): a
 * deny-list of high-risk syscalls no config can lift (only the operator, with
 * allow_dangerous), the mount family denied or supervised through seccomp
 * user notification, the default seccomp allow-list when a bundle has none,
 * Landlock from annotations, mandatory masked and read-only /proc and /sys
 * paths, the device policy (v1 controller and/or a cgroup eBPF device
 * program), a mount namespace of its own, and the runtime re-executed from a
 * sealed memfd. The state's "annotations" are the config's, unchanged, as
 * runtime-spec requires; hooks get that same state on stdin.
 *
 * Ownership follows include/bulkhead/base.h. Functions that start container
 * processes fork; the library itself never prints and never exits (a forked
 * child reports its error to the parent and calls _exit).
 */
#ifndef BULKHEAD_RUNTIME_H
#define BULKHEAD_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "bulkhead/base.h"

#define BH_RT_MAX_CONFIG   (4 * 1024 * 1024) /* config.json bytes */
#define BH_RT_MAX_ID	   1024
#define BH_RT_DEFAULT_ROOT "/run/bulkhead"
#define BH_RT_OCI_VERSION  "1.1.0"
#define BH_RT_POLICY_DIR   "/etc/bulkhead/policy.d"

/* ---- the parsed spec ---------------------------------------------------- */

struct bh_rt_idmap {
	uint32_t container_id, host_id, size;
};

struct bh_rt_mount {
	char *destination;   /* absolute, cleaned */
	char *type;	     /* "bind" for bind mounts, or a file system type */
	char *source;	     /* may be NULL */
	char *data;	     /* file system options joined with ',', or NULL */
	unsigned long flags; /* MS_RDONLY, MS_NOSUID, ... (for the new API: mapped to attrs) */
	uint64_t attr_set, attr_clr; /* MOUNT_ATTR_* for mount_setattr */
	bool rec_attr;		     /* r-options (rro, rnosuid...): attrs apply recursively */
	unsigned long propagation;   /* MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE or 0 */
	bool rec_propagation;
	bool bind, rbind;
	bool idmap, ridmap; /* idmapped bind mount */
	struct bh_rt_idmap *uid_mappings, *gid_mappings;
	size_t nuid_mappings, ngid_mappings;
	bool tmpcopyup;
};

struct bh_rt_ns {
	int type;   /* CLONE_NEW* */
	char *path; /* join this one, or NULL = new */
};

struct bh_rt_rlimit {
	int resource;
	uint64_t soft, hard;
};

struct bh_rt_hook {
	char *path;
	char **args; /* NULL-terminated, may be NULL */
	char **env;  /* NULL-terminated, may be NULL */
	int timeout; /* seconds, 0 = none */
};

enum bh_rt_hook_kind {
	BH_HOOK_PRESTART,
	BH_HOOK_CREATE_RUNTIME,
	BH_HOOK_CREATE_CONTAINER,
	BH_HOOK_START_CONTAINER,
	BH_HOOK_POSTSTART,
	BH_HOOK_POSTSTOP,
	BH_HOOK_NKINDS,
};

struct bh_rt_hooks {
	struct bh_rt_hook *h;
	size_t n;
};

struct bh_rt_device {
	char *path;
	char type; /* 'c', 'b', 'u', 'p' */
	int64_t major, minor;
	uint32_t mode; /* the permission bits of fileMode (its type bits dropped), default 0666 */
	uint32_t uid, gid;
};

struct bh_rt_devrule {
	bool allow;
	char type;	      /* 'a', 'c', 'b' */
	int64_t major, minor; /* -1 = any */
	char access[4];	      /* subset of "rwm" */
};

enum bh_rt_capset {
	BH_CAP_BOUNDING,
	BH_CAP_EFFECTIVE,
	BH_CAP_INHERITABLE,
	BH_CAP_PERMITTED,
	BH_CAP_AMBIENT,
	BH_CAP_NSETS
};

struct bh_rt_process {
	bool terminal;
	uint32_t console_height, console_width;
	uint32_t uid, gid;
	uint32_t *gids;
	size_t ngids;
	bool has_umask;
	uint32_t umask;
	char **args; /* NULL-terminated, at least one */
	char **env;  /* NULL-terminated */
	char *cwd;   /* absolute */
	bool has_caps;
	uint64_t caps[BH_CAP_NSETS]; /* bit per capability */
	struct bh_rt_rlimit *rlimits;
	size_t nrlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
};

struct bh_rt_resources {
	/* memory (-1 = unset) */
	int64_t mem_limit, mem_reservation, mem_swap, mem_swappiness;
	bool mem_disable_oom_killer;
	/* memory.kernelTCP (-1 = no limit): cgroup v1 only, ignored with a warning on v2 */
	bool has_mem_kernel_tcp;
	int64_t mem_kernel_tcp;
	/* cpu */
	int64_t cpu_shares, cpu_quota, cpu_period, cpu_rt_runtime, cpu_rt_period;
	char *cpuset_cpus, *cpuset_mems;
	/* pids */
	int64_t pids_limit;
	/* block io */
	int64_t blkio_weight;
	/* hugetlb: "2MB" → limit */
	char **huge_sizes;
	int64_t *huge_limits;
	size_t nhuge;
	/* devices */
	struct bh_rt_devrule *devices;
	size_t ndevices;
	/* cgroup v2 files to write as they are */
	json_t *unified;
};

enum bh_rt_mounts_mode { BH_MOUNTS_DENY = 0, BH_MOUNTS_SUPERVISED };

struct bh_rt_spec {
	char *oci_version;
	char *root_path; /* as written: relative to the bundle or absolute */
	bool root_readonly;
	char *hostname, *domainname;
	struct bh_rt_process process;
	struct bh_rt_mount *mounts;
	size_t nmounts;
	struct bh_rt_hooks hooks[BH_HOOK_NKINDS];
	json_t *annotations; /* the config's object as it is (owned), or NULL without one */
	/* linux */
	struct bh_rt_ns *namespaces;
	size_t nnamespaces;
	struct bh_rt_idmap *uid_mappings, *gid_mappings;
	size_t nuid_mappings, ngid_mappings;
	json_t *sysctl; /* object of strings (owned) */
	/* linux.timeOffsets for a new time namespace: [0] monotonic, [1] boottime */
	bool has_time_offsets;
	int64_t time_offset_secs[2];
	uint32_t time_offset_nsecs[2];
	bool has_resources;
	struct bh_rt_resources res;
	char *cgroups_path;
	struct bh_rt_device *devices;
	size_t ndevices;
	json_t *seccomp;		  /* the linux.seccomp object (owned), or NULL */
	unsigned long rootfs_propagation; /* MS_* or 0 */
	char **masked_paths, **readonly_paths;
	size_t nmasked, nreadonly;
	/* from annotations */
	enum bh_rt_mounts_mode mounts_mode;
	char **landlock_ro, **landlock_rw;
	size_t nlandlock_ro, nlandlock_rw;
	/* set by the runtime, not read from config.json: the syscall learning
	 * mode resolved from the annotations and the profile store (learn.c;
	 * state.json's "learn"), owned, or NULL */
	json_t *learn;
};

/*
 * Parse and validate config.json from (buf, len) (at most BH_RT_MAX_CONFIG
 * bytes). Every field is type-checked, every count and size bounded; unknown
 * namespaces, capabilities, rlimits, mount options and malformed mappings are
 * errors (BH_ERR_INVALID) naming the field.
 */
int bh_rt_spec_parse(const char *buf, size_t len, struct bh_rt_spec **out, struct bh_error **err);
/* Read <bundle>/config.json and parse it. */
int bh_rt_spec_load(const char *bundle, struct bh_rt_spec **out, struct bh_error **err);
void bh_rt_spec_free(struct bh_rt_spec *s);
/* True when the spec asks for namespace `type` (CLONE_NEW*). */
bool bh_rt_spec_has_ns(const struct bh_rt_spec *s, int type);

/* The hardened default config.json (what `bulkhead spec` writes). */
json_t *bh_rt_default_spec(void);
/*
 * The default config.json of a variant, a new reference: BH_RT_SPEC_HARDENED
 * is bh_rt_default_spec(); BH_RT_SPEC_RUNC, what an image bundle starts from,
 * has runc's mounts, masked and read-only paths, the Docker default
 * capabilities and a writable root (args, env, cwd and user to be replaced).
 */
enum bh_rt_spec_variant { BH_RT_SPEC_HARDENED, BH_RT_SPEC_RUNC };
json_t *bh_rt_spec_defaults(enum bh_rt_spec_variant variant);
/* The default seccomp allow-list profile, as JSON text (share/seccomp/default.json). */
const char *bh_rt_default_seccomp(void);
/*
 * Add to a learned allow-list (an OCI seccomp profile as bh_prof_to_oci makes
 * it) the rules of the default profile that answer a call with an errno of
 * their own (clone3: ENOSYS), for the calls the list does not allow. While
 * learning, the default profile answered those calls before the recorder could
 * see them, and the workload went on with its fallback (the C library falls
 * back to clone on ENOSYS, not on EPERM: threads and posix_spawn would fail).
 */
int bh_rt_learn_errno_rules(json_t *oci, struct bh_error **err);
/* The syscalls of the deny-list that no config can lift. NULL-terminated. */
extern const char *const bh_rt_deny_list[];
/* The mount family, denied (or supervised) in containers. NULL-terminated. */
extern const char *const bh_rt_mount_family[];
/* The runtime-spec features document (`bulkhead features`). */
json_t *bh_rt_features(void);

/* "KILL", "SIGKILL", "9" → 9. */
int bh_rt_signal_parse(const char *s, int *sig, struct bh_error **err);
/* A container ID: [A-Za-z0-9_+.-], 1..1024 bytes, not "." or "..". */
int bh_rt_id_check(const char *id, struct bh_error **err);
/* True for the names bulkhead's own records take in the default state root
 * ("quarantine", "guard"): bh_rt_id_check refuses them, inventories skip them. */
bool bh_rt_id_reserved(const char *id);

/*
 * Compile a seccomp profile (the linux.seccomp object, or NULL for the
 * default profile) with the deny-list and the mount rules into a BPF program
 * (libseccomp, binary-tree optimised). `allow` lists deny-list syscalls the
 * operator allowed. *prog receives the sock_filter array, *nprog its length;
 * *listener true when the filter uses SCMP_ACT_NOTIFY. Exposed for tests.
 */
struct bh_rt_seccomp_opts {
	enum bh_rt_mounts_mode mounts;
	char *const *allow; /* NULL-terminated, may be NULL */
};
int bh_rt_seccomp_compile(const json_t *profile, const struct bh_rt_seccomp_opts *o, void **prog,
			  size_t *nprog, bool *listener, struct bh_error **err);

/* ---- the runtime ------------------------------------------------------- */

struct bh_policy_image;	 /* include/bulkhead/policy.h */
struct bh_policy_result; /* include/bulkhead/policy.h */

struct bh_rt_ctx {
	const char *root;	      /* state directory (NULL = BH_RT_DEFAULT_ROOT) */
	char *const *allow_dangerous; /* operator's --allow-dangerous, NULL-terminated */
	bool systemd_cgroup;
	bool debug;
	/* the policy evaluated at create (docs/man/bulkhead-runtime.1, "Policy"):
	 * these files, composed in order (NULL-terminated; when given the
	 * directory is not read), else every *.yaml and *.yml of policy_dir
	 * (NULL = BH_RT_POLICY_DIR) in name order; none: nothing is evaluated */
	char *const *policy_files;
	const char *policy_dir;
};

struct bh_rt_create_opts {
	const char *bundle;	    /* default "." */
	const char *pid_file;	    /* may be NULL */
	const char *console_socket; /* may be NULL */
	unsigned preserve_fds;	    /* fds 3..3+n-1 passed to the container */
	bool no_pivot;		    /* chroot instead of pivot_root (asked for) */
	bool no_new_keyring;
	/* the image the bundle was made from, when the caller knows it (`run
	 * IMAGE`); NULL: the image the engine names (its annotations, podman's or
	 * dockerd's records of the container), see bh_rt_policy_image */
	const struct bh_policy_image *image;
	/* out, may be NULL: what the policy decided, filled whenever a policy was
	 * evaluated (also when it refused the container); the caller releases it */
	struct bh_policy_result *policy;
};

/*
 * What the policy decides at create, before any state of the container
 * exists: the policy (ctx->policy_files or policy_dir) is read, composed and
 * compiled; the bundle's config.json is the input (BH_POLICY_OCI) with the
 * image it was made from. A policy file that does not compile is
 * BH_ERR_INVALID naming FILE:LINE:COLUMN of every problem; a hit with action
 * enforce refuses the container: bh_rt_create fails with BH_ERR_UNSAFE
 * ("refused by policy: ...", every enforce message) and o->policy->denied
 * set, having made nothing. audit and warn hits are kept in the state
 * ("hardening"."policy", `bulkhead state --hardening`) and in o->policy.
 */
int bh_rt_create(const struct bh_rt_ctx *ctx, const char *id, const struct bh_rt_create_opts *o,
		 struct bh_error **err);
int bh_rt_start(const struct bh_rt_ctx *ctx, const char *id, struct bh_error **err);
/*
 * create + start in this process, then wait (unless detach) and return the
 * container's exit status in *status (128+signal when killed); the container
 * is deleted afterwards unless keep.
 */
int bh_rt_run(const struct bh_rt_ctx *ctx, const char *id, const struct bh_rt_create_opts *o,
	      bool detach, bool keep, int *status, struct bh_error **err);
/*
 * The runtime-spec state: ociVersion, id, status (derived from the process,
 * never read from the file), pid, bundle, the config's annotations exactly
 * as given (absent when the config has none), and runc's rootfs, created,
 * owner.
 */
int bh_rt_state(const struct bh_rt_ctx *ctx, const char *id, json_t **out, struct bh_error **err);
/*
 * The hardening report of a container, a new object: "seccomp" (whose
 * profile), "denylist" and "allowedDangerous" (syscall names), "mounts"
 * ("denied" or "supervised"), "landlock", "reexec", "maskedPaths" and
 * "readonlyPaths" (the mandatory ones, applied whatever the config says),
 * "mountNamespace", "cgroup" (the layout) and "devices" (how the device
 * policy is enforced: the v1 controller, the eBPF program and its size).
 */
int bh_rt_hardening(const struct bh_rt_ctx *ctx, const char *id, json_t **out,
		    struct bh_error **err);
int bh_rt_kill(const struct bh_rt_ctx *ctx, const char *id, int sig, bool all,
	       struct bh_error **err);
int bh_rt_delete(const struct bh_rt_ctx *ctx, const char *id, bool force, struct bh_error **err);
/* Array of state objects, by ID. */
int bh_rt_list(const struct bh_rt_ctx *ctx, json_t **out, struct bh_error **err);
/* The pids in the container's cgroup (host pids). */
int bh_rt_ps(const struct bh_rt_ctx *ctx, const char *id, pid_t **pids, size_t *npids,
	     struct bh_error **err);
int bh_rt_pause(const struct bh_rt_ctx *ctx, const char *id, struct bh_error **err);
int bh_rt_resume(const struct bh_rt_ctx *ctx, const char *id, struct bh_error **err);

struct bh_rt_exec_opts {
	const char *process_json; /* --process file, or NULL */
	char *const *args;	  /* the command when no process file */
	char *const *env;	  /* extra KEY=VALUE */
	const char *cwd;
	const char *user;  /* "uid[:gid]" */
	char *const *caps; /* extra capabilities */
	bool tty;
	bool detach;
	bool no_new_privs;
	const char *pid_file;
	const char *console_socket;
	unsigned preserve_fds;
};
int bh_rt_exec(const struct bh_rt_ctx *ctx, const char *id, const struct bh_rt_exec_opts *o,
	       int *status, struct bh_error **err);

/*
 * CVE-2019-5736: unless already done, re-execute the running binary from a
 * sealed memfd (argv and environ unchanged, BULKHEAD_SEALED=1 added). Returns
 * only on failure, or 0 when already sealed.
 */
int bh_rt_reexec_sealed(int argc, char **argv, struct bh_error **err);
/* True when this process runs from a sealed memfd copy. */
bool bh_rt_is_sealed(void);

/* ---- the admission decision log (admit17) -------------------------------
 *
 * Each create-time policy decision (allow, deny, or error: the policy could
 * not be read or evaluated, so the container was refused) is appended as one
 * JSON line to <root>/.admission@log: {"ts","decision","source"? (the
 * webhook's),"id","rules":[{"rule","action","section"?,"message"}],
 * "name"?,"image"?,"digest"?,"reason"?} (readers look members up by key,
 * never by position). An append is one write(2) of a whole line under an flock of
 * <root>/.admission@lock; past cap bytes (0: BH_RT_ADMIT_LOG_MAX) the log is
 * renamed to .admission@log.1 first (the previous .1 goes): at most twice cap
 * on disk. A line is at most BH_RT_ADMIT_LINE_MAX: an entry whose JSON is
 * longer (escapes grow a string up to 6x) is shrunk and marked
 * "truncated":true: rules' messages dropped, then name, image, reason,
 * digest, message and namespace cut, last {ts, decision, id, source?,
 * truncated}: a decision is never lost to its size. The admission webhook
 * writes its decisions to the same log (include/bulkhead/admission.h,
 * "source":"webhook"). Bytes that are not UTF-8 in a string are written as U+FFFD. The
 * names hold '@', which no container ID may.
 */
#define BH_RT_ADMIT_LOG	     ".admission@log"
#define BH_RT_ADMIT_LOG_MAX  (1u << 20)
#define BH_RT_ADMIT_LINE_MAX (8u << 10)
int bh_rt_admit_log_append(const char *root, const json_t *entry, uint64_t cap,
			   struct bh_error **err);
/* Pieces of an entry, shared with the webhook's log: o's member k, the string
 * s cut at n bytes on a character's boundary, bytes that are not UTF-8 as
 * U+FFFD (nothing for NULL or ""); the "rules" array of a policy's result (at
 * most 8 hits, each {rule, action, section?, message}; NULL without memory). */
void bh_rt_admit_log_set(json_t *o, const char *k, const char *s, size_t n);
json_t *bh_rt_admit_log_rules(const struct bh_policy_result *res);
/* The skeleton of every entry, the runtime's and the webhook's: an object
 * {"ts": now, "decision", "source" (NULL: none, the runtime's), "id" (cut at
 * id_max bytes), "rules" (of res, which may be NULL)}, to which the caller
 * adds its own members (the reader takes them in any order). NULL without
 * memory. */
json_t *bh_rt_admit_log_entry_new(const char *decision, const char *source, const char *id,
				  size_t id_max, const struct bh_policy_result *res);
/*
 * n entries under one lock (declog19): their lines, each shrunk as above, in
 * one write(2), cut where a line would take the log past cap (what is before
 * written, the log rotated, the rest in the new one). *written (NULL: not
 * wanted): the lines written, also when it fails part way.
 */
int bh_rt_admit_log_append_batch(const char *root, const json_t *const *entries, size_t n,
				 uint64_t cap, size_t *written, struct bh_error **err);

/* Where a reader is: the file (dev, ino) and the offset after the last line
 * it took. All zero: from the start of what is there. */
struct bh_rt_admit_cursor {
	uint64_t dev, ino, off;
};
/*
 * Read the entries after *cur, at most max of them (0: 256): the rest of the
 * rotated .admission@log.1 first when the log was rotated under the cursor,
 * then the log. fn gets each whole line that parses as a JSON object (a
 * line torn at the end waits for its newline; a line over
 * BH_RT_ADMIT_LINE_MAX, not JSON or not an object is skipped and counted in
 * *bad); *cur moves past each line fn accepted (fn < 0 stops the read there,
 * its error returned). Returns the entries given to fn, or < 0. A missing
 * log is no entry.
 */
int bh_rt_admit_log_read(const char *root, struct bh_rt_admit_cursor *cur, size_t max,
			 int (*fn)(void *data, const json_t *entry, struct bh_error **err),
			 void *data, uint64_t *bad, struct bh_error **err);

#endif /* BULKHEAD_RUNTIME_H */
