/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secret rules. Each rule has one or more vectorscan patterns, all compiled
 * into one database that runs over a file's bytes in a single streaming
 * pass; a pattern reports only where a candidate ends. The candidate is then
 * confirmed here on the file's buffer: by a PCRE2 expression anchored at the
 * candidate (tokens of a known shape) or by hand (PEM blocks, assignments,
 * URLs), with boundary, entropy and placeholder checks so that look-alikes in
 * documentation and code are not reported.
 *
 * Nothing here keeps a secret: a confirmation yields where it is, a redacted
 * form (at most four characters) and a fingerprint.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/content.h"
#include "internal.h"
#include "banned.h"

enum rule {
	R_PRIVATE_KEY,
	R_PRIVATE_KEY_ENC,
	R_AWS_ID,
	R_AWS_SECRET,
	R_GITHUB,
	R_GITLAB,
	R_SLACK,
	R_SLACK_WEBHOOK,
	R_STRIPE,
	R_GOOGLE,
	R_NPM,
	R_PYPI,
	R_JWT,
	R_GENERIC,
	R_URL,
	R_COUNT,
};

#define CM "4.1.4"

static const struct bh_content_check rules[R_COUNT] = {
	[R_PRIVATE_KEY] = { "BH-SECRET-PRIVATE-KEY", BH_FIND_SECRET, BH_SEV_HIGH, CM, "Private key",
			    "Remove the key from the image and every layer (rebuild without it; a "
			    "later `rm` does not remove it), revoke it, and mount keys at run time "
			    "as secrets." },
	[R_PRIVATE_KEY_ENC] = { "BH-SECRET-PRIVATE-KEY-ENCRYPTED", BH_FIND_SECRET, BH_SEV_MEDIUM,
				CM, "Encrypted private key",
				"The key is protected by a passphrase, which can be attacked "
				"offline: remove it from every layer and provide it at run time." },
	[R_AWS_ID] = { "BH-SECRET-AWS-ACCESS-KEY-ID", BH_FIND_SECRET, BH_SEV_CRITICAL, CM,
		       "AWS access key ID",
		       "Deactivate the key in AWS IAM, rebuild the image without it, and use "
		       "instance or workload roles instead of static keys." },
	[R_AWS_SECRET] = { "BH-SECRET-AWS-SECRET-KEY", BH_FIND_SECRET, BH_SEV_CRITICAL, CM,
			   "AWS secret access key",
			   "Deactivate the key pair in AWS IAM, rebuild the image without it, and "
			   "use instance or workload roles instead of static keys." },
	[R_GITHUB] = { "BH-SECRET-GITHUB", BH_FIND_SECRET, BH_SEV_CRITICAL, CM, "GitHub token",
		       "Revoke the token on GitHub, rebuild the image without it, and pass "
		       "tokens at build time with BuildKit secrets (never ARG or ENV)." },
	[R_GITLAB] = { "BH-SECRET-GITLAB", BH_FIND_SECRET, BH_SEV_CRITICAL, CM, "GitLab token",
		       "Revoke the token in GitLab, rebuild the image without it, and pass "
		       "tokens at build time with BuildKit secrets." },
	[R_SLACK] = { "BH-SECRET-SLACK", BH_FIND_SECRET, BH_SEV_HIGH, CM, "Slack token",
		      "Revoke the token in the Slack app settings and rebuild the image without "
		      "it." },
	[R_SLACK_WEBHOOK] = { "BH-SECRET-SLACK-WEBHOOK", BH_FIND_SECRET, BH_SEV_MEDIUM, CM,
			      "Slack incoming webhook URL",
			      "Regenerate the webhook in Slack and provide it at run time." },
	[R_STRIPE] = { "BH-SECRET-STRIPE", BH_FIND_SECRET, BH_SEV_CRITICAL, CM,
		       "Stripe secret or restricted key",
		       "Roll the key in the Stripe dashboard and rebuild the image without it." },
	[R_GOOGLE] = { "BH-SECRET-GOOGLE-API-KEY", BH_FIND_SECRET, BH_SEV_HIGH, CM,
		       "Google API key",
		       "Delete or restrict the key in the Google Cloud console and rebuild the "
		       "image without it." },
	[R_NPM] = { "BH-SECRET-NPM", BH_FIND_SECRET, BH_SEV_CRITICAL, CM, "npm access token",
		    "Revoke the token (npm token revoke) and rebuild the image without it; use "
		    "a BuildKit secret for .npmrc at build time." },
	[R_PYPI] = { "BH-SECRET-PYPI", BH_FIND_SECRET, BH_SEV_CRITICAL, CM, "PyPI API token",
		     "Remove the token on pypi.org and rebuild the image without it." },
	[R_JWT] = { "BH-SECRET-JWT", BH_FIND_SECRET, BH_SEV_MEDIUM, CM, "JSON Web Token",
		    "A signed token grants whatever it claims until it expires: remove it, and "
		    "rotate the signing key if the token does not expire." },
	[R_GENERIC] = { "BH-SECRET-GENERIC", BH_FIND_SECRET, BH_SEV_MEDIUM, CM,
			"Password or secret assigned in a file",
			"Move the value out of the image (run-time secret or environment from a "
			"secret store), rebuild, and change the password." },
	[R_URL] = { "BH-SECRET-URL-CREDENTIALS", BH_FIND_SECRET, BH_SEV_HIGH, CM,
		    "Credentials embedded in a URL",
		    "Remove the user:password from the URL, rebuild, and change the password." },
};

