/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead key generate | public: cosign-compatible key pairs; and the
 * passphrase and key-file helpers that sign and attest share.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "bulkhead/trust.h"
#include "cli.h"
#include "banned.h"

#define PASS_MAX 4096

static const char key_usage[] =
	"usage: bulkhead key generate [--output-key-prefix P] [--password-file FILE] [--force]\n"
	"       bulkhead key public --key P.key [--password-file FILE]\n"
	"\n"
	"generate writes an ECDSA P-256 key pair in cosign's files: P.key, the\n"
	"private key encrypted with a passphrase (scrypt + NaCl secretbox, label\n"
	"'ENCRYPTED COSIGN PRIVATE KEY', mode 0600) and P.pub, the public key (PEM).\n"
	"cosign reads both; bulkhead reads cosign's, and unencrypted PKCS#8 or SEC 1\n"
	"keys from openssl. public prints the public key of a private key.\n"
	"\n"
	"The passphrase comes from $BULKHEAD_PASSWORD, else $COSIGN_PASSWORD (set and\n"
	"empty is an empty passphrase), else --password-file, else the terminal\n"
	"(asked twice for generate).\n"
	"\n"
	"Options:\n"
	"  --output-key-prefix P  file names P.key and P.pub (default cosign)\n"
	"  --password-file FILE   read the passphrase from FILE (one trailing newline\n"
	"                         is dropped)\n"
	"  --force                replace existing P.key and P.pub\n"
	"  --key FILE             (public) the private key\n"
	"  -h, --help             show this help\n"
	"\n"
	"Exit codes: 0 done, 2 usage error, 3 error (files exist, wrong passphrase,\n"
	"malformed key).\n";

/* One line from the terminal on fd 0 without echo; the newline dropped. */
static int read_tty(const char *prompt, struct bh_buf *out, struct bh_error **err)
{
	struct termios old, noecho;
	char c;
	int r = 0;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(0, &old) < 0)
		return bh_error_sys(err, errno, "reading the terminal");
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	noecho.c_lflag |= ECHONL;
	if (tcsetattr(0, TCSAFLUSH, &noecho) < 0)
		return bh_error_sys(err, errno, "reading the terminal");
	for (;;) {
		ssize_t n = read(0, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = bh_error_sys(err, errno, "reading the passphrase");
			break;
		}
		if (n == 0 || c == '\n')
			break;
		if (bh_buf_addc(out, c, err) < 0) {
			r = -1;
			break;
		}
	}
	tcsetattr(0, TCSAFLUSH, &old);
	return r;
}

static void wipe(struct bh_buf *b)
{
	if (b->data)
		memset(b->data, 0, b->len);
	bh_buf_release(b);
}

int cli_passphrase(const char *password_file, bool confirm, struct bh_buf *out,
		   struct bh_error **err)
{
	const char *env = getenv("BULKHEAD_PASSWORD");

	if (!env)
		env = getenv("COSIGN_PASSWORD");
	if (env)
		return bh_buf_adds(out, env, err);
	if (password_file) {
		if (bh_read_file(password_file, out, err) < 0)
			return bh_error_prefix(err, "password file");
		if (out->len && out->data[out->len - 1] == '\n')
			out->data[--out->len] = 0;
		if (out->len && out->data[out->len - 1] == '\r')
			out->data[--out->len] = 0;
		return 0;
	}
	if (!isatty(0))
		return bh_error_set(
			err, BH_ERR_USAGE,
			"a passphrase is needed and stdin is not a terminal: set "
			"BULKHEAD_PASSWORD (or COSIGN_PASSWORD) or use --password-file");
	if (read_tty("Enter password for private key: ", out, err) < 0)
		return -1;
	if (confirm) {
		struct bh_buf again = BH_BUF_INIT(PASS_MAX);
		bool same;

		if (read_tty("Enter password for private key again: ", &again, err) < 0) {
			wipe(&again);
			return -1;
		}
		same = again.len == out->len &&
		       (!out->len || !memcmp(again.data, out->data, out->len));
		wipe(&again);
		if (!same)
			return bh_error_set(err, BH_ERR_USAGE, "the passphrases do not match");
	}
	return 0;
}

