/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cache of unpacked images, shared by every run of an image:
 *
 *   CACHE/rootfs/<hex>            a complete root filesystem (the config digest's hex)
 *   CACHE/rootfs/.<hex>.lock      held (flock) by the one process filling <hex>
 *   CACHE/rootfs/.<hex>.tmp       the fill in progress (bh_image_unpack's own
 *                                 temporary beside it while it unpacks)
 *
 * An entry is complete when it exists under its name, and only then: a fill
 * unpacks into .<hex>.tmp, flushes the file system (syncfs, so a crash
 * cannot leave a renamed entry with unwritten files) and renames it into
 * place without replacing anything. A fill that fails or is killed leaves
 * only temporaries, which the next fill removes under the lock (no fill of
 * the same image can be running then). A run that finds the entry uses it
 * without taking the lock.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "bulkhead/bundle.h"
#include "bulkhead/image.h"
#include "banned.h"

char *bh_bundle_cache_default(const char *override)
{
	const char *env = getenv("BULKHEAD_CACHE"), *xdg, *home;

	if (override && *override)
		return bh_strdup(override);
	if (env && *env)
		return bh_strdup(env);
	if (geteuid() == 0)
		return bh_strdup("/var/cache/bulkhead");
	xdg = getenv("XDG_CACHE_HOME");
	/* The XDG spec: a relative value is invalid and is ignored. */
	if (xdg && xdg[0] == '/')
		return bh_asprintf("%s/bulkhead", xdg);
	home = getenv("HOME");
	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(geteuid());

		home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : "/tmp";
	}
	return bh_asprintf("%s/.cache/bulkhead", home);
}

/* 1 when `entry` is a complete entry (a directory, never a symlink), 0 when
 * it does not exist, else an error. */
static int lookup(const char *entry, char **rootfs, struct bh_error **err)
{
	struct stat st;

	if (lstat(entry, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return bh_error_sys(err, errno, "%s", entry);
	}
	if (!S_ISDIR(st.st_mode))
		return bh_error_set(err, BH_ERR_UNSAFE, "%s is not a directory", entry);
	*rootfs = realpath(entry, NULL);
	if (!*rootfs)
		return bh_error_sys(err, errno, "%s", entry);
	return 1;
}

/* Take the fill lock of one entry; waits (saying so) while another process fills it. */
static int take_lock(const char *path, int *fd, struct bh_error **err)
{
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0)
		return bh_error_sys(err, errno, "opening %s", path);
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return bh_error_sys(err, errno, "locking %s", path);
	bh_info("waiting for another process to unpack this image into the cache (%s)", path);
	while (flock(*fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return bh_error_sys(err, errno, "locking %s", path);
	return 0;
}

/* Remove what fills of <hex> that died left in dir: .<hex>.tmp and
 * bh_image_unpack's ..<hex>.tmp.bh-unpack-XXXXXX. Call with the lock held. */
static int remove_stale(const char *dir, const char *hex, struct bh_error **err)
{
	char *tmp = bh_asprintf(".%s.tmp", hex), *unpack = bh_asprintf("..%s.tmp.bh-unpack-", hex);
	struct dirent *de;
	int dfd, r = 0;
	DIR *d;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		r = bh_error_sys(err, errno, "reading %s", dir);
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, tmp) && !bh_str_has_prefix(de->d_name, unpack))
			continue;
		bh_debug("removing %s/%s, left by a fill that did not finish", dir, de->d_name);
		if (bh_remove_tree(dirfd(d), de->d_name, err) < 0) {
			r = bh_error_prefix(err, "removing %s/%s", dir, de->d_name);
			break;
		}
	}
	closedir(d);
out:
	free(tmp);
	free(unpack);
	return r;
}

/* rename without replacing: a complete entry is never overwritten. */
static int commit(const char *dir, const char *tmp, const char *entry, struct bh_error **err)
{
	int fd;

	/* everything the unpack wrote reaches the disk before the entry has its name */
	fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return bh_error_sys(err, errno, "opening %s", tmp);
	if (syncfs(fd) < 0) {
		bh_error_sys(err, errno, "flushing %s", tmp);
		close(fd);
		return -1;
	}
	close(fd);
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, entry, RENAME_NOREPLACE) < 0)
		return bh_error_sys(err, errno, "renaming %s to %s", tmp, entry);
	/* and the rename itself */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fsync(fd) < 0) {
		struct bh_error *e = NULL;

		bh_error_sys(&e, errno, "flushing %s", dir);
		bh_error_warn(&e, "the cache entry %s is complete", entry);
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

int bh_bundle_cache_get(const char *cache, struct bh_image *img, char **rootfs,
			struct bh_error **err)
{
	struct bh_unpack_opts uo = { 0 };
	char *dir = NULL, *entry = NULL, *tmp = NULL, *lockpath = NULL;
	const char *hex;
	bool filling = false;
	int lockfd = -1, found, r = -1;

	*rootfs = NULL;
	if (img->kind == BH_IMAGE_ROOTFS || !img->config_digest.str[0])
		return bh_error_set(err, BH_ERR_USAGE,
				    "%s is a root filesystem: it has no digest to cache it by",
				    img->location);
	hex = bh_digest_hex(&img->config_digest);
	dir = bh_asprintf("%s/rootfs", cache);
	entry = bh_asprintf("%s/%s", dir, hex);
	found = lookup(entry, rootfs, err);
	if (found != 0) {
		r = found < 0 ? -1 : 0;
		goto out;
	}
	if (bh_mkdirs(dir, 0700, 0700, err) < 0)
		goto out;
	lockpath = bh_asprintf("%s/.%s.lock", dir, hex);
	if (take_lock(lockpath, &lockfd, err) < 0)
		goto out;
	/* filled by the process we waited for? */
	found = lookup(entry, rootfs, err);
	if (found != 0) {
		r = found < 0 ? -1 : 0;
		goto out;
	}
	if (remove_stale(dir, hex, err) < 0)
		goto out;
	tmp = bh_asprintf("%s/.%s.tmp", dir, hex);
	filling = true;
	if (bh_image_unpack(img, tmp, &uo, NULL, err) < 0 || commit(dir, tmp, entry, err) < 0)
		goto out;
	filling = false;
	found = lookup(entry, rootfs, err);
	if (found <= 0) {
		if (found == 0)
			bh_error_set(err, BH_ERR_INTERNAL, "%s vanished", entry);
		goto out;
	}
	r = 0;
out:
	if (r < 0 && filling) {
		struct bh_error *e = NULL;

		if (bh_remove_tree(AT_FDCWD, tmp, &e) < 0)
			bh_error_warn(&e, "could not remove %s", tmp);
	}
	if (r < 0)
		bh_error_prefix(err, "the image cache %s", cache);
	if (lockfd >= 0)
		close(lockfd); /* releases the lock */
	free(lockpath);
	free(tmp);
	free(entry);
	free(dir);
	return r;
}
