/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's flows (src/ctl/flows.h): the body parser of the agents'
 * flow records, their store (tables flow_seqs, flows, flow_threats: a
 * migration step of src/ctl/store.c) and the connection graph read back.
 * Upserts are "ON CONFLICT (...) DO UPDATE SET x = flows.x + excluded.x",
 * the same text on SQLite (>= 3.24) and PostgreSQL.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/flows.h"
#include "banned.h"

/* ---- the body ---------------------------------------------------------------------------- */

static int bad(struct bh_error **err, const char *where, size_t i, size_t j, const char *key,
	       const char *what)
{
	if (j == (size_t)-1)
		return bh_error_set(err, BH_ERR_INVALID, "%s[%zu].%s: %s", where, i, key, what);
	return bh_error_set(err, BH_ERR_INVALID, "%s[%zu].edges[%zu].%s: %s", where, i, j, key,
			    what);
}

static bool name_ok(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static bool word_ok(const char *s, size_t n, size_t max, bool upper)
{
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (!(upper ? bh_isupper(c) : bh_islower(c)) && !bh_isdigit(c) && c != '_' &&
		    c != '-' && c != '.')
			return false;
	}
	return true;
}

/* Members of o outside keys[] (NULL-terminated): the first one, else NULL. */
static const char *unknown(const json_t *o, const char *const *keys)
{
	const char *key;
	json_t *v;

	json_object_foreach ((json_t *)o, key, v) {
		size_t i;

		(void)v;
		for (i = 0; keys[i] && strcmp(keys[i], key); i++)
			;
		if (!keys[i])
			return key;
	}
	return NULL;
}

/* An integer member in [0, max]: absent is 0 unless need. */
static bool count_of(const json_t *o, const char *key, int64_t max, bool need, int64_t *out)
{
	const json_t *v = json_object_get(o, key);

	*out = 0;
	if (!v)
		return !need;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return false;
	*out = json_integer_value(v);
	return true;
}

static bool bool_of(const json_t *o, const char *key, bool *out)
{
	const json_t *v = json_object_get(o, key);

	*out = false;
	if (!v)
		return true;
	if (!json_is_boolean(v))
		return false;
	*out = json_is_true(v);
	return true;
}

static int parse_edge(const json_t *e, size_t i, size_t j, struct bh_ctl_flow_edge *d,
		      struct bh_error **err)
{
	static const char *const keys[] = { "src",     "dst",	 "src_peer", "dst_peer", "port",
					    "l4",      "app",	 "bytes",    "packets",	 "conns",
					    "allowed", "denied", "threats",  NULL };
	static const char *const counts[] = { "bytes", "packets", "conns", "allowed", "denied" };
	int64_t *cv[] = { &d->bytes, &d->packets, &d->conns, &d->allowed, &d->denied };
	const char *k, *strs[] = { "src", "dst" };
	const char **sv[] = { &d->src, &d->dst };
	const json_t *v, *t;
	size_t ti;

	if (!json_is_object(e))
		return bh_error_set(err, BH_ERR_INVALID,
				    "records[%zu].edges[%zu]: expected an object", i, j);
	if ((k = unknown(e, keys)))
		return bad(err, "records", i, j, k, "unknown member");
	for (size_t s = 0; s < 2; s++) {
		v = json_object_get(e, strs[s]);
		if (!json_is_string(v) ||
		    !name_ok(json_string_value(v), json_string_length(v), BH_CTL_FLOW_NAME_MAX) ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return bad(err, "records", i, j, strs[s],
				   "expected 1 to 127 printable bytes");
		*sv[s] = json_string_value(v);
	}
	if (!bool_of(e, "src_peer", &d->src_peer) || !bool_of(e, "dst_peer", &d->dst_peer))
		return bad(err, "records", i, j, "src_peer/dst_peer", "expected a boolean");
	if (!count_of(e, "port", 65535, true, &d->port))
		return bad(err, "records", i, j, "port", "expected an integer from 0 to 65535");
	v = json_object_get(e, "l4");
	d->l4 = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(d->l4, "tcp") && strcmp(d->l4, "udp") && strcmp(d->l4, "icmp"))
		return bad(err, "records", i, j, "l4", "expected tcp, udp or icmp");
	v = json_object_get(e, "app");
	if (!json_is_string(v) ||
	    !word_ok(json_string_value(v), json_string_length(v), BH_CTL_FLOW_APP_MAX, false))
		return bad(err, "records", i, j, "app", "expected 1 to 23 of a-z 0-9 _ - .");
	d->app = json_string_value(v);
	for (size_t c = 0; c < 5; c++)
		if (!count_of(e, counts[c], BH_CTL_FLOW_COUNT_MAX, false, cv[c]))
			return bad(err, "records", i, j, counts[c],
				   "expected an integer from 0 to 2^53");
	t = json_object_get(e, "threats");
	d->nthreats = 0;
	if (!t)
		return 0;
	if (!json_is_array(t) || json_array_size(t) > BH_CTL_FLOW_THREATS_MAX)
		return bad(err, "records", i, j, "threats", "expected an array of at most 8 IDs");
	json_array_foreach (t, ti, v) {
		if (!json_is_string(v) || !word_ok(json_string_value(v), json_string_length(v),
						   BH_CTL_FLOW_THREAT_MAX, true))
			return bad(err, "records", i, j, "threats",
				   "an ID is 1 to 31 of A-Z 0-9 _ - .");
		d->threats[d->nthreats++] = json_string_value(v);
	}
	return 0;
}

