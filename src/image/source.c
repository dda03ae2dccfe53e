/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image sources and opening: detect the kind of IMAGE, read the index or
 * manifest.json, select the image, read and verify manifest and config.
 * Blob sources: an OCI layout directory, an archive (docker-archive or OCI
 * layout as tar, read in place through a header index), a rootfs directory.
 * A registry source plugs in through struct bh_image_src, and so do the
 * local engines (engine.h); a bare name is looked up in the engines first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/registry.h"
#include "engine.h"
#include "lazy/lazy.h"
#include "banned.h"

void bh_image_limits_default(struct bh_image_limits *lim)
{
	lim->max_total_size = 64ull << 30;
	lim->max_entries = 4000000;
	lim->max_path = 4096;
	lim->max_file_read = 256u << 20;
	lim->max_ratio = 1000;
	lim->ratio_floor = 64ull << 20;
	lim->max_json = 8u << 20;
	lim->max_layers = 512;
	lim->max_outer_entries = 1000000;
}

const char *bh_image_kind_name(enum bh_image_kind kind)
{
	switch (kind) {
	case BH_IMAGE_DOCKER_ARCHIVE: return "docker-archive";
	case BH_IMAGE_OCI_DIR: return "oci";
	case BH_IMAGE_OCI_ARCHIVE: return "oci-archive";
	case BH_IMAGE_ROOTFS: return "rootfs";
	case BH_IMAGE_REGISTRY: return "registry";
	case BH_IMAGE_DOCKER_DAEMON: return "docker-daemon";
	case BH_IMAGE_CONTAINERS_STORAGE: return "containers-storage";
	}
	return "unknown";
}

const char *bh_compression_name(enum bh_compression c)
{
	switch (c) {
	case BH_COMP_NONE: return "none";
	case BH_COMP_GZIP: return "gzip";
	case BH_COMP_ZSTD: return "zstd";
	}
	return "unknown";
}

/* ---- OCI layout directory ---------------------------------------------- */

struct dir_src {
	struct bh_image_src base;
	int fd;
};

static int blob_path(const struct bh_digest *d, char *buf, size_t n)
{
	return snprintf(buf, n, "blobs/%s/%s", d->algo == BH_HASH_SHA512 ? "sha512" : "sha256",
			bh_digest_hex(d));
}

static int dir_open(struct bh_image_src *src, const struct bh_digest *digest, const char *name,
		    struct bh_stream **out, int64_t *size, struct bh_error **err)
{
	struct dir_src *s = (struct dir_src *)src;
	char path[BH_DIGEST_MAX + 32];
	struct stat st;
	int fd, r;

	if (digest)
		blob_path(digest, path, sizeof(path));
	else
		snprintf(path, sizeof(path), "%s", name);
	fd = bh_root_openat(s->fd, path, O_RDONLY, 0, NULL);
	if (fd < 0) {
		if (digest)
			return bh_error_set(err, BH_ERR_NOTFOUND, "blob %s is missing (no %s)",
					    digest->str, path);
		return bh_error_set(err, BH_ERR_NOTFOUND, "%s not found", path);
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return bh_error_set(err, BH_ERR_INVALID, "%s is not a regular file", path);
	}
	*size = st.st_size;
	r = bh_stream_file_range(fd, 0, (uint64_t)st.st_size, out, err);
	close(fd);
	return r;
}

static void dir_free(struct bh_image_src *src)
{
	struct dir_src *s = (struct dir_src *)src;

	close(s->fd);
	free(s);
}

int bh_image_src_oci_dir(const char *dir, struct bh_image_src **out, struct bh_error **err)
{
	struct dir_src *s;
	int fd = bh_root_open(dir, err);

	if (fd < 0)
		return -1;
	s = bh_calloc(1, sizeof(*s));
	s->base.kind = "oci";
	s->base.open = dir_open;
	s->base.free = dir_free;
	s->base.rootfd = -1;
	s->fd = fd;
	*out = &s->base;
	return 0;
}

