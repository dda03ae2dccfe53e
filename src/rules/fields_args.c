/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The field table's evt.arg.* accessors: the arguments of the calls the
 * monitor reports, with the flag, request, command and capability names
 * that rules compare against.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "fields.h"
#include "banned.h"

int rules_flags_str(char *scratch, const struct rules_flagname *t, size_t n, uint64_t v,
		    const char *zero)
{
	size_t o = 0;

	scratch[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (!t[i].bit || (v & t[i].bit) != t[i].bit)
			continue;
		o += (size_t)snprintf(scratch + o, RULES_SCRATCH - o, "%s%s", o ? "|" : "",
				      t[i].name);
		v &= ~t[i].bit;
		if (o >= RULES_SCRATCH)
			return -1;
	}
	if (v)
		o += (size_t)snprintf(scratch + o, RULES_SCRATCH - o, "%s0x%llx", o ? "|" : "",
				      (unsigned long long)v);
	else if (!o && zero)
		snprintf(scratch, RULES_SCRATCH, "%s", zero);
	return 0;
}

static const struct rules_flagname open_flags[] = {
	{ "O_WRONLY", O_WRONLY },	{ "O_RDWR", O_RDWR },
	{ "O_CREAT", O_CREAT },		{ "O_EXCL", O_EXCL },
	{ "O_NOCTTY", O_NOCTTY },	{ "O_TRUNC", O_TRUNC },
	{ "O_APPEND", O_APPEND },	{ "O_NONBLOCK", O_NONBLOCK },
	{ "O_DSYNC", O_DSYNC },		{ "O_DIRECT", O_DIRECT },
	{ "O_LARGEFILE", O_LARGEFILE }, { "O_DIRECTORY", O_DIRECTORY },
	{ "O_NOFOLLOW", O_NOFOLLOW },	{ "O_NOATIME", O_NOATIME },
	{ "O_CLOEXEC", O_CLOEXEC },	{ "O_PATH", O_PATH },
	{ "O_TMPFILE", __O_TMPFILE },	{ "O_SYNC", O_SYNC & ~O_DSYNC },
};

static const struct rules_flagname clone_flags[] = {
	{ "CLONE_NEWNS", CLONE_NEWNS },	    { "CLONE_NEWCGROUP", CLONE_NEWCGROUP },
	{ "CLONE_NEWUTS", CLONE_NEWUTS },   { "CLONE_NEWIPC", CLONE_NEWIPC },
	{ "CLONE_NEWUSER", CLONE_NEWUSER }, { "CLONE_NEWPID", CLONE_NEWPID },
	{ "CLONE_NEWNET", CLONE_NEWNET },   { "CLONE_NEWTIME", 0x80 },
	{ "CLONE_FILES", CLONE_FILES },	    { "CLONE_FS", CLONE_FS },
	{ "CLONE_SYSVSEM", CLONE_SYSVSEM },
};

static const struct rules_flagname mount_flags[] = {
	{ "MS_RDONLY", MS_RDONLY },   { "MS_NOSUID", MS_NOSUID },
	{ "MS_NODEV", MS_NODEV },     { "MS_NOEXEC", MS_NOEXEC },
	{ "MS_REMOUNT", MS_REMOUNT }, { "MS_BIND", MS_BIND },
	{ "MS_MOVE", MS_MOVE },	      { "MS_REC", MS_REC },
	{ "MS_PRIVATE", MS_PRIVATE }, { "MS_SLAVE", MS_SLAVE },
	{ "MS_SHARED", MS_SHARED },   { "MS_UNBINDABLE", MS_UNBINDABLE },
	{ "MS_NOSYMFOLLOW", 256 },
};

bool rules_g_arg_flags(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		       char *sc)
{
	switch (ev->type) {
	case BH_MON_OPEN:
	case BH_MON_OPENAT:
	case BH_MON_OPENAT2:
		return scratch_out(o, sc,
				   rules_flags_str(sc, open_flags,
						   sizeof(open_flags) / sizeof(open_flags[0]),
						   ev->file.flags, "O_RDONLY"));
	case BH_MON_UNSHARE:
	case BH_MON_SETNS:
		return scratch_out(o, sc,
				   rules_flags_str(sc, clone_flags,
						   sizeof(clone_flags) / sizeof(clone_flags[0]),
						   ev->args.flags, "0"));
	case BH_MON_MOUNT:
		return scratch_out(o, sc,
				   rules_flags_str(sc, mount_flags,
						   sizeof(mount_flags) / sizeof(mount_flags[0]),
						   ev->args.flags, "0"));
	case BH_MON_MEMFD_CREATE:
		return scratch_out(
			o, sc,
			snprintf(sc, RULES_SCRATCH, "%llu", (unsigned long long)ev->args.flags));
	default: return false;
	}
}

