/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead monitor [options]: the runtime monitor (issue 15). Parses the
 * options, loads the rules, opens the source (the kernel's, or a replay),
 * and runs the library's pipeline (include/bulkhead/monitord.h) until a
 * signal or the end; prints the stats. SIGTERM/SIGINT stop it (exit 0 after
 * the drain), SIGHUP reopens the file output, SIGUSR1 prints the stats so
 * far on stderr.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulkhead/behave.h"
#include "bulkhead/content.h"
#include "bulkhead/monitord.h"
#include "bulkhead/quarantine.h"
#include "bulkhead/rules.h"
#include "cli.h"
#include "banned.h"

#define RULES_FILES_MAX 64
#define ACTIONS_MAX	256
#define STATE_ROOTS_MAX 64

static const char monitor_usage[] =
	"usage: bulkhead monitor [options]\n"
	"\n"
	"Watch the processes of this host and its containers (exec, opens, connections,\n"
	"privilege changes), match the events against the rules and write the alerts\n"
	"(and, when asked, the events) to the outputs. Runs until SIGTERM or SIGINT\n"
	"(exit 0 after draining), --duration, or the end of a --replay. SIGHUP reopens\n"
	"the --file output; SIGUSR1 prints the counters on stderr.\n"
	"\n"
	"Options:\n"
	"  --rules FILE          a rules file (repeatable, loaded in order; default the\n"
	"                        installed rules/monitor/default.yaml)\n"
	"  --replay FILE         read events from JSON lines (\"-\" = stdin) instead of\n"
	"                        the kernel\n"
	"  --output json|text    stdout's format (default json); --no-stdout: none\n"
	"  --file PATH           JSON lines in PATH, rotated by size\n"
	"  --rotate-size N       rotate past N bytes (k, M, G suffixes; default 64M)\n"
	"  --rotate-keep K       rotated files kept: PATH.1 .. PATH.K (default 5)\n"
	"  --syslog [SOCKET]     RFC 5424 messages to SOCKET (default /dev/log)\n"
	"  --webhook URL         POST batches of JSON items to URL\n"
	"  --webhook-timeout MS  a POST's time limit (default 5000)\n"
	"  --db PATH             events and alerts in SQLite (the default path is\n"
	"                        /var/lib/bulkhead/monitor.sqlite: --db default)\n"
	"  --events[=LIST]       the outputs also get every event: all, or those of\n"
	"                        LIST (stdout,file,syslog,webhook,db); default alerts\n"
	"  --alerts-only         only alerts (the default; overrides --events)\n"
	"  --action RULE=ACTION  alert (default), kill, quarantine or block when RULE\n"
	"                        matches (repeatable; a rule's tag bulkhead.action=ACTION\n"
	"                        too; block: the exec is refused before it runs, through\n"
	"                        the guard; RULE may be the behaviour rule, \"Behaviour\n"
	"                        outside the learned profile\")\n"
	"  --profiles            behaviour profiles: learn each workload's behaviour\n"
	"                        (discover), alert on what falls outside it (monitor)\n"
	"                        and act on it (protect); see bulkhead monitor profile\n"
	"  --profile-store PATH  their store (default $BULKHEAD_PROFILES, else\n"
	"                        /var/lib/bulkhead/profiles.sqlite)\n"
	"  --profile-group G     a workload is its image digest (digest, the default)\n"
	"                        or its pod's owner (pod)\n"
	"  --behaviour-action A  in protect, what is done to what falls outside: kill\n"
	"                        (the process; the default), quarantine (the\n"
	"                        container) or alert\n"
	"  --no-guard            kernel source: do not drive the guard (protect then\n"
	"                        only kills after the event)\n"
	"  --fail-closed         the guard refuses an exec whose decision fails\n"
	"                        (default: allowed and counted)\n"
	"  --state-root RT:DIR   one more runtime state root to find containers in\n"
	"                        (repeatable; RT runc, crun or bulkhead; the global\n"
	"                        --root adds bulkhead's)\n"
	"  --docker-socket PATH  the Docker engine's socket, for the names, images and\n"
	"                        labels of its containers (default DOCKER_HOST's\n"
	"                        unix:// path, else /var/run/docker.sock; \"\" = none)\n"
	"  --docker-root DIR     dockerd's data root, read when its socket does not\n"
	"                        answer (default /var/lib/docker)\n"
	"  --podman-store DIR    podman's store (default /var/lib/containers/storage)\n"
	"  --quarantine-dir DIR  the quarantine records (default " BH_QUAR_STATE_DIR ")\n"
	"  --compat on|off|auto  kernel source: watch 32-bit system calls (int $0x80, a\n"
	"                        32-bit program) of the types asked; auto (the\n"
	"                        default): where the kernel can run them\n"
	"  --types LIST          kernel source: event types to attach besides those\n"
	"                        the rules need (comma-separated evt.type names)\n"
	"  --ring-size SIZE      kernel source: the ring buffer the kernel writes events\n"
	"                        to (a power of 2, 4K to 1G; default 8M): a larger one\n"
	"                        rides out longer bursts before events are lost\n"
	"  --duration D          stop after D (s, m, h suffixes; default: no limit)\n"
	"  --queue N             the detect and output queues' capacity (default 4096\n"
	"                        and 1024; an event is about 9 KiB)\n"
	"  --no-drop             outputs never drop: a full output holds the reader (for\n"
	"                        a replay stored whole; a dead webhook slows it all)\n"
	"  --loss-interval D     events lost (kernel ring full, detection or an output\n"
	"                        behind) are told by a \"Monitor lost events\" alert\n"
	"                        through every output: at most one per D (s, m, h\n"
	"                        suffixes; default 30s), a last one at the stop\n"
	"  --stats               print the counters on stderr at the end\n"
	"  -h, --help            show this help\n"
	"\n"
	"Exit: 0 stopped cleanly, 3 on errors (rules with errors, a bad event line,\n"
	"an output that cannot be opened).\n";

enum {
	OPT_RULES = 0x100,
	OPT_REPLAY,
	OPT_OUTPUT,
	OPT_NO_STDOUT,
	OPT_FILE,
	OPT_ROTATE_SIZE,
	OPT_ROTATE_KEEP,
	OPT_SYSLOG,
	OPT_WEBHOOK,
	OPT_WEBHOOK_TIMEOUT,
	OPT_DB,
	OPT_EVENTS,
	OPT_ALERTS_ONLY,
	OPT_ACTION,
	OPT_TYPES,
	OPT_COMPAT,
	OPT_DURATION,
	OPT_QUEUE,
	OPT_STATS,
	OPT_LOSS_INTERVAL,
	OPT_RING_SIZE,
	OPT_NO_DROP,
	OPT_PROFILES,
	OPT_PROFILE_STORE,
	OPT_PROFILE_GROUP,
	OPT_BEHAVIOUR_ACTION,
	OPT_NO_GUARD,
	OPT_FAIL_CLOSED,
	OPT_STATE_ROOT,
	OPT_QUARANTINE_DIR,
	OPT_DOCKER_SOCKET,
	OPT_DOCKER_ROOT,
	OPT_PODMAN_STORE,
};

static const struct option monitor_opts[] = {
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "replay", required_argument, NULL, OPT_REPLAY },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "no-stdout", no_argument, NULL, OPT_NO_STDOUT },
	{ "file", required_argument, NULL, OPT_FILE },
	{ "rotate-size", required_argument, NULL, OPT_ROTATE_SIZE },
	{ "rotate-keep", required_argument, NULL, OPT_ROTATE_KEEP },
	{ "syslog", optional_argument, NULL, OPT_SYSLOG },
	{ "webhook", required_argument, NULL, OPT_WEBHOOK },
	{ "webhook-timeout", required_argument, NULL, OPT_WEBHOOK_TIMEOUT },
	{ "db", required_argument, NULL, OPT_DB },
	{ "events", optional_argument, NULL, OPT_EVENTS },
	{ "alerts-only", no_argument, NULL, OPT_ALERTS_ONLY },
	{ "action", required_argument, NULL, OPT_ACTION },
	{ "types", required_argument, NULL, OPT_TYPES },
	{ "compat", required_argument, NULL, OPT_COMPAT },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "loss-interval", required_argument, NULL, OPT_LOSS_INTERVAL },
	{ "ring-size", required_argument, NULL, OPT_RING_SIZE },
	{ "no-drop", no_argument, NULL, OPT_NO_DROP },
	{ "profiles", no_argument, NULL, OPT_PROFILES },
	{ "profile-store", required_argument, NULL, OPT_PROFILE_STORE },
	{ "profile-group", required_argument, NULL, OPT_PROFILE_GROUP },
	{ "behaviour-action", required_argument, NULL, OPT_BEHAVIOUR_ACTION },
	{ "no-guard", no_argument, NULL, OPT_NO_GUARD },
	{ "fail-closed", no_argument, NULL, OPT_FAIL_CLOSED },
	{ "state-root", required_argument, NULL, OPT_STATE_ROOT },
	{ "quarantine-dir", required_argument, NULL, OPT_QUARANTINE_DIR },
	{ "docker-socket", required_argument, NULL, OPT_DOCKER_SOCKET },
	{ "docker-root", required_argument, NULL, OPT_DOCKER_ROOT },
	{ "podman-store", required_argument, NULL, OPT_PODMAN_STORE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static atomic_int sig_stop, sig_reopen, sig_report;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		atomic_fetch_add(&sig_reopen, 1);
	else if (sig == SIGUSR1)
		atomic_fetch_add(&sig_report, 1);
	else
		atomic_store(&sig_stop, 1);
}

