/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The secret rules, as data: one row per rule (its stable ID, severity,
 * title and remediation: what bh_content_secret_rules lists) and one row
 * per vectorscan pattern (the rule it serves, where a candidate ends, how
 * secrets.c confirms it, and what it may change of the rule's severity).
 * A new token format is one pattern row, and a rule row when its ID is new.
 * Also here: the trees of third-party packages where the rules that guess
 * (assignments, JWTs) do not look.
 */
#include <string.h>

#include "bulkhead/content.h"
#include "internal.h"
#include "banned.h"

#define CM "4.1.4"

static const struct bh_content_check rules[SR_COUNT] = {
	[SR_PRIVATE_KEY] = { "BH-SECRET-PRIVATE-KEY", BH_FIND_SECRET, BH_SEV_HIGH, CM,
			     "Private key",
			     "Remove the key from the image and every layer (rebuild without it; a "
			     "later `rm` does not remove it), revoke it, and mount keys at run "
			     "time "
			     "as secrets." },
	[SR_PRIVATE_KEY_ENC] = { "BH-SECRET-PRIVATE-KEY-ENCRYPTED", BH_FIND_SECRET, BH_SEV_MEDIUM,
				 CM, "Encrypted private key",
				 "The key is protected by a passphrase, which can be attacked "
				 "offline: remove it from every layer and provide it at run "
				 "time." },
	[SR_AWS_ID] = { "BH-SECRET-AWS-ACCESS-KEY-ID", BH_FIND_SECRET, BH_SEV_CRITICAL, CM,
			"AWS access key ID",
			"Deactivate the key in AWS IAM, rebuild the image without it, and use "
			"instance or workload roles instead of static keys." },
	[SR_AWS_SECRET] = { "BH-SECRET-AWS-SECRET-KEY", BH_FIND_SECRET, BH_SEV_CRITICAL, CM,
			    "AWS secret access key",
			    "Deactivate the key pair in AWS IAM, rebuild the image without it, and "
			    "use instance or workload roles instead of static keys." },
	[SR_GITHUB] = { "BH-SECRET-GITHUB", BH_FIND_SECRET, BH_SEV_CRITICAL, CM, "GitHub token",
			"Revoke the token on GitHub, rebuild the image without it, and pass "
			"tokens at build time with BuildKit secrets (never ARG or ENV)." },
	[SR_GITLAB] = { "BH-SECRET-GITLAB", BH_FIND_SECRET, BH_SEV_CRITICAL, CM, "GitLab token",
			"Revoke the token in GitLab, rebuild the image without it, and pass "
			"tokens at build time with BuildKit secrets." },
	[SR_SLACK] = { "BH-SECRET-SLACK", BH_FIND_SECRET, BH_SEV_HIGH, CM, "Slack token",
		       "Revoke the token in the Slack app settings and rebuild the image without "
		       "it." },
	[SR_SLACK_WEBHOOK] = { "BH-SECRET-SLACK-WEBHOOK", BH_FIND_SECRET, BH_SEV_MEDIUM, CM,
			       "Slack incoming webhook URL",
			       "Regenerate the webhook in Slack and provide it at run time." },
	[SR_STRIPE] = { "BH-SECRET-STRIPE", BH_FIND_SECRET, BH_SEV_CRITICAL, CM,
			"Stripe secret or restricted key",
			"Roll the key in the Stripe dashboard and rebuild the image without it." },
	[SR_GOOGLE] = { "BH-SECRET-GOOGLE-API-KEY", BH_FIND_SECRET, BH_SEV_HIGH, CM,
			"Google API key",
			"Delete or restrict the key in the Google Cloud console and rebuild the "
			"image without it." },
	[SR_NPM] = { "BH-SECRET-NPM", BH_FIND_SECRET, BH_SEV_CRITICAL, CM, "npm access token",
		     "Revoke the token (npm token revoke) and rebuild the image without it; use "
		     "a BuildKit secret for .npmrc at build time." },
	[SR_PYPI] = { "BH-SECRET-PYPI", BH_FIND_SECRET, BH_SEV_CRITICAL, CM, "PyPI API token",
		      "Remove the token on pypi.org and rebuild the image without it." },
	[SR_JWT] = { "BH-SECRET-JWT", BH_FIND_SECRET, BH_SEV_MEDIUM, CM, "JSON Web Token",
		     "A signed token grants whatever it claims until it expires: remove it, and "
		     "rotate the signing key if the token does not expire." },
	[SR_GENERIC] = { "BH-SECRET-GENERIC", BH_FIND_SECRET, BH_SEV_MEDIUM, CM,
			 "Password or secret assigned in a file",
			 "Move the value out of the image (run-time secret or environment from a "
			 "secret store), rebuild, and change the password." },
	[SR_URL] = { "BH-SECRET-URL-CREDENTIALS", BH_FIND_SECRET, BH_SEV_HIGH, CM,
		     "Credentials embedded in a URL",
		     "Remove the user:password from the URL, rebuild, and change the password." },
};

/* Rules that guess (an assignment, a JWT) rather than recognise a format. */
static const bool low_confidence[SR_COUNT] = {
	[SR_JWT] = true,
	[SR_GENERIC] = true,
};

#define ALNUM "A-Za-z0-9"
#define KEYWORDS                                                                                   \
	"(passw(or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|auth[_-]?key|"    \
	"client[_-]?secret|private[_-]?key|credentials?)"

/*
 * The patterns. `prefix` is the length of a fixed-length match (the
 * candidate starts that far before where it ends), -1 for variable length;
 * `budget` the confirmations tried per file; `skip` the bytes of a token's
 * fixed prefix that do not count for its entropy; `pcre` the whole secret,
 * anchored at the candidate; `sev` and `kind` override the rule's severity
 * and add a word to the title.
 */
static const struct content_secret_pattern patterns[] = {
	{ .rule = SR_PRIVATE_KEY,
	  .re = "-----BEGIN ([A-Z0-9]+ ){0,3}PRIVATE KEY",
	  .prefix = -1,
	  .budget = 64,
	  .confirm = CONFIRM_PEM },
	{ .rule = SR_AWS_ID,
	  .re = "(A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}",
	  .prefix = 20,
	  .budget = 1024,
	  .confirm = CONFIRM_AWS_ID,
	  .skip = 4 },
	{ .rule = SR_AWS_SECRET,
	  .re = "secret_?access_?key",
	  .flags = HS_FLAG_CASELESS,
	  .prefix = -1,
	  .budget = 4096,
	  .confirm = CONFIRM_AWS_SECRET },
	{ .rule = SR_GITHUB,
	  .re = "gh[pousr]_[" ALNUM "]{36}",
	  .prefix = 40,
	  .budget = 4096,
	  .confirm = CONFIRM_TOKEN,
	  .skip = 4 },
	{ .rule = SR_GITHUB,
	  .re = "github_pat_[" ALNUM "_]{82}",
	  .prefix = 93,
	  .budget = 4096,
	  .confirm = CONFIRM_TOKEN,
	  .skip = 11 },
	{ .rule = SR_GITLAB,
	  .re = "glpat-[" ALNUM "_-]{20}",
	  .prefix = 26,
	  .budget = 4096,
	  .confirm = CONFIRM_TOKEN,
	  .skip = 6 },
	{ .rule = SR_GITLAB,
	  .re = "gl(dt|rt)-[" ALNUM "_-]{20}",
	  .prefix = 25,
	  .budget = 4096,
	  .confirm = CONFIRM_TOKEN,
	  .skip = 5 },
	{ .rule = SR_GITLAB,
	  .re = "glptt-[0-9a-f]{40}",
	  .prefix = 46,
	  .budget = 4096,
	  .confirm = CONFIRM_TOKEN,
	  .skip = 6 },
	{ .rule = SR_GITLAB,
	  .re = "GR1348941[" ALNUM "_-]{20}",
	  .prefix = 29,
	  .budget = 4096,
	  .confirm = CONFIRM_TOKEN,
	  .skip = 9 },
	{ .rule = SR_SLACK,
	  .re = "xox[abposre]-[0-9]",
	  .prefix = 6,
	  .budget = 4096,
	  .confirm = CONFIRM_PCRE,
	  .pcre = "xox[abposre]-(?:[0-9]+-){1,3}[" ALNUM "]{10,64}(?![" ALNUM "-])" },
	{ .rule = SR_SLACK_WEBHOOK,
	  .re = "hooks\\.slack\\.com/services/T",
	  .prefix = 26,
	  .budget = 4096,
	  .confirm = CONFIRM_PCRE,
	  .pcre = "hooks\\.slack\\.com/services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[" ALNUM
		  "]{20,32}(?![" ALNUM "])" },
	{ .rule = SR_STRIPE,
	  .re = "[rs]k_live_[" ALNUM "]{8}",
	  .prefix = 16,
	  .budget = 4096,
	  .confirm = CONFIRM_PCRE,
	  .pcre = "(?<![" ALNUM "_])[rs]k_live_[" ALNUM "]{20,247}(?![" ALNUM "])",
	  .kind = "live" },
	{ .rule = SR_STRIPE,
	  .re = "[rs]k_test_[" ALNUM "]{8}",
	  .prefix = 16,
	  .budget = 4096,
	  .confirm = CONFIRM_PCRE,
	  .pcre = "(?<![" ALNUM "_])[rs]k_test_[" ALNUM "]{20,247}(?![" ALNUM "])",
	  .sev = BH_SEV_LOW,
	  .kind = "test" },
	{ .rule = SR_GOOGLE,
	  .re = "AIza[" ALNUM "_-]{35}",
	  .prefix = 39,
	  .budget = 4096,
	  .confirm = CONFIRM_TOKEN,
	  .skip = 4 },
	{ .rule = SR_NPM,
	  .re = "npm_[" ALNUM "]{36}",
	  .prefix = 40,
	  .budget = 4096,
	  .confirm = CONFIRM_TOKEN,
	  .skip = 4 },
	{ .rule = SR_PYPI,
	  .re = "pypi-AgEIcHlwaS5vcmc",
	  .prefix = 20,
	  .budget = 4096,
	  .confirm = CONFIRM_PCRE,
	  .pcre = "pypi-AgEIcHlwaS5vcmc[" ALNUM "_-]{50,1000}(?![" ALNUM "_-])",
	  .kind = "pypi.org" },
	{ .rule = SR_PYPI,
	  .re = "pypi-AgENdGVzdC5weXBpLm9yZw",
	  .prefix = 27,
	  .budget = 4096,
	  .confirm = CONFIRM_PCRE,
	  .pcre = "pypi-AgENdGVzdC5weXBpLm9yZw[" ALNUM "_-]{50,1000}(?![" ALNUM "_-])",
	  .sev = BH_SEV_LOW,
	  .kind = "test.pypi.org" },
	{ .rule = SR_JWT,
	  .re = "eyJ[" ALNUM "_-]{8,}\\.eyJ",
	  .prefix = -1,
	  .budget = 1024,
	  .confirm = CONFIRM_JWT },
	{ .rule = SR_GENERIC,
	  .re = KEYWORDS,
	  .flags = HS_FLAG_CASELESS,
	  .prefix = -1,
	  .budget = 16384,
	  .confirm = CONFIRM_GENERIC },
	{ .rule = SR_URL,
	  .re = "://[^\\s/?#@:'\"<>\\\\]{1,64}:[^\\s/?#@'\"<>\\\\]{1,128}@",
	  .prefix = -1,
	  .budget = 4096,
	  .confirm = CONFIRM_URL },
};

#define NPAT (sizeof(patterns) / sizeof(patterns[0]))

/* The most patterns a file is followed for (content.c keeps per-pattern
 * state in arrays of this size). */
_Static_assert(NPAT <= CONTENT_MAX_PATTERNS, "raise CONTENT_MAX_PATTERNS");

const struct bh_content_check *bh_content_secret_rules(size_t *n)
{
	*n = SR_COUNT;
	return rules;
}

const struct bh_content_check *content_secret_rule(int rule)
{
	return &rules[rule];
}

bool content_secret_rule_low_confidence(int rule)
{
	return low_confidence[rule];
}

size_t content_secret_npatterns(void)
{
	return NPAT;
}

const struct content_secret_pattern *content_secret_pattern(size_t i)
{
	return i < NPAT ? &patterns[i] : NULL;
}

/* ---- where the guessing rules do not look --------------------------------- */

static const char *const third_party_anywhere[] = {
	"node_modules/",     "site-packages/", "dist-packages/",   "vendor/",
	"bower_components/", "go/pkg/mod/",    ".cargo/registry/",
};

static const char *const third_party_prefixes[] = {
	"usr/share/doc/",
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
	"usr/share/fish/",
};

bool content_third_party_path(const char *path)
{
	for (size_t i = 0; i < sizeof(third_party_prefixes) / sizeof(third_party_prefixes[0]); i++)
		if (bh_str_has_prefix(path, third_party_prefixes[i]))
			return true;
	for (size_t i = 0; i < sizeof(third_party_anywhere) / sizeof(third_party_anywhere[0]);
	     i++) {
		const char *m = strstr(path, third_party_anywhere[i]);

		if (m && (m == path || m[-1] == '/'))
			return true;
	}
	return bh_str_has_prefix(path, "usr/lib/") && strstr(path, "/perl");
}
