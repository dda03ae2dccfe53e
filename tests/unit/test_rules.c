/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor's rule engine: the condition language (each operator,
 * precedence, macros, lists, append and override, exceptions), the field
 * table, every problem reported at its line and column, and each default
 * rule matched by an event of its scenario and not by a near miss.
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

#define RULE_HEAD "- rule: t\n  desc: d\n  output: \"%%proc.name\"\n  priority: WARNING\n"

/* Load and compile yaml; diagnostics in *d (released by the caller). */
static struct bh_rules *load(const char *yaml, struct bh_rules_diags *d)
{
	struct bh_rules *rs = bh_rules_new();

	(void)bh_rules_add(rs, yaml, strlen(yaml), "t.yaml", d, NULL);
	(void)bh_rules_compile(rs, d, NULL);
	return rs;
}

static void dump(const struct bh_rules_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		print_message("  %s:%zu:%zu: %s %s: %s\n", d->v[i].file, d->v[i].line,
			      d->v[i].column,
			      d->v[i].severity == BH_RULES_DIAG_ERROR ? "error" : "warning",
			      d->v[i].item ? d->v[i].item : "-", d->v[i].message);
}

/* A diagnostic of severity sev at line:col (0: any) containing needle. */
static bool has_diag(const struct bh_rules_diags *d, enum bh_rules_severity sev, size_t line,
		     size_t col, const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].severity == sev && (!line || d->v[i].line == line) &&
		    (!col || d->v[i].column == col) && strstr(d->v[i].message, needle))
			return true;
	dump(d);
	return false;
}

static struct bh_mon_event *ev_new(enum bh_mon_type t)
{
	struct bh_mon_event *ev = bh_calloc(1, sizeof(*ev));

	ev->type = t;
	ev->proc.loginuid = UINT32_MAX;
	ev->file.fd = -1;
	ev->proc.pid = 100;
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "app");
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "/usr/bin/app");
	return ev;
}

static void set_args(char *dst, uint16_t *len, uint16_t *argc, const char *const *args)
{
	size_t o = 0;

	*argc = 0;
	for (; *args; args++) {
		size_t n = strlen(*args) + 1;

		memcpy(dst + o, *args, n);
		o += n;
		(*argc)++;
	}
	*len = (uint16_t)o;
}

