/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead rules check [--default] [--json] FILE...
 * bulkhead rules test [--default] [--json] --event EVENTS FILE...
 * bulkhead rules fields [--json]
 *
 * The monitor's rule files (the Falco rule language's core): check loads
 * them in order and prints every warning and error as FILE:LINE:COLUMN;
 * test also evaluates events given as JSON (one object, or one per line)
 * and prints the rules that match with their output; fields lists the
 * field table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/content.h"
#include "bulkhead/rules.h"
#include "cli.h"
#include "banned.h"

#define EVENTS_MAX (64u << 20)

static const char rules_usage[] =
	"usage: bulkhead rules check [--default] [--json] FILE...\n"
	"       bulkhead rules test [--default] [--json] --event EVENTS [FILE...]\n"
	"       bulkhead rules fields [--json]\n"
	"\n"
	"The runtime monitor's rules, in the Falco rule language (rule, macro, list,\n"
	"exceptions, append and override). check loads the files in order and prints\n"
	"every problem as FILE:LINE:COLUMN (exit 3 when there is an error, 0 otherwise).\n"
	"test evaluates each event of EVENTS (a JSON object, or one per line; \"-\" is\n"
	"stdin) and prints the rules that match (exit 1 when one does, 0 when none).\n"
	"\n"
	"Options:\n"
	"  --default        load bulkhead's default rules first (rules/monitor/default.yaml,\n"
	"                   found as $BULKHEAD_RULES/monitor or beside the binary)\n"
	"  --event EVENTS   the events to evaluate (test)\n"
	"  --json           JSON output on stdout\n"
	"  -h, --help       show this help\n";

static const struct option rules_opts[] = {
	{ "default", no_argument, NULL, 'd' },
	{ "event", required_argument, NULL, 'e' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static char *default_rules_file(struct bh_error **err)
{
	char *dir = bh_content_default_rules_dir(getenv("BULKHEAD_RULES")), *f;

	if (!dir) {
		bh_error_set(err, BH_ERR_NOTFOUND,
			     "bulkhead's rules directory not found (set BULKHEAD_RULES)");
		return NULL;
	}
	f = bh_asprintf("%s/monitor/default.yaml", dir);
	free(dir);
	return f;
}

static void print_diags(const struct bh_rules_diags *d, struct bh_cli *cli)
{
	const char *red = cli_color(cli->color_stderr, CLI_RED),
		   *yel = cli_color(cli->color_stderr, CLI_YELLOW),
		   *z = cli_color(cli->color_stderr, CLI_RESET);

	for (size_t i = 0; i < d->n; i++) {
		const struct bh_rules_diag *g = &d->v[i];
		bool e = g->severity == BH_RULES_DIAG_ERROR;

		if (g->line)
			fprintf(stderr, "%s:%zu:%zu: ", g->file, g->line, g->column);
		else
			fprintf(stderr, "%s: ", g->file);
		fprintf(stderr, "%s%s%s: %s%s%s\n", e ? red : yel, e ? "error" : "warning", z,
			g->item ? g->item : "", g->item ? ": " : "", g->message);
	}
}

static json_t *diags_json(const struct bh_rules_diags *d)
{
	json_t *a = json_array();

	for (size_t i = 0; i < d->n; i++) {
		const struct bh_rules_diag *g = &d->v[i];
		json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:s}", "severity",
				      g->severity == BH_RULES_DIAG_ERROR ? "error" : "warning",
				      "file", g->file, "line", (json_int_t)g->line, "column",
				      (json_int_t)g->column, "message", g->message);

		if (g->item)
			json_object_set_new(o, "item", json_string(g->item));
		json_array_append_new(a, o);
	}
	return a;
}

/* Load the files (the default set first when asked); diagnostics in d. */
static int load(struct bh_rules *rs, bool with_default, char **files, int n,
		struct bh_rules_diags *d, struct bh_error **err)
{
	bool bad = false;

