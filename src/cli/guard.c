/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead guard: the enforcement primitives (include/bulkhead/guard.h) by hand:
 * `guard exec` watches containers' execs (fanotify) and prints each decision as
 * a JSON line; `guard connect` sets, clears and reads a container's connect
 * policy (cgroup BPF); `guard kill` kills a process checked by its start time.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "bulkhead/containers.h"
#include "bulkhead/guard.h"
#include "banned.h"

static const char guard_usage[] =
	"usage: bulkhead guard exec [options] CONTAINER...\n"
	"       bulkhead guard connect CONTAINER (--deny-all | --allow RULE... | --deny RULE...)\n"
	"                              [--monitor]\n"
	"       bulkhead guard connect CONTAINER (--clear | --counts)\n"
	"       bulkhead guard connect --detach\n"
	"       bulkhead guard kill PID [--start-time TICKS]\n"
	"\n"
	"Block what a container does, whichever runtime started it.\n"
	"\n"
	"exec: watch the containers' executions (fanotify permission events on every\n"
	"mount of their mount namespaces) and print each decision as a JSON line.\n"
	"  --zero-drift            refuse executables that did not come from the image\n"
	"                          (in the overlay's upperdir, changed after the start,\n"
	"                          or on a tmpfs)\n"
	"  --allow PATH            only these executables may run (repeatable)\n"
	"  --deny-open PATH        refuse opens of this file (repeatable)\n"
	"  --monitor               report what would be refused, refuse nothing\n"
	"  --fail-closed           a decision that fails refuses (default: allows)\n"
	"  --all-events            print allowed executions too\n"
	"  --duration D            stop after D (e.g. 30s, 5m; default: until SIGINT/TERM)\n"
	"\n"
	"connect: a policy on the container's connects and UDP sends (a cgroup BPF program\n"
	"at the cgroup2 root, keyed by the container's network namespace; pinned, so it\n"
	"stays in force when bulkhead exits). RULE is ADDRESS[/PREFIX][:PORT][/tcp|/udp],\n"
	"[IPv6] in brackets with a port. A refused connect fails with EPERM.\n"
	"  --deny-all              refuse every connect and UDP send\n"
	"  --allow RULE            allow only what the rules match (repeatable, <= 16)\n"
	"  --deny RULE             refuse what the rules match (repeatable, <= 16)\n"
	"  --monitor               count what would be refused, refuse nothing\n"
	"  --clear                 remove the container's policy\n"
	"  --counts                print its verdict counts as JSON\n"
	"  --detach                detach the programs and remove every policy\n"
	"\n"
	"kill: SIGKILL PID through a pidfd, if its start time (field 22 of /proc/PID/stat)\n"
	"is TICKS: never a process that reused the pid.\n"
	"\n"
	"CONTAINER is an ID, a unique ID prefix or a name (see `bulkhead containers`).\n"
	"Exit status: 0, 1 (kill: the process is gone), 2 usage error, 3 error.\n";

static volatile sig_atomic_t stop_flag;

/* "250ms", "30s", "5m", "1h", "90" (seconds) → milliseconds, > 0; -1 when malformed. */
static int parse_ms(const char *s, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = { { "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
	uint64_t v = 0;
	const char *p = s;

	if (!bh_isdigit(*p))
		return -1;
	for (; bh_isdigit(*p); p++) {
		if (v > 1000000000)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(p, units[i].unit) && v) {
			*out = v * units[i].ms;
			return 0;
		}
	return -1;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* The container named `want` in l (ID, unique prefix, name); NULL with a message. */
static const struct bh_ctr *find_ctr(const struct bh_ctr_list *l, const char *want)
{
	const struct bh_ctr *hit = NULL;
	size_t n = 0, wl = strlen(want);

	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].id, want) || (l->v[i].name && !strcmp(l->v[i].name, want)))
			return &l->v[i];
	for (size_t i = 0; i < l->n; i++)
		if (wl >= 4 && !strncmp(l->v[i].id, want, wl)) {
			hit = &l->v[i];
			n++;
		}
	if (n == 1)
		return hit;
	bh_log(BH_LOG_ERROR, "container %s: %s", want,
	       n ? "the prefix names more than one" : "no such running container");
	return NULL;
}