static void in_container(struct bh_mon_event *ev)
{
	snprintf(ev->container.id, sizeof(ev->container.id), "%s",
		 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	snprintf(ev->container.name, sizeof(ev->container.name), "web");
	snprintf(ev->container.image, sizeof(ev->container.image),
		 "registry.example:5000/team/nginx:1.25");
	snprintf(ev->container.image_digest, sizeof(ev->container.image_digest), "sha256:%064d", 0);
}

static void set_net(struct bh_mon_event *ev, const char *local, uint16_t lport, const char *remote,
		    uint16_t rport)
{
	int fam = strchr(local, ':') ? AF_INET6 : AF_INET;

	ev->net.family = (uint16_t)fam;
	ev->net.proto = 6;
	assert_int_equal(inet_pton(fam, local, ev->net.laddr), 1);
	assert_int_equal(inet_pton(fam, remote, ev->net.raddr), 1);
	ev->net.lport = lport;
	ev->net.rport = rport;
}

/* Does a one-rule file with this condition match ev? Fails the test on an error. */
static bool cond_matches(const char *cond, const struct bh_mon_event *ev)
{
	struct bh_rules_diags d = { 0 };
	char *yaml = bh_asprintf(RULE_HEAD "  condition: |\n    %s\n", cond);
	struct bh_rules *rs = load(yaml, &d);
	const struct bh_rules_rule *m[4];
	size_t n;

	if (d.nerrors) {
		dump(&d);
		fail_msg("condition '%s' does not compile", cond);
	}
	n = bh_rules_match(rs, ev, m, 4);
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
	free(yaml);
	return n == 1;
}

/* The first error of a one-rule file with this condition. */
static char *cond_error(const char *cond, size_t *line, size_t *col)
{
	struct bh_rules_diags d = { 0 };
	char *yaml = bh_asprintf(RULE_HEAD "  condition: |\n    %s\n", cond);
	struct bh_rules *rs = load(yaml, &d);
	char *msg = NULL;

	for (size_t i = 0; i < d.n && !msg; i++)
		if (d.v[i].severity == BH_RULES_DIAG_ERROR) {
			msg = bh_strdup(d.v[i].message);
			*line = d.v[i].line;
			*col = d.v[i].column;
		}
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
	free(yaml);
	return msg;
}

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

/* ---- the default rules ------------------------------------------------------------------ */

static struct bh_rules *defaults;

static int load_defaults(void **state)
{
	struct bh_rules_diags d = { 0 };
	struct bh_error *err = NULL;

	defaults = bh_rules_new();
	if (bh_rules_add_file(defaults, "rules/monitor/default.yaml", &d, &err) < 0 ||
	    bh_rules_compile(defaults, &d, &err) < 0 || d.n) {
		dump(&d);
		bh_error_free(err);
		bh_rules_diags_release(&d);
		return -1;
	}
	bh_rules_diags_release(&d);
	return 0;
}

static int free_defaults(void **state)
{
	bh_rules_free(defaults);
	return 0;
}

/* The rules of the default set that match ev, by name. */
static bool fires(const struct bh_mon_event *ev, const char *rule)
{
	const struct bh_rules_rule *m[32];
	size_t n = bh_rules_match(defaults, ev, m, 32);

	for (size_t i = 0; i < n && i < 32; i++)
		if (!strcmp(m[i]->name, rule))
			return true;
	return false;
}

static struct bh_mon_event *exec_ev(const char *comm, bool container)
{
	struct bh_mon_event *ev = ev_new(BH_MON_EXECVE);

	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "%s", comm);
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "/bin/%s", comm);
	if (container)
		in_container(ev);
	return ev;
}

static struct bh_mon_event *open_ev(const char *path, int flags, bool container)
{
	struct bh_mon_event *ev = ev_new(BH_MON_OPENAT);

	snprintf(ev->file.path, sizeof(ev->file.path), "%s", path);
	ev->file.flags = (uint32_t)flags;
	ev->res = 3;
	if (container)
		in_container(ev);
	return ev;
}

static void every_default_rule_has_nist_and_mitre_tags(void **state)
{
	size_t n = bh_rules_count(defaults);

	assert_true(n >= 16);
	for (size_t i = 0; i < n; i++) {
		const struct bh_rules_rule *r = bh_rules_get(defaults, i);
		bool nist = false, mitre = false;

		for (char **t = r->tags; *t; t++) {
			nist |= bh_str_has_prefix(*t, "NIST_800-190_4.");
			mitre |= bh_str_has_prefix(*t, "mitre_");
		}
		if (!nist || !mitre)
			fail_msg("rule '%s' lacks a NIST SP 800-190 or a MITRE tag", r->name);
	}
}

static void default_terminal_shell(void **state)
{
	struct bh_mon_event *ev = exec_ev("bash", true);

	ev->proc.tty = 34816;
	assert_true(fires(ev, "Terminal shell in container"));
	ev->proc.tty = 0; /* an entrypoint script: no terminal */
	assert_false(fires(ev, "Terminal shell in container"));
	ev->proc.tty = 34816;
	memset(&ev->container, 0, sizeof(ev->container)); /* on the host */
	assert_false(fires(ev, "Terminal shell in container"));
	free(ev);
}

