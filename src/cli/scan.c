/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead scan: options into struct bh_scan_opts, one bh_scan_image call
 * (the whole pipeline: walk, match, suppress, filter, gate, record; see
 * include/bulkhead/scan.h), then the report (a table, JSON, SARIF or
 * CycloneDX) and the exit code from the gate (--fail-on, --exit-code).
 * What is decided here: the default ignore file (./.bulkheadignore), the
 * store path, the rules directory ($BULKHEAD_RULES), what is printed.
 */
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "bulkhead/content.h"
#include "bulkhead/scan.h"
#include "bulkhead/version.h"
#include "banned.h"

static const char scan_usage[] =
	"usage: bulkhead scan [options] IMAGE\n"
	"\n"
	"Find known vulnerabilities in an image's packages (NIST SP 800-190 4.1.1),\n"
	"configuration defects (4.1.2), embedded malware (4.1.3) and clear-text secrets\n"
	"(4.1.4), in one pass over the layers; and, asked for, stale images (4.2.2).\n"
	"IMAGE is anything 'bulkhead image' reads (docker-archive, OCI layout, rootfs:DIR,\n"
	"a registry, docker-daemon:NAME, containers-storage:NAME, a bare name).\n"
	"\n"
	"Options:\n"
	"  --format FORMAT      table (default), json, sarif or cyclonedx\n"
	"  -o, --output FILE    write the report to FILE (atomically)\n"
	"  --severity LIST      only these severities, e.g. HIGH,CRITICAL\n"
	"  --ignore-unfixed     leave out vulnerabilities with no fixed version\n"
	"  --ignorefile FILE    IDs to suppress: 'ID [exp:YYYY-MM-DD] [# reason]' per line\n"
	"                       (default: .bulkheadignore in the current directory, if any)\n"
	"  --vex FILE           OpenVEX document; not_affected and fixed statements suppress\n"
	"                       (may be repeated)\n"
	"  --exit-code N        exit with N when any finding is reported (default 0)\n"
	"  --fail-on SEVERITY   exit 1 when a finding reaches SEVERITY (the quality gate)\n"
	"  --no-record          do not record the result in the store\n"
	"  --no-cache           read every layer; neither use nor fill the layer cache\n"
	"  --scanners LIST      vuln,config,secret,malware,stale (default: all but stale)\n"
	"  --max-image-age DAYS stale: BH-STALE-AGE past DAYS (default 90); turns stale on\n"
	"  --base IMAGE         stale: BH-STALE-BASE when IMAGE's layers are not the image's\n"
	"                       first ones (built on an older base); turns stale on\n"
	"  --skip-checks IDS    configuration checks and rules not to report, e.g.\n"
	"                       BH-CFG-013,BH-SECRET-JWT (a trailing * matches a prefix)\n"
	"  --secret-binaries    search binary files for secrets too\n"
	"  --secret-include-packaged  report secrets in packages' unchanged files, as LOW\n"
	"  --max-file-size SIZE larger files are not searched (default 16M)\n"
	"  --yara-rules DIR     your YARA rules (*.yar, *.yara), besides ours\n"
	"  --hash-blocklist FILE  SHA-256 digests of known-bad files, one per line\n"
	"  --clamav             also hand every file to clamscan, if installed\n"
	"  --platform, --ref, --threads   as for 'bulkhead image'\n"
	"  --cacert, --cert-dir, --insecure-registry, --authfile, --registry-timeout\n"
	"                       for a registry IMAGE (and stale's drift and --base)\n"
	"\n"
	"The advisory store is --db (see 'bulkhead db'). Exit codes: 0 clean (or findings\n"
	"without a gate), 1 the gate failed, 2 usage, 3 error. See bulkhead-scan(1).\n";

enum {
	OPT_FORMAT = 256,
	OPT_SEVERITY,
	OPT_IGNORE_UNFIXED,
	OPT_IGNOREFILE,
	OPT_VEX,
	OPT_EXIT_CODE,
	OPT_FAIL_ON,
	OPT_NO_RECORD,
	OPT_SCANNERS,
	OPT_SKIP_CHECKS,
	OPT_SECRET_BINARIES,
	OPT_MAX_FILE_SIZE,
	OPT_YARA_RULES,
	OPT_HASH_BLOCKLIST,
	OPT_CLAMAV,
	OPT_SECRET_INCLUDE_PACKAGED,
	OPT_MAX_IMAGE_AGE,
	OPT_BASE,
	OPT_NO_CACHE,
};

