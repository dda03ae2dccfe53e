/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Readers for the JSON documents of an image: descriptors, the image
 * manifest and the image config. The bytes are untrusted; every field is
 * type-checked and every count bounded.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

void bh_descriptor_release(struct bh_descriptor *d)
{
	free(d->media_type);
	free(d->ref_name);
	free(d->source_ref);
	free(d->source_time);
	free(d->os);
	free(d->arch);
	free(d->variant);
	memset(d, 0, sizeof(*d));
}

int bh_descriptor_parse(const json_t *o, const char *what, struct bh_descriptor *d,
			struct bh_error **err)
{
	const char *mt, *dg;
	json_t *ann, *plat;
	json_int_t size;

	memset(d, 0, sizeof(*d));
	if (!json_is_object(o))
		return bh_error_set(err, BH_ERR_INVALID, "%s: a descriptor must be an object",
				    what);
	mt = bh_json_str(o, "mediaType");
	dg = bh_json_str(o, "digest");
	if (!mt)
		return bh_error_set(err, BH_ERR_INVALID, "%s: descriptor has no mediaType", what);
	if (!dg)
		return bh_error_set(err, BH_ERR_INVALID, "%s: descriptor has no digest", what);
	if (!bh_json_int(o, "size", &size) || size < 0)
		return bh_error_set(err, BH_ERR_INVALID, "%s: descriptor has no valid size", what);
	if (bh_digest_parse(dg, &d->digest, err) < 0)
		return bh_error_prefix(err, "%s", what);
	d->media_type = bh_strdup(mt);
	d->size = size;
	ann = bh_json_obj(o, "annotations");
	if (ann && bh_json_str(ann, "org.opencontainers.image.ref.name"))
		d->ref_name = bh_strdup(bh_json_str(ann, "org.opencontainers.image.ref.name"));
	/* where it was pulled from: kept only when the digest is one */
	if (ann && bh_json_str(ann, BH_ANN_SOURCE) && bh_json_str(ann, BH_ANN_SOURCE_DIGEST) &&
	    bh_digest_parse(bh_json_str(ann, BH_ANN_SOURCE_DIGEST), &d->source_digest, NULL) == 0) {
		d->source_ref = bh_strdup(bh_json_str(ann, BH_ANN_SOURCE));
		if (bh_json_str(ann, BH_ANN_PULLED))
			d->source_time = bh_strdup(bh_json_str(ann, BH_ANN_PULLED));
	}
	plat = bh_json_obj(o, "platform");
	if (plat) {
		if (bh_json_str(plat, "os"))
			d->os = bh_strdup(bh_json_str(plat, "os"));
		if (bh_json_str(plat, "architecture"))
			d->arch = bh_strdup(bh_json_str(plat, "architecture"));
		if (bh_json_str(plat, "variant"))
			d->variant = bh_strdup(bh_json_str(plat, "variant"));
	}
	return 0;
}

int bh_layer_media_type(const char *mt, enum bh_compression *c, struct bh_error **err)
{
	static const struct {
		const char *mt;
		enum bh_compression c;
	} known[] = {
		{ "application/vnd.oci.image.layer.v1.tar", BH_COMP_NONE },
		{ "application/vnd.oci.image.layer.v1.tar+gzip", BH_COMP_GZIP },
		{ "application/vnd.oci.image.layer.v1.tar+zstd", BH_COMP_ZSTD },
		{ "application/vnd.docker.image.rootfs.diff.tar", BH_COMP_NONE },
		{ "application/vnd.docker.image.rootfs.diff.tar.gzip", BH_COMP_GZIP },
		{ "application/vnd.docker.image.rootfs.diff.tar.zstd", BH_COMP_ZSTD },
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (!strcmp(mt, known[i].mt)) {
			*c = known[i].c;
			return 0;
		}
	}
	if (strstr(mt, "nondistributable") || strstr(mt, "foreign"))
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "non-distributable layer media type '%.200s' is not supported "
				    "(its content is not part of the image)",
				    mt);
	return bh_error_set(err, BH_ERR_UNSUPPORTED, "unknown layer media type '%.200s'", mt);
}

