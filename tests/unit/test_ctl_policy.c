/* SPDX-License-Identifier: Apache-2.0 */
/* harness: serial postgres (ctl_env.h's own PostgreSQL, unix socket in its temp dir) */
/*
 * The node policy the controller distributes (include/bulkhead/ctl_policy.h,
 * dist17): its parser validates with the library's rules and network policy
 * parsers, and its versions in the store (SQLite and PostgreSQL, as every
 * store test: tests/unit/ctl_env.h): version + 1 each, audited before/after,
 * history, and the version a node runs.
 */
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/ctl.h"
#include "bulkhead/ctl_policy.h"
#include "ctl_env.h"
#include "banned.h"

#define RULE(name)                                                                                 \
	"- rule: " name "\\n  desc: d\\n  condition: evt.type = execve and proc.name = " name      \
	"\\n  output: ran " name " (%proc.name)\\n  priority: WARNING\\n"

static const char good1[] =
	"{\"rules\":\"" RULE("alpha") "\",\"modes\":[{\"group\":\"image:nginx\","
				      "\"control\":\"behaviour\",\"mode\":\"protect\"}]}";
static const char good2[] = "{\"rules\":\"" RULE(
	"beta") "\",\"modes\":[{\"group\":\"image:nginx\","
		"\"control\":\"syscall\",\"mode\":\"monitor\"}],\"net\":\"apiVersion: "
		"bulkhead.dev/v1alpha1\\nkind: Policy\\nspec:\\n  rules:\\n  - {name: "
		"web, kind: networkGroup, cidrs: [10.0.0.0/8]}\\n\"}";

static int64_t set(struct bh_ctl_store *s, const char *body)
{
	struct bh_ctl_policy p;
	struct bh_error *err = NULL;
	int64_t v = 0;

	if (bh_ctl_policy_parse(body, strlen(body), &p, &err) < 0)
		fail_msg("parse: %s", bh_error_message(err));
	if (bh_ctl_policy_set(s, "admin", p.doc, &v, &err) < 0)
		fail_msg("set: %s", bh_error_message(err));
	bh_ctl_policy_release(&p);
	return v;
}

static void versions_history_and_audit(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_error *err = NULL;
	json_t *v = NULL;
	int64_t latest = -1;

	assert_int_equal(bh_ctl_policy_latest(s, &latest, &err), 0);
	assert_int_equal(latest, 0);
	assert_int_equal(bh_ctl_policy_get(s, 0, &v, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_NOTFOUND);
	bh_error_free(err);
	err = NULL;
	assert_int_equal(set(s, good1), 1);
	assert_int_equal(set(s, good2), 2);
	assert_int_equal(bh_ctl_policy_latest(s, &latest, &err), 0);
	assert_int_equal(latest, 2);
	/* the latest, and version 1 as it was */
	assert_int_equal(bh_ctl_policy_get(s, 0, &v, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(v, "version")), 2);
	assert_string_equal(bh_json_str(v, "author"), "admin");
	assert_non_null(strstr(bh_json_str(bh_json_obj(v, "policy"), "rules"), "beta"));
	assert_non_null(bh_json_str(bh_json_obj(v, "policy"), "net"));
	json_decref(v);
	assert_int_equal(bh_ctl_policy_get(s, 1, &v, &err), 0);
	assert_non_null(strstr(bh_json_str(bh_json_obj(v, "policy"), "rules"), "alpha"));
	assert_string_equal(
		bh_json_str(json_array_get(json_object_get(bh_json_obj(v, "policy"), "modes"), 0),
			    "mode"),
		"protect");
	json_decref(v);
	assert_int_equal(bh_ctl_policy_history(s, &v, &err), 0);
	assert_int_equal(json_array_size(v), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(v, 0), "version")), 2);
	json_decref(v);
	/* audited: the first with no before, the second with version 1 as before */
	assert_int_equal(count(s, "SELECT COUNT(*) FROM audit WHERE action = 'policy.set'"), 2);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM audit WHERE action = 'policy.set' AND"
				  " object = 'policy/2' AND before_json LIKE '%alpha%' AND"
				  " after_json LIKE '%beta%'"),
			 1);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM audit WHERE object = 'policy/1' AND"
				  " before_json IS NULL"),
			 1);
	bh_ctl_store_free(s);
}

