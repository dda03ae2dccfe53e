/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor rule engine's condition language: each operator, IP
 * operators, precedence, the field table, user and group names, macros,
 * lists, append and override, refinement errors, exceptions.
 * (Problems reported at line:col: test_rules_errors.c; the default rules:
 * test_rules_defaults.c; what the kernel filters and guards are given:
 * test_rules_filters.c.)
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

/* ---- operators ----------------------------------------------------------------- */

static void each_operator(void **state)
{
	struct bh_mon_event *ev = ev_new(BH_MON_OPENAT);
	static const char *const args[] = { "-c", "echo", NULL };

	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "bash");
	snprintf(ev->file.path, sizeof(ev->file.path), "/etc/Shadow.d/x");
	set_args(ev->proc.args, &ev->proc.args_len, &ev->proc.argc, args);
	ev->proc.uid = 1000;
	/* equality */
	assert_true(cond_matches("evt.type = openat and proc.name = bash", ev));
	assert_true(cond_matches("evt.type == openat and proc.name == bash", ev));
	assert_false(cond_matches("evt.type = openat and proc.name = sh", ev));
	assert_true(cond_matches("evt.type = openat and proc.name != sh", ev));
	assert_false(cond_matches("evt.type = openat and proc.name != bash", ev));
	/* numbers */
	assert_true(cond_matches("evt.type = openat and user.uid < 1001", ev));
	assert_false(cond_matches("evt.type = openat and user.uid < 1000", ev));
	assert_true(cond_matches("evt.type = openat and user.uid <= 1000", ev));
	assert_true(cond_matches("evt.type = openat and user.uid > 999", ev));
	assert_false(cond_matches("evt.type = openat and user.uid > 1000", ev));
	assert_true(cond_matches("evt.type = openat and user.uid >= 1000", ev));
	assert_true(cond_matches("evt.type = openat and user.uid in (0, 1000)", ev));
	assert_false(cond_matches("evt.type = openat and user.uid in (0, 1)", ev));
	/* strings */
	assert_true(cond_matches("evt.type = openat and fd.name contains Shadow", ev));
	assert_false(cond_matches("evt.type = openat and fd.name contains shadow", ev));
	assert_true(cond_matches("evt.type = openat and fd.name icontains SHADOW", ev));
	assert_true(cond_matches("evt.type = openat and fd.name bcontains 536861646f77", ev));
	assert_false(cond_matches("evt.type = openat and fd.name bcontains 736861646f77", ev));
	assert_true(cond_matches("evt.type = openat and fd.name startswith /etc/", ev));
	assert_false(cond_matches("evt.type = openat and fd.name startswith /usr", ev));
	assert_true(cond_matches("evt.type = openat and fd.name endswith /x", ev));
	assert_false(cond_matches("evt.type = openat and fd.name endswith /y", ev));
	assert_true(cond_matches("evt.type = openat and fd.name glob \"/etc/*/x\"", ev));
	assert_true(cond_matches("evt.type = openat and fd.name glob '/e?c/S*'", ev));
	assert_false(cond_matches("evt.type = openat and fd.name glob \"/etc/*/y\"", ev));
	assert_true(cond_matches("evt.type = openat and fd.name in (/a, /etc/Shadow.d/x)", ev));
	assert_false(cond_matches("evt.type = openat and fd.name in (/a, /etc/Shadow.d)", ev));
	assert_true(cond_matches("evt.type = openat and proc.name intersects (zsh, bash)", ev));
	assert_true(cond_matches("evt.type = openat and fd.name pmatch (/usr, /etc/Shadow.d)", ev));
	assert_true(cond_matches("evt.type = openat and fd.name pmatch (/)", ev));
	assert_false(cond_matches("evt.type = openat and fd.name pmatch (/etc/Shadow)", ev));
	assert_true(cond_matches("evt.type = openat and fd.name exists", ev));
	assert_false(cond_matches("evt.type = openat and fd.sport exists", ev));
	/* an absent field is false, != included */
	assert_false(cond_matches("evt.type = openat and fd.sport != 80", ev));
	assert_false(cond_matches("evt.type = openat and proc.pname != x", ev));
	/* bools */
	assert_true(cond_matches("evt.type = openat and proc.is_exe_upper_layer = false", ev));
	assert_false(cond_matches("evt.type = openat and proc.is_exe_upper_layer = true", ev));
	/* quoting */
	assert_true(cond_matches("evt.type = openat and proc.cmdline = \"bash -c echo\"", ev));
	assert_true(cond_matches("evt.type = openat and proc.args = '-c echo'", ev));
	free(ev);
}

