/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Quarantine without containers: the record's JSON and its strict parser,
 * the lookup's errors (unknown, ambiguous) against a given inventory, list
 * and release over a state directory with broken and stale records. The
 * real freeze and cut are in tests/e2e/quarantine.test.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/quarantine.h"
#include "monitor/quarantine_internal.h"
#include "banned.h"

static struct bh_quar_record sample(void)
{
	struct bh_quar_record r = { 0 };

	r.id = bh_strdup("abc123");
	r.name = bh_strdup("web");
	r.engine = BH_CTR_PODMAN;
	r.pid = 4242;
	r.pid_start = 987654321;
	r.time = bh_strdup("2026-12-04T16:00:00.000Z");
	r.reason = bh_strdup("rule: shell in container");
	r.freezer = bh_strdup("/sys/fs/cgroup/freezer/x/freezer.state");
	r.was_frozen = true;
	r.net = BH_QUAR_NET_CUT;
	r.netns = 4026531840u;
	r.apply_ns = 12345678;
	r.event_ns = 1796400000000000000u;
	r.apply_start_ns = 1796400000001000000u;
	r.contained_ns = 1796400000013345678u;
	return r;
}

static void test_record_round_trip(void **state)
{
	struct bh_quar_record r = sample(), back = { 0 };
	struct bh_error *err = NULL;
	json_t *j = bh_quar_record_to_json(&r);
	char *s = json_dumps(j, 0);

	(void)state;
	assert_int_equal(bh_quar_record_parse(s, strlen(s), &back, &err), 0);
	assert_null(err);
	assert_string_equal(back.id, "abc123");
	assert_string_equal(back.name, "web");
	assert_int_equal(back.engine, BH_CTR_PODMAN);
	assert_int_equal(back.pid, 4242);
	assert_true(back.pid_start == 987654321);
	assert_string_equal(back.reason, "rule: shell in container");
	assert_string_equal(back.freezer, r.freezer);
	assert_true(back.was_frozen);
	assert_int_equal(back.net, BH_QUAR_NET_CUT);
	assert_true(back.netns == 4026531840u);
	assert_true(back.apply_ns == 12345678);
	assert_true(back.event_ns == 1796400000000000000u);
	assert_true(back.apply_start_ns == 1796400000001000000u);
	assert_true(back.contained_ns == 1796400000013345678u);
	free(s);
	json_decref(j);
	bh_quar_record_release(&back);
	bh_quar_record_release(&r);
	bh_quar_record_release(NULL);
	bh_quar_record_free(NULL);
}

static void rejects(const char *text, const char *want)
{
	struct bh_quar_record r = { 0 };
	struct bh_error *err = NULL;
	char *m;

	assert_int_equal(bh_quar_record_parse(text, strlen(text), &r, &err), -1);
	assert_non_null(err);
	m = bh_error_message(err);
	if (!strstr(m, want))
		fail_msg("%s: got \"%s\", want \"%s\"", text, m, want);
	free(m);
	bh_error_free(err);
	assert_null(r.id);
}

#define GOOD_TAIL                                                                                  \
	"\"engine\": \"runc\", \"freezer\": \"f\", \"pid\": 3, \"pid_start\": 1, \"netns\": 1, "   \
	"\"apply_ns\": 0, \"was_frozen\": false"

