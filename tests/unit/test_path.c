/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Safe paths: lexical cleaning, and in-root resolution that never leaves the
 * root whatever the path or the symlinks inside it say. Every resolution test
 * runs twice: through openat2(RESOLVE_IN_ROOT) and through the portable walk.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

typedef int (*resolver)(int, const char *, int, mode_t, struct bh_error **);

struct fixture {
	char *outer; /* holds root/ and a secret file outside it */
	char *root;
	int rootfd;
};

static int setup(void **state)
{
	struct fixture *f = bh_calloc(1, sizeof(*f));
	char *p;

	f->outer = unit_mktmp();
	f->root = bh_asprintf("%s/root", f->outer);
	mkdir(f->root, 0755);
	p = bh_asprintf("%s/secret", f->outer);
	assert_int_equal(bh_write_file_atomic(p, "outside", 7, 0644, NULL), 0);
	free(p);
	p = bh_asprintf("%s/etc", f->root);
	mkdir(p, 0755);
	free(p);
	p = bh_asprintf("%s/etc/passwd", f->root);
	assert_int_equal(bh_write_file_atomic(p, "inside", 6, 0644, NULL), 0);
	free(p);
#define LINK(target, name)                                                                         \
	do {                                                                                       \
		char *l_ = bh_asprintf("%s/%s", f->root, name);                                    \
		assert_int_equal(symlink(target, l_), 0);                                          \
		free(l_);                                                                          \
	} while (0)
	LINK("/etc", "abs_etc");
	LINK("../../../../secret", "rel_up");
	LINK("/../secret", "abs_up");
	LINK("loop_b", "loop_a");
	LINK("loop_a", "loop_b");
	LINK("/proc/self/root/etc/passwd", "magic");
	LINK("etc/passwd", "ok_link");
#undef LINK
	f->rootfd = bh_root_open(f->root, NULL);
	assert_true(f->rootfd >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->rootfd);
	free(f->root);
	unit_rmtmp(f->outer);
	free(f);
	return 0;
}

static char *read_via(resolver r, int rootfd, const char *path, struct bh_error **err)
{
	char buf[64];
	int fd = r(rootfd, path, O_RDONLY, 0, err);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = 0;
	return bh_strdup(buf);
}

static void check_stays_inside(resolver r, struct fixture *f)
{
	static const char *const paths[] = {
		"../../etc/passwd",	   "/etc/passwd", "abs_etc/passwd",
		"etc/../../../etc/passwd", "ok_link",	  "/../../etc//./passwd",
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char *s = read_via(r, f->rootfd, paths[i], NULL);

		if (!s || strcmp(s, "inside"))
			fail_msg("'%s' resolved to '%s', not the file inside the root", paths[i],
				 s ? s : "(error)");
		free(s);
	}
	/* Links that try to climb out land inside the root, where there is no secret. */
	static const char *const escapes[] = { "rel_up", "abs_up", "../secret", "/../secret" };
	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		struct bh_error *err = NULL;
		char *s = read_via(r, f->rootfd, escapes[i], &err);

		if (s)
			fail_msg("'%s' escaped the root and read '%s'", escapes[i], s);
		assert_int_equal(bh_error_errno(err), ENOENT);
		bh_error_free(err);
	}
}

static void openat2_never_leaves_the_root(void **state)
{
	check_stays_inside(bh_root_openat, *state);
}

static void walk_never_leaves_the_root(void **state)
{
	check_stays_inside(bh_root_walk, *state);
}

static void loops_and_magic_links_fail(void **state)
{
	struct fixture *f = *state;
	resolver rs[] = { bh_root_openat, bh_root_walk };

	for (int i = 0; i < 2; i++) {
		struct bh_error *err = NULL;

		assert_null(read_via(rs[i], f->rootfd, "loop_a", &err));
		assert_int_equal(bh_error_errno(err), ELOOP);
		bh_error_clear(&err);
		/* /proc/self/root inside the root does not exist: no escape either way. */
		assert_null(read_via(rs[i], f->rootfd, "magic", &err));
		bh_error_clear(&err);
	}
}

