/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule files: YAML (src/base/yaml.c, with each node's line and column) into
 * items, in order: `rule`, `macro`, `list`, `required_engine_version`.
 * Refinements as Falco 0.36+ reads them: `append: true` adds to an item of
 * the same name defined before (a condition's text is appended, a list's
 * items, a rule's exceptions); `override: {key: append|replace}` says per
 * key; a rule given again without either replaces the earlier one; a rule
 * with only `enabled` switches an earlier one. Conditions are kept as text
 * with, byte by byte, the line and column they came from, so that errors
 * found when they are parsed (compile.c) point into the right file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

static const char *const kind_names[] = { "rule", "macro", "list" };

/* ---- diagnostics --------------------------------------------------------- */

void rules_diag(struct bh_rules *rs, struct bh_rules_diags *d, enum bh_rules_severity sev,
		const struct rules_pos *pos, const struct rules_item *it, const char *fmt, ...)
{
	struct bh_rules_diag *g;
	va_list ap;

	if (!d)
		return;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->v = bh_reallocarray(d->v, d->cap, sizeof(*d->v));
	}
	g = &d->v[d->n++];
	memset(g, 0, sizeof(*g));
	g->severity = sev;
	if (pos && pos->file < rs->files.n)
		g->file = bh_strdup(rs->files.v[pos->file]);
	else
		g->file = bh_strdup(rs->files.n ? rs->files.v[rs->files.n - 1] : "");
	if (pos) {
		g->line = pos->line;
		g->column = pos->col;
	}
	if (it)
		g->item = bh_asprintf("%s '%s'", kind_names[it->kind], it->name);
	va_start(ap, fmt);
	if (vasprintf(&g->message, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (sev == BH_RULES_DIAG_ERROR)
		d->nerrors++;
}

void bh_rules_diags_release(struct bh_rules_diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].item);
		free(d->v[i].message);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* ---- the set ----------------------------------------------------------------- */

void rules_text_release(struct rules_text *t)
{
	free(t->s);
	free(t->pos);
	memset(t, 0, sizeof(*t));
}

static void exc_release(struct rules_exc *e)
{
	free(e->name);
	json_decref(e->fields);
	json_decref(e->comps);
	json_decref(e->values);
}

static void item_clear(struct rules_item *it)
{
	rules_text_release(&it->cond);
	rules_ast_free(it->ast);
	it->ast = NULL;
	for (size_t i = 0; i < it->nitems; i++)
		free(it->items[i].s);
	free(it->items);
	it->items = NULL;
	it->nitems = 0;
	free(it->desc);
	free(it->output);
	free(it->source);
	it->desc = it->output = it->source = NULL;
	bh_strvec_release(&it->tags);
	for (size_t i = 0; i < it->nexcs; i++)
		exc_release(&it->excs[i]);
	free(it->excs);
	it->excs = NULL;
	it->nexcs = 0;
}

static void item_free(void *p)
{
	struct rules_item *it = p;

	if (!it)
		return;
	item_clear(it);
	free(it->name);
	free(it);
}

struct bh_rules *bh_rules_new(void)
{
	struct bh_rules *rs = bh_calloc(1, sizeof(*rs));

	for (int k = 0; k < 3; k++)
		rs->by_name[k] = bh_map_new();
	return rs;
}

void bh_rules_free(struct bh_rules *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nitems; i++)
		item_free(rs->items[i]);
	free(rs->items);
	for (int k = 0; k < 3; k++)
		bh_map_free(rs->by_name[k], NULL);
	for (size_t i = 0; i < rs->nrules; i++) {
		struct rules_compiled *c = rs->rules[i];

		rules_expr_free(c->expr);
		rules_output_free(c->out, c->nout);
		bh_strv_free(c->pub.tags);
		free(c);
	}
	free(rs->rules);
	for (int t = 0; t < BH_MON_TYPE_COUNT; t++)
		free(rs->index[t]);
	bh_strvec_release(&rs->files);
	free(rs);
}

/* ---- reading one file ---------------------------------------------------------- */

struct loader {
	struct bh_rules *rs;
	struct bh_rules_diags *d;
	const char *buf;
	size_t len;
	uint32_t file;
	struct bh_yaml_marks *marks;
	size_t *lines; /* byte offset of each line's start */
	size_t nlines;
	bool bad;
};

static struct rules_pos mark_pos(struct loader *l, const char *ptr, bool key)
{
	struct bh_yaml_mark m;
	struct rules_pos p = { 0, 0, l->file };

	if (bh_yaml_mark_get(l->marks, ptr, key, &m)) {
		p.line = (uint32_t)m.line;
		p.col = (uint32_t)m.column;
	}
	return p;
}

static void diag_at(struct loader *l, enum bh_rules_severity sev, const char *ptr, bool key,
		    const struct rules_item *it, const char *fmt, va_list ap) BH_PRINTF(6, 0);
static void diag_at(struct loader *l, enum bh_rules_severity sev, const char *ptr, bool key,
		    const struct rules_item *it, const char *fmt, va_list ap)
{
	struct rules_pos p = mark_pos(l, ptr, key);
	char *m;

	if (vasprintf(&m, fmt, ap) < 0)
		abort();
	rules_diag(l->rs, l->d, sev, &p, it, "%s", m);
	free(m);
	if (sev == BH_RULES_DIAG_ERROR)
		l->bad = true;
}

static void err_at(struct loader *l, const char *ptr, bool key, const struct rules_item *it,
		   const char *fmt, ...) BH_PRINTF(5, 6);
static void err_at(struct loader *l, const char *ptr, bool key, const struct rules_item *it,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_at(l, BH_RULES_DIAG_ERROR, ptr, key, it, fmt, ap);
	va_end(ap);
}

static void warn_at(struct loader *l, const char *ptr, bool key, const struct rules_item *it,
		    const char *fmt, ...) BH_PRINTF(5, 6);
static void warn_at(struct loader *l, const char *ptr, bool key, const struct rules_item *it,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_at(l, BH_RULES_DIAG_WARNING, ptr, key, it, fmt, ap);
	va_end(ap);
}

static size_t line_offset(const struct loader *l, uint32_t line)
{
	if (line == 0 || line > l->nlines)
		return l->len;
	return l->lines[line - 1];
}

/*
 * The text of a condition scalar and where each of its bytes is in the file:
 * the scalar's characters other than blanks appear in the source in the same
 * order (folding and indentation only change blanks), so the two are walked
 * together. Where they part (an escape in a quoted scalar), the rest points
 * at the scalar's start.
 */
static void make_text(struct loader *l, const char *s, struct rules_pos start, struct rules_text *t)
{
	size_t n = strlen(s), p, line_start;
	uint32_t line = start.line;
	bool lost = start.line == 0;

	t->s = bh_strdup(s);
	t->len = n;
	t->pos = bh_calloc(n + 1, sizeof(*t->pos));
	p = line_offset(l, start.line);
	line_start = p;
	if (!lost) {
		p += start.col - 1;
		if (p < l->len && (l->buf[p] == '|' || l->buf[p] == '>')) {
			while (p < l->len && l->buf[p] != '\n')
				p++;
		} else if (p < l->len && (l->buf[p] == '"' || l->buf[p] == '\'')) {
			p++;
		}
	}
	for (size_t i = 0; i <= n; i++) {
		struct rules_pos here = start;

		if (!lost && i < n && !bh_isspace(s[i])) {
			while (p < l->len && (bh_isspace(l->buf[p]) || l->buf[p] == '\\')) {
				if (l->buf[p] == '\\' && !(p + 1 < l->len && l->buf[p + 1] == s[i]))
					break;
				if (l->buf[p] == '\n') {
					line++;
					line_start = p + 1;
				}
				p++;
			}
			if (p < l->len && l->buf[p] == s[i]) {
				here.line = line;
				here.col = (uint32_t)(p - line_start + 1);
				p++;
			} else {
				lost = true;
			}
		} else if (!lost) {
			here.line = line;
			here.col = (uint32_t)(p - line_start + 1);
		}
		t->pos[i] = here;
	}
}

/* Join b to a as Falco appends: "a b". */
static void text_append(struct rules_text *a, struct rules_text *b)
{
	size_t n = a->len + 1 + b->len;

	a->s = bh_realloc(a->s, n + 1);
	a->s[a->len] = ' ';
	memcpy(a->s + a->len + 1, b->s, b->len + 1);
	a->pos = bh_reallocarray(a->pos, n + 1, sizeof(*a->pos));
	a->pos[a->len] = b->pos[0];
	memcpy(a->pos + a->len + 1, b->pos, (b->len + 1) * sizeof(*b->pos));
	a->len = n;
	rules_text_release(b);
}

static void rstrip(char *s)
{
	size_t n = strlen(s);

	while (n && bh_isspace(s[n - 1]))
		s[--n] = 0;
}

static char *ptr_of(const char *base, const char *key)
{
	return bh_asprintf("%s/%s", base, key);
}

static bool get_str(struct loader *l, json_t *o, const char *key, const char *base,
		    const struct rules_item *it, char **out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return false;
	if (json_is_string(v)) {
		*out = bh_strdup(json_string_value(v));
		return true;
	}
	char *p = ptr_of(base, key);

	err_at(l, p, false, it, "%s: expected a string", key);
	free(p);
	return false;
}

static int get_bool(struct loader *l, json_t *o, const char *key, const char *base,
		    const struct rules_item *it, bool *out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 1;
	}
	char *p = ptr_of(base, key);

	err_at(l, p, false, it, "%s: expected true or false", key);
	free(p);
	return -1;
}

