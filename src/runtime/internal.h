/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/runtime: the pieces the container lifecycle is built from. */
#ifndef BULKHEAD_RUNTIME_INTERNAL_H
#define BULKHEAD_RUNTIME_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <termios.h>

#include "bulkhead/runtime.h"

/* Limits on untrusted config.json content. */
#define RT_MAX_STR	   (64 * 1024)
#define RT_MAX_PATH	   4096
#define RT_MAX_ARGS	   65536
#define RT_MAX_ENV	   65536
#define RT_MAX_MOUNTS	   1024
#define RT_MAX_MAPPINGS	   340
#define RT_MAX_HOOKS	   256
#define RT_MAX_DEVICES	   4096
#define RT_MAX_PATHS	   1024
#define RT_MAX_GIDS	   65536
#define RT_MAX_SYSCTL	   1024
#define RT_MAX_ANNOTATIONS 4096

/* ---- spec.c, spec_mounts.c, spec_linux.c: config.json ------------------------ */
const char *rt_ns_name(int type);
/* Keep only the bits of the capabilities this kernel knows. */
uint64_t rt_caps_known_mask(void);

/*
 * Typed readers of config.json members, shared by the parsers: each checks
 * the type and the bound of obj.key and names "where.key" in its error. An
 * absent or null member leaves the output unset (NULL, or *present false)
 * and is an error only when required.
 */
int rt_spec_str(const json_t *obj, const char *key, bool required, size_t max, char **out,
		const char *where, struct bh_error **err);
int rt_spec_bool(const json_t *obj, const char *key, bool *out, const char *where,
		 struct bh_error **err);
/* An integer in [min, max]. */
int rt_spec_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out,
		bool *present, const char *where, struct bh_error **err);
int rt_spec_u32(const json_t *obj, const char *key, uint32_t *out, const char *where,
		struct bh_error **err);
/* An object (or, with array, an array): *out borrowed from obj. */
int rt_spec_typed(const json_t *obj, const char *key, bool array, json_t **out, const char *where,
		  struct bh_error **err);
/* An array of strings → a NULL-terminated vector (caller frees with bh_strv_free). */
int rt_spec_strv(const json_t *obj, const char *key, size_t maxn, size_t maxlen, char ***out,
		 size_t *count, const char *where, struct bh_error **err);
/* An absolute path, cleaned lexically ("/a/../b" → "/b"; ".." above / refused). */
int rt_spec_abs_path(const char *in, char **out, const char *where, struct bh_error **err);
/* uidMappings / gidMappings: bounded, no overflow, no overlap. */
int rt_spec_mappings(const json_t *obj, const char *key, struct bh_rt_idmap **out, size_t *n,
		     const char *where, struct bh_error **err);
/* The parts of bh_rt_spec_parse: mounts[] (spec_mounts.c) and linux (spec_linux.c). */
int rt_spec_parse_mounts(struct bh_rt_spec *s, const json_t *root, struct bh_error **err);
int rt_spec_parse_linux(struct bh_rt_spec *s, const json_t *root, struct bh_error **err);

/* ---- cgroup.c ---------------------------------------------------------- */

enum rt_cg_layout { RT_CG_V1 = 1, RT_CG_HYBRID, RT_CG_V2 };

/* The size of an attached cgroup device program (devices_bpf.c). */
struct rt_devbpf_stats {
	size_t nrules;	 /* rules of the policy */
	size_t nchecked; /* rules the program checks (shadowed ones dropped) */
	size_t ninsns;	 /* instructions */
};

struct rt_cgroup {
	enum rt_cg_layout layout;
	char *path; /* the container's path below each hierarchy root, "/a/b" */
	/* Hierarchy directories that hold the container: absolute paths. */
	char **dirs;  /* e.g. /sys/fs/cgroup/memory/a/b */
	char **names; /* "memory", "cpu,cpuacct", "unified" */
	size_t ndirs;
	/* the device program rt_cgroup_create attached (all 0: none); not in the state file */
	struct rt_devbpf_stats devbpf;
};

int rt_cgroup_layout(enum rt_cg_layout *out, struct bh_error **err);
/* Work out the directories for cgroups_path (NULL = default for id). */
int rt_cgroup_init(struct rt_cgroup *cg, const char *cgroups_path, const char *id, bool systemd,
		   struct bh_error **err);
