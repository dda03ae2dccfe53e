/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guard's memory of its name walks (guard_names.c, grd_names_*): the same
 * multi-link exec asked twice is one walk, a change in a directory the walk
 * read (an entry added, a directory renamed in), a new link of the file or the
 * name found removed makes it walk again; the budget of entries per second per
 * container, once spent, makes a look -2, which refuses the exec whatever the
 * fail mode (a container cannot drain it to run a blocked file by another
 * name), and refills with time; the answers kept stay under a byte bound.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "guard_fs.h"
#include "monitor/guard_internal.h"
#include "banned.h"

#define SEC 1000000000ull

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
	/* what is left does not pay for a whole walk: -2 (a walk cut short),
	 * then -2 (none left) */
	g.ino++;
	assert_int_equal(grd_names_find(c, rootfd, pre, &g, SEC, out, sizeof(out)), -2);
	g.ino++;
	assert_int_equal(grd_names_find(c, rootfd, pre, &g, SEC, out, sizeof(out)), -2);
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

/*
 * The reviewer's drain: a container execs its own two-link file again and
 * again with a chmod between (a new key each time: a new walk over a /usr/bin
 * of 800 entries) until its budget is spent, then execs a new hard link of
 * /usr/bin/nc, which a block rule names. The look must not end as an allow:
 * -2, refused whatever the fail mode. An answer kept before the drain is still
 * used (a container re-execing the same files does not need the budget).
 */
static void test_names_budget_drained_refuses(void **state)
{
	char *d = unit_mktmp(), out[PATH_MAX], *h;
	const char *pre[] = { "/usr/bin/nc", NULL }; /* a block rule on /usr/bin/nc */
	struct grd_names *c = grd_names_new(GRD_NAMES_BUDGET);
	struct grd_names_file f;
	const char *reason = NULL;
	int rootfd, r = 0, walks = 0;

	(void)state;
	mkdir_in(d, "/usr");
	mkdir_in(d, "/usr/bin");
	mkdir_in(d, "/tmp");
	for (int i = 0; i < 800; i++) { /* a distribution's /usr/bin */
		char n[64];

		snprintf(n, sizeof(n), "/usr/bin/tool%03d", i);
		mkfile(d, n);
	}
	mkfile(d, "/usr/bin/nc");
	link_in(d, "/usr/bin/nc", "/tmp/kept"); /* a name of nc looked at before */
	mkfile(d, "/tmp/h");
	link_in(d, "/tmp/h", "/tmp/h2"); /* the container's own multi-link file */
	usleep(30000);
	rootfd = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	f = file_of(d, "/tmp/kept");
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, 10 * SEC, out, sizeof(out)), 1);
	assert_string_equal(out, "/usr/bin/nc");

	/* the drain: each exec a new key (a chmod between), each a walk */
	h = bh_asprintf("%s/tmp/h", d);
	for (int i = 0; i < 100 && r == 0; i++) {
		struct grd_names_file k;

		assert_int_equal(chmod(h, (i & 1) ? 0700 : 0755), 0);
		k = file_of(d, "/tmp/h");
		k.ctime.tv_nsec = (k.ctime.tv_nsec + i) % SEC; /* the clock's tick: distinct keys */
		r = grd_names_find(c, rootfd, pre, &k, 10 * SEC, out, sizeof(out));
		walks++;
	}
	free(h);
	assert_int_equal(r, -2);
	assert_in_range(walks, 10, 30); /* 16384 / ~803 entries a walk */

	/* a new name of nc (the link changes nc's key: no answer kept for it) */
	link_in(d, "/usr/bin/nc", "/tmp/x");
	f = file_of(d, "/tmp/x");
	r = grd_names_find(c, rootfd, pre, &f, 10 * SEC + 1000000, out, sizeof(out));
	assert_int_equal(r, -2);
	/* refused, fail-open (the default) or not */
	assert_int_equal(grd_names_unsure_verdict(r, false, BH_GUARD_ALLOW, &reason),
			 BH_GUARD_DENY);
	assert_string_equal(reason, BH_GUARD_REASON_NAMES_SPENT);
	assert_int_equal(grd_names_unsure_verdict(r, true, BH_GUARD_ALLOW, &reason), BH_GUARD_DENY);
	assert_true(stats(c).over_budget >= 2);

	/* a second later the budget pays for the walk again: found */
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, 12 * SEC, out, sizeof(out)), 1);
	assert_string_equal(out, "/usr/bin/nc");
	grd_names_free(c);
	close(rootfd);
	unit_rmtmp(d);
}

