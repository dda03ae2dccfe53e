/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/image: byte streams, blob sources, the outer-archive index
 * and the JSON readers for index, manifest and config.
 */
#ifndef BULKHEAD_IMAGE_INTERNAL_H
#define BULKHEAD_IMAGE_INTERNAL_H

#include <stdatomic.h>
#include <sys/types.h>

#include "bulkhead/image.h"

/* ---- streams ----------------------------------------------------------- */

/* A pull stream: read returns bytes read, 0 at the end, -1 on error. */
struct bh_stream {
	ssize_t (*read)(struct bh_stream *s, void *buf, size_t n, struct bh_error **err);
	void (*close)(struct bh_stream *s);
};

static inline ssize_t bh_stream_read(struct bh_stream *s, void *buf, size_t n,
				     struct bh_error **err)
{
	return s->read(s, buf, n, err);
}

static inline void bh_stream_close(struct bh_stream *s)
{
	if (s)
		s->close(s);
}

/* Bytes in memory as a stream; takes ownership of p (malloc'd). */
struct bh_stream *img_stream_bytes(char *p, size_t n);
/* The same over borrowed bytes, which must outlive the stream. */
struct bh_stream *img_stream_bytes_borrowed(const char *p, size_t n);
/* Reads through `inner` without owning it: closing this leaves inner open. */
struct bh_stream *img_stream_borrow(struct bh_stream *inner);

/* A byte range of a file (pread, so one fd serves many threads). Takes a
 * reference on fd (dup). */
int bh_stream_file_range(int fd, off_t offset, uint64_t length, struct bh_stream **out,
			 struct bh_error **err);

/*
 * Verify a blob while it streams: hashes every byte; at the end checks the
 * size (when expected_size >= 0) and the digest (when `digest` is not NULL),
 * failing the final read with BH_ERR_DIGEST naming `what`. Takes ownership
 * of `inner`. `counter`, when not NULL, receives the bytes read so far.
 */
int bh_stream_verify(struct bh_stream *inner, const struct bh_digest *digest, int64_t expected_size,
		     const char *what, struct bh_stream **out, struct bh_error **err);
/* Bytes read so far through a stream made by bh_stream_verify. */
uint64_t bh_stream_verify_count(struct bh_stream *s);

/* Decompress gzip (isa-l) or zstd; NONE passes through. Takes ownership. */
int bh_stream_decompress(struct bh_stream *inner, enum bh_compression c, struct bh_stream **out,
			 struct bh_error **err);

/* Read a whole (small) stream into b, bounded by b->max. */
int bh_stream_read_all(struct bh_stream *s, struct bh_buf *b, const char *what,
		       struct bh_error **err);

/* Guess the compression from the first bytes (gzip 1f 8b, zstd 28 b5 2f fd). */
enum bh_compression bh_sniff_compression(const unsigned char *p, size_t n);

/* ---- the index of an uncompressed tar (an image archive) --------------- */

struct bh_tar_member {
	char *name;   /* cleaned (no leading ./ or /) */
	char type;    /* tar typeflag: '0' file, '5' dir, '2' symlink, '1' hard link */
	off_t offset; /* of the content */
	uint64_t size;
	char *link; /* link target for '1' / '2' */
};

struct bh_tar_index {
	struct bh_tar_member *members;
	size_t n;
	struct bh_map *by_name; /* name -> member */
};

/*
 * Scan the headers of an uncompressed ustar/pax/GNU tar in fd (regular file)
 * and index its members without reading their content. Hostile headers
 * (bad checksums, sizes past the end, overlong names) are errors.
 */
int bh_tar_index_build(int fd, uint64_t max_members, size_t max_path, struct bh_tar_index **out,
		       struct bh_error **err);
/* Parse the headers held in (buf, len), as above, for fuzzing and tests. */
int bh_tar_index_parse(const unsigned char *buf, size_t len, uint64_t max_members, size_t max_path,
		       struct bh_tar_index **out, struct bh_error **err);
/* Look a member up, following symlinks and hard links within the archive
 * (at most 16 hops). NULL if absent or not a regular file. */
const struct bh_tar_member *bh_tar_index_find(const struct bh_tar_index *ix, const char *name);
void bh_tar_index_free(struct bh_tar_index *ix);

