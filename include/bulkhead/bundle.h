/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead bundles: a container image as an OCI runtime bundle. This
 * layer sits above both the image reader and the runtime (it unpacks with
 * one and builds config.json from the defaults of the other), so neither of
 * those depends on the other. Used by `bulkhead image bundle`, `bulkhead run
 * IMAGE` and, later, the node agent.
 *
 *   bh_bundle_from_image   image → DIR/rootfs + DIR/config.json, runc-compatible
 *   bh_bundle_cache_get    the image's root filesystem, unpacked once per
 *                          config digest into a cache shared by every run
 *   bh_bundle_prepare_run  the bundle of one hardened run of an image: the
 *                          cached root read-only, config.json of its own
 *
 * Ownership follows include/bulkhead/base.h.
 */
#ifndef BULKHEAD_BUNDLE_H
#define BULKHEAD_BUNDLE_H

#include <stdbool.h>

#include "bulkhead/base.h"
#include "bulkhead/image.h"

/*
 * The annotations every bundle's config.json carries about its image, so the
 * runtime's state, the container inventory and the monitor's events name the
 * image of a container bulkhead made: the reference (the name the user gave,
 * else the file opened), the manifest digest (none for a docker-archive, which
 * has no manifest) and the image ID (the config digest).
 */
#define BH_ANN_BUNDLE_IMAGE	   "org.bulkhead.image"
#define BH_ANN_BUNDLE_IMAGE_DIGEST "org.bulkhead.image.digest"
#define BH_ANN_BUNDLE_IMAGE_ID	   "org.bulkhead.image.id"

/*
 * Write an OCI runtime bundle: dir/rootfs (as bh_image_unpack) and
 * dir/config.json: the runtime's runc-compatible defaults (the mounts,
 * masked and read-only paths of `runc spec`, Docker's default capabilities,
 * a writable root) with the image's process: args = entrypoint + cmd, or
 * `args` when it is not NULL; env (PATH added when the image has none); cwd;
 * user resolved as runc does, through the image's /etc/passwd and /etc/group
 * read inside the unpacked root; the BH_ANN_BUNDLE_IMAGE* annotations. `dir` must not exist or be
 * empty; on error it is left as it was.
 */
int bh_bundle_from_image(struct bh_image *img, const char *dir, char *const *args,
			 const struct bh_unpack_opts *opts, struct bh_error **err);

/* ---- the cache ------------------------------------------------------------ */

/*
 * The cache directory: `override` when given, else $BULKHEAD_CACHE, else
 * /var/cache/bulkhead for root and $XDG_CACHE_HOME/bulkhead (~/.cache when
 * unset or relative) for a user. A new string.
 */
char *bh_bundle_cache_default(const char *override);

/*
 * The image's root filesystem in the cache, unpacked on first use:
 * `cache`/rootfs/<hex of the config digest> (the config names every layer by
 * its diff_id, so the digest names the content). *rootfs receives its
 * absolute path (a new string). Directories are made 0700: an image's
 * set-user-ID files must not be reachable by other users of the host.
 *
 * An entry exists under its name only when complete: it is unpacked beside
 * it, flushed to disk (syncfs) and renamed into place; a failed or killed
 * fill leaves only a temporary, removed by the next fill. Concurrent calls
 * for one image wait on a lock (cache/rootfs/.<hex>.lock) and unpack it once.
 * A rootfs: image has no digest and is never cached (BH_ERR_USAGE).
 */
int bh_bundle_cache_get(const char *cache, struct bh_image *img, char **rootfs,
			struct bh_error **err);

/* ---- a hardened run of an image ---------------------------------------- */

struct bh_bundle_run_opts {
	const char *cache;	/* cache directory; NULL = bh_bundle_cache_default(NULL) */
	const char *state_root; /* the runtime's state directory (NULL = /run/bulkhead) */
	char *const *args;	/* the command; NULL or empty = the image's entrypoint + cmd */
	bool tty; /* give the process a terminal (TERM=xterm unless the image sets one) */
	const json_t *annotations; /* added to the config's annotations (borrowed); NULL: none */
};

struct bh_bundle_run {
	char *id;     /* a container ID of its own: "run-" and 16 random hex digits */
	char *bundle; /* state_root/run-bundles/<id>: config.json only */
	char *rootfs; /* the root the config names (the cache entry, or a rootfs: directory) */
	int lockfd;   /* held while the run lasts: the bundle is in use */
};

/*
 * The bundle of one run of `img`: its root filesystem from the cache (a
 * rootfs: image's directory as it is), mounted read-only, and a config.json
 * of the run's own (the cache stays pristine) from the runtime's
 * runc-compatible defaults and the image's process (as bh_bundle_from_image),
 * hardened as `bulkhead run IMAGE` promises:
 *   - root read-only; tmpfs (nosuid, nodev, mode 1777) on /tmp, /run, /var/tmp;
 *   - process.noNewPrivileges; linux.resources.pids.limit 4096;
 *   - process.terminal = tty, with TERM=xterm unless the image sets TERM.
 * The bundle directory is made under state_root/run-bundles (the state root
 * made 0700 with 0711 parents, as the runtime makes it) and locked for the
 * life of *out; bundles of runs whose process died without removing them
 * (unlocked, no container state left) are removed on the way. The caller
 * runs *out->id from *out->bundle with the runtime and then frees *out.
 */
int bh_bundle_prepare_run(struct bh_image *img, const struct bh_bundle_run_opts *o,
			  struct bh_bundle_run **out, struct bh_error **err);
/* Remove the run's bundle directory, release its lock and free. NULL is a no-op. */
void bh_bundle_run_free(struct bh_bundle_run *r);

#endif /* BULKHEAD_BUNDLE_H */
