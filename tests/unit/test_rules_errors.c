/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor rule engine's problems, each reported at its line and column
 * (syntax, unknown fields and operators, cyclic macros and lists, rules that
 * can never match, limits), the output format, and events as JSON.
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

/* ---- errors ---------------------------------------------------------------------- */

static void syntax_errors_at_line_and_column(void **state)
{
	static const struct {
		const char *cond;
		size_t col; /* on line 6, where the condition's text starts at column 5 */
		const char *msg;
	} cases[] = {
		{ "evt.type = execve and (proc.name = a", 27, "unclosed '('" },
		{ "evt.type = execve and proc.name = a)", 40, "unbalanced ')'" },
		{ "evt.type = execve and proc.name", 36,
		  "expected an operator after field 'proc.name'" },
		{ "evt.type = execve and proc.name =", 38, "expected a value after '='" },
		{ "evt.type = execve and proc.name in (a, b", 45, "expected ',' or ')'" },
		{ "evt.type = execve and proc.name = 'abc", 39, "unterminated string" },
		{ "evt.type = execve and and proc.name = a", 27,
		  "expected a field, a macro or '('" },
		{ "evt.type = execve or", 25, "expected a field" },
		{ "evt.type = execve and proc.name ! a", 37, "'!' is not an operator" },
		{ "evt.type = execve and proc.name = (a, b)", 39, "takes one value" },
		{ "evt.type = execve and proc.name in", 39, "expected a list after 'in'" },
		{ "", 0, "" },
	};

	for (size_t i = 0; cases[i].msg[0]; i++) {
		size_t line = 0, col = 0;
		char *m = cond_error(cases[i].cond, &line, &col);

		if (!m)
			fail_msg("'%s': no error", cases[i].cond);
		if (!strstr(m, cases[i].msg) || line != 6 || col != cases[i].col)
			fail_msg("'%s': got %zu:%zu %s, want 6:%zu %s", cases[i].cond, line, col, m,
				 cases[i].col, cases[i].msg);
		free(m);
	}
	/* a folded condition over several lines: the line of the problem */
	struct bh_rules_diags d = { 0 };
	struct bh_rules *rs = load(RULE_HEAD "  condition: >\n"
					     "    evt.type = execve\n"
					     "      and proc.name = a\n"
					     "      and fd.nme = x\n",
				   &d);

	assert_true(has_diag(&d, BH_RULES_DIAG_ERROR, 8, 11, "unknown field 'fd.nme'"));
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
	/* the YAML parser's own errors */
	memset(&d, 0, sizeof(d));
	rs = load("- rule: x\n  desc: [\n", &d);
	assert_true(has_diag(&d, BH_RULES_DIAG_ERROR, 3, 1, "invalid YAML"));
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
}

static void unknown_fields_and_operators(void **state)
{
	size_t line, col;
	char *m;

	m = cond_error("evt.type = execve and proc.nam = a", &line, &col);
	assert_string_equal(m, "unknown field 'proc.nam'");
	assert_int_equal(col, 27);
	free(m);
	m = cond_error("evt.type = execve and proc.name regex a", &line, &col);
	assert_string_equal(m, "operator 'regex' is not supported");
	assert_int_equal(col, 37);
	free(m);
	m = cond_error("evt.type = execve and proc.name iglob a", &line, &col);
	assert_string_equal(m, "operator 'iglob' is not supported");
	free(m);
	m = cond_error("evt.type = execve and fd.sport contains 3", &line, &col);
	assert_string_equal(m, "operator 'contains' does not apply to port field 'fd.sport'");
	free(m);
	m = cond_error("evt.type = execve and fd.sport = http", &line, &col);
	assert_string_equal(m, "fd.sport: expected a port (0-65535), got 'http'");
	free(m);
	m = cond_error("evt.type = execve and fd.sip = 300.1.1.1", &line, &col);
	assert_non_null(strstr(m, "expected an IP address"));
	free(m);
	m = cond_error("evt.type = execve and proc.name[1] = a", &line, &col);
	assert_string_equal(m, "field 'proc.name' takes no argument ([1])");
	free(m);
	m = cond_error("evt.type = execve and proc.aname[x] = a", &line, &col);
	assert_non_null(strstr(m, "expected an index"));
	free(m);
	m = cond_error("evt.type = execve and fd.name bcontains 4g", &line, &col);
	assert_non_null(strstr(m, "not hex"));
	free(m);
	m = cond_error("evt.type = execve and tolower(proc.name) = bash", &line, &col);
	assert_non_null(strstr(m, "field transformers and functions ('tolower(...)')"));
	assert_int_equal(col, 27);
	free(m);
	m = cond_error("evt.type = execve and proc.name = val(proc.pname)", &line, &col);
	assert_non_null(strstr(m, "comparing with a field (val(...))"));
	assert_int_equal(col, 39);
	free(m);
	m = cond_error("evt.type = execve and nosuchmacro", &line, &col);
	assert_non_null(strstr(m, "undefined macro 'nosuchmacro'"));
	free(m);

	/* in the output too; and skip-if-unknown-filter makes it a warning */
	struct bh_rules_diags d = { 0 };
	struct bh_rules *rs = load("- rule: a\n  desc: d\n  output: \"x %proc.nam\"\n"
				   "  priority: info\n  condition: evt.type = execve\n"
				   "- rule: b\n  desc: d\n  output: o\n  priority: info\n"
				   "  skip-if-unknown-filter: true\n"
				   "  condition: evt.type = execve and k8s.pod.label.app = x\n"
				   "- rule: c\n  desc: d\n  output: o\n  priority: info\n"
				   "  source: k8s_audit\n  condition: ka.verb = create\n",
				   &d);

	assert_true(has_diag(&d, BH_RULES_DIAG_ERROR, 3, 11, "output: unknown field 'proc.nam'"));
	assert_true(has_diag(&d, BH_RULES_DIAG_WARNING, 11, 36, "skip-if-unknown-filter"));
	assert_true(has_diag(&d, BH_RULES_DIAG_WARNING, 12, 3, "source 'k8s_audit' is not served"));
	assert_int_equal(d.nerrors, 1);
	assert_int_equal(bh_rules_count(rs), 0);
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
}

