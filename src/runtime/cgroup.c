/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroups for containers on the three layouts Linux hosts have: v1 (one
 * hierarchy per controller), v2 (one unified hierarchy) and the hybrid one
 * (v1 controllers plus a cgroup2 at /sys/fs/cgroup/unified that may enable
 * few controllers, often only hugetlb; crun refuses it, runc and bulkhead
 * use it). The container gets a directory in every hierarchy; resources are
 * written to the files of whichever layout holds the controller.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "bulkhead/base.h"
#include "devices_bpf.h"
#include "internal.h"
#include "base/dir.h"
#include "banned.h"

#define CG_ROOT "/sys/fs/cgroup"

int rt_cgroup_layout(enum rt_cg_layout *out, struct bh_error **err)
{
	struct statfs st;

	if (statfs(CG_ROOT, &st) < 0)
		return bh_error_sys(err, errno, "cgroups: %s", CG_ROOT);
	if (st.f_type == CGROUP2_SUPER_MAGIC) {
		*out = RT_CG_V2;
		return 0;
	}
	if (statfs(CG_ROOT "/unified", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
		*out = RT_CG_HYBRID;
	else
		*out = RT_CG_V1;
	return 0;
}

static void add_dir(struct rt_cgroup *cg, const char *name, const char *dir)
{
	cg->dirs = bh_reallocarray(cg->dirs, cg->ndirs + 1, sizeof(char *));
	cg->names = bh_reallocarray(cg->names, cg->ndirs + 1, sizeof(char *));
	cg->dirs[cg->ndirs] = bh_strdup(dir);
	cg->names[cg->ndirs] = bh_strdup(name);
	cg->ndirs++;
}

/* The v1 hierarchies: the cgroup mounts below /sys/fs/cgroup. */
static int v1_hierarchies(struct rt_cgroup *cg, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(4 << 20);
	char *save = NULL, *line;

	if (bh_read_file("/proc/self/mountinfo", &b, err) < 0)
		return -1;
	for (line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sep = strstr(line, " - "), *f[6], *s2 = NULL, *p;
		int n = 0;

		if (!sep || !bh_str_has_prefix(sep + 3, "cgroup "))
			continue;
		*sep = 0;
		for (p = strtok_r(line, " ", &s2); p && n < 6; p = strtok_r(NULL, " ", &s2))
			f[n++] = p;
		if (n < 5 || !bh_str_has_prefix(f[4], CG_ROOT "/"))
			continue;
		if (strchr(f[4], '\\'))
			continue; /* escaped names: not a standard layout */
		{
			char *dir = bh_asprintf("%s%s", f[4], cg->path);

			add_dir(cg, strrchr(f[4], '/') + 1, dir);
			free(dir);
		}
	}
	bh_buf_release(&b);
	if (!cg->ndirs)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "cgroups: no cgroup v1 hierarchy is mounted under %s", CG_ROOT);
	return 0;
}

int rt_cgroup_init(struct rt_cgroup *cg, const char *cgroups_path, const char *id, bool systemd,
		   struct bh_error **err)
{
	memset(cg, 0, sizeof(*cg));
	if (rt_cgroup_layout(&cg->layout, err) < 0)
		return -1;
	if (!cgroups_path || !*cgroups_path) {
		cg->path = bh_asprintf("/bulkhead/%s", id);
	} else if (cgroups_path[0] != '/' && strchr(cgroups_path, ':')) {
		/* systemd's "slice:prefix:name" */
		char *c = bh_strdup(cgroups_path), *p1 = strchr(c, ':'), *p2;

		if (systemd) {
			free(c);
			return bh_error_set(err, BH_ERR_UNSUPPORTED,
					    "--systemd-cgroup: the systemd cgroup driver is not "
					    "supported; use cgroupfs paths");
		}
		*p1++ = 0;
		p2 = strchr(p1, ':');
		if (!p2 || strchr(p2 + 1, ':') || strchr(c, '/') || strchr(p1, '/') ||
		    strchr(p2 + 1, '/')) {
			free(c);
			return bh_error_set(err, BH_ERR_INVALID,
					    "linux.cgroupsPath '%.100s' is not slice:prefix:name",
					    cgroups_path);
		}
		*p2++ = 0;
		cg->path = bh_asprintf("/%s/%s%s%s.scope", *c ? c : "system.slice", p1,
				       *p1 ? "-" : "", p2);
		free(c);
	} else {
		cg->path = bh_asprintf("%s%s", cgroups_path[0] == '/' ? "" : "/", cgroups_path);
	}
	while (strlen(cg->path) > 1 && cg->path[strlen(cg->path) - 1] == '/')
		cg->path[strlen(cg->path) - 1] = 0;
	if (!strcmp(cg->path, "/"))
		return bh_error_set(err, BH_ERR_INVALID, "linux.cgroupsPath must not be the root");
	if (cg->layout == RT_CG_V2) {
		char *dir = bh_asprintf(CG_ROOT "%s", cg->path);

		add_dir(cg, "unified", dir);
		free(dir);
		return 0;
	}
	if (v1_hierarchies(cg, err) < 0)
		return -1;
	if (cg->layout == RT_CG_HYBRID) {
		char *dir = bh_asprintf(CG_ROOT "/unified%s", cg->path);

		add_dir(cg, "unified", dir);
		free(dir);
	}
	return 0;
}

void rt_cgroup_release(struct rt_cgroup *cg)
{
	for (size_t i = 0; i < cg->ndirs; i++) {
		free(cg->dirs[i]);
		free(cg->names[i]);
	}
	free(cg->dirs);
	free(cg->names);
	free(cg->path);
	memset(cg, 0, sizeof(*cg));
}

static const char *dir_of(const struct rt_cgroup *cg, const char *name)
{
	for (size_t i = 0; i < cg->ndirs; i++)
		if (!strcmp(cg->names[i], name))
			return cg->dirs[i];
	/* combined hierarchies: "cpu,cpuacct" */
	for (size_t i = 0; i < cg->ndirs; i++) {
		const char *n = cg->names[i];
		size_t l = strlen(name);

		for (const char *p = n; (p = strstr(p, name)); p += l)
			if ((p == n || p[-1] == ',') && (p[l] == 0 || p[l] == ','))
				return cg->dirs[i];
	}
	return NULL;
}

static int write_file(const char *dir, const char *file, const char *value, struct bh_error **err)
{
	char *path = bh_asprintf("%s/%s", dir, file);
	int r = bh_write_small(path, value, err);

	free(path);
	if (r < 0)
		return bh_error_prefix(err, "cgroups");
	return 0;
}

static int write_int(const char *dir, const char *file, int64_t v, struct bh_error **err)
{
	char s[32];

	snprintf(s, sizeof(s), "%lld", (long long)v);
	return write_file(dir, file, s, err);
}

static bool file_exists(const char *dir, const char *file)
{
	char *p = bh_asprintf("%s/%s", dir, file);
	bool r = access(p, F_OK) == 0;

	free(p);
	return r;
}

/* Copy cpuset.cpus and cpuset.mems from the parent when empty (v1 refuses
 * tasks in a cpuset without them). */
static void cpuset_inherit(const char *cur)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char *par = bh_strdup(cur), val[4096];

	*strrchr(par, '/') = 0;
	for (int k = 0; k < 2; k++) {
		char *f = bh_asprintf("%s/%s", cur, files[k]);
		char *pf = bh_asprintf("%s/%s", par, files[k]);

		if (bh_read_small(f, val, sizeof(val)) == 0 &&
		    bh_read_small(pf, val, sizeof(val)) > 0)
			write_file(cur, files[k], val, NULL);
		free(f);
		free(pf);
	}
	free(par);
}

