/* SPDX-License-Identifier: Apache-2.0 */
/* Small file helpers: complete writes, atomic replace, bounded reads, rm -rf. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "base/dir.h"
#include "banned.h"

int bh_write_all(int fd, const void *p, size_t len, struct bh_error **err)
{
	const char *c = p;

	while (len) {
		ssize_t n = write(fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bh_error_sys(err, errno, "write");
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

int bh_tmp_beside(const char *path, mode_t mode, char **tmp, struct bh_error **err)
{
	int fd;

	*tmp = bh_asprintf("%s.tmp.XXXXXX", path);
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0) {
		bh_error_sys(err, errno, "creating a temporary file beside %s", path);
		goto fail;
	}
	if (fchmod(fd, mode) < 0) {
		bh_error_sys(err, errno, "writing %s", *tmp);
		close(fd);
		unlink(*tmp);
		goto fail;
	}
	return fd;
fail:
	free(*tmp);
	*tmp = NULL;
	return -1;
}

int bh_tmp_install(int fd, char *tmp, const char *path, bool sync, struct bh_error **err)
{
	int r = -1;

	if (sync && fsync(fd) < 0) {
		bh_error_sys(err, errno, "writing %s", tmp);
		close(fd);
		goto out;
	}
	if (close(fd) < 0) {
		bh_error_sys(err, errno, "closing %s", tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		bh_error_sys(err, errno, "renaming %s to %s", tmp, path);
		goto out;
	}
	r = 0;
out:
	if (r < 0)
		unlink(tmp);
	free(tmp);
	return r;
}

static int write_replace(const char *path, const void *p, size_t len, mode_t mode, bool sync,
			 struct bh_error **err)
{
	char *tmp;
	int fd = bh_tmp_beside(path, mode, &tmp, err);

	if (fd < 0)
		return -1;
	if (bh_write_all(fd, p, len, err) < 0) {
		bh_error_prefix(err, "writing %s", tmp);
		close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	return bh_tmp_install(fd, tmp, path, sync, err);
}

int bh_write_file_atomic(const char *path, const void *p, size_t len, mode_t mode,
			 struct bh_error **err)
{
	return write_replace(path, p, len, mode, true, err);
}

int bh_write_file_replace(const char *path, const void *p, size_t len, mode_t mode,
			  struct bh_error **err)
{
	return write_replace(path, p, len, mode, false, err);
}

int bh_read_file(const char *path, struct bh_buf *b, struct bh_error **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return bh_error_sys(err, errno, "opening %s", path);
	r = bh_buf_read_fd(b, fd, path, err);
	close(fd);
	return r;
}

int bh_fd_regular(int fd, const char *what, uint64_t max, uint64_t *size, struct bh_error **err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return bh_error_sys(err, errno, "%s", what);
	if (!S_ISREG(st.st_mode))
		return bh_error_set(err, BH_ERR_UNSAFE, "%s: not a regular file", what);
	if ((uint64_t)st.st_size > max)
		return bh_error_set(err, BH_ERR_LIMIT, "%s: %llu bytes, over the limit of %llu",
				    what, (unsigned long long)st.st_size, (unsigned long long)max);
	if (size)
		*size = (uint64_t)st.st_size;
	return 0;
}

int bh_read_fd_regular(int fd, const char *what, struct bh_buf *b, struct bh_error **err)
{
	if (bh_fd_regular(fd, what, b->max, NULL, err) < 0)
		return -1;
	return bh_buf_read_fd(b, fd, what, err);
}

int bh_read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int e;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	e = errno;
	close(fd);
	if (n < 0) {
		errno = e;
		return -1;
	}
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return (int)n;
}

int bh_write_small(const char *path, const char *v, struct bh_error **err)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW), r = 0;

	if (fd < 0)
		return bh_error_sys(err, errno, "opening %s", path);
	if (write(fd, v, strlen(v)) < 0)
		r = bh_error_sys(err, errno, "writing '%s' to %s", v, path);
	close(fd);
	return r;
}

DIR *bh_opendir_at(int dfd)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), e;
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d) {
		e = errno;
		close(fd);
		errno = e;
	}
	return d;
}

/*
 * Remove everything inside the directory fd (which this function closes).
 * Iterative, so depth costs memory for names, not file descriptors or stack:
 * descend into the first subdirectory found, and when a directory is empty
 * climb back through ".." and remove it by name.
 */
