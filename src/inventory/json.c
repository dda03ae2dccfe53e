/* SPDX-License-Identifier: Apache-2.0 */
/* bulkhead's own JSON form of an inventory (`bulkhead sbom --format json`). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *bh_inventory_json(const struct bh_inventory *inv, const struct bh_image *img)
{
	json_t *o = json_object(), *pkgs = json_array(), *warnings = json_array(), *im;

	if (img) {
		json_t *layers = json_array();

		im = json_object();
		json_object_set_new(im, "location", json_string(img->location));
		json_object_set_new(im, "kind", json_string(bh_image_kind_name(img->kind)));
		json_object_set_new(im, "name", str_or_null(img->name));
		json_object_set_new(im, "manifestDigest",
				    img->has_manifest ? json_string(img->manifest_digest.str)
						      : json_null());
		json_object_set_new(im, "configDigest",
				    img->config_digest.str[0] ? json_string(img->config_digest.str)
							      : json_null());
		for (size_t i = 0; i < img->nlayers; i++) {
			const struct bh_layer *L = &img->layers[i];

			json_array_append_new(
				layers,
				json_pack("{s:I, s:o, s:o}", "index", (json_int_t)i + 1, "digest",
					  L->digest.str[0] ? json_string(L->digest.str)
							   : json_null(),
					  "diffId",
					  L->diff_id.str[0] ? json_string(L->diff_id.str)
							    : json_null()));
		}
		json_object_set_new(im, "layers", layers);
		json_object_set_new(o, "image", im);
	}
	json_object_set_new(
		o, "os",
		json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "id", str_or_null(inv->os.id),
			  "versionId", str_or_null(inv->os.version_id), "codename",
			  str_or_null(inv->os.version_codename), "prettyName",
			  str_or_null(inv->os.pretty_name), "ecosystem",
			  str_or_null(inv->os.ecosystem), "source", str_or_null(inv->os.source)));
	for (size_t i = 0; i < inv->npkgs; i++) {
		const struct bh_package *p = &inv->pkgs[i];
		json_t *lic = json_array(), *deps = json_array();

		for (size_t j = 0; p->licenses && p->licenses[j]; j++)
			json_array_append_new(lic, json_string(p->licenses[j]));
		for (size_t j = 0; p->depends && p->depends[j]; j++)
			json_array_append_new(deps, json_string(p->depends[j]));
		json_array_append_new(
			pkgs,
			json_pack(
				"{s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:s, s:o, s:s, s:I, s:b, "
				"s:o}",
				"id", p->id, "type", bh_pkg_type_name(p->type), "ecosystem",
				str_or_null(p->ecosystem), "name", p->name, "version", p->version,
				"sourceName", str_or_null(p->source_name), "sourceVersion",
				str_or_null(p->source_version), "arch", str_or_null(p->arch),
				"purl", p->purl, "licenses", lic, "path", p->path, "layer",
				(json_int_t)p->layer + 1, "dev", p->dev, "dependsOn", deps));
	}
	json_object_set_new(o, "packages", pkgs);
	for (size_t i = 0; inv->warnings && inv->warnings[i]; i++)
		json_array_append_new(warnings, json_string(inv->warnings[i]));
	json_object_set_new(o, "warnings", warnings);
	return o;
}