static void print_stats(const struct bh_mon_run_stats *st)
{
	fprintf(stderr,
		"monitor: %llu events (%llu lost in the kernel, %llu refused), %llu detected, "
		"%llu not detected (queue full), %llu alerts",
		(unsigned long long)st->events, (unsigned long long)st->source.lost,
		(unsigned long long)st->read_errors, (unsigned long long)st->detected,
		(unsigned long long)st->detect_dropped, (unsigned long long)st->alerts);
	for (int i = 0; i < 8; i++)
		if (st->alerts_by_priority[i])
			fprintf(stderr, " %s=%llu", bh_rules_priority_name(i),
				(unsigned long long)st->alerts_by_priority[i]);
	fprintf(stderr, ", actions %llu ok %llu failed\n", (unsigned long long)st->actions_ok,
		(unsigned long long)st->actions_failed);
	if (st->detected)
		fprintf(stderr,
			"monitor: detection: %llu on the reader's thread, %llu handed to the "
			"detection thread\n",
			(unsigned long long)st->detect_inline,
			(unsigned long long)(st->detected - st->detect_inline));
	if (st->loss_alerts)
		fprintf(stderr, "monitor: %llu \"" BH_MON_LOSS_RULE "\" alerts\n",
			(unsigned long long)st->loss_alerts);
	if (st->loss_alerts_dropped)
		fprintf(stderr,
			"monitor: %llu loss alerts not given to the consumers (queue full)\n",
			(unsigned long long)st->loss_alerts_dropped);
	if (st->alerts_named_late || st->alerts_unnamed || st->alerts_naming_full)
		fprintf(stderr,
			"monitor: alerts of a container not named yet: %llu named late, %llu left "
			"unnamed (deadline), %llu left unnamed (naming queue full)\n",
			(unsigned long long)st->alerts_named_late,
			(unsigned long long)st->alerts_unnamed,
			(unsigned long long)st->alerts_naming_full);
	if (st->source.full_lists)
		fprintf(stderr,
			"monitor: full lists of the containers: %llu, %llu us on average, %llu us "
			"the longest\n",
			(unsigned long long)st->source.full_lists,
			(unsigned long long)(st->source.full_list_ns / st->source.full_lists /
					     1000),
			(unsigned long long)(st->source.full_list_max_ns / 1000));
	if (st->source.cgroups_made)
		fprintf(stderr,
			"monitor: %llu cgroups made seen, %llu cgroup ids attributed by their "
			"mkdir's path\n",
			(unsigned long long)st->source.cgroups_made,
			(unsigned long long)st->source.by_mkdir);
	if (st->source.compat != BH_MON_COMPAT_NA)
		fprintf(stderr, "monitor: 32-bit calls: %s\n",
			bh_mon_compat_state_name((enum bh_mon_compat_state)st->source.compat));
	if (st->source.open_nofile)
		fprintf(stderr,
			"monitor: %llu opens whose fd another thread closed before their record "
			"(reported by the name the caller passed)\n",
			(unsigned long long)st->source.open_nofile);
	if (st->guard_watched || st->guard_exec_refused || st->guard_open_refused ||
	    st->guard_connect_refused || st->guard_errors)
		fprintf(stderr,
			"monitor: guard: %llu watched, %llu execs refused, %llu opens refused, "
			"%llu connects refused, %llu errors\n",
			(unsigned long long)st->guard_watched,
			(unsigned long long)st->guard_exec_refused,
			(unsigned long long)st->guard_open_refused,
			(unsigned long long)st->guard_connect_refused,
			(unsigned long long)st->guard_errors);
	if (st->guard_name_walks || st->guard_name_hits || st->guard_name_over_budget)
		fprintf(stderr,
			"monitor: guard: other names of multi-link execs: %llu walks, %llu answers "
			"kept used, %llu over a container's budget (refused)\n",
			(unsigned long long)st->guard_name_walks,
			(unsigned long long)st->guard_name_hits,
			(unsigned long long)st->guard_name_over_budget);
	if (st->behave_learned || st->behave_known || st->behave_outside || st->behave_errors)
		fprintf(stderr,
			"monitor: behaviour: %llu learned, %llu known, %llu outside (%llu "
			"blocked), "
			"%llu errors\n",
			(unsigned long long)st->behave_learned,
			(unsigned long long)st->behave_known,
			(unsigned long long)st->behave_outside,
			(unsigned long long)st->behave_blocked,
			(unsigned long long)st->behave_errors);
	for (size_t i = 0; i < st->noutputs; i++) {
		fprintf(stderr, "monitor: %s: %llu written, %llu dropped, %llu errors",
			st->outputs[i].name, (unsigned long long)st->outputs[i].written,
			(unsigned long long)st->outputs[i].dropped,
			(unsigned long long)st->outputs[i].errors);
		/* apart: a dropped loss alert is no new loss (no loss alert of its own) */
		if (st->outputs[i].loss_dropped)
			fprintf(stderr, ", %llu loss alerts dropped",
				(unsigned long long)st->outputs[i].loss_dropped);
		fputc('\n', stderr);
	}
}