/* The fail mode decides a look unsure for its bounds (-1); answers 0 and 1, or
 * a verdict already deny, are left as they are. */
static void test_names_unsure_verdict(void **state)
{
	const char *reason = NULL;

	(void)state;
	assert_int_equal(grd_names_unsure_verdict(-1, false, BH_GUARD_ALLOW, &reason),
			 BH_GUARD_ALLOW);
	assert_null(reason);
	assert_int_equal(grd_names_unsure_verdict(-1, true, BH_GUARD_ALLOW, &reason),
			 BH_GUARD_DENY);
	assert_non_null(reason);
	reason = NULL;
	assert_int_equal(grd_names_unsure_verdict(0, true, BH_GUARD_ALLOW, &reason),
			 BH_GUARD_ALLOW);
	assert_int_equal(grd_names_unsure_verdict(-2, false, BH_GUARD_DENY, &reason),
			 BH_GUARD_DENY);
	assert_null(reason);
}

/* "None" answers whose directories have long paths: the answers kept stay
 * under GRD_NAMES_CACHE_BYTES (the least recent go), one alone larger than it
 * is not kept. */
static void test_names_bytes_bounded(void **state)
{
	char *d = unit_mktmp(), out[PATH_MAX], rel[PATH_MAX], name[201];
	const char *pre[] = { "/p/", NULL };
	struct grd_names *c = grd_names_new(1u << 30);
	struct grd_names_file f;
	size_t len;
	int rootfd, big_walks;

	(void)state;
	memset(name, 'a', 200);
	name[200] = 0;
	mkdir_in(d, "/p");
	mkdir_in(d, "/w");
	mkfile(d, "/w/y");
	link_in(d, "/w/y", "/w/y2");
	/* /p: a chain of 12 directories of 200-character names, 20 siblings at
	 * its bottom: 33 directories read, ~70 KB of paths */
	len = (size_t)snprintf(rel, sizeof(rel), "/p");
	for (int i = 0; i < 12; i++) {
		len += (size_t)snprintf(rel + len, sizeof(rel) - len, "/%s", name);
		mkdir_in(d, rel);
	}
	for (int i = 0; i < 20; i++) {
		snprintf(rel + len, sizeof(rel) - len, "/%02d%s", i, name);
		mkdir_in(d, rel);
	}
	usleep(30000);
	rootfd = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	f = file_of(d, "/w/y");
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, SEC, out, sizeof(out)), 0);
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, SEC, out, sizeof(out)), 0);
	big_walks = (int)stats(c).walks;
	assert_int_equal(big_walks, 2); /* larger than the bound alone: not kept */
	assert_int_equal(stats(c).bytes, 0);
	assert_int_equal(stats(c).dropped, 2);

	/* the siblings gone: 13 directories, ~20 KB: three kept at most */
	rel[len] = 0;
	for (int i = 0; i < 20; i++) {
		char *p;

		snprintf(rel + len, sizeof(rel) - len, "/%02d%s", i, name);
		p = bh_asprintf("%s%s", d, rel);
		assert_int_equal(rmdir(p), 0);
		free(p);
	}
	usleep(30000);
	for (int i = 0; i < 8; i++) {
		struct grd_names_file g = f;

		g.ino += 1000000 + (uint64_t)i;
		assert_int_equal(grd_names_find(c, rootfd, pre, &g, SEC, out, sizeof(out)), 0);
		assert_true(stats(c).bytes <= GRD_NAMES_CACHE_BYTES);
		assert_true(stats(c).bytes > 0);
	}
	assert_int_equal(stats(c).walks, 2 + 8);
	assert_true(stats(c).dropped > 2);
	/* the last is kept, the first gone */
	f.ino += 1000000 + 7;
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, SEC, out, sizeof(out)), 0);
	assert_int_equal(stats(c).walks, 10);
	f.ino -= 7;
	assert_int_equal(grd_names_find(c, rootfd, pre, &f, SEC, out, sizeof(out)), 0);
	assert_int_equal(stats(c).walks, 11);
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
		cmocka_unit_test(test_names_budget_drained_refuses),
		cmocka_unit_test(test_names_unsure_verdict),
		cmocka_unit_test(test_names_bytes_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
