/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The field table: one row per field a condition or an output may name,
 * with its type and its accessor on struct bh_mon_event. Falco's names where
 * Falco has the field (its meaning kept: fd.sip is the server's address,
 * the remote one of a connect and the local one of an accept); ours where it
 * has none (proc.stdin.type). A new field is one accessor and one row.
 *
 * The event types (evt.type) are a table too: name and kind.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>

#include "fields.h"
#include "monitor/users.h"
#include "banned.h"

/* ---- event types -------------------------------------------------------- */

static const struct {
	const char *name;
	enum bh_mon_kind kind;
} types[BH_MON_TYPE_COUNT] = {
	[BH_MON_EXECVE] = { "execve", BH_MON_KIND_EXEC },
	[BH_MON_EXECVEAT] = { "execveat", BH_MON_KIND_EXEC },
	[BH_MON_PROCEXIT] = { "procexit", BH_MON_KIND_EXIT },
	[BH_MON_OPEN] = { "open", BH_MON_KIND_OPEN },
	[BH_MON_OPENAT] = { "openat", BH_MON_KIND_OPEN },
	[BH_MON_OPENAT2] = { "openat2", BH_MON_KIND_OPEN },
	[BH_MON_CONNECT] = { "connect", BH_MON_KIND_NET },
	[BH_MON_ACCEPT] = { "accept", BH_MON_KIND_NET },
	[BH_MON_ACCEPT4] = { "accept4", BH_MON_KIND_NET },
	[BH_MON_LISTEN] = { "listen", BH_MON_KIND_NET },
	[BH_MON_SETUID] = { "setuid", BH_MON_KIND_PRIV },
	[BH_MON_SETREUID] = { "setreuid", BH_MON_KIND_PRIV },
	[BH_MON_SETRESUID] = { "setresuid", BH_MON_KIND_PRIV },
	[BH_MON_SETGID] = { "setgid", BH_MON_KIND_PRIV },
	[BH_MON_SETRESGID] = { "setresgid", BH_MON_KIND_PRIV },
	[BH_MON_CAPSET] = { "capset", BH_MON_KIND_PRIV },
	[BH_MON_UNSHARE] = { "unshare", BH_MON_KIND_PRIV },
	[BH_MON_SETNS] = { "setns", BH_MON_KIND_PRIV },
	[BH_MON_PTRACE] = { "ptrace", BH_MON_KIND_PRIV },
	[BH_MON_MOUNT] = { "mount", BH_MON_KIND_PRIV },
	[BH_MON_UMOUNT2] = { "umount2", BH_MON_KIND_PRIV },
	[BH_MON_INIT_MODULE] = { "init_module", BH_MON_KIND_PRIV },
	[BH_MON_FINIT_MODULE] = { "finit_module", BH_MON_KIND_PRIV },
	[BH_MON_BPF] = { "bpf", BH_MON_KIND_PRIV },
	[BH_MON_MEMFD_CREATE] = { "memfd_create", BH_MON_KIND_PRIV },
};

enum bh_mon_kind bh_mon_type_kind(enum bh_mon_type t)
{
	return t > BH_MON_NONE && t < BH_MON_TYPE_COUNT ? types[t].kind : BH_MON_KIND_NONE;
}

const char *bh_mon_type_name(enum bh_mon_type t)
{
	return t > BH_MON_NONE && t < BH_MON_TYPE_COUNT ? types[t].name : NULL;
}

enum bh_mon_type bh_mon_type_parse(const char *name)
{
	for (int t = 1; t < BH_MON_TYPE_COUNT; t++)
		if (!strcmp(types[t].name, name))
			return (enum bh_mon_type)t;
	return BH_MON_NONE;
}

/* prefix, then the NUL-separated strings of (p, len), space-joined, into scratch. */
static void join_args(char *scratch, const char *prefix, const char *p, size_t len)
{
	size_t o = strnlen(prefix, RULES_SCRATCH - 1);

	memcpy(scratch, prefix, o);
	if (len && !p[len - 1])
		len--;
	if (len && o && o + 1 < RULES_SCRATCH)
		scratch[o++] = ' ';
	for (size_t i = 0; i < len && o + 1 < RULES_SCRATCH; i++)
		scratch[o++] = p[i] ? p[i] : ' ';
	scratch[o] = 0;
}

static size_t args_len(const char *p, size_t len, size_t max)
{
	return len > max ? max : len;
}

/* ---- evt.* --------------------------------------------------------------------- */

