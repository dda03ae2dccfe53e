/* SPDX-License-Identifier: Apache-2.0 */
/* JSON helpers over jansson, the one JSON library of bulkhead. */
#include <string.h>

#include "bulkhead/base.h"
#include "banned.h"

int bh_json_parse(const char *buf, size_t len, size_t max, const char *what, json_t **out,
		  struct bh_error **err)
{
	json_error_t je;
	json_t *v;

	*out = NULL;
	if (len > max)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "%s: %zu bytes of JSON exceeds the limit of %zu bytes", what,
				    len, max);
	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!v)
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s: invalid JSON at line %d column %d: %s", what, je.line,
				    je.column, je.text);
	*out = v;
	return 0;
}

const char *bh_json_str(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *bh_json_obj(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_object(v) ? v : NULL;
}

json_t *bh_json_arr(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_array(v) ? v : NULL;
}

bool bh_json_int(const json_t *obj, const char *key, json_int_t *out)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return true;
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
	struct bh_buf *b = data;

	return bh_buf_add(b, buffer, size, NULL) < 0 ? -1 : 0;
}

int bh_json_dump_buf(const json_t *v, size_t flags, struct bh_buf *b, struct bh_error **err)
{
	if (json_dump_callback(v, dump_cb, b, flags) < 0)
		return bh_error_set(err, BH_ERR_LIMIT, "JSON output exceeds %zu bytes", b->max);
	return 0;
}