/* mkdir -p of a container's directory below a hierarchy root; in cpuset
 * hierarchies each level inherits cpus and mems from its parent. */
static int mkdirs(const char *dir, bool cpuset, struct bh_error **err)
{
	char *p, *lvl;

	if (bh_mkdirs(dir, 0755, 0755, err) < 0)
		return bh_error_prefix(err, "cgroups");
	if (!cpuset)
		return 0;
	/* walk down from the hierarchy root, copying empty values from the parent */
	p = bh_strdup(dir);
	lvl = strchr(p + strlen(CG_ROOT) + 1, '/');
	while (lvl) {
		char *next = strchr(lvl + 1, '/');

		if (next)
			*next = 0;
		cpuset_inherit(p);
		if (next)
			*next = '/';
		lvl = next;
	}
	free(p);
	return 0;
}

/* v2: enable the controllers the container needs in every ancestor. */
static int v2_enable(const char *root, const char *path, const char *const *ctrls,
		     struct bh_error **err)
{
	char avail[1024];
	char *cur = bh_strdup(root), *p = bh_strdup(path), *save = NULL, *comp;
	char *avail_path = bh_asprintf("%s/cgroup.controllers", root);
	int r = 0;

	if (bh_read_small(avail_path, avail, sizeof(avail)) < 0)
		avail[0] = 0;
	free(avail_path);
	comp = strtok_r(p, "/", &save);
	while (comp) {
		char *next = strtok_r(NULL, "/", &save);

		for (size_t i = 0; ctrls[i]; i++) {
			char v[64];

			if (!strstr(avail, ctrls[i]))
				continue;
			snprintf(v, sizeof(v), "+%s", ctrls[i]);
			write_file(cur, "cgroup.subtree_control", v, NULL);
		}
		{
			char *n = bh_asprintf("%s/%s", cur, comp);

			free(cur);
			cur = n;
		}
		if (!next)
			break;
		comp = next;
	}
	free(cur);
	free(p);
	return r;
}

