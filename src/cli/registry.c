/* SPDX-License-Identifier: Apache-2.0 */
/* bulkhead registry: what a registry holds: tags, manifests, digests, referrers;
 * and an audit of a repository's tags (age, signatures, scans). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "bulkhead/registry.h"
#include "bulkhead/trust.h"
#include "bulkhead/vuln.h"
#include "banned.h"

static const char registry_usage[] =
	"usage: bulkhead registry <subcommand> [options] REF\n"
	"\n"
	"Subcommands:\n"
	"  tags REPO            every tag of the repository, one per line\n"
	"  manifest REF         the manifest or index REF names, byte for byte as the\n"
	"                       registry sends it (verified against its digest)\n"
	"  digest REF           the digest of that manifest (HEAD: no body fetched)\n"
	"  referrers REF        the referrers of REF's manifest as an OCI index (the\n"
	"                       referrers API, else the sha256-<hex> tag schema)\n"
	"  audit REPO[:GLOB]    each tag (those GLOB matches): digest, age, who signed\n"
	"                       it (of the --key given), its last recorded scan\n"
	"\n"
	"REF is a registry reference such as registry.example:5000/team/app:1.2,\n"
	"...@sha256:..., or docker://....\n"
	"\n"
	"Options:\n" CLI_IMAGE_USAGE
	"  --artifact-type TYPE referrers: only those of this artifact type\n"
	"  --page-size N        tags, referrers: ask for N per page (default: the\n"
	"                       registry's)\n"
	"  --key FILE           audit: a public key to check signatures with (repeatable)\n"
	"  --max-image-age DAYS audit: older is stale (default 90)\n"
	"  --format FORMAT      audit: table (default) or json\n"
	"  --fail-on LIST       audit: exit 1 when a tag is one of unsigned, stale,\n"
	"                       unscanned, error (comma-separated)\n"
	"\n"
	"See bulkhead-registry(1).\n";

enum { OPT_ARTIFACT_TYPE = 256, OPT_PAGE_SIZE, OPT_KEY, OPT_MAX_AGE, OPT_FORMAT, OPT_FAIL_ON };

/* ---- audit ----------------------------------------------------------------------- */

#define AUDIT_KEYS_MAX 64

enum { GATE_UNSIGNED = 1, GATE_STALE = 2, GATE_UNSCANNED = 4, GATE_ERROR = 8 };

struct audit_args {
	struct bh_strvec keyfiles;
	struct bh_key *keys[AUDIT_KEYS_MAX];
	unsigned max_age;
	bool json;
	unsigned gates;
};

static int parse_gates(const char *list, unsigned *out)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = { { "unsigned", GATE_UNSIGNED },
		      { "stale", GATE_STALE },
		      { "unscanned", GATE_UNSCANNED },
		      { "error", GATE_ERROR } };
	char *copy = bh_strdup(list), *save = NULL;
	int r = 0;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t i = 0;

		while (i < sizeof(names) / sizeof(names[0]) && strcmp(t, names[i].name))
			i++;
		if (i == sizeof(names) / sizeof(names[0]))
			r = -1;
		else
			*out |= names[i].bit;
	}
	free(copy);
	return r;
}

/* The --key file a key id came from. */
static const char *key_file(const struct audit_args *a, const char *id)
{
	for (size_t i = 0; i < a->keyfiles.n; i++)
		if (!strcmp(bh_key_id(a->keys[i]), id))
			return a->keyfiles.v[i];
	return id;
}

/* Which gates a tag fails. */
static unsigned tag_fails(const struct audit_args *a, const struct bh_audit_tag *t)
{
	unsigned f = 0;

	if (t->error)
		return GATE_ERROR | GATE_UNSIGNED | GATE_STALE | GATE_UNSCANNED;
	if (t->sig_checked && !t->nsigned)
		f |= GATE_UNSIGNED;
	if (t->stale)
		f |= GATE_STALE;
	if (!t->scan)
		f |= GATE_UNSCANNED;
	return f;
}

/* "C0 H2 M5 L1 U0" of a recorded summary. */
static void scan_text(const json_t *scan, char *buf, size_t n)
{
	const json_t *by = bh_json_obj(bh_json_obj(scan, "summary"), "bySeverity");
	static const char *const sev[] = { "CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN" };
	size_t off = 0;

	if (!scan) {
		snprintf(buf, n, "not scanned");
		return;
	}
	for (size_t i = 0; i < 5 && off < n; i++)
		off += (size_t)snprintf(buf + off, n - off, "%s%c%lld", i ? " " : "", sev[i][0],
					(long long)json_integer_value(json_object_get(by, sev[i])));
	if (off < n)
		snprintf(buf + off, n - off, " (%.10s)",
			 bh_json_str(scan, "scanned_at") ? bh_json_str(scan, "scanned_at") : "?");
}

