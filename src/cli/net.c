/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead net: the container firewall (issue 16). Today one subcommand:
 * `net inspect --pcap FILE` runs the packet engine over a capture file
 * (bh_net_inspect_pcap) and prints one JSON object per flow; `net run`
 * puts chosen containers' traffic through it live (bh_net_live_run).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "bulkhead/containers.h"
#include "bulkhead/net.h"
#include "bulkhead/netpolicy.h"
#include "bulkhead/policy.h"
#include "bulkhead/quarantine.h"
#include "banned.h"

static const char net_usage[] =
	"usage: bulkhead net inspect --pcap FILE [--policy FILE]... [--group NAME=CIDR,...]...\n"
	"                            [--learn OUT] [--max-flows N] [--capture-dir DIR]\n"
	"                            [--sensor NAME=EXPR]...\n"
	"       bulkhead net graph --pcap FILE [--format json|dot] [--max-flows N]\n"
	"       bulkhead net capture (CONTAINER | --netns PATH) -w FILE [--duration D]\n"
	"                            [--count N] [--max-bytes B] [--state-root RT:DIR]\n"
	"       bulkhead net run [--container REF]... [--label KEY=VALUE]... [--all]\n"
	"                        [--netns PATH]... [--mode monitor|protect] [--fail open|closed]\n"
	"                        [--no-offload] [--accept-all] [--queue N] [--copy-range BYTES]\n"
	"                        [--policy FILE]... [--state-root RT:DIR]...\n"
	"                        [--quarantine SEVERITY] [--quarantine-dir DIR] [--refresh-ms MS]\n"
	"                        [--sensor NAME=EXPR]...\n"
	"\n"
	"The layer-7 container firewall's packet engine.\n"
	"\n"
	"inspect: read a pcap or pcapng capture (Ethernet with VLAN tags, Linux cooked\n"
	"v1/v2, raw IP, loopback), reassemble IP fragments and TCP streams, identify\n"
	"each flow's application protocol, and print one JSON object per line per flow\n"
	"as it ends (schema in bulkhead-net(1)); a summary goes to stderr.\n"
	"  --pcap FILE             the capture file\n"
	"  --policy FILE           decide each flow by the network policy in FILE\n"
	"                          (networkGroup and network rules; repeatable, the\n"
	"                          files compose): each flow's `rule` and `verdict`\n"
	"  --group NAME=CIDR,...   the group NAME is these addresses (a refinement after\n"
	"                          the files: the capture's addresses put in groups;\n"
	"                          a new NAME is a group in protect)\n"
	"  --learn OUT             write the allow rules that would let exactly what\n"
	"                          the discover-mode groups were seen to do (needs\n"
	"                          --policy or --group); OUT '-' is stderr\n"
	"  --max-flows N           flows tracked at once (default 65536); the oldest is\n"
	"                          ended (and printed) to make room\n"
	"  --capture-dir DIR       keep a ring of each flow's last packets; a flow's first\n"
	"                          threat or data-leak match writes them and those after\n"
	"                          it to DIR/bh-*.pcap (the flow's \"capture\"); made if\n"
	"                          missing; the oldest bh-*.pcap go past 1 GiB in DIR\n"
	"  --sensor NAME=EXPR      a data-leak sensor: the vectorscan expression EXPR over\n"
	"                          each flow's cleartext raises BH-NET-DLP-SENSOR, dlp\n"
	"                          type NAME (a-z, 0-9, '-', '_'); repeatable, 256 at most\n"
	"\n"
	"graph: the flows of a capture aggregated per (source group, destination\n"
	"group, server port, application): sessions, bytes, last seen, verdicts,\n"
	"threats; as JSON, or Graphviz DOT with --format dot (groups: addresses).\n"
	"\n"
	"capture: record a container's traffic (every interface of its network\n"
	"namespace, both ways) to a pcap (Linux cooked capture) until --duration,\n"
	"--count packets, --max-bytes of file (default 1 GiB) or SIGINT. CONTAINER is\n"
	"an ID, ID prefix or name of any engine's container (see bulkhead containers;\n"
	"--state-root adds a runtime state directory); --netns takes a namespace path.\n"
	"\n"
	"run: a foreground daemon: in the network namespace of each chosen container\n"
	"(by ID, ID prefix or name; by engine or pod label; --all) or namespace file,\n"
	"send its traffic through NFQUEUE (iptables-nft chain BULKHEAD-NET) to the\n"
	"engine; one JSON flow record per line on stdout as each flow ends; SIGTERM or\n"
	"SIGINT removes the rules and exits 0.\n"
	"  --mode monitor|protect  protect drops flows with a threat of high severity or\n"
	"                          more (default monitor: report only)\n"
	"  --fail open|closed      when the daemon is gone or cannot keep up, the kernel\n"
	"                          accepts (open, default) or drops (closed) the traffic\n"
	"  --no-offload            keep queueing flows the engine has settled\n"
	"  --accept-all            no inspection: accept every packet (a benchmark anchor)\n"
	"  --queue N               the NFQUEUE number in each namespace (default 0)\n"
	"  --copy-range BYTES      bytes of each packet inspected (default, most: 65531)\n"
	"  --policy FILE           decide each flow by the network policy in FILE; its\n"
	"                          groups by labels, images and container IDs resolve to\n"
	"                          the containers' addresses, read again every 2 s\n"
	"                          (not read for a policy of CIDR groups only)\n"
	"  --state-root RT:DIR     also find the containers of runtime RT (runc, crun,\n"
	"                          bulkhead) under the state directory DIR\n"
	"  --quarantine SEVERITY   a flow with a threat of SEVERITY (low, medium, high,\n"
	"                          critical) or over quarantines its client container\n"
	"                          (frozen, network cut: bulkhead-quarantine(1)); a\n"
	"                          policy rule with verdict quarantine does too\n"
	"  --quarantine-dir DIR    the quarantine records (default /run/bulkhead/quarantine)\n"
	"  --refresh-ms MS         list the containers again this often (default 2000; a\n"
	"                          runtime's state change lists them at once)\n"
	"  --sensor NAME=EXPR      a data-leak sensor, as for inspect: a match in a flow's\n"
	"                          cleartext (across TCP segments) raises BH-NET-DLP-SENSOR\n"
	"                          (medium: --mode protect reports it, does not drop it)\n"
	"\n"
	"Exit status (inspect): 0 no threat and every flow allowed, 1 a threat was seen or a\n"
	"flow alerted or denied, 2 usage error, 3 error (a broken capture file: the\n"
	"message names the byte offset and the record; a policy that does not\n"
	"validate: each problem with its file, line and column).\n";

