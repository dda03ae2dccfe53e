/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The connection graph (bh_net_graph_*): flow records aggregated per edge
 * (l4, source group, destination group, server port, application), each with
 * sessions, bytes and packets each way, first and last seen, the deciding
 * rules (verdicts) and the threats; at most max_edges edges, the flows of
 * any further edge counted, not kept. The group of an address comes from
 * the caller's group_of (the policy's groups plug in there); without one it
 * is the address itself. Out as JSON or Graphviz DOT, edges sorted.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bulkhead/net.h"
#include "banned.h"

#define GROUP_MAX 128 /* bytes of a group name */

struct edge {
	char src[GROUP_MAX], dst[GROUP_MAX];
	const char *l4, *app; /* static strings (the engine's) */
	char *app_own;	      /* app, when not one of the engine's */
	uint16_t port;
	uint64_t sessions, packets[2], bytes[2];
	double first, last;
	json_t *rules, *threats; /* name -> count; id -> {name, count} */
};

struct bh_net_graph {
	struct bh_net_graph_opts o;
	struct bh_map *edges;
	uint64_t flows, flows_dropped;
};

int bh_net_graph_new(const struct bh_net_graph_opts *o, struct bh_net_graph **out,
		     struct bh_error **err)
{
	struct bh_net_graph *g;

	if (o && o->max_edges > 16 * 1024 * 1024)
		return bh_error_set(err, BH_ERR_USAGE, "net graph: max_edges over 16M");
	g = bh_calloc(1, sizeof(*g));
	if (o)
		g->o = *o;
	if (!g->o.max_edges)
		g->o.max_edges = 100000;
	g->edges = bh_map_new();
	*out = g;
	return 0;
}

static void addr_group(const uint8_t a[16], char *out, size_t n)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (!memcmp(a, mapped, 12))
		inet_ntop(AF_INET, a + 12, out, (socklen_t)n);
	else
		inet_ntop(AF_INET6, a, out, (socklen_t)n);
}

static void group(const struct bh_net_graph *g, const uint8_t a[16], char out[GROUP_MAX])
{
	out[0] = 0;
	if (!g->o.group_of || g->o.group_of(a, out, GROUP_MAX, g->o.arg) < 0 || !out[0])
		addr_group(a, out, GROUP_MAX);
	out[GROUP_MAX - 1] = 0;
}

static void count(json_t *obj, const char *key, json_int_t by)
{
	json_t *v = json_object_get(obj, key);

	json_object_set_new(obj, key, json_integer((v ? json_integer_value(v) : 0) + by));
}

void bh_net_graph_add(struct bh_net_graph *g, const struct bh_net_flow_record *r)
{
	char src[GROUP_MAX], dst[GROUP_MAX];
	struct bh_buf key = BH_BUF_INIT(2 * GROUP_MAX + 64);
	struct edge *e;

	g->flows++;
	group(g, r->client_addr, src);
	group(g, r->server_addr, dst);
	bh_buf_addf(&key, NULL, "%s%c%s%c%s%c%u%c%s", r->l4, 0, src, 0, dst, 0, r->server_port, 0,
		    r->app);
	e = bh_map_get(g->edges, key.data, key.len);
	if (!e) {
		if (bh_map_size(g->edges) >= g->o.max_edges) {
			g->flows_dropped++;
			bh_buf_release(&key);
			return;
		}
		e = bh_calloc(1, sizeof(*e));
		memcpy(e->src, src, sizeof(src));
		memcpy(e->dst, dst, sizeof(dst));
		e->l4 = r->l4;
		e->app = e->app_own = bh_strdup(r->app);
		e->port = r->server_port;
		e->first = r->first;
		e->rules = json_object();
		e->threats = json_object();
		bh_map_put(g->edges, key.data, key.len, e);
	}
	bh_buf_release(&key);
	e->sessions++;
	for (int d = 0; d < 2; d++) {
		e->packets[d] += r->packets[d];
		e->bytes[d] += r->bytes[d];
	}
	if (r->first < e->first)
		e->first = r->first;
	if (r->last > e->last)
		e->last = r->last;
	/* no policy decided: the default (accept) */
	count(e->rules, r->rule ? r->rule : "default", 1);
	for (size_t i = 0; i < r->n_threats; i++) {
		json_t *t = json_object_get(e->threats, r->threats[i].id);

		if (!t) {
			t = json_pack("{s:s,s:I,s:I}", "name", r->threats[i].name, "count",
				      (json_int_t)0, "sessions", (json_int_t)0);
			json_object_set_new(e->threats, r->threats[i].id, t);
		}
		count(t, "count", r->threats[i].count);
		count(t, "sessions", 1);
	}
	if (r->n_dlp) {
		json_t *t = json_object_get(e->threats, "BH-NET-DLP");

		if (!t) {
			t = json_pack("{s:s,s:I,s:I}", "name", "sensitive data", "count",
				      (json_int_t)0, "sessions", (json_int_t)0);
			json_object_set_new(e->threats, "BH-NET-DLP", t);
		}
		count(t, "count", (json_int_t)r->n_dlp);
		count(t, "sessions", 1);
	}
}