/* A string or a scalar list (`items`, `tags`). */
static int get_strlist(struct loader *l, json_t *v, const char *ptr, const char *what,
		       const struct rules_item *it, struct rules_litem **out, size_t *n)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v)) {
		err_at(l, ptr, false, it, "%s: expected a list", what);
		return -1;
	}
	json_array_foreach (v, i, e) {
		char *ep = bh_asprintf("%s/%zu", ptr, i);
		const char *s = json_string_value(e);
		char num[32];

		if (!s && json_is_integer(e)) {
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(e));
			s = num;
		}
		if (!s) {
			err_at(l, ep, false, it, "%s[%zu]: expected a string", what, i);
			free(ep);
			continue;
		}
		if (*n >= BH_RULES_LIST_MAX) {
			err_at(l, ep, false, it, "%s: more than %d items", what, BH_RULES_LIST_MAX);
			free(ep);
			return -1;
		}
		*out = bh_reallocarray(*out, *n + 1, sizeof(**out));
		(*out)[*n].s = bh_strdup(s);
		(*out)[*n].pos = mark_pos(l, ep, false);
		(*n)++;
		free(ep);
	}
	return 0;
}

static int read_exceptions(struct loader *l, json_t *v, const char *ptr, struct rules_item *it,
			   struct rules_exc **out, size_t *n)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v)) {
		err_at(l, ptr, false, it, "exceptions: expected a list");
		return -1;
	}
	json_array_foreach (v, i, e) {
		char *ep = bh_asprintf("%s/%zu", ptr, i);
		const char *name = bh_json_str(e, "name");
		json_t *f = json_object_get(e, "fields"), *c = json_object_get(e, "comps"),
		       *vals = json_object_get(e, "values");
		const char *k;
		json_t *x;

		if (!json_is_object(e) || !name) {
			err_at(l, ep, false, it, "exceptions[%zu]: expected a mapping with a name",
			       i);
			free(ep);
			return -1;
		}
		json_object_foreach (e, k, x) {
			if (strcmp(k, "name") && strcmp(k, "fields") && strcmp(k, "comps") &&
			    strcmp(k, "values")) {
				char *kp = ptr_of(ep, k);

				err_at(l, kp, true, it, "exception '%s': unknown key '%s'", name,
				       k);
				free(kp);
			}
		}
		if (f && !(json_is_string(f) || json_is_array(f))) {
			err_at(l, ep, false, it,
			       "exception '%s': fields: expected a field or a list", name);
			free(ep);
			return -1;
		}
		if (c && !(json_is_string(c) || json_is_array(c))) {
			err_at(l, ep, false, it,
			       "exception '%s': comps: expected an operator or a list", name);
			free(ep);
			return -1;
		}
		if (vals && !json_is_array(vals)) {
			err_at(l, ep, false, it, "exception '%s': values: expected a list", name);
			free(ep);
			return -1;
		}
		*out = bh_reallocarray(*out, *n + 1, sizeof(**out));
		struct rules_exc *x2 = &(*out)[(*n)++];

		x2->name = bh_strdup(name);
		x2->fields = json_incref(f);
		x2->comps = json_incref(c);
		x2->values = vals ? json_incref(vals) : json_array();
		x2->pos = mark_pos(l, ep, false);
		free(ep);
	}
	return 0;
}

