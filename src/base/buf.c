/* SPDX-License-Identifier: Apache-2.0 */
/* The bounded growable buffer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "banned.h"

void bh_buf_init(struct bh_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void bh_buf_release(struct bh_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void bh_buf_reset(struct bh_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = 0;
}

int bh_buf_grow(struct bh_buf *b, size_t extra, struct bh_error **err)
{
	size_t need, cap;

	if (extra > b->max || b->len > b->max - extra)
		return bh_error_set(err, BH_ERR_LIMIT, "buffer limit of %zu bytes exceeded",
				    b->max);
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	/* Never allocate more than the maximum allows. */
	if (b->max < SIZE_MAX && cap > b->max + 1)
		cap = b->max + 1;
	b->data = bh_realloc(b->data, cap);
	b->cap = cap;
	return 0;
}

int bh_buf_add(struct bh_buf *b, const void *p, size_t n, struct bh_error **err)
{
	if (bh_buf_grow(b, n, err) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return 0;
}

int bh_buf_adds(struct bh_buf *b, const char *s, struct bh_error **err)
{
	return bh_buf_add(b, s, strlen(s), err);
}

int bh_buf_addc(struct bh_buf *b, char c, struct bh_error **err)
{
	return bh_buf_add(b, &c, 1, err);
}

int bh_buf_vaddf(struct bh_buf *b, struct bh_error **err, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return bh_error_set(err, BH_ERR_INTERNAL, "bad format string");
	if (bh_buf_grow(b, (size_t)n, err) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int bh_buf_addf(struct bh_buf *b, struct bh_error **err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = bh_buf_vaddf(b, err, fmt, ap);
	va_end(ap);
	return r;
}

char *bh_buf_detach(struct bh_buf *b, size_t *len)
{
	char *p = b->data;

	if (!p)
		p = bh_calloc(1, 1);
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

int bh_buf_read_fd(struct bh_buf *b, int fd, const char *what, struct bh_error **err)
{
	for (;;) {
		size_t room;
		ssize_t n;

		if (b->len == b->max) {
			/* Full: one more byte tells whether there is more input. */
			char c;

			n = read(fd, &c, 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return bh_error_sys(err, errno, "reading %s", what);
			if (n == 0)
				return 0;
			return bh_error_set(err, BH_ERR_LIMIT,
					    "%s is larger than the limit of %zu bytes", what,
					    b->max);
		}
		room = b->max - b->len;
		if (room > 65536)
			room = 65536;
		if (bh_buf_grow(b, room, err) < 0)
			return -1;
		n = read(fd, b->data + b->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bh_error_sys(err, errno, "reading %s", what);
		if (n == 0)
			return 0;
		b->len += (size_t)n;
		b->data[b->len] = 0;
	}
}
