/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead attest quote | verify: a TPM2 quote of the measured-launch PCRs
 * signed by the attestation key, and its verification in software against
 * the event log (src/tpm).
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/tpm.h"
#include "cli.h"
#include "banned.h"

static const char quote_usage[] =
	"usage: bulkhead attest quote --nonce HEX [--pcrs 16,...] [--out DIR] [--tcti TCTI]\n"
	"                             [--ak-recreate]\n"
	"\n"
	"Quote the sha256 PCRs with the TPM's attestation key (an ECC P-256\n"
	"restricted signing key made on first use and persisted at 0x81010018; a\n"
	"key found there that is not one is refused).\n"
	"Writes, in tpm2-tools' formats, DIR/quote.msg (TPMS_ATTEST), DIR/quote.sig\n"
	"(TPMT_SIGNATURE), DIR/pcrs.out (the PCR values), DIR/ak.pem and DIR/ak.pub\n"
	"(TPM2B_PUBLIC): tpm2_checkquote -u ak.pem -m quote.msg -s quote.sig -f\n"
	"pcrs.out -g sha256 -q HEX accepts them.\n"
	"\n"
	"Options:\n"
	"  --nonce HEX     the verifier's nonce, 1 to 64 bytes in hex\n"
	"  --pcrs LIST     the PCRs to quote (default 16)\n"
	"  --out DIR       where the files go (default .)\n"
	"  --tcti TCTI     the TPM (default $BULKHEAD_TPM_TCTI, else\n"
	"                  device:/dev/tpmrm0; e.g. swtpm:host=127.0.0.1,port=2321)\n"
	"  --ak-recreate   a key at 0x81010018 that is not an attestation key of\n"
	"                  that template is evicted and ours made in its place\n"
	"  -h, --help      show this help\n"
	"\n"
	"Exit codes: 0 quoted, 2 usage error, 3 error.\n";

static const char verify_usage[] =
	"usage: bulkhead attest verify --log LOG --quote Q --ak AK --nonce HEX [options]\n"
	"       bulkhead attest verify --log LOG --quote Q --ak-cert AK.crt --host-key KEY.pem\n"
	"                              [--ek-cert EK.crt] --nonce HEX [options]\n"
	"\n"
	"Verify a TPM2 quote (ours or tpm2_quote's) in software: the signature is\n"
	"AK's, the nonce is HEX, every log entry hashes to its digest and is in\n"
	"order, and replaying the log yields the quoted PCR digest. Lists what was\n"
	"launched.\n"
	"\n"
	"Options:\n"
	"  --log FILE        the measured-launch event log (JSON lines)\n"
	"  --quote FILE      the TPMS_ATTEST (quote.msg)\n"
	"  --sig FILE        the TPMT_SIGNATURE (default: the quote's name with .sig\n"
	"                    for .msg)\n"
	"  --ak FILE         the attestation key: PEM or TPM2B_PUBLIC\n"
	"  --ak-cert FILE    instead of --ak: a container vTPM's AK certificate\n"
	"                    (/run/vtpm/ak.crt), verified only when signed by the\n"
	"                    host key (--host-key, attest vtpm-ca's host-key.pem);\n"
	"                    its key is the attestation key\n"
	"  --host-key FILE   the host key that certifies vTPMs (with --ak-cert)\n"
	"  --ek-cert FILE    with --ak-cert: the vTPM's EK certificate, which must\n"
	"                    be the host key's and certify the EK the AK's names\n"
	"  --nonce HEX       the nonce the quote must carry\n"
	"  --pcrs LIST       PCRs the quote must cover, those the launches are\n"
	"                    measured into (default 16; a quote without them is not\n"
	"                    verified, or an empty log would hide every launch)\n"
	"  --pcrs-file FILE  tpm2-tools' PCR file: values of quoted PCRs the log does\n"
	"                    not extend (else their reset value, zeros)\n"
	"  --format text|json\n"
	"  -h, --help        show this help\n"
	"\n"
	"Exit codes: 0 verified, 1 not verified, 2 usage error, 3 error.\n";

