/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead sbom: the packages of an image as a table, bulkhead JSON,
 * CycloneDX or SPDX. The inventory is bh_scan_image with no scanner: the
 * same walk and the same merged view as `bulkhead scan`.
 */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "bulkhead/image.h"
#include "bulkhead/inventory.h"
#include "bulkhead/report.h"
#include "bulkhead/scan.h"
#include "bulkhead/version.h"
#include "banned.h"

static const char sbom_usage[] =
	"usage: bulkhead sbom [options] IMAGE\n"
	"\n"
	"List every installed package of IMAGE (OS packages from dpkg, apk and rpm;\n"
	"npm, Python, Go and Java packages) with the layer that introduced it, as a\n"
	"table or a software bill of materials.\n"
	"\n"
	"IMAGE is a docker-archive tar, an OCI layout (directory or tar), a root\n"
	"filesystem (rootfs:/path; rootfs:/ is this machine), an image in a registry,\n"
	"in the Docker engine (docker-daemon:NAME) or in podman's store\n"
	"(containers-storage:NAME), as for 'bulkhead image'.\n"
	"\n"
	"Options:\n"
	"  --format FORMAT      table (default), json (bulkhead's own), cyclonedx\n"
	"                       (CycloneDX 1.5 JSON) or spdx-json (SPDX 2.3 JSON)\n"
	"  -o, --output FILE    write to FILE (atomically) instead of standard "
	"output\n" CLI_IMAGE_USAGE
	"  --max-size SIZE      limit on the uncompressed size (default 64G)\n"
	"  --max-entries N      limit on the number of files (default 4000000)\n"
	"  --max-ratio N        limit on a layer's compression ratio (default 1000)\n"
	"  --no-cache           read every layer; neither use nor fill the layer cache\n"
	"                       (kept beside the database: see 'bulkhead db')\n"
	"\n"
	"Warnings (unreadable databases, unsupported formats) go to standard error.\n"
	"See bulkhead-sbom(1).\n";

enum {
	OPT_FORMAT = 256,
	OPT_MAX_SIZE,
	OPT_MAX_ENTRIES,
	OPT_MAX_RATIO,
	OPT_NO_CACHE,
};

enum fmt { FMT_TABLE, FMT_JSON, FMT_CYCLONEDX, FMT_SPDX };

struct sbom_args {
	struct cli_image_opts imgopts; /* --platform, --ref, --threads */
	struct bh_image_limits limits;
	enum fmt format;
	const char *output;
	bool no_cache;
};