static void add_item(struct bh_rules *rs, struct rules_item *it)
{
	if (rs->nitems == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->items = bh_reallocarray(rs->items, rs->cap, sizeof(*rs->items));
	}
	rs->items[rs->nitems++] = it;
	bh_map_put(rs->by_name[it->kind], it->name, strlen(it->name), it);
}

/* Which keys each item may have. */
static const char *const rule_keys[] = { "rule",
					 "condition",
					 "output",
					 "desc",
					 "priority",
					 "enabled",
					 "tags",
					 "exceptions",
					 "source",
					 "append",
					 "override",
					 "skip-if-unknown-filter",
					 "warn_evttypes",
					 "capture",
					 "capture_duration",
					 NULL };
static const char *const macro_keys[] = { "macro", "condition", "append", "override", NULL };
static const char *const list_keys[] = { "list", "items", "append", "override", NULL };

static bool key_ok(const char *const *keys, const char *k)
{
	for (; *keys; keys++)
		if (!strcmp(*keys, k))
			return true;
	return false;
}

/* override: {key: append|replace}; which keys may do which (Falco 0.36). */
static bool may_append(enum rules_item_kind k, const char *key)
{
	if (k == RULES_LIST)
		return !strcmp(key, "items");
	if (k == RULES_MACRO)
		return !strcmp(key, "condition");
	return !strcmp(key, "condition") || !strcmp(key, "output") || !strcmp(key, "desc") ||
	       !strcmp(key, "tags") || !strcmp(key, "exceptions");
}

