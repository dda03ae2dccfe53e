/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container inventory over fixture host roots (tests/data/containers/root:
 * each runtime's and engine's layout, live processes faked under proc/, and
 * hostile state files), and the parsers of untrusted state files; the state
 * directories a guard watches (defaults, under a given root, RUNTIME:/DIR
 * options, hostile options and namespace directories).
 * Run from the repository root (tests/data is relative).
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/containers.h"
#include "bulkhead/runtime.h"
#include "banned.h"

#define ROOT	  "tests/data/containers/root"
#define PODMAN_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct bh_ctr *find(const struct bh_ctr_list *l, const char *id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].id, id))
			return &l->v[i];
	return NULL;
}

static bool warned(const struct bh_ctr_list *l, const char *needle)
{
	size_t i;

	for (i = 0; i < l->nwarnings; i++)
		if (strstr(l->warnings[i], needle))
			return true;
	return false;
}

static struct bh_ctr_list *list(struct bh_ctr_opts *o)
{
	struct bh_ctr_list *l = NULL;
	struct bh_error *err = NULL;

	o->root = ROOT;
	if (!o->docker_socket)
		o->docker_socket = ""; /* no Docker engine in the fixture */
	assert_int_equal(bh_ctr_list(o, &l, &err), 0);
	assert_null(err);
	return l;
}

static const char *cg_path(const struct bh_ctr *c, const char *controller)
{
	size_t i;

	for (i = 0; i < c->ncgroups; i++)
		if (!strcmp(c->cgroups[i].controller, controller))
			return c->cgroups[i].path;
	return NULL;
}

static void test_every_engine_found(void **state)
{
	struct bh_ctr_opts o = { 0 };
	struct bh_ctr_list *l = list(&o);
	const struct bh_ctr *c;

	(void)state;
	/* running and created ones: r1, podman, c1, b1, b2, d1, k1, o1, cfglink, moby */
	assert_int_equal(l->n, 10);
	/* a runc container named "moby" is not dockerd's */
	c = find(l, "moby");
	assert_non_null(c);
	assert_int_equal(c->engine, BH_CTR_RUNC);

	c = find(l, "r1");
	assert_non_null(c);
	assert_int_equal(c->engine, BH_CTR_RUNC);
	assert_string_equal(c->runtime, "runc");
	assert_string_equal(c->status, "running");
	assert_int_equal(c->pid, 4001);
	assert_string_equal(c->bundle, "/bundles/r1");
	assert_string_equal(c->pod_name, "web");
	assert_string_equal(c->pod_namespace, "shop");
	assert_string_equal(c->pod_uid, "u-1");
	assert_string_equal(c->name, "r1");
	assert_non_null(c->config);
	assert_non_null(c->spec);
	/* the kernel's word (/proc/PID/cgroup), not the state's */
	assert_string_equal(cg_path(c, "memory"), "/process_api/x/r1");
	assert_string_equal(cg_path(c, ""), "/r1");

	c = find(l, PODMAN_ID);
	assert_non_null(c);
	assert_int_equal(c->engine, BH_CTR_PODMAN);
	assert_string_equal(c->runtime, "runc");
	assert_string_equal(c->name, "web1");
	assert_string_equal(c->image, "localhost/alpine:3.19.4");
	assert_string_equal(
		c->image_id,
		"sha256:ba33e83de5e75ea77b10d7ef085149603cfbb21f8bd82c2106ec67a7f23fab15");
	assert_non_null(c->image_digest);
	assert_true(bh_str_has_prefix(c->image_digest, "sha256:dddd"));

	c = find(l, "c1");
	assert_non_null(c);
	assert_int_equal(c->engine, BH_CTR_CRUN);
	/* crun's own copy of the config, not the (absent) bundle's */
	assert_string_equal(bh_json_str(c->annotations, "org.example"), "crun-copy");
	assert_string_equal(cg_path(c, "pids"), "/c1");
	assert_string_equal(cg_path(c, ""), "/");

	c = find(l, "b1");
	assert_non_null(c);
	assert_int_equal(c->engine, BH_CTR_BULKHEAD);
	assert_string_equal(c->status, "running");
	assert_non_null(c->spec);
	c = find(l, "b2");
	assert_non_null(c);
	assert_string_equal(c->status, "created");

	c = find(l, "d1");
	assert_non_null(c);
	assert_int_equal(c->engine, BH_CTR_DOCKER);
	/* no Engine API here: dockerd's record on disk */
	assert_string_equal(c->name, "web-d1");
	assert_string_equal(c->image, "nginx:1.27");
	assert_true(bh_str_has_prefix(c->image_id, "sha256:ffff"));
	assert_string_equal(bh_json_str(c->labels, "com.example"), "yes");

	c = find(l, "k1");
	assert_non_null(c);
	assert_int_equal(c->engine, BH_CTR_CONTAINERD);
	assert_string_equal(c->name, "api");
	assert_string_equal(c->image, "registry.example/api:1");
	assert_string_equal(c->pod_name, "api-7d9");
	assert_string_equal(c->pod_namespace, "prod");
	assert_string_equal(c->pod_uid, "u-2");

	c = find(l, "o1");
	assert_non_null(c);
	assert_int_equal(c->engine, BH_CTR_CRIO);
	assert_string_equal(c->name, "k8s_db");
	assert_string_equal(c->image, "quay.io/x/db:2");
	assert_string_equal(c->pod_name, "db-0");
	assert_string_equal(bh_json_str(c->labels, "tier"), "data");
	assert_true(bh_str_has_prefix(c->image_id, "sha256:eeee"));

	/* a config.json that is a symlink is not followed: the container stays,
	 * without its config, saying why */
	c = find(l, "cfglink");
	assert_non_null(c);
	assert_null(c->config);
	assert_non_null(c->config_error);
	assert_non_null(strstr(c->config_error, "symlink"));
	bh_ctr_list_free(l);
}

