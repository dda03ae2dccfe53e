/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image references, parsed by hand against distribution/reference's grammar
 * (its regexp.go), with docker's normalisation (normalize.go):
 *
 *   reference        := name [ ":" tag ] [ "@" digest ]
 *   name             := [domain '/'] remote-name
 *   domain           := host [':' port-number]
 *   host             := domain-name | '[' [a-fA-F0-9:]+ ']'
 *   domain-name      := domain-component ['.' domain-component]*
 *   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 *   remote-name      := path-component ['/' path-component]*
 *   path-component   := alpha-numeric [separator alpha-numeric]*
 *   alpha-numeric    := /[a-z0-9]+/
 *   separator        := /[_.]|__|[-]+/
 *   tag              := /[\w][\w.-]{0,127}/
 *   digest           := algorithm ":" /[0-9a-fA-F]{32,}/  (then go-digest's checks)
 *
 * The name can hold a ':' only in its domain, which a '/' follows; a tag or a
 * digest holds no '/' or '@'. So the digest is what follows the first '@',
 * and the tag what follows the last ':' that comes after the last '/': the
 * same split the regular expression makes, without backtracking.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/registry.h"
#include "banned.h"

#define MAX_INPUT 4096

static bool alnum_lower(char c)
{
	return bh_islower(c) || bh_isdigit(c);
}

static bool word(char c)
{
	return bh_isalnum(c) || c == '_';
}

/* path-component over [s, s+n) */
static bool path_component(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !alnum_lower(s[0]))
		return false;
	while (i < n) {
		size_t j;

		while (i < n && alnum_lower(s[i]))
			i++;
		if (i == n)
			return true;
		/* a separator, then alpha-numerics again */
		j = i;
		if (s[i] == '.') {
			j = i + 1;
		} else if (s[i] == '_') {
			j = i + 1;
			if (j < n && s[j] == '_')
				j++;
		} else if (s[i] == '-') {
			while (j < n && s[j] == '-')
				j++;
		} else {
			return false;
		}
		if (j == n || !alnum_lower(s[j]))
			return false;
		i = j;
	}
	return true;
}