/* Pieces of a tar header, shared with the sequential reader (seq.c): an
 * octal (or GNU base-256) number field; the header's checksum; an all-zero
 * block; pax records (path, linkpath, size). */
int img_tar_num(const unsigned char *f, size_t len, uint64_t *out);
bool img_tar_checksum_ok(const unsigned char *h);
bool img_tar_zero(const unsigned char *h);
int img_tar_pax(const char *p, size_t n, char **path, char **linkpath, uint64_t *size,
		bool *has_size, struct bh_error **err);

/* ---- blob sources ------------------------------------------------------- */

/*
 * Where an image's blobs come from. A source opens a blob by digest (OCI,
 * registry) or by file name (docker-archive) as a raw stream; verification
 * and decompression are layered on top by the caller.
 */
struct bh_image_src {
	const char *kind;
	/* Open the blob named by `digest` (or by `name`, a path in the image
	 * archive, when digest is NULL). *size receives its size if known, -1 otherwise. */
	int (*open)(struct bh_image_src *src, const struct bh_digest *digest, const char *name,
		    struct bh_stream **out, int64_t *size, struct bh_error **err);
	void (*free)(struct bh_image_src *src);
	/* rootfs only: the directory fd, else -1. */
	int rootfd;
	/* A sequential source (one archive stream, engine.h): the walk and the
	 * copy read it through img_seq_run; NULL for every other source. */
	struct img_seq *seq;
};

int bh_image_src_oci_dir(const char *dir, struct bh_image_src **out, struct bh_error **err);
int bh_image_src_archive(const char *path, const struct bh_image_limits *lim,
			 struct bh_image_src **out, struct bh_error **err);
int bh_image_src_rootfs(const char *dir, struct bh_image_src **out, struct bh_error **err);
/* For an archive source: whether the archive has this member. */
bool bh_image_src_archive_has(struct bh_image_src *src, const char *name);

/* Read a whole small blob through a verifying stream. */
int bh_image_src_read_blob(struct bh_image_src *src, const struct bh_digest *digest,
			   int64_t expected_size, const char *name, size_t max, const char *what,
			   struct bh_buf *out, struct bh_error **err);

/* ---- JSON documents ---------------------------------------------------- */

#define BH_MT_OCI_INDEX	      "application/vnd.oci.image.index.v1+json"
#define BH_MT_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define BH_MT_OCI_CONFIG      "application/vnd.oci.image.config.v1+json"
#define BH_MT_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define BH_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define BH_MT_DOCKER_CONFIG   "application/vnd.docker.container.image.v1+json"

struct bh_descriptor {
	char *media_type;
	struct bh_digest digest;
	int64_t size;
	char *ref_name;			/* annotations["org.opencontainers.image.ref.name"] */
	char *source_ref, *source_time; /* annotations BH_ANN_SOURCE, BH_ANN_PULLED */
	struct bh_digest source_digest; /* annotations BH_ANN_SOURCE_DIGEST */
	char *os, *arch, *variant;
};

void bh_descriptor_release(struct bh_descriptor *d);
/* Parse a descriptor object; `what` names it in errors. */
int bh_descriptor_parse(const json_t *o, const char *what, struct bh_descriptor *d,
			struct bh_error **err);

/* Free everything img holds, not img itself. */
void img_free_contents(struct bh_image *img);

/* Free what img->config holds. */
void bh_image_config_release(struct bh_image_config *c);
/* Parse the config blob into img->config (and keep the JSON). */
int bh_config_parse(struct bh_image *img, json_t *config, struct bh_error **err);
/* Parse an image manifest JSON into img (config descriptor, layers). */
int bh_manifest_parse(struct bh_image *img, json_t *manifest, struct bh_descriptor *config,
		      struct bh_error **err);
/* Layer media type -> compression; an unsupported type is an error. */
int bh_layer_media_type(const char *mt, enum bh_compression *c, struct bh_error **err);

/* The image's config is for `platform` ("os/arch[/variant]"), else
 * BH_ERR_NOTFOUND naming both. */
int img_platform_check(const struct bh_image *img, const char *platform, struct bh_error **err);

