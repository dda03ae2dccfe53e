/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead attest: our CycloneDX SBOM or vulnerability scan of an image as an
 * in-toto statement in a DSSE envelope, in cosign's .att layout.
 *
 * The predicate is made by the scan pipeline (bh_attest_predicate:
 * bh_scan_image and the report writers), as `bulkhead sbom` and `bulkhead
 * scan` make theirs.
 */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulkhead/report.h"
#include "bulkhead/scan.h"
#include "bulkhead/trust.h"
#include "bulkhead/version.h"
#include "cli.h"
#include "banned.h"

static const char attest_usage[] =
	"usage: bulkhead attest --key P.key --type sbom|vuln [options] IMAGE\n"
	"       bulkhead attest quote --nonce HEX [--pcrs 16,...] [--out DIR]\n"
	"       bulkhead attest verify --log LOG --quote Q --ak AK --nonce HEX\n"
	"       bulkhead attest vtpm-ca [--out DIR]\n"
	"       bulkhead attest vtpm-verify --ek-cert CERT --host-key KEY.pem [--ek EK.pem]\n"
	"\n"
	"(quote and verify: a TPM2 quote of the measured-launch PCRs and its\n"
	"verification against the event log; see 'bulkhead attest quote --help'.)\n"
	"\n"
	"Attach a signed attestation to IMAGE's manifest digest, as cosign attest\n"
	"does: an in-toto statement (v0.1) whose subject is the digest, in a DSSE\n"
	"envelope signed with ECDSA P-256, added as a layer of the manifest at the\n"
	"tag sha256-<hex>.att beside the image. IMAGE is an OCI layout\n"
	"(oci:DIR[:REF]) or a registry reference: its tag is resolved to a digest\n"
	"once, and that digest is both scanned and attested.\n"
	"\n"
	"  --type sbom   predicate https://cyclonedx.org/bom: the CycloneDX SBOM of\n"
	"                the image (as 'bulkhead sbom --format cyclonedx')\n"
	"  --type vuln   predicate https://cosign.sigstore.dev/attestation/vuln/v1:\n"
	"                a vulnerability scan against the advisory database, the\n"
	"                result bulkhead's JSON report (as 'bulkhead scan --format json\n"
	"                --scanners vuln')\n"
	"\n"
	"Options:\n"
	"  --key FILE             the private key\n"
	"  --password-file FILE   the key's passphrase (else $BULKHEAD_PASSWORD,\n"
	"                         $COSIGN_PASSWORD or the terminal)\n"
	"  --predicate FILE       use this JSON object as the predicate instead\n"
	"  --identity NAME        the statement's subject name (default: the image's\n"
	"                         reference name)\n"
	"  --new-bundle-format    also attach a Sigstore bundle v0.3 (DSSE, in-toto v1)\n"
	"                         as an OCI 1.1 referrer\n" CLI_IMAGE_USAGE
	"  -h, --help             show this help\n"
	"\n"
	"Exit codes: 0 attested, 2 usage error, 3 error.\n";

enum { OPT_KEY = 0x100, OPT_PASSFILE, OPT_TYPE, OPT_PREDICATE, OPT_IDENTITY, OPT_NEWBUNDLE };

/* The SBOM or vuln predicate of IMAGE, by the scan pipeline. */
static int make_predicate(const char *pt, const char *image, const struct cli_image_opts *io,
			  struct bh_cli *cli, json_t **out, struct bh_error **err)
{
	struct bh_scan_opts so = { .threads = io->threads };
	struct bh_image *img = NULL;
	char *dbpath = NULL;
	int r = -1;

	if (!strcmp(pt, BH_PREDICATE_VULN)) {
		dbpath = bh_vuln_store_default_path(cli->db_path);
		if (access(dbpath, F_OK) < 0) {
			bh_error_set(err, BH_ERR_NOTFOUND,
				     "no advisory database at %s; run 'bulkhead db import' or "
				     "'bulkhead db update' first",
				     dbpath);
			goto out;
		}
		so.store_path = dbpath;
	}
	if (bh_image_open(image, &io->open, &img, err) < 0)
		goto out;
	r = bh_attest_predicate(pt, img, &so, out, err);
out:
	bh_image_free(img);
	free(dbpath);
	return r;
}