static int parse_record(const json_t *r, size_t i, struct bh_ctl_flow_record *d,
			struct bh_error **err)
{
	static const char *const keys[] = { "kind", "ts", "interval", "dropped", "edges", NULL };
	const json_t *v = json_object_get(r, "kind"), *edges, *e;
	const char *k;
	size_t j;

	if (!json_is_object(r))
		return bh_error_set(err, BH_ERR_INVALID, "records[%zu]: expected an object", i);
	if ((k = unknown(r, keys)))
		return bad(err, "records", i, (size_t)-1, k, "unknown member");
	if (!json_is_string(v) || strcmp(json_string_value(v), "flows"))
		return bad(err, "records", i, (size_t)-1, "kind", "expected \"flows\"");
	if (!count_of(r, "ts", 253402300799, true, &d->ts))
		return bad(err, "records", i, (size_t)-1, "ts", "expected unix seconds");
	if (!count_of(r, "interval", 86400, false, &d->interval))
		return bad(err, "records", i, (size_t)-1, "interval",
			   "expected seconds from 0 to 86400");
	if (!count_of(r, "dropped", BH_CTL_FLOW_COUNT_MAX, false, &d->dropped))
		return bad(err, "records", i, (size_t)-1, "dropped", "expected a count");
	edges = json_object_get(r, "edges");
	if (!json_is_array(edges) || json_array_size(edges) > BH_CTL_FLOW_EDGES_MAX)
		return bad(err, "records", i, (size_t)-1, "edges",
			   "expected an array of at most 1024 edges");
	d->n = json_array_size(edges);
	d->edges = bh_calloc(d->n ? d->n : 1, sizeof(*d->edges));
	json_array_foreach (edges, j, e)
		if (parse_edge(e, i, j, &d->edges[j], err) < 0)
			return -1;
	return 0;
}

int bh_ctl_flows_parse(const char *buf, size_t len, struct bh_ctl_flows *out, struct bh_error **err)
{
	static const char *const keys[] = { "node", "first_seq", "records", NULL };
	const json_t *v, *recs, *r;
	const char *k;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (bh_ctl_json_object(buf, len, "request body", &out->root, err) < 0)
		return -1;
	if ((k = unknown(out->root, keys)))
		return bh_error_set(err, BH_ERR_INVALID, "\"%.64s\": unknown member", k);
	v = json_object_get(out->root, "node");
	if (!json_is_string(v) || json_string_length(v) > BH_CTL_NAME_MAX ||
	    !bh_ctl_name_valid(json_string_value(v), json_string_length(v)))
		return bh_error_set(err, BH_ERR_INVALID,
				    "node: expected a node name (1 to %d of A-Z a-z 0-9 . _ @ -)",
				    BH_CTL_NAME_MAX);
	memcpy(out->node, json_string_value(v), json_string_length(v) + 1);
	if (!count_of(out->root, "first_seq", BH_CTL_SEQ_MAX, true, &out->first_seq) ||
	    out->first_seq < 1)
		return bh_error_set(err, BH_ERR_INVALID,
				    "first_seq: expected an integer from 1 to 2^53");
	recs = json_object_get(out->root, "records");
	if (!json_is_array(recs) || json_array_size(recs) > BH_CTL_FLOW_RECORDS_MAX)
		return bh_error_set(err, BH_ERR_INVALID,
				    "records: expected an array of at most %d records",
				    BH_CTL_FLOW_RECORDS_MAX);
	if (out->first_seq + (int64_t)json_array_size(recs) - 1 > BH_CTL_SEQ_MAX)
		return bh_error_set(err, BH_ERR_INVALID, "first_seq: the records pass 2^53");
	out->n = json_array_size(recs);
	out->rec = bh_calloc(out->n ? out->n : 1, sizeof(*out->rec));
	json_array_foreach (recs, i, r)
		if (parse_record(r, i, &out->rec[i], err) < 0)
			return -1;
	return 0;
}