static void ip_operators(void **state)
{
	struct bh_mon_event *ev = ev_new(BH_MON_CONNECT);

	set_net(ev, "10.1.2.3", 40000, "192.168.7.9", 3333);
	assert_true(cond_matches("evt.type = connect and fd.sip = 192.168.7.9", ev));
	assert_false(cond_matches("evt.type = connect and fd.sip = 10.1.2.3", ev));
	assert_true(cond_matches("evt.type = connect and fd.cip = 10.1.2.3", ev));
	assert_true(cond_matches("evt.type = connect and fd.sip in (1.1.1.1, 192.168.0.0/16)", ev));
	assert_true(cond_matches("evt.type = connect and fd.snet = \"192.168.7.0/24\"", ev));
	assert_false(cond_matches("evt.type = connect and fd.snet = \"192.168.8.0/24\"", ev));
	assert_true(cond_matches("evt.type = connect and fd.net = \"10.0.0.0/8\"", ev));
	assert_true(cond_matches("evt.type = connect and fd.sip != 1.1.1.1", ev));
	assert_true(cond_matches("evt.type = connect and fd.sport = 3333 and fd.cport > 1024", ev));
	assert_true(cond_matches("evt.type = connect and fd.port = 40000", ev));
	assert_true(cond_matches(
		"evt.type = connect and fd.name = \"10.1.2.3:40000->192.168.7.9:3333\"", ev));
	assert_true(
		cond_matches("evt.type = connect and fd.typechar = 4 and fd.l4proto = tcp", ev));
	/* accept: the server is the local end */
	ev->type = BH_MON_ACCEPT;
	assert_true(
		cond_matches("evt.type = accept and fd.sip = 10.1.2.3 and fd.sport = 40000", ev));
	set_net(ev, "::1", 443, "2001:db8::1", 5000);
	assert_true(cond_matches(
		"evt.type = accept and fd.cip = \"2001:db8::1\" and fd.typechar = 6", ev));
	assert_true(cond_matches("evt.type = accept and fd.cnet = \"2001:db8::/32\"", ev));
	assert_false(cond_matches("evt.type = accept and fd.cnet = \"10.0.0.0/8\"", ev));
	free(ev);
}

static void precedence(void **state)
{
	struct bh_mon_event *ev = ev_new(BH_MON_EXECVE);

	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "a");
	/* and binds tighter than or: true or (false and false) */
	assert_true(cond_matches(
		"evt.type = execve and (proc.name = a or proc.name = b and proc.pid = 1)", ev));
	/* (true or false) and false */
	assert_false(cond_matches(
		"evt.type = execve and ((proc.name = a or proc.name = b) and proc.pid = 1)", ev));
	/* not binds tighter than and */
	assert_true(cond_matches("evt.type = execve and not proc.name = b and proc.pid = 100", ev));
	assert_false(
		cond_matches("evt.type = execve and not (proc.name = a and proc.pid = 100)", ev));
	assert_true(cond_matches("evt.type = execve and not not proc.name = a", ev));
	/* evt.type not restricted by or: both branches */
	assert_true(cond_matches("evt.type = openat or evt.type = execve", ev));
	free(ev);
}

/* ---- the field table --------------------------------------------------------------- */

