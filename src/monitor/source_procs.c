// SPDX-License-Identifier: Apache-2.0
/*
 * The kernel source's exec cache: the exe and argv of each process seen to
 * exec (pid -> exe, argv; bounded: MON_PROCS entries direct-mapped by pid,
 * a pid evicting the one in its slot), filled from /proc/PID/exe and
 * /proc/PID/cmdline for a process that exec'd before the source started
 * (those paths are as /proc shows them to us) or whose entry was evicted,
 * dropped at the process's exit. It completes a record's event: an exec's
 * parent's argv and ancestors' exe (the parent's from the record first: the
 * kernel's at the exec), a non-exec event's exe and argv. One caller at a
 * time (the source's consumer).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "source_internal.h"
#include "banned.h"

#define MON_PROCS 2048 /* the exec cache (direct-mapped by pid) */

struct proc_entry {
	uint32_t pid; /* 0: empty */
	char exe[BH_MON_PATH_MAX];
	char args[BH_MON_PARGS_MAX];
	uint16_t args_len, argc;
};

struct mon_procs {
	struct proc_entry e[MON_PROCS];
};

struct mon_procs *mon_procs_new(void)
{
	return bh_calloc(1, sizeof(struct mon_procs));
}

void mon_procs_free(struct mon_procs *c)
{
	free(c);
}

static struct proc_entry *proc_slot(struct mon_procs *c, uint32_t pid)
{
	return &c->e[pid % MON_PROCS];
}

/* The cached exe and argv of pid, read from /proc when not cached (a process
 * that exec'd before the source started, or whose entry was evicted). */
static const struct proc_entry *proc_get(struct mon_procs *c, uint32_t pid)
{
	struct proc_entry *e = proc_slot(c, pid);
	char path[64], buf[BH_MON_PARGS_MAX + 512];
	ssize_t n;
	FILE *f;
	size_t len, off, at = 0;

	if (!pid)
		return NULL;
	if (e->pid == pid)
		return e;
	memset(e, 0, offsetof(struct proc_entry, args) + 1);
	e->args_len = e->argc = 0;
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, e->exe, sizeof(e->exe) - 1);
	e->exe[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	f = fopen(path, "re");
	if (!f) {
		if (n <= 0)
			return NULL; /* gone */
		e->pid = pid;
		return e;
	}
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* argv[1..] */
	off = 0;
	while (off < len && buf[off])
		off++;
	for (off++; off < len && e->argc < BH_MON_ARGC_MAX;) {
		size_t l = strnlen(buf + off, len - off);

		if (at + l + 1 > sizeof(e->args))
			break;
		memcpy(e->args + at, buf + off, l);
		e->args[at + l] = '\0';
		at += l + 1;
		e->argc++;
		off += l + 1;
	}
	e->args_len = (uint16_t)at;
	e->pid = pid;
	return e;
}

static void proc_put(struct mon_procs *c, const struct bh_mon_event *ev)
{
	struct proc_entry *e = proc_slot(c, ev->proc.pid);
	size_t at = 0;
	uint16_t argc = 0;

	e->pid = ev->proc.pid;
	snprintf(e->exe, sizeof(e->exe), "%s", ev->proc.exe);
	/* the first whole arguments that fit BH_MON_PARGS_MAX */
	while (at < ev->proc.args_len && argc < ev->proc.argc) {
		size_t l = strnlen(ev->proc.args + at, ev->proc.args_len - at);

		if (at + l + 1 > sizeof(e->args))
			break;
		at += l + 1;
		argc++;
	}
	memcpy(e->args, ev->proc.args, at);
	e->args_len = (uint16_t)at;
	e->argc = argc;
}

static void proc_drop(struct mon_procs *c, uint32_t pid)
{
	struct proc_entry *e = proc_slot(c, pid);

	if (e->pid == pid)
		e->pid = 0;
}

void mon_procs_complete(struct mon_procs *c, struct bh_mon_event *ev)
{
	const struct proc_entry *pe;
	enum bh_mon_kind kind = bh_mon_type_kind(ev->type);

	if (kind == BH_MON_KIND_EXEC) {
		proc_put(c, ev);
		for (unsigned i = 0; i < ev->proc.nancestors && i < BH_MON_ANCESTORS_MAX; i++) {
			pe = proc_get(c, ev->proc.ancestors[i].pid);
			/* the parent's exe from the record first: read when it exec'd */
			if (pe && !(i == 0 && ev->proc.ancestors[0].exe[0]))
				snprintf(ev->proc.ancestors[i].exe,
					 sizeof(ev->proc.ancestors[i].exe), "%s", pe->exe);
			if (i == 0 && pe) {
				memcpy(ev->proc.pargs, pe->args, pe->args_len);
				ev->proc.pargs_len = pe->args_len;
				ev->proc.pargc = pe->argc;
			}
		}
	} else {
		pe = proc_get(c, ev->proc.pid);
		if (pe) {
			snprintf(ev->proc.exe, sizeof(ev->proc.exe), "%s", pe->exe);
			memcpy(ev->proc.args, pe->args, pe->args_len);
			ev->proc.args_len = pe->args_len;
			ev->proc.argc = pe->argc;
		}
		if (kind == BH_MON_KIND_EXIT)
			proc_drop(c, ev->proc.pid);
	}
}
