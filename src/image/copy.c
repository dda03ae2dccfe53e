/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Copying an image: what it consists of (a manifest and its blobs, the
 * "plan"), written to disk as an OCI layout or a docker-archive
 * (bh_image_save) or sent to a registry (bh_image_push, push.c).
 *
 * An image with a manifest keeps it byte for byte, so its digest is kept. A
 * docker-archive has none: it gets an OCI manifest over the same config and
 * layer files (layers whose digest the archive does not name are hashed
 * first). Every blob is read through a verifying stream as it is copied.
 * Output is written beside the destination and renamed into place when
 * complete: a failure leaves nothing at the destination.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
#include "banned.h"

#define COPY_BUF	(1u << 20)
#define PROGRESS_STEP	(512u << 10)
#define DEFAULT_THREADS 4
#define OCI_LAYER	"application/vnd.oci.image.layer.v1.tar"

/* ---- the plan ------------------------------------------------------------- */

void img_plan_release(struct img_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->blobs[i].file);
		free(p->blobs[i].media_type);
	}
	free(p->blobs);
	free(p->manifest);
	free(p->manifest_type);
	memset(p, 0, sizeof(*p));
}

/* The digest of a file blob of the image (docker-archive layers that are not
 * named by their digest). */
static int hash_blob(struct bh_image *img, const char *file, struct bh_digest *d, int64_t *size,
		     struct bh_error **err)
{
	struct bh_stream *raw;
	struct bh_hasher *h = NULL;
	unsigned char *buf = NULL;
	uint64_t n = 0;
	int r = -1;

	if (img->src->open(img->src, NULL, file, &raw, size, err) < 0)
		return -1;
	if (bh_hasher_new(BH_HASH_SHA256, &h, err) < 0)
		goto out;
	buf = bh_malloc(COPY_BUF);
	for (;;) {
		ssize_t k = bh_stream_read(raw, buf, COPY_BUF, err);

		if (k < 0)
			goto out;
		if (k == 0)
			break;
		bh_hasher_update(h, buf, (size_t)k);
		n += (uint64_t)k;
	}
	bh_hasher_final(h, d);
	*size = (int64_t)n;
	r = 0;
out:
	bh_stream_close(raw);
	bh_hasher_free(h);
	free(buf);
	return r;
}

static const char *layer_type(enum bh_compression c)
{
	switch (c) {
	case BH_COMP_GZIP: return OCI_LAYER "+gzip";
	case BH_COMP_ZSTD: return OCI_LAYER "+zstd";
	default: return OCI_LAYER;
	}
}

/* The OCI manifest written for an image that has none, over the plan's
 * config and layers (every size known). */
int img_plan_seal(struct img_plan *p, struct bh_error **err)
{
	const struct img_blob *c = &p->blobs[0];
	json_t *man, *layers;

	if (p->manifest)
		return 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->blobs[i].size < 0)
			return bh_error_set(err, BH_ERR_INTERNAL, "blob %s: its size is unknown",
					    p->blobs[i].digest.str);
	layers = json_array();
	for (size_t i = 1; i < p->n; i++) {
		const struct img_blob *b = &p->blobs[i];

		json_array_append_new(layers, json_pack("{s:s, s:s, s:I}", "mediaType",
							b->media_type, "digest", b->digest.str,
							"size", (json_int_t)b->size));
	}
	man = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
			BH_MT_OCI_MANIFEST, "config", "mediaType", BH_MT_OCI_CONFIG, "digest",
			c->digest.str, "size", (json_int_t)c->size, "layers", layers);
	p->manifest = json_dumps(man, JSON_COMPACT);
	json_decref(man);
	p->manifest_len = strlen(p->manifest);
	p->manifest_type = bh_strdup(BH_MT_OCI_MANIFEST);
	bh_sha256(p->manifest, p->manifest_len, &p->manifest_digest);
	return 0;
}

static bool engine(const struct bh_image *img)
{
	return img->kind == BH_IMAGE_DOCKER_DAEMON || img->kind == BH_IMAGE_CONTAINERS_STORAGE;
}