/* ---- archive (tar) ------------------------------------------------------ */

struct archive_src {
	struct bh_image_src base;
	int fd;
	struct bh_tar_index *ix;
};

static int archive_open(struct bh_image_src *src, const struct bh_digest *digest, const char *name,
			struct bh_stream **out, int64_t *size, struct bh_error **err)
{
	struct archive_src *s = (struct archive_src *)src;
	char path[BH_DIGEST_MAX + 32];
	const struct bh_tar_member *m;

	if (digest)
		blob_path(digest, path, sizeof(path));
	else
		snprintf(path, sizeof(path), "%s", name);
	m = bh_tar_index_find(s->ix, path);
	if (!m) {
		if (digest)
			return bh_error_set(err, BH_ERR_NOTFOUND,
					    "blob %s is missing from the archive (no %s)",
					    digest->str, path);
		return bh_error_set(err, BH_ERR_NOTFOUND, "%s not found in the archive", path);
	}
	*size = (int64_t)m->size;
	return bh_stream_file_range(s->fd, m->offset, m->size, out, err);
}

static void archive_free(struct bh_image_src *src)
{
	struct archive_src *s = (struct archive_src *)src;

	close(s->fd);
	bh_tar_index_free(s->ix);
	free(s);
}

bool bh_image_src_archive_has(struct bh_image_src *src, const char *name)
{
	struct archive_src *s = (struct archive_src *)src;

	return bh_tar_index_find(s->ix, name) != NULL;
}

int bh_image_src_archive(const char *path, const struct bh_image_limits *lim,
			 struct bh_image_src **out, struct bh_error **err)
{
	struct archive_src *s;
	unsigned char magic[4];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return bh_error_sys(err, errno, "opening %s", path);
	n = pread(fd, magic, sizeof(magic), 0);
	if (n > 0 && bh_sniff_compression(magic, (size_t)n) != BH_COMP_NONE) {
		close(fd);
		return bh_error_set(err, BH_ERR_UNSUPPORTED,
				    "%s is a compressed archive; decompress it first", path);
	}
	s = bh_calloc(1, sizeof(*s));
	s->base.kind = "archive";
	s->base.open = archive_open;
	s->base.free = archive_free;
	s->base.rootfd = -1;
	s->fd = fd;
	if (bh_tar_index_build(fd, lim->max_outer_entries, lim->max_path, &s->ix, err) < 0) {
		archive_free(&s->base);
		return bh_error_prefix(err, "%s", path);
	}
	*out = &s->base;
	return 0;
}

/* ---- rootfs -------------------------------------------------------------- */

static int rootfs_open(struct bh_image_src *src, const struct bh_digest *digest, const char *name,
		       struct bh_stream **out, int64_t *size, struct bh_error **err)
{
	return bh_error_set(err, BH_ERR_INTERNAL, "a root filesystem has no blobs");
}

static void rootfs_free(struct bh_image_src *src)
{
	close(src->rootfd);
	free(src);
}

int bh_image_src_rootfs(const char *dir, struct bh_image_src **out, struct bh_error **err)
{
	struct bh_image_src *s;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return bh_error_sys(err, errno, "opening root filesystem %s", dir);
	s = bh_calloc(1, sizeof(*s));
	s->kind = "rootfs";
	s->open = rootfs_open;
	s->free = rootfs_free;
	s->rootfd = fd;
	*out = s;
	return 0;
}

/* ---- reading small blobs ------------------------------------------------ */

int bh_image_src_read_blob(struct bh_image_src *src, const struct bh_digest *digest,
			   int64_t expected_size, const char *name, size_t max, const char *what,
			   struct bh_buf *out, struct bh_error **err)
{
	struct bh_stream *raw = NULL, *v = NULL;
	int64_t size;
	int r = -1;