static void cyclic_macros_and_lists(void **state)
{
	struct bh_rules_diags d = { 0 };
	struct bh_rules *rs = load("- macro: a\n  condition: evt.type = execve and b\n"
				   "- macro: b\n  condition: c or proc.pid = 1\n"
				   "- macro: c\n  condition: a\n"
				   "- macro: self\n  condition: self\n"
				   "- list: l1\n  items: [x, l2]\n"
				   "- list: l2\n  items: [l1]\n" RULE_HEAD "  condition: a\n"
				   "- rule: u\n  desc: d\n  output: o\n  priority: info\n"
				   "  condition: evt.type = execve and proc.name in (l1)\n",
				   &d);

	assert_true(has_diag(&d, BH_RULES_DIAG_ERROR, 6, 14, "macro 'a' refers to itself"));
	assert_true(has_diag(&d, BH_RULES_DIAG_ERROR, 8, 14, "macro 'self' refers to itself"));
	assert_true(has_diag(&d, BH_RULES_DIAG_ERROR, 0, 0, "macro 'a' has errors"));
	assert_true(has_diag(&d, BH_RULES_DIAG_ERROR, 0, 0, "includes itself"));
	assert_int_equal(bh_rules_count(rs), 0);
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
}

static void never_matching_rules(void **state)
{
	size_t line, col;
	char *m;

	m = cond_error("evt.type in () and proc.name = a", &line, &col);
	assert_non_null(strstr(m, "can never match"));
	assert_int_equal(line, 6);
	free(m);
	m = cond_error("evt.type = execve and evt.type = openat", &line, &col);
	assert_non_null(strstr(m, "can never match"));
	free(m);
	m = cond_error("evt.type = execve and not evt.type in (execve, execveat)", &line, &col);
	assert_non_null(strstr(m, "can never match"));
	free(m);

	/* an event type the monitor does not produce: a warning, and then never */
	struct bh_rules_diags d = { 0 };
	struct bh_rules *rs = load(RULE_HEAD "  condition: evt.type = creat\n", &d);

	assert_true(
		has_diag(&d, BH_RULES_DIAG_WARNING, 5, 14, "does not produce event type 'creat'"));
	assert_true(has_diag(&d, BH_RULES_DIAG_ERROR, 5, 14, "can never match"));
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
	/* but one served type among others is fine */
	memset(&d, 0, sizeof(d));
	rs = load(RULE_HEAD "  condition: evt.type in (creat, openat)\n", &d);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(bh_rules_count(rs), 1);
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
	/* no evt.type restriction: a warning, evaluated for every event */
	memset(&d, 0, sizeof(d));
	rs = load(RULE_HEAD "  condition: proc.name = x\n", &d);
	assert_true(has_diag(&d, BH_RULES_DIAG_WARNING, 5, 14, "does not restrict evt.type"));
	assert_int_equal(bh_rules_count(rs), 1);
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
}