bool rules_g_rawarg_flags(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			  char *sc)
{
	switch (kind(ev)) {
	case BH_MON_KIND_OPEN: return num_out(o, ev->file.flags);
	case BH_MON_KIND_PRIV:
		if (ev->type == BH_MON_UNSHARE || ev->type == BH_MON_SETNS ||
		    ev->type == BH_MON_MOUNT || ev->type == BH_MON_MEMFD_CREATE)
			return num_out(o, (int64_t)ev->args.flags);
		return false;
	default: return false;
	}
}

bool rules_g_arg_uid(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o, char *sc)
{
	return (ev->type == BH_MON_SETUID || ev->type == BH_MON_SETREUID ||
		ev->type == BH_MON_SETRESUID) &&
	       num_out(o, ev->args.uid);
}

bool rules_g_arg_gid(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o, char *sc)
{
	return (ev->type == BH_MON_SETGID || ev->type == BH_MON_SETRESGID) &&
	       num_out(o, ev->args.gid);
}

static const char *const ptrace_reqs[] = {
	[0] = "PTRACE_TRACEME",	   [1] = "PTRACE_PEEKTEXT", [2] = "PTRACE_PEEKDATA",
	[3] = "PTRACE_PEEKUSR",	   [4] = "PTRACE_POKETEXT", [5] = "PTRACE_POKEDATA",
	[6] = "PTRACE_POKEUSR",	   [7] = "PTRACE_CONT",	    [8] = "PTRACE_KILL",
	[9] = "PTRACE_SINGLESTEP", [12] = "PTRACE_GETREGS", [13] = "PTRACE_SETREGS",
	[16] = "PTRACE_ATTACH",	   [17] = "PTRACE_DETACH",  [24] = "PTRACE_SYSCALL",
};

bool rules_g_arg_request(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			 char *sc)
{
	int64_t r = ev->args.request;

	if (ev->type != BH_MON_PTRACE || ev->args.call[0])
		return false; /* process_vm_readv/writev: no request */
	if (r >= 0 && r < (int64_t)(sizeof(ptrace_reqs) / sizeof(ptrace_reqs[0])) && ptrace_reqs[r])
		return str_out(o, ptrace_reqs[r]);
	if (r == 0x4206)
		return str_out(o, "PTRACE_SEIZE");
	if (r == 0x4207)
		return str_out(o, "PTRACE_INTERRUPT");
	return scratch_out(o, sc, snprintf(sc, RULES_SCRATCH, "%lld", (long long)r));
}

bool rules_g_rawarg_request(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			    char *sc)
{
	return ev->type == BH_MON_PTRACE && !ev->args.call[0] && num_out(o, ev->args.request);
}

bool rules_g_arg_call(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		      char *sc)
{
	const char *n = ev->args.call[0] ? ev->args.call : bh_mon_type_name(ev->type);

	return n && str_out(o, n);
}

bool rules_g_arg_pid(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o, char *sc)
{
	return (ev->type == BH_MON_PTRACE || ev->type == BH_MON_SETNS) &&
	       num_out(o, ev->args.target_pid);
}

static const char *const bpf_cmds[] = {
	"BPF_MAP_CREATE",	"BPF_MAP_LOOKUP_ELEM",
	"BPF_MAP_UPDATE_ELEM",	"BPF_MAP_DELETE_ELEM",
	"BPF_MAP_GET_NEXT_KEY", "BPF_PROG_LOAD",
	"BPF_OBJ_PIN",		"BPF_OBJ_GET",
	"BPF_PROG_ATTACH",	"BPF_PROG_DETACH",
	"BPF_PROG_TEST_RUN",	"BPF_PROG_GET_NEXT_ID",
	"BPF_MAP_GET_NEXT_ID",	"BPF_PROG_GET_FD_BY_ID",
	"BPF_MAP_GET_FD_BY_ID", "BPF_OBJ_GET_INFO_BY_FD",
	"BPF_PROG_QUERY",	"BPF_RAW_TRACEPOINT_OPEN",
	"BPF_BTF_LOAD",		"BPF_BTF_GET_FD_BY_ID",
	"BPF_TASK_FD_QUERY",	"BPF_MAP_LOOKUP_AND_DELETE_ELEM",
	"BPF_MAP_FREEZE",	"BPF_BTF_GET_NEXT_ID",
	"BPF_MAP_LOOKUP_BATCH", "BPF_MAP_LOOKUP_AND_DELETE_BATCH",
	"BPF_MAP_UPDATE_BATCH", "BPF_MAP_DELETE_BATCH",
	"BPF_LINK_CREATE",	"BPF_LINK_UPDATE",
};