const struct bh_content_check *bh_content_secret_rules(size_t *n)
{
	*n = R_COUNT;
	return rules;
}

const char *content_secret_rule_id(int rule)
{
	return rules[rule].id;
}

const char *content_secret_rule_title(int rule)
{
	return rules[rule].title;
}

const char *content_secret_rule_remediation(int rule)
{
	return rules[rule].remediation;
}

bool content_secret_rule_low_confidence(int rule)
{
	return rule == R_GENERIC || rule == R_JWT;
}

bool content_third_party_path(const char *path)
{
	static const char *const anywhere[] = { "node_modules/",     "site-packages/",
						"dist-packages/",    "vendor/",
						"bower_components/", "go/pkg/mod/",
						".cargo/registry/" };
	static const char *const prefixes[] = { "usr/share/doc/",
						"usr/share/man/",
						"usr/share/info/",
						"usr/share/perl",
						"usr/lib/python",
						"usr/local/lib/python",
						"usr/lib/ruby/",
						"usr/share/ruby",
						"usr/lib/jvm/",
						"usr/share/javascript/",
						"usr/lib/node_modules/",
						"usr/share/gtk-doc/",
						"usr/share/bash-completion/",
						"usr/share/zsh/",
						"usr/share/fish/" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (bh_str_has_prefix(path, prefixes[i]))
			return true;
	for (size_t i = 0; i < sizeof(anywhere) / sizeof(anywhere[0]); i++) {
		const char *m = strstr(path, anywhere[i]);

		if (m && (m == path || m[-1] == '/'))
			return true;
	}
	return bh_str_has_prefix(path, "usr/lib/") && strstr(path, "/perl");
}

/* ---- the patterns ------------------------------------------------------- */

enum confirm {
	C_PEM,
	C_AWS_ID,
	C_AWS_SECRET,
	C_TOKEN, /* fixed-size token: boundaries + entropy of the random part */
	C_PCRE,	 /* PCRE2 anchored at the candidate start */
	C_JWT,
	C_GENERIC,
	C_URL,
};

struct pattern_def {
	struct content_secret_pattern p;
	enum confirm how;
	int skip;	      /* C_TOKEN: bytes of fixed prefix not counted for entropy */
	const char *pcre;     /* C_PCRE: the whole secret, anchored at the start */
	enum bh_severity sev; /* the rule's severity unless 0 */
	const char *kind;
};

#define ALNUM "A-Za-z0-9"
#define KEYWORDS                                                                                   \
	"(passw(or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|auth[_-]?key|"    \
	"client[_-]?secret|private[_-]?key|credentials?)"

static const struct pattern_def defs[] = {
	{ { "-----BEGIN ([A-Z0-9]+ ){0,3}PRIVATE KEY", 0, R_PRIVATE_KEY, -1, 64 },
	  C_PEM,
	  0,
	  NULL,
	  0,
	  NULL },
	{ { "(A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}", 0, R_AWS_ID, 20, 1024 },
	  C_AWS_ID,
	  4,
	  NULL,
	  0,
	  NULL },
	{ { "secret_?access_?key", HS_FLAG_CASELESS, R_AWS_SECRET, -1, 4096 },
	  C_AWS_SECRET,
	  0,
	  NULL,
	  0,
	  NULL },
	{ { "gh[pousr]_[" ALNUM "]{36}", 0, R_GITHUB, 40, 4096 }, C_TOKEN, 4, NULL, 0, NULL },
	{ { "github_pat_[" ALNUM "_]{82}", 0, R_GITHUB, 93, 4096 }, C_TOKEN, 11, NULL, 0, NULL },
	{ { "glpat-[" ALNUM "_-]{20}", 0, R_GITLAB, 26, 4096 }, C_TOKEN, 6, NULL, 0, NULL },
	{ { "gl(dt|rt)-[" ALNUM "_-]{20}", 0, R_GITLAB, 25, 4096 }, C_TOKEN, 5, NULL, 0, NULL },
	{ { "glptt-[0-9a-f]{40}", 0, R_GITLAB, 46, 4096 }, C_TOKEN, 6, NULL, 0, NULL },
	{ { "GR1348941[" ALNUM "_-]{20}", 0, R_GITLAB, 29, 4096 }, C_TOKEN, 9, NULL, 0, NULL },
	{ { "xox[abposre]-[0-9]", 0, R_SLACK, 6, 4096 },
	  C_PCRE,
	  0,
	  "xox[abposre]-(?:[0-9]+-){1,3}[" ALNUM "]{10,64}(?![" ALNUM "-])",
	  0,
	  NULL },
	{ { "hooks\\.slack\\.com/services/T", 0, R_SLACK_WEBHOOK, 26, 4096 },
	  C_PCRE,
	  0,
	  "hooks\\.slack\\.com/services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[" ALNUM
	  "]{20,32}(?![" ALNUM "])",
	  0,
	  NULL },
	{ { "[rs]k_live_[" ALNUM "]{8}", 0, R_STRIPE, 16, 4096 },
	  C_PCRE,
	  0,
	  "(?<![" ALNUM "_])[rs]k_live_[" ALNUM "]{20,247}(?![" ALNUM "])",
	  0,
	  "live" },
	{ { "[rs]k_test_[" ALNUM "]{8}", 0, R_STRIPE, 16, 4096 },
	  C_PCRE,
	  0,
	  "(?<![" ALNUM "_])[rs]k_test_[" ALNUM "]{20,247}(?![" ALNUM "])",
	  BH_SEV_LOW,
	  "test" },
	{ { "AIza[" ALNUM "_-]{35}", 0, R_GOOGLE, 39, 4096 }, C_TOKEN, 4, NULL, 0, NULL },
	{ { "npm_[" ALNUM "]{36}", 0, R_NPM, 40, 4096 }, C_TOKEN, 4, NULL, 0, NULL },
	{ { "pypi-AgEIcHlwaS5vcmc", 0, R_PYPI, 20, 4096 },
	  C_PCRE,
	  0,
	  "pypi-AgEIcHlwaS5vcmc[" ALNUM "_-]{50,1000}(?![" ALNUM "_-])",
	  0,
	  "pypi.org" },
	{ { "pypi-AgENdGVzdC5weXBpLm9yZw", 0, R_PYPI, 27, 4096 },
	  C_PCRE,
	  0,
	  "pypi-AgENdGVzdC5weXBpLm9yZw[" ALNUM "_-]{50,1000}(?![" ALNUM "_-])",
	  BH_SEV_LOW,
	  "test.pypi.org" },
	{ { "eyJ[" ALNUM "_-]{8,}\\.eyJ", 0, R_JWT, -1, 1024 }, C_JWT, 0, NULL, 0, NULL },
	{ { KEYWORDS, HS_FLAG_CASELESS, R_GENERIC, -1, 16384 }, C_GENERIC, 0, NULL, 0, NULL },
	{ { "://[^\\s/?#@:'\"<>\\\\]{1,64}:[^\\s/?#@'\"<>\\\\]{1,128}@", 0, R_URL, -1, 4096 },
	  C_URL,
	  0,
	  NULL,
	  0,
	  NULL },
};

#define NPAT (sizeof(defs) / sizeof(defs[0]))

size_t content_secret_npatterns(void)
{
	return NPAT;
}

const struct content_secret_pattern *content_secret_pattern(size_t i)
{
	return i < NPAT ? &defs[i].p : NULL;
}

/* ---- the compiled confirmations ------------------------------------------ */

struct secrets {
	pcre2_code *re[NPAT];
};

int content_secrets_new(struct secrets **out, struct bh_error **err)
{
	struct secrets *s = bh_calloc(1, sizeof(*s));

	for (size_t i = 0; i < NPAT; i++) {
		int ec;
		PCRE2_SIZE eo;

		if (!defs[i].pcre)
			continue;
		s->re[i] = pcre2_compile((PCRE2_SPTR)defs[i].pcre, PCRE2_ZERO_TERMINATED,
					 PCRE2_ANCHORED, &ec, &eo, NULL);
		if (!s->re[i]) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(ec, msg, sizeof(msg));
			content_secrets_free(s);
			return bh_error_set(err, BH_ERR_INTERNAL, "secret rule %s: pattern %zu: %s",
					    rules[defs[i].p.rule].id, i, (const char *)msg);
		}
		/* JIT is an optimisation: without it the interpreter runs. */
		(void)pcre2_jit_compile(s->re[i], PCRE2_JIT_COMPLETE);
	}
	*out = s;
	return 0;
}