/* Make the directories (cpuset values inherited) and write the resources. */
int rt_cgroup_create(struct rt_cgroup *cg, const struct bh_rt_spec *spec, struct bh_error **err);
int rt_cgroup_enter(const struct rt_cgroup *cg, pid_t pid, struct bh_error **err);
/* pids of the container (from the first hierarchy that has cgroup.procs). */
int rt_cgroup_pids(const struct rt_cgroup *cg, pid_t **pids, size_t *n, struct bh_error **err);
int rt_cgroup_freeze(const struct rt_cgroup *cg, bool freeze, struct bh_error **err);
/* 1 frozen, 0 not, -1 unknown. */
int rt_cgroup_frozen(const struct rt_cgroup *cg);
/* Remove the directories (after the processes are gone). */
int rt_cgroup_destroy(const struct rt_cgroup *cg, struct bh_error **err);
void rt_cgroup_release(struct rt_cgroup *cg);
json_t *rt_cgroup_to_json(const struct rt_cgroup *cg);
int rt_cgroup_from_json(const json_t *j, struct rt_cgroup *cg, struct bh_error **err);

/* ---- sync.c: the sync channel and the process helpers ---------------------- */

/*
 * Messages on the sync socket between the runtime and its children. A child
 * that fails sends SYNC_ERROR with text and exits.
 */
enum rt_sync_type {
	SYNC_GO = 1,   /* parent → child: continue */
	SYNC_USERMAP,  /* child → parent: write my uid/gid maps */
	SYNC_PID,      /* child → parent: the container's init pid in value */
	SYNC_HOOKS,    /* child → parent: run createRuntime/prestart/createContainer */
	SYNC_READY,    /* child → parent: waiting for start */
	SYNC_ERROR,    /* child → parent: text, then the child exits */
	SYNC_MOUNTFDS, /* parent → child: idmapped mount fds follow (SCM_RIGHTS) */
};

struct rt_sync_msg {
	int type;
	int value;
	char text[1024];
};

int rt_sync_send(int fd, int type, int value, const char *text);
int rt_sync_send_fds(int fd, int type, const int *fds, size_t nfds);
/* Receive one message; fds (may be NULL) gets up to *nfds passed fds. */
int rt_sync_recv(int fd, struct rt_sync_msg *m, int *fds, size_t *nfds);
/* One message of len bytes from buf, with nfds (at most 64) fds. 0, or -1 (errno). */
int rt_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds);
/* One message of at most len bytes into buf, with at most *nfds of the fds that came with
 * it (the rest closed; *nfds set to the count). Returns its length, or -1 (errno). */
ssize_t rt_recv_fds(int sock, void *buf, size_t len, int *fds, size_t *nfds);
/* In a child: format an error with errno text, send it, _exit(1). */
void rt_child_fail(int sync, int errnum, const char *fmt, ...) BH_PRINTF(3, 4)
	__attribute__((noreturn));
/* In a child: send err's message (and errno), _exit(1). */
void rt_child_fail_err(int sync, struct bh_error *err) __attribute__((noreturn));

int rt_pidfd_open(pid_t pid);
int rt_pidfd_send_signal(int pidfd, int sig);
/* Field 22 of /proc/pid/stat; 0 if the process is gone. state gets the state letter. */
uint64_t rt_proc_starttime(pid_t pid, char *state);

/* ---- policy.c: the policy at create ------------------------------------------ */

struct bh_buf;
/*
 * Evaluate the policy (ctx's files or directory) on the bundle's config
 * (raw: config.json as read; spec: it parsed) and the image it was made
 * from (`given`, else the engine's: annotations, podman's or dockerd's
 * records of container `id`). No policy: 0, *record NULL. Allowed: 0 and
 * *record the decision to keep in the state (hits, files, image), caller's.
 * Refused: BH_ERR_UNSAFE with the enforce messages. *out (may be NULL)
 * gets the result whenever one was made.
 */
int rt_policy_admit(const struct bh_rt_ctx *ctx, const char *id, const char *bundle,
		    const struct bh_buf *raw, const struct bh_rt_spec *spec,
		    const struct bh_policy_image *given, struct bh_policy_result *out,
		    json_t **record, struct bh_error **err);

/* admit_log.c: the entry of one decision for bh_rt_admit_log_append (failed:
 * the error that refused the container without a result, or NULL). */
struct bh_policy_result;
json_t *rt_admit_entry(const char *id, const json_t *config, const struct bh_policy_result *res,
		       const char *image, const char *digest, const struct bh_error *failed);

/* ---- state.c: the state store ---------------------------------------------- */

#define RT_MAX_STATE (16 << 20) /* state.json bytes */