static void test_hostile_state_files_warn(void **state)
{
	struct bh_ctr_opts o = { 0 };
	struct bh_ctr_list *l = list(&o);

	(void)state;
	assert_null(find(l, "trunc"));
	assert_null(find(l, "neg"));
	assert_null(find(l, "zero"));
	assert_null(find(l, "big"));
	assert_null(find(l, "other"));
	assert_null(find(l, "wrongid"));
	assert_null(find(l, "dup"));
	assert_null(find(l, "badlabels"));
	assert_null(find(l, "types"));
	assert_null(find(l, "badcg"));
	assert_null(find(l, "link"));
	assert_null(find(l, "dirlink"));
	assert_true(warned(l, "trunc/state.json"));
	assert_true(warned(l, "not a process ID"));
	assert_true(warned(l, "names container other"));
	assert_true(warned(l, "duplicate"));
	assert_true(warned(l, "KEY=VALUE"));
	assert_true(warned(l, "symlink"));
	assert_true(warned(l, "cgroup-path"));
	bh_ctr_list_free(l);
}

static void test_stopped_and_reused_pids(void **state)
{
	struct bh_ctr_opts o = { .include_stopped = true };
	struct bh_ctr_list *l = list(&o);
	const struct bh_ctr *c;

	(void)state;
	c = find(l, "r2");
	assert_non_null(c);
	assert_string_equal(c->status, "stopped");
	/* from the state: the directory turned into a path in its hierarchy */
	assert_string_equal(cg_path(c, "pids"), "/r2");
	/* r3's pid now runs something else (another start time) */
	c = find(l, "r3");
	assert_non_null(c);
	assert_string_equal(c->status, "stopped");
	bh_ctr_list_free(l);
}