struct inspect_ctx {
	uint64_t flows, with_threats, alerted, denied;
	uint64_t alerts; /* net run: alert lines printed as they happened */
	bool write_failed;
	struct bh_netpol_learn *learn;
};

static void learn_record(const struct bh_net_flow_record *f, const struct bh_net_rec *rec,
			 void *arg)
{
	struct inspect_ctx *c = arg;

	bh_netpol_learn_record(c->learn, f, rec);
}

static void print_flow(const struct bh_net_flow_record *r, void *arg)
{
	struct inspect_ctx *c = arg;
	json_t *j = bh_net_flow_to_json(r);
	char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));

	c->flows++;
	if (r->n_threats)
		c->with_threats++;
	if (r->verdict && !strcmp(r->verdict, "alert"))
		c->alerted++;
	if (r->verdict && !strcmp(r->verdict, "deny"))
		c->denied++;
	if (c->learn)
		bh_netpol_learn_flow(c->learn, r);
	if (!s || printf("%s\n", s) < 0)
		c->write_failed = true;
	free(s);
	json_decref(j);
}

/* net run: an alert as it happens, one line (stdout is line-buffered there) */
static void print_alert(const struct bh_net_flow_record *r, const struct bh_net_alert *a, void *arg)
{
	struct inspect_ctx *c = arg;
	json_t *j = bh_net_alert_to_json(r, a);
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;

	c->alerts++;
	if (!s || printf("%s\n", s) < 0)
		c->write_failed = true;
	free(s);
	json_decref(j);
}

/* `--group NAME=CIDR,...` as a policy document refining (or adding) the group. */
static char *group_doc(const char *arg)
{
	const char *eq = strchr(arg, '=');
	json_t *cidrs, *rule, *doc;
	char *out;

	if (!eq || eq == arg)
		return NULL;
	cidrs = json_array();
	for (const char *p = eq + 1; *p;) {
		size_t n = strcspn(p, ",");

		json_array_append_new(cidrs, json_stringn(p, n));
		p += n;
		if (*p == ',')
			p++;
	}
	/* the addresses replace every selector (null removes a member: a merge patch) */
	rule = json_pack("{s:s%,s:s,s:o,s:n,s:n,s:n}", "name", arg, (size_t)(eq - arg), "kind",
			 "networkGroup", "cidrs", cidrs, "labels", "images", "containers");
	doc = json_pack("{s:s,s:s,s:{s:[o]}}", "apiVersion", "bulkhead.dev/v1alpha1", "kind",
			"Policy", "spec", "rules", rule);
	out = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	return out;
}

