/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.json linux.*: namespaces, uid/gid mappings, resources (memory, cpu,
 * pids, block IO, hugepages, device rules, unified), devices, masked and
 * read-only paths, sysctl, time offsets, cgroupsPath, seccomp,
 * rootfsPropagation. Untrusted: every value type-checked and bounded.
 */
#include <errno.h>
#include <stdint.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/runtime.h"
#include "internal.h"
#include "banned.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	const char *name;
	int type;
} ns_names[] = {
	{ "pid", CLONE_NEWPID },       { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
	{ "ipc", CLONE_NEWIPC },       { "uts", CLONE_NEWUTS },	    { "user", CLONE_NEWUSER },
	{ "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

const char *rt_ns_name(int type)
{
	for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++)
		if (ns_names[i].type == type)
			return ns_names[i].name;
	return "?";
}

static int parse_namespaces(struct bh_rt_spec *s, const json_t *lin, struct bh_error **err)
{
	json_t *arr, *v;
	size_t i;

	if (rt_spec_typed(lin, "namespaces", true, &arr, "linux", err) < 0)
		return -1;
	if (!arr)
		return 0;
	if (json_array_size(arr) > 16)
		return bh_error_set(err, BH_ERR_LIMIT, "linux.namespaces: too many entries");
	s->namespaces = bh_calloc(json_array_size(arr) + 1, sizeof(*s->namespaces));
	json_array_foreach (arr, i, v) {
		const char *t = bh_json_str(v, "type");
		struct bh_rt_ns *ns = &s->namespaces[s->nnamespaces];
		char where[48];
		size_t k;

		snprintf(where, sizeof(where), "linux.namespaces[%zu]", i);
		if (!t)
			return bh_error_set(err, BH_ERR_INVALID, "%s.type is required", where);
		for (k = 0; k < sizeof(ns_names) / sizeof(ns_names[0]); k++)
			if (!strcmp(t, ns_names[k].name))
				break;
		if (k == sizeof(ns_names) / sizeof(ns_names[0]))
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: unknown namespace type '%.40s' (pid, network, "
					    "mount, ipc, uts, user, cgroup or time)",
					    where, t);
		for (size_t j = 0; j < s->nnamespaces; j++)
			if (s->namespaces[j].type == ns_names[k].type)
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.namespaces: '%s' appears twice", t);
		ns->type = ns_names[k].type;
		if (rt_spec_str(v, "path", false, RT_MAX_PATH, &ns->path, where, err) < 0)
			return -1;
		s->nnamespaces++; /* counted now: its path is freed with the spec */
		if (ns->path && ns->path[0] != '/')
			return bh_error_set(err, BH_ERR_INVALID, "%s.path must be absolute", where);
	}
	return 0;
}

static int64_t res_int(const json_t *o, const char *key, int64_t min, bool *bad)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return -1;
	if (!json_is_integer(v) || json_integer_value(v) < min) {
		*bad = true;
		return -1;
	}
	return json_integer_value(v);
}

static int parse_resources(struct bh_rt_spec *s, const json_t *lin, struct bh_error **err)
{
	struct bh_rt_resources *r = &s->res;
	json_t *res, *o, *arr, *v;
	bool bad = false;
	size_t i;

	r->mem_limit = r->mem_reservation = r->mem_swap = r->mem_swappiness = -1;
	r->cpu_shares = r->cpu_quota = r->cpu_period = r->cpu_rt_runtime = r->cpu_rt_period = -1;
	r->pids_limit = r->blkio_weight = -1;
	if (rt_spec_typed(lin, "resources", false, &res, "linux", err) < 0)
		return -1;
	if (!res)
		return 0;
	s->has_resources = true;
	if (rt_spec_typed(res, "memory", false, &o, "linux.resources", err) < 0)
		return -1;
	if (o) {
		r->mem_limit = res_int(o, "limit", -1, &bad);
		r->mem_reservation = res_int(o, "reservation", -1, &bad);
		r->mem_swap = res_int(o, "swap", -1, &bad);
		r->mem_swappiness = res_int(o, "swappiness", 0, &bad);
		if (r->mem_swappiness > 100)
			bad = true;
		if (rt_spec_bool(o, "disableOOMKiller", &r->mem_disable_oom_killer,
				 "linux.resources.memory", err) < 0 ||
		    rt_spec_int(o, "kernelTCP", -1, INT64_MAX, &r->mem_kernel_tcp,
				&r->has_mem_kernel_tcp, "linux.resources.memory", err) < 0)
			return -1;
		if (bad)
			return bh_error_set(
				err, BH_ERR_INVALID,
				"linux.resources.memory: values must be integers >= -1");
	}
	if (rt_spec_typed(res, "cpu", false, &o, "linux.resources", err) < 0)
		return -1;
	if (o) {
		r->cpu_shares = res_int(o, "shares", 0, &bad);
		r->cpu_quota = res_int(o, "quota", -1, &bad);
		r->cpu_period = res_int(o, "period", 0, &bad);
		r->cpu_rt_runtime = res_int(o, "realtimeRuntime", -1, &bad);
		r->cpu_rt_period = res_int(o, "realtimePeriod", 0, &bad);
		if (bad)
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.resources.cpu: values must be integers");
		if (rt_spec_str(o, "cpus", false, 4096, &r->cpuset_cpus, "linux.resources.cpu",
				err) < 0 ||
		    rt_spec_str(o, "mems", false, 4096, &r->cpuset_mems, "linux.resources.cpu",
				err) < 0)
			return -1;
		for (const char *c = r->cpuset_cpus; c && *c; c++)
			if (!strchr("0123456789,-", *c))
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.resources.cpu.cpus is not a CPU list");
		for (const char *c = r->cpuset_mems; c && *c; c++)
			if (!strchr("0123456789,-", *c))
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.resources.cpu.mems is not a node list");
	}
	if (rt_spec_typed(res, "pids", false, &o, "linux.resources", err) < 0)
		return -1;
	if (o) {
		r->pids_limit = res_int(o, "limit", -1, &bad);
		if (bad)
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.resources.pids.limit must be an integer");
	}
	if (rt_spec_typed(res, "blockIO", false, &o, "linux.resources", err) < 0)
		return -1;
	if (o) {
		r->blkio_weight = res_int(o, "weight", 0, &bad);
		if (bad || r->blkio_weight > 10000)
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.resources.blockIO.weight is out of range");
	}
	if (rt_spec_typed(res, "hugepageLimits", true, &arr, "linux.resources", err) < 0)
		return -1;
	if (arr) {
		if (json_array_size(arr) > 16)
			return bh_error_set(err, BH_ERR_LIMIT, "hugepageLimits: too many");
		r->huge_sizes = bh_calloc(json_array_size(arr) + 1, sizeof(char *));
		r->huge_limits = bh_calloc(json_array_size(arr) + 1, sizeof(int64_t));
		json_array_foreach (arr, i, v) {
			const char *ps = bh_json_str(v, "pageSize");
			json_int_t lim;

			if (!ps || strlen(ps) > 16 || !bh_json_int(v, "limit", &lim) || lim < 0)
				return bh_error_set(err, BH_ERR_INVALID,
						    "hugepageLimits[%zu] needs pageSize and limit",
						    i);
			for (const char *c = ps; *c; c++)
				if (!((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z')))
					return bh_error_set(err, BH_ERR_INVALID,
							    "hugepageLimits[%zu].pageSize", i);
			r->huge_sizes[r->nhuge] = bh_strdup(ps);
			r->huge_limits[r->nhuge++] = lim;
		}
	}
	if (rt_spec_typed(res, "devices", true, &arr, "linux.resources", err) < 0)
		return -1;
	if (arr) {
		if (json_array_size(arr) > RT_MAX_DEVICES)
			return bh_error_set(err, BH_ERR_LIMIT, "linux.resources.devices: too many");
		r->devices = bh_calloc(json_array_size(arr) + 1, sizeof(*r->devices));
		json_array_foreach (arr, i, v) {
			struct bh_rt_devrule *d = &r->devices[r->ndevices];
			const char *t = bh_json_str(v, "type"), *acc = bh_json_str(v, "access");
			json_t *allow = json_object_get(v, "allow");
			json_int_t mj = -1, mn = -1;

			if (!json_is_boolean(allow))
				return bh_error_set(
					err, BH_ERR_INVALID,
					"linux.resources.devices[%zu].allow is required", i);
			d->allow = json_is_true(allow);
			d->type = t ? t[0] : 'a';
			if (t && (strlen(t) != 1 || !strchr("acb", t[0])))
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.resources.devices[%zu].type '%.10s'", i,
						    t);
			if ((json_object_get(v, "major") && !bh_json_int(v, "major", &mj)) ||
			    (json_object_get(v, "minor") && !bh_json_int(v, "minor", &mn)) ||
			    mj < -1 || mn < -1 || mj > 0xfffff || mn > 0xfffff)
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.resources.devices[%zu]: bad major/minor",
						    i);
			d->major = mj;
			d->minor = mn;
			if (!acc)
				acc = "rwm";
			if (strlen(acc) > 3 || strspn(acc, "rwm") != strlen(acc))
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.resources.devices[%zu].access '%.10s'",
						    i, acc);
			snprintf(d->access, sizeof(d->access), "%s", acc);
			r->ndevices++;
		}
	}
	if (rt_spec_typed(res, "unified", false, &o, "linux.resources", err) < 0)
		return -1;
	if (o) {
		const char *k;

		json_object_foreach (o, k, v) {
			if (!json_is_string(v) || strchr(k, '/') || !strcmp(k, "..") ||
			    !strcmp(k, ".") || strlen(k) > 256)
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.resources.unified: bad entry '%.60s'",
						    k);
		}
		r->unified = json_incref(o);
	}
	return 0;
}

