/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Quarantine internals: the network cut (nftables through raw netlink,
 * quarantine_nft.c) and the namespace socket helper.
 */
#ifndef BULKHEAD_MONITOR_QUARANTINE_INTERNAL_H
#define BULKHEAD_MONITOR_QUARANTINE_INTERNAL_H

#include <sched.h>
#include <stdbool.h>

#include "bulkhead/quarantine.h"

#define RECORD_MAX (64u << 10) /* a record file's bytes at most */

/* An ID that can name a file in the state directory (quarantine_record.c). */
bool quar_id_ok(const char *id);
/*
 * A record as JSON; `live`: with exists/frozen/cut (what list checked now).
 * Never drops a key: text that is not UTF-8 (a name, the reason's executable)
 * has those bytes written as "\xNN"; with err set (the record file), an id or
 * freezer path that is not UTF-8 is an error (NULL) instead, since release
 * compares it exactly. err NULL (display): escaped too.
 */
json_t *quar_record_json(const struct bh_quar_record *r, bool live, struct bh_error **err);
/* Whether s is valid UTF-8 (what a JSON string can hold). */
bool quar_utf8_ok(const char *s);

/* At most this many records are read by a scan of the directory (list). */
#define QUAR_RECORDS_MAX 4096
/*
 * Read <dir>/<id>.json (dfd: the directory): 1 read, 0 none, -1 error (a
 * broken file, its id not its name, or not a regular file: a FIFO or a
 * device is never opened for a blocking read). r is zeroed first.
 */
int quar_record_read(int dfd, const char *id, struct bh_quar_record *r, struct bh_error **err);
/* Write r's record to <dir>/<id>.json atomically; an id or freezer that is not UTF-8 is an error.
 */
int quar_record_write(const char *dir, const struct bh_quar_record *r, struct bh_error **err);
/*
 * Every record of the directory dfd, at most QUAR_RECORDS_MAX (in directory
 * order; info->truncated says there were more), sorted by ID; files named
 * *.json that are not records are skipped and counted in info (may be NULL).
 */
int quar_record_read_all(int dfd, struct bh_quar_record **out, size_t *n,
			 struct bh_quar_list_info *info, struct bh_error **err);

/*
 * A NETLINK_NETFILTER socket that lives in the network namespace `nsfd`: a
 * short-lived thread (signals blocked) joins the namespace, opens it and
 * exits; the calling thread's namespaces never change. The socket has a
 * receive timeout. Returns the fd or -1.
 */
int quar_nl_socket_in(int nsfd, struct bh_error **err);
/*
 * The same thread, which then also sends the cut (quar_nft_cut) and closes the
 * socket: the caller freezes meanwhile. quar_cut_join waits for it and frees
 * the job; 0 when the tables are in place.
 */
struct quar_cut_job;
struct quar_cut_job *quar_cut_start(int nsfd, struct bh_error **err);
int quar_cut_join(struct quar_cut_job *j, struct bh_error **err);
/* Add (or replace, atomically) the quarantine tables in the socket's namespace. */
int quar_nft_cut(int fd, struct bh_error **err);
/* Remove them; absent tables are not an error. */
int quar_nft_uncut(int fd, struct bh_error **err);
/* 1 when every quarantine chain is there with policy drop, 0 when not, -1 error. */
int quar_nft_check(int fd, struct bh_error **err);

/* The calling thread at SCHED_FIFO 1 for a call (quarantine_nft.c says why), and back. */
struct quar_boost {
	int policy;
	struct sched_param param;
	bool on;
};
void quar_boost_on(struct quar_boost *b);
void quar_boost_off(struct quar_boost *b);

#endif
