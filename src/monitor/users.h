/* SPDX-License-Identifier: Apache-2.0 */
/*
 * User and group names of monitor events (issue 15): the name of an event's
 * uid and gid in the /etc/passwd and /etc/group of the process's own root
 * (a container's, read through /proc/PID/root with in-root resolution; the
 * host's through /proc/1/root), cached per container with a bound.
 *
 * Ownership: tables are the caller's (bh_users_tab_release); the names that
 * bh_users_names writes are copies.
 */
#ifndef BULKHEAD_MONITOR_USERS_H
#define BULKHEAD_MONITOR_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/monitor.h"

#define BH_USERS_FILE_MAX    (1u << 20) /* bytes of /etc/passwd or /etc/group read */
#define BH_USERS_LINE_MAX    4096	/* a longer line is skipped */
#define BH_USERS_ENTRIES_MAX 16384	/* names kept of one file (the first ones) */
#define BH_USERS_CACHE_MAX   64		/* roots cached (containers and the host) */
#define BH_USERS_TTL_S	     30		/* a root's files are read again after this */
#define BH_USERS_RETRY_S     2		/* ... and after a failed read, after this */

struct bh_users_ent {
	uint32_t id;
	char name[BH_MON_USER_MAX];
};

/* The names of one file, sorted by id (for an id named twice, the first line's). */
struct bh_users_tab {
	struct bh_users_ent *v;
	size_t n;
};

/*
 * Parse a passwd- or group-format file (NAME:x:ID:...) of untrusted bytes
 * (buf, len): comments, NIS (+/-) lines, lines over BH_USERS_LINE_MAX or with
 * a NUL, names that are not 1..BH_MON_USER_MAX-1 printable bytes without
 * spaces, and ids that are not decimal numbers below 2^32-1 are skipped, as
 * the C library skips them; past BH_USERS_ENTRIES_MAX names the rest is
 * ignored. Returns the number of names kept; never fails.
 */
size_t bh_users_parse(const char *buf, size_t len, struct bh_users_tab *out);
/* The name of id in t, or NULL. */
const char *bh_users_find(const struct bh_users_tab *t, uint32_t id);
void bh_users_tab_release(struct bh_users_tab *t);

/*
 * Read etc/passwd and etc/group inside rootfd (in-root resolution: a link
 * cannot leave it; a file that is not regular or over BH_USERS_FILE_MAX is
 * refused): into pw and gr. A missing file gives an empty table. <0 on error.
 */
int bh_users_load(int rootfd, struct bh_users_tab *pw, struct bh_users_tab *gr,
		  struct bh_error **err);

/*
 * From now on, events made into JSON in this process carry the names of their
 * uid and gid (proc.user, proc.group) when the event had none: the kernel
 * source turns it on (replayed events name processes of another time).
 */
void bh_users_enable(bool on);
/*
 * ev's user and group names into user and group ("" when unknown): "" at once
 * when not enabled or when ev names its user already. From the cache: a hit
 * costs no system call; a miss (a container seen first, its entry older than
 * BH_USERS_TTL_S) reads its files once. Thread-safe.
 */
void bh_users_names(const struct bh_mon_event *ev, char user[BH_MON_USER_MAX],
		    char group[BH_MON_USER_MAX]);
/* Forget every cached root (tests). */
void bh_users_reset(void);

#endif
