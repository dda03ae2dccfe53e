// SPDX-License-Identifier: Apache-2.0
/*
 * The kernel source's record decoder: the bytes the monitor's BPF programs
 * put in the ring buffer (bpf/events.h) into a struct bh_mon_event. The
 * kernel is trusted to run our programs, but the bytes are still parsed
 * as untrusted: every length, offset and count is checked against the
 * record's size and the event's bounds (fuzz/fuzz_mon_record.c).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "monitor/bpf/events.h"
#include "source_internal.h"
#include "banned.h"

#define TMPFS_MAGIC_	 0x01021994u
#define HUGETLBFS_MAGIC_ 0x958458f6u

_Static_assert(BH_MON_EXECVE == 1 && BH_MON_PROCEXIT == 3 && BH_MON_OPEN == 4 &&
		       BH_MON_OPENAT == 5 && BH_MON_OPENAT2 == 6 && BH_MON_CONNECT == 7 &&
		       BH_MON_ACCEPT == 8 && BH_MON_ACCEPT4 == 9 && BH_MON_LISTEN == 10 &&
		       BH_MON_CAPSET == 16 && BH_MON_SETNS == 18 && BH_MON_MOUNT == 20 &&
		       BH_MON_UMOUNT2 == 21 && BH_MON_FINIT_MODULE == 23 &&
		       BH_MON_MEMFD_CREATE == 25,
	       "the types the BPF programs use (events.bpf.c T_*) are the public ones");
_Static_assert(MON_ANC_MAX == BH_MON_ANCESTORS_MAX && MON_COMM == BH_MON_COMM_MAX,
	       "the record's bounds are the event's");

/* A NUL-terminated copy of at most n bytes of s into d (size dsz); true when cut. */
static bool copy_str(char *d, size_t dsz, const char *s, size_t n)
{
	const char *z = memchr(s, '\0', n);
	size_t l = z ? (size_t)(z - s) : n;
	bool cut = l >= dsz;

	if (cut)
		l = dsz - 1;
	memcpy(d, s, l);
	d[l] = '\0';
	return cut;
}

/* Append s (l bytes) to d at *at (size dsz, NUL kept); false when it did not fit whole. */
static bool append(char *d, size_t dsz, size_t *at, const char *s, size_t l)
{
	bool whole = *at + l < dsz;

	if (!whole)
		l = *at + 1 < dsz ? dsz - 1 - *at : 0;
	memcpy(d + *at, s, l);
	*at += l;
	d[*at] = '\0';
	return whole;
}

int mon_path_decode(const struct mon_path *p, char *out, size_t outsz, bool *memfd)
{
	const char *comp[MON_PATH_DEPTH];
	size_t clen[MON_PATH_DEPTH], n = 0, off = 0, at = 0, len = p->len;
	bool trunc = (p->flags & MON_PATH_TRUNC) != 0;

	out[0] = '\0';
	if (memfd)
		*memfd = false;
	if (p->flags & MON_PATH_NONE)
		return 0;
	if (len > sizeof(p->buf))
		return -1;
	if (p->flags & MON_PATH_RAW) {
		if (!len)
			return -1;
		return copy_str(out, outsz, p->buf, len) ? 1 : 0;
	}
	if (p->ncomp > MON_PATH_DEPTH)
		return -1;
	while (n < p->ncomp) {
		const char *z;

		if (off >= len)
			return -1;
		z = memchr(p->buf + off, '\0', len - off);
		if (!z)
			return -1;
		comp[n] = p->buf + off;
		clen[n] = (size_t)(z - (p->buf + off));
		off += clen[n] + 1;
		n++;
	}
	if (off != len)
		return -1;
	if (p->flags & MON_PATH_DETACHED) {
		/* not on the tree: a memfd ("memfd:NAME"), a pipe, an nsfs file ... */
		bool mf = n == 1 && clen[0] > 6 && !memcmp(comp[0], "memfd:", 6) &&
			  (p->magic == TMPFS_MAGIC_ || p->magic == HUGETLBFS_MAGIC_);

		if (memfd)
			*memfd = mf;
		for (size_t i = n; i-- > 0;) {
			if (i + 1 < n)
				trunc |= !append(out, outsz, &at, "/", 1);
			trunc |= !append(out, outsz, &at, comp[i], clen[i]);
		}
		return trunc ? 1 : 0;
	}
	if (trunc)
		append(out, outsz, &at, "...", 3);
	else if (!n)
		append(out, outsz, &at, "/", 1);
	for (size_t i = n; i-- > 0;) {
		trunc |= !append(out, outsz, &at, "/", 1);
		trunc |= !append(out, outsz, &at, comp[i], clen[i]);
	}
	return trunc ? 1 : 0;
}

