/* SPDX-License-Identifier: Apache-2.0 */
/*
 * YAML reading over libyaml, into a jansson tree so that YAML and JSON inputs
 * share one code path downstream. Aliases are expanded by reference and every
 * expanded node counts against the node budget, which defeats "billion
 * laughs" documents.
 */
#include <stdlib.h>
#include <string.h>

#include "lazy/yaml.h"
#include "bulkhead/base.h"
#include "banned.h"

struct anchor {
	char *name;
	json_t *value;
	size_t nodes;
};

struct yctx {
	yaml_parser_t parser;
	const struct bh_yaml_limits *lim;
	const char *what;
	size_t nodes;
	struct anchor *anchors;
	size_t nanchors;
	struct bh_error **err;
};

static int next_event(struct yctx *c, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&c->parser, ev))
		return bh_error_set(
			c->err, BH_ERR_INVALID, "%s: invalid YAML at line %zu column %zu: %s",
			c->what, c->parser.problem_mark.line + 1, c->parser.problem_mark.column + 1,
			c->parser.problem ? c->parser.problem : "parse error");
	return 0;
}

static int count_nodes(struct yctx *c, size_t n, const yaml_event_t *ev)
{
	if (n > c->lim->max_nodes || c->nodes > c->lim->max_nodes - n)
		return bh_error_set(
			c->err, BH_ERR_LIMIT,
			"%s: more than %zu YAML nodes (after alias expansion) at line %zu", c->what,
			c->lim->max_nodes, ev->start_mark.line + 1);
	c->nodes += n;
	return 0;
}

static bool is_decimal_int(const char *s, size_t len)
{
	size_t i = 0;

	if (len && (s[0] == '-' || s[0] == '+'))
		i = 1;
	if (i == len || len - i > 18)
		return false;
	if (s[i] == '0' && len - i > 1)
		return false;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static json_t *scalar_value(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;

	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag) {
		if (len == 0 || (len == 1 && s[0] == '~') || !strcmp(s, "null") ||
		    !strcmp(s, "Null") || !strcmp(s, "NULL"))
			return json_null();
		if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
			return json_true();
		if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
			return json_false();
		if (is_decimal_int(s, len))
			return json_integer(strtoll(s, NULL, 10));
	}
	return json_stringn(s, len);
}

static int add_anchor(struct yctx *c, const yaml_char_t *name, json_t *v, size_t nodes)
{
	struct anchor *a;

	if (!name)
		return 0;
	c->anchors = bh_reallocarray(c->anchors, c->nanchors + 1, sizeof(*c->anchors));
	a = &c->anchors[c->nanchors++];
	a->name = bh_strdup((const char *)name);
	a->value = json_incref(v);
	a->nodes = nodes;
	return 0;
}

static const struct anchor *find_anchor(struct yctx *c, const yaml_char_t *name)
{
	/* Later definitions of the same name override earlier ones. */
	for (size_t i = c->nanchors; i-- > 0;)
		if (!strcmp(c->anchors[i].name, (const char *)name))
			return &c->anchors[i];
	return NULL;
}

