/* SPDX-License-Identifier: Apache-2.0 */
/* Learned profiles without a kernel: names and bitmaps by architecture (x32's
 * numbers carry their bit), the store's merge, refusals and reports, the OCI
 * writer and strict reader, diff. */
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/profile.h"

static const char *const deny[] = { "bpf", "kexec_load", NULL };

static bool bit(const struct bh_prof_record *r, int arch, int nr)
{
	return (r->bits[arch][nr / 64] >> (nr % 64)) & 1;
}

static void bits_by_architecture(void **state)
{
	struct bh_prof_record r;
	json_t *p =
		json_pack("{s:{s:[s, s, s]}}", "syscalls", "any", "read", "getppid", "socketcall");

	(void)state;
	bh_prof_bits_of(p, &r);
	/* read: 0 on x86_64 and x32 (its bit cleared), 3 on i386 */
	assert_true(bit(&r, BH_PROF_X86_64, 0));
	assert_true(bit(&r, BH_PROF_X32, 0));
	assert_true(bit(&r, BH_PROF_X86, 3));
	assert_false(bit(&r, BH_PROF_X86, 0));
	/* getppid: 110 x86_64, 64 i386; socketcall exists on i386 only (102) */
	assert_true(bit(&r, BH_PROF_X86_64, 110));
	assert_true(bit(&r, BH_PROF_X86, 64));
	assert_true(bit(&r, BH_PROF_X86, 102));
	assert_false(bit(&r, BH_PROF_X86_64, 102) && !bit(&r, BH_PROF_X86_64, 110));
	json_decref(p);
}

static char *tmp_db(void)
{
	char tmpl[] = "/tmp/bh-prof-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return bh_asprintf("%s/p.sqlite", d);
}

static json_t *names(json_t *p, const char *arch)
{
	return json_object_get(json_object_get(p, "syscalls"), arch);
}

