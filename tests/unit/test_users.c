/* SPDX-License-Identifier: Apache-2.0 */
/*
 * User and group names of monitor events (src/monitor/users.c): the passwd and
 * group parser over ordinary and hostile input (against a guard page: an
 * over-read crashes), the in-root reading of a root's files (a link out of the
 * root, a FIFO, a huge file, none), and the cache: off unless enabled, names
 * from the event's own root (this process's: /proc/self/root), the host's for
 * an event without a container, a name the event carries kept, a hit with no
 * system call.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/monitor.h"
#include "monitor/users.h"
#include "banned.h"

/* (s, n) copied to the end of a page followed by a PROT_NONE one; parsed. */
static size_t parse_guarded(const char *s, size_t n, struct bh_users_tab *t)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t pages = (n + (size_t)pg - 1) / (size_t)pg + 1;
	char *m = mmap(NULL, pages * (size_t)pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *at;
	size_t r;

	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + (pages - 1) * (size_t)pg, (size_t)pg, PROT_NONE), 0);
	at = m + (pages - 1) * (size_t)pg - n;
	memcpy(at, s, n);
	r = bh_users_parse(at, n, t);
	munmap(m, pages * (size_t)pg);
	return r;
}

static void test_parse(void **state)
{
	static const char pw[] = "root:x:0:0:root:/root:/bin/sh\n"
				 "# a comment:x:5:\n"
				 "daemon:x:1:1::/:/sbin/nologin\n"
				 "nginx:x:101:101:nginx:/var/cache/nginx:/sbin/nologin\n"
				 "dup:x:101:101::/:/bin/sh\n" /* the first of 101 wins */
				 "+nis:x:7:\n"
				 "-nis:x:8:\n"
				 "app:x:1000:1000::/home/app:/bin/sh"; /* no newline at the end */
	struct bh_users_tab t;

	(void)state;
	assert_int_equal(parse_guarded(pw, sizeof(pw) - 1, &t), 4);
	assert_string_equal(bh_users_find(&t, 0), "root");
	assert_string_equal(bh_users_find(&t, 1), "daemon");
	assert_string_equal(bh_users_find(&t, 101), "nginx");
	assert_string_equal(bh_users_find(&t, 1000), "app");
	assert_null(bh_users_find(&t, 5));
	assert_null(bh_users_find(&t, 7));
	assert_null(bh_users_find(&t, 2));
	bh_users_tab_release(&t);
	/* group format, unsorted */
	assert_int_equal(parse_guarded("wheel:x:10:root\nadm:x:4:\nroot:x:0:\n", 36, &t), 3);
	assert_string_equal(bh_users_find(&t, 0), "root");
	assert_string_equal(bh_users_find(&t, 4), "adm");
	assert_string_equal(bh_users_find(&t, 10), "wheel");
	bh_users_tab_release(&t);
	assert_int_equal(parse_guarded("", 0, &t), 0);
	assert_null(bh_users_find(&t, 0));
	bh_users_tab_release(&t);
}

