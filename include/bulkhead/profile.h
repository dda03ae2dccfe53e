/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead profile: per-container syscall allow-lists learned from what
 * the workload really does (issue 14).
 *
 *   recorder  an eBPF program on sys_enter (tp_btf, raw_tp where tp_btf does
 *             not load) counts, per architecture, every syscall made by an
 *             armed task of a container into the container's per-CPU bitmap,
 *             which cannot drop events. One program set serves every
 *             container: loaded by the first arm, pinned under
 *             /sys/fs/bpf/bulkhead/prof-v<layout>/ (the pins hold it
 *             whatever process created it), unpinned by the last remove. A
 *             container is armed when its init execs
 *             the workload, so the runtime's own setup calls are not
 *             recorded; so is each task that joins it later (an exec
 *             session), at its own exec, and children and threads of a
 *             recorded task are recorded. Collected at delete.
 *   set       what was learned: bitmaps by architecture, counters, and the
 *             learning window; turned into syscall names with libseccomp.
 *
 * libbpf is loaded on first use (src/lazy): a container that does not learn
 * never maps it. Ownership follows include/bulkhead/base.h.
 */
#ifndef BULKHEAD_PROFILE_H
#define BULKHEAD_PROFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "bulkhead/base.h"

#define BH_PROF_MAX_NR 1024 /* syscall numbers recorded per architecture */
#define BH_PROF_WORDS  (BH_PROF_MAX_NR / 64)

/* The architectures a profile distinguishes (native and compat calls differ). */
enum bh_prof_arch {
	BH_PROF_X86_64 = 0, /* SCMP_ARCH_X86_64 */
	BH_PROF_X86 = 1,    /* SCMP_ARCH_X86: compat (32-bit) calls */
	BH_PROF_X32 = 2,    /* SCMP_ARCH_X32 */
	BH_PROF_NARCH = 3,
};

/* The OCI name of an architecture ("SCMP_ARCH_X86_64"). */
const char *bh_prof_arch_name(enum bh_prof_arch a);

/* What one recorder saw. */
struct bh_prof_record {
	uint64_t bits[BH_PROF_NARCH][BH_PROF_WORDS];
	uint64_t events; /* calls recorded */
	uint64_t lost;	 /* calls that could not be recorded (number out of range) */
	bool armed;	 /* the workload was exec'd (else nothing ran: nothing learned) */
	uint64_t armed_ns, collected_ns; /* CLOCK_MONOTONIC: the learning window */
	uint64_t execs;			 /* execve()s by recorded tasks after the first */
	uint64_t joined; /* execve()s by tasks that joined the container (exec sessions) */
	/* monitor: calls outside the allow-list, count[arch * BH_PROF_MAX_NR + nr];
	 * NULL otherwise. Owned: bh_prof_record_release. */
	uint64_t *outside;
	/* protect: calls the seccomp filter refused (EPERM returned, or the task
	 * killed by SIGSYS), same layout; NULL otherwise. Owned as outside. */
	uint64_t *denied;
};
void bh_prof_record_release(struct bh_prof_record *rec);

/*
 * The bitmap of a profile's names (a "syscalls" object: architecture →
 * names), every name on each of the three architectures (as the OCI profile
 * bh_prof_to_oci writes allows it). Names libseccomp does not know are skipped.
 */
void bh_prof_bits_of(const json_t *profile, struct bh_prof_record *out);

/* bh_prof_recorder_arm's flags */
#define BH_PROF_REC_MONITOR 1u /* count calls outside `allowed` (bh_prof_record.outside) */
#define BH_PROF_REC_PROTECT 2u /* record nothing; count calls refused (.denied) */

/*
 * Arm the recorder for container `id`, whose cgroup2 directory is `cg2_dir`
 * (absolute, below the cgroup2 mount; `cg2_path` is its path below the
 * hierarchy root, "/a/b", not the root itself), for the exec of `init` (a
 * host pid). One program set serves every armed container: the first arm
 * loads it and pins it under bh_prof_pin_dir() (bpffs is mounted at
 * /sys/fs/bpf when it is not), later ones take a slot in it (up to 1024 at
 * once: BH_ERR_LIMIT past that). With BH_PROF_REC_MONITOR, calls outside
 * `allowed` are also counted; with BH_PROF_REC_PROTECT (the allow-list
 * enforced by seccomp) nothing is learned, the calls the filter refused are
 * counted. Safe against concurrent arms and removes from other processes.
 * Errors: BH_ERR_UNSUPPORTED when BPF is not allowed here (the message says
 * why: no CAP_BPF/CAP_SYS_ADMIN, no BTF, a kernel without the helpers),
 * BH_ERR_IO for libbpf missing or a pin that cannot be made.
 */
int bh_prof_recorder_arm(const char *id, const char *cg2_dir, const char *cg2_path, pid_t init,
			 const struct bh_prof_record *allowed, unsigned flags,
			 struct bh_error **err) BH_MUST_CHECK;

