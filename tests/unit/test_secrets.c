/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secret rules, one by one: true positives of each format, and look-alikes
 * that must not be reported (documentation stand-ins, placeholders, code,
 * wrong lengths, missing boundaries). The tokens below are random strings
 * of the right shape, not real credentials.
 */
#include "unit.h"
#include "bulkhead/content.h"

#define GH36	 "OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr"
#define GHPAT82	 "Z3aWZkSBvrjn9Wvgfygw2wMqZcUDIh_7yfJs1ON43xKmTecQoXsf2o3gyrDO1xkxwnQrS7RPeMOkIUpkDy"
#define GL20	 "ICPhDeOZIiBOB-Y6sHrF"
#define SLACK24	 "VJIqVLB5LzxoiGFfWd3hjOkY"
#define STRIPE24 "RBMeyyMDHqJ38aRUhR4IWrXP"
#define GOOG35	 "RoL3u6aHwnMztVuaP_coUNEhEkk_iqq8vH2"
#define NPM36	 "9n7IWUSmTtzQPxC5HChpoevbLJoLoaeTOdoe"
#define PYPI60	 "eQjEJ_Bq8F80ymm3T207gmhZRnFyy5r2xJ7Fj4mgblEv0_9BZhvWaXH6K2_t"
#define OSSH_NONE                                                                                  \
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZTBLN/"                                           \
	"cOlLyKD79QDgyVeoDr2ocoDvWCFNkvEZgRrNw8Zx7x4\n"                                            \
	"5E/lJgKnhRrqJWQhVDvQjSrt1A9Q2Uhq6VMdVDtwO8SAnWf/5D/"                                      \
	"GRKJNoFDIe5Z4RHhPl5IKHDVi7RNnPv8zqeHAq\n"                                                 \
	"rRjUzuqRrw4CJDHeMbvo0nRQ==\n"
#define OSSH_AES                                                                                   \
	"b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0MEs39w6UvIoPv1AODJV6gOvahygO9YIU2S8R" \
	"m\n"                                                                                      \
	"BGs3DxnHvHjkT+UmAqeFGuolZCFUO9CNKu3UD1DZSGrpUx1UO3A7xICdZ//"                              \
	"kP8ZEok2gUMh7lnhEeE+XkgocNWLtE\n"                                                         \
	"2c+/zOp4cCqtGNTO6pGvDgIkMd4xu+jSdF\n"
#define RSA_BODY                                                                                   \
	"MIIEpEiaNbdXNK+i2kOBfUDn6NgNF6Js1EYLAFXFIaP6Qym9cY20bY8CHBPx4rDnJosJ1V6VjSVuIApOXebuy/"   \
	"jcC\n"                                                                                    \
	"uZbNa4/qhpax4/"                                                                           \
	"i32j5nr8n7O483Sn5zM8t4WkGLbzsVcjuac2r3bzPP0QoybMbYd8J23g4M9HrdVlO0svfOjkGq\n"             \
	"DFmVEfdEffFR1mkgmat+9eJVPAHHQ==\n"
#define JWT                                                                                        \
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."                                                    \
	"eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaW"                                   \
	"F0IjoxNTE2MjM5MDIyfQ.4PhCLZT2-0MJG5hvWLrJUG-b-4IdYuaTMEELtW8Ahew"
#define AWS_ID	   "AKIAIOSFODNN7EXAMPLE"
#define AWS_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

static struct bh_image fake_image;

struct fx {
	struct bh_content *c;
	struct bh_findings f;
};

static int setup_opts(void **state, bool binaries, uint64_t max)
{
	struct fx *x = bh_calloc(1, sizeof(*x));
	struct bh_content_opts o = { 0 };
	struct bh_error *err = NULL;

	o.secrets = true;
	o.secret_binaries = binaries;
	o.max_file_size = max;
	if (bh_content_new(&fake_image, &o, &x->c, &err) < 0) {
		char *m = bh_error_message(err);

		fail_msg("bh_content_new: %s", m);
	}
	*state = x;
	return 0;
}

static int setup(void **state)
{
	return setup_opts(state, false, 0);
}

static int setup_binaries(void **state)
{
	return setup_opts(state, true, 0);
}

static int setup_small(void **state)
{
	return setup_opts(state, false, 64);
}

static int teardown(void **state)
{
	struct fx *x = *state;

	bh_findings_release(&x->f);
	bh_content_free(x->c);
	free(x);
	return 0;
}

