/* SPDX-License-Identifier: Apache-2.0 */
/* bulkhead verify: is IMAGE's manifest digest signed (or attested) by these keys? */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/trust.h"
#include "bulkhead/vuln.h"
#include "cli.h"
#include "banned.h"

#define MAX_KEYS 64

static const char verify_usage[] =
	"usage: bulkhead verify --key P.pub [--key ...] [options] IMAGE\n"
	"\n"
	"Verify IMAGE by its manifest digest: every signature in cosign's\n"
	"sha256-<hex>.sig beside it, and every Sigstore bundle attached to it (an OCI\n"
	"1.1 referrer, the sha256-<hex> tag, or --bundle FILE), is checked against the\n"
	"keys. A payload for another digest (a tag moved since it was signed), or for\n"
	"another docker-reference with --identity, does not verify. Each signature is\n"
	"listed with the reason it does not verify. Offline: Rekor entries and\n"
	"certificates in bundles are not checked, keys are.\n"
	"\n"
	"IMAGE is an OCI layout (oci:DIR[:REF], signatures beside the image) or a\n"
	"registry reference (registry.example:5000/team/app:1.2, ...@sha256:...,\n"
	"docker://...; signatures are tags and referrers of its repository).\n"
	"A registry image's verified result is cached by digest (see bulkhead-verify(1)):\n"
	"a reference by digest is then answered without the network, a tag with one\n"
	"HEAD; only \"verified: yes\" is kept, for --cache-ttl seconds.\n"
	"\n"
	"Options:\n"
	"  --key FILE             a public key (PEM; also the public half of an\n"
	"                         unencrypted private key); repeat for several\n"
	"  --min-signatures N     valid signatures needed, by N distinct keys (default 1)\n"
	"  --identity REF         require this docker-reference in the payload\n"
	"  --attestation          check attestations (sha256-<hex>.att, DSSE bundles)\n"
	"  --type TYPE            with --attestation: sbom (CycloneDX), vuln, or a\n"
	"                         predicate type URI\n"
	"  --bundle FILE          also check this Sigstore bundle (repeatable)\n"
	"  --no-cache             registry images: check the registry, and keep nothing\n"
	"  --cache-ttl SECONDS    how long a verified result is served from the cache\n"
	"                         (default 300; 0 keeps nothing)\n" CLI_IMAGE_USAGE
	"  -h, --help             show this help\n"
	"\n"
	"Exit codes: 0 verified, 1 not verified (reasons on stdout), 2 usage error,\n"
	"3 error (no such image, malformed key, a registry that cannot be reached).\n";

enum {
	OPT_KEY = 0x100,
	OPT_MIN,
	OPT_IDENTITY,
	OPT_ATT,
	OPT_TYPE,
	OPT_BUNDLE,
	OPT_NOCACHE,
	OPT_TTL
};

const char *cli_predicate_type(const char *type)
{
	if (!strcmp(type, "sbom") || !strcmp(type, "cyclonedx"))
		return BH_PREDICATE_CYCLONEDX;
	if (!strcmp(type, "vuln"))
		return BH_PREDICATE_VULN;
	if (bh_str_has_prefix(type, "https://") || bh_str_has_prefix(type, "http://"))
		return type;
	return NULL;
}

static void print_result(const struct bh_verify_result *r, const struct bh_verify_opts *o,
			 const char *image, struct bh_cli *cli)
{
	const char *g = cli_color(cli->color_stdout, CLI_GREEN),
		   *red = cli_color(cli->color_stdout, CLI_RED),
		   *z = cli_color(cli->color_stdout, CLI_RESET);
	unsigned need = o->min_signatures ? o->min_signatures : 1;

	printf("%s %s%s%s\n", r->digest.str, image, r->image_name ? " " : "",
	       r->image_name ? r->image_name : "");
	if (!r->nsigs)
		printf("  no %s found (no %s-%s%s, no Sigstore bundle)\n",
		       o->attestation ? "attestations" : "signatures",
		       r->digest.algo == BH_HASH_SHA512 ? "sha512" : "sha256",
		       bh_digest_hex(&r->digest), o->attestation ? ".att" : ".sig");
	for (size_t i = 0; i < r->nsigs; i++) {
		const struct bh_verify_sig *s = &r->sigs[i];

		if (s->ok)
			printf("  %s: %sverified%s by key %s", s->where, g, z, s->key_id);
		else
			printf("  %s: %snot verified%s: %s", s->where, red, z,
			       s->reason ? s->reason : "?");
		if (s->docker_reference)
			printf(" (docker-reference %s)",
			       *s->docker_reference ? s->docker_reference : "\"\"");
		if (s->predicate_type)
			printf(" (predicate %s)", s->predicate_type);
		putchar('\n');
	}
	if (r->cached) {
		char when[BH_TIME_MAX];

		printf("  (from the verification cache: checked %s; --no-cache checks again)\n",
		       bh_time_short(r->checked_at, when));
	}
	printf("verified: %s%s%s (%zu of %zu key%s, %u needed)\n", r->verified ? g : red,
	       r->verified ? "yes" : "no", z, r->nvalid, o->nkeys, o->nkeys == 1 ? "" : "s", need);
}

