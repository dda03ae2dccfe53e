/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SPDX 2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/): one document
 * describing the image (a CONTAINER package), which CONTAINS its operating
 * system (OPERATING_SYSTEM) and its packages; DEPENDS_ON relationships from
 * the dependency graph. Each package has versionInfo, downloadLocation
 * NOASSERTION, a purl external reference, licenseDeclared (an SPDX
 * expression of known identifiers, else NOASSERTION), and its origin
 * (database path and layer) in sourceInfo. Never writes "$schema" and always
 * documentNamespace, so it validates against both the 2.3 release schema
 * and the 2.3.1 draft.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/report.h"
#include "internal.h"
#include "banned.h"

#define DOC_ID	 "SPDXRef-DOCUMENT"
#define IMAGE_ID "SPDXRef-Image"
#define OS_ID	 "SPDXRef-OperatingSystem"

static char *pkg_spdxid(const struct bh_package *p)
{
	return bh_asprintf("SPDXRef-Package-%s", p->id);
}

/* licenseDeclared: the licences ANDed when every one is a valid expression. */
static char *declared(char *const *lic)
{
	struct bh_buf b = BH_BUF_INIT(16 * 1024);
	size_t n = 0;

	for (size_t i = 0; lic && lic[i]; i++) {
		const char *id = report_spdx_id(lic[i]);
		bool paren;

		if (!id && !report_spdx_expression(lic[i])) {
			bh_buf_release(&b);
			return bh_strdup("NOASSERTION");
		}
		paren = !id && lic[1];
		if (bh_buf_addf(&b, NULL, "%s%s%s%s", n ? " AND " : "", paren ? "(" : "",
				id ? id : lic[i], paren ? ")" : "") < 0) {
			bh_buf_release(&b);
			return bh_strdup("NOASSERTION");
		}
		n++;
	}
	if (!n)
		return bh_strdup("NOASSERTION");
	return bh_buf_detach(&b, NULL);
}

static json_t *relationship(const char *a, const char *type, const char *b)
{
	return json_pack("{s:s, s:s, s:s}", "spdxElementId", a, "relationshipType", type,
			 "relatedSpdxElement", b);
}

static const char *source_what(enum bh_pkg_type t)
{
	switch (t) {
	case BH_PKG_DPKG: return "dpkg status";
	case BH_PKG_APK: return "apk database";
	case BH_PKG_RPM: return "rpm database";
	case BH_PKG_NPM: return "npm manifest";
	case BH_PKG_PYTHON: return "Python package metadata";
	case BH_PKG_GO:
	case BH_PKG_GO_STDLIB: return "Go build info";
	case BH_PKG_JAVA: return "Java archive";
	}
	return "file";
}

static json_t *package(const struct bh_package *p)
{
	char *id = pkg_spdxid(p), *lic = declared(p->licenses);
	char *src = bh_asprintf("acquired package info from the %s %s in layer %u",
				source_what(p->type), p->path, p->layer + 1);
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s, s:s}]}",
		      "SPDXID", id, "name", p->name, "versionInfo", p->version, "downloadLocation",
		      "NOASSERTION", "filesAnalyzed", 0, "licenseConcluded", "NOASSERTION",
		      "licenseDeclared", lic, "copyrightText", "NOASSERTION", "sourceInfo", src,
		      "primaryPackagePurpose",
		      p->type == BH_PKG_GO && p->depends ? "APPLICATION" : "LIBRARY",
		      "externalRefs", "referenceCategory", "PACKAGE-MANAGER", "referenceType",
		      "purl", "referenceLocator", p->purl);
	if (p->source_name && (strcmp(p->source_name, p->name) ||
			       (p->source_version && strcmp(p->source_version, p->version)))) {
		char *c = bh_asprintf("source package %s %s", p->source_name,
				      p->source_version ? p->source_version : "");

		json_object_set_new(o, "comment", json_string(c));
		free(c);
	}
	free(id);
	free(lic);
	free(src);
	return o;
}