static int edge_cmp(const void *a, const void *b)
{
	const struct edge *x = *(struct edge *const *)a, *y = *(struct edge *const *)b;
	int c;

	if ((c = strcmp(x->src, y->src)) || (c = strcmp(x->dst, y->dst)))
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if ((c = strcmp(x->l4, y->l4)))
		return c;
	return strcmp(x->app, y->app);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static struct edge **sorted(const struct bh_net_graph *g, size_t *n)
{
	struct edge **v = bh_calloc(bh_map_size(g->edges) + 1, sizeof(*v));
	size_t pos = 0, k = 0;
	const char *key;
	size_t klen;
	void *val;

	while (bh_map_next(g->edges, &pos, &key, &klen, &val))
		v[k++] = val;
	qsort(v, k, sizeof(*v), edge_cmp);
	*n = k;
	return v;
}

json_t *bh_net_graph_to_json(const struct bh_net_graph *g)
{
	json_t *j = json_object(), *edges = json_array(), *nodes = json_object(), *nl;
	size_t n;
	struct edge **v = sorted(g, &n);

	for (size_t i = 0; i < n; i++) {
		struct edge *e = v[i];
		json_t *ns, *nd;

		json_array_append_new(
			edges,
			json_pack(
				"{s:s,s:s,s:s,s:i,s:s,s:I,s:{s:I,s:I},s:{s:I,s:I},s:f,s:f,s:O,s:O}",
				"src", e->src, "dst", e->dst, "l4", e->l4, "port", (int)e->port,
				"app", e->app, "sessions", (json_int_t)e->sessions, "bytes",
				"to_server", (json_int_t)e->bytes[0], "to_client",
				(json_int_t)e->bytes[1], "packets", "to_server",
				(json_int_t)e->packets[0], "to_client", (json_int_t)e->packets[1],
				"first", e->first, "last_seen", e->last, "verdicts", e->rules,
				"threats", e->threats));
		ns = json_object_get(nodes, e->src);
		if (!ns) {
			ns = json_pack("{s:s,s:I,s:I}", "id", e->src, "sessions_out", (json_int_t)0,
				       "sessions_in", (json_int_t)0);
			json_object_set_new(nodes, e->src, ns);
		}
		count(ns, "sessions_out", (json_int_t)e->sessions);
		nd = json_object_get(nodes, e->dst);
		if (!nd) {
			nd = json_pack("{s:s,s:I,s:I}", "id", e->dst, "sessions_out", (json_int_t)0,
				       "sessions_in", (json_int_t)0);
			json_object_set_new(nodes, e->dst, nd);
		}
		count(nd, "sessions_in", (json_int_t)e->sessions);
	}
	free(v);
	nl = json_array();
	{
		const char *k;
		json_t *val;
		/* sorted by name, for a stable output */
		size_t nn = json_object_size(nodes), i = 0;
		const char **names = bh_calloc(nn + 1, sizeof(*names));

		json_object_foreach (nodes, k, val) {
			(void)val;
			names[i++] = k;
		}
		qsort(names, nn, sizeof(*names), str_cmp);
		for (i = 0; i < nn; i++)
			json_array_append(nl, json_object_get(nodes, names[i]));
		free(names);
	}
	json_object_set_new(j, "nodes", nl);
	json_object_set_new(j, "edges", edges);
	json_object_set_new(j, "flows", json_integer((json_int_t)g->flows));
	json_object_set_new(j, "flows_not_kept", json_integer((json_int_t)g->flows_dropped));
	json_decref(nodes);
	return j;
}

/* A DOT string's inside: quotes and backslashes escaped, controls dropped. */
static void dot_str(struct bh_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			bh_buf_addc(b, '\\', NULL);
		if ((unsigned char)*s >= 0x20)
			bh_buf_addc(b, *s, NULL);
	}
}

