/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A root filesystem directory as one pseudo-layer: a depth-first walk by
 * file descriptors (never by re-resolving path strings), not following
 * symlinks and not descending into kernel pseudo file systems (proc, sysfs,
 * cgroup, ...), so `rootfs:/` lists this machine's files, not its kernel.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"
#include "banned.h"

#define MAX_DEPTH 512

static bool pseudo_fs(int fd)
{
	static const long magics[] = {
		PROC_SUPER_MAGIC,
		SYSFS_MAGIC,
		CGROUP_SUPER_MAGIC,
		CGROUP2_SUPER_MAGIC,
		DEBUGFS_MAGIC,
		TRACEFS_MAGIC,
		SECURITYFS_MAGIC,
		BPF_FS_MAGIC,
		DEVPTS_SUPER_MAGIC,
		PSTOREFS_MAGIC,
		HUGETLBFS_MAGIC,
		BINFMTFS_MAGIC,
		EFIVARFS_MAGIC,
		0x62656570 /* configfs */,
		0x65735543 /* fusectl */,
		0x19800202 /* mqueue */,
		0x0187 /* autofs */,
	};
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return false;
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if ((long)sf.f_type == magics[i])
			return true;
	return false;
}

struct frame {
	DIR *d;
	size_t pathlen; /* length of the path prefix for this directory */
};

static void fill(struct bh_entry *e, const struct stat *st, const char *path)
{
	memset(e, 0, sizeof(*e));
	e->path = path;
	e->mode = st->st_mode & 07777;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->mtime = st->st_mtime;
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		e->type = BH_FT_REG;
		e->size = (uint64_t)st->st_size;
		break;
	case S_IFDIR: e->type = BH_FT_DIR; break;
	case S_IFLNK: e->type = BH_FT_SYMLINK; break;
	case S_IFCHR: e->type = BH_FT_CHAR; break;
	case S_IFBLK: e->type = BH_FT_BLOCK; break;
	case S_IFIFO: e->type = BH_FT_FIFO; break;
	default: e->type = 0; break;
	}
	if (e->type == BH_FT_CHAR || e->type == BH_FT_BLOCK) {
		e->devmajor = major(st->st_rdev);
		e->devminor = minor(st->st_rdev);
	}
}

int bh_walk_rootfs(struct bh_image *img, bh_entry_fn fn, void *data, volatile int *cancel,
		   struct bh_error **err)
{
	const struct bh_image_limits *lim = &img->limits;
	struct bh_buf path = BH_BUF_INIT(lim->max_path + 1);
	struct frame *stack = bh_calloc(MAX_DEPTH, sizeof(*stack));
	size_t depth = 0;
	uint64_t entries = 0, bytes = 0;
	struct stat st;
	struct bh_entry e;
	int fd, r = -1;

	fd = fcntl(img->src->rootfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0 || fstat(fd, &st) < 0) {
		bh_error_sys(err, errno, "%s", img->location);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	bh_buf_add(&path, "", 0, NULL);
	fill(&e, &st, "");
	if (fn(&e, &(struct bh_entry_reader){ .fd = -1, .dirfd = -1 }, data, err) < 0)
		goto out_fd;
	stack[0].d = fdopendir(fd);
	if (!stack[0].d) {
		bh_error_sys(err, errno, "%s", img->location);
		goto out_fd;
	}
	stack[0].pathlen = 0;
	depth = 1;
	while (depth) {
		struct frame *f = &stack[depth - 1];
		struct dirent *de;
		int dfd = dirfd(f->d);

		if (cancel && *cancel) {
			bh_error_set(err, BH_ERR_USAGE, "cancelled");
			goto out;
		}
		errno = 0;
		de = readdir(f->d);
		if (!de) {
			if (errno)
				bh_warn("%s: reading a directory: %s", img->location,
					strerror(errno));
			closedir(f->d);
			depth--;
			continue;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				bh_warn("%s: %s: %s", img->location, de->d_name, strerror(errno));
			continue;
		}
		if (++entries > lim->max_entries) {
			bh_error_set(err, BH_ERR_LIMIT, "more than %llu entries",
				     (unsigned long long)lim->max_entries);
			goto out;
		}
		path.len = f->pathlen;
		if ((f->pathlen && bh_buf_addc(&path, '/', NULL) < 0) ||
		    bh_buf_adds(&path, de->d_name, NULL) < 0) {
			bh_warn("%s: a path longer than %zu bytes skipped", img->location,
				lim->max_path);
			continue;
		}
		fill(&e, &st, path.data);
		if (!e.type)
			continue; /* sockets */
		{
			char target[4097];
			struct bh_entry_reader rd = { .fd = -1,
						      .dirfd = dfd,
						      .name = de->d_name,
						      .size = e.size,
						      .max_file_read = lim->max_file_read };

			if (e.type == BH_FT_SYMLINK) {
				ssize_t n = readlinkat(dfd, de->d_name, target, sizeof(target) - 1);

				target[n > 0 ? n : 0] = 0;
				e.link = target;
			}
			bytes += e.size;
			r = fn(&e, &rd, data, err);
			if (rd.fd >= 0)
				close(rd.fd);
			if (r < 0) {
				bh_error_prefix(err, "'%.200s'", path.data);
				goto out;
			}
			r = -1;
		}
		if (e.type == BH_FT_DIR) {
			int cfd;
			DIR *cd;

			if (depth == MAX_DEPTH) {
				bh_warn("%s: %.200s: deeper than %d levels, not descending",
					img->location, path.data, MAX_DEPTH);
				continue;
			}
			cfd = openat(dfd, de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0) {
				bh_warn("%s: %.200s: %s", img->location, path.data,
					strerror(errno));
				continue;
			}
			if (pseudo_fs(cfd)) {
				close(cfd);
				continue;
			}
			cd = fdopendir(cfd);
			if (!cd) {
				close(cfd);
				continue;
			}
			stack[depth].d = cd;
			stack[depth].pathlen = path.len;
			depth++;
		}
	}
	img->layers[0].usize = bytes;
	img->layers[0].entries = entries;
	img->layers[0].read = true;
	r = 0;
	goto out;
out_fd:
	close(fd);
out:
	while (depth)
		closedir(stack[--depth].d);
	free(stack);
	bh_buf_release(&path);
	return r;
}
