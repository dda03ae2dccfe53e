/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading an image's metadata: for an OCI layout, index.json (and nested
 * indexes) down to one manifest chosen by reference name and platform, then
 * the manifest and config, each verified against its descriptor; for a
 * docker-archive, manifest.json and the config named there.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

#define MAX_INDEX_DEPTH 4

static const char *default_platform(void)
{
	return "linux/amd64";
}

static bool platform_matches(const struct bh_descriptor *d, const char *want)
{
	char have[256];

	if (!d->os || !d->arch)
		return true; /* no platform information: cannot exclude it */
	if (d->variant)
		snprintf(have, sizeof(have), "%s/%s/%s", d->os, d->arch, d->variant);
	else
		snprintf(have, sizeof(have), "%s/%s", d->os, d->arch);
	/* "linux/arm64" matches "linux/arm64/v8"; an exact variant must match. */
	return !strcmp(have, want) || (bh_str_has_prefix(have, want) && have[strlen(want)] == '/');
}

int img_platform_check(const struct bh_image *img, const char *platform, struct bh_error **err)
{
	struct bh_descriptor p = { .os = img->config.os,
				   .arch = img->config.architecture,
				   .variant = img->config.variant };

	if (!platform_matches(&p, platform))
		return bh_error_set(err, BH_ERR_NOTFOUND, "the image is for %s/%s, not %s",
				    img->config.os, img->config.architecture, platform);
	return 0;
}

static bool is_index(const char *mt)
{
	return !strcmp(mt, BH_MT_OCI_INDEX) || !strcmp(mt, BH_MT_DOCKER_LIST);
}

static bool is_manifest(const char *mt)
{
	return !strcmp(mt, BH_MT_OCI_MANIFEST) || !strcmp(mt, BH_MT_DOCKER_MANIFEST);
}

/*
 * What sits beside an image in a layout and is not an image to open: cosign's
 * tags "sha256-<hex>.sig" / ".att" / ".sbom" (and "sha256-<hex>", the
 * referrers tag schema) and OCI 1.1 artifacts (a descriptor with an
 * artifactType, e.g. a Sigstore bundle referrer).
 */