static int parse_devices(struct bh_rt_spec *s, const json_t *lin, struct bh_error **err)
{
	json_t *arr, *v;
	size_t i;

	if (rt_spec_typed(lin, "devices", true, &arr, "linux", err) < 0)
		return -1;
	if (!arr)
		return 0;
	if (json_array_size(arr) > RT_MAX_DEVICES)
		return bh_error_set(err, BH_ERR_LIMIT, "linux.devices: too many");
	s->devices = bh_calloc(json_array_size(arr) + 1, sizeof(*s->devices));
	json_array_foreach (arr, i, v) {
		struct bh_rt_device *d = &s->devices[s->ndevices];
		char where[48], *path = NULL, *type = NULL;
		int64_t mj = 0, mn = 0, fm = 0666;
		bool pm, pn, pf;

		snprintf(where, sizeof(where), "linux.devices[%zu]", i);
		if (!json_is_object(v))
			return bh_error_set(err, BH_ERR_INVALID, "%s must be an object", where);
		s->ndevices++;
		if (rt_spec_str(v, "path", true, RT_MAX_PATH, &path, where, err) < 0)
			return -1;
		if (rt_spec_abs_path(path, &d->path, where, err) < 0) {
			free(path);
			return -1;
		}
		free(path);
		if (rt_spec_str(v, "type", true, 2, &type, where, err) < 0)
			return -1;
		if (strlen(type) != 1 || !strchr("cbup", type[0])) {
			free(type);
			return bh_error_set(err, BH_ERR_INVALID, "%s.type must be c, b, u or p",
					    where);
		}
		d->type = type[0];
		free(type);
		if (rt_spec_int(v, "major", 0, 0xfffff, &mj, &pm, where, err) < 0 ||
		    rt_spec_int(v, "minor", 0, 0xfffff, &mn, &pn, where, err) < 0 ||
		    rt_spec_int(v, "fileMode", 0, S_IFMT | 07777, &fm, &pf, where, err) < 0 ||
		    rt_spec_u32(v, "uid", &d->uid, where, err) < 0 ||
		    rt_spec_u32(v, "gid", &d->gid, where, err) < 0)
			return -1;
		if (d->type != 'p' && (!pm || !pn))
			return bh_error_set(err, BH_ERR_INVALID, "%s needs major and minor", where);
		d->major = mj;
		d->minor = mn;
		/* podman passes the host node's whole st_mode (type bits included): as runc
		 * and crun, only the permission bits count; the node's type is `type` */
		d->mode = pf ? (uint32_t)fm & 07777 : 0666;
		if (strncmp(d->path, "/dev/", 5))
			return bh_error_set(err, BH_ERR_INVALID, "%s.path must be under /dev",
					    where);
	}
	return 0;
}