bool rules_g_arg_cmd(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o, char *sc)
{
	if (ev->type != BH_MON_BPF)
		return false;
	if (ev->args.bpf_cmd < sizeof(bpf_cmds) / sizeof(bpf_cmds[0]))
		return str_out(o, bpf_cmds[ev->args.bpf_cmd]);
	return scratch_out(o, sc, snprintf(sc, RULES_SCRATCH, "%u", ev->args.bpf_cmd));
}

bool rules_g_rawarg_cmd(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			char *sc)
{
	return ev->type == BH_MON_BPF && num_out(o, ev->args.bpf_cmd);
}

bool rules_g_arg_name(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		      char *sc)
{
	switch (ev->type) {
	case BH_MON_OPEN:
	case BH_MON_OPENAT:
	case BH_MON_OPENAT2: return nonempty(o, ev->file.path);
	case BH_MON_MEMFD_CREATE: return str_out(o, ev->args.source);
	case BH_MON_INIT_MODULE:
	case BH_MON_FINIT_MODULE: return nonempty(o, ev->args.module);
	default: return false;
	}
}

bool rules_g_arg_dev(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o, char *sc)
{
	return ev->type == BH_MON_MOUNT && str_out(o, ev->args.source);
}

bool rules_g_arg_dir(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o, char *sc)
{
	return (ev->type == BH_MON_MOUNT || ev->type == BH_MON_UMOUNT2) &&
	       str_out(o, ev->file.path);
}

bool rules_g_arg_fstype(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			char *sc)
{
	return ev->type == BH_MON_MOUNT && str_out(o, ev->args.fstype);
}

/* include/uapi/linux/mount.h's MOUNT_ATTR_* (the atime values are a field,
 * MOUNT_ATTR__ATIME: RELATIME is 0, so it is named only as a clear's mask) */
static const struct rules_flagname mount_attrs[] = {
	{ "MOUNT_ATTR_RDONLY", 0x1 },	    { "MOUNT_ATTR_NOSUID", 0x2 },
	{ "MOUNT_ATTR_NODEV", 0x4 },	    { "MOUNT_ATTR_NOEXEC", 0x8 },
	{ "MOUNT_ATTR__ATIME", 0x70 },	    { "MOUNT_ATTR_NOATIME", 0x10 },
	{ "MOUNT_ATTR_STRICTATIME", 0x20 }, { "MOUNT_ATTR_NODIRATIME", 0x80 },
	{ "MOUNT_ATTR_IDMAP", 0x100000 },   { "MOUNT_ATTR_NOSYMFOLLOW", 0x200000 },
};

/* mount_setattr's attributes (v); nothing for any other call */
static bool attrs_out(const struct bh_mon_event *ev, struct rules_fv *o, char *sc, uint64_t v)
{
	if (ev->type != BH_MON_MOUNT || strcmp(ev->args.call, "mount_setattr"))
		return false;
	return scratch_out(o, sc,
			   rules_flags_str(sc, mount_attrs,
					   sizeof(mount_attrs) / sizeof(mount_attrs[0]), v, "0"));
}

bool rules_g_arg_attr_set(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			  char *sc)
{
	return attrs_out(ev, o, sc, ev->args.attr_set);
}

bool rules_g_arg_attr_clr(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			  char *sc)
{
	return attrs_out(ev, o, sc, ev->args.attr_clr);
}

static bool caps_out(struct rules_fv *o, char *sc, uint64_t v)
{
	size_t n = 0;

	sc[0] = 0;
	for (size_t b = 0; b < 64; b++) {
		if (!(v & (1ull << b)))
			continue;
		if (bh_cap_name((int)b))
			n += (size_t)snprintf(sc + n, RULES_SCRATCH - n, "%s%s", n ? " " : "",
					      bh_cap_name((int)b));
		else
			n += (size_t)snprintf(sc + n, RULES_SCRATCH - n, "%sCAP_%zu", n ? " " : "",
					      b);
		if (n >= RULES_SCRATCH)
			return false;
	}
	return scratch_out(o, sc, 0);
}

bool rules_g_cap_eff(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o, char *sc)
{
	return ev->type == BH_MON_CAPSET && caps_out(o, sc, ev->args.cap_effective);
}

bool rules_g_cap_perm(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		      char *sc)
{
	return ev->type == BH_MON_CAPSET && caps_out(o, sc, ev->args.cap_permitted);
}

bool rules_g_cap_inh(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o, char *sc)
{
	return ev->type == BH_MON_CAPSET && caps_out(o, sc, ev->args.cap_inheritable);
}