static void print_audit_table(const struct audit_args *a, const struct bh_audit_result *r,
			      bool color)
{
	const char *b = cli_color(color, CLI_BOLD), *rs = cli_color(color, CLI_RESET),
		   *red = cli_color(color, CLI_RED);
	bool any_stale = false;

	printf("%s%s%s: %zu tag%s\n", b, r->repository, rs, r->n, r->n == 1 ? "" : "s");
	if (!r->n)
		return;
	printf("%s%-24s %-19s %-10s %6s  %-28s %s%s\n", b, "TAG", "DIGEST", "CREATED", "AGE",
	       "SIGNED BY", "SCAN", rs);
	for (size_t i = 0; i < r->n; i++) {
		const struct bh_audit_tag *t = &r->tags[i];
		struct bh_buf who = BH_BUF_INIT(4096);
		char age[32], scan[128];

		if (t->error) {
			printf("%-24s %serror%s: %s\n", t->tag, red, rs, t->error);
			continue;
		}
		any_stale |= t->stale;
		if (t->age_days >= 0)
			snprintf(age, sizeof(age), "%lldd%s", (long long)t->age_days,
				 t->stale ? "!" : "");
		else
			snprintf(age, sizeof(age), "?");
		if (!t->sig_checked)
			bh_buf_adds(&who, "(no --key)", NULL);
		else if (!t->nsigned)
			bh_buf_adds(&who, "unsigned", NULL);
		for (size_t k = 0; k < t->nsigned; k++)
			bh_buf_addf(&who, NULL, "%s%s", k ? "," : "", key_file(a, t->signed_by[k]));
		scan_text(t->scan, scan, sizeof(scan));
		printf("%-24s %-19.19s %-10.10s %6s  %s%-28s%s %s\n", t->tag, t->digest.str,
		       t->created ? t->created : "?", age, t->sig_checked && !t->nsigned ? red : "",
		       who.data ? who.data : "", t->sig_checked && !t->nsigned ? rs : "", scan);
		bh_buf_release(&who);
	}
	if (any_stale)
		printf("AGE nd!: older than %u days (stale, NIST SP 800-190 4.2.2).\n",
		       a->max_age ? a->max_age : 90);
}

static json_t *audit_json(const struct audit_args *a, const struct bh_audit_result *r)
{
	json_t *tags = json_array();

	for (size_t i = 0; i < r->n; i++) {
		const struct bh_audit_tag *t = &r->tags[i];
		json_t *o = json_pack("{s:s}", "tag", t->tag), *who;

		if (t->error) {
			json_object_set_new(o, "error", json_string(t->error));
			json_array_append_new(tags, o);
			continue;
		}
		json_object_set_new(o, "digest", json_string(t->digest.str));
		json_object_set_new(o, "mediaType", json_string(t->media_type));
		json_object_set_new(o, "created",
				    t->created ? json_string(t->created) : json_null());
		json_object_set_new(o, "ageDays",
				    t->age_days >= 0 ? json_integer(t->age_days) : json_null());
		json_object_set_new(o, "stale", json_boolean(t->stale));
		if (t->sig_checked) {
			who = json_array();
			for (size_t k = 0; k < t->nsigned; k++)
				json_array_append_new(who, json_pack("{s:s, s:s}", "key",
								     key_file(a, t->signed_by[k]),
								     "id", t->signed_by[k]));
			json_object_set_new(o, "signed", json_boolean(t->nsigned > 0));
			json_object_set_new(o, "signedBy", who);
		} else {
			json_object_set_new(o, "signed", json_null());
		}
		json_object_set_new(o, "scan", t->scan ? json_incref(t->scan) : json_null());
		json_array_append_new(tags, o);
	}
	return json_pack("{s:s, s:I, s:o}", "repository", r->repository, "maxImageAge",
			 (json_int_t)(a->max_age ? a->max_age : 90), "tags", tags);
}

static int run_audit(const char *prefix, struct audit_args *a, struct cli_image_opts *io,
		     struct bh_cli *cli)
{
	struct bh_audit_opts ao = { .registry = &io->registry,
				    .platform = io->open.platform,
				    .max_age_days = a->max_age };
	struct bh_audit_result res = { 0 };
	struct bh_error *err = NULL;
	struct bh_store *store = NULL;
	char *db = bh_vuln_store_default_path(cli->db_path);
	unsigned failed = 0;
	int rc = BH_EXIT_OK;