static void test_parse_hostile(void **state)
{
	static const struct {
		const char *in;
		size_t n; /* 0: strlen */
	} bad[] = {
		{ "root:x:-1:0::/:/bin/sh\n", 0 },
		{ "root:x:4294967295:0::/:/bin/sh\n", 0 }, /* (uid_t)-1 */
		{ "root:x:99999999999:0::/:/bin/sh\n", 0 },
		{ "root:x:0x10:0::/:/bin/sh\n", 0 },
		{ "root:x: 0:0::/:/bin/sh\n", 0 },
		{ "root:x::0::/:/bin/sh\n", 0 },
		{ "root:x\n", 0 },
		{ "root\n", 0 },
		{ ":x:0:0::/:/bin/sh\n", 0 },
		{ "ro ot:x:0:0::/:/bin/sh\n", 0 },
		{ "ro\tot:x:0:0::/:/bin/sh\n", 0 },
		{ "r\x1b[31mt:x:0:0::/:/bin/sh\n", 0 }, /* a terminal escape */
		{ "r\xc3\xa9t:x:0:0::/:/bin/sh\n", 0 }, /* not ASCII */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:x:0:0::/:/bin/sh\n", 0 }, /* 33 bytes */
		{ "ro\0ot:x:0:0::/:/bin/sh\n", 23 },
		{ "root:x:0\0:0::/:/bin/sh\n", 23 },
		{ ":::::::\n\n\n:\n", 0 },
	};
	struct bh_users_tab t;
	char *big;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = bad[i].n ? bad[i].n : strlen(bad[i].in);

		assert_int_equal(parse_guarded(bad[i].in, n, &t), 0);
		bh_users_tab_release(&t);
	}
	/* 31 bytes is the longest name kept */
	assert_int_equal(parse_guarded("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:x:3:\n", 37, &t), 1);
	assert_int_equal(strlen(bh_users_find(&t, 3)), 31);
	bh_users_tab_release(&t);
	/* a line over BH_USERS_LINE_MAX is skipped, the next one kept */
	big = bh_malloc(BH_USERS_LINE_MAX + 64);
	memset(big, 'x', BH_USERS_LINE_MAX + 64);
	memcpy(big, "long:x:1:", 9);
	memcpy(big + BH_USERS_LINE_MAX + 40, "\nok:x:2:\n", 9);
	assert_int_equal(parse_guarded(big, BH_USERS_LINE_MAX + 49, &t), 1);
	assert_string_equal(bh_users_find(&t, 2), "ok");
	bh_users_tab_release(&t);
	free(big);
	/* past BH_USERS_ENTRIES_MAX names, the rest is ignored */
	{
		struct bh_buf b = BH_BUF_INIT(4u << 20);

		for (unsigned i = 0; i < BH_USERS_ENTRIES_MAX + 10; i++)
			assert_int_equal(bh_buf_addf(&b, NULL, "u%u:x:%u:\n", i, i), 0);
		assert_int_equal(parse_guarded(b.data, b.len, &t), BH_USERS_ENTRIES_MAX);
		assert_string_equal(bh_users_find(&t, BH_USERS_ENTRIES_MAX - 1), "u16383");
		assert_null(bh_users_find(&t, BH_USERS_ENTRIES_MAX));
		bh_users_tab_release(&t);
		bh_buf_release(&b);
	}
}

static void put_file(const char *d, const char *rel, const char *text)
{
	char *p = bh_asprintf("%s/%s", d, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	free(p);
}

static void test_load_in_root(void **state)
{
	char *d = unit_mktmp(), *p, *outside;
	struct bh_users_tab pw, gr;
	struct bh_error *err = NULL;
	int rootfd;

	(void)state;
	p = bh_asprintf("%s/root/etc", d);
	assert_int_equal(bh_mkdirs(p, 0755, 0755, NULL), 0);
	free(p);
	put_file(d, "root/etc/passwd", "app:x:1000:1000::/:/bin/sh\n");
	put_file(d, "root/etc/group", "staff:x:50:\n");
	rootfd = bh_root_open(p = bh_asprintf("%s/root", d), NULL);
	free(p);
	assert_true(rootfd >= 0);
	assert_int_equal(bh_users_load(rootfd, &pw, &gr, &err), 0);
	assert_string_equal(bh_users_find(&pw, 1000), "app");
	assert_string_equal(bh_users_find(&gr, 50), "staff");
	bh_users_tab_release(&pw);
	bh_users_tab_release(&gr);

	/* an absolute link is the root's own /etc/..., never the host's */
	outside = bh_asprintf("%s/outside", d);
	put_file(d, "outside", "evil:x:1000:\n");
	p = bh_asprintf("%s/root/etc/passwd", d);
	unlink(p);
	assert_int_equal(symlink(outside, p), 0);
	free(p);
	assert_int_equal(bh_users_load(rootfd, &pw, &gr, &err), 0);
	assert_int_equal(pw.n, 0); /* the link's target does not exist inside the root */
	bh_users_tab_release(&pw);
	bh_users_tab_release(&gr);
	p = bh_asprintf("%s/root/etc/passwd", d);
	unlink(p);
	assert_int_equal(symlink("../../outside", p), 0); /* ".." stops at the root */
	free(p);
	assert_int_equal(bh_users_load(rootfd, &pw, &gr, &err), 0);
	assert_int_equal(pw.n, 0);
	bh_users_tab_release(&pw);
	bh_users_tab_release(&gr);

	/* a FIFO: refused at once (no hang) */
	p = bh_asprintf("%s/root/etc/passwd", d);
	unlink(p);
	assert_int_equal(mkfifo(p, 0644), 0);
	assert_int_equal(bh_users_load(rootfd, &pw, &gr, &err), -1);
	assert_error(err, BH_ERR_UNSAFE, "etc/passwd: not a regular file");
	bh_error_clear(&err);
	unlink(p);
	/* over the size limit */
	{
		int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, BH_USERS_FILE_MAX + 1), 0);
		close(fd);
	}
	assert_int_equal(bh_users_load(rootfd, &pw, &gr, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "over the limit of 1048576");
	bh_error_clear(&err);
	unlink(p);
	free(p);
	/* none: empty tables */
	assert_int_equal(bh_users_load(rootfd, &pw, &gr, &err), 0);
	assert_int_equal(pw.n, 0);
	assert_string_equal(bh_users_find(&gr, 50), "staff");
	bh_users_tab_release(&pw);
	bh_users_tab_release(&gr);
	close(rootfd);
	free(outside);
	unit_rmtmp(d);
}

