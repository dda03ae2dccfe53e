/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unpacking and bundles: each test writes a small OCI image layout (ustar
 * layers built here, blobs named by their sha256), opens it with
 * bh_image_open and checks what bh_image_unpack, bh_bundle_from_image, the
 * bundle cache and bh_bundle_prepare_run leave on disk, including what they
 * must leave alone when the input is hostile or a fill failed or died.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/bundle.h"
#include "bulkhead/image.h"

/* ---- building images ----------------------------------------------------- */

/* Append one ustar member (name and link up to 99 bytes). */
static void tar_add(struct bh_buf *t, const char *name, char type, unsigned mode, unsigned uid,
		    unsigned gid, long long mtime, const char *link, const char *data)
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

static void tar_end(struct bh_buf *t)
{
	char zero[1024] = { 0 };

	assert_int_equal(bh_buf_add(t, zero, sizeof(zero), NULL), 0);
}

/* Write a blob under layout/blobs/sha256 and return its digest. */
static void put_blob(const char *layout, const void *p, size_t n, struct bh_digest *d)
{
	char *path;

	bh_sha256(p, n, d);
	path = bh_asprintf("%s/blobs/sha256/%s", layout, bh_digest_hex(d));
	assert_int_equal(bh_write_file_atomic(path, p, n, 0644, NULL), 0);
	free(path);
}

static void put_json(const char *layout, json_t *v, struct bh_digest *d, size_t *len)
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
static char *make_image(struct bh_buf *layers, size_t nlayers, json_t *cfg)
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

static struct bh_image *open_image(const char *layout)
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

static char *slurp(const char *dir, const char *rel)
{
	struct bh_buf b = BH_BUF_INIT(1 << 20);
	char *p = bh_asprintf("%s/%s", dir, rel);

	if (bh_read_file(p, &b, NULL) < 0)
		fail_msg("cannot read %s", p);
	free(p);
	return bh_buf_detach(&b, NULL);
}

static void assert_content(const char *dir, const char *rel, const char *want)
{
	char *s = slurp(dir, rel);

	if (strcmp(s, want))
		fail_msg("%s: '%s', want '%s'", rel, s, want);
	free(s);
}

static bool exists(const char *dir, const char *rel)
{
	struct stat st;
	char *p = bh_asprintf("%s/%s", dir, rel);
	bool r = lstat(p, &st) == 0;

	free(p);
	return r;
}

static struct stat lstat_of(const char *dir, const char *rel)
{
	struct stat st;
	char *p = bh_asprintf("%s/%s", dir, rel);

	if (lstat(p, &st) < 0)
		fail_msg("lstat %s: %s", p, strerror(errno));
	free(p);
	return st;
}

/* Number of entries in dir (other than . and ..). */
static int count_entries(const char *dir)
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

static int setup(void **state)
{
	struct fixture *f = bh_calloc(1, sizeof(*f));

	f->work = unit_mktmp();
	f->out = bh_asprintf("%s/out", f->work);
	*state = f;
	return 0;
}

static int make_writable(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(path, 0700);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	/* Read-only directories from the images would stop a non-root rm -rf. */
	nftw(f->work, make_writable, 64, FTW_PHYS);
	free(f->out);
	unit_rmtmp(f->work);
	free(f);
	return 0;
}

/* ---- unpack ---------------------------------------------------------------- */