static void on_progress(void *data, const struct bh_mon_run_stats *st)
{
	print_stats(st);
}

static void on_warn(void *data, const struct bh_error *err)
{
	char *m = bh_error_message(err);

	fprintf(stderr, "bulkhead: warning: %s\n", m);
	free(m);
}

static void print_diags(const struct bh_rules_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct bh_rules_diag *g = &d->v[i];

		if (g->line)
			fprintf(stderr, "%s:%zu:%zu: ", g->file, g->line, g->column);
		else
			fprintf(stderr, "%s: ", g->file);
		fprintf(stderr, "%s: %s%s%s\n",
			g->severity == BH_RULES_DIAG_ERROR ? "error" : "warning",
			g->item ? g->item : "", g->item ? ": " : "", g->message);
	}
}

int cli_monitor_source(const char *replay, const struct bh_rules *rs, const struct bh_ctr_opts *co,
		       const struct cli_mon_source_opts *o, struct bh_mon_source **out,
		       struct bh_error **err)
{
	/* the daemon reads its source steadily: it answers bulkhead's starts */
	struct bh_mon_kernel_opts ko = { .types = bh_rules_types(rs) | o->types,
					 .containers = co,
					 .rendezvous = true,
					 .compat = o->compat,
					 .ring_bytes = o->ring_bytes };
	struct bh_mon_open_filter of;
	struct bh_mon_stats st = { 0 };
	int r;