static void store_adds_up_and_refuses(void **state)
{
	char *path = tmp_db();
	struct bh_prof_store *s;
	struct bh_prof_record r = { 0 };
	struct bh_error *err = NULL;
	json_t *p, *sess = json_pack("[{s:s, s:[s]}]", "time", "t", "args", "/bin/x");

	(void)state;
	assert_int_equal(bh_prof_store_open(path, false, &s, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_NOTFOUND);
	bh_error_free(err);
	err = NULL;
	assert_int_equal(bh_prof_store_open(path, true, &s, &err), 0);
	r.bits[BH_PROF_X86_64][0] = 1 | 2;  /* read, write */
	r.bits[BH_PROF_X86][0] = 1ULL << 4; /* i386 write */
	r.bits[BH_PROF_X32][0] = 1;	    /* x32 read */
	r.events = 10;
	r.armed = true;
	r.armed_ns = 1000000000;
	r.collected_ns = 3000000000;
	assert_int_equal(bh_prof_store_add(s, "web", "sha256:aa", "c1", sess, &r, deny, &err), 0);
	memset(r.bits, 0, sizeof(r.bits));
	r.bits[BH_PROF_X86_64][0] = 1ULL << 39; /* getpid */
	r.lost = 2;
	assert_int_equal(bh_prof_store_add(s, "web", "sha256:aa", "c2", NULL, &r, deny, &err), 0);
	assert_int_equal(bh_prof_store_get(s, "web", NULL, &p, &err), 0);
	{
		char *t = json_dumps(names(p, "SCMP_ARCH_X86_64"), JSON_COMPACT);

		assert_non_null(t);
		assert_string_equal(t, "[\"getpid\",\"read\",\"write\"]");
		free(t);
	}
	assert_int_equal(json_array_size(names(p, "SCMP_ARCH_X86")), 1);
	assert_string_equal(json_string_value(json_array_get(names(p, "SCMP_ARCH_X32"), 0)),
			    "read");
	assert_int_equal(json_integer_value(json_object_get(p, "runs")), 2);
	assert_int_equal(json_integer_value(json_object_get(p, "lost")), 2);
	assert_true(json_real_value(json_object_get(p, "seconds")) > 3.9);
	assert_int_equal(json_array_size(json_object_get(p, "containers")), 2);
	json_decref(p);
	/* a deny-listed name refuses the whole save: nothing changes */
	memset(r.bits, 0, sizeof(r.bits));
	r.bits[BH_PROF_X86_64][321 / 64] = 1ULL << (321 % 64); /* bpf */
	assert_int_equal(bh_prof_store_add(s, "web", "sha256:aa", "c3", NULL, &r, deny, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_UNSAFE);
	bh_error_free(err);
	err = NULL;
	assert_int_equal(bh_prof_store_get(s, "web", NULL, &p, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(p, "runs")), 2);
	json_decref(p);
	/* monitor reports */
	r.outside = calloc(BH_PROF_NARCH * BH_PROF_MAX_NR, sizeof(uint64_t));
	r.outside[141] = 3; /* setpriority */
	assert_int_equal(bh_prof_store_report(s, "web", "sha256:aa", "m1", &r, &err), 0);
	bh_prof_record_release(&r);
	assert_int_equal(bh_prof_store_get(s, "web", "sha256:aa", &p, &err), 0);
	assert_int_equal(json_array_size(json_object_get(p, "outside")), 1);
	assert_string_equal(
		bh_json_str(json_array_get(json_object_get(p, "outside"), 0), "syscall"),
		"setpriority");
	assert_true(json_is_false(
		json_object_get(json_array_get(json_object_get(p, "outside"), 0), "denied")));
	json_decref(p);
	/* protect reports: the denied flag, beside monitor's */
	r.denied = calloc(BH_PROF_NARCH * BH_PROF_MAX_NR, sizeof(uint64_t));
	r.denied[BH_PROF_X86 * BH_PROF_MAX_NR + 96] = 2; /* getpriority on i386 */
	r.denied[140] = 5;				 /* getpriority */
	assert_int_equal(bh_prof_store_report(s, "web", "sha256:aa", "p1", &r, &err), 0);
	bh_prof_record_release(&r);
	assert_int_equal(bh_prof_store_get(s, "web", "sha256:aa", &p, &err), 0);
	{
		json_t *rep = json_object_get(p, "outside"), *v;
		size_t i, denied = 0;

		assert_int_equal(json_array_size(rep), 3);
		json_array_foreach (rep, i, v)
			if (json_is_true(json_object_get(v, "denied"))) {
				denied++;
				assert_string_equal(bh_json_str(v, "container"), "p1");
				assert_string_equal(bh_json_str(v, "syscall"), "getpriority");
				assert_int_equal(
					json_integer_value(json_object_get(v, "count")),
					strcmp(bh_json_str(v, "arch"), "SCMP_ARCH_X86") ? 5 : 2);
			}
		assert_int_equal(denied, 2);
	}
	json_decref(p);
	assert_int_equal(bh_prof_store_get(s, "web", "sha256:bb", &p, &err), -1);
	bh_error_free(err);
	err = NULL;
	assert_int_equal(bh_prof_store_delete(s, "web", NULL, &err), 0);
	assert_int_equal(bh_prof_store_delete(s, "web", NULL, &err), -1);
	bh_error_free(err);
	bh_prof_store_close(s);
	json_decref(sess);
	{
		char *wal = bh_asprintf("%s-wal", path), *shm = bh_asprintf("%s-shm", path);

		unlink(path);
		unlink(wal);
		unlink(shm);
		free(wal);
		free(shm);
		*strrchr(path, '/') = 0;
		rmdir(path);
	}
	free(path);
}

static void oci_round_trip_and_refusals(void **state)
{
	static const char good[] =
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\"],"
		"\"syscalls\":[{\"names\":[\"write\",\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}";
	static const struct {
		const char *json;
		enum bh_errcode code;
	} bad[] = {
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"bpf\"],"
		  "\"action\":\"SCMP_ACT_ALLOW\"}]}",
		  BH_ERR_UNSAFE },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"nope\"],"
		  "\"action\":\"SCMP_ACT_ALLOW\"}]}",
		  BH_ERR_INVALID },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_MIPS\"]}",
		  BH_ERR_INVALID },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}", BH_ERR_UNSUPPORTED },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_LOG\"}]}",
		  BH_ERR_UNSUPPORTED },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":{}}", BH_ERR_INVALID },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":0}", BH_ERR_INVALID },
		{ "[]", BH_ERR_INVALID },
	};
	struct bh_error *err = NULL;
	json_t *p, *p2, *oci, *d;
	char *text;

	(void)state;
	assert_int_equal(bh_prof_from_oci(good, strlen(good), deny, &p, &err), 0);
	assert_string_equal(json_string_value(json_array_get(names(p, "SCMP_ARCH_X86_64"), 0)),
			    "read");
	oci = bh_prof_to_oci(p);
	text = json_dumps(oci, JSON_COMPACT);
	assert_int_equal(bh_prof_from_oci(text, strlen(text), deny, &p2, &err), 0);
	assert_true(json_equal(p, p2));
	d = bh_prof_diff(p, p2);
	assert_int_equal(json_object_size(json_object_get(d, "added")), 0);
	assert_int_equal(json_object_size(json_object_get(d, "removed")), 0);
	json_decref(d);
	free(text);
	json_decref(oci);
	json_decref(p2);
	json_decref(p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = NULL;
		assert_int_equal(bh_prof_from_oci(bad[i].json, strlen(bad[i].json), deny, &p, &err),
				 -1);
		assert_null(p);
		assert_int_equal(bh_error_code(err), bad[i].code);
		bh_error_free(err);
		err = NULL;
	}
}