	for (size_t i = 0; i < a->keyfiles.n; i++)
		if (bh_key_load_public(a->keyfiles.v[i], &a->keys[i], &err) < 0)
			goto fail;
	ao.keys = (const struct bh_key *const *)a->keys;
	ao.nkeys = a->keyfiles.n;
	/* no database: nothing was ever scanned here */
	if (access(db, F_OK) == 0 && bh_vuln_store_open(db, false, &store, &err) < 0)
		goto fail;
	ao.store = store;
	if (bh_trust_audit(prefix, &ao, &res, &err) < 0)
		goto fail;
	if (a->json) {
		json_t *doc = audit_json(a, &res);

		json_dumpf(doc, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(doc);
	} else {
		print_audit_table(a, &res, cli->color_stdout);
	}
	for (size_t i = 0; i < res.n; i++)
		failed |= tag_fails(a, &res.tags[i]) & a->gates;
	if (failed)
		rc = BH_EXIT_FINDINGS;
	goto out;
fail:
	rc = cli_fail(err);
out:
	bh_audit_result_release(&res);
	bh_vuln_store_close(store);
	free(db);
	return rc;
}

static int print_manifest(struct bh_registry *r, const struct bh_registry_ref *ref,
			  struct bh_error **err)
{
	struct bh_registry_manifest m;

	if (bh_registry_get_manifest(r, ref, NULL, &m, err) < 0)
		return -1;
	fwrite(m.data, 1, m.len, stdout);
	bh_registry_manifest_release(&m);
	return 0;
}

static int print_digest(struct bh_registry *r, const struct bh_registry_ref *ref,
			struct bh_error **err)
{
	struct bh_registry_manifest m;
	int found = bh_registry_head_manifest(r, ref, &m, NULL, err);