static int parse_args(int argc, char **argv, struct sbom_args *a, const char **image)
{
	static const struct option opts[] = {
		CLI_IMAGE_LONGOPTS,
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "max-entries", required_argument, NULL, OPT_MAX_ENTRIES },
		{ "max-ratio", required_argument, NULL, OPT_MAX_RATIO },
		{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	bh_image_limits_default(&a->limits);
	a->imgopts.open.limits = &a->limits;
	while ((c = cli_image_getopt(argc, argv, "o:h", opts, "sbom", &a->imgopts)) != -1) {
		switch (c) {
		case OPT_FORMAT:
			if (!strcmp(optarg, "table"))
				a->format = FMT_TABLE;
			else if (!strcmp(optarg, "json"))
				a->format = FMT_JSON;
			else if (!strcmp(optarg, "cyclonedx") || !strcmp(optarg, "cyclonedx-json"))
				a->format = FMT_CYCLONEDX;
			else if (!strcmp(optarg, "spdx-json") || !strcmp(optarg, "spdx"))
				a->format = FMT_SPDX;
			else
				return cli_usage_error(
					"sbom",
					"--format: unknown format '%s' (table, json, "
					"cyclonedx or spdx-json)",
					optarg);
			break;
		case 'o': a->output = optarg; break;
		case OPT_MAX_SIZE:
			if (bh_parse_size(optarg, &a->limits.max_total_size, NULL) < 0)
				return cli_usage_error("sbom", "--max-size: '%s' is not a size",
						       optarg);
			break;
		case OPT_MAX_ENTRIES:
			if (bh_parse_u64(optarg, &a->limits.max_entries, NULL) < 0)
				return cli_usage_error(
					"sbom", "--max-entries: '%s' is not a number", optarg);
			break;
		case OPT_MAX_RATIO:
			if (bh_parse_u64(optarg, &a->limits.max_ratio, NULL) < 0 ||
			    a->limits.max_ratio == 0)
				return cli_usage_error("sbom", "--max-ratio: '%s' is not a number",
						       optarg);
			break;
		case OPT_NO_CACHE: a->no_cache = true; break;
		case 'h': return -1;
		default: return BH_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("sbom", argc - optind < 1 ? "expected an IMAGE"
								 : "expected one IMAGE");
	*image = argv[optind];
	return 0;
}

/* ---- the table ----------------------------------------------------------------- */

static int width(const char *s, int max)
{
	int n = s ? (int)strlen(s) : 1;

	return n > max ? max : n;
}

static char *source_col(const struct bh_package *p)
{
	if (!p->source_name)
		return bh_strdup("-");
	if (p->source_version && strcmp(p->source_version, p->version))
		return bh_asprintf("%s %s", p->source_name, p->source_version);
	return bh_strdup(p->source_name);
}

static char *name_col(const struct bh_package *p)
{
	return p->dev ? bh_asprintf("%s (dev)", p->name) : bh_strdup(p->name);
}

static void print_table(FILE *fp, const struct bh_inventory *inv, const struct bh_image *img,
			struct bh_cli *cli)
{
	const char *b = cli_color(cli->color_stdout, CLI_BOLD);
	const char *n = cli_color(cli->color_stdout, CLI_RESET);
	struct bh_buf summary = BH_BUF_INIT(64 * 1024);
	size_t i = 0, groups = 0;

	fprintf(fp, "%sImage%s  %s", b, n, img->location);
	if (img->has_manifest)
		fprintf(fp, " (%s)", img->manifest_digest.str);
	else if (img->config_digest.str[0])
		fprintf(fp, " (%s)", img->config_digest.str);
	fputc('\n', fp);
	fprintf(fp, "%sOS%s     %s", b, n,
		inv->os.pretty_name ? inv->os.pretty_name
		: inv->os.id	    ? inv->os.id
				    : "unknown");
	if (inv->os.ecosystem)
		fprintf(fp, " [%s]", inv->os.ecosystem);
	fputc('\n', fp);
	while (i < inv->npkgs) {
		const char *eco = inv->pkgs[i].ecosystem ? inv->pkgs[i].ecosystem : "unknown";
		size_t j = i, count;
		int wn = 4, wv = 7, ws = 6;

		/* the packages are sorted by type then ecosystem: one group per run */
		while (j < inv->npkgs &&
		       !strcmp(inv->pkgs[j].ecosystem ? inv->pkgs[j].ecosystem : "unknown", eco))
			j++;
		count = j - i;
		for (size_t k = i; k < j; k++) {
			char *nc = name_col(&inv->pkgs[k]), *sc = source_col(&inv->pkgs[k]);

			if (width(nc, 48) > wn)
				wn = width(nc, 48);
			if (width(inv->pkgs[k].version, 40) > wv)
				wv = width(inv->pkgs[k].version, 40);
			if (width(sc, 48) > ws)
				ws = width(sc, 48);
			free(nc);
			free(sc);
		}
		fprintf(fp, "\n%s%s%s (%zu package%s)\n", b, eco, n, count, count == 1 ? "" : "s");
		fprintf(fp, "%s%-*s  %-*s  %-*s  %5s  %s%s\n", b, wn, "NAME", wv, "VERSION", ws,
			"SOURCE", "LAYER", "PATH", n);
		for (size_t k = i; k < j; k++) {
			const struct bh_package *p = &inv->pkgs[k];
			char *nc = name_col(p), *sc = source_col(p);

			fprintf(fp, "%-*s  %-*s  %-*s  %5u  %s\n", wn, nc, wv, p->version, ws, sc,
				p->layer + 1, p->path);
			free(nc);
			free(sc);
		}
		bh_buf_addf(&summary, NULL, "%s%zu %s", groups++ ? ", " : "", count, eco);
		i = j;
	}
	fprintf(fp, "\n%zu package%s%s%s%s", inv->npkgs, inv->npkgs == 1 ? "" : "s",
		groups ? " (" : "", summary.data ? summary.data : "", groups ? ")" : "");
	{
		size_t nw = 0;

		while (inv->warnings && inv->warnings[nw])
			nw++;
		if (nw)
			fprintf(fp, ", %zu warning%s", nw, nw == 1 ? "" : "s");
	}
	fputc('\n', fp);
	bh_buf_release(&summary);
}

/* ---- the command ----------------------------------------------------------------- */

static int write_doc(FILE *fp, json_t *doc, struct bh_error **err)
{
	if (json_dumpf(doc, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 || fputc('\n', fp) == EOF)
		return bh_error_set(err, BH_ERR_IO, "writing the output failed");
	return 0;
}

static int write_sbom(const struct sbom_args *a, const struct bh_scan_result *res,
		      struct bh_cli *cli, struct bh_error **err)
{
	struct bh_report rep = { .img = res->img, .inv = res->inv, .tool_version = BH_VERSION };
	struct cli_output out;
	json_t *doc = NULL;
	int r = -1;

	switch (a->format) {
	case FMT_JSON: doc = bh_inventory_json(res->inv, res->img); break;
	case FMT_CYCLONEDX:
		if (bh_report_cyclonedx(&rep, &doc, err) < 0)
			goto out;
		break;
	case FMT_SPDX:
		if (bh_report_spdx(&rep, &doc, err) < 0)
			goto out;
		break;
	case FMT_TABLE: break;
	}
	if (cli_output_open(&out, a->output, err) < 0)
		goto out;
	if (doc) {
		r = write_doc(out.fp, doc, err);
	} else {
		print_table(out.fp, res->inv, res->img, cli);
		r = 0;
	}
	if (cli_output_close(&out, r == 0, err) < 0)
		r = -1;
out:
	json_decref(doc);
	return r;
}

int cmd_sbom(int argc, char **argv, struct bh_cli *cli)
{
	struct sbom_args a = { 0 };
	struct bh_scan_opts so = { 0 };
	struct bh_scan_result *res = NULL;
	struct bh_error *err = NULL;
	const char *image = NULL;
	char *dbpath = NULL, *cachepath = NULL;
	int r;

	r = parse_args(argc, argv, &a, &image);
	if (r < 0)
		return cli_help(sbom_usage);
	if (r > 0)
		return r;
	if (!a.no_cache) {
		dbpath = bh_vuln_store_default_path(cli->db_path);
		cachepath = bh_layer_cache_path(dbpath);
		so.cache_path = cachepath;
	}
	/* Tar member names are UTF-8: let libarchive convert them faithfully. */
	setlocale(LC_CTYPE, "C.UTF-8");
	so.scanners = 0; /* the inventory alone */
	so.threads = a.imgopts.threads;
	so.open = &a.imgopts.open;
	r = bh_scan_image(NULL, image, &so, &res, &err);
	if (r == 0) {
		for (size_t i = 0; res->inv->warnings && res->inv->warnings[i]; i++)
			bh_warn("%s", res->inv->warnings[i]);
		if (res->stats.cache_used)
			bh_info("layer cache: %zu of %zu layers from %s", res->stats.layers_cached,
				res->img->nlayers, cachepath);
		r = write_sbom(&a, res, cli, &err);
	}
	bh_scan_result_free(res);
	free(dbpath);
	free(cachepath);
	return r < 0 ? cli_fail(err) : BH_EXIT_OK;
}
