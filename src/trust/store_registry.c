/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The trust store of a repository in a registry, on the registry client
 * (include/bulkhead/registry.h): cosign's tags `sha256-<hex>.sig` / `.att`
 * are manifests of the image's own repository, their layers blobs of it;
 * Sigstore bundles are OCI 1.1 referrers (manifests with a `subject`), found
 * through the referrers API or, on a registry without it (distribution 2.8,
 * most registries today), through the referrers tag schema: an index tagged
 * `sha256-<hex>` listing them.
 *
 * Every manifest read by digest is checked against it by the client, every
 * blob against its digest and size; reads are bounded by the caller's `max`.
 *
 * Writing a referrer where the registry has no referrers API: the manifest is
 * put by digest, then the `sha256-<hex>` index is read, the descriptor added
 * (once) and the index put back, as the distribution spec asks of clients
 * (and as cosign and oras do). Like theirs, this read-modify-write is not
 * atomic: two clients adding referrers to one image at the same instant can
 * lose one entry of the index (never a manifest); signing again re-adds it.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/registry.h"
#include "bulkhead/trust.h"
#include "trust/internal.h"
#include "banned.h"

/* An index of the tag schema holds at most this many referrers. */
#define TAG_SCHEMA_MAX 1024

struct reg_store {
	struct trust_store base;
	struct bh_registry *client;  /* borrowed */
	struct bh_registry_ref repo; /* domain and path only */
};

static struct bh_registry_ref at(const struct reg_store *s, const char *tag,
				 const struct bh_digest *d)
{
	struct bh_registry_ref r = { .domain = s->repo.domain, .path = s->repo.path };

	r.tag = (char *)tag;
	if (d)
		r.digest = *d;
	return r;
}

static int rs_get_manifest(struct trust_store *ts, const char *ref, size_t max, struct bh_buf *body,
			   char **media_type, struct bh_digest *d, struct bh_error **err)
{
	struct reg_store *s = (struct reg_store *)ts;
	struct bh_registry_manifest m = { 0 };
	struct bh_registry_ref r;
	struct bh_digest want;
	struct bh_error *e = NULL;
	int rc = -1;

	*media_type = NULL;
	if (bh_digest_parse(ref, &want, NULL) == 0)
		r = at(s, NULL, &want);
	else
		r = at(s, ref, NULL);
	if (bh_registry_get_manifest(s->client, &r, NULL, &m, &e) < 0) {
		if (bh_error_code(e) == BH_ERR_NOTFOUND) {
			bh_error_free(e);
			return 0;
		}
		*err = e;
		return -1;
	}
	if (m.len > max) {
		bh_error_set(err, BH_ERR_LIMIT, "%s: manifest %s of %zu bytes (limit %zu)",
			     ts->name, ref, m.len, max);
		goto out;
	}
	if (bh_buf_add(body, m.data, m.len, err) < 0)
		goto out;
	*media_type = m.media_type;
	m.media_type = NULL;
	*d = m.digest;
	rc = 1;
out:
	bh_registry_manifest_release(&m);
	return rc;
}

static int rs_get_blob(struct trust_store *ts, const struct bh_digest *d, int64_t size, size_t max,
		       struct bh_buf *out, struct bh_error **err)
{
	struct reg_store *s = (struct reg_store *)ts;
	struct bh_registry_ref r = at(s, NULL, NULL);
	struct bh_buf b = BH_BUF_INIT(max);
	int rc;

	if (size > 0 && (uint64_t)size > max)
		return bh_error_set(err, BH_ERR_LIMIT, "%s: blob %s of %lld bytes (limit %zu)",
				    ts->name, d->str, (long long)size, max);
	rc = bh_registry_get_blob(s->client, &r, d, size, &b, err);
	if (rc == 0)
		rc = bh_buf_add(out, b.data ? b.data : "", b.len, err);
	bh_buf_release(&b);
	return rc;
}

static int rs_put_blob(struct trust_store *ts, const void *p, size_t n, struct bh_digest *d,
		       struct bh_error **err)
{
	struct reg_store *s = (struct reg_store *)ts;
	struct bh_registry_ref r = at(s, NULL, NULL);

	return bh_registry_put_blob_buf(s->client, &r, p, n, d, err) < 0 ? -1 : 0;
}

/*
 * The referrer `d` (a manifest whose subject is `subject`) added to the index
 * at the tag schema's tag, unless it is listed there already.
 */