	/* Open by name when there is one (docker-archive); verify by digest. */
	if (src->open(src, name ? NULL : digest, name, &raw, &size, err) < 0)
		return bh_error_prefix(err, "%s", what);
	if (size >= 0 && (uint64_t)size > max) {
		bh_stream_close(raw);
		return bh_error_set(err, BH_ERR_LIMIT,
				    "%s: %lld bytes exceeds the limit of %zu bytes", what,
				    (long long)size, max);
	}
	if (expected_size >= 0 && size >= 0 && size != expected_size) {
		bh_stream_close(raw);
		return bh_error_set(err, BH_ERR_DIGEST,
				    "%s: size mismatch: the blob has %lld bytes, its descriptor "
				    "declares %lld",
				    what, (long long)size, (long long)expected_size);
	}
	if (bh_stream_verify(raw, digest, expected_size, what, &v, err) < 0)
		return -1;
	out->max = max;
	r = bh_stream_read_all(v, out, what, err);
	bh_stream_close(v);
	return r;
}

/* ---- opening ------------------------------------------------------------ */

/* Free what img holds and zero it, limits and location kept (a lookup tries
 * the next place with the same struct). */
static void image_reset(struct bh_image *img)
{
	struct bh_image_limits lim = img->limits;
	char *location = img->location;

	img->location = NULL;
	img_free_contents(img);
	memset(img, 0, sizeof(*img));
	img->limits = lim;
	img->location = location;
}

void bh_image_free(struct bh_image *img)
{
	if (!img)
		return;
	img_free_contents(img);
	free(img);
}

void img_free_contents(struct bh_image *img)
{
	for (size_t i = 0; i < img->nlayers; i++) {
		free(img->layers[i].media_type);
		free(img->layers[i].file);
	}
	free(img->layers);
	bh_image_config_release(&img->config);
	json_decref(img->config_json);
	json_decref(img->manifest_json);
	free(img->location);
	free(img->name);
	free(img->source_ref);
	free(img->source_time);
	free(img->manifest_media_type);
	free(img->config_media_type);
	if (img->src)
		img->src->free(img->src);
}

struct prefix {
	const char *text;
	enum bh_image_kind kind;
};

static const struct prefix prefixes[] = {
	{ "docker-archive:", BH_IMAGE_DOCKER_ARCHIVE },
	{ "oci-archive:", BH_IMAGE_OCI_ARCHIVE },
	{ "oci:", BH_IMAGE_OCI_DIR },
	{ "rootfs:", BH_IMAGE_ROOTFS },
	{ "docker://", BH_IMAGE_REGISTRY },
	{ "docker-daemon:", BH_IMAGE_DOCKER_DAEMON },
	{ "containers-storage:", BH_IMAGE_CONTAINERS_STORAGE },
};

/*
 * "PATH" or "PATH:REF" (as skopeo writes them): the longest prefix that exists
 * is the path, the rest the reference.
 */
static void split_ref(const char *s, char **path, char **ref)
{
	struct stat st;

	*ref = NULL;
	if (stat(s, &st) == 0 || !strchr(s, ':')) {
		*path = bh_strdup(s);
		return;
	}
	for (const char *c = strchr(s, ':'); c; c = strchr(c + 1, ':')) {
		char *p = bh_strndup(s, (size_t)(c - s));

		if (stat(p, &st) == 0) {
			*path = p;
			*ref = bh_strdup(c + 1);
			return;
		}
		free(p);
	}
	*path = bh_strdup(s);
}

/*
 * A name that is not on disk but is a registry reference. *named says the
 * reference names its registry ("host.example/...", "host:5000/...",
 * "localhost/..."), so it was hardly meant as a file.
 */
static bool looks_remote(const char *s, bool *named)
{
	struct bh_registry_ref ref;
	struct stat st;
	size_t first = strcspn(s, "/");

	if (lstat(s, &st) == 0 || errno != ENOENT)
		return false;
	if (bh_registry_ref_parse(s, BH_REF_NORMALIZE, &ref, NULL) < 0)
		return false;
	bh_registry_ref_release(&ref);
	*named = s[first] == '/' && (memchr(s, '.', first) || memchr(s, ':', first) ||
				     (first == 9 && !strncmp(s, "localhost", 9)));
	return true;
}

