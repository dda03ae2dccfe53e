/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Images in a registry: a blob source (struct bh_image_src) backed by the
 * registry client, so that the OCI reader (open.c) and the walk read a
 * registry image as they read a layout on disk.
 *
 * The reference's manifest (or index) is fetched and verified first; the
 * source then presents an index.json of one descriptor pointing at it, and
 * open.c selects the platform and reads manifest and config as for a
 * layout. Manifests and indexes are fetched from the manifests endpoint
 * (the source knows which digests are manifests: the top one and every
 * child an index it served lists), each held in memory once fetched; every
 * other digest is a blob, streamed from the registry into the walk's own
 * verifying stream and decompressor, one transfer per walk thread. No layer
 * lands on disk.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/registry.h"
#include "internal.h"
#include "banned.h"

/* A manifest the source knows of: fetched (data) or only named by an index. */
struct known {
	char *data;
	size_t len;
	char *media_type; /* what the index that named it says, or what was fetched */
};

struct reg_src {
	struct bh_image_src base;
	struct bh_registry *client;
	struct bh_registry_ref ref;
	char *index;
	size_t index_len;
	size_t max_manifest;
	struct bh_map *manifests; /* digest string -> struct known */
	pthread_mutex_t lock;
};

/* ---- a stream over bytes held in memory ----------------------------------- */

struct mem_stream {
	struct bh_stream s;
	char *p;
	size_t len, off;
};

