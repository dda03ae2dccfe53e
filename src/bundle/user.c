/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The user of an image's process, resolved as runc resolves it: through the
 * image's own /etc/passwd and /etc/group, read inside its root (in-root
 * resolution, a size limit, regular files only). A numeric user need not
 * exist in /etc/passwd (gid 0 then); supplementary groups come from
 * /etc/group when no group is given.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "internal.h"
#include "banned.h"

#define MAX_ID_FILE (4 * 1024 * 1024)
#define MAX_ID	    INT32_MAX

/* ---- /etc/passwd and /etc/group --------------------------------------- */

/* One field of a line: not NUL-terminated. */
struct field {
	const char *p;
	size_t n;
};

/* Split (line, len) at ':' into at most max fields; returns the count, or
 * -1 when there are more than max. */
static int split_fields(const char *line, size_t len, struct field *f, int max)
{
	int n = 0;
	const char *end = line + len;

	for (;;) {
		const char *c = memchr(line, ':', (size_t)(end - line));

		if (n == max)
			return -1;
		f[n].p = line;
		f[n].n = c ? (size_t)(c - line) : (size_t)(end - line);
		n++;
		if (!c)
			return n;
		line = c + 1;
	}
}

static bool field_eq(const struct field *f, const char *s)
{
	return strlen(s) == f->n && !memcmp(f->p, s, f->n);
}

/* A user or group name: non-empty, printable, no spaces, not a NIS "+"/"-"
 * entry. */
static bool valid_name(const struct field *f)
{
	size_t i;

	if (!f->n || f->p[0] == '+' || f->p[0] == '-')
		return false;
	for (i = 0; i < f->n; i++)
		if ((unsigned char)f->p[i] <= ' ' || f->p[i] == 0x7f)
			return false;
	return true;
}

/* A decimal id in [0, MAX_ID]. */
static int parse_id(const char *s, size_t n, uint32_t *out)
{
	char num[16];
	uint64_t v;

	if (!n || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = 0;
	if (bh_parse_u64(num, &v, NULL) < 0 || v > MAX_ID)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

struct pwent {
	struct field name;
	uint32_t uid, gid;
};

/* "name:password:uid:gid[:gecos:home:shell]"; -1 if malformed. */
static int parse_passwd_line(const char *line, size_t len, struct pwent *pw)
{
	struct field f[7];
	int n = split_fields(line, len, f, 7);

	if (n < 4 || !valid_name(&f[0]) || parse_id(f[2].p, f[2].n, &pw->uid) < 0 ||
	    parse_id(f[3].p, f[3].n, &pw->gid) < 0)
		return -1;
	pw->name = f[0];
	return 0;
}

struct grent {
	struct field name;
	uint32_t gid;
	struct field members; /* comma-separated */
};

/* "name:password:gid[:member,member...]"; -1 if malformed. */
static int parse_group_line(const char *line, size_t len, struct grent *gr)
{
	struct field f[4];
	int n = split_fields(line, len, f, 4);

	if (n < 3 || !valid_name(&f[0]) || parse_id(f[2].p, f[2].n, &gr->gid) < 0)
		return -1;
	gr->name = f[0];
	gr->members = n == 4 ? f[3] : (struct field){ "", 0 };
	return 0;
}

static bool has_member(const struct grent *gr, const char *name)
{
	const char *p = gr->members.p, *end = p + gr->members.n;

	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		struct field m = { p, c ? (size_t)(c - p) : (size_t)(end - p) };

		if (field_eq(&m, name))
			return true;
		p = c ? c + 1 : end;
	}
	return false;
}

/* Iterate the lines of b: *pos is the cursor. Skips blank and '#' lines. */
static bool next_line(const struct bh_buf *b, size_t *pos, const char **line, size_t *len)
{
	while (b->data && *pos < b->len) {
		const char *s = b->data + *pos;
		const char *nl = memchr(s, '\n', b->len - *pos);
		size_t n = nl ? (size_t)(nl - s) : b->len - *pos;

		*pos += n + (nl ? 1 : 0);
		if (n && s[n - 1] == '\r')
			n--;
		if (!n || s[0] == '#')
			continue;
		*line = s;
		*len = n;
		return true;
	}
	return false;
}

/* Read `path` inside the root into b; *found false when it does not exist. */
static int read_id_file(int rootfd, const char *path, struct bh_buf *b, bool *found,
			struct bh_error **err)
{
	struct stat st;
	int fd;
	int r;

	*found = false;
	fd = bh_root_openat(rootfd, path, O_PATH, 0, NULL);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return bh_error_sys(err, errno, "opening the image's /%s", path);
	}
	r = fstat(fd, &st);
	close(fd);
	if (r < 0)
		return bh_error_sys(err, errno, "stat the image's /%s", path);
	/* Never open a fifo (it would block) or a device (side effects). */
	if (!S_ISREG(st.st_mode))
		return bh_error_set(err, BH_ERR_INVALID, "the image's /%s is not a regular file",
				    path);
	fd = bh_root_openat(rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, err);
	if (fd < 0)
		return bh_error_prefix(err, "the image's /%s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return bh_error_set(err, BH_ERR_INVALID, "the image's /%s is not a regular file",
				    path);
	}
	r = bh_buf_read_fd(b, fd, path, err);
	close(fd);
	if (r < 0)
		return bh_error_prefix(err, "the image's /%s", path);
	*found = true;
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!bh_isdigit(*s))
			return false;
	return true;
}

