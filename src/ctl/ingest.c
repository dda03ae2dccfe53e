/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Agents and ingestion (include/bulkhead/ctl.h): nodes, their workloads and
 * their events in the controller's store. A batch is one transaction; the
 * (node, seq) unique key makes a replayed batch store nothing twice
 * ("ON CONFLICT DO NOTHING": SQLite >= 3.24 and PostgreSQL >= 9.5 both say
 * it the same way).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/ctl.h"
#include "banned.h"

static int acked(struct bh_ctl_store *s, const char *node, int64_t *out, struct bh_error **err)
{
	struct bh_ctl_val p[] = { BH_CTL_S(node), BH_CTL_S(node) };

	*out = 0;
	/* flows17: the spool's seqs are shared by events and flow records (one
	 * statement: one round trip to PostgreSQL per batch, not two) */
	return bh_ctl_store_query(s,
				  "SELECT MAX(seq) FROM (SELECT MAX(seq) AS seq FROM events"
				  " WHERE node = ? UNION ALL SELECT MAX(seq) AS seq FROM flow_seqs"
				  " WHERE node = ?) AS m",
				  p, 2, bh_ctl_row_int, out, NULL, err);
}

int bh_ctl_ingest_acked(struct bh_ctl_store *s, const char *node, int64_t *out,
			struct bh_error **err)
{
	return acked(s, node, out, err);
}

/* The node's last_seen now; a node never registered is BH_ERR_NOTFOUND. */
static int touch(struct bh_ctl_store *s, const char *node, struct bh_error **err)
{
	struct bh_ctl_val p[] = { BH_CTL_I((int64_t)time(NULL)), BH_CTL_S(node) };
	int64_t changed = 0;

	if (bh_ctl_store_query(s, "UPDATE nodes SET last_seen = ? WHERE name = ?", p, 2, NULL, NULL,
			       &changed, err) < 0)
		return -1;
	if (!changed)
		return bh_error_set(err, BH_ERR_NOTFOUND,
				    "node %s is not registered (POST /api/v1/agent/register first)",
				    node);
	return 0;
}

/* ---- registration ------------------------------------------------------------------------ */

struct reg_tx {
	struct bh_ctl_store *s;
	const char *actor;
	const struct bh_ctl_register *r;
	json_t *before;
};

static int node_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	json_t **out = ctx;

	(void)err;
	if (n != 2)
		return 0;
	*out = json_pack("{s:s?,s:s?}", "agent_version", c[0].null ? NULL : c[0].s,
			 "policy_version", c[1].null ? NULL : c[1].s);
	return 0;
}

static int reg_fn(void *ctx, struct bh_error **err)
{
	struct reg_tx *t = ctx;
	const struct bh_ctl_register *r = t->r;
	const char *pv = r->policy_version[0] ? r->policy_version : NULL;
	int64_t now = (int64_t)time(NULL);
	struct bh_ctl_val q[] = { BH_CTL_S(r->node) };
	struct bh_ctl_val p[] = { BH_CTL_S(r->node), BH_CTL_I(now), BH_CTL_I(now),
				  BH_CTL_S(r->agent_version), BH_CTL_S(pv) };
	char object[BH_CTL_NAME_MAX + 8];
	json_t *after;
	int rc;

	if (bh_ctl_store_query(t->s,
			       "SELECT agent_version, policy_version FROM nodes WHERE name = ?", q,
			       1, node_row, &t->before, NULL, err) < 0)
		return -1;
	if (bh_ctl_store_query(
		    t->s,
		    "INSERT INTO nodes (name, registered, last_seen, agent_version,"
		    " policy_version) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE"
		    " SET last_seen = excluded.last_seen,"
		    " agent_version = excluded.agent_version,"
		    " policy_version = excluded.policy_version",
		    p, 5, NULL, NULL, NULL, err) < 0)
		return -1;
	after = json_pack("{s:s,s:s?}", "agent_version", r->agent_version, "policy_version", pv);
	snprintf(object, sizeof(object), "node/%s", r->node);
	rc = bh_ctl_audit_add(t->s, t->actor, "node.register", object, t->before, after, err);
	json_decref(after);
	return rc;
}

