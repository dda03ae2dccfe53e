/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Actions from the controller (include/bulkhead/ctl_policy.h, dist17): a
 * group's mode as a new policy version, and quarantine and release queued
 * per node (table node_actions) for its agent, with the agent's result.
 * The bodies' parsers read untrusted bytes (fuzz/fuzz_ctl_action.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/ctl_policy.h"
#include "bulkhead/profile.h"
#include "banned.h"

/* ---- the bodies -------------------------------------------------------------------------- */

struct member {
	const char *key;
	char *out;
	size_t max;
	bool required;
};

/* A printable string (no control bytes), 1..max bytes. */
static int str_member(json_t *v, const struct member *m, struct bh_error **err)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	if (!json_is_string(v) || !n || n > m->max)
		return bh_error_set(err, BH_ERR_INVALID, "\"%s\": a string of 1 to %zu bytes",
				    m->key, m->max);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return bh_error_set(err, BH_ERR_INVALID, "\"%s\": contains a control byte",
					    m->key);
	memcpy(m->out, s, n);
	m->out[n] = 0;
	return 0;
}

/* Parse an object of the members ms (n) and, when ok is not NULL, a boolean
 * "ok" and an integer "id". */
static int parse_obj(const char *buf, size_t len, const struct member *ms, size_t n, bool *ok,
		     int64_t *id, struct bh_error **err)
{
	json_t *root = NULL, *v;
	const char *key;
	bool have_ok = false;
	int ret = -1;

	if (bh_ctl_json_object(buf, len, "request body", &root, err) < 0)
		return -1;
	json_object_foreach (root, key, v) {
		size_t i;

		for (i = 0; i < n && strcmp(key, ms[i].key); i++)
			;
		if (i < n) {
			if (str_member(v, &ms[i], err) < 0)
				goto out;
		} else if (ok && !strcmp(key, "ok") && json_is_boolean(v)) {
			*ok = json_is_true(v);
			have_ok = true;
		} else if (ok && !strcmp(key, "id") && json_is_integer(v) &&
			   json_integer_value(v) > 0 && json_integer_value(v) <= BH_CTL_SEQ_MAX) {
			*id = json_integer_value(v);
		} else {
			bh_error_set(err, BH_ERR_INVALID,
				     "request body: unknown or bad member \"%.64s\"", key);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (ms[i].required && !ms[i].out[0]) {
			bh_error_set(err, BH_ERR_INVALID, "request body: \"%s\" is missing",
				     ms[i].key);
			goto out;
		}
	if (ok && (!have_ok || !*id)) {
		bh_error_set(err, BH_ERR_INVALID, "request body: \"%s\" is missing",
			     have_ok ? "id" : "ok");
		goto out;
	}
	ret = 0;
out:
	json_decref(root);
	return ret;
}

static bool container_ok(const char *s)
{
	for (; *s; s++)
		if (!bh_isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-')
			return false;
	return true;
}

int bh_ctl_action_req_parse(const char *buf, size_t len, struct bh_ctl_action_req *out,
			    struct bh_error **err)
{
	const struct member ms[] = {
		{ "node", out->node, BH_CTL_NAME_MAX, true },
		{ "container", out->container, BH_CTL_CONTAINER_MAX, true },
		{ "reason", out->reason, BH_CTL_REASON_MAX, false },
	};

	memset(out, 0, sizeof(*out));
	if (parse_obj(buf, len, ms, 3, NULL, NULL, err) < 0)
		return -1;
	if (!bh_ctl_name_valid(out->node, strlen(out->node)))
		return bh_error_set(err, BH_ERR_INVALID, "\"node\": not a valid name");
	if (!container_ok(out->container))
		return bh_error_set(err, BH_ERR_INVALID,
				    "\"container\": an ID, ID prefix or name of A-Z a-z 0-9 . _ -");
	return 0;
}

int bh_ctl_mode_req_parse(const char *buf, size_t len, struct bh_ctl_mode_req *out,
			  struct bh_error **err)
{
	const struct member ms[] = {
		{ "group", out->group, BH_CTL_POLICY_GROUP_MAX, true },
		{ "control", out->control, sizeof(out->control) - 1, true },
		{ "mode", out->mode, sizeof(out->mode) - 1, true },
	};
	enum bh_prof_mode pm;

	memset(out, 0, sizeof(*out));
	if (parse_obj(buf, len, ms, 3, NULL, NULL, err) < 0)
		return -1;
	if (strchr(out->group, ' '))
		return bh_error_set(err, BH_ERR_INVALID, "\"group\": no spaces");
	if (strcmp(out->control, "behaviour") && strcmp(out->control, "syscall"))
		return bh_error_set(err, BH_ERR_INVALID,
				    "\"control\": expected behaviour or syscall");
	if (bh_prof_mode_parse(out->mode, &pm, err) < 0)
		return bh_error_prefix(err, "\"mode\"");
	return 0;
}

int bh_ctl_action_result_parse(const char *buf, size_t len, struct bh_ctl_action_result *out,
			       struct bh_error **err)
{
	const struct member ms[] = {
		{ "node", out->node, BH_CTL_NAME_MAX, true },
		{ "error", out->error, BH_CTL_REASON_MAX, false },
	};

	memset(out, 0, sizeof(*out));
	if (parse_obj(buf, len, ms, 2, &out->ok, &out->id, err) < 0)
		return -1;
	if (!bh_ctl_name_valid(out->node, strlen(out->node)))
		return bh_error_set(err, BH_ERR_INVALID, "\"node\": not a valid name");
	return 0;
}

/* ---- a group's mode: a new policy version ------------------------------------------------ */

int bh_ctl_policy_set_mode(struct bh_ctl_store *s, const char *actor,
			   const struct bh_ctl_mode_req *m, int64_t *version, struct bh_error **err)
{
	json_t *cur = NULL, *doc, *modes, *entry;
	struct bh_ctl_policy p;
	char *text;
	size_t i;
	int64_t base;
	int rc;

	*version = 0;
	if (bh_ctl_policy_get(s, 0, &cur, err) < 0) {
		if (bh_error_code(*err) != BH_ERR_NOTFOUND)
			return -1;
		bh_error_free(*err);
		*err = NULL;
	}
	/* made from this version: set only if no other came since (a PUT
	 * between the read and the write would otherwise be undone) */
	base = cur ? (int64_t)json_integer_value(json_object_get(cur, "version")) : 0;
	doc = cur ? json_deep_copy(bh_json_obj(cur, "policy")) : json_object();
	json_decref(cur);
	modes = json_object_get(doc, "modes");
	if (!json_is_array(modes)) {
		modes = json_array();
		json_object_set_new(doc, "modes", modes);
	}
	for (i = 0; i < json_array_size(modes); i++) {
		entry = json_array_get(modes, i);
		if (!strcmp(bh_json_str(entry, "group") ? bh_json_str(entry, "group") : "",
			    m->group) &&
		    !strcmp(bh_json_str(entry, "control") ? bh_json_str(entry, "control") : "",
			    m->control))
			break;
	}
	entry = json_pack("{ssssss}", "group", m->group, "control", m->control, "mode", m->mode);
	if (i < json_array_size(modes))
		json_array_set_new(modes, i, entry);
	else
		json_array_append_new(modes, entry);
	/* the whole document validated again, as a PUT would be */
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!text)
		return bh_error_set(err, BH_ERR_NOMEM, "policy: encoding");
	rc = bh_ctl_policy_parse(text, strlen(text), &p, err);
	free(text);
	if (rc < 0)
		return -1;
	rc = bh_ctl_policy_set_on(s, actor, p.doc, base, version, err);
	bh_ctl_policy_release(&p);
	return rc;
}

/* ---- quarantine and release, per node ---------------------------------------------------- */

struct queue_tx {
	struct bh_ctl_store *s;
	const char *actor, *kind;
	const struct bh_ctl_action_req *r;
	int64_t id;
};

static int queue_fn(void *ctx, struct bh_error **err)
{
	struct queue_tx *t = ctx;
	int64_t now = (int64_t)time(NULL), known = 0;
	struct bh_ctl_val q[] = { BH_CTL_S(t->r->node) };
	struct bh_ctl_val p[] = {
		BH_CTL_S(t->r->node),	BH_CTL_S(t->kind),  BH_CTL_S(t->r->container),
		BH_CTL_S(t->r->reason), BH_CTL_S(t->actor), BH_CTL_I(now),
		BH_CTL_I(now)
	};
	char object[BH_CTL_NAME_MAX + BH_CTL_CONTAINER_MAX + 8];
	json_t *after;
	int rc;

	if (bh_ctl_store_query(t->s, "SELECT COUNT(*) FROM nodes WHERE name = ?", q, 1,
			       bh_ctl_row_int, &known, NULL, err) < 0)
		return -1;
	if (!known)
		return bh_error_set(err, BH_ERR_NOTFOUND, "node %s is not registered", t->r->node);
	if (bh_ctl_store_query(
		    t->s,
		    "INSERT INTO node_actions (node, kind, container, reason, actor, state,"
		    " created, updated) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)"
		    " RETURNING id",
		    p, 7, bh_ctl_row_int, &t->id, NULL, err) < 0)
		return -1;
	after = json_pack("{sIssssss}", "id", (json_int_t)t->id, "kind", t->kind, "container",
			  t->r->container, "reason", t->r->reason);
	snprintf(object, sizeof(object), "node/%s/%s", t->r->node, t->r->container);
	rc = bh_ctl_audit_add(t->s, t->actor,
			      !strcmp(t->kind, "quarantine") ? "action.quarantine"
							     : "action.release",
			      object, NULL, after, err);
	json_decref(after);
	return rc;
}

int bh_ctl_action_queue(struct bh_ctl_store *s, const char *actor, const char *kind,
			const struct bh_ctl_action_req *r, int64_t *id, struct bh_error **err)
{
	struct queue_tx t = { s, actor, kind, r, 0 };

	*id = 0;
	if (strcmp(kind, "quarantine") && strcmp(kind, "release"))
		return bh_error_set(err, BH_ERR_USAGE, "action: unknown kind %s", kind);
	if (bh_ctl_store_tx(s, queue_fn, &t, err) < 0)
		return -1;
	*id = t.id;
	return 0;
}

static int take_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	if (n != 5)
		return bh_error_set(err, BH_ERR_INTERNAL, "node_actions: %zu columns", n);
	json_array_append_new(ctx, json_pack("{sIsssssssI}", "id", (json_int_t)c[0].i, "kind",
					     c[1].s, "container", c[2].s, "reason", c[3].s,
					     "attempt", (json_int_t)c[4].i));
	return 0;
}

static int by_id(const void *a, const void *b)
{
	json_int_t x = 0, y = 0;

	bh_json_int(*(json_t *const *)a, "id", &x);
	bh_json_int(*(json_t *const *)b, "id", &y);
	return x < y ? -1 : x > y;
}

struct take_tx {
	struct bh_ctl_store *s;
	const char *node;
	int64_t lease_s, attempts;
	json_t *v;
};

/* Which rows a poll may take: queued, or sent with the lease over. */
#define TAKABLE "(state = 'queued' OR (state = 'sent' AND lease_until <= ?))"

static int take_fn(void *ctx, struct bh_error **err)
{
	struct take_tx *t = ctx;
	int64_t now = (int64_t)time(NULL);
	char why[64];
	bool pg = !strcmp(bh_ctl_store_backend(t->s), "postgresql");
	struct bh_ctl_val f[] = { BH_CTL_S(why), BH_CTL_I(now), BH_CTL_S(t->node), BH_CTL_I(now),
				  BH_CTL_I(t->attempts) };
	struct bh_ctl_val p[] = {
		BH_CTL_I(now + t->lease_s),   BH_CTL_I(now), BH_CTL_S(t->node), BH_CTL_I(now),
		BH_CTL_I(BH_CTL_ACTIONS_MAX), BH_CTL_I(now)
	};
	size_t n;
	json_t **rows;

	/* those handed out the attempts over without a result: failed */
	snprintf(why, sizeof(why), "no result after %lld hand-outs", (long long)t->attempts);
	if (bh_ctl_store_query(t->s,
			       "UPDATE node_actions SET state = 'failed', error = ?, updated = ?"
			       " WHERE node = ? AND state = 'sent' AND lease_until <= ?"
			       " AND attempts >= ?",
			       f, 5, NULL, NULL, NULL, err) < 0)
		return -1;
	/* one statement claims them; the state checked again on the row
	 * updated (PostgreSQL: a row another poll took meanwhile is skipped) */
	if (bh_ctl_store_query(
		    t->s,
		    pg ? "UPDATE node_actions SET state = 'sent', attempts = attempts + 1,"
			 " lease_until = ?, updated = ? WHERE id IN (SELECT id FROM node_actions"
			 " WHERE node = ? AND " TAKABLE " ORDER BY id LIMIT ?"
			 " FOR UPDATE SKIP LOCKED) AND " TAKABLE
			 " RETURNING id, kind, container, reason, attempts"
		       : "UPDATE node_actions SET state = 'sent', attempts = attempts + 1,"
			 " lease_until = ?, updated = ? WHERE id IN (SELECT id FROM node_actions"
			 " WHERE node = ? AND " TAKABLE " ORDER BY id LIMIT ?) AND " TAKABLE
			 " RETURNING id, kind, container, reason, attempts",
		    p, 6, take_row, t->v, NULL, err) < 0)
		return -1;
	/* RETURNING's order is not the ids' */
	n = json_array_size(t->v);
	rows = n ? calloc(n, sizeof(*rows)) : NULL;
	if (n && !rows)
		return bh_error_set(err, BH_ERR_NOMEM, "actions: sorting");
	for (size_t i = 0; i < n; i++)
		rows[i] = json_incref(json_array_get(t->v, i));
	if (n > 1)
		qsort(rows, n, sizeof(*rows), by_id);
	json_array_clear(t->v);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(t->v, rows[i]);
	free(rows);
	return 0;
}

int bh_ctl_action_take(struct bh_ctl_store *s, const char *node,
		       const struct bh_ctl_action_lease *l, json_t **out, struct bh_error **err)
{
	struct take_tx t = { s, node, l && l->lease_s > 0 ? l->lease_s : BH_CTL_ACTION_LEASE,
			     l && l->attempts > 0 ? l->attempts : BH_CTL_ACTION_ATTEMPTS,
			     json_array() };

	*out = NULL;
	if (bh_ctl_store_tx(s, take_fn, &t, err) < 0) {
		json_decref(t.v);
		return -1;
	}
	*out = t.v;
	return 0;
}

static int state_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	if (n != 1)
		return bh_error_set(err, BH_ERR_INTERNAL, "node_actions: %zu columns", n);
	snprintf(ctx, 16, "%s", c[0].s ? c[0].s : "");
	return 0;
}