static void test_engine_filter(void **state)
{
	struct bh_ctr_opts o = { .engine = BH_CTR_PODMAN };
	struct bh_ctr_list *l = list(&o);

	(void)state;
	assert_int_equal(l->n, 1);
	assert_string_equal(l->v[0].id, PODMAN_ID);
	bh_ctr_list_free(l);
	assert_int_equal(bh_ctr_engine_parse("cri-o"), BH_CTR_CRIO);
	assert_int_equal(bh_ctr_engine_parse("nope"), BH_CTR_UNKNOWN);
	assert_string_equal(bh_ctr_engine_name(BH_CTR_CONTAINERD), "containerd");
}

static void test_lookup_pid_and_cgroup(void **state)
{
	struct bh_ctr_opts o = { 0 };
	struct bh_ctr_list *l = list(&o);
	struct bh_error *err = NULL;
	const struct bh_ctr *c;

	(void)state;
	c = bh_ctr_lookup_pid(l, &o, 4001, &err);
	assert_non_null(c);
	assert_string_equal(c->id, "r1");
	/* a process moved to a sub-cgroup still attributes */
	c = bh_ctr_lookup_pid(l, &o, 5001, &err);
	assert_non_null(c);
	assert_string_equal(c->id, "r1");
	/* the host */
	assert_null(bh_ctr_lookup_pid(l, &o, 5000, &err));
	assert_null(err);
	/* crun's container sits in the cgroup2 root here: "/" attributes nothing */
	c = bh_ctr_lookup_pid(l, &o, 4020, &err);
	assert_non_null(c);
	assert_string_equal(c->id, "c1");
	assert_null(bh_ctr_lookup_cgroup(l, "", "/"));
	/* no such process */
	assert_null(bh_ctr_lookup_pid(l, &o, 7777, &err));
	assert_error(err, BH_ERR_NOTFOUND, "7777");
	bh_error_clear(&err);
	/* by path, per hierarchy; prefixes only at a '/' */
	c = bh_ctr_lookup_cgroup(l, "pids", "/kubepods/podu-3/crio-o1/x");
	assert_non_null(c);
	assert_string_equal(c->id, "o1");
	assert_null(bh_ctr_lookup_cgroup(l, "pids", "/r10"));
	c = bh_ctr_lookup_cgroup(l, "cpuacct", "/bulkhead/b1");
	assert_non_null(c);
	assert_string_equal(c->id, "b1");
	assert_null(bh_ctr_lookup_cgroup_id(l, &o, 0));
	bh_ctr_list_free(l);
}

static void test_json_has_everything(void **state)
{
	struct bh_ctr_opts o = { 0 };
	struct bh_ctr_list *l = list(&o);
	const struct bh_ctr *c = find(l, PODMAN_ID);
	json_t *j;

	(void)state;
	j = bh_ctr_to_json(c);
	assert_string_equal(bh_json_str(j, "engine"), "podman");
	assert_string_equal(bh_json_str(j, "name"), "web1");
	assert_non_null(bh_json_obj(j, "config"));
	assert_non_null(bh_json_arr(j, "cgroups"));
	assert_string_equal(bh_json_str(json_array_get(bh_json_arr(j, "cgroups"), 0), "controller"),
			    "name=systemd");
	json_decref(j);
	bh_ctr_list_free(l);
}

/* A state file over the limit, a FIFO as a state file: refused, never read whole or waited on. */
static void test_huge_and_special_files(void **state)
{
	char *d = unit_mktmp(), *p;
	struct bh_ctr_opts o = { .docker_socket = "" };
	struct bh_ctr_list *l = NULL;
	struct bh_error *err = NULL;
	int fd;

	(void)state;
	o.root = d;
	p = bh_asprintf("%s/run/runc/huge", d);
	assert_int_equal(bh_mkdirs(p, 0755, 0755, NULL), 0);
	free(p);
	p = bh_asprintf("%s/run/runc/huge/state.json", d);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 64 << 20), 0);
	close(fd);
	free(p);
	p = bh_asprintf("%s/run/crun/fifo", d);
	assert_int_equal(bh_mkdirs(p, 0755, 0755, NULL), 0);
	free(p);
	p = bh_asprintf("%s/run/crun/fifo/status", d);
	assert_int_equal(mkfifo(p, 0600), 0);
	free(p);
	assert_int_equal(bh_ctr_list(&o, &l, &err), 0);
	assert_int_equal(l->n, 0);
	assert_true(warned(l, "over the limit"));
	assert_true(warned(l, "not a regular file"));
	bh_ctr_list_free(l);
	unit_rmtmp(d);
}

