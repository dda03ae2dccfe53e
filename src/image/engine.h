/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/image: images held by local engines.
 *
 *   docker-daemon:NAME        the Docker engine, through its Engine API on a
 *                             unix socket (daemon.c): the image archive it
 *                             streams is a sequential source (seq.c)
 *   containers-storage:NAME   podman's store, read directly (storage.c): each
 *                             layer's tar rebuilt from its tar-split record and
 *                             the files of its directory (tarsplit.c)
 */
#ifndef BULKHEAD_IMAGE_ENGINE_H
#define BULKHEAD_IMAGE_ENGINE_H

#include "internal.h"

/* How long an engine may stay silent (the Docker engine assembles a whole
 * `docker save` before its first byte). */
#define IMG_ENGINE_TIMEOUT_MS (300 * 1000)

/* ---- HTTP/1.1 over a unix socket (engine_http.c) ------------------------------ */

struct img_http_head {
	int status;
	int64_t length; /* Content-Length, -1 if none */
	bool chunked;
	char *content_type;
};

/*
 * Parse a response head in (buf, len): its length (the body starts there)
 * when complete, 0 when more bytes are needed, -1 if malformed (or over
 * 64 KiB). Fills h (release it with img_http_head_release).
 */
int img_http_head_parse(const char *buf, size_t len, struct img_http_head *h,
			struct bh_error **err);
void img_http_head_release(struct img_http_head *h);

struct img_http;
/* Connect to a unix socket; BH_ERR_NOTFOUND when nothing listens there. */
int img_unix_connect(const char *path, struct bh_error **err);
/*
 * GET `target` ("/images/x/json") from the server on unix socket `sock`; `what`
 * names it in errors ("the Docker engine (unix:///var/run/docker.sock)").
 * Returns once the response head is in; read the body with img_http_read.
 * timeout_ms 0 = IMG_ENGINE_TIMEOUT_MS, per read.
 */
int img_http_get(const char *sock, const char *target, const char *what, int timeout_ms,
		 struct img_http **out, struct bh_error **err);
/* A response held in memory (tests and the fuzz target). */
int img_http_from_memory(const void *p, size_t n, struct img_http **out, struct bh_error **err);
const struct img_http_head *img_http_response(const struct img_http *x);
/* Body bytes: returns bytes read, 0 at its end, -1 on error (a body cut
 * short is an error). */
ssize_t img_http_read(struct img_http *x, void *buf, size_t n, struct bh_error **err);
/* The whole (small) body into b, bounded by b->max. */
int img_http_read_all(struct img_http *x, struct bh_buf *b, struct bh_error **err);
uint64_t img_http_body_count(const struct img_http *x);
void img_http_close(struct img_http *x);

/* ---- the v1 layer IDs of a legacy `docker save` (v1id.c) ---------------------- */

/*
 * A legacy docker save names each layer's directory by a v1 ID, the SHA-256
 * of the layer's v1 JSON as docker's CreateID marshals it: that JSON without
 * "id", with "layer_id" = the layer's chain ID and "parent" = "sha256:" +
 * the parent's v1 ID, keys sorted. Given the `<id>/json` bytes (before the
 * layer's tar in the stream), find which of the n chain IDs makes `hex`:
 * the index, or -1 if none does (another writer: the caller falls back to
 * manifest.json). Strict about the JSON it rewrites; never a guess.
 */
int img_v1_identify(const char *json, size_t len, const char *hex,
		    const struct bh_digest *chain_ids, size_t n);
/* Chain IDs of diff_ids (ChainID(1) = diff_id 1, then sha256 of "prev diff"). */
void img_chain_ids(const struct bh_layer *layers, size_t n, struct bh_digest *out);

/* ---- sequential sources (seq.c) ------------------------------------------------ */

/*
 * A source whose image comes as one archive stream (docker save), read from
 * the start by each pass. Layers are delivered in the stream's order, each
 * identified before its bytes by its name (a digest or a diff_id), by its v1
 * JSON (legacy layout), or by manifest.json learned on an earlier pass;
 * every delivered layer is verified against its diff_id by the reader. A
 * layer that a walk wants in layer order, or twice (two layers with one
 * diff_id), and that comes early is kept in memory if it fits the budget
 * (IMG_SEQ_KEEP), else read again by another pass.
 */
