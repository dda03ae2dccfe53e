/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cosign's simple-signing payload: built byte for byte as cosign's Go code
 * marshals it (encoding/json: struct fields in declaration order, map keys
 * sorted, '<', '>', '&', U+2028 and U+2029 escaped), parsed strictly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/trust.h"
#include "trust/internal.h"
#include "banned.h"

#define MAX_DEPTH 16

/* A string as Go's encoding/json writes it (HTML-safe escaping). */
static int go_string(struct bh_buf *b, const char *s, size_t n, struct bh_error **err)
{
	static const char hex[] = "0123456789abcdef";

	if (bh_buf_addc(b, '"', err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };

		if (c == '"' || c == '\\') {
			bh_buf_addc(b, '\\', NULL);
			bh_buf_addc(b, (char)c, NULL);
		} else if (c == '\n') {
			bh_buf_adds(b, "\\n", NULL);
		} else if (c == '\r') {
			bh_buf_adds(b, "\\r", NULL);
		} else if (c == '\t') {
			bh_buf_adds(b, "\\t", NULL);
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			bh_buf_adds(b, e, NULL);
		} else if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
			   ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
			bh_buf_adds(b, (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029",
				    NULL);
			i += 2;
		} else if (bh_buf_addc(b, (char)c, err) < 0) {
			return -1;
		}
	}
	return bh_buf_addc(b, '"', err);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A JSON value as Go marshals a map[string]interface{} holding it. */
static int go_value(struct bh_buf *b, const json_t *v, int depth, struct bh_error **err)
{
	if (depth > MAX_DEPTH)
		return bh_error_set(err, BH_ERR_LIMIT, "annotations nested deeper than %d",
				    MAX_DEPTH);
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		size_t n = json_object_size(v), i = 0;
		const char **keys = bh_calloc(n + 1, sizeof(*keys));
		const char *k;
		json_t *m;
		int r = 0;

		json_object_foreach ((json_t *)v, k, m)
			keys[i++] = k;
		qsort(keys, n, sizeof(*keys), cmp_keys);
		r = bh_buf_addc(b, '{', err);
		for (i = 0; r == 0 && i < n; i++) {
			if ((i && bh_buf_addc(b, ',', err) < 0) ||
			    go_string(b, keys[i], strlen(keys[i]), err) < 0 ||
			    bh_buf_addc(b, ':', err) < 0 ||
			    go_value(b, json_object_get(v, keys[i]), depth + 1, err) < 0)
				r = -1;
		}
		free(keys);
		return r < 0 ? -1 : bh_buf_addc(b, '}', err);
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *m;

		if (bh_buf_addc(b, '[', err) < 0)
			return -1;
		json_array_foreach ((json_t *)v, i, m) {
			if ((i && bh_buf_addc(b, ',', err) < 0) ||
			    go_value(b, m, depth + 1, err) < 0)
				return -1;
		}
		return bh_buf_addc(b, ']', err);
	}
	case JSON_STRING: return go_string(b, json_string_value(v), json_string_length(v), err);
	case JSON_INTEGER:
		return bh_buf_addf(b, err, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "a fractional number in the annotations (use a string)");
	case JSON_TRUE: return bh_buf_adds(b, "true", err);
	case JSON_FALSE: return bh_buf_adds(b, "false", err);
	case JSON_NULL: return bh_buf_adds(b, "null", err);
	}
	return bh_error_set(err, BH_ERR_INTERNAL, "unknown JSON type");
}

int bh_simplesign_build(const char *docker_reference, const struct bh_digest *digest,
			const json_t *optional, struct bh_buf *out, struct bh_error **err)
{
	if (optional && !json_is_object(optional))
		return bh_error_set(err, BH_ERR_USAGE,
				    "the payload's optional part must be an object");
	if (bh_buf_adds(out, "{\"critical\":{\"identity\":{\"docker-reference\":", err) < 0 ||
	    go_string(out, docker_reference, strlen(docker_reference), err) < 0 ||
	    bh_buf_adds(out, "},\"image\":{\"docker-manifest-digest\":", err) < 0 ||
	    go_string(out, digest->str, strlen(digest->str), err) < 0 ||
	    bh_buf_adds(out, "},\"type\":\"" BH_COSIGN_SIG_TYPE "\"},\"optional\":", err) < 0)
		return -1;
	if (!optional || !json_object_size(optional))
		return bh_buf_adds(out, "null}", err);
	if (go_value(out, optional, 0, err) < 0)
		return -1;
	return bh_buf_addc(out, '}', err);
}