static void default_sensitive_read(void **state)
{
	struct bh_mon_event *ev = open_ev("/etc/shadow", O_RDONLY, true);

	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "cat");
	assert_true(fires(ev, "Read sensitive file"));
	snprintf(ev->file.path, sizeof(ev->file.path),
		 "/var/run/secrets/kubernetes.io/serviceaccount/token");
	assert_true(fires(ev, "Read sensitive file"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/home/u/.ssh/id_ed25519");
	assert_true(fires(ev, "Read sensitive file"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/etc/passwd"); /* near miss */
	assert_false(fires(ev, "Read sensitive file"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/etc/shadow");
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "unix_chkpwd"); /* allowed reader */
	assert_false(fires(ev, "Read sensitive file"));
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "cat");
	ev->res = -13; /* EACCES: not opened */
	assert_false(fires(ev, "Read sensitive file"));
	free(ev);
}

static void default_write_below_bin_and_etc(void **state)
{
	struct bh_mon_event *ev = open_ev("/usr/bin/ls", O_WRONLY | O_CREAT | O_TRUNC, true);

	assert_true(fires(ev, "Write below binary dir"));
	assert_false(fires(ev, "Write below etc"));
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "dpkg"); /* a package manager */
	assert_false(fires(ev, "Write below binary dir"));
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "sh");
	snprintf(ev->file.path, sizeof(ev->file.path), "/etc/crontab");
	assert_true(fires(ev, "Write below etc"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/usr/binaries/x"); /* not below /usr/bin */
	assert_false(fires(ev, "Write below binary dir"));
	/* python's bytecode cache (seen in a debian container with a writable root) */
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "python3");
	snprintf(ev->file.path, sizeof(ev->file.path),
		 "/usr/lib/python3.11/__pycache__/types.cpython-311.pyc.140552804326448");
	assert_false(fires(ev, "Write below binary dir"));
	snprintf(ev->file.path, sizeof(ev->file.path),
		 "/usr/lib/python3.11/types.py"); /* a module */
	assert_true(fires(ev, "Write below binary dir"));
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "sh"); /* not python */
	snprintf(ev->file.path, sizeof(ev->file.path),
		 "/usr/lib/python3.11/__pycache__/types.cpython-311.pyc");
	assert_true(fires(ev, "Write below binary dir"));
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "sh");
	snprintf(ev->file.path, sizeof(ev->file.path), "/etcetera");
	assert_false(fires(ev, "Write below etc"));
	ev->file.flags = O_RDONLY; /* reading is fine */
	snprintf(ev->file.path, sizeof(ev->file.path), "/usr/bin/ls");
	assert_false(fires(ev, "Write below binary dir"));
	free(ev);
}

static void default_drop_and_execute(void **state)
{
	struct bh_mon_event *ev = exec_ev("payload", true);

	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "/tmp/payload");
	ev->proc.exe_upper_layer = true;
	assert_true(fires(ev, "Drop and execute new binary in container"));
	ev->proc.exe_upper_layer = false; /* from the image */
	assert_false(fires(ev, "Drop and execute new binary in container"));
	free(ev);
}

static void default_fileless_memfd(void **state)
{
	struct bh_mon_event *ev = exec_ev("3", true);

	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "memfd:x (deleted)");
	ev->proc.exe_from_memfd = true;
	assert_true(fires(ev, "Fileless execution via memfd"));
	ev->proc.exe_from_memfd = false;
	assert_false(fires(ev, "Fileless execution via memfd"));
	free(ev);
	/* bulkhead's runtime re-executing itself from its sealed memfd, on the host:
	 * excepted; the same name inside a container is not */
	ev = exec_ev("memfd:bulkhead", false);
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "memfd:bulkhead (deleted)");
	ev->proc.exe_from_memfd = true;
	assert_false(fires(ev, "Fileless execution via memfd"));
	free(ev);
	ev = exec_ev("memfd:bulkhead", true);
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "memfd:bulkhead (deleted)");
	ev->proc.exe_from_memfd = true;
	assert_true(fires(ev, "Fileless execution via memfd"));
	free(ev);
}

static void default_release_agent(void **state)
{
	struct bh_mon_event *ev = open_ev("/tmp/cg/release_agent", O_WRONLY | O_TRUNC, true);

	assert_true(fires(ev, "Cgroup release_agent escape attempt"));
	ev->file.flags = O_RDONLY; /* reading it */
	assert_false(fires(ev, "Cgroup release_agent escape attempt"));
	free(ev);
}