int bh_ctl_node_register(struct bh_ctl_store *s, const char *actor, const struct bh_ctl_register *r,
			 struct bh_error **err)
{
	struct reg_tx t = { s, actor, r, NULL };
	int rc;

	if (!bh_ctl_name_valid(r->node, strlen(r->node)))
		return bh_error_set(err, BH_ERR_INVALID, "node: not a valid name");
	rc = bh_ctl_store_tx(s, reg_fn, &t, err);
	json_decref(t.before);
	return rc;
}

/* ---- events ------------------------------------------------------------------------------ */

struct ev_tx {
	struct bh_ctl_store *s;
	const char *node;
	const struct bh_ctl_batch *b;
	size_t *fresh; /* indexes of the events this batch stored */
	size_t nfresh;
	struct bh_ctl_ingest_result res;
};

#define ROWS_PER_INSERT 100 /* 8 values each: the store's 800 */

/* The seq of each row an INSERT ... RETURNING stored: its index marked fresh. */
static int fresh_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct ev_tx *t = ctx;
	int64_t i;

	if (n != 1 || c[0].null || c[0].type != BH_CTL_INT)
		return bh_error_set(err, BH_ERR_INTERNAL, "events: a bad RETURNING row");
	i = c[0].i - t->b->first_seq;
	if (i < 0 || (size_t)i >= t->b->n || t->nfresh >= t->b->n)
		return bh_error_set(err, BH_ERR_INTERNAL, "events: seq %lld not of the batch",
				    (long long)c[0].i);
	t->fresh[t->nfresh++] = (size_t)i;
	return 0;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static int ev_fn(void *ctx, struct bh_error **err)
{
	struct ev_tx *t = ctx;
	const struct bh_ctl_batch *b = t->b;
	struct bh_buf sql = BH_BUF_INIT(16u << 10);
	struct bh_ctl_val p[ROWS_PER_INSERT * 8];
	char *js[ROWS_PER_INSERT] = { 0 };
	int ret = -1;

	t->nfresh = 0;
	t->res.stored = 0;
	if (touch(t->s, t->node, err) < 0)
		return -1;
	/* rows by 100 in one statement each: a batch in a few round trips */
	for (size_t at = 0; at < b->n; at += ROWS_PER_INSERT) {
		size_t k = b->n - at < ROWS_PER_INSERT ? b->n - at : ROWS_PER_INSERT;

		bh_buf_reset(&sql);
		if (bh_buf_adds(&sql,
				"INSERT INTO events (node, seq, ts, kind, rule, severity, workload,"
				" event_json) VALUES ",
				err) < 0)
			goto out;
		for (size_t i = 0; i < k; i++) {
			const struct bh_ctl_event_in *e = &b->ev[at + i];

			/* the text the agent sent, else the event encoded */
			if (!e->json)
				js[i] = json_dumps(e->item, JSON_COMPACT | JSON_SORT_KEYS);
			if (!e->json && !js[i]) {
				bh_error_set(err, BH_ERR_NOMEM, "events: encoding an event");
				goto out;
			}
			p[i * 8 + 0] = BH_CTL_S(t->node);
			p[i * 8 + 1] = BH_CTL_I(b->first_seq + (int64_t)(at + i));
			p[i * 8 + 2] = BH_CTL_I(e->ts);
			p[i * 8 + 3] = BH_CTL_S(e->kind);
			p[i * 8 + 4] = BH_CTL_S(e->rule);
			p[i * 8 + 5] = BH_CTL_S(e->severity);
			p[i * 8 + 6] = BH_CTL_S(e->workload);
			p[i * 8 + 7] = BH_CTL_S(e->json ? e->json : js[i]);
			if (bh_buf_adds(&sql,
					i ? ", (?, ?, ?, ?, ?, ?, ?, ?)"
					  : "(?, ?, ?, ?, ?, ?, ?, ?)",
					err) < 0)
				goto out;
		}
		if (bh_buf_adds(&sql, " ON CONFLICT (node, seq) DO NOTHING RETURNING seq", err) <
			    0 ||
		    bh_buf_addc(&sql, 0, err) < 0)
			goto out;
		if (bh_ctl_store_query(t->s, sql.data, p, k * 8, fresh_row, t, NULL, err) < 0)
			goto out;
		for (size_t i = 0; i < k; i++) {
			free(js[i]);
			js[i] = NULL;
		}
	}
	/* RETURNING's order is not promised: the hook sees seq order */
	qsort(t->fresh, t->nfresh, sizeof(*t->fresh), cmp_size);
	t->res.stored = (int64_t)t->nfresh;
	ret = acked(t->s, t->node, &t->res.acked, err);
out:
	for (size_t i = 0; i < ROWS_PER_INSERT; i++)
		free(js[i]);
	bh_buf_release(&sql);
	return ret;
}

