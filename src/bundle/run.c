/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One hardened run of an image (`bulkhead run IMAGE`): the image's root from
 * the cache, read-only, and a bundle of the run's own holding config.json:
 *
 *   STATE_ROOT/run-bundles/           0700; flock'ed while a bundle is made
 *   STATE_ROOT/run-bundles/run-<hex>/ one run's bundle, flock'ed while it runs
 *
 * A run whose process died (killed before it could remove its bundle) leaves
 * a bundle nobody holds; the next run removes it once no container state of
 * that ID is left (a container may outlive the process that ran it).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/bundle.h"
#include "bulkhead/image.h"
#include "bulkhead/runtime.h"
#include "internal.h"
#include "banned.h"

#define RUN_PIDS_LIMIT 4096
#define RUN_ID_TRIES   8

/* ---- the hardening ---------------------------------------------------------- */

static const char *const run_tmpfs[] = { "/tmp", "/run", "/var/tmp" };

/* The run's changes to the image's config (see bh_bundle_prepare_run). */
static int harden(json_t *cfg, const char *rootfs, bool tty, struct bh_error **err)
{
	json_t *proc = json_object_get(cfg, "process"), *mounts = json_object_get(cfg, "mounts");
	json_t *res = json_object_get(json_object_get(cfg, "linux"), "resources");
	json_t *root;
	size_t i;

	if (!json_is_object(proc) || !json_is_array(mounts) || !json_is_object(res))
		return bh_error_set(err, BH_ERR_INTERNAL,
				    "the default config has no process, mounts or linux.resources");
	json_object_set_new(proc, "noNewPrivileges", json_true());
	json_object_set_new(proc, "terminal", json_boolean(tty));
	if (tty) {
		/* as docker run -t: TERM=xterm unless the image sets TERM */
		json_t *env = json_object_get(proc, "env"), *v;
		bool has_term = false;

		if (!json_is_array(env)) {
			env = json_array();
			json_object_set_new(proc, "env", env);
		}
		json_array_foreach (env, i, v)
			if (json_is_string(v) && bh_str_has_prefix(json_string_value(v), "TERM="))
				has_term = true;
		if (!has_term)
			json_array_append_new(env, json_string("TERM=xterm"));
	}
	root = json_pack("{s:s, s:b}", "path", rootfs, "readonly", 1);
	if (!root)
		return bh_error_set(err, BH_ERR_INVALID, "root path '%.200s' is not valid UTF-8",
				    rootfs);
	json_object_set_new(cfg, "root", root);
	/* a writable scratch space where programs expect one; never over the image's */
	for (i = 0; i < json_array_size(mounts);) {
		const char *dst = bh_json_str(json_array_get(mounts, i), "destination");
		bool ours = false;

		for (size_t k = 0; dst && k < sizeof(run_tmpfs) / sizeof(run_tmpfs[0]); k++)
			ours |= !strcmp(dst, run_tmpfs[k]);
		if (ours)
			json_array_remove(mounts, i);
		else
			i++;
	}
	for (i = 0; i < sizeof(run_tmpfs) / sizeof(run_tmpfs[0]); i++)
		json_array_append_new(mounts,
				      json_pack("{s:s, s:s, s:s, s:[sss]}", "destination",
						run_tmpfs[i], "type", "tmpfs", "source", "tmpfs",
						"options", "nosuid", "nodev", "mode=1777"));
	json_object_set_new(res, "pids", json_pack("{s:i}", "limit", RUN_PIDS_LIMIT));
	return 0;
}

/* ---- the run's bundle directory ----------------------------------------------- */

static int new_id(char out[24], struct bh_error **err)
{
	unsigned char b[8];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return bh_error_sys(err, errno, "getrandom");
	memcpy(out, "run-", 4);
	bh_hex_encode(b, sizeof(b), out + 4);
	return 0;
}

/* Remove the bundles of runs that died: nobody holds their lock and no
 * container state of that ID is left. Call with run-bundles locked. */
static void sweep(int basefd, const char *base, const char *state_root)
{
	DIR *d;
	struct dirent *de;
	int fd = fcntl(basefd, F_DUPFD_CLOEXEC, 3);

	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		struct bh_error *e = NULL;
		char *state;
		struct stat st;
		int rfd;

		if (!bh_str_has_prefix(de->d_name, "run-") || bh_rt_id_check(de->d_name, NULL) < 0)
			continue;
		rfd = openat(basefd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (rfd < 0)
			continue;
		if (flock(rfd, LOCK_EX | LOCK_NB) < 0) {
			close(rfd); /* a live run's */
			continue;
		}
		state = bh_asprintf("%s/%s", state_root, de->d_name);
		if (lstat(state, &st) < 0 && errno == ENOENT) {
			bh_debug("removing %s/%s, left by a run that died", base, de->d_name);
			if (bh_remove_tree(basefd, de->d_name, &e) < 0)
				bh_error_warn(&e, "could not remove %s/%s", base, de->d_name);
		}
		free(state);
		close(rfd);
	}
	closedir(d);
}