/* The rule alone: quiet runs, time, lost events; what it says either way. */
static void rule_decides(void **state)
{
	struct bh_prof_rule rule = { .seconds = 60, .runs = 3, .to = BH_PROF_PROTECT };
	char *why = NULL;

	(void)state;
	assert_false(bh_prof_rule_met(&rule, 2, 120, 0, &why));
	assert_non_null(strstr(why, "2 of 3 run(s) in a row"));
	free(why);
	assert_false(bh_prof_rule_met(&rule, 3, 59.9, 0, &why)); /* never before the time */
	assert_non_null(strstr(why, "learned 59.900 s of 60.000 s"));
	free(why);
	assert_false(bh_prof_rule_met(&rule, 100, 1e6, 1, &why)); /* never with lost events */
	assert_non_null(strstr(why, "1 event(s) were lost"));
	free(why);
	assert_true(bh_prof_rule_met(&rule, 3, 60, 0, &why));
	assert_non_null(strstr(why, "3 run(s) in a row added no syscall"));
	free(why);
	assert_true(bh_prof_rule_met(&rule, 4, 61, 0, NULL));
}

/* One run of rec's bits, 1 s long, collected from container c. */
static int one_run(struct bh_prof_store *s, const char *name, const char *c, uint64_t bits,
		   uint64_t lost, struct bh_error **err)
{
	struct bh_prof_record r = { 0 };

	r.bits[BH_PROF_X86_64][0] = bits;
	r.lost = lost;
	r.events = 5;
	r.armed = true;
	r.armed_ns = 1000000000;
	r.collected_ns = 2000000000;
	return bh_prof_store_add(s, name, "", c, NULL, &r, deny, err);
}

static const char *mode_of(struct bh_prof_store *s, const char *name, json_t **m)
{
	json_decref(*m);
	assert_int_equal(bh_prof_store_mode(s, name, m, NULL), 0);
	return bh_json_str(*m, "mode");
}

static json_int_t quiet_of(const json_t *m)
{
	return json_integer_value(json_object_get(m, "quiet_runs"));
}