enum fmt { FMT_TABLE, FMT_JSON, FMT_SARIF, FMT_CYCLONEDX };

struct scan_args {
	enum fmt format;
	const char *output;
	int exit_code;
	struct cli_image_opts imgopts;	/* --platform, --ref, --threads */
	struct bh_scan_opts scan;	/* everything the pipeline is told */
	struct bh_content_opts content; /* the content scanners' options */
	const char **vex;		/* --vex, NULL-terminated */
	size_t nvex;
	char **skip; /* --skip-checks, NULL-terminated */
	size_t nskip;
	bool no_cache;
};

static int parse_scanners(const char *list, struct scan_args *a)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{ "vuln", BH_SCAN_VULN },     { "config", BH_SCAN_CONFIG },
		{ "secret", BH_SCAN_SECRET }, { "malware", BH_SCAN_MALWARE },
		{ "stale", BH_SCAN_STALE },
	};
	char *copy = bh_strdup(list), *save = NULL;
	int r = 0;

	a->scan.scanners = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t i = 0;

		while (i < sizeof(names) / sizeof(names[0]) && strcmp(t, names[i].name))
			i++;
		if (i == sizeof(names) / sizeof(names[0]))
			r = -1;
		else
			a->scan.scanners |= names[i].bit;
	}
	free(copy);
	return r;
}

static void add_skips(const char *list, struct scan_args *a)
{
	char *copy = bh_strdup(list), *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		a->skip = bh_reallocarray(a->skip, a->nskip + 2, sizeof(*a->skip));
		a->skip[a->nskip++] = bh_strdup(t);
		a->skip[a->nskip] = NULL;
	}
	free(copy);
}

static void free_args(struct scan_args *a)
{
	for (size_t i = 0; i < a->nskip; i++)
		free(a->skip[i]);
	free(a->skip);
	free(a->vex);
}

static int parse_severities(const char *list, struct scan_args *a)
{
	char *copy = bh_strdup(list), *save = NULL;
	int r = 0;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		enum bh_severity s;

		if (bh_severity_parse(t, &s) < 0) {
			r = -1;
			break;
		}
		a->scan.severities |= 1u << s;
	}
	free(copy);
	return r;
}

