/* SPDX-License-Identifier: Apache-2.0 */
/* bulkhead db: import advisories, update them from the network, show the store. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "bulkhead/scan.h"
#include "bulkhead/vuln.h"
#include "banned.h"

static const char db_usage[] =
	"usage: bulkhead db <subcommand> [options]\n"
	"\n"
	"Subcommands:\n"
	"  import PATH...   import advisories: OSV records (JSON or YAML files,\n"
	"                   directories of them, OSV's per-ecosystem all.zip exports)\n"
	"                   and Alpine secdb files (main.yaml, community.yaml)\n"
	"  update           download the configured sources over HTTPS and import them;\n"
	"                   a source that has not changed costs one request\n"
	"  info             sources, advisories per ecosystem, last update, schema,\n"
	"                   and the layer cache's size\n"
	"  prune-cache      remove from the layer cache what another bulkhead version\n"
	"                   stored, then the least recently used layers down to its\n"
	"                   maximum (or --max-size, kept as the new maximum; --all:\n"
	"                   everything)\n"
	"\n"
	"Options:\n"
	"  --strict         import, update: a malformed record fails the whole import\n"
	"                   (default: it is skipped, counted and reported)\n"
	"  --source NAME    import: record everything under NAME (default: each PATH)\n"
	"  --config FILE    update: the sources, one 'NAME URL' per line (default: the\n"
	"                   OSV exports for Debian, Ubuntu, Alpine, npm, PyPI, Go, Maven,\n"
	"                   crates.io, RubyGems, Packagist and NuGet)\n"
	"  --cacert FILE    update: trust these CA certificates (default $CURL_CA_BUNDLE,\n"
	"                   else the system's)\n"
	"  --max-size SIZE  prune-cache: the layer cache's maximum from now on (e.g.\n"
	"                   512M; default 2G)\n"
	"  --all            prune-cache: empty the layer cache\n"
	"  --format FORMAT  table (default) or json\n"
	"\n"
	"The database is the global --db PATH, else $BULKHEAD_DB, else\n"
	"$XDG_CACHE_HOME/bulkhead/db.sqlite (~/.cache when unset), or\n"
	"/var/lib/bulkhead/db.sqlite for root. An import is one transaction: when it\n"
	"fails or is interrupted, the database keeps what it had. The layer cache\n"
	"(what scan and sbom made of each layer, by diff_id) is the file beside it,\n"
	"db.layers.sqlite for db.sqlite; removing it loses nothing but time.\n"
	"\n"
	"See bulkhead-db(1).\n";

enum { OPT_STRICT = 256, OPT_SOURCE, OPT_CONFIG, OPT_CACERT, OPT_FORMAT, OPT_MAX_SIZE, OPT_ALL };

struct db_args {
	const char *sub;
	bool strict;
	bool json;
	const char *source;
	const char *config;
	const char *cacert;
	char **operands;
	int noperands;
	bool all, set_max;
	uint64_t max_size;
};

static volatile int db_cancel;

static void on_signal(int sig)
{
	(void)sig;
	db_cancel = 1;
}

static int parse_args(int argc, char **argv, struct db_args *a)
{
	static const struct option opts[] = {
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "cacert", required_argument, NULL, OPT_CACERT },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char cmd[32];
	int c;

	snprintf(cmd, sizeof(cmd), "db %s", a->sub);
	while ((c = cli_getopt(argc, argv, "h", opts, cmd)) != -1) {
		switch (c) {
		case OPT_STRICT: a->strict = true; break;
		case OPT_SOURCE: a->source = optarg; break;
		case OPT_CONFIG: a->config = optarg; break;
		case OPT_CACERT: a->cacert = optarg; break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "json"))
				a->json = true;
			else if (!strcmp(optarg, "table") || !strcmp(optarg, "text"))
				a->json = false;
			else
				return cli_usage_error(
					cmd, "--format: unknown format '%s' (table or json)",
					optarg);
			break;
		case OPT_MAX_SIZE:
			if (bh_parse_size(optarg, &a->max_size, NULL) < 0 || a->max_size == 0)
				return cli_usage_error(cmd, "--max-size: '%s' is not a size",
						       optarg);
			a->set_max = true;
			break;
		case OPT_ALL: a->all = true; break;
		case 'h': cli_help(db_usage); return -1;
		default: return BH_EXIT_USAGE;
		}
	}
	a->operands = argv + optind;
	a->noperands = argc - optind;
	if ((a->set_max || a->all) && strcmp(a->sub, "prune-cache"))
		return cli_usage_error(cmd, "--max-size and --all are for 'db prune-cache'");
	if (a->set_max && a->all)
		return cli_usage_error(cmd, "--max-size or --all, not both");
	if (!strcmp(a->sub, "import")) {
		if (a->noperands == 0)
			return cli_usage_error(cmd, "no PATH to import");
		if (a->config || a->cacert)
			return cli_usage_error(cmd, "--config and --cacert are for 'db update'");
	} else {
		if (a->noperands > 0)
			return cli_usage_error(cmd, "unexpected argument '%s'", a->operands[0]);
		if (a->source)
			return cli_usage_error(cmd, "--source is for 'db import'");
		if (!strcmp(a->sub, "info") && (a->strict || a->config || a->cacert))
			return cli_usage_error(cmd, "info takes only --format");
		if (!strcmp(a->sub, "prune-cache") && (a->strict || a->config || a->cacert))
			return cli_usage_error(cmd,
					       "prune-cache takes --max-size, --all and --format");
	}
	return 0;
}

static int open_store(struct bh_cli *cli, bool create, struct bh_store **s)
{
	char *path = bh_vuln_store_default_path(cli->db_path);
	struct bh_error *err = NULL;
	int r = bh_vuln_store_open(path, create, s, &err);

	free(path);
	return r < 0 ? cli_fail(err) : 0;
}

static json_t *stats_json(const struct bh_import_stats *st)
{
	json_t *p = json_array();

	for (char **m = st->problems; m && *m; m++)
		json_array_append_new(p, json_string(*m));
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "files", (json_int_t)st->files,
			 "records", (json_int_t)st->records, "inserted", (json_int_t)st->inserted,
			 "updated", (json_int_t)st->updated, "unchanged", (json_int_t)st->unchanged,
			 "withdrawn", (json_int_t)st->withdrawn, "malformed",
			 (json_int_t)st->malformed, "problems", p);
}

static void print_stats(const char *prefix, const struct bh_import_stats *st)
{
	printf("%s%llu records from %llu files: %llu new, %llu updated, %llu unchanged, "
	       "%llu withdrawn, %llu malformed\n",
	       prefix, (unsigned long long)st->records, (unsigned long long)st->files,
	       (unsigned long long)st->inserted, (unsigned long long)st->updated,
	       (unsigned long long)st->unchanged, (unsigned long long)st->withdrawn,
	       (unsigned long long)st->malformed);
}

/* The malformed records, as warnings on stderr. */
static void warn_problems(const struct bh_import_stats *st)
{
	uint64_t shown = 0;

	for (char **m = st->problems; m && *m; m++, shown++)
		bh_warn("skipped a malformed record: %s", *m);
	if (st->malformed > shown)
		bh_warn("... and %llu more malformed records",
			(unsigned long long)(st->malformed - shown));
}