static void unpack_creates_files_dirs_links_and_metadata(void **state)
{
	struct fixture *f = *state;
	struct bh_buf t = BH_BUF_INIT(1 << 20);
	struct bh_unpack_stats st;
	struct bh_error *err = NULL;
	struct stat s, s2;
	char *layout;
	struct bh_image *img;

	tar_add(&t, "./", '5', 0750, 0, 0, 1300000000, NULL, NULL);
	T_DIR(&t, "etc/", 0755);
	tar_add(&t, "etc/app.conf", '0', 0640, 0, 0, 1234567890, NULL, "key=value\n");
	T_DIR(&t, "bin/", 0755);
	T_FILE(&t, "bin/tool", 04755, "#!/bin/sh\n");
	T_SYMLINK(&t, "bin/link", "tool");
	T_SYMLINK(&t, "bin/abs", "/etc/app.conf");
	T_LINK(&t, "bin/hard", "bin/tool");
	/* A read-only directory with a file written after it, and a file in a
	 * directory the tar never declares. */
	tar_add(&t, "ro/", '5', 0555, 0, 0, 1100000000, NULL, NULL);
	T_FILE(&t, "ro/inside", 0644, "x");
	T_FILE(&t, "implicit/dir/file", 0600, "deep");
	tar_add(&t, "var/run", '6', 0600, 0, 0, 1000000000, NULL, NULL);
	tar_end(&t);
	layout = make_image(&t, 1, NULL);
	img = open_image(layout);

	assert_int_equal(bh_image_unpack(img, f->out, NULL, &st, &err), 0);
	assert_null(err);
	assert_content(f->out, "etc/app.conf", "key=value\n");
	assert_content(f->out, "bin/hard", "#!/bin/sh\n");
	assert_content(f->out, "ro/inside", "x");
	assert_content(f->out, "implicit/dir/file", "deep");

	s = lstat_of(f->out, "");
	assert_int_equal(s.st_mode & 07777, 0750);
	assert_int_equal(s.st_mtime, 1300000000);
	s = lstat_of(f->out, "etc/app.conf");
	assert_int_equal(s.st_mode & 07777, 0640);
	assert_int_equal(s.st_mtime, 1234567890);
	s = lstat_of(f->out, "bin/tool");
	assert_int_equal(s.st_mode & 07777, geteuid() == 0 ? 04755 : 04755 & s.st_mode);
	if (geteuid() == 0)
		assert_int_equal(s.st_mode & 04000, 04000);
	s2 = lstat_of(f->out, "bin/hard");
	assert_int_equal(s.st_ino, s2.st_ino);
	assert_int_equal(s.st_nlink, 2);
	s = lstat_of(f->out, "ro");
	assert_int_equal(s.st_mode & 07777, 0555);
	assert_int_equal(s.st_mtime, 1100000000);
	s = lstat_of(f->out, "implicit/dir");
	assert_true(S_ISDIR(s.st_mode));
	assert_int_equal(s.st_mode & 0777, 0755);
	s = lstat_of(f->out, "var/run");
	assert_true(S_ISFIFO(s.st_mode));

	char target[64];
	char *lp = bh_asprintf("%s/bin/link", f->out);
	ssize_t n = readlink(lp, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = 0;
	assert_string_equal(target, "tool");
	free(lp);
	lp = bh_asprintf("%s/bin/abs", f->out);
	n = readlink(lp, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = 0;
	assert_string_equal(target, "/etc/app.conf"); /* kept as is */
	free(lp);

	assert_int_equal(st.files, 4);
	assert_int_equal(st.dirs, 3); /* the root is not counted */
	assert_int_equal(st.symlinks, 2);
	assert_int_equal(st.hardlinks, 1);
	assert_int_equal(st.bytes, 10 + 10 + 1 + 4);
	/* Nothing left beside it. */
	assert_int_equal(count_entries(f->work), 1);

	bh_image_free(img);
	unit_rmtmp(layout);
}

static void whiteouts_and_opaque_dirs_hide_lower_layers_only(void **state)
{
	struct fixture *f = *state;
	struct bh_buf t[2] = { BH_BUF_INIT(1 << 20), BH_BUF_INIT(1 << 20) };
	struct bh_unpack_stats st;
	struct bh_error *err = NULL;
	char *layout;
	struct bh_image *img;

	T_DIR(&t[0], "a/", 0755);
	T_FILE(&t[0], "a/keep", 0644, "k");
	T_FILE(&t[0], "a/gone", 0644, "g");
	T_DIR(&t[0], "b/", 0755);
	T_FILE(&t[0], "b/x", 0644, "x");
	T_DIR(&t[0], "b/sub/", 0755);
	T_FILE(&t[0], "b/sub/y", 0644, "y");
	T_DIR(&t[0], "b/old/", 0755);
	T_FILE(&t[0], "b/old/z", 0644, "z");
	T_FILE(&t[0], "c", 0644, "lower c");
	T_DIR(&t[0], "d/", 0755);
	T_DIR(&t[0], "d/e/", 0755);
	T_FILE(&t[0], "d/e/f", 0644, "f");
	T_FILE(&t[0], "n/lower", 0644, "l");
	tar_end(&t[0]);

	T_FILE(&t[1], "a/.wh.gone", 0644, NULL);
	/* b is opaque: lower children go; what this layer creates stays, even
	 * when the new entries come before the marker. */
	T_FILE(&t[1], "b/new", 0644, "new");
	T_DIR(&t[1], "b/sub/", 0755);
	T_FILE(&t[1], "b/sub/w", 0644, "w");
	T_FILE(&t[1], "b/.wh..wh..opq", 0644, NULL);
	T_FILE(&t[1], "b/after", 0644, "after");
	/* c rewritten, then whited out by the same layer: the whiteout applies
	 * to lower layers only, so the new c stays. */
	T_FILE(&t[1], "c", 0644, "upper c");
	T_FILE(&t[1], ".wh.c", 0644, NULL);
	T_FILE(&t[1], ".wh.d", 0644, NULL);
	/* n gets a new file, then a whiteout: the lower file goes, the new one
	 * (and so n itself) stays. */
	T_FILE(&t[1], "n/upper", 0644, "u");
	T_FILE(&t[1], ".wh.n", 0644, NULL);
	T_FILE(&t[1], ".wh.never-existed", 0644, NULL);
	tar_end(&t[1]);
	layout = make_image(t, 2, NULL);
	img = open_image(layout);

	if (bh_image_unpack(img, f->out, NULL, &st, &err) < 0) {
		char *m = bh_error_message(err);

		fail_msg("unpack: %s", m);
	}
	assert_true(exists(f->out, "a/keep"));
	assert_false(exists(f->out, "a/gone"));
	assert_content(f->out, "b/new", "new");
	assert_content(f->out, "b/after", "after");
	assert_content(f->out, "b/sub/w", "w");
	assert_false(exists(f->out, "b/x"));
	assert_false(exists(f->out, "b/sub/y"));
	assert_false(exists(f->out, "b/old"));
	assert_content(f->out, "c", "upper c");
	assert_false(exists(f->out, "d"));
	assert_content(f->out, "n/upper", "u");
	assert_false(exists(f->out, "n/lower"));
	assert_false(exists(f->out, "never-existed"));
	assert_int_equal(st.whiteouts, 6);

	bh_image_free(img);
	unit_rmtmp(layout);
}

static void later_layers_replace_entries_and_write_into_read_only_dirs(void **state)
{
	struct fixture *f = *state;
	struct bh_buf t[2] = { BH_BUF_INIT(1 << 20), BH_BUF_INIT(1 << 20) };
	struct bh_error *err = NULL;
	struct stat s;
	char *layout;
	struct bh_image *img;

	tar_add(&t[0], "ro/", '5', 0555, 0, 0, 1100000000, NULL, NULL);
	T_DIR(&t[0], "t/", 0755);
	T_FILE(&t[0], "t/in", 0644, "in");
	T_FILE(&t[0], "s", 0644, "file");
	T_SYMLINK(&t[0], "l", "t");
	T_FILE(&t[0], "ro-file", 0444, "old");
	tar_end(&t[0]);
	T_FILE(&t[1], "ro/late", 0644, "late");
	T_FILE(&t[1], "t", 0600, "now a file");
	T_DIR(&t[1], "s/", 0700);
	T_FILE(&t[1], "s/in", 0644, "under s");
	T_DIR(&t[1], "l/", 0711);
	T_FILE(&t[1], "ro-file", 0444, "new");
	tar_end(&t[1]);
	layout = make_image(t, 2, NULL);
	img = open_image(layout);

	if (bh_image_unpack(img, f->out, NULL, NULL, &err) < 0) {
		char *m = bh_error_message(err);

		fail_msg("unpack: %s", m);
	}
	assert_content(f->out, "ro/late", "late");
	s = lstat_of(f->out, "ro");
	assert_int_equal(s.st_mode & 07777, 0555);
	assert_int_equal(s.st_mtime, 1100000000);
	assert_content(f->out, "t", "now a file");
	assert_int_equal(lstat_of(f->out, "t").st_mode & 07777, 0600);
	assert_content(f->out, "s/in", "under s");
	assert_int_equal(lstat_of(f->out, "s").st_mode & 07777, 0700);
	s = lstat_of(f->out, "l");
	assert_true(S_ISDIR(s.st_mode));
	assert_int_equal(s.st_mode & 07777, 0711);
	assert_content(f->out, "ro-file", "new");

	/* Root ignores directory permissions: check the same as a user, who
	 * would be stopped by a 0555 directory applied too early. */
	if (geteuid() == 0) {
		char *out2 = bh_asprintf("%s/user", f->work);
		int status;
		pid_t pid;

		assert_int_equal(chmod(layout, 0755), 0);
		assert_int_equal(mkdir(out2, 01777), 0);
		assert_int_equal(chmod(out2, 01777), 0);
		assert_int_equal(chmod(f->work, 0755), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			char *dst = bh_asprintf("%s/out", out2);

			if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
			    setresuid(65534, 65534, 65534) < 0)
				_exit(2);
			_exit(bh_image_unpack(img, dst, NULL, NULL, NULL) == 0 ? 0 : 1);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		assert_content(out2, "out/ro/late", "late");
		assert_int_equal(lstat_of(out2, "out/ro").st_mode & 07777, 0555);
		free(out2);
	}

	bh_image_free(img);
	unit_rmtmp(layout);
}

static void a_target_that_is_not_empty_is_refused_and_untouched(void **state)
{
	struct fixture *f = *state;
	struct bh_buf t = BH_BUF_INIT(1 << 20);
	struct bh_error *err = NULL;
	char *layout, *p;
	struct bh_image *img;

	T_FILE(&t, "file", 0644, "data");
	tar_end(&t);
	layout = make_image(&t, 1, NULL);
	img = open_image(layout);

	assert_int_equal(mkdir(f->out, 0755), 0);
	p = bh_asprintf("%s/mine", f->out);
	assert_int_equal(bh_write_file_atomic(p, "precious", 8, 0644, NULL), 0);
	free(p);
	assert_int_equal(bh_image_unpack(img, f->out, NULL, NULL, &err), -1);
	assert_error(err, BH_ERR_USAGE, "exists and is not empty");
	bh_error_clear(&err);
	assert_content(f->out, "mine", "precious");
	assert_int_equal(count_entries(f->out), 1);
	assert_int_equal(count_entries(f->work), 1);

	/* A file in the way is refused the same way. */
	p = bh_asprintf("%s/afile", f->work);
	assert_int_equal(bh_write_file_atomic(p, "x", 1, 0644, NULL), 0);
	assert_int_equal(bh_image_unpack(img, p, NULL, NULL, &err), -1);
	assert_error(err, BH_ERR_USAGE, "exists and is not");
	bh_error_clear(&err);
	free(p);

	/* An empty directory is fine, and is replaced. */
	p = bh_asprintf("%s/empty", f->work);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(bh_image_unpack(img, p, NULL, NULL, &err), 0);
	assert_content(p, "file", "data");
	assert_int_equal(lstat_of(p, "").st_mode & 07777, 0755);
	free(p);
	assert_int_equal(count_entries(f->work), 3);

	bh_image_free(img);
	unit_rmtmp(layout);
}

static void a_failed_unpack_leaves_nothing_behind(void **state)
{
	struct fixture *f = *state;
	struct bh_buf t = BH_BUF_INIT(1 << 20);
	struct bh_error *err = NULL;
	char *layout;
	struct bh_image *img;

	T_DIR(&t, "etc/", 0555);
	T_FILE(&t, "etc/passwd", 0644, "root:x:0:0::/:/bin/sh\n");
	T_LINK(&t, "etc/shadow-link", "etc/missing");
	tar_end(&t);
	layout = make_image(&t, 1, NULL);
	img = open_image(layout);

	assert_int_equal(bh_image_unpack(img, f->out, NULL, NULL, &err), -1);
	assert_error(err, BH_ERR_INVALID, "etc/missing");
	assert_error(err, BH_ERR_INVALID, "layer 1");
	assert_error(err, BH_ERR_INVALID, "'etc/shadow-link': hard link to 'etc/missing'");
	bh_error_clear(&err);
	assert_false(exists(f->out, ""));
	assert_int_equal(count_entries(f->work), 0);

	bh_image_free(img);
	unit_rmtmp(layout);
}

static void hostile_links_stay_inside_the_root(void **state)
{
	struct fixture *f = *state;
	struct bh_buf t = BH_BUF_INIT(1 << 20);
	struct bh_error *err = NULL;
	char *outside = unit_mktmp(), *target, *layout, *p;
	struct bh_image *img;
	struct stat st;

	/* evil -> /tmp/bh-unit.XXXXXX/x (absolute, outside), then evil/pwned. */
	target = bh_asprintf("%s/x", outside);
	T_SYMLINK(&t, "evil", target);
	T_FILE(&t, "evil/pwned", 0644, "pwned");
	/* up -> ../../.., then up/escaped: ".." stops at the root. */
	T_SYMLINK(&t, "up", "../../..");
	T_FILE(&t, "up/escaped", 0644, "e");
	/* A file over a symlink replaces the link, never writes through it. */
	T_SYMLINK(&t, "over", target);
	T_FILE(&t, "over", 0644, "plain");
	tar_end(&t);
	layout = make_image(&t, 1, NULL);
	img = open_image(layout);

	if (bh_image_unpack(img, f->out, NULL, NULL, &err) < 0) {
		char *m = bh_error_message(err);

		fail_msg("unpack: %s", m);
	}
	assert_int_equal(count_entries(outside), 0);
	assert_int_equal(stat(target, &st), -1);
	p = bh_asprintf("%s/pwned", target + 1);
	assert_content(f->out, p, "pwned");
	free(p);
	assert_content(f->out, "escaped", "e");
	assert_int_equal(count_entries(f->work), 1);
	assert_true(S_ISREG(lstat_of(f->out, "over").st_mode));
	assert_content(f->out, "over", "plain");
	bh_image_free(img);
	unit_rmtmp(layout);
	bh_remove_tree(AT_FDCWD, f->out, NULL);

	/* A hard link to a file of this machine that the image does not have. */
	struct bh_buf t2 = BH_BUF_INIT(1 << 20);
	T_SYMLINK(&t2, "etc", "/etc");
	T_LINK(&t2, "shadow", "etc/shadow");
	tar_end(&t2);
	layout = make_image(&t2, 1, NULL);
	img = open_image(layout);
	assert_int_equal(bh_image_unpack(img, f->out, NULL, NULL, &err), -1);
	assert_non_null(err);
	char *m = bh_error_message(err);
	assert_non_null(strstr(m, "etc/shadow"));
	assert_non_null(strstr(m, "'shadow'"));
	free(m);
	bh_error_clear(&err);
	assert_false(exists(f->out, ""));
	assert_int_equal(count_entries(f->work), 0);
	bh_image_free(img);
	unit_rmtmp(layout);

	free(target);
	unit_rmtmp(outside);
}

/* ---- bundle ------------------------------------------------------------------ */

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
static struct bh_image *user_image(json_t *cfg, char **layout)
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

static json_t *read_config(const char *bundle)
{
	char *s = slurp(bundle, "config.json");
	json_t *v = json_loads(s, 0, NULL);

	assert_non_null(v);
	free(s);
	return v;
}

static void bundle_writes_the_image_command_env_cwd_and_user(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	char *layout;
	struct bh_image *img;
	json_t *c, *proc, *v;

	img = user_image(json_pack("{s:s, s:[s], s:[ss], s:[s], s:s}", "User", "nobody", "Env",
				   "FOO=bar", "Entrypoint", "/bin/sh", "-c", "Cmd", "echo hi",
				   "WorkingDir", "/work"),
			 &layout);
	if (bh_bundle_from_image(img, f->out, NULL, NULL, &err) < 0) {
		char *m = bh_error_message(err);

		fail_msg("bundle: %s", m);
	}
	assert_content(f->out, "rootfs/etc/passwd", passwd);
	c = read_config(f->out);
	assert_string_equal(bh_json_str(c, "ociVersion"), "1.0.2");
	proc = bh_json_obj(c, "process");
	assert_non_null(proc);
	v = bh_json_arr(proc, "args");
	assert_int_equal(json_array_size(v), 3);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "/bin/sh");
	assert_string_equal(json_string_value(json_array_get(v, 1)), "-c");
	assert_string_equal(json_string_value(json_array_get(v, 2)), "echo hi");
	v = bh_json_arr(proc, "env");
	assert_int_equal(json_array_size(v), 2);
	assert_true(bh_str_has_prefix(json_string_value(json_array_get(v, 0)), "PATH=/"));
	assert_string_equal(json_string_value(json_array_get(v, 1)), "FOO=bar");
	assert_string_equal(bh_json_str(proc, "cwd"), "/work");
	assert_true(json_is_false(json_object_get(proc, "terminal")));
	json_int_t uid = -1, gid = -1;
	assert_true(bh_json_int(bh_json_obj(proc, "user"), "uid", &uid));
	assert_true(bh_json_int(bh_json_obj(proc, "user"), "gid", &gid));
	assert_int_equal(uid, 65534);
	assert_int_equal(gid, 65533);
	v = bh_json_arr(bh_json_obj(proc, "user"), "additionalGids");
	assert_int_equal(json_array_size(v), 2);
	assert_int_equal(json_integer_value(json_array_get(v, 0)), 50);
	assert_int_equal(json_integer_value(json_array_get(v, 1)), 70);
	assert_string_equal(bh_json_str(bh_json_obj(c, "root"), "path"), "rootfs");
	assert_int_equal(json_array_size(bh_json_arr(c, "mounts")), 7);
	assert_int_equal(json_array_size(bh_json_arr(bh_json_obj(c, "linux"), "namespaces")), 6);
	json_decref(c);
	bh_remove_tree(AT_FDCWD, f->out, NULL);

	/* Arguments given replace entrypoint and cmd. */
	char *const args[] = { "/bin/true", "x", NULL };
	assert_int_equal(bh_bundle_from_image(img, f->out, args, NULL, &err), 0);
	c = read_config(f->out);
	v = bh_json_arr(bh_json_obj(c, "process"), "args");
	assert_int_equal(json_array_size(v), 2);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "/bin/true");
	json_decref(c);

	bh_image_free(img);
	unit_rmtmp(layout);
}