	if (with_default) {
		char *f = default_rules_file(err);

		if (!f)
			return -1;
		if (bh_rules_add_file(rs, f, d, err) < 0)
			bad = true;
		bh_error_clear(err);
		free(f);
	}
	for (int i = 0; i < n; i++) {
		if (bh_rules_add_file(rs, files[i], d, err) < 0)
			bad = true;
		bh_error_clear(err);
	}
	if (bh_rules_compile(rs, d, err) < 0)
		bad = true;
	bh_error_clear(err);
	return bad ? -1 : 0;
}

static int rules_check(bool with_default, bool json, char **files, int n, struct bh_cli *cli)
{
	struct bh_rules *rs = bh_rules_new();
	struct bh_rules_diags d = { 0 };
	struct bh_error *err = NULL;
	int rc;

	if (load(rs, with_default, files, n, &d, &err) < 0 && err) {
		bh_rules_diags_release(&d);
		bh_rules_free(rs);
		return cli_fail(err);
	}
	if (json) {
		json_t *o =
			json_pack("{s:I, s:I, s:I, s:o}", "rules", (json_int_t)bh_rules_count(rs),
				  "errors", (json_int_t)d.nerrors, "warnings",
				  (json_int_t)(d.n - d.nerrors), "diagnostics", diags_json(&d));

		json_dumpf(o, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(o);
	} else {
		print_diags(&d, cli);
		printf("%zu rule%s loaded, %zu error%s, %zu warning%s\n", bh_rules_count(rs),
		       bh_rules_count(rs) == 1 ? "" : "s", d.nerrors, d.nerrors == 1 ? "" : "s",
		       d.n - d.nerrors, d.n - d.nerrors == 1 ? "" : "s");
	}
	rc = d.nerrors ? BH_EXIT_ERROR : BH_EXIT_OK;
	bh_rules_diags_release(&d);
	bh_rules_free(rs);
	return rc;
}

static json_t *tags_json(const struct bh_rules_rule *r)
{
	json_t *a = json_array();

	for (char **t = r->tags; *t; t++)
		json_array_append_new(a, json_string(*t));
	return a;
}

/* Evaluate one event; prints the matches; returns how many. */
static size_t test_one(const struct bh_rules *rs, const json_t *j, size_t idx, bool json,
		       struct bh_error **err, int *fail)
{
	const struct bh_rules_rule *m[64];
	struct bh_mon_event *ev = bh_malloc(sizeof(*ev));
	char what[32];
	size_t n, shown;

	snprintf(what, sizeof(what), "event %zu", idx + 1);
	if (bh_mon_event_from_json(j, ev, err) < 0) {
		bh_error_prefix(err, "%s", what);
		free(ev);
		*fail = 1;
		return 0;
	}
	n = bh_rules_match(rs, ev, m, 64);
	shown = n < 64 ? n : 64;
	if (json) {
		json_t *a = json_array(), *o;

		for (size_t i = 0; i < shown; i++) {
			char *out = bh_rules_format(m[i], ev);

			json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o}", "rule",
							   m[i]->name, "priority",
							   bh_rules_priority_name(m[i]->priority),
							   "output", out, "tags", tags_json(m[i])));
			free(out);
		}
		o = json_pack("{s:I, s:s, s:o}", "event", (json_int_t)(idx + 1), "type",
			      bh_mon_type_name(ev->type), "matches", a);
		json_dumpf(o, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		for (size_t i = 0; i < shown; i++) {
			char *out = bh_rules_format(m[i], ev);

			printf("event %zu: %s %s: %s\n", idx + 1,
			       bh_rules_priority_name(m[i]->priority), m[i]->name, out);
			free(out);
		}
		if (!n)
			printf("event %zu: no rule matches\n", idx + 1);
	}
	free(ev);
	return n;
}

static int rules_test(bool with_default, bool json, const char *events, char **files, int n,
		      struct bh_cli *cli)
{
	struct bh_rules *rs = bh_rules_new();
	struct bh_rules_diags d = { 0 };
	struct bh_error *err = NULL;
	struct bh_buf b = BH_BUF_INIT(EVENTS_MAX);
	size_t matched = 0, idx = 0;
	int rc = BH_EXIT_ERROR, fail = 0;

