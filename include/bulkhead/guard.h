/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead guard: the enforcement primitives of the node agent (issue 15).
 *  - exec and open blocking through fanotify permission events on the mounts
 *    of a watched container (its mount namespace, read through
 *    /proc/PID/mountinfo and opened through /proc/PID/root), each event
 *    decided by a policy (an allow list of executables, zero-drift: only
 *    executables that came from the image, and/or a callback) and answered
 *    FAN_ALLOW or FAN_DENY, always: a decision that fails is answered per the
 *    fail-open/closed option and counted;
 *  - connect blocking through cgroup/connect4/6 and sendmsg4/6 BPF programs
 *    attached at the cgroup2 root (every process of the host passes them;
 *    the container is told apart by its network namespace cookie; its rules
 *    are keys of an LPM trie: thousands per container, each connect at most
 *    four lookups whatever their number), pinned
 *    under /sys/fs/bpf/bulkhead/guard-v3 so an agent's restart keeps enforcing;
 *  - a kill that cannot hit a reused pid (pidfd, start time checked).
 * The daemon calls these directly; `bulkhead guard` is a front end for trying
 * them by hand.
 *
 * Ownership, for the whole library:
 *  - `const T *` arguments are borrowed for the duration of the call;
 *  - `T **out` arguments hand a new object to the caller, who releases it with
 *    the matching `_free()`;
 *  - a function that takes ownership of an argument says so in its comment;
 *  - every `_free(NULL)` is a no-op.
 *
 * Errors: a function returns 0 (or a non-negative count) on success and a
 * negative value on failure, after storing a `struct bh_error` in `*err` when
 * `err` is not NULL.
 */
#ifndef BULKHEAD_GUARD_H
#define BULKHEAD_GUARD_H

#include <signal.h>

#include "base.h"

struct bh_ctr; /* include/bulkhead/containers.h */

/* ---- exec / open: fanotify ---------------------------------------------------------- */

enum bh_guard_op { BH_GUARD_EXEC, BH_GUARD_OPEN };
enum bh_guard_verdict { BH_GUARD_ALLOW = 0, BH_GUARD_DENY = 1 };

/* One permission event, as a decision callback and the report see it. Borrowed. */
struct bh_guard_event {
	enum bh_guard_op op;
	pid_t pid;	    /* the process that asked (host pid namespace) */
	pid_t tid;	    /* its thread (the pid when the kernel cannot say) */
	const char *path;   /* the file, as the container sees it ("/usr/bin/x") */
	const char *ctr_id; /* the watched container the file's mount belongs to */
	/* A file refused once (or a deny_open file, from its mark) is known by its
	 * identity (device, inode) in that container: reached by another name (a
	 * hard link, a rename of it or of a directory above it), path is the name
	 * it was refused under and via the one used; else NULL. */
	const char *via;
	/* Zero-drift facts, computed for every exec: the file did not come from the
	 * image (it is in the overlay's upperdir, was changed (ctime) after the
	 * container started, or lives on a tmpfs). drift_why says which. A memfd's
	 * execution makes no fanotify event (its internal mount cannot be marked). */
	bool drift;
	const char *drift_why;
	/* The outcome, filled before the report: */
	enum bh_guard_verdict verdict; /* what the policy decided */
	bool enforced;	    /* answered as decided (protect); false: monitor allowed it */
	const char *reason; /* "zero-drift", "not in the allow list", "callback",
			     * "error (fail-open)", "error (fail-closed)", "allowed",
			     * BH_GUARD_REASON_NAMES_SPENT */
	uint64_t decide_ns; /* time from reading the event to answering it */
};

/* The reason of an exec of a file with several links refused because the
 * container's budget for the look for its other names is spent (whatever the
 * fail mode: the container spends that budget itself). */
#define BH_GUARD_REASON_NAMES_SPENT                                                                \
	"the name walk's budget is spent: its other names under the rules' prefixes not looked at"

/* A policy callback: its verdict for ev (called after the built-in checks allowed it).
 * Must not block: the asking process waits in the kernel until it returns. */
typedef enum bh_guard_verdict (*bh_guard_decide_fn)(const struct bh_guard_event *ev, void *arg);
/* The report of one decision (each deny, each monitor-mode would-deny, and every allow when
 * report_allowed). */
typedef void (*bh_guard_report_fn)(const struct bh_guard_event *ev, void *arg);