int bh_manifest_parse(struct bh_image *img, json_t *manifest, struct bh_descriptor *config,
		      struct bh_error **err)
{
	json_int_t version;
	const char *mt = bh_json_str(manifest, "mediaType");
	json_t *layers, *l;
	size_t i;

	if (!json_is_object(manifest))
		return bh_error_set(err, BH_ERR_INVALID, "manifest is not a JSON object");
	if (!bh_json_int(manifest, "schemaVersion", &version) || version != 2)
		return bh_error_set(err, BH_ERR_UNSUPPORTED, "manifest schemaVersion is not 2");
	if (mt && strcmp(mt, BH_MT_OCI_MANIFEST) && strcmp(mt, BH_MT_DOCKER_MANIFEST))
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "manifest has media type '%.200s', not an image manifest", mt);
	if (bh_descriptor_parse(json_object_get(manifest, "config"), "manifest config", config,
				err) < 0)
		return -1;
	layers = bh_json_arr(manifest, "layers");
	if (!layers)
		return bh_error_set(err, BH_ERR_INVALID, "manifest has no layers array");
	if (json_array_size(layers) > img->limits.max_layers)
		return bh_error_set(err, BH_ERR_LIMIT, "manifest has %zu layers, the limit is %u",
				    json_array_size(layers), img->limits.max_layers);
	img->layers = bh_calloc(json_array_size(layers) + 1, sizeof(*img->layers));
	json_array_foreach (layers, i, l) {
		struct bh_descriptor d;
		struct bh_layer *L = &img->layers[i];
		char what[32];

		snprintf(what, sizeof(what), "layer %zu", i + 1);
		if (bh_descriptor_parse(l, what, &d, err) < 0)
			return -1;
		L->digest = d.digest;
		L->size = d.size;
		L->media_type = d.media_type;
		d.media_type = NULL;
		bh_descriptor_release(&d);
		img->nlayers = i + 1;
		if (bh_layer_media_type(L->media_type, &L->compression, err) < 0)
			return bh_error_prefix(err, "layer %zu (%s)", i + 1, L->digest.str);
	}
	return 0;
}

static void free_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/* A JSON array of strings -> NULL-terminated vector; absent/null -> NULL. */
static int strv(const json_t *o, const char *key, char ***out, struct bh_error **err)
{
	json_t *a = json_object_get(o, key), *v;
	char **r;
	size_t i;

	*out = NULL;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return bh_error_set(err, BH_ERR_INVALID, "config %s is not an array", key);
	r = bh_calloc(json_array_size(a) + 1, sizeof(*r));
	json_array_foreach (a, i, v) {
		if (!json_is_string(v)) {
			free_strv(r);
			return bh_error_set(err, BH_ERR_INVALID, "config %s[%zu] is not a string",
					    key, i);
		}
		r[i] = bh_strdup(json_string_value(v));
	}
	*out = r;
	return 0;
}

/* The keys of a JSON object (ExposedPorts, Volumes) -> vector. */
static int keys(const json_t *o, const char *key, char ***out, struct bh_error **err)
{
	json_t *m = json_object_get(o, key), *v;
	const char *k;
	char **r;
	size_t i = 0;

	*out = NULL;
	if (!m || json_is_null(m))
		return 0;
	if (!json_is_object(m))
		return bh_error_set(err, BH_ERR_INVALID, "config %s is not an object", key);
	r = bh_calloc(json_object_size(m) + 1, sizeof(*r));
	json_object_foreach (m, k, v)
		r[i++] = bh_strdup(k);
	*out = r;
	return 0;
}

static char *dupstr(const json_t *o, const char *key)
{
	const char *s = bh_json_str(o, key);

	return s ? bh_strdup(s) : NULL;
}