enum bh_mon_fdtype mon_fd_type(unsigned mode, unsigned major, unsigned minor, unsigned family)
{
	switch (mode & S_IFMT) {
	case 0: return mode ? BH_MON_FD_OTHER : BH_MON_FD_NONE;
	case S_IFSOCK:
		return family == AF_INET    ? BH_MON_FD_IPV4
		       : family == AF_INET6 ? BH_MON_FD_IPV6
		       : family == AF_UNIX  ? BH_MON_FD_UNIX
					    : BH_MON_FD_OTHER;
	case S_IFIFO: return BH_MON_FD_PIPE;
	case S_IFDIR: return BH_MON_FD_DIR;
	case S_IFREG: return BH_MON_FD_FILE;
	case S_IFCHR:
		/* ttys: 4 (tty*, ttyS*), 5:0 /dev/tty, 5:1 console, 136-143 the pty slaves */
		if (major == 4 || (major == 5 && minor <= 1) || (major >= 136 && major <= 143))
			return BH_MON_FD_TTY;
		return BH_MON_FD_FILE;
	case S_IFBLK: return BH_MON_FD_FILE;
	default: return BH_MON_FD_OTHER;
	}
}

/* argv[1..] of an arg area (argv[0] skipped), bounded by BH_MON_ARGS_MAX and
 * BH_MON_ARGC_MAX; true when something was cut. */
static bool args_decode(const char *a, size_t len, bool more, char *out, size_t outsz,
			uint16_t *out_len, uint16_t *argc)
{
	const char *z = memchr(a, '\0', len);
	size_t off, at = 0;
	bool cut = more;

	*out_len = 0;
	*argc = 0;
	if (!z)
		return len > 0;
	for (off = (size_t)(z - a) + 1; off < len;) {
		const char *e = memchr(a + off, '\0', len - off);
		size_t l = e ? (size_t)(e - (a + off)) : len - off;

		if (!e)
			cut = true; /* the read stopped inside it */
		if (*argc >= BH_MON_ARGC_MAX || at + l + 1 > outsz) {
			cut = true;
			break;
		}
		memcpy(out + at, a + off, l);
		out[at + l] = '\0';
		at += l + 1;
		(*argc)++;
		off += l + 1;
	}
	*out_len = (uint16_t)at;
	return cut;
}

static void decode_exec(const struct mon_rec_hdr *h, const struct mon_rec_exec *e,
			struct bh_mon_event *ev, struct mon_rec_raw *raw)
{
	struct bh_mon_proc *p = &ev->proc;
	bool memfd = false;
	int r;

	r = mon_path_decode(&e->exe, p->exe, sizeof(p->exe), &memfd);
	raw->truncated |= r != 0;
	p->exe_from_memfd = memfd;
	r = mon_path_decode(&e->cwd, p->cwd, sizeof(p->cwd), NULL);
	raw->truncated |= r != 0;
	p->exe_upper_layer = (h->flags & MON_R_UPPER) != 0;
	/* writable by the process's user: the owner, group or other write bit that applies */
	if (!(e->exe.flags & MON_PATH_NONE))
		p->exe_writable = (e->exe.uid == h->uid && (e->exe.mode & S_IWUSR)) ||
				  (e->exe.gid == h->gid && (e->exe.mode & S_IWGRP)) ||
				  (e->exe.mode & S_IWOTH);
	raw->exe_mode = e->exe.mode;
	p->args_truncated =
		args_decode(e->args, e->args_len <= sizeof(e->args) ? e->args_len : 0,
			    (h->flags & MON_R_ARGS_TRUNC) || e->args_len > sizeof(e->args) ||
				    e->args_total > e->args_len,
			    p->args, sizeof(p->args), &p->args_len, &p->argc);
	raw->truncated |= p->args_truncated;
	for (int i = 0; i < 3; i++)
		p->stdio[i] = mon_fd_type(e->stdio[i].mode, e->stdio[i].rdev_major,
					  e->stdio[i].rdev_minor, e->stdio[i].family);
	p->nancestors = 0;
	for (unsigned i = 0; i < e->nanc && i < MON_ANC_MAX; i++) {
		p->ancestors[i].pid = e->anc[i].pid;
		copy_str(p->ancestors[i].comm, sizeof(p->ancestors[i].comm), e->anc[i].comm,
			 sizeof(e->anc[i].comm));
		p->nancestors++;
	}
	/* the parent's exe as the kernel had it at this exec (else the exec cache's) */
	if (p->nancestors) {
		r = mon_path_decode(&e->pexe, p->ancestors[0].exe, sizeof(p->ancestors[0].exe),
				    NULL);
		raw->truncated |= r != 0;
	}
	raw->truncated |= e->nanc > MON_ANC_MAX || (h->flags & MON_R_NO_ANC);
}