	if (replay)
		return bh_mon_source_replay(replay, out, err);
	/* tests only: the fallback of a kernel before 6.10 (bulkhead-monitor(1)) */
	ko.no_prepare_exec = getenv("BULKHEAD_MON_NO_PREPARE_EXEC") != NULL;
	/* the opens the rules can match; types asking for an open type means
	 * every open; behaviour profiles learn the files written */
	bh_rules_open_filter(rs, &of);
	if (o->types & (BH_MON_TYPE_BIT(BH_MON_OPEN) | BH_MON_TYPE_BIT(BH_MON_OPENAT) |
			BH_MON_TYPE_BIT(BH_MON_OPENAT2)))
		of.all = true;
	if (o->writes)
		of.writes = true;
	ko.open_filter = &of;
	r = bh_mon_source_kernel(&ko, out, err);
	bh_mon_open_filter_release(&of);
	if (r == 0) {
		bh_mon_source_stats(*out, &st);
		if (st.compat == BH_MON_COMPAT_UNWATCHED)
			fprintf(stderr, "bulkhead: warning: this kernel runs 32-bit system calls "
					"(int $0x80, 32-bit programs) and they are not watched "
					"(--compat off): a container can make its calls unseen\n");
	}
	return r;
}

/* The rules: the files given, else the default set; any error fails (cli.h;
 * `bulkhead agent` loads its rules the same way). */
