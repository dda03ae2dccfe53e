/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suppressed findings (views17): a vulnerability of one image (or of every
 * image) set aside with a reason until an expiry, by an operator or admin,
 * audited. While it lasts the finding leaves the counts that judge the
 * images (the SP 800-190 countermeasures, /metrics); after its expiry it
 * counts again by itself: nothing has to remove it.
 *
 * ingest17: the images table's stored counts (n_*, max_severity) leave an
 * active suppression's findings too. Each row's column counted says what the
 * counts reflect (0 nothing yet, 1 it active, 2 it expired); a sweep
 * (bh_ctl_suppress_sweep: before an image is read, and by the maintenance
 * thread) recounts the images of every row that disagrees with now, so an
 * expiry restores the counts at the next read. A new finding of a
 * suppressed vulnerability sends no alert (bh_ctl_alert_on_vuln).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/ctl.h"
#include "banned.h"

static bool vuln_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > BH_CTL_SUPPRESS_ID_MAX)
		return false;
	for (; *s; s++)
		if (!bh_isalnum(*s) && !strchr("._:-", *s))
			return false;
	return true;
}

int bh_ctl_suppress_parse(const char *buf, size_t len, struct bh_ctl_suppress *out,
			  struct bh_error **err)
{
	json_t *root = NULL, *v;
	const char *key;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (bh_ctl_json_object(buf, len, "request body", &root, err) < 0)
		return -1;
	json_object_foreach (root, key, v) {
		if (!strcmp(key, "vulnerability")) {
			if (bh_ctl_json_str(v, key, BH_CTL_SUPPRESS_ID_MAX, out->vuln_id, err) < 0)
				goto out;
			if (!vuln_id_valid(out->vuln_id)) {
				bh_error_set(err, BH_ERR_INVALID,
					     "\"vulnerability\": an id of A-Z a-z 0-9 . _ : -");
				goto out;
			}
		} else if (!strcmp(key, "digest")) {
			char d[BH_DIGEST_MAX];
			struct bh_digest dg;

			if (bh_ctl_json_str(v, key, sizeof(d) - 1, d, err) < 0)
				goto out;
			if (bh_digest_parse(d, &dg, NULL) < 0) {
				bh_error_set(err, BH_ERR_INVALID, "\"digest\": not a digest");
				goto out;
			}
			memcpy(out->digest, dg.str, sizeof(out->digest));
		} else if (!strcmp(key, "reason")) {
			if (bh_ctl_json_str(v, key, BH_CTL_SUPPRESS_REASON_MAX, out->reason, err) <
			    0)
				goto out;
		} else if (!strcmp(key, "ttl")) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > BH_CTL_TOKEN_TTL_MAX) {
				bh_error_set(err, BH_ERR_INVALID,
					     "\"ttl\": seconds, 1 to %d (a suppression expires)",
					     BH_CTL_TOKEN_TTL_MAX);
				goto out;
			}
			out->ttl = json_integer_value(v);
		} else {
			bh_error_set(err, BH_ERR_INVALID, "request body: unknown member \"%s\"",
				     key);
			goto out;
		}
	}
	if (!out->vuln_id[0] || !out->reason[0] || !out->ttl) {
		bh_error_set(
			err, BH_ERR_INVALID,
			"request body: \"vulnerability\", \"reason\" and \"ttl\" are required");
		goto out;
	}
	ret = 0;
out:
	json_decref(root);
	if (ret < 0)
		memset(out, 0, sizeof(*out));
	return ret;
}

/* "a finding v (image_vulns) suppressed at ?" */
#define SUPPRESSED_V                                                                               \
	"EXISTS (SELECT 1 FROM suppressions s WHERE s.vuln_id = v.vuln_id"                         \
	" AND (s.digest = '' OR s.digest = v.digest) AND s.expires > ?)"
