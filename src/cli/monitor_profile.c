/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `bulkhead monitor profile list|show|set-mode|promote|export|import|delete|learn|check`:
 * the behaviour profiles of workloads (include/bulkhead/behave.h), in the
 * profile store shared with syscall profiles (bulkhead-monitor-profile(1)).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/behave.h"
#include "bulkhead/rules.h"
#include "cli.h"
#include "banned.h"

static const char mp_usage[] =
	"usage: bulkhead monitor profile list [--json]\n"
	"       bulkhead monitor profile show KEY\n"
	"       bulkhead monitor profile set-mode KEY discover|monitor|protect [--zero-drift "
	"on|off]\n"
	"       bulkhead monitor profile promote KEY --after DURATION --runs N --to "
	"monitor|protect\n"
	"       bulkhead monitor profile promote KEY --clear\n"
	"       bulkhead monitor profile export KEY [-o FILE]\n"
	"       bulkhead monitor profile import FILE [--key KEY]\n"
	"       bulkhead monitor profile delete KEY\n"
	"       bulkhead monitor profile learn --events FILE [--key KEY] [--group digest|pod]\n"
	"       bulkhead monitor profile check --events FILE [--key KEY] [--group digest|pod]\n"
	"\n"
	"Behaviour profiles per workload: the processes run (executable and parent), the\n"
	"directories written in, the ports listened and accepted on, the peers connected\n"
	"to. A workload's key is its image digest, or with --group pod the owner of its\n"
	"pod (NAMESPACE/deployment/NAME, .../statefulset/NAME, .../daemonset/NAME), or\n"
	"the --key given. In discover the monitor learns; in monitor it reports what\n"
	"falls outside; in protect it blocks it. --zero-drift on: in monitor and protect,\n"
	"an executable that was not in the image (written after the start, or run from\n"
	"memory) is outside whatever was learned.\n"
	"\n"
	"learn and check read recorded events, one JSON object a line, as `bulkhead rules\n"
	"test --event` takes them. learn learns them whatever the profiles' modes; check\n"
	"writes nothing and prints, as JSON lines, each event outside its profile (or of\n"
	"a workload with no profile); it exits 1 when there is one.\n"
	"\n"
	"The store is $BULKHEAD_PROFILES, else /var/lib/bulkhead/profiles.sqlite\n"
	"(root) or $XDG_DATA_HOME/bulkhead/profiles.sqlite.\n"
	"\n"
	"See bulkhead-monitor-profile(1).\n";

static const struct option mp_opts[] = {
	{ "json", no_argument, NULL, 'j' },	    { "output", required_argument, NULL, 'o' },
	{ "events", required_argument, NULL, 'e' }, { "key", required_argument, NULL, 'k' },
	{ "group", required_argument, NULL, 'g' },  { "zero-drift", required_argument, NULL, 'z' },
	{ "after", required_argument, NULL, 'A' },  { "runs", required_argument, NULL, 'R' },
	{ "to", required_argument, NULL, 'T' },	    { "clear", no_argument, NULL, 'C' },
	{ "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 },
};

#define EVENTS_MAX_BYTES (256u << 20) /* a recorded events file */
#define EVENT_MAX_BYTES	 (1u << 20)   /* one line */

/* Each line of the events file as an event into evs (a new array of *n). */
static int read_events(const char *path, struct bh_mon_event **evs, size_t *n,
		       struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(EVENTS_MAX_BYTES);
	size_t cap = 0, line = 0;
	char *p, *end;
	int r = -1;

	*evs = NULL;
	*n = 0;
	if (bh_read_file(path, &b, err) < 0)
		goto out;
	p = b.data;
	end = b.data + b.len;
	while (p && p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), what[64];
		size_t len = (size_t)((nl ? nl : end) - p);
		const char *q = p;
		json_t *j = NULL;

		line++;
		p = nl ? nl + 1 : NULL;
		while (len && strchr(" \t\r", q[len - 1]))
			len--;
		while (len && strchr(" \t", *q)) {
			q++;
			len--;
		}
		if (!len || *q == '#')
			continue;
		snprintf(what, sizeof(what), "line %zu", line);
		if (bh_json_parse(q, len, EVENT_MAX_BYTES, what, &j, err) < 0)
			goto out;
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			*evs = bh_reallocarray(*evs, cap, sizeof(**evs));
		}
		r = bh_mon_event_from_json(j, &(*evs)[*n], err);
		json_decref(j);
		if (r < 0) {
			bh_error_prefix(err, "%s", what);
			goto out;
		}
		(*n)++;
		r = -1;
	}
	r = 0;
