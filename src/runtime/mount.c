/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container's file system view, built in its new mount namespace:
 *   rootfs bind-mounted on itself → every mount of config.json → /dev nodes
 *   → sysctls → masked and read-only paths → createRuntime/createContainer
 *   hooks → pivot_root → read-only root.
 *
 * CVE-2021-30465: no mount is made through a path the container can swap.
 * Destinations are created and opened inside the rootfs with openat2
 * (RESOLVE_IN_ROOT, no magic links; no symlinks at all for proc, sysfs and
 * cgroup destinations), and mounts are attached to those fds with the new
 * mount API (fsopen/fsmount, open_tree, mount_setattr, move_mount).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "internal.h"
#include "banned.h"

const char *const rt_mandatory_masked[] = {
	"/proc/kcore",	 "/proc/keys",	      "/proc/timer_list",     "/proc/sched_debug",
	"/proc/acpi",	 "/proc/scsi",	      "/proc/latency_stats",  "/proc/timer_stats",
	"/sys/firmware", "/sys/kernel/debug", "/sys/kernel/security", NULL,
};

const char *const rt_mandatory_readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static int sys_openat2(int dirfd, const char *path, int flags, unsigned long long resolve)
{
	struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC),
				.resolve = resolve };

	while (*path == '/')
		path++;
	return (int)syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof(how));
}

/* Open `path` inside rootfd; nosym: no symlink anywhere on the way. */
static int open_in_root(int rootfd, const char *path, int flags, bool nosym)
{
	return sys_openat2(rootfd, path, flags,
			   RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
				   (nosym ? RESOLVE_NO_SYMLINKS : 0));
}

static int mount_attr(int fd, const char *path, bool rec, uint64_t set, uint64_t clr, uint64_t prop,
		      int userns)
{
	struct mount_attr a = { 0 };

	if ((set | clr) & MOUNT_ATTR__ATIME)
		clr |= MOUNT_ATTR__ATIME;
	a.attr_set = set;
	a.attr_clr = clr & ~set & ~(uint64_t)MOUNT_ATTR_IDMAP;
	if (set & MOUNT_ATTR__ATIME)
		a.attr_clr |= MOUNT_ATTR__ATIME;
	a.propagation = prop;
	if (userns >= 0)
		a.userns_fd = (uint64_t)userns;
	if (!a.attr_set && !a.attr_clr && !a.propagation)
		return 0;
	return mount_setattr(fd, path ? path : "",
			     (path ? 0 : AT_EMPTY_PATH) | (rec ? AT_RECURSIVE : 0), &a, sizeof(a));
}

