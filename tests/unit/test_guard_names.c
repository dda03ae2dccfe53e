/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guard's memory of its name walks (guard_names.c, grd_names_*): the same
 * multi-link exec asked twice is one walk, a change in a directory the walk
 * read (an entry added, a directory renamed in), a new link of the file or the
 * name found removed makes it walk again; the budget of entries per second per
 * container leaves a look unsure once spent, and refills with time.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "monitor/guard_internal.h"
#include "banned.h"

#define SEC 1000000000ull

static void mkfile(const char *root, const char *rel)
{
	char *p = bh_asprintf("%s%s", root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0700);

	assert_true(fd >= 0);
	close(fd);
	free(p);
}

static void mkdir_in(const char *root, const char *rel)
{
	char *p = bh_asprintf("%s%s", root, rel);

	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
}

static void link_in(const char *root, const char *from, const char *to)
{
	char *a = bh_asprintf("%s%s", root, from), *b = bh_asprintf("%s%s", root, to);

	assert_int_equal(link(a, b), 0);
	free(a);
	free(b);
}

static void rename_in(const char *root, const char *from, const char *to)
{
	char *a = bh_asprintf("%s%s", root, from), *b = bh_asprintf("%s%s", root, to);

	assert_int_equal(rename(a, b), 0);
	free(a);
	free(b);
}

/* The key of the file at rel now (its link count and ctime change with a link). */
static struct grd_names_file file_of(const char *root, const char *rel)
{
	char *p = bh_asprintf("%s%s", root, rel);
	struct stat st;
	struct grd_names_file f;

	assert_int_equal(stat(p, &st), 0);
	free(p);
	f.dev = (uint64_t)st.st_dev;
	f.ino = (uint64_t)st.st_ino;
	f.nlink = (uint64_t)st.st_nlink;
	f.ctime = st.st_ctim;
	return f;
}

static struct grd_names_stats stats(const struct grd_names *c)
{
	struct grd_names_stats s;

	grd_names_get_stats(c, &s);
	return s;
}

/* A tree: /usr/bin/y (the name used) has a second name /work/x (not under the
 * prefixes); /tmp holds 40 files and /tmp/d a directory. */
static char *tree(void)
{
	char *d = unit_mktmp();

	mkdir_in(d, "/tmp");
	mkdir_in(d, "/tmp/d");
	mkdir_in(d, "/usr");
	mkdir_in(d, "/usr/bin");
	mkdir_in(d, "/work");
	mkfile(d, "/usr/bin/y");
	link_in(d, "/usr/bin/y", "/work/x");
	for (int i = 0; i < 40; i++) {
		char n[32];

		snprintf(n, sizeof(n), "/tmp/f%02d", i);
		mkfile(d, n);
	}
	return d;
}

static void test_names_kept_none(void **state)
{
	char *d = tree(), out[PATH_MAX];
	const char *pre[] = { "/tmp/", "/srv/g", NULL }; /* /srv: absent */
	struct grd_names *c = grd_names_new(GRD_NAMES_BUDGET);
	struct grd_names_file f;
	uint64_t now = 5 * SEC;
	int rootfd = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(rootfd >= 0);
	usleep(30000); /* a directory changed in the clock's current tick: unsure */
	f = file_of(d, "/usr/bin/y");
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, now, out, sizeof(out)), 0);
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, now + 1000, out, sizeof(out)), 0);
	assert_int_equal(stats(c).walks, 1); /* twice asked, once walked */
	assert_int_equal(stats(c).hits, 1);

	/* an entry added to a directory the walk read: walked again */
	mkfile(d, "/tmp/d/new");
	usleep(30000);
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, now + 2000, out, sizeof(out)), 0);
	assert_int_equal(stats(c).walks, 2);
	assert_int_equal(stats(c).stale, 1);
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, now + 3000, out, sizeof(out)), 0);
	assert_int_equal(stats(c).walks, 2);

	/* a directory holding a name of the file renamed under a prefix: the
	 * file's key is the same (no new link), /tmp's stamps are not */
	rename_in(d, "/work", "/tmp/w");
	usleep(30000);
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, now + 4000, out, sizeof(out)), 1);
	assert_string_equal(out, "/tmp/w/x");
	assert_int_equal(stats(c).walks, 3);

	/* a prefix's directory that was absent made: walked again */
	rename_in(d, "/tmp/w", "/work");
	usleep(30000);
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, now + 5000, out, sizeof(out)), 0);
	assert_int_equal(stats(c).walks, 4);
	mkdir_in(d, "/srv");
	mkdir_in(d, "/srv/g1");
	rename_in(d, "/work/x", "/srv/g1/x"); /* no new link: the key is the same */
	f = file_of(d, "/usr/bin/y");
	usleep(30000);
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, now + 6000, out, sizeof(out)), 1);
	assert_string_equal(out, "/srv/g1/x");
	grd_names_free(c);
	close(rootfd);
	unit_rmtmp(d);
}

