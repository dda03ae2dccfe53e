/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the layer pipeline end to end: the input becomes the one layer blob
 * of an OCI layout (its digest right, so verification passes and the bytes
 * reach the decompressor and the tar reader), and the merged view and the
 * layer's changes are read from it.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void cleanup(void)
{
	if (dir[0])
		bh_remove_tree(AT_FDCWD, dir, NULL);
}

static void put(const char *name, const void *p, size_t n)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (bh_write_file_atomic(path, p, n, 0644, NULL) < 0)
		abort();
}

static void put_blob(const void *p, size_t n, struct bh_digest *d)
{
	char name[128];

	bh_sha256(p, n, d);
	snprintf(name, sizeof(name), "blobs/sha256/%s", bh_digest_hex(d));
	put(name, p, n);
}

static int visit(const struct bh_entry *e, struct bh_entry_reader *r, void *data,
		 struct bh_error **err)
{
	char buf[4096];

	if (e->type == BH_FT_REG && e->size < 65536)
		while (bh_entry_read(r, buf, sizeof(buf), NULL) > 0)
			;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const mts[] = { "application/vnd.oci.image.layer.v1.tar",
					   "application/vnd.oci.image.layer.v1.tar+gzip",
					   "application/vnd.oci.image.layer.v1.tar+zstd" };
	struct bh_digest layer, cfg, man;
	struct bh_image *img = NULL;
	struct bh_fileset *fs = NULL;
	struct bh_image_limits lim;
	struct bh_error *err = NULL;
	char *config, *manifest, *index, path[96];

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/bh-fuzz-layer.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
		snprintf(path, sizeof(path), "%s/blobs", dir);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/blobs/sha256", dir);
		mkdir(path, 0755);
	}
	put_blob(data, size, &layer);
	config = bh_asprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":"
			     "\"layers\",\"diff_ids\":[\"%s\"]}}",
			     layer.str);
	put_blob(config, strlen(config), &cfg);
	manifest = bh_asprintf(
		"{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
		"\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%"
		"s\","
		"\"size\":%zu}]}",
		BH_MT_OCI_MANIFEST, BH_MT_OCI_CONFIG, cfg.str, strlen(config),
		mts[bh_sniff_compression(data, size)], layer.str, size);
	put_blob(manifest, strlen(manifest), &man);
	index = bh_asprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":"
			    "\"%s\",\"size\":%zu}]}",
			    BH_MT_OCI_MANIFEST, man.str, strlen(manifest));
	put("index.json", index, strlen(index));
	bh_image_limits_default(&lim);
	lim.max_total_size = 64 << 20;
	lim.max_entries = 20000;
	lim.ratio_floor = 1 << 20;
	lim.max_ratio = 100;
	snprintf(path, sizeof(path), "oci:%s", dir);
	if (bh_image_open(path, &(struct bh_image_open_opts){ .limits = &lim }, &img, &err) == 0) {
		bh_image_walk(img, &(struct bh_walk_opts){ .threads = 1 }, visit, NULL, &err);
		bh_error_clear(&err);
		if (bh_image_merged(img, 1, &fs, &err) == 0)
			bh_fileset_free(fs);
		bh_error_clear(&err);
		if (bh_image_layer_changes(img, 0, &fs, &err) == 0)
			bh_fileset_free(fs);
	}
	bh_error_free(err);
	bh_image_free(img);
	free(config);
	free(manifest);
	free(index);
	return 0;
}