/* The v1 form of the device policy: the same rules as the eBPF program, in order. */
static int v1_devices(const char *dir, const struct rt_devbpf_rule *rules, size_t n,
		      struct bh_error **err)
{
	char rule[64];

	for (size_t i = 0; i < n; i++) {
		rt_devbpf_rule_format(&rules[i], rule, sizeof(rule));
		if (write_file(dir, rules[i].allow ? "devices.allow" : "devices.deny", rule, err) <
		    0)
			return -1;
	}
	return 0;
}

/*
 * cgroup v2 has no devices controller: the policy is an eBPF program on the
 * container's cgroup2 directory. On v2 it is the device policy, and failing
 * to load it fails the container (unless the kernel cannot run such programs
 * at all); on the hybrid layout it stands beside the v1 controller, so a
 * failure is a warning.
 */
static int devices_bpf(struct rt_cgroup *cg, const struct rt_devbpf_rule *rules, size_t n,
		       struct bh_error **err)
{
	struct bh_error *e = NULL;
	const char *d = dir_of(cg, "unified");
	char *msg;

	if (cg->layout == RT_CG_V1 || !d || rt_devbpf_apply(rules, n, d, &cg->devbpf, &e) == 0)
		return 0;
	if (cg->layout == RT_CG_V2 && bh_error_code(e) != BH_ERR_UNSUPPORTED) {
		if (err && !*err)
			*err = e;
		else
			bh_error_free(e);
		return bh_error_prefix(err, "cgroups v2: device rules");
	}
	msg = bh_error_message(e);
	if (cg->layout == RT_CG_V2)
		bh_warn("cgroups v2: %s; device access is limited by the device nodes created "
			"only",
			msg);
	else
		bh_warn("cgroups: %s; the v1 devices controller still enforces the device rules",
			msg);
	free(msg);
	bh_error_free(e);
	return 0;
}