static int attach(int mfd, int target)
{
	return move_mount(mfd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

/*
 * Create the destination inside the root (directories along the way, the
 * last one a directory or an empty file) and return an O_PATH fd on it.
 */
static int make_target(int rootfd, const char *dest, bool dir, bool nosym, struct bh_error **err)
{
	char *parent = bh_strdup(dest), *base = strrchr(parent, '/');
	int pfd = -1, fd;

	fd = open_in_root(rootfd, dest, O_PATH, nosym);
	if (fd >= 0)
		goto out;
	if (errno != ENOENT) {
		bh_error_sys(err, errno, "mount destination %s", dest);
		goto out;
	}
	*base++ = 0;
	if (*parent)
		pfd = bh_root_mkdirs(rootfd, parent, 0755, err);
	else
		pfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (pfd < 0) {
		bh_error_prefix(err, "mount destination %s", dest);
		goto out;
	}
	if (dir) {
		if (mkdirat(pfd, base, 0755) < 0 && errno != EEXIST) {
			bh_error_sys(err, errno, "creating mount point %s", dest);
			goto out;
		}
	} else {
		int f = openat(pfd, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);

		if (f < 0 && errno != EEXIST && errno != EISDIR) {
			bh_error_sys(err, errno, "creating mount point %s", dest);
			goto out;
		}
		if (f >= 0)
			close(f);
	}
	fd = open_in_root(rootfd, dest, O_PATH, nosym);
	if (fd < 0)
		bh_error_sys(err, errno, "mount destination %s%s", dest,
			     errno == ELOOP ? " (a symlink on the way is not allowed here)" : "");
out:
	if (pfd >= 0)
		close(pfd);
	free(parent);
	return fd;
}

/* The text the kernel left in the fs context, for error messages. */
static void fs_message(int fsfd, char *buf, size_t n)
{
	ssize_t r = read(fsfd, buf, n - 1);

	buf[r > 0 ? r : 0] = 0;
	if (r > 0 && buf[r - 1] == '\n')
		buf[r - 1] = 0;
}

/*
 * A new file system instance, detached: returns its mount fd. skip_gid: drop
 * gid= (devpts in a user ns).
 */
static int fs_create(const char *type, const char *source, const char *data, uint64_t attrs,
		     bool skip_gid, struct bh_error **err)
{
	char msg[256] = "", *copy = data ? bh_strdup(data) : NULL, *save = NULL, *opt;
	int fsfd = fsopen(type, FSOPEN_CLOEXEC), mfd = -1;

	if (fsfd < 0) {
		bh_error_sys(err, errno, "fsopen %s", type);
		goto out;
	}
	if (source && *source && fsconfig(fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0) {
		bh_error_sys(err, errno, "%s: source", type);
		goto out;
	}
	for (opt = copy ? strtok_r(copy, ",", &save) : NULL; opt;
	     opt = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(opt, '=');
		int x;

		if (skip_gid && bh_str_has_prefix(opt, "gid="))
			continue;
		if (eq) {
			*eq = 0;
			x = fsconfig(fsfd, FSCONFIG_SET_STRING, opt, eq + 1, 0);
		} else {
			x = fsconfig(fsfd, FSCONFIG_SET_FLAG, opt, NULL, 0);
		}
		if (x < 0) {
			int e = errno;

			fs_message(fsfd, msg, sizeof(msg));
			bh_error_sys(err, e, "%s: option '%s'%s%s", type, opt, *msg ? ": " : "",
				     msg);
			goto out;
		}
	}
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		int e = errno;

		fs_message(fsfd, msg, sizeof(msg));
		bh_error_sys(err, e, "creating %s%s%s", type, *msg ? ": " : "", msg);
		goto out;
	}
	attrs &= MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
		 MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW;
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, (unsigned)attrs);
	if (mfd < 0)
		bh_error_sys(err, errno, "fsmount %s", type);
out:
	if (fsfd >= 0)
		close(fsfd);
	free(copy);
	return mfd;
}

/* A new file system instance attached at target. skip_gid: drop gid= (devpts in a user ns). */
static int mount_new(const char *type, const char *source, const char *data, uint64_t attrs,
		     int target, bool skip_gid, struct bh_error **err)
{
	int mfd = fs_create(type, source, data, attrs, skip_gid, err), r = 0;

	if (mfd < 0)
		return -1;
	if (attach(mfd, target) < 0)
		r = bh_error_sys(err, errno, "attaching %s", type);
	close(mfd);
	return r;
}

/* ---- tmpcopyup (the copy itself: copyup.c) ------------------------------------ */

/* Is `key=` one of the comma-separated options in data? */
static bool has_option(const char *data, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = data; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, key, n))
			return true;
	return false;
}

