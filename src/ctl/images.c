/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's images (include/bulkhead/ctl.h): what each scan found
 * per image digest, the repositories it was pushed to, its SBOM; recorded in
 * one transaction with its audit row. The tables are made by the "images"
 * migration in src/ctl/store.c.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/ctl.h"
#include "bulkhead/vuln.h"
#include "banned.h"

#define NSEV	 (BH_SEV_CRITICAL + 1)
#define TEXT_MAX 1024 /* an id, package or version stored */

static const char *sev_name(int s)
{
	return s >= 0 && s < NSEV ? bh_severity_name((enum bh_severity)s) : "UNKNOWN";
}

void bh_ctl_image_vulns_free(struct bh_ctl_image_vuln *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		free((char *)v[i].id);
		free((char *)v[i].package);
		free((char *)v[i].version);
		free((char *)v[i].fixed);
	}
	free(v);
}

static char *vuln_key(const char *id, const char *pkg, const char *ver)
{
	return bh_asprintf("%s\t%s\t%s", id, pkg, ver);
}

/* ---- recording --------------------------------------------------------------------------- */

struct record {
	struct bh_ctl_store *s;
	const char *actor;
	const struct bh_ctl_image_scan *scan;
	struct bh_digest d;
	json_t *old; /* keys of the digest's vulnerabilities before */
	bool want_fresh;
	struct bh_ctl_image_vuln *fresh;
	size_t nfresh;
};

static int old_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct record *r = ctx;
	char *k;

	(void)err;
	if (n != 3 || c[0].null || c[1].null || c[2].null)
		return 0;
	k = vuln_key(c[0].s, c[1].s, c[2].s);
	json_object_set_new(r->old, k, json_true());
	free(k);
	return 0;
}

