/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz a sequential source (the Docker engine's `docker save` stream): the
 * input is the archive every pass reads, for an image of two layers (an empty
 * tar of 1024 and one of 2048 zero bytes) and a fixed config, walked in the
 * stream's order and in layer order; and the input as a layer's v1 JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char config[] = "{\"architecture\":\"amd64\",\"os\":\"linux\"}";

struct fake {
	struct bh_image_src base;
	struct img_seq seq;
	const uint8_t *data;
	size_t size;
};

static int fake_pass(struct img_seq *q, struct bh_stream **out, struct bh_error **err)
{
	struct fake *f = (struct fake *)((char *)q - offsetof(struct fake, seq));
	char *p = malloc(f->size + 1);

	memcpy(p, f->data, f->size);
	*out = img_stream_bytes(p, f->size);
	return 0;
}

static int fake_open(struct bh_image_src *src, const struct bh_digest *digest, const char *name,
		     struct bh_stream **out, int64_t *size, struct bh_error **err)
{
	return bh_error_set(err, BH_ERR_INTERNAL, "not random access");
}

static void fake_free(struct bh_image_src *src)
{
	struct fake *f = (struct fake *)src;

	img_seq_release(&f->seq);
	free(f);
}

static int visit(const struct bh_entry *e, struct bh_entry_reader *r, void *data,
		 struct bh_error **err)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char zeros[2048];
	struct bh_image *img = calloc(1, sizeof(*img));
	struct fake *f = calloc(1, sizeof(*f));
	struct bh_error *err = NULL;
	struct bh_digest chain[2];

	bh_image_limits_default(&img->limits);
	img->limits.max_json = 1 << 16;
	img->kind = BH_IMAGE_DOCKER_DAEMON;
	img->nlayers = 2;
	img->layers = calloc(3, sizeof(*img->layers));
	bh_sha256(zeros, 1024, &img->layers[0].diff_id);
	bh_sha256(zeros, 2048, &img->layers[1].diff_id);
	img->layers[0].size = img->layers[1].size = -1;
	bh_sha256(config, strlen(config), &img->config_digest);
	f->base.open = fake_open;
	f->base.free = fake_free;
	f->base.rootfd = -1;
	f->base.seq = &f->seq;
	img_seq_init(&f->seq, "fuzz");
	f->seq.open_pass = fake_pass;
	f->data = data;
	f->size = size;
	img->src = &f->base;
	for (unsigned threads = 0; threads < 2; threads++) {
		struct bh_walk_opts o = { .threads = threads };

		bh_image_walk(img, &o, visit, NULL, &err);
		bh_error_clear(&err);
	}
	img_chain_ids(img->layers, 2, chain);
	img_v1_identify((const char *)data, size,
			"0000000000000000000000000000000000000000000000000000000000000000", chain,
			2);
	bh_image_free(img);
	return 0;
}