/* A change made from a version another has replaced is refused (409), not
 * laid over it: a mode change must not undo a PUT that came between. */
static void a_change_from_an_old_version_is_refused(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_ctl_policy p;
	struct bh_error *err = NULL;
	int64_t v = 0;

	assert_int_equal(set(s, good1), 1);
	assert_int_equal(bh_ctl_policy_parse(good2, strlen(good2), &p, &err), 0);
	assert_int_equal(bh_ctl_policy_set_on(s, "op", p.doc, 0, &v, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_USAGE);
	bh_error_free(err);
	err = NULL;
	assert_int_equal(bh_ctl_policy_set_on(s, "op", p.doc, 1, &v, &err), 0);
	assert_int_equal(v, 2);
	bh_ctl_policy_release(&p);
	bh_ctl_store_free(s);
}

static void a_node_reports_what_it_runs(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_ctl_register r;
	struct bh_error *err = NULL;
	const char *b = "{\"node\":\"n1\",\"agent_version\":\"0.17\"}";
	json_t *nodes;

	assert_int_equal(bh_ctl_register_parse(b, strlen(b), &r, &err), 0);
	assert_int_equal(bh_ctl_node_register(s, "n1", &r, &err), 0);
	assert_int_equal(bh_ctl_policy_running(s, "n1", 7, &err), 0);
	assert_int_equal(bh_ctl_node_list(s, &nodes, &err), 0);
	assert_string_equal(bh_json_str(json_array_get(nodes, 0), "policy_version"), "7");
	json_decref(nodes);
	bh_ctl_store_free(s);
}

static void expect_refused(const char *body, const char *what)
{
	struct bh_ctl_policy p;
	struct bh_error *err = NULL;
	char *msg;

	if (bh_ctl_policy_parse(body, strlen(body), &p, &err) == 0)
		fail_msg("accepted: %s", body);
	msg = bh_error_message(err);
	if (bh_error_code(err) != BH_ERR_INVALID || !strstr(msg, what))
		fail_msg("%s: \"%s\" does not say \"%s\"", body, msg, what);
	free(msg);
	bh_error_free(err);
	assert_null(p.doc);
	assert_null(p.rules);
}

static void the_parser_refuses_a_bad_policy(void **state)
{
	struct bh_ctl_policy p;
	struct bh_error *err = NULL;

	(void)state;
	assert_int_equal(bh_ctl_policy_parse(good2, strlen(good2), &p, &err), 0);
	assert_int_equal(p.nrules, 1);
	assert_int_equal(p.nmodes, 1);
	bh_ctl_policy_release(&p);
	expect_refused("[]", "expected a JSON object");
	expect_refused("{\"rulez\":\"\"}", "unknown member \"rulez\"");
	expect_refused("{\"rules\":5}", "\"rules\" must be a string");
	expect_refused("{\"rules\":\"- rule: x\\n  desc: d\\n  condition: proc.nosuch = 1\\n"
		       "  output: o\\n  priority: WARNING\\n\"}",
		       "\"rules\": line");
	expect_refused(
		"{\"net\":\"apiVersion: bulkhead.dev/v1alpha1\\nkind: Policy\\nspec:\\n  "
		"rules:\\n  - {name: r, kind: network, verdict: allow, from: [nosuch]}\\n\"}",
		"no networkGroup named 'nosuch'");
	expect_refused("{\"modes\":[{\"group\":\"g\",\"control\":\"behaviour\",\"mode\":\"on\"}]}",
		       "\"modes\"[0].mode");
	expect_refused(
		"{\"modes\":[{\"group\":\"g\",\"control\":\"kernel\",\"mode\":\"monitor\"}]}",
		"expected behaviour or syscall");
	expect_refused("{\"modes\":[{\"group\":\"g\",\"control\":\"syscall\"}]}",
		       "\"mode\" is missing");
	expect_refused(
		"{\"modes\":[{\"group\":\"a b\",\"control\":\"syscall\",\"mode\":\"monitor\"}]}",
		"no spaces");
	expect_refused("{\"modes\":[{\"group\":\"g\",\"control\":\"syscall\",\"mode\":\"monitor\"},"
		       "{\"group\":\"g\",\"control\":\"syscall\",\"mode\":\"protect\"}]}",
		       "given twice");
	expect_refused("{\"rules\":\"a\\u0000b\"}", "invalid JSON");
}

static void actions_queue_take_and_result(void **state)
{
	struct bh_ctl_store *s = fresh(*state);
	struct bh_ctl_register reg;
	struct bh_ctl_action_req r;
	struct bh_ctl_action_result res;
	struct bh_ctl_mode_req m;
	struct bh_error *err = NULL;
	const char *b = "{\"node\":\"n1\",\"agent_version\":\"0.17\"}";
	const char *q = "{\"node\":\"n1\",\"container\":\"c1\",\"reason\":\"r\"}";
	const char *mb = "{\"group\":\"image:nginx\",\"control\":\"syscall\",\"mode\":\"protect\"}";
	int64_t id = 0, id2 = 0, v = 0;
	json_t *l;
	char ok[80];

	assert_int_equal(bh_ctl_action_req_parse(q, strlen(q), &r, &err), 0);
	/* a node never registered */
	assert_int_equal(bh_ctl_action_queue(s, "admin", "quarantine", &r, &id, &err), -1);
	assert_int_equal(bh_error_code(err), BH_ERR_NOTFOUND);
	bh_error_free(err);
	err = NULL;
	assert_int_equal(bh_ctl_register_parse(b, strlen(b), &reg, &err), 0);
	assert_int_equal(bh_ctl_node_register(s, "n1", &reg, &err), 0);
	assert_int_equal(bh_ctl_action_queue(s, "admin", "quarantine", &r, &id, &err), 0);
	assert_int_equal(bh_ctl_action_queue(s, "admin", "release", &r, &id2, &err), 0);
	assert_true(id2 > id);
	/* taken once, in order */
	assert_int_equal(bh_ctl_action_take(s, "n1", NULL, &l, &err), 0);
	assert_int_equal(json_array_size(l), 2);
	assert_string_equal(bh_json_str(json_array_get(l, 0), "kind"), "quarantine");
	assert_string_equal(bh_json_str(json_array_get(l, 1), "kind"), "release");
	json_decref(l);
	assert_int_equal(bh_ctl_action_take(s, "n1", NULL, &l, &err), 0);
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
	/* results: another node's is refused, a second one too */
	snprintf(ok, sizeof(ok), "{\"node\":\"n2\",\"id\":%lld,\"ok\":true}", (long long)id);
	assert_int_equal(bh_ctl_action_result_parse(ok, strlen(ok), &res, &err), 0);
	assert_int_equal(bh_ctl_action_done(s, &res, NULL, &err), -1);
	bh_error_free(err);
	err = NULL;
	snprintf(ok, sizeof(ok), "{\"node\":\"n1\",\"id\":%lld,\"ok\":true}", (long long)id);
	assert_int_equal(bh_ctl_action_result_parse(ok, strlen(ok), &res, &err), 0);
	assert_int_equal(bh_ctl_action_done(s, &res, NULL, &err), 0);
	/* a second result: the first stands (lease17), not an error */
	assert_int_equal(bh_ctl_action_done(s, &res, NULL, &err), 0);
	snprintf(ok, sizeof(ok), "{\"node\":\"n1\",\"id\":%lld,\"ok\":false,\"error\":\"gone\"}",
		 (long long)id2);
	assert_int_equal(bh_ctl_action_result_parse(ok, strlen(ok), &res, &err), 0);
	assert_int_equal(bh_ctl_action_done(s, &res, NULL, &err), 0);
	assert_int_equal(bh_ctl_action_list(s, "n1", &l, &err), 0);
	assert_int_equal(json_array_size(l), 2);
	assert_string_equal(bh_json_str(json_array_get(l, 0), "state"), "failed");
	assert_string_equal(bh_json_str(json_array_get(l, 0), "error"), "gone");
	assert_string_equal(bh_json_str(json_array_get(l, 1), "state"), "done");
	json_decref(l);
	assert_int_equal(
		count(s, "SELECT COUNT(*) FROM audit WHERE action IN"
			 " ('action.quarantine', 'action.release') AND object = 'node/n1/c1'"),
		2);
	/* a mode: a new version from the latest, others kept */
	assert_int_equal(set(s, good1), 1);
	assert_int_equal(bh_ctl_mode_req_parse(mb, strlen(mb), &m, &err), 0);
	assert_int_equal(bh_ctl_policy_set_mode(s, "op", &m, &v, &err), 0);
	assert_int_equal(v, 2);
	assert_int_equal(bh_ctl_policy_get(s, 2, &l, &err), 0);
	assert_int_equal(json_array_size(json_object_get(bh_json_obj(l, "policy"), "modes")), 2);
	assert_non_null(strstr(bh_json_str(bh_json_obj(l, "policy"), "rules"), "alpha"));
	json_decref(l);
	bh_ctl_store_free(s);
}

static void the_action_parsers_refuse_bad_bodies(void **state)
{
	struct bh_ctl_action_req r;
	struct bh_ctl_action_result res;
	struct bh_ctl_mode_req m;
	struct bh_error *err = NULL;
	static const char *const bad_req[] = {
		"{}",
		"{\"node\":\"n1\"}",
		"{\"node\":\"n1\",\"container\":\"../x\"}",
		"{\"node\":\"bad name\",\"container\":\"c\"}",
		"{\"node\":\"n1\",\"container\":\"c\",\"x\":1}",
		"{\"node\":\"n1\",\"container\":\"c\",\"reason\":\"a\\nb\"}",
		"[]",
	};
	static const char *const bad_res[] = {
		"{\"node\":\"n1\",\"id\":1}",
		"{\"node\":\"n1\",\"ok\":true}",
		"{\"node\":\"n1\",\"id\":0,\"ok\":true}",
		"{\"node\":\"n1\",\"id\":1,\"ok\":1}",
	};
	static const char *const bad_mode[] = {
		"{\"group\":\"g\",\"control\":\"net\",\"mode\":\"monitor\"}",
		"{\"group\":\"g\",\"control\":\"syscall\",\"mode\":\"x\"}",
		"{\"group\":\"a b\",\"control\":\"syscall\",\"mode\":\"monitor\"}",
		"{\"control\":\"syscall\",\"mode\":\"monitor\"}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad_req) / sizeof(bad_req[0]); i++) {
		assert_int_equal(bh_ctl_action_req_parse(bad_req[i], strlen(bad_req[i]), &r, &err),
				 -1);
		assert_int_equal(bh_error_code(err), BH_ERR_INVALID);
		bh_error_free(err);
		err = NULL;
	}
	for (size_t i = 0; i < sizeof(bad_res) / sizeof(bad_res[0]); i++) {
		assert_int_equal(
			bh_ctl_action_result_parse(bad_res[i], strlen(bad_res[i]), &res, &err), -1);
		bh_error_free(err);
		err = NULL;
	}
	for (size_t i = 0; i < sizeof(bad_mode) / sizeof(bad_mode[0]); i++) {
		assert_int_equal(bh_ctl_mode_req_parse(bad_mode[i], strlen(bad_mode[i]), &m, &err),
				 -1);
		bh_error_free(err);
		err = NULL;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(versions_history_and_audit),
		BOTH(a_node_reports_what_it_runs),
		BOTH(a_change_from_an_old_version_is_refused),
		BOTH(actions_queue_take_and_result),
		cmocka_unit_test(the_parser_refuses_a_bad_policy),
		cmocka_unit_test(the_action_parsers_refuse_bad_bodies),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