/* Make state_root/run-bundles/<new id>, locked in r->lockfd. */
static int make_run_dir(const char *state_root, struct bh_bundle_run *r, struct bh_error **err)
{
	char *base = bh_asprintf("%s/run-bundles", state_root), id[24];
	int basefd = -1, result = -1;

	/* as the runtime makes its state root: 0711 parents, 0700 itself */
	if (bh_mkdirs(state_root, 0711, 0700, err) < 0)
		goto out;
	if (mkdir(base, 0700) < 0 && errno != EEXIST) {
		bh_error_sys(err, errno, "creating %s", base);
		goto out;
	}
	basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (basefd < 0) {
		bh_error_sys(err, errno, "opening %s", base);
		goto out;
	}
	while (flock(basefd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			bh_error_sys(err, errno, "locking %s", base);
			goto out;
		}
	}
	sweep(basefd, base, state_root);
	for (int i = 0;; i++) {
		if (new_id(id, err) < 0)
			goto out;
		if (mkdirat(basefd, id, 0700) == 0)
			break;
		if (errno != EEXIST || i == RUN_ID_TRIES) {
			bh_error_sys(err, errno, "creating %s/%s", base, id);
			goto out;
		}
	}
	r->id = bh_strdup(id);
	r->bundle = bh_asprintf("%s/%s", base, id);
	r->lockfd = openat(basefd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (r->lockfd < 0 || flock(r->lockfd, LOCK_EX | LOCK_NB) < 0) {
		bh_error_sys(err, errno, "locking %s", r->bundle);
		goto out;
	}
	result = 0;
out:
	if (basefd >= 0)
		close(basefd); /* and with it the lock of run-bundles */
	free(base);
	return result;
}

/* ---- the run ------------------------------------------------------------------ */

int bh_bundle_prepare_run(struct bh_image *img, const struct bh_bundle_run_opts *o,
			  struct bh_bundle_run **out, struct bh_error **err)
{
	struct bh_buf text = BH_BUF_INIT(BH_RT_MAX_CONFIG);
	struct bh_bundle_run *r = bh_calloc(1, sizeof(*r));
	const char *state_root = o->state_root ? o->state_root : BH_RT_DEFAULT_ROOT;
	char *cache = NULL, *path = NULL;
	json_t *cfg = NULL;
	int rootfd = -1, result = -1;

	*out = NULL;
	r->lockfd = -1;
	if (img->kind == BH_IMAGE_ROOTFS) {
		/* a directory as it is: there is no digest to cache it by, and its
		 * read-only mount keeps it as it is */
		r->rootfs = realpath(img->location, NULL);
		if (!r->rootfs) {
			bh_error_sys(err, errno, "%s", img->location);
			goto out;
		}
	} else {
		cache = bh_bundle_cache_default(o->cache);
		if (bh_bundle_cache_get(cache, img, &r->rootfs, err) < 0)
			goto out;
	}
	rootfd = bh_root_open(r->rootfs, err);
	if (rootfd < 0)
		goto out;
	if (bundle_image_config(img, rootfd, o->args && o->args[0] ? o->args : NULL, &cfg, err) <
		    0 ||
	    harden(cfg, r->rootfs, o->tty, err) < 0)
		goto out;
	if (o->annotations) {
		json_t *ann = json_object_get(cfg, "annotations");

		if (!json_is_object(ann)) {
			ann = json_object();
			json_object_set_new(cfg, "annotations", ann);
		}
		json_object_update(ann, (json_t *)o->annotations);
	}
	if (bh_json_dump_buf(cfg, JSON_INDENT(2), &text, err) < 0 ||
	    bh_buf_addc(&text, '\n', err) < 0)
		goto out;
	if (make_run_dir(state_root, r, err) < 0)
		goto out;
	path = bh_asprintf("%s/config.json", r->bundle);
	if (bh_write_file_atomic(path, text.data, text.len, 0644, err) < 0)
		goto out;
	*out = r;
	r = NULL;
	result = 0;
out:
	if (result < 0)
		bh_error_prefix(err, "run %s", img->location);
	bh_bundle_run_free(r);
	if (rootfd >= 0)
		close(rootfd);
	json_decref(cfg);
	bh_buf_release(&text);
	free(path);
	free(cache);
	return result;
}

void bh_bundle_run_free(struct bh_bundle_run *r)
{
	if (!r)
		return;
	if (r->bundle) {
		struct bh_error *e = NULL;

		if (bh_remove_tree(AT_FDCWD, r->bundle, &e) < 0)
			bh_error_warn(&e, "could not remove the run's bundle %s", r->bundle);
	}
	if (r->lockfd >= 0)
		close(r->lockfd); /* removed first: a sweep never sees it half gone */
	free(r->id);
	free(r->bundle);
	free(r->rootfs);
	free(r);
}
