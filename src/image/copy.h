/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/image: what copying an image needs (copy.c, push.c): the
 * plan of an image (its manifest and blobs) and a bounded pool of threads
 * that copies its blobs.
 */
#ifndef BULKHEAD_IMAGE_COPY_H
#define BULKHEAD_IMAGE_COPY_H

#include <pthread.h>

#include "engine.h"

struct img_blob {
	struct bh_digest digest;
	int64_t size;	  /* -1 if unknown */
	char *file;	  /* docker-archive: the member to open, else NULL */
	char *media_type; /* as the manifest says */
};

/* A blob's bytes handed to the copy by a sequential source (seq.c). */
struct img_given {
	size_t index;
	struct bh_stream *raw; /* not owned */
};

struct img_plan {
	char *manifest; /* the bytes to write or push; NULL until img_plan_seal
			   for an image whose blob sizes a copy learns */
	size_t manifest_len;
	char *manifest_type;
	struct bh_digest manifest_digest;
	struct img_blob *blobs; /* [0] the config, then the layers */
	size_t n;
	struct img_given *given; /* the blob being delivered, or NULL */
};

int img_plan_build(struct bh_image *img, struct img_plan *p, struct bh_error **err);
void img_plan_release(struct img_plan *p);
/* Write the manifest of an image that has none, once every blob's size is
 * known (after img_copy_blobs for a sequential source); a no-op otherwise. */
int img_plan_seal(struct img_plan *p, struct bh_error **err);
/* Blob i of the plan, as a stream verified against its digest and size. */
int img_plan_open(struct bh_image *img, const struct img_plan *p, size_t i, struct bh_stream **out,
		  struct bh_error **err);

/* Report progress of blob `index` (no-op without a callback). */
void img_progress(const struct bh_image_copy_opts *o, enum bh_image_progress_state st, size_t index,
		  size_t count, const struct img_blob *b, uint64_t done);

/* Copy every blob of the plan with o->threads threads (a blob listed twice
 * once): `one` copies blob i and returns a bh_image_progress_state (DONE,
 * EXISTS, MOUNTED) or -1. The first failure stops the others. From a
 * sequential source, blobs come one at a time in the stream's order, each
 * with its size set in the plan before `one` is called. */
struct img_copier {
	struct bh_image *img;
	struct img_plan *plan; /* a sequential source fills in sizes */
	unsigned threads;      /* 0 = o->threads */
	const struct bh_image_copy_opts *o;
	int (*one)(struct img_copier *c, size_t i, struct bh_error **err);
	void *data;
	/* private */
	atomic_uint next;
	atomic_int failed;
	pthread_mutex_t lock;
	struct bh_error *err;
	bool *skip;
};
int img_copy_blobs(struct img_copier *c, struct bh_error **err);

/* Stream blob i of the plan into fd, verified, reporting progress. */
int img_copy_to_fd(struct bh_image *img, const struct img_plan *plan, size_t i,
		   const struct bh_image_copy_opts *o, int fd, struct bh_error **err);

#endif
