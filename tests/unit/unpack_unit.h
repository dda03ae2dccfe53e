/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The unpack and bundle unit tests' shared parts (test_unpack_layers,
 * test_unpack_bundle, test_unpack_cache): ustar layers and an OCI image
 * layout built here (blobs named by their sha256), the result checked on
 * disk, the per-test fixture (a work directory, made writable again before
 * it is removed), and an image with /etc/passwd and /etc/group whose
 * bundle's config.json is read back. Included after unit.h.
 */
#ifndef BULKHEAD_TESTS_UNPACK_UNIT_H
#define BULKHEAD_TESTS_UNPACK_UNIT_H

#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/bundle.h"
#include "bulkhead/image.h"
/* ---- building images ----------------------------------------------------- */

/* Append one ustar member (name and link up to 99 bytes). */
static inline void tar_add(struct bh_buf *t, const char *name, char type, unsigned mode,
			   unsigned uid, unsigned gid, long long mtime, const char *link,
			   const char *data)
{
	unsigned char h[512] = { 0 };
	size_t size = data ? strlen(data) : 0;
	unsigned sum = 0;
	char pad[512] = { 0 };

	assert_true(strlen(name) < 100 && (!link || strlen(link) < 100));
	memcpy(h, name, strlen(name));
	snprintf((char *)h + 100, 8, "%07o", mode & 07777777);
	snprintf((char *)h + 108, 8, "%07o", uid & 07777777);
	snprintf((char *)h + 116, 8, "%07o", gid & 07777777);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size & 077777777777ULL);
	snprintf((char *)h + 136, 12, "%011llo", (unsigned long long)mtime & 077777777777ULL);
	memset(h + 148, ' ', 8);
	h[156] = (unsigned char)type;
	if (link)
		memcpy(h + 157, link, strlen(link));
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (size_t i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum & 0777777);
	h[155] = ' ';
	assert_int_equal(bh_buf_add(t, h, 512, NULL), 0);
	if (size) {
		assert_int_equal(bh_buf_add(t, data, size, NULL), 0);
		assert_int_equal(bh_buf_add(t, pad, (512 - size % 512) % 512, NULL), 0);
	}
}

#define T_FILE(t, name, mode, data) tar_add(t, name, '0', mode, 0, 0, 1000000000, NULL, data)
#define T_DIR(t, name, mode)	    tar_add(t, name, '5', mode, 0, 0, 1000000000, NULL, NULL)
#define T_SYMLINK(t, name, target)  tar_add(t, name, '2', 0777, 0, 0, 1000000000, target, NULL)
#define T_LINK(t, name, target)	    tar_add(t, name, '1', 0644, 0, 0, 1000000000, target, NULL)

static inline void tar_end(struct bh_buf *t)
{
	char zero[1024] = { 0 };

	assert_int_equal(bh_buf_add(t, zero, sizeof(zero), NULL), 0);
}

/* Write a blob under layout/blobs/sha256 and return its digest. */
static inline void put_blob(const char *layout, const void *p, size_t n, struct bh_digest *d)
{
	char *path;

	bh_sha256(p, n, d);
	path = bh_asprintf("%s/blobs/sha256/%s", layout, bh_digest_hex(d));
	assert_int_equal(bh_write_file_atomic(path, p, n, 0644, NULL), 0);
	free(path);
}

static inline void put_json(const char *layout, json_t *v, struct bh_digest *d, size_t *len)
{
	char *s = json_dumps(v, JSON_COMPACT);

	assert_non_null(s);
	*len = strlen(s);
	put_blob(layout, s, *len, d);
	free(s);
	json_decref(v);
}

/*
 * An OCI layout in a new temporary directory with the given layers (tar
 * buffers, each ended) and image config "config" object (stolen; NULL for
 * an empty one). Returns the layout directory.
 */