/* Read what the recorder saw of `id` so far. BH_ERR_NOTFOUND: not armed. */
int bh_prof_recorder_read(const char *id, struct bh_prof_record *out, struct bh_error **err);

/* Release the slot of `id`; the last one armed unpins (and so detaches) the
 * program set. Nothing armed is not an error. */
int bh_prof_recorder_remove(const char *id, struct bh_error **err);

/* The directory the shared program set is pinned in,
 * /sys/fs/bpf/bulkhead/prof-v<layout> (new string). */
char *bh_prof_pin_dir(void);

/* A profile name: 1..128 of [A-Za-z0-9._-], not starting with '.' or '-'. */
int bh_prof_name_check(const char *name, struct bh_error **err);

/* ---- the profile store ---------------------------------------------------- */

/*
 * Learned profiles, in their own SQLite file (WAL; not the advisory
 * database, which is a cache that `db update` may rebuild): one row per
 * (name, image digest, "" when unknown) holding the syscall names by
 * architecture and the learning window: runs, seconds learned, events, lost
 * events, exec'd processes after the workload's own exec, containers.
 * Learning windows add up: a new record is merged into the row.
 */
struct bh_prof_store;

/* $BULKHEAD_PROFILES, else /var/lib/bulkhead/profiles.sqlite (root) or
 * $XDG_DATA_HOME/bulkhead/profiles.sqlite (~/.local/share when unset). */
char *bh_prof_store_default_path(void);
/* path NULL: the default. BH_ERR_NOTFOUND when absent and !create. */
int bh_prof_store_open(const char *path, bool create, struct bh_prof_store **out,
		       struct bh_error **err);
void bh_prof_store_close(struct bh_prof_store *s);
/* Leave the WAL as it is at close (no checkpoint, no fsync, no delete): for the
 * runtime, which opens the store at every create and delete of a container
 * learning; its commits checkpoint as the WAL reaches a few pages. Commands a
 * user runs keep the default: the WAL checkpointed into the file at close. */
void bh_prof_store_keep_wal(struct bh_prof_store *s);
/*
 * Merge what container `container` learned into (name, digest), with the
 * exec sessions run in it meanwhile (a JSON array of {"time", "args"}, or
 * NULL; they pollute a profile, so they are kept and shown): one
 * transaction, nothing written on failure. A name on `deny` (NULL-terminated;
 * the runtime's deny-list) refuses the save: BH_ERR_UNSAFE, naming it.
 */
int bh_prof_store_add(struct bh_prof_store *s, const char *name, const char *digest,
		      const char *container, const json_t *exec_sessions,
		      const struct bh_prof_record *rec, const char *const *deny,
		      struct bh_error **err) BH_MUST_CHECK;
/*
 * Merge a profile (the shape bh_prof_store_list gives, or bh_prof_from_oci's:
 * "syscalls" required, the counters and "containers" added when present)
 * into (name, digest), as bh_prof_store_add does.
 */
int bh_prof_store_put(struct bh_prof_store *s, const char *name, const char *digest,
		      const json_t *profile, const char *const *deny,
		      struct bh_error **err) BH_MUST_CHECK;
/*
 * The profiles as a JSON array, each {"name", "digest", "syscalls":
 * {"SCMP_ARCH_X86_64": [names…]}, "runs", "seconds", "events", "lost", "execs",
 * "containers": [{"id", "exec_sessions": [{"time", "args"}…]}…], "created",
 * "updated", "mode", "promotion" (bh_prof_store_mode)}; name NULL: all of them.
 */
int bh_prof_store_list(struct bh_prof_store *s, const char *name, json_t **out,
		       struct bh_error **err);
/*
 * One profile: the rows of name (only digest's when digest is not NULL)
 * merged: names united, counters summed, "digests" listing the rows,
 * "outside" the monitor reports (bh_prof_store_reports), "mode" and
 * "promotion" (bh_prof_store_mode).
 * BH_ERR_NOTFOUND when there is none.
 */
int bh_prof_store_get(struct bh_prof_store *s, const char *name, const char *digest, json_t **out,
		      struct bh_error **err);
/* monitor: store rec->outside (calls outside the profile) as report rows. */
int bh_prof_store_report(struct bh_prof_store *s, const char *name, const char *digest,
			 const char *container, const struct bh_prof_record *rec,
			 struct bh_error **err) BH_MUST_CHECK;
/* The report rows of name: [{"container", "arch", "syscall", "count", "time", "digest"}]. */
int bh_prof_store_reports(struct bh_prof_store *s, const char *name, json_t **out,
			  struct bh_error **err);
/* Merge every row of src into dst (digest by digest). */
int bh_prof_store_merge(struct bh_prof_store *s, const char *dst, const char *src,
			const char *const *deny, struct bh_error **err) BH_MUST_CHECK;
/* Read the OCI seccomp profile at path (bh_prof_from_oci) into (name, digest). */
int bh_prof_import_file(struct bh_prof_store *s, const char *name, const char *digest,
			const char *path, const char *const *deny,
			struct bh_error **err) BH_MUST_CHECK;