/*
 * An image without a manifest (a docker-archive, a local engine's image): its
 * config, and an OCI manifest written for it. An engine serves its blobs by
 * digest, layers uncompressed (the digest is the diff_id); a sequential
 * source tells their sizes only as they stream, so its manifest waits for
 * img_plan_seal.
 */
static int plan_docker(struct bh_image *img, struct img_plan *p, struct bh_error **err)
{
	const char *hex = bh_digest_hex(&img->config_digest);
	char *names[2];
	struct img_blob *c = &p->blobs[0];
	struct bh_stream *s = NULL;

	c->size = -1;
	if (img->src->seq) {
		/* its size comes with it */
	} else if (engine(img)) {
		if (img->src->open(img->src, &img->config_digest, NULL, &s, &c->size, err) < 0)
			return bh_error_prefix(err, "config");
		bh_stream_close(s);
	} else {
		names[0] = bh_asprintf("%s.json", hex);
		names[1] = bh_asprintf("blobs/sha256/%s", hex);
		for (int i = 0; i < 2 && !c->file; i++)
			if (img->src->open(img->src, NULL, names[i], &s, &c->size, NULL) == 0) {
				bh_stream_close(s);
				c->file = bh_strdup(names[i]);
			}
		free(names[0]);
		free(names[1]);
		if (!c->file)
			return bh_error_set(err, BH_ERR_NOTFOUND,
					    "the archive has no config file named for %s",
					    img->config_digest.str);
	}
	c->digest = img->config_digest;
	c->media_type = bh_strdup(BH_MT_OCI_CONFIG);
	for (size_t i = 0; i < img->nlayers; i++) {
		struct bh_layer *L = &img->layers[i];
		struct img_blob *b = &p->blobs[i + 1];

		b->file = L->file ? bh_strdup(L->file) : NULL;
		b->media_type = bh_strdup(layer_type(L->compression));
		if (L->digest.str[0]) {
			b->digest = L->digest;
			b->size = L->size;
		} else if (engine(img)) {
			b->digest = L->diff_id;
			b->size = L->size;
		} else if (hash_blob(img, L->file, &b->digest, &b->size, err) < 0) {
			return bh_error_prefix(err, "layer %zu (%s)", i + 1, L->file);
		}
	}
	return img->src->seq ? 0 : img_plan_seal(p, err);
}

int img_plan_build(struct bh_image *img, struct img_plan *p, struct bh_error **err)
{
	memset(p, 0, sizeof(*p));
	if (img->kind == BH_IMAGE_ROOTFS)
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "a root filesystem has no manifest or blobs to copy");
	p->n = img->nlayers + 1;
	p->blobs = bh_calloc(p->n, sizeof(*p->blobs));
	if (!img->has_manifest) {
		if (plan_docker(img, p, err) < 0) {
			img_plan_release(p);
			return -1;
		}
		return 0;
	}
	{
		struct bh_buf b = BH_BUF_INIT(img->limits.max_json);
		json_int_t csize = -1;
		json_t *cfg = bh_json_obj(img->manifest_json, "config");

		if (bh_image_src_read_blob(img->src, &img->manifest_digest, img->manifest_size,
					   NULL, img->limits.max_json, img->manifest_digest.str, &b,
					   err) < 0) {
			bh_buf_release(&b);
			img_plan_release(p);
			return bh_error_prefix(err, "manifest");
		}
		p->manifest = bh_buf_detach(&b, &p->manifest_len);
		p->manifest_type = bh_strdup(img->manifest_media_type);
		p->manifest_digest = img->manifest_digest;
		if (!bh_json_int(cfg, "size", &csize))
			csize = -1;
		p->blobs[0].digest = img->config_digest;
		p->blobs[0].size = csize;
		p->blobs[0].media_type = bh_strdup(img->config_media_type ? img->config_media_type
									  : BH_MT_OCI_CONFIG);
	}
	for (size_t i = 0; i < img->nlayers; i++) {
		p->blobs[i + 1].digest = img->layers[i].digest;
		p->blobs[i + 1].size = img->layers[i].size;
		p->blobs[i + 1].media_type = bh_strdup(
			img->layers[i].media_type ? img->layers[i].media_type
						  : layer_type(img->layers[i].compression));
	}
	return 0;
}

