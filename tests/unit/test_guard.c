/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guard's pure parts: the mountinfo parser (escapes, optional fields,
 * upperdir, malformed lines), zero-drift's decision, the network rule parser
 * and its printer, the start time of a process and the kill's refusals; the
 * rendezvous with a runtime's start (no guard: no wait; a guard that does not
 * answer: the time limit; one that answers; hostile request names; one guard
 * serves at a time); a connect policy's replace against real BPF maps (its cost
 * is its own rules' whatever the others hold, the bound counts rules in force, an
 * interrupted replace's keys are found; root with BPF, else skipped).
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "lazy/bpf.h"
#include "unit.h"
#include "guard_fs.h"
#include "bulkhead/containers.h"
#include "bulkhead/guard.h"
#include "monitor/bpf/guard_net.h"
#include "monitor/guard_internal.h"
#include "banned.h"

struct seen {
	int n;
	char point[8][128], fstype[8][32], upper[8][128];
	uint64_t id[8];
};

static int keep(const struct bh_guard_mount *m, void *arg)
{
	struct seen *s = arg;

	if (s->n == 8)
		return -1;
	s->id[s->n] = m->id;
	snprintf(s->point[s->n], 128, "%s", m->point);
	snprintf(s->fstype[s->n], 32, "%s", m->fstype);
	snprintf(s->upper[s->n], 128, "%s", m->upperdir ? m->upperdir : "-");
	s->n++;
	return 0;
}

static void test_mountinfo(void **state)
{
	static const char good[] =
		"36 35 98:0 /mnt1 / rw,noatime master:1 shared:2 - overlay overlay "
		"rw,lowerdir=/l1:/l2,upperdir=/var/lib/a\\040b/diff,workdir=/w\n"
		"\n"
		"37 36 0:5 / /my\\040tmp rw - tmpfs tmpfs rw,size=10k\n"
		"38 36 0:6 / /proc rw - proc proc rw";
	struct bh_error *err = NULL;
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(bh_guard_parse_mountinfo(good, strlen(good), keep, &s, &err), 0);
	assert_null(err);
	assert_int_equal(s.n, 3);
	assert_true(s.id[0] == 36 && s.id[1] == 37 && s.id[2] == 38);
	assert_string_equal(s.point[0], "/");
	assert_string_equal(s.fstype[0], "overlay");
	assert_string_equal(s.upper[0], "/var/lib/a b/diff");
	assert_string_equal(s.point[1], "/my tmp");
	assert_string_equal(s.upper[1], "-");
	assert_string_equal(s.fstype[2], "proc");

	static const char *const bad[] = {
		"1 2 3\n",					       /* too short */
		"36 35 98:0 / / rw - overlay\n",		       /* no source, no super */
		"3x 35 98:0 / / rw - ext4 /dev/x rw\n",		       /* bad id */
		"36 35 98:0 / / rw - ext4 /dev/x rw extra\n",	       /* one field too many */
		"36 35 98:0 / / rw a b c d e f g h i - ext4 /d rw\n",  /* over 16 fields */
		"99999999999999999999999 1 1:1 / / rw - ext4 /d rw\n", /* id overflows */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&s, 0, sizeof(s));
		assert_int_equal(bh_guard_parse_mountinfo(bad[i], strlen(bad[i]), keep, &s, &err),
				 -1);
		assert_error(err, BH_ERR_INVALID, "mountinfo line 1");
		bh_error_clear(&err);
	}
	/* a callback's stop is passed through */
	{
		struct seen full = { .n = 8 };

		assert_true(bh_guard_parse_mountinfo(good, strlen(good), keep, &full, &err) < 0);
		assert_null(err);
	}
	/* a backslash at the end is kept, not read past */
	{
		static const char tail[] = "1 2 3:4 / /a\\04 rw - ext4 /d rw";

		memset(&s, 0, sizeof(s));
		assert_int_equal(bh_guard_parse_mountinfo(tail, strlen(tail), keep, &s, &err), 0);
		assert_string_equal(s.point[0], "/a\\04");
	}
}

static void test_drift(void **state)
{
	struct grd_drift_in in = { 0 };
	const char *why = "x";

	(void)state;
	in.started = (struct timespec){ 1000, 500 };
	in.ctime = (struct timespec){ 999, 999999999 };
	assert_int_equal(grd_drift(&in, &why), 0);
	assert_null(why);
	in.ctime = (struct timespec){ 1000, 500 };
	assert_int_equal(grd_drift(&in, &why), 0); /* at the start: from the image */
	in.ctime = (struct timespec){ 1000, 501 };
	assert_int_equal(grd_drift(&in, &why), 1);
	assert_string_equal(why, "written after start");
	in.ctime = (struct timespec){ 1, 0 };
	in.in_upper = true;
	assert_int_equal(grd_drift(&in, &why), 1);
	assert_string_equal(why, "upperdir");
	in.in_upper = false;
	in.tmpfs = true;
	assert_int_equal(grd_drift(&in, &why), 1);
	assert_string_equal(why, "tmpfs");
}

/* Another name of an executed file under the rules' prefixes (guard_names.c):
 * found by identity in the container's tree, a prefix's last part filtering
 * its directory's entries, symbolic links not followed, the bound said. */