/* What this process's root says of uid/gid 0 (the names the cache must give). */
static void root_names(char *u, char *g)
{
	struct bh_users_tab pw, gr;
	int rootfd = bh_root_open("/proc/self/root", NULL);
	const char *x;

	assert_true(rootfd >= 0);
	assert_int_equal(bh_users_load(rootfd, &pw, &gr, NULL), 0);
	x = bh_users_find(&pw, 0);
	snprintf(u, BH_MON_USER_MAX, "%s", x ? x : "");
	x = bh_users_find(&gr, 0);
	snprintf(g, BH_MON_USER_MAX, "%s", x ? x : "");
	bh_users_tab_release(&pw);
	bh_users_tab_release(&gr);
	close(rootfd);
}

static void test_cache_and_json(void **state)
{
	struct bh_mon_event *ev = bh_calloc(1, sizeof(*ev));
	char u[BH_MON_USER_MAX], g[BH_MON_USER_MAX], wu[BH_MON_USER_MAX], wg[BH_MON_USER_MAX];
	struct bh_error *err = NULL;
	json_t *j = NULL;

	(void)state;
	root_names(wu, wg);
	if (!wu[0] || !wg[0]) {
		free(ev);
		skip(); /* a root without names for 0 */
		return;
	}
	ev->type = BH_MON_EXECVE;
	ev->proc.pid = (uint32_t)getpid();
	ev->proc.uid = 0;
	ev->proc.gid = 0;
	snprintf(ev->container.id, sizeof(ev->container.id), "ctr-users-test");
	/* off: nothing, and the JSON names no user */
	bh_users_reset();
	bh_users_enable(false);
	bh_users_names(ev, u, g);
	assert_string_equal(u, "");
	assert_int_equal(bh_mon_event_to_json(ev, &j, &err), 0);
	assert_null(json_object_get(json_object_get(j, "proc"), "user"));
	json_decref(j);
	/* on: the names of the event's root (/proc/PID/root) */
	bh_users_enable(true);
	bh_users_names(ev, u, g);
	assert_string_equal(u, wu);
	assert_string_equal(g, wg);
	assert_int_equal(bh_mon_event_to_json(ev, &j, &err), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "proc"), "user")),
			    wu);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "proc"), "group")),
			    wg);
	/* and back: from_json reads both */
	{
		struct bh_mon_event *back = bh_calloc(1, sizeof(*back));

		assert_int_equal(bh_mon_event_from_json(j, back, &err), 0);
		assert_string_equal(back->proc.user, wu);
		assert_string_equal(back->proc.group, wg);
		free(back);
	}
	json_decref(j);
	/* a hit: cached by container, even when the pid is gone */
	ev->proc.pid = 0x7ffffff0u;
	bh_users_names(ev, u, g);
	assert_string_equal(u, wu);
	/* another container whose pid is gone: unknown */
	snprintf(ev->container.id, sizeof(ev->container.id), "ctr-users-gone");
	bh_users_names(ev, u, g);
	assert_string_equal(u, "");
	/* the host's (no container): /proc/1/root's */
	ev->container.id[0] = 0;
	bh_users_names(ev, u, g);
	assert_string_equal(u, access("/proc/1/root/etc/passwd", R_OK) == 0 ? u : wu);
	assert_string_not_equal(u, "");
	/* an unknown id: no name */
	ev->proc.uid = 0x7ffffffe;
	bh_users_names(ev, u, g);
	assert_string_equal(u, "");
	/* a name the event carries is kept, and not looked up */
	snprintf(ev->proc.user, sizeof(ev->proc.user), "given");
	ev->proc.uid = 0;
	bh_users_names(ev, u, g);
	assert_string_equal(u, "");
	assert_int_equal(bh_mon_event_to_json(ev, &j, &err), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "proc"), "user")),
			    "given");
	json_decref(j);
	/* the bound: more containers than the cache holds, each still answered */
	ev->proc.user[0] = 0;
	ev->proc.pid = (uint32_t)getpid();
	for (int i = 0; i < BH_USERS_CACHE_MAX * 2; i++) {
		snprintf(ev->container.id, sizeof(ev->container.id), "ctr-%d", i);
		bh_users_names(ev, u, g);
		assert_string_equal(u, wu);
	}
	bh_users_enable(false);
	bh_users_reset();
	free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_load_in_root),
		cmocka_unit_test(test_cache_and_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
