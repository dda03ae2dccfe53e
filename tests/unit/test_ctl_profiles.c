/* SPDX-License-Identifier: Apache-2.0 */
/* harness: serial postgres (ctl_env.h's own PostgreSQL, unix socket in its temp dir) */
/*
 * Learned behaviour profiles at the controller (include/bulkhead/ctl_profiles.h,
 * profiles17), on SQLite and PostgreSQL (tests/unit/ctl_env.h): a report is
 * stored once per digest, listed with its counts and the node's modes; an
 * accept builds the next policy version holding the profile (stripped of its
 * counters) and its mode, audited; the parsers refuse bad bodies.
 */
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/ctl.h"
#include "bulkhead/ctl_policy.h"
#include "bulkhead/ctl_profiles.h"
#include "ctl_env.h"
#include "banned.h"

#define KEY "sha256:abababababababababababababababababababababababababababababababab"

static const char report1[] =
	"{\"node\":\"n1\",\"policy_version\":0,\"modes\":[],\"profiles\":[{"
	"\"bulkhead_behaviour_profile\":1,\"key\":\"" KEY "\",\"mode\":\"discover\","
	"\"events\":12,\"processes\":[{\"exe\":\"/usr/sbin/nginx\",\"parent\":\"/bin/sh\","
	"\"count\":3}],\"files\":[{\"path\":\"/var/log/nginx/\",\"count\":7}],"
	"\"listen\":[{\"proto\":\"tcp\",\"port\":80,\"count\":1}]}]}";
/* the same profile learned on: other counters, the same items */
static const char report2[] =
	"{\"node\":\"n1\",\"profiles\":[{"
	"\"bulkhead_behaviour_profile\":1,\"key\":\"" KEY "\",\"mode\":\"discover\","
	"\"events\":40,\"processes\":[{\"exe\":\"/usr/sbin/nginx\",\"parent\":\"/bin/sh\","
	"\"count\":9}],\"files\":[{\"path\":\"/var/log/nginx/\",\"count\":30}],"
	"\"listen\":[{\"proto\":\"tcp\",\"port\":80,\"count\":1}]}]}";
/* one more item: a new digest */
static const char report3[] =
	"{\"node\":\"n1\",\"modes\":[{\"group\":\"" KEY "\",\"control\":\"behaviour\","
	"\"mode\":\"discover\"}],\"profiles\":[{"
	"\"bulkhead_behaviour_profile\":1,\"key\":\"" KEY "\",\"mode\":\"discover\","
	"\"processes\":[{\"exe\":\"/usr/sbin/nginx\",\"parent\":\"/bin/sh\"},"
	"{\"exe\":\"/usr/sbin/nginx\",\"parent\":\"/usr/sbin/nginx\"}],"
	"\"files\":[{\"path\":\"/var/log/nginx/\"}],"
	"\"listen\":[{\"proto\":\"tcp\",\"port\":80}]}]}";

static size_t put(struct bh_ctl_store *s, const char *body)
{
	struct bh_ctl_profile_report r;
	struct bh_error *err = NULL;
	size_t stored = 99;

	if (bh_ctl_profile_report_parse(body, strlen(body), &r, &err) < 0)
		fail_msg("parse: %s", bh_error_message(err));
	if (bh_ctl_profiles_put(s, &r, &stored, &err) < 0)
		fail_msg("put: %s", bh_error_message(err));
	bh_ctl_profile_report_release(&r);
	return stored;
}