void bh_ctl_flows_release(struct bh_ctl_flows *f)
{
	if (f->rec)
		for (size_t i = 0; i < f->n; i++)
			free(f->rec[i].edges);
	free(f->rec);
	json_decref(f->root);
	memset(f, 0, sizeof(*f));
}

/* ---- the store --------------------------------------------------------------------------- */

struct in_tx {
	struct bh_ctl_store *s;
	const char *node;
	const struct bh_ctl_flows *f;
	struct bh_ctl_flows_result res;
	bool fresh;
};

static int fresh_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	(void)c;
	(void)n;
	(void)err;
	*(bool *)ctx = true;
	return 0;
}

static int edge_store(struct in_tx *t, int64_t bucket, int64_t ts, const struct bh_ctl_flow_edge *e,
		      struct bh_error **err)
{
	struct bh_ctl_val p[] = {
		BH_CTL_I(bucket),     BH_CTL_S(t->node),     BH_CTL_S(e->src),
		BH_CTL_S(e->dst),     BH_CTL_I(e->port),     BH_CTL_S(e->l4),
		BH_CTL_S(e->app),     BH_CTL_I(e->src_peer), BH_CTL_I(e->dst_peer),
		BH_CTL_I(e->bytes),   BH_CTL_I(e->packets),  BH_CTL_I(e->conns),
		BH_CTL_I(e->allowed), BH_CTL_I(e->denied),   BH_CTL_I(ts),
	};

	if (bh_ctl_store_query(
		    t->s,
		    "INSERT INTO flows (bucket, node, src, dst, port, l4, app, src_peer, dst_peer,"
		    " bytes, packets, conns, allowed, denied, last_seen)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		    " ON CONFLICT (bucket, node, src, dst, port, l4, app) DO UPDATE SET"
		    " bytes = flows.bytes + excluded.bytes,"
		    " packets = flows.packets + excluded.packets,"
		    " conns = flows.conns + excluded.conns,"
		    " allowed = flows.allowed + excluded.allowed,"
		    " denied = flows.denied + excluded.denied,"
		    " last_seen = CASE WHEN excluded.last_seen > flows.last_seen"
		    " THEN excluded.last_seen ELSE flows.last_seen END",
		    p, sizeof(p) / sizeof(p[0]), NULL, NULL, NULL, err) < 0)
		return -1;
	for (size_t k = 0; k < e->nthreats; k++) {
		struct bh_ctl_val q[] = {
			BH_CTL_I(bucket), BH_CTL_S(t->node),	   BH_CTL_S(e->src),
			BH_CTL_S(e->dst), BH_CTL_I(e->port),	   BH_CTL_S(e->l4),
			BH_CTL_S(e->app), BH_CTL_S(e->threats[k]),
		};

		if (bh_ctl_store_query(
			    t->s,
			    "INSERT INTO flow_threats (bucket, node, src, dst, port, l4, app, "
			    "threat,"
			    " hits) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)"
			    " ON CONFLICT (bucket, node, src, dst, port, l4, app, threat)"
			    " DO UPDATE SET hits = flow_threats.hits + 1",
			    q, sizeof(q) / sizeof(q[0]), NULL, NULL, NULL, err) < 0)
			return -1;
		t->res.threats++;
	}
	t->res.edges++;
	return 0;
}

