/* SPDX-License-Identifier: Apache-2.0 */
/*
 * YAML reading over libyaml, into a jansson tree so that YAML and JSON inputs
 * share one code path downstream. Aliases are expanded by reference and every
 * expanded node counts against the node budget, which defeats "billion
 * laughs" documents. A stream of documents (`---`) is read whole by
 * bh_yaml_parse_stream, which can also keep where each node starts (its
 * line and column, by JSON Pointer) for messages that point into the file.
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

struct bh_yaml_marks {
	struct bh_map *map; /* "v" or "k" + JSON Pointer -> struct bh_yaml_mark */
};

struct yctx {
	yaml_parser_t parser;
	const struct bh_yaml_limits *lim;
	const char *what;
	size_t nodes;
	struct anchor *anchors;
	size_t nanchors;
	struct bh_error **err;
	/* marks: kept for nodes shallower than mark_depth when map is set */
	struct bh_map *marks;
	size_t mark_depth;
	struct bh_buf path; /* "v" + the JSON Pointer of the node being built */
};

/* Positions in messages are 1-based, as editors show them. */
#define MARK_FMT      "line %zu column %zu"
#define MARK_ARGS(mk) (mk).line + 1, (mk).column + 1

static void put_mark(struct yctx *c, char kind, const yaml_mark_t *mk)
{
	struct bh_yaml_mark *m = bh_malloc(sizeof(*m));

	c->path.data[0] = kind;
	m->line = mk->line + 1;
	m->column = mk->column + 1;
	free(bh_map_put(c->marks, c->path.data, c->path.len, m));
	c->path.data[0] = 'v';
}

/* Append "/" and the RFC 6901 escape of (s, n) to the path; returns the old
 * length for path_pop. A path that would exceed its bound is not extended
 * (its nodes then share their parent's mark). */
static size_t path_push(struct yctx *c, const char *s, size_t n)
{
	size_t old = c->path.len;

	if (!c->marks)
		return old;
	if (bh_buf_addc(&c->path, '/', NULL) < 0)
		return old;
	for (size_t i = 0; i < n; i++) {
		int r = s[i] == '~'   ? bh_buf_adds(&c->path, "~0", NULL)
			: s[i] == '/' ? bh_buf_adds(&c->path, "~1", NULL)
				      : bh_buf_addc(&c->path, s[i], NULL);

		if (r < 0) {
			c->path.len = old;
			c->path.data[old] = 0;
			return old;
		}
	}
	return old;
}

