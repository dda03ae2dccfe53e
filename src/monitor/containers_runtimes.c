/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runtime state readers: one row per OCI runtime whose state directory
 * we read (<root>/<id>/<state file>), and the parsers of those files. Each
 * file is untrusted: bounded, strict JSON, every member type-checked; a
 * value out of range (a pid of 0 or below, a start time that does not fit)
 * makes the file invalid rather than being used.
 *
 *   bulkhead  <root>/<id>/state.json: id, status, pid, pid_start, bundle,
 *             created, annotations, cgroup {dirs[], names[]}
 *   runc      <root>/<id>/state.json: id, init_process_pid,
 *             init_process_start, created, config.labels ("bundle=DIR" and
 *             the annotations as "KEY=VALUE"), cgroup_paths {controller: dir}
 *   crun      <root>/<id>/status: pid, process-start-time, bundle, created,
 *             cgroup-path; the config.json crun copies beside it
 */
#include <limits.h>
#include <string.h>

#include "containers_internal.h"

#include "banned.h"

/* Default roots of each runtime: its own, and those the engines give it. */
static const char *const bulkhead_roots[] = {
	"/run/bulkhead",
	"/run/docker/runtime-bulkhead/moby",
	"/run/containerd/bulkhead/*",
	NULL,
};
static const char *const runc_roots[] = {
	"/run/runc",			 /* runc, podman, CRI-O */
	"/run/docker/runtime-runc/moby", /* dockerd (through containerd's shim) */
	"/run/containerd/runc/*",	 /* containerd, one directory per namespace */
	NULL,
};
static const char *const crun_roots[] = {
	"/run/crun",
	"/run/docker/runtime-crun/moby",
	"/run/containerd/crun/*",
	NULL,
};

static int parse_pid(const json_t *st, const char *key, struct bh_ctr *c, bool zero_ok,
		     struct bh_error **err)
{
	json_int_t v;
	json_t *j = json_object_get(st, key);

	if (!j)
		return zero_ok ? 0 : bh_error_set(err, BH_ERR_INVALID, "no \"%s\"", key);
	if (!json_is_integer(j))
		return bh_error_set(err, BH_ERR_INVALID, "\"%s\" is not an integer", key);
	v = json_integer_value(j);
	if (v < 0 || v > INT_MAX || (v == 0 && !zero_ok))
		return bh_error_set(err, BH_ERR_INVALID, "\"%s\" %lld is not a process ID", key,
				    (long long)v);
	c->pid = (pid_t)v;
	return 0;
}

static int parse_start(const json_t *st, const char *key, struct bh_ctr *c, struct bh_error **err)
{
	json_t *j = json_object_get(st, key);

	if (!j)
		return 0;
	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return bh_error_set(err, BH_ERR_INVALID, "\"%s\" is not a start time", key);
	c->pid_start = (uint64_t)json_integer_value(j);
	return 0;
}

/* A string member that must be a string when present. */
static int opt_str(const json_t *st, const char *key, char **field, struct bh_error **err)
{
	json_t *j = json_object_get(st, key);

	if (!j || json_is_null(j))
		return 0;
	if (!json_is_string(j))
		return bh_error_set(err, BH_ERR_INVALID, "\"%s\" is not a string", key);
	ctr_set(field, json_string_value(j));
	return 0;
}

/* The state file's id: required, a sane container ID. */
static int parse_id(const json_t *st, struct bh_ctr *c, struct bh_error **err)
{
	const char *id = bh_json_str(st, "id");
	size_t i;

	if (!id || !*id || strlen(id) > 1024 || !strcmp(id, ".") || !strcmp(id, ".."))
		return bh_error_set(err, BH_ERR_INVALID, "no valid \"id\"");
	for (i = 0; id[i]; i++)
		if (!bh_isalnum((unsigned char)id[i]) && !strchr("_+.-", id[i]))
			return bh_error_set(err, BH_ERR_INVALID,
					    "\"id\" has a character outside [A-Za-z0-9_+.-]");
	ctr_set(&c->id, id);
	return 0;
}

static void add_cgroup(struct bh_ctr *c, const char *controller, const char *path)
{
	if (c->ncgroups >= CTR_MAX_CGROUPS)
		return;
	c->cgroups = bh_reallocarray(c->cgroups, c->ncgroups + 1, sizeof(*c->cgroups));
	c->cgroups[c->ncgroups].controller = bh_strdup(controller);
	c->cgroups[c->ncgroups].path = bh_strdup(path);
	c->cgroups[c->ncgroups].id = 0;
	c->ncgroups++;
}

static int load(const char *buf, size_t len, const char *what, json_t **st, struct bh_error **err)
{
	if (bh_json_parse(buf, len, CTR_STATE_MAX, what, st, err) < 0)
		return -1;
	if (!json_is_object(*st)) {
		json_decref(*st);
		*st = NULL;
		return bh_error_set(err, BH_ERR_INVALID, "%s: not an object", what);
	}
	return 0;
}

/*
 * Cgroup directories as the state files record them, absolute host paths
 * (/sys/fs/cgroup/memory/x): kept in c->cgroups with the controller named
 * and the directory as given; containers.c turns each into a path inside
 * its hierarchy through the mount table once it has it.
 */
int bh_ctr_parse_bulkhead_state(const char *buf, size_t len, struct bh_ctr *c,
				struct bh_error **err)
{
	json_t *st = NULL, *cg, *dirs, *names, *ann;
	size_t i;
	int r = -1;