static void test_names_kept_found(void **state)
{
	char *d = tree(), out[PATH_MAX];
	const char *pre[] = { "/tmp/", NULL };
	struct grd_names *c = grd_names_new(GRD_NAMES_BUDGET);
	struct grd_names_file f;
	int rootfd = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(rootfd >= 0);
	link_in(d, "/usr/bin/y", "/tmp/d/z");
	usleep(30000);
	f = file_of(d, "/usr/bin/y");
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, SEC, out, sizeof(out)), 1);
	assert_string_equal(out, "/tmp/d/z");
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, SEC + 1, out, sizeof(out)), 1);
	assert_string_equal(out, "/tmp/d/z");
	assert_int_equal(stats(c).walks, 1);
	assert_int_equal(stats(c).hits, 1);
	/* the name found now another file (a rename over it), asked with the key
	 * the answer was kept under: the name is looked at again, walked, none */
	mkfile(d, "/tmp/other");
	rename_in(d, "/tmp/other", "/tmp/d/z");
	usleep(30000);
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, SEC + 2, out, sizeof(out)), 0);
	assert_int_equal(stats(c).walks, 2);
	/* a new link of the file changes its key: walked again */
	link_in(d, "/usr/bin/y", "/tmp/d/zz");
	usleep(30000);
	f = file_of(d, "/usr/bin/y");
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, SEC + 3, out, sizeof(out)), 1);
	assert_string_equal(out, "/tmp/d/zz");
	assert_int_equal(stats(c).walks, 3);
	grd_names_free(c);
	close(rootfd);
	unit_rmtmp(d);
}

/* The budget: a second's worth of entries, spent by walks (not by answers
 * kept), then unsure until time refills it. */
static void test_names_budget(void **state)
{
	char *d = tree(), out[PATH_MAX];
	const char *pre[] = { "/tmp/", NULL };
	struct grd_names *c = grd_names_new(100); /* a walk reads ~45 entries */
	struct grd_names_file f, g;
	int rootfd = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(rootfd >= 0);
	usleep(30000);
	f = file_of(d, "/usr/bin/y");
	g = f;
	g.ino += 1000000; /* another file: no answer kept for it */
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, SEC, out, sizeof(out)), 0);
	assert_int_equal(grd_names_find(c, rootfd, pre, &g, SEC, out, sizeof(out)), 0);
	/* what is left does not pay for a whole walk: unsure */
	g.ino++;
	assert_int_equal(grd_names_find(c, rootfd, pre, &g, SEC, out, sizeof(out)), -1);
	g.ino++;
	assert_int_equal(grd_names_find(c, rootfd, pre, &g, SEC, out, sizeof(out)), -1);
	assert_int_equal(stats(c).over_budget, 2);
	/* a kept answer costs a look at its directories, not a walk */
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, SEC, out, sizeof(out)), 0);
	assert_int_equal(stats(c).hits, 1);
	/* a second later: a whole budget again */
	g.ino++;
	assert_int_equal(grd_names_find(c, rootfd, pre, &g, 2 * SEC, out, sizeof(out)), 0);
	assert_int_equal(stats(c).walks, 4);
	assert_int_equal(stats(c).over_budget, 2);
	grd_names_free(c);
	close(rootfd);
	unit_rmtmp(d);
}

/* More files asked for than answers are kept: the least recent goes, the
 * memory stays bounded. */
static void test_names_bounded(void **state)
{
	char *d = tree(), out[PATH_MAX];
	const char *pre[] = { "/tmp/", NULL };
	struct grd_names *c = grd_names_new(1u << 30);
	struct grd_names_file f;
	int rootfd = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(rootfd >= 0);
	usleep(30000);
	f = file_of(d, "/usr/bin/y");
	for (int i = 0; i < GRD_NAMES_CACHE + 1; i++) {
		struct grd_names_file g = f;

		g.ino += 1000000 + (uint64_t)i;
		assert_int_equal(grd_names_find(c, rootfd, pre, &g, SEC, out, sizeof(out)), 0);
	}
	assert_int_equal(stats(c).walks, GRD_NAMES_CACHE + 1);
	/* the first is gone (walked again), the last is kept */
	f.ino += 1000000;
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, SEC, out, sizeof(out)), 0);
	assert_int_equal(stats(c).walks, GRD_NAMES_CACHE + 2);
	f.ino += GRD_NAMES_CACHE;
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, SEC, out, sizeof(out)), 0);
	assert_int_equal(stats(c).walks, GRD_NAMES_CACHE + 2);
	grd_names_free(c);
	close(rootfd);
	unit_rmtmp(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_kept_none),
		cmocka_unit_test(test_names_kept_found),
		cmocka_unit_test(test_names_budget),
		cmocka_unit_test(test_names_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