struct bh_rules *cli_monitor_load_rules(char **files, size_t n, struct bh_error **err)
{
	struct bh_rules *rs = bh_rules_new();
	struct bh_rules_diags d = { 0 };
	char *def = NULL;
	bool bad = false;

	if (!n) {
		char *dir = bh_content_default_rules_dir(getenv("BULKHEAD_RULES"));

		if (!dir) {
			bh_error_set(err, BH_ERR_NOTFOUND,
				     "bulkhead's rules directory not found (set BULKHEAD_RULES "
				     "or give --rules)");
			bh_rules_free(rs);
			return NULL;
		}
		def = bh_asprintf("%s/monitor/default.yaml", dir);
		free(dir);
		files = &def;
		n = 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (bh_rules_add_file(rs, files[i], &d, err) < 0)
			bad = true;
		bh_error_clear(err);
	}
	if (bh_rules_compile(rs, &d, err) < 0)
		bad = true;
	bh_error_clear(err);
	print_diags(&d);
	if (bad) {
		bh_error_set(err, BH_ERR_INVALID, "the rules have %zu error%s", d.nerrors,
			     d.nerrors == 1 ? "" : "s");
		bh_rules_free(rs);
		rs = NULL;
	}
	bh_rules_diags_release(&d);
	free(def);
	return rs;
}