static inline char *make_image(struct bh_buf *layers, size_t nlayers, json_t *cfg)
{
	char *layout = unit_mktmp(), *p;
	json_t *diff_ids = json_array(), *descs = json_array(), *config, *manifest, *index;
	struct bh_digest d, cd, md;
	size_t clen, mlen;

	p = bh_asprintf("%s/blobs", layout);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = bh_asprintf("%s/blobs/sha256", layout);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	for (size_t i = 0; i < nlayers; i++) {
		put_blob(layout, layers[i].data, layers[i].len, &d);
		json_array_append_new(diff_ids, json_string(d.str));
		json_array_append_new(descs,
				      json_pack("{s:s, s:s, s:I}", "mediaType",
						"application/vnd.oci.image.layer.v1.tar", "digest",
						d.str, "size", (json_int_t)layers[i].len));
	}
	config = json_pack("{s:s, s:s, s:o, s:{s:s, s:o}}", "architecture", "amd64", "os", "linux",
			   "config", cfg ? cfg : json_object(), "rootfs", "type", "layers",
			   "diff_ids", diff_ids);
	put_json(layout, config, &cd, &clen);
	manifest = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
			     "application/vnd.oci.image.manifest.v1+json", "config", "mediaType",
			     "application/vnd.oci.image.config.v1+json", "digest", cd.str, "size",
			     (json_int_t)clen, "layers", descs);
	put_json(layout, manifest, &md, &mlen);
	index = json_pack("{s:i, s:[{s:s, s:s, s:I, s:{s:s, s:s}}]}", "schemaVersion", 2,
			  "manifests", "mediaType", "application/vnd.oci.image.manifest.v1+json",
			  "digest", md.str, "size", (json_int_t)mlen, "platform", "architecture",
			  "amd64", "os", "linux");
	p = json_dumps(index, JSON_COMPACT);
	json_decref(index);
	char *ip = bh_asprintf("%s/index.json", layout);
	assert_int_equal(bh_write_file_atomic(ip, p, strlen(p), 0644, NULL), 0);
	free(ip);
	free(p);
	ip = bh_asprintf("%s/oci-layout", layout);
	p = bh_strdup("{\"imageLayoutVersion\":\"1.0.0\"}");
	assert_int_equal(bh_write_file_atomic(ip, p, strlen(p), 0644, NULL), 0);
	free(ip);
	free(p);
	for (size_t i = 0; i < nlayers; i++)
		bh_buf_release(&layers[i]);
	return layout;
}

static inline struct bh_image *open_image(const char *layout)
{
	struct bh_image *img = NULL;
	struct bh_error *err = NULL;
	char *ref = bh_asprintf("oci:%s", layout);

	if (bh_image_open(ref, NULL, &img, &err) < 0) {
		char *m = bh_error_message(err);

		fail_msg("bh_image_open: %s", m);
	}
	free(ref);
	return img;
}

/* ---- checking the result ----------------------------------------------- */

static inline char *slurp(const char *dir, const char *rel)
{
	struct bh_buf b = BH_BUF_INIT(1 << 20);
	char *p = bh_asprintf("%s/%s", dir, rel);

	if (bh_read_file(p, &b, NULL) < 0)
		fail_msg("cannot read %s", p);
	free(p);
	return bh_buf_detach(&b, NULL);
}

static inline void assert_content(const char *dir, const char *rel, const char *want)
{
	char *s = slurp(dir, rel);

	if (strcmp(s, want))
		fail_msg("%s: '%s', want '%s'", rel, s, want);
	free(s);
}

static inline bool exists(const char *dir, const char *rel)
{
	struct stat st;
	char *p = bh_asprintf("%s/%s", dir, rel);
	bool r = lstat(p, &st) == 0;

	free(p);
	return r;
}

static inline struct stat lstat_of(const char *dir, const char *rel)
{
	struct stat st;
	char *p = bh_asprintf("%s/%s", dir, rel);

	if (lstat(p, &st) < 0)
		fail_msg("lstat %s: %s", p, strerror(errno));
	free(p);
	return st;
}

/* Number of entries in dir (other than . and ..). */
static inline int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* A work directory holding the unpack target "out". */
struct fixture {
	char *work;
	char *out;
};

static inline int setup(void **state)
{
	struct fixture *f = bh_calloc(1, sizeof(*f));

	f->work = unit_mktmp();
	f->out = bh_asprintf("%s/out", f->work);
	*state = f;
	return 0;
}

static inline int make_writable(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(path, 0700);
	return 0;
}

static inline int teardown(void **state)
{
	struct fixture *f = *state;

	/* Read-only directories from the images would stop a non-root rm -rf. */
	nftw(f->work, make_writable, 64, FTW_PHYS);
	free(f->out);
	unit_rmtmp(f->work);
	free(f);
	return 0;
}

/* ---- an image with users, its bundle's config ------------------------------------- */
static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "# a comment, then a malformed line\n"
			     "broken:x:notanumber:0::/:\n"
			     "nobody:x:65534:65533:nobody:/nonexistent:/usr/sbin/nologin\n"
			     "app:x:1000:1000::/home/app:/bin/sh\n";
static const char group[] = "root:x:0:\n"
			    "nogroup:x:65533:\n"
			    "staff:x:50:other,nobody\n"
			    "app:x:1000:\n"
			    "extra:x:70:nobody\n";

/* An image with /etc/passwd and /etc/group and the given config (stolen). */
static inline struct bh_image *user_image(json_t *cfg, char **layout)
{
	struct bh_buf t = BH_BUF_INIT(1 << 20);

	T_DIR(&t, "etc/", 0755);
	T_FILE(&t, "etc/passwd", 0644, passwd);
	T_FILE(&t, "etc/group", 0644, group);
	T_DIR(&t, "work/", 0755);
	tar_end(&t);
	*layout = make_image(&t, 1, cfg);
	return open_image(*layout);
}

static inline json_t *read_config(const char *bundle)
{
	char *s = slurp(bundle, "config.json");
	json_t *v = json_loads(s, 0, NULL);

	assert_non_null(v);
	free(s);
	return v;
}

#endif