static void test_find_name(void **state)
{
	char *d = unit_mktmp(), out[PATH_MAX], *p;
	struct stat st;
	int rootfd;
	uint64_t dev, ino;
	const char *tmp[] = { "/tmp/", NULL }, *tm[] = { "/tm", NULL }, *tx[] = { "/tmp/x", NULL },
		   *none[] = { "/nope/", "/usr/bin/zz", NULL }, *lnk[] = { "/ln/", NULL };

	(void)state;
	mkdir_in(d, "/tmp");
	mkdir_in(d, "/tmp/deep");
	mkdir_in(d, "/usr");
	mkdir_in(d, "/usr/bin");
	mkfile(d, "/tmp/deep/x");
	link_in(d, "/tmp/deep/x", "/usr/bin/y"); /* the name used */
	for (int i = 0; i < 50; i++) {
		char n[32];

		snprintf(n, sizeof(n), "/tmp/f%02d", i);
		mkfile(d, n);
	}
	p = bh_asprintf("%s/usr/bin/y", d);
	assert_int_equal(stat(p, &st), 0);
	free(p);
	dev = (uint64_t)st.st_dev;
	ino = (uint64_t)st.st_ino;
	rootfd = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	usleep(30000); /* a directory changed in the clock's current tick: unsure */

	assert_int_equal(grd_find_name(rootfd, tmp, dev, ino, 1000, out, sizeof(out)), 1);
	assert_string_equal(out, "/tmp/deep/x");
	/* "/tm": the entries of / whose name starts with tm */
	assert_int_equal(grd_find_name(rootfd, tm, dev, ino, 1000, out, sizeof(out)), 1);
	assert_string_equal(out, "/tmp/deep/x");
	/* "/tmp/x": none of /tmp's entries starts with x (deep/x is below deep) */
	assert_int_equal(grd_find_name(rootfd, tx, dev, ino, 1000, out, sizeof(out)), 0);
	/* absent directories, no such name */
	assert_int_equal(grd_find_name(rootfd, none, dev, ino, 1000, out, sizeof(out)), 0);
	/* another file: not found, whatever its device */
	assert_int_equal(grd_find_name(rootfd, tmp, dev, ino + 1000000, 1000, out, sizeof(out)), 0);
	/* the bound: fewer entries than /tmp holds, the file not reached: said */
	assert_int_equal(grd_find_name(rootfd, tmp, dev, ino + 1000000, 10, out, sizeof(out)), -1);
	/* a symbolic link to /tmp: its target resolves in the root as a prefix's
	 * directory, but a link below a prefix is not followed */
	p = bh_asprintf("%s/ln", d);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = bh_asprintf("%s/ln/t", d);
	assert_int_equal(symlink("/tmp", p), 0);
	free(p);
	usleep(30000);
	assert_int_equal(grd_find_name(rootfd, lnk, dev, ino, 1000, out, sizeof(out)), 0);
	close(rootfd);
	unit_rmtmp(d);
}

/* Every entry read counts against the bound, matching the prefix's last part
 * or not: a prefix like "/srv/zz" over a directory of many others stops. */
static void test_find_name_bound(void **state)
{
	char *d = unit_mktmp(), *p, out[PATH_MAX];
	const char *zz[] = { "/big/zz", NULL };
	struct stat st;
	int rootfd;

	(void)state;
	mkdir_in(d, "/big");
	for (int i = 0; i < GRD_NAMES_ENTRIES + 100; i++) {
		char n[32];

		snprintf(n, sizeof(n), "/big/f%05d", i);
		mkfile(d, n);
	}
	mkdir_in(d, "/usr");
	mkfile(d, "/usr/x");
	p = bh_asprintf("%s/usr/x", d);
	assert_int_equal(stat(p, &st), 0);
	free(p);
	rootfd = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	usleep(30000);
	assert_int_equal(grd_find_name(rootfd, zz, (uint64_t)st.st_dev, (uint64_t)st.st_ino,
				       GRD_NAMES_ENTRIES, out, sizeof(out)),
			 -1);
	/* a bound above what is there: looked at all, none */
	assert_int_equal(grd_find_name(rootfd, zz, (uint64_t)st.st_dev, (uint64_t)st.st_ino,
				       GRD_NAMES_ENTRIES * 2, out, sizeof(out)),
			 0);
	close(rootfd);
	unit_rmtmp(d);
}

struct renamer {
	char *a, *b;
	atomic_bool stop;
};

static void *renamer_run(void *arg)
{
	struct renamer *r = arg;

	while (!atomic_load(&r->stop)) {
		if (rename(r->a, r->b) < 0 || rename(r->b, r->a) < 0)
			break;
	}
	return NULL;
}

/* The file renamed while its directory is read: readdir may miss it; that is
 * never "no other name" (0), only found (1) or unsure (-1). */
