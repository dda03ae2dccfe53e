/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BH-CFG-016: credentials left in a tool's configuration file (.npmrc,
 * .pypirc, .netrc, .docker/config.json, kubeconfig, ...). These are hits,
 * not findings, so that they are followed through the layers (added in,
 * removed in) like secrets.
 */
#include <string.h>
#include <strings.h>

#include "bulkhead/content.h"
#include "checks.h"
#include "banned.h"

/* Lines "key<sep>value" where key (case-insensitive) ends a name in `keys`;
 * the first non-placeholder value. */
static bool find_kv(const char *d, size_t n, const char *const *keys, size_t nk, const char **key,
		    const char **val, size_t *vlen, long *line)
{
	const char *p = d, *end = d + n;
	long ln = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;

		ln++;
		for (size_t k = 0; k < nk; k++) {
			size_t m = strlen(keys[k]);

			for (const char *q = p; q + m <= le; q++) {
				const char *v, *ve;

				if (strncasecmp(q, keys[k], m))
					continue;
				v = q + m;
				while (v < le &&
				       (*v == ' ' || *v == '\t' || *v == '"' || *v == '\''))
					v++;
				if (v < le && (*v == '=' || *v == ':'))
					v++;
				else if (!(v > q + m && v[-1] != '"'))
					continue;
				while (v < le &&
				       (*v == ' ' || *v == '\t' || *v == '"' || *v == '\''))
					v++;
				ve = v;
				while (ve < le && *ve != ' ' && *ve != '\t' && *ve != '"' &&
				       *ve != '\'' && *ve != '\r' && *ve != ',' && *ve != '<')
					ve++;
				if (ve == v || content_looks_placeholder((const unsigned char *)v,
									 (size_t)(ve - v)))
					continue;
				*key = keys[k];
				*val = v;
				*vlen = (size_t)(ve - v);
				*line = ln;
				return true;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return false;
}

void content_checks_cred_file(const struct capture *cap, struct hitlist *out)
{
	static const char *const npm[] = { "_authToken", "_auth", "_password" };
	static const char *const pypi[] = { "password" };
	static const char *const netrc[] = { "password" };
	static const char *const kube[] = { "token", "client-key-data", "password" };
	static const char *const gem[] = { ":rubygems_api_key" };
	static const char *const cargo[] = { "token" };
	static const char *const composer[] = { "\"password\"", "\"github-oauth\"", "\"token\"" };
	static const char *const maven[] = { "<password>" };
	static const char *const gh[] = { "oauth_token" };
	static const char *const yarn[] = { "npmAuthToken", "npmAuthIdent" };
	const struct bh_content_check *def = content_check_def(CFG_CRED_FILE);
	const char *b = content_basename(cap->path), *key = NULL, *val = NULL, *tool;
	const char *const *keys = NULL;
	size_t nk = 0, vlen = 0;
	long line = 0;
	struct hit *h;
	char shown[16], fp[13];

#define KEYS(a) (keys = (a), nk = sizeof(a) / sizeof((a)[0]))
	if (!strcmp(b, ".npmrc") || !strcmp(b, "npmrc"))
		tool = "npm", KEYS(npm);
	else if (!strcmp(b, ".pypirc"))
		tool = "PyPI (twine)", KEYS(pypi);
	else if (!strcmp(b, ".netrc"))
		tool = "netrc", KEYS(netrc);
	else if (bh_str_has_suffix(cap->path, ".kube/config"))
		tool = "kubectl", KEYS(kube);
	else if (bh_str_has_suffix(cap->path, ".gem/credentials"))
		tool = "RubyGems", KEYS(gem);
	else if (strstr(cap->path, ".cargo/credentials"))
		tool = "Cargo", KEYS(cargo);
	else if (bh_str_has_suffix(cap->path, ".composer/auth.json"))
		tool = "Composer", KEYS(composer);
	else if (bh_str_has_suffix(cap->path, ".m2/settings.xml"))
		tool = "Maven", KEYS(maven);
	else if (bh_str_has_suffix(cap->path, ".config/gh/hosts.yml"))
		tool = "GitHub CLI", KEYS(gh);
	else if (!strcmp(b, ".yarnrc.yml"))
		tool = "Yarn", KEYS(yarn);
	else
		tool = NULL;
#undef KEYS
	if (bh_str_has_suffix(cap->path, ".docker/config.json")) {
		json_t *j = NULL, *auths;
		const char *reg, *first = NULL;
		json_t *v;
		struct bh_buf all = BH_BUF_INIT(1u << 20);
		size_t n = 0;

		tool = "Docker";
		if (bh_json_parse(cap->data, cap->len, 1u << 20, cap->path, &j, NULL) < 0)
			return;
		auths = bh_json_obj(j, "auths");
		json_object_foreach (auths, reg, v) {
			const char *a = bh_json_str(v, "auth"),
				   *t = bh_json_str(v, "identitytoken");

			if ((a && *a) || (t && *t)) {
				bh_buf_adds(&all, a && *a ? a : t, NULL);
				if (!n++)
					first = reg;
			}
		}
		if (n) {
			h = content_hitlist_add(out);
			h->id = bh_strdup(def->id);
			h->kind = BH_FIND_CONFIG;
			h->severity = def->severity;
			h->countermeasure = def->countermeasure;
			h->title = bh_asprintf("Docker registry credentials in /%s (%s%s)",
					       cap->path, first, n > 1 ? " and more" : "");
			h->description = bh_asprintf("/%s holds credentials for %zu registr%s",
						     cap->path, n, n == 1 ? "y" : "ies");
			h->remediation = def->remediation;
			h->path = bh_strdup(cap->path);
			h->layer = cap->layer;
			content_fingerprint(all.data, all.len, h->fp);
		}
		bh_buf_release(&all);
		json_decref(j);
		return;
	}
	if (!strcmp(b, ".git-credentials") || bh_str_has_suffix(cap->path, "pip/pip.conf") ||
	    bh_str_has_suffix(cap->path, "etc/pip.conf")) {
		/* URLs with user:password@ */
		const char *p = memmem(cap->data, cap->len, "://", 3);

		tool = !strcmp(b, ".git-credentials") ? "git" : "pip";
		while (p) {
			const char *s = p + 3, *at, *colon,
				   *le = memchr(s, '\n', cap->len - (size_t)(s - cap->data));

			if (!le)
				le = cap->data + cap->len;
			at = memchr(s, '@', (size_t)(le - s));
			colon = at ? memchr(s, ':', (size_t)(at - s)) : NULL;
			if (colon && at - colon > 1 &&
			    !content_looks_placeholder((const unsigned char *)colon + 1,
						       (size_t)(at - colon - 1))) {
				key = "user:password@ in a URL";
				val = colon + 1;
				vlen = (size_t)(at - colon - 1);
				line = 1;
				for (const char *q = cap->data; q < p; q++)
					line += *q == '\n';
				break;
			}
			p = memmem(le, cap->len - (size_t)(le - cap->data), "://", 3);
		}
		if (!val)
			return;
	} else if (!tool || !find_kv(cap->data, cap->len, keys, nk, &key, &val, &vlen, &line)) {
		return;
	}
	content_redact((const unsigned char *)val, vlen, shown, sizeof(shown));
	content_fingerprint(val, vlen, fp);
	h = content_hitlist_add(out);
	h->id = bh_strdup(def->id);
	h->kind = BH_FIND_CONFIG;
	h->severity = def->severity;
	h->countermeasure = def->countermeasure;
	h->title = bh_asprintf("%s credentials in /%s (%s): %s (sha256:%s)", tool, cap->path, key,
			       shown, fp);
	h->description = bh_asprintf("/%s, the %s configuration, holds a credential (%s)",
				     cap->path, tool, key);
	h->remediation = def->remediation;
	h->path = bh_strdup(cap->path);
	h->line = line;
	h->layer = cap->layer;
	memcpy(h->fp, fp, sizeof(fp));
}