static int record_tx(void *arg, struct bh_error **err)
{
	struct record *r = arg;
	const struct bh_ctl_image_scan *sc = r->scan;
	int64_t counts[NSEV] = { 0 }, changed, now = (int64_t)time(NULL), max = -1;
	json_t *after;
	int rc;

	{
		struct bh_ctl_val p[] = { BH_CTL_S(r->d.str) };

		if (bh_ctl_store_query(r->s,
				       "SELECT vuln_id, package, version FROM image_vulns"
				       " WHERE digest = ?",
				       p, 1, old_row, r, NULL, err) < 0 ||
		    bh_ctl_store_query(r->s, "DELETE FROM image_vulns WHERE digest = ?", p, 1, NULL,
				       NULL, NULL, err) < 0)
			return -1;
	}
	{
		struct bh_ctl_val p[] = { BH_CTL_S(sc->repository), BH_CTL_S(r->d.str),
					  BH_CTL_I(now) };

		if (bh_ctl_store_query(
			    r->s,
			    "INSERT INTO images (repository, digest, first_seen)"
			    " VALUES (?, ?, ?) ON CONFLICT (repository, digest) DO NOTHING",
			    p, 3, NULL, NULL, NULL, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < sc->nvulns; i++) {
		const struct bh_ctl_image_vuln *v = &sc->vulns[i];
		int sev = v->severity >= 0 && v->severity < NSEV ? v->severity : BH_SEV_UNKNOWN;
		struct bh_ctl_val p[] = { BH_CTL_S(r->d.str),	BH_CTL_S(v->id),
					  BH_CTL_S(v->package), BH_CTL_S(v->version),
					  BH_CTL_S(v->fixed),	BH_CTL_I(sev) };
		char *k;

		if (!v->id || !v->package || !v->version || strlen(v->id) > TEXT_MAX ||
		    strlen(v->package) > TEXT_MAX || strlen(v->version) > TEXT_MAX ||
		    (v->fixed && strlen(v->fixed) > TEXT_MAX))
			return bh_error_set(err, BH_ERR_INVALID,
					    "image %s: vulnerability %zu: a missing or over-long "
					    "id, package or version",
					    r->d.str, i);
		if (bh_ctl_store_query(
			    r->s,
			    "INSERT INTO image_vulns (digest, vuln_id, package, version,"
			    " fixed_version, severity) VALUES (?, ?, ?, ?, ?, ?)"
			    " ON CONFLICT (digest, vuln_id, package, version) DO NOTHING",
			    p, 6, NULL, NULL, &changed, err) < 0)
			return -1;
		if (changed != 1)
			continue; /* the same finding twice */
		counts[sev]++;
		if (sev > max)
			max = sev;
		k = vuln_key(v->id, v->package, v->version);
		if (r->want_fresh && !json_object_get(r->old, k)) {
			struct bh_ctl_image_vuln *f;

			r->fresh = bh_reallocarray(r->fresh, r->nfresh + 1, sizeof(*r->fresh));
			f = &r->fresh[r->nfresh++];
			f->id = bh_strdup(v->id);
			f->package = bh_strdup(v->package);
			f->version = bh_strdup(v->version);
			f->fixed = v->fixed ? bh_strdup(v->fixed) : NULL;
			f->severity = sev;
		}
		free(k);
	}
	{
		struct bh_ctl_val p[] = {
			BH_CTL_I(now),	     BH_CTL_S(sc->db_version),
			BH_CTL_I(counts[0]), BH_CTL_I(counts[1]),
			BH_CTL_I(counts[2]), BH_CTL_I(counts[3]),
			BH_CTL_I(counts[4]), BH_CTL_I(max),
			BH_CTL_S(r->d.str),
		};

		if (bh_ctl_store_query(r->s,
				       "UPDATE images SET scanned_at = ?, db_version = ?,"
				       " n_unknown = ?, n_low = ?, n_medium = ?, n_high = ?,"
				       " n_critical = ?, max_severity = ? WHERE digest = ?",
				       p, 9, NULL, NULL, NULL, err) < 0)
			return -1;
		/* ingest17: the stored counts leave suppressed findings */
		if (bh_ctl_suppress_recount(r->s, r->d.str, NULL, now, err) < 0)
			return -1;
	}
	if (sc->sbom) {
		struct bh_ctl_val p[] = { BH_CTL_S(r->d.str), BH_CTL_S(sc->sbom), BH_CTL_I(now) };

		if (bh_ctl_store_query(r->s,
				       "INSERT INTO image_sboms (digest, cyclonedx, stored_at)"
				       " VALUES (?, ?, ?) ON CONFLICT (digest) DO UPDATE SET"
				       " cyclonedx = excluded.cyclonedx,"
				       " stored_at = excluded.stored_at",
				       p, 3, NULL, NULL, NULL, err) < 0)
			return -1;
	}
	after = json_pack("{sss{sIsIsIsIsI}sI}", "repository", sc->repository, "counts", "UNKNOWN",
			  (json_int_t)counts[0], "LOW", (json_int_t)counts[1], "MEDIUM",
			  (json_int_t)counts[2], "HIGH", (json_int_t)counts[3], "CRITICAL",
			  (json_int_t)counts[4], "new", (json_int_t)r->nfresh);
	if (sc->db_version)
		json_object_set_new(after, "db_version", json_string(sc->db_version));
	rc = bh_ctl_audit_add(r->s, r->actor, "image.scan", r->d.str, NULL, after, err);
	json_decref(after);
	return rc;
}

int bh_ctl_image_record(struct bh_ctl_store *s, const char *actor,
			const struct bh_ctl_image_scan *scan, struct bh_ctl_image_vuln **fresh,
			size_t *nfresh, struct bh_error **err)
{
	struct record r = { .s = s, .actor = actor, .scan = scan, .want_fresh = fresh != NULL };
	int rc;

	if (fresh)
		*fresh = NULL;
	if (nfresh)
		*nfresh = 0;
	if (!scan->repository || !bh_ctl_repo_valid(scan->repository, strlen(scan->repository)))
		return bh_error_set(err, BH_ERR_INVALID,
				    "recording a scan: repository '%.300s'"
				    " is not a valid repository name",
				    scan->repository ? scan->repository : "");
	if (bh_digest_parse(scan->digest ? scan->digest : "", &r.d, err) < 0)
		return bh_error_prefix(err, "recording a scan");
	if (scan->db_version && strlen(scan->db_version) > TEXT_MAX)
		return bh_error_set(err, BH_ERR_INVALID, "recording a scan: db version too long");
	r.old = json_object();
	rc = bh_ctl_store_tx(s, record_tx, &r, err);
	json_decref(r.old);
	if (rc < 0) {
		bh_ctl_image_vulns_free(r.fresh, r.nfresh);
		return bh_error_prefix(err, "recording the scan of %s", r.d.str);
	}
	if (fresh) {
		*fresh = r.fresh;
		*nfresh = r.nfresh;
	}
	return 0;
}

/* ---- reading ----------------------------------------------------------------------------- */

static json_t *time_json(const struct bh_ctl_val *v)
{
	char t[BH_TIME_MAX];
	struct timespec ts = { 0 };

	if (v->null || v->type != BH_CTL_INT)
		return json_null();
	ts.tv_sec = (time_t)v->i;
	return json_string(bh_time_rfc3339(&ts, 0, t));
}

static json_t *text_json(const struct bh_ctl_val *v)
{
	return v->null || v->type != BH_CTL_TEXT ? json_null() : json_string(v->s);
}

static json_t *counts_json(const struct bh_ctl_val *c)
{
	json_t *o = json_object();

	for (int i = 0; i < NSEV; i++)
		json_object_set_new(o, sev_name(i), json_integer(c[i].null ? 0 : c[i].i));
	return o;
}

struct list_rows {
	json_t *items;
};

static int list_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct list_rows *r = ctx;

	if (n != 11)
		return bh_error_set(err, BH_ERR_INTERNAL, "images: %zu columns", n);
	json_array_append_new(r->items,
			      json_pack("{sIsssssosososo}", "id", (json_int_t)c[0].i, "repository",
					c[1].s, "digest", c[2].s, "first_seen", time_json(&c[3]),
					"scanned_at", time_json(&c[4]), "db_version",
					text_json(&c[5]), "counts", counts_json(&c[6])));
	return 0;
}

int bh_ctl_image_list(struct bh_ctl_store *s, const struct bh_ctl_image_filter *f, json_t **out,
		      struct bh_error **err)
{
	unsigned limit = f->limit ? f->limit : BH_CTL_IMAGE_PAGE_DEF;
	struct list_rows r = { json_array() };
	struct bh_ctl_val p[] = {
		BH_CTL_S(f->repository),
		BH_CTL_S(f->repository),
		BH_CTL_I(f->min_severity < 0 ? -1 : f->min_severity),
		BH_CTL_I(f->after_id),
		BH_CTL_I((int64_t)limit + 1),
	};

	*out = NULL;
	if (limit > BH_CTL_IMAGE_PAGE_MAX || f->min_severity >= NSEV) {
		json_decref(r.items);
		return bh_error_set(err, BH_ERR_INVALID,
				    "images: limit %u over %u or a bad "
				    "severity",
				    limit, BH_CTL_IMAGE_PAGE_MAX);
	}
	/* ingest17: counts of suppressions expired (or new) since made right first */
	if (bh_ctl_suppress_sweep(s, (int64_t)time(NULL), NULL, err) < 0) {
		json_decref(r.items);
		return -1;
	}
	if (bh_ctl_store_query(s,
			       "SELECT id, repository, digest, first_seen, scanned_at, db_version,"
			       " n_unknown, n_low, n_medium, n_high, n_critical FROM images"
			       " WHERE (? IS NULL OR repository = ?) AND max_severity >= ?"
			       " AND id > ? ORDER BY id LIMIT ?",
			       p, 5, list_row, &r, NULL, err) < 0) {
		json_decref(r.items);
		return -1;
	}
	if (json_array_size(r.items) > limit) {
		json_array_remove(r.items, limit);
		*out = json_pack("{sOsO}", "items", r.items, "next",
				 json_object_get(json_array_get(r.items, limit - 1), "id"));
		json_decref(r.items);
	} else {
		*out = json_pack("{sosn}", "items", r.items, "next");
	}
	return 0;
}

struct get_rows {
	json_t *img;
	json_t *repos;
	json_t *vulns;
	json_t *sbom;
};

static int get_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct get_rows *r = ctx;

	if (n != 9)
		return bh_error_set(err, BH_ERR_INTERNAL, "image: %zu columns", n);
	json_array_append_new(r->repos, json_string(c[0].s));
	if (!r->img)
		r->img = json_pack("{sosososo}", "first_seen", time_json(&c[1]), "scanned_at",
				   time_json(&c[2]), "db_version", text_json(&c[3]), "counts",
				   counts_json(&c[4]));
	return 0;
}