/* The policy files and --group refinements composed and compiled into a
 * network policy. */
static int load_policy(char **files, size_t n, char **groups, size_t ng, struct bh_netpol **out)
{
	struct bh_policy *p = bh_policy_new();
	struct bh_policy_diags d = { 0 };
	struct bh_error *err = NULL;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++)
		rc = bh_policy_add_file(p, files[i], &d, &err);
	for (size_t i = 0; i < ng && rc == 0; i++) {
		char *doc = group_doc(groups[i]);

		rc = bh_policy_add(p, doc, strlen(doc), "--group", NULL, &d, &err);
		free(doc);
	}
	if (rc == 0)
		rc = bh_policy_compile(p, &d, &err);
	for (size_t i = 0; i < d.n; i++) {
		const struct bh_policy_diag *g = &d.v[i];

		if (g->line)
			fprintf(stderr, "%s:%zu:%zu: error: %s\n", g->file, g->line, g->column,
				g->message);
		else
			fprintf(stderr, "%s: error: %s\n", g->file, g->message);
	}
	if (rc == 0)
		rc = bh_policy_net(p, out, &err) < 0 ? -1 : 0;
	bh_policy_diags_release(&d);
	bh_policy_free(p);
	if (rc < 0)
		return cli_fail(err);
	return 0;
}

static int write_learned(struct inspect_ctx *c, const char *path)
{
	struct bh_buf b = BH_BUF_INIT(64 * 1024 * 1024);
	struct cli_output o;
	struct bh_error *err = NULL;
	int n;

	n = bh_netpol_learn_write(c->learn, &b, &err);
	if (n < 0 || cli_output_open(&o, strcmp(path, "-") ? path : NULL, &err) < 0) {
		bh_buf_release(&b);
		return cli_fail(err);
	}
	if (!strcmp(path, "-")) {
		fwrite(b.data, 1, b.len, stderr);
		bh_buf_release(&b);
		return cli_output_close(&o, true, &err) < 0 ? cli_fail(err) : 0;
	}
	fwrite(b.data, 1, b.len, o.fp);
	bh_buf_release(&b);
	if (cli_output_close(&o, !ferror(o.fp), &err) < 0)
		return cli_fail(err);
	fprintf(stderr, "net inspect: %d rule%s learned into %s\n", n, n == 1 ? "" : "s", path);
	return 0;
}

#define BH_DLP_CLI_SENSORS 256 /* the engine's limit (src/net/dlp.h) */

/* `--sensor NAME=EXPR` into v[*n] (net inspect and net run): the name and the
 * expression point into arg, cut at the '='; the engine checks the name and
 * compiles the expression. */
static int add_sensor(struct bh_net_sensor *v, size_t *n, char *arg, const char *cmd)
{
	char *eq = strchr(arg, '=');

	if (!eq || eq == arg || !eq[1] || *n == BH_DLP_CLI_SENSORS)
		return cli_usage_error(cmd, "--sensor: NAME=EXPR, at most %d, not '%s'",
				       BH_DLP_CLI_SENSORS, arg);
	*eq = 0; /* argv is ours to cut */
	v[*n].name = arg;
	v[(*n)++].pattern = eq + 1;
	return 0;
}