static bool may_replace(enum rules_item_kind k, const char *key)
{
	if (k != RULES_RULE)
		return may_append(k, key);
	return may_append(k, key) || !strcmp(key, "priority") || !strcmp(key, "enabled") ||
	       !strcmp(key, "source");
}

/* Read the keys of v into it (a fresh item, or a scratch one holding the
 * values of a refinement). */
static void read_fields(struct loader *l, json_t *v, const char *ptr, struct rules_item *it)
{
	char *p;
	json_t *x;

	if ((x = json_object_get(v, "condition"))) {
		p = ptr_of(ptr, "condition");
		if (!json_is_string(x)) {
			err_at(l, p, false, it, "condition: expected a string");
		} else if (json_string_length(x) > BH_RULES_COND_MAX) {
			err_at(l, p, false, it, "condition: longer than %u bytes",
			       BH_RULES_COND_MAX);
		} else {
			make_text(l, json_string_value(x), mark_pos(l, p, false), &it->cond);
		}
		free(p);
	}
	if ((x = json_object_get(v, "items"))) {
		p = ptr_of(ptr, "items");
		get_strlist(l, x, p, "items", it, &it->items, &it->nitems);
		free(p);
	}
	if (it->kind != RULES_RULE)
		return;
	if (get_str(l, v, "desc", ptr, it, &it->desc))
		rstrip(it->desc);
	if (get_str(l, v, "output", ptr, it, &it->output)) {
		rstrip(it->output); /* a folded scalar's final newline */
		p = ptr_of(ptr, "output");
		it->output_pos = mark_pos(l, p, false);
		free(p);
	}
	get_str(l, v, "source", ptr, it, &it->source);
	if ((x = json_object_get(v, "priority"))) {
		p = ptr_of(ptr, "priority");
		if (!json_is_string(x) || bh_rules_priority_parse(json_string_value(x)) < 0)
			err_at(l, p, false, it,
			       "priority: expected one of emergency, alert, critical, error, "
			       "warning, "
			       "notice, informational, debug");
		else
			it->priority = bh_rules_priority_parse(json_string_value(x));
		free(p);
	}
	get_bool(l, v, "enabled", ptr, it, &it->enabled);
	get_bool(l, v, "skip-if-unknown-filter", ptr, it, &it->skip_unknown);
	if ((x = json_object_get(v, "tags"))) {
		struct rules_litem *tags = NULL;
		size_t nt = 0;

		p = ptr_of(ptr, "tags");
		get_strlist(l, x, p, "tags", it, &tags, &nt);
		for (size_t i = 0; i < nt; i++) {
			bh_strvec_push_take(&it->tags, tags[i].s);
		}
		free(tags);
		free(p);
	}
	if ((x = json_object_get(v, "exceptions"))) {
		p = ptr_of(ptr, "exceptions");
		read_exceptions(l, x, p, it, &it->excs, &it->nexcs);
		free(p);
	}
}

