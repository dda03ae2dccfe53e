/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller API's untrusted input: request bodies (JSON objects of
 * known members) and URL query strings. (ptr, len) in, bounded out; fuzzed
 * by fuzz/fuzz_ctl_body.c.
 */
#include <stdio.h>
#include <string.h>

#include "bulkhead/ctl.h"
#include "banned.h"

struct member {
	const char *key;
	json_type type;
	unsigned kinds; /* bit per enum bh_ctl_body_kind */
};

#define K(k) (1u << (k))
static const struct member members[] = {
	{ "user", JSON_STRING, K(BH_CTL_BODY_LOGIN) | K(BH_CTL_BODY_TOKEN) },
	{ "password", JSON_STRING, K(BH_CTL_BODY_LOGIN) | K(BH_CTL_BODY_USER) },
	{ "name", JSON_STRING, K(BH_CTL_BODY_USER) },
	{ "role", JSON_STRING, K(BH_CTL_BODY_USER) },
	{ "node", JSON_STRING, K(BH_CTL_BODY_TOKEN) },
	{ "ttl", JSON_INTEGER, K(BH_CTL_BODY_TOKEN) },
};

static const char *type_name(json_type t)
{
	return t == JSON_STRING ? "a string" : "an integer";
}

/* A string member into out (size bytes): at most size - 1 bytes, no NUL. */
static int get_str(json_t *v, const char *key, size_t max, char *out, size_t size,
		   struct bh_error **err)
{
	size_t n = json_string_length(v);

	if (n > max || n >= size)
		return bh_error_set(err, BH_ERR_INVALID, "\"%s\": longer than %zu bytes", key, max);
	if (memchr(json_string_value(v), 0, n))
		return bh_error_set(err, BH_ERR_INVALID, "\"%s\": contains NUL", key);
	memcpy(out, json_string_value(v), n);
	out[n] = 0;
	return 0;
}

static int name_member(json_t *v, const char *key, char *out, struct bh_error **err)
{
	if (get_str(v, key, BH_CTL_NAME_MAX, out, BH_CTL_NAME_MAX + 1, err) < 0)
		return -1;
	if (!bh_ctl_name_valid(out, strlen(out)))
		return bh_error_set(err, BH_ERR_INVALID,
				    "\"%s\": 1 to %d of A-Z a-z 0-9 . _ @ - (not starting with "
				    ". or -)",
				    key, BH_CTL_NAME_MAX);
	return 0;
}