int img_plan_open(struct bh_image *img, const struct img_plan *p, size_t i, struct bh_stream **out,
		  struct bh_error **err)
{
	const struct img_blob *b = &p->blobs[i];
	struct bh_stream *raw;
	int64_t size = -1;
	char what[BH_DIGEST_MAX + 16];

	snprintf(what, sizeof(what), "blob %s", b->digest.str);
	if (p->given && p->given->index == i) {
		raw = img_stream_borrow(p->given->raw);
		size = b->size;
	} else if (img->src->open(img->src, b->file ? NULL : &b->digest, b->file, &raw, &size,
				  err) < 0) {
		return -1;
	}
	if (b->size >= 0 && size >= 0 && size != b->size) {
		bh_stream_close(raw);
		return bh_error_set(err, BH_ERR_DIGEST,
				    "%s: size mismatch: the blob has %lld bytes, its descriptor "
				    "declares %lld",
				    what, (long long)size, (long long)b->size);
	}
	return bh_stream_verify(raw, &b->digest, b->size, what, out, err);
}

/* ---- copying blobs in parallel --------------------------------------------- */

void img_progress(const struct bh_image_copy_opts *o, enum bh_image_progress_state st, size_t index,
		  size_t count, const struct img_blob *b, uint64_t done)
{
	struct bh_image_progress pr = { .state = st,
					.index = (unsigned)index,
					.count = (unsigned)count,
					.digest = b->digest.str,
					.done = done,
					.total = b->size };

	if (o && o->progress)
		o->progress(&pr, o->progress_data);
}

static void *copy_worker(void *arg)
{
	struct img_copier *c = arg;

	for (;;) {
		unsigned i = atomic_fetch_add(&c->next, 1);
		struct bh_error *e = NULL;
		int st;

		if (i >= c->plan->n || atomic_load(&c->failed))
			break;
		if (c->skip[i])
			continue;
		img_progress(c->o, BH_PROGRESS_START, i, c->plan->n, &c->plan->blobs[i], 0);
		st = c->one(c, i, &e);
		if (st < 0) {
			bh_error_prefix(&e, "%s %zu (%.19s…)", i ? "layer" : "config", (size_t)i,
					c->plan->blobs[i].digest.str);
			pthread_mutex_lock(&c->lock);
			if (!c->err)
				c->err = e;
			else
				bh_error_free(e);
			pthread_mutex_unlock(&c->lock);
			atomic_store(&c->failed, 1);
			break;
		}
		img_progress(c->o, (enum bh_image_progress_state)st, i, c->plan->n,
			     &c->plan->blobs[i],
			     c->plan->blobs[i].size > 0 ? (uint64_t)c->plan->blobs[i].size : 0);
	}
	return NULL;
}

/* A sequential source: each blob as the stream brings it. */
static int seq_deliver(void *data, size_t i, struct bh_stream *raw, uint64_t size,
		       enum bh_compression comp, struct bh_error **err)
{
	struct img_copier *c = data;
	struct img_given g = { i, raw };
	int st;

	(void)comp;
	c->plan->blobs[i].size = (int64_t)size;
	c->plan->given = &g;
	img_progress(c->o, BH_PROGRESS_START, i, c->plan->n, &c->plan->blobs[i], 0);
	st = c->one(c, i, err);
	c->plan->given = NULL;
	if (st < 0)
		return bh_error_prefix(err, "%s %zu (%.19s…)", i ? "layer" : "config", i,
				       c->plan->blobs[i].digest.str);
	img_progress(c->o, (enum bh_image_progress_state)st, i, c->plan->n, &c->plan->blobs[i],
		     size);
	return 0;
}