/* The OCI layout / docker-archive openers (source.c). */
int bh_image_open_oci(struct bh_image *img, const struct bh_image_open_opts *opts,
		      struct bh_error **err);
int bh_image_open_docker(struct bh_image *img, const struct bh_image_open_opts *opts,
			 struct bh_error **err);

/* ---- registries (remote.c) ---------------------------------------------- */

struct img_seq;
struct bh_registry_ref;
/* Open img (location set) from the registry reference `reference`. */
int img_open_registry(struct bh_image *img, const char *reference,
		      const struct bh_image_open_opts *o, struct bh_error **err);
/* The repository a registry source reads from; -1 for another source. */
int img_src_registry_repo(const struct bh_image_src *src, const struct bh_registry_ref **ref);

/* What a visitor reads an entry's content through: a tar stream (a) or,
 * for a root filesystem, a file opened lazily by name from dirfd. */
struct layer_ctx;
struct bh_entry_reader {
	struct archive *a;
	struct layer_ctx *lc;
	int fd;
	int dirfd;
	const char *name;
	uint64_t size;
	uint64_t done;
	size_t max_file_read;
	/* When set, every chunk read is also handed to tee (a shared walk). */
	int (*tee)(const void *p, size_t n, void *data, struct bh_error **err);
	void *tee_data;
};

/* ---- the walk with the layer cache (walk.c, cache.c, consumers.c) ------- */

/*
 * Called before a layer is read: 1 when it was served some other way (the
 * layer cache) with its uncompressed size and tar entries in *usize and
 * *entries (the walk counts them against the limits), 0 to read it,
 * negative to fail the walk.
 */
typedef int (*img_layer_served_fn)(unsigned layer, void *data, uint64_t *usize, uint64_t *entries,
				   struct bh_error **err);
/* bh_image_walk, asking `served` first about each layer (NULL: read them all). */
int img_walk(struct bh_image *img, const struct bh_walk_opts *opts, bh_entry_fn fn, void *data,
	     img_layer_served_fn served, struct bh_error **err);

/* One walk's use of a bh_walk_cache (cache.c). */
struct img_cache;
/* NULL when this walk cannot use the cache (none given, a root filesystem,
 * a consumer that reads content without the cache hooks). Borrows all. */
struct img_cache *img_cache_new(struct bh_image *img, const struct bh_walk_cache *wc,
				struct bh_consumer *const *c, size_t n);
/* The hit (an img_layer_served_fn for a walk whose data is the consumers'). */
int img_cache_serve(struct img_cache *ic, unsigned layer, uint64_t *usize, uint64_t *entries,
		    struct bh_error **err);
/* What a layer that is read leaves for the cache: the entries as they pass,
 * then (after the consumers' layer_end) each consumer's saved state. */
void img_cache_layer_begin(struct img_cache *ic, unsigned layer);
void img_cache_entry(struct img_cache *ic, const struct bh_entry *e);
void img_cache_layer_end(struct img_cache *ic, unsigned layer, bool ok);
/* After a walk that succeeded: hand the parts to the cache's put. */
void img_cache_commit(struct img_cache *ic);
void img_cache_free(struct img_cache *ic);

/* The stored form of a layer's entries (a parser of bytes from a file, for
 * the fuzz target and the tests): every entry checked as the walk would
 * have made it (clean paths, known types, limits). */
struct img_entries {
	struct bh_entry *v; /* strings point into `arena` */
	size_t n;
	uint64_t usize, tar_entries;
	char *arena;
	struct bh_xattr *xattrs;
};
int img_entries_decode(const void *p, size_t n, const struct bh_image_limits *lim,
		       struct img_entries *out, struct bh_error **err);
void img_entries_release(struct img_entries *es);
/* The stored bytes of a part: the payload, checked against the key and its
 * SHA-256 (a wrong one is BH_ERR_DIGEST). */
int img_cache_open_part(const void *p, size_t n, const char *key, const void **payload, size_t *len,
			struct bh_error **err);

/* rootfs pseudo-layer walk (walk_rootfs.c). */
int bh_walk_rootfs(struct bh_image *img, bh_entry_fn fn, void *data, volatile int *cancel,
		   struct bh_error **err);

#endif