static void test_bad_state_root_option(void **state)
{
	const char *roots[] = { "nosuch:/x", NULL };
	struct bh_ctr_opts o = { .root = ROOT, .docker_socket = "", .state_roots = roots };
	struct bh_ctr_list *l = NULL;
	struct bh_error *err = NULL;

	(void)state;
	assert_int_equal(bh_ctr_list(&o, &l, &err), -1);
	assert_null(l);
	assert_error(err, BH_ERR_USAGE, "nosuch:/x");
	bh_error_free(err);
	err = NULL;
	o.root = "/nonexistent-root";
	o.state_roots = NULL;
	assert_int_equal(bh_ctr_list(&o, &l, &err), -1);
	assert_non_null(err);
	bh_error_free(err);
}

static void test_parsers(void **state)
{
	struct bh_ctr c = { 0 };
	struct bh_error *err = NULL;
	const char *cg = "2:cpu,cpuacct:/a\n1:name=systemd:/a/b\n0::/a\n";

	(void)state;
	c.labels = json_object();
	c.annotations = json_object();
	assert_int_equal(bh_ctr_parse_proc_cgroup(cg, strlen(cg), &c, &err), 0);
	assert_int_equal(c.ncgroups, 3);
	assert_string_equal(c.cgroups[0].controller, "cpu,cpuacct");
	assert_string_equal(c.cgroups[2].controller, "");
	assert_int_equal(bh_ctr_parse_proc_cgroup("x", 1, &c, &err), -1);
	assert_error(err, BH_ERR_INVALID, "malformed");
	bh_error_clear(&err);
	assert_int_equal(bh_ctr_parse_proc_cgroup("0::relative\n", 12, &c, &err), -1);
	bh_error_clear(&err);
	assert_int_equal(bh_ctr_parse_runc_state("[]", 2, &c, &err), -1);
	assert_error(err, BH_ERR_INVALID, "not an object");
	bh_error_clear(&err);
	assert_int_equal(bh_ctr_parse_crun_status("{\"pid\": 1, \"bundle\": 3}", 23, &c, &err), -1);
	assert_error(err, BH_ERR_INVALID, "bundle");
	bh_error_clear(&err);
	assert_int_equal(bh_ctr_parse_bulkhead_state("{\"id\":\"a/b\"}", 12, &c, &err), -1);
	assert_error(err, BH_ERR_INVALID, "id");
	bh_error_clear(&err);
	bh_ctr_release(&c);
	bh_ctr_release(NULL);
}

/* ---- bh_ctr_state_dirs ------------------------------------------------------------------ */

static bool has(const struct bh_strvec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return true;
	return false;
}

static size_t index_of(const struct bh_strvec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return i;
	fail_msg("'%s' not among the state directories", s);
	return 0;
}

/* Every runtime's default roots, in the runtimes' order: bulkhead, runc, crun. */
static const char *const default_dirs[] = {
	"/run/bulkhead", "/run/docker/runtime-bulkhead/moby", "/run/containerd/bulkhead/*",
	"/run/runc",	 "/run/docker/runtime-runc/moby",     "/run/containerd/runc/*",
	"/run/crun",	 "/run/docker/runtime-crun/moby",     "/run/containerd/crun/*",
};
#define NDEFAULT (sizeof(default_dirs) / sizeof(default_dirs[0]))

static void mkdir_in(const char *root, const char *rel)
{
	char *p = bh_asprintf("%s%s", root, rel);

	assert_int_equal(bh_mkdirs(p, 0755, 0755, NULL), 0);
	free(p);
}

