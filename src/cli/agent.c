/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead agent --controller URL --token-file F --state-dir DIR [options]:
 * the node agent (issue 17). Parses the options, loads the rules and the
 * source as `bulkhead monitor` does, and runs the library's agent
 * (include/bulkhead/agent.h) until SIGTERM or SIGINT; prints the counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/agent.h"
#include "bulkhead/containers.h"
#include "bulkhead/ctl.h"
#include "bulkhead/host.h"
#include "bulkhead/monitor.h"
#include "bulkhead/monitord.h"
#include "bulkhead/net.h"
#include "bulkhead/rules.h"
#include "bulkhead/version.h"
#include "cli.h"
#include "banned.h"

#define RULES_FILES_MAX 64
#define NET_REFS_MAX	64

static const char agent_usage[] =
	"usage: bulkhead agent --controller URL --token-file FILE --state-dir DIR [options]\n"
	"\n"
	"The node agent: runs the monitor (its rules and actions, as bulkhead monitor)\n"
	"and reports this node, its containers and the alerts to the controller\n"
	"(bulkhead serve) with a node token. What is to be reported goes through a\n"
	"bounded spool in DIR/spool first: while the controller is down the agent\n"
	"goes on and retries; when the spool is full the oldest is dropped, counted\n"
	"and reported as a gap. SIGTERM or SIGINT stop it (exit 0).\n"
	"\n"
	"Options:\n"
	"  --controller URL      the controller, https://HOST:PORT\n"
	"  --token-file FILE     the node token (bht_...), made by an admin\n"
	"  --ca FILE             the controller's CA certificate (PEM; default: the\n"
	"                        system's)\n"
	"  --state-dir DIR       the agent's state: the spool (made 0700)\n"
	"  --node NAME           this node's name (default: the host name), as its\n"
	"                        token's\n"
	"  --spool-size N        the spool's bound (k, M, G suffixes; default 64M,\n"
	"                        at least 64k)\n"
	"  --batch N             events in one request (default 200, at most 500)\n"
	"  --rules FILE          a rules file (repeatable; default the installed\n"
	"                        rules/monitor/default.yaml)\n"
	"  --replay FILE         read events from JSON lines instead of the kernel\n"
	"                        (tests, demonstrations): the agent runs on after\n"
	"                        the end, shipping, until stopped\n"
	"  --state-root RT:DIR   one more runtime state root to find containers in\n"
	"                        (repeatable; as bulkhead quarantine)\n"
	"  --quarantine-dir DIR  where the controller's quarantines are recorded\n"
	"                        (default /run/bulkhead/quarantine)\n"
	"  --policy-interval MS  how often the node policy and the controller's\n"
	"                        actions are pulled (default 3000);\n"
	"                        the last one applied is kept in DIR/policy.json\n"
	"  --workloads-interval MS  how often the containers are reported (default\n"
	"                        10000)\n"
	"  --flows-interval MS   how often the containers' connections are\n"
	"                        reported as flows (default 10000)\n"
	"  --tpm-log FILE        attest to the controller: the runtime's measured\n"
	"                        launch event log (as BULKHEAD_MEASURE_LOG); a TPM\n"
	"                        quote over the controller's nonce is sent with it\n"
	"  --tcti TCTI           the TPM (default $BULKHEAD_TPM_TCTI, else\n"
	"                        device:/dev/tpmrm0)\n"
	"  --attest-interval MS  how often to attest (default 60000)\n"
	"  --profiles FILE       the behaviour profile store the monitor learns in\n"
	"                        and the node policy's modes and accepted profiles\n"
	"                        are applied to (default DIR/profiles.sqlite)\n"
	"  --profiles-interval MS  how often what was learned is reported (default\n"
	"                        10000)\n"
	"  --net CONTAINER       run the firewall (as bulkhead net run) on this\n"
	"                        container's traffic (ID, prefix or name;\n"
	"                        repeatable): its flows (app, bytes, threats,\n"
	"                        verdicts) and alerts reported; the node policy's\n"
	"                        network policy decides each flow\n"
	"  --net-all             ... on every container's\n"
	"  --net-netns PATH      ... on a network namespace (repeatable)\n"
	"  --net-mode MODE       monitor (default) or protect: drop flows with a\n"
	"                        threat of high severity or over\n"
	"  --net-quarantine SEV  quarantine a flow's client container on a threat\n"
	"                        of SEV (low, medium, high, critical) or over\n"
	"  --bench               run bulkhead bench host at start and every\n"
	"                        --bench-interval MS (default 3600000) and report\n"
	"                        each check's result\n"
	"  --admission-root DIR  report the admission decisions logged in DIR: the\n"
	"                        runtime's state root (e.g. /run/bulkhead), the\n"
	"                        webhook's --decision-log DIR (a directory of its\n"
	"                        own); repeatable, up to 8\n"
	"  -h, --help            show this help\n";