static void test_record_rejects(void **state)
{
	(void)state;
	rejects("", "quarantine record");
	rejects("[]", "not an object");
	rejects("{\"id\": \"../x\", " GOOD_TAIL ", \"network\": \"cut\"}", "bad id");
	rejects("{\"id\": \"a/b\", " GOOD_TAIL ", \"network\": \"cut\"}", "bad id");
	rejects("{\"id\": 7, " GOOD_TAIL ", \"network\": \"cut\"}", "\"id\" is not a string");
	rejects("{\"id\": \"a\", " GOOD_TAIL ", \"network\": \"open\"}", "unknown network");
	rejects("{\"id\": \"a\", " GOOD_TAIL "}", "\"network\" is not a string");
	rejects("{\"id\": \"a\", \"engine\": \"runc\", \"freezer\": \"f\", \"pid\": -1, "
		"\"pid_start\": 1, \"netns\": 1, \"apply_ns\": 0, \"was_frozen\": false, "
		"\"network\": \"cut\"}",
		"\"pid\" is not an integer in range");
	rejects("{\"id\": \"a\", \"engine\": \"runc\", \"freezer\": \"f\", \"pid\": 3, "
		"\"pid_start\": 1, \"netns\": 1, \"apply_ns\": 0, \"was_frozen\": 1, "
		"\"network\": \"cut\"}",
		"\"was_frozen\" is not a boolean");
	rejects("{\"id\": \"a\", " GOOD_TAIL ", \"network\": \"cut\", \"contained_ns\": -5}",
		"\"contained_ns\" is not an integer in range");
	rejects("{\"id\": \"a\", " GOOD_TAIL ", \"network\": \"cut\", \"event_ns\": \"x\"}",
		"\"event_ns\" is not an integer in range");
}

static void test_lookup_errors(void **state)
{
	struct bh_ctr v[2] = { { 0 } };
	struct bh_ctr_list l = { .v = v, .n = 2 };
	char dir[] = "/tmp/bh-quar-unit.XXXXXX";
	struct bh_quar_opts o = { .inventory = &l };
	struct bh_quar_record *rec = NULL;
	struct bh_error *err = NULL;
	char *m;

	(void)state;
	assert_non_null(mkdtemp(dir));
	o.state_dir = dir;
	v[0].id = (char *)"aaaa1111";
	v[0].engine = BH_CTR_RUNC;
	v[1].id = (char *)"aaaa2222";
	v[1].engine = BH_CTR_PODMAN;
	v[1].name = (char *)"db";

	assert_int_equal(bh_quar_apply(&o, "zzz", NULL, &rec, &err), -1);
	assert_int_equal(err->code, BH_ERR_NOTFOUND);
	m = bh_error_message(err);
	assert_non_null(strstr(m, "no container with the ID, ID prefix or name \"zzz\""));
	free(m);
	bh_error_clear(&err);

	assert_int_equal(bh_quar_apply(&o, "aaaa", NULL, &rec, &err), -1);
	assert_int_equal(err->code, BH_ERR_USAGE);
	m = bh_error_message(err);
	assert_non_null(
		strstr(m, "ambiguous: 2 containers match (aaaa1111 (runc), aaaa2222 (podman))"));
	free(m);
	bh_error_clear(&err);

	/* found by name, but it has no process: stopped */
	assert_int_equal(bh_quar_apply(&o, "db", NULL, &rec, &err), -1);
	assert_int_equal(err->code, BH_ERR_NOTFOUND);
	m = bh_error_message(err);
	assert_non_null(strstr(m, "container aaaa2222 is stopped"));
	free(m);
	bh_error_clear(&err);
	assert_null(rec);

	assert_int_equal(bh_quar_apply(&o, "", NULL, &rec, &err), -1);
	assert_int_equal(err->code, BH_ERR_USAGE);
	bh_error_clear(&err);
	assert_int_equal(rmdir(dir), 0); /* nothing written */
}

static void put(const char *dir, const char *name, const char *text)
{
	char *p = bh_asprintf("%s/%s", dir, name);
	struct bh_error *err = NULL;

	assert_int_equal(bh_write_file_atomic(p, text, strlen(text), 0600, &err), 0);
	free(p);
}