/* A tmpfs at target with a copy of what target holds, attached when complete. */
static int mount_copyup(const struct bh_rt_mount *m, int target, struct bh_error **err)
{
	size_t entries = 0;
	struct stat st;
	int mfd, s = -1, d = -1, r = -1;
	/* the copy is written first: read-only comes after */
	uint64_t attrs = m->attr_set & ~(uint64_t)MOUNT_ATTR_RDONLY;

	mfd = fs_create("tmpfs", m->source, m->data, attrs, false, err);
	if (mfd < 0)
		return -1;
	s = openat(target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s < 0 || fstat(s, &st) < 0) {
		bh_error_sys(err, errno, "tmpcopyup: opening the directory it covers");
		goto out;
	}
	d = openat(mfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0) {
		bh_error_sys(err, errno, "tmpcopyup: opening the new tmpfs");
		goto out;
	}
	/* the root takes the covered directory's owner and mode unless the options say */
	if (rt_copyup(s, d, &st, m->destination,
		      !has_option(m->data, "mode=") && !has_option(m->data, "uid=") &&
			      !has_option(m->data, "gid="),
		      &entries, err) < 0) {
		s = -1;
		goto out;
	}
	s = -1;
	if ((m->attr_set & MOUNT_ATTR_RDONLY) &&
	    mount_attr(mfd, NULL, false, MOUNT_ATTR_RDONLY, 0, 0, -1) < 0) {
		bh_error_sys(err, errno, "making the tmpfs read-only");
		goto out;
	}
	if (attach(mfd, target) < 0) {
		bh_error_sys(err, errno, "attaching tmpfs");
		goto out;
	}
	bh_debug("mount %s: tmpcopyup copied %zu entries", m->destination, entries);
	r = 0;
out:
	if (d >= 0)
		close(d);
	if (s >= 0)
		close(s);
	close(mfd);
	return r;
}

/* A bind mount of a host path (already cloned in `src` when >= 0). */
static int mount_bind_fd(int src, const struct bh_rt_mount *m, int target, struct bh_error **err)
{
	if (mount_attr(src, NULL, m->rec_attr, m->attr_set, m->attr_clr, 0, -1) < 0)
		return bh_error_sys(err, errno, "setting the options of %s", m->destination);
	if (attach(src, target) < 0)
		return bh_error_sys(err, errno, "attaching %s", m->destination);
	return 0;
}

static int clone_tree(const char *source, bool rec)
{
	return open_tree(AT_FDCWD, source,
			 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0));
}

/* Apply a mount's propagation after it is in place. */
static int set_propagation(int rootfd, const struct bh_rt_mount *m, struct bh_error **err)
{
	int fd;

	if (!m->propagation)
		return 0;
	fd = open_in_root(rootfd, m->destination, O_PATH, false);
	if (fd < 0)
		return bh_error_sys(err, errno, "reopening %s", m->destination);
	if (mount_attr(fd, NULL, m->rec_propagation, 0, 0, m->propagation, -1) < 0) {
		close(fd);
		return bh_error_sys(err, errno, "propagation of %s", m->destination);
	}
	close(fd);
	return 0;
}

/* "cgroup" mounts: cgroup2 on a v2 host, else a tmpfs of bind mounts of the
 * container's own directories in each hierarchy (read-only when asked). */
static int mount_cgroup(struct rt_mount_ctx *c, const struct bh_rt_mount *m, int rootfd, int target,
			struct bh_error **err)
{
	const struct rt_cgroup *cg = c->cg;
	uint64_t attrs = m->attr_set | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	int dfd = -1, r = -1;