static int db_import(struct db_args *a, struct bh_cli *cli)
{
	struct bh_import_opts o = { .strict = a->strict,
				    .source = a->source,
				    .cancel = &db_cancel };
	struct bh_import_stats st;
	struct bh_error *err = NULL;
	struct bh_store *s;
	int r;

	if (open_store(cli, true, &s))
		return BH_EXIT_ERROR;
	cli_on_signals(on_signal, 0, SIGINT, SIGTERM, SIGHUP, 0);
	r = bh_vuln_store_import(s, (const char *const *)a->operands, (size_t)a->noperands, &o, &st,
				 &err);
	bh_vuln_store_close(s);
	if (r < 0) {
		bh_import_stats_release(&st);
		return cli_fail(err);
	}
	warn_problems(&st);
	if (a->json)
		r = cli_print_json(stats_json(&st), JSON_SORT_KEYS);
	else
		print_stats("imported ", &st);
	bh_import_stats_release(&st);
	return r;
}

static int read_sources(const char *path, struct bh_update_sources *src)
{
	struct bh_buf b = BH_BUF_INIT(1u << 20);
	struct bh_error *err = NULL;
	int r;

	if (!path) {
		bh_update_default_sources(src);
		return 0;
	}
	r = bh_read_file(path, &b, &err);
	if (r == 0)
		r = bh_update_sources_parse(b.data ? b.data : "", b.len, path, src, &err);
	bh_buf_release(&b);
	if (r < 0)
		return cli_fail(err);
	if (src->n == 0) {
		bh_update_sources_release(src);
		bh_log(BH_LOG_ERROR, "%s: no sources", path);
		return BH_EXIT_ERROR;
	}
	return 0;
}