#define IMG_SEQ_KEEP (32u << 20)

struct img_seq {
	const char *what; /* names the stream in errors */
	/* A new pass: the archive from its first byte. */
	int (*open_pass)(struct img_seq *q, struct bh_stream **out, struct bh_error **err);
	/* The config blob went by (already verified against img->config_digest). */
	int (*on_config)(struct img_seq *q, struct bh_image *img, const char *p, size_t n,
			 struct bh_error **err);
	/* learned on the way: member name -> index of a layer (its diff_id) + 1 */
	struct bh_map *names;
	bool config_seen;
	/* figures, for the debug log and the tests */
	unsigned passes;
	uint64_t kept_peak;
};

void img_seq_init(struct img_seq *q, const char *what);
void img_seq_release(struct img_seq *q);

struct img_seq_want {
	/* Entry i is the layer whose diff_id is *digests[i], or the config. */
	const struct bh_digest *const *digests;
	size_t n;
	bool *done;    /* in: not wanted; out: delivered */
	bool in_order; /* deliver strictly in index order */
	/* Entry i: its raw bytes (size known), compression sniffed. */
	int (*deliver)(void *data, size_t i, struct bh_stream *raw, uint64_t size,
		       enum bh_compression c, struct bh_error **err);
	void *data;
	volatile int *cancel;
};

/* Deliver every wanted entry, in as few passes as it takes. */
int img_seq_run(struct bh_image *img, struct img_seq *q, struct img_seq_want *w,
		struct bh_error **err);
/* One blob (a layer's diff_id or the config digest) as a stream of its own
 * pass: for the odd reader that wants one blob (not the walk, not a copy). */
int img_seq_open_blob(struct bh_image *img, struct img_seq *q, const struct bh_digest *d,
		      struct bh_stream **out, int64_t *size, struct bh_error **err);

/* ---- docker-daemon: (daemon.c) ------------------------------------------------ */

/* The Engine API socket: DOCKER_HOST=unix://PATH, else /var/run/docker.sock.
 * *out is owned by the caller. A DOCKER_HOST that is not unix:// is
 * BH_ERR_UNSUPPORTED. */
int img_docker_socket(char **out, struct bh_error **err);
/*
 * Open img (location and limits set) from the Docker engine: `name` is
 * NAME[:TAG|@DIGEST] or an image ID. BH_ERR_NOTFOUND when the engine is not
 * running or has no such image (a lookup goes on to the next place).
 */
int img_open_docker_daemon(struct bh_image *img, const char *name,
			   const struct bh_image_open_opts *opts, struct bh_error **err);

/* ---- containers-storage: (storage.c, tarsplit.c) ------------------------------ */

/*
 * Open img from podman's store: `spec` is [DRIVER@GRAPHROOT(+RUNROOT)]NAME, as
 * skopeo writes it; without the brackets the store is storage.conf's (root)
 * or the user's. BH_ERR_NOTFOUND when there is no store or no such image.
 */
int img_open_containers_storage(struct bh_image *img, const char *spec,
				const struct bh_image_open_opts *opts, struct bh_error **err);

/* The store's configuration: graphroot and driver from a storage.conf body
 * (its [storage] table; the rest ignored). Missing keys leave *root and
 * *driver as they were; replaced values are freed. */
int img_storage_conf_parse(const char *p, size_t n, char **root, char **driver,
			   struct bh_error **err);

/*
 * A layer's tar rebuilt from its tar-split record (the gzipped JSON lines
 * containers/storage keeps: header bytes as "segments", then each file's
 * name and size) and the file contents under dirfd (the layer's directory):
 * byte for byte the tar the layer was made from, so its diff_id can be
 * checked. Takes ownership of `jsonl` (the decompressed record stream).
 * dirfd is borrowed (duplicated).
 */
int img_tarsplit_stream(struct bh_stream *jsonl, int dirfd, uint64_t max_line,
			struct bh_stream **out, struct bh_error **err);

#endif