static void default_k8s_api(void **state)
{
	struct bh_mon_event *ev = ev_new(BH_MON_CONNECT);

	in_container(ev);
	set_net(ev, "10.244.0.5", 40000, "10.96.0.1", 443);
	assert_true(fires(ev, "Contact K8S API server from container"));
	set_net(ev, "10.244.0.5", 40000, "192.168.1.10", 6443);
	assert_true(fires(ev, "Contact K8S API server from container"));
	snprintf(ev->container.pod_namespace, sizeof(ev->container.pod_namespace), "kube-system");
	assert_false(fires(ev, "Contact K8S API server from container"));
	memset(ev->container.pod_namespace, 0, sizeof(ev->container.pod_namespace));
	set_net(ev, "10.244.0.5", 40000, "10.96.0.2", 80); /* another service */
	assert_false(fires(ev, "Contact K8S API server from container"));
	free(ev);
}

static void default_mining_pool(void **state)
{
	struct bh_mon_event *ev = ev_new(BH_MON_CONNECT);

	set_net(ev, "10.0.0.2", 40000, "203.0.113.9", 3333);
	assert_true(fires(ev, "Outbound connection to mining pool port"));
	ev->res = -115; /* EINPROGRESS: a non-blocking connect */
	assert_true(fires(ev, "Outbound connection to mining pool port"));
	ev->res = 0;
	set_net(ev, "10.0.0.2", 40000, "203.0.113.9", 443);
	assert_false(fires(ev, "Outbound connection to mining pool port"));
	set_net(ev, "127.0.0.1", 40000, "127.0.0.1", 3333); /* a local service */
	assert_false(fires(ev, "Outbound connection to mining pool port"));
	free(ev);
}

/* A 32-bit socketcall connect whose arguments were unreadable at exit: its
 * peer unknown, still an outbound connect, reported by its own rule. */
static void default_unreadable_connect(void **state)
{
	struct bh_mon_event *ev = ev_new(BH_MON_CONNECT);

	ev->proc.compat = true;
	ev->args.unreadable = true;
	assert_true(fires(ev, "Outbound connection with unreadable arguments"));
	assert_false(fires(ev, "Outbound connection to mining pool port"));
	ev->res = -111; /* refused: no connection */
	assert_false(fires(ev, "Outbound connection with unreadable arguments"));
	ev->res = 0;
	ev->args.unreadable = false; /* a connect on a non-inet socket: nothing */
	assert_false(fires(ev, "Outbound connection with unreadable arguments"));
	set_net(ev, "10.0.0.2", 40000, "203.0.113.9", 443);
	assert_false(fires(ev, "Outbound connection with unreadable arguments"));
	free(ev);
}

static void default_reverse_shell(void **state)
{
	struct bh_mon_event *ev = exec_ev("sh", true);

	ev->proc.stdio[0] = ev->proc.stdio[1] = ev->proc.stdio[2] = BH_MON_FD_IPV4;
	assert_true(fires(ev, "Reverse shell"));
	ev->proc.stdio[0] = BH_MON_FD_PIPE; /* `echo | sh`, output still on the socket */
	assert_true(fires(ev, "Reverse shell"));
	ev->proc.stdio[1] = ev->proc.stdio[2] = BH_MON_FD_PIPE;
	assert_false(fires(ev, "Reverse shell"));
	ev->proc.stdio[0] = BH_MON_FD_UNIX; /* a local socket: an ssh session, a supervisor */
	assert_false(fires(ev, "Reverse shell"));
	free(ev);
}

static void default_package_manager(void **state)
{
	struct bh_mon_event *ev = exec_ev("apt-get", true);

	assert_true(fires(ev, "Package management process in container"));
	memset(&ev->container, 0, sizeof(ev->container)); /* on the host */
	assert_false(fires(ev, "Package management process in container"));
	free(ev);
}