int cmd_attest(int argc, char **argv, struct bh_cli *cli)
{
	static const struct option opts[] = {
		CLI_IMAGE_LONGOPTS,
		{ "key", required_argument, NULL, OPT_KEY },
		{ "password-file", required_argument, NULL, OPT_PASSFILE },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "predicate", required_argument, NULL, OPT_PREDICATE },
		{ "identity", required_argument, NULL, OPT_IDENTITY },
		{ "new-bundle-format", no_argument, NULL, OPT_NEWBUNDLE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_image_opts io = { 0 };
	struct bh_sign_opts so = { 0 };
	struct bh_sign_result res = { 0 };
	struct bh_error *err = NULL;
	struct bh_key *k = NULL;
	const char *keyfile = NULL, *passfile = NULL, *type = NULL, *pt, *predfile = NULL;
	char *image = NULL;
	json_t *pred = NULL;
	int c, rc = BH_EXIT_USAGE;

	/* measured launch with a TPM: src/cli/attest_tpm.c */
	if (argc > 1 && (!strcmp(argv[1], "quote") || !strcmp(argv[1], "verify")))
		return cli_attest_tpm(argc, argv);
	/* the per-container vTPM's EK certificates: src/cli/attest_vtpm.c */
	if (argc > 1 && (!strcmp(argv[1], "vtpm-ca") || !strcmp(argv[1], "vtpm-verify")))
		return cli_attest_vtpm(argc, argv);
	optind = 0;
	while ((c = cli_image_getopt(argc, argv, "h", opts, "attest", &io)) != -1) {
		switch (c) {
		case OPT_KEY: keyfile = optarg; break;
		case OPT_PASSFILE: passfile = optarg; break;
		case OPT_TYPE: type = optarg; break;
		case OPT_PREDICATE: predfile = optarg; break;
		case OPT_IDENTITY: so.identity = optarg; break;
		case OPT_NEWBUNDLE: so.bundle = true; break;
		case 'h': return cli_help(attest_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (!keyfile)
		return cli_usage_error("attest", "--key FILE is required");
	if (!type)
		return cli_usage_error("attest", "--type sbom|vuln is required");
	if (!(pt = cli_predicate_type(type)) || (!predfile && strcmp(type, "sbom") &&
						 strcmp(type, "cyclonedx") && strcmp(type, "vuln")))
		return cli_usage_error("attest",
				       "--type: '%s' is not sbom or vuln (a predicate type URI "
				       "needs --predicate)",
				       type);
	if (argc - optind != 1)
		return cli_usage_error("attest", argc - optind < 1 ? "expected an IMAGE"
								   : "expected one IMAGE");
	setlocale(LC_CTYPE, "C.UTF-8");
	/* the key first: a wrong passphrase should not cost a scan */
	if (cli_load_private_key(keyfile, passfile, &k, &err) < 0)
		goto fail;
	/* one digest for the predicate and the signature, however the tag moves */
	if (bh_trust_pin(argv[optind], &io.open, &image, &err) < 0)
		goto fail;
	if (predfile) {
		struct bh_buf b = BH_BUF_INIT(BH_TRUST_ENVELOPE_MAX);
		int r = bh_read_file(predfile, &b, &err);

		if (r == 0)
			r = bh_json_parse(b.data, b.len, BH_TRUST_ENVELOPE_MAX, predfile, &pred,
					  &err);
		bh_buf_release(&b);
		if (r < 0)
			goto fail;
		if (!json_is_object(pred)) {
			bh_error_set(&err, BH_ERR_INVALID, "%s: the predicate is not a JSON object",
				     predfile);
			goto fail;
		}
	} else if (make_predicate(pt, image, &io, cli, &pred, &err) < 0) {
		goto fail;
	}
	if (bh_attest_image(image, &io.open, k, &so, pt, pred, &res, &err) < 0)
		goto fail;
	printf("%s: attested (%s); %s is %s (%zu attestation%s)\n", res.digest.str, pt, res.tag,
	       res.manifest.str, res.nlayers, res.nlayers == 1 ? "" : "s");
	if (so.bundle)
		printf("%s: Sigstore bundle attached as referrer %s\n", res.digest.str,
		       res.referrer.str);
	rc = BH_EXIT_OK;
	goto out;
fail:
	rc = cli_fail(err);
out:
	bh_sign_result_release(&res);
	free(image);
	json_decref(pred);
	bh_key_free(k);
	return rc;
}
