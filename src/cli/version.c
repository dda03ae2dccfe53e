/* SPDX-License-Identifier: Apache-2.0 */
/* bulkhead version: our version and the versions of the libraries we link. */
#include <string.h>

#include <archive.h>
#include <isa-l.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <yaml.h>
#include <zstd.h>

#include "cli.h"
#include "bulkhead/version.h"
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

int cmd_version(int argc, char **argv, struct bh_cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	(void)cli;
	while ((c = cli_getopt(argc, argv, "h", opts, "version")) != -1) {
		if (c == 'h')
			return cli_help(
				"usage: bulkhead version\n\n"
				"Print the version of bulkhead and of the libraries it links.\n");
		return BH_EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage_error("version", "unexpected argument '%s'", argv[optind]);
	cli_print_version(stdout);
	return BH_EXIT_OK;
}
