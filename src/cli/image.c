/* SPDX-License-Identifier: Apache-2.0 */
/* bulkhead image: inspect, ls, unpack and bundle container images. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "bulkhead/bundle.h"
#include "bulkhead/image.h"
#include "banned.h"

static const char image_usage[] =
	"usage: bulkhead image <subcommand> [options] IMAGE ...\n"
	"\n"
	"Subcommands:\n"
	"  inspect IMAGE        digest, platform, config, history and layers\n"
	"  ls IMAGE             the merged file list (or one layer's changes)\n"
	"  unpack IMAGE DIR     a safe unpack of the merged filesystem into DIR\n"
	"  bundle IMAGE DIR [-- CMD...]\n"
	"                       an OCI runtime bundle: DIR/rootfs and DIR/config.json\n"
	"\n"
	"IMAGE is a docker-archive tar, an OCI layout (directory or tar), a root\n"
	"filesystem, an image in a registry (registry.example:5000/team/app:1.2,\n"
	"...@sha256:..., docker://...), in the local Docker engine\n"
	"(docker-daemon:NAME[:TAG], through $DOCKER_HOST's unix socket) or in podman's\n"
	"store (containers-storage:NAME); the kind is detected, or forced with a\n"
	"prefix: docker-archive:, oci:, oci-archive:, rootfs: (rootfs:/ is this\n"
	"machine), docker://, docker-daemon:, containers-storage:. A bare name that\n"
	"is no file is looked up in the Docker engine, then podman, then the registry.\n"
	"PATH:REF selects an image by name, as skopeo writes it.\n"
	"\n"
	"Options (all subcommands):\n" CLI_IMAGE_USAGE
	"  --max-size SIZE      limit on the uncompressed size (default 64G)\n"
	"  --max-entries N      limit on the number of files (default 4000000)\n"
	"  --max-ratio N        limit on a layer's compression ratio (default 1000)\n"
	"inspect and ls:\n"
	"  --format FORMAT      table/text (default) or json\n"
	"  -o, --output FILE    write the result to FILE (atomically)\n"
	"ls:\n"
	"  -l, --long           mode, owner, size, time and layer, like tar -tv\n"
	"  --layer N            what layer N (1 = base) adds (+) and deletes (-)\n"
	"unpack and bundle:\n"
	"  --devices            create device nodes (root only; skipped by default)\n"
	"\n"
	"See bulkhead-image(1).\n";

enum {
	OPT_FORMAT = 256,
	OPT_LAYER,
	OPT_DEVICES,
	OPT_MAX_SIZE,
	OPT_MAX_ENTRIES,
	OPT_MAX_RATIO,
};

struct image_args {
	const char *sub;
	struct cli_image_opts imgopts; /* --platform, --ref, --threads */
	struct bh_image_limits limits;
	bool json;
	bool long_fmt;
	long layer; /* 1-based, 0 = merged view */
	bool devices;
	const char *output;
	char **operands;
	int noperands;
	char **cmd; /* bundle: after "--" */
};