/* Move the value of `key` from src into dst, appending or replacing. */
static void refine(struct rules_item *dst, struct rules_item *src, const char *key, bool append)
{
	if (!strcmp(key, "condition")) {
		if (!src->cond.s)
			return;
		if (append && dst->cond.s) {
			text_append(&dst->cond, &src->cond);
		} else {
			rules_text_release(&dst->cond);
			dst->cond = src->cond;
			memset(&src->cond, 0, sizeof(src->cond));
		}
	} else if (!strcmp(key, "items")) {
		if (!append) {
			for (size_t i = 0; i < dst->nitems; i++)
				free(dst->items[i].s);
			dst->nitems = 0;
		}
		size_t n = dst->nitems + src->nitems;

		if (n > BH_RULES_LIST_MAX)
			n = BH_RULES_LIST_MAX; /* reported when expanded */
		dst->items = bh_reallocarray(dst->items, n + 1, sizeof(*dst->items));
		for (size_t i = 0; i < src->nitems; i++) {
			if (dst->nitems < n)
				dst->items[dst->nitems++] = src->items[i];
			else
				free(src->items[i].s);
		}
		src->nitems = 0;
	} else if (!strcmp(key, "output") || !strcmp(key, "desc") || !strcmp(key, "source")) {
		char **d = !strcmp(key, "output") ? &dst->output
			   : !strcmp(key, "desc") ? &dst->desc
						  : &dst->source;
		char *s = !strcmp(key, "output") ? src->output
			  : !strcmp(key, "desc") ? src->desc
						 : src->source;

		if (!s)
			return;
		if (append && *d) {
			char *j = bh_asprintf("%s %s", *d, s);

			free(*d);
			*d = j;
		} else {
			free(*d);
			*d = bh_strdup(s);
		}
		if (!strcmp(key, "output"))
			dst->output_pos = src->output_pos;
	} else if (!strcmp(key, "tags")) {
		if (!append)
			bh_strvec_release(&dst->tags);
		for (size_t i = 0; i < src->tags.n; i++)
			if (!bh_strv_contains(dst->tags.v, src->tags.v[i]))
				bh_strvec_push(&dst->tags, src->tags.v[i]);
	} else if (!strcmp(key, "exceptions")) {
		if (!append) {
			for (size_t i = 0; i < dst->nexcs; i++)
				exc_release(&dst->excs[i]);
			dst->nexcs = 0;
		}
		for (size_t i = 0; i < src->nexcs; i++) {
			struct rules_exc *e = &src->excs[i], *same = NULL;

			for (size_t j = 0; j < dst->nexcs; j++)
				if (!strcmp(dst->excs[j].name, e->name))
					same = &dst->excs[j];
			if (same) {
				json_array_extend(same->values, e->values);
				exc_release(e);
				continue;
			}
			dst->excs = bh_reallocarray(dst->excs, dst->nexcs + 1, sizeof(*dst->excs));
			dst->excs[dst->nexcs++] = *e;
		}
		src->nexcs = 0;
	} else if (!strcmp(key, "priority")) {
		dst->priority = src->priority;
	} else if (!strcmp(key, "enabled")) {
		dst->enabled = src->enabled;
	}
}

