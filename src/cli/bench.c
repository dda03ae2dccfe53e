/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead bench: the host benchmark (bh_host_bench), in one of six formats.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "bulkhead/host.h"
#include "banned.h"

static const char bench_usage[] =
	"usage: bulkhead bench host [--root DIR] [--level N] [--format FORMAT] [-o FILE]\n"
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
	"\n"
	"Exit status: 0 no check failed, 1 a check of the chosen level failed,\n"
	"2 usage error, 3 error.\n";

static int bench_host(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "level", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_host_opts o = { 0 };
	struct bh_host_report *r = NULL;
	struct bh_buf b = BH_BUF_INIT(64u << 20);
	struct cli_output out = { 0 };
	struct bh_error *err = NULL;
	const char *output = NULL;
	int c, fmt = BH_HOST_FMT_TABLE, rc = BH_EXIT_OK;
	unsigned long level = 2;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "+ho:", opts, "bench host")) != -1) {
		switch (c) {
		case 'r': o.root = optarg; break;
		case 'o': output = optarg; break;
		case 'l':
			if (!cli_parse_count(optarg, 2, &level))
				return cli_usage_error("bench host", "--level %s: not 1 or 2",
						       optarg);
			break;
		case 'f':
			fmt = bh_host_format_parse(optarg);
			if (fmt < 0)
				return cli_usage_error(
					"bench host",
					"--format %s: not table, json, docker-bench, "
					"kube-bench, junit or sarif",
					optarg);
			break;
		case 'h': return cli_help(bench_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("bench host", "unexpected operand %s", argv[optind]);
	o.level = (int)level;
	if (bh_host_bench(&o, &r, &err) < 0 ||
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
	bh_buf_release(&b);
	bh_host_report_free(r);
	return rc;
}

int cmd_bench(int argc, char **argv, struct bh_cli *cli)
{
	(void)cli;
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return argc < 2 ? cli_usage_error("bench", "which benchmark? host")
				: cli_help(bench_usage);
	if (!strcmp(argv[1], "host"))
		return bench_host(argc - 1, argv + 1);
	return cli_usage_error("bench", "unknown benchmark %s (host)", argv[1]);
}