#define N_OF(sev)                                                                                  \
	"(SELECT COUNT(*) FROM image_vulns v WHERE v.digest = images.digest AND v.severity = " sev \
	" AND NOT " SUPPRESSED_V ")"
#define MAX_OF                                                                                     \
	"COALESCE((SELECT MAX(v.severity) FROM image_vulns v WHERE v.digest = images.digest"       \
	" AND NOT " SUPPRESSED_V "), -1)"
#define N_UNKNOWN  N_OF("0")
#define N_LOW	   N_OF("1")
#define N_MEDIUM   N_OF("2")
#define N_HIGH	   N_OF("3")
#define N_CRITICAL N_OF("4")
#define RECOUNT                                                                                    \
	"UPDATE images SET n_unknown = " N_UNKNOWN ", n_low = " N_LOW ", n_medium = " N_MEDIUM     \
	", n_high = " N_HIGH ", n_critical = " N_CRITICAL ", max_severity = " MAX_OF " WHERE "

int bh_ctl_suppress_recount(struct bh_ctl_store *s, const char *digest, const char *vuln_id,
			    int64_t now, struct bh_error **err)
{
	struct bh_ctl_val p[] = { BH_CTL_I(now), BH_CTL_I(now), BH_CTL_I(now), BH_CTL_I(now),
				  BH_CTL_I(now), BH_CTL_I(now), BH_CTL_S(NULL) };

	if (digest && digest[0]) {
		p[6] = BH_CTL_S(digest);
		return bh_ctl_store_query(s, RECOUNT "digest = ?", p, 7, NULL, NULL, NULL, err);
	}
	p[6] = BH_CTL_S(vuln_id);
	return bh_ctl_store_query(s,
				  RECOUNT "digest IN (SELECT w.digest FROM image_vulns w"
					  " WHERE w.vuln_id = ?)",
				  p, 7, NULL, NULL, NULL, err);
}

/* the images of suppression id recounted at now, its counted set to state */
static int apply(struct bh_ctl_store *s, int64_t id, const char *vuln_id, const char *digest,
		 int64_t now, int64_t state, struct bh_error **err)
{
	struct bh_ctl_val p[] = { BH_CTL_I(state), BH_CTL_I(id) };

	if (bh_ctl_suppress_recount(s, digest, vuln_id, now, err) < 0)
		return -1;
	return bh_ctl_store_query(s, "UPDATE suppressions SET counted = ? WHERE id = ?", p, 2, NULL,
				  NULL, NULL, err);
}

struct add_ctx {
	struct bh_ctl_store *s;
	const char *actor;
	const struct bh_ctl_suppress *in;
	int64_t now, id;
};

static int id_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	(void)err;
	if (n == 1 && c[0].type == BH_CTL_INT)
		*(int64_t *)ctx = c[0].i;
	return 0;
}

static int add_tx(void *data, struct bh_error **err)
{
	struct add_ctx *a = data;
	const struct bh_ctl_suppress *in = a->in;
	struct bh_ctl_val p[] = { BH_CTL_S(in->vuln_id), BH_CTL_S(in->digest),
				  BH_CTL_S(in->reason),	 BH_CTL_S(a->actor),
				  BH_CTL_I(a->now),	 BH_CTL_I(a->now + in->ttl) };
	char obj[32];
	json_t *after;
	int rc;

	if (bh_ctl_store_query(a->s,
			       "INSERT INTO suppressions (vuln_id, digest, reason, actor, created,"
			       " expires) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
			       p, 6, id_row, &a->id, NULL, err) < 0 ||
	    apply(a->s, a->id, in->vuln_id, in->digest, a->now, 1, err) < 0)
		return -1;
	snprintf(obj, sizeof(obj), "suppression %lld", (long long)a->id);
	after = json_pack("{sssssssI}", "vulnerability", in->vuln_id, "digest",
			  in->digest[0] ? in->digest : "any", "reason", in->reason, "expires",
			  (json_int_t)(a->now + in->ttl));
	rc = bh_ctl_audit_add(a->s, a->actor, "suppress.add", obj, NULL, after, err);
	json_decref(after);
	return rc;
}