static bool g_evt_type(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		       char *sc)
{
	const char *n = bh_mon_type_name(ev->type);

	return n ? str_out(o, n) : false;
}

static bool g_evt_dir(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		      char *sc)
{
	return str_out(o, "<"); /* events are read at the call's exit */
}

static bool g_evt_time(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		       char *sc)
{
	return num_out(o, (int64_t)ev->ts_ns);
}

static bool g_evt_res(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		      char *sc)
{
	const char *n;

	if (ev->type == BH_MON_PROCEXIT)
		return false;
	if (ev->res >= 0)
		return str_out(o, "SUCCESS");
	n = ev->res > -4096 ? strerrorname_np((int)-ev->res) : NULL;
	if (n)
		return str_out(o, n);
	return scratch_out(o, sc, snprintf(sc, RULES_SCRATCH, "%lld", (long long)ev->res));
}

static bool g_evt_rawres(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			 char *sc)
{
	return ev->type != BH_MON_PROCEXIT && num_out(o, ev->res);
}

static bool g_evt_failed(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			 char *sc)
{
	return ev->type != BH_MON_PROCEXIT && num_out(o, ev->res < 0);
}

static bool g_open_read(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			char *sc)
{
	return kind(ev) == BH_MON_KIND_OPEN &&
	       num_out(o, (ev->file.flags & O_ACCMODE) == O_RDONLY ||
				  (ev->file.flags & O_ACCMODE) == O_RDWR);
}

static bool g_open_write(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			 char *sc)
{
	return kind(ev) == BH_MON_KIND_OPEN &&
	       num_out(o, (ev->file.flags & O_ACCMODE) == O_WRONLY ||
				  (ev->file.flags & O_ACCMODE) == O_RDWR ||
				  (ev->file.flags & (O_CREAT | O_TRUNC)));
}

/* ---- proc.*, user.* --------------------------------------------------------------- */

static bool g_proc_name(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			char *sc)
{
	return nonempty(o, ev->proc.comm);
}

static bool g_proc_exe(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		       char *sc)
{
	return nonempty(o, ev->proc.exe);
}

static bool g_proc_cwd(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		       char *sc)
{
	return nonempty(o, ev->proc.cwd);
}

static bool g_proc_args(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			char *sc)
{
	join_args(sc, "", ev->proc.args,
		  args_len(ev->proc.args, ev->proc.args_len, BH_MON_ARGS_MAX));
	return scratch_out(o, sc, 0);
}

static bool g_proc_cmdline(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			   char *sc)
{
	join_args(sc, ev->proc.comm, ev->proc.args,
		  args_len(ev->proc.args, ev->proc.args_len, BH_MON_ARGS_MAX));
	return scratch_out(o, sc, 0);
}

static bool g_proc_pcmdline(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			    char *sc)
{
	if (!ev->proc.nancestors)
		return false;
	join_args(sc, ev->proc.ancestors[0].comm, ev->proc.pargs,
		  args_len(ev->proc.pargs, ev->proc.pargs_len, BH_MON_PARGS_MAX));
	return scratch_out(o, sc, 0);
}

#define NUMGET(fn, expr)                                                                           \
	static bool fn(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,       \
		       char *sc)                                                                   \
	{                                                                                          \
		return num_out(o, (int64_t)(expr));                                                \
	}
#define BOOLGET(fn, expr) NUMGET(fn, (expr) ? 1 : 0)

NUMGET(g_proc_pid, ev->proc.pid)
NUMGET(g_proc_tid, ev->proc.tid)
NUMGET(g_proc_ppid, ev->proc.ppid)
NUMGET(g_proc_sid, ev->proc.sid)
NUMGET(g_proc_vpid, ev->proc.vpid)
NUMGET(g_proc_tty, ev->proc.tty)
NUMGET(g_user_uid, ev->proc.uid)
NUMGET(g_group_gid, ev->proc.gid)
NUMGET(g_user_loginuid, ev->proc.loginuid == UINT32_MAX ? -1 : (int64_t)ev->proc.loginuid)
BOOLGET(g_proc_upper, ev->proc.exe_upper_layer)
BOOLGET(g_proc_memfd, ev->proc.exe_from_memfd)
BOOLGET(g_proc_compat, ev->proc.compat)
BOOLGET(g_proc_writable, ev->proc.exe_writable)
BOOLGET(g_proc_from_host, ev->proc.exe_from_host)
BOOLGET(g_fd_name_unverified, ev->file.name_unverified)
BOOLGET(g_arg_unreadable, ev->args.unreadable)
BOOLGET(g_arg_flags_unverified, ev->args.flags_unverified)