static void field_table(void **state)
{
	struct bh_mon_event *ev = ev_new(BH_MON_EXECVE);
	static const char *const pargs[] = { "-l", NULL };
	json_t *fields = bh_rules_fields_json();

	assert_true(json_array_size(fields) > 60);
	json_decref(fields);
	in_container(ev);
	ev->proc.nancestors = 3;
	snprintf(ev->proc.ancestors[0].comm, BH_MON_COMM_MAX, "sh");
	snprintf(ev->proc.ancestors[1].comm, BH_MON_COMM_MAX, "sshd");
	snprintf(ev->proc.ancestors[2].comm, BH_MON_COMM_MAX, "systemd");
	snprintf(ev->proc.ancestors[0].exe, BH_MON_PATH_MAX, "/bin/sh");
	set_args(ev->proc.pargs, &ev->proc.pargs_len, &ev->proc.pargc, pargs);
	assert_true(
		cond_matches("evt.type = execve and proc.pname = sh and proc.aname[1] = sh", ev));
	assert_true(cond_matches("evt.type = execve and proc.aname[2] = sshd", ev));
	assert_true(cond_matches("evt.type = execve and proc.aname[0] = app", ev));
	assert_false(cond_matches("evt.type = execve and proc.aname[4] exists", ev));
	assert_true(cond_matches("evt.type = execve and proc.aname = systemd", ev));
	assert_true(cond_matches("evt.type = execve and proc.aname in (nothing, sshd)", ev));
	assert_false(cond_matches("evt.type = execve and proc.aname = bash", ev));
	assert_true(cond_matches("evt.type = execve and proc.pcmdline = \"sh -l\"", ev));
	assert_true(cond_matches("evt.type = execve and proc.pexe = /bin/sh", ev));
	assert_true(cond_matches("evt.type = execve and container.id = 0123456789ab", ev));
	assert_true(cond_matches(
		"evt.type = execve and container.full_id startswith 0123456789abcdef", ev));
	assert_true(cond_matches("evt.type = execve and container.image.repository = "
				 "registry.example:5000/team/nginx",
				 ev));
	assert_true(cond_matches("evt.type = execve and container.image.tag = \"1.25\"", ev));
	assert_true(cond_matches("evt.type = execve and container.image.digest startswith sha256:",
				 ev));
	assert_true(cond_matches("evt.type = execve and container.name = web and user.name = root",
				 ev));
	assert_true(
		cond_matches("evt.type = execve and evt.res = SUCCESS and evt.failed = false", ev));
	assert_true(cond_matches("evt.type = execve and user.loginuid = -1 and evt.dir = <", ev));
	ev->res = -2;
	assert_true(cond_matches("evt.type = execve and evt.res = ENOENT and evt.rawres = -2", ev));
	/* the host */
	memset(&ev->container, 0, sizeof(ev->container));
	assert_true(cond_matches(
		"evt.type = execve and container.id = host and container.name = host", ev));
	assert_false(cond_matches("evt.type = execve and container.image exists", ev));
	/* files */
	ev->type = BH_MON_OPEN;
	snprintf(ev->file.path, sizeof(ev->file.path), "/usr/bin/ls");
	ev->file.flags = O_WRONLY | O_CREAT | O_TRUNC;
	assert_true(cond_matches("evt.type = open and fd.directory = /usr/bin and fd.filename = ls",
				 ev));
	assert_true(cond_matches(
		"evt.type = open and evt.is_open_write = true and evt.is_open_read = false", ev));
	assert_true(cond_matches(
		"evt.type = open and evt.arg.flags contains O_CREAT and fd.typechar = f", ev));
	/* privilege changes */
	ev->type = BH_MON_UNSHARE;
	ev->args.flags = CLONE_NEWUSER | CLONE_NEWNS;
	assert_true(
		cond_matches("evt.type = unshare and evt.arg.flags contains CLONE_NEWUSER", ev));
	ev->type = BH_MON_PTRACE;
	ev->args.request = 16;
	ev->args.target_pid = 42;
	assert_true(cond_matches(
		"evt.type = ptrace and evt.arg.request = PTRACE_ATTACH and evt.arg.pid = 42", ev));
	ev->type = BH_MON_CAPSET;
	ev->args.cap_effective = 1ull << 21;
	assert_true(cond_matches(
		"evt.type = capset and evt.arg.cap_effective contains CAP_SYS_ADMIN", ev));
	free(ev);
}

/* ---- macros, lists, append, override -------------------------------------------------- */

/* user.name and group.name: the event's own, else the name in the process's
 * root (live events: users.h), else root for id 0. */
static void user_group_names(void **state)
{
	struct bh_mon_event *ev = ev_new(BH_MON_EXECVE);
	struct passwd *pw = getpwuid(65534);
	struct group *gr = getgrgid(65534);

	(void)state;
	ev->proc.pid = (uint32_t)getpid(); /* the host's root: this process's */
	ev->proc.uid = ev->proc.gid = 65534;
	bh_users_reset();
	bh_users_enable(false);
	assert_false(cond_matches("evt.type = execve and user.name exists", ev));
	assert_false(cond_matches("evt.type = execve and group.name exists", ev));
	if (pw && gr) {
		char want[128];

		bh_users_enable(true);
		snprintf(want, sizeof(want),
			 "evt.type = execve and user.name = %s and group.name = %s", pw->pw_name,
			 gr->gr_name);
		assert_true(cond_matches(want, ev));
		bh_users_enable(false);
		bh_users_reset();
	}
	/* the event's own names first; root for 0 */
	snprintf(ev->proc.user, sizeof(ev->proc.user), "app");
	snprintf(ev->proc.group, sizeof(ev->proc.group), "staff");
	assert_true(
		cond_matches("evt.type = execve and user.name = app and group.name = staff", ev));
	ev->proc.user[0] = ev->proc.group[0] = 0;
	ev->proc.uid = ev->proc.gid = 0;
	assert_true(
		cond_matches("evt.type = execve and user.name = root and group.name = root", ev));
	free(ev);
}

