/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's JSON helpers, shared by its parts: the preamble of every
 * request body parser and its string members, and the JSON value of a
 * store row's column (times as RFC 3339, NULL as null).
 */
#include <string.h>
#include <time.h>

#include "bulkhead/ctl.h"
#include "banned.h"

int bh_ctl_json_object(const char *buf, size_t len, const char *what, json_t **root,
		       struct bh_error **err)
{
	*root = NULL;
	/* jansson stops at a NUL after a number or literal; text past it would be cut */
	if (memchr(buf, 0, len))
		return bh_error_set(err, BH_ERR_INVALID, "%s: contains a NUL byte", what);
	if (bh_json_parse(buf, len, BH_CTL_BODY_MAX, what, root, err) < 0)
		return -1;
	if (json_is_object(*root))
		return 0;
	json_decref(*root);
	*root = NULL;
	return bh_error_set(err, BH_ERR_INVALID, "%s: expected a JSON object", what);
}

int bh_ctl_json_str(json_t *v, const char *key, size_t max, char *out, struct bh_error **err)
{
	size_t n;

	if (!json_is_string(v))
		return bh_error_set(err, BH_ERR_INVALID, "request body: \"%s\" must be a string",
				    key);
	n = json_string_length(v);
	if (n > max)
		return bh_error_set(err, BH_ERR_INVALID, "\"%s\": longer than %zu bytes", key, max);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)json_string_value(v)[i] < 0x20)
			return bh_error_set(err, BH_ERR_INVALID, "\"%s\": contains a control byte",
					    key);
	memcpy(out, json_string_value(v), n);
	out[n] = 0;
	return 0;
}

json_t *bh_ctl_json_time(int64_t t)
{
	char b[BH_TIME_MAX];
	struct timespec ts = { .tv_sec = (time_t)t };

	return json_string(bh_time_rfc3339(&ts, 0, b));
}

json_t *bh_ctl_col_time(const struct bh_ctl_val *v)
{
	return v->null || v->type != BH_CTL_INT ? json_null() : bh_ctl_json_time(v->i);
}

json_t *bh_ctl_col_str(const struct bh_ctl_val *v)
{
	return v->null || v->type != BH_CTL_TEXT ? json_null() : json_string(v->s);
}

json_t *bh_ctl_col_int(const struct bh_ctl_val *v)
{
	return v->null || v->type != BH_CTL_INT ? json_null() : json_integer(v->i);
}

int bh_ctl_row_int(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	int64_t *v = ctx;

	(void)err;
	if (n >= 1 && c[0].type == BH_CTL_INT && !c[0].null)
		*v = c[0].i;
	return 0;
}