static void test_list_and_release_records(void **state)
{
	char dir[] = "/tmp/bh-quar-unit.XXXXXX";
	struct bh_quar_opts o = { 0 };
	struct bh_quar_record *v = NULL, r = sample();
	struct bh_quar_list_info info;
	struct bh_error *err = NULL;
	json_t *j;
	char *s, *gone;
	size_t n = 99;

	(void)state;
	assert_non_null(mkdtemp(dir));
	gone = bh_asprintf("%s/none", dir);
	o.state_dir = gone;
	assert_int_equal(bh_quar_list(&o, &v, &n, NULL, &err), 0); /* no directory: nothing */
	assert_int_equal(n, 0);
	assert_int_equal(bh_quar_release(&o, "x", &err), -1);
	assert_int_equal(err->code, BH_ERR_NOTFOUND);
	bh_error_clear(&err);

	o.state_dir = dir;
	/* a record of a container long gone (pid 0 never matches), a broken file, a stray */
	r.pid = 0;
	j = bh_quar_record_to_json(&r);
	s = json_dumps(j, 0);
	put(dir, "abc123.json", s);
	put(dir, "broken.json", "{\"id\": ");
	put(dir, "other.json", s); /* its id is not its name: skipped */
	put(dir, "notes.txt", "x");
	assert_int_equal(bh_quar_list(&o, &v, &n, &info, &err), 0);
	assert_int_equal(n, 1);
	assert_false(info.truncated);
	assert_int_equal(info.skipped, 2); /* broken.json, other.json: counted, not silent */
	assert_string_equal(v[0].id, "abc123");
	assert_false(v[0].exists);
	assert_false(v[0].frozen);
	assert_false(v[0].cut);
	bh_quar_records_free(v, n);

	assert_int_equal(bh_quar_release(&o, "nosuch", &err), -1);
	assert_int_equal(err->code, BH_ERR_NOTFOUND);
	bh_error_clear(&err);
	/* by name; the container is gone: 1, only the record removed */
	assert_int_equal(bh_quar_release(&o, "web", &err), 1);
	assert_null(err);
	assert_int_equal(bh_quar_release(&o, "abc123", &err), -1);
	bh_error_clear(&err);

	free(s);
	json_decref(j);
	bh_quar_record_release(&r);
	s = bh_asprintf("rm -rf '%s'", dir);
	assert_int_equal(system(s), 0);
	free(s);
	free(gone);
}

static char *record_text(const char *id, pid_t pid)
{
	struct bh_quar_record r = sample();
	json_t *j;
	char *s;

	free(r.id);
	r.id = bh_strdup(id);
	r.pid = pid;
	j = bh_quar_record_to_json(&r);
	s = json_dumps(j, 0);
	json_decref(j);
	bh_quar_record_release(&r);
	return s;
}

static void rm_rf(const char *dir)
{
	char *s = bh_asprintf("rm -rf '%s'", dir);

	assert_int_equal(system(s), 0);
	free(s);
}

/* A FIFO named like a record: list, find and release answer at once (the old
 * blocking open hung them, and every apply behind the directory's lock). */