static void limits(void **state)
{
	struct bh_rules_diags d = { 0 };
	struct bh_rules *rs = bh_rules_new();
	struct bh_error *err = NULL;
	struct bh_buf b = BH_BUF_INIT((size_t)16 << 20);
	size_t line, col;
	char *m;

	/* nesting */
	for (int i = 0; i < 100; i++)
		assert_int_equal(bh_buf_adds(&b, "(", NULL), 0);
	m = cond_error(b.data, &line, &col);
	assert_non_null(strstr(m, "nest deeper than 64"));
	free(m);
	bh_buf_reset(&b);
	for (int i = 0; i < 100; i++)
		assert_int_equal(bh_buf_adds(&b, "not ", NULL), 0);
	m = cond_error(b.data, &line, &col);
	assert_non_null(strstr(m, "nest deeper than 64"));
	free(m);
	/* list size */
	bh_buf_reset(&b);
	assert_int_equal(bh_buf_adds(&b, "evt.type = execve and proc.pid in (", NULL), 0);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(bh_buf_addf(&b, NULL, "%s%d", i ? "," : "", i), 0);
	assert_int_equal(bh_buf_adds(&b, ")", NULL), 0);
	m = cond_error(b.data, &line, &col);
	assert_non_null(strstr(m, "more than 4096 values"));
	free(m);
	/* file size */
	bh_buf_reset(&b);
	while (b.len <= BH_RULES_FILE_MAX)
		assert_int_equal(bh_buf_adds(&b, "# padding padding padding padding\n", NULL), 0);
	assert_int_equal(bh_rules_add(rs, b.data, b.len, "big.yaml", &d, &err), -1);
	assert_error(err, BH_ERR_LIMIT, "larger than");
	bh_error_clear(&err);
	/* macro expansion depth: m0 -> m1 -> ... -> m80 */
	bh_buf_reset(&b);
	for (int i = 0; i < 80; i++)
		assert_int_equal(
			bh_buf_addf(&b, NULL, "- macro: m%d\n  condition: m%d\n", i, i + 1), 0);
	assert_int_equal(bh_buf_adds(&b,
				     "- macro: m80\n  condition: evt.type = execve\n" RULE_HEAD
				     "  condition: m0\n",
				     NULL),
			 0);
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
	memset(&d, 0, sizeof(d));
	rs = load(b.data, &d);
	assert_true(has_diag(&d, BH_RULES_DIAG_ERROR, 0, 0, "macros nest deeper than 64"));
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
	/* a long chain */
	bh_buf_reset(&b);
	assert_int_equal(bh_buf_adds(&b, "evt.type = execve", NULL), 0);
	for (int i = 0; i < 3000; i++)
		assert_int_equal(bh_buf_adds(&b, " and proc.pid=1", NULL), 0);
	m = cond_error(b.data, &line, &col);
	assert_non_null(strstr(m, "chained deeper than 2048"));
	free(m);
	/* a macro bomb: each doubles the one before */
	bh_buf_reset(&b);
	assert_int_equal(bh_buf_adds(&b, "- macro: m0\n  condition: evt.type = execve\n", NULL), 0);
	for (int i = 1; i <= 40; i++)
		assert_int_equal(bh_buf_addf(&b, NULL, "- macro: m%d\n  condition: m%d and m%d\n",
					     i, i - 1, i - 1),
				 0);
	assert_int_equal(bh_buf_adds(&b, RULE_HEAD "  condition: m40\n", NULL), 0);
	memset(&d, 0, sizeof(d));
	rs = load(b.data, &d);
	assert_true(has_diag(&d, BH_RULES_DIAG_ERROR, 0, 0, "expands to more than 100000 terms"));
	assert_int_equal(bh_rules_count(rs), 0);
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
	bh_buf_release(&b);
}

static void output_format(void **state)
{
	struct bh_rules_diags d = { 0 };
	struct bh_rules *rs =
		load("- rule: r\n  desc: d\n  priority: info\n"
		     "  condition: evt.type = openat\n"
		     "  output: \"open %fd.name by %proc.name. pid=%proc.pid %fd.sport "
		     "[%container.info] %user.info 100%\"\n",
		     &d);
	struct bh_mon_event *ev = ev_new(BH_MON_OPENAT);
	const struct bh_rules_rule *m[1];
	char *out;

	assert_int_equal(d.nerrors, 0);
	snprintf(ev->file.path, sizeof(ev->file.path), "/tmp/a\nb\x01\\");
	assert_int_equal(bh_rules_match(rs, ev, m, 1), 1);
	out = bh_rules_format(m[0], ev);
	assert_string_equal(out, "open /tmp/a\\nb\\x01\\\\ by app. pid=100 <NA> [host] user=root "
				 "uid=0 100%");
	free(out);
	in_container(ev);
	memset(ev->file.path, 'x', sizeof(ev->file.path) - 1);
	ev->file.path[sizeof(ev->file.path) - 1] = 0;
	out = bh_rules_format(m[0], ev);
	assert_non_null(strstr(
		out,
		"[container=web id=0123456789ab image=registry.example:5000/team/nginx:1.25]"));
	free(out);
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
	/* bounded */
	memset(&d, 0, sizeof(d));
	struct bh_buf b = BH_BUF_INIT(1 << 20);

	assert_int_equal(bh_buf_adds(&b,
				     "- rule: r\n  desc: d\n  priority: info\n"
				     "  condition: evt.type = openat\n  output: \"",
				     NULL),
			 0);
	for (int i = 0; i < 20; i++)
		assert_int_equal(bh_buf_adds(&b, "%fd.name ", NULL), 0);
	assert_int_equal(bh_buf_adds(&b, "\"\n", NULL), 0);
	rs = load(b.data, &d);
	assert_int_equal(bh_rules_match(rs, ev, m, 1), 1);
	out = bh_rules_format(m[0], ev);
	assert_int_equal(strlen(out), BH_RULES_OUTPUT_MAX);
	assert_true(bh_str_has_suffix(out, "..."));
	free(out);
	bh_buf_release(&b);
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
	free(ev);
}