/* The policy of one watched container; copied by bh_guard_watch. */
struct bh_guard_policy {
	bool protect;	 /* false: monitor (report, allow everything) */
	bool zero_drift; /* deny executables that did not come from the image */
	/* Executables allowed (exact paths in the container), NULL-terminated; NULL: any. */
	const char *const *allow_exec;
	/* Files (paths in the container) whose opens are decided too (FAN_OPEN_PERM on
	 * their mount; other files of the mount answered allow at once), NULL-terminated.
	 * Opens of these are denied in protect mode unless the callback allows them. */
	const char *const *deny_open;
	bh_guard_decide_fn decide; /* optional */
	void *decide_arg;
	/*
	 * Executables the callback refuses by their name, known by identity (device,
	 * inode) from the watch on, so an exec of one under another name (a hard link,
	 * a rename of it or of a directory above it, another mount of its file system)
	 * is decided as the name it was found under (bh_guard_event.via: the one used),
	 * before any refusal of it. Resolved in the container's mount namespace at the
	 * watch (a file made later is known once refused). deny_exec: whole paths (a
	 * symbolic link is not followed: fanotify names the file it points to);
	 * deny_exec_names: program names, looked for in /bin, /sbin, /usr/bin,
	 * /usr/sbin, /usr/local/bin, /usr/local/sbin, a file with more than one link
	 * skipped (a multi-call binary's other names are other programs). Both
	 * NULL-terminated, optional. With the files refused, a container knows at most
	 * 256 (GRD_MAX_IDENTS): past it the others are decided by their name only,
	 * warned of once per watch.
	 */
	const char *const *deny_exec;
	const char *const *deny_exec_names;
	/*
	 * Prefixes of the paths the callback refuses (absolute: "/tmp/", the literal
	 * part of a glob), NULL-terminated, optional: an exec of a file with more than
	 * one link, not known by identity, whose name used is under none of them, has
	 * another name of it looked for under them (a walk in the container's root at
	 * that exec, at most 4096 entries read and 16 directories deep, symbolic links
	 * and other file systems not followed); one found, the exec is refused if the
	 * callback refuses either name (the name used first; allow_exec and zero drift
	 * judge the name used), reported as the found one (via: the one used) when
	 * that one refuses, so a hard link of a file in /tmp run from elsewhere is
	 * refused as the file in /tmp. A walk stopped by its bounds, or by a directory
	 * changed or unreadable while read, before finding one: counted as an error,
	 * and an exec it would have allowed is refused with fail_closed (warned of once
	 * per watch). Each container's walks read at most 16384 entries a second (its
	 * answers kept, at most 64 KiB, are used without that budget): an exec whose
	 * walk the budget cannot pay is refused whatever fail_closed says
	 * (BH_GUARD_REASON_NAMES_SPENT, warned of once per watch). A file with one link has one
	 * name, the one used: a file moved out of a prefix is not under it (zero-drift and the
	 * drift rules judge where it came from).
	 */
	const char *const *deny_exec_prefixes;
};

struct bh_guard_opts {
	bh_guard_report_fn report; /* optional */
	void *report_arg;
	bool report_allowed; /* report allowed events too */
	bool fail_closed;    /* a decision that fails answers deny (default: allow) */
	const char *root;    /* the host root for /proc (tests); NULL = "/" */
};

struct bh_guard_stats {
	uint64_t events;     /* permission events answered */
	uint64_t allowed;    /* answered allow */
	uint64_t denied;     /* answered deny */
	uint64_t would_deny; /* monitor mode: decided deny, answered allow */
	uint64_t errors;     /* decisions that failed (answered per fail_closed) */
	uint64_t overflows;  /* the kernel's queue overflowed (FAN_Q_OVERFLOW) */
	uint64_t unknown;    /* events of a mount no watched container has (answered allow) */
	uint64_t max_decide_ns;
	/* the look for another name of a multi-link exec under the rules' prefixes */
	uint64_t name_walks;	   /* walks made */
	uint64_t name_hits;	   /* answers a container kept, checked still true */
	uint64_t name_over_budget; /* left unsure by the container's budget (fail mode) */
};

/*
 * A guard is used from one thread: the one that polls also watches and
 * unwatches (the daemon's loop between two polls). The kernel holds each
 * asking process until its event is answered: decisions make only bounded
 * system calls (statx, readlink, one openat2 in the upperdir) and the
 * callback, which must not block.
 */
struct bh_guard;