void bh_image_config_release(struct bh_image_config *c)
{
	free(c->os);
	free(c->architecture);
	free(c->variant);
	free(c->user);
	free_strv(c->env);
	free_strv(c->entrypoint);
	free_strv(c->cmd);
	free(c->working_dir);
	free_strv(c->exposed_ports);
	free_strv(c->volumes);
	free(c->stop_signal);
	free(c->created);
	for (size_t i = 0; i < c->nhistory; i++) {
		free(c->history[i].created);
		free(c->history[i].created_by);
		free(c->history[i].comment);
	}
	free(c->history);
	memset(c, 0, sizeof(*c));
}

int bh_config_parse(struct bh_image *img, json_t *config, struct bh_error **err)
{
	struct bh_image_config *c = &img->config;
	json_t *cc, *rootfs, *diff_ids, *hist, *v;
	size_t i;

	if (!json_is_object(config))
		return bh_error_set(err, BH_ERR_INVALID, "image config is not a JSON object");
	img->config_json = json_incref(config);
	c->os = dupstr(config, "os");
	c->architecture = dupstr(config, "architecture");
	c->variant = dupstr(config, "variant");
	c->created = dupstr(config, "created");
	if (!c->os || !c->architecture)
		return bh_error_set(err, BH_ERR_INVALID, "image config has no os or architecture");
	cc = json_object_get(config, "config");
	if (cc && !json_is_null(cc)) {
		json_t *hc;

		if (!json_is_object(cc))
			return bh_error_set(err, BH_ERR_INVALID,
					    "image config 'config' is not an object");
		c->user = dupstr(cc, "User");
		c->working_dir = dupstr(cc, "WorkingDir");
		c->stop_signal = dupstr(cc, "StopSignal");
		if (strv(cc, "Env", &c->env, err) < 0 ||
		    strv(cc, "Entrypoint", &c->entrypoint, err) < 0 ||
		    strv(cc, "Cmd", &c->cmd, err) < 0 ||
		    keys(cc, "ExposedPorts", &c->exposed_ports, err) < 0 ||
		    keys(cc, "Volumes", &c->volumes, err) < 0)
			return -1;
		c->labels = bh_json_obj(cc, "Labels");
		hc = bh_json_obj(cc, "Healthcheck");
		if (hc) {
			json_t *test = bh_json_arr(hc, "Test");
			const char *t0 = test ? json_string_value(json_array_get(test, 0)) : NULL;

			c->has_healthcheck = !(t0 && !strcmp(t0, "NONE"));
		}
	}
	rootfs = bh_json_obj(config, "rootfs");
	diff_ids = rootfs ? bh_json_arr(rootfs, "diff_ids") : NULL;
	if (!diff_ids)
		return bh_error_set(err, BH_ERR_INVALID, "image config has no rootfs.diff_ids");
	if (json_array_size(diff_ids) != img->nlayers)
		return bh_error_set(err, BH_ERR_INVALID,
				    "image config lists %zu diff_ids but the image has %zu layers",
				    json_array_size(diff_ids), img->nlayers);
	json_array_foreach (diff_ids, i, v) {
		if (!json_is_string(v))
			return bh_error_set(err, BH_ERR_INVALID, "diff_ids[%zu] is not a string",
					    i);
		if (bh_digest_parse(json_string_value(v), &img->layers[i].diff_id, err) < 0)
			return bh_error_prefix(err, "image config diff_ids[%zu]", i);
	}
	hist = bh_json_arr(config, "history");
	if (hist) {
		c->history = bh_calloc(json_array_size(hist) + 1, sizeof(*c->history));
		json_array_foreach (hist, i, v) {
			struct bh_history *h = &c->history[c->nhistory];

			if (!json_is_object(v))
				continue;
			h->created = dupstr(v, "created");
			h->created_by = dupstr(v, "created_by");
			h->comment = dupstr(v, "comment");
			h->empty_layer = json_is_true(json_object_get(v, "empty_layer"));
			c->nhistory++;
		}
	}
	return 0;
}