static ssize_t mem_read(struct bh_stream *s, void *buf, size_t n, struct bh_error **err)
{
	struct mem_stream *m = (struct mem_stream *)s;

	if (n > m->len - m->off)
		n = m->len - m->off;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

static void mem_close(struct bh_stream *s)
{
	struct mem_stream *m = (struct mem_stream *)s;

	free(m->p);
	free(m);
}

static struct bh_stream *mem_stream(const char *p, size_t len)
{
	struct mem_stream *m = bh_calloc(1, sizeof(*m));

	m->s.read = mem_read;
	m->s.close = mem_close;
	m->p = bh_malloc(len + 1);
	memcpy(m->p, p, len);
	m->len = len;
	return &m->s;
}

/* ---- a blob streamed from the registry ------------------------------------ */

struct blob_stream {
	struct bh_stream s;
	struct bh_registry_blob *b;
};

static ssize_t blob_read(struct bh_stream *s, void *buf, size_t n, struct bh_error **err)
{
	return bh_registry_blob_read(((struct blob_stream *)s)->b, buf, n, err);
}

static void blob_close(struct bh_stream *s)
{
	bh_registry_blob_close(((struct blob_stream *)s)->b);
	free(s);
}

/* ---- the source ------------------------------------------------------------- */

static void known_free(void *p)
{
	struct known *k = p;

	free(k->data);
	free(k->media_type);
	free(k);
}

/* Call with s->lock held. */
static void remember(struct reg_src *s, const char *digest, const char *media_type)
{
	struct known *k = bh_map_get(s->manifests, digest, strlen(digest));

	if (k)
		return;
	k = bh_calloc(1, sizeof(*k));
	k->media_type = media_type ? bh_strdup(media_type) : NULL;
	bh_map_put(s->manifests, digest, strlen(digest), k);
}

/* The children of an index are manifests too. Call with s->lock held. */
static void remember_children(struct reg_src *s, const char *data, size_t len)
{
	json_t *j = NULL, *list, *d;
	size_t i;

	if (bh_json_parse(data, len, s->max_manifest, "index", &j, NULL) < 0)
		return; /* open.c will say what is wrong with it */
	list = bh_json_arr(j, "manifests");
	json_array_foreach (list, i, d) {
		const char *dg = bh_json_str(d, "digest"), *mt = bh_json_str(d, "mediaType");
		struct bh_digest parsed;

		if (i >= 4096)
			break;
		if (dg && mt && bh_digest_parse(dg, &parsed, NULL) == 0 &&
		    (!strcmp(mt, BH_MT_OCI_INDEX) || !strcmp(mt, BH_MT_DOCKER_LIST) ||
		     !strcmp(mt, BH_MT_OCI_MANIFEST) || !strcmp(mt, BH_MT_DOCKER_MANIFEST)))
			remember(s, parsed.str, mt);
	}
	json_decref(j);
}

static bool is_index(const char *mt)
{
	return mt && (!strcmp(mt, BH_MT_OCI_INDEX) || !strcmp(mt, BH_MT_DOCKER_LIST));
}

static int open_manifest(struct reg_src *s, const struct bh_digest *d, struct known *k,
			 struct bh_stream **out, int64_t *size, struct bh_error **err)
{
	struct bh_registry_ref ref = { .domain = s->ref.domain, .path = s->ref.path };
	struct bh_registry_manifest m;

	pthread_mutex_lock(&s->lock);
	if (k->data) {
		*out = mem_stream(k->data, k->len);
		*size = (int64_t)k->len;
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	pthread_mutex_unlock(&s->lock);
	ref.digest = *d;
	if (bh_registry_get_manifest(s->client, &ref, NULL, &m, err) < 0)
		return -1;
	if (k->media_type && strcmp(k->media_type, m.media_type)) {
		bh_error_set(err, BH_ERR_INVALID,
			     "manifest %s: its index says '%s' but the registry sent a '%s' (a "
			     "manifest that lies about its media type)",
			     d->str, k->media_type, m.media_type);
		bh_registry_manifest_release(&m);
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	if (!k->data) {
		k->data = m.data;
		k->len = m.len;
		m.data = NULL;
		if (!k->media_type)
			k->media_type = bh_strdup(m.media_type);
		if (is_index(k->media_type))
			remember_children(s, k->data, k->len);
	}
	*out = mem_stream(k->data, k->len);
	*size = (int64_t)k->len;
	pthread_mutex_unlock(&s->lock);
	bh_registry_manifest_release(&m);
	return 0;
}

static int reg_open_blob(struct bh_image_src *src, const struct bh_digest *digest, const char *name,
			 struct bh_stream **out, int64_t *size, struct bh_error **err)
{
	struct reg_src *s = (struct reg_src *)src;
	struct blob_stream *bs;
	struct known *k;

	*size = -1;
	if (!digest) {
		if (name && !strcmp(name, "index.json")) {
			*out = mem_stream(s->index, s->index_len);
			*size = (int64_t)s->index_len;
			return 0;
		}
		return bh_error_set(err, BH_ERR_NOTFOUND, "a registry image has no file %s",
				    name ? name : "(none)");
	}
	pthread_mutex_lock(&s->lock);
	k = bh_map_get(s->manifests, digest->str, strlen(digest->str));
	pthread_mutex_unlock(&s->lock);
	if (k)
		return open_manifest(s, digest, k, out, size, err);
	bs = bh_calloc(1, sizeof(*bs));
	bs->s.read = blob_read;
	bs->s.close = blob_close;
	/* the walk verifies digest and size in its own stream; the network runs
	 * ahead of it in a thread of the blob's own */
	if (bh_registry_blob_open(s->client, &s->ref, digest, -1,
				  BH_REGISTRY_NOVERIFY | BH_REGISTRY_READAHEAD, &bs->b, err) < 0) {
		free(bs);
		return -1;
	}
	*size = bh_registry_blob_size(bs->b);
	*out = &bs->s;
	return 0;
}

static void reg_src_free(struct bh_image_src *src)
{
	struct reg_src *s = (struct reg_src *)src;

	bh_registry_free(s->client);
	bh_registry_ref_release(&s->ref);
	bh_map_free(s->manifests, known_free);
	pthread_mutex_destroy(&s->lock);
	free(s->index);
	free(s);
}

int img_src_registry_repo(const struct bh_image_src *src, const struct bh_registry_ref **ref)
{
	if (!src || strcmp(src->kind, "registry"))
		return -1;
	*ref = &((const struct reg_src *)src)->ref;
	return 0;
}

int img_open_registry(struct bh_image *img, const char *reference,
		      const struct bh_image_open_opts *o, struct bh_error **err)
{
	struct reg_src *s = bh_calloc(1, sizeof(*s));
	struct bh_registry_manifest top = { 0 };
	struct bh_registry_opts ropts = { 0 };
	struct bh_image_open_opts oo = *o;
	json_t *index = NULL;
	char *ref_str = NULL;
	int r = -1;

	s->base.kind = "registry";
	s->base.open = reg_open_blob;
	s->base.free = reg_src_free;
	s->base.rootfd = -1;
	s->manifests = bh_map_new();
	pthread_mutex_init(&s->lock, NULL);
	img->src = &s->base;
	img->kind = BH_IMAGE_REGISTRY;
	if (bh_registry_ref_parse(reference, BH_REF_NORMALIZE, &s->ref, err) < 0)
		goto out;
	ref_str = bh_registry_ref_string(&s->ref);
	free(img->location);
	img->location = bh_strdup(ref_str);
	img->name = bh_strdup(ref_str);
	if (o->registry)
		ropts = *o->registry;
	s->max_manifest = ropts.max_manifest ? ropts.max_manifest : (4u << 20);
	if (s->max_manifest > img->limits.max_json)
		s->max_manifest = img->limits.max_json;
	ropts.max_manifest = s->max_manifest;
	if (bh_registry_new(&ropts, &s->client, err) < 0)
		goto out;
	if (bh_registry_get_manifest(s->client, &s->ref, NULL, &top, err) < 0)
		goto out;
	{
		struct known *k = bh_calloc(1, sizeof(*k));

		k->data = top.data;
		k->len = top.len;
		k->media_type = bh_strdup(top.media_type);
		top.data = NULL;
		bh_map_put(s->manifests, top.digest.str, strlen(top.digest.str), k);
		if (is_index(k->media_type))
			remember_children(s, k->data, k->len);
		/* the one descriptor open.c starts from */
		index = json_pack("{s:i, s:s, s:[{s:s, s:s, s:I, s:{s:s, s:s}}]}", "schemaVersion",
				  2, "mediaType", BH_MT_OCI_INDEX, "manifests", "mediaType",
				  k->media_type, "digest", top.digest.str, "size",
				  (json_int_t)k->len, "annotations", BH_ANN_SOURCE, ref_str,
				  BH_ANN_SOURCE_DIGEST, top.digest.str);
		s->index = json_dumps(index, JSON_COMPACT);
		s->index_len = strlen(s->index);
	}
	/* a reference names one image: --ref selects nothing more */
	oo.ref = NULL;
	r = bh_image_open_oci(img, &oo, err);
out:
	if (r < 0)
		bh_error_prefix(err, "%s", ref_str ? ref_str : reference);
	bh_registry_manifest_release(&top);
	json_decref(index);
	free(ref_str);
	return r;
}