void content_secrets_free(struct secrets *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < NPAT; i++)
		pcre2_code_free(s->re[i]);
	free(s);
}

pcre2_match_data *content_secrets_match_data(void)
{
	pcre2_match_data *md = pcre2_match_data_create(4, NULL);

	if (!md)
		abort();
	return md;
}

/* ---- helpers ----------------------------------------------------------- */

/* log2 without libm: exponent from the bits, the mantissa's logarithm from
 * the atanh series (error below 1e-6, plenty for an entropy threshold). */
static double lg2(double x)
{
	uint64_t u;
	double m, t, t2, ln;
	int e;

	memcpy(&u, &x, sizeof(u));
	e = (int)((u >> 52) & 0x7ff) - 1023;
	u = (u & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
	memcpy(&m, &u, sizeof(m));
	t = (m - 1) / (m + 1);
	t2 = t * t;
	ln = 2 * t *
	     (1 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 * (1.0 / 9 + t2 / 11)))));
	return e + ln * 1.4426950408889634;
}

double content_entropy(const unsigned char *p, size_t n)
{
	size_t count[256] = { 0 };
	double h = 0;

	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		count[p[i]]++;
	for (int c = 0; c < 256; c++) {
		if (count[c]) {
			double f = (double)count[c] / (double)n;

			h -= f * lg2(f);
		}
	}
	return h;
}