static int in_fn(void *ctx, struct bh_error **err)
{
	struct in_tx *t = ctx;
	struct bh_ctl_val p[4];
	int64_t changed = 0, floor = 0;

	memset(&t->res, 0, sizeof(t->res));
	p[0] = BH_CTL_I((int64_t)time(NULL));
	p[1] = BH_CTL_S(t->node);
	if (bh_ctl_store_query(t->s, "UPDATE nodes SET last_seen = ? WHERE name = ?", p, 2, NULL,
			       NULL, &changed, err) < 0)
		return -1;
	if (!changed)
		return bh_error_set(err, BH_ERR_NOTFOUND,
				    "node %s is not registered (POST /api/v1/agent/register first)",
				    t->node);
	/* lease17: the seqs at or below the node's floor were held and pruned
	 * (src/ctl/retention.c): a replay of one is not stored again */
	p[0] = BH_CTL_S(t->node);
	if (bh_ctl_store_query(t->s, "SELECT seq FROM flow_floor WHERE node = ?", p, 1,
			       bh_ctl_row_int, &floor, NULL, err) < 0)
		return -1;
	for (size_t i = 0; i < t->f->n; i++) {
		const struct bh_ctl_flow_record *r = &t->f->rec[i];
		int64_t bucket = r->ts - r->ts % BH_CTL_FLOW_BUCKET;

		if (t->f->first_seq + (int64_t)i <= floor)
			continue;
		p[0] = BH_CTL_S(t->node);
		p[1] = BH_CTL_I(t->f->first_seq + (int64_t)i);
		p[2] = BH_CTL_I(r->ts);
		p[3] = BH_CTL_I(r->dropped);
		t->fresh = false;
		if (bh_ctl_store_query(t->s,
				       "INSERT INTO flow_seqs (node, seq, ts, dropped) VALUES"
				       " (?, ?, ?, ?) ON CONFLICT (node, seq) DO NOTHING"
				       " RETURNING seq",
				       p, 4, fresh_row, &t->fresh, NULL, err) < 0)
			return -1;
		if (!t->fresh)
			continue; /* held already: a replay */
		t->res.stored++;
		t->res.fresh |= (uint64_t)1 << i;
		for (size_t j = 0; j < r->n; j++)
			if (edge_store(t, bucket, r->ts, &r->edges[j], err) < 0)
				return -1;
	}
	return bh_ctl_ingest_acked(t->s, t->node, &t->res.acked, err);
}

int bh_ctl_flows_ingest(struct bh_ctl_store *s, const char *node, const struct bh_ctl_flows *f,
			struct bh_ctl_flows_result *res, struct bh_error **err)
{
	struct in_tx t = { .s = s, .node = node, .f = f };
	int rc;

	memset(res, 0, sizeof(*res));
	if (f->n > BH_CTL_FLOW_RECORDS_MAX)
		return bh_error_set(err, BH_ERR_LIMIT, "a batch of %zu flow records", f->n);
	rc = bh_ctl_store_tx(s, in_fn, &t, err);
	if (rc >= 0)
		*res = t.res;
	return rc;
}

/* ---- what a live stream sees (ctlmisc19) -------------------------------------------------- */

static void delta_add(json_t *d, const char *key, int64_t v)
{
	json_int_t now = json_integer_value(json_object_get(d, key));

	json_object_set_new(
		d, key,
		json_integer(now + v > BH_CTL_FLOW_COUNT_MAX ? BH_CTL_FLOW_COUNT_MAX : now + v));
}

static void delta_edge(json_t *d, const struct bh_ctl_flow_edge *e, int64_t ts)
{
	json_t *t = json_object_get(d, "threats"), *v;
	size_t i;

	delta_add(d, "bytes", e->bytes);
	delta_add(d, "packets", e->packets);
	delta_add(d, "conns", e->conns);
	delta_add(d, "allowed", e->allowed);
	delta_add(d, "denied", e->denied);
	if (ts > json_integer_value(json_object_get(d, "last_seen")))
		json_object_set_new(d, "last_seen", json_integer(ts));
	for (size_t k = 0; k < e->nthreats; k++) {
		bool have = false;

		json_array_foreach (t, i, v)
			have = have || !strcmp(json_string_value(v), e->threats[k]);
		if (!have && json_array_size(t) < BH_CTL_FLOW_THREATS_MAX)
			json_array_append_new(t, json_string(e->threats[k]));
	}
	json_object_set_new(d, "verdict",
			    json_string(json_integer_value(json_object_get(d, "denied")) > 0
						? "deny"
					: json_array_size(t) ? "alert"
							     : "allow"));
}

