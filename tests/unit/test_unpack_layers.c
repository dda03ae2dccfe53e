/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unpacking (bh_image_unpack) of image layouts built here: files,
 * directories, links and their metadata; whiteouts and opaque directories;
 * later layers replacing entries, writing into read-only directories; a
 * target that is not empty, a failed unpack, hostile links: what must be
 * left alone. Shared parts in unpack_unit.h.
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
#include "unpack_unit.h"

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
	};

	return cmocka_run_group_tests_name("unpack", tests, NULL, NULL);
}
