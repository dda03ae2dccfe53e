/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API's flows (flows17): the agents' flow records (a node token, stored
 * once per (node, seq)) and the connection graph for readers, over
 * src/ctl/flows.c.
 */
#include <string.h>

#include "ctl/api_int.h"
#include "ctl/flows.h"
#include "ctl/stream.h"
#include "banned.h"

static void on_flows_post(struct bh_ctl_call *c)
{
	struct bh_ctl_flows f;
	struct bh_ctl_flows_result res;
	struct bh_error *err = NULL;

	if (!bh_ctl_call_json(c))
		return;
	if (bh_ctl_flows_parse((const char *)c->req->body, c->req->body_len, &f, &err) < 0) {
		bh_ctl_flows_release(&f);
		return bh_ctl_reply_fail(c, err);
	}
	if (!c->who->node)
		bh_ctl_reply_error(c, 403, "only a node token reports for a node");
	else if (strcmp(f.node, c->who->name))
		bh_ctl_reply_error(c, 403, "this token is for another node");
	else if (bh_ctl_flows_ingest(c->a->store, f.node, &f, &res, &err) < 0)
		bh_ctl_reply_fail(c, err);
	else {
		json_t *r = json_pack("{sIsIsIsI}", "stored", (json_int_t)res.stored, "edges",
				      (json_int_t)res.edges, "threats", (json_int_t)res.threats,
				      "acked", (json_int_t)res.acked);

		if (res.fresh && c->a->stream && bh_ctl_stream_count(c->a->stream)) {
			/* the live graphs: the new edges, so a view adds them without
			 * a refetch (a replay, nothing new: no event) */
			json_t *ev = bh_ctl_flows_delta(&f, res.fresh, BH_CTL_FLOW_DELTA_MAX);

			json_object_set_new(ev, "path", json_string("/api/v1/agent/flows"));
			json_object_set_new(ev, "by", json_string(c->who->name));
			json_object_set_new(ev, "node", json_string(c->who->name));
			json_object_set(ev, "result", r);
			bh_ctl_stream_publish(c->a->stream, "flows", ev);
		}
		bh_ctl_reply_json(c, 200, r);
	}
	bh_ctl_flows_release(&f);
}

static void on_flows_get(struct bh_ctl_call *c)
{
	struct bh_ctl_flow_filter f = { 0 };
	struct bh_error *err = NULL;
	char group[BH_CTL_FLOW_NAME_MAX + 1], node[BH_CTL_NAME_MAX + 1];
	json_t *v;
	int rc;

	if (bh_ctl_call_time(c, "since", &f.since) < 0 ||
	    bh_ctl_call_time(c, "until", &f.until) < 0)
		return;
	if (f.since && f.until && f.since > f.until)
		return bh_ctl_reply_error(c, 400, "since is after until");
	if ((rc = bh_ctl_call_query(c, "group", group, sizeof(group))) < 0)
		return;
	f.group = rc ? group : NULL;
	if ((rc = bh_ctl_call_query(c, "node", node, sizeof(node))) < 0)
		return;
	f.node = rc ? node : NULL;
	if (bh_ctl_flows_graph(c->a->store, &f, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, v);
}

static const struct bh_ctl_endpoint endpoints[] = {
	{ "POST", "/api/v1/agent/flows", on_flows_post, BH_CTL_AUTH_ANY,
	  "An agent's flow records (a node token), each stored once per (node, seq) in one "
	  "transaction, summed by edge and minute: acked is the highest seq stored",
	  "FlowBatch", NULL, 200 },
	{ "GET", "/api/v1/flows", on_flows_get, BH_CTL_READER,
	  "The connection graph of a window (default: the last hour): groups and the flows "
	  "between them with bytes, connections, verdicts and threats",
	  NULL, "since until group node", 200 },
};

static void schemas(json_t *components)
{
	json_t *name = json_pack("{sssisi}", "type", "string", "minLength", 1, "maxLength",
				 BH_CTL_FLOW_NAME_MAX);
	json_t *count = json_pack("{sssisI}", "type", "integer", "minimum", 0, "maximum",
				  (json_int_t)BH_CTL_FLOW_COUNT_MAX);
	json_t *props = json_object(), *edge, *rec, *v;

	json_object_set(props, "src", name);
	json_object_set(props, "dst", name);
	json_object_set_new(props, "src_peer", json_pack("{ss}", "type", "boolean"));
	json_object_set_new(props, "dst_peer", json_pack("{ss}", "type", "boolean"));
	json_object_set_new(
		props, "port",
		json_pack("{sssisi}", "type", "integer", "minimum", 0, "maximum", 65535));
	json_object_set_new(props, "l4", json_pack("{s[sss]}", "enum", "tcp", "udp", "icmp"));
	json_object_set_new(props, "app",
			    json_pack("{sssisiss}", "type", "string", "minLength", 1, "maxLength",
				      BH_CTL_FLOW_APP_MAX, "pattern", "^[a-z0-9_.-]+$"));
	json_object_set(props, "bytes", count);
	json_object_set(props, "packets", count);
	json_object_set(props, "conns", count);
	json_object_set(props, "allowed", count);
	json_object_set(props, "denied", count);
	json_object_set_new(props, "threats",
			    json_pack("{sssis{sssiss}}", "type", "array", "maxItems",
				      BH_CTL_FLOW_THREATS_MAX, "items", "type", "string",
				      "maxLength", BH_CTL_FLOW_THREAT_MAX, "pattern",
				      "^[A-Z0-9_.-]+$"));
	edge = json_pack("{sssos[sssss]sb}", "type", "object", "properties", props, "required",
			 "src", "dst", "port", "l4", "app", "additionalProperties", 0);
	rec = json_pack("{sss{s{s[s]}s{sssisI}s{sssisi}sOs{sssisO}}s[sss]sb}", "type", "object",
			"properties", "kind", "enum", "flows", "ts", "type", "integer", "minimum",
			0, "maximum", (json_int_t)253402300799, "interval", "type", "integer",
			"minimum", 0, "maximum", 86400, "dropped", count, "edges", "type", "array",
			"maxItems", BH_CTL_FLOW_EDGES_MAX, "items", edge, "required", "kind", "ts",
			"edges", "additionalProperties", 0);
	v = json_pack("{s{sss{s{sssisiss}s{sssisI}s{sssisO}}s[sss]sb}}", "FlowBatch", "type",
		      "object", "properties", "node", "type", "string", "minLength", 1, "maxLength",
		      BH_CTL_NAME_MAX, "pattern", "^[A-Za-z0-9_@][A-Za-z0-9._@-]*$", "first_seq",
		      "type", "integer", "minimum", 1, "maximum", (json_int_t)BH_CTL_SEQ_MAX,
		      "records", "type", "array", "maxItems", BH_CTL_FLOW_RECORDS_MAX, "items", rec,
		      "required", "node", "first_seq", "records", "additionalProperties", 0);
	json_object_update(components, v);
	json_decref(v);
	json_decref(rec);
	json_decref(edge);
	json_decref(name);
	json_decref(count);
}

const struct bh_ctl_endpoints bh_ctl_api_flows = { endpoints,
						   sizeof(endpoints) / sizeof(endpoints[0]),
						   schemas };
