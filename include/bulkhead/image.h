/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbulkhead images: open a container image from a docker-archive, an OCI
 * layout (directory or tar) or a root filesystem directory; read its manifest
 * and config; walk the files of every layer (in parallel, streaming, every
 * blob verified against its digest as it streams); build the merged view
 * with whiteouts applied; unpack it safely.
 *
 * Images in a registry are read through include/bulkhead/registry.h: a
 * reference (`registry.example:5000/team/app:1.2`, `...@sha256:...`,
 * `docker://...`) opens like a layout on disk, its layers streamed.
 *
 * Images of the local engines: `docker-daemon:NAME` through the Docker
 * Engine API (DOCKER_HOST=unix://PATH, else /var/run/docker.sock), its
 * archive streamed, and `containers-storage:NAME` from podman's store
 * (CONTAINERS_STORAGE_CONF's graphroot, else the default store), read
 * directly. Both look like a docker-archive: no manifest, layers known by
 * diff_id. A docker-daemon image's config is the engine's view of it until a
 * walk meets the config blob in the engine's archive (checked against the
 * image ID), which then replaces img->config and img->config_json.
 *
 * Layer indexes are 0-based in this API (`layer` fields, `--layer` is
 * translated by the CLI); everything shown to users is 1-based
 * ("layer 1" = the base layer), matching the test data.
 *
 * Ownership follows include/bulkhead/base.h.
 */
#ifndef BULKHEAD_IMAGE_H
#define BULKHEAD_IMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "bulkhead/base.h"

/* ---- limits ------------------------------------------------------------ */

/* Every limit applies to untrusted input; each failure names the limit. */
struct bh_image_limits {
	uint64_t max_total_size;    /* uncompressed bytes over all layers */
	uint64_t max_entries;	    /* tar entries over all layers */
	size_t max_path;	    /* bytes in one path or link target */
	size_t max_file_read;	    /* one file's content read into memory */
	uint64_t max_ratio;	    /* uncompressed / compressed per layer ... */
	uint64_t ratio_floor;	    /* ... checked once a layer exceeds this many bytes */
	size_t max_json;	    /* index, manifest, config, manifest.json */
	unsigned max_layers;	    /* layers in one image */
	uint64_t max_outer_entries; /* members of an image archive (tar of tars) */
};

/* Defaults: 64 GiB total, 4M entries, 4096-byte paths, 256 MiB file reads,
 * ratio 1000 past 64 MiB, 8 MiB JSON, 512 layers, 1M archive members. */
void bh_image_limits_default(struct bh_image_limits *lim);

/* ---- opening ----------------------------------------------------------- */

enum bh_image_kind {
	BH_IMAGE_DOCKER_ARCHIVE = 1, /* docker save / podman save / skopeo docker-archive: */
	BH_IMAGE_OCI_DIR,	     /* OCI image layout directory */
	BH_IMAGE_OCI_ARCHIVE,	     /* tar of an OCI image layout */
	BH_IMAGE_ROOTFS,	     /* a root filesystem directory (one pseudo-layer) */
	BH_IMAGE_REGISTRY,	     /* an image in a registry (docker://) */
	BH_IMAGE_DOCKER_DAEMON,	     /* an image in the local Docker engine (docker-daemon:) */
	BH_IMAGE_CONTAINERS_STORAGE, /* an image in podman's store (containers-storage:) */
};

enum bh_compression { BH_COMP_NONE = 0, BH_COMP_GZIP, BH_COMP_ZSTD };

struct bh_registry_opts;

struct bh_image_open_opts {
	const char *platform; /* "os/arch[/variant]"; NULL = linux/amd64 */
	const char *ref;      /* org.opencontainers.image.ref.name to select; NULL = any */
	const struct bh_image_limits *limits;	 /* NULL = defaults */
	const struct bh_registry_opts *registry; /* TLS, credentials; NULL = defaults */
};

struct bh_layer {
	struct bh_digest digest;  /* blob digest (compressed); zero str[0] if unknown */
	struct bh_digest diff_id; /* digest of the uncompressed tar, from the config */
	char *media_type;	  /* as declared; NULL for docker-archive files */
	char *file;		  /* docker-archive: the layer's file in the archive */
	enum bh_compression compression;
	int64_t size; /* blob size in bytes, -1 if unknown */
	/* Filled in by a walk that reads the layer (bh_image_walk): */
	uint64_t usize;	  /* uncompressed bytes */
	uint64_t entries; /* tar entries */
	bool read;	  /* the figures above are valid */
	bool cached;	  /* the last walk took this layer from the layer cache */
};

struct bh_history {
	char *created;
	char *created_by;
	char *comment;
	bool empty_layer;
};

/* The image config fields bulkhead uses (the whole JSON is in `config_json`). */
struct bh_image_config {
	char *os, *architecture, *variant;
	char *user;	   /* may be NULL */
	char **env;	   /* NULL-terminated */
	char **entrypoint; /* NULL-terminated, or NULL */
	char **cmd;	   /* NULL-terminated, or NULL */
	char *working_dir;
	char **exposed_ports; /* "22/tcp", NULL-terminated */
	char **volumes;	      /* NULL-terminated */
	json_t *labels;	      /* object (borrowed from config_json) or NULL */
	char *stop_signal;
	bool has_healthcheck;
	char *created;
	struct bh_history *history;
	size_t nhistory;
};

/*
 * Where an image was pulled from, as annotations of its index.json entry in
 * an OCI layout (`bulkhead pull` writes them; NIST SP 800-190 4.2.2: the
 * stale-image scanner compares them with what the tag names today):
 */
#define BH_ANN_SOURCE	     "dev.bulkhead.image.source"	/* the reference pulled */
#define BH_ANN_SOURCE_DIGEST "dev.bulkhead.image.source.digest" /* what it resolved to */
#define BH_ANN_PULLED	     "dev.bulkhead.image.pulled"	/* when (RFC 3339) */

struct bh_image {
	enum bh_image_kind kind;
	char *location; /* the path opened */
	char *name;	/* the reference name if known (RepoTags, ref.name) */
	/*
	 * Where the image came from: a registry image, its reference (normalised)
	 * and the digest it resolved to when opened (an index's when it names an
	 * index); an OCI layout, the BH_ANN_SOURCE* annotations of its entry.
	 * NULL / an empty digest when unknown.
	 */
	char *source_ref;
	struct bh_digest source_digest;
	char *source_time; /* RFC 3339: when it was pulled (layouts), or NULL */

	bool has_manifest; /* OCI (docker-archive has none) */
	struct bh_digest manifest_digest;
	char *manifest_media_type;
	int64_t manifest_size;
	struct bh_digest config_digest; /* the image ID */
	char *config_media_type;

	struct bh_image_config config;
	json_t *config_json;   /* the parsed config blob */
	json_t *manifest_json; /* the parsed manifest (NULL for docker-archive) */

	struct bh_layer *layers;
	size_t nlayers;

	struct bh_image_limits limits;
	struct bh_image_src *src; /* private: where blobs come from */
};

/*
 * Open IMAGE, detecting its kind from content unless it has a prefix:
 * "docker-archive:", "oci:", "oci-archive:", "rootfs:" ("rootfs:/" is this
 * machine), "docker://" (a registry), "docker-daemon:" or
 * "containers-storage:". Without a prefix, a path that exists is a file or
 * directory; a string that names nothing on disk and parses as a reference
 * is looked up in the Docker engine, then in podman's store, then in the
 * registry (an engine that is not running or lacks it is passed over; when
 * all fail, the error names each answer). Reads and verifies the index,
 * manifest and config; layers are read only by a walk.
 */
int bh_image_open(const char *image, const struct bh_image_open_opts *opts, struct bh_image **out,
		  struct bh_error **err);
void bh_image_free(struct bh_image *img);
const char *bh_image_kind_name(enum bh_image_kind kind);
const char *bh_compression_name(enum bh_compression c);

/* ---- walking files ----------------------------------------------------- */

enum bh_ftype {
	BH_FT_REG = 1,
	BH_FT_DIR,
	BH_FT_SYMLINK,
	BH_FT_HARDLINK,
	BH_FT_CHAR,
	BH_FT_BLOCK,
	BH_FT_FIFO,
	BH_FT_WHITEOUT, /* ".wh.NAME": `path` is the deleted path (NAME, not .wh.NAME) */
	BH_FT_OPAQUE,	/* ".wh..wh..opq": `path` is the directory made opaque */
};

struct bh_xattr {
	const char *name;
	const void *value;
	size_t size;
};

/* One entry of one layer, valid during the visitor call only. */
struct bh_entry {
	const char *path; /* cleaned, relative, no leading "/"; "" is the root */
	enum bh_ftype type;
	uint32_t mode; /* permission bits with setuid/setgid/sticky (07777) */
	uint32_t uid, gid;
	uint64_t size; /* content bytes (regular files) */
	int64_t mtime;
	const char *link; /* symlink target as stored; hard link: cleaned path */
	uint32_t devmajor, devminor;
	unsigned layer; /* 0-based */
	const struct bh_xattr *xattrs;
	size_t nxattrs;
};

struct bh_entry_reader; /* reads the current entry's content */

/* Read up to n bytes of the current entry; returns bytes read, 0 at its end. */
ssize_t bh_entry_read(struct bh_entry_reader *r, void *buf, size_t n, struct bh_error **err);
/* Read the whole content into b, bounded by min(b->max, limits.max_file_read). */
int bh_entry_read_all(struct bh_entry_reader *r, struct bh_buf *b, struct bh_error **err);

/*
 * Called for every entry of every layer. With more than one thread, calls for
 * different layers come from different threads at the same time; calls for
 * one layer come from one thread, in archive order. Content not read is
 * skipped. Return 0 to go on, negative (with *err set) to stop the walk; the
 * walk prefixes that error with the layer and the entry ("layer 2
 * (sha256:ab12…): 'etc/x': …"), so a visitor need not name them.
 */
typedef int (*bh_entry_fn)(const struct bh_entry *e, struct bh_entry_reader *r, void *data,
			   struct bh_error **err);
/* Optional: called on the layer's thread before its first entry and after its
 * last one (with ok false if the layer failed). */
typedef int (*bh_layer_fn)(unsigned layer, bool ok, void *data, struct bh_error **err);

struct bh_walk_cache;

struct bh_walk_opts {
	unsigned threads;	/* 0 = one per online CPU; 1 = in layer order */
	const bool *layer_mask; /* NULL = all layers; else nlayers flags */
	bh_layer_fn layer_begin;
	bh_layer_fn layer_end;
	volatile int *cancel; /* optional: set non-zero to stop early */
	/* bh_image_walk_consumers only: layers already analysed are taken from
	 * this cache and those read are added to it (see "the layer cache"
	 * below); NULL = none. */
	const struct bh_walk_cache *cache;
};

/*
 * Walk the layers, verifying every blob's digest and size and every layer's
 * diff_id as it streams, and enforcing the limits. On success each walked
 * layer's usize/entries/read are set. A failure names the layer
 * ("layer 3 (sha256:ab12…): gzip: unexpected end of stream").
 */
int bh_image_walk(struct bh_image *img, const struct bh_walk_opts *opts, bh_entry_fn fn, void *data,
		  struct bh_error **err);

/* ---- several consumers in one pass ---------------------------------------- */

/*
 * A consumer of a shared walk: several scanners (catalogers, secrets,
 * malware) read an image in one pass, so each layer is decompressed once.
 * For every entry, `entry` (optional) sees the metadata; `want` (optional)
 * says whether the consumer wants the content, which is then read once and
 * handed to every consumer that wants it in chunks (`chunk`), ending with a
 * call with n == 0. Threading as in bh_image_walk: calls for different
 * layers may come from different threads at the same time, so keep state
 * per layer. Any callback returning negative (with *err set) stops the walk.
 */
struct bh_consumer {
	void *data;
	int (*entry)(const struct bh_entry *e, void *data, struct bh_error **err);
	bool (*want)(const struct bh_entry *e, void *data);
	int (*chunk)(const struct bh_entry *e, const void *p, size_t n, void *data,
		     struct bh_error **err);
	/*
	 * Or, for code written against bh_image_walk: called for every entry
	 * with the content reader, as a bh_entry_fn. What it reads is teed to
	 * the chunk consumers; the rest is read for them afterwards. At most one
	 * consumer in a walk may pull.
	 */
	bh_entry_fn pull;
	bh_layer_fn layer_begin;
	bh_layer_fn layer_end;
	/*
	 * The layer cache (optional; see below). `cache_part` names what this
	 * consumer keeps of a layer ("inventory"); `cache_config` is everything
	 * besides the layer that changes it (options, digests of rules), so a
	 * different one never hits. save_layer runs after layer_end(ok) and
	 * appends the layer's state to `out` (bh_pack); load_layer makes the
	 * layer's state from (p, n) as save_layer wrote it, from nothing (a
	 * bounded parser: the bytes come from a file). On a hit the walk calls
	 * load_layer, then `entry` for each of the layer's entries as they were
	 * read (metadata only: want, chunk and pull are not called), then
	 * layer_end, but not layer_begin. When a load fails the walk reads the
	 * layer after all, starting with layer_begin, which must then drop
	 * what the failed load left. A consumer that reads content (want and
	 * chunk, or pull) without these hooks keeps the walk from the cache.
	 */
	const char *cache_part;
	const char *cache_config;
	int (*save_layer)(unsigned layer, struct bh_buf *out, void *data, struct bh_error **err);
	int (*load_layer)(unsigned layer, const void *p, size_t n, void *data,
			  struct bh_error **err);
};

/* Walk once, feeding every consumer. `opts` as for bh_image_walk (its
 * layer_begin/layer_end are ignored: each consumer has its own). */
int bh_image_walk_consumers(struct bh_image *img, const struct bh_walk_opts *opts,
			    struct bh_consumer *const *consumers, size_t n, struct bh_error **err);

/* ---- the layer cache ----------------------------------------------------- */

/*
 * What the consumers of a shared walk make of one layer depends on nothing
 * but the layer's content, their options and bulkhead itself, so it can be
 * kept and used again by any later walk of an image with that layer (the
 * same image scanned again, or another built on the same base). Each part
 * (the layer's entries, and each consumer's cache_part) is stored under a
 * key, the SHA-256 of: a format version, BH_VERSION and the build id of the
 * library's sources, the cache's salt, the image limits that shape a read,
 * the part's name and cache_config, and the layer's diff_id. The stored
 * bytes carry the key and a SHA-256 of themselves, so a corrupt, truncated
 * or misplaced row is a miss (logged at debug), never a crash or a wrong
 * result.
 *
 * Why a hit is as trustworthy as the read it replaces: a part is stored only
 * after a read of the layer succeeded, and a read succeeds only when the
 * blob matched its digest and the uncompressed tar its diff_id. The diff_ids
 * of a config are only the image author's claim until a layer is read, so
 * where the manifest names the layer's blob (OCI layouts and archives,
 * registries) a hit also needs a row that says this blob digest was read and
 * found to be this diff_id: an image whose config claims the diff_id of a
 * layer read before, for a blob never read, misses and its read fails. The
 * same layer compressed another way is read once more, then hits. Where no
 * blob digest is known (a docker-archive's layer files; the local engines'
 * layers, which the engine hashed itself) the config's claim is trusted on a
 * hit: such an archive that lies about a diff_id read before is not caught
 * (docker load and every engine check diff_ids, so it would not run there);
 * `--no-cache` reads every layer. A walk from the cache does not notice a
 * layer blob that is missing or damaged on disk. Layers without a diff_id
 * (a root filesystem, a config without rootfs.diff_ids) are never cached.
 * Whoever can write the cache can make it lie, as whoever can write the
 * advisory store can: both are files * of the user running bulkhead.
 *
 * A walk that uses the cache calls `get` for each part of a layer (from its
 * threads, at once) and takes the layer from the cache only when every part
 * is there and reads back; otherwise it reads the layer, and after a walk
 * that succeeded it hands `put` the parts of the layers it read (data set)
 * and the keys of those it used (data NULL), in one call. A failing `put`
 * is a warning, never the walk's failure. The limits on total size and
 * entries still count the cached layers (their sizes are stored).
 */
#define BH_WALK_CACHE_MAX_PART (256u << 20) /* bytes in one stored part */

struct bh_walk_cache_item {
	char key[65];	     /* hex SHA-256, as above */
	const char *diff_id; /* the layer's */
	const char *part;    /* "walk" (the entries) or a consumer's cache_part */
	const void *data;    /* the stored bytes; NULL: a part that was used */
	size_t len;
};

struct bh_walk_cache {
	void *data;
	/* 1 with the bytes stored under `key` in *out (bounded by out->max),
	 * 0 when there are none, negative on failure (the walk reads the layer). */
	int (*get)(void *data, const char *key, struct bh_buf *out, struct bh_error **err);
	int (*put)(void *data, const struct bh_walk_cache_item *items, size_t n,
		   struct bh_error **err);
	const char *salt; /* mixed into every key; NULL = none */
};

/* ---- the merged view --------------------------------------------------- */

/* A file in the merged (final) filesystem, or one layer's change. */
struct bh_file {
	char *path; /* relative, no leading "/" */
	enum bh_ftype type;
	uint32_t mode, uid, gid;
	uint64_t size;
	int64_t mtime;
	char *link;
	uint32_t devmajor, devminor;
	unsigned layer; /* 0-based layer that last wrote it */
};

struct bh_fileset {
	struct bh_file *files; /* sorted by path (byte order) */
	size_t nfiles;
};

/*
 * The final filesystem: whiteouts and opaque directories applied across the
 * layers, in layer order. `threads` as in bh_walk_opts.
 */
int bh_image_merged(struct bh_image *img, unsigned threads, struct bh_fileset **out,
		    struct bh_error **err);
/*
 * What layer `layer` (0-based) adds or changes (its entries, type != WHITEOUT
 * or OPAQUE) and deletes (WHITEOUT: path deleted; OPAQUE: directory whose
 * lower contents are hidden), in archive order.
 */
int bh_image_layer_changes(struct bh_image *img, unsigned layer, struct bh_fileset **out,
			   struct bh_error **err);
void bh_fileset_free(struct bh_fileset *fs);

/*
 * The merged view built inside a shared walk (bh_image_walk_consumers):
 * add bh_merge_consumer(m) to the walk, then bh_merge_finish. Layer lists
 * are kept per layer, so the consumer is safe with several threads.
 */
struct bh_merge;
struct bh_merge *bh_merge_new(const struct bh_image *img);
struct bh_consumer *bh_merge_consumer(struct bh_merge *m);
/* The final filesystem (as bh_image_merged); call once, after the walk. */
int bh_merge_finish(struct bh_merge *m, struct bh_fileset **out, struct bh_error **err);
void bh_merge_free(struct bh_merge *m);

/* ---- unpacking --------------------------------------------------------- */

struct bh_unpack_opts {
	unsigned threads; /* unused for now: layers apply in order */
	bool devices;	  /* create device nodes (root only); default skip */
	bool keep_owner;  /* chown to the image's uid/gid; default: when root */
};

struct bh_unpack_stats {
	uint64_t files, dirs, symlinks, hardlinks, whiteouts, skipped_devices;
	uint64_t bytes;
};

/*
 * Unpack the merged filesystem into `dir`, which must not exist or be empty.
 * Everything is written into a temporary directory beside `dir` through
 * in-root resolution (nothing can be written outside it), then renamed into
 * place; on any error `dir` is left as it was and the temporary is removed.
 * Member names with ".." or a leading "/" are refused; so are hard links to
 * them.
 */
int bh_image_unpack(struct bh_image *img, const char *dir, const struct bh_unpack_opts *opts,
		    struct bh_unpack_stats *stats, struct bh_error **err);

/* ---- copying images: save to disk, push to a registry ----------------- */

enum bh_image_progress_state {
	BH_PROGRESS_START = 1, /* a blob begins */
	BH_PROGRESS_BYTES,     /* `done` bytes of it so far */
	BH_PROGRESS_DONE,      /* copied */
	BH_PROGRESS_EXISTS,    /* already there: not sent */
	BH_PROGRESS_MOUNTED,   /* mounted from another repository */
};

struct bh_image_progress {
	enum bh_image_progress_state state;
	unsigned index;	    /* 0 = the config, 1.. = layer 1.. */
	unsigned count;	    /* blobs in all (config + layers) */
	const char *digest; /* the blob */
	uint64_t done;
	int64_t total; /* its size, -1 if unknown */
};
/* Called from the copying threads, several at a time: serialise inside. */
typedef void (*bh_image_progress_fn)(const struct bh_image_progress *p, void *data);

struct bh_image_copy_opts {
	unsigned threads;			 /* blobs copied at once; 0 = 4 */
	const struct bh_registry_opts *registry; /* for a push: TLS, credentials */
	bh_image_progress_fn progress;
	void *progress_data;
};

/*
 * Write the image to `dest`: "oci:DIR[:TAG]" or a plain DIR (an OCI
 * layout; DIR must not exist or be empty), or "docker-archive:FILE[:REF]"
 * (a docker-archive tar, compression of the layers as in the source). Every
 * blob is verified as it is copied; an image with a manifest keeps it byte
 * for byte (so its digest), one without (a docker-archive) gets an OCI
 * manifest. Everything is written beside `dest` and renamed into place when
 * complete: on failure nothing is left at `dest`.
 */
int bh_image_save(struct bh_image *img, const char *dest, const struct bh_image_copy_opts *opts,
		  struct bh_error **err);

struct bh_image_push_result {
	struct bh_digest digest;	     /* of the manifest pushed */
	unsigned uploaded, existed, mounted; /* blobs */
};

/*
 * Push the image to the registry reference `ref` (a tag; or a digest, which
 * must be the manifest's). Blobs the repository has are not sent again; a
 * blob of an image read from another repository of the same registry is
 * mounted from there when the registry offers it. The manifest is sent byte
 * for byte when the image has one (its digest is kept).
 */
int bh_image_push(struct bh_image *img, const char *ref, const struct bh_image_copy_opts *opts,
		  struct bh_image_push_result *res, struct bh_error **err);

#endif /* BULKHEAD_IMAGE_H */
