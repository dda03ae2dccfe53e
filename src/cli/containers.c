/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead containers: every container on this host, whichever runtime and
 * engine started it (bh_ctr_list), as a table or as JSON.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "bulkhead/containers.h"
#include "banned.h"

static const char containers_usage[] =
	"usage: bulkhead containers [--json] [--engine E] [--all] [--host-root DIR]\n"
	"                           [--state-root RUNTIME:DIR]... [--docker-socket PATH]\n"
	"                           [--docker-root DIR]\n"
	"                           [--pid PID | --cgroup-id ID]\n"
	"\n"
	"List the containers on this host, whichever runtime (bulkhead, runc, crun)\n"
	"and engine (podman, docker, containerd, cri-o) started them, read from the\n"
	"runtimes' state directories, the bundles, podman's store and the Docker\n"
	"Engine API (never by running an engine).\n"
	"\n"
	"  --json                  everything known of each container, as a JSON array\n"
	"  --engine E              only the containers of engine E (bulkhead, runc,\n"
	"                          crun, podman, docker, containerd, cri-o)\n"
	"  --all                   stopped containers too\n"
	"  --host-root DIR         read the host's files under DIR (default /)\n"
	"  --state-root RT:DIR     one more state root of runtime RT (repeatable)\n"
	"  --docker-socket PATH    the Docker engine's socket (default DOCKER_HOST's\n"
	"                          unix:// path, else /var/run/docker.sock; \"\" = none)\n"
	"  --docker-root DIR       dockerd's data root, read when its socket does not\n"
	"                          answer (default /var/lib/docker)\n"
	"  --pid PID               print the container PID belongs to (the table row,\n"
	"                          or the JSON object); exit 1 if it is on the host\n"
	"  --cgroup-id ID          the same for a cgroup id as BPF reads it (cgroup2's\n"
	"                          bpf_get_current_cgroup_id, or a v1 cgroup's kernfs\n"
	"                          id): the container's cgroup or one below it\n"
	"\n"
	"Exit status: 0, 1 (--pid: not in a container), 2 usage error, 3 error.\n";

static void print_table(const struct bh_ctr_list *l)
{
	size_t i;

	printf("%-12s  %-24s  %-10s  %-32s  %-8s  %s\n", "ID", "NAME", "ENGINE", "IMAGE", "PID",
	       "POD");
	for (i = 0; i < l->n; i++) {
		const struct bh_ctr *c = &l->v[i];
		char pod[512] = "-";
		if (c->pod_name)
			snprintf(pod, sizeof(pod), "%s/%s",
				 c->pod_namespace ? c->pod_namespace : "", c->pod_name);
		printf("%-12.12s  %-24s  %-10s  %-32s  %-8d  %s\n", c->id, c->name ? c->name : "-",
		       bh_ctr_engine_name(c->engine), c->image ? c->image : "-", (int)c->pid, pod);
	}
}

int cmd_containers(int argc, char **argv, struct bh_cli *cli)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "engine", required_argument, NULL, 'e' },
		{ "all", no_argument, NULL, 'a' },
		{ "host-root", required_argument, NULL, 'r' },
		{ "state-root", required_argument, NULL, 's' },
		{ "docker-socket", required_argument, NULL, 'd' },
		{ "docker-root", required_argument, NULL, 'D' },
		{ "pid", required_argument, NULL, 'p' },
		{ "cgroup-id", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_ctr_opts o = { 0 };
	struct bh_strvec roots = BH_STRVEC_INIT;
	struct bh_ctr_list *l = NULL;
	struct bh_error *err = NULL;
	const char *dh = getenv("DOCKER_HOST");
	bool json = false;
	uint64_t pid = 0, cgid = 0;
	int c, rc = BH_EXIT_OK;
	size_t i;

	(void)cli;
	if (dh && bh_str_has_prefix(dh, "unix://"))
		o.docker_socket = dh + 7;
	optind = 1;
	while ((c = cli_getopt(argc, argv, "+h", opts, "containers")) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'a': o.include_stopped = true; break;
		case 'r': o.root = optarg; break;
		case 'd': o.docker_socket = optarg; break;
		case 'D': o.docker_root = optarg; break;
		case 's': bh_strvec_push(&roots, optarg); break;
		case 'e':
			o.engine = bh_ctr_engine_parse(optarg);
			if (!o.engine) {
				rc = cli_usage_error("containers", "--engine %s: not an engine",
						     optarg);
				goto out;
			}
			break;
		case 'p':
			if (bh_parse_u64(optarg, &pid, NULL) < 0 || pid == 0 || pid > 0x7fffffff) {
				rc = cli_usage_error("containers", "--pid %s: not a process ID",
						     optarg);
				goto out;
			}
			break;
		case 'c':
			if (bh_parse_u64(optarg, &cgid, NULL) < 0 || cgid == 0) {
				rc = cli_usage_error("containers",
						     "--cgroup-id %s: not a cgroup id", optarg);
				goto out;
			}
			break;
		case 'h': rc = cli_help(containers_usage); goto out;
		default: rc = BH_EXIT_USAGE; goto out;
		}
	}
	if (optind != argc) {
		rc = cli_usage_error("containers", "unexpected operand %s", argv[optind]);
		goto out;
	}
	o.state_roots = (const char *const *)roots.v;
	if (bh_ctr_list(&o, &l, &err) < 0) {
		rc = bh_error_code(err) == BH_ERR_USAGE
			     ? cli_usage_error("containers", "%s", err->msg)
			     : cli_fail(err);
		if (rc == BH_EXIT_USAGE)
			bh_error_free(err);
		goto out;
	}
	for (i = 0; i < l->nwarnings; i++)
		bh_log(BH_LOG_WARN, "%s", l->warnings[i]);
	if (pid && cgid) {
		rc = cli_usage_error("containers", "--pid and --cgroup-id exclude each other");
		goto out;
	}
	if (pid || cgid) {
		const struct bh_ctr *hit = pid ? bh_ctr_lookup_pid(l, &o, (pid_t)pid, &err)
					       : bh_ctr_lookup_cgroup_id(l, &o, cgid);
		if (!hit) {
			if (err) {
				rc = cli_fail(err);
				goto out;
			}
			bh_log(BH_LOG_INFO, "%s %llu: not in a container",
			       pid ? "process" : "cgroup", (unsigned long long)(pid ? pid : cgid));
			rc = BH_EXIT_FINDINGS;
			goto out;
		}
		/* the one row, or the one object */
		if (json) {
			json_t *j = bh_ctr_to_json(hit);
			char *s = json_dumps(j, JSON_INDENT(2));
			printf("%s\n", s);
			free(s);
			json_decref(j);
		} else {
			struct bh_ctr_list one = { .v = (struct bh_ctr *)hit, .n = 1 };
			print_table(&one);
		}
		goto out;
	}
	if (json) {
		json_t *a = json_array();
		char *s;
		for (i = 0; i < l->n; i++)
			json_array_append_new(a, bh_ctr_to_json(&l->v[i]));
		s = json_dumps(a, JSON_INDENT(2));
		printf("%s\n", s);
		free(s);
		json_decref(a);
	} else {
		print_table(l);
	}
out:
	bh_ctr_list_free(l);
	bh_strvec_release(&roots);
	return rc;
}