static bool is_cosign_tag(const char *name)
{
	size_t i;

	if (!name || !bh_str_has_prefix(name, "sha256-"))
		return false;
	for (i = 7; i < 7 + 64; i++)
		if (!(bh_isdigit(name[i]) || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	name += 7 + 64;
	return !*name || !strcmp(name, ".sig") || !strcmp(name, ".att") || !strcmp(name, ".sbom");
}

/*
 * Choose one manifest descriptor from an index JSON. At the top level `ref`
 * filters by reference name; at every level the platform filters.
 */
static int select_manifest(struct bh_image *img, json_t *index, const char *ref,
			   const char *platform, int depth, struct bh_descriptor *out,
			   struct bh_error **err)
{
	json_t *mans = bh_json_arr(index, "manifests"), *m;
	struct bh_descriptor *cand = NULL;
	struct bh_buf names = BH_BUF_INIT(4096);
	size_t ncand = 0, i;
	int r = -1;

	if (!json_is_object(index))
		return bh_error_set(err, BH_ERR_INVALID, "index is not a JSON object");
	if (!mans)
		return bh_error_set(err, BH_ERR_INVALID, "index has no manifests array");
	if (json_array_size(mans) > 4096)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "index lists %zu manifests, the limit is 4096",
				    json_array_size(mans));
	cand = bh_calloc(json_array_size(mans) + 1, sizeof(*cand));
	json_array_foreach (mans, i, m) {
		struct bh_descriptor d;
		char what[48];

		snprintf(what, sizeof(what), "index manifests[%zu]", i);
		if (bh_descriptor_parse(m, what, &d, err) < 0)
			goto out;
		if (d.ref_name) {
			if (names.len)
				bh_buf_adds(&names, ", ", NULL);
			bh_buf_adds(&names, d.ref_name, NULL);
		}
		if (!ref && depth == 0 &&
		    (is_cosign_tag(d.ref_name) || bh_json_str(m, "artifactType"))) {
			bh_descriptor_release(&d);
			continue;
		}
		if ((ref && depth == 0 && (!d.ref_name || strcmp(d.ref_name, ref))) ||
		    !platform_matches(&d, platform) ||
		    (!is_index(d.media_type) && !is_manifest(d.media_type))) {
			bh_descriptor_release(&d);
			continue;
		}
		cand[ncand++] = d;
	}
	if (ncand == 0) {
		if (ref && depth == 0)
			bh_error_set(err, BH_ERR_NOTFOUND,
				     "no image named '%s' in the index (it has: %s)", ref,
				     names.len ? names.data : "no names");
		else
			bh_error_set(err, BH_ERR_NOTFOUND, "no image for platform %s in the index",
				     platform);
		goto out;
	}
	if (ncand > 1) {
		/* Several images, none chosen by platform: ask for a name. */
		bool distinct_platforms = true;

		for (i = 0; i < ncand; i++)
			if (!cand[i].os)
				distinct_platforms = false;
		if (!distinct_platforms || !ref) {
			bh_error_set(err, BH_ERR_USAGE,
				     "the index holds %zu images for platform %s; choose one with "
				     "--ref (names: %s)",
				     ncand, platform, names.len ? names.data : "none");
			goto out;
		}
	}
	if (depth == 0 && cand[0].source_ref && !img->source_ref) {
		img->source_ref = bh_strdup(cand[0].source_ref);
		img->source_digest = cand[0].source_digest;
		if (cand[0].source_time)
			img->source_time = bh_strdup(cand[0].source_time);
	}
	if (is_index(cand[0].media_type)) {
		struct bh_buf b = BH_BUF_INIT(img->limits.max_json);
		json_t *nested;

		if (depth + 1 >= MAX_INDEX_DEPTH) {
			bh_error_set(err, BH_ERR_LIMIT, "indexes nested deeper than %d",
				     MAX_INDEX_DEPTH);
			goto out;
		}
		if (bh_image_src_read_blob(img->src, &cand[0].digest, cand[0].size, NULL,
					   img->limits.max_json, cand[0].digest.str, &b, err) < 0 ||
		    bh_json_parse(b.data, b.len, img->limits.max_json, cand[0].digest.str, &nested,
				  err) < 0) {
			bh_buf_release(&b);
			bh_error_prefix(err, "nested index");
			goto out;
		}
		bh_buf_release(&b);
		if (!img->name && cand[0].ref_name)
			img->name = bh_strdup(cand[0].ref_name);
		r = select_manifest(img, nested, ref, platform, depth + 1, out, err);
		json_decref(nested);
		goto out;
	}
	*out = cand[0];
	memset(&cand[0], 0, sizeof(cand[0]));
	r = 0;
out:
	for (i = 0; i < ncand; i++)
		bh_descriptor_release(&cand[i]);
	free(cand);
	bh_buf_release(&names);
	return r;
}

static int read_json_blob(struct bh_image *img, const struct bh_digest *d, int64_t size,
			  const char *name, const char *what, json_t **out, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(img->limits.max_json);
	int r;

	r = bh_image_src_read_blob(img->src, d, size, name, img->limits.max_json, what, &b, err);
	if (r == 0)
		r = bh_json_parse(b.data, b.len, img->limits.max_json, what, out, err);
	bh_buf_release(&b);
	return r;
}

int bh_image_open_oci(struct bh_image *img, const struct bh_image_open_opts *opts,
		      struct bh_error **err)
{
	const char *platform = opts->platform ? opts->platform : default_platform();
	struct bh_descriptor man = { 0 }, cfg = { 0 };
	json_t *index = NULL, *layout = NULL, *manifest = NULL, *config = NULL;
	int r = -1;

	if (read_json_blob(img, NULL, -1, "oci-layout", "oci-layout", &layout, NULL) == 0) {
		const char *v = bh_json_str(layout, "imageLayoutVersion");

		if (!v || strcmp(v, "1.0.0"))
			bh_warn("%s: oci-layout declares version '%s', expected 1.0.0",
				img->location, v ? v : "(none)");
	}
	if (read_json_blob(img, NULL, -1, "index.json", "index.json", &index, err) < 0)
		goto out;
	if (select_manifest(img, index, opts->ref, platform, 0, &man, err) < 0)
		goto out;
	if (!img->name && man.ref_name)
		img->name = bh_strdup(man.ref_name);
	if (read_json_blob(img, &man.digest, man.size, NULL, man.digest.str, &manifest, err) < 0) {
		bh_error_prefix(err, "manifest");
		goto out;
	}
	img->has_manifest = true;
	img->manifest_digest = man.digest;
	img->manifest_size = man.size;
	img->manifest_media_type = bh_strdup(man.media_type);
	if (bh_manifest_parse(img, manifest, &cfg, err) < 0) {
		bh_error_prefix(err, "manifest %s", man.digest.str);
		goto out;
	}
	img->manifest_json = json_incref(manifest);
	img->config_digest = cfg.digest;
	img->config_media_type = bh_strdup(cfg.media_type);
	if (read_json_blob(img, &cfg.digest, cfg.size, NULL, cfg.digest.str, &config, err) < 0) {
		bh_error_prefix(err, "config");
		goto out;
	}
	if (bh_config_parse(img, config, err) < 0) {
		bh_error_prefix(err, "config %s", cfg.digest.str);
		goto out;
	}
	if (opts->platform && img_platform_check(img, opts->platform, err) < 0)
		goto out;
	r = 0;
out:
	bh_descriptor_release(&man);
	bh_descriptor_release(&cfg);
	json_decref(index);
	json_decref(layout);
	json_decref(manifest);
	json_decref(config);
	return r;
}

/* The digest a docker-archive file name implies: "<hex>.json", "<hex>.tar",
 * "blobs/sha256/<hex>"; false when the name carries none. */
static bool digest_from_name(const char *name, struct bh_digest *d)
{
	const char *base = strrchr(name, '/');
	char tmp[80];
	size_t n;

	base = base ? base + 1 : name;
	n = strcspn(base, ".");
	if (n != 64 || (base[n] && strcmp(base + n, ".json") && strcmp(base + n, ".tar")))
		return false;
	snprintf(tmp, sizeof(tmp), "sha256:%.*s", (int)n, base);
	return bh_digest_parse(tmp, d, NULL) == 0;
}

static bool tag_matches(const char *tag, const char *want)
{
	size_t n = strlen(want);

	if (!strcmp(tag, want))
		return true;
	/* "name" means "name:latest"; a tag may carry a registry prefix. */
	return !strchr(want, ':') && !strncmp(tag, want, n) && !strcmp(tag + n, ":latest");
}

int bh_image_open_docker(struct bh_image *img, const struct bh_image_open_opts *opts,
			 struct bh_error **err)
{
	json_t *list = NULL, *entry = NULL, *config = NULL, *layers, *e, *t;
	struct bh_buf tags = BH_BUF_INIT(4096);
	struct bh_digest cdig;
	const char *cfile;
	size_t i, j;
	int r = -1;

	if (read_json_blob(img, NULL, -1, "manifest.json", "manifest.json", &list, err) < 0)
		goto out;
	if (!json_is_array(list) || json_array_size(list) == 0) {
		bh_error_set(err, BH_ERR_INVALID, "manifest.json is not a non-empty array");
		goto out;
	}
	json_array_foreach (list, i, e) {
		json_t *rt = bh_json_arr(e, "RepoTags");

		json_array_foreach (rt, j, t) {
			if (!json_is_string(t))
				continue;
			if (tags.len)
				bh_buf_adds(&tags, ", ", NULL);
			bh_buf_adds(&tags, json_string_value(t), NULL);
			if (opts->ref && !entry && tag_matches(json_string_value(t), opts->ref)) {
				entry = e;
				if (!img->name)
					img->name = bh_strdup(json_string_value(t));
			}
		}
	}
	if (opts->ref && !entry) {
		bh_error_set(err, BH_ERR_NOTFOUND,
			     "no image tagged '%s' in manifest.json (it has: %s)", opts->ref,
			     tags.len ? tags.data : "no tags");
		goto out;
	}
	if (!entry) {
		if (json_array_size(list) > 1) {
			bh_error_set(
				err, BH_ERR_USAGE,
				"the archive holds %zu images; choose one with --ref (tags: %s)",
				json_array_size(list), tags.len ? tags.data : "none");
			goto out;
		}
		entry = json_array_get(list, 0);
		t = json_array_get(bh_json_arr(entry, "RepoTags"), 0);
		if (json_is_string(t))
			img->name = bh_strdup(json_string_value(t));
	}
	cfile = bh_json_str(entry, "Config");
	layers = bh_json_arr(entry, "Layers");
	if (!cfile || !layers) {
		bh_error_set(err, BH_ERR_INVALID, "manifest.json entry has no Config or Layers");
		goto out;
	}
	if (json_array_size(layers) > img->limits.max_layers) {
		bh_error_set(err, BH_ERR_LIMIT, "manifest.json lists %zu layers, the limit is %u",
			     json_array_size(layers), img->limits.max_layers);
		goto out;
	}
	img->layers = bh_calloc(json_array_size(layers) + 1, sizeof(*img->layers));
	json_array_foreach (layers, i, e) {
		struct bh_layer *L = &img->layers[i];
		struct bh_stream *s;
		unsigned char magic[4];
		ssize_t n;

		if (!json_is_string(e)) {
			bh_error_set(err, BH_ERR_INVALID,
				     "manifest.json Layers[%zu] is not a string", i);
			goto out;
		}
		img->nlayers = i + 1;
		L->file = bh_strdup(json_string_value(e));
		if (img->src->open(img->src, NULL, L->file, &s, &L->size, err) < 0) {
			bh_error_prefix(err, "layer %zu named by manifest.json", i + 1);
			goto out;
		}
		n = bh_stream_read(s, magic, sizeof(magic), NULL);
		bh_stream_close(s);
		L->compression = bh_sniff_compression(magic, n > 0 ? (size_t)n : 0);
		/* Newer archives name layers by their blob digest: verify that too. */
		if (bh_str_has_prefix(L->file, "blobs/"))
			digest_from_name(L->file, &L->digest);
	}
	/* The config's digest is the image ID; its file name must agree. */
	{
		struct bh_buf b = BH_BUF_INIT(img->limits.max_json);
		struct bh_digest named;
		bool has_name = digest_from_name(cfile, &named);

		if (bh_image_src_read_blob(img->src, has_name ? &named : NULL, -1, cfile,
					   img->limits.max_json, cfile, &b, err) < 0 ||
		    bh_json_parse(b.data, b.len, img->limits.max_json, cfile, &config, err) < 0) {
			bh_buf_release(&b);
			bh_error_prefix(err, "config");
			goto out;
		}
		bh_sha256(b.data, b.len, &cdig);
		bh_buf_release(&b);
	}
	img->config_digest = cdig;
	if (bh_config_parse(img, config, err) < 0) {
		bh_error_prefix(err, "config %s", cdig.str);
		goto out;
	}
	r = 0;
out:
	bh_buf_release(&tags);
	json_decref(list);
	json_decref(config);
	return r;
}