static int vuln_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct get_rows *r = ctx;

	if (n != 5)
		return bh_error_set(err, BH_ERR_INTERNAL, "image vulns: %zu columns", n);
	json_array_append_new(r->vulns, json_pack("{sssssssoss}", "id", c[0].s, "package", c[1].s,
						  "version", c[2].s, "fixed", text_json(&c[3]),
						  "severity", sev_name((int)c[4].i)));
	return 0;
}

static int sbom_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	struct get_rows *r = ctx;

	(void)err;
	if (n == 1 && !c[0].null && !r->sbom)
		r->sbom = json_loads(c[0].s, 0, NULL);
	return 0;
}

int bh_ctl_image_get(struct bh_ctl_store *s, const char *digest, bool with_sbom, json_t **out,
		     struct bh_error **err)
{
	struct get_rows r = { NULL, json_array(), json_array(), NULL };
	struct bh_digest d;
	struct bh_ctl_val p[1];
	int rc = -1;

	*out = NULL;
	if (bh_digest_parse(digest, &d, err) < 0 ||
	    bh_ctl_suppress_sweep(s, (int64_t)time(NULL), NULL, err) < 0)
		goto out;
	p[0] = BH_CTL_S(d.str);
	if (bh_ctl_store_query(s,
			       "SELECT repository, first_seen, scanned_at, db_version, n_unknown,"
			       " n_low, n_medium, n_high, n_critical FROM images WHERE digest = ?"
			       " ORDER BY id",
			       p, 1, get_row, &r, NULL, err) < 0)
		goto out;
	if (!r.img) {
		bh_error_set(err, BH_ERR_NOTFOUND, "no image %s", d.str);
		goto out;
	}
	if (bh_ctl_store_query(s,
			       "SELECT vuln_id, package, version, fixed_version, severity"
			       " FROM image_vulns WHERE digest = ?"
			       " ORDER BY severity DESC, vuln_id, package, version",
			       p, 1, vuln_row, &r, NULL, err) < 0)
		goto out;
	if (with_sbom && bh_ctl_store_query(s, "SELECT cyclonedx FROM image_sboms WHERE digest = ?",
					    p, 1, sbom_row, &r, NULL, err) < 0)
		goto out;
	json_object_set_new(r.img, "digest", json_string(d.str));
	json_object_set(r.img, "repositories", r.repos);
	json_object_set(r.img, "vulnerabilities", r.vulns);
	if (with_sbom)
		json_object_set(r.img, "sbom", r.sbom ? r.sbom : json_null());
	*out = r.img;
	r.img = NULL;
	rc = 0;
out:
	json_decref(r.img);
	json_decref(r.repos);
	json_decref(r.vulns);
	json_decref(r.sbom);
	return rc;
}