int bundle_resolve_user(int rootfd, const char *spec, struct bundle_user *out,
			struct bh_error **err)
{
	struct bh_buf passwd = BH_BUF_INIT(MAX_ID_FILE), group = BH_BUF_INIT(MAX_ID_FILE);
	char *uspec = NULL, *gspec = NULL, *colon, *matched = NULL;
	bool have_passwd, have_group, have_pw = false, numeric;
	struct pwent pw = { { NULL, 0 }, 0, 0 };
	const char *line;
	size_t len, pos;
	int result = -1;

	memset(out, 0, sizeof(*out));
	uspec = bh_strdup(spec && *spec ? spec : "0");
	colon = strchr(uspec, ':');
	if (colon) {
		*colon = 0;
		gspec = colon + 1;
	}
	if (!*uspec) {
		free(uspec);
		uspec = NULL;
		bh_error_set(err, BH_ERR_INVALID, "user '%s': no user before ':'", spec);
		goto out;
	}
	if (read_id_file(rootfd, "etc/passwd", &passwd, &have_passwd, err) < 0 ||
	    read_id_file(rootfd, "etc/group", &group, &have_group, err) < 0)
		goto out;

	numeric = all_digits(uspec);
	if (numeric && parse_id(uspec, strlen(uspec), &out->uid) < 0) {
		bh_error_set(err, BH_ERR_INVALID, "user id '%s' is out of range", uspec);
		goto out;
	}
	pos = 0;
	while (next_line(&passwd, &pos, &line, &len)) {
		struct pwent e;

		if (parse_passwd_line(line, len, &e) < 0)
			continue;
		if (numeric ? e.uid == out->uid : field_eq(&e.name, uspec)) {
			pw = e;
			have_pw = true;
			break;
		}
	}
	if (!numeric && !have_pw) {
		bh_error_set(err, BH_ERR_NOTFOUND, "user '%s' is not in the image's /etc/passwd%s",
			     uspec, have_passwd ? "" : " (the image has none)");
		goto out;
	}
	if (have_pw) {
		out->uid = pw.uid;
		out->gid = pw.gid;
		matched = bh_strndup(pw.name.p, pw.name.n);
	}

	if (gspec && *gspec) {
		bool found = false;

		if (all_digits(gspec)) {
			if (parse_id(gspec, strlen(gspec), &out->gid) < 0) {
				bh_error_set(err, BH_ERR_INVALID, "group id '%s' is out of range",
					     gspec);
				goto out;
			}
			found = true;
		}
		pos = 0;
		while (!found && next_line(&group, &pos, &line, &len)) {
			struct grent g;

			if (parse_group_line(line, len, &g) == 0 && field_eq(&g.name, gspec)) {
				out->gid = g.gid;
				found = true;
			}
		}
		if (!found) {
			bh_error_set(err, BH_ERR_NOTFOUND,
				     "group '%s' is not in the image's /etc/group%s", gspec,
				     have_group ? "" : " (the image has none)");
			goto out;
		}
	} else if (matched) {
		pos = 0;
		while (next_line(&group, &pos, &line, &len)) {
			struct grent g;
			size_t i;

			if (parse_group_line(line, len, &g) < 0 || !has_member(&g, matched) ||
			    g.gid == out->gid)
				continue;
			for (i = 0; i < out->nsgids && out->sgids[i] != g.gid; i++)
				;
			if (i < out->nsgids)
				continue;
			out->sgids =
				bh_reallocarray(out->sgids, out->nsgids + 1, sizeof(*out->sgids));
			out->sgids[out->nsgids++] = g.gid;
		}
	}
	result = 0;
out:
	if (result < 0) {
		free(out->sgids);
		out->sgids = NULL;
		out->nsgids = 0;
	}
	free(matched);
	free(uspec);
	bh_buf_release(&passwd);
	bh_buf_release(&group);
	return result;
}