static void test_find_name_rename(void **state)
{
	char *d = unit_mktmp(), *p, out[PATH_MAX];
	const char *pre[] = { "/w/", NULL };
	struct renamer r;
	struct stat st;
	pthread_t t;
	int rootfd, zero = 0, unsure = 0;

	(void)state;
	mkdir_in(d, "/w");
	mkdir_in(d, "/usr");
	for (int i = 0; i < 1000; i++) {
		char n[32];

		snprintf(n, sizeof(n), "/w/f%04d", i);
		mkfile(d, n);
	}
	mkfile(d, "/w/a");
	link_in(d, "/w/a", "/usr/x");
	p = bh_asprintf("%s/usr/x", d);
	assert_int_equal(stat(p, &st), 0);
	free(p);
	r.a = bh_asprintf("%s/w/a", d);
	r.b = bh_asprintf("%s/w/zzzz-b", d);
	atomic_init(&r.stop, false);
	rootfd = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	assert_int_equal(pthread_create(&t, NULL, renamer_run, &r), 0);
	for (int i = 0; i < 300; i++) {
		int v = grd_find_name(rootfd, pre, (uint64_t)st.st_dev, (uint64_t)st.st_ino,
				      GRD_NAMES_ENTRIES, out, sizeof(out));

		zero += v == 0;
		unsure += v < 0;
	}
	atomic_store(&r.stop, true);
	pthread_join(t, NULL);
	assert_int_equal(zero, 0);
	assert_true(unsure > 0);
	free(r.a);
	free(r.b);
	close(rootfd);
	unit_rmtmp(d);
}

static void rule_ok(const char *in, const char *printed, int family, unsigned prefix, unsigned port,
		    unsigned proto)
{
	struct bh_guard_net_rule r;
	struct bh_error *err = NULL;
	char buf[64];

	if (bh_guard_net_parse_rule(in, &r, &err) < 0)
		fail_msg("'%s': %s", in, err->msg);
	assert_int_equal(r.family, family);
	assert_int_equal(r.prefix, prefix);
	assert_int_equal(r.port, port);
	assert_int_equal(r.proto, proto);
	assert_string_equal(bh_guard_net_rule_str(&r, buf), printed);
}

static void rule_bad(const char *in, const char *needle)
{
	struct bh_guard_net_rule r;
	struct bh_error *err = NULL;

	assert_int_equal(bh_guard_net_parse_rule(in, &r, &err), -1);
	assert_error(err, BH_ERR_INVALID, needle);
	bh_error_free(err);
}

/* Rules become trie keys: the address masked to its prefix, the fixed part matched whole. */
static void test_rule_keys(void **state)
{
	struct bh_guard_net_rule r;
	struct grd_net_key k;
	struct bh_error *err = NULL;
	const unsigned char *a = (const unsigned char *)k.addr;

	(void)state;
	/* the parser refuses host bits; a rule made by hand is masked all the same */
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	memcpy(r.addr, "\x0a\x01\x02\x03", 4);
	r.prefix = 8;
	r.port = 443;
	r.proto = 6;
	grd_net_rule_key(&r, 0x1122334455667788ull, 7, &k);
	assert_int_equal(k.prefixlen, GRD_NET_KEY_FIXED + 8);
	assert_int_equal(k.cookie[0], 0x55667788u);
	assert_int_equal(k.cookie[1], 0x11223344u);
	assert_int_equal(k.gen, 7);
	assert_int_equal(k.family, 4);
	assert_int_equal(k.proto, 6);
	assert_int_equal(k.port, htons(443));
	assert_int_equal(a[0], 10);
	assert_int_equal(a[1] | a[2] | a[3], 0); /* masked: 10.1.2.3/8 is 10.0.0.0/8 */
	assert_int_equal(k.addr[1] | k.addr[2] | k.addr[3], 0);
	assert_int_equal(bh_guard_net_parse_rule("[2001:db8:8000::/33]:53/udp", &r, &err), 0);
	grd_net_rule_key(&r, 1, 0, &k);
	assert_int_equal(k.prefixlen, GRD_NET_KEY_FIXED + 33);
	assert_int_equal(k.family, 6);
	assert_int_equal(k.proto, 17);
	assert_int_equal(a[0], 0x20);
	assert_int_equal(a[3], 0xb8);
	assert_int_equal(a[4], 0x80); /* the 33rd bit */
	for (int i = 5; i < 16; i++)
		assert_int_equal(a[i], 0);
	assert_int_equal(bh_guard_net_parse_rule("0.0.0.0/0", &r, &err), 0);
	grd_net_rule_key(&r, 1, 0, &k);
	assert_int_equal(k.prefixlen, GRD_NET_KEY_FIXED);
	assert_int_equal(k.port | k.proto, 0);
}