int bh_ctl_suppress_add(struct bh_ctl_store *s, const char *actor, const struct bh_ctl_suppress *in,
			int64_t *id, struct bh_error **err)
{
	struct add_ctx a = { s, actor, in, (int64_t)time(NULL), 0 };

	if (bh_ctl_store_tx(s, add_tx, &a, err) < 0)
		return -1;
	if (id)
		*id = a.id;
	return 0;
}

/* ---- the sweep ---------------------------------------------------------------------------- */

#define SWEEP_MAX 256 /* rows one sweep applies (the rest: the next) */

struct pend {
	int64_t id;
	char vuln_id[BH_CTL_SUPPRESS_ID_MAX + 1];
	char digest[BH_DIGEST_MAX];
};

struct sweep {
	struct bh_ctl_store *s;
	int64_t now, changed;
	struct pend *rows;
	size_t n;
};

static int pend_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct pend *r = ctx;

	if (n != 3 || c[0].null || c[1].null || c[2].null)
		return bh_error_set(err, BH_ERR_INTERNAL, "suppressions: a bad row");
	r->id = c[0].i;
	snprintf(r->vuln_id, sizeof(r->vuln_id), "%s", c[1].s);
	snprintf(r->digest, sizeof(r->digest), "%s", c[2].s);
	return 0;
}

static int sweep_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct sweep *w = ctx;

	if (w->n >= SWEEP_MAX)
		return 0;
	return pend_row(&w->rows[w->n++], c, n, err);
}

#define DISAGREE "(expires > ? AND counted <> 1) OR (expires <= ? AND counted <> 2)"

static int sweep_tx(void *ctx, struct bh_error **err)
{
	struct sweep *w = ctx;
	struct bh_ctl_val p[] = { BH_CTL_I(w->now), BH_CTL_I(w->now) };

	w->n = 0;
	w->changed = 0;
	if (bh_ctl_store_query(w->s,
			       "SELECT id, vuln_id, digest FROM suppressions WHERE " DISAGREE
			       " ORDER BY id",
			       p, 2, sweep_row, w, NULL, err) < 0)
		return -1;
	for (size_t i = 0; i < w->n; i++) {
		struct bh_ctl_val q[] = { BH_CTL_I(w->rows[i].id), BH_CTL_I(w->now) };
		int64_t active = 0;

		if (bh_ctl_store_query(
			    w->s, "SELECT COUNT(*) FROM suppressions WHERE id = ? AND expires > ?",
			    q, 2, bh_ctl_row_int, &active, NULL, err) < 0 ||
		    apply(w->s, w->rows[i].id, w->rows[i].vuln_id, w->rows[i].digest, w->now,
			  active ? 1 : 2, err) < 0)
			return -1;
	}
	w->changed = (int64_t)w->n;
	return 0;
}

int bh_ctl_suppress_sweep(struct bh_ctl_store *s, int64_t now, int64_t *changed,
			  struct bh_error **err)
{
	struct sweep w = { s, now, 0, NULL, 0 };
	struct bh_ctl_val p[] = { BH_CTL_I(now), BH_CTL_I(now) };
	int64_t todo = 0;
	int rc;

	if (changed)
		*changed = 0;
	/* the common case, no write: nothing disagrees */
	if (bh_ctl_store_query(s, "SELECT COUNT(*) FROM suppressions WHERE " DISAGREE, p, 2,
			       bh_ctl_row_int, &todo, NULL, err) < 0)
		return -1;
	if (!todo)
		return 0;
	w.rows = bh_calloc(SWEEP_MAX, sizeof(*w.rows));
	rc = bh_ctl_store_tx(s, sweep_tx, &w, err);
	free(w.rows);
	if (rc >= 0 && changed)
		*changed = w.changed;
	return rc;
}

