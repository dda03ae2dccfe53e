/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Path handling for untrusted names: lexical cleaning, and opening files
 * inside a root directory so that nothing (.., absolute names, symlinks)
 * can reach outside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "banned.h"

#define MAX_SYMLINKS 40

int bh_path_clean(const char *in, bool allow_dotdot, size_t max_len, struct bh_buf *out,
		  struct bh_error **err)
{
	const char *p = in;
	size_t inlen = strlen(in);

	if (inlen > max_len)
		return bh_error_set(err, BH_ERR_LIMIT, "path of %zu bytes exceeds the limit of %zu",
				    inlen, max_len);
	bh_buf_reset(out);
	while (*p) {
		const char *end;
		size_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchr(p, '/');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n == 1 && p[0] == '.') {
			/* skip */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash;

			if (!allow_dotdot)
				return bh_error_set(err, BH_ERR_UNSAFE,
						    "path '%.200s' contains a '..' component", in);
			if (out->len == 0)
				return bh_error_set(err, BH_ERR_UNSAFE,
						    "path '%.200s' climbs above its root", in);
			slash = memrchr(out->data, '/', out->len);
			out->len = slash ? (size_t)(slash - out->data) : 0;
			out->data[out->len] = 0;
		} else {
			if (out->len && bh_buf_addc(out, '/', err) < 0)
				return -1;
			if (bh_buf_add(out, p, n, err) < 0)
				return -1;
		}
		p += n;
	}
	if (!out->data)
		bh_buf_add(out, "", 0, NULL);
	return 0;
}

int bh_root_open(const char *dir, struct bh_error **err)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return bh_error_sys(err, errno, "opening root directory %s", dir);
	return fd;
}

static long sys_openat2(int dirfd, const char *path, struct open_how *how)
{
	return syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

/* openat2's tries while it says EAGAIN (a rename raced the resolution) */
#define BH_ROOT_OPEN_TRIES 64

/* -1: openat2 unknown yet, 0: absent (ENOSYS), 1: present. */
static int have_openat2 = -1;

int bh_root_openat(int rootfd, const char *path, int flags, mode_t mode, struct bh_error **err)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (have_openat2 != 0) {
		/* EAGAIN: a rename somewhere meanwhile; retried a bounded number of times */
		int tries = 0;

		do
			fd = sys_openat2(rootfd, *path ? path : ".", &how);
		while (fd < 0 && errno == EAGAIN && ++tries < BH_ROOT_OPEN_TRIES);
		if (fd < 0 && errno == EAGAIN)
			return bh_error_sys(err, EAGAIN,
					    "opening '%.200s' inside the root: renames meanwhile, "
					    "%d tries",
					    path, BH_ROOT_OPEN_TRIES);
		if (fd >= 0) {
			have_openat2 = 1;
			return (int)fd;
		}
		if (errno != ENOSYS && !(errno == EPERM && have_openat2 < 0))
			return bh_error_sys(err, errno, "opening '%.200s' inside the root", path);
		have_openat2 = 0;
	}
	return bh_root_walk(rootfd, path, flags, mode, err);
}

/* A stack of directory fds: [0] is the root (not owned), the rest owned. */
struct walk {
	int *fds;
	size_t n;
};

static int walk_top(const struct walk *w)
{
	return w->fds[w->n - 1];
}

static void walk_pop(struct walk *w)
{
	if (w->n > 1)
		close(w->fds[--w->n]);
}

static void walk_push(struct walk *w, int fd)
{
	w->fds = bh_reallocarray(w->fds, w->n + 1, sizeof(int));
	w->fds[w->n++] = fd;
}

static void walk_reset(struct walk *w)
{
	while (w->n > 1)
		walk_pop(w);
}

/* Replace the consumed prefix of `rest` (up to offset pos) by the link target. */
static int splice_link(struct bh_buf *rest, size_t pos, int fd, struct bh_error **err)
{
	char target[4096];
	struct bh_buf nb = BH_BUF_INIT(rest->max);
	ssize_t n = readlinkat(fd, "", target, sizeof(target));

	if (n < 0)
		return bh_error_sys(err, errno, "reading a symlink");
	if ((size_t)n >= sizeof(target))
		return bh_error_set(err, BH_ERR_LIMIT, "symlink target too long");
	if (bh_buf_add(&nb, target, (size_t)n, err) < 0 || bh_buf_addc(&nb, '/', err) < 0 ||
	    bh_buf_adds(&nb, rest->data + pos, err) < 0) {
		bh_buf_release(&nb);
		return -1;
	}
	bh_buf_release(rest);
	*rest = nb;
	return 0;
}

