/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The state store: <root>/<id>/state.json holds the runtime-spec state and
 * what the runtime keeps beside it (the init's start time, the cgroup
 * directories, the supervisor's pid). It is replaced atomically; lifecycle
 * commands hold a flock on <root>/<id> while they change it. The status is
 * never trusted as written: it is derived from the init process (its pid
 * and start time), the exec fifo and the freezer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/runtime.h"
#include "internal.h"
#include "banned.h"

const char *rt_state_root(const struct bh_rt_ctx *ctx)
{
	return ctx && ctx->root ? ctx->root : BH_RT_DEFAULT_ROOT;
}

char *rt_state_dir(const struct bh_rt_ctx *ctx, const char *id)
{
	return bh_asprintf("%s/%s", rt_state_root(ctx), id);
}

int rt_state_write(const char *dir, json_t *st, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(RT_MAX_STATE);
	char *path = bh_asprintf("%s/state.json", dir);
	int r = -1;

	if (bh_json_dump_buf(st, JSON_COMPACT, &b, err) == 0)
		r = bh_write_file_atomic(path, b.data, b.len, 0600, err);
	bh_buf_release(&b);
	free(path);
	return r;
}

int rt_state_read(const struct bh_rt_ctx *ctx, const char *id, json_t **out, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(RT_MAX_STATE);
	char *dir, *path;
	int r;

	*out = NULL;
	if (bh_rt_id_check(id, err) < 0)
		return -1;
	dir = rt_state_dir(ctx, id);
	path = bh_asprintf("%s/state.json", dir);
	r = bh_read_file(path, &b, err);
	if (r < 0 && bh_error_errno(err ? *err : NULL) == ENOENT) {
		struct stat st;

		bh_error_clear(err);
		if (stat(dir, &st) == 0)
			bh_error_set(err, BH_ERR_NOTFOUND,
				     "container %s has no state (its runtime died while creating "
				     "it?); 'delete --force %s' cleans it up",
				     id, id);
		else
			bh_error_set(err, BH_ERR_NOTFOUND, "container %s does not exist", id);
	} else if (r == 0) {
		r = bh_json_parse(b.data ? b.data : "", b.len, RT_MAX_STATE, "state.json", out,
				  err);
		if (r == 0 && !json_is_object(*out)) {
			json_decref(*out);
			*out = NULL;
			r = bh_error_set(err, BH_ERR_INVALID, "state.json of %s is corrupt", id);
		}
	}
	bh_buf_release(&b);
	free(path);
	free(dir);
	return r < 0 ? -1 : 0;
}

/* Lock the container's directory against concurrent lifecycle commands. */
int rt_state_lock(const char *dir, struct bh_error **err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return bh_error_sys(err, errno, "opening %s", dir);
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return bh_error_sys(err, errno, "locking %s", dir);
	}
	return fd;
}

/* created / running / paused / stopped, from the process and the fifo. */
const char *rt_state_status(const struct bh_rt_ctx *ctx, const char *id, json_t *st)
{
	json_int_t pid = 0, start = 0;
	const char *stored = bh_json_str(st, "status");
	char pstate = 0, *fifo, *dir;
	bool fifo_exists;
	struct rt_cgroup cg;

	bh_json_int(st, "pid", &pid);
	bh_json_int(st, "pid_start", &start);
	if (stored && !strcmp(stored, "creating") && pid <= 0)
		return "creating";
	if (pid <= 0)
		return "stopped";
	if (rt_proc_starttime((pid_t)pid, &pstate) != (uint64_t)start || pstate == 'Z' ||
	    pstate == 'X')
		return "stopped";
	dir = rt_state_dir(ctx, id);
	fifo = bh_asprintf("%s/exec.fifo", dir);
	fifo_exists = access(fifo, F_OK) == 0;
	free(fifo);
	free(dir);
	if (fifo_exists)
		return "created";
	if (json_object_get(st, "cgroup") &&
	    rt_cgroup_from_json(json_object_get(st, "cgroup"), &cg, NULL) == 0) {
		int f = rt_cgroup_frozen(&cg);

		rt_cgroup_release(&cg);
		if (f == 1)
			return "paused";
	}
	return "running";
}

/* ---- state, list ------------------------------------------------------------- */

json_t *rt_state_public(const struct bh_rt_ctx *ctx, const char *id, json_t *st)
{
	const char *status = rt_state_status(ctx, id, st);
	json_int_t pid = 0;
	json_t *out;

	bh_json_int(st, "pid", &pid);
	if (!strcmp(status, "stopped"))
		pid = 0;
	out = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s}", "ociVersion", BH_RT_OCI_VERSION,
			"id", id, "status", status, "pid", pid, "bundle",
			bh_json_str(st, "bundle") ? bh_json_str(st, "bundle") : "", "rootfs",
			bh_json_str(st, "rootfs") ? bh_json_str(st, "rootfs") : "", "created",
			bh_json_str(st, "created") ? bh_json_str(st, "created") : "", "owner", "");
	/* the config's annotations, as they were (runtime-spec); none when it had none */
	if (json_is_object(json_object_get(st, "annotations")))
		json_object_set(out, "annotations", json_object_get(st, "annotations"));
	return out;
}

char *rt_state_for_hooks(const char *id, pid_t pid, const char *bundle, const char *status,
			 const json_t *annotations)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", BH_RT_OCI_VERSION, "id",
			      id, "status", status, "pid", (int)pid, "bundle", bundle);
	char *s;

	if (annotations)
		json_object_set_new(j, "annotations", json_deep_copy(annotations));
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

int bh_rt_state(const struct bh_rt_ctx *ctx, const char *id, json_t **out, struct bh_error **err)
{
	json_t *st;

	*out = NULL;
	if (rt_state_read(ctx, id, &st, err) < 0)
		return -1;
	*out = rt_state_public(ctx, id, st);
	json_decref(st);
	return 0;
}

int bh_rt_list(const struct bh_rt_ctx *ctx, json_t **out, struct bh_error **err)
{
	DIR *d = opendir(rt_state_root(ctx));
	struct dirent *de;
	json_t *arr = json_array();

	*out = arr;
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return bh_error_sys(err, errno, "reading %s", rt_state_root(ctx));
	}
	while ((de = readdir(d))) {
		json_t *st;

		if (de->d_name[0] == '.' || bh_rt_id_check(de->d_name, NULL) < 0)
			continue;
		if (rt_state_read(ctx, de->d_name, &st, NULL) < 0)
			continue;
		json_array_append_new(arr, rt_state_public(ctx, de->d_name, st));
		json_decref(st);
	}
	closedir(d);
	return 0;
}

int bh_rt_hardening(const struct bh_rt_ctx *ctx, const char *id, json_t **out,
		    struct bh_error **err)
{
	json_t *st, *h;

	*out = NULL;
	if (rt_state_read(ctx, id, &st, err) < 0)
		return -1;
	h = json_object_get(st, "hardening");
	if (!json_is_object(h)) {
		json_decref(st);
		return bh_error_set(err, BH_ERR_NOTFOUND,
				    "container %s has no hardening report in its state", id);
	}
	*out = json_incref(h);
	json_decref(st);
	return 0;
}
