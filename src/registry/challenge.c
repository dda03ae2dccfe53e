/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parsers of a registry's response headers, untrusted bytes each: the
 * WWW-Authenticate challenges of a 401 (RFC 7235) and the Link header of a
 * paginated answer (RFC 8288). Each takes (pointer, length) with a size limit, and has
 * a fuzz target (fuzz/fuzz_www_authenticate.c).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

#define MAX_CHALLENGE  8192
#define MAX_CHALLENGES 8
#define MAX_PARAMS     16

/* ---- WWW-Authenticate (RFC 7235) ------------------------------------------ */

static bool tchar(char c)
{
	return bh_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool token68_char(char c)
{
	return bh_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' ||
	       c == '/';
}

static size_t skip_ows(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* A quoted-string at s[i] == '"': its unescaped content into out. */
static int quoted(const char *s, size_t *i, size_t n, struct bh_buf *out, struct bh_error **err)
{
	size_t k = *i + 1;

	bh_buf_reset(out);
	while (k < n && s[k] != '"') {
		char c = s[k];

		if (c == '\\') {
			if (++k >= n)
				break;
			c = s[k];
		}
		if (((unsigned char)c < 0x20 && c != '\t') || c == 0x7f)
			return bh_error_set(
				err, BH_ERR_INVALID,
				"WWW-Authenticate: a control character in a quoted string");
		if (bh_buf_addc(out, c, err) < 0)
			return -1;
		k++;
	}
	if (k >= n)
		return bh_error_set(err, BH_ERR_INVALID, "WWW-Authenticate: unterminated quote");
	*i = k + 1;
	if (!out->data)
		bh_buf_adds(out, "", NULL);
	return 0;
}

void bh_registry_challenges_free(struct bh_registry_challenge *c, size_t n)
{
	if (!c)
		return;
	for (size_t i = 0; i < n; i++) {
		free(c[i].scheme);
		free(c[i].realm);
		free(c[i].service);
		free(c[i].scope);
		free(c[i].error);
	}
	free(c);
}

static char **param_slot(struct bh_registry_challenge *c, const char *name, size_t len)
{
	static const char *const names[] = { "realm", "service", "scope", "error" };

	for (size_t i = 0; i < 4; i++)
		if (strlen(names[i]) == len && !strncasecmp(names[i], name, len))
			return i == 0	? &c->realm
			       : i == 1 ? &c->service
			       : i == 2 ? &c->scope
					: &c->error;
	return NULL;
}

/*
 * challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 * auth-param = token BWS "=" BWS ( token / quoted-string )
 * Challenges are separated by commas, like the auth-params inside them: a
 * token not followed by '=' starts the next challenge.
 */
int bh_registry_challenges_parse(const char *s, size_t n, struct bh_registry_challenge **out,
				 size_t *nout, struct bh_error **err)
{
	struct bh_registry_challenge *c = NULL;
	struct bh_buf val = BH_BUF_INIT(MAX_CHALLENGE);
	size_t nc = 0, i = 0;

	*out = NULL;
	*nout = 0;
	if (n > MAX_CHALLENGE)
		return bh_error_set(err, BH_ERR_LIMIT, "WWW-Authenticate: more than %d bytes",
				    MAX_CHALLENGE);
	c = bh_calloc(MAX_CHALLENGES, sizeof(*c));
	for (;;) {
		size_t start, nparams = 0;
		bool first = true;

		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
			i++;
		if (i >= n)
			break;
		start = i;
		while (i < n && tchar(s[i]))
			i++;
		if (i == start) {
			bh_error_set(
				err, BH_ERR_INVALID,
				"WWW-Authenticate: expected an authentication scheme at byte %zu",
				start);
			goto fail;
		}
		if (nc == MAX_CHALLENGES) {
			bh_error_set(err, BH_ERR_LIMIT, "WWW-Authenticate: more than %d challenges",
				     MAX_CHALLENGES);
			goto fail;
		}
		c[nc].scheme = bh_strndup(s + start, i - start);
		for (char *p = c[nc].scheme; *p; p++)
			*p = (char)bh_tolower(*p);
		nc++;
		if (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != ',') {
			bh_error_set(err, BH_ERR_INVALID,
				     "WWW-Authenticate: unexpected '%c' after the scheme",
				     bh_isprint(s[i]) ? s[i] : '?');
			goto fail;
		}
		for (;;) {
			size_t ns, nl, k;
			bool comma = false;
			char **slot;

			i = skip_ows(s, i, n);
			while (i < n && s[i] == ',') {
				comma = true;
				i = skip_ows(s, i + 1, n);
			}
			if (i >= n)
				break;
			if (first && !comma) {
				/* a token68 ("Basic dXNlcjpwYXNz=="): skipped, unused */
				size_t t;

				for (k = i; k < n && token68_char(s[k]); k++)
					;
				for (t = k; t < n && s[t] == '='; t++)
					;
				if (k > i &&
				    (skip_ows(s, t, n) >= n || s[skip_ows(s, t, n)] == ',')) {
					i = t;
					first = false;
					continue;
				}
			}
			first = false;
			ns = i;
			while (i < n && tchar(s[i]))
				i++;
			nl = i - ns;
			if (nl == 0) {
				bh_error_set(err, BH_ERR_INVALID,
					     "WWW-Authenticate: unexpected '%c' at byte %zu",
					     bh_isprint(s[i]) ? s[i] : '?', i);
				goto fail;
			}
			k = skip_ows(s, i, n);
			if (k >= n || s[k] != '=') {
				i = ns; /* the next challenge's scheme */
				break;
			}
			i = skip_ows(s, k + 1, n);
			if (i < n && s[i] == '"') {
				if (quoted(s, &i, n, &val, err) < 0)
					goto fail;
			} else {
				size_t vs = i;

				while (i < n && tchar(s[i]))
					i++;
				if (i == vs) {
					bh_error_set(err, BH_ERR_INVALID,
						     "WWW-Authenticate: parameter '%.*s' has no "
						     "value",
						     (int)(nl > 40 ? 40 : nl), s + ns);
					goto fail;
				}
				bh_buf_reset(&val);
				if (bh_buf_add(&val, s + vs, i - vs, err) < 0)
					goto fail;
			}
			if (++nparams > MAX_PARAMS) {
				bh_error_set(err, BH_ERR_LIMIT,
					     "WWW-Authenticate: more than %d parameters",
					     MAX_PARAMS);
				goto fail;
			}
			slot = param_slot(&c[nc - 1], s + ns, nl);
			if (slot) {
				if (*slot) {
					bh_error_set(err, BH_ERR_INVALID,
						     "WWW-Authenticate: parameter '%.*s' twice",
						     (int)nl, s + ns);
					goto fail;
				}
				*slot = bh_strdup(val.data ? val.data : "");
			}
			i = skip_ows(s, i, n);
			if (i < n && s[i] != ',') {
				bh_error_set(err, BH_ERR_INVALID,
					     "WWW-Authenticate: expected ',' at byte %zu", i);
				goto fail;
			}
		}
	}
	bh_buf_release(&val);
	if (nc == 0) {
		free(c);
		return bh_error_set(err, BH_ERR_INVALID, "WWW-Authenticate: no challenge");
	}
	*out = c;
	*nout = nc;
	return (int)nc;
fail:
	bh_buf_release(&val);
	bh_registry_challenges_free(c, nc);
	return -1;
}

/* ---- Link (RFC 8288), for pagination -------------------------------------- */

char *bh_registry_link_next(const char *s, size_t n)
{
	size_t i = 0;

	if (n > MAX_CHALLENGE)
		return NULL;
	while (i < n) {
		size_t us, ue;
		bool next = false;

		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
			i++;
		if (i >= n || s[i] != '<')
			return NULL;
		us = ++i;
		while (i < n && s[i] != '>')
			i++;
		if (i >= n)
			return NULL;
		ue = i++;
		/* ; param=value ... */
		for (;;) {
			size_t ps, pl;
			const char *v;
			size_t vl;

			i = skip_ows(s, i, n);
			if (i >= n || s[i] != ';')
				break;
			i = skip_ows(s, i + 1, n);
			ps = i;
			while (i < n && tchar(s[i]))
				i++;
			pl = i - ps;
			i = skip_ows(s, i, n);
			if (i >= n || s[i] != '=')
				return NULL;
			i = skip_ows(s, i + 1, n);
			if (i < n && s[i] == '"') {
				v = s + i + 1;
				i++;
				while (i < n && s[i] != '"')
					i++;
				if (i >= n)
					return NULL;
				vl = (size_t)(s + i - v);
				i++;
			} else {
				v = s + i;
				while (i < n && tchar(s[i]))
					i++;
				vl = (size_t)(s + i - v);
			}
			if (pl == 3 && !strncasecmp(s + ps, "rel", 3)) {
				/* a space-separated list of relation types */
				for (size_t k = 0; k < vl;) {
					size_t e = k;

					while (e < vl && v[e] != ' ')
						e++;
					if (e - k == 4 && !strncasecmp(v + k, "next", 4))
						next = true;
					k = e + 1;
				}
			}
		}
		if (next && ue > us) {
			for (size_t k = us; k < ue; k++)
				if ((unsigned char)s[k] <= ' ' || s[k] == 0x7f)
					return NULL;
			return bh_strndup(s + us, ue - us);
		}
		i = skip_ows(s, i, n);
		if (i < n && s[i] != ',')
			return NULL;
	}
	return NULL;
}