static int db_update(struct db_args *a, struct bh_cli *cli)
{
	struct bh_update_opts o = { .strict = a->strict, .cancel = &db_cancel };
	struct bh_update_sources src;
	struct bh_update_result *res = NULL;
	struct bh_error *err = NULL;
	struct bh_store *s;
	json_t *out = json_array();
	const char *env = getenv("CURL_CA_BUNDLE");
	int failed;

	o.cacert = a->cacert ? a->cacert : (env && *env ? env : NULL);
	if (read_sources(a->config, &src)) {
		json_decref(out);
		return BH_EXIT_ERROR;
	}
	if (open_store(cli, true, &s)) {
		json_decref(out);
		bh_update_sources_release(&src);
		return BH_EXIT_ERROR;
	}
	cli_on_signals(on_signal, 0, SIGINT, SIGTERM, SIGHUP, 0);
	failed = bh_vuln_store_update(s, &src, &o, &res, &err);
	bh_vuln_store_close(s);
	if (failed < 0) {
		json_decref(out);
		bh_update_sources_release(&src);
		return cli_fail(err);
	}
	for (size_t i = 0; i < src.n; i++) {
		struct bh_update_result *r = &res[i];
		char *msg = r->error ? bh_error_message(r->error) : NULL;
		json_t *o1 = json_pack("{s:s, s:s, s:I, s:b, s:I}", "name", r->name, "url", r->url,
				       "http_status", (json_int_t)r->http_status, "not_modified",
				       r->not_modified, "bytes", (json_int_t)r->bytes);

		if (msg) {
			json_object_set_new(o1, "error", json_string(msg));
			bh_log(BH_LOG_ERROR, "%s", msg);
		} else if (!r->not_modified) {
			json_object_set_new(o1, "import", stats_json(&r->stats));
			warn_problems(&r->stats);
		}
		json_array_append_new(out, o1);
		if (!a->json) {
			char prefix[160];

			snprintf(prefix, sizeof(prefix), "%s: ", r->name);
			if (msg)
				printf("%sfailed\n", prefix);
			else if (r->not_modified)
				printf("%snot modified\n", prefix);
			else
				print_stats(prefix, &r->stats);
		}
		free(msg);
	}
	bh_update_results_free(res, src.n);
	bh_update_sources_release(&src);
	if (a->json)
		cli_print_json(out, JSON_SORT_KEYS);
	else
		json_decref(out);
	return failed ? BH_EXIT_ERROR : BH_EXIT_OK;
}

static const char *str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *s = bh_json_str(o, key);

	return s ? s : dflt;
}

static long long int_of(const json_t *o, const char *key)
{
	json_int_t v = 0;

	bh_json_int(o, key, &v);
	return (long long)v;
}

/*
 * The layer cache beside the database: 1 and the handle, 0 when there is
 * none (no file), -1 after an error was reported.
 */
static int open_cache(struct bh_cli *cli, struct bh_layer_cache **c, char **path)
{
	char *db = bh_vuln_store_default_path(cli->db_path);
	struct bh_error *err = NULL;

	*c = NULL;
	*path = bh_layer_cache_path(db);
	free(db);
	if (bh_layer_cache_open(*path, false, c, &err) == 0)
		return 1;
	if (bh_error_code(err) == BH_ERR_NOTFOUND) {
		bh_error_free(err);
		return 0;
	}
	cli_fail(err);
	return -1;
}

/* The layer cache's figures, or JSON null when there is none. */
static int cache_info(struct bh_cli *cli, json_t **out)
{
	struct bh_layer_cache *c;
	struct bh_error *err = NULL;
	char *path;
	int k = open_cache(cli, &c, &path);

	*out = NULL;
	free(path);
	if (k < 0)
		return -1;
	if (k == 0) {
		*out = json_null();
		return 0;
	}
	k = bh_layer_cache_info(c, out, &err);
	bh_layer_cache_close(c);
	return k < 0 ? (cli_fail(err), -1) : 0;
}

static void print_cache_line(const json_t *lc)
{
	char b1[32], b2[32], b3[32];
	json_int_t v;

	if (!json_is_object(lc)) {
		printf("layer cache   none\n");
		return;
	}
	printf("layer cache   %s\n", str_or(lc, "path", "?"));
	bh_json_int(lc, "bytes", &v);
	bh_human_size((uint64_t)v, b1, sizeof(b1));
	bh_json_int(lc, "file_bytes", &v);
	bh_human_size((uint64_t)v, b2, sizeof(b2));
	bh_json_int(lc, "max_bytes", &v);
	bh_human_size((uint64_t)v, b3, sizeof(b3));
	printf("              %lld layers, %lld parts, %s (file %s, at most %s), last used %s\n",
	       int_of(lc, "layers"), int_of(lc, "parts"), b1, b2, b3,
	       str_or(lc, "newest_use", "never"));
	if (int_of(lc, "other_versions"))
		printf("              %lld parts of other bulkhead versions ('db prune-cache' "
		       "removes them)\n",
		       int_of(lc, "other_versions"));
}