static void store_promotes(void **state)
{
	char *path = tmp_db();
	struct bh_prof_store *s;
	struct bh_error *err = NULL;
	struct bh_prof_rule rule = { .seconds = 4, .runs = 3, .to = BH_PROF_PROTECT };
	json_t *m = NULL, *p;

	(void)state;
	assert_int_equal(bh_prof_store_open(path, true, &s, &err), 0);
	/* nothing stored: discover, no rule, waiting for one */
	assert_string_equal(mode_of(s, "web", &m), "discover");
	assert_true(json_is_null(json_object_get(m, "rule")));
	assert_non_null(strstr(bh_json_str(m, "waiting"), "no promotion rule"));
	/* a rule can be set before the first run; monitor/protect by hand cannot */
	assert_int_equal(bh_prof_store_set_rule(s, "web", &rule, &err), 0);
	assert_int_equal(bh_prof_store_set_mode(s, "web", BH_PROF_PROTECT, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_NOTFOUND);
	bh_error_free(err);
	err = NULL;
	{
		struct bh_prof_rule bad = { .seconds = 1, .runs = 0, .to = BH_PROF_PROTECT };

		assert_int_equal(bh_prof_store_set_rule(s, "web", &bad, &err), -1);
		bh_error_free(err);
		err = NULL;
		bad.runs = 1;
		bad.to = BH_PROF_DISCOVER;
		assert_int_equal(bh_prof_store_set_rule(s, "web", &bad, &err), -1);
		bh_error_free(err);
		err = NULL;
	}
	/* run 1 learns read+write (new: not quiet), runs 2 and 3 add nothing */
	assert_int_equal(one_run(s, "web", "c1", 1 | 2, 0, &err), 0);
	mode_of(s, "web", &m);
	assert_int_equal(quiet_of(m), 0);
	assert_non_null(strstr(bh_json_str(m, "last_new"), "container c1 added 2 syscall(s)"));
	assert_int_equal(one_run(s, "web", "c2", 1, 0, &err), 0);
	assert_int_equal(one_run(s, "web", "c3", 2, 0, &err), 0);
	assert_string_equal(mode_of(s, "web", &m), "discover");
	assert_int_equal(quiet_of(m), 2);
	/* a new syscall resets the count */
	assert_int_equal(one_run(s, "web", "c4", 1ULL << 39, 0, &err), 0);
	assert_string_equal(mode_of(s, "web", &m), "discover");
	assert_int_equal(quiet_of(m), 0);
	assert_non_null(strstr(bh_json_str(m, "last_new"), "container c4 added 1 syscall(s)"));
	/* then three quiet runs: the time (4 s) is met since run 4, the third one promotes */
	assert_int_equal(one_run(s, "web", "c5", 1, 0, &err), 0);
	assert_int_equal(one_run(s, "web", "c6", 1, 0, &err), 0);
	assert_string_equal(mode_of(s, "web", &m), "discover");
	assert_non_null(strstr(bh_json_str(m, "waiting"), "2 of 3 run(s)"));
	assert_int_equal(one_run(s, "web", "c7", 1, 0, &err), 0);
	assert_string_equal(mode_of(s, "web", &m), "protect");
	assert_true(json_is_true(json_object_get(m, "automatic")));
	assert_non_null(strstr(bh_json_str(m, "reason"), "promoted from discover to protect"));
	assert_non_null(bh_json_str(m, "changed"));
	assert_true(json_is_null(json_object_get(m, "waiting")));
	/* get and list carry it */
	assert_int_equal(bh_prof_store_get(s, "web", NULL, &p, &err), 0);
	assert_string_equal(bh_json_str(p, "mode"), "protect");
	json_decref(p);
	/* back to discover by hand: the count restarts, the rule stays */
	assert_int_equal(bh_prof_store_set_mode(s, "web", BH_PROF_DISCOVER, &err), 0);
	assert_string_equal(mode_of(s, "web", &m), "discover");
	assert_int_equal(quiet_of(m), 0);
	assert_false(json_is_true(json_object_get(m, "automatic")));
	assert_non_null(strstr(bh_json_str(m, "reason"), "set by hand from protect to discover"));

	/* never before the time: 10 quiet runs of 1 s against a rule of 60 s */
	rule.seconds = 60;
	rule.runs = 2;
	rule.to = BH_PROF_MONITOR;
	assert_int_equal(bh_prof_store_set_rule(s, "short", &rule, &err), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(one_run(s, "short", "s", 1, 0, &err), 0);
	assert_string_equal(mode_of(s, "short", &m), "discover");
	assert_non_null(strstr(bh_json_str(m, "waiting"), "learned 10.000 s of 60.000 s"));
	/* a rule that is already met promotes when it is set */
	rule.seconds = 10;
	assert_int_equal(bh_prof_store_set_rule(s, "short", &rule, &err), 0);
	assert_string_equal(mode_of(s, "short", &m), "monitor");

	/* never with lost events: a run that lost events resets and blocks for good */
	rule.seconds = 0;
	rule.runs = 2;
	rule.to = BH_PROF_PROTECT;
	assert_int_equal(bh_prof_store_set_rule(s, "lossy", &rule, &err), 0);
	assert_int_equal(one_run(s, "lossy", "l1", 1, 0, &err), 0);
	assert_int_equal(one_run(s, "lossy", "l2", 1, 0, &err), 0);
	assert_int_equal(one_run(s, "lossy", "l3", 1, 3, &err), 0); /* would be the 2nd quiet */
	assert_string_equal(mode_of(s, "lossy", &m), "discover");
	assert_int_equal(quiet_of(m), 0);
	assert_non_null(strstr(bh_json_str(m, "last_lost"), "container l3 lost 3 event(s)"));
	for (int i = 0; i < 5; i++)
		assert_int_equal(one_run(s, "lossy", "l", 1, 0, &err), 0);
	assert_string_equal(mode_of(s, "lossy", &m), "discover");
	assert_int_equal(quiet_of(m), 5);
	assert_non_null(strstr(bh_json_str(m, "waiting"), "never promoted"));
	/* an unnamed syscall number counts as lost too (1023: none on x86_64) */
	{
		struct bh_prof_record r = { 0 };

		rule.runs = 1;
		assert_int_equal(bh_prof_store_set_rule(s, "unnamed", &rule, &err), 0);
		r.bits[BH_PROF_X86_64][1023 / 64] = 1ULL << (1023 % 64);
		r.armed = true;
		assert_int_equal(bh_prof_store_add(s, "unnamed", "", "u", NULL, &r, deny, &err), 0);
		assert_int_equal(bh_prof_store_add(s, "unnamed", "", "u", NULL, &r, deny, &err), 0);
		assert_string_equal(mode_of(s, "unnamed", &m), "discover");
	}

	/* deleting the profile deletes its mode */
	assert_int_equal(bh_prof_store_delete(s, "web", NULL, &err), 0);
	assert_string_equal(mode_of(s, "web", &m), "discover");
	assert_true(json_is_null(json_object_get(m, "rule")));
	json_decref(m);
	bh_prof_store_close(s);
	/* a store of schema 1 (before modes) is upgraded when opened, its rows kept */
	{
		char *old = bh_asprintf("%s.v1", path);
		sqlite3 *db = NULL;

		assert_int_equal(sqlite3_open(old, &db), SQLITE_OK);
		assert_int_equal(
			sqlite3_exec(
				db,
				"CREATE TABLE profiles (name TEXT NOT NULL, digest TEXT NOT NULL,"
				" syscalls TEXT NOT NULL, runs INTEGER NOT NULL, seconds REAL NOT "
				"NULL, events INTEGER NOT NULL, lost INTEGER NOT NULL, execs "
				"INTEGER "
				"NOT NULL, containers TEXT NOT NULL, created TEXT NOT NULL, "
				"updated "
				"TEXT NOT NULL, PRIMARY KEY (name, digest)) WITHOUT ROWID;"
				"INSERT INTO profiles VALUES ('old', '', "
				"'{\"SCMP_ARCH_X86_64\":[\"read\"]}', 1, 9.5, 3, 0, 0, '[]', 't', "
				"'t');"
				"PRAGMA user_version = 1;",
				NULL, NULL, NULL),
			SQLITE_OK);
		sqlite3_close(db);
		assert_int_equal(bh_prof_store_open(old, false, &s, &err), 0);
		m = NULL;
		assert_string_equal(mode_of(s, "old", &m), "discover");
		assert_true(json_real_value(json_object_get(m, "seconds")) > 9.4);
		rule.seconds = 5;
		rule.runs = 1;
		assert_int_equal(one_run(s, "old", "o1", 1, 0, &err), 0);
		assert_int_equal(bh_prof_store_set_rule(s, "old", &rule, &err), 0);
		assert_string_equal(mode_of(s, "old", &m), "protect");
		json_decref(m);
		bh_prof_store_close(s);
		free(old);
	}
	*strrchr(path, '/') = 0;
	assert_int_equal(bh_remove_tree(AT_FDCWD, path, NULL), 0);
	free(path);
}

static void names_checked(void **state)
{
	(void)state;
	assert_int_equal(bh_prof_name_check("web-1.2_x", NULL), 0);
	assert_int_equal(bh_prof_name_check("", NULL), -1);
	assert_int_equal(bh_prof_name_check("-x", NULL), -1);
	assert_int_equal(bh_prof_name_check("a/b", NULL), -1);
	assert_int_equal(bh_prof_name_check("a b", NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bits_by_architecture),
		cmocka_unit_test(store_adds_up_and_refuses),
		cmocka_unit_test(oci_round_trip_and_refusals),
		cmocka_unit_test(names_checked),
		cmocka_unit_test(rule_decides),
		cmocka_unit_test(store_promotes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