static void stored_once_per_digest(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_error *err = NULL;
	json_t *v = NULL, *p;
	char d1[BH_CTL_PROFILE_DIGEST_MAX];

	assert_int_equal(put(s, report1), 1);
	assert_int_equal(put(s, report1), 0); /* a retry */
	assert_int_equal(put(s, report2), 0); /* counters only */
	assert_int_equal(count(s, "SELECT COUNT(*) FROM profiles"), 1);
	assert_int_equal(bh_ctl_profiles_list(s, NULL, NULL, &v, &err), 0);
	p = json_array_get(json_object_get(v, "profiles"), 0);
	assert_string_equal(bh_json_str(p, "node"), "n1");
	assert_string_equal(bh_json_str(p, "key"), KEY);
	assert_string_equal(bh_json_str(p, "mode"), "discover");
	assert_int_equal(json_integer_value(json_object_get(p, "items")), 3);
	assert_int_equal(json_integer_value(json_object_get(p, "processes")), 1);
	assert_true(json_is_null(json_object_get(p, "accepted")));
	assert_null(json_object_get(p, "profile")); /* only with a key */
	snprintf(d1, sizeof(d1), "%s", bh_json_str(p, "digest"));
	assert_int_equal(strncmp(d1, "sha256:", 7), 0);
	json_decref(v);
	assert_int_equal(put(s, report3), 1);
	assert_int_equal(bh_ctl_profiles_list(s, "n1", KEY, &v, &err), 0);
	p = json_array_get(json_object_get(v, "profiles"), 0);
	assert_int_equal(json_integer_value(json_object_get(p, "processes")), 2);
	assert_string_not_equal(bh_json_str(p, "digest"), d1);
	assert_non_null(json_object_get(p, "profile"));
	p = json_array_get(json_object_get(v, "nodes"), 0);
	assert_string_equal(bh_json_str(p, "node"), "n1");
	assert_int_equal(json_array_size(json_object_get(p, "modes")), 1);
	json_decref(v);
	assert_int_equal(bh_ctl_profiles_list(s, "n2", NULL, &v, &err), 0);
	assert_int_equal(json_array_size(json_object_get(v, "profiles")), 0);
	json_decref(v);
	bh_ctl_store_free(s);
}

static void accept_builds_the_next_version(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_ctl_accept_req r = { .key = KEY, .mode = "monitor" };
	struct bh_ctl_policy pol;
	struct bh_error *err = NULL;
	char dg[BH_CTL_PROFILE_DIGEST_MAX];
	json_t *v = NULL, *doc, *e;
	int64_t version = 0;
	const char base[] = "{\"modes\":[{\"group\":\"image:x\",\"control\":\"syscall\","
			    "\"mode\":\"protect\"}]}";

	/* nothing learned yet */
	assert_int_equal(bh_ctl_profile_accept(s, "admin", &r, &version, dg, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_NOTFOUND);
	bh_error_free(err);
	err = NULL;
	assert_int_equal(put(s, report1), 1);
	/* an existing version is kept: the accept is made from it */
	assert_int_equal(bh_ctl_policy_parse(base, strlen(base), &pol, &err), 0);
	assert_int_equal(bh_ctl_policy_set(s, "admin", pol.doc, &version, &err), 0);
	bh_ctl_policy_release(&pol);
	assert_int_equal(version, 1);
	/* another node's profile of that key is not there */
	snprintf(r.node, sizeof(r.node), "n2");
	assert_int_equal(bh_ctl_profile_accept(s, "admin", &r, &version, dg, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_NOTFOUND);
	bh_error_free(err);
	err = NULL;
	r.node[0] = 0;
	assert_int_equal(bh_ctl_profile_accept(s, "admin", &r, &version, dg, &err), 0);
	assert_int_equal(version, 2);
	assert_int_equal(bh_ctl_policy_get(s, 0, &v, &err), 0);
	doc = json_object_get(v, "policy");
	assert_int_equal(json_array_size(json_object_get(doc, "modes")), 2);
	e = json_array_get(json_object_get(doc, "modes"), 1);
	assert_string_equal(bh_json_str(e, "group"), KEY);
	assert_string_equal(bh_json_str(e, "control"), "behaviour");
	assert_string_equal(bh_json_str(e, "mode"), "monitor");
	e = json_array_get(json_object_get(doc, "profiles"), 0);
	assert_string_equal(bh_json_str(e, "key"), KEY);
	assert_string_equal(bh_json_str(e, "mode"), "monitor");
	assert_null(json_object_get(e, "events"));
	assert_null(json_object_get(json_array_get(json_object_get(e, "processes"), 0), "count"));
	assert_string_equal(bh_json_str(json_array_get(json_object_get(e, "processes"), 0), "exe"),
			    "/usr/sbin/nginx");
	json_decref(v);
	/* listed as accepted; audited with before (none) and after */
	assert_int_equal(bh_ctl_profiles_list(s, NULL, NULL, &v, &err), 0);
	assert_string_equal(
		bh_json_str(json_array_get(json_object_get(v, "profiles"), 0), "accepted"),
		"monitor");
	assert_string_equal(
		bh_json_str(json_array_get(json_object_get(v, "profiles"), 0), "digest"), dg);
	json_decref(v);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM audit WHERE action = 'profile.accept'"
				  " AND before_json IS NULL"),
			 1);
	/* again in protect: replaced, not added; the audit has the one before */
	snprintf(r.mode, sizeof(r.mode), "protect");
	assert_int_equal(bh_ctl_profile_accept(s, "admin", &r, &version, dg, &err), 0);
	assert_int_equal(version, 3);
	assert_int_equal(bh_ctl_policy_get(s, 0, &v, &err), 0);
	doc = json_object_get(v, "policy");
	assert_int_equal(json_array_size(json_object_get(doc, "profiles")), 1);
	assert_int_equal(json_array_size(json_object_get(doc, "modes")), 2);
	assert_string_equal(bh_json_str(json_array_get(json_object_get(doc, "modes"), 1), "mode"),
			    "protect");
	json_decref(v);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM audit WHERE action = 'profile.accept'"
				  " AND before_json IS NOT NULL"),
			 1);
	bh_ctl_store_free(s);
}