/* Scan `text` as file `path`; the findings replace the previous ones. */
static struct bh_findings *scan(struct fx *x, const char *path, const char *text, size_t len)
{
	struct bh_error *err = NULL;

	bh_findings_release(&x->f);
	if (bh_content_scan_buffer(x->c, path, text, len, &x->f, &err) < 0) {
		char *m = bh_error_message(err);

		fail_msg("scan %s: %s", path, m);
	}
	return &x->f;
}

static struct bh_findings *scans(struct fx *x, const char *text)
{
	return scan(x, "/app/settings.txt", text, strlen(text));
}

static const struct bh_finding *find_id(const struct bh_findings *f, const char *id)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].id, id))
			return &f->v[i];
	return NULL;
}

/* Exactly one finding, `id` at `sev`, on `line`; and the secret `secret`
 * appears nowhere in what is reported. */
static void expect_one(struct fx *x, const char *text, const char *id, enum bh_severity sev,
		       long line, const char *secret)
{
	const struct bh_findings *f = scans(x, text);
	const struct bh_finding *h = find_id(f, id);

	if (!h)
		fail_msg("no %s in %zu findings for: %.80s", id, f->n, text);
	if (f->n != 1)
		fail_msg("%zu findings (want 1: %s), first %s", f->n, id, f->v[0].id);
	assert_int_equal(h->severity, sev);
	assert_int_equal(h->kind, BH_FIND_SECRET);
	assert_string_equal(h->countermeasure, "4.1.4");
	if (line)
		assert_int_equal(h->line, line);
	assert_non_null(strstr(h->title, "sha256:"));
	if (secret) {
		assert_null(strstr(h->title, secret));
		assert_null(strstr(h->description, secret));
	}
	assert_int_equal(h->layer, 0);
	assert_int_equal(h->removed_layer, -1);
	assert_string_equal(h->path, "/app/settings.txt");
}

static void expect_none(struct fx *x, const char *text)
{
	const struct bh_findings *f = scans(x, text);

	if (f->n)
		fail_msg("unexpected %s (%s) for: %.100s", f->v[0].id, f->v[0].title, text);
}

/* ---- private keys ------------------------------------------------------------ */

static void private_key_pem(void **state)
{
	struct fx *x = *state;

	expect_one(x,
		   "# deploy key\n-----BEGIN RSA PRIVATE KEY-----\n" RSA_BODY
		   "-----END RSA PRIVATE KEY-----\n",
		   "BH-SECRET-PRIVATE-KEY", BH_SEV_HIGH, 2, "uZbNa4/qhpax4");
	assert_non_null(strstr(x->f.v[0].title, "RSA"));
	expect_one(x, "-----BEGIN PRIVATE KEY-----\n" RSA_BODY "-----END PRIVATE KEY-----\n",
		   "BH-SECRET-PRIVATE-KEY", BH_SEV_HIGH, 1, NULL);
	expect_one(x, "-----BEGIN EC PRIVATE KEY-----\n" RSA_BODY "-----END EC PRIVATE KEY-----",
		   "BH-SECRET-PRIVATE-KEY", BH_SEV_HIGH, 1, NULL);
	/* In a JSON string, newlines escaped. */
	expect_one(
		x,
		"{\"key\": \"-----BEGIN RSA PRIVATE KEY-----\\nMIIEpEiaNbdXNK+i2kOBfUDn6NgNF6Js1E"
		"YLAFXFIaP6Qym9cY20bY8CHBPx4rDnJosJ1V6VjSVuIApOXebuy\\n-----END RSA PRIVATE "
		"KEY-----\\n\"}",
		"BH-SECRET-PRIVATE-KEY", BH_SEV_HIGH, 1, NULL);
}

static void private_key_encrypted(void **state)
{
	struct fx *x = *state;

	expect_one(x,
		   "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: "
		   "AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\n" RSA_BODY
		   "-----END RSA PRIVATE KEY-----\n",
		   "BH-SECRET-PRIVATE-KEY-ENCRYPTED", BH_SEV_MEDIUM, 1, NULL);
	expect_one(x,
		   "-----BEGIN ENCRYPTED PRIVATE KEY-----\n" RSA_BODY
		   "-----END ENCRYPTED PRIVATE KEY-----\n",
		   "BH-SECRET-PRIVATE-KEY-ENCRYPTED", BH_SEV_MEDIUM, 1, NULL);
}