int bh_ctl_ingest_events(struct bh_ctl_store *s, const char *node, const struct bh_ctl_batch *b,
			 const struct bh_ctl_ingest_hook *hook, struct bh_ctl_ingest_result *res,
			 struct bh_error **err)
{
	struct ev_tx t = { s, node, b, NULL, 0, { 0, 0 } };
	int rc;

	memset(res, 0, sizeof(*res));
	if (b->n > BH_CTL_BATCH_MAX)
		return bh_error_set(err, BH_ERR_LIMIT, "a batch of %zu events", b->n);
	if (b->n && (b->first_seq < 1 || b->first_seq + (int64_t)b->n - 1 > BH_CTL_SEQ_MAX))
		return bh_error_set(err, BH_ERR_INVALID, "first_seq out of range");
	t.fresh = bh_calloc(b->n ? b->n : 1, sizeof(*t.fresh));
	/* SQLite: the batches of concurrent agents committed together */
	rc = bh_ctl_store_tx_group(s, ev_fn, &t, err);
	if (rc >= 0) {
		*res = t.res;
		if (hook && hook->stored && t.nfresh) {
			struct bh_ctl_event_in *evs = bh_calloc(t.nfresh, sizeof(*evs));
			int64_t *seqs = bh_calloc(t.nfresh, sizeof(*seqs));

			for (size_t k = 0; k < t.nfresh; k++) {
				evs[k] = b->ev[t.fresh[k]];
				seqs[k] = b->first_seq + (int64_t)t.fresh[k];
			}
			hook->stored(hook->data, node, evs, seqs, t.nfresh);
			free(evs);
			free(seqs);
		}
	}
	free(t.fresh);
	return rc;
}

/* ---- workloads --------------------------------------------------------------------------- */

struct wl_tx {
	struct bh_ctl_store *s;
	const char *actor, *node;
	const struct bh_ctl_workloads *w;
	int64_t added, gone;
};

static int str_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	(void)err;
	if (n >= 1 && !c[0].null && c[0].type == BH_CTL_TEXT)
		json_array_append_new(ctx, json_string(c[0].s));
	return 0;
}

/* *state: 0 absent, 1 present, 2 gone */
static int state_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	(void)err;
	*(int *)ctx = n >= 1 && c[0].null ? 1 : 2;
	return 0;
}

