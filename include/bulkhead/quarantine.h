/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead quarantine: freeze every process of a running container and cut
 * its network in both directions, keep it as it is for forensics, release it
 * on command. Works on the containers of every runtime and engine the
 * inventory (containers.h) knows.
 *
 * What apply does, in this order (the shortest time to contained):
 *  1. a short-lived thread joins the container's network namespace and cuts
 *     it: one nftables transaction through a netlink socket opened there adds
 *     the tables "bulkhead_quarantine" (inet: input, forward and output
 *     chains, policy drop, loopback accepted; arp: input and output, policy
 *     drop). Links, addresses, routes, neighbours and sockets are left as
 *     they are; the kernel answers no ping and sends no byte, even for a
 *     socket whose owner is frozen;
 *  2. meanwhile the calling thread asks the freezer (v1 freezer.state FROZEN,
 *     or cgroup.freeze 1 where the container has its own cgroup2 directory),
 *     a write that itself takes milliseconds on v1: the two overlap, so apply
 *     costs about the longer of the two rather than their sum;
 *  3. waits for the thread and for FROZEN, checks the init is still the same
 *     process, and writes the record atomically to the state directory.
 * On a busy machine most of that time is waiting for a CPU: for the call the
 * calling thread runs SCHED_FIFO at priority 1 (the cut's thread inherits it),
 * its own policy restored before the record is written; nothing changes
 * without CAP_SYS_NICE.
 * A container in the host's network namespace is frozen and its record says
 * the cut was impossible: the host's links and filters are never touched. A
 * container that exits during apply: everything done is undone, and the error
 * says so.
 *
 * Thread safety: each call may run on any thread (the monitor's workers): no
 * chdir, no signal, no process-wide namespace change; concurrent calls on one
 * state directory serialise on a lock of that directory.
 *
 * Ownership and errors: as include/bulkhead/base.h states for the whole library.
 */
#ifndef BULKHEAD_QUARANTINE_H
#define BULKHEAD_QUARANTINE_H

#include "base.h"
#include "containers.h"
#include "monitor.h"

#define BH_QUAR_STATE_DIR "/run/bulkhead/quarantine"
/* The nftables tables apply adds to the container's network namespace. */
#define BH_QUAR_NFT_TABLE "bulkhead_quarantine"

struct bh_quar_opts {
	const char *state_dir; /* the records; NULL = BH_QUAR_STATE_DIR */
	/* How to find containers (NULL = every engine, defaults). */
	const struct bh_ctr_opts *ctr;
	/* A list the caller already holds (the monitor's): searched instead of
	 * reading the inventory again. Borrowed; may be NULL. */
	const struct bh_ctr_list *inventory;
	unsigned freeze_timeout_ms; /* 0 = 2000 */
	/* The violating event's time (CLOCK_REALTIME ns; 0 = none): stored in the
	 * record with the apply's own stamps (the monitor's action sets it). */
	uint64_t event_ns;
};

enum bh_quar_net {
	BH_QUAR_NET_CUT = 1, /* the tables are in the container's network namespace */
	BH_QUAR_NET_HOST,    /* shares the host's network namespace: not cut */
};

struct bh_quar_record {
	char *id;
	char *name;
	enum bh_ctr_engine engine;
	pid_t pid;	    /* the container's init, host view */
	uint64_t pid_start; /* its start time, clock ticks after boot */
	char *time;	    /* RFC 3339 UTC, when it was quarantined */
	char *reason;
	/* The freezer file written ("/sys/fs/cgroup/freezer/…/freezer.state" or
	 * "…/cgroup.freeze") and the state it had before: a container that was
	 * paused stays paused on release. */
	char *freezer;
	bool was_frozen;
	enum bh_quar_net net;
	uint64_t netns;	   /* the inode of its network namespace */
	uint64_t apply_ns; /* apply: from the call to frozen and cut */
	/* CLOCK_REALTIME ns, 0 when unknown (records of older versions, event_ns
	 * when no event): the event that asked for it, the apply's call, and
	 * frozen and cut both holding (the figure of issue 15 is from the
	 * violating operation to this). */
	uint64_t event_ns;
	uint64_t apply_start_ns;
	uint64_t contained_ns;
	/* Not stored: what bh_quar_list and bh_quar_apply checked now. */
	bool exists; /* the same init still runs */
	bool frozen; /* its freezer says frozen */
	bool cut;    /* the tables are in its namespace with policy drop */
	bool again;  /* apply found it quarantined already */
};

/*
 * Quarantine the container whose ID (or unique ID prefix, or engine name)
 * is `ref`, for `reason` (may be NULL). *out (may be NULL) receives the
 * record. Applying to a quarantined container checks and completes what is
 * missing and returns the first record (again = true). Errors: BH_ERR_NOTFOUND
 * (no such container, or not running), BH_ERR_USAGE (ambiguous prefix),
 * BH_ERR_IO (permission, the kernel), BH_ERR_NOTFOUND when it exited meanwhile.
 */
int bh_quar_apply(const struct bh_quar_opts *o, const char *ref, const char *reason,
		  struct bh_quar_record **out, struct bh_error **err);
/*
 * Release the quarantined container `ref` (ID, or unique prefix or name of a
 * record; a whole ID opens its record directly, however many there are): the
 * tables removed, thawed unless it was paused before, the record removed.
 * Before anything is touched the live init must be the record's container:
 * its live freezer cgroup is the record's, and the inventory's container of
 * the record's ID has that init and that freezer; else BH_ERR_UNSAFE and the
 * record is kept. Returns 0, or 1 when the container no longer existed (only
 * the record was removed). BH_ERR_NOTFOUND when no record matches,
 * BH_ERR_LIMIT for a prefix or name when there are too many records to
 * search them all.
 */
int bh_quar_release(const struct bh_quar_opts *o, const char *ref, struct bh_error **err);

/* What bh_quar_list could not show. */
struct bh_quar_list_info {
	bool truncated;		 /* more records than list reads (4096): some are not listed */
	size_t skipped;		 /* files named *.json that are not records (broken, not regular) */
	char first_skipped[256]; /* why the first of them was skipped */
};
/*
 * Every record, with exists/frozen/cut checked now. Sorted by ID. info (may
 * be NULL) says what was left out: the caller tells the user.
 */
int bh_quar_list(const struct bh_quar_opts *o, struct bh_quar_record **out, size_t *n,
		 struct bh_quar_list_info *info, struct bh_error **err);
void bh_quar_records_free(struct bh_quar_record *v, size_t n);
/*
 * Whether container `id` (its full ID, exactly) has a quarantine record: 1 and
 * *out (may be NULL) the record, 0 when none. Opens <id>.json itself (any
 * number of records). A file of that name that is not a valid record is an
 * error (-1), never "none". What `bulkhead resume` asks before it thaws a
 * container: a quarantined one stays frozen until released.
 */
int bh_quar_find(const struct bh_quar_opts *o, const char *id, struct bh_quar_record **out,
		 struct bh_error **err);
void bh_quar_record_free(struct bh_quar_record *r);

json_t *bh_quar_record_to_json(const struct bh_quar_record *r);
/* A record file's bytes (untrusted: bounded, strict). r is zeroed by the caller. */
int bh_quar_record_parse(const char *buf, size_t len, struct bh_quar_record *r,
			 struct bh_error **err);
void bh_quar_record_release(struct bh_quar_record *r);

/*
 * The monitor's quarantine action, a bh_mon_quarantine_fn (include/bulkhead/
 * monitord.h): `data` is a const struct bh_quar_opts *; the record's reason
 * names the event (its type, the process and its executable). Safe on the
 * monitor's detection thread, where it runs (never on the reader: see
 * bh_quar_apply).
 */
int bh_quar_monitor_action(void *data, const char *container_id, const struct bh_mon_event *ev,
			   struct bh_error **err);

#endif
