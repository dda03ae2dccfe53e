/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the rules give the kernel and the guards: the open filter (a
 * necessary condition of each rule; the default rules' filter and its BPF
 * name prefilter), the paths refused before an open, the peers refused by
 * the connect guard, the executables the guard keeps identities of (bounded).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/rules.h"
#include "monitor/users.h"
#include "monitor/bpf/events.h"
#include "rules_unit.h"

static bool has_name(const struct bh_strvec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return true;
	return false;
}

/* The open filter of one rule's condition. */
static void filter_of(const char *cond, struct bh_mon_open_filter *f)
{
	char yaml[1024];
	struct bh_rules_diags d = { 0 };
	struct bh_rules *rs;

	snprintf(yaml, sizeof(yaml), RULE_HEAD "  condition: %s\n", cond);
	rs = load(yaml, &d);
	dump(&d);
	assert_int_equal(bh_rules_count(rs), 1);
	bh_rules_open_filter(rs, f);
	bh_rules_diags_release(&d);
	bh_rules_free(rs);
}

static bool want_all(const struct bh_rules_rule *r, void *arg)
{
	(void)r;
	return arg != NULL;
}

/* The whole paths one rule's condition names for a refusal before the open:
 * "1 a b" (exact, the paths) or "0" when it names none as a whole path. */
static char *paths_of(const char *cond, bool chosen)
{
	char yaml[1024];
	struct bh_rules_diags d = { 0 };
	struct bh_rules *rs;
	struct bh_strvec v;
	const char *inexact = NULL;
	char *out;
	int r;

	snprintf(yaml, sizeof(yaml), RULE_HEAD "  condition: %s\n", cond);
	rs = load(yaml, &d);
	dump(&d);
	assert_int_equal(bh_rules_count(rs), 1);
	r = bh_rules_open_paths(rs, want_all, chosen ? (void *)rs : NULL, &v, &inexact);
	out = bh_asprintf("%d", r);
	if (!r)
		assert_non_null(inexact);
	for (size_t i = 0; r && i < v.n; i++) {
		char *o = bh_asprintf("%s %s", out, v.v[i]);

		free(out);
		out = o;
	}
	bh_strvec_release(&v);
	bh_rules_diags_release(&d);
	bh_rules_free(rs);
	return out;
}

/* The peers one rule's condition names for a refusal by the connect guard:
 * "1 ADDR/PREFIX:PORT/PROTO ..." (exact), "0 ..." (not exact: the peers that
 * still suffice). */
static char *peers_of(const char *cond)
{
	char yaml[1024];
	struct bh_rules_diags d = { 0 };
	struct bh_rules *rs;
	struct bh_rules_peer *v = NULL;
	size_t n = 0;
	const char *inexact = NULL;
	char *out;
	int r;

	snprintf(yaml, sizeof(yaml), RULE_HEAD "  condition: %s\n", cond);
	rs = load(yaml, &d);
	dump(&d);
	assert_int_equal(bh_rules_count(rs), 1);
	r = bh_rules_connect_peers(rs, want_all, (void *)rs, &v, &n, &inexact);
	out = bh_asprintf("%d", r);
	if (!r)
		assert_non_null(inexact);
	for (size_t i = 0; i < n; i++) {
		char a[INET6_ADDRSTRLEN];
		char *o;

		inet_ntop(v[i].family, v[i].addr, a, sizeof(a));
		o = bh_asprintf("%s %s/%u:%u/%u", out, a, v[i].prefix, v[i].port, v[i].proto);
		free(out);
		out = o;
	}
	free(v);
	bh_rules_diags_release(&d);
	bh_rules_free(rs);
	return out;
}

/* The executables one rule's condition names for the guard's identities:
 * "1 P:path... N:name... X:prefix..." (exact) or "0 ..." (a rule naming none). */
