/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead behave: behaviour profiles per workload (issue 15), learned
 * from the monitor's events (include/bulkhead/monitor.h).
 *
 * A profile belongs to a workload key (bh_behave_key): the image digest by
 * default ("sha256:..."), or a group: an explicit name, or the owner of the
 * Kubernetes pod ("NAMESPACE/deployment/NAME", ".../statefulset/NAME",
 * ".../daemonset/NAME", ".../pod/NAME"; the rule is at bh_behave_key). It
 * holds five kinds of item:
 *   process   an executable path with its parent's executable path;
 *   file      a directory a file was opened for writing in ("/var/log/app/"),
 *             or a subtree ("/var/lib/app/" and "**": "/var/lib/app/" + "**") once a directory had
 * more than file_collapse learned subdirectories (the NeuVector way: a bounded number of entries, a
 * prefix past the threshold); listen    a protocol and port a socket listened on; outbound  a peer
 * connected to: address, or its /24 (IPv4) or /64 (IPv6) once more than peer_collapse addresses of
 * that network were learned for the same protocol and port; with protocol and port; inbound   a
 * protocol and local port a peer was accepted on (the remote's address and ephemeral port are not
 * kept: clients vary); with counters, first and last seen (the events' times), the time learned,
 * the containers seen, and two flags: events were lost (by the source) while
 * learning, and the profile overflowed its bound.
 *
 * Modes, the same three words as syscall profiles (enum bh_prof_mode), in the
 * same store (the SQLite file of include/bulkhead/profile.h, table `modes`
 * with kind "behaviour"): discover learns; monitor reports what falls
 * outside; protect reports it and asks the caller to block it (verdict
 * `block`). A key with no mode stored is in discover. Zero drift, a flag per
 * profile: in monitor and protect, an executable written after the
 * container started (exe_upper_layer) or run from memory (exe_from_memfd) is
 * outside, whatever the profile learned.
 *
 * Bounds: a profile holds at most max_items items; at the bound it is marked
 * overflowed and learns no more (its counters go on). An overflowed profile
 * is incomplete, so in monitor its verdicts say so (verdict `overflowed`) and
 * in protect it does not block (fail open, reported as monitor would): a
 * truncated allow-list would block the workload's normal behaviour. It is
 * never promoted. At most max_profiles profiles, and max_total_items items
 * in all, are held in memory: past that the least recently used profiles are
 * written out and dropped (each is read back from the store at its next
 * event); a profile alone over max_total_items overflows as above. Memory is
 * so bounded by max_total_items items of at most two paths each (and
 * max_profiles keys).
 *
 * Writes are batched: observe changes memory only; every flush_events events
 * or flush_ms milliseconds (checked at observe), or at bh_behave_flush and
 * bh_behave_close, the changed profiles are written in one transaction, and
 * the modes of the profiles held are read again; bh_behave_reload reads them
 * sooner when the store changed (a mode set by the command line reaches a
 * running monitor within a second).
 *
 * One struct bh_behave is used by one thread at a time.
 *
 * Ownership and errors follow include/bulkhead/base.h.
 */
#ifndef BULKHEAD_BEHAVE_H
#define BULKHEAD_BEHAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/base.h"
#include "bulkhead/monitor.h"
#include "bulkhead/profile.h"

#define BH_BEHAVE_KEY_MAX   256	 /* a workload key, NUL included */
#define BH_BEHAVE_VALUE_MAX 1100 /* a verdict's value, NUL included */
#define BH_BEHAVE_FORMAT    1	 /* the export document's version */

enum bh_behave_kind {
	BH_BEHAVE_NONE = 0,
	BH_BEHAVE_PROCESS,
	BH_BEHAVE_FILE,
	BH_BEHAVE_LISTEN,
	BH_BEHAVE_OUTBOUND,
	BH_BEHAVE_INBOUND,
	BH_BEHAVE_DRIFT,   /* zero drift: an executable not from the image */
	BH_BEHAVE_PROFILE, /* check only: no profile for the key */
	BH_BEHAVE_KIND_COUNT
};
/* "process", "file", "listen", "outbound", "inbound", "drift", "profile". */
const char *bh_behave_kind_name(enum bh_behave_kind k);

enum bh_behave_result {
	BH_BEHAVE_IGNORED = 0, /* not an event profiles learn (or no key, or over a bound) */
	BH_BEHAVE_LEARNED,     /* discover: a new item */
	BH_BEHAVE_KNOWN,       /* in the profile */
	BH_BEHAVE_OUTSIDE,     /* monitor/protect: outside the profile */
};
const char *bh_behave_result_name(enum bh_behave_result r);

struct bh_behave_verdict {
	enum bh_behave_result result;
	enum bh_behave_kind kind; /* the item's kind (NONE when IGNORED) */
	enum bh_prof_mode mode;	  /* the profile's mode */
	bool block;		  /* protect, outside, and not overflowed */
	bool overflowed;	  /* the profile is over its bound (incomplete) */
	char key[BH_BEHAVE_KEY_MAX];
	/* For LEARNED and OUTSIDE (else ""), the item: "/usr/bin/curl <- /bin/sh" (process: exe <-
	 * parent),
	 * "/usr/bin/" (file: the directory written in), "tcp/8080" (listen,
	 * inbound), "tcp 10.1.2.3:443" (outbound), "/tmp/x" (drift: the exe). */
	char value[BH_BEHAVE_VALUE_MAX];
};

/* How keys are made (bh_behave_key). */
enum bh_behave_group {
	BH_BEHAVE_BY_DIGEST = 0, /* the image digest (else "image:" + reference) */
	BH_BEHAVE_BY_POD,	 /* the pod's owner (else as BY_DIGEST) */
};

struct bh_behave_opts {
	const char *store; /* the profile store's path; NULL = bh_prof_store_default_path */
	enum bh_behave_group group;
	/* Every event goes to this key (an explicit group); NULL = bh_behave_key. */
	const char *key;
	/* learn: every profile is treated as in discover, whatever its mode;
	 * check: every profile as at least monitor, nothing is written (no
	 * flush), and an event whose key has no profile is outside (kind
	 * "profile"). At most one of the two. */
	bool learn;
	bool check;
	/* 0 = the defaults: */
	unsigned flush_events;	/* 4096 */
	unsigned flush_ms;	/* 5000 */
	size_t max_items;	/* per profile: 4096 */
	size_t max_profiles;	/* in memory: 1024 */
	size_t max_total_items; /* in memory, all profiles: 262144 */
	unsigned file_collapse; /* learned subdirectories of one directory: 16 */
	unsigned peer_collapse; /* learned addresses of one /24 or /64 (per proto/port): 8 */
};

struct bh_behave;

/*
 * The key of ev's workload into key (BH_BEHAVE_KEY_MAX bytes): 0 when made,
 * -1 when ev has none (a host process, or a container with neither digest
 * nor image). BY_DIGEST: the image digest, else "image:" + the reference.
 * BY_POD, when the event names a pod and its namespace: "NS/KIND/NAME", the
 * owner guessed from the pod's name as the controllers make them:
 *   NAME-HASH-XXXXX (HASH 6 to 10 of [a-z0-9], XXXXX 5 of them) → deployment;
 *   NAME-N (N digits) → statefulset; NAME-XXXXX → daemonset (a Job's pods
 *   read the same, and are grouped the same way); else pod/NAME.
 */
int bh_behave_key(const struct bh_mon_event *ev, enum bh_behave_group g,
		  char key[BH_BEHAVE_KEY_MAX]);
/* A key a user gave: 1 to 255 bytes of [A-Za-z0-9._:/@+=-], not starting with '-'. */
int bh_behave_key_check(const char *key, struct bh_error **err);

/* Open the store (made when missing, migrated when older). */
int bh_behave_open(const struct bh_behave_opts *o, struct bh_behave **out,
		   struct bh_error **err) BH_MUST_CHECK;
/* Flush (unless check) and close; errors of that last flush are lost: call
 * bh_behave_flush first to see them. NULL is a no-op. */
void bh_behave_close(struct bh_behave *b);

/*
 * One event: learn it (discover) or check it against the profile (monitor,
 * protect), the verdict in *out. Events profiles use: execve/execveat
 * (process, drift), open* for writing (file), listen, connect (outbound),
 * accept (inbound); others are IGNORED. Learning keeps only calls that
 * succeeded (connect: also EINPROGRESS); checking looks at every attempt.
 * Returns 0, or <0 when a flush it made failed (the verdict is still set;
 * the changes stay in memory for the next flush).
 */
int bh_behave_observe(struct bh_behave *b, const struct bh_mon_event *ev,
		      struct bh_behave_verdict *out, struct bh_error **err);
/* The source lost n events: every profile held in discover is marked as
 * having lost events (never promoted until learned again). */
void bh_behave_lost(struct bh_behave *b, uint64_t n);
/* Write every changed profile (one transaction), then read the modes again. */
int bh_behave_flush(struct bh_behave *b, struct bh_error **err);

/* Read the modes of the profiles held again if another connection changed the
 * store since the last call (PRAGMA data_version: one cheap query when it did
 * not): 1 when they were read, 0 when nothing changed. The monitor calls it
 * every second, so a mode set by the command line reaches it within 1 s. */
int bh_behave_reload(struct bh_behave *b, struct bh_error **err);

/* A verdict as JSON: {"key", "mode", "result", "kind", "value", "block",
 * "overflowed"} and, when ev is not NULL, "time", "type", "container", "pid",
 * "exe". */
json_t *bh_behave_verdict_json(const struct bh_behave_verdict *v, const struct bh_mon_event *ev);

/* ---- the stored profiles (flush first to see what memory holds) ---------- */

/* [{"key", "mode", "zero_drift", "processes", "files", "listen", "outbound",
 * "inbound" (item counts), "events", "overflowed", "events_lost", "updated"}]. */
int bh_behave_list(struct bh_behave *b, json_t **out, struct bh_error **err);
/* The export document of key (BH_ERR_NOTFOUND when none):
 *   {"bulkhead_behaviour_profile": 1, "key", "mode", "zero_drift",
 *    "overflowed", "events_lost", "events", "learned_seconds", "first_seen",
 *    "last_seen", "containers": [ids], "containers_seen",
 *    "promotion": {"after", "quiet", "to"} (when a rule is set),
 *    "processes": [{"exe", "parent", "count"}], "files": [{"path", "count"}],
 *    "listen": [{"proto", "port", "count"}],
 *    "outbound": [{"proto", "peer", "port", "count"}],
 *    "inbound": [{"proto", "port", "count"}]}
 * items sorted; counts, first_seen and last_seen are informative ("events"
 * and each "count": the events of the kinds profiles use, by the profile and
 * by the item). */
int bh_behave_export(struct bh_behave *b, const char *key, json_t **out, struct bh_error **err);
/*
 * Check an export document strictly (JSON, or YAML of the same shape): the
 * version, every member known and typed, paths absolute and normalised
 * (no "." or ".." component, files ending in "/", or in "/" + "**"), ports 1 to 65535,
 * protocols tcp or udp, peers an address or a /24../32 (/64../128) network,
 * at most max_items (0 = 4096) items and containers 64. *out: the document.
 */
int bh_behave_parse(const char *buf, size_t len, size_t max_items, json_t **out,
		    struct bh_error **err);
/* Replace the profile of the document's key (or of key, when not NULL) with
 * the document (bh_behave_parse first), with its mode and zero drift when it
 * has them, in one transaction. */
int bh_behave_import(struct bh_behave *b, const json_t *doc, const char *key,
		     struct bh_error **err);
/* Set the mode of key (the time and "set by hand" recorded); zero_drift: 0
 * off, 1 on, -1 unchanged. The profile need not exist yet. */
int bh_behave_set_mode(struct bh_behave *b, const char *key, enum bh_prof_mode mode, int zero_drift,
		       struct bh_error **err);
/* Set (rule not NULL) or clear the promotion rule of key: promoted to
 * rule->to at a flush once bh_prof_rule_met(rule, quiet, seconds, lost)
 * holds, where quiet counts the flushes in a row in which the profile had
 * events and learned nothing new, seconds the time learned, and an
 * overflowed profile counts as having lost events. */
int bh_behave_set_rule(struct bh_behave *b, const char *key, const struct bh_prof_rule *rule,
		       struct bh_error **err);
/* Drop key's profile from memory without writing it (bh_behave_flush first:
 * its unwritten changes are lost); its next event reads it from the store
 * again, as bh_behave_import left it (issue 17: an agent applying an accepted
 * profile). 1 when it was held, 0 when not. */
int bh_behave_forget(struct bh_behave *b, const char *key);
/* Delete key's profile, items and mode. BH_ERR_NOTFOUND when none. */
int bh_behave_delete(struct bh_behave *b, const char *key, struct bh_error **err);

#endif
