/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agents' request bodies (include/bulkhead/ctl.h, "agents and
 * ingestion"): a batch of events, a workloads report, a registration.
 * Untrusted: (ptr, len) in, every member typed and bounded; fuzzed by
 * fuzz/fuzz_ctl_ingest.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/ctl.h"
#include "ctl/ingest_scan.h"
#include "banned.h"

#define TS_MAX ((int64_t)253402300799) /* 9999-12-31T23:59:59Z */

/* A string member of o at key: NULL when absent (or JSON null); *bad set
 * (and err) when it is not a string, is empty, longer than max or holds a
 * byte outside ok (NULL: any printable byte but none below 0x20). */
static const char *opt_str(const json_t *o, const char *key, size_t max, bool (*ok)(int c),
			   const char *where, bool *bad, struct bh_error **err)
{
	const json_t *v = json_object_get(o, key);
	const char *s;
	size_t n;

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = true;
		bh_error_set(err, BH_ERR_INVALID, "%s%s: expected a string", where, key);
		return NULL;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > max) {
		*bad = true;
		bh_error_set(err, BH_ERR_INVALID, "%s%s: 1 to %zu bytes", where, key, max);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || (ok && !ok(c))) {
			*bad = true;
			bh_error_set(err, BH_ERR_INVALID, "%s%s: a byte not allowed (0x%02x)",
				     where, key, c);
			return NULL;
		}
	}
	return s;
}

static bool kind_char(int c)
{
	return bh_islower(c) || bh_isdigit(c) || c == '_' || c == '.' || c == '-';
}

static bool sev_char(int c)
{
	return bh_isalpha(c);
}

/* An integer member in [min, max]; 0 absent, 1 found, <0 bad. */
static int opt_int(const json_t *o, const char *key, int64_t min, int64_t max, const char *where,
		   int64_t *out, struct bh_error **err)
{
	const json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s%s: expected an integer from %lld to %lld", where, key,
				    (long long)min, (long long)max);
	*out = json_integer_value(v);
	return 1;
}

/* Members of o outside keys[] (NULL-terminated) are refused. */
static int only(const json_t *o, const char *const *keys, const char *where, struct bh_error **err)
{
	const char *key;
	json_t *v;

	json_object_foreach ((json_t *)o, key, v) {
		size_t i;

		(void)v;
		for (i = 0; keys[i] && strcmp(keys[i], key); i++)
			;
		if (!keys[i])
			return bh_error_set(err, BH_ERR_INVALID, "%s\"%.64s\": unknown member",
					    where, key);
	}
	return 0;
}