static char *execs_of(const char *cond)
{
	char yaml[1024];
	struct bh_rules_diags d = { 0 };
	struct bh_rules *rs;
	struct bh_strvec p, n, x, p2, n2;
	const char *inexact = NULL;
	char *out;
	int r;

	snprintf(yaml, sizeof(yaml), RULE_HEAD "  condition: %s\n", cond);
	rs = load(yaml, &d);
	dump(&d);
	assert_int_equal(bh_rules_count(rs), 1);
	r = bh_rules_exec_files(rs, want_all, (void *)rs, &p, &n, &x, &inexact);
	out = bh_asprintf("%d", r);
	if (!r)
		assert_string_equal(inexact, "t");
	for (size_t i = 0; i < p.n + n.n + x.n; i++) {
		char *o = bh_asprintf("%s %s%s", out,
				      i < p.n	      ? "P:"
				      : i < p.n + n.n ? "N:"
						      : "X:",
				      i < p.n	      ? p.v[i]
				      : i < p.n + n.n ? n.v[i - p.n]
						      : x.v[i - p.n - n.n]);

		free(out);
		out = o;
	}
	/* a caller that takes no prefixes: a rule naming one does not reduce */
	if (x.n) {
		assert_int_equal(
			bh_rules_exec_files(rs, want_all, (void *)rs, &p2, &n2, NULL, &inexact), 0);
		assert_string_equal(inexact, "t");
		bh_strvec_release(&p2);
		bh_strvec_release(&n2);
	}
	bh_strvec_release(&p);
	bh_strvec_release(&n);
	bh_strvec_release(&x);
	bh_rules_diags_release(&d);
	bh_rules_free(rs);
	return out;
}