	if (found < 0)
		return -1;
	if (found == 0) {
		char *s = bh_registry_ref_string(ref);

		bh_error_set(err, BH_ERR_NOTFOUND, "%s: no such manifest", s);
		free(s);
		return -1;
	}
	if (!m.digest.str[0]) {
		/* the registry sent no Docker-Content-Digest: fetch and hash */
		bh_registry_manifest_release(&m);
		if (bh_registry_get_manifest(r, ref, NULL, &m, err) < 0)
			return -1;
	}
	printf("%s\n", m.digest.str);
	bh_registry_manifest_release(&m);
	return 0;
}

static int print_referrers(struct bh_registry *r, const struct bh_registry_ref *ref,
			   const char *artifact_type, struct bh_error **err)
{
	struct bh_registry_ref subject;
	json_t *ix = NULL;
	bool api;
	int rc = -1;

	bh_registry_ref_copy(ref, &subject);
	if (!subject.digest.str[0]) {
		struct bh_registry_manifest m;

		if (bh_registry_get_manifest(r, ref, NULL, &m, err) < 0)
			goto out;
		subject.digest = m.digest;
		bh_registry_manifest_release(&m);
	}
	if (bh_registry_referrers(r, &subject, &subject.digest, artifact_type, &ix, &api, err) < 0)
		goto out;
	bh_info("registry: referrers of %s from the %s", subject.digest.str,
		api ? "referrers API" : "tag schema");
	if (json_dumpf(ix, stdout, JSON_INDENT(2)) < 0) {
		bh_error_set(err, BH_ERR_IO, "writing the index");
		goto out;
	}
	putchar('\n');
	rc = 0;
out:
	json_decref(ix);
	bh_registry_ref_release(&subject);
	return rc;
}

int cmd_registry(int argc, char **argv, struct bh_cli *cli)
{
	static const struct option opts[] = {
		CLI_IMAGE_LONGOPTS,
		{ "artifact-type", required_argument, NULL, OPT_ARTIFACT_TYPE },
		{ "page-size", required_argument, NULL, OPT_PAGE_SIZE },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "max-image-age", required_argument, NULL, OPT_MAX_AGE },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_image_opts io = { 0 };
	struct audit_args aa = { .keyfiles = BH_STRVEC_INIT };
	const char *sub, *artifact_type = NULL;
	struct bh_registry_ref ref;
	struct bh_registry *r = NULL;
	struct bh_error *err = NULL;
	char cmd[48];
	uint64_t v;
	int c, rc = -1;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return argc < 2 ? cli_usage_error("registry", "expected a subcommand")
				: cli_help(registry_usage);
	sub = argv[1];
	if (strcmp(sub, "tags") && strcmp(sub, "manifest") && strcmp(sub, "digest") &&
	    strcmp(sub, "referrers") && strcmp(sub, "audit"))
		return cli_usage_error("registry", "unknown subcommand '%s'", sub);
	snprintf(cmd, sizeof(cmd), "registry %s", sub);
	argc--;
	argv++;
	optind = 0;
	while ((c = cli_image_getopt(argc, argv, "h", opts, cmd, &io)) != -1) {
		switch (c) {
		case OPT_ARTIFACT_TYPE: artifact_type = optarg; break;
		case OPT_PAGE_SIZE:
			if (bh_parse_u64(optarg, &v, NULL) < 0 || v < 1 || v > 100000)
				return cli_usage_error(cmd, "--page-size: '%s' is not 1..100000",
						       optarg);
			io.registry.page_size = (unsigned)v;
			break;
		case OPT_KEY:
			if (aa.keyfiles.n >= AUDIT_KEYS_MAX) {
				rc = cli_usage_error(cmd, "at most %d keys", AUDIT_KEYS_MAX);
				goto done;
			}
			bh_strvec_push(&aa.keyfiles, optarg);
			break;
		case OPT_MAX_AGE:
			if (bh_parse_u64(optarg, &v, NULL) < 0 || v < 1 || v > 36500) {
				rc = cli_usage_error(
					cmd, "--max-image-age: '%s' is not 1..36500 days", optarg);
				goto done;
			}
			aa.max_age = (unsigned)v;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "table") && strcmp(optarg, "json")) {
				rc = cli_usage_error(cmd, "--format: '%s' is not table or json",
						     optarg);
				goto done;
			}
			aa.json = !strcmp(optarg, "json");
			break;
		case OPT_FAIL_ON:
			if (parse_gates(optarg, &aa.gates) < 0) {
				rc = cli_usage_error(cmd,
						     "--fail-on: '%s' is not a list of unsigned, "
						     "stale, unscanned, error",
						     optarg);
				goto done;
			}
			break;
		case 'h': rc = cli_help(registry_usage); goto done;
		default: rc = BH_EXIT_USAGE; goto done;
		}
	}
	if (strcmp(sub, "audit") && (aa.keyfiles.n || aa.max_age || aa.json || aa.gates)) {
		rc = cli_usage_error(cmd, "--key, --max-image-age, --format and --fail-on are for "
					  "'registry audit'");
		goto done;
	}
	if (!strcmp(sub, "audit")) {
		if (argc - optind != 1) {
			rc = cli_usage_error(cmd, "expected one REPOSITORY[:GLOB]");
		} else if ((aa.gates & GATE_UNSIGNED) && !aa.keyfiles.n) {
			rc = cli_usage_error(cmd, "--fail-on unsigned needs --key");
		} else {
			rc = run_audit(argv[optind], &aa, &io, cli);
		}
		goto done;
	}
	bh_strvec_release(&aa.keyfiles);
	if (argc - optind != 1)
		return cli_usage_error(cmd, "expected one REF");
	if (bh_registry_ref_parse(argv[optind], BH_REF_NORMALIZE, &ref, &err) < 0) {
		bh_error_prefix(&err, "'%s'", argv[optind]);
		return cli_fail(err);
	}
	if (bh_registry_new(&io.registry, &r, &err) < 0)
		goto out;
	if (!strcmp(sub, "tags")) {
		char **tags = NULL;
		size_t n = 0;

		if (bh_registry_tags(r, &ref, &tags, &n, &err) < 0)
			goto out;
		for (size_t i = 0; i < n; i++)
			printf("%s\n", tags[i]);
		bh_strv_free(tags);
		rc = 0;
	} else if (!strcmp(sub, "manifest")) {
		rc = print_manifest(r, &ref, &err);
	} else if (!strcmp(sub, "digest")) {
		rc = print_digest(r, &ref, &err);
	} else {
		rc = print_referrers(r, &ref, artifact_type, &err);
	}
out:
	bh_registry_free(r);
	bh_registry_ref_release(&ref);
	return rc < 0 ? cli_fail(err) : BH_EXIT_OK;
done:
	for (size_t i = 0; i < AUDIT_KEYS_MAX; i++)
		bh_key_free(aa.keys[i]);
	bh_strvec_release(&aa.keyfiles);
	return rc;
}