static int node_member(const json_t *root, char *out, struct bh_error **err)
{
	bool bad = false;
	const char *s = opt_str(root, "node", BH_CTL_NAME_MAX, NULL, "", &bad, err);

	if (bad)
		return -1;
	if (!s || !bh_ctl_name_valid(s, strlen(s)))
		return bh_error_set(err, BH_ERR_INVALID,
				    "node: expected a node name (1 to %d of A-Z a-z 0-9 . _ @ -)",
				    BH_CTL_NAME_MAX);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static const char *const batch_keys[] = { "node", "first_seq", "events", NULL };
static const char *const event_keys[] = {
	"ts", "kind", "rule", "severity", "workload", "data", NULL
};

static int parse_event(const json_t *o, size_t i, struct bh_ctl_event_in *e, struct bh_error **err)
{
	char where[48];
	bool bad = false;
	int rc;

	snprintf(where, sizeof(where), "events[%zu].", i);
	if (!json_is_object(o))
		return bh_error_set(err, BH_ERR_INVALID, "events[%zu]: expected an object", i);
	if (only(o, event_keys, where, err) < 0)
		return -1;
	rc = opt_int(o, "ts", 0, TS_MAX, where, &e->ts, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return bh_error_set(err, BH_ERR_INVALID, "%sts: missing", where);
	e->kind = opt_str(o, "kind", BH_CTL_KIND_MAX, kind_char, where, &bad, err);
	if (!bad && !e->kind)
		return bh_error_set(err, BH_ERR_INVALID, "%skind: missing", where);
	if (!bad)
		e->rule = opt_str(o, "rule", BH_CTL_RULE_MAX, NULL, where, &bad, err);
	if (!bad)
		e->severity =
			opt_str(o, "severity", BH_CTL_SEVERITY_MAX, sev_char, where, &bad, err);
	if (!bad)
		e->workload = opt_str(o, "workload", BH_CTL_FIELD_MAX, NULL, where, &bad, err);
	e->item = o;
	return bad ? -1 : 0;
}

/* ---- the events' texts -------------------------------------------------------------------- */

/*
 * Each event is stored as the text the agent sent, not encoded again from
 * the parsed tree (json_dumps of 100 events cost as much as the parse). The
 * body is valid JSON already (jansson read it whole, duplicate keys refused),
 * so a scan that only follows strings and brackets finds each element of
 * the top-level "events" array. Anything unexpected (an escaped key, counts
 * that differ) leaves the texts NULL: the events are encoded as before.
 */
static size_t skip_ws(const char *b, size_t len, size_t i)
{
	while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
		i++;
	return i;
}

/* The end of the string starting at b[i] == '"' (after its closing quote). */
static size_t skip_string(const char *b, size_t len, size_t i)
{
	for (i++; i < len && b[i] != '"'; i++)
		if (b[i] == '\\')
			i++;
	return i < len ? i + 1 : len;
}

/* The end of the value starting at b[i]. */
static size_t skip_value(const char *b, size_t len, size_t i)
{
	size_t depth = 0;

	if (i < len && b[i] == '"')
		return skip_string(b, len, i);
	if (i < len && b[i] != '{' && b[i] != '[') {
		while (i < len && !strchr(",}] \t\r\n", b[i]))
			i++;
		return i;
	}
	while (i < len) {
		if (b[i] == '"') {
			i = skip_string(b, len, i);
			continue;
		}
		if (b[i] == '{' || b[i] == '[')
			depth++;
		else if ((b[i] == '}' || b[i] == ']') && --depth == 0)
			return i + 1;
		i++;
	}
	return len;
}

static void event_texts(const char *b, size_t len, struct bh_ctl_batch *out)
{
	size_t i = skip_ws(b, len, 0), k = 0, at, *start, *end;
	char *p;

	if (i >= len || b[i] != '{')
		return;
	for (i = skip_ws(b, len, i + 1); i < len && b[i] == '"';) {
		size_t key = i + 1, keyend = skip_string(b, len, i);
		bool events = keyend - key == 7 && !memcmp(b + key, "events\"", 7);

		i = skip_ws(b, len, keyend);
		if (i >= len || b[i] != ':')
			return;
		i = skip_ws(b, len, i + 1);
		if (events)
			break;
		i = skip_ws(b, len, skip_value(b, len, i));
		if (i < len && b[i] == ',')
			i = skip_ws(b, len, i + 1);
		else
			return;
	}
	if (i >= len || b[i] != '[')
		return; /* not found as plain "events" (an escaped key) */
	start = bh_calloc(out->n + 1, sizeof(*start));
	end = bh_calloc(out->n + 1, sizeof(*end));
	for (i = skip_ws(b, len, i + 1); i < len && b[i] != ']' && k < out->n; k++) {
		start[k] = i;
		end[k] = at = skip_value(b, len, i);
		i = skip_ws(b, len, at);
		if (i < len && b[i] == ',')
			i = skip_ws(b, len, i + 1);
	}
	if (k == out->n && i < len && b[i] == ']') {
		size_t total = 0;

		for (k = 0; k < out->n; k++)
			total += end[k] - start[k] + 1;
		out->text = p = bh_malloc(total ? total : 1);
		for (k = 0; k < out->n; k++) {
			memcpy(p, b + start[k], end[k] - start[k]);
			out->ev[k].json = p;
			p += end[k] - start[k];
			*p++ = 0;
		}
	}
	free(start);
	free(end);
}

int bh_ctl_batch_parse_tree(const char *buf, size_t len, struct bh_ctl_batch *out,
			    struct bh_error **err)
{
	const json_t *evs;
	int rc;

	memset(out, 0, sizeof(*out));
	if (bh_ctl_json_object(buf, len, "request body", &out->root, err) < 0 ||
	    only(out->root, batch_keys, "", err) < 0 || node_member(out->root, out->node, err) < 0)
		goto fail;
	rc = opt_int(out->root, "first_seq", 1, BH_CTL_SEQ_MAX, "", &out->first_seq, err);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		bh_error_set(err, BH_ERR_INVALID, "first_seq: missing");
		goto fail;
	}
	evs = json_object_get(out->root, "events");
	if (!json_is_array(evs)) {
		bh_error_set(err, BH_ERR_INVALID, "events: expected an array");
		goto fail;
	}
	out->n = json_array_size(evs);
	if (out->n > BH_CTL_BATCH_MAX) {
		bh_error_set(err, BH_ERR_LIMIT, "events: %zu in one batch, over %d", out->n,
			     BH_CTL_BATCH_MAX);
		goto fail;
	}
	if (out->first_seq + (int64_t)out->n - 1 > BH_CTL_SEQ_MAX) {
		bh_error_set(err, BH_ERR_INVALID, "first_seq: the batch goes past %lld",
			     (long long)BH_CTL_SEQ_MAX);
		goto fail;
	}
	out->ev = out->n ? bh_calloc(out->n, sizeof(*out->ev)) : NULL;
	for (size_t i = 0; i < out->n; i++)
		if (parse_event(json_array_get(evs, i), i, &out->ev[i], err) < 0)
			goto fail;
	if (out->n)
		event_texts(buf, len, out);
	return 0;
fail:
	bh_ctl_batch_release(out);
	return -1;
}

/* The one-pass scan first (src/ctl/ingest_scan.c); what it declines, the tree. */
int bh_ctl_batch_parse(const char *buf, size_t len, struct bh_ctl_batch *out, struct bh_error **err)
{
	if (bh_ctl_batch_scan(buf, len, out) == 0)
		return 0;
	return bh_ctl_batch_parse_tree(buf, len, out, err);
}

void bh_ctl_batch_release(struct bh_ctl_batch *b)
{
	free(b->ev);
	free(b->text);
	json_decref(b->root);
	memset(b, 0, sizeof(*b));
}

static const char *const workloads_keys[] = { "node", "workloads", NULL };
static const char *const workload_keys[] = { "id",  "name",	 "image",   "digest",
					     "pod", "namespace", "started", NULL };

static int parse_workload(const json_t *o, size_t i, struct bh_ctl_workload_in *w,
			  struct bh_error **err)
{
	char where[48];
	bool bad = false;

	snprintf(where, sizeof(where), "workloads[%zu].", i);
	if (!json_is_object(o))
		return bh_error_set(err, BH_ERR_INVALID, "workloads[%zu]: expected an object", i);
	if (only(o, workload_keys, where, err) < 0)
		return -1;
	w->id = opt_str(o, "id", BH_CTL_FIELD_MAX, NULL, where, &bad, err);
	if (!bad && !w->id)
		return bh_error_set(err, BH_ERR_INVALID, "%sid: missing", where);
	if (!bad)
		w->name = opt_str(o, "name", BH_CTL_FIELD_MAX, NULL, where, &bad, err);
	if (!bad)
		w->image = opt_str(o, "image", BH_CTL_FIELD_MAX, NULL, where, &bad, err);
	if (!bad)
		w->digest = opt_str(o, "digest", BH_CTL_FIELD_MAX, NULL, where, &bad, err);
	if (!bad)
		w->pod = opt_str(o, "pod", BH_CTL_FIELD_MAX, NULL, where, &bad, err);
	if (!bad)
		w->namespace = opt_str(o, "namespace", BH_CTL_FIELD_MAX, NULL, where, &bad, err);
	if (bad)
		return -1;
	return opt_int(o, "started", 0, TS_MAX, where, &w->started, err) < 0 ? -1 : 0;
}

int bh_ctl_workloads_parse(const char *buf, size_t len, struct bh_ctl_workloads *out,
			   struct bh_error **err)
{
	const json_t *ws;

	memset(out, 0, sizeof(*out));
	if (bh_ctl_json_object(buf, len, "request body", &out->root, err) < 0 ||
	    only(out->root, workloads_keys, "", err) < 0 ||
	    node_member(out->root, out->node, err) < 0)
		goto fail;
	ws = json_object_get(out->root, "workloads");
	if (!json_is_array(ws)) {
		bh_error_set(err, BH_ERR_INVALID, "workloads: expected an array");
		goto fail;
	}
	out->n = json_array_size(ws);
	if (out->n > BH_CTL_WORKLOADS_MAX) {
		bh_error_set(err, BH_ERR_LIMIT, "workloads: %zu in one report, over %d", out->n,
			     BH_CTL_WORKLOADS_MAX);
		goto fail;
	}
	out->w = out->n ? bh_calloc(out->n, sizeof(*out->w)) : NULL;
	for (size_t i = 0; i < out->n; i++) {
		if (parse_workload(json_array_get(ws, i), i, &out->w[i], err) < 0)
			goto fail;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(out->w[k].id, out->w[i].id)) {
				bh_error_set(err, BH_ERR_INVALID, "workloads[%zu].id: repeated", i);
				goto fail;
			}
	}
	return 0;
fail:
	bh_ctl_workloads_release(out);
	return -1;
}