static int wl_fn(void *ctx, struct bh_error **err)
{
	struct wl_tx *t = ctx;
	int64_t now = (int64_t)time(NULL), report = 0;
	json_t *added = json_array(), *gone = json_array(), *after = NULL;
	struct bh_ctl_val p[10];
	char object[BH_CTL_NAME_MAX + 8];
	int ret = -1;

	t->added = t->gone = 0;
	if (touch(t->s, t->node, err) < 0)
		goto out;
	p[0] = BH_CTL_S(t->node);
	if (bh_ctl_store_query(t->s, "SELECT MAX(report) FROM workloads WHERE node = ?", p, 1,
			       bh_ctl_row_int, &report, NULL, err) < 0)
		goto out;
	report++;
	for (size_t i = 0; i < t->w->n; i++) {
		const struct bh_ctl_workload_in *w = &t->w->w[i];
		int state = 0;

		p[0] = BH_CTL_S(t->node);
		p[1] = BH_CTL_S(w->id);
		if (bh_ctl_store_query(
			    t->s, "SELECT gone FROM workloads WHERE node = ? AND container_id = ?",
			    p, 2, state_row, &state, NULL, err) < 0)
			goto out;
		if (state != 1)
			json_array_append_new(added, json_string(w->id));
		p[2] = BH_CTL_S(w->name);
		p[3] = BH_CTL_S(w->image);
		p[4] = BH_CTL_S(w->digest);
		p[5] = BH_CTL_S(w->pod);
		p[6] = BH_CTL_S(w->namespace);
		p[7] = BH_CTL_IN(w->started, !w->started);
		p[8] = BH_CTL_I(report);
		if (bh_ctl_store_query(
			    t->s,
			    "INSERT INTO workloads (node, container_id, name, image, digest, pod,"
			    " namespace, started, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
			    " ON CONFLICT (node, container_id) DO UPDATE SET name = excluded.name,"
			    " image = excluded.image, digest = excluded.digest, pod = excluded.pod,"
			    " namespace = excluded.namespace, started = excluded.started,"
			    " report = excluded.report, gone = NULL",
			    p, 9, NULL, NULL, NULL, err) < 0)
			goto out;
	}
	p[0] = BH_CTL_S(t->node);
	p[1] = BH_CTL_I(report);
	if (bh_ctl_store_query(t->s,
			       "SELECT container_id FROM workloads WHERE node = ? AND gone IS NULL"
			       " AND report <> ? ORDER BY container_id",
			       p, 2, str_row, gone, NULL, err) < 0)
		goto out;
	p[0] = BH_CTL_I(now);
	p[1] = BH_CTL_S(t->node);
	p[2] = BH_CTL_I(report);
	if (bh_ctl_store_query(t->s,
			       "UPDATE workloads SET gone = ? WHERE node = ? AND gone IS NULL"
			       " AND report <> ?",
			       p, 3, NULL, NULL, NULL, err) < 0)
		goto out;
	t->added = (int64_t)json_array_size(added);
	t->gone = (int64_t)json_array_size(gone);
	if (t->added || t->gone) {
		after = json_pack("{sOsO}", "added", added, "gone", gone);
		snprintf(object, sizeof(object), "node/%s", t->node);
		if (bh_ctl_audit_add(t->s, t->actor, "workloads.report", object, NULL, after, err) <
		    0)
			goto out;
	}
	ret = 0;
out:
	json_decref(added);
	json_decref(gone);
	json_decref(after);
	return ret;
}

int bh_ctl_workloads_report(struct bh_ctl_store *s, const char *actor, const char *node,
			    const struct bh_ctl_workloads *w, int64_t *added, int64_t *gone,
			    struct bh_error **err)
{
	struct wl_tx t = { s, actor, node, w, 0, 0 };
	int rc;

	if (w->n > BH_CTL_WORKLOADS_MAX)
		return bh_error_set(err, BH_ERR_LIMIT, "a report of %zu workloads", w->n);
	rc = bh_ctl_store_tx(s, wl_fn, &t, err);
	if (rc >= 0) {
		if (added)
			*added = t.added;
		if (gone)
			*gone = t.gone;
	}
	return rc;
}

/* ---- lists ------------------------------------------------------------------------------- */

static int nodes_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	if (n != 7)
		return bh_error_set(err, BH_ERR_INTERNAL, "nodes: %zu columns", n);
	json_array_append_new(
		ctx, json_pack("{sososososososo}", "name", bh_ctl_col_str(&c[0]), "registered",
			       bh_ctl_col_time(&c[1]), "last_seen", bh_ctl_col_time(&c[2]),
			       "agent_version", bh_ctl_col_str(&c[3]), "policy_version",
			       bh_ctl_col_str(&c[4]), "events", bh_ctl_col_int(&c[5]), "acked",
			       c[6].null ? json_integer(0) : bh_ctl_col_int(&c[6])));
	return 0;
}

int bh_ctl_node_list(struct bh_ctl_store *s, json_t **out, struct bh_error **err)
{
	json_t *v = json_array();

	*out = NULL;
	if (bh_ctl_store_query(s,
			       "SELECT n.name, n.registered, n.last_seen, n.agent_version,"
			       " n.policy_version,"
			       " (SELECT COUNT(*) FROM events e WHERE e.node = n.name),"
			       " (SELECT MAX(seq) FROM events e WHERE e.node = n.name)"
			       " FROM nodes n ORDER BY n.name",
			       NULL, 0, nodes_row, v, NULL, err) < 0) {
		json_decref(v);
		return -1;
	}
	*out = v;
	return 0;
}