static int net_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pcap", required_argument, NULL, 'p' },
		{ "policy", required_argument, NULL, 'P' },
		{ "learn", required_argument, NULL, 'l' },
		{ "group", required_argument, NULL, 'g' },
		{ "max-flows", required_argument, NULL, 'm' },
		{ "capture-dir", required_argument, NULL, 'c' },
		{ "sensor", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_net_sensor sensors[BH_DLP_CLI_SENSORS];
	size_t n_sensors = 0;
	struct bh_net_opts o = { 0 };
	struct bh_net_stats st = { 0 };
	struct inspect_ctx ctx = { 0 };
	struct bh_error *err = NULL;
	const char *pcap = NULL, *learn = NULL;
	struct bh_strvec policies = BH_STRVEC_INIT, groups = BH_STRVEC_INIT;
	struct bh_netpol *np = NULL;
	uint64_t v;
	int c, rc;

	optind = 0;
	while ((c = cli_getopt(argc, argv, "h", opts, "net inspect")) != -1) {
		switch (c) {
		case 'p': pcap = optarg; break;
		case 'c': o.capture_dir = optarg; break;
		case 's':
			if (add_sensor(sensors, &n_sensors, optarg, "net inspect")) {
				bh_strvec_release(&policies);
				bh_strvec_release(&groups);
				return BH_EXIT_USAGE;
			}
			break;
		case 'P': bh_strvec_push(&policies, optarg); break;
		case 'l': learn = optarg; break;
		case 'g': {
			char *doc = group_doc(optarg);

			if (!doc) {
				bh_strvec_release(&policies);
				bh_strvec_release(&groups);
				return cli_usage_error("net inspect",
						       "--group: NAME=CIDR[,CIDR...], not '%s'",
						       optarg);
			}
			free(doc);
			bh_strvec_push(&groups, optarg);
			break;
		}
		case 'm':
			if (bh_parse_u64(optarg, &v, NULL) < 0 || v == 0 || v > 16 * 1024 * 1024)
				return cli_usage_error("net inspect",
						       "--max-flows: a number from 1 to 16777216, "
						       "not '%s'",
						       optarg);
			o.max_flows = (size_t)v;
			break;
		case 'h':
			bh_strvec_release(&policies);
			bh_strvec_release(&groups);
			return cli_help(net_usage);
		default:
			bh_strvec_release(&policies);
			bh_strvec_release(&groups);
			return BH_EXIT_USAGE;
		}
	}
	if (!pcap || optind != argc || (learn && !policies.n && !groups.n)) {
		bh_strvec_release(&policies);
		bh_strvec_release(&groups);
		if (!pcap)
			return cli_usage_error("net inspect", "--pcap FILE is required");
		if (optind != argc)
			return cli_usage_error("net inspect", "unexpected argument '%s'",
					       argv[optind]);
		return cli_usage_error(
			"net inspect",
			"--learn needs --policy or --group (the groups to learn for)");
	}
	if (policies.n || groups.n) {
		rc = load_policy(policies.v, policies.n, groups.v, groups.n, &np);
		bh_strvec_release(&policies);
		bh_strvec_release(&groups);
		if (rc)
			return rc;
		o.policy = np;
	}
	if (learn) {
		ctx.learn = bh_netpol_learn_new();
		o.on_record = learn_record;
	}
	o.on_flow = print_flow;
	o.arg = &ctx;
	o.sensors = sensors;
	o.n_sensors = n_sensors;
	rc = bh_net_inspect_pcap(pcap, &o, &st, &err);
	fflush(stdout);
	fprintf(stderr,
		"net inspect: %llu packets, %llu flows (%llu evicted), %llu with threats, "
		"%llu malformed, %llu not inspected, %llu fragments (%llu datagrams rebuilt)\n",
		(unsigned long long)st.packets, (unsigned long long)st.flows,
		(unsigned long long)st.flows_evicted, (unsigned long long)ctx.with_threats,
		(unsigned long long)st.malformed, (unsigned long long)st.unsupported,
		(unsigned long long)st.fragments, (unsigned long long)st.reassembled);
	if (o.capture_dir)
		fprintf(stderr,
			"net inspect: %llu capture files in %s (%llu cut short, %llu old ones "
			"removed, %llu failed)\n",
			(unsigned long long)st.captures, o.capture_dir,
			(unsigned long long)st.captures_cut,
			(unsigned long long)st.captures_removed,
			(unsigned long long)st.capture_errors);
	if (np)
		fprintf(stderr, "net inspect: policy: %llu flows alerted, %llu denied\n",
			(unsigned long long)ctx.alerted, (unsigned long long)ctx.denied);
	if (rc == 0 && learn)
		rc = write_learned(&ctx, learn) ? -2 : 0;
	bh_netpol_learn_free(ctx.learn);
	bh_netpol_free(np);
	if (rc == -2)
		return BH_EXIT_ERROR;
	if (rc < 0)
		return cli_fail(err);
	if (ctx.write_failed || ferror(stdout)) {
		fprintf(stderr,
			"bulkhead: error: net inspect: writing the flows to stdout failed\n");
		return BH_EXIT_ERROR;
	}
	return ctx.with_threats || ctx.alerted || ctx.denied ? BH_EXIT_FINDINGS : BH_EXIT_OK;
}

