/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API's agents and ingestion: the POSTs an agent makes with its node
 * token (register, events, workloads) and the readers' lists of nodes,
 * workloads and events, over src/ctl/ingest.c.
 */
#include <string.h>

#include "ctl/api_int.h"
#include "bulkhead/ctl_policy.h"
#include "banned.h"

/* A POST from an agent: a node token, for the node the body names. */
static bool node_only(struct bh_ctl_call *c, const char *node)
{
	if (!c->who->node) {
		bh_ctl_reply_error(c, 403, "only a node token reports for a node");
		return false;
	}
	if (strcmp(node, c->who->name)) {
		bh_ctl_reply_error(c, 403, "this token is for another node");
		return false;
	}
	return true;
}

static const char *body(const struct bh_ctl_call *c)
{
	return (const char *)c->req->body;
}

static void on_register(struct bh_ctl_call *c)
{
	struct bh_ctl_register r;
	struct bh_error *err = NULL;
	int64_t seq;

	if (!bh_ctl_call_json(c))
		return;
	if (bh_ctl_register_parse(body(c), c->req->body_len, &r, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	if (!node_only(c, r.node))
		return;
	if (bh_ctl_node_register(c->a->store, bh_ctl_call_actor(c), &r, &err) < 0 ||
	    bh_ctl_ingest_acked(c->a->store, r.node, &seq, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	/* acked: where the agent's spool may start again after losing its state */
	bh_ctl_reply_json(c, 200, json_pack("{sssI}", "node", r.node, "acked", (json_int_t)seq));
}

static void on_events(struct bh_ctl_call *c)
{
	struct bh_ctl_batch b;
	struct bh_ctl_ingest_result res;
	struct bh_error *err = NULL;

	if (!bh_ctl_call_json(c))
		return;
	if (bh_ctl_batch_parse(body(c), c->req->body_len, &b, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	if (node_only(c, b.node)) {
		if (bh_ctl_ingest_events(c->a->store, b.node, &b,
					 c->a->ingest_hook.stored ? &c->a->ingest_hook : NULL, &res,
					 &err) < 0)
			bh_ctl_reply_fail(c, err);
		else
			bh_ctl_reply_json(c, 200,
					  json_pack("{sIsI}", "stored", (json_int_t)res.stored,
						    "acked", (json_int_t)res.acked));
	}
	bh_ctl_batch_release(&b);
}

static void on_workloads_post(struct bh_ctl_call *c)
{
	struct bh_ctl_workloads w;
	struct bh_error *err = NULL;
	int64_t added = 0, gone = 0;

	if (!bh_ctl_call_json(c))
		return;
	if (bh_ctl_workloads_parse(body(c), c->req->body_len, &w, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	if (node_only(c, w.node)) {
		if (bh_ctl_workloads_report(c->a->store, bh_ctl_call_actor(c), w.node, &w, &added,
					    &gone, &err) < 0)
			bh_ctl_reply_fail(c, err);
		else
			bh_ctl_reply_json(c, 200,
					  json_pack("{sIsIsI}", "workloads", (json_int_t)w.n,
						    "added", (json_int_t)added, "gone",
						    (json_int_t)gone));
	}
	bh_ctl_workloads_release(&w);
}

static void on_nodes(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	json_t *v;
	int64_t desired;

	if (bh_ctl_policy_latest(c->a->store, &desired, &err) < 0 ||
	    bh_ctl_node_list(c->a->store, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	/* each node's policy_version is the one it runs; policy_desired the latest (dist17) */
	bh_ctl_reply_json(c, 200,
			  json_pack("{sosI}", "nodes", v, "policy_desired", (json_int_t)desired));
}

static void on_workloads_get(struct bh_ctl_call *c)
{
	struct bh_ctl_workload_filter f = { 0 };
	struct bh_error *err = NULL;
	char node[BH_CTL_NAME_MAX + 1], cursor[BH_CTL_NAME_MAX + BH_CTL_FIELD_MAX + 2];
	uint64_t all, limit = 0;
	json_t *v;
	int rc;

	if ((rc = bh_ctl_call_query(c, "node", node, sizeof(node))) < 0)
		return;
	if (rc)
		f.node = node;
	if (bh_ctl_call_uint(c, "all", 1, &all) < 0)
		return;
	f.all = all == 1;
	/* lease17: paged (limit, cursor: a page's next) */
	if ((rc = bh_ctl_call_query(c, "cursor", cursor, sizeof(cursor))) < 0)
		return;
	if (bh_ctl_call_uint(c, "limit", BH_CTL_WORKLOAD_PAGE_MAX, &limit) < 0)
		return;
	if (bh_ctl_workload_page(c->a->store, &f, rc ? cursor : NULL, (unsigned)limit, &v, &err) <
	    0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, v);
}

static void on_events_get(struct bh_ctl_call *c)
{
	struct bh_ctl_event_filter f = { 0 };
	struct bh_error *err = NULL;
	char node[BH_CTL_NAME_MAX + 1], sev[BH_CTL_SEVERITY_MAX + 1];
	char rule[BH_CTL_RULE_MAX + 1], wl[BH_CTL_FIELD_MAX + 1], kind[BH_CTL_KIND_MAX + 1];
	json_t *v;
	int rc;

	if ((rc = bh_ctl_call_query(c, "node", node, sizeof(node))) < 0)
		return;
	f.node = rc ? node : NULL;
	if ((rc = bh_ctl_call_query(c, "severity", sev, sizeof(sev))) < 0)
		return;
	f.severity = rc ? sev : NULL;
	if ((rc = bh_ctl_call_query(c, "rule", rule, sizeof(rule))) < 0)
		return;
	f.rule = rc ? rule : NULL;
	if ((rc = bh_ctl_call_query(c, "workload", wl, sizeof(wl))) < 0)
		return;
	f.workload = rc ? wl : NULL;
	if ((rc = bh_ctl_call_query(c, "kind", kind, sizeof(kind))) < 0)
		return;
	f.kind = rc ? kind : NULL;
	if (bh_ctl_call_page(c, BH_CTL_AUDIT_PAGE_MAX, &f.since, &f.until, &f.after_id, &f.limit) <
	    0)
		return;
	if (bh_ctl_event_list(c->a->store, &f, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, v);
}

/* ---- the table --------------------------------------------------------------------------- */

static const struct bh_ctl_endpoint endpoints[] = {
	{ "POST", "/api/v1/agent/register", on_register, BH_CTL_AUTH_ANY,
	  "An agent registers its node (a node token): the highest seq stored for it",
	  "AgentRegister", NULL, 200 },
	{ "POST", "/api/v1/agent/events", on_events, BH_CTL_AUTH_ANY,
	  "An agent's batch of events (a node token), stored once per (node, seq) in one "
	  "transaction: acked is the highest seq stored",
	  "EventBatch", NULL, 200 },
	{ "POST", "/api/v1/agent/workloads", on_workloads_post, BH_CTL_AUTH_ANY,
	  "An agent's containers now (a node token): the others of the node are gone",
	  "WorkloadReport", NULL, 200 },
	{ "GET", "/api/v1/nodes", on_nodes, BH_CTL_READER, "The nodes and their agents", NULL, NULL,
	  200 },
	{ "GET", "/api/v1/workloads", on_workloads_get, BH_CTL_READER,
	  "The workloads (all=1: the gone ones too) by node and id, paged: at most limit "
	  "(default 500, at most 5000), from cursor (the last page's next; null: the end)",
	  NULL, "node all limit cursor", 200 },
	{ "GET", "/api/v1/events", on_events_get, BH_CTL_READER,
	  "The events reported, in the order stored, paged (next: pass as after)", NULL,
	  "node severity rule workload kind since until after limit", 200 },
};

static void schemas(json_t *components)
{
	json_t *name = json_pack("{sssisiss}", "type", "string", "minLength", 1, "maxLength",
				 BH_CTL_NAME_MAX, "pattern", "^[A-Za-z0-9_@][A-Za-z0-9._@-]*$");
	json_t *ver = json_pack("{sssisi}", "type", "string", "minLength", 1, "maxLength",
				BH_CTL_VERSION_MAX);
	json_t *field = json_pack("{sssisi}", "type", "string", "minLength", 1, "maxLength",
				  BH_CTL_FIELD_MAX);
	json_t *ts = json_pack("{sssi}", "type", "integer", "minimum", 0);
	json_t *event = json_pack(
		"{sss{sOs{sssisiss}s{sssisi}s{sssisiss}sOs{}}s[ss]sb}", "type", "object",
		"properties", "ts", ts, "kind", "type", "string", "minLength", 1, "maxLength",
		BH_CTL_KIND_MAX, "pattern", "^[a-z0-9_.-]+$", "rule", "type", "string", "minLength",
		1, "maxLength", BH_CTL_RULE_MAX, "severity", "type", "string", "minLength", 1,
		"maxLength", BH_CTL_SEVERITY_MAX, "pattern", "^[A-Za-z]+$", "workload", field,
		"data", "required", "ts", "kind", "additionalProperties", 0);
	json_t *workload = json_pack("{sss{sOsOsOsOsOsOsO}s[s]sb}", "type", "object", "properties",
				     "id", field, "name", field, "image", field, "digest", field,
				     "pod", field, "namespace", field, "started", ts, "required",
				     "id", "additionalProperties", 0);
	json_t *v = json_pack(
		"{s{sss{sOsOsO}s[ss]sb}"
		"s{sss{sOs{sssisI}s{sssisO}}s[sss]sb}"
		"s{sss{sOs{sssisO}}s[ss]sb}}",
		"AgentRegister", "type", "object", "properties", "node", name, "agent_version", ver,
		"policy_version", ver, "required", "node", "agent_version", "additionalProperties",
		0, "EventBatch", "type", "object", "properties", "node", name, "first_seq", "type",
		"integer", "minimum", 1, "maximum", (json_int_t)BH_CTL_SEQ_MAX, "events", "type",
		"array", "maxItems", BH_CTL_BATCH_MAX, "items", event, "required", "node",
		"first_seq", "events", "additionalProperties", 0, "WorkloadReport", "type",
		"object", "properties", "node", name, "workloads", "type", "array", "maxItems",
		BH_CTL_WORKLOADS_MAX, "items", workload, "required", "node", "workloads",
		"additionalProperties", 0);

	json_object_update(components, v);
	json_decref(v);
	json_decref(name);
	json_decref(ver);
	json_decref(field);
	json_decref(ts);
	json_decref(event);
	json_decref(workload);
}

const struct bh_ctl_endpoints bh_ctl_api_ingest = { endpoints,
						    sizeof(endpoints) / sizeof(endpoints[0]),
						    schemas };