/* "ABCDEFGH", "12345678", "abcabcabc": runs that documentation uses as
 * stand-ins for a real token. */
static bool looks_sequential(const unsigned char *p, size_t n)
{
	size_t steps = 0, repeats = 0;

	if (n < 8)
		return false;
	for (size_t i = 1; i < n; i++) {
		if (p[i] == p[i - 1] + 1 || p[i] == p[i - 1] - 1)
			steps++;
		if (i >= 3 && p[i] == p[i - 3])
			repeats++;
	}
	return steps * 2 > n || repeats * 10 > n * 7;
}

void content_redact(const unsigned char *p, size_t n, char *out, size_t outsz)
{
	size_t show = n / 4 < 4 ? n / 4 : 4, k = 0;

	for (size_t i = 0; i < show && k + 2 < outsz; i++)
		out[k++] = bh_isprint(p[i]) && p[i] != '"' && p[i] != '\\' ? (char)p[i] : '?';
	if (k + 4 <= outsz) {
		/* U+2026 HORIZONTAL ELLIPSIS */
		out[k++] = (char)0xe2;
		out[k++] = (char)0x80;
		out[k++] = (char)0xa6;
	}
	out[k] = 0;
}

void content_fingerprint(const void *p, size_t n, char out[13])
{
	struct bh_digest d;

	bh_sha256(p, n, &d);
	memcpy(out, bh_digest_hex(&d), 12);
	out[12] = 0;
}

static bool ieq(const unsigned char *p, size_t n, const char *w)
{
	return strlen(w) == n && !strncasecmp((const char *)p, w, n);
}

static bool icontains(const unsigned char *p, size_t n, const char *w)
{
	size_t m = strlen(w);

	for (size_t i = 0; i + m <= n; i++)
		if (!strncasecmp((const char *)p + i, w, m))
			return true;
	return false;
}

bool content_looks_placeholder(const unsigned char *p, size_t n)
{
	static const char *const words[] = {
		"password",    "passwd",     "pass",	     "pwd",	      "secret",
		"token",       "changeme",   "change_me",    "example",	      "sample",
		"dummy",       "test",	     "testing",	     "none",	      "null",
		"nil",	       "undefined",  "empty",	     "foo",	      "bar",
		"foobar",      "redacted",   "hidden",	     "placeholder",   "default",
		"admin",       "root",	     "guest",	     "anonymous",     "user",
		"username",    "mypassword", "yourpassword", "your_password", "secret123",
		"password123", "true",	     "false",	     "required",      "optional",
		"string",      "str",	     "value",	     "key",	      "apikey",
		"api_key",     "xxx",
	};
	static const char *const parts[] = {
		"${",	       "$(",	  "{{",		 "}}",	     "%(",
		"%s",	       "<",	  ">",		 "xxxx",     "****",
		"....",	       "example", "placeholder", "changeme", "change_me",
		"your_",       "your-",	  "yourpass",	 "replace",  "insert",
		"todo",	       "fixme",	  "dummy",	 "redacted", "password_here",
		"secret_here",
	};
	unsigned char first;
	bool same = true;

	if (!n)
		return true;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (ieq(p, n, words[i]))
			return true;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (icontains(p, n, parts[i]))
			return true;
	first = p[0];
	if (first == '$' || first == '%' || first == '@' || first == '&' || first == '*' ||
	    first == '[' || first == '{' || first == '(')
		return true;
	for (size_t i = 1; i < n; i++)
		if (p[i] != first)
			same = false;
	return same;
}

static bool is_alnum(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_b64url(unsigned char c)
{
	return is_alnum(c) || c == '-' || c == '_';
}

static bool is_b64(unsigned char c)
{
	return is_alnum(c) || c == '+' || c == '/';
}

static bool left_ok(const unsigned char *buf, size_t start)
{
	return start == 0 || !(is_alnum(buf[start - 1]) || buf[start - 1] == '_');
}

static bool right_ok(const unsigned char *buf, size_t len, size_t end)
{
	return end >= len || !(is_alnum(buf[end]) || buf[end] == '_');
}

static void set_secret(struct secret_found *f, const unsigned char *p, size_t n)
{
	content_redact(p, n, f->shown, sizeof(f->shown));
	content_fingerprint(p, n, f->fp);
}

/* Decode base64 or base64url (either alphabet, padding optional) into out;
 * returns bytes written. Stops at the first other byte. */
static size_t b64_decode(const unsigned char *in, size_t n, unsigned char *out, size_t outsz)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t k = 0;

	for (size_t i = 0; i < n && k < outsz; i++) {
		unsigned char c = in[i];
		int v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+' || c == '-')
			v = 62;
		else if (c == '/' || c == '_')
			v = 63;
		else
			break;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (unsigned char)(acc >> bits);
		}
	}
	return k;
}