static void private_key_openssh(void **state)
{
	struct fx *x = *state;

	expect_one(x,
		   "-----BEGIN OPENSSH PRIVATE KEY-----\n" OSSH_NONE
		   "-----END OPENSSH PRIVATE KEY-----\n",
		   "BH-SECRET-PRIVATE-KEY", BH_SEV_HIGH, 1, NULL);
	assert_non_null(strstr(x->f.v[0].title, "OPENSSH"));
	expect_one(x,
		   "-----BEGIN OPENSSH PRIVATE KEY-----\n" OSSH_AES
		   "-----END OPENSSH PRIVATE KEY-----\n",
		   "BH-SECRET-PRIVATE-KEY-ENCRYPTED", BH_SEV_MEDIUM, 1, NULL);
}

static void private_key_lookalikes(void **state)
{
	struct fx *x = *state;

	/* Documentation, public parts, no END, a too-short body. */
	expect_none(x, "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n");
	expect_none(x, "-----BEGIN RSA PRIVATE KEY-----\n<your key here>\n"
		       "-----END RSA PRIVATE KEY-----\n");
	expect_none(x, "-----BEGIN PUBLIC KEY-----\n" RSA_BODY "-----END PUBLIC KEY-----\n");
	expect_none(x, "-----BEGIN CERTIFICATE-----\n" RSA_BODY "-----END CERTIFICATE-----\n");
	expect_none(x, "-----BEGIN RSA PRIVATE KEY-----\n" RSA_BODY);
	expect_none(x, "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n"
		       "-----END RSA PRIVATE KEY-----\n");
	expect_none(x, "if (line == \"-----BEGIN RSA PRIVATE KEY-----\") return parse(line);\n");
}

/* ---- AWS ----------------------------------------------------------------------- */

static void aws_pair(void **state)
{
	struct fx *x = *state;
	const struct bh_finding *id, *sec;

	scans(x, "AWS_ACCESS_KEY_ID=" AWS_ID "\nAWS_SECRET_ACCESS_KEY=" AWS_SECRET "\n");
	assert_int_equal(x->f.n, 2);
	id = find_id(&x->f, "BH-SECRET-AWS-ACCESS-KEY-ID");
	sec = find_id(&x->f, "BH-SECRET-AWS-SECRET-KEY");
	assert_non_null(id);
	assert_non_null(sec);
	assert_int_equal(id->severity, BH_SEV_CRITICAL);
	assert_int_equal(id->line, 1);
	assert_int_equal(sec->severity, BH_SEV_CRITICAL);
	assert_int_equal(sec->line, 2);
	assert_non_null(strstr(id->title, "AKIA"));
	assert_null(strstr(id->title, AWS_ID));
	assert_null(strstr(sec->title, AWS_SECRET));
	assert_non_null(strstr(sec->title, "wJal"));
	/* JSON and INI forms. */
	scans(x, "{\"AccessKeyId\": \"" AWS_ID "\", \"SecretAccessKey\": \"" AWS_SECRET "\"}");
	assert_int_equal(x->f.n, 2);
	scans(x, "[default]\naws_access_key_id = " AWS_ID "\naws_secret_access_key = " AWS_SECRET
		 "\n");
	assert_int_equal(x->f.n, 2);
}

static void aws_id_alone(void **state)
{
	struct fx *x = *state;

	/* A key ID alone names an account: reported, lower. */
	expect_one(x, "key=" AWS_ID "\n", "BH-SECRET-AWS-ACCESS-KEY-ID", BH_SEV_MEDIUM, 1, AWS_ID);
	expect_one(x, "role ASIAY34FZKBOKMUTVV7A temp\n", "BH-SECRET-AWS-ACCESS-KEY-ID",
		   BH_SEV_MEDIUM, 1, NULL);
}