	if (!cg || !cg->ndirs)
		return bh_error_set(err, BH_ERR_INTERNAL, "cgroup mount without cgroups");
	if (cg->layout == RT_CG_V2) {
		if (bh_rt_spec_has_ns(c->spec, CLONE_NEWCGROUP))
			return mount_new("cgroup2", "cgroup", NULL, attrs, target, false, err);
		{
			int src = clone_tree(cg->dirs[0], false);

			if (src < 0)
				return bh_error_sys(err, errno, "cloning %s", cg->dirs[0]);
			r = mount_attr(src, NULL, false, attrs, 0, 0, -1) < 0 ||
					    attach(src, target) < 0
				    ? bh_error_sys(err, errno, "binding %s", cg->dirs[0])
				    : 0;
			close(src);
			return r;
		}
	}
	if (mount_new("tmpfs", "cgroup", "mode=755", attrs & ~(uint64_t)MOUNT_ATTR_RDONLY, target,
		      false, err) < 0)
		return -1;
	dfd = open_in_root(rootfd, m->destination, O_PATH | O_DIRECTORY, true);
	if (dfd < 0)
		return bh_error_sys(err, errno, "reopening %s", m->destination);
	for (size_t i = 0; i < cg->ndirs; i++) {
		const char *name = cg->names[i];
		int sub, src;

		if (mkdirat(dfd, name, 0755) < 0 && errno != EEXIST) {
			bh_error_sys(err, errno, "creating %s/%s", m->destination, name);
			goto out;
		}
		sub = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		src = clone_tree(cg->dirs[i], false);
		if (sub < 0 || src < 0 || mount_attr(src, NULL, false, attrs, 0, 0, -1) < 0 ||
		    attach(src, sub) < 0) {
			bh_error_sys(err, errno, "binding cgroup %s", cg->dirs[i]);
			if (sub >= 0)
				close(sub);
			if (src >= 0)
				close(src);
			goto out;
		}
		close(sub);
		close(src);
		/* "cpu,cpuacct" is also reachable as "cpu" and "cpuacct" */
		if (strchr(name, ',')) {
			char *copy = bh_strdup(name), *save = NULL, *t;

			for (t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
				if (symlinkat(name, dfd, t) < 0 && errno != EEXIST)
					bh_debug("cgroup symlink %s: %s", t, strerror(errno));
			free(copy);
		}
	}
	if ((m->attr_set & MOUNT_ATTR_RDONLY) &&
	    mount_attr(dfd, NULL, false, MOUNT_ATTR_RDONLY, 0, 0, -1) < 0) {
		bh_error_sys(err, errno, "making %s read-only", m->destination);
		goto out;
	}
	r = 0;
out:
	close(dfd);
	return r;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int do_mount(struct rt_mount_ctx *c, size_t idx, int rootfd, struct bh_error **err)
{
	const struct bh_rt_mount *m = &c->spec->mounts[idx];
	bool special = !strcmp(m->type, "proc") || !strcmp(m->type, "sysfs") ||
		       !strcmp(m->type, "cgroup") || !strcmp(m->type, "cgroup2");
	bool dir = true;
	int target, r = -1;

	if (m->bind)
		dir = is_dir(m->source);
	target = make_target(rootfd, m->destination, dir, special, err);
	if (target < 0)
		return -1;
	if (m->bind) {
		int src = c->idmap_fds && c->idmap_fds[idx] >= 0 ? c->idmap_fds[idx]
								 : clone_tree(m->source, m->rbind);

		if (src < 0) {
			bh_error_sys(err, errno, "bind source %s", m->source);
			goto out;
		}
		if (c->idmap_fds && c->idmap_fds[idx] >= 0)
			c->idmap_fds[idx] = -1;
		r = mount_bind_fd(src, m, target, err);
		close(src);
		if (r < 0)
			goto out;
		r = -1;
	} else if (!strcmp(m->type, "cgroup")) {
		if (mount_cgroup(c, m, rootfd, target, err) < 0)
			goto out;
	} else {
		uint64_t attrs = m->attr_set;
		bool devpts = !strcmp(m->type, "devpts");

		if (m->tmpcopyup) {
			if (mount_copyup(m, target, err) < 0)
				goto out;
		} else if (mount_new(m->type, m->source, m->data, attrs, target, false, err) < 0) {
			int e = bh_error_errno(err ? *err : NULL);

			if (devpts && c->userns && e == EINVAL) {
				bh_error_clear(err);
				if (mount_new(m->type, m->source, m->data, attrs, target, true,
					      err) < 0)
					goto out;
			} else if ((!strcmp(m->type, "sysfs") || !strcmp(m->type, "mqueue")) &&
				   (e == EPERM || e == EACCES) && c->userns) {
				/* no network/ipc namespace of our own: bind the host's,
				 * read-only, as runc does */
				const char *hostp =
					!strcmp(m->type, "sysfs") ? "/sys" : "/dev/mqueue";
				int src = clone_tree(hostp, true);

				bh_error_clear(err);
				if (src < 0 ||
				    mount_attr(src, NULL, true, attrs | MOUNT_ATTR_RDONLY, 0, 0,
					       -1) < 0 ||
				    attach(src, target) < 0) {
					bh_error_sys(err, errno, "binding the host's %s", hostp);
					if (src >= 0)
						close(src);
					goto out;
				}
				close(src);
			} else {
				goto out;
			}
		}
	}
	if (set_propagation(rootfd, m, err) < 0)
		goto out;
	r = 0;
out:
	if (r < 0)
		bh_error_prefix(err, "mount %s (%s)", m->destination, m->type);
	close(target);
	return r;
}

/* ---- /dev --------------------------------------------------------------- */

static int make_device(int rootfd, const char *path, char type, int64_t major, int64_t minor,
		       uint32_t mode, uint32_t uid, uint32_t gid, bool userns,
		       struct bh_error **err)
{
	char *parent = bh_strdup(path), *base = strrchr(parent, '/');
	int pfd, r = -1;
	mode_t t = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;

	*base++ = 0;
	pfd = bh_root_mkdirs(rootfd, *parent ? parent : "/", 0755, err);
	if (pfd < 0)
		goto out;
	if (!userns || t == S_IFIFO) {
		if (mknodat(pfd, base, t | (mode & 07777), makedev(major, minor)) < 0 &&
		    errno != EEXIST) {
			bh_error_sys(err, errno, "creating device %s", path);
			goto out;
		}
		if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(pfd, base, mode & 07777, 0) < 0) {
			bh_error_sys(err, errno, "device %s", path);
			goto out;
		}
	} else {
		/* a user namespace cannot mknod: bind the host's node */
		int f = openat(pfd, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		int tgt, src;

		if (f >= 0)
			close(f);
		tgt = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		src = clone_tree(path, false);
		if (tgt < 0 || src < 0 || attach(src, tgt) < 0) {
			bh_error_sys(err, errno, "binding device %s", path);
			if (tgt >= 0)
				close(tgt);
			if (src >= 0)
				close(src);
			goto out;
		}
		close(tgt);
		close(src);
	}
	r = 0;
out:
	if (pfd >= 0)
		close(pfd);
	free(parent);
	return r;
}

static int setup_dev(struct rt_mount_ctx *c, int rootfd, struct bh_error **err)
{
	static const struct {
		const char *path;
		int major, minor;
	} defaults[] = {
		{ "/dev/null", 1, 3 },	 { "/dev/zero", 1, 5 },	   { "/dev/full", 1, 7 },
		{ "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
	};
	static const struct {
		const char *name, *target;
	} links[] = {
		{ "fd", "/proc/self/fd" },
		{ "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" },
		{ "stderr", "/proc/self/fd/2" },
	};
	bool dev_mounted = false, pts = false;
	int devfd;

	for (size_t i = 0; i < c->spec->nmounts; i++) {
		if (!strcmp(c->spec->mounts[i].destination, "/dev"))
			dev_mounted = true;
		if (!strcmp(c->spec->mounts[i].destination, "/dev/pts"))
			pts = true;
	}
	if (dev_mounted) {
		for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
			bool configured = false;

			for (size_t k = 0; k < c->spec->ndevices; k++)
				if (!strcmp(c->spec->devices[k].path, defaults[i].path))
					configured = true;
			if (!configured &&
			    make_device(rootfd, defaults[i].path, 'c', defaults[i].major,
					defaults[i].minor, 0666, 0, 0, c->userns, err) < 0)
				return -1;
		}
		devfd = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, true);
		if (devfd < 0)
			return bh_error_sys(err, errno, "opening /dev in the container");
		for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
			if (symlinkat(links[i].target, devfd, links[i].name) < 0 && errno != EEXIST)
				bh_debug("/dev/%s: %s", links[i].name, strerror(errno));
		if (pts) {
			if (symlinkat("pts/ptmx", devfd, "ptmx") < 0 && errno == EEXIST)
				bh_debug("/dev/ptmx exists");
		}
		close(devfd);
	}
	for (size_t k = 0; k < c->spec->ndevices; k++) {
		const struct bh_rt_device *d = &c->spec->devices[k];

		if (make_device(rootfd, d->path, d->type, d->major, d->minor, d->mode, d->uid,
				d->gid, c->userns, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- sysctl, masked and read-only paths -------------------------------- */

static bool sysctl_allowed(const struct bh_rt_spec *s, const char *k)
{
	static const char *const ipc[] = {
		"kernel.msgmax", "kernel.msgmnb",	   "kernel.msgmni",
		"kernel.sem",	 "kernel.shmall",	   "kernel.shmmax",
		"kernel.shmmni", "kernel.shm_rmid_forced", NULL
	};

	for (size_t i = 0; ipc[i]; i++)
		if (!strcmp(k, ipc[i]))
			return bh_rt_spec_has_ns(s, CLONE_NEWIPC);
	if (bh_str_has_prefix(k, "fs.mqueue."))
		return bh_rt_spec_has_ns(s, CLONE_NEWIPC);
	if (bh_str_has_prefix(k, "net."))
		return bh_rt_spec_has_ns(s, CLONE_NEWNET);
	if (!strcmp(k, "kernel.hostname") || !strcmp(k, "kernel.domainname"))
		return bh_rt_spec_has_ns(s, CLONE_NEWUTS);
	return false;
}

static int write_sysctls(const struct bh_rt_spec *s, int rootfd, struct bh_error **err)
{
	const char *k;
	json_t *v;

	if (!s->sysctl)
		return 0;
	json_object_foreach (s->sysctl, k, v) {
		char *path;
		const char *val = json_string_value(v);
		int fd;

		if (!sysctl_allowed(s, k))
			return bh_error_set(err, BH_ERR_UNSAFE,
					    "sysctl %s is not namespaced (or its namespace is the "
					    "host's): refused",
					    k);
		path = bh_asprintf("/proc/sys/%s", k);
		if (!strchr(k, '/'))
			for (char *p = path + 10; *p; p++)
				if (*p == '.')
					*p = '/';
		fd = open_in_root(rootfd, path, O_WRONLY, true);
		if (fd < 0 || bh_write_all(fd, val, strlen(val), NULL) < 0) {
			bh_error_sys(err, errno, "sysctl %s (%s)", k, path);
			if (fd >= 0)
				close(fd);
			free(path);
			return -1;
		}
		close(fd);
		free(path);
	}
	return 0;
}

static int mask_path(int rootfd, const char *path, struct bh_error **err)
{
	struct stat st;
	int fd = open_in_root(rootfd, path, O_PATH | O_NOFOLLOW, false), r = -1;

	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return bh_error_sys(err, errno, "masking %s", path);
	}
	if (fstat(fd, &st) < 0) {
		bh_error_sys(err, errno, "masking %s", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		if (mount_new("tmpfs", "tmpfs", "size=0,nr_inodes=1",
			      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				      MOUNT_ATTR_NOEXEC,
			      fd, false, err) < 0)
			goto out;
	} else {
		int src = clone_tree("/dev/null", false);

		if (src < 0 || attach(src, fd) < 0) {
			bh_error_sys(err, errno, "masking %s", path);
			if (src >= 0)
				close(src);
			goto out;
		}
		close(src);
	}
	r = 0;
out:
	if (r < 0)
		bh_error_prefix(err, "masked path %s", path);
	close(fd);
	return r;
}

static int readonly_path(int rootfd, const char *path, struct bh_error **err)
{
	int fd = open_in_root(rootfd, path, O_PATH | O_NOFOLLOW, false), t = -1, r = -1;

	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return bh_error_sys(err, errno, "read-only path %s", path);
	}
	t = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (t < 0 ||
	    mount_attr(t, NULL, true,
		       MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
		       0, 0, -1) < 0 ||
	    attach(t, fd) < 0) {
		bh_error_sys(err, errno, "read-only path %s", path);
		goto out;
	}
	r = 0;
out:
	if (t >= 0)
		close(t);
	close(fd);
	return r;
}

static bool listed(char *const *v, size_t n, const char *p)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], p))
			return true;
	return false;
}