void bh_ctl_workloads_release(struct bh_ctl_workloads *w)
{
	free(w->w);
	json_decref(w->root);
	memset(w, 0, sizeof(*w));
}

static const char *const register_keys[] = { "node", "agent_version", "policy_version", NULL };

int bh_ctl_register_parse(const char *buf, size_t len, struct bh_ctl_register *out,
			  struct bh_error **err)
{
	json_t *root = NULL;
	const char *av, *pv = NULL;
	bool bad = false;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (bh_ctl_json_object(buf, len, "request body", &root, err) < 0 ||
	    only(root, register_keys, "", err) < 0 || node_member(root, out->node, err) < 0)
		goto out;
	av = opt_str(root, "agent_version", BH_CTL_VERSION_MAX, NULL, "", &bad, err);
	if (!bad && !av) {
		bh_error_set(err, BH_ERR_INVALID, "agent_version: missing");
		goto out;
	}
	if (!bad)
		pv = opt_str(root, "policy_version", BH_CTL_VERSION_MAX, NULL, "", &bad, err);
	if (bad)
		goto out;
	memcpy(out->agent_version, av, strlen(av) + 1);
	if (pv)
		memcpy(out->policy_version, pv, strlen(pv) + 1);
	ret = 0;
out:
	json_decref(root);
	return ret;
}