static uint32_t first_set(uint64_t a, uint64_t b, uint64_t c)
{
	if ((uint32_t)a != UINT32_MAX)
		return (uint32_t)a;
	if ((uint32_t)b != UINT32_MAX)
		return (uint32_t)b;
	return (uint32_t)c;
}

static void decode_sys(const struct mon_rec_hdr *h, const struct mon_rec_sys *s,
		       struct bh_mon_event *ev, struct mon_rec_raw *raw)
{
	struct bh_mon_file *f = &ev->file;
	struct bh_mon_net *n = &ev->net;
	struct bh_mon_args *a = &ev->args;
	int r = mon_path_decode(&s->path, f->path, sizeof(f->path), NULL);

	raw->truncated |= r != 0;
	f->fd = -1;
	if (!(s->path.flags & (MON_PATH_NONE | MON_PATH_RAW)))
		f->type = mon_fd_type(s->path.mode, s->path.rdev_major, s->path.rdev_minor, 0);
	switch (ev->type) {
	case BH_MON_OPEN:
	case BH_MON_OPENAT:
	case BH_MON_OPENAT2:
		f->flags = s->oflags;
		f->mode = s->path.mode & 07777;
		f->fd = h->res >= 0 && h->res <= INT32_MAX ? (int32_t)h->res : -1;
		f->name_unverified = (h->flags & MON_R_NAME_UNVERIFIED) != 0;
		break;
	case BH_MON_CONNECT:
	case BH_MON_ACCEPT:
	case BH_MON_ACCEPT4:
	case BH_MON_LISTEN:
		n->family = s->family;
		n->proto = s->proto;
		memcpy(n->laddr, s->laddr, sizeof(n->laddr));
		memcpy(n->raddr, s->raddr, sizeof(n->raddr));
		n->lport = s->lport;
		n->rport = s->rport;
		f->fd = ev->type == BH_MON_CONNECT || ev->type == BH_MON_LISTEN
				? (int32_t)s->a[0]
				: (h->res >= 0 && h->res <= INT32_MAX ? (int32_t)h->res : -1);
		f->type = mon_fd_type(S_IFSOCK, 0, 0, s->family);
		if (h->flags & MON_R_ARGS_UNREAD) {
			a->unreadable = true;
			if (ev->type == BH_MON_CONNECT || ev->type == BH_MON_LISTEN)
				f->fd = -1; /* not read: not fd 0 */
		}
		break;
	case BH_MON_SETUID: a->uid = (uint32_t)s->a[0]; break;
	case BH_MON_SETREUID: a->uid = first_set(s->a[1], s->a[0], s->a[0]); break;
	case BH_MON_SETRESUID: a->uid = first_set(s->a[1], s->a[0], s->a[2]); break;
	case BH_MON_SETGID: a->gid = (uint32_t)s->a[0]; break;
	case BH_MON_SETRESGID: a->gid = first_set(s->a[1], s->a[0], s->a[2]); break;
	case BH_MON_CAPSET:
		a->cap_effective = s->cap_eff;
		a->cap_permitted = s->cap_prm;
		a->cap_inheritable = s->cap_inh;
		break;
	case BH_MON_UNSHARE: a->flags = s->a[0]; break;
	case BH_MON_SETNS:
		a->flags = s->a[1];
		f->fd = (int32_t)s->a[0];
		break;
	case BH_MON_PTRACE:
		a->request = (int64_t)s->a[0];
		a->target_pid = (int32_t)s->a[1];
		break;
	case BH_MON_MOUNT:
		raw->truncated |= copy_str(a->source, sizeof(a->source), s->str1, sizeof(s->str1));
		raw->truncated |= copy_str(a->fstype, sizeof(a->fstype), s->str2, sizeof(s->str2));
		a->flags = s->a[3];
		break;
	case BH_MON_UMOUNT2: a->flags = s->a[1]; break;
	case BH_MON_FINIT_MODULE: {
		/* the module's name: the file's, less its directory and .ko* */
		const char *b = strrchr(f->path, '/');
		char *dot;

		copy_str(a->module, sizeof(a->module), b ? b + 1 : f->path, sizeof(f->path));
		dot = strstr(a->module, ".ko");
		if (dot)
			*dot = '\0';
		f->fd = (int32_t)s->a[0];
		break;
	}
	case BH_MON_BPF: a->bpf_cmd = (uint32_t)s->a[0]; break;
	case BH_MON_MEMFD_CREATE:
		raw->truncated |= copy_str(a->source, sizeof(a->source), s->str1, sizeof(s->str1));
		a->flags = s->a[1];
		f->fd = h->res >= 0 && h->res <= INT32_MAX ? (int32_t)h->res : -1;
		f->type = h->res >= 0 ? BH_MON_FD_MEMFD : BH_MON_FD_NONE;
		break;
	default: break;
	}
}

