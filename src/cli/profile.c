/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `bulkhead profile list|show|diff|merge|export|import|delete|promote|set-mode`: the syscall
 * profiles learned from containers (org.bulkhead.seccomp.mode=discover,
 * `run --profile-learn`), in the profile store (bulkhead-profile(1)).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/profile.h"
#include "bulkhead/runtime.h"
#include "cli.h"
#include "banned.h"

static const char profile_usage[] =
	"usage: bulkhead profile list [--json]\n"
	"       bulkhead profile show [--digest D] [--json] NAME\n"
	"       bulkhead profile diff NAME1 NAME2\n"
	"       bulkhead profile merge DST SRC...\n"
	"       bulkhead profile export [--digest D] [-o FILE] NAME\n"
	"       bulkhead profile import [--digest D] NAME FILE\n"
	"       bulkhead profile delete [--digest D] NAME\n"
	"       bulkhead profile promote --after DURATION --runs N --to monitor|protect NAME\n"
	"       bulkhead profile promote --clear NAME\n"
	"       bulkhead profile set-mode NAME discover|monitor|protect\n"
	"\n"
	"Syscall profiles learned from containers (the annotation\n"
	"org.bulkhead.seccomp.mode=discover with org.bulkhead.seccomp.profile=NAME, or\n"
	"`bulkhead run --profile-learn NAME IMAGE`), keyed by name and image digest.\n"
	"Learning windows add up across runs until the profile is used. export writes\n"
	"an OCI seccomp profile (podman --security-opt seccomp=FILE, docker, Kubernetes\n"
	"Localhost); import reads one strictly. A profile that allows a call of the\n"
	"deny-list is refused (exit 1); a malformed one, or one naming an unknown\n"
	"syscall or architecture, is an error (exit 3).\n"
	"\n"
	"A profile has a mode, used by a container that names it with no mode or with\n"
	"discover. promote sets the rule that moves it from discover to monitor or\n"
	"protect once it learned DURATION (30s, 10m, 2h, 1d; summed over its runs) and\n"
	"its last N runs added no syscall, never when events were lost; set-mode sets\n"
	"the mode by hand.\n"
	"\n"
	"The store is $BULKHEAD_PROFILES, else /var/lib/bulkhead/profiles.sqlite\n"
	"(root) or $XDG_DATA_HOME/bulkhead/profiles.sqlite.\n"
	"\n"
	"See bulkhead-profile(1).\n";

