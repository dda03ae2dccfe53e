/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead bench: the host benchmark (bh_host_bench), in one of six formats.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "bulkhead/containers.h"
#include "bulkhead/host.h"
#include "bulkhead/vuln.h"
#include "banned.h"

static const char bench_usage[] =
	"usage: bulkhead bench host [--root DIR] [--level N] [--format FORMAT] [-o FILE]\n"
	"       bulkhead bench containers [--root DIR] [--level N] [--format FORMAT]\n"
	"                [-o FILE] [--state-root RUNTIME:DIR]... [--docker-socket PATH]\n"
	"                [--podman-socket PATH]\n"
	"\n"
	"Audit this host against NIST SP 800-190 4.5 and the CIS Docker Benchmark:\n"
	"kernel hardening sysctls, LSMs, /usr read-only, container storage on its own\n"
	"partition, time synchronisation, automatic security updates, a minimal OS,\n"
	"audit rules for the runtimes' files, and the configuration of dockerd,\n"
	"containerd, podman and bulkhead (daemon.json, config.toml, containers.conf,\n"
	"sockets and files: owner and mode). Every file is read inside --root.\n"
	"\n"
	"  --root DIR        the host's root (default /): a prepared directory with\n"
	"                    etc/, proc/sys/, proc/self/mountinfo, ... is read as the\n"
	"                    host; nothing is followed outside it\n"
	"  --level N         run the checks of level 1, or 1 and 2 (default 2)\n"
	"  --format FORMAT   table (default), json, docker-bench (docker-bench-security's\n"
	"                    log.json), kube-bench (kube-bench's --json), junit, sarif\n"
	"  -o, --output FILE write the report to FILE (atomically) instead of stdout\n"
	"Pending security updates (BH-HOST-016) match the root's OS packages against\n"
	"the advisory database (global --db, else the default); none: INFO.\n"
	"\n"
	"bench containers judges every running container of every engine (found as\n"
	"`bulkhead containers` finds them) by its OCI config.json: privileged, added\n"
	"capabilities, host namespaces, sensitive host mounts (the runtime socket\n"
	"first), writable root, no memory/CPU/pids limits, no seccomp, no\n"
	"no-new-privileges, root user; and, for dockerd's and podman's containers,\n"
	"by the engine's inspect data (GET /containers/ID/json on its API socket):\n"
	"--privileged, host ports below 1024 published, the restart policy.\n"
	"  --state-root RT:DIR    one more runtime state root (repeatable)\n"
	"  --docker-socket PATH   the Docker engine's socket (\"\" = none)\n"
	"  --podman-socket PATH   podman's API service socket (default\n"
	"                         /run/podman/podman.sock; \"\" = none)\n"
	"\n"
	"Exit status: 0 no check failed, 1 a check of the chosen level failed,\n"
	"2 usage error, 3 error.\n";

static int bench_run(int argc, char **argv, bool containers, const struct bh_cli *cli)
{
	static const struct option opts[] = {
		{ "state-root", required_argument, NULL, 's' },
		{ "docker-socket", required_argument, NULL, 'd' },
		{ "podman-socket", required_argument, NULL, 'p' },
		{ "root", required_argument, NULL, 'r' },
		{ "level", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = containers ? "bench containers" : "bench host";
	struct bh_strvec roots = BH_STRVEC_INIT;
	struct bh_ctr_opts co = { 0 };
	struct bh_host_opts o = { 0 };
	struct bh_host_report *r = NULL;
	struct bh_buf b = BH_BUF_INIT(64u << 20);
	struct cli_output out = { 0 };
	struct bh_error *err = NULL;
	const char *output = NULL;
	char *db = NULL;
	int c, fmt = BH_HOST_FMT_TABLE, rc = BH_EXIT_OK;
	unsigned long level = 2;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "+ho:", opts, cmd)) != -1) {
		if (!containers && (c == 's' || c == 'd' || c == 'p')) {
			rc = cli_usage_error(cmd, "--%s is an option of bench containers",
					     c == 's'	? "state-root"
					     : c == 'd' ? "docker-socket"
							: "podman-socket");
			goto out;
		}
		switch (c) {
		case 's': bh_strvec_push(&roots, optarg); break;
		case 'd': co.docker_socket = optarg; break;
		case 'p': co.podman_socket = optarg; break;
		case 'r': o.root = optarg; break;
		case 'o': output = optarg; break;
		case 'l':
			if (!cli_parse_count(optarg, 2, &level)) {
				rc = cli_usage_error(cmd, "--level %s: not 1 or 2", optarg);
				goto out;
			}
			break;
		case 'f':
			fmt = bh_host_format_parse(optarg);
			if (fmt < 0) {
				rc = cli_usage_error(cmd,
						     "--format %s: not table, json, docker-bench, "
						     "kube-bench, junit or sarif",
						     optarg);
				goto out;
			}
			break;
		case 'h': rc = cli_help(bench_usage); goto out;
		default: rc = BH_EXIT_USAGE; goto out;
		}
	}
	if (optind != argc) {
		rc = cli_usage_error(cmd, "unexpected operand %s", argv[optind]);
		goto out;
	}
	o.level = (int)level;
	o.db = db = bh_vuln_store_default_path(cli->db_path);
	co.state_roots = (const char *const *)roots.v;
	if ((containers ? bh_host_bench_containers(&o, &co, &r, &err)
			: bh_host_bench(&o, &r, &err)) < 0 ||
	    bh_host_report_write(r, (enum bh_host_format)fmt, &b, &err) < 0 ||
	    cli_output_open(&out, output, &err) < 0) {
		rc = cli_fail(err);
		goto out;
	}
	if (fwrite(b.data, 1, b.len, out.fp) != b.len || fflush(out.fp) != 0) {
		bh_error_sys(&err, errno, "writing the report");
		cli_output_close(&out, false, NULL);
		rc = cli_fail(err);
		goto out;
	}
	if (cli_output_close(&out, true, &err) < 0) {
		rc = cli_fail(err);
		goto out;
	}
	rc = bh_host_report_failed(r) ? BH_EXIT_FINDINGS : BH_EXIT_OK;
out:
	free(db);
	bh_strvec_release(&roots);
	bh_buf_release(&b);
	bh_host_report_free(r);
	return rc;
}

int cmd_bench(int argc, char **argv, struct bh_cli *cli)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return argc < 2 ? cli_usage_error("bench", "which benchmark? host or containers")
				: cli_help(bench_usage);
	if (!strcmp(argv[1], "host"))
		return bench_run(argc - 1, argv + 1, false, cli);
	if (!strcmp(argv[1], "containers"))
		return bench_run(argc - 1, argv + 1, true, cli);
	return cli_usage_error("bench", "unknown benchmark %s (host, containers)", argv[1]);
}