/* ---- confirmations ------------------------------------------------------ */

#define PEM_MAX_BODY (64 * 1024)

static const unsigned char *find(const unsigned char *p, size_t n, const char *needle)
{
	return memmem(p, n, needle, strlen(needle));
}

static bool confirm_pem(const unsigned char *buf, size_t len, size_t end, struct secret_found *f)
{
	/* end is just past "PRIVATE KEY"; the header is "-----BEGIN <type>PRIVATE KEY-----"
	 * or "... PRIVATE KEY BLOCK-----" (PGP). */
	size_t lim = end > 64 ? end - 64 : 0, start = SIZE_MAX, body, i, nb64 = 0, junk = 0;
	const unsigned char *endm;
	unsigned char *clean;
	bool encrypted = false, pgp = false;
	char type[40] = "";

	for (size_t j = end - 11; j-- > lim;) {
		if (j + 11 <= len && !memcmp(buf + j, "-----BEGIN ", 11)) {
			start = j;
			break;
		}
	}
	if (start == SIZE_MAX)
		return false;
	i = end;
	if (i + 6 <= len && !memcmp(buf + i, " BLOCK", 6)) {
		pgp = true;
		i += 6;
	}
	if (i + 5 > len || memcmp(buf + i, "-----", 5))
		return false;
	body = i + 5;
	{
		size_t tl = end - 11 - (start + 11);

		if (tl >= sizeof(type))
			return false;
		memcpy(type, buf + start + 11, tl);
		type[tl] = 0;
		if (tl && type[tl - 1] == ' ')
			type[tl - 1] = 0;
	}
	endm = find(buf + body, len - body < PEM_MAX_BODY ? len - body : PEM_MAX_BODY, "-----END ");
	if (!endm)
		return false;
	clean = bh_malloc((size_t)(endm - (buf + body)) + 1);
	/* The body: base64 lines, maybe RFC 1421 headers ("Proc-Type: 4,ENCRYPTED"),
	 * maybe escaped newlines ("\n") when the key sits in a JSON or code string. */
	for (const unsigned char *p = buf + body; p < endm;) {
		const unsigned char *eol = memchr(p, '\n', (size_t)(endm - p));
		const unsigned char *q = eol ? eol : endm;
		const unsigned char *colon = memchr(p, ':', (size_t)(q - p));

		if (colon && !find(p, (size_t)(q - p), "\\n")) {
			if (find(p, (size_t)(q - p), "ENCRYPTED"))
				encrypted = true;
			p = eol ? eol + 1 : endm;
			continue;
		}
		for (const unsigned char *c = p; c < q; c++) {
			if (is_b64(*c) || *c == '=') {
				if (*c == 'n' && c > p && c[-1] == '\\')
					continue;
				clean[nb64++] = *c;
			} else if (*c == '\\' && c + 1 < q && c[1] == 'n') {
				continue;
			} else if (*c != ' ' && *c != '\t' && *c != '\r' && *c != '"' &&
				   *c != '\'' && *c != ',' && *c != '+') {
				junk++;
			}
		}
		p = eol ? eol + 1 : endm;
	}
	/* "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END" in documentation. */
	if (nb64 < 64 || junk * 10 > nb64) {
		free(clean);
		return false;
	}
	if (strstr(type, "ENCRYPTED"))
		encrypted = true;
	if (!strcmp(type, "OPENSSH")) {
		unsigned char hdr[64];
		size_t k = b64_decode(clean, nb64 < 84 ? nb64 : 84, hdr, sizeof(hdr));

		/* "openssh-key-v1\0", uint32 length, cipher name */
		if (k >= 19 && !memcmp(hdr, "openssh-key-v1", 15)) {
			uint32_t cl = (uint32_t)hdr[15] << 24 | (uint32_t)hdr[16] << 16 |
				      (uint32_t)hdr[17] << 8 | hdr[18];

			if (cl != 4 || k < 23 || memcmp(hdr + 19, "none", 4))
				encrypted = true;
		}
	}
	f->start = start;
	f->end = (size_t)(endm - buf);
	f->rule = encrypted ? R_PRIVATE_KEY_ENC : R_PRIVATE_KEY;
	f->severity = rules[f->rule].severity;
	snprintf(f->kind, sizeof(f->kind), "%s%s",
		 pgp	   ? "PGP"
		 : type[0] ? type
			   : "PKCS#8",
		 encrypted ? ", encrypted" : "");
	set_secret(f, clean, nb64);
	free(clean);
	return true;
}