int bh_ctl_body_parse(const char *buf, size_t len, enum bh_ctl_body_kind kind,
		      struct bh_ctl_body *out, struct bh_error **err)
{
	json_t *root = NULL, *v;
	const char *key;
	bool have_name = false, have_pw = false, have_role = false;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (kind < BH_CTL_BODY_LOGIN || kind > BH_CTL_BODY_TOKEN)
		return bh_error_set(err, BH_ERR_INTERNAL, "body kind %d", (int)kind);
	if (bh_ctl_json_object(buf, len, "request body", &root, err) < 0)
		return -1;
	json_object_foreach (root, key, v) {
		const struct member *m = NULL;

		for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
			if (!strcmp(members[i].key, key) && (members[i].kinds & K(kind)))
				m = &members[i];
		if (!m) {
			bh_error_set(err, BH_ERR_INVALID, "request body: unknown member \"%.64s\"",
				     key);
			goto out;
		}
		if (json_typeof(v) != m->type) {
			bh_error_set(err, BH_ERR_INVALID, "request body: \"%s\" must be %s", key,
				     type_name(m->type));
			goto out;
		}
		if (!strcmp(key, "user") || !strcmp(key, "name") || !strcmp(key, "node")) {
			if (have_name) {
				bh_error_set(err, BH_ERR_INVALID,
					     "request body: give one of \"user\" and \"node\"");
				goto out;
			}
			if (name_member(v, key, out->name, err) < 0)
				goto prefix;
			have_name = true;
			out->node = !strcmp(key, "node");
		} else if (!strcmp(key, "password")) {
			if (get_str(v, key, BH_CTL_PASSWORD_MAX, out->password,
				    sizeof(out->password), err) < 0)
				goto prefix;
			have_pw = true;
		} else if (!strcmp(key, "role")) {
			out->role = bh_ctl_role_parse(json_string_value(v));
			if (out->role < 0) {
				bh_error_set(err, BH_ERR_INVALID,
					     "\"role\": expected admin, operator or reader");
				goto prefix;
			}
			have_role = true;
		} else if (!strcmp(key, "ttl")) {
			json_int_t t = json_integer_value(v);

			if (t < 1 || t > BH_CTL_TOKEN_TTL_MAX) {
				bh_error_set(err, BH_ERR_INVALID, "\"ttl\": 1 to %d seconds",
					     BH_CTL_TOKEN_TTL_MAX);
				goto prefix;
			}
			out->ttl = t;
		}
	}
	if (kind != BH_CTL_BODY_TOKEN && !have_name) {
		bh_error_set(err, BH_ERR_INVALID, "request body: \"%s\" is missing",
			     kind == BH_CTL_BODY_LOGIN ? "user" : "name");
		goto out;
	}
	if (kind != BH_CTL_BODY_TOKEN && !have_pw) {
		bh_error_set(err, BH_ERR_INVALID, "request body: \"password\" is missing");
		goto out;
	}
	if (kind == BH_CTL_BODY_USER && !have_role) {
		bh_error_set(err, BH_ERR_INVALID, "request body: \"role\" is missing");
		goto out;
	}
	ret = 0;
	goto out;
prefix:
	bh_error_prefix(err, "request body");
out:
	if (ret < 0)
		memset(out->password, 0, sizeof(out->password));
	json_decref(root);
	return ret;
}

int bh_ctl_query_get(const char *q, size_t len, const char *key, char *out, size_t size,
		     struct bh_error **err)
{
	size_t klen = strlen(key);
	int found = 0;

	if (!size)
		return bh_error_set(err, BH_ERR_INTERNAL, "query: no room for \"%s\"", key);
	out[0] = 0;
	if (!q)
		return 0;
	if (len > BH_CTL_QUERY_MAX)
		return bh_error_set(err, BH_ERR_LIMIT, "the query string is over %d bytes",
				    BH_CTL_QUERY_MAX);
	for (size_t i = 0; i < len;) {
		size_t end = i, eq;

		while (end < len && q[end] != '&')
			end++;
		for (eq = i; eq < end && q[eq] != '='; eq++)
			;
		if (eq - i == klen && !memcmp(q + i, key, klen)) {
			size_t o = 0;

			if (found)
				return bh_error_set(err, BH_ERR_INVALID,
						    "query: \"%s\" given twice", key);
			found = 1;
			for (size_t j = eq + 1; j < end; j++) {
				int c = (unsigned char)q[j];

				if (c == '%') {
					int hi = j + 2 < end ? bh_hex_digit(q[j + 1]) : -1;
					int lo = j + 2 < end ? bh_hex_digit(q[j + 2]) : -1;

					if (hi < 0 || lo < 0)
						return bh_error_set(
							err, BH_ERR_INVALID,
							"query: \"%s\": a bad %% escape", key);
					c = hi * 16 + lo;
					j += 2;
				} else if (c == '+') {
					c = ' ';
				}
				if (!c)
					return bh_error_set(err, BH_ERR_INVALID,
							    "query: \"%s\": contains NUL", key);
				if (o + 1 >= size)
					return bh_error_set(err, BH_ERR_INVALID,
							    "query: \"%s\": longer than %zu bytes",
							    key, size ? size - 1 : 0);
				out[o++] = (char)c;
			}
			out[o] = 0;
		}
		i = end + 1;
	}
	return found;
}