static int protect_paths(const struct bh_rt_spec *s, int rootfd, struct bh_error **err)
{
	for (size_t i = 0; i < s->nmasked; i++)
		if (mask_path(rootfd, s->masked_paths[i], err) < 0)
			return -1;
	for (size_t i = 0; rt_mandatory_masked[i]; i++)
		if (!listed(s->masked_paths, s->nmasked, rt_mandatory_masked[i]) &&
		    mask_path(rootfd, rt_mandatory_masked[i], err) < 0)
			return -1;
	for (size_t i = 0; i < s->nreadonly; i++)
		if (readonly_path(rootfd, s->readonly_paths[i], err) < 0)
			return -1;
	for (size_t i = 0; rt_mandatory_readonly[i]; i++)
		if (!listed(s->readonly_paths, s->nreadonly, rt_mandatory_readonly[i]) &&
		    !listed(s->masked_paths, s->nmasked, rt_mandatory_readonly[i]) &&
		    readonly_path(rootfd, rt_mandatory_readonly[i], err) < 0)
			return -1;
	return 0;
}

/* ---- pivot_root --------------------------------------------------------- */

static int do_pivot(int rootfd, bool no_pivot, struct bh_error **err)
{
	if (fchdir(rootfd) < 0)
		return bh_error_sys(err, errno, "entering the rootfs");
	if (no_pivot) {
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			return bh_error_sys(err, errno, "moving the rootfs to /");
		if (chroot(".") < 0)
			return bh_error_sys(err, errno, "chroot");
	} else {
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return bh_error_sys(err, errno, "pivot_root");
		/* the old root is stacked on "."; keep its unmount from
		 * propagating to the host, then drop it */
		if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
			return bh_error_sys(err, errno, "making the old root a slave");
		if (umount2(".", MNT_DETACH) < 0)
			return bh_error_sys(err, errno, "detaching the old root");
	}
	if (chdir("/") < 0)
		return bh_error_sys(err, errno, "chdir /");
	return 0;
}