static int parse_paths(const json_t *lin, const char *key, char ***out, size_t *n,
		       struct bh_error **err)
{
	char **v;
	size_t i;

	if (rt_spec_strv(lin, key, RT_MAX_PATHS, RT_MAX_PATH, &v, n, "linux", err) < 0)
		return -1;
	*out = v;
	for (i = 0; i < *n; i++) {
		char *c;

		if (v[i][0] != '/')
			return bh_error_set(err, BH_ERR_INVALID, "linux.%s[%zu] must be absolute",
					    key, i);
		if (rt_spec_abs_path(v[i], &c, key, err) < 0)
			return -1;
		free(v[i]);
		v[i] = c;
	}
	return 0;
}

/*
 * linux.timeOffsets: {"monotonic"|"boottime": {"secs": int64, "nanosecs": uint32}},
 * applied to a new time namespace before its first process (so it needs one).
 */
static int parse_time_offsets(struct bh_rt_spec *s, const json_t *lin, struct bh_error **err)
{
	static const char *const clocks[2] = { "monotonic", "boottime" };
	json_t *v, *c;
	const char *k;
	bool new_timens = false;

	if (rt_spec_typed(lin, "timeOffsets", false, &v, "linux", err) < 0)
		return -1;
	if (!v)
		return 0;
	json_object_foreach (v, k, c) {
		json_int_t secs = 0, nsecs = 0;
		int i = !strcmp(k, clocks[0]) ? 0 : !strcmp(k, clocks[1]) ? 1 : -1;
		json_t *x;

		if (i < 0)
			return bh_error_set(
				err, BH_ERR_INVALID,
				"linux.timeOffsets: unknown clock '%.60s' (monotonic or "
				"boottime)",
				k);
		if (!json_is_object(c))
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.timeOffsets.%s must be an object", k);
		x = json_object_get(c, "secs");
		if (x && !json_is_integer(x))
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.timeOffsets.%s.secs must be an integer", k);
		secs = x ? json_integer_value(x) : 0;
		x = json_object_get(c, "nanosecs");
		if (x && !json_is_integer(x))
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.timeOffsets.%s.nanosecs must be an integer", k);
		nsecs = x ? json_integer_value(x) : 0;
		if (nsecs < 0 || nsecs >= 1000000000)
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.timeOffsets.%s.nanosecs must be 0..999999999",
					    k);
		/* The kernel keeps offsets within +-KTIME_MAX/2; a century is plenty. */
		if (secs > 100ll * 366 * 86400 || secs < -100ll * 366 * 86400)
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.timeOffsets.%s.secs is out of range", k);
		s->time_offset_secs[i] = secs;
		s->time_offset_nsecs[i] = (uint32_t)nsecs;
	}
	for (size_t i = 0; i < s->nnamespaces; i++)
		if (s->namespaces[i].type == CLONE_NEWTIME && !s->namespaces[i].path)
			new_timens = true;
	if (!new_timens)
		return bh_error_set(err, BH_ERR_INVALID,
				    "linux.timeOffsets needs a new time namespace in "
				    "linux.namespaces");
	s->has_time_offsets = true;
	return 0;
}

