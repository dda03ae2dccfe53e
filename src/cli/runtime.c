/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OCI runtime commands (runc's command line): create, start, state,
 * kill, delete, run, exec, list, ps, pause, resume, spec, features; and
 * `bulkhead run IMAGE [-- CMD...]`, which needs no bundle.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/quarantine.h"
#include "cli.h"
#include "bulkhead/bundle.h"
#include "bulkhead/image.h"
#include "bulkhead/policy.h"
#include "bulkhead/runtime.h"
#include "banned.h"

enum {
	OPT_BUNDLE = 256,
	OPT_PID_FILE,
	OPT_CONSOLE,
	OPT_PRESERVE,
	OPT_NO_PIVOT,
	OPT_NO_KEYRING,
	OPT_ALLOW,
	OPT_LEARN,
	OPT_FORMAT,
	OPT_KEEP,
	OPT_PROCESS,
	OPT_CWD,
	OPT_CAP,
	OPT_NNP,
	OPT_SECCOMP,
	OPT_STDOUT,
	OPT_ROOTLESS,
	OPT_IGNORED,
};

static char **allow_list;
static size_t nallow;

static void ctx_init(struct bh_rt_ctx *ctx, struct bh_cli *cli)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->root = cli->runtime_root;
	ctx->systemd_cgroup = cli->systemd_cgroup;
	ctx->debug = cli->debug;
	ctx->allow_dangerous = allow_list;
	ctx->policy_files = cli->policy_files.n ? cli->policy_files.v : NULL;
	ctx->policy_dir = cli->policy_dir;
}

/*
 * What the policy said at create: warn and audit hits as warnings (the
 * engine's log keeps them; the state has them too). A refusal is the error
 * itself, with every enforce message: exit 1, as a policy violation.
 */
static int policy_outcome(struct bh_policy_result *pr, struct bh_error *err)
{
	for (size_t i = 0; i < pr->n; i++)
		if (pr->v[i].action != BH_ACT_ENFORCE)
			bh_warn("policy (%s): rule %s: %s", bh_policy_action_name(pr->v[i].action),
				pr->v[i].rule, pr->v[i].message);
	if (!err) {
		bh_policy_result_release(pr);
		return BH_EXIT_OK;
	}
	if (pr->denied) {
		cli_fail(err);
		bh_policy_result_release(pr);
		return BH_EXIT_FINDINGS;
	}
	bh_policy_result_release(pr);
	return cli_fail(err);
}

/* --allow-dangerous SYSCALL: only names of the deny-list or the mount family. */
static int add_allow(const char *cmd, const char *name)
{
	bool known = false;

	for (size_t i = 0; bh_rt_deny_list[i]; i++)
		if (!strcmp(bh_rt_deny_list[i], name))
			known = true;
	for (size_t i = 0; bh_rt_mount_family[i]; i++)
		if (!strcmp(bh_rt_mount_family[i], name))
			known = true;
	if (!known)
		return cli_usage_error(cmd,
				       "--allow-dangerous: '%s' is not on the deny-list (see "
				       "'bulkhead features')",
				       name);
	allow_list = bh_reallocarray(allow_list, nallow + 2, sizeof(char *));
	allow_list[nallow++] = bh_strdup(name);
	allow_list[nallow] = NULL;
	return 0;
}

static int parse_uint(const char *cmd, const char *opt, const char *s, unsigned *out)
{
	uint64_t v;

	if (bh_parse_u64(s, &v, NULL) < 0 || v > 65536)
		return cli_usage_error(cmd, "%s: '%s' is not a number", opt, s);
	*out = (unsigned)v;
	return 0;
}

/* Re-execute from a sealed copy; what is said to the operator comes after, said once. */
static int seal(const char *cmd)
{
	struct bh_error *err = NULL;

	if (!getenv("BULKHEAD_NO_REEXEC") && bh_rt_reexec_sealed(0, NULL, &err) < 0) {
		bh_error_prefix(&err, "%s", cmd);
		return cli_fail(err);
	}
	for (size_t i = 0; i < nallow; i++)
		bh_warn("the operator allows the dangerous syscall %s in this container",
			allow_list[i]);
	return 0;
}

static void systemd_note(struct bh_cli *cli)
{
	if (cli->systemd_cgroup)
		bh_warn("--systemd-cgroup: the systemd cgroup driver is not supported; cgroupfs "
			"paths are used (a slice:prefix:name path is refused)");
}