static int copy_seq(struct img_copier *c, struct bh_error **err)
{
	const struct bh_digest **ds = bh_calloc(c->plan->n + 1, sizeof(*ds));
	struct img_seq_want w = {
		.digests = ds, .n = c->plan->n, .done = c->skip, .deliver = seq_deliver, .data = c
	};
	int r;

	for (size_t i = 0; i < c->plan->n; i++)
		ds[i] = &c->plan->blobs[i].digest;
	r = img_seq_run(c->img, c->img->src->seq, &w, err);
	free(ds);
	/* a blob listed twice has the size of its first */
	for (size_t i = 0; r == 0 && i < c->plan->n; i++)
		for (size_t k = 0; k < i && c->plan->blobs[i].size < 0; k++)
			if (!strcmp(c->plan->blobs[i].digest.str, c->plan->blobs[k].digest.str))
				c->plan->blobs[i].size = c->plan->blobs[k].size;
	return r;
}

int img_copy_blobs(struct img_copier *c, struct bh_error **err)
{
	unsigned threads = c->threads		   ? c->threads
			   : c->o && c->o->threads ? c->o->threads
						   : DEFAULT_THREADS,
		 started = 0;
	pthread_t *tids;

	atomic_store(&c->next, 0);
	atomic_store(&c->failed, 0);
	c->err = NULL;
	c->skip = bh_calloc(c->plan->n + 1, sizeof(bool));
	for (size_t i = 0; i < c->plan->n; i++)
		for (size_t k = 0; k < i; k++)
			if (!strcmp(c->plan->blobs[i].digest.str, c->plan->blobs[k].digest.str))
				c->skip[i] = true;
	if (c->img->src->seq) {
		int r = copy_seq(c, err);

		free(c->skip);
		c->skip = NULL;
		return r;
	}
	if (threads > c->plan->n)
		threads = (unsigned)c->plan->n;
	pthread_mutex_init(&c->lock, NULL);
	tids = bh_calloc(threads + 1, sizeof(*tids));
	for (unsigned t = 1; t < threads; t++) {
		if (pthread_create(&tids[t], NULL, copy_worker, c) != 0)
			break;
		started = t;
	}
	copy_worker(c);
	for (unsigned t = 1; t <= started; t++)
		pthread_join(tids[t], NULL);
	free(tids);
	free(c->skip);
	c->skip = NULL;
	pthread_mutex_destroy(&c->lock);
	if (c->err) {
		if (err && !*err)
			*err = c->err;
		else
			bh_error_free(c->err);
		c->err = NULL;
		return -1;
	}
	return 0;
}

/* ---- OCI layout ---------------------------------------------------------- */

struct layout_out {
	int dirfd; /* the temporary layout */
};

static const char *algo_dir(const struct bh_digest *d)
{
	return d->algo == BH_HASH_SHA512 ? "sha512" : "sha256";
}

int img_copy_to_fd(struct bh_image *img, const struct img_plan *plan, size_t i,
		   const struct bh_image_copy_opts *o, int fd, struct bh_error **err)
{
	struct bh_stream *s;
	unsigned char *buf;
	uint64_t done = 0, reported = 0;
	int r = -1;

	if (img_plan_open(img, plan, i, &s, err) < 0)
		return -1;
	buf = bh_malloc(COPY_BUF);
	for (;;) {
		ssize_t k = bh_stream_read(s, buf, COPY_BUF, err);

		if (k < 0)
			goto out;
		if (k == 0)
			break;
		if (bh_write_all(fd, buf, (size_t)k, err) < 0)
			goto out;
		done += (uint64_t)k;
		if (done - reported >= PROGRESS_STEP) {
			img_progress(o, BH_PROGRESS_BYTES, i, plan->n, &plan->blobs[i], done);
			reported = done;
		}
	}
	r = 0;
out:
	bh_stream_close(s);
	free(buf);
	return r;
}