/* More rules than a policy holds: refused before anything is loaded, saying how many. */
static void test_rules_bound(void **state)
{
	struct bh_guard_net_rule *v = calloc(BH_GUARD_NET_MAX_RULES + 1, sizeof(*v));
	struct bh_guard_net_policy p = { .action = BH_GUARD_NET_ALLOW_LIST, .rules = v };
	struct bh_ctr c = { .id = (char *)"ctr-x", .pid = 1 };
	struct bh_error *err = NULL;

	(void)state;
	assert_non_null(v);
	for (int i = 0; i <= BH_GUARD_NET_MAX_RULES; i++) {
		char s[64];

		snprintf(s, sizeof(s), "10.%d.%d.1:80/tcp", i / 256, i % 256);
		assert_int_equal(bh_guard_net_parse_rule(s, &v[i], &err), 0);
	}
	p.nrules = BH_GUARD_NET_MAX_RULES + 1;
	assert_int_equal(bh_guard_net_set(&c, &p, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "ctr-x: 4097 network rules, more than the 4096");
	bh_error_free(err);
	free(v);
}

static void test_rules(void **state)
{
	(void)state;
	rule_ok("10.0.0.0/8:443/tcp", "10.0.0.0/8:443/tcp", AF_INET, 8, 443, 6);
	rule_ok("127.0.0.1", "127.0.0.1", AF_INET, 32, 0, 0);
	rule_ok("0.0.0.0/0:53/udp", "0.0.0.0/0:53/udp", AF_INET, 0, 53, 17);
	rule_ok("1.2.3.4/tcp", "1.2.3.4/tcp", AF_INET, 32, 0, 6);
	rule_ok("::1", "::1", AF_INET6, 128, 0, 0);
	rule_ok("[::1]:53/udp", "[::1]:53/udp", AF_INET6, 128, 53, 17);
	rule_ok("fe80::/10", "fe80::/10", AF_INET6, 10, 0, 0);
	rule_ok("[2001:db8::/32]:80", "[2001:db8::/32]:80", AF_INET6, 32, 80, 0);
	rule_bad("", "empty");
	rule_bad("10.0.0.256", "not an IPv4 or IPv6 address");
	rule_bad("10.1.0.0/8", "beyond the /8 prefix");
	rule_bad("10.0.0.0/33", "bad prefix length");
	rule_bad("10.0.0.0/x", "bad prefix length");
	rule_bad("1.2.3.4:0", "bad port");
	rule_bad("1.2.3.4:65536", "bad port");
	rule_bad("1.2.3.4:80/sctp", "bad port");
	rule_bad("[::1", "not ADDRESS");
	rule_bad("[::1]x", "not ADDRESS");
	rule_bad("*:53", "not an IPv4 or IPv6 address");
}

static void test_kill_and_start(void **state)
{
	struct bh_error *err = NULL;
	uint64_t st = 0, st2 = 0;
	pid_t child;
	int status = 0;

	(void)state;
	assert_int_equal(bh_guard_pid_start(getpid(), &st, &err), 0);
	assert_true(st > 0);
	assert_int_equal(bh_guard_pid_start(getpid(), &st2, &err), 0);
	assert_true(st == st2);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(bh_guard_pid_start(child, &st, &err), 0);
	assert_int_equal(bh_guard_kill(child, st + 1, &err), -1);
	assert_error(err, BH_ERR_NOTFOUND, "pid reused");
	bh_error_clear(&err);
	assert_int_equal(kill(child, 0), 0); /* still there */
	assert_int_equal(bh_guard_kill(child, st, &err), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(bh_guard_kill(child, st, &err), -1);
	assert_error(err, BH_ERR_NOTFOUND, "gone");
	bh_error_clear(&err);
	assert_int_equal(bh_guard_kill(0, 0, &err), -1);
	assert_error(err, BH_ERR_USAGE, "bad pid");
	bh_error_clear(&err);
}

struct answerer {
	struct bh_guard_rdv *r;
	atomic_bool stop;
	atomic_int answered;
};

/* The guard's side, as pipeline_guard.c runs it: poll, pending, (rescan), ack. */
static void *answer(void *arg)
{
	struct answerer *a = arg;

	while (!atomic_load(&a->stop)) {
		struct pollfd pf = { .fd = bh_guard_rdv_fd(a->r), .events = POLLIN };
		struct bh_strvec req = BH_STRVEC_INIT;

		if (poll(&pf, 1, 20) > 0 && bh_guard_rdv_pending(a->r, &req) > 0) {
			bh_guard_rdv_ack(a->r, &req);
			atomic_fetch_add(&a->answered, (int)req.n);
		}
		bh_strvec_release(&req);
	}
	return NULL;
}

static void touch(const char *dir, const char *name)
{
	char *p = bh_asprintf("%s/req/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	close(fd);
	free(p);
}

static void test_rendezvous(void **state)
{
	char *d = unit_mktmp(), *dir = bh_asprintf("%s/g", d), *p, *stale;
	struct bh_guard_rdv *r = NULL, *r2 = NULL;
	struct bh_strvec req = BH_STRVEC_INIT;
	struct bh_error *err = NULL;
	struct answerer a = { 0 }, a2 = { 0 };
	pthread_t th, th2;
	const char *gd;

	(void)state;
	/* no guard ever served: no wait */
	assert_int_equal(bh_guard_rdv_await(dir, 42, 7, 10000, &err), 0);
	/* a guard that is gone left its directory (its lock free): removed at the next open */
	stale = bh_asprintf("%s/999999-0", dir);
	assert_int_equal(bh_mkdirs(stale, 0755, 0700, &err), 0);
	p = bh_asprintf("%s/lock", stale);
	close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	free(p);
	assert_int_equal(bh_guard_rdv_await(dir, 42, 7, 10000, &err), 0); /* not waited for */
	assert_int_equal(bh_guard_rdv_open(dir, &r, &err), 0);
	assert_non_null(r);
	assert_int_equal(access(stale, F_OK), -1);
	free(stale);
	gd = bh_guard_rdv_dir(r);
	/* a guard that does not answer: the time limit, and no request left */
	assert_int_equal(bh_guard_rdv_await(dir, 42, 7, 50, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "did not answer in 50 ms");
	bh_error_clear(&err);
	p = bh_asprintf("%s/req/42-7", gd);
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	/* hostile names in req/: removed, never answered */
	touch(gd, "..x");
	touch(gd, "1-");
	touch(gd, "-1");
	touch(gd, "12345678901-1");
	touch(gd, "1-123456789012345678901");
	touch(gd, "1-2-3");
	touch(gd, "x1-2");
	touch(gd, "99-100");
	assert_int_equal(bh_guard_rdv_pending(r, &req), 1);
	assert_string_equal(req.v[0], "99-100");
	bh_guard_rdv_ack(r, &req);
	bh_strvec_release(&req);
	p = bh_asprintf("%s/ack/99-100", gd);
	assert_int_equal(access(p, F_OK), 0);
	free(p);
	/* a guard that answers */
	a.r = r;
	atomic_init(&a.stop, false);
	assert_int_equal(pthread_create(&th, NULL, answer, &a), 0);
	assert_int_equal(bh_guard_rdv_await(dir, 43, 8, 10000, &err), 0);
	assert_int_equal(bh_guard_rdv_await(dir, 44, 9, 10000, &err), 0);
	assert_int_equal(atomic_load(&a.answered), 2);
	p = bh_asprintf("%s/ack/43-8", gd);
	assert_int_equal(access(p, F_OK), -1); /* the runtime removed its answer */
	free(p);
	/* a second guard serves beside it: a runtime asks both and waits for both */
	assert_int_equal(bh_guard_rdv_open(dir, &r2, &err), 0);
	assert_non_null(r2);
	assert_string_not_equal(bh_guard_rdv_dir(r2), gd);
	assert_int_equal(bh_guard_rdv_await(dir, 45, 10, 50, &err), -1); /* r2 does not answer */
	assert_error(err, BH_ERR_LIMIT, "did not answer in 50 ms");
	bh_error_clear(&err);
	a2.r = r2;
	atomic_init(&a2.stop, false);
	assert_int_equal(pthread_create(&th2, NULL, answer, &a2), 0);
	assert_int_equal(bh_guard_rdv_await(dir, 46, 11, 10000, &err), 0);
	atomic_store(&a.stop, true);
	atomic_store(&a2.stop, true);
	pthread_join(th, NULL);
	pthread_join(th2, NULL);
	/* (45: answered by the first unless the runtime stopped waiting before it read it) */
	assert_in_range(atomic_load(&a.answered), 3, 4);
	assert_int_equal(atomic_load(&a2.answered), 1);
	/* the guards gone: their directories too, and no wait again */
	p = bh_strdup(gd);
	bh_guard_rdv_free(r);
	bh_guard_rdv_free(r2);
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	assert_int_equal(bh_guard_rdv_await(dir, 47, 12, 10000, &err), 0);
	free(dir);
	unit_rmtmp(d);
}

/* The slow guard's process: killed by the teardown when an assertion failed first. */
static pid_t slow_pid = -1;

static void slow_kill(void)
{
	int ws;

	if (slow_pid > 0) {
		kill(slow_pid, SIGKILL);
		waitpid(slow_pid, &ws, 0);
	}
	slow_pid = -1;
}

static int slow_teardown(void **state)
{
	(void)state;
	slow_kill();
	return 0;
}

/* A guard in a process of its own that answers its first request after first_ms and
 * each later one after delay_ms (a live, slow monitor); it says it serves by a byte
 * on ready. */
static pid_t slow_guard(const char *dir, unsigned first_ms, unsigned delay_ms)
{
	int pfd[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct bh_guard_rdv *r = NULL;

		close(pfd[0]);
		if (bh_guard_rdv_open(dir, &r, NULL) < 0)
			_exit(1);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		for (;;) {
			struct pollfd pf = { .fd = bh_guard_rdv_fd(r), .events = POLLIN };
			struct bh_strvec req = BH_STRVEC_INIT;

			if (poll(&pf, 1, 20) > 0 && bh_guard_rdv_pending(r, &req) > 0) {
				usleep(first_ms * 1000);
				first_ms = delay_ms;
				bh_guard_rdv_ack(r, &req);
			}
			bh_strvec_release(&req);
		}
	}
	close(pfd[1]);
	slow_pid = pid;
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	return pid;
}

/*
 * A guard that cannot answer does not stall every start: one whose process is
 * stopped is skipped at once (named, with its pid), one that missed its last
 * rendezvous gets RDV_MISSED_MS until it reads its requests again; a live guard
 * that is merely slow is still waited for.
 */
static void test_rendezvous_stopped(void **state)
{
	char *d = unit_mktmp(), *dir = bh_asprintf("%s/g", d), *p, *want;
	struct bh_guard_rdv *r = NULL;
	struct bh_strvec req = BH_STRVEC_INIT;
	struct bh_error *err = NULL;
	uint64_t t0;
	pid_t pid;
	int ws;

	(void)state;
	pid = slow_guard(dir, 300, 300);
	/* live and slow: waited for */
	t0 = bh_mono_ms();
	assert_int_equal(bh_guard_rdv_await(dir, 42, 7, 10000, &err), 0);
	assert_true(bh_mono_ms() - t0 >= 250);
	/* stopped (SIGSTOP): skipped at once, named */
	assert_int_equal(kill(pid, SIGSTOP), 0);
	assert_int_equal(waitpid(pid, &ws, WUNTRACED), pid);
	assert_true(WIFSTOPPED(ws));
	t0 = bh_mono_ms();
	assert_int_equal(bh_guard_rdv_await(dir, 43, 8, 10000, &err), -1);
	assert_true(bh_mono_ms() - t0 < 1000);
	want = bh_asprintf("(pid %d) its process %d is stopped (state T", (int)pid, (int)pid);
	assert_error(err, BH_ERR_LIMIT, want);
	free(want);
	bh_error_clear(&err);
	/* continued: waited for again */
	assert_int_equal(kill(pid, SIGCONT), 0);
	t0 = bh_mono_ms();
	assert_int_equal(bh_guard_rdv_await(dir, 44, 9, 10000, &err), 0);
	assert_true(bh_mono_ms() - t0 >= 250);
	slow_kill();

	/* a guard that misses a rendezvous (here: it never reads) */
	assert_int_equal(bh_guard_rdv_open(dir, &r, &err), 0);
	assert_int_equal(bh_guard_rdv_await(dir, 45, 10, 150, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "did not answer in 150 ms");
	bh_error_clear(&err);
	p = bh_asprintf("%s/missed", bh_guard_rdv_dir(r));
	assert_int_equal(access(p, F_OK), 0);
	/* … gets the short wait next time */
	t0 = bh_mono_ms();
	assert_int_equal(bh_guard_rdv_await(dir, 46, 11, 10000, &err), -1);
	assert_true(bh_mono_ms() - t0 < 1000);
	assert_error(err, BH_ERR_LIMIT, "missed its last rendezvous and did not answer in 100 ms");
	bh_error_clear(&err);
	/* … until it reads its requests again: the whole time then */
	bh_guard_rdv_pending(r, &req);
	bh_strvec_release(&req);
	assert_int_equal(access(p, F_OK), -1);
	t0 = bh_mono_ms();
	assert_int_equal(bh_guard_rdv_await(dir, 47, 12, 300, &err), -1);
	assert_true(bh_mono_ms() - t0 >= 300);
	assert_error(err, BH_ERR_LIMIT, "did not answer in 300 ms");
	bh_error_clear(&err);
	free(p);
	bh_guard_rdv_free(r);
	free(dir);
	unit_rmtmp(d);
}

/*
 * A live guard that missed once (one long stall) and then answers each request in
 * 150 ms (> RDV_MISSED_MS: a slow rescan) is waited for at every later start: it
 * removes its mark when it reads the request, and the runtime does not re-write it.
 */
static bool any_missed(const char *dir)
{
	DIR *dd = opendir(dir);
	struct dirent *de;
	bool any = false;

	assert_non_null(dd);
	while (!any && (de = readdir(dd))) {
		char m[300];

		snprintf(m, sizeof(m), "%s/missed", de->d_name);
		any = de->d_name[0] != '.' && faccessat(dirfd(dd), m, F_OK, 0) == 0;
	}
	closedir(dd);
	return any;
}

static void test_rendezvous_missed_once(void **state)
{
	char *d = unit_mktmp(), *dir = bh_asprintf("%s/g", d);
	struct bh_error *err = NULL;
	uint64_t t0;

	(void)state;
	slow_guard(dir, 700, 150);
	assert_int_equal(bh_guard_rdv_await(dir, 50, 1, 200, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "did not answer in 200 ms");
	bh_error_clear(&err);
	assert_true(any_missed(dir));
	usleep(700 * 1000); /* its stall is over; nothing made it read its requests yet */
	for (int i = 0; i < 3; i++) {
		t0 = bh_mono_ms();
		assert_int_equal(bh_guard_rdv_await(dir, 51 + i, 2 + i, 10000, &err), 0);
		assert_null(err);
		assert_true(bh_mono_ms() - t0 >= 120);
		assert_false(any_missed(dir));
	}
	slow_kill();
	free(dir);
	unit_rmtmp(d);
}

/* ---- the connect guard's maps: a replace is O(its own keys) ---------------------------- */

static int map_new(enum bpf_map_type t, unsigned ks, unsigned vs, unsigned max, unsigned flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = t;
	a.key_size = ks;
	a.value_size = vs;
	a.max_entries = max;
	a.map_flags = flags;
	return (int)syscall(__NR_bpf, BPF_MAP_CREATE, &a, sizeof(a));
}

static void maps_free(struct grd_net_fds *m)
{
	int fds[] = { m->policy, m->counts, m->rules, m->slots, m->used };

	for (int i = 0; i < 5; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static unsigned map_count(int fd, size_t ks)
{
	unsigned char k[64], next[64];
	unsigned n = 0;

	assert_true(ks <= sizeof(k));
	while (bpf_map_get_next_key(fd, n ? k : NULL, next) == 0) {
		memcpy(k, next, ks);
		n++;
	}
	return n;
}

/* n rules 10.a.b.c:port/tcp, distinct per seed */
static void mk_rules(struct bh_guard_net_rule *r, size_t n, unsigned seed)
{
	struct bh_error *err = NULL;

	for (size_t i = 0; i < n; i++) {
		char s[64];

		snprintf(s, sizeof(s), "10.%u.%u.%zu:%zu/tcp", (seed >> 8) & 255, seed & 255, i,
			 1000 + i);
		assert_int_equal(bh_guard_net_parse_rule(s, &r[i], &err), 0);
	}
}

static bool key_in(struct grd_net_fds *m, const struct bh_guard_net_rule *r, uint64_t cookie,
		   unsigned gen)
{
	struct grd_net_key k;
	uint32_t v;

	grd_net_rule_key(r, cookie, gen, &k);
	return bpf_map_lookup_elem(m->rules, &k, &v) == 0;
}

static unsigned used_of(struct grd_net_fds *m)
{
	uint32_t z = 0, u = 0;

	assert_int_equal(bpf_map_lookup_elem(m->used, &z, &u), 0);
	return u;
}

static void test_net_replace(void **state)
{
	struct grd_net_fds m = { -1, -1, -1, -1, -1, 0 };
	struct bh_guard_net_rule r[33], r2[33];
	struct grd_net_policy v, got;
	struct bh_error *err = NULL;
	const uint64_t x = 0x7777000000000001ull, y = 0x7777000000000002ull;
	unsigned long calls32, calls32_alone;
	int ncpu;

	(void)state;
	if (geteuid() != 0 || bh_lazy_require(&bh_lazy_bpf, NULL) < 0) {
		skip();
		return;
	}
	ncpu = libbpf_num_possible_cpus();
	m.policy =
		map_new(BPF_MAP_TYPE_HASH, 8, sizeof(struct grd_net_policy), GRD_NET_MAX_CTRS, 0);
	m.counts = map_new(BPF_MAP_TYPE_PERCPU_HASH, 8, sizeof(struct grd_net_counts),
			   GRD_NET_MAX_CTRS, 0);
	m.rules = map_new(BPF_MAP_TYPE_LPM_TRIE, sizeof(struct grd_net_key), 4, GRD_NET_TRIE_SIZE,
			  BPF_F_NO_PREALLOC);
	m.slots = map_new(BPF_MAP_TYPE_HASH, sizeof(struct grd_net_slot),
			  sizeof(struct grd_net_key), GRD_NET_TRIE_SIZE, BPF_F_NO_PREALLOC);
	m.used = map_new(BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0);
	if (m.policy < 0 || m.counts < 0 || m.rules < 0 || m.slots < 0 || m.used < 0 || ncpu <= 0) {
		maps_free(&m);
		skip();
		return;
	}
	mk_rules(r, 33, 1);
	mk_rules(r2, 33, 2);

	/* alone: the cost of setting then replacing 32 rules */
	memset(&v, 0, sizeof(v));
	v.action = GRD_NET_ALLOW_LIST;
	assert_int_equal(grd_net_replace(&m, x, &v, r, 32, "x", &err), 0);
	assert_int_equal(v.gen, 0);
	m.calls = 0;
	memset(&v, 0, sizeof(v));
	v.action = GRD_NET_ALLOW_LIST;
	assert_int_equal(grd_net_replace(&m, x, &v, r2, 32, "x", &err), 0);
	calls32_alone = m.calls;
	assert_int_equal(v.gen, 1);
	assert_true(key_in(&m, &r2[3], x, 1));
	assert_false(key_in(&m, &r[3], x, 0));
	assert_int_equal(used_of(&m), 32);
	assert_int_equal(grd_net_remove(&m, x, "x", &err), 0);
	assert_int_equal(used_of(&m), 0);
	assert_int_equal(map_count(m.rules, sizeof(struct grd_net_key)), 0);
	assert_int_equal(map_count(m.slots, sizeof(struct grd_net_slot)), 0);
	assert_int_equal(grd_net_remove(&m, x, "x", &err), -1);
	assert_error(err, BH_ERR_NOTFOUND, "container x: no connect policy");
	bh_error_clear(&err);

	/* 4094 other containers of 16 rules: 65504 keys (x and y make 4096 policies) */
	for (uint64_t c = 1; c < GRD_NET_MAX_CTRS - 1; c++) {
		memset(&v, 0, sizeof(v));
		v.action = GRD_NET_DENY_LIST;
		mk_rules(r2, 16, (unsigned)c + 100);
		assert_int_equal(grd_net_replace(&m, c, &v, r2, 16, "other", &err), 0);
	}
	assert_int_equal(used_of(&m), 65504);
	memset(&v, 0, sizeof(v));
	v.action = GRD_NET_ALLOW_LIST;
	assert_int_equal(grd_net_replace(&m, x, &v, r, 32, "x", &err), 0);
	/* every rule in force counted: 65536, the bound, reached */
	assert_int_equal(used_of(&m), GRD_NET_MAX_KEYS);
	assert_int_equal(map_count(m.rules, sizeof(struct grd_net_key)), GRD_NET_MAX_KEYS);

	/* replacing x's 32 needs room for 32 beside the others, its old 32 not counted */
	m.calls = 0;
	memset(&v, 0, sizeof(v));
	v.action = GRD_NET_ALLOW_LIST;
	mk_rules(r2, 33, 2);
	assert_int_equal(grd_net_replace(&m, x, &v, r2, 32, "x", &err), 0);
	calls32 = m.calls;
	/* the same map calls as alone: nothing of the 65504 others' keys is walked */
	assert_int_equal(calls32, calls32_alone);
	assert_true(calls32 < 32 * 6 + 16);
	assert_true(key_in(&m, &r2[31], x, 1));
	assert_false(key_in(&m, &r[31], x, 0));
	assert_int_equal(bpf_map_lookup_elem(m.policy, &x, &got), 0);
	assert_int_equal(got.gen, 1);
	assert_int_equal(got.nrules, 32);
	assert_int_equal(got.flags, GRD_NET_HAS_PROTO_PORT);
	assert_int_equal(used_of(&m), GRD_NET_MAX_KEYS);
	assert_int_equal(map_count(m.rules, sizeof(struct grd_net_key)), GRD_NET_MAX_KEYS);

	/* past the bound: 33 for x, or 1 for another container */
	memset(&v, 0, sizeof(v));
	assert_int_equal(grd_net_replace(&m, x, &v, r, 33, "x", &err), -1);
	assert_error(err, BH_ERR_LIMIT,
		     "container x: 33 network rules do not fit: the other "
		     "containers' policies hold 65504 of the 65536");
	bh_error_clear(&err);
	memset(&v, 0, sizeof(v));
	assert_int_equal(grd_net_replace(&m, y, &v, r, 1, "y", &err), -1);
	assert_error(err, BH_ERR_LIMIT, "hold 65536 of the 65536");
	bh_error_clear(&err);
	/* a refused replace leaves x's policy in force */
	assert_true(key_in(&m, &r2[0], x, 1));
	assert_int_equal(used_of(&m), GRD_NET_MAX_KEYS);
	/* an empty policy (deny-all) frees x's 32 for y */
	memset(&v, 0, sizeof(v));
	v.action = GRD_NET_DENY_ALL;
	assert_int_equal(grd_net_replace(&m, x, &v, r, 0, "x", &err), 0);
	assert_false(key_in(&m, &r2[0], x, 1));
	memset(&v, 0, sizeof(v));
	assert_int_equal(grd_net_replace(&m, y, &v, r, 32, "y", &err), 0);
	assert_int_equal(used_of(&m), GRD_NET_MAX_KEYS);
	/* a 4097th container: the policy table's own bound, said as such */
	{
		const uint64_t z = 0x7777000000000003ull;

		memset(&v, 0, sizeof(v));
		v.action = GRD_NET_DENY_ALL;
		assert_int_equal(grd_net_replace(&m, z, &v, r, 0, "z", &err), -1);
		assert_error(err, BH_ERR_LIMIT,
			     "container z: 4096 containers have a connect policy");
		bh_error_clear(&err);
	}

	/* an interrupted replace of y (gen 1, bank 1: 5 keys written) is found by the next */
	for (unsigned i = 0; i < 5; i++) {
		struct grd_net_slot s = { { (unsigned)y, (unsigned)(y >> 32) },
					  GRD_NET_MAX_RULES + i };
		struct grd_net_key k;
		uint32_t one = 1;

		grd_net_rule_key(&r2[i], y, 1, &k);
		assert_int_equal(bpf_map_update_elem(m.slots, &s, &k, BPF_ANY), 0);
		assert_int_equal(bpf_map_update_elem(m.rules, &k, &one, BPF_ANY), 0);
	}
	memset(&v, 0, sizeof(v));
	assert_int_equal(grd_net_replace(&m, y, &v, r2 + 8, 2, "y", &err), 0);
	assert_false(key_in(&m, &r2[4], y, 1));
	assert_true(key_in(&m, &r2[8], y, 1));
	assert_false(key_in(&m, &r[0], y, 0));
	assert_int_equal(used_of(&m), GRD_NET_MAX_KEYS - 30);
	assert_int_equal(map_count(m.rules, sizeof(struct grd_net_key)), GRD_NET_MAX_KEYS - 30);
	assert_int_equal(map_count(m.slots, sizeof(struct grd_net_slot)), GRD_NET_MAX_KEYS - 30);
	maps_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_drift),
		cmocka_unit_test(test_find_name),
		cmocka_unit_test(test_find_name_bound),
		cmocka_unit_test(test_find_name_rename),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_rule_keys),
		cmocka_unit_test(test_rules_bound),
		cmocka_unit_test(test_kill_and_start),
		cmocka_unit_test(test_rendezvous),
		cmocka_unit_test_teardown(test_rendezvous_stopped, slow_teardown),
		cmocka_unit_test_teardown(test_rendezvous_missed_once, slow_teardown),
		cmocka_unit_test(test_net_replace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