/* No root given: the host's roots, unprefixed, each default named even when missing. */
static void test_state_dirs_defaults(void **state)
{
	struct bh_strvec v = BH_STRVEC_INIT;
	struct bh_error *err = NULL;
	struct bh_ctr_opts o = { .root = "/" };
	size_t last = 0;

	(void)state;
	assert_int_equal(bh_ctr_state_dirs(NULL, &v, &err), 0);
	assert_null(err);
	for (size_t i = 0; i < NDEFAULT; i++) {
		size_t at = index_of(&v, default_dirs[i]);

		assert_true(i == 0 || at > last);
		last = at;
	}
	/* what else is named is a namespace of a starred root, found on this host */
	for (size_t i = 0; i < v.n; i++) {
		bool known = false;

		for (size_t k = 0; k < NDEFAULT && !known; k++) {
			size_t pl = strlen(default_dirs[k]) - 1;

			known = !strcmp(v.v[i], default_dirs[k]) ||
				(default_dirs[k][pl] == '*' &&
				 !strncmp(v.v[i], default_dirs[k], pl) &&
				 !strchr(v.v[i] + pl, '/'));
		}
		assert_true(known);
	}
	/* "/" is no prefix */
	{
		struct bh_strvec w = BH_STRVEC_INIT;

		assert_int_equal(bh_ctr_state_dirs(&o, &w, &err), 0);
		assert_int_equal(w.n, v.n);
		assert_string_equal(w.v[0], "/run/bulkhead");
		bh_strvec_release(&w);
	}
	bh_strvec_release(&v);
}

/* A root given: every path under it; a starred root's namespaces are its real
 * directories, not its files, links, dot-directories or badly named entries. */
static void test_state_dirs_root(void **state)
{
	char *d = unit_mktmp(), *p;
	const char *roots[] = { "runc:/x/moby", "crun:/y/*", NULL };
	struct bh_ctr_opts o = { .docker_socket = "", .state_roots = roots };
	struct bh_strvec v = BH_STRVEC_INIT;
	struct bh_error *err = NULL;
	size_t star;
	int fd;

	(void)state;
	o.root = d;
	mkdir_in(d, "/run/containerd/runc/k8s.io");
	mkdir_in(d, "/run/containerd/runc/moby");
	mkdir_in(d, "/run/containerd/runc/.hidden");
	mkdir_in(d, "/run/containerd/runc/bad name");
	mkdir_in(d, "/run/containerd/runc/bad\nline");
	mkdir_in(d, "/y/ns-a");
	p = bh_asprintf("%s/run/containerd/runc/afile", d);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	free(p);
	p = bh_asprintf("%s/run/containerd/runc/alink", d);
	assert_int_equal(symlink("/", p), 0);
	free(p);

	assert_int_equal(bh_ctr_state_dirs(&o, &v, &err), 0);
	assert_null(err);
	/* 9 defaults + 2 namespaces, 2 options + 1 namespace */
	assert_int_equal(v.n, NDEFAULT + 2 + 2 + 1);
	for (size_t i = 0; i < v.n; i++)
		assert_true(!strncmp(v.v[i], d, strlen(d)) && v.v[i][strlen(d)] == '/');
	for (size_t i = 0; i < NDEFAULT; i++) {
		p = bh_asprintf("%s%s", d, default_dirs[i]);
		assert_true(has(&v, p));
		free(p);
	}
	/* the namespaces follow their starred root (readdir's order among them) */
	p = bh_asprintf("%s/run/containerd/runc/*", d);
	star = index_of(&v, p);
	free(p);
	for (size_t i = star + 1; i <= star + 2; i++) {
		p = bh_asprintf("%s/run/containerd/runc/", d);
		assert_true(!strncmp(v.v[i], p, strlen(p)));
		assert_true(!strcmp(v.v[i] + strlen(p), "k8s.io") ||
			    !strcmp(v.v[i] + strlen(p), "moby"));
		free(p);
	}
	assert_string_not_equal(v.v[star + 1], v.v[star + 2]);
	/* the options last, in their order */
	p = bh_asprintf("%s/x/moby", d);
	assert_string_equal(v.v[v.n - 3], p);
	free(p);
	p = bh_asprintf("%s/y/*", d);
	assert_string_equal(v.v[v.n - 2], p);
	free(p);
	p = bh_asprintf("%s/y/ns-a", d);
	assert_string_equal(v.v[v.n - 1], p);
	free(p);
	bh_strvec_release(&v);

	/* a root that does not exist: the paths are still named, no namespace found */
	o.root = "/nonexistent-bulkhead-root";
	o.state_roots = NULL;
	assert_int_equal(bh_ctr_state_dirs(&o, &v, &err), 0);
	assert_int_equal(v.n, NDEFAULT);
	assert_string_equal(v.v[0], "/nonexistent-bulkhead-root/run/bulkhead");
	bh_strvec_release(&v);
	unit_rmtmp(d);
}