static int layout_one(struct img_copier *c, size_t i, struct bh_error **err)
{
	struct layout_out *lo = c->data;
	const struct img_plan *plan = c->plan;
	const struct img_blob *b = &plan->blobs[i];
	char path[BH_DIGEST_MAX + 32];
	int fd, r;

	snprintf(path, sizeof(path), "blobs/%s/%s", algo_dir(&b->digest),
		 bh_digest_hex(&b->digest));
	fd = openat(lo->dirfd, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return bh_error_sys(err, errno, "creating %s", path);
	r = img_copy_to_fd(c->img, plan, i, c->o, fd, err);
	if (close(fd) < 0 && r == 0)
		r = bh_error_sys(err, errno, "writing %s", path);
	return r < 0 ? -1 : BH_PROGRESS_DONE;
}

static int write_at(int dirfd, const char *name, const void *p, size_t n, struct bh_error **err)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644), r;

	if (fd < 0)
		return bh_error_sys(err, errno, "creating %s", name);
	r = bh_write_all(fd, p, n, err);
	if (close(fd) < 0 && r == 0)
		r = bh_error_sys(err, errno, "writing %s", name);
	return r;
}

/* A temporary directory beside `dir` (in its parent, so rename works). */
static char *temp_beside(const char *dir)
{
	size_t n = strlen(dir);
	char *t;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	t = bh_asprintf("%.*s.tmp-XXXXXX", (int)n, dir);
	if (!mkdtemp(t)) {
		free(t);
		return NULL;
	}
	return t;
}

static int save_layout(struct bh_image *img, struct img_plan *plan, const char *dir,
		       const char *tag, const struct bh_image_copy_opts *o, struct bh_error **err)
{
	struct layout_out lo = { .dirfd = -1 };
	char *tmp = NULL, *index = NULL;
	json_t *ix = NULL, *desc;
	int fresh, r = -1;

	fresh = bh_check_new_dir(dir, err);
	if (fresh < 0)
		return -1;
	tmp = temp_beside(dir);
	if (!tmp)
		return bh_error_sys(err, errno, "creating a directory beside %s", dir);
	lo.dirfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lo.dirfd < 0 || mkdirat(lo.dirfd, "blobs", 0755) < 0 ||
	    mkdirat(lo.dirfd, "blobs/sha256", 0755) < 0) {
		bh_error_sys(err, errno, "creating %s/blobs", tmp);
		goto out;
	}
	if (plan->manifest_digest.algo == BH_HASH_SHA512 && mkdirat(lo.dirfd, "blobs/sha512", 0755))
		bh_debug("save: blobs/sha512: %s", strerror(errno));
	for (size_t i = 0; i < plan->n; i++)
		if (plan->blobs[i].digest.algo == BH_HASH_SHA512)
			mkdirat(lo.dirfd, "blobs/sha512", 0755);
	if (write_at(lo.dirfd, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30, err) < 0)
		goto out;
	{
		struct img_copier c = {
			.img = img, .plan = plan, .o = o, .one = layout_one, .data = &lo
		};

		if (img_copy_blobs(&c, err) < 0 || img_plan_seal(plan, err) < 0)
			goto out;
	}
	{
		char path[BH_DIGEST_MAX + 32];

		snprintf(path, sizeof(path), "blobs/%s/%s", algo_dir(&plan->manifest_digest),
			 bh_digest_hex(&plan->manifest_digest));
		if (write_at(lo.dirfd, path, plan->manifest, plan->manifest_len, err) < 0)
			goto out;
	}
	desc = json_pack("{s:s, s:s, s:I}", "mediaType", plan->manifest_type, "digest",
			 plan->manifest_digest.str, "size", (json_int_t)plan->manifest_len);
	{
		json_t *ann = json_object();

		if (tag)
			json_object_set_new(ann, "org.opencontainers.image.ref.name",
					    json_string(tag));
		/* where it came from, for the stale-image scanner (4.2.2) */
		if (img->source_ref && img->source_digest.str[0]) {
			char now[BH_TIME_MAX];

			json_object_set_new(ann, BH_ANN_SOURCE, json_string(img->source_ref));
			json_object_set_new(ann, BH_ANN_SOURCE_DIGEST,
					    json_string(img->source_digest.str));
			json_object_set_new(ann, BH_ANN_PULLED,
					    json_string(img->source_time
								? img->source_time
								: bh_time_rfc3339(NULL, 0, now)));
		}
		if (json_object_size(ann))
			json_object_set_new(desc, "annotations", ann);
		else
			json_decref(ann);
	}
	ix = json_pack("{s:i, s:s, s:[o]}", "schemaVersion", 2, "mediaType", BH_MT_OCI_INDEX,
		       "manifests", desc);
	index = json_dumps(ix, JSON_COMPACT);
	if (write_at(lo.dirfd, "index.json", index, strlen(index), err) < 0)
		goto out;
	if (fsync(lo.dirfd) < 0) {
		bh_error_sys(err, errno, "syncing %s", tmp);
		goto out;
	}
	/* an empty directory that was there is replaced */
	if (!fresh && rmdir(dir) < 0 && errno != ENOENT) {
		bh_error_sys(err, errno, "replacing %s", dir);
		goto out;
	}
	if (rename(tmp, dir) < 0) {
		bh_error_sys(err, errno, "renaming %s to %s", tmp, dir);
		goto out;
	}
	r = 0;