int rt_spec_parse_linux(struct bh_rt_spec *s, const json_t *root, struct bh_error **err)
{
	json_t *lin, *v;
	char *prop = NULL;
	const char *k;

	if (rt_spec_typed(root, "linux", false, &lin, "config", err) < 0)
		return -1;
	if (!lin) {
		s->res.mem_limit = s->res.mem_reservation = s->res.mem_swap = -1;
		s->res.mem_swappiness = s->res.cpu_shares = s->res.cpu_quota = -1;
		s->res.cpu_period = s->res.cpu_rt_runtime = s->res.cpu_rt_period = -1;
		s->res.pids_limit = s->res.blkio_weight = -1;
		return 0;
	}
	if (parse_namespaces(s, lin, err) < 0 ||
	    rt_spec_mappings(lin, "uidMappings", &s->uid_mappings, &s->nuid_mappings, "linux",
			     err) < 0 ||
	    rt_spec_mappings(lin, "gidMappings", &s->gid_mappings, &s->ngid_mappings, "linux",
			     err) < 0 ||
	    parse_resources(s, lin, err) < 0 || parse_devices(s, lin, err) < 0 ||
	    parse_paths(lin, "maskedPaths", &s->masked_paths, &s->nmasked, err) < 0 ||
	    parse_paths(lin, "readonlyPaths", &s->readonly_paths, &s->nreadonly, err) < 0)
		return -1;
	if (rt_spec_typed(lin, "sysctl", false, &v, "linux", err) < 0)
		return -1;
	if (v) {
		json_t *x;

		if (json_object_size(v) > RT_MAX_SYSCTL)
			return bh_error_set(err, BH_ERR_LIMIT, "linux.sysctl: too many");
		json_object_foreach (v, k, x) {
			if (!json_is_string(x) || json_string_length(x) > 4096)
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.sysctl.%.60s must be a string", k);
			if (!*k || strlen(k) > 256 || strstr(k, "..") || k[0] == '.' ||
			    k[0] == '/' ||
			    strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
				      "VWXYZ0123456789_.-/") != strlen(k))
				return bh_error_set(err, BH_ERR_INVALID,
						    "linux.sysctl: '%.60s' is not a sysctl name",
						    k);
		}
		s->sysctl = json_incref(v);
	}
	if (parse_time_offsets(s, lin, err) < 0)
		return -1;
	if (rt_spec_str(lin, "cgroupsPath", false, RT_MAX_PATH, &s->cgroups_path, "linux", err) < 0)
		return -1;
	if (s->cgroups_path && strstr(s->cgroups_path, ".."))
		return bh_error_set(err, BH_ERR_UNSAFE, "linux.cgroupsPath must not contain '..'");
	if (rt_spec_typed(lin, "seccomp", false, &v, "linux", err) < 0)
		return -1;
	if (v)
		s->seccomp = json_incref(v);
	if (rt_spec_str(lin, "rootfsPropagation", false, 32, &prop, "linux", err) < 0)
		return -1;
	if (prop) {
		static const struct {
			const char *n;
			unsigned long f;
		} props[] = {
			{ "private", MS_PRIVATE },	 { "rprivate", MS_PRIVATE | MS_REC },
			{ "slave", MS_SLAVE },		 { "rslave", MS_SLAVE | MS_REC },
			{ "shared", MS_SHARED },	 { "rshared", MS_SHARED | MS_REC },
			{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC }
		};
		size_t i;

		for (i = 0; i < sizeof(props) / sizeof(props[0]); i++)
			if (!strcmp(prop, props[i].n))
				s->rootfs_propagation = props[i].f;
		free(prop);
		if (!s->rootfs_propagation)
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.rootfsPropagation is not a propagation mode");
	}
	/* user namespaces and mappings go together */
	{
		const struct bh_rt_ns *user = NULL;

		for (size_t i = 0; i < s->nnamespaces; i++)
			if (s->namespaces[i].type == CLONE_NEWUSER)
				user = &s->namespaces[i];
		if ((s->nuid_mappings || s->ngid_mappings) && !user)
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.uidMappings need a user namespace");
		if (user && !user->path && (!s->nuid_mappings || !s->ngid_mappings))
			return bh_error_set(err, BH_ERR_INVALID,
					    "a new user namespace needs linux.uidMappings and "
					    "linux.gidMappings");
	}
	return 0;
}
