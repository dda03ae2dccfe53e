// SPDX-License-Identifier: Apache-2.0
/*
 * The monitor's local outputs: JSON lines (or text lines) on a fd the
 * caller owns (stdout), and JSON lines in a file rotated by size: when a
 * batch would take the file past rotate_size, PATH.K-1 .. PATH.1 move up one
 * (PATH.K is replaced), PATH becomes PATH.1 (each a rename(2), atomic) and a
 * new PATH is started. reopen (SIGHUP) opens PATH again, for an external
 * logrotate that moved it away.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline_internal.h"
#include "banned.h"

#define LINES_MAX (16u << 20) /* bytes of one batch's lines */

/* The batch's lines into b (JSON, or text for the fd output's text mode). */
static int lines(struct bh_buf *b, const struct mon_msg *msgs, const struct mon_json *const *js,
		 size_t n, bool text, struct bh_error **err)
{
	for (size_t i = 0; i < n; i++) {
		if (text) {
			char *t = mon_msg_text(&msgs[i]);
			int r = bh_buf_adds(b, t, err);

			free(t);
			if (r < 0)
				return -1;
			continue;
		}
		if (bh_buf_add(b, js[i]->s, js[i]->len, err) < 0 || bh_buf_addc(b, '\n', err) < 0)
			return -1;
	}
	return 0;
}

/* ---- a fd ---------------------------------------------------------------------- */

struct out_fd {
	int fd;
	bool text;
};

static int fd_open(const struct bh_mon_output_opts *o, void **impl, char *name, size_t namesz,
		   struct bh_error **err)
{
	struct out_fd *f;

	if (o->fd < 0)
		return bh_error_set(err, BH_ERR_USAGE, "output: no fd");
	f = bh_calloc(1, sizeof(*f));
	f->fd = o->fd;
	f->text = o->text;
	snprintf(name, namesz, o->fd == 1 ? "stdout" : "fd %d", o->fd);
	*impl = f;
	return 0;
}

static int fd_write(void *impl, const struct mon_msg *msgs, const struct mon_json *const *js,
		    size_t n, const atomic_bool *stop, struct bh_error **err)
{
	struct out_fd *f = impl;
	struct bh_buf b = BH_BUF_INIT(LINES_MAX);
	int rc = -1;

	if (lines(&b, msgs, js, n, f->text, err) < 0)
		goto out;
	rc = bh_write_all(f->fd, b.data, b.len, err);
out:
	bh_buf_release(&b);
	return rc;
}

static void fd_close(void *impl)
{
	free(impl);
}

const struct mon_output_ops mon_output_fd = {
	.open = fd_open,
	.write = fd_write,
	.close = fd_close,
};

/* ---- a rotated file --------------------------------------------------------------- */

struct out_file {
	char *path;
	int fd;
	uint64_t size, max;
	unsigned keep;
};

static int file_reopen(void *impl, struct bh_error **err)
{
	struct out_file *f = impl;
	struct stat st;
	int fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);

	if (fd < 0)
		return bh_error_sys(err, errno, "%s", f->path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return bh_error_set(err, BH_ERR_INVALID, "%s: not a regular file", f->path);
	}
	if (f->fd >= 0)
		close(f->fd);
	f->fd = fd;
	f->size = (uint64_t)st.st_size;
	return 0;
}

static int rotate(struct out_file *f, struct bh_error **err)
{
	char *from = NULL, *to = NULL;
	int rc = -1;

	for (unsigned i = f->keep; i > 1; i--) {
		from = bh_asprintf("%s.%u", f->path, i - 1);
		to = bh_asprintf("%s.%u", f->path, i);
		if (rename(from, to) < 0 && errno != ENOENT) {
			bh_error_sys(err, errno, "rotate %s to %s", from, to);
			goto out;
		}
		free(from);
		free(to);
		from = to = NULL;
	}
	to = bh_asprintf("%s.1", f->path);
	if (rename(f->path, to) < 0 && errno != ENOENT) {
		bh_error_sys(err, errno, "rotate %s to %s", f->path, to);
		goto out;
	}
	rc = file_reopen(f, err);
out:
	free(from);
	free(to);
	return rc;
}

static int file_open(const struct bh_mon_output_opts *o, void **impl, char *name, size_t namesz,
		     struct bh_error **err)
{
	struct out_file *f;

	if (!o->path || !*o->path)
		return bh_error_set(err, BH_ERR_USAGE, "file output: no path");
	f = bh_calloc(1, sizeof(*f));
	f->path = bh_strdup(o->path);
	f->fd = -1;
	f->max = o->rotate_size ? o->rotate_size : 64ull << 20;
	f->keep = o->rotate_keep ? o->rotate_keep : 5;
	snprintf(name, namesz, "file %s", o->path);
	if (file_reopen(f, err) < 0) {
		free(f->path);
		free(f);
		return -1;
	}
	*impl = f;
	return 0;
}

static int file_write(void *impl, const struct mon_msg *msgs, const struct mon_json *const *js,
		      size_t n, const atomic_bool *stop, struct bh_error **err)
{
	struct out_file *f = impl;
	struct bh_buf b = BH_BUF_INIT(LINES_MAX);
	int rc = -1;

	/* line by line, so that no file grows past the size by more than a line */
	for (size_t i = 0; i < n; i++) {
		bh_buf_reset(&b);
		if (lines(&b, &msgs[i], &js[i], 1, false, err) < 0)
			goto out;
		if (f->size && f->size + b.len > f->max && rotate(f, err) < 0)
			goto out;
		if (bh_write_all(f->fd, b.data, b.len, err) < 0) {
			bh_error_prefix(err, "%s", f->path);
			goto out;
		}
		f->size += b.len;
	}
	rc = 0;
out:
	bh_buf_release(&b);
	return rc;
}

static void file_close(void *impl)
{
	struct out_file *f = impl;

	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f);
}

const struct mon_output_ops mon_output_file = {
	.open = file_open,
	.write = file_write,
	.reopen = file_reopen,
	.close = file_close,
};
