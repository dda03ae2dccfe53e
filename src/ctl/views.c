/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the dashboard's views read besides the lists of src/ctl/ingest.c and
 * src/ctl/images.c (views17): the API tokens (never their secret or hash)
 * and where an image runs (the workloads of a digest).
 */
#include <string.h>
#include <time.h>

#include "bulkhead/ctl.h"
#include "banned.h"

struct tok_rows {
	json_t *items;
	int64_t now;
};

static int tok_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct tok_rows *r = ctx;
	const char *state;

	if (n != 6)
		return bh_error_set(err, BH_ERR_INTERNAL, "tokens: %zu columns", n);
	state = !c[5].null ? "revoked" : c[4].i <= r->now ? "expired" : "valid";
	json_array_append_new(
		r->items, json_pack("{sososososososs}", "id", bh_ctl_col_str(&c[0]), "user",
				    bh_ctl_col_str(&c[1]), "node", bh_ctl_col_str(&c[2]), "created",
				    bh_ctl_col_time(&c[3]), "expires", bh_ctl_col_time(&c[4]),
				    "revoked", bh_ctl_col_time(&c[5]), "state", state));
	return 0;
}

int bh_ctl_token_list(struct bh_ctl_store *s, const char *user, json_t **out, struct bh_error **err)
{
	struct tok_rows r = { json_array(), (int64_t)time(NULL) };
	struct bh_ctl_val p[] = { BH_CTL_S(user), BH_CTL_S(user) };

	*out = NULL;
	if (bh_ctl_store_query(s,
			       "SELECT id, user_name, node, created, expires, revoked FROM tokens"
			       " WHERE (? IS NULL OR user_name = ?)"
			       " ORDER BY created DESC, id LIMIT 10000",
			       p, 2, tok_row, &r, NULL, err) < 0) {
		json_decref(r.items);
		return -1;
	}
	*out = r.items;
	return 0;
}

static int wl_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	if (n != 6)
		return bh_error_set(err, BH_ERR_INTERNAL, "image workloads: %zu columns", n);
	json_array_append_new(ctx,
			      json_pack("{sosososososo}", "node", bh_ctl_col_str(&c[0]), "id",
					bh_ctl_col_str(&c[1]), "name", bh_ctl_col_str(&c[2]),
					"image", bh_ctl_col_str(&c[3]), "started",
					bh_ctl_col_time(&c[4]), "gone", bh_ctl_col_time(&c[5])));
	return 0;
}

int bh_ctl_image_workloads(struct bh_ctl_store *s, const char *digest, bool all, json_t **out,
			   struct bh_error **err)
{
	json_t *v = json_array();
	struct bh_ctl_val p[] = { BH_CTL_S(digest), BH_CTL_I(all ? 1 : 0) };

	*out = NULL;
	if (bh_ctl_store_query(
		    s,
		    "SELECT node, container_id, name, image, started, gone FROM workloads"
		    " WHERE digest = ? AND (? = 1 OR gone IS NULL)"
		    " ORDER BY node, container_id LIMIT 10000",
		    p, 2, wl_row, v, NULL, err) < 0) {
		json_decref(v);
		return -1;
	}
	*out = v;
	return 0;
}