/*
 * The user's (group's) name: the event's own, else the name in the process's
 * own root (users.h: live events, from a cache), else root for id 0.
 */
static bool g_user_name(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			char *sc)
{
	char group[BH_MON_USER_MAX];

	if (ev->proc.user[0])
		return str_out(o, ev->proc.user);
	bh_users_names(ev, sc, group);
	if (sc[0])
		return scratch_out(o, sc, 0);
	if (ev->proc.uid == 0)
		return str_out(o, "root");
	return false;
}

static bool g_group_name(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			 char *sc)
{
	char user[BH_MON_USER_MAX];

	if (ev->proc.group[0])
		return str_out(o, ev->proc.group);
	bh_users_names(ev, user, sc);
	if (sc[0])
		return scratch_out(o, sc, 0);
	if (ev->proc.gid == 0)
		return str_out(o, "root");
	return false;
}

/* Ancestor N (1 = the parent); 0 = the process itself; without [N], each in turn. */
static int anc_index(const struct bh_mon_event *ev, int arg, size_t i)
{
	size_t n = ev->proc.nancestors > BH_MON_ANCESTORS_MAX ? BH_MON_ANCESTORS_MAX
							      : ev->proc.nancestors;

	if (arg >= 0)
		return i == 0 && (size_t)arg <= n ? arg : -1;
	return i < n ? (int)i + 1 : -1;
}

static bool g_proc_aname(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			 char *sc)
{
	int a = anc_index(ev, arg, i);

	if (a < 0)
		return false;
	return nonempty(o, a == 0 ? ev->proc.comm : ev->proc.ancestors[a - 1].comm);
}

static bool g_proc_aexe(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			char *sc)
{
	int a = anc_index(ev, arg, i);

	if (a < 0)
		return false;
	return nonempty(o, a == 0 ? ev->proc.exe : ev->proc.ancestors[a - 1].exe);
}

static bool g_proc_apid(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			char *sc)
{
	int a = anc_index(ev, arg, i);

	if (a < 0)
		return false;
	return num_out(o, a == 0 ? ev->proc.pid : ev->proc.ancestors[a - 1].pid);
}

static bool g_proc_pname(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			 char *sc)
{
	return ev->proc.nancestors && nonempty(o, ev->proc.ancestors[0].comm);
}

static bool g_proc_pexe(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			char *sc)
{
	return ev->proc.nancestors && nonempty(o, ev->proc.ancestors[0].exe);
}

static const char *const fdtype_names[] = {
	[BH_MON_FD_NONE] = "none",   [BH_MON_FD_FILE] = "file", [BH_MON_FD_DIR] = "directory",
	[BH_MON_FD_PIPE] = "pipe",   [BH_MON_FD_TTY] = "tty",	[BH_MON_FD_IPV4] = "ipv4",
	[BH_MON_FD_IPV6] = "ipv6",   [BH_MON_FD_UNIX] = "unix", [BH_MON_FD_MEMFD] = "memfd",
	[BH_MON_FD_OTHER] = "other",
};

static bool stdio_out(struct rules_fv *o, enum bh_mon_fdtype t)
{
	return (unsigned)t < sizeof(fdtype_names) / sizeof(fdtype_names[0]) &&
	       str_out(o, fdtype_names[t]);
}

static bool g_stdin(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o, char *sc)
{
	return stdio_out(o, ev->proc.stdio[0]);
}

static bool g_stdout(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o, char *sc)
{
	return stdio_out(o, ev->proc.stdio[1]);
}

static bool g_stderr(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o, char *sc)
{
	return stdio_out(o, ev->proc.stdio[2]);
}

/* ---- fd.* ----------------------------------------------------------------------- */

static bool has_path(const struct bh_mon_event *ev)
{
	return (kind(ev) == BH_MON_KIND_OPEN || kind(ev) == BH_MON_KIND_NET ||
		ev->type == BH_MON_MOUNT || ev->type == BH_MON_UMOUNT2) &&
	       ev->file.path[0];
}

static int addr_str(char *out, size_t sz, uint16_t family, const uint8_t *a, uint16_t port)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, a, ip, sizeof(ip)))
		return -1;
	return snprintf(out, sz, family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, port);
}