static int parse_args(int argc, char **argv, struct bh_cli *cli, struct image_args *a)
{
	static const struct option opts[] = {
		CLI_IMAGE_LONGOPTS,
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "long", no_argument, NULL, 'l' },
		{ "layer", required_argument, NULL, OPT_LAYER },
		{ "devices", no_argument, NULL, OPT_DEVICES },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "max-entries", required_argument, NULL, OPT_MAX_ENTRIES },
		{ "max-ratio", required_argument, NULL, OPT_MAX_RATIO },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char cmdname[64];
	uint64_t v;
	int c;

	snprintf(cmdname, sizeof(cmdname), "image %s", a->sub);
	/* bundle: everything after "--" is the command, not options or operands */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			a->cmd = argv + i + 1;
			argv[i] = NULL;
			argc = i;
			break;
		}
	}
	bh_image_limits_default(&a->limits);
	a->imgopts.open.limits = &a->limits;
	while ((c = cli_image_getopt(argc, argv, "o:lh", opts, cmdname, &a->imgopts)) != -1) {
		switch (c) {
		case OPT_FORMAT:
			if (!strcmp(optarg, "json"))
				a->json = true;
			else if (!strcmp(optarg, "table") || !strcmp(optarg, "text"))
				a->json = false;
			else
				return cli_usage_error(
					cmdname, "--format: unknown format '%s' (table or json)",
					optarg);
			break;
		case 'o': a->output = optarg; break;
		case 'l': a->long_fmt = true; break;
		case OPT_LAYER:
			if (bh_parse_u64(optarg, &v, NULL) < 0 || v == 0 || v > 100000)
				return cli_usage_error(
					cmdname, "--layer: '%s' is not a layer number (1 = base)",
					optarg);
			a->layer = (long)v;
			break;
		case OPT_DEVICES: a->devices = true; break;
		case OPT_MAX_SIZE:
			if (bh_parse_size(optarg, &a->limits.max_total_size, NULL) < 0)
				return cli_usage_error(cmdname, "--max-size: '%s' is not a size",
						       optarg);
			break;
		case OPT_MAX_ENTRIES:
			if (bh_parse_u64(optarg, &a->limits.max_entries, NULL) < 0)
				return cli_usage_error(
					cmdname, "--max-entries: '%s' is not a number", optarg);
			break;
		case OPT_MAX_RATIO:
			if (bh_parse_u64(optarg, &a->limits.max_ratio, NULL) < 0 ||
			    a->limits.max_ratio == 0)
				return cli_usage_error(cmdname, "--max-ratio: '%s' is not a number",
						       optarg);
			break;
		case 'h': return -1;
		default: return BH_EXIT_USAGE;
		}
	}
	a->operands = argv + optind;
	a->noperands = argc - optind;
	(void)cli;
	return 0;
}

/* ---- output helpers ------------------------------------------------------ */

static json_t *strv_json(char **v)
{
	json_t *a;

	if (!v)
		return json_null();
	a = json_array();
	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static const char *type_name(enum bh_ftype t)
{
	switch (t) {
	case BH_FT_REG: return "file";
	case BH_FT_DIR: return "dir";
	case BH_FT_SYMLINK: return "symlink";
	case BH_FT_HARDLINK: return "hardlink";
	case BH_FT_CHAR: return "char";
	case BH_FT_BLOCK: return "block";
	case BH_FT_FIFO: return "fifo";
	case BH_FT_WHITEOUT: return "whiteout";
	case BH_FT_OPAQUE: return "opaque";
	}
	return "unknown";
}

static void mode_string(const struct bh_file *f, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	char t;

	switch (f->type) {
	case BH_FT_DIR: t = 'd'; break;
	case BH_FT_SYMLINK: t = 'l'; break;
	case BH_FT_HARDLINK: t = 'h'; break;
	case BH_FT_CHAR: t = 'c'; break;
	case BH_FT_BLOCK: t = 'b'; break;
	case BH_FT_FIFO: t = 'p'; break;
	default: t = '-'; break;
	}
	out[0] = t;
	for (int i = 0; i < 9; i++)
		out[1 + i] = (f->mode & (0400u >> i)) ? rwx[i] : '-';
	if (f->mode & 04000)
		out[3] = (f->mode & 0100) ? 's' : 'S';
	if (f->mode & 02000)
		out[6] = (f->mode & 0010) ? 's' : 'S';
	if (f->mode & 01000)
		out[9] = (f->mode & 0001) ? 't' : 'T';
	out[10] = 0;
}

static json_t *file_json(const struct bh_file *f)
{
	char mode[8];
	char *path = bh_asprintf("/%s", f->path);
	json_t *o;

	snprintf(mode, sizeof(mode), "%04o", f->mode & 07777);
	o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "path", path, "type",
		      type_name(f->type), "mode", mode, "uid", (json_int_t)f->uid, "gid",
		      (json_int_t)f->gid, "size", (json_int_t)f->size, "mtime",
		      (json_int_t)f->mtime, "layer", (json_int_t)f->layer + 1);
	if (f->type == BH_FT_HARDLINK) {
		char *l = bh_asprintf("/%s", f->link);

		json_object_set_new(o, "link", json_string(l));
		free(l);
	} else if (f->link) {
		json_object_set_new(o, "link", json_string(f->link));
	}
	if (f->type == BH_FT_CHAR || f->type == BH_FT_BLOCK) {
		json_object_set_new(o, "devmajor", json_integer(f->devmajor));
		json_object_set_new(o, "devminor", json_integer(f->devminor));
	}
	free(path);
	return o;
}