static void event_json(void **state)
{
	struct bh_mon_event ev;
	struct bh_error *err = NULL;
	json_t *j;

	j = json_loads(
		"{\"type\":\"connect\",\"res\":-115,\"proc\":{\"name\":\"xmrig\",\"args\":[\"-o\","
		"\"pool\"],\"parents\":[{\"name\":\"sh\",\"pid\":3}],\"stdin\":\"ipv4\"},"
		"\"net\":{\"proto\":\"tcp\",\"local\":\"10.0.0.2:4000\",\"remote\":\"[::1]:3333\"}"
		"}",
		0, NULL);
	assert_int_equal(bh_mon_event_from_json(j, &ev, &err), -1);
	assert_error(err, BH_ERR_INVALID, "address family differs");
	bh_error_clear(&err);
	json_decref(j);
	j = json_loads(
		"{\"type\":\"connect\",\"res\":-115,\"proc\":{\"name\":\"xmrig\",\"args\":[\"-o\","
		"\"pool\"],\"parents\":[{\"name\":\"sh\",\"pid\":3}],\"stdin\":\"ipv4\"},"
		"\"net\":{\"proto\":\"tcp\",\"local\":\"10.0.0.2:4000\",\"remote\":\"1.2.3.4:"
		"3333\"},"
		"\"file\":{\"flags\":\"O_WRONLY|O_CREAT\"}}",
		0, NULL);
	assert_int_equal(bh_mon_event_from_json(j, &ev, &err), 0);
	json_decref(j);
	assert_int_equal(ev.type, BH_MON_CONNECT);
	assert_int_equal(ev.res, -115);
	assert_int_equal(ev.net.family, AF_INET);
	assert_int_equal(ev.net.rport, 3333);
	assert_int_equal(ev.proc.argc, 2);
	assert_int_equal(ev.proc.nancestors, 1);
	assert_int_equal(ev.proc.stdio[0], BH_MON_FD_IPV4);
	assert_int_equal(ev.file.flags, O_WRONLY | O_CREAT);
	assert_int_equal(ev.proc.loginuid, UINT32_MAX);
	static const char *const bad[] = {
		"{\"type\":\"nosuch\"}",
		"{\"proc\":{}}",
		"{\"type\":\"execve\",\"prc\":{}}",
		"{\"type\":\"execve\",\"proc\":{\"name\":\"0123456789abcdefX\"}}",
		"{\"type\":\"execve\",\"proc\":{\"pid\":-5}}",
		"{\"type\":\"execve\",\"proc\":{\"stdin\":\"sock\"}}",
		"{\"type\":\"open\",\"file\":{\"flags\":\"O_BOGUS\"}}",
		"{\"type\":\"connect\",\"net\":{\"remote\":\"1.2.3.4\"}}",
		"{\"type\":\"connect\",\"net\":{\"remote\":\"1.2.3.4:70000\"}}",
		"[]",
		NULL,
	};
	for (size_t i = 0; bad[i]; i++) {
		j = json_loads(bad[i], 0, NULL);
		assert_non_null(j);
		if (bh_mon_event_from_json(j, &ev, &err) == 0)
			fail_msg("accepted %s", bad[i]);
		bh_error_clear(&err);
		json_decref(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syntax_errors_at_line_and_column),
		cmocka_unit_test(unknown_fields_and_operators),
		cmocka_unit_test(cyclic_macros_and_lists),
		cmocka_unit_test(never_matching_rules),
		cmocka_unit_test(limits),
		cmocka_unit_test(output_format),
		cmocka_unit_test(event_json),
	};

	return cmocka_run_group_tests_name("rules errors", tests, NULL, NULL);
}
