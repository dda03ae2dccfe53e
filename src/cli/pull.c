/* SPDX-License-Identifier: Apache-2.0 */
/* bulkhead pull: copy an image from a registry to an OCI layout or a docker-archive. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "progress.h"
#include "banned.h"

static const char pull_usage[] =
	"usage: bulkhead pull [options] REF DEST\n"
	"\n"
	"Copy the image REF (a registry reference such as registry.example:5000/team/app:1.2,\n"
	"...@sha256:... or docker://...; or any IMAGE bulkhead reads) to DEST:\n"
	"  oci:DIR[:TAG]              an OCI image layout (DIR must not exist or be empty)\n"
	"  docker-archive:FILE[:REF]  a docker-archive tar\n"
	"  DIR                        an OCI image layout, as oci:DIR\n"
	"Every blob is verified against its digest and size as it arrives; the\n"
	"manifest is kept byte for byte. DEST is written beside its place and renamed\n"
	"into it when complete: after a failure nothing is left there. Prints the\n"
	"digest of the manifest.\n"
	"\n"
	"Options:\n" CLI_IMAGE_USAGE
	"  -q, --quiet          no progress display (shown only on a terminal)\n"
	"\n"
	"--threads is the number of blobs fetched at once here (default 4).\n"
	"See bulkhead-pull(1).\n";

int cmd_pull(int argc, char **argv, struct bh_cli *cli)
{
	static const struct option opts[] = {
		CLI_IMAGE_LONGOPTS,
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_image_opts io = { 0 };
	struct bh_image_copy_opts co = { 0 };
	struct cli_progress prog;
	struct bh_image *img = NULL;
	struct bh_error *err = NULL;
	bool quiet = false;
	int c, r;

	while ((c = cli_image_getopt(argc, argv, "qh", opts, "pull", &io)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'h': return cli_help(pull_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (argc - optind != 2)
		return cli_usage_error("pull", "expected REF and DEST");
	if (bh_image_open(argv[optind], &io.open, &img, &err) < 0)
		return cli_fail(err);
	cli_progress_init(&prog, quiet);
	co.threads = io.threads;
	co.progress = cli_progress_fn;
	co.progress_data = &prog;
	r = bh_image_save(img, argv[optind + 1], &co, &err);
	cli_progress_finish(&prog);
	if (r < 0) {
		bh_image_free(img);
		return cli_fail(err);
	}
	printf("%s\n", img->has_manifest ? img->manifest_digest.str : img->config_digest.str);
	bh_image_free(img);
	return BH_EXIT_OK;
}