	if (load(buf, len, "state.json", &st, err) < 0)
		return -1;
	if (parse_id(st, c, err) < 0 || parse_pid(st, "pid", c, true, err) < 0 ||
	    parse_start(st, "pid_start", c, err) < 0 ||
	    opt_str(st, "bundle", &c->bundle, err) < 0 ||
	    opt_str(st, "created", &c->created, err) < 0 ||
	    opt_str(st, "status", &c->status, err) < 0)
		goto out;
	ann = json_object_get(st, "annotations");
	if (ann && !json_is_object(ann) && !json_is_null(ann)) {
		bh_error_set(err, BH_ERR_INVALID, "\"annotations\" is not an object");
		goto out;
	}
	json_decref(c->annotations);
	c->annotations = ctr_string_object(ann);
	cg = json_object_get(st, "cgroup");
	if (cg) {
		dirs = bh_json_arr(cg, "dirs");
		names = bh_json_arr(cg, "names");
		if (!dirs || !names || json_array_size(dirs) != json_array_size(names) ||
		    json_array_size(dirs) > CTR_MAX_CGROUPS) {
			bh_error_set(err, BH_ERR_INVALID, "\"cgroup\" is malformed");
			goto out;
		}
		for (i = 0; i < json_array_size(dirs); i++) {
			const char *d = json_string_value(json_array_get(dirs, i));
			const char *n = json_string_value(json_array_get(names, i));
			if (!d || !n || d[0] != '/') {
				bh_error_set(err, BH_ERR_INVALID, "\"cgroup\" is malformed");
				goto out;
			}
			/* bulkhead names the hierarchy by its directory: "unified"
			 * is the cgroup2 one, "systemd" the named one */
			add_cgroup(c,
				   !strcmp(n, "unified")   ? ""
				   : !strcmp(n, "systemd") ? "name=systemd"
							   : n,
				   d);
		}
	}
	r = 0;
out:
	json_decref(st);
	return r;
}

int bh_ctr_parse_runc_state(const char *buf, size_t len, struct bh_ctr *c, struct bh_error **err)
{
	json_t *st = NULL, *cfg, *labels, *paths, *v;
	const char *key;
	size_t i;
	int r = -1;

	if (load(buf, len, "state.json", &st, err) < 0)
		return -1;
	if (parse_id(st, c, err) < 0 || parse_pid(st, "init_process_pid", c, false, err) < 0 ||
	    parse_start(st, "init_process_start", c, err) < 0 ||
	    opt_str(st, "created", &c->created, err) < 0)
		goto out;
	cfg = json_object_get(st, "config");
	if (cfg && !json_is_object(cfg)) {
		bh_error_set(err, BH_ERR_INVALID, "\"config\" is not an object");
		goto out;
	}
	labels = cfg ? json_object_get(cfg, "labels") : NULL;
	if (labels && !json_is_array(labels) && !json_is_null(labels)) {
		bh_error_set(err, BH_ERR_INVALID, "\"config.labels\" is not an array");
		goto out;
	}
	json_array_foreach (labels, i, v) {
		const char *l = json_string_value(v), *eq;
		char *k;
		if (!l || !(eq = strchr(l, '='))) {
			bh_error_set(err, BH_ERR_INVALID, "\"config.labels\"[%zu] is not KEY=VALUE",
				     i);
			goto out;
		}
		k = bh_asprintf("%.*s", (int)(eq - l), l);
		if (!strcmp(k, "bundle"))
			ctr_set(&c->bundle, eq + 1);
		else
			json_object_set_new(c->annotations, k, json_string(eq + 1));
		free(k);
	}
	paths = json_object_get(st, "cgroup_paths");
	if (paths && !json_is_object(paths) && !json_is_null(paths)) {
		bh_error_set(err, BH_ERR_INVALID, "\"cgroup_paths\" is not an object");
		goto out;
	}
	json_object_foreach (paths, key, v) {
		const char *d = json_string_value(v);
		if (!d || d[0] != '/' || strlen(key) > 256) {
			bh_error_set(err, BH_ERR_INVALID, "\"cgroup_paths\" is malformed");
			goto out;
		}
		add_cgroup(c, key, d);
	}
	r = 0;
out:
	json_decref(st);
	return r;
}

int bh_ctr_parse_crun_status(const char *buf, size_t len, struct bh_ctr *c, struct bh_error **err)
{
	json_t *st = NULL, *j;
	int r = -1;

	if (load(buf, len, "status", &st, err) < 0)
		return -1;
	/* crun's status has no id: the directory names it (the caller sets it) */
	if (parse_pid(st, "pid", c, false, err) < 0 ||
	    parse_start(st, "process-start-time", c, err) < 0 ||
	    opt_str(st, "bundle", &c->bundle, err) < 0 ||
	    opt_str(st, "created", &c->created, err) < 0)
		goto out;
	j = json_object_get(st, "cgroup-path");
	if (j && !json_is_string(j)) {
		bh_error_set(err, BH_ERR_INVALID, "\"cgroup-path\" is not a string");
		goto out;
	}
	/* one path, the same in every hierarchy crun used: "*" until the
	 * process's own /proc/PID/cgroup says which */
	if (j && json_string_value(j)[0] == '/')
		add_cgroup(c, "*", json_string_value(j));
	r = 0;
out:
	json_decref(st);
	return r;
}

const struct ctr_runtime ctr_runtimes[] = {
	{ "bulkhead", BH_CTR_BULKHEAD, bulkhead_roots, "state.json", bh_ctr_parse_bulkhead_state },
	{ "runc", BH_CTR_RUNC, runc_roots, "state.json", bh_ctr_parse_runc_state },
	{ "crun", BH_CTR_CRUN, crun_roots, "status", bh_ctr_parse_crun_status },
	{ NULL, 0, NULL, NULL, NULL },
};

const struct ctr_runtime *ctr_runtime_find(const char *name)
{
	const struct ctr_runtime *r;

	for (r = ctr_runtimes; r->name; r++)
		if (!strcmp(r->name, name))
			return r;
	return NULL;
}
