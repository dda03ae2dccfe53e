/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The trust store of an OCI image layout directory: signatures live beside
 * the image as skopeo leaves them after `skopeo copy
 * docker://R:sha256-<hex>.sig oci:DIR:sha256-<hex>.sig`: blobs under
 * blobs/<algo>/<hex>, the signature manifest listed in index.json with
 * org.opencontainers.image.ref.name = the tag. Referrers (OCI 1.1) are
 * manifests in index.json with a `subject`, untagged, as oras keeps them.
 *
 * Writes are complete or absent: every blob and index.json is written to a
 * temporary in its directory and renamed into place; index.json is rewritten
 * under an exclusive flock of the layout directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/trust.h"
#include "trust/internal.h"
#include "banned.h"

#define INDEX_MAX	  (8 * 1024 * 1024)
#define INDEX_ENTRIES_MAX 4096

struct oci_store {
	struct trust_store base;
	char *dir;
	int rootfd; /* O_PATH | O_DIRECTORY */
};

static int read_index(struct oci_store *s, json_t **out, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(INDEX_MAX);
	int fd = bh_root_openat(s->rootfd, "index.json", O_RDONLY, 0, err);
	int r = -1;
	json_t *m;

	*out = NULL;
	if (fd < 0)
		return bh_error_prefix(err, "%s", s->base.name);
	if (bh_buf_read_fd(&b, fd, "index.json", err) < 0 ||
	    bh_json_parse(b.data, b.len, INDEX_MAX, "index.json", out, err) < 0)
		goto out;
	m = bh_json_arr(*out, "manifests");
	if (!m) {
		bh_error_set(err, BH_ERR_INVALID, "index.json has no manifests array");
		goto out;
	}
	if (json_array_size(m) > INDEX_ENTRIES_MAX) {
		bh_error_set(err, BH_ERR_LIMIT, "index.json lists %zu manifests (limit %d)",
			     json_array_size(m), INDEX_ENTRIES_MAX);
		goto out;
	}
	r = 0;
out:
	close(fd);
	bh_buf_release(&b);
	if (r < 0) {
		json_decref(*out);
		*out = NULL;
		bh_error_prefix(err, "%s", s->base.name);
	}
	return r;
}

static char *blob_path(const struct bh_digest *d)
{
	return bh_asprintf("blobs/%s/%s", d->algo == BH_HASH_SHA512 ? "sha512" : "sha256",
			   bh_digest_hex(d));
}

static int oci_get_blob(struct trust_store *ts, const struct bh_digest *d, int64_t size, size_t max,
			struct bh_buf *out, struct bh_error **err)
{
	struct oci_store *s = (struct oci_store *)ts;
	char *path = blob_path(d);
	struct bh_buf b = BH_BUF_INIT(max);
	struct bh_hasher *h = NULL;
	struct bh_digest got;
	int fd, r = -1;

	if (size > 0 && (uint64_t)size > max) {
		bh_error_set(err, BH_ERR_LIMIT, "blob %s of %lld bytes (limit %zu)", d->str,
			     (long long)size, max);
		goto out;
	}
	fd = bh_root_openat(s->rootfd, path, O_RDONLY, 0, err);
	if (fd < 0)
		goto out;
	r = bh_buf_read_fd(&b, fd, d->str, err);
	close(fd);
	if (r < 0)
		goto out;
	r = -1;
	if (size >= 0 && b.len != (size_t)size) {
		bh_error_set(err, BH_ERR_DIGEST, "blob %s is %zu bytes, its descriptor says %lld",
			     d->str, b.len, (long long)size);
		goto out;
	}
	if (bh_hasher_new(d->algo, &h, err) < 0)
		goto out;
	bh_hasher_update(h, b.data, b.len);
	bh_hasher_final(h, &got);
	if (strcmp(got.str, d->str)) {
		bh_error_set(err, BH_ERR_DIGEST, "blob %s has digest %s", d->str, got.str);
		goto out;
	}
	r = bh_buf_add(out, b.data ? b.data : "", b.len, err);
out:
	bh_hasher_free(h);
	bh_buf_release(&b);
	free(path);
	if (r < 0)
		bh_error_prefix(err, "%s", ts->name);
	return r;
}