/* Open a fanotify group (FAN_CLASS_CONTENT, bounded queue). Needs CAP_SYS_ADMIN. */
int bh_guard_open(const struct bh_guard_opts *opts, struct bh_guard **out, struct bh_error **err);
/*
 * Watch container c (its init c->pid, c->pid_start) with policy p: every mount of its
 * mount namespace is marked for FAN_OPEN_EXEC_PERM (and FAN_OPEN_PERM where p->deny_open
 * has files). Watching an already watched ID replaces its policy and marks.
 * Returns the number of mounts marked.
 */
int bh_guard_watch(struct bh_guard *g, const struct bh_ctr *c, const struct bh_guard_policy *p,
		   struct bh_error **err);
/* Stop watching container `id` (its marks removed). BH_ERR_NOTFOUND if not watched. */
int bh_guard_unwatch(struct bh_guard *g, const char *id, struct bh_error **err);
/* The group's fd, for the caller's own poll loop (readable: call bh_guard_poll(g, 0)). */
int bh_guard_fd(const struct bh_guard *g);
/* Answer the events that arrive within timeout_ms (-1: wait for one batch; 0: only those
 * pending). Returns the number answered. */
int bh_guard_poll(struct bh_guard *g, int timeout_ms, struct bh_error **err);
/* Answer events until *stop is set (checked at least every 200 ms). */
int bh_guard_run(struct bh_guard *g, const volatile sig_atomic_t *stop, struct bh_error **err);
void bh_guard_get_stats(const struct bh_guard *g, struct bh_guard_stats *out);
/* Close the group: pending events are answered allow by the kernel. */
void bh_guard_free(struct bh_guard *g);

/*
 * A mount of a mountinfo text: what zero-drift and the marks need. Strings point into
 * the caller's scratch (valid until the next call).
 */
struct bh_guard_mount {
	uint64_t id;
	char *point;	/* unescaped mount point */
	char *opts;	/* the per-mount options ("ro,nosuid,relatime"), unescaped */
	char *fstype;	/* "overlay", "tmpfs", … */
	char *upperdir; /* overlay's upperdir= super option (unescaped), or NULL */
};
/*
 * Parse one mountinfo text (buf, len): calls fn for each line (fn returns <0 to stop).
 * BH_ERR_INVALID naming the line when one is malformed; BH_ERR_LIMIT over 65536 lines.
 */
int bh_guard_parse_mountinfo(const char *buf, size_t len,
			     int (*fn)(const struct bh_guard_mount *m, void *arg), void *arg,
			     struct bh_error **err);

/* ---- kill ----------------------------------------------------------------------------- */

/*
 * SIGKILL process pid if it is still the process that started at start_time (clock ticks
 * after boot, field 22 of /proc/PID/stat; 0 = do not check): pidfd_open, the start time
 * read after it (the pidfd pins the process), pidfd_send_signal. BH_ERR_NOTFOUND when the
 * process is gone or pid was reused.
 */
int bh_guard_kill(pid_t pid, uint64_t start_time, struct bh_error **err);
/* The start time of pid (as above). */
int bh_guard_pid_start(pid_t pid, uint64_t *out, struct bh_error **err);

/* ---- the rendezvous with a runtime's start -------------------------------------------- */

/*
 * A container's first exec is its workload's: a guard that watches it only at its
 * next rescan lets that exec (and what follows, for up to a rescan) run unwatched.
 * The rendezvous closes the window for a runtime that asks (bulkhead's own start):
 * every guard that serves it has a directory of its own under BH_GUARD_RDV_DIR
 * ("PID-N") whose lock it holds (an OFD lock) while it runs; a runtime about to
 * start a created container whose init is PID (started at START, clock ticks after
 * boot) makes req/PID-START in each and waits until every one of those guards has
 * rescanned and made ack/PID-START (the container watched, or nothing to watch), or
 * is gone. The directory is root's (0700): a runtime without access does not wait.
 */
#define BH_GUARD_RDV_DIR     "/run/bulkhead/guard"
#define BH_GUARD_RDV_PENDING 256 /* requests answered per round */
#define BH_GUARD_RDV_WAIT_MS 5000

struct bh_guard_rdv;

/*
 * Serve the rendezvous under dir (NULL = BH_GUARD_RDV_DIR; made when missing):
 * a directory of this guard's own, its lock taken; those of guards that are gone
 * removed. Other guards may serve too: a runtime asks each.
 */