static int v1_resources(struct rt_cgroup *cg, const struct bh_rt_spec *spec, struct bh_error **err)
{
	const struct bh_rt_resources *r = &spec->res;
	const char *d;

	if (!spec->has_resources)
		return 0;
	if ((d = dir_of(cg, "memory"))) {
		if (r->mem_limit > 0 &&
		    write_int(d, "memory.limit_in_bytes", r->mem_limit, err) < 0)
			return -1;
		if (r->mem_reservation > 0 &&
		    write_int(d, "memory.soft_limit_in_bytes", r->mem_reservation, err) < 0)
			return -1;
		if (r->mem_swap > 0 && file_exists(d, "memory.memsw.limit_in_bytes") &&
		    write_int(d, "memory.memsw.limit_in_bytes", r->mem_swap, err) < 0)
			return -1;
		if (r->mem_swappiness >= 0 &&
		    write_int(d, "memory.swappiness", r->mem_swappiness, err) < 0)
			return -1;
		if (r->mem_disable_oom_killer && write_file(d, "memory.oom_control", "1", err) < 0)
			return -1;
		/* as crun and runc (which took 0 for unset): -1 lifts the limit */
		if (r->has_mem_kernel_tcp && r->mem_kernel_tcp != 0 &&
		    write_int(d, "memory.kmem.tcp.limit_in_bytes", r->mem_kernel_tcp, err) < 0)
			return -1;
	}
	if ((d = dir_of(cg, "cpu"))) {
		if (r->cpu_shares > 0 && write_int(d, "cpu.shares", r->cpu_shares, err) < 0)
			return -1;
		if (r->cpu_period > 0 && write_int(d, "cpu.cfs_period_us", r->cpu_period, err) < 0)
			return -1;
		if (r->cpu_quota != -1 && r->cpu_quota != 0 &&
		    write_int(d, "cpu.cfs_quota_us", r->cpu_quota, err) < 0)
			return -1;
		if (r->cpu_rt_period > 0 &&
		    write_int(d, "cpu.rt_period_us", r->cpu_rt_period, err) < 0)
			return -1;
		if (r->cpu_rt_runtime > 0 &&
		    write_int(d, "cpu.rt_runtime_us", r->cpu_rt_runtime, err) < 0)
			return -1;
	}
	if ((d = dir_of(cg, "cpuset"))) {
		if (r->cpuset_cpus && *r->cpuset_cpus &&
		    write_file(d, "cpuset.cpus", r->cpuset_cpus, err) < 0)
			return -1;
		if (r->cpuset_mems && *r->cpuset_mems &&
		    write_file(d, "cpuset.mems", r->cpuset_mems, err) < 0)
			return -1;
	}
	if ((d = dir_of(cg, "pids")) && r->pids_limit != -1) {
		if (r->pids_limit <= 0 ? write_file(d, "pids.max", "max", err) < 0
				       : write_int(d, "pids.max", r->pids_limit, err) < 0)
			return -1;
	}
	if ((d = dir_of(cg, "blkio")) && r->blkio_weight > 0) {
		const char *f =
			file_exists(d, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";

		if (file_exists(d, f) && write_int(d, f, r->blkio_weight, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->nhuge; i++) {
		char f[64];

		if ((d = dir_of(cg, "hugetlb"))) {
			snprintf(f, sizeof(f), "hugetlb.%s.limit_in_bytes", r->huge_sizes[i]);
		} else if (cg->layout == RT_CG_HYBRID && (d = dir_of(cg, "unified"))) {
			snprintf(f, sizeof(f), "hugetlb.%s.max", r->huge_sizes[i]);
		} else {
			return bh_error_set(err, BH_ERR_UNSUPPORTED,
					    "cgroups: no hugetlb controller for hugepageLimits");
		}
		if (write_int(d, f, r->huge_limits[i], err) < 0)
			return -1;
	}
	if (r->unified && json_object_size(r->unified)) {
		const char *k;
		json_t *v;

		if (cg->layout == RT_CG_V1 || !(d = dir_of(cg, "unified")))
			return bh_error_set(err, BH_ERR_UNSUPPORTED,
					    "cgroups: linux.resources.unified needs cgroup v2");
		json_object_foreach (r->unified, k, v) {
			if (write_file(d, k, json_string_value(v), err) < 0)
				return -1;
		}
	}
	return 0;
}

static int v2_resources(struct rt_cgroup *cg, const struct bh_rt_spec *spec, struct bh_error **err)
{
	const struct bh_rt_resources *r = &spec->res;
	const char *d = cg->dirs[0];
	char v[128];

	if (!spec->has_resources)
		return 0;
	if (r->mem_limit > 0 && write_int(d, "memory.max", r->mem_limit, err) < 0)
		return -1;
	if (r->has_mem_kernel_tcp && r->mem_kernel_tcp != 0)
		bh_warn("cgroups v2: linux.resources.memory.kernelTCP is ignored: cgroup v2 has no "
			"separate TCP memory limit (socket memory counts in memory.max)");
	if (r->mem_reservation > 0 && write_int(d, "memory.low", r->mem_reservation, err) < 0)
		return -1;
	if (r->mem_swap > 0 && r->mem_limit > 0 && r->mem_swap >= r->mem_limit &&
	    file_exists(d, "memory.swap.max") &&
	    write_int(d, "memory.swap.max", r->mem_swap - r->mem_limit, err) < 0)
		return -1;
	if (r->cpu_shares > 0 &&
	    write_int(d, "cpu.weight", 1 + ((r->cpu_shares - 2) * 9999) / 262142, err) < 0)
		return -1;
	if (r->cpu_quota != -1 || r->cpu_period > 0) {
		int64_t period = r->cpu_period > 0 ? r->cpu_period : 100000;

		if (r->cpu_quota > 0)
			snprintf(v, sizeof(v), "%lld %lld", (long long)r->cpu_quota,
				 (long long)period);
		else
			snprintf(v, sizeof(v), "max %lld", (long long)period);
		if (write_file(d, "cpu.max", v, err) < 0)
			return -1;
	}
	if (r->cpuset_cpus && *r->cpuset_cpus &&
	    write_file(d, "cpuset.cpus", r->cpuset_cpus, err) < 0)
		return -1;
	if (r->cpuset_mems && *r->cpuset_mems &&
	    write_file(d, "cpuset.mems", r->cpuset_mems, err) < 0)
		return -1;
	if (r->pids_limit != -1 &&
	    (r->pids_limit <= 0 ? write_file(d, "pids.max", "max", err)
				: write_int(d, "pids.max", r->pids_limit, err)) < 0)
		return -1;
	if (r->blkio_weight > 0 && file_exists(d, "io.weight")) {
		snprintf(v, sizeof(v), "default %lld",
			 (long long)(1 + (r->blkio_weight - 10) * 9999 / 990));
		if (write_file(d, "io.weight", v, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->nhuge; i++) {
		char f[64];

		snprintf(f, sizeof(f), "hugetlb.%s.max", r->huge_sizes[i]);
		if (write_int(d, f, r->huge_limits[i], err) < 0)
			return -1;
	}
	if (r->unified) {
		const char *k;
		json_t *x;

		json_object_foreach (r->unified, k, x) {
			if (write_file(d, k, json_string_value(x), err) < 0)
				return -1;
		}
	}
	return 0;
}

int rt_cgroup_create(struct rt_cgroup *cg, const struct bh_rt_spec *spec, struct bh_error **err)
{
	static const char *const v2_ctrls[] = { "cpu",	"cpuset",  "io", "memory",
						"pids", "hugetlb", NULL };
	static const char *const hy_ctrls[] = { "hugetlb", NULL };
	struct rt_devbpf_rule *rules = NULL;
	size_t nrules = 0;
	const char *d;
	int r = -1;

	if (rt_devbpf_rules(spec, &rules, &nrules, err) < 0)
		return -1;
	for (size_t i = 0; i < cg->ndirs; i++) {
		bool unified = !strcmp(cg->names[i], "unified");

		if (unified) {
			const char *root = cg->layout == RT_CG_V2 ? CG_ROOT : CG_ROOT "/unified";

			if (cg->layout == RT_CG_V2 || spec->res.nhuge)
				v2_enable(root, cg->path,
					  cg->layout == RT_CG_V2 ? v2_ctrls : hy_ctrls, NULL);
		}
		if (mkdirs(cg->dirs[i], strstr(cg->names[i], "cpuset") != NULL, err) < 0)
			goto out;
	}
	if (cg->layout != RT_CG_V2 && (d = dir_of(cg, "devices")) &&
	    v1_devices(d, rules, nrules, err) < 0)
		goto out;
	if (devices_bpf(cg, rules, nrules, err) < 0)
		goto out;
	r = cg->layout == RT_CG_V2 ? v2_resources(cg, spec, err) : v1_resources(cg, spec, err);
out:
	free(rules);
	return r;
}

int rt_cgroup_enter(const struct rt_cgroup *cg, pid_t pid, struct bh_error **err)
{
	char s[24];

	snprintf(s, sizeof(s), "%d", (int)pid);
	for (size_t i = 0; i < cg->ndirs; i++)
		if (write_file(cg->dirs[i], "cgroup.procs", s, err) < 0)
			return -1;
	return 0;
}

/* Sub-cgroups below a container's: made by its processes (cgroupns, systemd)
 * or by the host; followed this deep at most, this many in all. */
#define CG_MAX_DEPTH 16
#define CG_MAX_DIRS  4096

/* Append the pids of dfd's cgroup.procs, then of every cgroup below it. */
static int pids_below(int dfd, const char *where, unsigned depth, unsigned *ndirs, pid_t **pids,
		      size_t *n, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(16 << 20);
	char *save = NULL, *line;
	struct dirent *e;
	DIR *d;
	int fd, r = 0;

	if (++*ndirs > CG_MAX_DIRS || depth > CG_MAX_DEPTH)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "cgroups: more than %d cgroups, or deeper than %d, below %s",
				    CG_MAX_DIRS, CG_MAX_DEPTH, where);
	fd = openat(dfd, "cgroup.procs", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : bh_error_sys(err, errno, "%s/cgroup.procs", where);
	r = bh_buf_read_fd(&b, fd, "cgroup.procs", err);
	close(fd);
	if (r < 0) {
		bh_buf_release(&b);
		return bh_error_prefix(err, "cgroups below %s", where);
	}
	for (line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		uint64_t v;

		if (bh_parse_u64(line, &v, NULL) < 0 || v > INT32_MAX)
			continue;
		*pids = bh_reallocarray(*pids, *n + 1, sizeof(pid_t));
		(*pids)[(*n)++] = (pid_t)v;
	}
	bh_buf_release(&b);
	if (!(d = bh_opendir_at(dfd)))
		return 0; /* gone meanwhile: nothing below it */
	while (r == 0 && (e = readdir(d))) {
		int sub;

		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		r = pids_below(sub, where, depth + 1, ndirs, pids, n, err);
		close(sub);
	}
	closedir(d);
	return r;
}

int rt_cgroup_pids(const struct rt_cgroup *cg, pid_t **pids, size_t *n, struct bh_error **err)
{
	static const char *const pref[] = { "pids", "memory", "freezer", "unified", "cpu", NULL };
	const char *d = NULL;
	unsigned ndirs = 0;
	int fd, r;

	*pids = NULL;
	*n = 0;
	for (size_t i = 0; pref[i] && !d; i++)
		d = dir_of(cg, pref[i]);
	if (!d && cg->ndirs)
		d = cg->dirs[0];
	if (!d)
		return 0;
	fd = open(d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : bh_error_sys(err, errno, "cgroups: %s", d);
	/* the processes of the cgroups below too: a kill or a delete reaches them all */
	r = pids_below(fd, d, 0, &ndirs, pids, n, err);
	close(fd);
	if (r < 0) {
		free(*pids);
		*pids = NULL;
		*n = 0;
	}
	return r;
}

int rt_cgroup_frozen(const struct rt_cgroup *cg)
{
	char v[64], *p;
	const char *d;
	int r = -1;

	if (cg->layout != RT_CG_V2 && (d = dir_of(cg, "freezer"))) {
		p = bh_asprintf("%s/freezer.state", d);
		if (bh_read_small(p, v, sizeof(v)) >= 0)
			r = !strcmp(v, "FROZEN");
		free(p);
	} else if (cg->layout == RT_CG_V2) {
		p = bh_asprintf("%s/cgroup.freeze", cg->dirs[0]);
		if (bh_read_small(p, v, sizeof(v)) >= 0)
			r = !strcmp(v, "1");
		free(p);
	}
	return r;
}

int rt_cgroup_freeze(const struct rt_cgroup *cg, bool freeze, struct bh_error **err)
{
	const char *d;

	if (cg->layout == RT_CG_V2) {
		if (write_file(cg->dirs[0], "cgroup.freeze", freeze ? "1" : "0", err) < 0)
			return -1;
		return 0;
	}
	d = dir_of(cg, "freezer");
	if (!d)
		return bh_error_set(err, BH_ERR_UNSUPPORTED, "cgroups: no freezer hierarchy");
	if (write_file(d, "freezer.state", freeze ? "FROZEN" : "THAWED", err) < 0)
		return -1;
	/* FREEZING → FROZEN */
	for (int i = 0; freeze && i < 1000; i++) {
		char *p = bh_asprintf("%s/freezer.state", d), v[32];
		int n = bh_read_small(p, v, sizeof(v));

		free(p);
		if (n >= 0 && !strcmp(v, "FROZEN"))
			return 0;
		if (i % 50 == 49)
			write_file(d, "freezer.state", "FROZEN", NULL);
		{
			struct timespec ts = { 0, 1000000 };

			nanosleep(&ts, NULL);
		}
	}
	if (freeze)
		return bh_error_set(err, BH_ERR_IO, "cgroups: the container did not freeze");
	return 0;
}

/* rmdir name in dfd, waiting out EBUSY while the last processes exit. */
static int rmdir_wait(int dfd, const char *name)
{
	for (int tries = 0; unlinkat(dfd, name, AT_REMOVEDIR) < 0; tries++) {
		struct timespec ts = { 0, 5000000 };

		if (errno == ENOENT)
			return 0;
		if (errno != EBUSY || tries >= 200)
			return -1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Remove every cgroup below dfd, deepest first (a cgroup with children cannot go). */
static int rmdir_below(int dfd, unsigned depth)
{
	struct dirent *e;
	DIR *d;
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (depth > CG_MAX_DEPTH) {
		errno = ELOOP;
		return -1;
	}
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((e = readdir(d))) {
		int sub;

		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		if (rmdir_below(sub, depth + 1) < 0 && !r)
			r = -1;
		close(sub);
		if (rmdir_wait(dirfd(d), e->d_name) < 0 && !r)
			r = -1;
	}
	closedir(d);
	return r;
}

int rt_cgroup_destroy(const struct rt_cgroup *cg, struct bh_error **err)
{
	int r = 0;

	for (size_t i = 0; i < cg->ndirs; i++) {
		int fd = open(cg->dirs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		/* the cgroups made below the container's (by its processes or the host) first */
		if (fd >= 0) {
			if (rmdir_below(fd, 0) < 0 && !r)
				r = bh_error_sys(err, errno,
						 "cgroups: removing the cgroups below %s",
						 cg->dirs[i]);
			close(fd);
		} else if (errno == ENOENT) {
			continue;
		}
		if (rmdir_wait(AT_FDCWD, cg->dirs[i]) < 0 && !r)
			r = bh_error_sys(err, errno, "cgroups: removing %s", cg->dirs[i]);
	}
	return r;
}

json_t *rt_cgroup_to_json(const struct rt_cgroup *cg)
{
	json_t *dirs = json_array(), *names = json_array();

	for (size_t i = 0; i < cg->ndirs; i++) {
		json_array_append_new(dirs, json_string(cg->dirs[i]));
		json_array_append_new(names, json_string(cg->names[i]));
	}
	return json_pack("{s:i, s:s, s:o, s:o}", "layout", (int)cg->layout, "path", cg->path,
			 "dirs", dirs, "names", names);
}

int rt_cgroup_from_json(const json_t *j, struct rt_cgroup *cg, struct bh_error **err)
{
	json_t *dirs = bh_json_arr(j, "dirs"), *names = bh_json_arr(j, "names");
	const char *path = bh_json_str(j, "path");
	json_int_t layout;
	size_t i;

	memset(cg, 0, sizeof(*cg));
	if (!dirs || !names || !path || !bh_json_int(j, "layout", &layout) ||
	    json_array_size(dirs) != json_array_size(names) || json_array_size(dirs) > 64)
		return bh_error_set(err, BH_ERR_INVALID, "state: bad cgroup record");
	cg->layout = (enum rt_cg_layout)layout;
	cg->path = bh_strdup(path);
	for (i = 0; i < json_array_size(dirs); i++) {
		const char *d = json_string_value(json_array_get(dirs, i));
		const char *n = json_string_value(json_array_get(names, i));

		if (!d || !n || !bh_str_has_prefix(d, CG_ROOT "/") || strstr(d, "..")) {
			rt_cgroup_release(cg);
			return bh_error_set(err, BH_ERR_INVALID, "state: bad cgroup directory");
		}
		add_dir(cg, n, d);
	}
	return 0;
}