static int net_graph(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pcap", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "max-flows", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_net_opts o = { 0 };
	struct bh_net_stats st = { 0 };
	struct bh_net_graph *g = NULL;
	struct bh_error *err = NULL;
	struct bh_buf out = BH_BUF_INIT(256 * 1024 * 1024);
	const char *pcap = NULL, *format = "json";
	uint64_t v;
	int c, rc;

	optind = 0;
	while ((c = cli_getopt(argc, argv, "h", opts, "net graph")) != -1) {
		switch (c) {
		case 'p': pcap = optarg; break;
		case 'f': format = optarg; break;
		case 'm':
			if (bh_parse_u64(optarg, &v, NULL) < 0 || v == 0 || v > 16 * 1024 * 1024)
				return cli_usage_error("net graph",
						       "--max-flows: a number from 1 to 16777216, "
						       "not '%s'",
						       optarg);
			o.max_flows = (size_t)v;
			break;
		case 'h': return cli_help(net_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (!pcap)
		return cli_usage_error("net graph", "--pcap FILE is required");
	if (strcmp(format, "json") && strcmp(format, "dot"))
		return cli_usage_error("net graph", "--format: json or dot, not '%s'", format);
	if (optind != argc)
		return cli_usage_error("net graph", "unexpected argument '%s'", argv[optind]);
	rc = bh_net_graph_pcap(pcap, &o, NULL, &g, &st, &err);
	if (rc < 0)
		return cli_fail(err);
	if (!strcmp(format, "dot")) {
		rc = bh_net_graph_to_dot(g, &out, &err);
	} else {
		json_t *j = bh_net_graph_to_json(g);

		rc = bh_json_dump_buf(j, JSON_INDENT(2) | JSON_REAL_PRECISION(17), &out, &err);
		if (rc >= 0)
			rc = bh_buf_addc(&out, '\n', &err);
		json_decref(j);
	}
	bh_net_graph_free(g);
	if (rc < 0) {
		bh_buf_release(&out);
		return cli_fail(err);
	}
	fprintf(stderr, "net graph: %llu packets, %llu flows\n", (unsigned long long)st.packets,
		(unsigned long long)st.flows);
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
		bh_buf_release(&out);
		fprintf(stderr, "bulkhead: error: net graph: writing to stdout failed\n");
		return BH_EXIT_ERROR;
	}
	bh_buf_release(&out);
	return BH_EXIT_OK;
}

static volatile sig_atomic_t capture_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	capture_stop = 1;
}

static void capture_ready(const struct bh_net_capture_result *r, void *arg)
{
	const char *what = arg;

	fprintf(stderr, "net capture: recording %s (network namespace %llu)%s\n", what,
		(unsigned long long)r->netns_ino,
		r->host_netns ? ": the host's own network namespace" : "");
}

static int net_capture(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "max-bytes", required_argument, NULL, 'b' },
		{ "write", required_argument, NULL, 'w' },
		{ "state-root", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_net_capture_opts o = { .out_fd = -1 };
	struct bh_net_capture_result res = { 0 };
	struct bh_ctr_opts co = { 0 };
	struct bh_strvec roots = BH_STRVEC_INIT;
	struct bh_error *err = NULL;
	struct cli_output file = { 0 };
	const char *out = NULL, *dh = getenv("DOCKER_HOST");
	uint64_t v;
	int c, rc;

	if (dh && bh_str_has_prefix(dh, "unix://"))
		co.docker_socket = dh + 7;
	optind = 0;
	while ((c = cli_getopt(argc, argv, "hw:", opts, "net capture")) != -1) {
		switch (c) {
		case 'n': o.netns = optarg; break;
		case 'w': out = optarg; break;
		case 's': bh_strvec_push(&roots, optarg); break;
		case 'd':
			if (cli_parse_duration(optarg, &o.duration) < 0 || o.duration <= 0) {
				bh_strvec_release(&roots);
				return cli_usage_error(
					"net capture",
					"--duration: a duration (30, 10s, 5m), not '%s'", optarg);
			}
			break;
		case 'c':
		case 'b':
			if (bh_parse_size(optarg, &v, NULL) < 0 || v == 0) {
				bh_strvec_release(&roots);
				return cli_usage_error("net capture",
						       "--%s: a positive number, not '%s'",
						       c == 'c' ? "count" : "max-bytes", optarg);
			}
			if (c == 'c')
				o.count = v;
			else
				o.max_bytes = v;
			break;
		case 'h': bh_strvec_release(&roots); return cli_help(net_usage);
		default: bh_strvec_release(&roots); return BH_EXIT_USAGE;
		}
	}
	if (optind < argc)
		o.container = argv[optind++];
	if (optind != argc || !out || !!o.container == !!o.netns) {
		bh_strvec_release(&roots);
		if (optind != argc)
			return cli_usage_error("net capture", "unexpected argument '%s'",
					       argv[optind]);
		return cli_usage_error("net capture",
				       "expected CONTAINER or --netns PATH (one), and -w FILE");
	}
	co.state_roots = (const char *const *)roots.v;
	o.ctr = &co;
	o.out_name = out;
	o.stop = &capture_stop;
	o.on_ready = capture_ready;
	o.arg = (void *)(o.container ? o.container : o.netns);
	/* a temporary file beside FILE, renamed into place when the recording
	 * ends well: an unknown container or a failure leaves nothing behind */
	if (cli_output_open(&file, out, &err) < 0) {
		bh_strvec_release(&roots);
		return cli_fail(err);
	}
	o.out_fd = fcntl(fileno(file.fp), F_DUPFD_CLOEXEC, 3);
	if (o.out_fd < 0) {
		bh_strvec_release(&roots);
		cli_output_close(&file, false, NULL);
		fprintf(stderr, "bulkhead: error: net capture: %s: %s\n", out, strerror(errno));
		return BH_EXIT_ERROR;
	}
	if (file.path)
		(void)fchmod(o.out_fd, 0600); /* the traffic may hold secrets */
	cli_on_signals(on_stop_signal, 0, SIGINT, SIGTERM, 0);
	rc = bh_net_capture_live(&o, &res, &err);
	bh_strvec_release(&roots);
	if (rc < 0 || cli_output_close(&file, true, rc < 0 ? NULL : &err) < 0) {
		if (rc < 0)
			cli_output_close(&file, false, NULL);
		bh_net_capture_result_release(&res);
		return cli_fail(err);
	}
	fprintf(stderr, "net capture: %llu packets (%llu bytes) to %s%s%s, stopped by %s\n",
		(unsigned long long)res.packets, (unsigned long long)res.bytes, out,
		res.container_id ? " from container " : "",
		res.container_id ? res.container_id : "", res.stopped_by);
	bh_net_capture_result_release(&res);
	return BH_EXIT_OK;
}

static volatile int net_stop;

static void on_stop(int sig)
{
	(void)sig;
	net_stop = 1;
}

static void print_ready(const char *const *names, size_t n, void *arg)
{
	(void)arg;
	fprintf(stderr, "net run: ready: %zu network namespace%s:", n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %s", names[i]);
	fprintf(stderr, "\n");
}

#define NET_RUN_LIST_MAX 64

static void print_warning(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "net run: warning: %s\n", msg);
}

static void print_quarantine(const struct bh_quar_record *r, const char *ctr, const char *why,
			     uint64_t latency_ns, void *arg)
{
	(void)arg;
	if (!r)
		fprintf(stderr, "net run: quarantine of %s failed: %s\n", ctr, why ? why : "?");
	else
		fprintf(stderr,
			"net run: quarantined %s (%s): %s; %.3f ms after the packet (apply %.3f "
			"ms)\n",
			r->id, ctr, r->reason ? r->reason : "", latency_ns / 1e6,
			r->apply_ns / 1e6);
}

static int parse_severity(const char *s, unsigned *out)
{
	static const char *const names[] = { "low", "medium", "high", "critical" };

	for (unsigned i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*out = i + 1;
			return 0;
		}
	return -1;
}

static int add_ref(const char **v, size_t *n, const char *s, const char *opt)
{
	if (*n == NET_RUN_LIST_MAX)
		return cli_usage_error("net run", "%s: at most %d", opt, NET_RUN_LIST_MAX);
	v[(*n)++] = s;
	return 0;
}

/* The hold histogram's pct-th percentile as the upper bound of its bucket
 * ("<4us"; "-" without packets). */
static const char *hold_pct(const struct bh_net_live_stats *st, unsigned pct, char *buf, size_t cap)
{
	uint64_t total = 0, seen = 0;

	for (int i = 0; i < BH_NET_HOLD_BUCKETS; i++)
		total += st->hold[i];
	if (!total)
		return "-";
	for (int i = 0; i < BH_NET_HOLD_BUCKETS; i++) {
		seen += st->hold[i];
		if (seen * 100 >= total * pct) {
			if (i == BH_NET_HOLD_BUCKETS - 1)
				snprintf(buf, cap, ">=%lluus", 1ull << i);
			else
				snprintf(buf, cap, "<%lluus", 2ull << i);
			return buf;
		}
	}
	return "-";
}

static int net_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "container", required_argument, NULL, 'c' },
		{ "label", required_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },
		{ "netns", required_argument, NULL, 'n' },
		{ "mode", required_argument, NULL, 'M' },
		{ "fail", required_argument, NULL, 'f' },
		{ "no-offload", no_argument, NULL, 'O' },
		{ "accept-all", no_argument, NULL, 'A' },
		{ "queue", required_argument, NULL, 'q' },
		{ "copy-range", required_argument, NULL, 'r' },
		{ "policy", required_argument, NULL, 'P' },
		{ "state-root", required_argument, NULL, 's' },
		{ "quarantine", required_argument, NULL, 'Q' },
		{ "quarantine-dir", required_argument, NULL, 'D' },
		{ "refresh-ms", required_argument, NULL, 'R' },
		{ "sensor", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *roots[NET_RUN_LIST_MAX + 1] = { 0 };
	struct bh_ctr_opts co = { 0 };
	struct bh_quar_opts qo = { 0 };
	size_t nr = 0;
	const char *dh = getenv("DOCKER_HOST");
	const char *ctrs[NET_RUN_LIST_MAX + 1] = { 0 }, *labels[NET_RUN_LIST_MAX + 1] = { 0 };
	const char *netns[NET_RUN_LIST_MAX + 1] = { 0 };
	char *pols[NET_RUN_LIST_MAX];
	struct bh_netpol *np = NULL;
	struct bh_net_sensor sensors[BH_DLP_CLI_SENSORS];
	size_t nc = 0, nl = 0, nn = 0, npol = 0, n_sensors = 0;
	struct bh_net_live_opts o = { .offload = true };
	struct bh_net_live_stats st;
	char p50[24], p99[24];
	struct inspect_ctx ctx = { 0 };
	struct bh_error *err = NULL;
	uint64_t v;
	int c, rc;

	optind = 0;
	while ((c = cli_getopt(argc, argv, "h", opts, "net run")) != -1) {
		switch (c) {
		case 'c':
			if (add_ref(ctrs, &nc, optarg, "--container"))
				return BH_EXIT_USAGE;
			break;
		case 'l':
			if (!strchr(optarg, '='))
				return cli_usage_error("net run", "--label: KEY=VALUE, not '%s'",
						       optarg);
			if (add_ref(labels, &nl, optarg, "--label"))
				return BH_EXIT_USAGE;
			break;
		case 'n':
			if (add_ref(netns, &nn, optarg, "--netns"))
				return BH_EXIT_USAGE;
			break;
		case 's':
			if (add_ref(roots, &nr, optarg, "--state-root"))
				return BH_EXIT_USAGE;
			break;
		case 'Q':
			if (parse_severity(optarg, &o.quarantine_severity) < 0)
				return cli_usage_error(
					"net run",
					"--quarantine: low, medium, high or critical, "
					"not '%s'",
					optarg);
			break;
		case 'D': qo.state_dir = optarg; break;
		case 'S':
			if (add_sensor(sensors, &n_sensors, optarg, "net run"))
				return BH_EXIT_USAGE;
			break;
		case 'R':
			if (bh_parse_u64(optarg, &v, NULL) < 0 || v < 100 || v > 3600000)
				return cli_usage_error("net run",
						       "--refresh-ms: 100 to 3600000, not '%s'",
						       optarg);
			o.refresh_ms = (unsigned)v;
			break;
		case 'a': o.all = true; break;
		case 'M':
			if (!strcmp(optarg, "protect"))
				o.engine.drop_severity = 3; /* high */
			else if (strcmp(optarg, "monitor"))
				return cli_usage_error("net run",
						       "--mode: monitor or protect, not '%s' "
						       "(discover comes with the group policy)",
						       optarg);
			break;
		case 'f':
			if (!strcmp(optarg, "closed"))
				o.fail_closed = true;
			else if (strcmp(optarg, "open"))
				return cli_usage_error("net run",
						       "--fail: open or closed, not '%s'", optarg);
			break;
		case 'O': o.offload = false; break;
		case 'A': o.accept_all = true; break;
		case 'P':
			if (npol == NET_RUN_LIST_MAX)
				return cli_usage_error("net run", "--policy: at most %d",
						       NET_RUN_LIST_MAX);
			pols[npol++] = optarg;
			break;
		case 'q':
			if (bh_parse_u64(optarg, &v, NULL) < 0 || v > 65535)
				return cli_usage_error("net run", "--queue: 0 to 65535, not '%s'",
						       optarg);
			o.queue = (uint16_t)v;
			break;
		case 'r':
			if (bh_parse_u64(optarg, &v, NULL) < 0 || v < 64 || v > 65531)
				return cli_usage_error("net run",
						       "--copy-range: 64 to 65531 bytes, not '%s'",
						       optarg);
			o.copy_range = (uint32_t)v;
			break;
		case 'h': return cli_help(net_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("net run", "unexpected argument '%s'", argv[optind]);
	if (!nc && !nl && !nn && !o.all)
		return cli_usage_error("net run",
				       "say what to put through: --container, --label, --all or "
				       "--netns");
	if (o.accept_all && o.quarantine_severity)
		return cli_usage_error("net run",
				       "--quarantine needs the engine, not --accept-all");
	if (o.accept_all && n_sensors)
		return cli_usage_error("net run", "--sensor needs the engine, not --accept-all");
	if (dh && bh_str_has_prefix(dh, "unix://"))
		co.docker_socket = dh + 7;
	co.state_roots = roots;
	o.ctr = &co;
	qo.ctr = &co;
	/* --quarantine, and the policy's rules with verdict quarantine */
	if (!o.accept_all) {
		o.quarantine = &qo;
		o.on_quarantine = print_quarantine;
	}
	/* the network policy decides each flow as in net inspect; groups by
	 * labels, images and IDs through the live path's inventory */
	if (npol && (rc = load_policy(pols, npol, NULL, 0, &np)) != 0)
		return rc;
	o.engine.policy = np;
	o.engine.sensors = sensors;
	o.engine.n_sensors = n_sensors;
	o.containers = ctrs;
	o.labels = labels;
	o.netns = netns;
	o.engine.on_flow = print_flow;
	o.engine.on_alert = print_alert;
	o.engine.arg = &ctx;
	o.stop = &net_stop;
	o.on_ready = print_ready;
	o.on_warning = print_warning;
	/* tests only (bulkhead-net(1), ENVIRONMENT): as if xt_bpf were missing */
	o.no_bare_match = getenv("BULKHEAD_NET_NO_XT_BPF") != NULL;
	cli_on_signals(on_stop, 0, SIGINT, SIGTERM, 0); /* no SA_RESTART: poll returns at once */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = bh_net_live_run(&o, &st, &err);
	bh_netpol_free(np);
	fflush(stdout);
	fprintf(stderr,
		"net run: %llu packets: %llu accepted, %llu dropped, %llu marked for offload, "
		"%llu offloads taken back; "
		"held from read to verdict: p50 %s, p99 %s; "
		"%llu flows (%llu with threats), %llu alerts; %llu receive overruns, %llu "
		"malformed; "
		"%llu quarantined (%llu not asked: queue full); %zu container addresses "
		"(%llu listings at a runtime's state change); %llu container listings%s\n",
		(unsigned long long)st.packets, (unsigned long long)st.accepted,
		(unsigned long long)st.dropped, (unsigned long long)st.offloaded,
		(unsigned long long)st.unoffloaded, hold_pct(&st, 50, p50, sizeof(p50)),
		hold_pct(&st, 99, p99, sizeof(p99)), (unsigned long long)ctx.flows,
		(unsigned long long)ctx.with_threats, (unsigned long long)ctx.alerts,
		(unsigned long long)st.enobufs, (unsigned long long)st.malformed,
		(unsigned long long)st.quarantined, (unsigned long long)st.quarantine_dropped,
		st.addresses, (unsigned long long)st.state_refreshes,
		(unsigned long long)st.refreshes,
		st.bare_queued ? "; bare ACKs queued (no xt_bpf)" : "");
	if (rc < 0)
		return cli_fail(err);
	return BH_EXIT_OK;
}

int cmd_net(int argc, char **argv, struct bh_cli *cli)
{
	const char *sub;

	(void)cli;
	if (argc < 2)
		return cli_usage_error("net",
				       "expected a subcommand: inspect, graph, capture or run");
	sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help"))
		return cli_help(net_usage);
	if (!strcmp(sub, "inspect"))
		return net_inspect(argc - 1, argv + 1);
	if (!strcmp(sub, "graph"))
		return net_graph(argc - 1, argv + 1);
	if (!strcmp(sub, "capture"))
		return net_capture(argc - 1, argv + 1);
	if (!strcmp(sub, "run"))
		return net_run(argc - 1, argv + 1);
	return cli_usage_error(
		"net", "unknown subcommand '%s' (expected inspect, graph, capture or run)", sub);
}
