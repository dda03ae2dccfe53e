/* SPDX-License-Identifier: Apache-2.0 */
/* bulkhead push: send an image to a registry. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "progress.h"
#include "banned.h"

static const char push_usage[] =
	"usage: bulkhead push [options] SRC REF\n"
	"\n"
	"Send the image SRC (any IMAGE bulkhead reads: a docker-archive, an OCI layout,\n"
	"or another registry's image) to the registry reference REF, such as\n"
	"registry.example:5000/team/app:1.2. Blobs the repository has are not sent\n"
	"again; blobs of an image from another repository of the same registry are\n"
	"mounted from there. The manifest is sent byte for byte when SRC has one, so\n"
	"its digest is kept (a docker-archive gets an OCI manifest). Prints the\n"
	"digest of the manifest pushed.\n"
	"\n"
	"Options:\n" CLI_IMAGE_USAGE
	"  -q, --quiet          no progress display (shown only on a terminal)\n"
	"\n"
	"The registry options apply to SRC and REF alike. --threads is the number of\n"
	"blobs sent at once here (default 4).\n"
	"See bulkhead-push(1).\n";

int cmd_push(int argc, char **argv, struct bh_cli *cli)
{
	static const struct option opts[] = {
		CLI_IMAGE_LONGOPTS,
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_image_opts io = { 0 };
	struct bh_image_copy_opts co = { 0 };
	struct bh_image_push_result res;
	struct cli_progress prog;
	struct bh_image *img = NULL;
	struct bh_error *err = NULL;
	bool quiet = false;
	int c, r;

	while ((c = cli_image_getopt(argc, argv, "qh", opts, "push", &io)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'h': return cli_help(push_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (argc - optind != 2)
		return cli_usage_error("push", "expected SRC and REF");
	if (bh_image_open(argv[optind], &io.open, &img, &err) < 0)
		return cli_fail(err);
	cli_progress_init(&prog, quiet);
	co.threads = io.threads;
	co.registry = &io.registry;
	co.progress = cli_progress_fn;
	co.progress_data = &prog;
	r = bh_image_push(img, argv[optind + 1], &co, &res, &err);
	cli_progress_finish(&prog);
	bh_image_free(img);
	if (r < 0)
		return cli_fail(err);
	bh_info("push: %u blobs uploaded, %u already there, %u mounted", res.uploaded, res.existed,
		res.mounted);
	printf("%s\n", res.digest.str);
	return BH_EXIT_OK;
}