enum {
	OPT_CONTROLLER = 0x100,
	OPT_TOKEN,
	OPT_CA,
	OPT_STATE,
	OPT_NODE,
	OPT_SPOOL,
	OPT_BATCH,
	OPT_RULES,
	OPT_REPLAY,
	OPT_WL,
	OPT_FLOWS,
	OPT_POLICY_MS,
	OPT_QUAR_DIR,
	OPT_STATE_ROOT,
	OPT_TPM_LOG,
	OPT_TCTI,
	OPT_ATTEST_MS,
	OPT_PROFILES,
	OPT_PROFILES_MS,
	OPT_NET,
	OPT_NET_ALL,
	OPT_NET_NETNS,
	OPT_NET_MODE,
	OPT_NET_QUAR,
	OPT_BENCH,
	OPT_BENCH_MS,
	OPT_ADM_ROOT,
};

static atomic_int sig_stop;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&sig_stop, 1);
}

static void on_warn(void *data, const struct bh_error *e)
{
	char *m = bh_error_message(e);

	(void)data;
	fprintf(stderr, "bulkhead: agent: %s\n", m ? m : "?");
	free(m);
}

/* The token: the file's first line, trimmed; the file must not be readable
 * by others. */
static int read_token(const char *path, char *tok, size_t size, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(4096);
	struct stat st;
	size_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return bh_error_sys(err, errno, "--token-file %s", path);
	if (fstat(fd, &st) == 0 && (st.st_mode & 077))
		fprintf(stderr, "bulkhead: agent: warning: %s is readable by others\n", path);
	if (bh_buf_read_fd(&b, fd, path, err) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	n = b.data ? strcspn(b.data, "\r\n") : 0;
	if (n != BH_CTL_TOKEN_LEN || n >= size || !bh_str_has_prefix(b.data, "bht_")) {
		bh_buf_release(&b);
		return bh_error_set(err, BH_ERR_INVALID, "--token-file %s: not a bulkhead token",
				    path);
	}
	memcpy(tok, b.data, n);
	tok[n] = 0;
	explicit_bzero(b.data, b.len);
	bh_buf_release(&b);
	return 0;
}

int cmd_agent(int argc, char **argv, struct bh_cli *cli)
{
	static const struct option opts[] = {
		{ "controller", required_argument, NULL, OPT_CONTROLLER },
		{ "token-file", required_argument, NULL, OPT_TOKEN },
		{ "ca", required_argument, NULL, OPT_CA },
		{ "state-dir", required_argument, NULL, OPT_STATE },
		{ "node", required_argument, NULL, OPT_NODE },
		{ "spool-size", required_argument, NULL, OPT_SPOOL },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "replay", required_argument, NULL, OPT_REPLAY },
		{ "workloads-interval", required_argument, NULL, OPT_WL },
		{ "flows-interval", required_argument, NULL, OPT_FLOWS },
		{ "policy-interval", required_argument, NULL, OPT_POLICY_MS },
		{ "profiles", required_argument, NULL, OPT_PROFILES },
		{ "profiles-interval", required_argument, NULL, OPT_PROFILES_MS },
		{ "quarantine-dir", required_argument, NULL, OPT_QUAR_DIR },
		{ "state-root", required_argument, NULL, OPT_STATE_ROOT },
		{ "tpm-log", required_argument, NULL, OPT_TPM_LOG },
		{ "tcti", required_argument, NULL, OPT_TCTI },
		{ "attest-interval", required_argument, NULL, OPT_ATTEST_MS },
		{ "net", required_argument, NULL, OPT_NET },
		{ "net-all", no_argument, NULL, OPT_NET_ALL },
		{ "net-netns", required_argument, NULL, OPT_NET_NETNS },
		{ "net-mode", required_argument, NULL, OPT_NET_MODE },
		{ "net-quarantine", required_argument, NULL, OPT_NET_QUAR },
		{ "bench", no_argument, NULL, OPT_BENCH },
		{ "bench-interval", required_argument, NULL, OPT_BENCH_MS },
		{ "admission-root", required_argument, NULL, OPT_ADM_ROOT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const sevs[] = { "low", "medium", "high", "critical" };
	const char *net_ctrs[NET_REFS_MAX + 1] = { 0 }, *net_ns[NET_REFS_MAX + 1] = { 0 };
	size_t nnc = 0, nns = 0;
	struct bh_net_live_opts no = { .offload = true };
	struct bh_host_opts ho = { 0 };
	bool net = false, net_opts = false;
	struct bh_agent_opts ao = { .version = BH_VERSION, .stop = &sig_stop, .warn = on_warn };
	struct bh_agent_stats st;
	struct bh_ctr_opts co = { 0 };
	struct cli_mon_source_opts so = { .writes = true, .compat = BH_MON_COMPAT_AUTO };
	struct bh_strvec roots = BH_STRVEC_INIT;
	char *rules_files[RULES_FILES_MAX];
	size_t nrules = 0;
	const char *token_file = NULL, *replay = NULL;
	char token[BH_CTL_TOKEN_LEN + 2], host[BH_CTL_NAME_MAX + 1];
	struct bh_rules *rs = NULL;
	struct bh_mon_source *src = NULL;
	struct bh_error *err = NULL;
	unsigned long v;
	uint64_t size;
	int ch, rc;

	optind = 0;
	while ((ch = cli_getopt(argc, argv, "h", opts, "agent")) != -1) {
		switch (ch) {
		case OPT_CONTROLLER: ao.controller = optarg; break;
		case OPT_TOKEN: token_file = optarg; break;
		case OPT_CA: ao.ca_file = optarg; break;
		case OPT_STATE: ao.state_dir = optarg; break;
		case OPT_NODE: ao.node = optarg; break;
		case OPT_REPLAY: replay = optarg; break;
		case OPT_SPOOL:
			if (bh_parse_size(optarg, &size, &err) < 0 || size < BH_AGENT_SPOOL_MIN) {
				bh_error_free(err);
				return cli_usage_error("agent",
						       "--spool-size: '%s': a size of 64k or more",
						       optarg);
			}
			ao.spool_max = size;
			break;
		case OPT_BATCH:
		case OPT_WL:
		case OPT_FLOWS:
		case OPT_POLICY_MS:
		case OPT_ATTEST_MS:
		case OPT_PROFILES_MS:
		case OPT_BENCH_MS:
			if (!cli_parse_count(optarg, ch == OPT_BATCH ? 500 : 86400000ul, &v) || !v)
				return cli_usage_error("agent", "'%s': not a number in range",
						       optarg);
			if (ch == OPT_BATCH)
				ao.batch = v;
			else if (ch == OPT_WL)
				ao.workloads_ms = (unsigned)v;
			else if (ch == OPT_FLOWS)
				ao.flows_ms = (unsigned)v;
			else if (ch == OPT_ATTEST_MS)
				ao.attest_ms = (unsigned)v;
			else if (ch == OPT_PROFILES_MS)
				ao.profiles_ms = (unsigned)v;
			else if (ch == OPT_BENCH_MS)
				ao.bench_ms = (unsigned)v;
			else
				ao.policy_ms = (unsigned)v;
			break;
		case OPT_NET:
		case OPT_NET_NETNS:
			if ((ch == OPT_NET ? nnc : nns) == NET_REFS_MAX)
				return cli_usage_error("agent",
						       "--net, --net-netns: at most %d each",
						       NET_REFS_MAX);
			if (ch == OPT_NET)
				net_ctrs[nnc++] = optarg;
			else
				net_ns[nns++] = optarg;
			net = true;
			break;
		case OPT_NET_ALL: no.all = net = true; break;
		case OPT_NET_MODE:
			net_opts = true;
			if (!strcmp(optarg, "protect"))
				no.engine.drop_severity = 3; /* high, as net run */
			else if (strcmp(optarg, "monitor"))
				return cli_usage_error("agent",
						       "--net-mode: monitor or protect, not '%s'",
						       optarg);
			break;
		case OPT_NET_QUAR:
			net_opts = true;
			for (unsigned i = 0; i < 4; i++)
				if (!strcmp(optarg, sevs[i]))
					no.quarantine_severity = i + 1;
			if (!no.quarantine_severity)
				return cli_usage_error("agent",
						       "--net-quarantine: low, medium, high or "
						       "critical, not '%s'",
						       optarg);
			break;
		case OPT_BENCH: ao.bench = &ho; break;
		case OPT_ADM_ROOT:
			if (ao.n_admission_roots == BH_AGENT_ADM_ROOTS_MAX)
				return cli_usage_error("agent", "--admission-root: at most %d",
						       BH_AGENT_ADM_ROOTS_MAX);
			for (size_t i = 0; i < ao.n_admission_roots; i++)
				if (!strcmp(ao.admission_roots[i], optarg))
					return cli_usage_error(
						"agent", "--admission-root %s given twice", optarg);
			ao.admission_roots[ao.n_admission_roots++] = optarg;
			break;
		case OPT_TPM_LOG: ao.tpm_log = optarg; break;
		case OPT_TCTI: ao.tpm_tcti = optarg; break;
		case OPT_QUAR_DIR: ao.quarantine_dir = optarg; break;
		case OPT_PROFILES: ao.profiles = optarg; break;
		case OPT_STATE_ROOT: bh_strvec_push(&roots, optarg); break;
		case OPT_RULES:
			if (nrules >= RULES_FILES_MAX)
				return cli_usage_error("agent", "more than %d --rules",
						       RULES_FILES_MAX);
			rules_files[nrules++] = optarg;
			break;
		case 'h': return cli_help(agent_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error("agent", "unexpected argument '%s'", argv[optind]);
	if (!ao.controller || !token_file || !ao.state_dir)
		return cli_usage_error("agent",
				       "expected --controller, --token-file and --state-dir");
	if (!bh_str_has_prefix(ao.controller, "https://"))
		return cli_usage_error("agent", "--controller: an https:// URL");
	if (net_opts && !net)
		return cli_usage_error("agent",
				       "--net-mode and --net-quarantine need --net, --net-all or "
				       "--net-netns");
	if (ao.bench_ms && !ao.bench)
		return cli_usage_error("agent", "--bench-interval needs --bench");
	if (!ao.node) {
		if (gethostname(host, sizeof(host)) < 0)
			host[0] = 0;
		host[sizeof(host) - 1] = 0;
		ao.node = host;
	}
	if (!bh_ctl_name_valid(ao.node, strlen(ao.node)))
		return cli_usage_error("agent", "'%s' is not a node name (--node)", ao.node);
	cli_on_signals(on_signal, 0, SIGINT, SIGTERM, 0);
	signal(SIGPIPE, SIG_IGN);
	if (read_token(token_file, token, sizeof(token), &err) < 0)
		goto fail;
	ao.token = token;
	rs = cli_monitor_load_rules(rules_files, nrules, &err);
	if (!rs)
		goto fail;
	if (cli->runtime_root)
		bh_strvec_pushf(&roots, "bulkhead:%s", cli->runtime_root);
	co.state_roots = (const char *const *)roots.v;
	/* the connections the flows are made of (src/agent/flows.c) */
	so.types = BH_MON_TYPE_BIT(BH_MON_CONNECT) | BH_MON_TYPE_BIT(BH_MON_ACCEPT) |
		   BH_MON_TYPE_BIT(BH_MON_ACCEPT4) | BH_MON_TYPE_BIT(BH_MON_LISTEN);
	if (cli_monitor_source(replay, rs, &co, &so, &src, &err) < 0)
		goto fail;
	ao.source = src;
	/* protect: the process outside is killed, as bulkhead monitor does; a
	 * replay's pids are not this host's: alert only */
	ao.behave_action = replay ? BH_MON_ACT_ALERT : BH_MON_ACT_KILL;
	ao.rules = rs;
	ao.containers = &co;
	if (net) {
		no.containers = net_ctrs;
		no.netns = net_ns;
		no.ctr = &co;
		/* tests only (bulkhead-net(1), ENVIRONMENT): as if xt_bpf were missing */
		no.no_bare_match = getenv("BULKHEAD_NET_NO_XT_BPF") != NULL;
		ao.net = &no;
	}
	bh_info("agent: node %s reporting to %s", ao.node, ao.controller);
	if (bh_agent_run(&ao, &st, &err) < 0)
		goto fail;
	fprintf(stderr,
		"bulkhead: agent: alerts %llu, shipped %llu in %llu batches, failures %llu "
		"(refused %llu), spool: pending %llu, dropped %llu, corrupt %llu\n",
		(unsigned long long)st.alerts, (unsigned long long)st.shipped,
		(unsigned long long)st.batches, (unsigned long long)st.failures,
		(unsigned long long)st.refused, (unsigned long long)st.spool.pending,
		(unsigned long long)st.spool.dropped, (unsigned long long)st.spool.corrupt);
	fprintf(stderr,
		"bulkhead: agent: node policy version %lld (applied %llu, refused %llu), "
		"actions done %llu, failed %llu, results posted again %llu; records rejected "
		"%llu\n",
		(long long)st.policy_version, (unsigned long long)st.policy_applied,
		(unsigned long long)st.policy_refused, (unsigned long long)st.actions_ok,
		(unsigned long long)st.actions_failed, (unsigned long long)st.results_again,
		(unsigned long long)st.rejected);
	if (ao.tpm_log)
		fprintf(stderr, "bulkhead: agent: attestations verified %llu, failed %llu\n",
			(unsigned long long)st.attested, (unsigned long long)st.attest_failed);
	fprintf(stderr,
		"bulkhead: agent: behaviour profiles: %llu reported, modes applied %llu "
		"(failed %llu)\n",
		(unsigned long long)st.profiles_reported, (unsigned long long)st.modes_applied,
		(unsigned long long)st.modes_failed);
	if (net)
		fprintf(stderr,
			"bulkhead: agent: firewall: %llu packets, %llu flows, %llu alerts, %llu "
			"quarantined\n",
			(unsigned long long)st.net_packets, (unsigned long long)st.net_flows,
			(unsigned long long)st.net_alerts, (unsigned long long)st.net_quarantined);
	if (ao.bench)
		fprintf(stderr, "bulkhead: agent: bench: %llu runs, %llu results reported\n",
			(unsigned long long)st.bench_runs, (unsigned long long)st.bench_results);
	if (ao.n_admission_roots)
		fprintf(stderr,
			"bulkhead: agent: admission: %llu decisions reported, %llu lines skipped, "
			"%llu lost to rotation\n",
			(unsigned long long)st.admissions, (unsigned long long)st.admissions_bad,
			(unsigned long long)st.admissions_lost);
	rc = BH_EXIT_OK;
	goto out;
fail:
	rc = cli_fail(err);
out:
	explicit_bzero(token, sizeof(token));
	bh_mon_source_free(src);
	bh_rules_free(rs);
	bh_strvec_release(&roots);
	return rc;
}