/* Build the node that starts with *ev (consumed). */
static int parse_node(struct yctx *c, yaml_event_t *ev, size_t depth, json_t **out)
{
	size_t start = c->nodes;
	json_t *v = NULL;
	int r = -1;

	*out = NULL;
	if (depth > c->lim->max_depth) {
		bh_error_set(c->err, BH_ERR_LIMIT, "%s: YAML nesting deeper than %zu at line %zu",
			     c->what, c->lim->max_depth, ev->start_mark.line + 1);
		goto out;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (count_nodes(c, 1, ev) < 0)
			goto out;
		v = scalar_value(ev);
		if (!v) {
			bh_error_set(c->err, BH_ERR_INVALID,
				     "%s: invalid UTF-8 in scalar at line %zu", c->what,
				     ev->start_mark.line + 1);
			goto out;
		}
		if (add_anchor(c, ev->data.scalar.anchor, v, 1) < 0)
			goto out;
		break;
	case YAML_ALIAS_EVENT: {
		const struct anchor *a = find_anchor(c, ev->data.alias.anchor);

		if (!a) {
			bh_error_set(c->err, BH_ERR_INVALID, "%s: unknown alias '*%s' at line %zu",
				     c->what, ev->data.alias.anchor, ev->start_mark.line + 1);
			goto out;
		}
		if (count_nodes(c, a->nodes, ev) < 0)
			goto out;
		v = json_incref(a->value);
		break;
	}
	case YAML_SEQUENCE_START_EVENT: {
		yaml_char_t *anchor = ev->data.sequence_start.anchor;
		char *aname = anchor ? bh_strdup((const char *)anchor) : NULL;

		if (count_nodes(c, 1, ev) < 0) {
			free(aname);
			goto out;
		}
		v = json_array();
		for (;;) {
			yaml_event_t item;
			json_t *child;

			if (next_event(c, &item) < 0) {
				free(aname);
				goto out;
			}
			if (item.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&item);
				break;
			}
			if (parse_node(c, &item, depth + 1, &child) < 0) {
				free(aname);
				goto out;
			}
			json_array_append_new(v, child);
		}
		add_anchor(c, (yaml_char_t *)aname, v, c->nodes - start);
		free(aname);
		break;
	}
	case YAML_MAPPING_START_EVENT: {
		yaml_char_t *anchor = ev->data.mapping_start.anchor;
		char *aname = anchor ? bh_strdup((const char *)anchor) : NULL;

		if (count_nodes(c, 1, ev) < 0) {
			free(aname);
			goto out;
		}
		v = json_object();
		for (;;) {
			yaml_event_t kev, vev;
			json_t *key = NULL, *child;
			char *kstr;

			if (next_event(c, &kev) < 0) {
				free(aname);
				goto out;
			}
			if (kev.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&kev);
				break;
			}
			if (parse_node(c, &kev, depth + 1, &key) < 0) {
				free(aname);
				goto out;
			}
			if (json_is_string(key))
				kstr = bh_strdup(json_string_value(key));
			else if (json_is_integer(key))
				kstr = bh_asprintf("%lld", (long long)json_integer_value(key));
			else if (json_is_true(key) || json_is_false(key) || json_is_null(key))
				kstr = bh_strdup(json_is_true(key)    ? "true"
						 : json_is_false(key) ? "false"
								      : "null");
			else {
				json_decref(key);
				free(aname);
				bh_error_set(c->err, BH_ERR_UNSUPPORTED,
					     "%s: a mapping key that is not a scalar", c->what);
				goto out;
			}
			json_decref(key);
			if (next_event(c, &vev) < 0) {
				free(kstr);
				free(aname);
				goto out;
			}
			if (parse_node(c, &vev, depth + 1, &child) < 0) {
				free(kstr);
				free(aname);
				goto out;
			}
			if (json_object_get(v, kstr)) {
				bh_error_set(c->err, BH_ERR_INVALID, "%s: duplicate key '%s'",
					     c->what, kstr);
				json_decref(child);
				free(kstr);
				free(aname);
				goto out;
			}
			json_object_set_new(v, kstr, child);
			free(kstr);
		}
		add_anchor(c, (yaml_char_t *)aname, v, c->nodes - start);
		free(aname);
		break;
	}
	default:
		bh_error_set(c->err, BH_ERR_INVALID, "%s: unexpected YAML event at line %zu",
			     c->what, ev->start_mark.line + 1);
		goto out;
	}
	*out = v;
	v = NULL;
	r = 0;
out:
	json_decref(v);
	yaml_event_delete(ev);
	return r;
}

int bh_yaml_parse(const char *buf, size_t len, const struct bh_yaml_limits *limits,
		  const char *what, json_t **out, struct bh_error **err)
{
	static const struct bh_yaml_limits defaults = { 16u << 20, 1000000, 256 };
	struct yctx c = { .lim = limits ? limits : &defaults, .what = what, .err = err };
	yaml_event_t ev;
	json_t *root = NULL;
	int r = -1;

	*out = NULL;
	if (bh_lazy_require(&bh_lazy_yaml, err) < 0)
		return -1;
	if (len > c.lim->max_bytes)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "%s: %zu bytes of YAML exceeds the limit of %zu bytes", what,
				    len, c.lim->max_bytes);
	if (!yaml_parser_initialize(&c.parser))
		return bh_error_set(err, BH_ERR_NOMEM, "%s: cannot initialise the YAML parser",
				    what);
	yaml_parser_set_input_string(&c.parser, (const unsigned char *)buf, len);

	/* STREAM-START, then DOCUMENT-START or STREAM-END (empty input). */
	if (next_event(&c, &ev) < 0)
		goto out;
	yaml_event_delete(&ev);
	if (next_event(&c, &ev) < 0)
		goto out;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		root = json_null();
		r = 0;
		goto out;
	}
	yaml_event_delete(&ev);
	if (next_event(&c, &ev) < 0)
		goto out;
	if (parse_node(&c, &ev, 0, &root) < 0)
		goto out;
	r = 0;
out:
	for (size_t i = 0; i < c.nanchors; i++) {
		free(c.anchors[i].name);
		json_decref(c.anchors[i].value);
	}
	free(c.anchors);
	yaml_parser_delete(&c.parser);
	if (r == 0)
		*out = root;
	else
		json_decref(root);
	return r;
}
