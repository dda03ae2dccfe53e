/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the readers of an image's JSON documents: the input is parsed as JSON
 * and handed to the descriptor, manifest and config readers in turn.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void release(struct bh_image *img)
{
	for (size_t i = 0; i < img->nlayers; i++)
		free(img->layers[i].media_type);
	free(img->layers);
	bh_image_config_release(&img->config);
	json_decref(img->config_json);
	memset(img, 0, sizeof(*img));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_image img = { 0 };
	struct bh_descriptor d;
	struct bh_error *err = NULL;
	json_t *v;

	if (bh_json_parse((const char *)data, size, 1 << 20, "fuzz", &v, NULL) < 0)
		return 0;
	bh_image_limits_default(&img.limits);
	if (bh_descriptor_parse(v, "fuzz", &d, &err) == 0)
		bh_descriptor_release(&d);
	bh_error_clear(&err);
	if (bh_manifest_parse(&img, v, &d, &err) == 0) {
		bh_descriptor_release(&d);
		/* the same document as the config of that manifest */
		bh_config_parse(&img, v, &err);
	} else {
		bh_descriptor_release(&d);
	}
	bh_error_clear(&err);
	release(&img);
	/* and as the config of a one-layer image */
	bh_image_limits_default(&img.limits);
	img.layers = calloc(2, sizeof(*img.layers));
	img.nlayers = 1;
	bh_config_parse(&img, v, &err);
	bh_error_clear(&err);
	release(&img);
	json_decref(v);
	return 0;
}