static long line_of(const unsigned char *buf, size_t off)
{
	long l = 1;

	for (const unsigned char *p = buf; (p = memchr(p, '\n', off - (size_t)(p - buf))); p++)
		l++;
	return l;
}

/* A 40-character AWS secret access key as a token of its own. */
static bool aws_secret_at(const unsigned char *buf, size_t len, size_t s)
{
	bool lower = false, upper = false, other = false;

	if (s + 40 > len || (s > 0 && (is_b64(buf[s - 1]))) ||
	    (s + 40 < len && (is_b64(buf[s + 40]) || buf[s + 40] == '=')))
		return false;
	for (size_t i = s; i < s + 40; i++) {
		unsigned char c = buf[i];

		if (!is_b64(c))
			return false;
		if (c >= 'a' && c <= 'z')
			lower = true;
		else if (c >= 'A' && c <= 'Z')
			upper = true;
		else
			other = true;
	}
	return lower && upper && other && content_entropy(buf + s, 40) >= 3.5 &&
	       !looks_sequential(buf + s, 40);
}

static bool confirm_aws_id(const unsigned char *buf, size_t len, size_t end, struct secret_found *f)
{
	size_t start = end - 20, lo, hi;

	if (!left_ok(buf, start) || !right_ok(buf, len, end) ||
	    content_entropy(buf + start + 4, 16) < 3.0 || looks_sequential(buf + start + 4, 16))
		return false;
	f->start = start;
	f->end = end;
	f->rule = R_AWS_ID;
	set_secret(f, buf + start, 20);
	/* Its secret nearby (within 1 KiB either way) makes it usable. */
	lo = start > 1024 ? start - 1024 : 0;
	hi = end + 1024 < len ? end + 1024 : len;
	for (size_t s = lo; s + 40 <= hi; s++) {
		if (aws_secret_at(buf, len, s)) {
			f->severity = BH_SEV_CRITICAL;
			snprintf(f->detail, sizeof(f->detail),
				 "its secret access key is on line %ld of the same file",
				 line_of(buf, s));
			return true;
		}
	}
	f->severity = BH_SEV_MEDIUM;
	snprintf(f->detail, sizeof(f->detail),
		 "no secret access key next to it (a key ID alone names the account)");
	return true;
}

/* After a name: optional closing quote, blanks, one of = : := => , blanks,
 * optional opening quote. Returns the value's start, or SIZE_MAX. */
static size_t skip_assign(const unsigned char *buf, size_t len, size_t i, unsigned char *quote)
{
	size_t n = 0;

	if (i < len && (buf[i] == '"' || buf[i] == '\''))
		i++;
	if (i < len && buf[i] == ']') /* $config['password'] = ... */
		i++;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t') && n++ < 8)
		i++;
	if (i + 1 < len && buf[i] == ':' && buf[i + 1] == '=')
		i += 2;
	else if (i + 1 < len && buf[i] == '=' && buf[i + 1] == '>')
		i += 2;
	else if (i < len && buf[i] == '=' && !(i + 1 < len && buf[i + 1] == '='))
		i++;
	else if (i < len && buf[i] == ':' && !(i + 1 < len && buf[i + 1] == ':'))
		i++;
	else
		return SIZE_MAX;
	n = 0;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t') && n++ < 8)
		i++;
	*quote = 0;
	if (i < len && (buf[i] == '"' || buf[i] == '\'')) {
		*quote = buf[i];
		i++;
	}
	return i;
}

/* The value from `i`: up to the closing quote, or to a blank/delimiter. */
static size_t value_end(const unsigned char *buf, size_t len, size_t i, unsigned char quote,
			size_t max)
{
	size_t j = i;

	while (j < len && j - i <= max) {
		unsigned char c = buf[j];

		if (c == '\n' || c == '\r' || c == 0)
			break;
		if (quote) {
			if (c == quote)
				return j;
		} else if (c == ' ' || c == '\t' || c == '"' || c == '\'' || c == ',' || c == ';' ||
			   c == ')' || c == '}' || c == ']' || c == '<' || c == '>' || c == '`') {
			break;
		}
		j++;
	}
	if (quote)
		return SIZE_MAX; /* unterminated on this line */
	return j;
}

static bool confirm_aws_secret(const unsigned char *buf, size_t len, size_t end,
			       struct secret_found *f)
{
	unsigned char quote;
	size_t v;

	if (end < len && (is_alnum(buf[end]) || buf[end] == '_'))
		return false;
	v = skip_assign(buf, len, end, &quote);
	if (v == SIZE_MAX || !aws_secret_at(buf, len, v))
		return false;
	f->start = v;
	f->end = v + 40;
	f->rule = R_AWS_SECRET;
	f->severity = BH_SEV_CRITICAL;
	set_secret(f, buf + v, 40);
	return true;
}