static void the_parsers_refuse_bad_bodies(void **state)
{
	static const char *const bad_reports[] = {
		"",
		"[]",
		"{}",
		"{\"node\":\"bad name\"}",
		"{\"node\":\"n1\",\"x\":1}",
		"{\"node\":\"n1\",\"policy_version\":-1}",
		"{\"node\":\"n1\",\"modes\":[{\"group\":\"g\",\"control\":\"c\",\"mode\":\"m\"}]}",
		"{\"node\":\"n1\",\"profiles\":{}}",
		"{\"node\":\"n1\",\"profiles\":[{\"bulkhead_behaviour_profile\":1}]}",
		"{\"node\":\"n1\",\"profiles\":[{\"bulkhead_behaviour_profile\":1,\"key\":\"k\","
		"\"files\":[{\"path\":\"/a/../b/\"}]}]}",
		"{\"node\":\"n1\",\"profiles\":[{\"bulkhead_behaviour_profile\":1,\"key\":\"-k\"}]"
		"}",
	};
	static const char *const bad_accepts[] = {
		"{}",
		"{\"key\":\"k\"}",
		"{\"key\":\"k\",\"mode\":\"discover\"}",
		"{\"key\":\"k y\",\"mode\":\"monitor\"}",
		"{\"key\":\"k\",\"mode\":\"monitor\",\"node\":\"a b\"}",
		"{\"key\":\"k\",\"mode\":\"monitor\",\"x\":1}",
		"{\"key\":1,\"mode\":\"monitor\"}",
	};
	struct bh_ctl_profile_report r;
	struct bh_ctl_accept_req a;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_reports) / sizeof(bad_reports[0]); i++) {
		struct bh_error *err = NULL;

		if (bh_ctl_profile_report_parse(bad_reports[i], strlen(bad_reports[i]), &r, &err) !=
		    -1)
			fail_msg("report %zu taken: %s", i, bad_reports[i]);
		assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
		bh_error_free(err);
	}
	for (size_t i = 0; i < sizeof(bad_accepts) / sizeof(bad_accepts[0]); i++) {
		struct bh_error *err = NULL;

		if (bh_ctl_accept_req_parse(bad_accepts[i], strlen(bad_accepts[i]), &a, &err) != -1)
			fail_msg("accept %zu taken: %s", i, bad_accepts[i]);
		bh_error_free(err);
	}
	/* a policy's "profiles": each a profile with a key, once */
	{
		const char twice[] =
			"{\"profiles\":[{\"bulkhead_behaviour_profile\":1,\"key\":\"k\"},"
			"{\"bulkhead_behaviour_profile\":1,\"key\":\"k\"}]}";
		struct bh_ctl_policy p;
		struct bh_error *err = NULL;

		char *msg;

		assert_int_equal(bh_ctl_policy_parse(twice, strlen(twice), &p, &err), -1);
		msg = bh_error_message(err);
		assert_non_null(strstr(msg, "twice"));
		free(msg);
		bh_error_free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(stored_once_per_digest),
		BOTH(accept_builds_the_next_version),
		cmocka_unit_test(the_parsers_refuse_bad_bodies),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
