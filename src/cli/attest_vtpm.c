/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead attest vtpm-ca | vtpm-verify: the host TPM's key that certifies
 * the per-container vTPMs' EKs (its public key and CA certificate), and an EK
 * certificate checked against that key (src/tpm/vtpm*.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/tpm.h"
#include "bulkhead/vtpm.h"
#include "cli.h"
#include "banned.h"

static const char ca_usage[] =
	"usage: bulkhead attest vtpm-ca [--out DIR] [--tcti TCTI]\n"
	"\n"
	"The host TPM's vTPM certifying key (ECC P-256, ECDSA SHA-256, made on first\n"
	"use and persisted at 0x81010019): writes DIR/host-key.pem (its public key)\n"
	"and DIR/host-ca.crt (an X.509 CA certificate it signs for itself), with\n"
	"which 'attest vtpm-verify' or 'openssl verify -CAfile host-ca.crt ek.crt'\n"
	"checks a container's EK certificate.\n"
	"\n"
	"Options:\n"
	"  --out DIR       where the files go (default .)\n"
	"  --tcti TCTI     the host TPM (default $BULKHEAD_TPM_TCTI, else\n"
	"                  device:/dev/tpmrm0)\n"
	"  -h, --help      show this help\n"
	"\n"
	"Exit codes: 0 written, 2 usage error, 3 error.\n";

static const char verify_usage[] =
	"usage: bulkhead attest vtpm-verify --ek-cert CERT --host-key KEY.pem [--ek EK.pem]\n"
	"                                   [--format text|json]\n"
	"\n"
	"Check a container vTPM's EK certificate (PEM or DER; /run/vtpm/ek.crt in\n"
	"the container): signed (ECDSA SHA-256) by the host key, an EK certificate\n"
	"(extended key usage tcg-kp-EKCertificate), and, with --ek, certifying that\n"
	"key (e.g. tpm2_createek -G ecc; tpm2_readpublic -f pem in the container).\n"
	"\n"
	"Exit codes: 0 verified, 1 not verified (another key, an edited\n"
	"certificate, another EK), 2 usage error, 3 unreadable or malformed input.\n";

enum { OPT_OUT = 1000, OPT_TCTI, OPT_CERT, OPT_HOST, OPT_EK, OPT_FORMAT };

static int vtpm_ca(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, OPT_OUT },
		{ "tcti", required_argument, NULL, OPT_TCTI },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = ".", *tcti = NULL;
	struct bh_error *err = NULL;
	int c;

	optind = 0;
	while ((c = cli_getopt(argc, argv, "h", opts, "attest vtpm-ca")) != -1) {
		switch (c) {
		case OPT_OUT: out = optarg; break;
		case OPT_TCTI: tcti = optarg; break;
		case 'h': return cli_help(ca_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("attest vtpm-ca", "unexpected argument '%s'", argv[optind]);
	if (bh_vtpm_host_ca(bh_tpm_tcti(tcti), out, &err) < 0)
		return cli_fail(err);
	printf("%s/host-key.pem\n%s/host-ca.crt\n", out, out);
	return BH_EXIT_OK;
}

static int vtpm_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ek-cert", required_argument, NULL, OPT_CERT },
		{ "host-key", required_argument, NULL, OPT_HOST },
		{ "ek", required_argument, NULL, OPT_EK },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cert = NULL, *host = NULL, *ek = NULL, *format = "text";
	struct bh_error *err = NULL;
	json_t *rep = NULL;
	bool ok;
	int c, rc = BH_EXIT_OK;

	optind = 0;
	while ((c = cli_getopt(argc, argv, "h", opts, "attest vtpm-verify")) != -1) {
		switch (c) {
		case OPT_CERT: cert = optarg; break;
		case OPT_HOST: host = optarg; break;
		case OPT_EK: ek = optarg; break;
		case OPT_FORMAT: format = optarg; break;
		case 'h': return cli_help(verify_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("attest vtpm-verify", "unexpected argument '%s'",
				       argv[optind]);
	if (!cert || !host)
		return cli_usage_error("attest vtpm-verify",
				       "--ek-cert and --host-key are required");
	if (strcmp(format, "text") && strcmp(format, "json"))
		return cli_usage_error("attest vtpm-verify",
				       "--format: '%.40s' is not text or json", format);
	if (bh_vtpm_verify(cert, host, ek, &rep, &err) < 0)
		return cli_fail(err);
	ok = json_is_true(json_object_get(rep, "verified"));
	if (!strcmp(format, "json")) {
		rc = cli_print_json(rep, JSON_SORT_KEYS); /* takes rep */
	} else {
		if (ok)
			printf("verified: %s, issued by %s, EK %s\n", bh_json_str(rep, "subject"),
			       bh_json_str(rep, "issuer"), bh_json_str(rep, "ek"));
		else
			printf("NOT verified: %s (%s)\n", bh_json_str(rep, "reason"),
			       bh_json_str(rep, "subject"));
		json_decref(rep);
	}
	return rc == BH_EXIT_OK && !ok ? BH_EXIT_FINDINGS : rc;
}

int cli_attest_vtpm(int argc, char **argv)
{
	if (!strcmp(argv[1], "vtpm-ca"))
		return vtpm_ca(argc - 1, argv + 1);
	return vtpm_verify(argc - 1, argv + 1);
}
