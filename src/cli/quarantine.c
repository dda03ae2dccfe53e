/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead quarantine ID | list | release ID: freeze a container and cut its
 * network, list what is quarantined, release it (bh_quar_apply, bh_quar_list,
 * bh_quar_release).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "bulkhead/quarantine.h"
#include "banned.h"

static const char quarantine_usage[] =
	"usage: bulkhead quarantine ID [--reason TEXT]\n"
	"       bulkhead quarantine list [--json]\n"
	"       bulkhead quarantine release ID\n"
	"\n"
	"Freeze every process of a running container (cgroup freezer) and cut its\n"
	"network in both directions (nftables tables in its network namespace), of\n"
	"any runtime or engine; keep it for forensics; release it on command. ID is\n"
	"a container ID, a unique ID prefix or a name.\n"
	"\n"
	"  --reason TEXT           why (kept in the record)\n"
	"  --json                  list: the records as a JSON array\n"
	"  --state-dir DIR         the records (default " BH_QUAR_STATE_DIR ")\n"
	"  --state-root RT:DIR     one more runtime state root to find containers in\n"
	"                          (repeatable; the global --root adds bulkhead's)\n"
	"  --docker-socket PATH    the Docker engine's socket (\"\" = do not ask)\n"
	"\n"
	"Release acts only on the live container the record names (its freezer and,\n"
	"through the inventory, its init): else it refuses and keeps the record.\n"
	"\n"
	"Exit status: 0, 2 usage error, 3 error (unknown or ambiguous ID, permission,\n"
	"a container that exited meanwhile, a record that does not describe it).\n";

/* printf's "%-W.Ps" of untrusted text, made safe for the terminal first. */
static void cell(const char *s, int w, bool last)
{
	char *t = cli_text_safe(s);

	if (last)
		printf("%s\n", t);
	else
		printf("%-*.*s  ", w, w, t);
	free(t);
}

static void print_list(const struct bh_quar_record *v, size_t n)
{
	printf("%-12s  %-20s  %-9s  %-24s  %-7s  %-7s  %-6s  %s\n", "ID", "NAME", "ENGINE", "SINCE",
	       "EXISTS", "FROZEN", "CUT", "REASON");
	for (size_t i = 0; i < n; i++) {
		const struct bh_quar_record *r = &v[i];

		cell(r->id, 12, false);
		cell(r->name ? r->name : r->id, 20, false);
		printf("%-9s  ", bh_ctr_engine_name(r->engine));
		cell(r->time ? r->time : "-", 24, false);
		printf("%-7s  %-7s  %-6s  ", r->exists ? "yes" : "no", r->frozen ? "yes" : "no",
		       r->net == BH_QUAR_NET_HOST ? "host"
		       : r->cut			  ? "yes"
						  : "no");
		cell(r->reason && *r->reason ? r->reason : "-", 0, true);
	}
}

/* What list left out, on stderr: never silently. */
static void print_list_info(const struct bh_quar_list_info *info, size_t n)
{
	if (info->truncated)
		fprintf(stderr,
			"bulkhead: warning: more quarantine records than list reads: only %zu "
			"listed (release and resume still find any by its whole ID)\n",
			n);
	if (info->skipped) {
		char *t = cli_text_safe(info->first_skipped);

		fprintf(stderr,
			"bulkhead: warning: %zu file%s in the state directory %s not a "
			"record (%s)\n",
			info->skipped, info->skipped == 1 ? "" : "s",
			info->skipped == 1 ? "is" : "are", t);
		free(t);
	}
}

int cmd_quarantine(int argc, char **argv, struct bh_cli *cli)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "state-root", required_argument, NULL, 's' },
		{ "docker-socket", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_quar_opts qo = { 0 };
	struct bh_ctr_opts co = { 0 };
	struct bh_strvec roots = BH_STRVEC_INIT;
	struct bh_error *err = NULL;
	struct bh_quar_record *rec = NULL, *v = NULL;
	struct bh_quar_list_info info;
	const char *reason = NULL, *dh = getenv("DOCKER_HOST"), *verb;
	bool json = false;
	size_t n = 0;
	int c, rc = BH_EXIT_OK;

	if (dh && bh_str_has_prefix(dh, "unix://"))
		co.docker_socket = dh + 7;
	optind = 0;
	while ((c = cli_getopt(argc, argv, "h", opts, "quarantine")) != -1) {
		switch (c) {
		case 'r': reason = optarg; break;
		case 'j': json = true; break;
		case 'S': qo.state_dir = optarg; break;
		case 's': bh_strvec_push(&roots, optarg); break;
		case 'd': co.docker_socket = optarg; break;
		case 'h': rc = cli_help(quarantine_usage); goto out;
		default: rc = BH_EXIT_USAGE; goto out;
		}
	}
	if (optind >= argc) {
		rc = cli_usage_error("quarantine", "expected a container ID, list or release");
		goto out;
	}
	if (cli->runtime_root)
		bh_strvec_pushf(&roots, "bulkhead:%s", cli->runtime_root);
	co.state_roots = (const char *const *)roots.v;
	qo.ctr = &co;
	verb = argv[optind];
	if (!strcmp(verb, "list")) {
		if (optind + 1 != argc || reason) {
			rc = cli_usage_error("quarantine", "list takes no ID and no --reason");
			goto out;
		}
		if (bh_quar_list(&qo, &v, &n, &info, &err) < 0) {
			rc = cli_fail_safe(err);
			goto out;
		}
		print_list_info(&info, n);
		if (json) {
			json_t *a = json_array();

			for (size_t i = 0; i < n; i++)
				json_array_append_new(a, bh_quar_record_to_json(&v[i]));
			cli_print_json(a, JSON_SORT_KEYS);
		} else {
			print_list(v, n);
		}
	} else if (!strcmp(verb, "release")) {
		int r;

		if (optind + 2 != argc || reason || json) {
			rc = cli_usage_error("quarantine", "release takes one ID and no option");
			goto out;
		}
		r = bh_quar_release(&qo, argv[optind + 1], &err);
		if (r < 0) {
			rc = cli_fail_safe(err);
			goto out;
		}
		if (r == 1)
			fprintf(stderr,
				"bulkhead: container %s exited while quarantined: its record is "
				"removed\n",
				argv[optind + 1]);
		else
			fprintf(stderr, "bulkhead: released %s\n", argv[optind + 1]);
	} else {
		if (optind + 1 != argc || json) {
			rc = cli_usage_error("quarantine", "expected one container ID");
			goto out;
		}
		if (bh_quar_apply(&qo, verb, reason, &rec, &err) < 0) {
			rc = cli_fail_safe(err);
			goto out;
		}
		if (rec->net == BH_QUAR_NET_HOST)
			fprintf(stderr,
				"bulkhead: warning: %s shares the host's network namespace: "
				"frozen, "
				"network not cut\n",
				rec->id);
		fprintf(stderr, "bulkhead: %s %s (%s): frozen%s, %.1f ms\n",
			rec->again ? "already quarantined:" : "quarantined", rec->id,
			bh_ctr_engine_name(rec->engine),
			rec->net == BH_QUAR_NET_CUT ? ", network cut" : "",
			(double)rec->apply_ns / 1e6);
		cli_print_json(bh_quar_record_to_json(rec), JSON_SORT_KEYS);
	}
out:
	bh_quar_record_free(rec);
	bh_quar_records_free(v, n);
	bh_strvec_release(&roots);
	return rc;
}