/* The calls that are another call's event (bpf/events.h MON_T_CLONE...):
 * their record type, the public type, the call's name. */
static const struct {
	unsigned short rec;
	enum bh_mon_type t;
	const char *call;
} extra_recs[] = {
	{ MON_T_CLONE, BH_MON_UNSHARE, "clone" },
	{ MON_T_CLONE3, BH_MON_UNSHARE, "clone3" },
	{ MON_T_MOVE_MOUNT, BH_MON_MOUNT, "move_mount" },
	{ MON_T_FSMOUNT, BH_MON_MOUNT, "fsmount" },
	{ MON_T_OPEN_TREE, BH_MON_MOUNT, "open_tree" },
	{ MON_T_PROCESS_VM_READV, BH_MON_PTRACE, "process_vm_readv" },
	{ MON_T_PROCESS_VM_WRITEV, BH_MON_PTRACE, "process_vm_writev" },
	{ MON_T_MOUNT_SETATTR, BH_MON_MOUNT, "mount_setattr" },
	{ MON_T_FSPICK, BH_MON_MOUNT, "fspick" },
};
_Static_assert(sizeof(extra_recs) / sizeof(extra_recs[0]) ==
			       MON_T_EXTRA_LAST - MON_T_EXTRA_FIRST + 1 &&
		       MON_T_EXTRA_FIRST >= BH_MON_TYPE_COUNT && MON_T_EXTRA_LAST <= 0x3f,
	       "one row per extra record type, above the public types, in MON_W_TYPE");

/* The public type of record type rec (BH_MON_NONE: none), *x its extra_recs row or -1. */
static enum bh_mon_type rec_type(unsigned short rec, int *x)
{
	*x = -1;
	if (rec != BH_MON_NONE && rec < BH_MON_TYPE_COUNT)
		return (enum bh_mon_type)rec;
	for (size_t i = 0; i < sizeof(extra_recs) / sizeof(extra_recs[0]); i++)
		if (extra_recs[i].rec == rec) {
			*x = (int)i;
			return extra_recs[i].t;
		}
	return BH_MON_NONE;
}

/* An extra call's record, after decode_sys read it as its public type's:
 * what its arguments are instead (bpf/events.h). */
static void decode_extra(const struct mon_rec_hdr *h, const struct mon_rec_sys *s, int x,
			 struct bh_mon_event *ev)
{
	struct bh_mon_args *a = &ev->args;