/* Delete name (every digest, or only digest; its mode and rule with its last
 * row); BH_ERR_NOTFOUND when nothing matched. */
int bh_prof_store_delete(struct bh_prof_store *s, const char *name, const char *digest,
			 struct bh_error **err);
/*
 * Modes and automatic promotion. A stored profile has a mode, the one the
 * runtime uses for a container that names it (org.bulkhead.seccomp.profile)
 * with no mode or with discover: discover (learn), monitor or protect; the
 * default, for a profile with no mode stored, is discover. A promotion rule
 * (minimum learning time, runs in a row that added no syscall, target mode)
 * moves a discovering profile on by itself, when a run is collected (or when
 * the rule is set): never while any of its rows has lost events. Every
 * collected run updates the count of quiet runs: a run that added a syscall
 * to its row resets it, so does a run that lost events (which also blocks
 * the promotion, whatever follows). The mode is per name (every digest).
 */
enum bh_prof_mode {
	BH_PROF_DISCOVER = 0,
	BH_PROF_MONITOR = 1,
	BH_PROF_PROTECT = 2,
};
/* "discover", "monitor", "protect". */
const char *bh_prof_mode_name(enum bh_prof_mode m);
/* The mode named s; BH_ERR_INVALID naming it otherwise. */
int bh_prof_mode_parse(const char *s, enum bh_prof_mode *out, struct bh_error **err);

struct bh_prof_rule {
	double seconds;	      /* at least this long learned (the profile's "seconds") */
	uint32_t runs;	      /* at least this many runs in a row that added no syscall (>= 1) */
	enum bh_prof_mode to; /* monitor or protect */
};

/*
 * The rule's decision (pure; the store calls it): true when a profile in
 * discover with `quiet` runs in a row without a new syscall, `seconds`
 * learned and `lost` events lost meets rule. *why (when not NULL) gets what
 * is still missing, or the reason of the promotion (new string).
 */
bool bh_prof_rule_met(const struct bh_prof_rule *rule, uint64_t quiet, double seconds,
		      uint64_t lost, char **why);

/*
 * Set (rule not NULL) or clear the promotion rule of name; the profile need
 * not exist yet (it is then learned in discover first). A rule already met
 * promotes at once. BH_ERR_INVALID: a rule to discover or of 0 runs.
 */
int bh_prof_store_set_rule(struct bh_prof_store *s, const char *name,
			   const struct bh_prof_rule *rule, struct bh_error **err) BH_MUST_CHECK;
/*
 * Set the mode of name by hand (the time and "set by hand" recorded); back
 * to discover, the count of quiet runs restarts. BH_ERR_NOTFOUND: no profile
 * name (monitor and protect need its calls).
 */
int bh_prof_store_set_mode(struct bh_prof_store *s, const char *name, enum bh_prof_mode mode,
			   struct bh_error **err) BH_MUST_CHECK;
/*
 * The mode and promotion state of name: {"mode", "rule": {"after" (seconds),
 * "runs", "to"} or null, "quiet_runs", "seconds", "lost", "last_new",
 * "last_lost" (which run added a call, which lost events; null when none),
 * "changed", "reason" (the last change of mode and why; null when none),
 * "automatic" (the mode was set by the rule), "waiting" (why a rule has not
 * promoted yet; null when there is nothing to wait for)}. A name with
 * nothing stored: discover, no rule.
 */
int bh_prof_store_mode(struct bh_prof_store *s, const char *name, json_t **out,
		       struct bh_error **err);

/*
 * The OCI seccomp profile (what podman, docker and Kubernetes' Localhost
 * take) of one stored profile (an element of bh_prof_store_list): everything
 * learned allowed, anything else SCMP_ACT_ERRNO (EPERM).
 */
json_t *bh_prof_to_oci(const json_t *profile);

/*
 * Read an OCI seccomp profile, strictly: an allow-list (defaultAction
 * SCMP_ACT_ERRNO or a kill; SCMP_ACT_ALLOW rules of names only, no args),
 * architectures SCMP_ARCH_X86_64, SCMP_ARCH_X86 or SCMP_ARCH_X32 (none:
 * the native one). *out: {"syscalls": {arch: [sorted names]}}. Errors:
 * BH_ERR_INVALID (malformed, an unknown syscall or architecture, each named),
 * BH_ERR_UNSUPPORTED (argument filters, other actions), BH_ERR_UNSAFE (a name
 * on `deny`).
 */
#define BH_PROF_MAX_JSON (1024 * 1024)
int bh_prof_from_oci(const char *buf, size_t len, const char *const *deny, json_t **out,
		     struct bh_error **err);

/* What b has that a has not (added) and the reverse (removed), by architecture:
 * {"added": {arch: [names]}, "removed": {...}}. */
json_t *bh_prof_diff(const json_t *a, const json_t *b);

#endif