out:
	if (r < 0) {
		bh_error_prefix(err, "%s", path);
		free(*evs);
		*evs = NULL;
		*n = 0;
	}
	bh_buf_release(&b);
	return r;
}

static int feed(const struct bh_behave_opts *o, const char *events)
{
	struct bh_mon_event *evs = NULL;
	struct bh_behave *b = NULL;
	struct bh_error *err = NULL;
	size_t n = 0, counts[4] = { 0 };
	int r = BH_EXIT_OK;

	/* every line is read and checked first: a bad file learns nothing */
	if (read_events(events, &evs, &n, &err) < 0 || bh_behave_open(o, &b, &err) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		struct bh_behave_verdict v;

		if (bh_behave_observe(b, &evs[i], &v, &err) < 0)
			goto fail;
		counts[v.result]++;
		if (o->check && v.result == BH_BEHAVE_OUTSIDE) {
			json_t *j = bh_behave_verdict_json(&v, &evs[i]);
			char *s;

			json_object_set_new(j, "event", json_integer((json_int_t)i + 1));
			s = json_dumps(j, JSON_COMPACT);
			json_decref(j);
			if (s)
				puts(s);
			free(s);
			r = BH_EXIT_FINDINGS;
		}
	}
	if (!o->check && bh_behave_flush(b, &err) < 0)
		goto fail;
	fprintf(stderr, "%zu event(s): %zu learned, %zu known, %zu outside, %zu ignored\n", n,
		counts[BH_BEHAVE_LEARNED], counts[BH_BEHAVE_KNOWN], counts[BH_BEHAVE_OUTSIDE],
		counts[BH_BEHAVE_IGNORED]);
	bh_behave_close(b);
	free(evs);
	return r;
fail:
	bh_behave_close(b);
	free(evs);
	return cli_fail(err);
}

static int show_list(struct bh_behave *b, bool json, struct bh_error **err)
{
	json_t *arr, *p;
	size_t i;

	if (bh_behave_list(b, &arr, err) < 0)
		return -1;
	if (json)
		return cli_print_json(arr, 0);
	printf("%-48s %-8s %-5s %6s %6s %6s %6s %6s %9s\n", "KEY", "MODE", "DRIFT", "PROCS",
	       "FILES", "LISTEN", "OUT", "IN", "EVENTS");
	json_array_foreach (arr, i, p) {
		json_int_t v[6] = { 0 };
		static const char *const k[] = { "processes", "files",	 "listen",
						 "outbound",  "inbound", "events" };

		for (int x = 0; x < 6; x++)
			bh_json_int(p, k[x], &v[x]);
		printf("%-48s %-8s %-5s %6lld %6lld %6lld %6lld %6lld %9lld%s%s\n",
		       bh_json_str(p, "key"), bh_json_str(p, "mode"),
		       json_is_true(json_object_get(p, "zero_drift")) ? "on" : "off",
		       (long long)v[0], (long long)v[1], (long long)v[2], (long long)v[3],
		       (long long)v[4], (long long)v[5],
		       json_is_true(json_object_get(p, "overflowed")) ? " overflowed" : "",
		       json_is_true(json_object_get(p, "events_lost")) ? " events-lost" : "");
	}
	json_decref(arr);
	return 0;
}

