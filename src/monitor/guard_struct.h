/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guard's state, shared by guard.c (the group, marks, watches) and
 * guard_decide.c (the permission events and their answers); prefix grd_.
 */
#ifndef BULKHEAD_MONITOR_GUARD_STRUCT_H
#define BULKHEAD_MONITOR_GUARD_STRUCT_H

#include <sys/stat.h>

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "bulkhead/base.h"
#include "bulkhead/guard.h"

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif
#define TMPFS_MAGIC_ 0x01021994
#define RAMFS_MAGIC_ 0x858458f6

#define GRD_MAX_MOUNTS	512  /* per container */
#define GRD_MAX_WATCHES 4096 /* containers */
#define GRD_READ_BUF	(64u << 10)
#define GRD_MAX_IDENTS	256 /* files known by identity, per container */

/* A file's identity: its device and inode (the map key of marks and identities). */
struct grd_ikey {
	uint64_t dev, ino;
};

/* An inode this watch marked (a deny_open file or its directory): the O_PATH
 * fd pins it (its number cannot be reused while held; its mark is removed
 * through it whatever its path has become). */
struct grd_imark {
	int fd;
	uint64_t mask;
};

/* A blocked file known by its identity: the path it was blocked under, and
 * an O_PATH fd that pins the inode (its number is not given to another file). */
struct grd_ident {
	int fd;
	char *path;
};

struct grd_mount {
	uint64_t id;
	char *point;
	bool tmpfs;
	int upperfd; /* O_PATH of the overlay's upperdir, or -1 */
	struct grd_watch *w;
};

struct grd_watch {
	char *id;
	pid_t pid;
	uint64_t pid_start;
	struct timespec started; /* real time of the init's start */
	bool protect, zero_drift;
	char **allow_exec;
	char **deny_open;
	char **deny_exec_prefixes; /* where another name of a multi-link exec is looked for */
	int rootfd;		   /* O_PATH of the init's root (the walk's), or -1 */
	bool names_warned;	   /* a walk stopped at its bounds: warned of */
	bool names_spent_warned;   /* its walk budget spent: warned of */
	struct grd_names *names;   /* the walks' answers kept, their budget (guard_names.c) */
	bh_guard_decide_fn decide;
	void *decide_arg;
	struct grd_mount *m;
	size_t nm;
	struct bh_map *imarks; /* struct grd_ikey → struct grd_imark * */
	struct bh_map *ident;  /* struct grd_ikey → struct grd_ident * */
	struct bh_strvec
		dir_warned;	/* deny_open paths (or their directory) not marked: warned of */
	bool ident_full_warned; /* the identities' table was full: warned of */
};

struct bh_guard {
	int fd;
	bool audit;
	bool tid; /* FAN_REPORT_TID: events name the thread */
	struct bh_guard_opts o;
	char *root;
	struct grd_watch **w;
	size_t nw;
	struct bh_map *by_mnt; /* 8-byte mount id → struct grd_mount * */
	struct bh_map *irefs;  /* struct grd_ikey → the watches marking it (uintptr_t) */
	struct bh_guard_stats st;
	char *buf;
};

/* The identity (device, inode) of fd; -1 with errno on failure. */
int grd_ikey_of(int fd, struct grd_ikey *k);
/* Know the file of fd (a refused file) by its identity too: its other names
 * are decided as path. */
int grd_ident_add(struct grd_watch *w, int fd, const char *path);

#endif