/* The state root: ctx->root, or BH_RT_DEFAULT_ROOT. */
const char *rt_state_root(const struct bh_rt_ctx *ctx);
/* <root>/<id>. Caller frees. */
char *rt_state_dir(const struct bh_rt_ctx *ctx, const char *id);
/* Replace <dir>/state.json with st, atomically. */
BH_MUST_CHECK int rt_state_write(const char *dir, json_t *st, struct bh_error **err);
/* Read <root>/<id>/state.json (the ID checked first); BH_ERR_NOTFOUND when there is none. */
int rt_state_read(const struct bh_rt_ctx *ctx, const char *id, json_t **out, struct bh_error **err);
/* flock <dir> against concurrent lifecycle commands: the fd (closing it unlocks), or -1. */
int rt_state_lock(const char *dir, struct bh_error **err);
/* creating / created / running / paused / stopped, from the init process, the fifo and
 * the freezer. A static string. */
const char *rt_state_status(const struct bh_rt_ctx *ctx, const char *id, json_t *st);
/* The runtime-spec state of st (a new reference). */
json_t *rt_state_public(const struct bh_rt_ctx *ctx, const char *id, json_t *st);
/*
 * The state a hook reads on its stdin (runtime-spec: ociVersion, id, status, pid, bundle,
 * annotations; the config's annotations exactly, none when NULL), as JSON text. Caller
 * frees.
 */
char *rt_state_for_hooks(const char *id, pid_t pid, const char *bundle, const char *status,
			 const json_t *annotations);

/* ---- create.c, init.c: create ------------------------------------------------ */

/* A created container, as create leaves it for start (run keeps it in hand). */
struct rt_created {
	pid_t pid;
	char *dir;
	struct rt_cgroup cg;
	struct bh_rt_spec *spec;
	json_t *state;
	pid_t supervisor;
	int tty; /* a foreground run's end of the console socket pair, or -1 */
};
/*
 * Create the container `id` from the bundle of o. own_tty: a foreground run,
 * which makes the terminal itself when process.terminal has no console
 * socket (c->tty is then its end). On failure nothing is left: no state
 * directory, no cgroup, no process. *c is released with rt_created_release
 * either way.
 */
int rt_create(const struct bh_rt_ctx *ctx, const char *id, const struct bh_rt_create_opts *o,
	      bool own_tty, struct rt_created *c, struct bh_error **err);
void rt_created_release(struct rt_created *c);

/* ---- learn.c: syscall learning (org.bulkhead.seccomp.* annotations) ---------- */

/*
 * Resolve the learning mode (spec->learn) and, for monitor/protect, put the
 * learned profile in place of spec's linux.seccomp. create: state NULL, the
 * mode from the annotations and the profile store (discover, or no mode, on a
 * promoted profile: its stored mode); exec: state's "learn", the container's.
 */
int rt_learn_apply(struct bh_rt_spec *spec, const json_t *state, struct bh_error **err);

/* measure.c: with annotation org.bulkhead.measure=true, the launch measured
 * into the TPM and its event log (bh_tpm_measure_launch); else nothing. */
struct bh_policy_image;
int rt_measure(const struct bh_rt_ctx *ctx, const char *id, const char *bundle,
	       const struct bh_buf *raw, const struct bh_rt_spec *spec,
	       const struct bh_policy_image *image, struct bh_error **err);
/* vtpm.c: annotation org.bulkhead.vtpm=true, a vTPM (swtpm) for the container.
 * check: 1 wanted (and swtpm installed), 0 not, -1 a bad annotation or no swtpm.
 * start (after make_state): swtpm up, its EK certified, state "vtpm", the mount and
 * env added to c->spec; a failure leaves it in c->state for rt_vtpm_stop.
 * stop: the swtpm of a state's "vtpm" ended (its files go with the state, or its
 * state to <root>/vtpm-kept/<id> with org.bulkhead.vtpm.keep=true). */
int rt_vtpm_check(const struct bh_rt_spec *spec, struct bh_error **err);
int rt_vtpm_start(const struct bh_rt_ctx *ctx, const char *id, struct rt_created *c,
		  struct bh_error **err);
void rt_vtpm_stop(const json_t *state);
/* exec: *env given the TCTI variables the init got (state "vtpm"), each replaced by
 * its last entry in own (the exec's --env, or its --process env) when own sets it. */
void rt_vtpm_exec_env(const json_t *state, char ***env, char *const *own);
/* 0 when the state has no vTPM or its swtpm runs, else an error (start refuses). */
int rt_vtpm_alive(const json_t *state, const char *id, struct bh_error **err);
/* vtpm_proxy.c: a process listening on path (owner uid:gid, 0660) that forwards
 * only tpm2-tss's CMD_SET_LOCALITY 0 to swtpm's real control socket; its pid. */