static int tag_schema_add(struct reg_store *s, const struct bh_digest *subject,
			  const struct trust_desc *d, struct bh_error **err)
{
	char *tag = trust_tag(subject, "");
	struct bh_buf b = BH_BUF_INIT(BH_TRUST_MANIFEST_MAX),
		      out = BH_BUF_INIT(BH_TRUST_MANIFEST_MAX);
	struct bh_registry_ref r = at(s, tag, NULL);
	struct bh_digest got;
	json_t *idx = NULL, *list, *m;
	char *mt = NULL;
	size_t i;
	int found, rc = -1;

	found = rs_get_manifest(&s->base, tag, BH_TRUST_MANIFEST_MAX, &b, &mt, &got, err);
	if (found < 0)
		goto out;
	if (found) {
		if (strcmp(mt, TRUST_MT_OCI_INDEX)) {
			bh_error_set(err, BH_ERR_INVALID,
				     "the referrers tag %s is a '%s', not an OCI index", tag, mt);
			goto out;
		}
		if (bh_json_parse(b.data, b.len, BH_TRUST_MANIFEST_MAX, tag, &idx, err) < 0)
			goto out;
		list = bh_json_arr(idx, "manifests");
		if (!list) {
			bh_error_set(err, BH_ERR_INVALID, "the referrers index %s has no manifests",
				     tag);
			goto out;
		}
		json_array_foreach (list, i, m) {
			const char *dg = bh_json_str(m, "digest");

			if (dg && !strcmp(dg, d->digest.str)) {
				rc = 0; /* listed already */
				goto out;
			}
		}
		if (json_array_size(list) >= TAG_SCHEMA_MAX) {
			bh_error_set(err, BH_ERR_LIMIT, "the referrers index %s lists %d manifests",
				     tag, TAG_SCHEMA_MAX);
			goto out;
		}
	} else {
		idx = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
				TRUST_MT_OCI_INDEX, "manifests");
		list = bh_json_arr(idx, "manifests");
	}
	json_array_append_new(list, trust_desc_json(d));
	if (bh_json_dump_buf(idx, JSON_COMPACT | JSON_PRESERVE_ORDER, &out, err) < 0 ||
	    bh_registry_put_manifest(s->client, &r, tag, TRUST_MT_OCI_INDEX, out.data, out.len,
				     NULL, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		bh_error_prefix(err, "%s: the referrers tag schema", s->base.name);
	json_decref(idx);
	free(mt);
	free(tag);
	bh_buf_release(&b);
	bh_buf_release(&out);
	return rc;
}

static int rs_put_manifest(struct trust_store *ts, const char *tag, const char *media_type,
			   const char *artifact_type, const void *p, size_t n, struct bh_digest *d,
			   struct bh_error **err)
{
	struct reg_store *s = (struct reg_store *)ts;
	struct bh_registry_ref r = at(s, tag, NULL);
	struct trust_desc desc = { 0 };
	json_t *doc = NULL, *ix = NULL;
	const char *sd;
	struct bh_digest subject;
	bool api = false;
	int rc = -1;

	if (bh_registry_put_manifest(s->client, &r, tag, media_type, p, n, d, err) < 0)
		return -1;
	if (tag)
		return 0;
	/* an untagged manifest is a referrer: is it found by its subject? */
	if (bh_json_parse(p, n, BH_TRUST_MANIFEST_MAX, "referrer", &doc, err) < 0)
		return -1;
	sd = bh_json_str(bh_json_obj(doc, "subject"), "digest");
	if (!sd || bh_digest_parse(sd, &subject, NULL) < 0) {
		rc = 0; /* no subject: nothing refers */
		goto out;
	}
	if (bh_registry_referrers(s->client, &r, &subject, NULL, &ix, &api, err) < 0)
		goto out;
	if (api) {
		rc = 0;
		goto out;
	}
	desc.media_type = (char *)media_type;
	desc.digest = *d;
	desc.size = (int64_t)n;
	desc.artifact_type = (char *)artifact_type;
	desc.annotations = bh_json_obj(doc, "annotations");
	rc = tag_schema_add(s, &subject, &desc, err);
out:
	json_decref(ix);
	json_decref(doc);
	return rc;
}

static int rs_referrers(struct trust_store *ts, const struct bh_digest *subject,
			struct trust_desc **out, size_t *n, struct bh_error **err)
{
	struct reg_store *s = (struct reg_store *)ts;
	struct bh_registry_ref r = at(s, NULL, NULL);
	json_t *ix = NULL, *m;
	size_t i;

	*out = NULL;
	*n = 0;
	if (bh_registry_referrers(s->client, &r, subject, NULL, &ix, NULL, err) < 0)
		return -1;
	json_array_foreach (bh_json_arr(ix, "manifests"), i, m) {
		struct trust_desc d;

		/* a descriptor we cannot read is no referrer of ours */
		if (trust_desc_parse(m, "referrer", &d, NULL) < 0)
			continue;
		*out = bh_reallocarray(*out, *n + 1, sizeof(**out));
		(*out)[(*n)++] = d;
	}
	json_decref(ix);
	return 0;
}

static void rs_free(struct trust_store *ts)
{
	struct reg_store *s = (struct reg_store *)ts;

	bh_registry_ref_release(&s->repo);
	free(ts->name);
	free(s);
}

static const struct trust_store_ops registry_ops = {
	.get_manifest = rs_get_manifest,
	.put_manifest = rs_put_manifest,
	.get_blob = rs_get_blob,
	.put_blob = rs_put_blob,
	.referrers = rs_referrers,
	.free = rs_free,
};

int trust_store_registry(struct bh_registry *client, const struct bh_registry_ref *repo,
			 struct trust_store **out, struct bh_error **err)
{
	struct reg_store *s;

	*out = NULL;
	if (!repo->domain || !repo->path)
		return bh_error_set(err, BH_ERR_USAGE, "a registry store needs a repository");
	s = bh_calloc(1, sizeof(*s));
	s->base.ops = &registry_ops;
	s->base.referrers_cover_tag_schema = true;
	s->client = client;
	s->repo.domain = bh_strdup(repo->domain);
	s->repo.path = bh_strdup(repo->path);
	s->base.name = bh_asprintf("%s/%s", repo->domain, repo->path);
	*out = &s->base;
	return 0;
}
