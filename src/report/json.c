/* SPDX-License-Identifier: Apache-2.0 */
/* bulkhead's own JSON report: image, OS, advisory data, summary, findings. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkhead/report.h"
#include "banned.h"

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *strv_json(char *const *v)
{
	json_t *a = json_array();

	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *image_json(const struct bh_image *img)
{
	char plat[128];

	if (!img)
		return json_null();
	snprintf(plat, sizeof(plat), "%s/%s%s%s", img->config.os ? img->config.os : "?",
		 img->config.architecture ? img->config.architecture : "?",
		 img->config.variant ? "/" : "", img->config.variant ? img->config.variant : "");
	return json_pack(
		"{s:s, s:s, s:o, s:o, s:o, s:s}", "kind", bh_image_kind_name(img->kind), "location",
		img->location, "name", str_or_null(img->name), "manifestDigest",
		img->has_manifest ? json_string(img->manifest_digest.str) : json_null(),
		"configDigest",
		img->config_digest.str[0] ? json_string(img->config_digest.str) : json_null(),
		"platform", plat);
}

static json_t *package_json(const struct bh_package *p)
{
	json_t *o = json_pack("{s:s, s:o, s:s, s:o}", "type", bh_pkg_type_name(p->type),
			      "ecosystem", str_or_null(p->ecosystem), "name", p->name, "version",
			      str_or_null(p->version));

	if (p->source_name)
		json_object_set_new(o, "sourceName", json_string(p->source_name));
	if (p->source_version)
		json_object_set_new(o, "sourceVersion", json_string(p->source_version));
	if (p->purl)
		json_object_set_new(o, "purl", json_string(p->purl));
	if (p->path)
		json_object_set_new(o, "path", json_string(p->path));
	json_object_set_new(o, "layer", json_integer((json_int_t)p->layer + 1));
	return o;
}

static json_t *finding_json(const struct bh_finding *f, const struct bh_inventory *inv)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(f->id));
	json_object_set_new(o, "kind", json_string(bh_finding_kind_name(f->kind)));
	json_object_set_new(o, "severity", json_string(bh_severity_name(f->severity)));
	json_object_set_new(o, "score", f->score >= 0 ? json_real(f->score) : json_null());
	json_object_set_new(o, "cvssVector", str_or_null(f->cvss_vector));
	json_object_set_new(o, "aliases", strv_json(f->aliases));
	json_object_set_new(o, "title", str_or_null(f->title));
	if (f->description)
		json_object_set_new(o, "description", json_string(f->description));
	json_object_set_new(o, "countermeasure", str_or_null(f->countermeasure));
	json_object_set_new(o, "layer", f->layer >= 0 ? json_integer(f->layer + 1) : json_null());
	if (f->removed_layer >= 0)
		json_object_set_new(o, "removedLayer", json_integer(f->removed_layer + 1));
	json_object_set_new(o, "path", str_or_null(f->path));
	if (f->line > 0)
		json_object_set_new(o, "line", json_integer(f->line));
	if (inv && f->pkg < inv->npkgs)
		json_object_set_new(o, "package", package_json(&inv->pkgs[f->pkg]));
	json_object_set_new(o, "fixedVersions", strv_json(f->fixed_versions));
	json_object_set_new(o, "fixState", json_string(bh_fix_state_name(f->fix_state)));
	json_object_set_new(o, "remediation", str_or_null(f->remediation));
	json_object_set_new(o, "references", strv_json(f->references));
	json_object_set_new(o, "suppressed", json_boolean(f->suppressed));
	if (f->suppressed) {
		json_object_set_new(o, "suppressedBy", str_or_null(f->suppressed_by));
		json_object_set_new(o, "suppressReason", str_or_null(f->suppress_reason));
	}
	return o;
}

int bh_report_json(const struct bh_report *r, json_t **out, struct bh_error **err)
{
	static const enum bh_severity sevs[] = { BH_SEV_CRITICAL, BH_SEV_HIGH, BH_SEV_MEDIUM,
						 BH_SEV_LOW, BH_SEV_UNKNOWN };
	json_t *o = json_object(), *findings = json_array(), *bysev = json_object(), *os;
	size_t counts[5] = { 0 }, suppressed = 0, total = 0;

	json_object_set_new(o, "schemaVersion", json_integer(1));
	json_object_set_new(o, "tool",
			    json_pack("{s:s, s:s}", "name", "bulkhead", "version",
				      r->tool_version ? r->tool_version : "unknown"));
	json_object_set_new(o, "image", image_json(r->img));
	if (r->inv && r->inv->os.id) {
		os = json_pack("{s:s, s:o, s:o}", "id", r->inv->os.id, "versionId",
			       str_or_null(r->inv->os.version_id), "ecosystem",
			       str_or_null(r->inv->os.ecosystem));
		json_object_set_new(o, "os", os);
	} else {
		json_object_set_new(o, "os", json_null());
	}
	json_object_set_new(o, "db", str_or_null(r->db_version));
	for (size_t i = 0; r->findings && i < r->findings->n; i++) {
		const struct bh_finding *f = &r->findings->v[i];

		json_array_append_new(findings, finding_json(f, r->inv));
		if (f->suppressed) {
			suppressed++;
			continue;
		}
		total++;
		counts[f->severity <= BH_SEV_CRITICAL ? f->severity : 0]++;
	}
	for (size_t i = 0; i < sizeof(sevs) / sizeof(sevs[0]); i++)
		json_object_set_new(bysev, bh_severity_name(sevs[i]),
				    json_integer((json_int_t)counts[sevs[i]]));
	json_object_set_new(o, "summary",
			    json_pack("{s:I, s:I, s:I, s:o}", "packages",
				      (json_int_t)(r->inv ? r->inv->npkgs : 0), "findings",
				      (json_int_t)total, "suppressed", (json_int_t)suppressed,
				      "bySeverity", bysev));
	json_object_set_new(o, "findings", findings);
	*out = o;
	(void)err;
	return 0;
}