/* The uid, gid and number of additional gids a User value resolves to in a
 * bundle; -1 in *uid when the bundle fails (error in *err). */
static void bundle_user(struct fixture *f, const char *user, json_int_t *uid, json_int_t *gid,
			size_t *ngids, struct bh_error **err)
{
	char *layout;
	struct bh_image *img =
		user_image(json_pack("{s:s, s:[s]}", "User", user, "Cmd", "/bin/true"), &layout);

	*uid = *gid = -1;
	*ngids = 0;
	bh_remove_tree(AT_FDCWD, f->out, NULL);
	if (bh_bundle_from_image(img, f->out, NULL, NULL, err) == 0) {
		json_t *c = read_config(f->out);
		json_t *u = bh_json_obj(bh_json_obj(c, "process"), "user");

		bh_json_int(u, "uid", uid);
		bh_json_int(u, "gid", gid);
		*ngids = json_array_size(bh_json_arr(u, "additionalGids"));
		json_decref(c);
	}
	bh_image_free(img);
	unit_rmtmp(layout);
}

static void bundle_resolves_users_and_groups_like_runc(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	json_int_t uid, gid;
	size_t n;
	static const struct {
		const char *user;
		json_int_t uid, gid;
		size_t ngids;
	} cases[] = {
		{ "", 0, 0, 0 },
		{ "0", 0, 0, 0 },
		{ "app", 1000, 1000, 0 },
		{ "1000", 1000, 1000, 0 },
		{ "4242", 4242, 0, 0 },
		{ "4242:7", 4242, 7, 0 },
		{ "nobody:staff", 65534, 50, 0 },
		{ "65534", 65534, 65533, 2 },
		{ "app:70", 1000, 70, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bundle_user(f, cases[i].user, &uid, &gid, &n, &err);
		if (err) {
			char *m = bh_error_message(err);

			fail_msg("user '%s': %s", cases[i].user, m);
		}
		if (uid != cases[i].uid || gid != cases[i].gid || n != cases[i].ngids)
			fail_msg("user '%s': %lld:%lld +%zu, want %lld:%lld +%zu", cases[i].user,
				 (long long)uid, (long long)gid, n, (long long)cases[i].uid,
				 (long long)cases[i].gid, cases[i].ngids);
	}
	bundle_user(f, "ghost", &uid, &gid, &n, &err);
	assert_error(err, BH_ERR_NOTFOUND, "user 'ghost'");
	bh_error_clear(&err);
	assert_false(exists(f->out, ""));
	bundle_user(f, "app:ghosts", &uid, &gid, &n, &err);
	assert_error(err, BH_ERR_NOTFOUND, "group 'ghosts'");
	bh_error_clear(&err);
	bundle_user(f, "broken", &uid, &gid, &n, &err);
	assert_error(err, BH_ERR_NOTFOUND, "user 'broken'");
	bh_error_clear(&err);
}

static void bundle_without_a_command_fails_and_cleans_up(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	char *layout;
	struct bh_image *img = user_image(NULL, &layout);

	assert_int_equal(bh_bundle_from_image(img, f->out, NULL, NULL, &err), -1);
	assert_error(err, BH_ERR_INVALID, "image has no entrypoint or cmd; give a command");
	bh_error_clear(&err);
	assert_false(exists(f->out, ""));
	assert_int_equal(count_entries(f->work), 0);

	/* A pre-existing empty directory is left empty. */
	assert_int_equal(mkdir(f->out, 0711), 0);
	assert_int_equal(bh_bundle_from_image(img, f->out, NULL, NULL, &err), -1);
	bh_error_clear(&err);
	assert_int_equal(count_entries(f->out), 0);
	assert_int_equal(lstat_of(f->out, "").st_mode & 07777, 0711);

	bh_image_free(img);
	unit_rmtmp(layout);
}

/* ---- the cache and a run's bundle --------------------------------------------- */

static void must(int r, struct bh_error **err, const char *what)
{
	if (r < 0) {
		char *m = bh_error_message(*err);

		fail_msg("%s: %s", what, m);
	}
}

/* The names in dir (path parts joined), sorted, joined with spaces ("" when empty). */
static char *names_in(const char *a, const char *b)
{
	char *dir = bh_asprintf("%s/%s", a, b);
	struct bh_buf out = BH_BUF_INIT(1 << 16);
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);

	if (n < 0)
		fail_msg("scandir %s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, "..")) {
			if (out.len)
				assert_int_equal(bh_buf_addc(&out, ' ', NULL), 0);
			assert_int_equal(bh_buf_adds(&out, list[i]->d_name, NULL), 0);
		}
		free(list[i]);
	}
	free(list);
	free(dir);
	assert_int_equal(bh_buf_addc(&out, 0, NULL), 0);
	return bh_buf_detach(&out, NULL);
}