static int parse_args(int argc, char **argv, struct scan_args *a, const char **image)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "severity", required_argument, NULL, OPT_SEVERITY },
		{ "ignore-unfixed", no_argument, NULL, OPT_IGNORE_UNFIXED },
		{ "ignorefile", required_argument, NULL, OPT_IGNOREFILE },
		{ "vex", required_argument, NULL, OPT_VEX },
		{ "exit-code", required_argument, NULL, OPT_EXIT_CODE },
		{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
		{ "no-record", no_argument, NULL, OPT_NO_RECORD },
		{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
		CLI_IMAGE_LONGOPTS,
		{ "scanners", required_argument, NULL, OPT_SCANNERS },
		{ "skip-checks", required_argument, NULL, OPT_SKIP_CHECKS },
		{ "secret-binaries", no_argument, NULL, OPT_SECRET_BINARIES },
		{ "max-file-size", required_argument, NULL, OPT_MAX_FILE_SIZE },
		{ "yara-rules", required_argument, NULL, OPT_YARA_RULES },
		{ "hash-blocklist", required_argument, NULL, OPT_HASH_BLOCKLIST },
		{ "clamav", no_argument, NULL, OPT_CLAMAV },
		{ "secret-include-packaged", no_argument, NULL, OPT_SECRET_INCLUDE_PACKAGED },
		{ "max-image-age", required_argument, NULL, OPT_MAX_IMAGE_AGE },
		{ "base", required_argument, NULL, OPT_BASE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	bool stale = false;
	int c;

	a->scan.record = true;
	a->scan.scanners = BH_SCAN_ALL;
	while ((c = cli_image_getopt(argc, argv, "o:h", opts, "scan", &a->imgopts)) != -1) {
		switch (c) {
		case OPT_FORMAT:
			if (!strcmp(optarg, "table"))
				a->format = FMT_TABLE;
			else if (!strcmp(optarg, "json"))
				a->format = FMT_JSON;
			else if (!strcmp(optarg, "sarif"))
				a->format = FMT_SARIF;
			else if (!strcmp(optarg, "cyclonedx"))
				a->format = FMT_CYCLONEDX;
			else
				return cli_usage_error(
					"scan",
					"--format: unknown format '%s' (table, json, "
					"sarif or cyclonedx)",
					optarg);
			break;
		case 'o': a->output = optarg; break;
		case OPT_SEVERITY:
			if (parse_severities(optarg, a) < 0)
				return cli_usage_error(
					"scan",
					"--severity: '%s' is not a list of UNKNOWN, LOW, "
					"MEDIUM, HIGH, CRITICAL",
					optarg);
			break;
		case OPT_IGNORE_UNFIXED: a->scan.ignore_unfixed = true; break;
		case OPT_IGNOREFILE: a->scan.ignore_file = optarg; break;
		case OPT_VEX:
			a->vex = bh_reallocarray(a->vex, a->nvex + 2, sizeof(*a->vex));
			a->vex[a->nvex++] = optarg;
			a->vex[a->nvex] = NULL;
			break;
		case OPT_EXIT_CODE:
			if (bh_parse_u64(optarg, &v, NULL) < 0 || v > 255)
				return cli_usage_error("scan", "--exit-code: '%s' is not 0..255",
						       optarg);
			a->exit_code = (int)v;
			break;
		case OPT_FAIL_ON:
			if (bh_severity_parse(optarg, &a->scan.fail_on) < 0)
				return cli_usage_error("scan", "--fail-on: unknown severity '%s'",
						       optarg);
			a->scan.fail_on_set = true;
			break;
		case OPT_NO_RECORD: a->scan.record = false; break;
		case OPT_NO_CACHE: a->no_cache = true; break;
		case OPT_SCANNERS:
			if (parse_scanners(optarg, a) < 0)
				return cli_usage_error(
					"scan",
					"--scanners: '%s' is not a list of vuln, config, "
					"secret, malware, stale",
					optarg);
			break;
		case OPT_SKIP_CHECKS: add_skips(optarg, a); break;
		case OPT_SECRET_BINARIES: a->content.secret_binaries = true; break;
		case OPT_MAX_FILE_SIZE:
			if (bh_parse_size(optarg, &v, NULL) < 0 || v == 0)
				return cli_usage_error(
					"scan", "--max-file-size: '%s' is not a size", optarg);
			a->content.max_file_size = v;
			break;
		case OPT_YARA_RULES: a->content.yara_rules_dir = optarg; break;
		case OPT_HASH_BLOCKLIST: a->content.hash_blocklist = optarg; break;
		case OPT_CLAMAV: a->content.clamav = true; break;
		case OPT_SECRET_INCLUDE_PACKAGED: a->content.secret_include_packaged = true; break;
		case OPT_MAX_IMAGE_AGE:
			if (bh_parse_u64(optarg, &v, NULL) < 0 || v == 0 || v > 36500)
				return cli_usage_error("scan",
						       "--max-image-age: '%s' is not 1..36500 days",
						       optarg);
			a->scan.max_age_days = (unsigned)v;
			stale = true;
			break;
		case OPT_BASE:
			a->scan.base = optarg;
			stale = true;
			break;
		case 'h': return -1;
		default: return BH_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("scan", "expected one IMAGE");
	if (stale)
		a->scan.scanners |= BH_SCAN_STALE;
	*image = argv[optind];
	return 0;
}

/* ---- the table --------------------------------------------------------------- */

static const struct bh_inventory *sort_inv;
static const struct bh_findings *sort_findings;

static int cmp_findings(const void *pa, const void *pb)
{
	const struct bh_finding *a = &sort_findings->v[*(const size_t *)pa];
	const struct bh_finding *b = &sort_findings->v[*(const size_t *)pb];
	const char *na = a->pkg < sort_inv->npkgs ? sort_inv->pkgs[a->pkg].name : "";
	const char *nb = b->pkg < sort_inv->npkgs ? sort_inv->pkgs[b->pkg].name : "";
	int r = strcmp(na, nb);

	if (r)
		return r;
	if (a->pkg != b->pkg)
		return a->pkg < b->pkg ? -1 : 1;
	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	return strcmp(a->id, b->id);
}

static const char *sev_color(bool on, enum bh_severity s)
{
	switch (s) {
	case BH_SEV_CRITICAL: return cli_color(on, "\033[1;31m");
	case BH_SEV_HIGH: return cli_color(on, CLI_RED);
	case BH_SEV_MEDIUM: return cli_color(on, CLI_YELLOW);
	case BH_SEV_LOW: return cli_color(on, "\033[36m");
	default: return cli_color(on, CLI_DIM);
	}
}

static int cmp_content(const void *pa, const void *pb)
{
	const struct bh_finding *a = &sort_findings->v[*(const size_t *)pa];
	const struct bh_finding *b = &sort_findings->v[*(const size_t *)pb];

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	return strcmp(a->id, b->id);
}

/* Configuration defects, secrets and malware: one row each, with where. */
static size_t print_content_table(FILE *fp, const struct bh_findings *f, bool color, bool gap)
{
	size_t *order = bh_calloc(f->n + 1, sizeof(*order)), n = 0;
	const char *b = cli_color(color, CLI_BOLD), *rs = cli_color(color, CLI_RESET);
	bool removed = false;

	for (size_t i = 0; i < f->n; i++)
		if (!f->v[i].suppressed && f->v[i].kind != BH_FIND_VULN)
			order[n++] = i;
	sort_findings = f;
	qsort(order, n, sizeof(*order), cmp_content);
	if (n)
		fprintf(fp, "%s%s%-8s %-8s %-31s %5s  %-40s %s%s\n", gap ? "\n" : "", b, "KIND",
			"SEVERITY", "ID", "LAYER", "PATH", "TITLE", rs);
	for (size_t k = 0; k < n; k++) {
		const struct bh_finding *x = &f->v[order[k]];
		char layer[24], where[4200];

		if (x->layer < 0)
			snprintf(layer, sizeof(layer), "-");
		else if (x->removed_layer >= 0)
			snprintf(layer, sizeof(layer), "%d-%d", x->layer + 1, x->removed_layer + 1);
		else
			snprintf(layer, sizeof(layer), "%d", x->layer + 1);
		removed |= x->removed_layer >= 0;
		if (x->path && x->line > 0)
			snprintf(where, sizeof(where), "%s:%ld", x->path, x->line);
		else
			snprintf(where, sizeof(where), "%s",
				 x->path		    ? x->path
				 : x->kind == BH_FIND_STALE ? "(image)"
							    : "(image config)");
		fprintf(fp, "%-8s %s%-8s%s %-31s %5s  %-40s %s\n", bh_finding_kind_name(x->kind),
			sev_color(color, x->severity), bh_severity_name(x->severity), rs, x->id,
			layer, where, x->title ? x->title : "");
	}
	if (removed)
		fprintf(fp,
			"LAYER a-b: added in layer a, deleted in layer b, still in the image.\n");
	/* stale images: what to do is the point, so it is shown */
	for (size_t k = 0; k < n; k++) {
		const struct bh_finding *x = &f->v[order[k]];

		if (x->kind == BH_FIND_STALE && x->remediation)
			fprintf(fp, "%s (NIST SP 800-190 %s): %s\n", x->id,
				x->countermeasure ? x->countermeasure : "4.2.2", x->remediation);
	}
	free(order);
	return n;
}

static void print_table(FILE *fp, const struct bh_image *img, const struct bh_inventory *inv,
			const struct bh_findings *f, bool color)
{
	size_t *order = bh_calloc(f->n + 1, sizeof(*order)), n = 0, counts[5] = { 0 }, supp = 0;
	const char *b = cli_color(color, CLI_BOLD), *rs = cli_color(color, CLI_RESET);
	size_t last_pkg = SIZE_MAX;

	for (size_t i = 0; i < f->n; i++) {
		if (f->v[i].suppressed) {
			supp++;
			continue;
		}
		counts[f->v[i].severity]++;
		if (f->v[i].kind == BH_FIND_VULN)
			order[n++] = i;
	}
	sort_inv = inv;
	sort_findings = f;
	qsort(order, n, sizeof(*order), cmp_findings);
	fprintf(fp, "%s%s%s (%s)", b, img->name ? img->name : img->location, rs,
		bh_image_kind_name(img->kind));
	if (img->has_manifest)
		fprintf(fp, " %.19s", img->manifest_digest.str);
	if (inv->os.pretty_name || inv->os.ecosystem)
		fprintf(fp, " - %s", inv->os.pretty_name ? inv->os.pretty_name : inv->os.ecosystem);
	fprintf(fp, "\n%zu packages scanned\n\n", inv->npkgs);
	if (n) {
		fprintf(fp, "%s%-28s %-24s %-24s %-8s %-20s %5s  %s%s\n", b, "PACKAGE", "INSTALLED",
			"FIXED", "SEVERITY", "ID", "LAYER", "TITLE", rs);
	}
	for (size_t k = 0; k < n; k++) {
		const struct bh_finding *x = &f->v[order[k]];
		const struct bh_package *p = x->pkg < inv->npkgs ? &inv->pkgs[x->pkg] : NULL;
		bool first = x->pkg != last_pkg;
		char layer[16];

		last_pkg = x->pkg;
		if (x->layer >= 0)
			snprintf(layer, sizeof(layer), "%d", x->layer + 1);
		else
			snprintf(layer, sizeof(layer), "-");
		fprintf(fp, "%-28.28s %-24.24s %-24.24s %s%-8s%s %-20.20s %5s  %.60s\n",
			first && p ? p->name : "", first && p && p->version ? p->version : "",
			x->fixed_versions ? x->fixed_versions[0] : "-",
			sev_color(color, x->severity), bh_severity_name(x->severity), rs, x->id,
			first ? layer : "", x->title ? x->title : "");
	}
	n += print_content_table(fp, f, color, n > 0);
	fprintf(fp,
		"%sTotal: %zu%s (CRITICAL: %zu, HIGH: %zu, MEDIUM: %zu, LOW: %zu, UNKNOWN: %zu)",
		n ? "\n" : "", n, "", counts[BH_SEV_CRITICAL], counts[BH_SEV_HIGH],
		counts[BH_SEV_MEDIUM], counts[BH_SEV_LOW], counts[BH_SEV_UNKNOWN]);
	if (supp)
		fprintf(fp, ", %zu suppressed", supp);
	fputc('\n', fp);
	free(order);
}

/* ---- running ----------------------------------------------------------------- */

static int write_report(const struct scan_args *a, struct bh_cli *cli,
			const struct bh_scan_result *res, struct bh_error **err)
{
	struct bh_report r = { .img = res->img,
			       .inv = res->inv,
			       .findings = &res->findings,
			       .tool_version = BH_VERSION };
	struct cli_output out;
	json_t *doc = NULL;
	int rc = 0;

	if (a->format == FMT_JSON)
		rc = bh_report_json(&r, &doc, err);
	else if (a->format == FMT_SARIF)
		rc = bh_report_sarif(&r, &doc, err);
	else if (a->format == FMT_CYCLONEDX)
		rc = bh_report_cyclonedx(&r, &doc, err);
	if (rc < 0)
		return -1;
	if (cli_output_open(&out, a->output, err) < 0) {
		json_decref(doc);
		return -1;
	}
	if (doc) {
		json_dumpf(doc, out.fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', out.fp);
		json_decref(doc);
	} else {
		print_table(out.fp, res->img, res->inv, &res->findings,
			    cli->color_stdout && !a->output);
	}
	return cli_output_close(&out, true, err);
}

/* What the pipeline found out on the way, for the log. */
static void log_stats(const struct scan_args *a, const struct bh_scan_result *res)
{
	const struct bh_scan_stats *st = &res->stats;

	for (char **w = res->inv->warnings; w && *w; w++)
		bh_warn("%s", *w);
	if (a->scan.scanners & (BH_SCAN_CONFIG | BH_SCAN_SECRET | BH_SCAN_MALWARE))
		bh_info("content: %llu files (%llu bytes) searched, %llu over --max-file-size, "
			"%llu binary files not searched for secrets",
			(unsigned long long)st->content.files_scanned,
			(unsigned long long)st->content.bytes_scanned,
			(unsigned long long)st->content.skipped_large,
			(unsigned long long)st->content.skipped_binary);
	if (a->scan.scanners & BH_SCAN_VULN)
		bh_info("%zu packages matched (%zu with a version their scheme cannot read), %zu "
			"advisories evaluated",
			st->match.packages, st->match.bad_versions, st->match.advisories);
	if (a->scan.ignore_file)
		bh_info("%s suppressed %zu finding%s", a->scan.ignore_file, st->suppressed_ignore,
			st->suppressed_ignore == 1 ? "" : "s");
	if (a->nvex)
		bh_info("the VEX documents suppressed %zu finding%s", st->suppressed_vex,
			st->suppressed_vex == 1 ? "" : "s");
	if (st->filtered)
		bh_info("%zu finding%s left out by --severity / --ignore-unfixed", st->filtered,
			st->filtered == 1 ? "" : "s");
}

static volatile int scan_cancel;

static void on_signal(int sig)
{
	(void)sig;
	scan_cancel = 1;
}

int cmd_scan(int argc, char **argv, struct bh_cli *cli)
{
	struct scan_args a = { 0 };
	struct bh_scan_result *res = NULL;
	struct bh_error *err = NULL;
	const char *image = NULL;
	char *dbpath = NULL, *rules = NULL, *cachepath = NULL;
	time_t start = time(NULL);
	int r;

	optind = 0;
	r = parse_args(argc, argv, &a, &image);
	if (r < 0) {
		free_args(&a);
		return cli_help(scan_usage);
	}
	if (r > 0) {
		free_args(&a);
		return r;
	}
	dbpath = bh_vuln_store_default_path(cli->db_path);
	if (!a.no_cache) {
		cachepath = bh_layer_cache_path(dbpath);
		a.scan.cache_path = cachepath;
	}
	if (a.scan.scanners & BH_SCAN_VULN) {
		if (access(dbpath, F_OK) < 0) {
			bh_error_set(&err, BH_ERR_NOTFOUND,
				     "no advisory database at %s; run 'bulkhead db import' or "
				     "'bulkhead db update' first",
				     dbpath);
			goto out;
		}
		a.scan.store_path = dbpath;
	} else {
		a.scan.record = false; /* nothing to record without the store */
	}
	if (!a.scan.ignore_file && access(".bulkheadignore", R_OK) == 0)
		a.scan.ignore_file = ".bulkheadignore";
	rules = bh_content_default_rules_dir(getenv("BULKHEAD_RULES"));
	a.content.builtin_rules_dir = rules;
	a.content.skip_checks = (const char *const *)a.skip;
	a.scan.content = &a.content;
	a.scan.vex_files = a.vex;
	a.scan.threads = a.imgopts.threads;
	a.scan.open = &a.imgopts.open;
	a.scan.cancel = &scan_cancel;
	/* Tar member names are UTF-8: let libarchive convert them faithfully
	 * (as sbom does, so both read a layer alike and share its cache). */
	setlocale(LC_CTYPE, "C.UTF-8");
	/* the first SIGINT or SIGTERM stops the scan cleanly (temporary files
	 * removed, exit 3); a second one ends the process at once */
	cli_on_signals(on_signal, SA_RESETHAND, SIGINT, SIGTERM, 0);
	if (bh_scan_image(NULL, image, &a.scan, &res, &err) < 0)
		goto out;
	log_stats(&a, res);
	if (res->stats.cache_used)
		bh_info("layer cache: %zu of %zu layers from %s", res->stats.layers_cached,
			res->img->nlayers, cachepath);
	if (write_report(&a, cli, res, &err) < 0)
		goto out;
	if (time(NULL) - start > 3)
		bh_info("scan took %lds", (long)(time(NULL) - start));
out:
	if (err)
		r = cli_fail(err);
	else if (res->gate_failed)
		r = BH_EXIT_FINDINGS;
	else if (res->stats.reported && a.exit_code)
		r = a.exit_code;
	else
		r = BH_EXIT_OK;
	bh_scan_result_free(res);
	free(rules);
	free(dbpath);
	free(cachepath);
	free_args(&a);
	return r;
}