static void creating_through_a_symlink_stays_inside(void **state)
{
	struct fixture *f = *state;
	resolver rs[] = { bh_root_openat, bh_root_walk };
	struct stat st;

	for (int i = 0; i < 2; i++) {
		int fd = rs[i](f->rootfd, "abs_etc/created", O_WRONLY | O_CREAT | O_TRUNC, 0644,
			       NULL);
		assert_true(fd >= 0);
		close(fd);
		char *p = bh_asprintf("%s/etc/created", f->root);
		assert_int_equal(stat(p, &st), 0);
		unlink(p);
		free(p);
	}
	assert_int_equal(stat("/etc/created", &st), -1);
}

static void mkdirs_creates_inside(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	int fd = bh_root_mkdirs(f->rootfd, "abs_etc/a/b/c", 0755, NULL);

	assert_true(fd >= 0);
	close(fd);
	char *p = bh_asprintf("%s/etc/a/b/c", f->root);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	free(p);
	struct bh_error *err = NULL;
	assert_int_equal(bh_root_mkdirs(f->rootfd, "a/../../x", 0755, &err), -1);
	assert_error(err, BH_ERR_UNSAFE, "'..'");
	bh_error_free(err);
}

static void clean_normalises_and_refuses(void **state)
{
	struct bh_buf b = BH_BUF_INIT(4096);
	struct bh_error *err = NULL;
	static const char *const cases[][2] = {
		{ "./usr/bin/", "usr/bin" },
		{ "/etc//passwd", "etc/passwd" },
		{ ".", "" },
		{ "./", "" },
		{ "a/./b/.", "a/b" },
		{ "///", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(bh_path_clean(cases[i][0], false, 4096, &b, NULL), 0);
		assert_string_equal(b.data, cases[i][1]);
	}
	assert_int_equal(bh_path_clean("a/b/../c", true, 4096, &b, NULL), 0);
	assert_string_equal(b.data, "a/c");
	assert_int_equal(bh_path_clean("a/../..", true, 4096, &b, &err), -1);
	assert_error(err, BH_ERR_UNSAFE, "climbs above");
	bh_error_clear(&err);
	assert_int_equal(bh_path_clean("../../etc/x", false, 4096, &b, &err), -1);
	assert_error(err, BH_ERR_UNSAFE, "'..' component");
	bh_error_clear(&err);
	assert_int_equal(bh_path_clean("aaaaaaaaaa", false, 5, &b, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "exceeds the limit");
	bh_error_clear(&err);
	/* ".." inside a name is just a name. */
	assert_int_equal(bh_path_clean("a/..b/c..", false, 4096, &b, NULL), 0);
	assert_string_equal(b.data, "a/..b/c..");
	bh_buf_release(&b);
}

static void remove_tree_handles_depth_and_links(void **state)
{
	char *d = unit_mktmp();
	int fd = bh_root_open(d, NULL);
	struct bh_buf p = BH_BUF_INIT(1 << 20);
	struct stat st;

	/* 1500 levels: more than an fd-per-level recursion could open under the
	 * default limit of 1024 files, with the path still under PATH_MAX. */
	for (int i = 0; i < 1500; i++)
		bh_buf_adds(&p, i ? "/d" : "d", NULL);
	int leaf = bh_root_mkdirs(fd, p.data, 0755, NULL);
	assert_true(leaf >= 0);
	close(leaf);
	/* A symlink to something outside must be removed, not followed. */
	char *outside = unit_mktmp();
	char *l = bh_asprintf("%s/d/link", d);
	assert_int_equal(symlink(outside, l), 0);
	assert_int_equal(bh_remove_tree(AT_FDCWD, d, NULL), 0);
	assert_int_equal(stat(d, &st), -1);
	assert_int_equal(stat(outside, &st), 0);
	close(fd);
	free(l);
	bh_buf_release(&p);
	unit_rmtmp(outside);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(openat2_never_leaves_the_root, setup, teardown),
		cmocka_unit_test_setup_teardown(walk_never_leaves_the_root, setup, teardown),
		cmocka_unit_test_setup_teardown(loops_and_magic_links_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(creating_through_a_symlink_stays_inside, setup,
						teardown),
		cmocka_unit_test_setup_teardown(mkdirs_creates_inside, setup, teardown),
		cmocka_unit_test(clean_normalises_and_refuses),
		cmocka_unit_test(remove_tree_handles_depth_and_links),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