static bool confirm_token(const struct pattern_def *d, const unsigned char *buf, size_t len,
			  size_t end, struct secret_found *f)
{
	size_t start = end - (size_t)d->p.prefix, rn = (size_t)d->p.prefix - (size_t)d->skip;
	const unsigned char *r = buf + start + d->skip;

	if (!left_ok(buf, start) || (end < len && (is_b64url(buf[end]))))
		return false;
	if (content_entropy(r, rn) < 3.0 || looks_sequential(r, rn))
		return false;
	f->start = start;
	f->end = end;
	f->rule = d->p.rule;
	f->severity = d->sev ? d->sev : rules[d->p.rule].severity;
	set_secret(f, buf + start, end - start);
	return true;
}

static bool confirm_pcre(const struct secrets *s, size_t pi, const unsigned char *buf, size_t len,
			 size_t end, pcre2_match_data *md, struct secret_found *f)
{
	const struct pattern_def *d = &defs[pi];
	size_t start = end - (size_t)d->p.prefix, sublen = start + 1100 < len ? start + 1100 : len;
	PCRE2_SIZE *ov;
	int rc;

	rc = pcre2_match(s->re[pi], buf, sublen, start, 0, md, NULL);
	if (rc < 1)
		return false;
	ov = pcre2_get_ovector_pointer(md);
	/* The part after the fixed prefix is the random one. */
	if (ov[1] - ov[0] < (size_t)d->p.prefix + 8 ||
	    content_entropy(buf + ov[0] + d->p.prefix, ov[1] - ov[0] - (size_t)d->p.prefix) < 3.0 ||
	    looks_sequential(buf + ov[0] + d->p.prefix, ov[1] - ov[0] - (size_t)d->p.prefix))
		return false;
	f->start = ov[0];
	f->end = ov[1];
	f->rule = d->p.rule;
	f->severity = d->sev ? d->sev : rules[d->p.rule].severity;
	if (d->kind)
		snprintf(f->kind, sizeof(f->kind), "%s", d->kind);
	set_secret(f, buf + ov[0], ov[1] - ov[0]);
	return true;
}

static bool confirm_jwt(const unsigned char *buf, size_t len, size_t end, struct secret_found *f)
{
	/* end is just past ".eyJ" of the payload. */
	size_t dot = end - 4, start = dot, i = end, sig;
	unsigned char hdr[96];
	size_t hn;

	while (start > 0 && is_b64url(buf[start - 1]) && dot - start < 2048)
		start--;
	if (dot - start < 11 || memcmp(buf + start, "eyJ", 3) ||
	    (start > 0 && buf[start - 1] == '.'))
		return false;
	while (i < len && is_b64url(buf[i]) && i - end < 8192)
		i++;
	if (i >= len || buf[i] != '.')
		return false;
	sig = ++i;
	while (i < len && is_b64url(buf[i]) && i - sig < 1024)
		i++;
	if (i - sig < 16 || (i < len && (buf[i] == '.' || is_b64url(buf[i]))))
		return false;
	hn = b64_decode(buf + start, dot - start, hdr, sizeof(hdr) - 1);
	hdr[hn] = 0;
	if (!find(hdr, hn, "\"alg\"") && !find(hdr, hn, "\"typ\""))
		return false;
	f->start = start;
	f->end = i;
	f->rule = R_JWT;
	f->severity = BH_SEV_MEDIUM;
	set_secret(f, buf + start, i - start);
	return true;
}

/* Code, not a value: an identifier or a dotted one ("self.password",
 * "!!config.withCredentials"), a bare word with no digit or symbol, a call. */
static bool looks_code(const unsigned char *p, size_t n)
{
	bool digit = false, symbol = false;

	while (n && (*p == '!' || *p == '-' || *p == '+' || *p == '~' || *p == '&')) {
		p++;
		n--;
	}
	/* "scmVersion=", "name:" (the next name of a list, not a value) */
	while (n && (p[n - 1] == '=' || p[n - 1] == ':' || p[n - 1] == ','))
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c >= '0' && c <= '9')
			digit = true;
		else if (c == '(' || c == '[')
			return true;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			   c == '.'))
			symbol = true;
	}
	return !digit && !symbol;
}

static bool confirm_generic(const unsigned char *buf, size_t len, size_t end,
			    struct secret_found *f)
{
	unsigned char quote;
	size_t v, e, n;
	const unsigned char *p;
	int classes;
	bool lo = false, up = false, di = false, sy = false;