static int list_ctrs(struct bh_cli *cli, struct bh_ctr_list **l)
{
	struct bh_ctr_opts o = { 0 };
	struct bh_error *err = NULL;
	char *roots[2] = { NULL, NULL };
	int rc = 0;

	if (cli->runtime_root) {
		roots[0] = bh_asprintf("bulkhead:%s", cli->runtime_root);
		o.state_roots = (const char *const *)roots;
	}
	if (bh_ctr_list(&o, l, &err) < 0)
		rc = cli_fail(err);
	free(roots[0]);
	return rc;
}

static void print_event(const struct bh_guard_event *ev, void *arg)
{
	json_t *j = json_pack("{s:s, s:s?, s:i, s:s, s:s, s:b, s:s, s:b, s:I}", "op",
			      ev->op == BH_GUARD_EXEC ? "exec" : "open", "container", ev->ctr_id,
			      "pid", (int)ev->pid, "path", ev->path ? ev->path : "?", "verdict",
			      ev->verdict == BH_GUARD_DENY ? "deny" : "allow", "enforced",
			      ev->enforced, "reason", ev->reason ? ev->reason : "", "drift",
			      ev->drift, "decide_us", (json_int_t)(ev->decide_ns / 1000));
	char *s;

	(void)arg;
	if (!j)
		return;
	if (ev->drift_why)
		json_object_set_new(j, "drift_why", json_string(ev->drift_why));
	s = json_dumps(j, JSON_COMPACT);
	if (s) {
		printf("%s\n", s);
		fflush(stdout);
	}
	free(s);
	json_decref(j);
}