static void assert_names(const char *a, const char *b, const char *want)
{
	char *got = names_in(a, b);

	if (strcmp(got, want))
		fail_msg("%s/%s holds '%s', want '%s'", a, b, got, want);
	free(got);
}

static void the_cache_unpacks_an_image_once_and_reuses_it(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	char *layout, *cache = bh_asprintf("%s/cache", f->work), *got = NULL, *real, *entry, *want;
	struct bh_image *img = user_image(NULL, &layout);
	const char *hex = bh_digest_hex(&img->config_digest);

	entry = bh_asprintf("%s/rootfs/%s", cache, hex);
	/* an image without a command is cached all the same (`run IMAGE -- CMD`) */
	must(bh_bundle_cache_get(cache, img, &got, &err), &err, "cache_get");
	real = realpath(entry, NULL);
	assert_non_null(real);
	assert_string_equal(got, real);
	assert_content(got, "etc/passwd", passwd);
	/* no other user of the host reaches the image's (set-user-ID) files */
	assert_int_equal(lstat_of(cache, "").st_mode & 07777, 0700);
	assert_int_equal(lstat_of(cache, "rootfs").st_mode & 07777, 0700);
	want = bh_asprintf(".%s.lock %s", hex, hex);
	assert_names(cache, "rootfs", want);
	free(got);

	/* a second call takes the entry as it is: nothing is unpacked over it */
	char *marker = bh_asprintf("%s/marker", entry);
	assert_int_equal(bh_write_file_atomic(marker, "m", 1, 0644, NULL), 0);
	must(bh_bundle_cache_get(cache, img, &got, &err), &err, "cache_get again");
	assert_string_equal(got, real);
	assert_true(exists(got, "marker"));
	assert_names(cache, "rootfs", want);
	free(got);
	free(marker);
	free(want);
	free(real);
	free(entry);
	free(cache);
	bh_image_free(img);
	unit_rmtmp(layout);
}