/* What an edge's JSON can grow by after it is made: its five counts (2^53:
 * 16 digits) and last_seen with their keys, the verdict, and 8 threats of
 * 31 bytes (IDs: never escaped) */
#define DELTA_EDGE_GROW (5 * (12 + 16) + 13 + 20 + 22 + 12 + 8 * 34)

json_t *bh_ctl_flows_delta(const struct bh_ctl_flows *f, uint64_t fresh, size_t max)
{
	json_t *edges = json_array(), *index = json_object();
	json_t *out;
	size_t used = 0; /* the edges' encoded size, at most */
	int64_t left = 0;
	bool full = false;

	for (size_t i = 0; i < f->n && i < 64; i++) {
		const struct bh_ctl_flow_record *r = &f->rec[i];

		if (!(fresh & ((uint64_t)1 << i)))
			continue;
		for (size_t j = 0; j < r->n; j++) {
			const struct bh_ctl_flow_edge *e = &r->edges[j];
			char *key = bh_asprintf("%s\x1f%s\x1f%lld\x1f%s\x1f%s", e->src, e->dst,
						(long long)e->port, e->l4, e->app);
			json_t *d = json_object_get(index, key);

			if (!d && !full && json_array_size(edges) < max) {
				/* the names as encoded ('"' and '\\' double): the event
				 * stays under BH_CTL_FLOW_DELTA_BYTES */
				size_t sz;

				d = json_pack("{sssssbsbsssIsss[]}", "from", e->src, "to", e->dst,
					      "from_peer", e->src_peer, "to_peer", e->dst_peer,
					      "proto", e->l4, "port", (json_int_t)e->port, "app",
					      e->app, "threats");
				sz = d ? json_dumpb(d, NULL, 0, JSON_COMPACT) + DELTA_EDGE_GROW + 1
				       : SIZE_MAX;
				if (!d || used + sz > BH_CTL_FLOW_DELTA_BYTES) {
					json_decref(d);
					d = NULL;
					full = true;
				} else {
					used += sz;
					json_object_set(index, key, d);
					json_array_append_new(edges, d);
				}
			}
			free(key);
			if (!d) {
				/* past the cap: counted, never kept (no key set grows) */
				left++;
				continue;
			}
			delta_edge(d, e, r->ts);
		}
	}
	out = json_pack("{sOsI}", "edges", edges, "truncated", (json_int_t)left);
	json_decref(edges);
	json_decref(index);
	return out;
}

/* ---- the graph --------------------------------------------------------------------------- */

struct graph {
	json_t *groups, *flows, *index; /* index: edge key -> its flow object */
	json_t *seen;			/* group id -> true */
	size_t n;
	bool truncated;
};

static void add_group(struct graph *g, const char *id, bool peer)
{
	if (json_object_get(g->seen, id))
		return;
	json_object_set_new(g->seen, id, json_true());
	json_array_append_new(g->groups, json_pack("{ssssss}", "id", id, "name", id, "kind",
						   peer ? "peer" : "workload"));
}

static char *edge_key(const struct bh_ctl_val *c)
{
	return bh_asprintf("%s\x1f%s\x1f%lld\x1f%s\x1f%s", c[0].s, c[1].s, (long long)c[2].i,
			   c[3].s, c[4].s);
}