int bh_report_spdx(const struct bh_report *r, json_t **out, struct bh_error **err)
{
	const struct bh_inventory *inv = r->inv;
	const struct bh_image *img = r->img;
	json_t *doc = json_object(), *pkgs = json_array(), *rels = json_array(), *image;
	char uuid[37], created[BH_TIME_MAX];
	const char *name = report_image_name(img);
	char *ns, *creator;

	*out = NULL;
	report_uuid(uuid);
	json_object_set_new(doc, "spdxVersion", json_string("SPDX-2.3"));
	json_object_set_new(doc, "dataLicense", json_string("CC0-1.0"));
	json_object_set_new(doc, "SPDXID", json_string(DOC_ID));
	json_object_set_new(doc, "name", json_string(name));
	{
		/* a unique URI; the host is a name bulkhead owns nothing under, by intent */
		struct bh_buf b = BH_BUF_INIT(4096);

		bh_buf_adds(&b, "https://spdx.org/spdxdocs/bulkhead-", NULL);
		for (const char *c = name; *c && b.len < 200; c++) {
			bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
				  (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == '_';

			bh_buf_addc(&b, ok ? *c : '-', NULL);
		}
		bh_buf_addf(&b, NULL, "-%s", uuid);
		ns = bh_buf_detach(&b, NULL);
	}
	json_object_set_new(doc, "documentNamespace", json_string(ns));
	free(ns);
	creator = bh_asprintf("Tool: bulkhead-%s", r->tool_version ? r->tool_version : "unknown");
	json_object_set_new(doc, "creationInfo",
			    json_pack("{s:s, s:[s], s:s}", "created",
				      report_created(r->created, created), "creators", creator,
				      "licenseListVersion", "3.28"));
	free(creator);

	image = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s}", "SPDXID", IMAGE_ID, "name",
			  name, "downloadLocation", "NOASSERTION", "filesAnalyzed", 0,
			  "licenseConcluded", "NOASSERTION", "licenseDeclared", "NOASSERTION",
			  "copyrightText", "NOASSERTION", "primaryPackagePurpose", "CONTAINER");
	if (img && (img->has_manifest || img->config_digest.str[0])) {
		const struct bh_digest *d =
			img->has_manifest ? &img->manifest_digest : &img->config_digest;

		json_object_set_new(image, "versionInfo", json_string(d->str));
		if (d->algo == BH_HASH_SHA256)
			json_object_set_new(image, "checksums",
					    json_pack("[{s:s, s:s}]", "algorithm", "SHA256",
						      "checksumValue", bh_digest_hex(d)));
	}
	if (img) {
		char *c = bh_asprintf("%s %s", bh_image_kind_name(img->kind), img->location);

		json_object_set_new(image, "sourceInfo", json_string(c));
		free(c);
	}
	json_array_append_new(pkgs, image);
	json_array_append_new(rels, relationship(DOC_ID, "DESCRIBES", IMAGE_ID));
	if (inv && inv->os.id) {
		json_t *os = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s}", "SPDXID", OS_ID,
				       "name", inv->os.id, "downloadLocation", "NOASSERTION",
				       "filesAnalyzed", 0, "licenseConcluded", "NOASSERTION",
				       "licenseDeclared", "NOASSERTION", "copyrightText",
				       "NOASSERTION", "primaryPackagePurpose", "OPERATING_SYSTEM");

		if (inv->os.version_id)
			json_object_set_new(os, "versionInfo", json_string(inv->os.version_id));
		if (inv->os.pretty_name)
			json_object_set_new(os, "description", json_string(inv->os.pretty_name));
		json_array_append_new(pkgs, os);
		json_array_append_new(rels, relationship(IMAGE_ID, "CONTAINS", OS_ID));
	}
	for (size_t i = 0; inv && i < inv->npkgs; i++) {
		const struct bh_package *p = &inv->pkgs[i];
		char *id = pkg_spdxid(p);

		json_array_append_new(pkgs, package(p));
		json_array_append_new(rels, relationship(IMAGE_ID, "CONTAINS", id));
		for (size_t j = 0; p->depends && p->depends[j]; j++) {
			char *dep = bh_asprintf("SPDXRef-Package-%s", p->depends[j]);

			json_array_append_new(rels, relationship(id, "DEPENDS_ON", dep));
			free(dep);
		}
		free(id);
	}
	json_object_set_new(doc, "packages", pkgs);
	json_object_set_new(doc, "relationships", rels);
	*out = doc;
	(void)err;
	return 0;
}