out:
	if (lo.dirfd >= 0)
		close(lo.dirfd);
	if (r < 0 && tmp)
		bh_remove_tree(AT_FDCWD, tmp, NULL);
	free(tmp);
	free(index);
	json_decref(ix);
	return r;
}

/* ---- docker-archive --------------------------------------------------------- */

/* A ustar header for a regular file (sizes past 8 GiB in base-256, as GNU tar). */
static int tar_header(int fd, const char *name, uint64_t size, struct bh_error **err)
{
	unsigned char h[512];
	unsigned sum = 0;

	if (strlen(name) >= 100)
		return bh_error_set(err, BH_ERR_INTERNAL, "tar member name too long: %s", name);
	memset(h, 0, sizeof(h));
	memcpy(h, name, strlen(name));
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	if (size < 077777777777ull) {
		snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
	} else {
		h[124] = 0x80;
		for (int i = 0; i < 8; i++)
			h[135 - i] = (unsigned char)(size >> (8 * i));
	}
	snprintf((char *)h + 136, 12, "%011o", 0);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	return bh_write_all(fd, h, sizeof(h), err);
}

static int tar_pad(int fd, uint64_t size, struct bh_error **err)
{
	static const unsigned char zero[512];
	size_t pad = (size_t)((512 - size % 512) % 512);

	return pad ? bh_write_all(fd, zero, pad, err) : 0;
}

static int tar_member(int fd, const char *name, const void *p, size_t n, struct bh_error **err)
{
	if (tar_header(fd, name, n, err) < 0 || bh_write_all(fd, p, n, err) < 0)
		return -1;
	return tar_pad(fd, n, err);
}

/* One blob into the archive, as the copy brings it (one at a time). */
static int archive_one(struct img_copier *c, size_t i, struct bh_error **err)
{
	const struct img_blob *b = &c->plan->blobs[i];
	int fd = *(int *)c->data;
	char name[BH_DIGEST_MAX + 32];

	snprintf(name, sizeof(name), "blobs/%s/%s", algo_dir(&b->digest),
		 bh_digest_hex(&b->digest));
	if (b->size < 0)
		return bh_error_set(err, BH_ERR_INVALID, "blob %s: its size is unknown",
				    b->digest.str);
	if (tar_header(fd, name, (uint64_t)b->size, err) < 0 ||
	    img_copy_to_fd(c->img, c->plan, i, c->o, fd, err) < 0 ||
	    tar_pad(fd, (uint64_t)b->size, err) < 0)
		return -1;
	return BH_PROGRESS_DONE;
}

