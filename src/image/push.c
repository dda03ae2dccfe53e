/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pushing an image to a registry: its blobs (config and layers) in parallel,
 * each skipped when the repository has it and mounted from the source
 * repository when the image was read from the same registry; then the
 * manifest, byte for byte as the image has it, under the tag or digest.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/registry.h"
#include "copy.h"
#include "banned.h"

#define PROGRESS_STEP (512u << 10)

struct push {
	struct bh_registry *client;
	struct bh_registry_ref ref;
	const char *mount_from; /* a repository of the same registry, or NULL */
	atomic_uint uploaded, existed, mounted;
};

/* The upload reads the verified blob stream. */
struct push_src {
	struct bh_image *img;
	struct bh_stream *s; /* opened on the first read */
	const struct bh_image_copy_opts *o;
	const struct img_plan *plan;
	size_t index;
	uint64_t done, reported;
};

static ssize_t push_read(void *data, void *buf, size_t n, struct bh_error **err)
{
	struct push_src *ps = data;
	ssize_t k;

	if (!ps->s && img_plan_open(ps->img, ps->plan, ps->index, &ps->s, err) < 0)
		return -1;
	k = bh_stream_read(ps->s, buf, n, err);

	if (k > 0) {
		ps->done += (uint64_t)k;
		if (ps->done - ps->reported >= PROGRESS_STEP) {
			img_progress(ps->o, BH_PROGRESS_BYTES, ps->index, ps->plan->n,
				     &ps->plan->blobs[ps->index], ps->done);
			ps->reported = ps->done;
		}
	}
	return k;
}

static int push_one(struct img_copier *c, size_t i, struct bh_error **err)
{
	struct push *p = c->data;
	const struct img_blob *b = &c->plan->blobs[i];
	struct push_src ps = { .img = c->img, .o = c->o, .plan = c->plan, .index = i };
	struct bh_registry_source src = { push_read, &ps };
	int r;

	if (b->size < 0)
		return bh_error_set(err, BH_ERR_INVALID, "blob %s: its size is unknown",
				    b->digest.str);
	/* the stream opens lazily: a blob the registry has is never read */
	r = bh_registry_put_blob(p->client, &p->ref, &b->digest, (uint64_t)b->size, &src,
				 p->mount_from, NULL, NULL, err);
	bh_stream_close(ps.s);
	switch (r) {
	case BH_REGISTRY_PUT_EXISTS: atomic_fetch_add(&p->existed, 1); return BH_PROGRESS_EXISTS;
	case BH_REGISTRY_PUT_MOUNTED: atomic_fetch_add(&p->mounted, 1); return BH_PROGRESS_MOUNTED;
	case BH_REGISTRY_PUT_UPLOADED: atomic_fetch_add(&p->uploaded, 1); return BH_PROGRESS_DONE;
	default: return -1;
	}
}

int bh_image_push(struct bh_image *img, const char *ref, const struct bh_image_copy_opts *o,
		  struct bh_image_push_result *res, struct bh_error **err)
{
	struct push p = { 0 };
	struct img_plan plan = { 0 };
	const struct bh_registry_ref *from = NULL;
	const char *target;
	int r = -1;

	if (res)
		memset(res, 0, sizeof(*res));
	if (bh_registry_ref_parse(ref, BH_REF_NORMALIZE, &p.ref, err) < 0)
		return bh_error_prefix(err, "'%s'", ref);
	if (bh_registry_new(o ? o->registry : NULL, &p.client, err) < 0)
		goto out;
	if (img_plan_build(img, &plan, err) < 0)
		goto out;
	/* from another repository of the same registry: mount, do not copy */
	if (img_src_registry_repo(img->src, &from) == 0 && !strcmp(from->domain, p.ref.domain) &&
	    strcmp(from->path, p.ref.path))
		p.mount_from = from->path;
	{
		struct img_copier c = {
			.img = img, .plan = &plan, .o = o, .one = push_one, .data = &p
		};

		if (img_copy_blobs(&c, err) < 0 || img_plan_seal(&plan, err) < 0)
			goto out;
	}
	if (p.ref.digest.str[0] && strcmp(p.ref.digest.str, plan.manifest_digest.str)) {
		bh_error_set(err, BH_ERR_DIGEST,
			     "the reference names the digest %s, but the image's manifest is %s",
			     p.ref.digest.str, plan.manifest_digest.str);
		goto out;
	}
	/* the tag when there is one (a digest alone: by digest) */
	target = p.ref.tag ? p.ref.tag : plan.manifest_digest.str;
	if (bh_registry_put_manifest(p.client, &p.ref, target, plan.manifest_type, plan.manifest,
				     plan.manifest_len, res ? &res->digest : NULL, err) < 0)
		goto out;
	if (res) {
		res->uploaded = atomic_load(&p.uploaded);
		res->existed = atomic_load(&p.existed);
		res->mounted = atomic_load(&p.mounted);
	}
	r = 0;
out:
	if (r < 0) {
		char *s = bh_registry_ref_string(&p.ref);

		bh_error_prefix(err, "pushing to %s", p.ref.path ? s : ref);
		free(s);
	}
	img_plan_release(&plan);
	bh_registry_ref_release(&p.ref);
	bh_registry_free(p.client);
	return r;
}