/* Write (p, n) as `name` in the directory dirfd: a temporary, then a rename. */
static int write_at(int dirfd, const char *name, const void *p, size_t n, struct bh_error **err)
{
	char tmp[64];
	unsigned char rnd[8];
	int fd;

	if (trust_random(rnd, sizeof(rnd), err) < 0)
		return -1;
	memcpy(tmp, ".bulkhead-tmp-", 14);
	bh_hex_encode(rnd, sizeof(rnd), tmp + 14);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return bh_error_sys(err, errno, "creating a temporary for %s", name);
	if (bh_write_all(fd, p, n, err) < 0 || fsync(fd) < 0 || close(fd) < 0) {
		if (!*err)
			bh_error_sys(err, errno, "writing %s", name);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		bh_error_sys(err, errno, "renaming into %s", name);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return 0;
}

static int oci_put_blob(struct trust_store *ts, const void *p, size_t n, struct bh_digest *d,
			struct bh_error **err)
{
	struct oci_store *s = (struct oci_store *)ts;
	int dirfd, fd, r = -1;

	bh_sha256(p, n, d);
	dirfd = bh_root_mkdirs(s->rootfd, "blobs/sha256", 0755, err);
	if (dirfd < 0)
		return bh_error_prefix(err, "%s", ts->name);
	/* content-addressed: a blob already there is this one (readers verify) */
	fd = openat(dirfd, bh_digest_hex(d), O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		r = 0;
	} else {
		r = write_at(dirfd, bh_digest_hex(d), p, n, err);
	}
	close(dirfd);
	if (r < 0)
		bh_error_prefix(err, "%s: blob %s", ts->name, d->str);
	return r;
}

static bool is_manifest_type(const char *mt)
{
	return !strcmp(mt, TRUST_MT_OCI_MANIFEST) || !strcmp(mt, TRUST_MT_OCI_INDEX) ||
	       !strcmp(mt, "application/vnd.docker.distribution.manifest.v2+json") ||
	       !strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json");
}

static int oci_get_manifest(struct trust_store *ts, const char *ref, size_t max,
			    struct bh_buf *body, char **media_type, struct bh_digest *d,
			    struct bh_error **err)
{
	struct oci_store *s = (struct oci_store *)ts;
	struct trust_desc found = { 0 };
	json_t *index = NULL, *m;
	struct bh_digest want;
	bool by_digest = bh_digest_parse(ref, &want, NULL) == 0;
	size_t i;
	int r = -1;

	*media_type = NULL;
	if (read_index(s, &index, err) < 0)
		return -1;
	json_array_foreach (bh_json_arr(index, "manifests"), i, m) {
		const char *name = bh_json_str(bh_json_obj(m, "annotations"), TRUST_ANN_REF_NAME);
		const char *dig = bh_json_str(m, "digest");

		if (by_digest ? !(dig && !strcmp(dig, want.str)) : !(name && !strcmp(name, ref)))
			continue;
		if (trust_desc_parse(m, "index.json entry", &found, err) < 0) {
			bh_error_prefix(err, "%s", ts->name);
			goto out;
		}
		break;
	}
	if (!found.media_type) {
		if (!by_digest) {
			r = 0;
			goto out;
		}
		/* a manifest not listed in index.json, by digest: read the blob */
		found.digest = want;
		found.size = -1;
	}
	if (found.media_type && !is_manifest_type(found.media_type)) {
		bh_error_set(err, BH_ERR_INVALID, "%s: '%s' is a %s, not a manifest", ts->name, ref,
			     found.media_type);
		goto out;
	}
	if (oci_get_blob(ts, &found.digest, found.size, max, body, err) < 0) {
		if (!found.media_type && bh_error_code(*err) == BH_ERR_IO &&
		    bh_error_errno(*err) == ENOENT) {
			bh_error_clear(err);
			r = 0;
		}
		goto out;
	}
	if (!found.media_type) {
		json_t *doc;

		if (bh_json_parse(body->data, body->len, max, ref, &doc, err) < 0)
			goto out;
		found.media_type =
			bh_strdup(bh_json_str(doc, "mediaType") ? bh_json_str(doc, "mediaType")
								: TRUST_MT_OCI_MANIFEST);
		json_decref(doc);
	}
	*media_type = bh_strdup(found.media_type);
	*d = found.digest;
	r = 1;
out:
	trust_desc_release(&found);
	json_decref(index);
	return r;
}

static int oci_put_manifest(struct trust_store *ts, const char *tag, const char *media_type,
			    const char *artifact_type, const void *p, size_t n, struct bh_digest *d,
			    struct bh_error **err)
{
	struct oci_store *s = (struct oci_store *)ts;
	struct trust_desc desc = { 0 };
	struct bh_buf out = BH_BUF_INIT(INDEX_MAX);
	json_t *index = NULL, *mans, *m, *keep;
	int lockfd = -1, r = -1;
	size_t i;

	if (oci_put_blob(ts, p, n, d, err) < 0)
		return -1;
	lockfd = openat(s->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0) {
		bh_error_sys(err, errno, "%s: locking the layout", ts->name);
		goto out;
	}
	if (read_index(s, &index, err) < 0)
		goto out;
	mans = bh_json_arr(index, "manifests");
	keep = json_array();
	json_array_foreach (mans, i, m) {
		const char *name = bh_json_str(bh_json_obj(m, "annotations"), TRUST_ANN_REF_NAME);
		const char *dig = bh_json_str(m, "digest");

		/* the tag moves to the new manifest; an untagged entry is listed once */
		if ((tag && name && !strcmp(name, tag)) ||
		    (!tag && !name && dig && !strcmp(dig, d->str)))
			continue;
		json_array_append(keep, m);
	}
	desc.media_type = (char *)media_type;
	desc.digest = *d;
	desc.size = (int64_t)n;
	desc.artifact_type = (char *)artifact_type;
	m = trust_desc_json(&desc);
	if (tag)
		json_object_set_new(m, "annotations", json_pack("{s:s}", TRUST_ANN_REF_NAME, tag));
	json_array_append_new(keep, m);
	json_object_set_new(index, "manifests", keep);
	if (bh_json_dump_buf(index, JSON_COMPACT | JSON_PRESERVE_ORDER, &out, err) < 0 ||
	    write_at(lockfd, "index.json", out.data, out.len, err) < 0) {
		bh_error_prefix(err, "%s: index.json", ts->name);
		goto out;
	}
	r = 0;
out:
	if (lockfd >= 0)
		close(lockfd); /* releases the lock */
	json_decref(index);
	bh_buf_release(&out);
	return r;
}

static int oci_referrers(struct trust_store *ts, const struct bh_digest *subject,
			 struct trust_desc **out, size_t *n, struct bh_error **err)
{
	struct oci_store *s = (struct oci_store *)ts;
	json_t *index = NULL, *m;
	size_t i;

	*out = NULL;
	*n = 0;
	if (read_index(s, &index, err) < 0)
		return -1;
	json_array_foreach (bh_json_arr(index, "manifests"), i, m) {
		struct bh_buf b = BH_BUF_INIT(BH_TRUST_MANIFEST_MAX);
		struct trust_desc d;
		json_t *doc = NULL;
		const char *sd, *at;

		/* referrers are untagged manifests (a tagged one is an image or a
		 * cosign tag); an entry that is not one is skipped, not an error */
		if (bh_json_str(bh_json_obj(m, "annotations"), TRUST_ANN_REF_NAME) ||
		    trust_desc_parse(m, "index.json entry", &d, NULL) < 0)
			continue;
		if (strcmp(d.media_type, TRUST_MT_OCI_MANIFEST) ||
		    !strcmp(d.digest.str, subject->str) ||
		    oci_get_blob(ts, &d.digest, d.size, BH_TRUST_MANIFEST_MAX, &b, NULL) < 0 ||
		    bh_json_parse(b.data, b.len, BH_TRUST_MANIFEST_MAX, "referrer", &doc, NULL) <
			    0) {
			trust_desc_release(&d);
			bh_buf_release(&b);
			continue;
		}
		sd = bh_json_str(bh_json_obj(doc, "subject"), "digest");
		at = bh_json_str(doc, "artifactType");
		if (!at)
			at = bh_json_str(bh_json_obj(doc, "config"), "mediaType");
		if (sd && !strcmp(sd, subject->str)) {
			*out = bh_reallocarray(*out, *n + 1, sizeof(**out));
			free(d.artifact_type);
			d.artifact_type = at ? bh_strdup(at) : NULL;
			(*out)[(*n)++] = d;
		} else {
			trust_desc_release(&d);
		}
		json_decref(doc);
		bh_buf_release(&b);
	}
	json_decref(index);
	return 0;
}

static void oci_free(struct trust_store *ts)
{
	struct oci_store *s = (struct oci_store *)ts;

	if (s->rootfd >= 0)
		close(s->rootfd);
	free(s->dir);
	free(ts->name);
	free(s);
}

static const struct trust_store_ops oci_ops = {
	.get_manifest = oci_get_manifest,
	.put_manifest = oci_put_manifest,
	.get_blob = oci_get_blob,
	.put_blob = oci_put_blob,
	.referrers = oci_referrers,
	.free = oci_free,
};

int trust_store_oci(const char *dir, struct trust_store **out, struct bh_error **err)
{
	struct oci_store *s;
	int fd;

	*out = NULL;
	fd = bh_root_open(dir, err);
	if (fd < 0)
		return -1;
	if (faccessat(fd, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		close(fd);
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s is not an OCI image layout (no index.json)", dir);
	}
	s = bh_calloc(1, sizeof(*s));
	s->base.ops = &oci_ops;
	s->base.name = bh_asprintf("oci:%s", dir);
	s->dir = bh_strdup(dir);
	s->rootfd = fd;
	*out = &s->base;
	return 0;
}

void trust_store_free(struct trust_store *s)
{
	if (s)
		s->ops->free(s);
}