int cli_load_private_key(const char *path, const char *password_file, struct bh_key **out,
			 struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(BH_TRUST_KEY_MAX), pass = BH_BUF_INIT(PASS_MAX);
	enum bh_key_file_kind kind;
	int r = -1;

	*out = NULL;
	if (bh_read_file(path, &b, err) < 0 ||
	    bh_key_file_kind(b.data ? b.data : "", b.len, &kind, err) < 0)
		goto out;
	if (kind == BH_KEYFILE_ENCRYPTED && cli_passphrase(password_file, false, &pass, err) < 0)
		goto out;
	r = bh_key_parse_private(b.data, b.len,
				 kind == BH_KEYFILE_ENCRYPTED ? (pass.data ? pass.data : "") : NULL,
				 pass.len, out, err);
out:
	if (r < 0)
		bh_error_prefix(err, "key %s", path);
	wipe(&pass);
	wipe(&b);
	return r;
}

enum { OPT_PREFIX = 0x100, OPT_PASSFILE, OPT_FORCE, OPT_KEY };

static int key_generate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output-key-prefix", required_argument, NULL, OPT_PREFIX },
		{ "password-file", required_argument, NULL, OPT_PASSFILE },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prefix = "cosign", *passfile = NULL;
	struct bh_buf pass = BH_BUF_INIT(PASS_MAX);
	struct bh_error *err = NULL;
	struct bh_key *k = NULL;
	bool force = false;
	int c;

	while ((c = cli_getopt(argc, argv, "h", opts, "key generate")) != -1) {
		switch (c) {
		case OPT_PREFIX: prefix = optarg; break;
		case OPT_PASSFILE: passfile = optarg; break;
		case OPT_FORCE: force = true; break;
		case 'h': return cli_help(key_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("key generate", "unexpected argument '%s'", argv[optind]);
	if (!*prefix)
		return cli_usage_error("key generate", "--output-key-prefix is empty");
	if (!force) {
		/* before asking for a passphrase: say now that nothing will be written */
		for (int i = 0; i < 2; i++) {
			char *p = bh_asprintf("%s.%s", prefix, i ? "pub" : "key");
			bool exists = access(p, F_OK) == 0 || errno != ENOENT;

			if (exists) {
				bh_error_set(&err, BH_ERR_USAGE,
					     "%s exists (use --force to replace it)", p);
				free(p);
				return cli_fail(err);
			}
			free(p);
		}
	}
	if (cli_passphrase(passfile, true, &pass, &err) < 0 || bh_key_generate(&k, &err) < 0 ||
	    bh_key_save_pair(k, prefix, pass.data ? pass.data : "", pass.len, force, &err) < 0) {
		wipe(&pass);
		bh_key_free(k);
		return cli_fail(err);
	}
	wipe(&pass);
	printf("Private key written to %s.key\nPublic key written to %s.pub\n", prefix, prefix);
	bh_key_free(k);
	return BH_EXIT_OK;
}

static int key_public(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, OPT_KEY },
		{ "password-file", required_argument, NULL, OPT_PASSFILE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keyfile = NULL, *passfile = NULL;
	struct bh_buf pem = BH_BUF_INIT(BH_TRUST_KEY_MAX);
	struct bh_error *err = NULL;
	struct bh_key *k = NULL;
	int c;

	while ((c = cli_getopt(argc, argv, "h", opts, "key public")) != -1) {
		switch (c) {
		case OPT_KEY: keyfile = optarg; break;
		case OPT_PASSFILE: passfile = optarg; break;
		case 'h': return cli_help(key_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (!keyfile)
		return cli_usage_error("key public", "--key FILE is required");
	if (optind != argc)
		return cli_usage_error("key public", "unexpected argument '%s'", argv[optind]);
	if (cli_load_private_key(keyfile, passfile, &k, &err) < 0 ||
	    bh_key_pem_public(k, &pem, &err) < 0) {
		bh_key_free(k);
		bh_buf_release(&pem);
		return cli_fail(err);
	}
	fwrite(pem.data, 1, pem.len, stdout);
	bh_key_free(k);
	bh_buf_release(&pem);
	return BH_EXIT_OK;
}

int cmd_key(int argc, char **argv, struct bh_cli *cli)
{
	(void)cli;
	if (argc < 2)
		return cli_usage_error("key", "a subcommand is required: generate or public");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return cli_help(key_usage);
	optind = 0;
	if (!strcmp(argv[1], "generate"))
		return key_generate(argc - 1, argv + 1);
	if (!strcmp(argv[1], "public"))
		return key_public(argc - 1, argv + 1);
	return cli_usage_error("key", "unknown subcommand '%s' (generate or public)", argv[1]);
}