pid_t rt_vtpm_proxy_start(const char *path, const char *real, uid_t uid, gid_t gid, uid_t fuid,
			  gid_t fgid, const int *cgfd, size_t ncg, struct bh_error **err);
/* The swtpm's and the filter's setup in their forked child (vtpm.c): they
 * join the cgroups whose cgroup.procs are cgfd (rt_vtpm_cg_join: 0 or an
 * errno), the filter drops root, then rt_vtpm_report writes their pid and the
 * outcome to fd report (_exit 126 when it failed), which rt_vtpm_started reads
 * in the runtime: the pid, or -1 and err. */
enum { RT_VTPM_STEP_CGROUP, RT_VTPM_STEP_USER };
struct rt_vtpm_started {
	pid_t pid;
	int err;  /* 0, else an errno */
	int what; /* RT_VTPM_STEP_ */
};
int rt_vtpm_cg_join(const int *cgfd, size_t ncg);
void rt_vtpm_report(int report, int e, int what);
pid_t rt_vtpm_started(int fd, const char *who, struct bh_error **err);
/* Arm the syscall recorder when the annotations ask (c->pid in its cgroups). */
int rt_learn_arm(const char *id, struct rt_created *c, struct bh_error **err);
/* A failed create: unpin the recorder armed for `state` (NULL: any pinned for id). */
void rt_learn_undo(const char *id, const json_t *state);
/* exec: note the session beside the state (dir) of a learning container. */
void rt_learn_note_exec(const char *dir, const json_t *state, char *const *args);
/* At delete: what the recorder learned (and the exec sessions noted in dir)
 * into the profile store; unpinned either way. */
int rt_learn_collect(const char *id, const char *dir, const json_t *state, struct bh_error **err);

/* What the runtime hands the process it clones (init.c). */
struct rt_init_args {
	const struct bh_rt_spec *spec;
	const char *rootfs;
	const char *id;
	const struct rt_cgroup *cg;
	const struct rt_filter *filter;
	int sync, sync_parent;
	int procfd;    /* host /proc (O_PATH), to reopen the fifo */
	int fifo_path; /* O_PATH fd on exec.fifo */
	int console;   /* connected console socket, or -1 */
	int notify;    /* supervisor socket, or -1 */
	int *nsfds;    /* per spec namespace: an fd to join, or -1 */
	int lockfd;    /* the runtime's lock on the state dir: closed in the child */
	unsigned preserve_fds;
	bool no_pivot, no_new_keyring;
	bool userns; /* new user namespace */
	bool intermediate;
	bool joined_mntns; /* the mount namespace is joined by path */
	dev_t root_dev;	   /* the rootfs as the runtime saw it */
	ino_t root_ino;
	const char *bundle; /* for the state of startContainer hooks */
};
/* In the child of clone(2): the intermediate (a->intermediate) or the init. Never returns. */
void rt_init_main(struct rt_init_args *a) __attribute__((noreturn));

/* ---- seccomp.c --------------------------------------------------------- */

struct rt_filter {
	void *prog; /* struct sock_filter[] */
	size_t n;
	bool listener;
	unsigned flags; /* SECCOMP_FILTER_FLAG_* to pass to seccomp(2) */
};
/* cache_root: the state root, where compiled programs are cached (NULL: no cache). */
int rt_filter_build(const struct bh_rt_spec *spec, char *const *allow, const char *cache_root,
		    struct rt_filter *f, struct bh_error **err);
void rt_filter_release(struct rt_filter *f);
/* In the container: load it; returns the listener fd (or 0 without one), -errno on failure. */
int rt_filter_load(const struct rt_filter *f);

/* ---- mount.c ------------------------------------------------------------- */

struct rt_mount_ctx {
	const struct bh_rt_spec *spec;
	const char *rootfs;	    /* absolute host path */
	const struct rt_cgroup *cg; /* for "cgroup" mounts */
	bool userns;		    /* running in a new user namespace */
	bool no_pivot;
	int *idmap_fds; /* per mount: a prepared detached mount, or -1 */
	int sync;	/* for hooks: the sync socket, -1 = none */
	bool have_hooks;
	/* a joined mount namespace: rootfs must be this directory, reached without symlinks */
	bool joined_mntns;
	dev_t root_dev;
	ino_t root_ino;
};
/* Everything up to and including pivot_root, masked/readonly paths, ro root. */
int rt_mount_setup(struct rt_mount_ctx *m, struct bh_error **err);
/* Prepare (in the runtime) a detached idmapped bind mount for mount i. */
int rt_mount_idmapped(const struct bh_rt_mount *mnt, pid_t child, struct bh_error **err);
/*
 * copyup.c: copy the directory s (an fd, owned: closed here) into the directory d
 * through fds, bounded, symlinks never followed, other file systems not entered; then
 * st's owner, mode and times onto d when meta. `what` names the directory in
 * messages; *entries gets the count copied.
 */