static void default_ptrace_and_proc_mem(void **state)
{
	struct bh_mon_event *ev = ev_new(BH_MON_PTRACE);

	ev->args.request = 16; /* PTRACE_ATTACH */
	ev->args.target_pid = 77;
	assert_true(fires(ev, "PTRACE attached to process"));
	ev->args.request = 0x4206; /* PTRACE_SEIZE */
	assert_true(fires(ev, "PTRACE attached to process"));
	ev->args.request = 0; /* PTRACE_TRACEME: the tracee side */
	assert_false(fires(ev, "PTRACE attached to process"));
	free(ev);
	ev = open_ev("/proc/77/mem", O_RDONLY, true);
	assert_true(fires(ev, "Access another process's memory"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/self/mem");
	assert_false(fires(ev, "Access another process's memory"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/77/maps");
	assert_false(fires(ev, "Access another process's memory"));
	/* a container's /proc/self/mem as its proc mount names it: its namespace
	 * pid; the host's pid; a thread's; another process's */
	ev->proc.pid = 4242;
	ev->proc.tid = 4243;
	ev->proc.vpid = 7;
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/7/mem");
	assert_false(fires(ev, "Access another process's memory"));
	assert_true(cond_matches(
		"evt.type in (open, openat, openat2) and fd.is_self_proc = true and proc.vpid = 7",
		ev));
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/4242/mem");
	assert_false(fires(ev, "Access another process's memory"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/4243/mem");
	assert_false(fires(ev, "Access another process's memory"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/thread-self/mem");
	assert_false(fires(ev, "Access another process's memory"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/8/mem");
	assert_true(fires(ev, "Access another process's memory"));
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/77x/mem");
	assert_false(
		cond_matches("evt.type in (open, openat, openat2) and fd.is_self_proc = true", ev));
	snprintf(ev->file.path, sizeof(ev->file.path), "/proc/99999999999999999999/mem");
	assert_false(
		cond_matches("evt.type in (open, openat, openat2) and fd.is_self_proc = true", ev));
	free(ev);
}

static void default_mount_and_namespaces(void **state)
{
	struct bh_mon_event *ev = ev_new(BH_MON_MOUNT);

	in_container(ev);
	snprintf(ev->args.source, sizeof(ev->args.source), "/dev/sda1");
	snprintf(ev->file.path, sizeof(ev->file.path), "/mnt");
	ev->res = -1; /* EPERM: an attempt is enough */
	assert_true(fires(ev, "Mount in container"));
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "runc:[2:INIT]"); /* the runtime's setup */
	assert_false(fires(ev, "Mount in container"));
	/* runc's init re-executed as /proc/self/exe: named exe (seen live: monitor-rules-more) */
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "exe");
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "/usr/sbin/runc");
	ev->proc.nancestors = 1;
	snprintf(ev->proc.ancestors[0].comm, sizeof(ev->proc.ancestors[0].comm), "runc");
	assert_false(fires(ev, "Mount in container"));
	/* the container's own tool put at a runtime's path, run by its shell: caught */
	snprintf(ev->proc.ancestors[0].comm, sizeof(ev->proc.ancestors[0].comm), "sh");
	assert_true(fires(ev, "Mount in container"));
	snprintf(ev->proc.ancestors[0].comm, sizeof(ev->proc.ancestors[0].comm), "runc");
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "/tmp/exe"); /* a program named exe */
	assert_true(fires(ev, "Mount in container"));
	free(ev);
	ev = ev_new(BH_MON_UNSHARE);
	in_container(ev);
	ev->args.flags = CLONE_NEWUSER;
	assert_true(fires(ev, "Namespace change in container"));
	ev->type = BH_MON_SETNS;
	assert_true(fires(ev, "Namespace change in container"));
	/* runc's own setup, in the container's cgroup (seen live: monitor-rules-more) */
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "runc:[1:CHILD]");
	ev->type = BH_MON_UNSHARE;
	assert_false(fires(ev, "Namespace change in container"));
	ev->type = BH_MON_SETNS;
	memset(&ev->container, 0, sizeof(ev->container)); /* the host's own */
	assert_false(fires(ev, "Namespace change in container"));
	free(ev);
}

static void default_module_and_bpf(void **state)
{
	struct bh_mon_event *ev = ev_new(BH_MON_FINIT_MODULE);

	snprintf(ev->args.module, sizeof(ev->args.module), "rootkit");
	ev->res = -1;
	assert_true(fires(ev, "Kernel module load attempt"));
	free(ev);
	ev = open_ev("/lib/modules/6.1.0/kernel/x.ko", O_RDONLY,
		     false); /* reading one is not loading */
	assert_false(fires(ev, "Kernel module load attempt"));
	free(ev);
	ev = ev_new(BH_MON_BPF);
	in_container(ev);
	ev->args.bpf_cmd = 5; /* BPF_PROG_LOAD */
	assert_true(fires(ev, "BPF program loaded in container"));
	ev->args.bpf_cmd = 1; /* a map lookup */
	assert_false(fires(ev, "BPF program loaded in container"));
	free(ev);
}

static void default_benign_events_raise_nothing(void **state)
{
	const struct bh_rules_rule *m[8];
	struct bh_mon_event *ev = exec_ev("nginx", true);

	ev->proc.stdio[0] = BH_MON_FD_FILE;
	assert_int_equal(bh_rules_match(defaults, ev, m, 8), 0);
	free(ev);
	ev = open_ev("/var/log/nginx/access.log", O_WRONLY | O_APPEND, true);
	assert_int_equal(bh_rules_match(defaults, ev, m, 8), 0);
	free(ev);
	ev = ev_new(BH_MON_ACCEPT);
	in_container(ev);
	set_net(ev, "10.0.0.2", 80, "10.0.0.9", 51000);
	assert_int_equal(bh_rules_match(defaults, ev, m, 8), 0);
	ev->type = BH_MON_PROCEXIT;
	assert_int_equal(bh_rules_match(defaults, ev, m, 8), 0);
	free(ev);
}

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
		cmocka_unit_test(each_operator),
		cmocka_unit_test(ip_operators),
		cmocka_unit_test(precedence),
		cmocka_unit_test(field_table),
		cmocka_unit_test(macros_lists_append_override),
		cmocka_unit_test(refinement_errors),
		cmocka_unit_test(exceptions),
		cmocka_unit_test(syntax_errors_at_line_and_column),
		cmocka_unit_test(unknown_fields_and_operators),
		cmocka_unit_test(cyclic_macros_and_lists),
		cmocka_unit_test(never_matching_rules),
		cmocka_unit_test(limits),
		cmocka_unit_test(output_format),
		cmocka_unit_test(event_json),
		cmocka_unit_test(open_filter_from_conditions),
		cmocka_unit_test(connect_peers_for_refusal),
		cmocka_unit_test(exec_files_for_identity),
		cmocka_unit_test(exec_files_bounded),
	};
	const struct CMUnitTest defaults_tests[] = {
		cmocka_unit_test(every_default_rule_has_nist_and_mitre_tags),
		cmocka_unit_test(default_terminal_shell),
		cmocka_unit_test(default_sensitive_read),
		cmocka_unit_test(default_write_below_bin_and_etc),
		cmocka_unit_test(default_drop_and_execute),
		cmocka_unit_test(default_fileless_memfd),
		cmocka_unit_test(default_release_agent),
		cmocka_unit_test(default_k8s_api),
		cmocka_unit_test(default_mining_pool),
		cmocka_unit_test(default_unreadable_connect),
		cmocka_unit_test(default_reverse_shell),
		cmocka_unit_test(default_package_manager),
		cmocka_unit_test(default_ptrace_and_proc_mem),
		cmocka_unit_test(default_mount_and_namespaces),
		cmocka_unit_test(default_module_and_bpf),
		cmocka_unit_test(default_benign_events_raise_nothing),
		cmocka_unit_test(default_open_filter),
		cmocka_unit_test(default_open_filter_bloom),
		cmocka_unit_test(user_group_names),
		cmocka_unit_test(open_paths_for_refusal),
	};

	return cmocka_run_group_tests_name("rules", tests, NULL, NULL) |
	       cmocka_run_group_tests_name("default rules", defaults_tests, load_defaults,
					   free_defaults);
}