static void print_long(FILE *fp, const struct bh_file *f, const char *prefix)
{
	char mode[11], when[BH_TIME_MAX];

	mode_string(f, mode);
	fprintf(fp, "%s%s %u/%u %10llu %s %u /%s", prefix, mode, f->uid, f->gid,
		(unsigned long long)f->size, bh_time_short((int64_t)f->mtime, when), f->layer + 1,
		f->path);
	if (f->type == BH_FT_SYMLINK)
		fprintf(fp, " -> %s", f->link);
	else if (f->type == BH_FT_HARDLINK)
		fprintf(fp, " link to /%s", f->link);
	fputc('\n', fp);
}

static int write_json(FILE *fp, json_t *v)
{
	int r = json_dumpf(v, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	fputc('\n', fp);
	return r;
}

/* ---- inspect ------------------------------------------------------------- */

static json_t *inspect_json(const struct bh_image *img)
{
	const struct bh_image_config *c = &img->config;
	json_t *o = json_object(), *cfg, *hist = json_array(), *layers = json_array();
	uint64_t tsize = 0, tusize = 0;
	bool sizes_known = true;
	char plat[128];

	json_object_set_new(o, "source",
			    json_pack("{s:s, s:s}", "kind", bh_image_kind_name(img->kind),
				      "location", img->location));
	json_object_set_new(o, "name", str_or_null(img->name));
	json_object_set_new(o, "manifestDigest",
			    img->has_manifest ? json_string(img->manifest_digest.str)
					      : json_null());
	json_object_set_new(o, "manifestMediaType", str_or_null(img->manifest_media_type));
	json_object_set_new(o, "configDigest",
			    img->config_digest.str[0] ? json_string(img->config_digest.str)
						      : json_null());
	snprintf(plat, sizeof(plat), "%s/%s%s%s", c->os ? c->os : "?",
		 c->architecture ? c->architecture : "?", c->variant ? "/" : "",
		 c->variant ? c->variant : "");
	json_object_set_new(o, "platform", json_string(plat));
	cfg = json_object();
	json_object_set_new(cfg, "user", str_or_null(c->user));
	json_object_set_new(cfg, "env", c->env ? strv_json(c->env) : json_array());
	json_object_set_new(cfg, "entrypoint", strv_json(c->entrypoint));
	json_object_set_new(cfg, "cmd", strv_json(c->cmd));
	json_object_set_new(cfg, "workingDir", str_or_null(c->working_dir));
	json_object_set_new(cfg, "exposedPorts",
			    c->exposed_ports ? strv_json(c->exposed_ports) : json_array());
	json_object_set_new(cfg, "volumes", c->volumes ? strv_json(c->volumes) : json_array());
	json_object_set_new(cfg, "labels", c->labels ? json_deep_copy(c->labels) : json_object());
	json_object_set_new(cfg, "stopSignal", str_or_null(c->stop_signal));
	json_object_set_new(cfg, "healthcheck", json_boolean(c->has_healthcheck));
	json_object_set_new(cfg, "created", str_or_null(c->created));
	json_object_set_new(o, "config", cfg);
	for (size_t i = 0; i < c->nhistory; i++) {
		const struct bh_history *h = &c->history[i];

		json_array_append_new(
			hist, json_pack("{s:o, s:o, s:o, s:b}", "created", str_or_null(h->created),
					"createdBy", str_or_null(h->created_by), "comment",
					str_or_null(h->comment), "emptyLayer", h->empty_layer));
	}
	json_object_set_new(o, "history", hist);
	for (size_t i = 0; i < img->nlayers; i++) {
		const struct bh_layer *L = &img->layers[i];
		json_t *l = json_object();

		json_object_set_new(l, "index", json_integer((json_int_t)i + 1));
		json_object_set_new(l, "digest",
				    L->digest.str[0] ? json_string(L->digest.str) : json_null());
		json_object_set_new(l, "diffId",
				    L->diff_id.str[0] ? json_string(L->diff_id.str) : json_null());
		json_object_set_new(l, "mediaType", str_or_null(L->media_type));
		json_object_set_new(l, "compression",
				    json_string(bh_compression_name(L->compression)));
		json_object_set_new(l, "size", L->size >= 0 ? json_integer(L->size) : json_null());
		json_object_set_new(l, "uncompressedSize", json_integer((json_int_t)L->usize));
		json_object_set_new(l, "entries", json_integer((json_int_t)L->entries));
		json_array_append_new(layers, l);
		if (L->size >= 0)
			tsize += (uint64_t)L->size;
		else
			sizes_known = false;
		tusize += L->usize;
	}
	json_object_set_new(o, "layers", layers);
	json_object_set_new(o, "totalSize",
			    sizes_known ? json_integer((json_int_t)tsize) : json_null());
	json_object_set_new(o, "totalUncompressedSize", json_integer((json_int_t)tusize));
	return o;
}

static void print_strv(FILE *fp, const char *label, char **v)
{
	fprintf(fp, "%-14s", label);
	if (!v || !*v) {
		fputs("-\n", fp);
		return;
	}
	for (char **p = v; *p; p++)
		fprintf(fp, "%s%s", p == v ? "" : " ", *p);
	fputc('\n', fp);
}

static void inspect_table(FILE *fp, const struct bh_image *img, struct bh_cli *cli)
{
	const struct bh_image_config *c = &img->config;
	const char *b = cli_color(cli->color_stdout, CLI_BOLD);
	const char *n = cli_color(cli->color_stdout, CLI_RESET);
	char s1[32], s2[32];
	uint64_t tu = 0;
	int64_t ts = 0;

	fprintf(fp, "%sImage%s         %s (%s)\n", b, n, img->location,
		bh_image_kind_name(img->kind));
	if (img->name)
		fprintf(fp, "Name          %s\n", img->name);
	if (img->has_manifest)
		fprintf(fp, "Manifest      %s\n              %s\n", img->manifest_digest.str,
			img->manifest_media_type);
	if (img->config_digest.str[0])
		fprintf(fp, "Config        %s\n", img->config_digest.str);
	fprintf(fp, "Platform      %s/%s%s%s\n", c->os, c->architecture, c->variant ? "/" : "",
		c->variant ? c->variant : "");
	if (c->created)
		fprintf(fp, "Created       %s\n", c->created);
	fprintf(fp, "User          %s\n", c->user && *c->user ? c->user : "(root, not set)");
	print_strv(fp, "Entrypoint", c->entrypoint);
	print_strv(fp, "Cmd", c->cmd);
	fprintf(fp, "WorkingDir    %s\n", c->working_dir && *c->working_dir ? c->working_dir : "/");
	print_strv(fp, "ExposedPorts", c->exposed_ports);
	print_strv(fp, "Volumes", c->volumes);
	fprintf(fp, "Healthcheck   %s\n", c->has_healthcheck ? "yes" : "no");
	if (c->env)
		for (char **e = c->env; *e; e++)
			fprintf(fp, "%-14s%s\n", e == c->env ? "Env" : "", *e);
	if (c->labels && json_object_size(c->labels)) {
		const char *k;
		json_t *v;
		bool first = true;

		json_object_foreach (c->labels, k, v) {
			fprintf(fp, "%-14s%s=%s\n", first ? "Labels" : "", k,
				json_is_string(v) ? json_string_value(v) : "?");
			first = false;
		}
	}
	fprintf(fp, "\n%s%-3s %-12s %-5s %10s %10s %8s  %s%s\n", b, "#", "digest", "comp", "size",
		"unpacked", "entries", "diff_id", n);
	for (size_t i = 0; i < img->nlayers; i++) {
		const struct bh_layer *L = &img->layers[i];
		const char *d = L->digest.str[0] ? L->digest.str + 7 : "-";

		fprintf(fp, "%-3zu %-12.12s %-5s %10s %10s %8llu  %.19s\n", i + 1, d,
			bh_compression_name(L->compression),
			L->size >= 0 ? bh_human_size((uint64_t)L->size, s1, sizeof(s1)) : "-",
			bh_human_size(L->usize, s2, sizeof(s2)), (unsigned long long)L->entries,
			L->diff_id.str[0] ? L->diff_id.str : "-");
		ts += L->size >= 0 ? L->size : 0;
		tu += L->usize;
	}
	fprintf(fp, "%zu layer%s, %s compressed, %s unpacked\n", img->nlayers,
		img->nlayers == 1 ? "" : "s", bh_human_size((uint64_t)ts, s1, sizeof(s1)),
		bh_human_size(tu, s2, sizeof(s2)));
	if (c->nhistory) {
		fprintf(fp, "\n%sHistory%s\n", b, n);
		for (size_t i = 0; i < c->nhistory; i++)
			fprintf(fp, "%-3zu %s%s\n", i + 1,
				c->history[i].created_by ? c->history[i].created_by : "",
				c->history[i].empty_layer ? " (empty layer)" : "");
	}
}

static int count_entry(const struct bh_entry *e, struct bh_entry_reader *r, void *data,
		       struct bh_error **err)
{
	return 0;
}

/* ---- the subcommands ------------------------------------------------------ */

static int run_inspect(struct image_args *a, struct bh_image *img, struct bh_cli *cli,
		       struct bh_error **err)
{
	struct bh_walk_opts wo = { .threads = a->imgopts.threads };
	struct cli_output out;
	int r;

	if (a->noperands != 1)
		return cli_usage_error("image inspect", "expected one IMAGE");
	if (bh_image_walk(img, &wo, count_entry, NULL, err) < 0)
		return -1;
	if (cli_output_open(&out, a->output, err) < 0)
		return -1;
	if (a->json) {
		json_t *j = inspect_json(img);

		write_json(out.fp, j);
		json_decref(j);
	} else {
		inspect_table(out.fp, img, cli);
	}
	r = cli_output_close(&out, true, err);
	return r < 0 ? -1 : 0;
}

static int run_ls(struct image_args *a, struct bh_image *img, struct bh_error **err)
{
	struct bh_fileset *fs = NULL;
	struct cli_output out;
	json_t *arr = NULL;
	int r;

	if (a->layer) {
		if (bh_image_layer_changes(img, (unsigned)(a->layer - 1), &fs, err) < 0)
			return -1;
	} else if (bh_image_merged(img, a->imgopts.threads, &fs, err) < 0) {
		return -1;
	}
	if (cli_output_open(&out, a->output, err) < 0) {
		bh_fileset_free(fs);
		return -1;
	}
	if (a->json)
		arr = json_array();
	for (size_t i = 0; i < fs->nfiles; i++) {
		const struct bh_file *f = &fs->files[i];
		const char *prefix = "";

		if (!a->layer && !*f->path)
			continue;
		if (a->json) {
			json_array_append_new(arr, file_json(f));
			continue;
		}
		if (a->layer)
			prefix = (f->type == BH_FT_WHITEOUT || f->type == BH_FT_OPAQUE) ? "- "
											: "+ ";
		if (f->type == BH_FT_OPAQUE)
			fprintf(out.fp, "- /%s%s (opaque)\n", f->path, *f->path ? "/" : "");
		else if (a->long_fmt && f->type != BH_FT_WHITEOUT)
			print_long(out.fp, f, prefix);
		else
			fprintf(out.fp, "%s/%s\n", prefix, f->path);
	}
	if (arr) {
		write_json(out.fp, arr);
		json_decref(arr);
	}
	bh_fileset_free(fs);
	r = cli_output_close(&out, true, err);
	return r < 0 ? -1 : 0;
}

static int run_unpack(struct image_args *a, struct bh_image *img, struct bh_error **err)
{
	struct bh_unpack_opts uo = { .threads = a->imgopts.threads, .devices = a->devices };
	struct bh_unpack_stats st = { 0 };

	if (a->noperands != 2)
		return cli_usage_error("image unpack", "expected IMAGE and DIR");
	if (bh_image_unpack(img, a->operands[1], &uo, &st, err) < 0)
		return -1;
	bh_info("unpacked %llu files, %llu directories, %llu symlinks, %llu hard links into %s",
		(unsigned long long)st.files, (unsigned long long)st.dirs,
		(unsigned long long)st.symlinks, (unsigned long long)st.hardlinks, a->operands[1]);
	if (st.skipped_devices)
		bh_warn("%llu device nodes skipped (use --devices as root to create them)",
			(unsigned long long)st.skipped_devices);
	return 0;
}

static int run_bundle(struct image_args *a, struct bh_image *img, struct bh_error **err)
{
	struct bh_unpack_opts uo = { .threads = a->imgopts.threads, .devices = a->devices };

	if (a->noperands != 2)
		return cli_usage_error("image bundle", "expected IMAGE and DIR");
	if (a->cmd && !a->cmd[0])
		return cli_usage_error("image bundle", "'--' must be followed by a command");
	return bh_bundle_from_image(img, a->operands[1], a->cmd, &uo, err);
}

int cmd_image(int argc, char **argv, struct bh_cli *cli)
{
	static const char *const subs[] = { "inspect", "ls", "unpack", "bundle" };
	struct image_args a = { 0 };
	struct bh_image *img = NULL;
	struct bh_error *err = NULL;
	int r;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return argc < 2 ? (fputs(image_usage, stderr), BH_EXIT_USAGE)
				: cli_help(image_usage);
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i]))
			a.sub = subs[i];
	if (!a.sub)
		return cli_usage_error("image", "unknown subcommand '%s'", argv[1]);
	/* Tar member names are UTF-8: let libarchive convert them faithfully. */
	setlocale(LC_CTYPE, "C.UTF-8");
	optind = 0;
	r = parse_args(argc - 1, argv + 1, cli, &a);
	if (r < 0)
		return cli_help(image_usage);
	if (r > 0)
		return r;
	if (a.noperands < 1)
		return cli_usage_error(argv[0], "%s: expected an IMAGE", a.sub);
	if ((!strcmp(a.sub, "unpack") || !strcmp(a.sub, "bundle")) && a.noperands != 2)
		return cli_usage_error(argv[0], "%s: expected IMAGE and DIR", a.sub);
	if ((!strcmp(a.sub, "inspect") || !strcmp(a.sub, "ls")) && a.noperands != 1)
		return cli_usage_error(argv[0], "%s: expected one IMAGE", a.sub);
	if ((a.layer || a.long_fmt) && strcmp(a.sub, "ls"))
		return cli_usage_error("image", "--layer and --long are for 'image ls'");
	if (a.cmd && strcmp(a.sub, "bundle"))
		return cli_usage_error("image", "'-- CMD' is for 'image bundle'");
	if (bh_image_open(a.operands[0], &a.imgopts.open, &img, &err) < 0)
		return cli_fail(err);
	if (!strcmp(a.sub, "inspect"))
		r = run_inspect(&a, img, cli, &err);
	else if (!strcmp(a.sub, "ls"))
		r = run_ls(&a, img, &err);
	else if (!strcmp(a.sub, "unpack"))
		r = run_unpack(&a, img, &err);
	else
		r = run_bundle(&a, img, &err);
	bh_image_free(img);
	if (r > 0)
		return r; /* usage */
	return r < 0 ? cli_fail(err) : BH_EXIT_OK;
}