static void aws_lookalikes(void **state)
{
	struct fx *x = *state;

	expect_none(x, "AKIAAAAAAAAAAAAAAAAA\n");		   /* no entropy */
	expect_none(x, "AKIAIOSFODNN7EXAMPLEX\n");		   /* too long */
	expect_none(x, "XAKIAIOSFODNN7EXAMPLE\n");		   /* inside a word */
	expect_none(x, "akiaiosfodnn7example\n");		   /* lower case */
	expect_none(x, "AKIAIOSFODNN7EXAMPL\n");		   /* too short */
	expect_none(x, "aws_secret_access_key = ${AWS_SECRET}\n"); /* a reference */
	expect_none(x, "aws_secret_access_key = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
	expect_none(x, "aws_secret_access_key_file = /run/secrets/aws\n");
}

/* ---- tokens of known shapes ---------------------------------------------------------- */

static void github(void **state)
{
	struct fx *x = *state;

	expect_one(x, "GITHUB_TOKEN=ghp_" GH36 "\n", "BH-SECRET-GITHUB", BH_SEV_CRITICAL, 1, GH36);
	expect_one(x, "token: gho_" GH36, "BH-SECRET-GITHUB", BH_SEV_CRITICAL, 1, NULL);
	expect_one(x, "x\ny\n\"github_pat_" GHPAT82 "\"", "BH-SECRET-GITHUB", BH_SEV_CRITICAL, 3,
		   GHPAT82);
	expect_none(x, "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
	expect_none(x, "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\n");
	expect_none(x, "ghp_" GH36 "X\n");			     /* 37 characters */
	expect_none(x, "ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCL\n"); /* 35 */
	expect_none(x, "xghp_" GH36 "\n");
}

static void gitlab(void **state)
{
	struct fx *x = *state;

	expect_one(x, "CI_TOKEN=glpat-" GL20 "\n", "BH-SECRET-GITLAB", BH_SEV_CRITICAL, 1, GL20);
	expect_one(x, "runner: GR1348941" GL20 "\n", "BH-SECRET-GITLAB", BH_SEV_CRITICAL, 1, NULL);
	expect_none(x, "glpat-xxxxxxxxxxxxxxxxxxxx\n");
	expect_none(x, "glpat-" GL20 "abc\n");
}

static void slack(void **state)
{
	struct fx *x = *state;

	expect_one(x, "SLACK_BOT_TOKEN=xoxb-2635942065-2343594206574-" SLACK24 "\n",
		   "BH-SECRET-SLACK", BH_SEV_HIGH, 1, SLACK24);
	expect_one(x,
		   "url = \"https://hooks.slack.com/services/T0ABC1D2E/B0FGH3J4K/" SLACK24 "\"\n",
		   "BH-SECRET-SLACK-WEBHOOK", BH_SEV_MEDIUM, 1, SLACK24);
	expect_none(x, "SLACK_TOKEN=xoxb-your-token-here\n");
	expect_none(x, "xoxb-1\n");
	expect_none(x, "https://hooks.slack.com/services/T00000000/B00000000/"
		       "XXXXXXXXXXXXXXXXXXXXXXXX\n");
}

static void stripe(void **state)
{
	struct fx *x = *state;

	expect_one(x, "STRIPE_KEY=sk_live_" STRIPE24 "\n", "BH-SECRET-STRIPE", BH_SEV_CRITICAL, 1,
		   STRIPE24);
	expect_one(x, "stripe.api_key = 'rk_live_" STRIPE24 "'\n", "BH-SECRET-STRIPE",
		   BH_SEV_CRITICAL, 1, NULL);
	expect_one(x, "STRIPE_KEY=sk_test_" STRIPE24 "\n", "BH-SECRET-STRIPE", BH_SEV_LOW, 1, NULL);
	expect_none(x, "pk_live_" STRIPE24 "\n"); /* publishable */
	expect_none(x, "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx\n");
	expect_none(x, "sk_live_1234\n");
}

static void google(void **state)
{
	struct fx *x = *state;

	expect_one(x, "apiKey: \"AIza" GOOG35 "\",\n", "BH-SECRET-GOOGLE-API-KEY", BH_SEV_HIGH, 1,
		   GOOG35);
	expect_none(x, "AIzaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n");
	expect_none(x, "AIza" GOOG35 "Z\n");
}

static void npm(void **state)
{
	struct fx *x = *state;

	expect_one(x, "//registry.npmjs.org/:_authToken=npm_" NPM36 "\n", "BH-SECRET-NPM",
		   BH_SEV_CRITICAL, 1, NPM36);
	expect_none(x, "npm_config_registry=https://registry.npmjs.org/\n");
	expect_none(x, "npm_000000000000000000000000000000000000\n");
}

static void pypi(void **state)
{
	struct fx *x = *state;

	expect_one(x, "[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmc" PYPI60 "\n",
		   "BH-SECRET-PYPI", BH_SEV_CRITICAL, 3, PYPI60);
	expect_none(x, "prefix = \"pypi-AgEIcHlwaS5vcmc\"\n");
	expect_none(x, "TWINE = pypi-AgEIcHlwaS5vcmcXXXX\n");
}

static void jwt(void **state)
{
	struct fx *x = *state;

	expect_one(x, "Authorization: Bearer " JWT "\n", "BH-SECRET-JWT", BH_SEV_MEDIUM, 1,
		   "4PhCLZT2-0MJG5hvWLrJUG");
	/* Unsigned, or not a JWT header. */
	expect_none(x, "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.\n");
	expect_none(x, "eyJxxxxxxxxxxxx.eyJyyyyyyyyyyyyyy.zzzzzzzzzzzzzzzzzzzz\n");
}

/* ---- assignments and URLs ---------------------------------------------------------- */

static void generic_assignment(void **state)
{
	struct fx *x = *state;

	expect_one(x, "DB_PASSWORD=zU3iQOpM%N0PZL\n", "BH-SECRET-GENERIC", BH_SEV_MEDIUM, 1,
		   "zU3iQOpM%N0PZL");
	assert_non_null(strstr(x->f.v[0].title, "DB_PASSWORD"));
	expect_one(x, "db:\n  password: \"Xk9#mQ2$vL7pR4\"\n", "BH-SECRET-GENERIC", BH_SEV_MEDIUM,
		   2, "Xk9#mQ2$vL7pR4");
	expect_one(x, "{\"client_secret\": \"8f1Kx0-QwZ7mNp2Rt\"}", "BH-SECRET-GENERIC",
		   BH_SEV_MEDIUM, 1, NULL);
	expect_one(x, "$config['api_key'] => 'q7Z2xK9mW4pL1vN8';", "BH-SECRET-GENERIC",
		   BH_SEV_MEDIUM, 1, NULL);
}

static void generic_lookalikes(void **state)
{
	struct fx *x = *state;

	expect_none(x, "password = getpass.getpass()\n");
	expect_none(x, "password = getpass(prompt)\n");
	expect_none(x, "password: ${DB_PASSWORD}\n");
	expect_none(x, "password=changeme\n");
	expect_none(x, "password = self.password\n");
	expect_none(x, "request.withCredentials = !!config.withCredentials;\n");
	expect_none(x, "password_file=/run/secrets/db\n");
	expect_none(x, "var MSG = 'secret must be a string or buffer';\npassword: 'a b c d e f'\n");
	expect_none(x, "password=hunter2\n"); /* too short and too plain to tell */
	expect_none(x, "passwords = []\n");
	expect_none(x, "if (password == \"\") return;\n");
	expect_none(x, "token: CancelTokenStatic;\n");
	expect_none(x, "password: <your-password>\n");
	expect_none(x, "PASSWORD=xxxxxxxxxxxx\n");
	expect_none(x, "secret = 'abcdefghijklmnop'\n");
	expect_none(x, "username= message= passphrase= password= scmVersion= \n");
}

static void generic_not_in_third_party(void **state)
{
	struct fx *x = *state;
	const char *t = "password: 'rapunz3l-Xk9#mQ2'\n";

	assert_int_equal(scan(x, "/app/node_modules/axios/README.md", t, strlen(t))->n, 0);
	assert_int_equal(scan(x, "/usr/lib/python3.11/urllib/request.py", t, strlen(t))->n, 0);
	assert_int_equal(scan(x, "/app/config.yml", t, strlen(t))->n, 1);
	/* A token of a known shape is reported wherever it is. */
	t = "token=ghp_" GH36 "\n";
	assert_int_equal(scan(x, "/app/node_modules/x/index.js", t, strlen(t))->n, 1);
}

static void url_credentials(void **state)
{
	struct fx *x = *state;

	expect_one(x, "DATABASE_URL=postgres://app:Zx81kq-LmW2p@db.internal:5432/app\n",
		   "BH-SECRET-URL-CREDENTIALS", BH_SEV_HIGH, 1, "Zx81kq-LmW2p");
	assert_non_null(strstr(x->f.v[0].title, "postgres://app"));
	assert_non_null(strstr(x->f.v[0].title, "db.internal"));
	expect_one(x, "git clone https://deploy:s3cr3tT0k@git.corp.net/repo.git\n",
		   "BH-SECRET-URL-CREDENTIALS", BH_SEV_HIGH, 1, "s3cr3tT0k");
	expect_none(x, "http://user:password@example.com/\n");
	expect_none(x, "https://user:${PASS}@host.corp/\n");
	expect_none(x, "ftp://anonymous:me@ftp.gnu.org/\n");
	expect_none(x, "see http://localhost:8080/x@y\n");
	expect_none(x, "mysql://root:<password>@db/\n");
	expect_none(x, "redis://:xx@cache/\n");
}

/* ---- files ---------------------------------------------------------------------------- */

static void binary_files_skipped(void **state)
{
	struct fx *x = *state;
	char buf[256];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "ELF%cjunk token=ghp_%s\n", 0, GH36);
	struct bh_content_stats st;

	assert_int_equal(scan(x, "/usr/bin/tool", buf, n)->n, 0);
	bh_content_stats(x->c, &st);
	assert_int_equal(st.skipped_binary, 1);
}

static void binary_files_with_option(void **state)
{
	struct fx *x = *state;
	char buf[256];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "ELF%cjunk token=ghp_%s\n", 0, GH36);

	assert_int_equal(scan(x, "/usr/bin/tool", buf, n)->n, 1);
	assert_string_equal(x->f.v[0].id, "BH-SECRET-GITHUB");
}