int bh_ctl_action_done(struct bh_ctl_store *s, const struct bh_ctl_action_result *r,
		       const char **state, struct bh_error **err)
{
	struct bh_ctl_val p[] = { BH_CTL_S(r->ok ? "done" : "failed"),
				  BH_CTL_S(r->ok || !r->error[0] ? NULL : r->error),
				  BH_CTL_I((int64_t)time(NULL)), BH_CTL_I(r->id),
				  BH_CTL_S(r->node) };
	struct bh_ctl_val q[] = { BH_CTL_I(r->id), BH_CTL_S(r->node) };
	int64_t changed = 0;
	char now[16] = "";

	if (state)
		*state = NULL;
	/* recorded only while sent: the first result is kept */
	if (bh_ctl_store_query(s,
			       "UPDATE node_actions SET state = ?, error = ?, updated = ?"
			       " WHERE id = ? AND node = ? AND state = 'sent'",
			       p, 5, NULL, NULL, &changed, err) < 0)
		return -1;
	if (changed) {
		if (state)
			*state = r->ok ? "done" : "failed";
		return 0;
	}
	if (bh_ctl_store_query(s, "SELECT state FROM node_actions WHERE id = ? AND node = ?", q, 2,
			       state_row, now, NULL, err) < 0)
		return -1;
	if (!now[0])
		return bh_error_set(err, BH_ERR_NOTFOUND, "no action %lld of node %s",
				    (long long)r->id, r->node);
	if (strcmp(now, "done") && strcmp(now, "failed"))
		return bh_error_set(err, BH_ERR_USAGE, "action %lld was not handed out to node %s",
				    (long long)r->id, r->node);
	/* a late or second result: the one recorded stands */
	if (state)
		*state = !strcmp(now, "done") ? "done" : "failed";
	return 0;
}

