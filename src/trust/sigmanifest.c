/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cosign's signature and attestation manifests (the images at the tags
 * `sha256-<hex>.sig` and `.att`), written as cosign writes them through
 * go-containerregistry: an OCI manifest over an "empty" config whose rootfs
 * lists one diff_id (the layer's digest: the layers are uncompressed) and one
 * zero-time history entry per layer. Go's encoding/json field order is kept,
 * so a manifest we write has the digest cosign's would for the same layers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/trust.h"
#include "trust/internal.h"
#include "banned.h"

#define ZERO_TIME "0001-01-01T00:00:00Z"

void trust_desc_release(struct trust_desc *d)
{
	free(d->media_type);
	free(d->artifact_type);
	json_decref(d->annotations);
	memset(d, 0, sizeof(*d));
}

void trust_descs_free(struct trust_desc *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		trust_desc_release(&v[i]);
	free(v);
}

int trust_desc_parse(const json_t *o, const char *what, struct trust_desc *d, struct bh_error **err)
{
	const char *mt = bh_json_str(o, "mediaType"), *dig = bh_json_str(o, "digest");
	const char *at = bh_json_str(o, "artifactType");
	json_t *ann = json_object_get(o, "annotations");
	json_int_t size;

	memset(d, 0, sizeof(*d));
	if (!json_is_object(o) || !mt || !dig || !bh_json_int(o, "size", &size))
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s: a descriptor needs mediaType, digest and size", what);
	if (size < 0)
		return bh_error_set(err, BH_ERR_INVALID, "%s: negative size", what);
	if (bh_digest_parse(dig, &d->digest, err) < 0)
		return bh_error_prefix(err, "%s", what);
	if (ann && !json_is_object(ann))
		return bh_error_set(err, BH_ERR_INVALID, "%s: annotations is not an object", what);
	if (ann) {
		const char *k;
		json_t *v;

		json_object_foreach (ann, k, v) {
			if (!json_is_string(v))
				return bh_error_set(err, BH_ERR_INVALID,
						    "%s: annotation '%.64s' is not a string", what,
						    k);
		}
	}
	d->media_type = bh_strdup(mt);
	d->size = size;
	d->artifact_type = at ? bh_strdup(at) : NULL;
	d->annotations = ann ? json_incref(ann) : NULL;
	return 0;
}

/* Sorted annotations (Go marshals a map with sorted keys; jansson keeps
 * insertion order with JSON_PRESERVE_ORDER, so rebuild it sorted). */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static json_t *sorted(const json_t *o)
{
	size_t n = json_object_size(o), i = 0;
	const char **keys = bh_calloc(n + 1, sizeof(*keys));
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach ((json_t *)o, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++)
		json_object_set(out, keys[i], json_object_get(o, keys[i]));
	free(keys);
	return out;
}

json_t *trust_desc_json(const struct trust_desc *d)
{
	json_t *o = json_object();

	/* go-containerregistry's v1.Descriptor order */
	json_object_set_new(o, "mediaType", json_string(d->media_type));
	json_object_set_new(o, "size", json_integer(d->size));
	json_object_set_new(o, "digest", json_string(d->digest.str));
	if (d->annotations && json_object_size(d->annotations))
		json_object_set_new(o, "annotations", sorted(d->annotations));
	if (d->artifact_type)
		json_object_set_new(o, "artifactType", json_string(d->artifact_type));
	return o;
}

char *trust_tag(const struct bh_digest *d, const char *suffix)
{
	return bh_asprintf("%s-%s%s", d->algo == BH_HASH_SHA512 ? "sha512" : "sha256",
			   bh_digest_hex(d), suffix);
}

void trust_sigman_release(struct trust_sigman *m)
{
	trust_descs_free(m->layers, m->nlayers);
	memset(m, 0, sizeof(*m));
}

int trust_sigman_parse(const char *p, size_t n, struct trust_sigman *out, struct bh_error **err)
{
	json_t *doc = NULL, *layers, *l;
	json_int_t sv;
	size_t i;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (bh_json_parse(p, n, BH_TRUST_MANIFEST_MAX, "signature manifest", &doc, err) < 0)
		return -1;
	layers = bh_json_arr(doc, "layers");
	if (!bh_json_int(doc, "schemaVersion", &sv) || sv != 2 || !layers ||
	    !bh_json_obj(doc, "config")) {
		bh_error_set(err, BH_ERR_INVALID,
			     "signature manifest: not an image manifest (schemaVersion 2, config, "
			     "layers)");
		goto out;
	}
	if (json_array_size(layers) > BH_TRUST_LAYERS_MAX) {
		bh_error_set(err, BH_ERR_LIMIT, "signature manifest: %zu layers (limit %d)",
			     json_array_size(layers), BH_TRUST_LAYERS_MAX);
		goto out;
	}
	out->layers = bh_calloc(json_array_size(layers) + 1, sizeof(*out->layers));
	json_array_foreach (layers, i, l) {
		char what[48];

		snprintf(what, sizeof(what), "signature manifest layer %zu", i + 1);
		if (trust_desc_parse(l, what, &out->layers[i], err) < 0)
			goto out;
		out->nlayers++;
	}
	r = 0;
out:
	json_decref(doc);
	if (r < 0)
		trust_sigman_release(out);
	return r;
}

void trust_sigman_add(struct trust_sigman *m, const struct trust_desc *layer)
{
	struct trust_desc *d;

	m->layers = bh_reallocarray(m->layers, m->nlayers + 1, sizeof(*m->layers));
	d = &m->layers[m->nlayers++];
	*d = *layer;
	d->media_type = bh_strdup(layer->media_type);
	d->artifact_type = layer->artifact_type ? bh_strdup(layer->artifact_type) : NULL;
	d->annotations = layer->annotations ? json_deep_copy(layer->annotations) : NULL;
}

int trust_sigman_build(const struct trust_sigman *m, struct bh_buf *manifest, struct bh_buf *config,
		       struct bh_error **err)
{
	struct trust_desc cd = { .media_type = (char *)TRUST_MT_OCI_CONFIG };
	json_t *hist = json_array(), *ids = json_array(), *cfg, *man, *layers = json_array();
	int r = -1;

	for (size_t i = 0; i < m->nlayers; i++) {
		json_array_append_new(hist, json_pack("{s:s}", "created", ZERO_TIME));
		json_array_append_new(ids, json_string(m->layers[i].digest.str));
		json_array_append_new(layers, trust_desc_json(&m->layers[i]));
	}
	/* go-containerregistry's v1.ConfigFile order; empty fields omitted as it does */
	cfg = json_pack("{s:s, s:s, s:o, s:s, s:{s:s, s:o}, s:{}}", "architecture", "", "created",
			ZERO_TIME, "history", hist, "os", "", "rootfs", "type", "layers",
			"diff_ids", ids, "config");
	if (!cfg || bh_json_dump_buf(cfg, JSON_COMPACT | JSON_PRESERVE_ORDER, config, err) < 0) {
		json_decref(cfg);
		json_decref(layers);
		return bh_error_set(err, BH_ERR_INTERNAL, "cannot build the signature config");
	}
	json_decref(cfg);
	bh_sha256(config->data, config->len, &cd.digest);
	cd.size = (int64_t)config->len;
	man = json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType",
			TRUST_MT_OCI_MANIFEST, "config", trust_desc_json(&cd), "layers", layers);
	if (man)
		r = bh_json_dump_buf(man, JSON_COMPACT | JSON_PRESERVE_ORDER, manifest, err);
	json_decref(man);
	return r;
}