static void large_files_skipped(void **state)
{
	struct fx *x = *state;
	char buf[200];
	struct bh_content_stats st;

	memset(buf, ' ', sizeof(buf));
	memcpy(buf + 100, "ghp_" GH36, 40);
	assert_int_equal(scan(x, "/app/big.txt", buf, sizeof(buf))->n, 0);
	bh_content_stats(x->c, &st);
	assert_int_equal(st.skipped_large, 1);
	assert_int_equal(scan(x, "/app/small.txt", buf + 100, 40)->n, 1);
}

static void secret_across_chunks(void **state)
{
	struct fx *x = *state;
	size_t n = 300000;
	char *buf = bh_malloc(n);
	const struct bh_finding *h;

	/* The token straddles the 128 KiB chunk boundary of the walk. */
	memset(buf, 'a', n);
	for (size_t i = 0; i < n; i += 64)
		buf[i] = '\n';
	memcpy(buf + 131072 - 20, " ghp_" GH36 " ", 42);
	scan(x, "/app/bundle.js", buf, n);
	free(buf);
	assert_int_equal(x->f.n, 1);
	h = &x->f.v[0];
	assert_string_equal(h->id, "BH-SECRET-GITHUB");
	assert_int_equal(h->line, (131072 - 20 + 63) / 64 + 1);
}