/* A state root that is not RUNTIME:/DIR: BH_ERR_USAGE naming it, whatever came before. */
static void test_state_dirs_hostile(void **state)
{
	static const char *const bad[] = {
		"",	    ":",	  "runc",      "runc:",	    "runc:relative",
		":/x",	    "nosuch:/x",  "RUNC:/x",   "runc :/x",  "runc:/x/../../etc",
		"runc:/..", "crun:/a/..", "crun//:/x", "docker:/x",
	};
	struct bh_error *err = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *roots[] = { "runc:/fine", bad[i], NULL };
		struct bh_ctr_opts o = { .root = "/nonexistent-bulkhead-root",
					 .state_roots = roots };
		struct bh_strvec v = BH_STRVEC_INIT;

		assert_int_equal(bh_ctr_state_dirs(&o, &v, &err), -1);
		assert_error(err, BH_ERR_USAGE, "not RUNTIME:/DIR");
		{
			char *m = bh_error_message(err);

			assert_non_null(strstr(m, bad[i]));
			free(m);
		}
		bh_error_clear(&err);
		bh_strvec_release(&v);
	}
	/* a long DIR is named as given (nothing is opened that is not there) */
	{
		char *dir = bh_malloc(8192);
		const char *roots[] = { NULL, NULL };
		struct bh_ctr_opts o = { .root = "/nonexistent-bulkhead-root",
					 .state_roots = roots };
		struct bh_strvec v = BH_STRVEC_INIT;

		memcpy(dir, "runc:", 5);
		for (size_t i = 5; i < 8190; i += 2)
			memcpy(dir + i, "/a", 2);
		dir[8191] = 0;
		dir[8190] = '*';
		dir[8189] = '/';
		roots[0] = dir;
		assert_int_equal(bh_ctr_state_dirs(&o, &v, &err), 0);
		assert_int_equal(v.n, NDEFAULT + 1);
		assert_int_equal(strlen(v.v[NDEFAULT]),
				 strlen("/nonexistent-bulkhead-root") + strlen(dir) - 5);
		bh_strvec_release(&v);
		free(dir);
	}
}

/* bh_ctr_watch: a container directory made in a root, its state written, a
 * starred root's new namespace and its container, a root made later. */
static void touch_in(const char *root, const char *rel)
{
	char *p = bh_asprintf("%s%s", root, rel);
	FILE *f = fopen(p, "we");

	assert_non_null(f);
	fputs("{}", f);
	fclose(f);
	free(p);
}