static void path_pop(struct yctx *c, size_t old)
{
	if (!c->marks)
		return;
	c->path.len = old;
	c->path.data[old] = 0;
}

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
			"%s: more than %zu YAML nodes (after alias expansion) at " MARK_FMT,
			c->what, c->lim->max_nodes, MARK_ARGS(ev->start_mark));
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
		bh_error_set(c->err, BH_ERR_LIMIT, "%s: YAML nesting deeper than %zu at " MARK_FMT,
			     c->what, c->lim->max_depth, MARK_ARGS(ev->start_mark));
		goto out;
	}
	if (c->marks && depth < c->mark_depth)
		put_mark(c, 'v', &ev->start_mark);
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (count_nodes(c, 1, ev) < 0)
			goto out;
		v = scalar_value(ev);
		if (!v) {
			bh_error_set(c->err, BH_ERR_INVALID,
				     "%s: invalid UTF-8 in scalar at " MARK_FMT, c->what,
				     MARK_ARGS(ev->start_mark));
			goto out;
		}
		if (add_anchor(c, ev->data.scalar.anchor, v, 1) < 0)
			goto out;
		break;
	case YAML_ALIAS_EVENT: {
		const struct anchor *a = find_anchor(c, ev->data.alias.anchor);

		if (!a) {
			bh_error_set(c->err, BH_ERR_INVALID, "%s: unknown alias '*%s' at " MARK_FMT,
				     c->what, ev->data.alias.anchor, MARK_ARGS(ev->start_mark));
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
			char idx[24];
			size_t old;
			int cr;

			if (next_event(c, &item) < 0) {
				free(aname);
				goto out;
			}
			if (item.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&item);
				break;
			}
			snprintf(idx, sizeof(idx), "%zu", json_array_size(v));
			old = path_push(c, idx, strlen(idx));
			cr = parse_node(c, &item, depth + 1, &child);
			path_pop(c, old);
			if (cr < 0) {
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
			yaml_mark_t kmark;
			json_t *key = NULL, *child;
			char *kstr;
			size_t old;
			int cr;

			if (next_event(c, &kev) < 0) {
				free(aname);
				goto out;
			}
			if (kev.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&kev);
				break;
			}
			kmark = kev.start_mark;
			/* a key is not a node of the tree: no mark of its own here */
			old = c->mark_depth;
			c->mark_depth = 0;
			cr = parse_node(c, &kev, depth + 1, &key);
			c->mark_depth = old;
			if (cr < 0) {
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
					     "%s: a mapping key that is not a scalar at " MARK_FMT,
					     c->what, MARK_ARGS(kmark));
				goto out;
			}
			json_decref(key);
			if (next_event(c, &vev) < 0) {
				free(kstr);
				free(aname);
				goto out;
			}
			old = path_push(c, kstr, strlen(kstr));
			if (c->marks && depth + 1 < c->mark_depth)
				put_mark(c, 'k', &kmark);
			cr = parse_node(c, &vev, depth + 1, &child);
			path_pop(c, old);
			if (cr < 0) {
				free(kstr);
				free(aname);
				goto out;
			}
			if (json_object_get(v, kstr)) {
				bh_error_set(c->err, BH_ERR_INVALID,
					     "%s: duplicate key '%s' at " MARK_FMT, c->what, kstr,
					     MARK_ARGS(kmark));
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
		bh_error_set(c->err, BH_ERR_INVALID, "%s: unexpected YAML event at " MARK_FMT,
			     c->what, MARK_ARGS(ev->start_mark));
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

static void drop_anchors(struct yctx *c)
{
	for (size_t i = 0; i < c->nanchors; i++) {
		free(c->anchors[i].name);
		json_decref(c->anchors[i].value);
	}
	free(c->anchors);
	c->anchors = NULL;
	c->nanchors = 0;
}

static const struct bh_yaml_limits default_limits = { 16u << 20, 1000000, 256 };

/*
 * Read the stream: every document into the array `docs` (all = true), or
 * only the first one (all = false, the rest of the input is not read).
 */
static int parse_docs(struct yctx *c, const char *buf, size_t len, bool all, json_t *docs)
{
	yaml_event_t ev;
	int r = -1;

	if (bh_lazy_require(&bh_lazy_yaml, c->err) < 0)
		return -1;
	if (len > c->lim->max_bytes)
		return bh_error_set(c->err, BH_ERR_LIMIT,
				    "%s: %zu bytes of YAML exceeds the limit of %zu bytes", c->what,
				    len, c->lim->max_bytes);
	if (!yaml_parser_initialize(&c->parser))
		return bh_error_set(c->err, BH_ERR_NOMEM, "%s: cannot initialise the YAML parser",
				    c->what);
	yaml_parser_set_input_string(&c->parser, (const unsigned char *)buf, len);

	/* STREAM-START */
	if (next_event(c, &ev) < 0)
		goto out;
	yaml_event_delete(&ev);
	for (;;) {
		json_t *doc = NULL;
		char idx[24];
		size_t old;
		int pr;

		/* DOCUMENT-START or STREAM-END */
		if (next_event(c, &ev) < 0)
			goto out;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		yaml_event_delete(&ev);
		if (next_event(c, &ev) < 0)
			goto out;
		snprintf(idx, sizeof(idx), "%zu", json_array_size(docs));
		old = path_push(c, idx, strlen(idx));
		pr = parse_node(c, &ev, 0, &doc);
		path_pop(c, old);
		if (pr < 0)
			goto out;
		json_array_append_new(docs, doc);
		if (!all)
			break;
		/* DOCUMENT-END; anchors do not cross documents */
		if (next_event(c, &ev) < 0)
			goto out;
		yaml_event_delete(&ev);
		drop_anchors(c);
	}
	r = 0;
out:
	drop_anchors(c);
	yaml_parser_delete(&c->parser);
	return r;
}

int bh_yaml_parse(const char *buf, size_t len, const struct bh_yaml_limits *limits,
		  const char *what, json_t **out, struct bh_error **err)
{
	struct yctx c = { .lim = limits ? limits : &default_limits, .what = what, .err = err };
	json_t *docs = json_array();
	int r;

	*out = NULL;
	r = parse_docs(&c, buf, len, false, docs);
	if (r == 0)
		*out = json_array_size(docs) ? json_incref(json_array_get(docs, 0)) : json_null();
	json_decref(docs);
	return r;
}

int bh_yaml_parse_stream(const char *buf, size_t len, const struct bh_yaml_limits *limits,
			 const char *what, size_t mark_depth, json_t **docs,
			 struct bh_yaml_marks **marks, struct bh_error **err)
{
	struct yctx c = { .lim = limits ? limits : &default_limits, .what = what, .err = err };
	struct bh_yaml_marks *m = NULL;
	json_t *arr = json_array();
	int r;

	*docs = NULL;
	if (marks) {
		*marks = NULL;
		m = bh_calloc(1, sizeof(*m));
		m->map = bh_map_new();
		c.marks = m->map;
		c.mark_depth = mark_depth;
		/* pointers deeper than this share their ancestor's mark */
		bh_buf_init(&c.path, 4096);
		bh_buf_addc(&c.path, 'v', NULL);
	}
	r = parse_docs(&c, buf, len, true, arr);
	bh_buf_release(&c.path);
	if (r < 0) {
		json_decref(arr);
		bh_yaml_marks_free(m);
		return -1;
	}
	*docs = arr;
	if (marks)
		*marks = m;
	return 0;
}

bool bh_yaml_mark_get(const struct bh_yaml_marks *m, const char *pointer, bool key,
		      struct bh_yaml_mark *out)
{
	struct bh_buf b = BH_BUF_INIT(8192);
	bool found = false;

	if (!m || !pointer || bh_buf_addc(&b, key ? 'k' : 'v', NULL) < 0 ||
	    bh_buf_adds(&b, pointer, NULL) < 0)
		goto out;
	for (;;) {
		const struct bh_yaml_mark *v = bh_map_get(m->map, b.data, b.len);
		char *slash;

		if (v) {
			*out = *v;
			found = true;
			break;
		}
		/* the nearest ancestor's value mark */
		b.data[0] = 'v';
		slash = strrchr(b.data, '/');
		if (!slash)
			break;
		*slash = 0;
		b.len = (size_t)(slash - b.data);
	}
out:
	bh_buf_release(&b);
	return found;
}

void bh_yaml_marks_free(struct bh_yaml_marks *m)
{
	if (!m)
		return;
	bh_map_free(m->map, free);
	free(m);
}