static void test_fifo_record_hangs_nothing(void **state)
{
	char dir[] = "/tmp/bh-quar-unit.XXXXXX";
	struct bh_quar_opts o = { 0 };
	struct bh_quar_record *v = NULL, *rec = NULL;
	struct bh_quar_list_info info;
	struct bh_error *err = NULL;
	char *p, *m;
	size_t n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	o.state_dir = dir;
	p = bh_asprintf("%s/fifo1.json", dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	alarm(20); /* a hang fails the test (SIGALRM) instead of the suite */
	assert_int_equal(bh_quar_list(&o, &v, &n, &info, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(info.skipped, 1);
	assert_non_null(strstr(info.first_skipped, "fifo1.json: not a regular file"));
	/* find fails closed: `resume` must not take it for "not quarantined" */
	assert_int_equal(bh_quar_find(&o, "fifo1", &rec, &err), -1);
	m = bh_error_message(err);
	assert_non_null(strstr(m, "not a regular file"));
	free(m);
	bh_error_clear(&err);
	assert_null(rec);
	assert_int_equal(bh_quar_release(&o, "fifo1", &err), -1);
	m = bh_error_message(err);
	assert_non_null(strstr(m, "not a regular file"));
	free(m);
	bh_error_clear(&err);
	alarm(0);
	free(p);
	rm_rf(dir);
}

/* Past the list's cap a record is still found by its ID (resume, release),
 * and list says it left some out. */
static void test_records_past_the_cap(void **state)
{
	char dir[] = "/tmp/bh-quar-unit.XXXXXX";
	struct bh_quar_opts o = { 0 };
	struct bh_quar_record *v = NULL, *rec = NULL;
	struct bh_quar_list_info info;
	struct bh_error *err = NULL;
	char last[256] = "", *m;
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	o.state_dir = dir;
	for (int i = 0; i < QUAR_RECORDS_MAX + 20; i++) {
		char id[32], name[48], *s;

		snprintf(id, sizeof(id), "c%05d", i);
		snprintf(name, sizeof(name), "%s.json", id);
		s = record_text(id, 0);
		put(dir, name, s);
		free(s);
	}
	/* the one a scan in directory order reaches last */
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			snprintf(last, sizeof(last), "%.*s", (int)(strlen(e->d_name) - 5),
				 e->d_name);
	closedir(d);

	assert_int_equal(bh_quar_list(&o, &v, &n, &info, &err), 0);
	assert_int_equal(n, QUAR_RECORDS_MAX);
	assert_true(info.truncated);
	bh_quar_records_free(v, n);

	assert_int_equal(bh_quar_find(&o, last, &rec, &err), 1);
	assert_string_equal(rec->id, last);
	bh_quar_record_free(rec);
	assert_int_equal(bh_quar_find(&o, "c99999", NULL, &err), 0);
	/* a prefix cannot be matched against records never read: refused */
	assert_int_equal(bh_quar_release(&o, "c0", &err), -1);
	assert_int_equal(err->code, BH_ERR_LIMIT);
	m = bh_error_message(err);
	assert_non_null(strstr(m, "give the whole ID"));
	free(m);
	bh_error_clear(&err);
	/* its whole ID: found (its init is gone: only the record removed) */
	assert_int_equal(bh_quar_release(&o, last, &err), 1);
	assert_null(err);
	assert_int_equal(bh_quar_find(&o, last, NULL, &err), 0);
	rm_rf(dir);
}

/* Text that is not UTF-8 never makes a key vanish; a freezer path that is
 * not UTF-8 cannot be written as a record. */
static void test_record_non_utf8(void **state)
{
	struct bh_quar_record r = sample(), back = { 0 };
	struct bh_error *err = NULL;
	json_t *j;
	char *s;

	(void)state;
	free(r.reason);
	r.reason = bh_strdup("monitor: exec by pid 7 (/tmp/\xff\xfe\x1b[2J)");
	j = quar_record_json(&r, false, &err);
	assert_non_null(j);
	assert_null(err);
	assert_string_equal(json_string_value(json_object_get(j, "reason")),
			    "monitor: exec by pid 7 (/tmp/\\xff\\xfe\x1b[2J)");
	s = json_dumps(j, 0);
	assert_int_equal(bh_quar_record_parse(s, strlen(s), &back, &err), 0);
	free(s);
	json_decref(j);
	bh_quar_record_release(&back);

	free(r.freezer);
	r.freezer = bh_strdup("/sys/fs/cgroup/freezer/\xc0\xaf/freezer.state");
	assert_null(quar_record_json(&r, false, &err));
	assert_non_null(err);
	s = bh_error_message(err);
	assert_non_null(strstr(s, "\"freezer\" is not UTF-8"));
	free(s);
	bh_error_clear(&err);
	/* shown (list --json): escaped, every key there */
	j = bh_quar_record_to_json(&r);
	assert_non_null(json_object_get(j, "freezer"));
	assert_non_null(json_object_get(j, "reason"));
	json_decref(j);
	bh_quar_record_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_record_rejects),
		cmocka_unit_test(test_lookup_errors),
		cmocka_unit_test(test_list_and_release_records),
		cmocka_unit_test(test_fifo_record_hangs_nothing),
		cmocka_unit_test(test_records_past_the_cap),
		cmocka_unit_test(test_record_non_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