struct ev_rows {
	json_t *items;
};

static int ev_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct ev_rows *r = ctx;
	json_t *ev;

	if (n != 9)
		return bh_error_set(err, BH_ERR_INTERNAL, "events: %zu columns", n);
	ev = c[8].null ? NULL : json_loads(c[8].s, 0, NULL);
	json_array_append_new(r->items,
			      json_pack("{sososososososososo}", "id", bh_ctl_col_int(&c[0]), "node",
					bh_ctl_col_str(&c[1]), "seq", bh_ctl_col_int(&c[2]), "time",
					bh_ctl_col_time(&c[3]), "kind", bh_ctl_col_str(&c[4]),
					"rule", bh_ctl_col_str(&c[5]), "severity",
					bh_ctl_col_str(&c[6]), "workload", bh_ctl_col_str(&c[7]),
					"event", ev ? ev : json_null()));
	return 0;
}

int bh_ctl_event_list(struct bh_ctl_store *s, const struct bh_ctl_event_filter *f, json_t **out,
		      struct bh_error **err)
{
	unsigned limit = f->limit ? f->limit : BH_CTL_AUDIT_PAGE_DEFAULT;
	struct ev_rows r = { json_array() };
	/* the WHERE clause of the filters given, from fixed pieces (values are
	 * bound): SQLite uses an index only for a condition it sees, not for
	 * "? IS NULL OR col = ?" */
	struct {
		bool on;
		const char *sql;
		struct bh_ctl_val v;
	} conds[] = {
		{ f->node != NULL, " AND node = ?", BH_CTL_S(f->node) },
		{ f->severity != NULL, " AND severity = ?", BH_CTL_S(f->severity) },
		{ f->rule != NULL, " AND rule = ?", BH_CTL_S(f->rule) },
		{ f->workload != NULL, " AND workload = ?", BH_CTL_S(f->workload) },
		{ f->kind != NULL, " AND kind = ?", BH_CTL_S(f->kind) },
		/* the minute first: the index is on ts / 60 (schema.c) */
		{ f->since != 0, " AND ts / 60 >= ? / 60", BH_CTL_I(f->since) },
		{ f->since != 0, " AND ts >= ?", BH_CTL_I(f->since) },
		{ f->until != 0, " AND ts / 60 <= ? / 60", BH_CTL_I(f->until) },
		{ f->until != 0, " AND ts <= ?", BH_CTL_I(f->until) },
	};
	char sql[768];
	struct bh_ctl_val p[12];
	size_t count, np = 0;

	*out = NULL;
	if (limit > BH_CTL_AUDIT_PAGE_MAX) {
		json_decref(r.items);
		return bh_error_set(err, BH_ERR_INVALID, "events: limit %u is over %u", limit,
				    BH_CTL_AUDIT_PAGE_MAX);
	}
	snprintf(sql, sizeof(sql), "%s",
		 "SELECT id, node, seq, ts, kind, rule, severity, workload, event_json"
		 " FROM events WHERE id > ?");
	p[np++] = BH_CTL_I(f->after_id);
	for (size_t i = 0; i < sizeof(conds) / sizeof(conds[0]); i++) {
		if (!conds[i].on)
			continue;
		snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), "%s", conds[i].sql);
		p[np++] = conds[i].v;
	}
	snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), "%s", " ORDER BY id LIMIT ?");
	p[np++] = BH_CTL_I((int64_t)limit + 1);
	if (bh_ctl_store_query(s, sql, p, np, ev_row, &r, NULL, err) < 0) {
		json_decref(r.items);
		return -1;
	}
	count = json_array_size(r.items);
	if (count > limit) {
		json_array_remove(r.items, limit);
		*out = json_pack("{soso}", "items", r.items, "next",
				 json_integer(json_integer_value(json_object_get(
					 json_array_get(r.items, limit - 1), "id"))));
	} else {
		*out = json_pack("{soso}", "items", r.items, "next", json_null());
	}
	return 0;
}
