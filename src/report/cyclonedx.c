/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CycloneDX 1.5 JSON (https://cyclonedx.org/docs/1.5/json/): the image as
 * the root component of the metadata, its operating system and packages as
 * components (with purl, licences, and bulkhead: properties for the layer,
 * path, type, ecosystem and source package), the dependency graph, and,
 * when findings are given, their vulnerabilities (kind "vulnerability")
 * with ratings, fixed versions, affected components and suppression
 * analysis. Validates against the official bom-1.5 schema.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/report.h"
#include "internal.h"
#include "banned.h"

#define IMAGE_REF "image"
#define OS_REF	  "operating-system"

static void prop(json_t *props, const char *name, const char *value)
{
	if (value && *value)
		json_array_append_new(props, json_pack("{s:s, s:s}", "name", name, "value", value));
}

/* The licences as a CycloneDX licenseChoice, or NULL when none. */
static json_t *licenses_json(char *const *lic)
{
	json_t *a;

	if (!lic || !lic[0])
		return NULL;
	a = json_array();
	if (!lic[1] && !report_spdx_id(lic[0]) && report_spdx_expression(lic[0])) {
		json_array_append_new(a, json_pack("{s:s}", "expression", lic[0]));
		return a;
	}
	for (size_t i = 0; lic[i]; i++) {
		const char *id = report_spdx_id(lic[i]);

		json_array_append_new(
			a, json_pack("{s:{s:s}}", "license", id ? "id" : "name", id ? id : lic[i]));
	}
	return a;
}

static const char *component_type(const struct bh_package *p)
{
	return "library";
}

static json_t *component(const struct bh_package *p)
{
	json_t *c = json_object(), *props = json_array(), *lic;
	char layer[16];
	const char *colon = p->type == BH_PKG_JAVA ? strchr(p->name, ':') : NULL;

	json_object_set_new(c, "type", json_string(component_type(p)));
	json_object_set_new(c, "bom-ref", json_string(p->id));
	if (colon) {
		json_object_set_new(c, "group", json_stringn(p->name, (size_t)(colon - p->name)));
		json_object_set_new(c, "name", json_string(colon + 1));
	} else {
		json_object_set_new(c, "name", json_string(p->name));
	}
	json_object_set_new(c, "version", json_string(p->version));
	lic = licenses_json(p->licenses);
	if (lic)
		json_object_set_new(c, "licenses", lic);
	json_object_set_new(c, "purl", json_string(p->purl));
	snprintf(layer, sizeof(layer), "%u", p->layer + 1);
	prop(props, "bulkhead:package:type", bh_pkg_type_name(p->type));
	prop(props, "bulkhead:package:ecosystem", p->ecosystem);
	prop(props, "bulkhead:location:path", p->path);
	prop(props, "bulkhead:location:layer", layer);
	prop(props, "bulkhead:package:sourceName", p->source_name);
	prop(props, "bulkhead:package:sourceVersion", p->source_version);
	prop(props, "bulkhead:package:arch", p->arch);
	if (p->dev)
		prop(props, "bulkhead:package:dev", "true");
	json_object_set_new(c, "properties", props);
	return c;
}

static json_t *image_component(const struct bh_image *img)
{
	json_t *c = json_object(), *props = json_array();
	const char *version = NULL;

	if (img && img->has_manifest)
		version = img->manifest_digest.str;
	else if (img && img->config_digest.str[0])
		version = img->config_digest.str;
	json_object_set_new(c, "type", json_string("container"));
	json_object_set_new(c, "bom-ref", json_string(IMAGE_REF));
	json_object_set_new(c, "name", json_string(report_image_name(img)));
	if (version)
		json_object_set_new(c, "version", json_string(version));
	if (img) {
		prop(props, "bulkhead:image:location", img->location);
		prop(props, "bulkhead:image:kind", bh_image_kind_name(img->kind));
		if (img->has_manifest)
			prop(props, "bulkhead:image:manifestDigest", img->manifest_digest.str);
		if (img->config_digest.str[0])
			prop(props, "bulkhead:image:configDigest", img->config_digest.str);
		for (size_t i = 0; i < img->nlayers; i++) {
			char name[64];

			snprintf(name, sizeof(name), "bulkhead:image:layer:%zu:diffId", i + 1);
			if (img->layers[i].diff_id.str[0])
				prop(props, name, img->layers[i].diff_id.str);
		}
	}
	json_object_set_new(c, "properties", props);
	return c;
}

static const char *severity(enum bh_severity s)
{
	switch (s) {
	case BH_SEV_LOW: return "low";
	case BH_SEV_MEDIUM: return "medium";
	case BH_SEV_HIGH: return "high";
	case BH_SEV_CRITICAL: return "critical";
	case BH_SEV_UNKNOWN: break;
	}
	return "unknown";
}

static const char *score_method(const char *vector)
{
	if (!vector)
		return "other";
	if (bh_str_has_prefix(vector, "CVSS:3.1/"))
		return "CVSSv31";
	if (bh_str_has_prefix(vector, "CVSS:3.0/"))
		return "CVSSv3";
	if (bh_str_has_prefix(vector, "CVSS:4.0/"))
		return "CVSSv4";
	if (strstr(vector, "Au:"))
		return "CVSSv2";
	return "other";
}

static json_t *vulnerability(const struct bh_finding *f, const struct bh_inventory *inv, size_t n)
{
	json_t *v = json_object(), *ratings = json_array(), *affects = json_array(), *r;
	json_t *props = json_array();
	const struct bh_package *pkg =
		inv && f->pkg != SIZE_MAX && f->pkg < inv->npkgs ? &inv->pkgs[f->pkg] : NULL;
	char ref[64];

	snprintf(ref, sizeof(ref), "vulnerability-%zu", n + 1);
	json_object_set_new(v, "bom-ref", json_string(ref));
	json_object_set_new(v, "id", json_string(f->id));
	if (f->aliases && f->aliases[0]) {
		json_t *refs = json_array();

		for (size_t i = 0; f->aliases[i]; i++)
			json_array_append_new(
				refs,
				json_pack("{s:s, s:{s:s}}", "id", f->aliases[i], "source", "name",
					  bh_str_has_prefix(f->aliases[i], "CVE-") ? "NVD"
										   : "OSV"));
		json_object_set_new(v, "references", refs);
	}
	r = json_pack("{s:s}", "severity", severity(f->severity));
	if (f->score >= 0)
		json_object_set_new(r, "score", json_real(f->score));
	json_object_set_new(r, "method", json_string(score_method(f->cvss_vector)));
	if (f->cvss_vector)
		json_object_set_new(r, "vector", json_string(f->cvss_vector));
	json_array_append_new(ratings, r);
	json_object_set_new(v, "ratings", ratings);
	if (f->title)
		json_object_set_new(v, "description", json_string(f->title));
	if (f->description)
		json_object_set_new(v, "detail", json_string(f->description));
	if (f->remediation)
		json_object_set_new(v, "recommendation", json_string(f->remediation));
	else if (f->fixed_versions && f->fixed_versions[0])
		json_object_set_new(v, "recommendation",
				    json_sprintf("Upgrade to %s", f->fixed_versions[0]));
	if (f->references && f->references[0]) {
		json_t *adv = json_array();

		for (size_t i = 0; f->references[i]; i++)
			json_array_append_new(adv, json_pack("{s:s}", "url", f->references[i]));
		json_object_set_new(v, "advisories", adv);
	}
	if (f->suppressed) {
		json_t *a = json_object();
		char *detail = bh_asprintf("suppressed by %s%s%s",
					   f->suppressed_by ? f->suppressed_by : "the user",
					   f->suppress_reason ? ": " : "",
					   f->suppress_reason ? f->suppress_reason : "");

		if (f->suppressed_by && !strcmp(f->suppressed_by, "vex"))
			json_object_set_new(a, "state", json_string("not_affected"));
		json_object_set_new(a, "detail", json_string(detail));
		free(detail);
		json_object_set_new(v, "analysis", a);
	}
	if (pkg) {
		json_array_append_new(affects,
				      json_pack("{s:s, s:[{s:s, s:s}]}", "ref", pkg->id, "versions",
						"version", pkg->version, "status", "affected"));
	} else {
		json_array_append_new(affects, json_pack("{s:s}", "ref", IMAGE_REF));
	}
	json_object_set_new(v, "affects", affects);
	prop(props, "bulkhead:finding:fixState", bh_fix_state_name(f->fix_state));
	for (size_t i = 0; f->fixed_versions && f->fixed_versions[i]; i++)
		prop(props, "bulkhead:finding:fixedVersion", f->fixed_versions[i]);
	if (f->countermeasure)
		prop(props, "bulkhead:finding:countermeasure", f->countermeasure);
	if (f->path)
		prop(props, "bulkhead:location:path", f->path);
	if (f->layer >= 0) {
		char layer[16];

		snprintf(layer, sizeof(layer), "%d", f->layer + 1);
		prop(props, "bulkhead:location:layer", layer);
	}
	json_object_set_new(v, "properties", props);
	return v;
}

int bh_report_cyclonedx(const struct bh_report *r, json_t **out, struct bh_error **err)
{
	const struct bh_inventory *inv = r->inv;
	json_t *bom = json_object(), *meta = json_object(), *comps = json_array();
	json_t *deps = json_array(), *root_deps = json_array(), *tool;
	char uuid[37], created[BH_TIME_MAX];

	*out = NULL;
	report_uuid(uuid);
	json_object_set_new(bom, "bomFormat", json_string("CycloneDX"));
	json_object_set_new(bom, "specVersion", json_string("1.5"));
	json_object_set_new(bom, "serialNumber", json_sprintf("urn:uuid:%s", uuid));
	json_object_set_new(bom, "version", json_integer(1));
	json_object_set_new(meta, "timestamp", json_string(report_created(r->created, created)));
	tool = json_pack("{s:s, s:s, s:s}", "type", "application", "name", "bulkhead", "version",
			 r->tool_version ? r->tool_version : "unknown");
	json_object_set_new(meta, "tools", json_pack("{s:[o]}", "components", tool));
	json_object_set_new(meta, "component", image_component(r->img));
	json_object_set_new(bom, "metadata", meta);
	if (inv && inv->os.id) {
		json_t *os = json_pack("{s:s, s:s, s:s}", "type", "operating-system", "bom-ref",
				       OS_REF, "name", inv->os.id);
		json_t *props = json_array();

		if (inv->os.version_id)
			json_object_set_new(os, "version", json_string(inv->os.version_id));
		if (inv->os.pretty_name)
			json_object_set_new(os, "description", json_string(inv->os.pretty_name));
		prop(props, "bulkhead:os:ecosystem", inv->os.ecosystem);
		prop(props, "bulkhead:os:codename", inv->os.version_codename);
		prop(props, "bulkhead:location:path", inv->os.source);
		json_object_set_new(os, "properties", props);
		json_array_append_new(comps, os);
		json_array_append_new(root_deps, json_string(OS_REF));
	}
	for (size_t i = 0; inv && i < inv->npkgs; i++) {
		const struct bh_package *p = &inv->pkgs[i];
		json_t *d = json_array();

		json_array_append_new(comps, component(p));
		json_array_append_new(root_deps, json_string(p->id));
		for (size_t j = 0; p->depends && p->depends[j]; j++)
			json_array_append_new(d, json_string(p->depends[j]));
		json_array_append_new(deps, json_pack("{s:s, s:o}", "ref", p->id, "dependsOn", d));
	}
	if (inv && inv->os.id)
		json_array_append_new(deps, json_pack("{s:s, s:[]}", "ref", OS_REF, "dependsOn"));
	json_array_insert_new(deps, 0,
			      json_pack("{s:s, s:o}", "ref", IMAGE_REF, "dependsOn", root_deps));
	json_object_set_new(bom, "components", comps);
	json_object_set_new(bom, "dependencies", deps);
	if (r->findings) {
		json_t *vulns = json_array();
		size_t n = 0;

		for (size_t i = 0; i < r->findings->n; i++) {
			const struct bh_finding *f = &r->findings->v[i];

			if (f->kind != BH_FIND_VULN || !f->id)
				continue;
			json_array_append_new(vulns, vulnerability(f, inv, n++));
		}
		json_object_set_new(bom, "vulnerabilities", vulns);
	}
	*out = bom;
	(void)err;
	return 0;
}