static int detect(const char *path, enum bh_image_kind *kind, struct bh_image_src **src,
		  const struct bh_image_limits *lim, struct bh_error **err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return bh_error_sys(err, errno, "image %s", path);
	if (S_ISDIR(st.st_mode)) {
		int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		bool oci =
			fd >= 0 && (faccessat(fd, "oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
				    faccessat(fd, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0);

		if (fd >= 0)
			close(fd);
		if (!oci)
			return bh_error_set(err, BH_ERR_UNSUPPORTED,
					    "%s is a directory but not an OCI image layout (no "
					    "oci-layout or index.json); for a root filesystem use "
					    "rootfs:%s",
					    path, path);
		*kind = BH_IMAGE_OCI_DIR;
		return bh_image_src_oci_dir(path, src, err);
	}
	if (!S_ISREG(st.st_mode))
		return bh_error_set(err, BH_ERR_UNSUPPORTED, "%s is not a file or a directory",
				    path);
	if (bh_image_src_archive(path, lim, src, err) < 0)
		return -1;
	if (bh_image_src_archive_has(*src, "index.json") ||
	    bh_image_src_archive_has(*src, "oci-layout")) {
		*kind = BH_IMAGE_OCI_ARCHIVE;
		return 0;
	}
	if (bh_image_src_archive_has(*src, "manifest.json")) {
		*kind = BH_IMAGE_DOCKER_ARCHIVE;
		return 0;
	}
	(*src)->free(*src);
	*src = NULL;
	return bh_error_set(err, BH_ERR_UNSUPPORTED,
			    "%s is a tar archive but neither a docker-archive (no manifest.json) "
			    "nor an OCI image layout (no index.json)",
			    path);
}

static int open_rootfs(struct bh_image *img, struct bh_error **err)
{
	img->nlayers = 1;
	img->layers = bh_calloc(1, sizeof(*img->layers));
	img->layers[0].size = -1;
	img->config.os = bh_strdup("linux");
	img->config.architecture = bh_strdup(
#if defined(__x86_64__)
		"amd64"
#elif defined(__aarch64__)
		"arm64"
#else
		"unknown"
#endif
	);
	return bh_image_src_rootfs(img->location, &img->src, err);
}

/*
 * A name that is no file: looked up as Trivy does, in the Docker engine, then
 * in podman's store, then in the registry. An engine that is not running,
 * or lacks the image, or fails, is passed over (debug log); when every
 * place fails, one error says what each answered.
 */
static int lookup(struct bh_image *img, const char *name, const struct bh_image_open_opts *o,
		  bool named, struct bh_error **err)
{
	struct bh_error *e = NULL;
	char *why[2] = { NULL, NULL };
	char *loc;
	int r;

	loc = bh_asprintf("docker-daemon:%s", name);
	if (img_open_docker_daemon(img, name, o, &e) == 0) {
		free(img->location);
		img->location = loc;
		return 0;
	}
	free(loc);
	why[0] = bh_error_message(e);
	bh_debug("image %s: not from the Docker engine: %s", name, why[0]);
	bh_error_clear(&e);
	image_reset(img);
	loc = bh_asprintf("containers-storage:%s", name);
	if (img_open_containers_storage(img, name, o, &e) == 0) {
		free(img->location);
		img->location = loc;
		free(why[0]);
		return 0;
	}
	free(loc);
	why[1] = bh_error_message(e);
	bh_debug("image %s: not from podman's store: %s", name, why[1]);
	bh_error_clear(&e);
	image_reset(img);
	r = img_open_registry(img, name, o, err);
	if (r < 0)
		bh_error_prefix(err, "'%s': %s%s; %s; registry", name,
				named ? "" : "no such file or directory; ", why[0], why[1]);
	free(why[0]);
	free(why[1]);
	return r;
}

int bh_image_open(const char *image, const struct bh_image_open_opts *opts, struct bh_image **out,
		  struct bh_error **err)
{
	static const struct bh_image_open_opts noopts;
	struct bh_image_open_opts o = opts ? *opts : noopts;
	struct bh_image *img;
	const char *rest = image;
	enum bh_image_kind forced = 0;
	char *ref = NULL;
	bool named = false;
	int r = -1;

	*out = NULL;
	/* loaded on first use (src/lazy): fail here, with the package to install */
	if (bh_lazy_require(&bh_lazy_archive, err) < 0 ||
	    bh_lazy_require(&bh_lazy_crypto, err) < 0 || bh_lazy_require(&bh_lazy_isal, err) < 0 ||
	    bh_lazy_require(&bh_lazy_zstd, err) < 0)
		return -1;
	img = bh_calloc(1, sizeof(*img));
	if (o.limits)
		img->limits = *o.limits;
	else
		bh_image_limits_default(&img->limits);
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (bh_str_has_prefix(image, prefixes[i].text)) {
			forced = prefixes[i].kind;
			rest = image + strlen(prefixes[i].text);
			break;
		}
	}
	if (!*rest) {
		bh_error_set(err, BH_ERR_USAGE, "image '%s' names no %s", image,
			     forced == BH_IMAGE_DOCKER_DAEMON ||
					     forced == BH_IMAGE_CONTAINERS_STORAGE
				     ? "image"
				     : "path");
		goto out;
	}
	if (forced == BH_IMAGE_REGISTRY) {
		img->location = bh_strdup(image);
		r = img_open_registry(img, image, &o, err);
		goto out;
	}
	if (forced == BH_IMAGE_DOCKER_DAEMON || forced == BH_IMAGE_CONTAINERS_STORAGE) {
		img->location = bh_strdup(image);
		if (forced == BH_IMAGE_DOCKER_DAEMON)
			r = img_open_docker_daemon(img, rest, &o, err);
		else
			r = img_open_containers_storage(img, rest, &o, err);
		goto out;
	}
	if (forced == BH_IMAGE_ROOTFS) {
		img->kind = BH_IMAGE_ROOTFS;
		img->location = bh_strdup(rest);
		r = open_rootfs(img, err);
		goto out;
	}
	split_ref(rest, &img->location, &ref);
	if (ref && !o.ref)
		o.ref = ref;

	if (forced == BH_IMAGE_OCI_DIR) {
		struct stat st;

		if (stat(img->location, &st) == 0 && S_ISREG(st.st_mode)) {
			bh_error_set(err, BH_ERR_USAGE,
				     "%s is a file; an OCI layout in a tar is oci-archive:%s",
				     img->location, img->location);
			goto out;
		}
		img->kind = BH_IMAGE_OCI_DIR;
		if (bh_image_src_oci_dir(img->location, &img->src, err) < 0)
			goto out;
	} else if (forced) {
		img->kind = forced;
		if (bh_image_src_archive(img->location, &img->limits, &img->src, err) < 0)
			goto out;
	} else if (!ref && looks_remote(img->location, &named)) {
		/* Nothing on disk has that name, and it parses as a reference: the
		 * Docker engine, podman's store, the registry. */
		r = lookup(img, rest, &o, named, err);
		goto out;
	} else if (detect(img->location, &img->kind, &img->src, &img->limits, err) < 0) {
		goto out;
	}
	if (img->kind == BH_IMAGE_DOCKER_ARCHIVE)
		r = bh_image_open_docker(img, &o, err);
	else
		r = bh_image_open_oci(img, &o, err);
	if (r < 0)
		bh_error_prefix(err, "%s", img->location);
out:
	free(ref);
	if (r < 0) {
		bh_image_free(img);
		return -1;
	}
	*out = img;
	return 0;
}
