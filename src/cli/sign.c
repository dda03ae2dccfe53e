/* SPDX-License-Identifier: Apache-2.0 */
/* bulkhead sign: a cosign signature of an image's manifest digest, beside the image. */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/trust.h"
#include "cli.h"
#include "banned.h"

static const char sign_usage[] =
	"usage: bulkhead sign --key P.key [options] IMAGE\n"
	"\n"
	"Sign IMAGE's manifest digest as cosign does: a simple-signing payload\n"
	"(docker-reference, docker-manifest-digest) signed with ECDSA P-256, added as\n"
	"a layer of the signature manifest at the tag sha256-<hex>.sig beside the\n"
	"image; signatures already there (other signers') are kept. IMAGE is an OCI\n"
	"layout (oci:DIR[:REF]) or a registry reference (registry.example:5000/team/\n"
	"app:1.2, ...@sha256:..., docker://...): the digest the reference resolves to\n"
	"is signed, the signature pushed to the same repository.\n"
	"\n"
	"Options:\n"
	"  --key FILE             the private key (cosign's P.key, or PKCS#8 / SEC 1 PEM)\n"
	"  --password-file FILE   the key's passphrase (else $BULKHEAD_PASSWORD,\n"
	"                         $COSIGN_PASSWORD or the terminal)\n"
	"  --identity REF         the docker-reference to sign (default: a registry\n"
	"                         image's repository, a layout's reference name)\n"
	"  -a, --annotation K=V   add K=V to the payload's optional part (repeatable)\n"
	"  --new-bundle-format    also attach a Sigstore bundle v0.3 (DSSE, in-toto\n"
	"                         predicate https://sigstore.dev/cosign/sign/v1) as an\n"
	"                         OCI 1.1 referrer, as cosign --new-bundle-format does\n"
	"  --bundle FILE          with --new-bundle-format: also write the bundle to "
	"FILE\n" CLI_IMAGE_USAGE "  -h, --help             show this help\n"
	"\n"
	"Exit codes: 0 signed, 2 usage error, 3 error.\n";

enum { OPT_KEY = 0x100, OPT_PASSFILE, OPT_IDENTITY, OPT_NEWBUNDLE, OPT_BUNDLE };

int cmd_sign(int argc, char **argv, struct bh_cli *cli)
{
	static const struct option opts[] = {
		CLI_IMAGE_LONGOPTS,
		{ "key", required_argument, NULL, OPT_KEY },
		{ "password-file", required_argument, NULL, OPT_PASSFILE },
		{ "identity", required_argument, NULL, OPT_IDENTITY },
		{ "annotation", required_argument, NULL, 'a' },
		{ "new-bundle-format", no_argument, NULL, OPT_NEWBUNDLE },
		{ "bundle", required_argument, NULL, OPT_BUNDLE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_image_opts io = { 0 };
	struct bh_sign_opts so = { 0 };
	struct bh_sign_result res = { 0 };
	struct bh_error *err = NULL;
	struct bh_key *k = NULL;
	const char *keyfile = NULL, *passfile = NULL, *bundle_out = NULL;
	json_t *ann = json_object();
	int c, rc = BH_EXIT_USAGE;

	(void)cli;
	optind = 0;
	while ((c = cli_image_getopt(argc, argv, "a:h", opts, "sign", &io)) != -1) {
		switch (c) {
		case OPT_KEY: keyfile = optarg; break;
		case OPT_PASSFILE: passfile = optarg; break;
		case OPT_IDENTITY: so.identity = optarg; break;
		case OPT_NEWBUNDLE: so.bundle = true; break;
		case OPT_BUNDLE: bundle_out = optarg; break;
		case 'a': {
			const char *eq = strchr(optarg, '=');
			char *key;

			if (!eq || eq == optarg) {
				cli_usage_error("sign", "--annotation: '%s' is not KEY=VALUE",
						optarg);
				goto out;
			}
			key = bh_strndup(optarg, (size_t)(eq - optarg));
			json_object_set_new(ann, key, json_string(eq + 1));
			free(key);
			break;
		}
		case 'h': rc = cli_help(sign_usage); goto out;
		default: goto out;
		}
	}
	if (!keyfile) {
		cli_usage_error("sign", "--key FILE is required");
		goto out;
	}
	if (bundle_out && !so.bundle) {
		cli_usage_error("sign", "--bundle FILE needs --new-bundle-format");
		goto out;
	}
	if (argc - optind != 1) {
		cli_usage_error("sign",
				argc - optind < 1 ? "expected an IMAGE" : "expected one IMAGE");
		goto out;
	}
	so.annotations = ann;
	if (cli_load_private_key(keyfile, passfile, &k, &err) < 0 ||
	    bh_sign_image(argv[optind], &io.open, k, &so, &res, &err) < 0) {
		rc = cli_fail(err);
		goto out;
	}
	if (bundle_out &&
	    bh_write_file_atomic(bundle_out, res.bundle, res.bundle_len, 0644, &err) < 0) {
		rc = cli_fail(err);
		goto out;
	}
	if (res.already)
		printf("%s: already signed with this key in %s (%zu signature%s)\n", res.digest.str,
		       res.tag, res.nlayers, res.nlayers == 1 ? "" : "s");
	else
		printf("%s: signed; %s is %s (%zu signature%s)\n", res.digest.str, res.tag,
		       res.manifest.str, res.nlayers, res.nlayers == 1 ? "" : "s");
	if (so.bundle)
		printf("%s: Sigstore bundle attached as referrer %s\n", res.digest.str,
		       res.referrer.str);
	rc = BH_EXIT_OK;
out:
	bh_sign_result_release(&res);
	bh_key_free(k);
	json_decref(ann);
	return rc;
}