int bh_guard_rdv_open(const char *dir, struct bh_guard_rdv **out, struct bh_error **err);
/* This guard's directory (DIR/PID-N: its lock, req/ and ack/). */
const char *bh_guard_rdv_dir(const struct bh_guard_rdv *r);
/* An fd that polls readable when a request came (inotify on req/). */
int bh_guard_rdv_fd(const struct bh_guard_rdv *r);
/*
 * The requests pending now (the fd drained): their names ("PID-START", checked)
 * appended to out, at most BH_GUARD_RDV_PENDING; names that are not requests are
 * removed. Returns how many.
 */
int bh_guard_rdv_pending(struct bh_guard_rdv *r, struct bh_strvec *out);
/* Answer the requests named by bh_guard_rdv_pending (their ack files made). */
void bh_guard_rdv_ack(struct bh_guard_rdv *r, const struct bh_strvec *names);
void bh_guard_rdv_free(struct bh_guard_rdv *r);
/*
 * The runtime's side: ask every guard that serves dir (NULL = BH_GUARD_RDV_DIR) to
 * look at the container whose init is pid (started at start) and wait at most
 * timeout_ms for all their answers. 0 when all answered (or are gone) or when no
 * guard serves; BH_ERR_LIMIT
 * when the time ran out (the caller decides: bulkhead's start warns and starts).
 */
int bh_guard_rdv_await(const char *dir, pid_t pid, uint64_t start, unsigned timeout_ms,
		       struct bh_error **err);

/* ---- connect: cgroup BPF -------------------------------------------------------------- */

/* Rules of one container's policy; the guard holds BH_GUARD_NET_MAX_TOTAL of every
 * container together (bh_guard_net_set says BH_ERR_LIMIT past either). */
#define BH_GUARD_NET_MAX_RULES 4096
#define BH_GUARD_NET_MAX_TOTAL 65536

/* One network rule: an address prefix, a port (0 = any), a protocol (0 = any, 6, 17). */
struct bh_guard_net_rule {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint8_t prefix; /* bits */
	uint16_t port;	/* host order */
	uint8_t proto;
};

enum bh_guard_net_action {
	BH_GUARD_NET_DENY_ALL,	 /* every connect and UDP send refused */
	BH_GUARD_NET_ALLOW_LIST, /* only what a rule matches is allowed */
	BH_GUARD_NET_DENY_LIST,	 /* what a rule matches is refused */
};

struct bh_guard_net_policy {
	enum bh_guard_net_action action;
	bool monitor; /* count what would be refused, refuse nothing */
	const struct bh_guard_net_rule *rules;
	size_t nrules; /* <= BH_GUARD_NET_MAX_RULES */
};

/* Verdicts counted per container since its policy was set. */
struct bh_guard_net_counts {
	uint64_t allowed;
	uint64_t denied;
	uint64_t would_deny; /* monitor */
};

/*
 * Parse "CIDR[:PORT][/PROTO]" ("10.0.0.0/8:443", "127.0.0.1:8080/tcp", "[::1]:53/udp",
 * "0.0.0.0/0", "*:53" for any address of both families is refused: write two rules).
 * BH_ERR_INVALID naming what is wrong.
 */
int bh_guard_net_parse_rule(const char *s, struct bh_guard_net_rule *out, struct bh_error **err);
/* The rule as text (the parser's syntax); buf of 64 bytes. */
const char *bh_guard_net_rule_str(const struct bh_guard_net_rule *r, char buf[64]);
/*
 * Set container c's connect policy (its network namespace, through its init c->pid):
 * loads, attaches and pins the programs on the first use. BH_ERR_UNSAFE when the
 * container shares the host's network namespace (a policy there would cover the host).
 */
int bh_guard_net_set(const struct bh_ctr *c, const struct bh_guard_net_policy *p,
		     struct bh_error **err);
/* Remove c's policy (counts gone); the programs stay attached. BH_ERR_NOTFOUND if none. */
int bh_guard_net_clear(const struct bh_ctr *c, struct bh_error **err);
/* c's counts. BH_ERR_NOTFOUND if it has no policy. */
int bh_guard_net_counts(const struct bh_ctr *c, struct bh_guard_net_counts *out,
			struct bh_error **err);
/* Detach and unpin everything (every policy gone). 0 also when nothing was attached. */
int bh_guard_net_detach(struct bh_error **err);
/* The network namespace cookie of process pid (what the programs key on). */
int bh_guard_netns_cookie(pid_t pid, uint64_t *out, struct bh_error **err);
/* The pin directory ("/sys/fs/bpf/bulkhead/guard-v3"). */
const char *bh_guard_net_pin_dir(void);

#endif