static void exec_files_for_identity(void **state)
{
	static const struct {
		const char *cond, *want;
	} cases[] = {
		{ "evt.type in (execve, execveat) and proc.name in (apk, apt) and "
		  "container.id != host",
		  "1 N:apk N:apt" },
		{ "evt.type = execve and proc.exepath = /usr/bin/nc", "1 P:/usr/bin/nc" },
		{ "evt.type = execve and (proc.exe = /bin/x or proc.name = y)", "1 P:/bin/x N:y" },
		/* the narrower side of an AND */
		{ "evt.type = execve and proc.name in (a, b, c) and proc.exepath = /bin/a",
		  "1 P:/bin/a" },
		/* a prefix of the path: startswith, glob's literal part, pmatch */
		{ "evt.type = execve and proc.exepath startswith /tmp/", "1 X:/tmp/" },
		{ "evt.type = execve and proc.exe glob /usr/bin/*sh", "1 X:/usr/bin/" },
		{ "evt.type = execve and proc.exepath glob '/opt/a?c/[xy]'", "1 X:/opt/a" },
		{ "evt.type = execve and proc.exepath pmatch (/tmp, /dev/shm)",
		  "1 X:/tmp X:/dev/shm" },
		{ "evt.type = execve and (proc.exepath startswith /tmp/ or proc.name = nc)",
		  "1 N:nc X:/tmp/" },
		{ "evt.type = execve and proc.exepath startswith /tmp/ and proc.name in (a, b)",
		  "1 X:/tmp/" },
		/* the root (every file) or no directory: inexact */
		{ "evt.type = execve and proc.exepath startswith /", "0" },
		{ "evt.type = execve and proc.exepath glob '*sh'", "0" },
		{ "evt.type = execve and proc.exepath glob '/*sh'", "0" },
		{ "evt.type = execve and proc.exepath endswith /nc", "0" },
		{ "evt.type = execve and proc.name startswith py", "0" },
		/* not naming the file: inexact */
		{ "evt.type = execve and not proc.name = sh", "0" },
		{ "evt.type = execve and (proc.name = sh or proc.pname = bash)", "0" },
		{ "evt.type = execve and proc.name = a/b", "0" },
		{ "evt.type = execve and proc.exepath = relative", "0" },
		/* no exec: nothing, and exact */
		{ "evt.type = openat and fd.name = /etc/shadow", "1" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = execs_of(cases[i].cond);

		if (strcmp(got, cases[i].want))
			fail_msg("%s: got '%s', want '%s'", cases[i].cond, got, cases[i].want);
		free(got);
	}
}

/* The lists are bounded: a rule naming more programs than the cap is one that
 * does not reduce (inexact), the lists stay as they were; one under it is kept. */
static void exec_files_bounded(void **state)
{
	size_t cap = BH_RULES_EXEC_FILES_MAX, sz = (cap + 8) * 12 + 1024, o;
	char *yaml = malloc(sz);
	struct bh_rules_diags d = { 0 };
	struct bh_rules *rs;
	struct bh_strvec p, n;
	const char *inexact = NULL;

	(void)state;
	assert_non_null(yaml);
	/* rule a: 2 names; rule big: cap names (a and b among them: more than the cap
	 * together) */
	o = (size_t)snprintf(yaml, sz,
			     "- rule: a\n  desc: d\n  output: x\n  priority: WARNING\n"
			     "  condition: evt.type = execve and proc.name in (a0, a1)\n"
			     "- rule: big\n  desc: d\n  output: x\n  priority: WARNING\n"
			     "  condition: evt.type = execve and proc.name in (");
	for (size_t i = 0; i < cap; i++)
		o += (size_t)snprintf(yaml + o, sz - o, "%sb%zu", i ? ", " : "", i);
	snprintf(yaml + o, sz - o, ")\n");
	rs = load(yaml, &d);
	dump(&d);
	assert_int_equal(bh_rules_count(rs), 2);
	assert_int_equal(bh_rules_exec_files(rs, want_all, (void *)rs, &p, &n, NULL, &inexact), 0);
	assert_string_equal(inexact, "big");
	assert_int_equal(n.n, 2);
	assert_true(n.n <= cap && p.n <= cap);
	bh_strvec_release(&p);
	bh_strvec_release(&n);
	bh_rules_diags_release(&d);
	bh_rules_free(rs);
	free(yaml);
}

static void connect_peers_for_refusal(void **state)
{
	static const struct {
		const char *cond, *want;
	} cases[] = {
		{ "evt.type = connect and fd.sip = 127.0.0.1 and fd.sport = 8080",
		  "1 127.0.0.1/32:8080/0" },
		{ "evt.type = connect and fd.rport in (3333, 4444) and fd.l4proto = tcp",
		  "1 0.0.0.0/0:3333/6 0.0.0.0/0:4444/6 ::/0:3333/6 ::/0:4444/6" },
		{ "evt.type = connect and container.id != host and fd.snet in (10.0.0.0/8) and "
		  "fd.rip = 10.1.2.3",
		  "1 10.1.2.3/32:0/0" },
		/* disjoint networks: exactly nothing */
		{ "evt.type = connect and fd.rnet = 10.0.0.0/8 and fd.rip = 192.168.0.1", "1" },
		{ "evt.type = connect and (fd.rport = 22 or fd.rip = ::1)",
		  "1 0.0.0.0/0:22/0 ::/0:22/0 ::1/128:0/0" },
		{ "evt.type = connect", "1 0.0.0.0/0:0/0 ::/0:0/0" },
		{ "evt.type in (connect, execve) and not evt.type = execve and fd.rport = 25",
		  "1 0.0.0.0/0:25/0 ::/0:25/0" },
		/* what the kernel cannot tell: alert-only (nothing refused) */
		{ "evt.type = connect and proc.name = curl and fd.rport = 4444", "0" },
		{ "evt.type = connect and fd.rport = 4444 and not proc.name = curl", "0" },
		{ "evt.type = connect and fd.rport > 1024", "0" },
		{ "evt.type = connect and fd.l4proto = icmp", "0" },
		/* part of an OR is refused, the rest only alerted */
		{ "evt.type = connect and (fd.rport = 4444 or proc.name = nc)",
		  "0 0.0.0.0/0:4444/0 ::/0:4444/0" },
		/* either end: the peer's suffices, not necessary */
		{ "evt.type = connect and fd.port = 53", "0 0.0.0.0/0:53/0 ::/0:53/0" },
		/* a rule not on connects names nothing and is exact */
		{ "evt.type = execve and proc.name = sh", "1" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = peers_of(cases[i].cond);

		if (strcmp(got, cases[i].want))
			fail_msg("%s: got '%s', want '%s'", cases[i].cond, got, cases[i].want);
		free(got);
	}
}

static void open_paths_for_refusal(void **state)
{
	static const struct {
		const char *cond, *want;
	} cases[] = {
		{ "evt.type = openat and fd.name in (/etc/shadow, /etc/gshadow)",
		  "1 /etc/shadow /etc/gshadow" },
		{ "evt.type = openat and fd.name = /etc/shadow and not proc.name = sha256sum",
		  "1 /etc/shadow" },
		/* an AND of a directory and whole paths: the paths hold */
		{ "evt.type = openat and fd.name pmatch (/etc) and fd.name = /etc/shadow",
		  "1 /etc/shadow" },
		{ "evt.type = openat and (fd.name = /a or fd.name in (/b, /a))", "1 /a /b" },
		/* not reducible: a directory, a prefix, a relative name, a name alone */
		{ "evt.type = openat and fd.name pmatch (/etc/ssl/private)", "0" },
		{ "evt.type = openat and fd.name startswith /etc/", "0" },
		{ "evt.type = openat and fd.name = shadow", "0" },
		{ "evt.type = openat and fd.filename = shadow", "0" },
		{ "evt.type = openat and (fd.name = /a or fd.directory = /etc)", "0" },
		{ "evt.type = openat and not fd.name = /etc/shadow", "0" },
		/* a rule not on opens names nothing and is exact */
		{ "evt.type = execve and proc.name = sh", "1" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = paths_of(cases[i].cond, true);

		if (strcmp(got, cases[i].want))
			fail_msg("%s: got '%s', want '%s'", cases[i].cond, got, cases[i].want);
		free(got);
	}
	/* a rule not chosen (not a block rule) is not looked at */
	{
		char *got = paths_of("evt.type = openat and fd.name startswith /etc/", false);

		assert_string_equal(got, "1");
		free(got);
	}
}

/* The kernel's open filter from the rules: a necessary condition of each rule. */
static void open_filter_from_conditions(void **state)
{
	struct bh_mon_open_filter f;

	(void)state;
	/* no open rule: no open at all */
	filter_of("evt.type = connect and fd.sport = 1", &f);
	assert_false(f.all);
	assert_false(f.writes);
	assert_false(f.failed);
	assert_int_equal(f.leaves.n + f.dirs.n, 0);
	bh_mon_open_filter_release(&f);
	/* exact paths: their last components; failed = false kept */
	filter_of("evt.type = openat and evt.failed = false and fd.name in (/etc/shadow, /x/y/)",
		  &f);
	assert_false(f.all);
	assert_false(f.failed);
	assert_true(has_name(&f.leaves, "shadow"));
	assert_true(has_name(&f.leaves, "y"));
	bh_mon_open_filter_release(&f);
	/* pmatch: the directory's name (and the directory itself); startswith "DIR/" */
	filter_of("evt.type = open and (fd.name pmatch (/root/.ssh) or fd.name startswith /etc/)",
		  &f);
	assert_false(f.all);
	assert_true(f.failed); /* nothing said evt.failed = false */
	assert_true(has_name(&f.dirs, ".ssh"));
	assert_true(has_name(&f.leaves, ".ssh"));
	assert_true(has_name(&f.dirs, "etc"));
	bh_mon_open_filter_release(&f);
	/* a write requirement: every write open, whatever the path */
	filter_of("evt.type = openat and evt.is_open_write = true and fd.name startswith /usr/",
		  &f);
	assert_true(f.writes);
	assert_int_equal(f.leaves.n + f.dirs.n, 0);
	bh_mon_open_filter_release(&f);
	/* a glob with a literal last component; fd.filename */
	filter_of("evt.type = openat and (fd.name glob \"/proc/*/mem\" or fd.filename = id_rsa)",
		  &f);
	assert_false(f.all);
	assert_true(has_name(&f.leaves, "mem"));
	assert_true(has_name(&f.leaves, "id_rsa"));
	bh_mon_open_filter_release(&f);
	/* what the kernel cannot decide on a name: every open (the syscall path) */
	filter_of("evt.type = openat and fd.name contains secret", &f);
	assert_true(f.all);
	bh_mon_open_filter_release(&f);
	filter_of("evt.type = openat and fd.name startswith /etc", &f);
	assert_true(f.all);
	bh_mon_open_filter_release(&f);
	filter_of("evt.type = openat and fd.name glob \"/x/*.key\"", &f);
	assert_true(f.all);
	bh_mon_open_filter_release(&f);
	/* an or with a side that constrains nothing: every open */
	filter_of("evt.type = openat and (fd.name = /etc/shadow or proc.name = cat)", &f);
	assert_true(f.all);
	bh_mon_open_filter_release(&f);
	/* a not requires nothing: the other side decides */
	filter_of("evt.type = openat and not fd.name = /etc/shadow and fd.filename = a", &f);
	assert_false(f.all);
	assert_true(has_name(&f.leaves, "a"));
	assert_false(has_name(&f.leaves, "shadow"));
	bh_mon_open_filter_release(&f);
}

/* The default rules' open filter: what each open rule needs, nothing more. */
static void default_open_filter(void **state)
{
	struct bh_mon_open_filter f;

	(void)state;
	bh_rules_open_filter(defaults, &f);
	assert_false(f.all);
	assert_false(f.failed); /* every open rule asks evt.failed = false */
	assert_true(f.writes);	/* below /etc, binary dirs, release_agent */
	assert_true(has_name(&f.leaves, "shadow"));
	assert_true(has_name(&f.leaves, "sudoers"));
	assert_true(has_name(&f.leaves, "ssh_host_ed25519_key"));
	assert_true(has_name(&f.leaves, "id_rsa"));
	assert_true(has_name(&f.leaves, "mem"));
	assert_true(has_name(&f.dirs, "kubernetes.io"));
	assert_true(has_name(&f.dirs, ".ssh"));
	assert_true(has_name(&f.dirs, "sudoers.d"));
	assert_false(has_name(&f.dirs, "etc")); /* only for writes */
	assert_false(has_name(&f.leaves, "hostname"));
	/* the model of the kernel's decision on events */
	{
		struct bh_mon_event ev = { .type = BH_MON_OPENAT, .res = 3 };

		snprintf(ev.file.path, sizeof(ev.file.path), "%s",
			 "/var/run/secrets/kubernetes.io/serviceaccount/..data/token");
		assert_true(bh_mon_open_filter_admits(&f, &ev));
		snprintf(ev.file.path, sizeof(ev.file.path), "%s", "/etc/hostname");
		assert_false(bh_mon_open_filter_admits(&f, &ev));
		ev.file.flags = O_WRONLY | O_CREAT;
		assert_true(bh_mon_open_filter_admits(&f, &ev));
		ev.file.flags = 0;
		ev.res = -2;
		snprintf(ev.file.path, sizeof(ev.file.path), "%s", "/etc/shadow");
		assert_false(bh_mon_open_filter_admits(&f, &ev));
	}
	bh_mon_open_filter_release(&f);
}

/* The kernel's word of a name: its first 8 bytes as read from memory, with
 * whatever follows the name (tail) past its end. */
static unsigned long long name_word(const char *s, size_t len, unsigned char tail)
{
	unsigned char b[8];
	unsigned long long w;

	memset(b, tail, sizeof(b));
	memcpy(b, s, len < 8 ? len : 8);
	memcpy(&w, b, sizeof(w));
	return w;
}

/* The BPF prefilter of names (events.h: lengths, then a bloom filter on the
 * first 8 bytes) built as the loader does from the default rules: it admits
 * every name of the set whatever follows it in memory (a superset test:
 * no open a rule could match is dropped), and refuses most other names of
 * the same lengths. */
static void default_open_filter_bloom(void **state)
{
	struct bh_mon_open_filter f;
	unsigned long long bloom[2][MON_BLOOM_WORDS] = { { 0 } }, lens[2] = { 0 };
	static const char *const common[] = { "hostname",  "ld.so.cache", "libc.so.6",
					      "passwd",	   "group",	  "nsswitch.conf",
					      "localtime", "resolv.conf", "libm.so.6",
					      "null",	   "urandom",	  "status" };
	unsigned int seed = 15, same_len = 0, hits = 0;

	(void)state;
	bh_rules_open_filter(defaults, &f);
	assert_false(f.all);
	for (int p = 0; p < 2; p++) {
		const struct bh_strvec *v = p ? &f.dirs : &f.leaves;

		for (size_t i = 0; i < v->n; i++) {
			size_t l = strlen(v->v[i]);

			assert_true(l > 0 && l < MON_FNAME_KEY);
			lens[p] |= 1ULL << l;
			mon_bloom_add(bloom[p],
				      mon_name_hash((unsigned)l, name_word(v->v[i], l, 0)));
		}
	}
	for (int p = 0; p < 2; p++) {
		const struct bh_strvec *v = p ? &f.dirs : &f.leaves;

		for (size_t i = 0; i < v->n; i++) {
			size_t l = strlen(v->v[i]);

			for (int t = 0; t < 256; t++)
				assert_true(mon_bloom_has(
					bloom[p],
					mon_name_hash((unsigned)l,
						      name_word(v->v[i], l, (unsigned char)t))));
		}
	}
	/* every name of the set among random bytes before and after it */
	for (int r = 0; r < 20000; r++) {
		int p = r & 1;
		const struct bh_strvec *v = p ? &f.dirs : &f.leaves;
		const char *s = v->v[(size_t)rand_r(&seed) % v->n];
		size_t l = strlen(s);
		unsigned char tail = (unsigned char)rand_r(&seed);

		assert_true(
			mon_bloom_has(bloom[p], mon_name_hash((unsigned)l, name_word(s, l, tail))));
	}
	/* random names of the set's lengths: most are refused before the lookup */
	for (int r = 0; r < 100000; r++) {
		char s[MON_FNAME_KEY];
		size_t l = 1 + (size_t)rand_r(&seed) % (MON_FNAME_KEY - 1);

		if (!(lens[0] & (1ULL << l)))
			continue;
		for (size_t i = 0; i < l; i++)
			s[i] = (char)(' ' + rand_r(&seed) % 95);
		same_len++;
		hits += (unsigned)mon_bloom_has(
			bloom[0], mon_name_hash((unsigned)l, name_word(s, l, (unsigned char)r)));
	}
	assert_true(same_len > 1000);
	assert_true(hits * 10 < same_len); /* under 10% (1 hash, <= 256 names of 4096 bits) */
	/* the loop's and the loader's files: none passes (a name not in the set) */
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
		size_t l = strlen(common[i]);

		assert_false(has_name(&f.leaves, common[i]));
		assert_false(mon_bloom_has(
			bloom[0], mon_name_hash((unsigned)l, name_word(common[i], l, 0x5a))));
	}
	bh_mon_open_filter_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_filter_from_conditions),
		cmocka_unit_test(connect_peers_for_refusal),
		cmocka_unit_test(exec_files_for_identity),
		cmocka_unit_test(exec_files_bounded),
	};
	const struct CMUnitTest defaults_tests[] = {
		cmocka_unit_test(default_open_filter),
		cmocka_unit_test(default_open_filter_bloom),
		cmocka_unit_test(open_paths_for_refusal),
	};

	return cmocka_run_group_tests_name("rules filters", tests, NULL, NULL) |
	       cmocka_run_group_tests_name("default rules filters", defaults_tests, load_defaults,
					   free_defaults);
}