	/* The keyword ends the name: "db_password=" but not "password_file=". */
	if (end < len && (is_alnum(buf[end]) || buf[end] == '_' || buf[end] == '-'))
		return false;
	v = skip_assign(buf, len, end, &quote);
	if (v == SIZE_MAX)
		return false;
	e = value_end(buf, len, v, quote, 200);
	if (e == SIZE_MAX || e <= v)
		return false;
	p = buf + v;
	n = e - v;
	if (n < 8 || n > 200 || memchr(p, ' ', n) || memchr(p, '\t', n))
		return false;
	if (!quote && e < len && buf[e] == '(')
		return false;
	if (content_looks_placeholder(p, n) || looks_code(p, n) || p[0] == '/' || p[0] == '~' ||
	    (p[0] == '.' && n > 1 && p[1] == '/') || memmem(p, n, "://", 3))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c >= 'a' && c <= 'z')
			lo = true;
		else if (c >= 'A' && c <= 'Z')
			up = true;
		else if (c >= '0' && c <= '9')
			di = true;
		else
			sy = true;
	}
	classes = lo + up + di + sy;
	if (classes < 2 || content_entropy(p, n) < 3.0 || looks_sequential(p, n))
		return false;
	f->start = v;
	f->end = e;
	f->rule = R_GENERIC;
	f->severity = BH_SEV_MEDIUM;
	{
		/* The name the value is assigned to, for the title. */
		size_t ns = end;

		while (ns > 0 && end - ns < 40 &&
		       (is_alnum(buf[ns - 1]) || buf[ns - 1] == '_' || buf[ns - 1] == '-' ||
			buf[ns - 1] == '.'))
			ns--;
		snprintf(f->kind, sizeof(f->kind), "%.*s", (int)(end - ns), (const char *)buf + ns);
	}
	set_secret(f, p, n);
	return true;
}

static bool host_placeholder(const unsigned char *h, size_t n)
{
	static const char *const hosts[] = { "host",   "hostname",  "server",	"domain",
					     "myhost", "your-host", "yourhost", "somehost" };

	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (ieq(h, n, hosts[i]))
			return true;
	return icontains(h, n, "example") || icontains(h, n, "domain.tld") ||
	       icontains(h, n, ".invalid");
}

static bool confirm_url(const unsigned char *buf, size_t len, size_t end, struct secret_found *f)
{
	size_t at = end - 1, colon = SIZE_MAX, us, hs = end, he = end, ss;
	const unsigned char *pass;
	size_t pn;

	/* Back from '@' to "://". */
	us = at;
	while (us >= 3 && at - us < 200 && memcmp(buf + us - 3, "://", 3))
		us--;
	if (us < 3 || memcmp(buf + us - 3, "://", 3))
		return false;
	for (size_t i = us; i < at; i++) {
		if (buf[i] == ':') {
			colon = i;
			break;
		}
	}
	if (colon == SIZE_MAX || colon == us)
		return false;
	/* The scheme: a letter, then letters, digits, + . - */
	ss = us - 3;
	while (ss > 0 && us - 3 - ss < 32 &&
	       (is_alnum(buf[ss - 1]) || buf[ss - 1] == '+' || buf[ss - 1] == '.' ||
		buf[ss - 1] == '-'))
		ss--;
	if (us - 3 - ss < 2 || !bh_isalpha(buf[ss]))
		return false;
	while (he < len && he - hs < 256 &&
	       (is_alnum(buf[he]) || buf[he] == '.' || buf[he] == '-' || buf[he] == '_' ||
		buf[he] == '[' || buf[he] == ']'))
		he++;
	if (he == hs || host_placeholder(buf + hs, he - hs))
		return false;
	pass = buf + colon + 1;
	pn = at - colon - 1;
	if (pn < 3 || content_looks_placeholder(pass, pn) ||
	    content_looks_placeholder(buf + us, colon - us) ||
	    ieq(buf + us, colon - us, "anonymous") || ieq(buf + us, colon - us, "ftp"))
		return false;
	f->start = ss;
	f->end = he;
	f->rule = R_URL;
	f->severity = BH_SEV_HIGH;
	snprintf(f->kind, sizeof(f->kind), "%.*s://%.*s@%.*s", (int)(us - 3 - ss),
		 (const char *)buf + ss, (int)(colon - us > 16 ? 16 : colon - us),
		 (const char *)buf + us, (int)(he - hs > 24 ? 24 : he - hs),
		 (const char *)buf + hs);
	set_secret(f, pass, pn);
	return true;
}

bool content_secret_confirm(const struct secrets *s, int pat, const unsigned char *buf, size_t len,
			    size_t end, pcre2_match_data *md, struct secret_found *f)
{
	const struct pattern_def *d;

	if (pat < 0 || (size_t)pat >= NPAT || end > len)
		return false;
	d = &defs[pat];
	if (d->p.prefix > 0 && end < (size_t)d->p.prefix)
		return false;
	memset(f, 0, sizeof(*f));
	switch (d->how) {
	case C_PEM: return end >= 22 && confirm_pem(buf, len, end, f);
	case C_AWS_ID: return confirm_aws_id(buf, len, end, f);
	case C_AWS_SECRET: return confirm_aws_secret(buf, len, end, f);
	case C_TOKEN: return confirm_token(d, buf, len, end, f);
	case C_PCRE: return confirm_pcre(s, (size_t)pat, buf, len, end, md, f);
	case C_JWT: return end >= 15 && confirm_jwt(buf, len, end, f);
	case C_GENERIC: return confirm_generic(buf, len, end, f);
	case C_URL: return end >= 8 && confirm_url(buf, len, end, f);
	}
	return false;
}
