/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead: the command table and dispatch.
 *
 *   bulkhead [global options] <command> [options] [args]
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "banned.h"

/* Every command, in the order `bulkhead --help` lists them. */
const struct bh_command bh_commands[] = {
	{ "image", cmd_image, "inspect, list, unpack or bundle a container image" },
	{ "scan", cmd_scan, "find vulnerabilities, configuration defects, secrets and malware" },
	{ "sbom", cmd_sbom, "list the packages of an image: table, JSON, CycloneDX or SPDX" },
	{ "db", cmd_db, "import, update and inspect the advisory database" },
	{ "key", cmd_key, "generate a cosign-compatible signing key pair" },
	{ "sign", cmd_sign, "sign an image's digest (cosign's signature layout)" },
	{ "verify", cmd_verify, "verify an image's signatures or attestations by digest" },
	{ "attest", cmd_attest, "attach a signed SBOM or scan to an image's digest (in-toto)" },
	{ "pull", cmd_pull, "copy an image from a registry to an OCI layout or docker-archive" },
	{ "push", cmd_push, "send an image to a registry" },
	{ "registry", cmd_registry,
	  "list a repository's tags; show manifests, digests, referrers; audit tags" },
	{ "policy", cmd_policy,
	  "validate policies; check manifests, images and bundles against them" },
	{ "serve", cmd_serve, "the controller: users, tokens, audit log and the REST API (HTTPS)" },
	{ "agent", cmd_agent, "the node agent: the monitor, reporting to the controller" },
	{ "admission", cmd_admission,
	  "serve the policy as a Kubernetes admission webhook (HTTPS)" },
	{ "rules", cmd_rules,
	  "check runtime monitor rules (Falco's language); test them on JSON events" },
	{ "monitor", cmd_monitor,
	  "watch processes and containers: rules, alerts, actions, outputs" },
	{ "profile", cmd_profile,
	  "learned syscall profiles: list, show, diff, merge, export, import" },
	{ "create", cmd_create, "OCI runtime: create a container from a bundle" },
	{ "start", cmd_start, "OCI runtime: start a created container" },
	{ "state", cmd_state, "OCI runtime: print a container's state as JSON" },
	{ "kill", cmd_kill, "OCI runtime: send a signal to a container" },
	{ "delete", cmd_delete, "OCI runtime: delete a container" },
	{ "run", cmd_run, "run a bundle (create, start, wait) or an image, hardened" },
	{ "exec", cmd_exec, "OCI runtime: run a process in a running container" },
	{ "list", cmd_list, "OCI runtime: list containers" },
	{ "ps", cmd_ps, "OCI runtime: list the processes of a container" },
	{ "pause", cmd_pause, "OCI runtime: freeze a container" },
	{ "resume", cmd_resume, "OCI runtime: thaw a paused container" },
	{ "containers", cmd_containers,
	  "list the containers on this host, of every runtime and engine" },
	{ "quarantine", cmd_quarantine, "freeze a container and cut its network; list, release" },
	{ "guard", cmd_guard,
	  "block a container's execs and connects; kill checked by start time" },
	{ "net", cmd_net, "the layer-7 firewall's engine: inspect a pcap/pcapng capture's flows" },
	{ "bench", cmd_bench, "benchmark this host and its engines (CIS Docker, SP 800-190 4.5)" },
	{ "spec", cmd_spec, "write the hardened default config.json" },
	{ "features", cmd_features, "OCI runtime: print the supported features" },
	{ "version", cmd_version, "print versions; compare versions of a package scheme" },
	{ "help", cmd_help, "show help for bulkhead or one of its commands" },
	{ NULL, NULL, NULL },
};