static void macros_lists_append_override(void **state)
{
	static const char yaml[] =
		"- list: shells\n"
		"  items: [bash, sh]\n"
		"- list: more\n"
		"  items: [shells, zsh]\n"
		"- macro: spawned\n"
		"  condition: evt.type = execve\n"
		"- macro: shell\n"
		"  condition: spawned and proc.name in (more)\n"
		"- rule: r\n"
		"  desc: d\n"
		"  output: o\n"
		"  priority: notice\n"
		"  condition: shell\n"
		"  tags: [a]\n"
		"- list: shells\n"
		"  append: true\n"
		"  items: [ash]\n"
		"- list: more\n"
		"  override: {items: append}\n"
		"  items: [fish]\n"
		"- macro: spawned\n"
		"  append: true\n"
		"  condition: and proc.pid != 1\n"
		"- rule: r\n"
		"  override: {priority: replace, tags: append, output: replace}\n"
		"  priority: critical\n"
		"  tags: [b]\n"
		"  output: \"new %proc.name\"\n"
		"- rule: off\n"
		"  desc: d\n"
		"  output: o\n"
		"  priority: notice\n"
		"  condition: evt.type = execve\n"
		"- rule: off\n"
		"  enabled: false\n";
	struct bh_rules_diags d = { 0 };
	struct bh_rules *rs = load(yaml, &d);
	struct bh_mon_event *ev = ev_new(BH_MON_EXECVE);
	const struct bh_rules_rule *m[4];
	char *out;

	if (d.nerrors)
		dump(&d);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(bh_rules_count(rs), 1);
	const struct bh_rules_rule *r = bh_rules_get(rs, 0);

	assert_string_equal(r->name, "r");
	assert_int_equal(r->priority, BH_RULES_CRITICAL);
	assert_string_equal(r->tags[0], "a");
	assert_string_equal(r->tags[1], "b");
	assert_null(r->tags[2]);
	for (size_t i = 0; i < 5; i++) {
		static const char *const names[] = { "bash", "sh", "zsh", "ash", "fish" };

		snprintf(ev->proc.comm, sizeof(ev->proc.comm), "%s", names[i]);
		assert_int_equal(bh_rules_match(rs, ev, m, 4), 1);
	}
	out = bh_rules_format(m[0], ev);
	assert_string_equal(out, "new fish");
	free(out);
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "dash");
	assert_int_equal(bh_rules_match(rs, ev, m, 4), 0);
	/* the appended macro condition */
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "bash");
	ev->proc.pid = 1;
	assert_int_equal(bh_rules_match(rs, ev, m, 4), 0);
	/* the index: an open never reaches the rule */
	ev->type = BH_MON_OPEN;
	ev->proc.pid = 5;
	assert_int_equal(bh_rules_match(rs, ev, m, 4), 0);
	free(ev);
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
}

static void refinement_errors(void **state)
{
	static const char yaml[] = "- list: l\n"		  /* 1 */
				   "  items: [a]\n"		  /* 2 */
				   "- list: nope\n"		  /* 3 */
				   "  append: true\n"		  /* 4 */
				   "  items: [b]\n"		  /* 5 */
				   "- list: l\n"		  /* 6 */
				   "  override: {items: merge}\n" /* 7 */
				   "  items: [c]\n"		  /* 8 */
				   "- macro: m\n"		  /* 9 */
				   "  condition: evt.type = execve\n"
				   "- macro: m\n" /* 11 */
				   "  override: {condition: append}\n"
				   "  condition: and proc.pid = 1\n"
				   "  append: true\n"
				   "- rule: x\n" /* 15 */
				   "  desc: d\n"
				   "- bogus: 1\n"; /* 17 */
	struct bh_rules_diags d = { 0 };
	struct bh_rules *rs = load(yaml, &d);

	assert_true(has_diag(&d, BH_RULES_DIAG_ERROR, 4, 3, "no list 'nope' defined before"));
	assert_true(has_diag(&d, BH_RULES_DIAG_ERROR, 7, 21, "expected append or replace"));
	assert_true(has_diag(&d, BH_RULES_DIAG_ERROR, 0, 0, "append and override cannot be used"));
	assert_true(has_diag(&d, BH_RULES_DIAG_ERROR, 15, 3, "condition is required"));
	assert_true(has_diag(&d, BH_RULES_DIAG_ERROR, 17, 3, "expected an item"));
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
}