static bool g_fd_name(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		      char *sc)
{
	if (is_ip(ev)) {
		const struct bh_mon_net *n = &ev->net;
		bool srv_remote = server_is_remote(ev);
		char c[64], s[64];

		if (ev->type == BH_MON_LISTEN)
			return scratch_out(
				o, sc, addr_str(sc, RULES_SCRATCH, n->family, n->laddr, n->lport));
		if (addr_str(c, sizeof(c), n->family, srv_remote ? n->laddr : n->raddr,
			     srv_remote ? n->lport : n->rport) < 0 ||
		    addr_str(s, sizeof(s), n->family, srv_remote ? n->raddr : n->laddr,
			     srv_remote ? n->rport : n->lport) < 0)
			return false;
		return scratch_out(o, sc, snprintf(sc, RULES_SCRATCH, "%s->%s", c, s));
	}
	return has_path(ev) && str_out(o, ev->file.path);
}

static bool g_fd_directory(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			   char *sc)
{
	const char *p = ev->file.path, *sl;

	if (!has_path(ev) || is_ip(ev))
		return false;
	sl = strrchr(p, '/');
	if (!sl)
		return false;
	if (sl == p)
		return str_out(o, "/");
	o->s = p;
	o->len = (size_t)(sl - p);
	return true;
}

static bool g_fd_filename(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			  char *sc)
{
	const char *p = ev->file.path, *sl;

	if (!has_path(ev) || is_ip(ev))
		return false;
	sl = strrchr(p, '/');
	return str_out(o, sl ? sl + 1 : p);
}

/*
 * Is the file below the process's own /proc/PID? The path is the one its
 * proc mount names: /proc/self, /proc/thread-self, or its ID in its own PID
 * namespace (a container's /proc/self/mem reads as /proc/<that ID>/mem), or
 * the host's ID.
 */
static bool g_fd_is_self_proc(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			      char *sc)
{
	const char *p = ev->file.path;
	uint64_t n = 0;
	size_t k = 0;

	if (!has_path(ev) || is_ip(ev))
		return false;
	if (strncmp(p, "/proc/", 6))
		return num_out(o, 0);
	p += 6;
	if (!strncmp(p, "self/", 5) || !strncmp(p, "thread-self/", 12))
		return num_out(o, 1);
	for (; k < 10 && p[k] >= '0' && p[k] <= '9'; k++)
		n = n * 10 + (uint64_t)(p[k] - '0');
	if (!k || p[k] != '/')
		return num_out(o, 0);
	return num_out(o, (ev->proc.vpid && n == ev->proc.vpid) || n == ev->proc.pid ||
				  n == ev->proc.tid);
}

static bool g_fd_num(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o, char *sc)
{
	return (kind(ev) == BH_MON_KIND_OPEN || kind(ev) == BH_MON_KIND_NET) && ev->file.fd >= 0 &&
	       num_out(o, ev->file.fd);
}

static const char *fd_type(const struct bh_mon_event *ev, bool ch)
{
	if (kind(ev) == BH_MON_KIND_NET) {
		switch (ev->net.family) {
		case AF_INET: return ch ? "4" : "ipv4";
		case AF_INET6: return ch ? "6" : "ipv6";
		case AF_UNIX: return ch ? "u" : "unix";
		default: return NULL;
		}
	}
	if (kind(ev) != BH_MON_KIND_OPEN)
		return NULL;
	switch (ev->file.type) {
	case BH_MON_FD_DIR: return ch ? "d" : "directory";
	case BH_MON_FD_PIPE: return ch ? "p" : "pipe";
	case BH_MON_FD_MEMFD: return ch ? "m" : "memfd";
	default: return ch ? "f" : "file";
	}
}

static bool g_fd_typechar(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			  char *sc)
{
	const char *t = fd_type(ev, true);

	return t && str_out(o, t);
}

static bool g_fd_type(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		      char *sc)
{
	const char *t = fd_type(ev, false);

	return t && str_out(o, t);
}

static bool g_fd_l4proto(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			 char *sc)
{
	if (!is_ip(ev))
		return false;
	switch (ev->net.proto) {
	case 6: return str_out(o, "tcp");
	case 17: return str_out(o, "udp");
	case 1:
	case 58: return str_out(o, "icmp");
	default: return str_out(o, "raw");
	}
}

static bool g_fd_sockfamily(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			    char *sc)
{
	if (kind(ev) != BH_MON_KIND_NET)
		return false;
	return ev->net.family == AF_UNIX ? str_out(o, "unix") : is_ip(ev) && str_out(o, "ip");
}

