/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host benchmark's results and its readers: every file is read inside
 * the root (bh_root_openat), regular files only, bounded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_int.h"
#include "banned.h"

const char *bh_host_status_name(enum bh_host_status s)
{
	switch (s) {
	case BH_HOST_PASS: return "PASS";
	case BH_HOST_FAIL: return "FAIL";
	case BH_HOST_WARN: return "WARN";
	case BH_HOST_INFO: return "INFO";
	}
	return "?";
}

void host_add(struct hctx *c, const struct check *k, enum bh_host_status s, const char *fmt, ...)
{
	struct bh_host_report *r = c->r;
	struct bh_host_result *x;
	struct bh_buf b = BH_BUF_INIT(4096);
	va_list ap;

	r->v = bh_reallocarray(r->v, r->n + 1, sizeof(*r->v));
	x = &r->v[r->n++];
	memset(x, 0, sizeof(*x));
	x->id = k->id;
	x->section = bh_str_has_prefix(k->id, "BH-ENGINE") ? "engine"
		     : bh_str_has_prefix(k->id, "BH-CTR")  ? "container"
							   : "host";
	x->cis = k->cis;
	x->nist = k->nist;
	x->title = k->title;
	x->expected = k->expected;
	x->remediation = k->remediation;
	x->level = k->level;
	x->status = s;
	va_start(ap, fmt);
	if (bh_buf_vaddf(&b, NULL, fmt, ap) < 0)
		bh_buf_adds(&b, "(value too long)", NULL);
	va_end(ap);
	x->actual = bh_buf_detach(&b, NULL);
	/* what a hostile root wrote (a mount point, a value) stays printable ASCII,
	 * so every view (JSON, XML, a terminal) can carry it */
	for (char *p = x->actual; *p; p++)
		if (!bh_isprint((unsigned char)*p))
			*p = '?';
	if (c->target) {
		x->target = bh_strdup(c->target);
		for (char *p = x->target; *p; p++)
			if (!bh_isprint((unsigned char)*p))
				*p = '?';
	}
}

/* ---- reading inside the root -------------------------------------------------------------- */

/*
 * Read path (relative to the root) into b: 0, -ENOENT when it does not exist,
 * or another negative value with *why saying what was wrong (owned).
 */
int host_read(struct hctx *c, const char *path, struct bh_buf *b, char **why)
{
	struct bh_error *e = NULL;
	struct stat st;
	int fd, r;

	*why = NULL;
	bh_buf_reset(b);
	fd = bh_root_openat(c->rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &e);
	if (fd < 0) {
		r = bh_error_errno(e) == ENOENT ? -ENOENT : -EIO;
		if (r != -ENOENT)
			*why = bh_error_message(e);
		bh_error_free(e);
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*why = bh_asprintf("/%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	r = bh_buf_read_fd(b, fd, path, &e);
	close(fd);
	if (r < 0) {
		*why = bh_error_message(e);
		bh_error_free(e);
		return -EIO;
	}
	if (!b->data)
		bh_buf_adds(b, "", NULL);
	return 0;
}

/* stat path inside the root (following symlinks in-root, or not): 0, -ENOENT, -EIO. */
int host_stat(struct hctx *c, const char *path, bool follow, struct stat *st)
{
	struct bh_error *e = NULL;
	int fd = bh_root_openat(c->rootfd, path, O_PATH | (follow ? 0 : O_NOFOLLOW), 0, &e), r = 0;

	if (fd < 0) {
		r = bh_error_errno(e) == ENOENT ? -ENOENT : -EIO;
		bh_error_free(e);
		return r;
	}
	if (fstat(fd, st) < 0)
		r = -EIO;
	close(fd);
	return r;
}

bool host_exists(struct hctx *c, const char *path)
{
	struct stat st;

	return host_stat(c, path, false, &st) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the regular entries of dir (in the root) ending in suffix, sorted;
 * NULL-terminated (owned), NULL when the directory cannot be read. */
char **host_list_dir(struct hctx *c, const char *dir, const char *suffix)
{
	int fd = bh_root_openat(c->rootfd, dir, O_RDONLY | O_DIRECTORY, 0, NULL);
	DIR *d;
	struct dirent *de;
	char **v;
	size_t n = 0;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return NULL;
	}
	v = bh_calloc(MAX_DIR_ENTS + 1, sizeof(*v));
	while ((de = readdir(d)) && n < MAX_DIR_ENTS) {
		if (de->d_name[0] == '.' || (suffix && !bh_str_has_suffix(de->d_name, suffix)))
			continue;
		v[n++] = bh_strdup(de->d_name);
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_str);
	return v;
}

void host_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void host_ctx_release(struct hctx *c)
{
	for (size_t i = 0; i < c->nmounts; i++)
		free(c->mounts[i].point);
	free(c->mounts);
	free(c->mounts_why);
	free(c->docker_why);
	bh_host_docker_release(&c->docker);
	bh_buf_release(&c->audit);
}