/* ---- exceptions ---------------------------------------------------------------------- */

static void exceptions(void **state)
{
	static const char yaml[] = "- list: allowed_dirs\n"
				   "  items: [/var/log]\n"
				   "- rule: w\n"
				   "  desc: d\n"
				   "  output: o\n"
				   "  priority: warning\n"
				   "  condition: evt.type = openat and evt.is_open_write = true\n"
				   "  exceptions:\n"
				   "  - name: proc_and_dir\n"
				   "    fields: [proc.name, fd.name]\n"
				   "    comps: [=, pmatch]\n"
				   "    values:\n"
				   "    - [nginx, [/var/cache/nginx, /run]]\n"
				   "    - [logrotate, allowed_dirs]\n"
				   "  - name: by_name\n"
				   "    fields: proc.name\n"
				   "    values: [backup, rsync]\n"
				   "  - name: empty\n"
				   "    fields: [proc.name]\n"
				   "- rule: w\n"
				   "  append: true\n"
				   "  exceptions:\n"
				   "  - name: by_name\n"
				   "    values: [restic]\n";
	struct bh_rules_diags d = { 0 };
	struct bh_rules *rs;
	struct bh_mon_event *ev = ev_new(BH_MON_OPENAT);
	const struct bh_rules_rule *m[2];
	struct {
		const char *comm, *path;
		size_t want;
	} cases[] = {
		{ "nginx", "/var/cache/nginx/x", 0 },
		{ "nginx", "/run/nginx.pid", 0 },
		{ "nginx", "/etc/passwd", 1 },
		{ "logrotate", "/var/log/syslog", 0 },
		{ "logrotate", "/etc/x", 1 },
		{ "backup", "/etc/x", 0 },
		{ "rsync", "/etc/x", 0 },
		{ "restic", "/etc/x", 0 },
		{ "vi", "/var/log/x", 1 },
	};

	rs = load(yaml, &d);
	if (d.nerrors)
		dump(&d);
	assert_int_equal(d.nerrors, 0);
	ev->file.flags = O_WRONLY;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(ev->proc.comm, sizeof(ev->proc.comm), "%s", cases[i].comm);
		snprintf(ev->file.path, sizeof(ev->file.path), "%s", cases[i].path);
		if (bh_rules_match(rs, ev, m, 2) != cases[i].want)
			fail_msg("%s writing %s: want %zu", cases[i].comm, cases[i].path,
				 cases[i].want);
	}
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
	/* bad exceptions are reported */
	static const char bad[] = RULE_HEAD "  condition: evt.type = openat\n"
					    "  exceptions:\n"
					    "  - name: e\n"
					    "    fields: [proc.name, fd.nam]\n"
					    "    values: [[a, b]]\n"
					    "  - name: f\n"
					    "    fields: [proc.name, fd.name]\n"
					    "    values: [[a]]\n";

	memset(&d, 0, sizeof(d));
	rs = load(bad, &d);
	assert_true(has_diag(&d, BH_RULES_DIAG_ERROR, 7, 5, "unknown field 'fd.nam'"));
	assert_int_equal(bh_rules_count(rs), 0);
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
	memset(&d, 0, sizeof(d));
	char *bad2 = bh_asprintf(RULE_HEAD "  condition: evt.type = openat\n"
					   "  exceptions:\n"
					   "  - name: f\n"
					   "    fields: [proc.name, fd.name]\n"
					   "    values: [[a]]\n");
	rs = load(bad2, &d);
	assert_true(has_diag(&d, BH_RULES_DIAG_ERROR, 7, 5, "expected a list of 2 values"));
	free(bad2);
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
	free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_operator),
		cmocka_unit_test(ip_operators),
		cmocka_unit_test(precedence),
		cmocka_unit_test(field_table),
		cmocka_unit_test(macros_lists_append_override),
		cmocka_unit_test(refinement_errors),
		cmocka_unit_test(exceptions),
		cmocka_unit_test(user_group_names),
	};

	return cmocka_run_group_tests_name("rules language", tests, NULL, NULL);
}