static const char global_usage[] =
	"usage: bulkhead [global options] <command> [options] [args]\n"
	"\n"
	"bulkhead is a container security toolkit (NIST SP 800-190): it reads images,\n"
	"lists their packages, scans them for known vulnerabilities, configuration\n"
	"defects, secrets and malware, and runs containers with a hardened OCI\n"
	"runtime that podman and docker can use.\n"
	"\n"
	"Global options:\n"
	"  --log-level LEVEL     error, warn (default), info or debug\n"
	"  --log-format FORMAT   text (default) or json; logs go to stderr\n"
	"  --color WHEN          auto (default), always or never; NO_COLOR is honoured\n"
	"  --db PATH             the local database (default $BULKHEAD_DB, else\n"
	"                        $XDG_CACHE_HOME/bulkhead/db.sqlite or /var/lib/bulkhead)\n"
	"  --root DIR            runtime state (default /run/bulkhead)\n"
	"  --log FILE            write logs to FILE instead of stderr\n"
	"  --systemd-cgroup      accepted for OCI runtime compatibility\n"
	"  --policy FILE         the policy the runtime enforces at create (repeatable;\n"
	"                        composed in order; replaces the policy directory)\n"
	"  --policy-dir DIR      the policy directory (default $BULKHEAD_POLICY_DIR,\n"
	"                        else /etc/bulkhead/policy.d): its *.yaml in name order\n"
	"  --debug               the same as --log-level debug\n"
	"  -h, --help            show this help\n"
	"  -V, --version         show versions\n"
	"\n"
	"Commands:\n";

static void print_commands(FILE *fp)
{
	for (const struct bh_command *c = bh_commands; c->name; c++)
		fprintf(fp, "  %-12s  %s\n", c->name, c->summary);
	fputs("\nRun 'bulkhead <command> --help' for a command's options; man bulkhead(1).\n"
	      "Exit codes: 0 clean, 1 findings or violation, 2 usage error, 3 runtime error.\n",
	      fp);
}

const struct bh_command *cli_find_command(const char *name)
{
	for (const struct bh_command *c = bh_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);

			cur[j] = del < ins ? del : ins;
			if (sub < cur[j])
				cur[j] = sub;
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return prev[lb];
}

const char *cli_suggest_command(const char *name)
{
	const char *best = NULL;
	size_t bestd = 3; /* suggest only within two edits */

	for (const struct bh_command *c = bh_commands; c->name; c++) {
		size_t d = edit_distance(name, c->name);

		if (d < bestd) {
			bestd = d;
			best = c->name;
		}
	}
	return best;
}

int cmd_help(int argc, char **argv, struct bh_cli *cli)
{
	const struct bh_command *c;
	char *args[] = { NULL, "--help", NULL };

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return cli_help("usage: bulkhead help [COMMAND]\n\n"
				"Without COMMAND, list the commands; with one, show its usage.\n");
	if (argc < 2) {
		fputs(global_usage, stdout);
		print_commands(stdout);
		return BH_EXIT_OK;
	}
	c = cli_find_command(argv[1]);
	if (!c)
		return cli_usage_error("help", "unknown command '%s'", argv[1]);
	args[0] = argv[1];
	optind = 0;
	return c->fn(2, args, cli);
}

static int parse_color(const char *when, struct bh_cli *cli)
{
	const char *nc = getenv("NO_COLOR");
	bool no_color = nc && *nc;

	if (!strcmp(when, "always")) {
		cli->color_stdout = cli->color_stderr = true;
	} else if (!strcmp(when, "never")) {
		cli->color_stdout = cli->color_stderr = false;
	} else if (!strcmp(when, "auto")) {
		const char *term = getenv("TERM");
		bool dumb = term && !strcmp(term, "dumb");

		cli->color_stdout = !no_color && !dumb && isatty(STDOUT_FILENO);
		cli->color_stderr = !no_color && !dumb && isatty(STDERR_FILENO);
	} else {
		return -1;
	}
	return 0;
}

int bulkhead_main(int argc, char **argv);

