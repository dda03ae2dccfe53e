/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API the dashboard's views need besides the lists (views17): the API
 * tokens (one's own; an admin's: everyone's; never a secret) and where an
 * image runs (the workloads of a digest), both read from src/ctl/views.c.
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

static const struct bh_ctl_endpoint endpoints[] = {
	{ "GET", "/api/v1/tokens", on_tokens, BH_CTL_READER,
	  "API tokens, newest first: one's own (an admin: everyone's, or user=NAME's); never "
	  "the secret",
	  NULL, "user", 200 },
	{ "GET", "/api/v1/image/workloads", on_image_workloads, BH_CTL_READER,
	  "Where an image runs: the workloads of a digest (all=1: the gone ones too)", NULL,
	  "digest all", 200 },
};

const struct bh_ctl_endpoints bh_ctl_api_views = { endpoints,
						   sizeof(endpoints) / sizeof(endpoints[0]), NULL };