static void a_cache_fill_that_fails_or_died_is_never_taken_for_an_entry(void **state)
{
	struct fixture *f = *state;
	struct bh_buf t = BH_BUF_INIT(1 << 20);
	struct bh_error *err = NULL;
	char *layout, *layout2, *cache = bh_asprintf("%s/cache", f->work), *got = NULL, *want, *p;
	struct bh_image *bad, *good;
	const char *hex;

	/* the fill fails in the middle of the layer */
	T_DIR(&t, "etc/", 0755);
	T_FILE(&t, "etc/passwd", 0644, passwd);
	T_LINK(&t, "etc/shadow-link", "etc/missing");
	tar_end(&t);
	layout = make_image(&t, 1, NULL);
	bad = open_image(layout);
	hex = bh_digest_hex(&bad->config_digest);
	assert_int_equal(bh_bundle_cache_get(cache, bad, &got, &err), -1);
	assert_error(err, BH_ERR_INVALID, "'etc/shadow-link': hard link to 'etc/missing'");
	assert_error(err, BH_ERR_INVALID, "the image cache");
	bh_error_clear(&err);
	assert_null(got);
	want = bh_asprintf(".%s.lock", hex);
	assert_names(cache, "rootfs", want); /* no entry, no temporary */
	free(want);

	/* fills killed half-way left their temporaries: the next fill removes
	 * them and never takes one for the entry */
	good = user_image(json_pack("{s:[s]}", "Cmd", "/bin/true"), &layout2);
	hex = bh_digest_hex(&good->config_digest);
	p = bh_asprintf("%s/rootfs/.%s.tmp", cache, hex);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = bh_asprintf("%s/rootfs/.%s.tmp/half-written", cache, hex);
	assert_int_equal(bh_write_file_atomic(p, "x", 1, 0644, NULL), 0);
	free(p);
	p = bh_asprintf("%s/rootfs/..%s.tmp.bh-unpack-AbC123", cache, hex);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	must(bh_bundle_cache_get(cache, good, &got, &err), &err, "cache_get after a death");
	assert_false(exists(got, "half-written"));
	assert_content(got, "etc/group", group);
	free(got);
	want = bh_asprintf(".%s.lock .%s.lock %s", bh_digest_hex(&bad->config_digest), hex, hex);
	assert_names(cache, "rootfs", want);
	free(want);

	/* a rootfs: image has no digest: nothing to cache it by */
	struct bh_image *dir = NULL;
	char *ref = bh_asprintf("rootfs:%s", f->work);
	must(bh_image_open(ref, NULL, &dir, &err), &err, "open rootfs:");
	assert_int_equal(bh_bundle_cache_get(cache, dir, &got, &err), -1);
	assert_error(err, BH_ERR_USAGE, "no digest");
	bh_error_clear(&err);
	bh_image_free(dir);
	free(ref);

	free(cache);
	bh_image_free(bad);
	bh_image_free(good);
	unit_rmtmp(layout);
	unit_rmtmp(layout2);
}