int bh_net_graph_to_dot(const struct bh_net_graph *g, struct bh_buf *out, struct bh_error **err)
{
	size_t n;
	struct edge **v = sorted(g, &n);
	char h[32];

	bh_buf_adds(out, "digraph bulkhead_net {\n\trankdir=LR;\n\tnode [shape=box];\n", NULL);
	for (size_t i = 0; i < n; i++) {
		struct edge *e = v[i];
		size_t nt = json_object_size(e->threats);

		bh_buf_adds(out, "\t\"", NULL);
		dot_str(out, e->src);
		bh_buf_adds(out, "\" -> \"", NULL);
		dot_str(out, e->dst);
		bh_buf_addf(out, NULL, "\" [label=\"%s/%u ", e->l4, e->port);
		dot_str(out, e->app);
		bh_buf_addf(out, NULL, "\\n%llu session%s, %s", (unsigned long long)e->sessions,
			    e->sessions == 1 ? "" : "s",
			    bh_human_size(e->bytes[0] + e->bytes[1], h, sizeof(h)));
		if (nt) {
			const char *k;
			json_t *val;

			json_object_foreach (e->threats, k, val) {
				bh_buf_adds(out, "\\n", NULL);
				dot_str(out, k);
			}
		}
		bh_buf_addf(out, NULL, "\"%s];\n", nt ? ", color=red, fontcolor=red" : "");
	}
	free(v);
	if (bh_buf_adds(out, "}\n", err) < 0)
		return -1;
	return 0;
}

void bh_net_graph_free(struct bh_net_graph *g)
{
	size_t pos = 0, klen;
	const char *key;
	void *val;

	if (!g)
		return;
	while (bh_map_next(g->edges, &pos, &key, &klen, &val)) {
		struct edge *e = val;

		json_decref(e->rules);
		json_decref(e->threats);
		free(e->app_own);
		free(e);
	}
	bh_map_free(g->edges, NULL);
	free(g);
}

struct graph_pcap {
	struct bh_net_graph *g;
	void (*on_flow)(const struct bh_net_flow_record *rec, void *arg);
	void *arg;
};

static void graph_flow(const struct bh_net_flow_record *r, void *arg)
{
	struct graph_pcap *p = arg;

	bh_net_graph_add(p->g, r);
	if (p->on_flow)
		p->on_flow(r, p->arg);
}

int bh_net_graph_pcap(const char *path, const struct bh_net_opts *opts,
		      const struct bh_net_graph_opts *gopts, struct bh_net_graph **out,
		      struct bh_net_stats *stats, struct bh_error **err)
{
	struct bh_net_opts o = { 0 };
	struct graph_pcap p = { 0 };

	*out = NULL;
	if (opts)
		o = *opts;
	if (bh_net_graph_new(gopts, &p.g, err) < 0)
		return -1;
	p.on_flow = o.on_flow;
	p.arg = o.arg;
	o.on_flow = graph_flow;
	o.arg = &p;
	if (bh_net_inspect_pcap(path, &o, stats, err) < 0) {
		bh_net_graph_free(p.g);
		return -1;
	}
	*out = p.g;
	return 0;
}