/* ---- create ---------------------------------------------------------------- */

static const char create_usage[] =
	"usage: bulkhead [global options] create [options] ID\n"
	"\n"
	"Create the container ID from an OCI bundle: namespaces, cgroups, mounts and\n"
	"the root are set up and its process waits for 'bulkhead start ID'.\n"
	"\n"
	"Options:\n"
	"  -b, --bundle DIR          the bundle (default: the current directory)\n"
	"  --pid-file FILE           write the container's pid to FILE\n"
	"  --console-socket SOCKET   send the pty master there (process.terminal)\n"
	"  --preserve-fds N          pass fds 3..3+N-1 to the container\n"
	"  --no-pivot                chroot instead of pivot_root (not recommended)\n"
	"  --no-new-keyring          keep the caller's session keyring\n"
	"  --allow-dangerous SYSCALL lift one syscall of the deny-list (operator only)\n"
	"\n"
	"The policy (global --policy FILE, else --policy-dir, $BULKHEAD_POLICY_DIR or\n"
	"/etc/bulkhead/policy.d) is evaluated first: an enforce rule that fires refuses\n"
	"the container (exit 1, its messages on stderr), warn and audit rules are\n"
	"logged and kept in 'bulkhead state --hardening ID'.\n"
	"\n"
	"See bulkhead-create(1) and bulkhead-runtime(1).\n";

static const struct option create_opts[] = {
	{ "bundle", required_argument, NULL, 'b' },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "console-socket", required_argument, NULL, OPT_CONSOLE },
	{ "preserve-fds", required_argument, NULL, OPT_PRESERVE },
	{ "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
	{ "no-new-keyring", no_argument, NULL, OPT_NO_KEYRING },
	{ "allow-dangerous", required_argument, NULL, OPT_ALLOW },
	{ "detach", no_argument, NULL, 'd' },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "tty", no_argument, NULL, 't' },
	{ "profile-learn", required_argument, NULL, OPT_LEARN },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct create_args {
	struct bh_rt_create_opts o;
	bool detach, keep, bundle_given, tty;
	const char *learn; /* --profile-learn NAME (run IMAGE) */
};

/*
 * fds 3..3+N-1 go to the container: each must have been the caller's when
 * bulkhead started, or one bulkhead opens itself (the --log file, an image,
 * a lock, the sync socket) could take its number and reach the container.
 */
static int check_preserve_fds(const char *cmd, unsigned n, const struct bh_cli *cli)
{
	if (n && 3 + (long)n > cli->inherited_fd_end)
		return cli_usage_error(cmd, "--preserve-fds %u: fd %d is not open", n,
				       cli->inherited_fd_end);
	return 0;
}

/* Returns -1 for help, else an exit code (0 = go on). */
static int parse_create(int argc, char **argv, const char *cmd, struct create_args *a)
{
	int c;

	while ((c = cli_getopt(argc, argv, "+b:dth", create_opts, cmd)) != -1) {
		switch (c) {
		case 'b':
			a->o.bundle = optarg;
			a->bundle_given = true;
			break;
		case OPT_PID_FILE: a->o.pid_file = optarg; break;
		case OPT_CONSOLE: a->o.console_socket = optarg; break;
		case OPT_PRESERVE:
			if (parse_uint(cmd, "--preserve-fds", optarg, &a->o.preserve_fds))
				return BH_EXIT_USAGE;
			break;
		case OPT_NO_PIVOT: a->o.no_pivot = true; break;
		case OPT_NO_KEYRING: a->o.no_new_keyring = true; break;
		case OPT_ALLOW:
			if (add_allow(cmd, optarg))
				return BH_EXIT_USAGE;
			break;
		case 'd': a->detach = true; break;
		case OPT_KEEP: a->keep = true; break;
		case 't': a->tty = true; break;
		case OPT_LEARN:
			if (!strcmp(cmd, "create"))
				return cli_usage_error(cmd,
						       "--profile-learn goes with 'run IMAGE'; a "
						       "bundle takes the annotation "
						       "org.bulkhead.seccomp.mode=discover");
			a->learn = optarg;
			break;
		case 'h': return -1;
		default: return BH_EXIT_USAGE;
		}
	}
	return 0;
}