static bool ip_out(const struct bh_mon_event *ev, struct rules_fv *o, bool remote)
{
	if (!is_ip(ev))
		return false;
	o->family = ev->net.family;
	memcpy(o->ip, remote ? ev->net.raddr : ev->net.laddr, 16);
	return true;
}

/* Which end: s = server, c = client, l = local, r = remote. */
static bool end_remote(const struct bh_mon_event *ev, char which)
{
	switch (which) {
	case 's': return server_is_remote(ev);
	case 'c': return !server_is_remote(ev);
	case 'r': return true;
	default: return false;
	}
}

static bool ip_get(const struct bh_mon_event *ev, char which, struct rules_fv *o)
{
	/* a listening socket has no peer */
	if (ev->type == BH_MON_LISTEN && (which == 'r' || which == 'c'))
		return false;
	return ip_out(ev, o, end_remote(ev, which));
}

static bool port_get(const struct bh_mon_event *ev, char which, struct rules_fv *o)
{
	if (!is_ip(ev) || (ev->type == BH_MON_LISTEN && (which == 'r' || which == 'c')))
		return false;
	return num_out(o, end_remote(ev, which) ? ev->net.rport : ev->net.lport);
}

#define ENDGET(fn, which, call)                                                                    \
	static bool fn(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,       \
		       char *sc)                                                                   \
	{                                                                                          \
		return call(ev, which, o);                                                         \
	}
ENDGET(g_fd_sip, 's', ip_get)
ENDGET(g_fd_cip, 'c', ip_get)
ENDGET(g_fd_lip, 'l', ip_get)
ENDGET(g_fd_rip, 'r', ip_get)
ENDGET(g_fd_sport, 's', port_get)
ENDGET(g_fd_cport, 'c', port_get)
ENDGET(g_fd_lport, 'l', port_get)
ENDGET(g_fd_rport, 'r', port_get)

/* fd.net: both ends of the socket, in turn. */
static bool g_fd_net(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o, char *sc)
{
	if (i > 1 || (i == 1 && ev->type == BH_MON_LISTEN))
		return false;
	return ip_out(ev, o, i == 1);
}

static bool g_fd_port(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		      char *sc)
{
	if (!is_ip(ev) || i > 1 || (i == 1 && ev->type == BH_MON_LISTEN))
		return false;
	return num_out(o, i ? ev->net.rport : ev->net.lport);
}

/* ---- container.*, k8s.* --------------------------------------------------------- */

static bool g_container_id(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			   char *sc)
{
	if (!ev->container.id[0])
		return str_out(o, "host");
	o->s = ev->container.id;
	o->len = strnlen(ev->container.id, 12); /* Falco's short ID */
	return true;
}

static bool g_container_full_id(const struct bh_mon_event *ev, int arg, size_t i,
				struct rules_fv *o, char *sc)
{
	return str_out(o, ev->container.id[0] ? ev->container.id : "host");
}

static bool g_container_name(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			     char *sc)
{
	if (!ev->container.id[0])
		return str_out(o, "host");
	return nonempty(o, ev->container.name);
}

static bool in_container(const struct bh_mon_event *ev)
{
	return ev->container.id[0] != 0;
}

static bool g_image(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o, char *sc)
{
	return in_container(ev) && nonempty(o, ev->container.image);
}

/* Split an image reference: the repository ends before ":tag" (after the
 * last '/') or "@digest". */
static void image_split(const char *img, size_t *repo_len, const char **tag, size_t *tag_len)
{
	size_t n = strcspn(img, "@");
	const char *sl = memrchr(img, '/', n), *co = memrchr(img, ':', n);

	*tag = NULL;
	*tag_len = 0;
	*repo_len = n;
	if (co && (!sl || co > sl)) {
		*repo_len = (size_t)(co - img);
		*tag = co + 1;
		*tag_len = n - *repo_len - 1;
	}
}

static bool g_image_repo(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			 char *sc)
{
	const char *tag;
	size_t rl, tl;

	if (!in_container(ev) || !ev->container.image[0])
		return false;
	image_split(ev->container.image, &rl, &tag, &tl);
	o->s = ev->container.image;
	o->len = rl;
	return true;
}