/* The cache beside the database: DIR-of-db/verify-cache. */
static char *cache_dir(struct bh_cli *cli)
{
	char *db = bh_vuln_store_default_path(cli->db_path), *slash = strrchr(db, '/'), *d;

	if (!slash)
		d = bh_strdup("verify-cache");
	else
		d = bh_asprintf("%.*s/verify-cache", (int)(slash - db), db);
	free(db);
	return d;
}

int cmd_verify(int argc, char **argv, struct bh_cli *cli)
{
	static const struct option opts[] = {
		CLI_IMAGE_LONGOPTS,
		{ "key", required_argument, NULL, OPT_KEY },
		{ "min-signatures", required_argument, NULL, OPT_MIN },
		{ "identity", required_argument, NULL, OPT_IDENTITY },
		{ "attestation", no_argument, NULL, OPT_ATT },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "bundle", required_argument, NULL, OPT_BUNDLE },
		{ "no-cache", no_argument, NULL, OPT_NOCACHE },
		{ "cache-ttl", required_argument, NULL, OPT_TTL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_image_opts io = { 0 };
	struct bh_verify_opts vo = { 0 };
	struct bh_verify_result res = { 0 };
	struct bh_strvec keyfiles = BH_STRVEC_INIT, bundles = BH_STRVEC_INIT;
	struct bh_key *keys[MAX_KEYS] = { 0 };
	struct bh_error *err = NULL;
	const char *type = NULL;
	char *cache = NULL;
	bool no_cache = false;
	uint64_t v;
	int c, rc = BH_EXIT_USAGE;

	optind = 0;
	while ((c = cli_image_getopt(argc, argv, "h", opts, "verify", &io)) != -1) {
		switch (c) {
		case OPT_KEY: bh_strvec_push(&keyfiles, optarg); break;
		case OPT_MIN:
			if (bh_parse_u64(optarg, &v, NULL) < 0 || v == 0 || v > MAX_KEYS) {
				cli_usage_error("verify", "--min-signatures: '%s' is not 1..%d",
						optarg, MAX_KEYS);
				goto out;
			}
			vo.min_signatures = (unsigned)v;
			break;
		case OPT_IDENTITY: vo.identity = optarg; break;
		case OPT_ATT: vo.attestation = true; break;
		case OPT_TYPE: type = optarg; break;
		case OPT_BUNDLE: bh_strvec_push(&bundles, optarg); break;
		case OPT_NOCACHE: no_cache = true; break;
		case OPT_TTL:
			if (bh_parse_u64(optarg, &v, NULL) < 0 || v > 7 * 24 * 3600) {
				cli_usage_error("verify",
						"--cache-ttl: '%s' is not 0..604800 seconds",
						optarg);
				goto out;
			}
			vo.cache_ttl = (unsigned)v;
			if (v == 0)
				no_cache = true;
			break;
		case 'h': rc = cli_help(verify_usage); goto out;
		default: goto out;
		}
	}
	if (!keyfiles.n) {
		cli_usage_error("verify", "--key FILE is required");
		goto out;
	}
	if (keyfiles.n > MAX_KEYS) {
		cli_usage_error("verify", "at most %d keys", MAX_KEYS);
		goto out;
	}
	if (type && !vo.attestation) {
		cli_usage_error("verify", "--type needs --attestation");
		goto out;
	}
	if (type && !(vo.predicate_type = cli_predicate_type(type))) {
		cli_usage_error("verify", "--type: '%s' is not sbom, vuln or a predicate type URI",
				type);
		goto out;
	}
	if (vo.min_signatures > keyfiles.n) {
		cli_usage_error("verify", "--min-signatures %u needs as many keys (%zu given)",
				vo.min_signatures, keyfiles.n);
		goto out;
	}
	if (argc - optind != 1) {
		cli_usage_error("verify",
				argc - optind < 1 ? "expected an IMAGE" : "expected one IMAGE");
		goto out;
	}
	for (size_t i = 0; i < keyfiles.n; i++) {
		if (bh_key_load_public(keyfiles.v[i], &keys[i], &err) < 0) {
			rc = cli_fail(err);
			goto out;
		}
	}
	vo.keys = (const struct bh_key *const *)keys;
	vo.nkeys = keyfiles.n;
	vo.bundle_paths = bundles.v;
	if (!no_cache)
		vo.cache_dir = cache = cache_dir(cli);
	if (bh_verify_image(argv[optind], &io.open, &vo, &res, &err) < 0) {
		rc = cli_fail(err);
		goto out;
	}
	print_result(&res, &vo, argv[optind], cli);
	rc = res.verified ? BH_EXIT_OK : BH_EXIT_FINDINGS;
out:
	bh_verify_result_release(&res);
	for (size_t i = 0; i < MAX_KEYS; i++)
		bh_key_free(keys[i]);
	bh_strvec_release(&keyfiles);
	bh_strvec_release(&bundles);
	free(cache);
	return rc;
}