static void same_secret_once_per_file(void **state)
{
	struct fx *x = *state;

	scans(x, "a=ghp_" GH36 "\nb=ghp_" GH36 "\nc=npm_" NPM36 "\n");
	assert_int_equal(x->f.n, 2);
}

static void rules_listed(void **state)
{
	size_t n;
	const struct bh_content_check *r = bh_content_secret_rules(&n);

	assert_true(n >= 14);
	for (size_t i = 0; i < n; i++) {
		assert_true(bh_str_has_prefix(r[i].id, "BH-SECRET-"));
		assert_int_equal(r[i].kind, BH_FIND_SECRET);
		assert_non_null(r[i].title);
		assert_non_null(r[i].remediation);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(private_key_pem, setup, teardown),
		cmocka_unit_test_setup_teardown(private_key_encrypted, setup, teardown),
		cmocka_unit_test_setup_teardown(private_key_openssh, setup, teardown),
		cmocka_unit_test_setup_teardown(private_key_lookalikes, setup, teardown),
		cmocka_unit_test_setup_teardown(aws_pair, setup, teardown),
		cmocka_unit_test_setup_teardown(aws_id_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(aws_lookalikes, setup, teardown),
		cmocka_unit_test_setup_teardown(github, setup, teardown),
		cmocka_unit_test_setup_teardown(gitlab, setup, teardown),
		cmocka_unit_test_setup_teardown(slack, setup, teardown),
		cmocka_unit_test_setup_teardown(stripe, setup, teardown),
		cmocka_unit_test_setup_teardown(google, setup, teardown),
		cmocka_unit_test_setup_teardown(npm, setup, teardown),
		cmocka_unit_test_setup_teardown(pypi, setup, teardown),
		cmocka_unit_test_setup_teardown(jwt, setup, teardown),
		cmocka_unit_test_setup_teardown(generic_assignment, setup, teardown),
		cmocka_unit_test_setup_teardown(generic_lookalikes, setup, teardown),
		cmocka_unit_test_setup_teardown(generic_not_in_third_party, setup, teardown),
		cmocka_unit_test_setup_teardown(url_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(binary_files_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(binary_files_with_option, setup_binaries, teardown),
		cmocka_unit_test_setup_teardown(large_files_skipped, setup_small, teardown),
		cmocka_unit_test_setup_teardown(secret_across_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(same_secret_once_per_file, setup, teardown),
		cmocka_unit_test(rules_listed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