/*
 * In a joined mount namespace the rootfs path was resolved by the runtime in
 * its own: open it here with no symlink on the way, check it is the directory
 * the runtime saw, and bind it on itself through the fd. Returns an O_PATH fd
 * on the root of the new bind mount.
 */
static int bind_root_joined(const struct rt_mount_ctx *c, struct bh_error **err)
{
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	struct stat st;
	int fd, t = -1, r = -1;

	fd = (int)syscall(SYS_openat2, AT_FDCWD, c->rootfs, &how, sizeof(how));
	if (fd < 0)
		return bh_error_sys(err, errno, "the rootfs %s in the joined mount namespace%s",
				    c->rootfs,
				    errno == ELOOP ? " (a symlink on the way is not allowed)" : "");
	if (fstat(fd, &st) < 0 || st.st_dev != c->root_dev || st.st_ino != c->root_ino) {
		bh_error_set(err, BH_ERR_UNSAFE,
			     "the rootfs %s is another directory in the joined mount namespace",
			     c->rootfs);
		goto out;
	}
	t = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (t < 0 || attach(t, fd) < 0) {
		bh_error_sys(err, errno, "binding the rootfs %s", c->rootfs);
		goto out;
	}
	r = openat(t, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r < 0)
		bh_error_sys(err, errno, "opening the rootfs %s", c->rootfs);
out:
	if (t >= 0)
		close(t);
	close(fd);
	return r;
}

