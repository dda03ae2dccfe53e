/* SPDX-License-Identifier: Apache-2.0 */
/* Learned profiles without a kernel: names and bitmaps by architecture (x32's
 * numbers carry their bit), the store's merge, refusals and reports, the OCI
 * writer and strict reader, diff. */
#include <stdlib.h>
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