static int db_info(struct db_args *a, struct bh_cli *cli)
{
	struct bh_error *err = NULL;
	struct bh_store *s;
	json_t *info, *e, *lc = NULL;
	size_t i;

	if (open_store(cli, false, &s))
		return BH_EXIT_ERROR;
	if (bh_vuln_store_info(s, &info, &err) < 0) {
		bh_vuln_store_close(s);
		return cli_fail(err);
	}
	bh_vuln_store_close(s);
	if (cache_info(cli, &lc) < 0) {
		json_decref(info);
		return BH_EXIT_ERROR;
	}
	json_object_set(info, "layer_cache", lc);
	if (a->json) {
		json_decref(lc);
		return cli_print_json(info, JSON_SORT_KEYS);
	}
	printf("database      %s\n", str_or(info, "path", "?"));
	printf("schema        %lld\n", int_of(info, "schema_version"));
	printf("last update   %s\n", str_or(info, "last_update", "never"));
	printf("advisories    %lld (%lld withdrawn)\n", int_of(info, "advisories"),
	       int_of(info, "withdrawn"));
	printf("\n%-24s %10s %10s\n", "ECOSYSTEM", "ADVISORIES", "PACKAGES");
	json_array_foreach (bh_json_arr(info, "ecosystems"), i, e) {
		printf("%-24s %10lld %10lld\n", str_or(e, "ecosystem", "?"),
		       int_of(e, "advisories"), int_of(e, "packages"));
	}
	printf("\n%-24s %-7s %8s  %-20s  %s\n", "SOURCE", "KIND", "RECORDS", "IMPORTED", "URL");
	json_array_foreach (bh_json_arr(info, "sources"), i, e) {
		printf("%-24s %-7s %8lld  %-20s  %s\n", str_or(e, "name", "?"),
		       str_or(e, "kind", "?"), int_of(e, "records"), str_or(e, "imported_at", "-"),
		       str_or(e, "url", "-"));
	}
	printf("\n");
	print_cache_line(lc);
	json_decref(lc);
	json_decref(info);
	return BH_EXIT_OK;
}

static int db_prune_cache(struct db_args *a, struct bh_cli *cli)
{
	struct bh_layer_cache_prune_opts o = { .all = a->all,
					       .set_max = a->set_max,
					       .max_bytes = a->max_size };
	struct bh_layer_cache_prune_stats st;
	struct bh_layer_cache *c;
	struct bh_error *err = NULL;
	char *path, b1[32], b2[32], b3[32];
	int k = open_cache(cli, &c, &path);

	if (k <= 0) {
		if (k == 0) {
			if (a->json)
				cli_print_json(json_pack("{s:s, s:b}", "path", path, "exists", 0),
					       JSON_SORT_KEYS);
			else
				printf("no layer cache at %s: nothing to prune\n", path);
		}
		free(path);
		return k < 0 ? BH_EXIT_ERROR : BH_EXIT_OK;
	}
	free(path);
	k = bh_layer_cache_prune(c, &o, &st, &err);
	bh_layer_cache_close(c);
	if (k < 0)
		return cli_fail(err);
	if (a->json)
		return cli_print_json(json_pack("{s:b, s:I, s:I, s:I, s:I, s:I}", "exists", 1,
						"removed", (json_int_t)st.removed, "removed_bytes",
						(json_int_t)st.removed_bytes, "parts",
						(json_int_t)st.parts, "bytes", (json_int_t)st.bytes,
						"max_bytes", (json_int_t)st.max_bytes),
				      JSON_SORT_KEYS);
	printf("removed %llu parts (%s); the layer cache holds %llu parts (%s), at most %s\n",
	       (unsigned long long)st.removed, bh_human_size(st.removed_bytes, b1, sizeof(b1)),
	       (unsigned long long)st.parts, bh_human_size(st.bytes, b2, sizeof(b2)),
	       bh_human_size(st.max_bytes, b3, sizeof(b3)));
	return BH_EXIT_OK;
}

int cmd_db(int argc, char **argv, struct bh_cli *cli)
{
	struct db_args a = { 0 };
	int r;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc < 2) {
			fputs(db_usage, stderr);
			return BH_EXIT_USAGE;
		}
		return cli_help(db_usage);
	}
	a.sub = argv[1];
	if (strcmp(a.sub, "import") && strcmp(a.sub, "update") && strcmp(a.sub, "info") &&
	    strcmp(a.sub, "prune-cache"))
		return cli_usage_error("db",
				       "unknown subcommand '%s' (import, update, info or "
				       "prune-cache)",
				       a.sub);
	optind = 0;
	r = parse_args(argc - 1, argv + 1, &a);
	if (r < 0)
		return BH_EXIT_OK; /* --help */
	if (r > 0)
		return r;
	if (!strcmp(a.sub, "import"))
		return db_import(&a, cli);
	if (!strcmp(a.sub, "update"))
		return db_update(&a, cli);
	if (!strcmp(a.sub, "prune-cache"))
		return db_prune_cache(&a, cli);
	return db_info(&a, cli);
}