int rt_mount_setup(struct rt_mount_ctx *c, struct bh_error **err)
{
	const struct bh_rt_spec *s = c->spec;
	unsigned long prop = MS_SLAVE | MS_REC;
	int rootfd = -1, r = -1;

	if (s->rootfs_propagation & (MS_SLAVE | MS_PRIVATE))
		prop = s->rootfs_propagation | MS_REC;
	if (mount(NULL, "/", NULL, prop, NULL) < 0) {
		bh_error_sys(err, errno, "making / %s", prop & MS_PRIVATE ? "private" : "a slave");
		goto out;
	}
	if (c->joined_mntns) {
		rootfd = bind_root_joined(c, err);
		if (rootfd < 0)
			goto out;
	} else {
		if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) {
			bh_error_sys(err, errno, "binding the rootfs %s", c->rootfs);
			goto out;
		}
		rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0) {
			bh_error_sys(err, errno, "opening the rootfs %s", c->rootfs);
			goto out;
		}
	}
	for (size_t i = 0; i < s->nmounts; i++)
		if (do_mount(c, i, rootfd, err) < 0)
			goto out;
	if (setup_dev(c, rootfd, err) < 0 || write_sysctls(s, rootfd, err) < 0 ||
	    protect_paths(s, rootfd, err) < 0)
		goto out;
	if (c->have_hooks && c->sync >= 0) {
		struct rt_sync_msg m;

		if (rt_sync_send(c->sync, SYNC_HOOKS, 0, NULL) < 0 ||
		    rt_sync_recv(c->sync, &m, NULL, NULL) < 0 || m.type != SYNC_GO) {
			bh_error_set(err, BH_ERR_IO, "the runtime did not confirm the hooks");
			goto out;
		}
	}
	if (do_pivot(rootfd, c->no_pivot, err) < 0)
		goto out;
	if (s->rootfs_propagation & MS_SHARED &&
	    mount(NULL, "/", NULL, MS_SHARED | (s->rootfs_propagation & MS_REC), NULL) < 0) {
		bh_error_sys(err, errno, "rootfsPropagation");
		goto out;
	}
	if (s->root_readonly && mount_attr(AT_FDCWD, "/", false, MOUNT_ATTR_RDONLY, 0, 0, -1) < 0) {
		bh_error_sys(err, errno, "making the root read-only");
		goto out;
	}
	r = 0;
