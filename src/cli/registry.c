/* SPDX-License-Identifier: Apache-2.0 */
/* bulkhead registry: what a registry holds: tags, manifests, digests, referrers. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "bulkhead/registry.h"
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
	"\n"
	"REF is a registry reference such as registry.example:5000/team/app:1.2,\n"
	"...@sha256:..., or docker://....\n"
	"\n"
	"Options:\n" CLI_IMAGE_USAGE
	"  --artifact-type TYPE referrers: only those of this artifact type\n"
	"  --page-size N        tags, referrers: ask for N per page (default: the\n"
	"                       registry's)\n"
	"\n"
	"See bulkhead-registry(1).\n";

enum { OPT_ARTIFACT_TYPE = 256, OPT_PAGE_SIZE };

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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_image_opts io = { 0 };
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
	    strcmp(sub, "referrers"))
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
		case 'h': return cli_help(registry_usage);
		default: return BH_EXIT_USAGE;
		}
	}
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
}