static int save_archive(struct bh_image *img, struct img_plan *plan, const char *file,
			const char *tag, const struct bh_image_copy_opts *o, struct bh_error **err)
{
	static const unsigned char zero[1024];
	char *tmp, *mj = NULL;
	json_t *list = NULL, *layers;
	int fd = bh_tmp_beside(file, 0644, &tmp, err), r = -1;

	if (fd < 0)
		return -1;
	layers = json_array();
	for (size_t i = 1; i < plan->n; i++) {
		char name[BH_DIGEST_MAX + 32];

		snprintf(name, sizeof(name), "blobs/%s/%s", algo_dir(&plan->blobs[i].digest),
			 bh_digest_hex(&plan->blobs[i].digest));
		json_array_append_new(layers, json_string(name));
	}
	{
		/* in order from a random-access source, in the stream's from another */
		struct img_copier c = { .img = img,
					.plan = plan,
					.o = o,
					.threads = 1,
					.one = archive_one,
					.data = &fd };

		if (img_copy_blobs(&c, err) < 0)
			goto out;
	}
	{
		char cfg[BH_DIGEST_MAX + 32];
		const struct img_blob *c = &plan->blobs[0];

		snprintf(cfg, sizeof(cfg), "blobs/%s/%s", algo_dir(&c->digest),
			 bh_digest_hex(&c->digest));
		list = json_pack("[{s:s, s:[], s:O}]", "Config", cfg, "RepoTags", "Layers", layers);
		if (tag)
			json_array_append_new(json_object_get(json_array_get(list, 0), "RepoTags"),
					      json_string(tag));
	}
	mj = json_dumps(list, JSON_COMPACT);
	if (tar_member(fd, "manifest.json", mj, strlen(mj), err) < 0 ||
	    bh_write_all(fd, zero, sizeof(zero), err) < 0)
		goto out;
	r = bh_tmp_install(fd, tmp, file, true, err);
	fd = -1;
	tmp = NULL;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
		free(tmp);
	}
	free(mj);
	json_decref(list);
	json_decref(layers);
	return r;
}

int bh_image_save(struct bh_image *img, const char *dest, const struct bh_image_copy_opts *o,
		  struct bh_error **err)
{
	struct img_plan plan;
	char *path = NULL, *tag = NULL;
	bool archive = false;
	int r;

	if (bh_str_has_prefix(dest, "docker-archive:")) {
		/* docker-archive:FILE[:REF], split at the first ':' as skopeo does */
		const char *rest = dest + 15, *colon = strchr(rest, ':');

		archive = true;
		path = colon ? bh_strndup(rest, (size_t)(colon - rest)) : bh_strdup(rest);
		if (colon && colon[1])
			tag = bh_strdup(colon + 1);
		else if (img->kind == BH_IMAGE_REGISTRY && img->name)
			tag = bh_strdup(img->name);
	} else if (bh_str_has_prefix(dest, "oci:")) {
		/* oci:DIR[:TAG], the tag after the last ':' that no '/' follows */
		const char *rest = dest + 4, *colon = strrchr(rest, ':');

		if (colon && !strchr(colon, '/')) {
			path = bh_strndup(rest, (size_t)(colon - rest));
			tag = colon[1] ? bh_strdup(colon + 1) : NULL;
		} else {
			path = bh_strdup(rest);
		}
	} else if (bh_str_has_prefix(dest, "oci-archive:") ||
		   bh_str_has_prefix(dest, "docker://")) {
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "'%s': save to oci:DIR[:TAG] or docker-archive:FILE[:REF]%s",
				    dest,
				    bh_str_has_prefix(dest, "docker://") ? " (push sends to a "
									   "registry)"
									 : "");
	} else {
		path = bh_strdup(dest);
	}
	if (!*path) {
		free(path);
		free(tag);
		return bh_error_set(err, BH_ERR_USAGE, "'%s' names no path", dest);
	}
	if (tag && !archive) {
		/* a ref.name is a tag-like word (the layout spec's grammar) */
		for (const char *t = tag; *t; t++)
			if (!bh_isalnum(*t) && !strchr("-._:@/+", *t)) {
				bh_error_set(err, BH_ERR_USAGE, "'%s' is not a valid tag", tag);
				free(path);
				free(tag);
				return -1;
			}
	}
	if (img_plan_build(img, &plan, err) < 0) {
		free(path);
		free(tag);
		return -1;
	}
	r = archive ? save_archive(img, &plan, path, tag, o, err)
		    : save_layout(img, &plan, path, tag, o, err);
	if (r < 0)
		bh_error_prefix(err, "saving to %s", path);
	img_plan_release(&plan);
	free(path);
	free(tag);
	return r;
}