int cmd_create(int argc, char **argv, struct bh_cli *cli)
{
	struct bh_policy_result pr = { 0 };
	struct create_args a = { 0 };
	struct bh_rt_ctx ctx;
	struct bh_error *err = NULL;
	int r = parse_create(argc, argv, "create", &a);

	if (r < 0)
		return cli_help(create_usage);
	if (r)
		return r;
	if (optind != argc - 1)
		return cli_usage_error("create", "expected one container ID");
	if ((r = check_preserve_fds("create", a.o.preserve_fds, cli)))
		return r;
	if (a.tty)
		return cli_usage_error("create", "--tty goes with 'run IMAGE'; a bundle's "
						 "process.terminal asks for a terminal");
	if ((r = seal("create")))
		return r;
	systemd_note(cli);
	ctx_init(&ctx, cli);
	a.o.policy = &pr;
	bh_rt_create(&ctx, argv[optind], &a.o, &err);
	return policy_outcome(&pr, err);
}

/* ---- start, state, kill, delete, pause, resume ----------------------------------- */

static int one_id(int argc, char **argv, const char *cmd, const char *usage, const char **id)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	int c;

	while ((c = cli_getopt(argc, argv, "h", opts, cmd)) != -1) {
		if (c == 'h')
			return -1;
		return BH_EXIT_USAGE;
	}
	if (optind != argc - 1)
		return cli_usage_error(cmd, "expected one container ID");
	*id = argv[optind];
	(void)usage;
	return 0;
}

int cmd_start(int argc, char **argv, struct bh_cli *cli)
{
	static const char usage[] = "usage: bulkhead start ID\n\nStart the process of a created "
				    "container.\nSee bulkhead-start(1).\n";
	struct bh_rt_ctx ctx;
	struct bh_error *err = NULL;
	const char *id;
	int r = one_id(argc, argv, "start", usage, &id);

	if (r < 0)
		return cli_help(usage);
	if (r)
		return r;
	ctx_init(&ctx, cli);
	if (bh_rt_start(&ctx, id, &err) < 0)
		return cli_fail(err);
	return BH_EXIT_OK;
}