	if (load(rs, with_default, files, n, &d, &err) < 0 || d.nerrors) {
		print_diags(&d, cli);
		if (!err)
			bh_error_set(&err, BH_ERR_INVALID, "the rules have errors");
		goto out;
	}
	if (!strcmp(events, "-")) {
		if (bh_buf_read_fd(&b, 0, "stdin", &err) < 0)
			goto out;
	} else if (bh_read_file(events, &b, &err) < 0) {
		goto out;
	}
	/* one JSON value, or JSON lines */
	{
		const char *p = b.data ? b.data : "", *end = p + b.len;
		json_t *j = NULL;

		if (bh_json_parse(p, b.len, EVENTS_MAX, events, &j, NULL) == 0) {
			matched += test_one(rs, j, idx++, json, &err, &fail);
			json_decref(j);
		} else {
			while (p < end && !fail) {
				const char *nl = memchr(p, '\n', (size_t)(end - p));
				size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
				size_t k = 0;

				while (k < len && bh_isspace(p[k]))
					k++;
				if (k < len) {
					char what[64];

					snprintf(what, sizeof(what), "%s: line %zu", events,
						 idx + 1);
					if (bh_json_parse(p, len, EVENTS_MAX, what, &j, &err) < 0)
						goto out;
					matched += test_one(rs, j, idx, json, &err, &fail);
					json_decref(j);
				}
				idx++;
				p += len + (nl ? 1 : 0);
			}
		}
	}
	if (fail)
		goto out;
	if (!idx) {
		bh_error_set(&err, BH_ERR_INVALID, "%s: no event", events);
		goto out;
	}
	rc = matched ? BH_EXIT_FINDINGS : BH_EXIT_OK;
out:
	if (rc == BH_EXIT_ERROR)
		rc = cli_fail(err);
	else
		bh_error_free(err);
	bh_buf_release(&b);
	bh_rules_diags_release(&d);
	bh_rules_free(rs);
	return rc;
}

static int rules_fields(bool json)
{
	json_t *a = bh_rules_fields_json(), *f;
	size_t i;

	if (json) {
		json_dumpf(a, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		json_array_foreach (a, i, f)
			printf("%-28s %-7s %s\n", bh_json_str(f, "name"), bh_json_str(f, "type"),
			       bh_json_str(f, "desc"));
	}
	json_decref(a);
	return BH_EXIT_OK;
}

int cmd_rules(int argc, char **argv, struct bh_cli *cli)
{
	const char *sub, *events = NULL;
	bool json = false, with_default = false;
	char cmd[32];
	int c;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc < 2) {
			fputs(rules_usage, stderr);
			return BH_EXIT_USAGE;
		}
		return cli_help(rules_usage);
	}
	sub = argv[1];
	if (strcmp(sub, "check") && strcmp(sub, "test") && strcmp(sub, "fields"))
		return cli_usage_error("rules", "unknown subcommand '%s' (check, test or fields)",
				       sub);
	snprintf(cmd, sizeof(cmd), "rules %s", sub);
	argc--;
	argv++;
	optind = 0;
	while ((c = cli_getopt(argc, argv, "h", rules_opts, cmd)) != -1) {
		switch (c) {
		case 'd': with_default = true; break;
		case 'e': events = optarg; break;
		case 'j': json = true; break;
		case 'h': return cli_help(rules_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (!strcmp(sub, "fields")) {
		if (optind < argc || with_default || events)
			return cli_usage_error(cmd, "takes only --json");
		return rules_fields(json);
	}
	if (!strcmp(sub, "check")) {
		if (events)
			return cli_usage_error(cmd, "--event is for rules test");
		if (optind >= argc && !with_default)
			return cli_usage_error(cmd, "expected a FILE (or --default)");
		return rules_check(with_default, json, argv + optind, argc - optind, cli);
	}
	if (!events)
		return cli_usage_error(cmd, "expected --event EVENTS");
	if (optind >= argc && !with_default)
		return cli_usage_error(cmd, "expected a FILE (or --default)");
	return rules_test(with_default, json, events, argv + optind, argc - optind, cli);
}