enum {
	OPT_NONCE = 0x100,
	OPT_PCRS,
	OPT_OUT,
	OPT_TCTI,
	OPT_LOG,
	OPT_QUOTE,
	OPT_SIG,
	OPT_AK,
	OPT_PCRSFILE,
	OPT_FORMAT,
	OPT_AKRECREATE,
	OPT_AKCERT,
	OPT_HOSTKEY,
	OPT_EKCERT
};

static int parse_nonce(const char *cmd, const char *s, uint8_t *out, size_t *n)
{
	ssize_t k = s ? bh_hex_decode(s, strlen(s), BH_HEX_ANY_CASE, out, BH_TPM_NONCE_MAX) : -1;

	if (!s)
		return cli_usage_error(cmd, "--nonce HEX is required");
	if (k <= 0)
		return cli_usage_error(cmd, "--nonce: '%.80s' is not 1 to %d bytes in hex", s,
				       BH_TPM_NONCE_MAX);
	*n = (size_t)k;
	return 0;
}

static int attest_quote(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nonce", required_argument, NULL, OPT_NONCE },
		{ "pcrs", required_argument, NULL, OPT_PCRS },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "tcti", required_argument, NULL, OPT_TCTI },
		{ "ak-recreate", no_argument, NULL, OPT_AKRECREATE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *nonce = NULL, *pcrs = "16", *out = ".", *tcti = NULL;
	uint8_t n[BH_TPM_NONCE_MAX];
	struct bh_error *err = NULL;
	uint32_t mask;
	unsigned flags = 0;
	size_t nlen;
	int c;

	optind = 0;
	while ((c = cli_getopt(argc, argv, "h", opts, "attest quote")) != -1) {
		switch (c) {
		case OPT_NONCE: nonce = optarg; break;
		case OPT_PCRS: pcrs = optarg; break;
		case OPT_OUT: out = optarg; break;
		case OPT_TCTI: tcti = optarg; break;
		case OPT_AKRECREATE: flags |= BH_TPM_AK_RECREATE; break;
		case 'h': return cli_help(quote_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("attest quote", "unexpected argument '%s'", argv[optind]);
	if (parse_nonce("attest quote", nonce, n, &nlen))
		return BH_EXIT_USAGE;
	if (bh_tpm_pcr_list(pcrs, &mask, &err) < 0) {
		bh_error_free(err);
		return cli_usage_error("attest quote", "--pcrs: '%.80s' is not a list of PCRs 0-23",
				       pcrs);
	}
	tcti = bh_tpm_tcti(tcti);
	if (bh_tpm_attest_quote_ex(tcti, n, nlen, mask, flags, out, &err) < 0)
		return cli_fail(err);
	printf("quoted PCRs %s (sha256) with the attestation key at 0x%x: %s/quote.msg, "
	       "quote.sig, pcrs.out, ak.pem, ak.pub\n",
	       pcrs, BH_TPM_AK_HANDLE, out);
	return BH_EXIT_OK;
}

static void print_text(const json_t *rep)
{
	bool ok = json_is_true(json_object_get(rep, "verified"));
	json_t *l, *e;
	size_t i;

	printf("%s", ok ? "verified" : "NOT verified");
	if (!ok)
		printf(": %s", bh_json_str(rep, "reason"));
	printf("\nnonce %s, attestation key %s\n", bh_json_str(rep, "nonce"),
	       bh_json_str(rep, "ak"));
	l = json_object_get(rep, "ak_cert");
	if (l)
		printf("AK certificate: %s, issued by %s, for EK %s%s\n", bh_json_str(l, "subject"),
		       bh_json_str(l, "issuer"), bh_json_str(l, "ek"),
		       json_is_true(json_object_get(l, "verified")) ? "" : " (NOT verified)");
	l = json_object_get(rep, "launched");
	printf("launched (%zu):\n", json_array_size(l));
	json_array_foreach (l, i, e) {
		const char *img = bh_json_str(e, "image"),
			   *m = bh_json_str(e, "image_manifest_digest");

		printf("  #%lld pcr %lld  %s  config %s%s%s%s%s\n",
		       (long long)json_integer_value(json_object_get(e, "recnum")),
		       (long long)json_integer_value(json_object_get(e, "pcr")),
		       bh_json_str(e, "container") ? bh_json_str(e, "container") : "?",
		       bh_json_str(e, "config_digest") ? bh_json_str(e, "config_digest") : "?",
		       img ? "  image " : "", img ? img : "", m ? "  manifest " : "", m ? m : "");
	}
}

static int attest_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log", required_argument, NULL, OPT_LOG },
		{ "quote", required_argument, NULL, OPT_QUOTE },
		{ "sig", required_argument, NULL, OPT_SIG },
		{ "ak", required_argument, NULL, OPT_AK },
		{ "ak-cert", required_argument, NULL, OPT_AKCERT },
		{ "host-key", required_argument, NULL, OPT_HOSTKEY },
		{ "ek-cert", required_argument, NULL, OPT_EKCERT },
		{ "nonce", required_argument, NULL, OPT_NONCE },
		{ "pcrs-file", required_argument, NULL, OPT_PCRSFILE },
		{ "pcrs", required_argument, NULL, OPT_PCRS },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_tpm_verify_in in = { 0 };
	const char *nonce = NULL, *format = "text", *pcrs = NULL;
	uint8_t n[BH_TPM_NONCE_MAX];
	struct bh_error *err = NULL;
	char *sig = NULL;
	json_t *rep = NULL;
	bool ok;
	int c, rc;

	optind = 0;
	while ((c = cli_getopt(argc, argv, "h", opts, "attest verify")) != -1) {
		switch (c) {
		case OPT_LOG: in.log = optarg; break;
		case OPT_QUOTE: in.quote = optarg; break;
		case OPT_SIG: in.sig = optarg; break;
		case OPT_AK: in.ak = optarg; break;
		case OPT_AKCERT: in.ak_cert = optarg; break;
		case OPT_HOSTKEY: in.host_key = optarg; break;
		case OPT_EKCERT: in.ek_cert = optarg; break;
		case OPT_NONCE: nonce = optarg; break;
		case OPT_PCRSFILE: in.pcrs = optarg; break;
		case OPT_PCRS: pcrs = optarg; break;
		case OPT_FORMAT: format = optarg; break;
		case 'h': return cli_help(verify_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("attest verify", "unexpected argument '%s'", argv[optind]);
	if (!in.log || !in.quote || !in.ak == !in.ak_cert)
		return cli_usage_error("attest verify",
				       "--log, --quote and one of --ak, --ak-cert are required");
	if (!in.ak_cert != !in.host_key)
		return cli_usage_error("attest verify", "--ak-cert and --host-key go together");
	if (in.ek_cert && !in.ak_cert)
		return cli_usage_error("attest verify", "--ek-cert needs --ak-cert");
	if (strcmp(format, "text") && strcmp(format, "json"))
		return cli_usage_error("attest verify", "--format: '%.40s' is not text or json",
				       format);
	if (parse_nonce("attest verify", nonce, n, &in.nonce_len))
		return BH_EXIT_USAGE;
	if (pcrs && bh_tpm_pcr_list(pcrs, &in.required, &err) < 0) {
		bh_error_free(err);
		return cli_usage_error("attest verify",
				       "--pcrs: '%.80s' is not a list of PCRs 0-23", pcrs);
	}
	in.nonce = n;
	if (!in.sig) {
		size_t l = strlen(in.quote);

		if (l < 4 || strcmp(in.quote + l - 4, ".msg"))
			return cli_usage_error("attest verify",
					       "--sig FILE is required when the quote's name does "
					       "not end in .msg");
		sig = bh_asprintf("%.*s.sig", (int)(l - 4), in.quote);
		in.sig = sig;
	}
	if (bh_tpm_verify(&in, &rep, &err) < 0) {
		free(sig);
		return cli_fail(err);
	}
	free(sig);
	ok = json_is_true(json_object_get(rep, "verified"));
	if (!strcmp(format, "json")) {
		rc = cli_print_json(rep, JSON_SORT_KEYS); /* takes rep */
	} else {
		print_text(rep);
		json_decref(rep);
		rc = BH_EXIT_OK;
	}
	return rc == BH_EXIT_OK && !ok ? BH_EXIT_FINDINGS : rc;
}

int cli_attest_tpm(int argc, char **argv)
{
	if (!strcmp(argv[1], "quote"))
		return attest_quote(argc - 1, argv + 1);
	return attest_verify(argc - 1, argv + 1);
}