static void a_second_fill_waits_for_the_first_and_takes_its_entry(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	char *layout, *cache = bh_asprintf("%s/cache", f->work), *p;
	struct bh_image *img = user_image(NULL, &layout);
	const char *hex = bh_digest_hex(&img->config_digest);
	int lockfd, status, pipefd[2];
	pid_t child;

	/* this test holds the fill lock, as a first `run IMAGE` would */
	p = bh_asprintf("%s/rootfs", cache);
	assert_int_equal(bh_mkdirs(p, 0700, 0700, NULL), 0);
	free(p);
	p = bh_asprintf("%s/rootfs/.%s.lock", cache, hex);
	lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(lockfd >= 0);
	assert_int_equal(flock(lockfd, LOCK_EX), 0);
	free(p);
	assert_int_equal(pipe(pipefd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char *got = NULL, c;

		/* the copy of the test's lock would keep it held */
		close(lockfd);
		c = bh_bundle_cache_get(cache, img, &got, NULL) == 0 && got &&
				    exists(got, "filled-by-the-first") && !exists(got, "etc")
			    ? 'y'
			    : 'n';

		(void)!write(pipefd[1], &c, 1);
		_exit(0);
	}
	close(pipefd[1]);
	/* the child waits on the lock: nothing of its own appears meanwhile */
	usleep(300 * 1000);
	p = bh_asprintf(".%s.lock", hex);
	assert_names(cache, "rootfs", p);
	free(p);
	assert_int_equal(waitpid(child, &status, WNOHANG), 0);
	/* the first fill completes (here: by hand) and lets go */
	p = bh_asprintf("%s/rootfs/%s", cache, hex);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = bh_asprintf("%s/rootfs/%s/filled-by-the-first", cache, hex);
	assert_int_equal(bh_write_file_atomic(p, "1", 1, 0644, NULL), 0);
	free(p);
	close(lockfd);
	char c = 0;
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(c, 'y'); /* it took the first one's entry, unpacked nothing */
	(void)err;
	free(cache);
	bh_image_free(img);
	unit_rmtmp(layout);
}

static json_t *mount_at(json_t *cfg, const char *dst, int *count)
{
	json_t *m, *hit = NULL;
	size_t i;

	*count = 0;
	json_array_foreach (bh_json_arr(cfg, "mounts"), i, m)
		if (!strcmp(bh_json_str(m, "destination"), dst)) {
			hit = m;
			(*count)++;
		}
	return hit;
}

static void a_run_gets_a_hardened_config_of_its_own_over_the_cached_root(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	char *layout, *cache = bh_asprintf("%s/cache", f->work),
		      *root = bh_asprintf("%s/state", f->work);
	struct bh_image *img = user_image(json_pack("{s:s, s:[s], s:[s]}", "User", "nobody", "Env",
						    "FOO=bar", "Cmd", "/bin/true"),
					  &layout);
	struct bh_bundle_run_opts o = { .cache = cache, .state_root = root, .tty = true };
	struct bh_bundle_run *run = NULL;
	json_t *c, *proc, *v;
	json_int_t n = 0;
	int count;
	char *p;

	must(bh_bundle_prepare_run(img, &o, &run, &err), &err, "prepare_run");
	assert_int_equal(strlen(run->id), 20);
	assert_true(bh_str_has_prefix(run->id, "run-"));
	p = bh_asprintf("%s/run-bundles/%s", root, run->id);
	assert_string_equal(run->bundle, p);
	free(p);
	/* as the runtime makes its state root */
	assert_int_equal(lstat_of(root, "").st_mode & 07777, 0700);
	assert_int_equal(lstat_of(root, "run-bundles").st_mode & 07777, 0700);
	assert_int_equal(lstat_of(run->bundle, "").st_mode & 07777, 0700);
	assert_names(run->bundle, "", "config.json");

	c = read_config(run->bundle);
	assert_string_equal(bh_json_str(bh_json_obj(c, "root"), "path"), run->rootfs);
	assert_true(json_is_true(json_object_get(bh_json_obj(c, "root"), "readonly")));
	p = bh_asprintf("%s/rootfs/%s", cache, bh_digest_hex(&img->config_digest));
	char *real = realpath(p, NULL);
	assert_non_null(real);
	assert_string_equal(run->rootfs, real);
	free(real);
	free(p);
	proc = bh_json_obj(c, "process");
	assert_true(json_is_true(json_object_get(proc, "noNewPrivileges")));
	assert_true(json_is_true(json_object_get(proc, "terminal")));
	v = bh_json_arr(proc, "env");
	assert_int_equal(json_array_size(v), 3);
	assert_string_equal(json_string_value(json_array_get(v, 1)), "FOO=bar");
	assert_string_equal(json_string_value(json_array_get(v, 2)), "TERM=xterm");
	assert_string_equal(json_string_value(json_array_get(bh_json_arr(proc, "args"), 0)),
			    "/bin/true");
	assert_true(bh_json_int(bh_json_obj(proc, "user"), "uid", &n));
	assert_int_equal(n, 65534);
	for (size_t i = 0; i < 3; i++) {
		static const char *const dst[] = { "/tmp", "/run", "/var/tmp" };
		json_t *m = mount_at(c, dst[i], &count);

		assert_int_equal(count, 1);
		assert_string_equal(bh_json_str(m, "type"), "tmpfs");
		v = bh_json_arr(m, "options");
		assert_int_equal(json_array_size(v), 3);
		assert_string_equal(json_string_value(json_array_get(v, 0)), "nosuid");
		assert_string_equal(json_string_value(json_array_get(v, 1)), "nodev");
	}
	assert_true(
		bh_json_int(bh_json_obj(bh_json_obj(bh_json_obj(c, "linux"), "resources"), "pids"),
			    "limit", &n));
	assert_int_equal(n, 4096);
	json_decref(c);

	/* the run's bundle goes with it; the cache stays */
	p = bh_strdup(run->rootfs);
	bh_bundle_run_free(run);
	assert_names(root, "run-bundles", "");
	assert_content(p, "etc/passwd", passwd);
	assert_false(exists(p, "config.json"));
	free(p);

	/* a command given; no terminal: TERM is not added */
	char *const args[] = { "/bin/sh", "-c", "exit 3", NULL };
	o.args = args;
	o.tty = false;
	must(bh_bundle_prepare_run(img, &o, &run, &err), &err, "prepare_run with args");
	c = read_config(run->bundle);
	proc = bh_json_obj(c, "process");
	assert_true(json_is_false(json_object_get(proc, "terminal")));
	assert_int_equal(json_array_size(bh_json_arr(proc, "env")), 2);
	assert_int_equal(json_array_size(bh_json_arr(proc, "args")), 3);
	json_decref(c);
	bh_bundle_run_free(run);
	bh_bundle_run_free(NULL);

	free(cache);
	free(root);
	bh_image_free(img);
	unit_rmtmp(layout);
}

static void a_run_without_a_command_fails_and_leaves_no_bundle(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	char *layout, *cache = bh_asprintf("%s/cache", f->work),
		      *root = bh_asprintf("%s/state", f->work);
	struct bh_image *img = user_image(NULL, &layout);
	struct bh_bundle_run_opts o = { .cache = cache, .state_root = root };
	struct bh_bundle_run *run = NULL;

	assert_int_equal(bh_bundle_prepare_run(img, &o, &run, &err), -1);
	assert_null(run);
	assert_error(err, BH_ERR_INVALID, "image has no entrypoint or cmd; give a command");
	bh_error_clear(&err);
	assert_false(exists(root, "run-bundles"));

	/* rootfs: runs the directory as it is, read-only, and caches nothing */
	struct bh_image *dir = NULL;
	char *args[] = { "/bin/true", NULL }, *ref, *real;
	must(bh_bundle_prepare_run(img,
				   &(struct bh_bundle_run_opts){
					   .cache = cache, .state_root = root, .args = args },
				   &run, &err),
	     &err, "prepare_run with a command");
	ref = bh_asprintf("rootfs:%s", run->rootfs);
	bh_bundle_run_free(run);
	free(cache);
	cache = bh_asprintf("%s/cache2", f->work);
	must(bh_image_open(ref, NULL, &dir, &err), &err, "open rootfs:");
	o.cache = cache;
	o.args = args;
	must(bh_bundle_prepare_run(dir, &o, &run, &err), &err, "prepare_run rootfs:");
	real = realpath(ref + strlen("rootfs:"), NULL);
	assert_string_equal(run->rootfs, real);
	assert_false(exists(cache, ""));
	free(real);
	bh_bundle_run_free(run);
	bh_image_free(dir);
	free(ref);

	free(cache);
	free(root);
	bh_image_free(img);
	unit_rmtmp(layout);
}

static void bundles_of_runs_that_died_are_swept_live_ones_kept(void **state)
{
	struct fixture *f = *state;
	struct bh_error *err = NULL;
	char *layout, *cache = bh_asprintf("%s/cache", f->work),
		      *root = bh_asprintf("%s/state", f->work);
	struct bh_image *img = user_image(json_pack("{s:[s]}", "Cmd", "/bin/true"), &layout);
	struct bh_bundle_run_opts o = { .cache = cache, .state_root = root };
	struct bh_bundle_run *run = NULL;
	char *p, *want;
	int held;

	p = bh_asprintf("%s/run-bundles", root);
	assert_int_equal(bh_mkdirs(p, 0700, 0700, NULL), 0);
	free(p);
	/* died: nobody holds it, no container state */
	p = bh_asprintf("%s/run-bundles/run-00000000000000aa/config.json", root);
	assert_int_equal(bh_mkdirs(p, 0700, 0700, NULL), 0); /* a directory will do */
	free(p);
	/* its process died but the container lives on: state kept, so the bundle too */
	p = bh_asprintf("%s/run-bundles/run-00000000000000bb", root);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = bh_asprintf("%s/run-00000000000000bb", root);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	/* a live run holds its lock */
	p = bh_asprintf("%s/run-bundles/run-00000000000000cc", root);
	assert_int_equal(mkdir(p, 0700), 0);
	held = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(held >= 0);
	assert_int_equal(flock(held, LOCK_EX), 0);
	free(p);
	/* not a run's */
	p = bh_asprintf("%s/run-bundles/other", root);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);

	must(bh_bundle_prepare_run(img, &o, &run, &err), &err, "prepare_run");
	want = bh_asprintf("other run-00000000000000bb run-00000000000000cc %s", run->id);
	assert_names(root, "run-bundles", want);
	free(want);
	bh_bundle_run_free(run);
	close(held);
	/* now the live one is gone too */
	must(bh_bundle_prepare_run(img, &o, &run, &err), &err, "prepare_run again");
	want = bh_asprintf("other run-00000000000000bb %s", run->id);
	assert_names(root, "run-bundles", want);
	free(want);
	bh_bundle_run_free(run);

	free(cache);
	free(root);
	bh_image_free(img);
	unit_rmtmp(layout);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(unpack_creates_files_dirs_links_and_metadata, setup,
						teardown),
		cmocka_unit_test_setup_teardown(whiteouts_and_opaque_dirs_hide_lower_layers_only,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			later_layers_replace_entries_and_write_into_read_only_dirs, setup,
			teardown),
		cmocka_unit_test_setup_teardown(a_target_that_is_not_empty_is_refused_and_untouched,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_failed_unpack_leaves_nothing_behind, setup,
						teardown),
		cmocka_unit_test_setup_teardown(hostile_links_stay_inside_the_root, setup,
						teardown),
		cmocka_unit_test_setup_teardown(bundle_writes_the_image_command_env_cwd_and_user,
						setup, teardown),
		cmocka_unit_test_setup_teardown(bundle_resolves_users_and_groups_like_runc, setup,
						teardown),
		cmocka_unit_test_setup_teardown(bundle_without_a_command_fails_and_cleans_up, setup,
						teardown),
		cmocka_unit_test_setup_teardown(the_cache_unpacks_an_image_once_and_reuses_it,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			a_cache_fill_that_fails_or_died_is_never_taken_for_an_entry, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			a_second_fill_waits_for_the_first_and_takes_its_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(
			a_run_gets_a_hardened_config_of_its_own_over_the_cached_root, setup,
			teardown),
		cmocka_unit_test_setup_teardown(a_run_without_a_command_fails_and_leaves_no_bundle,
						setup, teardown),
		cmocka_unit_test_setup_teardown(bundles_of_runs_that_died_are_swept_live_ones_kept,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