	snprintf(a->call, sizeof(a->call), "%s", extra_recs[x].call);
	switch (extra_recs[x].rec) {
	case MON_T_CLONE:
	case MON_T_CLONE3:
		/* the CLONE_NEW* bits: the kernel's (task_newtask), or a failed
		 * call's as the caller held them at exit (MON_R_ARGS_USER) */
		a->flags = s->a[0];
		a->unreadable = (h->flags & MON_R_ARGS_UNREAD) != 0;
		a->flags_unverified = (h->flags & MON_R_ARGS_USER) != 0;
		break;
	case MON_T_MOVE_MOUNT:
	case MON_T_FSMOUNT:
		a->flags = 0; /* MOVE_MOUNT_*, MOUNT_ATTR_*: not MS_* */
		break;
	case MON_T_OPEN_TREE:
		/* the tree cloned: a source, no target */
		snprintf(a->source, sizeof(a->source), "%s", ev->file.path);
		ev->file.path[0] = '\0';
		a->flags = 0;
		break;
	case MON_T_MOUNT_SETATTR:
		/* the caller's struct mount_attr at exit (bpf/events.h) */
		/* every MOUNT_ATTR_* and propagation bit is in the low 32: the
		 * kernel refuses (EINVAL) a struct with any above, so those are
		 * cut here (res says what the kernel did) and the fields stay
		 * within JSON's signed integers */
		a->attr_set = s->a[3] & 0xffffffffu;
		a->attr_clr = s->a[4] & 0xffffffffu;
		a->flags = s->a[5] & 0xffffffffu; /* propagation: MS_SHARED, MS_PRIVATE... */
		a->unreadable = (h->flags & MON_R_ARGS_UNREAD) != 0;
		a->flags_unverified = (h->flags & MON_R_ARGS_USER) != 0;
		break;
	case MON_T_FSPICK:
		a->flags = 0; /* FSPICK_*: not MS_* */
		break;
	case MON_T_PROCESS_VM_READV:
	case MON_T_PROCESS_VM_WRITEV:
		a->request = 0;
		a->target_pid = (int32_t)s->a[0];
		break;
	default: break;
	}
}

int mon_record_decode(const void *buf, size_t len, struct bh_mon_event *ev, struct mon_rec_raw *raw)
{
	const struct mon_rec_hdr *h = buf;
	enum bh_mon_type type;
	enum bh_mon_kind kind;
	size_t want;
	int x;

	memset(ev, 0, sizeof(*ev));
	memset(raw, 0, sizeof(*raw));
	if (len < sizeof(*h) || h->size != len)
		return -1;
	type = rec_type(h->type, &x);
	if (type == BH_MON_NONE)
		return -1;
	kind = bh_mon_type_kind(type);
	want = sizeof(*h) + (kind == BH_MON_KIND_EXEC	? sizeof(struct mon_rec_exec)
			     : kind == BH_MON_KIND_EXIT ? 0
							: sizeof(struct mon_rec_sys));
	if (len != want)
		return -1;
	ev->type = type;
	ev->res = h->res;
	ev->file.fd = -1;
	raw->ts_boot_ns = h->ts_ns;
	raw->cg2_id = h->cg2_id;
	raw->pids_id = h->pids_id;
	ev->proc.pid = h->pid;
	ev->proc.tid = h->tid;
	ev->proc.ppid = h->ppid;
	ev->proc.sid = h->sid;
	ev->proc.vpid = h->vpid;
	ev->proc.uid = h->uid;
	ev->proc.gid = h->gid;
	ev->proc.loginuid = h->loginuid;
	ev->proc.tty = h->tty_major || h->tty_minor
			       ? (uint32_t)makedev(h->tty_major & 0xfff, h->tty_minor & 0xfffff)
			       : 0;
	copy_str(ev->proc.comm, sizeof(ev->proc.comm), h->comm, sizeof(h->comm));
	ev->proc.compat = (h->flags & MON_R_COMPAT) != 0;
	ev->proc.exe_from_host = (h->flags & MON_R_EXE_HOST) != 0;
	if (kind == BH_MON_KIND_EXEC)
		decode_exec(h, (const struct mon_rec_exec *)(h + 1), ev, raw);
	else if (kind != BH_MON_KIND_EXIT)
		decode_sys(h, (const struct mon_rec_sys *)(h + 1), ev, raw);
	if (x >= 0)
		decode_extra(h, (const struct mon_rec_sys *)(h + 1), x, ev);
	return 0;
}

int mon_record_cgroup(const void *buf, size_t len, struct mon_cgroup_note *out)
{
	const struct mon_rec_hdr *h = buf;
	const struct mon_rec_cgroup *c;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(*h) || h->type != MON_T_CGROUP_MKDIR)
		return 1;
	if (h->size != len || len != sizeof(*h) + sizeof(*c))
		return -1;
	c = (const struct mon_rec_cgroup *)(h + 1);
	if (c->hier != MON_CG_V2 && c->hier != MON_CG_PIDS)
		return -1;
	out->id = c->id;
	out->pids = c->hier == MON_CG_PIDS;
	out->truncated = (c->flags & MON_CG_TRUNC) != 0;
	out->foreign = (c->flags & MON_CG_FOREIGN) != 0;
	/* no NUL within the buffer: cut too */
	out->truncated |= copy_str(out->path, sizeof(out->path), c->path, sizeof(c->path));
	out->ts_boot_ns = h->ts_ns;
	return 0;
}