static void test_watch(void **state)
{
	char *d = unit_mktmp();
	const char *roots[] = { "runc:/x/moby", "crun:/y/*", "runc:/late", NULL };
	struct bh_ctr_opts o = { .docker_socket = "", .state_roots = roots };
	struct bh_error *err = NULL;
	struct bh_ctr_watch *w = NULL;

	(void)state;
	o.root = d;
	mkdir_in(d, "/x/moby");
	mkdir_in(d, "/y/ns-a");
	assert_int_equal(bh_ctr_watch_new(&o, &w, &err), 0);
	assert_null(err);
	assert_true(bh_ctr_watch_fd(w) >= 0);
	assert_false(bh_ctr_watch_changed(w));
	mkdir_in(d, "/x/moby/c1");
	assert_true(bh_ctr_watch_changed(w));
	assert_false(bh_ctr_watch_changed(w));
	touch_in(d, "/x/moby/c1/state.json"); /* the new directory is watched */
	assert_true(bh_ctr_watch_changed(w));
	mkdir_in(d, "/x/moby/c1/sub"); /* one level below a root only */
	touch_in(d, "/x/moby/c1/sub/f");
	assert_true(bh_ctr_watch_changed(w)); /* sub's creation */
	touch_in(d, "/x/moby/c1/sub/g");
	assert_false(bh_ctr_watch_changed(w));
	/* a starred root: a new namespace, then a container in it, then its state */
	mkdir_in(d, "/y/ns-b");
	assert_true(bh_ctr_watch_changed(w));
	mkdir_in(d, "/y/ns-b/c2");
	assert_true(bh_ctr_watch_changed(w));
	touch_in(d, "/y/ns-b/c2/status");
	assert_true(bh_ctr_watch_changed(w));
	/* a root that was not there: seen once watched again */
	mkdir_in(d, "/late");
	assert_false(bh_ctr_watch_changed(w));
	bh_ctr_watch_roots(w);
	mkdir_in(d, "/late/c3");
	assert_true(bh_ctr_watch_changed(w));
	/* a watched directory removed: its watch dropped (IN_IGNORED), no harm */
	unit_rmtmp(bh_asprintf("%s/x/moby/c1", d));
	(void)bh_ctr_watch_changed(w);
	bh_ctr_watch_free(w);
	bh_ctr_watch_free(NULL);
	assert_int_equal(bh_ctr_watch_fd(NULL), -1);
	assert_false(bh_ctr_watch_changed(NULL));
	unit_rmtmp(d);
}

/* bh_ctr_list_dirs: the named container directories alone, read as the full
 * list reads them (a runtime root's, a starred root's, a crun one); a path
 * of no root, a root itself, a ".." or another root's path: nothing. And
 * bh_ctr_dir_runtime names the runtime of the same directories (a gone one
 * too), none for the others. */
static void test_list_dirs(void **state)
{
	struct bh_ctr_opts o = { .root = ROOT, .docker_socket = "", .include_stopped = true };
	struct bh_strvec dirs = BH_STRVEC_INIT;
	struct bh_ctr_list *l = NULL, *full;
	struct bh_error *err = NULL;
	const struct bh_ctr *c;

	(void)state;
	bh_strvec_push(&dirs, ROOT "/run/runc/r1");
	bh_strvec_push(&dirs, ROOT "/run/containerd/runc/k8s.io/k1");
	bh_strvec_push(&dirs, ROOT "/run/crun/c1");
	bh_strvec_push(&dirs, ROOT "/run/runc");
	bh_strvec_push(&dirs, ROOT "/run/runc/../runc/r2");
	bh_strvec_push(&dirs, ROOT "/etc/r1");
	bh_strvec_push(&dirs, "/elsewhere" ROOT "/run/runc/o1");
	bh_strvec_push(&dirs, ROOT "/run/runc/nothere");
	assert_int_equal(bh_ctr_list_dirs(&o, &dirs, &l, &err), 0);
	assert_null(err);
	assert_int_equal(l->n, 3);
	/* bh_ctr_dir_runtime: the same roots, nothing read (nothere: gone) */
	assert_string_equal(bh_ctr_dir_runtime(&o, dirs.v[0]), "runc");
	assert_string_equal(bh_ctr_dir_runtime(&o, dirs.v[1]), "runc");
	assert_string_equal(bh_ctr_dir_runtime(&o, dirs.v[2]), "crun");
	for (size_t i = 3; i < 7; i++)
		assert_null(bh_ctr_dir_runtime(&o, dirs.v[i]));
	assert_string_equal(bh_ctr_dir_runtime(&o, dirs.v[7]), "runc");
	full = list(&o);
	c = find(l, "r1");
	assert_non_null(c);
	assert_string_equal(c->runtime, "runc");
	assert_int_equal(c->pid, 4001);
	assert_string_equal(c->name, "r1");
	assert_string_equal(cg_path(c, ""), cg_path(find(full, "r1"), ""));
	assert_string_equal(cg_path(c, "memory"), "/process_api/x/r1");
	assert_non_null(find(l, "k1"));
	assert_int_equal(find(l, "c1")->engine, BH_CTR_CRUN);
	bh_ctr_list_free(l);
	bh_ctr_list_free(full);
	bh_strvec_release(&dirs);
}