int bulkhead_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log-level", required_argument, NULL, 'L' },
		{ "log-format", required_argument, NULL, 'F' },
		{ "color", required_argument, NULL, 'C' },
		{ "colour", required_argument, NULL, 'C' },
		{ "db", required_argument, NULL, 'D' },
		{ "root", required_argument, NULL, 'R' },
		{ "log", required_argument, NULL, 'G' },
		{ "systemd-cgroup", no_argument, NULL, 'S' },
		{ "policy", required_argument, NULL, 'P' },
		{ "policy-dir", required_argument, NULL, 'Q' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_cli cli = { 0 };
	const struct bh_command *cmd;
	const char *color = "auto";
	int c, level;

	/*
	 * tpm2-tss logs its errors to stderr; ours carry them (decoded, naming
	 * the TCTI). Set here, before any thread, not in the library
	 * (setenv is not thread-safe); a TSS2_LOG already set wins.
	 */
	setenv("TSS2_LOG", "all+none", 0);
	cli.inherited_fd_end = cli_first_closed_fd();
	cli.log_fp = stderr;
	cli.db_path = getenv("BULKHEAD_DB");
	cli.policy_dir = getenv("BULKHEAD_POLICY_DIR");
	if (cli.policy_dir && !*cli.policy_dir)
		cli.policy_dir = NULL;
	if (cli.db_path && !*cli.db_path)
		cli.db_path = NULL;
	parse_color(color, &cli);
	cli_log_init(&cli);
	bh_log_set_level(BH_LOG_WARN);

	optind = 0;
	while ((c = cli_getopt(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (c) {
		case 'L':
			level = bh_log_level_parse(optarg);
			if (level < 0)
				return cli_usage_error(
					NULL,
					"--log-level: unknown level '%s' (error, warn, "
					"info or debug)",
					optarg);
			bh_log_set_level((enum bh_log_level)level);
			break;
		case 'F':
			if (!strcmp(optarg, "text"))
				cli.log_format = CLI_LOG_TEXT;
			else if (!strcmp(optarg, "json"))
				cli.log_format = CLI_LOG_JSON;
			else
				return cli_usage_error(
					NULL, "--log-format: unknown format '%s' (text or json)",
					optarg);
			break;
		case 'C':
			color = optarg;
			if (parse_color(color, &cli) < 0)
				return cli_usage_error(
					NULL, "--color: unknown value '%s' (auto, always or never)",
					optarg);
			break;
		case 'D': cli.db_path = optarg; break;
		case 'R': cli.runtime_root = optarg; break;
		case 'G':
			if (cli.log_fp && cli.log_fp != stderr)
				fclose(cli.log_fp);
			cli.log_path = optarg;
			cli.log_fp = fopen(optarg, "ae");
			if (!cli.log_fp) {
				cli.log_fp = stderr;
				return cli_usage_error(NULL, "--log: cannot open '%s': %s", optarg,
						       strerror(errno));
			}
			cli.color_stderr = false;
			break;
		case 'S': cli.systemd_cgroup = true; break;
		case 'P': bh_strvec_push(&cli.policy_files, optarg); break;
		case 'Q': cli.policy_dir = optarg; break;
		case 'd':
			cli.debug = true;
			bh_log_set_level(BH_LOG_DEBUG);
			break;
		case 'h':
			fputs(global_usage, stdout);
			print_commands(stdout);
			return BH_EXIT_OK;
		case 'V': cli_print_version(stdout); return BH_EXIT_OK;
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(global_usage, stderr);
		print_commands(stderr);
		return BH_EXIT_USAGE;
	}
	cmd = cli_find_command(argv[optind]);
	if (!cmd) {
		const char *s = cli_suggest_command(argv[optind]);

		if (s)
			fprintf(stderr,
				"bulkhead: unknown command '%s'; did you mean '%s'? (see 'bulkhead "
				"--help')\n",
				argv[optind], s);
		else
			fprintf(stderr, "bulkhead: unknown command '%s' (see 'bulkhead --help')\n",
				argv[optind]);
		return BH_EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	optind = 0; /* full getopt re-initialisation for the command */
	c = cmd->fn(argc, argv, &cli);
	bh_strvec_release(&cli.policy_files);
	return c;
}

#ifndef BH_TEST_NO_MAIN
int main(int argc, char **argv)
{
	int r = bulkhead_main(argc, argv);

	if (fflush(stdout) != 0 && r == BH_EXIT_OK) {
		fprintf(stderr, "bulkhead: error: writing to standard output failed\n");
		r = BH_EXIT_ERROR;
	}
	return r;
}
#endif