static void read_item(struct loader *l, json_t *v, const char *ptr)
{
	enum rules_item_kind kind;
	const char *kname = NULL, *k;
	const char *const *keys;
	struct rules_item *it, *old;
	bool append = false;
	json_t *x, *ov;

	if (!json_is_object(v)) {
		err_at(l, ptr, false, NULL,
		       "expected an item (rule, macro, list or required_engine_version)");
		return;
	}
	if (json_object_get(v, "required_engine_version") ||
	    json_object_get(v, "required_plugin_versions")) {
		json_object_foreach (v, k, x) {
			char *kp = ptr_of(ptr, k);

			if (!strcmp(k, "required_plugin_versions"))
				warn_at(l, kp, true, NULL, "plugins are not served; ignored");
			else if (strcmp(k, "required_engine_version"))
				err_at(l, kp, true, NULL, "unknown key '%s'", k);
			free(kp);
		}
		return;
	}
	if (json_object_get(v, "rule"))
		kind = RULES_RULE, kname = "rule", keys = rule_keys;
	else if (json_object_get(v, "macro"))
		kind = RULES_MACRO, kname = "macro", keys = macro_keys;
	else if (json_object_get(v, "list"))
		kind = RULES_LIST, kname = "list", keys = list_keys;
	else {
		err_at(l, ptr, false, NULL,
		       "expected an item (rule, macro, list or required_engine_version)");
		return;
	}
	x = json_object_get(v, kname);
	char *np = ptr_of(ptr, kname);

	if (!json_is_string(x) || !json_string_length(x)) {
		err_at(l, np, false, NULL, "%s: expected a name", kname);
		free(np);
		return;
	}
	free(np);
	if (l->rs->nitems >= BH_RULES_ITEMS_MAX) {
		err_at(l, ptr, false, NULL, "more than %d rules, macros and lists",
		       BH_RULES_ITEMS_MAX);
		return;
	}
	it = bh_calloc(1, sizeof(*it));
	it->kind = kind;
	it->name = bh_strdup(json_string_value(x));
	it->pos = mark_pos(l, ptr, false);
	it->enabled = true;
	it->priority = -1;
	json_object_foreach (v, k, x) {
		if (!key_ok(keys, k)) {
			char *kp = ptr_of(ptr, k);

			err_at(l, kp, true, it, "unknown key '%s'", k);
			free(kp);
		} else if (!strcmp(k, "capture") || !strcmp(k, "capture_duration") ||
			   !strcmp(k, "warn_evttypes")) {
			char *kp = ptr_of(ptr, k);

			warn_at(l, kp, true, it, "'%s' is not served; ignored", k);
			free(kp);
		}
	}
	if (get_bool(l, v, "append", ptr, it, &append) < 0)
		goto drop;
	read_fields(l, v, ptr, it);
	old = bh_map_get(l->rs->by_name[kind], it->name, strlen(it->name));
	ov = json_object_get(v, "override");
	if (append || ov) {
		char *op = ptr_of(ptr, ov ? "override" : "append");

		if (append && ov) {
			err_at(l, op, true, it, "append and override cannot be used together");
			free(op);
			goto drop;
		}
		if (!old) {
			err_at(l, op, true, it, "no %s '%s' defined before to %s", kname, it->name,
			       ov ? "override" : "append to");
			free(op);
			goto drop;
		}
		if (append) {
			if (kind == RULES_RULE) {
				json_object_foreach (v, k, x)
					if (strcmp(k, "rule") && strcmp(k, "append") &&
					    strcmp(k, "condition") && strcmp(k, "exceptions")) {
						char *kp = ptr_of(ptr, k);

						warn_at(l, kp, true, it,
							"'%s' is ignored with append: true (use "
							"override)",
							k);
						free(kp);
					}
			}
			refine(old, it, "condition", true);
			refine(old, it, "items", true);
			refine(old, it, "exceptions", true);
		} else if (!json_is_object(ov)) {
			err_at(l, op, false, it,
			       "override: expected a mapping of key: append|replace");
		} else {
			json_object_foreach (ov, k, x) {
				char *kp = ptr_of(op, k);
				const char *how = json_string_value(x);
				bool ap = how && !strcmp(how, "append");

				if (!how || (strcmp(how, "append") && strcmp(how, "replace")))
					err_at(l, kp, false, it,
					       "override: %s: expected append or replace", k);
				else if (!json_object_get(v, k))
					err_at(l, kp, true, it,
					       "override: %s: the key is not given", k);
				else if (ap ? !may_append(kind, k) : !may_replace(kind, k))
					err_at(l, kp, true, it, "override: %s cannot be %sed", k,
					       ap ? "append" : "replac");
				else
					refine(old, it, k, ap);
				free(kp);
			}
			json_object_foreach (v, k, x) {
				if (!strcmp(k, kname) || !strcmp(k, "override") ||
				    json_object_get(ov, k) || !key_ok(keys, k))
					continue;
				char *kp = ptr_of(ptr, k);

				err_at(l, kp, true, it, "'%s' is given without an override for it",
				       k);
				free(kp);
			}
		}
		free(op);
		goto drop;
	}
	/* `- rule: X` with enabled and nothing else: switch an earlier rule */
	if (kind == RULES_RULE && old && json_object_get(v, "enabled") &&
	    json_object_size(v) == 2) {
		old->enabled = it->enabled;
		goto drop;
	}
	if (kind == RULES_RULE && !it->bad) {
		const char *need[] = { "condition", "output", "desc", "priority" };

		for (size_t i = 0; i < 4; i++)
			if (!json_object_get(v, need[i])) {
				err_at(l, ptr, false, it, "%s is required", need[i]);
				it->bad = true;
			}
	}
	if (kind == RULES_MACRO && !json_object_get(v, "condition")) {
		err_at(l, ptr, false, it, "condition is required");
		it->bad = true;
	}
	if (kind == RULES_LIST && !json_object_get(v, "items")) {
		err_at(l, ptr, false, it, "items is required");
		it->bad = true;
	}
	if (l->bad)
		it->bad = true;
	if (old) {
		/* a redefinition replaces the earlier one, in its place */
		item_clear(old);
		char *name = old->name;

		*old = *it;
		free(old->name);
		old->name = name;
		free(it);
		return;
	}
	add_item(l->rs, it);
	return;
drop:
	item_free(it);
}