static bool g_image_tag(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			char *sc)
{
	const char *tag;
	size_t rl, tl;

	if (!in_container(ev) || !ev->container.image[0])
		return false;
	image_split(ev->container.image, &rl, &tag, &tl);
	if (!tag)
		return false;
	o->s = tag;
	o->len = tl;
	return true;
}

static bool g_image_digest(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			   char *sc)
{
	return in_container(ev) && nonempty(o, ev->container.image_digest);
}

static bool g_runtime(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		      char *sc)
{
	return in_container(ev) && nonempty(o, ev->container.runtime);
}

static bool g_k8s_ns(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o, char *sc)
{
	return in_container(ev) && nonempty(o, ev->container.pod_namespace);
}

static bool g_k8s_pod(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		      char *sc)
{
	return in_container(ev) && nonempty(o, ev->container.pod);
}

/* ---- the table ------------------------------------------------------------------- */

#define S   RULES_T_STRING
#define N   RULES_T_NUMBER
#define B   RULES_T_BOOL
#define IP  RULES_T_IP
#define NET RULES_T_IPNET
#define P   RULES_T_PORT
#define A0  RULES_ARG_NONE
#define AO  RULES_ARG_OPT

static const struct rules_field fields[] = {
	{ "evt.type", S, A0, false, g_evt_type, "the system call: execve, openat, connect, ..." },
	{ "evt.dir", S, A0, false, g_evt_dir, "always < (events are read at the call's exit)" },
	{ "evt.time", N, A0, false, g_evt_time, "nanoseconds since the epoch" },
	{ "evt.res", S, A0, false, g_evt_res, "SUCCESS or the error's name (ENOENT)" },
	{ "evt.rawres", N, A0, false, g_evt_rawres, "the call's result: >= 0 or -errno" },
	{ "evt.failed", B, A0, false, g_evt_failed, "the call failed" },
	{ "evt.is_open_read", B, A0, false, g_open_read, "an open for reading" },
	{ "evt.is_open_write", B, A0, false, g_open_write,
	  "an open for writing (O_WRONLY, O_RDWR, O_CREAT or O_TRUNC)" },
	{ "evt.arg.flags", S, A0, false, rules_g_arg_flags,
	  "open: O_WRONLY|O_CREAT...; unshare, setns: CLONE_NEW*; mount: MS_*" },
	{ "evt.rawarg.flags", N, A0, false, rules_g_rawarg_flags, "the same flags as a number" },
	{ "evt.arg.name", S, A0, false, rules_g_arg_name,
	  "open: the path; memfd_create: the name; init_module: the module" },
	{ "evt.arg.uid", N, A0, false, rules_g_arg_uid,
	  "setuid, setreuid, setresuid: the uid asked" },
	{ "evt.arg.gid", N, A0, false, rules_g_arg_gid, "setgid, setresgid: the gid asked" },
	{ "evt.arg.request", S, A0, false, rules_g_arg_request, "ptrace: PTRACE_ATTACH, ..." },
	{ "evt.rawarg.request", N, A0, false, rules_g_rawarg_request,
	  "ptrace: the request number" },
	{ "evt.arg.pid", N, A0, false, rules_g_arg_pid,
	  "ptrace, process_vm_readv/writev, setns: the other process" },
	{ "evt.arg.call", S, A0, false, rules_g_arg_call,
	  "the system call: evt.type's own, or clone, clone3 (unshare); move_mount, fsmount, "
	  "open_tree, mount_setattr, fspick (mount); process_vm_readv, process_vm_writev "
	  "(ptrace)" },
	{ "evt.arg.cmd", S, A0, false, rules_g_arg_cmd, "bpf: BPF_PROG_LOAD, ..." },
	{ "evt.rawarg.cmd", N, A0, false, rules_g_rawarg_cmd, "bpf: the command number" },
	{ "evt.arg.dev", S, A0, false, rules_g_arg_dev, "mount: the source" },
	{ "evt.arg.dir", S, A0, false, rules_g_arg_dir, "mount, umount2: the target" },
	{ "evt.arg.type", S, A0, false, rules_g_arg_fstype, "mount: the file system type" },
	{ "evt.arg.attr_set", S, A0, false, rules_g_arg_attr_set,
	  "mount_setattr: the MOUNT_ATTR_* set (MOUNT_ATTR_RDONLY|MOUNT_ATTR_NOSUID...)" },
	{ "evt.arg.attr_clr", S, A0, false, rules_g_arg_attr_clr,
	  "mount_setattr: the MOUNT_ATTR_* cleared (MOUNT_ATTR_RDONLY: made writable)" },
	{ "evt.arg.cap_effective", S, A0, false, rules_g_cap_eff,
	  "capset: CAP_ names, space-separated" },
	{ "evt.arg.cap_permitted", S, A0, false, rules_g_cap_perm, "capset: CAP_ names" },
	{ "evt.arg.cap_inheritable", S, A0, false, rules_g_cap_inh, "capset: CAP_ names" },
	{ "evt.arg.unreadable", B, A0, false, g_arg_unreadable,
	  "its arguments were unreadable at exit: 32-bit socketcall(2) (fd, peer unknown), "
	  "clone3, mount_setattr" },
	{ "evt.arg.flags_unverified", B, A0, false, g_arg_flags_unverified,
	  "a failed clone/clone3, a mount_setattr: its flags or attributes are the caller's "
	  "memory at exit, not the kernel's" },
	{ "proc.name", S, A0, false, g_proc_name, "the process name (comm)" },
	{ "proc.exe", S, A0, false, g_proc_exe, "the executable's path" },
	{ "proc.exepath", S, A0, false, g_proc_exe, "the executable's path" },
	{ "proc.cmdline", S, A0, false, g_proc_cmdline, "name and arguments" },
	{ "proc.args", S, A0, false, g_proc_args, "the arguments, space-separated" },
	{ "proc.cwd", S, A0, false, g_proc_cwd, "the working directory" },
	{ "proc.pid", N, A0, false, g_proc_pid, "process ID" },
	{ "proc.tid", N, A0, false, g_proc_tid, "thread ID" },
	{ "thread.tid", N, A0, false, g_proc_tid, "thread ID" },
	{ "proc.ppid", N, A0, false, g_proc_ppid, "parent's process ID" },
	{ "proc.sid", N, A0, false, g_proc_sid, "session ID" },
	{ "proc.vpid", N, A0, false, g_proc_vpid,
	  "process ID in its own PID namespace (0: unknown)" },
	{ "proc.tty", N, A0, false, g_proc_tty, "controlling terminal (0: none)" },
	{ "proc.pname", S, A0, false, g_proc_pname, "the parent's name" },
	{ "proc.pexe", S, A0, false, g_proc_pexe, "the parent's executable" },
	{ "proc.pexepath", S, A0, false, g_proc_pexe, "the parent's executable" },
	{ "proc.pcmdline", S, A0, false, g_proc_pcmdline, "the parent's name and arguments" },
	{ "proc.aname", S, AO, true, g_proc_aname,
	  "[N]: the N-th ancestor's name (1: the parent); without [N]: any ancestor" },
	{ "proc.aexe", S, AO, true, g_proc_aexe, "[N]: the N-th ancestor's executable" },
	{ "proc.apid", N, AO, true, g_proc_apid, "[N]: the N-th ancestor's process ID" },
	{ "proc.is_exe_upper_layer", B, A0, false, g_proc_upper,
	  "the executable was written after the container started (not from the image)" },
	{ "proc.is_exe_from_memfd", B, A0, false, g_proc_memfd,
	  "the executable is an anonymous memory file (fileless)" },
	{ "proc.is_exe_writable", B, A0, false, g_proc_writable,
	  "the executable is writable by the process's user" },
	{ "proc.is_exe_from_host", B, A0, false, g_proc_from_host,
	  "the executable is the host's: exec'd from the host (its mount namespace at its root, "
	  "or an engine's, and its PID namespace) and on a mount of the host's mount namespace, or "
	  "a memfd or detached file a process running the host's executable exec'd (exec, mount, "
	  "umount2, unshare, setns events; false on others)" },
	{ "proc.is_compat", B, A0, false, g_proc_compat,
	  "the event's call was a 32-bit one (int $0x80, a 32-bit program)" },
	{ "proc.stdin.type", S, A0, false, g_stdin,
	  "what fd 0 is: file, directory, pipe, tty, ipv4, ipv6, unix, memfd, other, none" },
	{ "proc.stdout.type", S, A0, false, g_stdout, "what fd 1 is" },
	{ "proc.stderr.type", S, A0, false, g_stderr, "what fd 2 is" },
	{ "user.name", S, A0, false, g_user_name, "the user's name" },
	{ "user.uid", N, A0, false, g_user_uid, "effective uid" },
	{ "user.loginuid", N, A0, false, g_user_loginuid, "audit login uid (-1: unset)" },
	{ "group.gid", N, A0, false, g_group_gid, "effective gid" },
	{ "group.name", S, A0, false, g_group_name, "the group's name" },
	{ "fd.name", S, A0, false, g_fd_name,
	  "the file's path; a socket's client->server addresses" },
	{ "fd.directory", S, A0, false, g_fd_directory, "the file's directory" },
	{ "fd.filename", S, A0, false, g_fd_filename, "the file's name without its directory" },
	{ "fd.num", N, A0, false, g_fd_num, "the fd number" },
	{ "fd.is_self_proc", B, A0, false, g_fd_is_self_proc,
	  "the file is below the process's own /proc/PID (bulkhead's field)" },
	{ "fd.name_unverified", B, A0, false, g_fd_name_unverified,
	  "open: the fd was closed before the exit; fd.name is the caller's string (forgeable)" },
	{ "fd.type", S, A0, false, g_fd_type, "file, directory, ipv4, ipv6, unix, pipe, memfd" },
	{ "fd.typechar", S, A0, false, g_fd_typechar, "f, d, 4, 6, u, p, m" },
	{ "fd.l4proto", S, A0, false, g_fd_l4proto, "tcp, udp, icmp, raw" },
	{ "fd.sockfamily", S, A0, false, g_fd_sockfamily, "ip or unix" },
	{ "fd.sip", IP, A0, false, g_fd_sip, "the server's address" },
	{ "fd.cip", IP, A0, false, g_fd_cip, "the client's address" },
	{ "fd.lip", IP, A0, false, g_fd_lip, "the local address" },
	{ "fd.rip", IP, A0, false, g_fd_rip, "the remote address" },
	{ "fd.sport", P, A0, false, g_fd_sport, "the server's port" },
	{ "fd.cport", P, A0, false, g_fd_cport, "the client's port" },
	{ "fd.lport", P, A0, false, g_fd_lport, "the local port" },
	{ "fd.rport", P, A0, false, g_fd_rport, "the remote port" },
	{ "fd.port", P, A0, true, g_fd_port, "either port" },
	{ "fd.net", NET, A0, true, g_fd_net, "either address, compared with networks (CIDR)" },
	{ "fd.snet", NET, A0, false, g_fd_sip, "the server's address, compared with networks" },
	{ "fd.cnet", NET, A0, false, g_fd_cip, "the client's address, compared with networks" },
	{ "fd.lnet", NET, A0, false, g_fd_lip, "the local address, compared with networks" },
	{ "fd.rnet", NET, A0, false, g_fd_rip, "the remote address, compared with networks" },
	{ "container.id", S, A0, false, g_container_id, "the short (12) ID, or host" },
	{ "container.full_id", S, A0, false, g_container_full_id, "the full ID, or host" },
	{ "container.name", S, A0, false, g_container_name, "the name, or host" },
	{ "container.image", S, A0, false, g_image, "the image as the engine names it" },
	{ "container.image.repository", S, A0, false, g_image_repo, "the image without tag" },
	{ "container.image.tag", S, A0, false, g_image_tag, "the image's tag" },
	{ "container.image.digest", S, A0, false, g_image_digest, "the image's digest" },
	{ "container.type", S, A0, false, g_runtime, "the runtime that started it" },
	{ "k8s.ns.name", S, A0, false, g_k8s_ns, "the pod's namespace" },
	{ "k8s.pod.name", S, A0, false, g_k8s_pod, "the pod's name" },
};

const struct rules_field *rules_fields(size_t *n)
{
	*n = sizeof(fields) / sizeof(fields[0]);
	return fields;
}

const struct rules_field *rules_field_find(const char *name)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(fields[i].name, name))
			return &fields[i];
	return NULL;
}

const char *rules_ftype_name(enum rules_ftype t)
{
	switch (t) {
	case RULES_T_STRING: return "string";
	case RULES_T_NUMBER: return "number";
	case RULES_T_BOOL: return "bool";
	case RULES_T_IP: return "ip";
	case RULES_T_IPNET: return "ipnet";
	case RULES_T_PORT: return "port";
	}
	return "?";
}

json_t *bh_rules_fields_json(void)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct rules_field *f = &fields[i];
		char *name = f->arg == RULES_ARG_NONE ? bh_strdup(f->name)
						      : bh_asprintf("%s[N]", f->name);

		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "name", name, "type",
						   rules_ftype_name(f->type), "desc", f->desc));
		free(name);
	}
	return a;
}