static int guard_exec(int argc, char **argv, struct bh_cli *cli)
{
	static const struct option opts[] = {
		{ "zero-drift", no_argument, NULL, 'z' },
		{ "allow", required_argument, NULL, 'a' },
		{ "deny-open", required_argument, NULL, 'o' },
		{ "monitor", no_argument, NULL, 'm' },
		{ "fail-closed", no_argument, NULL, 'f' },
		{ "all-events", no_argument, NULL, 'e' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_strvec allow = BH_STRVEC_INIT, deny_open = BH_STRVEC_INIT;
	struct bh_guard_policy pol = { .protect = true };
	struct bh_guard_opts go = { .report = print_event };
	struct bh_ctr_list *l = NULL;
	struct bh_guard *g = NULL;
	struct bh_error *err = NULL;
	struct bh_guard_stats st;
	uint64_t dur_ms = 0;
	struct timespec t0, t1;
	int c, rc = BH_EXIT_OK;

	optind = 0;
	while ((c = cli_getopt(argc, argv, "h", opts, "guard exec")) != -1) {
		switch (c) {
		case 'z': pol.zero_drift = true; break;
		case 'a':
			if (optarg[0] != '/') {
				rc = cli_usage_error("guard exec",
						     "--allow %s: not an absolute path", optarg);
				goto out;
			}
			bh_strvec_push(&allow, optarg);
			break;
		case 'o':
			if (optarg[0] != '/') {
				rc = cli_usage_error("guard exec",
						     "--deny-open %s: not an absolute path",
						     optarg);
				goto out;
			}
			bh_strvec_push(&deny_open, optarg);
			break;
		case 'm': pol.protect = false; break;
		case 'f': go.fail_closed = true; break;
		case 'e': go.report_allowed = true; break;
		case 'd':
			if (parse_ms(optarg, &dur_ms) < 0) {
				rc = cli_usage_error("guard exec", "--duration %s: not a duration",
						     optarg);
				goto out;
			}
			break;
		case 'h': rc = cli_help(guard_usage); goto out;
		default: rc = BH_EXIT_USAGE; goto out;
		}
	}
	if (optind == argc) {
		rc = cli_usage_error("guard exec", "no container named");
		goto out;
	}
	if (!pol.zero_drift && !allow.n && !deny_open.n) {
		rc = cli_usage_error(
			"guard exec",
			"nothing to decide: give --zero-drift, --allow or --deny-open");
		goto out;
	}
	pol.allow_exec = allow.n ? (const char *const *)allow.v : NULL;
	pol.deny_open = deny_open.n ? (const char *const *)deny_open.v : NULL;
	if ((rc = list_ctrs(cli, &l)))
		goto out;
	if (bh_guard_open(&go, &g, &err) < 0) {
		rc = cli_fail(err);
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		const struct bh_ctr *ct = find_ctr(l, argv[i]);
		int n;

		if (!ct) {
			rc = BH_EXIT_ERROR;
			goto out;
		}
		n = bh_guard_watch(g, ct, &pol, &err);
		if (n < 0) {
			rc = cli_fail(err);
			goto out;
		}
		/* the line a script waits for: from here the container's execs are decided */
		fprintf(stderr, "guard: watching %s (%d mounts, %s%s)\n", ct->id, n,
			pol.protect ? "protect" : "monitor", pol.zero_drift ? ", zero-drift" : "");
	}
	cli_on_signals(on_signal, 0, SIGINT, SIGTERM, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop_flag) {
		if (bh_guard_poll(g, 200, &err) < 0) {
			rc = cli_fail(err);
			goto out;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (dur_ms && (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000 +
					 (t1.tv_nsec - t0.tv_nsec) / 1000000) >= dur_ms)
			break;
	}
	bh_guard_get_stats(g, &st);
	fprintf(stderr,
		"guard: %llu events: %llu allowed, %llu denied, %llu would be denied, %llu errors, "
		"%llu overflows; slowest decision %llu us",
		(unsigned long long)st.events, (unsigned long long)st.allowed,
		(unsigned long long)st.denied, (unsigned long long)st.would_deny,
		(unsigned long long)st.errors, (unsigned long long)st.overflows,
		(unsigned long long)(st.max_decide_ns / 1000));
	if (st.name_walks || st.name_hits || st.name_over_budget)
		fprintf(stderr,
			"; other names of multi-link execs: %llu walks, %llu answers kept used, "
			"%llu over a container's budget (refused)",
			(unsigned long long)st.name_walks, (unsigned long long)st.name_hits,
			(unsigned long long)st.name_over_budget);
	fputc('\n', stderr);
out:
	bh_guard_free(g);
	bh_ctr_list_free(l);
	bh_strvec_release(&allow);
	bh_strvec_release(&deny_open);
	return rc;
}

static int guard_connect(int argc, char **argv, struct bh_cli *cli)
{
	static const struct option opts[] = {
		{ "deny-all", no_argument, NULL, 'D' },
		{ "allow", required_argument, NULL, 'a' },
		{ "deny", required_argument, NULL, 'd' },
		{ "monitor", no_argument, NULL, 'm' },
		{ "clear", no_argument, NULL, 'c' },
		{ "counts", no_argument, NULL, 'n' },
		{ "detach", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_guard_net_rule *rules = bh_calloc(BH_GUARD_NET_MAX_RULES, sizeof(*rules));
	struct bh_guard_net_policy p = { 0 };
	struct bh_ctr_list *l = NULL;
	struct bh_error *err = NULL;
	const struct bh_ctr *ct;
	int c, rc = BH_EXIT_OK, nmodes = 0;
	char mode = 0, rulekind = 0;

	optind = 0;
	while ((c = cli_getopt(argc, argv, "h", opts, "guard connect")) != -1) {
		switch (c) {
		case 'a':
		case 'd':
			if (rulekind && rulekind != c) {
				rc = cli_usage_error("guard connect",
						     "--allow and --deny exclude each other");
				goto out;
			}
			if (!rulekind)
				nmodes++;
			rulekind = (char)c;
			mode = (char)c;
			if (p.nrules == BH_GUARD_NET_MAX_RULES) {
				rc = cli_usage_error("guard connect", "more than %d rules",
						     BH_GUARD_NET_MAX_RULES);
				goto out;
			}
			if (bh_guard_net_parse_rule(optarg, &rules[p.nrules], &err) < 0) {
				rc = cli_usage_error("guard connect", "%s", err->msg);
				bh_error_free(err);
				goto out;
			}
			p.nrules++;
			break;
		case 'D':
		case 'c':
		case 'n':
		case 'x':
			nmodes++;
			mode = (char)c;
			break;
		case 'm': p.monitor = true; break;
		case 'h': rc = cli_help(guard_usage); goto out;
		default: rc = BH_EXIT_USAGE; goto out;
		}
	}
	if (nmodes != 1) {
		rc = cli_usage_error("guard connect", "give one of --deny-all, --allow, --deny, "
						      "--clear, --counts, --detach");
		goto out;
	}
	if (mode == 'x') {
		if (optind != argc) {
			rc = cli_usage_error("guard connect", "--detach takes no container");
			goto out;
		}
		if (bh_guard_net_detach(&err) < 0)
			rc = cli_fail(err);
		goto out;
	}
	if (optind + 1 != argc) {
		rc = cli_usage_error("guard connect", "name one container");
		goto out;
	}
	if ((rc = list_ctrs(cli, &l)))
		goto out;
	if (!(ct = find_ctr(l, argv[optind]))) {
		rc = BH_EXIT_ERROR;
		goto out;
	}
	if (mode == 'c') {
		if (bh_guard_net_clear(ct, &err) < 0)
			rc = cli_fail(err);
	} else if (mode == 'n') {
		struct bh_guard_net_counts n;

		if (bh_guard_net_counts(ct, &n, &err) < 0) {
			rc = cli_fail(err);
			goto out;
		}
		printf("{\"container\":\"%s\",\"allowed\":%llu,\"denied\":%llu,"
		       "\"would_deny\":%llu}\n",
		       ct->id, (unsigned long long)n.allowed, (unsigned long long)n.denied,
		       (unsigned long long)n.would_deny);
	} else {
		p.action = mode == 'D'	 ? BH_GUARD_NET_DENY_ALL
			   : mode == 'a' ? BH_GUARD_NET_ALLOW_LIST
					 : BH_GUARD_NET_DENY_LIST;
		p.rules = rules;
		if (bh_guard_net_set(ct, &p, &err) < 0) {
			rc = cli_fail(err);
			goto out;
		}
		bh_log(BH_LOG_INFO, "guard: %s: connect policy set (%s%s, %zu rules)", ct->id,
		       mode == 'D'   ? "deny-all"
		       : mode == 'a' ? "allow-list"
				     : "deny-list",
		       p.monitor ? ", monitor" : "", p.nrules);
	}
out:
	bh_ctr_list_free(l);
	free(rules);
	return rc;
}

static int guard_kill(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "start-time", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_error *err = NULL;
	uint64_t pid = 0, start = 0;
	int c;

	optind = 0;
	while ((c = cli_getopt(argc, argv, "h", opts, "guard kill")) != -1) {
		switch (c) {
		case 's':
			if (bh_parse_u64(optarg, &start, NULL) < 0 || !start)
				return cli_usage_error("guard kill",
						       "--start-time %s: not a number", optarg);
			break;
		case 'h': return cli_help(guard_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || bh_parse_u64(argv[optind], &pid, NULL) < 0 || !pid ||
	    pid > 0x7fffffff)
		return cli_usage_error("guard kill", "name one process ID");
	if (bh_guard_kill((pid_t)pid, start, &err) < 0) {
		if (bh_error_code(err) == BH_ERR_NOTFOUND) {
			bh_log(BH_LOG_INFO, "%s", err->msg);
			bh_error_free(err);
			return BH_EXIT_FINDINGS;
		}
		return cli_fail(err);
	}
	return BH_EXIT_OK;
}

int cmd_guard(int argc, char **argv, struct bh_cli *cli)
{
	if (argc < 2)
		return cli_usage_error("guard", "give a subcommand: exec, connect, kill");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return cli_help(guard_usage);
	if (!strcmp(argv[1], "exec"))
		return guard_exec(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "connect"))
		return guard_connect(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "kill"))
		return guard_kill(argc - 1, argv + 1);
	return cli_usage_error("guard", "unknown subcommand '%s'", argv[1]);
}
