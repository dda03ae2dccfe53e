/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API's learned behaviour profiles (profiles17,
 * include/bulkhead/ctl_profiles.h): an agent posts what its monitor learned
 * and the modes it runs (its node token), a reader lists them, an admin
 * accepts one into the node policy (a new version the agents pull and
 * enforce, audited).
 */
#include <stdio.h>
#include <string.h>

#include "ctl/api_int.h"
#include "bulkhead/ctl_profiles.h"
#include "banned.h"

static void on_agent_profiles(struct bh_ctl_call *c)
{
	struct bh_ctl_profile_report r;
	struct bh_error *err = NULL;
	size_t stored = 0;

	if (!bh_ctl_call_json(c))
		return;
	if (bh_ctl_profile_report_parse((const char *)c->req->body, c->req->body_len, &r, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	if (!c->who->node || strcmp(c->who->name, r.node)) {
		bh_ctl_profile_report_release(&r);
		return bh_ctl_reply_error(c, 403, "only the node's own token reports its profiles");
	}
	if (bh_ctl_profiles_put(c->a->store, &r, &stored, &err) < 0)
		bh_ctl_reply_fail(c, err);
	else
		bh_ctl_reply_json(c, 200,
				  json_pack("{sIsI}", "profiles",
					    (json_int_t)json_array_size(r.profiles), "stored",
					    (json_int_t)stored));
	bh_ctl_profile_report_release(&r);
}

static void on_profiles(struct bh_ctl_call *c)
{
	char node[BH_CTL_NAME_MAX + 1], key[BH_BEHAVE_KEY_MAX];
	struct bh_error *err = NULL;
	int rn, rk;
	json_t *v;

	if ((rn = bh_ctl_call_query(c, "node", node, sizeof(node))) < 0 ||
	    (rk = bh_ctl_call_query(c, "key", key, sizeof(key))) < 0)
		return;
	if (rk && bh_behave_key_check(key, NULL) < 0)
		return bh_ctl_reply_error(c, 400, "key: not a profile key");
	if (bh_ctl_profiles_list(c->a->store, rn ? node : NULL, rk ? key : NULL, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, v);
}

static void on_accept(struct bh_ctl_call *c)
{
	struct bh_ctl_accept_req r;
	struct bh_error *err = NULL;
	char digest[BH_CTL_PROFILE_DIGEST_MAX];
	int64_t version;

	if (!bh_ctl_call_json(c))
		return;
	if (bh_ctl_accept_req_parse((const char *)c->req->body, c->req->body_len, &r, &err) < 0 ||
	    bh_ctl_profile_accept(c->a->store, bh_ctl_call_actor(c), &r, &version, digest, &err) <
		    0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200,
			  json_pack("{sIssssss}", "version", (json_int_t)version, "key", r.key,
				    "mode", r.mode, "digest", digest));
}

static const struct bh_ctl_endpoint endpoints[] = {
	{ "POST", "/api/v1/agent/profiles", on_agent_profiles, BH_CTL_AUTH_ANY,
	  "An agent's learned behaviour profiles and the modes it runs (a node token): each "
	  "profile stored once per node, key and digest",
	  "ProfileReport", NULL, 200 },
	{ "GET", "/api/v1/profiles", on_profiles, BH_CTL_READER,
	  "The learned behaviour profiles (key: with the document) and the modes each node runs",
	  NULL, "node key", 200 },
	{ "POST", "/api/v1/profiles/accept", on_accept, BH_CTL_ADMIN,
	  "Accept a learned profile in monitor or protect: a new node policy version holding it "
	  "(audited)",
	  "ProfileAccept", NULL, 200 },
};

static void schemas(json_t *components)
{
	json_t *v = json_pack(
		"{s{sss{s{ss}s{ss}s{ss}s{ss}}s[s]sb}"
		"s{sss{s{ss}s{ss}s{ss}s{sss[ss]}}s[sss]sb}}",
		"ProfileReport", "type", "object", "properties", "node", "type", "string",
		"policy_version", "type", "integer", "modes", "type", "array", "profiles", "type",
		"array", "required", "node", "additionalProperties", 0, "ProfileAccept", "type",
		"object", "properties", "node", "type", "string", "key", "type", "string", "digest",
		"type", "string", "mode", "type", "string", "enum", "monitor", "protect",
		"required", "key", "mode", "digest", "additionalProperties", 0);

	json_object_update(components, v);
	json_decref(v);
}

const struct bh_ctl_endpoints bh_ctl_api_profiles = { endpoints,
						      sizeof(endpoints) / sizeof(endpoints[0]),
						      schemas };
