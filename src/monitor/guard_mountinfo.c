/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The mountinfo parser of the guard (include/bulkhead/guard.h): the mounts of a
 * container's mount namespace, as /proc/PID/mountinfo lists them (untrusted
 * text: fuzz/fuzz_guard.c). Split from guard.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/base.h"
#include "bulkhead/guard.h"
#include "banned.h"

/* ---- mountinfo ------------------------------------------------------------------------ */

static char *unescape_into(const char *s, size_t n, char *o)
{
	bh_mount_unescape(s, n, o);
	return o;
}

/* The next space-separated field of [*p, end); false when none. */
static bool field(const char **p, const char *end, const char **f, size_t *n)
{
	const char *s = *p;

	while (s < end && *s == ' ')
		s++;
	if (s == end)
		return false;
	*f = s;
	while (s < end && *s != ' ')
		s++;
	*n = (size_t)(s - *f);
	*p = s;
	return true;
}

int bh_guard_parse_mountinfo(const char *buf, size_t len,
			     int (*fn)(const struct bh_guard_mount *m, void *arg), void *arg,
			     struct bh_error **err)
{
	const char *p = buf, *end = buf + len;
	char *scratch = NULL;
	size_t line = 0;
	int r = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		const char *f[16], *q = p, *dash = NULL;
		size_t fn_[16], nf = 0, sep = 0;
		struct bh_guard_mount m = { 0 };
		uint64_t id = 0;

		line++;
		if (line > 65536) {
			r = bh_error_set(err, BH_ERR_LIMIT, "mountinfo: more than 65536 lines");
			goto out;
		}
		if (le == p) {
			p = le + 1;
			continue;
		}
		for (;;) {
			const char *x;
			size_t xn;

			if (!field(&q, le, &x, &xn))
				break;
			if (nf == 16) {
				dash = NULL; /* more fields than a mountinfo line has */
				break;
			}
			if (!dash && nf >= 6 && xn == 1 && x[0] == '-') {
				dash = x;
				sep = nf;
			}
			f[nf] = x;
			fn_[nf++] = xn;
		}
		if (!dash || nf != sep + 4) {
			r = bh_error_set(
				err, BH_ERR_INVALID,
				"mountinfo line %zu: not 'ID PARENT MAJ:MIN ROOT POINT OPTS "
				"[TAGS] - FSTYPE SOURCE SUPER'",
				line);
			goto out;
		}
		for (size_t i = 0; i < fn_[0]; i++) {
			if (!bh_isdigit(f[0][i]) || id > (UINT64_MAX - 9) / 10) {
				r = bh_error_set(err, BH_ERR_INVALID,
						 "mountinfo line %zu: bad mount id", line);
				goto out;
			}
			id = id * 10 + (uint64_t)(f[0][i] - '0');
		}
		free(scratch);
		/* point, fstype, upperdir and opts unescaped into one scratch */
		scratch = bh_malloc(fn_[4] + fn_[sep + 1] + fn_[sep + 3] + fn_[5] + 4);
		m.id = id;
		m.point = unescape_into(f[4], fn_[4], scratch);
		m.fstype = unescape_into(f[sep + 1], fn_[sep + 1], scratch + fn_[4] + 1);
		m.opts = unescape_into(f[5], fn_[5],
				       scratch + fn_[4] + fn_[sep + 1] + fn_[sep + 3] + 3);
		{
			const char *o = f[sep + 3], *oe = o + fn_[sep + 3];
			char *up = scratch + fn_[4] + fn_[sep + 1] + 2;

			while (o < oe) {
				const char *c = memchr(o, ',', (size_t)(oe - o)), *ce = c ? c : oe;

				if ((size_t)(ce - o) > 9 && !memcmp(o, "upperdir=", 9))
					m.upperdir = unescape_into(o + 9, (size_t)(ce - o) - 9, up);
				o = ce + 1;
			}
		}
		if (fn && (r = fn(&m, arg)) < 0)
			goto out;
		r = 0;
		p = le + 1;
	}
out:
	free(scratch);
	return r;
}
