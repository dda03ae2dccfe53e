/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What an IMAGE argument of sign, attest and verify names, and where its
 * signatures are kept: an OCI layout directory (its store beside the image)
 * or a repository in a registry (the store is that repository: cosign's
 * `sha256-<hex>.sig` tags and referrers live beside the image).
 *
 * A registry reference is resolved once, here, by a GET of its manifest: the
 * digest is the SHA-256 of the bytes received (not a header's word), and it
 * is that digest that is signed and verified, as cosign does (an index's
 * digest when the reference names an index). Everything after works on the
 * digest, so a tag that moves in the meantime changes nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bulkhead/trust.h"
#include "trust/internal.h"
#include "banned.h"

static const char *const local_prefixes[] = { "oci:",	 "oci-archive:",   "docker-archive:",
					      "rootfs:", "docker-daemon:", "containers-storage:" };

bool trust_is_registry_ref(const char *image)
{
	struct stat st;
	const char *c;

	if (bh_str_has_prefix(image, "docker://"))
		return true;
	for (size_t i = 0; i < sizeof(local_prefixes) / sizeof(local_prefixes[0]); i++)
		if (bh_str_has_prefix(image, local_prefixes[i]))
			return false;
	if (stat(image, &st) == 0)
		return false;
	for (c = strchr(image, ':'); c; c = strchr(c + 1, ':')) {
		char *p = bh_strndup(image, (size_t)(c - image));
		bool exists = stat(p, &st) == 0;

		free(p);
		if (exists)
			return false;
	}
	return true;
}

void trust_target_release(struct trust_target *t)
{
	free(t->media_type);
	free(t->name);
	free(t->identity);
	free(t->manifest);
	bh_registry_ref_release(&t->ref);
	bh_registry_free(t->client);
	memset(t, 0, sizeof(*t));
}

int trust_open_remote(struct bh_registry *client, const struct bh_registry_ref *ref,
		      struct trust_target *t, struct trust_store **store, struct bh_error **err)
{
	struct bh_registry_manifest m = { 0 };

	*store = NULL;
	if (bh_registry_get_manifest(client, ref, NULL, &m, err) < 0)
		return -1;
	t->remote = true;
	if (!t->ref.path)
		bh_registry_ref_copy(ref, &t->ref);
	t->digest = m.digest;
	t->media_type = bh_strdup(m.media_type);
	t->size = (int64_t)m.len;
	t->name = bh_registry_ref_name(ref);
	/* cosign's docker-reference: the repository, without tag or digest */
	t->identity = bh_strdup(t->name);
	t->manifest = m.data;
	t->manifest_len = m.len;
	m.data = NULL;
	bh_registry_manifest_release(&m);
	return trust_store_registry(client, ref, store, err);
}

static int open_registry(const char *image, const struct bh_image_open_opts *oo,
			 struct trust_target *t, struct trust_store **store, struct bh_error **err)
{
	if (bh_registry_ref_parse(image, BH_REF_NORMALIZE, &t->ref, err) < 0)
		return bh_error_prefix(err, "'%s'", image);
	if (bh_registry_new(oo ? oo->registry : NULL, &t->client, err) < 0)
		return -1;
	return trust_open_remote(t->client, &t->ref, t, store, err);
}

int trust_open(const char *image, const struct bh_image_open_opts *oo, struct trust_target *t,
	       struct trust_store **store, struct bh_error **err)
{
	struct bh_image *img = NULL;
	int r = -1;

	memset(t, 0, sizeof(*t));
	*store = NULL;
	if (trust_is_registry_ref(image)) {
		r = open_registry(image, oo, t, store, err);
		if (r < 0)
			trust_target_release(t);
		return r;
	}
	if (bh_image_open(image, oo, &img, err) < 0)
		return -1;
	if (img->kind != BH_IMAGE_OCI_DIR || !img->has_manifest) {
		bh_error_set(err, BH_ERR_UNSUPPORTED,
			     "%s: a %s keeps no signatures beside it; signatures live in an OCI "
			     "layout directory or a registry (push it, or skopeo copy %s "
			     "oci:DIR:TAG, then use that)",
			     image, bh_image_kind_name(img->kind), image);
		goto out;
	}
	if (trust_store_oci(img->location, store, err) < 0)
		goto out;
	t->digest = img->manifest_digest;
	t->media_type = bh_strdup(img->manifest_media_type);
	t->size = img->manifest_size;
	t->name = img->name ? bh_strdup(img->name) : NULL;
	t->identity = bh_strdup(img->name ? img->name : "");
	r = 0;
out:
	bh_image_free(img);
	if (r < 0)
		trust_target_release(t);
	return r;
}

int bh_trust_pin(const char *image, const struct bh_image_open_opts *oo, char **pinned,
		 struct bh_error **err)
{
	struct bh_registry_ref ref = { 0 };
	struct bh_registry *client = NULL;
	struct bh_registry_manifest m = { 0 };
	int r = -1;

	*pinned = NULL;
	if (!trust_is_registry_ref(image)) {
		*pinned = bh_strdup(image);
		return 0;
	}
	if (bh_registry_ref_parse(image, BH_REF_NORMALIZE, &ref, err) < 0) {
		bh_error_prefix(err, "'%s'", image);
		goto out;
	}
	if (ref.digest.str[0]) {
		*pinned = bh_registry_ref_string(&ref);
		r = 0;
		goto out;
	}
	if (bh_registry_new(oo ? oo->registry : NULL, &client, err) < 0 ||
	    bh_registry_get_manifest(client, &ref, NULL, &m, err) < 0)
		goto out;
	ref.digest = m.digest;
	*pinned = bh_registry_ref_string(&ref);
	r = 0;
out:
	bh_registry_manifest_release(&m);
	bh_registry_free(client);
	bh_registry_ref_release(&ref);
	return r;
}