static bool remote_name(const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			if (!path_component(s + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

static bool domain_component(const char *s, size_t n)
{
	if (n == 0 || !bh_isalnum(s[0]) || !bh_isalnum(s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!bh_isalnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool domain_and_port(const char *s, size_t n)
{
	size_t hostlen;

	if (n == 0)
		return false;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close || close == s + 1)
			return false;
		hostlen = (size_t)(close - s) + 1;
		for (size_t i = 1; i + 1 < hostlen; i++)
			if (!bh_isxdigit(s[i]) && s[i] != ':')
				return false;
	} else {
		size_t start = 0;

		hostlen = 0;
		while (hostlen < n && s[hostlen] != ':')
			hostlen++;
		for (size_t i = 0; i <= hostlen; i++) {
			if (i == hostlen || s[i] == '.') {
				if (!domain_component(s + start, i - start))
					return false;
				start = i + 1;
			}
		}
	}
	if (hostlen == n)
		return true;
	if (s[hostlen] != ':' || hostlen + 1 == n)
		return false;
	for (size_t i = hostlen + 1; i < n; i++)
		if (!bh_isdigit(s[i]))
			return false;
	return true;
}

static bool tag_ok(const char *s, size_t n)
{
	if (n == 0 || n > 128 || !word(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!word(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* The digest pattern of reference's regexp.go. */
static bool digest_syntax(const char *s, size_t n, size_t *colon)
{
	size_t i = 0;

	for (;;) {
		if (i >= n || !bh_isalpha(s[i]))
			return false;
		while (i < n && bh_isalnum(s[i]))
			i++;
		if (i < n && (s[i] == '-' || s[i] == '_' || s[i] == '+' || s[i] == '.')) {
			i++;
			continue;
		}
		break;
	}
	if (i >= n || s[i] != ':')
		return false;
	*colon = i;
	if (n - i - 1 < 32)
		return false;
	for (size_t j = i + 1; j < n; j++)
		if (!bh_isxdigit(s[j]))
			return false;
	return true;
}

/* go-digest's Parse: a known algorithm, its length, lower-case hex. */
static int digest_check(const char *s, size_t n, struct bh_digest *out, struct bh_error **err)
{
	static const struct {
		const char *name;
		size_t hexlen;
	} algos[] = { { "sha256", 64 }, { "sha384", 96 }, { "sha512", 128 } };
	size_t colon = 0;
	char tmp[BH_DIGEST_MAX];

	if (!digest_syntax(s, n, &colon))
		return bh_error_set(err, BH_ERR_INVALID, "invalid reference format");
	for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++) {
		if (strlen(algos[i].name) != colon || memcmp(s, algos[i].name, colon))
			continue;
		if (n - colon - 1 != algos[i].hexlen)
			return bh_error_set(err, BH_ERR_INVALID, "invalid checksum digest length");
		for (size_t j = colon + 1; j < n; j++)
			if (!bh_isdigit(s[j]) && !(s[j] >= 'a' && s[j] <= 'f'))
				return bh_error_set(err, BH_ERR_INVALID,
						    "invalid checksum digest format");
		if (algos[i].hexlen == 96)
			return bh_error_set(err, BH_ERR_UNSUPPORTED,
					    "unsupported digest algorithm sha384");
		snprintf(tmp, sizeof(tmp), "%.*s", (int)n, s);
		return bh_digest_parse(tmp, out, err);
	}
	return bh_error_set(err, BH_ERR_UNSUPPORTED, "unsupported digest algorithm '%.*s'",
			    (int)(colon > 32 ? 32 : colon), s);
}

/* The parts of a reference string, as offsets into it. */
struct parts {
	size_t namelen, domlen; /* domlen 0: no domain */
	const char *tag, *dig;
	size_t taglen, diglen;
};

/* Whether (s, n) matches the reference grammar, and where its parts are. */
static bool match(const char *s, size_t n, struct parts *p)
{
	const char *at = memchr(s, '@', n), *colon = NULL, *slash = NULL, *first;
	size_t dummy;

	memset(p, 0, sizeof(*p));
	p->namelen = at ? (size_t)(at - s) : n;
	if (at) {
		p->dig = at + 1;
		p->diglen = n - p->namelen - 1;
	}
	for (size_t i = 0; i < p->namelen; i++) {
		if (s[i] == '/')
			slash = s + i;
		else if (s[i] == ':')
			colon = s + i;
	}
	if (colon && (!slash || colon > slash)) {
		p->tag = colon + 1;
		p->taglen = p->namelen - (size_t)(p->tag - s);
		p->namelen = (size_t)(colon - s);
	}
	if (p->tag && !tag_ok(p->tag, p->taglen))
		return false;
	if (p->dig && !digest_syntax(p->dig, p->diglen, &dummy))
		return false;
	/* a domain when the first component is one and the rest is a remote
	 * name, else all of it a remote name */
	first = memchr(s, '/', p->namelen);
	if (first && domain_and_port(s, (size_t)(first - s)) &&
	    remote_name(first + 1, p->namelen - (size_t)(first - s) - 1)) {
		p->domlen = (size_t)(first - s);
		return true;
	}
	return remote_name(s, p->namelen);
}

/*
 * distribution's Parse over (s, n): fills domain (may stay NULL), path, tag,
 * digest. Mirrors its error order: no match (empty, upper case, format),
 * then the name's length, then the digest.
 */
static int parse_plain(const char *s, size_t n, struct bh_registry_ref *out, struct bh_error **err)
{
	struct parts p;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return bh_error_set(err, BH_ERR_INVALID,
				    "repository name must have at least one component");
	if (!match(s, n, &p)) {
		/* distribution says "must be lowercase" when lowering the whole
		 * string would have made it match */
		char *low = bh_strndup(s, n);
		struct parts lp;
		bool upper = false, ok;

		for (size_t i = 0; i < n; i++) {
			if (bh_isupper(low[i]))
				upper = true;
			low[i] = (char)bh_tolower(low[i]);
		}
		ok = upper && match(low, n, &lp);
		free(low);
		if (ok)
			return bh_error_set(err, BH_ERR_INVALID,
					    "repository name must be lowercase");
		return bh_error_set(err, BH_ERR_INVALID, "invalid reference format");
	}
	if (p.namelen > BH_REF_NAME_MAX)
		return bh_error_set(err, BH_ERR_INVALID,
				    "repository name must not be longer than %d characters",
				    BH_REF_NAME_MAX);
	if (p.dig && digest_check(p.dig, p.diglen, &out->digest, err) < 0)
		return -1;
	if (p.domlen) {
		out->domain = bh_strndup(s, p.domlen);
		out->path = bh_strndup(s + p.domlen + 1, p.namelen - p.domlen - 1);
	} else {
		out->path = bh_strndup(s, p.namelen);
	}
	if (p.tag)
		out->tag = bh_strndup(p.tag, p.taglen);
	return 0;
}

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (bh_isupper(s[i]))
			return true;
	return false;
}

/* docker's splitDockerDomain + ParseNormalizedNamed. */
static int parse_normalized(const char *s, size_t n, struct bh_registry_ref *out,
			    struct bh_error **err)
{
	const char *slash = memchr(s, '/', n), *rem;
	const char *domain;
	size_t domlen, remlen, remote;
	bool library = false;
	char *full;
	int r;

	memset(out, 0, sizeof(*out));
	if (n == 64) {
		size_t i = 0;

		while (i < n && (bh_isdigit(s[i]) || (s[i] >= 'a' && s[i] <= 'f')))
			i++;
		if (i == n)
			return bh_error_set(err, BH_ERR_INVALID,
					    "invalid repository name (%.64s), cannot specify "
					    "64-byte hexadecimal strings",
					    s);
	}
	if (!slash) {
		domain = "docker.io";
		domlen = 9;
		rem = s;
		remlen = n;
		library = true;
	} else {
		size_t first = (size_t)(slash - s);

		if ((first == 9 && !memcmp(s, "localhost", 9)) || memchr(s, '.', first) ||
		    memchr(s, ':', first) || has_upper(s, first)) {
			domain = s;
			domlen = first;
			if (first == 15 && !memcmp(s, "index.docker.io", 15)) {
				domain = "docker.io";
				domlen = 9;
			}
			rem = slash + 1;
			remlen = n - first - 1;
		} else {
			domain = "docker.io";
			domlen = 9;
			rem = s;
			remlen = n;
		}
		if (domlen == 9 && !memcmp(domain, "docker.io", 9) && !memchr(rem, '/', remlen))
			library = true;
	}
	/* the remote name (up to a ':') must be lower case */
	remote = 0;
	while (remote < remlen && rem[remote] != ':')
		remote++;
	if (has_upper(rem, remote))
		return bh_error_set(err, BH_ERR_INVALID,
				    "invalid reference format: repository name (%.*s) must be "
				    "lowercase",
				    (int)(remote > 255 ? 255 : remote), rem);
	full = bh_asprintf("%.*s/%s%.*s", (int)domlen, domain, library ? "library/" : "",
			   (int)remlen, rem);
	r = parse_plain(full, strlen(full), out, err);
	free(full);
	if (r < 0)
		return -1;
	if (!out->domain) {
		bh_registry_ref_release(out);
		return bh_error_set(err, BH_ERR_INVALID, "invalid reference format");
	}
	if (!out->tag && !out->digest.str[0])
		out->tag = bh_strdup("latest");
	return 0;
}

int bh_registry_ref_parse(const char *s, unsigned flags, struct bh_registry_ref *out,
			  struct bh_error **err)
{
	size_t n = strlen(s);
	int r;

	memset(out, 0, sizeof(*out));
	if (n > MAX_INPUT)
		return bh_error_set(err, BH_ERR_LIMIT, "a reference of more than %d bytes",
				    MAX_INPUT);
	if (flags & BH_REF_NORMALIZE) {
		if (bh_str_has_prefix(s, "docker://")) {
			s += 9;
			n -= 9;
		}
		r = parse_normalized(s, n, out, err);
	} else {
		r = parse_plain(s, n, out, err);
	}
	if (r < 0) {
		bh_registry_ref_release(out);
		return -1;
	}
	return 0;
}

void bh_registry_ref_release(struct bh_registry_ref *r)
{
	if (!r)
		return;
	free(r->domain);
	free(r->path);
	free(r->tag);
	memset(r, 0, sizeof(*r));
}

void bh_registry_ref_copy(const struct bh_registry_ref *r, struct bh_registry_ref *out)
{
	out->domain = r->domain ? bh_strdup(r->domain) : NULL;
	out->path = r->path ? bh_strdup(r->path) : NULL;
	out->tag = r->tag ? bh_strdup(r->tag) : NULL;
	out->digest = r->digest;
}

char *bh_registry_ref_name(const struct bh_registry_ref *r)
{
	if (!r->domain)
		return bh_strdup(r->path ? r->path : "");
	return bh_asprintf("%s/%s", r->domain, r->path ? r->path : "");
}

char *bh_registry_ref_string(const struct bh_registry_ref *r)
{
	char *name = bh_registry_ref_name(r), *s;

	s = bh_asprintf("%s%s%s%s%s", name, r->tag ? ":" : "", r->tag ? r->tag : "",
			r->digest.str[0] ? "@" : "", r->digest.str);
	free(name);
	return s;
}

const char *bh_registry_ref_target(const struct bh_registry_ref *r)
{
	if (r->digest.str[0])
		return r->digest.str;
	return r->tag ? r->tag : "latest";
}
