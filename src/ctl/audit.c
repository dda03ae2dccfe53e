/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's audit log (include/bulkhead/ctl.h): who changed what,
 * when, with the object's state before and after, in the store.
 */
#include <stdlib.h>
#include <time.h>

#include "bulkhead/ctl.h"
#include "banned.h"

int bh_ctl_audit_add(struct bh_ctl_store *s, const char *actor, const char *action,
		     const char *object, const json_t *before, const json_t *after,
		     struct bh_error **err)
{
	char *b = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	struct bh_ctl_val p[] = {
		BH_CTL_I((int64_t)time(NULL)),
		BH_CTL_S(actor),
		BH_CTL_S(action),
		BH_CTL_S(object),
		BH_CTL_S(b),
		BH_CTL_S(a),
	};
	int rc;

	if ((before && !b) || (after && !a))
		rc = bh_error_set(err, BH_ERR_NOMEM, "audit: encoding JSON");
	else
		rc = bh_ctl_store_query(s,
					"INSERT INTO audit (ts, actor, action, object, before_json,"
					" after_json) VALUES (?, ?, ?, ?, ?, ?)",
					p, 6, NULL, NULL, NULL, err);
	free(b);
	free(a);
	return rc;
}

struct audit_rows {
	json_t *items;
	int64_t last;
};

static json_t *json_text(const struct bh_ctl_val *v)
{
	json_t *j;

	if (v->null || v->type != BH_CTL_TEXT)
		return json_null();
	j = json_loads(v->s, 0, NULL);
	return j ? j : json_string(v->s);
}

static int audit_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct audit_rows *r = ctx;
	char t[BH_TIME_MAX];
	struct timespec ts;

	if (n != 7)
		return bh_error_set(err, BH_ERR_INTERNAL, "audit: %zu columns", n);
	ts.tv_sec = (time_t)c[1].i;
	ts.tv_nsec = 0;
	json_array_append_new(r->items,
			      json_pack("{sIsssssssssoso}", "id", (json_int_t)c[0].i, "time",
					bh_time_rfc3339(&ts, 0, t), "actor", c[2].s, "action",
					c[3].s, "object", c[4].s, "before", json_text(&c[5]),
					"after", json_text(&c[6])));
	r->last = c[0].i;
	return 0;
}

int bh_ctl_audit_list(struct bh_ctl_store *s, const struct bh_ctl_audit_filter *f, json_t **out,
		      struct bh_error **err)
{
	unsigned limit = f->limit ? f->limit : BH_CTL_AUDIT_PAGE_DEFAULT;
	struct audit_rows r = { json_array(), 0 };
	/* each filter is "? IS NULL OR ...": one text for every combination */
	struct bh_ctl_val p[] = {
		BH_CTL_S(f->actor),
		BH_CTL_S(f->actor),
		BH_CTL_IN(f->since, !f->since),
		BH_CTL_IN(f->since, !f->since),
		BH_CTL_IN(f->until, !f->until),
		BH_CTL_IN(f->until, !f->until),
		BH_CTL_I(f->after_id),
		BH_CTL_I((int64_t)limit + 1),
	};
	size_t count;

	*out = NULL;
	if (limit > BH_CTL_AUDIT_PAGE_MAX) {
		json_decref(r.items);
		return bh_error_set(err, BH_ERR_INVALID, "audit: limit %u is over %u", limit,
				    BH_CTL_AUDIT_PAGE_MAX);
	}
	if (bh_ctl_store_query(s,
			       "SELECT id, ts, actor, action, object, before_json, after_json"
			       " FROM audit WHERE (? IS NULL OR actor = ?)"
			       " AND (? IS NULL OR ts >= ?) AND (? IS NULL OR ts <= ?)"
			       " AND id > ? ORDER BY id LIMIT ?",
			       p, 8, audit_row, &r, NULL, err) < 0) {
		json_decref(r.items);
		return -1;
	}
	count = json_array_size(r.items);
	if (count > limit) {
		/* the extra row only says there is a next page */
		json_array_remove(r.items, limit);
		r.last = json_integer_value(
			json_object_get(json_array_get(r.items, limit - 1), "id"));
		*out = json_pack("{soso}", "items", r.items, "next", json_integer(r.last));
	} else {
		*out = json_pack("{soso}", "items", r.items, "next", json_null());
	}
	return 0;
}