static int export(struct bh_behave *b, const char *key, const char *output, struct bh_error **err)
{
	struct cli_output out = { 0 };
	json_t *d;
	int r;

	if (bh_behave_export(b, key, &d, err) < 0)
		return -1;
	if (cli_output_open(&out, output, err) < 0) {
		json_decref(d);
		return -1;
	}
	r = json_dumpf(d, out.fp, JSON_INDENT(2)) == 0 && fputc('\n', out.fp) != EOF ? 0 : -1;
	json_decref(d);
	if (r < 0)
		bh_error_set(err, BH_ERR_IO, "writing the profile");
	return cli_output_close(&out, r == 0, err) < 0 ? -1 : r;
}

static int import(struct bh_behave *b, const char *path, const char *key, struct bh_error **err)
{
	struct bh_buf buf = BH_BUF_INIT(64u << 20);
	json_t *d = NULL;
	int r = -1;

	if (bh_read_file(path, &buf, err) < 0 || bh_behave_parse(buf.data, buf.len, 0, &d, err) < 0)
		bh_error_prefix(err, "%s", path);
	else
		r = bh_behave_import(b, d, key, err);
	json_decref(d);
	bh_buf_release(&buf);
	return r;
}

int cmd_monitor_profile(int argc, char **argv, struct bh_cli *cli)
{
	static const char *const subs[] = { "list",   "show",	"set-mode", "promote", "export",
					    "import", "delete", "learn",    "check",   NULL };
	const char *sub, *output = NULL, *events = NULL, *key = NULL;
	struct bh_behave_opts o = { 0 };
	struct bh_prof_rule rule = { .to = BH_PROF_DISCOVER };
	struct bh_behave *b = NULL;
	struct bh_error *err = NULL;
	bool json = false, clear = false, after = false;
	int c, nargs, zero_drift = -1, r = 0;
	const char *const *p = subs;
	enum bh_prof_mode mode;
	char cmd[48];

	(void)cli;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc < 2) {
			fputs(mp_usage, stderr);
			return BH_EXIT_USAGE;
		}
		return cli_help(mp_usage);
	}
	sub = argv[1];
	while (*p && strcmp(*p, sub))
		p++;
	if (!*p)
		return cli_usage_error("monitor profile",
				       "unknown subcommand '%.32s' (list, show, set-mode, promote, "
				       "export, import, delete, learn or check)",
				       sub);
	snprintf(cmd, sizeof(cmd), "monitor profile %s", sub);
	argc--;
	argv++;
	optind = 0;
	while ((c = cli_getopt(argc, argv, "o:h", mp_opts, cmd)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'o': output = optarg; break;
		case 'e': events = optarg; break;
		case 'k':
			if (bh_behave_key_check(optarg, NULL) < 0)
				return cli_usage_error(
					cmd,
					"--key '%.64s': letters, digits and ._:/@+=- "
					"(at most 255)",
					optarg);
			key = optarg;
			break;
		case 'g':
			if (!strcmp(optarg, "digest"))
				o.group = BH_BEHAVE_BY_DIGEST;
			else if (!strcmp(optarg, "pod"))
				o.group = BH_BEHAVE_BY_POD;
			else
				return cli_usage_error(cmd, "--group '%.32s': digest or pod",
						       optarg);
			break;
		case 'z':
			if (strcmp(optarg, "on") && strcmp(optarg, "off"))
				return cli_usage_error(cmd, "--zero-drift '%.32s': on or off",
						       optarg);
			zero_drift = !strcmp(optarg, "on");
			break;
		case 'A':
			if (cli_parse_duration(optarg, &rule.seconds) < 0 ||
			    rule.seconds > 100000000)
				return cli_usage_error(cmd,
						       "--after '%.32s': a duration (90, 30s, 10m, "
						       "1h30m, 2d)",
						       optarg);
			after = true;
			break;
		case 'R': {
			uint64_t n;

			if (bh_parse_u64(optarg, &n, NULL) < 0 || n < 1 || n > 1000000)
				return cli_usage_error(cmd, "--runs '%.32s': 1 to 1000000", optarg);
			rule.runs = (uint32_t)n;
			break;
		}
		case 'T':
			if (bh_prof_mode_parse(optarg, &rule.to, NULL) < 0 ||
			    rule.to == BH_PROF_DISCOVER)
				return cli_usage_error(cmd, "--to '%.32s': monitor or protect",
						       optarg);
			break;
		case 'C': clear = true; break;
		case 'h': return cli_help(mp_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	nargs = argc - optind;
	argv += optind;
	/* which options go with which subcommand */
	if ((json && strcmp(sub, "list")) || (output && strcmp(sub, "export")) ||
	    ((events || o.group) && strcmp(sub, "learn") && strcmp(sub, "check")) ||
	    (key && strcmp(sub, "learn") && strcmp(sub, "check") && strcmp(sub, "import")) ||
	    (zero_drift >= 0 && strcmp(sub, "set-mode")) ||
	    ((after || rule.runs || rule.to != BH_PROF_DISCOVER || clear) &&
	     strcmp(sub, "promote")))
		return cli_usage_error(cmd, "an option that does not go with %s", sub);
	if ((!strcmp(sub, "list") || !strcmp(sub, "learn") || !strcmp(sub, "check")) ? nargs != 0
	    : !strcmp(sub, "set-mode")						     ? nargs != 2
										     : nargs != 1)
		return cli_usage_error(cmd, "wrong number of operands");
	if ((!strcmp(sub, "learn") || !strcmp(sub, "check")) && !events)
		return cli_usage_error(cmd, "--events FILE is required");
	if (!strcmp(sub, "promote") && !clear &&
	    (!after || !rule.runs || rule.to == BH_PROF_DISCOVER))
		return cli_usage_error(cmd, "--after, --runs and --to (or --clear)");
	if (!strcmp(sub, "promote") && clear && (after || rule.runs || rule.to != BH_PROF_DISCOVER))
		return cli_usage_error(cmd, "--clear goes alone");
	if (nargs >= 1 && strcmp(sub, "import") && bh_behave_key_check(argv[0], NULL) < 0)
		return cli_usage_error(cmd, "'%.64s' is not a profile key", argv[0]);
	if (!strcmp(sub, "set-mode") && bh_prof_mode_parse(argv[1], &mode, NULL) < 0)
		return cli_usage_error(cmd, "'%.32s': discover, monitor or protect", argv[1]);
	if (!strcmp(sub, "learn") || !strcmp(sub, "check")) {
		o.key = key;
		o.learn = !strcmp(sub, "learn");
		o.check = !o.learn;
		/* one flush at the end: one transaction for the whole file */
		o.flush_events = UINT32_MAX;
		o.flush_ms = UINT32_MAX;
		return feed(&o, events);
	}
	o.check = !strcmp(sub, "list") || !strcmp(sub, "show") || !strcmp(sub, "export");
	if (bh_behave_open(&o, &b, &err) < 0) {
		if (o.check && bh_error_code(err) == BH_ERR_NOTFOUND && !strcmp(sub, "list")) {
			bh_error_clear(&err);
			return json ? (puts("[]"), BH_EXIT_OK) : BH_EXIT_OK;
		}
		return cli_fail(err);
	}
	if (!strcmp(sub, "list"))
		r = show_list(b, json, &err);
	else if (!strcmp(sub, "show")) {
		json_t *d;

		r = bh_behave_export(b, argv[0], &d, &err);
		if (r == 0)
			cli_print_json(d, 0);
	} else if (!strcmp(sub, "export"))
		r = export(b, argv[0], output, &err);
	else if (!strcmp(sub, "import"))
		r = import(b, argv[0], key, &err);
	else if (!strcmp(sub, "delete"))
		r = bh_behave_delete(b, argv[0], &err);
	else if (!strcmp(sub, "set-mode"))
		r = bh_behave_set_mode(b, argv[0], mode, zero_drift, &err);
	else
		r = bh_behave_set_rule(b, argv[0], clear ? NULL : &rule, &err);
	bh_behave_close(b);
	return r < 0 ? cli_fail(err) : BH_EXIT_OK;
}
