/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An OCI runtime bundle from an image: dir/rootfs unpacked with
 * bh_image_unpack, and dir/config.json (runtime-spec 1.0.2) with the image's
 * command, environment, working directory and user (user.c) over the
 * runtime's runc-compatible defaults (bh_rt_spec_defaults(BH_RT_SPEC_RUNC):
 * the mounts, masked and read-only paths of `runc spec`, the Docker default
 * capabilities, a writable root).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/bundle.h"
#include "bulkhead/image.h"
#include "bulkhead/runtime.h"
#include "internal.h"
#include "banned.h"

#define MAX_CONFIG (64 * 1024 * 1024)

/* ---- config.json ----------------------------------------------------------- */

/* A JSON array of the strings in the NULL-terminated list (NULL counts as
 * empty); NULL when a string is not valid UTF-8. Appends to `arr`. */
static int add_strings(json_t *arr, char *const *list, const char *what, struct bh_error **err)
{
	for (; list && *list; list++) {
		json_t *s = json_string(*list);

		if (!s)
			return bh_error_set(err, BH_ERR_INVALID, "%s '%.200s' is not valid UTF-8",
					    what, *list);
		json_array_append_new(arr, s);
	}
	return 0;
}

/* The default PATH entry of the spec's environment, or NULL. */
static const char *default_path(json_t *process)
{
	json_t *e;
	size_t i;

	json_array_foreach (json_object_get(process, "env"), i, e)
		if (bh_str_has_prefix(json_string_value(e), "PATH="))
			return json_string_value(e);
	return NULL;
}

/* The BH_ANN_BUNDLE_IMAGE* annotations: what image the container runs. */
static int image_annotations(const struct bh_image *img, json_t *config, struct bh_error **err)
{
	const char *ref = img->name ? img->name : img->source_ref ? img->source_ref : img->location;
	json_t *ann = json_object_get(config, "annotations"), *v;

	if (!json_is_object(ann)) {
		ann = json_object();
		if (!ann || json_object_set_new(config, "annotations", ann) < 0)
			return bh_error_set(err, BH_ERR_NOMEM, "out of memory");
	}
	if (ref) {
		v = json_string(ref);
		if (!v)
			return bh_error_set(err, BH_ERR_INVALID,
					    "image reference '%.200s' is not valid UTF-8", ref);
		json_object_set_new(ann, BH_ANN_BUNDLE_IMAGE, v);
	}
	if (img->has_manifest && img->manifest_digest.str[0])
		json_object_set_new(ann, BH_ANN_BUNDLE_IMAGE_DIGEST,
				    json_string(img->manifest_digest.str));
	if (img->config_digest.str[0])
		json_object_set_new(ann, BH_ANN_BUNDLE_IMAGE_ID,
				    json_string(img->config_digest.str));
	return 0;
}

int bundle_image_config(const struct bh_image *img, int rootfd, char *const *args, json_t **out,
			struct bh_error **err)
{
	const struct bh_image_config *c = &img->config;
	json_t *jargs = json_array(), *env = json_array(), *user = NULL;
	json_t *config = bh_rt_spec_defaults(BH_RT_SPEC_RUNC), *process, *jcwd = NULL;
	struct bundle_user u = { 0 };
	char *cwd = NULL;
	bool have_path = false;
	char *const *e;
	int result = -1;

	process = json_object_get(config, "process");
	if (!process || !default_path(process)) {
		bh_error_set(err, BH_ERR_INTERNAL, "building config.json");
		goto out;
	}
	if (args && *args) {
		if (add_strings(jargs, args, "argument", err) < 0)
			goto out;
	} else if (add_strings(jargs, c->entrypoint, "entrypoint", err) < 0 ||
		   add_strings(jargs, c->cmd, "cmd", err) < 0) {
		goto out;
	}
	if (!json_array_size(jargs)) {
		bh_error_set(err, BH_ERR_INVALID, "image has no entrypoint or cmd; give a command");
		goto out;
	}

	for (e = c->env; e && *e; e++)
		if (bh_str_has_prefix(*e, "PATH="))
			have_path = true;
	if (!have_path)
		json_array_append_new(env, json_string(default_path(process)));
	if (add_strings(env, c->env, "environment variable", err) < 0)
		goto out;

	if (bundle_resolve_user(rootfd, c->user, &u, err) < 0)
		goto out;
	user = json_pack("{s:I, s:I}", "uid", (json_int_t)u.uid, "gid", (json_int_t)u.gid);
	if (u.nsgids) {
		json_t *g = json_array();
		size_t i;

		for (i = 0; i < u.nsgids; i++)
			json_array_append_new(g, json_integer(u.sgids[i]));
		json_object_set_new(user, "additionalGids", g);
	}

	if (!c->working_dir || !*c->working_dir)
		cwd = bh_strdup("/");
	else if (c->working_dir[0] != '/')
		cwd = bh_asprintf("/%s", c->working_dir);
	else
		cwd = bh_strdup(c->working_dir);
	jcwd = json_string(cwd);
	if (!jcwd) {
		bh_error_set(err, BH_ERR_INVALID, "working directory '%.200s' is not valid UTF-8",
			     cwd);
		goto out;
	}

	if (image_annotations(img, config, err) < 0)
		goto out;
	/* replaced in place: the keys keep the defaults' order */
	json_object_set(process, "user", user);
	json_object_set(process, "args", jargs);
	json_object_set(process, "env", env);
	json_object_set(process, "cwd", jcwd);
	*out = config;
	config = NULL;
	result = 0;
out:
	json_decref(config);
	json_decref(user);
	json_decref(jcwd);
	json_decref(env);
	json_decref(jargs);
	free(u.sgids);
	free(cwd);
	return result;
}

int bh_bundle_from_image(struct bh_image *img, const char *dir, char *const *args,
			 const struct bh_unpack_opts *opts, struct bh_error **err)
{
	struct bh_buf out = BH_BUF_INIT(MAX_CONFIG);
	char *rootfs = NULL, *config_path = NULL;
	json_t *config = NULL;
	bool created = false, unpacked = false;
	int exists, rootfd = -1, result = -1;

	exists = bh_check_new_dir(dir, err);
	if (exists < 0)
		return -1;
	if (exists == 1) {
		if (mkdir(dir, 0700) < 0)
			return bh_error_sys(err, errno, "creating %s", dir);
		created = true;
	}
	rootfs = bh_asprintf("%s/rootfs", dir);
	config_path = bh_asprintf("%s/config.json", dir);

	if (bh_image_unpack(img, rootfs, opts, NULL, err) < 0)
		goto out;
	unpacked = true;
	rootfd = bh_root_open(rootfs, err);
	if (rootfd < 0)
		goto out;
	if (bundle_image_config(img, rootfd, args, &config, err) < 0)
		goto out;
	if (bh_json_dump_buf(config, JSON_INDENT(2), &out, err) < 0 ||
	    bh_buf_addc(&out, '\n', err) < 0)
		goto out;
	if (bh_write_file_atomic(config_path, out.data, out.len, 0644, err) < 0)
		goto out;
	result = 0;
out:
	if (result < 0) {
		bh_error_prefix(err, "bundle %s", dir);
		if (created) {
			bh_remove_tree(AT_FDCWD, dir, NULL);
		} else if (unpacked) {
			bh_remove_tree(AT_FDCWD, rootfs, NULL);
			unlink(config_path);
		}
	}
	if (rootfd >= 0)
		close(rootfd);
	json_decref(config);
	bh_buf_release(&out);
	free(rootfs);
	free(config_path);
	return result;
}