out:
	if (rootfd >= 0)
		close(rootfd);
	return r;
}

/* ---- idmapped mounts, prepared by the runtime --------------------------- */

static int write_map(pid_t pid, const char *file, const struct bh_rt_idmap *m, size_t n)
{
	struct bh_buf b = BH_BUF_INIT(64 * 1024);
	char path[64];
	int fd, r = -1;

	for (size_t i = 0; i < n; i++)
		if (bh_buf_addf(&b, NULL, "%u %u %u\n", m[i].container_id, m[i].host_id,
				m[i].size) < 0)
			goto out;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	r = write(fd, b.data, b.len) == (ssize_t)b.len ? 0 : -1;
	close(fd);
out:
	bh_buf_release(&b);
	return r;
}

/* A user namespace with the given mappings: returns its fd. */
static int userns_with(const struct bh_rt_idmap *u, size_t nu, const struct bh_rt_idmap *g,
		       size_t ng, struct bh_error **err)
{
	char path[64];
	pid_t pid;
	int fd = -1;

	pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0)
		return bh_error_sys(err, errno, "creating a user namespace for an idmapped mount");
	if (pid == 0) {
		for (;;)
			pause();
	}
	if (write_map(pid, "uid_map", u, nu) < 0 || write_map(pid, "gid_map", g, ng) < 0) {
		bh_error_sys(err, errno, "writing the mappings of an idmapped mount");
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		bh_error_sys(err, errno, "opening %s", path);
out:
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return fd;
}

int rt_mount_idmapped(const struct bh_rt_mount *m, pid_t child, struct bh_error **err)
{
	int uns, t;
	char path[64];

	if (m->nuid_mappings) {
		uns = userns_with(m->uid_mappings, m->nuid_mappings, m->gid_mappings,
				  m->ngid_mappings, err);
	} else {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)child);
		uns = open(path, O_RDONLY | O_CLOEXEC);
		if (uns < 0)
			bh_error_sys(err, errno, "opening %s", path);
	}
	if (uns < 0)
		return -1;
	t = clone_tree(m->source, m->rbind || m->ridmap);
	if (t < 0) {
		bh_error_sys(err, errno, "idmapped mount %s: cloning", m->source);
		close(uns);
		return -1;
	}
	if (mount_attr(t, NULL, m->ridmap, MOUNT_ATTR_IDMAP, 0, 0, uns) < 0) {
		bh_error_sys(err, errno, "idmapped mount %s", m->source);
		close(t);
		close(uns);
		return -1;
	}
	close(uns);
	return t;
}