int bh_root_walk(int rootfd, const char *path, int flags, mode_t mode, struct bh_error **err)
{
	struct bh_buf rest = BH_BUF_INIT(64 * 1024);
	struct walk w = { NULL, 0 };
	unsigned links = 0;
	size_t pos = 0;
	int result = -1;

	walk_push(&w, rootfd);
	if (bh_buf_adds(&rest, path, err) < 0)
		goto out;

	for (;;) {
		char name[256];
		const char *p, *end;
		size_t n;
		bool last;
		int fd;
		struct stat st;

		while (rest.data[pos] == '/')
			pos++;
		if (rest.data[pos] == 0) {
			/* The path names a directory already on the stack. */
			result = openat(walk_top(&w), ".", flags | O_CLOEXEC, mode);
			if (result < 0)
				bh_error_sys(err, errno, "opening '%.200s' inside the root", path);
			goto out;
		}
		p = rest.data + pos;
		end = strchr(p, '/');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n >= sizeof(name)) {
			bh_error_set(err, BH_ERR_LIMIT, "path component too long in '%.200s'",
				     path);
			goto out;
		}
		memcpy(name, p, n);
		name[n] = 0;
		pos += n;
		while (rest.data[pos] == '/')
			pos++;
		last = rest.data[pos] == 0;

		if (!strcmp(name, ".")) {
			if (last) {
				result = openat(walk_top(&w), ".", flags | O_CLOEXEC, mode);
				if (result < 0)
					bh_error_sys(err, errno, "opening '%.200s'", path);
				goto out;
			}
			continue;
		}
		if (!strcmp(name, "..")) {
			walk_pop(&w); /* ".." of the root is the root */
			if (last) {
				result = openat(walk_top(&w), ".", flags | O_CLOEXEC, mode);
				if (result < 0)
					bh_error_sys(err, errno, "opening '%.200s'", path);
				goto out;
			}
			continue;
		}

		fd = openat(walk_top(&w), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && !(last && errno == ENOENT && (flags & O_CREAT))) {
			bh_error_sys(err, errno, "opening '%.200s' inside the root", path);
			goto out;
		}
		if (fd >= 0 && fstat(fd, &st) < 0) {
			bh_error_sys(err, errno, "stat '%.200s'", path);
			close(fd);
			goto out;
		}
		if (fd >= 0 && S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
			if (++links > MAX_SYMLINKS) {
				close(fd);
				bh_error_sys(err, ELOOP, "opening '%.200s' inside the root", path);
				goto out;
			}
			if (splice_link(&rest, pos, fd, err) < 0) {
				close(fd);
				goto out;
			}
			pos = 0;
			if (rest.data[0] == '/')
				walk_reset(&w);
			close(fd);
			continue;
		}
		if (last) {
			if (fd >= 0)
				close(fd);
			result = openat(walk_top(&w), name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
			if (result < 0)
				bh_error_sys(err, errno, "opening '%.200s' inside the root", path);
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(fd);
			bh_error_sys(err, ENOTDIR, "opening '%.200s' inside the root", path);
			goto out;
		}
		walk_push(&w, fd);
	}
out:
	walk_reset(&w);
	free(w.fds);
	bh_buf_release(&rest);
	return result;
}

int bh_root_mkdirs(int rootfd, const char *path, mode_t mode, struct bh_error **err)
{
	struct bh_buf clean = BH_BUF_INIT(64 * 1024);
	int cur = -1;
	size_t i = 0;

	if (bh_path_clean(path, false, 64 * 1024, &clean, err) < 0)
		goto fail;
	cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (cur < 0) {
		bh_error_sys(err, errno, "dup");
		goto fail;
	}
	while (i < clean.len) {
		char *slash = memchr(clean.data + i, '/', clean.len - i);
		size_t end = slash ? (size_t)(slash - clean.data) : clean.len;
		char save = clean.data[end];
		int next;

		clean.data[end] = 0;
		/* Resolve the whole prefix in-root, so symlinks along it keep their
		 * meaning (an absolute target is relative to the root). */
		next = bh_root_openat(rootfd, clean.data, O_PATH | O_DIRECTORY, 0, NULL);
		if (next < 0) {
			/* cur is the parent, resolved in-root; the name is one component. */
			if (mkdirat(cur, clean.data + i, mode) < 0 && errno != EEXIST) {
				bh_error_sys(err, errno, "creating directory '%.200s'", clean.data);
				goto fail;
			}
			next = bh_root_openat(rootfd, clean.data, O_PATH | O_DIRECTORY, 0, err);
			if (next < 0) {
				bh_error_prefix(err, "creating directory '%.200s'", clean.data);
				goto fail;
			}
		}
		close(cur);
		cur = next;
		clean.data[end] = save;
		i = end + 1;
	}
	bh_buf_release(&clean);
	return cur;
fail:
	if (cur >= 0)
		close(cur);
	bh_buf_release(&clean);
	return -1;
}

size_t bh_mount_unescape(const char *s, size_t n, char *out)
{
	char *p = out;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			*p++ = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
				      (s[i + 3] - '0'));
			i += 3;
		} else {
			*p++ = s[i];
		}
	}
	*p = 0;
	return (size_t)(p - out);
}