int cmd_state(int argc, char **argv, struct bh_cli *cli)
{
	static const char usage[] =
		"usage: bulkhead state [--hardening] ID\n\nPrint the state of a container as "
		"JSON (runtime-spec state: its annotations\nare the config's). --hardening prints "
		"bulkhead's hardening report of the\ncontainer instead.\nSee bulkhead-state(1).\n";
	static const struct option opts[] = { { "hardening", no_argument, NULL, 'H' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct bh_rt_ctx ctx;
	struct bh_error *err = NULL;
	bool hardening = false;
	json_t *st;
	int c;

	while ((c = cli_getopt(argc, argv, "h", opts, "state")) != -1) {
		switch (c) {
		case 'H': hardening = true; break;
		case 'h': return cli_help(usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("state", "expected one container ID");
	ctx_init(&ctx, cli);
	if ((hardening ? bh_rt_hardening(&ctx, argv[optind], &st, &err)
		       : bh_rt_state(&ctx, argv[optind], &st, &err)) < 0)
		return cli_fail(err);
	json_dumpf(st, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(st);
	return BH_EXIT_OK;
}

int cmd_kill(int argc, char **argv, struct bh_cli *cli)
{
	static const char usage[] =
		"usage: bulkhead kill [--all] ID [SIGNAL]\n\nSend SIGNAL (default TERM; a name or "
		"a number) to the container's init,\nor with --all to every process of the "
		"container.\nSee bulkhead-kill(1).\n";
	static const struct option opts[] = { { "all", no_argument, NULL, 'a' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct bh_rt_ctx ctx;
	struct bh_error *err = NULL;
	bool all = false;
	int c, sig = SIGTERM;

	while ((c = cli_getopt(argc, argv, "ah", opts, "kill")) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'h': return cli_help(usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind >= argc || argc - optind > 2)
		return cli_usage_error("kill", "expected ID [SIGNAL]");
	if (argc - optind == 2 && bh_rt_signal_parse(argv[optind + 1], &sig, &err) < 0) {
		char *m = bh_error_message(err);

		bh_error_free(err);
		c = cli_usage_error("kill", "%s", m);
		free(m);
		return c;
	}
	ctx_init(&ctx, cli);
	if (bh_rt_kill(&ctx, argv[optind], sig, all, &err) < 0)
		return cli_fail(err);
	return BH_EXIT_OK;
}

int cmd_delete(int argc, char **argv, struct bh_cli *cli)
{
	static const char usage[] =
		"usage: bulkhead delete [--force] ID\n\nDelete a stopped container: its cgroups "
		"and "
		"state (any other fails and\nchanges nothing). --force kills a created, running or "
		"paused one first,\nand cleans up after a runtime that died.\nSee "
		"bulkhead-delete(1).\n";
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct bh_rt_ctx ctx;
	struct bh_error *err = NULL;
	bool force = false;
	int c;

	while ((c = cli_getopt(argc, argv, "fh", opts, "delete")) != -1) {
		switch (c) {
		case 'f': force = true; break;
		case 'h': return cli_help(usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("delete", "expected one container ID");
	ctx_init(&ctx, cli);
	if (bh_rt_delete(&ctx, argv[optind], force, &err) < 0)
		return cli_fail(err);
	return BH_EXIT_OK;
}

int cmd_pause(int argc, char **argv, struct bh_cli *cli)
{
	static const char usage[] = "usage: bulkhead pause ID\n\nFreeze every process of the "
				    "container (cgroup freezer).\nSee bulkhead-pause(1).\n";
	struct bh_rt_ctx ctx;
	struct bh_error *err = NULL;
	const char *id;
	int r = one_id(argc, argv, "pause", usage, &id);

	if (r < 0)
		return cli_help(usage);
	if (r)
		return r;
	ctx_init(&ctx, cli);
	if (bh_rt_pause(&ctx, id, &err) < 0)
		return cli_fail(err);
	return BH_EXIT_OK;
}

int cmd_resume(int argc, char **argv, struct bh_cli *cli)
{
	static const char usage[] =
		"usage: bulkhead resume [--quarantine-dir DIR] ID\n\nThaw a paused container "
		"(refused while it is quarantined:\nbulkhead quarantine release ID first).\n"
		"  --quarantine-dir DIR  the quarantine records (default " BH_QUAR_STATE_DIR ")\n"
		"See bulkhead-resume(1).\n";
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
					      { "quarantine-dir", required_argument, NULL, 'q' },
					      { NULL, 0, NULL, 0 } };
	struct bh_quar_opts qo = { 0 };
	struct bh_quar_record *rec = NULL;
	struct bh_rt_ctx ctx;
	struct bh_error *err = NULL;
	const char *id;
	int c, r;

	while ((c = cli_getopt(argc, argv, "h", opts, "resume")) != -1) {
		if (c == 'h')
			return cli_help(usage);
		if (c != 'q')
			return BH_EXIT_USAGE;
		qo.state_dir = optarg;
	}
	if (optind != argc - 1)
		return cli_usage_error("resume", "expected one container ID");
	id = argv[optind];
	/* a quarantined container stays frozen until the quarantine is released */
	r = bh_quar_find(&qo, id, &rec, &err);
	if (r < 0)
		return cli_fail_safe(err);
	if (r > 0) {
		/* the record's text is untrusted (the reason names the container's exe) */
		char *since = cli_text_safe(rec->time ? rec->time : "?");
		char *why = cli_text_safe(rec->reason && *rec->reason ? rec->reason
								      : "no reason given");

		fprintf(stderr,
			"bulkhead: error: container %s is quarantined (since %s: %s): release "
			"it first (bulkhead quarantine release %s)\n",
			id, since, why, id);
		free(since);
		free(why);
		bh_quar_record_free(rec);
		return BH_EXIT_ERROR;
	}
	ctx_init(&ctx, cli);
	if (bh_rt_resume(&ctx, id, &err) < 0)
		return cli_fail(err);
	return BH_EXIT_OK;
}

/* ---- list, ps ------------------------------------------------------------------ */

static int format_arg(const char *cmd, const char *s, bool *json)
{
	if (!strcmp(s, "json"))
		*json = true;
	else if (!strcmp(s, "table") || !strcmp(s, "text"))
		*json = false;
	else
		return cli_usage_error(cmd, "--format: '%s' is not table or json", s);
	return 0;
}

int cmd_list(int argc, char **argv, struct bh_cli *cli)
{
	static const char usage[] = "usage: bulkhead list [--format table|json] [--quiet]\n\nList "
				    "the containers under --root.\nSee bulkhead-list(1).\n";
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct bh_rt_ctx ctx;
	struct bh_error *err = NULL;
	bool json = false, quiet = false;
	json_t *arr, *v;
	size_t i;
	int c;

	while ((c = cli_getopt(argc, argv, "f:qh", opts, "list")) != -1) {
		switch (c) {
		case 'f':
			if (format_arg("list", optarg, &json))
				return BH_EXIT_USAGE;
			break;
		case 'q': quiet = true; break;
		case 'h': return cli_help(usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("list", "takes no operands");
	ctx_init(&ctx, cli);
	if (bh_rt_list(&ctx, &arr, &err) < 0) {
		json_decref(arr);
		return cli_fail(err);
	}
	if (json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		if (!quiet)
			printf("%-24s %-8s %-8s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE",
			       "CREATED");
		json_array_foreach (arr, i, v) {
			json_int_t pid = 0;

			bh_json_int(v, "pid", &pid);
			if (quiet)
				printf("%s\n", bh_json_str(v, "id"));
			else
				printf("%-24s %-8lld %-8s %-40s %s\n", bh_json_str(v, "id"),
				       (long long)pid, bh_json_str(v, "status"),
				       bh_json_str(v, "bundle"), bh_json_str(v, "created"));
		}
	}
	json_decref(arr);
	return BH_EXIT_OK;
}

int cmd_ps(int argc, char **argv, struct bh_cli *cli)
{
	static const char usage[] = "usage: bulkhead ps [--format table|json] ID\n\nThe processes "
				    "of a container (host pids).\nSee bulkhead-ps(1).\n";
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct bh_rt_ctx ctx;
	struct bh_error *err = NULL;
	bool json = false;
	pid_t *pids;
	size_t n;
	int c;

	while ((c = cli_getopt(argc, argv, "f:h", opts, "ps")) != -1) {
		switch (c) {
		case 'f':
			if (format_arg("ps", optarg, &json))
				return BH_EXIT_USAGE;
			break;
		case 'h': return cli_help(usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("ps", "expected one container ID");
	ctx_init(&ctx, cli);
	if (bh_rt_ps(&ctx, argv[optind], &pids, &n, &err) < 0)
		return cli_fail(err);
	if (json) {
		fputc('[', stdout);
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		fputs("]\n", stdout);
	} else {
		printf("%-8s %s\n", "PID", "CMD");
		for (size_t i = 0; i < n; i++) {
			struct bh_buf b = BH_BUF_INIT(4096);
			char path[64];

			snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pids[i]);
			if (bh_read_file(path, &b, NULL) < 0 && b.len == 0)
				bh_buf_adds(&b, "?", NULL);
			for (size_t k = 0; k + 1 < b.len; k++)
				if (!b.data[k])
					b.data[k] = ' ';
			printf("%-8d %s\n", (int)pids[i], b.data ? b.data : "");
			bh_buf_release(&b);
		}
	}
	free(pids);
	return BH_EXIT_OK;
}

/* ---- exec -------------------------------------------------------------------- */

int cmd_exec(int argc, char **argv, struct bh_cli *cli)
{
	static const char usage[] =
		"usage: bulkhead exec [options] ID [--] CMD [ARG...]\n"
		"       bulkhead exec [options] --process FILE ID\n"
		"\n"
		"Run a process in a running container, with the container's seccomp filter,\n"
		"deny-list, capabilities and Landlock rules.\n"
		"\n"
		"Options:\n"
		"  -p, --process FILE        the process as runtime-spec JSON\n"
		"  -t, --tty                 allocate a pty: sent to --console-socket, or\n"
		"                            proxied to our stdin/stdout in the foreground\n"
		"  --console-socket SOCKET   send the pty master there\n"
		"  -d, --detach              do not wait for the process\n"
		"  --pid-file FILE           write the process's pid to FILE\n"
		"  --cwd DIR                 working directory in the container\n"
		"  -e, --env KEY=VALUE       add to the environment (repeatable)\n"
		"  -u, --user UID[:GID]      run as this user\n"
		"  --cap CAP                 add a capability (repeatable)\n"
		"  --no-new-privs            set no_new_privs\n"
		"  --preserve-fds N          pass fds 3..3+N-1\n"
		"  --allow-dangerous SYSCALL lift one syscall of the deny-list\n"
		"\n"
		"Exits with the process's status. See bulkhead-exec(1).\n";
	static const struct option opts[] = {
		{ "process", required_argument, NULL, 'p' },
		{ "tty", no_argument, NULL, 't' },
		{ "console-socket", required_argument, NULL, OPT_CONSOLE },
		{ "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, OPT_PID_FILE },
		{ "cwd", required_argument, NULL, OPT_CWD },
		{ "env", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "cap", required_argument, NULL, OPT_CAP },
		{ "no-new-privs", no_argument, NULL, OPT_NNP },
		{ "preserve-fds", required_argument, NULL, OPT_PRESERVE },
		{ "allow-dangerous", required_argument, NULL, OPT_ALLOW },
		{ "process-label", required_argument, NULL, OPT_IGNORED },
		{ "apparmor", required_argument, NULL, OPT_IGNORED },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_rt_exec_opts o = { 0 };
	struct bh_rt_ctx ctx;
	struct bh_error *err = NULL;
	char **env = NULL, **caps = NULL;
	size_t nenv = 0, ncaps = 0;
	int c, status = 0, r;

	while ((c = cli_getopt(argc, argv, "+p:tde:u:h", opts, "exec")) != -1) {
		switch (c) {
		case 'p': o.process_json = optarg; break;
		case 't': o.tty = true; break;
		case OPT_CONSOLE: o.console_socket = optarg; break;
		case 'd': o.detach = true; break;
		case OPT_PID_FILE: o.pid_file = optarg; break;
		case OPT_CWD: o.cwd = optarg; break;
		case 'e':
			env = bh_reallocarray(env, nenv + 2, sizeof(char *));
			env[nenv++] = optarg;
			env[nenv] = NULL;
			break;
		case 'u': o.user = optarg; break;
		case OPT_CAP:
			caps = bh_reallocarray(caps, ncaps + 2, sizeof(char *));
			caps[ncaps++] = optarg;
			caps[ncaps] = NULL;
			break;
		case OPT_NNP: o.no_new_privs = true; break;
		case OPT_PRESERVE:
			if (parse_uint("exec", "--preserve-fds", optarg, &o.preserve_fds))
				return BH_EXIT_USAGE;
			break;
		case OPT_ALLOW:
			if (add_allow("exec", optarg))
				return BH_EXIT_USAGE;
			break;
		case OPT_IGNORED: break;
		case 'h':
			free(env);
			free(caps);
			return cli_help(usage);
		default:
			free(env);
			free(caps);
			return BH_EXIT_USAGE;
		}
	}
	o.env = env;
	o.caps = caps;
	if (optind >= argc || check_preserve_fds("exec", o.preserve_fds, cli)) {
		free(env);
		free(caps);
		return optind >= argc ? cli_usage_error("exec", "expected a container ID")
				      : BH_EXIT_USAGE;
	}
	if (optind + 1 < argc && !strcmp(argv[optind + 1], "--"))
		o.args = argv + optind + 2;
	else
		o.args = argv + optind + 1;
	if (!o.process_json && !o.args[0]) {
		free(env);
		free(caps);
		return cli_usage_error("exec", "expected a command (or --process FILE)");
	}
	if (o.tty && o.detach && !o.console_socket) {
		free(env);
		free(caps);
		return cli_usage_error("exec", "--tty --detach needs --console-socket");
	}
	if ((r = seal("exec"))) {
		free(env);
		free(caps);
		return r;
	}
	ctx_init(&ctx, cli);
	r = bh_rt_exec(&ctx, argv[optind], &o, &status, &err);
	free(env);
	free(caps);
	if (r < 0)
		return cli_fail(err);
	return status;
}

/* ---- run -------------------------------------------------------------------- */

static const char run_usage[] =
	"usage: bulkhead run [options] ID                   (an OCI bundle)\n"
	"       bulkhead run [options] IMAGE [-- CMD...]    (an image, no bundle)\n"
	"\n"
	"With --bundle, or when the operand is a plain container ID (letters, digits,\n"
	"'_', '+', '-', '.'), run the bundle (default: the current directory) as\n"
	"create + start, wait and exit with the container's status. When the operand\n"
	"contains '/' or ':' (a path, or docker-archive:, oci:, oci-archive:,\n"
	"rootfs:, docker-daemon:, containers-storage:, a registry), or names an\n"
	"existing file while ./config.json does not exist, it\n"
	"is an IMAGE: unpacked once into a cache keyed by its digest, run hardened\n"
	"with a read-only root, and cleaned up.\n"
	"\n"
	"Options:\n"
	"  -b, --bundle DIR          the bundle (OCI form)\n"
	"  -t, --tty                 give the IMAGE's command a terminal (IMAGE form)\n"
	"  --pid-file FILE           write the container's pid to FILE\n"
	"  --console-socket SOCKET   send the pty master there; without it a bundle\n"
	"                            with process.terminal gets a pty proxied to\n"
	"                            this terminal (foreground only)\n"
	"  -d, --detach              do not wait (OCI form)\n"
	"  --keep                    keep the container after it exits (OCI form)\n"
	"  --preserve-fds N          pass fds 3..3+N-1\n"
	"  --no-pivot, --no-new-keyring, --allow-dangerous SYSCALL   as for create\n"
	"  --profile-learn NAME      learn the syscalls the IMAGE's command makes into\n"
	"                            the profile NAME (see bulkhead-profile(1))\n"
	"\n"
	"See bulkhead-run(1).\n";

static bool looks_like_image(const char *op)
{
	struct stat st;

	if (strchr(op, '/') || strchr(op, ':'))
		return true;
	return stat(op, &st) == 0 && access("config.json", F_OK) != 0;
}

static int run_image(const char *image, char *const *cmd, struct create_args *a, struct bh_cli *cli)
{
	struct bh_bundle_run_opts ro = { .state_root = cli->runtime_root,
					 .args = cmd,
					 .tty = a->tty };
	json_t *ann = NULL;
	struct bh_bundle_run *run = NULL;
	struct bh_image *img = NULL;
	struct bh_error *err = NULL;
	struct bh_policy_result pr = { 0 };
	struct bh_policy_image pi = { 0 };
	struct bh_rt_ctx ctx;
	int status = 0, r;

	if (bh_image_open(image, NULL, &img, &err) < 0) {
		bh_error_prefix(&err, "run %s", image);
		return cli_fail(err);
	}
	if (a->learn) {
		/* learned for this image: keyed by its ID (the config digest) */
		ann = json_pack("{s:s, s:s, s:s}", "org.bulkhead.seccomp.mode", "discover",
				"org.bulkhead.seccomp.profile", a->learn,
				"org.bulkhead.seccomp.digest", img->config_digest.str);
		ro.annotations = ann;
	}
	r = bh_bundle_prepare_run(img, &ro, &run, &err);
	json_decref(ann);
	/* the policy judges the image opened: its name, digest and config, its
	 * signatures where it is (a layout's beside it, a registry's there) */
	pi.ref = img->name && strpbrk(img->name, "/:@") ? img->name : image;
	pi.open_ref = image;
	pi.digest = img->has_manifest ? img->manifest_digest.str : NULL;
	pi.config_known = true;
	pi.user = img->config.user ? img->config.user : "";
	if (img->config.created && bh_time_parse(img->config.created, false, &pi.created, NULL) < 0)
		pi.created = 0;
	if (r < 0) {
		bh_image_free(img);
		return cli_fail(err);
	}
	ctx_init(&ctx, cli);
	a->o.bundle = run->bundle;
	a->o.image = &pi;
	a->o.policy = &pr;
	r = bh_rt_run(&ctx, run->id, &a->o, false, false, &status, &err);
	bh_image_free(img);
	bh_bundle_run_free(run);
	r = policy_outcome(&pr, r < 0 ? err : NULL);
	return r ? r : status;
}

int cmd_run(int argc, char **argv, struct bh_cli *cli)
{
	struct bh_policy_result pr = { 0 };
	struct create_args a = { 0 };
	struct bh_rt_ctx ctx;
	struct bh_error *err = NULL;
	int r = parse_create(argc, argv, "run", &a), status = 0;
	const char *op;

	if (r < 0)
		return cli_help(run_usage);
	if (r)
		return r;
	if (optind >= argc)
		return cli_usage_error("run", "expected a container ID or an IMAGE");
	if ((r = check_preserve_fds("run", a.o.preserve_fds, cli)))
		return r;
	op = argv[optind];
	if ((r = seal("run")))
		return r;
	systemd_note(cli);
	if (!a.bundle_given && looks_like_image(op)) {
		char *const *cmd = argv + optind + 1;

		if (*cmd && !strcmp(*cmd, "--"))
			cmd++;
		return run_image(op, cmd, &a, cli);
	}
	if (optind != argc - 1)
		return cli_usage_error("run", "expected one container ID (a command goes with an "
					      "IMAGE only)");
	if (a.tty)
		return cli_usage_error("run",
				       "--tty goes with an IMAGE; a bundle's process.terminal "
				       "asks for a terminal");
	if (a.learn)
		return cli_usage_error("run", "--profile-learn goes with an IMAGE; a bundle takes "
					      "the annotation org.bulkhead.seccomp.mode=discover");
	ctx_init(&ctx, cli);
	a.o.policy = &pr;
	r = bh_rt_run(&ctx, op, &a.o, a.detach, a.keep, &status, &err);
	r = policy_outcome(&pr, r < 0 ? err : NULL);
	return r ? r : status;
}

/* ---- spec, features -------------------------------------------------------------- */

int cmd_spec(int argc, char **argv, struct bh_cli *cli)
{
	static const char usage[] =
		"usage: bulkhead spec [--bundle DIR] [--stdout] [--seccomp]\n"
		"\n"
		"Write the hardened default config.json into the bundle directory (default:\n"
		"the current one; an existing config.json is not overwritten), or print it\n"
		"with --stdout. --seccomp prints the default seccomp profile instead\n"
		"(share/seccomp/default.json), used when a bundle has no linux.seccomp.\n"
		"See bulkhead-spec(1).\n";
	static const struct option opts[] = { { "bundle", required_argument, NULL, 'b' },
					      { "stdout", no_argument, NULL, OPT_STDOUT },
					      { "seccomp", no_argument, NULL, OPT_SECCOMP },
					      { "rootless", no_argument, NULL, OPT_ROOTLESS },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *bundle = ".";
	bool to_stdout = false, seccomp = false;
	struct bh_error *err = NULL;
	char *text, *path;
	json_t *spec;
	int c, r;

	(void)cli;
	while ((c = cli_getopt(argc, argv, "b:h", opts, "spec")) != -1) {
		switch (c) {
		case 'b': bundle = optarg; break;
		case OPT_STDOUT: to_stdout = true; break;
		case OPT_SECCOMP: seccomp = true; break;
		case OPT_ROOTLESS:
			return cli_usage_error("spec", "--rootless is not supported yet");
		case 'h': return cli_help(usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("spec", "takes no operands");
	if (seccomp) {
		fputs(bh_rt_default_seccomp(), stdout);
		return BH_EXIT_OK;
	}
	spec = bh_rt_default_spec();
	text = json_dumps(spec, JSON_INDENT(2));
	json_decref(spec);
	if (to_stdout) {
		printf("%s\n", text);
		free(text);
		return BH_EXIT_OK;
	}
	path = bh_asprintf("%s/config.json", bundle);
	if (access(path, F_OK) == 0) {
		r = cli_usage_error("spec", "%s exists; remove it first or use --stdout", path);
	} else {
		size_t n = strlen(text);

		text[n] = '\n';
		r = bh_write_file_atomic(path, text, n + 1, 0644, &err) < 0 ? cli_fail(err)
									    : BH_EXIT_OK;
	}
	free(path);
	free(text);
	return r;
}

int cmd_features(int argc, char **argv, struct bh_cli *cli)
{
	static const char usage[] = "usage: bulkhead features\n\nPrint what this runtime supports "
				    "(runtime-spec features.md) as JSON.\nSee "
				    "bulkhead-features(1).\n";
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	json_t *f;
	int c;

	(void)cli;
	while ((c = cli_getopt(argc, argv, "h", opts, "features")) != -1) {
		if (c == 'h')
			return cli_help(usage);
		return BH_EXIT_USAGE;
	}
	if (optind != argc)
		return cli_usage_error("features", "takes no operands");
	f = bh_rt_features();
	json_dumpf(f, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(f);
	return BH_EXIT_OK;
}
