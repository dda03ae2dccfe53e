/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Re-matching recorded images after an advisory update
 * (include/bulkhead/ctl.h): each image's stored CycloneDX SBOM (as
 * bh_report_cyclonedx wrote it, with bulkhead: properties) read back into an
 * inventory, matched by bh_vuln_match against the advisory store, and
 * recorded; findings not recorded before go to the one seam (on_vuln). No
 * image is pulled again.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/ctl.h"
#include "bulkhead/scan.h"
#include "banned.h"

#define SBOM_MAX (64u << 20)
#define PKGS_MAX 200000

static const char *prop(const json_t *c, const char *name)
{
	const json_t *props = bh_json_arr(c, "properties"), *p;
	size_t i;

	json_array_foreach (props, i, p) {
		const char *n = bh_json_str(p, "name");

		if (n && !strcmp(n, name))
			return bh_json_str(p, "value");
	}
	return NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? bh_strdup(s) : NULL;
}

static int pkg_type(const char *name)
{
	for (int t = BH_PKG_DPKG; t <= BH_PKG_JAVA; t++)
		if (name && !strcmp(bh_pkg_type_name((enum bh_pkg_type)t), name))
			return t;
	return -1;
}

int bh_ctl_sbom_inventory(const char *buf, size_t len, struct bh_inventory **out,
			  struct bh_error **err)
{
	struct bh_inventory *inv;
	json_t *bom = NULL, *comps, *c;
	size_t i, n = 0;

	*out = NULL;
	if (bh_json_parse(buf, len, SBOM_MAX, "stored SBOM", &bom, err) < 0)
		return -1;
	comps = json_is_object(bom) ? bh_json_arr(bom, "components") : NULL;
	if (!comps || json_array_size(comps) > PKGS_MAX) {
		json_decref(bom);
		return bh_error_set(err, BH_ERR_INVALID,
				    "stored SBOM: no components, or over %d of them", PKGS_MAX);
	}
	inv = bh_calloc(1, sizeof(*inv));
	inv->pkgs = bh_calloc(json_array_size(comps) + 1, sizeof(*inv->pkgs));
	json_array_foreach (comps, i, c) {
		const char *type = bh_json_str(c, "type"), *name = bh_json_str(c, "name");
		const char *group = bh_json_str(c, "group"), *ver = bh_json_str(c, "version");
		struct bh_package *p;
		int t;

		if (type && !strcmp(type, "operating-system") && !inv->os.id && name) {
			inv->os.id = bh_strdup(name);
			inv->os.version_id = dup_or_null(ver);
			inv->os.ecosystem = dup_or_null(prop(c, "bulkhead:os:ecosystem"));
			inv->os.version_codename = dup_or_null(prop(c, "bulkhead:os:codename"));
			continue;
		}
		t = pkg_type(prop(c, "bulkhead:package:type"));
		if (t < 0 || !name || !ver)
			continue; /* the image itself, or not a package bulkhead wrote */
		p = &inv->pkgs[n++];
		p->type = (enum bh_pkg_type)t;
		p->id = dup_or_null(bh_json_str(c, "bom-ref"));
		p->ecosystem = dup_or_null(prop(c, "bulkhead:package:ecosystem"));
		p->name = group ? bh_asprintf("%s:%s", group, name) : bh_strdup(name);
		p->version = bh_strdup(ver);
		p->source_name = dup_or_null(prop(c, "bulkhead:package:sourceName"));
		p->source_version = dup_or_null(prop(c, "bulkhead:package:sourceVersion"));
		p->arch = dup_or_null(prop(c, "bulkhead:package:arch"));
		p->purl = dup_or_null(bh_json_str(c, "purl"));
		p->path = dup_or_null(prop(c, "bulkhead:location:path"));
		p->dev = prop(c, "bulkhead:package:dev") != NULL;
	}
	inv->npkgs = n;
	json_decref(bom);
	*out = inv;
	return 0;
}

struct rematch {
	struct bh_ctl_store *s;
	struct bh_store *adv;
	const char *actor;
	const char *db_version;
	void (*on_vuln)(void *ctx, const char *digest, const char *repository,
			const struct bh_ctl_image_vuln *v);
	void *ctx;
	struct bh_ctl_rematch_stats *st;
};

static int rematch_one(void *arg, const char *digest, const char *repo, const char *sbom,
		       struct bh_error **err)
{
	struct rematch *r = arg;
	struct bh_inventory *inv = NULL;
	struct bh_findings f = { 0 };
	struct bh_match_stats ms = { 0 };
	struct bh_ctl_image_vuln *v = NULL, *fresh = NULL;
	size_t nv = 0, nfresh = 0;
	struct bh_error *e2 = NULL;
	int rc = -1;

	if (!sbom) {
		r->st->skipped++;
		return 0;
	}
	if (bh_ctl_sbom_inventory(sbom, strlen(sbom), &inv, &e2) < 0 ||
	    bh_vuln_match(r->adv, inv, &f, &ms, &e2) < 0) {
		/* one image that cannot be matched does not stop the others */
		char *m = bh_error_message(e2);

		bh_warn("rematch: %s: %s", digest, m ? m : "?");
		free(m);
		bh_error_free(e2);
		r->st->failed++;
		rc = 0;
		goto out;
	}
	v = bh_calloc(f.n + 1, sizeof(*v));
	for (size_t i = 0; i < f.n; i++) {
		const struct bh_finding *x = &f.v[i];

		if (x->kind != BH_FIND_VULN || x->pkg >= inv->npkgs)
			continue;
		v[nv++] = (struct bh_ctl_image_vuln){
			.id = x->id,
			.package = inv->pkgs[x->pkg].name,
			.version = inv->pkgs[x->pkg].version,
			.fixed = x->fixed_versions ? x->fixed_versions[0] : NULL,
			.severity = (int)x->severity,
		};
	}
	{
		struct bh_ctl_image_scan sc = { repo, digest, r->db_version, v, nv, NULL };

		if (bh_ctl_image_record(r->s, r->actor, &sc, &fresh, &nfresh, err) < 0)
			goto out;
	}
	r->st->images++;
	r->st->fresh += nfresh;
	if (r->on_vuln)
		for (size_t i = 0; i < nfresh; i++)
			r->on_vuln(r->ctx, digest, repo, &fresh[i]);
	rc = 0;
out:
	bh_ctl_image_vulns_free(fresh, nfresh);
	free(v);
	bh_findings_release(&f);
	bh_inventory_free(inv);
	return rc;
}

int bh_ctl_image_rematch(struct bh_ctl_store *s, struct bh_store *adv, const char *actor,
			 const char *db_version,
			 void (*on_vuln)(void *ctx, const char *digest, const char *repository,
					 const struct bh_ctl_image_vuln *v),
			 void *ctx, struct bh_ctl_rematch_stats *st, struct bh_error **err)
{
	struct rematch r = { s, adv, actor, db_version, on_vuln, ctx, st };

	memset(st, 0, sizeof(*st));
	return bh_ctl_image_each_sbom(s, rematch_one, &r, err);
}