/* src, dst, port, l4, app, src_peer, dst_peer, bytes, packets, conns, allowed, denied, last */
static int flow_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct graph *g = ctx;
	json_t *f;
	char *key;

	(void)err;
	if (n != 13)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (c[i].null)
			return 0;
	if (g->n >= BH_CTL_FLOW_GRAPH_MAX) {
		g->truncated = true;
		return 0;
	}
	add_group(g, c[0].s, c[5].i != 0);
	add_group(g, c[1].s, c[6].i != 0);
	f = json_pack("{sssssssIsssIsIsIsIsIsssIs[]}", "from", c[0].s, "to", c[1].s, "proto",
		      c[3].s, "port", (json_int_t)c[2].i, "app", c[4].s, "bytes",
		      (json_int_t)c[7].i, "packets", (json_int_t)c[8].i, "conns",
		      (json_int_t)c[9].i, "allowed", (json_int_t)c[10].i, "denied",
		      (json_int_t)c[11].i, "verdict", c[11].i > 0 ? "deny" : "allow", "last_seen",
		      (json_int_t)c[12].i, "threats");
	if (!f)
		return 0;
	key = edge_key(c);
	json_object_set(g->index, key, f);
	free(key);
	json_array_append_new(g->flows, f);
	g->n++;
	return 0;
}

/* src, dst, port, l4, app, threat */
static int threat_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct graph *g = ctx;
	json_t *f, *t;
	char *key;

	(void)err;
	if (n != 6 || c[5].null)
		return 0;
	key = edge_key(c);
	f = json_object_get(g->index, key);
	free(key);
	if (!f)
		return 0;
	t = json_object_get(f, "threats");
	if (json_array_size(t) < 64)
		json_array_append_new(t, json_string(c[5].s));
	/* a flow with a threat is marked, its verdict kept when it was denied */
	if (!strcmp(bh_json_str(f, "verdict"), "allow"))
		json_object_set_new(f, "verdict", json_string("alert"));
	return 0;
}

int bh_ctl_flows_graph(struct bh_ctl_store *s, const struct bh_ctl_flow_filter *ff, json_t **out,
		       struct bh_error **err)
{
	struct graph g = { json_array(), json_array(), json_object(), json_object(), 0, false };
	int64_t now = (int64_t)time(NULL);
	int64_t until = ff->until ? ff->until : now, since = ff->since ? ff->since : until - 3600;
	struct bh_ctl_val p[5];
	size_t np = 0;
	char where[256], sql[1024];
	int rc = -1;

	*out = NULL;
	/* a bucket holds [bucket, bucket + 60): those that overlap the window */
	p[np++] = BH_CTL_I(since - since % BH_CTL_FLOW_BUCKET);
	p[np++] = BH_CTL_I(until);
	snprintf(where, sizeof(where), "bucket >= ? AND bucket <= ?%s%s",
		 ff->group ? " AND (src = ? OR dst = ?)" : "", ff->node ? " AND node = ?" : "");
	if (ff->group) {
		p[np++] = BH_CTL_S(ff->group);
		p[np++] = BH_CTL_S(ff->group);
	}
	if (ff->node)
		p[np++] = BH_CTL_S(ff->node);
	snprintf(sql, sizeof(sql),
		 "SELECT src, dst, port, l4, app, MAX(src_peer), MAX(dst_peer),"
		 " CAST(SUM(bytes) AS BIGINT), CAST(SUM(packets) AS BIGINT),"
		 " CAST(SUM(conns) AS BIGINT), CAST(SUM(allowed) AS BIGINT),"
		 " CAST(SUM(denied) AS BIGINT), MAX(last_seen) FROM flows WHERE %s"
		 " GROUP BY src, dst, port, l4, app"
		 " ORDER BY SUM(bytes) + SUM(conns) DESC, src, dst, port, l4, app LIMIT %d",
		 where, BH_CTL_FLOW_GRAPH_MAX + 1);
	if (bh_ctl_store_query(s, sql, p, np, flow_row, &g, NULL, err) < 0)
		goto out;
	snprintf(sql, sizeof(sql),
		 "SELECT DISTINCT src, dst, port, l4, app, threat FROM flow_threats WHERE %s"
		 " ORDER BY threat LIMIT 100000",
		 where);
	if (bh_ctl_store_query(s, sql, p, np, threat_row, &g, NULL, err) < 0)
		goto out;
	*out = json_pack("{sIsIsOsOsb}", "since", (json_int_t)since, "until", (json_int_t)until,
			 "groups", g.groups, "flows", g.flows, "truncated", g.truncated);
	rc = *out ? 0 : bh_error_set(err, BH_ERR_NOMEM, "flows: the answer");
out:
	json_decref(g.groups);
	json_decref(g.flows);
	json_decref(g.index);
	json_decref(g.seen);
	return rc;
}