static int empty_dir(int fd, const char *what, struct bh_error **err)
{
	char **names = NULL;
	size_t depth = 0;
	int r = -1;

	for (;;) {
		DIR *d;
		struct dirent *de;
		char *sub = NULL;
		int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);

		if (dfd < 0 || !(d = fdopendir(dfd))) {
			if (dfd >= 0)
				close(dfd);
			bh_error_sys(err, errno, "reading directory %s", what);
			goto out;
		}
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (unlinkat(fd, de->d_name, 0) == 0)
				continue;
			if (errno == EISDIR || errno == EPERM) {
				if (unlinkat(fd, de->d_name, AT_REMOVEDIR) == 0)
					continue;
				if (errno == ENOTEMPTY || errno == EEXIST) {
					sub = bh_strdup(de->d_name);
					break;
				}
			}
			if (errno == ENOENT)
				continue;
			bh_error_sys(err, errno, "removing %s/.../%s", what, de->d_name);
			closedir(d);
			goto out;
		}
		closedir(d);
		if (sub) {
			int cfd = openat(fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (cfd < 0) {
				bh_error_sys(err, errno, "opening %s/.../%s", what, sub);
				free(sub);
				goto out;
			}
			close(fd);
			fd = cfd;
			names = bh_reallocarray(names, depth + 1, sizeof(*names));
			names[depth++] = sub;
			continue;
		}
		if (depth == 0)
			break;
		{
			int pfd = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			char *name = names[--depth];

			if (pfd < 0) {
				bh_error_sys(err, errno, "climbing out of %s", what);
				free(name);
				goto out;
			}
			close(fd);
			fd = pfd;
			if (unlinkat(fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
				bh_error_sys(err, errno, "removing %s/.../%s", what, name);
				free(name);
				goto out;
			}
			free(name);
		}
	}
	r = 0;
out:
	while (depth)
		free(names[--depth]);
	free(names);
	close(fd);
	return r;
}

int bh_remove_tree(int dirfd, const char *path, struct bh_error **err)
{
	int fd;

	if (unlinkat(dirfd, path, 0) == 0)
		return 0;
	if (errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return bh_error_sys(err, errno, "removing %s", path);
	fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return bh_error_sys(err, errno, "opening %s", path);
	if (empty_dir(fd, path, err) < 0)
		return -1;
	if (unlinkat(dirfd, path, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return bh_error_sys(err, errno, "removing %s", path);
	return 0;
}

int bh_mkdirs(const char *path, mode_t parent_mode, mode_t mode, struct bh_error **err)
{
	char *parent, *slash;
	int r;

	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return bh_error_sys(err, errno, "creating %s", path);
	/* a parent is missing: make it, then try again */
	parent = bh_strdup(path);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent) {
		free(parent);
		return bh_error_sys(err, ENOENT, "creating %s", path);
	}
	*slash = '\0';
	r = bh_mkdirs(parent, parent_mode, parent_mode, err);
	free(parent);
	if (r < 0)
		return -1;
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return bh_error_sys(err, errno, "creating %s", path);
	return 0;
}

int bh_check_new_dir(const char *dir, struct bh_error **err)
{
	struct dirent *de;
	struct stat st;
	bool empty = true;
	DIR *d;
	int fd;

	if (lstat(dir, &st) < 0) {
		if (errno == ENOENT)
			return 1;
		return bh_error_sys(err, errno, "%s", dir);
	}
	if (!S_ISDIR(st.st_mode))
		return bh_error_set(err, BH_ERR_USAGE,
				    "%s exists and is not empty (not a directory)", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return bh_error_sys(err, errno, "opening %s", dir);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return bh_error_sys(err, errno, "reading %s", dir);
	}
	while (empty && (de = readdir(d)))
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	closedir(d);
	if (!empty)
		return bh_error_set(err, BH_ERR_USAGE, "%s exists and is not empty", dir);
	return 0;
}