int bh_ctl_suppress_active(struct bh_ctl_store *s, const char *vuln_id, const char *digest,
			   int64_t now, bool *out, struct bh_error **err)
{
	struct bh_ctl_val p[] = { BH_CTL_S(vuln_id), BH_CTL_S(digest ? digest : ""),
				  BH_CTL_I(now) };
	int64_t n = 0;

	*out = false;
	if (bh_ctl_store_query(s,
			       "SELECT COUNT(*) FROM suppressions WHERE vuln_id = ?"
			       " AND (digest = '' OR digest = ?) AND expires > ?",
			       p, 3, bh_ctl_row_int, &n, NULL, err) < 0)
		return -1;
	*out = n > 0;
	return 0;
}

struct del_ctx {
	struct bh_ctl_store *s;
	const char *actor;
	int64_t id;
};

static int del_tx(void *data, struct bh_error **err)
{
	struct del_ctx *d = data;
	struct bh_ctl_val p = BH_CTL_I(d->id);
	struct pend row = { 0 };
	int64_t changes = 0;
	char obj[32];

	if (bh_ctl_store_query(d->s, "SELECT id, vuln_id, digest FROM suppressions WHERE id = ?",
			       &p, 1, pend_row, &row, NULL, err) < 0 ||
	    bh_ctl_store_query(d->s, "DELETE FROM suppressions WHERE id = ?", &p, 1, NULL, NULL,
			       &changes, err) < 0)
		return -1;
	if (!changes)
		return bh_error_set(err, BH_ERR_NOTFOUND, "no suppression %lld", (long long)d->id);
	/* its images counted again (now without it) */
	if (bh_ctl_suppress_recount(d->s, row.digest, row.vuln_id, (int64_t)time(NULL), err) < 0)
		return -1;
	snprintf(obj, sizeof(obj), "suppression %lld", (long long)d->id);
	return bh_ctl_audit_add(d->s, d->actor, "suppress.delete", obj, NULL, NULL, err);
}

int bh_ctl_suppress_delete(struct bh_ctl_store *s, const char *actor, int64_t id,
			   struct bh_error **err)
{
	struct del_ctx d = { s, actor, id };

	return bh_ctl_store_tx(s, del_tx, &d, err);
}

struct list_ctx {
	json_t *items;
	int64_t now;
};

static int list_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct list_ctx *l = ctx;

	if (n != 7)
		return bh_error_set(err, BH_ERR_INTERNAL, "suppressions: %zu columns", n);
	json_array_append_new(
		l->items,
		json_pack("{sIsssosssssoso}", "id", (json_int_t)c[0].i, "vulnerability", c[1].s,
			  "digest", c[2].s && c[2].s[0] ? json_string(c[2].s) : json_null(),
			  "reason", c[3].s, "actor", c[4].s, "created", bh_ctl_json_time(c[5].i),
			  "expires", bh_ctl_json_time(c[6].i)));
	json_object_set_new(json_array_get(l->items, json_array_size(l->items) - 1), "active",
			    json_boolean(c[6].i > l->now));
	return 0;
}

int bh_ctl_suppress_list(struct bh_ctl_store *s, bool all, json_t **out, struct bh_error **err)
{
	struct list_ctx l = { json_array(), (int64_t)time(NULL) };
	struct bh_ctl_val p[] = { BH_CTL_I(all ? 1 : 0), BH_CTL_I(l.now) };

	*out = NULL;
	if (bh_ctl_store_query(s,
			       "SELECT id, vuln_id, digest, reason, actor, created, expires"
			       " FROM suppressions WHERE (? = 1 OR expires > ?) ORDER BY id"
			       " LIMIT 10000",
			       p, 2, list_row, &l, NULL, err) < 0) {
		json_decref(l.items);
		return -1;
	}
	*out = l.items;
	return 0;
}