void bh_simplesign_release(struct bh_simplesign *s)
{
	free(s->docker_reference);
	free(s->type);
	json_decref(s->optional);
	memset(s, 0, sizeof(*s));
}

/* Every key of o is one of `allowed` (NULL-terminated). */
static int only_keys(const json_t *o, const char *what, const char *const *allowed,
		     struct bh_error **err)
{
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)o, k, v) {
		size_t i;

		for (i = 0; allowed[i] && strcmp(allowed[i], k); i++)
			;
		if (!allowed[i])
			return bh_error_set(err, BH_ERR_INVALID, "%s: unexpected key '%.64s'", what,
					    k);
	}
	return 0;
}

int bh_simplesign_parse(const char *p, size_t n, struct bh_simplesign *out, struct bh_error **err)
{
	static const char *const top[] = { "critical", "optional", NULL };
	static const char *const crit[] = { "identity", "image", "type", NULL };
	static const char *const ident[] = { "docker-reference", NULL };
	static const char *const image[] = { "docker-manifest-digest", NULL };
	json_t *doc = NULL, *c, *id, *im, *opt;
	const char *ref, *dig, *type;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (bh_json_parse(p, n, BH_TRUST_PAYLOAD_MAX, "simple-signing payload", &doc, err) < 0)
		return -1;
	if (!json_is_object(doc)) {
		bh_error_set(err, BH_ERR_INVALID, "simple-signing payload: not a JSON object");
		goto out;
	}
	c = bh_json_obj(doc, "critical");
	id = c ? bh_json_obj(c, "identity") : NULL;
	im = c ? bh_json_obj(c, "image") : NULL;
	if (!c || !id || !im) {
		bh_error_set(err, BH_ERR_INVALID,
			     "simple-signing payload: no critical, critical.identity or "
			     "critical.image object");
		goto out;
	}
	if (only_keys(doc, "simple-signing payload", top, err) < 0 ||
	    only_keys(c, "simple-signing payload: critical", crit, err) < 0 ||
	    only_keys(id, "simple-signing payload: critical.identity", ident, err) < 0 ||
	    only_keys(im, "simple-signing payload: critical.image", image, err) < 0)
		goto out;
	ref = bh_json_str(id, "docker-reference");
	dig = bh_json_str(im, "docker-manifest-digest");
	type = bh_json_str(c, "type");
	if (!ref || !dig || !type) {
		bh_error_set(err, BH_ERR_INVALID,
			     "simple-signing payload: docker-reference, docker-manifest-digest and "
			     "type must be strings");
		goto out;
	}
	if (strcmp(type, BH_COSIGN_SIG_TYPE)) {
		bh_error_set(err, BH_ERR_INVALID,
			     "simple-signing payload: type '%.80s' is not '" BH_COSIGN_SIG_TYPE "'",
			     type);
		goto out;
	}
	if (bh_digest_parse(dig, &out->digest, err) < 0) {
		bh_error_prefix(err, "simple-signing payload: docker-manifest-digest");
		goto out;
	}
	opt = json_object_get(doc, "optional");
	if (opt && !json_is_null(opt) && !json_is_object(opt)) {
		bh_error_set(err, BH_ERR_INVALID,
			     "simple-signing payload: optional is neither null nor an object");
		goto out;
	}
	out->docker_reference = bh_strdup(ref);
	out->type = bh_strdup(type);
	out->optional = json_is_object(opt) ? json_incref(opt) : NULL;
	r = 0;
out:
	json_decref(doc);
	if (r < 0)
		bh_simplesign_release(out);
	return r;
}