static const struct option profile_opts[] = {
	{ "digest", required_argument, NULL, 'D' },
	{ "json", no_argument, NULL, 'j' },
	{ "output", required_argument, NULL, 'o' },
	{ "after", required_argument, NULL, 'A' },
	{ "runs", required_argument, NULL, 'R' },
	{ "to", required_argument, NULL, 'T' },
	{ "clear", no_argument, NULL, 'C' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int fail(struct bh_error *err)
{
	/* a refusal of policy (a deny-listed call) is exit 1, as the other gates */
	int code = bh_error_code(err) == BH_ERR_UNSAFE ? BH_EXIT_FINDINGS : BH_EXIT_ERROR;

	cli_fail(err);
	return code;
}

static long long int_of(const json_t *o, const char *key)
{
	json_int_t v = 0;

	bh_json_int(o, key, &v);
	return (long long)v;
}

static size_t nnames(const json_t *p)
{
	const char *k;
	json_t *arr;
	size_t n = 0;

	json_object_foreach (json_object_get(p, "syscalls"), k, arr)
		n += json_array_size(arr);
	return n;
}

static void print_names(const char *sign, const json_t *sys)
{
	const char *arch;
	json_t *arr, *v;
	size_t i;

	json_object_foreach ((json_t *)sys, arch, arr)
		json_array_foreach (arr, i, v)
			printf("%s%s %s\n", sign, arch, json_string_value(v));
}

/* The promotion state of p (bh_prof_store_mode's object in "promotion"). */
static void show_promotion(const json_t *p)
{
	const json_t *m = json_object_get(p, "promotion"), *rule = json_object_get(m, "rule");
	const char *v;

	printf("mode        %s%s\n", bh_json_str(m, "mode") ? bh_json_str(m, "mode") : "discover",
	       json_is_true(json_object_get(m, "automatic")) ? "  (promoted automatically)" : "");
	if (json_is_object(rule))
		printf("rule        to %s after %.3f s learned and %lld run(s) in a row with no "
		       "new "
		       "syscall, none losing events\n",
		       bh_json_str(rule, "to"), json_real_value(json_object_get(rule, "after")),
		       int_of(rule, "runs"));
	else
		printf("rule        none\n");
	printf("progress    %lld quiet run(s) in a row, %.3f s learned\n", int_of(m, "quiet_runs"),
	       json_real_value(json_object_get(m, "seconds")));
	if ((v = bh_json_str(m, "last_new")))
		printf("last new    %s\n", v);
	if ((v = bh_json_str(m, "last_lost")))
		printf("last lost   %s\n", v);
	if ((v = bh_json_str(m, "changed")))
		printf("changed     %s: %s\n", v,
		       bh_json_str(m, "reason") ? bh_json_str(m, "reason") : "");
	if ((v = bh_json_str(m, "waiting")))
		printf("waiting     %s\n", v);
}

static void show(const json_t *p)
{
	const char *arch;
	json_t *arr, *v;
	size_t i;
	long long lost = int_of(p, "lost"), execs = int_of(p, "execs");

	printf("name        %s\n", bh_json_str(p, "name"));
	json_array_foreach (json_object_get(p, "digests"), i, v)
		printf("digest      %s\n", *json_string_value(v) ? json_string_value(v) : "-");
	printf("learned     %.3f s over %lld run(s), %zu container(s)\n",
	       json_real_value(json_object_get(p, "seconds")), int_of(p, "runs"),
	       json_array_size(json_object_get(p, "containers")));
	printf("events      %lld calls recorded\n", int_of(p, "events"));
	printf("lost        %lld%s\n", lost,
	       lost ? "  (INCOMPLETE: some calls were not recorded)" : "");
	printf("execs       %lld%s\n", execs,
	       execs ? "  (processes exec'd after the workload's own: shells or exec "
		       "sessions may have added calls)"
		     : "");
	json_array_foreach (json_object_get(p, "containers"), i, v) {
		json_t *e;
		size_t k;

		json_array_foreach (json_object_get(v, "exec_sessions"), k, e) {
			json_t *arg;
			size_t m;

			printf("exec        %s in %s:", bh_json_str(e, "time"),
			       bh_json_str(v, "id"));
			json_array_foreach (json_object_get(e, "args"), m, arg)
				printf(" %s", json_string_value(arg));
			printf("  (an exec session: its calls are in the profile)\n");
		}
	}
	printf("updated     %s\n", bh_json_str(p, "updated") ? bh_json_str(p, "updated") : "-");
	show_promotion(p);
	json_object_foreach (json_object_get(p, "syscalls"), arch, arr) {
		printf("%s (%zu):", arch, json_array_size(arr));
		json_array_foreach (arr, i, v)
			printf(" %s", json_string_value(v));
		printf("\n");
	}
	arr = json_object_get(p, "outside");
	for (int d = 0; d < 2; d++) {
		bool head = false;

		json_array_foreach (arr, i, v) {
			if (json_is_true(json_object_get(v, "denied")) != (d == 1))
				continue;
			if (!head)
				printf("%s\n", d ? "refused by the profile (protect):"
						 : "outside the profile (monitor):");
			head = true;
			printf("  %s %s %s x%lld (container %s)\n", bh_json_str(v, "time"),
			       bh_json_str(v, "arch"), bh_json_str(v, "syscall"),
			       int_of(v, "count"), bh_json_str(v, "container"));
		}
	}
}

int cmd_profile(int argc, char **argv, struct bh_cli *cli)
{
	const char *sub, *digest = NULL, *output = NULL;
	struct bh_prof_store *s = NULL;
	struct bh_error *err = NULL;
	bool json = false, clear = false, has_after = false;
	struct bh_prof_rule rule = { .to = BH_PROF_DISCOVER };
	int c, r = BH_EXIT_OK, nargs;
	char cmd[32];

	(void)cli;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc < 2) {
			fputs(profile_usage, stderr);
			return BH_EXIT_USAGE;
		}
		return cli_help(profile_usage);
	}
	sub = argv[1];
	snprintf(cmd, sizeof(cmd), "profile %.16s", sub);
	{
		static const char *const subs[] = { "list",	"show",	  "diff",   "merge",
						    "export",	"import", "delete", "promote",
						    "set-mode", NULL };
		const char *const *p = subs;

		while (*p && strcmp(*p, sub))
			p++;
		if (!*p)
			return cli_usage_error("profile",
					       "unknown subcommand '%s' (list, show, diff, merge, "
					       "export, import, delete, promote or set-mode)",
					       sub);
	}
	argc--;
	argv++;
	optind = 0;
	while ((c = cli_getopt(argc, argv, "o:h", profile_opts, cmd)) != -1) {
		switch (c) {
		case 'D': digest = optarg; break;
		case 'j': json = true; break;
		case 'o': output = optarg; break;
		case 'A':
			if (cli_parse_duration(optarg, &rule.seconds) < 0)
				return cli_usage_error(cmd,
						       "--after '%s': a duration (90, 30s, 10m, "
						       "1h30m, 2d)",
						       optarg);
			has_after = true;
			break;
		case 'R': {
			uint64_t n;

			if (bh_parse_u64(optarg, &n, NULL) < 0 || n < 1 || n > 1000000)
				return cli_usage_error(
					cmd, "--runs '%s': a number from 1 to 1000000", optarg);
			rule.runs = (uint32_t)n;
			break;
		}
		case 'T':
			if (bh_prof_mode_parse(optarg, &rule.to, NULL) < 0 ||
			    rule.to == BH_PROF_DISCOVER)
				return cli_usage_error(cmd, "--to '%s': monitor or protect",
						       optarg);
			break;
		case 'C': clear = true; break;
		case 'h': return cli_help(profile_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	nargs = argc - optind;
	argv += optind;
	if ((!strcmp(sub, "list") && nargs != 0) ||
	    ((!strcmp(sub, "show") || !strcmp(sub, "export") || !strcmp(sub, "delete") ||
	      !strcmp(sub, "promote")) &&
	     nargs != 1) ||
	    ((!strcmp(sub, "diff") || !strcmp(sub, "import") || !strcmp(sub, "set-mode")) &&
	     nargs != 2) ||
	    (!strcmp(sub, "merge") && nargs < 2))
		return cli_usage_error(cmd, "wrong number of operands");
	if ((has_after || rule.runs || rule.to != BH_PROF_DISCOVER || clear) &&
	    strcmp(sub, "promote"))
		return cli_usage_error(cmd, "--after, --runs, --to and --clear go with promote");
	if (!strcmp(sub, "promote") && !clear && (!has_after || !rule.runs || !rule.to))
		return cli_usage_error(cmd, "promote needs --after DURATION, --runs N and --to "
					    "monitor|protect (or --clear)");
	if (!strcmp(sub, "promote") && clear && (has_after || rule.runs || rule.to))
		return cli_usage_error(cmd, "--clear goes alone");
	if (!strcmp(sub, "set-mode")) {
		enum bh_prof_mode m;

		if (bh_prof_mode_parse(argv[1], &m, NULL) < 0)
			return cli_usage_error(cmd, "mode '%s': discover, monitor or protect",
					       argv[1]);
	}
	if (output && strcmp(sub, "export"))
		return cli_usage_error(cmd, "-o goes with export");
	if (json && strcmp(sub, "list") && strcmp(sub, "show"))
		return cli_usage_error(cmd, "--json goes with list and show");
	if (digest && (!strcmp(sub, "list") || !strcmp(sub, "diff") || !strcmp(sub, "merge")))
		return cli_usage_error(cmd, "--digest goes with show, export, import and delete");
	if (bh_prof_store_open(NULL,
			       !strcmp(sub, "import") || !strcmp(sub, "merge") ||
				       !strcmp(sub, "promote"),
			       &s, &err) < 0) {
		if (!strcmp(sub, "list") && bh_error_code(err) == BH_ERR_NOTFOUND) {
			bh_error_free(err);
			if (json)
				puts("[]");
			return BH_EXIT_OK;
		}
		return fail(err);
	}
	if (!strcmp(sub, "list")) {
		json_t *rows, *v;
		size_t i;

		if (bh_prof_store_list(s, NULL, &rows, &err) < 0)
			goto failed;
		if (json) {
			r = cli_print_json(rows, JSON_SORT_KEYS);
			goto out;
		}
		printf("%-24s %-20s %5s %9s %5s %5s %-8s %-10s %s\n", "NAME", "DIGEST", "CALLS",
		       "SECONDS", "RUNS", "LOST", "MODE", "PROMOTION", "UPDATED");
		json_array_foreach (rows, i, v) {
			const char *d = bh_json_str(v, "digest");
			const json_t *m = json_object_get(v, "promotion");
			const json_t *rl = json_object_get(m, "rule");
			char prog[32];

			/* the rule's progress: quiet runs of the rule's, or why not */
			if (!json_is_object(rl))
				snprintf(prog, sizeof(prog), "-");
			else if (strcmp(bh_json_str(v, "mode"), "discover"))
				snprintf(prog, sizeof(prog), "%s",
					 json_is_true(json_object_get(m, "automatic")) ? "promoted"
										       : "by-hand");
			else if (int_of(m, "lost"))
				snprintf(prog, sizeof(prog), "lost");
			else
				snprintf(prog, sizeof(prog), "%lld/%lld", int_of(m, "quiet_runs"),
					 int_of(rl, "runs"));
			printf("%-24s %-20.19s %5zu %9.1f %5lld %5lld %-8s %-10s %s\n",
			       bh_json_str(v, "name"), *d ? d : "-", nnames(v),
			       json_real_value(json_object_get(v, "seconds")), int_of(v, "runs"),
			       int_of(v, "lost"), bh_json_str(v, "mode"), prog,
			       bh_json_str(v, "updated"));
		}
		json_decref(rows);
	} else if (!strcmp(sub, "show") || !strcmp(sub, "export")) {
		json_t *p;

		if (bh_prof_store_get(s, argv[0], digest, &p, &err) < 0)
			goto failed;
		if (!strcmp(sub, "show")) {
			if (json) {
				r = cli_print_json(p, JSON_SORT_KEYS);
				goto out;
			}
			show(p);
			json_decref(p);
		} else {
			struct cli_output o;
			json_t *oci = bh_prof_to_oci(p);
			char *text = NULL;
			bool ok;

			json_decref(p);
			/* the errno answers of the default profile the workload learned under */
			if (bh_rt_learn_errno_rules(oci, &err) < 0) {
				json_decref(oci);
				goto failed;
			}
			text = json_dumps(oci, JSON_INDENT(2));
			json_decref(oci);
			if (cli_output_open(&o, output, &err) < 0) {
				free(text);
				goto failed;
			}
			ok = text && fprintf(o.fp, "%s\n", text) > 0;
			free(text);
			if (cli_output_close(&o, ok, &err) < 0)
				goto failed;
		}
	} else if (!strcmp(sub, "diff")) {
		json_t *a, *b, *d;

		if (bh_prof_store_get(s, argv[0], NULL, &a, &err) < 0)
			goto failed;
		if (bh_prof_store_get(s, argv[1], NULL, &b, &err) < 0) {
			json_decref(a);
			goto failed;
		}
		d = bh_prof_diff(a, b);
		print_names("+", json_object_get(d, "added"));
		print_names("-", json_object_get(d, "removed"));
		json_decref(a);
		json_decref(b);
		json_decref(d);
	} else if (!strcmp(sub, "merge")) {
		for (int i = 1; i < nargs; i++) {
			if (!strcmp(argv[i], argv[0])) {
				r = cli_usage_error(cmd, "%s is merged into itself", argv[0]);
				goto out;
			}
			if (bh_prof_store_merge(s, argv[0], argv[i], bh_rt_deny_list, &err) < 0)
				goto failed;
		}
	} else if (!strcmp(sub, "promote")) {
		json_t *m;

		if (bh_prof_store_set_rule(s, argv[0], clear ? NULL : &rule, &err) < 0 ||
		    bh_prof_store_mode(s, argv[0], &m, &err) < 0)
			goto failed;
		/* what the rule decided now: promoted at once, or what it waits for */
		if (bh_json_str(m, "waiting"))
			fprintf(stderr, "bulkhead: profile %s: %s: %s\n", argv[0],
				bh_json_str(m, "mode"), bh_json_str(m, "waiting"));
		else if (!clear)
			fprintf(stderr, "bulkhead: profile %s: %s: %s\n", argv[0],
				bh_json_str(m, "mode"),
				bh_json_str(m, "reason") ? bh_json_str(m, "reason") : "");
		json_decref(m);
	} else if (!strcmp(sub, "set-mode")) {
		enum bh_prof_mode m = BH_PROF_DISCOVER;

		if (bh_prof_mode_parse(argv[1], &m, &err) < 0 ||
		    bh_prof_store_set_mode(s, argv[0], m, &err) < 0)
			goto failed;
	} else if (!strcmp(sub, "import")) {
		if (bh_prof_import_file(s, argv[0], digest, argv[1], bh_rt_deny_list, &err) < 0)
			goto failed;
	} else if (bh_prof_store_delete(s, argv[0], digest, &err) < 0) {
		goto failed;
	}
out:
	bh_prof_store_close(s);
	return r;
failed:
	bh_prof_store_close(s);
	return fail(err);
}