/* bh_ctr_watch_changed_dirs: each container directory made or written in,
 * once; a root's own change names none. */
static void test_watch_dirs(void **state)
{
	char *d = unit_mktmp(), *p;
	const char *roots[] = { "runc:/x/moby", "crun:/y/*", NULL };
	struct bh_ctr_opts o = { .docker_socket = "", .state_roots = roots };
	struct bh_strvec dirs = BH_STRVEC_INIT;
	struct bh_error *err = NULL;
	struct bh_ctr_watch *w = NULL;

	(void)state;
	o.root = d;
	mkdir_in(d, "/x/moby");
	mkdir_in(d, "/y/ns-a");
	assert_int_equal(bh_ctr_watch_new(&o, &w, &err), 0);
	mkdir_in(d, "/x/moby/c1");
	touch_in(d, "/x/moby/c1/state.json");
	touch_in(d, "/x/moby/c1/state.json");
	assert_true(bh_ctr_watch_changed_dirs(w, &dirs));
	assert_int_equal(dirs.n, 1);
	p = bh_asprintf("%s/x/moby/c1", d);
	assert_string_equal(dirs.v[0], p);
	free(p);
	bh_strvec_release(&dirs);
	touch_in(d, "/x/moby/c1/state.json");
	assert_true(bh_ctr_watch_changed_dirs(w, &dirs));
	assert_int_equal(dirs.n, 1);
	bh_strvec_release(&dirs);
	mkdir_in(d, "/y/ns-b"); /* a namespace: not a container */
	assert_true(bh_ctr_watch_changed_dirs(w, &dirs));
	assert_int_equal(dirs.n, 0);
	mkdir_in(d, "/y/ns-b/c2");
	assert_true(bh_ctr_watch_changed_dirs(w, &dirs));
	assert_int_equal(dirs.n, 1);
	p = bh_asprintf("%s/y/ns-b/c2", d);
	assert_string_equal(dirs.v[0], p);
	free(p);
	bh_strvec_release(&dirs);
	touch_in(d, "/x/moby/f"); /* a file in a root */
	assert_true(bh_ctr_watch_changed_dirs(w, &dirs));
	assert_int_equal(dirs.n, 0);
	bh_ctr_watch_free(w);
	unit_rmtmp(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_engine_found),
		cmocka_unit_test(test_hostile_state_files_warn),
		cmocka_unit_test(test_stopped_and_reused_pids),
		cmocka_unit_test(test_engine_filter),
		cmocka_unit_test(test_lookup_pid_and_cgroup),
		cmocka_unit_test(test_json_has_everything),
		cmocka_unit_test(test_huge_and_special_files),
		cmocka_unit_test(test_bad_state_root_option),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_state_dirs_defaults),
		cmocka_unit_test(test_state_dirs_root),
		cmocka_unit_test(test_state_dirs_hostile),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_list_dirs),
		cmocka_unit_test(test_watch_dirs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
