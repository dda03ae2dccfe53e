/* SPDX-License-Identifier: Apache-2.0 */
/* The error type with context chaining. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/base.h"
#include "banned.h"

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

static struct bh_error *error_new(enum bh_errcode code, int errnum, char *msg)
{
	struct bh_error *e = bh_calloc(1, sizeof(*e));

	e->code = code;
	e->sys_errno = errnum;
	e->msg = msg;
	return e;
}

int bh_error_set(struct bh_error **err, enum bh_errcode code, const char *fmt, ...)
{
	va_list ap;

	if (!err || *err)
		return -1;
	va_start(ap, fmt);
	*err = error_new(code, 0, vformat(fmt, ap));
	va_end(ap);
	return -1;
}

int bh_error_sys(struct bh_error **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	char *head, *msg;

	if (!err || *err)
		return -1;
	va_start(ap, fmt);
	head = vformat(fmt, ap);
	va_end(ap);
	msg = bh_asprintf("%s: %s", head, strerror(errnum));
	free(head);
	*err = error_new(BH_ERR_IO, errnum, msg);
	return -1;
}

int bh_error_prefix(struct bh_error **err, const char *fmt, ...)
{
	struct bh_error *outer;
	va_list ap;

	if (!err || !*err)
		return -1;
	va_start(ap, fmt);
	outer = error_new((*err)->code, (*err)->sys_errno, vformat(fmt, ap));
	va_end(ap);
	outer->cause = *err;
	*err = outer;
	return -1;
}

enum bh_errcode bh_error_code(const struct bh_error *err)
{
	if (!err)
		return 0;
	while (err->cause)
		err = err->cause;
	return err->code;
}

int bh_error_errno(const struct bh_error *err)
{
	int e = 0;

	for (; err; err = err->cause)
		if (err->sys_errno)
			e = err->sys_errno;
	return e;
}

char *bh_error_message(const struct bh_error *err)
{
	struct bh_buf b = BH_BUF_INIT(SIZE_MAX / 2);
	const struct bh_error *e;

	if (!err)
		return bh_strdup("no error");
	for (e = err; e; e = e->cause) {
		if (e != err)
			bh_buf_add(&b, ": ", 2, NULL);
		bh_buf_adds(&b, e->msg ? e->msg : "(null)", NULL);
	}
	return bh_buf_detach(&b, NULL);
}

void bh_error_free(struct bh_error *err)
{
	while (err) {
		struct bh_error *next = err->cause;

		free(err->msg);
		free(err);
		err = next;
	}
}

void bh_error_clear(struct bh_error **err)
{
	if (!err)
		return;
	bh_error_free(*err);
	*err = NULL;
}

void bh_error_warn(struct bh_error **err, const char *fmt, ...)
{
	va_list ap;
	char *ctx, *msg;

	if (!err || !*err)
		return;
	va_start(ap, fmt);
	ctx = vformat(fmt, ap);
	va_end(ap);
	msg = bh_error_message(*err);
	bh_warn("%s: %s", ctx, msg);
	free(msg);
	free(ctx);
	bh_error_clear(err);
}
