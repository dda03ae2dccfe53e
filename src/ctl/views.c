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

/* ---- the workloads, paged (lease17) ------------------------------------------------------ */

static int wl_page_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	json_t *w;

	if (n != 12)
		return bh_error_set(err, BH_ERR_INTERNAL, "workloads: %zu columns", n);
	w = json_pack("{sososososososososo}", "node", bh_ctl_col_str(&c[0]), "id",
		      bh_ctl_col_str(&c[1]), "name", bh_ctl_col_str(&c[2]), "image",
		      bh_ctl_col_str(&c[3]), "digest", bh_ctl_col_str(&c[4]), "pod",
		      bh_ctl_col_str(&c[5]), "namespace", bh_ctl_col_str(&c[6]), "started",
		      bh_ctl_col_time(&c[7]), "gone", bh_ctl_col_time(&c[8]));
	/* launch18: the container's last launch verified by its node's TPM quote */
	json_object_set_new(w, "launch",
			    c[9].null ? json_null()
				      : json_pack("{sososo}", "recnum", bh_ctl_col_int(&c[9]),
						  "time", bh_ctl_col_time(&c[10]),
						  "manifest_digest", bh_ctl_col_str(&c[11])));
	json_array_append_new(ctx, w);
	return 0;
}

int bh_ctl_workload_page(struct bh_ctl_store *s, const struct bh_ctl_workload_filter *f,
			 const char *cursor, unsigned limit, json_t **out, struct bh_error **err)
{
	char cnode[BH_CTL_NAME_MAX + 1] = "", cid[BH_CTL_FIELD_MAX + 1] = "";
	struct bh_ctl_val p[5];
	const char *slash;
	json_t *v = json_array(), *last;
	size_t np = 0, n;
	int rc;

	*out = NULL;
	if (!limit)
		limit = BH_CTL_WORKLOAD_PAGE_DEFAULT;
	if (limit > BH_CTL_WORKLOAD_PAGE_MAX) {
		json_decref(v);
		return bh_error_set(err, BH_ERR_INVALID, "workloads: limit %u is over %u", limit,
				    BH_CTL_WORKLOAD_PAGE_MAX);
	}
	if (cursor && *cursor) {
		slash = strchr(cursor, '/');
		if (!slash || slash == cursor || (size_t)(slash - cursor) > BH_CTL_NAME_MAX ||
		    !slash[1] || strlen(slash + 1) > BH_CTL_FIELD_MAX) {
			json_decref(v);
			return bh_error_set(err, BH_ERR_INVALID,
					    "workloads: cursor: NODE/ID, as a page's next");
		}
		memcpy(cnode, cursor, (size_t)(slash - cursor));
		snprintf(cid, sizeof(cid), "%s", slash + 1);
	}
	/* fixed texts (values bound), each one the primary key's index serves */
	if (f->node)
		p[np++] = BH_CTL_S(f->node);
	if (cnode[0]) {
		if (!f->node)
			p[np++] = BH_CTL_S(cnode);
		p[np++] = BH_CTL_S(f->node ? (strcmp(cnode, f->node) ? NULL : cid) : cid);
	}
	p[np++] = BH_CTL_I(f->all ? 1 : 0);
	p[np++] = BH_CTL_I((int64_t)limit + 1);
#define WL_COLS                                                                                    \
	"SELECT w.node, w.container_id, w.name, w.image, w.digest, w.pod, w.namespace,"            \
	" w.started, w.gone, l.recnum, l.verified_at, l.manifest_digest FROM workloads w"          \
	" LEFT JOIN attest_launches l ON l.node = w.node AND l.container_id = w.container_id"      \
	" AND l.node IN (SELECT node FROM attest_nodes WHERE verified = 1)"                        \
	" WHERE "
#define WL_TAIL " AND (? = 1 OR w.gone IS NULL) ORDER BY w.node, w.container_id LIMIT ?"
	if (f->node && cnode[0])
		/* a cursor of another node: past all of this one's (NULL: none) */
		rc = bh_ctl_store_query(s, WL_COLS "w.node = ? AND w.container_id > ?" WL_TAIL, p,
					np, wl_page_row, v, NULL, err);
	else if (f->node)
		rc = bh_ctl_store_query(s, WL_COLS "w.node = ?" WL_TAIL, p, np, wl_page_row, v,
					NULL, err);
	else if (cnode[0])
		rc = bh_ctl_store_query(
			s, WL_COLS "(w.node > ? OR (w.node = ? AND w.container_id > ?))" WL_TAIL,
			(struct bh_ctl_val[]){ p[0], p[0], p[1], p[2], p[3] }, 5, wl_page_row, v,
			NULL, err);
	else
		rc = bh_ctl_store_query(s, WL_COLS "1 = 1" WL_TAIL, p, np, wl_page_row, v, NULL,
					err);
#undef WL_COLS
#undef WL_TAIL
	if (rc < 0) {
		json_decref(v);
		return -1;
	}
	n = json_array_size(v);
	if (n > limit) {
		char *next;

		json_array_remove(v, limit);
		last = json_array_get(v, limit - 1);
		next = bh_asprintf("%s/%s", bh_json_str(last, "node"), bh_json_str(last, "id"));
		*out = json_pack("{soss}", "workloads", v, "next", next);
		free(next);
	} else {
		*out = json_pack("{soso}", "workloads", v, "next", json_null());
	}
	return 0;
}

int bh_ctl_workload_list(struct bh_ctl_store *s, const struct bh_ctl_workload_filter *f,
			 json_t **out, struct bh_error **err)
{
	json_t *page;

	*out = NULL;
	if (bh_ctl_workload_page(s, f, NULL, BH_CTL_WORKLOAD_PAGE_MAX, &page, err) < 0)
		return -1;
	*out = json_incref(json_object_get(page, "workloads"));
	json_decref(page);
	return 0;
}