static int each_row(void *ctx, const struct bh_ctl_val *c, size_t n, struct bh_error **err)
{
	json_t *rows = ctx;

	(void)err;
	if (n != 3)
		return bh_error_set(err, BH_ERR_INTERNAL, "image sboms: %zu columns", n);
	json_array_append_new(rows, json_pack("[sso]", c[0].s, c[1].s,
					      c[2].null ? json_null() : json_string(c[2].s)));
	return 0;
}

int bh_ctl_image_each_sbom(struct bh_ctl_store *s,
			   int (*fn)(void *ctx, const char *digest, const char *repository,
				     const char *sbom, struct bh_error **err),
			   void *ctx, struct bh_error **err)
{
	json_t *rows = json_array(), *row;
	size_t i;
	int rc = 0;

	/* read first, then call: fn records, which needs the store */
	if (bh_ctl_store_query(s,
			       "SELECT i.digest, min(i.repository), min(b.cyclonedx) FROM images i"
			       " LEFT JOIN image_sboms b ON b.digest = i.digest"
			       " GROUP BY i.digest ORDER BY i.digest",
			       NULL, 0, each_row, rows, NULL, err) < 0) {
		json_decref(rows);
		return -1;
	}
	json_array_foreach (rows, i, row) {
		rc = fn(ctx, json_string_value(json_array_get(row, 0)),
			json_string_value(json_array_get(row, 1)),
			json_string_value(json_array_get(row, 2)), err);
		if (rc < 0)
			break;
	}
	json_decref(rows);
	return rc < 0 ? -1 : 0;
}