static int list_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	if (n != 10)
		return bh_error_set(err, BH_ERR_INTERNAL, "node_actions: %zu columns", n);
	json_array_append_new(ctx, json_pack("{sIssssssssssssss?soso}", "id", (json_int_t)c[0].i,
					     "node", c[1].s, "kind", c[2].s, "container", c[3].s,
					     "reason", c[4].s, "actor", c[5].s, "state", c[6].s,
					     "error", c[7].null ? NULL : c[7].s, "created",
					     bh_ctl_json_time(c[8].i), "updated",
					     bh_ctl_json_time(c[9].i)));
	return 0;
}

int bh_ctl_action_list(struct bh_ctl_store *s, const char *node, json_t **out,
		       struct bh_error **err)
{
	struct bh_ctl_val p[] = { BH_CTL_S(node), BH_CTL_S(node) };
	json_t *v = json_array();

	*out = NULL;
	if (bh_ctl_store_query(s,
			       "SELECT id, node, kind, container, reason, actor, state, error,"
			       " created, updated FROM node_actions WHERE (? IS NULL OR node = ?)"
			       " ORDER BY id DESC LIMIT 1000",
			       p, 2, list_row, v, NULL, err) < 0) {
		json_decref(v);
		return -1;
	}
	*out = v;
	return 0;
}
