/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One monitor event from JSON, for `bulkhead rules test --event` and the
 * tests: the members of struct bh_mon_event by name (docs/man/
 * bulkhead-rules.1), each checked for its type and against its bound;
 * unknown members are refused rather than ignored, so a misspelt member
 * cannot make a test pass.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"
#include "banned.h"

struct ectx {
	const char *what;
	struct bh_error **err;
};

static int bad(struct ectx *c, const char *path, const char *msg)
{
	return bh_error_set(c->err, BH_ERR_INVALID, "%s: %s: %s", c->what, path, msg);
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
				    "%s: %s: longer than %zu bytes (or holds a NUL)", c->what, path,
				    size - 1);
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
		return bh_error_set(c->err, BH_ERR_INVALID, "%s: %s: %lld is out of range", c->what,
				    path, (long long)n);
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
		return bh_error_set(c->err, BH_ERR_LIMIT, "%s: %s: more than %d arguments", c->what,
				    path, BH_MON_ARGC_MAX);
	json_array_foreach (v, i, e) {
		const char *s = json_string_value(e);
		size_t n;

		if (!s || strlen(s) != json_string_length(e))
			return bad(c, path, "expected a list of strings (without NUL)");
		n = strlen(s);
		if (o + n + 1 > size)
			return bh_error_set(c->err, BH_ERR_LIMIT, "%s: %s: longer than %zu bytes",
					    c->what, path, size);
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
			return bh_error_set(c->err, BH_ERR_INVALID, "%s: %s: unknown flag '%.*s'",
					    c->what, path, (int)(n > 64 ? 64 : n), s);
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
		else if (!strcmp(k, "name"))
			r = get_str(c, v, path, p->comm, sizeof(p->comm));
		else if (!strcmp(k, "exe"))
			r = get_str(c, v, path, p->exe, sizeof(p->exe));
		else if (!strcmp(k, "cwd"))
			r = get_str(c, v, path, p->cwd, sizeof(p->cwd));
		else if (!strcmp(k, "args"))
			r = get_args(c, v, path, p->args, sizeof(p->args), &p->args_len, &p->argc);
		else if (!strcmp(k, "exe_upper_layer"))
			r = get_bool(c, v, path, &p->exe_upper_layer);
		else if (!strcmp(k, "exe_from_memfd"))
			r = get_bool(c, v, path, &p->exe_from_memfd);
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
						    "%s: proc.parents: more than %d", c->what,
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
				r = get_int(c, v, path, -1, INT32_MAX, &n);
				ev->file.fd = (int32_t)n;
			} else if (!strcmp(k, "type"))
				r = get_fdtype(c, v, path, &ev->file.type);
			else
				r = bad(c, path, "unknown member");
		} else if (!strcmp(which, "net")) {
			const char *s = json_string_value(v);

			if (!strcmp(k, "family")) {
				if (s && !strcmp(s, "unix"))
					ev->net.family = AF_UNIX;
				else if (!s || (strcmp(s, "ipv4") && strcmp(s, "ipv6")))
					r = bad(c, path, "expected ipv4, ipv6 or unix");
			} else if (!strcmp(k, "proto")) {
				if (s && !strcmp(s, "tcp"))
					ev->net.proto = 6;
				else if (s && !strcmp(s, "udp"))
					ev->net.proto = 17;
				else
					r = bad(c, path, "expected tcp or udp");
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
			} else if (!strcmp(k, "flags"))
				r = get_flags(c, v, path, &a->flags);
			else if (!strcmp(k, "request"))
				r = get_int(c, v, path, INT64_MIN, INT64_MAX, &a->request);
			else if (!strcmp(k, "target_pid")) {
				r = get_int(c, v, path, -1, INT32_MAX, &n);
				a->target_pid = (int32_t)n;
			} else if (!strcmp(k, "bpf_cmd"))
				r = get_u32(c, v, path, &a->bpf_cmd);
			else if (!strcmp(k, "source"))
				r = get_str(c, v, path, a->source, sizeof(a->source));
			else if (!strcmp(k, "fstype"))
				r = get_str(c, v, path, a->fstype, sizeof(a->fstype));
			else if (!strcmp(k, "module"))
				r = get_str(c, v, path, a->module, sizeof(a->module));
			else
				r = bad(c, path, "unknown member");
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

int bh_rules_event_from_json(const json_t *j, const char *what, struct bh_mon_event *ev,
			     struct bh_error **err)
{
	struct ectx cx = { what, err }, *c = &cx;
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
	return 0;
}