static int parse_duration_ms(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1000;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (!strcmp(end, "ms"))
		mul = 1;
	else if (!*end || !strcmp(end, "s"))
		mul = 1000;
	else if (!strcmp(end, "m"))
		mul = 60000;
	else if (!strcmp(end, "h"))
		mul = 3600000;
	else
		return -1;
	if (v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

static int parse_types(const char *s, uint64_t *out)
{
	char name[32];

	while (*s) {
		size_t n = strcspn(s, ",");
		enum bh_mon_type t;

		if (n >= sizeof(name))
			return -1;
		memcpy(name, s, n);
		name[n] = 0;
		t = bh_mon_type_parse(name);
		if (t == BH_MON_NONE)
			return -1;
		*out |= BH_MON_TYPE_BIT(t);
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

/* --events[=LIST]: the output kinds (bits of enum bh_mon_output_kind) that get events. */
static int parse_outputs(const char *s, unsigned *mask)
{
	static const char *const names[] = {
		[BH_MON_OUT_FD] = "stdout",	[BH_MON_OUT_FILE] = "file",
		[BH_MON_OUT_SYSLOG] = "syslog", [BH_MON_OUT_WEBHOOK] = "webhook",
		[BH_MON_OUT_DB] = "db",
	};

	if (!s) {
		*mask = ~0u;
		return 0;
	}
	while (*s) {
		size_t n = strcspn(s, ",");
		bool found = false;

		for (unsigned k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strlen(names[k]) == n && !strncmp(names[k], s, n)) {
				*mask |= 1u << k;
				found = true;
			}
		if (!found)
			return -1;
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

int cmd_monitor(int argc, char **argv, struct bh_cli *cli)
{
	static const char *cmd = "monitor";
	char *rules_files[RULES_FILES_MAX];
	size_t nrules = 0, nout = 0, nact = 0;
	struct bh_mon_action_rule actions[ACTIONS_MAX];
	struct bh_mon_output_opts outs[BH_MON_OUTPUTS_MAX], *file = NULL;
	struct bh_mon_run_opts ro = { 0 };
	struct bh_quar_opts qopts = { 0 };
	struct bh_mon_run_stats st;
	const char *replay = NULL;
	bool text = false, no_stdout = false, alerts_only = false, stats = false;
	unsigned events = 0;
	uint64_t v;
	struct cli_mon_source_opts so = { .compat = BH_MON_COMPAT_AUTO };
	unsigned wh_timeout = 0;
	struct bh_rules *rs = NULL;
	struct bh_mon_source *src = NULL;
	struct bh_behave_opts bo = { 0 };
	struct bh_behave *behave = NULL;
	bool profiles = false, profile_opts = false, no_guard = false, block = false;
	struct bh_mon_guard_opts go = { 0 };
	struct bh_ctr_opts co = { 0 };
	const char *roots[STATE_ROOTS_MAX + 2] = { 0 };
	size_t nroots = 0;
	char *own_root = NULL;
	int behave_action = BH_MON_ACT_KILL;
	struct bh_error *err = NULL;
	const char *dh = getenv("DOCKER_HOST");
	int c, rc = BH_EXIT_ERROR;

	/* behaviour profiles: src/cli/monitor_profile.c */
	if (argc > 1 && !strcmp(argv[1], "profile"))
		return cmd_monitor_profile(argc - 1, argv + 1, cli);
	memset(outs, 0, sizeof(outs));
	if (dh && bh_str_has_prefix(dh, "unix://"))
		co.docker_socket = dh + 7;
	while ((c = cli_getopt(argc, argv, "h", monitor_opts, cmd)) != -1) {
		struct bh_mon_output_opts *o = nout < BH_MON_OUTPUTS_MAX ? &outs[nout] : NULL;

		switch (c) {
		case 'h': return cli_help(monitor_usage);
		case OPT_RULES:
			if (nrules == RULES_FILES_MAX)
				return cli_usage_error(cmd, "more than %d --rules",
						       RULES_FILES_MAX);
			rules_files[nrules++] = optarg;
			break;
		case OPT_REPLAY: replay = optarg; break;
		case OPT_OUTPUT:
			if (strcmp(optarg, "json") && strcmp(optarg, "text"))
				return cli_usage_error(cmd, "--output: json or text, not '%s'",
						       optarg);
			text = !strcmp(optarg, "text");
			break;
		case OPT_NO_STDOUT: no_stdout = true; break;
		case OPT_FILE:
		case OPT_SYSLOG:
		case OPT_WEBHOOK:
		case OPT_DB:
			if (!o)
				return cli_usage_error(cmd, "more than %d outputs",
						       BH_MON_OUTPUTS_MAX - 1);
			nout++;
			o->kind = c == OPT_FILE	     ? BH_MON_OUT_FILE
				  : c == OPT_SYSLOG  ? BH_MON_OUT_SYSLOG
				  : c == OPT_WEBHOOK ? BH_MON_OUT_WEBHOOK
						     : BH_MON_OUT_DB;
			if (c == OPT_FILE) {
				o->path = optarg;
				o->rotate_size = file ? file->rotate_size : 0;
				o->rotate_keep = file ? file->rotate_keep : 0;
				file = o;
			} else if (c == OPT_SYSLOG) {
				/* --syslog SOCKET as well as --syslog=SOCKET (no
				 * operands otherwise: an absolute path is the socket) */
				if (!optarg && optind < argc && argv[optind][0] == '/')
					optarg = argv[optind++];
				o->socket = optarg;
			} else if (c == OPT_WEBHOOK)
				o->url = optarg;
			else
				o->db_path = strcmp(optarg, "default") ? optarg : NULL;
			break;
		case OPT_ROTATE_SIZE:
		case OPT_ROTATE_KEEP:
			if (c == OPT_ROTATE_SIZE
				    ? bh_parse_size(optarg, &v, NULL) < 0 || !v
				    : bh_parse_u64(optarg, &v, NULL) < 0 || !v || v > 1000)
				return cli_usage_error(cmd, "--%s: bad value '%s'",
						       c == OPT_ROTATE_SIZE ? "rotate-size"
									    : "rotate-keep",
						       optarg);
			if (!file)
				return cli_usage_error(cmd, "--%s comes after --file",
						       c == OPT_ROTATE_SIZE ? "rotate-size"
									    : "rotate-keep");
			if (c == OPT_ROTATE_SIZE)
				file->rotate_size = v;
			else
				file->rotate_keep = (unsigned)v;
			break;
		case OPT_WEBHOOK_TIMEOUT:
			if (bh_parse_u64(optarg, &v, NULL) < 0 || !v || v > 600000)
				return cli_usage_error(cmd, "--webhook-timeout: bad value '%s'",
						       optarg);
			wh_timeout = (unsigned)v;
			break;
		case OPT_EVENTS:
			if (parse_outputs(optarg, &events) < 0)
				return cli_usage_error(cmd,
						       "--events: a list of stdout, file, syslog, "
						       "webhook, db, not '%s'",
						       optarg);
			break;
		case OPT_ALERTS_ONLY: alerts_only = true; break;
		case OPT_ACTION: {
			char *eq = strrchr(optarg, '=');
			int a = eq ? bh_mon_action_parse(eq + 1) : -1;

			if (!eq || eq == optarg || a < 0)
				return cli_usage_error(
					cmd, "--action: RULE=alert|kill|quarantine|block, not '%s'",
					optarg);
			if (nact == ACTIONS_MAX)
				return cli_usage_error(cmd, "more than %d --action", ACTIONS_MAX);
			*eq = 0;
			block |= a == BH_MON_ACT_BLOCK;
			actions[nact].rule = optarg;
			actions[nact++].action = (enum bh_mon_action)a;
			break;
		}
		case OPT_COMPAT:
			if (!strcmp(optarg, "on"))
				so.compat = BH_MON_COMPAT_ON;
			else if (!strcmp(optarg, "off"))
				so.compat = BH_MON_COMPAT_OFF;
			else if (!strcmp(optarg, "auto"))
				so.compat = BH_MON_COMPAT_AUTO;
			else
				return cli_usage_error(cmd, "--compat: on, off or auto, not '%s'",
						       optarg);
			break;
		case OPT_TYPES:
			if (parse_types(optarg, &so.types) < 0)
				return cli_usage_error(cmd, "--types: unknown event type in '%s'",
						       optarg);
			break;
		case OPT_RING_SIZE:
			/* the source's own bounds (a power of 2, 4 KiB to 1 GiB) */
			if (bh_parse_size(optarg, &v, NULL) < 0 || v < 4096 || v > (1u << 30) ||
			    (v & (v - 1)))
				return cli_usage_error(cmd,
						       "--ring-size: a power of 2 from 4K to 1G, "
						       "not '%s'",
						       optarg);
			so.ring_bytes = (size_t)v;
			break;
		case OPT_DURATION:
			if (parse_duration_ms(optarg, &ro.duration_ms) < 0 || !ro.duration_ms)
				return cli_usage_error(cmd, "--duration: bad value '%s'", optarg);
			break;
		case OPT_QUEUE:
			if (bh_parse_u64(optarg, &v, NULL) < 0 || !v || v > 1000000)
				return cli_usage_error(cmd, "--queue: 1 to 1000000, not '%s'",
						       optarg);
			ro.queue = (size_t)v;
			break;
		case OPT_STATS: stats = true; break;
		case OPT_LOSS_INTERVAL: {
			uint64_t ms = 0;

			if (parse_duration_ms(optarg, &ms) < 0 || ms < 1000 || ms > 86400000)
				return cli_usage_error(cmd, "--loss-interval: 1s to 24h, not '%s'",
						       optarg);
			ro.loss_interval_ms = (unsigned)ms;
			break;
		}
		case OPT_NO_DROP: ro.no_drop = true; break;
		case OPT_PROFILES: profiles = true; break;
		case OPT_PROFILE_STORE:
			if (!*optarg)
				return cli_usage_error(cmd, "--profile-store: an empty path");
			bo.store = optarg;
			profile_opts = true;
			break;
		case OPT_PROFILE_GROUP:
			if (!strcmp(optarg, "digest"))
				bo.group = BH_BEHAVE_BY_DIGEST;
			else if (!strcmp(optarg, "pod"))
				bo.group = BH_BEHAVE_BY_POD;
			else
				return cli_usage_error(
					cmd, "--profile-group: digest or pod, not '%s'", optarg);
			profile_opts = true;
			break;
		case OPT_NO_GUARD: no_guard = true; break;
		case OPT_FAIL_CLOSED: go.fail_closed = true; break;
		case OPT_STATE_ROOT:
			if (!strchr(optarg, ':'))
				return cli_usage_error(cmd, "--state-root: RUNTIME:DIR, not '%s'",
						       optarg);
			if (nroots == STATE_ROOTS_MAX)
				return cli_usage_error(cmd, "more than %d --state-root",
						       STATE_ROOTS_MAX);
			roots[nroots++] = optarg;
			break;
		case OPT_QUARANTINE_DIR: qopts.state_dir = optarg; break;
		case OPT_DOCKER_SOCKET: co.docker_socket = optarg; break;
		case OPT_DOCKER_ROOT:
		case OPT_PODMAN_STORE:
			if (*optarg != '/')
				return cli_usage_error(cmd, "--%s: an absolute path, not '%s'",
						       c == OPT_DOCKER_ROOT ? "docker-root"
									    : "podman-store",
						       optarg);
			if (c == OPT_DOCKER_ROOT)
				co.docker_root = optarg;
			else
				co.podman_store = optarg;
			break;
		case OPT_BEHAVIOUR_ACTION:
			behave_action = bh_mon_action_parse(optarg);
			if (behave_action < 0 || behave_action == BH_MON_ACT_BLOCK)
				return cli_usage_error(
					cmd,
					"--behaviour-action: kill, quarantine or alert, not '%s'",
					optarg);
			profile_opts = true;
			break;
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (profile_opts && !profiles)
		return cli_usage_error(cmd, "--profile-store, --profile-group and "
					    "--behaviour-action go with --profiles");
	if (cli->runtime_root)
		roots[nroots++] = own_root = bh_asprintf("bulkhead:%s", cli->runtime_root);
	co.state_roots = roots;
	qopts.ctr = &co;
	if (!no_stdout) {
		outs[nout].kind = BH_MON_OUT_FD;
		outs[nout].fd = 1;
		outs[nout].text = text;
		nout++;
	}
	for (size_t i = 0; i < nout; i++) {
		outs[i].select =
			BH_MON_SEL_ALERTS |
			((events & (1u << outs[i].kind)) && !alerts_only ? BH_MON_SEL_EVENTS : 0);
		outs[i].queue = ro.queue;
		outs[i].timeout_ms = wh_timeout;
	}

	/* before the source loads (seconds): a signal then stops or reports, not kills */
	cli_on_signals(on_signal, 0, SIGINT, SIGTERM, SIGHUP, SIGUSR1, 0);
	signal(SIGPIPE, SIG_IGN);
	rs = cli_monitor_load_rules(rules_files, nrules, &err);
	if (!rs)
		goto fail;
	so.writes = profiles;
	if (cli_monitor_source(replay, rs, &co, &so, &src, &err) < 0)
		goto fail;

	if (profiles && bh_behave_open(&bo, &behave, &err) < 0)
		goto fail;

	ro.source = src;
	ro.rules = rs;
	ro.actions = actions;
	ro.nactions = nact;
	ro.outputs = outs;
	ro.noutputs = nout;
	ro.stop = &sig_stop;
	ro.reopen = &sig_reopen;
	ro.report = &sig_report;
	ro.progress = on_progress;
	ro.warn = on_warn;
	ro.quarantine = bh_quar_monitor_action;
	ro.quarantine_data = &qopts;
	ro.behave = behave;
	ro.behave_action = (enum bh_mon_action)behave_action;
	/* the guard: a live source, profiles or a rule that blocks */
	if (!replay && !no_guard && (profiles || block)) {
		go.containers = &co;
		go.store = bo.store;
		go.group = bo.group;
		ro.guard = &go;
	}
	if (bh_mon_run(&ro, &st, &err) < 0)
		goto fail;
	if (stats)
		print_stats(&st);
	if (st.read_errors) {
		fprintf(stderr, "bulkhead: error: %llu event%s refused (see above)\n",
			(unsigned long long)st.read_errors, st.read_errors == 1 ? "" : "s");
		rc = BH_EXIT_ERROR;
	} else
		rc = BH_EXIT_OK;
	if (st.behave_errors) {
		fprintf(stderr, "bulkhead: error: behaviour profiles: %llu error%s (see above)\n",
			(unsigned long long)st.behave_errors, st.behave_errors == 1 ? "" : "s");
		rc = BH_EXIT_ERROR;
	}
	bh_behave_close(behave);
	bh_mon_source_free(src);
	bh_rules_free(rs);
	free(own_root);
	return rc;
fail:
	bh_behave_close(behave);
	bh_mon_source_free(src);
	bh_rules_free(rs);
	free(own_root);
	return cli_fail(err);
}