int rt_copyup(int s, int d, const struct stat *st, const char *what, bool meta, size_t *entries,
	      struct bh_error **err);
/* The mandatory masked and read-only paths that every container gets. */
extern const char *const rt_mandatory_masked[];
extern const char *const rt_mandatory_readonly[];

/* ---- process.c ----------------------------------------------------------- */

struct rt_proc_ctx {
	const struct bh_rt_process *p;
	const struct bh_rt_spec *spec; /* landlock, mounts mode */
	const struct rt_filter *filter;
	int notify_sock; /* send the seccomp listener here, or -1 */
	unsigned preserve_fds;
	bool in_userns;
};
/* Resolve args[0] through the process PATH; *out is the path to exec. */
int rt_find_exec(const struct bh_rt_process *p, char **out, struct bh_error **err);
/* After start: rlimits, user, caps, no_new_privs, Landlock, seccomp, exec. Never returns on
 * success; on failure returns -1 with err. */
int rt_process_exec(const struct rt_proc_ctx *c, const char *exe, struct bh_error **err);
/* rlimits, oom_score_adj, umask, sysctl helpers used before exec. */
int rt_set_rlimits(const struct bh_rt_process *p, struct bh_error **err);
int rt_landlock_apply(const struct bh_rt_spec *spec, struct bh_error **err);
/* The best Landlock ABI of this kernel (0 = none). */
int rt_landlock_abi(void);
/* Console: make a pty inside the container, send the master on `sock`, and
 * make the slave our controlling terminal and stdio. */
int rt_console_setup(int sock, const struct bh_rt_process *p, struct bh_error **err);

/* ---- tty.c ----------------------------------------------------------------- */
/* The terminal of a foreground run without --console-socket: the runtime proxies the
 * container's pty to its own stdin/stdout. */
struct rt_tty {
	int master;	      /* the container's pty master (owned) */
	int in, out;	      /* our side: borrowed */
	int winfd;	      /* our terminal, for its size, or -1 */
	bool raw;	      /* `in` was put in raw mode: restore `saved` */
	struct termios saved; /* our terminal's mode before */
};
/* Receive the master that rt_console_setup sent on sock. */
int rt_tty_recv_master(int sock, struct bh_error **err);
/* Take master (owned from now on); size the pty like our terminal; raw mode on `in` if it
 * is a terminal. On failure rt_tty_end still releases what was done. */
int rt_tty_begin(struct rt_tty *t, int master, int in, int out, struct bh_error **err);
/* Copy both ways until process pid exits (then drain what it left); SIGWINCH resizes. */
int rt_tty_proxy(struct rt_tty *t, pid_t pid, struct bh_error **err);
/* Restore our terminal, close the master. */
void rt_tty_end(struct rt_tty *t);

/* ---- hooks.c ------------------------------------------------------------- */
/* Run the hooks of `kind` with the state JSON on stdin. mntns_pid > 0: in that
 * process's mount namespace (createContainer). */
int rt_hooks_run(const struct bh_rt_spec *spec, enum bh_rt_hook_kind kind, const char *state,
		 pid_t mntns_pid, struct bh_error **err);

/* ---- notify.c ------------------------------------------------------------ */
/* protect's refusals, counted by the supervisor: in the state directory, RT_DENIALS_COUNT
 * uint64_t, [arch * BH_PROF_MAX_NR + nr] (bh_prof_record.denied's layout). */
#define RT_DENIALS_FILE	 "denials"
#define RT_DENIALS_COUNT (3 * 1024)
#define RT_DENIALS_SIZE	 (RT_DENIALS_COUNT * sizeof(uint64_t))
/* Start the supervisor of the container's seccomp notifications (a detached process):
 * mount and umount2 decided when mounts (supervised mounts), anything else answered EPERM
 * and counted into the counter file `counters` (-1: none; the supervisor keeps its own
 * copy). Returns the fd the container sends its listener on, or -1. */
int rt_notify_supervisor_start(int counters, bool mounts, pid_t *sup_pid, struct bh_error **err);

#endif
