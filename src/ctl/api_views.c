/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API the dashboard's views need besides the lists (views17): the API
 * tokens (one's own; an admin's: everyone's; never a secret) and where an
 * image runs (the workloads of a digest), both read from src/ctl/views.c;
 * suppressed findings (src/ctl/suppress.c): add, list, end.
 */
#include <string.h>

#include "ctl/api_int.h"
#include "banned.h"

static void on_tokens(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	char user[BH_CTL_NAME_MAX + 1];
	const char *who = c->who->name;
	json_t *v;
	int rc;

	if ((rc = bh_ctl_call_query(c, "user", user, sizeof(user))) < 0)
		return;
	if (c->who->role == BH_CTL_ADMIN)
		who = rc ? user : NULL; /* an admin: everyone's, or one user's */
	else if (rc && strcmp(user, c->who->name))
		return bh_ctl_reply_error(c, 403, "only an admin lists another user's tokens");
	if (bh_ctl_token_list(c->a->store, who, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, json_pack("{so}", "tokens", v));
}

static void on_image_workloads(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	char digest[BH_DIGEST_MAX];
	struct bh_digest d;
	uint64_t all;
	json_t *v;
	int rc;

	if ((rc = bh_ctl_call_query(c, "digest", digest, sizeof(digest))) < 0)
		return;
	if (rc == 0)
		return bh_ctl_reply_error(c, 400, "expected ?digest=sha256:...");
	if (bh_digest_parse(digest, &d, &err) < 0) {
		bh_error_free(err);
		return bh_ctl_reply_error(c, 400, "query: \"digest\": not a digest");
	}
	if (bh_ctl_call_uint(c, "all", 1, &all) < 0)
		return;
	if (bh_ctl_image_workloads(c->a->store, d.str, all == 1, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, json_pack("{ssso}", "digest", d.str, "workloads", v));
}

static void on_suppress_add(struct bh_ctl_call *c)
{
	struct bh_ctl_suppress in;
	struct bh_error *err = NULL;
	int64_t id = 0;

	if (!bh_ctl_call_json(c))
		return;
	if (bh_ctl_suppress_parse((const char *)c->req->body, c->req->body_len, &in, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	if (bh_ctl_suppress_add(c->a->store, bh_ctl_call_actor(c), &in, &id, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 201,
			  json_pack("{sIsssosssI}", "id", (json_int_t)id, "vulnerability",
				    in.vuln_id, "digest",
				    in.digest[0] ? json_string(in.digest) : json_null(), "reason",
				    in.reason, "ttl", (json_int_t)in.ttl));
}

static void on_suppress_list(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	uint64_t all;
	json_t *v;

	if (bh_ctl_call_uint(c, "all", 1, &all) < 0)
		return;
	if (bh_ctl_suppress_list(c->a->store, all == 1, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, json_pack("{so}", "suppressions", v));
}

static void on_suppress_delete(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	uint64_t id;
	int rc = bh_ctl_call_uint(c, "id", INT64_MAX, &id);

	if (rc < 0)
		return;
	if (rc == 0)
		return bh_ctl_reply_error(c, 400, "expected ?id=N");
	if (bh_ctl_suppress_delete(c->a->store, bh_ctl_call_actor(c), (int64_t)id, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, json_pack("{sIsb}", "id", (json_int_t)id, "deleted", 1));
}

static const struct bh_ctl_endpoint endpoints[] = {
	{ "GET", "/api/v1/tokens", on_tokens, BH_CTL_READER,
	  "API tokens, newest first: one's own (an admin: everyone's, or user=NAME's); never "
	  "the secret",
	  NULL, "user", 200 },
	{ "GET", "/api/v1/image/workloads", on_image_workloads, BH_CTL_READER,
	  "Where an image runs: the workloads of a digest (all=1: the gone ones too)", NULL,
	  "digest all", 200 },
	{ "POST", "/api/v1/suppressions", on_suppress_add, BH_CTL_OPERATOR,
	  "Suppress a vulnerability (of one digest or every image) with a reason until ttl "
	  "seconds from now: it leaves the counts until then; audited",
	  "Suppression", NULL, 201 },
	{ "GET", "/api/v1/suppressions", on_suppress_list, BH_CTL_READER,
	  "The suppressions active now (all=1: the expired too)", NULL, "all", 200 },
	{ "DELETE", "/api/v1/suppressions", on_suppress_delete, BH_CTL_OPERATOR,
	  "End a suppression before its expiry; audited", NULL, "id", 200 },
};

static void schemas(json_t *components)
{
	json_object_set_new(components, "Suppression",
			    json_pack("{sss{s{sssi}s{sssi}s{sssisi}s{sssisi}}s[sss]sb}", "type",
				      "object", "properties", "vulnerability", "type", "string",
				      "maxLength", BH_CTL_SUPPRESS_ID_MAX, "digest", "type",
				      "string", "maxLength", BH_DIGEST_MAX - 1, "reason", "type",
				      "string", "minLength", 1, "maxLength",
				      BH_CTL_SUPPRESS_REASON_MAX, "ttl", "type", "integer",
				      "minimum", 1, "maximum", BH_CTL_TOKEN_TTL_MAX, "required",
				      "vulnerability", "reason", "ttl", "additionalProperties", 0));
}

const struct bh_ctl_endpoints bh_ctl_api_views = { endpoints,
						   sizeof(endpoints) / sizeof(endpoints[0]),
						   schemas };
