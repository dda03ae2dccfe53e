/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Monitor events as JSON, both ways: the one shape of every output (JSON
 * lines, the webhook, the database), of replays and of `bulkhead rules test
 * --event` (docs/man/bulkhead-rules.1, bulkhead-monitor.1). to_json writes
 * every member that is not empty; from_json reads the members by name, each
 * checked for its type and against its bound; unknown members are refused
 * rather than ignored, so a misspelt member cannot make a test pass.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "bulkhead/monitor.h"
#include "monitor/users.h"
#include "banned.h"

struct ectx {
	struct bh_error **err;
};

static int bad(struct ectx *c, const char *path, const char *msg)
{
	return bh_error_set(c->err, BH_ERR_INVALID, "%s: %s", path, msg);
}

static int get_str(struct ectx *c, const json_t *v, const char *path, char *dst, size_t size)
{
	const char *s = json_string_value(v);
	size_t n;

	if (!s)
		return bad(c, path, "expected a string");
	n = json_string_length(v);
	if (n >= size || strlen(s) != n)
		return bh_error_set(c->err, BH_ERR_LIMIT,
				    "%s: longer than %zu bytes (or holds a NUL)", path, size - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

static int get_int(struct ectx *c, const json_t *v, const char *path, int64_t min, int64_t max,
		   int64_t *out)
{
	json_int_t n;

	*out = 0;
	if (!json_is_integer(v))
		return bad(c, path, "expected an integer");
	n = json_integer_value(v);
	if (n < min || n > max)
		return bh_error_set(c->err, BH_ERR_INVALID, "%s: %lld is out of range", path,
				    (long long)n);
	*out = n;
	return 0;
}

static int get_u32(struct ectx *c, const json_t *v, const char *path, uint32_t *out)
{
	int64_t n;

	if (get_int(c, v, path, -1, UINT32_MAX, &n) < 0)
		return -1;
	*out = (uint32_t)n; /* -1: unset (loginuid) */
	return 0;
}

static int get_bool(struct ectx *c, const json_t *v, const char *path, bool *out)
{
	if (!json_is_boolean(v))
		return bad(c, path, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

/* A NUL-separated argument vector from a JSON array of strings. */
static int get_args(struct ectx *c, const json_t *v, const char *path, char *dst, size_t size,
		    uint16_t *len, uint16_t *argc)
{
	size_t i, o = 0;
	const json_t *e;

	if (!json_is_array(v))
		return bad(c, path, "expected a list of strings");
	if (json_array_size(v) > BH_MON_ARGC_MAX)
		return bh_error_set(c->err, BH_ERR_LIMIT, "%s: more than %d arguments", path,
				    BH_MON_ARGC_MAX);
	json_array_foreach (v, i, e) {
		const char *s = json_string_value(e);
		size_t n;

		if (!s || strlen(s) != json_string_length(e))
			return bad(c, path, "expected a list of strings (without NUL)");
		n = strlen(s);
		if (o + n + 1 > size)
			return bh_error_set(c->err, BH_ERR_LIMIT, "%s: longer than %zu bytes", path,
					    size);
		memcpy(dst + o, s, n + 1);
		o += n + 1;
	}
	*len = (uint16_t)o;
	*argc = (uint16_t)json_array_size(v);
	return 0;
}

static const char *const fdtypes[] = { "none", "file", "directory", "pipe",  "tty",
				       "ipv4", "ipv6", "unix",	    "memfd", "other" };

static int get_fdtype(struct ectx *c, const json_t *v, const char *path, enum bh_mon_fdtype *out)
{
	const char *s = json_string_value(v);

	for (size_t i = 0; s && i < sizeof(fdtypes) / sizeof(fdtypes[0]); i++)
		if (!strcmp(s, fdtypes[i])) {
			*out = (enum bh_mon_fdtype)i;
			return 0;
		}
	return bad(c, path,
		   "expected none, file, directory, pipe, tty, ipv4, ipv6, unix, memfd or other");
}

static const struct {
	const char *name;
	uint64_t bit;
} flag_names[] = {
	{ "O_RDONLY", O_RDONLY },
	{ "O_WRONLY", O_WRONLY },
	{ "O_RDWR", O_RDWR },
	{ "O_CREAT", O_CREAT },
	{ "O_EXCL", O_EXCL },
	{ "O_TRUNC", O_TRUNC },
	{ "O_APPEND", O_APPEND },
	{ "O_NONBLOCK", O_NONBLOCK },
	{ "O_DIRECTORY", O_DIRECTORY },
	{ "O_NOFOLLOW", O_NOFOLLOW },
	{ "O_CLOEXEC", O_CLOEXEC },
	{ "O_PATH", O_PATH },
	{ "O_TMPFILE", __O_TMPFILE },
	{ "CLONE_NEWNS", CLONE_NEWNS },
	{ "CLONE_NEWUSER", CLONE_NEWUSER },
	{ "CLONE_NEWPID", CLONE_NEWPID },
	{ "CLONE_NEWNET", CLONE_NEWNET },
	{ "CLONE_NEWUTS", CLONE_NEWUTS },
	{ "CLONE_NEWIPC", CLONE_NEWIPC },
	{ "CLONE_NEWCGROUP", CLONE_NEWCGROUP },
};

/* An integer, or names joined with "|" ("O_WRONLY|O_CREAT"). */
static int get_flags(struct ectx *c, const json_t *v, const char *path, uint64_t *out)
{
	const char *s = json_string_value(v);

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return bad(c, path, "negative flags");
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (!s)
		return bad(c, path, "expected an integer or flag names joined with |");
	*out = 0;
	while (*s) {
		size_t n = strcspn(s, "|");
		bool found = false;

		for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
			if (strlen(flag_names[i].name) == n && !memcmp(flag_names[i].name, s, n)) {
				*out |= flag_names[i].bit;
				found = true;
			}
		if (!found)
			return bh_error_set(c->err, BH_ERR_INVALID, "%s: unknown flag '%.*s'", path,
					    (int)(n > 64 ? 64 : n), s);
		s += n;
		if (*s == '|')
			s++;
	}
	return 0;
}

/* "1.2.3.4:80", "[::1]:443" */
static int get_addr(struct ectx *c, const json_t *v, const char *path, uint16_t *family,
		    uint8_t *addr, uint16_t *port)
{
	const char *s = json_string_value(v), *colon;
	char host[64];
	size_t hl;
	char *end;
	unsigned long p;
	bool v6;

	if (!s)
		return bad(c, path, "expected \"ADDRESS:PORT\"");
	v6 = s[0] == '[';
	colon = v6 ? strstr(s, "]:") : strrchr(s, ':');
	if (!colon)
		return bad(c, path, "expected \"ADDRESS:PORT\" ([v6]:PORT)");
	hl = (size_t)(colon - s) - (v6 ? 1 : 0);
	if (hl >= sizeof(host))
		return bad(c, path, "address too long");
	memcpy(host, s + (v6 ? 1 : 0), hl);
	host[hl] = 0;
	colon += v6 ? 2 : 1;
	p = strtoul(colon, &end, 10);
	if (!bh_isdigit(*colon) || *end || p > 65535)
		return bad(c, path, "bad port");
	memset(addr, 0, 16);
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, addr) != 1)
		return bad(c, path, "bad address");
	if (*family && *family != (v6 ? AF_INET6 : AF_INET))
		return bad(c, path, "address family differs from the other end's");
	*family = v6 ? AF_INET6 : AF_INET;
	*port = (uint16_t)p;
	return 0;
}

#define FOREACH_MEMBER(obj, path)                                                                  \
	if (!json_is_object(obj))                                                                  \
		return bad(c, path, "expected an object");                                         \
	json_object_foreach ((json_t *)(obj), k, v)

static int read_proc(struct ectx *c, const json_t *o, struct bh_mon_proc *p)
{
	const char *k;
	json_t *v;
	int64_t n;

	FOREACH_MEMBER(o, "proc")
	{
		int r;
		char path[96];

		snprintf(path, sizeof(path), "proc.%s", k);
		if (!strcmp(k, "pid"))
			r = get_u32(c, v, path, &p->pid);
		else if (!strcmp(k, "tid"))
			r = get_u32(c, v, path, &p->tid);
		else if (!strcmp(k, "ppid"))
			r = get_u32(c, v, path, &p->ppid);
		else if (!strcmp(k, "sid"))
			r = get_u32(c, v, path, &p->sid);
		else if (!strcmp(k, "vpid"))
			r = get_u32(c, v, path, &p->vpid);
		else if (!strcmp(k, "uid"))
			r = get_u32(c, v, path, &p->uid);
		else if (!strcmp(k, "gid"))
			r = get_u32(c, v, path, &p->gid);
		else if (!strcmp(k, "loginuid"))
			r = get_u32(c, v, path, &p->loginuid);
		else if (!strcmp(k, "tty"))
			r = get_u32(c, v, path, &p->tty);
		else if (!strcmp(k, "user"))
			r = get_str(c, v, path, p->user, sizeof(p->user));
		else if (!strcmp(k, "group"))
			r = get_str(c, v, path, p->group, sizeof(p->group));
		else if (!strcmp(k, "name"))
			r = get_str(c, v, path, p->comm, sizeof(p->comm));
		else if (!strcmp(k, "exe"))
			r = get_str(c, v, path, p->exe, sizeof(p->exe));
		else if (!strcmp(k, "cwd"))
			r = get_str(c, v, path, p->cwd, sizeof(p->cwd));
		else if (!strcmp(k, "args"))
			r = get_args(c, v, path, p->args, sizeof(p->args), &p->args_len, &p->argc);
		else if (!strcmp(k, "args_truncated"))
			r = get_bool(c, v, path, &p->args_truncated);
		else if (!strcmp(k, "exe_upper_layer"))
			r = get_bool(c, v, path, &p->exe_upper_layer);
		else if (!strcmp(k, "exe_from_memfd"))
			r = get_bool(c, v, path, &p->exe_from_memfd);
		else if (!strcmp(k, "compat"))
			r = get_bool(c, v, path, &p->compat);
		else if (!strcmp(k, "exe_from_host"))
			r = get_bool(c, v, path, &p->exe_from_host);
		else if (!strcmp(k, "exe_writable"))
			r = get_bool(c, v, path, &p->exe_writable);
		else if (!strcmp(k, "stdin"))
			r = get_fdtype(c, v, path, &p->stdio[0]);
		else if (!strcmp(k, "stdout"))
			r = get_fdtype(c, v, path, &p->stdio[1]);
		else if (!strcmp(k, "stderr"))
			r = get_fdtype(c, v, path, &p->stdio[2]);
		else if (!strcmp(k, "pargs"))
			r = get_args(c, v, path, p->pargs, sizeof(p->pargs), &p->pargs_len,
				     &p->pargc);
		else if (!strcmp(k, "parents")) {
			size_t i;
			json_t *a;

			if (!json_is_array(v))
				return bad(c, path, "expected a list");
			if (json_array_size(v) > BH_MON_ANCESTORS_MAX)
				return bh_error_set(c->err, BH_ERR_LIMIT,
						    "proc.parents: more than %d",
						    BH_MON_ANCESTORS_MAX);
			r = 0;
			json_array_foreach (v, i, a) {
				struct bh_mon_ancestor *an = &p->ancestors[i];
				const char *k2;
				json_t *v2;

				if (!json_is_object(a))
					return bad(c, path, "expected objects");
				json_object_foreach (a, k2, v2) {
					snprintf(path, sizeof(path), "proc.parents[%zu].%s", i, k2);
					if (!strcmp(k2, "pid"))
						r = get_u32(c, v2, path, &an->pid);
					else if (!strcmp(k2, "name"))
						r = get_str(c, v2, path, an->comm,
							    sizeof(an->comm));
					else if (!strcmp(k2, "exe"))
						r = get_str(c, v2, path, an->exe, sizeof(an->exe));
					else
						r = bad(c, path, "unknown member");
					if (r < 0)
						return -1;
				}
			}
			p->nancestors = (uint8_t)json_array_size(v);
		} else
			r = bad(c, path, "unknown member");
		if (r < 0)
			return -1;
	}
	(void)n;
	return 0;
}

static int read_container(struct ectx *c, const json_t *o, struct bh_mon_container *ct)
{
	const char *k;
	json_t *v;

	FOREACH_MEMBER(o, "container")
	{
		char path[64];
		int r;

		snprintf(path, sizeof(path), "container.%s", k);
		if (!strcmp(k, "id"))
			r = get_str(c, v, path, ct->id, sizeof(ct->id));
		else if (!strcmp(k, "name"))
			r = get_str(c, v, path, ct->name, sizeof(ct->name));
		else if (!strcmp(k, "image"))
			r = get_str(c, v, path, ct->image, sizeof(ct->image));
		else if (!strcmp(k, "image_digest"))
			r = get_str(c, v, path, ct->image_digest, sizeof(ct->image_digest));
		else if (!strcmp(k, "pod"))
			r = get_str(c, v, path, ct->pod, sizeof(ct->pod));
		else if (!strcmp(k, "namespace"))
			r = get_str(c, v, path, ct->pod_namespace, sizeof(ct->pod_namespace));
		else if (!strcmp(k, "runtime"))
			r = get_str(c, v, path, ct->runtime, sizeof(ct->runtime));
		else if (!strcmp(k, "provisional"))
			r = get_bool(c, v, path, &ct->provisional);
		else
			r = bad(c, path, "unknown member");
		if (r < 0)
			return -1;
	}
	return 0;
}

static int read_file_net_args(struct ectx *c, const char *which, const json_t *o,
			      struct bh_mon_event *ev)
{
	const char *k;
	json_t *v;

	FOREACH_MEMBER(o, which)
	{
		char path[64];
		int64_t n;
		uint64_t f;
		int r = 0;

		snprintf(path, sizeof(path), "%s.%s", which, k);
		if (!strcmp(which, "file")) {
			if (!strcmp(k, "path"))
				r = get_str(c, v, path, ev->file.path, sizeof(ev->file.path));
			else if (!strcmp(k, "flags")) {
				r = get_flags(c, v, path, &f);
				if (!r && f > UINT32_MAX)
					r = bad(c, path, "out of range");
				ev->file.flags = (uint32_t)f;
			} else if (!strcmp(k, "mode"))
				r = get_u32(c, v, path, &ev->file.mode);
			else if (!strcmp(k, "fd")) {
				r = get_int(c, v, path, INT32_MIN, INT32_MAX, &n);
				ev->file.fd = (int32_t)n;
			} else if (!strcmp(k, "type"))
				r = get_fdtype(c, v, path, &ev->file.type);
			else if (!strcmp(k, "name_unverified"))
				r = get_bool(c, v, path, &ev->file.name_unverified);
			else
				r = bad(c, path, "unknown member");
		} else if (!strcmp(which, "net")) {
			const char *s = json_string_value(v);

			if (!strcmp(k, "family")) {
				uint16_t fam = !s		    ? 0
					       : !strcmp(s, "unix") ? AF_UNIX
					       : !strcmp(s, "ipv4") ? AF_INET
					       : !strcmp(s, "ipv6") ? AF_INET6
								    : 0;

				if (!fam)
					r = bad(c, path, "expected ipv4, ipv6 or unix");
				else if (ev->net.family && ev->net.family != fam)
					r = bad(c, path, "differs from the addresses' family");
				else
					ev->net.family = fam;
			} else if (!strcmp(k, "proto")) {
				if (s && !strcmp(s, "tcp"))
					ev->net.proto = IPPROTO_TCP;
				else if (s && !strcmp(s, "udp"))
					ev->net.proto = IPPROTO_UDP;
				else if (json_is_integer(v)) {
					r = get_int(c, v, path, 0, 255, &n);
					ev->net.proto = (uint8_t)n;
				} else
					r = bad(c, path, "expected tcp, udp or a protocol number");
			} else if (!strcmp(k, "local"))
				r = get_addr(c, v, path, &ev->net.family, ev->net.laddr,
					     &ev->net.lport);
			else if (!strcmp(k, "remote"))
				r = get_addr(c, v, path, &ev->net.family, ev->net.raddr,
					     &ev->net.rport);
			else
				r = bad(c, path, "unknown member");
		} else {
			struct bh_mon_args *a = &ev->args;

			if (!strcmp(k, "uid"))
				r = get_u32(c, v, path, &a->uid);
			else if (!strcmp(k, "gid"))
				r = get_u32(c, v, path, &a->gid);
			else if (!strcmp(k, "cap_effective") || !strcmp(k, "cap_permitted") ||
				 !strcmp(k, "cap_inheritable")) {
				r = get_int(c, v, path, 0, INT64_MAX, &n);
				*(k[4] == 'e'	? &a->cap_effective
				  : k[4] == 'p' ? &a->cap_permitted
						: &a->cap_inheritable) = (uint64_t)n;
			} else if (!strcmp(k, "attr_set") || !strcmp(k, "attr_clr")) {
				r = get_int(c, v, path, 0, INT64_MAX, &n);
				*(k[5] == 's' ? &a->attr_set : &a->attr_clr) = (uint64_t)n;
			} else if (!strcmp(k, "flags"))
				r = get_flags(c, v, path, &a->flags);
			else if (!strcmp(k, "request"))
				r = get_int(c, v, path, INT64_MIN, INT64_MAX, &a->request);
			else if (!strcmp(k, "target_pid")) {
				r = get_int(c, v, path, INT32_MIN, INT32_MAX, &n);
				a->target_pid = (int32_t)n;
			} else if (!strcmp(k, "bpf_cmd"))
				r = get_u32(c, v, path, &a->bpf_cmd);
			else if (!strcmp(k, "source"))
				r = get_str(c, v, path, a->source, sizeof(a->source));
			else if (!strcmp(k, "fstype"))
				r = get_str(c, v, path, a->fstype, sizeof(a->fstype));
			else if (!strcmp(k, "module"))
				r = get_str(c, v, path, a->module, sizeof(a->module));
			else if (!strcmp(k, "call"))
				r = get_str(c, v, path, a->call, sizeof(a->call));
			else if (!strcmp(k, "unreadable"))
				r = get_bool(c, v, path, &a->unreadable);
			else if (!strcmp(k, "flags_unverified"))
				r = get_bool(c, v, path, &a->flags_unverified);
			else
				r = bad(c, path, "unknown member");
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

static const char *const kind_names[] = { "none", "exec", "exit", "open", "net", "priv" };

int bh_mon_event_from_json(const json_t *j, struct bh_mon_event *ev, struct bh_error **err)
{
	struct ectx cx = { err }, *c = &cx;
	const char *kind = NULL;
	const char *k;
	json_t *v;
	int64_t n;

	memset(ev, 0, sizeof(*ev));
	ev->proc.loginuid = UINT32_MAX;
	ev->file.fd = -1;
	FOREACH_MEMBER(j, "event")
	{
		int r = 0;

		if (!strcmp(k, "type")) {
			const char *s = json_string_value(v);

			ev->type = s ? bh_mon_type_parse(s) : BH_MON_NONE;
			if (ev->type == BH_MON_NONE)
				r = bad(c, "type", "unknown event type");
		} else if (!strcmp(k, "kind")) {
			kind = json_string_value(v);
			if (!kind)
				r = bad(c, "kind", "expected a string");
		} else if (!strcmp(k, "time")) {
			r = get_int(c, v, "time", 0, INT64_MAX, &n);
			ev->ts_ns = (uint64_t)n;
		} else if (!strcmp(k, "res"))
			r = get_int(c, v, "res", -4095, INT64_MAX, &ev->res);
		else if (!strcmp(k, "proc"))
			r = read_proc(c, v, &ev->proc);
		else if (!strcmp(k, "container"))
			r = read_container(c, v, &ev->container);
		else if (!strcmp(k, "file") || !strcmp(k, "net") || !strcmp(k, "args"))
			r = read_file_net_args(c, k, v, ev);
		else
			r = bad(c, k, "unknown member");
		if (r < 0)
			return -1;
	}
	if (ev->type == BH_MON_NONE)
		return bad(c, "type", "missing");
	if (kind && strcmp(kind, kind_names[bh_mon_type_kind(ev->type)]))
		return bad(c, "kind", "does not match the type");
	return 0;
}

/* ---- to JSON ------------------------------------------------------------------ */

/* Set key to a new value; a NULL value (jansson out of memory) fails. */
static int put(json_t *o, const char *key, json_t *v)
{
	if (!v || json_object_set_new(o, key, v) < 0)
		return -1;
	return 0;
}

/*
 * A JSON string of n bytes; the kernel hands out paths and arguments in any
 * encoding, JSON takes UTF-8 only: a string that is not valid UTF-8 has its
 * bytes above 0x7f written as '?' (and so does not read back the same).
 */
static json_t *jstr(const char *s, size_t n)
{
	json_t *v = json_stringn(s, n);
	char *t;

	if (v)
		return v;
	t = bh_strndup(s, n);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] >= 0x80)
			t[i] = '?';
	v = json_stringn(t, n);
	free(t);
	return v;
}

static int put_str(json_t *o, const char *key, const char *s)
{
	return *s ? put(o, key, jstr(s, strlen(s))) : 0;
}

static int put_uint(json_t *o, const char *key, uint64_t n)
{
	return n ? put(o, key, json_integer((json_int_t)n)) : 0;
}

static int put_bool(json_t *o, const char *key, bool b)
{
	return b ? put(o, key, json_true()) : 0;
}

static int put_args(json_t *o, const char *key, const char *buf, size_t len, size_t argc)
{
	json_t *a;
	size_t off = 0;

	if (!argc)
		return 0;
	a = json_array();
	if (!a)
		return -1;
	for (size_t i = 0; i < argc && off < len; i++) {
		size_t n = strnlen(buf + off, len - off);

		if (json_array_append_new(a, jstr(buf + off, n)) < 0) {
			json_decref(a);
			return -1;
		}
		off += n + 1;
	}
	return put(o, key, a);
}

/* An object member, left out when empty. */
static int put_obj(json_t *o, const char *key, json_t *v)
{
	if (!v)
		return -1;
	if (!json_object_size(v)) {
		json_decref(v);
		return 0;
	}
	return put(o, key, v);
}

/* user and group: the names the event lacked (bh_users_names), else "" */
static json_t *proc_json(const struct bh_mon_proc *p, const char *user, const char *group)
{
	json_t *o = json_object(), *par;
	int r = 0;

	if (!o)
		return NULL;
	r |= put_uint(o, "pid", p->pid);
	r |= put_uint(o, "tid", p->tid);
	r |= put_uint(o, "ppid", p->ppid);
	r |= put_uint(o, "sid", p->sid);
	if (p->vpid)
		r |= put_uint(o, "vpid", p->vpid);
	r |= put_uint(o, "uid", p->uid);
	r |= put_uint(o, "gid", p->gid);
	if (p->loginuid != UINT32_MAX)
		r |= put(o, "loginuid", json_integer(p->loginuid));
	r |= put_uint(o, "tty", p->tty);
	r |= put_str(o, "user", p->user[0] ? p->user : user);
	r |= put_str(o, "group", p->group[0] ? p->group : group);
	r |= put_str(o, "name", p->comm);
	r |= put_str(o, "exe", p->exe);
	r |= put_str(o, "cwd", p->cwd);
	r |= put_args(o, "args", p->args, p->args_len, p->argc);
	r |= put_bool(o, "args_truncated", p->args_truncated);
	r |= put_bool(o, "exe_upper_layer", p->exe_upper_layer);
	r |= put_bool(o, "exe_from_memfd", p->exe_from_memfd);
	r |= put_bool(o, "exe_writable", p->exe_writable);
	r |= put_bool(o, "compat", p->compat);
	r |= put_bool(o, "exe_from_host", p->exe_from_host);
	for (int i = 0; i < 3; i++)
		if (p->stdio[i] && (unsigned)p->stdio[i] < sizeof(fdtypes) / sizeof(fdtypes[0]))
			r |= put(o,
				 i == 0	  ? "stdin"
				 : i == 1 ? "stdout"
					  : "stderr",
				 json_string(fdtypes[p->stdio[i]]));
	if (p->nancestors) {
		par = json_array();
		r |= put(o, "parents", par);
		for (size_t i = 0; par && i < p->nancestors && i < BH_MON_ANCESTORS_MAX; i++) {
			const struct bh_mon_ancestor *an = &p->ancestors[i];
			json_t *a = json_object();

			if (!a || json_array_append_new(par, a) < 0) {
				r = -1;
				break;
			}
			r |= put_uint(a, "pid", an->pid);
			r |= put_str(a, "name", an->comm);
			r |= put_str(a, "exe", an->exe);
		}
	}
	r |= put_args(o, "pargs", p->pargs, p->pargs_len, p->pargc);
	if (r) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *container_json(const struct bh_mon_container *ct)
{
	json_t *o = json_object();
	int r = 0;

	if (!o)
		return NULL;
	r |= put_str(o, "id", ct->id);
	r |= put_str(o, "name", ct->name);
	r |= put_str(o, "image", ct->image);
	r |= put_str(o, "image_digest", ct->image_digest);
	r |= put_str(o, "pod", ct->pod);
	r |= put_str(o, "namespace", ct->pod_namespace);
	r |= put_str(o, "runtime", ct->runtime);
	r |= put_bool(o, "provisional", ct->provisional);
	if (r) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *file_json(const struct bh_mon_file *f)
{
	json_t *o = json_object();
	int r = 0;

	if (!o)
		return NULL;
	r |= put_str(o, "path", f->path);
	r |= put_uint(o, "flags", f->flags);
	r |= put_uint(o, "mode", f->mode);
	if (f->fd != -1)
		r |= put(o, "fd", json_integer(f->fd));
	if (f->type && (unsigned)f->type < sizeof(fdtypes) / sizeof(fdtypes[0]))
		r |= put(o, "type", json_string(fdtypes[f->type]));
	r |= put_bool(o, "name_unverified", f->name_unverified);
	if (r) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static bool zero16(const uint8_t *a)
{
	for (int i = 0; i < 16; i++)
		if (a[i])
			return false;
	return true;
}

/* "ADDRESS:PORT" or "[ADDRESS]:PORT" (what get_addr reads). */
static json_t *addr_json(uint16_t family, const uint8_t *addr, uint16_t port)
{
	char host[INET6_ADDRSTRLEN], out[INET6_ADDRSTRLEN + 10];

	if (!inet_ntop(family, addr, host, sizeof(host)))
		return NULL;
	snprintf(out, sizeof(out), family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
	return json_string(out);
}

static json_t *net_json(const struct bh_mon_net *n)
{
	json_t *o = json_object();
	bool inet = n->family == AF_INET || n->family == AF_INET6;
	int r = 0;

	if (!o)
		return NULL;
	if (n->family == AF_INET || n->family == AF_INET6 || n->family == AF_UNIX)
		r |= put(o, "family",
			 json_string(n->family == AF_INET    ? "ipv4"
				     : n->family == AF_INET6 ? "ipv6"
							     : "unix"));
	if (n->proto == IPPROTO_TCP || n->proto == IPPROTO_UDP)
		r |= put(o, "proto", json_string(n->proto == IPPROTO_TCP ? "tcp" : "udp"));
	else
		r |= put_uint(o, "proto", n->proto);
	if (inet && (!zero16(n->laddr) || n->lport))
		r |= put(o, "local", addr_json(n->family, n->laddr, n->lport));
	if (inet && (!zero16(n->raddr) || n->rport))
		r |= put(o, "remote", addr_json(n->family, n->raddr, n->rport));
	if (r) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *args_json(const struct bh_mon_args *a)
{
	json_t *o = json_object();
	int r = 0;

	if (!o)
		return NULL;
	r |= put_uint(o, "uid", a->uid);
	r |= put_uint(o, "gid", a->gid);
	r |= put_uint(o, "cap_effective", a->cap_effective);
	r |= put_uint(o, "cap_permitted", a->cap_permitted);
	r |= put_uint(o, "cap_inheritable", a->cap_inheritable);
	r |= put_uint(o, "flags", a->flags);
	r |= put_uint(o, "attr_set", a->attr_set);
	r |= put_uint(o, "attr_clr", a->attr_clr);
	if (a->request)
		r |= put(o, "request", json_integer(a->request));
	if (a->target_pid)
		r |= put(o, "target_pid", json_integer(a->target_pid));
	r |= put_uint(o, "bpf_cmd", a->bpf_cmd);
	r |= put_str(o, "source", a->source);
	r |= put_str(o, "fstype", a->fstype);
	r |= put_str(o, "module", a->module);
	if (a->call[0])
		r |= put_str(o, "call", a->call);
	r |= put_bool(o, "unreadable", a->unreadable);
	if (a->flags_unverified)
		r |= put_bool(o, "flags_unverified", true);
	if (r) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int bh_mon_event_to_json(const struct bh_mon_event *ev, json_t **out, struct bh_error **err)
{
	const char *type = bh_mon_type_name(ev->type);
	char user[BH_MON_USER_MAX], group[BH_MON_USER_MAX];
	json_t *o;
	int r = 0;

	*out = NULL;
	if (!type || ev->type == BH_MON_NONE)
		return bh_error_set(err, BH_ERR_INVALID, "event of unknown type %d", (int)ev->type);
	/* values only from_json accepts back */
	if ((uint64_t)ev->ts_ns > INT64_MAX || ev->res < -4095 ||
	    ev->proc.args_len > sizeof(ev->proc.args) ||
	    ev->proc.pargs_len > sizeof(ev->proc.pargs) || ev->proc.argc > BH_MON_ARGC_MAX ||
	    ev->proc.pargc > BH_MON_ARGC_MAX || ev->proc.nancestors > BH_MON_ANCESTORS_MAX ||
	    ev->args.cap_effective > INT64_MAX || ev->args.cap_permitted > INT64_MAX ||
	    ev->args.cap_inheritable > INT64_MAX)
		return bh_error_set(err, BH_ERR_INVALID, "%s event: a value out of range", type);
	o = json_object();
	if (!o)
		return bh_error_set(err, BH_ERR_NOMEM, "out of memory");
	r |= put_uint(o, "time", ev->ts_ns);
	r |= put(o, "type", json_string(type));
	r |= put(o, "kind", json_string(kind_names[bh_mon_type_kind(ev->type)]));
	if (ev->res)
		r |= put(o, "res", json_integer(ev->res));
	bh_users_names(ev, user, group); /* live events only; a cache hit: no system call */
	r |= put_obj(o, "proc", proc_json(&ev->proc, user, group));
	r |= put_obj(o, "container", container_json(&ev->container));
	r |= put_obj(o, "file", file_json(&ev->file));
	r |= put_obj(o, "net", net_json(&ev->net));
	r |= put_obj(o, "args", args_json(&ev->args));
	if (r) {
		json_decref(o);
		return bh_error_set(err, BH_ERR_NOMEM, "out of memory");
	}
	*out = o;
	return 0;
}
