/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead version: our version and the versions of the libraries we link;
 * `compare` and `satisfies` expose the version schemes to scripts, as
 * `dpkg --compare-versions` and `apk version -t` do.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "lazy/archive.h"
#include "lazy/crypto.h"
#include "lazy/isal.h"
#include "lazy/yaml.h"
#include "lazy/zstd.h"
#include "bulkhead/version.h"
#include "bulkhead/vuln.h"
#include "banned.h"

void cli_print_version(FILE *fp)
{
	fprintf(fp, "bulkhead %s\n", BH_VERSION);
	fprintf(fp, "  jansson %s\n", jansson_version_str());
	fprintf(fp, "  libyaml %s\n", yaml_get_version_string());
	fprintf(fp, "  %s\n", OpenSSL_version(OPENSSL_VERSION));
	fprintf(fp, "  %s\n", archive_version_string());
	fprintf(fp, "  zstd %s\n", ZSTD_versionString());
	fprintf(fp, "  isa-l %d.%d.%d (built against)\n", ISAL_MAJOR_VERSION, ISAL_MINOR_VERSION,
		ISAL_PATCH_VERSION);
}

static const char version_usage[] =
	"usage: bulkhead version\n"
	"       bulkhead version compare SCHEME A B\n"
	"       bulkhead version satisfies SCHEME SPEC VERSION\n"
	"\n"
	"Without arguments, print the version of bulkhead and of the libraries it\n"
	"links.\n"
	"\n"
	"compare     print -1, 0 or 1 as version A sorts before, equal to or after B\n"
	"satisfies   print true or false as VERSION is in the range SPEC (semver: npm\n"
	"            ranges; pep440: specifier sets such as '>=1.2,!=1.3.*')\n"
	"\n"
	"Schemes: dpkg (deb, debian), apk (alpine), rpm, semver (npm), pep440 (pypi,\n"
	"python), go (golang), maven.\n"
	"\n"
	"Where the scheme's own tool answers for an operand that is not well formed\n"
	"(dpkg --compare-versions for '1.0-a_b', rpm for any string, node-semver's\n"
	"satisfies() for a range or version it cannot read: false), the answer is\n"
	"that tool's, with a warning on stderr.\n"
	"\n"
	"Exit status: 0 when a result was printed, 2 on a usage error (such as an\n"
	"unknown scheme), 3 when a version or range is refused by the scheme.\n"
	"Use '--' before operands that start with '-'.\n";

/* Options of a subcommand: only --help, and "--" before operands. */
static int sub_args(int argc, char **argv, const char *cmd, int want, char ***ops)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "+h", opts, cmd)) != -1) {
		if (c == 'h') {
			cli_help(version_usage);
			return -1;
		}
		return -2;
	}
	if (argc - optind != want) {
		cli_usage_error(cmd, "expected %d operands, got %d", want, argc - optind);
		return -2;
	}
	*ops = argv + optind;
	return 0;
}

static int scheme_arg(const char *cmd, const char *name, enum bh_vscheme *s)
{
	struct bh_error *err = NULL;

	if (bh_vscheme_parse(name, s, &err) < 0) {
		char *m = bh_error_message(err);

		cli_usage_error(cmd, "%s", m);
		free(m);
		bh_error_free(err);
		return -1;
	}
	return 0;
}

/* A warning for each odd operand: what the library says is odd about it. */
static void warn_odd(enum bh_vscheme s, const char *v, bool range)
{
	char *why = NULL;

	if (range)
		bh_version_check_range(s, v, &why, NULL);
	else
		bh_version_check(s, v, &why, NULL);
	if (why)
		bh_warn("%s", why);
	free(why);
}

static int cmd_compare(int argc, char **argv)
{
	const char *cmd = "version compare";
	struct bh_error *err = NULL;
	enum bh_vscheme s;
	char **op;
	int r, cmp;

	r = sub_args(argc, argv, cmd, 3, &op);
	if (r < 0)
		return r == -1 ? BH_EXIT_OK : BH_EXIT_USAGE;
	if (scheme_arg(cmd, op[0], &s) < 0)
		return BH_EXIT_USAGE;
	r = bh_version_compare(s, op[1], op[2], &cmp, &err);
	if (r < 0)
		return cli_fail(err);
	if (r == BH_VERSION_ODD) {
		warn_odd(s, op[1], false);
		warn_odd(s, op[2], false);
	}
	printf("%d\n", cmp);
	return BH_EXIT_OK;
}

static int cmd_satisfies(int argc, char **argv)
{
	const char *cmd = "version satisfies";
	struct bh_error *err = NULL;
	enum bh_vscheme s;
	char **op;
	bool yes;
	int r;

	r = sub_args(argc, argv, cmd, 3, &op);
	if (r < 0)
		return r == -1 ? BH_EXIT_OK : BH_EXIT_USAGE;
	if (scheme_arg(cmd, op[0], &s) < 0)
		return BH_EXIT_USAGE;
	if (s != BH_VS_SEMVER && s != BH_VS_PEP440)
		return cli_usage_error(cmd,
				       "the %s scheme has no range syntax (semver and pep440 do)",
				       bh_vscheme_name(s));
	r = bh_version_satisfies(s, op[1], op[2], &yes, &err);
	if (r < 0)
		return cli_fail(err);
	if (r == BH_VERSION_ODD) {
		struct bh_error *verr = NULL;

		warn_odd(s, op[1], true);
		/* a version the scheme cannot read at all: its error, as a warning */
		if (bh_version_validate(s, op[2], &verr) < 0)
			bh_error_warn(&verr, "not satisfied");
		else
			warn_odd(s, op[2], false);
	}
	puts(yes ? "true" : "false");
	return BH_EXIT_OK;
}

int cmd_version(int argc, char **argv, struct bh_cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	(void)cli;
	while ((c = cli_getopt(argc, argv, "+h", opts, "version")) != -1) {
		if (c == 'h')
			return cli_help(version_usage);
		return BH_EXIT_USAGE;
	}
	if (optind < argc) {
		const char *sub = argv[optind];

		if (!strcmp(sub, "compare"))
			return cmd_compare(argc - optind, argv + optind);
		if (!strcmp(sub, "satisfies"))
			return cmd_satisfies(argc - optind, argv + optind);
		return cli_usage_error("version", "unexpected argument '%s'", sub);
	}
	cli_print_version(stdout);
	return BH_EXIT_OK;
}
