/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API's node policy (dist17, include/bulkhead/ctl_policy.h): an admin
 * sets the next version (validated by the library's parsers, audited), a
 * reader reads it and its history, an agent pulls it with its node token
 * and says which version it runs.
 */
#include <stdio.h>
#include <string.h>

#include "ctl/api_int.h"
#include "bulkhead/ctl_policy.h"
#include "banned.h"

static void on_policy_set(struct bh_ctl_call *c)
{
	struct bh_ctl_policy p;
	struct bh_error *err = NULL;
	int64_t version;

	if (!bh_ctl_call_json(c))
		return;
	if (bh_ctl_policy_parse((const char *)c->req->body, c->req->body_len, &p, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	if (bh_ctl_policy_set(c->a->store, bh_ctl_call_actor(c), p.doc, &version, &err) < 0)
		bh_ctl_reply_fail(c, err);
	else
		bh_ctl_reply_json(c, 200,
				  json_pack("{sIsIsI}", "version", (json_int_t)version, "rules",
					    (json_int_t)p.nrules, "modes", (json_int_t)p.nmodes));
	bh_ctl_policy_release(&p);
}

static void on_policy_get(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	uint64_t version, history;
	json_t *v;

	if (bh_ctl_call_uint(c, "version", BH_CTL_SEQ_MAX, &version) < 0 ||
	    bh_ctl_call_uint(c, "history", 1, &history) < 0)
		return;
	if (history) {
		if (bh_ctl_policy_history(c->a->store, &v, &err) < 0)
			return bh_ctl_reply_fail(c, err);
		return bh_ctl_reply_json(c, 200, json_pack("{so}", "versions", v));
	}
	if (bh_ctl_policy_get(c->a->store, (int64_t)version, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, v);
}

/* An agent's poll (its node token): the latest version when it is not the
 * one the agent has, else 304; what it runs is recorded. */
static void on_agent_policy(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	uint64_t have, running;
	int64_t latest;
	int rc;
	json_t *v;

	if (!c->who->node)
		return bh_ctl_reply_error(c, 403, "only a node token pulls a node's policy");
	if (bh_ctl_call_uint(c, "have", BH_CTL_SEQ_MAX, &have) < 0 ||
	    (rc = bh_ctl_call_uint(c, "running", BH_CTL_SEQ_MAX, &running)) < 0)
		return;
	if (bh_ctl_policy_running(c->a->store, c->who->name, rc ? (int64_t)running : (int64_t)have,
				  &err) < 0 ||
	    bh_ctl_policy_latest(c->a->store, &latest, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	if (latest == 0 || (uint64_t)latest == have) {
		c->resp->status = 304;
		bh_buf_reset(&c->resp->body);
		return;
	}
	if (bh_ctl_policy_get(c->a->store, latest, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, v);
}

/* ---- actions ----------------------------------------------------------------------------- */

static void on_mode(struct bh_ctl_call *c)
{
	struct bh_ctl_mode_req m;
	struct bh_error *err = NULL;
	int64_t version;

	if (!bh_ctl_call_json(c))
		return;
	if (bh_ctl_mode_req_parse((const char *)c->req->body, c->req->body_len, &m, &err) < 0 ||
	    bh_ctl_policy_set_mode(c->a->store, bh_ctl_call_actor(c), &m, &version, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200,
			  json_pack("{sIssssss}", "version", (json_int_t)version, "group", m.group,
				    "control", m.control, "mode", m.mode));
}

static void queue(struct bh_ctl_call *c, const char *kind)
{
	struct bh_ctl_action_req r;
	struct bh_error *err = NULL;
	int64_t id;

	if (!bh_ctl_call_json(c))
		return;
	if (bh_ctl_action_req_parse((const char *)c->req->body, c->req->body_len, &r, &err) < 0 ||
	    bh_ctl_action_queue(c->a->store, bh_ctl_call_actor(c), kind, &r, &id, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 202,
			  json_pack("{sIssssssss}", "id", (json_int_t)id, "kind", kind, "node",
				    r.node, "container", r.container, "state", "queued"));
}

static void on_quarantine(struct bh_ctl_call *c)
{
	queue(c, "quarantine");
}

static void on_release(struct bh_ctl_call *c)
{
	queue(c, "release");
}

static void on_actions(struct bh_ctl_call *c)
{
	char node[BH_CTL_NAME_MAX + 1];
	struct bh_error *err = NULL;
	json_t *v;
	int rc;

	if ((rc = bh_ctl_call_query(c, "node", node, sizeof(node))) < 0)
		return;
	if (bh_ctl_action_list(c->a->store, rc ? node : NULL, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, json_pack("{so}", "actions", v));
}

static void on_agent_actions(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	json_t *v;

	if (!c->who->node)
		return bh_ctl_reply_error(c, 403, "only a node token takes a node's actions");
	if (bh_ctl_action_take(c->a->store, c->who->name, &c->a->action_lease, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, json_pack("{so}", "actions", v));
}

static void on_agent_result(struct bh_ctl_call *c)
{
	struct bh_ctl_action_result r;
	struct bh_error *err = NULL;
	const char *state = NULL;

	if (!bh_ctl_call_json(c))
		return;
	if (bh_ctl_action_result_parse((const char *)c->req->body, c->req->body_len, &r, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	if (!c->who->node || strcmp(c->who->name, r.node))
		return bh_ctl_reply_error(c, 403, "only the node's own token reports its result");
	if (bh_ctl_action_done(c->a->store, &r, &state, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, json_pack("{sIss}", "id", (json_int_t)r.id, "state", state));
}

static const struct bh_ctl_endpoint endpoints[] = {
	{ "PUT", "/api/v1/policy", on_policy_set, BH_CTL_ADMIN,
	  "Set the node policy (monitor rules, profile modes per group, network policy): "
	  "validated, stored as the next version, audited",
	  "NodePolicy", NULL, 200 },
	{ "POST", "/api/v1/policy", on_policy_set, BH_CTL_ADMIN, "The same as PUT", "NodePolicy",
	  NULL, 200 },
	{ "GET", "/api/v1/policy", on_policy_get, BH_CTL_READER,
	  "The node policy (version: that one; history=1: the versions)", NULL, "version history",
	  200 },
	{ "GET", "/api/v1/agent/policy", on_agent_policy, BH_CTL_AUTH_ANY,
	  "An agent's poll (a node token): the latest policy unless it is the one it has "
	  "(304); running: the version it runs (default have)",
	  NULL, "have running", 200 },
	{ "POST", "/api/v1/workloads/mode", on_mode, BH_CTL_OPERATOR,
	  "Set a group's mode for a control (behaviour or syscall): a new policy version",
	  "ModeChange", NULL, 200 },
	{ "POST", "/api/v1/quarantine", on_quarantine, BH_CTL_OPERATOR,
	  "Queue the quarantine of a node's container for its agent (audited)", "NodeAction", NULL,
	  202 },
	{ "POST", "/api/v1/release", on_release, BH_CTL_OPERATOR,
	  "Queue the release of a node's quarantined container (audited)", "NodeAction", NULL,
	  202 },
	{ "GET", "/api/v1/actions", on_actions, BH_CTL_READER,
	  "The actions queued for the agents and their results, the newest first", NULL, "node",
	  200 },
	{ "GET", "/api/v1/agent/actions", on_agent_actions, BH_CTL_AUTH_ANY,
	  "An agent takes its node's queued actions and those whose lease expired, leased "
	  "60 s, each with its attempt (a node token)",
	  NULL, NULL, 200 },
	{ "POST", "/api/v1/agent/actions", on_agent_result, BH_CTL_AUTH_ANY,
	  "An agent's result for one of its node's actions (a node token): the first one "
	  "kept, a late one answered with the state recorded; 409 if not handed out",
	  "ActionResult", NULL, 200 },
};

static void schemas(json_t *components)
{
	json_t *v = json_pack(
		"{s{sss{s{ss}s{sssis{sss{s{ss}s{ss[ss]}s{ss[sss]}}s[sss]sb}}s{ss}}sb}}",
		"NodePolicy", "type", "object", "properties", "rules", "type", "string", "modes",
		"type", "array", "maxItems", BH_CTL_POLICY_MODES_MAX, "items", "type", "object",
		"properties", "group", "type", "string", "control", "type", "string", "enum",
		"behaviour", "syscall", "mode", "type", "string", "enum", "discover", "monitor",
		"protect", "required", "group", "control", "mode", "additionalProperties", 0, "net",
		"type", "string", "additionalProperties", 0);

	json_object_update(components, v);
	json_decref(v);
	v = json_pack("{s{sss{s{ss}s{ss}s{ss}}s[ss]sb}"
		      "s{sss{s{ss}s{ss}s{ss}}s[sss]sb}"
		      "s{sss{s{ss}s{ss}s{ss}s{ss}}s[sss]sb}}",
		      "NodeAction", "type", "object", "properties", "node", "type", "string",
		      "container", "type", "string", "reason", "type", "string", "required", "node",
		      "container", "additionalProperties", 0, "ModeChange", "type", "object",
		      "properties", "group", "type", "string", "control", "type", "string", "mode",
		      "type", "string", "required", "group", "control", "mode",
		      "additionalProperties", 0, "ActionResult", "type", "object", "properties",
		      "node", "type", "string", "id", "type", "integer", "ok", "type", "boolean",
		      "error", "type", "string", "required", "node", "id", "ok",
		      "additionalProperties", 0);
	json_object_update(components, v);
	json_decref(v);
}

const struct bh_ctl_endpoints bh_ctl_api_policy = { endpoints,
						    sizeof(endpoints) / sizeof(endpoints[0]),
						    schemas };