int bh_rules_add(struct bh_rules *rs, const char *buf, size_t len, const char *name,
		 struct bh_rules_diags *diags, struct bh_error **err)
{
	struct bh_yaml_limits lim = { BH_RULES_FILE_MAX, 1000000, BH_RULES_DEPTH_MAX };
	struct loader l = { .rs = rs, .d = diags, .buf = buf, .len = len };
	json_t *docs = NULL, *doc;
	struct bh_error *e = NULL;
	struct bh_rules_diags local = { 0 };
	size_t di, nerr_before;
	int rc = -1;

	if (!diags)
		diags = l.d = &local; /* errors are counted even when not wanted */
	nerr_before = diags->nerrors;

	if (rs->compiled)
		return bh_error_set(err, BH_ERR_USAGE, "%s: rules added after compile", name);
	bh_strvec_push(&rs->files, name);
	l.file = (uint32_t)(rs->files.n - 1);
	if (len > BH_RULES_FILE_MAX) {
		rules_diag(rs, diags, BH_RULES_DIAG_ERROR, NULL, NULL, "larger than %u bytes (%zu)",
			   BH_RULES_FILE_MAX, len);
		return bh_error_set(err, BH_ERR_LIMIT, "%s: larger than %u bytes", name,
				    BH_RULES_FILE_MAX);
	}
	if (bh_yaml_parse_stream(buf, len, &lim, name, 8, &docs, &l.marks, &e) < 0) {
		char *m = bh_error_message(e);
		struct rules_pos p = { 0, 0, l.file };
		const char *at = strstr(m, " at line ");
		unsigned long ln, cl;

		if (at && sscanf(at, " at line %lu column %lu", &ln, &cl) == 2) {
			p.line = (uint32_t)ln;
			p.col = (uint32_t)cl;
		}
		rules_diag(rs, diags, BH_RULES_DIAG_ERROR, &p, NULL, "%s", m);
		free(m);
		enum bh_errcode code = bh_error_code(e);

		bh_error_free(e);
		bh_rules_diags_release(&local);
		return bh_error_set(err, code, "%s: not a valid rules file", name);
	}
	/* line starts, for positions inside conditions */
	l.lines = bh_malloc(sizeof(size_t));
	l.lines[l.nlines++] = 0;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n') {
			l.lines = bh_reallocarray(l.lines, l.nlines + 1, sizeof(size_t));
			l.lines[l.nlines++] = i + 1;
		}
	json_array_foreach (docs, di, doc) {
		size_t i;
		json_t *v;
		char dp[32];

		snprintf(dp, sizeof(dp), "/%zu", di);
		if (json_is_null(doc))
			continue;
		if (!json_is_array(doc)) {
			err_at(&l, dp, false, NULL, "expected a list of items");
			continue;
		}
		json_array_foreach (doc, i, v) {
			char *ip = bh_asprintf("%s/%zu", dp, i);

			l.bad = false;
			read_item(&l, v, ip);
			free(ip);
			if (rs->nitems >= BH_RULES_ITEMS_MAX && i + 1 < json_array_size(doc)) {
				rc = bh_error_set(err, BH_ERR_LIMIT,
						  "%s: more than %d rules, macros and lists", name,
						  BH_RULES_ITEMS_MAX);
				goto out;
			}
		}
	}
	if (diags->nerrors > nerr_before) {
		rc = bh_error_set(err, BH_ERR_INVALID, "%s: %zu error%s", name,
				  diags->nerrors - nerr_before,
				  diags->nerrors - nerr_before == 1 ? "" : "s");
		goto out;
	}
	rc = 0;
out:
	bh_rules_diags_release(&local);
	free(l.lines);
	bh_yaml_marks_free(l.marks);
	json_decref(docs);
	return rc;
}

int bh_rules_add_file(struct bh_rules *rs, const char *path, struct bh_rules_diags *diags,
		      struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(BH_RULES_FILE_MAX);
	int rc;

	if (bh_read_file(path, &b, err) < 0) {
		struct rules_pos p = { 0, 0, 0 };
		char *m = err && *err ? bh_error_message(*err) : bh_strdup("cannot read");

		bh_strvec_push(&rs->files, path);
		p.file = (uint32_t)(rs->files.n - 1);
		rules_diag(rs, diags, BH_RULES_DIAG_ERROR, &p, NULL, "%s", m);
		free(m);
		bh_buf_release(&b);
		return -1;
	}
	rc = bh_rules_add(rs, b.data ? b.data : "", b.len, path, diags, err);
	bh_buf_release(&b);
	return rc;
}
